/*
 * ldap_config.c - the directory backend's kdc.conf relations (see
 * ldap_config.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/file.h"
#include "ldap_config.h"

#define MAX_PASSWORD_FILE 65536

static void
warn_unknown(const struct config_node *n, const char *where)
{
	fprintf(stderr, "%s:%u: warning: unknown relation '%s' in [dbmodules] %s (ignored)\n",
		n->file, n->line, n->name, where);
}

static bool
uri_scheme(const char *uri, const char *scheme)
{
	return strncasecmp(uri, scheme, strlen(scheme)) == 0;
}

bool
ldap_config_uri_loopback(const char *uri)
{
	const char *h, *end;
	size_t n;

	if (!uri_scheme(uri, "ldap://"))
		return false;
	h = uri + 7;
	if (*h == '[') {
		end = strchr(h, ']');
		return end != NULL && (size_t)(end - h) == 4 && strncmp(h, "[::1", 4) == 0;
	}
	n = strcspn(h, ":/");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return true;
	/* 127.0.0.0/8, written as a dotted quad */
	if (n < 9 || n > 15 || strncmp(h, "127.", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (h[i] != '.' && (h[i] < '0' || h[i] > '9'))
			return false;
	return true;
}

static orth_err
load_servers(const struct config_node *n, struct ldap_config *out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	const char *p = n->value;

	while (*p != '\0') {
		size_t len;
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == 0)
			break;
		CHECK(out->n_servers < LDAP_CONFIG_MAX_SERVERS && len < LDAP_CONFIG_MAX_URI,
		      ORTH_E_CONFIG);
		memcpy(out->servers[out->n_servers], p, len);
		out->servers[out->n_servers][len] = '\0';
		CHECK(uri_scheme(out->servers[out->n_servers], "ldap://") ||
			      uri_scheme(out->servers[out->n_servers], "ldaps://") ||
			      uri_scheme(out->servers[out->n_servers], "ldapi://"),
		      ORTH_E_CONFIG);
		out->n_servers++;
		p += len;
	}
cleanup:
	if (ret != ORTH_OK)
		orth_err_format(err, errlen,
				"%s:%u: ldap_servers: at most %d URIs of ldap://, ldaps:// or "
				"ldapi://, each shorter than %d bytes",
				n->file, n->line, LDAP_CONFIG_MAX_SERVERS, LDAP_CONFIG_MAX_URI);
	return ret;
}

static orth_err
load_module(const struct config_node *mod, struct ldap_config *out, char *err,
	    size_t errlen)
{
	orth_err ret = ORTH_OK;
	const struct config_node *n;
	const char *v = NULL;

	for (n = mod->child; n != NULL; n = n->next) {
		bool bad = false;
		v = n->value;
		if (v == NULL) {
			warn_unknown(n, mod->name);
			continue;
		}
		if (strcmp(n->name, "db_library") == 0) {
			out->enabled = strcmp(v, "kldap") == 0;
		} else if (strcmp(n->name, "ldap_servers") == 0) {
			TRY(load_servers(n, out, err, errlen));
		} else if (strcmp(n->name, "ldap_kerberos_container_dn") == 0) {
			out->container_dn = v;
		} else if (strcmp(n->name, "ldap_kdc_dn") == 0) {
			out->kdc_dn = v;
		} else if (strcmp(n->name, "ldap_service_password_file") == 0) {
			out->password_file = v;
		} else if (strcmp(n->name, "ldap_kdc_sasl_mech") == 0) {
			bad = strcasecmp(v, "EXTERNAL") != 0;
		} else if (strcmp(n->name, "ldap_require_starttls") == 0) {
			bad = config_parse_bool(v, &out->require_starttls) != ORTH_OK;
		} else if (strcmp(n->name, "ldap_timeout") == 0) {
			bad = config_parse_duration(v, &out->timeout) != ORTH_OK ||
			      out->timeout <= 0 || out->timeout > 3600;
		} else if (strcmp(n->name, "ldap_kdc_id") == 0) {
			size_t len = strlen(v);
			bad = len == 0 || len >= sizeof(out->kdc_id) || strpbrk(v, " \t") != NULL;
			if (!bad)
				memcpy(out->kdc_id, v, len + 1);
		} else if (strcmp(n->name, "ldap_conns_per_server") == 0 ||
			   strcmp(n->name, "ldap_kadmind_dn") == 0 ||
			   strcmp(n->name, "ldap_kadmind_sasl_mech") == 0 ||
			   strcmp(n->name, "ldap_kdc_sasl_authcid") == 0 ||
			   strcmp(n->name, "ldap_kdc_sasl_realm") == 0) {
			/* MIT's: accepted and ignored (ldap_config.h) */
		} else {
			warn_unknown(n, mod->name);
		}
		if (bad) {
			orth_err_format(err, errlen, "%s:%u: bad value for %s: '%s'", n->file,
					n->line, n->name, v);
			ret = ORTH_E_CONFIG;
			goto cleanup;
		}
	}
cleanup:
	return ret;
}

