/*
 * admin.c - `orthrus admin`: local administration of the principal
 * database (like MIT's kadmin.local).  Every change is one database write
 * transaction: an error leaves the database as it was.  Errors are one
 * line on stderr; exit 0 success, 1 failure, 2 bad arguments.
 *
 * This file: the dispatch, the setup (configuration, database), the
 * options and helpers the commands share, and the creation of a database
 * (init, upgrade).  The commands are in admin_*.c (admin.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/account.h"
#include "kdc/kdc_config.h"
#include "proto/krb5_const.h"
#include "proto/principal.h"

#define CMD "admin"
#define ARENA_SIZE (4u << 20)

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
		"      [--allowed-to-delegate-to [-]SERVICE]... [--clear-allowed-to-delegate-to]\n"
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
		"  bulk-add PREFIX COUNT [--start N] [--batch N]\n"
		"      (PREFIX<N>.. with random keys, many to a transaction: large test realms)\n"
		"  migrate --to ldap|lmdb [--quiet]\n"
		"      (copy the realm into the directory of its database_module, or back)\n"
		"CONFIG: -c/--config FILE, else $ORTHRUS_CONFIG, else %s\n"
		"TIME: never, a Unix time, YYYY-MM-DD[THH:MM[:SS]] (UTC), or +DURATION\n",
		CONFIG_DEFAULT_PATH);
}

/* ---- small helpers ---- */

void
admin_hex_print(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void
admin_json_print(FILE *f, const char *s, size_t n)
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

void
admin_time_format(int64_t t, char *buf, size_t cap)
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

const char *
admin_mod_by(void)
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
int
admin_name_canon(struct admin *ad, const char *text, struct principal *p, char *buf, size_t cap)
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

int
admin_db_fail(const char *what, const char *name, orth_err ret)
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

int
admin_enctypes_parse(const char *list, int32_t *out, size_t *n)
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
		e->mod_by = admin_mod_by();
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
admin_upgrade(struct admin *ad, int argc, char **argv)
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
admin_init(struct admin *ad, int argc, char **argv)
{
	bool from_stdin = false;
	char pw[ADMIN_MAX_PASSWORD + 2];
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
		if (n <= 0 || n > ADMIN_MAX_PASSWORD) {
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
		e->mod_by = admin_mod_by();
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

/* Parse the options shared by the principal commands. 0, or exit status. */
int
admin_opts_parse(int argc, char **argv, struct princ_opts *o)
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
		else if (strcmp(a, "--clear-allowed-to-delegate-to") == 0)
			o->clear_deleg = true;
		else if (strcmp(a, "--allowed-to-delegate-to") == 0) {
			NEEDV();
			if (o->ndeleg >= 16) {
				cli_error(CMD, "too many --allowed-to-delegate-to");
				return 2;
			}
			o->deleg[o->ndeleg++] = v;
		} else if (strcmp(a, "--attr") == 0) {
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

int
admin_password_get(char *pw, size_t cap)
{
	int n = read_password(pw, cap);
	if (n <= 0 || n > ADMIN_MAX_PASSWORD) {
		cli_error(CMD, "no password on stdin (one line expected)");
		return 1;
	}
	return 0;
}

/* ---- lists ---- */

/* One `list [GLOB] [--json]`, of principals or of policies. */
struct names_list {
	const char *glob;
	bool json;
	size_t n;
};

static void
names_list_one(struct names_list *nl, const char *name)
{
	if (nl->glob != NULL && fnmatch(nl->glob, name, 0) != 0)
		return;
	if (nl->json) {
		printf("%s", nl->n ? "," : "");
		admin_json_print(stdout, name, strlen(name));
	} else
		printf("%s\n", name);
	nl->n++;
}

static orth_err
names_list_principal(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	(void)rec;
	(void)len;
	names_list_one(arg, e->name);
	return ORTH_OK;
}

static orth_err
names_list_policy(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	(void)rec;
	(void)len;
	names_list_one(arg, p->name);
	return ORTH_OK;
}

int
admin_names_list(struct admin *ad, enum admin_names which, const char *glob, bool json,
		 const char *what)
{
	struct names_list nl = {glob, json, 0};
	orth_err ret;

	if (json)
		printf("[");
	if (which == ADMIN_NAMES_PRINCIPALS)
		ret = db_principal_iterate(ad->db, names_list_principal, &nl);
	else
		ret = db_policy_iterate(ad->db, names_list_policy, &nl);
	if (json)
		printf("]\n");
	if (ret != ORTH_OK) {
		cli_error(CMD, "%s: %s", what, orth_err_str(ret));
		return 1;
	}
	return 0;
}

/* The commands of `orthrus admin`, by name. */
static const struct {
	const char *name;
	int (*run)(struct admin *ad, int argc, char **argv);
} commands[] = {
	{"init", admin_init},
	{"upgrade", admin_upgrade},
	{"add", admin_add},
	{"modify", admin_modify},
	{"set-password", admin_set_password},
	{"unlock", admin_unlock},
	{"policy", admin_policy},
	{"randkey", admin_randkey},
	{"delete", admin_delete},
	{"rename", admin_rename},
	{"get", admin_get},
	{"list", admin_list},
	{"ktadd", admin_ktadd},
	{"ktremove", admin_ktremove},
	{"ktlist", admin_ktlist},
	{"dump", admin_dump},
	{"load", admin_load},
	{"verify", admin_verify},
	{"import-mit", admin_import_mit},
	{"bulk-add", admin_bulk_add},
	{"migrate", admin_migrate},
};

int
cmd_admin(int argc, char **argv)
{
	struct admin ad;
	char **args;
	int nargs = 0, rc;
	const char *cfgopt = NULL;
	int (*run)(struct admin *, int, char **) = NULL;

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
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(args[0], commands[i].name) == 0)
			run = commands[i].run;
	if (run != NULL)
		rc = run(&ad, nargs, args);
	else {
		cli_error(CMD, "unknown command '%s' (try 'orthrus admin --help')", args[0]);
		rc = 2;
	}
	admin_free(&ad);
	free(args);
	return rc;
}
