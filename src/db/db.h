/*
 * db.h - the principal database.  This interface is what a backend offers;
 * the one backend is LMDB (db_lmdb.c, the only file that includes
 * <lmdb.h>).  A realm in an OpenLDAP directory keeps this LMDB database as
 * its local replica (ldap_replica.h), which the KDC reads as always; what
 * is written here is forwarded to the directory ("Forwarding writes"
 * below).
 *
 * Names.  The db sits below src/proto, so it knows principals only by their
 * canonical text form: principal_unparse() of src/proto/principal.h
 * ("host/svc.example.com@EXAMPLE.COM", RFC 1964 escapes).  That string is the
 * key of the record.
 *
 * Keys at rest.  Each key is stored as an RFC 3961 encryption under the
 * realm's master key (key usages from 1024, in the range RFC 4120 §7.5.1
 * leaves to applications), bound to its place (DB_SEAL_BOUND, since
 * record version 3): the plaintext is
 *   u8 DB_BIND_VERSION (1) | i32 enctype | u32 kvno | u8 n | n bytes
 *   HMAC(master key, DB_KU_KEY_NAME, principal name) | the key bytes
 * encrypted with usage DB_KU_KEY_BOUND (1026).  A key unseals only for the
 * principal, kvno and enctype it was sealed for: moved to another entry
 * (two principals' keys swapped in a dump, an old key set put back as
 * the current one), it decrypts but is refused (ORTH_E_INTEGRITY) - MIT's
 * database, which encrypts the bare key, cannot tell.  The name is in as a
 * keyed hash (12 to 24 bytes, the master key's checksum) so that a long
 * name does not make the field long; nobody without the master key can
 * make or see one.  Records before version 3 hold DB_SEAL_RAW keys: the
 * raw bytes with usage DB_KU_KEY (1024); they are read as before, counted
 * as unbound by db_verify, and bound (sealed again the new way) whenever
 * their record is written (db_txn_put: a key change, an unlock, a
 * modify...) or by db_verify with rebind.  Until then a raw key can still
 * be moved unnoticed, as before.
 *
 * The database holds a check value, the encryption of DB_CHECK_PLAINTEXT
 * with usage DB_KU_CHECK (1025), so that a wrong master key is found at
 * open time (ORTH_E_MASTERKEY), not at the first request.
 *
 * The master key lives in the stash file (mode 0600): magic "ORTHSTSH",
 * version byte 1, enctype (4 bytes big-endian), key length (2 bytes
 * big-endian), key bytes; nothing else.  From --master-password-stdin it
 * is string-to-key(master_key_type, password, salt "<REALM>orthrus-master",
 * default iterations).
 *
 * Reads.  A decoded entry points into memory from the caller's arena (the
 * KDC's per-request arena): a lookup does not malloc.  Each struct
 * db_reader keeps one LMDB read transaction, reset after every lookup and
 * renewed at the next, plus its own copy of the master key (key objects
 * are not thread-safe): give each thread its own reader.  struct db has a
 * built-in reader used by db_principal_get()/db_entry_key(); use those from
 * one thread only.
 *
 * Writes.  Every admin operation is one write transaction (db_txn_*): all
 * or nothing, durable when commit returns (no MDB_NOSYNC), and readers
 * never see a half-written principal.  A full map or disk is ORTH_E_NOSPACE
 * and nothing is written.
 */
#ifndef ORTHRUS_DB_H
#define ORTHRUS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "crypto/crypto.h"

#define DB_KU_KEY 1024          /* DB_SEAL_RAW keys */
#define DB_KU_CHECK 1025
#define DB_KU_KEY_BOUND 1026    /* DB_SEAL_BOUND keys */
#define DB_KU_KEY_NAME 1027     /* the name's hash inside a bound key */
#define DB_BIND_VERSION 1
#define DB_CHECK_PLAINTEXT "orthrus master key check v1"
#define DB_MASTER_SALT_SUFFIX "orthrus-master"

