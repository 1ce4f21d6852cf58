/*
 * klist.c - `orthrus klist`: the tickets of a cache, the caches of a
 * collection, or the entries of a keytab, with MIT's klist options, exit
 * codes and layout (so people and scripts find their way):
 *   -s  silent; exit 0 when the cache has a current local TGT (or, without
 *       one, any current ticket), else 1 (`klist -s || kinit`)
 *   -l  the caches of the collection, one line each; -A  all their tickets
 *   -a [-n] ticket addresses; -C config entries; -d authdata types
 *   -e -f; -k [-t] [-K] [-e] for keytabs; -V the version.
 * Usage errors exit 1, as MIT's klist does.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "asn1/asn1.h"
#include "client/ccache.h"
#include "client/ccache_col.h"
#include "client/client_int.h"
#include "client/keytab.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "orthrus/client.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"

/* RFC 4120 §7.5.3 address types as MIT's klist shows them. */
#define ADDRTYPE_INET 2
#define ADDRTYPE_NETBIOS 20
#define ADDRTYPE_INET6 24

struct klist_opts {
	bool show_etype, show_flags, status_only, show_addrs, no_resolve;
	bool show_adtype, show_config, show_time, show_keys;
	int width;     /* of a formatted time */
	int64_t now;
};

static int
usage(void)
{
	fprintf(stderr,
		"Usage: orthrus klist [-e] [-V] [[-c] [-l] [-A] [-d] [-f] [-s] [-a [-n]]] [-k [-t] [-K]] [-C] [name]\n"
		"\t-c specifies credentials cache\n"
		"\t-k specifies keytab\n"
		"\t   (Default is credentials cache)\n"
		"\t-l lists credential caches in collection\n"
		"\t-A shows content of all credential caches\n"
		"\t-e shows the encryption type\n"
		"\t-V shows the Kerberos version and exits\n"
		"\toptions for credential caches:\n"
		"\t\t-d shows the submitted authorization data types\n"
		"\t\t-f shows credentials flags\n"
		"\t\t-s sets exit status based on valid tgt existence\n"
		"\t\t-a displays the address list\n"
		"\t\t\t-n do not reverse-resolve\n"
		"\toptions for keytabs:\n"
		"\t\t-t shows keytab entry timestamps\n"
		"\t\t-K shows keytab entry keys\n"
		"\t\t-C includes configuration data entries\n");
	return 1;
}

/* MIT's C-locale layout: "%x %X" (e.g. 11/25/26 23:20:01), padded. */
static void
print_time(const struct klist_opts *o, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%x %X", &tm) == 0)
		snprintf(buf, sizeof(buf), "%lld", (long long)t);
	printf("%-*s", o->width, buf);
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

/* "\t" before the first extra field of a line, ", " before the others. */
static void
sep(int extra)
{
	fputs(extra ? ", " : "\t", stdout);
}

/* A config entry's value, printable bytes as they are, others \ooo,
 * wrapped after column 72 (MIT's print_config_data). */
static void
print_config_data(int col, const struct ccache_data *d)
{
	for (size_t i = 0; i < d->len; i++) {
		uint8_t b = d->data[i];
		while (col < 8) {
			putchar(' ');
			col++;
		}
		if (b > 0x20 && b < 0x7f) {
			putchar(b);
			col++;
		} else {
			col += printf("\\%03o", b);
		}
		if (col > 72) {
			putchar('\n');
			col = 0;
		}
	}
	if (col > 0)
		putchar('\n');
}

static void
print_addr(const struct ccache_tagged *t, bool numeric)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[NI_MAXHOST];
	int err;

	memset(&ss, 0, sizeof(ss));
	if (t->type == ADDRTYPE_INET && t->data.len == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, t->data.data, 4);
		sl = sizeof(*s4);
	} else if (t->type == ADDRTYPE_INET6 && t->data.len == 16) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, t->data.data, 16);
		sl = sizeof(*s6);
	} else if (t->type == ADDRTYPE_NETBIOS && t->data.len == 16) {
		for (size_t i = 0; i < 15 && t->data.data[i] != '\0' &&
				   t->data.data[i] != ' ';
		     i++)
			putchar(t->data.data[i]);
		return;
	} else if (t->type == ADDRTYPE_INET || t->type == ADDRTYPE_INET6 ||
		   t->type == ADDRTYPE_NETBIOS) {
		printf("broken address (type %d length %zu)", t->type,
		       t->data.len);
		return;
	} else {
		printf("unknown addrtype %d", t->type);
		return;
	}
	err = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL,
			  0, numeric ? NI_NUMERICHOST : 0);
	if (err != 0)
		printf("unprintable address (type %d, error %d %s)", t->type,
		       err, gai_strerror(err));
	else
		printf("%s", host);
}

