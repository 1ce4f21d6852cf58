/*
 * admin.h - what the files of `orthrus admin` share: the command's state,
 * its setup and common option parsing (admin.c), and the commands, one
 * file a job: principals (admin_princ.c), keys and keytabs (admin_keys.c),
 * policies (admin_policy.c), dump and load (admin_dump.c), many principals
 * at once (admin_bulk.c), the import of an MIT realm (import_mit.c).
 *
 * A command takes the arguments after `admin` (argv[0] is its name) and
 * returns the exit status: 0 success, 1 failure, 2 bad arguments; its
 * errors are one line on stderr.
 */
#ifndef ORTHRUS_CLI_ADMIN_H
#define ORTHRUS_CLI_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "db/db.h"
#include "kdc/kdc_config.h"
#include "proto/principal.h"

/* The longest password read from stdin. */
#define ADMIN_MAX_PASSWORD 1024

struct admin {
	const char *config_path;
	struct config *cfg;
	struct kdc_config *kc;
	const struct kdc_config_realm *realm;
	struct db_options dbo;
	struct db *db;
	struct arena a;
};

/* Read the configuration, initialise the crypto library, and when need_db
 * open the database (read-write when readwrite).  Errors are reported on
 * stderr; returns non-zero then.  admin_free() in either case. */
int admin_setup(struct admin *ad, bool need_db, bool readwrite);
void admin_free(struct admin *ad);

/* The options of the principal and keytab commands, parsed by
 * admin_opts_parse(); names are the arguments that are not options. */
struct princ_opts {
	bool password_stdin, random_key, json, keys, keep_old, discard_old, clear_policy;
	bool norandkey;           /* ktadd: export the current keys */
	int set_preauth;          /* 1 set, -1 clear, 0 unchanged */
	const char *attrs[16];
	size_t nattrs;
	bool have_max_life, have_max_renew, have_expires, have_pw_expires;
	int64_t max_life, max_renew, expires, pw_expires;
	const char *policy;
	const char *enctypes;
	const char *keytab;
	uint32_t kvno;
	const char *names[64];
	size_t nnames;
	const char *deleg[16];    /* --allowed-to-delegate-to (admin_deleg.c) */
	size_t ndeleg;
	bool clear_deleg;
};

/* Parse argv[1..] into *o.  0, or the exit status (message printed). */
int admin_opts_parse(int argc, char **argv, struct princ_opts *o);

/*
 * text as a principal of the configured realm, p (in ad's arena) and its
 * canonical name in buf.  0, or 1 with the reason printed (a bad name,
 * another realm, too long).
 */
int admin_name_canon(struct admin *ad, const char *text, struct principal *p, char *buf,
		     size_t cap);
/* Print what a database error means for `what` on principal name; 1. */
int admin_db_fail(const char *what, const char *name, orth_err ret);
/* An enctype list ("aes256-cts:normal,17"), at most DB_MAX_KEYS, into
 * out[*n]; 0, or 2 with the reason printed. */
int admin_enctypes_parse(const char *list, int32_t *out, size_t *n);
/* One line of stdin as a password (at most ADMIN_MAX_PASSWORD bytes) into
 * pw[cap]; 0, or 1 with the reason printed.  The caller wipes pw. */
int admin_password_get(char *pw, size_t cap);
/* "local:$USER", what a change records as its author (static storage). */
const char *admin_mod_by(void);
/* A time as YYYY-MM-DDTHH:MM:SSZ, 0 as "never". */
void admin_time_format(int64_t t, char *buf, size_t cap);
/* n bytes as lower-case hex; n bytes of s as a JSON string. */
void admin_hex_print(FILE *f, const uint8_t *p, size_t n);
void admin_json_print(FILE *f, const char *s, size_t n);

/* `list`, `policy list`: the names matching glob (NULL: all), one a line
 * or as a JSON array.  0, or 1 with "what: error" printed. */
enum admin_names { ADMIN_NAMES_PRINCIPALS, ADMIN_NAMES_POLICIES };
int admin_names_list(struct admin *ad, enum admin_names which, const char *glob, bool json,
		     const char *what);

