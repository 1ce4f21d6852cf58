/*
 * test_kdc_lockout.c - account lockout (src/kdc/lockout.h): the state
 * machine as pure functions, then the AS exchange through kdc_handle()
 * over the fixture realm: wrong passwords counted, the lock
 * (KDC_ERR_CLIENT_REVOKED, its reason on the wire), its end after
 * lockout_duration, the reset on success, no database write on a success
 * with nothing to reset, and two workers failing in parallel counted
 * exactly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc/lockout.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"

#define REALM "TEST.REALM"
#define TGS "krbtgt/" REALM
#define T0 ((int64_t)1800000000)

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];

/* The one place that calls kdc_handle(). */
static size_t
send_req(struct kdc_ctx *ctx, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
	struct kdc_request_info info;
	struct writer w;

	kdc_request_info_local(&info, KDC_TRANSPORT_TCP, "test");
	writer_init(&w, out, cap);
	(void)kdc_handle(ctx, &info, req, len, &w);
	return writer_err(&w) == ORTH_OK ? w.len : 0;
}

/* The KRB-ERROR code of a reply (0: a KDC-REP), its e-text into etext. */
static int
reply_code(const uint8_t *r, size_t n, const char **etext)
{
	KRB_ERROR e;
	int tag = der_peek_application_tag(r, n);

	if (etext != NULL)
		*etext = NULL;
	if (tag == KRB5_MSG_AS_REP)
		return 0;
	memset(&e, 0, sizeof(e));
	if (tag != KRB5_MSG_ERROR || der_decode(&asn1_KRB_ERROR, r, n, &A, &e) != ORTH_OK)
		return -1;
	if (etext != NULL)
		*etext = e.e_text;
	return (int)e.error_code;
}

/* An AS-REQ for client with PA-ENC-TIMESTAMP under pw (NULL: no padata). */
static void
as_req(const char *client, const char *pw, uint8_t **req, size_t *len)
{
	struct crypto_key *k = NULL;

	if (pw != NULL)
		EXPECT_EQ_INT(kdc_fixture_client_key(&fx, &A, client, pw, 18, &k), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, client, TGS, 0, 0, 0, k, req, len), ORTH_OK);
	crypto_key_free(k);
}

static int
as(const char *client, const char *pw, const char **etext)
{
	uint8_t *req = NULL;
	size_t len = 0, n;

	as_req(client, pw, &req, &len);
	n = send_req(fx.ctx, req, len, rep, sizeof(rep));
	return reply_code(rep, n, etext);
}

static void
policy_put(const struct db_policy *p)
{
	struct db_txn *t = NULL;

	EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, p, DB_PUT_ANY), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
}

static void
entry_get(const char *name, struct db_entry *e)
{
	char full[256];

	snprintf(full, sizeof(full), "%s@" REALM, name);
	EXPECT_EQ_INT(db_principal_get(fx.db, full, &A, e), ORTH_OK);
}

/* Read-modify-write of name: policy, and (when unlock) the count reset as
 * `orthrus admin unlock` does. */
