/*
 * test_kdc_spake.c - SPAKE (RFC 9588) through kdc_handle(): the offer in
 * PREAUTH_REQUIRED, support -> challenge with the state in the
 * PA-FX-COOKIE, response -> AS-REP under K'[0] with the pre-authent flag;
 * a wrong password is KDC_ERR_PREAUTH_FAILED; a response without the
 * cookie is refused.  The client's side is spake_client_process().
 *
 *   test_kdc_spake                      run the checks
 *   test_kdc_spake --write-seeds DIR    also write the requests to DIR
 *                                       (seeds of fuzz/corpus/kdc_dispatch)
 *
 * The clock and the principals are the fuzzer's (kdc_fixture_open_dispatch), so
 * the seeds' cookies are valid there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"
#include "proto/padata.h"
#include "proto/spake.h"

#define T0 KDC_FIXTURE_SEED_TIME
#define TGS "krbtgt/TEST.REALM"

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static size_t rep_len;
static const char *seed_dir;

static void
send_req(const char *seed, const uint8_t *req, size_t len)
{
	kdc_fixture_seed_write(seed_dir, seed, req, len);
	rep_len = kdc_fixture_send(&fx, NULL, req, len, rep, sizeof(rep));
}

/* The reply's error code (0: a KDC-REP) and its METHOD-DATA e-data. */
static int
reply_get(const METHOD_DATA **md_out)
{
	struct der_bytes *ed = NULL;
	METHOD_DATA *md;
	int code = kdc_fixture_reply_code(&A, rep, rep_len, &ed);

	*md_out = NULL;
	if (code > 0 && ed != NULL) {
		md = arena_alloc(&A, sizeof(*md));
		if (md != NULL && der_decode(&asn1_METHOD_DATA, ed->data, ed->len, &A, md) == ORTH_OK)
			*md_out = md;
	}
	return code;
}

/* A fresh AS-REQ of client for the TGS, no padata, decoded. */
static AS_REQ *
req_new(const char *client)
{
	AS_REQ *r = arena_alloc(&A, sizeof(*r));
	uint8_t *buf;
	size_t len;

	EXPECT(r != NULL);
	EXPECT(kdc_fixture_as_req(&fx, &A, client, TGS, 0, 0, 0, NULL, &buf, &len) == ORTH_OK);
	memset(r, 0, sizeof(*r));
	EXPECT(der_decode(&asn1_AS_REQ, buf, len, &A, r) == ORTH_OK);
	return r;
}

/* r with padata pa[0..n), encoded. */
static void
req_encode(AS_REQ *r, const PA_DATA *pa, size_t n, uint8_t **out, size_t *len)
{
	METHOD_DATA *md = arena_alloc(&A, sizeof(*md));

	EXPECT(md != NULL);
	md->len = n;
	md->val = (PA_DATA *)pa;
	r->padata = md;
	EXPECT(der_encode_arena(&asn1_AS_REQ, r, &A, out, len) == ORTH_OK);
}

/*
 * One SPAKE login of client with password pw in group; seeds named
 * prefix-*; drop_cookie: the response goes without the PA-FX-COOKIE.
 * Returns the last reply's code (0: an AS-REP, opened under K'[0]).
 */
