/*
 * test_kdc_keys.c - which long-term keys the KDC uses, end to end through
 * kdc_handle() over the fixture realm (kdc_fixture.h):
 *
 *   current_keys   pre-authentication and the AS reply key use only the
 *                  current (highest kvno) key set; older key sets only
 *                  decrypt tickets that name their kvno
 *   cache_change   the worker's key cache sees a key replaced under the
 *                  same kvno (delete + add) at the next request
 *   cache_many     more principals than cache slots
 *   cache_bound    a key sealed bound to its entry (every key written
 *                  since record version 3) is kept in the worker's cache:
 *                  the next request finds the same key object
 *   session_cache  a TGT's session key is kept across requests: the same
 *                  bytes give the same key object, other bytes or another
 *                  enctype another; more keys than the cache holds still
 *                  each give their own
 *   ticket_etype   the ticket is sealed in the server's strongest key; the
 *                  client's etype list picks only the session key
 *   renewable      RENEWABLE is honoured when renew-till is not after the
 *                  end time (AS and TGS)
 *   year_9999      no time in a ticket beyond 9999-12-31T23:59:59Z
 *
 * The clock is fixed, so the key cache's old TTL could never hide a stale
 * key here: what is checked is the key the cache is keyed by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "kdc/kdc_int.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/padata.h"

#define T0 1795645609            /* the fixed clock (2026-11-26) */
#define H 3600
#define TIME_MAX 253402300799LL  /* 9999-12-31T23:59:59Z */
#define TGS_NAME "krbtgt/TEST.REALM"

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];

/* What a test changes in an AS-REQ body after the fixture built it (the
 * body is not covered by PA-ENC-TIMESTAMP, so it may be edited). */
struct body_edit {
	bool set_from;
	int64_t from;
	int64_t till;                 /* absolute; 0: leave */
	bool set_rtime;
	int64_t rtime;
};

/* A request over TCP; returns the reply's length. */
static size_t
send_req(const uint8_t *req, size_t len)
{
	return kdc_fixture_send(&fx, NULL, req, len, rep, sizeof(rep));
}

/* The KRB-ERROR code of a reply, 0 for a KDC-REP, -1 otherwise; *ed_out
 * (may be NULL) the error's e-data. */
static int
reply_code(size_t n, struct der_bytes **ed_out)
{
	return kdc_fixture_reply_code(&A, rep, n, ed_out);
}

/* Re-encode the AS-REQ *req with edit applied. */
static orth_err
body_apply(const struct body_edit *edit, uint8_t **req, size_t *len)
{
	orth_err ret;
	AS_REQ q;
	int64_t *from, *rtime;

	memset(&q, 0, sizeof(q));
	from = arena_alloc(&A, sizeof(*from));
	rtime = arena_alloc(&A, sizeof(*rtime));
	CHECK(from != NULL && rtime != NULL, ORTH_E_LIMIT);
	TRY(der_decode(&asn1_AS_REQ, *req, *len, &A, &q));
	if (edit->set_from) {
		*from = edit->from;
		q.req_body.from = from;
	}
	if (edit->till != 0)
		q.req_body.till = edit->till;
	if (edit->set_rtime) {
		*rtime = edit->rtime;
		q.req_body.rtime = rtime;
	}
	TRY(der_encode_arena(&asn1_AS_REQ, &q, &A, req, len));
cleanup:
	return ret;
}

/*
 * AS exchange: PA-ENC-TIMESTAMP under client's key of kenc from pw, the
 * request's etype list from kdc_fixture_set_etypes(); *cred filled on
 * success (its key owned by the caller).  Returns the error code, 0 for
 * an AS-REP, <0 when the test could not build or open it.
 */
