#include "encdata.h"

orth_err
proto_seal(struct crypto_key *key, int32_t usage, const struct der_type *t,
	   const void *val, struct arena *a, EncryptedData *out)
{
	orth_err ret;
	uint8_t *cipher = NULL;
	size_t plain_len = 0, cipher_len = 0, head, tail;
	int32_t etype = crypto_key_enctype(key);

	/* Encoded where the encryption puts it, between confounder and MAC,
	 * and encrypted in place: no copy, and no plaintext left behind. */
	head = crypto_encrypt_head(etype);
	tail = crypto_encrypt_len(etype, 0);
	CHECK(head != 0 && tail >= head, ORTH_E_ENCTYPE);
	tail -= head;
	TRY(der_encode_arena_room(t, val, a, head, tail, &cipher, &plain_len));
	cipher_len = head + plain_len + tail;
	ret = crypto_encrypt(key, usage, cipher + head, plain_len, cipher, &cipher_len);
	if (ret != ORTH_OK) {
		/* The plaintext may hold keys: do not wait for the arena reset. */
		crypto_wipe(cipher, head + plain_len + tail);
		goto cleanup;
	}
	out->etype = etype;
	out->kvno = NULL;
	out->cipher.data = cipher;
	out->cipher.len = cipher_len;
cleanup:
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
