#include "encdata.h"

orth_err
proto_seal(struct crypto_key *key, int32_t usage, const struct der_type *t,
	   const void *val, struct arena *a, EncryptedData *out)
{
	orth_err ret;
	uint8_t *plain = NULL, *cipher;
	size_t plain_len = 0, cipher_len;
	int32_t etype = crypto_key_enctype(key);

	TRY(der_encode_arena(t, val, a, &plain, &plain_len));
	cipher_len = crypto_encrypt_len(etype, plain_len);
	cipher = arena_alloc(a, cipher_len);
	CHECK(cipher != NULL, ORTH_E_LIMIT);
	TRY(crypto_encrypt(key, usage, plain, plain_len, cipher, &cipher_len));
	out->etype = etype;
	out->kvno = NULL;
	out->cipher.data = cipher;
	out->cipher.len = cipher_len;
cleanup:
	/* The plaintext may hold keys: do not wait for the arena reset. */
	if (plain != NULL)
		crypto_wipe(plain, plain_len);
	return ret;
}

orth_err
proto_unseal(struct crypto_key *key, int32_t usage, const EncryptedData *ed,
	     const struct der_type *t, struct arena *a, void *out)
{
	orth_err ret;
	uint8_t *plain;
	size_t plain_len;

	CHECK(ed->etype == crypto_key_enctype(key), ORTH_E_ENCTYPE);
	plain = arena_alloc(a, ed->cipher.len ? ed->cipher.len : 1);
	CHECK(plain != NULL, ORTH_E_LIMIT);
	TRY(crypto_decrypt(key, usage, ed->cipher.data, ed->cipher.len, plain,
			   &plain_len));
	/* Decoded strings are copied into the arena, so the plaintext buffer
	 * is only needed for the decode itself. */
	TRY(der_decode(t, plain, plain_len, a, out));
cleanup:
	return ret;
}
