/*
 * test_kdc_fast.c - FAST (RFC 6113) through kdc_handle(): the armored AS
 * exchange with encrypted challenge, the TGS's implicit armor, errors in
 * the tunnel, PA-FX-COOKIE, the requires-fast attribute and realm
 * option, hide-client-names, RFC 6806's encrypted padata, lockout through
 * encrypted challenge; and what must be refused (bad armor, checksums,
 * options, cookies of another client or expired).  The requests are
 * built here as MIT's client builds them, from the pieces of
 * proto/fast.h.
 *
 *   test_kdc_fast                      run the checks
 *   test_kdc_fast --write-seeds DIR    also write the requests to DIR
 *                                      (seeds of fuzz/corpus/kdc_dispatch)
 *
 * The clock and the principals are the fuzzer's (kdc_fixture_open_dispatch), so
 * the seeds' armor tickets, authenticators and cookies are valid there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "kdc_fixture.h"
#include "proto/encdata.h"
#include "proto/fast.h"
#include "proto/krb5_const.h"
#include "proto/padata.h"
#include "proto/pname.h"

#define T0 KDC_FIXTURE_SEED_TIME
#define TGS "krbtgt/TEST.REALM"

static struct kdc_fixture fx;
static struct arena A;
static uint8_t rep[1 << 16];
static size_t rep_len;
static const char *seed_dir;
static uint32_t counter = 1000;

static size_t
send_req(const char *seed, const uint8_t *req, size_t len)
{
	kdc_fixture_seed_write(seed_dir, seed, req, len);
	rep_len = kdc_fixture_send(&fx, NULL, req, len, rep, sizeof(rep));
	return rep_len;
}

/* The KRB-ERROR code of the reply (outer), 0 for a KDC-REP. */
static int
reply_code(void)
{
	return kdc_fixture_reply_code(&A, rep, rep_len, NULL);
}

static const KRB_ERROR *
reply_error(void)
{
	KRB_ERROR *e = arena_alloc(&A, sizeof(*e));

	if (e == NULL || der_decode(&asn1_KRB_ERROR, rep, rep_len, &A, e) != ORTH_OK)
		return NULL;
	return e;
}

/* ---- the client's side, as MIT's library does it ---- */

/* One FAST login's armor: the AP-REQ and the armor key. */
struct armor {
	KrbFastArmor field;
	struct crypto_key *key;
};

/*
 * RFC 4120 §5.5.1: an AP-REQ with tgt into *out, its authenticator at
 * ctime sealed for usage, with cksum (NULL: none) and, when subkey, the
 * fresh key *subkey_out (made either way; the caller frees it).
 */
static void
ap_req_make(const struct kdc_fixture_cred *tgt, int32_t usage, int64_t ctime, Checksum *cksum,
	    bool subkey, struct crypto_key **subkey_out, struct der_bytes *out)
{
	struct crypto_key *sk = NULL;
	Authenticator au;
	AP_REQ ap;
	EncryptionKey ek;
	const uint8_t *kb;
	size_t kl;

	memset(&au, 0, sizeof(au));
	memset(&ap, 0, sizeof(ap));
	EXPECT(crypto_key_random(18, &sk) == ORTH_OK);
	kb = crypto_key_bytes(sk, &kl);
	ek.keytype = 18;
	ek.keyvalue.data = (uint8_t *)kb;
	ek.keyvalue.len = kl;
	au.authenticator_vno = KRB5_PVNO;
	au.crealm = tgt->crealm;
	au.cname = tgt->cname;
	au.cksum = cksum;
	au.ctime = ctime;
	au.cusec = (int32_t)(++counter % 1000000);
	au.subkey = subkey ? &ek : NULL;
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	ap.ticket = tgt->ticket;
	EXPECT(proto_seal(tgt->key, usage, &asn1_Authenticator, &au, &A, &ap.authenticator) ==
	       ORTH_OK);
	EXPECT(der_encode_arena(&asn1_AP_REQ, &ap, &A, &out->data, &out->len) == ORTH_OK);
	*subkey_out = sk;
}

/*
 * RFC 6113 §5.4.1.1: an AP-REQ with tgt and a fresh subkey (none when
 * !subkey), its authenticator at ctime; the armor key
 * KRB-FX-CF2(subkey, session key).
 */
static void
armor_make(const struct kdc_fixture_cred *tgt, int64_t ctime, bool subkey, struct armor *out)
{
	struct crypto_key *sk = NULL;

	memset(out, 0, sizeof(*out));
	ap_req_make(tgt, KU_AP_REQ_AUTH, ctime, NULL, subkey, &sk, &out->field.armor_value);
	out->field.armor_type = KRB5_FAST_ARMOR_AP_REQUEST;
	EXPECT(proto_fast_armor_key(sk, tgt->key, &out->key) == ORTH_OK);
	crypto_key_free(sk);
}

/* What one armored request was, for checking its reply. */
struct sent {
	uint32_t nonce;
	uint8_t *req;
	size_t len;
};

/* Options of fast_as_req. */
struct fast_opts {
	uint32_t fast_options;
	bool no_armor;          /* leave the armor field out */
	int32_t armor_type;     /* 0: 1 (AP-REQ) */
	bool bad_checksum;      /* checksum another body */
	bool enc_pa_rep;        /* ask for RFC 6806's encrypted padata */
	const char *outer_client; /* NULL: the inner client */
};

/*
 * An armored AS-REQ for client -> krbtgt: the inner KrbFastReq holds the
 * body and padata pa[0..n) (+ PA-REQ-ENC-PA-REP), the outer request the
 * same body (or one naming outer_client, as Heimdal hides the client).
 */
