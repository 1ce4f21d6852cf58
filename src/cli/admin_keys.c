/*
 * admin_keys.c - `orthrus admin` on keys: set-password, the keys of randkey,
 * ktadd, ktremove, ktlist, and verify [--rebind] of the sealed keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/account.h"
#include "proto/principal.h"

#define CMD "admin"

int
admin_randkey_apply(struct admin *ad, const struct princ_opts *o, const struct principal *p,
		    const char *name, struct db_entry *e, const struct db_policy *pol,
		    int32_t *ets, size_t nets, orth_err *ret)
{
	struct db_keyset ks;
	char why[ACCOUNT_WHY_MAX] = "";
	uint32_t kvno = e->nkeysets ? e->keysets[0].kvno + 1 : 1;
	unsigned keep = ad->realm->keep_old_keys;

	if (o->keep_old)
		keep = DB_MAX_KEYSETS - 1;
	if (o->discard_old)
		keep = 0;
	if (nets == 0 && pol != NULL && pol->n_allowed > 0) {
		nets = pol->n_allowed;
		memcpy(ets, pol->allowed_enctypes, nets * sizeof(ets[0]));
	}
	if (nets == 0) {
		/* default: the enctypes the principal has now, else the realm's */
		for (size_t i = 0; e->nkeysets && i < e->keysets[0].nkeys; i++)
			ets[nets++] = e->keysets[0].keys[i].enctype;
		if (nets == 0) {
			nets = ad->realm->n_enctypes < DB_MAX_KEYS ? ad->realm->n_enctypes
								   : DB_MAX_KEYS;
			memcpy(ets, ad->realm->supported_enctypes, nets * sizeof(ets[0]));
		}
	}
	*ret = account_enctypes_check(pol, ets, nets, why, sizeof(why));
	if (*ret != ORTH_OK) {
		cli_error(CMD, "randkey %s: %s", name, why);
		return 1;
	}
	*ret = account_keyset_make(ad->db, p, NULL, 0, ets, nets, kvno, &ad->a, &ks);
	if (*ret == ORTH_OK)
		*ret = db_entry_add_keyset(e, &ks, keep);
	return 0;
}

/*
 * set-password: account_password_change() (kdc/account.h), the very
 * function kpasswd calls, as an administrator (the policy's minimum life
 * does not apply; its other rules do).
 */
