/*
 * tgs.c - the TGS exchange, RFC 4120 §3.3: the AP-REQ in PA-TGS-REQ
 * (TGT, authenticator, keyed body checksum, replay), the FAST tunnel
 * with the TGS's implicit armor (fast.h, RFC 6113), the server lookup,
 * the attributes of server and client, the client's authorization data
 * (authz.c), flags and lifetimes (policy.c), user-to-user, MS-SFU's
 * S4U2Self and S4U2Proxy (s4u.c), and the TGS-REP.
 */
#include <string.h>

#include "authz.h"
#include "kdc/fast.h"
#include "kdc_int.h"
#include "proto/encdata.h"
#include "proto/padata.h"
#include "proto/pname.h"
#include "s4u.h"

/* Decrypt a ticket issued by this realm's TGS (or, for RENEW/VALIDATE, by
 * us for any local server): the server's key of the ticket's kvno.
 * name_out (KDC_LOG_NAME bytes, or NULL): the server's name. */
static orth_err
ticket_open(struct kdc_ctx *ctx, struct kdc_req *r, const Ticket *t,
	    const struct db_entry **srv_out, EncTicketPart *out, char *name_out)
{
	orth_err ret;
	char buf[KDC_LOG_NAME], *name = name_out != NULL ? name_out : buf;
	struct crypto_key *key;
	const struct db_entry *srv;
	uint32_t kvno = t->enc_part.kvno != NULL ? *t->enc_part.kvno : 0;

	if (t->tkt_vno != KRB5_PVNO)
		return kdc_fail(r, KRB_AP_ERR_BADVERSION, "ticket version is not 5");
	if (strcmp(t->realm, ctx->sh->realm->name) != 0)
		return kdc_fail(r, KRB_AP_ERR_NOT_US, "ticket not issued by this realm");
	ret = kdc_entry_get(ctx, &t->sname, t->realm, &srv, name);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "ticket's server not found");
	if (ret != ORTH_OK)
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "database error on the ticket's server");
	if (kdc_key_get(ctx, srv, t->enc_part.etype, kvno, &key, NULL, NULL) != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_BADKEYVER, "no key for the ticket's kvno and enctype");
	memset(out, 0, sizeof(*out));
	if (proto_unseal(key, KU_TICKET, &t->enc_part, &asn1_EncTicketPart, &ctx->a, out) != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_BAD_INTEGRITY, "ticket does not decrypt");
	*srv_out = srv;
	return ORTH_OK;
}

/*
 * RFC 4120 §3.3.2: a ticket presented to the TGS, the TGT or the additional
 * ticket of a user-to-user request, must be within its period and valid.
 * validating: a VALIDATE request brings an invalid (postdated) TGT on
 * purpose (policy_tgs() checks its start time).  second: it is the
 * additional ticket (for the e-text).
 */
static orth_err
ticket_times_check(const struct kdc_ctx *ctx, struct kdc_req *r, const EncTicketPart *tp,
		   bool validating, bool second)
{
	int64_t start = tp->starttime != NULL ? *tp->starttime : tp->authtime;

	if (tp->endtime + ctx->skew < r->now)
		return kdc_fail(r, KRB_AP_ERR_TKT_EXPIRED,
				second ? "additional ticket has expired" : "ticket has expired");
	if (validating)
		return ORTH_OK;
	if (tp->flags & TKT_FLG_INVALID)
		return kdc_fail(r, KRB_AP_ERR_TKT_NYV,
				second ? "additional ticket is invalid (postdated)"
				       : "ticket is invalid (postdated)");
	if (start > r->now + ctx->skew)
		return kdc_fail(r, KRB_AP_ERR_TKT_NYV,
				second ? "additional ticket not yet valid" : "ticket not yet valid");
	return ORTH_OK;
}

/* The TGT's authorization data (ours) followed by the request's (filtered
 * by kdc_authz_filter()). */
