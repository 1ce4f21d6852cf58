/*
 * install_app - an application of the installed liborthrus, built by
 * tests/interop/install_tree.sh with nothing but
 * `cc install_app.c $(pkg-config --cflags --libs orthrus)` against the
 * staged `make install` tree: it sees only the headers of
 * include/orthrus/.
 *
 *   install_app CLIENT SERVICE CCACHE   (the password on stdin, one line)
 *
 * Gets a TGT for CLIENT with the password (krb5.conf from $KRB5_CONFIG)
 * into CCACHE, then a ticket for SERVICE, and prints
 * "ticket CLIENT -> SERVER etype E kvno K len N".  Exit 0 on success, 1
 * with the library's message on failure, 2 on bad arguments.
 */
#include <stdio.h>
#include <string.h>

#include <orthrus/client.h>
#include <orthrus/service.h>

int
main(int argc, char **argv)
{
	struct orthrus_context *ctx = NULL;
	struct orthrus_ticket t;
	char pw[256];
	orth_err e;
	int rc = 1;

	memset(&t, 0, sizeof(t));
	if (argc != 4) {
		fprintf(stderr, "usage: install_app CLIENT SERVICE CCACHE\n");
		return 2;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr, "install_app: no password on stdin\n");
		return 2;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	e = orthrus_context_new(NULL, &ctx);
	if (e != 0) {
		fprintf(stderr, "install_app: krb5.conf: %s\n", orthrus_context_error());
		goto out;
	}
	e = orthrus_get_init_creds_password(ctx, argv[1], pw, NULL, argv[3]);
	if (e == 0)
		e = orthrus_get_service_ticket(ctx, argv[3], argv[2], 0, &t);
	if (e != 0) {
		fprintf(stderr, "install_app: %s (%d)\n", orthrus_error_message(ctx, e), (int)e);
		goto out;
	}
	printf("ticket %s -> %s etype %d kvno %u len %zu\n", t.client, t.server,
	       (int)t.ticket_enctype, (unsigned)t.ticket_kvno, t.ticket_len);
	/* service.h links too: its error texts come from the same library. */
	printf("service.h: %s\n", orthrus_service_err_str(1034));
	rc = t.ticket_len > 0 && t.session_key_len > 0 ? 0 : 1;
out:
	memset(pw, 0, sizeof(pw));
	orthrus_ticket_free(&t);
	orthrus_context_free(ctx);
	return rc;
}
