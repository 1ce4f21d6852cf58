/*
 * db_lmdb.c - the LMDB backend of db.h: the only file that includes
 * <lmdb.h>.
 *
 * Layout: one environment file (MDB_NOSUBDIR: database_name itself, plus
 * "<database_name>-lock"), three named databases: "meta" (version, realm,
 * master key enctype, check value), "principals" (canonical name ->
 * record) and "policies" (policy name -> policy record).  A database made
 * before policies existed has no "policies": a read-write open adds it, a
 * read-only one sees no policies.  Data returned by LMDB is valid only
 * inside its transaction, so records are decoded into the caller's arena
 * before the transaction ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cursor.h"
#include "base/writer.h"
#include "db.h"

#define STASH_MAGIC "ORTHSTSH"
#define STASH_VERSION 1
#define META_VERSION 1

struct db_reader {
	struct db *db;
	MDB_txn *txn;                /* reset between lookups */
	struct crypto_key *mkey;     /* this reader's copy */
};

struct db {
	MDB_env *env;
	MDB_dbi meta, princ, pol;
	bool has_pol;                /* "policies" exists (see above) */
	char *realm;
	struct crypto_key *mkey;
	uint8_t *check;
	size_t check_len;
	bool readwrite;
	struct db_reader *reader;    /* built-in, lazily opened */
	db_commit_hook_fn hook;      /* see db.h "Forwarding writes" */
	void *hook_arg;
	bool hook_before;
};

struct db_txn {
	struct db *db;
	MDB_txn *txn;
	struct arena scratch;
	/* what was changed, for the commit hook (data: malloc'd copies); the
	 * first ncleared are the deletes a db_txn_clear stands for */
	struct db_change *changes;
	size_t nchanges, cap, ncleared;
	enum db_write_reason why;
	bool quiet;
};

static orth_err
map_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return ORTH_OK;
	case MDB_NOTFOUND: return ORTH_E_NOTFOUND;
	case MDB_KEYEXIST: return ORTH_E_EXISTS;
	case MDB_MAP_FULL: case ENOSPC: case EDQUOT: return ORTH_E_NOSPACE;
	case ENOMEM: return ORTH_E_NOMEM;
	case MDB_CORRUPTED: case MDB_INVALID: case MDB_VERSION_MISMATCH:
		return ORTH_E_MALFORMED;
	case ENOENT: return ORTH_E_NODB;
	default: return rc > 0 ? ORTH_E_IO : ORTH_E_INTERNAL;
	}
}

/* ---- stash ---- */

static orth_err
stash_read(const char *path, struct crypto_key **out, char *err, size_t errlen)
{
	uint8_t buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct cursor c;
	int32_t et;
	size_t klen;
	const uint8_t *kb;
	orth_err ret;

	if (fd < 0) {
		orth_err_format(err, errlen, "cannot read master key stash %s: %s", path, strerror(errno));
		return ORTH_E_MASTERKEY;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		orth_err_format(err, errlen, "cannot read master key stash %s: %s", path, strerror(errno));
		return ORTH_E_MASTERKEY;
	}
	cursor_init(&c, buf, (size_t)n);
	kb = cursor_get(&c, 8);
	if (kb == NULL || memcmp(kb, STASH_MAGIC, 8) != 0 || cursor_u8(&c) != STASH_VERSION) {
		crypto_wipe(buf, sizeof(buf));
		orth_err_format(err, errlen, "master key stash %s is not an Orthrus stash file", path);
		return ORTH_E_MASTERKEY;
	}
	et = (int32_t)cursor_be32(&c);
	klen = cursor_be16(&c);
	kb = cursor_get(&c, klen);
	if (cursor_end(&c) != ORTH_OK || kb == NULL) {
		crypto_wipe(buf, sizeof(buf));
		orth_err_format(err, errlen, "master key stash %s is malformed", path);
		return ORTH_E_MASTERKEY;
	}
	ret = crypto_key_new(et, kb, klen, out);
	crypto_wipe(buf, sizeof(buf));
	if (ret != ORTH_OK) {
		orth_err_format(err, errlen, "master key stash %s holds a bad key (%s)", path,
			orth_err_str(ret));
		return ORTH_E_MASTERKEY;
	}
	return ORTH_OK;
}

/* Written to a temporary file, fsync'd, renamed: never half a stash. */
static orth_err
stash_write(const char *path, const struct crypto_key *key, char *err, size_t errlen)
{
	uint8_t buf[64];
	size_t klen, len;
	const uint8_t *kb = crypto_key_bytes(key, &klen);
	char tmp[4096];
	int fd;
	bool ok;

	if (klen > CRYPTO_MAX_KEY_LEN)
		return ORTH_E_INTERNAL;
	memcpy(buf, STASH_MAGIC, 8);
	buf[8] = STASH_VERSION;
	{
		uint32_t et = (uint32_t)crypto_key_enctype(key);
		buf[9] = (uint8_t)(et >> 24);
		buf[10] = (uint8_t)(et >> 16);
		buf[11] = (uint8_t)(et >> 8);
		buf[12] = (uint8_t)et;
	}
	buf[13] = (uint8_t)(klen >> 8);
	buf[14] = (uint8_t)klen;
	memcpy(buf + 15, kb, klen);
	len = 15 + klen;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return ORTH_E_LIMIT;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		crypto_wipe(buf, sizeof(buf));
		orth_err_format(err, errlen, "cannot write master key stash %s: %s", tmp, strerror(errno));
		return ORTH_E_IO;
	}
	ok = write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0;
	crypto_wipe(buf, sizeof(buf));
	ok = (close(fd) == 0) && ok;
	if (ok && link(tmp, path) != 0) {
		/* link() refuses to replace an existing stash */
		orth_err_format(err, errlen, "cannot write master key stash %s: %s", path, strerror(errno));
		unlink(tmp);
		return errno == EEXIST ? ORTH_E_EXISTS : ORTH_E_IO;
	}
	unlink(tmp);
	if (!ok) {
		orth_err_format(err, errlen, "cannot write master key stash %s", path);
		return ORTH_E_IO;
	}
	return ORTH_OK;
}

/* ---- open / create ---- */

static orth_err
env_open(const struct db_options *o, bool create, struct db *db, char *err, size_t errlen)
{
	int rc;
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS;
	struct stat st;

	if (!create && stat(o->path, &st) != 0) {
		orth_err_format(err, errlen, "database %s missing (run 'orthrus admin init')", o->path);
		return ORTH_E_NODB;
	}
	if (!o->readwrite && !create)
		flags |= MDB_RDONLY;
	rc = mdb_env_create(&db->env);
	if (rc != 0)
		return map_mdb(rc);
	mdb_env_set_maxdbs(db->env, 4);
	mdb_env_set_mapsize(db->env, o->map_size ? o->map_size : DB_DEFAULT_MAP_SIZE);
	rc = mdb_env_open(db->env, o->path, flags, 0600);
	if (rc != 0) {
		orth_err_format(err, errlen, "cannot open database %s: %s", o->path, mdb_strerror(rc));
		mdb_env_close(db->env);
		db->env = NULL;
		return rc == ENOENT ? ORTH_E_NODB : map_mdb(rc);
	}
	return ORTH_OK;
}

