/*
 * kdc.c - `orthrus kdc -c CONF [--foreground] [--pidfile F] [--log-json]`:
 * the Key Distribution Center daemon, and its password-change service
 * (kpasswd, port 464: the same workers on their own sockets).  Binds every
 * listener first (errors reach the terminal), checks the database and the
 * ACL file, detaches unless --foreground, then runs one worker per CPU (up
 * to KDC_MAX_WORKERS), each with its own struct kdc_ctx.
 *
 * The order of the start, and why:
 *   config, [kdcdefaults] user/group looked up     errors on the terminal
 *   ACL read, database checked, sockets bound (KDC, kpasswd, metrics)
 *   detach (unless --foreground), pidfile          one process from here
 *   $NOTIFY_SOCKET connected, database opened, workers' contexts
 *   privileges dropped (privs.h), or the           nothing opened after
 *   capabilities of a non-root start given up
 *   metrics thread started                         threads after the drop
 *   READY=1 to the service manager                 the ports answer now
 *   serve until SIGTERM; STOPPING=1
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "db/ldap_config.h"
#include "db/ldap_replica.h"
#include "kdc/acl.h"
#include "kdc/kdc.h"
#include "kdc/kdc_config.h"
#include "kdc/metrics.h"
#include "kdc/notify.h"
#include "kdc/privs.h"
#include "proto/spake.h"

#define CMD "kdc"
#define KDC_MAX_WORKERS 8

static void
usage(FILE *f)
{
	fprintf(f, "usage: orthrus kdc [-c CONFIG] [--foreground] [--pidfile FILE] [--log-json]\n"
		   "       [--workers N] [--steering cpu|flow] [--log-flush-ms MS]\n"
		   "--steering: a request goes to the worker of the CPU that received it\n"
		   "  (cpu, the default), or by the kernel's hash of its addresses (flow:\n"
		   "  for a network card with one receive queue and no RPS)\n"
		   "CONFIG: -c/--config FILE, else $ORTHRUS_CONFIG, else %s\n",
		CONFIG_DEFAULT_PATH);
}

/* kpasswd needs kadmin/changepw, which databases made before it lack. */
static void
kpasswd_princ_check(struct db *db, const struct kdc_config_realm *realm)
{
	char name[DB_MAX_NAME + 1];
	struct arena a;
	struct db_entry e;

	snprintf(name, sizeof(name), "kadmin/changepw@%s", realm->name);
	if (arena_init(&a, 2 * DB_MAX_RECORD) != ORTH_OK)
		return;
	if (db_principal_get(db, name, &a, &e) == ORTH_E_NOTFOUND)
		log_msg(LOG_LVL_WARN, "kpasswd: %s is not in the database: every password "
			"change will be refused until 'orthrus admin upgrade' adds it", name);
	arena_free(&a);
}

/* One address list of kpasswd from the configured one (port 464 when it
 * names none) or from the KDC's (port replaced by 464). */
static int
kpasswd_addrs(const char (*cfg)[64], size_t ncfg, const char *const *kdc, size_t nkdc,
	      bool from_cfg, char (*out)[80], size_t *n_out)
{
	size_t n = from_cfg ? ncfg : nkdc;

	for (size_t i = 0; i < n; i++) {
		const char *a = from_cfg ? cfg[i] : kdc[i];
		orth_err e = from_cfg ? kdc_net_addr_port_default(a, KDC_NET_DEFAULT_KPASSWD_PORT,
								  out[i], sizeof(out[i]))
				      : kdc_net_addr_port_set(a, KDC_NET_DEFAULT_KPASSWD_PORT,
							      out[i], sizeof(out[i]));
		if (e != ORTH_OK) {
			cli_error(CMD, "bad %s address '%s'", from_cfg ? "kpasswd_listen" : "kdc_listen",
				  a);
			return 1;
		}
	}
	*n_out = n;
	return 0;
}

