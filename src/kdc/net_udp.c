/*
 * net_udp.c - the UDP side of a worker: a datagram in, the dispatch
 * callback, the reply out from the address the request came to.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "net_int.h"

#define UDP_BURST 32        /* datagrams per wakeup per socket: fairness */

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

void
net_udp_serve(struct worker *w, int fd, enum kdc_service svc, uint16_t port)
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
		net_peer_format(&info.peer, info.peer_str, sizeof(info.peer_str));

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

