/*
 * config.c - the profile parser (MIT krb5.conf syntax) and the KDC's typed
 * view.  The parser is line-based, as MIT's profile library is: a line is a
 * section header, a relation, the opening of a subtree or its close.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	free(cfg->path);
	free(cfg);
}

static char *
strndup_trim(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

/* A quoted value: "..." with \" \\ \n \t.  Returns NULL on error. */
static char *
unquote(const char *s, size_t n, const char **end)
{
	char *out = malloc(n + 1);
	size_t o = 0, i = 1;
	if (out == NULL)
		return NULL;
	for (; i < n; i++) {
		if (s[i] == '"') {
			*end = s + i + 1;
			out[o] = '\0';
			return out;
		}
		if (s[i] == '\\' && i + 1 < n) {
			i++;
			switch (s[i]) {
			case 'n': out[o++] = '\n'; break;
			case 't': out[o++] = '\t'; break;
			case 'b': out[o++] = '\b'; break;
			default: out[o++] = s[i]; break;
			}
		} else
			out[o++] = s[i];
	}
	free(out);
	return NULL;
}

/* Append child as the last child of parent (or of the root list). */
static void
append(struct config_node **first, struct config_node *child)
{
	while (*first != NULL)
		first = &(*first)->next;
	*first = child;
}

static bool
only_final_marker(const char *p, const char *end)
{
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end && *p == '*')
		p++;
	while (p < end && isspace((unsigned char)*p))
		p++;
	return p == end;
}

