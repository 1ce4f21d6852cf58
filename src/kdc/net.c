#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "proto/krb5_const.h"

/*
 * epoll tags: kind (8 bits) | generation (24 bits) | index (32 bits).  The
 * generation of a connection slot changes each time it is reused, so an
 * event collected in the same epoll_wait batch as the close of its
 * connection is recognised as stale and ignored.
 */
enum ev_kind { EV_UDP = 1, EV_LISTEN, EV_CONN, EV_STOP, EV_SIGNAL };
#define TAG(kind, gen, idx)                                                   \
	(((uint64_t)(kind) << 56) | ((uint64_t)((gen) & 0xffffff) << 32) | (uint32_t)(idx))
#define TAG_KIND(t) ((unsigned)((t) >> 56))
#define TAG_GEN(t) ((uint32_t)(((t) >> 32) & 0xffffff))
#define TAG_IDX(t) ((uint32_t)(t))

#define MAX_EVENTS 64
#define UDP_BURST 32        /* datagrams per wakeup per socket: fairness */
#define TCP_BURST 16        /* requests per wakeup per connection */
#define LISTEN_BACKLOG 1024

enum conn_state {
	CONN_FREE,
	CONN_READ,          /* reading a length prefix or a request */
	CONN_WRITE,         /* a reply is partly sent; not reading */
	CONN_DRAIN,         /* error sent, write side shut: discard until EOF */
};

struct conn {
	int fd;
	enum conn_state state;
	uint32_t gen;
	struct kdc_request_info info;
	uint8_t hdr[4];
	size_t hdr_got;
	uint8_t *req;        /* malloc'd once the length is known */
	size_t req_len, req_got;
	uint8_t *out;        /* unsent part of a reply, malloc'd */
	size_t out_len, out_off;
	bool close_after_write;
	uint64_t last_ms;    /* last byte in or out */
	struct conn *prev, *next; /* activity list, head = least recent */
	struct conn *free_next;
};

struct worker {
	struct kdc_net *net;
	unsigned id;
	int epfd;
	void *ctx;
	kdc_dispatch_fn dispatch;
	struct conn *conns;
	struct conn *free_list;
	struct conn *lru_head, *lru_tail;
	size_t nconns;
	uint8_t *udp_buf;    /* KDC_NET_UDP_MAX + 1 */
	uint8_t *reply_buf;  /* 4 + tcp_max_reply */
	orth_err result;
	pthread_t thread;
	bool started;
	uint64_t evict_log_ms;   /* rate limit for the connection-cap message */
	size_t evicted;          /* since the last such message */
};

/* Both services' listeners of a transport in one list: the KDC's first
 * (n_kdc of them), then kpasswd's. */
#define NET_MAX_LISTEN (2 * KDC_NET_MAX_ADDRS)

struct kdc_net {
	struct kdc_net_config cfg;
	size_t n_udp, n_tcp;         /* listeners, both services */
	size_t n_kdc_udp, n_kdc_tcp; /* of which the KDC's */
	uint16_t udp_port[NET_MAX_LISTEN], tcp_port[NET_MAX_LISTEN];
	int *udp_fd;         /* [worker * n_udp + i] */
	int *tcp_fd;         /* [worker * n_tcp + i] */
	int stop_fd;         /* eventfd: readable = stop, seen by every worker */
	int sig_fd;          /* signalfd while running, else -1 */
	struct worker *workers;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
kdc_net_config_default(struct kdc_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->udp_max_reply = KDC_NET_DEFAULT_UDP_MAX_REPLY;
	cfg->tcp_max_msg = KDC_NET_DEFAULT_TCP_MAX_MSG;
	cfg->tcp_max_reply = KDC_NET_DEFAULT_TCP_MAX_REPLY;
	cfg->tcp_max_conns = KDC_NET_DEFAULT_TCP_MAX_CONNS;
	cfg->tcp_idle_ms = KDC_NET_DEFAULT_TCP_IDLE_MS;
	cfg->signals = true;
	cfg->reopen = NULL;
}

/* ---- addresses ---- */

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

static void
peer_format(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, cap, "%s:%u", a, ntohs(sin->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, ntohs(sin6->sin6_port));
	} else {
		snprintf(buf, cap, "?");
	}
}

static void
addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* ---- opening sockets ---- */

/*
 * Opens, binds (and for TCP listens on) one socket of t at ss.  join:
 * another worker's socket holds the address already; bind with
 * SO_REUSEPORT to share it.  Otherwise the socket is the address's first
 * and is bound without SO_REUSEPORT, so that the bind fails while any
 * other socket holds the address (ORTH_E_EXISTS); share: set SO_REUSEPORT
 * afterwards so that the other workers can join.  UDP sockets never get
 * SO_REUSEADDR: for UDP it would let a second process bind the same port.
 */
