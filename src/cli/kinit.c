/*
 * kinit.c - `orthrus kinit`: get a TGT (or, with -S, a ticket for a
 * service) with a password or a keytab and store it in a cache; -R
 * renews.  Options as MIT's kinit.
 */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/config.h"
#include "client/ccache.h"
#include "client/client_int.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "orthrus/client.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus kinit [-V] [-l lifetime] [-r renewable_life] [-f | -F]\n"
		   "                     [-R] [-k [-t keytab]] [-c cache] [-S service]\n"
		   "                     [-T armor_ccache] [principal]\n");
}

/*
 * While echo is off, a signal that ends or stops kinit must first give the
 * terminal back as it was: Ctrl-C at the prompt would otherwise leave the
 * shell without echo.  The handler uses only async-signal-safe calls.
 */
static const int tty_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
static struct sigaction tty_old_actions[sizeof(tty_signals) / sizeof(int)];
static struct termios tty_saved, tty_quiet;

static void tty_handlers_set(void);

static void
tty_on_signal(int sig)
{
	int saved_errno = errno;
	sigset_t set;

	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
	/* The default action now: end (or stop) as the signal means. */
	(void)signal(sig, SIG_DFL);
	(void)raise(sig);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	/* Only SIGTSTP comes back here (after SIGCONT): echo off again. */
	tty_handlers_set();
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_quiet);
	errno = saved_errno;
}

static void
tty_handlers_set(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_on_signal;
	sa.sa_flags = SA_RESTART;  /* the read of the password goes on */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
		sigaddset(&sa.sa_mask, tty_signals[i]);
	/* A signal the caller ignores (nohup) stays ignored. */
	for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
		if (tty_old_actions[i].sa_handler != SIG_IGN)
			(void)sigaction(tty_signals[i], &sa, NULL);
}

static void
tty_handlers_restore(void)
{
	for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
		(void)sigaction(tty_signals[i], &tty_old_actions[i], NULL);
}

/*
 * The password: from the terminal without echo, or one line of stdin
 * when it is not a terminal (scripts).  buf is wiped by the caller.
 */
static int
read_password(const char *princ, char *buf, size_t cap)
{
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "Password for %s: ", princ);
		fflush(stderr);
		if (tcgetattr(STDIN_FILENO, &tty_saved) != 0)
			return -1;
		tty_quiet = tty_saved;
		tty_quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tty_quiet.c_lflag |= ICANON;
		for (size_t i = 0; i < sizeof(tty_signals) / sizeof(int); i++)
			(void)sigaction(tty_signals[i], NULL, &tty_old_actions[i]);
		tty_handlers_set();
		if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_quiet) != 0) {
			tty_handlers_restore();
			return -1;
		}
	}
	if (fgets(buf, (int)cap, stdin) == NULL)
		buf[0] = '\0';
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &tty_saved);
		tty_handlers_restore();
		fputc('\n', stderr);
	}
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return n == 0 && feof(stdin) && !tty ? -1 : 0;
}

static int
parse_life(const char *s, int64_t *out)
{
	return config_parse_duration(s, out) == ORTH_OK && *out > 0 ? 0 : -1;
}

/* The name to use when none is given: the cache's principal, else the
 * login name (password) or host/<hostname> (keytab), as MIT does. */
static int
default_client(struct orthrus_context *ctx, const char *ccname, bool keytab,
	       char *buf, size_t cap)
{
	struct ccache *cc = NULL;
	struct ccache_principal p;
	char *s = NULL;

	memset(&p, 0, sizeof(p));
	if (keytab) {
		char host[256];
		if (gethostname(host, sizeof(host)) != 0)
			return -1;
		host[sizeof(host) - 1] = '\0';
		snprintf(buf, cap, "host/%s", host);
		return 0;
	}
	if (client_ccache_open(ctx, ccname, &cc) == ORTH_OK &&
	    ccache_default_principal_get(cc, &p) == ORTH_OK &&
	    ccache_principal_unparse(&p, &s) == ORTH_OK) {
		snprintf(buf, cap, "%s", s);
		free(s);
		ccache_principal_free(&p);
		ccache_close(cc);
		return 0;
	}
	ccache_close(cc);
	struct passwd *pw = getpwuid(getuid());
	if (pw == NULL)
		return -1;
	snprintf(buf, cap, "%s", pw->pw_name);
	return 0;
}

