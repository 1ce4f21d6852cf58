/*
 * preauth.c - the table of pre-authentication mechanisms and the driver
 * that runs them for the AS exchange.  See preauth.h.
 */
#include "preauth.h"

#include <stdio.h>
#include <string.h>

#include "kdc/fast.h"
#include "kdc/kdc_int.h"
#include "kdc/lockout.h"

/* The table, in the order of the hints: the stronger first, since MIT's
 * client tries the KDC's hints in the order sent.  Encrypted challenge
 * (FAST only) before SPAKE, as MIT's KDC orders them: inside the tunnel
 * it takes one round less; outside it SPAKE comes first. */
static const struct kdc_preauth_mech *const mechs[] = {
	&kdc_preauth_enc_challenge,
	&kdc_preauth_spake,
	&kdc_preauth_enc_timestamp,
};
#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

orth_err
kdc_preauth_padata_add(struct kdc_preauth_out *out, int32_t type, uint8_t *value, size_t len)
{
	PA_DATA *pa;

	if (out->npadata >= KDC_PREAUTH_MAX_PADATA)
		return ORTH_E_LIMIT;
	pa = &out->padata[out->npadata++];
	pa->padata_type = type;
	pa->padata_value.data = value;
	pa->padata_value.len = len;
	return ORTH_OK;
}

bool
kdc_preauth_timestamp_check(const struct kdc_preauth_req *q, const PA_ENC_TS_ENC *ts,
			    struct crypto_key *ckey, const struct db_key *info, const char *skew_why,
			    struct kdc_preauth_out *out)
{
	int64_t d = ts->patimestamp - q->r->now;

	kdc_req_skew_set(q->r, d);  /* for the log line and `orthrus explain` */
	if (d > q->ctx->skew || d < -q->ctx->skew) {
		out->verdict = KDC_PA_REFUSED;
		out->error = KRB_AP_ERR_SKEW;
		out->why = skew_why;
		return false;
	}
	out->verdict = KDC_PA_VERIFIED;
	out->error = 0;
	out->reply_key = ckey;
	out->reply_key_info = info;
	out->ticket_flags = TKT_FLG_PRE_AUTH;
	return true;
}

orth_err
kdc_preauth_etype_info2(struct kdc_ctx *ctx, const struct db_key *info, int32_t etype,
			PA_DATA *out)
{
	orth_err ret;
	ETYPE_INFO2 ei = {0};
	ETYPE_INFO2_ENTRY *ent;
	uint8_t *buf = NULL;
	size_t len = 0;

	ent = arena_alloc(&ctx->a, sizeof(*ent));
	CHECK(ent != NULL, ORTH_E_LIMIT);
	ent->etype = etype;
	/* The salt is always sent: MIT clients otherwise guess the
	 * default salt. */
	ent->salt = arena_strndup(&ctx->a, (const char *)info->salt, info->salt_len);
	CHECK(ent->salt != NULL, ORTH_E_LIMIT);
	if (info->s2kparams_len > 0) {
		bool dflt = info->s2kparams_len == 4 &&
			    (((uint32_t)info->s2kparams[0] << 24) |
			     ((uint32_t)info->s2kparams[1] << 16) |
			     ((uint32_t)info->s2kparams[2] << 8) | info->s2kparams[3]) ==
				    crypto_enctype_default_iterations(etype);
		if (!dflt) {
			ent->s2kparams = arena_alloc(&ctx->a, sizeof(*ent->s2kparams));
			CHECK(ent->s2kparams != NULL, ORTH_E_LIMIT);
			ent->s2kparams->data = (uint8_t *)info->s2kparams;
			ent->s2kparams->len = info->s2kparams_len;
		}
	}
	ei.len = 1;
	ei.val = ent;
	TRY(der_encode_arena(&asn1_ETYPE_INFO2, &ei, &ctx->a, &buf, &len));
	out->padata_type = KRB5_PADATA_ETYPE_INFO2;
	out->padata_value.data = buf;
	out->padata_value.len = len;
cleanup:
	return ret;
}

/* Can m run for this request?  Inside FAST every mechanism the realm
 * has on can; outside only those that do not need the tunnel. */
static bool
mech_usable(const struct kdc_preauth_mech *m, const struct kdc_preauth_req *q)
{
	if (m->enabled != NULL && !m->enabled(q))
		return false;
	return !(m->flags & KDC_PA_FAST_ONLY) || q->armor_key != NULL;
}

