/*
 * test_sendto.c - the client against KDCs (and a DNS server) that are small
 * processes on loopback, for what a real network does to a client (issue
 * 14): a KDC that answers KDC_ERR_SVC_UNAVAILABLE, a KDC that is silent,
 * KDCs found by DNS SRV records (dns_lookup_kdc), a KDC that offers a weak
 * string-to-key count or a PW-SALT, and a TGS reply from a clock far away.
 *
 * Each fake server is a forked child on a UDP socket bound before the fork
 * (so a request never meets a closed port), stopped by PID.  The DNS tests
 * point this process's resolver (glibc's per-thread _res) at the fake DNS
 * server: /etc/resolv.conf is never touched.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../test.h"
#include "base/writer.h"
#include "client/client_int.h"
#include "orthrus/client.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/padata.h"
#include "proto/krberr.h"
#include "proto/pname.h"

#define REALM "EXAMPLE.ORG"

static char tmpdir[] = "/tmp/test_sendto.XXXXXX";
static char hits_path[300];

/* ---- fake servers ---- */

enum mode {
	M_SILENT,        /* reads nothing, answers nothing */
	M_UNAVAIL,       /* KRB-ERROR KDC_ERR_SVC_UNAVAILABLE */
	M_ANSWER,        /* KRB-ERROR KDC_ERR_C_PRINCIPAL_UNKNOWN: "the answer" */
	M_AS_WEAK_S2K,   /* PREAUTH_REQUIRED with ETYPE-INFO2 of 1 iteration */
	M_AS_PW_SALT,    /* an AS-REP salted by PW-SALT only */
	M_AS_ETYPE_INFO, /* an AS-REP salted by ETYPE-INFO only */
	M_AS_BOTH_INFO,  /* an AS-REP with ETYPE-INFO (a wrong salt), then ETYPE-INFO2 */
	M_TGS,           /* a TGS-REP whose starttime is tgs_skew from now */
	M_DNS,           /* the DNS server */
};

/* The TGT session key (M_TGS), the same in the test and the fake KDC. */
static const uint8_t tgs_session_key[32] = {
	0x05, 0x12, 0x1f, 0x2c, 0x39, 0x46, 0x53, 0x60, 0x6d, 0x7a, 0x87,
	0x94, 0xa1, 0xae, 0xbb, 0xc8, 0xd5, 0xe2, 0xef, 0xfc, 0x09, 0x16,
	0x23, 0x30, 0x3d, 0x4a, 0x57, 0x64, 0x71, 0x7e, 0x8b, 0x98};
static int64_t tgs_skew;                /* starttime - now in M_TGS */
static int dns_port_good, dns_port_bad;

/* One byte per request to the hits file (O_APPEND: the order of arrival). */
static void
hit(char c)
{
	int fd = open(hits_path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd >= 0) {
		if (write(fd, &c, 1) != 1)
			perror("hit");
		close(fd);
	}
}

static void
hits_read(char *buf, size_t cap)
{
	int fd = open(hits_path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, cap - 1) : 0;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	unlink(hits_path);
}

static size_t
krb_error(int32_t code, const struct der_bytes *e_data, uint8_t *out, size_t cap)
{
	struct arena a = {0};
	struct proto_error pe;
	PrincipalName tgs;
	struct writer w;

	if (arena_init(&a, 1 << 16) != ORTH_OK)
		return 0;
	memset(&pe, 0, sizeof(pe));
	if (pname_build2(&a, KRB5_NT_SRV_INST, "krbtgt", REALM, &tgs) != ORTH_OK)
		return 0;
	pe.code = code;
	pe.realm = REALM;
	pe.sname = &tgs;
	pe.e_data = e_data;
	pe.stime = client_now();
	writer_init(&w, out, cap);
	if (proto_krb_error_encode(&pe, &a, &w) != ORTH_OK)
		w.len = 0;
	arena_free(&a);
	return w.len;
}

/* A DER Ticket for sname@realm with an opaque enc-part. */
static void
fake_ticket(const PrincipalName *sname, const char *realm, Ticket *out)
{
	static uint8_t junk[48];
	memset(out, 0, sizeof(*out));
	out->tkt_vno = 5;
	out->realm = (char *)realm;
	out->sname = *sname;
	out->enc_part.etype = 18;
	out->enc_part.cipher.data = junk;
	out->enc_part.cipher.len = sizeof(junk);
}

