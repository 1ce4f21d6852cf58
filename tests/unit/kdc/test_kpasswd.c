/*
 * test_kpasswd.c - the password-change service end to end through
 * kdc_handle() over the fixture realm, as MIT's kpasswd (version 1: no
 * sequence numbers, a subkey) and Heimdal's (version 0xff80, sequence
 * numbers) build their requests; every refusal checked for its result
 * code.  Also the pieces below it: the RFC 3244 messages
 * (src/proto/kpasswd.h), the ACL file (src/kdc/acl.h), kpasswd_listen and
 * acl_file in kdc.conf, the kpasswd addresses of net.h.
 *
 *   test_kpasswd                      run the checks
 *   test_kpasswd --write-seeds DIR    also write valid requests to DIR
 *                                     (seeds of fuzz/corpus/kpasswd: same
 *                                     realm, principals and clock as
 *                                     fuzz/kpasswd_fuzz.c)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc/kdc_config.h"
#include "client/apreq.h"
#include "kdc/acl.h"
#include "kdc_fixture.h"
#include "proto/kpasswd.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"
#include "proto/principal.h"
#include "proto/priv.h"

#define T0 KDC_FIXTURE_SEED_TIME
#define REALM "TEST.REALM"
#define CHANGEPW "kadmin/changepw"

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static const char *seed_dir;

/* The one place that calls kdc_handle(). */
static size_t
send_req(enum kdc_service svc, enum kdc_transport t, const uint8_t *req, size_t len)
{
	struct kdc_request_info info;
	struct writer w;

	kdc_request_info_local(&info, t, "test");
	info.service = svc;
	writer_init(&w, rep, sizeof(rep));
	(void)kdc_handle(fx.ctx, &info, req, len, &w);
	return writer_err(&w) == ORTH_OK ? w.len : 0;
}

static void
seed_write(const char *name, const uint8_t *req, size_t len)
{
	char path[1024];
	FILE *f;

	if (seed_dir == NULL || name == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s.bin", seed_dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(req, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/* The KRB-ERROR code of a KDC reply, 0 for a KDC-REP, -1 otherwise. */
static int
kdc_code(size_t n)
{
	KRB_ERROR e;
	int tag = der_peek_application_tag(rep, n);

	if (tag == KRB5_MSG_AS_REP || tag == KRB5_MSG_TGS_REP)
		return 0;
	memset(&e, 0, sizeof(e));
	if (tag != KRB5_MSG_ERROR || der_decode(&asn1_KRB_ERROR, rep, n, &A, &e) != ORTH_OK)
		return -1;
	return (int)e.error_code;
}

/* AS exchange (PA-ENC-TIMESTAMP) for client/pw to svc; *cred on success. */
static int
as(const char *client, const char *pw, const char *svc, struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	struct crypto_key *k = NULL;
	int code;

	memset(cred, 0, sizeof(*cred));
	if (kdc_fixture_client_key(&fx, &A, client, pw, 18, &k) != ORTH_OK)
		return -2;
	if (kdc_fixture_as_req(&fx, &A, client, svc, 0, 0, 0, k, &req, &len) != ORTH_OK) {
		crypto_key_free(k);
		return -2;
	}
	n = send_req(KDC_SERVICE_KDC, KDC_TRANSPORT_TCP, req, len);
	code = kdc_code(n);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, k, cred) != ORTH_OK)
		code = -3;
	crypto_key_free(k);
	return code;
}

static void
cred_free(struct kdc_fixture_cred *c)
{
	crypto_key_free(c->key);
	c->key = NULL;
}

/* ---- a kpasswd client, MIT's or Heimdal's way ---- */

struct kreq {
	uint16_t version;            /* 1 or 0xff80 */
	bool seq;                    /* sequence numbers (Heimdal) */
	const char *target;          /* set-password target, or NULL */
	bool priv_seq_wrong;         /* KRB-PRIV sequence number off by one */
	bool priv_timestamp;         /* a timestamp in the KRB-PRIV */
	int64_t timestamp;
	bool priv_wrong_key;         /* KRB-PRIV sealed in another key */
	const uint8_t *apreq;        /* reuse this AP-REQ (a replay) */
	size_t apreq_len;
	struct apreq_state *apreq_st; /* ... and its state */
};

struct kclient {
	struct apreq_state st;
	uint8_t *apreq;
	size_t apreq_len;
};

/* The request changing the password to pw (len pwlen) with cred, a
 * ticket for kadmin/changepw. */
