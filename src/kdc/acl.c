/*
 * acl.c - the kadm5.acl subset.  See acl.h.
 */
#include "acl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"

#define ACL_MAX_BACKREF 9
#define ACL_MAX_LINE 4096

struct acl_entry {
	struct principal client;     /* unused when any_client */
	struct principal target;     /* unused when any_target */
	bool any_client, any_target;
	unsigned allowed;            /* KDC_ACL_* */
};

struct kdc_acl {
	struct arena a;              /* the names */
	struct acl_entry *e;
	size_t n;
};

static const struct {
	char op;
	unsigned mask;
} acl_ops[] = {
	{'a', KDC_ACL_ADD}, {'d', KDC_ACL_DELETE}, {'m', KDC_ACL_MODIFY},
	{'c', KDC_ACL_CHANGEPW}, {'i', KDC_ACL_INQUIRE}, {'l', KDC_ACL_LIST},
	{'p', KDC_ACL_IPROP}, {'s', KDC_ACL_SETKEY}, {'e', KDC_ACL_EXTRACT},
	{'x', KDC_ACL_ALL}, {'*', KDC_ACL_ALL},
};

static const char acl_blanks[] = "\t\n\f\v\r ,";

void
kdc_acl_free(struct kdc_acl *acl)
{
	if (acl == NULL)
		return;
	arena_free(&acl->a);
	free(acl->e);
	free(acl);
}

/* The permission string: lower case allows, upper case disallows, in
 * order (MIT).  false on an unknown letter. */
static bool
ops_parse(const char *s, size_t n, unsigned *out)
{
	unsigned m = 0;

	for (size_t i = 0; i < n; i++) {
		char lc = (char)tolower((unsigned char)s[i]);
		size_t k;
		for (k = 0; k < sizeof(acl_ops) / sizeof(acl_ops[0]); k++)
			if (acl_ops[k].op == lc)
				break;
		if (k == sizeof(acl_ops) / sizeof(acl_ops[0]))
			return false;
		if (lc == s[i])
			m |= acl_ops[k].mask;
		else
			m &= ~acl_ops[k].mask;
	}
	*out = m;
	return true;
}

/* The next field of [*p, end): *start, *len; false when there is none. */
static bool
field_next(const char **p, const char *end, const char **start, size_t *len)
{
	const char *s = *p;

	while (s < end && strchr(acl_blanks, *s) != NULL && *s != '\0')
		s++;
	if (s == end)
		return false;
	*start = s;
	while (s < end && (strchr(acl_blanks, *s) == NULL || *s == '\0'))
		s++;
	*len = (size_t)(s - *start);
	*p = s;
	return true;
}

/* A name field: "*" alone is any principal. */
static orth_err
name_parse(struct kdc_acl *acl, const char *s, size_t n, const char *realm, bool *any,
	   struct principal *out)
{
	char *text;

	*any = n == 1 && s[0] == '*';
	if (*any)
		return ORTH_OK;
	text = arena_strndup(&acl->a, s, n);
	if (text == NULL)
		return ORTH_E_LIMIT;
	return principal_parse(text, realm, &acl->a, out);
}

/* One line (without its newline) into *e; false with *what set when it
 * does not parse; *empty for a blank or comment line. */
static bool
line_parse(struct kdc_acl *acl, const char *s, const char *end, const char *realm,
	   struct acl_entry *e, bool *empty, const char **what)
{
	const char *f[3];
	size_t fl[3], nf = 0;
	const char *p = s, *c = s;

	while (c < end && isspace((unsigned char)*c))
		c++;
	*empty = c == end || *c == '#';
	if (*empty)
		return true;
	memset(e, 0, sizeof(*e));
	/* principal, permissions, target; the rest (restrictions) ignored */
	while (nf < 3 && field_next(&p, end, &f[nf], &fl[nf]))
		nf++;
	if (nf < 2) {
		*what = "a principal without permissions";
		return false;
	}
	if (memchr(s, '\0', (size_t)(end - s)) != NULL) {
		*what = "NUL byte in line";
		return false;
	}
	if (!ops_parse(f[1], fl[1], &e->allowed)) {
		*what = "unknown permission letter (known: admcilpsex*)";
		return false;
	}
	if (name_parse(acl, f[0], fl[0], realm, &e->any_client, &e->client) != ORTH_OK) {
		*what = "principal name does not parse";
		return false;
	}
	if (nf < 3)
		e->any_target = true;
	else if (name_parse(acl, f[2], fl[2], realm, &e->any_target, &e->target) != ORTH_OK) {
		*what = "target name does not parse";
		return false;
	}
	return true;
}

