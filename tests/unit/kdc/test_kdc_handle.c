/*
 * test_kdc_handle.c - the KDC's request path end to end, in process:
 * kdc_handle() over the fixture realm (kdc_fixture.h) with requests built
 * as a client would, and what must be refused.
 *
 *   test_kdc_handle                      run the checks
 *   test_kdc_handle --write-seeds DIR    also write every request to DIR
 *                                        (the seeds of fuzz/corpus/kdc_dispatch)
 *
 * The clock is fixed at the time of the MIT captures, like the fuzzer's,
 * so that the written seeds are fresh for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"

#define T0 KDC_FIXTURE_SEED_TIME

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static const char *seed_dir;

static void
seed_write(const char *name, const uint8_t *req, size_t len)
{
	kdc_fixture_seed_write(seed_dir, name, req, len);
}

/* Send req (named for the seed) as if over transport t whose replies
 * may be max_reply bytes (0: the transport's default); return the reply's
 * length. */
static size_t
send_over(enum kdc_transport t, size_t max_reply, const char *name, const uint8_t *req,
	  size_t len)
{
	struct kdc_request_info info;

	seed_write(name, req, len);
	kdc_request_info_local(&info, t, "test");
	if (max_reply != 0)
		info.max_reply = max_reply;
	return kdc_fixture_send(&fx, &info, req, len, rep, sizeof(rep));
}

static size_t
send_req(const char *name, const uint8_t *req, size_t len)
{
	return send_over(KDC_TRANSPORT_TCP, 0, name, req, len);
}

/* The first component of the sname of the KRB-ERROR in rep ("" if none). */
static const char *
error_sname(size_t n)
{
	KRB_ERROR e;

	memset(&e, 0, sizeof(e));
	if (der_decode(&asn1_KRB_ERROR, rep, n, &A, &e) != ORTH_OK ||
	    e.sname.name_string.len == 0)
		return "";
	return e.sname.name_string.val[0];
}

/* req with its body's nonce changed, the authenticator kept. */
static void
nonce_mutate(const uint8_t *req, size_t len, uint8_t **out, size_t *len_out)
{
	TGS_REQ q;

	memset(&q, 0, sizeof(q));
	*out = NULL;
	*len_out = 0;
	if (der_decode(&asn1_TGS_REQ, req, len, &A, &q) != ORTH_OK)
		return;
	q.req_body.nonce ^= 0x55;
	if (der_encode_arena(&asn1_TGS_REQ, &q, &A, out, len_out) != ORTH_OK)
		*out = NULL;
}

/* The KRB-ERROR code of a reply, 0 for a KDC-REP, -1 otherwise. */
static int
reply_code(size_t n)
{
	return kdc_fixture_reply_code(&A, rep, n, NULL);
}

/* AS exchange for client; *cred filled on success; returns the code. */
static int
as(const char *seed, const char *client, const char *pw, const char *svc, uint32_t opts,
   int32_t etype, struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	struct crypto_key *k = NULL;
	int code;

	if (kdc_fixture_client_key(&fx, &A, client, pw, etype ? etype : 18, &k) != ORTH_OK)
		return -2;
	if (kdc_fixture_as_req(&fx, &A, client, svc, opts, etype, 0, k, &req, &len) != ORTH_OK)
		return -2;
	n = send_req(seed, req, len);
	code = reply_code(n);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, k, cred) != ORTH_OK)
		code = -3;
	crypto_key_free(k);
	return code;
}

/* Send a built TGS-REQ over t and open the reply with tgt's key. */
static int
tgs_reply_over(enum kdc_transport t, const uint8_t *req, size_t len,
	       const struct kdc_fixture_cred *tgt, struct kdc_fixture_cred *cred)
{
	size_t n = send_over(t, 0, "tgs-retry", req, len);
	int code = reply_code(n);

	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, tgt->key, cred) != ORTH_OK)
		code = -3;
	return code;
}

