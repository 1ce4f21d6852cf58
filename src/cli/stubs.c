/*
 * stubs.c - subcommands not built yet.  Each is removed from here when its
 * own file lands.
 */
#include "commands.h"

static int
not_yet(const char *name)
{
	cli_error(name, "not implemented yet");
	return 1;
}

int cmd_kinit(int argc, char **argv) { (void)argc; (void)argv; return not_yet("kinit"); }
int cmd_klist(int argc, char **argv) { (void)argc; (void)argv; return not_yet("klist"); }
int cmd_kvno(int argc, char **argv) { (void)argc; (void)argv; return not_yet("kvno"); }
int cmd_kdestroy(int argc, char **argv) { (void)argc; (void)argv; return not_yet("kdestroy"); }
