/* main.c - `orthrus`: dispatch to a subcommand. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"kdc", cmd_kdc, "run the Key Distribution Center"},
	{"admin", cmd_admin, "manage the principal database (local)"},
	{"explain", cmd_explain, "say why a principal's requests were refused"},
	{"kinit", cmd_kinit, "obtain and cache a ticket-granting ticket"},
	{"klist", cmd_klist, "list cached tickets or keytab entries"},
	{"kvno", cmd_kvno, "get service tickets and print key versions"},
	{"kdestroy", cmd_kdestroy, "destroy a credential cache"},
	{"kswitch", cmd_kswitch, "switch the primary cache of a collection"},
	{"ktutil", cmd_ktutil, "list, add, remove and merge keytab entries"},
	{"string2key", cmd_string2key, "derive a key from a password"},
	{"version", cmd_version, "print the version"},
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus COMMAND [ARGS...]\n\n"
		   "Orthrus, a Kerberos 5 KDC and client.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'orthrus COMMAND --help' describes a command.\n");
}

void
cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "orthrus %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("orthrus %s\n", ORTHRUS_VERSION);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "orthrus: unknown command '%s' (try 'orthrus --help')\n", argv[1]);
	return 2;
}