/* The KDC-REP for req (AS or TGS), its enc-part sealed with key/usage. */
static size_t
kdc_rep(const KDC_REQ *req, bool as, struct crypto_key *key, int32_t usage,
	int64_t starttime, METHOD_DATA *padata, struct arena *a, uint8_t *out, size_t cap)
{
	KDC_REP rep;
	EncKDCRepPart enc;
	uint8_t sk[32] = {7, 7, 7};
	uint8_t *der = NULL;
	size_t len = 0;
	int64_t now = client_now();
	int64_t *st = arena_alloc(a, sizeof(*st));
	static char *alice_s = "alice";
	PrincipalName alice = {KRB5_NT_PRINCIPAL, {1, &alice_s}};

	if (st == NULL)
		return 0;
	memset(&rep, 0, sizeof(rep));
	memset(&enc, 0, sizeof(enc));
	rep.pvno = 5;
	rep.msg_type = as ? KRB5_MSG_AS_REP : KRB5_MSG_TGS_REP;
	rep.padata = padata;
	rep.crealm = REALM;
	rep.cname = as ? *req->req_body.cname : alice;
	fake_ticket(req->req_body.sname, req->req_body.realm, &rep.ticket);
	enc.key.keytype = 18;
	enc.key.keyvalue.data = sk;
	enc.key.keyvalue.len = 32;
	enc.nonce = req->req_body.nonce;
	enc.flags = TKT_FLG_INITIAL;
	enc.authtime = now - 100;
	*st = starttime;
	enc.starttime = st;
	enc.endtime = now + 3600;
	enc.srealm = req->req_body.realm;
	enc.sname = *req->req_body.sname;
	if (proto_seal(key, usage, as ? &asn1_EncASRepPart : &asn1_EncTGSRepPart, &enc, a,
		       &rep.enc_part) != ORTH_OK ||
	    der_encode_arena(as ? &asn1_AS_REP : &asn1_TGS_REP, &rep, a, &der, &len) != ORTH_OK ||
	    len > cap)
		return 0;
	memcpy(out, der, len);
	return len;
}

static size_t
as_weak_s2k(const KDC_REQ *req, struct arena *a, uint8_t *out, size_t cap)
{
	ETYPE_INFO2 info;
	ETYPE_INFO2_ENTRY ent;
	METHOD_DATA md;
	PA_DATA pa[2];
	static uint8_t one[4] = {0, 0, 0, 1};
	struct der_bytes params = {one, 4}, ed;

	if (proto_padata_find(req->padata, KRB5_PADATA_ENC_TIMESTAMP) != NULL) {
		hit('T');  /* a PA-ENC-TIMESTAMP under the weak key */
		return krb_error(KDC_ERR_PREAUTH_FAILED, NULL, out, cap);
	}
	hit('R');
	memset(&ent, 0, sizeof(ent));
	ent.etype = 18;
	ent.salt = REALM "alice";
	ent.s2kparams = &params;
	info.len = 1;
	info.val = &ent;
	memset(pa, 0, sizeof(pa));
	pa[0].padata_type = KRB5_PADATA_ETYPE_INFO2;
	pa[1].padata_type = KRB5_PADATA_ENC_TIMESTAMP;
	if (der_encode_arena(&asn1_ETYPE_INFO2, &info, a, &pa[0].padata_value.data,
			     &pa[0].padata_value.len) != ORTH_OK)
		return 0;
	md.len = 2;
	md.val = pa;
	if (der_encode_arena(&asn1_METHOD_DATA, &md, a, &ed.data, &ed.len) != ORTH_OK)
		return 0;
	return krb_error(KDC_ERR_PREAUTH_REQUIRED, &ed, out, cap);
}

/* PA-DATA of type with value v, DER of t (arena memory); false on error. */
static bool
padata_make(int32_t type, const struct der_type *t, const void *v, struct arena *a,
	    PA_DATA *out)
{
	memset(out, 0, sizeof(*out));
	out->padata_type = type;
	return der_encode_arena(t, v, a, &out->padata_value.data, &out->padata_value.len) ==
	       ORTH_OK;
}

/*
 * An AS-REP under alice's key from "pw" and the salt "SALTY", which its
 * padata says (m): PW-SALT, ETYPE-INFO, or an ETYPE-INFO saying "WRONG"
 * before an ETYPE-INFO2 saying "SALTY" (RFC 4120 §5.2.7.5: ETYPE-INFO2
 * wins, whatever the order).
 */
