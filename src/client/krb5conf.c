/* krb5conf.c - the parts of krb5.conf the client uses (MIT's profile). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env.h"
#include "client_int.h"
#include "proto/spake.h"

_Static_assert(CLIENT_MAX_SPAKE_GROUPS == SPAKE_MAX_GROUPS, "one cap for SPAKE group lists");

const char *
client_conf_get2(const struct client_conf *c, const char *sect,
		 const char *name)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const char *v = config_get(c->files[i], sect, name, NULL);
		if (v != NULL)
			return v;
	}
	return NULL;
}

const char *
client_conf_realm_get(const struct client_conf *c, const char *realm, const char *name)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		const char *v = config_get(c->files[i], "realms", realm, name, NULL);
		if (v != NULL)
			return v;
	}
	return NULL;
}

/*
 * An enctype list as MIT reads it: names or numbers separated by blanks
 * or commas; "DEFAULT" expands to the default list; names we do not
 * implement (des3, rc4, camellia) are skipped as MIT skips unknown ones.
 * An empty result is an error: no request could be made.
 */
static orth_err
parse_etypes(const char *name, const char *s, int32_t *out, size_t *n_out,
	     char *err, size_t errlen)
{
	char items[32][64];
	size_t n = 0, k = 0;

	if (config_split_list(s, items, 32, &n) != ORTH_OK) {
		orth_err_format(err, errlen, "%s: list too long", name);
		return ORTH_E_CONFIG;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t e;
		if (strcasecmp(items[i], "DEFAULT") == 0) {
			for (size_t j = 0; j < CRYPTO_DEFAULT_ENCTYPES_N; j++) {
				bool dup = false;
				for (size_t m = 0; m < k; m++)
					dup |= out[m] == crypto_default_enctypes[j];
				if (!dup && k < CLIENT_MAX_ETYPES)
					out[k++] = crypto_default_enctypes[j];
			}
			continue;
		}
		e = crypto_enctype_from_name(items[i]);
		if (e < 0 || !crypto_enctype_supported(e))
			continue;
		bool dup = false;
		for (size_t m = 0; m < k; m++)
			dup |= out[m] == e;
		if (!dup && k < CLIENT_MAX_ETYPES)
			out[k++] = e;
	}
	if (k == 0) {
		orth_err_format(err, errlen, "%s: no supported enctype in '%s'", name, s);
		return ORTH_E_CONFIG;
	}
	*n_out = k;
	return ORTH_OK;
}

/*
 * spake_preauth_groups as MIT's client reads it: group names separated by
 * blanks or commas, in preference order; a name it does not know is
 * skipped (as unknown enctypes are), so a list naming only groups we lack
 * turns SPAKE off rather than every login.
 */
static orth_err
parse_spake_groups(const char *s, struct client_conf *c, char *err, size_t errlen)
{
	char items[32][64];
	size_t n = 0, k = 0;

	if (config_split_list(s, items, 32, &n) != ORTH_OK) {
		orth_err_format(err, errlen, "spake_preauth_groups: list too long");
		return ORTH_E_CONFIG;
	}
	for (size_t i = 0; i < n && k < CLIENT_MAX_SPAKE_GROUPS; i++) {
		int32_t g = spake_group_from_name(items[i]);
		bool dup = false;
		if (g == 0 || !spake_group_supported(g))
			continue;
		for (size_t m = 0; m < k; m++)
			dup |= c->spake_groups[m] == g;
		if (!dup)
			c->spake_groups[k++] = g;
	}
	c->nspake = k;
	return ORTH_OK;
}

/* Keep only the enctypes of list that permitted allows. */
static void
filter_permitted(const struct client_conf *c, int32_t *list, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++)
		for (size_t j = 0; j < c->npermitted; j++)
			if (list[i] == c->permitted[j]) {
				list[k++] = list[i];
				break;
			}
	*n = k;
}