static orth_err
socket_open(const char *what, enum kdc_transport t, struct sockaddr_storage *ss,
    socklen_t len, bool join, bool share, int *fd_out, uint16_t *port_out)
{
	orth_err ret = ORTH_OK;
	int fd = -1, one = 1;
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	const char *step = "socket";

	fd = socket(ss->ss_family, (t == KDC_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, ORTH_E_NETWORK);
	step = "setsockopt";
	/* TCP: restart while old connections are in TIME_WAIT. */
	if (t == KDC_TRANSPORT_TCP)
		CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0,
		    ORTH_E_NETWORK);
	if (join)
		CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0,
		    ORTH_E_NETWORK);
	if (ss->ss_family == AF_INET6) {
		/* so that "0.0.0.0" and "::" can both be listed */
		CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) == 0,
		    ORTH_E_NETWORK);
		if (t == KDC_TRANSPORT_UDP)
			CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			    sizeof(one)) == 0, ORTH_E_NETWORK);
	} else if (t == KDC_TRANSPORT_UDP) {
		CHECK(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) == 0,
		    ORTH_E_NETWORK);
	}
	step = "bind";
	if (bind(fd, (struct sockaddr *)ss, len) != 0) {
		ret = errno == EADDRINUSE && !join ? ORTH_E_EXISTS : ORTH_E_NETWORK;
		goto cleanup;
	}
	if (t == KDC_TRANSPORT_TCP) {
		step = "listen";
		/* A TCP port is only taken at listen() when another socket
		 * asked for SO_REUSEPORT and is not listening yet. */
		if (listen(fd, LISTEN_BACKLOG) != 0) {
			ret = errno == EADDRINUSE && !join ? ORTH_E_EXISTS : ORTH_E_NETWORK;
			goto cleanup;
		}
	}
	step = "setsockopt";
	if (share)
		CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0,
		    ORTH_E_NETWORK);
	step = "getsockname";
	CHECK(getsockname(fd, (struct sockaddr *)&bound, &blen) == 0, ORTH_E_NETWORK);
	*port_out = ntohs(bound.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&bound)->sin_port :
	    ((struct sockaddr_in6 *)&bound)->sin6_port);
	*fd_out = fd;
	fd = -1;