static orth_err
kreq_build(const struct kdc_fixture_cred *cred, const struct kreq *q, const char *pw,
	   size_t pwlen, struct kclient *kc, uint8_t **out, size_t *out_len)
{
	orth_err ret = ORTH_OK;
	struct apreq_opts o = {0};
	struct principal client;
	uint8_t *ticket = NULL, *user = NULL, *priv = NULL, *buf;
	size_t ticket_len = 0, user_len = 0, priv_len = 0;
	struct kpasswd_data d = {(const uint8_t *)pw, pwlen, NULL, NULL};
	PrincipalName tn;
	struct principal tp;
	EncKrbPrivPart part;
	uint32_t seq;
	uint8_t addr[4] = {127, 0, 0, 1};
	struct crypto_key *wrong = NULL;
	struct kpasswd_frame f;
	struct writer w;
	const struct apreq_state *st;

	memset(&part, 0, sizeof(part));
	if (q->apreq != NULL) {
		kc->apreq = (uint8_t *)q->apreq;
		kc->apreq_len = q->apreq_len;
		st = q->apreq_st;
	} else {
		TRY(der_encode_arena(&asn1_Ticket, &cred->ticket, &A, &ticket, &ticket_len));
		TRY(pname_to_principal(&cred->cname, cred->crealm, &A, &client));
		o.subkey = true;
		o.seq_number = q->seq;
		o.now = kdc_fixture_now();
		TRY(apreq_encode(ticket, ticket_len, cred->key, &client, &o, &A, &kc->apreq,
				 &kc->apreq_len, &kc->st));
		st = &kc->st;
	}
	if (q->target != NULL) {
		TRY(principal_parse(q->target, REALM, &A, &tp));
		TRY(pname_from_principal(&tp, &A, &tn));
		d.targname = &tn;
		d.targrealm = tp.realm;
	}
	TRY(kpasswd_data_encode(q->version, &d, &A, &user, &user_len));
	part.user_data.data = user;
	part.user_data.len = user_len;
	seq = st->has_seq ? st->seq_number : 0;
	if (q->priv_seq_wrong)
		seq++;
	if (seq != 0)
		part.seq_number = &seq;
	if (q->priv_timestamp)
		part.timestamp = (int64_t *)&q->timestamp;
	part.s_address.addr_type = KRB5_ADDR_INET;
	part.s_address.address.data = addr;
	part.s_address.address.len = 4;
	if (q->priv_wrong_key)
		TRY(crypto_key_random(crypto_key_enctype(st->subkey), &wrong));
	TRY(priv_seal(wrong != NULL ? wrong : st->subkey != NULL ? st->subkey : st->session_key,
		      &part, &A, &priv, &priv_len));
	f.version = q->version;
	f.ap = kc->apreq;
	f.ap_len = kc->apreq_len;
	f.body = priv;
	f.body_len = priv_len;
	buf = arena_alloc(&A, KPASSWD_MAX_MSG);
	CHECK(buf != NULL, ORTH_E_LIMIT);
	writer_init(&w, buf, KPASSWD_MAX_MSG);
	TRY(kpasswd_frame_encode(&f, &w));
	*out = buf;
	*out_len = w.len;
cleanup:
	crypto_key_free(wrong);
	return ret;
}

/* What came back: the result code (-1 no answer, -2 an answer that does
 * not check out), the KRB-ERROR code when it was one (0 for a KRB-PRIV)
 * and the text. */
struct kres {
	int result;
	int krb_code;
	char text[KPASSWD_MAX_TEXT + 1];
};

static struct kres
kres_read(size_t n, struct apreq_state *st)
{
	struct kres r = {-2, 0, ""};
	struct kpasswd_frame f;
	struct aprep_result ar = {0};
	EncKrbPrivPart part;
	KRB_ERROR e;
	uint16_t code;
	const uint8_t *text;
	size_t tlen;

	if (n == 0) {
		r.result = -1;
		return r;
	}
	if (kpasswd_frame_decode(rep, n, &f) != ORTH_OK || f.version != KPASSWD_VERSION_CHANGE)
		return r;
	memset(&part, 0, sizeof(part));
	memset(&e, 0, sizeof(e));
	if (f.ap_len == 0) {
		if (der_decode(&asn1_KRB_ERROR, f.body, f.body_len, &A, &e) != ORTH_OK ||
		    e.e_data == NULL ||
		    kpasswd_result_decode(e.e_data->data, e.e_data->len, &code, &text, &tlen) !=
			    ORTH_OK)
			return r;
		r.krb_code = (int)e.error_code;
	} else {
		/* What MIT's and Heimdal's clients check: the AP-REP, then the
		 * KRB-PRIV in our own subkey with the AP-REP's sequence
		 * number. */
		if (st == NULL || aprep_verify(st, f.ap, f.ap_len, &A, &ar) != ORTH_OK)
			return r;
		if (priv_open(st->subkey != NULL ? st->subkey : st->session_key, f.body, f.body_len,
			      &A, &part) != ORTH_OK ||
		    !ar.has_seq || part.seq_number == NULL || *part.seq_number != ar.seq_number ||
		    part.s_address.addr_type != PRIV_ADDR_DIRECTIONAL ||
		    kpasswd_result_decode(part.user_data.data, part.user_data.len, &code, &text,
					  &tlen) != ORTH_OK) {
			aprep_result_free(&ar);
			return r;
		}
		aprep_result_free(&ar);
	}
	r.result = code;
	snprintf(r.text, sizeof(r.text), "%.*s", (int)tlen, (const char *)text);
	return r;
}

