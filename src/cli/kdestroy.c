/*
 * kdestroy.c - `orthrus kdestroy [-A] [-q] [-c cache] [-p principal]`:
 * overwrite, then unlink, with MIT's options and exit codes:
 *   -A  every cache of the collection (DIR:, KEYRING:);
 *   -p  the collection's cache of that principal;
 *   a missing cache is reported and is no failure (exit 0), as MIT's;
 *   without -q, a warning when other caches of the collection remain.
 * Usage errors exit 2.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <orthrus/ccache.h>
#include <orthrus/client.h>

#include "commands.h"

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
destroy_all(struct orthrus_context *ctx, const char *defname)
{
	struct orthrus_collection_iter *it = NULL;
	struct orthrus_ccache *cc = NULL;
	orth_err e;

	e = orthrus_collection_iter_begin(ctx, defname, &it);
	if (e != ORTHRUS_OK) {
		cli_error("kdestroy", "%s while listing credential caches",
			  orthrus_error_message(ctx, e));
		return 1;
	}
	while (orthrus_collection_iter_next(it, &cc) == ORTHRUS_OK) {
		e = orthrus_ccache_destroy(ctx, cc);
		if (e != ORTHRUS_OK && e != ORTHRUS_E_NOTFOUND)
			cli_error("kdestroy", "%s while destroying cache %s",
				  orthrus_error_message(ctx, e), orthrus_ccache_name(cc));
		orthrus_ccache_close(cc);
	}
	orthrus_collection_iter_end(it);
	return 0;
}

/* Whether the collection of defname still holds a cache. */
static bool
others_left(struct orthrus_context *ctx, const char *defname)
{
	struct orthrus_collection_iter *it = NULL;
	struct orthrus_ccache *cc = NULL;
	bool any = orthrus_collection_iter_begin(ctx, defname, &it) == ORTHRUS_OK &&
		   orthrus_collection_iter_next(it, &cc) == ORTHRUS_OK;

	orthrus_ccache_close(cc);
	orthrus_collection_iter_end(it);
	return any;
}

int
cmd_kdestroy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct orthrus_context *ctx = NULL;
	struct orthrus_ccache *cc = NULL;
	struct orthrus_principal *p = NULL;
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
	if (e != ORTHRUS_OK) {
		cli_error("kdestroy", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	/* -c names the default cache (and with it the collection). */
	if (ccname != NULL)
		defname = strdup(ccname);
	else if (orthrus_default_ccache_name(ctx, &defname) != ORTHRUS_OK)
		defname = NULL;
	if (defname == NULL) {
		cli_error("kdestroy", "cannot name the default cache");
		goto out;
	}
	if (all) {
		rc = destroy_all(ctx, defname);
		goto out;
	}
	if (pname != NULL) {
		e = orthrus_principal_parse(ctx, pname, &p);
		if (e == ORTHRUS_OK)
			e = orthrus_ccache_match(ctx, defname, p, &cc);
		if (e != ORTHRUS_OK) {
			cli_error("kdestroy", "%s while finding cache for %s",
				  orthrus_error_message(ctx, e), pname);
			goto out;
		}
	} else {
		e = orthrus_ccache_resolve(ctx, defname, &cc);
		if (e != ORTHRUS_OK) {
			cli_error("kdestroy", "%s while resolving ccache",
				  orthrus_error_message(ctx, e));
			goto out;
		}
	}
	e = orthrus_ccache_destroy(ctx, cc);
	if (e == ORTHRUS_E_NOTFOUND) {
		/* Nothing to destroy is no failure (MIT's exit status 0). */
		cli_error("kdestroy", "No credentials cache found while destroying cache");
	} else if (e != ORTHRUS_OK) {
		cli_error("kdestroy", "%s while destroying cache %s",
			  orthrus_error_message(ctx, e), orthrus_ccache_name(cc));
		fprintf(stderr, "Ticket cache NOT destroyed!\n");
		goto out;
	}
	if (!quiet && pname == NULL && others_left(ctx, defname))
		fprintf(stderr, "Other credential caches present, use -A to destroy all\n");
	rc = 0;
out:
	free(defname);
	orthrus_principal_free(p);
	orthrus_ccache_close(cc);
	orthrus_context_free(ctx);
	return rc;
}