static orth_err
meta_load(struct db *db, const struct db_options *o, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	MDB_val k, v;
	int rc;
	orth_err ret = ORTH_OK;
	uint8_t *plain = NULL;
	size_t plen;

	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
	if (rc != 0) {
		orth_err_format(err, errlen, "cannot read database %s: %s", o->path, mdb_strerror(rc));
		return map_mdb(rc);
	}
	if (mdb_dbi_open(txn, "meta", 0, &db->meta) != 0 ||
	    mdb_dbi_open(txn, "principals", 0, &db->princ) != 0) {
		orth_err_format(err, errlen, "database %s is not an Orthrus database (run 'orthrus admin init')",
			o->path);
		CHECK(0, ORTH_E_NODB);
	}
	rc = mdb_dbi_open(txn, "policies", 0, &db->pol);
	CHECK(rc == 0 || rc == MDB_NOTFOUND, map_mdb(rc));
	db->has_pol = rc == 0;
	k.mv_data = "version";
	k.mv_size = 7;
	CHECK(mdb_get(txn, db->meta, &k, &v) == 0 && v.mv_size == 1 &&
		      ((uint8_t *)v.mv_data)[0] == META_VERSION,
	      ORTH_E_MALFORMED);
	k.mv_data = "realm";
	k.mv_size = 5;
	CHECK(mdb_get(txn, db->meta, &k, &v) == 0 && v.mv_size < 256, ORTH_E_MALFORMED);
	db->realm = strndup(v.mv_data, v.mv_size);
	CHECK(db->realm != NULL, ORTH_E_NOMEM);
	if (o->realm != NULL && strcmp(o->realm, db->realm) != 0) {
		orth_err_format(err, errlen, "database %s is for realm %s, not %s", o->path, db->realm,
			o->realm);
		CHECK(0, ORTH_E_CONFIG);
	}
	k.mv_data = "check";
	k.mv_size = 5;
	CHECK(mdb_get(txn, db->meta, &k, &v) == 0 && v.mv_size <= DB_MAX_FIELD, ORTH_E_MALFORMED);
	db->check = malloc(v.mv_size);
	plain = malloc(v.mv_size + 1);
	CHECK(db->check != NULL && plain != NULL, ORTH_E_NOMEM);
	memcpy(db->check, v.mv_data, v.mv_size);
	db->check_len = v.mv_size;
	if (crypto_decrypt(db->mkey, DB_KU_CHECK, db->check, db->check_len, plain, &plen) !=
		    ORTH_OK ||
	    plen != strlen(DB_CHECK_PLAINTEXT) || memcmp(plain, DB_CHECK_PLAINTEXT, plen) != 0) {
		orth_err_format(err, errlen, "wrong master key: the stash %s does not open database %s",
			o->stash_path, o->path);
		CHECK(0, ORTH_E_MASTERKEY);
	}
cleanup:
	if (ret == ORTH_E_MALFORMED)
		orth_err_format(err, errlen, "database %s: metadata missing or malformed", o->path);
	free(plain);
	/* Commit even a read-only txn: the dbi handles opened in it survive
	 * only a commit (an abort closes them). */
	if (ret == ORTH_OK)
		ret = map_mdb(mdb_txn_commit(txn));
	else
		mdb_txn_abort(txn);
	return ret;
}

/* A database made before policies existed gets its "policies" now. */
static orth_err
policies_add(struct db *db, const struct db_options *o, char *err, size_t errlen)
{
	MDB_txn *txn = NULL;
	int rc = mdb_txn_begin(db->env, NULL, 0, &txn);

	if (rc == 0)
		rc = mdb_dbi_open(txn, "policies", MDB_CREATE, &db->pol);
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (rc != 0) {
		orth_err_format(err, errlen, "cannot add policies to database %s: %s", o->path,
			mdb_strerror(rc));
		return map_mdb(rc);
	}
	db->has_pol = true;
	return ORTH_OK;
}

orth_err
db_open(const struct db_options *o, struct db **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct db *db = calloc(1, sizeof(*db));

	CHECK(db != NULL, ORTH_E_NOMEM);
	db->readwrite = o->readwrite;
	TRY(crypto_init());
	TRY(env_open(o, false, db, err, errlen));
	TRY(stash_read(o->stash_path, &db->mkey, err, errlen));
	TRY(meta_load(db, o, err, errlen));
	if (o->readwrite && !db->has_pol)
		TRY(policies_add(db, o, err, errlen));
	*out = db;
	db = NULL;
cleanup:
	db_close(db);
	return ret;
}

static orth_err
put_meta(MDB_txn *txn, MDB_dbi dbi, const char *key, const void *val, size_t len)
{
	MDB_val k = {strlen(key), (void *)key}, v = {len, (void *)val};
	return map_mdb(mdb_put(txn, dbi, &k, &v, 0));
}

orth_err
db_create(const struct db_options *o, int32_t mkey_enctype, const char *password,
	  bool use_stash, struct db **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct db *db = NULL;
	struct stat st;
	MDB_txn *txn = NULL;
	uint8_t check[128];
	size_t check_len;
	uint8_t one = META_VERSION;
	bool made_env = false;

	TRY(crypto_init());
	if (stat(o->path, &st) == 0) {
		orth_err_format(err, errlen, "database %s already exists (refusing to overwrite)", o->path);
		CHECK(0, ORTH_E_EXISTS);
	}
	db = calloc(1, sizeof(*db));
	CHECK(db != NULL, ORTH_E_NOMEM);
	db->readwrite = true;
	db->realm = strdup(o->realm);
	CHECK(db->realm != NULL, ORTH_E_NOMEM);

	if (password != NULL) {
		char salt[512];
		snprintf(salt, sizeof(salt), "%s%s", o->realm, DB_MASTER_SALT_SUFFIX);
		TRY(crypto_string_to_key(mkey_enctype, password, strlen(password),
					 (const uint8_t *)salt, strlen(salt), NULL, 0, &db->mkey));
	} else if (use_stash) {
		TRY(stash_read(o->stash_path, &db->mkey, err, errlen));
	} else
		TRY(crypto_key_random(mkey_enctype, &db->mkey));
	if (!use_stash) {
		/* An existing stash is kept only when asked: it may open another
		 * database. */
		if (stat(o->stash_path, &st) == 0) {
			orth_err_format(err, errlen, "master key stash %s already exists (remove it first)",
				o->stash_path);
			CHECK(0, ORTH_E_EXISTS);
		}
	}
	CHECK(crypto_encrypt_len(crypto_key_enctype(db->mkey), strlen(DB_CHECK_PLAINTEXT)) <=
		      sizeof(check),
	      ORTH_E_INTERNAL);
	TRY(crypto_encrypt(db->mkey, DB_KU_CHECK, (const uint8_t *)DB_CHECK_PLAINTEXT,
			   strlen(DB_CHECK_PLAINTEXT), check, &check_len));

	{
		struct db_options o2 = *o;
		o2.readwrite = true;
		TRY(env_open(&o2, true, db, err, errlen));
	}
	made_env = true;
	CHECK(mdb_txn_begin(db->env, NULL, 0, &txn) == 0, ORTH_E_IO);
	CHECK(mdb_dbi_open(txn, "meta", MDB_CREATE, &db->meta) == 0, ORTH_E_IO);
	CHECK(mdb_dbi_open(txn, "principals", MDB_CREATE, &db->princ) == 0, ORTH_E_IO);
	CHECK(mdb_dbi_open(txn, "policies", MDB_CREATE, &db->pol) == 0, ORTH_E_IO);
	db->has_pol = true;
	TRY(put_meta(txn, db->meta, "version", &one, 1));
	TRY(put_meta(txn, db->meta, "realm", o->realm, strlen(o->realm)));
	TRY(put_meta(txn, db->meta, "check", check, check_len));
	ret = map_mdb(mdb_txn_commit(txn));
	txn = NULL;
	TRY(ret);
	db->check = malloc(check_len);
	CHECK(db->check != NULL, ORTH_E_NOMEM);
	memcpy(db->check, check, check_len);
	db->check_len = check_len;
	if (!use_stash) {
		TRY(stash_write(o->stash_path, db->mkey, err, errlen));
	}
	*out = db;
	db = NULL;
cleanup:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (db != NULL) {
		db_close(db);
		if (made_env)
			db_remove_files(o->path);
	}
	return ret;
}