int
admin_set_password(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8], pw[ADMIN_MAX_PASSWORD + 2] = "", why[ACCOUNT_WHY_MAX] = "";
	struct account_pw_change rq;
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	uint32_t kvno = 0;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);

	if (rc)
		return rc;
	if (o.nnames != 1) {
		cli_error(CMD, "set-password: need one NAME");
		return 2;
	}
	if (o.random_key || o.nattrs || o.set_preauth || o.have_max_life || o.have_max_renew ||
	    o.have_expires || o.have_pw_expires || o.policy || o.clear_policy ||
	    (o.keep_old && o.discard_old)) {
		cli_error(CMD, "set-password takes --password-stdin, --enctypes LIST and one of "
			  "--keep-old, --discard-old (use modify for the rest)");
		return 2;
	}
	if (o.enctypes != NULL && (rc = admin_enctypes_parse(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || admin_name_canon(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	if (admin_password_get(pw, sizeof(pw)))
		return 1;
	memset(&rq, 0, sizeof(rq));
	rq.name = name;
	rq.password = pw;
	rq.password_len = strlen(pw);
	rq.by = admin_mod_by();
	rq.now = (int64_t)time(NULL);
	rq.enctypes = nets > 0 ? ets : NULL;
	rq.n_enctypes = nets;
	rq.admin = true;
	rq.keep = o.keep_old ? ACCOUNT_KEEP_ALL : o.discard_old ? ACCOUNT_KEEP_NONE
								: ACCOUNT_KEEP_REALM;
	ret = account_password_change(ad->db, ad->realm, &rq, &kvno, why, sizeof(why));
	crypto_wipe(pw, sizeof(pw));
	if (ret != ORTH_OK && why[0] != '\0') {
		cli_error(CMD, "set-password %s: %s", name, why);
		return 1;
	}
	if (ret != ORTH_OK)
		return admin_db_fail("set-password", name, ret);
	printf("set-password: new keys for %s, kvno %u\n", name, kvno);
	return 0;
}

/* ktadd's key change: randkey of one principal, as randkey does it. */
static int
ktadd_randkey(struct admin *ad, const struct princ_opts *o, const char *text,
	      const int32_t *ets_in, size_t nets)
{
	struct principal p;
	char name[DB_MAX_NAME + 8];
	struct db_entry *e = arena_alloc(&ad->a, sizeof(*e));
	struct db_txn *t = NULL;
	struct db_policy polbuf, *pol = NULL;
	int32_t ets[DB_MAX_KEYS];
	orth_err ret;
	int rc = 0;

	if (e == NULL || admin_name_canon(ad, text, &p, name, sizeof(name)))
		return 1;
	memcpy(ets, ets_in, nets * sizeof(ets[0]));
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK)
		ret = db_txn_get(t, name, &ad->a, e);
	if (ret == ORTH_OK && (rc = admin_policy_of(ad, t, e, false, "ktadd", &polbuf, &pol)) != 0)
		goto out;
	if (ret == ORTH_OK && (rc = admin_randkey_apply(ad, o, &p, name, e, pol, ets, nets, &ret)) != 0)
		goto out;
	if (ret == ORTH_OK)
		ret = db_txn_put(t, e, DB_PUT_REPLACE);
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	if (ret != ORTH_OK)
		rc = admin_db_fail("ktadd", name, ret);
out:
	db_txn_abort(t);
	return rc;
}

int
admin_ktadd(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct keytab_entry *ents;
	struct crypto_key *keys[64 * DB_MAX_KEYS];
	size_t n = 0, nkeys = 0;
	orth_err ret = ORTH_OK;
	uint32_t now = (uint32_t)time(NULL);
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	int rc = admin_opts_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.keytab == NULL || o.nnames == 0) {
		cli_error(CMD, "ktadd: need --keytab FILE and at least one NAME");
		return 2;
	}
	if (o.norandkey && (o.enctypes != NULL || o.keep_old || o.discard_old)) {
		cli_error(CMD, "ktadd: --norandkey keeps the keys; --enctypes, --keep-old "
			  "and --discard-old apply to new ones");
		return 2;
	}
	if (o.enctypes != NULL && (rc = admin_enctypes_parse(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, !o.norandkey))
		return 1;
	ents = arena_alloc(&ad->a, sizeof(*ents) * 64 * DB_MAX_KEYS);
	if (ents == NULL)
		return 1;
	/* MIT's ktadd: new random keys first (each principal in its own
	 * transaction), unless --norandkey; then the newest keys go out. */
	for (size_t i = 0; !o.norandkey && i < o.nnames && rc == 0; i++)
		rc = ktadd_randkey(ad, &o, o.names[i], ets, nets);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < o.nnames && ret == ORTH_OK; i++) {
		struct principal p;
		char name[DB_MAX_NAME + 8];
		struct db_entry *e = arena_alloc(&ad->a, sizeof(*e));
		if (e == NULL || admin_name_canon(ad, o.names[i], &p, name, sizeof(name))) {
			rc = 1;
			break;
		}
		ret = db_principal_get(ad->db, name, &ad->a, e);
		if (ret != ORTH_OK) {
			rc = admin_db_fail("ktadd", name, ret);
			break;
		}
		if (e->nkeysets == 0) {
			cli_error(CMD, "ktadd: %s has no keys", name);
			rc = 1;
			break;
		}
		/* the newest key set only */
		for (size_t j = 0; j < e->keysets[0].nkeys; j++) {
			const struct db_key *k = &e->keysets[0].keys[j];
			ret = db_entry_key(ad->db, e, k->enctype, e->keysets[0].kvno, &keys[nkeys],
					   NULL, NULL);
			if (ret != ORTH_OK) {
				rc = admin_db_fail("ktadd", name, ret);
				break;
			}
			ents[n].princ = p;
			ents[n].timestamp = now;
			ents[n].kvno = e->keysets[0].kvno;
			ents[n].enctype = k->enctype;
			ents[n].key = crypto_key_bytes(keys[nkeys], &ents[n].key_len);
			n++;
			nkeys++;
		}
	}
	if (rc == 0) {
		ret = keytab_append(o.keytab, ents, n);
		if (ret != ORTH_OK) {
			cli_error(CMD, "ktadd: cannot write keytab %s: %s", o.keytab, orth_err_str(ret));
			rc = 1;
		} else
			printf("wrote %zu keys to %s\n", n, o.keytab);
	}
	for (size_t i = 0; i < nkeys; i++)
		crypto_key_free(keys[i]);
	return rc;
}

int
admin_ktremove(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8];
	size_t removed = 0;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.keytab == NULL || o.nnames != 1) {
		cli_error(CMD, "ktremove: need --keytab FILE and one NAME");
		return 2;
	}
	if (admin_setup(ad, false, false) || admin_name_canon(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	ret = keytab_remove(o.keytab, &p, o.kvno, &removed);
	if (ret != ORTH_OK) {
		cli_error(CMD, "ktremove: keytab %s: %s", o.keytab, orth_err_str(ret));
		return 1;
	}
	if (removed == 0) {
		cli_error(CMD, "ktremove: no entry for %s in %s", name, o.keytab);
		return 1;
	}
	printf("removed %zu entries of %s from %s\n", removed, name, o.keytab);
	return 0;
}

int
admin_ktlist(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct keytab kt;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);

	(void)ad; /* a keytab alone: no configuration, no database */
	if (rc)
		return rc;
	if (o.keytab == NULL || o.nnames != 0) {
		cli_error(CMD, "ktlist: need --keytab FILE");
		return 2;
	}
	if (crypto_init() != ORTH_OK)
		return 1;
	ret = keytab_read(o.keytab, &kt);
	if (ret != ORTH_OK) {
		cli_error(CMD, "ktlist: keytab %s: %s", o.keytab,
			  ret == ORTH_E_NOTFOUND ? "no such file" : orth_err_str(ret));
		return 1;
	}
	printf("Keytab: %s\nKVNO Timestamp            Principal\n", o.keytab);
	for (size_t i = 0; i < kt.n; i++) {
		const struct keytab_entry *e = &kt.entries[i];
		char name[2048], ts[64];
		const char *etn = crypto_enctype_name(e->enctype);
		if (principal_unparse(&e->princ, name, sizeof(name), NULL) != ORTH_OK)
			snprintf(name, sizeof(name), "(name too long)");
		admin_time_format(e->timestamp, ts, sizeof(ts));
		printf("%4u %-20s %s (%s)", e->kvno, ts, name, etn ? etn : "unknown");
		if (o.keys) {
			printf(" key ");
			admin_hex_print(stdout, e->key, e->key_len);
		}
		printf("\n");
	}
	keytab_free(&kt);
	return 0;
}

