/*
 * admin_ldap.c - `orthrus admin` on a realm in a directory: every write
 * goes to the directory first (admin_directory_attach), and
 * `orthrus admin migrate --to ldap [--quiet]` copies the
 * realm's LMDB database (policies, then principals) into the directory
 * its database_module names (src/db/ldap_config.h), with a progress bar
 * on a terminal.  An entry already in the directory is overwritten (a
 * migration may be run again after a failure).  Keys are written sealed
 * and bound as in the database (db.h "Keys at rest"); a key still raw
 * (a record from before version 3) is bound on the way.
 *
 * Once the realm's KDCs follow the directory, their LMDB database is the
 * replica: `migrate --to lmdb` is what each KDC's sync does (a full load
 * when it has no cookie), so there is no separate command for it yet.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "commands.h"
#include "db/ldap_config.h"
#include "db/ldap_dir.h"
#include "db/ldap_entry.h"
#include "db/ldap_replica.h"

#define CMD "admin migrate"

struct migrate {
	struct admin *ad;
	struct ldap_config lc;
	struct ldap_dir *dir;
	struct arena a;
	size_t done, total;
	bool bar;
	char err[1024];
};

static orth_err
count_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	(void)e, (void)rec, (void)len;
	((struct migrate *)arg)->total++;
	return ORTH_OK;
}

static void
progress(struct migrate *m)
{
	char bar[41];
	size_t fill;

	if (!m->bar || (m->done % 64 != 0 && m->done != m->total))
		return;
	fill = m->total > 0 ? m->done * 40 / m->total : 40;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu principals", bar, m->done, m->total);
	if (m->done == m->total)
		fputc('\n', stderr);
}

/* A raw key of e sealed again, bound to e's name and kvno. */
static orth_err
key_bind(struct migrate *m, const char *name, struct db_key *k)
{
	orth_err ret = ORTH_OK;
	struct crypto_key *key = NULL;

	if (k->seal == DB_SEAL_BOUND)
		return ORTH_OK;
	TRY(db_key_unseal(m->ad->db, name, k, &key));
	TRY(db_key_seal(m->ad->db, name, k->kvno, key, k->salt_type, k->salt, k->salt_len,
			k->s2kparams, k->s2kparams_len, &m->a, k));
cleanup:
	crypto_key_free(key);
	return ret;
}

static orth_err
put_principal(void *arg, const struct db_entry *e0, const uint8_t *rec, size_t len)
{
	struct migrate *m = arg;
	orth_err ret = ORTH_OK;
	struct db_entry e = *e0;
	struct ldap_dentry d;

	(void)rec, (void)len;
	arena_reset(&m->a);
	for (size_t i = 0; i < e.nkeysets; i++)
		for (size_t j = 0; j < e.keysets[i].nkeys; j++) {
			e.keysets[i].keys[j].kvno = e.keysets[i].kvno;
			TRY(key_bind(m, e.name, &e.keysets[i].keys[j]));
		}
	for (size_t i = 0; i < e.nhist; i++)
		TRY(key_bind(m, e.name, &e.hist[i]));
	TRY(ldap_entry_encode(&e, m->lc.realm_dn, m->lc.realm_dn, &m->a, &d));
	TRY(ldap_dir_put(m->dir, &d, m->err, sizeof(m->err)));
	m->done++;
	progress(m);
cleanup:
	if (ret != ORTH_OK && m->err[0] == '\0')
		snprintf(m->err, sizeof(m->err), "%s: %s", e.name, orth_err_str(ret));
	return ret;
}

static orth_err
put_policy(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	struct migrate *m = arg;
	orth_err ret = ORTH_OK;
	struct ldap_dentry d;

	(void)rec, (void)len;
	arena_reset(&m->a);
	TRY(ldap_policy_encode(p, m->lc.realm_dn, &m->a, &d));
	TRY(ldap_dir_put(m->dir, &d, m->err, sizeof(m->err)));
cleanup:
	if (ret != ORTH_OK && m->err[0] == '\0')
		snprintf(m->err, sizeof(m->err), "policy %s: %s", p->name, orth_err_str(ret));
	return ret;
}