static void
entry_update(const char *name, const char *pol, bool unlock)
{
	struct db_txn *t = NULL;
	struct db_entry *e = arena_alloc(&A, sizeof(*e));
	char full[256];

	snprintf(full, sizeof(full), "%s@" REALM, name);
	EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_get(t, full, &A, e), ORTH_OK);
	if (pol != NULL)
		e->policy = pol;
	if (unlock)
		EXPECT(lockout_unlock(e));
	EXPECT_EQ_INT(db_txn_put(t, e, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
}

/* The rules alone. */
static void
test_state_machine(void)
{
	struct db_policy p;
	struct db_entry *e = calloc(1, sizeof(*e));

	memset(&p, 0, sizeof(p));
	p.name = "lock";
	/* no policy, or no max_fail: never counted, never locked */
	EXPECT(!lockout_fail(NULL, e, T0));
	EXPECT(!lockout_fail(&p, e, T0));
	EXPECT_EQ_INT(e->fail_count, 0);
	e->fail_count = 100;
	EXPECT(!lockout_is_locked(NULL, e, T0));
	EXPECT(!lockout_is_locked(&p, e, T0));
	e->fail_count = 0;

	p.pw_max_fail = 3;
	p.pw_failcnt_interval = 60;
	p.pw_lockout_duration = 600;
	EXPECT(lockout_fail(&p, e, T0));
	EXPECT(lockout_fail(&p, e, T0 + 10));
	EXPECT_EQ_INT(e->fail_count, 2);
	EXPECT_EQ_INT(e->last_failed, T0 + 10);
	EXPECT(!lockout_is_locked(&p, e, T0 + 10));
	/* the interval passes: the count starts again */
	EXPECT(lockout_fail(&p, e, T0 + 71));
	EXPECT_EQ_INT(e->fail_count, 1);
	EXPECT(lockout_fail(&p, e, T0 + 72));
	/* exactly at the interval's end it still counts on */
	EXPECT(lockout_fail(&p, e, T0 + 132));
	EXPECT_EQ_INT(e->fail_count, 3);
	EXPECT(lockout_is_locked(&p, e, T0 + 132));
	EXPECT_EQ_INT(lockout_locked_until(&p, e), T0 + 732);
	/* locked: failures are not counted (nor written), successes do not
	 * reset */
	EXPECT(!lockout_fail(&p, e, T0 + 200));
	EXPECT_EQ_INT(e->fail_count, 3);
	EXPECT_EQ_INT(e->last_failed, T0 + 132);
	EXPECT(!lockout_succeed(&p, e, T0 + 200));
	EXPECT(lockout_is_locked(&p, e, T0 + 731));
	EXPECT(!lockout_is_locked(&p, e, T0 + 732));
	/* the lock ran out: the next failure starts a fresh count */
	EXPECT(lockout_fail(&p, e, T0 + 733));
	EXPECT_EQ_INT(e->fail_count, 1);
	EXPECT(!lockout_is_locked(&p, e, T0 + 733));
	/* success resets a count and records when; nothing to reset, no
	 * change */
	EXPECT(lockout_succeed(&p, e, T0 + 734));
	EXPECT_EQ_INT(e->fail_count, 0);
	EXPECT_EQ_INT(e->last_success, T0 + 734);
	EXPECT(!lockout_succeed(&p, e, T0 + 735));
	EXPECT_EQ_INT(e->last_success, T0 + 734);
	/* lockout_duration 0: locked until unlocked; failcnt_interval 0: the
	 * count never restarts on its own */
	p.pw_lockout_duration = 0;
	p.pw_failcnt_interval = 0;
	for (int i = 0; i < 3; i++)
		EXPECT(lockout_fail(&p, e, T0 + 1000 + i * 100000));
	EXPECT(lockout_is_locked(&p, e, INT64_MAX));
	EXPECT_EQ_INT(lockout_locked_until(&p, e), 0);
	EXPECT(lockout_unlock(e));
	EXPECT(!lockout_is_locked(&p, e, T0));
	EXPECT(!lockout_unlock(e));
	/* hostile stored times do not overflow */
	p.pw_lockout_duration = 600;
	p.pw_failcnt_interval = 60;
	e->fail_count = 3;
	e->last_failed = INT64_MAX - 1;
	EXPECT(lockout_is_locked(&p, e, T0));
	EXPECT_EQ_INT(lockout_locked_until(&p, e), INT64_MAX);
	e->fail_count = 1;
	e->last_failed = INT64_MIN;
	EXPECT(lockout_fail(&p, e, T0));
	EXPECT_EQ_INT(e->fail_count, 1);
	e->fail_count = UINT32_MAX - 1;
	p.pw_max_fail = UINT32_MAX;
	p.pw_failcnt_interval = 0;
	EXPECT(lockout_fail(&p, e, T0));
	EXPECT_EQ_INT(e->fail_count, UINT32_MAX);
	EXPECT(lockout_is_locked(&p, e, T0));
	free(e);
}

/* Through the KDC. */
static void
test_as(void)
{
	struct db_policy p;
	struct db_entry *e = calloc(1, sizeof(*e));
	const char *etext = NULL;
	uint64_t txn;

	memset(&p, 0, sizeof(p));
	p.name = "lock3";
	p.pw_max_fail = 3;
	p.pw_failcnt_interval = 300;
	p.pw_lockout_duration = 600;
	policy_put(&p);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "erin", "erin-Pa55", DB_ATTR_REQUIRES_PREAUTH), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "nopol", "nopol-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	entry_update("erin", "lock3", false);
	kdc_fixture_set_time(T0);

	/* the common case writes nothing: a success with no count, the
	 * PREAUTH_REQUIRED round, a failure without a lockout policy */
	txn = db_last_txnid(fx.db);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	EXPECT_EQ_INT(as("erin", NULL, NULL), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT_EQ_INT(as("nopol", "wrong", &etext), KDC_ERR_PREAUTH_FAILED);
	EXPECT(etext != NULL && strcmp(etext, "PA-ENC-TIMESTAMP does not decrypt") == 0);
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn);
	entry_get("nopol", e);
	EXPECT_EQ_INT(e->fail_count, 0);

	/* three wrong passwords: one write each, the third locks */
	EXPECT_EQ_INT(as("erin", "wrong-1", &etext), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn + 1);
	kdc_fixture_set_time(T0 + 10);
	EXPECT_EQ_INT(as("erin", "wrong-2", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "wrong-3", &etext), KDC_ERR_PREAUTH_FAILED);
	EXPECT(etext != NULL &&
	       strcmp(etext, "PA-ENC-TIMESTAMP does not decrypt; client now locked out") == 0);
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn + 3);
	entry_get("erin", e);
	EXPECT_EQ_INT(e->fail_count, 3);
	EXPECT_EQ_INT(e->last_failed, T0 + 10);
	/* locked: the right password too, and the first round; no writes */
	EXPECT_EQ_INT(as("erin", "erin-Pa55", &etext), KDC_ERR_CLIENT_REVOKED);
	EXPECT(etext != NULL &&
	       strcmp(etext, "client is locked out (too many failed pre-authentications)") == 0);
	EXPECT_EQ_INT(as("erin", NULL, NULL), KDC_ERR_CLIENT_REVOKED);
	EXPECT_EQ_INT(as("erin", "wrong-4", NULL), KDC_ERR_CLIENT_REVOKED);
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn + 3);
	/* still locked one second before the end, open at the end */
	kdc_fixture_set_time(T0 + 609);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), KDC_ERR_CLIENT_REVOKED);
	kdc_fixture_set_time(T0 + 610);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	/* that success reset the count (one write) and recorded itself */
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn + 4);
	entry_get("erin", e);
	EXPECT_EQ_INT(e->fail_count, 0);
	EXPECT_EQ_INT(e->last_success, T0 + 610);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	EXPECT_EQ_INT(db_last_txnid(fx.db), txn + 4);

	/* the right password with a timestamp out of the clock skew is not
	 * a failed guess: not counted */
	{
		uint8_t *req = NULL;
		size_t len = 0, n;
		uint64_t before = db_last_txnid(fx.db);
		as_req("erin", "erin-Pa55", &req, &len);
		kdc_fixture_set_time(T0 + 610 + 3600);
		n = send_req(fx.ctx, req, len, rep, sizeof(rep));
		EXPECT_EQ_INT(reply_code(rep, n, NULL), KRB_AP_ERR_SKEW);
		EXPECT_EQ_INT(db_last_txnid(fx.db), before);
	}
	EXPECT_EQ_INT(as("erin", "wrong-5", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "wrong-6", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "wrong-7", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), KDC_ERR_CLIENT_REVOKED);
	/* an administrator's unlock opens at once */
	entry_update("erin", NULL, true);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	/* lockout_duration 0: no end but the unlock */
	p.pw_lockout_duration = 0;
	policy_put(&p);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ_INT(as("erin", "wrong", NULL), KDC_ERR_PREAUTH_FAILED);
	kdc_fixture_set_time(T0 + 10 * 365 * 86400);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), KDC_ERR_CLIENT_REVOKED);
	entry_update("erin", NULL, true);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	/* a policy without max_fail (or a missing one) locks nobody */
	p.pw_max_fail = 0;
	policy_put(&p);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ_INT(as("erin", "wrong", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	entry_update("erin", "gone", false);
	for (int i = 0; i < 5; i++)
		EXPECT_EQ_INT(as("erin", "wrong", NULL), KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("erin", "erin-Pa55", NULL), 0);
	free(e);
}

/* Two workers, each with its own context (db reader), failing at once:
 * the count is the sum, not less (no lost update). */
#define FLOOD 40

struct flood {
	struct kdc_ctx *ctx;
	uint8_t *reqs[FLOOD];
	size_t lens[FLOOD];
	int failed;
	uint8_t out[1 << 14];
};

static void *
flood_run(void *arg)
{
	struct flood *fl = arg;

	for (int i = 0; i < FLOOD; i++) {
		size_t n = send_req(fl->ctx, fl->reqs[i], fl->lens[i], fl->out, sizeof(fl->out));
		if (n > 0 && der_peek_application_tag(fl->out, n) == KRB5_MSG_ERROR)
			fl->failed++;
	}
	return NULL;
}

static void
test_parallel(void)
{
	struct db_policy p;
	struct db_entry *e = calloc(1, sizeof(*e));
	struct flood *fl = calloc(2, sizeof(*fl));
	pthread_t th[2];
	char pw[32];

	memset(&p, 0, sizeof(p));
	p.name = "lock1000";
	p.pw_max_fail = 1000;
	policy_put(&p);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "frank", "frank-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	entry_update("frank", "lock1000", false);
	kdc_fixture_set_time(T0 + 20 * 365 * 86400);
	/* the requests are built first: the fixture's builders are not
	 * thread-safe, kdc_handle on separate contexts is */
	for (int t = 0; t < 2; t++) {
		EXPECT_EQ_INT(t == 0 ? ORTH_OK : kdc_ctx_new(&fx.sh, &fl[t].ctx), ORTH_OK);
		if (t == 0)
			fl[t].ctx = fx.ctx;
		for (int i = 0; i < FLOOD; i++) {
			snprintf(pw, sizeof(pw), "wrong-%d-%d", t, i);
			as_req("frank", pw, &fl[t].reqs[i], &fl[t].lens[i]);
		}
	}
	for (int t = 0; t < 2; t++)
		EXPECT_EQ_INT(pthread_create(&th[t], NULL, flood_run, &fl[t]), 0);
	for (int t = 0; t < 2; t++)
		pthread_join(th[t], NULL);
	EXPECT_EQ_INT(fl[0].failed, FLOOD);
	EXPECT_EQ_INT(fl[1].failed, FLOOD);
	entry_get("frank", e);
	EXPECT_EQ_INT(e->fail_count, 2 * FLOOD);
	kdc_ctx_free(fl[1].ctx);
	free(fl);
	free(e);
}

int
main(void)
{
	if (kdc_fixture_open(&fx, REALM, T0) != ORTH_OK || arena_init(&A, 1u << 24) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	test_state_machine();
	test_as();
	test_parallel();
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_lockout");
}