/* One credential in MIT's layout (its show_credential). */
static void
show_cred(const struct klist_opts *o, const struct ccache_cred *c,
	  const char *defname)
{
	bool is_config = ccache_cred_is_config(c);
	char *cname = NULL, *sname = NULL, fl[32], b1[32], b2[32];
	struct arena a = {0};
	Ticket t;
	bool have_tkt = false;
	int extra = 0, ccol = 0;

	memset(&t, 0, sizeof(t));
	if (ccache_principal_unparse(&c->client, &cname) != ORTH_OK ||
	    ccache_principal_unparse(&c->server, &sname) != ORTH_OK)
		goto out;
	if (!is_config && arena_init(&a, 64 * 1024) == ORTH_OK &&
	    der_decode(&asn1_Ticket, c->ticket.data, c->ticket.len, &a, &t) ==
		    ORTH_OK)
		have_tkt = true;
	if (!is_config) {
		print_time(o, c->starttime ? c->starttime : c->authtime);
		fputs("  ", stdout);
		print_time(o, c->endtime);
		printf("  %s\n", sname);
	} else {
		/* config: fast_avail(krbtgt/R@R) = yes */
		fputs("config: ", stdout);
		ccol = 8;
		for (uint32_t i = 1; i < c->server.ncomps; i++)
			ccol += printf("%s%.*s%s", i > 1 ? "(" : "",
				       (int)c->server.comps[i].len,
				       (const char *)c->server.comps[i].data,
				       i > 1 ? ")" : "");
		fputs(" = ", stdout);
		ccol += 3;
	}
	if (strcmp(cname, defname) != 0) {
		printf("\tfor client %s", cname);
		extra++;
	}
	if (is_config)
		print_config_data(ccol, &c->ticket);
	if (c->renew_till != 0) {
		sep(extra);
		fputs("renew until ", stdout);
		print_time(o, c->renew_till);
		extra += 2;
	}
	if (o->show_flags) {
		fmt_flags(c->flags, fl);
		if (fl[0] != '\0') {
			sep(extra);
			printf("Flags: %s", fl);
			extra++;
		}
	}
	if (extra > 2) {
		fputs("\n", stdout);
		extra = 0;
	}
	if (o->show_etype && have_tkt) {
		sep(extra);
		printf("Etype (skey, tkt): %s, ",
		       etype_name(c->enctype, b1, sizeof(b1)));
		printf("%s ", etype_name(t.enc_part.etype, b2, sizeof(b2)));
		extra++;
	}
	/* MIT's cache reader always yields an authdata list, maybe empty. */
	if (o->show_adtype) {
		sep(extra);
		printf("AD types: ");
		for (uint32_t i = 0; i < c->nauthdata; i++)
			printf("%s%d", i ? ", " : "", c->authdata[i].type);
		extra++;
	}
	if (extra)
		putchar('\n');
	if (o->show_addrs) {
		if (c->naddrs == 0) {
			printf("\tAddresses: (none)\n");
		} else {
			printf("\tAddresses: ");
			for (uint32_t i = 0; i < c->naddrs; i++) {
				if (i)
					printf(", ");
				print_addr(&c->addrs[i], o->no_resolve);
			}
			printf("\n");
		}
	}
	/* The ticket's own server when the entry is cached under another
	 * name (referrals). */
	if (have_tkt) {
		char tn[PRINCIPAL_MAX_TEXT + 1];
		if (pname_unparse(&t.sname, t.realm, tn, sizeof(tn)) == ORTH_OK &&
		    strcmp(tn, sname) != 0)
			printf("\tTicket server: %s\n", tn);
	}
out:
	arena_free(&a);
	free(cname);
	free(sname);
}

