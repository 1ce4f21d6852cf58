/*
 * admin.c - `orthrus admin`: local administration of the principal
 * database (like MIT's kadmin.local).  Every change is one database write
 * transaction: an error leaves the database as it was.  Errors are one
 * line on stderr; exit 0 success, 1 failure, 2 bad arguments.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/file.h"
#include "admin.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/dump.h"
#include "kdc/account.h"
#include "kdc/lockout.h"
#include "proto/krb5_const.h"
#include "proto/principal.h"

#define CMD "admin"
#define ARENA_SIZE (4u << 20)
#define MAX_PASSWORD 1024

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: orthrus admin [-c CONFIG] COMMAND [ARGS...]\n"
		"  init [--master-password-stdin]\n"
		"  upgrade                         (adds what an older database lacks)\n"
		"  add NAME [--password-stdin | --random-key] [--requires-preauth]\n"
		"      [--attr ATTR]... [--max-life D] [--max-renew D] [--expires TIME]\n"
		"      [--pw-expires TIME] [--policy P] [--enctypes LIST]\n"
		"  modify NAME [--attr [-]ATTR]... [--requires-preauth | --no-requires-preauth]\n"
		"      [--max-life D] [--max-renew D] [--expires TIME] [--pw-expires TIME]\n"
		"      [--policy P | --clear-policy]\n"
		"  delete NAME | rename OLD NEW\n"
		"  get NAME [--json] [--keys]      (--keys prints the secret key bytes)\n"
		"  list [GLOB] [--json]\n"
		"  set-password NAME [--password-stdin] [--enctypes LIST] [--keep-old | --discard-old]\n"
		"  randkey NAME [--enctypes LIST] [--keep-old | --discard-old]\n"
		"  unlock NAME                     (reset the failed pre-authentication count)\n"
		"  policy add|modify P [--maxlife D] [--minlife D] [--minlength N] [--minclasses N]\n"
		"      [--history N] [--maxfailure N] [--failurecountinterval D] [--lockoutduration D]\n"
		"      [--allowedkeysalts LIST | --allowedkeysalts none]\n"
		"  policy delete P | policy get P [--json] | policy list [GLOB] [--json]\n"
		"  ktadd --keytab FILE [--norandkey] [--enctypes LIST] [--keep-old | --discard-old] NAME...\n"
		"      (as MIT's ktadd: new random keys first, kvno + 1, then exported;\n"
		"      --norandkey exports the current keys unchanged)\n"
		"  ktremove --keytab FILE NAME [--kvno N]\n"
		"  ktlist --keytab FILE [--keys]\n"
		"  dump FILE | load FILE | verify [--rebind]\n"
		"  import-mit DUMPFILE --mit-stash STASH [--dry-run] [--verbose]\n"
		"      (an MIT realm from kdb5_util dump and its stash: keys, policies, lockout)\n"
		"  migrate --to ldap|lmdb [--quiet]\n"
		"      (copy the realm into the directory of its database_module, or back)\n"
		"CONFIG: -c/--config FILE, else $ORTHRUS_CONFIG, else %s\n"
		"TIME: never, a Unix time, YYYY-MM-DD[THH:MM[:SS]] (UTC), or +DURATION\n",
		CONFIG_DEFAULT_PATH);
}

/* ---- small helpers ---- */

static void
hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

static void
json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t == 0) {
		snprintf(buf, cap, "never");
		return;
	}
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "%lld", (long long)t);
}

static int
parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *end;
	char *e;
	long long v;
	int64_t d;

	if (strcmp(s, "never") == 0 || strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (s[0] == '+') {
		if (config_parse_duration(s + 1, &d) != ORTH_OK)
			return -1;
		*out = (int64_t)time(NULL) + d;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &e, 10);
	if (*s != '\0' && *e == '\0' && errno == 0 && v > 0) {
		*out = v;
		return 0;
	}
	static const char *fmts[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S",
				     "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end != NULL && *end == '\0') {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}

/* One line from stdin, without its newline.  Returns length or -1. */
static int
read_password(char *buf, size_t cap)
{
	size_t n;
	if (fgets(buf, (int)cap, stdin) == NULL)
		return -1;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] != '\n' && !feof(stdin))
		return -1; /* too long */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (int)n;
}

static const char *
mod_by(void)
{
	static char buf[128];
	const char *u = getenv("USER");
	snprintf(buf, sizeof(buf), "local:%s", u != NULL && u[0] != '\0' ? u : "?");
	return buf;
}

/* ---- setup ---- */

int
admin_setup(struct admin *ad, bool need_db, bool readwrite)
{
	char err[512] = "";
	orth_err ret;

	ret = config_parse_file(ad->config_path, &ad->cfg, err, sizeof(err));
	if (ret != ORTH_OK) {
		cli_error(CMD, "%s", err[0] ? err : orth_err_str(ret));
		return 1;
	}
	ad->kc = calloc(1, sizeof(*ad->kc));
	if (ad->kc == NULL)
		return 1;
	if (crypto_init() != ORTH_OK) {
		cli_error(CMD, "cannot initialise the crypto library");
		return 1;
	}
	ret = kdc_config_load(ad->cfg, crypto_enctype_from_name, ad->kc, err, sizeof(err));
	if (ret != ORTH_OK) {
		cli_error(CMD, "%s", err);
		return 1;
	}
	ad->realm = kdc_config_realm(ad->kc, NULL);
	if (ad->realm == NULL) {
		cli_error(CMD, "%s: no default realm (set [libdefaults] default_realm or define one realm)",
			  ad->config_path);
		return 1;
	}
	ad->dbo.path = ad->realm->database_name;
	ad->dbo.stash_path = ad->realm->key_stash_file;
	ad->dbo.realm = ad->realm->name;
	ad->dbo.map_size = ad->realm->database_map_size;
	ad->dbo.readwrite = readwrite;
	if (arena_init(&ad->a, ARENA_SIZE) != ORTH_OK)
		return 1;
	if (need_db) {
		ret = db_open(&ad->dbo, &ad->db, err, sizeof(err));
		if (ret != ORTH_OK) {
			cli_error(CMD, "%s", err[0] ? err : orth_err_str(ret));
			return 1;
		}
		/* A realm in a directory: writes go there first. */
		if (readwrite && admin_directory_attach(ad) != 0)
			return 1;
	}
	return 0;
}

void
admin_free(struct admin *ad)
{
	admin_directory_detach(ad);
	db_close(ad->db);
	arena_free(&ad->a);
	free(ad->kc);
	config_free(ad->cfg);
}

