/*
 * kvno.c - `orthrus kvno [-q] [-e ENCTYPE] [-k KEYTAB] [-c CCACHE] SERVICE...`:
 * get a service ticket for each name and print its key version; with -k,
 * check the ticket decrypts with the keytab's key (as MIT's kvno -k).
 * MIT's -S sname (each argument is a host: sname/<canonical host>), -u,
 * -C, --cached-only (the cache alone, the KDC not asked), --no-store is
 * not offered.  -U USER: protocol transition (S4U2Self), a ticket to the
 * cache's own principal for USER, which must then be the one service
 * named; with -P, constrained delegation (S4U2Proxy) with that ticket to
 * each service named (MIT's semantics; -k checks the delegated ticket, MIT
 * the S4U2Self one).  -I (enterprise names) and -F (certificates) are
 * refused with a reason.  Usage errors exit 1, as MIT's kvno.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <orthrus/base.h>
#include <orthrus/ccache.h>
#include <orthrus/client.h>
#include <orthrus/keytab.h>

#include "commands.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus kvno [-c ccache] [-e etype] [-k keytab] [-q] [-u | -S sname]\n"
		   "\t[--u2u ccache | -U for_user [-P]] [--cached-only] service1 service2 ...\n");
}

/*
 * MIT's kvno -k: the ticket decrypts with the keytab's key of its service
 * (orthrus_keytab_ticket_decrypt()); 0, or -1 with MIT's words in *why.
 */
static int
verify_with_keytab(struct orthrus_context *ctx, struct orthrus_keytab *kt,
		   const struct orthrus_ticket *t, const char **why)
{
	orth_err e = orthrus_keytab_ticket_decrypt(ctx, kt, t->ticket, t->ticket_len);

	if (e == ORTHRUS_OK)
		return 0;
	*why = e == ORTHRUS_E_INTEGRITY ? "Decrypt integrity check failed"
	       : e == ORTHRUS_E_NOTFOUND ? "No key table entry found for the service"
	       : e == ORTHRUS_E_MALFORMED ? "Ticket does not decode"
					  : orthrus_error_message(ctx, e);
	return -1;
}

/* Whether a principal name has an unescaped '@'. */
static bool
has_realm(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '@')
			return true;
	}
	return false;
}

/* -U user [-P]: S4U2Self, then with proxy S4U2Proxy to name; without,
 * name must be the cache's principal (MIT: "client and server principal
 * names must match"). */
static orth_err
s4u_ticket(struct orthrus_context *ctx, const char *ccname, const char *user, const char *name,
	   bool proxy, struct orthrus_ticket *out)
{
	orth_err e;
	struct orthrus_ticket self;

	memset(&self, 0, sizeof(self));
	e = orthrus_get_s4u2self_ticket(ctx, ccname, user, &self);
	if (e == ORTHRUS_OK && !proxy && strcmp(self.server, name) != 0) {
		cli_error("kvno", "client and server principal names must match (%s, %s)",
			  self.server, name);
		e = ORTHRUS_E_USAGE;
	} else if (e == ORTHRUS_OK && !proxy) {
		*out = self;
		return ORTHRUS_OK;
	} else if (e == ORTHRUS_OK) {
		e = orthrus_get_s4u2proxy_ticket(ctx, ccname, &self, name, out);
	}
	orthrus_ticket_free(&self);
	return e;
}

