/*
 * metrics.h - what the KDC counts, and its Prometheus endpoint.
 *
 * Counting: each worker counts into its own struct kdc_metrics (inside its
 * kdc_ctx), at the one point where a request's log line is written
 * (kdc_handle).  Only that worker ever writes its counters, so a count is
 * a relaxed atomic load and store of a word the other cores do not touch:
 * no lock, no locked read-modify-write, no shared cache line on the
 * request path.  A scrape reads every worker's counters with relaxed
 * atomic loads and sums them; a sum may be a request behind, never torn.
 *
 * What is counted (the names a scrape shows, all prefixed orthrus_kdc_):
 *   requests_total{type,transport,result}   type AS, TGS, KPASSWD,
 *       KPASSWD_SET, OTHER; transport udp, tcp; result ok, dropped, or the
 *       error's name from krberr.h's table (KDC_ERR_PREAUTH_FAILED,
 *       KRB5_KPASSWD_ACCESSDENIED, ...)
 *   request_duration_seconds{type}          histogram
 *   replay_cache_entries / _capacity / _hits_total (hits: requests
 *       refused KRB_AP_ERR_REPEAT)
 *   replay_cache_refusals_total{reason}     reason quota, full: requests
 *       refused KDC_ERR_SVC_UNAVAILABLE for want of room in the replay
 *       cache (raise kdc_replay_cache_size)
 *   reply_cache_entries / _bytes / _max_entries / _max_bytes / _hits_total
 *       (the lookaside cache of lookaside.h; hits: retransmissions
 *       answered from it)
 *   db_read_errors_total                    lookups and key reads that
 *       failed for another reason than "not there"
 *   workers, start_time_seconds, info{realm}
 *
 * The endpoint (libmicrohttpd, its own thread; the only file that
 * includes <microhttpd.h>): GET /metrics, the text exposition format
 * 0.0.4; anything else 404 or 405.  Off unless [kdcdefaults]
 * metrics_listen names an address.  No authentication: listen on
 * loopback or a management network only.
 */
#ifndef ORTHRUS_KDC_METRICS_H
#define ORTHRUS_KDC_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kdc/net.h"

struct kdc_replay;
struct kdc_lookaside;

enum kdc_metrics_type {
	KDC_MT_AS,
	KDC_MT_TGS,
	KDC_MT_KPASSWD,
	KDC_MT_KPASSWD_SET,
	KDC_MT_OTHER,
	KDC_MT_N
};

/* Result slots: ok, dropped, each KRB-ERROR code below 128, each kpasswd
 * result code, and one for anything else. */
#define KDC_MR_OK 0
#define KDC_MR_DROPPED 1
#define KDC_MR_KRB 2                      /* + code, 0..127 */
#define KDC_MR_KPASSWD (KDC_MR_KRB + 128) /* + result code, 0..7 */
#define KDC_MR_OTHER (KDC_MR_KPASSWD + 8)
#define KDC_MR_N (KDC_MR_OTHER + 1)

/* Why the replay cache refused an authenticator room (replay.h). */
enum kdc_metrics_replay_refusal {
	KDC_MRR_QUOTA, /* the client over its quota */
	KDC_MRR_FULL,  /* its group full */
	KDC_MRR_N
};

/* Latency buckets' upper bounds, microseconds; one more for +Inf. */
#define KDC_METRICS_BUCKETS 13

typedef _Atomic uint64_t kdc_counter;

/* One worker's counters: zero-initialised (calloc) is the start. */
struct kdc_metrics {
	kdc_counter requests[KDC_MT_N][2][KDC_MR_N];
	kdc_counter latency[KDC_MT_N][KDC_METRICS_BUCKETS + 1]; /* per bucket */
	kdc_counter latency_usec[KDC_MT_N];                    /* sum */
	kdc_counter reply_cache_hits;
	kdc_counter replay_refusals[KDC_MRR_N]; /* kdc_replay_refusal_note */
	kdc_counter db_errors;
};

/* Add 1 to a counter of the calling worker's own (see above). */
static inline void
kdc_counter_inc(kdc_counter *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* The type slot of a log line's message type ("AS-REQ", "KPASSWD-SET"). */
enum kdc_metrics_type kdc_metrics_type_of(const char *msg_type);
/* The result slot of code: 0 ok, -1 dropped, else a KRB-ERROR code (or a
 * kpasswd result code when kpasswd is true). */
unsigned kdc_metrics_result_of(int32_t code, bool kpasswd);

/* Count one request: its type, transport, result slot and duration. */
void kdc_metrics_count(struct kdc_metrics *m, enum kdc_metrics_type type,
		       enum kdc_transport transport, unsigned result, uint64_t usec);

/* What a scrape reads.  Every pointer must outlive the server. */
struct kdc_metrics_view {
	const struct kdc_metrics *const *workers; /* one per worker */
	size_t n_workers;
	const char *realm;
	int64_t start_time;                      /* seconds since the epoch */
	struct kdc_replay *replay;               /* NULL: not shown */
	struct kdc_lookaside *lookaside;         /* NULL: not shown */
	size_t lookaside_max_entries, lookaside_max_bytes;
};

/*
 * The exposition of v (text format 0.0.4) into *out (malloc'd, the
 * caller frees), *len_out bytes.  ORTH_E_NOMEM.
 */
orth_err kdc_metrics_render(const struct kdc_metrics_view *v, char **out, size_t *len_out);

/*
 * A listening TCP socket on addr ("127.0.0.1:9188", "[::1]:9188"; the
 * port is required), made before daemonizing and dropping privileges so
 * that errors reach the terminal.  ORTH_E_CONFIG (bad address, no port),
 * ORTH_E_EXISTS (in use), ORTH_E_NETWORK; err says which.
 */
orth_err kdc_metrics_listen(const char *addr, int *fd_out, char *err, size_t errlen);

struct kdc_metrics_server;

/*
 * Serve GET /metrics on the listening socket fd (taken over: closed by
 * kdc_metrics_server_stop) from a thread of libmicrohttpd's, which blocks
 * every signal (the network loop reads them).  Start it after
 * daemonizing and after dropping privileges: threads do not cross a fork,
 * and the capability bounding set is per thread.  ORTH_E_NETWORK.
 */
orth_err kdc_metrics_server_start(int fd, const struct kdc_metrics_view *v,
				  struct kdc_metrics_server **out);
/* Stop the thread and close the socket; NULL is fine. */
void kdc_metrics_server_stop(struct kdc_metrics_server *s);

#endif
