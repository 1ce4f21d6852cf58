/*
 * ldap_entry_fuzz.c - libFuzzer harnesses for what a KDC reads from an
 * LDAP directory (src/db/ldap_entry.h), one chosen at build time:
 *
 *   -DFUZZ_LDAP_KEYSET  the input is one krbPrincipalKey value (KrbKeySet
 *                       DER); what decodes encodes, and that encoding
 *                       decodes and encodes to itself (the input itself
 *                       may differ: MIT's mkvno, an absent salt, another
 *                       minor version are read but written our way).
 *   -DFUZZ_LDAP_ENTRY   the input is an entry in a small text form:
 *                       "dn: DN" on the first line, then "attr: value"
 *                       lines, or "attr:: HEX" for a binary value;
 *                       consecutive lines of one attribute are its values.
 *                       It is decoded as a principal and as a policy; a
 *                       principal that decodes encodes again, and that
 *                       decodes to the same db record (and likewise a
 *                       policy).
 * Seeds: `test_ldap_entry --write-seeds fuzz/corpus`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "db/ldap_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena a;

#if defined(FUZZ_LDAP_KEYSET)
static void
one(const uint8_t *data, size_t size)
{
	struct db_keyset ks, ks2;
	uint8_t *out = NULL, *out2 = NULL;
	size_t len = 0, len2 = 0;

	if (ldap_keyset_decode(data, size, &a, &ks) != ORTH_OK)
		return;
	if (ldap_keyset_encode(&ks, &a, &out, &len) != ORTH_OK ||
	    ldap_keyset_decode(out, len, &a, &ks2) != ORTH_OK ||
	    ldap_keyset_encode(&ks2, &a, &out2, &len2) != ORTH_OK || len != len2 ||
	    memcmp(out, out2, len) != 0 || ks.kvno != ks2.kvno || ks.nkeys != ks2.nkeys)
		abort();
}
#elif defined(FUZZ_LDAP_ENTRY)
/* The text form into *d (arena memory); false when it does not parse. */
static bool
parse(const uint8_t *p, size_t n, struct ldap_dentry *d)
{
	struct ldap_attr *attrs = arena_alloc(&a, (LDAP_MAX_ATTRS + 2) * sizeof(*attrs));
	struct ldap_value *vals;
	size_t nattrs = 0, nv = 0, cap = n / 2 + 1;
	bool first = true;

	vals = arena_alloc(&a, cap * sizeof(*vals));
	if (attrs == NULL || vals == NULL)
		return false;
	memset(d, 0, sizeof(*d));
	while (n > 0) {
		const uint8_t *nl = memchr(p, '\n', n), *colon;
		size_t len = nl != NULL ? (size_t)(nl - p) : n, nlen;
		bool hex;
		uint8_t *v;
		size_t vlen;

		colon = memchr(p, ':', len);
		if (colon == NULL)
			return false;
		nlen = (size_t)(colon - p);
		hex = nlen + 1 < len && colon[1] == ':';
		v = (uint8_t *)(uintptr_t)colon + (hex ? 2 : 1);
		if (v < p + len && *v == ' ')
			v++;
		vlen = (size_t)(p + len - v);
		if (hex) {
			uint8_t *bin = arena_alloc(&a, vlen / 2 + 1);
			if (bin == NULL || vlen % 2 != 0)
				return false;
			for (size_t i = 0; i < vlen / 2; i++) {
				int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);
				if (hi < 0 || lo < 0)
					return false;
				bin[i] = (uint8_t)(hi * 16 + lo);
			}
			v = bin;
			vlen /= 2;
		}
		char *name = arena_strndup(&a, (const char *)p, nlen);
		if (name == NULL)
			return false;
		if (first) {
			char *dn = arena_strndup(&a, (const char *)v, vlen);
			if (dn == NULL || strcmp(name, "dn") != 0 || strlen(dn) != vlen)
				return false;
			d->dn = dn;
			first = false;
		} else {
			if (nv >= cap)
				return false;
			if (nattrs == 0 || strcmp(attrs[nattrs - 1].name, name) != 0) {
				if (nattrs > LDAP_MAX_ATTRS)
					return false;
				attrs[nattrs++] = (struct ldap_attr){name, 0, &vals[nv]};
			}
			vals[nv++] = (struct ldap_value){v, vlen};
			attrs[nattrs - 1].nvals++;
		}
		if (nl == NULL)
			break;
		n -= len + 1;
		p += len + 1;
	}
	d->attrs = attrs;
	d->nattrs = nattrs;
	return !first;
}

static void
one(const uint8_t *data, size_t size)
{
	static uint8_t r1[DB_MAX_RECORD], r2[DB_MAX_RECORD];
	struct ldap_dentry d, d2;
	struct db_entry e, e2;
	struct db_policy p, p2;
	struct ldap_failures f;
	char err[256];
	size_t l1 = 0, l2 = 0;

	if (!parse(data, size, &d))
		return;
	if (ldap_entry_decode(&d, &a, &e, &f, err, sizeof(err)) == ORTH_OK) {
		ldap_failures_fold(&f, 600, &e);
		/* The failure records and the operational attributes are not
		 * written back: compare without them. */
		e.fail_count = 0;
		e.last_failed = 0;
		e.last_success = 0;
		e.mod_time = 0;
		if (ldap_entry_encode(&e, "dc=fuzz", "dc=fuzz", &a, &d2) != ORTH_OK ||
		    ldap_entry_decode(&d2, &a, &e2, NULL, err, sizeof(err)) != ORTH_OK ||
		    db_entry_encode(&e, r1, sizeof(r1), &l1) != ORTH_OK ||
		    db_entry_encode(&e2, r2, sizeof(r2), &l2) != ORTH_OK || l1 != l2 ||
		    memcmp(r1, r2, l1) != 0)
			abort();
	}
	if (ldap_policy_decode(&d, &a, &p, err, sizeof(err)) == ORTH_OK) {
		if (ldap_policy_encode(&p, "dc=fuzz", &a, &d2) != ORTH_OK ||
		    ldap_policy_decode(&d2, &a, &p2, err, sizeof(err)) != ORTH_OK ||
		    db_policy_encode(&p, r1, sizeof(r1), &l1) != ORTH_OK ||
		    db_policy_encode(&p2, r2, sizeof(r2), &l2) != ORTH_OK || l1 != l2 ||
		    memcmp(r1, r2, l1) != 0)
			abort();
	}
}
#else
#error "build with -DFUZZ_LDAP_KEYSET or -DFUZZ_LDAP_ENTRY"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (a.base == NULL && arena_init(&a, 1 << 24) != ORTH_OK)
		abort();
	one(data, size);
	arena_reset(&a);
	return 0;
}
