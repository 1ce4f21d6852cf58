/*
 * kswitch.c - `orthrus kswitch {-c cache | -p principal}`: make a cache the
 * primary one of its collection (DIR:, ccache_col.h), as MIT's kswitch:
 * -p picks the collection's cache of that principal.  Switching to a FILE
 * cache is accepted and changes nothing (MIT does the same).  Usage
 * errors exit 2, failures 1.
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
	struct ccache *cc = NULL;
	struct ccache_principal p = {0};
	const char *ccname = NULL, *pname = NULL;
	char *defname = NULL;
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
	if (e != ORTH_OK) {
		cli_error("kswitch", "cannot read krb5.conf: %s",
			  orthrus_context_error());
		return 1;
	}
	if (ccname != NULL) {
		e = client_ccache_open(ctx, ccname, &cc);
		if (e != ORTH_OK) {
			cli_error("kswitch", "%s while resolving %s",
				  orthrus_error_message(ctx, e), ccname);
			goto out;
		}
	} else {
		e = ccache_principal_parse(pname, orthrus_default_realm(ctx), &p);
		if (e != ORTH_OK) {
			cli_error("kswitch", "Malformed representation of principal while parsing principal name %s",
				  pname);
			goto out;
		}
		e = orthrus_default_ccache_name(ctx, &defname);
		if (e == ORTH_OK)
			e = ccache_col_match(defname, &p, &cc);
		if (e != ORTH_OK) {
			cli_error("kswitch", "%s while searching for ccache for %s",
				  e == ORTH_E_NOTFOUND ? "Matching credential not found"
						       : orth_err_str(e),
				  pname);
			goto out;
		}
	}
	e = ccache_col_switch(cc);
	if (e != ORTH_OK) {
		cli_error("kswitch", "%s while switching to credential cache",
			  ccache_col_error()[0] ? ccache_col_error()
						: orth_err_str(e));
		goto out;
	}
	rc = 0;
out:
	free(defname);
	ccache_principal_free(&p);
	ccache_close(cc);
	orthrus_context_free(ctx);
	return rc;
}
