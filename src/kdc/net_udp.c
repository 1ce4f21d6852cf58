/*
 * net_udp.c - the UDP side of a worker: datagrams in, the dispatch
 * callback for each, the replies out from the address each request came
 * to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "net_int.h"

#define UDP_BATCH 16        /* datagrams per recvmmsg/sendmmsg */
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

/*
 * A worker's UDP buffers: up to UDP_BATCH datagrams are read by one
 * recvmmsg(2), answered one after the other, and the replies leave by one
 * sendmmsg(2): under load the two system calls per request become two per
 * batch.  A batch shorter than UDP_BATCH means the socket is drained, so
 * no further read is tried (one recvmsg returning EAGAIN per wakeup saved
 * even at one request in flight).  Each datagram slot has the full
 * KDC_NET_UDP_MAX (memory the kernel touches only as far as it writes);
 * the replies, at most udp_max_reply each, are copied out of the dispatch
 * writer into their own slots, since the writer keeps the TCP capacity.
 */
struct udp_batch {
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	union cmsg_space cin[UDP_BATCH], cout[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH]; /* of in[i] */
	struct kdc_request_info info[UDP_BATCH]; /* of in[i]; out[j] names its own */
	const char *out_peer[UDP_BATCH];         /* for the send error's line */
	uint8_t *req;    /* UDP_BATCH * (KDC_NET_UDP_MAX + 1) */
	uint8_t *reply;  /* UDP_BATCH * udp_max_reply */
};

orth_err
net_udp_batch_new(const struct kdc_net_config *cfg, struct udp_batch **out)
{
	orth_err ret = ORTH_OK;
	struct udp_batch *b = NULL;

	b = calloc(1, sizeof(*b));
	CHECK(b != NULL, ORTH_E_NOMEM);
	b->req = malloc((size_t)UDP_BATCH * (KDC_NET_UDP_MAX + 1));
	b->reply = malloc((size_t)UDP_BATCH * cfg->udp_max_reply);
	CHECK(b->req != NULL && b->reply != NULL, ORTH_E_NOMEM);
	/* What stays the same from one read to the next; net_udp_serve
	 * resets only what the kernel writes back. */
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		struct msghdr *mh = &b->in[i].msg_hdr;
		b->in_iov[i].iov_base = b->req + (size_t)i * (KDC_NET_UDP_MAX + 1);
		b->in_iov[i].iov_len = KDC_NET_UDP_MAX + 1;
		b->out_iov[i].iov_base = b->reply + (size_t)i * cfg->udp_max_reply;
		mh->msg_name = &b->peer[i];
		mh->msg_iov = &b->in_iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = b->cin[i].buf;
	}
	*out = b;
	b = NULL;
cleanup:
	net_udp_batch_free(b);
	return ret;
}

void
net_udp_batch_free(struct udp_batch *b)
{
	if (b == NULL)
		return;
	free(b->req);
	free(b->reply);
	free(b);
}

/* Answers datagram i of the batch; a reply goes to out slot *n_out. */
static void
udp_answer(struct worker *w, struct udp_batch *b, unsigned i, enum kdc_service svc,
    uint16_t port, unsigned *n_out)
{
	const struct kdc_net_config *cfg = &w->net->cfg;
	struct msghdr *mh = &b->in[i].msg_hdr;
	struct kdc_request_info *info = &b->info[i];
	unsigned j = *n_out;
	struct writer out;
	orth_err ret;
	size_t clen;

	if ((mh->msg_flags & MSG_TRUNC) != 0 || b->in[i].msg_len > KDC_NET_UDP_MAX)
		return;
	memset(info, 0, sizeof(*info));
	memcpy(&info->peer, &b->peer[i], sizeof(info->peer));
	info->transport = KDC_TRANSPORT_UDP;
	info->service = svc;
	info->transport_str = "udp";
	udp_local_addr(mh, port, info);
	info->worker = w->id;
	info->peer_len = mh->msg_namelen;
	net_peer_format(&info->peer, info->peer_str, sizeof(info->peer_str));

	info->max_reply = cfg->udp_max_reply;
	writer_init(&out, w->reply_buf, cfg->tcp_max_reply);
	ret = w->dispatch(w->ctx, info, b->in_iov[i].iov_base, b->in[i].msg_len, &out);
	if (ret != ORTH_OK)
		log_msg(LOG_LVL_DEBUG, "udp %s: dispatch: %s", info->peer_str,
		    orth_err_str(ret));
	if (writer_err(&out) != ORTH_OK || out.len > cfg->udp_max_reply) {
		/* The callback should have answered RESPONSE_TOO_BIG. */
		log_msg(LOG_LVL_WARN, "udp %s: reply over %zu bytes dropped",
		    info->peer_str, cfg->udp_max_reply);
		out.len = 0;
	}
	if (out.len == 0)
		return;
	clen = udp_reply_cmsg(mh, &b->cout[j]);
	memcpy(b->out_iov[j].iov_base, w->reply_buf, out.len);
	b->out_iov[j].iov_len = out.len;
	memset(&b->out[j], 0, sizeof(b->out[j]));
	b->out[j].msg_hdr.msg_name = &info->peer;
	b->out[j].msg_hdr.msg_namelen = info->peer_len;
	b->out[j].msg_hdr.msg_iov = &b->out_iov[j];
	b->out[j].msg_hdr.msg_iovlen = 1;
	b->out[j].msg_hdr.msg_control = clen ? b->cout[j].buf : NULL;
	b->out[j].msg_hdr.msg_controllen = clen;
	b->out_peer[j] = info->peer_str;
	*n_out = j + 1;
}

/* Sends the n replies of the batch; one that fails is tried again without
 * its source address, then dropped (as a lost datagram would be). */
static void
udp_send(int fd, struct udp_batch *b, unsigned n)
{
	unsigned i = 0;

	while (i < n) {
		int r = sendmmsg(fd, &b->out[i], n - i, MSG_DONTWAIT);
		struct msghdr *mh = &b->out[i].msg_hdr;

		if (r > 0) {
			i += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* out[i] failed, e.g. a request sent to a broadcast address:
		 * let the kernel pick the source. */
		if (mh->msg_controllen != 0) {
			mh->msg_control = NULL;
			mh->msg_controllen = 0;
			if (sendmsg(fd, mh, MSG_DONTWAIT) >= 0) {
				i++;
				continue;
			}
		}
		log_msg(LOG_LVL_DEBUG, "udp %s: send: %s", b->out_peer[i], strerror(errno));
		i++;
	}
}

void
net_udp_serve(struct worker *w, int fd, enum kdc_service svc, uint16_t port)
{
	struct udp_batch *b = w->udp;
	unsigned i, n_out, served = 0;
	int got;

	while (served < UDP_BURST) {
		for (i = 0; i < UDP_BATCH; i++) {
			b->in[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);
			b->in[i].msg_hdr.msg_controllen = sizeof(b->cin[i].buf);
			b->in[i].msg_hdr.msg_flags = 0;
		}
		got = recvmmsg(fd, b->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_msg(LOG_LVL_WARN, "udp recvmmsg: %s", strerror(errno));
			return;
		}
		n_out = 0;
		for (i = 0; i < (unsigned)got; i++)
			udp_answer(w, b, i, svc, port, &n_out);
		udp_send(fd, b, n_out);
		served += (unsigned)got;
		if (got < UDP_BATCH)
			return; /* drained */
	}
}
