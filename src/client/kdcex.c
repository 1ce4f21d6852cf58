/*
 * kdcex.c - the AS exchange (RFC 4120 §3.1, PA-ENC-TIMESTAMP §5.2.7.2,
 * ETYPE-INFO2 §5.2.7.5; FAST armor with an armor TGT and encrypted
 * challenge, RFC 6113 §5.4; RFC 6806 §11's check of the request) and the
 * TGS exchange (§3.3), and the checks of their replies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "proto/encdata.h"
#include "proto/fast.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/padata.h"
#include "proto/pname.h"
#include "proto/spake.h"

#define EX_ARENA (1u << 20)

orth_err
client_fail(struct client_ctx *ctx, orth_err ret, const char *fmt, ...)
{
	va_list ap;

	if (ctx == NULL)
		return ret;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	ctx->msg_code = ret;
	return ret;
}

int64_t
client_now(void)
{
	int64_t s;
	int32_t us;
	proto_now(&s, &us);
	return s;
}

/* ---- principals ---- */

orth_err
client_princ_to_cc(const struct principal *p, struct ccache_principal *out)
{
	orth_err ret;
	struct ccache_principal cp;

	memset(&cp, 0, sizeof(cp));
	cp.name_type = p->name_type;
	TRY(ccache_data_set(&cp.realm, p->realm, p->realm_len));
	cp.comps = calloc(p->ncomp ? p->ncomp : 1, sizeof(*cp.comps));
	CHECK(cp.comps != NULL, ORTH_E_NOMEM);
	for (size_t i = 0; i < p->ncomp; i++) {
		TRY(ccache_data_set(&cp.comps[i], p->comp[i].data, p->comp[i].len));
		cp.ncomps++;
	}
	*out = cp;
	memset(&cp, 0, sizeof(cp));
cleanup:
	ccache_principal_free(&cp);
	return ret;
}

orth_err
client_princ_from_cc(const struct ccache_principal *cp, struct arena *a,
		     struct principal *out)
{
	const char *comps[PRINCIPAL_MAX_COMPONENTS];
	char *realm;
	orth_err ret;

	if (cp->ncomps == 0 || cp->ncomps > PRINCIPAL_MAX_COMPONENTS ||
	    cp->realm.len == 0)
		return ORTH_E_BADNAME;
	for (uint32_t i = 0; i < cp->ncomps; i++) {
		if (cp->comps[i].len == 0 ||
		    memchr(cp->comps[i].data, '\0', cp->comps[i].len) != NULL)
			return ORTH_E_BADNAME;
		comps[i] = (const char *)cp->comps[i].data;
	}
	realm = arena_strndup(a, (const char *)cp->realm.data, cp->realm.len);
	if (realm == NULL)
		return ORTH_E_LIMIT;
	ret = principal_build(a, realm, cp->name_type, cp->ncomps, comps, out);
	return ret;
}

static void
unparse_pn(const PrincipalName *pn, const char *realm, char *buf, size_t cap)
{
	if (pn == NULL || realm == NULL ||
	    pname_unparse(pn, realm, buf, cap) != ORTH_OK)
		snprintf(buf, cap, "?");
}

/* ---- replies ---- */

/*
 * A KRB-ERROR as a printable error: ORTH_E_KRB(code) with MIT's words and
 * the principal it concerns.  *err_out (may be NULL) gets the decoded
 * error (arena) for the preauth logic.
 */
static orth_err
krb_error_fail(struct client_ctx *ctx, const uint8_t *buf, size_t len,
	       struct arena *a, const char *client, const char *server,
	       KRB_ERROR **err_out)
{
	KRB_ERROR *e = arena_alloc(a, sizeof(*e));
	const char *text;
	orth_err ret;

	if (e == NULL)
		return ORTH_E_LIMIT;
	ret = der_decode(&asn1_KRB_ERROR, buf, len, a, e);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "KDC reply did not decode (%s)",
				   orth_err_str(ret));
	if (err_out != NULL)
		*err_out = e;
	ret = e->error_code > 0 && e->error_code < 1000 ? ORTH_E_KRB(e->error_code)
							 : ORTH_E_KRB(KRB_ERR_GENERIC);
	text = proto_krb_err_text(e->error_code);
	switch (e->error_code) {
	case KDC_ERR_C_PRINCIPAL_UNKNOWN:
		return client_fail(ctx, ret,
				   "Client '%s' not found in Kerberos database",
				   client);
	case KDC_ERR_S_PRINCIPAL_UNKNOWN:
		return client_fail(ctx, ret,
				   "Server '%s' not found in Kerberos database",
				   server);
	default:
		break;
	}
	if (text == NULL)
		return client_fail(ctx, ret, "KDC error %d%s%s%s", e->error_code,
				   e->e_text ? " (" : "", e->e_text ? e->e_text : "",
				   e->e_text ? ")" : "");
	if (e->e_text != NULL && e->error_code == KRB_ERR_GENERIC)
		return client_fail(ctx, ret, "%s", e->e_text);
	return client_fail(ctx, ret, "%s", text);
}

/* Decrypt a KDC-REP enc-part and decode it as EncASRepPart or
 * EncTGSRepPart: RFC 4120 §5.4.2 asks clients to accept either tag
 * (MIT's KDC sends [26] in AS-REPs in some cases). */
static orth_err
decrypt_enc_part(struct crypto_key *key, int32_t usage, const EncryptedData *ed,
		 struct arena *a, EncKDCRepPart *out)
{
	orth_err ret;
	uint8_t *plain;
	size_t plen = 0;

	if (ed->etype != crypto_key_enctype(key))
		return ORTH_E_ENCTYPE;
	plain = arena_alloc(a, ed->cipher.len ? ed->cipher.len : 1);
	if (plain == NULL)
		return ORTH_E_LIMIT;
	ret = crypto_decrypt(key, usage, ed->cipher.data, ed->cipher.len, plain,
			     &plen);
	if (ret != ORTH_OK)
		return ret;
	memset(out, 0, sizeof(*out));
	ret = der_decode(&asn1_EncASRepPart, plain, plen, a, out);
	if (ret != ORTH_OK) {
		memset(out, 0, sizeof(*out));
		ret = der_decode(&asn1_EncTGSRepPart, plain, plen, a, out);
	}
	return ret;
}

static orth_err
pn_to_cc(const PrincipalName *pn, const char *realm, struct arena *a,
	 struct ccache_principal *out)
{
	struct principal p;
	orth_err ret = pname_to_principal(pn, realm, a, &p);
	if (ret != ORTH_OK)
		return ret;
	return client_princ_to_cc(&p, out);
}

/* The credential the reply grants. */
static orth_err
cred_from_reply(const KDC_REP *rep, const EncKDCRepPart *enc, struct arena *a,
		struct ccache_cred *out)
{
	orth_err ret;
	struct ccache_cred c;

	memset(&c, 0, sizeof(c));
	TRY(pn_to_cc(&rep->cname, rep->crealm, a, &c.client));
	TRY(pn_to_cc(&enc->sname, enc->srealm, a, &c.server));
	CHECK(crypto_enctype_supported(enc->key.keytype) &&
		      enc->key.keyvalue.len ==
			      crypto_enctype_keylen(enc->key.keytype),
	      ORTH_E_ENCTYPE);
	c.enctype = enc->key.keytype;
	TRY(ccache_data_set(&c.key, enc->key.keyvalue.data, enc->key.keyvalue.len));
	c.authtime = enc->authtime;
	c.starttime = enc->starttime ? *enc->starttime : enc->authtime;
	c.endtime = enc->endtime;
	c.renew_till = enc->renew_till ? *enc->renew_till : 0;
	c.flags = enc->flags;
	CHECK(rep->ticket._raw.data != NULL, ORTH_E_INTERNAL);
	TRY(ccache_data_set(&c.ticket, rep->ticket._raw.data, rep->ticket._raw.len));
	*out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	ccache_cred_free(&c);
	return ret;
}

/*
 * RFC 4120 §3.1.5 / §3.3.4: the reply must answer the request: same nonce,
 * the service and realm asked for in the encrypted part and in the ticket
 * (CVE-2017-11103: never trust the unencrypted ticket's names alone), and
 * the expected client.
 */
