/*
 * sendto.c - talking to the KDCs of a realm (RFC 4120 §7.2.1 UDP, §7.2.2
 * TCP with a 4-byte big-endian length prefix), found in krb5.conf or in
 * DNS SRV records (RFC 4120 §7.2.3, RFC 2782).
 *
 * The schedule is MIT's (lib/krb5/os/sendto_kdc.c, k5_sendto): the KDCs
 * are tried one after the other, each given one step (1 s) to answer while
 * the connections opened before stay heard; then the KDCs of the other
 * transport; then a wait of two steps; then more passes that resend over
 * UDP, each ending with a longer wait (4, 8 steps).  So a silent first KDC
 * costs one step, not a full timeout, and a late answer from it still
 * counts.  All sockets are non-blocking and served by one poll().
 */
#include <arpa/nameser.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn1/asn1.h"
#include "client_int.h"
#include "proto/krb5_const.h"

/* Bounds on what one request opens. */
#define SENDTO_MAX_SERVERS 32        /* krb5.conf lines or SRV records */
#define SENDTO_MAX_CONNS 64          /* (address, transport) pairs */
#define SENDTO_MAX_ADDRS 8           /* addresses of one name */
#define SENDTO_UDP_MAX 65536

/* A KDC to try: a name and port, and the transports it may be reached by. */
struct server {
	char host[256];
	char port[8];
	bool udp, tcp;
};

enum cstate { C_NEW, C_CONNECTING, C_WRITING, C_READING, C_DEAD };

/* One connection (MIT's conn_state). */
struct conn {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int family;
	int socktype;            /* SOCK_DGRAM or SOCK_STREAM */
	bool defer;              /* the non-preferred transport */
	enum cstate state;
	int fd;
	size_t out_off;          /* TCP: bytes of prefix + request sent */
	uint8_t hdr[4];          /* TCP: the reply's length prefix */
	size_t hdr_got;
	uint8_t *in;             /* TCP: the reply */
	size_t in_len, in_got;
};

struct sendto {
	struct client_ctx *ctx;
	const uint8_t *req;
	size_t req_len;
	struct conn conns[SENDTO_MAX_CONNS];
	size_t nconns;
	uint8_t *udpbuf;
	uint8_t *winner;         /* the answer */
	size_t winner_len;
	uint8_t *unavail;        /* the last SVC_UNAVAILABLE, if no better */
	size_t unavail_len;
	bool resolved_any;
};

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The error code of a KRB-ERROR, or -1 for anything else. */
static int32_t
krb_error_code(const uint8_t *buf, size_t len)
{
	struct arena a = {0};
	KRB_ERROR e;
	int32_t code = -1;

	if (der_peek_application_tag(buf, len) != KRB5_MSG_ERROR)
		return -1;
	if (arena_init(&a, 64 * 1024) != ORTH_OK)
		return -1;
	memset(&e, 0, sizeof(e));
	if (der_decode(&asn1_KRB_ERROR, buf, len, &a, &e) == ORTH_OK)
		code = e.error_code;
	arena_free(&a);
	return code;
}

static void
conn_kill(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	c->in = NULL;
	c->state = C_DEAD;
}

static bool
conn_live(const struct conn *c)
{
	return c->state == C_CONNECTING || c->state == C_WRITING ||
	       c->state == C_READING;
}

/* Add a connection to addr over socktype; NULL when the table is full. */
static struct conn *
conn_add(struct sendto *st, const struct sockaddr *addr, socklen_t addrlen,
	 int socktype, bool defer)
{
	struct conn *c;

	if (st->nconns >= SENDTO_MAX_CONNS || addrlen > sizeof(c->addr))
		return NULL;
	c = &st->conns[st->nconns++];
	memset(c, 0, sizeof(*c));
	memcpy(&c->addr, addr, addrlen);
	c->addrlen = addrlen;
	c->family = addr->sa_family;
	c->socktype = socktype;
	c->defer = defer;
	c->fd = -1;
	c->state = C_NEW;
	return c;
}