static orth_err
authz_join(struct arena *a, const AuthorizationData *x, const AuthorizationData *y,
	   AuthorizationData **out)
{
	size_t nx = x ? x->len : 0, ny = y ? y->len : 0;
	AuthorizationData *ad;

	*out = NULL;
	if (nx + ny == 0)
		return ORTH_OK;
	if (ny == 0) {
		*out = (AuthorizationData *)x;
		return ORTH_OK;
	}
	ad = arena_alloc(a, sizeof(*ad));
	if (ad == NULL || (ad->val = arena_alloc(a, (nx + ny) * sizeof(*ad->val))) == NULL)
		return ORTH_E_LIMIT;
	if (nx)
		memcpy(ad->val, x->val, nx * sizeof(*ad->val));
	memcpy(ad->val + nx, y->val, ny * sizeof(*ad->val));
	ad->len = nx + ny;
	*out = ad;
	return ORTH_OK;
}

/* The entry of a local client of a presented ticket (the TGT's, or
 * S4U2Proxy's evidence's), into *out (arena): it must still exist and be
 * allowed tickets; a database error fails closed.  named: cn@crealm
 * unparsed already, or NULL. */
static orth_err
client_entry_get(struct kdc_ctx *ctx, struct kdc_req *r, const PrincipalName *cn,
		 const char *crealm, const char *named, const struct db_entry **out)
{
	orth_err ret;
	char name[KDC_LOG_NAME];
	const struct db_entry *e;

	if (named != NULL)
		ret = kdc_entry_lookup(ctx, named, &e);
	else
		ret = kdc_entry_get(ctx, cn, crealm, &e, name);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_C_PRINCIPAL_UNKNOWN, "client no longer exists");
	if (ret != ORTH_OK)
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "database error on the client");
	if ((e->attributes & DB_ATTR_DISALLOW_ALL_TIX) ||
	    (e->princ_expire != 0 && e->princ_expire <= r->now))
		return kdc_fail(r, KDC_ERR_CLIENT_REVOKED, "client is locked or expired");
	*out = e;
	return ORTH_OK;
}

/* The KRB-ERROR for a replay-cache verdict; ORTH_OK passes through. */
static orth_err
replay_refuse(struct kdc_ctx *ctx, struct kdc_req *r, orth_err verdict)
{
	kdc_replay_refusal_note(ctx, verdict, r->now);
	switch (verdict) {
	case ORTH_OK:
		return ORTH_OK;
	case ORTH_E_REPLAY:
		return kdc_fail(r, KRB_AP_ERR_REPEAT, "replayed authenticator");
	case ORTH_E_POLICY:
		/* Only this client: it holds its whole share (replay.h). */
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "client over its replay-cache quota");
	case ORTH_E_LIMIT:
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "replay cache full");
	case ORTH_E_SKEW:
		return kdc_fail(r, KRB_AP_ERR_SKEW, "authenticator outside the clock skew");
	default:
		return verdict;
	}
}

