/*
 * net_socket.c - kdc_net_open(): one socket per address, transport and
 * worker, bound so that only the workers of this process share a port.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/log.h"
#include "net_int.h"

#define LISTEN_BACKLOG 1024

void
kdc_net_config_default(struct kdc_net_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->workers = 1;
	cfg->steering = KDC_NET_STEER_CPU;
	cfg->udp_max_reply = KDC_NET_DEFAULT_UDP_MAX_REPLY;
	cfg->tcp_max_msg = KDC_NET_DEFAULT_TCP_MAX_MSG;
	cfg->tcp_max_reply = KDC_NET_DEFAULT_TCP_MAX_REPLY;
	cfg->tcp_max_conns = KDC_NET_DEFAULT_TCP_MAX_CONNS;
	cfg->tcp_idle_ms = KDC_NET_DEFAULT_TCP_IDLE_MS;
	cfg->log_flush_ms = KDC_NET_DEFAULT_LOG_FLUSH_MS;
	cfg->signals = true;
	cfg->reopen = NULL;
}

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

/*
 * KDC_NET_STEER_CPU: the reuseport group of fd sends each datagram or
 * connection to the socket of index (receiving CPU mod workers), and the
 * sockets joined the group in worker order.  Without it (an old kernel)
 * the kernel's hash still spreads them, so a failure is only logged.
 */
static void
steer_by_cpu(int fd, const char *what, unsigned workers)
{
	struct sock_filter code[] = {
		{BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)},
		{BPF_ALU | BPF_MOD | BPF_K, 0, 0, workers},
		{BPF_RET | BPF_A, 0, 0, 0},
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) != 0)
		log_msg(LOG_LVL_WARN, "%s: requests not steered by CPU: %s", what,
		    strerror(errno));
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
				net_addr_set_port(&ss, ports[i]);
			TRY(socket_open(addrs[i], t, &ss, len, w > 0,
			    w == 0 && net->cfg.workers > 1, &fds[w * n + i], &ports[i]));
		}
		if (net->cfg.workers > 1 && net->cfg.steering == KDC_NET_STEER_CPU)
			steer_by_cpu(fds[i], addrs[i], net->cfg.workers);
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