orth_err
config_parse_string(const char *text, size_t len, const char *name,
		    struct config **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct config *cfg = NULL;
	struct config_node *stack[CONFIG_MAX_DEPTH + 1];
	size_t depth = 0;  /* 0: at section level; stack[0] = section */
	struct config_node *section = NULL;
	unsigned line = 0;
	const char *p = text, *endall = text + len;

	cfg = calloc(1, sizeof(*cfg));
	CHECK(cfg != NULL, ORTH_E_NOMEM);
	cfg->path = strdup(name ? name : "(config)");
	CHECK(cfg->path != NULL, ORTH_E_NOMEM);

	while (p < endall) {
		const char *eol = memchr(p, '\n', (size_t)(endall - p));
		const char *ls, *le;
		if (eol == NULL)
			eol = endall;
		line++;
		ls = p;
		le = eol;
		p = eol < endall ? eol + 1 : endall;
		while (ls < le && isspace((unsigned char)*ls))
			ls++;
		while (le > ls && isspace((unsigned char)le[-1]))
			le--;
		if (ls == le || *ls == '#' || *ls == ';')
			continue;
		if (memchr(ls, '\0', (size_t)(le - ls)) != NULL) {
			orth_err_format(err, errlen, "%s:%u: NUL byte in line", cfg->path, line);
			CHECK(0, ORTH_E_CONFIG);
		}
		if (*ls == '[') {
			const char *rb = memchr(ls, ']', (size_t)(le - ls));
			struct config_node *n;
			if (depth != 0) {
				orth_err_format(err, errlen, "%s:%u: section header inside '{' (missing '}')",
					cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			if (rb == NULL || rb == ls + 1 || !only_final_marker(rb + 1, le)) {
				orth_err_format(err, errlen, "%s:%u: bad section header", cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			n = calloc(1, sizeof(*n));
			CHECK(n != NULL, ORTH_E_NOMEM);
			n->line = line;
			n->name = strndup_trim(ls + 1, (size_t)(rb - ls - 1));
			append(&cfg->root, n);
			CHECK(n->name != NULL, ORTH_E_NOMEM);
			section = n;
			stack[0] = n;
			continue;
		}
		if (*ls == '}') {
			if (depth == 0) {
				orth_err_format(err, errlen, "%s:%u: '}' without '{'", cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			if (!only_final_marker(ls + 1, le)) {
				orth_err_format(err, errlen, "%s:%u: text after '}'", cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			depth--;
			continue;
		}
		{
			const char *eq = memchr(ls, '=', (size_t)(le - ls));
			const char *v;
			struct config_node *n;
			if (section == NULL) {
				orth_err_format(err, errlen, "%s:%u: relation before any [section]",
					cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			if (eq == NULL) {
				orth_err_format(err, errlen, "%s:%u: expected 'name = value'", cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			n = calloc(1, sizeof(*n));
			CHECK(n != NULL, ORTH_E_NOMEM);
			n->line = line;
			append(&stack[depth]->child, n);
			n->name = strndup_trim(ls, (size_t)(eq - ls));
			CHECK(n->name != NULL, ORTH_E_NOMEM);
			if (n->name[0] == '\0' || strpbrk(n->name, " \t{}[]\"") != NULL) {
				orth_err_format(err, errlen, "%s:%u: bad relation name", cfg->path, line);
				CHECK(0, ORTH_E_CONFIG);
			}
			v = eq + 1;
			while (v < le && isspace((unsigned char)*v))
				v++;
			if (v < le && *v == '{') {
				if (!only_final_marker(v + 1, le)) {
					orth_err_format(err, errlen, "%s:%u: text after '{'", cfg->path, line);
					CHECK(0, ORTH_E_CONFIG);
				}
				if (depth + 1 >= CONFIG_MAX_DEPTH) {
					orth_err_format(err, errlen, "%s:%u: nested too deep", cfg->path, line);
					CHECK(0, ORTH_E_CONFIG);
				}
				stack[++depth] = n;
				continue;
			}
			if (v < le && *v == '"') {
				const char *qend = NULL;
				n->value = unquote(v, (size_t)(le - v), &qend);
				if (n->value == NULL || !only_final_marker(qend, le)) {
					orth_err_format(err, errlen, "%s:%u: unterminated or bad quoted value",
						cfg->path, line);
					CHECK(0, ORTH_E_CONFIG);
				}
				continue;
			}
			/* MIT's final marker: a lone trailing '*' after the value. */
			if (le - v >= 2 && le[-1] == '*' && isspace((unsigned char)le[-2]))
				le--;
			n->value = strndup_trim(v, (size_t)(le - v));
			CHECK(n->value != NULL, ORTH_E_NOMEM);
		}
	}
	if (depth != 0) {
		orth_err_format(err, errlen, "%s:%u: missing '}' for '%s' opened at line %u",
			cfg->path, line, stack[depth]->name, stack[depth]->line);
		CHECK(0, ORTH_E_CONFIG);
	}
	*out = cfg;
	cfg = NULL;
cleanup:
	config_free(cfg);
	return ret;
}

orth_err
config_parse_file(const char *path, struct config **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	FILE *f = NULL;
	char *buf = NULL;
	size_t n;

	f = fopen(path, "r");
	if (f == NULL) {
		orth_err_format(err, errlen, "%s: %s", path, strerror(errno));
		CHECK(0, errno == ENOENT ? ORTH_E_NOTFOUND : ORTH_E_IO);
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	n = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
	if (ferror(f)) {
		orth_err_format(err, errlen, "%s: read error", path);
		CHECK(0, ORTH_E_IO);
	}
	if (n > CONFIG_MAX_FILE) {
		orth_err_format(err, errlen, "%s: file too large", path);
		CHECK(0, ORTH_E_LIMIT);
	}
	TRY(config_parse_string(buf, n, path, out, err, errlen));
cleanup:
	if (f != NULL)
		fclose(f);
	free(buf);
	return ret;
}

const char *
config_path_choose(const char *opt)
{
	const char *env;
	if (opt != NULL)
		return opt;
	env = getenv("ORTHRUS_CONFIG");
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
warn_unknown(const struct config *cfg, const struct config_node *n, const char *where)
{
	fprintf(stderr, "%s:%u: warning: unknown relation '%s' in %s (ignored)\n",
		cfg->path, n->line, n->name, where);
}

static bool
is_relation(const struct config_node *n)
{
	return n->value != NULL;
}

static orth_err
load_listen(const struct config *cfg, const struct config_node *n,
	    char (*items)[64], size_t *count, char *err, size_t errlen)
{
	size_t k = 0;
	if (!is_relation(n) ||
	    config_split_list(n->value, items + *count, KDC_CONFIG_MAX_LISTEN - *count, &k) != ORTH_OK) {
		orth_err_format(err, errlen, "%s:%u: bad or too many addresses in %s", cfg->path,
			n->line, n->name);
		return ORTH_E_CONFIG;
	}
	*count += k;
	return ORTH_OK;
}

static orth_err
load_realm(const struct config *cfg, const struct config_node *rn,
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
		orth_err_format(err, errlen, "%s:%u: realm %s must be a '{ ... }' block", cfg->path,
			rn->line, rn->name);
		return ORTH_E_CONFIG;
	}
	for (n = rn->child; n != NULL; n = n->next) {
		const char *v = n->value;
		bool bad = false;
		if (v == NULL && strcmp(n->name, "kdc") != 0) {
			/* subtrees inside a realm: none known to the KDC */
			warn_unknown(cfg, n, rn->name);
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
					orth_err_format(err, errlen, "%s:%u: unknown enctype '%s'", cfg->path,
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
			if (load_listen(cfg, n, r->listen, &r->n_listen, err, errlen))
				return ORTH_E_CONFIG;
		} else if (strcmp(n->name, "kdc_tcp_listen") == 0) {
			if (load_listen(cfg, n, r->tcp_listen, &r->n_tcp_listen, err, errlen))
				return ORTH_E_CONFIG;
		} else if (strcmp(n->name, "kpasswd_listen") == 0) {
			if (load_listen(cfg, n, r->kpasswd_listen, &r->n_kpasswd_listen, err,
					errlen))
				return ORTH_E_CONFIG;
			r->kpasswd_listen_set = true;
		} else if (strcmp(n->name, "acl_file") == 0) {
			r->acl_file = v;
		} else if (strcmp(n->name, "kdc") == 0 || strcmp(n->name, "admin_server") == 0 ||
			   strcmp(n->name, "kdc_ports") == 0 || strcmp(n->name, "kdc_tcp_ports") == 0 ||
			   strcmp(n->name, "kpasswd_server") == 0) {
			/* krb5.conf / kadmind relations: harmless here */
		} else
			warn_unknown(cfg, n, rn->name);
		if (bad) {
			orth_err_format(err, errlen, "%s:%u: bad value for %s: '%s'", cfg->path, n->line,
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
					if (load_listen(cfg, n, out->listen, &out->n_listen, err, errlen))
						return ORTH_E_CONFIG;
				} else if (strcmp(n->name, "kdc_tcp_listen") == 0) {
					if (load_listen(cfg, n, out->tcp_listen, &out->n_tcp_listen,
							err, errlen))
						return ORTH_E_CONFIG;
				} else if (strcmp(n->name, "kpasswd_listen") == 0) {
					if (load_listen(cfg, n, out->kpasswd_listen,
							&out->n_kpasswd_listen, err, errlen))
						return ORTH_E_CONFIG;
					out->kpasswd_listen_set = true;
				} else if (is_relation(n) && strcmp(n->name, "user") == 0) {
					out->user = n->value;
				} else if (is_relation(n) && strcmp(n->name, "group") == 0) {
					out->group = n->value;
				} else if (is_relation(n) && strcmp(n->name, "metrics_listen") == 0) {
					out->metrics_listen = n->value[0] != '\0' ? n->value : NULL;
				} else if (strcmp(n->name, "kdc_ports") == 0 ||
					   strcmp(n->name, "kdc_tcp_ports") == 0) {
					/* MIT relations, subsumed by kdc_listen */
				} else
					warn_unknown(cfg, n, "[kdcdefaults]");
			}
		} else if (strcmp(sec->name, "realms") == 0) {
			for (n = sec->child; n != NULL; n = n->next) {
				orth_err ret;
				if (out->n_realms >= KDC_CONFIG_MAX_REALMS) {
					orth_err_format(err, errlen, "%s:%u: too many realms", cfg->path, n->line);
					return ORTH_E_CONFIG;
				}
				ret = load_realm(cfg, n, enctype_from_name,
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
				cfg->path, sec->line, sec->name);
		}
	}
	if (out->default_realm == NULL && out->n_realms == 1)
		out->default_realm = out->realms[0].name;
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