/* A whole exchange: a fresh ticket for kadmin/changepw from client/pw, a
 * request changing it to newpw, the result. */
static struct kres
kpasswd(const char *client, const char *pw, const struct kreq *q, const char *newpw,
	const char *seed)
{
	struct kdc_fixture_cred cred;
	struct kclient kc;
	uint8_t *req;
	size_t len;
	struct kres r = {-3, 0, ""};

	memset(&kc, 0, sizeof(kc));
	if (as(client, pw, CHANGEPW, &cred) != 0)
		return r;
	if (kreq_build(&cred, q, newpw, strlen(newpw), &kc, &req, &len) == ORTH_OK) {
		seed_write(seed, req, len);
		r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req, len), &kc.st);
	}
	apreq_state_free(&kc.st);
	cred_free(&cred);
	return r;
}

static const struct kreq MIT = {KPASSWD_VERSION_CHANGE, false, NULL, false, false, 0, false,
				NULL, 0, NULL};
static const struct kreq HEIMDAL = {KPASSWD_VERSION_SET, true, NULL, false, false, 0, false,
				    NULL, 0, NULL};

/* The password works for the AS exchange. */
static bool
login_ok(const char *client, const char *pw)
{
	struct kdc_fixture_cred c;
	int code = as(client, pw, "krbtgt/" REALM, &c);

	cred_free(&c);
	return code == 0;
}

static void
test_change(void)
{
	struct kres r;
	struct kreq set = HEIMDAL;

	/* MIT's kpasswd: version 1, a subkey, no sequence numbers */
	r = kpasswd("alice", "alice-pw", &MIT, "alice-new-1", "mit-change");
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("alice", "alice-new-1"));
	EXPECT(!login_ok("alice", "alice-pw"));
	/* Heimdal's: version 0xff80 without a target, sequence numbers */
	r = kpasswd("alice", "alice-new-1", &HEIMDAL, "alice-new-2", "heimdal-change");
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("alice", "alice-new-2"));
	EXPECT(!login_ok("alice", "alice-new-1"));
	/* 0xff80 naming oneself is a change of one's own password */
	set.target = "alice";
	r = kpasswd("alice", "alice-new-2", &set, "alice-new-3", "heimdal-self-target");
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("alice", "alice-new-3"));
}

