/*
 * test_kdc_s4u.c - MS-SFU's S4U2Self and S4U2Proxy (src/kdc/s4u.c) end to
 * end through kdc_handle() over the fixture realm: the user's ticket to the
 * service with PA-S4U-X509-USER (and the KDC's checksum in the reply) or
 * PA-FOR-USER alone; FORWARDABLE only with ok-to-auth-as-delegate; the
 * constrained-delegation ticket to a listed target, with the evidence
 * ticket's client; and every refusal with its KRB-ERROR code: bad
 * checksums and nonces, malformed padata, another server, unknown, locked
 * or foreign users, options, unlisted or TGS targets, non-forwardable or
 * foreign evidence.
 *
 *   test_kdc_s4u                      run the checks
 *   test_kdc_s4u --write-seeds DIR    also write seeds under DIR (the
 *                                     corpus root, fuzz/corpus): the S4U
 *                                     requests in kdc_dispatch/, the padata
 *                                     values in pa_for_user/ and
 *                                     pa_s4u_x509_user/
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"

#define T0 KDC_FIXTURE_SEED_TIME
#define REALM "TEST.REALM"
#define TGS "krbtgt/" REALM
#define SVC "svc/a.test"         /* ok-to-auth-as-delegate, may delegate to host/b */
#define SVC2 "svc/plain.test"    /* neither */

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static const char *seed_dir;
static char seed_kdc[512], seed_fu[512], seed_x509[512];
static const char *seed_name;   /* the padata of the request being built */

/* What the padata hook adds (kdc_fixture_set_tgs_padata). */
enum { SEND_NONE = 0, SEND_X509 = 1, SEND_FOR_USER = 2, SEND_BOTH = 3 };
static struct {
	int which;
	const char *user, *realm;
	bool bad_cksum, bad_nonce, reply_usage;
	const uint8_t *raw_x509, *raw_for_user; /* hostile bytes instead */
	size_t raw_x509_len, raw_for_user_len;
} pa_spec;
static uint32_t last_nonce;

static orth_err
user_name(struct arena *a, const char *user, PrincipalName *out)
{
	orth_err ret;
	struct principal p;

	TRY(principal_parse(user, REALM, a, &p));
	TRY(pname_from_principal(&p, a, out));
cleanup:
	return ret;
}

/* The padata a client sends: PA-S4U-X509-USER (usage 26 under the
 * session key: the fixture sends no subkey) and/or PA-FOR-USER
 * (HMAC-MD5, usage 17), as pa_spec says. */
