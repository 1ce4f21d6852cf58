/*
 * preauth.h - the KDC's pre-authentication mechanisms as one table
 * (RFC 4120 §5.2.7, RFC 6113 §3), with FAST (kdc/fast.h) as the tunnel
 * around them.  Private to src/kdc.
 *
 * The AS exchange (as.c) calls kdc_preauth_run() once the client and the
 * server are known and allowed; it gets back the reply key and what the
 * reply carries, or a refusal already recorded in the request (r): the
 * error code, its e-text, and the e-data padata (r->e_padata) that
 * kdc.c's error writer sends (through the FAST tunnel when there is one).
 *
 * What the driver (preauth.c) decides, so that no mechanism has to:
 *   - FAST required (the client's requires-fast attribute or the realm's
 *     requires_fast) and no armor: KDC_ERR_PREAUTH_REQUIRED whose
 *     METHOD-DATA offers PA-FX-FAST alone (RFC 6113 has no error of its
 *     own for it; this is what Windows KDCs answer, MS-KILE, and a client
 *     holding an armor upgrades, MIT's does);
 *   - which mechanism runs: the first PA-DATA of the request (the inner
 *     one under FAST) whose type a usable mechanism of the table has; a
 *     mechanism marked KDC_PA_FAST_ONLY is usable only inside the tunnel,
 *     one the realm turned off (its enabled callback) nowhere: a request
 *     carrying only such padata is a request without pre-authentication;
 *   - the PA-FX-COOKIE: opened before the mechanism runs (a cookie from
 *     another client or an expired one is refused, fast.h), the
 *     mechanism's own state handed to it, its new state sealed into the
 *     cookie of the error it answers with;
 *   - lockout (lockout.h): a KDC_PA_FAILED verdict is counted, a
 *     KDC_PA_VERIFIED one resets the count, whatever the mechanism;
 *   - no pre-authentication padata: the client's long-term key of the
 *     negotiated enctype is the reply key, unless the client requires
 *     pre-authentication; then KDC_ERR_PREAUTH_REQUIRED with the hints:
 *     PA-FX-FAST (RFC 6113 §5.4.2: FAST is offered), PA-ETYPE-INFO2, and
 *     what each usable mechanism offers (its offer callback).
 *
 * A mechanism is a struct kdc_preauth_mech.  A multi-round one (SPAKE,
 * RFC 9588) works like this through the table:
 *   round 1  no padata of its type: offer() adds its hint (an empty
 *            PA-SPAKE, or a challenge at once) and may return state;
 *   round 2  verify() with the client's first message and the state of
 *            the cookie: KDC_PA_CONTINUE with the next message in
 *            out->padata and the state to keep in out->state (the driver
 *            answers KDC_ERR_MORE_PREAUTH_DATA_REQUIRED with both);
 *   round 3  verify() with the response and its state: KDC_PA_VERIFIED
 *            with the reply key it derived (out->reply_key_replaced) and
 *            the padata the AS-REP carries; or KDC_PA_FAILED.
 * The KDC keeps nothing between rounds: everything is in the cookie.
 */
#ifndef ORTHRUS_KDC_PREAUTH_H
#define ORTHRUS_KDC_PREAUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "crypto/crypto.h"
#include "db/db.h"

struct kdc_ctx;
struct kdc_req;
struct kdc_fast;

/* PA-DATA a mechanism may add in one answer (an offer, a round, the
 * reply): enough for a message and its key information. */
#define KDC_PREAUTH_MAX_PADATA 4

/* What a mechanism sees: read-only for it. */
struct kdc_preauth_req {
	struct kdc_ctx *ctx;          /* the worker: ctx->a, kdc_key_get() */
	struct kdc_req *r;            /* r->now, r->usec: the KDC's clock */
	/* The request: under FAST the inner KrbFastReq's body and padata. */
	const KDC_REQ_BODY *body;
	/* body's DER as received (under FAST: as decrypted), what a
	 * transcript hash covers (RFC 9588 §5.3's KDC-REQ-BODY). */
	const struct der_bytes *body_der;
	const METHOD_DATA *padata;
	const struct db_entry *client;
	/* The enctype of the client's long-term key the reply would use (the
	 * first of the request's list that the client has and the realm
	 * allows, RFC 4120 §3.1.3); its key info, for ETYPE-INFO2. */
	int32_t etype;
	const struct db_key *key_info;
	/* The FAST armor key (RFC 6113 §5.4.1.1); NULL without FAST. */
	struct crypto_key *armor_key;
};

enum kdc_preauth_verdict {
	KDC_PA_VERIFIED = 1, /* the client proved its key: reply key set */
	KDC_PA_FAILED,       /* a wrong key (password): counted, KDC_ERR_PREAUTH_FAILED */
	KDC_PA_CONTINUE,     /* another round: KDC_ERR_MORE_PREAUTH_DATA_REQUIRED */
	KDC_PA_REFUSED,      /* anything else: `error` with `why` (malformed, skew...) */
};

