/*
 * kdcex.c - the AS exchange (RFC 4120 §3.1, PA-ENC-TIMESTAMP §5.2.7.2,
 * ETYPE-INFO2 §5.2.7.5) and the TGS exchange (§3.3), and the checks of
 * their replies.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_int.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"

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

orth_err
client_as_rep_process(struct client_ctx *ctx, const KDC_REQ_BODY *req_body,
		      struct crypto_key *reply_key, const uint8_t *rep,
		      size_t rep_len, struct arena *a,
		      struct ccache_cred *cred_out)
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
	ret = decrypt_enc_part(reply_key, KU_AS_REP_ENC_PART, &r.enc_part, a, &enc);
	if (ret == ORTH_E_INTEGRITY)
		return client_fail(ctx, ret,
				   "Password incorrect while getting initial credentials for '%s'",
				   cname);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "AS-REP for '%s' did not decrypt (%s)",
				   cname, orth_err_str(ret));
	TRY(check_reply(ctx, req_body, req_body->cname, req_body->realm, &r, &enc));
	TRY(cred_from_reply(&r, &enc, a, cred_out));
cleanup:
	return ret;
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

/* Find ETYPE-INFO2 for etype e in a METHOD-DATA, or PW-SALT. */
static void
find_salt(const METHOD_DATA *md, int32_t e, struct arena *a, bool *found,
	  int32_t *etype_out, const uint8_t **salt, size_t *salt_len,
	  const uint8_t **params, size_t *params_len,
	  const int32_t *allowed, size_t nallowed)
{
	if (md == NULL)
		return;
	for (size_t i = 0; i < md->len; i++) {
		ETYPE_INFO2 info;
		if (md->val[i].padata_type != KRB5_PADATA_ETYPE_INFO2)
			continue;
		memset(&info, 0, sizeof(info));
		if (der_decode(&asn1_ETYPE_INFO2, md->val[i].padata_value.data,
			       md->val[i].padata_value.len, a, &info) != ORTH_OK)
			continue;
		for (size_t j = 0; j < info.len; j++) {
			const ETYPE_INFO2_ENTRY *ie = &info.val[j];
			bool ok = false;
			if (e != 0 && ie->etype != e)
				continue;
			for (size_t k = 0; k < nallowed; k++)
				ok |= allowed[k] == ie->etype;
			if (!ok)
				continue;
			*found = true;
			*etype_out = ie->etype;
			if (ie->salt != NULL) {
				*salt = (const uint8_t *)ie->salt;
				*salt_len = strlen(ie->salt);
			}
			if (ie->s2kparams != NULL) {
				*params = ie->s2kparams->data;
				*params_len = ie->s2kparams->len;
			}
			return;
		}
	}
}

/* The client's long-term key for etype (0: the first ETYPE-INFO2 entry
 * we can use) from the password or the keytab. */
static orth_err
reply_key_get(struct client_ctx *ctx, const struct client_as_params *p,
	      const METHOD_DATA *md, const METHOD_DATA *md2, int32_t etype, const int32_t *allowed,
	      size_t nallowed, struct arena *a, struct crypto_key **key_out)
{
	bool found = false;
	int32_t e = etype;
	const uint8_t *salt = NULL, *params = NULL;
	size_t salt_len = 0, params_len = 0;
	orth_err ret;

	find_salt(md, etype, a, &found, &e, &salt, &salt_len, &params,
		  &params_len, allowed, nallowed);
	if (!found)
		find_salt(md2, etype, a, &found, &e, &salt, &salt_len, &params,
			  &params_len, allowed, nallowed);
	if (!found && etype == 0)
		return client_fail(ctx, ORTH_E_ENCTYPE,
				   "KDC has no support for encryption type (no usable ETYPE-INFO2 entry)");
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
				   salt_len, params, params_len, key_out);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "string-to-key failed (%s)",
				   orth_err_str(ret));
	return ORTH_OK;
}

