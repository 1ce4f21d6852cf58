/*
 * clienttool.c - drives the parts of include/orthrus/client.h no command
 * uses, for tests/interop/client_*.sh:
 *   clienttool fwd CCACHE        get a forwarded TGT, print its flags
 *   clienttool svc CCACHE NAME   get a service ticket, print its facts
 */
#include <stdio.h>
#include <string.h>

#include "orthrus/client.h"
#include "proto/krb5_const.h"

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
