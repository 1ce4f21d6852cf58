/*
 * account.h - a principal's password and keys as an account: new key sets
 * from a password or at random, and the password change that kpasswd and
 * `orthrus admin set-password` both perform.  One place decides what a
 * password change does to the stored entry, so that the protocol and the
 * admin tool cannot drift apart.
 */
#ifndef ORTHRUS_KDC_ACCOUNT_H
#define ORTHRUS_KDC_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/config.h"
#include "db/db.h"
#include "proto/principal.h"

#define ACCOUNT_MAX_PASSWORD 1024    /* bytes; longer ones are refused */

/*
 * A key set of kvno for p with one key per enctype of ets (at most
 * DB_MAX_KEYS): string-to-key of password with p's default salt (RFC 4120
 * §4), or random keys when password is NULL; sealed under db's master key
 * into a.  Errors from crypto and db_key_seal.
 */
orth_err account_keyset_make(struct db *db, const struct principal *p,
			     const char *password, size_t password_len,
			     const int32_t *ets, size_t n, uint32_t kvno,
			     struct arena *a, struct db_keyset *ks);

/* A password change: who, to what, and when. */
struct account_pw_change {
	const char *name;            /* the principal, canonical text form */
	const char *password;        /* the new password (not NUL-terminated) */
	size_t password_len;
	const char *by;              /* who asks (for mod_by); NULL: name */
	int64_t now;
	/* The enctypes of the new keys; NULL: those of the current key set,
	 * else the realm's supported_enctypes. */
	const int32_t *enctypes;
	size_t n_enctypes;
};

/*
 * Change rq->name's password in one write transaction: a new key set
 * (kvno + 1; older ones kept as the realm's keep_old_keys says),
 * last_pw_change = now.  *kvno_out (may be NULL): the new kvno.
 * Errors: ORTH_E_NOTFOUND (no such principal), ORTH_E_POLICY (refused:
 * why says why in a sentence for the user), ORTH_E_RANGE (empty or longer
 * than ACCOUNT_MAX_PASSWORD), db errors.  why (why_len bytes) is always
 * NUL-terminated; "" on success.
 */
orth_err account_password_change(struct db *db, const struct kdc_config_realm *realm,
				  const struct account_pw_change *rq, uint32_t *kvno_out,
				  char *why, size_t why_len);

#endif