/* The kpasswd listeners (UDP and TCP); *defaulted: none were configured. */
static int
kpasswd_listeners(const struct kdc_config_realm *realm, const struct kdc_config *kc,
		  const char *const *udp, size_t nudp, const char *const *tcp, size_t ntcp,
		  char (*kudp)[80], size_t *nkudp, char (*ktcp)[80], size_t *nktcp,
		  bool *defaulted)
{
	const char (*cfg)[64] = NULL;
	size_t ncfg = 0;

	if (realm->kpasswd_listen_set) {
		cfg = realm->kpasswd_listen;
		ncfg = realm->n_kpasswd_listen;
	} else if (kc->kpasswd_listen_set) {
		cfg = kc->kpasswd_listen;
		ncfg = kc->n_kpasswd_listen;
	}
	*defaulted = cfg == NULL;
	if (kpasswd_addrs(cfg, ncfg, udp, nudp, cfg != NULL, kudp, nkudp) != 0 ||
	    kpasswd_addrs(cfg, ncfg, tcp, ntcp, cfg != NULL, ktcp, nktcp) != 0)
		return 1;
	return 0;
}

/* [kdcdefaults] user/group: looked up now, so that a typo is said on the
 * terminal; *drop false when the KDC stays who it is. */
static int
privs_plan(const struct kdc_config *kc, struct kdc_privs *p, bool *drop)
{
	char err[256];

	*drop = false;
	if (kc->user == NULL && kc->group == NULL) {
		if (geteuid() == 0)
			fprintf(stderr, "orthrus %s: warning: serving as root: set user = (and "
				"group =) in [kdcdefaults] to drop privileges after binding\n", CMD);
		return 0;
	}
	if (kc->user == NULL) {
		cli_error(CMD, "group = %s without user =: name the user to become", kc->group);
		return 1;
	}
	if (kdc_privs_resolve(kc->user, kc->group, p, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
		return 1;
	}
	if (geteuid() != 0) {
		/* already that user (a test, or a manager that dropped for us) */
		if (geteuid() == p->uid && getegid() == p->gid)
			return 0;
		cli_error(CMD, "user = %s: only root can become another user (started as "
			  "uid %lu)", p->user, (unsigned long)geteuid());
		return 1;
	}
	*drop = true;
	return 0;
}

/* The service manager's STATUS= line with the state (READY=1, ...). */
static void
notify(int fd, const char *state, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s\nSTATUS=%s\nMAINPID=%ld", state, status, (long)getpid());
	if (kdc_notify_send(fd, msg) != ORTH_OK)
		log_msg(LOG_LVL_WARN, "cannot notify the service manager ($NOTIFY_SOCKET)");
}

int
cmd_kdc(int argc, char **argv)
{
	const char *conf = NULL, *pidfile = NULL;
	bool foreground = false, json = false;
	long workers = 0, log_flush_ms = KDC_NET_DEFAULT_LOG_FLUSH_MS;
	enum kdc_net_steering steering = KDC_NET_STEER_CPU;
	char err[512] = "";
	struct config *cfg = NULL;
	struct kdc_config *kc = NULL;
	const struct kdc_config_realm *realm;
	struct db_options dbo = {0};
	struct db *db = NULL;
	struct ldap_config lc;
	struct ldap_replica *replica = NULL;
	struct kdc_net_config nc;
	struct kdc_net *net = NULL;
	struct kdc_shared sh = {0};
	struct kdc_ctx *ctxs[KDC_MAX_WORKERS] = {0};
	void *vctx[KDC_MAX_WORKERS];
	const char *udp[KDC_CONFIG_MAX_LISTEN], *tcp[KDC_CONFIG_MAX_LISTEN];
	size_t nudp = 0, ntcp = 0;
	char kpw_udp[KDC_CONFIG_MAX_LISTEN][80], kpw_tcp[KDC_CONFIG_MAX_LISTEN][80];
	const char *kudp[KDC_CONFIG_MAX_LISTEN], *ktcp[KDC_CONFIG_MAX_LISTEN];
	size_t nkudp = 0, nktcp = 0;
	bool kpw_default = false;
	struct kdc_acl *acl = NULL;
	int pidfd = -1, rc = 1, metrics_fd = -1, notify_fd = -1;
	struct kdc_privs privs;
	bool drop = false;
	struct kdc_metrics_server *msrv = NULL;
	struct kdc_metrics_view mv = {0};
	const struct kdc_metrics *mw[KDC_MAX_WORKERS];
	char status[256];
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
		else if (strcmp(a, "--steering") == 0 && i + 1 < argc &&
			 (strcmp(argv[i + 1], "cpu") == 0 || strcmp(argv[i + 1], "flow") == 0))
			steering = strcmp(argv[++i], "cpu") == 0 ? KDC_NET_STEER_CPU
								  : KDC_NET_STEER_FLOW;
		else if (strcmp(a, "--log-flush-ms") == 0 && i + 1 < argc &&
			 (log_flush_ms = strtol(argv[i + 1], NULL, 10)) >= 0 &&
			 log_flush_ms <= 60000)
			i++;
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
	/* A directory behind the realm: its LMDB database is the replica. */
	if (ldap_config_load(cfg, realm->name, &lc, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
		goto out;
	}
	if (privs_plan(kc, &privs, &drop) != 0)
		goto out;
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
	/* kpasswd: kpasswd_listen of the realm, else of [kdcdefaults] (a
	 * missing port is 464), else port 464 on the KDC's addresses. */
	if (kpasswd_listeners(realm, kc, udp, nudp, tcp, ntcp, kpw_udp, &nkudp, kpw_tcp,
			      &nktcp, &kpw_default) != 0)
		goto out;
	for (size_t i = 0; i < nkudp; i++)
		kudp[i] = kpw_udp[i];
	for (size_t i = 0; i < nktcp; i++)
		ktcp[i] = kpw_tcp[i];
	if (realm->acl_file != NULL &&
	    kdc_acl_load(realm->acl_file, realm->name, &acl, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
		goto out;
	}
	/* spake_preauth_groups: an unknown group name stops the KDC here
	 * rather than turning SPAKE off in silence (kdc/preauth/spake.c). */
	if (realm->spake_preauth_groups != NULL) {
		int32_t groups[SPAKE_MAX_GROUPS];
		size_t ngroups = 0;
		if (spake_groups_parse(realm->spake_preauth_groups, groups, SPAKE_MAX_GROUPS,
				       &ngroups, err, sizeof(err)) != ORTH_OK) {
			cli_error(CMD, "spake_preauth_groups: %s", err);
			goto out;
		}
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
	nc.steering = steering;
	nc.log_flush_ms = (unsigned)log_flush_ms;
	nc.kpasswd_udp_addrs = kudp;
	nc.n_kpasswd_udp = nkudp;
	nc.kpasswd_tcp_addrs = ktcp;
	nc.n_kpasswd_tcp = nktcp;
	ret = kdc_net_open(&nc, &net);
	if (ret != ORTH_OK && kpw_default) {
		/* Port 464 was not asked for: a KDC that may not bind it (not
		 * root) still serves the KDC; said in the log. */
		log_msg(LOG_LVL_WARN, "kpasswd: cannot listen on port %u; serving without "
			"it (set kpasswd_listen in the realm)", KDC_NET_DEFAULT_KPASSWD_PORT);
		nc.n_kpasswd_udp = nc.n_kpasswd_tcp = 0;
		ret = kdc_net_open(&nc, &net);
	}
	if (ret != ORTH_OK) {
		cli_error(CMD, ret == ORTH_E_EXISTS
				   ? "address in use: another KDC is serving it (see the log above)"
				   : "cannot listen (see the log above)");
		goto out;
	}
	if (kc->metrics_listen != NULL &&
	    kdc_metrics_listen(kc->metrics_listen, &metrics_fd, err, sizeof(err)) != ORTH_OK) {
		cli_error(CMD, "%s", err);
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
	if (kdc_notify_open(&notify_fd) != ORTH_OK)
		log_msg(LOG_LVL_WARN, "NOTIFY_SOCKET is set but cannot be reached: the service "
			"manager will not hear that the KDC is ready");
	/* LMDB environments must not cross a fork: open it here. */
	ret = db_open(&dbo, &db, err, sizeof(err));
	if (ret != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "%s", err[0] ? err : orth_err_str(ret));
		goto out;
	}
	if (nc.n_kpasswd_udp + nc.n_kpasswd_tcp > 0)
		kpasswd_princ_check(db, realm);
	sh.realm = realm;
	sh.db = db;
	sh.acl = acl;
	sh.skew = KDC_REPLAY_DEFAULT_SKEW;
	if (kdc_replay_new(kc->replay_cache_size, sh.skew, &sh.replay) != ORTH_OK ||
	    kdc_lookaside_new(0, 0, 0, &sh.lookaside) != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "cannot allocate the replay and lookaside caches "
			"(kdc_replay_cache_size %zu entries of 23 bytes)",
			kc->replay_cache_size ? kc->replay_cache_size : (size_t)KDC_REPLAY_DEFAULT_CAPACITY);
		goto out;
	}
	for (long i = 0; i < workers; i++) {
		if (kdc_ctx_new(&sh, &ctxs[i]) != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "cannot set up worker %ld", i);
			goto out;
		}
		vctx[i] = ctxs[i];
	}
	/* Everything is open: from here on nothing needs root. */
	if (drop) {
		if (kdc_privs_drop(&privs, err, sizeof(err)) != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "%s", err);
			goto out;
		}
		log_msg(LOG_LVL_INFO, "running as user %s (uid %lu), group %s (gid %lu), "
			"no capabilities", privs.user, (unsigned long)privs.uid, privs.group,
			(unsigned long)privs.gid);
	} else if (geteuid() != 0) {
		/* started unprivileged, perhaps with a capability to bind
		 * port 88 (systemd's AmbientCapabilities=): not needed now */
		if (kdc_privs_shed(err, sizeof(err)) != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "%s", err);
			goto out;
		}
		log_msg(LOG_LVL_INFO, "running as uid %lu, no capabilities",
			(unsigned long)geteuid());
	}
	/* After the privileges are dropped: capabilities are per thread,
	 * and this thread's are gone only for threads started from now. */
	if (lc.enabled && ldap_replica_start(db, &lc, &replica) != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "cannot start following the directory");
		goto out;
	}
	if (metrics_fd >= 0) {
		for (long i = 0; i < workers; i++)
			mw[i] = kdc_ctx_metrics(ctxs[i]);
		mv.workers = mw;
		mv.n_workers = (size_t)workers;
		mv.realm = realm->name;
		mv.start_time = (int64_t)time(NULL);
		mv.replay = sh.replay;
		mv.lookaside = sh.lookaside;
		mv.lookaside_max_entries = KDC_LOOKASIDE_DEFAULT_ENTRIES;
		mv.lookaside_max_bytes = KDC_LOOKASIDE_DEFAULT_BYTES;
		ret = kdc_metrics_server_start(metrics_fd, &mv, &msrv);
		metrics_fd = -1;
		if (ret != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "cannot start the metrics endpoint on %s",
				kc->metrics_listen);
			goto out;
		}
		log_msg(LOG_LVL_INFO, "metrics on http://%s/metrics", kc->metrics_listen);
	}
	snprintf(status, sizeof(status), "serving realm %s with %ld workers%s", realm->name,
		 workers, nc.n_kpasswd_udp + nc.n_kpasswd_tcp > 0 ? ", kpasswd on" : "");
	log_msg(LOG_LVL_INFO, "%s", status);
	for (size_t i = 0; i < nc.n_kpasswd_udp + nc.n_kpasswd_tcp; i++)
		log_msg(LOG_LVL_INFO, "kpasswd listening on %s %s",
			i < nc.n_kpasswd_udp ? "udp" : "tcp",
			i < nc.n_kpasswd_udp ? kudp[i] : ktcp[i - nc.n_kpasswd_udp]);
	/* The sockets are bound and listening: a request sent from now on
	 * is answered once the loop below reads it. */
	notify(notify_fd, "READY=1", status);
	ret = kdc_net_run(net, kdc_dispatch, vctx);
	notify(notify_fd, "STOPPING=1", "stopping");
	if (ret != ORTH_OK) {
		log_msg(LOG_LVL_ERR, "network loop failed");
		goto out;
	}
	log_msg(LOG_LVL_INFO, "stopped");
	rc = 0;
out:
	/* the scrape thread reads the workers' counters: stopped first */
	kdc_metrics_server_stop(msrv);
	if (metrics_fd >= 0)
		close(metrics_fd);
	kdc_notify_close(notify_fd);
	for (size_t i = 0; i < KDC_MAX_WORKERS; i++)
		kdc_ctx_free(ctxs[i]);
	kdc_replay_free(sh.replay);
	kdc_lookaside_free(sh.lookaside);
	kdc_net_close(net);
	ldap_replica_stop(replica);
	db_close(db);
	kdc_acl_free(acl);
	if (pidfd >= 0)
		kdc_pidfile_remove(pidfile, pidfd);
	free(kc);
	config_free(cfg);
	return rc;
}