void
db_remove_files(const char *path)
{
	char lock[4096];
	unlink(path);
	if ((size_t)snprintf(lock, sizeof(lock), "%s-lock", path) < sizeof(lock))
		unlink(lock);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	db_reader_close(db->reader);
	if (db->env != NULL)
		mdb_env_close(db->env);
	crypto_key_free(db->mkey);
	free(db->realm);
	free(db->check);
	free(db);
}

const char *
db_realm(const struct db *db)
{
	return db->realm;
}

struct crypto_key *
db_master_key(struct db *db)
{
	return db->mkey;
}

const uint8_t *
db_master_check(struct db *db, size_t *len_out)
{
	*len_out = db->check_len;
	return db->check;
}

/* ---- keys at rest (db.h) ---- */

/* HMAC(mk, DB_KU_KEY_NAME, name): the name inside a bound key. */
static orth_err
bind_tag(struct crypto_key *mk, const char *name, uint8_t *tag, size_t *tag_len)
{
	int32_t ctype;

	return crypto_checksum_make(mk, DB_KU_KEY_NAME, (const uint8_t *)name, strlen(name),
				    &ctype, tag, tag_len);
}

/*
 * The key k unsealed under mk for the entry name with kvno (k->enctype
 * is the enctype).  A raw key (records before version 3) is only
 * decrypted; a bound one must name this entry, kvno and enctype.
 */
static orth_err
key_unseal(struct crypto_key *mk, const char *name, uint32_t kvno, const struct db_key *k,
	   struct crypto_key **out)
{
	orth_err ret = ORTH_OK;
	uint8_t plain[DB_MAX_FIELD], tag[CRYPTO_MAX_CKSUM_LEN];
	size_t plen = 0, tag_len = 0, n;
	struct cursor c;
	const uint8_t *stored, *kb;

	CHECK(k->enc_len <= sizeof(plain), ORTH_E_MALFORMED);
	if (k->seal == DB_SEAL_RAW) {
		CHECK(crypto_decrypt(mk, DB_KU_KEY, k->enc, k->enc_len, plain, &plen) == ORTH_OK,
		      ORTH_E_MASTERKEY);
		TRY(crypto_key_new(k->enctype, plain, plen, out));
		goto cleanup;
	}
	CHECK(k->seal == DB_SEAL_BOUND, ORTH_E_MALFORMED);
	CHECK(crypto_decrypt(mk, DB_KU_KEY_BOUND, k->enc, k->enc_len, plain, &plen) == ORTH_OK,
	      ORTH_E_MASTERKEY);
	TRY(bind_tag(mk, name, tag, &tag_len));
	/* It decrypted: only we sealed it, so the fields are ours; still
	 * read them through a cursor, and compare each. */
	cursor_init(&c, plain, plen);
	CHECK(cursor_u8(&c) == DB_BIND_VERSION, ORTH_E_MALFORMED);
	CHECK((int32_t)cursor_be32(&c) == k->enctype, ORTH_E_INTEGRITY);
	CHECK(cursor_be32(&c) == kvno, ORTH_E_INTEGRITY);
	n = cursor_u8(&c);
	stored = cursor_get(&c, n);
	CHECK(stored != NULL && n == tag_len && crypto_ct_equal(stored, tag, n),
	      ORTH_E_INTEGRITY);
	n = cursor_left(&c);
	kb = cursor_get(&c, n);
	CHECK(cursor_err(&c) == ORTH_OK && kb != NULL, ORTH_E_MALFORMED);
	TRY(crypto_key_new(k->enctype, kb, n, out));
cleanup:
	crypto_wipe(plain, sizeof(plain));
	return ret;
}

/* Seal key under mk for name and kvno: *out's enc (from a), seal, kvno
 * and enctype set; the rest of *out untouched. */
static orth_err
key_seal(struct crypto_key *mk, const char *name, uint32_t kvno, const struct crypto_key *key,
	 struct arena *a, struct db_key *out)
{
	orth_err ret = ORTH_OK;
	uint8_t plain[1 + 4 + 4 + 1 + CRYPTO_MAX_CKSUM_LEN + CRYPTO_MAX_KEY_LEN];
	uint8_t tag[CRYPTO_MAX_CKSUM_LEN], *enc;
	size_t klen, tag_len = 0, clen;
	const uint8_t *kb = crypto_key_bytes(key, &klen);
	struct writer w;

	TRY(bind_tag(mk, name, tag, &tag_len));
	writer_init(&w, plain, sizeof(plain));
	writer_u8(&w, DB_BIND_VERSION);
	writer_be32(&w, (uint32_t)crypto_key_enctype(key));
	writer_be32(&w, kvno);
	writer_u8(&w, (uint8_t)tag_len);
	writer_put(&w, tag, tag_len);
	writer_put(&w, kb, klen);
	TRY(writer_err(&w));
	clen = crypto_encrypt_len(crypto_key_enctype(mk), w.len);
	enc = arena_alloc(a, clen);
	CHECK(enc != NULL, ORTH_E_LIMIT);
	TRY(crypto_encrypt(mk, DB_KU_KEY_BOUND, plain, w.len, enc, &clen));
	out->enctype = crypto_key_enctype(key);
	out->enc = enc;
	out->enc_len = clen;
	out->seal = DB_SEAL_BOUND;
	out->kvno = kvno;
cleanup:
	crypto_wipe(plain, sizeof(plain));
	return ret;
}

/* Each key of e (its kvno: its key set's, or its own in the history). */
typedef orth_err (*key_visit_fn)(void *arg, struct db_key *k, uint32_t kvno, bool hist,
				 size_t index);

static orth_err
entry_keys_visit(struct db_entry *e, key_visit_fn fn, void *arg)
{
	orth_err ret = ORTH_OK;

	for (size_t i = 0; i < e->nkeysets; i++)
		for (size_t j = 0; j < e->keysets[i].nkeys; j++)
			TRY(fn(arg, &e->keysets[i].keys[j], e->keysets[i].kvno, false, j));
	for (size_t i = 0; i < e->nhist; i++)
		TRY(fn(arg, &e->hist[i], e->hist[i].kvno, true, i));
cleanup:
	return ret;
}

struct reseal {
	struct crypto_key *mk;
	const char *from, *to;       /* unseal for from, seal for to */
	bool all;                    /* every key, not only the raw ones */
	struct arena *a;
	size_t n;                    /* keys sealed again */
};

/* Seal k again, bound to r->to.  A raw key that does not decrypt is left
 * as it is when only raw keys are rebound (still refused where used). */
static orth_err
reseal_one(void *arg, struct db_key *k, uint32_t kvno, bool hist, size_t index)
{
	struct reseal *r = arg;
	struct crypto_key *key = NULL;
	orth_err ret = ORTH_OK;

	(void)hist;
	(void)index;
	if (r->all || k->seal == DB_SEAL_RAW) {
		ret = key_unseal(r->mk, r->from, kvno, k, &key);
		if (ret == ORTH_OK)
			ret = key_seal(r->mk, r->to, kvno, key, r->a, k);
		else if (!r->all)
			ret = ORTH_OK; /* a damaged raw key stays as it is */
		if (ret == ORTH_OK && key != NULL)
			r->n++;
	}
	crypto_key_free(key);
	return ret;
}

