/*
 * priv.c - KRB-PRIV sealing and opening.  See priv.h.
 */
#include "priv.h"

#include <string.h>

#include "proto/encdata.h"
#include "proto/krb5_const.h"

orth_err
priv_seal(struct crypto_key *key, const EncKrbPrivPart *part, struct arena *a,
	  uint8_t **out, size_t *out_len)
{
	orth_err ret;
	KRB_PRIV msg;

	memset(&msg, 0, sizeof(msg));
	msg.pvno = KRB5_PVNO;
	msg.msg_type = KRB5_MSG_PRIV;
	TRY(proto_seal(key, KU_KRB_PRIV_ENC_PART, &asn1_EncKrbPrivPart, part, a, &msg.enc_part));
	TRY(der_encode_arena(&asn1_KRB_PRIV, &msg, a, out, out_len));
cleanup:
	return ret;
}

orth_err
priv_open(struct crypto_key *key, const uint8_t *buf, size_t len, struct arena *a,
	  EncKrbPrivPart *out)
{
	orth_err ret;
	KRB_PRIV msg;
	EncKrbPrivPart part;

	memset(&msg, 0, sizeof(msg));
	memset(&part, 0, sizeof(part));
	CHECK(der_peek_application_tag(buf, len) == KRB5_MSG_PRIV, ORTH_E_MALFORMED);
	TRY(der_decode(&asn1_KRB_PRIV, buf, len, a, &msg));
	CHECK(msg.pvno == KRB5_PVNO, ORTH_E_KRB(KRB_AP_ERR_BADVERSION));
	TRY(proto_unseal(key, KU_KRB_PRIV_ENC_PART, &msg.enc_part, &asn1_EncKrbPrivPart, a,
			 &part));
	*out = part;
cleanup:
	return ret;
}
