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

#endif
