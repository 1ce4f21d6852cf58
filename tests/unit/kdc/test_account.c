/*
 * test_account.c - password policies (src/kdc/account.h): the rules one by
 * one (length in characters, classes, the principal's name, minimum life,
 * expiry, enctypes, history), the exact reasons a user sees, and
 * account_password_change() - what kpasswd and `orthrus admin
 * set-password` call - over a real database (the fixture's), also from two
 * threads at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc/account.h"
#include "kdc_fixture.h"
#include "proto/principal.h"

#define REALM "TEST.REALM"
#define T0 ((int64_t)1800000000)

static struct kdc_fixture fx;
static struct arena A;

static struct db_policy
policy(const char *name)
{
	struct db_policy p;

	memset(&p, 0, sizeof(p));
	p.name = name;
	return p;
}

static void
policy_put(const struct db_policy *p)
{
	struct db_txn *t = NULL;

	EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, p, DB_PUT_ANY), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
}

/* name@REALM's stored entry into *e (memory from A). */
static void
entry_get(const char *name, struct db_entry *e)
{
	char full[256];

	snprintf(full, sizeof(full), "%s@" REALM, name);
	EXPECT_EQ_INT(db_principal_get(fx.db, full, &A, e), ORTH_OK);
}

/* Give name a policy, attributes and a last password change. */
static void
entry_set(const char *name, const char *pol, uint32_t attrs, int64_t last_pw_change)
{
	struct db_txn *t = NULL;
	struct db_entry *e = arena_alloc(&A, sizeof(*e));
	char full[256];

	snprintf(full, sizeof(full), "%s@" REALM, name);
	EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_get(t, full, &A, e), ORTH_OK);
	e->policy = pol;
	e->attributes = attrs;
	e->last_pw_change = last_pw_change;
	EXPECT_EQ_INT(db_txn_put(t, e, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
}

/* account_password_change of name to pw at now; why into why (256). */
static orth_err
change(const char *name, const char *pw, int64_t now, bool admin, char *why)
{
	struct account_pw_change rq;
	char full[256];
	uint32_t kvno = 0;

	snprintf(full, sizeof(full), "%s@" REALM, name);
	memset(&rq, 0, sizeof(rq));
	rq.name = full;
	rq.password = pw;
	rq.password_len = strlen(pw);
	rq.now = now;
	rq.admin = admin;
	return account_password_change(fx.db, &fx.realm, &rq, &kvno, why, ACCOUNT_WHY_MAX);
}

/* Does name's current key for enctype come from pw? */
static bool
key_is(const char *name, const char *pw, int32_t et)
{
	struct db_entry *e = arena_alloc(&A, sizeof(*e));
	struct crypto_key *want = NULL, *have = NULL;
	const uint8_t *a, *b;
	size_t al = 0, bl = 0;
	bool same;

	entry_get(name, e);
	if (kdc_fixture_client_key(&fx, &A, name, pw, et, &want) != ORTH_OK ||
	    db_entry_key(fx.db, e, et, e->keysets[0].kvno, &have, NULL, NULL) != ORTH_OK) {
		crypto_key_free(want);
		return false;
	}
	a = crypto_key_bytes(want, &al);
	b = crypto_key_bytes(have, &bl);
	same = al == bl && memcmp(a, b, al) == 0;
	crypto_key_free(want);
	crypto_key_free(have);
	return same;
}

static void
test_counting(void)
{
	EXPECT_EQ_INT(account_password_chars("", 0), 0);
	EXPECT_EQ_INT(account_password_chars("abc", 3), 3);
	/* "héllo": 6 bytes, 5 characters; "日本": 6 bytes, 2 */
	EXPECT_EQ_INT(account_password_chars("h\xc3\xa9llo", 6), 5);
	EXPECT_EQ_INT(account_password_chars("\xe6\x97\xa5\xe6\x9c\xac", 6), 2);
	/* stray continuation bytes: not characters, a lone lead byte is */
	EXPECT_EQ_INT(account_password_chars("\x80\x80\xc3", 3), 1);

	EXPECT_EQ_INT(account_password_classes("abc", 3), 1);
	EXPECT_EQ_INT(account_password_classes("ABC", 3), 1);
	EXPECT_EQ_INT(account_password_classes("aB", 2), 2);
	EXPECT_EQ_INT(account_password_classes("aB1", 3), 3);
	EXPECT_EQ_INT(account_password_classes("aB1!", 4), 4);
	EXPECT_EQ_INT(account_password_classes("aB1! ", 5), 5);
	EXPECT_EQ_INT(account_password_classes("\xc3\xa9", 2), 1); /* non-ASCII: other */
	EXPECT_EQ_INT(account_password_classes("~{|}", 4), 1);     /* punctuation */
	EXPECT_EQ_INT(account_password_classes("\t", 1), 1);       /* control: other */
}

static void
test_quality(void)
{
	struct db_policy p = policy("q");
	struct principal alice, svc;
	char why[ACCOUNT_WHY_MAX], big[ACCOUNT_MAX_PASSWORD + 1];

	EXPECT_EQ_INT(principal_parse("alice@" REALM, NULL, &A, &alice), ORTH_OK);
	EXPECT_EQ_INT(principal_parse("host/svc.example@" REALM, NULL, &A, &svc), ORTH_OK);
	memset(big, 'x', sizeof(big));

	/* no policy: only the length limits */
	EXPECT_EQ_INT(account_password_quality(NULL, &alice, "a", 1, why, sizeof(why)), ORTH_OK);
	EXPECT_EQ_INT(account_password_quality(NULL, &alice, "alice", 5, why, sizeof(why)),
		      ORTH_OK);
	EXPECT_EQ_INT(account_password_quality(NULL, &alice, "", 0, why, sizeof(why)),
		      ORTH_E_RANGE);
	EXPECT(strcmp(why, "password must be 1 to 1024 bytes long") == 0);
	EXPECT_EQ_INT(account_password_quality(&p, &alice, big, sizeof(big), why, sizeof(why)),
		      ORTH_E_RANGE);
	EXPECT_EQ_INT(account_password_quality(&p, &alice, big, sizeof(big) - 1, why, sizeof(why)),
		      ORTH_OK);

	/* minimum length, in characters */
	p.pw_min_length = 12;
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "short-Pw1", 9, why, sizeof(why)),
		      ORTH_E_POLICY);
	EXPECT(strcmp(why, "password too short: minimum 12 characters") == 0);
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "twelve-chars", 12, why, sizeof(why)),
		      ORTH_OK);
	/* 11 two-byte characters are 22 bytes but still too short */
	EXPECT_EQ_INT(account_password_quality(&p, &alice,
					       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
					       22, why, sizeof(why)),
		      ORTH_E_POLICY);
	/* minimum classes */
	p.pw_min_length = 0;
	p.pw_min_classes = 3;
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "onlylowercase", 13, why, sizeof(why)),
		      ORTH_E_POLICY);
	EXPECT(strcmp(why, "password too simple: characters of at least 3 classes needed "
			   "(lower case, upper case, digits, punctuation, other), it has 1") == 0);
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "Lower1case", 10, why, sizeof(why)),
		      ORTH_OK);
	/* the principal's name, any component, case ignored */
	p.pw_min_classes = 0;
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "ALICE", 5, why, sizeof(why)),
		      ORTH_E_POLICY);
	EXPECT(strcmp(why, "password may not be the principal's name") == 0);
	EXPECT_EQ_INT(account_password_quality(&p, &svc, "SVC.example", 11, why, sizeof(why)),
		      ORTH_E_POLICY);
	EXPECT_EQ_INT(account_password_quality(&p, &svc, "host", 4, why, sizeof(why)),
		      ORTH_E_POLICY);
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "alice2", 6, why, sizeof(why)),
		      ORTH_OK);
	/* a small why buffer is still NUL-terminated */
	p.pw_min_length = 12;
	EXPECT_EQ_INT(account_password_quality(&p, &alice, "x", 1, why, 8), ORTH_E_POLICY);
	EXPECT(strcmp(why, "passwor") == 0);
}

