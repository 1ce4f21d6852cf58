/*
 * test_api.c - liborthrus's public API as an application sees it: built
 * with include/ alone and linked with liborthrus.so.  Principal and
 * enctype names, flags, durations (orthrus/base.h), credential caches and
 * collections (orthrus/ccache.h), keytabs (orthrus/keytab.h), with their
 * refusals.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <orthrus/base.h>
#include <orthrus/ccache.h>
#include <orthrus/client.h>
#include <orthrus/keytab.h>

#include "../test.h"

/* A Ticket (RFC 4120 §5.3) for krbtgt/R@R, enc-part aes256 (18) kvno 3
 * over 48 bytes that are no ciphertext of any key. */
static const uint8_t tgt_der[] = {
	0x61, 0x66, 0x30, 0x64, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1, 0x03, 0x1b, 0x01, 0x52,
	0xa2, 0x16, 0x30, 0x14, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x0d, 0x30, 0x0b, 0x1b,
	0x06, 0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x01, 0x52, 0xa3, 0x40, 0x30, 0x3e,
	0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x03, 0x02, 0x01, 0x03, 0xa2, 0x32, 0x04, 0x30,
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b,
	0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
	0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f};

static char dir[] = "/tmp/test_api.XXXXXX";

static const char *
path_of(const char *name)
{
	static char buf[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* ---- a FILE cache (MIT's format, version 4) written byte by byte ---- */

struct out {
	uint8_t b[4096];
	size_t n;
};

static void
put(struct out *o, const void *p, size_t n)
{
	if (n > 0 && o->n + n <= sizeof(o->b)) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
	}
}

static void
u16(struct out *o, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(o, b, 2);
}

static void
u32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put(o, b, 4);
}

static void
counted(struct out *o, const void *p, size_t n)
{
	u32(o, (uint32_t)n);
	put(o, p, n);
}

static void
princ(struct out *o, uint32_t type, const char *realm, const char *c0, const char *c1)
{
	u32(o, type);
	u32(o, c1 != NULL ? 2 : 1);
	counted(o, realm, strlen(realm));
	counted(o, c0, strlen(c0));
	if (c1 != NULL)
		counted(o, c1, strlen(c1));
}

/* alice@R with her TGT (an address, an authdata element) and MIT's
 * fast_avail configuration entry. */
static void
cache_write(const char *path)
{
	struct out o = {.n = 0};
	uint8_t key[32] = {0};
	uint8_t addr[4] = {127, 0, 0, 1};
	FILE *f;

	u16(&o, 0x0504);
	u16(&o, 0); /* no header tags */
	princ(&o, 1, "R", "alice", NULL);
	/* the TGT */
	princ(&o, 1, "R", "alice", NULL);
	princ(&o, 2, "R", "krbtgt", "R");
	u16(&o, 18);
	counted(&o, key, sizeof(key));
	u32(&o, 1000);                 /* authtime */
	u32(&o, 0);                    /* starttime */
	u32(&o, 4000000000u);          /* endtime */
	u32(&o, 4100000000u);          /* renew_till */
	put(&o, "", 1);                /* is_skey 0 */
	u32(&o, 0x40800000u);          /* forwardable, renewable */
	u32(&o, 1);
	u16(&o, 2);
	counted(&o, addr, sizeof(addr));
	u32(&o, 1);
	u16(&o, 1);
	counted(&o, "x", 1);
	counted(&o, tgt_der, sizeof(tgt_der));
	counted(&o, NULL, 0);
	/* config: fast_avail(krbtgt/R@R) = yes */
	princ(&o, 1, "R", "alice", NULL);
	u32(&o, 1);
	u32(&o, 3);
	counted(&o, "X-CACHECONF:", 12);
	counted(&o, "krb5_ccache_conf_data", 21);
	counted(&o, "fast_avail", 10);
	counted(&o, "krbtgt/R@R", 10);
	u16(&o, 0);
	counted(&o, NULL, 0);
	for (int i = 0; i < 4; i++)
		u32(&o, 0);
	put(&o, "", 1);
	u32(&o, 0);
	u32(&o, 0);
	u32(&o, 0);
	counted(&o, "yes", 3);
	counted(&o, NULL, 0);
	f = fopen(path, "wb");
	EXPECT(f != NULL);
	if (f != NULL) {
		fwrite(o.b, 1, o.n, f);
		fclose(f);
	}
}

static char *
unparse(const struct orthrus_principal *p)
{
	char *s = NULL;
	if (p == NULL || orthrus_principal_unparse(p, &s) != ORTHRUS_OK)
		return strdup("(none)");
	return s;
}

static int
is(const struct orthrus_principal *p, const char *want)
{
	char *s = unparse(p);
	int ok = s != NULL && strcmp(s, want) == 0;
	if (!ok)
		fprintf(stderr, "  principal '%s', want '%s'\n", s ? s : "?", want);
	free(s);
	return ok;
}

static void
test_names(struct orthrus_context *ctx)
{
	struct orthrus_principal *p = NULL, *q = NULL;
	size_t len = 0;
	int32_t ets[4];
	size_t n = 0;
	char fl[32];
	int64_t d = 0;

	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "host/a\\/b", &p), ORTHRUS_OK);
	EXPECT(is(p, "host/a\\/b@API.TEST"));
	EXPECT(strcmp(orthrus_principal_realm(p), "API.TEST") == 0);
	EXPECT_EQ_INT(orthrus_principal_component_count(p), 2);
	EXPECT(strcmp(orthrus_principal_component(p, 1, &len), "a/b") == 0 && len == 3);
	EXPECT(orthrus_principal_component(p, 2, &len) == NULL);
	EXPECT_EQ_INT(orthrus_principal_parse(NULL, "HOST/a\\/b@API.TEST", &q), ORTHRUS_OK);
	EXPECT(!orthrus_principal_equal(p, q));
	orthrus_principal_free(q);
	q = NULL;
	EXPECT_EQ_INT(orthrus_principal_parse(NULL, "host/a\\/b@API.TEST", &q), ORTHRUS_OK);
	EXPECT(orthrus_principal_equal(p, q));
	orthrus_principal_free(q);
	q = NULL;
	/* refused: no realm to add, an empty name or realm, a bad escape */
	EXPECT_EQ_INT(orthrus_principal_parse(NULL, "alice", &q), ORTHRUS_E_BADNAME);
	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "", &q), ORTHRUS_E_BADNAME);
	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "alice@", &q), ORTHRUS_E_BADNAME);
	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "a\\", &q), ORTHRUS_E_BADNAME);
	EXPECT(q == NULL);
	orthrus_principal_free(p);
	orthrus_principal_free(NULL);

	EXPECT(strcmp(orthrus_enctype_name(18), "aes256-cts-hmac-sha1-96") == 0);
	EXPECT(orthrus_enctype_name(23) == NULL);       /* rc4: not implemented */
	EXPECT_EQ_INT(orthrus_enctype_from_name("aes256-cts"), 18);
	EXPECT_EQ_INT(orthrus_enctype_from_name("20"), 20);
	EXPECT_EQ_INT(orthrus_enctype_from_name("des-cbc-crc"), 0);
	EXPECT_EQ_INT(orthrus_enctype_from_name("nonsense"), 0);
	EXPECT_EQ_INT(orthrus_enctype_key_length(17), 16);
	EXPECT_EQ_INT(orthrus_enctype_key_length(1), 0);
	EXPECT_EQ_INT(orthrus_permitted_enctypes(ctx, ets, 4, &n), ORTHRUS_OK);
	EXPECT(n == 2 && ets[0] == 17 && ets[1] == 20);
	EXPECT_EQ_INT(orthrus_permitted_enctypes(ctx, ets, 1, &n), ORTHRUS_E_LIMIT);

	orthrus_ticket_flags_format(0x40800000u, fl, sizeof(fl));
	EXPECT(strcmp(fl, "FR") == 0);
	orthrus_ticket_flags_format(0, fl, sizeof(fl));
	EXPECT(strcmp(fl, "") == 0);
	orthrus_ticket_flags_format(0x40800000u, fl, 2);  /* cut, terminated */
	EXPECT(strcmp(fl, "F") == 0);

	EXPECT_EQ_INT(orthrus_duration_parse("1d 2h", &d), ORTHRUS_OK);
	EXPECT_EQ_INT(d, 93600);
	EXPECT_EQ_INT(orthrus_duration_parse("soon", &d), ORTHRUS_E_CONFIG);
	EXPECT_EQ_INT(orthrus_duration_parse("-5", &d), ORTHRUS_E_CONFIG);
	EXPECT_EQ_INT(orthrus_duration_parse(NULL, &d), ORTHRUS_E_CONFIG);
}

