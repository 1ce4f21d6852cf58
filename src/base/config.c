/*
 * config.c - the profile parser (MIT krb5.conf syntax) and the KDC's typed
 * view.  The parser is line-based, as MIT's profile library is: a line is a
 * section header, a relation, the opening of a subtree or its close.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "env.h"

static void
node_free(struct config_node *n)
{
	while (n != NULL) {
		struct config_node *next = n->next;
		node_free(n->child);
		free(n->name);
		free(n->value);
		free(n);
		n = next;
	}
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	node_free(cfg->root);
	for (size_t i = 0; i < cfg->nfiles; i++)
		free(cfg->files[i]);
	free(cfg->files);
	free(cfg->path);
	free(cfg);
}

/*
 * The parser follows MIT's profile library (util/profile/prof_parse.c), so
 * that a file MIT's tools read means the same to ours:
 *  - a file starts in a "comment" state: every line before the first one
 *    that begins (in column 1) with '[' is ignored;
 *  - `include PATH` / `includedir DIR` at the start of a line, anywhere;
 *    each included file starts in that comment state again and its
 *    sections merge into the same tree;
 *  - a section or a subtree whose name appeared before (at the same place)
 *    is the same node: repeated sections merge;
 *  - `NAME =` with nothing after '=' opens a subtree whose '{' is the first
 *    thing on the next line;
 *  - '*' after a tag (`name* = v`, `name* = {`), after ']' or '}' marks the
 *    node final: later values of that name are dropped;
 *  - comments are lines whose first non-blank is '#' or ';'; an unquoted
 *    value runs to the end of the line (blanks trimmed), a quoted one to
 *    its closing quote or the end of the line.
 * Our stricter choices, each an error naming FILE:LINE: a NUL byte, a
 * missing '}' at the end of a file (MIT ignores it), a relative include
 * path (MIT's documentation asks for absolute ones; MIT would open it
 * relative to the working directory), include loops and limits.
 */

/* Subsections and final relations, found by (parent, name): what the
 * merging and the final marker look up, in O(1) whatever the file size. */
struct slot {
	const struct config_node *parent;
	struct config_node *node;
	bool relation;
};

struct parser {
	struct config *cfg;
	struct config_node root;     /* the sections are its children */
	struct slot *slots;
	size_t nslots, used;         /* nslots: a power of two */
	unsigned nincluded;          /* files read besides the first */
	size_t total;                /* bytes read from all files */
	bool allow_include;
	char *err;
	size_t errlen;
};

/* One file's state (MIT's struct parse_state). */
enum fstate { FS_COMMENT, FS_LINE, FS_OBRACE };

struct pfile {
	const char *name;            /* interned in cfg->files */
	enum fstate state;
	unsigned depth;              /* include depth: 0 for the first file */
	unsigned level;              /* 0 before a section, 1 in it, +1 per '{' */
	unsigned discard;            /* level from which values are dropped */
	struct config_node *stack[CONFIG_MAX_DEPTH + 2]; /* stack[level] */
	unsigned open_line[CONFIG_MAX_DEPTH + 2];        /* where each '{' was */
	char *pend_tag;              /* FS_OBRACE: the tag of "NAME =" */
	unsigned pend_line;
	bool pend_final;
};

static uint64_t
slot_hash(const struct config_node *parent, const char *name, bool relation)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)(uintptr_t)parent ^ relation;
	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h ^ (h >> 29);
}

static struct slot *
slot_find(struct parser *ps, const struct config_node *parent, const char *name,
	  bool relation)
{
	size_t mask, i;
	if (ps->nslots == 0)
		return NULL;
	mask = ps->nslots - 1;
	for (i = slot_hash(parent, name, relation) & mask; ps->slots[i].node != NULL;
	     i = (i + 1) & mask) {
		struct slot *s = &ps->slots[i];
		if (s->parent == parent && s->relation == relation &&
		    strcmp(s->node->name, name) == 0)
			return s;
	}
	return &ps->slots[i];
}

static orth_err
slot_put(struct parser *ps, const struct config_node *parent, struct config_node *node,
	 bool relation)
{
	struct slot *s;
	if (2 * (ps->used + 1) > ps->nslots) {
		size_t n = ps->nslots ? 2 * ps->nslots : 64;
		struct slot *old = ps->slots;
		size_t oldn = ps->nslots;
		ps->slots = calloc(n, sizeof(*ps->slots));
		if (ps->slots == NULL) {
			ps->slots = old;
			return ORTH_E_NOMEM;
		}
		ps->nslots = n;
		for (size_t i = 0; i < oldn; i++)
			if (old[i].node != NULL)
				*slot_find(ps, old[i].parent, old[i].node->name, old[i].relation) =
					old[i];
		free(old);
	}
	s = slot_find(ps, parent, node->name, relation);
	if (s->node == NULL)
		ps->used++;
	s->parent = parent;
	s->node = node;
	s->relation = relation;
	return ORTH_OK;
}