/* Parse a name into its canonical form in the configured realm. */
static int
canon_name(struct admin *ad, const char *text, struct principal *p, char *buf, size_t cap)
{
	orth_err ret = principal_parse(text, ad->realm->name, &ad->a, p);
	if (ret != ORTH_OK) {
		cli_error(CMD, "bad principal name '%s': %s", text, orth_err_str(ret));
		return 1;
	}
	if (strcmp(p->realm, ad->realm->name) != 0) {
		cli_error(CMD, "principal '%s' is not in realm %s", text, ad->realm->name);
		return 1;
	}
	if (principal_unparse(p, buf, cap, NULL) != ORTH_OK || strlen(buf) > DB_MAX_NAME) {
		cli_error(CMD, "principal name '%s' is too long", text);
		return 1;
	}
	return 0;
}

static int
db_fail(const char *what, const char *name, orth_err ret)
{
	switch (ret) {
	case ORTH_E_NOTFOUND:
		cli_error(CMD, "%s: principal %s does not exist", what, name);
		break;
	case ORTH_E_EXISTS:
		cli_error(CMD, "%s: principal %s already exists", what, name);
		break;
	case ORTH_E_NOSPACE:
		cli_error(CMD, "%s %s: database full (LMDB map size or disk); nothing was written",
			  what, name);
		break;
	default:
		cli_error(CMD, "%s %s: %s", what, name, orth_err_str(ret));
		break;
	}
	return 1;
}

static int
parse_enctypes(const char *list, int32_t *out, size_t *n)
{
	char items[DB_MAX_KEYS][64];
	size_t k = 0;
	if (config_split_list(list, items, DB_MAX_KEYS, &k) != ORTH_OK || k == 0) {
		cli_error(CMD, "bad enctype list '%s'", list);
		return 2;
	}
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		int32_t et;
		items[i][strcspn(items[i], ":")] = '\0';
		et = crypto_enctype_from_name(items[i]);
		if (et < 0 || !crypto_enctype_supported(et)) {
			cli_error(CMD, "unknown or unsupported enctype '%s'", items[i]);
			return 2;
		}
		out[(*n)++] = et;
	}
	return 0;
}

/* ---- commands ---- */

/*
 * The principals MIT's kdb5_util create makes for kadmind (its
 * kadm5_create.c), with the same attributes and lifetimes: random keys of
 * the realm's enctypes, DISALLOW_TGT_BASED | LOCKDOWN_KEYS, and for
 * kadmin/changepw PWCHANGE_SERVICE, whose tickets a client with an expired
 * password may still get (as.c) to change it through kpasswd.
 */
static const struct {
	const char *instance;
	uint32_t attrs;
	int64_t max_life;
} kadmin_princs[] = {
	{"admin", DB_ATTR_DISALLOW_TGT_BASED | DB_ATTR_LOCKDOWN_KEYS, 3 * 3600},
	{"changepw",
	 DB_ATTR_DISALLOW_TGT_BASED | DB_ATTR_PWCHANGE_SERVICE | DB_ATTR_LOCKDOWN_KEYS, 5 * 60},
};

/* Add the kadmin principals the database lacks, in one transaction;
 * *added_out: how many.  Existing ones are left as they are. */
static orth_err
kadmin_princs_add(struct admin *ad, size_t *added_out)
{
	orth_err ret = ORTH_OK;
	struct db_txn *t = NULL;
	size_t added = 0;

	TRY(db_txn_begin(ad->db, &t));
	for (size_t i = 0; i < sizeof(kadmin_princs) / sizeof(kadmin_princs[0]); i++) {
		const char *comps[2] = {"kadmin", kadmin_princs[i].instance};
		char *name = arena_alloc(&ad->a, DB_MAX_NAME + 1);
		struct db_entry *e = arena_alloc(&ad->a, sizeof(*e));
		struct db_keyset ks;
		struct principal p;

		CHECK(name != NULL && e != NULL, ORTH_E_NOMEM);
		TRY(principal_build(&ad->a, ad->realm->name, KRB5_NT_PRINCIPAL, 2, comps, &p));
		TRY(principal_unparse(&p, name, DB_MAX_NAME + 1, NULL));
		ret = db_txn_get(t, name, &ad->a, e);
		if (ret == ORTH_OK)
			continue;
		CHECK(ret == ORTH_E_NOTFOUND, ret);
		memset(e, 0, sizeof(*e));
		TRY(account_keyset_make(ad->db, &p, NULL, 0, ad->realm->supported_enctypes,
					ad->realm->n_enctypes, 1, &ad->a, &ks));
		e->name = name;
		e->attributes = kadmin_princs[i].attrs;
		e->max_life = kadmin_princs[i].max_life;
		e->mod_time = (int64_t)time(NULL);
		e->mod_by = mod_by();
		e->policy = "";
		TRY(db_entry_add_keyset(e, &ks, 0));
		TRY(db_txn_put(t, e, DB_PUT_NEW));
		added++;
	}
	ret = db_txn_commit(t);
	t = NULL;
	if (ret == ORTH_OK)
		*added_out = added;
cleanup:
	db_txn_abort(t);
	return ret;
}

static int
do_upgrade(struct admin *ad, int argc, char **argv)
{
	size_t added = 0;
	orth_err ret;

	(void)argv;
	if (argc != 1) {
		cli_error(CMD, "upgrade takes no arguments");
		return 2;
	}
	if (admin_setup(ad, true, true))
		return 1;
	ret = kadmin_princs_add(ad, &added);
	if (ret != ORTH_OK) {
		cli_error(CMD, "upgrade: %s", orth_err_str(ret));
		return 1;
	}
	if (added == 0)
		printf("database %s is up to date\n", ad->dbo.path);
	else
		printf("added %zu principal%s (kadmin/admin, kadmin/changepw) to %s\n", added,
		       added == 1 ? "" : "s", ad->dbo.path);
	return 0;
}

