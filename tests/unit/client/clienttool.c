/*
 * clienttool.c - drives the parts of include/orthrus/client.h no command
 * uses, for tests/interop/client_*.sh:
 *   clienttool fwd CCACHE        get a forwarded TGT, print its flags
 *   clienttool svc CCACHE NAME   get a service ticket, print its facts
 *   clienttool vfy CCACHE KEYTAB [SERVER|-] [NOFAIL]
 *                                orthrus_verify_init_creds
 *   clienttool accept KEYTAB SERVICE REQ [APPDATA]
 *                                verify the AP-REQ in file REQ with the
 *                                public acceptor (channel bindings with
 *                                APPDATA as application data), print the
 *                                client, GSS flags and whether bound
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orthrus/client.h"
#include "orthrus/service.h"
#include "proto/krb5_const.h"

static int
accept_req(int argc, char **argv)
{
	struct orthrus_acceptor *acc = NULL;
	struct orthrus_login *login = NULL;
	struct orthrus_channel_bindings cb;
	uint8_t buf[65536];
	size_t len;
	FILE *f = fopen(argv[4], "rb");
	orth_err e;

	if (f == NULL)
		return 2;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	e = orthrus_acceptor_open(argv[2], argv[3], &acc);
	if (e == 0 && argc > 5) {
		memset(&cb, 0, sizeof(cb));
		cb.application_data = (const uint8_t *)argv[5];
		cb.application_data_len = strlen(argv[5]);
		e = orthrus_acceptor_set_channel_bindings(acc, &cb);
	}
	if (e == 0)
		e = orthrus_acceptor_verify(acc, buf, len, &login);
	if (e != 0) {
		printf("error %d %s (%s)\n", (int)e, orthrus_service_err_str(e),
		       acc ? orthrus_acceptor_last_error(acc) : "");
		orthrus_acceptor_close(acc);
		return 1;
	}
	printf("ok %s gss-flags 0x%x bound %d\n", orthrus_login_client(login),
	       (unsigned)orthrus_login_gss_flags(login),
	       orthrus_login_channel_bound(login));
	orthrus_login_free(login);
	orthrus_acceptor_close(acc);
	return 0;
}

static void
show(const struct orthrus_ticket *t)
{
	printf("client %s\nserver %s\nskey %d tkt %d kvno %u\n", t->client,
	       t->server, t->session_enctype, t->ticket_enctype, t->ticket_kvno);
	printf("forwardable %d forwarded %d renewable %d\n",
	       !!(t->flags & TKT_FLG_FORWARDABLE), !!(t->flags & TKT_FLG_FORWARDED),
	       !!(t->flags & TKT_FLG_RENEWABLE));
}

int
main(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	struct orthrus_ticket t;
	orth_err e;

	memset(&t, 0, sizeof(t));
	if (argc >= 5 && strcmp(argv[1], "accept") == 0)
		return accept_req(argc, argv);
	if (argc >= 4 && strcmp(argv[1], "vfy") == 0) {
		if (orthrus_context_new(NULL, &ctx) != 0)
			return 2;
		e = orthrus_verify_init_creds(
			ctx, argv[2],
			argc > 4 && strcmp(argv[4], "-") != 0 ? argv[4] : NULL,
			argv[3], argc > 5 ? atoi(argv[5]) : 0);
		if (e != 0)
			fprintf(stderr, "clienttool: %s\n", orthrus_error_message(ctx, e));
		else
			printf("verified\n");
		orthrus_context_free(ctx);
		return e != 0;
	}
	if (argc < 3 || orthrus_context_new(NULL, &ctx) != 0) {
		fprintf(stderr, "usage: clienttool fwd|svc CCACHE [NAME]\n");
		return 2;
	}
	if (strcmp(argv[1], "fwd") == 0)
		e = orthrus_get_forwarded_tgt(ctx, argv[2], &t);
	else if (strcmp(argv[1], "svc") == 0 && argc == 4)
		e = orthrus_get_service_ticket(ctx, argv[2], argv[3], 0, &t);
	else
		e = 2;
	if (e != 0) {
		fprintf(stderr, "clienttool: %s\n", orthrus_error_message(ctx, e));
		orthrus_context_free(ctx);
		return 1;
	}
	show(&t);
	orthrus_ticket_free(&t);
	orthrus_context_free(ctx);
	return 0;
}
