/*
 * account.c - new key sets and password changes.  See account.h.
 */
#include "account.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "lockout.h"

orth_err
account_keyset_make(struct db *db, const struct principal *p, const char *password,
		    size_t password_len, const int32_t *ets, size_t n, uint32_t kvno,
		    struct arena *a, struct db_keyset *ks)
{
	orth_err ret = ORTH_OK;
	uint8_t *salt;
	size_t salt_len;
	struct crypto_key *k = NULL;
	char name[PRINCIPAL_MAX_TEXT + 1];

	memset(ks, 0, sizeof(*ks));
	ks->kvno = kvno;
	/* the record's name: each key is sealed bound to it (db.h) */
	TRY(principal_unparse(p, name, sizeof(name), NULL));
	TRY(principal_salt(p, a, &salt, &salt_len));
	for (size_t i = 0; i < n && i < DB_MAX_KEYS; i++) {
		if (password != NULL)
			TRY(crypto_string_to_key(ets[i], password, password_len, salt, salt_len,
						 NULL, 0, &k));
		else
			TRY(crypto_key_random(ets[i], &k));
		TRY(db_key_seal(db, name, kvno, k, DB_SALT_NORMAL, salt, salt_len, NULL, 0, a,
				&ks->keys[ks->nkeys]));
		ks->nkeys++;
		crypto_key_free(k);
		k = NULL;
	}
cleanup:
	crypto_key_free(k);
	return ret;
}

static void
why_set(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
why_set(char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || why_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
}

size_t
account_password_chars(const char *pw, size_t len)
{
	size_t n = 0;

	/* every byte but a UTF-8 continuation byte starts a character */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			n++;
	return n;
}

unsigned
account_password_classes(const char *pw, size_t len)
{
	bool lower = false, upper = false, digit = false, punct = false, other = false;

	/* ASCII ranges, not <ctype.h>: the answer must not depend on a locale */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];
		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else if (c > ' ' && c < 0x7f)
			punct = true;
		else
			other = true;
	}
	return (unsigned)lower + upper + digit + punct + other;
}

/* ASCII case-insensitive equality of a password and a name component. */
static bool
same_ignoring_case(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

orth_err
account_password_quality(const struct db_policy *pol, const struct principal *p,
			 const char *pw, size_t len, char *why, size_t why_len)
{
	size_t chars;
	unsigned classes;

	if (len == 0 || len > ACCOUNT_MAX_PASSWORD) {
		why_set(why, why_len, "password must be 1 to %u bytes long",
			(unsigned)ACCOUNT_MAX_PASSWORD);
		return ORTH_E_RANGE;
	}
	if (pol == NULL)
		return ORTH_OK;
	chars = account_password_chars(pw, len);
	if (chars < pol->pw_min_length) {
		why_set(why, why_len, "password too short: minimum %u characters",
			(unsigned)pol->pw_min_length);
		return ORTH_E_POLICY;
	}
	classes = account_password_classes(pw, len);
	if (classes < pol->pw_min_classes) {
		why_set(why, why_len,
			"password too simple: characters of at least %u classes needed (lower case, "
			"upper case, digits, punctuation, other), it has %u",
			(unsigned)pol->pw_min_classes, classes);
		return ORTH_E_POLICY;
	}
	for (size_t i = 0; p != NULL && i < p->ncomp; i++)
		if (same_ignoring_case(pw, len, p->comp[i].data, p->comp[i].len)) {
			why_set(why, why_len, "password may not be the principal's name");
			return ORTH_E_POLICY;
		}
	return ORTH_OK;
}

static void
time_text(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "%lld", (long long)t);
}

orth_err
account_min_life_check(const struct db_policy *pol, const struct db_entry *e, int64_t now,
		       char *why, size_t why_len)
{
	int64_t next;
	char when[64];

	if (pol == NULL || pol->pw_min_life <= 0 || e->last_pw_change == 0)
		return ORTH_OK;
	/* A password that must be changed, or can no longer be used, may be
	 * changed at once (MIT exempts REQUIRES_PWCHANGE). */
	if ((e->attributes & DB_ATTR_REQUIRES_PWCHANGE) ||
	    (e->pw_expire != 0 && e->pw_expire <= now))
		return ORTH_OK;
	if (e->last_pw_change > INT64_MAX - pol->pw_min_life)
		next = INT64_MAX;
	else
		next = e->last_pw_change + pol->pw_min_life;
	if (now >= next)
		return ORTH_OK;
	time_text(next, when, sizeof(when));
	why_set(why, why_len, "password changed too recently: it can be changed again after %s",
		when);
	return ORTH_E_POLICY;
}

