/* test_db.c - the LMDB backend through db.h: create, open, the KDC read
 * path (reader + arena, key decryption), write transactions, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "../test.h"

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
	rmdir(dir);
	arena_free(&a);
	free(e);
	free(g);
	return test_done("db");
}