#define DB_RECORD_VERSION 4       /* what db_entry_encode writes; 1 to 3 still decode */
#define DB_POLICY_VERSION 1
#define DB_MAX_NAME 1024        /* canonical name, bytes */
#define DB_MAX_POLICY_NAME 255  /* policy name, bytes */
#define DB_MAX_HISTORY 24       /* earlier passwords' keys kept per principal */
#define DB_MAX_KEYSETS 12       /* newest + up to 11 old ones */
#define DB_MAX_KEYS 8           /* keys (enctypes) per key set */
#define DB_MAX_FIELD 1024       /* salt, s2kparams, encrypted key, strings */
#define DB_MAX_DELEG 32         /* allowed-to-delegate-to names per principal */
#define DB_MAX_RECORD 65536
#define DB_DEFAULT_KEEP_OLD 3
#define DB_DEFAULT_MAP_SIZE ((uint64_t)256 << 20)

/* Principal attributes: MIT's KRB5_KDB_* bit values (kdb.h), same meaning. */
enum {
	DB_ATTR_DISALLOW_POSTDATED = 0x00000001,
	DB_ATTR_DISALLOW_FORWARDABLE = 0x00000002,
	DB_ATTR_DISALLOW_TGT_BASED = 0x00000004,
	DB_ATTR_DISALLOW_RENEWABLE = 0x00000008,
	DB_ATTR_DISALLOW_PROXIABLE = 0x00000010,
	DB_ATTR_DISALLOW_DUP_SKEY = 0x00000020,
	DB_ATTR_DISALLOW_ALL_TIX = 0x00000040,
	DB_ATTR_REQUIRES_PREAUTH = 0x00000080,
	DB_ATTR_REQUIRES_HWAUTH = 0x00000100,
	DB_ATTR_REQUIRES_PWCHANGE = 0x00000200,
	DB_ATTR_DISALLOW_SVR = 0x00001000,
	DB_ATTR_PWCHANGE_SERVICE = 0x00002000,
	DB_ATTR_OK_AS_DELEGATE = 0x00100000,
	DB_ATTR_OK_TO_AUTH_AS_DELEGATE = 0x00200000,
	DB_ATTR_NO_AUTH_DATA_REQUIRED = 0x00400000,
	DB_ATTR_LOCKDOWN_KEYS = 0x00800000,
	/* Orthrus's own, far above MIT's bits: the AS exchange must be FAST
	 * armored (RFC 6113; src/kdc/preauth/preauth.h).  MIT has no such
	 * attribute (it requires FAST by client configuration only). */
	DB_ATTR_REQUIRES_FAST = 0x40000000,
};

/* MIT's salt types (kdb.h KRB5_KDB_SALTTYPE_*); the salt itself is always
 * stored explicitly, so the KDC can send it in ETYPE-INFO2 as is. */
enum { DB_SALT_NORMAL = 0, DB_SALT_NOREALM = 2, DB_SALT_ONLYREALM = 3,
       DB_SALT_SPECIAL = 4 };

/*
 * The name of one attribute bit ("requires-preauth"), or NULL.  Names are
 * those of the issue: requires-preauth, disallow-forwardable, ...,
 * ok-as-delegate, lockdown-keys.
 */
const char *db_attr_name(uint32_t bit);
/* The bit for a name (hyphens or underscores), 0 when unknown. */
uint32_t db_attr_from_name(const char *name);
/*
 * Apply a list to *attrs: "requires-preauth, -ok-as-delegate" (a leading
 * '-' clears, '+' or nothing sets) or MIT's default_principal_flags words
 * ("+preauth", "-forwardable", "-postdateable", "-renewable",
 * "-proxiable", "-tgt-based", "-service", "-allow-tickets", "-dup-skey",
 * "+hwauth", "+pwchange", "+pwservice", "+ok-as-delegate").  ORTH_E_CONFIG
 * on an unknown word; *attrs unchanged then.
 */
orth_err db_attrs_apply(const char *list, uint32_t *attrs);
/* "requires-preauth,ok-as-delegate" (empty string for 0) into buf. */
void db_attrs_format(uint32_t attrs, char *buf, size_t cap);

/* How a key is sealed (see "Keys at rest"). */
enum { DB_SEAL_RAW = 0, DB_SEAL_BOUND = 1 };

