/*
 * net.h - the KDC's network loop: UDP and TCP listeners (IPv4 and IPv6),
 * epoll, non-blocking sockets, signals.  It knows nothing of Kerberos
 * messages and decides nothing about them: for each complete request (and
 * for a TCP length it refuses) it calls one dispatch callback, tells it the
 * transport's limits, and sends what it writes.
 *
 * Two services share the loop, the workers and the callback: the KDC
 * (port 88) and kpasswd (port 464, src/kdc/kpasswd.c).  Each has its own
 * listeners; the loop only tags each request with the service whose
 * listener it came to (info->service) and the callback routes on it.  The
 * framing is the same for both (the 4-byte length over TCP).
 *
 * Life cycle (all owned by the caller):
 *     struct kdc_net_config cfg;  kdc_net_config_default(&cfg);  fill addresses
 *     kdc_net_open(&cfg, &net)    binds every socket (errors show up here,
 *                                 before daemonizing or dropping privileges)
 *     kdc_net_run(net, dispatch, ctxs)   until SIGTERM/SIGINT or
 *                                 kdc_net_stop(); returns ORTH_OK then
 *     kdc_net_close(net)
 *
 * Workers: cfg.workers event loops, each with its own epoll, its own
 * SO_REUSEPORT socket per address and its own buffers and connection
 * table.  Which worker a datagram or connection goes to is cfg.steering:
 * by default the worker of the CPU that received it (CPU number modulo
 * workers, a classic-BPF program on the group), so that a request is
 * answered on the CPU it arrived on and the worker is woken by a wake-up
 * on its own CPU instead of an interrupt to another one.  That needs the
 * requests spread over the CPUs (several NIC receive queues, or RPS);
 * with one receive queue and no RPS every request lands on one worker,
 * and KDC_NET_STEER_FLOW (the kernel's hash of the addresses and ports)
 * spreads them instead.
 * Only the workers of one process share a port: the first socket of each
 * address is bound without SO_REUSEPORT (the option is set once it is
 * bound, so that the other workers can join it), so a bind by a second
 * KDC - or anything else not asking for SO_REUSEPORT - fails with "address
 * in use" instead of silently splitting the requests between two
 * processes.  (A process of the same user that does ask for SO_REUSEPORT
 * can still join: the kernel offers no way to close the group.)  Worker
 * 0 runs in the thread calling kdc_net_run(), the others in threads it
 * starts.  Callbacks get the worker's own context ctxs[i], so request
 * handling needs no global mutable state; a context is only ever used by
 * one thread.  (Shared structures such as the replay and lookaside caches
 * are thread-safe on their own.)
 *
 * TCP (RFC 4120 §7.2.2): each message is preceded by its length, 4 octets
 * big-endian; several requests per connection, answered in order, one at a
 * time (the next request is not read until the reply is written).
 *  - length with the high bit set: "the KDC MUST return a KRB-ERROR message
 *    with the error KRB_ERR_FIELD_TOOLONG and MUST close the TCP stream" -
 *    dispatch is called with info->too_long set and no request; what it
 *    writes is sent, then the connection is closed.
 *  - length above cfg.tcp_max_msg: the same (as MIT's KDC does), then close.
 *  - idle (no byte in or out) for cfg.tcp_idle_ms: closed.
 *  - at most cfg.tcp_max_conns connections per worker; when a new one
 *    arrives at the cap, the least recently active connection is closed
 *    (MIT's KDC does the same), so idle connections cannot lock clients out.
 *  - dispatch writes nothing: the connection is closed (the client would
 *    otherwise wait for an answer that never comes).
 * UDP:
 *  - datagrams up to 65535 bytes; truncated ones are dropped.
 *  - the reply writer has the TCP capacity (tcp_max_reply), and
 *    info->max_reply is cfg.udp_max_reply (default 1465, MIT's
 *    udp_preference_limit): replacing a longer reply by a KRB-ERROR
 *    KRB_ERR_RESPONSE_TOO_BIG (RFC 4120 §7.2.1) is the callback's decision;
 *    a reply still longer than max_reply is dropped (and logged).
 *  - replies leave from the address the request came to (IP_PKTINFO /
 *    IPV6_RECVPKTINFO), so a wildcard listener on a multi-homed host answers
 *    from the right source.
 * Memory per worker: 16 datagram buffers of 64 KiB (one recvmmsg(2) batch;
 * the pages the kernel never writes stay untouched), 16 reply slots of
 * udp_max_reply, one reply writer of tcp_max_reply, one TCP read buffer
 * of 16 KiB (a request that comes whole is served from it); per TCP
 * connection, at most tcp_max_msg of request plus one reply while either
 * is in flight (allocated on demand, freed after use).
 *
 * Signals (when cfg.signals): SIGTERM and SIGINT make kdc_net_run() return
 * ORTH_OK; SIGHUP calls cfg.reopen (default log_reopen()).  They are blocked
 * and read from a signalfd by worker 0: nothing runs in a signal handler.
 * Call kdc_net_run() from the main thread before starting other threads (or
 * block these signals in them), else the default action kills the process.
 */
