/*
 * test_kdc_attrs.c - what the KDC must enforce beyond the ticket itself,
 * end to end through kdc_handle() over the fixture realm: the principal
 * attributes (REQUIRES_HWAUTH of a client, REQUIRES_PREAUTH/HWAUTH of a
 * server, DISALLOW_DUP_SKEY, DISALLOW_TGT_BASED with RENEW/VALIDATE), the
 * client's enc-authorization-data (KDC-issued types dropped, AD-IF-RELEVANT
 * looked into, AD-MANDATORY-FOR-KDC refused), a client deleted or unreadable
 * in the database, and the times of the user-to-user additional ticket.
 * Every refusal is checked for its exact KRB-ERROR code.
 *
 *   test_kdc_attrs                      run the checks
 *   test_kdc_attrs --write-seeds DIR    also write the authorization-data
 *                                       requests to DIR (seeds of
 *                                       fuzz/corpus/kdc_dispatch: same realm,
 *                                       principals and clock)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"

#define T0 KDC_FIXTURE_SEED_TIME
#define REALM "TEST.REALM"
#define TGS "krbtgt/" REALM

/* Authorization-data types (RFC 4120 §7.5.4, RFC 6113, RFC 7751, MS-PAC). */
enum {
	ADT_IF_RELEVANT = 1,
	ADT_INTENDED_FOR_SERVER = 2,
	ADT_KDC_ISSUED = 4,
	ADT_MANDATORY_FOR_KDC = 8,
	ADT_FX_FAST_ARMOR = 71,
	ADT_FX_FAST_USED = 72,
	ADT_CAMMAC = 96,
	ADT_AUTH_INDICATOR = 97,
	ADT_WIN2K_PAC = 128,
	ADT_SIGNTICKET = 512,
};

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static const char *seed_dir;

/* A request over TCP; returns the reply's length. */
static size_t
send_req(const uint8_t *req, size_t len)
{
	return kdc_fixture_send(&fx, NULL, req, len, rep, sizeof(rep));
}

static void
seed_write(const char *name, const uint8_t *req, size_t len)
{
	kdc_fixture_seed_write(seed_dir, name, req, len);
}

/* The KRB-ERROR code of a reply, 0 for a KDC-REP, -1 otherwise. */
static int
reply_code(size_t n)
{
	return kdc_fixture_reply_code(&A, rep, n, NULL);
}

/* AS exchange for client with password pw; padata: send PA-ENC-TIMESTAMP.
 * *cred on success. */
static int
as(const char *client, const char *pw, bool padata, const char *svc, uint32_t opts,
   struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	struct crypto_key *k = NULL;
	int code;

	memset(cred, 0, sizeof(*cred));
	if (kdc_fixture_client_key(&fx, &A, client, pw, 18, &k) != ORTH_OK)
		return -2;
	if (kdc_fixture_as_req(&fx, &A, client, svc, opts, 0, 0, padata ? k : NULL, &req,
			       &len) != ORTH_OK) {
		crypto_key_free(k);
		return -2;
	}
	n = send_req(req, len);
	code = reply_code(n);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, k, cred) != ORTH_OK)
		code = -3;
	crypto_key_free(k);
	return code;
}

/* TGS exchange with optional additional ticket and authorization data;
 * seed: write the request under that name (NULL: not a seed). */
static int
tgs_ad(const char *seed, const struct kdc_fixture_cred *tgt, const char *svc, uint32_t opts,
       const Ticket *second, const AuthorizationData *authz, struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len, n;
	int code;

	memset(cred, 0, sizeof(*cred));
	if (tgt->key == NULL ||
	    kdc_fixture_tgs_req_authz(&fx, &A, tgt, svc, opts, 0, second, authz, &req, &len) !=
		    ORTH_OK)
		return -2;
	seed_write(seed, req, len);
	n = send_req(req, len);
	code = reply_code(n);
	if (code == 0 && kdc_fixture_rep_open(&A, rep, n, tgt->key, cred) != ORTH_OK)
		code = -3;
	return code;
}

static int
tgs(const struct kdc_fixture_cred *tgt, const char *svc, uint32_t opts, const Ticket *second,
    struct kdc_fixture_cred *cred)
{
	return tgs_ad(NULL, tgt, svc, opts, second, NULL, cred);
}