/* One key: its enctype, salt, s2kparams, and the key encrypted at rest. */
struct db_key {
	int32_t enctype;
	uint16_t salt_type;          /* DB_SALT_* */
	const uint8_t *salt;
	size_t salt_len;
	const uint8_t *s2kparams;    /* NULL/0: the enctype's default */
	size_t s2kparams_len;
	const uint8_t *enc;          /* the sealed key (see "Keys at rest") */
	size_t enc_len;
	uint8_t seal;                /* DB_SEAL_*; 0 (raw) before version 3 */
	uint32_t kvno;               /* the kvno it is bound to: its key set's
				      * (set by decode and db_key_seal), or for
				      * a history key the one it had (0 when
				      * unknown: records before version 3) */
};

struct db_keyset {
	uint32_t kvno;
	size_t nkeys;
	struct db_key keys[DB_MAX_KEYS];
};

struct db_entry {
	const char *name;            /* canonical text form */
	uint32_t attributes;         /* DB_ATTR_* */
	int64_t max_life;            /* seconds; 0 = realm's */
	int64_t max_renew;           /* seconds; 0 = realm's */
	int64_t princ_expire;        /* Unix time; 0 = never */
	int64_t pw_expire;           /* Unix time; 0 = never */
	int64_t last_pw_change;      /* Unix time; 0 = never */
	int64_t mod_time;            /* Unix time */
	const char *mod_by;          /* canonical name or "" */
	const char *policy;          /* "" when none */
	size_t nkeysets;
	struct db_keyset keysets[DB_MAX_KEYSETS]; /* newest (highest kvno) first */
	/* Since record version 2.  The lockout state (kdc/lockout.h), MIT's
	 * krbLoginFailedCount, krbLastFailedAuth, krbLastSuccessfulAuth: */
	uint32_t fail_count;         /* failed pre-authentications counted */
	int64_t last_failed;         /* Unix time of the last one; 0 = never */
	int64_t last_success;        /* Unix time; 0 = not recorded (only a
				      * success that reset a count is) */
	/* Earlier passwords (kdc/account.h), MIT's krbPwdHistory: one key of
	 * each, sealed like the others, newest first.  Keys, never
	 * passwords. */
	size_t nhist;
	struct db_key hist[DB_MAX_HISTORY];
	/* Since record version 4.  Constrained delegation (S4U2Proxy, MS-SFU
	 * §3.2.5.2, kdc/s4u.c): the services this principal may get tickets
	 * to on behalf of a user, canonical names; MIT's LDAP attribute
	 * krbAllowedToDelegateTo (MIT's own database has no such list). */
	size_t ndeleg;
	const char *deleg[DB_MAX_DELEG];
};

/*
 * A password policy, MIT's (kadm5_policy_ent_rec; in MIT's LDAP schema a
 * krbPwdPolicy entry).  A principal names its policy (db_entry.policy);
 * the rules are applied by src/kdc/account.h (password changes) and
 * src/kdc/lockout.h (failed pre-authentication).  0 means "no rule" for
 * every field.
 */
struct db_policy {
	const char *name;
	int64_t pw_max_life;         /* seconds until a new password expires */
	int64_t pw_min_life;         /* seconds before its owner may change it */
	uint32_t pw_min_length;      /* characters */
	uint32_t pw_min_classes;     /* 1..5 of: lower, upper, digit, punct, other */
	uint32_t pw_history_num;     /* passwords refused: the current one and
				      * pw_history_num - 1 earlier ones */
	uint32_t pw_max_fail;        /* failed pre-authentications before lockout */
	int64_t pw_failcnt_interval; /* seconds after which the count restarts */
	int64_t pw_lockout_duration; /* seconds; 0: until `orthrus admin unlock` */
	size_t n_allowed;            /* 0: any enctype */
	int32_t allowed_enctypes[DB_MAX_KEYS];
};

/*
 * Record format, all integers big-endian:
 *   u8 version (1 to 4)
 *   u16 len + name | u32 attributes
 *   i64 max_life, max_renew, princ_expire, pw_expire, last_pw_change, mod_time
 *   u16 len + mod_by | u16 len + policy
 *   u8 nkeysets, then per key set: u32 kvno, u8 nkeys, then per key:
 *     i32 enctype, u16 salt_type, u16 len + salt, u16 len + s2kparams,
 *     [version 3: u8 seal (DB_SEAL_RAW or DB_SEAL_BOUND)]
 *     u16 len + encrypted key
 * and since version 2:
 *   u32 fail_count | i64 last_failed, last_success
 *   u8 nhist, then per entry [version 3: u32 kvno] and a key as above
 * and since version 4:
 *   u8 ndeleg, then per name u16 len + name (allowed to delegate to)
 * Nothing may follow.  Decoding is strict and bounded (limits above); a
 * version 1 record decodes with the version 2 fields zero, versions 1 and
 * 2 with every key DB_SEAL_RAW and history kvnos 0, versions before 4
 * with no delegation targets; all encode as version 4.  Stored records keep their version until rewritten.  The text dump
 * (dump.h) holds fields, not records: a load writes records of the
 * current version (keys keep their seal, raw or bound).
 */
