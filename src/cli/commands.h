/*
 * commands.h - the subcommands of `orthrus`.  Each takes the arguments after
 * its name (argv[0] is the subcommand name) and returns the exit status:
 * 0 success, 1 failure, 2 bad arguments.
 */
#ifndef ORTHRUS_CLI_COMMANDS_H
#define ORTHRUS_CLI_COMMANDS_H

int cmd_version(int argc, char **argv);
int cmd_string2key(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_kdc(int argc, char **argv);
int cmd_kinit(int argc, char **argv);
int cmd_klist(int argc, char **argv);
int cmd_kvno(int argc, char **argv);
int cmd_kdestroy(int argc, char **argv);
int cmd_kswitch(int argc, char **argv);
int cmd_ktutil(int argc, char **argv);
int cmd_explain(int argc, char **argv);

/* One-line error to stderr, prefixed with "orthrus <cmd>: ". */
void cli_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
