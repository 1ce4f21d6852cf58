/* kdestroy.c - `orthrus kdestroy [-c CCACHE]`: overwrite, then unlink. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ccache.h"
#include "client/client_int.h"
#include "commands.h"
#include "orthrus/client.h"

int
cmd_kdestroy(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	struct ccache *cc = NULL;
	const char *ccname = NULL;
	orth_err e;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt(argc, argv, "c:qh")) != -1) {
		switch (c) {
		case 'c': ccname = optarg; break;
		case 'q': break;
		case 'h':
			printf("usage: orthrus kdestroy [-c cache]\n");
			return 0;
		default:
			fprintf(stderr, "usage: orthrus kdestroy [-c cache]\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: orthrus kdestroy [-c cache]\n");
		return 2;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTH_OK) {
		cli_error("kdestroy", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	e = client_ccache_open(ctx, ccname, &cc);
	if (e != ORTH_OK) {
		cli_error("kdestroy", "%s while resolving ccache",
			  orthrus_error_message(ctx, e));
		goto out;
	}
	e = ccache_destroy(cc);
	if (e == ORTH_E_NOTFOUND) {
		cli_error("kdestroy", "No credentials cache found while destroying cache");
		goto out;
	}
	if (e != ORTH_OK) {
		cli_error("kdestroy", "%s while destroying cache %s", orth_err_str(e),
			  ccache_name_get(cc));
		goto out;
	}
	rc = 0;
out:
	ccache_close(cc);
	orthrus_context_free(ctx);
	return rc;
}