/* Encode e into buf (cap bytes); ORTH_E_LIMIT when it does not fit or a
 * field exceeds its limit. */
orth_err db_entry_encode(const struct db_entry *e, uint8_t *buf, size_t cap,
			 size_t *len_out);
/* Decode: pointers of *out point into a copy in a.  Only the elements the
 * counts cover are written (past them, keysets, hist and deleg hold
 * whatever they held: read none); on an error the fields and counts are
 * zero.  ORTH_E_MALFORMED, ORTH_E_TRUNCATED, ORTH_E_TRAILING, ORTH_E_LIMIT,
 * ORTH_E_RANGE (unknown version). */
orth_err db_entry_decode(const uint8_t *buf, size_t len, struct arena *a,
			 struct db_entry *out);

/*
 * Policy record format (version 1), big-endian, the key of the record
 * being its name:
 *   u8 version = 1 | u16 len + name
 *   i64 pw_max_life, pw_min_life
 *   u32 pw_min_length, pw_min_classes, pw_history_num, pw_max_fail
 *   i64 pw_failcnt_interval, pw_lockout_duration
 *   u8 n_allowed, then n_allowed x i32 enctype
 * Nothing may follow.  Refused when decoding: an empty name, a name with a
 * NUL or longer than DB_MAX_POLICY_NAME, a negative duration, more than 5
 * classes, a history above DB_MAX_HISTORY + 1, a minimum length above
 * DB_MAX_FIELD, more than DB_MAX_KEYS enctypes.  The encoder refuses the
 * same (ORTH_E_RANGE / ORTH_E_LIMIT), so that what is stored decodes.
 */
orth_err db_policy_encode(const struct db_policy *p, uint8_t *buf, size_t cap,
			  size_t *len_out);
/* Errors as db_entry_decode; *out's name points into a. */
orth_err db_policy_decode(const uint8_t *buf, size_t len, struct arena *a,
			  struct db_policy *out);

struct db;
struct db_reader;
struct db_txn;

struct db_options {
	const char *path;            /* database file (database_name) */
	const char *stash_path;      /* key_stash_file */
	const char *realm;
	uint64_t map_size;           /* 0: DB_DEFAULT_MAP_SIZE */
	bool readwrite;
};

/*
 * Open an existing database: reads the stash, checks the master key
 * against the check value and the realm.  Errors (with a one-line message
 * in err): ORTH_E_NODB (no database: run init), ORTH_E_MASTERKEY (stash
 * unreadable or malformed, or a wrong master key), ORTH_E_CONFIG (the
 * database is for another realm), ORTH_E_IO.  *out: db_close().
 */
orth_err db_open(const struct db_options *o, struct db **out, char *err,
		 size_t errlen);
/*
 * Create a new database with its check value, opened read-write.  The
 * master key: from password when not NULL (see above), else read from an
 * existing stash when use_stash (for load into a new database), else
 * random; a new key is written to the stash (mode 0600).  ORTH_E_EXISTS
 * when the database (or, for a new key, the stash) exists.
 */
orth_err db_create(const struct db_options *o, int32_t mkey_enctype,
		   const char *password, bool use_stash, struct db **out,
		   char *err, size_t errlen);
/* Close; aborts nothing (transactions must be finished).  NULL is fine. */
void db_close(struct db *db);
/* Remove the database files of o->path (after a failed init/load). */
void db_remove_files(const char *path);

/* A reader for one thread (see above).  *out: db_reader_close(). */
orth_err db_reader_open(struct db *db, struct db_reader **out);
void db_reader_close(struct db_reader *r);
/* Look up name; ORTH_E_NOTFOUND when absent.  *out points into a. */
orth_err db_reader_get(struct db_reader *r, const char *name, struct arena *a,
		       struct db_entry *out);