cleanup:
	if (ret == ORTH_E_EXISTS)
		log_msg(LOG_LVL_ERR, "%s %s: address in use (another KDC running?)",
		    t == KDC_TRANSPORT_UDP ? "udp" : "tcp", what);
	else if (ret != ORTH_OK)
		log_msg(LOG_LVL_ERR, "%s %s: %s: %s", t == KDC_TRANSPORT_UDP ? "udp" : "tcp",
		    what, step, strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

static orth_err
open_transport(struct kdc_net *net, enum kdc_transport t, const char *const *addrs,
    size_t n, int *fds, uint16_t *ports)
{
	orth_err ret = ORTH_OK;
	size_t i;
	unsigned w;
	struct sockaddr_storage ss;
	socklen_t len;

	for (i = 0; i < n; i++) {
		if (kdc_net_addr_parse(addrs[i], &ss, &len) != ORTH_OK) {
			log_msg(LOG_LVL_ERR, "bad listen address '%s'",
			    addrs[i] ? addrs[i] : "(null)");
			return ORTH_E_CONFIG;
		}
		for (w = 0; w < net->cfg.workers; w++) {
			/* With port 0 the first socket gets a port from the
			 * kernel; the other workers join it. */
			if (w == 1)
				addr_set_port(&ss, ports[i]);
			TRY(socket_open(addrs[i], t, &ss, len, w > 0,
			    w == 0 && net->cfg.workers > 1, &fds[w * n + i], &ports[i]));
		}
	}
cleanup:
	return ret;
}

orth_err
kdc_net_open(const struct kdc_net_config *cfg, struct kdc_net **net_out)
{
	orth_err ret = ORTH_OK;
	struct kdc_net *net = NULL;
	size_t i, nw;
	const char *udp[NET_MAX_LISTEN], *tcp[NET_MAX_LISTEN];

	CHECK(cfg->n_udp + cfg->n_tcp + cfg->n_kpasswd_udp + cfg->n_kpasswd_tcp > 0 &&
	    cfg->n_udp <= KDC_NET_MAX_ADDRS && cfg->n_tcp <= KDC_NET_MAX_ADDRS &&
	    cfg->n_kpasswd_udp <= KDC_NET_MAX_ADDRS &&
	    cfg->n_kpasswd_tcp <= KDC_NET_MAX_ADDRS, ORTH_E_CONFIG);
	CHECK(cfg->workers >= 1 && cfg->workers <= KDC_NET_MAX_WORKERS, ORTH_E_CONFIG);
	/* The TCP length prefix is 31 bits; replies must fit one too. */
	CHECK(cfg->tcp_max_msg >= 1 && cfg->tcp_max_msg <= 0x7fffffff &&
	    cfg->tcp_max_reply >= 64 && cfg->tcp_max_reply <= 0x7fffffff &&
	    cfg->udp_max_reply >= 1 && cfg->tcp_max_conns >= 1 &&
	    cfg->tcp_max_conns <= 0xffffffu && cfg->tcp_idle_ms >= 1, ORTH_E_CONFIG);
	net = calloc(1, sizeof(*net));
	CHECK(net != NULL, ORTH_E_NOMEM);
	net->cfg = *cfg;
	net->cfg.udp_addrs = NULL;
	net->cfg.tcp_addrs = NULL;
	net->cfg.kpasswd_udp_addrs = NULL;
	net->cfg.kpasswd_tcp_addrs = NULL;
	net->n_kdc_udp = cfg->n_udp;
	net->n_kdc_tcp = cfg->n_tcp;
	for (i = 0; i < cfg->n_udp; i++)
		udp[net->n_udp++] = cfg->udp_addrs[i];
	for (i = 0; i < cfg->n_kpasswd_udp; i++)
		udp[net->n_udp++] = cfg->kpasswd_udp_addrs[i];
	for (i = 0; i < cfg->n_tcp; i++)
		tcp[net->n_tcp++] = cfg->tcp_addrs[i];
	for (i = 0; i < cfg->n_kpasswd_tcp; i++)
		tcp[net->n_tcp++] = cfg->kpasswd_tcp_addrs[i];
	net->stop_fd = -1;
	net->sig_fd = -1;
	nw = cfg->workers;
	net->udp_fd = malloc((nw * net->n_udp + 1) * sizeof(int));
	net->tcp_fd = malloc((nw * net->n_tcp + 1) * sizeof(int));
	CHECK(net->udp_fd != NULL && net->tcp_fd != NULL, ORTH_E_NOMEM);
	for (i = 0; i < nw * net->n_udp; i++)
		net->udp_fd[i] = -1;
	for (i = 0; i < nw * net->n_tcp; i++)
		net->tcp_fd[i] = -1;
	net->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(net->stop_fd >= 0, ORTH_E_NETWORK);
	TRY(open_transport(net, KDC_TRANSPORT_UDP, udp, net->n_udp, net->udp_fd,
	    net->udp_port));
	TRY(open_transport(net, KDC_TRANSPORT_TCP, tcp, net->n_tcp, net->tcp_fd,
	    net->tcp_port));
	*net_out = net;
	net = NULL;
cleanup:
	kdc_net_close(net);
	return ret;
}

uint16_t
kdc_net_service_port(const struct kdc_net *net, enum kdc_service s, enum kdc_transport t,
    size_t i)
{
	size_t first, n;

	if (t == KDC_TRANSPORT_UDP) {
		first = s == KDC_SERVICE_KDC ? 0 : net->n_kdc_udp;
		n = s == KDC_SERVICE_KDC ? net->n_kdc_udp : net->n_udp - net->n_kdc_udp;
		return i < n ? net->udp_port[first + i] : 0;
	}
	first = s == KDC_SERVICE_KDC ? 0 : net->n_kdc_tcp;
	n = s == KDC_SERVICE_KDC ? net->n_kdc_tcp : net->n_tcp - net->n_kdc_tcp;
	return i < n ? net->tcp_port[first + i] : 0;
}

uint16_t
kdc_net_port(const struct kdc_net *net, enum kdc_transport t, size_t i)
{
	return kdc_net_service_port(net, KDC_SERVICE_KDC, t, i);
}

void
kdc_net_close(struct kdc_net *net)
{
	size_t i;

	if (net == NULL)
		return;
	if (net->udp_fd != NULL)
		for (i = 0; i < net->cfg.workers * net->n_udp; i++)
			if (net->udp_fd[i] >= 0)
				close(net->udp_fd[i]);
	if (net->tcp_fd != NULL)
		for (i = 0; i < net->cfg.workers * net->n_tcp; i++)
			if (net->tcp_fd[i] >= 0)
				close(net->tcp_fd[i]);
	if (net->stop_fd >= 0)
		close(net->stop_fd);
	free(net->udp_fd);
	free(net->tcp_fd);
	free(net);
}

void
kdc_net_stop(struct kdc_net *net)
{
	uint64_t one = 1;
	ssize_t n;

	/* write(2) on an eventfd is async-signal-safe and thread-safe. */
	n = write(net->stop_fd, &one, sizeof(one));
	(void)n;
}

/* ---- TCP connections ---- */

static void
lru_unlink(struct worker *w, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->lru_head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		w->lru_tail = c->prev;
	c->prev = c->next = NULL;
}

static void
lru_append(struct worker *w, struct conn *c)
{
	c->next = NULL;
	c->prev = w->lru_tail;
	if (w->lru_tail != NULL)
		w->lru_tail->next = c;
	else
		w->lru_head = c;
	w->lru_tail = c;
}

/* Every open connection is on the list; activity moves it to the tail. */
static void
lru_touch(struct worker *w, struct conn *c, uint64_t now)
{
	c->last_ms = now;
	if (w->lru_tail == c)
		return;
	lru_unlink(w, c);
	lru_append(w, c);
}

static void
conn_close(struct worker *w, struct conn *c)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	free(c->req);
	c->req = NULL;
	free(c->out);
	c->out = NULL;
	lru_unlink(w, c);
	c->state = CONN_FREE;
	c->gen++;
	c->free_next = w->free_list;
	w->free_list = c;
	w->nconns--;
}