static orth_err
s4u_padata(void *arg, struct arena *a, const KDC_REQ_BODY *b, const struct kdc_fixture_cred *tgt,
	   METHOD_DATA *out)
{
	orth_err ret = ORTH_OK;
	PA_DATA *pa = arena_alloc(a, 2 * sizeof(*pa));
	PrincipalName *pn = arena_alloc(a, sizeof(*pn));
	uint32_t *opts = arena_alloc(a, sizeof(*opts));
	const char *realm = pa_spec.realm != NULL ? pa_spec.realm : REALM;
	size_t n = 0;

	(void)arg;
	CHECK(pa != NULL && pn != NULL && opts != NULL, ORTH_E_LIMIT);
	last_nonce = b->nonce;
	if (pa_spec.which == SEND_NONE)
		goto done;
	TRY(user_name(a, pa_spec.user, pn));
	if (pa_spec.which & SEND_X509) {
		PA_S4U_X509_USER x;
		uint8_t *id, ck[CRYPTO_MAX_CKSUM_LEN];
		size_t id_len, ck_len;

		memset(&x, 0, sizeof(x));
		x.user_id.nonce = pa_spec.bad_nonce ? b->nonce + 1 : b->nonce;
		x.user_id.cname = pn;
		x.user_id.crealm = (char *)realm;
		if (pa_spec.reply_usage) {
			*opts = KRB5_S4U_OPT_USE_REPLY_KEY_USAGE;
			x.user_id.options = opts;
		}
		TRY(der_encode_arena(&asn1_S4UUserID, &x.user_id, a, &id, &id_len));
		TRY(crypto_checksum_make(tgt->key, KU_PA_S4U_X509_USER_REQUEST, id, id_len,
					 &x.checksum.cksumtype, ck, &ck_len));
		if (pa_spec.bad_cksum)
			ck[0] ^= 1;
		x.checksum.checksum.data = ck;
		x.checksum.checksum.len = ck_len;
		pa[n].padata_type = KRB5_PADATA_S4U_X509_USER;
		if (pa_spec.raw_x509 != NULL) {
			pa[n].padata_value.data = (uint8_t *)pa_spec.raw_x509;
			pa[n].padata_value.len = pa_spec.raw_x509_len;
		} else {
			TRY(der_encode_arena(&asn1_PA_S4U_X509_USER, &x, a,
					     &pa[n].padata_value.data, &pa[n].padata_value.len));
			if (seed_dir != NULL && seed_name != NULL)
				kdc_fixture_seed_write(seed_x509, seed_name,
						       pa[n].padata_value.data,
						       pa[n].padata_value.len);
		}
		n++;
	}
	if (pa_spec.which & SEND_FOR_USER) {
		PA_FOR_USER fu;
		uint8_t data[512], *ck = arena_alloc(a, 16);
		size_t len = 4;

		CHECK(ck != NULL, ORTH_E_LIMIT);
		memset(&fu, 0, sizeof(fu));
		fu.userName = *pn;
		fu.userRealm = (char *)realm;
		fu.auth_package = "Kerberos";
		/* MS-SFU §2.2.1: name type (LE), components, realm, package */
		data[0] = (uint8_t)pn->name_type;
		data[1] = data[2] = data[3] = 0;
		for (size_t i = 0; i < pn->name_string.len; i++) {
			memcpy(data + len, pn->name_string.val[i], strlen(pn->name_string.val[i]));
			len += strlen(pn->name_string.val[i]);
		}
		memcpy(data + len, realm, strlen(realm));
		len += strlen(realm);
		memcpy(data + len, "Kerberos", 8);
		len += 8;
		TRY(crypto_checksum_hmac_md5(tgt->key, 17, data, len, ck));
		if (pa_spec.bad_cksum)
			ck[0] ^= 1;
		fu.cksum.cksumtype = CRYPTO_CKSUMTYPE_HMAC_MD5;
		fu.cksum.checksum.data = ck;
		fu.cksum.checksum.len = 16;
		pa[n].padata_type = KRB5_PADATA_FOR_USER;
		if (pa_spec.raw_for_user != NULL) {
			pa[n].padata_value.data = (uint8_t *)pa_spec.raw_for_user;
			pa[n].padata_value.len = pa_spec.raw_for_user_len;
		} else {
			TRY(der_encode_arena(&asn1_PA_FOR_USER, &fu, a, &pa[n].padata_value.data,
					     &pa[n].padata_value.len));
			if (seed_dir != NULL && seed_name != NULL)
				kdc_fixture_seed_write(seed_fu, seed_name,
						       pa[n].padata_value.data,
						       pa[n].padata_value.len);
		}
		n++;
	}
done:
	out->len = n;
	out->val = pa;
cleanup:
	return ret;
}

/* AS exchange for client with password pw (PA-ENC-TIMESTAMP). */
static int
as(const char *client, const char *pw, uint32_t opts, struct kdc_fixture_cred *cred)
{
	uint8_t *req;
	size_t len;
	struct crypto_key *k = NULL;
	int code = -2;

	memset(cred, 0, sizeof(*cred));
	if (kdc_fixture_client_key(&fx, &A, client, pw, 18, &k) == ORTH_OK &&
	    kdc_fixture_as_req(&fx, &A, client, TGS, opts, 0, 0, k, &req, &len) == ORTH_OK)
		code = kdc_fixture_exchange(&fx, &A, req, len, k, rep, sizeof(rep), cred, NULL);
	crypto_key_free(k);
	return code;
}

/* A TGS exchange with the padata of pa_spec; *cred on success, and the
 * reply in rep (*n_out bytes). */