static bool
entry_has_raw(const struct db_entry *e)
{
	for (size_t i = 0; i < e->nkeysets; i++)
		for (size_t j = 0; j < e->keysets[i].nkeys; j++)
			if (e->keysets[i].keys[j].seal == DB_SEAL_RAW)
				return true;
	for (size_t i = 0; i < e->nhist; i++)
		if (e->hist[i].seal == DB_SEAL_RAW)
			return true;
	return false;
}

/* ---- readers ---- */

orth_err
db_reader_open(struct db *db, struct db_reader **out)
{
	orth_err ret = ORTH_OK;
	struct db_reader *r = calloc(1, sizeof(*r));
	int rc;

	CHECK(r != NULL, ORTH_E_NOMEM);
	r->db = db;
	TRY(crypto_key_copy(db->mkey, &r->mkey));
	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &r->txn);
	CHECK(rc == 0, map_mdb(rc));
	mdb_txn_reset(r->txn);
	*out = r;
	r = NULL;
cleanup:
	db_reader_close(r);
	return ret;
}

void
db_reader_close(struct db_reader *r)
{
	if (r == NULL)
		return;
	if (r->txn != NULL)
		mdb_txn_abort(r->txn);
	crypto_key_free(r->mkey);
	free(r);
}

static orth_err
get_in(MDB_txn *txn, MDB_dbi dbi, const char *name, struct arena *a, struct db_entry *out)
{
	MDB_val k, v;
	int rc;
	size_t nlen = strlen(name);
	orth_err ret;

	if (nlen == 0 || nlen > DB_MAX_NAME)
		return ORTH_E_BADNAME;
	k.mv_data = (void *)name;
	k.mv_size = nlen;
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc != 0)
		return map_mdb(rc);
	ret = db_entry_decode(v.mv_data, v.mv_size, a, out);
	if (ret == ORTH_OK && strcmp(out->name, name) != 0)
		ret = ORTH_E_MALFORMED;
	return ret;
}

orth_err
db_reader_get(struct db_reader *r, const char *name, struct arena *a, struct db_entry *out)
{
	uint64_t gen;

	return db_reader_get_at(r, name, a, out, &gen);
}

orth_err
db_reader_get_at(struct db_reader *r, const char *name, struct arena *a, struct db_entry *out,
		 uint64_t *gen_out)
{
	orth_err ret;
	int rc = mdb_txn_renew(r->txn);
	if (rc != 0)
		return map_mdb(rc);
	*gen_out = mdb_txn_id(r->txn);
	/* Decoded (copied into a) before the snapshot is released. */
	ret = get_in(r->txn, r->db->princ, name, a, out);
	mdb_txn_reset(r->txn);
	return ret;
}

/* The policy name from dbi of txn, decoded into a. */
static orth_err
policy_get_in(MDB_txn *txn, MDB_dbi dbi, const char *name, struct arena *a,
	      struct db_policy *out)
{
	MDB_val k, v;
	int rc;
	size_t nlen = strlen(name);
	orth_err ret;

	if (nlen == 0 || nlen > DB_MAX_POLICY_NAME)
		return ORTH_E_NOTFOUND;
	k.mv_data = (void *)name;
	k.mv_size = nlen;
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc != 0)
		return map_mdb(rc);
	ret = db_policy_decode(v.mv_data, v.mv_size, a, out);
	if (ret == ORTH_OK && strcmp(out->name, name) != 0)
		ret = ORTH_E_MALFORMED;
	return ret;
}

orth_err
db_reader_policy_get(struct db_reader *r, const char *name, struct arena *a,
		     struct db_policy *out)
{
	orth_err ret;
	int rc;

	if (!r->db->has_pol)
		return ORTH_E_NOTFOUND;
	rc = mdb_txn_renew(r->txn);
	if (rc != 0)
		return map_mdb(rc);
	ret = policy_get_in(r->txn, r->db->pol, name, a, out);
	mdb_txn_reset(r->txn);
	return ret;
}

orth_err
db_reader_key(struct db_reader *r, const struct db_entry *e, int32_t enctype, uint32_t kvno,
	      struct crypto_key **key_out, const struct db_key **info_out, uint32_t *kvno_out)
{
	/* kvno 0: the current key set (keysets[0]) only, never an older
	 * one that happens to have the enctype (see db.h). */
	for (size_t i = 0; i < e->nkeysets && (kvno != 0 || i == 0); i++) {
		const struct db_keyset *ks = &e->keysets[i];
		if (kvno != 0 && ks->kvno != kvno)
			continue;
		for (size_t j = 0; j < ks->nkeys; j++) {
			const struct db_key *k = &ks->keys[j];
			orth_err ret;
			if (k->enctype != enctype)
				continue;
			/* bound to this entry and this key set's kvno */
			ret = key_unseal(r->mkey, e->name, ks->kvno, k, key_out);
			if (ret != ORTH_OK)
				return ret;
			if (info_out != NULL)
				*info_out = k;
			if (kvno_out != NULL)
				*kvno_out = ks->kvno;
			return ORTH_OK;
		}
	}
	return ORTH_E_NOTFOUND;
}

static orth_err
builtin_reader(struct db *db)
{
	if (db->reader != NULL)
		return ORTH_OK;
	return db_reader_open(db, &db->reader);
}

orth_err
db_principal_get(struct db *db, const char *name, struct arena *a, struct db_entry *out)
{
	orth_err ret = builtin_reader(db);
	if (ret != ORTH_OK)
		return ret;
	return db_reader_get(db->reader, name, a, out);
}

orth_err
db_policy_get(struct db *db, const char *name, struct arena *a, struct db_policy *out)
{
	orth_err ret = builtin_reader(db);
	if (ret != ORTH_OK)
		return ret;
	return db_reader_policy_get(db->reader, name, a, out);
}

orth_err
db_entry_key(struct db *db, const struct db_entry *e, int32_t enctype, uint32_t kvno,
	     struct crypto_key **key_out, const struct db_key **info_out, uint32_t *kvno_out)
{
	orth_err ret = builtin_reader(db);
	if (ret != ORTH_OK)
		return ret;
	return db_reader_key(db->reader, e, enctype, kvno, key_out, info_out, kvno_out);
}

orth_err
db_principal_iterate(struct db *db, db_iterate_fn fn, void *arg)
{
	orth_err ret = ORTH_OK;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct arena a = {0};
	int rc;

	TRY(arena_init(&a, 4 * DB_MAX_RECORD));
	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
	CHECK(rc == 0, map_mdb(rc));
	rc = mdb_cursor_open(txn, db->princ, &cur);
	CHECK(rc == 0, map_mdb(rc));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct db_entry e;
		arena_reset(&a);
		TRY(db_entry_decode(v.mv_data, v.mv_size, &a, &e));
		CHECK(strlen(e.name) == k.mv_size && memcmp(e.name, k.mv_data, k.mv_size) == 0,
		      ORTH_E_MALFORMED);
		TRY(fn(arg, &e, v.mv_data, v.mv_size));
	}
	CHECK(rc == MDB_NOTFOUND, map_mdb(rc));
cleanup:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	arena_free(&a);
	return ret;
}

