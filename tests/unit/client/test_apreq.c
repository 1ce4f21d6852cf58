/*
 * test_apreq.c - AP-REQ build/verify, AP-REP, and the replay cache, with
 * tickets made here under known keys: each refusal of apreq_verify is
 * provoked on purpose, and hostile bytes (truncated, flipped, garbage) must
 * give an error, never a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "client/apreq.h"
#include "orthrus/service.h"
#include "client/rcache.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"

#define REALM "EXAMPLE.ORG"
#define NOW 1700000000

static struct arena A, P;  /* A: per-request, P: principals (never reset) */
static struct principal svc, svc2, alice, mallory;
static uint8_t svc_key1[32], svc_key2[32], sess_bytes[32];

struct tkt_spec {
	const struct principal *server;
	const uint8_t *key;     /* service key (aes256-sha1) */
	uint32_t kvno;          /* 0: no kvno in the ticket */
	uint32_t flags;
	int64_t authtime, endtime;
	int64_t starttime;      /* 0: absent */
	const struct principal *client;  /* NULL: alice */
	const char *transited;  /* contents (DOMAIN-X500-COMPRESS); NULL: empty */
};

/* A DER Ticket for spec's client (alice) sealed under spec's key. */
static void
make_ticket(const struct tkt_spec *s, uint8_t **out, size_t *out_len)
{
	EncTicketPart etp;
	Ticket t;
	struct crypto_key *k = NULL;
	const struct principal *client = s->client != NULL ? s->client : &alice;
	uint32_t *kv;
	int64_t *st;

	memset(&etp, 0, sizeof(etp));
	memset(&t, 0, sizeof(t));
	etp.flags = s->flags;
	etp.key.keytype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	etp.key.keyvalue.data = sess_bytes;
	etp.key.keyvalue.len = 32;
	etp.crealm = client->realm;
	EXPECT(pname_from_principal(client, &A, &etp.cname) == ORTH_OK);
	etp.transited.tr_type = KRB5_TR_DOMAIN_X500_COMPRESS;
	if (s->transited != NULL) {
		etp.transited.contents.data = (uint8_t *)s->transited;
		etp.transited.contents.len = strlen(s->transited);
	}
	etp.authtime = s->authtime;
	etp.endtime = s->endtime;
	if (s->starttime != 0) {
		st = arena_alloc(&A, sizeof(*st));
		*st = s->starttime;
		etp.starttime = st;
	}
	t.tkt_vno = 5;
	t.realm = s->server->realm;
	EXPECT(pname_from_principal(s->server, &A, &t.sname) == ORTH_OK);
	EXPECT(crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, s->key, 32, &k) == ORTH_OK);
	EXPECT(proto_seal(k, KU_TICKET, &asn1_EncTicketPart, &etp, &A, &t.enc_part) == ORTH_OK);
	if (s->kvno != 0) {
		kv = arena_alloc(&A, sizeof(*kv));
		*kv = s->kvno;
		t.enc_part.kvno = kv;
	}
	EXPECT(der_encode_arena(&asn1_Ticket, &t, &A, out, out_len) == ORTH_OK);
	crypto_key_free(k);
}

static struct tkt_spec
good_spec(void)
{
	struct tkt_spec s = {&svc, svc_key1, 1, TKT_FLG_INITIAL, NOW - 100,
			     NOW + 3600, 0, NULL, NULL};
	return s;
}

/* An AP-REQ for spec from client with opts (ctime NOW unless opts set). */
static void
make_req(const struct tkt_spec *s, const struct principal *client,
	 struct apreq_opts *opts, uint8_t **out, size_t *out_len,
	 struct apreq_state *st)
{
	uint8_t *tkt;
	size_t tkt_len;
	struct crypto_key *sess = NULL;
	struct apreq_opts o = {0};

	if (opts == NULL)
		opts = &o;
	if (opts->now == 0)
		opts->now = NOW;
	make_ticket(s, &tkt, &tkt_len);
	EXPECT(crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, sess_bytes, 32, &sess) == ORTH_OK);
	EXPECT(apreq_encode(tkt, tkt_len, sess, client, opts, &A, out, out_len, st) == ORTH_OK);
	crypto_key_free(sess);
}

static struct keytab_entry kt[4];

static void
keytab_setup(void)
{
	memset(kt, 0, sizeof(kt));
	kt[0] = (struct keytab_entry){svc, 0, 1, ENCTYPE_AES256_CTS_HMAC_SHA1_96, svc_key1, 32};
	kt[1] = (struct keytab_entry){svc, 0, 2, ENCTYPE_AES256_CTS_HMAC_SHA1_96, svc_key2, 32};
	kt[2] = (struct keytab_entry){svc2, 0, 1, ENCTYPE_AES256_CTS_HMAC_SHA1_96, svc_key2, 32};
}

static struct apreq_verify_params
params(const struct keytab_entry *keys, size_t n, struct rcache *rc)
{
	static char errbuf[256];
	struct apreq_verify_params p = {0};

	p.keys = keys;
	p.nkeys = n;
	p.rcache = rc;
	p.now = NOW;
	p.errbuf = errbuf;
	p.errcap = sizeof(errbuf);
	return p;
}

/* With APREQ_WRITE_SEEDS=DIR, write accepted AP-REQs there: the seed
 * corpus of fuzz/apreq_verify_fuzz.c (same keys and clock). */
