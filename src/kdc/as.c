/*
 * as.c - the AS exchange, RFC 4120 §3.1: the FAST tunnel (fast.h, RFC
 * 6113) unwrapped first, client and server lookup, their attributes,
 * pre-authentication (the mechanisms of preauth/preauth.h), policy, and
 * the AS-REP (reply.c; RFC 6806 §11 encrypted padata when asked for).
 */
#include <stdio.h>
#include <string.h>

#include "kdc/fast.h"
#include "kdc/preauth/preauth.h"
#include "kdc_int.h"
#include "lockout.h"
#include "proto/padata.h"

/* The log line's reason for a ticket issued: how the client proved
 * itself (the administrator's view of FAST and the mechanism used). */
static const char *
as_how(struct kdc_ctx *ctx, const struct kdc_fast *fast, const struct kdc_preauth_result *res)
{
	char *s = arena_alloc(&ctx->a, 80);

	if (s == NULL)
		return NULL;
	snprintf(s, 80, "%s%s%s", res->mech != NULL ? res->mech : "no pre-authentication",
		 fast != NULL ? ", FAST armor" : "",
		 kdc_fast_hide_client(fast) ? ", client name hidden" : "");
	return s;
}

orth_err
kdc_as(struct kdc_ctx *ctx, struct kdc_req *r, const uint8_t *req, size_t len,
       struct writer *w)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	AS_REQ q;
	const KDC_REQ_BODY *b;
	const METHOD_DATA *padata;
	struct kdc_fast *fast = NULL;
	const struct db_entry *client, *server;
	const struct db_key *cinfo = NULL;
	struct crypto_key *ckey = NULL, *skey, *session;
	uint32_t skvno = 0;
	int32_t ce, se, te;
	struct kdc_preauth_req pq;
	struct kdc_preauth_result pres;
	struct policy_limits lim;
	struct policy_req preq;
	struct policy_out pol;
	EncTicketPart et;
	struct kdc_reply rp;
	PA_DATA *outpa;
	METHOD_DATA outmd;
	size_t n = 0;

	memset(&q, 0, sizeof(q));
	if (der_decode(&asn1_AS_REQ, req, len, a, &q) != ORTH_OK)
		return kdc_fail_undecodable(r, "malformed AS-REQ");
	r->sname = q.req_body.sname;
	kdc_log_etypes(r, &q.req_body);
	if (q.pvno != KRB5_PVNO)
		return kdc_fail(r, KDC_ERR_BAD_PVNO, "protocol version is not 5");
	/* RFC 6113 §5.4.2: under FAST the inner request is the request. */
	TRY(kdc_fast_as_unwrap(ctx, r, &q, &fast));
	b = fast != NULL ? fast->body : &q.req_body;
	padata = fast != NULL ? fast->padata : q.padata;
	r->sname = b->sname;
	kdc_log_etypes(r, b);
	if (b->cname == NULL)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "no client name");
	r->cname = b->cname;
	r->crealm = b->realm;
	if (b->sname == NULL)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "no server name");
	ret = kdc_entry_get(ctx, b->cname, b->realm, &client, r->client);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "client not found");
	TRY(ret);
	ret = kdc_entry_get(ctx, b->sname, b->realm, &server, r->service);
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
	TRY(kdc_key_get(ctx, client, ce, 0, &ckey, &cinfo, NULL));

	/* Pre-authentication: the table decides (preauth.h).  Padata types
	 * it does not know (PAC-REQUEST, AS-FRESHNESS, ...) are ignored:
	 * RFC 4120 §5.2.7. */
	memset(&pq, 0, sizeof(pq));
	pq.ctx = ctx;
	pq.r = r;
	pq.body = b;
	pq.body_der = &b->_raw;
	pq.padata = padata;
	pq.client = client;
	pq.etype = ce;
	pq.key_info = cinfo;
	pq.armor_key = fast != NULL ? fast->armor_key : NULL;
	TRY(kdc_preauth_run(&pq, (client->attributes & DB_ATTR_REQUIRES_FAST) ||
					 ctx->sh->realm->requires_fast,
			    &pres));

	kdc_limits_fill(ctx, r->now, client, server, &lim);
	lim.server_is_tgs = kdc_is_tgs_name(b->sname, b->realm);
	kdc_req_fill(b, &preq);
	ret = policy_as(&preq, &lim, pres.preauth, &pol);
	if (ret != ORTH_OK)
		return kdc_fail(r, proto_err_to_krb(ret), kdc_policy_why(ret));

	TRY(kdc_key_random(ctx, se, &session));
	TRY(kdc_key_get(ctx, server, te, 0, &skey, NULL, &skvno));
	kdc_log_chosen(r, se);

	memset(&et, 0, sizeof(et));
	et.flags = pol.flags | pres.ticket_flags;
	kdc_key_to_wire(session, &et.key);
	et.crealm = b->realm;
	et.cname = *b->cname;
	et.transited.tr_type = KRB5_TR_DOMAIN_X500_COMPRESS;
	et.authtime = pol.authtime;
	et.starttime = pol.has_starttime ? &pol.starttime : NULL;
	et.endtime = pol.endtime;
	et.renew_till = pol.has_renew_till ? &pol.renew_till : NULL;
	et.caddr = b->addresses;

	memset(&rp, 0, sizeof(rp));
	/* RFC 6806 §11: the client asks for the checksum of its request in
	 * the encrypted part; the ENC-PA-REP flag says it is there (MIT's
	 * client fails a reply with the flag and without the checksum). */
	if (proto_padata_find(padata, KRB5_PADATA_REQ_ENC_PA_REP) != NULL) {
		et.flags |= TKT_FLG_ENC_PA_REP;
		rp.req_der = req;
		rp.req_der_len = len;
	}

	/* The reply's padata: ETYPE-INFO2 for the reply key (unless a
	 * mechanism replaced it), then the mechanism's own. */
	outpa = arena_alloc(a, (1 + pres.padata.len) * sizeof(*outpa));
	CHECK(outpa != NULL, ORTH_E_LIMIT);
	if (pres.reply_key_info != NULL)
		TRY(kdc_preauth_etype_info2(ctx, pres.reply_key_info,
					    crypto_key_enctype(pres.reply_key), &outpa[n++]));
	for (size_t i = 0; i < pres.padata.len; i++)
		outpa[n++] = pres.padata.val[i];
	outmd.len = n;
	outmd.val = outpa;

	rp.msg_type = KRB5_MSG_AS_REP;
	rp.ticket = &et;
	rp.ticket_key = skey;
	rp.has_ticket_kvno = true;
	rp.ticket_kvno = skvno;
	rp.srealm = b->realm;
	rp.sname = b->sname;
	rp.reply_key = pres.reply_key;
	rp.reply_usage = KU_AS_REP_ENC_PART;
	rp.nonce = b->nonce;
	rp.key_expiration = client->pw_expire != 0 ? &client->pw_expire : NULL;
	rp.padata = n > 0 ? &outmd : NULL;
	rp.fast = fast;
	rp.unstrengthened = pres.unstrengthened;
	rp.now = r->now;
	rp.usec = r->usec;
	ret = kdc_reply_encode(ctx, &rp, w);
	if (ret == ORTH_OK)
		r->e_text = as_how(ctx, fast, &pres);
cleanup:
	return ret;
}