static void
test_ccache(struct orthrus_context *ctx)
{
	struct orthrus_ccache *cc = NULL, *mem = NULL, *m = NULL;
	struct orthrus_ccache_iter *it = NULL;
	struct orthrus_collection_iter *col = NULL;
	struct orthrus_principal *p = NULL, *bob = NULL;
	const struct orthrus_cred *c = NULL;
	struct orthrus_cred_times tm;
	struct orthrus_ticket t;
	char fname[300], *server = NULL;
	const uint8_t *b;
	size_t len = 0, k = 0;
	int32_t type = 0, et = 0;
	uint32_t kvno = 0;

	snprintf(fname, sizeof(fname), "FILE:%s", path_of("cc"));
	cache_write(fname + 5);
	EXPECT_EQ_INT(orthrus_ccache_resolve(ctx, fname, &cc), ORTHRUS_OK);
	if (cc == NULL)
		return;
	EXPECT(strcmp(orthrus_ccache_name(cc), fname) == 0);
	EXPECT_EQ_INT(orthrus_ccache_principal(ctx, cc, &p), ORTHRUS_OK);
	EXPECT(is(p, "alice@R"));
	EXPECT_EQ_INT(orthrus_ccache_iter_begin(ctx, cc, &it), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_ccache_iter_next(it, &c), ORTHRUS_OK);
	if (c != NULL) {
		EXPECT(is(orthrus_cred_client(c), "alice@R"));
		EXPECT(is(orthrus_cred_server(c), "krbtgt/R@R"));
		EXPECT(!orthrus_cred_is_config(c));
		orthrus_cred_times(c, &tm);
		EXPECT(tm.authtime == 1000 && tm.starttime == 0 && tm.endtime == 4000000000 &&
		       tm.renew_till == 4100000000);
		EXPECT_EQ_INT(orthrus_cred_flags(c), 0x40800000u);
		EXPECT_EQ_INT(orthrus_cred_session_enctype(c), 18);
		b = orthrus_cred_ticket(c, &len);
		EXPECT(len == sizeof(tgt_der) && memcmp(b, tgt_der, len) == 0);
		EXPECT_EQ_INT(orthrus_cred_ticket_info(c, &et, &kvno, &server), ORTHRUS_OK);
		EXPECT(et == 18 && kvno == 3 && server != NULL &&
		       strcmp(server, "krbtgt/R@R") == 0);
		free(server);
		EXPECT_EQ_INT(orthrus_cred_address_count(c), 1);
		b = orthrus_cred_address(c, 0, &type, &len);
		EXPECT(b != NULL && type == 2 && len == 4 && b[0] == 127);
		EXPECT(orthrus_cred_address(c, 1, &type, &len) == NULL);
		EXPECT_EQ_INT(orthrus_cred_authdata_count(c), 1);
		b = orthrus_cred_authdata(c, 0, &type, &len);
		EXPECT(b != NULL && type == 1 && len == 1 && b[0] == 'x');
		EXPECT(orthrus_cred_authdata(c, 1, NULL, NULL) == NULL);
	}
	/* the configuration entry: a value, no ticket */
	EXPECT_EQ_INT(orthrus_ccache_iter_next(it, &c), ORTHRUS_OK);
	if (c != NULL) {
		EXPECT(orthrus_cred_is_config(c));
		EXPECT(strcmp(orthrus_principal_component(orthrus_cred_server(c), 1, NULL),
			      "fast_avail") == 0);
		b = orthrus_cred_ticket(c, &len);
		EXPECT(len == 3 && memcmp(b, "yes", 3) == 0);
		EXPECT_EQ_INT(orthrus_cred_ticket_info(c, NULL, NULL, NULL), ORTHRUS_E_MALFORMED);
	}
	EXPECT_EQ_INT(orthrus_ccache_iter_next(it, &c), ORTHRUS_E_NOTFOUND);

	/* the TGT as a ticket */
	memset(&t, 0, sizeof(t));
	EXPECT_EQ_INT(orthrus_ccache_tgt(ctx, cc, &t), ORTHRUS_OK);
	EXPECT(t.server != NULL && strcmp(t.server, "krbtgt/R@R") == 0 && t.ticket_kvno == 3 &&
	       t.ticket_len == sizeof(tgt_der));
	orthrus_ticket_free(&t);

	/* a MEMORY cache: empty, initialized, a credential stored, destroyed */
	EXPECT_EQ_INT(orthrus_ccache_resolve(ctx, "MEMORY:test_api", &mem), ORTHRUS_OK);
	if (mem != NULL) {
		struct orthrus_principal *q = NULL;
		struct orthrus_ccache_iter *mit = NULL;
		const struct orthrus_cred *mc = NULL;
		EXPECT_EQ_INT(orthrus_ccache_principal(ctx, mem, &q), ORTHRUS_E_NOTFOUND);
		EXPECT_EQ_INT(orthrus_ccache_tgt(ctx, mem, &t), ORTHRUS_E_NOTFOUND);
		EXPECT_EQ_INT(orthrus_ccache_initialize(ctx, mem, p), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_tgt(ctx, mem, &t), ORTHRUS_E_NOTFOUND);
		EXPECT(strstr(orthrus_error_message(ctx, ORTHRUS_E_NOTFOUND), "krbtgt/R@R") !=
		       NULL);
		orthrus_ccache_iter_end(it);
		it = NULL;
		EXPECT_EQ_INT(orthrus_ccache_iter_begin(ctx, cc, &it), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_iter_next(it, &c), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_store(ctx, mem, c), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_iter_begin(ctx, mem, &mit), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_iter_next(mit, &mc), ORTHRUS_OK);
		EXPECT(mc != NULL && is(orthrus_cred_server(mc), "krbtgt/R@R"));
		EXPECT_EQ_INT(orthrus_ccache_iter_next(mit, &mc), ORTHRUS_E_NOTFOUND);
		orthrus_ccache_iter_end(mit);
		mit = NULL;
		EXPECT_EQ_INT(orthrus_ccache_destroy(ctx, mem), ORTHRUS_OK);
		EXPECT_EQ_INT(orthrus_ccache_destroy(ctx, mem), ORTHRUS_E_NOTFOUND);
		EXPECT_EQ_INT(orthrus_ccache_iter_begin(ctx, mem, &mit), ORTHRUS_E_NOTFOUND);
		EXPECT(mit == NULL);
		orthrus_ccache_close(mem);
	}

	/* a FILE cache is a collection of one; no primary to switch */
	EXPECT(!orthrus_ccache_supports_switch(ctx, fname));
	EXPECT(orthrus_ccache_supports_switch(ctx, "DIR:/nonexistent/x"));
	EXPECT_EQ_INT(orthrus_collection_iter_begin(ctx, fname, &col), ORTHRUS_OK);
	while (col != NULL && orthrus_collection_iter_next(col, &m) == ORTHRUS_OK) {
		EXPECT(strcmp(orthrus_ccache_name(m), fname) == 0);
		orthrus_ccache_close(m);
		k++;
	}
	EXPECT_EQ_INT(k, 1);
	orthrus_collection_iter_end(col);
	EXPECT_EQ_INT(orthrus_ccache_match(ctx, fname, p, &m), ORTHRUS_OK);
	orthrus_ccache_close(m);
	m = NULL;
	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "bob@R", &bob), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_ccache_match(ctx, fname, bob, &m), ORTHRUS_E_NOTFOUND);
	EXPECT(strcmp(orthrus_error_message(ctx, ORTHRUS_E_NOTFOUND),
		      "Matching credential not found") == 0);
	EXPECT_EQ_INT(orthrus_ccache_new_unique(ctx, fname, &m), ORTHRUS_E_USAGE);
	EXPECT(m == NULL);
	EXPECT_EQ_INT(orthrus_ccache_switch(ctx, cc), ORTHRUS_OK);  /* nothing to do */

	/* refusals: an unknown type, a missing cache, a corrupt one */
	EXPECT_EQ_INT(orthrus_ccache_resolve(ctx, "NOPE:x", &m), ORTHRUS_E_USAGE);
	EXPECT(strstr(orthrus_error_message(ctx, ORTHRUS_E_USAGE), "Unknown credential cache type") !=
	       NULL);
	snprintf(fname, sizeof(fname), "FILE:%s", path_of("none"));
	EXPECT_EQ_INT(orthrus_ccache_resolve(ctx, fname, &m), ORTHRUS_OK);
	if (m != NULL) {
		EXPECT_EQ_INT(orthrus_ccache_principal(ctx, m, &bob), ORTHRUS_E_NOTFOUND);
		EXPECT_EQ_INT(orthrus_ccache_destroy(ctx, m), ORTHRUS_E_NOTFOUND);
		orthrus_ccache_close(m);
		m = NULL;
	}
	{
		FILE *f = fopen(path_of("bad"), "wb");
		if (f != NULL) {
			fputs("\x05\x04garbage", f);
			fclose(f);
		}
	}
	snprintf(fname, sizeof(fname), "FILE:%s", path_of("bad"));
	EXPECT_EQ_INT(orthrus_ccache_resolve(ctx, fname, &m), ORTHRUS_OK);
	if (m != NULL) {
		orth_err e = orthrus_ccache_iter_begin(ctx, m, &it);
		EXPECT(e == ORTHRUS_E_MALFORMED || e == ORTHRUS_E_TRUNCATED);
		orthrus_ccache_close(m);
	}
	orthrus_ccache_iter_end(it);
	orthrus_principal_free(bob);
	orthrus_principal_free(p);
	orthrus_ccache_close(cc);
	orthrus_ccache_close(NULL);
	unlink(path_of("cc"));
	unlink(path_of("bad"));
}

