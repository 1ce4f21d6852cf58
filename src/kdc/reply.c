/*
 * reply.c - the KDC-REP both exchanges end with (RFC 4120 §5.4.2): the
 * ticket sealed under the server's key, and EncKDCRepPart, which repeats
 * the ticket's key, flags and times, sealed under the reply key.  Under
 * FAST (RFC 6113 §5.4.3) the padata travels in a KrbFastResponse with
 * the strengthen key and the finished checksum, and the reply key is
 * strengthened; RFC 6806 §11's encrypted padata when the client asked.
 */
#include <string.h>

#include "kdc/fast.h"
#include "kdc_int.h"
#include "proto/encdata.h"
#include "proto/fast.h"

/*
 * RFC 6113 §5.4.3: the KrbFastResponse of a reply with ticket (DER,
 * for the finished checksum) and client cname@crealm: the padata, a fresh
 * strengthen key of the reply key's enctype (none when
 * rp->unstrengthened), the finished part, the request's nonce.
 * *padata_out: METHOD-DATA { PA-FX-FAST }, and *reply_key_out the
 * strengthened reply key (request-owned), or rp's.
 */
static orth_err
fast_reply(struct kdc_ctx *ctx, const struct kdc_reply *rp, const uint8_t *ticket,
	   size_t ticket_len, const PrincipalName *cname, const char *crealm,
	   METHOD_DATA **padata_out, struct crypto_key **reply_key_out)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	struct crypto_key *strengthen = NULL, *k = NULL;
	KrbFastResponse resp;
	KrbFastFinished fin;
	EncryptionKey sk;
	METHOD_DATA *md;
	PA_DATA *fx;

	memset(&resp, 0, sizeof(resp));
	md = arena_alloc(a, sizeof(*md));
	fx = arena_alloc(a, sizeof(*fx));
	CHECK(md != NULL && fx != NULL, ORTH_E_LIMIT);
	if (!rp->unstrengthened) {
		TRY(kdc_key_random(ctx, crypto_key_enctype(rp->reply_key), &strengthen));
		TRY(proto_fast_reply_key(strengthen, rp->reply_key, &k));
		TRY(kdc_key_keep(ctx, k, reply_key_out));
		k = NULL;
		kdc_key_to_wire(strengthen, &sk);
		resp.strengthen_key = &sk;
	}
	memset(&fin, 0, sizeof(fin));
	fin.timestamp = rp->now;
	fin.usec = rp->usec;
	fin.crealm = (char *)crealm;
	fin.cname = *cname;
	TRY(proto_fast_ticket_checksum(rp->fast->armor_key, ticket, ticket_len, a,
				       &fin.ticket_checksum));
	if (rp->padata != NULL)
		resp.padata = *rp->padata;
	resp.finished = &fin;
	resp.nonce = rp->fast->nonce;
	fx->padata_type = KRB5_PADATA_FX_FAST;
	TRY(proto_fast_response_seal(rp->fast->armor_key, &resp, a, &fx->padata_value));
	md->len = 1;
	md->val = fx;
	*padata_out = md;
cleanup:
	crypto_key_free(k);
	return ret;
}

/* RFC 6806 §11: PA-REQ-ENC-PA-REP, the checksum of the AS-REQ under the
 * reply key, and an empty PA-FX-FAST: the KDC speaks FAST (MIT's client
 * records it as fast_avail in the cache, and armors later requests). */
static orth_err
enc_padata(struct kdc_ctx *ctx, const struct kdc_reply *rp, struct crypto_key *reply_key,
	   METHOD_DATA **out)
{
	orth_err ret;
	METHOD_DATA *md = arena_alloc(&ctx->a, sizeof(*md));
	PA_DATA *pa = arena_alloc(&ctx->a, 2 * sizeof(*pa));

	CHECK(md != NULL && pa != NULL, ORTH_E_LIMIT);
	pa[0].padata_type = KRB5_PADATA_REQ_ENC_PA_REP;
	TRY(proto_req_enc_pa_rep_make(reply_key, rp->req_der, rp->req_der_len, &ctx->a,
				      &pa[0].padata_value));
	pa[1].padata_type = KRB5_PADATA_FX_FAST;
	md->len = 2;
	md->val = pa;
	*out = md;
cleanup:
	return ret;
}