static void
write_seed(const char *name, const uint8_t *buf, size_t len)
{
	const char *dir = getenv("APREQ_WRITE_SEEDS");
	char path[512];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

static orth_err
verify(const struct apreq_verify_params *p, const uint8_t *buf, size_t len)
{
	struct apreq_result r;
	orth_err ret = apreq_verify(p, buf, len, &A, &r);
	if (ret == ORTH_OK)
		apreq_result_free(&r);
	return ret;
}

/* Decode an AP-REQ, let f change it, re-encode. */
static void
rewrite(const uint8_t *in, size_t in_len, void (*f)(AP_REQ *), uint8_t **out,
	size_t *out_len)
{
	AP_REQ req;
	memset(&req, 0, sizeof(req));
	EXPECT(der_decode(&asn1_AP_REQ, in, in_len, &A, &req) == ORTH_OK);
	f(&req);
	EXPECT(der_encode_arena(&asn1_AP_REQ, &req, &A, out, out_len) == ORTH_OK);
}
static void flip_auth(AP_REQ *r) { r->authenticator.cipher.data[20] ^= 1; }
static void flip_ticket(AP_REQ *r) { r->ticket.enc_part.cipher.data[20] ^= 1; }
static void bad_pvno(AP_REQ *r) { r->pvno = 4; }
static void u2u(AP_REQ *r) { r->ap_options |= AP_OPT_USE_SESSION_KEY; }

static void
test_accept(void)
{
	struct tkt_spec s = good_spec();
	struct apreq_opts o = {.ap_options = AP_OPT_MUTUAL_REQUIRED,
			       .subkey = true, .seq_number = true};
	struct apreq_state st;
	struct apreq_result r;
	struct aprep_result rr;
	struct apreq_verify_params p = params(kt, 3, NULL);
	uint8_t *req, *rep;
	size_t req_len, rep_len, klen;
	uint32_t seq = 77;
	struct crypto_key *srv_sub = NULL;
	const uint8_t *kb;

	make_req(&s, &alice, &o, &req, &req_len, &st);
	write_seed("subkey-seq-mutual", req, req_len);
	p.server = &svc;
	EXPECT_EQ_INT(apreq_verify(&p, req, req_len, &A, &r), ORTH_OK);
	EXPECT(strcmp(r.client_name, "alice@" REALM) == 0);
	EXPECT(strcmp(r.server_name, "HTTP/www.example.org@" REALM) == 0);
	EXPECT_EQ_INT(r.kvno, 1);
	EXPECT(r.ap_options & AP_OPT_MUTUAL_REQUIRED);
	EXPECT(r.subkey != NULL && st.subkey != NULL);
	EXPECT(r.has_seq && r.seq_number == st.seq_number);
	EXPECT_EQ_INT(r.ticket_flags, TKT_FLG_INITIAL);
	EXPECT_EQ_INT(r.endtime, NOW + 3600);
	kb = crypto_key_bytes(r.session_key, &klen);
	EXPECT(klen == 32 && memcmp(kb, sess_bytes, 32) == 0);

	/* AP-REP with a server subkey and sequence number. */
	EXPECT(crypto_key_random(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &srv_sub) == ORTH_OK);
	EXPECT(aprep_encode(&r, srv_sub, &seq, &A, &rep, &rep_len) == ORTH_OK);
	EXPECT_EQ_INT(aprep_verify(&st, rep, rep_len, &A, &rr), ORTH_OK);
	EXPECT(rr.subkey != NULL && rr.has_seq && rr.seq_number == 77);
	aprep_result_free(&rr);
	/* Tampered AP-REP, and an AP-REP that answers another request. */
	rep[rep_len - 3] ^= 0x10;
	EXPECT_EQ_INT(aprep_verify(&st, rep, rep_len, &A, &rr),
		      ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY));
	rep[rep_len - 3] ^= 0x10;
	st.cusec ^= 1;
	EXPECT_EQ_INT(aprep_verify(&st, rep, rep_len, &A, &rr),
		      ORTH_E_KRB(KRB_AP_ERR_MUT_FAIL));
	/* An AP-REQ where an AP-REP belongs. */
	EXPECT_EQ_INT(aprep_verify(&st, req, req_len, &A, &rr),
		      ORTH_E_KRB(KRB_AP_ERR_MSG_TYPE));
	/* ... and the other way round. */
	EXPECT_EQ_INT(verify(&p, rep, rep_len), ORTH_E_KRB(KRB_AP_ERR_MSG_TYPE));
	crypto_key_free(srv_sub);
	apreq_result_free(&r);
	apreq_state_free(&st);

	/* Without any options: no subkey, no seq; any server in the keytab. */
	make_req(&s, &alice, NULL, &req, &req_len, NULL);
	write_seed("plain", req, req_len);
	p.server = NULL;
	EXPECT_EQ_INT(apreq_verify(&p, req, req_len, &A, &r), ORTH_OK);
	EXPECT(r.subkey == NULL && !r.has_seq && r.cksum == NULL);
	apreq_result_free(&r);

	/* A ticket without kvno: the keys of that enctype are tried. */
	s.kvno = 0;
	make_req(&s, &alice, NULL, &req, &req_len, NULL);
	write_seed("no-kvno", req, req_len);
	EXPECT_EQ_INT(apreq_verify(&p, req, req_len, &A, &r), ORTH_OK);
	EXPECT_EQ_INT(r.kvno, 1);
	apreq_result_free(&r);
}

