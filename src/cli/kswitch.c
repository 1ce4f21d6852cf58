/*
 * kswitch.c - `orthrus kswitch {-c cache | -p principal}`: make a cache the
 * primary one of its collection (DIR:, KEYRING:), as MIT's kswitch:
 * -p picks the collection's cache of that principal.  Switching to a FILE
 * cache is accepted and changes nothing (MIT does the same).  Usage
 * errors exit 2, failures 1.
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
	fprintf(f, "Usage: orthrus kswitch {-c cache_name | -p principal}\n"
		   "\t-c specify name of credentials cache\n"
		   "\t-p specify name of principal\n");
	return rc;
}

int
cmd_kswitch(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct orthrus_context *ctx = NULL;
	struct orthrus_ccache *cc = NULL;
	struct orthrus_principal *p = NULL;
	const char *ccname = NULL, *pname = NULL;
	bool bad = false;
	orth_err e;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'p':
			if (ccname != NULL || pname != NULL) {
				fprintf(stderr, "Only one -c or -p option allowed\n");
				bad = true;
			} else if (c == 'c') {
				ccname = optarg;
			} else {
				pname = optarg;
			}
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			bad = true;
			break;
		}
	}
	if (optind != argc)
		bad = true;
	if (ccname == NULL && pname == NULL) {
		fprintf(stderr, "One of -c or -p must be specified\n");
		bad = true;
	}
	if (bad)
		return usage(stderr, 2);
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTHRUS_OK) {
		cli_error("kswitch", "cannot read krb5.conf: %s",
			  orthrus_context_error());
		return 1;
	}
	if (ccname != NULL) {
		e = orthrus_ccache_resolve(ctx, ccname, &cc);
		if (e != ORTHRUS_OK) {
			cli_error("kswitch", "%s while resolving %s",
				  orthrus_error_message(ctx, e), ccname);
			goto out;
		}
	} else {
		e = orthrus_principal_parse(ctx, pname, &p);
		if (e != ORTHRUS_OK) {
			cli_error("kswitch", "Malformed representation of principal while parsing principal name %s",
				  pname);
			goto out;
		}
		e = orthrus_ccache_match(ctx, NULL, p, &cc);
		if (e != ORTHRUS_OK) {
			cli_error("kswitch", "%s while searching for ccache for %s",
				  orthrus_error_message(ctx, e), pname);
			goto out;
		}
	}
	e = orthrus_ccache_switch(ctx, cc);
	if (e != ORTHRUS_OK) {
		cli_error("kswitch", "%s while switching to credential cache",
			  orthrus_error_message(ctx, e));
		goto out;
	}
	rc = 0;
out:
	orthrus_principal_free(p);
	orthrus_ccache_close(cc);
	orthrus_context_free(ctx);
	return rc;
}
