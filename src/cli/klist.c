/*
 * klist.c - `orthrus klist`: the tickets of a cache or the entries of a
 * keytab, in the layout of MIT's klist so people and scripts find their
 * way.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asn1/asn1.h"
#include "client/ccache.h"
#include "client/client_int.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "orthrus/client.h"
#include "proto/krb5_const.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus klist [-e] [-f] [-c cache] | -k [-t] [-K] [-e] [keytab]\n");
}

/* MIT's C-locale layout: "%x %X" (e.g. 11/25/26 23:20:01). */
static void
fmt_time(int64_t t, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, cap, "%x %X", &tm) == 0)
		snprintf(buf, cap, "%lld", (long long)t);
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

/* RFC 4120 §5.3 flags as MIT's klist letters. */
static void
fmt_flags(uint32_t f, char *out)
{
	static const struct { uint32_t bit; char c; } tab[] = {
		{TKT_FLG_FORWARDABLE, 'F'}, {TKT_FLG_FORWARDED, 'f'},
		{TKT_FLG_PROXIABLE, 'P'}, {TKT_FLG_PROXY, 'p'},
		{TKT_FLG_MAY_POSTDATE, 'D'}, {TKT_FLG_POSTDATED, 'd'},
		{TKT_FLG_INVALID, 'i'}, {TKT_FLG_RENEWABLE, 'R'},
		{TKT_FLG_INITIAL, 'I'}, {TKT_FLG_HW_AUTH, 'H'},
		{TKT_FLG_PRE_AUTH, 'A'}, {TKT_FLG_TRANSIT_POLICY_CHECKED, 'T'},
		{TKT_FLG_OK_AS_DELEGATE, 'O'}, {TKT_FLG_ANONYMOUS, 'a'},
	};
	size_t k = 0;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (f & tab[i].bit)
			out[k++] = tab[i].c;
	out[k] = '\0';
}

static int
list_cache(struct orthrus_context *ctx, const char *ccname, bool show_etype,
	   bool show_flags)
{
	struct ccache *cc = NULL;
	struct ccache_contents cts;
	char *pname = NULL;
	orth_err e;
	int rc = 1, width;

	memset(&cts, 0, sizeof(cts));
	e = client_ccache_open(ctx, ccname, &cc);
	if (e != ORTH_OK) {
		cli_error("klist", "%s", orthrus_error_message(ctx, e));
		return 1;
	}
	e = ccache_read(cc, &cts);
	if (e == ORTH_E_NOTFOUND) {
		cli_error("klist", "No credentials cache found (filename: %s)",
			  ccache_name_get(cc) + (strncmp(ccache_name_get(cc), "FILE:", 5) == 0 ? 5 : 0));
		goto out;
	}
	if (e != ORTH_OK) {
		cli_error("klist", "%s while reading cache %s", orth_err_str(e),
			  ccache_name_get(cc));
		goto out;
	}
	if (ccache_principal_unparse(&cts.princ, &pname) != ORTH_OK)
		goto out;
	printf("Ticket cache: %s\nDefault principal: %s\n\n", ccache_name_get(cc),
	       pname);
	{
		/* MIT sizes the columns to the width of a formatted time. */
		char probe[64];
		fmt_time(client_now(), probe, sizeof(probe));
		width = (int)strlen(probe);
	}
	printf("%-*s  %-*s  %s\n", width, "Valid starting", width, "Expires",
	       "Service principal");
	for (size_t i = 0; i < cts.ncreds; i++) {
		const struct ccache_cred *c = &cts.creds[i];
		char s[64], x[64], r[64], fl[32], b1[32], b2[32];
		char *sname = NULL;
		int extra = 0;
		if (ccache_cred_is_config(c))
			continue;
		if (ccache_principal_unparse(&c->server, &sname) != ORTH_OK)
			continue;
		fmt_time(c->starttime ? c->starttime : c->authtime, s, sizeof(s));
		fmt_time(c->endtime, x, sizeof(x));
		printf("%-*s  %-*s  %s\n", width, s, width, x, sname);
		free(sname);
		/* The extra lines as MIT's klist lays them out. */
		if (c->flags & TKT_FLG_RENEWABLE && c->renew_till != 0) {
			fmt_time(c->renew_till, r, sizeof(r));
			printf("\trenew until %s", r);
			extra += 2;
		}
		if (show_flags) {
			fmt_flags(c->flags, fl);
			if (fl[0] != '\0') {
				fputs(extra ? ", " : "\t", stdout);
				printf("Flags: %s", fl);
				extra++;
			}
		}
		if (extra > 2) {
			fputs("\n", stdout);
			extra = 0;
		}
		if (show_etype) {
			struct arena a = {0};
			Ticket t;
			int32_t te = 0;
			memset(&t, 0, sizeof(t));
			if (arena_init(&a, 64 * 1024) == ORTH_OK &&
			    der_decode(&asn1_Ticket, c->ticket.data, c->ticket.len, &a,
				       &t) == ORTH_OK)
				te = t.enc_part.etype;
			arena_free(&a);
			fputs(extra ? ", " : "\t", stdout);
			printf("Etype (skey, tkt): %s, %s ",
			       etype_name(c->enctype, b1, sizeof(b1)),
			       te ? etype_name(te, b2, sizeof(b2)) : "?");
			extra++;
		}
		if (extra)
			fputs("\n", stdout);
	}
	rc = 0;
out:
	free(pname);
	ccache_contents_free(&cts);
	ccache_close(cc);
	return rc;
}

