/*
 * kpasswd.c - the password-change service (port 464): the original
 * change-password protocol (version 1, what MIT's kpasswd and kinit send)
 * and RFC 3244's set/change password (version 0xff80, Heimdal's kpasswd),
 * for requests that came to the kpasswd listeners (kdc_handle() routes on
 * info->service).  The messages are src/proto/kpasswd.h's, the AP-REQ
 * checks src/proto/apcheck.h's, the password change itself
 * account_password_change()'s (src/kdc/account.h: the policies live
 * there).
 *
 * A request, in order:
 *  1. classify it (kpasswd_request_classify): a reply is never answered
 *     (CVE-2002-2443), nor, over UDP, anything that is not a well-framed
 *     request (as MIT's kadmind since that CVE); over TCP a malformed one
 *     gets the MALFORMED (or BAD_VERSION) result in a KRB-ERROR;
 *  2. the AP-REQ: a ticket for kadmin/changepw@REALM under its key in the
 *     database, every RFC 4120 §3.2.3 check, the authenticator into the
 *     KDC's replay cache; a refusal is answered with a KRB-ERROR (the AP
 *     error code) whose e-data is the AUTHERROR result - except, over UDP,
 *     an AP-REQ that does not even decode (no answer);
 *  3. from here on every answer is the AP-REP and a KRB-PRIV holding the
 *     result, sealed in the authenticator's subkey (else the session key),
 *     the way MIT's and Heimdal's clients read it: our sequence number in
 *     both, the s-address the address the request came to;
 *  4. the KRB-PRIV: it decrypts, its sequence number (absent: 0) is the
 *     authenticator's (absent: 0) - MIT's client sends neither, Heimdal's
 *     both - and a timestamp, when present, is within the skew.  Together
 *     with the replay cache this refuses replays: the KRB-PRIV is bound
 *     to the authenticator's subkey and sequence number, and an
 *     authenticator is accepted once.  The s-address is not checked (a
 *     client behind NAT does not know its address; MIT's kadmind does not
 *     check it either);
 *  5. the target: the client itself, or for set-password the principal
 *     named;
 *  6. the ticket must be an initial one (from the AS exchange: MIT's
 *     kadmind demands it for a change of one's own password, and
 *     kadmin/changepw is DISALLOW_TGT_BASED anyway) - INITIAL_FLAG_NEEDED;
 *     a target of another realm is HARDERROR, and another principal than
 *     the client needs the 'c' right in the realm's ACL (acl.h) -
 *     ACCESSDENIED;
 *  7. account_password_change(): SOFTERROR with its sentence for the user
 *     (policy, length), HARDERROR for anything else.
 * No lookaside cache: a retransmitted request is a replayed authenticator
 * and refused (KRB_AP_ERR_REPEAT), which is why MIT's client tries TCP
 * before UDP.
 *
 * The log line: type KPASSWD (version 1) or KPASSWD-SET (0xff80), client
 * the ticket's client, service the principal whose password is changed,
 * error the result code (0 success, -1 nothing answered), reason why.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "kdc/account.h"
#include "kdc/acl.h"
#include "kdc_int.h"
#include "proto/apcheck.h"
#include "proto/encdata.h"
#include "proto/kpasswd.h"
#include "proto/pname.h"
#include "proto/priv.h"

/* apreq_replay_fn over the KDC's replay cache (its skew is the KDC's). */
static orth_err
kpw_replay_put(void *arg, const struct apreq_replay_id *id, int64_t skew, int64_t now)
{
	struct kdc_ctx *ctx = arg;
	struct kdc_replay_key k = {
		.client = id->client,
		.server = id->server,
		.ctime = id->ctime,
		.cusec = id->cusec,
		.tag = id->tag,
		.tag_len = id->tag_len,
	};

	orth_err ret;

	(void)skew;
	ret = kdc_replay_check_and_insert(ctx->sh->replay, &k, now);
	kdc_replay_refusal_note(ctx, ret, now);
	return ret;
}

/* The KRB-PRIV's s-address: where the request came to (RFC 4120 §5.7.1),
 * else the acceptor's directional address (RFC 4120 §8.1), as MIT. */
