/*
 * ktutil.c - `orthrus ktutil`: keytabs on a host without the database, as
 * MIT's ktutil does them, but as non-interactive subcommands (one change
 * per run, for scripts and configuration management):
 *   list [-t] [-k] [-e] KEYTAB        MIT's ktutil "list" layout (slots)
 *   add -p PRINC -k KVNO [-e ENCTYPE[,ENCTYPE...]] [-s SALT]
 *       [--password-stdin | --key-stdin] KEYTAB
 *                                     MIT's "addent -password" / "-key":
 *                                     keys from a password (default salt:
 *                                     realm + components, RFC 4120 §4)
 *                                     or a hex key; default enctypes: the
 *                                     permitted_enctypes of krb5.conf
 *   remove -p PRINC [-k KVNO] KEYTAB  the principal's entries (of KVNO)
 *   merge SRC... DST                  MIT's "rkt SRC; wkt DST": SRC's
 *                                     entries appended to DST, an entry DST
 *                                     already holds (same principal, kvno,
 *                                     enctype and key) skipped
 * The keytab is rewritten whole beside itself and renamed (keytab.h).
 * Usage errors exit 2, failures 1.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <orthrus/base.h>
#include <orthrus/client.h>
#include <orthrus/keytab.h>

#include "commands.h"
#include "ktools.h"

#define CMD "ktutil"
#define KTUTIL_MAX_ETYPES 16
#define KTUTIL_MAX_SECRET 1024
#define KTUTIL_MAX_KEY 64

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: orthrus ktutil COMMAND [ARGS...]   (MIT's ktutil, one command per run)\n"
		"  list [-t] [-k] [-e] KEYTAB\n"
		"  add -p PRINC -k KVNO [-e ENCTYPE[,ENCTYPE...]] [-s SALT]\n"
		"      [--password-stdin | --key-stdin] KEYTAB\n"
		"      keys from a password (prompted on a terminal, else one line of\n"
		"      stdin) or, with --key-stdin, a hex key (one enctype); enctypes\n"
		"      default to krb5.conf's permitted_enctypes\n"
		"  remove -p PRINC [-k KVNO] KEYTAB\n"
		"  merge SRC... DST                 append SRC's entries to DST\n");
}

/* Open the keytab name and walk it: 0, or 1 with the reason printed
 * (MIT's words for a missing file).  *kt and *it: the caller closes. */
static int
kt_walk(const char *name, struct orthrus_keytab **kt, struct orthrus_keytab_iter **it)
{
	orth_err e = orthrus_keytab_resolve(NULL, name, kt);

	*it = NULL;
	if (e == ORTHRUS_OK)
		e = orthrus_keytab_iter_begin(NULL, *kt, it);
	if (e == ORTHRUS_OK)
		return 0;
	if (e == ORTHRUS_E_NOTFOUND && *kt != NULL)
		cli_error(CMD, "Key table file '%s' not found", orthrus_keytab_path(*kt));
	else
		cli_error(CMD, "%s while reading keytab %s", orthrus_error_message(NULL, e),
			  *kt != NULL ? orthrus_keytab_path(*kt) : name);
	return 1;
}

