/*
 * admin_princ.c - `orthrus admin` on principals: add, modify, randkey, unlock,
 * delete, rename, get, list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/account.h"
#include "kdc/lockout.h"
#include "proto/principal.h"

#define CMD "admin"

static int
apply_common(struct princ_opts *o, struct db_entry *e)
{
	for (size_t i = 0; i < o->nattrs; i++)
		if (db_attrs_apply(o->attrs[i], &e->attributes) != ORTH_OK) {
			cli_error(CMD, "unknown attribute '%s'", o->attrs[i]);
			return 2;
		}
	if (o->set_preauth > 0)
		e->attributes |= DB_ATTR_REQUIRES_PREAUTH;
	else if (o->set_preauth < 0)
		e->attributes &= ~(uint32_t)DB_ATTR_REQUIRES_PREAUTH;
	if (o->have_max_life)
		e->max_life = o->max_life;
	if (o->have_max_renew)
		e->max_renew = o->max_renew;
	if (o->have_expires)
		e->princ_expire = o->expires;
	if (o->have_pw_expires)
		e->pw_expire = o->pw_expires;
	if (o->policy != NULL && o->clear_policy) {
		cli_error(CMD, "--policy and --clear-policy together");
		return 2;
	}
	if (o->policy != NULL)
		e->policy = o->policy;
	if (o->clear_policy)
		e->policy = "";
	e->mod_time = (int64_t)time(NULL);
	e->mod_by = admin_mod_by();
	return 0;
}

int
admin_policy_of(struct admin *ad, struct db_txn *t, const struct db_entry *e, bool named,
		const char *what, struct db_policy *buf, struct db_policy **pol_out)
{
	orth_err ret;

	*pol_out = NULL;
	if (e->policy == NULL || e->policy[0] == '\0')
		return 0;
	ret = db_txn_policy_get(t, e->policy, &ad->a, buf);
	if (ret == ORTH_E_NOTFOUND && named) {
		cli_error(CMD, "%s %s: policy %s does not exist (create it with 'orthrus admin "
			  "policy add %s')", what, e->name, e->policy, e->policy);
		return 1;
	}
	if (ret != ORTH_OK && ret != ORTH_E_NOTFOUND) {
		cli_error(CMD, "%s %s: policy %s: %s", what, e->name, e->policy, orth_err_str(ret));
		return 1;
	}
	if (ret == ORTH_OK)
		*pol_out = buf;
	return 0;
}

int
admin_add(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8], pw[ADMIN_MAX_PASSWORD + 2] = "";
	struct db_entry *e;
	struct db_keyset ks;
	struct db_txn *t = NULL;
	struct db_policy polbuf, *pol = NULL;
	char why[ACCOUNT_WHY_MAX] = "";
	int32_t ets[DB_MAX_KEYS];
	size_t nets;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);

	if (rc)
		return rc;
	if (o.nnames != 1 || o.password_stdin == o.random_key) {
		cli_error(CMD, "add: need one NAME and one of --password-stdin or --random-key");
		return 2;
	}
	if (o.ndeleg > 0 || o.clear_deleg) {
		cli_error(CMD, "add: set delegation targets with modify");
		return 2;
	}
	if (o.enctypes != NULL && (rc = admin_enctypes_parse(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || admin_name_canon(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	if (o.enctypes == NULL) {
		nets = ad->realm->n_enctypes < DB_MAX_KEYS ? ad->realm->n_enctypes : DB_MAX_KEYS;
		memcpy(ets, ad->realm->supported_enctypes, nets * sizeof(ets[0]));
	}
	if (o.password_stdin && admin_password_get(pw, sizeof(pw)))
		return 1;
	rc = 1;
	e = arena_alloc(&ad->a, sizeof(*e));
	if (e == NULL)
		goto out;
	e->name = name;
	e->policy = "";
	if (ad->realm->default_principal_flags != NULL &&
	    db_attrs_apply(ad->realm->default_principal_flags, &e->attributes) != ORTH_OK) {
		cli_error(CMD, "%s: bad default_principal_flags '%s'", ad->config_path,
			  ad->realm->default_principal_flags);
		goto out;
	}
	if ((rc = apply_common(&o, e)) != 0)
		goto out;
	ret = db_txn_begin(ad->db, &t);
	if (ret != ORTH_OK) {
		rc = admin_db_fail("add", name, ret);
		goto out;
	}
	if ((rc = admin_policy_of(ad, t, e, true, "add", &polbuf, &pol)) != 0)
		goto out;
	/* MIT's create_principal: the policy's rules apply to the first
	 * password too, its enctypes to any keys, and its maximum life sets
	 * the password's expiry. */
	ret = o.password_stdin ? account_password_quality(pol, &p, pw, strlen(pw), why, sizeof(why))
			       : ORTH_OK;
	if (ret == ORTH_OK && o.enctypes == NULL && pol != NULL && pol->n_allowed > 0) {
		nets = pol->n_allowed;
		memcpy(ets, pol->allowed_enctypes, nets * sizeof(ets[0]));
	}
	if (ret == ORTH_OK)
		ret = account_enctypes_check(pol, ets, nets, why, sizeof(why));
	if (ret != ORTH_OK) {
		cli_error(CMD, "add %s: %s", name, why[0] ? why : orth_err_str(ret));
		rc = 1;
		goto out;
	}
	ret = account_keyset_make(ad->db, &p, o.password_stdin ? pw : NULL,
				  o.password_stdin ? strlen(pw) : 0, ets, nets, 1, &ad->a, &ks);
	if (ret == ORTH_OK)
		ret = db_entry_add_keyset(e, &ks, 0);
	if (ret == ORTH_OK && o.password_stdin) {
		e->last_pw_change = e->mod_time;
		if (!o.have_pw_expires)
			e->pw_expire = account_pw_expire(pol, e->mod_time);
	}
	if (ret == ORTH_OK)
		ret = db_txn_put(t, e, DB_PUT_NEW);
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	if (ret != ORTH_OK) {
		rc = admin_db_fail("add", name, ret);
		goto out;
	}
	printf("added %s\n", name);
