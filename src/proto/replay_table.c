#include "replay_table.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdlib.h>

/*
 * ngroups groups of REPLAY_TABLE_GROUP slots.  A slot is free when fp is 0
 * (never used) or expires < now, so expiry needs no sweeping.  Group g is
 * guarded by locks[g % NLOCKS].
 */
#define NLOCKS 64
/* Times beyond this are refused, so now +/- skew and ctime + skew cannot
 * overflow. */
#define TIME_BOUND ((int64_t)1 << 62)

struct slot {
	uint64_t fp;      /* 0: never used */
	uint64_t owner;
	int64_t expires;  /* ctime + skew: live while now <= expires */
};

struct replay_table {
	struct slot *slots;
	size_t ngroups;
	size_t nlocks;    /* mutexes initialised (all NLOCKS once built) */
	pthread_mutex_t locks[NLOCKS];
};

static inline bool
slot_free(const struct slot *sl, int64_t now)
{
	return sl->fp == 0 || sl->expires < now;
}

orth_err
replay_table_new(size_t capacity, struct replay_table **out)
{
	orth_err ret = ORTH_OK;
	struct replay_table *t = NULL;

	CHECK(capacity > 0 && capacity <= REPLAY_TABLE_MAX_CAPACITY, ORTH_E_RANGE);
	t = calloc(1, sizeof(*t));
	CHECK(t != NULL, ORTH_E_NOMEM);
	t->ngroups = (capacity + REPLAY_TABLE_GROUP - 1) / REPLAY_TABLE_GROUP;
	t->slots = calloc(t->ngroups * REPLAY_TABLE_GROUP, sizeof(*t->slots));
	CHECK(t->slots != NULL, ORTH_E_NOMEM);
	for (t->nlocks = 0; t->nlocks < NLOCKS; t->nlocks++)
		CHECK(pthread_mutex_init(&t->locks[t->nlocks], NULL) == 0,
		      ORTH_E_INTERNAL);
	*out = t;
	t = NULL;
cleanup:
	replay_table_free(t);
	return ret;
}

void
replay_table_free(struct replay_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nlocks; i++)
		pthread_mutex_destroy(&t->locks[i]);
	free(t->slots);
	free(t);
}

size_t
replay_table_capacity(const struct replay_table *t)
{
	return t->ngroups * REPLAY_TABLE_GROUP;
}

/*
 * One scan of k's group decides everything: a replay wins over every
 * other verdict (a client over its quota must still learn that a replay is
 * one), then the owner's cap, then the room.  A live entry is never
 * overwritten: with no free slot the insert is refused.
 */
static orth_err
table_probe(struct replay_table *t, const struct replay_table_key *k,
	    int64_t skew, int64_t now, bool insert)
{
	struct slot *grp, *free_slot = NULL;
	pthread_mutex_t *lock;
	uint64_t fp;
	size_t g, i, mine = 0;
	orth_err ret;

	if (skew <= 0 || skew > REPLAY_TABLE_MAX_SKEW || now < -TIME_BOUND ||
	    now > TIME_BOUND)
		return ORTH_E_RANGE;
	/* RFC 4120 §3.2.3: outside the window it is refused anyway, so it is
	 * not worth a slot; this also bounds every entry's life to
	 * 2 * skew from now. */
	if (k->ctime < now - skew || k->ctime > now + skew)
		return ORTH_E_SKEW;
	fp = k->fp != 0 ? k->fp : 1;
	g = (size_t)(k->group % t->ngroups);
	grp = t->slots + g * REPLAY_TABLE_GROUP;
	lock = &t->locks[g % NLOCKS];

	pthread_mutex_lock(lock);
	for (i = 0; i < REPLAY_TABLE_GROUP; i++) {
		struct slot *sl = &grp[i];
		if (slot_free(sl, now)) {
			if (free_slot == NULL)
				free_slot = sl;
			continue;
		}
		if (sl->fp == fp) {
			ret = ORTH_E_REPLAY;
			goto unlock;
		}
		if (sl->owner == k->owner)
			mine++;
	}
	if (!insert) {
		ret = ORTH_OK;
	} else if (mine >= REPLAY_TABLE_OWNER_CAP) {
		ret = ORTH_E_POLICY;
	} else if (free_slot == NULL) {
		ret = ORTH_E_LIMIT;
	} else {
		free_slot->fp = fp;
		free_slot->owner = k->owner;
		/* ctime >= now - skew, so this is >= now: live at least this second. */
		free_slot->expires = k->ctime + skew;
		ret = ORTH_OK;
	}
unlock:
	pthread_mutex_unlock(lock);
	return ret;
}

orth_err
replay_table_put(struct replay_table *t, const struct replay_table_key *k,
		 int64_t skew, int64_t now)
{
	return table_probe(t, k, skew, now, true);
}

orth_err
replay_table_get(struct replay_table *t, const struct replay_table_key *k,
		 int64_t skew, int64_t now)
{
	return table_probe(t, k, skew, now, false);
}

size_t
replay_table_count(struct replay_table *t, int64_t now)
{
	size_t g, i, n = 0;

	for (g = 0; g < t->ngroups; g++) {
		const struct slot *grp = t->slots + g * REPLAY_TABLE_GROUP;
		pthread_mutex_lock(&t->locks[g % NLOCKS]);
		for (i = 0; i < REPLAY_TABLE_GROUP; i++)
			if (!slot_free(&grp[i], now))
				n++;
		pthread_mutex_unlock(&t->locks[g % NLOCKS]);
	}
	return n;
}