static size_t
as_salted(enum mode m, const KDC_REQ *req, struct arena *a, uint8_t *out, size_t cap)
{
	static struct der_bytes salty = {(uint8_t *)"SALTY", 5}, wrong = {(uint8_t *)"WRONG", 5};
	ETYPE_INFO_ENTRY ie = {.etype = 18, .salt = m == M_AS_ETYPE_INFO ? &salty : &wrong};
	ETYPE_INFO info = {1, &ie};
	ETYPE_INFO2_ENTRY ie2 = {.etype = 18, .salt = "SALTY"};
	ETYPE_INFO2 info2 = {1, &ie2};
	struct crypto_key *k = NULL;
	METHOD_DATA md = {1, NULL};
	PA_DATA pa[2];
	size_t n;

	hit('A');
	memset(pa, 0, sizeof(pa));
	md.val = pa;
	if (m == M_AS_PW_SALT) {
		pa[0].padata_type = KRB5_PADATA_PW_SALT;
		pa[0].padata_value = salty;
	} else if (!padata_make(KRB5_PADATA_ETYPE_INFO, &asn1_ETYPE_INFO, &info, a, &pa[0])) {
		return 0;
	}
	if (m == M_AS_BOTH_INFO) {
		if (!padata_make(KRB5_PADATA_ETYPE_INFO2, &asn1_ETYPE_INFO2, &info2, a, &pa[1]))
			return 0;
		md.len = 2;
	}
	if (crypto_string_to_key(18, "pw", 2, salty.data, salty.len, NULL, 0, &k) != ORTH_OK)
		return 0;
	n = kdc_rep(req, true, k, KU_AS_REP_ENC_PART, client_now(), &md, a, out, cap);
	crypto_key_free(k);
	return n;
}

static size_t
tgs(const KDC_REQ *req, struct arena *a, uint8_t *out, size_t cap)
{
	struct crypto_key *k = NULL;
	size_t n;

	hit('G');
	if (crypto_key_new(18, tgs_session_key, sizeof(tgs_session_key), &k) != ORTH_OK)
		return 0;
	n = kdc_rep(req, false, k, KU_TGS_REP_ENC_PART_SESSKEY, client_now() + tgs_skew, NULL,
		    a, out, cap);
	crypto_key_free(k);
	return n;
}

/* ---- the DNS server ---- */

/* The query's name, lower case and dotted, without the final dot. */
static size_t
dns_qname(const uint8_t *q, size_t len, char *name, size_t cap)
{
	size_t off = 12, o = 0;
	while (off < len && q[off] != 0) {
		size_t l = q[off++];
		if (l > 63 || off + l > len || o + l + 2 > cap)
			return 0;
		if (o > 0)
			name[o++] = '.';
		for (size_t i = 0; i < l; i++)
			name[o++] = (char)tolower(q[off + i]);
		off += l;
	}
	name[o] = '\0';
	return off < len ? off + 1 : 0;  /* the offset of QTYPE */
}

static void
dns_name(struct writer *w, const char *name)
{
	while (*name != '\0') {
		size_t l = strcspn(name, ".");
		writer_u8(w, (uint8_t)l);
		writer_put(w, name, l);
		name += l;
		if (*name == '.')
			name++;
	}
	writer_u8(w, 0);
}

struct rr {
	const char *owner;
	uint16_t type;
	uint16_t prio, weight;
	int port;       /* SRV port, or -1 for dns_port_good, -2 bad */
	const char *target;
};

static const struct rr dns_table[] = {
	/* answer order is not priority order: the client sorts */
	{"_kerberos._udp.dns.test", ns_t_srv, 20, 5, -1, "kdc-good.dns.test"},
	{"_kerberos._udp.dns.test", ns_t_srv, 10, 0, -2, "kdc-bad.dns.test"},
	{"kdc-good.dns.test", ns_t_a, 0, 0, 0, NULL},
	{"kdc-bad.dns.test", ns_t_a, 0, 0, 0, NULL},
	/* RFC 2782: a target of "." says there is no such service */
	{"_kerberos._udp.none.test", ns_t_srv, 0, 0, 88, ""},
	{"_kerberos._tcp.none.test", ns_t_srv, 0, 0, 88, ""},
};

static size_t
dns_answer(const uint8_t *q, size_t len, uint8_t *out, size_t cap)
{
	char name[256];
	size_t qt = dns_qname(q, len, name, sizeof(name));
	uint16_t type, an = 0;
	bool known = false;
	struct writer w;

	if (qt == 0 || qt + 4 > len)
		return 0;
	type = (uint16_t)(q[qt] << 8 | q[qt + 1]);
	writer_init(&w, out, cap);
	writer_put(&w, q, 2);            /* id */
	writer_be16(&w, 0x8180);         /* response, RD, RA */
	writer_be16(&w, 1);
	writer_be16(&w, 0);              /* ancount, patched below */
	writer_be16(&w, 0);
	writer_be16(&w, 0);
	writer_put(&w, q + 12, qt + 4 - 12);
	for (size_t i = 0; i < sizeof(dns_table) / sizeof(dns_table[0]); i++) {
		const struct rr *r = &dns_table[i];
		uint8_t rdata[300];
		struct writer rd;
		if (strcmp(r->owner, name) != 0)
			continue;
		known = true;
		if (r->type != type)
			continue;
		writer_init(&rd, rdata, sizeof(rdata));
		if (type == ns_t_a) {
			writer_put(&rd, "\x7f\x00\x00\x01", 4);
		} else {
			int port = r->port == -1 ? dns_port_good
				   : r->port == -2 ? dns_port_bad : r->port;
			writer_be16(&rd, r->prio);
			writer_be16(&rd, r->weight);
			writer_be16(&rd, (uint16_t)port);
			dns_name(&rd, r->target);
		}
		writer_be16(&w, 0xc00c);  /* the question's name */
		writer_be16(&w, type);
		writer_be16(&w, ns_c_in);
		writer_be32(&w, 60);
		writer_be16(&w, (uint16_t)rd.len);
		writer_put(&w, rdata, rd.len);
		an++;
	}
	if (w.err != ORTH_OK)
		return 0;
	if (!known)
		out[3] = 0x83;  /* NXDOMAIN */
	out[6] = (uint8_t)(an >> 8);
	out[7] = (uint8_t)an;
	return w.len;
}

