/*
 * test_kdc_metrics.c - what the KDC counts (kdc/metrics.h): requests
 * through kdc_handle() counted by type, transport and result name, with
 * their latency; a retransmission counted as a reply-cache hit; the
 * exposition's shape; and workers counting on their own counters while a
 * scrape sums them, with no lock and no count lost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "kdc/lookaside.h"
#include "kdc/metrics.h"
#include "kdc/replay.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"

#define T0 1795645609

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];

static size_t
send_over(enum kdc_transport t, const uint8_t *req, size_t len)
{
	struct kdc_request_info info;

	kdc_request_info_local(&info, t, "127.0.0.1:1");
	return kdc_fixture_send(&fx, &info, req, len, rep, sizeof(rep));
}

/* The value of series (a whole line up to the value) in text, or -1. */
static long long
value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return atoll(p + n + 1);
	return -1;
}

static char *
scrape(const struct kdc_metrics *const *w, size_t n, struct kdc_lookaside *la)
{
	struct kdc_metrics_view v = {0};
	char *out = NULL;
	size_t len = 0;

	v.workers = w;
	v.n_workers = n;
	v.realm = "TEST.\"REALM\"";
	v.start_time = T0;
	v.replay = fx.sh.replay;
	v.lookaside = la;
	v.lookaside_max_entries = 10;
	v.lookaside_max_bytes = 1000;
	EXPECT_EQ_INT(kdc_metrics_render(&v, &out, &len), ORTH_OK);
	EXPECT(out != NULL && strlen(out) == len && len > 0 && out[len - 1] == '\n');
	return out;
}

static void
test_through_handle(void)
{
	uint8_t *req = NULL;
	size_t len = 0;
	struct crypto_key *k = NULL;
	const struct kdc_metrics *w[1];
	char *m;
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "user", "userpw", DB_ATTR_REQUIRES_PREAUTH), ORTH_OK);
	/* no pre-authentication: PREAUTH_REQUIRED, twice over UDP (the
	 * second copy a retransmission answered from the reply cache) */
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "user", "krbtgt/TEST.REALM", 0, 0, 0, NULL, &req,
					 &len), ORTH_OK);
	EXPECT(send_over(KDC_TRANSPORT_UDP, req, len) > 0);
	EXPECT(send_over(KDC_TRANSPORT_UDP, req, len) > 0);
	/* with it: a TGT, over TCP */
	EXPECT_EQ_INT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &k), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "user", "krbtgt/TEST.REALM", 0, 18, 0, k, &req,
					 &len), ORTH_OK);
	EXPECT(send_over(KDC_TRANSPORT_TCP, req, len) > 0);
	crypto_key_free(k);
	/* an unknown client over TCP; a datagram that is no request */
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "nobody", "krbtgt/TEST.REALM", 0, 0, 0, NULL,
					 &req, &len), ORTH_OK);
	EXPECT(send_over(KDC_TRANSPORT_TCP, req, len) > 0);
	EXPECT(send_over(KDC_TRANSPORT_UDP, junk, sizeof(junk)) == 0);

	w[0] = kdc_ctx_metrics(fx.ctx);
	m = scrape(w, 1, fx.sh.lookaside);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"AS\",transport=\"udp\","
				  "result=\"KDC_ERR_PREAUTH_REQUIRED\"}"), 2);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"AS\",transport=\"tcp\","
				  "result=\"ok\"}"), 1);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"AS\",transport=\"tcp\","
				  "result=\"KDC_ERR_C_PRINCIPAL_UNKNOWN\"}"), 1);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"OTHER\",transport=\"udp\","
				  "result=\"dropped\"}"), 1);
	/* nothing counted that did not happen */
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"TGS\",transport=\"udp\","
				  "result=\"ok\"}"), -1);
	EXPECT(strstr(m, "result=\"2") == NULL && strstr(m, "result=\"6\"") == NULL);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_request_duration_seconds_count{type=\"AS\"}"), 4);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_request_duration_seconds_bucket{type=\"AS\","
				  "le=\"+Inf\"}"), 4);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_request_duration_seconds_count{type=\"TGS\"}"), 0);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_reply_cache_hits_total"), fx.sh.lookaside ? 1 : 0);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_workers"), 1);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_start_time_seconds"), T0);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_db_read_errors_total"), 0);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_replay_cache_refusals_total{reason=\"quota\"}"), 0);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_replay_cache_capacity"),
		      (long long)kdc_replay_capacity(fx.sh.replay));
	/* a label value is escaped */
	EXPECT(strstr(m, "orthrus_kdc_info{realm=\"TEST.\\\"REALM\\\"\"} 1\n") != NULL);
	/* every series has its HELP and TYPE first */
	EXPECT(strstr(m, "# TYPE orthrus_kdc_requests_total counter\n") != NULL);
	EXPECT(strstr(m, "# TYPE orthrus_kdc_request_duration_seconds histogram\n") != NULL);
	free(m);
}

/* The lookaside cache is optional in the fixture: with one, a
 * retransmission is a hit. */