static int
conn_watch(struct worker *w, struct conn *c, uint32_t events)
{
	struct epoll_event ev = {.events = events,
	    .data.u64 = TAG(EV_CONN, c->gen, (uint32_t)(c - w->conns))};

	return epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* After the last byte of a reply: read the next request, or wind down. */
static void
conn_reply_done(struct worker *w, struct conn *c)
{
	if (c->close_after_write) {
		/* Half-close so the peer sees EOF after our KRB-ERROR, then
		 * discard what it still sends: closing with unread input
		 * would send a RST that may destroy the error in flight. */
		shutdown(c->fd, SHUT_WR);
		c->state = CONN_DRAIN;
	} else {
		c->state = CONN_READ;
	}
	if (conn_watch(w, c, EPOLLIN) != 0)
		conn_close(w, c);
}

/*
 * Sends len bytes from buf (which the caller reuses afterwards): what the
 * socket does not take now is copied and sent on EPOLLOUT.
 * Returns false if the connection was closed.
 */
static bool
conn_send(struct worker *w, struct conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_close(w, c);
		return false;
	}
	lru_touch(w, c, now);
	if (off == len) {
		conn_reply_done(w, c);
		return c->state != CONN_FREE;
	}
	c->out = malloc(len - off);
	if (c->out == NULL) {
		conn_close(w, c);
		return false;
	}
	memcpy(c->out, buf + off, len - off);
	c->out_len = len - off;
	c->out_off = 0;
	c->state = CONN_WRITE;
	if (conn_watch(w, c, EPOLLOUT) != 0) {
		conn_close(w, c);
		return false;
	}
	return true;
}

static void
conn_flush(struct worker *w, struct conn *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			lru_touch(w, c, now);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(w, c);
		return;
	}
	free(c->out);
	c->out = NULL;
	conn_reply_done(w, c);
}

/* Frame what is in w->reply_buf + 4 (len bytes) and send it. */
static bool
conn_send_framed(struct worker *w, struct conn *c, size_t len, uint64_t now)
{
	w->reply_buf[0] = (uint8_t)(len >> 24);
	w->reply_buf[1] = (uint8_t)(len >> 16);
	w->reply_buf[2] = (uint8_t)(len >> 8);
	w->reply_buf[3] = (uint8_t)len;
	return conn_send(w, c, w->reply_buf, len + 4, now);
}

/*
 * Hands the request buffered on c (or, when too_long, the refusal of its
 * length: RFC 4120 §7.2.2) to dispatch and sends the reply.  Returns false
 * when c was closed or is being closed.
 */
static bool
conn_process(struct worker *w, struct conn *c, bool too_long, uint64_t now)
{
	struct writer out;
	orth_err ret;

	writer_init(&out, w->reply_buf + 4, w->net->cfg.tcp_max_reply);
	c->info.max_reply = w->net->cfg.tcp_max_reply;
	c->info.too_long = too_long;
	ret = w->dispatch(w->ctx, &c->info, too_long ? NULL : c->req,
	    too_long ? 0 : c->req_len, &out);
	if (ret != ORTH_OK)
		log_msg(LOG_LVL_DEBUG, "tcp %s: dispatch: %s", c->info.peer_str,
		    orth_err_str(ret));
	if (c->req != NULL)
		explicit_bzero(c->req, c->req_len);
	free(c->req);
	c->req = NULL;
	c->req_len = c->req_got = 0;
	c->hdr_got = 0;
	if (writer_err(&out) != ORTH_OK || out.len == 0) {
		if (writer_err(&out) != ORTH_OK)
			log_msg(LOG_LVL_WARN, "tcp %s: reply over %zu bytes dropped",
			    c->info.peer_str, w->net->cfg.tcp_max_reply);
		conn_close(w, c);
		return false;
	}
	c->close_after_write = too_long;
	return conn_send_framed(w, c, out.len, now);
}

