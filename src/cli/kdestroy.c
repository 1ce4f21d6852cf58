/*
 * kdestroy.c - `orthrus kdestroy [-A] [-q] [-c cache] [-p principal]`:
 * overwrite, then unlink, with MIT's options and exit codes:
 *   -A  every cache of the collection (DIR:, ccache_col.h);
 *   -p  the collection's cache of that principal;
 *   a missing cache is reported and is no failure (exit 0), as MIT's;
 *   without -q, a warning when other caches of the collection remain.
 * Usage errors exit 2.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ccache.h"
#include "client/ccache_col.h"
#include "client/client_int.h"
#include "commands.h"
#include "orthrus/client.h"

static int
usage(FILE *f, int rc)
{
	fprintf(f, "Usage: orthrus kdestroy [-A] [-q] [-c cache_name] [-p princ_name]\n"
		   "\t-A destroy all credential caches in collection\n"
		   "\t-q quiet mode\n"
		   "\t-c specify name of credentials cache\n"
		   "\t-p specify principal name within collection\n");
	return rc;
}

/* kdestroy -A: each cache of the collection; missing ones are fine. */
static int
destroy_all(const char *defname)
{
	struct ccache_col col = {0};
	orth_err e;

	e = ccache_col_list(defname, &col);
	if (e != ORTH_OK) {
		cli_error("kdestroy", "%s while listing credential caches",
			  ccache_col_error()[0] ? ccache_col_error()
						: orth_err_str(e));
		return 1;
	}
	for (size_t i = 0; i < col.n; i++) {
		struct ccache *cc = NULL;
		if (ccache_open(col.names[i], &cc) == ORTH_OK) {
			e = ccache_destroy(cc);
			if (e != ORTH_OK && e != ORTH_E_NOTFOUND)
				cli_error("kdestroy", "%s while destroying cache %s",
					  orth_err_str(e), col.names[i]);
		}
		ccache_close(cc);
	}
	ccache_col_free(&col);
	return 0;
}

int
cmd_kdestroy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct orthrus_context *ctx = NULL;
	struct ccache *cc = NULL;
	struct ccache_principal p = {0};
	const char *ccname = NULL, *pname = NULL;
	char *defname = NULL;
	bool all = false, quiet = false;
	int errs = 0;
	orth_err e;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "54Aqc:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'A': all = true; break;
		case 'q': quiet = true; break;
		case 'c':
			if (ccname != NULL) {
				fprintf(stderr, "Only one -c option allowed\n");
				errs++;
			} else {
				ccname = optarg;
			}
			break;
		case 'p':
			if (pname != NULL) {
				fprintf(stderr, "Only one -p option allowed\n");
				errs++;
			} else {
				pname = optarg;
			}
			break;
		case '4':
			fprintf(stderr, "Kerberos 4 is no longer supported\n");
			return 3;
		case '5': break;
		case 'h': return usage(stdout, 0);
		default: errs++; break;
		}
	}
	if (all && pname != NULL) {
		fprintf(stderr, "-A option is exclusive with -p option\n");
		errs++;
	}
	if (optind != argc)
		errs++;
	if (errs)
		return usage(stderr, 2);
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTH_OK) {
		cli_error("kdestroy", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	/* -c names the default cache (and with it the collection). */
	if (ccname != NULL)
		defname = strdup(ccname);
	else if (orthrus_default_ccache_name(ctx, &defname) != ORTH_OK)
		defname = NULL;
	if (defname == NULL) {
		cli_error("kdestroy", "cannot name the default cache");
		goto out;
	}
	if (all) {
		rc = destroy_all(defname);
		goto out;
	}
	if (pname != NULL) {
		e = ccache_principal_parse(pname, orthrus_default_realm(ctx), &p);
		if (e == ORTH_OK)
			e = ccache_col_match(defname, &p, &cc);
		if (e != ORTH_OK) {
			cli_error("kdestroy", "%s while finding cache for %s",
				  e == ORTH_E_NOTFOUND ? "Matching credential not found"
						       : orth_err_str(e),
				  pname);
			goto out;
		}
	} else {
		e = client_ccache_open(ctx, defname, &cc);
		if (e != ORTH_OK) {
			cli_error("kdestroy", "%s while resolving ccache",
				  orthrus_error_message(ctx, e));
			goto out;
		}
	}
	e = ccache_destroy(cc);
	if (e == ORTH_E_NOTFOUND) {
		/* Nothing to destroy is no failure (MIT's exit status 0). */
		cli_error("kdestroy", "No credentials cache found while destroying cache");
	} else if (e != ORTH_OK) {
		cli_error("kdestroy", "%s while destroying cache %s", orth_err_str(e),
			  ccache_name_get(cc));
		fprintf(stderr, "Ticket cache NOT destroyed!\n");
		goto out;
	}
	if (!quiet && pname == NULL) {
		struct ccache_col col = {0};
		if (ccache_col_list(defname, &col) == ORTH_OK && col.n > 0)
			fprintf(stderr, "Other credential caches present, use -A to destroy all\n");
		ccache_col_free(&col);
	}
	rc = 0;
out:
	free(defname);
	ccache_principal_free(&p);
	ccache_close(cc);
	orthrus_context_free(ctx);
	return rc;
}
