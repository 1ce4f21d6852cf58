/*
 * bench_kdc.c - what one request costs through the whole KDC request path,
 * in process: kdc_handle() over the fixture realm (tests/unit/kdc), no
 * network.  Five cases, each counted per exchange:
 *
 *   as-nopreauth      AS-REQ for a principal without requires-preauth
 *   as-preauth        the whole exchange of a client that pre-authenticates
 *                     with PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2), two
 *                     requests: the AS-REQ without padata answered with
 *                     KDC_ERR_PREAUTH_REQUIRED (its hints offer SPAKE too,
 *                     as the realm's default spake_preauth_groups says;
 *                     MIT's kinit would then take SPAKE, RFC 9588: this
 *                     bench measures encrypted timestamp), then the AS-REQ
 *                     with PA-ENC-TIMESTAMP
 *   as-enc-timestamp  the second of those requests alone
 *   tgs               TGS-REQ for a service with a TGT from an AS exchange,
 *                     with a fresh authenticator subkey in every request as
 *                     MIT's clients send (so the reply is sealed in a key
 *                     the KDC has never seen, usage 9)
 *   preauth-required  the first of the as-preauth requests alone: the
 *                     KDC_ERR_PREAUTH_REQUIRED error path
 *   tgs-fast          the tgs request wrapped in FAST as MIT's library
 *                     sends every TGS-REQ (RFC 6113 §5.4.1.1 implicit
 *                     armor: the armor key is KRB-FX-CF2 of the fresh
 *                     subkey and the TGT's session key; the outer body is
 *                     the inner one, the checksum covers the PA-TGS-REQ's
 *                     AP-REQ); the reply comes back through the tunnel
 *                     with a strengthened reply key
 *
 * Every request is distinct (new nonce; new authenticator or timestamp,
 * each with its own confounder), built in a batch before the clock starts:
 * only kdc_handle() is timed.  A TGS-REQ's authenticator goes into the
 * replay cache (RFC 4120 §3.3.2), so the bench gives the KDC a replay cache
 * of its own size and replaces it before it fills.  Every reply's message
 * type is checked and the last of each batch is opened fully (decrypted
 * with the client's or the TGT's key); a wrong reply exits 1, so a broken
 * bench is noticed.  The KDC's one log line per request is written to
 * /dev/null while timing (its formatting is part of the cost).
 *
 *   bench_kdc [-t SECONDS] [-n COUNT] [-c CASE]
 *     -t  time each case for at least SECONDS (default 1)
 *     -n  exactly COUNT timed exchanges per case instead (for callgrind:
 *         bench/callgrind.sh counts instructions inside bench_batch_run)
 *     -c  only this case
 *     -l  with the KDC's lookaside cache of retransmissions (as the
 *         daemon has; every request here is a miss and is stored)
 *
 * Not a test: it asserts nothing about speed.  `make bench` runs it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/unit/kdc/kdc_fixture.h"
#include "kdc/lookaside.h"
#include "proto/encdata.h"
#include "proto/fast.h"
#include "proto/krb5_const.h"
#include "proto/padata.h"

#define REALM "BENCH.REALM"
#define T0 1795645609         /* a fixed clock: repeatable instruction counts */
#define BATCH 500             /* requests built before each timed loop */
#define REPLAY_SLOTS (1u << 18)
#define ETYPE 18              /* aes256-cts-hmac-sha1-96, as in the load test */

enum bench_case {
	C_AS_NOPREAUTH,
	C_AS_PREAUTH,
	C_AS_ENC_TS,
	C_TGS,
	C_PREAUTH_REQUIRED,
	C_TGS_FAST,
	C_COUNT
};

static const char *const case_names[C_COUNT] = {
	"as-nopreauth", "as-preauth", "as-enc-timestamp", "tgs", "preauth-required",
	"tgs-fast",
};
/* Requests per exchange (at most MAX_PER). */
#define MAX_PER 2
static const int case_requests[C_COUNT] = {1, 2, 1, 1, 1, 1};

static struct kdc_fixture fx;
static struct arena build_a, check_a, tgt_a;
static struct crypto_key *bench_key, *user_key;
static struct kdc_fixture_cred tgt;
static size_t replay_used;
static uint8_t rep[1 << 16];
/* The TGS case's subkeys, one per request of the batch (the last one
 * opens the reply). */
