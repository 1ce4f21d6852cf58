/*
 * hmac.h - HMAC (RFC 2104) with SHA-1, SHA-256 and SHA-384 for the RFC 3961
 * profile: a key's inner and outer pad states are computed once
 * (hmac_key_set) and every HMAC starts from a copy of them, with no
 * allocation and no provider dispatch.  Internal to src/crypto.
 *
 * A struct hmac_key is key material: hmac_key_wipe() it before it is
 * freed.  It is only read by hmac_begin/hmac_end, so one key may serve
 * several threads at once, each with its own struct hmac_run.
 */
#ifndef ORTHRUS_CRYPTO_HMAC_H
#define ORTHRUS_CRYPTO_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/sha.h>

/* The digests of the HMACs the enctypes use. */
enum { MD_SHA1, MD_SHA256, MD_SHA384, MD_COUNT };

/* Longest digest (SHA-384). */
#define HMAC_MAX_LEN 48

union hmac_md_state {
	SHA_CTX sha1;
	SHA256_CTX sha256;
	SHA512_CTX sha512;
};

struct hmac_key {
	int md; /* MD_* */
	union hmac_md_state in;  /* after the block of key ^ ipad */
	union hmac_md_state out; /* after the block of key ^ opad */
};

/* One HMAC in progress (on the caller's stack). */
struct hmac_run {
	const struct hmac_key *key;
	union hmac_md_state st;
};

/* Key hk for digest md (MD_*) with k (any length; RFC 2104 §2 hashes a
 * key longer than the block). */
void hmac_key_set(struct hmac_key *hk, int md, const uint8_t *k, size_t klen);
/* Wipe the pad states of hk (they are as good as the key). */
void hmac_key_wipe(struct hmac_key *hk);

void hmac_begin(struct hmac_run *r, const struct hmac_key *hk);
void hmac_update(struct hmac_run *r, const void *p, size_t n);
/* The full digest into out (HMAC_MAX_LEN bytes of room); returns its
 * length.  r is wiped. */
size_t hmac_end(struct hmac_run *r, uint8_t *out);

#endif