/* A METHOD-DATA of n PA-DATA (copied) in the arena, plus room for one
 * more (the cookie). */
static METHOD_DATA *
md_new(struct kdc_ctx *ctx, const PA_DATA *pa, size_t n)
{
	METHOD_DATA *md = arena_alloc(&ctx->a, sizeof(*md));

	if (md == NULL)
		return NULL;
	md->val = arena_alloc(&ctx->a, (n + 1) * sizeof(*md->val));
	if (md->val == NULL)
		return NULL;
	if (n > 0)
		memcpy(md->val, pa, n * sizeof(*pa));
	md->len = n;
	return md;
}

/*
 * Append a PA-FX-COOKIE carrying state (one PA-DATA per mechanism with
 * state) to md, which has room for it.  Inside FAST always, even without
 * state: RFC 6113 §5.2 asks the client to return the cookie of a
 * conversation, and MIT's client answers a FAST error with padata only
 * when it carries a cookie.
 */
static orth_err
cookie_append(const struct kdc_preauth_req *q, METHOD_DATA *md, const PA_DATA *state,
	      size_t nstate)
{
	METHOD_DATA st;

	if (nstate == 0 && q->armor_key == NULL)
		return ORTH_OK;
	st.len = nstate;
	st.val = (PA_DATA *)state;
	return kdc_fast_cookie_make(q->ctx, q->r, q->body->cname, q->body->realm, &st,
				    &md->val[md->len++]);
}

/* KDC_ERR_PREAUTH_REQUIRED with the hints (preauth.h); why: the e-text
 * and log reason. */
static orth_err
hints_send(const struct kdc_preauth_req *q, const char *why)
{
	orth_err ret;
	struct kdc_ctx *ctx = q->ctx;
	PA_DATA pa[2 + NMECHS * KDC_PREAUTH_MAX_PADATA], state[NMECHS];
	size_t n = 0, ns = 0;
	struct kdc_preauth_out out;
	METHOD_DATA *md;

	/* RFC 6113 §5.4.2: an empty PA-FX-FAST says the KDC speaks FAST
	 * (MIT's KDC sends it inside the tunnel as well). */
	memset(pa, 0, sizeof(pa));
	pa[n++].padata_type = KRB5_PADATA_FX_FAST;
	TRY(kdc_preauth_etype_info2(ctx, q->key_info, q->etype, &pa[n++]));
	for (size_t i = 0; i < NMECHS; i++) {
		const struct kdc_preauth_mech *m = mechs[i];
		if (!mech_usable(m, q) || (q->armor_key != NULL && (m->flags & KDC_PA_NOT_IN_FAST)))
			continue;
		memset(&out, 0, sizeof(out));
		if (m->offer == NULL)
			TRY(kdc_preauth_padata_add(&out, m->pa_type, NULL, 0));
		else
			TRY(m->offer(q, &out));
		memcpy(&pa[n], out.padata, out.npadata * sizeof(*pa));
		n += out.npadata;
		if (out.state.len > 0) {
			state[ns].padata_type = m->pa_type;
			state[ns++].padata_value = out.state;
		}
	}
	md = md_new(ctx, pa, n);
	CHECK(md != NULL, ORTH_E_LIMIT);
	TRY(cookie_append(q, md, state, ns));
	q->r->e_padata = md;
	ret = kdc_fail(q->r, KDC_ERR_PREAUTH_REQUIRED, why);
cleanup:
	return ret;
}

/* The state m kept in the cookie, or NULL. */
static const struct der_bytes *
state_find(const METHOD_DATA *st, int32_t type)
{
	for (size_t i = 0; st != NULL && i < st->len; i++)
		if (st->val[i].padata_type == type)
			return &st->val[i].padata_value;
	return NULL;
}

/* What the verdict of m means for the request. */
static orth_err
verdict_apply(const struct kdc_preauth_req *q, const struct kdc_preauth_mech *m,
	      struct kdc_preauth_out *out, struct kdc_preauth_result *res)
{
	orth_err ret = ORTH_OK;
	struct kdc_ctx *ctx = q->ctx;
	struct kdc_req *r = q->r;
	METHOD_DATA *md = NULL;
	PA_DATA st;

