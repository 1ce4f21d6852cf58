#include "apreq.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"

#define KRB(code) ORTH_E_KRB(code)

/* A one-line detail for the caller's error buffer (no secrets). */
static void __attribute__((format(printf, 3, 4)))
detail(char *errbuf, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL || errcap == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errcap, fmt, ap);
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

/* ---- client side ---- */

orth_err
apreq_encode(const uint8_t *ticket, size_t ticket_len,
	     struct crypto_key *session_key, const struct principal *client,
	     const struct apreq_opts *opts, struct arena *a, uint8_t **out,
	     size_t *out_len, struct apreq_state *state_out)
{
	static const struct apreq_opts no_opts;
	orth_err ret;
	AP_REQ req;
	Authenticator auth;
	EncryptionKey subkey_wire;
	Checksum cksum;
	uint8_t cks[CRYPTO_MAX_CKSUM_LEN];
	size_t cks_len = 0;
	uint32_t seq = 0;
	int32_t usec;
	struct crypto_key *subkey = NULL, *skcopy = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;

	memset(&req, 0, sizeof(req));
	memset(&auth, 0, sizeof(auth));
	if (opts == NULL)
		opts = &no_opts;
	TRY(crypto_init());
	TRY(der_decode(&asn1_Ticket, ticket, ticket_len, a, &req.ticket));

	/* RFC 4120 §5.5.1: the authenticator. */
	auth.authenticator_vno = KRB5_PVNO;
	auth.crealm = client->realm;
	TRY(pname_from_principal(client, a, &auth.cname));
	auth.ctime = clock_now(opts->now, &usec) + opts->time_offset;
	auth.cusec = usec;
	if (opts->subkey) {
		TRY(crypto_key_random(crypto_key_enctype(session_key), &subkey));
		TRY(key_to_wire(subkey, a, &subkey_wire));
		auth.subkey = &subkey_wire;
	}
	if (opts->seq_number) {
		TRY(crypto_random_bytes(&seq, sizeof(seq)));
		/* MIT keeps initial sequence numbers below 2^30 so old peers
		 * that treat them as signed never see them wrap. */
		seq &= 0x3fffffffu;
		auth.seq_number = &seq;
	}
	if (opts->cksum_data != NULL) {
		TRY(crypto_checksum_make(session_key, KU_AP_REQ_AUTH_CKSUM,
					 opts->cksum_data, opts->cksum_len,
					 &cksum.cksumtype, cks, &cks_len));
		cksum.checksum.data = cks;
		cksum.checksum.len = cks_len;
		auth.cksum = &cksum;
	} else if (opts->cksum != NULL) {
		auth.cksum = (Checksum *)opts->cksum;
	}
	if (opts->authz != NULL)
		auth.authorization_data = (AuthorizationData *)opts->authz;

	req.pvno = KRB5_PVNO;
	req.msg_type = KRB5_MSG_AP_REQ;
	req.ap_options = opts->ap_options;
	TRY(proto_seal(session_key, KU_AP_REQ_AUTH, &asn1_Authenticator, &auth,
		       a, &req.authenticator));
	TRY(der_encode_arena(&asn1_AP_REQ, &req, a, &der, &der_len));

	if (state_out != NULL) {
		TRY(crypto_key_copy(session_key, &skcopy));
		memset(state_out, 0, sizeof(*state_out));
		state_out->ctime = auth.ctime;
		state_out->cusec = auth.cusec;
		state_out->session_key = skcopy;
		state_out->subkey = subkey;
		state_out->has_seq = opts->seq_number;
		state_out->seq_number = seq;
		skcopy = NULL;
		subkey = NULL;
	}
	*out = der;
	*out_len = der_len;
cleanup:
	if (auth.subkey != NULL)
		crypto_wipe(subkey_wire.keyvalue.data, subkey_wire.keyvalue.len);
	crypto_key_free(subkey);
	crypto_key_free(skcopy);
	return ret;
}

void
apreq_state_free(struct apreq_state *st)
{
	if (st == NULL)
		return;
	crypto_key_free(st->session_key);
	crypto_key_free(st->subkey);
	memset(st, 0, sizeof(*st));
}

/* ---- server side ---- */

/* What the keytab key source needs (apreq_ticket_fn's arg). */
struct keytab_source {
	const struct keytab_entry *keys;
	size_t nkeys;
};

/*
 * apreq_ticket_fn over a keytab: decrypt the ticket with the keytab key of
 * its sname@realm, enctype and kvno (newest first when it names none).
 */