static void
test_reply_cache_hit(void)
{
	uint8_t *req = NULL;
	size_t len = 0;
	const struct kdc_metrics *w[1];
	char *m;

	EXPECT_EQ_INT(kdc_lookaside_new(0, 0, 0, &fx.sh.lookaside), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "user", "krbtgt/TEST.REALM", 0, 0, 0, NULL, &req,
					 &len), ORTH_OK);
	EXPECT(send_over(KDC_TRANSPORT_UDP, req, len) > 0);
	EXPECT(send_over(KDC_TRANSPORT_UDP, req, len) > 0);
	w[0] = kdc_ctx_metrics(fx.ctx);
	m = scrape(w, 1, fx.sh.lookaside);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_reply_cache_hits_total"), 1);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_reply_cache_entries"), 1);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_reply_cache_max_entries"), 10);
	/* the cached answer is the error it was, counted under its name */
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"AS\",transport=\"udp\","
				  "result=\"KDC_ERR_PREAUTH_REQUIRED\"}"), 4);
	free(m);
}

/* Lines of the captured stderr file fd that contain what. */
static int
lines_with(int fd, const char *what)
{
	static char buf[1 << 16];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	int count = 0;

	buf[n > 0 ? n : 0] = '\0';
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
		count += strstr(line, what) != NULL;
	return count;
}

/* One TGS-REQ with tgt through kdc_handle (TCP): its KRB-ERROR code, 0
 * for a TGS-REP. */
static int
tgs_code(const struct kdc_fixture_cred *tgt)
{
	uint8_t *req = NULL;
	size_t len = 0;

	if (kdc_fixture_tgs_req(&fx, &A, tgt, "host/svc.test", 0, 0, NULL, &req, &len) != ORTH_OK)
		return -2;
	return kdc_fixture_reply_code(&A, rep, send_over(KDC_TRANSPORT_TCP, req, len), NULL);
}

/*
 * A replay cache of one group (64 slots, 8 a client): the client's ninth
 * TGS-REQ is refused over its quota, and a request into a group the other
 * clients filled is refused for want of room; each kind counted, and
 * warned about once per KDC_REPLAY_WARN_INTERVAL seconds with the relation
 * to raise.  (Before kdc_replay_cache_size there was neither count nor
 * warning, only the request's own log line.)
 */
static void
test_replay_refusals(void)
{
	struct kdc_replay *saved = fx.sh.replay, *small = NULL;
	struct kdc_fixture_cred tgt = {0};
	struct crypto_key *k = NULL;
	const struct kdc_metrics *w[1];
	uint8_t *req = NULL;
	size_t len = 0;
	char tmpl[] = "/tmp/replaywarn.XXXXXX";
	int fd = mkstemp(tmpl), err2 = dup(2);
	int64_t now = kdc_fixture_now();
	char *m;

	EXPECT(fd >= 0 && err2 >= 0);
	EXPECT_EQ_INT(kdc_replay_new(KDC_REPLAY_MIN_CAPACITY, 300, &small), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_capacity(small), 64);
	fx.sh.replay = small;
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "host/svc.test", NULL, 0), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &k), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "user", "krbtgt/TEST.REALM", 0, 18, 0, k, &req,
					 &len), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_exchange(&fx, &A, req, len, k, rep, sizeof(rep), &tgt, NULL), 0);
	dup2(fd, 2);
	for (int i = 0; i < 8; i++)
		EXPECT_EQ_INT(tgs_code(&tgt), 0);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE);
	EXPECT_EQ_INT(lines_with(fd, "over its quota (1/8 of 64 slots)"), 1);
	/* ten seconds on, the same kind is said again */
	kdc_fixture_set_time(now + KDC_REPLAY_WARN_INTERVAL);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE);
	EXPECT_EQ_INT(lines_with(fd, "raise kdc_replay_cache_size in [kdcdefaults]"), 2);
	/* seven other clients at their quota fill the group: full for anyone */
	for (int c = 0; c < 7; c++)
		for (int i = 0; i < 8; i++) {
			char name[32];
			struct kdc_replay_key rk = {.client = name, .server = "krbtgt/TEST.REALM@TEST.REALM",
						    .ctime = now, .cusec = i};
			snprintf(name, sizeof(name), "filler%d@TEST.REALM", c);
			EXPECT_EQ_INT(kdc_replay_check_and_insert(small, &rk, now), ORTH_OK);
		}
	EXPECT_EQ_INT(kdc_replay_count(small, now), 64);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE); /* still the quota first */
	crypto_key_free(k);
	k = NULL;
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "bob", "bobpw", 0), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_client_key(&fx, &A, "bob", "bobpw", 18, &k), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_as_req(&fx, &A, "bob", "krbtgt/TEST.REALM", 0, 18, 0, k, &req,
					 &len), ORTH_OK);
	crypto_key_free(tgt.key);
	tgt.key = NULL;
	EXPECT_EQ_INT(kdc_fixture_exchange(&fx, &A, req, len, k, rep, sizeof(rep), &tgt, NULL), 0);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE);
	EXPECT_EQ_INT(tgs_code(&tgt), KDC_ERR_SVC_UNAVAILABLE);
	fflush(stderr);
	dup2(err2, 2);
	EXPECT_EQ_INT(lines_with(fd, "replay cache full (64 slots)"), 1);
	EXPECT_EQ_INT(lines_with(fd, "raise kdc_replay_cache_size in [kdcdefaults]"), 3);

	w[0] = kdc_ctx_metrics(fx.ctx);
	m = scrape(w, 1, NULL);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_replay_cache_refusals_total{reason=\"quota\"}"), 4);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_replay_cache_refusals_total{reason=\"full\"}"), 2);
	EXPECT(strstr(m, "# TYPE orthrus_kdc_replay_cache_refusals_total counter\n") != NULL);
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_replay_cache_capacity"), 64);
	free(m);

	kdc_fixture_set_time(now);
	crypto_key_free(k);
	crypto_key_free(tgt.key);
	fx.sh.replay = saved;
	kdc_replay_free(small);
	close(fd);
	close(err2);
	if (getenv("KEEP") == NULL)
		unlink(tmpl);
}

