/*
 * kdc.c - `orthrus kdc -c CONF [--foreground] [--pidfile F] [--log-json]`:
 * the Key Distribution Center daemon.  Binds every listener first (errors
 * reach the terminal), checks the database, detaches unless --foreground,
 * then runs one worker per CPU (up to KDC_MAX_WORKERS), each with its own
 * struct kdc_ctx.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "base/log.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/kdc.h"

#define CMD "kdc"
#define KDC_MAX_WORKERS 8

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus kdc [-c CONFIG] [--foreground] [--pidfile FILE] [--log-json]\n"
		   "       [--workers N]\n"
		   "CONFIG: -c/--config FILE, else $ORTHRUS_CONFIG, else %s\n",
		CONFIG_DEFAULT_PATH);
}

int
cmd_kdc(int argc, char **argv)
{
	const char *conf = NULL, *pidfile = NULL;
	bool foreground = false, json = false;
	long workers = 0;
	char err[512] = "";
	struct config *cfg = NULL;
	struct kdc_config *kc = NULL;
	const struct kdc_config_realm *realm;
	struct db_options dbo = {0};
	struct db *db = NULL;
	struct kdc_net_config nc;
	struct kdc_net *net = NULL;
	struct kdc_shared sh = {0};
	struct kdc_ctx *ctxs[KDC_MAX_WORKERS] = {0};
	void *vctx[KDC_MAX_WORKERS];
	const char *udp[KDC_CONFIG_MAX_LISTEN], *tcp[KDC_CONFIG_MAX_LISTEN];
	size_t nudp = 0, ntcp = 0;
	int pidfd = -1, rc = 1;
	orth_err ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc)
			conf = argv[++i];
		else if (strcmp(a, "--foreground") == 0 || strcmp(a, "-n") == 0)
			foreground = true;
		else if (strcmp(a, "--pidfile") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else if (strcmp(a, "--log-json") == 0)
			json = true;
		else if (strcmp(a, "--workers") == 0 && i + 1 < argc)
			workers = strtol(argv[++i], NULL, 10);
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	conf = config_path_choose(conf);
	ret = config_parse_file(conf, &cfg, err, sizeof(err));
	if (ret != ORTH_OK) {
		cli_error(CMD, "%s", err[0] ? err : orth_err_str(ret));
		goto out;
	}
	if (crypto_init() != ORTH_OK) {
		cli_error(CMD, "cannot initialise the crypto library");
		goto out;
	}
	kc = calloc(1, sizeof(*kc));
	if (kc == NULL)
		goto out;
	if (kdc_config_load(cfg, crypto_enctype_from_name, kc, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
		goto out;
	}
	realm = kdc_config_realm(kc, NULL);
	if (realm == NULL) {
		cli_error(CMD, "%s: no realm", conf);
		goto out;
	}
	/* The realm's own listeners, else [kdcdefaults], else port 88 on
	 * every IPv4 and IPv6 address. */
	if (realm->n_listen > 0)
		for (size_t i = 0; i < realm->n_listen; i++)
			udp[nudp++] = realm->listen[i];
	else
		for (size_t i = 0; i < kc->n_listen; i++)
			udp[nudp++] = kc->listen[i];
	if (realm->n_tcp_listen > 0)
		for (size_t i = 0; i < realm->n_tcp_listen; i++)
			tcp[ntcp++] = realm->tcp_listen[i];
	else
		for (size_t i = 0; i < kc->n_tcp_listen; i++)
			tcp[ntcp++] = kc->tcp_listen[i];
	if (nudp == 0 && ntcp == 0) {
		udp[nudp++] = "0.0.0.0";
		udp[nudp++] = "::";
		tcp[ntcp++] = "0.0.0.0";
		tcp[ntcp++] = "::";
	}
	if (workers <= 0) {
		workers = sysconf(_SC_NPROCESSORS_ONLN);
		if (workers < 1)
			workers = 1;
	}
	if (workers > KDC_MAX_WORKERS)
		workers = KDC_MAX_WORKERS;

	dbo.path = realm->database_name;
	dbo.stash_path = realm->key_stash_file;
	dbo.realm = realm->name;
	dbo.map_size = realm->database_map_size;
	/* Read-write: the lockout counts (kdc/lockout.h) are written from
	 * the request path. */
	dbo.readwrite = true;
	/* Check the database now, so that errors reach the terminal. */
	ret = db_open(&dbo, &db, err, sizeof(err));
	if (ret != ORTH_OK) {
		cli_error(CMD, "%s", err[0] ? err : orth_err_str(ret));
		goto out;
	}
	db_close(db);
	db = NULL;

	log_open("orthrus-kdc", !foreground, json);
	kdc_net_config_default(&nc);
	nc.udp_addrs = udp;
	nc.n_udp = nudp;
	nc.tcp_addrs = tcp;
	nc.n_tcp = ntcp;
	nc.workers = (unsigned)workers;
	ret = kdc_net_open(&nc, &net);
	if (ret != ORTH_OK) {
		cli_error(CMD, ret == ORTH_E_EXISTS
				   ? "address in use: another KDC is serving it (see the log above)"
				   : "cannot listen (see the log above)");
		goto out;
	}
	if (!foreground && kdc_daemonize() != ORTH_OK) {
		cli_error(CMD, "cannot detach");
		goto out;
	}
	if (pidfile != NULL && kdc_pidfile_write(pidfile, &pidfd) != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "cannot write pidfile %s (another KDC running?)", pidfile);
		goto out;
	}
	/* LMDB environments must not cross a fork: open it here. */
	ret = db_open(&dbo, &db, err, sizeof(err));
	if (ret != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "%s", err[0] ? err : orth_err_str(ret));
		goto out;
	}
	sh.realm = realm;
	sh.db = db;
	sh.skew = KDC_REPLAY_DEFAULT_SKEW;
	if (kdc_replay_new(0, sh.skew, &sh.replay) != ORTH_OK ||
	    kdc_lookaside_new(0, 0, 0, &sh.lookaside) != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "cannot allocate the replay and lookaside caches");
		goto out;
	}
	for (long i = 0; i < workers; i++) {
		if (kdc_ctx_new(&sh, &ctxs[i]) != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "cannot set up worker %ld", i);
			goto out;
		}
		vctx[i] = ctxs[i];
	}
	log_msg(LOG_LVL_INFO, "serving realm %s with %ld workers", realm->name, workers);
	if (kdc_net_run(net, kdc_dispatch, vctx) != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "network loop failed");
		goto out;
	}
	log_msg(LOG_LVL_INFO, "stopped");
	rc = 0;
out:
	for (size_t i = 0; i < KDC_MAX_WORKERS; i++)
		kdc_ctx_free(ctxs[i]);
	kdc_replay_free(sh.replay);
	kdc_lookaside_free(sh.lookaside);
	kdc_net_close(net);
	db_close(db);
	if (pidfd >= 0)
		kdc_pidfile_remove(pidfile, pidfd);
	free(kc);
	config_free(cfg);
	return rc;
}