/* list: MIT ktutil's table (slot, kvno, principal right-aligned in 40). */
static int
do_list(int argc, char **argv)
{
	bool show_time = false, show_keys = false, show_etype = false;
	struct orthrus_keytab *kt = NULL;
	struct orthrus_keytab_iter *it = NULL;
	const struct orthrus_keytab_entry *k;
	size_t slot = 0;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt(argc, argv, "tke")) != -1) {
		switch (c) {
		case 't': show_time = true; break;
		case 'k': show_keys = true; break;
		case 'e': show_etype = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	if (kt_walk(argv[optind], &kt, &it) != 0)
		goto out;
	if (show_time) {
		printf("slot KVNO Timestamp         Principal\n");
		printf("---- ---- ----------------- ---------------------------------------------------\n");
	} else {
		printf("slot KVNO Principal\n");
		printf("---- ---- ---------------------------------------------------------------------\n");
	}
	while (orthrus_keytab_iter_next(it, &k) == ORTHRUS_OK) {
		printf("%4zu %4u ", ++slot, orthrus_keytab_entry_kvno(k));
		if (show_time) {
			time_t tt = (time_t)orthrus_keytab_entry_timestamp(k);
			struct tm tm;
			char ts[64] = "";
			if (localtime_r(&tt, &tm) != NULL)
				strftime(ts, sizeof(ts), "%x %X", &tm);
			printf("%s ", ts);
		}
		ktools_keytab_entry_print(k, 40, show_etype, show_keys);
	}
	rc = 0;
out:
	orthrus_keytab_iter_end(it);
	orthrus_keytab_close(kt);
	return rc;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "0x..." or bare hex into out (exactly want bytes). */
static int
parse_hex_key(const char *s, uint8_t *out, size_t want)
{
	size_t n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != 2 * want)
		return -1;
	for (; n < want; n++) {
		int hi = hexval((unsigned char)s[2 * n]),
		    lo = hexval((unsigned char)s[2 * n + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[n] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
parse_etypes(struct orthrus_context *ctx, const char *list, int32_t *out,
	     size_t *n_out)
{
	char buf[512], *save = NULL, *tok;
	size_t n = 0;

	if (list == NULL) {
		if (orthrus_permitted_enctypes(ctx, out, KTUTIL_MAX_ETYPES, &n) != ORTHRUS_OK)
			n = 0;
		*n_out = n;
		return n > 0 ? 0 : 1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		int32_t e = orthrus_enctype_from_name(tok);
		if (e == 0) {
			cli_error(CMD, "Encryption type %s not supported", tok);
			return 2;
		}
		if (n == KTUTIL_MAX_ETYPES) {
			cli_error(CMD, "too many enctypes");
			return 2;
		}
		out[n++] = e;
	}
	*n_out = n;
	return n > 0 ? 0 : 2;
}

/* add: MIT's addent -password / -key, then wkt. */
static int
do_add(struct orthrus_context *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"password-stdin", no_argument, NULL, 'W'},
		{"key-stdin", no_argument, NULL, 'K'},
		{NULL, 0, NULL, 0}};
	const char *pname = NULL, *elist = NULL, *salt = NULL;
	bool use_key = false;
	long kvno = -1;
	char *end, secret[KTUTIL_MAX_SECRET], prompt[1100];
	int32_t ets[KTUTIL_MAX_ETYPES];
	struct orthrus_keytab_entry *ents[KTUTIL_MAX_ETYPES] = {0};
	struct orthrus_keytab *kt = NULL;
	uint8_t keybuf[KTUTIL_MAX_KEY];
	size_t nets = 0;
	struct orthrus_principal *p = NULL;
	orth_err e;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:k:e:s:", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': pname = optarg; break;
		case 'k':
			kvno = strtol(optarg, &end, 10);
			if (*end != '\0' || kvno < 0 || kvno > (long)UINT32_MAX) {
				cli_error(CMD, "bad kvno '%s'", optarg);
				return 2;
			}
			break;
		case 'e': elist = optarg; break;
		case 's': salt = optarg; break;
		case 'W': use_key = false; break;
		case 'K': use_key = true; break;
		default: usage(stderr); return 2;
		}
	}
	if (pname == NULL || kvno < 0 || argc - optind != 1) {
		cli_error(CMD, "add: need -p PRINC, -k KVNO and one KEYTAB");
		return 2;
	}
	if ((rc = parse_etypes(ctx, elist, ets, &nets)) != 0)
		return rc;
	rc = 1;
	if (use_key && nets != 1) {
		cli_error(CMD, "add --key-stdin: name exactly one enctype with -e");
		return 2;
	}
	if (orthrus_principal_parse(ctx, pname, &p) != ORTHRUS_OK) {
		cli_error(CMD, "Malformed principal name '%s'", pname);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), use_key ? "Key for %s (hex): "
						 : "Password for %s: ",
		 pname);
	/* an empty secret is none */
	if (ktools_secret_read(prompt, secret, sizeof(secret)) != 0 || secret[0] == '\0') {
		cli_error(CMD, "cannot read the %s", use_key ? "key" : "password");
		goto out;
	}
	for (size_t i = 0; i < nets; i++) {
		if (use_key) {
			size_t kl = orthrus_enctype_key_length(ets[i]);
			if (kl > sizeof(keybuf) || parse_hex_key(secret, keybuf, kl) != 0) {
				cli_error(CMD, "the key is not %zu bytes of hex", kl);
				goto out;
			}
			e = orthrus_keytab_entry_new(p, (uint32_t)kvno, ets[i], keybuf, kl,
						     &ents[i]);
			explicit_bzero(keybuf, sizeof(keybuf));
		} else {
			e = orthrus_keytab_entry_from_password(p, (uint32_t)kvno, ets[i], secret,
							       salt, &ents[i]);
		}
		if (e != ORTHRUS_OK) {
			cli_error(CMD, "cannot make the %s key: %s",
				  orthrus_enctype_name(ets[i]), orthrus_error_message(NULL, e));
			goto out;
		}
	}
	e = orthrus_keytab_resolve(ctx, argv[optind], &kt);
	if (e == ORTHRUS_OK)
		e = orthrus_keytab_add(ctx, kt,
				       (const struct orthrus_keytab_entry *const *)ents, nets);
	if (e != ORTHRUS_OK) {
		cli_error(CMD, "cannot write keytab %s: %s",
			  kt != NULL ? orthrus_keytab_path(kt) : argv[optind],
			  orthrus_error_message(ctx, e));
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(secret, sizeof(secret));
	for (size_t i = 0; i < nets; i++)
		orthrus_keytab_entry_free(ents[i]);
	orthrus_keytab_close(kt);
	orthrus_principal_free(p);
	return rc;
}

static int
do_remove(struct orthrus_context *ctx, int argc, char **argv)
{
	const char *pname = NULL;
	long kvno = 0;
	struct orthrus_principal *p = NULL;
	struct orthrus_keytab *kt = NULL;
	size_t removed = 0;
	char *end;
	orth_err e;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt(argc, argv, "p:k:")) != -1) {
		switch (c) {
		case 'p': pname = optarg; break;
		case 'k':
			kvno = strtol(optarg, &end, 10);
			if (*end != '\0' || kvno <= 0 || kvno > (long)UINT32_MAX) {
				cli_error(CMD, "bad kvno '%s'", optarg);
				return 2;
			}
			break;
		default: usage(stderr); return 2;
		}
	}
	if (pname == NULL || argc - optind != 1) {
		cli_error(CMD, "remove: need -p PRINC and one KEYTAB");
		return 2;
	}
	if (orthrus_principal_parse(ctx, pname, &p) != ORTHRUS_OK) {
		cli_error(CMD, "Malformed principal name '%s'", pname);
		goto out;
	}
	e = orthrus_keytab_resolve(ctx, argv[optind], &kt);
	if (e == ORTHRUS_OK)
		e = orthrus_keytab_remove(ctx, kt, p, (uint32_t)kvno, &removed);
	if (e == ORTHRUS_E_NOTFOUND) {
		cli_error(CMD, "Key table file '%s' not found", orthrus_keytab_path(kt));
		goto out;
	}
	if (e != ORTHRUS_OK) {
		cli_error(CMD, "cannot write keytab %s: %s",
			  kt != NULL ? orthrus_keytab_path(kt) : argv[optind],
			  orthrus_error_message(ctx, e));
		goto out;
	}
	if (removed == 0) {
		cli_error(CMD, "no entry of %s%s in %s", pname, kvno ? " with that kvno" : "",
			  orthrus_keytab_path(kt));
		goto out;
	}
	printf("removed %zu entries\n", removed);
	rc = 0;