static size_t
answer(enum mode m, const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
	struct arena a = {0};
	KDC_REQ r;
	size_t n = 0;

	switch (m) {
	case M_SILENT:
		return 0;
	case M_UNAVAIL:
		hit('U');
		return krb_error(KDC_ERR_SVC_UNAVAILABLE, NULL, out, cap);
	case M_ANSWER:
		hit('K');
		return krb_error(KDC_ERR_C_PRINCIPAL_UNKNOWN, NULL, out, cap);
	case M_DNS:
		return dns_answer(req, len, out, cap);
	default:
		break;
	}
	if (arena_init(&a, 1 << 20) != ORTH_OK)
		return 0;
	memset(&r, 0, sizeof(r));
	if (der_decode(m == M_TGS ? &asn1_TGS_REQ : &asn1_AS_REQ, req, len, &a, &r) == ORTH_OK &&
	    r.req_body.sname != NULL) {
		if (m == M_AS_WEAK_S2K)
			n = as_weak_s2k(&r, &a, out, cap);
		else if (m == M_AS_PW_SALT || m == M_AS_ETYPE_INFO || m == M_AS_BOTH_INFO)
			n = as_salted(m, &r, &a, out, cap);
		else
			n = tgs(&r, &a, out, cap);
	}
	arena_free(&a);
	return n;
}

/* A UDP server on 127.0.0.1 answering as m says; its PID, its port. */
static pid_t
server_start(enum mode m, int *port_out)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) != 0) {
		perror("server_start");
		exit(1);
	}
	*port_out = ntohs(sin.sin_port);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		static uint8_t in[65536], out[65536];
		for (;;) {
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n;
			size_t r;
			if (m == M_SILENT) {
				pause();
				continue;
			}
			n = recvfrom(fd, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				continue;
			r = answer(m, in, (size_t)n, out, sizeof(out));
			if (r > 0)
				(void)sendto(fd, out, r, 0, (struct sockaddr *)&from, fl);
		}
	}
	close(fd);
	return pid;
}

static void
server_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct client_ctx ctx;

/* Load a krb5.conf whose realm REALM lists the given KDC ports. */
static void
conf_kdcs(const char *extra, int p1, int p2)
{
	char text[1024];
	snprintf(text, sizeof(text),
		 "[libdefaults]\n default_realm = " REALM "\n%s\n"
		 "[realms]\n " REALM " = {\n  kdc = 127.0.0.1:%d\n%s%.0d%s }\n",
		 extra, p1, p2 ? "  kdc = 127.0.0.1:" : "", p2, p2 ? "\n" : "");
	client_conf_free(&ctx.conf);
	memset(&ctx, 0, sizeof(ctx));
	EXPECT_EQ_INT(client_conf_load_string(text, &ctx.conf, NULL, 0), ORTH_OK);
}

static int32_t
reply_code(const uint8_t *rep, size_t len)
{
	struct arena a = {0};
	KRB_ERROR e;
	int32_t code = -1;

	memset(&e, 0, sizeof(e));
	if (arena_init(&a, 1 << 16) == ORTH_OK &&
	    der_decode(&asn1_KRB_ERROR, rep, len, &a, &e) == ORTH_OK)
		code = e.error_code;
	arena_free(&a);
	return code;
}

/* ---- tests ---- */

/*
 * Issue 14, defect 8: KDC_ERR_SVC_UNAVAILABLE from one KDC means "ask
 * another" (MIT's check_for_svc_unavailable), not the end of the request.
 */