static void
cred_free(struct kdc_fixture_cred *c)
{
	crypto_key_free(c->key);
	c->key = NULL;
}

/* A ticket made by the fixture (sealed in server's key). */
static struct kdc_fixture_cred
forge(const char *client, const char *server, uint32_t flags, int64_t authtime,
      int64_t starttime, int64_t endtime, int64_t renew_till)
{
	struct kdc_fixture_cred c;
	struct kdc_fixture_ticket_spec s = {client, server, flags, authtime,
					    starttime, endtime, renew_till, NULL};

	EXPECT(kdc_fixture_ticket_make(&fx, &A, &s, &c) == ORTH_OK);
	return c;
}

/* ---- authorization data ---- */

static AuthorizationData *
ad_new(size_t n)
{
	AuthorizationData *ad = arena_alloc(&A, sizeof(*ad));

	EXPECT(ad != NULL);
	ad->val = arena_alloc(&A, n * sizeof(*ad->val));
	EXPECT(ad->val != NULL);
	ad->len = n;
	return ad;
}

static void
ad_set(AuthorizationData *ad, size_t i, int32_t type, const void *data, size_t len)
{
	ad->val[i].ad_type = type;
	ad->val[i].ad_data.data = (uint8_t *)data;
	ad->val[i].ad_data.len = len;
}

/* One element of type whose contents are the DER of inner. */
static AuthorizationData *
ad_wrap(int32_t type, const AuthorizationData *inner)
{
	AuthorizationData *ad = ad_new(1);
	uint8_t *der = NULL;
	size_t len = 0;

	EXPECT(der_encode_arena(&asn1_AuthorizationData, inner, &A, &der, &len) == ORTH_OK);
	ad_set(ad, 0, type, der, len);
	return ad;
}

static AuthorizationData *
ad_one(int32_t type, const char *data)
{
	AuthorizationData *ad = ad_new(1);

	ad_set(ad, 0, type, data, strlen(data));
	return ad;
}

/*
 * A service ticket for host/svc.test from tgt with enc-authorization-data
 * authz; its decrypted authorization-data into *out (NULL: none).  Returns
 * the reply's code.
 */
static int
ad_ticket(const char *seed, const struct kdc_fixture_cred *tgt, const AuthorizationData *authz,
	  const AuthorizationData **out)
{
	struct kdc_fixture_cred c;
	EncTicketPart et;
	int code = tgs_ad(seed, tgt, "host/svc.test", 0, NULL, authz, &c);

	*out = NULL;
	if (code == 0) {
		EXPECT(kdc_fixture_ticket_open(&fx, &A, &c.ticket, &et) == ORTH_OK);
		*out = et.authorization_data;
		cred_free(&c);
	}
	return code;
}

static void
test_as_client_requires_hwauth(void)
{
	struct kdc_fixture_cred c;

	/* RFC 4120 §2 HW-AUTHENT; MIT's missing_required_preauth():
	 * NEEDED_HW_PREAUTH is KDC_ERR_PREAUTH_REQUIRED.  We offer no
	 * hardware mechanism, so no ticket at all, with or without
	 * PA-ENC-TIMESTAMP. */
	EXPECT_EQ_INT(as("hw", "hwpw", false, TGS, 0, &c), KDC_ERR_PREAUTH_REQUIRED);
	cred_free(&c);
	EXPECT_EQ_INT(as("hw", "hwpw", true, TGS, 0, &c), KDC_ERR_PREAUTH_REQUIRED);
	cred_free(&c);
	EXPECT_EQ_INT(as("hw", "hwpw", true, "host/svc.test", 0, &c), KDC_ERR_PREAUTH_REQUIRED);
	cred_free(&c);
	EXPECT_EQ_INT(as("hwpa", "hwpapw", false, TGS, 0, &c), KDC_ERR_PREAUTH_REQUIRED);
	cred_free(&c);
	EXPECT_EQ_INT(as("hwpa", "hwpapw", true, TGS, 0, &c), KDC_ERR_PREAUTH_REQUIRED);
	cred_free(&c);
	/* the others are not affected */
	EXPECT_EQ_INT(as("alice", "alicepw", false, TGS, 0, &c), 0);
	cred_free(&c);
}

