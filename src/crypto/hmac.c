/*
 * hmac.c - HMAC over OpenSSL's low-level SHA functions, from per-key
 * precomputed pad states.
 *
 * Why the deprecated SHA*_Init/Update/Final: an HMAC of the RFC 3961
 * profile covers a few hundred bytes, and through EVP_MAC each one cost
 * about 2,000 instructions beyond its compression function (the HMAC
 * context is re-initialised by copying two EVP_MD_CTX, each a provider
 * context allocated and freed; then OSSL_PARAM queries at final), more than
 * the hashing itself.  The low-level functions run the same compression
 * code (with the same CPU dispatch) on a plain struct that is copied by
 * value.  This file is the only user of them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "hmac.h"

/* RFC 2104 §2: B, the digest's block length. */
static size_t
md_block(int md)
{
	return md == MD_SHA384 ? SHA512_CBLOCK : SHA_CBLOCK;
}

static size_t
md_len(int md)
{
	switch (md) {
	case MD_SHA1:
		return SHA_DIGEST_LENGTH;
	case MD_SHA256:
		return SHA256_DIGEST_LENGTH;
	default:
		return SHA384_DIGEST_LENGTH;
	}
}

/* The bytes of a state that hold anything (what a wipe must cover). */
static size_t
md_state_size(int md)
{
	switch (md) {
	case MD_SHA1:
		return sizeof(SHA_CTX);
	case MD_SHA256:
		return sizeof(SHA256_CTX);
	default:
		return sizeof(SHA512_CTX);
	}
}

static void
md_init(int md, union hmac_md_state *s)
{
	switch (md) {
	case MD_SHA1:
		SHA1_Init(&s->sha1);
		break;
	case MD_SHA256:
		SHA256_Init(&s->sha256);
		break;
	default:
		SHA384_Init(&s->sha512);
		break;
	}
}

static void
md_update(int md, union hmac_md_state *s, const void *p, size_t n)
{
	switch (md) {
	case MD_SHA1:
		SHA1_Update(&s->sha1, p, n);
		break;
	case MD_SHA256:
		SHA256_Update(&s->sha256, p, n);
		break;
	default:
		SHA384_Update(&s->sha512, p, n);
		break;
	}
}

static void
md_final(int md, union hmac_md_state *s, uint8_t *out)
{
	switch (md) {
	case MD_SHA1:
		SHA1_Final(out, &s->sha1);
		break;
	case MD_SHA256:
		SHA256_Final(out, &s->sha256);
		break;
	default:
		SHA384_Final(out, &s->sha512);
		break;
	}
}

void
hmac_key_set(struct hmac_key *hk, int md, const uint8_t *k, size_t klen)
{
	uint8_t pad[SHA512_CBLOCK], hashed[HMAC_MAX_LEN];
	union hmac_md_state tmp;
	size_t b = md_block(md);

	hk->md = md;
	if (klen > b) {
		md_init(md, &tmp);
		md_update(md, &tmp, k, klen);
		md_final(md, &tmp, hashed);
		OPENSSL_cleanse(&tmp, md_state_size(md));
		k = hashed;
		klen = md_len(md);
	}
	/* RFC 2104 §2: K zero-padded to B bytes, XOR ipad (0x36) / opad
	 * (0x5c). */
	memset(pad, 0x36, b);
	for (size_t i = 0; i < klen; i++)
		pad[i] ^= k[i];
	md_init(md, &hk->in);
	md_update(md, &hk->in, pad, b);
	for (size_t i = 0; i < b; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	md_init(md, &hk->out);
	md_update(md, &hk->out, pad, b);
	OPENSSL_cleanse(pad, b);
	if (k == hashed)
		OPENSSL_cleanse(hashed, sizeof(hashed));
}

void
hmac_key_wipe(struct hmac_key *hk)
{
	size_t n = md_state_size(hk->md);

	OPENSSL_cleanse(&hk->in, n);
	OPENSSL_cleanse(&hk->out, n);
}

void
hmac_begin(struct hmac_run *r, const struct hmac_key *hk)
{
	r->key = hk;
	memcpy(&r->st, &hk->in, md_state_size(hk->md));
}

void
hmac_update(struct hmac_run *r, const void *p, size_t n)
{
	if (n > 0)
		md_update(r->key->md, &r->st, p, n);
}

size_t
hmac_end(struct hmac_run *r, uint8_t *out)
{
	const struct hmac_key *hk = r->key;
	uint8_t inner[HMAC_MAX_LEN];
	size_t dlen = md_len(hk->md), n = md_state_size(hk->md);

	/* HMAC = H(K ^ opad | H(K ^ ipad | text)). */
	md_final(hk->md, &r->st, inner);
	memcpy(&r->st, &hk->out, n);
	md_update(hk->md, &r->st, inner, dlen);
	md_final(hk->md, &r->st, out);
	OPENSSL_cleanse(inner, dlen);
	/* SHA1_Final and SHA256_Final wipe their block buffer themselves
	 * (md32_common.h), and the chaining value left is the digest, which
	 * the caller gets: wiping the state again would only repeat that.
	 * SHA384_Final leaves its buffer. */
	if (hk->md == MD_SHA384)
		OPENSSL_cleanse(&r->st, n);
	return dlen;
}