static void
test_svc_unavailable(void)
{
	int p1, p2;
	pid_t k1 = server_start(M_UNAVAIL, &p1), k2 = server_start(M_ANSWER, &p2);
	uint8_t *rep = NULL;
	size_t rl = 0;
	char hits[64];

	conf_kdcs("", p1, p2);
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, REALM, (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_OK);
	EXPECT_EQ_INT(rep ? reply_code(rep, rl) : -1, KDC_ERR_C_PRINCIPAL_UNKNOWN);
	free(rep);
	rep = NULL;
	hits_read(hits, sizeof(hits));
	EXPECT(strcmp(hits, "UK") == 0);
	/* Every KDC unavailable: that is the answer. */
	server_stop(k2);
	k2 = server_start(M_UNAVAIL, &p2);
	conf_kdcs("", p1, p2);
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, REALM, (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_OK);
	EXPECT_EQ_INT(rep ? reply_code(rep, rl) : -1, KDC_ERR_SVC_UNAVAILABLE);
	free(rep);
	hits_read(hits, sizeof(hits));
	server_stop(k1);
	server_stop(k2);
}

/*
 * Issue 14, defect 8: a silent first KDC costs one second per request, as
 * MIT's (sendto_kdc.c: 1 s for each server in the first pass), not three.
 */
static void
test_silent_first_kdc(void)
{
	int p1, p2;
	pid_t k1 = server_start(M_SILENT, &p1), k2 = server_start(M_ANSWER, &p2);
	uint8_t *rep = NULL;
	size_t rl = 0;
	int64_t t0, dt;
	char hits[64];

	conf_kdcs("", p1, p2);
	EXPECT_EQ_INT(ctx.conf.kdc_step_ms, 1000);
	t0 = now_ms();
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, REALM, (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_OK);
	dt = now_ms() - t0;
	EXPECT_EQ_INT(rep ? reply_code(rep, rl) : -1, KDC_ERR_C_PRINCIPAL_UNKNOWN);
	EXPECT(dt >= 900 && dt < 1800);
	if (!(dt >= 900 && dt < 1800))
		fprintf(stderr, "  silent first KDC cost %lld ms\n", (long long)dt);
	free(rep);
	hits_read(hits, sizeof(hits));
	server_stop(k1);
	server_stop(k2);
}

/* Point this thread's resolver at 127.0.0.1:port (glibc keeps a changed
 * _res: it is not reloaded from /etc/resolv.conf). */
static void
resolver_use(int port)
{
	res_init();
	_res.nscount = 1;
	memset(&_res.nsaddr_list[0], 0, sizeof(_res.nsaddr_list[0]));
	_res.nsaddr_list[0].sin_family = AF_INET;
	_res.nsaddr_list[0].sin_port = htons((uint16_t)port);
	_res.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	_res.retrans = 1;
	_res.retry = 1;
	_res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
}

/*
 * Issue 14, defect 8: a realm without `kdc` lines is looked up in DNS SRV
 * records (_kerberos._udp.REALM, _kerberos._tcp.REALM) when
 * dns_lookup_kdc is true, MIT's default; lower priority first (RFC 2782).
 */
static void
test_dns_srv(void)
{
	int pd;
	pid_t good = server_start(M_ANSWER, &dns_port_good);
	pid_t bad = server_start(M_UNAVAIL, &dns_port_bad);
	pid_t dns = server_start(M_DNS, &pd);
	uint8_t *rep = NULL;
	size_t rl = 0;
	char hits[64];

	resolver_use(pd);
	client_conf_free(&ctx.conf);
	memset(&ctx, 0, sizeof(ctx));
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n default_realm = DNS.TEST\n",
					      &ctx.conf, NULL, 0),
		      ORTH_OK);
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, "DNS.TEST", (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_OK);
	EXPECT_EQ_INT(rep ? reply_code(rep, rl) : -1, KDC_ERR_C_PRINCIPAL_UNKNOWN);
	if (rep == NULL)
		fprintf(stderr, "  %s\n", ctx.msg);
	free(rep);
	rep = NULL;
	hits_read(hits, sizeof(hits));
	EXPECT(strcmp(hits, "UK") == 0);  /* priority 10 first, then 20 */
	if (strcmp(hits, "UK") != 0)
		fprintf(stderr, "  KDCs asked in the order '%s'\n", hits);

	/* "." as the only target: no KDC, no request sent. */
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, "NONE.TEST", (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_E_NOTFOUND);
	/* No records at all. */
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, "NXDOMAIN.TEST", (const uint8_t *)"req", 3, &rep,
					&rl),
		      ORTH_E_NOTFOUND);
	EXPECT(strstr(ctx.msg, "Cannot find KDC for realm \"NXDOMAIN.TEST\"") != NULL);
	/* dns_lookup_kdc = false: the records are not read. */
	client_conf_free(&ctx.conf);
	memset(&ctx, 0, sizeof(ctx));
	EXPECT_EQ_INT(client_conf_load_string("[libdefaults]\n dns_lookup_kdc = false\n",
					      &ctx.conf, NULL, 0),
		      ORTH_OK);
	EXPECT_EQ_INT(client_sendto_kdc(&ctx, "DNS.TEST", (const uint8_t *)"req", 3, &rep, &rl),
		      ORTH_E_NOTFOUND);
	hits_read(hits, sizeof(hits));
	EXPECT(hits[0] == '\0');
	server_stop(good);
	server_stop(bad);
	server_stop(dns);
	res_init();
}

