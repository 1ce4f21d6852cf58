/*
 * account.c - new key sets and password changes.  See account.h.
 */
#include "account.h"

#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"

orth_err
account_keyset_make(struct db *db, const struct principal *p, const char *password,
		    size_t password_len, const int32_t *ets, size_t n, uint32_t kvno,
		    struct arena *a, struct db_keyset *ks)
{
	orth_err ret = ORTH_OK;
	uint8_t *salt;
	size_t salt_len;
	struct crypto_key *k = NULL;

	memset(ks, 0, sizeof(*ks));
	ks->kvno = kvno;
	TRY(principal_salt(p, a, &salt, &salt_len));
	for (size_t i = 0; i < n && i < DB_MAX_KEYS; i++) {
		if (password != NULL)
			TRY(crypto_string_to_key(ets[i], password, password_len, salt, salt_len,
						 NULL, 0, &k));
		else
			TRY(crypto_key_random(ets[i], &k));
		TRY(db_key_seal(db, k, DB_SALT_NORMAL, salt, salt_len, NULL, 0, a,
				&ks->keys[ks->nkeys]));
		ks->nkeys++;
		crypto_key_free(k);
		k = NULL;
	}
cleanup:
	crypto_key_free(k);
	return ret;
}

/* The enctypes of the new keys: asked for, else the current ones, else
 * the realm's. */
static size_t
change_enctypes(const struct kdc_config_realm *realm, const struct account_pw_change *rq,
		const struct db_entry *e, int32_t *ets)
{
	size_t n = 0;

	if (rq->enctypes != NULL) {
		for (; n < rq->n_enctypes && n < DB_MAX_KEYS; n++)
			ets[n] = rq->enctypes[n];
		return n;
	}
	for (size_t i = 0; e->nkeysets > 0 && i < e->keysets[0].nkeys; i++)
		ets[n++] = e->keysets[0].keys[i].enctype;
	for (size_t i = 0; n == 0 && i < realm->n_enctypes && i < DB_MAX_KEYS; i++)
		ets[i] = realm->supported_enctypes[i];
	if (n == 0)
		n = realm->n_enctypes < DB_MAX_KEYS ? realm->n_enctypes : DB_MAX_KEYS;
	return n;
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
	struct db_keyset ks;
	struct principal p;
	int32_t ets[DB_MAX_KEYS];
	size_t nets;
	uint32_t kvno;

	if (why_len > 0)
		why[0] = '\0';
	if (rq->password_len == 0 || rq->password_len > ACCOUNT_MAX_PASSWORD) {
		if (why_len > 0)
			snprintf(why, why_len, "password must be 1 to %u bytes long",
				 (unsigned)ACCOUNT_MAX_PASSWORD);
		return ORTH_E_RANGE;
	}
	TRY(arena_init(&a, 64 * 1024));
	TRY(principal_parse(rq->name, realm->name, &a, &p));
	TRY(db_txn_begin(db, &t));
	TRY(db_txn_get(t, rq->name, &a, &e));
	kvno = e.nkeysets > 0 ? e.keysets[0].kvno + 1 : 1;
	nets = change_enctypes(realm, rq, &e, ets);
	TRY(account_keyset_make(db, &p, rq->password, rq->password_len, ets, nets, kvno, &a,
				&ks));
	TRY(db_entry_add_keyset(&e, &ks, realm->keep_old_keys));
	e.last_pw_change = rq->now;
	/* As MIT's kadm5_chpass_principal: the new password has not expired
	 * and need not be changed again (a policy's max life, when there is
	 * one, sets the next expiry). */
	e.pw_expire = 0;
	e.attributes &= ~(uint32_t)DB_ATTR_REQUIRES_PWCHANGE;
	e.mod_time = rq->now;
	e.mod_by = rq->by != NULL ? rq->by : rq->name;
	TRY(db_txn_put(t, &e, DB_PUT_REPLACE));
	ret = db_txn_commit(t);
	t = NULL;
	if (ret == ORTH_OK && kvno_out != NULL)
		*kvno_out = kvno;
cleanup:
	db_txn_abort(t);
	arena_free(&a);
	return ret;
}
