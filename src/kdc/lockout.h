/*
 * lockout.h - account lockout after failed pre-authentication, with MIT's
 * policy fields (pw_max_fail, pw_failcnt_interval, pw_lockout_duration of
 * struct db_policy) and MIT's stored state (db_entry's fail_count,
 * last_failed, last_success: krbLoginFailedCount, krbLastFailedAuth,
 * krbLastSuccessfulAuth in MIT's LDAP schema).
 *
 * The rules (pure functions below):
 *   - a principal is locked when its policy sets max_fail, fail_count has
 *     reached it, and lockout_duration has not passed since the last
 *     failure (lockout_duration 0: until `orthrus admin unlock`);
 *   - a failed pre-authentication (wrong key) counts one, unless the
 *     principal is locked already; the count restarts first when
 *     failcnt_interval has passed since the last failure, or when a
 *     lockout has run out (MIT keeps the old count then, so one more
 *     failure would lock again at once);
 *   - a verified pre-authentication resets a non-zero count and records
 *     last_success;
 *   - `orthrus admin unlock` and a password change reset the count.
 * Unlike MIT, failures are counted only for principals whose policy sets
 * max_fail: every count is a synchronous database write, and an unbounded
 * number of them is a lever for anyone who can send AS-REQs.  Unlike MIT,
 * a success is recorded only when it resets a count: a success writes
 * nothing otherwise, so the AS path stays free of disk writes.
 *
 * Exactness and durability: the KDC checks the lock in its read snapshot,
 * but counts and resets in a write transaction that reads the principal
 * again (LMDB serialises writers: two parallel failures count two) and
 * commits (synchronously: a count is on disk before the KRB-ERROR is
 * sent, so `kill -9` loses none that a client saw).
 */
#ifndef ORTHRUS_KDC_LOCKOUT_H
#define ORTHRUS_KDC_LOCKOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

/* Is e locked at now under pol (NULL: no policy, never locked)? */
bool lockout_is_locked(const struct db_policy *pol, const struct db_entry *e, int64_t now);

/* When the lock of a locked e ends: a Unix time, or 0 for "when an
 * administrator unlocks it". */
int64_t lockout_locked_until(const struct db_policy *pol, const struct db_entry *e);

/*
 * A failed pre-authentication of e at now: updates e's lockout state.
 * Returns true when e changed (write it back), false when the failure is
 * not counted (no policy, no max_fail, or already locked).
 */
bool lockout_fail(const struct db_policy *pol, struct db_entry *e, int64_t now);

/* A verified pre-authentication: resets a non-zero count, unless e is
 * locked (a lock set meanwhile by parallel failures stays).  true when e
 * changed. */
bool lockout_succeed(const struct db_policy *pol, struct db_entry *e, int64_t now);

/* An administrator's unlock (also what a password change does): true when
 * e changed. */
bool lockout_unlock(struct db_entry *e);

/*
 * The AS exchange's three calls (as.c), with the request's worker context
 * and state (kdc_int.h).  client: the client's entry as the request read
 * it.
 *
 * kdc_lockout_check: before the client's key is tried.  ORTH_OK, or
 * ORTH_E_KRB(KDC_ERR_CLIENT_REVOKED) with r's e-text set when the client
 * is locked; db errors.  Reads the policy only when the client has a
 * count, so most requests pay nothing.
 *
 * kdc_lockout_failed: a pre-authentication mechanism found the key wrong
 * (src/kdc/preauth/ calls it for each: PA-ENC-TIMESTAMP, encrypted
 * challenge, ...); what: why, the e-text.  Counts it (a write
 * transaction) and returns ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED) with the
 * e-text (what, plus when this failure locked the client, or that a
 * database error kept it from being counted: the reply is the same).
 *
 * kdc_lockout_succeeded: a mechanism verified the key.  Resets a non-zero
 * count (a write transaction); writes nothing otherwise.  A database error
 * is logged, the request goes on.
 */
struct kdc_ctx;
struct kdc_req;
orth_err kdc_lockout_check(struct kdc_ctx *ctx, struct kdc_req *r,
			   const struct db_entry *client);
orth_err kdc_lockout_failed(struct kdc_ctx *ctx, struct kdc_req *r,
			    const struct db_entry *client, const char *what);
void kdc_lockout_succeeded(struct kdc_ctx *ctx, struct kdc_req *r,
			   const struct db_entry *client);

#endif
