#include "replay.h"

#include <stdbool.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

/*
 * Layout: ngroups groups of KDC_REPLAY_GROUP_SLOTS slots.  A slot is free
 * when expires < now (or never used), so expiry needs no sweeping: old
 * entries are overwritten in place.  A lookup scans one group (32 x 24 bytes).
 * Lock striping: group g is guarded by locks[g % NLOCKS].
 */
#define NLOCKS 64

struct slot {
	uint64_t fp[2];   /* keyed fingerprint; all-zero = never used */
	int64_t expires;  /* ctime + skew: live while now <= expires */
};

/* The authenticator is acceptable while |ctime - now| <= skew, so the entry
 * must be live through second ctime + skew inclusive. */
static inline int
slot_free(const struct slot *sl, int64_t now)
{
	return (sl->fp[0] == 0 && sl->fp[1] == 0) || sl->expires < now;
}

struct kdc_replay {
	struct slot *slots;
	size_t ngroups;
	int64_t skew;
	struct siphash_key k_fp0, k_fp1, k_group;
	pthread_mutex_t locks[NLOCKS];
};

orth_err
kdc_replay_new(size_t capacity, int64_t skew, struct kdc_replay **rc_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_replay *rc = NULL;
	size_t i;

	if (capacity == 0)
		capacity = KDC_REPLAY_DEFAULT_CAPACITY;
	if (skew == 0)
		skew = KDC_REPLAY_DEFAULT_SKEW;
	CHECK(capacity <= KDC_REPLAY_MAX_CAPACITY && skew > 0, ORTH_E_RANGE);
	rc = calloc(1, sizeof(*rc));
	CHECK(rc != NULL, ORTH_E_NOMEM);
	rc->ngroups = (capacity + KDC_REPLAY_GROUP_SLOTS - 1) / KDC_REPLAY_GROUP_SLOTS;
	rc->skew = skew;
	rc->slots = calloc(rc->ngroups * KDC_REPLAY_GROUP_SLOTS, sizeof(struct slot));
	CHECK(rc->slots != NULL, ORTH_E_NOMEM);
	TRY(siphash_key_random(&rc->k_fp0));
	TRY(siphash_key_random(&rc->k_fp1));
	TRY(siphash_key_random(&rc->k_group));
	for (i = 0; i < NLOCKS; i++)
		pthread_mutex_init(&rc->locks[i], NULL);
	*rc_out = rc;
	rc = NULL;
cleanup:
	if (rc != NULL) {
		free(rc->slots);
		free(rc);
	}
	return ret;
}

void
kdc_replay_free(struct kdc_replay *rc)
{
	size_t i;

	if (rc == NULL)
		return;
	for (i = 0; i < NLOCKS; i++)
		pthread_mutex_destroy(&rc->locks[i]);
	free(rc->slots);
	free(rc);
}

size_t
kdc_replay_capacity(const struct kdc_replay *rc)
{
	return rc->ngroups * KDC_REPLAY_GROUP_SLOTS;
}

/* Length-prefixed fields, so ("ab","c") and ("a","bc") hash differently. */
static void
absorb(struct siphash *s, const struct kdc_replay_key *key)
{
	uint8_t b[8];
	size_t cl = strlen(key->client), sl = strlen(key->server);
	uint64_t v;
	int i;

#define PUT64(x)                                                              \
	do {                                                                  \
		v = (uint64_t)(x);                                            \
		for (i = 0; i < 8; i++)                                       \
			b[i] = (uint8_t)(v >> (8 * i));                       \
		siphash_update(s, b, 8);                                      \
	} while (0)
	PUT64(cl);
	siphash_update(s, key->client, cl);
	PUT64(sl);
	siphash_update(s, key->server, sl);
	PUT64(key->ctime);
	PUT64((uint32_t)key->cusec);
	PUT64(key->tag_len);
	if (key->tag_len != 0)
		siphash_update(s, key->tag, key->tag_len);
#undef PUT64
}

static uint64_t
keyed(const struct siphash_key *k, const struct kdc_replay_key *key)
{
	struct siphash s;

	siphash_init(&s, k);
	absorb(&s, key);
	return siphash_final(&s);
}

/* Look key up; when absent and insert is set, remember it. */
static orth_err
replay_probe(struct kdc_replay *rc, const struct kdc_replay_key *key,
	     int64_t now, bool insert)
{
	uint64_t fp0, fp1;
	size_t g, i;
	struct slot *grp, *free_slot = NULL;
	pthread_mutex_t *lock;
	orth_err ret = ORTH_E_LIMIT;

	if (key->client == NULL || key->server == NULL ||
	    (key->tag == NULL && key->tag_len != 0))
		return ORTH_E_MALFORMED;
	/* Outside the window the authenticator is refused anyway (RFC 4120
	 * §3.2.3), so it is not worth a slot; the bound also keeps
	 * ctime + skew from overflowing. */
	if (key->ctime < now - rc->skew || key->ctime > now + rc->skew)
		return ORTH_E_SKEW;

	fp0 = keyed(&rc->k_fp0, key);
	fp1 = keyed(&rc->k_fp1, key);
	if (fp0 == 0 && fp1 == 0)
		fp1 = 1;
	g = (size_t)(keyed(&rc->k_group, key) % rc->ngroups);
	grp = rc->slots + g * KDC_REPLAY_GROUP_SLOTS;
	lock = &rc->locks[g % NLOCKS];

	pthread_mutex_lock(lock);
	for (i = 0; i < KDC_REPLAY_GROUP_SLOTS; i++) {
		struct slot *sl = &grp[i];
		if (slot_free(sl, now)) {
			if (free_slot == NULL)
				free_slot = sl;
			continue;
		}
		if (sl->fp[0] == fp0 && sl->fp[1] == fp1) {
			ret = ORTH_E_REPLAY;
			goto unlock;
		}
	}
	if (!insert) {
		ret = ORTH_OK;
	} else if (free_slot != NULL) {
		free_slot->fp[0] = fp0;
		free_slot->fp[1] = fp1;
		/* ctime >= now - skew, so this is >= now: live at least this second. */
		free_slot->expires = key->ctime + rc->skew;
		ret = ORTH_OK;
	}
unlock:
	pthread_mutex_unlock(lock);
	return ret;
}

orth_err
kdc_replay_check_and_insert(struct kdc_replay *rc,
    const struct kdc_replay_key *key, int64_t now)
{
	return replay_probe(rc, key, now, true);
}

orth_err
kdc_replay_check(struct kdc_replay *rc, const struct kdc_replay_key *key,
		 int64_t now)
{
	return replay_probe(rc, key, now, false);
}

size_t
kdc_replay_count(struct kdc_replay *rc, int64_t now)
{
	size_t g, i, n = 0;

	for (g = 0; g < rc->ngroups; g++) {
		pthread_mutex_t *lock = &rc->locks[g % NLOCKS];
		pthread_mutex_lock(lock);
		for (i = 0; i < KDC_REPLAY_GROUP_SLOTS; i++)
			if (!slot_free(&rc->slots[g * KDC_REPLAY_GROUP_SLOTS + i], now))
				n++;
		pthread_mutex_unlock(lock);
	}
	return n;
}
