/*
 * apcheck.h - the server side of the application exchange (RFC 4120
 * §3.2.3, §3.2.4): check an AP-REQ, and build the AP-REP that answers it.
 *
 * The checks are made here, once, for every server in the tree: an
 * application server verifying logins against its keytab (client/apreq.h)
 * and the KDC's own services (kpasswd, whose kadmin/changepw key is in the
 * database).  What differs between them is given as two callbacks: where
 * the service's long-term key comes from (it decrypts the ticket), and
 * which replay cache remembers the authenticators.
 *
 * Errors: every refusal of the protocol is ORTH_E_KRB(code) with the
 * RFC 4120 §7.5.9 code (KRB_AP_ERR_*); apreq_err_str() prints it.  Bytes
 * that do not decode give the decoder's error (ORTH_E_MALFORMED,
 * ORTH_E_TRUNCATED, ORTH_E_TRAILING, ORTH_E_LIMIT, ORTH_E_RANGE), which
 * proto_err_to_krb() maps to KRB_ERR_GENERIC.  Never a crash: the input is
 * hostile.
 *
 * Memory: messages, names and authorization data live in the caller's
 * arena (wiped on reset: plaintext may hold keys).  Keys returned in
 * struct apreq_result are crypto_key objects owned by it and released
 * (wiped) by apreq_result_free().
 */
#ifndef ORTHRUS_PROTO_APCHECK_H
#define ORTHRUS_PROTO_APCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/err.h"
#include "crypto/crypto.h"
#include "proto/principal.h"

/* RFC 4120 §1.6 and MIT's clockskew default. */
#define APREQ_DEFAULT_SKEW 300

/*
 * The key source: decrypt t, the ticket of an AP-REQ for server (the
 * ticket's sname@realm; server_name its text form), with the server's
 * long-term key of the ticket's enctype and kvno (any kvno, newest first,
 * when the ticket names none), usage 2, into *out (memory from a).
 * *kvno_out and *enctype_out: the key that worked.  Refusals:
 * KRB_AP_ERR_NOKEY (no key of that principal and enctype),
 * KRB_AP_ERR_BADKEYVER (not of that kvno), KRB_AP_ERR_BAD_INTEGRITY (does
 * not decrypt); on a refusal a one-line detail (no secrets) may be written
 * to errbuf (errcap bytes, NUL-terminated; errbuf may be NULL).
 */
typedef orth_err (*apreq_ticket_fn)(void *arg, const Ticket *t,
				    const struct principal *server, const char *server_name,
				    struct arena *a, EncTicketPart *out, uint32_t *kvno_out,
				    int32_t *enctype_out, char *errbuf, size_t errcap);

/* One authenticator, as a replay cache remembers it: client and server
 * are unparsed principal names, tag the authenticator's ciphertext. */
struct apreq_replay_id {
	const char *client;
	const char *server;
	int64_t ctime;
	int32_t cusec;
	const uint8_t *tag;
	size_t tag_len;
};

/*
 * The replay cache: remember id until id->ctime + skew unless it is
 * remembered already.  ORTH_OK (new), ORTH_E_REPLAY (seen), ORTH_E_SKEW
 * (ctime outside now +/- skew), ORTH_E_POLICY (the client is over its
 * quota), ORTH_E_LIMIT (no room): the last two are answered
 * KDC_ERR_SVC_UNAVAILABLE (src/proto/replay_table.h says why).
 */
typedef orth_err (*apreq_replay_fn)(void *arg, const struct apreq_replay_id *id,
				    int64_t skew, int64_t now);

struct apreq_check_params {
	apreq_ticket_fn ticket_decrypt;   /* required */
	void *ticket_arg;
	/* NULL disables replay detection, which only tests and one-shot
	 * tools should do. */
	apreq_replay_fn replay_put;
	void *replay_arg;
	/* The service the ticket must be for (KRB_AP_ERR_NOT_US otherwise);
	 * NULL accepts any principal the key source has a key for. */
	const struct principal *server;
	int32_t skew;             /* seconds; 0: APREQ_DEFAULT_SKEW */
	int64_t now;              /* 0: the clock (tests and the KDC set it) */
	/* When cksum_data is not NULL the authenticator must carry a keyed
	 * checksum (usage 10) over these bytes: missing or unkeyed ->
	 * KRB_AP_ERR_INAPP_CKSUM, wrong -> KRB_AP_ERR_MODIFIED. */
	const uint8_t *cksum_data;
	size_t cksum_len;
	/* Optional: on failure a one-line detail (which principal, kvno,
	 * enctype) is written here, NUL-terminated. Never holds secrets. */
	char *errbuf;
	size_t errcap;
};