static void
conn_read(struct worker *w, struct conn *c, uint64_t now)
{
	int served = 0;

	while (c->state == CONN_READ && served < TCP_BURST) {
		ssize_t n;
		if (c->hdr_got < 4)
			n = read(c->fd, c->hdr + c->hdr_got, 4 - c->hdr_got);
		else
			n = read(c->fd, c->req + c->req_got, c->req_len - c->req_got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EOF (possibly mid-message) or error */
			conn_close(w, c);
			return;
		}
		lru_touch(w, c, now);
		if (c->hdr_got < 4) {
			c->hdr_got += (size_t)n;
			if (c->hdr_got < 4)
				continue;
			uint32_t len = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
			    (uint32_t)c->hdr[2] << 8 | c->hdr[3];
			if ((len & 0x80000000u) != 0 || len > w->net->cfg.tcp_max_msg) {
				log_msg(LOG_LVL_INFO, "tcp %s: length 0x%08x refused",
				    c->info.peer_str, len);
				(void)conn_process(w, c, true, now);
				return;
			}
			c->req_len = len;
			c->req_got = 0;
			c->req = malloc(len ? len : 1);
			if (c->req == NULL) {
				conn_close(w, c);
				return;
			}
		} else {
			c->req_got += (size_t)n;
		}
		if (c->hdr_got == 4 && c->req_got == c->req_len) {
			served++;
			if (!conn_process(w, c, false, now))
				return;
		}
	}
}

static void
conn_drain(struct worker *w, struct conn *c, uint64_t now)
{
	uint8_t sink[4096];

	for (;;) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n > 0) {
			lru_touch(w, c, now);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		conn_close(w, c);
		return;
	}
}

static void
conn_event(struct worker *w, struct conn *c, uint32_t events, uint64_t now)
{
	if ((events & EPOLLERR) != 0) {
		conn_close(w, c);
		return;
	}
	switch (c->state) {
	case CONN_WRITE:
		if ((events & (EPOLLOUT | EPOLLHUP)) != 0)
			conn_flush(w, c, now);
		break;
	case CONN_READ:
		if ((events & (EPOLLIN | EPOLLHUP)) != 0)
			conn_read(w, c, now);
		break;
	case CONN_DRAIN:
		if ((events & (EPOLLIN | EPOLLHUP)) != 0)
			conn_drain(w, c, now);
		break;
	case CONN_FREE:
		break;
	}
}

static void
tcp_accept(struct worker *w, int lfd, enum kdc_service svc, uint64_t now)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct conn *c;
		struct epoll_event ev;
		int fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if ((errno == EMFILE || errno == ENFILE) && w->lru_head != NULL) {
				/* Out of descriptors: give up the stalest
				 * connection rather than spin on the listener. */
				conn_close(w, w->lru_head);
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_LVL_WARN, "accept: %s", strerror(errno));
			return;
		}
		if (w->nconns >= w->net->cfg.tcp_max_conns) {
			/* At most one line a second: a flood must not flood the log. */
			w->evicted++;
			if (now - w->evict_log_ms >= 1000 || w->evict_log_ms == 0) {
				log_msg(LOG_LVL_WARN, "tcp: at the cap of %zu connections: "
				    "closed %zu least recently active (latest %s)",
				    w->nconns, w->evicted, w->lru_head->info.peer_str);
				w->evict_log_ms = now;
				w->evicted = 0;
			}
			conn_close(w, w->lru_head);
		}
		c = w->free_list;
		w->free_list = c->free_next;
		w->nconns++;
		c->fd = fd;
		c->state = CONN_READ;
		c->hdr_got = 0;
		c->req = NULL;
		c->req_len = c->req_got = 0;
		c->out = NULL;
		c->out_len = c->out_off = 0;
		c->close_after_write = false;
		c->prev = c->next = NULL;
		memset(&c->info, 0, sizeof(c->info));
		c->info.transport = KDC_TRANSPORT_TCP;
		c->info.service = svc;
		c->info.transport_str = "tcp";
		c->info.local_len = sizeof(c->info.local);
		if (getsockname(fd, (struct sockaddr *)&c->info.local,
		    &c->info.local_len) != 0)
			c->info.local_len = 0;
		c->info.worker = w->id;
		c->info.peer = ss;
		c->info.peer_len = len;
		peer_format(&ss, c->info.peer_str, sizeof(c->info.peer_str));
		c->last_ms = now;
		lru_append(w, c);
		ev.events = EPOLLIN;
		ev.data.u64 = TAG(EV_CONN, c->gen, (uint32_t)(c - w->conns));
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			log_msg(LOG_LVL_WARN, "epoll_ctl: %s", strerror(errno));
			conn_close(w, c);
		}
	}
}