/*
 * alice's AS exchange (password "pw") against a fake KDC in mode m: the
 * exchange's result, the credential in *cred (the caller frees it) and
 * the KDC's hits in hits.
 */
static orth_err
as_exchange_with(enum mode m, struct ccache_cred *cred, char *hits, size_t hits_cap)
{
	struct arena a = {0};
	struct principal alice;
	struct client_as_params p;
	int port;
	pid_t k = server_start(m, &port);
	int32_t off = 0;
	orth_err ret;

	EXPECT_EQ_INT(arena_init(&a, 1 << 16), ORTH_OK);
	EXPECT_EQ_INT(principal_parse("alice", REALM, &a, &alice), ORTH_OK);
	memset(&p, 0, sizeof(p));
	p.client = &alice;
	p.password = "pw";
	conf_kdcs("", port, 0);
	memset(cred, 0, sizeof(*cred));
	ret = client_as_exchange(&ctx, &p, cred, &off, NULL);
	hits_read(hits, hits_cap);
	server_stop(k);
	arena_free(&a);
	return ret;
}

/*
 * Issue 14, defect 2: an ETYPE-INFO2 s2kparams of 1 iteration (a KDC or a
 * man in the middle downgrading the password hash) is refused before any
 * PA-ENC-TIMESTAMP is sent, with MIT's message.
 */
static void
test_weak_s2kparams(void)
{
	struct ccache_cred cred;
	char hits[64];

	EXPECT(as_exchange_with(M_AS_WEAK_S2K, &cred, hits, sizeof(hits)) != ORTH_OK);
	EXPECT(strstr(ctx.msg, "Invalid key generation parameters from KDC") != NULL);
	if (strstr(ctx.msg, "Invalid key generation parameters from KDC") == NULL)
		fprintf(stderr, "  message: %s\n", ctx.msg);
	EXPECT(strchr(hits, 'R') != NULL && strchr(hits, 'T') == NULL);
	ccache_cred_free(&cred);
}

/*
 * Issue 14, defect 11: a reply salted by PW-SALT alone (no ETYPE-INFO2):
 * the salt is the PA-DATA's value, as MIT's get_salt() reads it.  And
 * one salted by ETYPE-INFO alone (RFC 4120 §5.2.7.4, an old KDC), and
 * one with both ETYPE-INFO and ETYPE-INFO2, whose ETYPE-INFO2 is used.
 */
static void
test_pw_salt(void)
{
	static const enum mode modes[] = {M_AS_PW_SALT, M_AS_ETYPE_INFO, M_AS_BOTH_INFO};
	struct ccache_cred cred;
	char hits[64];

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		EXPECT_EQ_INT(as_exchange_with(modes[i], &cred, hits, sizeof(hits)), ORTH_OK);
		if (cred.ticket.data == NULL)
			fprintf(stderr, "  mode %d, message: %s\n", (int)modes[i], ctx.msg);
		EXPECT_EQ_INT(cred.enctype, 18);
		ccache_cred_free(&cred);
	}
}

/* A FILE cache holding a TGT for alice@REALM with session key key. */
static void
tgt_cache(const char *ccname, const uint8_t *key, size_t keylen)
{
	struct ccache *cc = NULL;
	struct ccache_cred tgt;
	struct arena a = {0};
	Ticket t;
	PrincipalName kn;
	uint8_t *der = NULL;
	size_t dl = 0;
	static uint8_t junk[48];

	memset(&tgt, 0, sizeof(tgt));
	EXPECT_EQ_INT(arena_init(&a, 1 << 16), ORTH_OK);
	EXPECT_EQ_INT(ccache_principal_parse("alice@" REALM, NULL, &tgt.client), ORTH_OK);
	EXPECT_EQ_INT(ccache_principal_parse("krbtgt/" REALM "@" REALM, NULL, &tgt.server),
		      ORTH_OK);
	EXPECT_EQ_INT(pname_build2(&a, KRB5_NT_SRV_INST, "krbtgt", REALM, &kn), ORTH_OK);
	memset(&t, 0, sizeof(t));
	t.tkt_vno = 5;
	t.realm = REALM;
	t.sname = kn;
	t.enc_part.etype = 18;
	t.enc_part.cipher.data = junk;
	t.enc_part.cipher.len = sizeof(junk);
	EXPECT_EQ_INT(der_encode_arena(&asn1_Ticket, &t, &a, &der, &dl), ORTH_OK);
	EXPECT_EQ_INT(ccache_data_set(&tgt.ticket, der, dl), ORTH_OK);
	EXPECT_EQ_INT(ccache_data_set(&tgt.key, key, keylen), ORTH_OK);
	tgt.enctype = 18;
	tgt.authtime = tgt.starttime = client_now() - 60;
	tgt.endtime = client_now() + 3600;
	tgt.flags = TKT_FLG_INITIAL;
	EXPECT_EQ_INT(ccache_open(ccname, &cc), ORTH_OK);
	EXPECT_EQ_INT(ccache_initialize(cc, &tgt.client), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &tgt), ORTH_OK);
	ccache_close(cc);
	ccache_cred_free(&tgt);
	arena_free(&a);
}

