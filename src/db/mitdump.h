/*
 * mitdump.h - MIT krb5's database dump (`kdb5_util dump`), read for
 * `orthrus admin import-mit`: the line formats, the kadmin data inside a
 * principal's tl-data, MIT's sealing of keys under its master key, and its
 * older stash format.  Only reading; the mapping onto our records is the
 * importer's (src/cli/import_mit.c), which knows principal names.
 *
 * Facts of MIT's format (kadmin/dbutil/dump.c, lib/kdb/encrypt_key.c,
 * kdb.h of krb5 1.11 to 1.22; Debian 12's 1.20 writes version 7):
 *
 *   header  "kdb5_util load_dump version 7" (1.11 and later; 6: 1.8-1.10,
 *           5: 1.3-1.7, which differ only in their policy lines)
 *   princ   tab-separated: "princ", the base length (38), the length of
 *           the name, the number of tl-data, the number of key-data, the
 *           length of e-data, the name (krb5_unparse_name: '\' escapes, so
 *           no tab nor newline, but spaces), attributes (KRB5_KDB_*),
 *           max_life, max_renewable_life, expiration, pw_expiration,
 *           last_success, last_failed, fail_auth_count; then per tl-data
 *           type, length, contents (hex, or "-1" when empty); then per
 *           key-data its version (1: key only, the salt is the normal one;
 *           2: key and salt), kvno, and for each of the version's
 *           elements type, length, contents; then e-data and ';'.  Times
 *           are unsigned 32-bit Unix times (MIT reads them so since 1.17).
 *   policy  tab-separated: "policy", name, pw_min_life, pw_max_life,
 *           pw_min_length, pw_min_classes, pw_history_num, a reference
 *           count (unused); since version 6 pw_max_fail,
 *           pw_failcnt_interval, pw_lockout_duration; since version 7
 *           attributes, max_life, max_renewable_life, allowed_keysalts
 *           ("-" for none), the number of tl-data and the tl-data.  MIT
 *           reads a 10-field line in a version 7 dump too, and so do we.
 *
 * A key-data's first element is the key sealed under the master key:
 * the key's length (2 bytes, little-endian) then the RFC 3961 encryption
 * of the key bytes under the master key with key usage 0; its second the
 * salt type (KRB5_KDB_SALTTYPE_*) and the salt for the special types.
 * Which master key: the principal's KRB5_TL_MKVNO tl-data (2 bytes,
 * little-endian), else the lowest kvno of the stash.  Password history
 * keys (in KRB5_TL_KADM_DATA) are sealed the same way, but under the key
 * of the principal kadmin/history.
 */
#ifndef ORTHRUS_DB_MITDUMP_H
#define ORTHRUS_DB_MITDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "crypto/crypto.h"

/* Longest line read: the hex of a principal with a long password history
 * stays far below it. */
#define MITDUMP_MAX_LINE (1u << 20)
#define MITDUMP_MAX_TL 64            /* tl-data per principal or policy */
#define MITDUMP_MAX_KEYS 256         /* key-data per principal */
#define MITDUMP_MAX_HIST 64          /* password history entries */
#define MITDUMP_MAX_HIST_KEYS 64     /* keys per history entry */
#define MITDUMP_MAX_NAME 4096

/* MIT's tl-data types (kdb.h) that the importer reads or names. */
enum {
	MIT_TL_LAST_PWD_CHANGE = 0x0001,  /* u32 LE Unix time */
	MIT_TL_MOD_PRINC = 0x0002,        /* u32 LE time, NUL-terminated name */
	MIT_TL_KADM_DATA = 0x0003,        /* XDR osa_princ_ent_rec */
	MIT_TL_MKVNO = 0x0008,            /* u16 LE master key kvno */
	MIT_TL_ACTKVNO = 0x0009,          /* K/M only */
	MIT_TL_MKEY_AUX = 0x000a,         /* K/M only */
	MIT_TL_STRING_ATTRS = 0x000b,     /* "key\0value\0"... */
	MIT_TL_LAST_ADMIN_UNLOCK = 0x0700,/* u32 LE Unix time */
};

/* MIT's salt types (kdb.h KRB5_KDB_SALTTYPE_*). */
enum {
	MIT_SALT_NORMAL = 0,
	MIT_SALT_V4 = 1,         /* no salt at all */
	MIT_SALT_NOREALM = 2,
	MIT_SALT_ONLYREALM = 3,
	MIT_SALT_SPECIAL = 4,
	MIT_SALT_AFS3 = 5,       /* single-DES AFS string-to-key */
};

/* kadm5 aux_attributes bit: the principal names a policy. */
#define MIT_KADM5_POLICY 0x00000800

struct mit_key_data {
	uint16_t ver;                /* 1 or 2 */
	uint16_t kvno;
	int16_t type[2];             /* enctype; salt type (ver 2) */
	const uint8_t *contents[2];
	size_t length[2];
};

