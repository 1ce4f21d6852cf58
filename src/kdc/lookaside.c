#include "lookaside.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

/*
 * Entries are chained in a bucket array (power of two, about one bucket per
 * entry) and in one FIFO list in insertion order.  Since every entry lives
 * for the same window, FIFO order is expiry order: expired entries are
 * dropped from the head on each put, and the head is also what goes when a
 * cap is reached.  One malloc per entry holds the header, request and reply;
 * once the caps are reached, an evicted entry's memory takes the next one.
 */
struct entry {
	struct entry *hnext;             /* bucket chain */
	struct entry **hpprev;           /* what points at this entry in it */
	struct entry *fprev, *fnext;     /* FIFO */
	uint64_t hash;
	int64_t expires;                 /* live while now < expires */
	size_t req_len, reply_len;
	size_t cap;                      /* bytes of data[] allocated */
	uint8_t data[];                  /* req then reply */
};

/*
 * The workers share the cache, so that a retransmission that reaches
 * another worker (a retry over TCP) is still recognised; to keep them from
 * meeting on one lock for every request, it is cut into shards by the
 * request's hash, each with its own lock, table, FIFO and share of the
 * caps.  A request always maps to the same shard.  Small caps (the unit
 * tests') keep one shard, so that they stay exact.
 */
#define LOOKASIDE_SHARDS 16
#define LOOKASIDE_SHARD_MIN_ENTRIES 256 /* per shard, else fewer shards */

struct shard {
	pthread_mutex_t lock;
	struct entry **buckets;
	size_t nbuckets;                 /* power of two */
	struct entry *head, *tail;       /* oldest, newest */
	size_t nentries, nbytes;
	size_t max_entries, max_bytes;
} __attribute__((aligned(64)));      /* no false sharing between shards */

struct kdc_lookaside {
	struct siphash_key key;
	int64_t window;
	size_t nshards;
	struct shard shards[LOOKASIDE_SHARDS];
};

static struct shard *
shard_of(struct kdc_lookaside *la, uint64_t h)
{
	return &la->shards[(h >> 32) % la->nshards];
}

orth_err
kdc_lookaside_new(int64_t window, size_t max_entries, size_t max_bytes,
    struct kdc_lookaside **la_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_lookaside *la = NULL;
	size_t i;

	CHECK(window >= 0, ORTH_E_RANGE);
	/* the shards' alignment: not what calloc promises */
	la = aligned_alloc(_Alignof(struct kdc_lookaside), sizeof(*la));
	CHECK(la != NULL, ORTH_E_NOMEM);
	memset(la, 0, sizeof(*la));
	la->window = window ? window : KDC_LOOKASIDE_DEFAULT_WINDOW;
	max_entries = max_entries ? max_entries : KDC_LOOKASIDE_DEFAULT_ENTRIES;
	max_bytes = max_bytes ? max_bytes : KDC_LOOKASIDE_DEFAULT_BYTES;
	la->nshards = LOOKASIDE_SHARDS;
	while (la->nshards > 1 && max_entries / la->nshards < LOOKASIDE_SHARD_MIN_ENTRIES)
		la->nshards /= 2;
	for (i = 0; i < la->nshards; i++) {
		struct shard *sh = &la->shards[i];
		sh->max_entries = max_entries / la->nshards;
		sh->max_bytes = max_bytes / la->nshards;
		sh->nbuckets = 16;
		while (sh->nbuckets < sh->max_entries && sh->nbuckets < ((size_t)1 << 24))
			sh->nbuckets <<= 1;
		sh->buckets = calloc(sh->nbuckets, sizeof(*sh->buckets));
		CHECK(sh->buckets != NULL, ORTH_E_NOMEM);
		pthread_mutex_init(&sh->lock, NULL);
	}
	TRY(siphash_key_random(&la->key));
	*la_out = la;
	la = NULL;
cleanup:
	kdc_lookaside_free(la);
	return ret;
}

void
kdc_lookaside_free(struct kdc_lookaside *la)
{
	struct entry *e, *next;
	size_t i;

	if (la == NULL)
		return;
	for (i = 0; i < la->nshards; i++) {
		struct shard *sh = &la->shards[i];
		if (sh->buckets == NULL)
			continue; /* a new() that failed half way */
		for (e = sh->head; e != NULL; e = next) {
			next = e->fnext;
			free(e);
		}
		pthread_mutex_destroy(&sh->lock);
		free(sh->buckets);
	}
	free(la);
}

/* Takes e out of its bucket and the FIFO; the caller frees or reuses it.
 * The oldest entry is the last of its chain (entries go in at the front),
 * and the chain is cold memory by then: hpprev unlinks it without
 * walking the chain (perf, bench UDP TGS load: the walk was half the
 * cost of a put). */
static void
entry_detach(struct shard *sh, struct entry *e)
{
	*e->hpprev = e->hnext;
	if (e->hnext != NULL)
		e->hnext->hpprev = e->hpprev;
	if (e->fprev != NULL)
		e->fprev->fnext = e->fnext;
	else
		sh->head = e->fnext;
	if (e->fnext != NULL)
		e->fnext->fprev = e->fprev;
	else
		sh->tail = e->fprev;
	sh->nentries--;
	sh->nbytes -= e->req_len + e->reply_len;
}

