/*
 * ktools.c - what the k-tools share.  See ktools.h.
 */
#include "ktools.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <orthrus/base.h>

const char *
ktools_enctype_name(int32_t e, char *buf, size_t cap)
{
	const char *n = orthrus_enctype_name(e);
	if (n != NULL)
		return n;
	snprintf(buf, cap, "etype %d", e);
	return buf;
}

void
ktools_keytab_entry_print(const struct orthrus_keytab_entry *k, int princ_width,
			  bool show_etype, bool show_keys)
{
	char *pn = NULL, b[32];

	if (orthrus_principal_unparse(orthrus_keytab_entry_principal(k), &pn) != ORTHRUS_OK)
		pn = NULL;
	printf("%*s", princ_width, pn != NULL ? pn : "?");
	free(pn);
	if (show_etype)
		printf(" (%s) ", ktools_enctype_name(orthrus_keytab_entry_enctype(k), b, sizeof(b)));
	if (show_keys) {
		size_t klen;
		const uint8_t *key = orthrus_keytab_entry_key(k, &klen);
		printf(" (0x");
		for (size_t j = 0; j < klen; j++)
			printf("%02x", key[j]);
		printf(")");
	}
	printf("\n");
}

/*
 * While echo is off, a signal that ends or stops the tool must first give the
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

int
ktools_secret_read(const char *prompt, char *buf, size_t cap)
{
	bool tty = isatty(STDIN_FILENO);
	size_t n;

	if (tty) {
		fprintf(stderr, "%s", prompt);
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