/* One service ticket through the public API with krb5.conf `extra`. */
static orth_err
service_ticket(int port, const char *extra, const char *service, char *msg, size_t msgcap)
{
	char conf[300], ccname[320], text[512];
	struct orthrus_context *oc = NULL;
	struct orthrus_ticket t;
	FILE *f;
	orth_err e;

	snprintf(conf, sizeof(conf), "%s/krb5.conf", tmpdir);
	snprintf(ccname, sizeof(ccname), "FILE:%s/cc", tmpdir);
	snprintf(text, sizeof(text),
		 "[libdefaults]\n default_realm = " REALM "\n%s\n"
		 "[realms]\n " REALM " = {\n  kdc = 127.0.0.1:%d\n }\n",
		 extra, port);
	f = fopen(conf, "w");
	fputs(text, f);
	fclose(f);
	tgt_cache(ccname + 5, tgs_session_key, sizeof(tgs_session_key));
	memset(&t, 0, sizeof(t));
	e = orthrus_context_new(conf, &oc);
	EXPECT_EQ_INT(e, ORTH_OK);
	if (e != ORTH_OK)
		return e;
	e = orthrus_get_service_ticket(oc, ccname, service, 0, &t);
	snprintf(msg, msgcap, "%s", e ? orthrus_error_message(oc, e) : "");
	orthrus_ticket_free(&t);
	orthrus_context_free(oc);
	unlink(conf);
	unlink(ccname + 5);
	return e;
}

/*
 * Issue 14, defect 11: clockskew (krb5.conf) bounds how far a TGS reply's
 * start time may be from our clock, as MIT's gc_via_tkt.c checks
 * (KRB5_KDCREP_SKEW, "Clock skew too great in KDC reply").
 */
static void
test_clockskew(void)
{
	int port;
	pid_t k;
	char msg[512];

	tgs_skew = 1000;  /* set before the fork: the child answers with it */
	k = server_start(M_TGS, &port);
	EXPECT_EQ_INT(service_ticket(port, "", "host/a.example.org", msg, sizeof(msg)),
		      ORTH_E_SKEW);
	EXPECT(strstr(msg, "Clock skew too great in KDC reply") != NULL);
	if (strstr(msg, "Clock skew too great in KDC reply") == NULL)
		fprintf(stderr, "  message: '%s'\n", msg);
	EXPECT_EQ_INT(service_ticket(port, " clockskew = 20m", "host/b.example.org", msg,
				     sizeof(msg)),
		      ORTH_OK);
	EXPECT_EQ_INT(service_ticket(port, " clockskew = 900", "host/c.example.org", msg,
				     sizeof(msg)),
		      ORTH_E_SKEW);
	server_stop(k);
	tgs_skew = 10;
	k = server_start(M_TGS, &port);
	EXPECT_EQ_INT(service_ticket(port, "", "host/d.example.org", msg, sizeof(msg)),
		      ORTH_OK);
	server_stop(k);
	unlink(hits_path);
}


/*
 * The SRV answer parser on canned messages (the same answers the fake DNS
 * server gives, and hand-made ones): priority order, stable within a
 * priority; the root target; other record types; compressed targets;
 * garbage.
 */