static orth_err
check_reply(struct client_ctx *ctx, const KDC_REQ_BODY *req,
	    const PrincipalName *want_cname, const char *want_crealm,
	    const KDC_REP *rep, const EncKDCRepPart *enc)
{
	char want[PRINCIPAL_MAX_TEXT + 1], got[PRINCIPAL_MAX_TEXT + 1];

	if (enc->nonce != req->nonce)
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations (nonce)");
	if (req->sname == NULL || strcmp(enc->srealm, req->realm) != 0 ||
	    !pname_equal(&enc->sname, req->sname) ||
	    strcmp(rep->ticket.realm, req->realm) != 0 ||
	    !pname_equal(&rep->ticket.sname, req->sname)) {
		unparse_pn(req->sname, req->realm, want, sizeof(want));
		unparse_pn(&enc->sname, enc->srealm, got, sizeof(got));
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations: asked for '%s', reply names '%s'",
				   want, got);
	}
	if (strcmp(rep->crealm, want_crealm) != 0 ||
	    !pname_equal(&rep->cname, want_cname)) {
		unparse_pn(want_cname, want_crealm, want, sizeof(want));
		unparse_pn(&rep->cname, rep->crealm, got, sizeof(got));
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations: client '%s', reply names '%s'",
				   want, got);
	}
	for (size_t i = 0; i < req->etype.len; i++)
		if (req->etype.val[i] == enc->key.keytype)
			return ORTH_OK;
	return client_fail(ctx, ORTH_E_POLICY,
			   "KDC reply did not match expectations: session key enctype %d was not requested",
			   enc->key.keytype);
}

/*
 * Open an AS-REP answering req_body with reply_key; *enc_out (may be
 * NULL) its encrypted part (arena).  fast: the reply as the FAST tunnel
 * showed it (client name from the finished part), or NULL.
 */
static orth_err
as_rep_open(struct client_ctx *ctx, const KDC_REQ_BODY *req_body, struct crypto_key *reply_key,
	    const uint8_t *rep, size_t rep_len, struct arena *a, struct ccache_cred *cred_out,
	    EncKDCRepPart *enc_out, const KDC_REP *fast)
{
	orth_err ret;
	KDC_REP r;
	EncKDCRepPart enc;
	char cname[PRINCIPAL_MAX_TEXT + 1], sname[PRINCIPAL_MAX_TEXT + 1];
	int tag = der_peek_application_tag(rep, rep_len);

	unparse_pn(req_body->cname, req_body->realm, cname, sizeof(cname));
	unparse_pn(req_body->sname, req_body->realm, sname, sizeof(sname));
	if (tag == KRB5_MSG_ERROR)
		return krb_error_fail(ctx, rep, rep_len, a, cname, sname, NULL);
	if (tag != KRB5_MSG_AS_REP)
		return client_fail(ctx, ORTH_E_MALFORMED,
				   "KDC reply is not an AS-REP (tag %d)", tag);
	memset(&r, 0, sizeof(r));
	ret = der_decode(&asn1_AS_REP, rep, rep_len, a, &r);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "AS-REP did not decode (%s)",
				   orth_err_str(ret));
	if (fast != NULL) {
		r.crealm = fast->crealm;
		r.cname = fast->cname;
	}
	ret = decrypt_enc_part(reply_key, KU_AS_REP_ENC_PART, &r.enc_part, a, &enc);
	if (ret == ORTH_E_INTEGRITY)
		return client_fail(ctx, ret,
				   "Password incorrect while getting initial credentials for '%s'",
				   cname);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "AS-REP for '%s' did not decrypt (%s)",
				   cname, orth_err_str(ret));
	/* RFC 6806 §5/§7: asked to canonicalize, the KDC may name the client
	 * differently (the reply decrypted in the client's key), as MIT's
	 * client accepts. */
	if (req_body->kdc_options & KDC_OPT_CANONICALIZE)
		TRY(check_reply(ctx, req_body, &r.cname, r.crealm, &r, &enc));
	else
		TRY(check_reply(ctx, req_body, req_body->cname, req_body->realm,
				&r, &enc));
	TRY(cred_from_reply(&r, &enc, a, cred_out));
	if (enc_out != NULL)
		*enc_out = enc;
cleanup:
	return ret;
}

orth_err
client_as_rep_process(struct client_ctx *ctx, const KDC_REQ_BODY *req_body,
		      struct crypto_key *reply_key, const uint8_t *rep,
		      size_t rep_len, struct arena *a,
		      struct ccache_cred *cred_out)
{
	return as_rep_open(ctx, req_body, reply_key, rep, rep_len, a, cred_out, NULL, NULL);
}

/* ---- AS exchange ---- */

static uint32_t
fresh_nonce(void)
{
	uint32_t n = 0;
	if (crypto_random_bytes(&n, sizeof(n)) != ORTH_OK)
		n = (uint32_t)client_now();
	/* Some KDCs treat the nonce as signed: keep it below 2^31. */
	return n & 0x7fffffffu;
}

/* The newest keytab key of p with enctype e, or NULL. */
static const struct keytab_entry *
kt_find(const struct client_as_params *p, int32_t e)
{
	const struct keytab_entry *best = NULL;

	for (size_t i = 0; i < p->nkeys; i++) {
		const struct keytab_entry *k = &p->keys[i];
		if (k->enctype != e || !principal_equal(&k->princ, p->client))
			continue;
		if (best == NULL || k->kvno > best->kvno)
			best = k;
	}
	return best;
}

/* What a METHOD-DATA says of the client's key: its enctype, salt and
 * s2kparams (arena memory; NULL: not said). */
struct salt_hint {
	bool found;
	int32_t etype;
	const uint8_t *salt;
	size_t salt_len;
	const uint8_t *params;
	size_t params_len;
};

/*
 * The first entry of pa, an ETYPE-INFO2 (RFC 4120 §5.2.7.5) or an
 * ETYPE-INFO (§5.2.7.4; no s2kparams), for etype e (0: any) among the
 * allowed ones, into *h (h->found set).  Nothing when pa does not
 * decode or has no such entry.
 */
static void
etype_info_find(const PA_DATA *pa, int32_t e, const int32_t *allowed, size_t nallowed,
		struct arena *a, struct salt_hint *h)
{
	bool v2 = pa->padata_type == KRB5_PADATA_ETYPE_INFO2;
	ETYPE_INFO2 info2;
	ETYPE_INFO info;
	orth_err ret;
	size_t n;

	memset(&info2, 0, sizeof(info2));
	memset(&info, 0, sizeof(info));
	if (v2)
		ret = der_decode(&asn1_ETYPE_INFO2, pa->padata_value.data, pa->padata_value.len,
				 a, &info2);
	else
		ret = der_decode(&asn1_ETYPE_INFO, pa->padata_value.data, pa->padata_value.len,
				 a, &info);
	if (ret != ORTH_OK)
		return;
	n = v2 ? info2.len : info.len;
	for (size_t j = 0; j < n; j++) {
		int32_t et = v2 ? info2.val[j].etype : info.val[j].etype;
		bool ok = false;
		if (e != 0 && et != e)
			continue;
		for (size_t k = 0; k < nallowed; k++)
			ok |= allowed[k] == et;
		if (!ok)
			continue;
		h->found = true;
		h->etype = et;
		if (v2 && info2.val[j].salt != NULL) {
			h->salt = (const uint8_t *)info2.val[j].salt;
			h->salt_len = strlen(info2.val[j].salt);
		}
		if (v2 && info2.val[j].s2kparams != NULL) {
			h->params = info2.val[j].s2kparams->data;
			h->params_len = info2.val[j].s2kparams->len;
		}
		if (!v2 && info.val[j].salt != NULL) {
			h->salt = info.val[j].salt->data;
			h->salt_len = info.val[j].salt->len;
		}
		return;
	}
}

/*
 * The salt and s2kparams for etype e (0: the first allowed) from a
 * METHOD-DATA, as MIT's client reads them: ETYPE-INFO2 (RFC 4120
 * §5.2.7.5), else ETYPE-INFO (§5.2.7.4); then PW-SALT (§5.2.7.3), the salt
 * itself, which overrides (MIT's get_salt) and alone is enough when the
 * reply's enctype is known.  Nothing when h->found already.
 */
static void
find_salt(const METHOD_DATA *md, int32_t e, const int32_t *allowed, size_t nallowed,
	  struct arena *a, struct salt_hint *h)
{
	static const int32_t info_types[] = {KRB5_PADATA_ETYPE_INFO2, KRB5_PADATA_ETYPE_INFO};

