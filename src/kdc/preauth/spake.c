/*
 * spake.c - SPAKE pre-authentication (RFC 9588) as an entry of the
 * table: the KDC's side of the exchange over src/proto/spake.h.
 *
 *   round 1  PREAUTH_REQUIRED offers an empty PA-SPAKE (RFC 9588 §4.1)
 *            when the realm has groups (spake_preauth_groups);
 *   round 2  the client's support message: a challenge in its first
 *            group we allow, the KDC's state (private scalar, transcript)
 *            into the PA-FX-COOKIE: KDC_PA_CONTINUE;
 *   round 3  the response, checked against that state: K'[0] replaces
 *            the reply key (RFC 9588 §4.5, RFC 6113 §3): KDC_PA_VERIFIED;
 *            a factor that does not decrypt is a wrong password:
 *            KDC_PA_FAILED, which the driver counts for lockout.
 *
 * Nothing recorded from this exchange lets an eavesdropper test
 * passwords offline (RFC 9588 §1), unlike PA-ENC-TIMESTAMP.  Inside FAST
 * the body the transcript keys cover is the inner KDC-REQ-BODY as
 * decrypted (q->body_der), as MIT's KDC does.
 */
#include <stdio.h>
#include <string.h>

#include "kdc/kdc_int.h"
#include "preauth.h"
#include "proto/spake.h"

/* MIT's client default first, so a default kinit needs no extra round. */
#define SPAKE_DEFAULT_GROUPS "edwards25519 P-256"

/* The realm's groups; *n_out = 0: SPAKE off (an empty
 * spake_preauth_groups, or a list the KDC refused at start-up). */
static void
groups_get(const struct kdc_preauth_req *q, int32_t *groups, size_t *n_out)
{
	const char *text = q->ctx->sh->realm->spake_preauth_groups;
	char err[128];

	if (text == NULL)
		text = SPAKE_DEFAULT_GROUPS;
	if (spake_groups_parse(text, groups, SPAKE_MAX_GROUPS, n_out, err, sizeof(err)) != ORTH_OK)
		*n_out = 0;
}

static orth_err
spake_offer(const struct kdc_preauth_req *q, struct kdc_preauth_out *out)
{
	int32_t groups[SPAKE_MAX_GROUPS];
	size_t n = 0;

	groups_get(q, groups, &n);
	if (n == 0 || q->etype < 0)
		return ORTH_OK;
	/* RFC 9588 §4.1: an empty PA-SPAKE says SPAKE is offered; the client
	 * answers with the groups it accepts. */
	return kdc_preauth_padata_add(out, KRB5_PADATA_SPAKE, NULL, 0);
}

/* The state to keep in the cookie, encoded into the arena. */
static orth_err
state_keep(const struct kdc_preauth_req *q, const struct spake_kdc_state *st,
	   struct kdc_preauth_out *out)
{
	orth_err ret;
	struct writer w;
	uint8_t *buf;

	buf = arena_alloc(&q->ctx->a, SPAKE_KDC_STATE_MAX);
	CHECK(buf != NULL, ORTH_E_LIMIT);
	writer_init(&w, buf, SPAKE_KDC_STATE_MAX);
	TRY(spake_kdc_state_encode(st, &w));
	TRY(writer_err(&w));
	out->state.data = buf;
	out->state.len = w.len;
cleanup:
	return ret;
}

static orth_err
spake_verify(const struct kdc_preauth_req *q, const PA_DATA *pa, const struct der_bytes *state,
	     struct kdc_preauth_out *out)
{
	orth_err ret = ORTH_OK, pret;
	struct kdc_ctx *ctx = q->ctx;
	int32_t groups[SPAKE_MAX_GROUPS], enctype = q->etype;
	size_t n = 0;
	struct spake_kdc_state st;
	const struct spake_kdc_state *sp = NULL;
	struct spake_kdc_reply rep;
	struct crypto_key *ikey = NULL;

	memset(&st, 0, sizeof(st));
	memset(&rep, 0, sizeof(rep));
	out->verdict = KDC_PA_REFUSED;
	out->error = KDC_ERR_PREAUTH_FAILED;
	groups_get(q, groups, &n);
	if (n == 0) {
		out->why = "SPAKE is not enabled in this realm";
		goto cleanup;
	}
	/* The cookie is already checked (bound to this client, not
	 * expired, fast.h); what it carries for us is ours to parse. */
	if (state != NULL) {
		if (spake_kdc_state_decode(state->data, state->len, &st) != ORTH_OK) {
			out->why = "malformed SPAKE state in the cookie";
			goto cleanup;
		}
		sp = &st;
		/* RFC 9588 §4.3: the response is made with the key of the
		 * challenge's enctype. */
		enctype = st.enctype;
	}
	/* Only the current key set (kvno 0): an old password stays out. */
	if (enctype < 0 || !kdc_etype_ok(ctx, enctype) ||
	    kdc_key_get(ctx, q->client, enctype, 0, &ikey, NULL, NULL) != ORTH_OK) {
		out->error = KDC_ERR_ETYPE_NOSUPP;
		out->why = "SPAKE enctype not available";
		goto cleanup;
	}
	pret = spake_kdc_process(groups, n, ikey, pa->padata_value.data, pa->padata_value.len, sp,
				 q->body_der->data, q->body_der->len, &ctx->a, &rep);
	if (pret == ORTH_E_INTEGRITY) {
		/* RFC 9588 §4.3: the factor does not open under K'[1]: the
		 * client's key is not the one we hold. */
		out->verdict = KDC_PA_FAILED;
		out->why = "SPAKE response does not decrypt";
		goto cleanup;
	}
	if (ORTH_ERR_IS_KRB(pret)) {
		out->why = "SPAKE message refused";
		goto cleanup;
	}
	TRY(pret);
	if (rep.outcome == SPAKE_KDC_CHALLENGE) {
		TRY(kdc_preauth_padata_add(out, KRB5_PADATA_SPAKE, rep.challenge,
					   rep.challenge_len));
		TRY(state_keep(q, &rep.state, out));
		out->verdict = KDC_PA_CONTINUE;
		out->error = 0;
		out->why = "SPAKE challenge";
	} else {
		struct crypto_key *k = rep.reply_key;
		rep.reply_key = NULL;
		TRY(kdc_key_keep(ctx, k, &out->reply_key));
		out->verdict = KDC_PA_VERIFIED;
		out->error = 0;
		out->reply_key_replaced = true;
		out->ticket_flags = TKT_FLG_PRE_AUTH;
	}
cleanup:
	crypto_key_free(rep.reply_key);
	spake_kdc_state_wipe(&rep.state);
	spake_kdc_state_wipe(&st);
	return ret;
}

const struct kdc_preauth_mech kdc_preauth_spake = {
	.name = "spake",
	.pa_type = KRB5_PADATA_SPAKE,
	.flags = 0,
	.offer = spake_offer,
	.verify = spake_verify,
};