static void
test_refusals(void)
{
	struct tkt_spec s = good_spec();
	struct apreq_verify_params p = params(kt, 3, NULL);
	struct keytab_entry other[1];
	struct apreq_opts o = {0};
	uint8_t *req, *bad;
	size_t req_len, bad_len;

	/* Wrong kvno: keytab has only kvno 2. */
	make_req(&s, &alice, NULL, &req, &req_len, NULL);
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_OK);
	p.keys = &kt[1];
	p.nkeys = 1;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_BADKEYVER));
	EXPECT(strstr(p.errbuf, "kvno 1") != NULL);
	/* Another service's keytab. */
	p.keys = &kt[2];
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_NOKEY));
	/* Right name, wrong enctype. */
	other[0] = kt[0];
	other[0].enctype = ENCTYPE_AES128_CTS_HMAC_SHA1_96;
	p.keys = other;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_NOKEY));
	/* Right name, kvno and enctype, wrong key bytes. */
	other[0] = kt[0];
	other[0].key = svc_key2;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY));
	/* Empty keytab. */
	p.nkeys = 0;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_NOKEY));
	p.keys = kt;
	p.nkeys = 3;
	/* Expected another service (whose key we do hold). */
	p.server = &svc2;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_NOT_US));
	EXPECT(strstr(p.errbuf, "not HTTP/other") != NULL);
	p.server = &svc;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_OK);

	/* Tampering. */
	rewrite(req, req_len, flip_auth, &bad, &bad_len);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY));
	rewrite(req, req_len, flip_ticket, &bad, &bad_len);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY));
	rewrite(req, req_len, bad_pvno, &bad, &bad_len);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_BADVERSION));
	rewrite(req, req_len, u2u, &bad, &bad_len);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_NOKEY));

	/* Authenticator of another client than the ticket's. */
	make_req(&s, &mallory, NULL, &bad, &bad_len, NULL);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_BADMATCH));

	/* Clock skew: 300 s is fine, 301 s is not, both directions. */
	p.now = NOW + 300;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_OK);
	p.now = NOW + 301;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_SKEW));
	p.now = NOW - 301;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_SKEW));
	p.skew = 10;
	p.now = NOW + 11;
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_SKEW));
	p.skew = 0;
	p.now = NOW;

	/* Ticket times. */
	s.endtime = NOW - 301;
	make_req(&s, &alice, NULL, &bad, &bad_len, NULL);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_TKT_EXPIRED));
	s.endtime = NOW - 200;   /* within the skew allowance */
	make_req(&s, &alice, NULL, &bad, &bad_len, NULL);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_OK);
	s = good_spec();
	s.starttime = NOW + 400;
	make_req(&s, &alice, NULL, &bad, &bad_len, NULL);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_TKT_NYV));
	s = good_spec();
	s.flags |= TKT_FLG_INVALID;
	make_req(&s, &alice, NULL, &bad, &bad_len, NULL);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_TKT_NYV));

	/* Application checksum (usage 10). */
	s = good_spec();
	o.cksum_data = (const uint8_t *)"channel";
	o.cksum_len = 7;
	make_req(&s, &alice, &o, &bad, &bad_len, NULL);
	write_seed("cksum", bad, bad_len);
	p.cksum_data = (const uint8_t *)"channel";
	p.cksum_len = 7;
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_OK);
	p.cksum_data = (const uint8_t *)"channeL";
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_MODIFIED));
	EXPECT_EQ_INT(verify(&p, req, req_len), ORTH_E_KRB(KRB_AP_ERR_INAPP_CKSUM));
	p.cksum_data = NULL;
}

/*
 * RFC 4120 §2.7: a ticket whose transited path the KDC did not check
 * (TRANSIT-POLICY-CHECKED unset) must be checked by the server; we check
 * no cross-realm path yet, so only an empty one is accepted.
 */
static void
test_transited(void)
{
	struct tkt_spec s = good_spec();
	struct apreq_verify_params p = params(kt, 3, NULL);
	uint8_t *req;
	size_t len;

	s.transited = "OTHER.ORG,";
	make_req(&s, &alice, NULL, &req, &len, NULL);
	EXPECT_EQ_INT(verify(&p, req, len), ORTH_E_KRB(KRB_AP_PATH_NOT_ACCEPTED));
	EXPECT(strstr(p.errbuf, "transited") != NULL);
	/* the KDC says it checked the path: accepted */
	s.flags |= TKT_FLG_TRANSIT_POLICY_CHECKED;
	make_req(&s, &alice, NULL, &req, &len, NULL);
	EXPECT_EQ_INT(verify(&p, req, len), ORTH_OK);
	/* an empty path needs no check */
	s = good_spec();
	s.transited = "";
	make_req(&s, &alice, NULL, &req, &len, NULL);
	EXPECT_EQ_INT(verify(&p, req, len), ORTH_OK);
}

static void
test_replay(void)
{
	struct tkt_spec s = good_spec();
	struct rcache *rc = NULL;
	struct apreq_verify_params p;
	uint8_t *req1, *req2, *bad;
	size_t len1, len2, bad_len;

	EXPECT(rcache_new(0, &rc) == ORTH_OK);
	p = params(kt, 3, rc);
	make_req(&s, &alice, NULL, &req1, &len1, NULL);
	make_req(&s, &alice, NULL, &req2, &len2, NULL); /* same ctime/cusec */
	EXPECT_EQ_INT(verify(&p, req1, len1), ORTH_OK);
	EXPECT_EQ_INT(verify(&p, req1, len1), ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	EXPECT(strstr(p.errbuf, "replay") != NULL);
	/* Same second and microsecond, different authenticator: not a replay. */
	EXPECT_EQ_INT(verify(&p, req2, len2), ORTH_OK);
	EXPECT_EQ_INT(verify(&p, req2, len2), ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	/* A refused (tampered) request is not remembered: the original stays
	 * acceptable only once. */
	rewrite(req1, len1, flip_auth, &bad, &bad_len);
	EXPECT_EQ_INT(verify(&p, bad, bad_len), ORTH_E_KRB(KRB_AP_ERR_BAD_INTEGRITY));
	EXPECT_EQ_INT(rcache_count(rc, NOW), 2);
	/* Still a replay within the skew window; forgotten after it (then
	 * refused for skew anyway). */
	p.now = NOW + 299;
	EXPECT_EQ_INT(verify(&p, req1, len1), ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	EXPECT_EQ_INT(rcache_count(rc, NOW + 301), 0);
	rcache_free(rc);
}

static void
test_rcache_limits(void)
{
	struct rcache *rc = NULL;
	struct rcache_key k = {"a@R", "s@R", NOW, 0, (const uint8_t *)"x", 1};
	char name[32], longname[PRINCIPAL_MAX_TEXT + 2];
	size_t i, stored = 0, over = 0;
	orth_err e;

	EXPECT_EQ_INT(rcache_new(RCACHE_MAX_CAPACITY + 1, &rc), ORTH_E_RANGE);
	EXPECT(rcache_new(1, &rc) == ORTH_OK);   /* rounds up to one group of 64 */
	if (rc == NULL)
		return;
	/* One client holds at most 8 of the group; beyond, only it is
	 * refused, and its replays are still replays. */
	for (i = 0; i < 100; i++) {
		k.cusec = (int32_t)i;
		e = rcache_put(rc, &k, 300, NOW);
		if (e == ORTH_OK)
			stored++;
		else if (e == ORTH_E_POLICY)
			over++;
	}
	EXPECT_EQ_INT(stored, 8);
	EXPECT_EQ_INT(over, 92);
	k.cusec = 0;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	/* The others fill the other 56; then the group is full for everyone
	 * and refuses instead of evicting a live entry. */
	for (i = 0, stored = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "user%zu@R", i);
		k.client = name;
		e = rcache_put(rc, &k, 300, NOW);
		if (e == ORTH_OK)
			stored++;
		else
			EXPECT_EQ_INT(e, ORTH_E_LIMIT);
	}
	EXPECT_EQ_INT(stored, 56);
	EXPECT_EQ_INT(rcache_count(rc, NOW), 64);
	for (i = 0, stored = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "user%zu@R", i);
		if (rcache_put(rc, &k, 300, NOW + 300) == ORTH_E_REPLAY)
			stored++;
	}
	EXPECT_EQ_INT(stored, 56);
	/* A ctime more than skew away is refused and not stored. */
	k.client = "b@R";
	k.ctime = NOW + 301;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_SKEW);
	k.ctime = NOW - 301;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_SKEW);
	EXPECT_EQ_INT(rcache_put(rc, &k, 0, NOW), ORTH_E_RANGE);
	EXPECT_EQ_INT(rcache_put(rc, &k, 86401, NOW), ORTH_E_RANGE);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	k.client = longname;
	k.ctime = NOW;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_RANGE);
	/* Entries live through ctime + skew; then slots (and the quota) are
	 * free again. */
	k.client = "a@R";
	k.ctime = NOW + 301;
	for (i = 0, stored = 0; i < 8; i++) {
		k.cusec = (int32_t)(1000 + i);
		if (rcache_put(rc, &k, 300, NOW + 301) == ORTH_OK)
			stored++;
	}
	EXPECT_EQ_INT(stored, 8);
	EXPECT_EQ_INT(rcache_count(rc, NOW + 301), 8);
	rcache_free(rc);
	rcache_free(NULL);
}