	if (md == NULL || h->found)
		return;
	for (size_t t = 0; t < sizeof(info_types) / sizeof(info_types[0]) && !h->found; t++)
		for (size_t i = 0; i < md->len && !h->found; i++)
			if (md->val[i].padata_type == info_types[t])
				etype_info_find(&md->val[i], e, allowed, nallowed, a, h);
	for (size_t i = 0; i < md->len; i++) {
		const PA_DATA *pa = &md->val[i];
		if (pa->padata_type != KRB5_PADATA_PW_SALT || (!h->found && e == 0))
			continue;
		if (!h->found) {
			h->found = true;
			h->etype = e;
		}
		h->salt = pa->padata_value.data;
		h->salt_len = pa->padata_value.len;
		break;
	}
}

/* The client's long-term key for etype (0: the first ETYPE-INFO2 entry
 * we can use) from the password or the keytab. */
static orth_err
reply_key_get(struct client_ctx *ctx, const struct client_as_params *p,
	      const METHOD_DATA *md, const METHOD_DATA *md2, int32_t etype, const int32_t *allowed,
	      size_t nallowed, struct arena *a, struct crypto_key **key_out)
{
	struct salt_hint h = {.etype = etype};
	int32_t e;
	const uint8_t *salt;
	size_t salt_len;
	orth_err ret;

	find_salt(md, etype, allowed, nallowed, a, &h);
	find_salt(md2, etype, allowed, nallowed, a, &h);
	if (!h.found && etype == 0)
		return client_fail(ctx, ORTH_E_ENCTYPE,
				   "KDC has no support for encryption type (no usable ETYPE-INFO2 entry)");
	e = h.etype;
	salt = h.salt;
	salt_len = h.salt_len;
	if (p->password == NULL) {
		const struct keytab_entry *k = kt_find(p, e);
		if (k == NULL)
			return client_fail(ctx, ORTH_E_NOTFOUND,
					   "No key of enctype %s in keytab for the client",
					   crypto_enctype_name(e) ? crypto_enctype_name(e) : "?");
		return crypto_key_new(e, k->key, k->key_len, key_out);
	}
	if (salt == NULL) {
		uint8_t *s;
		ret = principal_salt(p->client, a, &s, &salt_len);
		if (ret != ORTH_OK)
			return ret;
		salt = s;
	}
	ret = crypto_string_to_key(e, p->password, strlen(p->password), salt,
				   salt_len, h.params, h.params_len, key_out);
	if (ret != ORTH_OK && h.params_len > 0 &&
	    (ret == ORTH_E_RANGE || ret == ORTH_E_MALFORMED))
		/* A weak or absurd iteration count: refused before any
		 * PA-ENC-TIMESTAMP is made with it (MIT's message). */
		return client_fail(ctx, ret,
				   "Invalid key generation parameters from KDC");
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "string-to-key failed (%s)",
				   orth_err_str(ret));
	return ORTH_OK;
}

/* ---- FAST (RFC 6113 §5.4), the client's side ---- */

/* One login's armor: MIT's client sends the same one in every round. */
struct client_fast {
	KrbFastArmor armor;           /* the AP-REQ armor (arena) */
	struct crypto_key *key;       /* the armor key (owned) */
};

/*
 * RFC 6113 §5.4.1.1: an AP-REQ with the armor TGT and a fresh subkey (its
 * authenticator at our time + offset, usage 11); the armor key is
 * KRB-FX-CF2(subkey, the TGT's session key, "subkeyarmor", "ticketarmor").
 */
static orth_err
fast_armor_make(struct client_ctx *ctx, const struct ccache_cred *tgt, int32_t offset,
		struct arena *a, struct client_fast *f)
{
	orth_err ret;
	struct crypto_key *session = NULL, *subkey = NULL;
	struct principal client;
	Authenticator au;
	AP_REQ ap;
	EncryptionKey ek;
	const uint8_t *kb;
	size_t kl;
	int64_t s;
	int32_t usec;

	memset(&au, 0, sizeof(au));
	memset(&ap, 0, sizeof(ap));
	ret = crypto_key_new(tgt->enctype, tgt->key.data, tgt->key.len, &session);
	if (ret != ORTH_OK) {
		client_fail(ctx, ret, "The armor ticket's session key is unusable (%s)",
			    orth_err_str(ret));
		goto cleanup;
	}
	TRY(crypto_key_random(tgt->enctype, &subkey));
	TRY(client_princ_from_cc(&tgt->client, a, &client));
	TRY(pname_from_principal(&client, a, &au.cname));
	kb = crypto_key_bytes(subkey, &kl);
	ek.keytype = crypto_key_enctype(subkey);
	ek.keyvalue.data = (uint8_t *)kb;
	ek.keyvalue.len = kl;
	au.authenticator_vno = KRB5_PVNO;
	au.crealm = client.realm;
	proto_now(&s, &usec);
	au.ctime = s + offset;
	au.cusec = usec;
	au.subkey = &ek;
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	TRY(der_decode(&asn1_Ticket, tgt->ticket.data, tgt->ticket.len, a, &ap.ticket));
	TRY(proto_seal(session, KU_AP_REQ_AUTH, &asn1_Authenticator, &au, a, &ap.authenticator));
	f->armor.armor_type = KRB5_FAST_ARMOR_AP_REQUEST;
	TRY(der_encode_arena(&asn1_AP_REQ, &ap, a, &f->armor.armor_value.data,
			     &f->armor.armor_value.len));
	TRY(proto_fast_armor_key(subkey, session, &f->key));
cleanup:
	crypto_key_free(session);
	crypto_key_free(subkey);
	return ret;
}

/*
 * RFC 6113 §5.4.2: req as an armored AS-REQ: the KrbFastReq (req's body
 * and padata) sealed in the armor key (usage 51), the checksum over the
 * outer body (usage 50), and PA-FX-FAST the only outer padata.
 */
static orth_err
fast_wrap(const struct client_fast *f, const KDC_REQ *req, struct arena *a, uint8_t **der,
	  size_t *der_len)
{
	orth_err ret;
	KrbFastReq fr;
	KrbFastArmoredReq ar;
	KDC_REQ outer = *req;
	METHOD_DATA *md;
	PA_DATA *pa;
	uint8_t *body = NULL, ck[CRYPTO_MAX_CKSUM_LEN];
	size_t blen = 0, ckl = 0;

	memset(&fr, 0, sizeof(fr));
	memset(&ar, 0, sizeof(ar));
	md = arena_alloc(a, sizeof(*md));
	pa = arena_alloc(a, sizeof(*pa));
	CHECK(md != NULL && pa != NULL, ORTH_E_LIMIT);
	if (req->padata != NULL)
		fr.padata = *req->padata;
	fr.req_body = req->req_body;
	TRY(der_encode_arena(&asn1_KDC_REQ_BODY, &req->req_body, a, &body, &blen));
	TRY(crypto_checksum_make(f->key, KU_FAST_REQ_CHKSUM, body, blen,
				 &ar.req_checksum.cksumtype, ck, &ckl));
	ar.req_checksum.checksum.data = ck;
	ar.req_checksum.checksum.len = ckl;
	ar.armor = (KrbFastArmor *)&f->armor;
	TRY(proto_seal(f->key, KU_FAST_ENC, &asn1_KrbFastReq, &fr, a, &ar.enc_fast_req));
	pa->padata_type = KRB5_PADATA_FX_FAST;
	TRY(proto_fast_req_encode(&ar, a, &pa->padata_value));
	md->len = 1;
	md->val = pa;
	outer.padata = md;
	TRY(der_encode_arena(&asn1_AS_REQ, &outer, a, der, der_len));
cleanup:
	return ret;
}

/* The KrbFastResponse in md's PA-FX-FAST, opened and checked against the
 * request's nonce (memory from a). */
static orth_err
fast_response_get(struct client_ctx *ctx, const struct client_fast *f, uint32_t nonce,
		  const METHOD_DATA *md, struct arena *a, KrbFastResponse **out)
{
	orth_err ret;
	const PA_DATA *fx = proto_padata_find(md, KRB5_PADATA_FX_FAST);
	KrbFastResponse *r = arena_alloc(a, sizeof(*r));

	CHECK(r != NULL, ORTH_E_LIMIT);
	/* MIT's client too: an armored request answered outside the tunnel
	 * is the KDC's fatal word, or a forgery; nothing to go on with. */
	if (fx == NULL)
		return client_fail(ctx, ORTH_E_POLICY,
				   "The KDC answered the armored request outside the FAST tunnel");
	ret = proto_fast_response_open(f->key, fx->padata_value.data, fx->padata_value.len, a, r);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "FAST reply does not open under the armor key (%s)",
				   orth_err_str(ret));
	if (r->nonce != nonce)
		return client_fail(ctx, ORTH_E_POLICY,
				   "KDC reply did not match expectations (FAST nonce)");
	*out = r;