static void
test_refusals(void)
{
	struct kres r;
	struct kreq q;
	char big[2000];

	/* empty and too long: account_password_change's refusal, its
	 * sentence for the user in the result string */
	r = kpasswd("bob", "bob-pw", &MIT, "", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_SOFTERROR);
	EXPECT(r.text[0] != '\0');
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = kpasswd("bob", "bob-pw", &MIT, big, NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_SOFTERROR);
	EXPECT(r.text[0] != '\0');
	EXPECT(login_ok("bob", "bob-pw"));
	/* a sequence number that is not the authenticator's */
	q = HEIMDAL;
	q.priv_seq_wrong = true;
	r = kpasswd("bob", "bob-pw", &q, "bob-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	q = MIT;
	q.priv_seq_wrong = true;
	r = kpasswd("bob", "bob-pw", &q, "bob-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	/* a timestamp: within the skew it passes, outside not */
	q = HEIMDAL;
	q.priv_timestamp = true;
	q.timestamp = T0 - 3600;
	r = kpasswd("bob", "bob-pw", &q, "bob-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT(login_ok("bob", "bob-pw"));
	/* the KRB-PRIV sealed in another key */
	q = MIT;
	q.priv_wrong_key = true;
	r = kpasswd("bob", "bob-pw", &q, "bob-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_HARDERROR);
	EXPECT(login_ok("bob", "bob-pw"));
	q = HEIMDAL;
	q.priv_timestamp = true;
	q.timestamp = T0 + 10;
	r = kpasswd("bob", "bob-pw", &q, "bob-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("bob", "bob-new"));
	/* a NUL byte in the password */
	{
		struct kdc_fixture_cred cred;
		struct kclient kc;
		uint8_t *req;
		size_t len;

		memset(&kc, 0, sizeof(kc));
		EXPECT_EQ_INT(as("bob", "bob-new", CHANGEPW, &cred), 0);
		EXPECT(kreq_build(&cred, &MIT, "ab\0cd", 5, &kc, &req, &len) == ORTH_OK);
		r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req, len), &kc.st);
		EXPECT_EQ_INT(r.result, KPASSWD_SOFTERROR);
		apreq_state_free(&kc.st);
		cred_free(&cred);
	}
}

/* Set-password: only with the ACL's 'c' right on the target. */
static void
test_set_password(void)
{
	static const char acl_text[] =
		"# who may set whose password\n"
		"\n"
		"  admin@TEST.REALM  c  carol@TEST.REALM\n"
		"*/admin c *1\n"
		"admin@TEST.REALM  C\n";
	struct kdc_acl *acl = NULL;
	char err[256] = "";
	struct kres r;
	struct kreq q = HEIMDAL;

	q.target = "carol";
	/* no ACL at all: refused */
	r = kpasswd("admin", "admin-pw", &q, "carol-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_ACCESSDENIED);
	EXPECT(strstr(r.text, "carol@TEST.REALM") != NULL);
	EXPECT(login_ok("carol", "carol-pw"));
	EXPECT(kdc_acl_parse(acl_text, sizeof(acl_text) - 1, "acl", REALM, &acl, err,
			     sizeof(err)) == ORTH_OK);
	fx.sh.acl = acl;
	r = kpasswd("admin", "admin-pw", &q, "carol-new", "heimdal-set");
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("carol", "carol-new"));
	EXPECT(!login_ok("carol", "carol-pw"));
	/* not for another target (the third line matches and denies) */
	q.target = "bob";
	r = kpasswd("admin", "admin-pw", &q, "bob-hijacked", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_ACCESSDENIED);
	EXPECT(!login_ok("bob", "bob-hijacked"));
	/* not by someone else */
	q.target = "carol";
	r = kpasswd("alice", "alice-new-3", &q, "carol-by-alice", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_ACCESSDENIED);
	/* a backreference: dave/admin may set dave's */
	q.target = "dave";
	r = kpasswd("dave/admin", "dave-admin-pw", &q, "dave-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT(login_ok("dave", "dave-new"));
	q.target = "carol";
	r = kpasswd("dave/admin", "dave-admin-pw", &q, "carol-by-dave", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_ACCESSDENIED);
	/* a target of another realm, or unknown */
	q.target = "carol@OTHER.REALM";
	r = kpasswd("admin", "admin-pw", &q, "x-new-pw", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_HARDERROR);
	fx.sh.acl = NULL;
	kdc_acl_free(acl);
}

/* The ticket: for kadmin/changepw, initial, valid; the authenticator
 * once only. */
static void
test_ticket(void)
{
	struct kdc_fixture_cred cred, tgt;
	struct kclient kc, kc2;
	struct kreq q = MIT;
	uint8_t *req, *req2;
	size_t len, len2;
	struct kres r;
	struct kdc_fixture_ticket_spec s = {"erin", CHANGEPW, 0, T0 - 60, 0, T0 + 240, 0, NULL};

	memset(&kc, 0, sizeof(kc));
	memset(&kc2, 0, sizeof(kc2));
	/* not an initial ticket (as from a TGS-REQ, which kadmin/changepw's
	 * DISALLOW_TGT_BASED refuses anyway) */
	EXPECT(kdc_fixture_ticket_make(&fx, &A, &s, &cred) == ORTH_OK);
	EXPECT(kreq_build(&cred, &q, "erin-new", 8, &kc, &req, &len) == ORTH_OK);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req, len), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_INITIAL_FLAG_NEEDED);
	apreq_state_free(&kc.st);
	cred_free(&cred);
	/* expired */
	s.flags = TKT_FLG_INITIAL;
	s.authtime = T0 - 7200;
	s.endtime = T0 - 3600;
	EXPECT(kdc_fixture_ticket_make(&fx, &A, &s, &cred) == ORTH_OK);
	EXPECT(kreq_build(&cred, &q, "erin-new", 8, &kc, &req, &len) == ORTH_OK);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req, len), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT_EQ_INT(r.krb_code, KRB_AP_ERR_TKT_EXPIRED);
	apreq_state_free(&kc.st);
	cred_free(&cred);
	/* a TGT is not a kadmin/changepw ticket */
	EXPECT_EQ_INT(as("erin", "erin-pw", "krbtgt/" REALM, &tgt), 0);
	EXPECT(kreq_build(&tgt, &q, "erin-new", 8, &kc, &req, &len) == ORTH_OK);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req, len), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT_EQ_INT(r.krb_code, KRB_AP_ERR_NOT_US);
	apreq_state_free(&kc.st);
	cred_free(&tgt);
	EXPECT(login_ok("erin", "erin-pw"));

	/* replays: the same request again, and its AP-REQ with another
	 * KRB-PRIV (a captured authenticator under a new password) */
	EXPECT_EQ_INT(as("erin", "erin-pw", CHANGEPW, &cred), 0);
	EXPECT(kreq_build(&cred, &q, "erin-new", 8, &kc, &req, &len) == ORTH_OK);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, req, len), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, req, len), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT_EQ_INT(r.krb_code, KRB_AP_ERR_REPEAT);
	q.apreq = kc.apreq;
	q.apreq_len = kc.apreq_len;
	q.apreq_st = &kc.st;
	EXPECT(kreq_build(&cred, &q, "erin-evil", 9, &kc2, &req2, &len2) == ORTH_OK);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, req2, len2), &kc.st);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT_EQ_INT(r.krb_code, KRB_AP_ERR_REPEAT);
	EXPECT(login_ok("erin", "erin-new"));
	EXPECT(!login_ok("erin", "erin-evil"));
	apreq_state_free(&kc.st);
	cred_free(&cred);
}