static orth_err
conf_typed(struct client_conf *c, char *err, size_t errlen)
{
	const char *v;
	const char *ms;

	c->default_realm = client_conf_get2(c, "libdefaults", "default_realm");
	c->default_ccache_name =
		client_conf_get2(c, "libdefaults", "default_ccache_name");
	if ((v = client_conf_get2(c, "libdefaults", "default_keytab_name")) != NULL) {
		/* MIT expands its tokens (ktdefname.c); done once here so
		 * the name can be handed out as a plain string. */
		char why[256] = "";
		if (env_path_expand(v, &c->keytab_name_buf, why, sizeof(why)) != ORTH_OK) {
			orth_err_format(err, errlen, "default_keytab_name: %s", why);
			return ORTH_E_CONFIG;
		}
		c->default_keytab_name = c->keytab_name_buf;
	}
	c->udp_preference_limit = CLIENT_DEFAULT_UDP_LIMIT;
	c->clockskew = CLIENT_DEFAULT_SKEW;
	c->ticket_lifetime = CLIENT_DEFAULT_LIFETIME;
	c->renew_lifetime = 0;
	c->forwardable = false;
	c->kdc_step_ms = 1000;
	c->kdc_passes = 3;
	c->dns_lookup_kdc = true;

	if ((v = client_conf_get2(c, "libdefaults", "udp_preference_limit"))) {
		char *end;
		long long n = strtoll(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0) {
			orth_err_format(err, errlen, "udp_preference_limit: bad value '%s'", v);
			return ORTH_E_CONFIG;
		}
		/* MIT caps it at 32700 (the largest UDP request it sends). */
		c->udp_preference_limit = n > 32700 ? 32700 : n;
	}
	/* MIT: the FILE format of caches it creates, 1 to 4 (default 4). */
	c->ccache_version = CCACHE_VERSION_4;
	if ((v = client_conf_get2(c, "libdefaults", "ccache_type"))) {
		if (v[0] < '1' || v[0] > '4' || v[1] != '\0') {
			orth_err_format(err, errlen, "ccache_type: bad value '%s' (1 to 4)", v);
			return ORTH_E_CONFIG;
		}
		c->ccache_version = (uint16_t)(0x0500 + (v[0] - '0'));
	}
	if ((v = client_conf_get2(c, "libdefaults", "clockskew")) &&
	    config_parse_duration(v, &c->clockskew) != ORTH_OK) {
		orth_err_format(err, errlen, "clockskew: bad duration '%s'", v);
		return ORTH_E_CONFIG;
	}
	if ((v = client_conf_get2(c, "libdefaults", "ticket_lifetime")) &&
	    config_parse_duration(v, &c->ticket_lifetime) != ORTH_OK) {
		orth_err_format(err, errlen, "ticket_lifetime: bad duration '%s'", v);
		return ORTH_E_CONFIG;
	}
	if ((v = client_conf_get2(c, "libdefaults", "renew_lifetime")) &&
	    config_parse_duration(v, &c->renew_lifetime) != ORTH_OK) {
		orth_err_format(err, errlen, "renew_lifetime: bad duration '%s'", v);
		return ORTH_E_CONFIG;
	}
	if ((v = client_conf_get2(c, "libdefaults", "forwardable")) &&
	    config_parse_bool(v, &c->forwardable) != ORTH_OK) {
		orth_err_format(err, errlen, "forwardable: bad boolean '%s'", v);
		return ORTH_E_CONFIG;
	}
	/* MIT: dns_lookup_kdc, else dns_fallback, else true. */
	if ((v = client_conf_get2(c, "libdefaults", "dns_lookup_kdc")) == NULL)
		v = client_conf_get2(c, "libdefaults", "dns_fallback");
	if (v != NULL && config_parse_bool(v, &c->dns_lookup_kdc) != ORTH_OK) {
		orth_err_format(err, errlen, "dns_lookup_kdc: bad boolean '%s'", v);
		return ORTH_E_CONFIG;
	}

	memcpy(c->permitted, crypto_default_enctypes, sizeof(crypto_default_enctypes));
	c->npermitted = CRYPTO_DEFAULT_ENCTYPES_N;
	if ((v = client_conf_get2(c, "libdefaults", "permitted_enctypes")))
		if (parse_etypes("permitted_enctypes", v, c->permitted,
				 &c->npermitted, err, errlen) != ORTH_OK)
			return ORTH_E_CONFIG;
	memcpy(c->tkt_etypes, c->permitted, c->npermitted * sizeof(int32_t));
	c->ntkt = c->npermitted;
	if ((v = client_conf_get2(c, "libdefaults", "default_tkt_enctypes"))) {
		if (parse_etypes("default_tkt_enctypes", v, c->tkt_etypes,
				 &c->ntkt, err, errlen) != ORTH_OK)
			return ORTH_E_CONFIG;
		filter_permitted(c, c->tkt_etypes, &c->ntkt);
	}
	memcpy(c->tgs_etypes, c->permitted, c->npermitted * sizeof(int32_t));
	c->ntgs = c->npermitted;
	if ((v = client_conf_get2(c, "libdefaults", "default_tgs_enctypes"))) {
		if (parse_etypes("default_tgs_enctypes", v, c->tgs_etypes,
				 &c->ntgs, err, errlen) != ORTH_OK)
			return ORTH_E_CONFIG;
		filter_permitted(c, c->tgs_etypes, &c->ntgs);
	}
	c->spake_groups[0] = SPAKE_GROUP_EDWARDS25519;
	c->spake_groups[1] = SPAKE_GROUP_P256;
	c->nspake = 2;
	if ((v = client_conf_get2(c, "libdefaults", "spake_preauth_groups")) &&
	    parse_spake_groups(v, c, err, errlen) != ORTH_OK)
		return ORTH_E_CONFIG;
	if (c->ntkt == 0 || c->ntgs == 0) {
		orth_err_format(err, errlen, "no default enctype is permitted");
		return ORTH_E_CONFIG;
	}
	if ((ms = env_get("ORTHRUS_KDC_TIMEOUT_MS")) != NULL) {
		long t = strtol(ms, NULL, 10);
		if (t > 0 && t < 600000)
			c->kdc_step_ms = (int)t;
	}
	return ORTH_OK;
}