static void
fast_as_req(const struct armor *arm, const char *client, const PA_DATA *pa, size_t n,
	    const struct fast_opts *o, struct sent *s)
{
	uint8_t *der, *body;
	size_t len, blen;
	AS_REQ q, outer;
	KrbFastReq fr;
	KrbFastArmoredReq ar;
	KrbFastArmor af;
	PA_DATA *inner, fxp;
	METHOD_DATA md;
	int32_t ck;
	uint8_t cks[CRYPTO_MAX_CKSUM_LEN];
	size_t ckl = 0, ni = 0;

	memset(&q, 0, sizeof(q));
	memset(&outer, 0, sizeof(outer));
	memset(&fr, 0, sizeof(fr));
	memset(&ar, 0, sizeof(ar));
	EXPECT(kdc_fixture_as_req(&fx, &A, client, TGS, 0, 0, 0, NULL, &der, &len) == ORTH_OK);
	EXPECT(der_decode(&asn1_AS_REQ, der, len, &A, &q) == ORTH_OK);
	q.req_body.nonce = ++counter;
	inner = arena_alloc(&A, (n + 1) * sizeof(*inner));
	EXPECT(inner != NULL);
	if (inner == NULL)
		return;
	if (n > 0)
		memcpy(inner, pa, n * sizeof(*pa));
	ni = n;
	if (o->enc_pa_rep) {
		memset(&inner[ni], 0, sizeof(*inner));
		inner[ni++].padata_type = KRB5_PADATA_REQ_ENC_PA_REP;
	}
	fr.fast_options = o->fast_options;
	fr.padata.len = ni;
	fr.padata.val = inner;
	fr.req_body = q.req_body;
	outer = q;
	if (o->outer_client != NULL) {
		PrincipalName *pn = arena_alloc(&A, sizeof(*pn));
		EXPECT(pn != NULL &&
		       pname_build2(&A, KRB5_NT_WELLKNOWN, "WELLKNOWN", o->outer_client, pn) ==
			       ORTH_OK);
		outer.req_body.cname = pn;
	}
	EXPECT(der_encode_arena(&asn1_KDC_REQ_BODY, &outer.req_body, &A, &body, &blen) ==
	       ORTH_OK);
	if (o->bad_checksum)
		body[blen - 1] ^= 1;
	EXPECT(crypto_checksum_make(arm->key, KU_FAST_REQ_CHKSUM, body, blen, &ck, cks, &ckl) ==
	       ORTH_OK);
	ar.req_checksum.cksumtype = ck;
	ar.req_checksum.checksum.data = cks;
	ar.req_checksum.checksum.len = ckl;
	if (!o->no_armor) {
		af = arm->field;
		if (o->armor_type != 0)
			af.armor_type = o->armor_type;
		ar.armor = &af;
	}
	EXPECT(proto_seal(arm->key, KU_FAST_ENC, &asn1_KrbFastReq, &fr, &A, &ar.enc_fast_req) ==
	       ORTH_OK);
	fxp.padata_type = KRB5_PADATA_FX_FAST;
	EXPECT(proto_fast_req_encode(&ar, &A, &fxp.padata_value) == ORTH_OK);
	md.len = 1;
	md.val = &fxp;
	outer.padata = &md;
	EXPECT(der_encode_arena(&asn1_AS_REQ, &outer, &A, &s->req, &s->len) == ORTH_OK);
	s->nonce = q.req_body.nonce;
}

/* RFC 6113 §5.4.6: the client's PA-ENCRYPTED-CHALLENGE at time t. */
static void
ec_padata(struct crypto_key *armor, struct crypto_key *ckey, int64_t t, PA_DATA *out)
{
	struct crypto_key *chk = NULL;
	PA_ENC_TS_ENC ts;
	EncryptedData ed;

	memset(&ts, 0, sizeof(ts));
	ts.patimestamp = t;
	EXPECT(proto_enc_challenge_key(armor, ckey, false, &chk) == ORTH_OK);
	EXPECT(proto_seal(chk, KU_ENC_CHALLENGE_CLIENT, &asn1_PA_ENC_TS_ENC, &ts, &A, &ed) ==
	       ORTH_OK);
	out->padata_type = KRB5_PADATA_ENCRYPTED_CHALLENGE;
	EXPECT(der_encode_arena(&asn1_EncryptedChallenge, &ed, &A, &out->padata_value.data,
				&out->padata_value.len) == ORTH_OK);
	crypto_key_free(chk);
}

/* PA-ENC-TIMESTAMP under ckey at t. */
static void
ts_padata(struct crypto_key *ckey, int64_t t, PA_DATA *out)
{
	PA_ENC_TS_ENC ts;
	EncryptedData ed;

	memset(&ts, 0, sizeof(ts));
	ts.patimestamp = t;
	EXPECT(proto_seal(ckey, KU_AS_REQ_PA_ENC_TS, &asn1_PA_ENC_TS_ENC, &ts, &A, &ed) ==
	       ORTH_OK);
	out->padata_type = KRB5_PADATA_ENC_TIMESTAMP;
	EXPECT(der_encode_arena(&asn1_PA_ENC_TIMESTAMP, &ed, &A, &out->padata_value.data,
				&out->padata_value.len) == ORTH_OK);
}

/*
 * A KRB-ERROR through the tunnel (RFC 6113 §5.4.3): the outer e-data is
 * METHOD-DATA { PA-FX-FAST }, whose KrbFastResponse (nonce of the
 * request) ends with PA-FX-ERROR, the error itself with the outer code.
 * Returns the inner code (-1 when anything is wrong); *padata_out the
 * response's padata.
 */
static int
fast_error(struct crypto_key *armor, const struct sent *s, const METHOD_DATA **padata_out)
{
	const KRB_ERROR *e = reply_error();
	METHOD_DATA md;
	const PA_DATA *fxp, *fe;
	KrbFastResponse *fr = arena_alloc(&A, sizeof(*fr));
	KRB_ERROR inner;

	if (e == NULL || fr == NULL || e->e_data == NULL)
		return -1;
	memset(&md, 0, sizeof(md));
	if (der_decode(&asn1_METHOD_DATA, e->e_data->data, e->e_data->len, &A, &md) != ORTH_OK ||
	    md.len != 1)
		return -1;
	fxp = proto_padata_find(&md, KRB5_PADATA_FX_FAST);
	if (fxp == NULL || proto_fast_response_open(armor, fxp->padata_value.data,
						    fxp->padata_value.len, &A, fr) != ORTH_OK)
		return -1;
	if (fr->nonce != s->nonce || fr->strengthen_key != NULL || fr->finished != NULL ||
	    fr->padata.len == 0)
		return -1;
	fe = &fr->padata.val[fr->padata.len - 1];
	memset(&inner, 0, sizeof(inner));
	if (fe->padata_type != KRB5_PADATA_FX_ERROR ||
	    der_decode(&asn1_KRB_ERROR, fe->padata_value.data, fe->padata_value.len, &A, &inner) !=
		    ORTH_OK ||
	    inner.e_data != NULL || inner.error_code != e->error_code)
		return -1;
	if (padata_out != NULL)
		*padata_out = &fr->padata;
	return (int)inner.error_code;
}

/* What a FAST KDC-REP said. */
struct fast_rep {
	KDC_REP rep;
	EncKDCRepPart enc;
	KrbFastResponse fr;
	struct crypto_key *reply_key; /* strengthened; owned */
};

/*
 * Open a FAST AS-REP or TGS-REP answering s: the KrbFastResponse under
 * the armor key (nonce, finished checksum over the ticket), the reply key
 * strengthened from key (strengthened: a strengthen key is expected; else
 * none is and key is the reply key), the encrypted part (usage).  0 on
 * success, a negative step number otherwise.
 */
