/*
 * account.h - a principal's password and keys as an account: new key sets
 * from a password or at random, the password policy (struct db_policy of
 * db.h: MIT's fields and rules), and the password change that kpasswd and
 * `orthrus admin set-password` both perform.  One place decides what a
 * password change does to the stored entry and which passwords a policy
 * refuses, so that the protocol and the admin tool cannot drift apart.
 *
 * The rules of a policy on a new password (MIT's kadm5 server does the
 * same, in this order):
 *   - minimum life: its owner may not change it again before
 *     last_pw_change + pw_min_life, unless it must be changed
 *     (REQUIRES_PWCHANGE) or has expired.  An administrator may (MIT
 *     applies the minimum life only to a principal changing its own
 *     password: kpasswd by the principal itself, kadmin's self-service);
 *   - quality: at least pw_min_length characters (UTF-8 code points; MIT
 *     counts bytes), characters of at least pw_min_classes of the five
 *     classes, and not one of the principal's name components (case
 *     ignored, MIT's "princ" quality check);
 *   - history: not the current password, nor one of the pw_history_num - 1
 *     before it.  Only a key of each is kept (db_entry.hist, sealed under
 *     the master key like every key), never the password: the new
 *     password's string-to-key with that key's enctype, salt and
 *     parameters is compared with it;
 *   - enctypes: the new keys only of allowed_enctypes (when set), which
 *     are also the default enctypes of the new keys.
 * Then: pw_expire = now + pw_max_life (0: never; also without a policy,
 * as MIT), REQUIRES_PWCHANGE cleared, the lockout count reset.
 * A principal naming a policy that does not exist is treated as having
 * none (MIT does the same; `orthrus admin verify` reports it).
 */
#ifndef ORTHRUS_KDC_ACCOUNT_H
#define ORTHRUS_KDC_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "db/db.h"
#include "kdc/kdc_config.h"
#include "proto/principal.h"

#define ACCOUNT_MAX_PASSWORD 1024    /* bytes; longer ones are refused */
#define ACCOUNT_WHY_MAX 256          /* a why buffer this big holds every reason */

/*
 * A key set of kvno for p with one key per enctype of ets (at most
 * DB_MAX_KEYS): string-to-key of password with p's default salt (RFC 4120
 * §4), or random keys when password is NULL; sealed under db's master key
 * into a.  Errors from crypto and db_key_seal.  Thread-safe.
 */
orth_err account_keyset_make(struct db *db, const struct principal *p,
			     const char *password, size_t password_len,
			     const int32_t *ets, size_t n, uint32_t kvno,
			     struct arena *a, struct db_keyset *ks);

/* ---- the rules, one at a time (pure but for the history) ---- */

/* The characters (UTF-8 code points; a stray byte counts one) of pw. */
size_t account_password_chars(const char *pw, size_t len);
/* How many of MIT's five classes pw uses: lower case, upper case, digits
 * (ASCII), punctuation (other printable ASCII), other (space, control
 * and non-ASCII). */
unsigned account_password_classes(const char *pw, size_t len);

/*
 * The quality rules of pol (NULL: none) for pw as p's password; also
 * refuses an empty or over-long one (ORTH_E_RANGE) with or without a
 * policy.  ORTH_E_POLICY with the reason in why, e.g. "password too
 * short: minimum 12 characters".
 */
orth_err account_password_quality(const struct db_policy *pol, const struct principal *p,
				  const char *pw, size_t len, char *why, size_t why_len);

/* The minimum life of pol for a change of e's password by its owner at
 * now: ORTH_E_POLICY ("password changed too recently: ..."). */
orth_err account_min_life_check(const struct db_policy *pol, const struct db_entry *e,
				int64_t now, char *why, size_t why_len);

/* The expiry of a password set at now under pol (NULL: none): 0 = never. */
int64_t account_pw_expire(const struct db_policy *pol, int64_t now);

/* Every one of ets[0..n) allowed by pol?  ORTH_E_POLICY ("enctype X not
 * allowed by policy P"). */
orth_err account_enctypes_check(const struct db_policy *pol, const int32_t *ets, size_t n,
				char *why, size_t why_len);

/*
 * Is pw e's current password or one of the last pol->pw_history_num - 1?
 * ORTH_E_POLICY ("password used before: ...") when it is; key unsealing
 * and string-to-key errors.  Nothing to check without a policy.
 */
orth_err account_history_check(struct db *db, const struct db_policy *pol,
			       const struct db_entry *e, const char *pw, size_t len,
			       char *why, size_t why_len);

/* Before e gets new keys: remember a key of its current password in
 * e->hist (pointers into e's own memory), keeping pw_history_num - 1. */
void account_history_push(const struct db_policy *pol, struct db_entry *e);

/* ---- the password change ---- */

/* Which older key sets a change keeps. */
enum account_keep {
	ACCOUNT_KEEP_REALM = 0,      /* the realm's keep_old_keys */
	ACCOUNT_KEEP_ALL,            /* as many as the record holds */
	ACCOUNT_KEEP_NONE,
};

/* A password change: who, to what, and when.  Zero what you do not set. */
struct account_pw_change {
	const char *name;            /* the principal, canonical text form */
	const char *password;        /* the new password (not NUL-terminated) */
	size_t password_len;
	const char *by;              /* who asks (for mod_by); NULL: name */
	int64_t now;
	/* The enctypes of the new keys; NULL: the policy's allowed ones,
	 * else those of the current key set, else the realm's
	 * supported_enctypes. */
	const int32_t *enctypes;
	size_t n_enctypes;
	/* Set by an administrator (the admin tool; kpasswd when the
	 * requester is not the target): the minimum life does not apply.
	 * false: the principal changes its own password. */
	bool admin;
	enum account_keep keep;
};

/*
 * Change rq->name's password in one write transaction, under the rules of
 * its policy (see above): a new key set (kvno + 1; older ones kept as
 * rq->keep says), last_pw_change = now, pw_expire from the policy,
 * REQUIRES_PWCHANGE cleared, lockout count reset.  *kvno_out (may be
 * NULL): the new kvno.  Thread-safe (kpasswd calls it from the KDC's
 * workers).
 * Errors: ORTH_E_NOTFOUND (no such principal), ORTH_E_POLICY (refused: why
 * says why in a sentence for the user), ORTH_E_RANGE (empty or longer
 * than ACCOUNT_MAX_PASSWORD; why says so too), db errors.  why (why_len
 * bytes, ACCOUNT_WHY_MAX is enough) is always NUL-terminated; "" on
 * success.
 */
orth_err account_password_change(struct db *db, const struct kdc_config_realm *realm,
				  const struct account_pw_change *rq, uint32_t *kvno_out,
				  char *why, size_t why_len);

#endif