/* What a checked AP-REQ says.  Names and authorization data live in the
 * arena passed to apreq_check; keys are owned (apreq_result_free). */
struct apreq_result {
	struct principal client;       /* cname@crealm of the ticket */
	const char *client_name;       /* its text form */
	struct principal server;       /* sname@realm of the ticket */
	const char *server_name;
	uint32_t kvno;                 /* of the service key used */
	int32_t enctype;               /* of the service key used */
	struct crypto_key *session_key;
	struct crypto_key *subkey;     /* authenticator subkey, or NULL */
	bool has_seq;
	uint32_t seq_number;
	uint32_t ap_options;
	uint32_t ticket_flags;
	int64_t authtime, starttime, endtime, renew_till; /* 0 when absent */
	int64_t ctime;                 /* the authenticator's (for the AP-REP) */
	int32_t cusec;
	const Checksum *cksum;         /* authenticator checksum, or NULL */
	const AuthorizationData *ticket_authz;  /* or NULL */
	const AuthorizationData *authn_authz;   /* authenticator's, or NULL */
	const HostAddresses *caddr;    /* ticket addresses (not checked), or NULL */
};

/*
 * Check the AP-REQ in buf (RFC 4120 §3.2.3).  In order:
 *  - it decodes as AP-REQ (KRB_AP_ERR_MSG_TYPE for another message),
 *    pvno and tkt-vno are 5 (KRB_AP_ERR_BADVERSION);
 *  - user-to-user (use-session-key) is not supported: KRB_AP_ERR_NOKEY;
 *  - the ticket is for p->server when given (KRB_AP_ERR_NOT_US);
 *  - the key source decrypts the ticket (its refusals, above);
 *  - the authenticator decrypts with the session key (usage 11)
 *    (KRB_AP_ERR_BAD_INTEGRITY), authenticator-vno 5 (BADVERSION);
 *  - its cname@crealm is the ticket's (KRB_AP_ERR_BADMATCH);
 *  - the checksum, when p->cksum_data asks for one (see above);
 *  - |ctime - now| <= skew (KRB_AP_ERR_SKEW);
 *  - the ticket is valid: not INVALID and starttime (or authtime) - skew
 *    <= now (KRB_AP_ERR_TKT_NYV), now - skew <= endtime
 *    (KRB_AP_ERR_TKT_EXPIRED);
 *  - no unchecked transited path (KRB_AP_PATH_NOT_ACCEPTED);
 *  - the authenticator was not seen before (KRB_AP_ERR_REPEAT); it is
 *    remembered only once everything else passed, so forged or refused
 *    requests cannot fill the cache.  A full cache, or a client over
 *    its quota in it, refuses: KDC_ERR_SVC_UNAVAILABLE.
 * Ticket addresses are not checked (MIT ignores them unless configured).
 * On success *out is filled (release with apreq_result_free()); on error
 * it is untouched.
 */
orth_err apreq_check(const struct apreq_check_params *p, const uint8_t *buf,
		     size_t len, struct arena *a, struct apreq_result *out)
	ORTH_MUST_CHECK;

void apreq_result_free(struct apreq_result *r);

/*
 * Build the AP-REP (RFC 4120 §5.5.2) answering the checked request r:
 * EncAPRepPart {ctime, cusec of r, subkey (may be NULL), seq_number (may be
 * NULL)} sealed in r's session key with usage 12.  *out in the arena.
 */
orth_err aprep_encode(struct apreq_result *r, struct crypto_key *subkey,
		      const uint32_t *seq_number, struct arena *a,
		      uint8_t **out, size_t *out_len);

/* A printable message for e: proto_err_str() (krberr.h's table: "Ticket
 * expired" for KRB_AP_ERR_TKT_EXPIRED), else orth_err_str(e).  Never NULL. */
const char *apreq_err_str(orth_err e);

#endif
