/*
 * kdc_load.c - the load generator of `make bench`: AS or TGS requests to
 * any KDC (Orthrus, MIT's krb5kdc, Heimdal's kdc) over UDP or TCP, N in
 * flight, for S seconds; prints one line of results.  Built on the
 * project's own DER and crypto code, cheap per request, so that it is not
 * the bottleneck (its own CPU time is printed too).
 *
 *   kdc_load --kdc HOST:PORT --realm REALM [--mode as|as-preauth|tgs|echo]
 *            [--transport udp|tcp] [--inflight N] [--duration S]
 *            [--principals N] [--prefix NAME] [--password PW]
 *            [--service NAME] [--check-every K] [--count N] [--per-conn N]
 *   kdc_load --floor-crypto N
 *
 * Clients: PREFIX0 .. PREFIX(N-1) (default "user"), all with the password
 * PW and the default salt (RFC 4120 §4: realm then name), one enctype:
 * aes256-cts-hmac-sha1-96.  Requests go to the clients in turn.
 *  as          AS-REQ without pre-authentication (the clients must not
 *              require it), a new nonce each.
 *  as-preauth  AS-REQ with PA-ENC-TIMESTAMP (RFC 4120 §5.2.7.2) in the
 *              first request, encrypted anew each time (a KDC's replay
 *              cache must not refuse it): one exchange per login.
 *  tgs         each client gets a TGT first (AS with PA-ENC-TIMESTAMP);
 *              then TGS-REQs for SERVICE (default "bench/svc"): an AP-REQ
 *              with a fresh authenticator (RFC 4120 §5.5.1: ctime, cusec
 *              distinct per client, a checksum over the body with usage 6,
 *              a fresh random subkey, sealed with usage 7), as MIT's
 *              library sends them (RFC 4120 §3.3.1).
 *  echo        AS-REQs as in `as` to a server that is no KDC (udp_echo):
 *              any reply counts; the kernel's floor.
 * In flight: one slot per request in flight.  UDP: a connected socket per
 * slot; silent for 1 s = a timeout, new socket.  TCP: a new connection per
 * request (as MIT's and Heimdal's libraries do), the 4-byte length prefix
 * of RFC 4120 §7.2.2; --per-conn N: N requests one after the other on a
 * connection instead (RFC 4120 §7.2.2 lets a KDC keep it open for a
 * follow-up; Orthrus does), which tells the cost of a connection from the
 * cost of a request.
 * Checks: a reply is valid when it is the expected KDC-REP (AS-REP
 * APPLICATION 11 / TGS-REP 13) of our realm in aes256; one in
 * CHECK_EVERY (default 16) is decrypted (AS: the client key, usage 3;
 * TGS: the request's subkey, usage 9, RFC 4120 §5.4.2) and its nonce
 * compared.  A reply that fails that check, or no valid reply at all, exits
 * 1.  A KRB-ERROR counts as bad and its code is printed.
 * --count N: stop after N replies instead of after S seconds (callgrind).
 * Output, one line: mode= transport= inflight= replies= seconds= rate=
 *   p50_us= p99_us= bad= timeouts= checked= first_error= loader_cpu_us=
 *
 * --floor-crypto N: no KDC; the cryptography a TGS-REQ cannot avoid, N
 * times, timed in process (see floor_crypto()): one line floor_us=.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn1/asn1.h"
#include "bench_util.h"
#include "base/arena.h"
#include "crypto/crypto.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"

#define MAX_INFLIGHT 1024
#define ETYPE 18 /* aes256-cts-hmac-sha1-96 */
#define SLOT_TIMEOUT 1.0
#define MAX_MSG 8192
#define MAX_SAMPLES (1u << 22)

enum mode { MODE_AS, MODE_AS_PREAUTH, MODE_TGS, MODE_ECHO };

struct client {
	char name[64];
	struct crypto_key *key;     /* long-term, from the password */
	uint8_t *tgt;               /* DER Ticket (tgs mode) */
	size_t tgt_len;
	struct crypto_key *session; /* the TGT's session key */
	uint32_t cusec;             /* distinct authenticators per second */
};

