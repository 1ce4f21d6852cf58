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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "client/client_int.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "orthrus/client.h"

#define CMD "ktutil"
#define KTUTIL_MAX_ETYPES 16
#define KTUTIL_MAX_SECRET 1024

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

static const char *
etype_name(int32_t e, char *buf, size_t cap)
{
	const char *n = crypto_enctype_name(e);
	if (n != NULL)
		return n;
	snprintf(buf, cap, "etype %d", e);
	return buf;
}

static const char *
kt_path(const char *name)
{
	if (strncmp(name, "FILE:", 5) == 0)
		return name + 5;
	if (strncmp(name, "WRFILE:", 7) == 0)
		return name + 7;
	return name;
}

static int
kt_read(const char *name, struct keytab *kt)
{
	orth_err e = keytab_read(kt_path(name), kt);

	if (e == ORTH_OK)
		return 0;
	if (e == ORTH_E_NOTFOUND)
		cli_error(CMD, "Key table file '%s' not found", kt_path(name));
	else
		cli_error(CMD, "%s while reading keytab %s", orth_err_str(e),
			  kt_path(name));
	return 1;
}

/* list: MIT ktutil's table (slot, kvno, principal right-aligned in 40). */
static int
do_list(int argc, char **argv)
{
	bool show_time = false, show_keys = false, show_etype = false;
	struct keytab kt;
	int c;

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
	if (kt_read(argv[optind], &kt) != 0)
		return 1;
	if (show_time) {
		printf("slot KVNO Timestamp         Principal\n");
		printf("---- ---- ----------------- ---------------------------------------------------\n");
	} else {
		printf("slot KVNO Principal\n");
		printf("---- ---- ---------------------------------------------------------------------\n");
	}
	for (size_t i = 0; i < kt.n; i++) {
		const struct keytab_entry *k = &kt.entries[i];
		char pn[PRINCIPAL_MAX_TEXT + 1], b[32];
		if (principal_unparse(&k->princ, pn, sizeof(pn), NULL) != ORTH_OK)
			snprintf(pn, sizeof(pn), "?");
		printf("%4zu %4u ", i + 1, k->kvno);
		if (show_time) {
			time_t tt = (time_t)k->timestamp;
			struct tm tm;
			char ts[64] = "";
			if (localtime_r(&tt, &tm) != NULL)
				strftime(ts, sizeof(ts), "%x %X", &tm);
			printf("%s ", ts);
		}
		printf("%40s", pn);
		if (show_etype)
			printf(" (%s) ", etype_name(k->enctype, b, sizeof(b)));
		if (show_keys) {
			printf(" (0x");
			for (size_t j = 0; j < k->key_len; j++)
				printf("%02x", k->key[j]);
			printf(")");
		}
		printf("\n");
	}
	keytab_free(&kt);
	return 0;
}

