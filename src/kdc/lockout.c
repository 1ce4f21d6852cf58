/*
 * lockout.c - account lockout: the rules (pure) and their place in the AS
 * exchange (the kdc_lockout_* functions).  See lockout.h.
 */
#include "lockout.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "kdc_int.h"

/* a + b without overflow (times from a record may be anything). */
static int64_t
time_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

static bool
counts(const struct db_policy *pol)
{
	return pol != NULL && pol->pw_max_fail > 0;
}

bool
lockout_is_locked(const struct db_policy *pol, const struct db_entry *e, int64_t now)
{
	if (!counts(pol) || e->fail_count < pol->pw_max_fail)
		return false;
	if (pol->pw_lockout_duration == 0)
		return true;
	return now < time_add(e->last_failed, pol->pw_lockout_duration);
}

int64_t
lockout_locked_until(const struct db_policy *pol, const struct db_entry *e)
{
	if (pol == NULL || pol->pw_lockout_duration == 0)
		return 0;
	return time_add(e->last_failed, pol->pw_lockout_duration);
}

bool
lockout_fail(const struct db_policy *pol, struct db_entry *e, int64_t now)
{
	if (!counts(pol) || lockout_is_locked(pol, e, now))
		return false;
	if (e->fail_count >= pol->pw_max_fail)
		e->fail_count = 0; /* a lockout that ran out: a fresh start */
	else if (pol->pw_failcnt_interval != 0 &&
		 now > time_add(e->last_failed, pol->pw_failcnt_interval))
		e->fail_count = 0;
	if (e->fail_count < UINT32_MAX)
		e->fail_count++;
	e->last_failed = now;
	return true;
}

bool
lockout_succeed(const struct db_policy *pol, struct db_entry *e, int64_t now)
{
	if (e->fail_count == 0 || lockout_is_locked(pol, e, now))
		return false;
	e->fail_count = 0;
	e->last_success = now;
	return true;
}

bool
lockout_unlock(struct db_entry *e)
{
	if (e->fail_count == 0)
		return false;
	e->fail_count = 0;
	return true;
}

/* ---- in the KDC ---- */

/* The policy pol names through the worker's reader into ctx's arena:
 * ORTH_OK with *have_out false when there is none. */
static orth_err
policy_load(struct kdc_ctx *ctx, const struct db_entry *e, struct db_policy *pol,
	    bool *have_out)
{
	orth_err ret = ORTH_OK;

	*have_out = false;
	if (e->policy[0] != '\0') {
		ret = db_reader_policy_get(ctx->rd, e->policy, &ctx->a, pol);
		*have_out = ret == ORTH_OK;
		if (ret == ORTH_E_NOTFOUND)
			ret = ORTH_OK; /* a dangling name (`admin verify` reports it) */
	}
	return ret;
}

enum lockout_event { LOCKOUT_FAILURE, LOCKOUT_SUCCESS };

/*
 * The event for principal name at now, in one write transaction over a
 * fresh copy of the principal and its policy: this is what makes parallel
 * failures count exactly.  *locked_out: the principal is locked after it.
 */
static orth_err
lockout_write(struct kdc_ctx *ctx, const char *name, enum lockout_event ev, int64_t now,
	      bool *locked_out)
{
	orth_err ret;
	struct db_txn *t = NULL;
	struct db_entry *e;
	struct db_policy pol;
	bool have_pol = false, changed;

	*locked_out = false;
	e = kdc_entry_new(ctx);
	CHECK(e != NULL, ORTH_E_LIMIT);
	TRY(db_txn_begin(ctx->sh->db, &t));
	TRY(db_txn_get(t, name, &ctx->a, e));
	if (e->policy[0] != '\0') {
		ret = db_txn_policy_get(t, e->policy, &ctx->a, &pol);
		CHECK(ret == ORTH_OK || ret == ORTH_E_NOTFOUND, ret);
		have_pol = ret == ORTH_OK;
		ret = ORTH_OK;
	}
	if (ev == LOCKOUT_FAILURE)
		changed = lockout_fail(have_pol ? &pol : NULL, e, now);
	else
		changed = lockout_succeed(have_pol ? &pol : NULL, e, now);
	*locked_out = lockout_is_locked(have_pol ? &pol : NULL, e, now);
	if (changed) {
		/* A directory is told the event, not a count (db.h). */
		db_txn_reason(t, ev == LOCKOUT_FAILURE ? DB_WRITE_LOCKOUT_FAIL
						       : DB_WRITE_LOCKOUT_RESET);
		TRY(db_txn_put(t, e, DB_PUT_REPLACE));
		ret = db_txn_commit(t);
		t = NULL;
	}
cleanup:
	db_txn_abort(t);
	return ret;
}

orth_err
kdc_lockout_check(struct kdc_ctx *ctx, struct kdc_req *r, const struct db_entry *client)
{
	orth_err ret;
	struct db_policy pol;
	bool have;

	/* The common case costs nothing: no count, no lock. */
	if (client->fail_count == 0)
		return ORTH_OK;
	TRY(policy_load(ctx, client, &pol, &have));
	if (have && lockout_is_locked(&pol, client, r->now))
		ret = kdc_fail(r, KDC_ERR_CLIENT_REVOKED,
			       "client is locked out (too many failed pre-authentications)");
cleanup:
	return ret;
}

orth_err
kdc_lockout_failed(struct kdc_ctx *ctx, struct kdc_req *r, const struct db_entry *client,
		   const char *what)
{
	orth_err ret;
	struct db_policy pol;
	bool have = false, locked = false;
	const char *why = what, *tail = NULL;
	char *buf;

	ret = policy_load(ctx, client, &pol, &have);
	if (ret == ORTH_OK && have && pol.pw_max_fail > 0)
		ret = lockout_write(ctx, client->name, LOCKOUT_FAILURE, r->now, &locked);
	if (ret != ORTH_OK) {
		/* The client still hears that its key was wrong; the
		 * administrator learns that the count was not kept. */
		log_msg(LOG_LVL_ERR, "lockout: failed pre-authentication of %s not counted: %s",
			client->name, orth_err_str(ret));
		tail = " (failure not counted: database error)";
	} else if (locked)
		tail = "; client now locked out";
	if (tail != NULL) {
		size_t n = strlen(what) + strlen(tail) + 1;
		buf = arena_alloc(&ctx->a, n);
		if (buf != NULL) {
			snprintf(buf, n, "%s%s", what, tail);
			why = buf;
		}
	}
	return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, why);
}

void
kdc_lockout_succeeded(struct kdc_ctx *ctx, struct kdc_req *r, const struct db_entry *client)
{
	orth_err ret;
	bool locked;

	/* Nothing to reset, nothing written: the AS path's common case. */
	if (client->fail_count == 0)
		return;
	ret = lockout_write(ctx, client->name, LOCKOUT_SUCCESS, r->now, &locked);
	if (ret != ORTH_OK)
		log_msg(LOG_LVL_ERR, "lockout: count of %s not reset: %s", client->name,
			orth_err_str(ret));
}