orth_err
db_policy_iterate(struct db *db, db_policy_iterate_fn fn, void *arg)
{
	orth_err ret = ORTH_OK;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	struct arena a = {0};
	int rc;

	if (!db->has_pol)
		return ORTH_OK;
	TRY(arena_init(&a, DB_MAX_RECORD));
	rc = mdb_txn_begin(db->env, NULL, MDB_RDONLY, &txn);
	CHECK(rc == 0, map_mdb(rc));
	rc = mdb_cursor_open(txn, db->pol, &cur);
	CHECK(rc == 0, map_mdb(rc));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct db_policy p;
		arena_reset(&a);
		TRY(db_policy_decode(v.mv_data, v.mv_size, &a, &p));
		CHECK(strlen(p.name) == k.mv_size && memcmp(p.name, k.mv_data, k.mv_size) == 0,
		      ORTH_E_MALFORMED);
		TRY(fn(arg, &p, v.mv_data, v.mv_size));
	}
	CHECK(rc == MDB_NOTFOUND, map_mdb(rc));
cleanup:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (txn != NULL)
		mdb_txn_abort(txn);
	arena_free(&a);
	return ret;
}

orth_err
db_key_seal(struct db *db, const char *name, uint32_t kvno, const struct crypto_key *key,
	    uint16_t salt_type, const uint8_t *salt, size_t salt_len, const uint8_t *s2kparams,
	    size_t s2kparams_len, struct arena *a, struct db_key *out)
{
	orth_err ret = ORTH_OK;
	struct crypto_key *mk = NULL;

	CHECK(salt_len <= DB_MAX_FIELD && s2kparams_len <= DB_MAX_FIELD, ORTH_E_LIMIT);
	memset(out, 0, sizeof(*out));
	/* A copy: key objects cache derived keys and are not thread-safe,
	 * and kpasswd seals from the KDC's workers (copying only reads the
	 * key's fixed bytes). */
	TRY(crypto_key_copy(db->mkey, &mk));
	TRY(key_seal(mk, name, kvno, key, a, out));
	out->salt_type = salt_type;
	out->salt = salt_len ? arena_dup(a, salt, salt_len) : NULL;
	out->salt_len = salt_len;
	out->s2kparams = s2kparams_len ? arena_dup(a, s2kparams, s2kparams_len) : NULL;
	out->s2kparams_len = s2kparams_len;
	CHECK((salt_len == 0 || out->salt != NULL) && (s2kparams_len == 0 || out->s2kparams != NULL),
	      ORTH_E_LIMIT);
cleanup:
	crypto_key_free(mk);
	return ret;
}

orth_err
db_key_unseal(struct db *db, const char *name, const struct db_key *k, struct crypto_key **out)
{
	struct crypto_key *mk = NULL;
	orth_err ret = crypto_key_copy(db->mkey, &mk);

	if (ret == ORTH_OK)
		ret = key_unseal(mk, name, k->kvno, k, out);
	crypto_key_free(mk);
	return ret;
}

const char *
db_key_err_str(orth_err e)
{
	switch (e) {
	case ORTH_E_MASTERKEY:
		return "does not decrypt under the database's master key (damaged, or from "
		       "another database)";
	case ORTH_E_INTEGRITY:
		return "sealed for another principal, kvno or enctype (moved from another entry)";
	case ORTH_E_MALFORMED:
		return "malformed sealed key";
	case ORTH_E_ENCTYPE:
		return "unknown enctype";
	case ORTH_E_KEYSIZE:
		return "key of the wrong length for its enctype";
	default:
		return orth_err_str(e);
	}
}

struct check_state {
	struct crypto_key *mk;
	const char *name;
	size_t raw;
	char *err;
	size_t errlen;
};

static orth_err
check_one(struct check_state *cs, const struct db_key *k, uint32_t kvno, bool hist,
	  size_t index)
{
	struct crypto_key *key = NULL;
	orth_err ret = ORTH_OK;
	char where[64];

	if (hist)
		snprintf(where, sizeof(where), "password history entry %zu", index + 1);
	else
		snprintf(where, sizeof(where), "kvno %u", (unsigned)kvno);
	if (!crypto_enctype_supported(k->enctype)) {
		orth_err_format(cs->err, cs->errlen, "%s: %s: unknown enctype %d", cs->name, where,
				(int)k->enctype);
		CHECK(0, ORTH_E_ENCTYPE);
	}
	ret = key_unseal(cs->mk, cs->name, kvno, k, &key);
	if (ret != ORTH_OK) {
		orth_err_format(cs->err, cs->errlen, "%s: %s enctype %s: key %s", cs->name, where,
				crypto_enctype_name(k->enctype), db_key_err_str(ret));
		goto cleanup;
	}
	if (k->seal == DB_SEAL_RAW)
		cs->raw++;
cleanup:
	crypto_key_free(key);
	return ret;
}

orth_err
db_entry_check(struct db *db, const struct db_entry *e, size_t *unbound_out, char *err,
	       size_t errlen)
{
	struct check_state cs = {NULL, e->name, 0, err, errlen};
	orth_err ret;

	TRY(crypto_key_copy(db->mkey, &cs.mk));
	for (size_t i = 0; i < e->nkeysets; i++)
		for (size_t j = 0; j < e->keysets[i].nkeys; j++)
			TRY(check_one(&cs, &e->keysets[i].keys[j], e->keysets[i].kvno, false, j));
	for (size_t i = 0; i < e->nhist; i++)
		TRY(check_one(&cs, &e->hist[i], e->hist[i].kvno, true, i));
cleanup:
	crypto_key_free(cs.mk);
	if (ret == ORTH_OK && unbound_out != NULL)
		*unbound_out = cs.raw;
	return ret;
}

/* From the newest meta page, without a read transaction.  A commit writes
 * its meta page before it publishes the id new read transactions start
 * from, so this is never behind what the next db_reader_get_at reads
 * (being briefly ahead only costs a cache miss). */
uint64_t
db_last_txnid(struct db *db)
{
	MDB_envinfo info;

	if (mdb_env_info(db->env, &info) != 0)
		return 0;
	return (uint64_t)info.me_last_txnid;
}

/* ---- writes ---- */

orth_err
db_txn_begin(struct db *db, struct db_txn **out)
{
	orth_err ret = ORTH_OK;
	struct db_txn *t = NULL;
	int rc;

	CHECK(db->readwrite, ORTH_E_INTERNAL);
	t = calloc(1, sizeof(*t));
	CHECK(t != NULL, ORTH_E_NOMEM);
	t->db = db;
	TRY(arena_init(&t->scratch, 2 * DB_MAX_RECORD));
	rc = mdb_txn_begin(db->env, NULL, 0, &t->txn);
	CHECK(rc == 0, map_mdb(rc));
	*out = t;
	t = NULL;
cleanup:
	db_txn_abort(t);
	return ret;
}

/*
 * After a clear, the hook gets the transaction's puts first and then the
 * deletes of what was there and was not put again: an entry a load keeps
 * is overwritten in place (never absent from the directory for a moment),
 * and a forwarding stopped half-way has removed nothing yet.
 */
