/*
 * apreq.h - the application exchange of RFC 4120 §3.2: build an AP-REQ from
 * a credential (client side), verify it against the service's keytab
 * (server side), build the AP-REP for mutual authentication, and check that
 * AP-REP (client side).  This is what a server links to accept Kerberos
 * logins, and what a client uses to present a service ticket.
 *
 * The checks of a received AP-REQ, struct apreq_result, the AP-REP and
 * apreq_err_str() are src/proto/apcheck.h's (shared with the KDC's own
 * services); here the key source is a keytab and the replay cache an
 * rcache.
 *
 * Errors: every refusal of the protocol is ORTH_E_KRB(code) with the
 * RFC 4120 §7.5.9 code (KRB_AP_ERR_*); apreq_err_str() prints it.  Bytes
 * that do not decode give the decoder's error (ORTH_E_MALFORMED,
 * ORTH_E_TRUNCATED, ORTH_E_TRAILING, ORTH_E_LIMIT, ORTH_E_RANGE), which
 * proto_err_to_krb() maps to KRB_ERR_GENERIC.  Never a crash: the input is
 * hostile.
 *
 * Memory: messages, names and authorization data live in the caller's
 * arena (struct arena, wiped on reset: plaintext may hold keys).  Keys
 * returned in result structs are struct crypto_key objects owned by that
 * struct and released (wiped) by its *_free function.
 */
#ifndef ORTHRUS_CLIENT_APREQ_H
#define ORTHRUS_CLIENT_APREQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/err.h"
#include "client/keytab.h"
#include "client/rcache.h"
#include "crypto/crypto.h"
#include "proto/apcheck.h"
#include "proto/principal.h"

/* ---- client side: build an AP-REQ ---- */

struct apreq_opts {
	uint32_t ap_options;      /* AP_OPT_MUTUAL_REQUIRED, ... (krb5_const.h) */
	bool subkey;              /* add a fresh random subkey (session key's enctype) */
	bool seq_number;          /* add a random initial sequence number */
	/* A keyed checksum (usage 10, session key) over these bytes, when
	 * cksum_data is not NULL (RFC 4120 §5.5.1 "application data"). */
	const uint8_t *cksum_data;
	size_t cksum_len;
	/* Or a ready checksum used as is (e.g. RFC 4121's 0x8003); ignored
	 * when cksum_data is set. */
	const Checksum *cksum;
	const AuthorizationData *authz; /* authenticator authorization-data */
	int32_t time_offset;      /* KDC clock minus ours, seconds (ccache header) */
	int64_t now;              /* 0: the clock; else ctime (for tests) */
};

/* What the client keeps to check the AP-REP.  Owns its keys. */
struct apreq_state {
	int64_t ctime;
	int32_t cusec;
	struct crypto_key *session_key;  /* a copy of the ticket session key */
	struct crypto_key *subkey;       /* the authenticator subkey, or NULL */
	bool has_seq;
	uint32_t seq_number;
};

/*
 * Build an AP-REQ (RFC 4120 §5.5.1) presenting ticket (a DER Ticket, as a
 * ccache stores it) with an authenticator (usage 11) for client sealed in
 * session_key.  opts may be NULL (no options, no subkey, no checksum).
 * *out (arena) / *out_len set on success; state_out (may be NULL) filled
 * on success, release with apreq_state_free().
 * Errors: decoder errors for a bad ticket, ORTH_E_BADNAME, ORTH_E_LIMIT
 * (arena), crypto errors.
 */
orth_err apreq_encode(const uint8_t *ticket, size_t ticket_len,
		      struct crypto_key *session_key,
		      const struct principal *client,
		      const struct apreq_opts *opts, struct arena *a,
		      uint8_t **out, size_t *out_len,
		      struct apreq_state *state_out);

void apreq_state_free(struct apreq_state *st);

/* ---- server side: verify an AP-REQ ---- */

struct apreq_verify_params {
	/* The service keytab (borrowed): the key is the entry whose
	 * principal is the ticket's sname@realm, enctype the ticket's
	 * enc-part etype and kvno the ticket's kvno (any kvno, newest first,
	 * when the ticket names none). */
	const struct keytab_entry *keys;
	size_t nkeys;
	/* The service the ticket must be for (KRB_AP_ERR_NOT_US otherwise);
	 * NULL accepts any principal that has a key in keys. */
	const struct principal *server;
	/* Replay cache (borrowed); NULL disables replay detection, which
	 * only tests and one-shot tools should do. */
	struct rcache *rcache;
	int32_t skew;             /* seconds; 0: APREQ_DEFAULT_SKEW */
	int64_t now;              /* 0: the clock (tests set a time) */
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

/*
 * Verify the AP-REQ in buf (RFC 4120 §3.2.3): apreq_check() (every check
 * listed there) with p's keytab as the key source - the key is the entry
 * whose principal is the ticket's sname@realm, enctype the ticket's
 * enc-part etype and kvno the ticket's kvno (any kvno, newest first, when
 * the ticket names none): KRB_AP_ERR_NOKEY when the keytab has no key of
 * that principal and enctype, KRB_AP_ERR_BADKEYVER when not of that kvno -
 * and p->rcache as the replay cache.  On success *out is filled (release
 * with apreq_result_free()); on error it is untouched.
 */
orth_err apreq_verify(const struct apreq_verify_params *p, const uint8_t *buf,
		      size_t len, struct arena *a, struct apreq_result *out)
	ORTH_MUST_CHECK;

/* ---- mutual authentication: the AP-REP (aprep_encode: apcheck.h) ---- */

struct aprep_result {
	struct crypto_key *subkey;     /* the server's subkey, or NULL */
	bool has_seq;
	uint32_t seq_number;
};

/*
 * Check an AP-REP against the request state st: it decrypts with the
 * session key (usage 12; KRB_AP_ERR_BAD_INTEGRITY) and repeats our ctime
 * and cusec (KRB_AP_ERR_MUT_FAIL).  A KRB-ERROR instead of the AP-REP
 * gives ORTH_E_KRB(its error-code).  *out: aprep_result_free().
 */
orth_err aprep_verify(struct apreq_state *st, const uint8_t *buf, size_t len,
		      struct arena *a, struct aprep_result *out)
	ORTH_MUST_CHECK;

void aprep_result_free(struct aprep_result *r);

#endif
