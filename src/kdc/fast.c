/*
 * fast.c - FAST's tunnel (RFC 6113 §5.4) and PA-FX-COOKIE (§5.2) on the
 * KDC.  See fast.h.
 */
#include "kdc/fast.h"

#include <stdio.h>
#include <string.h>

#include "kdc_int.h"
#include "proto/apcheck.h"
#include "proto/encdata.h"
#include "proto/fast.h"
#include "proto/padata.h"
#include "proto/pname.h"

/* ---- the armor ---- */

/*
 * RFC 6113 §5.4.1.1 FX_FAST_ARMOR_AP_REQUEST: an AP-REQ for krbtgt/REALM
 * with a subkey; the armor key is KRB-FX-CF2(subkey, ticket session key,
 * "subkeyarmor", "ticketarmor").  No replay cache: MIT's client sends the
 * same armor in every round of one login, and a replayed armor gives
 * nothing without its subkey (MIT's KDC does not check either).
 */
static orth_err
armor_ap_request(struct kdc_ctx *ctx, struct kdc_req *r, const KrbFastArmor *armor,
		 struct crypto_key **out)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	const char *realm = ctx->sh->realm->name;
	const char *comps[2] = {"krbtgt", realm};
	struct principal tgs;
	struct apreq_check_params p;
	struct apreq_result res;
	struct crypto_key *k = NULL;
	char *detail;

	memset(&res, 0, sizeof(res));
	detail = arena_alloc(a, 200);
	CHECK(detail != NULL, ORTH_E_LIMIT);
	TRY(principal_build(a, realm, KRB5_NT_SRV_INST, 2, comps, &tgs));
	memset(&p, 0, sizeof(p));
	p.ticket_decrypt = kdc_ticket_decrypt;
	p.ticket_arg = ctx;
	p.server = &tgs;
	p.skew = (int32_t)ctx->skew;
	p.now = r->now;
	p.errbuf = detail;
	p.errcap = 200;
	ret = apreq_check(&p, armor->armor_value.data, armor->armor_value.len, a, &res);
	if (ret != ORTH_OK) {
		char *why = arena_alloc(a, 256);
		if (why != NULL)
			snprintf(why, 256, "FAST armor AP-REQ refused: %s",
				 detail[0] ? detail : apreq_err_str(ret));
		return kdc_fail(r, ORTH_ERR_IS_KRB(ret) ? ORTH_ERR_KRB_CODE(ret) : KRB_ERR_GENERIC,
				why != NULL ? why : "FAST armor AP-REQ refused");
	}
	if (res.subkey == NULL) {
		ret = kdc_fail(r, KDC_ERR_POLICY, "FAST armor AP-REQ without a subkey");
		goto cleanup;
	}
	TRY(proto_fast_armor_key(res.subkey, res.session_key, &k));
	TRY(kdc_key_keep(ctx, k, out));
	k = NULL;
cleanup:
	crypto_key_free(k);
	apreq_result_free(&res);
	return ret;
}

/*
 * The part both exchanges share (RFC 6113 §5.4.2): the armor key is
 * known (*armor set by the caller, or from the armor field), verify
 * req-checksum over cksum_data, decrypt and decode the KrbFastReq.
 */
static orth_err
fast_open(struct kdc_ctx *ctx, struct kdc_req *r, const KrbFastArmoredReq *ar,
	  struct crypto_key *armor, const struct der_bytes *cksum_data, struct kdc_fast **out)
{
	orth_err ret;
	struct kdc_fast *f;
	KrbFastReq *in;

