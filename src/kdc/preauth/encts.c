/*
 * encts.c - PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2): the client's time
 * encrypted in its long-term key (usage 1).
 *
 * Outside FAST anyone who records the exchange can test passwords
 * against it offline; inside FAST the armor key hides it, but encrypted
 * challenge (encchal.c) is the tunnel's own mechanism, so this one is
 * not offered there (still accepted, as MIT's KDC does).  Heimdal's
 * client is the one that sends it there (Heimdal 7.8's kinit
 * --fast-armor-cache), and it ignores the strengthen key, opening the
 * AS-REP with its long-term key: so the reply to this mechanism carries
 * none (RFC 6113 §5.4.3: the field is optional for AS).  Nobody else
 * loses it: MIT's client and ours never send a timestamp in the tunnel
 * (it is not offered there), and what a client sent there is sealed
 * under the armor key, out of an attacker's reach.  Such a reply is an
 * offline target, as the same client's login without FAST is.  A realm with
 * disable_encrypted_timestamp has it off altogether: with SPAKE and FAST
 * left, no exchange of its clients can be attacked offline, and an active
 * attacker cannot talk one into sending a timestamp the KDC would take.
 */
#include <string.h>

#include "kdc/kdc_int.h"
#include "preauth.h"
#include "proto/encdata.h"

static orth_err
encts_verify(const struct kdc_preauth_req *q, const PA_DATA *pa, const struct der_bytes *state,
	     struct kdc_preauth_out *out)
{
	struct kdc_ctx *ctx = q->ctx;
	PA_ENC_TIMESTAMP ed;
	PA_ENC_TS_ENC ts;
	struct crypto_key *ckey;
	const struct db_key *info;

	(void)state;
	memset(&ed, 0, sizeof(ed));
	memset(&ts, 0, sizeof(ts));
	out->verdict = KDC_PA_REFUSED;
	out->error = KDC_ERR_PREAUTH_FAILED;
	if (der_decode(&asn1_PA_ENC_TIMESTAMP, pa->padata_value.data, pa->padata_value.len,
		       &ctx->a, &ed) != ORTH_OK) {
		out->why = "malformed PA-ENC-TIMESTAMP";
		return ORTH_OK;
	}
	/* Only the current key set (kvno 0): a key set kept after a
	 * password change must not let the old password in. */
	if (!kdc_etype_ok(ctx, ed.etype) ||
	    kdc_key_get(ctx, q->client, ed.etype, 0, &ckey, &info, NULL) != ORTH_OK) {
		out->error = KDC_ERR_ETYPE_NOSUPP;
		out->why = "PA-ENC-TIMESTAMP enctype not available";
		return ORTH_OK;
	}
	if (proto_unseal(ckey, KU_AS_REQ_PA_ENC_TS, &ed, &asn1_PA_ENC_TS_ENC, &ctx->a, &ts) !=
	    ORTH_OK) {
		/* RFC 4120 §5.2.7.2: a wrong key (password).  No e-data:
		 * MIT clients would retry with it. */
		out->verdict = KDC_PA_FAILED;
		out->why = "PA-ENC-TIMESTAMP does not decrypt";
		return ORTH_OK;
	}
	(void)kdc_preauth_timestamp_check(q, &ts, ckey, info,
					  "PA-ENC-TIMESTAMP outside the clock skew", out);
	return ORTH_OK;
}

static bool
encts_enabled(const struct kdc_preauth_req *q)
{
	return !q->ctx->sh->realm->disable_encrypted_timestamp;
}

const struct kdc_preauth_mech kdc_preauth_enc_timestamp = {
	.name = "encrypted-timestamp",
	.pa_type = KRB5_PADATA_ENC_TIMESTAMP,
	.flags = KDC_PA_NOT_IN_FAST | KDC_PA_FAST_UNSTRENGTHENED,
	.offer = NULL,
	.verify = encts_verify,
	.enabled = encts_enabled,
};