/* One AS-REQ: the request (nonce fresh), PA-ENC-TIMESTAMP when key is set. */
static orth_err
as_req_build(struct client_ctx *ctx, const struct client_as_params *p,
	     const int32_t *etypes, size_t ne, int32_t offset,
	     struct crypto_key *pa_key, struct arena *a, KDC_REQ *req,
	     uint8_t **der, size_t *der_len)
{
	orth_err ret;
	PrincipalName *cname, *sname;
	int64_t now = client_now() + offset;
	int64_t *rtime;

	cname = arena_alloc(a, sizeof(*cname));
	sname = arena_alloc(a, sizeof(*sname));
	rtime = arena_alloc(a, sizeof(*rtime));
	CHECK(cname && sname && rtime, ORTH_E_LIMIT);
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
	req->req_body.till =
		now + (p->lifetime > 0 ? p->lifetime : ctx->conf.ticket_lifetime);
	if (p->start_time > 0)
		req->req_body.from = (int64_t *)&p->start_time;
	if (p->kdc_options & KDC_OPT_RENEWABLE) {
		*rtime = now + p->renew_life;
		req->req_body.rtime = rtime;
	}
	req->req_body.nonce = fresh_nonce();
	req->req_body.etype.len = ne;
	req->req_body.etype.val = (int32_t *)etypes;
	if (pa_key != NULL) {
		/* RFC 4120 §5.2.7.2: PA-ENC-TIMESTAMP, key usage 1. */
		PA_ENC_TS_ENC ts;
		int32_t *usec = arena_alloc(a, sizeof(*usec));
		EncryptedData ed;
		METHOD_DATA *md = arena_alloc(a, sizeof(*md));
		PA_DATA *pa = arena_alloc(a, sizeof(*pa));
		int64_t s;
		uint8_t *v = NULL;
		size_t vl = 0;
		CHECK(usec && md && pa, ORTH_E_LIMIT);
		proto_now(&s, usec);
		ts.patimestamp = s + offset;
		ts.pausec = usec;
		TRY(proto_seal(pa_key, KU_AS_REQ_PA_ENC_TS, &asn1_PA_ENC_TS_ENC, &ts,
			       a, &ed));
		TRY(der_encode_arena(&asn1_PA_ENC_TIMESTAMP, &ed, a, &v, &vl));
		pa->padata_type = KRB5_PADATA_ENC_TIMESTAMP;
		pa->padata_value.data = v;
		pa->padata_value.len = vl;
		md->len = 1;
		md->val = pa;
		req->padata = md;
	}
	TRY(der_encode_arena(&asn1_AS_REQ, req, a, der, der_len));
cleanup:
	return ret;
}

orth_err
client_as_exchange(struct client_ctx *ctx, const struct client_as_params *p,
		   struct ccache_cred *cred_out, int32_t *offset_out)
{
	orth_err ret;
	struct arena a = {0}, ha = {0};
	KDC_REQ req;
	int32_t etypes[CLIENT_MAX_ETYPES];
	size_t ne = 0;
	int32_t offset = 0;
	struct crypto_key *key = NULL;
	uint8_t *der = NULL, *resp = NULL;
	size_t der_len = 0, resp_len = 0;
	char cstr[PRINCIPAL_MAX_TEXT + 1], sstr[PRINCIPAL_MAX_TEXT + 1];
	bool skew_retry = false;
	METHOD_DATA *hint = NULL;   /* the PREAUTH_REQUIRED e-data, in ha */

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