	f = arena_alloc(&ctx->a, sizeof(*f));
	in = arena_alloc(&ctx->a, sizeof(*in));
	CHECK(f != NULL && in != NULL, ORTH_E_LIMIT);
	/* MIT's KDC: an unkeyed checksum would let anyone rewrite the
	 * outer request, which is what the checksum binds. */
	if (crypto_cksumtype_enctype(ar->req_checksum.cksumtype) < 0)
		return kdc_fail(r, KDC_ERR_POLICY, "FAST request checksum is not keyed");
	ret = crypto_checksum_verify(armor, KU_FAST_REQ_CHKSUM, ar->req_checksum.cksumtype,
				     cksum_data->data, cksum_data->len,
				     ar->req_checksum.checksum.data, ar->req_checksum.checksum.len);
	if (ret == ORTH_E_CKSUMTYPE)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM,
				"FAST request checksum type does not fit the armor key");
	if (ret != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_MODIFIED, "FAST request checksum does not verify");
	ret = proto_unseal(armor, KU_FAST_ENC, &ar->enc_fast_req, &asn1_KrbFastReq, &ctx->a, in);
	if (ret == ORTH_E_INTEGRITY || ret == ORTH_E_ENCTYPE)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "KrbFastReq does not decrypt");
	if (ret != ORTH_OK)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "KrbFastReq does not decode");
	f->armor_key = armor;
	f->options = in->fast_options;
	f->nonce = in->req_body.nonce;
	f->body = &in->req_body;
	f->padata = &in->padata;
	/* From here on, errors go through the tunnel. */
	r->fast = f;
	/* RFC 6113 §5.4.1: options 0-15 are critical; we know
	 * hide-client-names (1).  Bit 0 is reserved: unknown as well. */
	if (in->fast_options & KRB5_FAST_OPT_CRITICAL & ~KRB5_FAST_OPT_HIDE_CLIENT_NAMES)
		return kdc_fail(r, KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS,
				"unknown critical FAST option");
	*out = f;
	ret = ORTH_OK;
cleanup:
	return ret;
}

/* PA-FX-FAST of q decoded into *ar; false when there is none. */
static orth_err
fast_find(struct kdc_ctx *ctx, struct kdc_req *r, const KDC_REQ *q, KrbFastArmoredReq *ar,
	  bool *found)
{
	const PA_DATA *pa = proto_padata_find(q->padata, KRB5_PADATA_FX_FAST);

	*found = pa != NULL;
	if (pa == NULL)
		return ORTH_OK;
	if (proto_fast_req_decode(pa->padata_value.data, pa->padata_value.len, &ctx->a, ar) !=
	    ORTH_OK)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "PA-FX-FAST does not decode");
	return ORTH_OK;
}

orth_err
kdc_fast_as_unwrap(struct kdc_ctx *ctx, struct kdc_req *r, const KDC_REQ *q,
		   struct kdc_fast **out)
{
	orth_err ret;
	KrbFastArmoredReq ar;
	struct crypto_key *armor = NULL;
	bool found;

	*out = NULL;
	TRY(fast_find(ctx, r, q, &ar, &found));
	if (!found)
		return ORTH_OK;
	/* RFC 6113 §5.4.1.1: the AS exchange has no implicit armor. */
	if (ar.armor == NULL)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "FAST AS-REQ without armor");
	if (ar.armor->armor_type != KRB5_FAST_ARMOR_AP_REQUEST)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "unknown FAST armor type");
	TRY(armor_ap_request(ctx, r, ar.armor, &armor));
	/* RFC 6113 §5.4.2: the AS checksum covers the outer KDC-REQ-BODY. */
	TRY(fast_open(ctx, r, &ar, armor, &q->req_body._raw, out));
cleanup:
	return ret;
}

orth_err
kdc_fast_tgs_unwrap(struct kdc_ctx *ctx, struct kdc_req *r, const KDC_REQ *q,
		    const struct der_bytes *ap_req_der, struct crypto_key *subkey,
		    struct crypto_key *session, struct kdc_fast **out)
{
	orth_err ret;
	KrbFastArmoredReq ar;
	struct crypto_key *armor = NULL, *k = NULL;
	bool found;

	*out = NULL;
	TRY(fast_find(ctx, r, q, &ar, &found));
	if (!found)
		return ORTH_OK;
	/* As MIT's KDC: only the implicit armor of the TGS-REQ itself. */
	if (ar.armor != NULL)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "explicit FAST armor in a TGS-REQ");
	if (subkey == NULL)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED,
				"FAST TGS-REQ without an authenticator subkey");
	TRY(proto_fast_armor_key(subkey, session, &k));
	TRY(kdc_key_keep(ctx, k, &armor));
	k = NULL;
	/* RFC 6113 §5.4.2: the TGS checksum covers the PA-TGS-REQ's AP-REQ. */
	TRY(fast_open(ctx, r, &ar, armor, ap_req_der, out));
cleanup:
	crypto_key_free(k);
	return ret;
}

bool
kdc_fast_hide_client(const struct kdc_fast *f)
{
	return f != NULL && (f->options & KRB5_FAST_OPT_HIDE_CLIENT_NAMES) != 0;
}