static int
tgs(const char *seed, const struct kdc_fixture_cred *tgt, const char *svc, uint32_t opts,
    const Ticket *second, struct kdc_fixture_cred *cred, size_t *n_out)
{
	uint8_t *req;
	size_t len;

	memset(cred, 0, sizeof(*cred));
	kdc_fixture_set_tgs_padata(s4u_padata, NULL);
	seed_name = seed;
	if (kdc_fixture_tgs_req(&fx, &A, tgt, svc, opts, 0, second, &req, &len) != ORTH_OK)
		return -2;
	seed_name = NULL;
	kdc_fixture_set_tgs_padata(NULL, NULL);
	if (seed_dir != NULL)
		kdc_fixture_seed_write(seed_kdc, seed, req, len);
	return kdc_fixture_exchange(&fx, &A, req, len, tgt->key, rep, sizeof(rep), cred, n_out);
}

static void
spec(int which, const char *user)
{
	memset(&pa_spec, 0, sizeof(pa_spec));
	pa_spec.which = which;
	pa_spec.user = user;
}

static bool
cname_is(const struct kdc_fixture_cred *c, const char *name)
{
	return c->cname.name_string.len == 1 && strcmp(c->cname.name_string.val[0], name) == 0 &&
	       strcmp(c->crealm, REALM) == 0;
}

/* The reply's PA-S4U-X509-USER: decodes, names the user with the
 * request's nonce, its checksum verifies under key with usage. */
static void
check_reply_padata(size_t n, struct crypto_key *key, int32_t usage, const char *user)
{
	TGS_REP r;
	PA_S4U_X509_USER x;
	const PA_DATA *pa = NULL;

	memset(&r, 0, sizeof(r));
	memset(&x, 0, sizeof(x));
	EXPECT_EQ_INT(der_decode(&asn1_TGS_REP, rep, n, &A, &r), ORTH_OK);
	for (size_t i = 0; r.padata != NULL && i < r.padata->len; i++)
		if (r.padata->val[i].padata_type == KRB5_PADATA_S4U_X509_USER)
			pa = &r.padata->val[i];
	EXPECT(pa != NULL);
	if (pa == NULL)
		return;
	EXPECT_EQ_INT(der_decode(&asn1_PA_S4U_X509_USER, pa->padata_value.data,
				 pa->padata_value.len, &A, &x),
		      ORTH_OK);
	EXPECT_EQ_INT(x.user_id.nonce, last_nonce);
	EXPECT(x.user_id.cname != NULL && strcmp(x.user_id.cname->name_string.val[0], user) == 0);
	EXPECT(x.user_id.subject_certificate == NULL);
	EXPECT_EQ_INT(x.user_id.options != NULL,
		      usage == KU_PA_S4U_X509_USER_REPLY);
	EXPECT_EQ_INT(crypto_checksum_verify(key, usage, x.checksum.cksumtype,
					     x.user_id._raw.data, x.user_id._raw.len,
					     x.checksum.checksum.data, x.checksum.checksum.len),
		      ORTH_OK);
}

static void
test_s4u2self(const struct kdc_fixture_cred *svc, const struct kdc_fixture_cred *svc2,
	      struct kdc_fixture_cred *evidence_out)
{
	struct kdc_fixture_cred c;
	EncTicketPart tp;
	size_t n = 0;

	/* MIT's client: both padata, use-reply-key-usage; the reply's
	 * checksum under usage 27. */
	spec(SEND_BOTH, "alice");
	pa_spec.reply_usage = true;
	EXPECT_EQ_INT(tgs("s4u2self-both", svc, SVC, KDC_OPT_FORWARDABLE, NULL, &c, &n), 0);
	EXPECT(cname_is(&c, "alice"));
	EXPECT(c.flags & TKT_FLG_FORWARDABLE);
	check_reply_padata(n, svc->key, KU_PA_S4U_X509_USER_REPLY, "alice");
	memset(&tp, 0, sizeof(tp));
	EXPECT_EQ_INT(kdc_fixture_ticket_open(&fx, &A, &c.ticket, &tp), ORTH_OK);
	EXPECT(strcmp(tp.cname.name_string.val[0], "alice") == 0);
	EXPECT(tp.flags & TKT_FLG_FORWARDABLE);
	*evidence_out = c;

