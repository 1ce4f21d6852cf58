/*
 * metrics.c - the KDC's counters, their Prometheus text exposition
 * (format 0.0.4), and the HTTP endpoint over libmicrohttpd.  See metrics.h.
 */
#include "metrics.h"

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kdc/lookaside.h"
#include "kdc/replay.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"

/* Upper bounds of the latency buckets: a cached key answers in tens of
 * microseconds, a cold one or a database write in milliseconds. */
static const uint64_t bucket_usec[KDC_METRICS_BUCKETS] = {
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 500000, 1000000,
};

static const char *const type_label[KDC_MT_N] = {
	"AS", "TGS", "KPASSWD", "KPASSWD_SET", "OTHER",
};

static const char *const transport_label[2] = {"udp", "tcp"};

enum kdc_metrics_type
kdc_metrics_type_of(const char *t)
{
	if (t == NULL)
		return KDC_MT_OTHER;
	if (strcmp(t, "AS-REQ") == 0)
		return KDC_MT_AS;
	if (strcmp(t, "TGS-REQ") == 0)
		return KDC_MT_TGS;
	if (strcmp(t, "KPASSWD") == 0)
		return KDC_MT_KPASSWD;
	if (strcmp(t, "KPASSWD-SET") == 0)
		return KDC_MT_KPASSWD_SET;
	return KDC_MT_OTHER;
}

unsigned
kdc_metrics_result_of(int32_t code, bool kpasswd)
{
	if (code == 0)
		return KDC_MR_OK;
	if (code < 0)
		return KDC_MR_DROPPED;
	if (kpasswd)
		return code < 8 ? KDC_MR_KPASSWD + (unsigned)code : KDC_MR_OTHER;
	return code < 128 ? KDC_MR_KRB + (unsigned)code : KDC_MR_OTHER;
}

void
kdc_metrics_count(struct kdc_metrics *m, enum kdc_metrics_type type,
		  enum kdc_transport transport, unsigned result, uint64_t usec)
{
	size_t b = 0;
	kdc_counter *sum = &m->latency_usec[type];

	if (type >= KDC_MT_N || result >= KDC_MR_N)
		return;
	kdc_counter_inc(&m->requests[type][transport == KDC_TRANSPORT_TCP][result]);
	while (b < KDC_METRICS_BUCKETS && usec > bucket_usec[b])
		b++;
	kdc_counter_inc(&m->latency[type][b]);
	atomic_store_explicit(sum, atomic_load_explicit(sum, memory_order_relaxed) + usec,
			      memory_order_relaxed);
}

/* ---- exposition ---- */

/* A growing text buffer; a failed allocation is sticky. */
struct text {
	char *buf;
	size_t len, cap;
	bool nomem;
};

static void
text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->nomem)
		return;
	for (;;) {
		size_t room = t->cap - t->len;
		va_start(ap, fmt);
		n = vsnprintf(t->buf != NULL ? t->buf + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->nomem = true;
			return;
		}
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		size_t ncap = t->cap ? t->cap * 2 : 16384;
		while (ncap - t->len <= (size_t)n)
			ncap *= 2;
		char *nb = realloc(t->buf, ncap);
		if (nb == NULL) {
			t->nomem = true;
			return;
		}
		t->buf = nb;
		t->cap = ncap;
	}
}

/* A label value (the realm comes from the config): \ " and newline
 * escaped, as the exposition format requires. */
static void
text_label(struct text *t, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			text_add(t, "\\%c", *s);
		else if (*s == '\n')
			text_add(t, "\\n");
		else
			text_add(t, "%c", *s);
	}
}

static uint64_t
sum_workers(const struct kdc_metrics_view *v, size_t off)
{
	uint64_t n = 0;

	for (size_t i = 0; i < v->n_workers; i++) {
		const kdc_counter *c =
			(const kdc_counter *)(const void *)((const char *)v->workers[i] + off);
		n += atomic_load_explicit(c, memory_order_relaxed);
	}
	return n;
}

#define SUM(v, field) sum_workers(v, offsetof(struct kdc_metrics, field))

/* The label of result slot r ("ok", "KDC_ERR_PREAUTH_FAILED"). */
static const char *
result_label(unsigned r, char *buf, size_t cap)
{
	const char *n = NULL;

	if (r == KDC_MR_OK)
		return "ok";
	if (r == KDC_MR_DROPPED)
		return "dropped";
	if (r == KDC_MR_OTHER)
		return "other";
	if (r >= KDC_MR_KPASSWD) {
		n = proto_err_name(PROTO_ERR_KPASSWD, (int32_t)(r - KDC_MR_KPASSWD));
		if (n == NULL)
			snprintf(buf, cap, "KRB5_KPASSWD_%u", r - KDC_MR_KPASSWD);
	} else {
		n = proto_krb_err_name((int32_t)(r - KDC_MR_KRB));
		if (n == NULL)
			snprintf(buf, cap, "KRB_ERROR_%u", r - KDC_MR_KRB);
	}
	return n != NULL ? n : buf;
}

