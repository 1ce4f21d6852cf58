#include "replay_table.h"

#include <stdbool.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * ngroups groups (struct replay_group, the header's Layout), each guarded
 * by its own lock word.  It was 64 striped mutexes once: every probe then
 * wrote one of 40 cache lines shared by all workers, and with two workers
 * those lines went back and forth between the cores (perf under the
 * bench's UDP TGS load: mutex lock + unlock 5% of the KDC's CPU).
 */
/* Times beyond this are refused, so now +/- skew and ctime + skew cannot
 * overflow, and neither can a base plus a 32-bit expiry. */
#define TIME_BOUND ((int64_t)1 << 62)
/* Beyond now + this a slot is free: never stored so far ahead (header). */
#define AHEAD_MAX (2 * (int64_t)REPLAY_TABLE_MAX_SKEW)
#define BYTES_LOW7 0x7f7f7f7f7f7f7f7full
#define BYTES_ONE 0x0101010101010101ull
/* Gathers bit 0 of each byte into the top byte, byte j to bit 56 + j. */
#define GATHER_BITS 0x0102040810204080ull

_Static_assert(sizeof(struct replay_group) == 23 * 64, "a group is 23 cache lines");
_Static_assert(REPLAY_TABLE_GROUP == 64, "a group's tags make one 64-bit mask");

/* The table's alignment: a huge page's, so that its pages can be huge. */
#define TABLE_ALIGN ((size_t)2 << 20)

struct replay_table {
	void *mem;                   /* mmap'ed, mem_len bytes; groups in it */
	size_t mem_len;
	struct replay_group *groups;
	size_t ngroups;
};

/* Which relative expiries are live at now: lo <= expires[i] <= hi. */
struct live_window {
	int64_t lo, hi;
};

static struct live_window
window_at(const struct replay_group *grp, int64_t now)
{
	struct live_window w;

	/* now and base are within +/- 2^62: compare before subtracting. */
	if (now > grp->base + (int64_t)UINT32_MAX || now + AHEAD_MAX < grp->base) {
		/* Every slot is expired, or every one implausibly far ahead. */
		w.lo = (int64_t)UINT32_MAX + 1;
		w.hi = w.lo;
		return w;
	}
	w.lo = now - grp->base;
	w.hi = w.lo + AHEAD_MAX;
	return w;
}

static inline bool
slot_live(const struct replay_group *grp, size_t i, struct live_window w)
{
	return grp->fp_tag[i] != 0 && grp->expires[i] >= w.lo && grp->expires[i] <= w.hi;
}

/* A hash's tag: its top byte, never 0 (0 marks a free slot). */
static inline uint8_t
tag_of(uint64_t h)
{
	uint8_t t = (uint8_t)(h >> 56);
	return t != 0 ? t : 1;
}