#ifndef ORTHRUS_KDC_NET_H
#define ORTHRUS_KDC_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "base/err.h"
#include "base/writer.h"

#define KDC_NET_DEFAULT_PORT 88
#define KDC_NET_DEFAULT_KPASSWD_PORT 464
#define KDC_NET_MAX_ADDRS 32              /* per service and transport */
#define KDC_NET_MAX_WORKERS 256
#define KDC_NET_UDP_MAX 65535             /* largest datagram read */
#define KDC_NET_DEFAULT_UDP_MAX_REPLY 1465 /* MIT's udp_preference_limit */
#define KDC_NET_DEFAULT_TCP_MAX_MSG (64u * 1024)
#define KDC_NET_DEFAULT_TCP_MAX_REPLY (64u * 1024)
#define KDC_NET_DEFAULT_TCP_MAX_CONNS 1024
#define KDC_NET_DEFAULT_TCP_IDLE_MS 30000
#define KDC_NET_PEER_STRLEN 64            /* "[v6addr]:port" + NUL fits */
#define KDC_NET_DEFAULT_LOG_FLUSH_MS 1000
#define KDC_NET_LOG_BUFFER (64u * 1024)   /* per worker, when buffered */

enum kdc_transport { KDC_TRANSPORT_UDP, KDC_TRANSPORT_TCP };

/* Which listeners a request came to.  The loop does not interpret it. */
enum kdc_service { KDC_SERVICE_KDC = 0, KDC_SERVICE_KPASSWD = 1 };

/* What the callbacks learn about a request.  Valid during the call only. */
struct kdc_request_info {
	enum kdc_transport transport;
	enum kdc_service service;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	char peer_str[KDC_NET_PEER_STRLEN]; /* "192.0.2.1:1234", "[2001:db8::1]:1234" */
	const char *transport_str;          /* "udp" / "tcp" */
	/* The address and port the request came to (TCP: the accepted
	 * socket's; UDP: the datagram's destination, from IP_PKTINFO or
	 * IPV6_PKTINFO, and the listener's port); local_len 0 when unknown. */
	struct sockaddr_storage local;
	socklen_t local_len;
	unsigned worker;                    /* 0 .. workers-1 */
	/* The longest reply the transport sends (UDP: cfg.udp_max_reply,
	 * TCP: cfg.tcp_max_reply).  The reply writer may hold more, so that
	 * the callback can keep a reply too big for UDP (for the client's
	 * retry over TCP) and answer KRB_ERR_RESPONSE_TOO_BIG instead. */
	size_t max_reply;
	/* TCP: the length prefix was refused (high bit set, or above
	 * cfg.tcp_max_msg); there is no request (req NULL, req_len 0), and
	 * the connection is closed after the reply (RFC 4120 §7.2.2). */
	bool too_long;
};

/*
 * One complete request (without the TCP length prefix), or a refused TCP
 * length (info->too_long).  Write the reply (without length prefix) into
 * *reply, at most info->max_reply bytes.  Writing nothing drops the
 * request (UDP: no answer; TCP: the connection is closed).  The return
 * value is only logged (at debug level) when not ORTH_OK; the reply is
 * sent whenever reply->len > 0 and the writer has no error.  req is valid
 * during the call only.
 */
typedef orth_err (*kdc_dispatch_fn)(void *ctx, const struct kdc_request_info *info,
    const uint8_t *req, size_t req_len, struct writer *reply);

enum kdc_net_steering {
	KDC_NET_STEER_CPU,  /* the worker of the receiving CPU (the default) */
	KDC_NET_STEER_FLOW, /* the kernel's hash of addresses and ports */
};

struct kdc_net_config {
	/* Numeric addresses: "127.0.0.1:88", "[::1]:8888", "0.0.0.0", "::",
	 * "[::]". No port = KDC_NET_DEFAULT_PORT; port 0 = the kernel picks
	 * (see kdc_net_port()).  No DNS lookups.  IPv6 sockets are
	 * IPV6_V6ONLY so "0.0.0.0" and "::" can both be listed. */
	const char *const *udp_addrs;
	size_t n_udp;
	const char *const *tcp_addrs;
	size_t n_tcp;
	/* The kpasswd listeners, the same syntax (still port 88 when a port
	 * is missing: kdc_net_addr_port_set() makes the defaults).  Requests
	 * on them come with info->service KDC_SERVICE_KPASSWD. */
	const char *const *kpasswd_udp_addrs;
	size_t n_kpasswd_udp;
	const char *const *kpasswd_tcp_addrs;
	size_t n_kpasswd_tcp;
	unsigned workers;              /* >= 1 */
	enum kdc_net_steering steering; /* which worker a request goes to */
	size_t udp_max_reply;          /* bytes; larger -> RESPONSE_TOO_BIG */
	size_t tcp_max_msg;            /* request bytes, excluding the prefix */
	size_t tcp_max_reply;          /* reply writer capacity (TCP and UDP) */
	size_t tcp_max_conns;          /* per worker */
	unsigned tcp_idle_ms;          /* idle connection timeout */
	/* 0: each log line of a worker is written as it is logged (before
	 * the reply it is about is sent).  Else each worker buffers its lines
	 * (log_buffer_open, KDC_NET_LOG_BUFFER bytes) and writes them when
	 * the buffer is full, when the oldest is log_flush_ms old, on SIGHUP
	 * (worker 0's) and when the loop returns: no system call per request
	 * for the log, at the price of lines up to log_flush_ms late (and
	 * lost if the process is killed). */
	unsigned log_flush_ms;
	bool signals;                  /* handle SIGTERM/SIGINT/SIGHUP */
	void (*reopen)(void);          /* on SIGHUP; NULL = log_reopen */
};