/*
 * db_reader_get that also says which committed state it read: *gen_out,
 * the id of its snapshot's write transaction (db_last_txnid), set
 * whatever the result.  For a cache of decoded entries (the KDC's): an
 * entry read at g is current while db_last_txnid() is still g.
 */
orth_err db_reader_get_at(struct db_reader *r, const char *name, struct arena *a,
			  struct db_entry *out, uint64_t *gen_out);
/*
 * The decrypted key of e for enctype, from key set kvno (0: the current,
 * newest key set; older key sets answer only their own kvno).  *key_out owned by the caller
 * (crypto_key_free); *info_out (may be NULL) points at the stored key
 * (salt, s2kparams, for ETYPE-INFO2), *kvno_out (may be NULL) the kvno.
 * ORTH_E_NOTFOUND: no such key; ORTH_E_MASTERKEY: does not decrypt.
 */
orth_err db_reader_key(struct db_reader *r, const struct db_entry *e,
		       int32_t enctype, uint32_t kvno, struct crypto_key **key_out,
		       const struct db_key **info_out, uint32_t *kvno_out);

/* The policy name through r; ORTH_E_NOTFOUND when absent. */
orth_err db_reader_policy_get(struct db_reader *r, const char *name,
			      struct arena *a, struct db_policy *out);

/* The same through the db's built-in reader (one thread). */
orth_err db_principal_get(struct db *db, const char *name, struct arena *a,
			  struct db_entry *out);
orth_err db_policy_get(struct db *db, const char *name, struct arena *a,
		       struct db_policy *out);
orth_err db_entry_key(struct db *db, const struct db_entry *e, int32_t enctype,
		      uint32_t kvno, struct crypto_key **key_out,
		      const struct db_key **info_out, uint32_t *kvno_out);

/*
 * Every principal in name order, in one read snapshot.  fn gets each
 * decoded entry (valid during the call) and its raw record; a non-zero
 * return from fn stops and is returned.
 */
typedef orth_err (*db_iterate_fn)(void *arg, const struct db_entry *e,
				  const uint8_t *rec, size_t rec_len);
orth_err db_principal_iterate(struct db *db, db_iterate_fn fn, void *arg);
/* Every policy in name order, the same way. */
typedef orth_err (*db_policy_iterate_fn)(void *arg, const struct db_policy *p,
					 const uint8_t *rec, size_t rec_len);
orth_err db_policy_iterate(struct db *db, db_policy_iterate_fn fn, void *arg);

/* The realm and the master key (owned by db) of an open database. */
const char *db_realm(const struct db *db);
struct crypto_key *db_master_key(struct db *db);
/* The check value as stored (for dump); *len_out set; valid while db. */
const uint8_t *db_master_check(struct db *db, size_t *len_out);

/*
 * Seal key under the master key for principal name (canonical text) and
 * kvno (DB_SEAL_BOUND) into *out (salt and s2kparams copied), all memory
 * from a.
 */
orth_err db_key_seal(struct db *db, const char *name, uint32_t kvno,
		     const struct crypto_key *key, uint16_t salt_type,
		     const uint8_t *salt, size_t salt_len,
		     const uint8_t *s2kparams, size_t s2kparams_len,
		     struct arena *a, struct db_key *out);
/*
 * The key k of the entry named name, unsealed; *out owned by the caller.
 * A bound key must be bound to name, k->kvno and k->enctype.
 * ORTH_E_MASTERKEY: does not decrypt (damaged, or from a database under
 * another master key); ORTH_E_INTEGRITY: decrypts but is sealed for
 * another principal, kvno or enctype; ORTH_E_MALFORMED: an unknown seal.
 * Unlike db_entry_key() safe from any thread, as is db_key_seal(): both
 * work on a copy of the master key.
 */
orth_err db_key_unseal(struct db *db, const char *name, const struct db_key *k,
		       struct crypto_key **out);
/* A line for db_key_unseal's errors on a key ("sealed for another
 * principal, kvno or enctype"); never NULL. */