cleanup:
	return ret;
}

/*
 * RFC 6113 §5.4.3: a KRB-ERROR answering an armored request carries the
 * real error as PA-FX-ERROR in a KrbFastResponse, with its padata.
 * *inner_out: that error; *padata_out: the rest (hints, cookie), in a.
 */
static orth_err
fast_error_open(struct client_ctx *ctx, const struct client_fast *f, uint32_t nonce,
		const KRB_ERROR *e, struct arena *a, KRB_ERROR **inner_out,
		METHOD_DATA **padata_out)
{
	orth_err ret;
	METHOD_DATA md;
	KrbFastResponse *r = NULL;
	KRB_ERROR *inner;
	const PA_DATA *fe;

	memset(&md, 0, sizeof(md));
	inner = arena_alloc(a, sizeof(*inner));
	CHECK(inner != NULL, ORTH_E_LIMIT);
	if (e->e_data == NULL ||
	    der_decode(&asn1_METHOD_DATA, e->e_data->data, e->e_data->len, a, &md) != ORTH_OK ||
	    proto_padata_find(&md, KRB5_PADATA_FX_FAST) == NULL)
		return ORTH_E_NOTFOUND; /* a plain error: before the tunnel */
	TRY(fast_response_get(ctx, f, nonce, &md, a, &r));
	fe = proto_padata_find(&r->padata, KRB5_PADATA_FX_ERROR);
	if (fe == NULL || der_decode(&asn1_KRB_ERROR, fe->padata_value.data,
				     fe->padata_value.len, a, inner) != ORTH_OK)
		return client_fail(ctx, ORTH_E_MALFORMED,
				   "FAST error without a usable PA-FX-ERROR");
	*inner_out = inner;
	*padata_out = &r->padata;
cleanup:
	return ret;
}

/*
 * RFC 6113 §5.4.3: the AS-REP of an armored request: its KrbFastResponse
 * (nonce, the finished checksum over the ticket as received, the client
 * it names) replaces rep's padata; *strengthen_out its strengthen key
 * (owned; NULL when the KDC sent none, as Heimdal's KDCs do).
 */
static orth_err
fast_rep_open(struct client_ctx *ctx, const struct client_fast *f, uint32_t nonce, KDC_REP *rep,
	      struct arena *a, struct crypto_key **strengthen_out)
{
	orth_err ret;
	KrbFastResponse *r = NULL;
	const KrbFastFinished *fin;

	*strengthen_out = NULL;
	if (rep->padata == NULL)
		return client_fail(ctx, ORTH_E_POLICY,
				   "The KDC answered the armored request outside the FAST tunnel");
	TRY(fast_response_get(ctx, f, nonce, rep->padata, a, &r));
	fin = r->finished;
	if (fin == NULL)
		return client_fail(ctx, ORTH_E_POLICY, "FAST reply without its finished part");
	ret = crypto_checksum_verify(f->key, KU_FAST_FINISHED, fin->ticket_checksum.cksumtype,
				     rep->ticket._raw.data, rep->ticket._raw.len,
				     fin->ticket_checksum.checksum.data,
				     fin->ticket_checksum.checksum.len);
	if (ret != ORTH_OK)
		return client_fail(ctx, ORTH_E_INTEGRITY,
				   "FAST reply: the ticket checksum does not verify (ticket modified)");
	/* RFC 6113 §5.4.3: the finished part names the client (outside the
	 * tunnel the name may be hidden). */
	rep->crealm = fin->crealm;
	rep->cname = fin->cname;
	rep->padata = &r->padata;
	if (r->strengthen_key != NULL) {
		ret = crypto_key_new(r->strengthen_key->keytype, r->strengthen_key->keyvalue.data,
				     r->strengthen_key->keyvalue.len, strengthen_out);
		if (ret != ORTH_OK)
			return client_fail(ctx, ret, "FAST reply: unusable strengthen key (%s)",
					   orth_err_str(ret));
	}
cleanup:
	return ret;
}

/* RFC 6113 §5.4.6: the KDC's PA-ENCRYPTED-CHALLENGE in the reply must
 * open under the KDC challenge key (usage 55): the KDC knew our key. */
static orth_err
enc_challenge_check(struct client_ctx *ctx, const struct client_fast *f,
		    struct crypto_key *longterm, const METHOD_DATA *md, struct arena *a)
{
	orth_err ret;
	const PA_DATA *pa = proto_padata_find(md, KRB5_PADATA_ENCRYPTED_CHALLENGE);
	struct crypto_key *kk = NULL;
	EncryptedData ed;
	PA_ENC_TS_ENC ts;

	memset(&ed, 0, sizeof(ed));
	memset(&ts, 0, sizeof(ts));
	if (pa == NULL) {
		ret = client_fail(ctx, ORTH_E_POLICY,
				  "The KDC did not answer the encrypted challenge");
		goto cleanup;
	}
	TRY(proto_enc_challenge_key(f->key, longterm, true, &kk));
	if (der_decode(&asn1_EncryptedChallenge, pa->padata_value.data, pa->padata_value.len, a,
		       &ed) != ORTH_OK ||
	    proto_unseal(kk, KU_ENC_CHALLENGE_KDC, &ed, &asn1_PA_ENC_TS_ENC, a, &ts) != ORTH_OK)
		ret = client_fail(ctx, ORTH_E_INTEGRITY,
				  "The KDC's encrypted challenge does not verify");
cleanup:
	crypto_key_free(kk);
	return ret;
}

/* ---- AS exchange ---- */

/* The padata of one AS-REQ. */
struct as_padata {
	int32_t mech;                 /* KRB5_PADATA_ENC_TIMESTAMP, _ENCRYPTED_CHALLENGE,
				       * _SPAKE, 0 */
	struct crypto_key *key;       /* the client's long-term key for mech (SPAKE's
				       * initial reply key) */
	const PA_DATA *cookie;        /* PA-FX-COOKIE to return, or NULL */
	/* SPAKE (RFC 9588): the KDC's PA-SPAKE this request answers, the
	 * exchange's state, and K'[0] when the answer is a response
	 * (as_req_build sets it; the caller frees it). */
	const PA_DATA *spake_in;
	struct spake_client_state *spake;
	struct crypto_key *spake_reply_key;
};

/*
 * RFC 9588 §4: our answer to the KDC's PA-SPAKE, made for the request
 * body it will travel with (body: its DER, the inner body inside FAST,
 * which is the same).  Whatever the KDC sent that we refuse (a point that
 * is not one, the identity, small order, no SF-NONE) is a refusal before
 * anything is sent.
 */
static orth_err
spake_padata(struct client_ctx *ctx, struct as_padata *pd, const uint8_t *body, size_t body_len,
	     struct arena *a, PA_DATA *out)
{
	orth_err ret;
	struct spake_client_reply r;

	memset(&r, 0, sizeof(r));
	ret = spake_client_process(pd->spake, ctx->conf.spake_groups, ctx->conf.nspake, pd->key,
				   pd->spake_in->padata_value.data, pd->spake_in->padata_value.len,
				   body, body_len, a, &r);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "The KDC's SPAKE message is refused (%s)",
				   orth_err_str(ret));
	out->padata_type = KRB5_PADATA_SPAKE;
	out->padata_value.data = r.msg;
	out->padata_value.len = r.msg_len;
	crypto_key_free(pd->spake_reply_key);
	pd->spake_reply_key = r.reply_key;
	return ORTH_OK;
}

/* The client's time in key (PA-ENC-TIMESTAMP, RFC 4120 §5.2.7.2, usage
 * 1) or in the client challenge key (RFC 6113 §5.4.6, usage 54). */
static orth_err
timestamp_padata(const struct client_fast *f, const struct as_padata *pd, int32_t offset,
		 struct arena *a, PA_DATA *out)
{
	orth_err ret;
	PA_ENC_TS_ENC ts;
	int32_t *usec = arena_alloc(a, sizeof(*usec));
	EncryptedData ed;
	struct crypto_key *chk = NULL;
	int64_t s;