static int
fast_rep_open(struct crypto_key *armor, struct crypto_key *key, int32_t usage, bool strengthened,
	      const struct sent *s, struct fast_rep *out)
{
	int tag = der_peek_application_tag(rep, rep_len);
	const PA_DATA *fxp;
	struct crypto_key *sk = NULL;
	uint8_t *tder, *plain;
	size_t tlen, plen = 0;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	if (der_decode(tag == KRB5_MSG_AS_REP ? &asn1_AS_REP : &asn1_TGS_REP, rep, rep_len, &A,
		       &out->rep) != ORTH_OK)
		return -1;
	if (out->rep.padata == NULL || out->rep.padata->len != 1)
		return -2;
	fxp = proto_padata_find(out->rep.padata, KRB5_PADATA_FX_FAST);
	if (fxp == NULL || proto_fast_response_open(armor, fxp->padata_value.data,
						    fxp->padata_value.len, &A, &out->fr) != ORTH_OK)
		return -3;
	if (out->fr.nonce != s->nonce || out->fr.finished == NULL ||
	    (out->fr.strengthen_key != NULL) != strengthened)
		return -4;
	if (der_encode_arena(&asn1_Ticket, &out->rep.ticket, &A, &tder, &tlen) != ORTH_OK ||
	    crypto_checksum_verify(armor, KU_FAST_FINISHED, out->fr.finished->ticket_checksum.cksumtype,
				   tder, tlen, out->fr.finished->ticket_checksum.checksum.data,
				   out->fr.finished->ticket_checksum.checksum.len) != ORTH_OK)
		return -5;
	if (!strengthened) {
		size_t kl;
		const uint8_t *kb = crypto_key_bytes(key, &kl);
		if (crypto_key_new(crypto_key_enctype(key), kb, kl, &out->reply_key) != ORTH_OK)
			return -6;
	} else if (crypto_key_new(out->fr.strengthen_key->keytype,
				  out->fr.strengthen_key->keyvalue.data,
				  out->fr.strengthen_key->keyvalue.len, &sk) != ORTH_OK ||
		   proto_fast_reply_key(sk, key, &out->reply_key) != ORTH_OK) {
		ret = -6;
		goto done;
	}
	plain = arena_alloc(&A, out->rep.enc_part.cipher.len + 1);
	if (plain == NULL ||
	    crypto_decrypt(out->reply_key, usage, out->rep.enc_part.cipher.data,
			   out->rep.enc_part.cipher.len, plain, &plen) != ORTH_OK) {
		ret = -7;
		goto done;
	}
	if (der_decode(tag == KRB5_MSG_AS_REP ? &asn1_EncASRepPart : &asn1_EncTGSRepPart, plain,
		       plen, &A, &out->enc) != ORTH_OK)
		ret = -8;
	else if (out->enc.nonce != s->nonce)
		ret = -9;
done:
	crypto_key_free(sk);
	return ret;
}

static void
fast_rep_free(struct fast_rep *r)
{
	crypto_key_free(r->reply_key);
	r->reply_key = NULL;
}

/* A cred from a plain AS exchange of a client without pre-authentication
 * ("alice") or with PA-ENC-TIMESTAMP (pw). */
static void
tgt_get(const char *client, const char *pw, struct kdc_fixture_cred *out)
{
	struct crypto_key *k = NULL;
	uint8_t *req;
	size_t len;

	EXPECT(kdc_fixture_client_key(&fx, &A, client, pw, 18, &k) == ORTH_OK);
	EXPECT(kdc_fixture_as_req(&fx, &A, client, TGS, 0, 0, 0, k, &req, &len) == ORTH_OK);
	send_req(NULL, req, len);
	EXPECT_EQ_INT(reply_code(), 0);
	EXPECT(kdc_fixture_rep_open(&A, rep, rep_len, k, out) == ORTH_OK);
	crypto_key_free(k);
}

/* ---- the checks ---- */

static struct kdc_fixture_cred armor_tgt;