/* Spelled out so that the compiler makes it one load (a loop it does not). */
static inline uint64_t
load_le64(const uint8_t *b)
{
	return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	       (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
	       (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

/* Bit i set when tags[i] == t, for the 64 tags of a group, eight at a time
 * (exact: no carry crosses a byte). */
static uint64_t
tag_mask(const uint8_t *tags, uint8_t t)
{
	uint64_t m = 0, x, zero;
	size_t w;

	for (w = 0; w < REPLAY_TABLE_GROUP / 8; w++) {
		x = load_le64(tags + 8 * w) ^ (t * BYTES_ONE);
		/* The top bit of each byte of x that is 0. */
		zero = ~(((x & BYTES_LOW7) + BYTES_LOW7) | x | BYTES_LOW7);
		m |= ((zero >> 7) * GATHER_BITS >> 56) << (8 * w);
	}
	return m;
}

/* The lowest bit set in *m (not 0), taken out of it. */
static inline size_t
mask_next(uint64_t *m)
{
	size_t i = (size_t)__builtin_ctzll(*m);

	*m &= *m - 1;
	return i;
}

orth_err
replay_table_new(size_t capacity, struct replay_table **out)
{
	orth_err ret = ORTH_OK;
	struct replay_table *t = NULL;
	uintptr_t at;

	CHECK(capacity > 0 && capacity <= REPLAY_TABLE_MAX_CAPACITY, ORTH_E_RANGE);
	t = calloc(1, sizeof(*t));
	CHECK(t != NULL, ORTH_E_NOMEM);
	t->mem = MAP_FAILED;
	t->ngroups = (capacity + REPLAY_TABLE_GROUP - 1) / REPLAY_TABLE_GROUP;
	CHECK(t->ngroups <= (SIZE_MAX - TABLE_ALIGN) / sizeof(*t->groups), ORTH_E_NOMEM);
	t->mem_len = t->ngroups * sizeof(*t->groups) + TABLE_ALIGN;
	t->mem = mmap(NULL, t->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	CHECK(t->mem != MAP_FAILED, ORTH_E_NOMEM);
	at = (uintptr_t)t->mem + TABLE_ALIGN - 1;
	t->groups = (struct replay_group *)(at - at % TABLE_ALIGN);
#ifdef MADV_HUGEPAGE
	/* Lookups land at random: with 4 KiB pages most are a TLB miss.
	 * Advice: without it (or refused) the table works the same. */
	(void)madvise(t->groups, t->mem_len - TABLE_ALIGN, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	/* Resident now, not under the first minutes of traffic: their
	 * requests do not pay a page fault each (the bench's fresh KDC with
	 * 2^23 slots: 1.4 us of system time a request more than with 2^20),
	 * and a host short of memory says so at start.  EINVAL: a kernel
	 * before 5.14; the pages come on first use. */
	if (madvise(t->groups, t->mem_len - TABLE_ALIGN, MADV_POPULATE_WRITE) != 0)
		CHECK(errno == EINVAL, ORTH_E_NOMEM);
#endif
	*out = t;
	t = NULL;
cleanup:
	replay_table_free(t);
	return ret;
}

void
replay_table_free(struct replay_table *t)
{
	if (t == NULL)
		return;
	if (t->mem != MAP_FAILED)
		munmap(t->mem, t->mem_len);
	free(t);
}

size_t
replay_table_capacity(const struct replay_table *t)
{
	return t->ngroups * REPLAY_TABLE_GROUP;
}

static inline void
slot_set(struct replay_group *grp, size_t i, uint64_t fp, uint64_t owner, uint32_t rel)
{
	grp->fp_tag[i] = tag_of(fp);
	grp->owner_tag[i] = tag_of(owner);
	grp->expires[i] = rel;
	grp->id[i].fp = fp;
	grp->id[i].owner = owner;
}

static inline void
slot_clear(struct replay_group *grp, size_t i)
{
	grp->fp_tag[i] = 0;
	grp->owner_tag[i] = 0;
}

void
replay_group_init(struct replay_group *grp, const struct replay_slot *slots, int64_t now)
{
	size_t i;

	memset(grp, 0, sizeof(*grp));
	if (now < -TIME_BOUND || now > TIME_BOUND)
		return; /* every verdict is ORTH_E_RANGE, every count 0 */
	grp->base = now;
	for (i = 0; i < REPLAY_TABLE_GROUP; i++) {
		const struct replay_slot *sl = &slots[i];
		/* The old rule: fp 0 is never used; live within the window. */
		if (sl->fp != 0 && sl->expires >= now && sl->expires <= now + AHEAD_MAX)
			slot_set(grp, i, sl->fp, sl->owner, (uint32_t)(sl->expires - now));
	}
}

void
replay_group_slot_get(const struct replay_group *grp, size_t i, struct replay_slot *out)
{
	out->fp = grp->fp_tag[i] != 0 ? grp->id[i].fp : 0;
	out->owner = grp->id[i].owner;
	out->expires = grp->base + (int64_t)grp->expires[i];
}

/* Whether owner holds REPLAY_TABLE_OWNER_CAP live entries of grp; mine:
 * the slots whose owner tag is owner's. */
static bool
owner_at_cap(const struct replay_group *grp, uint64_t mine, uint64_t owner,
	     struct live_window w)
{
	size_t n = 0, i;

	/* The tag count never counts too few: below the cap, so is owner. */
	if ((size_t)__builtin_popcountll(mine) < REPLAY_TABLE_OWNER_CAP)
		return false;
	while (mine != 0) {
		i = mask_next(&mine);
		if (slot_live(grp, i, w) && grp->id[i].owner == owner &&
		    ++n >= REPLAY_TABLE_OWNER_CAP)
			return true;
	}
	return false;
}

/* The first free slot from start on, wrapping; REPLAY_TABLE_GROUP: none. */
static size_t
free_slot(const struct replay_group *grp, size_t start, struct live_window w)
{
	size_t n, i;

	for (n = 0; n < REPLAY_TABLE_GROUP; n++) {
		i = (start + n) % REPLAY_TABLE_GROUP;
		if (!slot_live(grp, i, w))
			return i;
	}
	return REPLAY_TABLE_GROUP;
}

/* base := now: the live entries lie within [now, now + AHEAD_MAX] and
 * stay; the others are cleared (they were free already). */
static void
group_rebase(struct replay_group *grp, int64_t now)
{
	struct live_window w = window_at(grp, now);
	size_t i;

	for (i = 0; i < REPLAY_TABLE_GROUP; i++) {
		if (slot_live(grp, i, w))
			grp->expires[i] = (uint32_t)(grp->expires[i] - w.lo);
		else
			slot_clear(grp, i);
	}
	grp->base = now;
}

/*
 * One probe of k's group decides everything: a replay wins over every
 * other verdict (a client over its quota must still learn that a replay is
 * one), then the owner's cap, then the room.  A live entry is never
 * overwritten: with no free slot the insert is refused.
 */
orth_err
replay_group_probe(struct replay_group *grp, const struct replay_table_key *k,
		   int64_t skew, int64_t now, bool insert, size_t *stored_out)
{
	size_t i;
	uint64_t fp, m;
	int64_t expires;
	struct live_window w;

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
	w = window_at(grp, now);
	for (m = tag_mask(grp->fp_tag, tag_of(fp)); m != 0;) {
		i = mask_next(&m);
		if (slot_live(grp, i, w) && grp->id[i].fp == fp)
			return ORTH_E_REPLAY;
	}
	if (!insert)
		return ORTH_OK;
	if (owner_at_cap(grp, tag_mask(grp->owner_tag, tag_of(k->owner)), k->owner, w))
		return ORTH_E_POLICY;
	/* fp's low bits (its tag is the top byte) spread the new entries. */
	i = free_slot(grp, (size_t)(fp % REPLAY_TABLE_GROUP), w);
	if (i == REPLAY_TABLE_GROUP)
		return ORTH_E_LIMIT;
	/* ctime >= now - skew, so this is >= now: live at least this second. */
	expires = k->ctime + skew;
	if (expires < grp->base || expires > grp->base + (int64_t)UINT32_MAX)
		group_rebase(grp, now);
	slot_set(grp, i, fp, k->owner, (uint32_t)(expires - grp->base));
	if (stored_out != NULL)
		*stored_out = i;
	return ORTH_OK;
}

size_t
replay_group_count(const struct replay_group *grp, int64_t now)
{
	size_t i, n = 0;
	struct live_window w;

	if (now < -TIME_BOUND || now > TIME_BOUND)
		return 0;
	w = window_at(grp, now);
	for (i = 0; i < REPLAY_TABLE_GROUP; i++)
		if (slot_live(grp, i, w))
			n++;
	return n;
}

/* Held for one probe, so spinning beats sleeping; a holder that lost its
 * CPU is waited for by yielding ours. */
static void
group_lock(struct replay_group *grp)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(&grp->lock, 1, memory_order_acquire) != 0)
		while (atomic_load_explicit(&grp->lock, memory_order_relaxed) != 0)
			if (++spins % 64 == 0)
				sched_yield();
}

static void
group_unlock(struct replay_group *grp)
{
	atomic_store_explicit(&grp->lock, 0, memory_order_release);
}

static orth_err
table_probe(struct replay_table *t, const struct replay_table_key *k,
	    int64_t skew, int64_t now, bool insert)
{
	struct replay_group *grp = &t->groups[k->group % t->ngroups];
	orth_err ret;

	group_lock(grp);
	ret = replay_group_probe(grp, k, skew, now, insert, NULL);
	group_unlock(grp);
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

void
replay_table_prefetch(const struct replay_table *t, const struct replay_table_key *k)
{
	const struct replay_group *grp = &t->groups[k->group % t->ngroups];

	/* The tag lines, and the line of base and the lock word (written
	 * by the probe's lock). */
	__builtin_prefetch(grp->fp_tag, 0);
	__builtin_prefetch(grp->owner_tag, 0);
	__builtin_prefetch(&grp->lock, 1);
}

size_t
replay_table_count(struct replay_table *t, int64_t now)
{
	size_t g, n = 0;

	for (g = 0; g < t->ngroups; g++) {
		group_lock(&t->groups[g]);
		n += replay_group_count(&t->groups[g], now);
		group_unlock(&t->groups[g]);
	}
	return n;
}