/* Closes connections idle for tcp_idle_ms; returns ms until the next
 * deadline, or -1 when there is no connection. */
static int
tcp_sweep(struct worker *w, uint64_t now)
{
	uint64_t idle = w->net->cfg.tcp_idle_ms;

	while (w->lru_head != NULL && now - w->lru_head->last_ms >= idle) {
		log_msg(LOG_LVL_DEBUG, "tcp %s: idle, closed", w->lru_head->info.peer_str);
		conn_close(w, w->lru_head);
	}
	if (w->lru_head == NULL)
		return -1;
	/* wake at most once a minute with long timeouts: no int overflow */
	idle = w->lru_head->last_ms + idle - now;
	return idle > 60000 ? 60000 : (int)idle + 1;
}

/* ---- UDP ---- */

union cmsg_space {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
	    CMSG_SPACE(sizeof(struct in_pktinfo))];
};

/* The address a datagram came to (its destination, from the packet info)
 * with the listener's port into info->local; left unknown without it. */
static void
udp_local_addr(struct msghdr *in, uint16_t port, struct kdc_request_info *info)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(in); cm != NULL; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			struct sockaddr_in *sin = (struct sockaddr_in *)&info->local;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(sin, 0, sizeof(*sin));
			sin->sin_family = AF_INET;
			sin->sin_addr = pi.ipi_addr;
			sin->sin_port = htons(port);
			info->local_len = sizeof(*sin);
			return;
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&info->local;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(sin6, 0, sizeof(*sin6));
			sin6->sin6_family = AF_INET6;
			sin6->sin6_addr = pi.ipi6_addr;
			sin6->sin6_port = htons(port);
			info->local_len = sizeof(*sin6);
			return;
		}
	}
}

/* Builds the control message that makes the reply leave from the address
 * the request came to; returns its length, 0 if there is none. */
static size_t
udp_reply_cmsg(struct msghdr *in, union cmsg_space *out)
{
	struct cmsghdr *cm, *o;

	memset(out, 0, sizeof(*out));
	o = (struct cmsghdr *)out->buf;
	for (cm = CMSG_FIRSTHDR(in); cm != NULL; cm = CMSG_NXTHDR(in, cm)) {
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi, po;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			memset(&po, 0, sizeof(po));
			po.ipi_spec_dst = pi.ipi_addr;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(po));
			memcpy(CMSG_DATA(o), &po, sizeof(po));
			return CMSG_SPACE(sizeof(po));
		}
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
	}
	return 0;
}

static void
udp_service(struct worker *w, int fd, enum kdc_service svc, uint16_t port)
{
	const struct kdc_net_config *cfg = &w->net->cfg;
	int k;

	for (k = 0; k < UDP_BURST; k++) {
		struct kdc_request_info info;
		struct iovec iov = {.iov_base = w->udp_buf, .iov_len = KDC_NET_UDP_MAX + 1};
		union cmsg_space cin, cout;
		struct msghdr mh;
		struct writer out;
		orth_err ret;
		ssize_t n;
		size_t clen;

		memset(&info, 0, sizeof(info));
		memset(&mh, 0, sizeof(mh));
		mh.msg_name = &info.peer;
		mh.msg_namelen = sizeof(info.peer);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cin.buf;
		mh.msg_controllen = sizeof(cin.buf);
		n = recvmsg(fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_LVL_WARN, "udp recvmsg: %s", strerror(errno));
			return;
		}
		if ((mh.msg_flags & MSG_TRUNC) != 0 || (size_t)n > KDC_NET_UDP_MAX)
			continue;
		info.transport = KDC_TRANSPORT_UDP;
		info.service = svc;
		info.transport_str = "udp";
		udp_local_addr(&mh, port, &info);
		info.worker = w->id;
		info.peer_len = mh.msg_namelen;
		peer_format(&info.peer, info.peer_str, sizeof(info.peer_str));

		info.max_reply = cfg->udp_max_reply;
		writer_init(&out, w->reply_buf, cfg->tcp_max_reply);
		ret = w->dispatch(w->ctx, &info, w->udp_buf, (size_t)n, &out);
		if (ret != ORTH_OK)
			log_msg(LOG_LVL_DEBUG, "udp %s: dispatch: %s", info.peer_str,
			    orth_err_str(ret));
		if (writer_err(&out) != ORTH_OK || out.len > cfg->udp_max_reply) {
			/* The callback should have answered RESPONSE_TOO_BIG. */
			log_msg(LOG_LVL_WARN, "udp %s: reply over %zu bytes dropped",
			    info.peer_str, cfg->udp_max_reply);
			out.len = 0;
		}
		if (out.len == 0)
			continue;

		clen = udp_reply_cmsg(&mh, &cout);
		iov.iov_base = w->reply_buf;
		iov.iov_len = out.len;
		mh.msg_control = clen ? cout.buf : NULL;
		mh.msg_controllen = clen;
		mh.msg_flags = 0;
		mh.msg_namelen = info.peer_len;
		if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0 && clen != 0) {
			/* e.g. a request sent to a broadcast address: let
			 * the kernel pick the source. */
			mh.msg_control = NULL;
			mh.msg_controllen = 0;
			if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0)
				log_msg(LOG_LVL_DEBUG, "udp %s: send: %s", info.peer_str,
				    strerror(errno));
		}
	}
}