/* An expired password: no TGT, but a kadmin/changepw ticket, and after
 * the change through kpasswd the TGT (MIT kinit's flow). */
static void
test_expired(void)
{
	struct db_entry e;
	struct kdc_fixture_cred c;
	struct kres r;

	memset(&e, 0, sizeof(e));
	EXPECT(db_principal_get(fx.db, "frank@" REALM, &A, &e) == ORTH_OK);
	e.pw_expire = T0 - 86400;
	EXPECT(db_principal_put(fx.db, &e, DB_PUT_REPLACE) == ORTH_OK);
	EXPECT_EQ_INT(as("frank", "frank-pw", "krbtgt/" REALM, &c), KDC_ERR_KEY_EXPIRED);
	cred_free(&c);
	r = kpasswd("frank", "frank-pw", &MIT, "frank-new", "mit-expired");
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT_EQ_INT(as("frank", "frank-new", "krbtgt/" REALM, &c), 0);
	cred_free(&c);
	/* the same for REQUIRES_PWCHANGE (an administrator's "change it at
	 * the next login") */
	memset(&e, 0, sizeof(e));
	EXPECT(db_principal_get(fx.db, "gina@" REALM, &A, &e) == ORTH_OK);
	e.attributes |= DB_ATTR_REQUIRES_PWCHANGE;
	EXPECT(db_principal_put(fx.db, &e, DB_PUT_REPLACE) == ORTH_OK);
	EXPECT_EQ_INT(as("gina", "gina-pw", "krbtgt/" REALM, &c), KDC_ERR_KEY_EXPIRED);
	cred_free(&c);
	r = kpasswd("gina", "gina-pw", &HEIMDAL, "gina-new", NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_SUCCESS);
	EXPECT_EQ_INT(as("gina", "gina-new", "krbtgt/" REALM, &c), 0);
	cred_free(&c);
}

/* Bad input: nothing over UDP, MALFORMED over TCP, never an answer to a
 * reply (CVE-2002-2443). */
static void
test_hostile(void)
{
	static const uint8_t garbage[] = {0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00,
					  0x2b, 0x03, 0x03, 0x47, 0x45, 0x54, 0x20, 0x2f};
	/* well framed, but the AP-REQ is an empty one */
	static const uint8_t empty_apreq[] = {0x00, 0x0a, 0x00, 0x01, 0x00, 0x02,
					      0x6e, 0x00, 0x75, 0x00};
	static const uint8_t short_msg[] = {0x00, 0x04, 0x00, 0x01};
	static const uint8_t bad_version[] = {0x00, 0x0a, 0x00, 0x02, 0x00, 0x02,
					      0x6e, 0x00, 0x75, 0x00};
	/* a framed error reply: version 1, no AP part, a KRB-ERROR */
	static const uint8_t framed_error[] = {0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x7e, 0x00};
	static const uint8_t bare_error[] = {0x7e, 0x03, 0x30, 0x01, 0x00};
	static const uint8_t aprep_reply[] = {0x00, 0x0a, 0x00, 0x01, 0x00, 0x02,
					      0x6f, 0x00, 0x75, 0x00};
	struct kdc_fixture_cred cred;
	struct kclient kc;
	uint8_t *req, reply_copy[4096];
	size_t len, n;
	struct kres r;
	struct kdc_request_info info;
	struct writer w;

	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, garbage, sizeof(garbage)),
		      0);
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, short_msg,
			       sizeof(short_msg)), 0);
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, bad_version,
			       sizeof(bad_version)), 0);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, garbage, sizeof(garbage)),
		      NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_MALFORMED);
	/* an AP-REQ that does not decode: nothing over UDP (as the KDC with
	 * a request that does not decode), AUTHERROR over TCP */
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, empty_apreq,
			       sizeof(empty_apreq)), 0);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, empty_apreq,
			       sizeof(empty_apreq)), NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_AUTHERROR);
	EXPECT_EQ_INT(r.krb_code, KRB_ERR_GENERIC);
	r = kres_read(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, bad_version,
			       sizeof(bad_version)), NULL);
	EXPECT_EQ_INT(r.result, KPASSWD_BAD_VERSION);
	for (int t = 0; t < 2; t++) {
		enum kdc_transport tr = t ? KDC_TRANSPORT_TCP : KDC_TRANSPORT_UDP;
		EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, tr, framed_error, sizeof(framed_error)),
			      0);
		EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, tr, bare_error, sizeof(bare_error)), 0);
		EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, tr, aprep_reply, sizeof(aprep_reply)),
			      0);
	}
	/* our own answers sent back to us: no answer, over either transport */
	memset(&kc, 0, sizeof(kc));
	EXPECT_EQ_INT(as("alice", "alice-new-3", CHANGEPW, &cred), 0);
	EXPECT(kreq_build(&cred, &MIT, "", 0, &kc, &req, &len) == ORTH_OK);
	n = send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, req, len);
	EXPECT(n > 0 && n <= sizeof(reply_copy));
	memcpy(reply_copy, rep, n);
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, reply_copy, n), 0);
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_TCP, reply_copy, n), 0);
	n = send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, req, len); /* a replay: error */
	EXPECT(n > 0 && n <= sizeof(reply_copy));
	memcpy(reply_copy, rep, n);
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KPASSWD, KDC_TRANSPORT_UDP, reply_copy, n), 0);
	apreq_state_free(&kc.st);
	cred_free(&cred);
	/* a kpasswd request on the KDC's port, a KDC request on kpasswd's */
	EXPECT_EQ_INT(send_req(KDC_SERVICE_KDC, KDC_TRANSPORT_UDP, req, len), 0);
	/* a TCP length the network loop refused: KRB_ERR_FIELD_TOOLONG */
	kdc_request_info_local(&info, KDC_TRANSPORT_TCP, "test");
	info.service = KDC_SERVICE_KPASSWD;
	info.too_long = true;
	writer_init(&w, rep, sizeof(rep));
	(void)kdc_handle(fx.ctx, &info, NULL, 0, &w);
	EXPECT_EQ_INT(kdc_code(w.len), KRB_ERR_FIELD_TOOLONG);
}

