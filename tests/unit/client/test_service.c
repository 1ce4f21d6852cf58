/*
 * test_service.c - the additions to include/orthrus/service.h: the RFC 4121
 * §4.1.1 (0x8003) authenticator checksum parser with well-formed and
 * malformed input (every truncation, bad lengths, too many extensions),
 * the channel-bindings hash and decision, and through the public API: a
 * service name without a realm, a keytab rotated under a running
 * acceptor, channel bindings that match, differ or are missing, a
 * delegated credential, a malformed 0x8003 checksum.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "client/apreq.h"
#include "client/gsscksum.h"
#include "orthrus/service.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/pname.h"

#define REALM "EXAMPLE.ORG"

static struct arena A, P;
static struct principal svc, alice;
static uint8_t key1[32], key2[32], sess_bytes[32];
static char dir[] = "/tmp/test_service.XXXXXX";

/* ---- the parser ---- */

static size_t
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return 4;
}

static size_t
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return 4;
}

/* Lgth, Bnd (byte b repeated), Flags: 24 bytes into p. */
static size_t
fixed_part(uint8_t *p, uint8_t b, uint32_t flags)
{
	size_t n = put_le32(p, GSS_CB_LEN);
	memset(p + n, b, GSS_CB_LEN);
	n += GSS_CB_LEN;
	return n + put_le32(p + n, flags);
}

/* fixed part + delegation option (DlgOpt 1, n bytes) + one extension. */
static size_t
full_cksum(uint8_t *p, size_t dlen)
{
	size_t n = fixed_part(p, 0xab, GSS_FLAG_DELEG | GSS_FLAG_MUTUAL | 0x80000000u);
	p[n++] = 1;
	p[n++] = 0;
	p[n++] = (uint8_t)dlen;
	p[n++] = (uint8_t)(dlen >> 8);
	memset(p + n, 0x5a, dlen);
	n += dlen;
	n += put_be32(p + n, 2);
	n += put_be32(p + n, 3);
	memcpy(p + n, "ext", 3);
	return n + 3;
}

