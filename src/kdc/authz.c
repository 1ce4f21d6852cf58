/*
 * authz.c - filtering the client's authorization data before it goes into
 * a ticket.  See authz.h for why.
 */
#include "authz.h"

#include <stdbool.h>

#include "proto/krb5_const.h"

/* Authorization-data types (RFC 4120 §7.5.4 and the IANA registry) that
 * only a KDC puts into a ticket. */
enum {
	AD_KDC_ISSUED = 4,          /* RFC 4120 §5.2.6.2 */
	AD_MANDATORY_FOR_KDC = 8,   /* RFC 4120 §5.2.6.4 */
	AD_FX_FAST_ARMOR = 71,      /* RFC 6113 (FAST) */
	AD_FX_FAST_USED = 72,       /* RFC 6113 (FAST) */
	AD_CAMMAC = 96,             /* RFC 7751 */
	AD_AUTH_INDICATOR = 97,     /* RFC 8129 */
	AD_WIN2K_PAC = 128,         /* MS-PAC */
	AD_SIGNTICKET = 512,        /* MIT's KDC signature over the ticket */
};

/* The types MIT's KDC strips from untrusted authorization data
 * (4, 96, 97, 128, 512), and the two FAST markers of RFC 6113, which a
 * client must not be able to claim for a ticket either. */
static bool
type_kdc_issued(int32_t t)
{
	switch (t) {
	case AD_KDC_ISSUED:
	case AD_FX_FAST_ARMOR:
	case AD_FX_FAST_USED:
	case AD_CAMMAC:
	case AD_AUTH_INDICATOR:
	case AD_WIN2K_PAC:
	case AD_SIGNTICKET:
		return true;
	default:
		return false;
	}
}

static orth_err filter_list(struct arena *a, const AuthorizationData *in, unsigned depth,
			    AuthorizationData *out, bool *changed_out, const char **why_out);

/*
 * The contents of an AD-IF-RELEVANT at nesting depth (1: a top-level
 * container's), filtered: out->len == 0 when nothing is left; out shares
 * in's bytes when nothing changed (DER re-encodes to the same bytes, but
 * there is no need to).
 */
static orth_err
container_filter(struct arena *a, const struct der_bytes *in, unsigned depth,
		 struct der_bytes *out, bool *changed_out, const char **why_out)
{
	orth_err ret = ORTH_OK;
	AD_IF_RELEVANT inner = {0};
	AuthorizationData kept = {0};
	bool changed = false;

	if (depth > KDC_AUTHZ_MAX_DEPTH) {
		*why_out = "AD-IF-RELEVANT nested too deep";
		ret = ORTH_E_KRB(KDC_ERR_POLICY);
		goto cleanup;
	}
	if (der_decode(&asn1_AD_IF_RELEVANT, in->data, in->len, a, &inner) != ORTH_OK) {
		*why_out = "malformed AD-IF-RELEVANT";
		ret = ORTH_E_KRB(KRB_ERR_GENERIC);
		goto cleanup;
	}
	TRY(filter_list(a, &inner, depth, &kept, &changed, why_out));
	if (kept.len == 0) {
		out->data = NULL;
		out->len = 0;
		changed = true;
	} else if (!changed) {
		*out = *in;
	} else {
		TRY(der_encode_arena(&asn1_AD_IF_RELEVANT, &kept, a, &out->data, &out->len));
	}
	*changed_out = changed;
cleanup:
	return ret;
}

/* in filtered into out (memory from a); depth: the containers around in. */
static orth_err
filter_list(struct arena *a, const AuthorizationData *in, unsigned depth,
	    AuthorizationData *out, bool *changed_out, const char **why_out)
{
	orth_err ret = ORTH_OK;
	AuthorizationData_elem *v = NULL;
	size_t n = 0;
	bool changed = false, sub;
	struct der_bytes data;

	if (in->len > 0) {
		v = arena_alloc(a, in->len * sizeof(*v));
		CHECK(v != NULL, ORTH_E_LIMIT);
	}
	for (size_t i = 0; i < in->len; i++) {
		const AuthorizationData_elem *e = &in->val[i];

		if (type_kdc_issued(e->ad_type)) {
			changed = true;
			continue;
		}
		if (e->ad_type == AD_MANDATORY_FOR_KDC) {
			*why_out = "AD-MANDATORY-FOR-KDC not understood";
			ret = ORTH_E_KRB(KDC_ERR_POLICY);
			goto cleanup;
		}
		v[n] = *e;
		if (e->ad_type == KRB5_AD_IF_RELEVANT) {
			sub = false;
			TRY(container_filter(a, &e->ad_data, depth + 1, &data, &sub, why_out));
			if (sub)
				changed = true;
			if (data.len == 0)
				continue;
			v[n].ad_data = data;
		}
		n++;
	}
	out->len = n;
	out->val = v;
	*changed_out = changed;
cleanup:
	return ret;
}

orth_err
kdc_authz_filter(struct arena *a, const AuthorizationData *in, AuthorizationData **out,
		 const char **why_out)
{
	orth_err ret = ORTH_OK;
	AuthorizationData *kept = NULL;
	bool changed = false;

	*why_out = NULL;
	if (in == NULL || in->len == 0)
		goto done;
	kept = arena_alloc(a, sizeof(*kept));
	CHECK(kept != NULL, ORTH_E_LIMIT);
	TRY(filter_list(a, in, 0, kept, &changed, why_out));
	if (kept->len == 0)
		kept = NULL;
done:
	*out = kept;
cleanup:
	return ret;
}
