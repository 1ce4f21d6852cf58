/* test_replay_table.c - the replay caches' table (proto/replay_table.h)
 * with hashes chosen by hand: tags that collide, a packed expiry at its
 * edges, unpacked groups, and the verdicts against the rule they stand
 * for, over random traffic. */
#include <stdint.h>
#include <string.h>

#include "proto/replay_table.h"
#include "../test.h"

#define SKEW 300
#define T62 ((int64_t)1 << 62)
/* Two owners (and two fingerprints) whose tags, the top byte, are one. */
#define OWNER_A 0xab00000000000001ull
#define OWNER_B 0xab00000000000002ull
#define OWNER_C 0x1200000000000003ull

static struct replay_table_key
key(uint64_t owner, uint64_t fp, int64_t ctime)
{
	struct replay_table_key k = {owner, fp, 0, ctime};
	return k;
}

/* A table of one group: every key lands in it. */
static struct replay_table *
one_group(void)
{
	struct replay_table *t = NULL;

	EXPECT_EQ_INT(replay_table_new(1, &t), ORTH_OK);
	if (t != NULL)
		EXPECT_EQ_INT(replay_table_capacity(t), REPLAY_TABLE_GROUP);
	return t;
}

/* Fingerprints with one tag for owner's entries: fp tags collide too. */
static uint64_t
fp_of(uint64_t owner, uint64_t n)
{
	return 0x7700000000000000ull | (owner & 0xff) << 16 | n;
}

/*
 * A and B share an owner tag: with A at its cap, the tag count for B is 8
 * and more, yet B is refused only at 8 of its own; a replay still wins
 * over the cap; expired entries of A free A's quota.
 */
static void
test_owner_tag_collision(void)
{
	struct replay_table *t = one_group();
	struct replay_table_key k;
	const int64_t now = 1700000000;
	uint64_t n;

	if (t == NULL)
		return;
	for (n = 0; n < REPLAY_TABLE_OWNER_CAP; n++) {
		k = key(OWNER_A, fp_of(OWNER_A, n), now);
		EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_OK);
	}
	k = key(OWNER_A, fp_of(OWNER_A, 99), now);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_E_POLICY);
	/* B: 8 tag matches (A's) from its first entry on, refused only at
	 * its own ninth. */
	for (n = 0; n < REPLAY_TABLE_OWNER_CAP; n++) {
		k = key(OWNER_B, fp_of(OWNER_B, n), now);
		EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_OK);
	}
	k = key(OWNER_B, fp_of(OWNER_B, 99), now);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_E_POLICY);
	/* Over its cap, a replay is still a replay, not a refusal. */
	k = key(OWNER_A, fp_of(OWNER_A, 3), now);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now + 1), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_get(t, &k, SKEW, now + 1), ORTH_E_REPLAY);
	/* A fingerprint whose tag matches 16 entries is not one of them. */
	k = key(OWNER_C, fp_of(OWNER_A, 0) ^ 0x8000, now);
	EXPECT_EQ_INT(replay_table_get(t, &k, SKEW, now), ORTH_OK);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_OK);
	EXPECT_EQ_INT(replay_table_count(t, now), 2 * REPLAY_TABLE_OWNER_CAP + 1);
	/* A's entries (ctime now) expire after now + SKEW; a fresh one of A
	 * at now + SKEW + 1 meets 16 tags of which none is live. */
	k = key(OWNER_A, fp_of(OWNER_A, 100), now + SKEW + 1);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now + SKEW + 1), ORTH_OK);
	EXPECT_EQ_INT(replay_table_count(t, now + SKEW + 1), 1);
	replay_table_free(t);
}