static orth_err __attribute__((format(printf, 5, 6)))
fail_at(struct parser *ps, const struct pfile *pf, unsigned line, orth_err e,
	const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	orth_err_format(ps->err, ps->errlen, "%s:%u: %s", pf->name, line, what);
	return e;
}

/* A new node, last child of parent. */
static orth_err
node_add(const struct pfile *pf, unsigned line, struct config_node *parent,
	 const char *name, size_t name_len, const char *value, size_t value_len,
	 struct config_node **out)
{
	struct config_node *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return ORTH_E_NOMEM;
	n->line = line;
	n->file = pf->name;
	n->name = strndup(name, name_len);
	if (value != NULL)
		n->value = strndup(value, value_len);
	if (n->name == NULL || (value != NULL && n->value == NULL)) {
		node_free(n);
		return ORTH_E_NOMEM;
	}
	if (parent->last_child != NULL)
		parent->last_child->next = n;
	else
		parent->child = n;
	parent->last_child = n;
	*out = n;
	return ORTH_OK;
}

/* The subsection name of parent: the existing one (merged) or a new one. */
static orth_err
subsection_get(struct parser *ps, const struct pfile *pf, unsigned line,
	       struct config_node *parent, const char *name, size_t len,
	       struct config_node **out)
{
	orth_err ret;
	char *key = strndup(name, len);
	struct slot *s;
	if (key == NULL)
		return ORTH_E_NOMEM;
	s = slot_find(ps, parent, key, false);
	free(key);
	if (s != NULL && s->node != NULL) {
		*out = s->node;
		return ORTH_OK;
	}
	ret = node_add(pf, line, parent, name, len, NULL, 0, out);
	if (ret == ORTH_OK)
		ret = slot_put(ps, parent, *out, false);
	return ret;
}

static const char *
skip_blanks(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p;
}

static orth_err parse_path(struct parser *ps, const struct pfile *from, unsigned line,
			   const char *path, unsigned depth);

