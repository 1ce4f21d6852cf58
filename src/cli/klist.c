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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <orthrus/base.h>
#include <orthrus/ccache.h>
#include <orthrus/client.h>
#include <orthrus/keytab.h>

#include "commands.h"
#include "ktools.h"

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

/* "\t" before the first extra field of a line, ", " before the others. */
static void
sep(int extra)
{
	fputs(extra ? ", " : "\t", stdout);
}

/* A config entry's value, printable bytes as they are, others \ooo,
 * wrapped after column 72 (MIT's print_config_data). */
static void
print_config_data(int col, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t b = data[i];
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
print_addr(int32_t type, const uint8_t *data, size_t len, bool numeric)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[NI_MAXHOST];
	int err;

	memset(&ss, 0, sizeof(ss));
	if (type == ADDRTYPE_INET && len == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, data, 4);
		sl = sizeof(*s4);
	} else if (type == ADDRTYPE_INET6 && len == 16) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, data, 16);
		sl = sizeof(*s6);
	} else if (type == ADDRTYPE_NETBIOS && len == 16) {
		for (size_t i = 0; i < 15 && data[i] != '\0' &&
				   data[i] != ' ';
		     i++)
			putchar(data[i]);
		return;
	} else if (type == ADDRTYPE_INET || type == ADDRTYPE_INET6 ||
		   type == ADDRTYPE_NETBIOS) {
		printf("broken address (type %d length %zu)", type,
		       len);
		return;
	} else {
		printf("unknown addrtype %d", type);
		return;
	}
	err = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL,
			  0, numeric ? NI_NUMERICHOST : 0);
	if (err != 0)
		printf("unprintable address (type %d, error %d %s)", type,
		       err, gai_strerror(err));
	else
		printf("%s", host);
}

/* One credential in MIT's layout (its show_credential). */
static void
show_cred(const struct klist_opts *o, const struct orthrus_cred *c,
	  const char *defname)
{
	const struct orthrus_principal *server = orthrus_cred_server(c);
	bool is_config = orthrus_cred_is_config(c);
	char *cname = NULL, *sname = NULL, *tname = NULL, fl[32], b1[32], b2[32];
	struct orthrus_cred_times tm;
	int32_t tkt_etype = 0;
	bool have_tkt = false;
	int extra = 0, ccol = 0;

	if (orthrus_principal_unparse(orthrus_cred_client(c), &cname) != ORTHRUS_OK ||
	    orthrus_principal_unparse(server, &sname) != ORTHRUS_OK)
		goto out;
	orthrus_cred_times(c, &tm);
	if (!is_config &&
	    orthrus_cred_ticket_info(c, &tkt_etype, NULL, &tname) == ORTHRUS_OK)
		have_tkt = true;
	if (!is_config) {
		print_time(o, tm.starttime ? tm.starttime : tm.authtime);
		fputs("  ", stdout);
		print_time(o, tm.endtime);
		printf("  %s\n", sname);
	} else {
		/* config: fast_avail(krbtgt/R@R) = yes */
		fputs("config: ", stdout);
		ccol = 8;
		for (size_t i = 1; i < orthrus_principal_component_count(server); i++) {
			size_t len;
			const char *comp = orthrus_principal_component(server, i, &len);
			ccol += printf("%s%.*s%s", i > 1 ? "(" : "", (int)len, comp,
				       i > 1 ? ")" : "");
		}
		fputs(" = ", stdout);
		ccol += 3;
	}
	if (strcmp(cname, defname) != 0) {
		printf("\tfor client %s", cname);
		extra++;
	}
	if (is_config) {
		size_t len;
		const uint8_t *v = orthrus_cred_ticket(c, &len);
		print_config_data(ccol, v, len);
	}
	if (tm.renew_till != 0) {
		sep(extra);
		fputs("renew until ", stdout);
		print_time(o, tm.renew_till);
		extra += 2;
	}
	if (o->show_flags) {
		orthrus_ticket_flags_format(orthrus_cred_flags(c), fl, sizeof(fl));
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
		       ktools_enctype_name(orthrus_cred_session_enctype(c), b1, sizeof(b1)));
		printf("%s ", ktools_enctype_name(tkt_etype, b2, sizeof(b2)));
		extra++;
	}
	/* MIT's cache reader always yields an authdata list, maybe empty. */
	if (o->show_adtype) {
		sep(extra);
		printf("AD types: ");
		for (size_t i = 0; i < orthrus_cred_authdata_count(c); i++) {
			int32_t type = 0;
			(void)orthrus_cred_authdata(c, i, &type, NULL);
			printf("%s%d", i ? ", " : "", type);
		}
		extra++;
	}
	if (extra)
		putchar('\n');
	if (o->show_addrs) {
		size_t n = orthrus_cred_address_count(c);
		if (n == 0) {
			printf("\tAddresses: (none)\n");
		} else {
			printf("\tAddresses: ");
			for (size_t i = 0; i < n; i++) {
				int32_t type = 0;
				size_t len = 0;
				const uint8_t *a = orthrus_cred_address(c, i, &type, &len);
				if (i)
					printf(", ");
				print_addr(type, a, len, o->no_resolve);
			}
			printf("\n");
		}
	}
	/* The ticket's own server when the entry is cached under another
	 * name (referrals). */
	if (have_tkt && strcmp(tname, sname) != 0)
		printf("\tTicket server: %s\n", tname);