/* One line of stdin (no echo on a terminal) into buf; 0 on success. */
static int
read_secret(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
			return -1;
	}
	if (fgets(buf, (int)cap, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n == 0 ? -1 : 0;
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
		const struct client_conf *c = &ctx->c.conf;
		for (size_t i = 0; i < c->npermitted && n < KTUTIL_MAX_ETYPES; i++)
			out[n++] = c->permitted[i];
		*n_out = n;
		return n > 0 ? 0 : 1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL;
	     tok = strtok_r(NULL, ", \t", &save)) {
		int32_t e = crypto_enctype_from_name(tok);
		if (e <= 0 || !crypto_enctype_supported(e)) {
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
	char *end, secret[KTUTIL_MAX_SECRET], prompt[PRINCIPAL_MAX_TEXT + 32];
	int32_t ets[KTUTIL_MAX_ETYPES];
	struct crypto_key *keys[KTUTIL_MAX_ETYPES] = {0};
	struct keytab_entry ents[KTUTIL_MAX_ETYPES];
	uint8_t keybuf[CRYPTO_MAX_KEY_LEN];
	size_t nets = 0;
	struct arena a = {0};
	struct principal p;
	uint8_t *dsalt = NULL;
	size_t dsalt_len = 0;
	orth_err e;
	int c, rc = 1;

	memset(ents, 0, sizeof(ents));
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
	if (arena_init(&a, 16 * 1024) != ORTH_OK ||
	    principal_parse(pname, orthrus_default_realm(ctx), &a, &p) != ORTH_OK) {
		cli_error(CMD, "Malformed principal name '%s'", pname);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), use_key ? "Key for %s (hex): "
						 : "Password for %s: ",
		 pname);
	if (read_secret(prompt, secret, sizeof(secret)) != 0) {
		cli_error(CMD, "cannot read the %s", use_key ? "key" : "password");
		goto out;
	}
	if (salt == NULL && !use_key &&
	    principal_salt(&p, &a, &dsalt, &dsalt_len) != ORTH_OK)
		goto out;
	for (size_t i = 0; i < nets; i++) {
		if (use_key) {
			size_t kl = crypto_enctype_keylen(ets[i]);
			if (parse_hex_key(secret, keybuf, kl) != 0) {
				cli_error(CMD, "the key is not %zu bytes of hex", kl);
				goto out;
			}
			e = crypto_key_new(ets[i], keybuf, kl, &keys[i]);
			crypto_wipe(keybuf, sizeof(keybuf));
		} else {
			e = crypto_string_to_key(
				ets[i], secret, strlen(secret),
				salt ? (const uint8_t *)salt : dsalt,
				salt ? strlen(salt) : dsalt_len, NULL, 0, &keys[i]);
		}
		if (e != ORTH_OK) {
			cli_error(CMD, "cannot make the %s key: %s",
				  crypto_enctype_name(ets[i]), orth_err_str(e));
			goto out;
		}
		ents[i].princ = p;
		ents[i].timestamp = (uint32_t)time(NULL);
		ents[i].kvno = (uint32_t)kvno;
		ents[i].enctype = ets[i];
		ents[i].key = crypto_key_bytes(keys[i], &ents[i].key_len);
	}
	e = keytab_append(kt_path(argv[optind]), ents, nets);
	if (e != ORTH_OK) {
		cli_error(CMD, "cannot write keytab %s: %s", kt_path(argv[optind]),
			  orth_err_str(e));
		goto out;
	}
	rc = 0;
out:
	crypto_wipe(secret, sizeof(secret));
	for (size_t i = 0; i < nets; i++)
		crypto_key_free(keys[i]);
	arena_free(&a);
	return rc;
}

static int
do_remove(struct orthrus_context *ctx, int argc, char **argv)
{
	const char *pname = NULL;
	long kvno = 0;
	struct arena a = {0};
	struct principal p;
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
	if (arena_init(&a, 16 * 1024) != ORTH_OK ||
	    principal_parse(pname, orthrus_default_realm(ctx), &a, &p) != ORTH_OK) {
		cli_error(CMD, "Malformed principal name '%s'", pname);
		goto out;
	}
	e = keytab_remove(kt_path(argv[optind]), &p, (uint32_t)kvno, &removed);
	if (e == ORTH_E_NOTFOUND) {
		cli_error(CMD, "Key table file '%s' not found", kt_path(argv[optind]));
		goto out;
	}
	if (e != ORTH_OK) {
		cli_error(CMD, "cannot write keytab %s: %s", kt_path(argv[optind]),
			  orth_err_str(e));
		goto out;
	}
	if (removed == 0) {
		cli_error(CMD, "no entry of %s%s in %s", pname, kvno ? " with that kvno" : "",
			  kt_path(argv[optind]));
		goto out;
	}
	printf("removed %zu entries\n", removed);
	rc = 0;
out:
	arena_free(&a);
	return rc;
}

static bool
same_entry(const struct keytab_entry *a, const struct keytab_entry *b)
{
	return a->kvno == b->kvno && a->enctype == b->enctype &&
	       a->key_len == b->key_len && principal_equal(&a->princ, &b->princ) &&
	       crypto_ct_equal(a->key, b->key, a->key_len);
}

/* merge SRC... DST: MIT's "rkt SRC ... wkt DST" without the repeats. */
static int
do_merge(int argc, char **argv)
{
	struct keytab dst, src[16];
	struct keytab_entry *add = NULL;
	size_t nsrc = (size_t)argc - 2, nadd = 0, total = 0;
	const char *dpath;
	orth_err e;
	int rc = 1;

	memset(&dst, 0, sizeof(dst));
	memset(src, 0, sizeof(src));
	if (argc < 3 || nsrc > sizeof(src) / sizeof(src[0])) {
		cli_error(CMD, "merge: need 1 to 16 SRC keytabs and a DST");
		return 2;
	}
	dpath = kt_path(argv[argc - 1]);
	e = keytab_read(dpath, &dst);
	if (e != ORTH_OK && e != ORTH_E_NOTFOUND) {
		cli_error(CMD, "%s while reading keytab %s", orth_err_str(e), dpath);
		return 1;
	}
	for (size_t i = 0; i < nsrc; i++) {
		if (kt_read(argv[1 + i], &src[i]) != 0)
			goto out;
		total += src[i].n;
	}
	add = calloc(total ? total : 1, sizeof(*add));
	if (add == NULL)
		goto out;
	for (size_t i = 0; i < nsrc; i++)
		for (size_t j = 0; j < src[i].n; j++) {
			const struct keytab_entry *k = &src[i].entries[j];
			bool dup = false;
			for (size_t d = 0; d < dst.n && !dup; d++)
				dup = same_entry(k, &dst.entries[d]);
			for (size_t d = 0; d < nadd && !dup; d++)
				dup = same_entry(k, &add[d]);
			if (!dup)
				add[nadd++] = *k;
		}
	if (nadd > 0) {
		e = keytab_append(dpath, add, nadd);
		if (e != ORTH_OK) {
			cli_error(CMD, "cannot write keytab %s: %s", dpath,
				  orth_err_str(e));
			goto out;
		}
	}
	printf("merged %zu entries into %s\n", nadd, dpath);
	rc = 0;
out:
	free(add);
	keytab_free(&dst);
	for (size_t i = 0; i < nsrc; i++)
		keytab_free(&src[i]);
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
	if (e != ORTH_OK) {
		cli_error(CMD, "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	rc = strcmp(argv[1], "add") == 0 ? do_add(ctx, argc - 1, argv + 1)
					 : do_remove(ctx, argc - 1, argv + 1);
	orthrus_context_free(ctx);
	return rc;
}
