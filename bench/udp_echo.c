/*
 * udp_echo.c - the kernel's floor for one served UDP exchange: a trivial
 * server that answers every datagram with a fixed reply of a KDC reply's
 * size, with the same system calls a KDC worker makes per wakeup (epoll,
 * recvmsg, sendmsg) and nothing else.  bench/run.sh loads it like a KDC
 * and reads its CPU time from /proc: what no KDC can go below.
 *
 *   udp_echo PORTFILE [REPLY_BYTES]
 *
 * Binds 127.0.0.1 on a free port, writes the port to PORTFILE, serves
 * until SIGTERM.  The reply is REPLY_BYTES (default 600) copied from the
 * request's first bytes and padded: the loader only needs an answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "echo_server.h"

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536], reply[65536];
	struct epoll_event ev = {.events = EPOLLIN}, got;
	size_t rlen;
	int fd, ep;

	rlen = echo_reply_len(argc, argv, sizeof(reply));
	if (rlen == 0)
		return 2;
	signal(SIGTERM, on_term);
	fd = echo_socket_open(SOCK_DGRAM, argv[1], "udp_echo");
	if (fd < 0)
		return 1;
	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		perror("udp_echo: epoll");
		return 1;
	}
	while (!stop) {
		if (epoll_wait(ep, &got, 1, -1) < 0)
			continue;
		for (;;) {
			struct sockaddr_storage peer;
			struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
			struct msghdr mh = {.msg_name = &peer, .msg_namelen = sizeof(peer),
			    .msg_iov = &iov, .msg_iovlen = 1};
			ssize_t n = recvmsg(fd, &mh, 0);

			if (n < 0)
				break;
			memcpy(reply, buf, (size_t)n < rlen ? (size_t)n : rlen);
			iov.iov_base = reply;
			iov.iov_len = rlen;
			(void)sendmsg(fd, &mh, MSG_DONTWAIT);
		}
	}
	close(ep);
	close(fd);
	return 0;
}