struct mit_tl {
	int16_t type;
	const uint8_t *data;
	size_t len;
};

struct mit_princ {
	const char *name;            /* as MIT unparsed it, NUL-terminated */
	uint32_t attributes;
	int32_t max_life, max_renew;
	uint32_t expiration, pw_expiration;
	uint32_t last_success, last_failed, fail_count;
	size_t ntl;
	struct mit_tl *tl;
	size_t nkeys;
	struct mit_key_data *keys;   /* as in the dump: kvno descending */
	size_t e_len;                /* e-data (not used by MIT's db2 either) */
};

struct mit_policy {
	const char *name;
	uint32_t pw_min_life, pw_max_life, pw_min_length, pw_min_classes, pw_history_num;
	/* version 6 and later lines (else 0): */
	uint32_t pw_max_fail, pw_failcnt_interval, pw_lockout_duration;
	/* version 7 lines (else 0 / NULL): */
	uint32_t attributes, max_life, max_renew;
	const char *allowed_keysalts; /* NULL for "-" */
	size_t ntl;
};

/*
 * The header line: *version_out 5, 6 or 7.  ORTH_E_RANGE with a line in
 * err for a dump format of MIT we do not read (older kdb5_util, -ov, -b7,
 * iprop), ORTH_E_MALFORMED for something else.
 */
orth_err mitdump_header_parse(const char *line, size_t len, unsigned *version_out,
			      char *err, size_t errlen);

enum mitdump_kind { MITDUMP_PRINC = 1, MITDUMP_POLICY = 2 };

/*
 * One line (without '\n') of a dump of version: a principal into *p or a
 * policy into *pol, *kind_out saying which.  Everything lives in a.
 * ORTH_E_MALFORMED / ORTH_E_TRUNCATED / ORTH_E_LIMIT / ORTH_E_RANGE with a
 * reason in err.
 */
orth_err mitdump_line_parse(const char *line, size_t len, unsigned version, struct arena *a,
			    enum mitdump_kind *kind_out, struct mit_princ *p,
			    struct mit_policy *pol, char *err, size_t errlen);

/* The first tl-data of type, or NULL. */
const struct mit_tl *mitdump_tl_find(const struct mit_princ *p, int16_t type);
/* A u32 (LAST_PWD_CHANGE, LAST_ADMIN_UNLOCK) or u16 (MKVNO) tl-data,
 * little-endian; ORTH_E_NOTFOUND when absent, ORTH_E_MALFORMED when too
 * short. */
orth_err mitdump_tl_u32(const struct mit_princ *p, int16_t type, uint32_t *out);
orth_err mitdump_tl_u16(const struct mit_princ *p, int16_t type, uint16_t *out);
/* MOD_PRINC: the time and the modifier's name (into a). */
orth_err mitdump_tl_mod_princ(const struct mit_princ *p, struct arena *a, uint32_t *time_out,
			      const char **name_out);

/* KRB5_TL_KADM_DATA, MIT's osa_princ_ent_rec in XDR. */
struct mit_hist {
	size_t nkeys;
	struct mit_key_data *keys;
};
struct mit_kadm {
	const char *policy;          /* NULL when none */
	uint32_t aux_attributes;     /* MIT_KADM5_POLICY */
	uint32_t old_key_next;       /* next slot of the history ring */
	uint32_t hist_kvno;          /* kvno of kadmin/history's key used */
	size_t nhist;
	struct mit_hist *hist;       /* a ring: the newest at old_key_next - 1 */
};
orth_err mitdump_kadm_decode(const uint8_t *buf, size_t len, struct arena *a,
			     struct mit_kadm *out);

/*
 * The key of kd, unsealed with mkey (MIT's master key, or kadmin/history's
 * key for history keys): *out owned by the caller.  ORTH_E_ENCTYPE: kd's
 * enctype is not one we support (its key is not decrypted);
 * ORTH_E_MASTERKEY: does not decrypt under mkey; ORTH_E_MALFORMED: a bad
 * length prefix or key length.
 */
orth_err mitdump_key_unseal(struct crypto_key *mkey, const struct mit_key_data *kd,
			    struct crypto_key **out) ORTH_MUST_CHECK;

/* MIT's name of an enctype we may not support ("arcfour-hmac"), or NULL. */
const char *mitdump_enctype_name(int32_t enctype);

/*
 * MIT's stash before 1.7 (still read by MIT): the enctype (2 bytes), the
 * key length (4 bytes), the key, in host byte order of the machine that
 * wrote it (little-endian tried first).  Newer stashes are keytabs (read
 * by the caller with src/client/keytab.h).  *out owned by the caller.
 * ORTH_E_MALFORMED, ORTH_E_ENCTYPE (a master key enctype we do not
 * support: *enctype_out says which).
 */
orth_err mitdump_stash_legacy_decode(const uint8_t *buf, size_t len, int32_t *enctype_out,
				     struct crypto_key **out);

#endif