static int
do_init(struct admin *ad, int argc, char **argv)
{
	bool from_stdin = false;
	char pw[MAX_PASSWORD + 2];
	char err[512] = "";
	char name[DB_MAX_NAME + 1];
	struct principal p;
	struct db_entry *e;
	struct db_keyset ks;
	const char *comps[2];
	orth_err ret;
	struct stat st;
	bool stash_existed;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--master-password-stdin") == 0)
			from_stdin = true;
		else {
			usage(stderr);
			return 2;
		}
	}
	if (admin_setup(ad, false, true))
		return 1;
	if (from_stdin) {
		int n = read_password(pw, sizeof(pw));
		if (n <= 0 || n > MAX_PASSWORD) {
			cli_error(CMD, "init: no master password on stdin");
			return 1;
		}
	}
	stash_existed = stat(ad->dbo.stash_path, &st) == 0;
	ret = db_create(&ad->dbo, ad->realm->master_key_type, from_stdin ? pw : NULL, false,
			&ad->db, err, sizeof(err));
	crypto_wipe(pw, sizeof(pw));
	if (ret != ORTH_OK) {
		cli_error(CMD, "init: %s", err[0] ? err : orth_err_str(ret));
		return 1;
	}
	comps[0] = "krbtgt";
	comps[1] = ad->realm->name;
	e = arena_alloc(&ad->a, sizeof(*e));
	ret = e ? principal_build(&ad->a, ad->realm->name, KRB5_NT_SRV_INST, 2, comps, &p)
		: ORTH_E_NOMEM;
	if (ret == ORTH_OK)
		ret = principal_unparse(&p, name, sizeof(name), NULL);
	if (ret == ORTH_OK)
		ret = account_keyset_make(ad->db, &p, NULL, 0, ad->realm->supported_enctypes,
					  ad->realm->n_enctypes, 1, &ad->a, &ks);
	if (ret == ORTH_OK) {
		uint32_t attrs = 0;
		e->name = name;
		if (ad->realm->default_principal_flags != NULL)
			(void)db_attrs_apply(ad->realm->default_principal_flags, &attrs);
		/* the TGS principal never needs pre-authentication itself */
		e->attributes = attrs & ~DB_ATTR_REQUIRES_PREAUTH;
		e->mod_time = (int64_t)time(NULL);
		e->mod_by = mod_by();
		e->policy = "";
		ret = db_entry_add_keyset(e, &ks, 0);
	}
	if (ret == ORTH_OK)
		ret = db_principal_put(ad->db, e, DB_PUT_NEW);
	if (ret == ORTH_OK) {
		size_t added;
		snprintf(name, sizeof(name), "kadmin/admin, kadmin/changepw");
		ret = kadmin_princs_add(ad, &added);
	}
	if (ret != ORTH_OK) {
		cli_error(CMD, "init: cannot create %s: %s", name, orth_err_str(ret));
		db_close(ad->db);
		ad->db = NULL;
		db_remove_files(ad->dbo.path);
		if (!stash_existed)
			unlink(ad->dbo.stash_path);
		return 1;
	}
	printf("created database %s for realm %s, master key stashed in %s\n", ad->dbo.path,
	       ad->realm->name, ad->dbo.stash_path);
	return 0;
}

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
};

/* Parse the options shared by the principal commands. 0, or exit status. */
static int
parse_opts(int argc, char **argv, struct princ_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                               \
	do {                                                                  \
		if (v == NULL) {                                              \
			cli_error(CMD, "option %s needs a value", a);          \
			return 2;                                             \
		}                                                             \
		i++;                                                          \
	} while (0)
		if (strcmp(a, "--password-stdin") == 0)
			o->password_stdin = true;
		else if (strcmp(a, "--random-key") == 0)
			o->random_key = true;
		else if (strcmp(a, "--json") == 0)
			o->json = true;
		else if (strcmp(a, "--keys") == 0)
			o->keys = true;
		else if (strcmp(a, "--keep-old") == 0)
			o->keep_old = true;
		else if (strcmp(a, "--norandkey") == 0 || strcmp(a, "-norandkey") == 0)
			o->norandkey = true;
		else if (strcmp(a, "--discard-old") == 0)
			o->discard_old = true;
		else if (strcmp(a, "--clear-policy") == 0)
			o->clear_policy = true;
		else if (strcmp(a, "--requires-preauth") == 0)
			o->set_preauth = 1;
		else if (strcmp(a, "--no-requires-preauth") == 0)
			o->set_preauth = -1;
		else if (strcmp(a, "--attr") == 0) {
			NEEDV();
			if (o->nattrs >= 16) {
				cli_error(CMD, "too many --attr");
				return 2;
			}
			o->attrs[o->nattrs++] = v;
		} else if (strcmp(a, "--max-life") == 0 || strcmp(a, "--max-renew") == 0) {
			int64_t d;
			NEEDV();
			if (config_parse_duration(v, &d) != ORTH_OK) {
				cli_error(CMD, "bad duration '%s' for %s", v, a);
				return 2;
			}
			if (a[6] == 'l') {
				o->have_max_life = true;
				o->max_life = d;
			} else {
				o->have_max_renew = true;
				o->max_renew = d;
			}
		} else if (strcmp(a, "--expires") == 0 || strcmp(a, "--pw-expires") == 0) {
			int64_t t;
			NEEDV();
			if (parse_time(v, &t) != 0) {
				cli_error(CMD, "bad time '%s' for %s", v, a);
				return 2;
			}
			if (a[2] == 'e') {
				o->have_expires = true;
				o->expires = t;
			} else {
				o->have_pw_expires = true;
				o->pw_expires = t;
			}
		} else if (strcmp(a, "--policy") == 0) {
			NEEDV();
			o->policy = v;
		} else if (strcmp(a, "--enctypes") == 0 || strcmp(a, "-e") == 0) {
			NEEDV();
			o->enctypes = v;
		} else if (strcmp(a, "--keytab") == 0 || strcmp(a, "-k") == 0) {
			NEEDV();
			o->keytab = v;
		} else if (strcmp(a, "--kvno") == 0) {
			char *e;
			unsigned long k;
			NEEDV();
			k = strtoul(v, &e, 10);
			if (*v == '\0' || *e != '\0' || k == 0 || k > UINT32_MAX) {
				cli_error(CMD, "bad kvno '%s'", v);
				return 2;
			}
			o->kvno = (uint32_t)k;
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error(CMD, "unknown option %s (try 'orthrus admin --help')", a);
			return 2;
		} else {
			if (o->nnames >= 64) {
				cli_error(CMD, "too many names");
				return 2;
			}
			o->names[o->nnames++] = a;
		}
#undef NEEDV
	}
	return 0;
}

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
	e->mod_by = mod_by();
	return 0;
}

static int
get_password(char *pw, size_t cap)
{
	int n = read_password(pw, cap);
	if (n <= 0 || n > MAX_PASSWORD) {
		cli_error(CMD, "no password on stdin (one line expected)");
		return 1;
	}
	return 0;
}

/*
 * The policy e names, read in t: *pol_out NULL when it names none.  A
 * policy that does not exist is refused (exit status 1) when named anew
 * (named: the command sets it), else treated as none (as the KDC does).
 */
