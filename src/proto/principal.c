/* principal.c - RFC 1964 §2.1.1 principal names. */
#include "principal.h"

#include <string.h>

#include "proto/krb5_const.h"

orth_err
principal_parse(const char *text, const char *default_realm, struct arena *a,
		struct principal *out)
{
	orth_err ret = ORTH_OK;
	size_t tlen, ncomp = 0, cur = 0;
	char *buf = NULL;           /* unescaped bytes, components then realm */
	size_t starts[PRINCIPAL_MAX_COMPONENTS + 1], lens[PRINCIPAL_MAX_COMPONENTS + 1];
	bool in_realm = false;
	size_t realm_start = 0, realm_len = 0;
	struct principal p;

	memset(&p, 0, sizeof(p));
	CHECK(text != NULL, ORTH_E_BADNAME);
	tlen = strlen(text);
	CHECK(tlen > 0 && tlen <= PRINCIPAL_MAX_TEXT, ORTH_E_BADNAME);
	buf = arena_alloc(a, tlen + 1);
	CHECK(buf != NULL, ORTH_E_LIMIT);

	starts[0] = 0;
	for (size_t i = 0; i < tlen; i++) {
		char c = text[i];
		if (c == '\\') {
			CHECK(i + 1 < tlen, ORTH_E_BADNAME);
			switch (text[++i]) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case '0': c = '\0'; break;
			case '\\': case '/': case '@': c = text[i]; break;
			default: CHECK(0, ORTH_E_BADNAME);
			}
			buf[cur++] = c;
			continue;
		}
		if (c == '@') {
			CHECK(!in_realm, ORTH_E_BADNAME);
			lens[ncomp] = cur - starts[ncomp];
			ncomp++;
			in_realm = true;
			realm_start = cur;
			continue;
		}
		if (c == '/' && !in_realm) {
			lens[ncomp] = cur - starts[ncomp];
			ncomp++;
			CHECK(ncomp < PRINCIPAL_MAX_COMPONENTS, ORTH_E_BADNAME);
			starts[ncomp] = cur;
			continue;
		}
		/* In the realm '/' is an ordinary character (as in MIT). */
		buf[cur++] = c;
	}
	if (!in_realm) {
		lens[ncomp] = cur - starts[ncomp];
		ncomp++;
	} else
		realm_len = cur - realm_start;
	for (size_t i = 0; i < ncomp; i++)
		CHECK(lens[i] > 0, ORTH_E_BADNAME);

	p.comp = arena_alloc(a, ncomp * sizeof(*p.comp));
	CHECK(p.comp != NULL, ORTH_E_LIMIT);
	p.ncomp = ncomp;
	for (size_t i = 0; i < ncomp; i++) {
		p.comp[i].data = arena_strndup(a, buf + starts[i], lens[i]);
		CHECK(p.comp[i].data != NULL, ORTH_E_LIMIT);
		p.comp[i].len = lens[i];
	}
	if (in_realm) {
		CHECK(realm_len > 0 && memchr(buf + realm_start, '\0', realm_len) == NULL,
		      ORTH_E_BADNAME);
		p.realm = arena_strndup(a, buf + realm_start, realm_len);
		p.realm_len = realm_len;
	} else {
		CHECK(default_realm != NULL && default_realm[0] != '\0', ORTH_E_BADNAME);
		p.realm_len = strlen(default_realm);
		p.realm = arena_strndup(a, default_realm, p.realm_len);
	}
	CHECK(p.realm != NULL, ORTH_E_LIMIT);
	p.name_type = (ncomp == 2 && strcmp(p.comp[0].data, "krbtgt") == 0)
			      ? KRB5_NT_SRV_INST
			      : KRB5_NT_PRINCIPAL;
	*out = p;
cleanup:
	return ret;
}

struct textbuf {
	char *buf;
	size_t cap, len;   /* len < cap always: room for the NUL */
	bool over;
};

static void
put_raw(struct textbuf *w, char c)
{
	if (w->len + 1 >= w->cap) {
		w->over = true;
		return;
	}
	w->buf[w->len++] = c;
}

