/*
 * tgs_tool.c - crafts TGS-REQs from the TGT in a ccache, for
 * tests/interop/kdc_hostile.sh: things MIT's tools never send.
 *
 *   tgs_tool CCACHE PORT SERVICE MODE
 *     ok        a correct request                     -> "TGS-REP"
 *     nocksum   authenticator without a checksum      -> "error 50"
 *     unkeyed   an unkeyed checksum type (rsa-md5)     -> "error 50"
 *     badcksum  keyed checksum over other bytes        -> "error 41"
 *     replay    correct, then the same bytes again (a retransmission:
 *               the cached reply), then the same authenticator
 *               with another body (a replay)            -> 3 lines
 *     forgedfirst  the authenticator under another body first, then
 *               the genuine request: the forgery must not burn the
 *               authenticator                           -> "error 41", "TGS-REP"
 * Each request goes over TCP to 127.0.0.1:PORT; one line per reply.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "asn1/asn1.h"
#include "client/ccache.h"
#include "crypto/crypto.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"

static struct arena A;

static int
tcp_exchange(int port, const uint8_t *msg, size_t len)
{
	struct sockaddr_in sa = {0};
	uint8_t hdr[4], *buf;
	uint32_t n;
	size_t got = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		printf("connect failed\n");
		return 1;
	}
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	if (write(fd, hdr, 4) != 4 || write(fd, msg, len) != (ssize_t)len ||
	    recv(fd, hdr, 4, MSG_WAITALL) != 4) {
		printf("no reply\n");
		close(fd);
		return 1;
	}
	n = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
	buf = malloc(n ? n : 1);
	while (buf != NULL && got < n) {
		ssize_t k = recv(fd, buf + got, n - got, 0);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(fd);
	if (buf == NULL || got != n) {
		printf("short reply\n");
		free(buf);
		return 1;
	}
	if (der_peek_application_tag(buf, n) == KRB5_MSG_TGS_REP) {
		printf("TGS-REP\n");
	} else if (der_peek_application_tag(buf, n) == KRB5_MSG_ERROR) {
		KRB_ERROR e;
		memset(&e, 0, sizeof(e));
		if (der_decode(&asn1_KRB_ERROR, buf, n, &A, &e) == ORTH_OK)
			printf("error %d %s\n", (int)e.error_code, e.e_text ? e.e_text : "");
		else
			printf("undecodable KRB-ERROR\n");
	} else {
		printf("unexpected reply\n");
	}
	free(buf);
	return 0;
}

static int
pname_from_cc(const struct ccache_principal *p, PrincipalName *out)
{
	out->name_type = p->name_type;
	out->name_string.len = p->ncomps;
	out->name_string.val = arena_alloc(&A, p->ncomps * sizeof(char *));
	if (out->name_string.val == NULL)
		return 1;
	for (uint32_t i = 0; i < p->ncomps; i++)
		out->name_string.val[i] = (char *)p->comps[i].data;
	return 0;
}

int
main(int argc, char **argv)
{
	struct ccache *cc = NULL;
	struct ccache_contents c;
	const struct ccache_cred *tgt = NULL;
	struct crypto_key *skey = NULL;
	TGS_REQ q;
	KDC_REQ_BODY *b;
	AP_REQ ap;
	Authenticator au;
	Checksum ck;
	PA_DATA pa;
	METHOD_DATA md;
	PrincipalName sn;
	char *svc, *comps[2];
	int32_t etype;
	uint8_t *body = NULL, *msg = NULL, ckbuf[CRYPTO_MAX_CKSUM_LEN];
	size_t body_len, msg_len, cklen;
	const char *mode;
	int port;

	if (argc != 5) {
		fprintf(stderr, "usage: tgs_tool CCACHE PORT SERVICE MODE\n");
		return 2;
	}
	port = atoi(argv[2]);
	mode = argv[4];
	if (crypto_init() != ORTH_OK || arena_init(&A, 1 << 20) != ORTH_OK ||
	    ccache_open(argv[1], &cc) != ORTH_OK || ccache_read(cc, &c) != ORTH_OK) {
		fprintf(stderr, "cannot read the ccache\n");
		return 1;
	}
	for (size_t i = 0; i < c.ncreds; i++)
		if (c.creds[i].server.ncomps == 2 &&
		    strcmp((char *)c.creds[i].server.comps[0].data, "krbtgt") == 0)
			tgt = &c.creds[i];
	if (tgt == NULL || crypto_key_new(tgt->enctype, tgt->key.data, tgt->key.len, &skey) != ORTH_OK) {
		fprintf(stderr, "no usable TGT in the ccache\n");
		return 1;
	}
	etype = tgt->enctype;
	svc = strdup(argv[3]);
	comps[0] = svc;
	comps[1] = strchr(svc, '/');
	sn.name_type = KRB5_NT_SRV_HST;
	sn.name_string.val = comps;
	sn.name_string.len = 1;
	if (comps[1] != NULL) {
		*comps[1]++ = '\0';
		sn.name_string.len = 2;
	}

	memset(&q, 0, sizeof(q));
	memset(&ap, 0, sizeof(ap));
	memset(&au, 0, sizeof(au));
	q.pvno = KRB5_PVNO;
	q.msg_type = KRB5_MSG_TGS_REQ;
	b = &q.req_body;
	b->realm = (char *)tgt->client.realm.data;
	b->sname = &sn;
	b->till = (int64_t)time(NULL) + 3600;
	b->nonce = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	b->etype.len = 1;
	b->etype.val = &etype;
	if (der_encode_arena(&asn1_KDC_REQ_BODY, b, &A, &body, &body_len) != ORTH_OK)
		return 1;

	au.authenticator_vno = KRB5_PVNO;
	au.crealm = (char *)tgt->client.realm.data;
	if (pname_from_cc(&tgt->client, &au.cname))
		return 1;
	au.ctime = (int64_t)time(NULL);
	au.cusec = (int32_t)(clock() % 1000000);
	if (strcmp(mode, "nocksum") != 0) {
		if (strcmp(mode, "unkeyed") == 0) {
			/* RFC 3961 rsa-md5 (7): unkeyed, anyone can forge it */
			ck.cksumtype = 7;
			memset(ckbuf, 0x5a, 16);
			cklen = 16;
		} else {
			const uint8_t other[] = "not the body";
			int32_t t;
			if (crypto_checksum_make(skey, KU_TGS_REQ_AUTH_CKSUM,
						 strcmp(mode, "badcksum") == 0 ? other : body,
						 strcmp(mode, "badcksum") == 0 ? sizeof(other) : body_len,
						 &t, ckbuf, &cklen) != ORTH_OK)
				return 1;
			ck.cksumtype = t;
		}
		ck.checksum.data = ckbuf;
		ck.checksum.len = cklen;
		au.cksum = &ck;
	}
	ap.pvno = KRB5_PVNO;
	ap.msg_type = KRB5_MSG_AP_REQ;
	if (der_decode(&asn1_Ticket, tgt->ticket.data, tgt->ticket.len, &A, &ap.ticket) != ORTH_OK ||
	    proto_seal(skey, KU_TGS_REQ_AUTH, &asn1_Authenticator, &au, &A, &ap.authenticator) != ORTH_OK)
		return 1;
	pa.padata_type = KRB5_PADATA_TGS_REQ;
	if (der_encode_arena(&asn1_AP_REQ, &ap, &A, &pa.padata_value.data, &pa.padata_value.len) != ORTH_OK)
		return 1;
	md.len = 1;
	md.val = &pa;
	q.padata = &md;
	if (strcmp(mode, "forgedfirst") == 0) {
		uint32_t nonce = b->nonce;
		b->nonce ^= 0x5555;
		if (der_encode_arena(&asn1_TGS_REQ, &q, &A, &msg, &msg_len) != ORTH_OK ||
		    tcp_exchange(port, msg, msg_len))
			return 1;
		b->nonce = nonce;
	}
	if (der_encode_arena(&asn1_TGS_REQ, &q, &A, &msg, &msg_len) != ORTH_OK)
		return 1;
	if (tcp_exchange(port, msg, msg_len))
		return 1;
	if (strcmp(mode, "replay") == 0) {
		/* the same bytes on a new connection */
		if (tcp_exchange(port, msg, msg_len))
			return 1;
		/* the same authenticator under another body */
		b->nonce ^= 0x5555;
		if (der_encode_arena(&asn1_TGS_REQ, &q, &A, &msg, &msg_len) != ORTH_OK ||
		    tcp_exchange(port, msg, msg_len))
			return 1;
	}
	crypto_key_free(skey);
	ccache_contents_free(&c);
	ccache_close(cc);
	arena_free(&A);
	free(svc);
	return 0;
}
