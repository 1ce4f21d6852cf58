/*
 * crypto.h - the RFC 3961 framework for the AES enctypes of RFC 3962 and
 * RFC 8009, over OpenSSL 3 EVP.  The only module that includes OpenSSL.
 *
 * Enctypes: 17 aes128-cts-hmac-sha1-96, 18 aes256-cts-hmac-sha1-96,
 *           19 aes128-cts-hmac-sha256-128, 20 aes256-cts-hmac-sha384-192.
 * Checksum types: 15 hmac-sha1-96-aes128, 16 hmac-sha1-96-aes256,
 *           19 hmac-sha256-128-aes128, 20 hmac-sha384-192-aes256.
 *
 * A struct crypto_key owns its key bytes (wiped when freed) and caches the
 * keys it derives per usage, so repeated use with one usage never
 * re-derives.  Because of that cache a key object is NOT thread-safe: each
 * thread uses its own key objects.  crypto_init() fetches the EVP
 * algorithms once per process; call it before anything else (idempotent,
 * thread-safe through pthread_once).
 */
#ifndef ORTHRUS_CRYPTO_H
#define ORTHRUS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define ORTH_MUST_CHECK __attribute__((warn_unused_result))

enum {
	ENCTYPE_AES128_CTS_HMAC_SHA1_96 = 17,
	ENCTYPE_AES256_CTS_HMAC_SHA1_96 = 18,
	ENCTYPE_AES128_CTS_HMAC_SHA256_128 = 19,
	ENCTYPE_AES256_CTS_HMAC_SHA384_192 = 20,
};

enum {
	CKSUMTYPE_HMAC_SHA1_96_AES128 = 15,
	CKSUMTYPE_HMAC_SHA1_96_AES256 = 16,
	CKSUMTYPE_HMAC_SHA256_128_AES128 = 19,
	CKSUMTYPE_HMAC_SHA384_192_AES256 = 20,
};

#define CRYPTO_MAX_KEY_LEN 32
#define CRYPTO_MAX_CKSUM_LEN 24
/* Largest ciphertext expansion: 16-byte confounder + 24-byte MAC. */
#define CRYPTO_MAX_OVERHEAD 40
/* Largest PRF output (RFC 8009 §5, aes256-cts-hmac-sha384-192). */
#define CRYPTO_MAX_PRF_LEN 48

struct crypto_key;

orth_err crypto_init(void);

/*
 * The one default enctype list, MIT's order: 18 17 20 19.  What kdc.conf's
 * supported_enctypes and krb5.conf's permitted_enctypes are when not set,
 * and what "DEFAULT" in a krb5.conf list stands for.
 */
#define CRYPTO_DEFAULT_ENCTYPES_N 4
extern const int32_t crypto_default_enctypes[CRYPTO_DEFAULT_ENCTYPES_N];

/* Enctype facts; unknown enctypes give false / 0 / NULL / -1. */
bool crypto_enctype_supported(int32_t enctype);
size_t crypto_enctype_keylen(int32_t enctype);
const char *crypto_enctype_name(int32_t enctype);     /* "aes256-cts-hmac-sha1-96" */
int32_t crypto_enctype_from_name(const char *name);   /* also accepts "aes256-cts", numbers */
int32_t crypto_enctype_cksumtype(int32_t enctype);    /* its keyed checksum */
size_t crypto_cksumtype_len(int32_t cksumtype);       /* 0 if unknown */
/* The enctype whose key a keyed checksum type uses, or -1. */
int32_t crypto_cksumtype_enctype(int32_t cksumtype);
/* RFC 3962 default s2kparams: 4096 iterations; RFC 8009: 32768. */
uint32_t crypto_enctype_default_iterations(int32_t enctype);
/* PRF output length: 16 (RFC 3962), 32 or 48 (RFC 8009); 0 if unknown. */
size_t crypto_enctype_prf_len(int32_t enctype);

/* Length of ciphertext for plain_len bytes of plaintext. */
size_t crypto_encrypt_len(int32_t enctype, size_t plain_len);
/* Where the plaintext sits in crypto_encrypt's output: after the
 * confounder (RFC 3961 §5.3), this many bytes in; 0 if unknown. */
size_t crypto_encrypt_head(int32_t enctype);

/* A key from raw bytes (copied). *out owned by caller: crypto_key_free(). */
orth_err crypto_key_new(int32_t enctype, const uint8_t *bytes, size_t len,
			struct crypto_key **out);
/* A fresh random key (random-to-key over RAND_bytes). */
orth_err crypto_key_random(int32_t enctype, struct crypto_key **out);
/*
 * RFC 3961 string-to-key.  params: s2kparams (4-byte big-endian iteration
 * count) or NULL/0 for the default.  As MIT, a count below the enctype's
 * default (a downgrade of the password hash) or of 2^24 and more (a stall)
 * is refused: ORTH_E_RANGE; params not 4 bytes long: ORTH_E_MALFORMED.
 */
orth_err crypto_string_to_key(int32_t enctype, const char *password,
			      size_t password_len, const uint8_t *salt,
			      size_t salt_len, const uint8_t *params,
			      size_t params_len, struct crypto_key **out);
/* Same as above with an explicit iteration count, 1 .. 2^24. */
orth_err crypto_string_to_key_iter(int32_t enctype, const char *password,
				   size_t password_len, const uint8_t *salt,
				   size_t salt_len, uint32_t iterations,
				   struct crypto_key **out);