/*
 * The policy e names, read in t: *pol_out NULL when it names none.  A
 * policy that does not exist is refused (exit status 1) when named anew
 * (named: the command sets it), else treated as none (as the KDC does).
 * (admin_princ.c)
 */
int admin_policy_of(struct admin *ad, struct db_txn *t, const struct db_entry *e, bool named,
		    const char *what, struct db_policy *buf, struct db_policy **pol_out);
/*
 * New random keys for e (kvno + 1), in enctypes ets[nets] (none given:
 * the policy's allowed ones, else those e has, else the realm's), old key
 * sets kept as o and the realm say.  0, or 1 with the reason printed; *ret
 * the error of the key making.  ets has room for DB_MAX_KEYS.
 * (admin_keys.c)
 */
int admin_randkey_apply(struct admin *ad, const struct princ_opts *o, const struct principal *p,
			const char *name, struct db_entry *e, const struct db_policy *pol,
			int32_t *ets, size_t nets, orth_err *ret);

/* The commands.  admin_princ.c: */
int admin_add(struct admin *ad, int argc, char **argv);
int admin_modify(struct admin *ad, int argc, char **argv);
int admin_randkey(struct admin *ad, int argc, char **argv);
int admin_unlock(struct admin *ad, int argc, char **argv);
int admin_delete(struct admin *ad, int argc, char **argv);
int admin_rename(struct admin *ad, int argc, char **argv);
int admin_get(struct admin *ad, int argc, char **argv);
int admin_list(struct admin *ad, int argc, char **argv);
/* admin_keys.c: */
int admin_set_password(struct admin *ad, int argc, char **argv);
int admin_ktadd(struct admin *ad, int argc, char **argv);
int admin_ktremove(struct admin *ad, int argc, char **argv);
int admin_ktlist(struct admin *ad, int argc, char **argv);
int admin_verify(struct admin *ad, int argc, char **argv);
/* admin_policy.c: `policy add|modify|delete|get|list` */
int admin_policy(struct admin *ad, int argc, char **argv);
/* admin_dump.c: */
int admin_dump(struct admin *ad, int argc, char **argv);
int admin_load(struct admin *ad, int argc, char **argv);
/* admin_bulk.c: `bulk-add PREFIX COUNT [--start N] [--batch N]` */
int admin_bulk_add(struct admin *ad, int argc, char **argv);
/* import_mit.c: `import-mit DUMPFILE --mit-stash STASH [--dry-run]
 * [--verbose]` */
int admin_import_mit(struct admin *ad, int argc, char **argv);

/*
 * A principal's delegation targets (admin_deleg.c): with clear the list is
 * emptied first, then each of ops ("NAME" adds, "-NAME" removes) applied to
 * e (names canonical in the realm, copies in ad->a).  0, or an exit status
 * after a message.
 */
int admin_deleg_apply(struct admin *ad, const char *const *ops, size_t nops, bool clear,
		      struct db_entry *e);
/* "Allowed to delegate to: a, b" (get's text form). */
void admin_deleg_print(const struct db_entry *e);
/* `orthrus admin migrate --to ldap [--quiet]` (admin_ldap.c). */
int admin_migrate(struct admin *ad, int argc, char **argv);
/*
 * When ad's realm is in a directory (db_library = kldap), make every
 * write transaction of ad->db go to the directory first (db.h
 * "Forwarding writes"): a write the directory refuses or cannot take is
 * not made locally either, and the command fails.  0, or non-zero after
 * an error on stderr.  admin_directory_detach (NULL db fine) undoes it.
 */
int admin_directory_attach(struct admin *ad);
void admin_directory_detach(struct admin *ad);
/*
 * After admin_directory_attach, when the realm is in a directory: replace
 * the content of ad->db with the directory's realm (as `migrate --to
 * lmdb`), so that a load, which replaces the realm, also deletes from the
 * directory the entries this host's database had not seen.  0 (also
 * without a directory), or non-zero after an error on stderr.
 */
int admin_directory_refresh(struct admin *ad);

#endif
