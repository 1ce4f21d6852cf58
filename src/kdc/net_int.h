/*
 * net_int.h - what the files of the network loop share (not a public
 * header: the loop's interface is net.h).
 *   net_addr.c    numeric "host:port" addresses, peer strings
 *   net_socket.c  binding the listeners of every worker (kdc_net_open)
 *   net_udp.c     datagrams in, replies out
 *   net_tcp.c     connections: framing, limits, idle and LRU closing
 *   net_loop.c    the workers' epoll loops, signals, kdc_net_run
 *   daemon.c      pidfile and detaching from the terminal
 */
#ifndef ORTHRUS_KDC_NET_INT_H
#define ORTHRUS_KDC_NET_INT_H

#include <pthread.h>

#include "net.h"

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
	/* Bytes received and not yet served: only when a request spans
	 * reads or arrives behind one still being answered (a request that
	 * comes whole is served from the worker's tcp_rx).  malloc'd, room
	 * for the whole message once its prefix is known. */
	uint8_t *in;
	size_t in_len, in_cap;
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
	struct udp_batch *udp; /* net_udp.c's buffers */
	uint8_t *reply_buf;  /* 4 + tcp_max_reply: every dispatch writes here */
	uint8_t *tcp_rx;     /* NET_TCP_RX: a connection's read when it holds nothing */
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

/* net_addr.c */
/* ss as "ip:port" / "[ip6]:port" into buf (cap bytes, at least 22 for an
 * IPv4 peer, else empty); "?" if neither. */
void net_peer_format(const struct sockaddr_storage *ss, char *buf, size_t cap);
/* Replaces the port of ss (host order in). */
void net_addr_set_port(struct sockaddr_storage *ss, uint16_t port);

/* net_tcp.c */
/* The worker's TCP read buffer: a request and its prefix in one read (a
 * longer one continues in the connection's own buffer). */
#define NET_TCP_RX (16u * 1024)
/* Accepts every pending connection on listener lfd of service svc. */
void net_tcp_accept(struct worker *w, int lfd, enum kdc_service svc, uint64_t now);
/* Reads, writes or closes c according to its epoll events. */
void net_tcp_conn_event(struct worker *w, struct conn *c, uint32_t events, uint64_t now);
/* Closes c and returns its slot to the free list. */
void net_tcp_conn_close(struct worker *w, struct conn *c);
/* Closes connections idle for tcp_idle_ms; returns ms until the next
 * deadline, or -1 when there is no connection. */
int net_tcp_sweep(struct worker *w, uint64_t now);

/* net_udp.c */
struct udp_batch;
/* A worker's UDP buffers (cfg: udp_max_reply); ORTH_E_NOMEM. */
orth_err net_udp_batch_new(const struct kdc_net_config *cfg, struct udp_batch **out);
void net_udp_batch_free(struct udp_batch *b);
/* Serves the datagrams waiting on fd (a listener of service svc bound to
 * port), at most a burst of them: the other sockets get their turn. */
void net_udp_serve(struct worker *w, int fd, enum kdc_service svc, uint16_t port);

#endif
