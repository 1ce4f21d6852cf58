/*
 * s4u.c - the service-for-user extensions of MS-SFU in the TGS exchange:
 * S4U2Self (§3.2.5.1, "protocol transition": a service asks for a ticket
 * to itself on behalf of a user, who did not authenticate) and S4U2Proxy
 * (§3.2.5.2, constrained delegation: with such a ticket, or one the user
 * gave it, the service asks for a ticket to another service in the
 * user's name).  What MIT's krb5kdc 1.20 does, without the parts we do not
 * have: no PAC is issued or checked (MIT requires one in the TGT and the
 * evidence ticket; ours carry none), no resource-based delegation (MIT's
 * fallback when the service's allowed-to-delegate-to list does not allow
 * the target), no lookup by certificate, and nothing cross-realm (refused
 * with KDC_ERR_POLICY).
 */
#include <string.h>

#include "kdc_int.h"
#include "lockout.h"
#include "proto/padata.h"
#include "proto/pname.h"
#include "proto/s4u.h"
#include "s4u.h"

/* PA-S4U-X509-USER: the checksum over the user id as received, under the
 * subkey or else the session key (usage 26), the request's nonce. */
static orth_err
x509_user_open(struct kdc_ctx *ctx, struct kdc_req *r, const PA_DATA *pa, const KDC_REQ_BODY *b,
	       struct crypto_key *key, struct kdc_s4u_self *s)
{
	orth_err ret;
	PA_S4U_X509_USER *x = arena_alloc(&ctx->a, sizeof(*x));

	if (x == NULL)
		return ORTH_E_LIMIT;
	memset(x, 0, sizeof(*x));
	if (der_decode(&asn1_PA_S4U_X509_USER, pa->padata_value.data, pa->padata_value.len,
		       &ctx->a, x) != ORTH_OK)
		return kdc_fail(r, KRB_ERR_GENERIC, "malformed PA-S4U-X509-USER");
	/* MIT: an unkeyed checksum is refused for the AES enctypes (all
	 * ours); crypto_checksum_verify() takes only the key's own type. */
	ret = crypto_checksum_verify(key, KU_PA_S4U_X509_USER_REQUEST, x->checksum.cksumtype,
				     x->user_id._raw.data, x->user_id._raw.len,
				     x->checksum.checksum.data, x->checksum.checksum.len);
	if (ret == ORTH_E_CKSUMTYPE)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "PA-S4U-X509-USER checksum type");
	if (ret != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_MODIFIED, "PA-S4U-X509-USER checksum does not verify");
	if (x->user_id.nonce != b->nonce)
		return kdc_fail(r, KRB_AP_ERR_MODIFIED, "PA-S4U-X509-USER nonce is not the request's");
	/* A certificate without a name asks for a lookup by certificate,
	 * which this database cannot do (MIT: its LDAP module). */
	if (x->user_id.cname == NULL)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN,
				"S4U2Self by certificate is not supported");
	s->x509 = x;
	s->user = x->user_id.cname;
	s->realm = x->user_id.crealm;
	return ORTH_OK;
}

/* PA-FOR-USER: the HMAC-MD5 checksum under the TGT session key, usage 17
 * (MS-SFU §2.2.1; MIT checks it under the session key, never the
 * subkey). */
static orth_err
for_user_open(struct kdc_ctx *ctx, struct kdc_req *r, const PA_DATA *pa,
	      struct crypto_key *session, struct kdc_s4u_self *s)
{
	orth_err ret;
	PA_FOR_USER *fu = arena_alloc(&ctx->a, sizeof(*fu));
	uint8_t ck[16];

	if (fu == NULL)
		return ORTH_E_LIMIT;
	memset(fu, 0, sizeof(*fu));
	if (der_decode(&asn1_PA_FOR_USER, pa->padata_value.data, pa->padata_value.len, &ctx->a,
		       fu) != ORTH_OK)
		return kdc_fail(r, KRB_ERR_GENERIC, "malformed PA-FOR-USER");
	if (fu->cksum.cksumtype != CRYPTO_CKSUMTYPE_HMAC_MD5)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "PA-FOR-USER checksum is not HMAC-MD5");
	ret = proto_for_user_checksum(session, fu, &ctx->a, ck);
	if (ret == ORTH_E_INTERNAL)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "no HMAC-MD5 here (FIPS mode?)");
	TRY(ret);
	if (fu->cksum.checksum.len != sizeof(ck) ||
	    !crypto_ct_equal(ck, fu->cksum.checksum.data, sizeof(ck)))
		return kdc_fail(r, KRB_AP_ERR_MODIFIED, "PA-FOR-USER checksum does not verify");
	s->user = &fu->userName;
	s->realm = fu->userRealm;