	CHECK(usec != NULL, ORTH_E_LIMIT);
	proto_now(&s, usec);
	ts.patimestamp = s + offset;
	ts.pausec = usec;
	if (pd->mech == KRB5_PADATA_ENCRYPTED_CHALLENGE) {
		TRY(proto_enc_challenge_key(f->key, pd->key, false, &chk));
		TRY(proto_seal(chk, KU_ENC_CHALLENGE_CLIENT, &asn1_PA_ENC_TS_ENC, &ts, a, &ed));
	} else {
		TRY(proto_seal(pd->key, KU_AS_REQ_PA_ENC_TS, &asn1_PA_ENC_TS_ENC, &ts, a, &ed));
	}
	out->padata_type = pd->mech;
	TRY(der_encode_arena(&asn1_EncryptedData, &ed, a, &out->padata_value.data,
			     &out->padata_value.len));
cleanup:
	crypto_key_free(chk);
	return ret;
}

/*
 * One AS-REQ (nonce fresh): pd's mechanism padata, the cookie to return,
 * and an empty PA-REQ-ENC-PA-REP (RFC 6806 §11: the KDC answers with a
 * checksum of this request, which we verify); armored when f is set.
 */
static orth_err
as_req_build(struct client_ctx *ctx, const struct client_as_params *p,
	     const int32_t *etypes, size_t ne, int32_t offset, struct as_padata *pd,
	     const struct client_fast *f, struct arena *a, KDC_REQ *req, uint8_t **der,
	     size_t *der_len)
{
	orth_err ret;
	PrincipalName *cname, *sname;
	int64_t now = client_now() + offset;
	int64_t *rtime;
	METHOD_DATA *md;
	PA_DATA *pa;

	cname = arena_alloc(a, sizeof(*cname));
	sname = arena_alloc(a, sizeof(*sname));
	rtime = arena_alloc(a, sizeof(*rtime));
	md = arena_alloc(a, sizeof(*md));
	pa = arena_alloc(a, 4 * sizeof(*pa));
	CHECK(cname && sname && rtime && md && pa, ORTH_E_LIMIT);
	TRY(pname_from_principal(p->client, a, cname));
	if (p->server != NULL)
		TRY(pname_from_principal(p->server, a, sname));
	else
		TRY(pname_build2(a, KRB5_NT_SRV_INST, "krbtgt", p->client->realm,
				 sname));
	memset(req, 0, sizeof(*req));
	req->pvno = KRB5_PVNO;
	req->msg_type = KRB5_MSG_AS_REQ;
	req->req_body.kdc_options = p->kdc_options;
	req->req_body.cname = cname;
	req->req_body.realm = p->client->realm;
	req->req_body.sname = sname;
	/* A postdated ticket's lifetimes count from its start (as MIT's). */
	if (p->start_time > 0) {
		int64_t *from = arena_alloc(a, sizeof(*from));
		CHECK(from != NULL, ORTH_E_LIMIT);
		*from = now = p->start_time + offset;
		req->req_body.from = from;
	}
	req->req_body.till =
		now + (p->lifetime > 0 ? p->lifetime : ctx->conf.ticket_lifetime);
	if (p->kdc_options & KDC_OPT_RENEWABLE) {
		*rtime = now + p->renew_life;
		req->req_body.rtime = rtime;
	}
	req->req_body.nonce = fresh_nonce();
	req->req_body.etype.len = ne;
	req->req_body.etype.val = (int32_t *)etypes;
	md->len = 0;
	md->val = pa;
	if (pd->mech == KRB5_PADATA_SPAKE) {
		uint8_t *body = NULL;
		size_t blen = 0;
		TRY(der_encode_arena(&asn1_KDC_REQ_BODY, &req->req_body, a, &body, &blen));
		TRY(spake_padata(ctx, pd, body, blen, a, &pa[md->len++]));
	} else if (pd->mech != 0) {
		TRY(timestamp_padata(f, pd, offset, a, &pa[md->len++]));
	}
	if (pd->cookie != NULL)
		pa[md->len++] = *pd->cookie;
	memset(&pa[md->len], 0, sizeof(*pa));
	pa[md->len++].padata_type = KRB5_PADATA_REQ_ENC_PA_REP;
	req->padata = md;
	if (f != NULL)
		TRY(fast_wrap(f, req, a, der, der_len));
	else
		TRY(der_encode_arena(&asn1_AS_REQ, req, a, der, der_len));
cleanup:
	return ret;
}

/* The METHOD-DATA of an unarmored KRB-ERROR's e-data (RFC 4120 §5.2.7.5)
 * in a, or NULL when it has none that decodes (or a is full). */
static METHOD_DATA *
error_method_data(const KRB_ERROR *e, struct arena *a)
{
	METHOD_DATA *md = arena_alloc(a, sizeof(*md));

	if (md == NULL || e->e_data == NULL ||
	    der_decode(&asn1_METHOD_DATA, e->e_data->data, e->e_data->len, a, md) != ORTH_OK)
		return NULL;
	return md;
}