struct slot {
	int fd;
	bool connecting;            /* tcp: waiting for the connection */
	unsigned conn_uses;         /* tcp: requests sent on this connection */
	bool busy;
	double sent;
	uint32_t nonce;
	size_t client;
	struct crypto_key *subkey;  /* tgs: the reply key */
	uint8_t req[MAX_MSG + 4];
	size_t req_len;             /* with the tcp prefix */
	uint8_t rbuf[MAX_MSG + 4];
	size_t rgot;
};

static struct {
	const char *realm, *prefix, *password, *service;
	enum mode mode;
	bool tcp;
	unsigned inflight, principals, check_every, per_conn;
	double duration;
	unsigned long count;
	struct sockaddr_in kdc;
} opt = {NULL, "user", "bench-Pa55", "bench/svc", MODE_AS, false, 1, 10, 16, 1, 5, 0, {0}};

static struct client *clients;
static struct slot *slots;
static size_t next_client;
static uint32_t nonce_seq = 0x10000000;
static struct arena a;
static uint32_t *samples;
static size_t n_samples;
static unsigned long n_sent, n_valid, n_bad, n_timeout, n_checked;
static int first_error = -1;

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "kdc_load: %s\n", what);
	exit(1);
}

static _Noreturn void
die_errno(const char *what)
{
	fprintf(stderr, "kdc_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
must(orth_err e, const char *what)
{
	if (e != ORTH_OK) {
		fprintf(stderr, "kdc_load: %s: %s\n", what, orth_err_str(e));
		exit(1);
	}
}

static void *
arena_must(size_t n)
{
	void *p = arena_alloc(&a, n);

	if (p == NULL)
		die("arena full");
	memset(p, 0, n);
	return p;
}

/* ---- requests ---- */

static void
name_set(PrincipalName *pn, int32_t type, char *c0, char *c1)
{
	char **v = arena_must(2 * sizeof(char *));

	v[0] = c0;
	v[1] = c1;
	pn->name_type = type;
	pn->name_string.len = c1 != NULL ? 2 : 1;
	pn->name_string.val = v;
}

/* RFC 4120 §5.2.7.2: PA-ENC-TIMESTAMP, the current time in the client key. */
static void
padata_enc_ts(struct client *c, PA_DATA *pa)
{
	PA_ENC_TS_ENC ts;
	int32_t *usec = arena_must(sizeof(*usec));
	EncryptedData ed;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	ts.patimestamp = now.tv_sec;
	*usec = (int32_t)(now.tv_nsec / 1000);
	ts.pausec = usec;
	must(proto_seal(c->key, KU_AS_REQ_PA_ENC_TS, &asn1_PA_ENC_TS_ENC, &ts, &a, &ed),
	    "seal the timestamp");
	pa->padata_type = KRB5_PADATA_ENC_TIMESTAMP;
	must(der_encode_arena(&asn1_EncryptedData, &ed, &a, &pa->padata_value.data,
	    &pa->padata_value.len), "encode the timestamp");
}

static void
req_store(struct slot *s, const uint8_t *der, size_t len)
{
	size_t off = opt.tcp ? 4 : 0;

	if (len > MAX_MSG)
		die("request too long");
	if (opt.tcp) {
		s->req[0] = (uint8_t)(len >> 24);
		s->req[1] = (uint8_t)(len >> 16);
		s->req[2] = (uint8_t)(len >> 8);
		s->req[3] = (uint8_t)len;
	}
	memcpy(s->req + off, der, len);
	s->req_len = len + off;
}

/* The KDC-REQ of slot s, msg_type, for service sn (RFC 4120 §5.4.1: till
 * is required; 8 h, like kinit), our one enctype. */
static void
req_init(KDC_REQ *q, struct slot *s, int32_t msg_type, PrincipalName *sn)
{
	int32_t *et = arena_must(sizeof(*et));

	*et = ETYPE;
	memset(q, 0, sizeof(*q));
	q->pvno = KRB5_PVNO;
	q->msg_type = msg_type;
	q->req_body.realm = (char *)opt.realm;
	q->req_body.sname = sn;
	q->req_body.till = (int64_t)time(NULL) + 8 * 3600;
	q->req_body.nonce = s->nonce;
	q->req_body.etype.len = 1;
	q->req_body.etype.val = et;
}

static void
as_req_build(struct slot *s, struct client *c, bool preauth)
{
	AS_REQ q;
	PrincipalName *cn = arena_must(sizeof(*cn)), *sn = arena_must(sizeof(*sn));
	uint8_t *der;
	size_t len;

	name_set(cn, KRB5_NT_PRINCIPAL, c->name, NULL);
	name_set(sn, KRB5_NT_SRV_INST, "krbtgt", (char *)opt.realm);
	req_init(&q, s, KRB5_MSG_AS_REQ, sn);
	q.req_body.cname = cn;
	if (preauth) {
		METHOD_DATA *md = arena_must(sizeof(*md));
		md->val = arena_must(sizeof(PA_DATA));
		md->len = 1;
		padata_enc_ts(c, md->val);
		q.padata = md;
	}
	must(der_encode_arena(&asn1_AS_REQ, &q, &a, &der, &len), "encode the AS-REQ");
	req_store(s, der, len);
}

static void
tgs_req_build(struct slot *s, struct client *c)
{
	TGS_REQ q;
	AP_REQ ap;
	Authenticator au;
	Checksum ck;
	EncryptionKey sk;
	PrincipalName *sn = arena_must(sizeof(*sn));
	METHOD_DATA *md = arena_must(sizeof(*md));
	uint8_t cks[CRYPTO_MAX_CKSUM_LEN], *body, *apder, *der;
	size_t cks_len, body_len, ap_len, len, kl;
	char *svc = arena_must(strlen(opt.service) + 1), *slash;
	const uint8_t *kb;

	strcpy(svc, opt.service);
	slash = strchr(svc, '/');
	if (slash != NULL)
		*slash++ = '\0';
	name_set(sn, slash != NULL ? KRB5_NT_SRV_INST : KRB5_NT_PRINCIPAL, svc, slash);
	req_init(&q, s, KRB5_MSG_TGS_REQ, sn);
	must(der_encode_arena(&asn1_KDC_REQ_BODY, &q.req_body, &a, &body, &body_len),
	    "encode the body");

	crypto_key_free(s->subkey);
	s->subkey = NULL;
	must(crypto_key_random(ETYPE, &s->subkey), "subkey");
	memset(&au, 0, sizeof(au));
	must(crypto_checksum_make(c->session, KU_TGS_REQ_AUTH_CKSUM, body, body_len,
	    &ck.cksumtype, cks, &cks_len), "checksum");
	ck.checksum.data = cks;
	ck.checksum.len = cks_len;
	au.authenticator_vno = KRB5_PVNO;
	au.crealm = (char *)opt.realm;
	name_set(&au.cname, KRB5_NT_PRINCIPAL, c->name, NULL);
	au.cksum = &ck;
	au.ctime = (int64_t)time(NULL);
	au.cusec = (int32_t)(c->cusec++ % 1000000);
	kb = crypto_key_bytes(s->subkey, &kl);
	sk.keytype = ETYPE;
	sk.keyvalue.data = (uint8_t *)kb;
	sk.keyvalue.len = kl;
	au.subkey = &sk;
	memset(&ap, 0, sizeof(ap));
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	must(der_decode(&asn1_Ticket, c->tgt, c->tgt_len, &a, &ap.ticket), "decode the TGT");
	must(proto_seal(c->session, KU_TGS_REQ_AUTH, &asn1_Authenticator, &au, &a,
	    &ap.authenticator), "seal the authenticator");
	must(der_encode_arena(&asn1_AP_REQ, &ap, &a, &apder, &ap_len), "encode the AP-REQ");
	md->val = arena_must(sizeof(PA_DATA));
	md->len = 1;
	md->val[0].padata_type = KRB5_PADATA_TGS_REQ;
	md->val[0].padata_value.data = apder;
	md->val[0].padata_value.len = ap_len;
	q.padata = md;
	must(der_encode_arena(&asn1_TGS_REQ, &q, &a, &der, &len), "encode the TGS-REQ");
	req_store(s, der, len);
}

/* ---- replies ---- */

/*
 * Checks a reply to slot s.  decrypt: also decrypt it and compare the
 * nonce.  Returns 1 valid, 0 bad (a KRB-ERROR or not our reply), -1 a
 * valid-looking reply that does not decrypt to our nonce.  keep: the
 * decoded AS-REP's ticket and session key go to the client (tgs start).
 */
static int
reply_check(struct slot *s, const uint8_t *buf, size_t len, bool decrypt, bool keep)
{
	KDC_REP r;
	EncKDCRepPart ep;
	int tag = der_peek_application_tag(buf, len);
	bool as = opt.mode != MODE_TGS || keep;
	struct crypto_key *k;
	orth_err e;

	if (opt.mode == MODE_ECHO)
		return 1;
	if (tag == KRB5_MSG_ERROR) {
		KRB_ERROR ke;
		memset(&ke, 0, sizeof(ke));
		if (first_error < 0 && der_decode(&asn1_KRB_ERROR, buf, len, &a, &ke) == ORTH_OK)
			first_error = ke.error_code;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	if (tag != (as ? KRB5_MSG_AS_REP : KRB5_MSG_TGS_REP) ||
	    der_decode(as ? &asn1_AS_REP : &asn1_TGS_REP, buf, len, &a, &r) != ORTH_OK ||
	    strcmp(r.crealm, opt.realm) != 0 || r.enc_part.etype != ETYPE)
		return 0;
	if (!decrypt)
		return 1;
	k = as ? clients[s->client].key : s->subkey;
	/* RFC 4120 §5.4.2: some KDCs tag the part EncTGSRepPart in an AS-REP
	 * (and the other way round); both are accepted. */
	memset(&ep, 0, sizeof(ep));
	e = proto_unseal(k, as ? KU_AS_REP_ENC_PART : KU_TGS_REP_ENC_PART_SUBKEY, &r.enc_part,
	    as ? &asn1_EncASRepPart : &asn1_EncTGSRepPart, &a, &ep);
	if (e != ORTH_OK) {
		memset(&ep, 0, sizeof(ep));
		e = proto_unseal(k, as ? KU_AS_REP_ENC_PART : KU_TGS_REP_ENC_PART_SUBKEY,
		    &r.enc_part, as ? &asn1_EncTGSRepPart : &asn1_EncASRepPart, &a, &ep);
	}
	if (e != ORTH_OK || ep.nonce != s->nonce)
		return -1;
	if (keep) {
		struct client *c = &clients[s->client];
		uint8_t *t;
		must(der_encode_arena(&asn1_Ticket, &r.ticket, &a, &t, &c->tgt_len), "the TGT");
		c->tgt = malloc(c->tgt_len);
		if (c->tgt == NULL)
			die("out of memory");
		memcpy(c->tgt, t, c->tgt_len);
		must(crypto_key_new(ep.key.keytype, ep.key.keyvalue.data, ep.key.keyvalue.len,
		    &c->session), "the session key");
	}
	return 1;
}

/* ---- slots ---- */

/*
 * A TCP connection to a KDC on loopback leaves from one of 127.0.0.2 ..
 * 127.0.0.251 in turn, as if from many client hosts.  From one address,
 * a connection per request at ~15,000 a second ran the loader out of
 * ports held in TIME_WAIT (a client that closes first keeps it), and
 * connect() searching for a free one made the TCP rows' p99 (~23 ms): the
 * loader's cost, not the KDC's, which sees the same connections either
 * way.  The port is picked at connect(), for the destination
 * (IP_BIND_ADDRESS_NO_PORT).
 */
static void
socket_spread_source(int fd)
{
	static unsigned next;
	struct sockaddr_in src = {.sin_family = AF_INET};
	int one = 1;

	if ((ntohl(opt.kdc.sin_addr.s_addr) >> 24) != 127)
		return;
	src.sin_addr.s_addr = htonl(0x7f000002u + next++ % 250);
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0)
		die_errno("bind");
}

static int
socket_open(void)
{
	int fd = socket(AF_INET, (opt.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die_errno("socket");
	if (opt.tcp)
		socket_spread_source(fd);
	if (connect(fd, (struct sockaddr *)&opt.kdc, sizeof(opt.kdc)) != 0 &&
	    errno != EINPROGRESS)
		die_errno("connect");
	return fd;
}

static void
slot_write(struct slot *s)
{
	ssize_t n = send(s->fd, s->req, s->req_len, MSG_NOSIGNAL);

	if (n != (ssize_t)s->req_len && !(n < 0 && (errno == EAGAIN || errno == ECONNREFUSED)))
		die_errno("send");
}

/* A new request on slot s for client ci (SIZE_MAX: the next in turn). */
static void
slot_send(struct slot *s, size_t ci, bool preauth)
{
	struct client *c;

	if (ci == SIZE_MAX) {
		ci = next_client;
		next_client = (next_client + 1) % opt.principals;
	}
	c = &clients[ci];
	s->client = ci;
	s->nonce = 0x10000000u + (nonce_seq++ % 0x60000000u);
	arena_reset(&a);
	if (opt.mode == MODE_TGS && !preauth)
		tgs_req_build(s, c);
	else
		as_req_build(s, c, preauth || opt.mode == MODE_AS_PREAUTH);
	s->rgot = 0;
	s->busy = true;
	s->sent = bench_now();
	if (opt.tcp && s->fd >= 0 && s->conn_uses < opt.per_conn) {
		s->conn_uses++;
		slot_write(s);
	} else if (opt.tcp) {
		if (s->fd >= 0)
			close(s->fd);
		s->fd = socket_open();
		s->connecting = true;
		s->conn_uses = 1;
	} else {
		slot_write(s);
	}
	n_sent++;
}

/*
 * Reads what slot s has.  Returns the reply length when one is complete
 * (in s->rbuf, after the tcp prefix), 0 when not yet, -1 when the
 * connection ended without a reply.
 */
static ssize_t
slot_read(struct slot *s)
{
	ssize_t n;

	if (!opt.tcp) {
		n = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);
		if (n < 0 && errno == ECONNREFUSED)
			die("the KDC is not listening");
		return n < 0 ? 0 : n;
	}
	if (s->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0 || err != 0)
			return -1;
		s->connecting = false;
		slot_write(s);
		return 0;
	}
	n = recv(s->fd, s->rbuf + s->rgot, sizeof(s->rbuf) - s->rgot, 0);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n == 0)
		return -1;
	s->rgot += (size_t)n;
	if (s->rgot >= 4) {
		size_t want = (size_t)s->rbuf[0] << 24 | (size_t)s->rbuf[1] << 16 |
		    (size_t)s->rbuf[2] << 8 | s->rbuf[3];
		if (want > MAX_MSG)
			return -1;
		if (s->rgot >= 4 + want) {
			memmove(s->rbuf, s->rbuf + 4, want);
			return (ssize_t)want;
		}
	}
	return 0;
}

/* Waits for every slot's reply at most timeout seconds; for the start. */
static void
slots_run_once(unsigned k, bool keep)
{
	struct pollfd pfd[MAX_INFLIGHT];
	unsigned left = k;
	double end = bench_now() + 5;

	while (left > 0 && bench_now() < end) {
		for (unsigned i = 0; i < k; i++) {
			pfd[i].fd = slots[i].busy ? slots[i].fd : -1;
			pfd[i].events = opt.tcp && slots[i].connecting ? POLLOUT : POLLIN;
		}
		if (poll(pfd, k, 100) < 0 && errno != EINTR)
			die_errno("poll");
		for (unsigned i = 0; i < k; i++) {
			ssize_t n;
			if (!slots[i].busy || pfd[i].revents == 0)
				continue;
			n = slot_read(&slots[i]);
			if (n == 0)
				continue;
			slots[i].busy = false;
			left--;
			if (n < 0 || reply_check(&slots[i], slots[i].rbuf, (size_t)n, true, keep) != 1) {
				fprintf(stderr, "kdc_load: no ticket for %s (error %d)\n",
				    clients[slots[i].client].name, first_error);
				exit(1);
			}
		}
	}
	if (left > 0)
		die("the KDC does not answer");
}

/* tgs: a TGT for every client, inflight at a time, over UDP whatever
 * the transport of the load. */
static void
tgts_get(void)
{
	bool tcp = opt.tcp;

	opt.tcp = false;
	for (unsigned i = 0; i < opt.inflight; i++)
		slots[i].fd = socket_open();
	for (size_t c = 0; c < opt.principals; c += opt.inflight) {
		unsigned k = 0;
		for (size_t i = c; i < opt.principals && k < opt.inflight; i++, k++)
			slot_send(&slots[k], i, true);
		slots_run_once(k, true);
	}
	for (unsigned i = 0; i < opt.inflight; i++) {
		close(slots[i].fd);
		slots[i].fd = tcp ? -1 : socket_open();
	}
	opt.tcp = tcp;
	n_sent = 0;
}

static void
run(void)
{
	struct pollfd pfd[MAX_INFLIGHT];
	unsigned k = opt.inflight;
	double t0, end, t, c0;
	unsigned long since_check = 0;

	for (unsigned i = 0; i < k; i++)
		slot_send(&slots[i], SIZE_MAX, false);
	n_sent = k;
	t0 = bench_now();
	c0 = bench_cpu();
	end = t0 + opt.duration;
	while ((t = bench_now()) < end && (opt.count == 0 || n_valid + n_bad < opt.count)) {
		int r;
		for (unsigned i = 0; i < k; i++) {
			pfd[i].fd = slots[i].fd;
			pfd[i].events = opt.tcp && slots[i].connecting ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		r = poll(pfd, k, 10);
		if (r < 0 && errno != EINTR)
			die_errno("poll");
		t = bench_now();
		for (unsigned i = 0; i < k && r > 0; i++) {
			struct slot *s = &slots[i];
			ssize_t n;
			int v;
			if (pfd[i].revents == 0)
				continue;
			n = slot_read(s);
			if (n == 0)
				continue;
			if (n < 0) {
				n_bad++;
				s->conn_uses = opt.per_conn; /* ended: a new one */
			} else {
				bool dec = ++since_check >= opt.check_every;
				v = reply_check(s, s->rbuf, (size_t)n, dec, false);
				if (v < 0)
					die("a reply does not decrypt to our nonce");
				if (v == 1) {
					n_valid++;
					if (dec) {
						n_checked++;
						since_check = 0;
					}
					if (n_samples < MAX_SAMPLES)
						samples[n_samples++] = (uint32_t)((t - s->sent) * 1e6);
				} else {
					n_bad++;
				}
			}
			slot_send(s, SIZE_MAX, false);
		}
		for (unsigned i = 0; i < k; i++) {
			if (t - slots[i].sent > SLOT_TIMEOUT) {
				if (!opt.tcp) {
					close(slots[i].fd);
					slots[i].fd = socket_open();
				}
				slots[i].conn_uses = opt.per_conn;
				n_timeout++;
				slot_send(&slots[i], SIZE_MAX, false);
			}
		}
	}
	t = bench_now() - t0;
	c0 = bench_cpu() - c0;
	qsort(samples, n_samples, sizeof(*samples), bench_u32_cmp);
	printf("mode=%s transport=%s inflight=%u replies=%lu seconds=%.3f rate=%.0f "
	       "p50_us=%u p99_us=%u bad=%lu timeouts=%lu checked=%lu first_error=%d "
	       "loader_cpu_us=%.2f\n",
	    opt.mode == MODE_AS ? "as" : opt.mode == MODE_AS_PREAUTH ? "as-preauth" :
	    opt.mode == MODE_TGS ? "tgs" : "echo",
	    opt.tcp ? "tcp" : "udp", k, n_valid, t, (double)n_valid / t,
	    n_samples ? samples[n_samples / 2] : 0,
	    n_samples ? samples[(size_t)((double)n_samples * 0.99)] : 0, n_bad, n_timeout,
	    n_checked, first_error, n_valid ? c0 * 1e6 / (double)n_valid : 0.0);
}

/*
 * The floor: the cryptography of one TGS-REQ and nothing else, over the
 * byte counts of a typical aes256 exchange: decrypt the TGT (usage 2,
 * in the krbtgt key), decrypt the authenticator (usage 7) and verify the
 * checksum over the body (usage 6) in the TGT session key, encrypt the
 * new ticket (usage 2, service key), encrypt the reply part (usage 9) in
 * the client's fresh subkey.  Keys that live longer than a request
 * (krbtgt, service, TGT session key) are made once, so a library that
 * caches their derived keys pays their derivations once; the subkey is new
 * each time, so its two derivations (Ke, Ki of usage 9) are part of the
 * floor, as RFC 3961 §5.3 makes them unavoidable.
 */
static __attribute__((noinline)) void
floor_crypto(unsigned long n)
{
	enum { TKT = 260, AUTH = 150, BODY = 110, REP = 250 };
	static uint8_t plain[1024], c_tkt[1024], c_auth[1024], out[1024], tmp[1024];
	struct crypto_key *krbtgt, *svc, *sess, *sub;
	int32_t ct;
	uint8_t cks[CRYPTO_MAX_CKSUM_LEN];
	size_t l_tkt, l_auth, l, cl, kl;
	double c0;
	const uint8_t *kb;

	memset(plain, 0x5a, sizeof(plain));
	must(crypto_key_random(ETYPE, &krbtgt), "key");
	must(crypto_key_random(ETYPE, &svc), "key");
	must(crypto_key_random(ETYPE, &sess), "key");
	must(crypto_key_random(ETYPE, &sub), "key");
	kb = crypto_key_bytes(sub, &kl);
	must(crypto_encrypt(krbtgt, KU_TICKET, plain, TKT, c_tkt, &l_tkt), "encrypt");
	must(crypto_encrypt(sess, KU_TGS_REQ_AUTH, plain, AUTH, c_auth, &l_auth), "encrypt");
	must(crypto_checksum_make(sess, KU_TGS_REQ_AUTH_CKSUM, plain, BODY, &ct, cks, &cl),
	    "checksum");
	c0 = bench_cpu();
	for (unsigned long i = 0; i < n; i++) {
		struct crypto_key *k;
		if (crypto_decrypt(krbtgt, KU_TICKET, c_tkt, l_tkt, tmp, &l) != ORTH_OK ||
		    crypto_decrypt(sess, KU_TGS_REQ_AUTH, c_auth, l_auth, tmp, &l) != ORTH_OK ||
		    crypto_checksum_verify(sess, KU_TGS_REQ_AUTH_CKSUM, ct, plain, BODY, cks,
			cl) != ORTH_OK)
			die("floor: decrypt");
		/* the subkey arrives as bytes in each authenticator */
		must(crypto_key_new(ETYPE, kb, kl, &k), "subkey");
		must(crypto_encrypt(svc, KU_TICKET, plain, TKT, out, &l), "encrypt");
		must(crypto_encrypt(k, KU_TGS_REP_ENC_PART_SUBKEY, plain, REP, out, &l), "encrypt");
		crypto_key_free(k);
	}
	c0 = bench_cpu() - c0;
	printf("floor_us=%.3f iterations=%lu\n", c0 * 1e6 / (double)n, n);
	crypto_key_free(krbtgt);
	crypto_key_free(svc);
	crypto_key_free(sess);
	crypto_key_free(sub);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: kdc_load --kdc HOST:PORT --realm REALM [--mode as|as-preauth|tgs|echo]\n"
	    "       [--transport udp|tcp] [--inflight N] [--duration S] [--principals N]\n"
	    "       [--prefix NAME] [--password PW] [--service NAME] [--check-every K]\n"
	    "       [--count N] [--per-conn N]\n"
	    "       kdc_load --floor-crypto N\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"kdc", 1, 0, 'k'}, {"realm", 1, 0, 'r'}, {"mode", 1, 0, 'm'},
	    {"transport", 1, 0, 't'}, {"inflight", 1, 0, 'i'}, {"duration", 1, 0, 'd'},
	    {"principals", 1, 0, 'p'}, {"prefix", 1, 0, 'x'}, {"password", 1, 0, 'w'},
	    {"service", 1, 0, 's'}, {"check-every", 1, 0, 'c'}, {"count", 1, 0, 'n'},
	    {"floor-crypto", 1, 0, 'f'}, {"per-conn", 1, 0, 'P'}, {0, 0, 0, 0}};
	const char *kdc = NULL;
	unsigned long floor_n = 0;
	int o;

	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'k': kdc = optarg; break;
		case 'r': opt.realm = optarg; break;
		case 'm':
			if (strcmp(optarg, "as") == 0)
				opt.mode = MODE_AS;
			else if (strcmp(optarg, "as-preauth") == 0)
				opt.mode = MODE_AS_PREAUTH;
			else if (strcmp(optarg, "tgs") == 0)
				opt.mode = MODE_TGS;
			else if (strcmp(optarg, "echo") == 0)
				opt.mode = MODE_ECHO;
			else
				usage();
			break;
		case 't':
			if (strcmp(optarg, "udp") != 0 && strcmp(optarg, "tcp") != 0)
				usage();
			opt.tcp = strcmp(optarg, "tcp") == 0;
			break;
		case 'i': opt.inflight = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': opt.duration = strtod(optarg, NULL); break;
		case 'p': opt.principals = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'x': opt.prefix = optarg; break;
		case 'w': opt.password = optarg; break;
		case 's': opt.service = optarg; break;
		case 'c': opt.check_every = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': opt.count = strtoul(optarg, NULL, 10); break;
		case 'f': floor_n = strtoul(optarg, NULL, 10); break;
		case 'P': opt.per_conn = (unsigned)strtoul(optarg, NULL, 10); break;
		default: usage();
		}
	}
	if (crypto_init() != ORTH_OK || arena_init(&a, 1u << 20) != ORTH_OK)
		die("cannot initialise");
	if (floor_n > 0) {
		floor_crypto(floor_n);
		arena_free(&a);
		return 0;
	}
	if (kdc == NULL || opt.realm == NULL || opt.inflight < 1 ||
	    opt.inflight > MAX_INFLIGHT || opt.principals < 1 || !(opt.duration > 0) ||
	    opt.check_every < 1 || opt.per_conn < 1)
		usage();
	{
		char host[64];
		const char *colon = strrchr(kdc, ':');
		size_t hl = colon != NULL ? (size_t)(colon - kdc) : 0;
		if (colon == NULL || hl == 0 || hl >= sizeof(host))
			usage();
		memcpy(host, kdc, hl);
		host[hl] = '\0';
		opt.kdc.sin_family = AF_INET;
		opt.kdc.sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &opt.kdc.sin_addr) != 1)
			die("--kdc: an IPv4 address and a port");
	}
	clients = calloc(opt.principals, sizeof(*clients));
	slots = calloc(opt.inflight, sizeof(*slots));
	samples = malloc(MAX_SAMPLES * sizeof(*samples));
	if (clients == NULL || slots == NULL || samples == NULL)
		die("out of memory");
	for (unsigned i = 0; i < opt.principals; i++) {
		struct client *c = &clients[i];
		char salt[256];
		int sl;
		snprintf(c->name, sizeof(c->name), "%s%u", opt.prefix, i);
		/* RFC 4120 §4: the default salt is the realm then the name */
		sl = snprintf(salt, sizeof(salt), "%s%s", opt.realm, c->name);
		must(crypto_string_to_key(ETYPE, opt.password, strlen(opt.password),
		    (const uint8_t *)salt, (size_t)sl, NULL, 0, &c->key), "string2key");
	}
	if (opt.mode == MODE_TGS)
		tgts_get();
	else
		for (unsigned i = 0; i < opt.inflight; i++)
			slots[i].fd = opt.tcp ? -1 : socket_open();
	run();
	for (unsigned i = 0; i < opt.inflight; i++) {
		if (slots[i].fd >= 0)
			close(slots[i].fd);
		crypto_key_free(slots[i].subkey);
	}
	for (unsigned i = 0; i < opt.principals; i++) {
		crypto_key_free(clients[i].key);
		crypto_key_free(clients[i].session);
		free(clients[i].tgt);
	}
	free(clients);
	free(slots);
	free(samples);
	arena_free(&a);
	return n_valid == 0 ? 1 : 0;
}