/*
 * The review's attack on a service: a client with a valid ticket mints
 * authenticators to fill the replay cache (it filled 8192 from one ticket
 * and every genuine AP-REQ was refused).  Now the flooder is refused beyond
 * its quota, only it: every AP-REQ of the other clients, interleaved with
 * the flood, is accepted, and what the flooder got accepted is still a
 * replay.
 */
#define FLOOD_SLOTS 1024
#define FLOOD_N (4 * FLOOD_SLOTS)
#define FLOOD_OTHERS 8

static uint8_t *
dup_bytes(const uint8_t *b, size_t n)
{
	uint8_t *c = malloc(n);
	if (c != NULL)
		memcpy(c, b, n);
	return c;
}

static void
test_rcache_flood(void)
{
	struct tkt_spec sm = good_spec(), so = good_spec();
	struct principal others[FLOOD_OTHERS];
	struct rcache *rc = NULL;
	struct apreq_verify_params p;
	uint8_t *req, *m_first = NULL, *o_first = NULL;
	size_t len, m_first_len = 0, o_first_len = 0, i, j = 0;
	size_t mine = 0, refused = 0, others_ok = 0, others_bad = 0;
	char name[16];
	const char *comp[1] = {name};
	orth_err e;

	for (i = 0; i < FLOOD_OTHERS; i++) {
		snprintf(name, sizeof(name), "user%zu", i);
		EXPECT(principal_build(&P, REALM, KRB5_NT_PRINCIPAL, 1, comp,
				       &others[i]) == ORTH_OK);
	}
	EXPECT(rcache_new(FLOOD_SLOTS, &rc) == ORTH_OK);
	if (rc == NULL)
		return;
	p = params(kt, 3, rc);
	sm.client = &mallory;
	for (i = 0; i < FLOOD_N; i++) {
		arena_reset(&A);
		make_req(&sm, &mallory, NULL, &req, &len, NULL);
		e = verify(&p, req, len);
		if (e == ORTH_OK) {
			mine++;
			if (m_first == NULL) {
				m_first = dup_bytes(req, len);
				m_first_len = len;
			}
		} else {
			refused++;
			EXPECT_EQ_INT(e, ORTH_E_KRB(KDC_ERR_SVC_UNAVAILABLE));
		}
		/* 40 AP-REQs of 8 other clients in the middle of the flood. */
		if (i % 100 == 50) {
			so.client = &others[j % FLOOD_OTHERS];
			make_req(&so, so.client, NULL, &req, &len, NULL);
			e = verify(&p, req, len);
			if (e == ORTH_OK) {
				others_ok++;
				if (o_first == NULL) {
					o_first = dup_bytes(req, len);
					o_first_len = len;
				}
			} else {
				others_bad++;
			}
			j++;
		}
	}
	arena_reset(&A);
	EXPECT_EQ_INT(j, 41);
	EXPECT_EQ_INT(others_ok, j);
	EXPECT_EQ_INT(others_bad, 0);
	/* The flooder holds at most an eighth of the cache. */
	EXPECT(mine <= FLOOD_SLOTS / 8);
	EXPECT_EQ_INT(mine + refused, FLOOD_N);
	EXPECT_EQ_INT(rcache_count(rc, NOW), mine + others_ok);
	/* Its last refusal names the reason. */
	EXPECT(strstr(p.errbuf, "quota") != NULL);
	/* Accepted ones stay replays, the flooder's too. */
	EXPECT(m_first != NULL && o_first != NULL);
	if (m_first != NULL)
		EXPECT_EQ_INT(verify(&p, m_first, m_first_len),
			      ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	if (o_first != NULL)
		EXPECT_EQ_INT(verify(&p, o_first, o_first_len),
			      ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	/* After the skew the flood is forgotten, and the flooder may log in
	 * again. */
	p.now = NOW + 2 * APREQ_DEFAULT_SKEW + 1;
	EXPECT_EQ_INT(rcache_count(rc, p.now), 0);
	{
		struct apreq_opts o = {.now = p.now};
		make_req(&sm, &mallory, &o, &req, &len, NULL);
		EXPECT_EQ_INT(verify(&p, req, len), ORTH_OK);
	}
	arena_reset(&A);
	free(m_first);
	free(o_first);
	rcache_free(rc);
}

/*
 * The file store across processes (issue 14 defect 6): a client flooding
 * one process is held to its quota in the file, and the other clients,
 * verified at the same time in another process, are all accepted; what
 * one process stored is a replay in the other.
 */
#define FILE_SLOTS 1024
#define FILE_FLOOD 4096
#define FILE_OTHERS 100

static int
flood_child(const char *path, int go_fd)
{
	struct rcache *rc = NULL;
	struct rcache_key k = {"mallory@R", "s@R", NOW, 0, (const uint8_t *)"m", 1};
	size_t i, ok = 0, quota = 0;
	orth_err e;
	char c;

	if (rcache_file_open(path, FILE_SLOTS, &rc, NULL, 0) != ORTH_OK)
		return 10;
	if (read(go_fd, &c, 1) != 1)
		return 11;
	for (i = 0; i < FILE_FLOOD; i++) {
		k.cusec = (int32_t)i;
		e = rcache_put(rc, &k, 300, NOW);
		if (e == ORTH_OK)
			ok++;
		else if (e == ORTH_E_POLICY)
			quota++;
	}
	rcache_free(rc);
	/* at most 8 of each of the 16 groups; the rest refused as its own */
	return ok <= FILE_SLOTS / 8 && ok + quota == FILE_FLOOD ? 0 : 12;
}

static int
others_child(const char *path, int go_fd)
{
	struct rcache *rc = NULL;
	struct rcache_key k = {NULL, "s@R", NOW, 0, (const uint8_t *)"o", 1};
	char name[32], c;
	size_t i, ok = 0;

	if (rcache_file_open(path, FILE_SLOTS, &rc, NULL, 0) != ORTH_OK)
		return 10;
	if (read(go_fd, &c, 1) != 1)
		return 11;
	for (i = 0; i < FILE_OTHERS; i++) {
		snprintf(name, sizeof(name), "user%zu@R", i);
		k.client = name;
		k.cusec = (int32_t)i;
		if (rcache_put(rc, &k, 300, NOW) == ORTH_OK)
			ok++;
		usleep(100);
	}
	rcache_free(rc);
	return ok == FILE_OTHERS ? 0 : 20;
}

static void
test_rcache_file_processes(void)
{
	char dir[] = "/tmp/test_rcache.XXXXXX", path[64];
	struct rcache *rc = NULL;
	struct rcache_key k = {"mallory@R", "s@R", NOW, 0, (const uint8_t *)"m", 1};
	struct stat st;
	int go[2], status[2], i;
	pid_t pid[2];
	size_t n;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/rc", dir);
	EXPECT(rcache_file_open(path, FILE_SLOTS, &rc, NULL, 0) == ORTH_OK);
	if (rc == NULL)
		return;
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_uid == geteuid());
	EXPECT_EQ_INT(st.st_size, 64 + FILE_SLOTS * 24);
	EXPECT(pipe(go) == 0);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] == 0) {
			close(go[1]);
			_exit(i == 0 ? flood_child(path, go[0]) : others_child(path, go[0]));
		}
	}
	close(go[0]);
	EXPECT(write(go[1], "gg", 2) == 2);
	close(go[1]);
	for (i = 0; i < 2; i++) {
		EXPECT(waitpid(pid[i], &status[i], 0) == pid[i]);
		EXPECT(WIFEXITED(status[i]));
		EXPECT_EQ_INT(WEXITSTATUS(status[i]), 0);
	}
	/* This process sees both: the flooder's first is a replay, and the
	 * flooder is still over its quota here. */
	n = rcache_count(rc, NOW);
	fprintf(stderr, "rcache file: %zu live entries after the flood\n", n);
	EXPECT(n > FILE_OTHERS && n <= FILE_OTHERS + FILE_SLOTS / 8);
	k.cusec = 0;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	k.client = "user7@R";
	k.tag = (const uint8_t *)"o";
	k.cusec = 7;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	/* Forgotten after the skew window, in the file too. */
	EXPECT_EQ_INT(rcache_count(rc, NOW + 301), 0);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW + 301), ORTH_E_SKEW);
	rcache_free(rc);
	unlink(path);
	rmdir(dir);
}