static int
as(const char *client, const char *pw, int32_t kenc, const char *svc, uint32_t opts,
   const struct body_edit *edit, struct kdc_fixture_cred *cred, struct der_bytes **ed_out)
{
	uint8_t *req;
	size_t len, n;
	struct crypto_key *k = NULL;
	int code;

	memset(cred, 0, sizeof(*cred));
	if (kdc_fixture_client_key(&fx, &A, client, pw, kenc, &k) != ORTH_OK)
		return -2;
	if (kdc_fixture_as_req(&fx, &A, client, svc, opts, 0, 0, k, &req, &len) != ORTH_OK ||
	    (edit != NULL && body_apply(edit, &req, &len) != ORTH_OK)) {
		crypto_key_free(k);
		return -2;
	}
	n = send_req(req, len);
	code = reply_code(n, ed_out);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, k, cred) != ORTH_OK)
		code = -3;
	crypto_key_free(k);
	return code;
}

static int
tgs(const struct kdc_fixture_cred *tgt, const char *svc, uint32_t opts,
    struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	int code;

	memset(cred, 0, sizeof(*cred));
	if (kdc_fixture_tgs_req(&fx, &A, tgt, svc, opts, 0, NULL, &req, &len) != ORTH_OK)
		return -2;
	n = send_req(req, len);
	code = reply_code(n, NULL);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, tgt->key, cred) != ORTH_OK)
		code = -3;
	return code;
}

static uint32_t
ticket_kvno(const struct kdc_fixture_cred *c)
{
	return c->ticket.enc_part.kvno != NULL ? *c->ticket.enc_part.kvno : 0;
}

static int32_t
session_etype(const struct kdc_fixture_cred *c)
{
	return c->key != NULL ? crypto_key_enctype(c->key) : -1;
}

/* The first ETYPE-INFO2 entry's etype in a PREAUTH_REQUIRED e-data. */
static int32_t
hint_etype(const struct der_bytes *ed)
{
	METHOD_DATA md;
	ETYPE_INFO2 ei;
	const PA_DATA *pa;

	memset(&md, 0, sizeof(md));
	memset(&ei, 0, sizeof(ei));
	if (ed == NULL || der_decode(&asn1_METHOD_DATA, ed->data, ed->len, &A, &md) != ORTH_OK)
		return -1;
	pa = proto_padata_find(&md, KRB5_PADATA_ETYPE_INFO2);
	if (pa == NULL || der_decode(&asn1_ETYPE_INFO2, pa->padata_value.data,
				     pa->padata_value.len, &A, &ei) != ORTH_OK ||
	    ei.len == 0)
		return -1;
	return ei.val[0].etype;
}

static void
cred_free(struct kdc_fixture_cred *c)
{
	crypto_key_free(c->key);
	c->key = NULL;
}

/*
 * Defect 1: after `set-password --enctypes aes256-cts-hmac-sha384-192`
 * the old aes256-sha1 key set is kept for tickets, but the old password
 * must not pre-authenticate through it.
 */