int64_t
account_pw_expire(const struct db_policy *pol, int64_t now)
{
	if (pol == NULL || pol->pw_max_life <= 0)
		return 0;
	if (now > INT64_MAX - pol->pw_max_life)
		return INT64_MAX;
	return now + pol->pw_max_life;
}

orth_err
account_enctypes_check(const struct db_policy *pol, const int32_t *ets, size_t n, char *why,
		       size_t why_len)
{
	if (pol == NULL || pol->n_allowed == 0)
		return ORTH_OK;
	for (size_t i = 0; i < n; i++) {
		bool ok = false;
		for (size_t j = 0; j < pol->n_allowed && !ok; j++)
			ok = pol->allowed_enctypes[j] == ets[i];
		if (!ok) {
			const char *name = crypto_enctype_name(ets[i]);
			if (name != NULL)
				why_set(why, why_len, "enctype %s not allowed by policy %s", name,
					pol->name);
			else
				why_set(why, why_len, "enctype %d not allowed by policy %s",
					(int)ets[i], pol->name);
			return ORTH_E_POLICY;
		}
	}
	return ORTH_OK;
}

/*
 * Is pw the password k was made from?  *last caches the previous
 * string-to-key (for last_k's enctype, salt and parameters): history keys
 * usually share them, and each string-to-key costs thousands of PBKDF2
 * rounds.
 */
static orth_err
history_match(struct db *db, const char *name, const struct db_key *k, const char *pw,
	      size_t len, struct crypto_key **last, const struct db_key **last_k, bool *match)
{
	orth_err ret = ORTH_OK;
	struct crypto_key *old = NULL;
	const uint8_t *a, *b;
	size_t alen, blen;

	*match = false;
	if (!crypto_enctype_supported(k->enctype))
		return ORTH_OK; /* cannot be compared: no evidence of reuse */
	if (*last == NULL || (*last_k)->enctype != k->enctype ||
	    (*last_k)->salt_len != k->salt_len ||
	    (k->salt_len > 0 && memcmp((*last_k)->salt, k->salt, k->salt_len) != 0) ||
	    (*last_k)->s2kparams_len != k->s2kparams_len ||
	    (k->s2kparams_len > 0 &&
	     memcmp((*last_k)->s2kparams, k->s2kparams, k->s2kparams_len) != 0)) {
		crypto_key_free(*last);
		*last = NULL;
		TRY(crypto_string_to_key(k->enctype, pw, len, k->salt, k->salt_len, k->s2kparams,
					 k->s2kparams_len, last));
		*last_k = k;
	}
	TRY(db_key_unseal(db, name, k, &old));
	a = crypto_key_bytes(*last, &alen);
	b = crypto_key_bytes(old, &blen);
	*match = alen == blen && crypto_ct_equal(a, b, alen);
cleanup:
	crypto_key_free(old);
	return ret;
}

orth_err
account_history_check(struct db *db, const struct db_policy *pol, const struct db_entry *e,
		      const char *pw, size_t len, char *why, size_t why_len)
{
	orth_err ret = ORTH_OK;
	struct crypto_key *last = NULL;
	const struct db_key *last_k = NULL;
	size_t older;
	bool match = false;

	if (pol == NULL)
		return ORTH_OK;
	/* the current password: one key of the current key set suffices */
	if (e->nkeysets > 0 && e->keysets[0].nkeys > 0)
		TRY(history_match(db, e->name, &e->keysets[0].keys[0], pw, len, &last, &last_k,
				  &match));
	older = pol->pw_history_num > 1 ? pol->pw_history_num - 1 : 0;
	for (size_t i = 0; !match && i < e->nhist && i < older; i++)
		TRY(history_match(db, e->name, &e->hist[i], pw, len, &last, &last_k, &match));
	if (match) {
		if (pol->pw_history_num > 1)
			why_set(why, why_len,
				"password used before: it must differ from the last %u passwords",
				(unsigned)pol->pw_history_num);
		else
			why_set(why, why_len, "password used before: it must differ from the current one");
		ret = ORTH_E_POLICY;
	}
cleanup:
	crypto_key_free(last);
	return ret;
}

void
account_history_push(const struct db_policy *pol, struct db_entry *e)
{
	size_t keep;

	if (pol == NULL || pol->pw_history_num <= 1) {
		/* no history under this policy: keep no old keys either */
		if (pol != NULL)
			e->nhist = 0;
		return;
	}
	keep = pol->pw_history_num - 1;
	if (keep > DB_MAX_HISTORY)
		keep = DB_MAX_HISTORY;
	if (e->nkeysets == 0 || e->keysets[0].nkeys == 0) {
		if (e->nhist > keep)
			e->nhist = keep;
		return;
	}
	if (e->nhist > keep - 1)
		e->nhist = keep - 1;
	memmove(&e->hist[1], &e->hist[0], e->nhist * sizeof(e->hist[0]));
	e->hist[0] = e->keysets[0].keys[0];
	e->nhist++;
}