/* A copy of key (without its derived-key cache). */
orth_err crypto_key_copy(const struct crypto_key *key, struct crypto_key **out);
/* Wipes and frees; NULL is fine. */
void crypto_key_free(struct crypto_key *key);

int32_t crypto_key_enctype(const struct crypto_key *key);
/* The raw key bytes (valid while key lives); *len_out set. */
const uint8_t *crypto_key_bytes(const struct crypto_key *key, size_t *len_out);

/*
 * RFC 3961 encrypt: confounder || plaintext, CTS, MAC.  out must have room
 * for crypto_encrypt_len(enctype, in_len) bytes; *out_len set on success.
 * in may lie in out, crypto_encrypt_head(enctype) bytes in (encryption in
 * place: no copy), or elsewhere.
 */
orth_err crypto_encrypt(struct crypto_key *key, int32_t usage,
			const uint8_t *in, size_t in_len, uint8_t *out,
			size_t *out_len);
/*
 * Decrypt and verify.  out needs in_len bytes; *out_len is the plaintext
 * length.  ORTH_E_INTEGRITY when the MAC fails (wrong key, tampering),
 * ORTH_E_MALFORMED when in_len is too short.  out is wiped on failure.
 */
orth_err crypto_decrypt(struct crypto_key *key, int32_t usage,
			const uint8_t *in, size_t in_len, uint8_t *out,
			size_t *out_len) ORTH_MUST_CHECK;

/*
 * Keyed checksum of the key's enctype (crypto_enctype_cksumtype).  out needs
 * CRYPTO_MAX_CKSUM_LEN bytes.
 */
orth_err crypto_checksum_make(struct crypto_key *key, int32_t usage,
			      const uint8_t *data, size_t len,
			      int32_t *cksumtype_out, uint8_t *out,
			      size_t *out_len);
/*
 * Verify a keyed checksum, in constant time.  ORTH_E_CKSUMTYPE when the type
 * is unknown, unkeyed or does not match the key's enctype;
 * ORTH_E_INTEGRITY when it does not verify.
 */
orth_err crypto_checksum_verify(struct crypto_key *key, int32_t usage,
				int32_t cksumtype, const uint8_t *data,
				size_t len, const uint8_t *cksum,
				size_t cksum_len) ORTH_MUST_CHECK;

/*
 * RFC 3961 PRF (RFC 3962 §4 / RFC 8009 §5).  out needs CRYPTO_MAX_PRF_LEN
 * (or crypto_enctype_prf_len) bytes; *out_len set to its size.
 */
orth_err crypto_prf(struct crypto_key *key, const uint8_t *in, size_t in_len,
		    uint8_t *out, size_t *out_len);

/*
 * crypto_prf of an input that is public (KRB-FX-CF2's peppers with PRF+'s
 * counter, RFC 6113 §5.1): the same output, but the RFC 3962 PRF's SHA-1
 * of a short input is remembered per thread, as FAST computes the same
 * few for every request.  Never for a secret input.
 */
orth_err crypto_prf_public(struct crypto_key *key, const uint8_t *in, size_t in_len,
			   uint8_t *out, size_t *out_len);

/* Cryptographically random bytes. */
orth_err crypto_random_bytes(void *buf, size_t len);

/* MD5 (RFC 1321) of in: only for the channel-bindings hash RFC 4121
 * §4.1.1.2 fixes, never for keys or MACs.  ORTH_E_INTERNAL when the
 * library has no MD5 (FIPS mode). */
orth_err crypto_md5(const void *in, size_t len, uint8_t out[16]);

/*
 * RFC 4757 §4's keyed HMAC-MD5 checksum (KERB_CHECKSUM_HMAC_MD5, type
 * CRYPTO_CKSUMTYPE_HMAC_MD5), keyed with key's bytes whatever its
 * enctype: MS-SFU §2.2.1 fixes it for PA-FOR-USER, and nothing else may
 * use it.  out: 16 bytes.  ORTH_E_INTERNAL when the library has no MD5
 * (FIPS mode).
 */
#define CRYPTO_CKSUMTYPE_HMAC_MD5 (-138)
orth_err crypto_checksum_hmac_md5(const struct crypto_key *key, int32_t usage,
				  const uint8_t *data, size_t len, uint8_t out[16]);

/* Constant-time comparison: true when equal. */
bool crypto_ct_equal(const void *a, const void *b, size_t len);

/* Wipe memory (OPENSSL_cleanse). */
void crypto_wipe(void *p, size_t len);

/*
 * RFC 6113 §5.1 PRF+: PRF(key, 0x01 || in) || PRF(key, 0x02 || in) || ...
 * truncated to out_len bytes (at most 255 PRF outputs: the counter is one
 * octet; ORTH_E_RANGE beyond).  In prfplus.c.
 */
orth_err crypto_prf_plus(struct crypto_key *key, const uint8_t *in,
			 size_t in_len, uint8_t *out, size_t out_len);
/*
 * RFC 6113 §5.1 KRB-FX-CF2(k1, k2, pepper1, pepper2): random-to-key of
 * PRF+(k1, pepper1) XOR PRF+(k2, pepper2), as long as k1's key-generation
 * seed; the result has k1's enctype.  *out owned by the caller.
 */
orth_err crypto_key_cf2(struct crypto_key *k1, const char *pepper1,
			struct crypto_key *k2, const char *pepper2,
			struct crypto_key **out);

#endif