/* The armored login of "user" with encrypted challenge, as `kinit -T`. */
static void
test_as_encchal(void)
{
	struct armor arm;
	struct fast_opts o = {.enc_pa_rep = true};
	struct sent s;
	const METHOD_DATA *hints = NULL;
	const PA_DATA *cookie, *pa;
	PA_DATA two[2];
	struct crypto_key *ck = NULL, *kk = NULL;
	struct fast_rep fr;
	PA_ENC_TS_ENC ts;
	EncryptedData ed;

	armor_make(&armor_tgt, T0, true, &arm);
	/* round 1: no padata: PREAUTH_REQUIRED through the tunnel */
	fast_as_req(&arm, "user", NULL, 0, &o, &s);
	send_req("fast-as-nopreauth", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_REQUIRED);
	EXPECT_EQ_INT(fast_error(arm.key, &s, &hints), KDC_ERR_PREAUTH_REQUIRED);
	/* the hints: FAST, ETYPE-INFO2, encrypted challenge, a cookie; no
	 * encrypted timestamp inside the tunnel */
	EXPECT(hints != NULL && proto_padata_find(hints, KRB5_PADATA_FX_FAST) != NULL);
	EXPECT(hints != NULL && proto_padata_find(hints, KRB5_PADATA_ETYPE_INFO2) != NULL);
	EXPECT(hints != NULL &&
	       proto_padata_find(hints, KRB5_PADATA_ENCRYPTED_CHALLENGE) != NULL);
	EXPECT(hints != NULL && proto_padata_find(hints, KRB5_PADATA_ENC_TIMESTAMP) == NULL);
	cookie = hints != NULL ? proto_padata_find(hints, KRB5_PADATA_FX_COOKIE) : NULL;
	EXPECT(cookie != NULL);

	/* round 2: the challenge and the cookie */
	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &ck) == ORTH_OK);
	ec_padata(arm.key, ck, T0, &two[0]);
	if (cookie != NULL)
		two[1] = *cookie;
	fast_as_req(&arm, "user", two, cookie != NULL ? 2 : 1, &o, &s);
	send_req("fast-as-encchal", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	EXPECT_EQ_INT(fast_rep_open(arm.key, ck, KU_AS_REP_ENC_PART, true, &s, &fr), 0);
	EXPECT((fr.enc.flags & (TKT_FLG_PRE_AUTH | TKT_FLG_INITIAL | TKT_FLG_ENC_PA_REP)) ==
	       (TKT_FLG_PRE_AUTH | TKT_FLG_INITIAL | TKT_FLG_ENC_PA_REP));
	/* the reply key is strengthened: the long-term key does not open it */
	{
		uint8_t *plain = arena_alloc(&A, fr.rep.enc_part.cipher.len + 1);
		size_t pl;
		EXPECT(plain != NULL &&
		       crypto_decrypt(ck, KU_AS_REP_ENC_PART, fr.rep.enc_part.cipher.data,
				      fr.rep.enc_part.cipher.len, plain, &pl) == ORTH_E_INTEGRITY);
	}
	/* the finished part names the client; outside it too (no hiding) */
	EXPECT(fr.fr.finished != NULL && strcmp(fr.fr.finished->crealm, "TEST.REALM") == 0);
	EXPECT_EQ_INT(fr.rep.cname.name_string.len, 1);
	/* the KDC's own challenge (usage 55) in the response's padata */
	pa = proto_padata_find(&fr.fr.padata, KRB5_PADATA_ENCRYPTED_CHALLENGE);
	EXPECT(pa != NULL);
	EXPECT(proto_padata_find(&fr.fr.padata, KRB5_PADATA_ETYPE_INFO2) != NULL);
	EXPECT(proto_enc_challenge_key(arm.key, ck, true, &kk) == ORTH_OK);
	memset(&ed, 0, sizeof(ed));
	memset(&ts, 0, sizeof(ts));
	EXPECT(pa != NULL &&
	       der_decode(&asn1_EncryptedChallenge, pa->padata_value.data, pa->padata_value.len,
			  &A, &ed) == ORTH_OK &&
	       proto_unseal(kk, KU_ENC_CHALLENGE_KDC, &ed, &asn1_PA_ENC_TS_ENC, &A, &ts) ==
		       ORTH_OK);
	EXPECT_EQ_INT(ts.patimestamp, T0);
	/* RFC 6806: the checksum of the whole request under the reply key,
	 * and PA-FX-FAST to say FAST is there */
	EXPECT(fr.enc.encrypted_pa_data != NULL);
	pa = proto_padata_find(fr.enc.encrypted_pa_data, KRB5_PADATA_REQ_ENC_PA_REP);
	EXPECT(pa != NULL && proto_req_enc_pa_rep_verify(fr.reply_key, s.req, s.len,
							 &pa->padata_value, &A) == ORTH_OK);
	EXPECT(proto_padata_find(fr.enc.encrypted_pa_data, KRB5_PADATA_FX_FAST) != NULL);
	fast_rep_free(&fr);

	/* the encrypted timestamp is still accepted inside the tunnel (it
	 * is Heimdal's mechanism there, and Heimdal 7.8 ignores the
	 * strengthen key): its reply has none, the reply key is the
	 * client's long-term key; the other mechanisms' replies keep it */
	ts_padata(ck, T0, &two[0]);
	fast_as_req(&arm, "user", two, 1, &o, &s);
	send_req("fast-as-encts", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	EXPECT_EQ_INT(fast_rep_open(arm.key, ck, KU_AS_REP_ENC_PART, false, &s, &fr), 0);
	fast_rep_free(&fr);

	/* a wrong password: PREAUTH_FAILED in the tunnel */
	crypto_key_free(ck);
	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "wrong", 18, &ck) == ORTH_OK);
	ec_padata(arm.key, ck, T0, &two[0]);
	fast_as_req(&arm, "user", two, 1, &o, &s);
	send_req("fast-as-encchal-wrongpw", s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);

	/* the challenge outside the clock skew */
	crypto_key_free(ck);
	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &ck) == ORTH_OK);
	ec_padata(arm.key, ck, T0 - 3600, &two[0]);
	fast_as_req(&arm, "user", two, 1, &o, &s);
	send_req("fast-as-encchal-skew", s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KRB_AP_ERR_SKEW);

	/* the challenge under another armor key does not decrypt */
	{
		struct armor other;
		armor_make(&armor_tgt, T0, true, &other);
		ec_padata(other.key, ck, T0, &two[0]);
		fast_as_req(&arm, "user", two, 1, &o, &s);
		send_req("fast-as-encchal-otherarmor", s.req, s.len);
		EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);
		crypto_key_free(other.key);
	}
	/* garbage as the challenge */
	two[0].padata_type = KRB5_PADATA_ENCRYPTED_CHALLENGE;
	two[0].padata_value.data = (uint8_t *)"\x30\x03\x02\x01";
	two[0].padata_value.len = 4;
	fast_as_req(&arm, "user", two, 1, &o, &s);
	send_req("fast-as-encchal-garbage", s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);

	/* outside FAST, encrypted challenge means nothing: PREAUTH_REQUIRED */
	{
		uint8_t *req;
		size_t len;
		AS_REQ q;
		METHOD_DATA md;
		memset(&q, 0, sizeof(q));
		ec_padata(arm.key, ck, T0, &two[0]);
		EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 0, 0, NULL, &req, &len) ==
		       ORTH_OK);
		EXPECT(der_decode(&asn1_AS_REQ, req, len, &A, &q) == ORTH_OK);
		md.len = 1;
		md.val = two;
		q.padata = &md;
		EXPECT(der_encode_arena(&asn1_AS_REQ, &q, &A, &req, &len) == ORTH_OK);
		send_req("as-encchal-unarmored", req, len);
		EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_REQUIRED);
	}
	crypto_key_free(ck);
	crypto_key_free(kk);
	crypto_key_free(arm.key);
}

/* What must be refused before the tunnel opens: plain errors. */
static void
test_armor_refused(void)
{
	struct armor arm, nosub, late;
	struct fast_opts o = {0};
	struct sent s;
	struct kdc_fixture_cred svc = {0};
	const KRB_ERROR *e;
	uint8_t *req;
	size_t len;

	armor_make(&armor_tgt, T0, true, &arm);
	o.no_armor = true;
	fast_as_req(&arm, "user", NULL, 0, &o, &s);
	send_req("fast-as-noarmor", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_FAILED);
	e = reply_error();
	EXPECT(e != NULL && e->e_data == NULL);
	memset(&o, 0, sizeof(o));
	o.armor_type = 2;
	fast_as_req(&arm, "user", NULL, 0, &o, &s);
	send_req("fast-as-armortype2", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_FAILED);
	memset(&o, 0, sizeof(o));
	o.bad_checksum = true;
	fast_as_req(&arm, "user", NULL, 0, &o, &s);
	send_req("fast-as-badchecksum", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KRB_AP_ERR_MODIFIED);
	/* RFC 6113 §5.4.1.1: the AP-REQ armor must carry a subkey */
	armor_make(&armor_tgt, T0, false, &nosub);
	memset(&o, 0, sizeof(o));
	fast_as_req(&nosub, "user", NULL, 0, &o, &s);
	send_req("fast-as-armor-nosubkey", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_POLICY);
	/* an armor authenticator outside the clock skew */
	armor_make(&armor_tgt, T0 - 3600, true, &late);
	fast_as_req(&late, "user", NULL, 0, &o, &s);
	send_req("fast-as-armor-skew", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KRB_AP_ERR_SKEW);
	/* the armor ticket must be for krbtgt, not a service */
	EXPECT(kdc_fixture_tgs_req(&fx, &A, &armor_tgt, "host/svc.test", 0, 0, NULL, &req, &len) ==
	       ORTH_OK);
	send_req(NULL, req, len);
	EXPECT(kdc_fixture_rep_open(&A, rep, rep_len, armor_tgt.key, &svc) == ORTH_OK);
	if (svc.key != NULL) {
		struct armor sa;
		armor_make(&svc, T0, true, &sa);
		fast_as_req(&sa, "user", NULL, 0, &o, &s);
		send_req("fast-as-armor-svcticket", s.req, s.len);
		EXPECT_EQ_INT(reply_code(), KRB_AP_ERR_NOT_US);
		crypto_key_free(sa.key);
		crypto_key_free(svc.key);
	}
	/* PA-FX-FAST that does not decode */
	{
		AS_REQ q;
		METHOD_DATA md;
		PA_DATA pa;
		memset(&q, 0, sizeof(q));
		EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 0, 0, NULL, &req, &len) ==
		       ORTH_OK);
		EXPECT(der_decode(&asn1_AS_REQ, req, len, &A, &q) == ORTH_OK);
		pa.padata_type = KRB5_PADATA_FX_FAST;
		pa.padata_value.data = (uint8_t *)"\xa0\x03\x30\x01\x00";
		pa.padata_value.len = 5;
		md.len = 1;
		md.val = &pa;
		q.padata = &md;
		EXPECT(der_encode_arena(&asn1_AS_REQ, &q, &A, &req, &len) == ORTH_OK);
		send_req("fast-as-garbage", req, len);
		EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_FAILED);
	}
	/* RFC 6113 §5.4.1: an unknown critical option (bit 2) is refused in
	 * the tunnel; an unknown non-critical one (bit 17) is not */
	memset(&o, 0, sizeof(o));
	o.fast_options = KRB5_FLAG(2);
	fast_as_req(&arm, "alice", NULL, 0, &o, &s);
	send_req("fast-as-critical-option", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS);
	o.fast_options = KRB5_FLAG(17);
	fast_as_req(&arm, "alice", NULL, 0, &o, &s);
	send_req("fast-as-noncritical-option", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	crypto_key_free(arm.key);
	crypto_key_free(nosub.key);
	crypto_key_free(late.key);
}

