/*
 * replay.h - the KDC's replay cache for authenticators (RFC 4120 §3.2.3,
 * §3.3.2 via the TGS AP-REQ): "the server MUST utilize a replay cache to
 * remember any authenticator presented within the allowable clock skew".
 *
 * What is stored: not the fields, but a 128-bit keyed fingerprint of
 * (client, server, ctime, cusec, tag) where tag is bytes the caller picks
 * that distinguish two authenticators sent in the same microsecond; pass the
 * authenticator's ciphertext (or a digest of it), not the request body, so
 * that the same authenticator under a different KDC-REQ-BODY is still a
 * replay.  The fingerprint key is random per process (SipHash-2-4 twice with
 * independent keys), so an attacker can neither predict buckets nor craft a
 * collision that makes a fresh authenticator look like a replay.
 *
 * Lifetime of an entry: an authenticator with client time t is only
 * acceptable while |t - now| <= skew, so it is remembered until t + skew;
 * then its slot is reused.
 *
 * Bounded memory, no eviction of live entries: the table has a fixed number
 * of slots (set at kdc_replay_new), grouped in groups of
 * KDC_REPLAY_GROUP_SLOTS; an entry lives in the group its fingerprint picks.
 * When that group holds no expired or empty slot the insert is REFUSED
 * (ORTH_E_LIMIT) rather than evicting an unexpired entry: evicting would let
 * an attacker who floods the cache with fresh authenticators push out a
 * captured one and then replay it.  Refusing under overload fails closed
 * (the caller answers an error, e.g. KDC_ERR_SVC_UNAVAILABLE); size the
 * cache for the peak request rate times twice the skew (an authenticator may
 * be up to skew in the future).  MIT's KDC also keeps a hashed table of
 * expiring entries.
 *
 * Thread safety: one cache is shared by all workers (a replay may arrive on
 * any worker's socket); groups are protected by striped mutexes.
 */
#ifndef ORTHRUS_KDC_REPLAY_H
#define ORTHRUS_KDC_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define KDC_REPLAY_DEFAULT_SKEW 300          /* seconds, RFC 4120 §1.6 / MIT clockskew */
#define KDC_REPLAY_DEFAULT_CAPACITY (1u << 20) /* entries (24 bytes each) */
#define KDC_REPLAY_GROUP_SLOTS 32            /* slots searched per lookup */
#define KDC_REPLAY_MAX_CAPACITY (1u << 28)

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
 * A cache of at least `capacity` entries (rounded up to a whole number of
 * groups; 0 = default), remembering each for `skew` seconds (0 = default).
 * *rc_out is owned by the caller: kdc_replay_free().
 * Returns ORTH_E_NOMEM, ORTH_E_INTERNAL (no randomness), ORTH_E_RANGE
 * (capacity above KDC_REPLAY_MAX_CAPACITY or negative skew).
 */
orth_err kdc_replay_new(size_t capacity, int64_t skew, struct kdc_replay **rc_out);

/* Releases the cache; NULL is fine. */
void kdc_replay_free(struct kdc_replay *rc);

/*
 * Checks whether the authenticator was seen within the window and, if not,
 * remembers it.  now: the KDC's current time in seconds.
 * Returns ORTH_OK (fresh, now remembered), ORTH_E_REPLAY (seen before;
 * answer KRB_AP_ERR_REPEAT), ORTH_E_SKEW (ctime outside now +/- skew: the
 * caller should have refused it already; nothing is stored), ORTH_E_LIMIT
 * (no room: refused, nothing stored), ORTH_E_MALFORMED (NULL name).
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

/* Live (unexpired at `now`) entries; for tests and statistics. O(capacity). */
size_t kdc_replay_count(struct kdc_replay *rc, int64_t now);

/* Slots actually allocated (capacity rounded up). */
size_t kdc_replay_capacity(const struct kdc_replay *rc);

#endif