/* The others are refused only when the group holds 64 live entries. */
static void
test_limit(void)
{
	struct replay_table *t = one_group();
	struct replay_table_key k;
	const int64_t now = 1700000000;
	uint64_t o, n;

	if (t == NULL)
		return;
	for (o = 0; o < REPLAY_TABLE_GROUP / REPLAY_TABLE_OWNER_CAP; o++) {
		for (n = 0; n < REPLAY_TABLE_OWNER_CAP; n++) {
			/* The last entry of each owner expires first. */
			int64_t ct = n + 1 == REPLAY_TABLE_OWNER_CAP ? now - SKEW : now;
			k = key(OWNER_A + o, fp_of(OWNER_A + o, n), ct);
			EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_OK);
		}
	}
	k = key(OWNER_C, 42, now);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_E_LIMIT);
	EXPECT_EQ_INT(replay_table_get(t, &k, SKEW, now), ORTH_OK);
	/* A replay is told before the room. */
	k = key(OWNER_C, fp_of(OWNER_A + 2, 5), now);
	EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_count(t, now), REPLAY_TABLE_GROUP);
	/* A second later eight slots have expired: room again, never more. */
	for (n = 0; n < 9; n++) {
		k = key(OWNER_C + n, 1000 + n, now + 1);
		EXPECT_EQ_INT(replay_table_put(t, &k, SKEW, now + 1),
			      n < 8 ? ORTH_OK : ORTH_E_LIMIT);
	}
	replay_table_free(t);
}

/*
 * The packed expiry: a group's base starts at 0, so 2^32 - 1 is the last
 * expiry that fits; the next one moves the base and keeps the live entries
 * exactly (through ctime + skew, gone after), and drops only free ones.
 */
static void
test_expiry_edges(void)
{
	struct replay_table *t = one_group();
	struct replay_table_key ka, kb, kc, k;
	const int64_t now = (int64_t)UINT32_MAX - 2 * SKEW;

	if (t == NULL)
		return;
	ka = key(OWNER_A, 1, now + SKEW);   /* expires at 2^32 - 1: fits */
	kb = key(OWNER_B, 2, now - SKEW);   /* expires at now */
	kc = key(OWNER_C, 3, now + 1 + SKEW); /* 2^32: does not fit */
	EXPECT_EQ_INT(replay_table_put(t, &ka, SKEW, now), ORTH_OK);
	EXPECT_EQ_INT(replay_table_put(t, &kb, SKEW, now), ORTH_OK);
	EXPECT_EQ_INT(replay_table_count(t, (int64_t)UINT32_MAX), 1);
	EXPECT_EQ_INT(replay_table_count(t, (int64_t)UINT32_MAX + 1), 0);
	EXPECT_EQ_INT(replay_table_put(t, &kc, SKEW, now + 1), ORTH_OK);
	/* kb, expired when the base moved, is gone even for a look back. */
	EXPECT_EQ_INT(replay_table_count(t, now), 2);
	EXPECT_EQ_INT(replay_table_count(t, now + 1), 2);
	EXPECT_EQ_INT(replay_table_count(t, (int64_t)UINT32_MAX), 2);
	EXPECT_EQ_INT(replay_table_count(t, (int64_t)UINT32_MAX + 1), 1);
	EXPECT_EQ_INT(replay_table_get(t, &ka, SKEW, now + 1), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_put(t, &ka, SKEW, (int64_t)UINT32_MAX), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_put(t, &kc, SKEW, now + 1), ORTH_E_REPLAY);
	replay_table_free(t);

	/* The ends of time, with the longest skew. */
	t = one_group();
	if (t == NULL)
		return;
	k = key(OWNER_A, 7, T62 + REPLAY_TABLE_MAX_SKEW);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, T62), ORTH_OK);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, T62), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_count(t, T62), 1);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, T62 + 1), ORTH_E_RANGE);
	EXPECT_EQ_INT(replay_table_count(t, T62 + 1), 0);
	/* From the top to the bottom: the entry is implausibly far ahead,
	 * free, so the move of the base forgets it (header). */
	k = key(OWNER_A, 8, -T62 - REPLAY_TABLE_MAX_SKEW);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, -T62), ORTH_OK);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, -T62), ORTH_E_REPLAY);
	EXPECT_EQ_INT(replay_table_count(t, -T62), 1);
	EXPECT_EQ_INT(replay_table_count(t, T62), 0);
	k = key(OWNER_A, 8, -T62 - 1);
	EXPECT_EQ_INT(replay_table_put(t, &k, REPLAY_TABLE_MAX_SKEW, -T62 - 1), ORTH_E_RANGE);
	replay_table_free(t);
}

