/*
 * fast.h - the pieces of FAST (RFC 6113) that the KDC and the client
 * share: the keys built with KRB-FX-CF2 (src/crypto; armor key, strengthened
 * reply key, encrypted-challenge keys), the encodings of PA-FX-FAST, the
 * KrbFastResponse sealed in the armor key, the finished checksum, and the
 * RFC 6806 §11 PA-REQ-ENC-PA-REP checksum.
 *
 * Keys returned are the caller's (crypto_key_free()); everything else
 * lives in the caller's arena.  Decoders are strict DER (asn1.h) and
 * return the decoder's errors for bytes that do not parse.
 */
#ifndef ORTHRUS_PROTO_FAST_H
#define ORTHRUS_PROTO_FAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "crypto/crypto.h"

/* The peppers of RFC 6113 (§5.4.1.1 armor key, §5.4.3 strengthened
 * reply key, §5.4.6 encrypted challenge) and MIT's TGS armor (§5.4.1.1
 * leaves the TGS's implicit armor to the same construction). */
#define FAST_PEPPER_SUBKEY "subkeyarmor"
#define FAST_PEPPER_TICKET "ticketarmor"
#define FAST_PEPPER_STRENGTHEN "strengthenkey"
#define FAST_PEPPER_REPLY "replykey"
#define FAST_PEPPER_CLIENT_CHALLENGE "clientchallengearmor"
#define FAST_PEPPER_KDC_CHALLENGE "kdcchallengearmor"
#define FAST_PEPPER_LONGTERM "challengelongterm"

/* The keys below are KRB-FX-CF2 (RFC 6113 §5.1) of src/crypto
 * (crypto_key_cf2()): each has the first key's enctype. */

/* RFC 6113 §5.4.1.1: the armor key of an AP-REQ armor (subkey: the
 * authenticator's subkey, session: the ticket's session key); also the
 * TGS's implicit armor (the TGS-REQ's subkey and the TGT's session key). */
orth_err proto_fast_armor_key(struct crypto_key *subkey, struct crypto_key *session,
			      struct crypto_key **out);

/* RFC 6113 §5.4.3: the reply key strengthened with the KDC's strengthen
 * key. */
orth_err proto_fast_reply_key(struct crypto_key *strengthen, struct crypto_key *reply_key,
			      struct crypto_key **out);

/* RFC 6113 §5.4.6: the client's (kdc false) or the KDC's (kdc true)
 * challenge key from the armor key and the client's long-term key. */
orth_err proto_enc_challenge_key(struct crypto_key *armor, struct crypto_key *longterm,
				 bool kdc, struct crypto_key **out);

/*
 * PA-FX-FAST's value (RFC 6113 §5.4.1, §5.4.3): the CHOICE
 * `armored-data [0]`, that is the context tag [0] around
 * KrbFastArmoredReq (request) or KrbFastArmoredRep (reply).  Decoding
 * refuses any other tag, a non-minimal length and trailing bytes
 * (ORTH_E_MALFORMED, ORTH_E_TRUNCATED, ORTH_E_TRAILING), then the inner
 * value's own errors.
 */
orth_err proto_fast_req_decode(const uint8_t *buf, size_t len, struct arena *a,
			       KrbFastArmoredReq *out);
orth_err proto_fast_req_encode(const KrbFastArmoredReq *v, struct arena *a,
			       struct der_bytes *out);
orth_err proto_fast_rep_decode(const uint8_t *buf, size_t len, struct arena *a,
			       KrbFastArmoredRep *out);
orth_err proto_fast_rep_encode(const KrbFastArmoredRep *v, struct arena *a,
			       struct der_bytes *out);

/* A KrbFastResponse sealed in the armor key (usage 52) as the value of a
 * PA-FX-FAST (KDC side). */
orth_err proto_fast_response_seal(struct crypto_key *armor, const KrbFastResponse *resp,
				  struct arena *a, struct der_bytes *out);
/* Its inverse (client side): ORTH_E_INTEGRITY when it does not decrypt
 * under armor; decoder errors. */
orth_err proto_fast_response_open(struct crypto_key *armor, const uint8_t *buf, size_t len,
				  struct arena *a, KrbFastResponse *out) ORTH_MUST_CHECK;

/* RFC 6113 §5.4.3 KrbFastFinished.ticket-checksum: a keyed checksum of
 * the armor key's type over the ticket's DER (usage 53). */
orth_err proto_fast_ticket_checksum(struct crypto_key *armor, const uint8_t *ticket,
				    size_t len, struct arena *a, Checksum *out);

/*
 * RFC 6806 §11: the value of PA-REQ-ENC-PA-REP in the encrypted part of
 * the AS-REP: the DER Checksum, keyed with the AS reply key (usage 56),
 * over the whole AS-REQ as the KDC received it.
 */
orth_err proto_req_enc_pa_rep_make(struct crypto_key *reply_key, const uint8_t *req,
				   size_t req_len, struct arena *a, struct der_bytes *out);
/* Check it against the AS-REQ the client sent: ORTH_E_INTEGRITY when it
 * does not verify (the request was changed in transit), decoder and
 * checksum-type errors. */
orth_err proto_req_enc_pa_rep_verify(struct crypto_key *reply_key, const uint8_t *req,
				     size_t req_len, const struct der_bytes *value,
				     struct arena *a) ORTH_MUST_CHECK;

#endif
