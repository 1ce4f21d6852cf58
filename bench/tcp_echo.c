/*
 * tcp_echo.c - the kernel's floor for one served TCP exchange, as
 * udp_echo.c is UDP's: a trivial server that answers every framed request
 * (RFC 4120 §7.2.2: a 4-octet big-endian length, then the message) with a
 * framed fixed reply of a KDC reply's size, and makes the system calls a
 * KDC worker makes per connection (epoll_wait, accept4, epoll_ctl, recv
 * right after the accept, send, the recv that sees EOF, close) and nothing
 * else.  With a client that connects once per request, what it costs is
 * the connection's set-up and tear-down, which no KDC can go below.
 *
 *   tcp_echo PORTFILE [REPLY_BYTES]
 *
 * Listens on 127.0.0.1 on a free port, writes the port to PORTFILE, serves
 * until SIGTERM.  The reply is REPLY_BYTES (default 600) copied from the
 * request's first bytes and padded.  A request must arrive in one read of
 * up to 64 KiB (the bench's do); anything else closes the connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

#define MAX_EVENTS 64

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* Reads what fd has and answers each whole request in it; false when the
 * connection is to be closed (EOF, error, or a request cut short). */
static bool
serve(int fd, uint8_t *buf, size_t cap, uint8_t *reply, size_t rlen)
{
	ssize_t n = recv(fd, buf, cap, 0);
	size_t off = 0;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	while ((size_t)n - off >= 4) {
		size_t want = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 |
		    (size_t)buf[off + 2] << 8 | buf[off + 3];
		if ((size_t)n - off - 4 < want)
			return false;
		memcpy(reply + 4, buf + off + 4, want < rlen ? want : rlen);
		if (send(fd, reply, 4 + rlen, MSG_NOSIGNAL) != (ssize_t)(4 + rlen))
			return false;
		off += 4 + want;
	}
	return off == (size_t)n;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536], reply[4 + 65536];
	struct epoll_event ev = {.events = EPOLLIN}, got[MAX_EVENTS];
	size_t rlen;
	int lfd, ep;

	rlen = echo_reply_len(argc, argv, sizeof(reply) - 4);
	if (rlen == 0)
		return 2;
	reply[0] = (uint8_t)(rlen >> 24);
	reply[1] = (uint8_t)(rlen >> 16);
	reply[2] = (uint8_t)(rlen >> 8);
	reply[3] = (uint8_t)rlen;
	signal(SIGTERM, on_term);
	lfd = echo_socket_open(SOCK_STREAM, argv[1], "tcp_echo");
	if (lfd < 0)
		return 1;
	ep = epoll_create1(0);
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0) {
		perror("tcp_echo: epoll");
		return 1;
	}
	while (!stop) {
		int n = epoll_wait(ep, got, MAX_EVENTS, -1);

		for (int i = 0; i < n; i++) {
			int fd = got[i].data.fd;

			if (fd == lfd) {
				/* one connection per wake-up, read at once: as
				 * the KDC's net_tcp_accept does */
				fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
				if (fd < 0)
					continue;
				ev.data.fd = fd;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
					close(fd);
					continue;
				}
			}
			if (!serve(fd, buf, sizeof(buf), reply, rlen))
				close(fd);
		}
	}
	close(ep);
	close(lfd);
	return 0;
}