	/* without the option: usage 26 */
	spec(SEND_X509, "alice");
	EXPECT_EQ_INT(tgs("s4u2self-x509", svc, SVC, 0, NULL, &c, &n), 0);
	EXPECT(cname_is(&c, "alice"));
	EXPECT(!(c.flags & TKT_FLG_FORWARDABLE));
	check_reply_padata(n, svc->key, KU_PA_S4U_X509_USER_REQUEST, "alice");
	crypto_key_free(c.key);

	/* Windows 2003's PA-FOR-USER alone */
	spec(SEND_FOR_USER, "alice");
	EXPECT_EQ_INT(tgs("s4u2self-for-user", svc, SVC, KDC_OPT_FORWARDABLE, NULL, &c, &n), 0);
	EXPECT(cname_is(&c, "alice"));
	crypto_key_free(c.key);

	/* no ok-to-auth-as-delegate: never FORWARDABLE */
	spec(SEND_BOTH, "alice");
	EXPECT_EQ_INT(tgs("s4u2self-not-trusted", svc2, SVC2, KDC_OPT_FORWARDABLE, NULL, &c, &n),
		      0);
	EXPECT(cname_is(&c, "alice"));
	EXPECT(!(c.flags & TKT_FLG_FORWARDABLE));
	crypto_key_free(c.key);

	/* checksums and the nonce */
	spec(SEND_X509, "alice");
	pa_spec.bad_cksum = true;
	EXPECT_EQ_INT(tgs("s4u2self-x509-badck", svc, SVC, 0, NULL, &c, NULL), KRB_AP_ERR_MODIFIED);
	spec(SEND_FOR_USER, "alice");
	pa_spec.bad_cksum = true;
	EXPECT_EQ_INT(tgs("s4u2self-for-user-badck", svc, SVC, 0, NULL, &c, NULL),
		      KRB_AP_ERR_MODIFIED);
	spec(SEND_X509, "alice");
	pa_spec.bad_nonce = true;
	EXPECT_EQ_INT(tgs("s4u2self-x509-nonce", svc, SVC, 0, NULL, &c, NULL), KRB_AP_ERR_MODIFIED);
	/* PA-S4U-X509-USER wins over PA-FOR-USER: a bad one is not saved
	 * by a good PA-FOR-USER */
	spec(SEND_BOTH, "alice");
	pa_spec.bad_nonce = true;
	EXPECT_EQ_INT(tgs(NULL, svc, SVC, 0, NULL, &c, NULL), KRB_AP_ERR_MODIFIED);

	/* who may ask, for whom */
	spec(SEND_BOTH, "alice");
	EXPECT_EQ_INT(tgs("s4u2self-other-server", svc, "host/b.test", 0, NULL, &c, NULL),
		      KRB_AP_ERR_BADMATCH);
	spec(SEND_BOTH, "nobody");
	EXPECT_EQ_INT(tgs("s4u2self-unknown", svc, SVC, 0, NULL, &c, NULL),
		      KDC_ERR_C_PRINCIPAL_UNKNOWN);
	spec(SEND_BOTH, "locked");
	EXPECT_EQ_INT(tgs("s4u2self-locked", svc, SVC, 0, NULL, &c, NULL), KDC_ERR_CLIENT_REVOKED);
	spec(SEND_BOTH, "alice");
	pa_spec.realm = "OTHER.REALM";
	EXPECT_EQ_INT(tgs("s4u2self-foreign", svc, SVC, 0, NULL, &c, NULL), KDC_ERR_POLICY);
	spec(SEND_BOTH, "alice");
	EXPECT_EQ_INT(tgs("s4u2self-forwarded", svc, SVC, KDC_OPT_FORWARDED, NULL, &c, NULL),
		      KDC_ERR_BADOPTION);
}

