/*
 * replay_table.h - the table behind both replay caches (RFC 4120 §3.2.3,
 * §3.3.2: "the server MUST utilize a replay cache to remember any
 * authenticator presented within the allowable clock skew"): the KDC's
 * (src/kdc/replay.h) and the service side's (src/client/rcache.h).  They
 * differ in how they hash; what is remembered, for how long, and who may
 * take how much of the room is decided here, once.
 *
 * The caller hashes with keys that are random per process: owner is a
 * keyed hash of the client principal (cname@crealm of the ticket, after
 * decryption: nobody can present authenticators under a client name whose
 * ticket session key it lacks), fp a keyed fingerprint of the whole
 * authenticator, group a keyed hash of it that picks the group: an
 * independent one, or fp's bits 8 and up (REPLAY_GROUP_OF_FP; bits 0-5
 * pick where a group's search starts, the top byte is the tag, so those
 * must not be what picks the group).  Nobody outside can predict a group
 * or make two fingerprints collide.
 *
 * Layout: capacity slots in groups of REPLAY_TABLE_GROUP; an authenticator
 * lives in the group its `group` hash picks; a lookup probes that one group.
 * A group (struct replay_group, 23 cache lines) keeps what every lookup
 * needs apart from what only a likely match needs, so that a lookup touches
 * about five lines, not the 24 a group of whole slots spans (in a large
 * table each is a cache miss):
 *  - a line of 64 one-byte fingerprint tags (the top byte of fp; 0: the
 *    slot is free and was never used or was cleared): a replay is looked
 *    for only in the slots whose tag matches (about 1 in 256 of the others);
 *  - a line of 64 one-byte owner tags (the top byte of owner): the count
 *    of tag matches over-estimates the owner's live entries (it counts
 *    expired ones and other owners whose tag collides, never fewer), and
 *    only when it reaches the cap are they counted exactly, so the cap
 *    holds exactly and nobody is refused for another's tag;
 *  - the expiries, 32 bits each, relative to the group's own base time
 *    (64 bits): exact.  An expiry that does not fit moves the base to now;
 *    every live entry then lies within 2 * REPLAY_TABLE_MAX_SKEW of it and
 *    the free ones are cleared;
 *  - the whole fingerprint and owner of each slot (16 bytes, one line for
 *    four slots), read to confirm a tag match and written on insert.
 * A new entry goes into the first free slot from a place its fingerprint
 * picks, so the search ends after about 1 / (1 - load) slots.  Expired
 * slots are reused in place, nothing sweeps.
 *
 * Lifetime: an authenticator is accepted only while |ctime - now| <= skew,
 * so its entry lives through second ctime + skew and is gone after; a
 * ctime more than skew away from now is refused (ORTH_E_SKEW) and not
 * stored.  So no entry lives more than 2 * skew after it was stored.
 *
 * What it guarantees, whatever one client sends:
 *  - No live entry is ever evicted: an attacker cannot push out a captured
 *    authenticator to replay it later.  When there is no room the new
 *    authenticator is refused instead (fail closed).
 *  - A replay is detected before any quota or room check, so a client
 *    over its quota still gets ORTH_E_REPLAY for a replay.
 *  - Per-client quota: one owner holds at most REPLAY_TABLE_OWNER_CAP (8)
 *    of the 64 slots of any group, so at most capacity / 8 in all.  Its
 *    next authenticator for a group where it already has 8 live entries is
 *    refused with ORTH_E_POLICY - only its own.  So one client can never
 *    fill a group: it leaves at least 56 of every 64 slots to the others,
 *    and k clients together at least 64 - 8k.
 *    The cap is fixed, not raised while a group has room to spare: no
 *    live entry is evicted, so whatever a client takes of an idle group
 *    stays taken for up to 2 * skew, and a cap that grew with the free
 *    room (say, "any slot while half the group is free") would let one
 *    client hold 32 of 64 before the others' traffic comes back - their
 *    room would depend on the flooder's timing, not on this bound.  A
 *    client's share grows with the capacity alone (capacity / 8; the
 *    KDC's is kdc.conf's kdc_replay_cache_size).
 *  - The others are refused (ORTH_E_LIMIT) only when a group holds 64 live
 *    entries, i.e. when the other clients themselves hold at least 56 of
 *    its slots.  Groups are picked by a keyed hash, so load spreads evenly
 *    (Poisson): with one flooder at its cap in every group and the other
 *    clients' live entries at 40% of capacity, a fresh authenticator finds
 *    its group full with probability < 1e-7 per request (< 1e-14 at 25%;
 *    4e-5 at 50%).  Size the capacity for the peak rate of all clients
 *    times 2 * skew, and keep that below 40%.
 *  - Sustained rate per client: a client's entries spread over the groups
 *    by the keyed hash, so with n live entries it meets its own cap with
 *    probability P(Poisson(64 n / capacity) >= 8) per request: < 1.1e-5
 *    for n <= capacity / 64, < 1e-7 for n <= capacity / 128, 0.1% at
 *    n = capacity / 32.  An entry lives at most 2 * skew (skew when the
 *    client's clock is right), so a client may sustain capacity /
 *    (128 * skew) authenticators per second, capacity / (64 * skew) with a
 *    correct clock.  Beyond, its own refusals grow smoothly; nobody
 *    else's do.
 *  - Collusion: k distinct client principals together hold at most
 *    k * capacity / 8; eight of them at their caps everywhere fill the
 *    table.  Distinct principals need distinct credentials (or a hostile
 *    trusted realm, which can name any client of its own).
 *
 * Memory: 23 bytes per slot (1472 per group of 64), all taken at
 * replay_table_new (where the kernel can, 5.14 on), in anonymous pages,
 * huge ones where the system allows them (lookups land at random: fewer
 * TLB misses).  A lookup reads the two tag lines, the line with the base
 * and the expiries it needs, and the line of a slot it confirms or writes.
 * Thread safety: any thread may call any function; each group has its own
 * spin lock in its header (a probe holds it ~100 ns).
 *
 * replay_group_probe() is the decision on one group, for a store that
 * keeps its groups elsewhere (the service side's file, rcache.h) under its
 * own lock: it unpacks a group into a struct replay_group
 * (replay_group_init), runs the same verdicts, so the same guarantees, and
 * writes back the slot stored (replay_group_slot_get).  A slot whose
 * expiry lies more than 2 * REPLAY_TABLE_MAX_SKEW ahead of now counts as
 * free: no entry is stored that far ahead (see Lifetime), so it is garbage
 * (a damaged file) or the clock went back by more than that - and then the
 * authenticator's ctime is more than the skew ahead of now and refused
 * anyway, so forgetting it lets no replay through.
 */