static struct crypto_key *subkeys[BATCH];
/* The tgs-fast case's armor keys, as the client computes them. */
static struct crypto_key *armors[BATCH];
/* As over TCP: no lookaside in the fixture, no UDP size limit. */
static struct kdc_request_info bench_info;
static int saved_stderr = -1, devnull = -1;

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void
die(const char *what)
{
	if (saved_stderr >= 0)
		dup2(saved_stderr, 2);
	fprintf(stderr, "bench_kdc: %s\n", what);
	exit(1);
}

/* The KDC logs one line per request to stderr: send it to /dev/null. */
static void
quiet(bool on)
{
	fflush(stderr);
	if (on)
		dup2(devnull, 2);
	else
		dup2(saved_stderr, 2);
}

/*
 * The TGS-REQ in *req wrapped in FAST as MIT's library does it (RFC 6113
 * §5.4.1.1, §5.4.2): PA-FX-FAST after the PA-TGS-REQ, no armor field, the
 * KrbFastReq holding the same body, its checksum over the AP-REQ.
 */
static orth_err
fast_wrap(struct crypto_key *subkey, struct crypto_key **armor_out, uint8_t **req, size_t *len)
{
	orth_err ret;
	TGS_REQ q;
	KrbFastReq fr;
	KrbFastArmoredReq ar;
	const PA_DATA *tgs_pa;
	PA_DATA *pa = NULL;
	METHOD_DATA md;
	uint8_t ck[CRYPTO_MAX_CKSUM_LEN];
	size_t ckl = 0;
	int32_t ckt = 0;

	memset(&q, 0, sizeof(q));
	memset(&fr, 0, sizeof(fr));
	memset(&ar, 0, sizeof(ar));
	TRY(der_decode(&asn1_TGS_REQ, *req, *len, &build_a, &q));
	tgs_pa = proto_padata_find(q.padata, KRB5_PADATA_TGS_REQ);
	pa = arena_alloc(&build_a, 2 * sizeof(*pa));
	CHECK(tgs_pa != NULL && pa != NULL, ORTH_E_INTERNAL);
	TRY(proto_fast_armor_key(subkey, tgt.key, armor_out));
	TRY(crypto_checksum_make(*armor_out, KU_FAST_REQ_CHKSUM, tgs_pa->padata_value.data,
				 tgs_pa->padata_value.len, &ckt, ck, &ckl));
	ar.req_checksum.cksumtype = ckt;
	ar.req_checksum.checksum.data = ck;
	ar.req_checksum.checksum.len = ckl;
	fr.req_body = q.req_body;
	TRY(proto_seal(*armor_out, KU_FAST_ENC, &asn1_KrbFastReq, &fr, &build_a,
		       &ar.enc_fast_req));
	pa[0] = *tgs_pa;
	pa[1].padata_type = KRB5_PADATA_FX_FAST;
	TRY(proto_fast_req_encode(&ar, &build_a, &pa[1].padata_value));
	md.len = 2;
	md.val = pa;
	q.padata = &md;
	TRY(der_encode_arena(&asn1_TGS_REQ, &q, &build_a, req, len));
cleanup:
	return ret;
}

/* Exchange i of case c into build_a: case_requests[c] requests from
 * req[0], each with the message type its reply must have in want[]. */