int
cmd_kvno(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	enum { OPT_U2U = 256, OPT_CACHED };
	static const struct option longopts[] = {
		{"u2u", required_argument, NULL, OPT_U2U},
		{"cached-only", no_argument, NULL, OPT_CACHED},
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *ccname = NULL, *ktname = NULL, *u2u = NULL, *sname = NULL;
	const char *s4u = NULL;
	bool cached_only = false, unknown = false, proxy = false;
	char s4u_by = 0;
	struct orthrus_ticket other;
	int32_t etype = 0;
	struct orthrus_keytab *kt = NULL;
	orth_err e;
	int c, rc = 0;
	bool quiet = false;

	memset(&other, 0, sizeof(other));
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:k:c:quCS:I:U:F:Ph", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'e':
			etype = orthrus_enctype_from_name(optarg);
			if (etype == 0) {
				cli_error("kvno", "Encryption type %s not supported",
					  optarg);
				return 2;
			}
			break;
		case 'k': ktname = optarg; break;
		case 'c': ccname = optarg; break;
		case 'q': quiet = true; break;  /* MIT: no kvno lines, errors only */
		case OPT_U2U: u2u = optarg; break;
		case OPT_CACHED: cached_only = true; break;
		case 'C': break;  /* the names asked for are what we keep */
		case 'u':
		case 'S':
			if ((c == 'u' && sname != NULL) || (c == 'S' && unknown)) {
				fprintf(stderr, "Options -u and -S are mutually exclusive\n");
				usage(stderr);
				return 1;
			}
			if (c == 'u')
				unknown = true;
			else
				sname = optarg;
			break;
		case 'I':
		case 'U':
		case 'F':
			s4u = optarg;
			s4u_by = (char)c;
			break;
		case 'P': proxy = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (u2u != NULL && s4u != NULL) {
		fprintf(stderr, "Options --u2u and -I|-U|-F are mutually exclusive\n");
		usage(stderr);
		return 1;
	}
	if (proxy && s4u == NULL) {
		fprintf(stderr, "Option -P (constrained delegation) requires option -I|-U|-F (protocol transition)\n");
		usage(stderr);
		return 1;
	}
	if (optind >= argc) {
		usage(stderr);
		return 1;
	}
	if (s4u != NULL && s4u_by != 'U') {
		cli_error("kvno", "S4U2Self for an enterprise name or a certificate (-I, -F) is not supported by the Orthrus client");
		return 1;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTHRUS_OK) {
		cli_error("kvno", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (ktname != NULL) {
		/* read once now: an unreadable keytab fails before any request */
		struct orthrus_keytab_iter *kit = NULL;
		e = orthrus_keytab_resolve(ctx, ktname, &kt);
		if (e == ORTHRUS_OK)
			e = orthrus_keytab_iter_begin(ctx, kt, &kit);
		orthrus_keytab_iter_end(kit);
		if (e != ORTHRUS_OK) {
			cli_error("kvno", "%s while reading keytab %s",
				  orthrus_error_message(ctx, e),
				  kt != NULL ? orthrus_keytab_path(kt) : ktname);
			orthrus_keytab_close(kt);
			orthrus_context_free(ctx);
			return 1;
		}
	}
	if (u2u != NULL) {
		/* RFC 4120 §2.9.2: the other party's TGT from its cache. */
		struct orthrus_ccache *occ = NULL;
		e = orthrus_ccache_resolve(ctx, u2u, &occ);
		if (e == ORTHRUS_OK)
			e = orthrus_ccache_tgt(ctx, occ, &other);
		orthrus_ccache_close(occ);
		if (e != ORTHRUS_OK) {
			cli_error("kvno", "%s while getting the TGT of %s",
				  orthrus_error_message(ctx, e), u2u);
			orthrus_keytab_close(kt);
			orthrus_context_free(ctx);
			return 1;
		}
	}
	for (int i = optind; i < argc; i++) {
		struct orthrus_ticket t;
		const char *why, *name = argv[i];
		char *hostsvc = NULL;
		memset(&t, 0, sizeof(t));
		/* -S: the argument is a host (MIT's krb5_sname_to_principal). */
		if (sname != NULL) {
			e = orthrus_host_service_name(ctx, sname, argv[i], &hostsvc);
			if (e != ORTHRUS_OK) {
				cli_error("kvno", "%s while parsing principal name %s",
					  orthrus_error_message(ctx, e), argv[i]);
				rc = 1;
				continue;
			}
			name = hostsvc;
		} else if (!has_realm(name) && orthrus_default_realm(ctx) != NULL) {
			/* MIT names the service in the default realm. */
			size_t n = strlen(name) + strlen(orthrus_default_realm(ctx)) + 2;
			hostsvc = malloc(n);
			if (hostsvc != NULL) {
				snprintf(hostsvc, n, "%s@%s", name,
					 orthrus_default_realm(ctx));
				name = hostsvc;
			}
		}
		if (u2u != NULL)
			e = orthrus_get_user2user_ticket(ctx, ccname, name,
							 other.ticket,
							 other.ticket_len, &t);
		else if (s4u != NULL)
			e = s4u_ticket(ctx, ccname, s4u, name, proxy, &t);
		else if (cached_only)
			e = orthrus_get_cached_ticket(ctx, ccname, name, etype, &t);
		else
			e = orthrus_get_service_ticket(ctx, ccname, name, etype, &t);
		if (e != ORTHRUS_OK) {
			const char *m = orthrus_error_message(ctx, e);
			if (e != ORTHRUS_E_USAGE)  /* s4u_ticket() said why */
				cli_error("kvno", "%s%s%s", m,
					  strstr(m, " while ") ? ""
							       : " while getting credentials for ",
					  strstr(m, " while ") ? "" : name);
			free(hostsvc);
			rc = 1;
			continue;
		}
		free(hostsvc);
		if (ktname == NULL) {
			if (!quiet)
				printf("%s: kvno = %u\n", t.server, t.ticket_kvno);
		} else if (verify_with_keytab(ctx, kt, &t, &why) == 0) {
			if (!quiet)
				printf("%s: kvno = %u, keytab entry valid\n", t.server,
				       t.ticket_kvno);
		} else {
			if (!quiet)
				printf("%s: kvno = %u, keytab entry invalid\n", t.server,
				       t.ticket_kvno);
			cli_error("kvno", "%s while verifying ticket for server %s",
				  why, t.server);
			rc = 1;
		}
		orthrus_ticket_free(&t);
	}
	orthrus_ticket_free(&other);
	orthrus_keytab_close(kt);
	orthrus_context_free(ctx);
	return rc;
}