static void
test_keytab(struct orthrus_context *ctx)
{
	struct orthrus_keytab *kt = NULL, *bad = NULL;
	struct orthrus_keytab_iter *it = NULL;
	struct orthrus_keytab_entry *e[3] = {NULL, NULL, NULL}, *x = NULL;
	const struct orthrus_keytab_entry *r = NULL, *r2 = NULL;
	struct orthrus_principal *svc = NULL, *tgs = NULL;
	uint8_t key[32];
	const uint8_t *kb;
	size_t klen = 0, removed = 9;
	char name[300];

	memset(key, 0x5a, sizeof(key));
	snprintf(name, sizeof(name), "FILE:%s", path_of("kt"));
	EXPECT_EQ_INT(orthrus_keytab_resolve(NULL, NULL, &kt), ORTHRUS_E_USAGE);
	EXPECT_EQ_INT(orthrus_keytab_resolve(NULL, name, &kt), ORTHRUS_OK);
	if (kt == NULL)
		return;
	EXPECT(strcmp(orthrus_keytab_path(kt), path_of("kt")) == 0);
	EXPECT_EQ_INT(orthrus_keytab_iter_begin(ctx, kt, &it), ORTHRUS_E_NOTFOUND);
	EXPECT(it == NULL);
	EXPECT_EQ_INT(orthrus_principal_parse(ctx, "HTTP/www", &svc), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_principal_parse(NULL, "krbtgt/R@R", &tgs), ORTHRUS_OK);

	/* entries: a key of the wrong length or enctype is refused */
	EXPECT_EQ_INT(orthrus_keytab_entry_new(svc, 2, 18, key, 16, &x), ORTHRUS_E_KEYSIZE);
	EXPECT_EQ_INT(orthrus_keytab_entry_new(svc, 2, 23, key, 16, &x), ORTHRUS_E_ENCTYPE);
	EXPECT_EQ_INT(orthrus_keytab_entry_from_password(svc, 2, 1, "pw", NULL, &x),
		      ORTHRUS_E_ENCTYPE);
	EXPECT(x == NULL);
	EXPECT_EQ_INT(orthrus_keytab_entry_new(svc, 2, 18, key, 32, &e[0]), ORTHRUS_OK);
	/* the default salt is the realm and the components (RFC 4120 §4) */
	EXPECT_EQ_INT(orthrus_keytab_entry_from_password(svc, 2, 17, "pw", NULL, &e[1]), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_keytab_entry_from_password(svc, 2, 17, "pw", "API.TESTHTTPwww", &x),
		      ORTHRUS_OK);
	EXPECT(e[1] != NULL && x != NULL && orthrus_keytab_entry_equal(e[1], x));
	orthrus_keytab_entry_free(x);
	x = NULL;
	EXPECT_EQ_INT(orthrus_keytab_entry_from_password(svc, 2, 17, "pw", "other", &x), ORTHRUS_OK);
	EXPECT(x != NULL && e[1] != NULL && !orthrus_keytab_entry_equal(e[1], x));
	orthrus_keytab_entry_free(x);
	EXPECT_EQ_INT(orthrus_keytab_entry_new(tgs, 3, 18, key, 32, &e[2]), ORTHRUS_OK);
	if (e[0] == NULL || e[1] == NULL || e[2] == NULL)
		goto out;
	EXPECT_EQ_INT(orthrus_keytab_add(ctx, kt, (const struct orthrus_keytab_entry *const *)e, 3),
		      ORTHRUS_OK);

	/* the walk gives them back, in order */
	EXPECT_EQ_INT(orthrus_keytab_iter_begin(ctx, kt, &it), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_keytab_iter_next(it, &r), ORTHRUS_OK);
	if (r != NULL) {
		EXPECT(is(orthrus_keytab_entry_principal(r), "HTTP/www@API.TEST"));
		EXPECT_EQ_INT(orthrus_keytab_entry_kvno(r), 2);
		EXPECT_EQ_INT(orthrus_keytab_entry_enctype(r), 18);
		EXPECT(orthrus_keytab_entry_timestamp(r) > 0);
		kb = orthrus_keytab_entry_key(r, &klen);
		EXPECT(klen == 32 && memcmp(kb, key, 32) == 0);
		EXPECT(orthrus_keytab_entry_equal(r, e[0]) && !orthrus_keytab_entry_equal(r, e[1]));
	}
	EXPECT_EQ_INT(orthrus_keytab_iter_next(it, &r2), ORTHRUS_OK);
	EXPECT(r2 != NULL && orthrus_keytab_entry_enctype(r2) == 17);
	EXPECT_EQ_INT(orthrus_keytab_iter_next(it, &r2), ORTHRUS_OK);
	EXPECT_EQ_INT(orthrus_keytab_iter_next(it, &r2), ORTHRUS_E_NOTFOUND);
	orthrus_keytab_iter_end(it);
	it = NULL;

	/* a ticket: garbage does not decode; the TGT's key is there (kvno 3,
	 * aes256) but does not decrypt it; without that entry, no key */
	EXPECT_EQ_INT(orthrus_keytab_ticket_decrypt(ctx, kt, (const uint8_t *)"junk", 4),
		      ORTHRUS_E_MALFORMED);
	EXPECT_EQ_INT(orthrus_keytab_ticket_decrypt(ctx, kt, tgt_der, sizeof(tgt_der)),
		      ORTHRUS_E_INTEGRITY);
	EXPECT_EQ_INT(orthrus_keytab_remove(ctx, kt, tgs, 4, &removed), ORTHRUS_OK);
	EXPECT_EQ_INT(removed, 0);
	EXPECT_EQ_INT(orthrus_keytab_remove(ctx, kt, tgs, 3, &removed), ORTHRUS_OK);
	EXPECT_EQ_INT(removed, 1);
	EXPECT_EQ_INT(orthrus_keytab_ticket_decrypt(ctx, kt, tgt_der, sizeof(tgt_der)),
		      ORTHRUS_E_NOTFOUND);
	EXPECT_EQ_INT(orthrus_keytab_remove(ctx, kt, NULL, 0, &removed), ORTHRUS_OK);
	EXPECT_EQ_INT(removed, 2);

	/* a file that is no keytab: refused, not overwritten */
	{
		FILE *f = fopen(path_of("notkt"), "wb");
		if (f != NULL) {
			fputs("not a keytab", f);
			fclose(f);
		}
	}
	EXPECT_EQ_INT(orthrus_keytab_resolve(ctx, path_of("notkt"), &bad), ORTHRUS_OK);
	if (bad != NULL) {
		orth_err er = orthrus_keytab_iter_begin(ctx, bad, &it);
		EXPECT(er == ORTHRUS_E_MALFORMED || er == ORTHRUS_E_TRUNCATED);
		EXPECT(orthrus_keytab_add(ctx, bad, (const struct orthrus_keytab_entry *const *)e,
					  1) == ORTHRUS_E_MALFORMED);
		orthrus_keytab_close(bad);
	}
	{
		char buf[32] = "";
		FILE *f = fopen(path_of("notkt"), "rb");
		if (f != NULL) {
			EXPECT(fgets(buf, sizeof(buf), f) != NULL && strcmp(buf, "not a keytab") == 0);
			fclose(f);
		}
	}
	unlink(path_of("notkt"));
	EXPECT_EQ_INT(orthrus_keytab_remove(ctx, kt, NULL, 0, &removed), ORTHRUS_OK);
	unlink(path_of("kt"));
	EXPECT_EQ_INT(orthrus_keytab_remove(ctx, kt, NULL, 0, &removed), ORTHRUS_E_NOTFOUND);
out:
	for (int i = 0; i < 3; i++)
		orthrus_keytab_entry_free(e[i]);
	orthrus_keytab_entry_free(NULL);
	orthrus_keytab_iter_end(it);
	orthrus_principal_free(svc);
	orthrus_principal_free(tgs);
	orthrus_keytab_close(kt);
}

int
main(void)
{
	struct orthrus_context *ctx = NULL;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	f = fopen(path_of("krb5.conf"), "w");
	if (f == NULL)
		return 1;
	fputs("[libdefaults]\n\tdefault_realm = API.TEST\n"
	      "\tpermitted_enctypes = aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192\n",
	      f);
	fclose(f);
	EXPECT_EQ_INT(orthrus_context_new(path_of("krb5.conf"), &ctx), ORTHRUS_OK);
	if (ctx != NULL) {
		test_names(ctx);
		test_ccache(ctx);
		test_keytab(ctx);
	}
	orthrus_context_free(ctx);
	unlink(path_of("krb5.conf"));
	rmdir(dir);
	return test_done("api");
}