out:
	orthrus_keytab_close(kt);
	orthrus_principal_free(p);
	return rc;
}

/* Append k to the list *v (n used, *cap allocated); -1 without memory. */
static int
entries_push(const struct orthrus_keytab_entry ***v, size_t *n, size_t *cap,
	     const struct orthrus_keytab_entry *k)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		const struct orthrus_keytab_entry **nv = realloc(*v, c * sizeof(**v));
		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = k;
	return 0;
}

/* Whether list v[n] holds an entry equal to k. */
static bool
entries_have(const struct orthrus_keytab_entry *const *v, size_t n,
	     const struct orthrus_keytab_entry *k)
{
	for (size_t i = 0; i < n; i++)
		if (orthrus_keytab_entry_equal(k, v[i]))
			return true;
	return false;
}

/* merge SRC... DST: MIT's "rkt SRC ... wkt DST" without the repeats. */
static int
do_merge(int argc, char **argv)
{
	struct orthrus_keytab *dst = NULL, *src[16] = {0};
	struct orthrus_keytab_iter *dit = NULL, *sit[16] = {0};
	const struct orthrus_keytab_entry **have = NULL, **add = NULL, *k;
	size_t nsrc = (size_t)argc - 2, nhave = 0, chave = 0, nadd = 0, cadd = 0;
	orth_err e;
	int rc = 1;

	if (argc < 3 || nsrc > sizeof(src) / sizeof(src[0])) {
		cli_error(CMD, "merge: need 1 to 16 SRC keytabs and a DST");
		return 2;
	}
	/* A missing DST is an empty one; any other failure stops. */
	e = orthrus_keytab_resolve(NULL, argv[argc - 1], &dst);
	if (e == ORTHRUS_OK)
		e = orthrus_keytab_iter_begin(NULL, dst, &dit);
	if (e != ORTHRUS_OK && e != ORTHRUS_E_NOTFOUND) {
		cli_error(CMD, "%s while reading keytab %s", orthrus_error_message(NULL, e),
			  dst != NULL ? orthrus_keytab_path(dst) : argv[argc - 1]);
		goto out;
	}
	while (dit != NULL && orthrus_keytab_iter_next(dit, &k) == ORTHRUS_OK)
		if (entries_push(&have, &nhave, &chave, k) != 0)
			goto out;
	for (size_t i = 0; i < nsrc; i++) {
		if (kt_walk(argv[1 + i], &src[i], &sit[i]) != 0)
			goto out;
		while (orthrus_keytab_iter_next(sit[i], &k) == ORTHRUS_OK)
			if (!entries_have(have, nhave, k) && !entries_have(add, nadd, k) &&
			    entries_push(&add, &nadd, &cadd, k) != 0)
				goto out;
	}
	if (nadd > 0) {
		e = orthrus_keytab_add(NULL, dst, add, nadd);
		if (e != ORTHRUS_OK) {
			cli_error(CMD, "cannot write keytab %s: %s", orthrus_keytab_path(dst),
				  orthrus_error_message(NULL, e));
			goto out;
		}
	}
	printf("merged %zu entries into %s\n", nadd, orthrus_keytab_path(dst));
	rc = 0;
out:
	free(add);
	free(have);
	orthrus_keytab_iter_end(dit);
	orthrus_keytab_close(dst);
	for (size_t i = 0; i < nsrc && i < sizeof(src) / sizeof(src[0]); i++) {
		orthrus_keytab_iter_end(sit[i]);
		orthrus_keytab_close(src[i]);
	}
	return rc;
}

int
cmd_ktutil(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	orth_err e;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "list") == 0)
		return do_list(argc - 1, argv + 1);
	if (strcmp(argv[1], "merge") == 0)
		return do_merge(argc - 1, argv + 1);
	if (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "remove") != 0) {
		cli_error(CMD, "unknown command '%s' (try 'orthrus ktutil --help')",
			  argv[1]);
		return 2;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTHRUS_OK) {
		cli_error(CMD, "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	rc = strcmp(argv[1], "add") == 0 ? do_add(ctx, argc - 1, argv + 1)
					 : do_remove(ctx, argc - 1, argv + 1);
	orthrus_context_free(ctx);
	return rc;
}