static void
test_min_life_expiry_enctypes(void)
{
	struct db_policy p = policy("life");
	struct db_entry *e = calloc(1, sizeof(*e));
	char why[ACCOUNT_WHY_MAX];
	int32_t ets[] = {18, 17};

	e->last_pw_change = T0;
	EXPECT_EQ_INT(account_min_life_check(NULL, e, T0 + 1, why, sizeof(why)), ORTH_OK);
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 1, why, sizeof(why)), ORTH_OK);
	p.pw_min_life = 3600;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 3599, why, sizeof(why)), ORTH_E_POLICY);
	/* T0 + 3600 = 2027-01-15T09:00:00Z */
	EXPECT(strcmp(why, "password changed too recently: it can be changed again after "
			   "2027-01-15T09:00:00Z") == 0);
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 3600, why, sizeof(why)), ORTH_OK);
	/* a password that must be changed, or has expired, may be at once */
	e->attributes = DB_ATTR_REQUIRES_PWCHANGE;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 1, why, sizeof(why)), ORTH_OK);
	e->attributes = 0;
	e->pw_expire = T0 + 1;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 1, why, sizeof(why)), ORTH_OK);
	e->pw_expire = T0 + 2;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0 + 1, why, sizeof(why)), ORTH_E_POLICY);
	/* never changed: no minimum life; no overflow near the end of time */
	e->last_pw_change = 0;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0, why, sizeof(why)), ORTH_OK);
	e->last_pw_change = INT64_MAX - 10;
	EXPECT_EQ_INT(account_min_life_check(&p, e, T0, why, sizeof(why)), ORTH_E_POLICY);

	EXPECT_EQ_INT(account_pw_expire(NULL, T0), 0);
	EXPECT_EQ_INT(account_pw_expire(&p, T0), 0);
	p.pw_max_life = 90 * 86400;
	EXPECT_EQ_INT(account_pw_expire(&p, T0), T0 + 90 * 86400);
	EXPECT_EQ_INT(account_pw_expire(&p, INT64_MAX - 5), INT64_MAX);

	EXPECT_EQ_INT(account_enctypes_check(NULL, ets, 2, why, sizeof(why)), ORTH_OK);
	EXPECT_EQ_INT(account_enctypes_check(&p, ets, 2, why, sizeof(why)), ORTH_OK);
	p.n_allowed = 1;
	p.allowed_enctypes[0] = 18;
	EXPECT_EQ_INT(account_enctypes_check(&p, ets, 1, why, sizeof(why)), ORTH_OK);
	EXPECT_EQ_INT(account_enctypes_check(&p, ets, 2, why, sizeof(why)), ORTH_E_POLICY);
	EXPECT(strcmp(why, "enctype aes128-cts-hmac-sha1-96 not allowed by policy life") == 0);
	free(e);
}

