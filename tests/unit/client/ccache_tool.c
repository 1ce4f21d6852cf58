/*
 * ccache_tool - drive src/client/ccache from shell tests:
 *   ccache_tool list NAME                 dump header, principal, entries
 *   ccache_tool copy SRC DST              read SRC, write it whole to DST
 *   ccache_tool rebuild SRC DST           initialize DST, then store each
 *                                         entry of SRC one by one
 *   ccache_tool get NAME SERVER [ENCTYPE] retrieve a ticket
 *   ccache_tool config NAME KEY [PRINC]   print a config value
 *   ccache_tool set-offset NAME SEC USEC  set the KDC time offset
 *   ccache_tool destroy NAME
 * Exit status 0 on success, 1 on error (message on stderr).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/ccache.h"

static void
print_data(const struct ccache_data *d)
{
	size_t i;
	bool text = d->len > 0;

	for (i = 0; i < d->len; i++)
		if (!isprint(d->data[i]))
			text = false;
	if (text) {
		printf("\"%s\"", (const char *)d->data);
		return;
	}
	printf("0x");
	for (i = 0; i < d->len; i++)
		printf("%02x", d->data[i]);
}

static void
print_princ(const struct ccache_principal *p)
{
	char *s = NULL;

	if (ccache_principal_unparse(p, &s) == ORTH_OK)
		printf("%s", s);
	free(s);
}

static int
cmd_list(struct ccache *cc)
{
	struct ccache_contents c = {0};
	orth_err e;
	size_t i;

	if ((e = ccache_read(cc, &c)) != ORTH_OK) {
		fprintf(stderr, "ccache_tool: %s: %s\n", ccache_name_get(cc),
			orth_err_str(e));
		return 1;
	}
	printf("version 0x%04x\n", c.version);
	if (c.has_time_offset)
		printf("offset %d %d\n", c.time_offset_sec, c.time_offset_usec);
	else
		printf("offset none\n");
	printf("principal ");
	print_princ(&c.princ);
	printf(" type %d\n", c.princ.name_type);
	for (i = 0; i < c.ncreds; i++) {
		const struct ccache_cred *cr = &c.creds[i];
		if (ccache_cred_is_config(cr)) {
			printf("config ");
			print_princ(&cr->server);
			printf(" ");
			print_data(&cr->ticket);
			printf("\n");
			continue;
		}
		printf("ticket ");
		print_princ(&cr->client);
		printf(" ");
		print_princ(&cr->server);
		printf(" type %d etype %d keylen %zu flags 0x%08x auth %lld "
		       "start %lld end %lld renew %lld skey %d addrs %u "
		       "authdata %u ticket %zu second %zu\n",
		       cr->server.name_type, cr->enctype, cr->key.len,
		       cr->flags, (long long)cr->authtime,
		       (long long)cr->starttime, (long long)cr->endtime,
		       (long long)cr->renew_till, cr->is_skey, cr->naddrs,
		       cr->nauthdata, cr->ticket.len, cr->second_ticket.len);
	}
	ccache_contents_free(&c);
	return 0;
}

static orth_err
rebuild(struct ccache *src, struct ccache *dst)
{
	struct ccache_contents c = {0};
	orth_err ret;
	size_t i;

	TRY(ccache_read(src, &c));
	TRY(ccache_initialize(dst, &c.princ));
	if (c.has_time_offset)
		TRY(ccache_time_offset_set(dst, c.time_offset_sec,
					   c.time_offset_usec));
	for (i = 0; i < c.ncreds; i++)
		TRY(ccache_store(dst, &c.creds[i]));
cleanup:
	ccache_contents_free(&c);
	return ret;
}

int
main(int argc, char **argv)
{
	struct ccache *cc = NULL, *dst = NULL;
	struct ccache_contents c = {0};
	struct ccache_principal p = {0}, q = {0};
	struct ccache_cred cr = {0};
	struct ccache_data v = {0};
	const char *cmd = argc > 1 ? argv[1] : "";
	orth_err ret = ORTH_E_USAGE;
	int rc = 1;

	if (argc < 3)
		goto usage;
	TRY(ccache_open(argv[2], &cc));
	if (strcmp(cmd, "list") == 0 && argc == 3) {
		rc = cmd_list(cc);
		ret = ORTH_OK;
		goto cleanup;
	} else if ((strcmp(cmd, "copy") == 0 || strcmp(cmd, "rebuild") == 0) &&
		   argc == 4) {
		TRY(ccache_open(argv[3], &dst));
		if (cmd[0] == 'c') {
			TRY(ccache_read(cc, &c));
			TRY(ccache_write(dst, &c));
		} else {
			TRY(rebuild(cc, dst));
		}
	} else if (strcmp(cmd, "get") == 0 && (argc == 4 || argc == 5)) {
		TRY(ccache_default_principal_get(cc, &p));
		TRY(ccache_principal_parse(argv[3], (char *)p.realm.data, &q));
		TRY(ccache_retrieve(cc, NULL, &q, argc == 5 ? atoi(argv[4]) : 0,
				    &cr));
		printf("found ");
		print_princ(&cr.server);
		printf(" etype %d keylen %zu\n", cr.enctype, cr.key.len);
	} else if (strcmp(cmd, "config") == 0 && (argc == 4 || argc == 5)) {
		if (argc == 5)
			TRY(ccache_principal_parse(argv[4], NULL, &q));
		TRY(ccache_config_get(cc, argc == 5 ? &q : NULL, argv[3], &v));
		print_data(&v);
		printf("\n");
	} else if (strcmp(cmd, "set-offset") == 0 && argc == 5) {
		TRY(ccache_time_offset_set(cc, atoi(argv[3]), atoi(argv[4])));
	} else if (strcmp(cmd, "destroy") == 0 && argc == 3) {
		TRY(ccache_destroy(cc));
	} else {
		goto usage;
	}
	rc = 0;
cleanup:
	if (ret != ORTH_OK)
		fprintf(stderr, "ccache_tool %s: %s\n", cmd, orth_err_str(ret));
	ccache_data_free(&v);
	ccache_cred_free(&cr);
	ccache_principal_free(&p);
	ccache_principal_free(&q);
	ccache_contents_free(&c);
	ccache_close(cc);
	ccache_close(dst);
	return rc;
usage:
	fprintf(stderr, "usage: ccache_tool list|copy|rebuild|get|config|"
			"set-offset|destroy NAME ...\n");
	rc = 2;
	ret = ORTH_OK;
	goto cleanup;
}
