/*
 * spake_group.c - SPAKE2 over edwards25519 (libsodium) and P-256 (OpenSSL's
 * EC API) for RFC 9588.  See spake_group.h.
 *
 * Scalars are reduced modulo the group order before every multiplication,
 * so neither library ever sees a scalar of 256 significant bits; peers'
 * elements are checked before any arithmetic touches them.  Only
 * constant-time multiplications are used on secrets (w, x, y): libsodium's
 * ed25519 scalar multiplications are, and OpenSSL's EC_POINT_mul is when
 * it is given a single scalar (the generator's or one point's, never both
 * at once: the combined form takes a variable-time path).
 */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "spake_group.h"

#define ED_LEN 32        /* edwards25519 scalars and elements */
#define P256_ELEM_LEN 33 /* SEC 1 compressed point */
#define P256_SCALAR_LEN 32

/*
 * RFC 9588 §5 / Appendix B: the M and N constants of each group, in the
 * group's element encoding (edwards25519 points of the prime-order
 * subgroup; P-256 points in SEC 1 compressed form).
 */
static const uint8_t ed_m[ED_LEN] = {
	0xd0, 0x48, 0x03, 0x2c, 0x6e, 0xa0, 0xb6, 0xd6, 0x97, 0xdd, 0xc2,
	0xe8, 0x6b, 0xda, 0x85, 0xa3, 0x3a, 0xda, 0xc9, 0x20, 0xf1, 0xbf,
	0x18, 0xe1, 0xb0, 0xc6, 0xd1, 0x66, 0xa5, 0xce, 0xcd, 0xaf,
};
static const uint8_t ed_n[ED_LEN] = {
	0xd3, 0xbf, 0xb5, 0x18, 0xf4, 0x4f, 0x34, 0x30, 0xf2, 0x9d, 0x0c,
	0x92, 0xaf, 0x50, 0x38, 0x65, 0xa1, 0xed, 0x32, 0x81, 0xdc, 0x69,
	0xb3, 0x5d, 0xd8, 0x68, 0xba, 0x85, 0xf8, 0x86, 0xc4, 0xab,
};
static const uint8_t p256_m[P256_ELEM_LEN] = {
	0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d,
	0xd7, 0x24, 0x25, 0x79, 0xf2, 0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3,
	0xdc, 0xab, 0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1, 0x2f,
};
static const uint8_t p256_n[P256_ELEM_LEN] = {
	0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d,
	0x99, 0x7f, 0x38, 0xc3, 0x77, 0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01,
	0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b, 0x49,
};

static const struct crypto_spake_group groups[] = {
	{CRYPTO_SPAKE_EDWARDS25519, "edwards25519", ED_LEN, ED_LEN, 32},
	{CRYPTO_SPAKE_P256, "P-256", P256_SCALAR_LEN, P256_ELEM_LEN, 32},
};
#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

/* Decoded once, read-only afterwards (EC_POINT_mul and friends take the
 * group and the points as const). */
static struct {
	EC_GROUP *p256;
	EC_POINT *p256_m, *p256_n;
	EVP_MD *sha256;
} st;
static pthread_once_t st_once = PTHREAD_ONCE_INIT;
static orth_err st_err = ORTH_E_INTERNAL;

static void
init_once(void)
{
	if (crypto_init() != ORTH_OK || sodium_init() < 0)
		return;
	/* The constants must be what the RFC says they are: elements of the
	 * prime-order subgroup.  A failure here is a broken build. */
	if (!crypto_core_ed25519_is_valid_point(ed_m) ||
	    !crypto_core_ed25519_is_valid_point(ed_n))
		return;
	st.p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	st.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (st.p256 == NULL || st.sha256 == NULL)
		return;
	st.p256_m = EC_POINT_new(st.p256);
	st.p256_n = EC_POINT_new(st.p256);
	if (st.p256_m == NULL || st.p256_n == NULL ||
	    EC_POINT_oct2point(st.p256, st.p256_m, p256_m, sizeof(p256_m),
			       NULL) != 1 ||
	    EC_POINT_oct2point(st.p256, st.p256_n, p256_n, sizeof(p256_n),
			       NULL) != 1)
		return;
	st_err = ORTH_OK;
}

static orth_err
group_init(void)
{
	if (pthread_once(&st_once, init_once) != 0)
		return ORTH_E_INTERNAL;
	return st_err;
}