static int
tgs(const char *seed, const struct kdc_fixture_cred *tgt, const char *svc, uint32_t opts,
    const Ticket *second, struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	int code;

	if (kdc_fixture_tgs_req(&fx, &A, tgt, svc, opts, 0, second, &req, &len) != ORTH_OK)
		return -2;
	n = send_req(seed, req, len);
	code = reply_code(n);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, tgt->key, cred) != ORTH_OK)
		code = -3;
	return code;
}

int
main(int argc, char **argv)
{
	struct kdc_fixture_cred tgt = {0}, alice = {0}, u2u = {0}, svc = {0}, x = {0};
	struct crypto_key *k = NULL;
	uint8_t *req, *req2, *first;
	size_t len, len2, n;
	static const uint8_t garbage[] = {0x6a, 0x03, 0x30, 0x01, 0x00};

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (kdc_fixture_open_dispatch(&fx) != ORTH_OK ||
	    kdc_lookaside_new(0, 0, 0, &fx.sh.lookaside) != ORTH_OK ||
	    arena_init(&A, 1u << 22) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}

	/* AS: pre-authentication */
	EXPECT(kdc_fixture_as_req(&fx, &A, "user", "krbtgt/TEST.REALM", 0, 0, 0, NULL, &req,
				  &len) == ORTH_OK);
	EXPECT_EQ_INT(reply_code(send_req("as-nopreauth", req, len)), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT_EQ_INT(as("as-wrongpw", "user", "wrong", "krbtgt/TEST.REALM", 0, 0, &x),
		      KDC_ERR_PREAUTH_FAILED);
	EXPECT_EQ_INT(as("as-preauth", "user", "userpw", "krbtgt/TEST.REALM",
			 KDC_OPT_FORWARDABLE | KDC_OPT_RENEWABLE | KDC_OPT_PROXIABLE |
				 KDC_OPT_ALLOW_POSTDATE,
			 0, &tgt),
		      0);
	EXPECT((tgt.flags & (TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH | TKT_FLG_FORWARDABLE |
			     TKT_FLG_RENEWABLE)) ==
	       (TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH | TKT_FLG_FORWARDABLE | TKT_FLG_RENEWABLE));
	EXPECT_EQ_INT(tgt.endtime, T0 + 10 * 3600);
	EXPECT_EQ_INT(tgt.renew_till, T0 + 7 * 86400);
	/* each enctype alone */
	EXPECT_EQ_INT(as("as-e17", "user", "userpw", "krbtgt/TEST.REALM", 0, 17, &x), 0);
	EXPECT(x.key != NULL && crypto_key_enctype(x.key) == 17);
	crypto_key_free(x.key);
	EXPECT_EQ_INT(as("as-e19", "user", "userpw", "krbtgt/TEST.REALM", 0, 19, &x), 0);
	EXPECT(x.key != NULL && crypto_key_enctype(x.key) == 19);
	crypto_key_free(x.key);
	EXPECT_EQ_INT(as("as-e20", "user", "userpw", "krbtgt/TEST.REALM", 0, 20, &x), 0);
	EXPECT(x.key != NULL && crypto_key_enctype(x.key) == 20);
	crypto_key_free(x.key);
	EXPECT_EQ_INT(as("as-e23", "user", "userpw", "krbtgt/TEST.REALM", 0, 23, &x),
		      -2); /* we cannot even make an rc4 key: no request */
	/* no requires-preauth: at once; disallow-forwardable: no F */
	EXPECT(kdc_fixture_as_req(&fx, &A, "alice", "krbtgt/TEST.REALM", KDC_OPT_FORWARDABLE, 0,
				  0, NULL, &req, &len) == ORTH_OK);
	n = send_req("as-alice", req, len);
	EXPECT_EQ_INT(reply_code(n), 0);
	EXPECT(kdc_fixture_client_key(&fx, &A, "alice", "alicepw", 18, &k) == ORTH_OK);
	EXPECT(kdc_fixture_rep_open(&A, rep, n, k, &alice) == ORTH_OK);
	crypto_key_free(k);
	EXPECT(alice.key != NULL && !(alice.flags & TKT_FLG_FORWARDABLE) &&
	       !(alice.flags & TKT_FLG_PRE_AUTH));
	EXPECT_EQ_INT(as("as-unknown", "nobody", "x", "krbtgt/TEST.REALM", 0, 0, &x),
		      KDC_ERR_C_PRINCIPAL_UNKNOWN);
	EXPECT_EQ_INT(as("as-service", "user", "userpw", "host/svc.test", 0, 0, &svc), 0);
	crypto_key_free(svc.key);
	svc.key = NULL;
	EXPECT_EQ_INT(as("as-badoption", "user", "userpw", "krbtgt/TEST.REALM", KDC_OPT_RENEW,
			 0, &x),
		      KDC_ERR_BADOPTION);

	/* TGS */
	if (tgt.key != NULL) {
		EXPECT_EQ_INT(tgs("tgs-svc", &tgt, "host/svc.test", KDC_OPT_FORWARDABLE, NULL,
				  &svc),
			      0);
		EXPECT(svc.flags & TKT_FLG_FORWARDABLE);
		EXPECT(!(svc.flags & TKT_FLG_INITIAL));
		/* Issue 8 defect 2: the same bytes again over TCP (MIT's retry
		 * after a lost or too big UDP reply) get the same reply; the
		 * same authenticator under another body is still a replay. */
		EXPECT(kdc_fixture_tgs_req(&fx, &A, &tgt, "host/svc.test", 0, 0, NULL, &req,
					   &len) == ORTH_OK);
		n = send_over(KDC_TRANSPORT_UDP, 0, "tgs-svc2", req, len);
		EXPECT_EQ_INT(reply_code(n), 0);
		first = arena_alloc(&A, n);
		EXPECT(first != NULL);
		if (first != NULL)
			memcpy(first, rep, n);
		EXPECT_EQ_INT(send_req("tgs-svc2-tcp-retry", req, len), n);
		EXPECT(first != NULL && memcmp(first, rep, n) == 0);
		nonce_mutate(req, len, &req2, &len2);
		EXPECT(req2 != NULL);
		if (req2 != NULL)
			EXPECT_EQ_INT(reply_code(send_req("tgs-svc2-other-body", req2, len2)),
				      KRB_AP_ERR_REPEAT);
		/* A reply too big for UDP: RESPONSE_TOO_BIG naming the
		 * request's service (defect 10), then the TCP retry gets the
		 * whole reply, not KRB_AP_ERR_REPEAT. */
		EXPECT(kdc_fixture_tgs_req(&fx, &A, &tgt, "host/svc.test", 0, 0, NULL, &req,
					   &len) == ORTH_OK);
		n = send_over(KDC_TRANSPORT_UDP, 200, "tgs-too-big", req, len);
		EXPECT_EQ_INT(reply_code(n), KRB_ERR_RESPONSE_TOO_BIG);
		EXPECT(strcmp(error_sname(n), "host") == 0);
		EXPECT_EQ_INT(tgs_reply_over(KDC_TRANSPORT_TCP, req, len, &tgt, &x), 0);
		EXPECT(x.key != NULL);
		crypto_key_free(x.key);
		x.key = NULL;
		/* Defect 10: an error without a request (a refused TCP
		 * length) names krbtgt, not the last request's service. */
		{
			struct kdc_request_info info;

			kdc_request_info_local(&info, KDC_TRANSPORT_TCP, "test");
			info.too_long = true;
			n = kdc_fixture_send(&fx, &info, NULL, 0, rep, sizeof(rep));
			EXPECT_EQ_INT(reply_code(n), KRB_ERR_FIELD_TOOLONG);
			EXPECT(strcmp(error_sname(n), "krbtgt") == 0);
		}
		EXPECT_EQ_INT(tgs("tgs-unknown", &tgt, "host/nowhere", 0, NULL, &x),
			      KDC_ERR_S_PRINCIPAL_UNKNOWN);
		EXPECT_EQ_INT(tgs("tgs-renew", &tgt, "krbtgt/TEST.REALM", KDC_OPT_RENEW, NULL, &x),
			      0);
		crypto_key_free(x.key);
		EXPECT_EQ_INT(tgs("tgs-validate", &tgt, "krbtgt/TEST.REALM", KDC_OPT_VALIDATE, NULL,
				  &x),
			      KDC_ERR_BADOPTION);
		/* user-to-user: u2u may only be reached with its TGT */
		EXPECT_EQ_INT(as("as-u2u", "u2u", "u2upw", "krbtgt/TEST.REALM", 0, 0, &u2u), 0);
		EXPECT_EQ_INT(tgs("tgs-u2u-plain", &tgt, "u2u", 0, NULL, &x),
			      KDC_ERR_MUST_USE_USER2USER);
		if (u2u.key != NULL) {
			EXPECT_EQ_INT(tgs("tgs-u2u", &tgt, "u2u", KDC_OPT_ENC_TKT_IN_SKEY,
					  &u2u.ticket, &x),
				      0);
			crypto_key_free(x.key);
			EXPECT_EQ_INT(tgs("tgs-u2u-wrong", &tgt, "host/svc.test",
					  KDC_OPT_ENC_TKT_IN_SKEY, &u2u.ticket, &x),
				      KDC_ERR_SERVER_NOMATCH);
			EXPECT_EQ_INT(tgs("tgs-u2u-noticket", &tgt, "u2u", KDC_OPT_ENC_TKT_IN_SKEY,
					  NULL, &x),
				      KDC_ERR_BADOPTION);
		}
		/* a service ticket is not a TGT */
		if (svc.key != NULL)
			EXPECT_EQ_INT(tgs("tgs-with-svc-ticket", &svc, "host/svc.test", 0, NULL,
					  &x),
				      KRB_AP_ERR_NOT_US);
		/* alice's TGT is not forwardable */
		if (alice.key != NULL)
			EXPECT_EQ_INT(tgs("tgs-alice-fwd", &alice, "host/svc.test",
					  KDC_OPT_FORWARDED, NULL, &x),
				      KDC_ERR_BADOPTION);
	}
	/* a malformed AS-REQ: KRB_ERR_GENERIC over TCP; over UDP nothing
	 * (defect 7: a 2-byte datagram must not buy a 100-byte error); not
	 * a KDC request: no reply on either */
	EXPECT_EQ_INT(reply_code(send_req("garbage", garbage, sizeof(garbage))), KRB_ERR_GENERIC);
	EXPECT_EQ_INT(send_over(KDC_TRANSPORT_UDP, 0, "garbage-udp", garbage, sizeof(garbage)), 0);
	EXPECT_EQ_INT(send_over(KDC_TRANSPORT_UDP, 0, "as-2byte", (const uint8_t *)"\x6a\x00", 2), 0);
	EXPECT_EQ_INT(send_over(KDC_TRANSPORT_UDP, 0, "tgs-2byte", (const uint8_t *)"\x6c\x00", 2), 0);
	EXPECT_EQ_INT(reply_code(send_req("tgs-2byte-tcp", (const uint8_t *)"\x6c\x00", 2)),
		      KRB_ERR_GENERIC);
	EXPECT_EQ_INT(send_req("not-a-request", (const uint8_t *)"\x7e\x00", 2), 0);

	crypto_key_free(tgt.key);
	crypto_key_free(alice.key);
	crypto_key_free(u2u.key);
	crypto_key_free(svc.key);
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_handle");
}