orth_err
client_conf_load(const char *paths, struct client_conf *out, char *err,
		 size_t errlen)
{
	orth_err ret = ORTH_OK;
	char *list = NULL, *save = NULL, *tok;

	memset(out, 0, sizeof(*out));
	if (paths == NULL)
		paths = env_get("KRB5_CONFIG");
	if (paths == NULL || *paths == '\0')
		paths = "/etc/krb5.conf";
	list = strdup(paths);
	CHECK(list != NULL, ORTH_E_NOMEM);
	for (tok = strtok_r(list, ":", &save); tok != NULL;
	     tok = strtok_r(NULL, ":", &save)) {
		struct config *cfg = NULL;
		orth_err r;
		if (*tok == '\0')
			continue;
		CHECK(out->nfiles < CLIENT_MAX_CONF_FILES, ORTH_E_LIMIT);
		r = config_parse_file(tok, &cfg, err, errlen);
		if (r == ORTH_E_NOTFOUND)
			continue;  /* MIT skips files that do not exist */
		TRY(r);
		out->files[out->nfiles++] = cfg;
	}
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	TRY(conf_typed(out, err, errlen));
cleanup:
	free(list);
	if (ret != ORTH_OK)
		client_conf_free(out);
	return ret;
}

orth_err
client_conf_load_string(const char *text, struct client_conf *out, char *err,
			size_t errlen)
{
	orth_err ret;
	struct config *cfg = NULL;

	memset(out, 0, sizeof(*out));
	TRY(config_parse_string(text, strlen(text), "krb5.conf", &cfg, err,
				errlen));
	out->files[out->nfiles++] = cfg;
	TRY(conf_typed(out, err, errlen));
cleanup:
	if (ret != ORTH_OK)
		client_conf_free(out);
	return ret;
}

void
client_conf_free(struct client_conf *c)
{
	for (size_t i = 0; i < c->nfiles; i++)
		config_free(c->files[i]);
	free(c->keytab_name_buf);
	memset(c, 0, sizeof(*c));
}

orth_err
client_conf_kdcs(const struct client_conf *c, const char *realm,
		 char (*kdcs)[256], size_t max, size_t *n_out)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nfiles && n == 0; i++) {
		const struct config_node *realms, *r, *k;
		realms = config_node_find(c->files[i], NULL, "realms");
		if (realms == NULL)
			continue;
		r = config_node_find(c->files[i], realms, realm);
		if (r == NULL || r->value != NULL)
			continue;
		for (k = r->child; k != NULL; k = k->next) {
			if (k->value == NULL || strcmp(k->name, "kdc") != 0)
				continue;
			if (n >= max)
				break;
			if (strlen(k->value) >= 256)
				continue;
			strcpy(kdcs[n++], k->value);
		}
	}
	if (n == 0)
		return ORTH_E_NOTFOUND;
	*n_out = n;
	return ORTH_OK;
}

orth_err
client_kdc_split(const char *spec, char *host, size_t hostcap, char *port,
		 size_t portcap)
{
	const char *h = spec, *p = NULL, *colon;
	size_t hl;

	/* MIT also accepts a "udp/" or "tcp/" prefix and "kerberos://";
	 * only the plain forms are supported here. */
	if (*spec == '[') {
		const char *close = strchr(spec, ']');
		if (close == NULL)
			return ORTH_E_CONFIG;
		h = spec + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1] != '\0')
			return ORTH_E_CONFIG;
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL) {
			hl = strlen(spec);      /* a bare IPv6 address */
		} else if (colon != NULL) {
			hl = (size_t)(colon - spec);
			p = colon + 1;
		} else {
			hl = strlen(spec);
		}
	}
	if (hl == 0 || hl >= hostcap)
		return ORTH_E_CONFIG;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (p == NULL)
		p = "88";
	if (*p == '\0' || strlen(p) >= portcap || strspn(p, "0123456789") != strlen(p))
		return ORTH_E_CONFIG;
	{
		long v = strtol(p, NULL, 10);
		if (v <= 0 || v > 65535)
			return ORTH_E_CONFIG;
	}
	strcpy(port, p);
	return ORTH_OK;
}
