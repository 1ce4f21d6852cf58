/* test_db.c - the LMDB backend through db.h: create, open, the KDC read
 * path (reader + arena, key decryption), write transactions, policies,
 * errors. */
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/writer.h"
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

static orth_err
meta_count(void *arg, const char *key, size_t key_len, const uint8_t *val, size_t len)
{
	(void)key, (void)key_len, (void)val, (void)len;
	(*(size_t *)arg)++;
	return ORTH_OK;
}

/* A replica's sync state (db_txn_meta_*): only "sync:" keys, committed
 * with the records, kept across a reopen, cleared whole; the database's
 * own metadata out of reach. */
static void
test_meta(const char *dir)
{
	char path[256], stash[256], err[512] = "";
	struct db_options o;
	struct db *db = NULL;
	struct db_txn *t = NULL;
	struct arena a;
	const uint8_t *v = NULL;
	size_t len = 0, n = 0;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	snprintf(path, sizeof(path), "%s/meta.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/metastash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_put(t, "sync:cookie", "rid=001,csn=1", 13), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_put(t, "sync:u:00ff", "p:a@EX.COM", 10), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_put(t, "sync:u:01ff", "o:pol", 5), ORTH_OK);
	/* the database's own keys are not reachable */
	EXPECT_EQ_INT(db_txn_meta_put(t, "realm", "X", 1), ORTH_E_RANGE);
	EXPECT_EQ_INT(db_txn_meta_put(t, "sync:", "X", 1), ORTH_E_RANGE);
	EXPECT_EQ_INT(db_txn_meta_get(t, "check", &a, &v, &len), ORTH_E_RANGE);
	EXPECT_EQ_INT(db_txn_meta_delete(t, "version"), ORTH_E_RANGE);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	db_close(db);
	db = NULL;
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_get(t, "sync:cookie", &a, &v, &len), ORTH_OK);
	EXPECT(len == 13 && memcmp(v, "rid=001,csn=1", 13) == 0);
	EXPECT_EQ_INT(db_txn_meta_iterate(t, "sync:u:", meta_count, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 2);
	EXPECT_EQ_INT(db_txn_meta_delete(t, "sync:u:00ff"), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_delete(t, "sync:u:00ff"), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(db_txn_meta_clear(t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_meta_get(t, "sync:cookie", &a, &v, &len), ORTH_E_NOTFOUND);
	n = 0;
	EXPECT_EQ_INT(db_txn_meta_iterate(t, "sync:", meta_count, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 0);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	db_close(db);
	/* and the database still opens: its own metadata survived */
	EXPECT_EQ_INT(db_open(&o, &db, err, sizeof(err)), ORTH_OK);
	db_close(db);
	arena_free(&a);
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
	struct db_verify v = {0};
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
	EXPECT_EQ_INT(db_key_seal(db, "ann@EX.COM", 1, k, DB_SALT_NORMAL,
				  (const uint8_t *)"EX.COMann", 9, NULL, 0, &a, &ks.keys[0]),
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
	EXPECT_EQ_INT(db_key_unseal(db, "ann@EX.COM", &g->hist[0], &out), ORTH_OK);
	{
		size_t kl, ol;
		const uint8_t *kb = crypto_key_bytes(k, &kl), *ob = crypto_key_bytes(out, &ol);
		EXPECT(kl == ol && memcmp(kb, ob, kl) == 0);
	}
	crypto_key_free(out);
	out = NULL;
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(v.count, 1);
	EXPECT_EQ_INT(v.unbound_entries, 0);
	/* a read transaction changes nothing: the counter stays */
	EXPECT_EQ_INT(db_last_txnid(db), txn0 + 1);

	/* verify: a dangling policy name, a history key that does not
	 * decrypt */
	e->policy = "gone";
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_OK);
	err[0] = '\0';
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_E_NOTFOUND);
	EXPECT(strstr(err, "ann@EX.COM") != NULL && strstr(err, "gone") != NULL);
	e->policy = "strict";
	{
		uint8_t bad[128];
		memcpy(bad, e->hist[0].enc, e->hist[0].enc_len);
		bad[20] ^= 1;
		e->hist[0].enc = bad;
		EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_REPLACE), ORTH_OK);
		err[0] = '\0';
		EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_E_MASTERKEY);
		EXPECT(strstr(err, "history") != NULL);
		EXPECT_EQ_INT(db_key_unseal(db, "ann@EX.COM", &e->hist[0], &out), ORTH_E_MASTERKEY);
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

/* A key of enctype 18 made random, sealed for name and kvno into *out. */
static struct crypto_key *
bound_key(struct db *db, const char *name, uint32_t kvno, struct arena *a, struct db_key *out)
{
	struct crypto_key *k = NULL;

	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	EXPECT_EQ_INT(db_key_seal(db, name, kvno, k, DB_SALT_NORMAL, (const uint8_t *)name,
				  strlen(name), NULL, 0, a, out),
		      ORTH_OK);
	EXPECT_EQ_INT(out->seal, DB_SEAL_BOUND);
	EXPECT_EQ_INT(out->kvno, kvno);
	return k;
}

/* A key sealed the way of records before version 3 (raw, DB_KU_KEY). */
static struct crypto_key *
raw_key(struct db *db, const char *salt, struct arena *a, struct db_key *out)
{
	struct crypto_key *k = NULL;
	size_t kl, clen = 0;
	const uint8_t *kb;
	uint8_t *enc = arena_alloc(a, 128);

	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	kb = crypto_key_bytes(k, &kl);
	EXPECT_EQ_INT(crypto_encrypt(db_master_key(db), DB_KU_KEY, kb, kl, enc, &clen), ORTH_OK);
	memset(out, 0, sizeof(*out));
	*out = (struct db_key){18, DB_SALT_NORMAL, (const uint8_t *)salt, strlen(salt), NULL, 0,
			       enc, clen, DB_SEAL_RAW, 0};
	return k;
}

static bool
same_key(const struct crypto_key *a, const struct crypto_key *b)
{
	size_t al, bl;
	const uint8_t *ab = crypto_key_bytes(a, &al), *bb = crypto_key_bytes(b, &bl);

	return al == bl && memcmp(ab, bb, al) == 0;
}

/* A version 2 record of e, as the code before binding wrote it (raw keys:
 * no seal byte, no history kvno; test_db_record.c checks this encoding
 * against a seed the version 2 code wrote). */
static void
v2_put16(struct writer *w, const void *p, size_t n)
{
	writer_be16(w, (uint16_t)n);
	writer_put(w, p, n);
}

static void
v2_i64(struct writer *w, int64_t v)
{
	writer_be32(w, (uint32_t)((uint64_t)v >> 32));
	writer_be32(w, (uint32_t)v);
}

static void
v2_key(struct writer *w, const struct db_key *k)
{
	writer_be32(w, (uint32_t)k->enctype);
	writer_be16(w, k->salt_type);
	v2_put16(w, k->salt, k->salt_len);
	v2_put16(w, k->s2kparams, k->s2kparams_len);
	v2_put16(w, k->enc, k->enc_len);
}

static size_t
encode_v2(const struct db_entry *e, uint8_t *buf, size_t cap)
{
	struct writer w;

	writer_init(&w, buf, cap);
	writer_u8(&w, 2);
	v2_put16(&w, e->name, strlen(e->name));
	writer_be32(&w, e->attributes);
	v2_i64(&w, e->max_life);
	v2_i64(&w, e->max_renew);
	v2_i64(&w, e->princ_expire);
	v2_i64(&w, e->pw_expire);
	v2_i64(&w, e->last_pw_change);
	v2_i64(&w, e->mod_time);
	v2_put16(&w, e->mod_by, strlen(e->mod_by));
	v2_put16(&w, e->policy, strlen(e->policy));
	writer_u8(&w, (uint8_t)e->nkeysets);
	for (size_t i = 0; i < e->nkeysets; i++) {
		writer_be32(&w, e->keysets[i].kvno);
		writer_u8(&w, (uint8_t)e->keysets[i].nkeys);
		for (size_t j = 0; j < e->keysets[i].nkeys; j++)
			v2_key(&w, &e->keysets[i].keys[j]);
	}
	writer_be32(&w, e->fail_count);
	v2_i64(&w, e->last_failed);
	v2_i64(&w, e->last_success);
	writer_u8(&w, (uint8_t)e->nhist);
	for (size_t i = 0; i < e->nhist; i++)
		v2_key(&w, &e->hist[i]);
	EXPECT_EQ_INT(writer_err(&w), ORTH_OK);
	return w.len;
}

static void
unbound_seen(void *arg, const char *name, size_t nkeys)
{
	char *seen = arg;
	size_t n = strlen(seen);

	snprintf(seen + n, 256 - n, "%s:%zu ", name, nkeys);
}

/*
 * Issue 14 defect 9: keys at rest bound to their principal, kvno and
 * enctype.  Swapped between two entries, moved to another kvno or
 * history, relabelled with another enctype: the key decrypts but is
 * refused, and verify names the entry.  Records of version 2 (raw keys)
 * still work, verify names them, and rebinding (verify, or any write)
 * binds them.  The load path (db_txn_put_raw) refuses what is not a
 * principal of the realm, unknown enctypes and keys that do not unseal.
 */
static void
test_binding(const char *dir)
{
	char path[256], stash[256], err[512] = "", seen[256] = "";
	struct db_options o;
	struct db *db = NULL;
	struct db_txn *t = NULL;
	struct arena a;
	struct db_entry *al = calloc(1, sizeof(*al)), *bo = calloc(1, sizeof(*bo));
	struct db_entry *g = calloc(1, sizeof(*g));
	struct db_keyset ks;
	struct db_key tmp;
	struct crypto_key *ka = NULL, *kb = NULL, *kh = NULL, *out = NULL;
	struct db_verify v = {0};
	uint8_t rec[8192];
	size_t len;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	snprintf(path, sizeof(path), "%s/bind.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/bindstash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);

	/* alice and bob, one bound key each; alice has a history key */
	memset(&ks, 0, sizeof(ks));
	ks.kvno = 1;
	ks.nkeys = 1;
	ka = bound_key(db, "alice@EX.COM", 1, &a, &ks.keys[0]);
	al->name = "alice@EX.COM";
	al->mod_by = al->policy = "";
	EXPECT_EQ_INT(db_entry_add_keyset(al, &ks, 0), ORTH_OK);
	kh = bound_key(db, "alice@EX.COM", 0, &a, &al->hist[0]);
	al->nhist = 1;
	ks.kvno = 4;
	kb = bound_key(db, "bob@EX.COM", 4, &a, &ks.keys[0]);
	bo->name = "bob@EX.COM";
	bo->mod_by = bo->policy = "";
	EXPECT_EQ_INT(db_entry_add_keyset(bo, &ks, 0), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, al, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, bo, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(v.count, 2);
	EXPECT_EQ_INT(v.unbound_entries, 0);
	EXPECT_EQ_INT(db_principal_get(db, "alice@EX.COM", &a, g), ORTH_OK);
	EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_OK);
	EXPECT(out != NULL && same_key(out, ka));
	crypto_key_free(out);
	out = NULL;
	EXPECT_EQ_INT(db_key_unseal(db, "alice@EX.COM", &g->hist[0], &out), ORTH_OK);
	EXPECT(out != NULL && same_key(out, kh));
	crypto_key_free(out);
	out = NULL;

	/* the attack: swap the two current keys (enctype, salt, key) */
	tmp = al->keysets[0].keys[0];
	al->keysets[0].keys[0] = bo->keysets[0].keys[0];
	al->keysets[0].keys[0].kvno = 1;
	bo->keysets[0].keys[0] = tmp;
	EXPECT_EQ_INT(db_principal_put(db, al, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, bo, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_principal_get(db, "alice@EX.COM", &a, g), ORTH_OK);
	EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_E_INTEGRITY);
	EXPECT(out == NULL);
	err[0] = '\0';
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_E_INTEGRITY);
	EXPECT(strstr(err, "alice@EX.COM: kvno 1 enctype aes256-cts-hmac-sha1-96") != NULL);
	EXPECT(strstr(err, "another principal") != NULL);
	EXPECT(strstr(err, "stash") == NULL);
	/* a rename does not launder it */
	EXPECT_EQ_INT(db_principal_rename(db, "alice@EX.COM", "eve@EX.COM"), ORTH_E_INTEGRITY);
	EXPECT_EQ_INT(db_principal_get(db, "eve@EX.COM", &a, g), ORTH_E_NOTFOUND);
	bo->keysets[0].keys[0] = al->keysets[0].keys[0];
	bo->keysets[0].keys[0].kvno = 4;
	al->keysets[0].keys[0] = tmp;
	EXPECT_EQ_INT(db_principal_put(db, al, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, bo, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);

	/* the same key put back under another kvno, or labelled with
	 * another enctype of its length */
	EXPECT_EQ_INT(db_principal_get(db, "alice@EX.COM", &a, g), ORTH_OK);
	ks = g->keysets[0];
	ks.kvno = 2;
	EXPECT_EQ_INT(db_entry_add_keyset(g, &ks, 1), ORTH_OK);
	EXPECT_EQ_INT(db_entry_key(db, g, 18, 2, &out, NULL, NULL), ORTH_E_INTEGRITY);
	EXPECT_EQ_INT(db_entry_key(db, g, 18, 1, &out, NULL, NULL), ORTH_OK);
	crypto_key_free(out);
	out = NULL;
	EXPECT_EQ_INT(db_principal_get(db, "alice@EX.COM", &a, g), ORTH_OK);
	g->keysets[0].keys[0].enctype = 20; /* aes256-sha384: 32 bytes too */
	EXPECT_EQ_INT(db_entry_key(db, g, 20, 0, &out, NULL, NULL), ORTH_E_INTEGRITY);
	/* a history key moved to bob */
	EXPECT_EQ_INT(db_principal_get(db, "bob@EX.COM", &a, g), ORTH_OK);
	g->hist[0] = al->hist[0];
	g->nhist = 1;
	EXPECT_EQ_INT(db_principal_put(db, g, DB_PUT_REPLACE), ORTH_OK);
	err[0] = '\0';
	EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_E_INTEGRITY);
	EXPECT(strstr(err, "bob@EX.COM: password history entry 1") != NULL);
	EXPECT_EQ_INT(db_principal_put(db, bo, DB_PUT_REPLACE), ORTH_OK);

	/* the load path: the swapped record, an unknown enctype, another
	 * realm's name, garbage, a duplicate */
	tmp = al->keysets[0].keys[0];
	al->keysets[0].keys[0] = bo->keysets[0].keys[0];
	EXPECT_EQ_INT(db_entry_encode(al, rec, sizeof(rec), &len), ORTH_OK);
	al->keysets[0].keys[0] = tmp;
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_clear(t), ORTH_OK);
	err[0] = '\0';
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_E_INTEGRITY);
	EXPECT(strstr(err, "alice@EX.COM") != NULL && strstr(err, "another principal") != NULL);
	al->keysets[0].keys[0].enctype = 99;
	EXPECT_EQ_INT(db_entry_encode(al, rec, sizeof(rec), &len), ORTH_OK);
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_E_ENCTYPE);
	EXPECT(strstr(err, "alice@EX.COM: kvno 1: unknown enctype 99") != NULL);
	al->keysets[0].keys[0].enctype = 18;
	al->name = "alice@OTHER.COM";
	EXPECT_EQ_INT(db_entry_encode(al, rec, sizeof(rec), &len), ORTH_OK);
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_E_BADNAME);
	EXPECT(strstr(err, "not a principal of realm EX.COM") != NULL);
	al->name = "alice\\@EX.COM"; /* an escaped '@': no realm at all */
	EXPECT_EQ_INT(db_entry_encode(al, rec, sizeof(rec), &len), ORTH_OK);
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_E_BADNAME);
	al->name = "alice@EX.COM";
	EXPECT_EQ_INT(db_txn_put_raw(t, (const uint8_t *)"\x01\x00", 2, DB_PUT_NEW, err, sizeof(err)),
		      ORTH_E_TRUNCATED);
	EXPECT(strstr(err, "not a principal record") != NULL);
	EXPECT_EQ_INT(db_entry_encode(al, rec, sizeof(rec), &len), ORTH_OK);
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_E_EXISTS);
	EXPECT(strstr(err, "appears twice") != NULL);
	db_txn_abort(t);
	t = NULL;

	/* version 2 records: raw keys, history without kvno */
	{
		struct db_entry *c = calloc(1, sizeof(*c));
		struct crypto_key *kc = NULL, *kch = NULL;

		memset(&ks, 0, sizeof(ks));
		ks.kvno = 3;
		ks.nkeys = 1;
		kc = raw_key(db, "EX.COMcarol", &a, &ks.keys[0]);
		c->name = "carol@EX.COM";
		c->mod_by = c->policy = "";
		EXPECT_EQ_INT(db_entry_add_keyset(c, &ks, 0), ORTH_OK);
		kch = raw_key(db, "EX.COMcarol", &a, &c->hist[0]);
		c->nhist = 1;
		len = encode_v2(c, rec, sizeof(rec));
		EXPECT_EQ_INT(rec[0], 2);
		/* the load path takes it as it is */
		EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
		EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
		t = NULL;
		/* read as before */
		EXPECT_EQ_INT(db_principal_get(db, "carol@EX.COM", &a, g), ORTH_OK);
		EXPECT_EQ_INT(g->keysets[0].keys[0].seal, DB_SEAL_RAW);
		EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_OK);
		EXPECT(out != NULL && same_key(out, kc));
		crypto_key_free(out);
		out = NULL;
		EXPECT_EQ_INT(db_key_unseal(db, "carol@EX.COM", &g->hist[0], &out), ORTH_OK);
		EXPECT(out != NULL && same_key(out, kch));
		crypto_key_free(out);
		out = NULL;
		/* verify names it */
		v = (struct db_verify){.unbound = unbound_seen, .arg = seen};
		EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(v.unbound_entries, 1);
		EXPECT_EQ_INT(v.unbound_keys, 2);
		EXPECT(strcmp(seen, "carol@EX.COM:2 ") == 0);
		/* rebinding binds key set and history, same keys */
		v = (struct db_verify){.rebind = true};
		EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(v.rebound, 1);
		EXPECT_EQ_INT(db_principal_get(db, "carol@EX.COM", &a, g), ORTH_OK);
		EXPECT_EQ_INT(g->keysets[0].keys[0].seal, DB_SEAL_BOUND);
		EXPECT_EQ_INT(g->hist[0].seal, DB_SEAL_BOUND);
		EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_OK);
		EXPECT(out != NULL && same_key(out, kc));
		crypto_key_free(out);
		out = NULL;
		EXPECT_EQ_INT(db_key_unseal(db, "carol@EX.COM", &g->hist[0], &out), ORTH_OK);
		EXPECT(out != NULL && same_key(out, kch));
		crypto_key_free(out);
		out = NULL;
		v = (struct db_verify){0};
		EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(v.unbound_entries, 0);
		/* any write binds too: dave, version 2, gets an attribute */
		c->name = "dave@EX.COM";
		len = encode_v2(c, rec, sizeof(rec));
		EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
		EXPECT_EQ_INT(db_txn_put_raw(t, rec, len, DB_PUT_NEW, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
		t = NULL;
		EXPECT_EQ_INT(db_principal_get(db, "dave@EX.COM", &a, g), ORTH_OK);
		g->attributes |= DB_ATTR_REQUIRES_PREAUTH;
		EXPECT_EQ_INT(db_principal_put(db, g, DB_PUT_REPLACE), ORTH_OK);
		EXPECT_EQ_INT(g->keysets[0].keys[0].seal, DB_SEAL_RAW); /* the caller's copy */
		EXPECT_EQ_INT(db_principal_get(db, "dave@EX.COM", &a, g), ORTH_OK);
		EXPECT_EQ_INT(g->keysets[0].keys[0].seal, DB_SEAL_BOUND);
		EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_OK);
		EXPECT(out != NULL && same_key(out, kc));
		crypto_key_free(out);
		out = NULL;
		/* a raw key that does not decrypt stays as it is, and refused */
		{
			uint8_t bad[128];
			memcpy(bad, c->keysets[0].keys[0].enc, c->keysets[0].keys[0].enc_len);
			bad[20] ^= 1;
			c->keysets[0].keys[0].enc = bad;
			c->name = "erin@EX.COM";
			EXPECT_EQ_INT(db_principal_put(db, c, DB_PUT_NEW), ORTH_OK);
			EXPECT_EQ_INT(db_principal_get(db, "erin@EX.COM", &a, g), ORTH_OK);
			EXPECT_EQ_INT(g->keysets[0].keys[0].seal, DB_SEAL_RAW);
			EXPECT_EQ_INT(g->hist[0].seal, DB_SEAL_BOUND);
			EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_E_MASTERKEY);
			err[0] = '\0';
			EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_E_MASTERKEY);
			EXPECT(strstr(err, "erin@EX.COM: kvno 3") != NULL &&
			       strstr(err, "does not decrypt") != NULL);
		}
		crypto_key_free(kc);
		crypto_key_free(kch);
		free(c);
	}

	db_close(db);
	crypto_key_free(ka);
	crypto_key_free(kb);
	crypto_key_free(kh);
	db_remove_files(path);
	unlink(stash);
	arena_free(&a);
	free(al);
	free(bo);
	free(g);
}