const char *db_key_err_str(orth_err e);
/*
 * Check every key of e (key sets and password history): a known enctype
 * (ORTH_E_ENCTYPE), unseals (db_key_unseal's errors) to a key of the
 * enctype's length.  *unbound_out (may be NULL): how many are DB_SEAL_RAW.
 * On failure a line naming e, the key and the reason goes to err.
 */
orth_err db_entry_check(struct db *db, const struct db_entry *e, size_t *unbound_out,
			char *err, size_t errlen);
/*
 * Put ks as the newest key set of e, keeping at most keep_old older ones
 * (the oldest are dropped).  ORTH_E_RANGE when ks->kvno is not above the
 * current newest.
 */
orth_err db_entry_add_keyset(struct db_entry *e, const struct db_keyset *ks,
			     unsigned keep_old);

/* Write transactions: one per admin operation. */
orth_err db_txn_begin(struct db *db, struct db_txn **out);
/* Commit and free t (also on error).  ORTH_E_NOSPACE: map or disk full. */
orth_err db_txn_commit(struct db_txn *t);
/* Abort and free t; NULL is fine. */
void db_txn_abort(struct db_txn *t);
orth_err db_txn_get(struct db_txn *t, const char *name, struct arena *a,
		    struct db_entry *out);
enum db_put_mode { DB_PUT_NEW, DB_PUT_REPLACE, DB_PUT_ANY };
/* NEW: ORTH_E_EXISTS if present; REPLACE: ORTH_E_NOTFOUND if absent.
 * DB_SEAL_RAW keys of e that decrypt are stored bound (see "Keys at
 * rest"); e itself is not changed. */
orth_err db_txn_put(struct db_txn *t, const struct db_entry *e,
		    enum db_put_mode mode);
/*
 * A raw record (from a dump), stored as it is after checks: it decodes, it
 * names a principal of this database's realm ("...@REALM", the '@' not
 * escaped), and db_entry_check passes (known enctypes, every key unseals
 * for this entry).  Raw (unbound) keys are accepted: dumps of older
 * databases hold them.  A line saying what is wrong, naming the entry when
 * it decoded, goes to err (may be NULL).
 */
orth_err db_txn_put_raw(struct db_txn *t, const uint8_t *rec, size_t len,
			enum db_put_mode mode, char *err, size_t errlen);
/* ORTH_E_NOTFOUND when absent. */
orth_err db_txn_delete(struct db_txn *t, const char *name);
/* Remove every principal and every policy (for load). */
orth_err db_txn_clear(struct db_txn *t);
/* Policies, as the principal functions above. */
orth_err db_txn_policy_get(struct db_txn *t, const char *name, struct arena *a,
			   struct db_policy *out);
orth_err db_txn_policy_put(struct db_txn *t, const struct db_policy *p,
			   enum db_put_mode mode);
orth_err db_txn_policy_put_raw(struct db_txn *t, const uint8_t *rec, size_t len,
			       enum db_put_mode mode);
orth_err db_txn_policy_delete(struct db_txn *t, const char *name);
/* Replace the stored check value (load: keeps dumps byte-identical);
 * refused with ORTH_E_MASTERKEY unless it decrypts under the master key. */
orth_err db_txn_set_check(struct db_txn *t, const uint8_t *check, size_t len);

/* One-transaction conveniences. */
orth_err db_principal_put(struct db *db, const struct db_entry *e,
			  enum db_put_mode mode);
orth_err db_principal_delete(struct db *db, const char *name);
/* Renames (salts unchanged; keys sealed again for the new name).
 * NOTFOUND / EXISTS, and db_key_unseal's errors for a key that does not
 * unseal for the old name. */
orth_err db_principal_rename(struct db *db, const char *old_name,
			     const char *new_name);

/*
 * Check every record: decodes, its key equals its name, db_entry_check
 * passes (every key and password history key has a known enctype and
 * unseals for its entry), the policy it names exists; every policy record
 * decodes.  On failure the bad name goes to err.
 */
