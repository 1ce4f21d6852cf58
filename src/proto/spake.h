/*
 * spake.h - SPAKE pre-authentication (RFC 9588): the PA-SPAKE messages, the
 * transcript hash, w and the keys K'[n], the second factor SF-NONE, and both
 * sides of the exchange as functions of their inputs.  No I/O, no
 * configuration, no state kept between calls: the KDC's state between two
 * rounds is a struct spake_kdc_state that the caller serializes into its
 * PA-FX-COOKIE (RFC 9588 §3.2, RFC 6113 §5.2), the client's a struct
 * spake_client_state that it keeps for the length of one AS exchange.
 *
 * The exchange MIT's kinit runs against a KDC that offers SPAKE (RFC 9588
 * §4.1-4.3, SF-NONE only):
 *
 *   KDC     KDC_ERR_PREAUTH_REQUIRED, METHOD-DATA holding a PA-SPAKE with
 *           an empty padata-value (SPAKE is offered) and PA-ETYPE-INFO2
 *   client  AS-REQ + PA-SPAKE support {groups it accepts}
 *   KDC     KDC_ERR_MORE_PREAUTH_DATA_REQUIRED, METHOD-DATA holding
 *           PA-SPAKE challenge {group, T, factors [SF-NONE]} and the
 *           PA-FX-COOKIE with the state: spake_kdc_process()
 *   client  AS-REQ + PA-SPAKE response {S, SF-NONE under K'[1]} + the
 *           cookie: spake_client_process()
 *   KDC     AS-REP whose reply key is K'[0], ticket flagged pre-authent:
 *           spake_kdc_process() again, with the state from the cookie
 *
 * A KDC may also send the challenge at once in PREAUTH_REQUIRED (RFC 9588
 * §4.6, an "optimistic" challenge: spake_kdc_challenge() without a support
 * message); the client answers it or, in a group it does not accept,
 * sends its support message.
 *
 * Keys: ikey is the initial reply key, the client's long-term key of the
 * enctype the KDC announced in PA-ETYPE-INFO2.  Every struct crypto_key
 * returned is owned by the caller (crypto_key_free).  Byte outputs come from
 * the caller's arena.
 */
#ifndef ORTHRUS_PROTO_SPAKE_H
#define ORTHRUS_PROTO_SPAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/err.h"
#include "base/writer.h"
#include "crypto/crypto.h"
#include "crypto/spake_group.h"

/* RFC 9588 §11 assigned constants. */
#define SPAKE_PADATA_TYPE 151 /* PA-SPAKE */
#define SPAKE_KEY_USAGE 65    /* KEY_USAGE_SPAKE: every SPAKE EncryptedData */
#define SPAKE_SF_NONE 1       /* second factor "none" (RFC 9588 §8.1) */

/* Group numbers (RFC 9588 §12 registry). */
#define SPAKE_GROUP_EDWARDS25519 CRYPTO_SPAKE_EDWARDS25519
#define SPAKE_GROUP_P256 CRYPTO_SPAKE_P256

/* Groups in a support message we build or in a list of allowed groups. */
#define SPAKE_MAX_GROUPS 8
/* The largest support message we build: [0] { SEQ { [0] { SEQ OF INTEGER
 * } } } with SPAKE_MAX_GROUPS 4-byte integers. */
#define SPAKE_SUPPORT_MAX 64

/* ---- messages (RFC 9588 §4, Appendix A) -------------------------------- */

/* The alternatives of PA-SPAKE; the value is the CHOICE's tag. */
enum spake_msg_kind {
	SPAKE_MSG_SUPPORT = 0,
	SPAKE_MSG_CHALLENGE = 1,
	SPAKE_MSG_RESPONSE = 2,
	SPAKE_MSG_ENCDATA = 3,
};

struct spake_msg {
	enum spake_msg_kind kind;
	union {
		SPAKESupport support;
		SPAKEChallenge challenge;
		SPAKEResponse response;
		EncryptedData encdata; /* a SPAKESecondFactor under K'[n] */
	} u;
};

/*
 * Decode a PA-SPAKE padata-value.  Strict DER: exactly one alternative, no
 * unknown alternative or field, nothing after it; what decodes re-encodes
 * to the same bytes.  An empty value (the KDC's offer) is not a message:
 * ORTH_E_MALFORMED, like any other bytes that do not parse; the decoder's
 * errors otherwise (asn1.h).  Memory from a.
 */
orth_err spake_msg_decode(const uint8_t *buf, size_t len, struct arena *a,
			  struct spake_msg *out);

/* Encode m into a fresh arena buffer.  ORTH_E_INTERNAL for a kind out of
 * range or a value the schema forbids (no groups, no factors). */
orth_err spake_msg_encode(const struct spake_msg *m, struct arena *a,
			  uint8_t **out, size_t *out_len);

/* ---- groups ------------------------------------------------------------ */