static void
test_current_keys(void)
{
	static const int32_t e20[] = {20};
	struct kdc_fixture_cred c, tgt, svc;
	struct der_bytes *ed = NULL;
	uint8_t *req;
	size_t len;

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "erin", "old-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	EXPECT_EQ_INT(as("erin", "old-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL), 0);
	cred_free(&c);
	EXPECT_EQ_INT(kdc_fixture_set_password(&fx, "erin", "new-Pa55", e20, 1, 3), ORTH_OK);

	/* the old password, in the enctype only the old key set has */
	EXPECT_EQ_INT(as("erin", "old-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL),
		      KDC_ERR_ETYPE_NOSUPP);
	cred_free(&c);
	/* the old password in the current enctype */
	EXPECT_EQ_INT(as("erin", "old-Pa55", 20, TGS_NAME, 0, NULL, &c, NULL),
		      KDC_ERR_PREAUTH_FAILED);
	/* the new one works, and the reply is sealed in the current key */
	EXPECT_EQ_INT(as("erin", "new-Pa55", 20, TGS_NAME, 0, NULL, &c, NULL), 0);
	cred_free(&c);
	/* the hint names the current key set's enctype */
	EXPECT(kdc_fixture_as_req(&fx, &A, "erin", TGS_NAME, 0, 0, 0, NULL, &req, &len) ==
	       ORTH_OK);
	EXPECT_EQ_INT(reply_code(send_req(req, len), &ed), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT_EQ_INT(hint_etype(ed), 20);

	/* The krbtgt changes keys: a TGT naming the old kvno still decrypts,
	 * new tickets are sealed in the current key set. */
	EXPECT_EQ_INT(as("erin", "new-Pa55", 20, TGS_NAME, 0, NULL, &tgt, NULL), 0);
	EXPECT_EQ_INT(ticket_kvno(&tgt), 1);
	EXPECT_EQ_INT(tgt.ticket.enc_part.etype, 18);
	EXPECT_EQ_INT(kdc_fixture_set_password(&fx, TGS_NAME, "krbtgt-next", e20, 1, 3),
		      ORTH_OK);
	EXPECT_EQ_INT(tgs(&tgt, "host/keys.test", 0, &svc), 0);
	cred_free(&svc);
	EXPECT_EQ_INT(tgs(&tgt, TGS_NAME, 0, &c), 0);
	EXPECT_EQ_INT(ticket_kvno(&c), 2);
	EXPECT_EQ_INT(c.ticket.enc_part.etype, 20);
	cred_free(&c);
	EXPECT_EQ_INT(as("erin", "new-Pa55", 20, TGS_NAME, 0, NULL, &c, NULL), 0);
	EXPECT_EQ_INT(ticket_kvno(&c), 2);
	EXPECT_EQ_INT(c.ticket.enc_part.etype, 20);
	cred_free(&c);
	cred_free(&tgt);
	/* back to all four enctypes for the tests that follow */
	EXPECT_EQ_INT(kdc_fixture_set_password(&fx, TGS_NAME, "krbtgt-TEST.REALM",
					       fx.realm.supported_enctypes,
					       fx.realm.n_enctypes, 3),
		      ORTH_OK);
}

/*
 * Defect 6: delete + add under the same kvno 1 with a new password: the
 * next request sees the new key (the clock stands still, so no ageing can
 * help).
 */
static void
test_cache_change(void)
{
	struct kdc_fixture_cred c;

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "frank", "first-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	EXPECT_EQ_INT(as("frank", "first-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL), 0);
	cred_free(&c);
	EXPECT_EQ_INT(kdc_fixture_delete(&fx, "frank"), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "frank", "second-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	EXPECT_EQ_INT(as("frank", "second-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL), 0);
	cred_free(&c);
	EXPECT_EQ_INT(as("frank", "first-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL),
		      KDC_ERR_PREAUTH_FAILED);
	cred_free(&c);

	/* a service re-keyed under the same kvno: its tickets are sealed in
	 * the new key at once (the old key would not open them) */
	EXPECT_EQ_INT(kdc_fixture_delete(&fx, "host/keys.test"), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "host/keys.test", "svc-second", 0), ORTH_OK);
	EXPECT_EQ_INT(as("frank", "second-Pa55", 18, "host/keys.test", 0, NULL, &c, NULL), 0);
	if (c.key != NULL) {
		struct crypto_key *sk = NULL;
		EncTicketPart et;

		memset(&et, 0, sizeof(et));
		EXPECT(kdc_fixture_client_key(&fx, &A, "host/keys.test", "svc-second", 18,
					      &sk) == ORTH_OK);
		EXPECT(proto_unseal(sk, KU_TICKET, &c.ticket.enc_part, &asn1_EncTicketPart, &A,
				    &et) == ORTH_OK);
		crypto_key_free(sk);
	}
	cred_free(&c);
}

/* More principals than the cache has slots: each still gets its own key. */
static void
test_cache_many(void)
{
	struct kdc_fixture_cred c;
	char name[32], pw[32];
	int ok = 0;

	for (int round = 0; round < 2; round++)
		for (int i = 0; i < KDC_KEYCACHE_SLOTS + 8; i++) {
			snprintf(name, sizeof(name), "many%02d", i);
			snprintf(pw, sizeof(pw), "many-%02d-Pa55", i);
			if (round == 0 && kdc_fixture_add(&fx, name, pw, 0) != ORTH_OK)
				continue;
			if (as(name, pw, i % 2 ? 17 : 18, TGS_NAME, 0, NULL, &c, NULL) == 0)
				ok++;
			cred_free(&c);
		}
	EXPECT_EQ_INT(ok, 2 * (KDC_KEYCACHE_SLOTS + 8));
	/* and a wrong password is still wrong after all that */
	EXPECT_EQ_INT(as("many00", "many-01-Pa55", 18, TGS_NAME, 0, NULL, &c, NULL),
		      KDC_ERR_PREAUTH_FAILED);
}