/* What a before-commit hook saw: "P name" (a put), "D name" (a delete),
 * "O name"/"X name" for a policy, one line each, in order. */
struct hook_log {
	char lines[64][48];
	size_t n, calls;
	orth_err fail;
};

static orth_err
hook_record(void *arg, enum db_write_reason why, const struct db_change *c, size_t n)
{
	struct hook_log *h = arg;
	struct arena a;
	struct db_entry e;
	struct db_policy p;

	(void)why;
	h->calls++;
	EXPECT_EQ_INT(arena_init(&a, 1 << 16), ORTH_OK);
	for (size_t i = 0; i < n && h->n < 64; i++, h->n++) {
		char *l = h->lines[h->n];
		arena_reset(&a);
		switch (c[i].kind) {
		case DB_CHANGE_PRINCIPAL:
			EXPECT_EQ_INT(db_entry_decode(c[i].data, c[i].len, &a, &e), ORTH_OK);
			snprintf(l, 48, "P %s", e.name);
			break;
		case DB_CHANGE_POLICY:
			EXPECT_EQ_INT(db_policy_decode(c[i].data, c[i].len, &a, &p), ORTH_OK);
			snprintf(l, 48, "O %s", p.name);
			break;
		case DB_CHANGE_PRINCIPAL_DELETE:
		case DB_CHANGE_POLICY_DELETE:
			snprintf(l, 48, "%c %.*s", c[i].kind == DB_CHANGE_POLICY_DELETE ? 'X' : 'D',
				 (int)c[i].len, (const char *)c[i].data);
			break;
		}
	}
	arena_free(&a);
	return h->fail;
}