static void
test_decode(void)
{
	uint8_t buf[600], big[8 * (GSS_CKSUM_MAX_EXTS + 2) + 24];
	struct gss_cksum g;
	size_t n, full;

	/* The smallest: 24 bytes, no delegation, no extension. */
	n = fixed_part(buf, 0, GSS_FLAG_MUTUAL | GSS_FLAG_INTEG);
	EXPECT_EQ_INT(gss_cksum_decode(buf, n, &g), ORTH_OK);
	EXPECT_EQ_INT(g.flags, GSS_FLAG_MUTUAL | GSS_FLAG_INTEG);
	EXPECT(g.deleg == NULL && g.deleg_len == 0 && g.nexts == 0);

	/* Delegation option and an extension. */
	full = full_cksum(buf, 40);
	EXPECT_EQ_INT(gss_cksum_decode(buf, full, &g), ORTH_OK);
	EXPECT(g.deleg == buf + 28 && g.deleg_len == 40);
	EXPECT_EQ_INT(g.nexts, 1);
	EXPECT(g.bindings[0] == 0xab && g.bindings[15] == 0xab);

	/* Every truncation: an error or a shorter valid structure, never a
	 * crash (ASan) and never a read past the end. */
	for (size_t k = 0; k < full; k++) {
		uint8_t *cut = malloc(k ? k : 1);
		orth_err e;
		memcpy(cut, buf, k);
		e = gss_cksum_decode(k ? cut : NULL, k, &g);
		if (k < GSS_CKSUM_MIN)
			EXPECT_EQ_INT(e, ORTH_E_TRUNCATED);
		else if (k == GSS_CKSUM_MIN || k == 28 + 40)
			EXPECT_EQ_INT(e, ORTH_OK);  /* ends where a part ends */
		else
			EXPECT(e != ORTH_OK);  /* cuts a length */
		free(cut);
	}
	/* DELEG with fewer than 4 bytes left is no delegation option (MIT);
	 * what is left must then be whole extensions. */
	n = fixed_part(buf, 0, GSS_FLAG_DELEG);
	EXPECT_EQ_INT(gss_cksum_decode(buf, n, &g), ORTH_OK);
	EXPECT(g.deleg == NULL);
	buf[n] = 1;
	EXPECT_EQ_INT(gss_cksum_decode(buf, n + 3, &g), ORTH_E_TRUNCATED);

	/* Lgth other than 16. */
	n = fixed_part(buf, 0, 0);
	put_le32(buf, 15);
	EXPECT_EQ_INT(gss_cksum_decode(buf, n, &g), ORTH_E_MALFORMED);
	put_le32(buf, 0xffffffffu);
	EXPECT_EQ_INT(gss_cksum_decode(buf, n, &g), ORTH_E_MALFORMED);

	/* DlgOpt other than 1. */
	full = full_cksum(buf, 8);
	buf[24] = 2;
	EXPECT_EQ_INT(gss_cksum_decode(buf, full, &g), ORTH_E_MALFORMED);

	/* Dlgth beyond the end. */
	full = full_cksum(buf, 8);
	buf[26] = 0xff;
	buf[27] = 0xff;
	EXPECT_EQ_INT(gss_cksum_decode(buf, full, &g), ORTH_E_TRUNCATED);

	/* An extension length beyond the end, and 2^32-1. */
	full = full_cksum(buf, 8);
	put_be32(buf + full - 7, 4);
	EXPECT_EQ_INT(gss_cksum_decode(buf, full, &g), ORTH_E_TRUNCATED);
	put_be32(buf + full - 7, 0xffffffffu);
	EXPECT_EQ_INT(gss_cksum_decode(buf, full, &g), ORTH_E_TRUNCATED);

	/* Extensions: at the cap fine, one more refused. */
	n = fixed_part(big, 0, 0);
	for (size_t i = 0; i < GSS_CKSUM_MAX_EXTS; i++) {
		n += put_be32(big + n, (uint32_t)i);
		n += put_be32(big + n, 0);
	}
	EXPECT_EQ_INT(gss_cksum_decode(big, n, &g), ORTH_OK);
	EXPECT_EQ_INT(g.nexts, GSS_CKSUM_MAX_EXTS);
	n += put_be32(big + n, 99);
	n += put_be32(big + n, 0);
	EXPECT_EQ_INT(gss_cksum_decode(big, n, &g), ORTH_E_LIMIT);

	/* Random bytes: never a crash. */
	srand(7);
	for (int r = 0; r < 2000; r++) {
		size_t len = (size_t)(rand() % 120);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (len >= 4)
			put_le32(buf, GSS_CB_LEN);
		(void)gss_cksum_decode(buf, len, &g);
	}
}