/* Round 1 of an armored login of client: the cookie of its hints. */
static const PA_DATA *
cookie_get(const struct armor *arm, const char *client)
{
	struct fast_opts o = {0};
	struct sent s;
	const METHOD_DATA *hints = NULL;

	fast_as_req(arm, client, NULL, 0, &o, &s);
	send_req(NULL, s.req, s.len);
	if (fast_error(arm->key, &s, &hints) != KDC_ERR_PREAUTH_REQUIRED || hints == NULL)
		return NULL;
	return proto_padata_find(hints, KRB5_PADATA_FX_COOKIE);
}

/* RFC 6113 §5.2: a cookie is the client's own and expires. */
static void
test_cookie(void)
{
	struct armor arm, later;
	struct fast_opts o = {0};
	struct sent s;
	const PA_DATA *uc, *fc;
	PA_DATA two[2];
	struct crypto_key *fk = NULL, *uk = NULL;
	const KRB_ERROR *e;

	armor_make(&armor_tgt, T0, true, &arm);
	uc = cookie_get(&arm, "user");
	fc = cookie_get(&arm, "fastuser");
	EXPECT(uc != NULL && fc != NULL);
	if (uc == NULL || fc == NULL)
		return;
	EXPECT(memcmp(uc->padata_value.data, "ORT1", 4) == 0);
	EXPECT(kdc_fixture_client_key(&fx, &A, "fastuser", "fastpw", 18, &fk) == ORTH_OK);
	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &uk) == ORTH_OK);
	/* its own cookie: fine */
	ec_padata(arm.key, fk, T0, &two[0]);
	two[1] = *fc;
	fast_as_req(&arm, "fastuser", two, 2, &o, &s);
	send_req("fast-as-cookie-own", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	/* another client's cookie: refused */
	two[1] = *uc;
	fast_as_req(&arm, "fastuser", two, 2, &o, &s);
	send_req("fast-as-cookie-other-client", s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);
	e = reply_error();
	EXPECT(e != NULL && e->e_text != NULL &&
	       strcmp(e->e_text, "PA-FX-COOKIE not valid for this client") == 0);
	/* a damaged one: refused; one another KDC made ("MIT"): ignored */
	{
		uint8_t *bad = arena_dup(&A, uc->padata_value.data, uc->padata_value.len);
		bad[uc->padata_value.len - 3] ^= 0x40;
		two[1].padata_type = KRB5_PADATA_FX_COOKIE;
		two[1].padata_value.data = bad;
		two[1].padata_value.len = uc->padata_value.len;
		ec_padata(arm.key, uk, T0, &two[0]);
		fast_as_req(&arm, "user", two, 2, &o, &s);
		send_req("fast-as-cookie-damaged", s.req, s.len);
		EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);
		bad[4] = 0x00; /* not even DER */
		fast_as_req(&arm, "user", two, 2, &o, &s);
		send_req("fast-as-cookie-garbage", s.req, s.len);
		EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_FAILED);
		two[1].padata_value.data = (uint8_t *)"MIT";
		two[1].padata_value.len = 3;
		fast_as_req(&arm, "user", two, 2, &o, &s);
		send_req("fast-as-cookie-foreign", s.req, s.len);
		EXPECT_EQ_INT(reply_code(), 0);
	}
	/* outside FAST too: another client's cookie with a good timestamp */
	{
		uint8_t *req;
		size_t len;
		AS_REQ q;
		METHOD_DATA md;
		memset(&q, 0, sizeof(q));
		EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 0, 0, uk, &req, &len) ==
		       ORTH_OK);
		EXPECT(der_decode(&asn1_AS_REQ, req, len, &A, &q) == ORTH_OK);
		two[0] = q.padata->val[0];
		two[1] = *fc;
		md.len = 2;
		md.val = two;
		q.padata = &md;
		EXPECT(der_encode_arena(&asn1_AS_REQ, &q, &A, &req, &len) == ORTH_OK);
		send_req("as-cookie-other-client", req, len);
		EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_FAILED);
	}
	/* an expired one (KDC_COOKIE_LIFETIME is 600 s) */
	kdc_fixture_set_time(T0 + 601);
	armor_make(&armor_tgt, T0 + 601, true, &later);
	ec_padata(later.key, uk, T0 + 601, &two[0]);
	two[1] = *uc;
	fast_as_req(&later, "user", two, 2, &o, &s);
	send_req(NULL, s.req, s.len);
	EXPECT_EQ_INT(fast_error(later.key, &s, NULL), KDC_ERR_PREAUTH_EXPIRED);
	kdc_fixture_set_time(T0 + 599);
	crypto_key_free(later.key);
	armor_make(&armor_tgt, T0 + 599, true, &later);
	ec_padata(later.key, uk, T0 + 599, &two[0]);
	fast_as_req(&later, "user", two, 2, &o, &s);
	send_req(NULL, s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	kdc_fixture_set_time(T0);
	crypto_key_free(later.key);
	crypto_key_free(fk);
	crypto_key_free(uk);
	crypto_key_free(arm.key);
}