struct db_verify {
	/* in */
	bool rebind;                 /* then bind every DB_SEAL_RAW key (a
				      * read-write db; only when all checks
				      * passed), in transactions of
				      * DB_REBIND_BATCH entries */
	/* called for each entry with DB_SEAL_RAW keys (may be NULL) */
	void (*unbound)(void *arg, const char *name, size_t nkeys);
	void *arg;
	/* out */
	size_t count;                /* principals checked */
	size_t unbound_entries;      /* entries with DB_SEAL_RAW keys */
	size_t unbound_keys;         /* such keys */
	size_t rebound;              /* entries rewritten with bound keys */
};
#define DB_REBIND_BATCH 256
orth_err db_verify(struct db *db, struct db_verify *v, char *err, size_t errlen);

/*
 * A replica's own state (src/db/ldap_replica.h: the directory's sync cookie,
 * the entryUUID of each replicated entry), kept beside the records so
 * that it commits with them.  Keys must start with DB_META_SYNC_PREFIX
 * ("sync:"; the database's own metadata is not reachable, ORTH_E_RANGE)
 * and be at most DB_MAX_NAME bytes; values at most DB_MAX_RECORD.
 * get: *val_out points into a; ORTH_E_NOTFOUND when absent.  delete of an
 * absent key is ORTH_E_NOTFOUND.  db_txn_meta_clear removes every "sync:"
 * key (a full reload).
 */
#define DB_META_SYNC_PREFIX "sync:"
orth_err db_txn_meta_get(struct db_txn *t, const char *key, struct arena *a,
			 const uint8_t **val_out, size_t *len_out);
orth_err db_txn_meta_put(struct db_txn *t, const char *key, const void *val, size_t len);
orth_err db_txn_meta_delete(struct db_txn *t, const char *key);
orth_err db_txn_meta_clear(struct db_txn *t);
/* Every "sync:" key starting with prefix, in key order; a non-zero return
 * of fn stops and is returned.  fn must not write through t. */
typedef orth_err (*db_meta_iterate_fn)(void *arg, const char *key, size_t key_len,
				       const uint8_t *val, size_t len);
orth_err db_txn_meta_iterate(struct db_txn *t, const char *prefix, db_meta_iterate_fn fn,
			     void *arg);

/*
 * Forwarding writes.  A directory backend (src/db/ldap_replica.h for the
 * KDC, src/cli/admin_ldap.c for `orthrus admin`) is handed what this
 * process changes: the principals and policies each write transaction put
 * or deleted, in order and however many (copies held until the commit:
 * a load holds the realm once more in memory), with the transaction's
 * reason (db_txn_reason; default DB_WRITE_ENTRY).  A db_txn_clear is
 * handed as the deletes of the entries there before it that the
 * transaction did not put again, after the puts.  With before false the
 * hook runs after the commit and must be quick (queue and return; its result is ignored);
 * with before true it runs before the commit and an error aborts the
 * transaction (db_txn_commit returns it): the directory first, the local
 * database only when the directory took the change.  Transactions marked
 * with db_txn_quiet (the replica's own) are not forwarded.
 */
enum db_write_reason {
	DB_WRITE_ENTRY = 0,          /* the entry changed: write it whole */
	DB_WRITE_LOCKOUT_FAIL,       /* one more failed pre-authentication */
	DB_WRITE_LOCKOUT_RESET,      /* a success reset the count */
};
enum db_change_kind {
	DB_CHANGE_PRINCIPAL,         /* data: the record put */
	DB_CHANGE_PRINCIPAL_DELETE,  /* data: the name */
	DB_CHANGE_POLICY,            /* data: the policy record put */
	DB_CHANGE_POLICY_DELETE,     /* data: the name */
};
struct db_change {
	enum db_change_kind kind;
	const uint8_t *data;
	size_t len;
};
typedef orth_err (*db_commit_hook_fn)(void *arg, enum db_write_reason why,
				      const struct db_change *c, size_t n);
/* Set (or with fn NULL clear) db's hook; before any thread writes. */
void db_commit_hook_set(struct db *db, db_commit_hook_fn fn, void *arg, bool before);
void db_txn_reason(struct db_txn *t, enum db_write_reason why);
void db_txn_quiet(struct db_txn *t);

/*
 * The id of the last committed write transaction (LMDB's txnid): it grows
 * by one with every commit, so tests can tell whether something was
 * written, and a cache of what was read at one id (db_reader_get_at) is
 * current while it stays the same; 0 when unknown (cache nothing).  Never
 * behind what a read transaction starting now would see.  Any thread.
 */
uint64_t db_last_txnid(struct db *db);

#endif
