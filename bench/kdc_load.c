/*
 * kdc_load.c - a UDP load generator for any KDC on loopback: AS-REQs
 * without pre-authentication for one client, K in flight, for T seconds;
 * prints how many valid AS-REPs came back per second.  bench/run.sh points
 * it at an Orthrus KDC and at MIT's krb5kdc with the same realm layout.
 *
 *   kdc_load -p PORT -r REALM -c CLIENT -w PASSWORD [-t SECONDS] [-k INFLIGHT]
 *            [-h ADDR]
 *
 * Requests: one AS-REQ (RFC 4120 §5.4.1) is encoded once; each request
 * patches a new nonce into it.  The nonce is always a 4-byte DER INTEGER
 * (0x10000000..0x6fffffff: first byte neither 0x00 nor >= 0x80), so the
 * length never changes.  A new nonce makes every request distinct, so no
 * lookaside/reply cache answers it (both KDCs cache UDP replies by request
 * bytes).
 *
 * In flight: one connected UDP socket per slot, one request outstanding on
 * each; a reply on socket i answers slot i.  A slot silent for 1 s counts a
 * timeout and gets a new socket (so a late reply cannot be mistaken for the
 * next request's).
 *
 * Valid reply: an AS-REP (APPLICATION 11) that decodes, of our realm, with
 * enc-part in aes256-cts-hmac-sha1-96.  Every 16th one is also decrypted
 * with the client's key (usage 3) and its nonce compared with the request's.
 * A failed decryption or wrong nonce exits 1, as does zero valid replies:
 * a broken bench must be noticed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn1/asn1.h"
#include "crypto/crypto.h"

#define MAX_INFLIGHT 256
#define ETYPE 18               /* aes256-cts-hmac-sha1-96 */
#define NONCE_SENTINEL 0x5a5a5a5au
#define SLOT_TIMEOUT 1.0       /* seconds */
#define CHECK_EVERY 16         /* decrypt one valid reply in this many */

struct slot {
	int fd;
	uint32_t nonce;
	double sent;
};

static struct sockaddr_in kdc_addr;
static uint8_t req[2048];
static size_t req_len, nonce_off;
static uint32_t nonce_seq;
static struct slot slots[MAX_INFLIGHT];
static const char *realm;
static struct crypto_key *ckey;
static struct arena a;
static unsigned long n_sent, n_valid, n_bad, n_timeout, n_checked;

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* The AS-REQ for client@realm -> krbtgt/realm with the sentinel nonce;
 * sets req, req_len, nonce_off. */
static void
request_build(const char *client)
{
	AS_REQ q;
	PrincipalName cn, sn;
	char *cs[1], *ss[2];
	int32_t et = ETYPE;
	uint8_t *out;
	size_t len;
	static const uint8_t pat[] = {0x02, 0x04, 0x5a, 0x5a, 0x5a, 0x5a};
	int found = 0;

	memset(&q, 0, sizeof(q));
	cs[0] = (char *)client;
	cn.name_type = 1;                 /* KRB5_NT_PRINCIPAL */
	cn.name_string.len = 1;
	cn.name_string.val = cs;
	ss[0] = "krbtgt";
	ss[1] = (char *)realm;
	sn.name_type = 2;                 /* KRB5_NT_SRV_INST */
	sn.name_string.len = 2;
	sn.name_string.val = ss;
	q.pvno = 5;
	q.msg_type = 10;
	q.req_body.cname = &cn;
	q.req_body.realm = (char *)realm;
	q.req_body.sname = &sn;
	/* RFC 4120 §5.4.1: till is required; 8 h from now, like kinit */
	q.req_body.till = (int64_t)time(NULL) + 8 * 3600;
	q.req_body.nonce = NONCE_SENTINEL;
	q.req_body.etype.len = 1;
	q.req_body.etype.val = &et;
	if (der_encode_arena(&asn1_AS_REQ, &q, &a, &out, &len) != ORTH_OK || len > sizeof(req))
		die("cannot encode the AS-REQ");
	memcpy(req, out, len);
	req_len = len;
	for (size_t i = 0; i + sizeof(pat) <= len; i++) {
		if (memcmp(req + i, pat, sizeof(pat)) == 0) {
			nonce_off = i + 2;
			found++;
		}
	}
	if (found != 1)
		die("cannot find the nonce in the AS-REQ encoding");
	arena_reset(&a);
}

static int
socket_new(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		die_errno("socket");
	if (connect(fd, (struct sockaddr *)&kdc_addr, sizeof(kdc_addr)) != 0)
		die_errno("connect");
	return fd;
}

static void
slot_send(struct slot *s)
{
	uint32_t n = 0x10000000u + (nonce_seq++ % 0x60000000u);

	req[nonce_off] = (uint8_t)(n >> 24);
	req[nonce_off + 1] = (uint8_t)(n >> 16);
	req[nonce_off + 2] = (uint8_t)(n >> 8);
	req[nonce_off + 3] = (uint8_t)n;
	s->nonce = n;
	s->sent = now_sec();
	if (send(s->fd, req, req_len, 0) != (ssize_t)req_len && errno != EAGAIN &&
	    errno != ECONNREFUSED)
		die_errno("send");
	n_sent++;
}