static void
render_requests(struct text *t, const struct kdc_metrics_view *v)
{
	char buf[48];

	text_add(t, "# HELP orthrus_kdc_requests_total Requests answered (or dropped), by message "
		    "type, transport and result: ok, dropped, or the error's name.\n"
		    "# TYPE orthrus_kdc_requests_total counter\n");
	for (unsigned ty = 0; ty < KDC_MT_N; ty++)
		for (unsigned tr = 0; tr < 2; tr++)
			for (unsigned r = 0; r < KDC_MR_N; r++) {
				uint64_t n = SUM(v, requests[ty][tr][r]);
				if (n == 0)
					continue;
				text_add(t,
					 "orthrus_kdc_requests_total{type=\"%s\",transport=\"%s\","
					 "result=\"%s\"} %llu\n",
					 type_label[ty], transport_label[tr],
					 result_label(r, buf, sizeof(buf)), (unsigned long long)n);
			}
}

static void
render_latency(struct text *t, const struct kdc_metrics_view *v)
{
	text_add(t, "# HELP orthrus_kdc_request_duration_seconds Time from a request's arrival "
		    "at its worker to its reply, by message type.\n"
		    "# TYPE orthrus_kdc_request_duration_seconds histogram\n");
	for (unsigned ty = 0; ty < KDC_MT_N; ty++) {
		uint64_t cum = 0;
		for (unsigned b = 0; b <= KDC_METRICS_BUCKETS; b++) {
			cum += SUM(v, latency[ty][b]);
			if (b < KDC_METRICS_BUCKETS)
				text_add(t,
					 "orthrus_kdc_request_duration_seconds_bucket{type=\"%s\","
					 "le=\"%g\"} %llu\n",
					 type_label[ty], (double)bucket_usec[b] / 1e6,
					 (unsigned long long)cum);
			else
				text_add(t,
					 "orthrus_kdc_request_duration_seconds_bucket{type=\"%s\","
					 "le=\"+Inf\"} %llu\n",
					 type_label[ty], (unsigned long long)cum);
		}
		text_add(t, "orthrus_kdc_request_duration_seconds_sum{type=\"%s\"} %.6f\n",
			 type_label[ty], (double)SUM(v, latency_usec[ty]) / 1e6);
		text_add(t, "orthrus_kdc_request_duration_seconds_count{type=\"%s\"} %llu\n",
			 type_label[ty], (unsigned long long)cum);
	}
}

static void
gauge(struct text *t, const char *name, const char *help, const char *type, uint64_t v)
{
	text_add(t, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
		 (unsigned long long)v);
}

static void
render_caches(struct text *t, const struct kdc_metrics_view *v)
{
	uint64_t repeats = 0;

	if (v->replay != NULL) {
		/* O(capacity), under the table's own group locks: the cost is
		 * the scrape's, the request path counts nothing here */
		gauge(t, "orthrus_kdc_replay_cache_entries",
		      "Live authenticators in the replay cache.", "gauge",
		      kdc_replay_count(v->replay, (int64_t)time(NULL)));
		gauge(t, "orthrus_kdc_replay_cache_capacity", "Slots of the replay cache.",
		      "gauge", kdc_replay_capacity(v->replay));
	}
	for (unsigned ty = 0; ty < KDC_MT_N; ty++)
		for (unsigned tr = 0; tr < 2; tr++)
			repeats += SUM(v, requests[ty][tr][KDC_MR_KRB + KRB_AP_ERR_REPEAT]);
	gauge(t, "orthrus_kdc_replay_cache_hits_total",
	      "Authenticators found in the replay cache (requests refused KRB_AP_ERR_REPEAT).",
	      "counter", repeats);
	text_add(t, "# HELP orthrus_kdc_replay_cache_refusals_total Requests refused "
		    "KDC_ERR_SVC_UNAVAILABLE for want of room in the replay cache: the client "
		    "over its quota, or the group full (raise kdc_replay_cache_size).\n"
		    "# TYPE orthrus_kdc_replay_cache_refusals_total counter\n"
		    "orthrus_kdc_replay_cache_refusals_total{reason=\"quota\"} %llu\n"
		    "orthrus_kdc_replay_cache_refusals_total{reason=\"full\"} %llu\n",
		 (unsigned long long)SUM(v, replay_refusals[KDC_MRR_QUOTA]),
		 (unsigned long long)SUM(v, replay_refusals[KDC_MRR_FULL]));
	if (v->lookaside != NULL) {
		size_t entries = 0, bytes = 0;
		kdc_lookaside_stats(v->lookaside, &entries, &bytes);
		gauge(t, "orthrus_kdc_reply_cache_entries",
		      "Replies kept for retransmitted requests.", "gauge", entries);
		gauge(t, "orthrus_kdc_reply_cache_bytes",
		      "Bytes of requests and replies in the reply cache.", "gauge", bytes);
		gauge(t, "orthrus_kdc_reply_cache_max_entries", "Entries the reply cache holds at most.",
		      "gauge", v->lookaside_max_entries);
		gauge(t, "orthrus_kdc_reply_cache_max_bytes", "Bytes the reply cache holds at most.",
		      "gauge", v->lookaside_max_bytes);
	}
	gauge(t, "orthrus_kdc_reply_cache_hits_total",
	      "Retransmitted requests answered from the reply cache.", "counter",
	      SUM(v, reply_cache_hits));
}