int
cmd_kinit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	struct orthrus_init_opts o;
	struct orthrus_context *ctx = NULL;
	const char *ccname = NULL, *keytab = NULL, *princ = NULL;
	bool verbose = false, use_kt = false, renew = false;
	char name[1024], pw[1024];
	char *ccdef = NULL;
	orth_err e;
	int c, rc = 1;

	memset(&o, 0, sizeof(o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "Vl:r:fFRkt:c:S:T:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'V': verbose = true; break;
		case 'l':
			if (parse_life(optarg, &o.lifetime) != 0) {
				cli_error("kinit", "Bad lifetime value %s", optarg);
				return 2;
			}
			break;
		case 'r':
			if (parse_life(optarg, &o.renew_life) != 0) {
				cli_error("kinit", "Bad lifetime value %s", optarg);
				return 2;
			}
			break;
		case 'f': o.forwardable = 1; break;
		case 'F': o.forwardable = -1; break;
		case 'R': renew = true; break;
		case 'k': use_kt = true; break;
		case 't': keytab = optarg; use_kt = true; break;
		case 'c': ccname = optarg; break;
		case 'S': o.service = optarg; break;
		case 'T': o.armor_ccache = optarg; break; /* FAST armor, RFC 6113 */
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc)
		princ = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	e = orthrus_context_new(NULL, &ctx);
	if (e != ORTH_OK) {
		cli_error("kinit", "cannot read krb5.conf: %s", orthrus_context_error());
		return 1;
	}
	if (renew) {
		e = orthrus_renew_tgt(ctx, ccname);
		if (e != ORTH_OK) {
			cli_error("kinit", "%s while renewing credentials",
				  orthrus_error_message(ctx, e));
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (princ == NULL) {
		if (default_client(ctx, ccname, use_kt, name, sizeof(name)) != 0) {
			cli_error("kinit", "Unable to identify user");
			goto out;
		}
		princ = name;
	}
	if (verbose) {
		if (ccname == NULL && orthrus_default_ccache_name(ctx, &ccdef) == ORTH_OK)
			printf("Using default cache: %s\n", ccdef);
		else if (ccname != NULL)
			printf("Using specified cache: %s\n", ccname);
		printf("Using principal: %s\n", princ);
		if (use_kt)
			printf("Using keytab: %s\n", keytab ? keytab
							    : orthrus_default_keytab_name(ctx));
	}
	if (use_kt) {
		e = orthrus_get_init_creds_keytab(ctx, princ, keytab, &o, ccname);
	} else {
		char shown[1100];
		if (strchr(princ, '@') == NULL && orthrus_default_realm(ctx) != NULL)
			snprintf(shown, sizeof(shown), "%s@%s", princ,
				 orthrus_default_realm(ctx));
		else
			snprintf(shown, sizeof(shown), "%s", princ);
		if (read_password(shown, pw, sizeof(pw)) != 0) {
			cli_error("kinit", "Cannot read password while getting initial credentials");
			goto out;
		}
		e = orthrus_get_init_creds_password(ctx, princ, pw, &o, ccname);
		crypto_wipe(pw, sizeof(pw));
	}
	if (e != ORTH_OK) {
		const char *m = orthrus_error_message(ctx, e);
		cli_error("kinit", "%s%s", m,
			  strstr(m, " while ") ? "" : " while getting initial credentials");
		goto out;
	}
	if (verbose)
		printf("Authenticated to Kerberos v5\n");
	rc = 0;
out:
	free(ccdef);
	orthrus_context_free(ctx);
	return rc;
}
