/*
 * rcache.h - the service side's in-process replay cache for AP-REQ
 * authenticators (RFC 4120 §3.2.3: "the server MUST utilize a replay
 * cache to remember any authenticator presented within the allowable
 * clock skew").
 *
 * What is stored is not the fields but a keyed fingerprint of (client,
 * server, ctime, cusec, authenticator ciphertext), and a keyed hash of the
 * client alone (its owner): the key is random per cache, so nobody can
 * predict where an entry goes or craft a collision that makes a fresh
 * authenticator look like a replay.  Hashing the ciphertext too means two
 * different authenticators of one client in the same microsecond are not
 * confused (MIT's rcache also keys on a hash of the ciphertext).  The
 * client is the ticket's cname@crealm after decryption: an attacker can
 * mint authenticators only under tickets whose session key it has, so
 * only under its own names.
 *
 * The table and what it guarantees are src/proto/replay_table.h's; in
 * short, with C = capacity (default 2^17 slots, 3 MiB) and the skew s the
 * caller passes (300 s by default in apreq.h):
 *  - an entry lives until ctime + s; a ctime more than s away from now is
 *    refused (ORTH_E_SKEW);
 *  - a live entry is never evicted: with no room the new authenticator is
 *    refused (fail closed), so a flood cannot push out a captured one;
 *  - per-client quota: one client holds at most 8 of the 64 slots of any
 *    group, C/8 in all; beyond, ITS AP-REQs are refused (ORTH_E_POLICY),
 *    nobody else's.  One client sustains C / (128 s) AP-REQs per second
 *    (3.4/s by default; 6.8/s with a correct clock) with a self-refusal
 *    probability below 1.1e-5 per request (0.1% at twice that);
 *  - the other clients are refused (ORTH_E_LIMIT) only when their own live
 *    entries fill a group: below 1e-7 per request while they hold at most
 *    40% of C.  Size C so that the peak login rate times 2 s stays below
 *    0.4 C (by default 87 logins per second, 175 with correct clocks).
 *
 * Thread safety: any thread may call rcache_put (the fingerprint key is
 * used under one mutex, the table has its own striped locks).  The cache
 * is process-local: two server processes sharing a service key do not see
 * each other's authenticators (MIT's file rcache would).
 */
#ifndef ORTHRUS_CLIENT_RCACHE_H
#define ORTHRUS_CLIENT_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define RCACHE_DEFAULT_CAPACITY (1u << 17) /* slots (24 bytes each) */
#define RCACHE_MAX_CAPACITY (1u << 24)

struct rcache;

/* The identity of one authenticator.  client and server are unparsed
 * principal names (NUL-terminated); tag is the authenticator ciphertext. */
struct rcache_key {
	const char *client;
	const char *server;
	int64_t ctime;
	int32_t cusec;
	const uint8_t *tag;
	size_t tag_len;
};

/*
 * A cache of at least capacity slots (rounded up to whole groups of 64;
 * 0 means RCACHE_DEFAULT_CAPACITY).  Errors: ORTH_E_RANGE (capacity above
 * RCACHE_MAX_CAPACITY), ORTH_E_NOMEM, crypto errors.  *out: rcache_free().
 */
orth_err rcache_new(size_t capacity, struct rcache **out);

/* Releases the cache (wipes the fingerprint key); NULL is fine. */
void rcache_free(struct rcache *rc);

/*
 * Remember k until k->ctime + skew unless it is already remembered.
 * skew: the allowed clock skew in seconds (1..86400); now: the current
 * time.  Returns ORTH_OK when k was new and is now stored, ORTH_E_REPLAY
 * when it was seen before and has not expired (also for a client over its
 * quota), ORTH_E_SKEW when ctime is more than skew away from now (nothing
 * stored), ORTH_E_POLICY when k's client is over its quota, ORTH_E_LIMIT
 * when there is no room for anyone in k's group (both: refuse the request,
 * nothing stored), ORTH_E_RANGE for a name longer than PRINCIPAL_MAX_TEXT
 * or a skew out of range.
 */
orth_err rcache_put(struct rcache *rc, const struct rcache_key *k,
		    int64_t skew, int64_t now);

/* Number of live (unexpired at now) entries: for tests and statistics. */
size_t rcache_count(struct rcache *rc, int64_t now);

#endif