orth_err
kdc_metrics_render(const struct kdc_metrics_view *v, char **out, size_t *len_out)
{
	struct text t = {0};

	render_requests(&t, v);
	render_latency(&t, v);
	render_caches(&t, v);
	gauge(&t, "orthrus_kdc_db_read_errors_total",
	      "Database reads that failed other than by not finding the principal.", "counter",
	      SUM(v, db_errors));
	gauge(&t, "orthrus_kdc_workers", "Worker threads serving requests.", "gauge",
	      v->n_workers);
	text_add(&t, "# HELP orthrus_kdc_start_time_seconds When the KDC started, seconds since "
		     "the epoch.\n# TYPE orthrus_kdc_start_time_seconds gauge\n"
		     "orthrus_kdc_start_time_seconds %lld\n",
		 (long long)v->start_time);
	text_add(&t, "# HELP orthrus_kdc_info The realm served.\n"
		     "# TYPE orthrus_kdc_info gauge\northrus_kdc_info{realm=\"");
	text_label(&t, v->realm != NULL ? v->realm : "");
	text_add(&t, "\"} 1\n");
	if (t.nomem) {
		free(t.buf);
		return ORTH_E_NOMEM;
	}
	*out = t.buf;
	*len_out = t.len;
	return ORTH_OK;
}

/* ---- the endpoint ---- */

struct kdc_metrics_server {
	struct MHD_Daemon *d;
	const struct kdc_metrics_view *v;
	int fd;
};

static enum MHD_Result
reply_text(struct MHD_Connection *c, unsigned status, char *body, size_t len, bool owned,
	   const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (owned)
		r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
	else
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	const struct kdc_metrics_server *s = cls;
	static const char not_found[] = "not found: the metrics are at /metrics\n";
	static const char bad_method[] = "only GET and HEAD\n";
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload_data;
	/* a body (never expected) is read and ignored */
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*con_cls == NULL) {
		/* first call: headers only; answer on the second */
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, (char *)bad_method,
				  sizeof(bad_method) - 1, false, "text/plain; charset=utf-8");
	if (strcmp(url, "/metrics") != 0)
		return reply_text(c, MHD_HTTP_NOT_FOUND, (char *)not_found, sizeof(not_found) - 1,
				  false, "text/plain; charset=utf-8");
	if (kdc_metrics_render(s->v, &body, &len) != ORTH_OK)
		return MHD_NO;
	return reply_text(c, MHD_HTTP_OK, body, len, true,
			  "text/plain; version=0.0.4; charset=utf-8");
}

static bool
addr_has_port(const char *a)
{
	const char *colon;

	if (a[0] == '[')
		return strstr(a, "]:") != NULL;
	colon = strchr(a, ':');
	return colon != NULL && strchr(colon + 1, ':') == NULL;
}

orth_err
kdc_metrics_listen(const char *addr, int *fd_out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd = -1, one = 1;
	orth_err ret = ORTH_OK;

	if (!addr_has_port(addr) || kdc_net_addr_parse(addr, &ss, &sl) != ORTH_OK) {
		orth_err_format(err, errlen,
				"metrics_listen '%s': want a numeric address and a port "
				"(127.0.0.1:9188, [::1]:9188)", addr);
		return ORTH_E_CONFIG;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0, ORTH_E_NETWORK);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		ret = errno == EADDRINUSE ? ORTH_E_EXISTS : ORTH_E_NETWORK;
		goto cleanup;
	}
	CHECK(listen(fd, 64) == 0, ORTH_E_NETWORK);
	*fd_out = fd;
	fd = -1;
cleanup:
	if (ret != ORTH_OK)
		orth_err_format(err, errlen, "metrics_listen %s: %s", addr, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

orth_err
kdc_metrics_server_start(int fd, const struct kdc_metrics_view *v,
			 struct kdc_metrics_server **out)
{
	orth_err ret = ORTH_OK;
	struct kdc_metrics_server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	bool masked = false;

	if (s == NULL) {
		close(fd);
		return ORTH_E_NOMEM;
	}
	s->v = v;
	s->fd = fd;
	/* The thread inherits the mask: SIGTERM and friends must reach the
	 * network loop's signalfd, never this thread. */
	sigfillset(&all);
	CHECK(pthread_sigmask(SIG_BLOCK, &all, &old) == 0, ORTH_E_INTERNAL);
	masked = true;
	s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC,
				0, NULL, NULL,
				handle, s, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
	CHECK(s->d != NULL, ORTH_E_NETWORK);
	*out = s;
	s = NULL;
cleanup:
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (s != NULL) {
		close(s->fd);
		free(s);
	}
	return ret;
}

void
kdc_metrics_server_stop(struct kdc_metrics_server *s)
{
	if (s == NULL)
		return;
	/* Quiesced first, the socket is ours to close (else MHD closes it) */
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	MHD_stop_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	free(s);
}