static const char *
file_residual(const char *name)
{
	if (strncmp(name, "FILE:", 5) == 0)
		return name + 5;
	if (strncmp(name, "DIR::", 5) == 0)
		return name + 5;
	return name;
}

/* Print the error for a cache that cannot be read, as MIT's klist does. */
static void
cache_error(struct ccache *cc, orth_err e)
{
	if (e == ORTH_E_NOTFOUND && strncmp(ccache_name_get(cc), "KEYRING:", 8) == 0)
		cli_error("klist", "Credentials cache keyring '%s' not found",
			  ccache_name_get(cc) + 8);
	else if (e == ORTH_E_NOTFOUND)
		cli_error("klist", "No credentials cache found (filename: %s)",
			  file_residual(ccache_name_get(cc)));
	else
		cli_error("klist", "%s while reading cache %s", orth_err_str(e),
			  ccache_name_get(cc));
}

/* Show one cache; 0 when it could be shown. */
static int
show_cache(const struct klist_opts *o, struct ccache *cc)
{
	struct ccache_contents cts;
	char *defname = NULL;
	orth_err e;
	int rc = 1;

	memset(&cts, 0, sizeof(cts));
	e = ccache_read(cc, &cts);
	if (e != ORTH_OK) {
		cache_error(cc, e);
		goto out;
	}
	if (ccache_principal_unparse(&cts.princ, &defname) != ORTH_OK)
		goto out;
	printf("Ticket cache: %s\nDefault principal: %s\n\n",
	       ccache_name_get(cc), defname);
	printf("%-*s  %-*s  %s\n", o->width, "Valid starting", o->width,
	       "Expires", "Service principal");
	for (size_t i = 0; i < cts.ncreds; i++)
		if (o->show_config || !ccache_cred_is_config(&cts.creds[i]))
			show_cred(o, &cts.creds[i], defname);
	rc = 0;
out:
	free(defname);
	ccache_contents_free(&cts);
	return rc;
}

/* krbtgt/REALM@REALM of the cache principal's realm. */
static bool
is_local_tgt(const struct ccache_principal *s, const struct ccache_data *realm)
{
	return s->ncomps == 2 && s->realm.len == realm->len &&
	       memcmp(s->realm.data, realm->data, realm->len) == 0 &&
	       s->comps[0].len == 6 && memcmp(s->comps[0].data, "krbtgt", 6) == 0 &&
	       s->comps[1].len == realm->len &&
	       memcmp(s->comps[1].data, realm->data, realm->len) == 0;
}

/*
 * 0 when the cache is readable and current: with a local TGT, that TGT
 * has not expired; without one, some ticket has not (MIT's check_ccache).
 */
static int
check_cache(const struct klist_opts *o, struct ccache *cc)
{
	struct ccache_contents cts;
	bool tgt = false, cur_tgt = false, cur = false;

	memset(&cts, 0, sizeof(cts));
	if (ccache_read(cc, &cts) != ORTH_OK)
		return 1;
	for (size_t i = 0; i < cts.ncreds; i++) {
		const struct ccache_cred *c = &cts.creds[i];
		if (is_local_tgt(&c->server, &cts.princ.realm)) {
			tgt = true;
			cur_tgt |= c->endtime > o->now;
		} else if (!ccache_cred_is_config(c) && c->endtime > o->now) {
			cur = true;
		}
	}
	ccache_contents_free(&cts);
	return tgt ? !cur_tgt : !cur;
}

