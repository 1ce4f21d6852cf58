/*
 * reply.c - the KDC-REP both exchanges end with (RFC 4120 §5.4.2): the
 * ticket sealed under the server's key, and EncKDCRepPart, which repeats
 * the ticket's key, flags and times, sealed under the reply key.
 */
#include <string.h>

#include "kdc_int.h"
#include "proto/encdata.h"

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
	TRY(proto_seal(rp->reply_key, rp->reply_usage,
		       rp->msg_type == KRB5_MSG_AS_REP ? &asn1_EncASRepPart
						       : &asn1_EncTGSRepPart,
		       &ep, a, &rep.enc_part));
	TRY(der_encode(rp->msg_type == KRB5_MSG_AS_REP ? &asn1_AS_REP : &asn1_TGS_REP,
		       &rep, w));
	ret = writer_err(w);
cleanup:
	return ret;
}
