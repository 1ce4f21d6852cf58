/*
 * replay.h - the KDC's replay cache for authenticators (RFC 4120 §3.2.3,
 * §3.3.2 via the TGS AP-REQ): "the server MUST utilize a replay cache to
 * remember any authenticator presented within the allowable clock skew".
 * One cache is shared by all worker threads (a replay may arrive on any
 * worker's socket); any thread may call any function.
 *
 * What is stored: not the fields, but a keyed fingerprint of (client,
 * server, ctime, cusec, tag) where tag is bytes the caller picks that
 * distinguish two authenticators sent in the same microsecond; pass the
 * authenticator's ciphertext (or a digest of it), not the request body, so
 * that the same authenticator under a different KDC-REQ-BODY is still a
 * replay.  With it, a keyed hash of the client alone (its owner).  The
 * SipHash-2-4 keys are random per process, so an attacker can neither
 * predict where an entry goes nor craft a collision that makes a fresh
 * authenticator look like a replay.
 *
 * The table and what it guarantees are src/proto/replay_table.h's; in
 * short, with C = capacity (kdc.conf's [kdcdefaults]
 * kdc_replay_cache_size; default 2^20 slots, 23 MiB) and skew s (default
 * 300 s):
 *  - an entry lives until ctime + s; a ctime more than s away from now is
 *    refused (ORTH_E_SKEW);
 *  - a live entry is never evicted: with no room the new authenticator is
 *    refused (fail closed), so a flood cannot push out a captured one;
 *  - per-client quota: one client (cname@crealm) holds at most 8 of the 64
 *    slots of any group, C/8 in all; beyond, ITS authenticators are
 *    refused (ORTH_E_POLICY, answered KDC_ERR_SVC_UNAVAILABLE), nobody
 *    else's.  A client sustains C / (128 s) TGS requests per second (27/s
 *    by default; 55/s with a correct clock) with a self-refusal
 *    probability below 1.1e-5 per request;
 *  - the other clients are refused (ORTH_E_LIMIT, also
 *    KDC_ERR_SVC_UNAVAILABLE) only when their own live entries fill a
 *    group (56 of its 64 slots beside a flooder): below 1e-7 per request
 *    while they hold at most 40% of C.  Size C so that the realm's peak
 *    TGS rate times 2 s stays below 0.4 C (the default: 700 requests
 *    per second, 1,400 with correct clocks).
 *
 * The default, 2^20 slots (23 MiB), is a small site's: it refuses a single
 * middle-tier client (S4U2Proxy for many users) beyond 27 requests a
 * second and the whole KDC beyond 700-1,400, a fiftieth of what it
 * serves; busier sites set kdc_replay_cache_size (docs/OPERATIONS.md),
 * and a refusal says so in the log.  The size costs memory, all of it
 * taken at start (replay_table.h), and little CPU: each request reads
 * about five cache lines of one group at a random place in the table.
 * Measured (a fresh KDC's CPU over 4 s of UDP TGS from bench/kdc_load,
 * 64 in flight, same machine, two runs each, alternating): 2^23 slots 9.3 and
 * 9.5 us of KDC CPU per request, 2^20 9.4 and 9.1; when a request
 * scanned a whole group of 1.5 KiB and the pages came with the traffic:
 * 12.2/12.2 and 10.1/9.8.
 */
#ifndef ORTHRUS_KDC_REPLAY_H
#define ORTHRUS_KDC_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "proto/replay_table.h"

#define KDC_REPLAY_DEFAULT_SKEW 300          /* seconds, RFC 4120 §1.6 / MIT clockskew */
#define KDC_REPLAY_DEFAULT_CAPACITY (1u << 20) /* entries (23 bytes each) */
#define KDC_REPLAY_MIN_CAPACITY REPLAY_TABLE_GROUP
#define KDC_REPLAY_MAX_CAPACITY REPLAY_TABLE_MAX_CAPACITY
/* Seconds between two warnings of the same kind of refusal (full, over
 * quota): a flood refused at thousands a second says so once in a while,
 * the request log has every refusal. */
#define KDC_REPLAY_WARN_INTERVAL 10

struct kdc_replay;