/* The requires-fast attribute, the realm's requires_fast. */
static void
test_requires_fast(void)
{
	struct armor arm;
	struct fast_opts o = {0};
	struct sent s;
	struct crypto_key *fk = NULL;
	struct der_bytes *ed = NULL;
	METHOD_DATA md;
	PA_DATA one;
	uint8_t *req;
	size_t len;

	/* unarmored: PREAUTH_REQUIRED offering FAST alone, with or without
	 * a correct PA-ENC-TIMESTAMP */
	EXPECT(kdc_fixture_as_req(&fx, &A, "fastuser", TGS, 0, 0, 0, NULL, &req, &len) == ORTH_OK);
	send_req("as-requires-fast", req, len);
	EXPECT_EQ_INT(kdc_fixture_reply_code(&A, rep, rep_len, &ed), KDC_ERR_PREAUTH_REQUIRED);
	memset(&md, 0, sizeof(md));
	EXPECT(ed != NULL && der_decode(&asn1_METHOD_DATA, ed->data, ed->len, &A, &md) == ORTH_OK);
	EXPECT(md.len == 1 && md.val[0].padata_type == KRB5_PADATA_FX_FAST &&
	       md.val[0].padata_value.len == 0);
	EXPECT(kdc_fixture_client_key(&fx, &A, "fastuser", "fastpw", 18, &fk) == ORTH_OK);
	EXPECT(kdc_fixture_as_req(&fx, &A, "fastuser", TGS, 0, 0, 0, fk, &req, &len) == ORTH_OK);
	send_req("as-requires-fast-encts", req, len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_REQUIRED);
	/* armored: fine */
	armor_make(&armor_tgt, T0, true, &arm);
	ec_padata(arm.key, fk, T0, &one);
	fast_as_req(&arm, "fastuser", &one, 1, &o, &s);
	send_req("fast-as-requires-fast", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);

	/* the realm option: even alice (no pre-authentication) needs armor */
	fx.realm.requires_fast = true;
	EXPECT(kdc_fixture_as_req(&fx, &A, "alice", TGS, 0, 0, 0, NULL, &req, &len) == ORTH_OK);
	send_req(NULL, req, len);
	EXPECT_EQ_INT(reply_code(), KDC_ERR_PREAUTH_REQUIRED);
	fast_as_req(&arm, "alice", NULL, 0, &o, &s);
	send_req(NULL, s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	fx.realm.requires_fast = false;
	crypto_key_free(fk);
	crypto_key_free(arm.key);
}

/* RFC 6113 §5.4.1 hide-client-names (what Heimdal's client asks for). */
static void
test_hide_client(void)
{
	struct armor arm;
	struct fast_opts o = {.fast_options = KRB5_FAST_OPT_HIDE_CLIENT_NAMES,
			      .outer_client = "ANONYMOUS"};
	struct sent s;
	struct crypto_key *uk = NULL;
	struct fast_rep fr;
	const KRB_ERROR *e;
	PA_DATA one;

	armor_make(&armor_tgt, T0, true, &arm);
	fast_as_req(&arm, "user", NULL, 0, &o, &s);
	send_req("fast-as-hide-nopreauth", s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_PREAUTH_REQUIRED);
	e = reply_error();
	EXPECT(e != NULL && e->cname != NULL && e->crealm != NULL &&
	       strcmp(e->crealm, "WELLKNOWN:ANONYMOUS") == 0);
	EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &uk) == ORTH_OK);
	ec_padata(arm.key, uk, T0, &one);
	fast_as_req(&arm, "user", &one, 1, &o, &s);
	send_req("fast-as-hide", s.req, s.len);
	EXPECT_EQ_INT(reply_code(), 0);
	EXPECT_EQ_INT(fast_rep_open(arm.key, uk, KU_AS_REP_ENC_PART, true, &s, &fr), 0);
	EXPECT(strcmp(fr.rep.crealm, "WELLKNOWN:ANONYMOUS") == 0);
	EXPECT(fr.rep.cname.name_string.len == 2 &&
	       strcmp(fr.rep.cname.name_string.val[1], "ANONYMOUS") == 0);
	EXPECT(fr.fr.finished != NULL && fr.fr.finished->cname.name_string.len == 1 &&
	       strcmp(fr.fr.finished->cname.name_string.val[0], "user") == 0);
	fast_rep_free(&fr);
	crypto_key_free(uk);
	crypto_key_free(arm.key);
}

/* Lockout counts failed encrypted challenges as it counts timestamps. */
static void
test_lockout(void)
{
	struct armor arm;
	struct fast_opts o = {0};
	struct sent s;
	struct crypto_key *bad = NULL, *good = NULL;
	struct db_policy p;
	struct db_txn *t = NULL;
	struct db_entry *e = arena_alloc(&A, sizeof(*e));
	const METHOD_DATA *pa = NULL;
	PA_DATA one;
	KRB_ERROR inner;

	memset(&p, 0, sizeof(p));
	p.name = "lock2";
	p.pw_max_fail = 2;
	p.pw_failcnt_interval = 300;
	p.pw_lockout_duration = 600;
	EXPECT(kdc_fixture_add(&fx, "locky", "locky-pw", DB_ATTR_REQUIRES_PREAUTH) == ORTH_OK);
	EXPECT_EQ_INT(db_txn_begin(fx.db, &t), ORTH_OK);
	EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_ANY), ORTH_OK);
	EXPECT_EQ_INT(db_txn_get(t, "locky@TEST.REALM", &A, e), ORTH_OK);
	e->policy = "lock2";
	EXPECT_EQ_INT(db_txn_put(t, e, DB_PUT_REPLACE), ORTH_OK);
	EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);

	armor_make(&armor_tgt, T0, true, &arm);
	EXPECT(kdc_fixture_client_key(&fx, &A, "locky", "wrong", 18, &bad) == ORTH_OK);
	EXPECT(kdc_fixture_client_key(&fx, &A, "locky", "locky-pw", 18, &good) == ORTH_OK);
	for (int i = 0; i < 2; i++) {
		ec_padata(arm.key, bad, T0, &one);
		fast_as_req(&arm, "locky", &one, 1, &o, &s);
		send_req(NULL, s.req, s.len);
		EXPECT_EQ_INT(fast_error(arm.key, &s, &pa), KDC_ERR_PREAUTH_FAILED);
	}
	/* the inner error says so */
	memset(&inner, 0, sizeof(inner));
	EXPECT(pa != NULL &&
	       der_decode(&asn1_KRB_ERROR, pa->val[pa->len - 1].padata_value.data,
			  pa->val[pa->len - 1].padata_value.len, &A, &inner) == ORTH_OK);
	EXPECT(inner.e_text != NULL &&
	       strcmp(inner.e_text, "encrypted challenge does not decrypt; client now locked out") ==
		       0);
	EXPECT_EQ_INT(db_principal_get(fx.db, "locky@TEST.REALM", &A, e), ORTH_OK);
	EXPECT_EQ_INT(e->fail_count, 2);
	/* locked: the right password is refused now */
	ec_padata(arm.key, good, T0, &one);
	fast_as_req(&arm, "locky", &one, 1, &o, &s);
	send_req(NULL, s.req, s.len);
	EXPECT_EQ_INT(fast_error(arm.key, &s, NULL), KDC_ERR_CLIENT_REVOKED);
	crypto_key_free(bad);
	crypto_key_free(good);
	crypto_key_free(arm.key);
}