/* ---- the loop ---- */

static bool
handle_signals(struct worker *w)
{
	struct signalfd_siginfo si;
	bool stop = false;

	for (;;) {
		ssize_t n = read(w->net->sig_fd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si))
			break;
		if (si.ssi_signo == SIGHUP) {
			log_msg(LOG_LVL_INFO, "SIGHUP: reopening logs");
			if (w->net->cfg.reopen != NULL)
				w->net->cfg.reopen();
			else
				log_reopen();
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_msg(LOG_LVL_INFO, "signal %u: stopping", si.ssi_signo);
			stop = true;
		}
	}
	return stop;
}

static orth_err
watch(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? ORTH_OK : ORTH_E_NETWORK;
}

static void
worker_release(struct worker *w)
{
	size_t i;

	if (w->conns != NULL)
		for (i = 0; i < w->net->cfg.tcp_max_conns; i++)
			if (w->conns[i].state != CONN_FREE)
				conn_close(w, &w->conns[i]);
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
	free(w->conns);
	w->conns = NULL;
	free(w->udp_buf);
	w->udp_buf = NULL;
	free(w->reply_buf);
	w->reply_buf = NULL;
}

static orth_err
worker_loop(struct worker *w)
{
	orth_err ret = ORTH_OK;
	struct kdc_net *net = w->net;
	struct epoll_event evs[MAX_EVENTS];
	size_t i, nconn = net->cfg.tcp_max_conns;
	int timeout = -1;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(w->epfd >= 0, ORTH_E_NETWORK);
	w->conns = calloc(nconn, sizeof(*w->conns));
	w->udp_buf = malloc(KDC_NET_UDP_MAX + 1);
	w->reply_buf = malloc(4 + net->cfg.tcp_max_reply);
	CHECK(w->conns != NULL && w->udp_buf != NULL && w->reply_buf != NULL,
	    ORTH_E_NOMEM);
	for (i = nconn; i-- > 0;) {
		w->conns[i].fd = -1;
		w->conns[i].state = CONN_FREE;
		w->conns[i].free_next = w->free_list;
		w->free_list = &w->conns[i];
	}
	TRY(watch(w->epfd, net->stop_fd, TAG(EV_STOP, 0, 0)));
	if (w->id == 0 && net->sig_fd >= 0)
		TRY(watch(w->epfd, net->sig_fd, TAG(EV_SIGNAL, 0, 0)));
	for (i = 0; i < net->n_udp; i++)
		TRY(watch(w->epfd, net->udp_fd[w->id * net->n_udp + i], TAG(EV_UDP, 0, i)));
	for (i = 0; i < net->n_tcp; i++)
		TRY(watch(w->epfd, net->tcp_fd[w->id * net->n_tcp + i],
		    TAG(EV_LISTEN, 0, i)));

	for (;;) {
		int n = epoll_wait(w->epfd, evs, MAX_EVENTS, timeout);
		uint64_t now;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg(LOG_LVL_ERR, "epoll_wait: %s", strerror(errno));
			CHECK(0, ORTH_E_NETWORK);
		}
		now = mono_ms();
		for (i = 0; i < (size_t)n; i++) {
			uint64_t tag = evs[i].data.u64;
			uint32_t idx = TAG_IDX(tag);
			switch (TAG_KIND(tag)) {
			case EV_STOP:
				goto cleanup;
			case EV_SIGNAL:
				if (handle_signals(w)) {
					kdc_net_stop(net);
					goto cleanup;
				}
				break;
			case EV_UDP:
				udp_service(w, net->udp_fd[w->id * net->n_udp + idx],
				    idx < net->n_kdc_udp ? KDC_SERVICE_KDC : KDC_SERVICE_KPASSWD,
				    net->udp_port[idx]);
				break;
			case EV_LISTEN:
				tcp_accept(w, net->tcp_fd[w->id * net->n_tcp + idx],
				    idx < net->n_kdc_tcp ? KDC_SERVICE_KDC : KDC_SERVICE_KPASSWD,
				    now);
				break;
			case EV_CONN:
				if (idx < nconn && w->conns[idx].state != CONN_FREE &&
				    (w->conns[idx].gen & 0xffffff) == TAG_GEN(tag))
					conn_event(w, &w->conns[idx], evs[i].events, now);
				break;
			default:
				break;
			}
		}
		timeout = tcp_sweep(w, mono_ms());
	}