static orth_err
hook_cleared_order(struct db_txn *t)
{
	orth_err ret = ORTH_OK;
	struct db_change *out = NULL;
	size_t n = 0;
	MDB_val k, v;

	if (t->ncleared == 0)
		return ORTH_OK;
	out = malloc(t->nchanges * sizeof(*out));
	CHECK(out != NULL, ORTH_E_NOMEM);
	for (size_t i = t->ncleared; i < t->nchanges; i++)
		out[n++] = t->changes[i];
	for (size_t i = 0; i < t->ncleared; i++) {
		struct db_change *c = &t->changes[i];
		MDB_dbi dbi = c->kind == DB_CHANGE_POLICY_DELETE ? t->db->pol : t->db->princ;
		k = (MDB_val){c->len, (void *)(uintptr_t)c->data};
		if (mdb_get(t->txn, dbi, &k, &v) == MDB_SUCCESS)
			free((void *)(uintptr_t)c->data); /* put again: not a delete */
		else
			out[n++] = *c;
	}
	free(t->changes);
	t->changes = out;
	t->nchanges = n;
	t->cap = n;
	t->ncleared = 0;
	out = NULL;
cleanup:
	free(out);
	return ret;
}

/* Drop the changes kept for the hook. */
static void
hook_forget(struct db_txn *t)
{
	for (size_t i = 0; i < t->nchanges; i++)
		free((void *)(uintptr_t)t->changes[i].data);
	free(t->changes);
	t->changes = NULL;
	t->nchanges = t->cap = t->ncleared = 0;
}

orth_err
db_txn_commit(struct db_txn *t)
{
	orth_err ret = ORTH_OK;
	struct db *db = t->db;
	bool forward = db->hook != NULL && t->nchanges > 0;

	if (forward)
		ret = hook_cleared_order(t);
	if (ret == ORTH_OK && forward && db->hook_before)
		ret = db->hook(db->hook_arg, t->why, t->changes, t->nchanges);
	if (ret == ORTH_OK) {
		ret = map_mdb(mdb_txn_commit(t->txn));
		t->txn = NULL;
	}
	if (ret == ORTH_OK && forward && !db->hook_before)
		(void)db->hook(db->hook_arg, t->why, t->changes, t->nchanges);
	db_txn_abort(t);
	return ret;
}

void
db_txn_abort(struct db_txn *t)
{
	if (t == NULL)
		return;
	if (t->txn != NULL)
		mdb_txn_abort(t->txn);
	hook_forget(t);
	arena_free(&t->scratch);
	free(t);
}

void
db_commit_hook_set(struct db *db, db_commit_hook_fn fn, void *arg, bool before)
{
	db->hook = fn;
	db->hook_arg = arg;
	db->hook_before = before;
}

void
db_txn_reason(struct db_txn *t, enum db_write_reason why)
{
	t->why = why;
}

void
db_txn_quiet(struct db_txn *t)
{
	t->quiet = true;
}

/* Keep a copy of a change made through t for the commit hook: as many
 * as the transaction makes (a load or an import writes a realm in one). */
static orth_err
hook_keep(struct db_txn *t, enum db_change_kind kind, const void *data, size_t len)
{
	uint8_t *copy;

	if (t->db->hook == NULL || t->quiet)
		return ORTH_OK;
	if (t->nchanges == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct db_change *c = realloc(t->changes, cap * sizeof(*c));
		if (c == NULL)
			return ORTH_E_NOMEM;
		t->changes = c;
		t->cap = cap;
	}
	copy = malloc(len);
	if (copy == NULL)
		return ORTH_E_NOMEM;
	memcpy(copy, data, len);
	t->changes[t->nchanges++] = (struct db_change){kind, copy, len};
	return ORTH_OK;
}

/* Keep a delete for every key of dbi (a clear, forwarded). */
static orth_err
hook_keep_all(struct db_txn *t, MDB_dbi dbi, enum db_change_kind kind)
{
	orth_err ret = ORTH_OK;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	TRY(map_mdb(mdb_cursor_open(t->txn, dbi, &cur)));
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		TRY(hook_keep(t, kind, k.mv_data, k.mv_size));
	CHECK(rc == MDB_NOTFOUND, map_mdb(rc));
cleanup:
	if (cur != NULL)
		mdb_cursor_close(cur);
	return ret;
}

orth_err
db_txn_get(struct db_txn *t, const char *name, struct arena *a, struct db_entry *out)
{
	return get_in(t->txn, t->db->princ, name, a, out);
}

static orth_err
put_in(struct db_txn *t, MDB_dbi dbi, const char *name, const uint8_t *rec, size_t len,
       enum db_put_mode mode)
{
	MDB_val k = {strlen(name), (void *)name}, v = {len, (void *)rec}, old;
	int rc;
	if (mode == DB_PUT_REPLACE) {
		rc = mdb_get(t->txn, dbi, &k, &old);
		if (rc != 0)
			return map_mdb(rc);
	}
	rc = mdb_put(t->txn, dbi, &k, &v, mode == DB_PUT_NEW ? MDB_NOOVERWRITE : 0);
	return map_mdb(rc);
}

static orth_err
put_record(struct db_txn *t, const char *name, const uint8_t *rec, size_t len,
	   enum db_put_mode mode)
{
	size_t n = strlen(name);
	if (n == 0 || n > DB_MAX_NAME)
		return ORTH_E_BADNAME;
	return put_in(t, t->db->princ, name, rec, len, mode);
}

orth_err
db_txn_put(struct db_txn *t, const struct db_entry *e, enum db_put_mode mode)
{
	orth_err ret = ORTH_OK;
	size_t len;
	uint8_t *buf;
	struct db_entry *bound = NULL;
	struct reseal r = {NULL, e->name, e->name, false, &t->scratch, 0};

	arena_reset(&t->scratch);
	buf = arena_alloc(&t->scratch, DB_MAX_RECORD);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	if (entry_has_raw(e)) {
		/* Keys sealed before binding are bound now, on a copy: every
		 * write moves a database towards all-bound (db.h). */
		bound = arena_alloc(&t->scratch, sizeof(*bound));
		CHECK(bound != NULL, ORTH_E_NOMEM);
		*bound = *e;
		TRY(crypto_key_copy(t->db->mkey, &r.mk));
		TRY(entry_keys_visit(bound, reseal_one, &r));
		e = bound;
	}
	TRY(db_entry_encode(e, buf, DB_MAX_RECORD, &len));
	TRY(put_record(t, e->name, buf, len, mode));
	TRY(hook_keep(t, DB_CHANGE_PRINCIPAL, buf, len));
cleanup:
	crypto_key_free(r.mk);
	return ret;
}

/* name is "...@realm" with that '@' not escaped (principal_unparse's
 * form, RFC 1964 escapes), so the record is a principal of this realm. */
static bool
name_in_realm(const char *name, const char *realm)
{
	const char *at = NULL;

	for (const char *p = name; *p != '\0'; p++) {
		if (*p == '\\') {
			if (p[1] == '\0')
				return false;
			p++;
		} else if (*p == '@') {
			at = p;
		}
	}
	return at != NULL && at != name && strcmp(at + 1, realm) == 0;
}

orth_err
db_txn_put_raw(struct db_txn *t, const uint8_t *rec, size_t len, enum db_put_mode mode,
	       char *err, size_t errlen)
{
	struct db_entry e;
	orth_err ret;

	arena_reset(&t->scratch);
	ret = db_entry_decode(rec, len, &t->scratch, &e);
	if (ret != ORTH_OK) {
		orth_err_format(err, errlen, "not a principal record: %s", orth_err_str(ret));
		goto cleanup;
	}
	if (!name_in_realm(e.name, t->db->realm)) {
		orth_err_format(err, errlen, "record '%s' is not a principal of realm %s", e.name,
				t->db->realm);
		CHECK(0, ORTH_E_BADNAME);
	}
	TRY(db_entry_check(t->db, &e, NULL, err, errlen));
	ret = put_record(t, e.name, rec, len, mode);
	if (ret == ORTH_OK)
		ret = hook_keep(t, DB_CHANGE_PRINCIPAL, rec, len);
	if (ret == ORTH_E_EXISTS)
		orth_err_format(err, errlen, "%s appears twice", e.name);
cleanup:
	return ret;
}