orth_err
kdc_fast_anonymous(struct kdc_ctx *ctx, const PrincipalName **pn_out, const char **realm_out)
{
	/* RFC 8062 §3: the anonymous principal and realm. */
	PrincipalName *pn = arena_alloc(&ctx->a, sizeof(*pn));
	orth_err ret;

	if (pn == NULL)
		return ORTH_E_LIMIT;
	ret = pname_build2(&ctx->a, KRB5_NT_WELLKNOWN, "WELLKNOWN", "ANONYMOUS", pn);
	if (ret != ORTH_OK)
		return ret;
	*pn_out = pn;
	*realm_out = "WELLKNOWN:ANONYMOUS";
	return ORTH_OK;
}

orth_err
kdc_fast_error_wrap(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
		    struct proto_error *e)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	const struct kdc_fast *f = r->fast;
	struct proto_error inner = *e;
	KrbFastResponse resp;
	METHOD_DATA outer;
	PA_DATA *pa, *fx;
	struct der_bytes *ed;
	struct writer w;
	uint8_t *buf;
	size_t n = padata != NULL ? padata->len : 0, cap = 8192;

	pa = arena_alloc(a, (n + 1) * sizeof(*pa));
	fx = arena_alloc(a, sizeof(*fx));
	ed = arena_alloc(a, sizeof(*ed));
	buf = arena_alloc(a, cap);
	CHECK(pa != NULL && fx != NULL && ed != NULL && buf != NULL, ORTH_E_LIMIT);
	/* RFC 6113 §5.4.3: the error itself, without e-data, as
	 * PA-FX-ERROR after the padata the error carries. */
	inner.e_data = NULL;
	writer_init(&w, buf, cap);
	TRY(proto_krb_error_encode(&inner, a, &w));
	TRY(writer_err(&w));
	if (n > 0)
		memcpy(pa, padata->val, n * sizeof(*pa));
	pa[n].padata_type = KRB5_PADATA_FX_ERROR;
	pa[n].padata_value.data = buf;
	pa[n].padata_value.len = w.len;
	memset(&resp, 0, sizeof(resp));
	resp.padata.len = n + 1;
	resp.padata.val = pa;
	resp.nonce = f->nonce;
	fx->padata_type = KRB5_PADATA_FX_FAST;
	TRY(proto_fast_response_seal(f->armor_key, &resp, a, &fx->padata_value));
	outer.len = 1;
	outer.val = fx;
	TRY(der_encode_arena(&asn1_METHOD_DATA, &outer, a, &ed->data, &ed->len));
	e->e_data = ed;
	if (kdc_fast_hide_client(f) && e->cname != NULL)
		TRY(kdc_fast_anonymous(ctx, &e->cname, &e->crealm));
cleanup:
	return ret;
}

/* ---- PA-FX-COOKIE ---- */

#define COOKIE_LABEL "orthrus-fx-cookie:"

/* The cookie key for cname@crealm under the krbtgt key of etype and kvno
 * (0: the current key set, whose kvno goes to *kvno_out). */
static orth_err
cookie_key(struct kdc_ctx *ctx, const PrincipalName *cname, const char *crealm, int32_t etype,
	   uint32_t kvno, struct crypto_key **out, uint32_t *kvno_out)
{
	orth_err ret;
	const char *realm = ctx->sh->realm->name;
	const struct db_entry *tgs;
	PrincipalName tgsname;
	struct crypto_key *tk, *k = NULL;
	char name[KDC_LOG_NAME], label[sizeof(COOKIE_LABEL) + KDC_LOG_NAME];
	uint8_t bytes[CRYPTO_MAX_KEY_LEN];
	size_t klen;
	int n;

	TRY(pname_build2(&ctx->a, KRB5_NT_SRV_INST, "krbtgt", realm, &tgsname));
	TRY(kdc_entry_get(ctx, &tgsname, realm, &tgs, name));
	if (etype == 0)
		etype = kdc_etype_best(ctx, tgs);
	CHECK(etype > 0, ORTH_E_NOTFOUND);
	TRY(kdc_key_get(ctx, tgs, etype, kvno, &tk, NULL, kvno_out));
	TRY(pname_unparse(cname, crealm, name, sizeof(name)));
	n = snprintf(label, sizeof(label), "%s%s", COOKIE_LABEL, name);
	CHECK(n > 0 && (size_t)n < sizeof(label), ORTH_E_LIMIT);
	klen = crypto_enctype_keylen(etype);
	CHECK(klen > 0 && klen <= sizeof(bytes), ORTH_E_ENCTYPE);
	TRY(crypto_prf_plus(tk, (const uint8_t *)label, (size_t)n, bytes, klen));
	TRY(crypto_key_new(etype, bytes, klen, &k));
	TRY(kdc_key_keep(ctx, k, out));
	k = NULL;
cleanup:
	crypto_wipe(bytes, sizeof(bytes));
	crypto_key_free(k);
	return ret;
}