static void
build_one(enum bench_case c, size_t i, uint8_t **req, size_t *len, int *want)
{
	orth_err ret = ORTH_OK;

	switch (c) {
	case C_AS_NOPREAUTH:
		want[0] = KRB5_MSG_AS_REP;
		ret = kdc_fixture_as_req(&fx, &build_a, "bench", "krbtgt/" REALM, 0, ETYPE, 0,
					 NULL, req, len);
		break;
	case C_AS_PREAUTH:
		want[0] = KRB5_MSG_ERROR;
		want[1] = KRB5_MSG_AS_REP;
		ret = kdc_fixture_as_req(&fx, &build_a, "user", "krbtgt/" REALM, 0, ETYPE, 0,
					 NULL, &req[0], &len[0]);
		if (ret == ORTH_OK)
			ret = kdc_fixture_as_req(&fx, &build_a, "user", "krbtgt/" REALM, 0, ETYPE,
						 0, user_key, &req[1], &len[1]);
		break;
	case C_AS_ENC_TS:
		want[0] = KRB5_MSG_AS_REP;
		ret = kdc_fixture_as_req(&fx, &build_a, "user", "krbtgt/" REALM, 0, ETYPE, 0,
					 user_key, req, len);
		break;
	case C_TGS:
	case C_TGS_FAST:
		want[0] = KRB5_MSG_TGS_REP;
		crypto_key_free(subkeys[i]);
		crypto_key_free(armors[i]);
		subkeys[i] = armors[i] = NULL;
		ret = crypto_key_random(ETYPE, &subkeys[i]);
		if (ret == ORTH_OK)
			ret = kdc_fixture_tgs_req_subkey(&fx, &build_a, &tgt, "host/svc.bench", 0,
							 ETYPE, subkeys[i], req, len);
		if (ret == ORTH_OK && c == C_TGS_FAST)
			ret = fast_wrap(subkeys[i], &armors[i], req, len);
		break;
	case C_PREAUTH_REQUIRED:
		want[0] = KRB5_MSG_ERROR;
		ret = kdc_fixture_as_req(&fx, &build_a, "user", "krbtgt/" REALM, 0, ETYPE, 0,
					 NULL, req, len);
		break;
	default:
		die("no such case");
	}
	if (ret != ORTH_OK)
		die("cannot build a request");
}

/*
 * The timed part, kept out of line so that callgrind can count it alone
 * (--toggle-collect=bench_batch_run*, as GCC may clone it).  Returns the number of replies whose
 * message type is not want[i]; *last_len: the length of the last reply
 * (left in rep).
 */
__attribute__((noinline)) static size_t
bench_batch_run(uint8_t *const *reqs, const size_t *lens, size_t n, const int *want,
		size_t *last_len)
{
	size_t bad = 0;

	*last_len = 0;
	for (size_t i = 0; i < n; i++) {
		struct writer w;

		writer_init(&w, rep, sizeof(rep));
		(void)kdc_handle(fx.ctx, &bench_info, reqs[i], lens[i], &w);
		if (writer_err(&w) != ORTH_OK || der_peek_application_tag(rep, w.len) != want[i])
			bad++;
		*last_len = w.len;
	}
	return bad;
}

/* One request outside the timing (and outside callgrind's count); returns
 * the reply's length (0: none), the reply in rep. */
static size_t
handle_one(const uint8_t *req, size_t len)
{
	struct writer w;

	writer_init(&w, rep, sizeof(rep));
	quiet(true);
	(void)kdc_handle(fx.ctx, &bench_info, req, len, &w);
	quiet(false);
	return writer_err(&w) == ORTH_OK ? w.len : 0;
}

/*
 * A FAST TGS-REP (RFC 6113 §5.4.3): the KrbFastResponse opens under the
 * armor key, carries a strengthen key, and the encrypted part opens under
 * the strengthened subkey (usage 9).
 */
static orth_err
fast_rep_check(size_t len, size_t last_i)
{
	orth_err ret;
	TGS_REP r;
	KrbFastResponse fr;
	EncTGSRepPart enc;
	const PA_DATA *fxp;
	struct crypto_key *sk = NULL, *reply = NULL;
	uint8_t *plain;
	size_t plen = 0;

	memset(&r, 0, sizeof(r));
	memset(&fr, 0, sizeof(fr));
	TRY(der_decode(&asn1_TGS_REP, rep, len, &check_a, &r));
	fxp = proto_padata_find(r.padata, KRB5_PADATA_FX_FAST);
	CHECK(fxp != NULL, ORTH_E_MALFORMED);
	TRY(proto_fast_response_open(armors[last_i], fxp->padata_value.data,
				     fxp->padata_value.len, &check_a, &fr));
	CHECK(fr.strengthen_key != NULL && fr.finished != NULL, ORTH_E_MALFORMED);
	TRY(crypto_key_new(fr.strengthen_key->keytype, fr.strengthen_key->keyvalue.data,
			   fr.strengthen_key->keyvalue.len, &sk));
	TRY(proto_fast_reply_key(sk, subkeys[last_i], &reply));
	plain = arena_alloc(&check_a, r.enc_part.cipher.len);
	CHECK(plain != NULL, ORTH_E_LIMIT);
	TRY(crypto_decrypt(reply, KU_TGS_REP_ENC_PART_SUBKEY, r.enc_part.cipher.data,
			   r.enc_part.cipher.len, plain, &plen));
	TRY(der_decode(&asn1_EncTGSRepPart, plain, plen, &check_a, &enc));
cleanup:
	crypto_key_free(sk);
	crypto_key_free(reply);
	return ret;
}

