/*
 * crypto_test.h - hooks for the known-answer tests only (tests/unit/crypto).
 * Not part of the crypto API: nothing outside the tests includes this.
 */
#ifndef ORTHRUS_CRYPTO_TEST_H
#define ORTHRUS_CRYPTO_TEST_H

#include "crypto.h"

/* crypto_encrypt with a given confounder instead of a random one. */
orth_err crypto_test_encrypt_confounder(struct crypto_key *key, int32_t usage,
					const uint8_t confounder[16],
					const uint8_t *in, size_t in_len,
					uint8_t *out, size_t *out_len);
/*
 * The derived key of usage: kind 0x99 Kc, 0xAA Ke, 0x55 Ki (RFC 3961 §5.3).
 * out needs CRYPTO_MAX_KEY_LEN bytes.  Bypasses the cache.
 */
orth_err crypto_test_derive(struct crypto_key *key, int32_t usage,
			    uint8_t kind, uint8_t *out, size_t *out_len);
/* How many derivations this key object has run (to test its cache). */
unsigned long crypto_test_derivations(const struct crypto_key *key);
/* RFC 3961 §5.1 n-fold of in to out_len bytes (1 .. CRYPTO_MAX_PRF_LEN);
 * in_len >= 1. */
orth_err crypto_test_nfold(const uint8_t *in, size_t in_len, uint8_t *out,
			   size_t out_len);
/* Raw AES-CTS (CS3) from the zero IV with a 16- or 32-byte key; len >= 16. */
orth_err crypto_test_cts(int enc, const uint8_t *k, size_t klen,
			 const uint8_t *in, size_t len, uint8_t *out);

#endif