/* The change itself, through the database. */
static void
test_change(void)
{
	struct db_policy p = policy("strict");
	struct db_entry *e = calloc(1, sizeof(*e));
	char why[ACCOUNT_WHY_MAX];
	int64_t now = T0;

	p.pw_min_length = 10;
	p.pw_min_classes = 2;
	p.pw_history_num = 3;
	p.pw_min_life = 3600;
	p.pw_max_life = 30 * 86400;
	p.pw_max_fail = 3;
	policy_put(&p);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "carol", "Carol-Pass-0", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	entry_set("carol", "strict", DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_REQUIRES_PWCHANGE,
		  now - 60);

	/* refused: the reason is the policy's, nothing is written */
	EXPECT_EQ_INT(change("carol", "short", now, false, why), ORTH_E_POLICY);
	EXPECT(strcmp(why, "password too short: minimum 10 characters") == 0);
	EXPECT_EQ_INT(change("carol", "", now, false, why), ORTH_E_RANGE);
	EXPECT(strcmp(why, "password must be 1 to 1024 bytes long") == 0);
	EXPECT_EQ_INT(change("carol", "alllowercase", now, false, why), ORTH_E_POLICY);
	EXPECT(strstr(why, "password too simple") == why);
	/* the current password, though REQUIRES_PWCHANGE lifts the minimum
	 * life */
	EXPECT_EQ_INT(change("carol", "Carol-Pass-0", now, false, why), ORTH_E_POLICY);
	EXPECT(strcmp(why, "password used before: it must differ from the last 3 passwords") == 0);
	EXPECT(key_is("carol", "Carol-Pass-0", 18));

	/* accepted: new keys, expiry from the policy, REQUIRES_PWCHANGE gone,
	 * the count reset, the old key remembered */
	{
		struct db_txn *t = NULL;
		EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
		EXPECT_EQ_INT(db_txn_get(t, "carol@" REALM, &A, e), ORTH_OK);
		e->fail_count = 2;
		e->last_failed = now - 5;
		EXPECT_EQ_INT(db_txn_put(t, e, DB_PUT_REPLACE), ORTH_OK);
		EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	}
	EXPECT_EQ_INT(change("carol", "Carol-Pass-1", now, false, why), ORTH_OK);
	EXPECT(strcmp(why, "") == 0);
	entry_get("carol", e);
	EXPECT_EQ_INT(e->keysets[0].kvno, 2);
	EXPECT_EQ_INT(e->last_pw_change, now);
	EXPECT_EQ_INT(e->pw_expire, now + 30 * 86400);
	EXPECT_EQ_INT(e->attributes, DB_ATTR_REQUIRES_PREAUTH);
	EXPECT_EQ_INT(e->fail_count, 0);
	EXPECT_EQ_INT(e->last_failed, now - 5);
	EXPECT_EQ_INT(e->nhist, 1);
	EXPECT(strcmp(e->mod_by, "carol@" REALM) == 0);
	EXPECT(key_is("carol", "Carol-Pass-1", 18) && key_is("carol", "Carol-Pass-1", 20));

	/* minimum life: the owner must wait, an administrator need not */
	EXPECT_EQ_INT(change("carol", "Carol-Pass-2", now + 10, false, why), ORTH_E_POLICY);
	EXPECT(strstr(why, "password changed too recently") == why);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-2", now + 10, true, why), ORTH_OK);
	now += 2 * 3600;
	/* history: the last three (current + two before) are refused */
	EXPECT_EQ_INT(change("carol", "Carol-Pass-2", now, false, why), ORTH_E_POLICY);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-1", now, false, why), ORTH_E_POLICY);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-0", now, false, why), ORTH_E_POLICY);
	EXPECT(strcmp(why, "password used before: it must differ from the last 3 passwords") == 0);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-3", now, true, why), ORTH_OK);
	entry_get("carol", e);
	EXPECT_EQ_INT(e->nhist, 2);
	/* Pass-0 is four passwords back now: allowed again */
	EXPECT_EQ_INT(change("carol", "Carol-Pass-1", now, true, why), ORTH_E_POLICY);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-0", now, true, why), ORTH_OK);
	EXPECT(key_is("carol", "Carol-Pass-0", 17));
	entry_get("carol", e);
	EXPECT_EQ_INT(e->nhist, 2);
	EXPECT_EQ_INT(e->keysets[0].kvno, 5);

	/* history 1 (or none): only the current password is refused, and no
	 * earlier keys are kept */
	p.pw_history_num = 1;
	p.pw_min_life = 0;
	policy_put(&p);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-0", now, false, why), ORTH_E_POLICY);
	EXPECT(strcmp(why, "password used before: it must differ from the current one") == 0);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-3", now, false, why), ORTH_OK);
	entry_get("carol", e);
	EXPECT_EQ_INT(e->nhist, 0);

	/* allowed enctypes: the default keys, and a refusal */
	p.n_allowed = 2;
	p.allowed_enctypes[0] = 20;
	p.allowed_enctypes[1] = 18;
	policy_put(&p);
	EXPECT_EQ_INT(change("carol", "Carol-Pass-4", now, false, why), ORTH_OK);
	entry_get("carol", e);
	EXPECT_EQ_INT(e->keysets[0].nkeys, 2);
	EXPECT_EQ_INT(e->keysets[0].keys[0].enctype, 20);
	{
		struct account_pw_change rq;
		int32_t et17 = 17;
		memset(&rq, 0, sizeof(rq));
		rq.name = "carol@" REALM;
		rq.password = "Carol-Pass-5";
		rq.password_len = 12;
		rq.now = now;
		rq.enctypes = &et17;
		rq.n_enctypes = 1;
		EXPECT_EQ_INT(account_password_change(fx.db, &fx.realm, &rq, NULL, why, sizeof(why)),
			      ORTH_E_POLICY);
		EXPECT(strcmp(why, "enctype aes128-cts-hmac-sha1-96 not allowed by policy strict") ==
		       0);
		/* and the key sets kept */
		rq.enctypes = NULL;
		rq.keep = ACCOUNT_KEEP_ALL;
		EXPECT_EQ_INT(account_password_change(fx.db, &fx.realm, &rq, NULL, why, sizeof(why)),
			      ORTH_OK);
		entry_get("carol", e);
		EXPECT(e->nkeysets >= 2);
		rq.password = "Carol-Pass-6";
		rq.keep = ACCOUNT_KEEP_NONE;
		EXPECT_EQ_INT(account_password_change(fx.db, &fx.realm, &rq, NULL, why, sizeof(why)),
			      ORTH_OK);
		entry_get("carol", e);
		EXPECT_EQ_INT(e->nkeysets, 1);
	}

	/* no policy: any password (even the same one), no expiry (MIT) */
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "dan", "dan", 0), ORTH_OK);
	entry_set("dan", "", 0, now - 5);
	EXPECT_EQ_INT(change("dan", "dan", now, false, why), ORTH_OK);
	EXPECT_EQ_INT(change("dan", "x", now, false, why), ORTH_OK);
	entry_get("dan", e);
	EXPECT_EQ_INT(e->pw_expire, 0);
	EXPECT_EQ_INT(e->nhist, 0);
	/* a policy name that does not exist: no policy */
	entry_set("dan", "gone", 0, now - 5);
	EXPECT_EQ_INT(change("dan", "y", now, false, why), ORTH_OK);
	/* no such principal */
	EXPECT_EQ_INT(change("nobody", "Whatever-123", now, true, why), ORTH_E_NOTFOUND);
	EXPECT(strcmp(why, "") == 0);
	free(e);
}