/*
 * Two acceptors of one process on one file (each its own cache handle),
 * from threads at once: the file lock must exclude them too (POSIX record
 * locks belong to the process and would not).  Each authenticator is
 * accepted by exactly one of them.
 */
#define THREADS 8
#define THREAD_KEYS 200

struct thread_arg {
	const char *path;
	pthread_barrier_t *go;
	size_t ok;
	orth_err err;
};

static void *
thread_put(void *p)
{
	struct thread_arg *ta = p;
	struct rcache *rc = NULL;
	struct rcache_key k = {"a@R", "s@R", NOW, 0, (const uint8_t *)"t", 1};
	orth_err e;

	ta->err = rcache_file_open(ta->path, 4096, &rc, NULL, 0);
	pthread_barrier_wait(ta->go);
	for (int i = 0; rc != NULL && i < THREAD_KEYS; i++) {
		/* 200 distinct clients, one authenticator each */
		char name[16];
		snprintf(name, sizeof(name), "c%d@R", i);
		k.client = name;
		e = rcache_put(rc, &k, 300, NOW);
		if (e == ORTH_OK)
			ta->ok++;
		else if (e != ORTH_E_REPLAY)
			ta->err = e;
	}
	rcache_free(rc);
	return NULL;
}

static void
test_rcache_file_threads(void)
{
	char dir[] = "/tmp/test_rcache.XXXXXX", path[64];
	pthread_t th[THREADS];
	struct thread_arg ta[THREADS];
	pthread_barrier_t go;
	size_t ok = 0;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/rc", dir);
	EXPECT(pthread_barrier_init(&go, NULL, THREADS) == 0);
	for (int i = 0; i < THREADS; i++) {
		ta[i] = (struct thread_arg){path, &go, 0, ORTH_OK};
		EXPECT(pthread_create(&th[i], NULL, thread_put, &ta[i]) == 0);
	}
	for (int i = 0; i < THREADS; i++) {
		EXPECT(pthread_join(th[i], NULL) == 0);
		EXPECT_EQ_INT(ta[i].err, ORTH_OK);
		ok += ta[i].ok;
	}
	EXPECT_EQ_INT(ok, THREAD_KEYS);
	pthread_barrier_destroy(&go);
	unlink(path);
	rmdir(dir);
}

