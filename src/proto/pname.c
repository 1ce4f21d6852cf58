#include "pname.h"

#include <string.h>

orth_err
pname_to_principal(const PrincipalName *pn, const char *realm, struct arena *a,
		   struct principal *out)
{
	size_t n = pn->name_string.len;
	struct principal_comp *comp;

	if (n == 0 || n > PRINCIPAL_MAX_COMPONENTS || realm == NULL)
		return ORTH_E_BADNAME;
	comp = arena_alloc(a, n * sizeof(*comp));
	if (comp == NULL)
		return ORTH_E_LIMIT;
	for (size_t i = 0; i < n; i++) {
		comp[i].data = pn->name_string.val[i];
		comp[i].len = strlen(pn->name_string.val[i]);
	}
	out->name_type = pn->name_type;
	out->realm = (char *)realm;
	out->realm_len = strlen(realm);
	out->ncomp = n;
	out->comp = comp;
	return ORTH_OK;
}

orth_err
pname_from_principal(const struct principal *p, struct arena *a,
		     PrincipalName *out)
{
	char **val = arena_alloc(a, (p->ncomp ? p->ncomp : 1) * sizeof(*val));

	if (val == NULL)
		return ORTH_E_LIMIT;
	for (size_t i = 0; i < p->ncomp; i++) {
		/* The wire has no room for an embedded NUL (asn1.h). */
		if (memchr(p->comp[i].data, '\0', p->comp[i].len) != NULL)
			return ORTH_E_BADNAME;
		val[i] = p->comp[i].data;
	}
	out->name_type = p->name_type;
	out->name_string.len = p->ncomp;
	out->name_string.val = val;
	return ORTH_OK;
}

orth_err
pname_unparse(const PrincipalName *pn, const char *realm, char *buf, size_t cap)
{
	struct principal_comp comp[PRINCIPAL_MAX_COMPONENTS];
	struct principal p;
	size_t n = pn->name_string.len;

	if (cap == 0)
		return ORTH_E_LIMIT;
	buf[0] = '\0';
	if (n == 0 || n > PRINCIPAL_MAX_COMPONENTS || realm == NULL)
		return ORTH_E_BADNAME;
	for (size_t i = 0; i < n; i++) {
		comp[i].data = pn->name_string.val[i];
		comp[i].len = strlen(pn->name_string.val[i]);
	}
	p.name_type = pn->name_type;
	p.realm = (char *)realm;
	p.realm_len = strlen(realm);
	p.ncomp = n;
	p.comp = comp;
	return principal_unparse(&p, buf, cap, NULL);
}

bool
pname_equal(const PrincipalName *a, const PrincipalName *b)
{
	if (a->name_string.len != b->name_string.len)
		return false;
	for (size_t i = 0; i < a->name_string.len; i++)
		if (strcmp(a->name_string.val[i], b->name_string.val[i]) != 0)
			return false;
	return true;
}

orth_err
pname_build2(struct arena *a, int32_t name_type, const char *c1, const char *c2,
	     PrincipalName *out)
{
	char **val = arena_alloc(a, 2 * sizeof(*val));

	if (val == NULL)
		return ORTH_E_LIMIT;
	val[0] = (char *)c1;
	val[1] = (char *)c2;
	out->name_type = name_type;
	out->name_string.len = 2;
	out->name_string.val = val;
	return ORTH_OK;
}