/* klist -l: one line per cache of the collection. */
static int
list_collection(const struct klist_opts *o, const char *defname)
{
	struct ccache_col col = {0};
	orth_err e;
	int rc = 1;

	e = ccache_col_list(defname, &col);
	if (e != ORTH_OK) {
		if (!o->status_only)
			cli_error("klist", "%s while listing ccache collection",
				  ccache_col_error()[0] ? ccache_col_error()
							: orth_err_str(e));
		return 1;
	}
	printf("%-30s %s\n", "Principal name", "Cache name");
	printf("%-30s %s\n", "--------------", "----------");
	for (size_t i = 0; i < col.n; i++) {
		struct ccache *cc = NULL;
		struct ccache_principal p = {0};
		char *pn = NULL;
		if (ccache_open(col.names[i], &cc) == ORTH_OK &&
		    ccache_default_principal_get(cc, &p) == ORTH_OK &&
		    ccache_principal_unparse(&p, &pn) == ORTH_OK) {
			printf("%-30.30s %s", pn, ccache_name_get(cc));
			if (check_cache(o, cc) != 0)
				printf(" (Expired)");
			printf("\n");
			rc = 0;
		}
		free(pn);
		ccache_principal_free(&p);
		ccache_close(cc);
	}
	ccache_col_free(&col);
	return rc;
}

/* klist -A: every cache of the collection (-s: their status). */
static int
show_collection(const struct klist_opts *o, const char *defname)
{
	struct ccache_col col = {0};
	orth_err e;
	int rc = 1;

	e = ccache_col_list(defname, &col);
	if (e != ORTH_OK) {
		if (!o->status_only)
			cli_error("klist", "%s while listing ccache collection",
				  ccache_col_error()[0] ? ccache_col_error()
							: orth_err_str(e));
		return 1;
	}
	for (size_t i = 0; i < col.n; i++) {
		struct ccache *cc = NULL;
		int st = 1;
		if (!o->status_only && i > 0)
			printf("\n");
		if (ccache_open(col.names[i], &cc) == ORTH_OK)
			st = o->status_only ? check_cache(o, cc) : show_cache(o, cc);
		rc = st && rc;
		ccache_close(cc);
	}
	ccache_col_free(&col);
	return rc;
}