static void
entry_unlink(struct shard *sh, struct entry *e)
{
	entry_detach(sh, e);
	free(e);
}

/*
 * Evicts the oldest entry.  Once the caps are reached every put evicts, so
 * the first evicted entry with room for size bytes (and not more than
 * twice that: the caps count stored bytes, not allocations) becomes
 * *spare, the new entry's memory: no malloc and free per request (perf,
 * bench UDP TGS load: malloc and free ~5% of the KDC's CPU).
 */
static void
evict_oldest(struct shard *sh, struct entry **spare, size_t size)
{
	struct entry *e = sh->head;

	entry_detach(sh, e);
	if (*spare == NULL && e->cap >= size && e->cap / 2 <= size)
		*spare = e;
	else
		free(e);
}

static struct entry *
entry_find(struct shard *sh, uint64_t h, const uint8_t *req, size_t req_len)
{
	struct entry *e;

	for (e = sh->buckets[h & (sh->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->req_len == req_len &&
		    memcmp(e->data, req, req_len) == 0)
			return e;
	return NULL;
}

/* SipHash-1-3 (siphash.h): the hash only picks a shard and a bucket, an
 * entry matches on the whole request (entry_find), and the key is random
 * per process, so a flood cannot aim at one bucket.  Every request is
 * hashed whole (~800 bytes for a TGS-REQ): 2-4 cost ~3,000 instructions
 * per request, 1-3 half of that. */
uint64_t
kdc_lookaside_hash(const struct kdc_lookaside *la, const uint8_t *req, size_t req_len)
{
	return siphash13(&la->key, req, req_len);
}

orth_err
kdc_lookaside_get(struct kdc_lookaside *la, uint64_t h, const uint8_t *req, size_t req_len,
    int64_t now, struct writer *reply)
{
	orth_err ret = ORTH_E_NOTFOUND;
	struct entry *e;
	struct shard *sh;

	if (req_len == 0)
		return ORTH_E_NOTFOUND;
	sh = shard_of(la, h);
	pthread_mutex_lock(&sh->lock);
	e = entry_find(sh, h, req, req_len);
	if (e != NULL && now < e->expires) {
		writer_put(reply, e->data + e->req_len, e->reply_len);
		ret = writer_err(reply) == ORTH_OK ? ORTH_OK : ORTH_E_LIMIT;
	}
	pthread_mutex_unlock(&sh->lock);
	return ret;
}

orth_err
kdc_lookaside_put(struct kdc_lookaside *la, uint64_t h, const uint8_t *req, size_t req_len,
    const uint8_t *reply, size_t reply_len, int64_t now)
{
	orth_err ret = ORTH_OK;
	struct entry *e = NULL, *old;
	struct shard *sh;
	size_t size = req_len + reply_len;

	if (req_len == 0 || size < req_len)
		return ORTH_E_LIMIT;
	sh = shard_of(la, h);
	if (size > sh->max_bytes)
		return ORTH_E_LIMIT;

	pthread_mutex_lock(&sh->lock);
	old = entry_find(sh, h, req, req_len);
	if (old != NULL)
		entry_unlink(sh, old);
	/* Expired first, then oldest until both caps hold with the new entry. */
	while (sh->head != NULL && sh->head->expires <= now)
		evict_oldest(sh, &e, size);
	while (sh->head != NULL && (sh->nentries + 1 > sh->max_entries ||
	    sh->nbytes + size > sh->max_bytes))
		evict_oldest(sh, &e, size);
	if (e == NULL) {
		e = malloc(sizeof(*e) + size);
		if (e == NULL) {
			pthread_mutex_unlock(&sh->lock);
			return ORTH_E_NOMEM;
		}
		e->cap = size;
	}
	e->hash = h;
	e->expires = now + la->window;
	e->req_len = req_len;
	e->reply_len = reply_len;
	memcpy(e->data, req, req_len);
	if (reply_len != 0)
		memcpy(e->data + req_len, reply, reply_len);
	e->hpprev = &sh->buckets[h & (sh->nbuckets - 1)];
	e->hnext = *e->hpprev;
	if (e->hnext != NULL)
		e->hnext->hpprev = &e->hnext;
	*e->hpprev = e;
	e->fnext = NULL;
	e->fprev = sh->tail;
	if (sh->tail != NULL)
		sh->tail->fnext = e;
	else
		sh->head = e;
	sh->tail = e;
	sh->nentries++;
	sh->nbytes += size;
	pthread_mutex_unlock(&sh->lock);
	return ret;
}

void
kdc_lookaside_stats(struct kdc_lookaside *la, size_t *entries_out, size_t *bytes_out)
{
	size_t i, entries = 0, bytes = 0;

	for (i = 0; i < la->nshards; i++) {
		pthread_mutex_lock(&la->shards[i].lock);
		entries += la->shards[i].nentries;
		bytes += la->shards[i].nbytes;
		pthread_mutex_unlock(&la->shards[i].lock);
	}
	if (entries_out != NULL)
		*entries_out = entries;
	if (bytes_out != NULL)
		*bytes_out = bytes;
}