/* TCP: write what is left of the length prefix and the request. */
static void
tcp_write(struct sendto *st, struct conn *c)
{
	uint8_t hdr[4] = {(uint8_t)(st->req_len >> 24), (uint8_t)(st->req_len >> 16),
			  (uint8_t)(st->req_len >> 8), (uint8_t)st->req_len};

	while (c->out_off < 4 + st->req_len) {
		const uint8_t *p = c->out_off < 4 ? hdr + c->out_off
						  : st->req + (c->out_off - 4);
		size_t n = c->out_off < 4 ? 4 - c->out_off : st->req_len - (c->out_off - 4);
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;  /* poll for POLLOUT again */
		if (w <= 0) {
			conn_kill(c);
			return;
		}
		c->out_off += (size_t)w;
	}
	c->state = C_READING;
}

/*
 * Send the request on c: open it (C_NEW), or resend over UDP.  False when
 * nothing was sent (a dead connection, a TCP one already under way), so
 * the caller does not wait for it (MIT's maybe_send).
 */
static bool
conn_send(struct sendto *st, struct conn *c)
{
	if (c->state == C_NEW) {
		c->fd = socket(c->family, c->socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c->fd < 0) {
			c->state = C_DEAD;
			return false;
		}
		/* UDP: connect() makes the kernel drop datagrams from anyone
		 * else and report ICMP unreachable as ECONNREFUSED. */
		if (connect(c->fd, (struct sockaddr *)&c->addr, c->addrlen) != 0 &&
		    !(c->socktype == SOCK_STREAM && errno == EINPROGRESS)) {
			conn_kill(c);
			return false;
		}
		if (c->socktype == SOCK_STREAM) {
			c->state = C_CONNECTING;
			return true;
		}
		c->state = C_READING;
	} else if (c->socktype != SOCK_DGRAM || c->state != C_READING) {
		return false;
	}
	if (send(c->fd, st->req, st->req_len, 0) != (ssize_t)st->req_len) {
		conn_kill(c);
		return false;
	}
	return true;
}

/* A whole reply from c: the answer, or a reason to go on. */
static void
conn_reply(struct sendto *st, struct conn *c, const uint8_t *buf, size_t len)
{
	int32_t code = krb_error_code(buf, len);
	uint8_t *copy;

	if (code == KRB_ERR_RESPONSE_TOO_BIG && c->socktype == SOCK_DGRAM) {
		/* RFC 4120 §7.2.1: ask this KDC again over TCP, now. */
		struct conn *t = conn_add(st, (struct sockaddr *)&c->addr, c->addrlen,
					  SOCK_STREAM, false);
		conn_kill(c);
		if (t != NULL)
			(void)conn_send(st, t);
		return;
	}
	copy = malloc(len);
	if (copy == NULL) {
		conn_kill(c);
		return;
	}
	memcpy(copy, buf, len);
	conn_kill(c);
	if (code == KDC_ERR_SVC_UNAVAILABLE) {
		/* This KDC cannot serve now: ask the others (MIT's
		 * check_for_svc_unavailable); kept in case none can. */
		free(st->unavail);
		st->unavail = copy;
		st->unavail_len = len;
		return;
	}
	st->winner = copy;
	st->winner_len = len;
}