orth_err
db_txn_delete(struct db_txn *t, const char *name)
{
	MDB_val k = {strlen(name), (void *)name};
	orth_err ret;

	if (k.mv_size == 0 || k.mv_size > DB_MAX_NAME)
		return ORTH_E_BADNAME;
	ret = map_mdb(mdb_del(t->txn, t->db->princ, &k, NULL));
	if (ret == ORTH_OK)
		ret = hook_keep(t, DB_CHANGE_PRINCIPAL_DELETE, name, k.mv_size);
	return ret;
}

orth_err
db_txn_clear(struct db_txn *t)
{
	orth_err ret = ORTH_OK;

	/* Forwarded as a delete of everything there now and of what this
	 * transaction deleted before (its puts are gone with the clear);
	 * hook_cleared_order keeps only the deletes of what is not put
	 * again. */
	if (t->db->hook != NULL && !t->quiet) {
		size_t n = 0;
		for (size_t i = 0; i < t->nchanges; i++) {
			enum db_change_kind kind = t->changes[i].kind;
			if (kind == DB_CHANGE_PRINCIPAL_DELETE || kind == DB_CHANGE_POLICY_DELETE)
				t->changes[n++] = t->changes[i];
			else
				free((void *)(uintptr_t)t->changes[i].data);
		}
		t->nchanges = n;
		TRY(hook_keep_all(t, t->db->princ, DB_CHANGE_PRINCIPAL_DELETE));
		TRY(hook_keep_all(t, t->db->pol, DB_CHANGE_POLICY_DELETE));
		t->ncleared = t->nchanges;
	}
	TRY(map_mdb(mdb_drop(t->txn, t->db->princ, 0)));
	TRY(map_mdb(mdb_drop(t->txn, t->db->pol, 0)));
cleanup:
	return ret;
}

orth_err
db_txn_policy_get(struct db_txn *t, const char *name, struct arena *a, struct db_policy *out)
{
	return policy_get_in(t->txn, t->db->pol, name, a, out);
}

orth_err
db_txn_policy_put(struct db_txn *t, const struct db_policy *p, enum db_put_mode mode)
{
	orth_err ret;
	size_t len;
	uint8_t *buf;

	arena_reset(&t->scratch);
	buf = arena_alloc(&t->scratch, DB_MAX_RECORD);
	if (buf == NULL)
		return ORTH_E_NOMEM;
	ret = db_policy_encode(p, buf, DB_MAX_RECORD, &len);
	if (ret == ORTH_OK)
		ret = put_in(t, t->db->pol, p->name, buf, len, mode);
	if (ret == ORTH_OK)
		ret = hook_keep(t, DB_CHANGE_POLICY, buf, len);
	return ret;
}

orth_err
db_txn_policy_put_raw(struct db_txn *t, const uint8_t *rec, size_t len, enum db_put_mode mode)
{
	struct db_policy p;
	orth_err ret;

	arena_reset(&t->scratch);
	ret = db_policy_decode(rec, len, &t->scratch, &p);
	if (ret == ORTH_OK)
		ret = put_in(t, t->db->pol, p.name, rec, len, mode);
	if (ret == ORTH_OK)
		ret = hook_keep(t, DB_CHANGE_POLICY, rec, len);
	return ret;
}

orth_err
db_txn_policy_delete(struct db_txn *t, const char *name)
{
	MDB_val k = {strlen(name), (void *)name};
	orth_err ret;

	if (k.mv_size == 0 || k.mv_size > DB_MAX_POLICY_NAME)
		return ORTH_E_NOTFOUND;
	ret = map_mdb(mdb_del(t->txn, t->db->pol, &k, NULL));
	if (ret == ORTH_OK)
		ret = hook_keep(t, DB_CHANGE_POLICY_DELETE, name, k.mv_size);
	return ret;
}

/* ---- the replica's sync state (db.h) ---- */

static bool
meta_key_ok(const char *key, MDB_val *k)
{
	size_t n = strlen(key);
	k->mv_data = (void *)(uintptr_t)key;
	k->mv_size = n;
	return n > strlen(DB_META_SYNC_PREFIX) && n <= DB_MAX_NAME &&
	       strncmp(key, DB_META_SYNC_PREFIX, strlen(DB_META_SYNC_PREFIX)) == 0;
}

orth_err
db_txn_meta_get(struct db_txn *t, const char *key, struct arena *a, const uint8_t **val_out,
		size_t *len_out)
{
	orth_err ret = ORTH_OK;
	MDB_val k, v;
	const uint8_t *copy;

	CHECK(meta_key_ok(key, &k), ORTH_E_RANGE);
	TRY(map_mdb(mdb_get(t->txn, t->db->meta, &k, &v)));
	copy = arena_dup(a, v.mv_data, v.mv_size);
	CHECK(copy != NULL || v.mv_size == 0, ORTH_E_LIMIT);
	*val_out = copy;
	*len_out = v.mv_size;
cleanup:
	return ret;
}

orth_err
db_txn_meta_put(struct db_txn *t, const char *key, const void *val, size_t len)
{
	MDB_val k, v = {len, (void *)(uintptr_t)val};

	if (!meta_key_ok(key, &k) || len > DB_MAX_RECORD)
		return ORTH_E_RANGE;
	return map_mdb(mdb_put(t->txn, t->db->meta, &k, &v, 0));
}

orth_err
db_txn_meta_delete(struct db_txn *t, const char *key)
{
	MDB_val k;

	if (!meta_key_ok(key, &k))
		return ORTH_E_RANGE;
	return map_mdb(mdb_del(t->txn, t->db->meta, &k, NULL));
}

/* Every "sync:" key starting with prefix: fn gets it, or with fn NULL it
 * is deleted. */
static orth_err
meta_walk(struct db_txn *t, const char *prefix, db_meta_iterate_fn fn, void *arg)
{
	orth_err ret = ORTH_OK;
	MDB_cursor *c = NULL;
	size_t plen = strlen(prefix);
	MDB_val k = {plen, (void *)(uintptr_t)prefix}, v;
	int rc;

	/* the bare "sync:" too: every key of the replica */
	CHECK(plen <= DB_MAX_NAME &&
		      strncmp(prefix, DB_META_SYNC_PREFIX, strlen(DB_META_SYNC_PREFIX)) == 0,
	      ORTH_E_RANGE);
	TRY(map_mdb(mdb_cursor_open(t->txn, t->db->meta, &c)));
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)
			break;
		if (fn != NULL)
			TRY(fn(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size));
		else
			TRY(map_mdb(mdb_cursor_del(c, 0)));
	}
	CHECK(rc == 0 || rc == MDB_NOTFOUND, map_mdb(rc));
cleanup:
	if (c != NULL)
		mdb_cursor_close(c);
	return ret;
}

orth_err
db_txn_meta_clear(struct db_txn *t)
{
	return meta_walk(t, DB_META_SYNC_PREFIX, NULL, NULL);
}

orth_err
db_txn_meta_iterate(struct db_txn *t, const char *prefix, db_meta_iterate_fn fn, void *arg)
{
	return meta_walk(t, prefix, fn, arg);
}

