/*
 * as.c - the AS exchange, RFC 4120 §3.1: client and server lookup, policy,
 * pre-authentication with PA-ENC-TIMESTAMP (§5.2.7.2), and the AS-REP.
 */
#include <string.h>

#include "kdc_int.h"
#include "lockout.h"
#include "proto/encdata.h"
#include "proto/padata.h"
#include "proto/pname.h"

/* RFC 4120 §5.2.7.5: one ETYPE-INFO2 entry for key info of etype.  The
 * salt is always sent (MIT clients otherwise guess the default salt);
 * s2kparams only when they are not the enctype's default. */
static orth_err
etype_info2(struct kdc_ctx *ctx, const struct db_key *info, int32_t etype,
	    PA_DATA *out)
{
	orth_err ret;
	ETYPE_INFO2 ei = {0};
	ETYPE_INFO2_ENTRY *ent;
	uint8_t *buf = NULL;
	size_t len = 0;

	ent = arena_alloc(&ctx->a, sizeof(*ent));
	CHECK(ent != NULL, ORTH_E_LIMIT);
	ent->etype = etype;
	ent->salt = arena_strndup(&ctx->a, (const char *)info->salt, info->salt_len);
	CHECK(ent->salt != NULL, ORTH_E_LIMIT);
	if (info->s2kparams_len > 0) {
		bool dflt = info->s2kparams_len == 4 &&
			    (((uint32_t)info->s2kparams[0] << 24) |
			     ((uint32_t)info->s2kparams[1] << 16) |
			     ((uint32_t)info->s2kparams[2] << 8) | info->s2kparams[3]) ==
				    crypto_enctype_default_iterations(etype);
		if (!dflt) {
			ent->s2kparams = arena_alloc(&ctx->a, sizeof(*ent->s2kparams));
			CHECK(ent->s2kparams != NULL, ORTH_E_LIMIT);
			ent->s2kparams->data = (uint8_t *)info->s2kparams;
			ent->s2kparams->len = info->s2kparams_len;
		}
	}
	ei.len = 1;
	ei.val = ent;
	TRY(der_encode_arena(&asn1_ETYPE_INFO2, &ei, &ctx->a, &buf, &len));
	out->padata_type = KRB5_PADATA_ETYPE_INFO2;
	out->padata_value.data = buf;
	out->padata_value.len = len;
cleanup:
	return ret;
}

/* KDC_ERR_PREAUTH_REQUIRED's e-data: METHOD-DATA with PA-ETYPE-INFO2 and
 * an empty PA-ENC-TIMESTAMP (RFC 4120 §5.2.7). */
static orth_err
preauth_edata(struct kdc_ctx *ctx, struct kdc_req *r, const struct db_key *info,
	      int32_t etype)
{
	orth_err ret;
	METHOD_DATA md;
	PA_DATA *pa;
	struct der_bytes *ed;

	pa = arena_alloc(&ctx->a, 2 * sizeof(*pa));
	ed = arena_alloc(&ctx->a, sizeof(*ed));
	CHECK(pa != NULL && ed != NULL, ORTH_E_LIMIT);
	TRY(etype_info2(ctx, info, etype, &pa[0]));
	pa[1].padata_type = KRB5_PADATA_ENC_TIMESTAMP;
	md.len = 2;
	md.val = pa;
	TRY(der_encode_arena(&asn1_METHOD_DATA, &md, &ctx->a, &ed->data, &ed->len));
	r->e_data = ed;
cleanup:
	return ret;
}