/*
 * The cache used to hold only keys whose stored form fits 72 bytes: a
 * bound aes256 key is 82 (16 confounder + 54 + 12 MAC), so every request
 * decrypted the krbtgt and service keys again and derived their usage keys
 * anew.  Two lookups in two requests must give the same key object.
 */
static void
test_cache_bound(void)
{
	struct db_entry e;
	struct crypto_key *k1 = NULL, *k2 = NULL, *k3 = NULL;

	EXPECT_EQ_INT(db_principal_get(fx.db, "host/keys.test@TEST.REALM", &A, &e), ORTH_OK);
	EXPECT(e.nkeysets > 0 && e.keysets[0].nkeys > 0 &&
	       e.keysets[0].keys[0].seal == DB_SEAL_BOUND);
	fx.ctx->serial++;
	EXPECT_EQ_INT(kdc_key_get(fx.ctx, &e, 18, 0, &k1, NULL, NULL), ORTH_OK);
	fx.ctx->serial++;
	EXPECT_EQ_INT(kdc_key_get(fx.ctx, &e, 18, 0, &k2, NULL, NULL), ORTH_OK);
	EXPECT(k1 != NULL && k1 == k2);
	/* another enctype of the same entry is another key */
	EXPECT_EQ_INT(kdc_key_get(fx.ctx, &e, 17, 0, &k3, NULL, NULL), ORTH_OK);
	EXPECT(k3 != NULL && k3 != k1);
	EXPECT_EQ_INT(crypto_key_enctype(k3), 17);
}

static void
test_session_cache(void)
{
	uint8_t b1[32], b2[32];
	EncryptionKey e1 = {18, {b1, 32}}, e2 = {18, {b2, 32}}, e3 = {17, {b1, 16}};
	EncryptionKey bad = {18, {b1, 16}};
	struct crypto_key *k1 = NULL, *k1b = NULL, *k2 = NULL, *k3 = NULL, *k = NULL;
	size_t len = 0;
	int wrong = 0;

	memset(b1, 0x11, sizeof(b1));
	memset(b2, 0x11, sizeof(b2));
	b2[31] = 0x12; /* differs in the last byte only */
	fx.ctx->serial++;
	EXPECT_EQ_INT(kdc_session_key_get(fx.ctx, &e1, &k1), ORTH_OK);
	fx.ctx->serial++;
	EXPECT_EQ_INT(kdc_session_key_get(fx.ctx, &e1, &k1b), ORTH_OK);
	EXPECT(k1 != NULL && k1 == k1b);
	EXPECT_EQ_INT(kdc_session_key_get(fx.ctx, &e2, &k2), ORTH_OK);
	EXPECT(k2 != NULL && k2 != k1);
	EXPECT(k2 != NULL && memcmp(crypto_key_bytes(k2, &len), b2, 32) == 0);
	EXPECT_EQ_INT(kdc_session_key_get(fx.ctx, &e3, &k3), ORTH_OK);
	EXPECT(k3 != NULL && k3 != k1 && crypto_key_enctype(k3) == 17);
	/* negative: a key of the wrong length for its enctype, an unknown
	 * enctype */
	EXPECT(kdc_session_key_get(fx.ctx, &bad, &k) != ORTH_OK);
	bad.keytype = 23;
	EXPECT(kdc_session_key_get(fx.ctx, &bad, &k) != ORTH_OK);
	/* many more keys than slots, over many requests: each lookup gives
	 * a key with the bytes asked for */
	for (unsigned i = 0; i < 3 * KDC_SESSKEY_SETS * KDC_SESSKEY_WAYS; i++) {
		uint8_t b[32];
		EncryptionKey e = {18, {b, 32}};

		memset(b, 0, sizeof(b));
		memcpy(b, &i, sizeof(i));
		fx.ctx->serial++;
		k = NULL;
		if (kdc_session_key_get(fx.ctx, &e, &k) != ORTH_OK || k == NULL ||
		    memcmp(crypto_key_bytes(k, &len), b, 32) != 0)
			wrong++;
	}
	EXPECT_EQ_INT(wrong, 0);
}