static void
test_tgs_server_requires_preauth(const struct kdc_fixture_cred *user,
				 const struct kdc_fixture_cred *alice)
{
	struct kdc_fixture_cred c;

	/* alice logged in without pre-authentication: her TGT lacks it */
	EXPECT(!(alice->flags & TKT_FLG_PRE_AUTH));
	EXPECT_EQ_INT(tgs(alice, "host/pa.test", 0, NULL, &c), KDC_ERR_POLICY);
	EXPECT_EQ_INT(tgs(user, "host/pa.test", 0, NULL, &c), 0);
	EXPECT(c.flags & TKT_FLG_PRE_AUTH);
	cred_free(&c);
}

static void
test_tgs_server_requires_hwauth(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred c, hw;

	EXPECT(user->flags & TKT_FLG_PRE_AUTH);
	EXPECT_EQ_INT(tgs(user, "host/hw.test", 0, NULL, &c), KDC_ERR_POLICY);
	/* a TGT that says hardware pre-authentication was done */
	hw = forge("user", TGS, TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH | TKT_FLG_HW_AUTH, T0 - 10, 0,
		   T0 + 3600, 0);
	EXPECT_EQ_INT(tgs(&hw, "host/hw.test", 0, NULL, &c), 0);
	EXPECT(c.flags & TKT_FLG_HW_AUTH);
	cred_free(&c);
	cred_free(&hw);
}

static void
test_tgs_disallow_dup_skey(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred c, second;

	EXPECT_EQ_INT(as("dupskey", "dupskeypw", false, TGS, 0, &second), 0);
	EXPECT_EQ_INT(tgs(user, "dupskey", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c),
		      KDC_ERR_POLICY);
	/* an ordinary ticket for it is fine */
	EXPECT_EQ_INT(tgs(user, "dupskey", 0, NULL, &c), 0);
	cred_free(&c);
	cred_free(&second);
}

static void
test_tgs_disallow_tgt_based(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred svc, c, pd;

	EXPECT_EQ_INT(tgs(user, "host/notgt.test", 0, NULL, &c), KDC_ERR_POLICY);
	/* A ticket from the AS exchange is not TGT-based; renewing it
	 * presents that ticket, not a TGT (as MIT: the presented ticket's
	 * server decides). */
	EXPECT_EQ_INT(as("user", "userpw", true, "host/notgt.test", KDC_OPT_RENEWABLE, &svc), 0);
	EXPECT(svc.flags & TKT_FLG_RENEWABLE);
	EXPECT_EQ_INT(tgs(&svc, "host/notgt.test", KDC_OPT_RENEW, NULL, &c), 0);
	cred_free(&c);
	cred_free(&svc);
	/* validating a postdated ticket for it likewise */
	pd = forge("user", "host/notgt.test",
		   TKT_FLG_PRE_AUTH | TKT_FLG_POSTDATED | TKT_FLG_INVALID | TKT_FLG_MAY_POSTDATE,
		   T0 - 7200, T0 - 60, T0 + 3600, 0);
	EXPECT_EQ_INT(tgs(&pd, "host/notgt.test", KDC_OPT_VALIDATE, NULL, &c), 0);
	EXPECT(!(c.flags & TKT_FLG_INVALID));
	cred_free(&c);
	cred_free(&pd);
}