	if (out->npadata > 0 || out->verdict == KDC_PA_CONTINUE) {
		md = md_new(ctx, out->padata, out->npadata);
		CHECK(md != NULL, ORTH_E_LIMIT);
	}
	switch (out->verdict) {
	case KDC_PA_VERIFIED:
		CHECK(out->reply_key != NULL, ORTH_E_INTERNAL);
		kdc_lockout_succeeded(ctx, r, q->client);
		res->preauth = true;
		res->mech = m->name;
		res->reply_key = out->reply_key;
		res->reply_key_info = out->reply_key_replaced ? NULL : out->reply_key_info;
		res->ticket_flags = out->ticket_flags;
		res->unstrengthened = (m->flags & KDC_PA_FAST_UNSTRENGTHENED) != 0;
		if (md != NULL)
			res->padata = *md;
		break;
	case KDC_PA_FAILED:
		if (md != NULL)
			TRY(cookie_append(q, md, NULL, 0));
		r->e_padata = md;
		ret = kdc_lockout_failed(ctx, r, q->client,
					 out->why != NULL ? out->why : "pre-authentication failed");
		break;
	case KDC_PA_CONTINUE:
		st.padata_type = m->pa_type;
		st.padata_value = out->state;
		TRY(cookie_append(q, md, &st, out->state.len > 0 ? 1 : 0));
		r->e_padata = md;
		ret = kdc_fail(r, KDC_ERR_MORE_PREAUTH_DATA_REQUIRED,
			       out->why != NULL ? out->why : "more pre-authentication data required");
		break;
	case KDC_PA_REFUSED:
		if (md != NULL)
			TRY(cookie_append(q, md, NULL, 0));
		r->e_padata = md;
		ret = kdc_fail(r, out->error != 0 ? out->error : KDC_ERR_PREAUTH_FAILED,
			       out->why != NULL ? out->why : "pre-authentication refused");
		break;
	default:
		ret = ORTH_E_INTERNAL;
	}
cleanup:
	return ret;
}

orth_err
kdc_preauth_run(const struct kdc_preauth_req *q, bool requires_fast,
		struct kdc_preauth_result *res)
{
	orth_err ret;
	struct kdc_ctx *ctx = q->ctx;
	struct kdc_req *r = q->r;
	const METHOD_DATA *cookie = NULL;
	const struct kdc_preauth_mech *m = NULL, *off = NULL;
	const PA_DATA *pa = NULL;
	struct kdc_preauth_out out;

	memset(res, 0, sizeof(*res));
	if (requires_fast && q->armor_key == NULL) {
		PA_DATA fx = {.padata_type = KRB5_PADATA_FX_FAST};
		r->e_padata = md_new(ctx, &fx, 1);
		CHECK(r->e_padata != NULL, ORTH_E_LIMIT);
		return kdc_fail(r, KDC_ERR_PREAUTH_REQUIRED, "FAST armor required");
	}
	/* RFC 6113 §5.2: the cookie is checked whatever the mechanism:
	 * another client's or an expired one is refused here. */
	TRY(kdc_fast_cookie_open(ctx, r, q->padata, q->body->cname, q->body->realm, &cookie));
	for (size_t i = 0; q->padata != NULL && i < q->padata->len && m == NULL; i++)
		for (size_t j = 0; j < NMECHS && m == NULL; j++) {
			if (mechs[j]->pa_type != q->padata->val[i].padata_type)
				continue;
			if (mech_usable(mechs[j], q)) {
				m = mechs[j];
				pa = &q->padata->val[i];
			} else if (mechs[j]->enabled != NULL && !mechs[j]->enabled(q)) {
				off = mechs[j];
			}
		}
	if (m != NULL) {
		memset(&out, 0, sizeof(out));
		TRY(m->verify(q, pa, state_find(cookie, m->pa_type), &out));
		return verdict_apply(q, m, &out, res);
	}
	if (q->client->attributes & DB_ATTR_REQUIRES_PREAUTH) {
		char buf[96];
		const char *why = NULL;
		/* the reason for the log and `orthrus explain` */
		if (off != NULL) {
			snprintf(buf, sizeof(buf), "%s is disabled in this realm", off->name);
			why = arena_strndup(&ctx->a, buf, strlen(buf));
		}
		return hints_send(q, why != NULL ? why : "pre-authentication required");
	}
	/* RFC 4120 §3.1.2: no pre-authentication asked for nor given. */
	TRY(kdc_key_get(ctx, q->client, q->etype, 0, &res->reply_key, NULL, NULL));
	res->reply_key_info = q->key_info;
cleanup:
	return ret;
}