struct kdc_net;

/* The defaults above, no addresses, one worker, signals on. */
void kdc_net_config_default(struct kdc_net_config *cfg);

/*
 * Parses "host[:port]" / "[v6]:port" into *ss (port in network order).
 * Returns ORTH_OK or ORTH_E_CONFIG (not a numeric address, bad port).
 */
orth_err kdc_net_addr_parse(const char *s, struct sockaddr_storage *ss,
    socklen_t *len_out);

/*
 * The address s ("host[:port]", as above) with its port replaced by port,
 * into buf (cap bytes): "0.0.0.0" -> "0.0.0.0:464", "[::1]:88" ->
 * "[::1]:464", "::" -> "[::]:464".  ORTH_E_CONFIG when s does not parse,
 * ORTH_E_LIMIT when buf is too small.
 */
orth_err kdc_net_addr_port_set(const char *s, uint16_t port, char *buf, size_t cap);
/* The same, but only when s names no port ("[::1]:8464" stays). */
orth_err kdc_net_addr_port_default(const char *s, uint16_t port, char *buf, size_t cap);

/*
 * Creates and binds every socket for every worker (non-blocking, TCP
 * listening; SO_REUSEPORT among the workers only, see above).  The config is copied; the address strings
 * need not outlive the call.  *net_out is owned by the caller:
 * kdc_net_close().  Returns ORTH_E_CONFIG (bad address, no address, bad
 * limit), ORTH_E_EXISTS (an address is in use, e.g. by another KDC;
 * logged), ORTH_E_NETWORK (socket/bind/listen failed; logged with errno),
 * ORTH_E_NOMEM.
 */
orth_err kdc_net_open(const struct kdc_net_config *cfg, struct kdc_net **net_out);

/*
 * The local port of the i-th KDC address of a transport, as bound (useful
 * with port 0: every worker shares the port the first one got).
 * 0 if out of range.
 */
uint16_t kdc_net_port(const struct kdc_net *net, enum kdc_transport t, size_t i);
/* The same for the i-th address of service s. */
uint16_t kdc_net_service_port(const struct kdc_net *net, enum kdc_service s,
    enum kdc_transport t, size_t i);

/*
 * Runs the workers until a stop (signal or kdc_net_stop) and returns
 * ORTH_OK; or an error when the loop cannot run (ORTH_E_NETWORK for an
 * epoll/signalfd failure, ORTH_E_NOMEM).  ctxs: cfg.workers pointers, the
 * i-th passed to worker i's callback (may be NULL pointers).  A net may be run again after it returns.
 */
orth_err kdc_net_run(struct kdc_net *net, kdc_dispatch_fn dispatch,
    void *const *ctxs);

/* Asks kdc_net_run() to return; from any thread, async-signal-safe. */
void kdc_net_stop(struct kdc_net *net);

/* Closes every socket and frees net; NULL is fine.  Not while running. */
void kdc_net_close(struct kdc_net *net);

/*
 * Writes the process id to path (mode 0644) and keeps it locked (fcntl
 * F_OFD_SETLK) so that a second daemon with the same pidfile fails with
 * ORTH_E_EXISTS.  *fd_out: keep it open while running; pass it to
 * kdc_pidfile_remove() at exit.  ORTH_E_IO on other failures.
 */
orth_err kdc_pidfile_write(const char *path, int *fd_out);
void kdc_pidfile_remove(const char *path, int fd);

/*
 * Detaches from the terminal: fork (the parent exits 0), setsid, fork
 * again, chdir("/"), stdin/stdout/stderr to /dev/null.  Returns in the
 * grandchild only: ORTH_OK; ORTH_E_IO if a step failed (in the original
 * process, which is then still attached).  Call after kdc_net_open (so
 * bind errors reach the terminal) and before kdc_pidfile_write (so the pid
 * is the daemon's) and before starting any thread.
 */
orth_err kdc_daemonize(void);

#endif
