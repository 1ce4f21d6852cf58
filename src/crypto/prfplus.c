/*
 * prfplus.c - PRF+ and KRB-FX-CF2 (RFC 6113 §5.1) over the RFC 3961 PRF of
 * crypto.c: the key derivations that FAST (armor keys) and SPAKE (RFC 9588
 * §6, K'[n]) are built from.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "crypto_int.h"

/* RFC 6113 §5.1: the counter is one octet, so at most 255 PRF outputs. */
#define PRF_PLUS_MAX_BLOCKS 255

/* An input this long or shorter is built on the stack (the peppers). */
#define PRF_PLUS_STACK 64

/* PRF+ (RFC 6113 §5.1); pub: in is public (crypto_prf_public). */
static orth_err
prf_plus(struct crypto_key *key, const uint8_t *in, size_t in_len, bool pub,
	 uint8_t *out, size_t out_len)
{
	uint8_t block[CRYPTO_MAX_PRF_LEN], small[PRF_PLUS_STACK];
	uint8_t *input = NULL;
	size_t prf_len, block_len = 0, done = 0, n;
	unsigned counter;
	orth_err ret = ORTH_OK;

	CHECK(key != NULL && (out != NULL || out_len == 0), ORTH_E_INTERNAL);
	CHECK(in != NULL || in_len == 0, ORTH_E_INTERNAL);
	prf_len = crypto_enctype_prf_len(crypto_key_enctype(key));
	CHECK(prf_len != 0, ORTH_E_ENCTYPE);
	CHECK(out_len <= PRF_PLUS_MAX_BLOCKS * prf_len, ORTH_E_RANGE);
	CHECK(in_len < SIZE_MAX, ORTH_E_RANGE);
	if (in_len < sizeof(small))
		input = small;
	else
		CHECK((input = malloc(in_len + 1)) != NULL, ORTH_E_NOMEM);
	if (in_len > 0)
		memcpy(input + 1, in, in_len);
	/* A public input and whole blocks (CF2's keys): all at once. */
	n = out_len / prf_len;
	if (pub && out_len % prf_len == 0 && n > 0 && n <= CRYPTO_PRF_PLUS_BATCH) {
		ret = crypto_prf_plus_public_blocks(key, input, in_len + 1, n, out);
		if (ret != ORTH_OK) {
			crypto_wipe(out, out_len); /* no partial output */
			goto cleanup;
		}
		done = out_len;
	}
	for (counter = 1; done < out_len; counter++) {
		input[0] = (uint8_t)counter;
		if (pub)
			TRY(crypto_prf_public(key, input, in_len + 1, block, &block_len));
		else
			TRY(crypto_prf(key, input, in_len + 1, block, &block_len));
		n = out_len - done < block_len ? out_len - done : block_len;
		memcpy(out + done, block, n);
		done += n;
	}
cleanup:
	crypto_wipe(block, sizeof(block));
	if (input != NULL) {
		crypto_wipe(input, in_len + 1);
		if (input != small)
			free(input);
	}
	/* No partial output: what was written is wiped. */
	if (ret != ORTH_OK && done > 0)
		crypto_wipe(out, done);
	return ret;
}

orth_err
crypto_prf_plus(struct crypto_key *key, const uint8_t *in, size_t in_len,
		uint8_t *out, size_t out_len)
{
	return prf_plus(key, in, in_len, false, out, out_len);
}

/* PRF+(key, pepper) out_len bytes long from the key's memo, or made and
 * remembered there (crypto_int.h): RFC 6113 §5.1, the peppers are public. */
static orth_err
prf_plus_pepper(struct crypto_key *key, const char *pepper, uint8_t *out, size_t out_len)
{
	const uint8_t *in = (const uint8_t *)pepper;
	size_t in_len = strlen(pepper);
	orth_err ret;

	if (crypto_key_memo_get(key, in, in_len, out, out_len))
		return ORTH_OK;
	ret = prf_plus(key, in, in_len, true, out, out_len);
	if (ret == ORTH_OK)
		crypto_key_memo_put(key, in, in_len, out, out_len);
	return ret;
}

orth_err
crypto_key_cf2(struct crypto_key *k1, const char *pepper1, struct crypto_key *k2,
	       const char *pepper2, struct crypto_key **out)
{
	uint8_t a[CRYPTO_MAX_KEY_LEN], b[CRYPTO_MAX_KEY_LEN];
	int32_t enctype;
	size_t len;
	orth_err ret;

	CHECK(k1 != NULL && k2 != NULL && pepper1 != NULL && pepper2 != NULL &&
		      out != NULL,
	      ORTH_E_INTERNAL);
	enctype = crypto_key_enctype(k1);
	/* For the AES enctypes the key-generation seed is the key itself
	 * (RFC 3962 §6, RFC 8009 §5: random-to-key is the identity). */
	len = crypto_enctype_keylen(enctype);
	CHECK(len != 0 && len <= sizeof(a), ORTH_E_ENCTYPE);
	TRY(prf_plus_pepper(k1, pepper1, a, len));
	TRY(prf_plus_pepper(k2, pepper2, b, len));
	for (size_t i = 0; i < len; i++)
		a[i] ^= b[i];
	TRY(crypto_key_new(enctype, a, len, out));
cleanup:
	crypto_wipe(a, sizeof(a));
	crypto_wipe(b, sizeof(b));
	return ret;
}