orth_err
kdc_acl_parse(const char *text, size_t len, const char *name, const char *realm,
	      struct kdc_acl **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct kdc_acl *acl = NULL;
	const char *p = text, *end = text + len, *eol, *what = NULL;
	unsigned line = 0;
	size_t cap = 0;

	CHECK(len <= KDC_ACL_MAX_FILE, ORTH_E_LIMIT);
	acl = calloc(1, sizeof(*acl));
	CHECK(acl != NULL, ORTH_E_NOMEM);
	/* names, component arrays and their copies: a few times the text */
	TRY(arena_init(&acl->a, 8 * len + 65536));
	while (p < end) {
		struct acl_entry e;
		bool empty;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		line++;
		if ((size_t)(eol - p) > ACL_MAX_LINE) {
			what = "line too long";
			goto bad;
		}
		if (!line_parse(acl, p, eol, realm, &e, &empty, &what))
			goto bad;
		p = eol < end ? eol + 1 : end;
		if (empty)
			continue;
		CHECK(acl->n < KDC_ACL_MAX_LINES, ORTH_E_LIMIT);
		if (acl->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct acl_entry *ne = realloc(acl->e, ncap * sizeof(*ne));
			CHECK(ne != NULL, ORTH_E_NOMEM);
			acl->e = ne;
			cap = ncap;
		}
		acl->e[acl->n++] = e;
	}
	*out = acl;
	acl = NULL;
	goto cleanup;
bad:
	orth_err_format(err, errlen, "%s:%u: %s", name, line, what);
	ret = ORTH_E_CONFIG;
cleanup:
	if (ret == ORTH_E_LIMIT)
		orth_err_format(err, errlen, "%s: too big (at most %u lines, %u bytes)", name,
				(unsigned)KDC_ACL_MAX_LINES, (unsigned)KDC_ACL_MAX_FILE);
	kdc_acl_free(acl);
	return ret;
}

orth_err
kdc_acl_load(const char *path, const char *realm, struct kdc_acl **out, char *err,
	     size_t errlen)
{
	orth_err ret = ORTH_OK;
	int fd = -1;
	struct stat st;
	char *buf = NULL;
	size_t got = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		orth_err_format(err, errlen, "cannot open ACL file %s: %s", path, strerror(errno));
		ret = errno == ENOENT ? ORTH_E_NOTFOUND : ORTH_E_IO;
		goto cleanup;
	}
	CHECK(fstat(fd, &st) == 0, ORTH_E_IO);
	if (!S_ISREG(st.st_mode) || st.st_size > KDC_ACL_MAX_FILE) {
		orth_err_format(err, errlen, "ACL file %s: not a regular file of at most %u bytes",
				path, (unsigned)KDC_ACL_MAX_FILE);
		ret = ORTH_E_LIMIT;
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n > 0, ORTH_E_IO);
		got += (size_t)n;
	}
	ret = kdc_acl_parse(buf, got, path, realm, out, err, errlen);
cleanup:
	if (ret == ORTH_E_IO && (err == NULL || errlen == 0 || err[0] == '\0'))
		orth_err_format(err, errlen, "cannot read ACL file %s", path);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

/* Backreferences: what the client's `*` components matched. */
struct acl_wild {
	const struct principal_comp *ref[ACL_MAX_BACKREF];
	size_t n;
};

static bool
comp_eq(const struct principal_comp *a, const char *s, size_t n)
{
	return a->len == n && memcmp(a->data, s, n) == 0;
}

/* MIT's match_data: pattern component pat against c. */
static bool
comp_match(const struct principal_comp *pat, const struct principal_comp *c, bool target,
	   struct acl_wild *w)
{
	if (comp_eq(pat, "*", 1)) {
		if (!target && w->n < ACL_MAX_BACKREF)
			w->ref[w->n++] = c;
		return true;
	}
	if (target && pat->len == 2 && pat->data[0] == '*' && pat->data[1] >= '1' &&
	    pat->data[1] <= '9') {
		size_t k = (size_t)(pat->data[1] - '1');
		return k < w->n && comp_eq(c, w->ref[k]->data, w->ref[k]->len);
	}
	return comp_eq(pat, c->data, c->len);
}

static bool
name_match(const struct principal *pat, const struct principal *p, bool target,
	   struct acl_wild *w)
{
	if (pat->ncomp != p->ncomp)
		return false;
	/* The realm may be `*`; it takes no part in backreferences. */
	if (!(pat->realm_len == 1 && pat->realm[0] == '*') &&
	    (pat->realm_len != p->realm_len || memcmp(pat->realm, p->realm, p->realm_len) != 0))
		return false;
	for (size_t i = 0; i < p->ncomp; i++)
		if (!comp_match(&pat->comp[i], &p->comp[i], target, w))
			return false;
	return true;
}

bool
kdc_acl_allows(const struct kdc_acl *acl, const struct principal *client,
	       const struct principal *target, unsigned op)
{
	if (acl == NULL)
		return false;
	for (size_t i = 0; i < acl->n; i++) {
		const struct acl_entry *e = &acl->e[i];
		struct acl_wild w = {.n = 0};

		if (!e->any_client && !name_match(&e->client, client, false, &w))
			continue;
		if (!e->any_target && !name_match(&e->target, target, true, &w))
			continue;
		return (e->allowed & op) == op;
	}
	return false;
}
