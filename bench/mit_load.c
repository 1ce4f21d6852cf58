/*
 * mit_load.c - load from MIT's own client library, for the bench's row
 * "KDC CPU per request under an MIT-libkrb5 load": P processes, one request
 * in flight each, each request a whole library call, as applications make
 * them.  The KDC is the one $KRB5_CONFIG names for REALM.
 *
 *   mit_load --realm REALM [--mode as|tgs] [--procs P] [--duration S]
 *            [--principals N] [--prefix NAME] [--password PW]
 *            [--service NAME]
 *
 *  tgs  process i gets TGTs for PREFIX<i>, PREFIX<i + P>, ... below N
 *       (krb5_get_init_creds_password) into memory caches, then calls
 *       krb5_get_credentials() for SERVICE, for each client in turn,
 *       with KRB5_GC_NO_STORE in a loop: the ticket is never cached, so
 *       every call is one TGS exchange (with the authenticator subkey MIT's
 *       library always sends).
 *  as   krb5_get_init_creds_password() in a loop (two exchanges when the
 *       principal requires pre-authentication, one otherwise).
 * Output, one line, the same fields as kdc_load's: mode= transport=udp
 *   inflight=P replies= seconds= rate= p50_us= p99_us= bad= ...
 */
#include <errno.h>
#include <getopt.h>
#include <krb5.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"

#define MAX_PROCS 64
#define MAX_SAMPLES (1u << 20)

static struct {
	const char *realm, *prefix, *password, *service;
	bool tgs;
	unsigned procs, principals;
	double duration;
} opt = {NULL, "user", "bench-Pa55", "bench/svc", true, 2, 10, 5};

static _Noreturn void
fail(krb5_context ctx, krb5_error_code e, const char *what)
{
	const char *m = krb5_get_error_message(ctx, e);

	fprintf(stderr, "mit_load: %s: %s\n", what, m);
	exit(1);
}

/* One client of a process: its name and, for TGS, a cache with its TGT. */
struct client {
	krb5_principal me;
	krb5_ccache cc;
};

/* The clients of process id: PREFIX<id>, PREFIX<id + procs>, ... below
 * --principals (at least PREFIX<id % principals>).  A process cycles
 * through them because the KDC's replay cache limits what one client may
 * hold (src/kdc/replay.h: a client above a few dozen TGS-REQs a second
 * for minutes is refused, KDC_ERR_SVC_UNAVAILABLE): one client per
 * process at thousands a second would measure that refusal, not the KDC.
 * Returns how many; *cl_out is the caller's to free. */
static unsigned
clients_make(krb5_context ctx, unsigned id, struct client **cl_out)
{
	unsigned n = opt.principals > id ? (opt.principals - id + opt.procs - 1) / opt.procs : 1;
	struct client *cl = calloc(n, sizeof(*cl));
	krb5_error_code e;
	char name[128];

	if (cl == NULL) {
		fprintf(stderr, "mit_load: out of memory\n");
		exit(1);
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned k = opt.principals > id ? id + i * opt.procs : id % opt.principals;
		krb5_creds tgt;

		snprintf(name, sizeof(name), "%s%u@%s", opt.prefix, k, opt.realm);
		if ((e = krb5_parse_name(ctx, name, &cl[i].me)) != 0)
			fail(ctx, e, "parse the client");
		if (!opt.tgs)
			continue;
		if ((e = krb5_cc_new_unique(ctx, "MEMORY", NULL, &cl[i].cc)) != 0)
			fail(ctx, e, "memory cache");
		memset(&tgt, 0, sizeof(tgt));
		if ((e = krb5_get_init_creds_password(ctx, &tgt, cl[i].me, opt.password, NULL,
		    NULL, 0, NULL, NULL)) != 0)
			fail(ctx, e, "get a TGT");
		if ((e = krb5_cc_initialize(ctx, cl[i].cc, cl[i].me)) != 0 ||
		    (e = krb5_cc_store_cred(ctx, cl[i].cc, &tgt)) != 0)
			fail(ctx, e, "store the TGT");
		krb5_free_cred_contents(ctx, &tgt);
	}
	*cl_out = cl;
	return n;
}