/* The fields that identify one authenticator.  Strings are NUL-terminated
 * unparsed principal names (with realm); tag may be NULL when tag_len is 0. */
struct kdc_replay_key {
	const char *client;
	const char *server;
	int64_t ctime;       /* KerberosTime, seconds since the epoch */
	int32_t cusec;       /* 0..999999 */
	const uint8_t *tag;  /* authenticator ciphertext or its digest */
	size_t tag_len;
};

/*
 * A cache of at least `capacity` entries (rounded up to whole groups of 64;
 * 0 = default), remembering each until its ctime + `skew` seconds
 * (0 = default).  *rc_out is owned by the caller: kdc_replay_free().
 * Returns ORTH_E_NOMEM, ORTH_E_INTERNAL (no randomness), ORTH_E_RANGE
 * (capacity above KDC_REPLAY_MAX_CAPACITY, skew negative or above
 * REPLAY_TABLE_MAX_SKEW).
 */
orth_err kdc_replay_new(size_t capacity, int64_t skew, struct kdc_replay **rc_out);

/* Releases the cache; NULL is fine. */
void kdc_replay_free(struct kdc_replay *rc);

/*
 * Checks whether the authenticator was seen within the window and, if not,
 * remembers it.  now: the KDC's current time in seconds.
 * Returns ORTH_OK (fresh, now remembered), ORTH_E_REPLAY (seen before;
 * answer KRB_AP_ERR_REPEAT; reported even to a client over its quota),
 * ORTH_E_SKEW (ctime outside now +/- skew: the caller should have refused
 * it already; nothing is stored), ORTH_E_POLICY (this client is over its
 * quota: refused, nothing stored), ORTH_E_LIMIT (no room for anyone in
 * this authenticator's group: refused, nothing stored), ORTH_E_MALFORMED
 * (NULL name).  Both refusals are KDC_ERR_SVC_UNAVAILABLE on the wire.
 */
orth_err kdc_replay_check_and_insert(struct kdc_replay *rc,
    const struct kdc_replay_key *key, int64_t now);

/*
 * Only look key up: ORTH_E_REPLAY when it was seen, ORTH_OK when not
 * (nothing is remembered), ORTH_E_SKEW / ORTH_E_MALFORMED as above.  For
 * refusing a replay before expensive or attacker-influenced checks, with
 * kdc_replay_check_and_insert() once the request is known to be genuine.
 */
orth_err kdc_replay_check(struct kdc_replay *rc,
			  const struct kdc_replay_key *key, int64_t now);

/*
 * The same two steps with key hashed once (two passes of SipHash): the
 * TGS hashes an authenticator before the body checksum, inserts it after
 * one that verifies and only looks it up after one that does not (a
 * replay under another body).  kdc_replay_key_hash fills *out from key (ORTH_E_MALFORMED as
 * above); out is valid for this rc only.  The verdicts are those of
 * kdc_replay_check and kdc_replay_check_and_insert.
 */
orth_err kdc_replay_key_hash(const struct kdc_replay *rc,
    const struct kdc_replay_key *key, struct replay_table_key *out);
orth_err kdc_replay_hashed_check(struct kdc_replay *rc,
    const struct replay_table_key *tk, int64_t now);
orth_err kdc_replay_hashed_check_and_insert(struct kdc_replay *rc,
    const struct replay_table_key *tk, int64_t now);
/* replay_table_prefetch of tk's group: for a caller with work to do before
 * its first probe. */
void kdc_replay_hashed_prefetch(const struct kdc_replay *rc,
    const struct replay_table_key *tk);

/* Live (unexpired at `now`) entries; for tests and statistics. O(capacity). */
size_t kdc_replay_count(struct kdc_replay *rc, int64_t now);

/* Slots actually allocated (capacity rounded up). */
size_t kdc_replay_capacity(const struct kdc_replay *rc);

/*
 * Whether a refusal for lack of room (verdict ORTH_E_POLICY or
 * ORTH_E_LIMIT, each kind on its own) at now is to be warned about: true
 * for the first one and then at most once per KDC_REPLAY_WARN_INTERVAL
 * seconds, whichever worker asks.  One relaxed load while not due.
 */
bool kdc_replay_warn_due(struct kdc_replay *rc, orth_err verdict, int64_t now);

#endif