static void
test_s4u2self_malformed(const struct kdc_fixture_cred *svc)
{
	struct kdc_fixture_cred c;
	static const uint8_t junk[] = {0x30, 0x03, 0xa0, 0x01, 0x00};
	static const uint8_t empty_seq[] = {0x30, 0x00};
	static const uint8_t huge_len[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff};
	const struct {
		const uint8_t *b;
		size_t n;
	} bad[] = {{junk, sizeof(junk)}, {empty_seq, sizeof(empty_seq)}, {huge_len, sizeof(huge_len)},
		   {junk, 0}};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		spec(SEND_X509, "alice");
		pa_spec.raw_x509 = bad[i].b;
		pa_spec.raw_x509_len = bad[i].n;
		EXPECT_EQ_INT(tgs(i == 0 ? "s4u2self-x509-junk" : NULL, svc, SVC, 0, NULL, &c, NULL),
			      KRB_ERR_GENERIC);
		spec(SEND_FOR_USER, "alice");
		pa_spec.raw_for_user = bad[i].b;
		pa_spec.raw_for_user_len = bad[i].n;
		EXPECT_EQ_INT(tgs(i == 0 ? "s4u2self-for-user-junk" : NULL, svc, SVC, 0, NULL, &c,
				  NULL),
			      KRB_ERR_GENERIC);
	}
}

static void
test_s4u2proxy(const struct kdc_fixture_cred *svc, const struct kdc_fixture_cred *svc2,
	       const struct kdc_fixture_cred *evidence, const struct kdc_fixture_cred *alice)
{
	struct kdc_fixture_cred c, plain;
	EncTicketPart tp;

	/* the listed target: a ticket to it for alice */
	spec(SEND_NONE, NULL);
	EXPECT_EQ_INT(tgs("s4u2proxy-ok", svc, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT,
			  &evidence->ticket, &c, NULL),
		      0);
	EXPECT(cname_is(&c, "alice"));
	memset(&tp, 0, sizeof(tp));
	EXPECT_EQ_INT(kdc_fixture_ticket_open(&fx, &A, &c.ticket, &tp), ORTH_OK);
	EXPECT(strcmp(tp.cname.name_string.val[0], "alice") == 0);
	EXPECT(c.endtime <= evidence->endtime);
	crypto_key_free(c.key);

	/* not listed; a TGS; no ticket; options */
	EXPECT_EQ_INT(tgs("s4u2proxy-unlisted", svc, "host/c.test", KDC_OPT_CNAME_IN_ADDL_TKT,
			  &evidence->ticket, &c, NULL),
		      KDC_ERR_BADOPTION);
	EXPECT_EQ_INT(tgs("s4u2proxy-tgs", svc, TGS, KDC_OPT_CNAME_IN_ADDL_TKT, &evidence->ticket,
			  &c, NULL),
		      KDC_ERR_POLICY);
	EXPECT_EQ_INT(tgs("s4u2proxy-noticket", svc, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT, NULL,
			  &c, NULL),
		      KDC_ERR_BADOPTION);
	EXPECT_EQ_INT(tgs("s4u2proxy-u2u", svc, "host/b.test",
			  KDC_OPT_CNAME_IN_ADDL_TKT | KDC_OPT_ENC_TKT_IN_SKEY, &evidence->ticket,
			  &c, NULL),
		      KDC_ERR_BADOPTION);

	/* evidence not forwardable */
	spec(SEND_X509, "alice");
	EXPECT_EQ_INT(tgs(NULL, svc, SVC, 0, NULL, &plain, NULL), 0);
	spec(SEND_NONE, NULL);
	EXPECT_EQ_INT(tgs("s4u2proxy-not-forwardable", svc, "host/b.test",
			  KDC_OPT_CNAME_IN_ADDL_TKT, &plain.ticket, &c, NULL),
		      KDC_ERR_BADOPTION);
	crypto_key_free(plain.key);

	/* evidence for another service: svc2 presents svc's ticket; a
	 * user's own service ticket to b presented by svc */
	EXPECT_EQ_INT(tgs("s4u2proxy-other-evidence", svc2, "host/b.test",
			  KDC_OPT_CNAME_IN_ADDL_TKT, &evidence->ticket, &c, NULL),
		      KDC_ERR_SERVER_NOMATCH);
	EXPECT_EQ_INT(tgs(NULL, alice, "host/b.test", KDC_OPT_FORWARDABLE, NULL, &plain, NULL), 0);
	EXPECT_EQ_INT(tgs(NULL, svc, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT, &plain.ticket, &c,
			  NULL),
		      KDC_ERR_SERVER_NOMATCH);
	crypto_key_free(plain.key);

	/* a forwardable ticket alice got herself for svc is evidence too
	 * (MS-SFU §3.2.5.2: any forwardable service ticket) */
	EXPECT_EQ_INT(tgs(NULL, alice, SVC, KDC_OPT_FORWARDABLE, NULL, &plain, NULL), 0);
	EXPECT(plain.flags & TKT_FLG_FORWARDABLE);
	EXPECT_EQ_INT(tgs(NULL, svc, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT, &plain.ticket, &c,
			  NULL),
		      0);
	EXPECT(cname_is(&c, "alice"));
	crypto_key_free(c.key);
	crypto_key_free(plain.key);

	/* the user deleted since the evidence was issued */
	spec(SEND_BOTH, "bob");
	EXPECT_EQ_INT(tgs(NULL, svc, SVC, KDC_OPT_FORWARDABLE, NULL, &plain, NULL), 0);
	EXPECT(plain.flags & TKT_FLG_FORWARDABLE);
	EXPECT_EQ_INT(kdc_fixture_delete(&fx, "bob"), ORTH_OK);
	spec(SEND_NONE, NULL);
	EXPECT_EQ_INT(tgs("s4u2proxy-user-gone", svc, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT,
			  &plain.ticket, &c, NULL),
		      KDC_ERR_C_PRINCIPAL_UNKNOWN);
	crypto_key_free(plain.key);

	/* a service without a list may not delegate, even with a
	 * forwardable evidence ticket */
	EXPECT_EQ_INT(tgs(NULL, alice, SVC2, KDC_OPT_FORWARDABLE, NULL, &plain, NULL), 0);
	EXPECT(plain.flags & TKT_FLG_FORWARDABLE);
	EXPECT_EQ_INT(tgs("s4u2proxy-no-list", svc2, "host/b.test", KDC_OPT_CNAME_IN_ADDL_TKT,
			  &plain.ticket, &c, NULL),
		      KDC_ERR_BADOPTION);
	crypto_key_free(plain.key);
}