out:
	free(tname);
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
cache_error(struct orthrus_context *ctx, struct orthrus_ccache *cc, orth_err e)
{
	const char *name = orthrus_ccache_name(cc);

	if (e == ORTHRUS_E_NOTFOUND && strncmp(name, "KEYRING:", 8) == 0)
		cli_error("klist", "Credentials cache keyring '%s' not found", name + 8);
	else if (e == ORTHRUS_E_NOTFOUND)
		cli_error("klist", "No credentials cache found (filename: %s)",
			  file_residual(name));
	else
		cli_error("klist", "%s while reading cache %s",
			  orthrus_error_message(ctx, e), name);
}

/* Show one cache; 0 when it could be shown. */
static int
show_cache(struct orthrus_context *ctx, const struct klist_opts *o,
	   struct orthrus_ccache *cc)
{
	struct orthrus_principal *p = NULL;
	struct orthrus_ccache_iter *it = NULL;
	const struct orthrus_cred *c;
	char *defname = NULL;
	orth_err e;
	int rc = 1;

	e = orthrus_ccache_principal(ctx, cc, &p);
	if (e == ORTHRUS_OK)
		e = orthrus_ccache_iter_begin(ctx, cc, &it);
	if (e != ORTHRUS_OK) {
		cache_error(ctx, cc, e);
		goto out;
	}
	if (orthrus_principal_unparse(p, &defname) != ORTHRUS_OK)
		goto out;
	printf("Ticket cache: %s\nDefault principal: %s\n\n",
	       orthrus_ccache_name(cc), defname);
	printf("%-*s  %-*s  %s\n", o->width, "Valid starting", o->width,
	       "Expires", "Service principal");
	while (orthrus_ccache_iter_next(it, &c) == ORTHRUS_OK)
		if (o->show_config || !orthrus_cred_is_config(c))
			show_cred(o, c, defname);
	rc = 0;
out:
	free(defname);
	orthrus_ccache_iter_end(it);
	orthrus_principal_free(p);
	return rc;
}

/* krbtgt/REALM@REALM of realm. */
static bool
is_local_tgt(const struct orthrus_principal *s, const char *realm)
{
	size_t l0 = 0, l1 = 0;
	const char *c0 = orthrus_principal_component(s, 0, &l0);
	const char *c1 = orthrus_principal_component(s, 1, &l1);

	return orthrus_principal_component_count(s) == 2 &&
	       strcmp(orthrus_principal_realm(s), realm) == 0 && l0 == 6 &&
	       memcmp(c0, "krbtgt", 6) == 0 && l1 == strlen(realm) &&
	       memcmp(c1, realm, l1) == 0;
}

/*
 * 0 when the cache is readable and current: with a local TGT, that TGT
 * has not expired; without one, some ticket has not (MIT's check_ccache).
 */
static int
check_cache(struct orthrus_context *ctx, const struct klist_opts *o,
	    struct orthrus_ccache *cc)
{
	struct orthrus_principal *p = NULL;
	struct orthrus_ccache_iter *it = NULL;
	const struct orthrus_cred *c;
	bool tgt = false, cur_tgt = false, cur = false;
	int rc = 1;

	if (orthrus_ccache_principal(ctx, cc, &p) != ORTHRUS_OK ||
	    orthrus_ccache_iter_begin(ctx, cc, &it) != ORTHRUS_OK)
		goto out;
	while (orthrus_ccache_iter_next(it, &c) == ORTHRUS_OK) {
		struct orthrus_cred_times tm;
		orthrus_cred_times(c, &tm);
		if (is_local_tgt(orthrus_cred_server(c), orthrus_principal_realm(p))) {
			tgt = true;
			cur_tgt |= tm.endtime > o->now;
		} else if (!orthrus_cred_is_config(c) && tm.endtime > o->now) {
			cur = true;
		}
	}
	rc = tgt ? !cur_tgt : !cur;
out:
	orthrus_ccache_iter_end(it);
	orthrus_principal_free(p);
	return rc;
}

/* The walk over the collection of defname; NULL with the error printed
 * (unless -s). */
static struct orthrus_collection_iter *
collection_begin(struct orthrus_context *ctx, const struct klist_opts *o,
		 const char *defname)
{
	struct orthrus_collection_iter *it = NULL;
	orth_err e = orthrus_collection_iter_begin(ctx, defname, &it);

	if (e != ORTHRUS_OK && !o->status_only)
		cli_error("klist", "%s while listing ccache collection",
			  orthrus_error_message(ctx, e));
	return e == ORTHRUS_OK ? it : NULL;
}