static int
policy_of(struct admin *ad, struct db_txn *t, const struct db_entry *e, bool named,
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

static int
do_add(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8], pw[MAX_PASSWORD + 2] = "";
	struct db_entry *e;
	struct db_keyset ks;
	struct db_txn *t = NULL;
	struct db_policy polbuf, *pol = NULL;
	char why[ACCOUNT_WHY_MAX] = "";
	int32_t ets[DB_MAX_KEYS];
	size_t nets;
	orth_err ret;
	int rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc;
	if (o.nnames != 1 || o.password_stdin == o.random_key) {
		cli_error(CMD, "add: need one NAME and one of --password-stdin or --random-key");
		return 2;
	}
	if (o.enctypes != NULL && (rc = parse_enctypes(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || canon_name(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	if (o.enctypes == NULL) {
		nets = ad->realm->n_enctypes < DB_MAX_KEYS ? ad->realm->n_enctypes : DB_MAX_KEYS;
		memcpy(ets, ad->realm->supported_enctypes, nets * sizeof(ets[0]));
	}
	if (o.password_stdin && get_password(pw, sizeof(pw)))
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
		rc = db_fail("add", name, ret);
		goto out;
	}
	if ((rc = policy_of(ad, t, e, true, "add", &polbuf, &pol)) != 0)
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
		rc = db_fail("add", name, ret);
		goto out;
	}
	printf("added %s\n", name);
out:
	crypto_wipe(pw, sizeof(pw));
	db_txn_abort(t);
	return rc;
}

/*
 * New random keys for e (kvno + 1), in enctypes ets (none given: the
 * policy's allowed ones, else those e has, else the realm's), old key sets
 * kept as o and the realm say.  0, or 1 with the reason printed; *ret
 * the error of the key making.
 */
static int
randkey_apply(struct admin *ad, const struct princ_opts *o, const struct principal *p,
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
	int rc = parse_opts(argc, argv, &o);

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
	if (o.enctypes != NULL && (rc = parse_enctypes(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || canon_name(ad, o.names[0], &p, name, sizeof(name)))
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
	    (rc = policy_of(ad, t, e, o.policy != NULL, names[what], &polbuf, &pol)) != 0)
		goto out;
	if (ret == ORTH_OK && (o.policy != NULL || o.clear_policy) && !o.have_pw_expires) {
		/* MIT's modify_principal: a new policy's maximum life dates
		 * the current password; no policy, no expiry. */
		e->pw_expire = 0;
		if (pol != NULL && e->last_pw_change != 0)
			e->pw_expire = account_pw_expire(pol, e->last_pw_change);
	}
	if (ret == ORTH_OK && what == CH_RANDKEY &&
	    (rc = randkey_apply(ad, &o, &p, name, e, pol, ets, nets, &ret)) != 0)
		goto out;
	if (ret == ORTH_OK)
		ret = db_txn_put(t, e, DB_PUT_REPLACE);
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	if (ret != ORTH_OK) {
		rc = db_fail(names[what], name, ret);
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

/*
 * set-password: account_password_change() (kdc/account.h), the very
 * function kpasswd calls, as an administrator (the policy's minimum life
 * does not apply; its other rules do).
 */
static int
do_set_password(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8], pw[MAX_PASSWORD + 2] = "", why[ACCOUNT_WHY_MAX] = "";
	struct account_pw_change rq;
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	uint32_t kvno = 0;
	orth_err ret;
	int rc = parse_opts(argc, argv, &o);

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
	if (o.enctypes != NULL && (rc = parse_enctypes(o.enctypes, ets, &nets)) != 0)
		return rc;
	if (admin_setup(ad, true, true) || canon_name(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	if (get_password(pw, sizeof(pw)))
		return 1;
	memset(&rq, 0, sizeof(rq));
	rq.name = name;
	rq.password = pw;
	rq.password_len = strlen(pw);
	rq.by = mod_by();
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
		return db_fail("set-password", name, ret);
	printf("set-password: new keys for %s, kvno %u\n", name, kvno);
	return 0;
}

/* unlock: forget the failed pre-authentications (MIT's modprinc -unlock). */
static int
do_unlock(struct admin *ad, int argc, char **argv)
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
	if (admin_setup(ad, true, true) || canon_name(ad, argv[1], &p, name, sizeof(name)))
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
		return db_fail("unlock", name, ret);
	if (changed)
		printf("unlocked %s (%u failed pre-authentications forgotten)\n", name, had);
	else
		printf("%s has no failed pre-authentications counted: nothing to unlock\n", name);
	return 0;
}

static int
do_delete(struct admin *ad, int argc, char **argv)
{
	struct principal p;
	char name[DB_MAX_NAME + 8];
	orth_err ret;
	if (argc != 2) {
		cli_error(CMD, "delete: need one NAME");
		return 2;
	}
	if (admin_setup(ad, true, true) || canon_name(ad, argv[1], &p, name, sizeof(name)))
		return 1;
	ret = db_principal_delete(ad->db, name);
	if (ret != ORTH_OK)
		return db_fail("delete", name, ret);
	printf("deleted %s\n", name);
	return 0;
}

static int
do_rename(struct admin *ad, int argc, char **argv)
{
	struct principal p, q;
	char a[DB_MAX_NAME + 8], b[DB_MAX_NAME + 8];
	orth_err ret;
	if (argc != 3) {
		cli_error(CMD, "rename: need OLD and NEW");
		return 2;
	}
	if (admin_setup(ad, true, true) || canon_name(ad, argv[1], &p, a, sizeof(a)) ||
	    canon_name(ad, argv[2], &q, b, sizeof(b)))
		return 1;
	ret = db_principal_rename(ad->db, a, b);
	if (ret == ORTH_E_EXISTS)
		return db_fail("rename", b, ret);
	if (ret != ORTH_OK)
		return db_fail("rename", a, ret);
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
	fmt_time(e->last_failed, t5, sizeof(t5));
	fmt_time(until, t6, sizeof(t6));
	if (!locked)
		snprintf(lock, sizeof(lock), "not locked");
	else if (until != 0)
		snprintf(lock, sizeof(lock), "locked until %s", t6);
	else
		snprintf(lock, sizeof(lock), "locked until unlocked (orthrus admin unlock)");
	fmt_time(e->last_success, t6, sizeof(t6));
	if (e->last_success == 0)
		snprintf(t6, sizeof(t6), "not recorded");
	db_attrs_format(e->attributes, attrs, sizeof(attrs));
	fmt_time(e->princ_expire, t1, sizeof(t1));
	fmt_time(e->pw_expire, t2, sizeof(t2));
	fmt_time(e->last_pw_change, t3, sizeof(t3));
	fmt_time(e->mod_time, t4, sizeof(t4));
	if (json) {
		if (!first)
			printf(",\n");
		printf("{\"name\":");
		json_str(stdout, e->name, strlen(e->name));
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
		json_str(stdout, e->mod_by, strlen(e->mod_by));
		printf(",\"policy\":");
		json_str(stdout, e->policy, strlen(e->policy));
		printf(",\"fail_count\":%u,\"last_failed\":%lld,\"last_success\":%lld,"
		       "\"locked\":%s,\"locked_until\":%lld,\"history_keys\":%zu",
		       e->fail_count, (long long)e->last_failed, (long long)e->last_success,
		       locked ? "true" : "false", (long long)until, e->nhist);
		printf(",\"keys\":[");
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
				json_str(stdout, (const char *)k->salt, k->salt_len);
				if (k->s2kparams_len) {
					printf(",\"s2kparams\":\"");
					hex(stdout, k->s2kparams, k->s2kparams_len);
					printf("\"");
				}
				if (keys) {
					printf(",\"key\":\"");
					hex(stdout, kb, klen);
					printf("\"");
				}
				printf("}");
			} else {
				printf("Key: kvno %u, %s, salt %s \"%.*s\"", ks->kvno,
				       etn ? etn : "unknown", salt_type_name(k->salt_type),
				       (int)k->salt_len, (const char *)k->salt);
				if (keys) {
					printf(", key ");
					hex(stdout, kb, klen);
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

static int
do_get(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8];
	struct db_entry *e;
	orth_err ret;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	if (o.nnames != 1) {
		cli_error(CMD, "get: need one NAME");
		return 2;
	}
	if (admin_setup(ad, true, false) || canon_name(ad, o.names[0], &p, name, sizeof(name)))
		return 1;
	e = arena_alloc(&ad->a, sizeof(*e));
	if (e == NULL)
		return 1;
	ret = db_principal_get(ad->db, name, &ad->a, e);
	if (ret != ORTH_OK)
		return db_fail("get", name, ret);
	if (print_entry(ad, e, o.json, o.keys, true) != ORTH_OK)
		return 1;
	if (o.json)
		printf("\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

struct list_state {
	const char *glob;
	bool json;
	size_t n;
};

static orth_err
list_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	struct list_state *ls = arg;
	(void)rec;
	(void)len;
	if (ls->glob != NULL && fnmatch(ls->glob, e->name, 0) != 0)
		return ORTH_OK;
	if (ls->json) {
		printf("%s", ls->n ? "," : "");
		json_str(stdout, e->name, strlen(e->name));
	} else
		printf("%s\n", e->name);
	ls->n++;
	return ORTH_OK;
}

static int
do_list(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct list_state ls;
	orth_err ret;
	char globbuf[DB_MAX_NAME + 8];
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	if (o.nnames > 1) {
		cli_error(CMD, "list: at most one GLOB");
		return 2;
	}
	if (admin_setup(ad, true, false))
		return 1;
	ls.glob = o.nnames ? o.names[0] : NULL;
	/* like kadmin: a glob without a realm matches in the default realm */
	if (ls.glob != NULL && strchr(ls.glob, '@') == NULL) {
		snprintf(globbuf, sizeof(globbuf), "%s@%s", ls.glob, ad->realm->name);
		ls.glob = globbuf;
	}
	ls.json = o.json;
	ls.n = 0;
	if (o.json)
		printf("[");
	ret = db_principal_iterate(ad->db, list_one, &ls);
	if (o.json)
		printf("]\n");
	if (ret != ORTH_OK) {
		cli_error(CMD, "list: %s", orth_err_str(ret));
		return 1;
	}
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

	if (e == NULL || canon_name(ad, text, &p, name, sizeof(name)))
		return 1;
	memcpy(ets, ets_in, nets * sizeof(ets[0]));
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK)
		ret = db_txn_get(t, name, &ad->a, e);
	if (ret == ORTH_OK && (rc = policy_of(ad, t, e, false, "ktadd", &polbuf, &pol)) != 0)
		goto out;
	if (ret == ORTH_OK && (rc = randkey_apply(ad, o, &p, name, e, pol, ets, nets, &ret)) != 0)
		goto out;
	if (ret == ORTH_OK)
		ret = db_txn_put(t, e, DB_PUT_REPLACE);
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	if (ret != ORTH_OK)
		rc = db_fail("ktadd", name, ret);
out:
	db_txn_abort(t);
	return rc;
}

static int
do_ktadd(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct keytab_entry *ents;
	struct crypto_key *keys[64 * DB_MAX_KEYS];
	size_t n = 0, nkeys = 0;
	orth_err ret = ORTH_OK;
	uint32_t now = (uint32_t)time(NULL);
	int32_t ets[DB_MAX_KEYS];
	size_t nets = 0;
	int rc = parse_opts(argc, argv, &o);
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
	if (o.enctypes != NULL && (rc = parse_enctypes(o.enctypes, ets, &nets)) != 0)
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
		if (e == NULL || canon_name(ad, o.names[i], &p, name, sizeof(name))) {
			rc = 1;
			break;
		}
		ret = db_principal_get(ad->db, name, &ad->a, e);
		if (ret != ORTH_OK) {
			rc = db_fail("ktadd", name, ret);
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
				rc = db_fail("ktadd", name, ret);
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

static int
do_ktremove(struct admin *ad, int argc, char **argv)
{
	struct princ_opts o;
	struct principal p;
	char name[DB_MAX_NAME + 8];
	size_t removed = 0;
	orth_err ret;
	int rc = parse_opts(argc, argv, &o);
	if (rc)
		return rc;
	if (o.keytab == NULL || o.nnames != 1) {
		cli_error(CMD, "ktremove: need --keytab FILE and one NAME");
		return 2;
	}
	if (admin_setup(ad, false, false) || canon_name(ad, o.names[0], &p, name, sizeof(name)))
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

static int
do_ktlist(int argc, char **argv)
{
	struct princ_opts o;
	struct keytab kt;
	orth_err ret;
	int rc = parse_opts(argc, argv, &o);
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
		fmt_time(e->timestamp, ts, sizeof(ts));
		printf("%4u %-20s %s (%s)", e->kvno, ts, name, etn ? etn : "unknown");
		if (o.keys) {
			printf(" key ");
			hex(stdout, e->key, e->key_len);
		}
		printf("\n");
	}
	keytab_free(&kt);
	return 0;
}

/* ---- policies ---- */

struct pol_opts {
	bool json;
	const char *names[2];
	size_t nnames;
	bool have_maxlife, have_minlife, have_minlength, have_minclasses, have_history;
	bool have_maxfailure, have_interval, have_duration, have_allowed;
	int64_t maxlife, minlife, interval, duration;
	uint32_t minlength, minclasses, history, maxfailure;
	int32_t allowed[DB_MAX_KEYS];
	size_t n_allowed;
};

/* A count for option a: 0..max. */
static int
parse_count(const char *a, const char *v, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *v == '-' || *end != '\0' || errno != 0 || n > max) {
		cli_error(CMD, "bad value '%s' for %s (0 to %u)", v, a, (unsigned)max);
		return 2;
	}
	*out = (uint32_t)n;
	return 0;
}

/* `policy SUB [NAME] [options]`: argv[0] "policy", argv[1] SUB.  MIT's
 * kadmin option names (-maxlife ...), with two dashes. */
static int
parse_pol_opts(int argc, char **argv, struct pol_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;
		bool dur = strcmp(a, "--maxlife") == 0 || strcmp(a, "--minlife") == 0 ||
			   strcmp(a, "--failurecountinterval") == 0 ||
			   strcmp(a, "--lockoutduration") == 0;
		bool cnt = strcmp(a, "--minlength") == 0 || strcmp(a, "--minclasses") == 0 ||
			   strcmp(a, "--history") == 0 || strcmp(a, "--maxfailure") == 0;

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if ((dur || cnt || strcmp(a, "--allowedkeysalts") == 0) && v == NULL) {
			cli_error(CMD, "option %s needs a value", a);
			return 2;
		}
		if (dur) {
			int64_t d;
			i++;
			if (config_parse_duration(v, &d) != ORTH_OK) {
				cli_error(CMD, "bad duration '%s' for %s", v, a);
				return 2;
			}
			if (strcmp(a, "--maxlife") == 0) {
				o->have_maxlife = true;
				o->maxlife = d;
			} else if (strcmp(a, "--minlife") == 0) {
				o->have_minlife = true;
				o->minlife = d;
			} else if (strcmp(a, "--failurecountinterval") == 0) {
				o->have_interval = true;
				o->interval = d;
			} else {
				o->have_duration = true;
				o->duration = d;
			}
		} else if (cnt) {
			i++;
			if (strcmp(a, "--minlength") == 0) {
				o->have_minlength = true;
				rc = parse_count(a, v, ACCOUNT_MAX_PASSWORD, &o->minlength);
			} else if (strcmp(a, "--minclasses") == 0) {
				o->have_minclasses = true;
				rc = parse_count(a, v, 5, &o->minclasses);
			} else if (strcmp(a, "--history") == 0) {
				o->have_history = true;
				rc = parse_count(a, v, DB_MAX_HISTORY + 1, &o->history);
			} else {
				o->have_maxfailure = true;
				rc = parse_count(a, v, UINT32_MAX, &o->maxfailure);
			}
		} else if (strcmp(a, "--allowedkeysalts") == 0) {
			i++;
			o->have_allowed = true;
			/* MIT's "enctype:salt,...": only the normal salt here */
			if (strcmp(v, "none") != 0 && v[0] != '\0')
				rc = parse_enctypes(v, o->allowed, &o->n_allowed);
		} else if (a[0] == '-' && a[1] != '\0') {
			cli_error(CMD, "unknown option %s (try 'orthrus admin --help')", a);
			return 2;
		} else if (o->nnames < 2) {
			o->names[o->nnames++] = a;
		} else {
			cli_error(CMD, "policy: too many names");
			return 2;
		}
		if (rc)
			return rc;
	}
	return 0;
}

static bool
pol_opts_any(const struct pol_opts *o)
{
	return o->have_maxlife || o->have_minlife || o->have_minlength || o->have_minclasses ||
	       o->have_history || o->have_maxfailure || o->have_interval || o->have_duration ||
	       o->have_allowed;
}

static void
pol_opts_apply(const struct pol_opts *o, struct db_policy *p)
{
	if (o->have_maxlife)
		p->pw_max_life = o->maxlife;
	if (o->have_minlife)
		p->pw_min_life = o->minlife;
	if (o->have_minlength)
		p->pw_min_length = o->minlength;
	if (o->have_minclasses)
		p->pw_min_classes = o->minclasses;
	if (o->have_history)
		p->pw_history_num = o->history;
	if (o->have_maxfailure)
		p->pw_max_fail = o->maxfailure;
	if (o->have_interval)
		p->pw_failcnt_interval = o->interval;
	if (o->have_duration)
		p->pw_lockout_duration = o->duration;
	if (o->have_allowed) {
		p->n_allowed = o->n_allowed;
		memcpy(p->allowed_enctypes, o->allowed, o->n_allowed * sizeof(o->allowed[0]));
	}
}

/* Policy names: 1 to DB_MAX_POLICY_NAME printable ASCII characters. */
static int
policy_name_check(const char *name)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n <= DB_MAX_POLICY_NAME;

	for (size_t i = 0; ok && i < n; i++)
		ok = name[i] > ' ' && name[i] < 0x7f;
	if (!ok) {
		cli_error(CMD, "bad policy name '%s' (1 to %d printable characters, no spaces)", name,
			  DB_MAX_POLICY_NAME);
		return 2;
	}
	return 0;
}

/* "90d", "1d2h3m4s", "0" */
static void
fmt_duration(int64_t d, char *buf, size_t cap)
{
	size_t len = 0;
	static const struct {
		int64_t secs;
		char unit;
	} units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};

	buf[0] = '\0';
	if (d <= 0) {
		snprintf(buf, cap, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && len < cap; i++) {
		int k;
		if (d < units[i].secs)
			continue;
		k = snprintf(buf + len, cap - len, "%lld%c", (long long)(d / units[i].secs),
			     units[i].unit);
		if (k < 0)
			break;
		len += (size_t)k;
		d %= units[i].secs;
	}
}

static void
print_policy(const struct db_policy *p, bool json)
{
	char d1[64], d2[64], d3[64], d4[64], ets[512] = "";
	size_t len = 0;

	for (size_t i = 0; i < p->n_allowed && len < sizeof(ets); i++) {
		const char *n = crypto_enctype_name(p->allowed_enctypes[i]);
		int k = n ? snprintf(ets + len, sizeof(ets) - len, "%s%s:normal", i ? "," : "", n)
			  : snprintf(ets + len, sizeof(ets) - len, "%s%d:normal", i ? "," : "",
				     (int)p->allowed_enctypes[i]);
		if (k < 0)
			break;
		len += (size_t)k;
	}
	if (json) {
		printf("{\"name\":");
		json_str(stdout, p->name, strlen(p->name));
		printf(",\"pw_max_life\":%lld,\"pw_min_life\":%lld,\"pw_min_length\":%u,"
		       "\"pw_min_classes\":%u,\"pw_history_num\":%u,\"pw_max_fail\":%u,"
		       "\"pw_failcnt_interval\":%lld,\"pw_lockout_duration\":%lld,"
		       "\"allowed_keysalts\":",
		       (long long)p->pw_max_life, (long long)p->pw_min_life, p->pw_min_length,
		       p->pw_min_classes, p->pw_history_num, p->pw_max_fail,
		       (long long)p->pw_failcnt_interval, (long long)p->pw_lockout_duration);
		json_str(stdout, ets, strlen(ets));
		printf("}");
		return;
	}
	/* MIT's get_policy labels */
	fmt_duration(p->pw_max_life, d1, sizeof(d1));
	fmt_duration(p->pw_min_life, d2, sizeof(d2));
	fmt_duration(p->pw_failcnt_interval, d3, sizeof(d3));
	fmt_duration(p->pw_lockout_duration, d4, sizeof(d4));
	printf("Policy: %s\nMaximum password life: %s\nMinimum password life: %s\n"
	       "Minimum password length: %u\nMinimum number of password character classes: %u\n"
	       "Number of old keys kept: %u\nMaximum password failures before lockout: %u\n"
	       "Password failure count reset interval: %s\nPassword lockout duration: %s\n"
	       "Allowed key/salt types: %s\n",
	       p->name, d1, d2, p->pw_min_length, p->pw_min_classes, p->pw_history_num,
	       p->pw_max_fail, d3, d4, ets[0] ? ets : "(any)");
}

struct policy_use {
	const char *name;
	size_t n;
	char first[DB_MAX_NAME + 1];
};

static orth_err
policy_use_one(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	struct policy_use *u = arg;
	(void)rec;
	(void)len;
	if (strcmp(e->policy, u->name) == 0 && u->n++ == 0)
		snprintf(u->first, sizeof(u->first), "%s", e->name);
	return ORTH_OK;
}

struct policy_list {
	const char *glob;
	bool json;
	size_t n;
};

static orth_err
policy_list_one(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	struct policy_list *pl = arg;
	(void)rec;
	(void)len;
	if (pl->glob != NULL && fnmatch(pl->glob, p->name, 0) != 0)
		return ORTH_OK;
	if (pl->json) {
		printf("%s", pl->n ? "," : "");
		json_str(stdout, p->name, strlen(p->name));
	} else
		printf("%s\n", p->name);
	pl->n++;
	return ORTH_OK;
}

static int
pol_fail(const char *what, const char *name, orth_err ret)
{
	if (ret == ORTH_E_NOTFOUND)
		cli_error(CMD, "policy %s: policy %s does not exist", what, name);
	else if (ret == ORTH_E_EXISTS)
		cli_error(CMD, "policy %s: policy %s already exists", what, name);
	else if (ret == ORTH_E_NOSPACE)
		cli_error(CMD, "policy %s %s: database full (LMDB map size or disk); nothing was "
			  "written", what, name);
	else
		cli_error(CMD, "policy %s %s: %s", what, name, orth_err_str(ret));
	return 1;
}

static int
do_policy(struct admin *ad, int argc, char **argv)
{
	struct pol_opts o;
	struct db_policy *p;
	struct db_txn *t = NULL;
	const char *sub = argc > 1 ? argv[1] : "";
	bool is_add = strcmp(sub, "add") == 0, is_mod = strcmp(sub, "modify") == 0;
	orth_err ret = ORTH_OK;
	int rc = parse_pol_opts(argc, argv, &o);

	if (rc)
		return rc;
	if (!is_add && !is_mod && strcmp(sub, "delete") != 0 && strcmp(sub, "get") != 0 &&
	    strcmp(sub, "list") != 0) {
		cli_error(CMD, "policy: need add, modify, delete, get or list");
		return 2;
	}
	if (strcmp(sub, "list") == 0 ? o.nnames > 1 : o.nnames != 1) {
		cli_error(CMD, "policy %s: need %s", sub,
			  strcmp(sub, "list") == 0 ? "at most one GLOB" : "one policy NAME");
		return 2;
	}
	if (!is_add && !is_mod && pol_opts_any(&o)) {
		cli_error(CMD, "policy %s takes no policy options", sub);
		return 2;
	}
	if (o.nnames == 1 && (is_add || is_mod) && (rc = policy_name_check(o.names[0])) != 0)
		return rc;
	if (admin_setup(ad, true, is_add || is_mod || strcmp(sub, "delete") == 0))
		return 1;
	p = arena_alloc(&ad->a, sizeof(*p));
	if (p == NULL)
		return 1;
	memset(p, 0, sizeof(*p));
	if (strcmp(sub, "list") == 0) {
		struct policy_list pl = {o.nnames ? o.names[0] : NULL, o.json, 0};
		if (o.json)
			printf("[");
		ret = db_policy_iterate(ad->db, policy_list_one, &pl);
		if (o.json)
			printf("]\n");
		if (ret != ORTH_OK) {
			cli_error(CMD, "policy list: %s", orth_err_str(ret));
			return 1;
		}
		return 0;
	}
	if (strcmp(sub, "get") == 0) {
		ret = db_policy_get(ad->db, o.names[0], &ad->a, p);
		if (ret != ORTH_OK)
			return pol_fail("get", o.names[0], ret);
		print_policy(p, o.json);
		if (o.json)
			printf("\n");
		return fflush(stdout) == 0 ? 0 : 1;
	}
	ret = db_txn_begin(ad->db, &t);
	if (ret == ORTH_OK && strcmp(sub, "delete") == 0) {
		/* Inside the write transaction: no principal can take the
		 * policy between the count and the delete. */
		struct policy_use *u = arena_alloc(&ad->a, sizeof(*u));
		if (u == NULL)
			ret = ORTH_E_NOMEM;
		else {
			memset(u, 0, sizeof(*u));
			u->name = o.names[0];
			ret = db_principal_iterate(ad->db, policy_use_one, u);
		}
		if (ret == ORTH_OK && u->n > 0) {
			cli_error(CMD, "policy delete: policy %s is in use by %zu principal%s (%s%s); "
				  "change them with 'orthrus admin modify NAME --clear-policy' first",
				  o.names[0], u->n, u->n == 1 ? "" : "s", u->first,
				  u->n > 1 ? ", ..." : "");
			db_txn_abort(t);
			return 1;
		}
		if (ret == ORTH_OK)
			ret = db_txn_policy_delete(t, o.names[0]);
	} else if (ret == ORTH_OK) {
		if (is_mod)
			ret = db_txn_policy_get(t, o.names[0], &ad->a, p);
		p->name = o.names[0];
		pol_opts_apply(&o, p);
		if (ret == ORTH_OK)
			ret = db_txn_policy_put(t, p, is_add ? DB_PUT_NEW : DB_PUT_REPLACE);
	}
	if (ret == ORTH_OK) {
		ret = db_txn_commit(t);
		t = NULL;
	}
	db_txn_abort(t);
	if (ret != ORTH_OK)
		return pol_fail(sub, o.names[0], ret);
	printf("%s policy %s\n", is_add ? "added" : is_mod ? "modified" : "deleted", o.names[0]);
	return 0;
}

/* ---- dump / load ---- */
/*
 * The dump is src/db/dump.h's text format (docs/DUMP.md): one line per
 * principal and policy with named fields.  Keys stay sealed under the
 * master key; the file is mode 0600.
 */
static int
do_dump(struct admin *ad, int argc, char **argv)
{
	struct file_replace r = {0};
	struct db_dump_info info;
	orth_err ret;
	FILE *f = NULL;
	int fd;

	if (argc != 2) {
		cli_error(CMD, "dump: need FILE");
		return 2;
	}
	if (admin_setup(ad, true, false))
		return 1;
	/* The dump holds the sealed keys: a file only we can read, created
	 * beside FILE under a name nobody can plant (base/file.h). */
	ret = file_replace_begin(argv[1], 0600, &r);
	fd = ret == ORTH_OK ? dup(r.fd) : -1;
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		cli_error(CMD, "dump: cannot write %s: %s", argv[1],
			  ret != ORTH_OK ? orth_err_str(ret) : strerror(errno));
		if (fd >= 0)
			close(fd);
		file_replace_abort(&r);
		return 1;
	}
	ret = db_dump_write(ad->db, f, &info);
	if (fflush(f) != 0 && ret == ORTH_OK)
		ret = orth_err_from_errno(errno);
	if (fclose(f) != 0 && ret == ORTH_OK)
		ret = orth_err_from_errno(errno);
	if (ret == ORTH_OK)
		ret = file_replace_commit(&r);  /* fsync, rename */
	file_replace_abort(&r);
	if (ret != ORTH_OK) {
		cli_error(CMD, "dump: %s: %s", argv[1], orth_err_str(ret));
		return 1;
	}
	printf("dumped %zu principals and %zu policies to %s\n", info.nprinc, info.npol,
	       argv[1]);
	return 0;
}

static int
do_load(struct admin *ad, int argc, char **argv)
{
	FILE *f = NULL;
	struct db_dump_info info;
	bool created = false;
	orth_err ret;
	char err[512] = "";
	int rc = 1;
	struct stat st;

	if (argc != 2) {
		cli_error(CMD, "load: need FILE");
		return 2;
	}
	if (admin_setup(ad, false, true))
		return 1;
	f = fopen(argv[1], "r");
	if (f == NULL) {
		cli_error(CMD, "load: cannot read %s: %s", argv[1], strerror(errno));
		return 1;
	}
	/* header first, so a wrong file is refused before anything changes */
	ret = db_dump_read_header(f, &info, err, sizeof(err));
	if (ret != ORTH_OK) {
		if (info.line == 1)
			cli_error(CMD, "load: %s is %s", argv[1], err);
		else
			cli_error(CMD, "load: %s:%u: %s", argv[1], info.line, err);
		goto cleanup;
	}
	if (strcmp(info.realm, ad->realm->name) != 0) {
		cli_error(CMD, "load: %s is a dump of realm %s, not %s", argv[1], info.realm,
			  ad->realm->name);
		goto cleanup;
	}
	if (stat(ad->dbo.path, &st) == 0) {
		ret = db_open(&ad->dbo, &ad->db, err, sizeof(err));
	} else {
		/* a new database under the existing stash (the dump's keys are
		 * encrypted under that master key) */
		ret = db_create(&ad->dbo, ad->realm->master_key_type, NULL, true, &ad->db, err,
				sizeof(err));
		created = ret == ORTH_OK;
	}
	if (ret != ORTH_OK) {
		cli_error(CMD, "load: %s", err[0] ? err : orth_err_str(ret));
		goto cleanup;
	}
	err[0] = '\0';
	ret = db_dump_load(ad->db, f, &info, err, sizeof(err));
	if (ret == ORTH_E_MASTERKEY)
		cli_error(CMD, "load: %s:%u: wrong master key: the dump was made under another "
			  "master key than the stash %s", argv[1], info.line, ad->dbo.stash_path);
	else if (ret == ORTH_E_NOSPACE)
		cli_error(CMD, "load: database full (LMDB map size or disk); nothing was loaded");
	else if (ret != ORTH_OK)
		cli_error(CMD, "load: %s:%u: %s; nothing was loaded", argv[1], info.line,
			  err[0] ? err : orth_err_str(ret));
	if (ret != ORTH_OK)
		goto cleanup;
	printf("loaded %zu principals and %zu policies from %s\n", info.nprinc, info.npol,
	       argv[1]);
	rc = 0;
cleanup:
	if (rc != 0 && created) {
		db_close(ad->db);
		ad->db = NULL;
		db_remove_files(ad->dbo.path);
	}
	fclose(f);
	return rc;
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

static int
do_verify(struct admin *ad, int argc, char **argv)
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

int
cmd_admin(int argc, char **argv)
{
	struct admin ad;
	char **args;
	int nargs = 0, rc;
	const char *cfgopt = NULL;

	memset(&ad, 0, sizeof(ad));
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (args == NULL)
		return 1;
	/* -c/--config may stand anywhere */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				cli_error(CMD, "%s needs a file", argv[i]);
				free(args);
				return 2;
			}
			cfgopt = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0)
			cfgopt = argv[i] + 9;
		else
			args[nargs++] = argv[i];
	}
	if (nargs == 0 || strcmp(args[0], "--help") == 0 || strcmp(args[0], "-h") == 0 ||
	    strcmp(args[0], "help") == 0) {
		usage(nargs == 0 ? stderr : stdout);
		free(args);
		return nargs == 0 ? 2 : 0;
	}
	ad.config_path = config_path_choose(cfgopt);
	if (strcmp(args[0], "init") == 0)
		rc = do_init(&ad, nargs, args);
	else if (strcmp(args[0], "upgrade") == 0)
		rc = do_upgrade(&ad, nargs, args);
	else if (strcmp(args[0], "add") == 0)
		rc = do_add(&ad, nargs, args);
	else if (strcmp(args[0], "modify") == 0)
		rc = do_change(&ad, nargs, args, CH_MODIFY);
	else if (strcmp(args[0], "set-password") == 0)
		rc = do_set_password(&ad, nargs, args);
	else if (strcmp(args[0], "unlock") == 0)
		rc = do_unlock(&ad, nargs, args);
	else if (strcmp(args[0], "policy") == 0)
		rc = do_policy(&ad, nargs, args);
	else if (strcmp(args[0], "randkey") == 0)
		rc = do_change(&ad, nargs, args, CH_RANDKEY);
	else if (strcmp(args[0], "delete") == 0)
		rc = do_delete(&ad, nargs, args);
	else if (strcmp(args[0], "rename") == 0)
		rc = do_rename(&ad, nargs, args);
	else if (strcmp(args[0], "get") == 0)
		rc = do_get(&ad, nargs, args);
	else if (strcmp(args[0], "list") == 0)
		rc = do_list(&ad, nargs, args);
	else if (strcmp(args[0], "ktadd") == 0)
		rc = do_ktadd(&ad, nargs, args);
	else if (strcmp(args[0], "ktremove") == 0)
		rc = do_ktremove(&ad, nargs, args);
	else if (strcmp(args[0], "ktlist") == 0)
		rc = do_ktlist(nargs, args);
	else if (strcmp(args[0], "dump") == 0)
		rc = do_dump(&ad, nargs, args);
	else if (strcmp(args[0], "load") == 0)
		rc = do_load(&ad, nargs, args);
	else if (strcmp(args[0], "verify") == 0)
		rc = do_verify(&ad, nargs, args);
	else if (strcmp(args[0], "import-mit") == 0)
		rc = admin_import_mit(&ad, nargs, args);
	else if (strcmp(args[0], "migrate") == 0)
		rc = admin_migrate(&ad, nargs, args);
	else {
		cli_error(CMD, "unknown command '%s' (try 'orthrus admin --help')", args[0]);
		rc = 2;
	}
	admin_free(&ad);
	free(args);
	return rc;
}
