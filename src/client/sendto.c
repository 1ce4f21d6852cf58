/*
 * sendto.c - talking to the KDCs of a realm (RFC 4120 §7.2.1 UDP,
 * §7.2.2 TCP with a 4-byte big-endian length prefix).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn1/asn1.h"
#include "client_int.h"
#include "proto/krb5_const.h"

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for events until deadline: 1 ready, 0 timeout,
 * -1 error. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		int64_t left = deadline - now_ms();
		int r;
		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		return (pfd.revents & (POLLERR | POLLNVAL)) && !(pfd.revents & POLLIN) ? -1 : 1;
	}
}

/* True when buf is a KRB-ERROR with code KRB_ERR_RESPONSE_TOO_BIG. */
static bool
is_too_big(const uint8_t *buf, size_t len)
{
	struct arena a = {0};
	KRB_ERROR e;
	bool r = false;

	if (der_peek_application_tag(buf, len) != KRB5_MSG_ERROR)
		return false;
	if (arena_init(&a, 64 * 1024) != ORTH_OK)
		return false;
	memset(&e, 0, sizeof(e));
	if (der_decode(&asn1_KRB_ERROR, buf, len, &a, &e) == ORTH_OK)
		r = e.error_code == KRB_ERR_RESPONSE_TOO_BIG;
	arena_free(&a);
	return r;
}

/* One UDP exchange with one address; tries times with growing timeouts.
 * 1 = answer, 0 = no answer, -1 = refused/unreachable. */
static int
udp_exchange(const struct client_conf *c, const struct addrinfo *ai,
	     const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len)
{
	int fd, ret = 0;
	uint8_t *buf = NULL;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return -1;
	/* connect(): the kernel drops datagrams from anyone else and
	 * reports ICMP unreachable as ECONNREFUSED. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		return -1;
	}
	buf = malloc(65536);
	if (buf == NULL) {
		close(fd);
		return -1;
	}
	for (int t = 0; t < c->udp_tries && ret == 0; t++) {
		int64_t deadline = now_ms() + (int64_t)c->udp_timeout_ms * (t + 1);
		if (send(fd, req, len, 0) != (ssize_t)len) {
			ret = -1;
			break;
		}
		for (;;) {
			int w = wait_fd(fd, POLLIN, deadline);
			ssize_t n;
			if (w <= 0) {
				if (w < 0)
					ret = -1;
				break;
			}
			n = recv(fd, buf, 65536, 0);
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				ret = -1;
				break;
			}
			if (n == 0)
				continue;
			*resp = malloc((size_t)n);
			if (*resp == NULL) {
				ret = -1;
				break;
			}
			memcpy(*resp, buf, (size_t)n);
			*resp_len = (size_t)n;
			ret = 1;
			break;
		}
	}
	free(buf);
	close(fd);
	return ret;
}

static bool
read_full(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t r;
		if (wait_fd(fd, POLLIN, deadline) != 1)
			return false;
		r = read(fd, p, n);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

/* One TCP exchange.  1 = answer, 0 = timeout, -1 = error. */
static int
tcp_exchange(const struct client_conf *c, const struct addrinfo *ai,
	     const uint8_t *req, size_t len, uint8_t **resp, size_t *resp_len)
{
	int fd, ret = -1;
	int64_t deadline = now_ms() + c->tcp_timeout_ms;
	uint8_t hdr[4];
	uint32_t rlen;
	uint8_t *out = NULL;
	const uint8_t *p;
	size_t left;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (errno != EINPROGRESS)
			goto done;
		if (wait_fd(fd, POLLOUT, deadline) != 1)
			goto done;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)
			goto done;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	for (int part = 0; part < 2; part++) {
		p = part == 0 ? hdr : req;
		left = part == 0 ? 4 : len;
		while (left > 0) {
			ssize_t w;
			if (wait_fd(fd, POLLOUT, deadline) != 1)
				goto done;
			w = send(fd, p, left, MSG_NOSIGNAL);
			if (w < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (w <= 0)
				goto done;
			p += w;
			left -= (size_t)w;
		}
	}
	if (!read_full(fd, hdr, 4, deadline))
		goto done;
	rlen = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) |
	       ((uint32_t)hdr[2] << 8) | hdr[3];
	/* RFC 4120 §7.2.2: the high bit is reserved; a length we would not
	 * accept is not read at all. */
	if (rlen == 0 || rlen > CLIENT_MAX_REPLY)
		goto done;
	out = malloc(rlen);
	if (out == NULL)
		goto done;
	if (!read_full(fd, out, rlen, deadline))
		goto done;
	*resp = out;
	*resp_len = rlen;
	out = NULL;
	ret = 1;
done:
	free(out);
	close(fd);
	return ret;
}

orth_err
client_sendto_kdc(struct client_ctx *ctx, const char *realm,
		  const uint8_t *req, size_t req_len, uint8_t **resp_out,
		  size_t *resp_len_out)
{
	char kdcs[CLIENT_MAX_KDCS][256];
	size_t nkdc = 0;
	bool tcp_first = (int64_t)req_len > ctx->conf.udp_preference_limit;
	bool tried_any = false;

	if (client_conf_kdcs(&ctx->conf, realm, kdcs, CLIENT_MAX_KDCS, &nkdc) !=
	    ORTH_OK)
		return client_fail(ctx, ORTH_E_NOTFOUND,
				   "Cannot find KDC for realm \"%s\"", realm);
	/* Pass 0: each KDC in order over the preferred transport (UDP, with
	 * a switch to TCP on RESPONSE_TOO_BIG); pass 1: the other one. */
	for (int pass = 0; pass < 2; pass++) {
		bool use_tcp = tcp_first ? pass == 0 : pass == 1;
		for (size_t k = 0; k < nkdc; k++) {
			char host[256], port[8];
			struct addrinfo hints, *res = NULL, *ai;
			if (client_kdc_split(kdcs[k], host, sizeof(host), port,
					     sizeof(port)) != ORTH_OK)
				continue;
			memset(&hints, 0, sizeof(hints));
			hints.ai_family = AF_UNSPEC;
			hints.ai_socktype = use_tcp ? SOCK_STREAM : SOCK_DGRAM;
			if (getaddrinfo(host, port, &hints, &res) != 0)
				continue;
			for (ai = res; ai != NULL; ai = ai->ai_next) {
				uint8_t *resp = NULL;
				size_t rl = 0;
				int r;
				tried_any = true;
				if (use_tcp)
					r = tcp_exchange(&ctx->conf, ai, req,
							 req_len, &resp, &rl);
				else
					r = udp_exchange(&ctx->conf, ai, req,
							 req_len, &resp, &rl);
				if (r != 1)
					continue;
				if (!use_tcp && is_too_big(resp, rl)) {
					/* RFC 4120 §7.2.1: retry this KDC
					 * over TCP. */
					struct addrinfo h2 = *ai;
					free(resp);
					resp = NULL;
					h2.ai_socktype = SOCK_STREAM;
					h2.ai_protocol = 0;
					r = tcp_exchange(&ctx->conf, &h2, req,
							 req_len, &resp, &rl);
					if (r != 1)
						continue;
				}
				freeaddrinfo(res);
				*resp_out = resp;
				*resp_len_out = rl;
				return ORTH_OK;
			}
			freeaddrinfo(res);
		}
	}
	if (!tried_any)
		return client_fail(ctx, ORTH_E_NETWORK,
				   "Cannot resolve network address for KDC in realm \"%s\"",
				   realm);
	return client_fail(ctx, ORTH_E_TIMEOUT,
			   "Cannot contact any KDC for realm '%s'", realm);
}