cleanup:
	return ret;
}

orth_err
kdc_s4u_self_get(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
		 const KDC_REQ_BODY *b, struct crypto_key *session, struct crypto_key *subkey,
		 struct kdc_s4u_self **out)
{
	orth_err ret = ORTH_OK;
	const PA_DATA *x = proto_padata_find(padata, KRB5_PADATA_S4U_X509_USER);
	const PA_DATA *fu = proto_padata_find(padata, KRB5_PADATA_FOR_USER);
	struct kdc_s4u_self *s;

	*out = NULL;
	if (x == NULL && fu == NULL)
		return ORTH_OK;
	s = arena_alloc(&ctx->a, sizeof(*s));
	CHECK(s != NULL, ORTH_E_LIMIT);
	memset(s, 0, sizeof(*s));
	/* As MIT: PA-S4U-X509-USER (the newer, covering the nonce) when
	 * both are sent, as MIT's client does. */
	if (x != NULL)
		TRY(x509_user_open(ctx, r, x, b, subkey != NULL ? subkey : session, s));
	else
		TRY(for_user_open(ctx, r, fu, session, s));
	*out = s;
cleanup:
	return ret;
}

/* MIT's AS_INVALID_OPTIONS: an S4U2Self request must be one the AS
 * exchange could take. */
#define S4U_SELF_BAD_OPTS                                                           \
	(KDC_OPT_FORWARDED | KDC_OPT_PROXY | KDC_OPT_VALIDATE | KDC_OPT_RENEW |     \
	 KDC_OPT_ENC_TKT_IN_SKEY | KDC_OPT_CNAME_IN_ADDL_TKT)

orth_err
kdc_s4u_self_check(struct kdc_ctx *ctx, struct kdc_req *r, uint32_t opts,
		   const struct db_entry *tgt_client, const struct db_entry *server,
		   struct kdc_s4u_self *s)
{
	orth_err ret;
	char name[KDC_LOG_NAME];

	/* MS-SFU §3.2.5.1.1: the ticket is for the service itself. */
	if (tgt_client == NULL)
		return kdc_fail(r, KDC_ERR_POLICY, "cross-realm S4U2Self is not supported");
	if (strcmp(tgt_client->name, server->name) != 0)
		return kdc_fail(r, KRB_AP_ERR_BADMATCH, "S4U2Self for another server than the client");
	if (opts & S4U_SELF_BAD_OPTS)
		return kdc_fail(r, KDC_ERR_BADOPTION, "S4U2Self with options the AS exchange refuses");
	/* MIT: a user of another realm must be asked of its own realm's KDC
	 * first (referrals: not supported here). */
	if (strcmp(s->realm, ctx->sh->realm->name) != 0)
		return kdc_fail(r, KDC_ERR_POLICY, "S4U2Self user of another realm");
	ret = kdc_entry_get(ctx, s->user, s->realm, &s->entry, name);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "S4U2Self user not found");
	if (ret != ORTH_OK)
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "database error on the S4U2Self user");
	/* The user's own AS checks (as.c; MIT's validate_as_request()),
	 * lockout included; its password's expiry does not count (this is
	 * no password login). */
	if (s->entry->attributes & DB_ATTR_DISALLOW_ALL_TIX)
		return kdc_fail(r, KDC_ERR_CLIENT_REVOKED, "S4U2Self user is locked");
	if (s->entry->princ_expire != 0 && s->entry->princ_expire <= r->now)
		return kdc_fail(r, KDC_ERR_CLIENT_REVOKED, "S4U2Self user has expired");
	return kdc_lockout_check(ctx, r, s->entry);
}

uint32_t
kdc_s4u_self_flags(const struct db_entry *server, uint32_t flags)
{
	/* MS-SFU §3.2.5.1.2: FORWARDABLE only for a service trusted to
	 * authenticate for delegation (MIT's ok_to_auth_as_delegate).  MIT
	 * also keeps it for a service with no delegation targets at all,
	 * for resource-based delegation, which we do not have. */
	if (!(server->attributes & DB_ATTR_OK_TO_AUTH_AS_DELEGATE))
		flags &= ~TKT_FLG_FORWARDABLE;
	return flags;
}

