/*
 * apcheck.c - the AP-REQ checks and the AP-REP.  See apcheck.h.
 */
#include "apcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"

#define KRB(code) ORTH_E_KRB(code)

/* A one-line detail for the caller's error buffer (no secrets). */
static void __attribute__((format(printf, 2, 3)))
detail(const struct apreq_check_params *p, const char *fmt, ...)
{
	va_list ap;

	if (p->errbuf == NULL || p->errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(p->errbuf, p->errcap, fmt, ap);
	va_end(ap);
}

static int64_t
clock_now(int64_t fixed, int32_t *usec_out)
{
	int64_t sec;
	int32_t usec;

	proto_now(&sec, &usec);
	if (fixed != 0) {
		sec = fixed;
		usec = 0;
	}
	if (usec_out != NULL)
		*usec_out = usec;
	return sec;
}

/* The text form of a principal, in the arena. */
static orth_err
unparse_arena(const struct principal *p, struct arena *a, const char **out)
{
	orth_err ret;
	char buf[PRINCIPAL_MAX_TEXT + 1];
	size_t n = 0;
	char *s;

	TRY(principal_unparse(p, buf, sizeof(buf), &n));
	s = arena_strndup(a, buf, n);
	CHECK(s != NULL, ORTH_E_LIMIT);
	*out = s;
cleanup:
	return ret;
}

/* An EncryptionKey (wire form) of key, its bytes copied into the arena. */
static orth_err
key_to_wire(const struct crypto_key *key, struct arena *a, EncryptionKey *out)
{
	size_t len;
	const uint8_t *bytes = crypto_key_bytes(key, &len);

	out->keytype = crypto_key_enctype(key);
	out->keyvalue.data = arena_dup(a, bytes, len);
	out->keyvalue.len = len;
	return out->keyvalue.data != NULL ? ORTH_OK : ORTH_E_LIMIT;
}

/* ---- the AP-REQ ---- */

orth_err
apreq_check(const struct apreq_check_params *p, const uint8_t *buf,
	    size_t len, struct arena *a, struct apreq_result *out)
{
	orth_err ret;
	AP_REQ req;
	EncTicketPart etp;
	Authenticator auth;
	struct apreq_result r;
	int64_t now, start, skew;
	int tag;

	memset(&req, 0, sizeof(req));
	memset(&etp, 0, sizeof(etp));
	memset(&auth, 0, sizeof(auth));
	memset(&r, 0, sizeof(r));
	if (p->errbuf != NULL && p->errcap > 0)
		p->errbuf[0] = '\0';
	TRY(crypto_init());
	now = clock_now(p->now, NULL);
	skew = p->skew > 0 ? p->skew : APREQ_DEFAULT_SKEW;

	tag = der_peek_application_tag(buf, len);
	if (tag >= 0 && tag != KRB5_MSG_AP_REQ) {
		detail(p, "not an AP-REQ (message type %d)", tag);
		ret = KRB(KRB_AP_ERR_MSG_TYPE);
		goto cleanup;
	}
	ret = der_decode(&asn1_AP_REQ, buf, len, a, &req);
	if (ret != ORTH_OK) {
		detail(p, "AP-REQ does not decode: %s", orth_err_str(ret));
		goto cleanup;
	}
	if (req.pvno != KRB5_PVNO || req.ticket.tkt_vno != KRB5_PVNO) {
		detail(p, "protocol version %d, ticket version %d",
		       (int)req.pvno, (int)req.ticket.tkt_vno);
		ret = KRB(KRB_AP_ERR_BADVERSION);
		goto cleanup;
	}
	/* RFC 4120 §3.2.3: a user-to-user ticket is sealed in our TGT's
	 * session key, which a keytab-based server does not have. */
	if (req.ap_options & AP_OPT_USE_SESSION_KEY) {
		detail(p, "user-to-user AP-REQ (use-session-key) not supported");
		ret = KRB(KRB_AP_ERR_NOKEY);
		goto cleanup;
	}
	TRY(pname_to_principal(&req.ticket.sname, req.ticket.realm, a,
			       &r.server));
	TRY(unparse_arena(&r.server, a, &r.server_name));
	if (p->server != NULL && !principal_equal(p->server, &r.server)) {
		char want[PRINCIPAL_MAX_TEXT + 1];
		if (principal_unparse(p->server, want, sizeof(want), NULL) != ORTH_OK)
			strcpy(want, "?");
		detail(p, "ticket is for %s, not %s", r.server_name, want);
		ret = KRB(KRB_AP_ERR_NOT_US);
		goto cleanup;
	}
	memset(&etp, 0, sizeof(etp));
	TRY(p->ticket_decrypt(p->ticket_arg, &req.ticket, &r.server, r.server_name, a,
			      &etp, &r.kvno, &r.enctype, p->errbuf, p->errcap));
	TRY(pname_to_principal(&etp.cname, etp.crealm, a, &r.client));
	TRY(unparse_arena(&r.client, a, &r.client_name));
	ret = crypto_key_new(etp.key.keytype, etp.key.keyvalue.data,
			     etp.key.keyvalue.len, &r.session_key);
	if (ret != ORTH_OK) {
		detail(p, "ticket session key of enctype %d unusable",
		       (int)etp.key.keytype);
		goto cleanup;
	}

	/* RFC 4120 §3.2.3: the authenticator, sealed in the session key. */
	ret = proto_unseal(r.session_key, KU_AP_REQ_AUTH, &req.authenticator,
			   &asn1_Authenticator, a, &auth);
	if (ret == ORTH_E_INTEGRITY || ret == ORTH_E_ENCTYPE) {
		detail(p, "authenticator from %s does not decrypt with the "
			  "session key", r.client_name);
		ret = KRB(KRB_AP_ERR_BAD_INTEGRITY);
	}
	TRY(ret);
	if (auth.authenticator_vno != KRB5_PVNO) {
		detail(p, "authenticator version %d", (int)auth.authenticator_vno);
		ret = KRB(KRB_AP_ERR_BADVERSION);
		goto cleanup;
	}
	if (!pname_equal(&auth.cname, &etp.cname) ||
	    strcmp(auth.crealm, etp.crealm) != 0) {
		detail(p, "authenticator client does not match the ticket's %s",
		       r.client_name);
		ret = KRB(KRB_AP_ERR_BADMATCH);
		goto cleanup;
	}
	if (p->cksum_data != NULL) {
		if (auth.cksum == NULL) {
			detail(p, "authenticator carries no checksum");
			ret = KRB(KRB_AP_ERR_INAPP_CKSUM);
			goto cleanup;
		}
		ret = crypto_checksum_verify(r.session_key, KU_AP_REQ_AUTH_CKSUM,
					     auth.cksum->cksumtype, p->cksum_data,
					     p->cksum_len, auth.cksum->checksum.data,
					     auth.cksum->checksum.len);
		if (ret == ORTH_E_CKSUMTYPE) {
			detail(p, "checksum type %d not keyed with the session key",
			       (int)auth.cksum->cksumtype);
			ret = KRB(KRB_AP_ERR_INAPP_CKSUM);
		} else if (ret != ORTH_OK) {
			detail(p, "application data checksum does not verify");
			ret = KRB(KRB_AP_ERR_MODIFIED);
		}
		TRY(ret);
	}
	if (auth.ctime > now + skew || auth.ctime < now - skew) {
		detail(p, "authenticator time of %s is %lld s off (skew %lld s)",
		       r.client_name, (long long)(auth.ctime - now),
		       (long long)skew);
		ret = KRB(KRB_AP_ERR_SKEW);
		goto cleanup;
	}
	/* RFC 4120 §3.2.3: times checked with the same allowance for skew. */
	start = etp.starttime != NULL ? *etp.starttime : etp.authtime;
	if ((etp.flags & TKT_FLG_INVALID) != 0 || start > now + skew) {
		detail(p, "ticket of %s for %s not yet valid", r.client_name,
		       r.server_name);
		ret = KRB(KRB_AP_ERR_TKT_NYV);
		goto cleanup;
	}
	if (etp.endtime < now - skew) {
		detail(p, "ticket of %s for %s expired %lld s ago", r.client_name,
		       r.server_name, (long long)(now - etp.endtime));
		ret = KRB(KRB_AP_ERR_TKT_EXPIRED);
		goto cleanup;
	}
	/* RFC 4120 §2.7: unless the KDC says it checked the transited path
	 * (TRANSIT-POLICY-CHECKED), the server must.  We check no cross-realm
	 * path yet, so only a ticket that crossed no realm is accepted. */
	if (!(etp.flags & TKT_FLG_TRANSIT_POLICY_CHECKED) &&
	    etp.transited.contents.len != 0) {
		detail(p, "ticket of %s for %s has an unchecked transited path",
		       r.client_name, r.server_name);
		ret = KRB(KRB_AP_PATH_NOT_ACCEPTED);
		goto cleanup;
	}
	if (auth.subkey != NULL) {
		ret = crypto_key_new(auth.subkey->keytype,
				     auth.subkey->keyvalue.data,
				     auth.subkey->keyvalue.len, &r.subkey);
		if (ret != ORTH_OK) {
			detail(p, "authenticator subkey of enctype %d unusable",
			       (int)auth.subkey->keytype);
			goto cleanup;
		}
	}
	/* Last: only an authenticator that passed every check is
	 * remembered, so forged requests cannot fill the cache. */
	if (p->replay_put != NULL) {
		struct apreq_replay_id k = {
			.client = r.client_name,
			.server = r.server_name,
			.ctime = auth.ctime,
			.cusec = auth.cusec,
			.tag = req.authenticator.cipher.data,
			.tag_len = req.authenticator.cipher.len,
		};
		ret = p->replay_put(p->replay_arg, &k, skew, now);
		if (ret == ORTH_E_REPLAY) {
			detail(p, "replayed authenticator of %s for %s",
			       r.client_name, r.server_name);
			ret = KRB(KRB_AP_ERR_REPEAT);
		} else if (ret == ORTH_E_POLICY) {
			/* Only this client is refused (replay_table.h). */
			detail(p, "%s is over its replay-cache quota",
			       r.client_name);
			ret = KRB(KDC_ERR_SVC_UNAVAILABLE);
		} else if (ret == ORTH_E_LIMIT) {
			detail(p, "replay cache full");
			ret = KRB(KDC_ERR_SVC_UNAVAILABLE);
		} else if (ret == ORTH_E_SKEW) {
			ret = KRB(KRB_AP_ERR_SKEW);
		}
		TRY(ret);
	}

	r.has_seq = auth.seq_number != NULL;
	r.seq_number = r.has_seq ? *auth.seq_number : 0;
	r.ap_options = req.ap_options;
	r.ticket_flags = etp.flags;
	r.authtime = etp.authtime;
	r.starttime = etp.starttime != NULL ? *etp.starttime : 0;
	r.endtime = etp.endtime;
	r.renew_till = etp.renew_till != NULL ? *etp.renew_till : 0;
	r.ctime = auth.ctime;
	r.cusec = auth.cusec;
	r.cksum = auth.cksum;
	r.ticket_authz = etp.authorization_data;
	r.authn_authz = auth.authorization_data;
	r.caddr = etp.caddr;
	*out = r;
	memset(&r, 0, sizeof(r));
	ret = ORTH_OK;
cleanup:
	apreq_result_free(&r);
	return ret;
}

void
apreq_result_free(struct apreq_result *r)
{
	if (r == NULL)
		return;
	crypto_key_free(r->session_key);
	crypto_key_free(r->subkey);
	memset(r, 0, sizeof(*r));
}

/* ---- AP-REP ---- */

orth_err
aprep_encode(struct apreq_result *r, struct crypto_key *subkey,
	     const uint32_t *seq_number, struct arena *a, uint8_t **out,
	     size_t *out_len)
{
	orth_err ret;
	AP_REP rep;
	EncAPRepPart ep;
	EncryptionKey sk;
	uint32_t seq;

	memset(&rep, 0, sizeof(rep));
	memset(&ep, 0, sizeof(ep));
	CHECK(r->session_key != NULL, ORTH_E_INTERNAL);
	/* RFC 4120 §3.2.4: repeat the client's ctime and cusec. */
	ep.ctime = r->ctime;
	ep.cusec = r->cusec;
	if (subkey != NULL) {
		TRY(key_to_wire(subkey, a, &sk));
		ep.subkey = &sk;
	}
	if (seq_number != NULL) {
		seq = *seq_number;
		ep.seq_number = &seq;
	}
	rep.pvno = KRB5_PVNO;
	rep.msg_type = KRB5_MSG_AP_REP;
	TRY(proto_seal(r->session_key, KU_AP_REP_ENC_PART, &asn1_EncAPRepPart,
		       &ep, a, &rep.enc_part));
	TRY(der_encode_arena(&asn1_AP_REP, &rep, a, out, out_len));
cleanup:
	if (ep.subkey != NULL)
		crypto_wipe(sk.keyvalue.data, sk.keyvalue.len);
	return ret;
}

const char *
apreq_err_str(orth_err e)
{
	return proto_err_str(e);
}