#ifndef ORTHRUS_PROTO_REPLAY_TABLE_H
#define ORTHRUS_PROTO_REPLAY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define REPLAY_TABLE_GROUP 64u          /* slots per group (one lookup scans one) */
#define REPLAY_TABLE_OWNER_CAP 8u       /* slots of one group one owner may hold */
#define REPLAY_TABLE_MAX_CAPACITY (1u << 28)
#define REPLAY_TABLE_MAX_SKEW 86400     /* seconds */

struct replay_table;

/* A group hash from a keyed fingerprint: bits the table uses for nothing
 * else, so no second keyed hash is needed. */
#define REPLAY_GROUP_OF_FP(fp) ((uint64_t)(fp) >> 8)

/* One authenticator, hashed by the caller (keys random per process). */
struct replay_table_key {
	uint64_t owner;  /* keyed hash of the client principal */
	uint64_t fp;     /* keyed fingerprint of the authenticator */
	uint64_t group;  /* a keyed hash that picks the group (see above) */
	int64_t ctime;   /* the authenticator's client time, seconds */
};

/*
 * A table of at least capacity slots (rounded up to whole groups; at least
 * one group).  *out: replay_table_free().  Errors: ORTH_E_RANGE (capacity
 * 0 or above REPLAY_TABLE_MAX_CAPACITY), ORTH_E_NOMEM, ORTH_E_INTERNAL.
 */
orth_err replay_table_new(size_t capacity, struct replay_table **out);

/* Releases the table; NULL is fine. */
void replay_table_free(struct replay_table *t);