/* A copy of md (PA-DATA shallow: the values stay where they are). */
static METHOD_DATA *
md_copy(struct arena *a, const METHOD_DATA *md)
{
	METHOD_DATA *c = arena_alloc(a, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->len = md->len;
	c->val = arena_dup(a, md->val, md->len ? md->len * sizeof(*md->val) : 1);
	return c->val != NULL ? c : NULL;
}

/*
 * RFC 6806 §11: with ENC-PA-REP in the reply's flags, PA-REQ-ENC-PA-REP
 * must be the checksum, under the reply key, of the request we sent: a
 * request changed on its way (a stripped or added padata, another etype
 * list: a downgrade) does not verify.  *fast_avail_out: the KDC said, in
 * the encrypted part, that it speaks FAST.
 */
orth_err
client_as_rep_check_enc_pa_rep(struct client_ctx *ctx, const EncKDCRepPart *enc,
			       struct crypto_key *reply_key, const uint8_t *req, size_t req_len,
			       struct arena *a, bool *fast_avail_out)
{
	const PA_DATA *pa;

	*fast_avail_out = false;
	if (!(enc->flags & TKT_FLG_ENC_PA_REP))
		return ORTH_OK;
	pa = proto_padata_find(enc->encrypted_pa_data, KRB5_PADATA_REQ_ENC_PA_REP);
	if (pa == NULL || proto_req_enc_pa_rep_verify(reply_key, req, req_len, &pa->padata_value,
						      a) != ORTH_OK)
		return client_fail(ctx, ORTH_E_INTEGRITY,
				   "KDC reply did not match the request sent (RFC 6806 checksum): the exchange was modified in transit");
	*fast_avail_out = proto_padata_find(enc->encrypted_pa_data, KRB5_PADATA_FX_FAST) != NULL;
	return ORTH_OK;
}

orth_err
client_as_exchange(struct client_ctx *ctx, const struct client_as_params *p,
		   struct ccache_cred *cred_out, int32_t *offset_out, bool *fast_avail_out)
{
	orth_err ret;
	struct arena a = {0}, ha = {0};
	KDC_REQ req;
	int32_t etypes[CLIENT_MAX_ETYPES];
	size_t ne = 0;
	int32_t offset = 0;
	struct crypto_key *key = NULL, *strengthen = NULL, *rkey = NULL;
	uint8_t *der = NULL, *resp = NULL;
	size_t der_len = 0, resp_len = 0;
	char cstr[PRINCIPAL_MAX_TEXT + 1], sstr[PRINCIPAL_MAX_TEXT + 1];
	bool skew_retry = false;
	METHOD_DATA *hint = NULL;   /* the PREAUTH_REQUIRED e-data, in ha */
	struct client_fast fast, *f = NULL;
	struct as_padata pd;
	EncKDCRepPart enc;
	struct spake_client_state spake;
	bool spake_off = ctx->conf.nspake == 0, no_encts = false;

	memset(&fast, 0, sizeof(fast));
	memset(&pd, 0, sizeof(pd));
	memset(&spake, 0, sizeof(spake));
	if (fast_avail_out != NULL)
		*fast_avail_out = false;
	TRY(crypto_init());
	TRY(arena_init(&a, EX_ARENA));
	TRY(arena_init(&ha, EX_ARENA / 4));
	TRY(principal_unparse(p->client, cstr, sizeof(cstr), NULL));
	if (p->server != NULL)
		TRY(principal_unparse(p->server, sstr, sizeof(sstr), NULL));
	else
		snprintf(sstr, sizeof(sstr), "krbtgt/%s@%s", p->client->realm,
			 p->client->realm);

	/* With a keytab only the enctypes it has keys for (as MIT does). */
	for (size_t i = 0; i < ctx->conf.ntkt; i++)
		if (p->password != NULL || kt_find(p, ctx->conf.tkt_etypes[i]))
			etypes[ne++] = ctx->conf.tkt_etypes[i];
	if (ne == 0) {
		ret = client_fail(ctx, ORTH_E_NOTFOUND,
				  "Keytab contains no suitable keys for %s", cstr);
		goto cleanup;
	}
	/* RFC 6113: the same armor in every round of this login (in ha,
	 * which outlives the rounds). */
	if (p->armor_tgt != NULL) {
		TRY(fast_armor_make(ctx, p->armor_tgt, p->armor_offset, &ha, &fast));
		f = &fast;
	}

	/* MIT's krb5.conf relation: never a timestamp for this realm, so that
	 * an active attacker who strips SPAKE from the KDC's hints gets no
	 * offline target either. */
	{
		const char *v = client_conf_realm_get(&ctx->conf, p->client->realm,
						      "disable_encrypted_timestamp");
		if (v != NULL && config_parse_bool(v, &no_encts) != ORTH_OK)
			no_encts = false;
	}
	/* Rounds: the plain request, SPAKE's support and response (or one
	 * timestamp), a retry at the KDC's time, a fallback from SPAKE. */
	for (int round = 0; round < 6; round++) {
		KRB_ERROR *kerr = NULL, *inner = NULL;
		METHOD_DATA *epa = NULL;
		AS_REP peek;
		arena_reset(&a);
		pd.mech = 0;
		if (hint != NULL && pd.spake_in != NULL) {
			/* RFC 9588 §1: SPAKE first, as MIT's client has it:
			 * unlike a timestamp, nothing it sends lets an
			 * eavesdropper test passwords offline. */
			crypto_key_free(key);
			key = NULL;
			TRY(reply_key_get(ctx, p, hint, NULL, 0, etypes, ne, &a, &key));
			pd.mech = KRB5_PADATA_SPAKE;
			pd.key = key;
			pd.spake = &spake;
		} else if (hint != NULL) {
			/* Inside the tunnel encrypted challenge, the
			 * mechanism of RFC 6113 §5.4.6; the timestamp when
			 * the KDC offers nothing else. */
			bool ec = f != NULL &&
				  proto_padata_find(hint, KRB5_PADATA_ENCRYPTED_CHALLENGE) != NULL;
			if (!ec && no_encts) {
				ret = client_fail(ctx, ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED),
						  "Encrypted timestamp is disabled for realm %s, and the KDC offers no other mechanism we speak for '%s'",
						  p->client->realm, cstr);
				goto cleanup;
			}
			if (!ec && f != NULL &&
			    proto_padata_find(hint, KRB5_PADATA_ENC_TIMESTAMP) == NULL) {
				ret = client_fail(ctx, ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED),
						  "The KDC offers no pre-authentication mechanism we speak for '%s'",
						  cstr);
				goto cleanup;
			}
			crypto_key_free(key);
			key = NULL;
			TRY(reply_key_get(ctx, p, hint, NULL, 0, etypes, ne, &a, &key));
			pd.mech = ec ? KRB5_PADATA_ENCRYPTED_CHALLENGE : KRB5_PADATA_ENC_TIMESTAMP;
			pd.key = key;
		}
		TRY(as_req_build(ctx, p, etypes, ne, offset, &pd, f, &a, &req, &der, &der_len));
		free(resp);
		resp = NULL;
		TRY(client_sendto_kdc(ctx, p->client->realm, der, der_len, &resp,
				      &resp_len));
		if (der_peek_application_tag(resp, resp_len) == KRB5_MSG_ERROR) {
			ret = krb_error_fail(ctx, resp, resp_len, &a, cstr, sstr,
					     &kerr);
			if (kerr == NULL)
				goto cleanup;
			if (f != NULL) {
				/* RFC 6113 §5.4.3: the real error is inside. */
				orth_err fe = fast_error_open(ctx, f, req.req_body.nonce, kerr, &ha,
							      &inner, &epa);
				if (fe == ORTH_OK) {
					uint8_t *ib = NULL;
					size_t il = 0;
					kerr = inner;
					/* the message from the inner error */
					if (der_encode_arena(&asn1_KRB_ERROR, inner, &a, &ib, &il) ==
					    ORTH_OK)
						ret = krb_error_fail(ctx, ib, il, &a, cstr, sstr,
								     NULL);
				} else if (fe != ORTH_E_NOTFOUND) {
					ret = fe;
					goto cleanup;
				} else {
					/* before the tunnel (a refused armor):
					 * fatal, as MIT's client has it */
					goto cleanup;
				}
			}
			if (kerr->error_code == KDC_ERR_PREAUTH_REQUIRED &&
			    hint == NULL) {
				/* RFC 4120 §5.2.7.5: ETYPE-INFO2 in e-data. */
				if (f == NULL)
					epa = error_method_data(kerr, &ha);
				if (epa == NULL ||
				    proto_padata_find(epa, KRB5_PADATA_ETYPE_INFO2) == NULL) {
					/* RFC 6113 §5.4.2: a KDC that offers FAST
					 * alone requires it. */
					if (epa != NULL && f == NULL &&
					    proto_padata_find(epa, KRB5_PADATA_FX_FAST) != NULL)
						ret = client_fail(ctx, ret,
								  "The KDC requires FAST armor for '%s' (kinit -T with an armor cache)",
								  cstr);
					else
						ret = client_fail(ctx, ret,
								  "Preauthentication required but the KDC sent no usable hints");
					goto cleanup;
				}
				hint = md_copy(&ha, epa);
				CHECK(hint != NULL, ORTH_E_LIMIT);
				/* RFC 6113 §5.2: return the KDC's cookie. */
				pd.cookie = proto_padata_find(hint, KRB5_PADATA_FX_COOKIE);
				if (!spake_off)
					pd.spake_in = proto_padata_find(hint, KRB5_PADATA_SPAKE);
				continue;
			}
			if (kerr->error_code == KDC_ERR_MORE_PREAUTH_DATA_REQUIRED &&
			    pd.mech == KRB5_PADATA_SPAKE) {
				/* RFC 9588 §4.2: the challenge, with the
				 * cookie that keeps the KDC's state (RFC 6113
				 * §5.2: the latest cookie goes back). */
				const PA_DATA *c;
				if (f == NULL)
					epa = error_method_data(kerr, &ha);
				pd.spake_in = proto_padata_find(epa, KRB5_PADATA_SPAKE);
				if (pd.spake_in == NULL) {
					ret = client_fail(ctx, ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED),
							  "The KDC asked for more pre-authentication but sent no SPAKE challenge");
					goto cleanup;
				}
				if ((c = proto_padata_find(epa, KRB5_PADATA_FX_COOKIE)) != NULL)
					pd.cookie = c;
				continue;
			}
			if (kerr->error_code == KDC_ERR_PREAUTH_FAILED &&
			    pd.mech == KRB5_PADATA_SPAKE && !spake.responded) {
				/* Our support message refused (no group in
				 * common): the KDC's other mechanisms, as
				 * MIT's client falls back.  Nothing is lost
				 * to a forger: the first PREAUTH_REQUIRED
				 * was as easy to strip of SPAKE. */
				spake_off = true;
				pd.spake_in = NULL;
				pd.cookie = proto_padata_find(hint, KRB5_PADATA_FX_COOKIE);
				continue;
			}
			if (kerr->error_code == KRB_AP_ERR_SKEW && !skew_retry) {
				/* Use the KDC's time and try once more, as
				 * MIT does. */
				offset = (int32_t)(kerr->stime - client_now());
				skew_retry = true;
				continue;
			}
			if (kerr->error_code == KDC_ERR_PREAUTH_FAILED &&
			    p->password != NULL)
				ret = client_fail(ctx, ret,
						  "Password incorrect while getting initial credentials for '%s' (Preauthentication failed)",
						  cstr);
			goto cleanup;
		}
		/* An AS-REP: the key for its enc-part's etype, salted as the
		 * reply's padata says (or as the preauth hint said). */
		memset(&peek, 0, sizeof(peek));
		ret = der_decode(&asn1_AS_REP, resp, resp_len, &a, &peek);
		if (ret != ORTH_OK) {
			ret = client_fail(ctx, ret, "KDC reply did not decode (%s)",
					  orth_err_str(ret));
			goto cleanup;
		}
		if (f != NULL)
			TRY(fast_rep_open(ctx, f, req.req_body.nonce, &peek, &a, &strengthen));
		if (pd.mech == KRB5_PADATA_SPAKE && pd.spake_reply_key != NULL) {
			/* RFC 9588 §4.5: K'[0] replaces the reply key; the
			 * long-term key never opens this reply. */
			if (crypto_key_enctype(pd.spake_reply_key) != peek.enc_part.etype) {
				ret = client_fail(ctx, ORTH_E_ENCTYPE,
						  "KDC replied with enctype %d, not the SPAKE challenge's",
						  peek.enc_part.etype);
				goto cleanup;
			}
			crypto_key_free(key);
			key = pd.spake_reply_key;
			pd.spake_reply_key = NULL;
		} else if (key == NULL || crypto_key_enctype(key) != peek.enc_part.etype ||
			   peek.padata != NULL) {
			bool ok = false;
			for (size_t i = 0; i < ne; i++)
				ok |= etypes[i] == peek.enc_part.etype;
			if (!ok) {
				ret = client_fail(ctx, ORTH_E_ENCTYPE,
						  "KDC replied with enctype %d, which was not requested",
						  peek.enc_part.etype);
				goto cleanup;
			}
			crypto_key_free(key);
			key = NULL;
			TRY(reply_key_get(ctx, p, peek.padata, hint, peek.enc_part.etype,
					  etypes, ne, &a, &key));
		}
		if (pd.mech == KRB5_PADATA_ENCRYPTED_CHALLENGE)
			TRY(enc_challenge_check(ctx, f, key, peek.padata, &a));
		/* RFC 6113 §5.4.3: the reply key, strengthened. */
		if (strengthen != NULL)
			TRY(proto_fast_reply_key(strengthen, key, &rkey));
		TRY(as_rep_open(ctx, &req.req_body, rkey != NULL ? rkey : key, resp, resp_len,
				&a, cred_out, &enc, f != NULL ? &peek : NULL));
		{
			bool avail = false;
			ret = client_as_rep_check_enc_pa_rep(ctx, &enc, rkey != NULL ? rkey : key, der,
							     der_len, &a, &avail);
			if (ret != ORTH_OK) {
				ccache_cred_free(cred_out);
				goto cleanup;
			}
			if (fast_avail_out != NULL)
				*fast_avail_out = avail;
		}
		/* The KDC's clock: authtime is its "now" (RFC 4120 §5.4.2). */
		if (offset_out != NULL)
			*offset_out = (int32_t)(cred_out->authtime - client_now());
		ret = ORTH_OK;
		goto cleanup;
	}
	ret = client_fail(ctx, ORTH_E_POLICY,
			  "Too many rounds getting initial credentials for '%s'",
			  cstr);
