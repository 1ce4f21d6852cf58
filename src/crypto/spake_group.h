/*
 * spake_group.h - the group arithmetic of SPAKE pre-authentication (RFC 9588
 * §5; the groups of the IANA "Kerberos SPAKE Groups" registry): edwards25519
 * over libsodium, P-256 over OpenSSL's EC API.  No field arithmetic of our
 * own.  Scalars and elements cross this interface as bytes, in the
 * marshalling RFC 9588 §5 gives each group, so the protocol layer
 * (src/proto/spake.h) never sees a library type:
 *
 *   group            scalar (w, x, y)      element (T, S, K)       hash
 *   1 edwards25519   32 bytes little-end.  32 bytes (RFC 8032)     SHA-256
 *   2 P-256          32 bytes big-endian   33 bytes (SEC 1 comp.)  SHA-256
 *
 * The SPAKE2 exchange (RFC 9588 §5): both sides derive w from the initial
 * reply key; the KDC sends T = x*G + w*M, the client S = y*G + w*N; the KDC
 * computes K = x*(S - w*N), the client K = y*(T - w*M).  "role" below is the
 * side that calls: its own public value is masked with its constant (M for
 * the KDC, N for the client) and the peer's is unmasked with the other.
 *
 * Thread-safe: the groups' constants are decoded once (pthread_once) and
 * only read afterwards.
 */
#ifndef ORTHRUS_CRYPTO_SPAKE_GROUP_H
#define ORTHRUS_CRYPTO_SPAKE_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

enum {
	CRYPTO_SPAKE_EDWARDS25519 = 1,
	CRYPTO_SPAKE_P256 = 2,
};

#define CRYPTO_SPAKE_MAX_SCALAR 32
#define CRYPTO_SPAKE_MAX_ELEM 33
#define CRYPTO_SPAKE_MAX_HASH 32

enum crypto_spake_role {
	CRYPTO_SPAKE_KDC,    /* masks with M, unmasks the client's S with N */
	CRYPTO_SPAKE_CLIENT, /* masks with N, unmasks the KDC's T with M */
};

struct crypto_spake_group {
	int32_t id;          /* RFC 9588 §12 "Kerberos SPAKE Groups" number */
	const char *name;    /* "edwards25519", "P-256" (MIT's names) */
	size_t scalar_len;   /* multiplier length: w's PRF+ output, x, y */
	size_t elem_len;     /* encoded element length: T, S, K */
	size_t hash_len;     /* the group's hash: transcript, K'[n] seeds */
};

/* A supported group by number or by name (case-insensitive), or NULL. */
const struct crypto_spake_group *crypto_spake_group_get(int32_t id);
const struct crypto_spake_group *crypto_spake_group_by_name(const char *name);

/*
 * A fresh private scalar (x for the KDC, y for the client) into priv_out
 * (scalar_len bytes).  edwards25519: a uniform r in [1, l) times the
 * cofactor 8 (RFC 9588 §5: a multiple of the cofactor, so that K never has
 * a small-order component), kept as the 256-bit integer 8r like MIT's
 * implementation; P-256: uniform in [1, n).  ORTH_E_RANGE for an unknown
 * group.
 */
orth_err crypto_spake_private_random(int32_t group, uint8_t *priv_out);

/*
 * Our public value from our private scalar: T = x*G + w*M (KDC) or
 * S = y*G + w*N (client).  wbytes: the scalar_len bytes of PRF+ output
 * (RFC 9588 §5), reduced modulo the group order here.  pub_out gets
 * elem_len bytes.
 */
orth_err crypto_spake_public(int32_t group, enum crypto_spake_role role,
			     const uint8_t *wbytes, const uint8_t *priv,
			     uint8_t *pub_out);

/*
 * The shared element K from our private scalar and the peer's public value
 * (peer_len bytes as received): x*(S - w*N) for the KDC, y*(T - w*M) for the
 * client; k_out gets elem_len bytes.  ORTH_E_MALFORMED when the peer's
 * value is refused (RFC 9588 §5): not elem_len bytes, not the canonical
 * encoding of a point on the curve, the identity, of small order or (for
 * edwards25519) outside the prime-order subgroup, or when S - w*N (T - w*M)
 * or K is the identity.  Nothing is written to k_out on failure.
 */
orth_err crypto_spake_result(int32_t group, enum crypto_spake_role role,
			     const uint8_t *wbytes, const uint8_t *priv,
			     const uint8_t *peer_pub, size_t peer_len,
			     uint8_t *k_out) ORTH_MUST_CHECK;

/* One piece of a hash input. */
struct crypto_span {
	const void *data;
	size_t len;
};

/* The group's hash (SHA-256 for both groups) of the concatenation of the
 * n spans; out gets hash_len bytes. */
orth_err crypto_spake_hash(int32_t group, const struct crypto_span *v,
			   size_t n, uint8_t *out);

#endif
