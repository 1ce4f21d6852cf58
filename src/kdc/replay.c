#include "replay.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"

/* The table (proto/replay_table.c) keeps the entries and the locks; this
 * file only hashes the KDC's fields, with keys random per process. */
struct kdc_replay {
	struct replay_table *t;
	int64_t skew;
	struct siphash_key k_fp, k_owner;
	/* kdc_replay_warn_due: when the next warning of each kind (over
	 * quota, full) is due; 0 at first, so the first one is. */
	_Atomic int64_t warn_next[2];
};

orth_err
kdc_replay_new(size_t capacity, int64_t skew, struct kdc_replay **rc_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_replay *rc = NULL;

	if (capacity == 0)
		capacity = KDC_REPLAY_DEFAULT_CAPACITY;
	if (skew == 0)
		skew = KDC_REPLAY_DEFAULT_SKEW;
	CHECK(capacity <= KDC_REPLAY_MAX_CAPACITY && skew > 0 &&
		  skew <= REPLAY_TABLE_MAX_SKEW, ORTH_E_RANGE);
	rc = calloc(1, sizeof(*rc));
	CHECK(rc != NULL, ORTH_E_NOMEM);
	rc->skew = skew;
	TRY(siphash_key_random(&rc->k_fp));
	TRY(siphash_key_random(&rc->k_owner));
	TRY(replay_table_new(capacity, &rc->t));
	*rc_out = rc;
	rc = NULL;
cleanup:
	kdc_replay_free(rc);
	return ret;
}

void
kdc_replay_free(struct kdc_replay *rc)
{
	if (rc == NULL)
		return;
	replay_table_free(rc->t);
	explicit_bzero(rc, sizeof(*rc));
	free(rc);
}

size_t
kdc_replay_capacity(const struct kdc_replay *rc)
{
	return replay_table_capacity(rc->t);
}

bool
kdc_replay_warn_due(struct kdc_replay *rc, orth_err verdict, int64_t now)
{
	_Atomic int64_t *next = &rc->warn_next[verdict == ORTH_E_POLICY ? 0 : 1];
	int64_t due = atomic_load_explicit(next, memory_order_relaxed);

	/* Of workers racing for the same warning, the exchange lets one by. */
	return now >= due &&
	       atomic_compare_exchange_strong_explicit(next, &due, now + KDC_REPLAY_WARN_INTERVAL,
						       memory_order_relaxed,
						       memory_order_relaxed);
}

static void
put64(struct siphash *s, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	siphash_update(s, b, 8);
}

/* Length-prefixed fields, so ("ab","c") and ("a","bc") hash differently. */
static uint64_t
keyed(const struct siphash_key *k, const struct kdc_replay_key *key)
{
	struct siphash s;
	size_t cl = strlen(key->client), sl = strlen(key->server);

	siphash_init(&s, k);
	put64(&s, cl);
	siphash_update(&s, key->client, cl);
	put64(&s, sl);
	siphash_update(&s, key->server, sl);
	put64(&s, (uint64_t)key->ctime);
	put64(&s, (uint32_t)key->cusec);
	put64(&s, key->tag_len);
	if (key->tag_len != 0)
		siphash_update(&s, key->tag, key->tag_len);
	return siphash_final(&s);
}

/* The table's key: who (the client alone: its quota), which authenticator,
 * and where it goes. */
orth_err
kdc_replay_key_hash(const struct kdc_replay *rc, const struct kdc_replay_key *key,
    struct replay_table_key *out)
{
	if (key->client == NULL || key->server == NULL ||
	    (key->tag == NULL && key->tag_len != 0))
		return ORTH_E_MALFORMED;
	out->owner = siphash24(&rc->k_owner, key->client, strlen(key->client));
	out->fp = keyed(&rc->k_fp, key);
	/* One keyed hash less per TGS-REQ (~800 instructions). */
	out->group = REPLAY_GROUP_OF_FP(out->fp);
	out->ctime = key->ctime;
	return ORTH_OK;
}

orth_err
kdc_replay_hashed_check_and_insert(struct kdc_replay *rc,
    const struct replay_table_key *tk, int64_t now)
{
	return replay_table_put(rc->t, tk, rc->skew, now);
}

void
kdc_replay_hashed_prefetch(const struct kdc_replay *rc, const struct replay_table_key *tk)
{
	replay_table_prefetch(rc->t, tk);
}

orth_err
kdc_replay_hashed_check(struct kdc_replay *rc, const struct replay_table_key *tk,
    int64_t now)
{
	return replay_table_get(rc->t, tk, rc->skew, now);
}

orth_err
kdc_replay_check_and_insert(struct kdc_replay *rc,
    const struct kdc_replay_key *key, int64_t now)
{
	struct replay_table_key tk;
	orth_err ret = kdc_replay_key_hash(rc, key, &tk);

	if (ret == ORTH_OK)
		ret = kdc_replay_hashed_check_and_insert(rc, &tk, now);
	return ret;
}

orth_err
kdc_replay_check(struct kdc_replay *rc, const struct kdc_replay_key *key,
		 int64_t now)
{
	struct replay_table_key tk;
	orth_err ret = kdc_replay_key_hash(rc, key, &tk);

	if (ret == ORTH_OK)
		ret = kdc_replay_hashed_check(rc, &tk, now);
	return ret;
}

size_t
kdc_replay_count(struct kdc_replay *rc, int64_t now)
{
	return replay_table_count(rc->t, now);
}