/* "edwards25519", "P-256" (MIT's names, accepted in any case), or NULL. */
const char *spake_group_name(int32_t group);
int32_t spake_group_from_name(const char *name); /* 0 when unknown */
bool spake_group_supported(int32_t group);

/*
 * Parse a group list as MIT's spake_preauth_groups relation writes it:
 * names separated by spaces, tabs or commas, duplicates dropped, order
 * kept.  ORTH_E_CONFIG for an unknown name (explained in err), ORTH_E_LIMIT
 * for more than cap groups.  An empty list is *n_out = 0 (SPAKE off).
 */
orth_err spake_groups_parse(const char *text, int32_t *out, size_t cap,
			    size_t *n_out, char *err, size_t errlen);

/* ---- the derivations (RFC 9588 §5-7), one step each -------------------- */

/*
 * RFC 9588 §5: the PRF+ output w is made from: PRF+(ikey, "SPAKEsecret" ||
 * group as 4 bytes big-endian), scalar_len bytes into wbytes_out (the group
 * code reduces it modulo the group order when it multiplies; K'[n] hash the
 * bytes as they are).  ORTH_E_RANGE for an unknown group.
 */
orth_err spake_w_derive(int32_t group, struct crypto_key *ikey,
			uint8_t *wbytes_out);

/*
 * RFC 9588 §6: thash = H(thash || d1 || d2), in place (hash_len bytes);
 * a transcript starts as hash_len zero bytes.  Either d may be NULL/0.
 */
orth_err spake_thash_update(int32_t group, uint8_t *thash, const uint8_t *d1,
			    size_t l1, const uint8_t *d2, size_t l2);

/*
 * RFC 9588 §7: K'[n] = KRB-FX-CF2(ikey, "SPAKE", random-to-key(seed),
 * "keyderiv"), seed = H("SPAKEkey" || group || enctype || wbytes || K ||
 * thash || body || n || 0x01) (integers 4 bytes big-endian; one hash block
 * is a seed long enough for every enctype we have).  body is the DER
 * KDC-REQ-BODY of the request that carries (client) or carried (KDC) the
 * message the key is for.  K'[0] replaces the reply key (§4.5), K'[1]
 * encrypts the client's factor in the response, K'[2], K'[3], ... the
 * encdata messages that follow.  k: elem_len bytes; thash: hash_len.
 */
orth_err spake_key_derive(int32_t group, struct crypto_key *ikey,
			  const uint8_t *wbytes, const uint8_t *k,
			  const uint8_t *thash, const uint8_t *body,
			  size_t body_len, uint32_t n, struct crypto_key **out);

/* ---- the KDC ----------------------------------------------------------- */

/* What the KDC keeps between the challenge and the response: the whole of
 * it goes into the PA-FX-COOKIE, which the cookie code encrypts, binds to
 * the client and expires. */
struct spake_kdc_state {
	int32_t group;
	int32_t enctype;                        /* ikey's at challenge time */
	uint8_t x[CRYPTO_SPAKE_MAX_SCALAR];     /* the KDC's private scalar */
	uint8_t thash[CRYPTO_SPAKE_MAX_HASH];   /* after support + challenge */
};

/* Serialized: version 1 (1 byte), group, enctype (4 bytes big-endian
 * each), x (scalar_len), thash (hash_len). */
#define SPAKE_KDC_STATE_MAX (1 + 4 + 4 + CRYPTO_SPAKE_MAX_SCALAR + CRYPTO_SPAKE_MAX_HASH)
orth_err spake_kdc_state_encode(const struct spake_kdc_state *s,
				struct writer *w);
/* ORTH_E_MALFORMED for another version, an unknown group or a length that
 * is not the group's. */
orth_err spake_kdc_state_decode(const uint8_t *buf, size_t len,
				struct spake_kdc_state *out);
/* Wipe the private scalar (the state is a secret until it is encrypted). */
void spake_kdc_state_wipe(struct spake_kdc_state *s);

/*
 * The group of the challenge: the first group of the client's support
 * message (its preference order, as MIT's KDC does) that is among the n
 * allowed.  ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED) when there is none.
 */
orth_err spake_kdc_group_choose(const SPAKESupport *support,
				const int32_t *allowed, size_t n,
				int32_t *group_out);

/*
 * A challenge in group: a fresh x, T = x*G + w*M, factors [SF-NONE]
 * (RFC 9588 §4.2).  support: the client's support message exactly as
 * received, or NULL/0 for an optimistic challenge.  *challenge_out is the
 * padata-value of the PA-SPAKE to send; *state_out what the cookie keeps.
 */
orth_err spake_kdc_challenge(int32_t group, struct crypto_key *ikey,
			     const uint8_t *support, size_t support_len,
			     struct arena *a, uint8_t **challenge_out,
			     size_t *challenge_len_out,
			     struct spake_kdc_state *state_out);