#define N_THREADS 4
#define N_COUNTS 200000

static struct kdc_metrics *counters[N_THREADS];

static void *
count_many(void *arg)
{
	struct kdc_metrics *m = arg;

	for (int i = 0; i < N_COUNTS; i++)
		kdc_metrics_count(m, (enum kdc_metrics_type)(i % KDC_MT_N), KDC_TRANSPORT_UDP,
				  kdc_metrics_result_of(i % 3 == 0 ? KDC_ERR_PREAUTH_FAILED : 0, false),
				  (uint64_t)(i % 5000));
	return NULL;
}

/* Workers count into their own counters while scrapes sum them: sums
 * only grow and end exact. */
static void
test_concurrent(void)
{
	pthread_t t[N_THREADS];
	const struct kdc_metrics *w[N_THREADS];
	long long prev = 0, v;
	char *m;
	bool grows = true;

	for (int i = 0; i < N_THREADS; i++) {
		counters[i] = calloc(1, sizeof(*counters[i]));
		EXPECT(counters[i] != NULL);
		w[i] = counters[i];
	}
	for (int i = 0; i < N_THREADS; i++)
		EXPECT(pthread_create(&t[i], NULL, count_many, counters[i]) == 0);
	for (int k = 0; k < 20; k++) {
		m = scrape(w, N_THREADS, NULL);
		v = value_of(m, "orthrus_kdc_request_duration_seconds_count{type=\"AS\"}");
		grows &= v >= prev;
		prev = v;
		free(m);
	}
	for (int i = 0; i < N_THREADS; i++)
		pthread_join(t[i], NULL);
	EXPECT(grows);
	m = scrape(w, N_THREADS, NULL);
	/* type AS: i % 5 == 0; of those, PREAUTH_FAILED when i % 3 == 0 */
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_request_duration_seconds_count{type=\"AS\"}"),
		      (long long)N_THREADS * (N_COUNTS / 5));
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_requests_total{type=\"AS\",transport=\"udp\","
				  "result=\"KDC_ERR_PREAUTH_FAILED\"}"),
		      (long long)N_THREADS * ((N_COUNTS + 14) / 15));
	EXPECT_EQ_INT(value_of(m, "orthrus_kdc_workers"), N_THREADS);
	free(m);
	for (int i = 0; i < N_THREADS; i++)
		free(counters[i]);
}

static void
test_slots(void)
{
	EXPECT_EQ_INT(kdc_metrics_type_of("AS-REQ"), KDC_MT_AS);
	EXPECT_EQ_INT(kdc_metrics_type_of("KPASSWD-SET"), KDC_MT_KPASSWD_SET);
	EXPECT_EQ_INT(kdc_metrics_type_of("?"), KDC_MT_OTHER);
	EXPECT_EQ_INT(kdc_metrics_type_of(NULL), KDC_MT_OTHER);
	EXPECT_EQ_INT(kdc_metrics_result_of(0, false), KDC_MR_OK);
	EXPECT_EQ_INT(kdc_metrics_result_of(-1, true), KDC_MR_DROPPED);
	EXPECT_EQ_INT(kdc_metrics_result_of(24, false), KDC_MR_KRB + 24);
	EXPECT_EQ_INT(kdc_metrics_result_of(5, true), KDC_MR_KPASSWD + 5);
	EXPECT_EQ_INT(kdc_metrics_result_of(9, true), KDC_MR_OTHER);
	EXPECT_EQ_INT(kdc_metrics_result_of(4000, false), KDC_MR_OTHER);
}

int
main(void)
{
	EXPECT_EQ_INT(arena_init(&A, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_open(&fx, "TEST.REALM", T0), ORTH_OK);
	test_slots();
	test_through_handle();
	test_reply_cache_hit();
	test_replay_refusals();
	test_concurrent();
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_metrics");
}