/* The directory's realm into the local LMDB database, replacing it. */
static int
migrate_to_lmdb(struct admin *ad, bool quiet)
{
	struct ldap_config lc;
	char err[1024] = "";
	size_t n = 0;

	if (admin_setup(ad, true, true) != 0)
		return 1;
	/* Reading the directory, not writing it. */
	admin_directory_detach(ad);
	if (ldap_config_load(ad->cfg, ad->realm->name, &lc, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
		return 1;
	}
	if (!lc.enabled) {
		cli_error(CMD, "realm %s has no directory: set database_module to a [dbmodules] "
			       "entry with db_library = kldap", ad->realm->name);
		return 1;
	}
	if (ldap_replica_load(ad->db, &lc, &n, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s (the database may hold part of the directory: run it again)", err);
		return 1;
	}
	if (!quiet)
		printf("migrated %zu entries of %s into %s\n", n, lc.realm_dn,
		       ad->realm->database_name);
	return 0;
}

int
admin_migrate(struct admin *ad, int argc, char **argv)
{
	struct migrate m;
	const char *to = NULL;
	bool quiet = false;
	int rc = 1;

	memset(&m, 0, sizeof(m));
	m.ad = ad;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
			to = argv[++i];
		else if (strcmp(argv[i], "--quiet") == 0)
			quiet = true;
		else {
			cli_error(CMD, "usage: orthrus admin migrate --to ldap [--quiet]");
			return 2;
		}
	}
	if (to == NULL || (strcmp(to, "ldap") != 0 && strcmp(to, "lmdb") != 0)) {
		cli_error(CMD, "usage: orthrus admin migrate --to ldap|lmdb [--quiet]");
		return 2;
	}
	if (strcmp(to, "lmdb") == 0)
		return migrate_to_lmdb(ad, quiet);
	if (admin_setup(ad, true, false) != 0)
		return 1;
	if (ldap_config_load(ad->cfg, ad->realm->name, &m.lc, m.err, sizeof(m.err)) != ORTH_OK) {
		cli_error(CMD, "%s", m.err);
		return 1;
	}
	if (!m.lc.enabled) {
		cli_error(CMD, "realm %s has no directory: set database_module to a [dbmodules] "
			       "entry with db_library = kldap", ad->realm->name);
		return 1;
	}
	if (arena_init(&m.a, 4u << 20) != ORTH_OK ||
	    db_principal_iterate(ad->db, count_one, &m) != ORTH_OK) {
		cli_error(CMD, "cannot read the database");
		goto out;
	}
	m.bar = !quiet && isatty(STDERR_FILENO);
	if (ldap_dir_open(&m.lc, 0, &m.dir, m.err, sizeof(m.err)) != ORTH_OK ||
	    ldap_dir_realm_ensure(m.dir, m.lc.realm_dn, ad->realm->name, m.err, sizeof(m.err)) !=
		    ORTH_OK) {
		cli_error(CMD, "%s", m.err);
		goto out;
	}
	m.err[0] = '\0';
	if (db_policy_iterate(ad->db, put_policy, &m) != ORTH_OK ||
	    db_principal_iterate(ad->db, put_principal, &m) != ORTH_OK) {
		if (m.bar)
			fputc('\n', stderr);
		cli_error(CMD, "%s (%zu of %zu principals written)", m.err, m.done, m.total);
		goto out;
	}
	if (!quiet)
		printf("migrated %zu principals of realm %s to %s\n", m.done, ad->realm->name,
		       m.lc.realm_dn);
	rc = 0;
out:
	ldap_dir_close(m.dir);
	arena_free(&m.a);
	return rc;
}

/* ---- writes through the directory ---- */

struct admin_dir {
	const char *realm;
	struct ldap_config lc;
	struct ldap_dir *d;
	struct arena a;
	uint64_t seq;
	bool realm_ok;
};
static struct admin_dir admin_dir;

/* db's hook, before each local commit: the directory takes it or the
 * command fails with nothing written. */
static orth_err
admin_dir_hook(void *arg, enum db_write_reason why, const struct db_change *c, size_t n)
{
	struct admin_dir *ad = arg;
	orth_err ret = ORTH_OK;
	char err[1024] = "";

	if (ad->d == NULL) {
		ret = ldap_dir_open(&ad->lc, 0, &ad->d, err, sizeof(err));
		if (ret != ORTH_OK) {
			cli_error("admin", "directory: %s (nothing written)", err);
			goto cleanup;
		}
	}
	if (!ad->realm_ok) {
		ret = ldap_dir_realm_ensure(ad->d, ad->lc.realm_dn, ad->realm, err, sizeof(err));
		if (ret != ORTH_OK) {
			cli_error("admin", "directory: %s (nothing written)", err);
			goto cleanup;
		}
		ad->realm_ok = true;
	}
	for (size_t i = 0; i < n; i++) {
		arena_reset(&ad->a);
		ret = ldap_change_write(ad->d, &ad->lc, why, &c[i], &ad->seq, &ad->a, err,
					sizeof(err));
		if (ret != ORTH_OK) {
			/* The local database is not written; what the
			 * directory took stays there (puts first: a re-run
			 * writes the same entries again and converges). */
			if (i == 0)
				cli_error("admin", "directory refused the change: %s (nothing written)",
					  err);
			else
				cli_error("admin", "directory refused change %zu of %zu: %s (the "
					  "directory took the first %zu, the local database none: "
					  "run the command again)", i + 1, n, err, i);
			goto cleanup;
		}
	}
cleanup:
	return ret;
}

int
admin_directory_attach(struct admin *ad)
{
	char err[1024] = "";

	memset(&admin_dir, 0, sizeof(admin_dir));
	if (ldap_config_load(ad->cfg, ad->realm->name, &admin_dir.lc, err, sizeof(err)) !=
	    ORTH_OK) {
		cli_error("admin", "%s", err);
		return 1;
	}
	if (!admin_dir.lc.enabled)
		return 0;
	admin_dir.realm = ad->realm->name;
	if (arena_init(&admin_dir.a, 4u << 20) != ORTH_OK)
		return 1;
	admin_dir.seq = (uint64_t)time(NULL) << 20;
	db_commit_hook_set(ad->db, admin_dir_hook, &admin_dir, true);
	return 0;
}

int
admin_directory_refresh(struct admin *ad)
{
	char err[1024] = "";

	if (!admin_dir.lc.enabled)
		return 0;
	/* The replica's own transaction (quiet): nothing goes back. */
	if (ldap_replica_load(ad->db, &admin_dir.lc, NULL, err, sizeof(err)) != ORTH_OK) {
		cli_error("admin", "directory: %s (nothing written)", err);
		return 1;
	}
	return 0;
}

void
admin_directory_detach(struct admin *ad)
{
	if (ad->db != NULL)
		db_commit_hook_set(ad->db, NULL, NULL, false);
	ldap_dir_close(admin_dir.d);
	admin_dir.d = NULL;
	arena_free(&admin_dir.a);
}