/*
 * Remember k unless it is remembered already.  skew: the allowed clock
 * skew in seconds (1..REPLAY_TABLE_MAX_SKEW); now: the current time.
 * Returns ORTH_OK (new, now stored until ctime + skew), ORTH_E_REPLAY (seen
 * and not expired), ORTH_E_SKEW (ctime outside now +/- skew; nothing
 * stored), ORTH_E_POLICY (k's owner already holds REPLAY_TABLE_OWNER_CAP
 * live entries of k's group: refused, nothing stored), ORTH_E_LIMIT (k's
 * group is full of live entries of other owners: refused, nothing stored),
 * ORTH_E_RANGE (skew, or now beyond +/- 2^62).
 */
orth_err replay_table_put(struct replay_table *t, const struct replay_table_key *k,
			  int64_t skew, int64_t now);

/* Only look k up: ORTH_E_REPLAY when remembered, ORTH_OK when not (nothing
 * stored), ORTH_E_SKEW and ORTH_E_RANGE as above. */
orth_err replay_table_get(struct replay_table *t, const struct replay_table_key *k,
			  int64_t skew, int64_t now);

/* Starts loading the lines of k's group that every probe reads (a hint,
 * no effect on any verdict): a caller with other work before its probe
 * does it while the misses of a large table are served. */
void replay_table_prefetch(const struct replay_table *t, const struct replay_table_key *k);

/* One slot unpacked: fingerprint (0: never used), owner, expiry (ctime +
 * skew).  The service side's file keeps its slots so (rcache.h). */
struct replay_slot {
	uint64_t fp;
	uint64_t owner;
	int64_t expires;
};

/* A slot's whole fingerprint and owner (only read to confirm a tag). */
struct replay_id {
	uint64_t fp;
	uint64_t owner;
};

/*
 * One group as the table keeps it (Layout, above): each array starts on a
 * cache line.  Slot i is free when fp_tag[i] is 0 (then owner_tag[i] is 0
 * too) or base + expires[i] lies outside [now, now + 2 * MAX_SKEW].  All
 * zeros is an empty group.  Only replay_table.c reads or writes the
 * fields.
 */
struct replay_group {
	_Alignas(64) uint8_t fp_tag[REPLAY_TABLE_GROUP];
	uint8_t owner_tag[REPLAY_TABLE_GROUP];
	int64_t base;                            /* within +/- 2^62 */
	/* replay_table's lock of this group (0: free), in the line every
	 * probe reads for base: no lock line shared between threads that
	 * probe different groups.  A caller probing its own copy ignores it. */
	_Atomic uint32_t lock;
	uint32_t expires[REPLAY_TABLE_GROUP];    /* expiry - base */
	_Alignas(64) struct replay_id id[REPLAY_TABLE_GROUP];
};

/*
 * grp from the unpacked slots[REPLAY_TABLE_GROUP] of a store that keeps
 * them so: the slots live at now keep their index, the others are free.
 * The verdicts of replay_group_probe at now are those the slots call for.
 */
void replay_group_init(struct replay_group *grp, const struct replay_slot *slots,
		       int64_t now);

/* Slot i of grp unpacked into *out (a free slot may come out as garbage:
 * for writing back the slot replay_group_probe stored). */
void replay_group_slot_get(const struct replay_group *grp, size_t i,
			   struct replay_slot *out);

/*
 * The verdict of replay_table_put (insert) or replay_table_get (!insert)
 * for k on grp, which the caller has picked (k->group modulo its number of
 * groups) and locked.  When k is stored, *stored_out (may be NULL) is the
 * index of the slot written, else REPLAY_TABLE_GROUP.  Same returns as
 * replay_table_put/get.
 */
orth_err replay_group_probe(struct replay_group *grp, const struct replay_table_key *k,
			    int64_t skew, int64_t now, bool insert, size_t *stored_out);

/* Live entries of one group at now (replay_table_count's rule). */
size_t replay_group_count(const struct replay_group *grp, int64_t now);

/* Live (unexpired at now) entries: for tests and statistics. O(capacity). */
size_t replay_table_count(struct replay_table *t, int64_t now);

/* Slots allocated (capacity rounded up to whole groups). */
size_t replay_table_capacity(const struct replay_table *t);

#endif
