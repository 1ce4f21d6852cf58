/*
 * cts.h - AES in CBC mode with ciphertext stealing as Kerberos uses it
 * (RFC 3962 §5: the last two blocks swapped, CBC-CS3), from the all-zero
 * IV (RFC 3961's initial cipher state), over cipher contexts keyed once
 * per derived key.  Internal to src/crypto.
 *
 * Neither direction re-initialises its context per call: in OpenSSL 3.0
 * setting an IV costs a parameter round trip through the provider (key
 * and IV lengths queried, padding set again), more than the AES of a
 * ticket.  Encryption runs over an AES-CBC context whose CBC state the
 * caller tracks (the last block it produced) and cancels by XOR into the
 * first block; decryption runs over AES-ECB and chains the blocks here.
 */
#ifndef ORTHRUS_CRYPTO_CTS_H
#define ORTHRUS_CRYPTO_CTS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "../base/err.h"

#define CTS_BLOCK 16

/*
 * n bytes (whole blocks, at most INT_MAX) through ctx, a keyed AES-CBC or
 * AES-ECB context without padding, in its direction; a CBC context's
 * state moves on.  out == in or disjoint.  ORTH_E_INTERNAL on a library
 * failure.  Every AES block of src/crypto goes through here.
 */
orth_err cts_blocks(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t n, uint8_t *out);

/*
 * Encrypt len (>= 16) bytes.  cbc: AES-CBC, encrypting; chain: the CBC
 * state cbc is in (all zero right after keying it with the zero IV),
 * updated.  out == in or disjoint.  ORTH_E_INTERNAL on a library failure,
 * after which cbc's state is unknown: key it again.
 */
orth_err cts_encrypt(EVP_CIPHER_CTX *cbc, uint8_t chain[CTS_BLOCK],
		     const uint8_t *in, size_t len, uint8_t *out);

/*
 * Decrypt len (>= 16) bytes.  ecb: AES-ECB, decrypting, no padding.
 * out == in or disjoint.  Nothing of the plaintext is left on the stack.
 */
orth_err cts_decrypt(EVP_CIPHER_CTX *ecb, const uint8_t *in, size_t len,
		     uint8_t *out);

#endif
