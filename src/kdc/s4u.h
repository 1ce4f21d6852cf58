/*
 * s4u.h - MS-SFU's S4U2Self and S4U2Proxy in the TGS exchange (s4u.c says
 * what of MIT's behaviour is there and what is not).  Called by tgs.c;
 * every refusal goes through kdc_fail() (r says why) and returns
 * ORTH_E_KRB(code).  Memory from the request's arena.  Not for use
 * outside src/kdc.
 */
#ifndef ORTHRUS_KDC_S4U_H
#define ORTHRUS_KDC_S4U_H

#include "kdc_int.h"

/* An S4U2Self request: the user the ticket is for. */
struct kdc_s4u_self {
	const PrincipalName *user;
	const char *realm;
	const PA_S4U_X509_USER *x509;    /* NULL: asked with PA-FOR-USER */
	const struct db_entry *entry;        /* the user's, by kdc_s4u_self_check() */
};

/*
 * The S4U2Self padata of a TGS-REQ (padata: the inner one under FAST, b
 * the body whose nonce counts): PA-S4U-X509-USER, checked under subkey
 * (or session when NULL), else PA-FOR-USER under session.  *out NULL when
 * the request has neither.  KRB_ERR_GENERIC (undecodable),
 * KRB_AP_ERR_INAPP_CKSUM, KRB_AP_ERR_MODIFIED (checksum, nonce),
 * KDC_ERR_C_PRINCIPAL_UNKNOWN (a certificate without a name).
 */
orth_err kdc_s4u_self_get(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
			  const KDC_REQ_BODY *b, struct crypto_key *session,
			  struct crypto_key *subkey, struct kdc_s4u_self **out);

/*
 * May the TGT's client (tgt_client: its entry, NULL when of another
 * realm) have a ticket to server for s's user?  Sets s->entry.
 * KRB_AP_ERR_BADMATCH (server is not the TGT's client), KDC_ERR_BADOPTION,
 * KDC_ERR_POLICY (cross-realm), KDC_ERR_C_PRINCIPAL_UNKNOWN,
 * KDC_ERR_CLIENT_REVOKED (locked, locked out or expired, as in the AS
 * exchange).
 */
orth_err kdc_s4u_self_check(struct kdc_ctx *ctx, struct kdc_req *r, uint32_t opts,
			    const struct db_entry *tgt_client, const struct db_entry *server,
			    struct kdc_s4u_self *s);

/* The ticket flags of an S4U2Self ticket to server, from those the policy
 * gave (MS-SFU §3.2.5.1.2: FORWARDABLE only with ok-to-auth-as-delegate). */
uint32_t kdc_s4u_self_flags(const struct db_entry *server, uint32_t flags);

/* The TGS-REP's padata for s: PA-S4U-X509-USER with the KDC's checksum
 * under key (the one the request's verified under); *out NULL when s came
 * with PA-FOR-USER only. */
orth_err kdc_s4u_self_reply(struct kdc_ctx *ctx, const struct kdc_s4u_self *s,
			    struct crypto_key *key, METHOD_DATA **out);

/*
 * S4U2Proxy (KDC option cname-in-addl-tkt): may tgt_client (the
 * requesting service's entry, NULL when of another realm) have a ticket to
 * target for the client of the evidence ticket ev (decrypted; its server's
 * entry ev_server)?  KDC_ERR_BADOPTION (options, not forwardable, target
 * not in the service's allowed-to-delegate-to list),
 * KDC_ERR_SERVER_NOMATCH (evidence for another service), KDC_ERR_POLICY
 * (target a TGS, cross-realm).
 */
orth_err kdc_s4u_proxy_check(struct kdc_req *r, uint32_t opts,
			     const struct db_entry *tgt_client, const struct db_entry *ev_server,
			     const EncTicketPart *ev, const struct db_entry *target,
			     bool target_is_tgs);

#endif
