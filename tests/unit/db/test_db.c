/* test_db.c - the LMDB backend through db.h: create, open, the KDC read
 * path (reader + arena, key decryption), write transactions, policies,
 * errors. */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "../test.h"

static orth_err
count_policy(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	(void)p;
	(void)rec;
	(void)len;
	(*(size_t *)arg)++;
	return ORTH_OK;
}

/*
 * Make the database at path look like one made before policies existed
 * (no "policies" named database).  The only LMDB call of the tests: it
 * builds what an older Orthrus left on disk.
 */
static void
policies_remove(const char *path)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;

	EXPECT_EQ_INT(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 4);
	EXPECT_EQ_INT(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	EXPECT_EQ_INT(mdb_txn_begin(env, NULL, 0, &txn), 0);
	EXPECT_EQ_INT(mdb_dbi_open(txn, "policies", 0, &dbi), 0);
	EXPECT_EQ_INT(mdb_drop(txn, dbi, 1), 0);
	EXPECT_EQ_INT(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* Policies beside principals: put/get/iterate/delete, the references
 * verify checks, history keys, the write counter, older databases. */
static void
test_policies(const char *dir)
{
	char path[256], stash[256], err[512] = "";
	struct db_options o;
	struct db *db = NULL;
	struct db_reader *r = NULL;
	struct db_txn *t = NULL;
	struct arena a;
	struct db_policy p, q;
	struct db_entry *e = calloc(1, sizeof(*e)), *g = calloc(1, sizeof(*g));
	struct db_keyset ks;
	struct crypto_key *k = NULL, *out = NULL;
	size_t n = 0;
	uint64_t txn0;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	snprintf(path, sizeof(path), "%s/pol.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/polstash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);

	memset(&p, 0, sizeof(p));
	p.name = "strict";
	p.pw_min_length = 12;
	p.pw_max_fail = 3;
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_NEW), ORTH_E_EXISTS);
	p.name = "other";
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_REPLACE), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_ANY), ORTH_OK);
	/* a policy and a principal of the same name do not meet */
	EXPECT_EQ_INT(db_txn_get(t, "strict", &a, g), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_txn_policy_get(t, "strict", &a, &q), ORTH_OK);
	EXPECT_EQ_INT(q.pw_min_length, 12);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	t = NULL;

	EXPECT_EQ_INT(db_reader_open(db, &r), ORTH_OK);
	EXPECT_EQ_INT(db_reader_policy_get(r, "strict", &a, &q), ORTH_OK);
	EXPECT_EQ_INT(q.pw_max_fail, 3);
	EXPECT_EQ_INT(db_reader_policy_get(r, "nope", &a, &q), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_reader_policy_get(r, "", &a, &q), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_policy_get(db, "other", &a, &q), ORTH_OK);
	EXPECT_EQ_INT(db_policy_iterate(db, count_policy, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 2);

	/* a principal naming a policy, with a history key and a count */
	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	memset(&ks, 0, sizeof(ks));
	ks.kvno = 1;
	ks.nkeys = 1;
	EXPECT_EQ_INT(db_key_seal(db, k, DB_SALT_NORMAL, (const uint8_t *)"EX.COMann", 9, NULL, 0,
				  &a, &ks.keys[0]),
		      ORTH_OK);
	e->name = "ann@EX.COM";
	e->mod_by = "";
	e->policy = "strict";
	e->fail_count = 2;
	e->last_failed = 1700000000;
	e->nhist = 1;
	e->hist[0] = ks.keys[0];
	EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 0), ORTH_OK);
	txn0 = db_last_txnid(db);
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_last_txnid(db), txn0 + 1);
	EXPECT_EQ_INT(db_reader_get(r, "ann@EX.COM", &a, g), ORTH_OK);
	EXPECT_EQ_INT(g->fail_count, 2);
	EXPECT_EQ_INT(g->nhist, 1);
	/* history keys unseal like any key (from any thread: a copy of the
	 * master key) */
	EXPECT_EQ_INT(db_key_unseal(db, &g->hist[0], &out), ORTH_OK);
	{
		size_t kl, ol;
		const uint8_t *kb = crypto_key_bytes(k, &kl), *ob = crypto_key_bytes(out, &ol);
		EXPECT(kl == ol && memcmp(kb, ob, kl) == 0);
	}
	crypto_key_free(out);
	out = NULL;
	EXPECT_EQ_INT(db_verify(db, &n, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(n, 1);
	/* a read transaction changes nothing: the counter stays */
	EXPECT_EQ_INT(db_last_txnid(db), txn0 + 1);

	/* verify: a dangling policy name, a history key that does not
	 * decrypt */
	e->policy = "gone";
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_OK);
	err[0] = '\0';
	EXPECT_EQ_INT(db_verify(db, &n, err, sizeof(err)), ORTH_E_NOTFOUND);
	EXPECT(strstr(err, "ann@EX.COM") != NULL && strstr(err, "gone") != NULL);
	e->policy = "strict";
	{
		uint8_t bad[128];
		memcpy(bad, e->hist[0].enc, e->hist[0].enc_len);
		bad[20] ^= 1;
		e->hist[0].enc = bad;
		EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_OK);
		err[0] = '\0';
		EXPECT_EQ_INT(db_verify(db, &n, err, sizeof(err)), ORTH_E_MASTERKEY);
		EXPECT(strstr(err, "history") != NULL);
		EXPECT_EQ_INT(db_key_unseal(db, &e->hist[0], &out), ORTH_E_MASTERKEY);
		e->hist[0] = ks.keys[0];
	}
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_OK);

	/* delete; clear drops policies too (load) */
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_delete(t, "other"), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_delete(t, "other"), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	t = NULL;
	EXPECT_EQ_INT(db_policy_get(db, "other", &a, &q), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_clear(t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_get(t, "strict", &a, &q), ORTH_E_NOTFOUND);
	db_txn_abort(t); /* aborted: still there */
	t = NULL;
	EXPECT_EQ_INT(db_policy_get(db, "strict", &a, &q), ORTH_OK);
	db_reader_close(r);
	r = NULL;
	db_close(db);
	db = NULL;

	/* a database from before policies: read-only it has none, read-write
	 * adds the empty "policies" and keeps the principals */
	policies_remove(path);
	o.readwrite = false;
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_policy_get(db, "strict", &a, &q), ORTH_E_NOTFOUND);
	n = 0;
	EXPECT_EQ_INT(db_policy_iterate(db, count_policy, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 0);
	EXPECT_EQ_INT(db_principal_get(db, "ann@EX.COM", &a, g), ORTH_OK);
	db_close(db);
	db = NULL;
	o.readwrite = true;
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	p.name = "strict";
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	t = NULL;
	EXPECT_EQ_INT(db_policy_get(db, "strict", &a, &q), ORTH_OK);
	EXPECT_EQ_INT(db_principal_get(db, "ann@EX.COM", &a, g), ORTH_OK);
	db_close(db);

	crypto_key_free(k);
	db_remove_files(path);
	unlink(stash);
	arena_free(&a);
	free(e);
	free(g);
}