static void
test_tgs_authz_kdc_issued_dropped(const struct kdc_fixture_cred *user)
{
	static const int32_t issued[] = {ADT_KDC_ISSUED, ADT_FX_FAST_ARMOR, ADT_FX_FAST_USED,
					 ADT_CAMMAC,     ADT_AUTH_INDICATOR, ADT_WIN2K_PAC,
					 ADT_SIGNTICKET};
	const AuthorizationData *got;
	AuthorizationData *ad, *inner, inner_got;
	char name[64];

	/* A forged PAC beside harmless data: the PAC goes, the rest stays. */
	ad = ad_new(2);
	ad_set(ad, 0, ADT_INTENDED_FOR_SERVER, "keep", 4);
	ad_set(ad, 1, ADT_WIN2K_PAC, "forged PAC", 10);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-pac", user, ad, &got), 0);
	EXPECT(got != NULL && got->len == 1 && got->val[0].ad_type == ADT_INTENDED_FOR_SERVER &&
	       got->val[0].ad_data.len == 4 && memcmp(got->val[0].ad_data.data, "keep", 4) == 0);
	/* every type the KDC issues, alone: nothing is left */
	for (size_t i = 0; i < sizeof(issued) / sizeof(issued[0]); i++) {
		snprintf(name, sizeof(name), "tgs-authz-type%d", (int)issued[i]);
		EXPECT_EQ_INT(ad_ticket(name, user, ad_one(issued[i], "x"), &got), 0);
		if (got != NULL)
			fprintf(stderr, "ad-type %d was copied into the ticket\n", (int)issued[i]);
		EXPECT(got == NULL);
	}
	/* inside AD-IF-RELEVANT: the container keeps only what is allowed */
	inner = ad_new(2);
	ad_set(inner, 0, ADT_WIN2K_PAC, "forged PAC", 10);
	ad_set(inner, 1, ADT_INTENDED_FOR_SERVER, "keep", 4);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-pac", user, ad_wrap(ADT_IF_RELEVANT, inner), &got),
		      0);
	EXPECT(got != NULL && got->len == 1 && got->val[0].ad_type == ADT_IF_RELEVANT);
	if (got != NULL && got->len == 1) {
		memset(&inner_got, 0, sizeof(inner_got));
		EXPECT(der_decode(&asn1_AuthorizationData, got->val[0].ad_data.data,
				  got->val[0].ad_data.len, &A, &inner_got) == ORTH_OK);
		EXPECT(inner_got.len == 1 && inner_got.val[0].ad_type == ADT_INTENDED_FOR_SERVER);
	}
	/* a container left empty goes altogether, also nested */
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-signticket", user,
				ad_wrap(ADT_IF_RELEVANT, ad_one(ADT_SIGNTICKET, "sig")), &got),
		      0);
	EXPECT(got == NULL);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-nested", user,
				ad_wrap(ADT_IF_RELEVANT,
					ad_wrap(ADT_IF_RELEVANT, ad_one(ADT_WIN2K_PAC, "pac"))),
				&got),
		      0);
	EXPECT(got == NULL);
	/* harmless data untouched, byte for byte */
	ad = ad_wrap(ADT_IF_RELEVANT, ad_one(ADT_INTENDED_FOR_SERVER, "keep"));
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-keep", user, ad, &got), 0);
	EXPECT(got != NULL && got->len == 1 &&
	       got->val[0].ad_data.len == ad->val[0].ad_data.len &&
	       memcmp(got->val[0].ad_data.data, ad->val[0].ad_data.data,
		      ad->val[0].ad_data.len) == 0);
}

static void
test_tgs_authz_refused(const struct kdc_fixture_cred *user)
{
	static const uint8_t trunc[] = {0x30, 0x05, 0x30, 0x03, 0xa0};
	static const uint8_t trailing[] = {0x30, 0x00, 0x00};
	const AuthorizationData *got;
	AuthorizationData *ad;

	/* RFC 4120 §5.2.6.4: the KDC understands no type inside
	 * AD-MANDATORY-FOR-KDC, so it must refuse. */
	EXPECT_EQ_INT(ad_ticket("tgs-authz-mandatory", user,
				ad_wrap(ADT_MANDATORY_FOR_KDC, ad_one(ADT_INTENDED_FOR_SERVER, "x")),
				&got),
		      KDC_ERR_POLICY);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-mandatory-nested", user,
				ad_wrap(ADT_IF_RELEVANT,
					ad_wrap(ADT_MANDATORY_FOR_KDC,
						ad_one(ADT_INTENDED_FOR_SERVER, "x"))),
				&got),
		      KDC_ERR_POLICY);
	ad = ad_new(1);
	ad_set(ad, 0, ADT_MANDATORY_FOR_KDC, trunc, sizeof(trunc));
	EXPECT_EQ_INT(ad_ticket("tgs-authz-mandatory-garbage", user, ad, &got), KDC_ERR_POLICY);
	/* undecodable AD-IF-RELEVANT contents: refused, not copied */
	ad = ad_new(1);
	ad_set(ad, 0, ADT_IF_RELEVANT, trunc, sizeof(trunc));
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-trunc", user, ad, &got), KRB_ERR_GENERIC);
	ad = ad_new(1);
	ad_set(ad, 0, ADT_IF_RELEVANT, trailing, sizeof(trailing));
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-trailing", user, ad, &got), KRB_ERR_GENERIC);
	ad = ad_new(1);
	ad_set(ad, 0, ADT_IF_RELEVANT, "", 0);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-empty", user, ad, &got), KRB_ERR_GENERIC);
	/* containers nested deeper than the KDC looks: refused */
	ad = ad_one(ADT_INTENDED_FOR_SERVER, "deep");
	for (int i = 0; i < 12; i++)
		ad = ad_wrap(ADT_IF_RELEVANT, ad);
	EXPECT_EQ_INT(ad_ticket("tgs-authz-ifrel-deep", user, ad, &got), KDC_ERR_POLICY);
}