/* verify: the names of entries with keys sealed before binding (db.h),
 * the first VERIFY_NAMES of them. */
#define VERIFY_NAMES 20

static void
verify_unbound(void *arg, const char *name, size_t nkeys)
{
	size_t *shown = arg;

	if ((*shown)++ < VERIFY_NAMES)
		printf("  unbound: %s (%zu key%s)\n", name, nkeys, nkeys == 1 ? "" : "s");
}

int
admin_verify(struct admin *ad, int argc, char **argv)
{
	char err[512] = "";
	size_t shown = 0;
	struct db_verify v = {.unbound = verify_unbound, .arg = &shown};
	orth_err ret;

	if (argc == 2 && strcmp(argv[1], "--rebind") == 0) {
		v.rebind = true;
	} else if (argc != 1) {
		cli_error(CMD, "verify takes no arguments but --rebind");
		return 2;
	}
	if (admin_setup(ad, true, v.rebind))
		return 1;
	ret = db_verify(ad->db, &v, err, sizeof(err));
	if (ret != ORTH_OK) {
		cli_error(CMD, "verify: %s", err[0] ? err : orth_err_str(ret));
		return 1;
	}
	if (shown > VERIFY_NAMES)
		printf("  ... and %zu more\n", shown - VERIFY_NAMES);
	printf("verified %zu principals: every key unseals under the master key%s\n", v.count,
	       v.unbound_entries == 0 || v.rebind ? " for its entry" : "");
	if (v.rebind && v.unbound_entries > 0)
		printf("rebound %zu entries (%zu keys): every key is now bound to its principal\n",
		       v.rebound, v.unbound_keys);
	else if (v.unbound_entries > 0)
		printf("%zu entries (%zu keys) are not bound to their principal (sealed before "
		       "record version 3): bind them with 'orthrus admin verify --rebind'\n",
		       v.unbound_entries, v.unbound_keys);
	return 0;
}