const struct crypto_spake_group *
crypto_spake_group_get(int32_t id)
{
	for (size_t i = 0; i < N_GROUPS; i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

const struct crypto_spake_group *
crypto_spake_group_by_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < N_GROUPS; i++)
		if (strcasecmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

/* ---- edwards25519 ------------------------------------------------------ */

/* s mod l of a 32-byte little-endian integer. */
static void
ed_reduce(const uint8_t in[ED_LEN], uint8_t out[ED_LEN])
{
	uint8_t wide[crypto_core_ed25519_NONREDUCEDSCALARBYTES] = {0};

	memcpy(wide, in, ED_LEN);
	crypto_core_ed25519_scalar_reduce(out, wide);
	sodium_memzero(wide, sizeof(wide));
}

static orth_err
ed_private_random(uint8_t *priv_out)
{
	uint8_t r[ED_LEN];
	unsigned carry = 0;

	/* r uniform in [1, l); 8r as an integer: l < 2^253, so it fits. */
	crypto_core_ed25519_scalar_random(r);
	for (size_t i = 0; i < ED_LEN; i++) {
		unsigned v = ((unsigned)r[i] << 3) | carry;
		priv_out[i] = (uint8_t)v;
		carry = v >> 8;
	}
	sodium_memzero(r, sizeof(r));
	return ORTH_OK;
}

static orth_err
ed_public(enum crypto_spake_role role, const uint8_t *wbytes,
	  const uint8_t *priv, uint8_t *pub_out)
{
	uint8_t xs[ED_LEN], ws[ED_LEN], xg[ED_LEN], wc[ED_LEN];
	orth_err ret = ORTH_OK;

	ed_reduce(priv, xs);
	ed_reduce(wbytes, ws);
	/* A zero x is a corrupt state; a zero w (probability 2^-252) cannot
	 * be used with libsodium, which refuses zero scalars. */
	CHECK(!sodium_is_zero(xs, ED_LEN) && !sodium_is_zero(ws, ED_LEN),
	      ORTH_E_INTERNAL);
	CHECK(crypto_scalarmult_ed25519_base_noclamp(xg, xs) == 0,
	      ORTH_E_INTERNAL);
	CHECK(crypto_scalarmult_ed25519_noclamp(
		      wc, ws, role == CRYPTO_SPAKE_KDC ? ed_m : ed_n) == 0,
	      ORTH_E_INTERNAL);
	CHECK(crypto_core_ed25519_add(pub_out, xg, wc) == 0, ORTH_E_INTERNAL);
cleanup:
	sodium_memzero(xs, sizeof(xs));
	sodium_memzero(ws, sizeof(ws));
	sodium_memzero(xg, sizeof(xg));
	sodium_memzero(wc, sizeof(wc));
	return ret;
}

static orth_err
ed_result(enum crypto_spake_role role, const uint8_t *wbytes,
	  const uint8_t *priv, const uint8_t *peer, size_t peer_len,
	  uint8_t *k_out)
{
	uint8_t xs[ED_LEN], ws[ED_LEN], wc[ED_LEN], d[ED_LEN], k[ED_LEN];
	orth_err ret = ORTH_OK;

	/*
	 * RFC 9588 §5: refuse what is not a group element we can use.
	 * libsodium's check: the canonical encoding of a point on the curve,
	 * not of small order (the identity included), in the prime-order
	 * subgroup.  MIT's KDC only checks that the point is on the curve and
	 * relies on its scalars being multiples of the cofactor to clear a
	 * small-order component; an honest peer's y*G + w*N (x*G + w*M) is
	 * always in the subgroup, since G, M and N are, so refusing the rest
	 * loses no real client and leaves no torsion to clear.
	 */
	CHECK(peer != NULL && peer_len == ED_LEN &&
		      crypto_core_ed25519_is_valid_point(peer),
	      ORTH_E_MALFORMED);
	ed_reduce(priv, xs);
	ed_reduce(wbytes, ws);
	CHECK(!sodium_is_zero(xs, ED_LEN) && !sodium_is_zero(ws, ED_LEN),
	      ORTH_E_INTERNAL);
	/* The peer's mask: w*N for the KDC (the client's S), w*M for the
	 * client (the KDC's T). */
	CHECK(crypto_scalarmult_ed25519_noclamp(
		      wc, ws, role == CRYPTO_SPAKE_KDC ? ed_n : ed_m) == 0,
	      ORTH_E_INTERNAL);
	CHECK(crypto_core_ed25519_sub(d, peer, wc) == 0, ORTH_E_MALFORMED);
	/* Fails when d is the identity (the peer sent exactly w*N or w*M)
	 * or when the product is: K would not depend on our secret. */
	CHECK(crypto_scalarmult_ed25519_noclamp(k, xs, d) == 0,
	      ORTH_E_MALFORMED);
	memcpy(k_out, k, ED_LEN);
cleanup:
	sodium_memzero(xs, sizeof(xs));
	sodium_memzero(ws, sizeof(ws));
	sodium_memzero(wc, sizeof(wc));
	sodium_memzero(d, sizeof(d));
	sodium_memzero(k, sizeof(k));
	return ret;
}

/* ---- P-256 ------------------------------------------------------------- */

/* A big-endian scalar into a fresh BIGNUM reduced modulo the order. */
static BIGNUM *
p256_scalar(const uint8_t *bytes, BN_CTX *ctx)
{
	BIGNUM *s = BN_secure_new();

	if (s == NULL)
		return NULL;
	BN_set_flags(s, BN_FLG_CONSTTIME);
	if (BN_bin2bn(bytes, P256_SCALAR_LEN, s) == NULL ||
	    BN_nnmod(s, s, EC_GROUP_get0_order(st.p256), ctx) != 1) {
		BN_clear_free(s);
		return NULL;
	}
	return s;
}

static orth_err
p256_private_random(uint8_t *priv_out)
{
	BIGNUM *x = BN_secure_new();
	orth_err ret = ORTH_OK;

	CHECK(x != NULL, ORTH_E_NOMEM);
	/* Uniform in [0, n), drawn again in the (2^-256) case of zero. */
	do {
		CHECK(BN_priv_rand_range(x, EC_GROUP_get0_order(st.p256)) == 1,
		      ORTH_E_INTERNAL);
	} while (BN_is_zero(x));
	CHECK(BN_bn2binpad(x, priv_out, P256_SCALAR_LEN) == P256_SCALAR_LEN,
	      ORTH_E_INTERNAL);
cleanup:
	BN_clear_free(x);
	return ret;
}

static orth_err
p256_public(enum crypto_spake_role role, const uint8_t *wbytes,
	    const uint8_t *priv, uint8_t *pub_out)
{
	BN_CTX *ctx = BN_CTX_secure_new();
	BIGNUM *x = NULL, *w = NULL;
	EC_POINT *xg = NULL, *wc = NULL;
	orth_err ret = ORTH_OK;

	CHECK(ctx != NULL, ORTH_E_NOMEM);
	CHECK((x = p256_scalar(priv, ctx)) != NULL &&
		      (w = p256_scalar(wbytes, ctx)) != NULL,
	      ORTH_E_NOMEM);
	CHECK(!BN_is_zero(x), ORTH_E_INTERNAL);
	CHECK((xg = EC_POINT_new(st.p256)) != NULL &&
		      (wc = EC_POINT_new(st.p256)) != NULL,
	      ORTH_E_NOMEM);
	CHECK(EC_POINT_mul(st.p256, xg, x, NULL, NULL, ctx) == 1 &&
		      EC_POINT_mul(st.p256, wc, NULL,
				   role == CRYPTO_SPAKE_KDC ? st.p256_m
							    : st.p256_n,
				   w, ctx) == 1 &&
		      EC_POINT_add(st.p256, xg, xg, wc, ctx) == 1,
	      ORTH_E_INTERNAL);
	CHECK(!EC_POINT_is_at_infinity(st.p256, xg), ORTH_E_INTERNAL);
	CHECK(EC_POINT_point2oct(st.p256, xg, POINT_CONVERSION_COMPRESSED,
				 pub_out, P256_ELEM_LEN,
				 ctx) == P256_ELEM_LEN,
	      ORTH_E_INTERNAL);
cleanup:
	EC_POINT_clear_free(xg);
	EC_POINT_clear_free(wc);
	BN_clear_free(x);
	BN_clear_free(w);
	BN_CTX_free(ctx);
	return ret;
}

static orth_err
p256_result(enum crypto_spake_role role, const uint8_t *wbytes,
	    const uint8_t *priv, const uint8_t *peer, size_t peer_len,
	    uint8_t *k_out)
{
	uint8_t k[P256_ELEM_LEN];
	BN_CTX *ctx = BN_CTX_secure_new();
	BIGNUM *x = NULL, *w = NULL;
	EC_POINT *p = NULL, *wc = NULL;
	orth_err ret = ORTH_OK;

	CHECK(ctx != NULL, ORTH_E_NOMEM);
	/* RFC 9588 §5: elements are 33-byte compressed points.  oct2point
	 * refuses an x that is not on the curve; P-256 has cofactor 1, so
	 * every other point is of prime order, and the identity has no
	 * 33-byte encoding. */
	CHECK(peer != NULL && peer_len == P256_ELEM_LEN &&
		      (peer[0] == 0x02 || peer[0] == 0x03),
	      ORTH_E_MALFORMED);
	CHECK((p = EC_POINT_new(st.p256)) != NULL &&
		      (wc = EC_POINT_new(st.p256)) != NULL,
	      ORTH_E_NOMEM);
	CHECK(EC_POINT_oct2point(st.p256, p, peer, peer_len, ctx) == 1,
	      ORTH_E_MALFORMED);
	CHECK(!EC_POINT_is_at_infinity(st.p256, p), ORTH_E_MALFORMED);
	CHECK((x = p256_scalar(priv, ctx)) != NULL &&
		      (w = p256_scalar(wbytes, ctx)) != NULL,
	      ORTH_E_NOMEM);
	CHECK(!BN_is_zero(x), ORTH_E_INTERNAL);
	/* p - w*N (KDC) or p - w*M (client). */
	CHECK(EC_POINT_mul(st.p256, wc, NULL,
			   role == CRYPTO_SPAKE_KDC ? st.p256_n : st.p256_m, w,
			   ctx) == 1 &&
		      EC_POINT_invert(st.p256, wc, ctx) == 1 &&
		      EC_POINT_add(st.p256, p, p, wc, ctx) == 1,
	      ORTH_E_INTERNAL);
	CHECK(!EC_POINT_is_at_infinity(st.p256, p), ORTH_E_MALFORMED);
	CHECK(EC_POINT_mul(st.p256, p, NULL, p, x, ctx) == 1, ORTH_E_INTERNAL);
	CHECK(!EC_POINT_is_at_infinity(st.p256, p), ORTH_E_MALFORMED);
	CHECK(EC_POINT_point2oct(st.p256, p, POINT_CONVERSION_COMPRESSED, k,
				 sizeof(k), ctx) == P256_ELEM_LEN,
	      ORTH_E_INTERNAL);
	memcpy(k_out, k, P256_ELEM_LEN);
cleanup:
	OPENSSL_cleanse(k, sizeof(k));
	EC_POINT_clear_free(p);
	EC_POINT_clear_free(wc);
	BN_clear_free(x);
	BN_clear_free(w);
	BN_CTX_free(ctx);
	return ret;
}

/* ---- the interface ----------------------------------------------------- */

orth_err
crypto_spake_private_random(int32_t group, uint8_t *priv_out)
{
	orth_err ret;

	TRY(group_init());
	CHECK(priv_out != NULL, ORTH_E_INTERNAL);
	switch (group) {
	case CRYPTO_SPAKE_EDWARDS25519:
		ret = ed_private_random(priv_out);
		break;
	case CRYPTO_SPAKE_P256:
		ret = p256_private_random(priv_out);
		break;
	default:
		ret = ORTH_E_RANGE;
		break;
	}
cleanup:
	return ret;
}

orth_err
crypto_spake_public(int32_t group, enum crypto_spake_role role,
		    const uint8_t *wbytes, const uint8_t *priv, uint8_t *pub_out)
{
	orth_err ret;

	TRY(group_init());
	CHECK(wbytes != NULL && priv != NULL && pub_out != NULL,
	      ORTH_E_INTERNAL);
	switch (group) {
	case CRYPTO_SPAKE_EDWARDS25519:
		ret = ed_public(role, wbytes, priv, pub_out);
		break;
	case CRYPTO_SPAKE_P256:
		ret = p256_public(role, wbytes, priv, pub_out);
		break;
	default:
		ret = ORTH_E_RANGE;
		break;
	}
cleanup:
	return ret;
}

orth_err
crypto_spake_result(int32_t group, enum crypto_spake_role role,
		    const uint8_t *wbytes, const uint8_t *priv,
		    const uint8_t *peer_pub, size_t peer_len, uint8_t *k_out)
{
	orth_err ret;

	TRY(group_init());
	CHECK(wbytes != NULL && priv != NULL && k_out != NULL, ORTH_E_INTERNAL);
	switch (group) {
	case CRYPTO_SPAKE_EDWARDS25519:
		ret = ed_result(role, wbytes, priv, peer_pub, peer_len, k_out);
		break;
	case CRYPTO_SPAKE_P256:
		ret = p256_result(role, wbytes, priv, peer_pub, peer_len, k_out);
		break;
	default:
		ret = ORTH_E_RANGE;
		break;
	}
cleanup:
	return ret;
}

orth_err
crypto_spake_hash(int32_t group, const struct crypto_span *v, size_t n,
		  uint8_t *out)
{
	EVP_MD_CTX *md = NULL;
	orth_err ret;

	TRY(group_init());
	/* Both groups we support hash with SHA-256 (RFC 9588 §12). */
	CHECK(crypto_spake_group_get(group) != NULL, ORTH_E_RANGE);
	CHECK(out != NULL && (v != NULL || n == 0), ORTH_E_INTERNAL);
	CHECK((md = EVP_MD_CTX_new()) != NULL, ORTH_E_NOMEM);
	CHECK(EVP_DigestInit_ex(md, st.sha256, NULL) == 1, ORTH_E_INTERNAL);
	for (size_t i = 0; i < n; i++)
		CHECK(v[i].len == 0 ||
			      EVP_DigestUpdate(md, v[i].data, v[i].len) == 1,
		      ORTH_E_INTERNAL);
	CHECK(EVP_DigestFinal_ex(md, out, NULL) == 1, ORTH_E_INTERNAL);
cleanup:
	EVP_MD_CTX_free(md);
	return ret;
}
