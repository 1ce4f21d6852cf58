/*
 * echo_server.h - what the two floor servers (udp_echo.c, tcp_echo.c)
 * share: a socket on a free loopback port that bench/run.sh learns from a
 * file.  Header only: each is built alone.
 */
#ifndef ORTHRUS_BENCH_ECHO_SERVER_H
#define ORTHRUS_BENCH_ECHO_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* The usage both share, `NAME PORTFILE [REPLY_BYTES]`: the reply's size
 * (default 600, a KDC reply's), or 0 when the arguments are wrong or it
 * is over max. */
static inline size_t
echo_reply_len(int argc, char **argv, size_t max)
{
	size_t rlen = 600;

	if (argc < 2)
		return 0;
	if (argc > 2)
		rlen = strtoul(argv[2], NULL, 10);
	return rlen <= max ? rlen : 0;
}

/*
 * A non-blocking socket of type (SOCK_DGRAM, or SOCK_STREAM listening) on
 * 127.0.0.1 and a port the kernel picks, written in decimal to portfile.
 * Returns the socket, or -1 after saying why on stderr (prefixed by who).
 */
static inline int
echo_socket_open(int type, const char *portfile, const char *who)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sin);
	int fd, one = 1;
	FILE *f;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 1024) != 0) ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) != 0) {
		fprintf(stderr, "%s: socket: ", who);
		perror(NULL);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	f = fopen(portfile, "w");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: ", who, portfile);
		perror(NULL);
		close(fd);
		return -1;
	}
	fprintf(f, "%u\n", ntohs(sin.sin_port));
	fclose(f);
	return fd;
}

#endif