cleanup:
	worker_release(w);
	return ret;
}

static void *
worker_thread(void *arg)
{
	struct worker *w = arg;

	w->result = worker_loop(w);
	/* one worker failing stops them all */
	if (w->result != ORTH_OK)
		kdc_net_stop(w->net);
	return NULL;
}

orth_err
kdc_net_run(struct kdc_net *net, kdc_dispatch_fn dispatch, void *const *ctxs)
{
	orth_err ret = ORTH_OK;
	sigset_t set, old;
	bool masked = false;
	unsigned i;
	uint64_t junk;

	net->workers = calloc(net->cfg.workers, sizeof(*net->workers));
	CHECK(net->workers != NULL, ORTH_E_NOMEM);
	if (net->cfg.signals) {
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGHUP);
		/* Blocked before the workers start, so they inherit it. */
		CHECK(pthread_sigmask(SIG_BLOCK, &set, &old) == 0, ORTH_E_INTERNAL);
		masked = true;
		net->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
		CHECK(net->sig_fd >= 0, ORTH_E_NETWORK);
	}
	for (i = 0; i < net->cfg.workers; i++) {
		struct worker *w = &net->workers[i];
		w->net = net;
		w->id = i;
		w->epfd = -1;
		w->ctx = ctxs != NULL ? ctxs[i] : NULL;
		w->dispatch = dispatch;
	}
	for (i = 1; i < net->cfg.workers; i++) {
		if (pthread_create(&net->workers[i].thread, NULL, worker_thread,
		    &net->workers[i]) != 0) {
			log_msg(LOG_LVL_ERR, "cannot start worker %u", i);
			kdc_net_stop(net);
			ret = ORTH_E_INTERNAL;
			break;
		}
		net->workers[i].started = true;
	}
	if (ret == ORTH_OK)
		ret = worker_loop(&net->workers[0]);
	kdc_net_stop(net);
	for (i = 1; i < net->cfg.workers; i++) {
		if (!net->workers[i].started)
			continue;
		pthread_join(net->workers[i].thread, NULL);
		if (ret == ORTH_OK)
			ret = net->workers[i].result;
	}
	/* Re-arm for another run: consume the stop request. */
	if (read(net->stop_fd, &junk, sizeof(junk)) < 0)
		junk = 0;
cleanup:
	if (net->sig_fd >= 0) {
		/* Deliver a pending SIGHUP to the hook, not to the default
		 * action, before unblocking. */
		if (net->workers != NULL) {
			struct worker tmp = {.net = net};
			(void)handle_signals(&tmp);
		}
		close(net->sig_fd);
		net->sig_fd = -1;
	}
	if (masked)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(net->workers);
	net->workers = NULL;
	return ret;
}

/* ---- daemon helpers ---- */

orth_err
kdc_pidfile_write(const char *path, int *fd_out)
{
	orth_err ret = ORTH_OK;
	int fd = -1;
	char buf[32];
	int len;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	CHECK(fd >= 0, ORTH_E_IO);
	/* An open-file-description lock: unlike a classic POSIX lock it is not
	 * dropped when some other descriptor of the file is closed. */
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		ret = (errno == EACCES || errno == EAGAIN) ? ORTH_E_EXISTS : ORTH_E_IO;
		goto cleanup;
	}
	CHECK(ftruncate(fd, 0) == 0, ORTH_E_IO);
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	CHECK(pwrite(fd, buf, (size_t)len, 0) == len, ORTH_E_IO);
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

void
kdc_pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
}

orth_err
kdc_daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return ORTH_E_IO;
	if (pid > 0)
		_exit(0);
	/* From here on, failures cannot reach the terminal's caller. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		_exit(1);
	umask(022);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		_exit(1);
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return ORTH_OK;
}