/* The enctypes of the new keys: asked for (and allowed), else the
 * policy's, else the current ones, else the realm's. */
static orth_err
change_enctypes(const struct kdc_config_realm *realm, const struct db_policy *pol,
		const struct account_pw_change *rq, const struct db_entry *e, int32_t *ets,
		size_t *n_out, char *why, size_t why_len)
{
	size_t n = 0;

	if (rq->enctypes != NULL) {
		for (; n < rq->n_enctypes && n < DB_MAX_KEYS; n++)
			ets[n] = rq->enctypes[n];
	} else if (pol != NULL && pol->n_allowed > 0) {
		for (; n < pol->n_allowed && n < DB_MAX_KEYS; n++)
			ets[n] = pol->allowed_enctypes[n];
	} else {
		for (size_t i = 0; e->nkeysets > 0 && i < e->keysets[0].nkeys; i++)
			ets[n++] = e->keysets[0].keys[i].enctype;
		for (size_t i = 0; n == 0 && i < realm->n_enctypes && i < DB_MAX_KEYS; i++)
			ets[i] = realm->supported_enctypes[i];
		if (n == 0)
			n = realm->n_enctypes < DB_MAX_KEYS ? realm->n_enctypes : DB_MAX_KEYS;
	}
	*n_out = n;
	return account_enctypes_check(pol, ets, n, why, why_len);
}

static unsigned
keep_count(const struct kdc_config_realm *realm, enum account_keep keep)
{
	switch (keep) {
	case ACCOUNT_KEEP_ALL: return DB_MAX_KEYSETS - 1;
	case ACCOUNT_KEEP_NONE: return 0;
	default: return realm->keep_old_keys;
	}
}

orth_err
account_password_change(struct db *db, const struct kdc_config_realm *realm,
			const struct account_pw_change *rq, uint32_t *kvno_out, char *why,
			size_t why_len)
{
	orth_err ret = ORTH_OK;
	struct arena a = {0};
	struct db_txn *t = NULL;
	struct db_entry e;
	struct db_policy polbuf, *pol = NULL;
	struct db_keyset ks;
	struct principal p;
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	uint32_t kvno;

	if (why_len > 0)
		why[0] = '\0';
	if (rq->password_len == 0 || rq->password_len > ACCOUNT_MAX_PASSWORD)
		return account_password_quality(NULL, NULL, rq->password, rq->password_len, why,
						why_len);
	TRY(arena_init(&a, 4 * DB_MAX_RECORD));
	TRY(principal_parse(rq->name, realm->name, &a, &p));
	TRY(db_txn_begin(db, &t));
	TRY(db_txn_get(t, rq->name, &a, &e));
	if (e.policy[0] != '\0') {
		ret = db_txn_policy_get(t, e.policy, &a, &polbuf);
		CHECK(ret == ORTH_OK || ret == ORTH_E_NOTFOUND, ret);
		pol = ret == ORTH_OK ? &polbuf : NULL;
		ret = ORTH_OK;
	}
	/* MIT's order: minimum life, quality, history. */
	if (!rq->admin)
		TRY(account_min_life_check(pol, &e, rq->now, why, why_len));
	TRY(account_password_quality(pol, &p, rq->password, rq->password_len, why, why_len));
	TRY(change_enctypes(realm, pol, rq, &e, ets, &nets, why, why_len));
	TRY(account_history_check(db, pol, &e, rq->password, rq->password_len, why, why_len));
	account_history_push(pol, &e);
	kvno = e.nkeysets > 0 ? e.keysets[0].kvno + 1 : 1;
	TRY(account_keyset_make(db, &p, rq->password, rq->password_len, ets, nets, kvno, &a,
				&ks));
	TRY(db_entry_add_keyset(&e, &ks, keep_count(realm, rq->keep)));
	e.last_pw_change = rq->now;
	e.pw_expire = account_pw_expire(pol, rq->now);
	e.attributes &= ~(uint32_t)DB_ATTR_REQUIRES_PWCHANGE;
	(void)lockout_unlock(&e);
	e.mod_time = rq->now;
	e.mod_by = rq->by != NULL ? rq->by : rq->name;
	TRY(db_txn_put(t, &e, DB_PUT_REPLACE));
	ret = db_txn_commit(t);
	t = NULL;
	if (ret == ORTH_OK && kvno_out != NULL)
		*kvno_out = kvno;
cleanup:
	if (ret != ORTH_OK && ret != ORTH_E_POLICY && ret != ORTH_E_RANGE && why_len > 0)
		why[0] = '\0';
	db_txn_abort(t);
	arena_free(&a);
	return ret;
}