	for (int round = 0; round < 4; round++) {
		KRB_ERROR *kerr = NULL;
		AS_REP peek;
		arena_reset(&a);
		if (hint != NULL) {
			crypto_key_free(key);
			key = NULL;
			TRY(reply_key_get(ctx, p, hint, NULL, 0, etypes, ne, &a, &key));
		}
		TRY(as_req_build(ctx, p, etypes, ne, offset, hint ? key : NULL, &a,
				 &req, &der, &der_len));
		free(resp);
		resp = NULL;
		TRY(client_sendto_kdc(ctx, p->client->realm, der, der_len, &resp,
				      &resp_len));
		if (der_peek_application_tag(resp, resp_len) == KRB5_MSG_ERROR) {
			ret = krb_error_fail(ctx, resp, resp_len, &a, cstr, sstr,
					     &kerr);
			if (kerr == NULL)
				goto cleanup;
			if (kerr->error_code == KDC_ERR_PREAUTH_REQUIRED &&
			    hint == NULL) {
				/* RFC 4120 §5.2.7.5: ETYPE-INFO2 in e-data. */
				hint = arena_alloc(&ha, sizeof(*hint));
				CHECK(hint != NULL, ORTH_E_LIMIT);
				if (kerr->e_data == NULL ||
				    der_decode(&asn1_METHOD_DATA, kerr->e_data->data,
					       kerr->e_data->len, &ha,
					       hint) != ORTH_OK) {
					ret = client_fail(ctx, ret,
							  "Preauthentication required but the KDC sent no usable hints");
					goto cleanup;
				}
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
		if (key == NULL || crypto_key_enctype(key) != peek.enc_part.etype ||
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
		TRY(client_as_rep_process(ctx, &req.req_body, key, resp, resp_len,
					  &a, cred_out));
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

	memset(&r, 0, sizeof(r));
	memset(&req, 0, sizeof(req));
	memset(&ap, 0, sizeof(ap));
	memset(&auth, 0, sizeof(auth));
	TRY(crypto_init());
	sname = arena_alloc(a, sizeof(*sname));
	rtime = arena_alloc(a, sizeof(*rtime));
	md = arena_alloc(a, sizeof(*md));
	pa = arena_alloc(a, sizeof(*pa));
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
	pa->padata_type = KRB5_PADATA_TGS_REQ;
	pa->padata_value.data = apder;
	pa->padata_value.len = ap_len;
	md->len = 1;
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

	memset(&c, 0, sizeof(c));
	TRY(client_princ_from_cc(&p->tgt->client, a, &client));
	TRY(pname_from_principal(&client, a, &tgt_cname));
	TRY(principal_unparse(&client, cstr, sizeof(cstr), NULL));
	TRY(principal_unparse(p->server, sstr, sizeof(sstr), NULL));
	if (tag == KRB5_MSG_ERROR)
		return krb_error_fail(ctx, rep, rep_len, a, cstr, sstr, NULL);
	if (tag != KRB5_MSG_TGS_REP)
		return client_fail(ctx, ORTH_E_MALFORMED,
				   "KDC reply is not a TGS-REP (tag %d)", tag);
	memset(&tr, 0, sizeof(tr));
	ret = der_decode(&asn1_TGS_REP, rep, rep_len, a, &tr);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "TGS-REP did not decode (%s)",
				   orth_err_str(ret));
	/* RFC 4120 §5.4.2: usage 9 under the subkey we sent; some KDCs
	 * use the session key (usage 8). */
	ret = decrypt_enc_part(r->subkey, KU_TGS_REP_ENC_PART_SUBKEY, &tr.enc_part,
			       a, &enc);
	if (ret != ORTH_OK)
		ret = decrypt_enc_part(r->session_key, KU_TGS_REP_ENC_PART_SESSKEY,
				       &tr.enc_part, a, &enc);
	if (ret != ORTH_OK)
		return client_fail(ctx, ret, "TGS-REP for '%s' did not decrypt (%s)",
				   sstr, orth_err_str(ret));
	TRY(check_reply(ctx, &r->body, &tgt_cname, client.realm, &tr, &enc));
	TRY(cred_from_reply(&tr, &enc, a, &c));
	if (p->kdc_options & KDC_OPT_ENC_TKT_IN_SKEY) {
		c.is_skey = true;
		if (p->second_ticket != NULL)
			TRY(ccache_data_set(&c.second_ticket, p->second_ticket,
					    p->second_ticket_len));
	}
	*cred_out = c;
	memset(&c, 0, sizeof(c));
cleanup:
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