static void
hex(const char *s, uint8_t *out)
{
	for (size_t i = 0; i < 16; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
test_bindings(void)
{
	static const uint8_t ini[] = {127, 0, 0, 1}, acc[] = {10, 0, 0, 2};
	static const char app[] = "tls-server-end-point:abc";
	struct orthrus_channel_bindings cb = {
		2, ini, 4, 2, acc, 4, (const uint8_t *)app, sizeof(app) - 1};
	struct orthrus_channel_bindings none;
	uint8_t h[16], want[16], other[16];
	struct gss_cksum g;
	bool bound;

	/* RFC 4121 §4.1.1.2 over little-endian fields; values from Python's
	 * hashlib.md5 over the same encoding. */
	EXPECT_EQ_INT(gss_bindings_hash(&cb, h), ORTH_OK);
	hex("9dd997ff839c7df4e0973e78915efc45", want);
	EXPECT_MEM(h, want, 16);
	memset(&none, 0, sizeof(none));
	EXPECT_EQ_INT(gss_bindings_hash(&none, h), ORTH_OK);
	hex("441018525208457705bf09a8ee3c1093", want);
	EXPECT_MEM(h, want, 16);

	/* The decision. */
	EXPECT_EQ_INT(gss_bindings_hash(&cb, h), ORTH_OK);
	memset(&g, 0, sizeof(g));
	memcpy(g.bindings, h, 16);
	EXPECT_EQ_INT(gss_cksum_check(&g, NULL, false, &bound), ORTH_OK);
	EXPECT(!bound);  /* the acceptor has none: nothing compared */
	EXPECT_EQ_INT(gss_cksum_check(&g, h, false, &bound), ORTH_OK);
	EXPECT(bound);
	memcpy(other, h, 16);
	other[5] ^= 1;
	EXPECT_EQ_INT(gss_cksum_check(&g, other, false, &bound),
		      ORTH_E_KRB(KRB_AP_ERR_MODIFIED));
	memset(g.bindings, 0, 16);  /* the client sent none */
	EXPECT_EQ_INT(gss_cksum_check(&g, h, false, &bound), ORTH_OK);
	EXPECT(!bound);
	EXPECT_EQ_INT(gss_cksum_check(&g, h, true, &bound),
		      ORTH_E_KRB(KRB_AP_ERR_MODIFIED));
}

/* ---- through the public API ---- */

static void
make_ticket(const uint8_t *key, uint32_t kvno, uint8_t **out, size_t *out_len)
{
	EncTicketPart etp;
	Ticket t;
	struct crypto_key *k = NULL;
	int32_t usec;
	int64_t now;
	uint32_t *kv = arena_alloc(&A, sizeof(*kv));

	proto_now(&now, &usec);
	memset(&etp, 0, sizeof(etp));
	memset(&t, 0, sizeof(t));
	etp.flags = TKT_FLG_INITIAL;
	etp.key.keytype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
	etp.key.keyvalue.data = sess_bytes;
	etp.key.keyvalue.len = 32;
	etp.crealm = alice.realm;
	EXPECT(pname_from_principal(&alice, &A, &etp.cname) == ORTH_OK);
	etp.transited.tr_type = KRB5_TR_DOMAIN_X500_COMPRESS;
	etp.authtime = now - 10;
	etp.endtime = now + 3600;
	t.tkt_vno = 5;
	t.realm = svc.realm;
	EXPECT(pname_from_principal(&svc, &A, &t.sname) == ORTH_OK);
	EXPECT(crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, key, 32, &k) == ORTH_OK);
	EXPECT(proto_seal(k, KU_TICKET, &asn1_EncTicketPart, &etp, &A, &t.enc_part) == ORTH_OK);
	*kv = kvno;
	t.enc_part.kvno = kv;
	EXPECT(der_encode_arena(&asn1_Ticket, &t, &A, out, out_len) == ORTH_OK);
	crypto_key_free(k);
}

/* An AP-REQ for svc under key/kvno, with an optional checksum and authz. */
static void
make_req(const uint8_t *key, uint32_t kvno, const Checksum *ck,
	 const AuthorizationData *authz, uint8_t **out, size_t *out_len)
{
	struct apreq_opts o = {0};
	struct crypto_key *sess = NULL;
	uint8_t *tkt;
	size_t tkt_len;

	o.cksum = ck;
	o.authz = authz;
	make_ticket(key, kvno, &tkt, &tkt_len);
	EXPECT(crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, sess_bytes, 32, &sess) == ORTH_OK);
	EXPECT(apreq_encode(tkt, tkt_len, sess, &alice, &o, &A, out, out_len, NULL) == ORTH_OK);
	crypto_key_free(sess);
}

static orth_err
verify(struct orthrus_acceptor *acc, const uint8_t *req, size_t len,
       struct orthrus_login **login)
{
	*login = NULL;
	return orthrus_acceptor_verify(acc, req, len, login);
}