/* A before-commit hook (db.h "Forwarding writes") is handed every change
 * of a transaction in order, however many (load, import-mit and verify
 * --rebind write a realm in one); a clear is handed as the deletes of
 * what the transaction did not put again, after its puts; the hook's
 * error leaves the database as it was. */
static void
test_hook(const char *dir)
{
	char path[256], stash[256], err[512] = "", name[32];
	struct db_options o;
	struct db *db = NULL;
	struct db_txn *t = NULL;
	struct db_entry e;
	struct db_policy p;
	struct hook_log *h = calloc(1, sizeof(*h));
	uint64_t txn0;

	snprintf(path, sizeof(path), "%s/hook.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/hookstash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);
	db_commit_hook_set(db, hook_record, h, true);
	memset(&e, 0, sizeof(e));
	e.mod_by = "";
	e.policy = "";
	memset(&p, 0, sizeof(p));
	p.name = "pol";

	/* twenty principals and a policy in one transaction, in order */
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_NEW), ORTH_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "u%02d@EX.COM", i);
		e.name = name;
		EXPECT_EQ_INT(db_txn_put(t, &e, DB_PUT_NEW), ORTH_OK);
	}
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	EXPECT_EQ_INT(h->calls, 1);
	EXPECT_EQ_INT(h->n, 21);
	EXPECT(strcmp(h->lines[0], "O pol") == 0);
	EXPECT(strcmp(h->lines[1], "P u00@EX.COM") == 0);
	EXPECT(strcmp(h->lines[20], "P u19@EX.COM") == 0);

	/* a clear (load): the puts first, then deletes of what is gone,
	 * a delete made before the clear included */
	memset(h, 0, sizeof(*h));
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_delete(t, "u19@EX.COM"), ORTH_OK);
	e.name = "gone@EX.COM";
	EXPECT_EQ_INT(db_txn_put(t, &e, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_txn_clear(t), ORTH_OK);
	e.name = "u05@EX.COM";
	EXPECT_EQ_INT(db_txn_put(t, &e, DB_PUT_NEW), ORTH_OK);
	e.name = "new@EX.COM";
	EXPECT_EQ_INT(db_txn_put(t, &e, DB_PUT_NEW), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	EXPECT_EQ_INT(h->calls, 1);
	/* gone@ put and cleared: a delete of nothing, harmless */
	EXPECT_EQ_INT(h->n, 2 + 20 + 1);
	EXPECT(strcmp(h->lines[0], "P u05@EX.COM") == 0);
	EXPECT(strcmp(h->lines[1], "P new@EX.COM") == 0);
	EXPECT(strcmp(h->lines[2], "D u19@EX.COM") == 0);
	EXPECT(strcmp(h->lines[3], "D gone@EX.COM") == 0);
	EXPECT(strcmp(h->lines[4], "D u00@EX.COM") == 0);
	EXPECT(strcmp(h->lines[9], "D u06@EX.COM") == 0);
	EXPECT(strcmp(h->lines[21], "D u18@EX.COM") == 0);
	EXPECT(strcmp(h->lines[22], "X pol") == 0);

	/* the hook refuses: nothing committed locally */
	memset(h, 0, sizeof(*h));
	h->fail = ORTH_E_NETWORK;
	txn0 = db_last_txnid(db);
	EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "v%d@EX.COM", i);
		e.name = name;
		EXPECT_EQ_INT(db_txn_put(t, &e, DB_PUT_NEW), ORTH_OK);
	}
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_E_NETWORK);
	EXPECT_EQ_INT(h->n, 8);
	EXPECT_EQ_INT(db_last_txnid(db), txn0);
	db_close(db);
	db_remove_files(path);
	unlink(stash);
	free(h);
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
	EXPECT_EQ_INT(db_key_seal(db, "bob@EX.COM", 5, k, DB_SALT_NORMAL,
				  (const uint8_t *)"EX.COMbob", 9, NULL, 0, &a, &ks.keys[0]),
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
	/* what a read saw is the last commit's, until the next commit (the
	 * KDC's entry cache keys on it) */
	{
		uint64_t g0 = 0, g1 = 0, g2 = 0;

		EXPECT_EQ_INT(db_reader_get_at(r, "bob@EX.COM", &a, g, &g0), ORTH_OK);
		EXPECT(g0 != 0 && g0 == db_last_txnid(db));
		EXPECT_EQ_INT(db_reader_get_at(r, "alice@EX.COM", &a, g, &g1), ORTH_E_NOTFOUND);
		EXPECT(g1 == g0);
		EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
		EXPECT_EQ_INT(db_txn_meta_put(t, DB_META_SYNC_PREFIX "gen", "1", 1), ORTH_OK);
		EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
		t = NULL;
		EXPECT(db_last_txnid(db) > g0);
		EXPECT_EQ_INT(db_reader_get_at(r, "bob@EX.COM", &a, g, &g2), ORTH_OK);
		EXPECT(g2 == db_last_txnid(db));
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
	/* the rename sealed the keys again for the new name */
	EXPECT_EQ_INT(db_principal_get(db, "rob@EX.COM", &a, g), ORTH_OK);
	EXPECT_EQ_INT(db_entry_key(db, g, 18, 0, &out, NULL, NULL), ORTH_OK);
	ob = out ? crypto_key_bytes(out, &ol) : NULL;
	EXPECT(ob != NULL && kl == ol && memcmp(kb, ob, kl) == 0);
	crypto_key_free(out);
	out = NULL;
	{
		struct db_verify v = {0};
		EXPECT_EQ_INT(db_verify(db, &v, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(v.count, 1);
	}
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
	test_binding(dir);
	test_meta(dir);
	test_hook(dir);
	rmdir(dir);
	arena_free(&a);
	free(e);
	free(g);
	return test_done("db");
}
