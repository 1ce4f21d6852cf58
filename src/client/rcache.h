/*
 * rcache.h - the service side's replay cache for AP-REQ authenticators
 * (RFC 4120 §3.2.3: "the server MUST utilize a replay cache to remember
 * any authenticator presented within the allowable clock skew"), in a
 * file shared by the processes of a service (the default) or in memory.
 *
 * What is stored is not the fields but a keyed fingerprint of (client,
 * server, ctime, cusec, authenticator ciphertext), and a keyed hash of the
 * client alone (its owner): the key is random (per file, or per cache in
 * memory), so nobody without it can predict where an entry goes or craft a
 * collision that makes a fresh authenticator look like a replay.  Hashing
 * the ciphertext too means two different authenticators of one client in
 * the same microsecond are not confused (MIT's rcache also keys on a hash
 * of the ciphertext).  The client is the ticket's cname@crealm after
 * decryption: an attacker can mint authenticators only under tickets whose
 * session key it has, so only under its own names.
 *
 * The table and what it guarantees are src/proto/replay_table.h's (the
 * file store runs the same decision, replay_group_probe, on groups it
 * reads from the file); in short, with C = capacity (default 2^17 slots,
 * 3 MiB) and the skew s the caller passes (300 s by default in apreq.h):
 *  - an entry lives until ctime + s; a ctime more than s away from now is
 *    refused (ORTH_E_SKEW);
 *  - a live entry is never evicted: with no room the new authenticator is
 *    refused (fail closed), so a flood cannot push out a captured one;
 *  - per-client quota: one client holds at most 8 of the 64 slots of any
 *    group, C/8 in all; beyond, ITS AP-REQs are refused (ORTH_E_POLICY),
 *    nobody else's - in every process sharing the file.  One client
 *    sustains C / (128 s) AP-REQs per second (3.4/s by default; 6.8/s with
 *    a correct clock) with a self-refusal probability below 1.1e-5 per
 *    request (0.1% at twice that);
 *  - the other clients are refused (ORTH_E_LIMIT) only when their own live
 *    entries fill a group: below 1e-7 per request while they hold at most
 *    40% of C.  Size C so that the peak login rate times 2 s stays below
 *    0.4 C (by default 87 logins per second, 175 with correct clocks).
 *
 * The file (rcache_file_open).  Like MIT's file2 replay cache (krb5 1.18+):
 * one file per effective uid, by default $KRB5RCACHEDIR/orthrus_<euid>.rcache,
 * else /var/tmp/orthrus_<euid>.rcache (a name of our own: the format is not
 * MIT's).  Per uid rather than per service principal, as MIT's: the
 * fingerprint includes the server name, and two processes that name their
 * service differently (one by name, one with any keytab key) must still
 * see each other's authenticators.  Layout: a 64-byte header (magic
 * "ORTHRCF1", u32 slot size 24, u32 number of groups, both big-endian,
 * the 16-byte hash key, zeros) and the groups of 64 slots (fingerprint,
 * owner, expiry: three 64-bit little-endian values).  Fixed size, set by
 * whoever creates the file: 64 + 1536 bytes per group, at most
 * RCACHE_MAX_CAPACITY slots (384 MiB).
 *   Every operation opens the file (O_NOFOLLOW), takes an exclusive fcntl
 *   lock on it (whole file, an open file description lock where Linux has
 *   them, so two caches on one file in one process exclude each other
 *   too; MIT's file2 locks too), reads the header and
 *   the one group it needs with pread, writes back the one slot it stores,
 *   and closes.  Nothing of the file is trusted for a length or an offset:
 *   the header must say exactly the file's size, else the file is rebuilt
 *   (empty, new key) under the lock; an entry expiring implausibly far
 *   ahead counts as free (replay_table.h), so a damaged file cannot pin a
 *   slot.  Refused (ORTH_E_IO, nothing written): a path that is a symlink,
 *   not a regular file, owned by another uid, or with more than one link.
 *   A file group- or world-accessible is set back to 0600.  The file is
 *   created 0600 by the service's uid.  Rebuilding forgets what the file
 *   held: an authenticator accepted before the damage could be replayed
 *   once within its skew window - the price of not locking a service out
 *   over a damaged cache file (which only its uid or root can write).  In
 *   a world-writable directory like /var/tmp another user can create the
 *   name first and so refuse the service every login (as with MIT's
 *   default); give the service a KRB5RCACHEDIR of its own against that.
 *
 * Thread safety: any thread may call rcache_put (the key object is used
 * under one mutex; the memory table has a lock in each group, the file
 * store does all of an operation under the mutex and the file lock).
 */
#ifndef ORTHRUS_CLIENT_RCACHE_H
#define ORTHRUS_CLIENT_RCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define RCACHE_DEFAULT_CAPACITY (1u << 17) /* slots (24 bytes each) */
#define RCACHE_MAX_CAPACITY (1u << 24)
#define RCACHE_DEFAULT_DIR "/var/tmp"

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
 * An in-memory cache of this process only, of at least capacity slots
 * (rounded up to whole groups of 64; 0 means RCACHE_DEFAULT_CAPACITY).
 * Errors: ORTH_E_RANGE (capacity above RCACHE_MAX_CAPACITY), ORTH_E_NOMEM,
 * crypto errors.  *out: rcache_free().
 */
orth_err rcache_new(size_t capacity, struct rcache **out);

/*
 * The cache in the file path (see above), created with capacity slots
 * (0: RCACHE_DEFAULT_CAPACITY) when it does not exist or is rebuilt; an
 * existing sound file keeps its own size.  The file is opened and checked
 * once here, so that a bad path fails now, not at the first login.
 * Errors, with a line in err (may be NULL): ORTH_E_RANGE (capacity),
 * ORTH_E_IO (cannot open, create or lock it, or it is refused: see
 * above), ORTH_E_NOMEM, crypto errors.  *out: rcache_free().
 */
orth_err rcache_file_open(const char *path, size_t capacity, struct rcache **out,
			  char *err, size_t errlen);

/*
 * The cache a name says, MIT's KRB5RCACHENAME syntax: "dfl:" (the default
 * file above), "FILE:/path" (that file; "file:" too), "MEMORY:" (this
 * process only).  name NULL or "": $KRB5RCACHENAME, else "dfl:".  Other
 * types - MIT's "none:" and "file2:" (whose format we do not write)
 * included - are ORTH_E_CONFIG.  Environment variables are read with
 * secure_getenv.  Errors as rcache_file_open.
 */
orth_err rcache_open(const char *name, struct rcache **out, char *err, size_t errlen);

/* The default file's path into buf (cap bytes): ORTH_E_LIMIT when it does
 * not fit. */
orth_err rcache_default_path(char *buf, size_t cap);

/* Releases the cache (wipes the fingerprint key); NULL is fine.  The file
 * stays (other processes use it). */
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
 * or a skew out of range, ORTH_E_IO when the file cannot be used (refuse
 * the request: fail closed).
 */
orth_err rcache_put(struct rcache *rc, const struct rcache_key *k,
		    int64_t skew, int64_t now);

/* Number of live (unexpired at now) entries: for tests and statistics
 * (0 when the file cannot be read). */
size_t rcache_count(struct rcache *rc, int64_t now);

#endif
