/*
 * test_client.c - the client library's pure parts: krb5.conf, KDC address
 * parsing, the TGS-REQ we build, and the checks of AS/TGS replies (a reply
 * naming another service than asked is refused: CVE-2017-11103).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "client/client_int.h"
#include "proto/encdata.h"
#include "proto/fast.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"
#include "proto/s4u.h"

static void
test_conf(void)
{
	struct client_conf c;
	char err[256];
	char kdcs[8][256];
	size_t n = 0;
	const char *text =
		"[libdefaults]\n"
		"  default_realm = EXAMPLE.ORG\n"
		"  default_ccache_name = FILE:/tmp/cc_%{uid}\n"
		"  default_keytab_name = FILE:/tmp/kt\n"
		"  udp_preference_limit = 1\n"
		"  clockskew = 2m\n"
		"  ticket_lifetime = 10h\n"
		"  renew_lifetime = 7d\n"
		"  forwardable = true\n"
		"  dns_lookup_kdc = false\n"
		"  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128 rc4-hmac\n"
		"  default_tkt_enctypes = aes128-cts-hmac-sha256-128, aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n"
		"[realms]\n"
		"  EXAMPLE.ORG = {\n"
		"    kdc = kdc1.example.org:8888\n"
		"    admin_server = adm.example.org\n"
		"    kdc = 127.0.0.1\n"
		"  }\n";

	EXPECT_EQ_INT(client_conf_load_string(text, &c, err, sizeof(err)), ORTH_OK);
	EXPECT(c.default_realm && strcmp(c.default_realm, "EXAMPLE.ORG") == 0);
	EXPECT(c.default_keytab_name && strcmp(c.default_keytab_name, "FILE:/tmp/kt") == 0);
	EXPECT_EQ_INT(c.udp_preference_limit, 1);
	EXPECT_EQ_INT(c.clockskew, 120);
	EXPECT_EQ_INT(c.ticket_lifetime, 36000);
	EXPECT_EQ_INT(c.renew_lifetime, 7 * 86400);
	EXPECT(c.forwardable);
	/* rc4 is skipped; permitted filters the tkt list (aes128-sha1 out). */
	EXPECT_EQ_INT(c.npermitted, 2);
	EXPECT_EQ_INT(c.ntkt, 2);
	EXPECT_EQ_INT(c.tkt_etypes[0], 19);
	EXPECT_EQ_INT(c.tkt_etypes[1], 18);
	EXPECT_EQ_INT(c.ntgs, 2);  /* defaults to permitted */
	EXPECT_EQ_INT(client_conf_kdcs(&c, "EXAMPLE.ORG", kdcs, 8, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 2);
	EXPECT(strcmp(kdcs[0], "kdc1.example.org:8888") == 0);
	EXPECT(strcmp(kdcs[1], "127.0.0.1") == 0);
	EXPECT_EQ_INT(client_conf_kdcs(&c, "OTHER.ORG", kdcs, 8, &n), ORTH_E_NOTFOUND);
	client_conf_free(&c);

	/* Defaults. */
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n", &c, err, sizeof(err)), ORTH_OK);
	EXPECT(c.default_realm == NULL);
	EXPECT_EQ_INT(c.udp_preference_limit, CLIENT_DEFAULT_UDP_LIMIT);
	EXPECT_EQ_INT(c.clockskew, 300);
	EXPECT_EQ_INT(c.ticket_lifetime, 86400);
	EXPECT_EQ_INT(c.ntkt, 4);
	EXPECT_EQ_INT(c.tkt_etypes[0], 18);
	EXPECT(!c.forwardable);
	client_conf_free(&c);

	/* Bad values are errors with a message. */
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n clockskew = soon\n",
					      &c, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "clockskew") != NULL);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n forwardable = maybe\n",
					      &c, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n udp_preference_limit = -3\n",
					      &c, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n permitted_enctypes = des-cbc-crc rc4-hmac\n",
					      &c, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults\n", &c, err, sizeof(err)),
		      ORTH_E_CONFIG);
}