static void
kpw_local_address(const struct kdc_request_info *info, uint8_t buf[16], HostAddress *out)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&info->local;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&info->local;

	if (info->local_len >= sizeof(*sin) && info->local.ss_family == AF_INET) {
		memcpy(buf, &sin->sin_addr, 4);
		out->addr_type = KRB5_ADDR_INET;
		out->address.len = 4;
	} else if (info->local_len >= sizeof(*sin6) && info->local.ss_family == AF_INET6 &&
		   IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(buf, &sin6->sin6_addr.s6_addr[12], 4);
		out->addr_type = KRB5_ADDR_INET;
		out->address.len = 4;
	} else if (info->local_len >= sizeof(*sin6) && info->local.ss_family == AF_INET6) {
		memcpy(buf, &sin6->sin6_addr, 16);
		out->addr_type = KRB5_ADDR_INET6;
		out->address.len = 16;
	} else {
		static const uint8_t acceptor[4] = {0, 0, 0, 1};
		memcpy(buf, acceptor, 4);
		out->addr_type = PRIV_ADDR_DIRECTIONAL;
		out->address.len = 4;
	}
	out->address.data = buf;
}

/* kadmin/changepw@REALM, the service of every answer. */
static orth_err
kpw_service_name(struct kdc_ctx *ctx, PrincipalName *out)
{
	return pname_build2(&ctx->a, KRB5_NT_SRV_INST, "kadmin", "changepw", out);
}

/*
 * The error answer: a KRB-ERROR with code krb_code naming kadmin/changepw,
 * e-text and e-data the result (RFC 3244 §2), framed with no AP part -
 * or unframed (framed false: the refused TCP length, as MIT's kadmind).
 */
static orth_err
kpw_error_write(struct kdc_ctx *ctx, struct kdc_req *r, int32_t krb_code, uint16_t result,
		const char *text, bool framed, struct writer *w)
{
	orth_err ret;
	struct proto_error e = {0};
	PrincipalName sname;
	struct der_bytes ed;
	struct writer ew;
	uint8_t *ebuf;
	size_t ecap = 4096 + KPASSWD_MAX_TEXT * 2;
	struct kpasswd_frame f = {.version = KPASSWD_VERSION_CHANGE};

	w->len = 0;
	w->err = ORTH_OK;
	TRY(kpw_service_name(ctx, &sname));
	TRY(kpasswd_result_encode(result, text, strlen(text), &ctx->a, &ed.data, &ed.len));
	e.code = krb_code;
	e.e_text = text[0] != '\0' ? text : NULL;
	e.realm = ctx->sh->realm->name;
	e.sname = &sname;
	e.e_data = &ed;
	e.stime = r->now;
	e.susec = r->usec;
	ebuf = arena_alloc(&ctx->a, ecap);
	CHECK(ebuf != NULL, ORTH_E_LIMIT);
	writer_init(&ew, ebuf, ecap);
	TRY(proto_krb_error_encode(&e, &ctx->a, &ew));
	TRY(writer_err(&ew));
	if (!framed) {
		writer_put(w, ew.buf, ew.len);
		ret = writer_err(w);
		goto cleanup;
	}
	f.body = ew.buf;
	f.body_len = ew.len;
	ret = kpasswd_frame_encode(&f, w);
cleanup:
	return ret;
}

/* The answer of an authenticated request: AP-REP and the result in a
 * KRB-PRIV sealed in key. */
static orth_err
kpw_result_write(struct kdc_ctx *ctx, const struct kdc_request_info *info,
		 const uint8_t *aprep, size_t aprep_len, struct crypto_key *key, uint32_t seq,
		 uint16_t result, const char *text, struct writer *w)
{
	orth_err ret;
	EncKrbPrivPart part;
	uint8_t abuf[16];
	struct kpasswd_frame f = {.version = KPASSWD_VERSION_CHANGE};

	w->len = 0;
	w->err = ORTH_OK;
	memset(&part, 0, sizeof(part));
	TRY(kpasswd_result_encode(result, text, strlen(text), &ctx->a, &part.user_data.data,
				  &part.user_data.len));
	/* Our sequence number, as in the AP-REP: MIT's and Heimdal's
	 * clients check it (their DO_SEQUENCE); no timestamp, as MIT. */
	part.seq_number = &seq;
	kpw_local_address(info, abuf, &part.s_address);
	f.ap = aprep;
	f.ap_len = aprep_len;
	TRY(priv_seal(key, &part, &ctx->a, (uint8_t **)&f.body, &f.body_len));
	ret = kpasswd_frame_encode(&f, w);
cleanup:
	return ret;
}

/* Record why for the log and return the result. */
static uint16_t
kpw_refuse(struct kdc_req *r, uint16_t result, const char *why)
{
	r->e_text = why;
	return result;
}