/* ---- the pieces ---- */

static void
test_messages(void)
{
	static const uint8_t req[] = {0x00, 0x0a, 0xff, 0x80, 0x00, 0x02,
				      0x6e, 0x00, 0x75, 0x00};
	uint8_t buf[64];
	struct writer w;
	struct kpasswd_frame f;
	const char *why;
	struct kpasswd_data d, d2;
	uint8_t *out, *out2;
	size_t out_len, out2_len;
	uint16_t code;
	const uint8_t *text;
	size_t tlen;
	PrincipalName tn;
	struct principal tp;

	EXPECT(kpasswd_frame_decode(req, sizeof(req), &f) == ORTH_OK);
	EXPECT_EQ_INT(f.version, KPASSWD_VERSION_SET);
	EXPECT_EQ_INT(f.ap_len, 2);
	EXPECT_EQ_INT(f.body_len, 2);
	writer_init(&w, buf, sizeof(buf));
	EXPECT(kpasswd_frame_encode(&f, &w) == ORTH_OK);
	EXPECT(w.len == sizeof(req) && memcmp(buf, req, sizeof(req)) == 0);
	EXPECT_EQ_INT(kpasswd_request_classify(req, sizeof(req), &f, &why), KPASSWD_KIND_REQUEST);
	EXPECT(kpasswd_frame_decode(req, sizeof(req) - 1, &f) == ORTH_E_MALFORMED);
	EXPECT(kpasswd_frame_decode(req, 5, &f) == ORTH_E_TRUNCATED);
	{
		uint8_t r2[sizeof(req)];
		memcpy(r2, req, sizeof(req));
		r2[5] = 9; /* AP part past the end */
		EXPECT(kpasswd_frame_decode(r2, sizeof(r2), &f) == ORTH_E_TRUNCATED);
		EXPECT_EQ_INT(kpasswd_request_classify(r2, sizeof(r2), &f, &why),
			      KPASSWD_KIND_MALFORMED);
		r2[5] = 4; /* no KRB-PRIV */
		EXPECT_EQ_INT(kpasswd_request_classify(r2, sizeof(r2), &f, &why),
			      KPASSWD_KIND_MALFORMED);
		r2[5] = 2;
		r2[8] = 0x7e; /* a KRB-ERROR as the body: a reply */
		EXPECT_EQ_INT(kpasswd_request_classify(r2, sizeof(r2), &f, &why),
			      KPASSWD_KIND_REPLY);
	}
	/* a frame longer than 65535 bytes cannot be encoded */
	f.body_len = KPASSWD_MAX_MSG;
	writer_init(&w, buf, sizeof(buf));
	EXPECT(kpasswd_frame_encode(&f, &w) == ORTH_E_RANGE);

	/* ChangePasswdData round trip, and its refusals */
	EXPECT(principal_parse("bob", REALM, &A, &tp) == ORTH_OK);
	EXPECT(pname_from_principal(&tp, &A, &tn) == ORTH_OK);
	memset(&d, 0, sizeof(d));
	d.password = (const uint8_t *)"pw";
	d.password_len = 2;
	d.targname = &tn;
	d.targrealm = REALM;
	EXPECT(kpasswd_data_encode(KPASSWD_VERSION_SET, &d, &A, &out, &out_len) == ORTH_OK);
	EXPECT(kpasswd_data_decode(KPASSWD_VERSION_SET, out, out_len, &A, &d2) == ORTH_OK);
	EXPECT(d2.password_len == 2 && memcmp(d2.password, "pw", 2) == 0);
	EXPECT(d2.targname != NULL && pname_equal(d2.targname, &tn));
	EXPECT(d2.targrealm != NULL && strcmp(d2.targrealm, REALM) == 0);
	EXPECT(kpasswd_data_encode(KPASSWD_VERSION_SET, &d2, &A, &out2, &out2_len) == ORTH_OK);
	EXPECT(out2_len == out_len && memcmp(out, out2, out_len) == 0);
	EXPECT(kpasswd_data_decode(KPASSWD_VERSION_SET, out, out_len - 1, &A, &d2) != ORTH_OK);
	EXPECT(kpasswd_data_decode(7, out, out_len, &A, &d2) == ORTH_E_RANGE);
	EXPECT(kpasswd_data_encode(KPASSWD_VERSION_CHANGE, &d, &A, &out, &out_len) ==
	       ORTH_E_RANGE);
	d.targname = NULL;
	EXPECT(kpasswd_data_encode(KPASSWD_VERSION_SET, &d, &A, &out, &out_len) == ORTH_E_RANGE);
	d.targrealm = NULL;
	EXPECT(kpasswd_data_encode(KPASSWD_VERSION_SET, &d, &A, &out, &out_len) == ORTH_OK);
	EXPECT(kpasswd_data_decode(KPASSWD_VERSION_SET, out, out_len, &A, &d2) == ORTH_OK);
	EXPECT(d2.targname == NULL && d2.targrealm == NULL);
	{
		/* a realm without a name: 30 09 a0 03 04 01 78 a2 02 1b 00 */
		static const uint8_t realm_only[] = {0x30, 0x0a, 0xa0, 0x03, 0x04, 0x01, 0x78,
						     0xa2, 0x03, 0x1b, 0x01, 0x52};
		EXPECT(kpasswd_data_decode(KPASSWD_VERSION_SET, realm_only, sizeof(realm_only),
					   &A, &d2) == ORTH_E_MALFORMED);
	}
	/* results */
	EXPECT(kpasswd_result_encode(KPASSWD_SOFTERROR, "too short", 9, &A, &out, &out_len) ==
	       ORTH_OK);
	EXPECT(out_len == 11 && out[0] == 0 && out[1] == 4);
	EXPECT(kpasswd_result_decode(out, out_len, &code, &text, &tlen) == ORTH_OK);
	EXPECT(code == KPASSWD_SOFTERROR && tlen == 9 && memcmp(text, "too short", 9) == 0);
	EXPECT(kpasswd_result_decode(out, 1, &code, &text, &tlen) == ORTH_E_TRUNCATED);
	EXPECT(strcmp(proto_err_name(PROTO_ERR_KPASSWD, KPASSWD_INITIAL_FLAG_NEEDED),
		      "KRB5_KPASSWD_INITIAL_FLAG_NEEDED") == 0);
}

