/*
 * net_tcp.c - the TCP side of a worker (RFC 4120 §7.2.2): accepting,
 * reading length-prefixed requests, sending framed replies, the
 * connection cap and the idle timeout.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "net_int.h"

#define TCP_BURST 16        /* reads per wakeup per connection */

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

/* Drops c's unserved input (wiped: requests carry authenticators). */
static void
conn_in_free(struct conn *c)
{
	if (c->in != NULL)
		explicit_bzero(c->in, c->in_len);
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
}

void
net_tcp_conn_close(struct worker *w, struct conn *c)
{
	/* close(2) takes the descriptor out of the epoll set (it is never
	 * duplicated): no EPOLL_CTL_DEL. */
	close(c->fd);
	c->fd = -1;
	conn_in_free(c);
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

/* After the last byte of a reply: read the next request, or wind down.
 * was_waiting: the reply waited for EPOLLOUT; otherwise the connection is
 * still watched for EPOLLIN, which is what both next states want (no
 * epoll_ctl per request). */
static void
conn_reply_done(struct worker *w, struct conn *c, bool was_waiting)
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
	if (was_waiting && conn_watch(w, c, EPOLLIN) != 0)
		net_tcp_conn_close(w, c);
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
		net_tcp_conn_close(w, c);
		return false;
	}
	lru_touch(w, c, now);
	if (off == len) {
		conn_reply_done(w, c, false);
		return c->state != CONN_FREE;
	}
	c->out = malloc(len - off);
	if (c->out == NULL) {
		net_tcp_conn_close(w, c);
		return false;
	}
	memcpy(c->out, buf + off, len - off);
	c->out_len = len - off;
	c->out_off = 0;
	c->state = CONN_WRITE;
	if (conn_watch(w, c, EPOLLOUT) != 0) {
		net_tcp_conn_close(w, c);
		return false;
	}
	return true;
}

static void conn_serve_kept(struct worker *w, struct conn *c, uint64_t now);

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
		net_tcp_conn_close(w, c);
		return;
	}
	free(c->out);
	c->out = NULL;
	conn_reply_done(w, c, true);
	if (c->state != CONN_FREE)
		conn_serve_kept(w, c, now);
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