/* MIT's valid_name(): what includedir takes from a directory. */
static bool
include_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (name[0] == '.')
		return false;
	if (len >= 5 && strcmp(name + len - 5, ".conf") == 0)
		return true;
	for (const char *p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return false;
	return true;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* includedir: the files of dir in name order (directories skipped). */
static orth_err
include_dir(struct parser *ps, const struct pfile *pf, unsigned line, const char *dir)
{
	orth_err ret = ORTH_OK;
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL, *path = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL) {
		orth_err_format(ps->err, ps->errlen,
				"%s:%u: included directory %s could not be read (%s)", pf->name,
				line, dir, strerror(errno));
		CHECK(0, ORTH_E_CONFIG);
	}
	while ((de = readdir(d)) != NULL) {
		if (!include_name_ok(de->d_name))
			continue;
		if (n == cap) {
			char **t;
			if (cap >= CONFIG_MAX_INCLUDES) {
				ret = fail_at(ps, pf, line, ORTH_E_CONFIG,
					      "too many files in included directory %s", dir);
				goto cleanup;
			}
			cap = cap ? 2 * cap : 16;
			t = realloc(names, cap * sizeof(*names));
			CHECK(t != NULL, ORTH_E_NOMEM);
			names = t;
		}
		names[n] = strdup(de->d_name);
		CHECK(names[n] != NULL, ORTH_E_NOMEM);
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		size_t dl = strlen(dir);
		free(path);
		path = malloc(dl + strlen(names[i]) + 2);
		CHECK(path != NULL, ORTH_E_NOMEM);
		/* "dir/" as RHEL writes it: no doubled slash in messages */
		snprintf(path, dl + strlen(names[i]) + 2, "%s%s%s", dir,
			 dl > 0 && dir[dl - 1] == '/' ? "" : "/", names[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			continue;  /* MIT reads a directory as an empty file */
		TRY(parse_path(ps, pf, line, path, pf->depth + 1));
	}
cleanup:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	return ret;
}

/* `include PATH` or `includedir DIR` (ls..le is the rest of the line). */
static orth_err
include_line(struct parser *ps, const struct pfile *pf, unsigned line, bool dir,
	     const char *ls, const char *le)
{
	orth_err ret;
	char *path;

	if (!ps->allow_include)
		return fail_at(ps, pf, line, ORTH_E_CONFIG,
			       "%s is not allowed here (text parsed from memory)",
			       dir ? "includedir" : "include");
	ls = skip_blanks(ls, le);
	if (ls == le || *ls != '/')
		return fail_at(ps, pf, line, ORTH_E_CONFIG,
			       "%s needs an absolute path", dir ? "includedir" : "include");
	if (pf->depth + 1 > CONFIG_MAX_INCLUDE_DEPTH)
		return fail_at(ps, pf, line, ORTH_E_CONFIG,
			       "include nested too deep (a loop?)");
	path = strndup(ls, (size_t)(le - ls));
	if (path == NULL)
		return ORTH_E_NOMEM;
	if (dir)
		ret = include_dir(ps, pf, line, path);
	else
		ret = parse_path(ps, pf, line, path, pf->depth + 1);
	free(path);
	return ret;
}

/* Open the subtree tag (a '{'): merged with one of that name before. */
static orth_err
subtree_open(struct parser *ps, struct pfile *pf, unsigned line, const char *tag,
	     size_t len, bool final)
{
	orth_err ret = ORTH_OK;
	struct config_node *n;

	if (pf->level + 1 > CONFIG_MAX_DEPTH)
		return fail_at(ps, pf, line, ORTH_E_CONFIG, "nested too deep");
	pf->level++;
	pf->open_line[pf->level] = line;
	pf->stack[pf->level] = NULL;
	if (pf->discard != 0)
		return ORTH_OK;
	TRY(subsection_get(ps, pf, line, pf->stack[pf->level - 1], tag, len, &n));
	pf->stack[pf->level] = n;
	/* Seen before with the final marker: its values here are dropped
	 * until its '}'. */
	if (n->final)
		pf->discard = pf->level;
	if (final)
		n->final = true;
cleanup:
	return ret;
}

/* A relation tag = value, unless a final one of that name came first. */
static orth_err
relation_add(struct parser *ps, struct pfile *pf, unsigned line, const char *tag,
	     size_t len, const char *value, size_t vlen, bool final)
{
	orth_err ret = ORTH_OK;
	struct config_node *parent = pf->stack[pf->level], *n;
	char *name;
	struct slot *s;

	if (pf->discard != 0)
		return ORTH_OK;
	name = strndup(tag, len);
	if (name == NULL)
		return ORTH_E_NOMEM;
	s = slot_find(ps, parent, name, true);
	free(name);
	if (s != NULL && s->node != NULL)
		return ORTH_OK;
	TRY(node_add(pf, line, parent, tag, len, value, vlen, &n));
	if (final) {
		n->final = true;
		TRY(slot_put(ps, parent, n, true));
	}
cleanup:
	return ret;
}

/* The line after "NAME =": a '{' opens the subtree (the rest of the line
 * is ignored, as MIT does); anything else makes NAME a relation with an
 * empty value (MIT: "Missing open brace"; our kdc.conf has long written
 * `kpasswd_listen =` for "none"), and the line is then read as usual. */
static orth_err
pending_resolve(struct parser *ps, struct pfile *pf, bool brace, unsigned line)
{
	orth_err ret;
	char *tag = pf->pend_tag;

	pf->pend_tag = NULL;
	pf->state = FS_LINE;
	if (brace)
		ret = subtree_open(ps, pf, line, tag, strlen(tag), pf->pend_final);
	else
		ret = relation_add(ps, pf, pf->pend_line, tag, strlen(tag), "", 0,
				   pf->pend_final);
	free(tag);
	return ret;
}

/* A line in a section or a subtree (MIT's parse_std_line); ls..le is the
 * line without its leading and trailing blanks, not empty. */
static orth_err
std_line(struct parser *ps, struct pfile *pf, unsigned line, const char *ls, const char *le)
{
	const char *eq, *tag_end, *star, *v;
	struct config_node *n;
	orth_err ret;

	if (*ls == '#' || *ls == ';')
		return ORTH_OK;
	if (*ls == '[') {
		const char *rb = memchr(ls, ']', (size_t)(le - ls));
		const char *p;
		if (pf->level > 1)
			return fail_at(ps, pf, line, ORTH_E_CONFIG,
				       "section header inside '{' (missing '}')");
		if (rb == NULL)
			return fail_at(ps, pf, line, ORTH_E_CONFIG, "bad section header");
		p = rb + 1;
		if (p < le && *p == '*')
			p++;
		if (skip_blanks(p, le) != le)
			return fail_at(ps, pf, line, ORTH_E_CONFIG, "bad section header");
		ret = subsection_get(ps, pf, line, &ps->root, ls + 1, (size_t)(rb - ls - 1), &n);
		if (ret != ORTH_OK)
			return ret;
		pf->level = 1;
		pf->stack[1] = n;
		/* A section seen before with the final marker: its values
		 * here are dropped until the next section. */
		pf->discard = n->final ? 1 : 0;
		if (rb + 1 < le && rb[1] == '*')
			n->final = true;
		return ORTH_OK;
	}
	if (*ls == '}') {
		if (pf->level < 2)
			return fail_at(ps, pf, line, ORTH_E_CONFIG, "'}' without '{'");
		if (ls + 1 < le && ls[1] == '*' && pf->discard == 0)
			pf->stack[pf->level]->final = true;
		pf->level--;
		if (pf->level < pf->discard)
			pf->discard = 0;
		return ORTH_OK;
	}
	/* A relation or a subtree: TAG = VALUE, TAG = {, TAG = */
	eq = memchr(ls, '=', (size_t)(le - ls));
	if (eq == NULL)
		return fail_at(ps, pf, line, ORTH_E_CONFIG, "expected 'name = value'");
	if (eq == ls)
		return fail_at(ps, pf, line, ORTH_E_CONFIG, "bad relation name");
	tag_end = ls;
	while (tag_end < eq && !isspace((unsigned char)*tag_end))
		tag_end++;
	if (skip_blanks(tag_end, eq) != eq)
		return fail_at(ps, pf, line, ORTH_E_CONFIG, "bad relation name");
	star = memchr(ls, '*', (size_t)(tag_end - ls));
	if (star != NULL)
		tag_end = star;
	v = skip_blanks(eq + 1, le);
	if (v == le) {
		/* "NAME =": the '{' of a subtree should start the next line
		 * (MIT); what that line is decides (parse_text). */
		free(pf->pend_tag);
		pf->pend_tag = strndup(ls, (size_t)(tag_end - ls));
		if (pf->pend_tag == NULL)
			return ORTH_E_NOMEM;
		pf->pend_line = line;
		pf->pend_final = star != NULL;
		pf->state = FS_OBRACE;
		return ORTH_OK;
	}
	if (*v == '{' && skip_blanks(v + 1, le) == le)
		return subtree_open(ps, pf, line, ls, (size_t)(tag_end - ls), star != NULL);
	if (*v == '"') {
		/* MIT's parse_quoted_string: to the closing quote (or the end
		 * of the line), with \n \t \b and \X for X. */
		char *buf = malloc((size_t)(le - v));
		size_t o = 0;
		if (buf == NULL)
			return ORTH_E_NOMEM;
		for (const char *p = v + 1; p < le && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < le) {
				p++;
				buf[o++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'b' ? '\b' : *p;
			} else {
				buf[o++] = *p;
			}
		}
		ret = relation_add(ps, pf, line, ls, (size_t)(tag_end - ls), buf, o, star != NULL);
		free(buf);
		return ret;
	}
	return relation_add(ps, pf, line, ls, (size_t)(tag_end - ls), v, (size_t)(le - v),
			    star != NULL);
}

/* One file's text (MIT's parse_file and parse_line). */
static orth_err
parse_text(struct parser *ps, struct pfile *pf, const char *text, size_t len)
{
	orth_err ret = ORTH_OK;
	const char *p = text, *endall = text + len;
	unsigned line = 0;

	pf->stack[0] = &ps->root;
	while (p < endall) {
		const char *eol = memchr(p, '\n', (size_t)(endall - p));
		const char *raw, *ls, *le;
		if (eol == NULL)
			eol = endall;
		line++;
		raw = p;
		le = eol;
		p = eol < endall ? eol + 1 : endall;
		if (memchr(raw, '\0', (size_t)(le - raw)) != NULL) {
			ret = fail_at(ps, pf, line, ORTH_E_CONFIG, "NUL byte in line");
			goto cleanup;
		}
		while (le > raw && isspace((unsigned char)le[-1]))
			le--;
		/* Directives: in column 1, whatever the state. */
		if (le - raw > 10 && strncmp(raw, "includedir", 10) == 0 &&
		    isspace((unsigned char)raw[10])) {
			TRY(include_line(ps, pf, line, true, raw + 10, le));
			continue;
		}
		if (le - raw > 7 && strncmp(raw, "include", 7) == 0 &&
		    isspace((unsigned char)raw[7])) {
			TRY(include_line(ps, pf, line, false, raw + 7, le));
			continue;
		}
		ls = skip_blanks(raw, le);
		switch (pf->state) {
		case FS_COMMENT:
			if (le - raw > 6 && strncmp(raw, "module", 6) == 0 &&
			    isspace((unsigned char)raw[6])) {
				ret = fail_at(ps, pf, line, ORTH_E_CONFIG,
					      "profile modules are not supported");
				goto cleanup;
			}
			if (raw == le || *raw != '[')
				continue;
			pf->state = FS_LINE;
			TRY(std_line(ps, pf, line, ls, le));
			break;
		case FS_LINE:
			if (ls < le)
				TRY(std_line(ps, pf, line, ls, le));
			break;
		case FS_OBRACE:
			TRY(pending_resolve(ps, pf, ls < le && *ls == '{', line));
			if (ls < le && *ls != '{')
				TRY(std_line(ps, pf, line, ls, le));
			break;
		}
	}
	if (pf->state == FS_OBRACE)
		TRY(pending_resolve(ps, pf, false, line));
	if (pf->level > 1) {
		/* MIT's parser ignores this; a lost '}' is a typo that changes
		 * the meaning of everything after it. */
		orth_err_format(ps->err, ps->errlen, "%s:%u: missing '}' for '%s' opened at line %u",
				pf->name, line,
				pf->stack[pf->level] != NULL ? pf->stack[pf->level]->name : "?",
				pf->open_line[pf->level]);
		CHECK(0, ORTH_E_CONFIG);
	}
cleanup:
	return ret;
}

/* Keep name in cfg->files (nodes point at it); *out the stored copy. */
static orth_err
file_intern(struct config *cfg, const char *name, const char **out)
{
	char **t = realloc(cfg->files, (cfg->nfiles + 1) * sizeof(*t));
	if (t == NULL)
		return ORTH_E_NOMEM;
	cfg->files = t;
	t[cfg->nfiles] = strdup(name);
	if (t[cfg->nfiles] == NULL)
		return ORTH_E_NOMEM;
	*out = t[cfg->nfiles++];
	return ORTH_OK;
}

static orth_err
parse_buffer(struct parser *ps, const char *name, unsigned depth, const char *text, size_t len)
{
	orth_err ret;
	struct pfile *pf = calloc(1, sizeof(*pf));
	if (pf == NULL)
		return ORTH_E_NOMEM;
	pf->depth = depth;
	ret = file_intern(ps->cfg, name, &pf->name);
	if (ret == ORTH_OK)
		ret = parse_text(ps, pf, text, len);
	free(pf->pend_tag);
	free(pf);
	return ret;
}

/*
 * Read path (a regular file: a FIFO or a device would block or never end)
 * into *buf_out.  From an include directive (from != NULL) errors name its
 * line; the first file's are "PATH: what".
 */
static orth_err
read_file(struct parser *ps, const struct pfile *from, unsigned line, const char *path,
	  char **buf_out, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	char where[600] = "";

	if (from != NULL)
		snprintf(where, sizeof(where), "%s:%u: included file ", from->name, line);
	if (fd < 0) {
		orth_err_format(ps->err, ps->errlen, "%s%s: %s", where, path, strerror(errno));
		CHECK(0, from != NULL ? ORTH_E_CONFIG : errno == ENOENT ? ORTH_E_NOTFOUND : ORTH_E_IO);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		orth_err_format(ps->err, ps->errlen, "%s%s: not a regular file", where, path);
		CHECK(0, from != NULL ? ORTH_E_CONFIG : ORTH_E_IO);
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	for (;;) {
		ssize_t r = read(fd, buf + n, CONFIG_MAX_FILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			orth_err_format(ps->err, ps->errlen, "%s%s: %s", where, path,
					strerror(errno));
			CHECK(0, from != NULL ? ORTH_E_CONFIG : ORTH_E_IO);
		}
		if (r == 0 || n + (size_t)r > CONFIG_MAX_FILE) {
			n += (size_t)r;
			break;
		}
		n += (size_t)r;
	}
	if (n > CONFIG_MAX_FILE || ps->total + n > CONFIG_MAX_TOTAL) {
		orth_err_format(ps->err, ps->errlen, "%s%s: file too large", where, path);
		CHECK(0, from != NULL ? ORTH_E_CONFIG : ORTH_E_LIMIT);
	}
	ps->total += n;
	*buf_out = buf;
	*len_out = n;
	buf = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

static orth_err
parse_path(struct parser *ps, const struct pfile *from, unsigned line, const char *path,
	   unsigned depth)
{
	orth_err ret;
	char *buf = NULL;
	size_t len = 0;

	if (from != NULL && ++ps->nincluded > CONFIG_MAX_INCLUDES)
		return fail_at(ps, from, line, ORTH_E_CONFIG, "too many included files");
	TRY(read_file(ps, from, line, path, &buf, &len));
	TRY(parse_buffer(ps, path, depth, buf, len));
cleanup:
	free(buf);
	return ret;
}

static orth_err
parse_begin(struct parser *ps, const char *name, char *err, size_t errlen)
{
	memset(ps, 0, sizeof(*ps));
	ps->err = err;
	ps->errlen = errlen;
	ps->cfg = calloc(1, sizeof(*ps->cfg));
	if (ps->cfg == NULL)
		return ORTH_E_NOMEM;
	ps->cfg->path = strdup(name);
	return ps->cfg->path != NULL ? ORTH_OK : ORTH_E_NOMEM;
}

/* Hand the tree over to *out on success; free everything else. */
static orth_err
parse_end(struct parser *ps, orth_err ret, struct config **out)
{
	free(ps->slots);
	if (ps->cfg != NULL)
		ps->cfg->root = ps->root.child;
	if (ret == ORTH_OK) {
		*out = ps->cfg;
		ps->cfg = NULL;
	}
	config_free(ps->cfg);
	return ret;
}

orth_err
config_parse_string(const char *text, size_t len, const char *name,
		    struct config **out, char *err, size_t errlen)
{
	struct parser ps;
	orth_err ret;

	if (name == NULL)
		name = "(config)";
	ret = parse_begin(&ps, name, err, errlen);
	if (ret == ORTH_OK)
		ret = parse_buffer(&ps, name, 0, text, len);
	return parse_end(&ps, ret, out);
}

orth_err
config_parse_file(const char *path, struct config **out, char *err, size_t errlen)
{
	struct parser ps;
	orth_err ret;

	ret = parse_begin(&ps, path, err, errlen);
	ps.allow_include = true;
	if (ret == ORTH_OK)
		ret = parse_path(&ps, NULL, 0, path, 0);
	return parse_end(&ps, ret, out);
}

const char *
config_path_choose(const char *opt)
{
	const char *env;
	if (opt != NULL)
		return opt;
	env = env_get("ORTHRUS_CONFIG");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONFIG_DEFAULT_PATH;
}

const struct config_node *
config_node_find(const struct config *cfg, const struct config_node *node,
		 const char *name)
{
	const struct config_node *n = node ? node->child : cfg->root;
	for (; n != NULL; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

const char *
config_get(const struct config *cfg, ...)
{
	va_list ap;
	const char *name;
	const struct config_node *n = NULL;
	bool first = true;

	va_start(ap, cfg);
	while ((name = va_arg(ap, const char *)) != NULL) {
		n = config_node_find(cfg, first ? NULL : n, name);
		first = false;
		if (n == NULL)
			break;
	}
	va_end(ap);
	return n != NULL ? n->value : NULL;
}

orth_err
config_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"true", "yes", "on", "1", "y", "t"};
	static const char *no[] = {"false", "no", "off", "0", "n", "nil", "f"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return ORTH_OK;
		}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return ORTH_OK;
		}
	return ORTH_E_CONFIG;
}

#define DURATION_MAX ((int64_t)100 * 366 * 86400)

static bool
read_num(const char **pp, int64_t *v)
{
	const char *p = *pp;
	int64_t n = 0;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p)) {
		n = n * 10 + (*p - '0');
		if (n > DURATION_MAX)
			return false;
		p++;
	}
	*v = n;
	*pp = p;
	return true;
}

orth_err
config_parse_duration(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t total = 0, v;
	bool any = false;

	while (isspace((unsigned char)*p))
		p++;
	/* h:m[:s] */
	if (strchr(p, ':') != NULL) {
		int64_t h, m, sec = 0;
		if (!read_num(&p, &h) || *p++ != ':' || !read_num(&p, &m) || m > 59)
			return ORTH_E_CONFIG;
		if (*p == ':') {
			p++;
			if (!read_num(&p, &sec) || sec > 59)
				return ORTH_E_CONFIG;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '\0' || h > DURATION_MAX / 3600)
			return ORTH_E_CONFIG;
		*out = h * 3600 + m * 60 + sec;
		return ORTH_OK;
	}
	while (*p != '\0') {
		int64_t mult = 1;
		if (!read_num(&p, &v))
			return ORTH_E_CONFIG;
		while (isspace((unsigned char)*p))
			p++;
		switch (*p) {
		case 'd': mult = 86400; p++; break;
		case 'h': mult = 3600; p++; break;
		case 'm': mult = 60; p++; break;
		case 's': mult = 1; p++; break;
		case '\0': break;
		default:
			if (!isdigit((unsigned char)*p))
				return ORTH_E_CONFIG;
			/* a bare number followed by another term: "1 2h" is odd */
			return ORTH_E_CONFIG;
		}
		if (v > DURATION_MAX / mult)
			return ORTH_E_CONFIG;
		total += v * mult;
		if (total > DURATION_MAX)
			return ORTH_E_CONFIG;
		any = true;
		while (isspace((unsigned char)*p))
			p++;
	}
	if (!any)
		return ORTH_E_CONFIG;
	*out = total;
	return ORTH_OK;
}

orth_err
config_split_list(const char *s, char (*items)[64], size_t max, size_t *n_out)
{
	size_t n = 0;
	const char *p = s;
	while (*p != '\0') {
		size_t len;
		while (*p != '\0' && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " \t\r\n,");
		if (n >= max || len >= 64)
			return ORTH_E_LIMIT;
		memcpy(items[n], p, len);
		items[n][len] = '\0';
		n++;
		p += len;
	}
	*n_out = n;
	return ORTH_OK;
}

static void
warn_unknown(const struct config_node *n, const char *where)
{
	fprintf(stderr, "%s:%u: warning: unknown relation '%s' in %s (ignored)\n",
		n->file, n->line, n->name, where);
}

static bool
is_relation(const struct config_node *n)
{
	return n->value != NULL;
}

static orth_err
load_listen(const struct config_node *n,
	    char (*items)[64], size_t *count, char *err, size_t errlen)
{
	size_t k = 0;
	if (!is_relation(n) ||
	    config_split_list(n->value, items + *count, KDC_CONFIG_MAX_LISTEN - *count, &k) != ORTH_OK) {
		orth_err_format(err, errlen, "%s:%u: bad or too many addresses in %s", n->file,
			n->line, n->name);
		return ORTH_E_CONFIG;
	}
	*count += k;
	return ORTH_OK;
}

static orth_err
load_realm(const struct config_node *rn,
	   int32_t (*etfn)(const char *), struct kdc_config_realm *r, char *err,
	   size_t errlen)
{
	static const int32_t default_enctypes[] = {18, 17, 20, 19};
	const struct config_node *n;
	bool have_enctypes = false;

	memset(r, 0, sizeof(*r));
	r->name = rn->name;
	r->master_key_type = 18;
	r->max_life = 86400;
	r->keep_old_keys = 3;
	if (rn->value != NULL) {
		orth_err_format(err, errlen, "%s:%u: realm %s must be a '{ ... }' block", rn->file,
			rn->line, rn->name);
		return ORTH_E_CONFIG;
	}
	for (n = rn->child; n != NULL; n = n->next) {
		const char *v = n->value;
		bool bad = false;
		if (v == NULL && strcmp(n->name, "kdc") != 0) {
			/* subtrees inside a realm: none known to the KDC */
			warn_unknown(n, rn->name);
			continue;
		}
		if (strcmp(n->name, "database_name") == 0)
			r->database_name = v;
		else if (strcmp(n->name, "key_stash_file") == 0)
			r->key_stash_file = v;
		else if (strcmp(n->name, "master_key_type") == 0) {
			char buf[64];
			snprintf(buf, sizeof(buf), "%s", v);
			buf[strcspn(buf, ":")] = '\0';
			r->master_key_type = etfn ? etfn(buf) : -1;
			bad = r->master_key_type < 0;
		} else if (strcmp(n->name, "max_life") == 0)
			bad = config_parse_duration(v, &r->max_life) != ORTH_OK;
		else if (strcmp(n->name, "max_renewable_life") == 0)
			bad = config_parse_duration(v, &r->max_renewable_life) != ORTH_OK;
		else if (strcmp(n->name, "supported_enctypes") == 0) {
			char items[KDC_CONFIG_MAX_ENCTYPES][64];
			size_t k = 0;
			bad = config_split_list(v, items, KDC_CONFIG_MAX_ENCTYPES, &k) != ORTH_OK;
			r->n_enctypes = 0;
			for (size_t i = 0; !bad && i < k; i++) {
				int32_t et;
				bool dup = false;
				/* MIT style "aes256-cts:normal": the salt suffix is ignored. */
				items[i][strcspn(items[i], ":")] = '\0';
				et = etfn ? etfn(items[i]) : -1;
				if (et < 0) {
					orth_err_format(err, errlen, "%s:%u: unknown enctype '%s'", n->file,
						n->line, items[i]);
					return ORTH_E_CONFIG;
				}
				for (size_t j = 0; j < r->n_enctypes; j++)
					dup |= r->supported_enctypes[j] == et;
				if (!dup)
					r->supported_enctypes[r->n_enctypes++] = et;
			}
			bad = bad || r->n_enctypes == 0;
			have_enctypes = true;
		} else if (strcmp(n->name, "default_principal_flags") == 0)
			r->default_principal_flags = v;
		else if (strcmp(n->name, "keep_old_keys") == 0) {
			char *e;
			unsigned long k = strtoul(v, &e, 10);
			bad = *v == '\0' || *e != '\0' || k > 10;
			r->keep_old_keys = (unsigned)k;
		} else if (strcmp(n->name, "database_map_size") == 0) {
			char *e;
			unsigned long long k = strtoull(v, &e, 10);
			if (*e == 'k' || *e == 'K')
				k <<= 10, e++;
			else if (*e == 'm' || *e == 'M')
				k <<= 20, e++;
			else if (*e == 'g' || *e == 'G')
				k <<= 30, e++;
			bad = *v == '\0' || *e != '\0' || k < 65536;
			r->database_map_size = k;
		} else if (strcmp(n->name, "kdc_listen") == 0) {
			if (load_listen(n, r->listen, &r->n_listen, err, errlen))
				return ORTH_E_CONFIG;
		} else if (strcmp(n->name, "kdc_tcp_listen") == 0) {
			if (load_listen(n, r->tcp_listen, &r->n_tcp_listen, err, errlen))
				return ORTH_E_CONFIG;
		} else if (strcmp(n->name, "kpasswd_listen") == 0) {
			if (load_listen(n, r->kpasswd_listen, &r->n_kpasswd_listen, err,
					errlen))
				return ORTH_E_CONFIG;
			r->kpasswd_listen_set = true;
		} else if (strcmp(n->name, "acl_file") == 0) {
			r->acl_file = v;
		} else if (strcmp(n->name, "requires_fast") == 0) {
			bad = config_parse_bool(v, &r->requires_fast) != ORTH_OK;
		} else if (strcmp(n->name, "spake_preauth_groups") == 0) {
			r->spake_preauth_groups = v;
		} else if (strcmp(n->name, "kdc") == 0 || strcmp(n->name, "admin_server") == 0 ||
			   strcmp(n->name, "kdc_ports") == 0 || strcmp(n->name, "kdc_tcp_ports") == 0 ||
			   strcmp(n->name, "kpasswd_server") == 0) {
			/* krb5.conf / kadmind relations: harmless here */
		} else if (strcmp(n->name, "database_module") == 0) {
			/* the directory backend's (src/db/ldap_config.h) */
		} else
			warn_unknown(n, rn->name);
		if (bad) {
			orth_err_format(err, errlen, "%s:%u: bad value for %s: '%s'", n->file, n->line,
				n->name, v);
			return ORTH_E_CONFIG;
		}
	}
	if (!have_enctypes) {
		memcpy(r->supported_enctypes, default_enctypes, sizeof(default_enctypes));
		r->n_enctypes = 4;
	}
	if (r->database_name == NULL || r->key_stash_file == NULL) {
		snprintf(r->default_paths[0], sizeof(r->default_paths[0]),
			 "/var/lib/orthrus/%s.mdb", r->name);
		snprintf(r->default_paths[1], sizeof(r->default_paths[1]),
			 "/etc/orthrus/%s.stash", r->name);
		if (r->database_name == NULL)
			r->database_name = r->default_paths[0];
		if (r->key_stash_file == NULL)
			r->key_stash_file = r->default_paths[1];
	}
	return ORTH_OK;
}

orth_err
kdc_config_load(const struct config *cfg, int32_t (*enctype_from_name)(const char *),
		struct kdc_config *out, char *err, size_t errlen)
{
	const struct config_node *sec, *n;
	memset(out, 0, sizeof(*out));

	for (sec = cfg->root; sec != NULL; sec = sec->next) {
		if (strcmp(sec->name, "kdcdefaults") == 0) {
			for (n = sec->child; n != NULL; n = n->next) {
				if (strcmp(n->name, "kdc_listen") == 0) {
					if (load_listen(n, out->listen, &out->n_listen, err, errlen))
						return ORTH_E_CONFIG;
				} else if (strcmp(n->name, "kdc_tcp_listen") == 0) {
					if (load_listen(n, out->tcp_listen, &out->n_tcp_listen,
							err, errlen))
						return ORTH_E_CONFIG;
				} else if (strcmp(n->name, "kpasswd_listen") == 0) {
					if (load_listen(n, out->kpasswd_listen,
							&out->n_kpasswd_listen, err, errlen))
						return ORTH_E_CONFIG;
					out->kpasswd_listen_set = true;
				} else if (is_relation(n) && strcmp(n->name, "user") == 0) {
					out->user = n->value;
				} else if (is_relation(n) && strcmp(n->name, "group") == 0) {
					out->group = n->value;
				} else if (is_relation(n) && strcmp(n->name, "metrics_listen") == 0) {
					out->metrics_listen = n->value[0] != '\0' ? n->value : NULL;
				} else if (strcmp(n->name, "spake_preauth_groups") == 0 &&
					   n->value != NULL) {
					out->spake_preauth_groups = n->value;
				} else if (strcmp(n->name, "kdc_ports") == 0 ||
					   strcmp(n->name, "kdc_tcp_ports") == 0) {
					/* MIT relations, subsumed by kdc_listen */
				} else
					warn_unknown(n, "[kdcdefaults]");
			}
		} else if (strcmp(sec->name, "realms") == 0) {
			for (n = sec->child; n != NULL; n = n->next) {
				orth_err ret;
				if (out->n_realms >= KDC_CONFIG_MAX_REALMS) {
					orth_err_format(err, errlen, "%s:%u: too many realms", n->file, n->line);
					return ORTH_E_CONFIG;
				}
				ret = load_realm(n, enctype_from_name,
						 &out->realms[out->n_realms], err, errlen);
				if (ret != ORTH_OK)
					return ret;
				out->n_realms++;
			}
		} else if (strcmp(sec->name, "libdefaults") == 0) {
			n = config_node_find(cfg, sec, "default_realm");
			if (n != NULL && n->value != NULL)
				out->default_realm = n->value;
		} else if (strcmp(sec->name, "logging") == 0 ||
			   strcmp(sec->name, "domain_realm") == 0 ||
			   strcmp(sec->name, "dbmodules") == 0 ||
			   strcmp(sec->name, "capaths") == 0) {
			/* sections of krb5.conf/kdc.conf the KDC does not use */
		} else {
			fprintf(stderr, "%s:%u: warning: unknown section [%s] (ignored)\n",
				sec->file, sec->line, sec->name);
		}
	}
	if (out->default_realm == NULL && out->n_realms == 1)
		out->default_realm = out->realms[0].name;
	for (size_t i = 0; i < out->n_realms; i++)
		if (out->realms[i].spake_preauth_groups == NULL)
			out->realms[i].spake_preauth_groups = out->spake_preauth_groups;
	return ORTH_OK;
}

const struct kdc_config_realm *
kdc_config_realm(const struct kdc_config *kc, const char *name)
{
	if (name == NULL)
		name = kc->default_realm;
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < kc->n_realms; i++)
		if (strcmp(kc->realms[i].name, name) == 0)
			return &kc->realms[i];
	return NULL;
}
