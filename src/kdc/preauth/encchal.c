/*
 * encchal.c - encrypted challenge (RFC 6113 §5.4.6), the mechanism of
 * the FAST tunnel: the client's time encrypted in the client challenge
 * key, KRB-FX-CF2(armor key, long-term key, "clientchallengearmor",
 * "challengelongterm"), usage 54; the KDC answers with its own time in
 * the KDC challenge key ("kdcchallengearmor"), usage 55, which proves to
 * the client that the KDC knows its key too.  Without the armor key
 * nothing recorded can be tested against a password offline.
 */
#include <string.h>

#include "kdc/kdc_int.h"
#include "preauth.h"
#include "proto/encdata.h"
#include "proto/fast.h"

/* Long-term keys tried on one challenge: the realm has at most this many
 * enctypes (kdc_etype_ok() filters the rest). */
#define ENCCHAL_MAX_TRIES 8

/* RFC 6113 §5.4.6: offered inside FAST to a client with keys. */
static orth_err
encchal_offer(const struct kdc_preauth_req *q, struct kdc_preauth_out *out)
{
	if (q->armor_key == NULL || q->etype < 0)
		return ORTH_OK;
	return kdc_preauth_padata_add(out, KRB5_PADATA_ENCRYPTED_CHALLENGE, NULL, 0);
}

/* Does the client challenge key from ckey open ed?  *ts_out on success. */
static bool
challenge_opens(const struct kdc_preauth_req *q, struct crypto_key *ckey, const EncryptedData *ed,
		PA_ENC_TS_ENC *ts_out)
{
	struct crypto_key *chk = NULL;
	bool ok = false;

	if (proto_enc_challenge_key(q->armor_key, ckey, false, &chk) == ORTH_OK) {
		memset(ts_out, 0, sizeof(*ts_out));
		ok = proto_unseal(chk, KU_ENC_CHALLENGE_CLIENT, ed, &asn1_PA_ENC_TS_ENC,
				  &q->ctx->a, ts_out) == ORTH_OK;
	}
	crypto_key_free(chk);
	return ok;
}

/* The KDC's PA-ENCRYPTED-CHALLENGE for the reply. */
static orth_err
kdc_challenge(const struct kdc_preauth_req *q, struct crypto_key *ckey,
	      struct kdc_preauth_out *out)
{
	orth_err ret;
	struct crypto_key *kk = NULL;
	PA_ENC_TS_ENC ts;
	EncryptedData ed;
	int32_t *usec;
	uint8_t *der = NULL;
	size_t len = 0;

	usec = arena_alloc(&q->ctx->a, sizeof(*usec));
	CHECK(usec != NULL, ORTH_E_LIMIT);
	*usec = q->r->usec;
	ts.patimestamp = q->r->now;
	ts.pausec = usec;
	TRY(proto_enc_challenge_key(q->armor_key, ckey, true, &kk));
	TRY(proto_seal(kk, KU_ENC_CHALLENGE_KDC, &asn1_PA_ENC_TS_ENC, &ts, &q->ctx->a, &ed));
	TRY(der_encode_arena(&asn1_EncryptedChallenge, &ed, &q->ctx->a, &der, &len));
	TRY(kdc_preauth_padata_add(out, KRB5_PADATA_ENCRYPTED_CHALLENGE, der, len));
cleanup:
	crypto_key_free(kk);
	return ret;
}

static orth_err
encchal_verify(const struct kdc_preauth_req *q, const PA_DATA *pa, const struct der_bytes *state,
	       struct kdc_preauth_out *out)
{
	struct kdc_ctx *ctx = q->ctx;
	EncryptedData ed;
	PA_ENC_TS_ENC ts;
	struct crypto_key *ckey = NULL;
	const struct db_key *info = NULL;
	int32_t tried[ENCCHAL_MAX_TRIES];
	size_t ntried = 0;
	bool ok = false;

	(void)state;
	memset(&ed, 0, sizeof(ed));
	out->verdict = KDC_PA_REFUSED;
	out->error = KDC_ERR_PREAUTH_FAILED;
	if (der_decode(&asn1_EncryptedChallenge, pa->padata_value.data, pa->padata_value.len,
		       &ctx->a, &ed) != ORTH_OK) {
		out->why = "malformed PA-ENCRYPTED-CHALLENGE";
		return ORTH_OK;
	}
	/*
	 * The challenge key's enctype is the armor key's, so the ciphertext
	 * does not say which long-term key the client used: try the one the
	 * hints named (q->etype) first, then the other keys of the current
	 * key set among the request's enctypes (MIT's KDC tries them all).
	 * Never an older key set: an old password stays out.
	 */
	for (size_t i = 0; !ok && i <= q->body->etype.len; i++) {
		int32_t e = i == 0 ? q->etype : q->body->etype.val[i - 1];
		bool seen = false;
		for (size_t j = 0; j < ntried; j++)
			seen |= tried[j] == e;
		if (e < 0 || seen || ntried >= ENCCHAL_MAX_TRIES || !kdc_etype_ok(ctx, e))
			continue;
		tried[ntried++] = e;
		if (kdc_key_get(ctx, q->client, e, 0, &ckey, &info, NULL) != ORTH_OK)
			continue;
		ok = challenge_opens(q, ckey, &ed, &ts);
	}
	if (!ok) {
		out->verdict = KDC_PA_FAILED;
		out->why = "encrypted challenge does not decrypt";
		return ORTH_OK;
	}
	if (!kdc_preauth_timestamp_check(q, &ts, ckey, info,
					 "encrypted challenge outside the clock skew", out))
		return ORTH_OK;
	/* RFC 6113 §5.4.6: the KDC's own challenge, which the client checks. */
	return kdc_challenge(q, ckey, out);
}

const struct kdc_preauth_mech kdc_preauth_enc_challenge = {
	.name = "encrypted-challenge",
	.pa_type = KRB5_PADATA_ENCRYPTED_CHALLENGE,
	.flags = KDC_PA_FAST_ONLY,
	.offer = encchal_offer,
	.verify = encchal_verify,
};
