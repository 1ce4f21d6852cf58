/*
 * kdc_config.c - kdc.conf as the KDC reads it: [kdcdefaults], [realms]
 * and the default realm of [libdefaults], over the profile tree that
 * base/config.c parses.
 */
#include "kdc_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "kdc/replay.h"

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

/* A count or size: decimal digits, optionally K, M or G (binary: 2^10,
 * 2^20, 2^30).  false on anything else or an overflow. */
static bool
parse_scaled(const char *v, unsigned long long *out)
{
	static const char units[] = "kmg";
	unsigned long long k;
	const char *u;
	char *e;

	if (*v < '0' || *v > '9')
		return false;
	errno = 0;
	k = strtoull(v, &e, 10);
	if (errno != 0)
		return false;
	if (*e != '\0' && (u = strchr(units, tolower((unsigned char)*e))) != NULL) {
		unsigned shift = 10u * (unsigned)(u - units + 1);
		if (k > (~0ull >> shift))
			return false;
		k <<= shift;
		e++;
	}
	*out = k;
	return *e == '\0';
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
			unsigned long long k = 0;
			bad = !parse_scaled(v, &k) || k < 65536;
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
		} else if (strcmp(n->name, "disable_encrypted_timestamp") == 0) {
			bad = config_parse_bool(v, &r->disable_encrypted_timestamp) != ORTH_OK;
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
		memcpy(r->supported_enctypes, crypto_default_enctypes,
		       sizeof(crypto_default_enctypes));
		r->n_enctypes = CRYPTO_DEFAULT_ENCTYPES_N;
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

/* kdc_replay_cache_size: an entry count, K/M/G allowed, from one group of
 * the table up to what it can index (replay.h). */
static orth_err
load_replay_size(const struct config_node *n, size_t *out, char *err, size_t errlen)
{
	unsigned long long k = 0;

	if (!is_relation(n) || !parse_scaled(n->value, &k) || k < KDC_REPLAY_MIN_CAPACITY ||
	    k > KDC_REPLAY_MAX_CAPACITY) {
		orth_err_format(err, errlen,
				"%s:%u: bad value for %s: '%s' (an entry count from %u to %u)",
				n->file, n->line, n->name, n->value ? n->value : "",
				(unsigned)KDC_REPLAY_MIN_CAPACITY, (unsigned)KDC_REPLAY_MAX_CAPACITY);
		return ORTH_E_CONFIG;
	}
	*out = (size_t)k;
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
				} else if (strcmp(n->name, "kdc_replay_cache_size") == 0) {
					if (load_replay_size(n, &out->replay_cache_size, err, errlen))
						return ORTH_E_CONFIG;
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
