/*
 * rcache.h - a small in-process replay cache for AP-REQ authenticators
 * (RFC 4120 §3.2.3: "the server MUST utilize a replay cache to remember any
 * authenticator presented within the allowable clock skew").
 *
 * What is stored is not the fields but a 128-bit keyed fingerprint of
 * (client, server, ctime, cusec, authenticator ciphertext): the key is
 * random per cache, so nobody can craft a collision that makes a fresh
 * authenticator look like a replay.  Hashing the ciphertext too means two
 * different authenticators of one client in the same microsecond are not
 * confused (MIT's rcache also keys on a hash of the ciphertext).
 *
 * Each entry lives until ctime + skew (after that the authenticator would
 * be refused for skew anyway), then its slot is reused.  The table is a
 * fixed array of slots with bounded linear probing: when the probe window
 * of a fingerprint holds no empty or expired slot, the insert is refused
 * (ORTH_E_LIMIT) instead of evicting a live entry, so flooding the cache
 * cannot push out a captured authenticator to replay it later (fail
 * closed).  Size it for the peak rate of logins times twice the skew.
 *
 * Thread safety: one mutex per cache; any thread may call rcache_put.
 * The cache is process-local: two server processes sharing a service key
 * do not see each other's authenticators (MIT's file rcache would).
 */
#ifndef ORTHRUS_CLIENT_RCACHE_H
#define ORTHRUS_CLIENT_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define RCACHE_DEFAULT_CAPACITY 8192u   /* slots (24 bytes each) */
#define RCACHE_MAX_CAPACITY (1u << 24)
#define RCACHE_PROBE 64u                /* slots searched per insert */

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
 * A cache of at least capacity slots (rounded up to a power of two; 0 means
 * RCACHE_DEFAULT_CAPACITY).  Errors: ORTH_E_RANGE (capacity above
 * RCACHE_MAX_CAPACITY), ORTH_E_NOMEM, crypto errors.  *out: rcache_free().
 */
orth_err rcache_new(size_t capacity, struct rcache **out);

/* Releases the cache (wipes the fingerprint key); NULL is fine. */
void rcache_free(struct rcache *rc);

/*
 * Remember k until expires (Kerberos time, seconds) unless it is already
 * remembered.  now is the current time (entries with expires < now are
 * free slots).  Returns ORTH_OK when k was new and is now stored,
 * ORTH_E_REPLAY when it was seen before and has not expired,
 * ORTH_E_LIMIT when its probe window is full of live entries (the caller
 * must refuse the request), ORTH_E_RANGE for a name longer than
 * PRINCIPAL_MAX_TEXT.
 */
orth_err rcache_put(struct rcache *rc, const struct rcache_key *k,
		    int64_t expires, int64_t now);

/* Number of live (unexpired at now) entries: for tests and statistics. */
size_t rcache_count(struct rcache *rc, int64_t now);

#endif