orth_err
kdc_as(struct kdc_ctx *ctx, struct kdc_req *r, const uint8_t *req, size_t len,
       struct writer *w)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	AS_REQ q;
	KDC_REQ_BODY *b;
	struct db_entry *client, *server;
	const PA_DATA *pa;
	const struct db_key *cinfo = NULL;
	struct crypto_key *ckey = NULL, *skey, *session;
	uint32_t skvno = 0;
	int32_t ce, se, te;
	bool preauth = false;
	struct policy_limits lim;
	struct policy_req preq;
	struct policy_out pol;
	EncTicketPart et;
	struct kdc_reply rp;
	PA_DATA *outpa;
	METHOD_DATA outmd;

	memset(&q, 0, sizeof(q));
	if (der_decode(&asn1_AS_REQ, req, len, a, &q) != ORTH_OK)
		return kdc_fail_undecodable(r, "malformed AS-REQ");
	b = &q.req_body;
	r->sname = b->sname;
	kdc_log_etypes(r, b);
	if (q.pvno != KRB5_PVNO)
		return kdc_fail(r, KDC_ERR_BAD_PVNO, "protocol version is not 5");
	client = arena_alloc(a, sizeof(*client));
	server = arena_alloc(a, sizeof(*server));
	CHECK(client != NULL && server != NULL, ORTH_E_LIMIT);
	if (b->cname == NULL)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "no client name");
	r->cname = b->cname;
	r->crealm = b->realm;
	if (b->sname == NULL)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "no server name");
	ret = kdc_entry_get(ctx, b->cname, b->realm, client, r->client);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "client not found");
	TRY(ret);
	ret = kdc_entry_get(ctx, b->sname, b->realm, server, r->service);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "server not found");
	TRY(ret);

	/* RFC 4120 §3.1.3 and the database's attributes. */
	if (client->attributes & DB_ATTR_DISALLOW_ALL_TIX)
		return kdc_fail(r, KDC_ERR_CLIENT_REVOKED, "client is locked");
	if (client->princ_expire != 0 && client->princ_expire <= r->now)
		return kdc_fail(r, KDC_ERR_CLIENT_REVOKED, "client has expired");
	TRY(kdc_lockout_check(ctx, r, client));
	if (server->attributes & DB_ATTR_DISALLOW_ALL_TIX)
		return kdc_fail(r, KDC_ERR_SERVICE_REVOKED, "server is locked");
	if (server->princ_expire != 0 && server->princ_expire <= r->now)
		return kdc_fail(r, KDC_ERR_SERVICE_EXP, "server has expired");
	if (server->attributes & DB_ATTR_DISALLOW_SVR)
		return kdc_fail(r, KDC_ERR_MUST_USE_USER2USER, "server may not get tickets");
	if (!(server->attributes & DB_ATTR_PWCHANGE_SERVICE)) {
		if (client->pw_expire != 0 && client->pw_expire <= r->now)
			return kdc_fail(r, KDC_ERR_KEY_EXPIRED, "password has expired");
		if (client->attributes & DB_ATTR_REQUIRES_PWCHANGE)
			return kdc_fail(r, KDC_ERR_KEY_EXPIRED, "password must be changed");
	}
	/* RFC 4120 §2 HW-AUTHENT: we have no hardware pre-authentication
	 * mechanism, so no ticket can carry the flag such a client needs.
	 * MIT answers NEEDED_HW_PREAUTH as KDC_ERR_PREAUTH_REQUIRED (its hint
	 * list then holds only hardware mechanisms: none here, so no e-data).
	 * With a hardware mechanism this becomes a check of its result. */
	if (client->attributes & DB_ATTR_REQUIRES_HWAUTH)
		return kdc_fail(r, KDC_ERR_PREAUTH_REQUIRED, "hardware pre-authentication required");

	/* RFC 4120 §3.1.3: the reply key is the first of the client's etypes
	 * its current key set has (unknown etypes in the list are skipped);
	 * the session key, the first the server has; the ticket, the
	 * server's strongest key, which the client never opens. */
	ce = kdc_etype_choose(ctx, client, b->etype.val, b->etype.len);
	if (ce < 0)
		return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "no requested enctype for the client's keys");
	if (!kdc_etypes_pick(ctx, server, b->etype.val, b->etype.len, &se, &te))
		return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "no requested enctype for the server's keys");

	/* Unknown padata types (PAC-REQUEST, FAST, REQ-ENC-PA-REP, ...) are
	 * ignored: RFC 4120 §5.2.7 and we offer no FAST. */
	pa = proto_padata_find(q.padata, KRB5_PADATA_ENC_TIMESTAMP);
	if (pa != NULL) {
		PA_ENC_TIMESTAMP ed;
		PA_ENC_TS_ENC ts;
		int64_t d;

		memset(&ed, 0, sizeof(ed));
		memset(&ts, 0, sizeof(ts));
		if (der_decode(&asn1_PA_ENC_TIMESTAMP, pa->padata_value.data,
			       pa->padata_value.len, a, &ed) != ORTH_OK)
			return kdc_fail(r, KDC_ERR_PREAUTH_FAILED, "malformed PA-ENC-TIMESTAMP");
		/* Only the current key set (kvno 0): a key set kept after a
		 * password change must not let the old password in. */
		if (!kdc_etype_ok(ctx, ed.etype) ||
		    kdc_key_get(ctx, client, ed.etype, 0, &ckey, &cinfo, NULL) != ORTH_OK)
			return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "PA-ENC-TIMESTAMP enctype not available");
		if (proto_unseal(ckey, KU_AS_REQ_PA_ENC_TS, &ed, &asn1_PA_ENC_TS_ENC, a,
				 &ts) != ORTH_OK) {
			/* RFC 4120 §5.2.7.2: a wrong key (password).  No
			 * e-data: MIT clients would retry with it. */
			return kdc_lockout_failed(ctx, r, client);
		}
		d = ts.patimestamp - r->now;
		kdc_req_skew_set(r, d);
		if (d > ctx->skew || d < -ctx->skew)
			return kdc_fail(r, KRB_AP_ERR_SKEW, "PA-ENC-TIMESTAMP outside the clock skew");
		preauth = true;
		ce = ed.etype;
		kdc_lockout_succeeded(ctx, r, client);
	} else {
		TRY(kdc_key_get(ctx, client, ce, 0, &ckey, &cinfo, NULL));
		if (client->attributes & DB_ATTR_REQUIRES_PREAUTH) {
			TRY(preauth_edata(ctx, r, cinfo, ce));
			return kdc_fail(r, KDC_ERR_PREAUTH_REQUIRED, "pre-authentication required");
		}
	}

	kdc_limits_fill(ctx, r->now, client, server, &lim);
	lim.server_is_tgs = kdc_is_tgs_name(b->sname, b->realm);
	kdc_req_fill(b, &preq);
	ret = policy_as(&preq, &lim, preauth, &pol);
	if (ret != ORTH_OK)
		return kdc_fail(r, proto_err_to_krb(ret), kdc_policy_why(ret));

	TRY(kdc_key_random(ctx, se, &session));
	TRY(kdc_key_get(ctx, server, te, 0, &skey, NULL, &skvno));
	kdc_log_chosen(r, se);

	memset(&et, 0, sizeof(et));
	et.flags = pol.flags;
	kdc_key_to_wire(session, &et.key);
	et.crealm = b->realm;
	et.cname = *b->cname;
	et.transited.tr_type = KRB5_TR_DOMAIN_X500_COMPRESS;
	et.authtime = pol.authtime;
	et.starttime = pol.has_starttime ? &pol.starttime : NULL;
	et.endtime = pol.endtime;
	et.renew_till = pol.has_renew_till ? &pol.renew_till : NULL;
	et.caddr = b->addresses;

	outpa = arena_alloc(a, sizeof(*outpa));
	CHECK(outpa != NULL, ORTH_E_LIMIT);
	TRY(etype_info2(ctx, cinfo, ce, outpa));
	outmd.len = 1;
	outmd.val = outpa;

	memset(&rp, 0, sizeof(rp));
	rp.msg_type = KRB5_MSG_AS_REP;
	rp.ticket = &et;
	rp.ticket_key = skey;
	rp.has_ticket_kvno = true;
	rp.ticket_kvno = skvno;
	rp.srealm = b->realm;
	rp.sname = b->sname;
	rp.reply_key = ckey;
	rp.reply_usage = KU_AS_REP_ENC_PART;
	rp.nonce = b->nonce;
	rp.key_expiration = client->pw_expire != 0 ? &client->pw_expire : NULL;
	rp.padata = &outmd;
	ret = kdc_reply_encode(ctx, &rp, w);
cleanup:
	return ret;
}