/* The length in a message's prefix (RFC 4120 §7.2.2: 4 octets, big-endian). */
static uint32_t
frame_len(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Hands one request (req_len bytes; or, when too_long, the refusal of its
 * length: RFC 4120 §7.2.2) to dispatch and sends the reply.  Returns false
 * when c was closed.
 */
static bool
conn_process(struct worker *w, struct conn *c, const uint8_t *req, size_t req_len,
    bool too_long, uint64_t now)
{
	struct writer out;
	orth_err ret;

	writer_init(&out, w->reply_buf + 4, w->net->cfg.tcp_max_reply);
	c->info.max_reply = w->net->cfg.tcp_max_reply;
	c->info.too_long = too_long;
	ret = w->dispatch(w->ctx, &c->info, too_long ? NULL : req, too_long ? 0 : req_len, &out);
	if (ret != ORTH_OK)
		log_msg(LOG_LVL_DEBUG, "tcp %s: dispatch: %s", c->info.peer_str,
		    orth_err_str(ret));
	if (writer_err(&out) != ORTH_OK || out.len == 0) {
		if (writer_err(&out) != ORTH_OK)
			log_msg(LOG_LVL_WARN, "tcp %s: reply over %zu bytes dropped",
			    c->info.peer_str, w->net->cfg.tcp_max_reply);
		net_tcp_conn_close(w, c);
		return false;
	}
	c->close_after_write = too_long;
	return conn_send_framed(w, c, out.len, now);
}

/*
 * Serves the whole requests at the start of buf (len bytes) while c is
 * reading; returns how many bytes they took.  Stops at a request not yet
 * complete, when a reply waits for EPOLLOUT, or when c is closed or
 * draining after a refused length (the rest is then unwanted: all of it
 * counts as taken).
 */
static size_t
conn_serve(struct worker *w, struct conn *c, const uint8_t *buf, size_t len, uint64_t now)
{
	size_t off = 0;

	while (c->state == CONN_READ && len - off >= 4) {
		uint32_t n = frame_len(buf + off);
		if ((n & 0x80000000u) != 0 || n > w->net->cfg.tcp_max_msg) {
			log_msg(LOG_LVL_INFO, "tcp %s: length 0x%08x refused",
			    c->info.peer_str, n);
			(void)conn_process(w, c, NULL, 0, true, now);
			return len;
		}
		if (len - off - 4 < n)
			break;
		off += 4 + (size_t)n;
		if (!conn_process(w, c, buf + off - n, n, false, now))
			return len;
	}
	return c->state == CONN_DRAIN ? len : off;
}

/* Removes the first used bytes of c->in (served); the buffer goes when
 * nothing is left, so that an idle connection holds none. */
static void
conn_in_take(struct conn *c, size_t used)
{
	if (used >= c->in_len || c->state == CONN_DRAIN) {
		conn_in_free(c);
		return;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	explicit_bzero(c->in + c->in_len - used, used);
	c->in_len -= used;
}

/* Keeps len unserved bytes on c, which holds none; false if out of memory. */
static bool
conn_in_keep(struct conn *c, const uint8_t *buf, size_t len)
{
	c->in = malloc(len);
	if (c->in == NULL)
		return false;
	memcpy(c->in, buf, len);
	c->in_len = c->in_cap = len;
	return true;
}

/*
 * Room in c->in for the rest of the message it starts (a prefix that
 * conn_serve accepted, so at most tcp_max_msg) or, before the whole
 * prefix, for a read of NET_TCP_RX.  The old buffer is wiped.
 */
static bool
conn_in_reserve(struct conn *c)
{
	size_t want = c->in_len >= 4 ? 4 + (size_t)frame_len(c->in) : NET_TCP_RX;
	uint8_t *p;

	if (want <= c->in_cap)
		return true;
	p = malloc(want);
	if (p == NULL)
		return false;
	memcpy(p, c->in, c->in_len);
	explicit_bzero(c->in, c->in_len);
	free(c->in);
	c->in = p;
	c->in_cap = want;
	return true;
}

/* After a reply that waited for EPOLLOUT: the requests that came behind
 * it are in c->in already, and epoll will not report them again. */
static void
conn_serve_kept(struct worker *w, struct conn *c, uint64_t now)
{
	size_t used;

	if (c->state != CONN_READ || c->in_len == 0) {
		if (c->state == CONN_DRAIN)
			conn_in_free(c);
		return;
	}
	used = conn_serve(w, c, c->in, c->in_len, now);
	if (c->state != CONN_FREE)
		conn_in_take(c, used);
}

/*
 * Reads and serves what c sent.  A connection holding nothing reads into
 * the worker's tcp_rx: the prefix and the request in one recv(2), served
 * from there without a copy; only what is left (a request cut short, or
 * one behind a reply that waits) moves to c->in.  A read that does not
 * fill its buffer has emptied the socket: no further read to see EAGAIN
 * (epoll reports what comes later).
 */
static void
conn_read(struct worker *w, struct conn *c, uint64_t now)
{
	int reads = 0;

	while (c->state == CONN_READ && reads++ < TCP_BURST) {
		bool own = c->in_len > 0;
		uint8_t *buf = w->tcp_rx;
		size_t have = 0, room = NET_TCP_RX, used;
		ssize_t n;

		if (own) {
			if (!conn_in_reserve(c)) {
				net_tcp_conn_close(w, c);
				return;
			}
			buf = c->in;
			have = c->in_len;
			room = c->in_cap - c->in_len;
		}
		n = recv(c->fd, buf + have, room, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* EOF (possibly mid-message) or error */
			net_tcp_conn_close(w, c);
			return;
		}
		lru_touch(w, c, now);
		if (own) {
			c->in_len += (size_t)n;
			used = conn_serve(w, c, buf, c->in_len, now);
			if (c->state == CONN_FREE)
				return;
			conn_in_take(c, used);
		} else {
			bool ok;
			have = (size_t)n;
			used = conn_serve(w, c, buf, have, now);
			ok = c->state == CONN_FREE || used == have ||
			    conn_in_keep(c, buf + used, have - used);
			explicit_bzero(buf, have);
			if (!ok)
				net_tcp_conn_close(w, c);
			if (!ok || c->state == CONN_FREE)
				return;
		}
		if ((size_t)n < room)
			return;
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
		net_tcp_conn_close(w, c);
		return;
	}
}

void
net_tcp_conn_event(struct worker *w, struct conn *c, uint32_t events, uint64_t now)
{
	if ((events & EPOLLERR) != 0) {
		net_tcp_conn_close(w, c);
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

void
net_tcp_accept(struct worker *w, int lfd, enum kdc_service svc, uint64_t now)
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
				net_tcp_conn_close(w, w->lru_head);
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
			net_tcp_conn_close(w, w->lru_head);
		}
		c = w->free_list;
		w->free_list = c->free_next;
		w->nconns++;
		c->fd = fd;
		c->state = CONN_READ;
		c->in = NULL;
		c->in_len = c->in_cap = 0;
		c->out = NULL;
		c->out_len = c->out_off = 0;
		c->close_after_write = false;
		c->prev = c->next = NULL;
		memset(&c->info, 0, sizeof(c->info));
		c->info.transport = KDC_TRANSPORT_TCP;
		c->info.service = svc;
		c->info.transport_str = "tcp";
		/* Only kpasswd needs the local address (its KRB-PRIV's
		 * s-address, RFC 3244 §2): no getsockname(2) per KDC
		 * connection. */
		c->info.local_len = 0;
		if (svc == KDC_SERVICE_KPASSWD) {
			c->info.local_len = sizeof(c->info.local);
			if (getsockname(fd, (struct sockaddr *)&c->info.local,
			    &c->info.local_len) != 0)
				c->info.local_len = 0;
		}
		c->info.worker = w->id;
		c->info.peer = ss;
		c->info.peer_len = len;
		net_peer_format(&ss, c->info.peer_str, sizeof(c->info.peer_str));
		c->last_ms = now;
		lru_append(w, c);
		ev.events = EPOLLIN;
		ev.data.u64 = TAG(EV_CONN, c->gen, (uint32_t)(c - w->conns));
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			log_msg(LOG_LVL_WARN, "epoll_ctl: %s", strerror(errno));
			net_tcp_conn_close(w, c);
			return;
		}
		/* A client sends its request right after connecting: it is
		 * usually here already, and reading now saves a wake-up. */
		conn_read(w, c, now);
		/* One connection per wake-up: the listener is watched
		 * level-triggered, so epoll reports the next one; looping
		 * until EAGAIN cost an accept4(2) per connection for
		 * nothing when clients come one at a time (MIT's do). */
		return;
	}
}

/* Closes connections idle for tcp_idle_ms; returns ms until the next
 * deadline, or -1 when there is no connection. */
int
net_tcp_sweep(struct worker *w, uint64_t now)
{
	uint64_t idle = w->net->cfg.tcp_idle_ms;

	while (w->lru_head != NULL && now - w->lru_head->last_ms >= idle) {
		log_msg(LOG_LVL_DEBUG, "tcp %s: idle, closed", w->lru_head->info.peer_str);
		net_tcp_conn_close(w, w->lru_head);
	}
	if (w->lru_head == NULL)
		return -1;
	/* wake at most once a minute with long timeouts: no int overflow */
	idle = w->lru_head->last_ms + idle - now;
	return idle > 60000 ? 60000 : (int)idle + 1;
}