static void
test_srv_parse(void)
{
	uint8_t q[512], ans[1024];
	struct client_srv srv[8];
	size_t n = 99;
	int ql;
	size_t al;

	dns_port_good = 1001;
	dns_port_bad = 1002;
	ql = res_mkquery(ns_o_query, "_kerberos._udp.dns.test", ns_c_in, ns_t_srv, NULL, 0, NULL,
			 q, sizeof(q));
	EXPECT(ql > 12);
	al = ql > 12 ? dns_answer(q, (size_t)ql, ans, sizeof(ans)) : 0;
	EXPECT_EQ_INT(client_dns_srv_parse(ans, al, srv, 8, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 2);
	if (n == 2) {
		EXPECT_EQ_INT(srv[0].priority, 10);
		EXPECT_EQ_INT(srv[0].port, 1002);
		EXPECT(strcmp(srv[0].target, "kdc-bad.dns.test") == 0);
		EXPECT_EQ_INT(srv[1].priority, 20);
		EXPECT_EQ_INT(srv[1].weight, 5);
		EXPECT(strcmp(srv[1].target, "kdc-good.dns.test") == 0);
	}
	/* the root target */
	ql = res_mkquery(ns_o_query, "_kerberos._udp.none.test", ns_c_in, ns_t_srv, NULL, 0, NULL,
			 q, sizeof(q));
	al = ql > 12 ? dns_answer(q, (size_t)ql, ans, sizeof(ans)) : 0;
	EXPECT_EQ_INT(client_dns_srv_parse(ans, al, srv, 8, &n), ORTH_OK);
	EXPECT(n == 1 && srv[0].target[0] == '\0');
	/* an A answer has no SRV records */
	ql = res_mkquery(ns_o_query, "kdc-good.dns.test", ns_c_in, ns_t_a, NULL, 0, NULL, q,
			 sizeof(q));
	al = ql > 12 ? dns_answer(q, (size_t)ql, ans, sizeof(ans)) : 0;
	EXPECT_EQ_INT(client_dns_srv_parse(ans, al, srv, 8, &n), ORTH_OK);
	EXPECT_EQ_INT(n, 0);
	/* Hand-made: priorities 5, 1, 5, 1 in answer order, one target
	 * compressed (a pointer to the question's name), and a cap of 3. */
	{
		struct writer w;
		const struct {
			uint16_t prio;
			const char *target;  /* NULL: the pointer */
		} rr[] = {{5, "a.x"}, {1, "b.x"}, {5, NULL}, {1, "d.x"}};
		ql = res_mkquery(ns_o_query, "_kerberos._tcp.x", ns_c_in, ns_t_srv, NULL, 0, NULL,
				 q, sizeof(q));
		writer_init(&w, ans, sizeof(ans));
		writer_put(&w, q, 2);
		writer_be16(&w, 0x8180);
		writer_be16(&w, 1);
		writer_be16(&w, 4);
		writer_be16(&w, 0);
		writer_be16(&w, 0);
		writer_put(&w, q + 12, (size_t)ql - 12);
		for (size_t i = 0; i < 4; i++) {
			uint8_t rd[64];
			struct writer r;
			writer_init(&r, rd, sizeof(rd));
			writer_be16(&r, rr[i].prio);
			writer_be16(&r, 0);
			writer_be16(&r, (uint16_t)(88 + i));
			if (rr[i].target != NULL)
				dns_name(&r, rr[i].target);
			else
				writer_be16(&r, 0xc00c);
			writer_be16(&w, 0xc00c);
			writer_be16(&w, ns_t_srv);
			writer_be16(&w, ns_c_in);
			writer_be32(&w, 60);
			writer_be16(&w, (uint16_t)r.len);
			writer_put(&w, rd, r.len);
		}
		EXPECT_EQ_INT(client_dns_srv_parse(ans, w.len, srv, 8, &n), ORTH_OK);
		EXPECT_EQ_INT(n, 4);
		if (n == 4) {
			EXPECT(strcmp(srv[0].target, "b.x") == 0 && srv[0].port == 89);
			EXPECT(strcmp(srv[1].target, "d.x") == 0 && srv[1].port == 91);
			EXPECT(strcmp(srv[2].target, "a.x") == 0 && srv[2].port == 88);
			EXPECT(strcmp(srv[3].target, "_kerberos._tcp.x") == 0);
		}
		EXPECT_EQ_INT(client_dns_srv_parse(ans, w.len, srv, 3, &n), ORTH_OK);
		EXPECT_EQ_INT(n, 3);
		/* every truncation: refused or fewer records, never a crash */
		for (size_t cut = 0; cut < w.len; cut++) {
			orth_err e = client_dns_srv_parse(ans, cut, srv, 8, &n);
			EXPECT(e == ORTH_E_MALFORMED || (e == ORTH_OK && n < 4));
		}
	}
	EXPECT_EQ_INT(client_dns_srv_parse((const uint8_t *)"garbage", 7, srv, 8, &n),
		      ORTH_E_MALFORMED);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	unsetenv("ORTHRUS_KDC_TIMEOUT_MS");
	unsetenv("KRB5CCNAME");
	if (crypto_init() != ORTH_OK || mkdtemp(tmpdir) == NULL)
		return 1;
	snprintf(hits_path, sizeof(hits_path), "%s/hits", tmpdir);
	test_svc_unavailable();
	test_silent_first_kdc();
	test_srv_parse();
	test_dns_srv();
	test_weak_s2kparams();
	test_pw_salt();
	test_clockskew();
	client_conf_free(&ctx.conf);
	rmdir(tmpdir);
	return test_done("sendto");
}