/*
 * Check a response against the state of its challenge (RFC 9588 §4.3): K
 * from the client's S, the transcript with S, K'[1] opens the factor,
 * which must be SF-NONE without data.  body: the DER KDC-REQ-BODY of the
 * request that carried the response.  On success *reply_key_out is K'[0].
 * ORTH_E_INTEGRITY when the factor does not decrypt under K'[1]: the
 * client's key is not the one we hold (a wrong password; or S or the
 * factor changed in transit), which the KDC answers with
 * KDC_ERR_PREAUTH_FAILED and counts as a failed attempt.
 * ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED) for every other thing the client got
 * wrong (S refused, another factor, an enctype other than the
 * challenge's), which it answers the same but need not count.  Internal
 * errors as they are.
 */
orth_err spake_kdc_response_verify(const struct spake_kdc_state *state,
				   struct crypto_key *ikey,
				   const SPAKEResponse *resp,
				   const uint8_t *body, size_t body_len,
				   struct arena *a,
				   struct crypto_key **reply_key_out)
	ORTH_MUST_CHECK;

enum spake_kdc_outcome {
	SPAKE_KDC_CHALLENGE = 1, /* send challenge + cookie with state */
	SPAKE_KDC_DONE,          /* pre-authenticated: reply_key is K'[0] */
};

struct spake_kdc_reply {
	enum spake_kdc_outcome outcome;
	uint8_t *challenge;              /* SPAKE_KDC_CHALLENGE; arena */
	size_t challenge_len;
	struct spake_kdc_state state;    /* SPAKE_KDC_CHALLENGE */
	struct crypto_key *reply_key;    /* SPAKE_KDC_DONE; caller frees */
};

/*
 * The KDC's answer to the client's PA-SPAKE padata-value: a support
 * message gets a challenge in the client's first allowed group, a response
 * is verified against state (the one the cookie carried back; NULL when
 * the request had none).  allowed: the realm's groups, n >= 1.
 * ORTH_E_INTEGRITY for a response made with another key (a wrong
 * password: see spake_kdc_response_verify());
 * ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED) for anything else the client got
 * wrong: a value that does not parse, no group in common, a response
 * without a state, a challenge or an encdata message (no second factor
 * takes more than one round here); both are KDC_ERR_PREAUTH_FAILED on the
 * wire.  ORTH_E_ENCTYPE for an ikey that is not one of ours.
 */
orth_err spake_kdc_process(const int32_t *allowed, size_t n,
			   struct crypto_key *ikey, const uint8_t *pa_value,
			   size_t pa_len, const struct spake_kdc_state *state,
			   const uint8_t *body, size_t body_len, struct arena *a,
			   struct spake_kdc_reply *out) ORTH_MUST_CHECK;

/* ---- the client -------------------------------------------------------- */

/* One AS exchange's worth of SPAKE state.  Zero it to begin. */
struct spake_client_state {
	uint8_t support[SPAKE_SUPPORT_MAX]; /* the support message we sent */
	size_t support_len;                 /* 0: none sent */
	bool responded;                     /* a response was sent */
};

enum spake_client_outcome {
	SPAKE_CLIENT_SUPPORT = 1, /* send msg, a support message */
	SPAKE_CLIENT_RESPONSE,    /* send msg; reply_key (K'[0]) opens the AS-REP */
};

struct spake_client_reply {
	enum spake_client_outcome outcome;
	uint8_t *msg; /* the PA-SPAKE padata-value to send; arena */
	size_t msg_len;
	struct crypto_key *reply_key; /* SPAKE_CLIENT_RESPONSE; caller frees */
};

/*
 * Does answering this PA-SPAKE padata-value take the long-term key?  True
 * for a challenge in one of our groups offering SF-NONE, so a client asks
 * for the password only when it will use it (MIT's prep_questions).
 */
bool spake_client_key_needed(const int32_t *groups, size_t n,
			     const uint8_t *pa_value, size_t pa_len,
			     struct arena *a);

/*
 * The client's answer to the KDC's PA-SPAKE padata-value (RFC 9588 §4):
 * an empty one (SPAKE offered) or a challenge in a group not among ours
 * gets our support message (once per exchange), a challenge in one of our
 * groups a response under a fresh y, with K'[0] the new reply key.
 * groups: ours in preference order (1..SPAKE_MAX_GROUPS); ikey: the
 * long-term key (may be NULL when spake_client_key_needed() said no);
 * body: the DER KDC-REQ-BODY of the request that will carry the answer.
 * ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED) for what the KDC got wrong: a value
 * that does not parse, a second challenge, a support or response message,
 * an encdata message (SF-NONE has none), no SF-NONE among the factors, a T
 * that is refused.
 */
orth_err spake_client_process(struct spake_client_state *st,
			      const int32_t *groups, size_t n,
			      struct crypto_key *ikey, const uint8_t *pa_value,
			      size_t pa_len, const uint8_t *body,
			      size_t body_len, struct arena *a,
			      struct spake_client_reply *out) ORTH_MUST_CHECK;

#endif
