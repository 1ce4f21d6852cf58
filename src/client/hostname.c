/*
 * hostname.c - host-based service names (MIT's krb5_sname_to_principal):
 * "service/host@REALM" with the host canonicalized as krb5.conf says
 * (dns_canonicalize_hostname, rdns), lowercased, and the realm from
 * [domain_realm] or the default realm.  kinit -k uses it for its default
 * principal, kvno -S for its names, orthrus_verify_init_creds() for
 * host/<this host>.
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_int.h"
#include "orthrus/client.h"

/* A [libdefaults] boolean-or-"fallback" with its default. */
static const char *
conf_str(const struct client_conf *c, const char *name, const char *def)
{
	const char *v = client_conf_get2(c, "libdefaults", name);
	return v != NULL ? v : def;
}

static bool
is_true(const char *v)
{
	bool b = false;
	return config_parse_bool(v, &b) == ORTH_OK && b;
}

/*
 * The canonical name of host (MIT's k5_expand_hostname): forward lookup
 * for its canonical name, then (rdns) the name of its first address.
 * Unchanged when lookups fail.
 */
static void
canonicalize(const struct client_conf *c, const char *host, char *out,
	     size_t cap)
{
	struct addrinfo hints, *ai = NULL;
	char name[NI_MAXHOST];

	snprintf(out, cap, "%s", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME | AI_ADDRCONFIG;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || ai == NULL)
		return;
	if (ai->ai_canonname != NULL)
		snprintf(out, cap, "%s", ai->ai_canonname);
	if (is_true(conf_str(c, "rdns", "true")) &&
	    getnameinfo(ai->ai_addr, ai->ai_addrlen, name, sizeof(name), NULL, 0,
			NI_NAMEREQD) == 0)
		snprintf(out, cap, "%s", name);
	freeaddrinfo(ai);
}

/* [domain_realm]: the host itself, then ".domain" and "domain" for each
 * parent domain (MIT's order); NULL when nothing maps. */
static const char *
domain_realm(const struct client_conf *c, const char *host)
{
	const char *v = client_conf_get2(c, "domain_realm", host);

	for (const char *d = strchr(host, '.'); v == NULL && d != NULL;
	     d = strchr(d + 1, '.')) {
		v = client_conf_get2(c, "domain_realm", d);
		if (v == NULL && d[1] != '\0')
			v = client_conf_get2(c, "domain_realm", d + 1);
	}
	return v;
}

orth_err
orthrus_host_service_name(struct orthrus_context *ctx, const char *service,
			  const char *host, char **out)
{
	const struct client_conf *c = &ctx->c.conf;
	char local[256], canon[NI_MAXHOST], *s;
	const char *realm, *dns;
	size_t n, len;

	if (service == NULL)
		service = "host";
	if (host == NULL) {
		if (gethostname(local, sizeof(local)) != 0)
			return client_fail(&ctx->c, ORTH_E_IO,
					   "Cannot determine the local host name");
		local[sizeof(local) - 1] = '\0';
		host = local;
	}
	dns = conf_str(c, "dns_canonicalize_hostname", "true");
	/* "fallback" tries the name as given first (MIT 1.18+). */
	if (is_true(dns))
		canonicalize(c, host, canon, sizeof(canon));
	else
		snprintf(canon, sizeof(canon), "%s", host);
	len = strlen(canon);
	/* A trailing dot of an absolute name is not part of the principal. */
	if (len > 0 && canon[len - 1] == '.')
		canon[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		canon[i] = (char)tolower((unsigned char)canon[i]);
	realm = domain_realm(c, canon);
	if (realm == NULL)
		realm = c->default_realm;
	if (realm == NULL)
		return client_fail(&ctx->c, ORTH_E_CONFIG,
				   "No realm for host %s (no default_realm)",
				   canon);
	n = strlen(service) + len + strlen(realm) + 3;
	s = malloc(n);
	if (s == NULL)
		return ORTH_E_NOMEM;
	snprintf(s, n, "%s/%s@%s", service, canon, realm);
	*out = s;
	return ORTH_OK;
}
