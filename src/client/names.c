/*
 * names.c - include/orthrus/base.h: principal names (the cache's form,
 * ccache.h), enctype names, ticket flags and durations for applications.
 */
#include "orthrus/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "client_int.h"
#include "proto/krb5_const.h"

/* The public codes are the library's own numbers (base/err.h); two
 * enums, compared as numbers. */
#define SAME(a, b) ((int)(a) == (int)(b))
_Static_assert(SAME(ORTHRUS_E_MALFORMED, ORTH_E_MALFORMED) && SAME(ORTHRUS_E_TRUNCATED, ORTH_E_TRUNCATED) &&
	       SAME(ORTHRUS_E_LIMIT, ORTH_E_LIMIT) && SAME(ORTHRUS_E_RANGE, ORTH_E_RANGE) &&
	       SAME(ORTHRUS_E_BADNAME, ORTH_E_BADNAME) && SAME(ORTHRUS_E_USAGE, ORTH_E_USAGE) &&
	       SAME(ORTHRUS_E_CONFIG, ORTH_E_CONFIG),
	       "malformed-input codes");
_Static_assert(SAME(ORTHRUS_E_INTEGRITY, ORTH_E_INTEGRITY) && SAME(ORTHRUS_E_ENCTYPE, ORTH_E_ENCTYPE) &&
	       SAME(ORTHRUS_E_KEYSIZE, ORTH_E_KEYSIZE) && SAME(ORTHRUS_E_NOTFOUND, ORTH_E_NOTFOUND) &&
	       SAME(ORTHRUS_E_EXISTS, ORTH_E_EXISTS) && SAME(ORTHRUS_E_EXPIRED, ORTH_E_EXPIRED) &&
	       SAME(ORTHRUS_E_SKEW, ORTH_E_SKEW),
	       "integrity, not-found and policy codes");
_Static_assert(SAME(ORTHRUS_E_NOMEM, ORTH_E_NOMEM) && SAME(ORTHRUS_E_IO, ORTH_E_IO) &&
	       SAME(ORTHRUS_E_NOSPACE, ORTH_E_NOSPACE) && SAME(ORTHRUS_E_INTERNAL, ORTH_E_INTERNAL) &&
	       SAME(ORTHRUS_E_TIMEOUT, ORTH_E_TIMEOUT) && SAME(ORTHRUS_E_NETWORK, ORTH_E_NETWORK) &&
	       SAME(ORTHRUS_E_PERM, ORTH_E_PERM) && SAME(ORTHRUS_E_KRB(24), ORTH_E_KRB(24)),
	       "system and protocol codes");

const struct orthrus_principal *
client_principal_view(const struct ccache_principal *p)
{
	/* C17 §6.7.2.1: a struct and its first (only) member share their
	 * address. */
	return (const struct orthrus_principal *)(const void *)p;
}

orth_err
orthrus_principal_parse(const struct orthrus_context *ctx, const char *name,
			struct orthrus_principal **out)
{
	orth_err ret;
	struct orthrus_principal *p = calloc(1, sizeof(*p));

	CHECK(p != NULL, ORTH_E_NOMEM);
	CHECK(name != NULL, ORTH_E_BADNAME);
	TRY(ccache_principal_parse(name, ctx != NULL ? ctx->c.conf.default_realm : NULL,
				   &p->p));
	*out = p;
	p = NULL;
cleanup:
	orthrus_principal_free(p);
	return ret;
}

orth_err
orthrus_principal_unparse(const struct orthrus_principal *p, char **out)
{
	return ccache_principal_unparse(&p->p, out);
}

void
orthrus_principal_free(struct orthrus_principal *p)
{
	if (p == NULL)
		return;
	ccache_principal_free(&p->p);
	free(p);
}

int
orthrus_principal_equal(const struct orthrus_principal *a, const struct orthrus_principal *b)
{
	return ccache_principal_eq(&a->p, &b->p);
}

const char *
orthrus_principal_realm(const struct orthrus_principal *p)
{
	/* ccache_data keeps a NUL after its bytes */
	return p->p.realm.data != NULL ? (const char *)p->p.realm.data : "";
}

size_t
orthrus_principal_component_count(const struct orthrus_principal *p)
{
	return p->p.ncomps;
}

const char *
orthrus_principal_component(const struct orthrus_principal *p, size_t i, size_t *len_out)
{
	if (i >= p->p.ncomps)
		return NULL;
	if (len_out != NULL)
		*len_out = p->p.comps[i].len;
	return p->p.comps[i].data != NULL ? (const char *)p->p.comps[i].data : "";
}

const char *
orthrus_enctype_name(int32_t enctype)
{
	return crypto_enctype_supported(enctype) ? crypto_enctype_name(enctype) : NULL;
}

int32_t
orthrus_enctype_from_name(const char *name)
{
	int32_t e = name != NULL ? crypto_enctype_from_name(name) : -1;

	return e > 0 && crypto_enctype_supported(e) ? e : 0;
}

size_t
orthrus_enctype_key_length(int32_t enctype)
{
	return crypto_enctype_supported(enctype) ? crypto_enctype_keylen(enctype) : 0;
}

orth_err
orthrus_permitted_enctypes(const struct orthrus_context *ctx, int32_t *out, size_t max,
			   size_t *n_out)
{
	const struct client_conf *c = &ctx->c.conf;

	if (c->npermitted > max)
		return ORTH_E_LIMIT;
	memcpy(out, c->permitted, c->npermitted * sizeof(out[0]));
	*n_out = c->npermitted;
	return ORTH_OK;
}

void
orthrus_ticket_flags_format(uint32_t flags, char *buf, size_t cap)
{
	/* RFC 4120 §5.3 flags as MIT's klist letters, in its order. */
	static const struct {
		uint32_t bit;
		char c;
	} tab[] = {
		{TKT_FLG_FORWARDABLE, 'F'}, {TKT_FLG_FORWARDED, 'f'},
		{TKT_FLG_PROXIABLE, 'P'}, {TKT_FLG_PROXY, 'p'},
		{TKT_FLG_MAY_POSTDATE, 'D'}, {TKT_FLG_POSTDATED, 'd'},
		{TKT_FLG_INVALID, 'i'}, {TKT_FLG_RENEWABLE, 'R'},
		{TKT_FLG_INITIAL, 'I'}, {TKT_FLG_HW_AUTH, 'H'},
		{TKT_FLG_PRE_AUTH, 'A'}, {TKT_FLG_TRANSIT_POLICY_CHECKED, 'T'},
		{TKT_FLG_OK_AS_DELEGATE, 'O'}, {TKT_FLG_ANONYMOUS, 'a'},
	};
	size_t k = 0;

	if (cap == 0)
		return;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]) && k + 1 < cap; i++)
		if (flags & tab[i].bit)
			buf[k++] = tab[i].c;
	buf[k] = '\0';
}

orth_err
orthrus_duration_parse(const char *s, int64_t *out)
{
	return s != NULL ? config_parse_duration(s, out) : ORTH_E_CONFIG;
}
