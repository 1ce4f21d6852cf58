/*
 * net_addr.c - numeric listener addresses ("127.0.0.1:88", "[::1]:88",
 * "::") and the text form of peers.  No DNS.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "base/writer.h"
#include "net_int.h"

static orth_err
parse_port(const char *s, uint16_t *port_out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return ORTH_E_CONFIG;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return ORTH_E_CONFIG;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 65535)
			return ORTH_E_CONFIG;
	}
	*port_out = (uint16_t)v;
	return ORTH_OK;
}

/* kdc_net_addr_parse(); *had_port_out: s named a port. */
static orth_err
addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len_out,
    bool *had_port_out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_str = NULL, *colon;
	size_t hlen;
	uint16_t port = KDC_NET_DEFAULT_PORT;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (s == NULL)
		return ORTH_E_CONFIG;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (end == NULL)
			return ORTH_E_CONFIG;
		hlen = (size_t)(end - (s + 1));
		if (end[1] == ':')
			port_str = end + 2;
		else if (end[1] != '\0')
			return ORTH_E_CONFIG;
		s++;
	} else {
		colon = strchr(s, ':');
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			/* exactly one colon: IPv4 (or a name) with a port */
			hlen = (size_t)(colon - s);
			port_str = colon + 1;
		} else {
			hlen = strlen(s); /* IPv4 alone, or bare IPv6 without port */
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return ORTH_E_CONFIG;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port_str != NULL && parse_port(port_str, &port) != ORTH_OK)
		return ORTH_E_CONFIG;
	*had_port_out = port_str != NULL;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len_out = sizeof(*sin);
		return ORTH_OK;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len_out = sizeof(*sin6);
		return ORTH_OK;
	}
	return ORTH_E_CONFIG;
}

orth_err
kdc_net_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len_out)
{
	bool had_port;

	return addr_parse(s, ss, len_out, &had_port);
}

/* The text form of s with port (replace: always; else only when s names
 * no port). */
static orth_err
addr_port_text(const char *s, uint16_t port, bool replace, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[INET6_ADDRSTRLEN];
	const void *a;
	bool had_port;
	int n;

	if (addr_parse(s, &ss, &len, &had_port) != ORTH_OK)
		return ORTH_E_CONFIG;
	if (had_port && !replace)
		port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	a = ss.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
				    : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (inet_ntop(ss.ss_family, a, host, sizeof(host)) == NULL)
		return ORTH_E_CONFIG;
	n = snprintf(buf, cap, ss.ss_family == AF_INET ? "%s:%u" : "[%s]:%u", host,
	    (unsigned)port);
	return n > 0 && (size_t)n < cap ? ORTH_OK : ORTH_E_LIMIT;
}

orth_err
kdc_net_addr_port_set(const char *s, uint16_t port, char *buf, size_t cap)
{
	return addr_port_text(s, port, true, buf, cap);
}

orth_err
kdc_net_addr_port_default(const char *s, uint16_t port, char *buf, size_t cap)
{
	return addr_port_text(s, port, false, buf, cap);
}

void
net_peer_format(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		/* Every UDP request has its peer formatted for the log line:
		 * no inet_ntop and snprintf for the common case. */
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		const uint8_t *o = (const uint8_t *)&sin->sin_addr;
		struct writer w;
		if (cap < sizeof("255.255.255.255:65535")) {
			if (cap > 0)
				buf[0] = '\0';
			return;
		}
		writer_init(&w, buf, cap - 1);
		for (int i = 0; i < 4; i++) {
			writer_dec(&w, o[i]);
			writer_u8(&w, i < 3 ? '.' : ':');
		}
		writer_dec(&w, ntohs(sin->sin_port));
		buf[w.len] = '\0';
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

void
net_addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}