static int
spake_login(const char *client, const char *pw, int32_t group, const char *prefix,
	    bool drop_cookie)
{
	struct spake_client_state st;
	struct spake_client_reply cr;
	struct crypto_key *ikey = NULL;
	const METHOD_DATA *md;
	const PA_DATA *pa, *cookie;
	PA_DATA out[2];
	AS_REQ *r;
	uint8_t *buf;
	size_t len, n;
	char name[64];
	int code;

	memset(&st, 0, sizeof(st));
	EXPECT(kdc_fixture_client_key(&fx, &A, client, pw, 18, &ikey) == ORTH_OK);
	/* round 1: no padata: the offer */
	r = req_new(client);
	req_encode(r, NULL, 0, &buf, &len);
	snprintf(name, sizeof(name), "%s-1-none", prefix);
	send_req(name, buf, len);
	EXPECT_EQ_INT(reply_get(&md), KDC_ERR_PREAUTH_REQUIRED);
	pa = proto_padata_find(md, KRB5_PADATA_SPAKE);
	EXPECT(pa != NULL && pa->padata_value.len == 0);
	/* round 2: the support message */
	r = req_new(client);
	memset(&cr, 0, sizeof(cr));
	EXPECT(spake_client_process(&st, &group, 1, ikey, NULL, 0, r->req_body._raw.data,
				    r->req_body._raw.len, &A, &cr) == ORTH_OK);
	EXPECT_EQ_INT(cr.outcome, SPAKE_CLIENT_SUPPORT);
	out[0].padata_type = KRB5_PADATA_SPAKE;
	out[0].padata_value.data = cr.msg;
	out[0].padata_value.len = cr.msg_len;
	req_encode(r, out, 1, &buf, &len);
	snprintf(name, sizeof(name), "%s-2-support", prefix);
	send_req(name, buf, len);
	EXPECT_EQ_INT(reply_get(&md), KDC_ERR_MORE_PREAUTH_DATA_REQUIRED);
	pa = proto_padata_find(md, KRB5_PADATA_SPAKE);
	cookie = proto_padata_find(md, KRB5_PADATA_FX_COOKIE);
	EXPECT(pa != NULL && cookie != NULL);
	/* round 3: the response, under the body of the request carrying it */
	r = req_new(client);
	memset(&cr, 0, sizeof(cr));
	EXPECT(spake_client_process(&st, &group, 1, ikey, pa->padata_value.data,
				    pa->padata_value.len, r->req_body._raw.data,
				    r->req_body._raw.len, &A, &cr) == ORTH_OK);
	EXPECT_EQ_INT(cr.outcome, SPAKE_CLIENT_RESPONSE);
	n = 0;
	if (!drop_cookie)
		out[n++] = *cookie;
	out[n].padata_type = KRB5_PADATA_SPAKE;
	out[n].padata_value.data = cr.msg;
	out[n++].padata_value.len = cr.msg_len;
	req_encode(r, out, n, &buf, &len);
	snprintf(name, sizeof(name), "%s-3-response", prefix);
	send_req(name, buf, len);
	code = reply_get(&md);
	if (code == 0) {
		struct kdc_fixture_cred cred;
		memset(&cred, 0, sizeof(cred));
		/* RFC 9588 §4.5: the reply is under K'[0] */
		EXPECT(kdc_fixture_rep_open(&A, rep, rep_len, cr.reply_key, &cred) == ORTH_OK);
		EXPECT(cred.flags & TKT_FLG_PRE_AUTH);
		crypto_key_free(cred.key);
	}
	crypto_key_free(cr.reply_key);
	crypto_key_free(ikey);
	return code;
}

/*
 * The realm's disable_encrypted_timestamp: PREAUTH_REQUIRED offers SPAKE
 * and no PA-ENC-TIMESTAMP; a request that carries a good one anyway is
 * not pre-authenticated by it: KDC_ERR_PREAUTH_REQUIRED again, with the
 * hints (RFC 4120 §3.1.2: a padata type the KDC does not take is
 * ignored), as MIT's KDC answers without its encrypted_timestamp module.
 * Unset, the same request gets its AS-REP.
 */
static void
test_disable_encts(void)
{
	struct crypto_key *k = NULL;
	const METHOD_DATA *md;
	uint8_t *buf;
	size_t len;

	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &k) == ORTH_OK);
	fx.realm.disable_encrypted_timestamp = true;
	EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 18, 0, NULL, &buf, &len) == ORTH_OK);
	send_req(NULL, buf, len);
	EXPECT_EQ_INT(reply_get(&md), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT(proto_padata_find(md, KRB5_PADATA_SPAKE) != NULL);
	EXPECT(proto_padata_find(md, KRB5_PADATA_ETYPE_INFO2) != NULL);
	EXPECT(proto_padata_find(md, KRB5_PADATA_ENC_TIMESTAMP) == NULL);
	EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 18, 0, k, &buf, &len) == ORTH_OK);
	send_req(NULL, buf, len);
	EXPECT_EQ_INT(reply_get(&md), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT(proto_padata_find(md, KRB5_PADATA_ENC_TIMESTAMP) == NULL);
	/* SPAKE still logs in */
	EXPECT_EQ_INT(spake_login("user", "userpw", SPAKE_GROUP_EDWARDS25519, "as-spake-noencts",
				  false),
		      0);
	fx.realm.disable_encrypted_timestamp = false;
	EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 18, 0, k, &buf, &len) == ORTH_OK);
	send_req(NULL, buf, len);
	EXPECT_EQ_INT(reply_get(&md), 0);
	crypto_key_free(k);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (kdc_fixture_open_dispatch(&fx) != ORTH_OK || arena_init(&A, 1u << 24) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	EXPECT_EQ_INT(spake_login("user", "userpw", SPAKE_GROUP_EDWARDS25519, "as-spake-ed25519",
				  false),
		      0);
	EXPECT_EQ_INT(spake_login("user", "userpw", SPAKE_GROUP_P256, "as-spake-p256", false), 0);
	/* a wrong password: the factor does not open under the KDC's K'[1] */
	EXPECT_EQ_INT(spake_login("user", "wrongpw", SPAKE_GROUP_EDWARDS25519, "as-spake-wrongpw",
				  false),
		      KDC_ERR_PREAUTH_FAILED);
	/* the state lives in the cookie: a response without it is refused */
	EXPECT_EQ_INT(spake_login("user", "userpw", SPAKE_GROUP_EDWARDS25519, "as-spake-nocookie",
				  true),
		      KDC_ERR_PREAUTH_FAILED);
	test_disable_encts();
	arena_free(&A);
	kdc_fixture_close(&fx);
	return test_done("kdc_spake");
}