/* RFC 6806 §11 without FAST: the checksum of the request under the
 * client's key, only when asked for. */
static void
test_enc_pa_rep_plain(void)
{
	struct crypto_key *uk = NULL;
	uint8_t *req, *plain;
	size_t len, pl = 0;
	AS_REQ q;
	AS_REP r;
	EncKDCRepPart enc;
	PA_DATA two[2];
	METHOD_DATA md;
	const PA_DATA *pa;

	for (int ask = 0; ask < 2; ask++) {
		memset(&q, 0, sizeof(q));
		memset(&r, 0, sizeof(r));
		memset(&enc, 0, sizeof(enc));
		EXPECT(kdc_fixture_client_key(&fx, &A, "user", "userpw", 18, &uk) == ORTH_OK);
		EXPECT(kdc_fixture_as_req(&fx, &A, "user", TGS, 0, 0, 0, uk, &req, &len) ==
		       ORTH_OK);
		EXPECT(der_decode(&asn1_AS_REQ, req, len, &A, &q) == ORTH_OK);
		two[0] = q.padata->val[0];
		memset(&two[1], 0, sizeof(two[1]));
		two[1].padata_type = KRB5_PADATA_REQ_ENC_PA_REP;
		md.len = ask ? 2 : 1;
		md.val = two;
		q.padata = &md;
		EXPECT(der_encode_arena(&asn1_AS_REQ, &q, &A, &req, &len) == ORTH_OK);
		send_req(ask ? "as-req-enc-pa-rep" : NULL, req, len);
		EXPECT_EQ_INT(reply_code(), 0);
		EXPECT(der_decode(&asn1_AS_REP, rep, rep_len, &A, &r) == ORTH_OK);
		plain = arena_alloc(&A, r.enc_part.cipher.len + 1);
		EXPECT(plain != NULL &&
		       crypto_decrypt(uk, KU_AS_REP_ENC_PART, r.enc_part.cipher.data,
				      r.enc_part.cipher.len, plain, &pl) == ORTH_OK &&
		       der_decode(&asn1_EncASRepPart, plain, pl, &A, &enc) == ORTH_OK);
		EXPECT_EQ_INT((enc.flags & TKT_FLG_ENC_PA_REP) != 0, ask);
		EXPECT_EQ_INT(enc.encrypted_pa_data != NULL, ask);
		if (ask && enc.encrypted_pa_data != NULL) {
			pa = proto_padata_find(enc.encrypted_pa_data, KRB5_PADATA_REQ_ENC_PA_REP);
			EXPECT(pa != NULL && proto_req_enc_pa_rep_verify(uk, req, len,
									 &pa->padata_value,
									 &A) == ORTH_OK);
			/* a request changed in transit does not verify */
			req[len - 1] ^= 1;
			EXPECT(pa != NULL && proto_req_enc_pa_rep_verify(uk, req, len,
									 &pa->padata_value,
									 &A) == ORTH_E_INTEGRITY);
			EXPECT(proto_padata_find(enc.encrypted_pa_data, KRB5_PADATA_FX_FAST) !=
			       NULL);
		}
		crypto_key_free(uk);
		uk = NULL;
	}
}

/* A FAST TGS-REQ as MIT's library sends every one: the implicit armor
 * of the TGT's session key and the authenticator subkey. */
struct tgs_opts {
	const char *outer_service; /* NULL: the inner one */
	bool no_subkey;
	bool explicit_armor;
	bool bad_checksum;
};

/*
 * The implicit TGS armor key (RFC 6113 §5.4.1.1: KRB-FX-CF2(subkey,
 * TGT session key, "subkeyarmor", "ticketarmor")) made here from
 * crypto_prf_plus, without what keys remember for crypto_key_cf2: the
 * client's side does not share the KDC's memo of the session key's half.
 */
static void
armor_key_fresh(struct crypto_key *subkey, struct crypto_key *session, struct crypto_key **out)
{
	uint8_t a[CRYPTO_MAX_KEY_LEN], b[CRYPTO_MAX_KEY_LEN];
	int32_t et = crypto_key_enctype(subkey);
	size_t len = crypto_enctype_keylen(et);

	*out = NULL;
	EXPECT(crypto_prf_plus(subkey, (const uint8_t *)FAST_PEPPER_SUBKEY,
			       strlen(FAST_PEPPER_SUBKEY), a, len) == ORTH_OK);
	EXPECT(crypto_prf_plus(session, (const uint8_t *)FAST_PEPPER_TICKET,
			       strlen(FAST_PEPPER_TICKET), b, len) == ORTH_OK);
	for (size_t i = 0; i < len; i++)
		a[i] ^= b[i];
	EXPECT(crypto_key_new(et, a, len, out) == ORTH_OK);
}

static void
fast_tgs_req(const struct kdc_fixture_cred *tgt, const char *service, const struct tgs_opts *o,
	     struct sent *s, struct crypto_key **subkey_out, struct crypto_key **armor_out)
{
	TGS_REQ q;
	KDC_REQ_BODY inner;
	PrincipalName *sn, *osn;
	int32_t etypes[1] = {18}, ckt;
	uint8_t *body, ck[CRYPTO_MAX_CKSUM_LEN];
	size_t blen, ckl = 0;
	Checksum cks;
	PA_DATA pa[2];
	METHOD_DATA md;
	KrbFastReq fr;
	KrbFastArmoredReq ar;
	struct crypto_key *sk = NULL;
	struct armor ex;
	char name[128];