static int
list_keytab(struct orthrus_context *ctx, const char *name, bool show_time,
	    bool show_keys, bool show_etype)
{
	struct keytab kt;
	const char *path;
	orth_err e;

	memset(&kt, 0, sizeof(kt));
	if (name == NULL)
		name = orthrus_default_keytab_name(ctx);
	path = client_keytab_path(ctx, name);
	e = keytab_read(path, &kt);
	if (e != ORTH_OK) {
		cli_error("klist", "%s while starting keytab scan",
			  e == ORTH_E_NOTFOUND ? "Key table file not found"
					       : orth_err_str(e));
		return 1;
	}
	printf("Keytab name: FILE:%s\n", path);
	if (show_time) {
		printf("KVNO Timestamp         Principal\n");
		printf("---- ----------------- --------------------------------------------------------\n");
	} else {
		printf("KVNO Principal\n");
		printf("---- --------------------------------------------------------------------------\n");
	}
	for (size_t i = 0; i < kt.n; i++) {
		const struct keytab_entry *k = &kt.entries[i];
		char pn[PRINCIPAL_MAX_TEXT + 1], t[64], b[32];
		if (principal_unparse(&k->princ, pn, sizeof(pn), NULL) != ORTH_OK)
			snprintf(pn, sizeof(pn), "?");
		printf("%4u ", k->kvno);
		if (show_time) {
			fmt_time(k->timestamp, t, sizeof(t));
			printf("%s ", t);
		}
		printf("%s", pn);
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

int
cmd_klist(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	const char *ccname = NULL;
	bool kt = false, show_t = false, show_k = false, show_e = false,
	     show_f = false;
	orth_err e;
	int c, rc;

	optind = 1;
	while ((c = getopt(argc, argv, "efc:ktKh")) != -1) {
		switch (c) {
		case 'e': show_e = true; break;
		case 'f': show_f = true; break;
		case 'c': ccname = optarg; break;
		case 'k': kt = true; break;
		case 't': show_t = true; break;
		case 'K': show_k = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (argc - optind > 1 || (ccname != NULL && kt)) {
		usage(stderr);
		return 2;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTH_OK) {
		cli_error("klist", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (kt)
		rc = list_keytab(ctx, optind < argc ? argv[optind] : NULL, show_t,
				 show_k, show_e);
	else
		rc = list_cache(ctx, optind < argc ? argv[optind] : ccname, show_e,
				show_f);
	orthrus_context_free(ctx);
	return rc;
}