int
main(void)
{
	char dir[] = "/tmp/dbtest.XXXXXX", path[256], stash[256], err[512];
	struct db_options o;
	struct db *db = NULL, *db2 = NULL;
	struct db_reader *r = NULL;
	struct arena a;
	struct db_entry *e = calloc(1, sizeof(*e)), *g = calloc(1, sizeof(*g));
	struct crypto_key *k = NULL, *out = NULL;
	const struct db_key *info = NULL;
	struct db_keyset ks;
	struct db_txn *t = NULL;
	uint32_t kvno = 0;
	size_t n = 0;
	const uint8_t *kb, *ob;
	size_t kl, ol;

	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/p.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/stash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};

	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_E_NODB);
	EXPECT(strstr(err, "init") != NULL);
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db2, err, sizeof(err)), ORTH_E_EXISTS);

	/* a principal with one key set */
	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	memset(&ks, 0, sizeof(ks));
	ks.kvno = 5;
	ks.nkeys = 1;
	EXPECT_EQ_INT(db_key_seal(db, k, DB_SALT_NORMAL, (const uint8_t *)"EX.COMbob", 9, NULL, 0,
				  &a, &ks.keys[0]),
		      ORTH_OK);
	e->name = "bob@EX.COM";
	e->mod_by = "";
	e->policy = "";
	e->attributes = DB_ATTR_REQUIRES_PREAUTH;
	EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 3), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_NEW), ORTH_E_EXISTS);
	e->name = "nobody@EX.COM";
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_E_NOTFOUND);

	/* the KDC path: a reader, decode into the arena, decrypt the key */
	EXPECT_EQ_INT(db_reader_open(db, &r), ORTH_OK);
	for (int i = 0; i < 3; i++) { /* the read txn is reset and renewed */
		arena_reset(&a);
		EXPECT_EQ_INT(db_reader_get(r, "bob@EX.COM", &a, g), ORTH_OK);
	}
	EXPECT_EQ_INT(g->attributes, DB_ATTR_REQUIRES_PREAUTH);
	EXPECT_EQ_INT(db_reader_key(r, g, 18, 0, &out, &info, &kvno), ORTH_OK);
	EXPECT_EQ_INT(kvno, 5);
	EXPECT(info != NULL && info->salt_len == 9);
	kb = crypto_key_bytes(k, &kl);
	ob = out ? crypto_key_bytes(out, &ol) : NULL;
	EXPECT(ob != NULL && kl == ol && memcmp(kb, ob, kl) == 0);
	crypto_key_free(out);
	out = NULL;
	EXPECT_EQ_INT(db_reader_key(r, g, 17, 0, &out, NULL, NULL), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_reader_key(r, g, 18, 4, &out, NULL, NULL), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_reader_get(r, "alice@EX.COM", &a, g), ORTH_E_NOTFOUND);
	/* a tampered encrypted key does not decrypt */
	{
		uint8_t bad[128];
		memcpy(bad, g->keysets[0].keys[0].enc, g->keysets[0].keys[0].enc_len);
		bad[20] ^= 1;
		g->keysets[0].keys[0].enc = bad;
		EXPECT_EQ_INT(db_reader_key(r, g, 18, 0, &out, NULL, NULL), ORTH_E_MASTERKEY);
	}

	/* a write transaction aborted changes nothing */
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_delete(t, "bob@EX.COM"), ORTH_OK);
	db_txn_abort(t);
	EXPECT_EQ_INT(db_principal_get(db, "bob@EX.COM", &a, g), ORTH_OK);
	EXPECT_EQ_INT(db_principal_rename(db, "bob@EX.COM", "rob@EX.COM"), ORTH_OK);
	EXPECT_EQ_INT(db_principal_get(db, "bob@EX.COM", &a, g), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_principal_get(db, "rob@EX.COM", &a, g), ORTH_OK);
	EXPECT(strcmp(g->name, "rob@EX.COM") == 0);
	EXPECT_EQ_INT(db_principal_rename(db, "bob@EX.COM", "x@EX.COM"), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_verify(db, &n, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(n, 1);
	EXPECT_EQ_INT(db_principal_delete(db, "rob@EX.COM"), ORTH_OK);
	EXPECT_EQ_INT(db_principal_delete(db, "rob@EX.COM"), ORTH_E_NOTFOUND);
	db_reader_close(r);
	db_close(db);
	db = NULL;

	/* reopen read-only; another realm; a wrong master key */
	o.readwrite = false;
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_OK);
	db_close(db);
	db = NULL;
	o.realm = "OTHER.ORG";
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_E_CONFIG);
	o.realm = "EX.COM";
	{
		char p2[256], s2[256];
		struct db_options o2;
		snprintf(p2, sizeof(p2), "%s/q.mdb", dir);
		snprintf(s2, sizeof(s2), "%s/stash2", dir);
		o2 = (struct db_options){p2, s2, "EX.COM", 0, true};
		EXPECT_EQ_INT(db_create(&o2, 18, "master pw", false, &db2, err, sizeof(err)), ORTH_OK);
		db_close(db2);
		o.stash_path = s2;
		EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_E_MASTERKEY);
		EXPECT(strstr(err, "wrong master key") != NULL);
		o.stash_path = "/nonexistent/stash";
		EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_E_MASTERKEY);
		db_remove_files(p2);
		unlink(s2);
	}
	crypto_key_free(k);
	db_remove_files(path);
	unlink(stash);
	test_policies(dir);
	rmdir(dir);
	arena_free(&a);
	free(e);
	free(g);
	return test_done("db");
}