orth_err
kdc_s4u_self_reply(struct kdc_ctx *ctx, const struct kdc_s4u_self *s, struct crypto_key *key,
		   METHOD_DATA **out)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	PA_S4U_X509_USER rep;
	METHOD_DATA *md = arena_alloc(a, sizeof(*md));
	PA_DATA *pa = arena_alloc(a, sizeof(*pa));
	uint32_t *opts = arena_alloc(a, sizeof(*opts));
	uint8_t *id = NULL, ck[CRYPTO_MAX_CKSUM_LEN];
	size_t id_len = 0, ck_len = 0;
	const S4UUserID *q;
	bool reply_usage;

	*out = NULL;
	if (s->x509 == NULL)
		return ORTH_OK;
	CHECK(md != NULL && pa != NULL && opts != NULL, ORTH_E_LIMIT);
	q = &s->x509->user_id;
	reply_usage = q->options != NULL && (*q->options & KRB5_S4U_OPT_USE_REPLY_KEY_USAGE);
	/* MS-SFU §3.2.5.1.2 as MIT: the request's nonce and name, the one
	 * option answered, no certificate; the checksum of its DER under the
	 * key that verified the request's. */
	memset(&rep, 0, sizeof(rep));
	rep.user_id.nonce = q->nonce;
	rep.user_id.cname = q->cname;
	rep.user_id.crealm = q->crealm;
	if (reply_usage) {
		*opts = KRB5_S4U_OPT_USE_REPLY_KEY_USAGE;
		rep.user_id.options = opts;
	}
	TRY(der_encode_arena(&asn1_S4UUserID, &rep.user_id, a, &id, &id_len));
	TRY(crypto_checksum_make(key,
				 reply_usage ? KU_PA_S4U_X509_USER_REPLY
					     : KU_PA_S4U_X509_USER_REQUEST,
				 id, id_len, &rep.checksum.cksumtype, ck, &ck_len));
	rep.checksum.checksum.data = ck;
	rep.checksum.checksum.len = ck_len;
	pa->padata_type = KRB5_PADATA_S4U_X509_USER;
	TRY(der_encode_arena(&asn1_PA_S4U_X509_USER, &rep, a, &pa->padata_value.data,
			     &pa->padata_value.len));
	md->len = 1;
	md->val = pa;
	*out = md;
cleanup:
	return ret;
}

/* MIT's NON_TGT_OPTION and ENC-TKT-IN-SKEY: S4U2Proxy is a plain request
 * with a TGT. */
#define S4U_PROXY_BAD_OPTS                                                           \
	(KDC_OPT_FORWARDED | KDC_OPT_PROXY | KDC_OPT_VALIDATE | KDC_OPT_RENEW |     \
	 KDC_OPT_ENC_TKT_IN_SKEY)

orth_err
kdc_s4u_proxy_check(struct kdc_req *r, uint32_t opts, const struct db_entry *tgt_client,
		    const struct db_entry *ev_server, const EncTicketPart *ev,
		    const struct db_entry *target, bool target_is_tgs)
{
	if (opts & S4U_PROXY_BAD_OPTS)
		return kdc_fail(r, KDC_ERR_BADOPTION, "S4U2Proxy with renew/validate/forward/u2u");
	if (tgt_client == NULL)
		return kdc_fail(r, KDC_ERR_POLICY, "cross-realm S4U2Proxy is not supported");
	/* MS-SFU §3.2.5.2.1: the evidence is a ticket to the requesting
	 * service, and forwardable (§3.2.5.2.2; MIT's EVIDENCE_TKT_NOT_
	 * FORWARDABLE, KDC_ERR_BADOPTION). */
	if (strcmp(ev_server->name, tgt_client->name) != 0)
		return kdc_fail(r, KDC_ERR_SERVER_NOMATCH,
				"S4U2Proxy evidence ticket is not for the requesting service");
	if (!(ev->flags & TKT_FLG_FORWARDABLE))
		return kdc_fail(r, KDC_ERR_BADOPTION, "S4U2Proxy evidence ticket not forwardable");
	/* A TGT would be unconstrained delegation (MIT: KDC_ERR_POLICY). */
	if (target_is_tgs)
		return kdc_fail(r, KDC_ERR_POLICY, "S4U2Proxy to a ticket-granting service");
	/* The service's list (MIT's krbAllowedToDelegateTo; MIT answers
	 * KDC_ERR_BADOPTION when it does not allow). */
	for (size_t i = 0; i < tgt_client->ndeleg; i++)
		if (strcmp(tgt_client->deleg[i], target->name) == 0)
			return ORTH_OK;
	return kdc_fail(r, KDC_ERR_BADOPTION, "S4U2Proxy target not in allowed-to-delegate-to");
}