/* One process: its samples (microseconds) to out, then its counts. */
static void
child(unsigned id, FILE *out)
{
	krb5_context ctx;
	krb5_principal svc;
	krb5_creds in, *got;
	krb5_error_code e;
	struct client *cl;
	unsigned ncl, next = 0;
	unsigned long ok = 0, bad = 0;
	double end, t;

	if ((e = krb5_init_context(&ctx)) != 0) {
		fprintf(stderr, "mit_load: krb5_init_context: %d\n", e);
		exit(1);
	}
	if ((e = krb5_parse_name(ctx, opt.service, &svc)) != 0)
		fail(ctx, e, "parse the service");
	ncl = clients_make(ctx, id, &cl);
	end = bench_now() + opt.duration;
	while ((t = bench_now()) < end) {
		struct client *c = &cl[next];
		double t1;
		uint32_t us;

		next = (next + 1) % ncl;
		if (opt.tgs) {
			memset(&in, 0, sizeof(in));
			in.client = c->me;
			in.server = svc;
			e = krb5_get_credentials(ctx, KRB5_GC_NO_STORE, c->cc, &in, &got);
			if (e == 0)
				krb5_free_creds(ctx, got);
		} else {
			krb5_creds cr;
			memset(&cr, 0, sizeof(cr));
			e = krb5_get_init_creds_password(ctx, &cr, c->me, opt.password, NULL, NULL,
			    0, NULL, NULL);
			if (e == 0)
				krb5_free_cred_contents(ctx, &cr);
		}
		t1 = bench_now();
		if (e != 0) {
			if (bad++ == 0)
				fprintf(stderr, "mit_load: %s\n", krb5_get_error_message(ctx, e));
			continue;
		}
		ok++;
		us = (uint32_t)((t1 - t) * 1e6);
		fwrite(&us, sizeof(us), 1, out);
	}
	fflush(out);
	fprintf(stdout, "%lu %lu\n", ok, bad);
	fflush(stdout);
	for (unsigned i = 0; i < ncl; i++) {
		if (cl[i].cc != NULL)
			krb5_cc_destroy(ctx, cl[i].cc);
		krb5_free_principal(ctx, cl[i].me);
	}
	free(cl);
	krb5_free_principal(ctx, svc);
	krb5_free_context(ctx);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {{"realm", 1, 0, 'r'}, {"mode", 1, 0, 'm'},
	    {"procs", 1, 0, 'P'}, {"duration", 1, 0, 'd'}, {"principals", 1, 0, 'p'},
	    {"prefix", 1, 0, 'x'}, {"password", 1, 0, 'w'}, {"service", 1, 0, 's'},
	    {0, 0, 0, 0}};
	FILE *files[MAX_PROCS], *counts[MAX_PROCS];
	pid_t pids[MAX_PROCS];
	uint32_t *samples;
	size_t n = 0;
	unsigned long ok = 0, bad = 0;
	double t0, dt;
	int o, rc = 0;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'r': opt.realm = optarg; break;
		case 'm':
			if (strcmp(optarg, "as") != 0 && strcmp(optarg, "tgs") != 0)
				goto usage;
			opt.tgs = strcmp(optarg, "tgs") == 0;
			break;
		case 'P': opt.procs = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': opt.duration = strtod(optarg, NULL); break;
		case 'p': opt.principals = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'x': opt.prefix = optarg; break;
		case 'w': opt.password = optarg; break;
		case 's': opt.service = optarg; break;
		default: goto usage;
		}
	}
	if (opt.realm == NULL || opt.procs < 1 || opt.procs > MAX_PROCS ||
	    opt.principals < 1 || !(opt.duration > 0))
		goto usage;
	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	if (samples == NULL)
		return 1;
	fflush(stdout);
	t0 = bench_now();
	for (unsigned i = 0; i < opt.procs; i++) {
		files[i] = tmpfile();
		counts[i] = tmpfile();
		if (files[i] == NULL || counts[i] == NULL) {
			perror("mit_load: tmpfile");
			return 1;
		}
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("mit_load: fork");
			return 1;
		}
		if (pids[i] == 0) {
			if (dup2(fileno(counts[i]), STDOUT_FILENO) < 0)
				_exit(1);
			child(i, files[i]);
			_exit(0);
		}
	}
	for (unsigned i = 0; i < opt.procs; i++) {
		int st;
		unsigned long a, b;
		uint32_t us;
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = 1;
		rewind(counts[i]);
		if (fscanf(counts[i], "%lu %lu", &a, &b) == 2) {
			ok += a;
			bad += b;
		}
		rewind(files[i]);
		while (n < MAX_SAMPLES && fread(&us, sizeof(us), 1, files[i]) == 1)
			samples[n++] = us;
		fclose(files[i]);
		fclose(counts[i]);
	}
	dt = bench_now() - t0;
	qsort(samples, n, sizeof(*samples), bench_u32_cmp);
	printf("mode=%s transport=udp inflight=%u replies=%lu seconds=%.3f rate=%.0f "
	       "p50_us=%u p99_us=%u bad=%lu timeouts=0 checked=%lu first_error=-1 "
	       "loader_cpu_us=0\n",
	    opt.tgs ? "tgs" : "as", opt.procs, ok, dt, (double)ok / dt, n ? samples[n / 2] : 0,
	    n ? samples[(size_t)((double)n * 0.99)] : 0, bad, ok);
	free(samples);
	return rc != 0 || ok == 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: mit_load --realm REALM [--mode as|tgs] [--procs P] "
			"[--duration S] [--principals N] [--prefix NAME] [--password PW] "
			"[--service NAME]\n");
	return 2;
}