/* The AUTHERROR text for an AP-REQ refusal. */
static const char *
kpw_ap_text(orth_err e)
{
	switch (proto_err_to_krb(e)) {
	case KRB_AP_ERR_TKT_EXPIRED: return "Authentication failed: ticket expired";
	case KRB_AP_ERR_REPEAT: return "Authentication failed: request is a replay";
	case KRB_AP_ERR_SKEW: return "Authentication failed: clock skew too great";
	case KRB_AP_ERR_NOT_US: return "Authentication failed: the ticket is not for kadmin/changepw";
	case KDC_ERR_SVC_UNAVAILABLE: return "Service unavailable, try again later";
	default: return "Authentication failed";
	}
}

/* One authenticated request: what steps 4 to 7 need. */
struct kpw {
	struct kdc_ctx *ctx;
	struct kdc_req *r;
	const struct kpasswd_frame *f;
	const struct apreq_result *res;
	struct crypto_key *key;      /* the subkey, else the session key */
	char *msg;                   /* KPASSWD_MAX_TEXT bytes of request memory */
};

/* Steps 4 to 7: the result and the text for the user (*text_out); why
 * for the log goes to k->r->e_text. */
static uint16_t
kpw_change(struct kpw *k, const char **text_out)
{
	struct kdc_ctx *ctx = k->ctx;
	struct kdc_req *r = k->r;
	const struct apreq_result *res = k->res;
	const char *realm = ctx->sh->realm->name;
	struct arena *a = &ctx->a;
	EncKrbPrivPart part;
	struct kpasswd_data d;
	struct principal target;
	struct account_pw_change rq;
	char target_name[KDC_LOG_NAME], *acct_why;
	uint32_t expect_seq, kvno = 0;
	orth_err e;

	/* 4. The KRB-PRIV: it decrypts, its sequence number follows the
	 * authenticator's, a timestamp is within the skew. */
	memset(&part, 0, sizeof(part));
	e = priv_open(k->key, k->f->body, k->f->body_len, a, &part);
	if (e == ORTH_E_INTEGRITY || e == ORTH_E_ENCTYPE) {
		*text_out = "Cannot decrypt the request";
		return kpw_refuse(r, KPASSWD_HARDERROR, "KRB-PRIV does not decrypt");
	}
	if (e != ORTH_OK) {
		*text_out = "Malformed request";
		return kpw_refuse(r, KPASSWD_MALFORMED, "KRB-PRIV does not decode");
	}
	expect_seq = res->has_seq ? res->seq_number : 0;
	if ((part.seq_number != NULL ? *part.seq_number : 0) != expect_seq) {
		*text_out = "Authentication failed: wrong sequence number";
		return kpw_refuse(r, KPASSWD_AUTHERROR,
				  "KRB-PRIV sequence number is not the authenticator's");
	}
	if (part.timestamp != NULL &&
	    (*part.timestamp > r->now + ctx->skew || *part.timestamp < r->now - ctx->skew)) {
		*text_out = "Authentication failed: clock skew too great";
		return kpw_refuse(r, KPASSWD_AUTHERROR, "KRB-PRIV timestamp outside the clock skew");
	}
	if (kpasswd_data_decode(k->f->version, part.user_data.data, part.user_data.len, a, &d) !=
	    ORTH_OK) {
		*text_out = "Malformed request";
		return kpw_refuse(r, KPASSWD_MALFORMED, "ChangePasswdData does not decode");
	}

	/* 5. Whose password: the client's own, or the target named. */
	if (d.targname != NULL) {
		e = pname_to_principal(d.targname, d.targrealm != NULL ? d.targrealm : realm, a,
				       &target);
		if (e == ORTH_OK)
			e = principal_unparse(&target, target_name, sizeof(target_name), NULL);
		if (e != ORTH_OK) {
			*text_out = "Malformed request";
			return kpw_refuse(r, KPASSWD_MALFORMED, "target name does not parse");
		}
	} else {
		target = res->client;
		snprintf(target_name, sizeof(target_name), "%s", res->client_name);
	}
	snprintf(r->service, sizeof(r->service), "%s", target_name);

	/* 6. Who may: an initial ticket, a local target, the ACL for
	 * another's password. */
	if (!(res->ticket_flags & TKT_FLG_INITIAL)) {
		*text_out = "Ticket must be derived from a password";
		return kpw_refuse(r, KPASSWD_INITIAL_FLAG_NEEDED, "ticket is not an initial ticket");
	}
	if (strcmp(target.realm, realm) != 0) {
		snprintf(k->msg, KPASSWD_MAX_TEXT, "%s is not in realm %s", target_name, realm);
		*text_out = k->msg;
		return kpw_refuse(r, KPASSWD_HARDERROR, "principal is not of this realm");
	}
	if (!principal_equal(&target, &res->client) &&
	    !kdc_acl_allows(ctx->sh->acl, &res->client, &target, KDC_ACL_CHANGEPW)) {
		snprintf(k->msg, KPASSWD_MAX_TEXT, "%s may not set the password of %s",
			 res->client_name, target_name);
		*text_out = k->msg;
		return kpw_refuse(r, KPASSWD_ACCESSDENIED,
				  "set-password without the ACL's 'c' right on the target");
	}
	if (memchr(d.password, '\0', d.password_len) != NULL) {
		*text_out = "The password may not contain a NUL character";
		return kpw_refuse(r, KPASSWD_SOFTERROR, "password holds a NUL byte");
	}

	/* 7. The change: account.h decides what it does and what it
	 * refuses. */
	acct_why = arena_alloc(a, KPASSWD_MAX_TEXT);
	if (acct_why == NULL) {
		*text_out = "Server error";
		return kpw_refuse(r, KPASSWD_HARDERROR, "out of request memory");
	}
	memset(&rq, 0, sizeof(rq));
	rq.name = target_name;
	rq.password = (const char *)d.password;
	rq.password_len = d.password_len;
	rq.by = res->client_name;
	/* Someone else's password (set-password, ACL-checked above): the
	 * policy's minimum life is not the administrator's concern. */
	rq.admin = strcmp(target_name, res->client_name) != 0;
	rq.now = r->now;
	e = account_password_change(ctx->sh->db, ctx->sh->realm, &rq, &kvno, acct_why,
				    KPASSWD_MAX_TEXT);
	switch (e) {
	case ORTH_OK:
		snprintf(k->msg, KPASSWD_MAX_TEXT, "password changed (kvno %u)", (unsigned)kvno);
		r->e_text = k->msg;
		*text_out = "";
		return KPASSWD_SUCCESS;
	case ORTH_E_POLICY:
	case ORTH_E_RANGE:
		/* MIT's kinit asks again after a SOFTERROR; the sentence
		 * tells the user why. */
		*text_out = acct_why[0] ? acct_why : "Password change rejected";
		return kpw_refuse(r, KPASSWD_SOFTERROR, acct_why[0] ? acct_why : "refused by policy");
	case ORTH_E_NOTFOUND:
		snprintf(k->msg, KPASSWD_MAX_TEXT, "%s does not exist", target_name);
		*text_out = k->msg;
		return kpw_refuse(r, KPASSWD_HARDERROR, "principal not in the database");
	default:
		snprintf(acct_why, KPASSWD_MAX_TEXT, "password change failed: %s", orth_err_str(e));
		*text_out = "Server error";
		return kpw_refuse(r, KPASSWD_HARDERROR, acct_why);
	}
}