orth_err
kdc_tgs(struct kdc_ctx *ctx, struct kdc_req *r, const uint8_t *req, size_t len,
	struct writer *w)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	const char *realm = ctx->sh->realm->name;
	TGS_REQ q;
	const KDC_REQ_BODY *b;
	struct kdc_fast *fast = NULL;
	const PA_DATA *pa;
	AP_REQ ap;
	Authenticator au;
	EncTicketPart *tp, et;
	const struct db_entry *tgsent, *server, *client = NULL, *subject;
	struct kdc_s4u_self *s4u = NULL;
	EncTicketPart *ev = NULL;        /* S4U2Proxy's evidence ticket */
	METHOD_DATA *reppa = NULL;
	struct crypto_key *session, *subkey = NULL, *replykey, *tkey, *newkey;
	uint32_t tkvno = 0, opts;
	char tgsname[KDC_LOG_NAME];
	const char *why;
	int64_t d, tstart;
	size_t mac_len;
	bool is_tgt, u2u;
	/* r->service and r->client hold the names for the lookups too */
	bool service_named = false, client_named;
	int32_t se;
	struct kdc_replay_key rk;
	struct replay_table_key rtk;
	orth_err cksum;
	AuthorizationData *reqad = NULL, *authz = NULL;
	struct policy_limits lim;
	struct policy_req preq;
	struct policy_tgt ptgt;
	struct policy_out pol;
	struct kdc_reply rp;

	memset(&q, 0, sizeof(q));
	memset(&ap, 0, sizeof(ap));
	memset(&au, 0, sizeof(au));
	if (der_decode(&asn1_TGS_REQ, req, len, a, &q) != ORTH_OK)
		return kdc_fail_undecodable(r, "malformed TGS-REQ");
	b = &q.req_body;
	opts = b->kdc_options;
	r->sname = b->sname;
	kdc_log_etypes(r, b);
	if (b->sname != NULL)
		service_named = pname_unparse(b->sname, b->realm, r->service,
					      sizeof(r->service)) == ORTH_OK;
	if (q.pvno != KRB5_PVNO)
		return kdc_fail(r, KDC_ERR_BAD_PVNO, "protocol version is not 5");
	pa = proto_padata_find(q.padata, KRB5_PADATA_TGS_REQ);
	if (pa == NULL)
		return kdc_fail(r, KDC_ERR_PADATA_TYPE_NOSUPP, "no PA-TGS-REQ");
	if (der_decode(&asn1_AP_REQ, pa->padata_value.data, pa->padata_value.len, a, &ap) != ORTH_OK)
		return kdc_fail(r, KRB_ERR_GENERIC, "malformed AP-REQ in PA-TGS-REQ");
	if (ap.pvno != KRB5_PVNO)
		return kdc_fail(r, KRB_AP_ERR_BADVERSION, "AP-REQ version is not 5");
	/* tp outlives this function: r->cname points into it */
	tp = arena_alloc(a, sizeof(*tp));
	CHECK(tp != NULL, ORTH_E_LIMIT);

	/* RFC 4120 §3.3.2: the ticket, then the authenticator under its
	 * session key (usage 7). */
	is_tgt = kdc_is_tgs_name(&ap.ticket.sname, realm);
	if (!is_tgt && !(opts & (KDC_OPT_RENEW | KDC_OPT_VALIDATE)))
		return kdc_fail(r, KRB_AP_ERR_NOT_US, "ticket is not a TGT of this realm");
	TRY(ticket_open(ctx, r, &ap.ticket, &tgsent, tp, tgsname));
	r->cname = &tp->cname;
	r->crealm = tp->crealm;
	client_named = pname_unparse(&tp->cname, tp->crealm, r->client, sizeof(r->client)) ==
		       ORTH_OK;
	if (kdc_session_key_get(ctx, &tp->key, &session) != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_BAD_INTEGRITY, "ticket session key unusable");
	if (proto_unseal(session, KU_TGS_REQ_AUTH, &ap.authenticator, &asn1_Authenticator, a,
			 &au) != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_BAD_INTEGRITY, "authenticator does not decrypt");
	if (au.authenticator_vno != KRB5_PVNO)
		return kdc_fail(r, KRB_AP_ERR_BADVERSION, "authenticator version is not 5");
	if (strcmp(au.crealm, tp->crealm) != 0 || !pname_equal(&au.cname, &tp->cname))
		return kdc_fail(r, KRB_AP_ERR_BADMATCH, "authenticator client is not the ticket's");
	d = au.ctime - r->now;
	kdc_req_skew_set(r, d);
	if (d > ctx->skew || d < -ctx->skew)
		return kdc_fail(r, KRB_AP_ERR_SKEW, "authenticator outside the clock skew");
	/* RFC 4120 §7.5.1 usage 6: the body must carry a keyed checksum. */
	if (au.cksum == NULL)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "authenticator has no checksum");
	if (crypto_cksumtype_enctype(au.cksum->cksumtype) < 0)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "checksum type is not keyed");

	tstart = tp->starttime != NULL ? *tp->starttime : tp->authtime;
	TRY(ticket_times_check(ctx, r, tp, (opts & KDC_OPT_VALIDATE) != 0, false));

	/* A seen authenticator is a replay whatever the body says (the same
	 * authenticator under another body is KRB_AP_ERR_REPEAT, not just
	 * MODIFIED); it is remembered only once the body checksum verifies,
	 * so a forged body cannot burn a genuine authenticator.  The
	 * insert answers a replay itself, so the cache is read before the
	 * checksum only when it fails; meanwhile the group's lines load (in
	 * a large cache each is a miss: perf, bench UDP TGS load, 3% of the
	 * KDC's CPU waited in that first read). */
	rk.client = r->client;
	rk.server = tgsname;
	rk.ctime = au.ctime;
	rk.cusec = au.cusec;
	/* The tag is the authenticator's MAC, the end of its ciphertext
	 * (RFC 3961 §5.3: HMAC over the confounded plaintext; RFC 8009 §5:
	 * over the ciphertext): a keyed digest of the whole authenticator,
	 * which replay.h allows in place of the ciphertext, and what it
	 * decrypted under, so it is at least that long.  Hashing it rather
	 * than the ~150-byte ciphertext saves four passes of SipHash. */
	mac_len = crypto_cksumtype_len(crypto_enctype_cksumtype(ap.authenticator.etype));
	if (mac_len == 0 || mac_len > ap.authenticator.cipher.len)
		mac_len = ap.authenticator.cipher.len;
	rk.tag = ap.authenticator.cipher.data + ap.authenticator.cipher.len - mac_len;
	rk.tag_len = mac_len;
	/* Hashed once for the check and the insert. */
	TRY(replay_refuse(ctx, r, kdc_replay_key_hash(ctx->sh->replay, &rk, &rtk)));
	kdc_replay_hashed_prefetch(ctx->sh->replay, &rtk);
	cksum = crypto_checksum_verify(session, KU_TGS_REQ_AUTH_CKSUM, au.cksum->cksumtype,
				       b->_raw.data, b->_raw.len, au.cksum->checksum.data,
				       au.cksum->checksum.len);
	if (cksum != ORTH_OK)
		TRY(replay_refuse(ctx, r, kdc_replay_hashed_check(ctx->sh->replay, &rtk, r->now)));
	if (cksum == ORTH_E_CKSUMTYPE)
		return kdc_fail(r, KRB_AP_ERR_INAPP_CKSUM, "checksum type does not fit the session key");
	if (cksum != ORTH_OK)
		return kdc_fail(r, KRB_AP_ERR_MODIFIED, "request body checksum does not verify");
	/* Atomic: of two identical requests racing, one is the replay. */
	TRY(replay_refuse(ctx, r, kdc_replay_hashed_check_and_insert(ctx->sh->replay, &rtk, r->now)));

	if (au.subkey != NULL && kdc_key_from_wire(ctx, au.subkey, &subkey) != ORTH_OK)
		return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "authenticator subkey enctype not supported");

	/* RFC 6113 §5.4.2: a FAST TGS-REQ (MIT's library armors every one)
	 * carries the request inside the tunnel; the outer body only had
	 * to match the authenticator's checksum.  What was decided on the
	 * outer options is decided again on the inner ones. */
	TRY(kdc_fast_tgs_unwrap(ctx, r, &q, &pa->padata_value, subkey, session, &fast));
	if (fast != NULL) {
		b = fast->body;
		opts = b->kdc_options;
		r->sname = b->sname;
		kdc_log_etypes(r, b);
		service_named = b->sname != NULL &&
				pname_unparse(b->sname, b->realm, r->service,
					      sizeof(r->service)) == ORTH_OK;
		if (!is_tgt && !(opts & (KDC_OPT_RENEW | KDC_OPT_VALIDATE)))
			return kdc_fail(r, KRB_AP_ERR_NOT_US, "ticket is not a TGT of this realm");
		TRY(ticket_times_check(ctx, r, tp, (opts & KDC_OPT_VALIDATE) != 0, false));
	}
	replykey = subkey != NULL ? subkey : session;
	if (b->enc_authorization_data != NULL) {
		reqad = arena_alloc(a, sizeof(*reqad));
		CHECK(reqad != NULL, ORTH_E_LIMIT);
		if (proto_unseal(replykey, subkey ? KU_TGS_REQ_AD_SUBKEY : KU_TGS_REQ_AD_SESSKEY,
				 b->enc_authorization_data, &asn1_AuthorizationData, a,
				 reqad) != ORTH_OK)
			return kdc_fail(r, KRB_AP_ERR_BAD_INTEGRITY,
					"enc-authorization-data does not decrypt");
		/* Every element is the client's: no KDC-issued type may pass
		 * into the ticket (authz.h). */
		ret = kdc_authz_filter(a, reqad, &reqad, &why);
		if (ORTH_ERR_IS_KRB(ret))
			return kdc_fail(r, ORTH_ERR_KRB_CODE(ret), why);
		TRY(ret);
	}
	TRY(authz_join(a, tp->authorization_data, reqad, &authz));

	/* The server. */
	if (b->sname == NULL)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "no server name");
	ret = service_named ? kdc_entry_lookup(ctx, r->service, &server)
			    : kdc_entry_get(ctx, b->sname, b->realm, &server, r->service);
	if (ret == ORTH_E_NOTFOUND)
		return kdc_fail(r, KDC_ERR_S_PRINCIPAL_UNKNOWN, "server not found");
	if (ret != ORTH_OK)
		return kdc_fail(r, KDC_ERR_SVC_UNAVAILABLE, "database error on the server");
	u2u = (opts & KDC_OPT_ENC_TKT_IN_SKEY) != 0;
	if (server->attributes & DB_ATTR_DISALLOW_ALL_TIX)
		return kdc_fail(r, KDC_ERR_SERVICE_REVOKED, "server is locked");
	if (server->princ_expire != 0 && server->princ_expire <= r->now)
		return kdc_fail(r, KDC_ERR_SERVICE_EXP, "server has expired");
	if ((server->attributes & DB_ATTR_DISALLOW_SVR) && !u2u)
		return kdc_fail(r, KDC_ERR_MUST_USE_USER2USER, "server requires user-to-user");
	/* As MIT: what counts is the ticket presented, so that a ticket for
	 * such a server from the AS exchange can still be renewed or
	 * validated with itself. */
	if ((server->attributes & DB_ATTR_DISALLOW_TGT_BASED) && is_tgt)
		return kdc_fail(r, KDC_ERR_POLICY, "server disallows TGT-based requests");
	/* The server's demand on how its clients logged in is read from the
	 * flags of the presented ticket (RFC 4120 §2: PRE-AUTHENT and
	 * HW-AUTHENT carry over into derived tickets).  MIT answers
	 * KRB_ERR_GENERIC here; KDC_ERR_POLICY says what it is. */
	if ((server->attributes & DB_ATTR_REQUIRES_HWAUTH) && !(tp->flags & TKT_FLG_HW_AUTH))
		return kdc_fail(r, KDC_ERR_POLICY, "server requires hardware pre-authentication");
	if ((server->attributes & DB_ATTR_REQUIRES_PREAUTH) && !(tp->flags & TKT_FLG_PRE_AUTH))
		return kdc_fail(r, KDC_ERR_POLICY, "server requires pre-authentication");
	/* RFC 4120 §3.3.3: ENC-TKT-IN-SKEY reuses the session key of the
	 * server's TGT ("dup-skey"), which a server may refuse (MIT:
	 * KDC_ERR_POLICY). */
	if (u2u && (server->attributes & DB_ATTR_DISALLOW_DUP_SKEY))
		return kdc_fail(r, KDC_ERR_POLICY, "server disallows user-to-user");
	if ((opts & (KDC_OPT_RENEW | KDC_OPT_VALIDATE)) &&
	    (strcmp(b->realm, ap.ticket.realm) != 0 || !pname_equal(b->sname, &ap.ticket.sname)))
		return kdc_fail(r, KDC_ERR_BADOPTION, "renew/validate must name the ticket's server");
	/* A local client still has to exist and be allowed tickets: a
	 * deleted one is refused (as Heimdal's KDC), not renewed up to
	 * renew-till; a database error fails closed. */
	if (strcmp(tp->crealm, realm) == 0)
		TRY(client_entry_get(ctx, r, &tp->cname, tp->crealm,
				     client_named ? r->client : NULL, &client));

	/* MS-SFU: the new ticket's client is the user the service names
	 * (S4U2Self) or the evidence ticket's (S4U2Proxy); its entry, when
	 * local, sets the limits. */
	subject = client;
	TRY(kdc_s4u_self_get(ctx, r, fast != NULL ? fast->padata : q.padata, b, session, subkey,
			     &s4u));
	if (s4u != NULL) {
		TRY(kdc_s4u_self_check(ctx, r, opts, client, server, s4u));
		subject = s4u->entry;
		/* The TGT's authorization data is the service's, not the
		 * user's: only what the request carries. */
		authz = reqad;
	} else if (opts & KDC_OPT_CNAME_IN_ADDL_TKT) {
		const struct db_entry *evsrv;

		ev = arena_alloc(a, sizeof(*ev));
		CHECK(ev != NULL, ORTH_E_LIMIT);
		if (b->additional_tickets == NULL || b->additional_tickets->len == 0)
			return kdc_fail(r, KDC_ERR_BADOPTION, "CNAME-IN-ADDL-TKT without a ticket");
		TRY(ticket_open(ctx, r, &b->additional_tickets->val[0], &evsrv, ev, NULL));
		TRY(ticket_times_check(ctx, r, ev, false, true));
		TRY(kdc_s4u_proxy_check(r, opts, client, evsrv, ev, server,
					kdc_is_tgs_name(b->sname, b->realm)));
		/* the user, like the TGT's client, still allowed tickets */
		subject = NULL;
		if (strcmp(ev->crealm, realm) == 0)
			TRY(client_entry_get(ctx, r, &ev->cname, ev->crealm, NULL, &subject));
		TRY(authz_join(a, ev->authorization_data, reqad, &authz));
	}

	se = kdc_etype_choose(ctx, server, b->etype.val, b->etype.len);
	if (u2u) {
		const Ticket *at;
		EncTicketPart atp;
		const struct db_entry *atsrv;

		if (b->additional_tickets == NULL || b->additional_tickets->len == 0)
			return kdc_fail(r, KDC_ERR_BADOPTION, "ENC-TKT-IN-SKEY without a ticket");
		at = &b->additional_tickets->val[0];
		if (!kdc_is_tgs_name(&at->sname, realm))
			return kdc_fail(r, KDC_ERR_BADOPTION, "additional ticket is not a TGT");
		TRY(ticket_open(ctx, r, at, &atsrv, &atp, NULL));
		TRY(ticket_times_check(ctx, r, &atp, false, true));
		/* RFC 4120 §3.3.3: the ticket is for the additional ticket's
		 * client, which must be the server named. */
		if (strcmp(atp.crealm, b->realm) != 0 || !pname_equal(&atp.cname, b->sname))
			return kdc_fail(r, KDC_ERR_SERVER_NOMATCH, "additional ticket is not the server's");
		if (kdc_key_from_wire(ctx, &atp.key, &tkey) != ORTH_OK)
			return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "additional ticket key unusable");
		if (se < 0) {
			for (size_t i = 0; i < b->etype.len && se < 0; i++)
				if (kdc_etype_ok(ctx, b->etype.val[i]))
					se = b->etype.val[i];
		}
		if (se < 0)
			return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP, "no requested enctype allowed");
	} else {
		int32_t te;

		if (!kdc_etypes_pick(ctx, server, b->etype.val, b->etype.len, &se, &te))
			return kdc_fail(r, KDC_ERR_ETYPE_NOSUPP,
					"no requested enctype for the server's keys");
		TRY(kdc_key_get(ctx, server, te, 0, &tkey, NULL, &tkvno));
	}
	kdc_log_chosen(r, se);

	kdc_limits_fill(ctx, r->now, subject, server, &lim);
	lim.server_is_tgs = kdc_is_tgs_name(b->sname, b->realm);
	kdc_req_fill(b, &preq);
	memset(&ptgt, 0, sizeof(ptgt));
	ptgt.flags = tp->flags;
	ptgt.authtime = tp->authtime;
	ptgt.has_starttime = tp->starttime != NULL;
	ptgt.starttime = tstart;
	ptgt.endtime = tp->endtime;
	ptgt.has_renew_till = tp->renew_till != NULL;
	ptgt.renew_till = tp->renew_till ? *tp->renew_till : 0;
	if (ev != NULL) {
		/* The delegated ticket does not outlive the evidence. */
		if (ev->endtime < ptgt.endtime)
			ptgt.endtime = ev->endtime;
		if (ev->renew_till == NULL) {
			ptgt.has_renew_till = false;
			ptgt.flags &= ~TKT_FLG_RENEWABLE;
		} else if (*ev->renew_till < ptgt.renew_till) {
			ptgt.renew_till = *ev->renew_till;
		}
	}
	ret = policy_tgs(&preq, &lim, &ptgt, &pol);
	if (ret != ORTH_OK)
		return kdc_fail(r, proto_err_to_krb(ret), kdc_policy_why(ret));

	TRY(kdc_key_random(ctx, se, &newkey));
	memset(&et, 0, sizeof(et));
	et.flags = s4u != NULL ? kdc_s4u_self_flags(server, pol.flags) : pol.flags;
	kdc_key_to_wire(newkey, &et.key);
	et.crealm = tp->crealm;
	et.cname = tp->cname;
	et.transited = tp->transited;
	et.authtime = pol.authtime;
	if (s4u != NULL) {
		et.crealm = (char *)s4u->realm;
		et.cname = *s4u->user;
		TRY(kdc_s4u_self_reply(ctx, s4u, replykey, &reppa));
	} else if (ev != NULL) {
		/* MIT: the evidence ticket's client, authtime, path. */
		et.crealm = ev->crealm;
		et.cname = ev->cname;
		et.transited = ev->transited;
		et.authtime = ev->authtime;
	}
	et.starttime = pol.has_starttime ? &pol.starttime : NULL;
	et.endtime = pol.endtime;
	et.renew_till = pol.has_renew_till ? &pol.renew_till : NULL;
	/* RFC 4120 §3.3.3: addresses come from the request only for a
	 * forwarded or proxy ticket. */
	et.caddr = (opts & (KDC_OPT_FORWARDED | KDC_OPT_PROXY)) ? b->addresses : tp->caddr;
	et.authorization_data = authz;

	memset(&rp, 0, sizeof(rp));
	rp.msg_type = KRB5_MSG_TGS_REP;
	rp.ticket = &et;
	rp.ticket_key = tkey;
	rp.has_ticket_kvno = !u2u;
	rp.ticket_kvno = tkvno;
	rp.srealm = b->realm;
	rp.sname = b->sname;
	rp.reply_key = replykey;
	rp.reply_usage = subkey ? KU_TGS_REP_ENC_PART_SUBKEY : KU_TGS_REP_ENC_PART_SESSKEY;
	rp.nonce = b->nonce;
	rp.padata = reppa;
	rp.fast = fast;
	rp.now = r->now;
	rp.usec = r->usec;
	ret = kdc_reply_encode(ctx, &rp, w);
	if (ret == ORTH_OK && fast != NULL)
		r->e_text = kdc_fast_hide_client(fast) ? "FAST armor, client name hidden"
						       : "FAST armor";
	else if (ret == ORTH_OK && (s4u != NULL || ev != NULL))
		r->e_text = s4u != NULL ? "S4U2Self" : "S4U2Proxy";
cleanup:
	return ret;
}
