/*
 * fast.h - the KDC side of FAST (RFC 6113 §5.4): the armored tunnel
 * around the AS and TGS exchanges, and PA-FX-COOKIE (§5.2), the state a
 * multi-round pre-authentication mechanism keeps in the client between
 * rounds.  Private to src/kdc.
 *
 * A request with PA-FX-FAST is unwrapped before anything else looks at
 * it: the armor key comes from the armor (AS: an AP-REQ armor for our
 * krbtgt, as `kinit -T` sends it; TGS: the implicit armor of the TGT's
 * session key and the authenticator's subkey, as MIT's library sends
 * with every TGS-REQ), the request checksum is verified, and the inner
 * KrbFastReq replaces the outer body and padata.  From then on r->fast
 * is set, and every answer goes through the tunnel: the KDC-REP carries
 * a KrbFastResponse (strengthen key, finished checksum over the ticket)
 * in its PA-FX-FAST, and the reply key is strengthened (reply.c); a
 * KRB-ERROR carries the real error as PA-FX-ERROR inside a
 * KrbFastResponse, its e-data padata with it (kdc_fast_error_wrap()).
 *
 * Errors before the armor key exists cannot go through the tunnel and
 * are plain (as MIT's KDC): a malformed PA-FX-FAST or armor, a bad
 * checksum.
 */
#ifndef ORTHRUS_KDC_FAST_H
#define ORTHRUS_KDC_FAST_H

#include <stdbool.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "crypto/crypto.h"
#include "proto/krberr.h"

struct kdc_ctx;
struct kdc_req;

/* The FAST state of one request (arena memory, keys request-owned). */
struct kdc_fast {
	struct crypto_key *armor_key;
	uint32_t options;            /* FastOptions of the KrbFastReq */
	uint32_t nonce;              /* of the inner body: KrbFastResponse.nonce */
	const KDC_REQ_BODY *body;    /* the inner request body */
	const METHOD_DATA *padata;   /* the inner padata */
};

/*
 * An AS-REQ: when q has PA-FX-FAST, check its AP-REQ armor (a ticket for
 * krbtgt/REALM with an authenticator subkey), derive the armor key,
 * verify the checksum over the outer KDC-REQ-BODY (as received), decrypt
 * and decode the KrbFastReq.  *out: NULL without PA-FX-FAST, else the
 * state (also set in r->fast).  Refusals (ORTH_E_KRB with r's e-text),
 * plain: KDC_ERR_PREAUTH_FAILED (no or unknown armor, undecodable FAST or
 * KrbFastReq), the AP-REQ's own errors (apcheck.h), KDC_ERR_POLICY (armor
 * without subkey, unkeyed checksum), KRB_AP_ERR_MODIFIED (checksum);
 * through the tunnel: KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS.
 */
orth_err kdc_fast_as_unwrap(struct kdc_ctx *ctx, struct kdc_req *r, const KDC_REQ *q,
			    struct kdc_fast **out);

/*
 * A TGS-REQ whose PA-TGS-REQ verified: the implicit armor (RFC 6113
 * §5.4.1.1: KRB-FX-CF2 of the authenticator subkey and the TGT's session
 * key); the checksum covers the PA-TGS-REQ's value (ap_req_der).
 * subkey NULL, or an explicit armor, is KDC_ERR_PREAUTH_FAILED (as MIT's
 * KDC).  Otherwise as kdc_fast_as_unwrap().
 */
orth_err kdc_fast_tgs_unwrap(struct kdc_ctx *ctx, struct kdc_req *r, const KDC_REQ *q,
			     const struct der_bytes *ap_req_der, struct crypto_key *subkey,
			     struct crypto_key *session, struct kdc_fast **out);

/* RFC 6113 §5.4.1 hide-client-names: replies name the client
 * WELLKNOWN/ANONYMOUS@WELLKNOWN:ANONYMOUS outside the tunnel. */
bool kdc_fast_hide_client(const struct kdc_fast *f);
/* That name (arena). */
orth_err kdc_fast_anonymous(struct kdc_ctx *ctx, const PrincipalName **pn_out,
			    const char **realm_out);

/*
 * The KRB-ERROR e (whose e-data is replaced) through r->fast's tunnel
 * (RFC 6113 §5.4.3): e-data becomes METHOD-DATA { PA-FX-FAST } with a
 * KrbFastResponse holding padata (may be NULL) followed by PA-FX-ERROR,
 * the error itself without e-data.
 */
orth_err kdc_fast_error_wrap(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
			     struct proto_error *e);

/* ---- PA-FX-COOKIE ---- */

/* RFC 4120 §7.5.1 leaves key usages 512-1023 to implementations; MIT's
 * KDC seals its cookies with 513 too (a different key and format). */
#define KDC_KU_FX_COOKIE 513
/* How long a round's state stays valid (MIT's KDC: ten minutes too). */
#define KDC_COOKIE_LIFETIME 600
/* Its value starts with this, then the DER EncryptedData. */
#define KDC_COOKIE_MAGIC "ORT1"

/*
 * The PA-FX-COOKIE of padata, when it is one of ours: the mechanisms'
 * states it carries (*state_out; NULL when padata has no cookie or one
 * another KDC made - ignored, as MIT's KDC ignores cookies it did not
 * make).  Refusals: KDC_ERR_PREAUTH_FAILED for a cookie that does not
 * open for this client (another client's, forged, damaged),
 * KDC_ERR_PREAUTH_EXPIRED for an expired one (MIT's client starts over).
 */
orth_err kdc_fast_cookie_open(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
			      const PrincipalName *cname, const char *crealm,
			      const METHOD_DATA **state_out);

/*
 * A PA-FX-COOKIE for the client cname@crealm carrying state, valid for
 * KDC_COOKIE_LIFETIME seconds from r->now.
 *
 * The key: KRB-FX-CF2-style PRF+ of the realm's current krbtgt key (its
 * strongest enctype) over "orthrus-fx-cookie:" and the client's name.
 * Derived from the krbtgt key, not a random per-process key, so that the
 * KDC stays stateless across processes: a second round that reaches
 * another KDC of the realm (they share the database) or the same KDC
 * after a restart still opens its cookie, and the fuzzer's fixed keys
 * reach valid cookies by mutation.  It adds no exposure (whoever has the
 * krbtgt key forges tickets anyway) and the label keeps it a key of its
 * own.  Bound to the client twice: by the key (another client's cookie
 * does not decrypt) and by the name inside it.  The krbtgt kvno travels
 * in the EncryptedData, so a cookie made just before a key change still
 * opens.
 */
orth_err kdc_fast_cookie_make(struct kdc_ctx *ctx, struct kdc_req *r, const PrincipalName *cname,
			      const char *crealm, const METHOD_DATA *state, PA_DATA *out);

#endif