/* Something happened on c (revents from poll). */
static void
conn_event(struct sendto *st, struct conn *c, short revents)
{
	if (c->socktype == SOCK_DGRAM) {
		for (;;) {
			ssize_t n = recv(c->fd, st->udpbuf, SENDTO_UDP_MAX, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return;
			if (n <= 0) {
				conn_kill(c);  /* ECONNREFUSED: nobody there */
				return;
			}
			conn_reply(st, c, st->udpbuf, (size_t)n);
			return;
		}
	}
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
			conn_kill(c);
			return;
		}
		c->state = C_WRITING;
	}
	if (c->state == C_WRITING) {
		tcp_write(st, c);
		return;
	}
	if (c->state != C_READING || !(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	for (;;) {
		ssize_t r;
		if (c->hdr_got < 4) {
			r = read(c->fd, c->hdr + c->hdr_got, 4 - c->hdr_got);
		} else {
			r = read(c->fd, c->in + c->in_got, c->in_len - c->in_got);
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			conn_kill(c);
			return;
		}
		if (c->hdr_got < 4) {
			c->hdr_got += (size_t)r;
			if (c->hdr_got < 4)
				continue;
			c->in_len = (size_t)c->hdr[0] << 24 | (size_t)c->hdr[1] << 16 |
				    (size_t)c->hdr[2] << 8 | c->hdr[3];
			/* RFC 4120 §7.2.2: the high bit is reserved; a length
			 * we would not accept is not read at all. */
			if (c->in_len == 0 || c->in_len > CLIENT_MAX_REPLY ||
			    (c->in = malloc(c->in_len)) == NULL) {
				conn_kill(c);
				return;
			}
			continue;
		}
		c->in_got += (size_t)r;
		if (c->in_got == c->in_len) {
			uint8_t *in = c->in;
			c->in = NULL;
			conn_reply(st, c, in, c->in_len);
			free(in);
			return;
		}
	}
}

/*
 * Serve every live connection for ms milliseconds or until an answer
 * (MIT's service_fds).  1: an answer; 0: time is up; -1: no connection is
 * left to wait for.
 */
static int
serve(struct sendto *st, int ms)
{
	int64_t deadline = now_ms() + ms;

	for (;;) {
		struct pollfd pfd[SENDTO_MAX_CONNS];
		struct conn *who[SENDTO_MAX_CONNS];
		nfds_t n = 0;
		int64_t left;
		int r;

		if (st->winner != NULL)
			return 1;
		for (size_t i = 0; i < st->nconns; i++) {
			struct conn *c = &st->conns[i];
			if (!conn_live(c))
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = c->state == C_READING ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			who[n++] = c;
		}
		if (n == 0)
			return -1;
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		r = poll(pfd, n, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;
		for (nfds_t i = 0; i < n && st->winner == NULL; i++)
			if (pfd[i].revents != 0)
				conn_event(st, who[i], pfd[i].revents);
	}
}

/* Resolve s and add its connections: the preferred transport first, the
 * other deferred to the end of the first pass. */
static void
server_resolve(struct sendto *st, const struct server *s, bool tcp_first)
{
	for (int k = 0; k < 2; k++) {
		int socktype = (k == 0) == tcp_first ? SOCK_STREAM : SOCK_DGRAM;
		struct addrinfo hints, *res = NULL, *ai;
		size_t naddrs = 0;

		if ((socktype == SOCK_DGRAM && !s->udp) || (socktype == SOCK_STREAM && !s->tcp))
			continue;
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = socktype;
		if (getaddrinfo(s->host, s->port, &hints, &res) != 0)
			continue;
		for (ai = res; ai != NULL && naddrs < SENDTO_MAX_ADDRS; ai = ai->ai_next, naddrs++) {
			st->resolved_any = true;
			(void)conn_add(st, ai->ai_addr, ai->ai_addrlen, socktype, k == 1);
		}
		freeaddrinfo(res);
	}
}

/* "udp/host:port", "tcp/host", "host:port" (either transport). */
static bool
server_from_conf(const char *spec, struct server *out)
{
	memset(out, 0, sizeof(*out));
	out->udp = out->tcp = true;
	if (strncmp(spec, "udp/", 4) == 0) {
		out->tcp = false;
		spec += 4;
	} else if (strncmp(spec, "tcp/", 4) == 0) {
		out->udp = false;
		spec += 4;
	}
	return client_kdc_split(spec, out->host, sizeof(out->host), out->port,
				sizeof(out->port)) == ORTH_OK;
}

orth_err
client_dns_srv_parse(const uint8_t *msg, size_t len, struct client_srv *out,
		     size_t max, size_t *n_out)
{
	ns_msg h;
	size_t n = 0;

	if (len > 65535 || ns_initparse(msg, (int)len, &h) < 0)
		return ORTH_E_MALFORMED;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		ns_rr rr;
		const uint8_t *rd;
		struct client_srv srv;
		size_t at;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return ORTH_E_MALFORMED;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in ||
		    ns_rr_rdlen(rr) < 7)
			continue;
		rd = ns_rr_rdata(rr);
		memset(&srv, 0, sizeof(srv));
		srv.priority = (uint16_t)ns_get16(rd);
		srv.weight = (uint16_t)ns_get16(rd + 2);
		srv.port = (uint16_t)ns_get16(rd + 4);
		/* RFC 2782: the target is a name, "." for "no service". */
		if (dn_expand(ns_msg_base(h), ns_msg_end(h), rd + 6, srv.target,
			      sizeof(srv.target)) < 0)
			continue;
		if (strcmp(srv.target, ".") == 0)
			srv.target[0] = '\0';
		if (n >= max)
			break;
		/* After every record of the same or a lower priority. */
		for (at = n; at > 0 && out[at - 1].priority > srv.priority; at--)
			out[at] = out[at - 1];
		out[at] = srv;
		n++;
	}
	*n_out = n;
	return ORTH_OK;
}