static void
test_tgs_deleted_client(void)
{
	struct kdc_fixture_cred tgt, c;

	EXPECT_EQ_INT(as("gone", "gonepw", false, TGS, KDC_OPT_RENEWABLE, &tgt), 0);
	EXPECT_EQ_INT(tgs(&tgt, "host/svc.test", 0, NULL, &c), 0);
	cred_free(&c);
	EXPECT(kdc_fixture_delete(&fx, "gone") == ORTH_OK);
	/* as Heimdal: the client must still exist */
	EXPECT_EQ_INT(tgs(&tgt, "host/svc.test", 0, NULL, &c), KDC_ERR_C_PRINCIPAL_UNKNOWN);
	EXPECT_EQ_INT(tgs(&tgt, TGS, KDC_OPT_RENEW, NULL, &c), KDC_ERR_C_PRINCIPAL_UNKNOWN);
	cred_free(&tgt);
}

/* The worker keeps the entries it read until the database changes
 * (kdc_int.h): a change committed between two requests is seen by the
 * second, the server's and the client's. */
static void
test_tgs_entry_change_seen(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred tgt, c;

	for (int i = 0; i < 2; i++) { /* the second from the worker's copy */
		EXPECT_EQ_INT(tgs(user, "host/flip.test", 0, NULL, &c), 0);
		cred_free(&c);
	}
	EXPECT(kdc_fixture_delete(&fx, "host/flip.test") == ORTH_OK);
	EXPECT(kdc_fixture_add(&fx, "host/flip.test", NULL, DB_ATTR_DISALLOW_ALL_TIX) ==
	       ORTH_OK);
	EXPECT_EQ_INT(tgs(user, "host/flip.test", 0, NULL, &c), KDC_ERR_SERVICE_REVOKED);

	EXPECT_EQ_INT(as("flipper", "flipperpw", false, TGS, 0, &tgt), 0);
	EXPECT_EQ_INT(tgs(&tgt, "host/svc.test", 0, NULL, &c), 0);
	cred_free(&c);
	EXPECT(kdc_fixture_delete(&fx, "flipper") == ORTH_OK);
	EXPECT(kdc_fixture_add(&fx, "flipper", "flipperpw", DB_ATTR_DISALLOW_ALL_TIX) == ORTH_OK);
	EXPECT_EQ_INT(tgs(&tgt, "host/svc.test", 0, NULL, &c), KDC_ERR_CLIENT_REVOKED);
	cred_free(&tgt);
}

static void
test_tgs_client_db_error(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred tgt, c;

	EXPECT_EQ_INT(as("broken", "brokenpw", false, TGS, 0, &tgt), 0);
	EXPECT(kdc_fixture_corrupt(&fx, "broken") == ORTH_OK);
	/* a database error is not a pass */
	EXPECT_EQ_INT(tgs(&tgt, "host/svc.test", 0, NULL, &c), KDC_ERR_SVC_UNAVAILABLE);
	cred_free(&tgt);
	/* the same for the server asked for */
	EXPECT(kdc_fixture_corrupt(&fx, "host/broken.test") == ORTH_OK);
	EXPECT_EQ_INT(tgs(user, "host/broken.test", 0, NULL, &c), KDC_ERR_SVC_UNAVAILABLE);
}

