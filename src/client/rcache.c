#include "rcache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/writer.h"
#include "crypto/crypto.h"
#include "proto/principal.h"

/* A private key usage for the fingerprint (outside RFC 4120's range, never
 * sent anywhere): the key itself is random per cache. */
#define RCACHE_USAGE 0x7263
#define RCACHE_FP_LEN 16

struct rcache_slot {
	uint8_t fp[RCACHE_FP_LEN];
	int64_t expires;             /* 0: never used */
};

struct rcache {
	pthread_mutex_t lock;
	struct crypto_key *key;      /* hmac-sha256-128 key for fingerprints */
	struct rcache_slot *slots;
	size_t mask;                 /* number of slots - 1 */
};

orth_err
rcache_new(size_t capacity, struct rcache **out)
{
	orth_err ret = ORTH_OK;
	struct rcache *rc = NULL;
	size_t n = 64;

	if (capacity == 0)
		capacity = RCACHE_DEFAULT_CAPACITY;
	CHECK(capacity <= RCACHE_MAX_CAPACITY, ORTH_E_RANGE);
	while (n < capacity)
		n <<= 1;
	rc = calloc(1, sizeof(*rc));
	CHECK(rc != NULL, ORTH_E_NOMEM);
	rc->slots = calloc(n, sizeof(*rc->slots));
	CHECK(rc->slots != NULL, ORTH_E_NOMEM);
	rc->mask = n - 1;
	TRY(crypto_init());
	TRY(crypto_key_random(ENCTYPE_AES128_CTS_HMAC_SHA256_128, &rc->key));
	CHECK(pthread_mutex_init(&rc->lock, NULL) == 0, ORTH_E_INTERNAL);
	*out = rc;
	rc = NULL;
cleanup:
	if (rc != NULL) {
		crypto_key_free(rc->key);
		free(rc->slots);
		free(rc);
	}
	return ret;
}

void
rcache_free(struct rcache *rc)
{
	if (rc == NULL)
		return;
	pthread_mutex_destroy(&rc->lock);
	crypto_key_free(rc->key);
	free(rc->slots);
	free(rc);
}

static void
put_counted(struct writer *w, const char *s)
{
	size_t n = strlen(s);
	writer_be32(w, (uint32_t)n);
	writer_put(w, s, n);
}

/* fp = HMAC(key, len(client) client len(server) server ctime cusec
 * HMAC(key, tag)): lengths make the encoding injective. */
static orth_err
fingerprint(struct crypto_key *key, const struct rcache_key *k,
	    uint8_t fp[RCACHE_FP_LEN])
{
	orth_err ret;
	uint8_t buf[2 * PRINCIPAL_MAX_TEXT + 64 + CRYPTO_MAX_CKSUM_LEN];
	uint8_t tagsum[CRYPTO_MAX_CKSUM_LEN], sum[CRYPTO_MAX_CKSUM_LEN];
	size_t tagsum_len = 0, sum_len = 0;
	int32_t ctype;
	struct writer w;

	CHECK(strlen(k->client) <= PRINCIPAL_MAX_TEXT &&
		  strlen(k->server) <= PRINCIPAL_MAX_TEXT, ORTH_E_RANGE);
	TRY(crypto_checksum_make(key, RCACHE_USAGE, k->tag, k->tag_len, &ctype,
				 tagsum, &tagsum_len));
	writer_init(&w, buf, sizeof(buf));
	put_counted(&w, k->client);
	put_counted(&w, k->server);
	writer_be32(&w, (uint32_t)((uint64_t)k->ctime >> 32));
	writer_be32(&w, (uint32_t)k->ctime);
	writer_be32(&w, (uint32_t)k->cusec);
	writer_put(&w, tagsum, tagsum_len);
	TRY(writer_err(&w));
	TRY(crypto_checksum_make(key, RCACHE_USAGE, buf, w.len, &ctype, sum,
				 &sum_len));
	CHECK(sum_len >= RCACHE_FP_LEN, ORTH_E_INTERNAL);
	memcpy(fp, sum, RCACHE_FP_LEN);
cleanup:
	return ret;
}

orth_err
rcache_put(struct rcache *rc, const struct rcache_key *k, int64_t expires,
	   int64_t now)
{
	orth_err ret;
	uint8_t fp[RCACHE_FP_LEN];
	struct rcache_slot *free_slot = NULL, *s;
	size_t start, i;
	bool locked = false;

	CHECK(pthread_mutex_lock(&rc->lock) == 0, ORTH_E_INTERNAL);
	locked = true;
	/* The key object caches derived keys: use it under the lock. */
	TRY(fingerprint(rc->key, k, fp));
	start = ((size_t)fp[0] | (size_t)fp[1] << 8 | (size_t)fp[2] << 16 |
		 (size_t)fp[3] << 24) & rc->mask;
	/* Scan the whole window: an entry may sit behind a slot that expired
	 * after it was inserted. */
	for (i = 0; i < RCACHE_PROBE && i <= rc->mask; i++) {
		s = &rc->slots[(start + i) & rc->mask];
		if (s->expires == 0 || s->expires < now) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		CHECK(!crypto_ct_equal(s->fp, fp, RCACHE_FP_LEN), ORTH_E_REPLAY);
	}
	CHECK(free_slot != NULL, ORTH_E_LIMIT);
	memcpy(free_slot->fp, fp, RCACHE_FP_LEN);
	free_slot->expires = expires > now ? expires : now;
	if (free_slot->expires == 0)
		free_slot->expires = 1;
	ret = ORTH_OK;
cleanup:
	if (locked)
		pthread_mutex_unlock(&rc->lock);
	return ret;
}

size_t
rcache_count(struct rcache *rc, int64_t now)
{
	size_t i, n = 0;

	pthread_mutex_lock(&rc->lock);
	for (i = 0; i <= rc->mask; i++)
		if (rc->slots[i].expires != 0 && rc->slots[i].expires >= now)
			n++;
	pthread_mutex_unlock(&rc->lock);
	return n;
}