orth_err
kdc_reply_encode(struct kdc_ctx *ctx, const struct kdc_reply *rp, struct writer *w)
{
	orth_err ret;
	struct arena *a = &ctx->a;
	const EncTicketPart *et = rp->ticket;
	KDC_REP rep;
	EncKDCRepPart ep;
	/* RFC 4120 §5.4.2: last-req; we keep no login history, so one entry
	 * of type 0 ("no information"). */
	LastReq_elem lr = {0};
	uint32_t *kvnop;
	struct crypto_key *reply_key = rp->reply_key;
	uint8_t *tder = NULL;
	size_t tlen = 0;

	memset(&rep, 0, sizeof(rep));
	rep.pvno = KRB5_PVNO;
	rep.msg_type = rp->msg_type;
	rep.padata = rp->padata;
	rep.crealm = et->crealm;
	rep.cname = et->cname;
	rep.ticket.tkt_vno = KRB5_PVNO;
	rep.ticket.realm = (char *)rp->srealm;
	rep.ticket.sname = *rp->sname;
	TRY(proto_seal(rp->ticket_key, KU_TICKET, &asn1_EncTicketPart, et, a,
		       &rep.ticket.enc_part));
	if (rp->has_ticket_kvno) {
		kvnop = arena_alloc(a, sizeof(*kvnop));
		CHECK(kvnop != NULL, ORTH_E_LIMIT);
		*kvnop = rp->ticket_kvno;
		rep.ticket.enc_part.kvno = kvnop;
	}
	if (rp->fast != NULL) {
		const PrincipalName *anon;
		const char *anon_realm;

		TRY(der_encode_arena(&asn1_Ticket, &rep.ticket, a, &tder, &tlen));
		TRY(fast_reply(ctx, rp, tder, tlen, &et->cname, et->crealm, &rep.padata,
			       &reply_key));
		/* The reply carries these very bytes (der_encode_raw below):
		 * the ticket is encoded once. */
		rep.ticket._raw.data = tder;
		rep.ticket._raw.len = tlen;
		/* RFC 6113 §5.4.2 hide-client-names: the name is in the
		 * finished part only. */
		if (kdc_fast_hide_client(rp->fast)) {
			TRY(kdc_fast_anonymous(ctx, &anon, &anon_realm));
			rep.cname = *anon;
			rep.crealm = (char *)anon_realm;
		}
	}

	memset(&ep, 0, sizeof(ep));
	ep.key = et->key;
	ep.last_req.len = 1;
	ep.last_req.val = &lr;
	ep.nonce = rp->nonce;
	ep.key_expiration = (int64_t *)rp->key_expiration;
	ep.flags = et->flags;
	ep.authtime = et->authtime;
	ep.starttime = et->starttime;
	ep.endtime = et->endtime;
	ep.renew_till = et->renew_till;
	ep.srealm = (char *)rp->srealm;
	ep.sname = *rp->sname;
	ep.caddr = et->caddr;
	if (rp->req_der != NULL)
		TRY(enc_padata(ctx, rp, reply_key, &ep.encrypted_pa_data));
	TRY(proto_seal(reply_key, rp->reply_usage,
		       rp->msg_type == KRB5_MSG_AS_REP ? &asn1_EncASRepPart
						       : &asn1_EncTGSRepPart,
		       &ep, a, &rep.enc_part));
	TRY(der_encode_raw(rp->msg_type == KRB5_MSG_AS_REP ? &asn1_AS_REP : &asn1_TGS_REP,
			   &rep, w));
	ret = writer_err(w);
cleanup:
	return ret;
}