/* Two threads changing passwords at once (kpasswd's workers): every
 * change lands, keys seal and unseal correctly (ASan/UBSan watch). */
struct worker {
	const char *name;
	int ok;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	char why[ACCOUNT_WHY_MAX], pw[64], full[256];

	snprintf(full, sizeof(full), "%s@" REALM, w->name);
	for (int i = 0; i < 6; i++) {
		struct account_pw_change rq;
		memset(&rq, 0, sizeof(rq));
		snprintf(pw, sizeof(pw), "%s-Pass-%d", w->name, i);
		rq.name = full;
		rq.password = pw;
		rq.password_len = strlen(pw);
		rq.now = T0 + 100000 + i;
		rq.admin = true;
		if (account_password_change(fx.db, &fx.realm, &rq, NULL, why, sizeof(why)) == ORTH_OK)
			w->ok++;
	}
	return NULL;
}

static void
test_threads(void)
{
	struct db_policy p = policy("hist");
	struct worker w[2] = {{"t1", 0}, {"t2", 0}};
	pthread_t th[2];

	p.pw_history_num = 4;
	policy_put(&p);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ_INT(kdc_fixture_add(&fx, w[i].name, "start", 0), ORTH_OK);
		entry_set(w[i].name, "hist", 0, T0);
	}
	for (int i = 0; i < 2; i++)
		EXPECT_EQ_INT(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ_INT(w[0].ok, 6);
	EXPECT_EQ_INT(w[1].ok, 6);
	EXPECT(key_is("t1", "t1-Pass-5", 18));
	EXPECT(key_is("t2", "t2-Pass-5", 19));
	/* and the history each kept holds the right keys */
	{
		char why[ACCOUNT_WHY_MAX];
		EXPECT_EQ_INT(change("t1", "t1-Pass-3", T0 + 200000, true, why), ORTH_E_POLICY);
		EXPECT_EQ_INT(change("t2", "t2-Pass-1", T0 + 200000, true, why), ORTH_OK);
	}
}

int
main(void)
{
	if (kdc_fixture_open(&fx, REALM, T0) != ORTH_OK || arena_init(&A, 1u << 22) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	test_counting();
	test_quality();
	test_min_life_expiry_enctypes();
	test_change();
	test_threads();
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("account");
}