/* KRB5_CONFIG lists: in order, first value wins, missing files skipped. */
static void
test_conf_files(void)
{
	char dir[] = "/tmp/test_client.XXXXXX";
	char f1[128], f2[128], list[512], err[256];
	struct client_conf c;
	char kdcs[8][256];
	size_t n = 0;
	FILE *f;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(f1, sizeof(f1), "%s/a.conf", dir);
	snprintf(f2, sizeof(f2), "%s/b.conf", dir);
	f = fopen(f1, "w");
	fputs("[libdefaults]\n ticket_lifetime = 1h\n", f);
	fclose(f);
	f = fopen(f2, "w");
	fputs("[libdefaults]\n ticket_lifetime = 2h\n default_realm = B.ORG\n"
	      "[realms]\n B.ORG = {\n  kdc = [::1]:750\n }\n", f);
	fclose(f);
	snprintf(list, sizeof(list), "%s:%s/missing.conf:%s", f1, dir, f2);
	EXPECT_EQ_INT(client_conf_load(list, &c, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(c.ticket_lifetime, 3600);
	EXPECT(c.default_realm && strcmp(c.default_realm, "B.ORG") == 0);
	EXPECT_EQ_INT(client_conf_kdcs(&c, "B.ORG", kdcs, 8, &n), ORTH_OK);
	EXPECT(n == 1 && strcmp(kdcs[0], "[::1]:750") == 0);
	client_conf_free(&c);
	f = fopen(f1, "w");
	fputs("[libdefaults\n", f);
	fclose(f);
	EXPECT_EQ_INT(client_conf_load(list, &c, err, sizeof(err)), ORTH_E_CONFIG);
	unlink(f1);
	unlink(f2);
	rmdir(dir);
}

static void
test_kdc_split(void)
{
	char h[64], p[8];

	EXPECT_EQ_INT(client_kdc_split("kdc.example.org", h, sizeof(h), p, sizeof(p)), ORTH_OK);
	EXPECT(strcmp(h, "kdc.example.org") == 0 && strcmp(p, "88") == 0);
	EXPECT_EQ_INT(client_kdc_split("127.0.0.1:8888", h, sizeof(h), p, sizeof(p)), ORTH_OK);
	EXPECT(strcmp(h, "127.0.0.1") == 0 && strcmp(p, "8888") == 0);
	EXPECT_EQ_INT(client_kdc_split("[::1]:750", h, sizeof(h), p, sizeof(p)), ORTH_OK);
	EXPECT(strcmp(h, "::1") == 0 && strcmp(p, "750") == 0);
	EXPECT_EQ_INT(client_kdc_split("fe80::1", h, sizeof(h), p, sizeof(p)), ORTH_OK);
	EXPECT(strcmp(h, "fe80::1") == 0 && strcmp(p, "88") == 0);
	EXPECT_EQ_INT(client_kdc_split("host:0", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split("host:70000", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split("host:8a", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split("host:", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split(":88", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split("[::1", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
	EXPECT_EQ_INT(client_kdc_split("[::1]x", h, sizeof(h), p, sizeof(p)), ORTH_E_CONFIG);
}

/* ---- replies ---- */

#define REALM "EXAMPLE.ORG"

static struct client_ctx ctx;

/* A DER Ticket for name/inst@REALM with an opaque enc-part. */
static uint8_t *
make_ticket(struct arena *a, const char *c1, const char *c2, const char *realm,
	    size_t *len)
{
	Ticket t;
	static uint8_t junk[64];
	uint8_t *out = NULL;

	memset(&t, 0, sizeof(t));
	t.tkt_vno = 5;
	t.realm = (char *)realm;
	EXPECT_EQ_INT(pname_build2(a, KRB5_NT_SRV_INST, c1, c2, &t.sname), ORTH_OK);
	t.enc_part.etype = 18;
	t.enc_part.cipher.data = junk;
	t.enc_part.cipher.len = sizeof(junk);
	EXPECT_EQ_INT(der_encode_arena(&asn1_Ticket, &t, a, &out, len), ORTH_OK);
	return out;
}

struct forge {
	const char *enc_s1, *enc_s2, *enc_realm;  /* names in EncKDCRepPart */
	const char *tkt_s1, *tkt_s2, *tkt_realm;  /* names in the ticket */
	const char *cname;                        /* KDC-REP cname */
	int nonce_delta;
	int use_session_key;                      /* 1: usage 8, 2: wrong key */
	int32_t key_etype;
	bool as_tag;                              /* EncASRepPart tag */
};

/* A TGS-REP answering r as f says. */
static uint8_t *
make_tgs_rep(struct arena *a, const struct client_tgs_req *r,
	     const struct forge *f, size_t *len)
{
	KDC_REP rep;
	EncKDCRepPart enc;
	uint8_t *tkt, *out = NULL;
	size_t tl;
	uint8_t keybytes[32] = {1, 2, 3};
	struct crypto_key *k = r->subkey, *wrong = NULL;
	int32_t usage = KU_TGS_REP_ENC_PART_SUBKEY;
	const char *cn = f->cname ? f->cname : "alice";

	memset(&rep, 0, sizeof(rep));
	memset(&enc, 0, sizeof(enc));
	rep.pvno = 5;
	rep.msg_type = KRB5_MSG_TGS_REP;
	rep.crealm = REALM;
	rep.cname.name_type = KRB5_NT_PRINCIPAL;
	rep.cname.name_string.len = 1;
	rep.cname.name_string.val = arena_alloc(a, sizeof(char *));
	rep.cname.name_string.val[0] = (char *)cn;
	tkt = make_ticket(a, f->tkt_s1, f->tkt_s2, f->tkt_realm, &tl);
	EXPECT_EQ_INT(der_decode(&asn1_Ticket, tkt, tl, a, &rep.ticket), ORTH_OK);
	enc.key.keytype = f->key_etype ? f->key_etype : 18;
	enc.key.keyvalue.data = keybytes;
	enc.key.keyvalue.len = crypto_enctype_keylen(enc.key.keytype);
	enc.nonce = r->body.nonce + (uint32_t)f->nonce_delta;
	enc.flags = TKT_FLG_FORWARDABLE;
	enc.authtime = 1700000000;
	enc.endtime = 1700036000;
	enc.srealm = (char *)f->enc_realm;
	EXPECT_EQ_INT(pname_build2(a, KRB5_NT_SRV_INST, f->enc_s1, f->enc_s2, &enc.sname),
		      ORTH_OK);
	if (f->use_session_key == 1) {
		k = r->session_key;
		usage = KU_TGS_REP_ENC_PART_SESSKEY;
	} else if (f->use_session_key == 2) {
		EXPECT_EQ_INT(crypto_key_random(18, &wrong), ORTH_OK);
		k = wrong;
	}
	EXPECT_EQ_INT(proto_seal(k, usage, f->as_tag ? &asn1_EncASRepPart : &asn1_EncTGSRepPart,
				 &enc, a, &rep.enc_part), ORTH_OK);
	EXPECT_EQ_INT(der_encode_arena(&asn1_TGS_REP, &rep, a, &out, len), ORTH_OK);
	crypto_key_free(wrong);
	return out;
}

static void
test_tgs(void)
{
	struct arena a = {0};
	struct ccache_cred tgt, cred;
	struct principal alice, svc;
	struct crypto_key *sk = NULL;
	struct client_tgs_params p;
	struct client_tgs_req r;
	const uint8_t *kb;
	size_t kl, tl, rl;
	uint8_t *tkt, *rep;
	const char *svc_comps[2] = {"host", "svc.example.org"};
	const char *alice_comps[1] = {"alice"};
	TGS_REQ req;
	AP_REQ ap;
	Authenticator au;
	const struct forge good = {"host", "svc.example.org", REALM, "host",
				   "svc.example.org", REALM, NULL, 0, 0, 0, false};
	struct forge f;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n", &ctx.conf, NULL, 0), ORTH_OK);
	memset(&tgt, 0, sizeof(tgt));
	memset(&p, 0, sizeof(p));
	EXPECT_EQ_INT(principal_build(&a, REALM, KRB5_NT_PRINCIPAL, 1, alice_comps, &alice), ORTH_OK);
	EXPECT_EQ_INT(principal_build(&a, REALM, KRB5_NT_SRV_HST, 2, svc_comps, &svc), ORTH_OK);
	EXPECT_EQ_INT(client_princ_to_cc(&alice, &tgt.client), ORTH_OK);
	{
		const char *k[2] = {"krbtgt", REALM};
		struct principal kp;
		EXPECT_EQ_INT(principal_build(&a, REALM, KRB5_NT_SRV_INST, 2, k, &kp), ORTH_OK);
		EXPECT_EQ_INT(client_princ_to_cc(&kp, &tgt.server), ORTH_OK);
	}
	EXPECT_EQ_INT(crypto_key_random(18, &sk), ORTH_OK);
	kb = crypto_key_bytes(sk, &kl);
	tgt.enctype = 18;
	EXPECT_EQ_INT(ccache_data_set(&tgt.key, kb, kl), ORTH_OK);
	tkt = make_ticket(&a, "krbtgt", REALM, REALM, &tl);
	EXPECT_EQ_INT(ccache_data_set(&tgt.ticket, tkt, tl), ORTH_OK);
	tgt.endtime = client_now() + 3600;
	p.tgt = &tgt;
	p.server = &svc;

	/* The request: checksum over the body (usage 6) in an
	 * authenticator (usage 7) with a subkey. */
	memset(&r, 0, sizeof(r));
	EXPECT_EQ_INT(client_tgs_req_build(&ctx, &p, &a, &r), ORTH_OK);
	memset(&req, 0, sizeof(req));
	EXPECT_EQ_INT(der_decode(&asn1_TGS_REQ, r.der, r.der_len, &a, &req), ORTH_OK);
	/* PA-TGS-REQ, then PA-FX-FAST: armored as MIT's library armors
	 * every TGS-REQ (checked below). */
	EXPECT(req.padata != NULL && req.padata->len == 2 &&
	       req.padata->val[0].padata_type == KRB5_PADATA_TGS_REQ &&
	       req.padata->val[1].padata_type == KRB5_PADATA_FX_FAST);
	memset(&ap, 0, sizeof(ap));
	memset(&au, 0, sizeof(au));
	EXPECT_EQ_INT(der_decode(&asn1_AP_REQ, req.padata->val[0].padata_value.data,
				 req.padata->val[0].padata_value.len, &a, &ap), ORTH_OK);
	EXPECT_EQ_INT(proto_unseal(sk, KU_TGS_REQ_AUTH, &ap.authenticator,
				   &asn1_Authenticator, &a, &au), ORTH_OK);
	EXPECT(au.cksum != NULL && au.subkey != NULL);
	if (au.cksum != NULL)
		EXPECT_EQ_INT(crypto_checksum_verify(sk, KU_TGS_REQ_AUTH_CKSUM,
						     au.cksum->cksumtype,
						     req.req_body._raw.data,
						     req.req_body._raw.len,
						     au.cksum->checksum.data,
						     au.cksum->checksum.len), ORTH_OK);
	/* RFC 6113 §5.4.1.1 implicit armor: no armor field, the checksum
	 * over the AP-REQ under KRB-FX-CF2(subkey, session key), the inner
	 * body the outer one. */
	if (req.padata != NULL && req.padata->len == 2 && au.subkey != NULL) {
		KrbFastArmoredReq ar;
		KrbFastReq fr;
		struct crypto_key *sub = NULL, *armor = NULL;
		memset(&fr, 0, sizeof(fr));
		EXPECT_EQ_INT(proto_fast_req_decode(req.padata->val[1].padata_value.data,
						    req.padata->val[1].padata_value.len, &a, &ar),
			      ORTH_OK);
		EXPECT(ar.armor == NULL);
		EXPECT_EQ_INT(crypto_key_new(au.subkey->keytype, au.subkey->keyvalue.data,
					     au.subkey->keyvalue.len, &sub),
			      ORTH_OK);
		EXPECT_EQ_INT(proto_fast_armor_key(sub, sk, &armor), ORTH_OK);
		EXPECT_EQ_INT(crypto_checksum_verify(armor, KU_FAST_REQ_CHKSUM,
						     ar.req_checksum.cksumtype,
						     req.padata->val[0].padata_value.data,
						     req.padata->val[0].padata_value.len,
						     ar.req_checksum.checksum.data,
						     ar.req_checksum.checksum.len),
			      ORTH_OK);
		EXPECT_EQ_INT(proto_unseal(armor, KU_FAST_ENC, &ar.enc_fast_req, &asn1_KrbFastReq,
					   &a, &fr),
			      ORTH_OK);
		EXPECT(fr.req_body._raw.len == req.req_body._raw.len &&
		       memcmp(fr.req_body._raw.data, req.req_body._raw.data,
			      req.req_body._raw.len) == 0);
		crypto_key_free(sub);
		crypto_key_free(armor);
	}
	EXPECT(strcmp(au.crealm, REALM) == 0);
	EXPECT(req.req_body.sname && pname_equal(req.req_body.sname, r.body.sname));

	/* A genuine reply is accepted. */
	memset(&cred, 0, sizeof(cred));
	rep = make_tgs_rep(&a, &r, &good, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_OK);
	EXPECT_EQ_INT(cred.server.ncomps, 2);
	EXPECT(cred.server.ncomps == 2 && memcmp(cred.server.comps[1].data, "svc.example.org", 15) == 0);
	EXPECT_EQ_INT(cred.endtime, 1700036000);
	ccache_cred_free(&cred);

	/* Usage 8 under the session key: accepted (RFC 4120 §5.4.2). */
	f = good;
	f.use_session_key = 1;
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_OK);
	ccache_cred_free(&cred);
	/* EncASRepPart tag: tolerated. */
	f = good;
	f.as_tag = true;
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_OK);
	ccache_cred_free(&cred);

	/* CVE-2017-11103: the encrypted part names another service. */
	f = good;
	f.enc_s2 = "other.example.org";
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	EXPECT(strstr(ctx.msg, "other.example.org") != NULL);
	EXPECT(cred.ticket.data == NULL);
	/* ... or another realm. */
	f = good;
	f.enc_realm = "EVIL.ORG";
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	/* The ticket swapped for one of another service. */
	f = good;
	f.tkt_s1 = "krbtgt";
	f.tkt_s2 = REALM;
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	f = good;
	f.tkt_realm = "EVIL.ORG";
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	/* A stale nonce (a replayed reply). */
	f = good;
	f.nonce_delta = 1;
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	EXPECT(strstr(ctx.msg, "nonce") != NULL);
	/* Another client. */
	f = good;
	f.cname = "mallory";
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_POLICY);
	/* A session key enctype not asked for. */
	f = good;
	f.key_etype = 17;
	{
		int32_t only18 = 18;
		struct client_tgs_params p2 = p;
		struct client_tgs_req r2;
		p2.etypes = &only18;
		p2.netypes = 1;
		memset(&r2, 0, sizeof(r2));
		EXPECT_EQ_INT(client_tgs_req_build(&ctx, &p2, &a, &r2), ORTH_OK);
		rep = make_tgs_rep(&a, &r2, &f, &rl);
		EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p2, &r2, rep, rl, &a, &cred), ORTH_E_POLICY);
		client_tgs_req_free(&r2);
	}
	/* Sealed in a key we do not have. */
	f = good;
	f.use_session_key = 2;
	rep = make_tgs_rep(&a, &r, &f, &rl);
	EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, rep, rl, &a, &cred), ORTH_E_INTEGRITY);
	/* Garbage and truncation. */
	rep = make_tgs_rep(&a, &r, &good, &rl);
	EXPECT(client_tgs_rep_process(&ctx, &p, &r, rep, rl - 1, &a, &cred) != ORTH_OK);
	EXPECT(client_tgs_rep_process(&ctx, &p, &r, (const uint8_t *)"\x6d\x00", 2, &a, &cred) != ORTH_OK);
	EXPECT(client_tgs_rep_process(&ctx, &p, &r, (const uint8_t *)"", 0, &a, &cred) != ORTH_OK);

	/* Hostile bytes: every single-byte change and every truncation of a
	 * genuine reply is either refused or (a change in an unchecked
	 * field) accepted, never a crash (run under ASan). */
	{
		struct arena b = {0};
		uint8_t *m;
		int refused = 0;
		EXPECT_EQ_INT(arena_init(&b, 1 << 20), ORTH_OK);
		rep = make_tgs_rep(&b, &r, &good, &rl);
		m = malloc(rl);
		for (size_t i = 0; i < rl; i++) {
			memcpy(m, rep, rl);
			m[i] ^= (uint8_t)(0x01u << (i % 8));
			memset(&cred, 0, sizeof(cred));
			if (client_tgs_rep_process(&ctx, &p, &r, m, rl, &b, &cred) != ORTH_OK)
				refused++;
			ccache_cred_free(&cred);
			if (client_tgs_rep_process(&ctx, &p, &r, rep, i, &b, &cred) == ORTH_OK)
				EXPECT(!"a truncated reply was accepted");
			arena_reset(&b);
			rep = make_tgs_rep(&b, &r, &good, &rl);
		}
		/* Flips in the MAC-covered enc-part must all be refused. */
		EXPECT(refused > (int)(rl / 2));
		free(m);
		arena_free(&b);
	}

	/* A KRB-ERROR: the code as a value and a message naming the service. */
	{
		struct proto_error pe;
		PrincipalName kt;
		uint8_t buf[1024];
		struct writer w;
		memset(&pe, 0, sizeof(pe));
		EXPECT_EQ_INT(pname_build2(&a, KRB5_NT_SRV_INST, "krbtgt", REALM, &kt), ORTH_OK);
		pe.code = KDC_ERR_S_PRINCIPAL_UNKNOWN;
		pe.realm = REALM;
		pe.sname = &kt;
		pe.stime = 1700000000;
		writer_init(&w, buf, sizeof(buf));
		EXPECT_EQ_INT(proto_krb_error_encode(&pe, &a, &w), ORTH_OK);
		EXPECT_EQ_INT(client_tgs_rep_process(&ctx, &p, &r, buf, w.len, &a, &cred),
			      ORTH_E_KRB(7));
		EXPECT(strstr(ctx.msg, "Server 'host/svc.example.org@EXAMPLE.ORG' not found in Kerberos database") != NULL);
	}
	EXPECT(strcmp(proto_krb_err_text(24), "Preauthentication failed") == 0);
	EXPECT(strcmp(proto_krb_err_text(37), "Clock skew too great") == 0);
	EXPECT(proto_krb_err_text(999) == NULL);

	client_tgs_req_free(&r);
	ccache_cred_free(&tgt);
	crypto_key_free(sk);
	client_conf_free(&ctx.conf);
	arena_free(&a);
}

/* The AS-REP check: a reply naming another service than asked is refused. */
static void
test_as(void)
{
	struct arena a = {0};
	KDC_REQ_BODY body;
	PrincipalName cname, sname, other;
	KDC_REP rep;
	EncKDCRepPart enc;
	struct crypto_key *key = NULL;
	uint8_t *tkt, *out;
	size_t tl, ol;
	uint8_t kb[32] = {9};
	int32_t et[1] = {18};
	struct ccache_cred cred;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n", &ctx.conf, NULL, 0), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_random(18, &key), ORTH_OK);
	memset(&body, 0, sizeof(body));
	cname.name_type = 1;
	cname.name_string.len = 1;
	cname.name_string.val = arena_alloc(&a, sizeof(char *));
	cname.name_string.val[0] = "alice";
	EXPECT_EQ_INT(pname_build2(&a, 2, "krbtgt", REALM, &sname), ORTH_OK);
	EXPECT_EQ_INT(pname_build2(&a, 2, "krbtgt", "EVIL.ORG", &other), ORTH_OK);
	body.cname = &cname;
	body.sname = &sname;
	body.realm = REALM;
	body.nonce = 4242;
	body.etype.len = 1;
	body.etype.val = et;

	for (int variant = 0; variant < 4; variant++) {
		memset(&rep, 0, sizeof(rep));
		memset(&enc, 0, sizeof(enc));
		memset(&cred, 0, sizeof(cred));
		rep.pvno = 5;
		rep.msg_type = KRB5_MSG_AS_REP;
		rep.crealm = REALM;
		rep.cname = cname;
		tkt = make_ticket(&a, "krbtgt", REALM, REALM, &tl);
		EXPECT_EQ_INT(der_decode(&asn1_Ticket, tkt, tl, &a, &rep.ticket), ORTH_OK);
		enc.key.keytype = 18;
		enc.key.keyvalue.data = kb;
		enc.key.keyvalue.len = 32;
		enc.nonce = variant == 2 ? 4243 : 4242;
		enc.authtime = 1700000000;
		enc.endtime = 1700036000;
		enc.srealm = REALM;
		enc.sname = variant == 1 ? other : sname;
		/* variant 3: EncTGSRepPart tag, which MIT's KDC may send. */
		EXPECT_EQ_INT(proto_seal(key, KU_AS_REP_ENC_PART,
					 variant == 3 ? &asn1_EncTGSRepPart : &asn1_EncASRepPart,
					 &enc, &a, &rep.enc_part), ORTH_OK);
		EXPECT_EQ_INT(der_encode_arena(&asn1_AS_REP, &rep, &a, &out, &ol), ORTH_OK);
		orth_err e = client_as_rep_process(&ctx, &body, key, out, ol, &a, &cred);
		if (variant == 0 || variant == 3) {
			EXPECT_EQ_INT(e, ORTH_OK);
			EXPECT_EQ_INT(cred.enctype, 18);
			EXPECT(cred.ticket.len == tl && memcmp(cred.ticket.data, tkt, tl) == 0);
		} else {
			EXPECT_EQ_INT(e, ORTH_E_POLICY);
		}
		ccache_cred_free(&cred);
		if (variant == 0) {
			/* Wrong password: the reply does not decrypt. */
			struct crypto_key *wrong = NULL;
			EXPECT_EQ_INT(crypto_key_random(18, &wrong), ORTH_OK);
			EXPECT_EQ_INT(client_as_rep_process(&ctx, &body, wrong, out, ol, &a, &cred),
				      ORTH_E_INTEGRITY);
			EXPECT(strstr(ctx.msg, "Password incorrect") != NULL);
			crypto_key_free(wrong);
		}
	}
	crypto_key_free(key);
	client_conf_free(&ctx.conf);
	arena_free(&a);
}

/*
 * RFC 6806 §11 on the client: a reply whose encrypted part carries the
 * ENC-PA-REP flag must hold the checksum of the very request we sent.  A
 * request changed on its way (here: its etype list, a downgrade) is
 * refused; a reply without the flag passes (a KDC without RFC 6806); the
 * flag without the checksum is refused.
 */
static void
test_enc_pa_rep(void)
{
	struct arena a = {0};
	struct crypto_key *key = NULL;
	EncKDCRepPart enc;
	METHOD_DATA md;
	PA_DATA pa[2];
	uint8_t sent[] = {0x6a, 0x10, 2, 1, 18, 2, 1, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	uint8_t seen[sizeof(sent)];
	bool avail = true;

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_random(18, &key), ORTH_OK);
	memcpy(seen, sent, sizeof(sent));
	seen[4] = 17; /* what the KDC got: 17, 17 */
	memset(&enc, 0, sizeof(enc));
	memset(pa, 0, sizeof(pa));
	pa[0].padata_type = KRB5_PADATA_REQ_ENC_PA_REP;
	EXPECT_EQ_INT(proto_req_enc_pa_rep_make(key, seen, sizeof(seen), &a, &pa[0].padata_value),
		      ORTH_OK);
	pa[1].padata_type = KRB5_PADATA_FX_FAST;
	md.len = 2;
	md.val = pa;
	enc.flags = TKT_FLG_ENC_PA_REP;
	enc.encrypted_pa_data = &md;
	EXPECT_EQ_INT(client_as_rep_check_enc_pa_rep(&ctx, &enc, key, sent, sizeof(sent), &a,
						     &avail),
		      ORTH_E_INTEGRITY);
	EXPECT(strstr(ctx.msg, "modified in transit") != NULL);
	EXPECT(!avail);
	/* the request as sent: fine, and FAST is there */
	EXPECT_EQ_INT(client_as_rep_check_enc_pa_rep(&ctx, &enc, key, seen, sizeof(seen), &a,
						     &avail),
		      ORTH_OK);
	EXPECT(avail);
	/* the flag without the checksum */
	md.len = 0;
	EXPECT_EQ_INT(client_as_rep_check_enc_pa_rep(&ctx, &enc, key, seen, sizeof(seen), &a,
						     &avail),
		      ORTH_E_INTEGRITY);
	enc.encrypted_pa_data = NULL;
	EXPECT_EQ_INT(client_as_rep_check_enc_pa_rep(&ctx, &enc, key, seen, sizeof(seen), &a,
						     &avail),
		      ORTH_E_INTEGRITY);
	/* no flag: a KDC without RFC 6806 */
	enc.flags = 0;
	EXPECT_EQ_INT(client_as_rep_check_enc_pa_rep(&ctx, &enc, key, sent, sizeof(sent), &a,
						     &avail),
		      ORTH_OK);
	EXPECT(!avail);
	crypto_key_free(key);
	arena_free(&a);
}

/* ---- S4U2Self (client/s4u.c) ---- */

/* A KDC's PA-S4U-X509-USER for user with nonce, options, checksum under
 * key with usage (bad: flip a byte) as one PA-DATA in md. */
static void
s4u_reply_make(struct arena *a, const struct principal *user, uint32_t nonce, bool reply_opt,
	       struct crypto_key *key, int32_t usage, bool bad, METHOD_DATA *md)
{
	PA_S4U_X509_USER x;
	PA_DATA *pa = arena_alloc(a, sizeof(*pa));
	PrincipalName *pn = arena_alloc(a, sizeof(*pn));
	uint32_t *opts = arena_alloc(a, sizeof(*opts));
	uint8_t *id = NULL, ck[CRYPTO_MAX_CKSUM_LEN];
	size_t id_len = 0, ck_len = 0;

	memset(&x, 0, sizeof(x));
	EXPECT_EQ_INT(pname_from_principal(user, a, pn), ORTH_OK);
	x.user_id.nonce = nonce;
	x.user_id.cname = pn;
	x.user_id.crealm = user->realm;
	*opts = KRB5_S4U_OPT_USE_REPLY_KEY_USAGE;
	x.user_id.options = reply_opt ? opts : NULL;
	EXPECT_EQ_INT(der_encode_arena(&asn1_S4UUserID, &x.user_id, a, &id, &id_len), ORTH_OK);
	EXPECT_EQ_INT(crypto_checksum_make(key, usage, id, id_len, &x.checksum.cksumtype, ck,
					   &ck_len),
		      ORTH_OK);
	if (bad)
		ck[0] ^= 0x80;
	x.checksum.checksum.data = ck;
	x.checksum.checksum.len = ck_len;
	pa->padata_type = KRB5_PADATA_S4U_X509_USER;
	EXPECT_EQ_INT(der_encode_arena(&asn1_PA_S4U_X509_USER, &x, a, &pa->padata_value.data,
				       &pa->padata_value.len),
		      ORTH_OK);
	md->len = 1;
	md->val = pa;
}

/* The request's padata (MIT's shape: PA-S4U-X509-USER with
 * use-reply-key-usage under the subkey, PA-FOR-USER under the session
 * key), and the check of the KDC's answer, hostile ones refused. */
static void
test_s4u(void)
{
	struct arena a = {0};
	struct crypto_key *session = NULL, *subkey = NULL;
	struct principal user, other;
	PA_DATA pa[2];
	size_t n = 0;
	PA_S4U_X509_USER x;
	PA_FOR_USER fu;
	METHOD_DATA md;
	uint8_t ck[16];
	static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x05};

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_random(18, &session), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_random(17, &subkey), ORTH_OK);
	EXPECT_EQ_INT(principal_parse("alice", REALM, &a, &user), ORTH_OK);
	EXPECT_EQ_INT(principal_parse("mallory", REALM, &a, &other), ORTH_OK);

	EXPECT_EQ_INT(client_s4u_padata(&user, session, subkey, 4242, &a, pa, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 2);
	EXPECT_EQ_INT(pa[0].padata_type, KRB5_PADATA_S4U_X509_USER);
	memset(&x, 0, sizeof(x));
	EXPECT_EQ_INT(der_decode(&asn1_PA_S4U_X509_USER, pa[0].padata_value.data,
				 pa[0].padata_value.len, &a, &x),
		      ORTH_OK);
	EXPECT_EQ_INT(x.user_id.nonce, 4242);
	EXPECT(x.user_id.options != NULL &&
	       *x.user_id.options == KRB5_S4U_OPT_USE_REPLY_KEY_USAGE);
	EXPECT_EQ_INT(crypto_checksum_verify(subkey, KU_PA_S4U_X509_USER_REQUEST,
					     x.checksum.cksumtype, x.user_id._raw.data,
					     x.user_id._raw.len, x.checksum.checksum.data,
					     x.checksum.checksum.len),
		      ORTH_OK);
	EXPECT_EQ_INT(pa[1].padata_type, KRB5_PADATA_FOR_USER);
	memset(&fu, 0, sizeof(fu));
	EXPECT_EQ_INT(der_decode(&asn1_PA_FOR_USER, pa[1].padata_value.data,
				 pa[1].padata_value.len, &a, &fu),
		      ORTH_OK);
	EXPECT(strcmp(fu.auth_package, "Kerberos") == 0 && strcmp(fu.userRealm, REALM) == 0);
	EXPECT_EQ_INT(fu.cksum.cksumtype, CRYPTO_CKSUMTYPE_HMAC_MD5);
	EXPECT_EQ_INT(proto_for_user_checksum(session, &fu, &a, ck), ORTH_OK);
	EXPECT(fu.cksum.checksum.len == 16 && memcmp(ck, fu.cksum.checksum.data, 16) == 0);

	/* the KDC's answers */
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, NULL, &a), ORTH_OK);
	s4u_reply_make(&a, &user, 4242, true, subkey, KU_PA_S4U_X509_USER_REPLY, false, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a), ORTH_OK);
	s4u_reply_make(&a, &user, 4242, false, subkey, KU_PA_S4U_X509_USER_REQUEST, false, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a), ORTH_OK);
	/* the option says 27, the checksum is 26's: refused */
	s4u_reply_make(&a, &user, 4242, true, subkey, KU_PA_S4U_X509_USER_REQUEST, false, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a),
		      ORTH_E_INTEGRITY);
	s4u_reply_make(&a, &user, 4242, true, subkey, KU_PA_S4U_X509_USER_REPLY, true, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a),
		      ORTH_E_INTEGRITY);
	s4u_reply_make(&a, &user, 4242, true, session, KU_PA_S4U_X509_USER_REPLY, false, &md);
	EXPECT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a) != ORTH_OK);
	s4u_reply_make(&a, &user, 4243, true, subkey, KU_PA_S4U_X509_USER_REPLY, false, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a), ORTH_E_POLICY);
	s4u_reply_make(&a, &other, 4242, true, subkey, KU_PA_S4U_X509_USER_REPLY, false, &md);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a), ORTH_E_POLICY);
	EXPECT(strstr(ctx.msg, "S4U2Self user") != NULL);
	md.val->padata_value.data = (uint8_t *)junk;
	md.val->padata_value.len = sizeof(junk);
	EXPECT_EQ_INT(client_s4u_reply_check(&ctx, &user, subkey, 4242, &md, &a),
		      ORTH_E_MALFORMED);
	crypto_key_free(session);
	crypto_key_free(subkey);
	arena_free(&a);
}

int
main(void)
{
	if (crypto_init() != ORTH_OK)
		return 1;
	test_conf();
	test_conf_files();
	test_kdc_split();
	test_tgs();
	test_as();
	test_enc_pa_rep();
	test_s4u();
	return test_done("client");
}