int
main(int argc, char **argv)
{
	struct kdc_fixture_cred svc = {0}, svc2 = {0}, alice = {0}, evidence = {0};
	static const struct {
		const char *name, *pw;
		uint32_t attrs;
	} princs[] = {
		{"alice", "alicepw", 0},
		{"bob", "bobpw", 0},
		{"locked", "lockedpw", DB_ATTR_DISALLOW_ALL_TIX},
		{SVC, "svcpw", DB_ATTR_OK_TO_AUTH_AS_DELEGATE},
		{SVC2, "svc2pw", 0},
		{"host/b.test", NULL, 0},
		{"host/c.test", NULL, 0},
	};

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0) {
		seed_dir = argv[2];
		snprintf(seed_kdc, sizeof(seed_kdc), "%s/kdc_dispatch", seed_dir);
		snprintf(seed_fu, sizeof(seed_fu), "%s/pa_for_user", seed_dir);
		snprintf(seed_x509, sizeof(seed_x509), "%s/pa_s4u_x509_user", seed_dir);
	}
	EXPECT_EQ_INT(arena_init(&A, 1 << 22), ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_open(&fx, REALM, T0), ORTH_OK);
	for (size_t i = 0; i < sizeof(princs) / sizeof(princs[0]); i++)
		EXPECT_EQ_INT(kdc_fixture_add(&fx, princs[i].name, princs[i].pw, princs[i].attrs),
			      ORTH_OK);
	EXPECT_EQ_INT(kdc_fixture_deleg_set(&fx, SVC, "host/b.test"), ORTH_OK);
	EXPECT_EQ_INT(as(SVC, "svcpw", KDC_OPT_FORWARDABLE, &svc), 0);
	EXPECT_EQ_INT(as(SVC2, "svc2pw", KDC_OPT_FORWARDABLE, &svc2), 0);
	EXPECT_EQ_INT(as("alice", "alicepw", KDC_OPT_FORWARDABLE, &alice), 0);
	EXPECT(svc.flags & TKT_FLG_FORWARDABLE);

	test_s4u2self(&svc, &svc2, &evidence);
	test_s4u2self_malformed(&svc);
	test_s4u2proxy(&svc, &svc2, &evidence, &alice);

	crypto_key_free(evidence.key);
	crypto_key_free(svc.key);
	crypto_key_free(svc2.key);
	crypto_key_free(alice.key);
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_s4u");
}