/* The last reply of a batch (of its exchange last_i), opened and checked in
 * full. */
static void
check_reply(enum bench_case c, size_t len, size_t last_i)
{
	struct kdc_fixture_cred out;
	orth_err ret;

	arena_reset(&check_a);
	switch (c) {
	case C_AS_NOPREAUTH:
		ret = kdc_fixture_rep_open(&check_a, rep, len, bench_key, &out);
		break;
	case C_AS_PREAUTH:
	case C_AS_ENC_TS:
		ret = kdc_fixture_rep_open(&check_a, rep, len, user_key, &out);
		break;
	case C_TGS:
		ret = kdc_fixture_rep_open_subkey(&check_a, rep, len, subkeys[last_i], &out);
		break;
	case C_TGS_FAST:
		if (fast_rep_check(len, last_i) != ORTH_OK)
			die("tgs-fast: the reply does not open through the FAST tunnel");
		return;
	default:
		ret = kdc_fixture_rep_open(&check_a, rep, len, NULL, &out);
		if (ret == ORTH_E_KRB(KDC_ERR_PREAUTH_REQUIRED))
			return;
		die("preauth-required: not a KDC_ERR_PREAUTH_REQUIRED reply");
	}
	if (ret != ORTH_OK)
		die("a reply does not open with the client's key");
	crypto_key_free(out.key);
}

/* A fresh replay cache (outside the timing) before it could refuse: every
 * TGS-REQ here is from one client, whose share is 8 slots of each group of
 * 64 (src/proto/replay_table.h); at 1/256 of the slots it meets that cap
 * with probability ~1e-9 per request. */
static void
replay_make_room(size_t n)
{
	if (replay_used + n <= REPLAY_SLOTS / 256)
		return;
	kdc_replay_free(fx.sh.replay);
	fx.sh.replay = NULL;
	if (kdc_replay_new(REPLAY_SLOTS, fx.sh.skew, &fx.sh.replay) != ORTH_OK)
		die("cannot make a replay cache");
	replay_used = 0;
}

static void
bench_case_run(enum bench_case c, double min_time, long count)
{
	static uint8_t *reqs[BATCH * MAX_PER];
	static size_t lens[BATCH * MAX_PER];
	static int want[BATCH * MAX_PER];
	const size_t per = (size_t)case_requests[c];
	double spent = 0;
	long done = 0;
	size_t last = 0;

	/* warm-up (db reader, key cache), not counted: exactly `count` timed
	 * exchanges go through bench_batch_run */
	arena_reset(&build_a);
	build_one(c, 0, reqs, lens, want);
	replay_make_room(1);
	for (size_t j = 0; j < per; j++) {
		last = handle_one(reqs[j], lens[j]);
		if (der_peek_application_tag(rep, last) != want[j])
			die(case_names[c]);
	}
	replay_used++;
	check_reply(c, last, 0);

	while (count > 0 ? done < count : spent < min_time) {
		size_t n = BATCH;
		if (count > 0 && count - done < (long)n)
			n = (size_t)(count - done);
		arena_reset(&build_a);
		for (size_t i = 0; i < n; i++)
			build_one(c, i, &reqs[i * per], &lens[i * per], &want[i * per]);
		replay_make_room(n);
		quiet(true);
		double t0 = now_sec();
		size_t bad = bench_batch_run(reqs, lens, n * per, want, &last);
		spent += now_sec() - t0;
		quiet(false);
		replay_used += n;
		done += (long)n;
		if (bad != 0) {
			fprintf(stderr, "bench_kdc: %s: %zu of %zu replies of the wrong type\n",
				case_names[c], bad, n * per);
			exit(1);
		}
		check_reply(c, last, n - 1);
	}
	printf("kdc %-17s %9.0f exch/s %8.2f us/exch  (%ld exchanges, %zu request%s each)\n",
	       case_names[c], (double)done / spent, spent / (double)done * 1e6, done, per,
	       per == 1 ? "" : "s");
}