/*
 * Defect 12: a client listing aes128 first gets an aes128 session key, but
 * the ticket is sealed in the server's strongest key (the realm's order:
 * 18, 17, 20, 19), as MIT's KDC does.
 */
static void
test_ticket_etype(void)
{
	static const int32_t l17_18[] = {17, 18}, l20[] = {20};
	static const int32_t e17_20[] = {17, 20}, e20[] = {20};
	struct kdc_fixture_cred tgt, c;

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "gina", "gina-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "host/e17e20.test", NULL, 0), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_set_password(&fx, "host/e17e20.test", NULL, e17_20, 2, 0),
		      ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_add(&fx, "host/e20.test", NULL, 0), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_set_password(&fx, "host/e20.test", NULL, e20, 1, 0),
		      ORTH_OK);

	kdc_fixture_set_etypes(l17_18, 2);
	EXPECT_EQ_INT(as("gina", "gina-Pa55", 17, TGS_NAME, 0, NULL, &tgt, NULL), 0);
	EXPECT_EQ_INT(session_etype(&tgt), 17);
	EXPECT_EQ_INT(tgt.ticket.enc_part.etype, 18);
	if (tgt.key != NULL) {
		EXPECT_EQ_INT(tgs(&tgt, "host/keys.test", 0, &c), 0);
		EXPECT_EQ_INT(session_etype(&c), 17);
		EXPECT_EQ_INT(c.ticket.enc_part.etype, 18);
		cred_free(&c);
		/* the server's strongest is the first of the realm's list it has */
		kdc_fixture_set_etypes(l20, 1);
		EXPECT_EQ_INT(tgs(&tgt, "host/e17e20.test", 0, &c), 0);
		EXPECT_EQ_INT(session_etype(&c), 20);
		EXPECT_EQ_INT(c.ticket.enc_part.etype, 17);
		EXPECT_EQ_INT(ticket_kvno(&c), 2);
		cred_free(&c);
		/* a session key the server has no key of is not offered */
		kdc_fixture_set_etypes(l17_18, 2);
		EXPECT_EQ_INT(tgs(&tgt, "host/e20.test", 0, &c), KDC_ERR_ETYPE_NOSUPP);
	}
	/* AS for a service: the same split */
	kdc_fixture_set_etypes(l20, 1);
	EXPECT_EQ_INT(as("gina", "gina-Pa55", 20, "host/e17e20.test", 0, NULL, &c, NULL), 0);
	EXPECT_EQ_INT(session_etype(&c), 20);
	EXPECT_EQ_INT(c.ticket.enc_part.etype, 17);
	cred_free(&c);
	kdc_fixture_set_etypes(l17_18, 2);
	EXPECT_EQ_INT(as("gina", "gina-Pa55", 18, "host/e20.test", 0, NULL, &c, NULL),
		      KDC_ERR_ETYPE_NOSUPP);
	kdc_fixture_set_etypes(NULL, 0);
	cred_free(&tgt);
}

/*
 * Defect 13: `kinit -l 10h -r 10h`: RENEWABLE with renew-till equal to the
 * end time still gives a renewable ticket (RFC 4120 §5.4.1; MIT's KDC
 * does), and so does a TGS-REQ from that TGT.
 */