orth_err
db_txn_set_check(struct db_txn *t, const uint8_t *check, size_t len)
{
	uint8_t plain[DB_MAX_FIELD];
	size_t plen = 0;
	orth_err ret;
	uint8_t *copy;

	if (len > sizeof(plain))
		return ORTH_E_MASTERKEY;
	if (crypto_decrypt(t->db->mkey, DB_KU_CHECK, check, len, plain, &plen) != ORTH_OK ||
	    plen != strlen(DB_CHECK_PLAINTEXT) || memcmp(plain, DB_CHECK_PLAINTEXT, plen) != 0)
		return ORTH_E_MASTERKEY;
	ret = put_meta(t->txn, t->db->meta, "check", check, len);
	if (ret != ORTH_OK)
		return ret;
	/* The in-memory copy follows (visible after commit; same key anyway). */
	copy = malloc(len);
	if (copy == NULL)
		return ORTH_E_NOMEM;
	memcpy(copy, check, len);
	free(t->db->check);
	t->db->check = copy;
	t->db->check_len = len;
	return ORTH_OK;
}

orth_err
db_principal_put(struct db *db, const struct db_entry *e, enum db_put_mode mode)
{
	struct db_txn *t = NULL;
	orth_err ret;
	TRY(db_txn_begin(db, &t));
	TRY(db_txn_put(t, e, mode));
	ret = db_txn_commit(t);
	t = NULL;
cleanup:
	db_txn_abort(t);
	return ret;
}

orth_err
db_principal_delete(struct db *db, const char *name)
{
	struct db_txn *t = NULL;
	orth_err ret;
	TRY(db_txn_begin(db, &t));
	TRY(db_txn_delete(t, name));
	ret = db_txn_commit(t);
	t = NULL;
cleanup:
	db_txn_abort(t);
	return ret;
}

orth_err
db_principal_rename(struct db *db, const char *old_name, const char *new_name)
{
	struct db_txn *t = NULL;
	struct arena a = {0};
	struct db_entry *e = NULL;
	struct reseal r = {NULL, old_name, new_name, true, &a, 0};
	orth_err ret;

	TRY(arena_init(&a, 2 * DB_MAX_RECORD));
	e = arena_alloc(&a, sizeof(*e));
	CHECK(e != NULL, ORTH_E_NOMEM);
	TRY(crypto_key_copy(db->mkey, &r.mk));
	TRY(db_txn_begin(db, &t));
	TRY(db_txn_get(t, old_name, &a, e));
	/* Keys are bound to the name (db.h): bound again to the new one. */
	TRY(entry_keys_visit(e, reseal_one, &r));
	e->name = new_name;
	TRY(db_txn_put(t, e, DB_PUT_NEW));
	TRY(db_txn_delete(t, old_name));
	ret = db_txn_commit(t);
	t = NULL;
cleanup:
	db_txn_abort(t);
	crypto_key_free(r.mk);
	arena_free(&a);
	return ret;
}

struct verify_state {
	struct db *db;
	struct db_verify *v;
	char *err;
	size_t errlen;
	char **names;                /* entries to bind (v->rebind) */
	size_t nnames, cap;
};

static orth_err
verify_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	struct verify_state *vs = arg;
	size_t raw = 0;
	orth_err ret;

	(void)rec;
	(void)len;
	TRY(db_entry_check(vs->db, e, &raw, vs->err, vs->errlen));
	if (e->policy[0] != '\0') {
		struct arena a = {0};
		struct db_policy p;
		ret = arena_init(&a, 4096);
		if (ret == ORTH_OK)
			ret = db_policy_get(vs->db, e->policy, &a, &p);
		arena_free(&a);
		if (ret != ORTH_OK) {
			orth_err_format(vs->err, vs->errlen, "%s: policy '%s': %s", e->name, e->policy,
				ret == ORTH_E_NOTFOUND ? "does not exist" : orth_err_str(ret));
			goto cleanup;
		}
	}
	if (raw > 0) {
		vs->v->unbound_entries++;
		vs->v->unbound_keys += raw;
		if (vs->v->unbound != NULL)
			vs->v->unbound(vs->v->arg, e->name, raw);
		if (vs->v->rebind) {
			if (vs->nnames == vs->cap) {
				size_t cap = vs->cap ? 2 * vs->cap : 64;
				char **n = realloc(vs->names, cap * sizeof(*n));
				CHECK(n != NULL, ORTH_E_NOMEM);
				vs->names = n;
				vs->cap = cap;
			}
			vs->names[vs->nnames] = strdup(e->name);
			CHECK(vs->names[vs->nnames] != NULL, ORTH_E_NOMEM);
			vs->nnames++;
		}
	}
	vs->v->count++;
cleanup:
	return ret;
}

static orth_err
verify_policy(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	(void)arg;
	(void)p;
	(void)rec;
	(void)len;
	return ORTH_OK; /* it decoded: db_policy_iterate checked the rest */
}

/*
 * Rewrite the entries named: db_txn_put binds their raw keys.  In
 * batches, so that a large database does not make one huge transaction;
 * an entry changed or gone since the check is taken as it is now.
 */
static orth_err
verify_rebind(struct verify_state *vs)
{
	orth_err ret = ORTH_OK;
	struct db_txn *t = NULL;
	struct arena a = {0};
	struct db_entry *e;
	size_t i = 0, done = 0;

	TRY(arena_init(&a, 2 * DB_MAX_RECORD));
	while (i < vs->nnames) {
		TRY(db_txn_begin(vs->db, &t));
		for (done = 0; i < vs->nnames && done < DB_REBIND_BATCH; i++, done++) {
			arena_reset(&a);
			e = arena_alloc(&a, sizeof(*e));
			CHECK(e != NULL, ORTH_E_NOMEM);
			ret = db_txn_get(t, vs->names[i], &a, e);
			if (ret == ORTH_E_NOTFOUND) {
				ret = ORTH_OK;
				continue;
			}
			TRY(ret);
			if (!entry_has_raw(e))
				continue;
			TRY(db_txn_put(t, e, DB_PUT_REPLACE));
			vs->v->rebound++;
		}
		ret = db_txn_commit(t);
		t = NULL;
		TRY(ret);
	}
cleanup:
	if (ret != ORTH_OK && i < vs->nnames)
		orth_err_format(vs->err, vs->errlen, "rebinding %s: %s", vs->names[i],
				orth_err_str(ret));
	db_txn_abort(t);
	arena_free(&a);
	return ret;
}

orth_err
db_verify(struct db *db, struct db_verify *v, char *err, size_t errlen)
{
	struct verify_state vs = {db, v, err, errlen, NULL, 0, 0};
	orth_err ret;

	v->count = v->unbound_entries = v->unbound_keys = v->rebound = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	ret = builtin_reader(db);
	if (ret == ORTH_OK)
		ret = db_policy_iterate(db, verify_policy, NULL);
	if (ret != ORTH_OK && err != NULL)
		orth_err_format(err, errlen, "policy records: %s", orth_err_str(ret));
	if (ret == ORTH_OK)
		ret = db_principal_iterate(db, verify_one, &vs);
	if (ret != ORTH_OK && err != NULL && err[0] == '\0')
		orth_err_format(err, errlen, "record %zu: %s", v->count + 1, orth_err_str(ret));
	if (ret == ORTH_OK && v->rebind)
		ret = db->readwrite ? verify_rebind(&vs) : ORTH_E_INTERNAL;
	for (size_t i = 0; i < vs.nnames; i++)
		free(vs.names[i]);
	free(vs.names);
	return ret;
}