/* Appends n bytes that need no escape. */
static void
put_run(struct textbuf *w, const char *s, size_t n)
{
	if (n >= w->cap - w->len) {
		w->over = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* RFC 1964 §2.1.1: escape what would otherwise be read as syntax.  Names
 * are unparsed several times per request (database key, log): runs of
 * plain characters are copied whole. */
static void
put_escaped(struct textbuf *w, const char *s, size_t n, bool realm)
{
	size_t i = 0, run;

	while (i < n) {
		char c = 0, e = 0;

		for (run = i; run < n; run++) {
			c = s[run];
			if (c == '\\' || c == '@' || (c == '/' && !realm) ||
			    (unsigned char)c <= '\n')
				break;
		}
		put_run(w, s + i, run - i);
		if (run == n)
			break;
		switch (c) {
		case '\n': e = 'n'; break;
		case '\t': e = 't'; break;
		case '\b': e = 'b'; break;
		case '\0': e = '0'; break;
		case '\\': e = '\\'; break;
		case '@': e = '@'; break;
		case '/': e = '/'; break;
		default: break;
		}
		if (e != 0) {
			put_raw(w, '\\');
			put_raw(w, e);
		} else
			put_raw(w, c);
		i = run + 1;
	}
}

orth_err
principal_unparse(const struct principal *p, char *buf, size_t cap, size_t *len_out)
{
	struct textbuf w = {buf, cap, 0, false};
	if (cap == 0)
		return ORTH_E_LIMIT;
	for (size_t i = 0; i < p->ncomp; i++) {
		if (i > 0)
			put_raw(&w, '/');
		put_escaped(&w, p->comp[i].data, p->comp[i].len, false);
	}
	put_raw(&w, '@');
	put_escaped(&w, p->realm, p->realm_len, true);
	if (w.over) {
		buf[0] = '\0';
		return ORTH_E_LIMIT;
	}
	buf[w.len] = '\0';
	if (len_out != NULL)
		*len_out = w.len;
	return ORTH_OK;
}

bool
principal_equal(const struct principal *a, const struct principal *b)
{
	if (a->ncomp != b->ncomp || a->realm_len != b->realm_len ||
	    memcmp(a->realm, b->realm, a->realm_len) != 0)
		return false;
	for (size_t i = 0; i < a->ncomp; i++)
		if (a->comp[i].len != b->comp[i].len ||
		    memcmp(a->comp[i].data, b->comp[i].data, a->comp[i].len) != 0)
			return false;
	return true;
}

orth_err
principal_salt(const struct principal *p, struct arena *a, uint8_t **salt_out,
	       size_t *len_out)
{
	size_t n = p->realm_len, off;
	uint8_t *s;
	for (size_t i = 0; i < p->ncomp; i++)
		n += p->comp[i].len;
	s = arena_alloc(a, n + 1);
	if (s == NULL)
		return ORTH_E_LIMIT;
	memcpy(s, p->realm, p->realm_len);
	off = p->realm_len;
	for (size_t i = 0; i < p->ncomp; i++) {
		memcpy(s + off, p->comp[i].data, p->comp[i].len);
		off += p->comp[i].len;
	}
	*salt_out = s;
	*len_out = n;
	return ORTH_OK;
}

orth_err
principal_build(struct arena *a, const char *realm, int32_t name_type, size_t ncomp,
		const char *const *comps, struct principal *out)
{
	struct principal p;
	if (ncomp == 0 || ncomp > PRINCIPAL_MAX_COMPONENTS || realm == NULL || realm[0] == '\0')
		return ORTH_E_BADNAME;
	p.name_type = name_type;
	p.realm_len = strlen(realm);
	p.realm = arena_strndup(a, realm, p.realm_len);
	p.ncomp = ncomp;
	p.comp = arena_alloc(a, ncomp * sizeof(*p.comp));
	if (p.realm == NULL || p.comp == NULL)
		return ORTH_E_LIMIT;
	for (size_t i = 0; i < ncomp; i++) {
		p.comp[i].len = strlen(comps[i]);
		if (p.comp[i].len == 0)
			return ORTH_E_BADNAME;
		p.comp[i].data = arena_strndup(a, comps[i], p.comp[i].len);
		if (p.comp[i].data == NULL)
			return ORTH_E_LIMIT;
	}
	*out = p;
	return ORTH_OK;
}