cleanup:
	crypto_key_free(key);
	crypto_key_free(pd.spake_reply_key);
	crypto_key_free(strengthen);
	crypto_key_free(rkey);
	crypto_key_free(fast.key);
	free(resp);
	arena_free(&a);
	arena_free(&ha);
	return ret;
}

/* ---- TGS exchange ---- */

void
client_tgs_req_free(struct client_tgs_req *r)
{
	crypto_key_free(r->subkey);
	crypto_key_free(r->session_key);
	crypto_key_free(r->armor_key);
	memset(r, 0, sizeof(*r));
}

orth_err
client_tgs_req_build(struct client_ctx *ctx, const struct client_tgs_params *p,
		     struct arena *a, struct client_tgs_req *out)
{
	orth_err ret;
	struct client_tgs_req r;
	KDC_REQ req;
	AP_REQ ap;
	Authenticator auth;
	Checksum cksum;
	EncryptionKey skw;
	struct principal client;
	PrincipalName *sname;
	uint8_t cks[CRYPTO_MAX_CKSUM_LEN];
	size_t cks_len = 0, body_len = 0, ap_len = 0;
	uint8_t *body = NULL, *apder = NULL;
	int64_t now, s, *rtime;
	int32_t usec;
	const uint8_t *kb;
	size_t kl;
	METHOD_DATA *md;
	PA_DATA *pa;
	KrbFastReq fr;
	KrbFastArmoredReq ar;
	uint8_t fck[CRYPTO_MAX_CKSUM_LEN];
	size_t fckl = 0, ns4u = 0;

	memset(&r, 0, sizeof(r));
	memset(&req, 0, sizeof(req));
	memset(&ap, 0, sizeof(ap));
	memset(&auth, 0, sizeof(auth));
	memset(&fr, 0, sizeof(fr));
	memset(&ar, 0, sizeof(ar));
	TRY(crypto_init());
	sname = arena_alloc(a, sizeof(*sname));
	rtime = arena_alloc(a, sizeof(*rtime));
	md = arena_alloc(a, sizeof(*md));
	pa = arena_alloc(a, 4 * sizeof(*pa));
	CHECK(sname && rtime && md && pa, ORTH_E_LIMIT);
	TRY(crypto_key_new(p->tgt->enctype, p->tgt->key.data, p->tgt->key.len,
			   &r.session_key));
	TRY(crypto_key_random(p->tgt->enctype, &r.subkey));
	TRY(client_princ_from_cc(&p->tgt->client, a, &client));
	TRY(pname_from_principal(p->server, a, sname));
	now = client_now() + p->time_offset;

	/* RFC 4120 §5.4.1: the body the checksum covers. */
	r.body.kdc_options = p->kdc_options;
	r.body.realm = p->server->realm;
	r.body.sname = sname;
	r.body.till = p->lifetime > 0 ? now + p->lifetime : p->tgt->endtime;
	if (p->kdc_options & KDC_OPT_RENEWABLE) {
		*rtime = p->renew_life > 0 ? now + p->renew_life : p->tgt->renew_till;
		r.body.rtime = rtime;
	}
	r.body.nonce = fresh_nonce();
	if (p->etypes != NULL) {
		r.body.etype.len = p->netypes;
		r.body.etype.val = (int32_t *)p->etypes;
	} else {
		r.body.etype.len = ctx->conf.ntgs;
		r.body.etype.val = ctx->conf.tgs_etypes;
	}
	if (p->second_ticket != NULL) {
		struct KDC_REQ_BODY_additional_tickets *at = arena_alloc(a, sizeof(*at));
		Ticket *t = arena_alloc(a, sizeof(*t));
		CHECK(at && t, ORTH_E_LIMIT);
		TRY(der_decode(&asn1_Ticket, p->second_ticket, p->second_ticket_len,
			       a, t));
		at->len = 1;
		at->val = t;
		r.body.additional_tickets = at;
	}
	TRY(der_encode_arena(&asn1_KDC_REQ_BODY, &r.body, a, &body, &body_len));