/* Overwrite len bytes at off of path. */
static void
file_poke(const char *path, off_t off, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY);

	EXPECT(fd >= 0);
	if (fd < 0)
		return;
	EXPECT(pwrite(fd, b, len, off) == (ssize_t)len);
	close(fd);
}

/*
 * A damaged file is never trusted for a size: truncated, a bad magic, a
 * header claiming 2^32 groups, garbage slots - each is rebuilt (or its
 * garbage ignored), no crash, the cache works after.  A file that is not
 * ours or not a plain file is refused.
 */
static void
test_rcache_file_hostile(void)
{
	char dir[] = "/tmp/test_rcache.XXXXXX", path[64], other[80], err[256];
	struct rcache *rc = NULL, *rc2 = NULL;
	struct rcache_key k = {"a@R", "s@R", NOW, 0, (const uint8_t *)"x", 1};
	uint8_t junk[64 * 24];
	struct stat st;
	size_t i, stored;
	int fd;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/rc", dir);
	EXPECT(rcache_file_open(path, 64, &rc, err, sizeof(err)) == ORTH_OK);
	if (rc == NULL)
		return;
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	/* truncated in the middle of the slots: rebuilt empty */
	EXPECT(truncate(path, 1000) == 0);
	EXPECT_EQ_INT(rcache_count(rc, NOW), 0);
	EXPECT(stat(path, &st) == 0 && st.st_size == 64 + 64 * 24);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	/* shorter than a header */
	EXPECT(truncate(path, 10) == 0);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	/* a bad magic */
	file_poke(path, 0, "XXXX", 4);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	/* a header that claims 2^32 - 1 groups, or one more than there are */
	file_poke(path, 12, "\xff\xff\xff\xff", 4);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	file_poke(path, 12, "\x00\x00\x00\x02", 4);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	EXPECT(stat(path, &st) == 0 && st.st_size == 64 + 64 * 24);
	/* another process's key (the file rebuilt elsewhere): followed */
	EXPECT(rcache_file_open(path, 64, &rc2, NULL, 0) == ORTH_OK);
	EXPECT_EQ_INT(rcache_put(rc2, &k, 300, NOW), ORTH_E_REPLAY);
	file_poke(path, 20, "\x01\x02\x03\x04", 4);
	EXPECT_EQ_INT(rcache_put(rc2, &k, 300, NOW), ORTH_OK);
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_E_REPLAY);
	rcache_free(rc2);
	rc2 = NULL;
	/* garbage slots with expiries far ahead cannot pin the group: a
	 * client still gets its 8 */
	for (i = 0; i < 64; i++) {
		uint64_t far = (uint64_t)NOW + 10 * 86400;
		memset(junk + i * 24, 0x5a, 16);
		for (int b = 0; b < 8; b++)
			junk[i * 24 + 16 + b] = (uint8_t)(far >> (8 * b));
	}
	file_poke(path, 64, junk, sizeof(junk));
	k.client = "b@R";
	for (i = 0, stored = 0; i < 20; i++) {
		k.cusec = (int32_t)(100 + i);
		if (rcache_put(rc, &k, 300, NOW) == ORTH_OK)
			stored++;
	}
	EXPECT_EQ_INT(stored, 8);
	/* random garbage: whatever it says, no crash, and no live garbage
	 * beyond the plausible */
	srand(11);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	file_poke(path, 64, junk, sizeof(junk));
	k.client = "c@R";
	EXPECT_EQ_INT(rcache_put(rc, &k, 300, NOW), ORTH_OK);
	EXPECT(rcache_count(rc, NOW) <= 2);
	rcache_free(rc);
	rc = NULL;

	/* refused: a symlink, a directory, a second link, another owner */
	snprintf(other, sizeof(other), "%s/link", dir);
	EXPECT(symlink(path, other) == 0);
	EXPECT_EQ_INT(rcache_file_open(other, 64, &rc, err, sizeof(err)), ORTH_E_IO);
	EXPECT(strstr(err, "symlink") != NULL);
	unlink(other);
	EXPECT_EQ_INT(rcache_file_open(dir, 64, &rc, err, sizeof(err)), ORTH_E_IO);
	EXPECT(link(path, other) == 0);
	EXPECT_EQ_INT(rcache_file_open(path, 64, &rc, err, sizeof(err)), ORTH_E_IO);
	EXPECT(strstr(err, "links") != NULL);
	unlink(other);
	/* a group-readable file of ours is made private again */
	EXPECT(chmod(path, 0644) == 0);
	EXPECT(rcache_file_open(path, 64, &rc, err, sizeof(err)) == ORTH_OK);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	rcache_free(rc);
	rc = NULL;
	if (geteuid() == 0) {
		EXPECT(chown(path, 1, 1) == 0);
		EXPECT_EQ_INT(rcache_file_open(path, 64, &rc, err, sizeof(err)), ORTH_E_IO);
		EXPECT(strstr(err, "owned by uid 1") != NULL);
	}
	/* a missing directory */
	EXPECT_EQ_INT(rcache_file_open("/nonexistent/rc", 64, &rc, err, sizeof(err)), ORTH_E_IO);
	EXPECT(rc == NULL);
	/* names */
	EXPECT_EQ_INT(rcache_open("none:", &rc, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(rcache_open("file2:/tmp/x", &rc, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(rcache_open("MEMORY:", &rc, err, sizeof(err)) == ORTH_OK);
	rcache_free(rc);
	rc = NULL;
	snprintf(other, sizeof(other), "FILE:%s/named", dir);
	EXPECT(rcache_open(other, &rc, err, sizeof(err)) == ORTH_OK);
	rcache_free(rc);
	rc = NULL;
	snprintf(other, sizeof(other), "%s/named", dir);
	EXPECT(unlink(other) == 0);
	EXPECT(setenv("KRB5RCACHEDIR", dir, 1) == 0);
	EXPECT(setenv("KRB5RCACHENAME", "dfl:", 1) == 0);
	EXPECT(rcache_open(NULL, &rc, err, sizeof(err)) == ORTH_OK);
	rcache_free(rc);
	rc = NULL;
	snprintf(other, sizeof(other), "%s/orthrus_%ld.rcache", dir, (long)geteuid());
	EXPECT(unlink(other) == 0);
	unsetenv("KRB5RCACHENAME");
	unsetenv("KRB5RCACHEDIR");
	fd = open(path, O_RDONLY);
	EXPECT(fd >= 0);
	if (fd >= 0)
		close(fd);
	unlink(path);
	EXPECT(rmdir(dir) == 0);
}

/* Hostile bytes: every truncation, every single-byte flip, garbage. */
static void
test_hostile(void)
{
	struct tkt_spec s = good_spec();
	struct apreq_opts o = {.subkey = true, .seq_number = true};
	struct apreq_verify_params p = params(kt, 3, NULL);
	struct apreq_result r;
	uint8_t *req, *copy, garbage[512];
	size_t len, i, ok_flips = 0, n_ok_trunc = 0;
	orth_err e;

	make_req(&s, &alice, &o, &req, &len, NULL);
	EXPECT_EQ_INT(apreq_verify(&p, req, len, &A, &r), ORTH_OK);
	apreq_result_free(&r);
	copy = malloc(len);
	memcpy(copy, req, len);
	req = arena_dup(&P, copy, len);
	arena_reset(&A);
	for (i = 0; i < len; i++) {
		memcpy(copy, req, len);
		e = apreq_verify(&p, copy, i, &A, &r);
		if (e == ORTH_OK) {
			n_ok_trunc++;
			apreq_result_free(&r);
		}
		arena_reset(&A);
	}
	EXPECT_EQ_INT(n_ok_trunc, 0);
	for (i = 0; i < len; i++) {
		memcpy(copy, req, len);
		copy[i] ^= 0x5a;
		e = apreq_verify(&p, copy, len, &A, &r);
		if (e == ORTH_OK) {
			ok_flips++;
			apreq_result_free(&r);
		}
		arena_reset(&A);
	}
	/* Only unprotected bytes may change without refusal (ap-options,
	 * the kvno when another key would be tried ...): a handful. */
	fprintf(stderr, "hostile: %zu of %zu single-byte flips still accepted\n",
		ok_flips, len);
	EXPECT(ok_flips < 8);
	srand(7);
	for (i = 0; i < 2000; i++) {
		size_t n = (size_t)rand() % sizeof(garbage), j;
		for (j = 0; j < n; j++)
			garbage[j] = (uint8_t)rand();
		if (n > 0 && (i & 1))
			garbage[0] = 0x6e;  /* [APPLICATION 14] */
		EXPECT(apreq_verify(&p, garbage, n, &A, &r) != ORTH_OK);
		arena_reset(&A);
	}
	EXPECT(apreq_verify(&p, NULL, 0, &A, &r) != ORTH_OK);
	free(copy);
}

/* The public API: keytab from a file, replay cache inside the acceptor. */
static void
test_public(void)
{
	char dir[] = "/tmp/test_apreq.XXXXXX", path[64];
	struct tkt_spec s = good_spec();
	struct apreq_opts o = {.ap_options = AP_OPT_MUTUAL_REQUIRED, .subkey = true};
	struct orthrus_acceptor *acc = NULL;
	struct orthrus_login *login = NULL;
	struct apreq_state st;
	struct aprep_result rr;
	uint8_t *req, *rep = NULL;
	size_t req_len, rep_len = 0, klen;
	const uint8_t *kb;
	int32_t et;

	EXPECT(mkdtemp(dir) != NULL);
	/* the shared replay cache goes there, not to /var/tmp */
	EXPECT(setenv("KRB5RCACHEDIR", dir, 1) == 0);
	snprintf(path, sizeof(path), "%s/kt", dir);
	EXPECT(keytab_append(path, kt, 3) == ORTH_OK);
	EXPECT(orthrus_acceptor_open(path, "HTTP/other.example.org@" REALM, &acc) == ORTH_OK);
	int32_t usec;
	proto_now(&o.now, &usec);  /* the real clock: the acceptor uses it */
	s.authtime = 0;
	s.endtime = 0x7fffffff;
	make_req(&s, &alice, &o, &req, &req_len, &st);
	EXPECT_EQ_INT(orthrus_acceptor_verify(acc, req, req_len, &login),
		      ORTH_E_KRB(KRB_AP_ERR_NOT_US));
	EXPECT(strstr(orthrus_acceptor_last_error(acc), "not HTTP/other") != NULL);
	orthrus_acceptor_close(acc);
	EXPECT(orthrus_acceptor_open(path, "HTTP/www.example.org@" REALM, &acc) == ORTH_OK);
	EXPECT_EQ_INT(orthrus_acceptor_verify(acc, req, req_len, &login), ORTH_OK);
	if (login != NULL) {
		EXPECT(strcmp(orthrus_login_client(login), "alice@" REALM) == 0);
		EXPECT(orthrus_login_mutual(login));
		orthrus_login_key(login, &et, &kb, &klen);
		EXPECT(klen == 32 && st.subkey != NULL &&
		       memcmp(kb, crypto_key_bytes(st.subkey, &klen), 32) == 0);
		EXPECT(orthrus_login_aprep(login, &rep, &rep_len) == ORTH_OK);
		EXPECT_EQ_INT(aprep_verify(&st, rep, rep_len, &A, &rr), ORTH_OK);
		aprep_result_free(&rr);
		free(rep);
		orthrus_login_free(login);
	}
	EXPECT_EQ_INT(orthrus_acceptor_verify(acc, req, req_len, &login),
		      ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	EXPECT(strcmp(orthrus_service_err_str(ORTH_E_KRB(KRB_AP_ERR_REPEAT)),
		      "Request is a replay") == 0);
	orthrus_acceptor_close(acc);
	EXPECT_EQ_INT(orthrus_acceptor_open("/nonexistent/kt", NULL, &acc), ORTH_E_NOTFOUND);
	/* the cache is chosen by name too */
	EXPECT(orthrus_acceptor_open(path, NULL, &acc) == ORTH_OK);
	EXPECT_EQ_INT(orthrus_acceptor_set_rcache(acc, "none:"), ORTH_E_CONFIG);
	EXPECT(strstr(orthrus_acceptor_last_error(acc), "unknown type") != NULL);
	EXPECT(orthrus_acceptor_set_rcache(acc, "MEMORY:") == ORTH_OK);
	EXPECT_EQ_INT(orthrus_acceptor_verify(acc, req, req_len, &login), ORTH_OK);
	orthrus_login_free(login);
	EXPECT_EQ_INT(orthrus_acceptor_verify(acc, req, req_len, &login),
		      ORTH_E_KRB(KRB_AP_ERR_REPEAT));
	orthrus_acceptor_close(acc);
	apreq_state_free(&st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/orthrus_%ld.rcache", dir, (long)geteuid());
	EXPECT(unlink(path) == 0);
	EXPECT(rmdir(dir) == 0);
	unsetenv("KRB5RCACHEDIR");
}

/*
 * Issue 14 defect 6: the replay cache of orthrus_acceptor is shared by the
 * processes of a service.  NPROC processes (forked from one that opened
 * its acceptor first, and as many that open their own) verify the same
 * AP-REQ at the same moment: exactly one accepts, every other gets
 * KRB_AP_ERR_REPEAT.  The cache lives in $KRB5RCACHEDIR (a temporary
 * directory here).
 */
#define NPROC 6

static int
child_verify(struct orthrus_acceptor *acc, const char *kt_path, int go_fd,
	     const uint8_t *req, size_t len)
{
	struct orthrus_login *login = NULL;
	orth_err e;
	char c;

	if (acc == NULL && orthrus_acceptor_open(kt_path, NULL, &acc) != ORTH_OK)
		return 3;
	if (read(go_fd, &c, 1) != 1)
		return 4;
	e = orthrus_acceptor_verify(acc, req, len, &login);
	orthrus_login_free(login);
	orthrus_acceptor_close(acc);
	if (e == ORTH_OK)
		return 0;
	return e == ORTH_E_KRB(KRB_AP_ERR_REPEAT) ? 1 : 2;
}

static void
test_public_shared(void)
{
	char dir[] = "/tmp/test_apreq_rc.XXXXXX", path[64];
	struct tkt_spec s = good_spec();
	struct apreq_opts o = {0};
	struct orthrus_acceptor *acc = NULL;
	uint8_t *req;
	size_t req_len;
	int32_t usec;
	int round, i, go[2], st, accepted, replays, other;
	pid_t pids[NPROC];

	EXPECT(mkdtemp(dir) != NULL);
	EXPECT(setenv("KRB5RCACHEDIR", dir, 1) == 0);
	snprintf(path, sizeof(path), "%s/kt", dir);
	EXPECT(keytab_append(path, kt, 3) == ORTH_OK);
	s.authtime = 0;
	s.endtime = 0x7fffffff;
	for (round = 0; round < 2; round++) {
		/* round 0: one acceptor opened before fork; round 1: each
		 * process opens its own */
		if (round == 0)
			EXPECT(orthrus_acceptor_open(path, NULL, &acc) == ORTH_OK);
		proto_now(&o.now, &usec);
		make_req(&s, &alice, &o, &req, &req_len, NULL);
		EXPECT(pipe(go) == 0);
		for (i = 0; i < NPROC; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				close(go[1]);
				_exit(child_verify(acc, path, go[0], req, req_len));
			}
		}
		close(go[0]);
		/* all at once */
		for (i = 0; i < NPROC; i++)
			EXPECT(write(go[1], "g", 1) == 1);
		close(go[1]);
		accepted = replays = other = 0;
		for (i = 0; i < NPROC; i++) {
			EXPECT(waitpid(pids[i], &st, 0) == pids[i]);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				accepted++;
			else if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
				replays++;
			else
				other++;
		}
		fprintf(stderr, "shared rcache, round %d: %d accepted, %d replays, %d other\n",
			round, accepted, replays, other);
		EXPECT_EQ_INT(accepted, 1);
		EXPECT_EQ_INT(replays, NPROC - 1);
		EXPECT_EQ_INT(other, 0);
		orthrus_acceptor_close(acc);
		acc = NULL;
		arena_reset(&A);
	}
	unlink(path);
	{
		/* whatever the cache left in the directory */
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		EXPECT(system(cmd) == 0);
	}
	unsetenv("KRB5RCACHEDIR");
}

static void
test_errstr(void)
{
	EXPECT(strcmp(apreq_err_str(ORTH_E_KRB(KRB_AP_ERR_REPEAT)), "Request is a replay") == 0);
	EXPECT(strcmp(apreq_err_str(ORTH_E_KRB(KRB_AP_ERR_TKT_EXPIRED)), "Ticket expired") == 0);
	EXPECT(strcmp(apreq_err_str(ORTH_E_MALFORMED), "malformed input") == 0);
	EXPECT(apreq_err_str(ORTH_E_KRB(99)) != NULL);
	EXPECT_EQ_INT(proto_err_to_krb(ORTH_E_KRB(KRB_AP_ERR_NOT_US)), 35);
}

int
main(void)
{
	const char *c_svc[] = {"HTTP", "www.example.org"};
	const char *c_svc2[] = {"HTTP", "other.example.org"};
	const char *c_alice[] = {"alice"};
	const char *c_mallory[] = {"mallory"};

	EXPECT(crypto_init() == ORTH_OK);
	EXPECT(arena_init(&A, 1 << 20) == ORTH_OK);
	EXPECT(arena_init(&P, 1 << 16) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_SRV_HST, 2, c_svc, &svc) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_SRV_HST, 2, c_svc2, &svc2) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_PRINCIPAL, 1, c_alice, &alice) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_PRINCIPAL, 1, c_mallory, &mallory) == ORTH_OK);
	memset(svc_key1, 0x11, 32);
	memset(svc_key2, 0x22, 32);
	memset(sess_bytes, 0x33, 32);
	keytab_setup();
	test_accept();
	test_refusals();
	test_transited();
	test_replay();
	test_rcache_limits();
	test_rcache_flood();
	test_rcache_file_processes();
	test_rcache_file_threads();
	test_rcache_file_hostile();
	test_errstr();
	test_public();
	test_public_shared();
	test_hostile();
	arena_free(&A);
	arena_free(&P);
	return test_done("apreq");
}
