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
 * cap is reached.  One malloc per entry holds the header, request and reply.
 */
struct entry {
	struct entry *hnext;             /* bucket chain */
	struct entry *fprev, *fnext;     /* FIFO */
	uint64_t hash;
	int64_t expires;                 /* live while now < expires */
	size_t req_len, reply_len;
	uint8_t data[];                  /* req then reply */
};

struct kdc_lookaside {
	pthread_mutex_t lock;
	struct siphash_key key;
	struct entry **buckets;
	size_t nbuckets;                 /* power of two */
	struct entry *head, *tail;       /* oldest, newest */
	size_t nentries, nbytes;
	size_t max_entries, max_bytes;
	int64_t window;
};

orth_err
kdc_lookaside_new(int64_t window, size_t max_entries, size_t max_bytes,
    struct kdc_lookaside **la_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_lookaside *la = NULL;

	CHECK(window >= 0, ORTH_E_RANGE);
	la = calloc(1, sizeof(*la));
	CHECK(la != NULL, ORTH_E_NOMEM);
	la->window = window ? window : KDC_LOOKASIDE_DEFAULT_WINDOW;
	la->max_entries = max_entries ? max_entries : KDC_LOOKASIDE_DEFAULT_ENTRIES;
	la->max_bytes = max_bytes ? max_bytes : KDC_LOOKASIDE_DEFAULT_BYTES;
	la->nbuckets = 16;
	while (la->nbuckets < la->max_entries && la->nbuckets < ((size_t)1 << 24))
		la->nbuckets <<= 1;
	la->buckets = calloc(la->nbuckets, sizeof(*la->buckets));
	CHECK(la->buckets != NULL, ORTH_E_NOMEM);
	TRY(siphash_key_random(&la->key));
	pthread_mutex_init(&la->lock, NULL);
	*la_out = la;
	la = NULL;
cleanup:
	if (la != NULL) {
		free(la->buckets);
		free(la);
	}
	return ret;
}

void
kdc_lookaside_free(struct kdc_lookaside *la)
{
	struct entry *e, *next;

	if (la == NULL)
		return;
	for (e = la->head; e != NULL; e = next) {
		next = e->fnext;
		free(e);
	}
	pthread_mutex_destroy(&la->lock);
	free(la->buckets);
	free(la);
}

static void
entry_unlink(struct kdc_lookaside *la, struct entry *e)
{
	struct entry **pp = &la->buckets[e->hash & (la->nbuckets - 1)];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->fprev != NULL)
		e->fprev->fnext = e->fnext;
	else
		la->head = e->fnext;
	if (e->fnext != NULL)
		e->fnext->fprev = e->fprev;
	else
		la->tail = e->fprev;
	la->nentries--;
	la->nbytes -= e->req_len + e->reply_len;
	free(e);
}

static struct entry *
entry_find(struct kdc_lookaside *la, uint64_t h, const uint8_t *req, size_t req_len)
{
	struct entry *e;

	for (e = la->buckets[h & (la->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && e->req_len == req_len &&
		    memcmp(e->data, req, req_len) == 0)
			return e;
	return NULL;
}

orth_err
kdc_lookaside_get(struct kdc_lookaside *la, const uint8_t *req, size_t req_len,
    int64_t now, struct writer *reply)
{
	orth_err ret = ORTH_E_NOTFOUND;
	uint64_t h;
	struct entry *e;

	if (req_len == 0)
		return ORTH_E_NOTFOUND;
	h = siphash24(&la->key, req, req_len);
	pthread_mutex_lock(&la->lock);
	e = entry_find(la, h, req, req_len);
	if (e != NULL && now < e->expires) {
		writer_put(reply, e->data + e->req_len, e->reply_len);
		ret = writer_err(reply) == ORTH_OK ? ORTH_OK : ORTH_E_LIMIT;
	}
	pthread_mutex_unlock(&la->lock);
	return ret;
}

orth_err
kdc_lookaside_put(struct kdc_lookaside *la, const uint8_t *req, size_t req_len,
    const uint8_t *reply, size_t reply_len, int64_t now)
{
	orth_err ret = ORTH_OK;
	uint64_t h;
	struct entry *e, *old;
	size_t size = req_len + reply_len;

	if (req_len == 0 || size < req_len || size > la->max_bytes)
		return ORTH_E_LIMIT;
	e = malloc(sizeof(*e) + size);
	if (e == NULL)
		return ORTH_E_NOMEM;
	h = siphash24(&la->key, req, req_len);
	e->hash = h;
	e->expires = now + la->window;
	e->req_len = req_len;
	e->reply_len = reply_len;
	memcpy(e->data, req, req_len);
	if (reply_len != 0)
		memcpy(e->data + req_len, reply, reply_len);

	pthread_mutex_lock(&la->lock);
	old = entry_find(la, h, req, req_len);
	if (old != NULL)
		entry_unlink(la, old);
	/* Expired first, then oldest until both caps hold with the new entry. */
	while (la->head != NULL && la->head->expires <= now)
		entry_unlink(la, la->head);
	while (la->head != NULL && (la->nentries + 1 > la->max_entries ||
	    la->nbytes + size > la->max_bytes))
		entry_unlink(la, la->head);
	e->hnext = la->buckets[h & (la->nbuckets - 1)];
	la->buckets[h & (la->nbuckets - 1)] = e;
	e->fnext = NULL;
	e->fprev = la->tail;
	if (la->tail != NULL)
		la->tail->fnext = e;
	else
		la->head = e;
	la->tail = e;
	la->nentries++;
	la->nbytes += size;
	pthread_mutex_unlock(&la->lock);
	return ret;
}

void
kdc_lookaside_stats(struct kdc_lookaside *la, size_t *entries_out, size_t *bytes_out)
{
	pthread_mutex_lock(&la->lock);
	if (entries_out != NULL)
		*entries_out = la->nentries;
	if (bytes_out != NULL)
		*bytes_out = la->nbytes;
	pthread_mutex_unlock(&la->lock);
}