static void
test_tgs_u2u_second_ticket_times(const struct kdc_fixture_cred *user)
{
	struct kdc_fixture_cred second, c, old;

	/* control: a valid TGT of u2u */
	second = forge("u2u", TGS, TKT_FLG_INITIAL, T0 - 10, 0, T0 + 3600, 0);
	EXPECT_EQ_INT(tgs(user, "u2u", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c), 0);
	cred_free(&c);
	cred_free(&second);
	/* expired beyond the skew */
	second = forge("u2u", TGS, TKT_FLG_INITIAL, T0 - 20000, 0, T0 - 1000, 0);
	EXPECT_EQ_INT(tgs(user, "u2u", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c),
		      KRB_AP_ERR_TKT_EXPIRED);
	cred_free(&second);
	/* postdated and invalid */
	second = forge("u2u", TGS, TKT_FLG_POSTDATED | TKT_FLG_INVALID, T0, T0 + 3600, T0 + 7200,
		       0);
	EXPECT_EQ_INT(tgs(user, "u2u", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c),
		      KRB_AP_ERR_TKT_NYV);
	cred_free(&second);
	/* invalid though its start time has come: not validated yet */
	second = forge("u2u", TGS, TKT_FLG_POSTDATED | TKT_FLG_INVALID, T0 - 7200, T0 - 60,
		       T0 + 3600, 0);
	EXPECT_EQ_INT(tgs(user, "u2u", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c),
		      KRB_AP_ERR_TKT_NYV);
	cred_free(&second);
	/* starting beyond the skew */
	second = forge("u2u", TGS, 0, T0, T0 + 3600, T0 + 7200, 0);
	EXPECT_EQ_INT(tgs(user, "u2u", KDC_OPT_ENC_TKT_IN_SKEY, &second.ticket, &c),
		      KRB_AP_ERR_TKT_NYV);
	cred_free(&second);
	/* the same checks of the primary TGT (one function for both) */
	old = forge("user", TGS, TKT_FLG_INITIAL | TKT_FLG_PRE_AUTH, T0 - 20000, 0, T0 - 1000, 0);
	EXPECT_EQ_INT(tgs(&old, "host/svc.test", 0, NULL, &c), KRB_AP_ERR_TKT_EXPIRED);
	cred_free(&old);
	old = forge("user", TGS, TKT_FLG_PRE_AUTH, T0, T0 + 3600, T0 + 7200, 0);
	EXPECT_EQ_INT(tgs(&old, "host/svc.test", 0, NULL, &c), KRB_AP_ERR_TKT_NYV);
	cred_free(&old);
}

int
main(int argc, char **argv)
{
	struct kdc_fixture_cred user = {0}, alice = {0};
	static const struct {
		const char *name, *pw;
		uint32_t attrs;
	} princs[] = {
		/* this test's, beside the kdc_dispatch realm's */
		{"hw", "hwpw", DB_ATTR_REQUIRES_HWAUTH},
		{"hwpa", "hwpapw", DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_REQUIRES_HWAUTH},
		{"host/pa.test", NULL, DB_ATTR_REQUIRES_PREAUTH},
		{"host/hw.test", NULL, DB_ATTR_REQUIRES_HWAUTH},
		{"host/notgt.test", NULL, DB_ATTR_DISALLOW_TGT_BASED},
		{"dupskey", "dupskeypw", DB_ATTR_DISALLOW_DUP_SKEY},
		{"gone", "gonepw", 0},
		{"broken", "brokenpw", 0},
		{"host/broken.test", NULL, 0},
		{"host/flip.test", NULL, 0},
		{"flipper", "flipperpw", 0},
	};

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (kdc_fixture_open_dispatch(&fx) != ORTH_OK || arena_init(&A, 1u << 22) != ORTH_OK) {
		fprintf(stderr, "cannot set up the fixture\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof(princs) / sizeof(princs[0]); i++)
		if (kdc_fixture_add(&fx, princs[i].name, princs[i].pw, princs[i].attrs) != ORTH_OK) {
			fprintf(stderr, "cannot add %s\n", princs[i].name);
			return 1;
		}
	EXPECT_EQ_INT(as("user", "userpw", true, TGS, KDC_OPT_RENEWABLE, &user), 0);
	EXPECT_EQ_INT(as("alice", "alicepw", false, TGS, 0, &alice), 0);

	test_as_client_requires_hwauth();
	test_tgs_server_requires_preauth(&user, &alice);
	test_tgs_server_requires_hwauth(&user);
	test_tgs_disallow_dup_skey(&user);
	test_tgs_disallow_tgt_based(&user);
	test_tgs_authz_kdc_issued_dropped(&user);
	test_tgs_authz_refused(&user);
	test_tgs_deleted_client();
	test_tgs_entry_change_seen(&user);
	test_tgs_client_db_error(&user);
	test_tgs_u2u_second_ticket_times(&user);

	cred_free(&user);
	cred_free(&alice);
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_attrs");
}
