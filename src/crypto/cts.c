/*
 * cts.c - Kerberos AES-CTS (RFC 3962 §5) over AES-CBC and AES-ECB
 * contexts that stay keyed (cts.h says why).
 *
 * With m blocks, the last of r bytes (1..16), zero IV: CBC over the
 * plaintext with its last block zero-padded gives C_1 .. C_m; the
 * ciphertext is C_1 .. C_{m-2}, C_m, C_{m-1} cut to r bytes.  One block
 * (len 16) is just E(P).
 */
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cts.h"

/* Decryption works through the stack this many bytes at a time. */
#define CTS_CHUNK 256

static void
xor_bytes(uint8_t *restrict a, const uint8_t *restrict b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] ^= b[i];
}

static void
xor_block(uint8_t *a, const uint8_t *b)
{
	xor_bytes(a, b, CTS_BLOCK);
}

/*
 * EVP_Cipher, not EVP_CipherUpdate: whole blocks with no padding are all
 * we pass, and EVP_Cipher hands them to the provider's cipher function
 * directly, where the update path first runs the provider's buffering
 * for partial blocks (callgrind: some 200 instructions per call, and a
 * FAST TGS-REQ makes about 40).  It returns the bytes processed (a
 * provider cipher) or 1 (a legacy one), -1 or 0 on failure.
 */
orth_err
cts_blocks(EVP_CIPHER_CTX *ctx, const uint8_t *in, size_t n, uint8_t *out)
{
	if (n % CTS_BLOCK != 0 || n > INT_MAX || EVP_Cipher(ctx, out, in, (unsigned int)n) <= 0)
		return ORTH_E_INTERNAL;
	return ORTH_OK;
}

orth_err
cts_encrypt(EVP_CIPHER_CTX *cbc, uint8_t chain[CTS_BLOCK], const uint8_t *in,
	    size_t len, uint8_t *out)
{
	uint8_t last[CTS_BLOCK] = {0}, prev[CTS_BLOCK];
	size_t full, r;
	orth_err ret = ORTH_OK;

	CHECK(len >= CTS_BLOCK && len <= INT32_MAX, ORTH_E_INTERNAL);
	/* full whole blocks before the last one, which has r bytes. */
	full = (len - 1) / CTS_BLOCK;
	r = len - CTS_BLOCK * full;
	memcpy(last, in + CTS_BLOCK * full, r);
	if (full > 0 && out != in)
		memcpy(out, in, CTS_BLOCK * full);
	/* cbc XORs its state into the first block: XOR it in beforehand
	 * and the block is encrypted as from the zero IV. */
	xor_block(full > 0 ? out : last, chain);
	if (full > 0)
		TRY(cts_blocks(cbc, out, CTS_BLOCK * full, out));
	TRY(cts_blocks(cbc, last, CTS_BLOCK, last));
	memcpy(chain, last, CTS_BLOCK);
	if (full == 0) {
		memcpy(out, last, CTS_BLOCK);
		goto cleanup;
	}
	/* Swap C_{m-1} and C_m; C_{m-1} gives up its last 16 - r bytes. */
	memcpy(prev, out + CTS_BLOCK * (full - 1), CTS_BLOCK);
	memcpy(out + CTS_BLOCK * (full - 1), last, CTS_BLOCK);
	memcpy(out + CTS_BLOCK * full, prev, r);
cleanup:
	/* On failure last may still be plaintext. */
	OPENSSL_cleanse(last, sizeof(last));
	return ret;
}

orth_err
cts_decrypt(EVP_CIPHER_CTX *ecb, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t buf[CTS_CHUNK], prev[CTS_BLOCK] = {0}, dm[CTS_BLOCK];
	uint8_t stolen[CTS_BLOCK], cm1[CTS_BLOCK], *dst;
	size_t full, r, whole = 0, off, n = 0, m, chunk, buf_used = 0;
	orth_err ret = ORTH_OK;

	CHECK(len >= CTS_BLOCK && len <= INT32_MAX, ORTH_E_INTERNAL);
	full = (len - 1) / CTS_BLOCK;
	r = len - CTS_BLOCK * full;
	if (full == 0) {
		TRY(cts_blocks(ecb, in, CTS_BLOCK, out));
		goto cleanup;
	}
	whole = CTS_BLOCK * full;
	memcpy(stolen, in + whole, r);
	/* Disjoint buffers: the blocks are decrypted straight into out, in
	 * one go; in place, through buf a chunk at a time, as in must be
	 * read before out overwrites it. */
	chunk = out != in ? whole : CTS_CHUNK;
	/* D() of the whole blocks: C_1 .. C_{m-2} (each then XORed with the
	 * ciphertext block before it: CBC), and last C_m, kept as D_m. */
	for (off = 0; off < whole; off += n) {
		n = whole - off < chunk ? whole - off : chunk;
		dst = out != in ? out + off : buf;
		if (dst == buf && n > buf_used)
			buf_used = n;
		TRY(cts_blocks(ecb, in + off, n, dst));
		/* The chunk's first m bytes chain; the last chunk ends with D_m. */
		m = off + n == whole ? n - CTS_BLOCK : n;
		if (m < n)
			memcpy(dm, dst + m, CTS_BLOCK);
		if (m > 0) {
			/* The block before the first is prev (the chunk before
			 * may be overwritten); the others' are still in in
			 * (out is written after).  One XOR over the chunk, not
			 * a call per block. */
			xor_block(dst, prev);
			xor_bytes(dst + CTS_BLOCK, in + off, m - CTS_BLOCK);
			memcpy(prev, in + off + m - CTS_BLOCK, CTS_BLOCK);
		}
		if (dst == buf)
			memcpy(out + off, buf, n);
	}
	/* D_m = pad(P_m) ^ C_{m-1}: past r bytes it is C_{m-1} itself, so
	 * C_{m-1} = the r stolen bytes | the rest of D_m.  Its block in out
	 * (C_m, or D_m) is no longer needed: dm holds D_m. */
	memcpy(cm1, stolen, r);
	memcpy(cm1 + r, dm + r, CTS_BLOCK - r);
	TRY(cts_blocks(ecb, cm1, CTS_BLOCK, out + whole - CTS_BLOCK));
	xor_block(out + whole - CTS_BLOCK, prev);
	for (size_t i = 0; i < r; i++)
		out[whole + i] = dm[i] ^ stolen[i];
cleanup:
	/* What of buf held plaintext (nothing when out was written
	 * directly); on failure the caller wipes out. */
	if (buf_used > 0)
		OPENSSL_cleanse(buf, buf_used);
	OPENSSL_cleanse(dm, sizeof(dm));
	return ret;
}
