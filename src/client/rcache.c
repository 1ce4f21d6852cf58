#include "rcache.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/writer.h"
#include "crypto/crypto.h"
#include "proto/principal.h"
#include "proto/replay_table.h"

/* Private key usages for the hashes (outside RFC 4120's range, never sent
 * anywhere): the key itself is random per cache. */
#define RCACHE_USAGE 0x7263
#define RCACHE_USAGE_OWNER 0x7264

/* The table (proto/replay_table.c) keeps the entries; this file hashes the
 * service side's fields. */
struct rcache {
	pthread_mutex_t lock;        /* the key object caches derived keys */
	struct crypto_key *key;      /* hmac-sha256-128 key for the hashes */
	struct replay_table *t;
};

orth_err
rcache_new(size_t capacity, struct rcache **out)
{
	orth_err ret = ORTH_OK;
	struct rcache *rc = NULL;

	if (capacity == 0)
		capacity = RCACHE_DEFAULT_CAPACITY;
	CHECK(capacity <= RCACHE_MAX_CAPACITY, ORTH_E_RANGE);
	rc = calloc(1, sizeof(*rc));
	CHECK(rc != NULL, ORTH_E_NOMEM);
	TRY(replay_table_new(capacity, &rc->t));
	TRY(crypto_init());
	TRY(crypto_key_random(ENCTYPE_AES128_CTS_HMAC_SHA256_128, &rc->key));
	/* Last: nothing fallible follows, so cleanup never destroys it. */
	CHECK(pthread_mutex_init(&rc->lock, NULL) == 0, ORTH_E_INTERNAL);
	*out = rc;
	rc = NULL;
cleanup:
	if (rc != NULL) {
		crypto_key_free(rc->key);
		replay_table_free(rc->t);
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
	replay_table_free(rc->t);
	free(rc);
}

static void
put_counted(struct writer *w, const char *s)
{
	size_t n = strlen(s);
	writer_be32(w, (uint32_t)n);
	writer_put(w, s, n);
}

static uint64_t
load64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* HMAC(key, usage, buf) cut to 16 bytes: two 64-bit values. */
static orth_err
keyed(struct crypto_key *key, int32_t usage, const uint8_t *buf, size_t len,
      uint64_t *a_out, uint64_t *b_out)
{
	orth_err ret;
	uint8_t sum[CRYPTO_MAX_CKSUM_LEN];
	size_t sum_len = 0;
	int32_t ctype;

	TRY(crypto_checksum_make(key, usage, buf, len, &ctype, sum, &sum_len));
	CHECK(sum_len >= 16, ORTH_E_INTERNAL);
	*a_out = load64(sum);
	*b_out = load64(sum + 8);
cleanup:
	return ret;
}

/* fp and group = HMAC(key, len(client) client len(server) server ctime
 * cusec HMAC(key, tag)): lengths make the encoding injective.  owner =
 * HMAC(key, another usage, len(client) client). */
static orth_err
table_key(struct crypto_key *key, const struct rcache_key *k,
	  struct replay_table_key *out)
{
	orth_err ret;
	uint8_t buf[2 * PRINCIPAL_MAX_TEXT + 64 + CRYPTO_MAX_CKSUM_LEN];
	uint8_t tagsum[CRYPTO_MAX_CKSUM_LEN];
	size_t tagsum_len = 0;
	uint64_t unused;
	int32_t ctype;
	struct writer w;

	CHECK(strlen(k->client) <= PRINCIPAL_MAX_TEXT &&
		  strlen(k->server) <= PRINCIPAL_MAX_TEXT, ORTH_E_RANGE);
	writer_init(&w, buf, sizeof(buf));
	put_counted(&w, k->client);
	TRY(writer_err(&w));
	TRY(keyed(key, RCACHE_USAGE_OWNER, buf, w.len, &out->owner, &unused));
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
	TRY(keyed(key, RCACHE_USAGE, buf, w.len, &out->fp, &out->group));
	out->ctime = k->ctime;
cleanup:
	return ret;
}

orth_err
rcache_put(struct rcache *rc, const struct rcache_key *k, int64_t skew,
	   int64_t now)
{
	orth_err ret;
	struct replay_table_key tk;
	bool locked = false;

	CHECK(pthread_mutex_lock(&rc->lock) == 0, ORTH_E_INTERNAL);
	locked = true;
	/* The key object caches derived keys: use it under the lock. */
	TRY(table_key(rc->key, k, &tk));
	pthread_mutex_unlock(&rc->lock);
	locked = false;
	ret = replay_table_put(rc->t, &tk, skew, now);
cleanup:
	if (locked)
		pthread_mutex_unlock(&rc->lock);
	return ret;
}

size_t
rcache_count(struct rcache *rc, int64_t now)
{
	return replay_table_count(rc->t, now);
}
