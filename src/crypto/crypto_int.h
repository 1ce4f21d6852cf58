/*
 * crypto_int.h - what the files of src/crypto share beyond crypto.h.  Not
 * for use outside src/crypto.
 */
#ifndef ORTHRUS_CRYPTO_INT_H
#define ORTHRUS_CRYPTO_INT_H

#include <stdbool.h>

#include "crypto.h"

/* The longest public input a key's memo keeps (KRB-FX-CF2's peppers). */
#define CRYPTO_MEMO_IN_MAX 32

/*
 * A key's memo of one PRF+ of a public input (prfplus.c): the output of
 * PRF+(key, in) out_len bytes long, remembered in the key object itself,
 * so it goes with the key (wiped when the key is freed; another key, or
 * the same bytes in another object, starts empty).  get: true and out
 * filled when the memo holds exactly (in, out_len).  put: replaces the
 * memo; an input longer than CRYPTO_MEMO_IN_MAX or an output longer than
 * CRYPTO_MAX_KEY_LEN is not kept.  Never for a secret input.
 */
bool crypto_key_memo_get(const struct crypto_key *key, const uint8_t *in, size_t in_len,
			 uint8_t *out, size_t out_len);
void crypto_key_memo_put(struct crypto_key *key, const uint8_t *in, size_t in_len,
			 const uint8_t *out, size_t out_len);

/* The most PRF+ blocks crypto_prf_plus_public_blocks makes at once (a
 * CF2 key: 32 bytes from RFC 3962's 16-byte PRF). */
#define CRYPTO_PRF_PLUS_BATCH 4

/*
 * The first n (1 .. CRYPTO_PRF_PLUS_BATCH) blocks of PRF+(key, in) for a
 * public in (RFC 6113 §5.1: PRF(key, i | in), i = 1 .. n), n times the
 * PRF's length into out.  input is i | in, input_len bytes: its first byte
 * is set to each counter in turn.  RFC 3962's n AES blocks go through
 * one EVP call, not one each.
 */
orth_err crypto_prf_plus_public_blocks(struct crypto_key *key, uint8_t *input, size_t input_len,
				       size_t n, uint8_t *out);

#endif