static void
test_renewable(void)
{
	struct body_edit e = {0};
	struct kdc_fixture_cred tgt, c;

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "hugo", "hugo-Pa55", DB_ATTR_REQUIRES_PREAUTH),
		      ORTH_OK);
	e.till = T0 + 10 * H;
	e.set_rtime = true;
	e.rtime = T0 + 10 * H;
	EXPECT_EQ_INT(as("hugo", "hugo-Pa55", 18, TGS_NAME, KDC_OPT_RENEWABLE, &e, &tgt, NULL),
		      0);
	EXPECT(tgt.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(tgt.endtime, T0 + 10 * H);
	EXPECT_EQ_INT(tgt.renew_till, T0 + 10 * H);
	/* a renew-till before the end time is kept as asked (as MIT's KDC) */
	e.rtime = T0 + 5 * H;
	EXPECT_EQ_INT(as("hugo", "hugo-Pa55", 18, TGS_NAME, KDC_OPT_RENEWABLE, &e, &c, NULL), 0);
	EXPECT(c.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(c.renew_till, T0 + 5 * H);
	cred_free(&c);
	/* RENEWABLE-OK alone is still dropped when the end time is not cut */
	EXPECT_EQ_INT(as("hugo", "hugo-Pa55", 18, TGS_NAME, KDC_OPT_RENEWABLE_OK, &e, &c, NULL),
		      0);
	EXPECT(!(c.flags & TKT_FLG_RENEWABLE));
	EXPECT_EQ_INT(c.renew_till, 0);
	cred_free(&c);
	if (tgt.key != NULL) {
		EXPECT_EQ_INT(tgs(&tgt, "host/keys.test", KDC_OPT_RENEWABLE, &c), 0);
		EXPECT(c.flags & TKT_FLG_RENEWABLE);
		EXPECT_EQ_INT(c.endtime, T0 + 10 * H);
		EXPECT_EQ_INT(c.renew_till, T0 + 10 * H);
		cred_free(&c);
	}
	cred_free(&tgt);
}

/*
 * Defect 11: GeneralizedTime ends with 9999: a ticket postdated into the
 * last day is renewable until its last second, one postdated into its last
 * hour ends there; one starting at that second has no period left and
 * cannot be postdated.
 */
static void
test_year_9999(void)
{
	struct body_edit e = {0};
	struct kdc_fixture_cred c;

	EXPECT_EQ_INT(kdc_fixture_add(&fx, "ida", "ida-Pa55", 0), ORTH_OK);
	e.set_from = true;
	e.from = TIME_MAX - 86399; /* 9999-12-31T00:00:00Z */
	e.set_rtime = true;
	e.rtime = 0;               /* "as long as allowed" */
	EXPECT_EQ_INT(as("ida", "ida-Pa55", 18, TGS_NAME, KDC_OPT_POSTDATED | KDC_OPT_RENEWABLE,
			 &e, &c, NULL),
		      0);
	EXPECT_EQ_INT(c.starttime, TIME_MAX - 86399);
	EXPECT_EQ_INT(c.endtime, TIME_MAX - 86399 + 10 * H);
	EXPECT_EQ_INT(c.renew_till, TIME_MAX);
	EXPECT(c.flags & TKT_FLG_POSTDATED);
	cred_free(&c);
	e.from = TIME_MAX - H;     /* its last hour: ends at the last second */
	EXPECT_EQ_INT(as("ida", "ida-Pa55", 18, TGS_NAME, KDC_OPT_POSTDATED, &e, &c, NULL), 0);
	EXPECT_EQ_INT(c.starttime, TIME_MAX - H);
	EXPECT_EQ_INT(c.endtime, TIME_MAX);
	cred_free(&c);
	e.from = TIME_MAX;
	EXPECT_EQ_INT(as("ida", "ida-Pa55", 18, TGS_NAME, KDC_OPT_POSTDATED, &e, &c, NULL),
		      KDC_ERR_CANNOT_POSTDATE);
	cred_free(&c);
}

int
main(void)
{
	if (kdc_fixture_open(&fx, "TEST.REALM", T0) != ORTH_OK ||
	    kdc_fixture_add(&fx, "host/keys.test", "svc-first", 0) != ORTH_OK ||
	    arena_init(&A, 1u << 22) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	arena_reset(&A);
	test_current_keys();
	arena_reset(&A);
	test_cache_change();
	arena_reset(&A);
	test_cache_many();
	arena_reset(&A);
	test_cache_bound();
	arena_reset(&A);
	test_session_cache();
	arena_reset(&A);
	test_ticket_etype();
	arena_reset(&A);
	test_renewable();
	arena_reset(&A);
	test_year_9999();
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_keys");
}