static void
test_acl(void)
{
	struct kdc_acl *acl = NULL;
	char err[256] = "";
	struct principal a, b, c, d;
	static const char ok[] =
		"# comment\n"
		"joe@TEST.REALM  ADMCIL\n"
		"*/admin@TEST.REALM *\n"
		"*/root  ci  *1@TEST.REALM\n"
		"sms x * -maxlife 9h -postdateable\n"
		"anyone@* c\n";

	EXPECT(kdc_acl_parse(ok, sizeof(ok) - 1, "acl", REALM, &acl, err, sizeof(err)) ==
	       ORTH_OK);
	EXPECT(principal_parse("joe", REALM, &A, &a) == ORTH_OK);
	EXPECT(principal_parse("bob", REALM, &A, &b) == ORTH_OK);
	EXPECT(principal_parse("bob/root", REALM, &A, &c) == ORTH_OK);
	EXPECT(principal_parse("joe/admin", REALM, &A, &d) == ORTH_OK);
	EXPECT(!kdc_acl_allows(acl, &a, &b, KDC_ACL_CHANGEPW));  /* upper case denies */
	EXPECT(kdc_acl_allows(acl, &d, &b, KDC_ACL_CHANGEPW));
	EXPECT(!kdc_acl_allows(acl, &d, &b, KDC_ACL_EXTRACT));  /* '*' is not 'e' */
	EXPECT(kdc_acl_allows(acl, &c, &b, KDC_ACL_CHANGEPW));  /* *1 = bob */
	EXPECT(!kdc_acl_allows(acl, &c, &a, KDC_ACL_CHANGEPW));
	EXPECT(principal_parse("sms", REALM, &A, &a) == ORTH_OK);
	EXPECT(kdc_acl_allows(acl, &a, &c, KDC_ACL_CHANGEPW));  /* restrictions ignored */
	EXPECT(principal_parse("anyone@OTHER", REALM, &A, &a) == ORTH_OK);
	EXPECT(kdc_acl_allows(acl, &a, &b, KDC_ACL_CHANGEPW));  /* realm * */
	EXPECT(principal_parse("nobody", REALM, &A, &a) == ORTH_OK);
	EXPECT(!kdc_acl_allows(acl, &a, &b, KDC_ACL_CHANGEPW)); /* no line: denied */
	EXPECT(!kdc_acl_allows(NULL, &d, &b, KDC_ACL_CHANGEPW));
	kdc_acl_free(acl);
	acl = NULL;
	/* refusals, with the line */
	EXPECT(kdc_acl_parse("joe q\n", 6, "acl", REALM, &acl, err, sizeof(err)) == ORTH_E_CONFIG);
	EXPECT(strstr(err, "acl:1:") != NULL);
	EXPECT(kdc_acl_parse("#\njoe\n", 6, "acl", REALM, &acl, err, sizeof(err)) ==
	       ORTH_E_CONFIG);
	EXPECT(strstr(err, "acl:2:") != NULL);
	EXPECT(kdc_acl_parse("a@@b c\n", 7, "acl", REALM, &acl, err, sizeof(err)) ==
	       ORTH_E_CONFIG);
	EXPECT(kdc_acl_parse("a c\0\n", 5, "acl", REALM, &acl, err, sizeof(err)) == ORTH_E_CONFIG);
	EXPECT(acl == NULL);
	EXPECT(kdc_acl_load("/nonexistent/acl", REALM, &acl, err, sizeof(err)) == ORTH_E_NOTFOUND);
}