	memset(&q, 0, sizeof(q));
	memset(&fr, 0, sizeof(fr));
	memset(&ar, 0, sizeof(ar));
	sn = arena_alloc(&A, sizeof(*sn));
	osn = arena_alloc(&A, sizeof(*osn));
	snprintf(name, sizeof(name), "%s@TEST.REALM", service);
	{
		struct principal p;
		EXPECT(principal_parse(name, NULL, &A, &p) == ORTH_OK);
		EXPECT(pname_from_principal(&p, &A, sn) == ORTH_OK);
		snprintf(name, sizeof(name), "%s@TEST.REALM",
			 o->outer_service ? o->outer_service : service);
		EXPECT(principal_parse(name, NULL, &A, &p) == ORTH_OK);
		EXPECT(pname_from_principal(&p, &A, osn) == ORTH_OK);
	}
	q.pvno = KRB5_PVNO;
	q.msg_type = KRB5_MSG_TGS_REQ;
	q.req_body.realm = "TEST.REALM";
	q.req_body.sname = osn;
	q.req_body.nonce = ++counter;
	q.req_body.etype.len = 1;
	q.req_body.etype.val = etypes;
	inner = q.req_body;
	inner.sname = sn;
	EXPECT(der_encode_arena(&asn1_KDC_REQ_BODY, &q.req_body, &A, &body, &blen) == ORTH_OK);
	EXPECT(crypto_checksum_make(tgt->key, KU_TGS_REQ_AUTH_CKSUM, body, blen, &ckt, ck, &ckl) ==
	       ORTH_OK);
	cks.cksumtype = ckt;
	cks.checksum.data = ck;
	cks.checksum.len = ckl;
	pa[0].padata_type = KRB5_PADATA_TGS_REQ;
	ap_req_make(tgt, KU_TGS_REQ_AUTH, kdc_fixture_now(), &cks, !o->no_subkey, &sk,
		    &pa[0].padata_value);
	armor_key_fresh(sk, tgt->key, armor_out);
	fr.req_body = inner;
	EXPECT(crypto_checksum_make(*armor_out, KU_FAST_REQ_CHKSUM, pa[0].padata_value.data,
				    pa[0].padata_value.len - (o->bad_checksum ? 1 : 0), &ckt, ck,
				    &ckl) == ORTH_OK);
	ar.req_checksum.cksumtype = ckt;
	ar.req_checksum.checksum.data = ck;
	ar.req_checksum.checksum.len = ckl;
	if (o->explicit_armor) {
		armor_make(tgt, kdc_fixture_now(), true, &ex);
		ar.armor = &ex.field;
		crypto_key_free(ex.key);
	}
	EXPECT(proto_seal(*armor_out, KU_FAST_ENC, &asn1_KrbFastReq, &fr, &A, &ar.enc_fast_req) ==
	       ORTH_OK);
	pa[1].padata_type = KRB5_PADATA_FX_FAST;
	EXPECT(proto_fast_req_encode(&ar, &A, &pa[1].padata_value) == ORTH_OK);
	md.len = 2;
	md.val = pa;
	q.padata = &md;
	EXPECT(der_encode_arena(&asn1_TGS_REQ, &q, &A, &s->req, &s->len) == ORTH_OK);
	s->nonce = q.req_body.nonce;
	*subkey_out = sk;
}

/*
 * A FAST TGS-REQ (o) for service, sent as seed, answered with code: a
 * ticket for host/svc.test in the tunnel (code 0), an error inside the
 * tunnel (in_tunnel) or a plain one.
 */
static void
fast_tgs_expect(const struct tgs_opts *o, const char *service, const char *seed, int code,
		bool in_tunnel)
{
	struct sent s;
	struct crypto_key *sk = NULL, *armor = NULL;
	struct fast_rep fr;

	fast_tgs_req(&armor_tgt, service, o, &s, &sk, &armor);
	send_req(seed, s.req, s.len);
	EXPECT_EQ_INT(reply_code(), code);
	if (code == 0) {
		EXPECT_EQ_INT(fast_rep_open(armor, sk, KU_TGS_REP_ENC_PART_SUBKEY, true, &s, &fr),
			      0);
		EXPECT(fr.enc.sname.name_string.len == 2 &&
		       strcmp(fr.enc.sname.name_string.val[0], "host") == 0 &&
		       strcmp(fr.enc.sname.name_string.val[1], "svc.test") == 0);
		fast_rep_free(&fr);
	} else if (in_tunnel) {
		EXPECT_EQ_INT(fast_error(armor, &s, NULL), code);
	}
	crypto_key_free(sk);
	crypto_key_free(armor);
}

static void
test_tgs(void)
{
	fast_tgs_expect(&(struct tgs_opts){0}, "host/svc.test", "fast-tgs", 0, true);
	/* the inner request is the request: the outer names another server */
	fast_tgs_expect(&(struct tgs_opts){.outer_service = "u2u"}, "host/svc.test",
			"fast-tgs-inner-differs", 0, true);
	/* an error in the tunnel */
	fast_tgs_expect(&(struct tgs_opts){0}, "host/nowhere", "fast-tgs-unknown",
			KDC_ERR_S_PRINCIPAL_UNKNOWN, true);
	/* refused before the tunnel opens: no subkey, an explicit armor, a
	 * bad checksum */
	fast_tgs_expect(&(struct tgs_opts){.no_subkey = true}, "host/svc.test",
			"fast-tgs-nosubkey", KDC_ERR_PREAUTH_FAILED, false);
	fast_tgs_expect(&(struct tgs_opts){.explicit_armor = true}, "host/svc.test",
			"fast-tgs-explicit-armor", KDC_ERR_PREAUTH_FAILED, false);
	fast_tgs_expect(&(struct tgs_opts){.bad_checksum = true}, "host/svc.test",
			"fast-tgs-badchecksum", KRB_AP_ERR_MODIFIED, false);
}

/*
 * FAST TGS-REQs under two TGTs in turns: the KDC keeps each TGT's session
 * key across requests, and with it the half of the armor key that only
 * that key makes (PRF+(session key, "ticketarmor"), crypto_int.h).  Each
 * reply opens under the armor key its client made: nothing of one TGT's
 * key serves the other's requests.
 */
static void
test_tgs_two_tgts(void)
{
	struct kdc_fixture_cred other;
	const struct kdc_fixture_cred *tgts[2] = {&armor_tgt, &other};

	memset(&other, 0, sizeof(other));
	tgt_get("user", "userpw", &other);
	if (other.key == NULL)
		return;
	for (int i = 0; i < 6; i++) {
		struct sent s;
		struct crypto_key *sk = NULL, *armor = NULL;
		struct fast_rep fr;

		fast_tgs_req(tgts[i % 2], "host/svc.test", &(struct tgs_opts){0}, &s, &sk, &armor);
		send_req(NULL, s.req, s.len);
		EXPECT_EQ_INT(reply_code(), 0);
		EXPECT_EQ_INT(fast_rep_open(armor, sk, KU_TGS_REP_ENC_PART_SUBKEY, true, &s, &fr), 0);
		fast_rep_free(&fr);
		crypto_key_free(sk);
		crypto_key_free(armor);
	}
	crypto_key_free(other.key);
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
	/* The armor: alice's TGT (no pre-authentication needed). */
	{
		uint8_t *req;
		size_t len;
		EXPECT(kdc_fixture_as_req(&fx, &A, "alice", TGS, 0, 0, 0, NULL, &req, &len) ==
		       ORTH_OK);
		send_req(NULL, req, len);
		EXPECT_EQ_INT(reply_code(), 0);
		{
			struct crypto_key *k = NULL;
			EXPECT(kdc_fixture_client_key(&fx, &A, "alice", "alicepw", 18, &k) ==
			       ORTH_OK);
			EXPECT(kdc_fixture_rep_open(&A, rep, rep_len, k, &armor_tgt) == ORTH_OK);
			crypto_key_free(k);
		}
	}
	test_as_encchal();
	test_armor_refused();
	test_cookie();
	test_requires_fast();
	test_hide_client();
	test_enc_pa_rep_plain();
	test_tgs();
	test_tgs_two_tgts();
	test_lockout();
	crypto_key_free(armor_tgt.key);
	kdc_fixture_close(&fx);
	arena_free(&A);
	return test_done("kdc_fast");
}