	/* §5.5.1 via §3.3.1: the authenticator, with a checksum over the
	 * body (usage 6) and a fresh subkey, sealed in the TGT session key
	 * (usage 7). */
	TRY(crypto_checksum_make(r.session_key, KU_TGS_REQ_AUTH_CKSUM, body,
				 body_len, &cksum.cksumtype, cks, &cks_len));
	cksum.checksum.data = cks;
	cksum.checksum.len = cks_len;
	auth.authenticator_vno = KRB5_PVNO;
	auth.crealm = client.realm;
	TRY(pname_from_principal(&client, a, &auth.cname));
	auth.cksum = &cksum;
	proto_now(&s, &usec);
	auth.ctime = s + p->time_offset;
	auth.cusec = usec;
	kb = crypto_key_bytes(r.subkey, &kl);
	skw.keytype = crypto_key_enctype(r.subkey);
	skw.keyvalue.data = (uint8_t *)kb;
	skw.keyvalue.len = kl;
	auth.subkey = &skw;
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	ap.ap_options = 0;
	TRY(der_decode(&asn1_Ticket, p->tgt->ticket.data, p->tgt->ticket.len, a,
		       &ap.ticket));
	TRY(proto_seal(r.session_key, KU_TGS_REQ_AUTH, &asn1_Authenticator, &auth,
		       a, &ap.authenticator));
	TRY(der_encode_arena(&asn1_AP_REQ, &ap, a, &apder, &ap_len));
	pa[0].padata_type = KRB5_PADATA_TGS_REQ;
	pa[0].padata_value.data = apder;
	pa[0].padata_value.len = ap_len;
	/* RFC 6113 §5.4.1.1, §5.4.2: every TGS-REQ through the tunnel, as
	 * MIT's library sends them: the implicit armor KRB-FX-CF2(subkey,
	 * TGT session key), the checksum over the AP-REQ (usage 50), the
	 * body inside (usage 51).  A KDC without FAST ignores the padata
	 * (RFC 4120 §5.2.7) and answers plainly. */
	TRY(proto_fast_armor_key(r.subkey, r.session_key, &r.armor_key));
	fr.req_body = r.body;
	/* MS-SFU S4U2Self: inside the tunnel, where a FAST KDC reads the
	 * padata (RFC 6113 §5.4.2), and outside for a KDC without FAST. */
	if (p->s4u_user != NULL) {
		TRY(client_s4u_padata(p->s4u_user, r.session_key, r.subkey, r.body.nonce, a, pa + 2,
				      &ns4u));
		fr.padata.len = ns4u;
		fr.padata.val = pa + 2;
	}
	TRY(crypto_checksum_make(r.armor_key, KU_FAST_REQ_CHKSUM, apder, ap_len,
				 &ar.req_checksum.cksumtype, fck, &fckl));
	ar.req_checksum.checksum.data = fck;
	ar.req_checksum.checksum.len = fckl;
	TRY(proto_seal(r.armor_key, KU_FAST_ENC, &asn1_KrbFastReq, &fr, a, &ar.enc_fast_req));
	pa[1].padata_type = KRB5_PADATA_FX_FAST;
	TRY(proto_fast_req_encode(&ar, a, &pa[1].padata_value));
	md->len = 2 + ns4u;
	md->val = pa;
	req.pvno = KRB5_PVNO;
	req.msg_type = KRB5_MSG_TGS_REQ;
	req.padata = md;
	req.req_body = r.body;
	TRY(der_encode_arena(&asn1_TGS_REQ, &req, a, &r.der, &r.der_len));
	*out = r;
	memset(&r, 0, sizeof(r));
cleanup:
	client_tgs_req_free(&r);
	return ret;
}

orth_err
client_tgs_rep_process(struct client_ctx *ctx,
		       const struct client_tgs_params *p,
		       const struct client_tgs_req *r, const uint8_t *rep,
		       size_t rep_len, struct arena *a,
		       struct ccache_cred *cred_out)
{
	orth_err ret;
	KDC_REP tr;
	EncKDCRepPart enc;
	PrincipalName tgt_cname;
	struct principal client;
	char cstr[PRINCIPAL_MAX_TEXT + 1], sstr[PRINCIPAL_MAX_TEXT + 1];
	int tag = der_peek_application_tag(rep, rep_len);
	struct ccache_cred c;
	struct client_fast view;
	struct crypto_key *strengthen = NULL, *sub2 = NULL, *ses2 = NULL;

	memset(&c, 0, sizeof(c));
	memset(&view, 0, sizeof(view));
	view.key = r->armor_key;
	TRY(client_princ_from_cc(&p->tgt->client, a, &client));
	TRY(principal_unparse(&client, cstr, sizeof(cstr), NULL));
	/* The reply's client: the TGT's, or with S4U the user's. */
	if (p->s4u_user != NULL)
		client = *p->s4u_user;
	else if (p->want_client != NULL)
		client = *p->want_client;
	TRY(pname_from_principal(&client, a, &tgt_cname));
	TRY(principal_unparse(p->server, sstr, sizeof(sstr), NULL));
	if (tag == KRB5_MSG_ERROR) {
		KRB_ERROR *e = NULL, *inner = NULL;
		METHOD_DATA *epa = NULL;
		uint8_t *ib = NULL;
		size_t il = 0;
		orth_err fe;

		ret = krb_error_fail(ctx, rep, rep_len, a, cstr, sstr, &e);
		if (e == NULL || r->armor_key == NULL)
			goto cleanup;
		/* RFC 6113 §5.4.3: the real error is inside the tunnel. */
		fe = fast_error_open(ctx, &view, r->body.nonce, e, a, &inner, &epa);
		if (fe == ORTH_OK &&
		    der_encode_arena(&asn1_KRB_ERROR, inner, a, &ib, &il) == ORTH_OK)
			ret = krb_error_fail(ctx, ib, il, a, cstr, sstr, NULL);
		else if (fe != ORTH_OK && fe != ORTH_E_NOTFOUND)
			ret = fe;
		goto cleanup;
	}
	if (tag != KRB5_MSG_TGS_REP)
		return client_fail(ctx, ORTH_E_MALFORMED,
				   "KDC reply is not a TGS-REP (tag %d)", tag);
	memset(&tr, 0, sizeof(tr));
	ret = der_decode(&asn1_TGS_REP, rep, rep_len, a, &tr);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "TGS-REP did not decode (%s)",
				   orth_err_str(ret));
	/* RFC 6113 §5.4.3: a reply through the tunnel (nonce, finished
	 * checksum over the ticket) has its key strengthened.  A plain one
	 * comes from a KDC without FAST; one with its PA-FX-FAST stripped
	 * does not decrypt under the unstrengthened keys. */
	if (r->armor_key != NULL && proto_padata_find(tr.padata, KRB5_PADATA_FX_FAST) != NULL) {
		TRY(fast_rep_open(ctx, &view, r->body.nonce, &tr, a, &strengthen));
		if (strengthen != NULL) {
			TRY(proto_fast_reply_key(strengthen, r->subkey, &sub2));
			TRY(proto_fast_reply_key(strengthen, r->session_key, &ses2));
		}
	}
	/* RFC 4120 §5.4.2: usage 9 under the subkey we sent; some KDCs
	 * use the session key (usage 8). */
	ret = decrypt_enc_part(sub2 != NULL ? sub2 : r->subkey, KU_TGS_REP_ENC_PART_SUBKEY,
			       &tr.enc_part, a, &enc);
	if (ret != ORTH_OK)
		ret = decrypt_enc_part(ses2 != NULL ? ses2 : r->session_key,
				       KU_TGS_REP_ENC_PART_SESSKEY, &tr.enc_part, a, &enc);
	if (ret != ORTH_OK) {
		ret = client_fail(ctx, ret, "TGS-REP for '%s' did not decrypt (%s)", sstr,
				  orth_err_str(ret));
		goto cleanup;
	}
	TRY(check_reply(ctx, &r->body, &tgt_cname, client.realm, &tr, &enc));
	if (p->s4u_user != NULL)
		TRY(client_s4u_reply_check(ctx, p->s4u_user, r->subkey, r->body.nonce, tr.padata,
					   a));
	TRY(cred_from_reply(&tr, &enc, a, &c));
	/* The other party's TGT (user-to-user) or the evidence ticket
	 * (S4U2Proxy) goes with the ticket, as MIT's cache keeps them. */
	if (p->kdc_options & (KDC_OPT_ENC_TKT_IN_SKEY | KDC_OPT_CNAME_IN_ADDL_TKT)) {
		c.is_skey = (p->kdc_options & KDC_OPT_ENC_TKT_IN_SKEY) != 0;
		if (p->second_ticket != NULL)
			TRY(ccache_data_set(&c.second_ticket, p->second_ticket,
					    p->second_ticket_len));
	}
	*cred_out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	crypto_key_free(strengthen);
	crypto_key_free(sub2);
	crypto_key_free(ses2);
	ccache_cred_free(&c);
	return ret;
}

orth_err
client_tgs_exchange(struct client_ctx *ctx, const struct client_tgs_params *p,
		    struct ccache_cred *cred_out)
{
	orth_err ret;
	struct arena a = {0};
	struct client_tgs_req r;
	uint8_t *resp = NULL;
	size_t resp_len = 0;

	memset(&r, 0, sizeof(r));
	TRY(arena_init(&a, EX_ARENA));
	ret = client_tgs_req_build(ctx, p, &a, &r);
	if (ret != ORTH_OK) {
		if (ctx->msg_code != ret)
			client_fail(ctx, ret, "Cannot build the TGS request (%s)",
				    orth_err_str(ret));
		goto cleanup;
	}
	TRY(client_sendto_kdc(ctx, (const char *)p->tgt->server.realm.data,
			      r.der, r.der_len, &resp,
			      &resp_len));
	TRY(client_tgs_rep_process(ctx, p, &r, resp, resp_len, &a, cred_out));
cleanup:
	client_tgs_req_free(&r);
	free(resp);
	arena_free(&a);
	return ret;
}