static orth_err
keytab_ticket_decrypt(void *arg, const Ticket *t, const struct principal *server,
		      const char *server_name, struct arena *a, EncTicketPart *etp,
		      uint32_t *kvno_out, int32_t *enctype_out, char *errbuf, size_t errcap)
{
	const struct keytab_source *p = arg;
	orth_err ret = ORTH_OK;
	const struct keytab_entry **cand = NULL, *tmp;
	size_t ncand = 0, i, j;
	bool saw_princ = false, saw_etype = false;
	int32_t etype = t->enc_part.etype;
	struct crypto_key *key = NULL;

	if (p->nkeys > 0) {
		cand = arena_alloc(a, p->nkeys * sizeof(*cand));
		CHECK(cand != NULL, ORTH_E_LIMIT);
	}
	for (i = 0; i < p->nkeys; i++) {
		const struct keytab_entry *e = &p->keys[i];
		if (!principal_equal(&e->princ, server))
			continue;
		saw_princ = true;
		if (e->enctype != etype)
			continue;
		saw_etype = true;
		if (t->enc_part.kvno != NULL && e->kvno != *t->enc_part.kvno)
			continue;
		cand[ncand++] = e;
	}
	if (!saw_princ || !saw_etype) {
		detail(errbuf, errcap, "no key for %s enctype %d in the keytab", server_name,
		       (int)etype);
		ret = KRB(KRB_AP_ERR_NOKEY);
		goto cleanup;
	}
	if (ncand == 0) {
		detail(errbuf, errcap, "no key for %s kvno %u enctype %d in the keytab",
		       server_name, (unsigned)*t->enc_part.kvno, (int)etype);
		ret = KRB(KRB_AP_ERR_BADKEYVER);
		goto cleanup;
	}
	/* Without a kvno in the ticket, newest key first. */
	for (i = 1; i < ncand; i++)
		for (j = i; j > 0 && cand[j - 1]->kvno < cand[j]->kvno; j--) {
			tmp = cand[j];
			cand[j] = cand[j - 1];
			cand[j - 1] = tmp;
		}
	ret = KRB(KRB_AP_ERR_BAD_INTEGRITY);
	for (i = 0; i < ncand; i++) {
		crypto_key_free(key);
		key = NULL;
		ret = crypto_key_new(cand[i]->enctype, cand[i]->key,
				     cand[i]->key_len, &key);
		if (ret != ORTH_OK)
			continue;
		memset(etp, 0, sizeof(*etp));
		ret = proto_unseal(key, KU_TICKET, &t->enc_part,
				   &asn1_EncTicketPart, a, etp);
		if (ret == ORTH_OK) {
			*kvno_out = cand[i]->kvno;
			*enctype_out = cand[i]->enctype;
			goto cleanup;
		}
		if (ret == ORTH_E_INTEGRITY)
			ret = KRB(KRB_AP_ERR_BAD_INTEGRITY);
	}
	detail(errbuf, errcap, "ticket for %s (enctype %d) does not decrypt with the keytab key",
	       server_name, (int)etype);
cleanup:
	crypto_key_free(key);
	return ret;
}

/* apreq_replay_fn over an rcache. */
static orth_err
rcache_replay_put(void *arg, const struct apreq_replay_id *id, int64_t skew, int64_t now)
{
	struct rcache_key k = {
		.client = id->client,
		.server = id->server,
		.ctime = id->ctime,
		.cusec = id->cusec,
		.tag = id->tag,
		.tag_len = id->tag_len,
	};

	return rcache_put(arg, &k, skew, now);
}

orth_err
apreq_verify(const struct apreq_verify_params *p, const uint8_t *buf,
	     size_t len, struct arena *a, struct apreq_result *out)
{
	struct keytab_source ks = {.keys = p->keys, .nkeys = p->nkeys};
	struct apreq_check_params c = {
		.ticket_decrypt = keytab_ticket_decrypt,
		.ticket_arg = &ks,
		.replay_put = p->rcache != NULL ? rcache_replay_put : NULL,
		.replay_arg = p->rcache,
		.server = p->server,
		.skew = p->skew,
		.now = p->now,
		.cksum_data = p->cksum_data,
		.cksum_len = p->cksum_len,
		.errbuf = p->errbuf,
		.errcap = p->errcap,
	};

	return apreq_check(&c, buf, len, a, out);
}

/* ---- AP-REP ---- */

orth_err
aprep_verify(struct apreq_state *st, const uint8_t *buf, size_t len,
	     struct arena *a, struct aprep_result *out)
{
	orth_err ret;
	AP_REP rep;
	EncAPRepPart ep;
	KRB_ERROR err;
	struct crypto_key *subkey = NULL;
	int tag;

	memset(&rep, 0, sizeof(rep));
	memset(&ep, 0, sizeof(ep));
	memset(&err, 0, sizeof(err));
	CHECK(st->session_key != NULL, ORTH_E_INTERNAL);
	tag = der_peek_application_tag(buf, len);
	if (tag == KRB5_MSG_ERROR) {
		/* The server refused the AP-REQ: pass its code on. */
		TRY(der_decode(&asn1_KRB_ERROR, buf, len, a, &err));
		CHECK(err.error_code > 0 && err.error_code < 128,
		      KRB(KRB_ERR_GENERIC));
		ret = KRB(err.error_code);
		goto cleanup;
	}
	CHECK(tag < 0 || tag == KRB5_MSG_AP_REP, KRB(KRB_AP_ERR_MSG_TYPE));
	TRY(der_decode(&asn1_AP_REP, buf, len, a, &rep));
	CHECK(rep.pvno == KRB5_PVNO, KRB(KRB_AP_ERR_BADVERSION));
	ret = proto_unseal(st->session_key, KU_AP_REP_ENC_PART, &rep.enc_part,
			   &asn1_EncAPRepPart, a, &ep);
	if (ret == ORTH_E_INTEGRITY || ret == ORTH_E_ENCTYPE)
		ret = KRB(KRB_AP_ERR_BAD_INTEGRITY);
	TRY(ret);
	CHECK(ep.ctime == st->ctime && ep.cusec == st->cusec,
	      KRB(KRB_AP_ERR_MUT_FAIL));
	if (ep.subkey != NULL)
		TRY(crypto_key_new(ep.subkey->keytype, ep.subkey->keyvalue.data,
				   ep.subkey->keyvalue.len, &subkey));
	memset(out, 0, sizeof(*out));
	out->subkey = subkey;
	subkey = NULL;
	out->has_seq = ep.seq_number != NULL;
	out->seq_number = out->has_seq ? *ep.seq_number : 0;
cleanup:
	crypto_key_free(subkey);
	return ret;
}

void
aprep_result_free(struct aprep_result *r)
{
	if (r == NULL)
		return;
	crypto_key_free(r->subkey);
	memset(r, 0, sizeof(*r));
}