/* A store's unpacked slots: fp 0 and expiries outside [now, now + 2 *
 * MAX_SKEW] are free (whatever a damaged file holds); the stored slot
 * comes back exactly. */
static void
test_group_unpacked(void)
{
	static struct replay_slot slots[REPLAY_TABLE_GROUP];
	static struct replay_group grp;
	struct replay_table_key k;
	struct replay_slot out;
	const int64_t now = 1700000000, ahead = 2 * (int64_t)REPLAY_TABLE_MAX_SKEW;
	size_t i, stored = 0;

	for (i = 0; i < REPLAY_TABLE_GROUP; i++) {
		slots[i].fp = 0x1000 + i;
		slots[i].owner = OWNER_A;
		slots[i].expires = INT64_MIN;
	}
	slots[0].expires = now;              /* live, its last second */
	slots[1].expires = now + ahead;      /* live, as far ahead as can be */
	slots[2].expires = now + ahead + 1;  /* free: too far ahead */
	slots[3].expires = now - 1;          /* free: expired */
	slots[4].fp = 0;                     /* free: never used */
	slots[4].expires = now;
	slots[5].expires = INT64_MAX;
	slots[6].owner = OWNER_B;
	slots[6].expires = now + 10;
	replay_group_init(&grp, slots, now);
	EXPECT_EQ_INT(replay_group_count(&grp, now), 3);
	EXPECT_EQ_INT(replay_group_count(&grp, now + 1), 2);
	k = key(OWNER_C, 0x1001, now);
	EXPECT_EQ_INT(replay_group_probe(&grp, &k, SKEW, now, false, NULL), ORTH_E_REPLAY);
	k = key(OWNER_C, 0x1002, now);
	EXPECT_EQ_INT(replay_group_probe(&grp, &k, SKEW, now, true, &stored), ORTH_OK);
	EXPECT(stored < REPLAY_TABLE_GROUP && stored != 0 && stored != 1 && stored != 6);
	if (stored < REPLAY_TABLE_GROUP) {
		replay_group_slot_get(&grp, stored, &out);
		EXPECT(out.fp == 0x1002 && out.owner == OWNER_C);
		EXPECT_EQ_INT(out.expires, now + SKEW);
	}
	replay_group_slot_get(&grp, 1, &out);
	EXPECT(out.fp == 0x1001 && out.owner == OWNER_A);
	EXPECT_EQ_INT(out.expires, now + ahead);
	k = key(OWNER_C, 0x1004, now);
	EXPECT_EQ_INT(replay_group_probe(&grp, &k, SKEW, now, true, NULL), ORTH_OK);
	/* A time out of range: nothing is live, every verdict a range. */
	replay_group_init(&grp, slots, T62 + 1);
	EXPECT_EQ_INT(replay_group_count(&grp, T62 + 1), 0);
	EXPECT_EQ_INT(replay_group_probe(&grp, &k, SKEW, T62 + 1, true, &stored),
		      ORTH_E_RANGE);
	EXPECT_EQ_INT(stored, REPLAY_TABLE_GROUP);
}

/* ---- the verdicts against the rule, over random traffic ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next_random(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The rule, as plainly as it can be said: a set of live entries. */
struct model {
	struct replay_slot e[REPLAY_TABLE_GROUP];
	size_t n;
};