/* Decrypt the enc-part (RFC 4120 §5.4.2, key usage 3) and compare the nonce.
 * Some KDCs tag it EncTGSRepPart (§5.4.2 asks to accept both). */
static int
reply_check_nonce(const AS_REP *r, uint32_t nonce)
{
	static uint8_t plain[4096];
	size_t plen;
	EncKDCRepPart ep;

	if (r->enc_part.cipher.len > sizeof(plain) ||
	    crypto_decrypt(ckey, 3, r->enc_part.cipher.data, r->enc_part.cipher.len, plain,
			   &plen) != ORTH_OK)
		return 0;
	memset(&ep, 0, sizeof(ep));
	if (der_decode(&asn1_EncASRepPart, plain, plen, &a, &ep) != ORTH_OK) {
		memset(&ep, 0, sizeof(ep));
		if (der_decode(&asn1_EncTGSRepPart, plain, plen, &a, &ep) != ORTH_OK)
			return 0;
	}
	return ep.nonce == nonce;
}

static void
slot_recv(struct slot *s)
{
	static uint8_t buf[65536];
	ssize_t n;
	AS_REP r;

	n = recv(s->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		if (errno == EAGAIN)
			return;
		if (errno == ECONNREFUSED)
			die("the KDC is not listening");
		die_errno("recv");
	}
	arena_reset(&a);
	memset(&r, 0, sizeof(r));
	if (der_peek_application_tag(buf, (size_t)n) != 11 ||
	    der_decode(&asn1_AS_REP, buf, (size_t)n, &a, &r) != ORTH_OK ||
	    strcmp(r.crealm, realm) != 0 || r.enc_part.etype != ETYPE) {
		n_bad++;
	} else {
		if (n_valid % CHECK_EVERY == 0) {
			if (!reply_check_nonce(&r, s->nonce))
				die("a reply does not decrypt to our nonce");
			n_checked++;
		}
		n_valid++;
	}
	slot_send(s);
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *client = NULL, *password = NULL;
	double seconds = 5;
	int port = 0, k = 32, opt;
	static struct pollfd pfd[MAX_INFLIGHT];
	uint8_t *salt;
	size_t salt_len;

	while ((opt = getopt(argc, argv, "h:p:r:c:w:t:k:")) != -1) {
		switch (opt) {
		case 'h': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'r': realm = optarg; break;
		case 'c': client = optarg; break;
		case 'w': password = optarg; break;
		case 't': seconds = strtod(optarg, NULL); break;
		case 'k': k = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (port <= 0 || port > 65535 || realm == NULL || client == NULL || password == NULL ||
	    k < 1 || k > MAX_INFLIGHT || !(seconds > 0))
		goto usage;
	memset(&kdc_addr, 0, sizeof(kdc_addr));
	kdc_addr.sin_family = AF_INET;
	kdc_addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &kdc_addr.sin_addr) != 1)
		die("bad address");
	if (crypto_init() != ORTH_OK || arena_init(&a, 1u << 20) != ORTH_OK)
		die("cannot initialise");
	/* RFC 4120 §4: the default salt is the realm followed by the name */
	salt_len = strlen(realm) + strlen(client);
	salt = malloc(salt_len + 1);
	if (salt == NULL)
		die("out of memory");
	snprintf((char *)salt, salt_len + 1, "%s%s", realm, client);
	if (crypto_string_to_key(ETYPE, password, strlen(password), salt, salt_len, NULL, 0,
				 &ckey) != ORTH_OK)
		die("cannot make the client key");
	free(salt);
	request_build(client);

	for (int i = 0; i < k; i++) {
		slots[i].fd = socket_new();
		slot_send(&slots[i]);
	}
	n_sent = 0;
	double t0 = now_sec(), end = t0 + seconds, t;
	while ((t = now_sec()) < end) {
		for (int i = 0; i < k; i++) {
			pfd[i].fd = slots[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		int r = poll(pfd, (nfds_t)k, 10);
		if (r < 0 && errno != EINTR)
			die_errno("poll");
		for (int i = 0; i < k && r > 0; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				slot_recv(&slots[i]);
		t = now_sec();
		for (int i = 0; i < k; i++) {
			if (t - slots[i].sent > SLOT_TIMEOUT) {
				close(slots[i].fd);
				slots[i].fd = socket_new();
				n_timeout++;
				slot_send(&slots[i]);
			}
		}
	}
	double dt = now_sec() - t0;
	for (int i = 0; i < k; i++)
		close(slots[i].fd);
	crypto_key_free(ckey);
	arena_free(&a);
	printf("replies/s %.0f  (valid %lu in %.2f s, %d in flight, sent %lu, bad %lu, "
	       "timeouts %lu, decrypted %lu)\n",
	       (double)n_valid / dt, n_valid, dt, k, n_sent, n_bad, n_timeout, n_checked);
	return n_valid == 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: kdc_load -p PORT -r REALM -c CLIENT -w PASSWORD "
			"[-t SECONDS] [-k INFLIGHT] [-h ADDR]\n");
	return 2;
}