/* klist -l: one line per cache of the collection. */
static int
list_collection(struct orthrus_context *ctx, const struct klist_opts *o,
		const char *defname)
{
	struct orthrus_collection_iter *it = collection_begin(ctx, o, defname);
	struct orthrus_ccache *cc = NULL;
	int rc = 1;

	if (it == NULL)
		return 1;
	printf("%-30s %s\n", "Principal name", "Cache name");
	printf("%-30s %s\n", "--------------", "----------");
	while (orthrus_collection_iter_next(it, &cc) == ORTHRUS_OK) {
		struct orthrus_principal *p = NULL;
		char *pn = NULL;
		if (orthrus_ccache_principal(ctx, cc, &p) == ORTHRUS_OK &&
		    orthrus_principal_unparse(p, &pn) == ORTHRUS_OK) {
			printf("%-30.30s %s", pn, orthrus_ccache_name(cc));
			if (check_cache(ctx, o, cc) != 0)
				printf(" (Expired)");
			printf("\n");
			rc = 0;
		}
		free(pn);
		orthrus_principal_free(p);
		orthrus_ccache_close(cc);
	}
	orthrus_collection_iter_end(it);
	return rc;
}

/* klist -A: every cache of the collection (-s: their status). */
static int
show_collection(struct orthrus_context *ctx, const struct klist_opts *o,
		const char *defname)
{
	struct orthrus_collection_iter *it = collection_begin(ctx, o, defname);
	struct orthrus_ccache *cc = NULL;
	bool first = true;
	int rc = 1;

	if (it == NULL)
		return 1;
	while (orthrus_collection_iter_next(it, &cc) == ORTHRUS_OK) {
		int st;
		if (!o->status_only && !first)
			printf("\n");
		first = false;
		st = o->status_only ? check_cache(ctx, o, cc) : show_cache(ctx, o, cc);
		rc = st && rc;
		orthrus_ccache_close(cc);
	}
	orthrus_collection_iter_end(it);
	return rc;
}

static int
list_keytab(struct orthrus_context *ctx, const struct klist_opts *o,
	    const char *name)
{
	struct orthrus_keytab *kt = NULL;
	struct orthrus_keytab_iter *it = NULL;
	const struct orthrus_keytab_entry *k;
	orth_err e;
	int rc = 1;

	e = orthrus_keytab_resolve(ctx, name, &kt);
	if (e != ORTHRUS_OK) {
		cli_error("klist", "%s while starting keytab scan",
			  orthrus_error_message(ctx, e));
		return 1;
	}
	printf("Keytab name: FILE:%s\n", orthrus_keytab_path(kt));
	e = orthrus_keytab_iter_begin(ctx, kt, &it);
	if (e == ORTHRUS_E_NOTFOUND) {
		cli_error("klist", "Key table file '%s' not found while starting keytab scan",
			  orthrus_keytab_path(kt));
		goto out;
	}
	if (e != ORTHRUS_OK) {
		cli_error("klist", "%s while starting keytab scan",
			  orthrus_error_message(ctx, e));
		goto out;
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
	while (orthrus_keytab_iter_next(it, &k) == ORTHRUS_OK) {
		printf("%4u ", orthrus_keytab_entry_kvno(k));
		if (o->show_time) {
			print_time(o, orthrus_keytab_entry_timestamp(k));
			printf(" ");
		}
		ktools_keytab_entry_print(k, 0, o->show_etype, o->show_keys);
	}
	rc = 0;
out:
	orthrus_keytab_iter_end(it);
	orthrus_keytab_close(kt);
	return rc;
}

/* The cache alone (no -l/-A). */
static int
one_cache(struct orthrus_context *ctx, const struct klist_opts *o,
	  const char *name)
{
	struct orthrus_ccache *cc = NULL;
	orth_err e;
	int rc;

	e = orthrus_ccache_resolve(ctx, name, &cc);
	if (e != ORTHRUS_OK) {
		if (!o->status_only)
			cli_error("klist", "%s", orthrus_error_message(ctx, e));
		return 1;
	}
	rc = o->status_only ? check_cache(ctx, o, cc) : show_cache(ctx, o, cc);
	orthrus_ccache_close(cc);
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
	o.now = (int64_t)time(NULL);
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
	if (e != ORTHRUS_OK) {
		cli_error("klist", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (mode == KEYTAB) {
		rc = list_keytab(ctx, &o, name);
	} else if (list_all || show_all) {
		if (name == NULL &&
		    orthrus_default_ccache_name(ctx, &defname) != ORTHRUS_OK) {
			cli_error("klist", "cannot name the default cache");
			rc = 1;
		} else if (list_all) {
			rc = list_collection(ctx, &o, name ? name : defname);
		} else {
			rc = show_collection(ctx, &o, name ? name : defname);
		}
	} else {
		rc = one_cache(ctx, &o, name);
	}
	free(defname);
	orthrus_context_free(ctx);
	return rc;
}