static void
setup(void)
{
	uint8_t *req;
	size_t len, n;

	if (kdc_fixture_open(&fx, REALM, T0) != ORTH_OK ||
	    kdc_fixture_add(&fx, "bench", "bench-pw", 0) != ORTH_OK ||
	    kdc_fixture_add(&fx, "user", "user-pw", DB_ATTR_REQUIRES_PREAUTH) != ORTH_OK ||
	    kdc_fixture_add(&fx, "host/svc.bench", NULL, 0) != ORTH_OK ||
	    arena_init(&build_a, 16u << 20) != ORTH_OK || arena_init(&check_a, 1u << 20) != ORTH_OK ||
	    kdc_fixture_client_key(&fx, &build_a, "bench", "bench-pw", ETYPE, &bench_key) != ORTH_OK ||
	    kdc_fixture_client_key(&fx, &build_a, "user", "user-pw", ETYPE, &user_key) != ORTH_OK)
		die("cannot set up the fixture realm");
	kdc_replay_free(fx.sh.replay);
	fx.sh.replay = NULL;
	if (kdc_replay_new(REPLAY_SLOTS, fx.sh.skew, &fx.sh.replay) != ORTH_OK)
		die("cannot make a replay cache");

	/* The TGT for the TGS case, in memory that lives to the end. */
	if (arena_init(&tgt_a, 1u << 16) != ORTH_OK ||
	    kdc_fixture_as_req(&fx, &tgt_a, "user", "krbtgt/" REALM, 0, ETYPE, 0, user_key, &req,
			       &len) != ORTH_OK)
		die("cannot build the AS-REQ for the TGT");
	n = handle_one(req, len);
	if (kdc_fixture_rep_open(&tgt_a, rep, n, user_key, &tgt) != ORTH_OK)
		die("no TGT from the AS exchange");
}

int
main(int argc, char **argv)
{
	double min_time = 1.0;
	long count = 0;
	int only = -1, opt;
	bool lookaside = false;

	kdc_request_info_local(&bench_info, KDC_TRANSPORT_TCP, "bench");
	while ((opt = getopt(argc, argv, "t:n:c:l")) != -1) {
		switch (opt) {
		case 't':
			min_time = strtod(optarg, NULL);
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'c':
			for (int i = 0; i < C_COUNT; i++)
				if (strcmp(optarg, case_names[i]) == 0)
					only = i;
			if (only < 0)
				die("unknown case (as-nopreauth as-preauth as-enc-timestamp tgs "
				    "preauth-required tgs-fast)");
			break;
		case 'l':
			lookaside = true;
			break;
		default:
			fprintf(stderr, "usage: bench_kdc [-t SECONDS] [-n COUNT] [-c CASE] [-l]\n");
			return 2;
		}
	}
	saved_stderr = dup(2);
	devnull = open("/dev/null", O_WRONLY);
	if (saved_stderr < 0 || devnull < 0)
		die("cannot open /dev/null");
	setup();
	if (lookaside &&
	    kdc_lookaside_new(0, 0, 0, &fx.sh.lookaside) != ORTH_OK)
		die("cannot make a lookaside cache");
	for (int c = 0; c < C_COUNT; c++)
		if (only < 0 || only == c)
			bench_case_run((enum bench_case)c, min_time, count);
	crypto_key_free(bench_key);
	crypto_key_free(user_key);
	crypto_key_free(tgt.key);
	for (size_t i = 0; i < BATCH; i++) {
		crypto_key_free(subkeys[i]);
		crypto_key_free(armors[i]);
	}
	kdc_fixture_close(&fx);
	arena_free(&build_a);
	arena_free(&check_a);
	arena_free(&tgt_a);
	close(devnull);
	close(saved_stderr);
	return 0;
}