static int32_t
etype_name(const char *name)
{
	return crypto_enctype_from_name(name);
}

static void
test_config(void)
{
	static const char text[] =
		"[kdcdefaults]\n"
		" kpasswd_listen = 127.0.0.1\n"
		"[realms]\n"
		" A.REALM = {\n"
		"  kpasswd_listen = 127.0.0.1:8464, [::1]\n"
		"  acl_file = /etc/orthrus/kadm5.acl\n"
		" }\n"
		" B.REALM = {\n"
		"  kpasswd_listen =\n"
		" }\n"
		" C.REALM = {\n"
		" }\n";
	struct config *cfg = NULL;
	struct kdc_config *kc = calloc(1, sizeof(*kc));
	char err[256] = "", buf[80];
	const struct kdc_config_realm *r;

	EXPECT(kc != NULL);
	EXPECT(config_parse_string(text, sizeof(text) - 1, "kdc.conf", &cfg, err, sizeof(err)) ==
	       ORTH_OK);
	EXPECT(kdc_config_load(cfg, etype_name, kc, err, sizeof(err)) == ORTH_OK);
	EXPECT(kc->kpasswd_listen_set && kc->n_kpasswd_listen == 1);
	r = kdc_config_realm(kc, "A.REALM");
	EXPECT(r != NULL && r->kpasswd_listen_set && r->n_kpasswd_listen == 2);
	EXPECT(r != NULL && r->acl_file != NULL &&
	       strcmp(r->acl_file, "/etc/orthrus/kadm5.acl") == 0);
	r = kdc_config_realm(kc, "B.REALM");
	EXPECT(r != NULL && r->kpasswd_listen_set && r->n_kpasswd_listen == 0);
	r = kdc_config_realm(kc, "C.REALM");
	EXPECT(r != NULL && !r->kpasswd_listen_set && r->acl_file == NULL);
	config_free(cfg);
	free(kc);
	/* the addresses: a missing port is 464; the KDC's with 464 */
	EXPECT(kdc_net_addr_port_default("127.0.0.1", 464, buf, sizeof(buf)) == ORTH_OK);
	EXPECT(strcmp(buf, "127.0.0.1:464") == 0);
	EXPECT(kdc_net_addr_port_default("[::1]:8464", 464, buf, sizeof(buf)) == ORTH_OK);
	EXPECT(strcmp(buf, "[::1]:8464") == 0);
	EXPECT(kdc_net_addr_port_set("[::1]:88", 464, buf, sizeof(buf)) == ORTH_OK);
	EXPECT(strcmp(buf, "[::1]:464") == 0);
	EXPECT(kdc_net_addr_port_set("::", 464, buf, sizeof(buf)) == ORTH_OK);
	EXPECT(strcmp(buf, "[::]:464") == 0);
	EXPECT(kdc_net_addr_port_set("0.0.0.0:8888", 464, buf, sizeof(buf)) == ORTH_OK);
	EXPECT(strcmp(buf, "0.0.0.0:464") == 0);
	EXPECT(kdc_net_addr_port_set("nohost", 464, buf, sizeof(buf)) == ORTH_E_CONFIG);
	EXPECT(kdc_net_addr_port_set("127.0.0.1", 464, buf, 5) == ORTH_E_LIMIT);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (crypto_init() != ORTH_OK || arena_init(&A, 16u << 20) != ORTH_OK ||
	    kdc_fixture_open_kpasswd(&fx) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	test_messages();
	test_acl();
	test_config();
	test_change();
	test_refusals();
	test_set_password();
	test_ticket();
	test_expired();
	test_hostile();
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kpasswd");
}