static void
write_keytab(const char *path, const uint8_t *key, uint32_t kvno)
{
	struct keytab_entry e = {svc, 0, kvno, ENCTYPE_AES256_CTS_HMAC_SHA1_96, key, 32};
	char tmp[128];

	/* A rotation as tools do it: a new file renamed over the old. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	unlink(tmp);
	EXPECT(keytab_append(tmp, &e, 1) == ORTH_OK);
	EXPECT(rename(tmp, path) == 0);
}

static void
test_default_realm(void)
{
	char conf[128], kt[128];
	struct orthrus_acceptor *acc = NULL;
	struct orthrus_login *login = NULL;
	uint8_t *req;
	size_t len;
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/krb5.conf", dir);
	snprintf(kt, sizeof(kt), "%s/realm.kt", dir);
	write_keytab(kt, key1, 1);
	f = fopen(conf, "w");
	fprintf(f, "[libdefaults]\n\tdefault_realm = " REALM "\n");
	fclose(f);
	setenv("KRB5_CONFIG", conf, 1);
	EXPECT_EQ_INT(orthrus_acceptor_open(kt, "HTTP/www.example.org", &acc), ORTH_OK);
	make_req(key1, 1, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	orthrus_login_free(login);
	orthrus_acceptor_close(acc);
	/* Without a default realm: a clear refusal, not a wrong name. */
	f = fopen(conf, "w");
	fprintf(f, "[libdefaults]\n\tforwardable = true\n");
	fclose(f);
	acc = NULL;
	EXPECT_EQ_INT(orthrus_acceptor_open(kt, "HTTP/www.example.org", &acc),
		      ORTH_E_BADNAME);
	EXPECT(acc == NULL);
	unsetenv("KRB5_CONFIG");
	unlink(conf);
	unlink(kt);
}

struct spin {
	struct orthrus_acceptor *acc;
	volatile int stop;
	int ok, refused;
};

/* Verifies fresh AP-REQs under kvno 2 while the keytab rotates (the
 * verifier's read lock against the reload's swap; ASan checks the old
 * keys are not used after they are freed). */
static void *
spin_verify(void *arg)
{
	struct spin *s = arg;
	struct arena a = {0};

	if (arena_init(&a, 1 << 20) != ORTH_OK)
		return NULL;
	/* At a pace one client may keep up (the replay cache's per-client
	 * quota, replay_table.h): what is tested is rotation, not a flood. */
	while (!s->stop && usleep(1000) == 0) {
		struct orthrus_login *login = NULL;
		struct crypto_key *k = NULL, *sess = NULL;
		EncTicketPart etp;
		Ticket t;
		uint8_t *tkt, *req;
		size_t tl, rl;
		uint32_t kv = 2;
		int64_t now;
		int32_t usec;

		arena_reset(&a);
		proto_now(&now, &usec);
		memset(&etp, 0, sizeof(etp));
		memset(&t, 0, sizeof(t));
		etp.key.keytype = ENCTYPE_AES256_CTS_HMAC_SHA1_96;
		etp.key.keyvalue.data = sess_bytes;
		etp.key.keyvalue.len = 32;
		etp.crealm = alice.realm;
		(void)pname_from_principal(&alice, &a, &etp.cname);
		etp.authtime = now - 10;
		etp.endtime = now + 3600;
		t.tkt_vno = 5;
		t.realm = svc.realm;
		(void)pname_from_principal(&svc, &a, &t.sname);
		if (crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, key2, 32, &k) != ORTH_OK ||
		    proto_seal(k, KU_TICKET, &asn1_EncTicketPart, &etp, &a, &t.enc_part) != ORTH_OK)
			break;
		t.enc_part.kvno = &kv;
		if (der_encode_arena(&asn1_Ticket, &t, &a, &tkt, &tl) != ORTH_OK ||
		    crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, sess_bytes, 32, &sess) != ORTH_OK ||
		    apreq_encode(tkt, tl, sess, &alice, NULL, &a, &req, &rl, NULL) != ORTH_OK) {
			crypto_key_free(k);
			crypto_key_free(sess);
			break;
		}
		if (orthrus_acceptor_verify(s->acc, req, rl, &login) == ORTH_OK)
			s->ok++;
		else
			s->refused++;
		orthrus_login_free(login);
		crypto_key_free(k);
		crypto_key_free(sess);
	}
	arena_free(&a);
	return NULL;
}