out:
	crypto_wipe(pw, sizeof(pw));
	db_txn_abort(t);
	return rc;
}

/* Read-modify-write of one principal in one write transaction. */
enum change { CH_MODIFY, CH_RANDKEY };

static int
do_change(struct admin *ad, int argc, char **argv, enum change what)
{
	static const char *const names[] = {"modify", "randkey"};
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8];
	struct db_entry *e;
	struct db_txn *t = NULL;
	struct db_policy polbuf, *pol = NULL;
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);

	if (rc)
		return rc;
	if (o.nnames != 1) {
		cli_error(CMD, "%s: need one NAME", names[what]);
		return 2;
	}
	if (what == CH_MODIFY && (o.password_stdin || o.random_key || o.enctypes)) {
		cli_error(CMD, "modify does not change keys (use set-password or randkey)");
		return 2;
	}
	if (o.enctypes != NULL && (rc = admin_enctypes_parse(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || admin_name_canon(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	e = arena_alloc(&ad->a, sizeof(*e));
	if (e == NULL)
		return 1;
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK)
		ret = db_txn_get(t, name, &ad->a, e);
	if (ret == ORTH_OK && (rc = apply_common(&o, e)) != 0)
		goto out;
	if (ret == ORTH_OK &&
	    (rc = admin_deleg_apply(ad, o.deleg, o.ndeleg, o.clear_deleg, e)) != 0)
		goto out;
	if (ret == ORTH_OK &&
	    (rc = admin_policy_of(ad, t, e, o.policy != NULL, names[what], &polbuf, &pol)) != 0)
		goto out;
	if (ret == ORTH_OK && (o.policy != NULL || o.clear_policy) && !o.have_pw_expires) {
		/* MIT's modify_principal: a new policy's maximum life dates
		 * the current password; no policy, no expiry. */
		e->pw_expire = 0;
		if (pol != NULL && e->last_pw_change != 0)
			e->pw_expire = account_pw_expire(pol, e->last_pw_change);
	}
	if (ret == ORTH_OK && what == CH_RANDKEY &&
	    (rc = admin_randkey_apply(ad, &o, &p, name, e, pol, ets, nets, &ret)) != 0)
		goto out;
	if (ret == ORTH_OK)
		ret = db_txn_put(t, e, DB_PUT_REPLACE);
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	if (ret != ORTH_OK) {
		rc = admin_db_fail(names[what], name, ret);
		goto out;
	}
	if (what == CH_MODIFY)
		printf("modified %s\n", name);
	else
		printf("%s: new keys for %s, kvno %u\n", names[what], name, e->keysets[0].kvno);
out:
	db_txn_abort(t);
	return rc;
}

int
admin_modify(struct admin *ad, int argc, char **argv)
{
	return do_change(ad, argc, argv, CH_MODIFY);
}

int
admin_randkey(struct admin *ad, int argc, char **argv)
{
	return do_change(ad, argc, argv, CH_RANDKEY);
}

/* unlock: forget the failed pre-authentications (MIT's modprinc -unlock). */
int
admin_unlock(struct admin *ad, int argc, char **argv)
{
	struct principal p;
	char name[DB_MAX_NAME + 8];
	struct db_entry *e;
	struct db_txn *t = NULL;
	uint32_t had = 0;
	bool changed = false;
	orth_err ret;

	if (argc != 2) {
		cli_error(CMD, "unlock: need one NAME");
		return 2;
	}
	if (admin_setup(ad, true, true) || admin_name_canon(ad, argv[1], &p, name, sizeof(name)))
		return 1;
	e = arena_alloc(&ad->a, sizeof(*e));
	if (e == NULL)
		return 1;
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK)
		ret = db_txn_get(t, name, &ad->a, e);
	if (ret == ORTH_OK) {
		had = e->fail_count;
		changed = lockout_unlock(e);
	}
	if (ret == ORTH_OK && changed)
		ret = db_txn_put(t, e, DB_PUT_REPLACE);
	if (ret == ORTH_OK && changed) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	db_txn_abort(t);
	if (ret != ORTH_OK)
		return admin_db_fail("unlock", name, ret);
	if (changed)
		printf("unlocked %s (%u failed pre-authentications forgotten)\n", name, had);
	else
		printf("%s has no failed pre-authentications counted: nothing to unlock\n", name);
	return 0;
}

int
admin_delete(struct admin *ad, int argc, char **argv)
{
	struct principal p;
	char name[DB_MAX_NAME + 8];
	orth_err ret;
	if (argc != 2) {
		cli_error(CMD, "delete: need one NAME");
		return 2;
	}
	if (admin_setup(ad, true, true) || admin_name_canon(ad, argv[1], &p, name, sizeof(name)))
		return 1;
	ret = db_principal_delete(ad->db, name);
	if (ret != ORTH_OK)
		return admin_db_fail("delete", name, ret);
	printf("deleted %s\n", name);
	return 0;
}

int
admin_rename(struct admin *ad, int argc, char **argv)
{
	struct principal p, q;
	char a[DB_MAX_NAME + 8], b[DB_MAX_NAME + 8];
	orth_err ret;
	if (argc != 3) {
		cli_error(CMD, "rename: need OLD and NEW");
		return 2;
	}
	if (admin_setup(ad, true, true) || admin_name_canon(ad, argv[1], &p, a, sizeof(a)) ||
	    admin_name_canon(ad, argv[2], &q, b, sizeof(b)))
		return 1;
	ret = db_principal_rename(ad->db, a, b);
	if (ret == ORTH_E_EXISTS)
		return admin_db_fail("rename", b, ret);
	if (ret != ORTH_OK)
		return admin_db_fail("rename", a, ret);
	printf("renamed %s to %s\n", a, b);
	return 0;
}

static const char *
salt_type_name(uint16_t t)
{
	switch (t) {
	case DB_SALT_NORMAL: return "normal";
	case DB_SALT_NOREALM: return "norealm";
	case DB_SALT_ONLYREALM: return "onlyrealm";
	case DB_SALT_SPECIAL: return "special";
	default: return "unknown";
	}
}

/* Print one entry; with keys, the decrypted key bytes (only on request). */
static orth_err
print_entry(struct admin *ad, const struct db_entry *e, bool json, bool keys, bool first)
{
	char attrs[512], t1[64], t2[64], t3[64], t4[64], t5[64], t6[64], lock[128];
	struct db_policy pol;
	bool have_pol = false, locked;
	int64_t until = 0;

	if (e->policy[0] != '\0')
		have_pol = db_policy_get(ad->db, e->policy, &ad->a, &pol) == ORTH_OK;
	locked = lockout_is_locked(have_pol ? &pol : NULL, e, (int64_t)time(NULL));
	if (locked)
		until = lockout_locked_until(&pol, e);
	admin_time_format(e->last_failed, t5, sizeof(t5));
	admin_time_format(until, t6, sizeof(t6));
	if (!locked)
		snprintf(lock, sizeof(lock), "not locked");
	else if (until != 0)
		snprintf(lock, sizeof(lock), "locked until %s", t6);
	else
		snprintf(lock, sizeof(lock), "locked until unlocked (orthrus admin unlock)");
	admin_time_format(e->last_success, t6, sizeof(t6));
	if (e->last_success == 0)
		snprintf(t6, sizeof(t6), "not recorded");
	db_attrs_format(e->attributes, attrs, sizeof(attrs));
	admin_time_format(e->princ_expire, t1, sizeof(t1));
	admin_time_format(e->pw_expire, t2, sizeof(t2));
	admin_time_format(e->last_pw_change, t3, sizeof(t3));
	admin_time_format(e->mod_time, t4, sizeof(t4));
	if (json) {
		if (!first)
			printf(",\n");
		printf("{\"name\":");
		admin_json_print(stdout, e->name, strlen(e->name));
		printf(",\"attributes\":[");
		{
			bool f = true;
			for (uint32_t bit = 1; bit != 0; bit <<= 1)
				if (e->attributes & bit) {
					const char *n = db_attr_name(bit);
					printf("%s\"%s\"", f ? "" : ",", n ? n : "unknown");
					f = false;
				}
		}
		printf("],\"max_life\":%lld,\"max_renew\":%lld,\"expires\":%lld,"
		       "\"pw_expires\":%lld,\"last_pw_change\":%lld,\"mod_time\":%lld,\"mod_by\":",
		       (long long)e->max_life, (long long)e->max_renew, (long long)e->princ_expire,
		       (long long)e->pw_expire, (long long)e->last_pw_change, (long long)e->mod_time);
		admin_json_print(stdout, e->mod_by, strlen(e->mod_by));
		printf(",\"policy\":");
		admin_json_print(stdout, e->policy, strlen(e->policy));
		printf(",\"fail_count\":%u,\"last_failed\":%lld,\"last_success\":%lld,"
		       "\"locked\":%s,\"locked_until\":%lld,\"history_keys\":%zu",
		       e->fail_count, (long long)e->last_failed, (long long)e->last_success,
		       locked ? "true" : "false", (long long)until, e->nhist);
		printf(",\"allowed_to_delegate_to\":[");
		for (size_t i = 0; i < e->ndeleg; i++) {
			printf("%s", i ? "," : "");
			admin_json_print(stdout, e->deleg[i], strlen(e->deleg[i]));
		}
		printf("],\"keys\":[");
	} else {
		printf("Principal: %s\nAttributes: %s\nMax life: %lld\nMax renewable life: %lld\n"
		       "Expires: %s\nPassword expires: %s\nLast password change: %s\n"
		       "Policy: %s%s\nLast modified: %s by %s\n"
		       "Failed password attempts: %u\nLast failed authentication: %s\n"
		       "Last successful authentication: %s\nLock: %s\nPassword history: %zu keys\n"
		       "Key sets: %zu\n",
		       e->name, attrs[0] ? attrs : "(none)", (long long)e->max_life,
		       (long long)e->max_renew, t1, t2, t3, e->policy[0] ? e->policy : "(none)",
		       e->policy[0] && !have_pol ? " (does not exist)" : "", t4, e->mod_by,
		       e->fail_count, t5, t6, lock, e->nhist, e->nkeysets);
		admin_deleg_print(e);
	}
	for (size_t i = 0; i < e->nkeysets; i++) {
		const struct db_keyset *ks = &e->keysets[i];
		for (size_t j = 0; j < ks->nkeys; j++) {
			const struct db_key *k = &ks->keys[j];
			const char *etn = crypto_enctype_name(k->enctype);
			struct crypto_key *key = NULL;
			const uint8_t *kb = NULL;
			size_t klen = 0;
			if (keys) {
				orth_err ret = db_entry_key(ad->db, e, k->enctype, ks->kvno, &key,
							    NULL, NULL);
				if (ret != ORTH_OK) {
					cli_error(CMD, "%s: kvno %u: key does not decrypt: %s", e->name,
						  ks->kvno, orth_err_str(ret));
					return ret;
				}
				kb = crypto_key_bytes(key, &klen);
			}
			if (json) {
				printf("%s{\"kvno\":%u,\"enctype\":%d,\"enctype_name\":\"%s\","
				       "\"salt_type\":\"%s\",\"salt\":",
				       (i || j) ? "," : "", ks->kvno, k->enctype, etn ? etn : "unknown",
				       salt_type_name(k->salt_type));
				admin_json_print(stdout, (const char *)k->salt, k->salt_len);
				if (k->s2kparams_len) {
					printf(",\"s2kparams\":\"");
					admin_hex_print(stdout, k->s2kparams, k->s2kparams_len);
					printf("\"");
				}
				if (keys) {
					printf(",\"key\":\"");
					admin_hex_print(stdout, kb, klen);
					printf("\"");
				}
				printf("}");
			} else {
				printf("Key: kvno %u, %s, salt %s \"%.*s\"", ks->kvno,
				       etn ? etn : "unknown", salt_type_name(k->salt_type),
				       (int)k->salt_len, (const char *)k->salt);
				if (keys) {
					printf(", key ");
					admin_hex_print(stdout, kb, klen);
				}
				printf("\n");
			}
			crypto_key_free(key);
		}
	}
	if (json)
		printf("]}");
	return ORTH_OK;
}

int
admin_get(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8];
	struct db_entry *e;
	orth_err ret;
	int rc = admin_opts_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.nnames != 1) {
		cli_error(CMD, "get: need one NAME");
		return 2;
	}
	if (admin_setup(ad, true, false) || admin_name_canon(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	e = arena_alloc(&ad->a, sizeof(*e));
	if (e == NULL)
		return 1;
	ret = db_principal_get(ad->db, name, &ad->a, e);
	if (ret != ORTH_OK)
		return admin_db_fail("get", name, ret);
	if (print_entry(ad, e, o.json, o.keys, true) != ORTH_OK)
		return 1;
	if (o.json)
		printf("\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

int
admin_list(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	const char *glob;
	char globbuf[DB_MAX_NAME + 8];
	int rc = admin_opts_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (o.nnames > 1) {
		cli_error(CMD, "list: at most one GLOB");
		return 2;
	}
	if (admin_setup(ad, true, false))
		return 1;
	glob = o.nnames ? o.names[0] : NULL;
	/* like kadmin: a glob without a realm matches in the default realm */
	if (glob != NULL && strchr(glob, '@') == NULL) {
		snprintf(globbuf, sizeof(globbuf), "%s@%s", glob, ad->realm->name);
		glob = globbuf;
	}
	return admin_names_list(ad, ADMIN_NAMES_PRINCIPALS, glob, o.json, "list");
}