/* The checks that need the whole module. */
static orth_err
check_module(const struct config_node *mod, struct ldap_config *out, const char *realm,
	     char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	const char *why = NULL;
	int n;

	if (out->n_servers == 0)
		why = "no ldap_servers";
	else if (out->container_dn == NULL || out->container_dn[0] == '\0')
		why = "no ldap_kerberos_container_dn";
	else if (out->kdc_dn != NULL && out->password_file == NULL)
		why = "ldap_kdc_dn without ldap_service_password_file";
	for (size_t i = 0; why == NULL && out->kdc_dn == NULL && i < out->n_servers; i++)
		if (!uri_scheme(out->servers[i], "ldapi://"))
			why = "without ldap_kdc_dn only ldapi:// servers (SASL EXTERNAL)";
	if (why == NULL) {
		n = snprintf(out->realm_dn, sizeof(out->realm_dn), "cn=%s,%s", realm,
			     out->container_dn);
		if (n < 0 || (size_t)n >= sizeof(out->realm_dn))
			why = "ldap_kerberos_container_dn too long";
	}
	if (why != NULL) {
		orth_err_format(err, errlen, "%s:%u: [dbmodules] %s: %s", mod->file, mod->line,
				mod->name, why);
		ret = ORTH_E_CONFIG;
	}
	return ret;
}

orth_err
ldap_config_load(const struct config *cfg, const char *realm, struct ldap_config *out,
		 char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	const struct config_node *rn = NULL, *sec, *mod = NULL, *n;
	const char *name = NULL;

	memset(out, 0, sizeof(*out));
	out->timeout = LDAP_CONFIG_DEFAULT_TIMEOUT;
	for (sec = cfg->root; sec != NULL; sec = sec->next)
		if (strcmp(sec->name, "realms") == 0)
			for (n = sec->child; n != NULL && rn == NULL; n = n->next)
				if (n->value == NULL && strcmp(n->name, realm) == 0)
					rn = n;
	if (rn != NULL)
		for (n = rn->child; n != NULL && name == NULL; n = n->next)
			if (n->value != NULL && strcmp(n->name, "database_module") == 0)
				name = n->value;
	if (name == NULL)
		goto cleanup;
	for (sec = cfg->root; sec != NULL; sec = sec->next)
		if (strcmp(sec->name, "dbmodules") == 0)
			for (n = sec->child; n != NULL && mod == NULL; n = n->next)
				if (n->value == NULL && strcmp(n->name, name) == 0)
					mod = n;
	if (mod == NULL) {
		orth_err_format(err, errlen,
				"realm %s: database_module = %s, but [dbmodules] has no %s = { ... }",
				realm, name, name);
		ret = ORTH_E_CONFIG;
		goto cleanup;
	}
	out->module = mod->name;
	out->require_starttls = false;
	TRY(load_module(mod, out, err, errlen));
	if (!out->enabled)
		goto cleanup;
	TRY(check_module(mod, out, realm, err, errlen));
	if (out->kdc_id[0] == '\0' &&
	    (gethostname(out->kdc_id, sizeof(out->kdc_id) - 1) != 0 || out->kdc_id[0] == '\0'))
		memcpy(out->kdc_id, "kdc", 4);
	out->kdc_id[strcspn(out->kdc_id, " \t")] = '\0';
cleanup:
	return ret;
}

/* One line's password after "DN#" into out. */
static orth_err
password_decode(const char *p, size_t len, char *out, size_t cap)
{
	orth_err ret = ORTH_OK;
	size_t n = 0;

	if (len >= 5 && strncmp(p, "{HEX}", 5) == 0) {
		p += 5;
		len -= 5;
		CHECK(len % 2 == 0, ORTH_E_MALFORMED);
		CHECK(len / 2 < cap, ORTH_E_LIMIT);
		for (size_t i = 0; i < len; i += 2) {
			int hi = hex_digit(p[i]), lo = hex_digit(p[i + 1]);
			CHECK(hi >= 0 && lo >= 0 && (hi | lo) != 0, ORTH_E_MALFORMED);
			out[n++] = (char)(hi * 16 + lo);
		}
	} else {
		CHECK(len < cap, ORTH_E_LIMIT);
		memcpy(out, p, len);
		n = len;
	}
	out[n] = '\0';
cleanup:
	return ret;
}

orth_err
ldap_config_password(const char *path, const char *dn, char *out, size_t cap)
{
	orth_err ret = ORTH_OK;
	uint8_t *buf = NULL;
	size_t len = 0, dnlen = strlen(dn);
	int fd = -1;
	const char *p, *end;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0, orth_err_from_errno(errno));
	TRY(file_read_all(fd, MAX_PASSWORD_FILE, &buf, &len));
	ret = ORTH_E_NOTFOUND;
	for (p = (const char *)buf, end = p + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		/* The DN is compared as written (MIT does the same). */
		if (l > dnlen && p[dnlen] == '#' && strncasecmp(p, dn, dnlen) == 0) {
			ret = password_decode(p + dnlen + 1, l - dnlen - 1, out, cap);
			break;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
cleanup:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}