static orth_err
model_put(struct model *m, const struct replay_table_key *k, int64_t skew, int64_t now,
	  bool insert)
{
	size_t i, live = 0, mine = 0;
	uint64_t fp = k->fp != 0 ? k->fp : 1;

	for (i = 0; i < m->n;) {
		if (m->e[i].expires < now) /* time only goes on here */
			m->e[i] = m->e[--m->n];
		else
			i++;
	}
	if (k->ctime < now - skew || k->ctime > now + skew)
		return ORTH_E_SKEW;
	for (i = 0; i < m->n; i++) {
		if (m->e[i].fp == fp)
			return ORTH_E_REPLAY;
		live++;
		mine += m->e[i].owner == k->owner;
	}
	if (!insert)
		return ORTH_OK;
	if (mine >= REPLAY_TABLE_OWNER_CAP)
		return ORTH_E_POLICY;
	if (live == REPLAY_TABLE_GROUP)
		return ORTH_E_LIMIT;
	m->e[m->n].fp = fp;
	m->e[m->n].owner = k->owner;
	m->e[m->n++].expires = k->ctime + skew;
	return ORTH_OK;
}

/*
 * Few owners, on few tags; fingerprints on few tags, a third of them
 * replays; the tags at the edges of a byte (a match is found eight at a
 * time); time running across the first move of the base.  Every verdict
 * and count is the rule's.
 */
static const uint8_t edge_tags[] = {0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0xab};
#define NEDGE (sizeof(edge_tags) / sizeof(edge_tags[0]))

static void
test_against_rule(void)
{
	static struct replay_group grp;
	static struct model m;
	static uint64_t seen[4096];
	size_t nseen = 0, nput = 0, i, bad = 0, verdicts[8] = {0};
	int64_t now = (int64_t)UINT32_MAX - 20000, skew;
	struct replay_table_key k;
	orth_err got, want;
	bool insert;

	for (i = 0; i < 200000 && bad < 5; i++) {
		uint64_t r = next_random(), o = r % 12;
		now += (int64_t)(next_random() % 4);
		skew = 1 + (int64_t)(next_random() % (2 * SKEW));
		k.owner = (uint64_t)edge_tags[o % 4 + 3] << 56 | o;
		if (nseen > 0 && r % 3 == 0)
			k.fp = seen[next_random() % nseen];
		else
			k.fp = (uint64_t)edge_tags[next_random() % NEDGE] << 56 |
			       (next_random() & 0xffffff);
		k.group = 0;
		k.ctime = now - skew - 1 + (int64_t)(next_random() % (uint64_t)(2 * skew + 3));
		insert = r % 5 != 0;
		got = replay_group_probe(&grp, &k, skew, now, insert, NULL);
		want = model_put(&m, &k, skew, now, insert);
		if (got != want || replay_group_count(&grp, now) != m.n) {
			fprintf(stderr, "op %zu: got %d want %d, count %zu want %zu\n", i,
				(int)got, (int)want, replay_group_count(&grp, now), m.n);
			bad++;
		}
		if (insert && got == ORTH_OK)
			seen[nput++ % 4096] = k.fp;
		nseen = nput < 4096 ? nput : 4096;
		verdicts[(got == ORTH_OK) + 2 * (got == ORTH_E_REPLAY) + 3 * (got == ORTH_E_POLICY) +
			 4 * (got == ORTH_E_LIMIT) + 5 * (got == ORTH_E_SKEW)]++;
	}
	EXPECT_EQ_INT(bad, 0);
	/* The traffic reached every verdict, and time the move of the base. */
	for (i = 1; i <= 5; i++)
		EXPECT(verdicts[i] > 100);
	EXPECT(now > (int64_t)UINT32_MAX + 2 * SKEW);
}

int
main(void)
{
	test_owner_tag_collision();
	test_limit();
	test_expiry_edges();
	test_group_unpacked();
	test_against_rule();
	return test_done("replay_table");
}