/* What a mechanism returns (zeroed by the driver before each call). */
struct kdc_preauth_out {
	enum kdc_preauth_verdict verdict;
	int32_t error;                /* KDC_PA_REFUSED: the RFC 4120 §7.5.9 code */
	const char *why;              /* e-text (static or arena); NULL: a default */
	/* KDC_PA_VERIFIED: the reply key, borrowed until the end of the
	 * request (kdc_key_get() or kdc_key_keep()), its key info for the
	 * reply's ETYPE-INFO2 (NULL when reply_key_replaced). */
	struct crypto_key *reply_key;
	const struct db_key *reply_key_info;
	/* RFC 6113 §3: the mechanism replaced the reply key (SPAKE's
	 * K'[0]) instead of proving the long-term one: no ETYPE-INFO2 in the
	 * reply then. */
	bool reply_key_replaced;
	/* Flags the ticket gets (TKT_FLG_PRE_AUTH; a hardware mechanism
	 * TKT_FLG_HW_AUTH too). */
	uint32_t ticket_flags;
	/* PA-DATA to send: in the AS-REP (VERIFIED; under FAST inside the
	 * KrbFastResponse), or in the error's METHOD-DATA (offer, CONTINUE,
	 * FAILED, REFUSED).  Arena memory. */
	PA_DATA padata[KDC_PREAUTH_MAX_PADATA];
	size_t npadata;
	/* offer, CONTINUE: what the next round gets back as `state`
	 * (through PA-FX-COOKIE); len 0: nothing.  Arena memory. */
	struct der_bytes state;
};

struct kdc_preauth_mech {
	const char *name;             /* for the log: "encrypted-challenge" */
	int32_t pa_type;              /* its PA-DATA type (RFC 4120 §7.5.2) */
	unsigned flags;               /* KDC_PA_* below */
	/*
	 * The hint for KDC_ERR_PREAUTH_REQUIRED: add padata (none: not
	 * offered to this client) and maybe state.  NULL: offer an empty
	 * PA-DATA of pa_type.  Errors end the request (internal).
	 */
	orth_err (*offer)(const struct kdc_preauth_req *q, struct kdc_preauth_out *out);
	/*
	 * Check pa (of pa_type) from the request; state: what this
	 * mechanism kept in the cookie of the previous round (NULL: none or
	 * no cookie).  Sets out->verdict; returns ORTH_OK, or an internal
	 * error (database, arena) that ends the request.
	 */
	orth_err (*verify)(const struct kdc_preauth_req *q, const PA_DATA *pa,
			   const struct der_bytes *state, struct kdc_preauth_out *out);
	/*
	 * False when the realm has turned the mechanism off: then it is
	 * neither offered nor run, its padata ignored as a type the KDC
	 * does not take (RFC 4120 §3.1.2).  NULL: always on.
	 */
	bool (*enabled)(const struct kdc_preauth_req *q);
};

#define KDC_PA_FAST_ONLY 0x1   /* usable (and offered) only inside FAST */
#define KDC_PA_NOT_IN_FAST 0x2 /* not offered inside FAST (still accepted) */
/* Inside FAST, the AS-REP after this mechanism has no strengthen key
 * (RFC 6113 §5.4.3: optional for AS): see encts.c. */
#define KDC_PA_FAST_UNSTRENGTHENED 0x4

/* The table's entries (one file each). */
extern const struct kdc_preauth_mech kdc_preauth_enc_timestamp;
extern const struct kdc_preauth_mech kdc_preauth_enc_challenge;
extern const struct kdc_preauth_mech kdc_preauth_spake;

/* The outcome for the AS-REP. */
struct kdc_preauth_result {
	bool preauth;                 /* a mechanism verified the client */
	const char *mech;             /* its name, or NULL */
	struct crypto_key *reply_key; /* borrowed until the end of the request */
	const struct db_key *reply_key_info; /* for ETYPE-INFO2; NULL: none */
	uint32_t ticket_flags;
	METHOD_DATA padata;           /* the mechanism's reply padata (arena) */
	bool unstrengthened;          /* KDC_PA_FAST_UNSTRENGTHENED mechanism */
};

/*
 * Pre-authenticate the AS request q describes (q->ctx .. q->armor_key
 * filled; q->etype >= 0 and q->key_info its key).  requires_fast: the
 * client or the realm requires FAST.  ORTH_OK with *res filled, or
 * ORTH_E_KRB(code) with r's e-text and e-padata set, or an internal
 * error.
 */
orth_err kdc_preauth_run(const struct kdc_preauth_req *q, bool requires_fast,
			 struct kdc_preauth_result *res);

/* RFC 4120 §5.2.7.5: PA-ETYPE-INFO2 with one entry for info of etype
 * (the salt always; s2kparams when not the enctype's default). */
orth_err kdc_preauth_etype_info2(struct kdc_ctx *ctx, const struct db_key *info,
				 int32_t etype, PA_DATA *out);

/*
 * Helper for the timestamp mechanisms (RFC 4120 §5.2.7.2, RFC 6113
 * §5.4.6): ts opened with the client's long-term key ckey (info).  Within
 * the KDC's clock skew: KDC_PA_VERIFIED with ckey as the reply key;
 * otherwise KDC_PA_REFUSED with KRB_AP_ERR_SKEW and skew_why.  The skew
 * goes to the request's record either way.  Returns whether verified.
 */
bool kdc_preauth_timestamp_check(const struct kdc_preauth_req *q, const PA_ENC_TS_ENC *ts,
				 struct crypto_key *ckey, const struct db_key *info,
				 const char *skew_why, struct kdc_preauth_out *out);

/* Helper for mechanisms: append a PA-DATA of type with value (copied
 * pointer, arena memory; NULL/0 for an empty one).  ORTH_E_LIMIT past
 * KDC_PREAUTH_MAX_PADATA. */
orth_err kdc_preauth_padata_add(struct kdc_preauth_out *out, int32_t type,
				uint8_t *value, size_t len);

#endif
