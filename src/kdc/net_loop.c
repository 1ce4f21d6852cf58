/*
 * net_loop.c - the workers: one epoll loop each (worker 0 in the caller's
 * thread), the stop eventfd and the signalfd.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "net_int.h"

#define MAX_EVENTS 64

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

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
			log_buffer_flush();
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
				net_tcp_conn_close(w, &w->conns[i]);
	if (w->epfd >= 0)
		close(w->epfd);
	w->epfd = -1;
	free(w->conns);
	w->conns = NULL;
	net_udp_batch_free(w->udp);
	w->udp = NULL;
	free(w->reply_buf);
	w->reply_buf = NULL;
	free(w->tcp_rx);
	w->tcp_rx = NULL;
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
	w->reply_buf = malloc(4 + net->cfg.tcp_max_reply);
	w->tcp_rx = malloc(NET_TCP_RX);
	CHECK(w->conns != NULL && w->reply_buf != NULL && w->tcp_rx != NULL, ORTH_E_NOMEM);
	TRY(net_udp_batch_new(&net->cfg, &w->udp));
	if (net->cfg.log_flush_ms > 0)
		TRY(log_buffer_open(KDC_NET_LOG_BUFFER));
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
				net_udp_serve(w, net->udp_fd[w->id * net->n_udp + idx],
				    idx < net->n_kdc_udp ? KDC_SERVICE_KDC : KDC_SERVICE_KPASSWD,
				    net->udp_port[idx]);
				break;
			case EV_LISTEN:
				net_tcp_accept(w, net->tcp_fd[w->id * net->n_tcp + idx],
				    idx < net->n_kdc_tcp ? KDC_SERVICE_KDC : KDC_SERVICE_KPASSWD,
				    now);
				break;
			case EV_CONN:
				if (idx < nconn && w->conns[idx].state != CONN_FREE &&
				    (w->conns[idx].gen & 0xffffff) == TAG_GEN(tag))
					net_tcp_conn_event(w, &w->conns[idx], evs[i].events, now);
				break;
			default:
				break;
			}
		}
		timeout = net_tcp_sweep(w, mono_ms());
		if (net->cfg.log_flush_ms > 0) {
			int due = log_buffer_due(net->cfg.log_flush_ms);
			if (due >= 0 && (timeout < 0 || due < timeout))
				timeout = due;
		}
	}
cleanup:
	log_buffer_close();
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