orth_err
kdc_fast_cookie_make(struct kdc_ctx *ctx, struct kdc_req *r, const PrincipalName *cname,
		     const char *crealm, const METHOD_DATA *state, PA_DATA *out)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	struct crypto_key *key;
	OrthrusFxCookie c;
	EncryptedData ed;
	uint32_t *kvno;
	uint8_t *der = NULL, *buf;
	size_t len = 0, mlen = sizeof(KDC_COOKIE_MAGIC) - 1;

	kvno = arena_alloc(a, sizeof(*kvno));
	CHECK(kvno != NULL, ORTH_E_LIMIT);
	TRY(cookie_key(ctx, cname, crealm, 0, 0, &key, kvno));
	memset(&c, 0, sizeof(c));
	c.expires = r->now + KDC_COOKIE_LIFETIME;
	c.crealm = (char *)crealm;
	c.cname = *cname;
	c.state = *state;
	TRY(proto_seal(key, KDC_KU_FX_COOKIE, &asn1_OrthrusFxCookie, &c, a, &ed));
	ed.kvno = kvno;
	TRY(der_encode_arena(&asn1_EncryptedData, &ed, a, &der, &len));
	buf = arena_alloc(a, mlen + len);
	CHECK(buf != NULL, ORTH_E_LIMIT);
	memcpy(buf, KDC_COOKIE_MAGIC, mlen);
	memcpy(buf + mlen, der, len);
	out->padata_type = KRB5_PADATA_FX_COOKIE;
	out->padata_value.data = buf;
	out->padata_value.len = mlen + len;
cleanup:
	return ret;
}

orth_err
kdc_fast_cookie_open(struct kdc_ctx *ctx, struct kdc_req *r, const METHOD_DATA *padata,
		     const PrincipalName *cname, const char *crealm,
		     const METHOD_DATA **state_out)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	const PA_DATA *pa = proto_padata_find(padata, KRB5_PADATA_FX_COOKIE);
	size_t mlen = sizeof(KDC_COOKIE_MAGIC) - 1;
	struct crypto_key *key;
	EncryptedData ed;
	OrthrusFxCookie *c;

	*state_out = NULL;
	if (pa == NULL || pa->padata_value.len < mlen ||
	    memcmp(pa->padata_value.data, KDC_COOKIE_MAGIC, mlen) != 0)
		return ORTH_OK;
	c = arena_alloc(a, sizeof(*c));
	CHECK(c != NULL, ORTH_E_LIMIT);
	memset(&ed, 0, sizeof(ed));
	if (der_decode(&asn1_EncryptedData, pa->padata_value.data + mlen,
		       pa->padata_value.len - mlen, a, &ed) != ORTH_OK ||
	    ed.kvno == NULL || *ed.kvno == 0)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "PA-FX-COOKIE does not decode");
	ret = cookie_key(ctx, cname, crealm, ed.etype, *ed.kvno, &key, NULL);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED,
				"PA-FX-COOKIE made with a key the KDC does not have");
	TRY(ret);
	/* Another client's cookie does not decrypt: its key is bound to
	 * the name. */
	if (proto_unseal(key, KDC_KU_FX_COOKIE, &ed, &asn1_OrthrusFxCookie, a, c) != ORTH_OK)
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "PA-FX-COOKIE not valid for this client");
	if (strcmp(c->crealm, crealm) != 0 || !pname_equal(&c->cname, cname))
		return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "PA-FX-COOKIE not valid for this client");
	if (c->expires < r->now)
		return kdc_fail(r, KDC_ERR_PREAUTH_EXPIRED, "PA-FX-COOKIE has expired");
	*state_out = &c->state;
cleanup:
	return ret;
}