static int
list_keytab(struct orthrus_context *ctx, const struct klist_opts *o,
	    const char *name)
{
	struct keytab kt;
	const char *path;
	orth_err e;

	memset(&kt, 0, sizeof(kt));
	if (name == NULL)
		name = orthrus_default_keytab_name(ctx);
	path = client_keytab_path(ctx, name);
	printf("Keytab name: FILE:%s\n", path);
	e = keytab_read(path, &kt);
	if (e == ORTH_E_NOTFOUND) {
		cli_error("klist", "Key table file '%s' not found while starting keytab scan",
			  path);
		return 1;
	}
	if (e != ORTH_OK) {
		cli_error("klist", "%s while starting keytab scan", orth_err_str(e));
		return 1;
	}
	if (o->show_time) {
		printf("KVNO %-*s Principal\n", o->width, "Timestamp");
		printf("---- ");
		for (int i = 0; i < o->width; i++)
			putchar('-');
		putchar(' ');
		for (int i = 0; i < 78 - o->width - 5; i++)
			putchar('-');
		putchar('\n');
	} else {
		printf("KVNO Principal\n");
		printf("---- --------------------------------------------------------------------------\n");
	}
	for (size_t i = 0; i < kt.n; i++) {
		const struct keytab_entry *k = &kt.entries[i];
		char pn[PRINCIPAL_MAX_TEXT + 1], b[32];
		if (principal_unparse(&k->princ, pn, sizeof(pn), NULL) != ORTH_OK)
			snprintf(pn, sizeof(pn), "?");
		printf("%4u ", k->kvno);
		if (o->show_time) {
			print_time(o, k->timestamp);
			printf(" ");
		}
		printf("%s", pn);
		if (o->show_etype)
			printf(" (%s) ", etype_name(k->enctype, b, sizeof(b)));
		if (o->show_keys) {
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

/* The cache alone (no -l/-A). */
static int
one_cache(struct orthrus_context *ctx, const struct klist_opts *o,
	  const char *name)
{
	struct ccache *cc = NULL;
	orth_err e;
	int rc;

	e = client_ccache_open(ctx, name, &cc);
	if (e != ORTH_OK) {
		if (!o->status_only)
			cli_error("klist", "%s", orthrus_error_message(ctx, e));
		return 1;
	}
	rc = o->status_only ? check_cache(o, cc) : show_cache(o, cc);
	ccache_close(cc);
	return rc;
}

int
cmd_klist(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	enum { DEFAULT, CCACHE, KEYTAB } mode = DEFAULT;
	struct orthrus_context *ctx = NULL;
	struct klist_opts o;
	bool list_all = false, show_all = false, version = false;
	char *defname = NULL, probe[64];
	const char *name;
	orth_err e;
	int c, rc;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "dfetKsnackl45AVCh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'd': o.show_adtype = true; break;
		case 'f': o.show_flags = true; break;
		case 'e': o.show_etype = true; break;
		case 't': o.show_time = true; break;
		case 'K': o.show_keys = true; break;
		case 's': o.status_only = true; break;
		case 'n': o.no_resolve = true; break;
		case 'a': o.show_addrs = true; break;
		case 'c':
			if (mode != DEFAULT)
				return usage();
			mode = CCACHE;
			break;
		case 'k':
			if (mode != DEFAULT)
				return usage();
			mode = KEYTAB;
			break;
		case 'l': list_all = true; break;
		case 'A': show_all = true; break;
		case 'C': o.show_config = true; break;
		case 'V': version = true; break;
		case '4':
			fprintf(stderr, "Kerberos 4 is no longer supported\n");
			return 3;
		case '5': break;
		case 'h':
			(void)usage();
			return 0;
		default: return usage();
		}
	}
	/* MIT's combinations. */
	if (o.no_resolve && !o.show_addrs)
		return usage();
	if (mode != KEYTAB) {
		if (o.show_time || o.show_keys || (show_all && list_all) ||
		    (o.status_only && list_all))
			return usage();
	} else if (o.show_flags || o.status_only || o.show_addrs || show_all ||
		   list_all) {
		return usage();
	}
	if (argc - optind > 1) {
		fprintf(stderr, "Extra arguments (starting with \"%s\").\n",
			argv[optind + 1]);
		return usage();
	}
	if (version) {
		printf("orthrus %s\n", ORTHRUS_VERSION);
		return 0;
	}
	name = optind < argc ? argv[optind] : NULL;
	o.now = client_now();
	{
		/* MIT sizes the columns to the width of a formatted time. */
		time_t tt = (time_t)o.now;
		struct tm tm;
		o.width = localtime_r(&tt, &tm) != NULL &&
					  strftime(probe, sizeof(probe), "%x %X", &tm) > 0
				  ? (int)strlen(probe)
				  : 15;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTH_OK) {
		cli_error("klist", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (mode == KEYTAB) {
		rc = list_keytab(ctx, &o, name);
	} else if (list_all || show_all) {
		if (name == NULL &&
		    orthrus_default_ccache_name(ctx, &defname) != ORTH_OK) {
			cli_error("klist", "cannot name the default cache");
			rc = 1;
		} else if (list_all) {
			rc = list_collection(&o, name ? name : defname);
		} else {
			rc = show_collection(&o, name ? name : defname);
		}
	} else {
		rc = one_cache(ctx, &o, name);
	}
	free(defname);
	orthrus_context_free(ctx);
	return rc;
}
