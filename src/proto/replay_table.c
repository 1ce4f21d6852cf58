#include "replay_table.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdlib.h>

/*
 * ngroups groups of REPLAY_TABLE_GROUP slots.  A slot is free when fp is 0
 * (never used) or expires < now (or implausibly far ahead, see the
 * header), so expiry needs no sweeping.  Group g is
 * guarded by locks[g % NLOCKS].
 */
#define NLOCKS 64
/* Times beyond this are refused, so now +/- skew and ctime + skew cannot
 * overflow. */
#define TIME_BOUND ((int64_t)1 << 62)

struct replay_table {
	struct replay_slot *slots;
	size_t ngroups;
	size_t nlocks;    /* mutexes initialised (all NLOCKS once built) */
	pthread_mutex_t locks[NLOCKS];
};

static inline bool
slot_free(const struct replay_slot *sl, int64_t now)
{
	/* Beyond now + 2 * MAX_SKEW: never stored so far ahead (header). */
	return sl->fp == 0 || sl->expires < now ||
	       sl->expires > now + 2 * (int64_t)REPLAY_TABLE_MAX_SKEW;
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
orth_err
replay_group_probe(struct replay_slot *grp, const struct replay_table_key *k,
		   int64_t skew, int64_t now, bool insert, size_t *stored_out)
{
	size_t i, mine = 0, free_i = REPLAY_TABLE_GROUP;
	uint64_t fp;

	if (stored_out != NULL)
		*stored_out = REPLAY_TABLE_GROUP;
	if (skew <= 0 || skew > REPLAY_TABLE_MAX_SKEW || now < -TIME_BOUND ||
	    now > TIME_BOUND)
		return ORTH_E_RANGE;
	/* RFC 4120 §3.2.3: outside the window it is refused anyway, so it is
	 * not worth a slot; this also bounds every entry's life to
	 * 2 * skew from now. */
	if (k->ctime < now - skew || k->ctime > now + skew)
		return ORTH_E_SKEW;
	fp = k->fp != 0 ? k->fp : 1;
	for (i = 0; i < REPLAY_TABLE_GROUP; i++) {
		const struct replay_slot *sl = &grp[i];
		if (slot_free(sl, now)) {
			if (free_i == REPLAY_TABLE_GROUP)
				free_i = i;
			continue;
		}
		if (sl->fp == fp)
			return ORTH_E_REPLAY;
		if (sl->owner == k->owner)
			mine++;
	}
	if (!insert)
		return ORTH_OK;
	if (mine >= REPLAY_TABLE_OWNER_CAP)
		return ORTH_E_POLICY;
	if (free_i == REPLAY_TABLE_GROUP)
		return ORTH_E_LIMIT;
	grp[free_i].fp = fp;
	grp[free_i].owner = k->owner;
	/* ctime >= now - skew, so this is >= now: live at least this second. */
	grp[free_i].expires = k->ctime + skew;
	if (stored_out != NULL)
		*stored_out = free_i;
	return ORTH_OK;
}

size_t
replay_group_count(const struct replay_slot *grp, int64_t now)
{
	size_t i, n = 0;

	if (now < -TIME_BOUND || now > TIME_BOUND)
		return 0;
	for (i = 0; i < REPLAY_TABLE_GROUP; i++)
		if (!slot_free(&grp[i], now))
			n++;
	return n;
}

static orth_err
table_probe(struct replay_table *t, const struct replay_table_key *k,
	    int64_t skew, int64_t now, bool insert)
{
	size_t g = (size_t)(k->group % t->ngroups);
	pthread_mutex_t *lock = &t->locks[g % NLOCKS];
	orth_err ret;

	pthread_mutex_lock(lock);
	ret = replay_group_probe(t->slots + g * REPLAY_TABLE_GROUP, k, skew, now,
				 insert, NULL);
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
	size_t g, n = 0;

	for (g = 0; g < t->ngroups; g++) {
		pthread_mutex_lock(&t->locks[g % NLOCKS]);
		n += replay_group_count(t->slots + g * REPLAY_TABLE_GROUP, now);
		pthread_mutex_unlock(&t->locks[g % NLOCKS]);
	}
	return n;
}