orth_err
kdc_kpasswd(struct kdc_ctx *ctx, struct kdc_req *r, const struct kdc_request_info *info,
	    const uint8_t *req, size_t len, struct writer *w, int32_t *code_out)
{
	orth_err ret = ORTH_OK, e;
	struct arena *a = &ctx->a;
	const char *why = NULL, *comps[2] = {"kadmin", "changepw"}, *text = "";
	bool udp = info->transport == KDC_TRANSPORT_UDP;
	struct kpasswd_frame f;
	struct principal changepw;
	struct apreq_result res;
	struct apreq_check_params p;
	struct kpw k = {.ctx = ctx, .r = r, .f = &f, .res = &res};
	char detail[256] = "";
	enum kpasswd_kind kind;
	uint8_t *aprep = NULL;
	size_t aprep_len = 0;
	uint32_t seq = 0;
	uint16_t result;

	memset(&res, 0, sizeof(res));
	r->msg_type = "KPASSWD";
	*code_out = -1;
	w->len = 0;
	/* The log line is written from it after we return: request memory. */
	k.msg = arena_alloc(a, KPASSWD_MAX_TEXT);
	CHECK(k.msg != NULL, ORTH_E_LIMIT);
	if (info->too_long) {
		r->e_text = "request length refused";
		*code_out = KPASSWD_MALFORMED;
		TRY(kpw_error_write(ctx, r, KRB_ERR_FIELD_TOOLONG, KPASSWD_MALFORMED,
				    "Request too long", false, w));
		ret = ORTH_E_KRB(KRB_ERR_FIELD_TOOLONG);
		goto cleanup;
	}

	/* 1. Never answer a reply; over UDP nothing but a request. */
	kind = kpasswd_request_classify(req, len, &f, &why);
	if (kind != KPASSWD_KIND_REQUEST) {
		r->e_text = why;
		ret = ORTH_E_MALFORMED;
		if (kind == KPASSWD_KIND_REPLY || udp)
			goto cleanup;
		result = kind == KPASSWD_KIND_BAD_VERSION ? KPASSWD_BAD_VERSION : KPASSWD_MALFORMED;
		*code_out = result;
		TRY(kpw_error_write(ctx, r,
				    result == KPASSWD_BAD_VERSION ? KDC_ERR_BAD_PVNO : KRB_ERR_GENERIC,
				    result,
				    result == KPASSWD_BAD_VERSION ? "Unknown protocol version"
								  : "Malformed request",
				    true, w));
		ret = ORTH_E_MALFORMED;
		goto cleanup;
	}
	if (f.version == KPASSWD_VERSION_SET)
		r->msg_type = "KPASSWD-SET";

	/* 2. The AP-REQ for kadmin/changepw@REALM. */
	memset(&p, 0, sizeof(p));
	TRY(principal_build(a, ctx->sh->realm->name, KRB5_NT_SRV_INST, 2, comps, &changepw));
	p.ticket_decrypt = kdc_ticket_decrypt;
	p.ticket_arg = ctx;
	p.replay_put = kpw_replay_put;
	p.replay_arg = ctx;
	p.server = &changepw;
	p.skew = (int32_t)ctx->skew;
	p.now = r->now;
	p.errbuf = detail;
	p.errcap = sizeof(detail);
	e = apreq_check(&p, f.ap, f.ap_len, a, &res);
	if (e != ORTH_OK) {
		snprintf(k.msg, KPASSWD_MAX_TEXT, "AP-REQ refused: %s",
			 detail[0] ? detail : apreq_err_str(e));
		r->e_text = k.msg;
		ret = e;
		/* Bytes that do not decode as an AP-REQ: over UDP no answer,
		 * as the KDC does for a KDC-REQ that does not decode (a
		 * spoofed source gets nothing bigger). */
		if (udp && !ORTH_ERR_IS_KRB(e))
			goto cleanup;
		result = proto_err_to_krb(e) == KDC_ERR_SVC_UNAVAILABLE ? KPASSWD_HARDERROR
									: KPASSWD_AUTHERROR;
		*code_out = result;
		TRY(kpw_error_write(ctx, r, proto_err_to_krb(e), result, kpw_ap_text(e), true, w));
		ret = e;
		goto cleanup;
	}
	snprintf(r->client, sizeof(r->client), "%s", res.client_name);

	/* 3. The AP-REP; everything after is answered in a KRB-PRIV. */
	TRY(crypto_random_bytes(&seq, sizeof(seq)));
	seq &= 0x3fffffffu; /* as MIT: below 2^30 */
	TRY(aprep_encode(&res, NULL, &seq, a, &aprep, &aprep_len));
	k.key = res.subkey != NULL ? res.subkey : res.session_key;

	/* 4 to 7. */
	result = kpw_change(&k, &text);
	*code_out = result;
	ret = result == KPASSWD_SUCCESS ? ORTH_OK : ORTH_E_POLICY;
	e = kpw_result_write(ctx, info, aprep, aprep_len, k.key, seq, result, text, w);
	if (e != ORTH_OK) {
		if (result == KPASSWD_SUCCESS)
			r->e_text = "password changed, but the reply failed";
		w->len = 0;
		ret = e;
	}
cleanup:
	if (ret != ORTH_OK && w->len == 0 && *code_out != -1)
		*code_out = -1;
	if (ret != ORTH_OK && !ORTH_ERR_IS_KRB(ret) && ret != ORTH_E_POLICY &&
	    ret != ORTH_E_MALFORMED && r->e_text == NULL)
		r->e_text = orth_err_str(ret);
	if (writer_err(w) != ORTH_OK)
		w->len = 0;
	apreq_result_free(&res);
	return ret;
}
