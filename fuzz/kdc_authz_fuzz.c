/*
 * kdc_authz_fuzz.c - libFuzzer harness for kdc_authz_filter() (src/kdc/
 * authz.h): the client's enc-authorization-data as it is once decrypted,
 * which the kdc_dispatch harness reaches only through seeds whose
 * ciphertext survives mutation.  The input is DER AuthorizationData.
 *
 * Oracles besides the sanitizers: what the filter lets through holds no
 * type the KDC issues and no AD-MANDATORY-FOR-KDC, at any depth (the
 * containers are decoded again here); and filtering the result again
 * changes nothing (same DER).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asn1/asn1.h"
#include "kdc/authz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* This harness's own list (authz.c's must not be both code and oracle). */
static bool
forbidden(int32_t t)
{
	return t == 4 || t == 8 || t == 71 || t == 72 || t == 96 || t == 97 || t == 128 ||
	       t == 512;
}

static void
walk(struct arena *a, const AuthorizationData *ad, unsigned depth)
{
	if (depth > KDC_AUTHZ_MAX_DEPTH + 1)
		abort();
	for (size_t i = 0; i < ad->len; i++) {
		AuthorizationData inner;

		if (forbidden(ad->val[i].ad_type))
			abort();
		if (ad->val[i].ad_type != 1)
			continue;
		memset(&inner, 0, sizeof(inner));
		if (der_decode(&asn1_AuthorizationData, ad->val[i].ad_data.data,
			       ad->val[i].ad_data.len, a, &inner) != ORTH_OK || inner.len == 0)
			abort();
		walk(a, &inner, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena a;
	AuthorizationData in, *out = NULL, *again = NULL;
	const char *why = NULL;
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0;
	orth_err ret;

	if (a.base == NULL && arena_init(&a, 1 << 22) != ORTH_OK)
		abort();
	arena_reset(&a);
	memset(&in, 0, sizeof(in));
	if (der_decode(&asn1_AuthorizationData, data, size, &a, &in) != ORTH_OK)
		return 0;
	ret = kdc_authz_filter(&a, &in, &out, &why);
	if (ret != ORTH_OK) {
		if (why == NULL && ret != ORTH_E_LIMIT)
			abort();
		return 0;
	}
	if (out == NULL)
		return 0;
	if (out->len == 0)
		abort();
	walk(&a, out, 0);
	if (kdc_authz_filter(&a, out, &again, &why) != ORTH_OK || again == NULL ||
	    der_encode_arena(&asn1_AuthorizationData, out, &a, &e1, &l1) != ORTH_OK ||
	    der_encode_arena(&asn1_AuthorizationData, again, &a, &e2, &l2) != ORTH_OK ||
	    l1 != l2 || memcmp(e1, e2, l1) != 0)
		abort();
	return 0;
}