static void
test_rotation(void)
{
	char kt[128];
	struct orthrus_acceptor *acc = NULL;
	struct orthrus_login *login = NULL;
	uint8_t *req;
	size_t len;
	struct spin s = {0};
	pthread_t th;

	snprintf(kt, sizeof(kt), "%s/rot.kt", dir);
	write_keytab(kt, key1, 1);
	EXPECT_EQ_INT(orthrus_acceptor_open(kt, "HTTP/www.example.org@" REALM, &acc), ORTH_OK);
	make_req(key1, 1, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	orthrus_login_free(login);
	/* The KDC rotated the key to kvno 2: refused until the keytab has it. */
	make_req(key2, 2, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_E_KRB(KRB_AP_ERR_BADKEYVER));
	write_keytab(kt, key2, 2);
	make_req(key2, 2, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);  /* no restart */
	orthrus_login_free(login);
	/* A keytab that vanishes keeps the keys read before. */
	EXPECT(unlink(kt) == 0);
	make_req(key2, 2, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	orthrus_login_free(login);
	/* Rotations while another thread verifies. */
	write_keytab(kt, key2, 2);
	s.acc = acc;
	EXPECT(pthread_create(&th, NULL, spin_verify, &s) == 0);
	for (int i = 0; i < 40; i++) {
		write_keytab(kt, key2, 2);
		usleep(2000);
	}
	s.stop = 1;
	pthread_join(th, NULL);
	EXPECT(s.ok > 0);
	EXPECT_EQ_INT(s.refused, 0);
	orthrus_acceptor_close(acc);
	unlink(kt);
}

static void
test_gss(void)
{
	static const char app[] = "tls-server-end-point:abc";
	struct orthrus_channel_bindings cb = {0, NULL, 0, 0, NULL, 0,
					      (const uint8_t *)app, sizeof(app) - 1};
	char kt[128];
	struct orthrus_acceptor *acc = NULL;
	struct orthrus_login *login = NULL;
	uint8_t h[16], body[64], *req;
	const uint8_t *deleg;
	size_t len, dlen, n;
	Checksum ck;
	AuthorizationData_elem inner_e, outer_e;
	AuthorizationData inner = {1, &inner_e}, outer = {1, &outer_e};
	uint8_t cbt[4] = {0x00, 0x40, 0, 0}, *inner_der;
	size_t inner_len;

	snprintf(kt, sizeof(kt), "%s/gss.kt", dir);
	write_keytab(kt, key1, 1);
	EXPECT_EQ_INT(orthrus_acceptor_open(kt, "HTTP/www.example.org@" REALM, &acc), ORTH_OK);
	EXPECT_EQ_INT(orthrus_acceptor_set_channel_bindings(acc, &cb), ORTH_OK);
	EXPECT_EQ_INT(gss_bindings_hash(&cb, h), ORTH_OK);
	ck.cksumtype = GSS_CKSUMTYPE;
	ck.checksum.data = body;

	/* Matching bindings, flags as asked (unknown bits dropped). */
	n = fixed_part(body, 0, GSS_FLAG_MUTUAL | GSS_FLAG_CONF | 0x100000u);
	memcpy(body + 4, h, 16);
	ck.checksum.len = n;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	if (login != NULL) {
		EXPECT_EQ_INT(orthrus_login_gss_flags(login), GSS_FLAG_MUTUAL | GSS_FLAG_CONF);
		EXPECT(orthrus_login_channel_bound(login));
		orthrus_login_delegated(login, &deleg, &dlen);
		EXPECT(deleg == NULL && dlen == 0);
	}
	orthrus_login_free(login);

	/* Other bindings: refused. */
	body[10] ^= 1;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_E_KRB(KRB_AP_ERR_MODIFIED));
	EXPECT(strstr(orthrus_acceptor_last_error(acc), "channel bindings") != NULL);
	EXPECT(login == NULL);

	/* None sent: accepted, not bound. */
	n = fixed_part(body, 0, GSS_FLAG_MUTUAL);
	ck.checksum.len = n;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	if (login != NULL)
		EXPECT(!orthrus_login_channel_bound(login));
	orthrus_login_free(login);

	/* None sent but KERB-AP-OPTIONS CBT (inside AD-IF-RELEVANT): refused. */
	inner_e.ad_type = GSS_AD_AP_OPTIONS;
	inner_e.ad_data.data = cbt;
	inner_e.ad_data.len = 4;
	EXPECT(der_encode_arena(&asn1_AuthorizationData, &inner, &A, &inner_der,
				&inner_len) == ORTH_OK);
	outer_e.ad_type = KRB5_AD_IF_RELEVANT;
	outer_e.ad_data.data = inner_der;
	outer_e.ad_data.len = inner_len;
	make_req(key1, 1, &ck, &outer, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_E_KRB(KRB_AP_ERR_MODIFIED));
	/* ... and accepted when the bindings match. */
	memcpy(body + 4, h, 16);
	make_req(key1, 1, &ck, &outer, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	orthrus_login_free(login);

	/* A delegated credential. */
	n = full_cksum(body, 20);
	memcpy(body + 4, h, 16);
	ck.checksum.len = n;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	if (login != NULL) {
		EXPECT_EQ_INT(orthrus_login_gss_flags(login), GSS_FLAG_DELEG | GSS_FLAG_MUTUAL);
		orthrus_login_delegated(login, &deleg, &dlen);
		EXPECT(dlen == 20 && deleg != NULL && deleg[0] == 0x5a);
	}
	orthrus_login_free(login);

	/* Malformed 0x8003: refused with the parser's error. */
	n = fixed_part(body, 0, 0);
	put_le32(body, 17);
	ck.checksum.len = n;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_E_MALFORMED);
	EXPECT(strstr(orthrus_acceptor_last_error(acc), "GSS-API") != NULL);
	ck.checksum.len = 10;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_E_TRUNCATED);

	/* Without acceptor bindings anything well-formed passes unbound. */
	EXPECT_EQ_INT(orthrus_acceptor_set_channel_bindings(acc, NULL), ORTH_OK);
	n = fixed_part(body, 0x77, GSS_FLAG_INTEG);
	ck.checksum.len = n;
	make_req(key1, 1, &ck, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	if (login != NULL) {
		EXPECT(!orthrus_login_channel_bound(login));
		EXPECT_EQ_INT(orthrus_login_gss_flags(login), GSS_FLAG_INTEG);
	}
	orthrus_login_free(login);
	/* A login without a GSS checksum has no GSS flags. */
	make_req(key1, 1, NULL, NULL, &req, &len);
	EXPECT_EQ_INT(verify(acc, req, len, &login), ORTH_OK);
	if (login != NULL)
		EXPECT_EQ_INT(orthrus_login_gss_flags(login), 0);
	orthrus_login_free(login);
	orthrus_acceptor_close(acc);
	unlink(kt);
}

int
main(void)
{
	const char *c_svc[] = {"HTTP", "www.example.org"};
	const char *c_alice[] = {"alice"};

	EXPECT(crypto_init() == ORTH_OK);
	EXPECT(arena_init(&A, 1 << 22) == ORTH_OK);
	EXPECT(arena_init(&P, 1 << 16) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_SRV_HST, 2, c_svc, &svc) == ORTH_OK);
	EXPECT(principal_build(&P, REALM, KRB5_NT_PRINCIPAL, 1, c_alice, &alice) == ORTH_OK);
	memset(key1, 0x11, 32);
	memset(key2, 0x22, 32);
	memset(sess_bytes, 0x33, 32);
	EXPECT(mkdtemp(dir) != NULL);
	/* The acceptors' shared replay cache file: this test's own. */
	setenv("KRB5RCACHEDIR", dir, 1);
	test_decode();
	test_bindings();
	test_default_realm();
	test_rotation();
	test_gss();
	{
		char rc[160];
		snprintf(rc, sizeof(rc), "%s/orthrus_%u.rcache", dir, (unsigned)geteuid());
		unlink(rc);
	}
	rmdir(dir);
	arena_free(&A);
	arena_free(&P);
	return test_done("service");
}