/* The SRV records of _kerberos.<proto>.<realm>. as servers of that
 * transport.  A lone "." target: the realm has no KDC on it. */
static size_t
dns_servers(const char *realm, bool tcp, struct server *out, size_t max)
{
	char name[NS_MAXDNAME];
	uint8_t *ans = NULL;
	struct client_srv srv[SENDTO_MAX_SERVERS];
	size_t nsrv = 0, n = 0;
	int len;

	if (max == 0 || realm[0] == '\0' ||
	    (size_t)snprintf(name, sizeof(name), "_kerberos.%s.%s%s", tcp ? "_tcp" : "_udp", realm,
			     realm[strlen(realm) - 1] == '.' ? "" : ".") >= sizeof(name))
		return 0;
	/* An absolute name: no search domains (MIT's make_lookup_name). */
	ans = malloc(65536);
	if (ans == NULL)
		return 0;
	len = res_query(name, ns_c_in, ns_t_srv, ans, 65536);
	if (len > 0 &&
	    client_dns_srv_parse(ans, (size_t)len, srv, SENDTO_MAX_SERVERS, &nsrv) == ORTH_OK &&
	    !(nsrv == 1 && srv[0].target[0] == '\0')) {
		for (size_t i = 0; i < nsrv && n < max; i++) {
			if (srv[i].target[0] == '\0')
				continue;
			memset(&out[n], 0, sizeof(out[n]));
			/* The target is fully qualified: a final dot keeps the
			 * resolver from searching. */
			snprintf(out[n].host, sizeof(out[n].host), "%.254s.", srv[i].target);
			snprintf(out[n].port, sizeof(out[n].port), "%u", srv[i].port);
			out[n].udp = !tcp;
			out[n].tcp = tcp;
			n++;
		}
	}
	free(ans);
	return n;
}

/* The KDCs of realm: krb5.conf's, else DNS SRV records when allowed. */
static size_t
servers_locate(const struct client_conf *conf, const char *realm, struct server *out,
	       size_t max)
{
	char kdcs[CLIENT_MAX_KDCS][256];
	size_t nkdc = 0, n = 0;

	if (client_conf_kdcs(conf, realm, kdcs, CLIENT_MAX_KDCS, &nkdc) == ORTH_OK) {
		for (size_t i = 0; i < nkdc && n < max; i++)
			if (server_from_conf(kdcs[i], &out[n]))
				n++;
		return n;
	}
	if (!conf->dns_lookup_kdc)
		return 0;
	/* RFC 4120 §7.2.3.2: _kerberos._udp and _kerberos._tcp. */
	n = dns_servers(realm, false, out, max);
	n += dns_servers(realm, true, out + n, max - n);
	return n;
}

orth_err
client_sendto_kdc(struct client_ctx *ctx, const char *realm,
		  const uint8_t *req, size_t req_len, uint8_t **resp_out,
		  size_t *resp_len_out)
{
	struct server servers[SENDTO_MAX_SERVERS];
	struct sendto *st = NULL;
	size_t nservers;
	bool tcp_first = (int64_t)req_len > ctx->conf.udp_preference_limit;
	int step = ctx->conf.kdc_step_ms > 0 ? ctx->conf.kdc_step_ms : 1000;
	int delay = 4 * step;
	orth_err ret = ORTH_OK;

	nservers = servers_locate(&ctx->conf, realm, servers, SENDTO_MAX_SERVERS);
	if (nservers == 0)
		return client_fail(ctx, ORTH_E_NOTFOUND,
				   "Cannot find KDC for realm \"%s\"", realm);
	st = calloc(1, sizeof(*st));
	CHECK(st != NULL, ORTH_E_NOMEM);
	st->udpbuf = malloc(SENDTO_UDP_MAX);
	CHECK(st->udpbuf != NULL, ORTH_E_NOMEM);
	st->ctx = ctx;
	st->req = req;
	st->req_len = req_len;

	/* Pass 1: each KDC in order over its preferred transport, one step
	 * each; then the deferred ones; then two steps for late answers. */
	for (size_t s = 0; s < nservers && st->winner == NULL; s++) {
		size_t first = st->nconns;
		server_resolve(st, &servers[s], tcp_first);
		for (size_t i = first; i < st->nconns && st->winner == NULL; i++)
			if (!st->conns[i].defer && conn_send(st, &st->conns[i]))
				(void)serve(st, step);
	}
	for (size_t i = 0; i < st->nconns && st->winner == NULL; i++)
		if (st->conns[i].defer && conn_send(st, &st->conns[i]))
			(void)serve(st, step);
	if (st->winner == NULL)
		(void)serve(st, 2 * step);
	/* Later passes: resend over UDP, then a growing wait. */
	for (int pass = 1; pass < ctx->conf.kdc_passes && st->winner == NULL; pass++) {
		bool live = false;
		for (size_t i = 0; i < st->nconns && st->winner == NULL; i++)
			if (conn_send(st, &st->conns[i]))
				(void)serve(st, step);
		for (size_t i = 0; i < st->nconns; i++)
			live |= conn_live(&st->conns[i]);
		if (!live || st->winner != NULL)
			break;
		(void)serve(st, delay);
		delay *= 2;
	}

	if (st->winner != NULL || st->unavail != NULL) {
		/* No better answer than "unavailable": that is the answer. */
		*resp_out = st->winner != NULL ? st->winner : st->unavail;
		*resp_len_out = st->winner != NULL ? st->winner_len : st->unavail_len;
		if (st->winner != NULL)
			st->winner = NULL;
		else
			st->unavail = NULL;
	} else if (!st->resolved_any) {
		ret = client_fail(ctx, ORTH_E_NETWORK,
				  "Cannot resolve network address for KDC in realm \"%s\"",
				  realm);
	} else {
		ret = client_fail(ctx, ORTH_E_TIMEOUT,
				  "Cannot contact any KDC for realm '%s'", realm);
	}
cleanup:
	if (st != NULL) {
		for (size_t i = 0; i < st->nconns; i++)
			conn_kill(&st->conns[i]);
		free(st->winner);
		free(st->unavail);
		free(st->udpbuf);
		free(st);
	}
	return ret;
}
