/* Tests of src/client/ccache: the FILE format, FILE and MEMORY caches. */
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/writer.h"
#include "client/ccache.h"
#include "proto/krb5_const.h"

#include "../test.h"

static char tmpdir[] = "/tmp/test_ccache.XXXXXX";

static struct ccache_principal
princ(const char *name)
{
	struct ccache_principal p = {0};
	if (ccache_principal_parse(name, "EXAMPLE.COM", &p) != ORTH_OK) {
		fprintf(stderr, "cannot parse %s\n", name);
		exit(1);
	}
	return p;
}

/* A ticket-shaped credential; seed varies every byte field. */
static struct ccache_cred
make_cred(const char *client, const char *server, int32_t enctype, int seed)
{
	struct ccache_cred c = {0};
	uint8_t key[32], tkt[100];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(seed * 7 + i);
	for (i = 0; i < sizeof(tkt); i++)
		tkt[i] = (uint8_t)(seed + i * 3);
	c.client = princ(client);
	c.server = princ(server);
	c.enctype = enctype;
	ccache_data_set(&c.key, key, enctype == 17 ? 16 : 32);
	c.authtime = 1700000000 + seed;
	c.starttime = 1700000000 + seed;
	c.endtime = 1700036000 + seed;
	c.renew_till = 1700604800 + seed;
	c.flags = TKT_FLG_FORWARDABLE | TKT_FLG_RENEWABLE | TKT_FLG_INITIAL |
		  TKT_FLG_PRE_AUTH;
	ccache_data_set(&c.ticket, tkt, sizeof(tkt) - (size_t)seed);
	return c;
}

static bool
cred_eq(const struct ccache_cred *a, const struct ccache_cred *b)
{
	uint32_t i;

	if (!ccache_principal_eq(&a->client, &b->client) ||
	    !ccache_principal_eq(&a->server, &b->server) ||
	    a->client.name_type != b->client.name_type ||
	    a->server.name_type != b->server.name_type ||
	    a->enctype != b->enctype || a->key.len != b->key.len ||
	    memcmp(a->key.data, b->key.data, a->key.len) != 0 ||
	    a->authtime != b->authtime || a->starttime != b->starttime ||
	    a->endtime != b->endtime || a->renew_till != b->renew_till ||
	    a->is_skey != b->is_skey || a->flags != b->flags ||
	    a->naddrs != b->naddrs || a->nauthdata != b->nauthdata ||
	    a->ticket.len != b->ticket.len ||
	    a->second_ticket.len != b->second_ticket.len)
		return false;
	if (a->ticket.len && memcmp(a->ticket.data, b->ticket.data, a->ticket.len))
		return false;
	if (a->second_ticket.len &&
	    memcmp(a->second_ticket.data, b->second_ticket.data,
		   a->second_ticket.len))
		return false;
	for (i = 0; i < a->naddrs; i++)
		if (a->addrs[i].type != b->addrs[i].type ||
		    a->addrs[i].data.len != b->addrs[i].data.len ||
		    memcmp(a->addrs[i].data.data, b->addrs[i].data.data,
			   a->addrs[i].data.len))
			return false;
	for (i = 0; i < a->nauthdata; i++)
		if (a->authdata[i].type != b->authdata[i].type ||
		    a->authdata[i].data.len != b->authdata[i].data.len ||
		    memcmp(a->authdata[i].data.data, b->authdata[i].data.data,
			   a->authdata[i].data.len))
			return false;
	return true;
}

static char *
path_in_tmp(const char *name)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	uint8_t *buf = malloc(1 << 20);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, 1 << 20) : -1;
	if (fd >= 0)
		close(fd);
	*len = n > 0 ? (size_t)n : 0;
	return buf;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		perror(path);
		exit(1);
	}
	close(fd);
}

/* ---- names and principals ---- */

static void
test_principals(void)
{
	struct ccache_principal p = {0}, q = {0};
	char *s = NULL;

	EXPECT_EQ_INT(ccache_principal_parse("host/a.example.com@EX.COM", NULL, &p),
		      ORTH_OK);
	EXPECT_EQ_INT(p.ncomps, 2);
	EXPECT_EQ_INT(p.name_type, KRB5_NT_PRINCIPAL);
	EXPECT(strcmp((char *)p.realm.data, "EX.COM") == 0);
	EXPECT(strcmp((char *)p.comps[1].data, "a.example.com") == 0);
	EXPECT_EQ_INT(ccache_principal_unparse(&p, &s), ORTH_OK);
	EXPECT(strcmp(s, "host/a.example.com@EX.COM") == 0);
	free(s);
	ccache_principal_free(&p);

	EXPECT_EQ_INT(ccache_principal_parse("krbtgt/EX.COM", "EX.COM", &p), ORTH_OK);
	EXPECT_EQ_INT(p.name_type, KRB5_NT_SRV_INST);
	ccache_principal_free(&p);

	/* Escapes survive unparse/parse; '/' in a realm is literal. */
	EXPECT_EQ_INT(ccache_principal_parse("a\\/b\\@c\\\\d\\n@R/X", NULL, &p),
		      ORTH_OK);
	EXPECT_EQ_INT(p.ncomps, 1);
	EXPECT_EQ_INT(p.comps[0].len, 8);
	EXPECT(memcmp(p.comps[0].data, "a/b@c\\d\n", 8) == 0);
	EXPECT(strcmp((char *)p.realm.data, "R/X") == 0);
	EXPECT_EQ_INT(ccache_principal_unparse(&p, &s), ORTH_OK);
	EXPECT(strcmp(s, "a\\/b\\@c\\\\d\\n@R/X") == 0);
	EXPECT_EQ_INT(ccache_principal_parse(s, NULL, &q), ORTH_OK);
	EXPECT(ccache_principal_eq(&p, &q));
	free(s);
	ccache_principal_free(&p);
	ccache_principal_free(&q);

	/* Refused names. */
	EXPECT_EQ_INT(ccache_principal_parse("alice", NULL, &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse("", "R", &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse("@R", NULL, &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse("a@", NULL, &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse("a@R@S", NULL, &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse("a\\", "R", &p), ORTH_E_BADNAME);
	EXPECT_EQ_INT(ccache_principal_parse(
			      "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
			      "a/a/a/a/a/a/a/a/a@R", NULL, &p),
		      ORTH_E_LIMIT);
	EXPECT(p.realm.data == NULL && p.comps == NULL);

	/* Equality ignores the name type but not the realm. */
	p = princ("alice@A");
	q = princ("alice@B");
	EXPECT(!ccache_principal_eq(&p, &q));
	ccache_principal_free(&q);
	q = princ("alice@A");
	q.name_type = KRB5_NT_ENTERPRISE;
	EXPECT(ccache_principal_eq(&p, &q));
	ccache_principal_free(&p);
	ccache_principal_free(&q);
}

static void
test_names(void)
{
	struct ccache *cc = NULL;
	char *name = NULL, expect[64], err[256];

	EXPECT_EQ_INT(ccache_open("/tmp/x", &cc), ORTH_OK);
	EXPECT(strcmp(ccache_name_get(cc), "FILE:/tmp/x") == 0);
	ccache_close(cc);
	EXPECT_EQ_INT(ccache_open("relative", &cc), ORTH_OK);
	EXPECT(strcmp(ccache_name_get(cc), "FILE:relative") == 0);
	ccache_close(cc);
	EXPECT_EQ_INT(ccache_open("FILE:/a:b", &cc), ORTH_OK);
	EXPECT(strcmp(ccache_name_get(cc), "FILE:/a:b") == 0);
	ccache_close(cc);
	EXPECT_EQ_INT(ccache_open("MEMORY:m", &cc), ORTH_OK);
	EXPECT(strcmp(ccache_name_get(cc), "MEMORY:m") == 0);
	ccache_close(cc);
	cc = NULL;
	/* KEYRING: is supported (ccache_keyring.h); its unknown anchors and
	 * KCM: are not (no keyring is touched for either). */
	EXPECT_EQ_INT(ccache_open("KEYRING:nosuch:x:y", &cc), ORTH_E_USAGE);
	EXPECT(cc == NULL);
	EXPECT_EQ_INT(ccache_open("KCM:", &cc), ORTH_E_USAGE);
	EXPECT(cc == NULL);
	EXPECT_EQ_INT(ccache_open("MEMORY:", &cc), ORTH_E_USAGE);
	EXPECT_EQ_INT(ccache_open("FILE:", &cc), ORTH_E_USAGE);
	EXPECT(cc == NULL);

	setenv("KRB5CCNAME", "MEMORY:env", 1);
	EXPECT_EQ_INT(ccache_default_name("FILE:/ignored", &name, err, sizeof(err)), ORTH_OK);
	EXPECT(strcmp(name, "MEMORY:env") == 0);
	free(name);
	unsetenv("KRB5CCNAME");
	EXPECT_EQ_INT(ccache_default_name("FILE:%{TEMP}/cc_%{uid}", &name, err, sizeof(err)), ORTH_OK);
	snprintf(expect, sizeof(expect), "FILE:/tmp/cc_%lu", (unsigned long)getuid());
	EXPECT(strcmp(name, expect) == 0);
	free(name);
	EXPECT_EQ_INT(ccache_default_name(NULL, &name, err, sizeof(err)), ORTH_OK);
	snprintf(expect, sizeof(expect), "FILE:/tmp/krb5cc_%lu", (unsigned long)getuid());
	EXPECT(strcmp(name, expect) == 0);
	free(name);
	name = NULL;
	EXPECT_EQ_INT(ccache_default_name("FILE:%{bogus}", &name, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(name == NULL);
	/* the error names the token */
	EXPECT(strstr(err, "%{bogus}") != NULL);
	EXPECT_EQ_INT(ccache_default_name("FILE:/x/%{uid", &name, err, sizeof(err)), ORTH_E_CONFIG);
	EXPECT(strstr(err, "without '}'") != NULL);

	/* Issue 14, defect 11: MIT's tokens (lib/krb5/os/expand_path.c). */
	{
		struct passwd *pw = getpwuid(geteuid());
		snprintf(expect, sizeof(expect), "FILE:/x/%lu/%lu/%s/-",
			 (unsigned long)getuid(), (unsigned long)geteuid(),
			 pw ? pw->pw_name : "?");
		EXPECT_EQ_INT(ccache_default_name("FILE:/x/%{USERID}/%{euid}/%{username}/%{null}-%{null}",
						  &name, err, sizeof(err)),
			      ORTH_OK);
		EXPECT(name != NULL && strcmp(name, expect) == 0);
		free(name);
		name = NULL;
		setenv("TMPDIR", "/var/tmp", 1);
		EXPECT_EQ_INT(ccache_default_name("DIR:%{TEMP}/cc", &name, err, sizeof(err)), ORTH_OK);
		EXPECT(name != NULL && strcmp(name, "DIR:/var/tmp/cc") == 0);
		unsetenv("TMPDIR");
		free(name);
		name = NULL;
	}
	/* KRB5CCNAME is used as it is: MIT expands only the profile's
	 * default_ccache_name (krb5_cc_default_name). */
	setenv("KRB5CCNAME", "FILE:/tmp/literal_%{uid}", 1);
	EXPECT_EQ_INT(ccache_default_name("FILE:/ignored", &name, err, sizeof(err)), ORTH_OK);
	EXPECT(name != NULL && strcmp(name, "FILE:/tmp/literal_%{uid}") == 0);
	free(name);
	name = NULL;
	unsetenv("KRB5CCNAME");
}

/* ---- a fixed v4 image, byte for byte ---- */

/* version 0x0504, header: tag 1 (offset -5 s, 250000 us); principal
 * NT_PRINCIPAL "a@R"; one cred a@R -> krbtgt/R@R, aes128 key 0x11*16,
 * times 1, 2, 0x80000000, 0xFFFFFFFF, skey 0, flags 0x40e00000, no
 * addresses, one authdata {1, "ad"}, ticket "TKT", second ticket "". */
static const uint8_t v4_image[] = {
	0x05, 0x04, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x08,
	0xff, 0xff, 0xff, 0xfb, 0x00, 0x03, 0xd0, 0x90,
	/* default principal */
	0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'R', 0, 0, 0, 1, 'a',
	/* client */
	0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'R', 0, 0, 0, 1, 'a',
	/* server krbtgt/R@R, NT_SRV_INST */
	0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 'R',
	0, 0, 0, 6, 'k', 'r', 'b', 't', 'g', 't', 0, 0, 0, 1, 'R',
	/* keyblock */
	0x00, 0x11, 0, 0, 0, 16,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	/* times */
	0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	/* is_skey, flags */
	0, 0x40, 0xe0, 0x00, 0x00,
	/* addresses, authdata */
	0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x01, 0, 0, 0, 2, 'a', 'd',
	/* ticket, second ticket */
	0, 0, 0, 3, 'T', 'K', 'T', 0, 0, 0, 0,
};
/* Offsets where the image may end and still be a whole cache. */
#define V4_AFTER_PRINC 34
#define V4_AFTER_CRED1 (sizeof(v4_image))

static void
test_fixed_image(void)
{
	struct ccache_contents c = {0};
	uint8_t *out = NULL;
	size_t len = 0;

	EXPECT_EQ_INT(ccache_contents_decode(v4_image, sizeof(v4_image), &c),
		      ORTH_OK);
	EXPECT_EQ_INT(c.version, CCACHE_VERSION_4);
	EXPECT(c.has_time_offset);
	EXPECT_EQ_INT(c.time_offset_sec, -5);
	EXPECT_EQ_INT(c.time_offset_usec, 250000);
	EXPECT_EQ_INT(c.ncreds, 1);
	if (c.ncreds == 1) {
		const struct ccache_cred *cr = &c.creds[0];
		EXPECT_EQ_INT(cr->server.name_type, KRB5_NT_SRV_INST);
		EXPECT_EQ_INT(cr->enctype, 17);
		EXPECT_EQ_INT(cr->key.len, 16);
		EXPECT_EQ_INT(cr->authtime, 1);
		EXPECT_EQ_INT(cr->endtime, 0x80000000LL);
		EXPECT_EQ_INT(cr->renew_till, 0xffffffffLL);
		EXPECT_EQ_INT(cr->flags, TKT_FLG_FORWARDABLE |
				 TKT_FLG_RENEWABLE | TKT_FLG_INITIAL |
				 TKT_FLG_PRE_AUTH);
		EXPECT_EQ_INT(cr->nauthdata, 1);
		EXPECT_EQ_INT(cr->authdata[0].type, 1);
		EXPECT_EQ_INT(cr->ticket.len, 3);
		EXPECT_EQ_INT(cr->second_ticket.len, 0);
		EXPECT(!ccache_cred_is_config(cr));
	}
	EXPECT_EQ_INT(ccache_contents_encode(&c, &out, &len), ORTH_OK);
	EXPECT_EQ_INT(len, sizeof(v4_image));
	EXPECT(out != NULL && memcmp(out, v4_image, sizeof(v4_image)) == 0);
	ccache_buf_free(out, len);

	/* Version 3: no header, the enctype repeated in the keyblock. */
	{
		uint8_t v3[sizeof(v4_image) + 2];
		struct ccache_contents c3 = {0};
		size_t kb = 16 + 18 + 18 + 28;  /* keyblock offset in v4 */
		v3[0] = 5;
		v3[1] = 3;
		/* principal and client/server: the v4 bytes after the header */
		memcpy(v3 + 2, v4_image + 16, kb - 16 + 2);
		v3[2 + kb - 16 + 2] = 0x00;
		v3[2 + kb - 16 + 3] = 0x11;
		memcpy(v3 + 2 + kb - 16 + 4, v4_image + kb + 2,
		       sizeof(v4_image) - kb - 2);
		len = 2 + (kb - 16 + 4) + sizeof(v4_image) - kb - 2;
		EXPECT_EQ_INT(ccache_contents_decode(v3, len, &c3), ORTH_OK);
		EXPECT_EQ_INT(c3.version, CCACHE_VERSION_3);
		EXPECT(!c3.has_time_offset);
		EXPECT_EQ_INT(c3.ncreds, 1);
		if (c3.ncreds == 1)
			EXPECT(cred_eq(&c3.creds[0], &c.creds[0]));
		/* Written back in its own version, byte for byte (MIT keeps
		 * a cache's version when it adds to it). */
		{
			size_t v3len = len;
			EXPECT_EQ_INT(ccache_contents_encode(&c3, &out, &len), ORTH_OK);
			EXPECT_EQ_INT(len, v3len);
			EXPECT(out != NULL && len == v3len && memcmp(out, v3, v3len) == 0);
			ccache_buf_free(out, len);
		}
		/* The v4 decoder would misread it: v3 is not v4 without a
		 * header. */
		v3[1] = 4;
		ccache_contents_free(&c3);
		EXPECT(ccache_contents_decode(v3, 2 + (kb - 16 + 4) +
						      sizeof(v4_image) - kb - 2,
					      &c3) != ORTH_OK);
	}
	ccache_contents_free(&c);
}


/* ---- versions 1 to 4 (MIT's ccmarshal.c) ---- */

/* The content of v4_image in the layout of version v: versions 1 and 2 in
 * host byte order, version 1 without name types and with the realm in the
 * component count, version 3 with the enctype twice, only version 4 with
 * the header. */
struct image {
	uint8_t b[512];
	size_t n;
	int v;
};

static void
img16(struct image *m, uint16_t x)
{
	if (m->v < 3) {
		memcpy(m->b + m->n, &x, 2);
	} else {
		m->b[m->n] = (uint8_t)(x >> 8);
		m->b[m->n + 1] = (uint8_t)x;
	}
	m->n += 2;
}

static void
img32(struct image *m, uint32_t x)
{
	if (m->v < 3) {
		memcpy(m->b + m->n, &x, 4);
	} else {
		for (int i = 0; i < 4; i++)
			m->b[m->n + (size_t)i] = (uint8_t)(x >> (24 - 8 * i));
	}
	m->n += 4;
}

static void
img_data(struct image *m, const void *p, uint32_t len)
{
	img32(m, len);
	memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void
img_princ(struct image *m, uint32_t type, uint32_t n, const char *c1, const char *c2)
{
	if (m->v != 1)
		img32(m, type);
	img32(m, n + (m->v == 1));
	img_data(m, "R", 1);
	img_data(m, c1, (uint32_t)strlen(c1));
	if (n == 2)
		img_data(m, c2, (uint32_t)strlen(c2));
}

static void
image_build(int v, struct image *m)
{
	static const uint8_t key[16] = {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
					0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11};
	memset(m, 0, sizeof(*m));
	m->v = v;
	m->b[0] = 5;
	m->b[1] = (uint8_t)v;
	m->n = 2;
	if (v == 4) {
		memcpy(m->b + 2, v4_image + 2, 14);
		m->n = 16;
	}
	img_princ(m, 1, 1, "a", NULL);
	img_princ(m, 1, 1, "a", NULL);
	img_princ(m, 2, 2, "krbtgt", "R");
	img16(m, 0x11);
	if (v == 3)
		img16(m, 0x11);
	img_data(m, key, 16);
	img32(m, 1);
	img32(m, 2);
	img32(m, 0x80000000u);
	img32(m, 0xffffffffu);
	m->b[m->n++] = 0;
	img32(m, 0x40e00000u);
	img32(m, 0);
	img32(m, 1);
	img16(m, 1);
	img_data(m, "ad", 2);
	img_data(m, "TKT", 3);
	img_data(m, "", 0);
}

/*
 * Issue 14, defect 11: MIT reads versions 1 to 4 and writes what
 * ccache_type says (`ccache_type = 2` still works): a version 1-3 cache is
 * read, and written back in its own version, not refused as malformed or
 * turned into version 4.
 */
static void
test_old_versions(void)
{
	struct ccache_contents ref = {0};
	struct image m;

	image_build(4, &m);
	EXPECT(m.n == sizeof(v4_image) && memcmp(m.b, v4_image, m.n) == 0);
	EXPECT_EQ_INT(ccache_contents_decode(v4_image, sizeof(v4_image), &ref), ORTH_OK);
	for (int v = 1; v <= 3; v++) {
		struct ccache_contents c = {0};
		uint8_t *out = NULL;
		size_t len = 0;

		image_build(v, &m);
		EXPECT_EQ_INT(ccache_contents_decode(m.b, m.n, &c), ORTH_OK);
		EXPECT_EQ_INT(c.version, 0x0500 + v);
		EXPECT(!c.has_time_offset);
		EXPECT_EQ_INT(c.ncreds, 1);
		if (c.ncreds == 1 && ref.ncreds == 1) {
			struct ccache_cred want = {0};
			EXPECT_EQ_INT(ccache_cred_copy(&ref.creds[0], &want), ORTH_OK);
			if (v == 1)  /* no name types in version 1 */
				want.client.name_type = want.server.name_type = 0;
			EXPECT(cred_eq(&c.creds[0], &want));
			ccache_cred_free(&want);
		}
		EXPECT(ccache_principal_eq(&c.princ, &ref.princ));
		EXPECT_EQ_INT(ccache_contents_encode(&c, &out, &len), ORTH_OK);
		EXPECT(out != NULL && len == m.n && memcmp(out, m.b, m.n) == 0);
		if (out == NULL || len != m.n || memcmp(out, m.b, m.n) != 0)
			fprintf(stderr, "  version %d not written back as read\n", v);
		ccache_buf_free(out, len);
		ccache_contents_free(&c);
		/* Every truncation but at the credential boundary fails. */
		for (size_t i = 0; i < m.n; i++) {
			orth_err e = ccache_contents_decode(m.b, i, &c);
			if (e == ORTH_OK && c.ncreds == 1) {
				EXPECT(!"a truncated old-version cache was read whole");
			}
			ccache_contents_free(&c);
		}
	}
	/* Version 1 counts the realm: a count of 0 is malformed. */
	{
		struct image z = {.v = 1};
		struct ccache_contents c = {0};
		z.b[0] = 5;
		z.b[1] = 1;
		z.n = 2;
		img32(&z, 0);
		img_data(&z, "R", 1);
		EXPECT(ccache_contents_decode(z.b, z.n, &c) != ORTH_OK);
		ccache_contents_free(&c);
	}
	/* A FILE cache of version 2 gets a new ticket and stays version 2. */
	{
		char name[300];
		struct ccache *cc = NULL;
		struct ccache_contents c = {0};
		struct ccache_cred cred = {0};
		size_t len = 0;
		uint8_t *buf;

		image_build(2, &m);
		write_file(path_in_tmp("v2"), m.b, m.n);
		snprintf(name, sizeof(name), "FILE:%s", path_in_tmp("v2"));
		EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
		EXPECT_EQ_INT(ccache_cred_copy(&ref.creds[0], &cred), ORTH_OK);
		ccache_data_free(&cred.server.comps[0]);
		EXPECT_EQ_INT(ccache_data_set(&cred.server.comps[0], "host", 4), ORTH_OK);
		EXPECT_EQ_INT(ccache_store(cc, &cred), ORTH_OK);
		buf = read_file(path_in_tmp("v2"), &len);
		EXPECT(len > m.n && buf[0] == 5 && buf[1] == 2);
		EXPECT(len > m.n && memcmp(buf, m.b, m.n) == 0);  /* appended */
		EXPECT_EQ_INT(ccache_read(cc, &c), ORTH_OK);
		EXPECT_EQ_INT(c.version, 0x0502);
		EXPECT_EQ_INT(c.ncreds, 2);
		free(buf);
		ccache_contents_free(&c);
		ccache_cred_free(&cred);
		ccache_close(cc);
		unlink(path_in_tmp("v2"));
	}
	ccache_contents_free(&ref);
}


/*
 * Issue 14, defect 11: `kvno -e aes128-cts SERVICE` after a ticket with an
 * aes256 session key adds a ticket; the aes256 one stays (MIT's cache
 * holds both and klist shows both).
 */
static void
test_store_enctypes(void)
{
	struct ccache *cc = NULL;
	struct ccache_principal me = princ("alice@R"), svc = princ("host/x@R");
	struct ccache_cred a = make_cred("alice@R", "host/x@R", 18, 1);
	struct ccache_cred b = make_cred("alice@R", "host/x@R", 17, 2);
	struct ccache_cred got = {0};
	struct ccache_contents c = {0};

	EXPECT_EQ_INT(ccache_open("MEMORY:enctypes", &cc), ORTH_OK);
	EXPECT_EQ_INT(ccache_initialize(cc, &me), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &a), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &b), ORTH_OK);
	EXPECT_EQ_INT(ccache_read(cc, &c), ORTH_OK);
	EXPECT_EQ_INT(c.ncreds, 2);
	ccache_contents_free(&c);
	EXPECT_EQ_INT(ccache_retrieve(cc, &me, &svc, 18, &got), ORTH_OK);
	EXPECT(got.key.len == 32 && cred_eq(&got, &a));
	ccache_cred_free(&got);
	EXPECT_EQ_INT(ccache_retrieve(cc, &me, &svc, 17, &got), ORTH_OK);
	EXPECT(got.key.len == 16 && cred_eq(&got, &b));
	ccache_cred_free(&got);
	EXPECT_EQ_INT(ccache_destroy(cc), ORTH_OK);
	ccache_close(cc);
	ccache_cred_free(&a);
	ccache_cred_free(&b);
	ccache_principal_free(&me);
	ccache_principal_free(&svc);
}

/* ---- hostile images ---- */

static void
expect_bad(const char *what, const uint8_t *buf, size_t len, orth_err want)
{
	struct ccache_contents c = {0};
	orth_err e = ccache_contents_decode(buf, len, &c);

	if (want != ORTH_OK ? e != want : e == ORTH_OK) {
		test_failures++;
		fprintf(stderr, "FAILED: %s: got %d, want %d\n", what, e, want);
	}
	test_checks++;
	EXPECT(c.creds == NULL && c.princ.comps == NULL);
}

static void
test_malformed(void)
{
	uint8_t b[sizeof(v4_image) + 16];
	struct ccache_contents c = {0};
	size_t i;

	/* Every truncation fails, except at a credential boundary, where it
	 * is a shorter but whole cache. */
	for (i = 0; i < sizeof(v4_image); i++) {
		orth_err e = ccache_contents_decode(v4_image, i, &c);
		test_checks++;
		if (i == V4_AFTER_PRINC) {
			if (e != ORTH_OK || c.ncreds != 0) {
				test_failures++;
				fprintf(stderr, "FAILED: cut at %zu\n", i);
			}
			ccache_contents_free(&c);
		} else if (e == ORTH_OK) {
			test_failures++;
			fprintf(stderr, "FAILED: cut at %zu accepted\n", i);
			ccache_contents_free(&c);
		}
	}

	/* Bad versions. */
	static const uint16_t versions[] = {0x0500, 0x0505, 0x0000, 0x0405,
					    0x0105, 0xffff};
	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		memcpy(b, v4_image, sizeof(v4_image));
		b[0] = (uint8_t)(versions[i] >> 8);
		b[1] = (uint8_t)versions[i];
		expect_bad("version", b, sizeof(v4_image), ORTH_E_MALFORMED);
	}

#define PATCH32(off, v)                                                       \
	do {                                                                  \
		memcpy(b, v4_image, sizeof(v4_image));                        \
		b[(off)] = (uint8_t)((v) >> 24);                              \
		b[(off) + 1] = (uint8_t)((v) >> 16);                          \
		b[(off) + 2] = (uint8_t)((v) >> 8);                           \
		b[(off) + 3] = (uint8_t)(v);                                  \
	} while (0)

	/* Header length beyond the file; a DeltaTime of the wrong size. */
	memcpy(b, v4_image, sizeof(v4_image));
	b[2] = 0xff;
	expect_bad("header length", b, sizeof(v4_image), ORTH_E_TRUNCATED);
	memcpy(b, v4_image, sizeof(v4_image));
	b[7] = 4;
	expect_bad("deltatime length", b, sizeof(v4_image), ORTH_E_MALFORMED);
	/* A header tag that overruns the header. */
	memcpy(b, v4_image, sizeof(v4_image));
	b[7] = 9;
	expect_bad("tag overruns header", b, sizeof(v4_image), ORTH_E_TRUNCATED);

	/* Huge counts: components, addresses, authdata. */
	PATCH32(20, 0xffffffffu);
	expect_bad("ncomps 2^32-1", b, sizeof(v4_image), ORTH_E_LIMIT);
	PATCH32(20, CCACHE_MAX_COMPONENTS + 1);
	expect_bad("ncomps over cap", b, sizeof(v4_image), ORTH_E_LIMIT);
	PATCH32(20, CCACHE_MAX_COMPONENTS);
	expect_bad("ncomps under cap, no bytes", b, sizeof(v4_image),
		   ORTH_E_TRUNCATED);
	PATCH32(sizeof(v4_image) - 27, 0xffffffffu);  /* naddrs */
	expect_bad("naddrs", b, sizeof(v4_image), ORTH_E_LIMIT);
	PATCH32(sizeof(v4_image) - 27, 200);
	expect_bad("naddrs in cap, no bytes", b, sizeof(v4_image),
		   ORTH_E_TRUNCATED);
	PATCH32(sizeof(v4_image) - 23, 0x10000000u);  /* nauthdata */
	expect_bad("nauthdata", b, sizeof(v4_image), ORTH_E_LIMIT);

	/* Huge lengths: realm, key, ticket, second ticket. */
	PATCH32(24, 0xffffffffu);
	expect_bad("realm length", b, sizeof(v4_image), ORTH_E_TRUNCATED);
	PATCH32(16 + 18 + 18 + 28 + 2, 0x7fffffffu);
	expect_bad("key length", b, sizeof(v4_image), ORTH_E_TRUNCATED);
	PATCH32(sizeof(v4_image) - 11, 4);
	expect_bad("ticket length + 1", b, sizeof(v4_image), ORTH_E_TRUNCATED);
	PATCH32(sizeof(v4_image) - 4, 1);
	expect_bad("second ticket length", b, sizeof(v4_image),
		   ORTH_E_TRUNCATED);

	/* Garbage after the last credential: a truncated credential. */
	memcpy(b, v4_image, sizeof(v4_image));
	memset(b + sizeof(v4_image), 0, 5);
	expect_bad("trailing bytes", b, sizeof(v4_image) + 5, ORTH_E_TRUNCATED);
	expect_bad("empty", b, 0, ORTH_E_TRUNCATED);
	expect_bad("one byte", b, 1, ORTH_E_TRUNCATED);
#undef PATCH32
}

/* ---- caches: FILE and MEMORY share every operation ---- */

static void
exercise(const char *name)
{
	struct ccache *cc = NULL;
	struct ccache_cred c1, c2, c3, c4, out = {0};
	struct ccache_principal alice = princ("alice"), tgt = princ("krbtgt/EXAMPLE.COM"),
				http = princ("HTTP/www.example.com"),
				none = princ("nobody/x"), p = {0};
	struct ccache_contents snap = {0};
	struct ccache_data v = {0};
	struct ccache_iter *it = NULL;
	const struct ccache_cred *cp;
	int32_t s = 0, us = 0;
	size_t n;

	fprintf(stderr, "-- %s\n", name);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	if (cc == NULL)
		return;
	/* Before initialize: no cache. */
	EXPECT_EQ_INT(ccache_default_principal_get(cc, &p), ORTH_E_NOTFOUND);
	c1 = make_cred("alice", "krbtgt/EXAMPLE.COM", 18, 1);
	EXPECT_EQ_INT(ccache_store(cc, &c1), ORTH_E_NOTFOUND);

	EXPECT_EQ_INT(ccache_initialize(cc, &alice), ORTH_OK);
	EXPECT_EQ_INT(ccache_default_principal_get(cc, &p), ORTH_OK);
	EXPECT(ccache_principal_eq(&p, &alice));
	ccache_principal_free(&p);
	EXPECT_EQ_INT(ccache_time_offset_get(cc, &s, &us), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_time_offset_set(cc, -17, 999999), ORTH_OK);

	/* c2: times past 2038 (unsigned 32-bit), addresses, authdata,
	 * user-to-user.  c3: another enctype. */
	c2 = make_cred("alice", "HTTP/www.example.com", 20, 2);
	c2.authtime = 3000000000LL;
	c2.starttime = 0;
	c2.endtime = 4294967295LL;
	c2.renew_till = 2147483648LL;
	c2.is_skey = true;
	c2.naddrs = 2;
	c2.addrs = calloc(2, sizeof(*c2.addrs));
	c2.addrs[0].type = 2;
	ccache_data_set(&c2.addrs[0].data, "\x7f\0\0\x01", 4);
	c2.addrs[1].type = 24;
	ccache_data_set(&c2.addrs[1].data, "0123456789abcdef", 16);
	c2.nauthdata = 1;
	c2.authdata = calloc(1, sizeof(*c2.authdata));
	c2.authdata[0].type = 128;
	ccache_data_set(&c2.authdata[0].data, "PAC!", 4);
	ccache_data_set(&c2.second_ticket, "second", 6);
	c3 = make_cred("alice", "host/h.example.com", 17, 3);

	EXPECT_EQ_INT(ccache_store(cc, &c1), ORTH_OK);
	EXPECT_EQ_INT(ccache_config_put(cc, &tgt, "fast_avail", "yes", 3), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &c2), ORTH_OK);
	EXPECT_EQ_INT(ccache_config_put(cc, NULL, "pa_type", "2", 1), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &c3), ORTH_OK);

	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_OK);
	EXPECT_EQ_INT(snap.ncreds, 5);
	if (snap.ncreds == 5) {
		char *u = NULL;
		EXPECT(cred_eq(&snap.creds[0], &c1));
		EXPECT(cred_eq(&snap.creds[2], &c2));
		EXPECT(cred_eq(&snap.creds[4], &c3));
		EXPECT(ccache_cred_is_config(&snap.creds[1]));
		EXPECT(ccache_cred_is_config(&snap.creds[3]));
		ccache_principal_unparse(&snap.creds[1].server, &u);
		EXPECT(u != NULL && strcmp(u, "krb5_ccache_conf_data/fast_avail/"
				      "krbtgt\\/EXAMPLE.COM\\@EXAMPLE.COM@X-CACHECONF:") == 0);
		free(u);
		EXPECT(ccache_principal_eq(&snap.creds[1].client, &alice));
		EXPECT_EQ_INT(snap.creds[2].endtime, 4294967295LL);
		EXPECT_EQ_INT(snap.creds[2].authtime, 3000000000LL);
	}
	EXPECT(snap.has_time_offset && snap.time_offset_sec == -17 &&
	       snap.time_offset_usec == 999999);
	ccache_contents_free(&snap);

	/* Config entries: read back, replaced in place, never a ticket. */
	EXPECT_EQ_INT(ccache_config_get(cc, &tgt, "fast_avail", &v), ORTH_OK);
	EXPECT(v.len == 3 && memcmp(v.data, "yes", 3) == 0);
	ccache_data_free(&v);
	EXPECT_EQ_INT(ccache_config_get(cc, NULL, "fast_avail", &v), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_config_put(cc, NULL, "pa_type", "138", 3), ORTH_OK);
	EXPECT_EQ_INT(ccache_config_get(cc, NULL, "pa_type", &v), ORTH_OK);
	EXPECT(v.len == 3 && memcmp(v.data, "138", 3) == 0);
	ccache_data_free(&v);

	/* Retrieve: by client and server, by enctype; config never. */
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &http, 0, &out), ORTH_OK);
	EXPECT(cred_eq(&out, &c2));
	ccache_cred_free(&out);
	EXPECT_EQ_INT(ccache_retrieve(cc, &alice, &http, 20, &out), ORTH_OK);
	ccache_cred_free(&out);
	EXPECT_EQ_INT(ccache_retrieve(cc, &alice, &http, 18, &out), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &none, 0, &out), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_retrieve(cc, &http, &tgt, 0, &out), ORTH_E_NOTFOUND);
	{
		struct ccache_contents s2 = {0};
		ccache_read(cc, &s2);
		if (s2.ncreds == 5)
			EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &s2.creds[1].server,
						      0, &out), ORTH_E_NOTFOUND);
		ccache_contents_free(&s2);
	}

	/* Store appends, as MIT's does: a second ticket for the same client
	 * and server (another enctype, shorter life) goes at the end; an
	 * unqualified lookup takes the longest-lived, by enctype each. */
	c4 = make_cred("alice", "HTTP/www.example.com", 18, 9);
	EXPECT_EQ_INT(ccache_store(cc, &c4), ORTH_OK);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_OK);
	EXPECT_EQ_INT(snap.ncreds, 6);
	if (snap.ncreds == 6) {
		EXPECT(cred_eq(&snap.creds[2], &c2));
		EXPECT(cred_eq(&snap.creds[5], &c4));
	}
	ccache_contents_free(&snap);
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &http, 0, &out), ORTH_OK);
	EXPECT(cred_eq(&out, &c2));
	ccache_cred_free(&out);
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &http, 18, &out), ORTH_OK);
	EXPECT(cred_eq(&out, &c4));
	ccache_cred_free(&out);

	/* Iterate: tickets only. */
	EXPECT_EQ_INT(ccache_iter_begin(cc, &it), ORTH_OK);
	n = 0;
	while (it != NULL && ccache_iter_next(it, &cp) == ORTH_OK) {
		EXPECT(!ccache_cred_is_config(cp));
		n++;
	}
	EXPECT_EQ_INT(n, 4);
	ccache_iter_end(it);

	/* Remove. */
	EXPECT_EQ_INT(ccache_remove(cc, NULL, &http), ORTH_OK);
	EXPECT_EQ_INT(ccache_remove(cc, NULL, &http), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &http, 0, &out), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_retrieve(cc, NULL, &tgt, 18, &out), ORTH_OK);
	ccache_cred_free(&out);
	EXPECT_EQ_INT(ccache_time_offset_get(cc, &s, &us), ORTH_OK);
	EXPECT(s == -17 && us == 999999);

	/* Initialize again: a new login drops everything. */
	EXPECT_EQ_INT(ccache_initialize(cc, &alice), ORTH_OK);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_OK);
	EXPECT_EQ_INT(snap.ncreds, 0);
	EXPECT(!snap.has_time_offset);
	ccache_contents_free(&snap);

	/* Destroy; then it is gone. */
	EXPECT_EQ_INT(ccache_destroy(cc), ORTH_OK);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(ccache_destroy(cc), ORTH_E_NOTFOUND);

	ccache_close(cc);
	ccache_cred_free(&c1);
	ccache_cred_free(&c2);
	ccache_cred_free(&c3);
	ccache_cred_free(&c4);
	ccache_principal_free(&alice);
	ccache_principal_free(&tgt);
	ccache_principal_free(&http);
	ccache_principal_free(&none);
}

static void
test_file_specifics(void)
{
	struct ccache *cc = NULL;
	struct ccache_principal alice = princ("alice");
	struct ccache_cred c1 = make_cred("alice", "krbtgt/EXAMPLE.COM", 18, 1);
	struct ccache_contents snap = {0};
	char name[512], *path = path_in_tmp("cc_file");
	struct stat st;
	uint8_t *buf, *out = NULL;
	size_t len, olen = 0;
	int fd;

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	if (cc == NULL)
		return;
	EXPECT_EQ_INT(ccache_initialize(cc, &alice), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &c1), ORTH_OK);
	EXPECT_EQ_INT(stat(path, &st), 0);
	EXPECT_EQ_INT(st.st_mode & 0777, 0600);

	/* encode(decode(file)) == file */
	buf = read_file(path, &len);
	EXPECT(len > 0);
	EXPECT_EQ_INT(ccache_contents_decode(buf, len, &snap), ORTH_OK);
	EXPECT_EQ_INT(ccache_contents_encode(&snap, &out, &olen), ORTH_OK);
	EXPECT(olen == len && out != NULL && memcmp(out, buf, len) == 0);
	ccache_buf_free(out, olen);
	ccache_contents_free(&snap);

	/* A corrupt cache is an error, and store does not overwrite it. */
	write_file(path, buf, len - 1);
	EXPECT_EQ_INT(ccache_store(cc, &c1), ORTH_E_TRUNCATED);
	free(buf);
	buf = read_file(path, &len);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_E_TRUNCATED);
	free(buf);

	/* No temporary files left behind. */
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "ls %s | grep -q tmp", tmpdir);
		EXPECT(system(cmd) != 0);
	}

	/* Over the size cap (sparse file). */
	fd = open(path, O_WRONLY | O_TRUNC);
	EXPECT(fd >= 0 && ftruncate(fd, CCACHE_MAX_FILE + 1) == 0);
	close(fd);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_E_LIMIT);

	/* A directory is not a cache. */
	ccache_close(cc);
	snprintf(name, sizeof(name), "FILE:%s", tmpdir);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	EXPECT_EQ_INT(ccache_read(cc, &snap), ORTH_E_IO);
	EXPECT_EQ_INT(ccache_destroy(cc), ORTH_E_IO);
	ccache_close(cc);

	/* destroy: a symlink is not followed (the target survives). */
	{
		char link[300], *target = path_in_tmp("target");
		snprintf(link, sizeof(link), "%s/link", tmpdir);
		write_file(target, "keep", 4);
		EXPECT_EQ_INT(symlink(target, link), 0);
		snprintf(name, sizeof(name), "FILE:%s", link);
		EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
		EXPECT(ccache_destroy(cc) != ORTH_OK);
		ccache_close(cc);
		buf = read_file(target, &len);
		EXPECT(len == 4 && memcmp(buf, "keep", 4) == 0);
		free(buf);
		unlink(link);
		unlink(target);
	}
	unlink(path);
	ccache_cred_free(&c1);
	ccache_principal_free(&alice);
}

static void
test_encode_ranges(void)
{
	struct ccache_contents c = {0};
	uint8_t *out = NULL;
	size_t len = 0;

	c.princ = princ("alice");
	c.ncreds = 1;
	c.creds = calloc(1, sizeof(*c.creds));
	c.creds[0] = make_cred("alice", "krbtgt/EXAMPLE.COM", 18, 1);
	c.creds[0].endtime = -1;
	EXPECT_EQ_INT(ccache_contents_encode(&c, &out, &len), ORTH_E_RANGE);
	EXPECT(out == NULL);
	/* Past 2106: clamped to the last representable second. */
	c.creds[0].endtime = 1LL << 40;
	EXPECT_EQ_INT(ccache_contents_encode(&c, &out, &len), ORTH_OK);
	{
		struct ccache_contents d = {0};
		EXPECT_EQ_INT(ccache_contents_decode(out, len, &d), ORTH_OK);
		EXPECT(d.ncreds == 1 && d.creds[0].endtime == 0xffffffffLL);
		ccache_contents_free(&d);
	}
	ccache_buf_free(out, len);
	/* A big cache grows the buffer (many 4 KiB tickets). */
	{
		uint8_t *big = calloc(1, 4096);
		ccache_data_free(&c.creds[0].ticket);
		ccache_data_set(&c.creds[0].ticket, big, 4096);
		c.creds[0].endtime = 5;
		EXPECT_EQ_INT(ccache_contents_encode(&c, &out, &len), ORTH_OK);
		EXPECT(len > 4096);
		ccache_buf_free(out, len);
		free(big);
	}
	ccache_contents_free(&c);
}

/* ---- one FILE cache, several processes (issue 14, defect 1) ---- */

/* Wait up to ms for pid; its exit status, or -1 (then it is killed) when
 * it is still running: a hang fails the check instead of the run. */
static int
wait_child(pid_t pid, int ms)
{
	int st = 0;

	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -2;  /* reaped already (by a check that failed) */
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* Lock the whole file as MIT's krb5_lock_file does: an OFD lock (1.20 on
 * Linux) or a process-wide POSIX lock (older MIT, other systems). */
static int
lock_whole(int fd, short type, bool ofd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, ofd ? F_OFD_SETLKW : F_SETLKW, &fl);
}

/* The bytes cred takes in a version 4 file (what MIT appends). */
static uint8_t *
cred_bytes(const struct ccache_cred *cr, size_t *len_out)
{
	struct ccache_contents c = {0};
	uint8_t *a = NULL, *b = NULL, *out;
	size_t alen = 0, blen = 0;

	c.princ = princ("alice");
	ccache_contents_encode(&c, &a, &alen);
	c.ncreds = 1;
	c.creds = (struct ccache_cred *)cr;
	ccache_contents_encode(&c, &b, &blen);
	c.ncreds = 0;
	c.creds = NULL;
	ccache_contents_free(&c);
	out = malloc(blen - alen);
	memcpy(out, b + alen, blen - alen);
	*len_out = blen - alen;
	ccache_buf_free(a, alen);
	ccache_buf_free(b, blen);
	return out;
}

static size_t
count_tickets(struct ccache *cc)
{
	struct ccache_contents c = {0};
	size_t n = 0;

	if (ccache_read(cc, &c) == ORTH_OK)
		for (size_t i = 0; i < c.ncreds; i++)
			n += !ccache_cred_is_config(&c.creds[i]);
	ccache_contents_free(&c);
	return n;
}

static void
fresh_cache(struct ccache *cc, const char *who)
{
	struct ccache_principal p = princ(who);
	struct ccache_cred tgt = make_cred(who, "krbtgt/EXAMPLE.COM", 18, 1);

	EXPECT_EQ_INT(ccache_initialize(cc, &p), ORTH_OK);
	EXPECT_EQ_INT(ccache_store(cc, &tgt), ORTH_OK);
	ccache_cred_free(&tgt);
	ccache_principal_free(&p);
}

/* ccache_lock_mit: our store and read wait for a lock MIT's tools hold,
 * and what MIT appends meanwhile survives our store. */
static void
test_lock_mit(void)
{
	char name[300], *path = path_in_tmp("cc_lock");
	struct ccache *cc = NULL;

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	for (int ofd = 0; ofd < 2 && cc != NULL; ofd++) {
		struct ccache_cred ours = make_cred("alice", "host/ours", 18, 2);
		struct ccache_cred mit = make_cred("alice", "host/mit", 18, 3);
		struct ccache_contents snap = {0};
		size_t len;
		uint8_t *img = cred_bytes(&mit, &len);
		pid_t pid;
		int fd;

		fprintf(stderr, "-- lock held by MIT (%s lock)\n", ofd ? "OFD" : "POSIX");
		fresh_cache(cc, "alice");
		fd = open(path, O_RDWR | O_APPEND);
		EXPECT(fd >= 0 && lock_whole(fd, F_WRLCK, ofd) == 0);
		pid = fork();
		if (pid == 0)
			_exit(ccache_store(cc, &ours) == ORTH_OK ? 0 : 1);
		usleep(300000);
		EXPECT_EQ_INT(waitpid(pid, NULL, WNOHANG), 0);  /* store waits */
		/* MIT's store meanwhile: append under its lock. */
		EXPECT(write(fd, img, len) == (ssize_t)len);
		lock_whole(fd, F_UNLCK, ofd);
		close(fd);
		EXPECT_EQ_INT(wait_child(pid, 5000), 0);
		EXPECT_EQ_INT(count_tickets(cc), 3);  /* tgt, MIT's, ours */
		if (ccache_read(cc, &snap) == ORTH_OK && snap.ncreds == 3) {
			EXPECT(cred_eq(&snap.creds[1], &mit));
			EXPECT(cred_eq(&snap.creds[2], &ours));
		}
		ccache_contents_free(&snap);

		/* A reader waits for a writer too (no half-written cache). */
		fd = open(path, O_RDWR);
		EXPECT(fd >= 0 && lock_whole(fd, F_WRLCK, ofd) == 0);
		pid = fork();
		if (pid == 0)
			_exit(count_tickets(cc) == 3 ? 0 : 1);
		usleep(300000);
		EXPECT_EQ_INT(waitpid(pid, NULL, WNOHANG), 0);  /* read waits */
		lock_whole(fd, F_UNLCK, ofd);
		close(fd);
		EXPECT_EQ_INT(wait_child(pid, 5000), 0);

		/* And a writer waits for MIT's reader (read lock). */
		fd = open(path, O_RDONLY);
		EXPECT(fd >= 0 && lock_whole(fd, F_RDLCK, ofd) == 0);
		pid = fork();
		if (pid == 0)
			_exit(ccache_store(cc, &ours) == ORTH_OK ? 0 : 1);
		usleep(300000);
		EXPECT_EQ_INT(waitpid(pid, NULL, WNOHANG), 0);
		lock_whole(fd, F_UNLCK, ofd);
		close(fd);
		EXPECT_EQ_INT(wait_child(pid, 5000), 0);
		free(img);
		ccache_cred_free(&ours);
		ccache_cred_free(&mit);
	}
	ccache_close(cc);
	unlink(path);
}

/* ccache_parallel_stores: 12 processes store 10 tickets each at once;
 * all 120 land. */
static void
test_parallel_stores(void)
{
	char name[300], *path = path_in_tmp("cc_par");
	struct ccache *cc = NULL;
	pid_t pids[12];

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	if (cc == NULL)
		return;
	fresh_cache(cc, "alice");
	for (int w = 0; w < 12; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			int bad = 0;
			for (int k = 0; k < 10; k++) {
				char svc[64];
				struct ccache_cred c;
				snprintf(svc, sizeof(svc), "host/w%d-%d", w, k);
				c = make_cred("alice", svc, 18, k + 1);
				bad += ccache_store(cc, &c) != ORTH_OK;
				ccache_cred_free(&c);
			}
			_exit(bad);
		}
	}
	for (int w = 0; w < 12; w++)
		EXPECT_EQ_INT(wait_child(pids[w], 60000), 0);
	EXPECT_EQ_INT(count_tickets(cc), 1 + 12 * 10);
	ccache_close(cc);
	unlink(path);
}

/* ccache_reinit_race: a re-initialisation (kinit bob) while four
 * processes store into alice's cache: the cache names bob afterwards,
 * every time. */
static void
test_reinit_race(void)
{
	char name[300], *path = path_in_tmp("cc_reinit");
	struct ccache_principal bob = princ("bob");
	struct ccache *cc = NULL;
	int switched = 0;

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	for (int run = 0; run < 20 && cc != NULL; run++) {
		struct ccache_contents c = {0};
		struct ccache_principal p = {0};
		pid_t pids[4];

		fresh_cache(cc, "alice");
		for (int w = 0; w < 4; w++) {
			pids[w] = fork();
			if (pids[w] == 0) {
				for (int k = 0; k < 8; k++) {
					char svc[64];
					struct ccache_cred cr;
					snprintf(svc, sizeof(svc), "host/r%d-%d", w, k);
					cr = make_cred("alice", svc, 18, k + 1);
					(void)ccache_store(cc, &cr);
					ccache_cred_free(&cr);
				}
				_exit(0);
			}
		}
		usleep((useconds_t)(run % 5) * 2000);
		c.princ = bob;
		EXPECT_EQ_INT(ccache_write(cc, &c), ORTH_OK);
		for (int w = 0; w < 4; w++)
			EXPECT_EQ_INT(wait_child(pids[w], 60000), 0);
		if (ccache_default_principal_get(cc, &p) == ORTH_OK &&
		    ccache_principal_eq(&p, &bob))
			switched++;
		ccache_principal_free(&p);
	}
	EXPECT_EQ_INT(switched, 20);
	ccache_close(cc);
	ccache_principal_free(&bob);
	unlink(path);
}

/* ccache_keeps_owner_mode: a store and a re-initialisation keep the
 * file's mode (and, as root, a user's ownership). */
static void
test_owner_mode(void)
{
	char name[300], *path = path_in_tmp("cc_mode");
	struct ccache_principal bob = princ("bob");
	struct ccache_cred c = make_cred("alice", "host/x", 18, 4);
	struct ccache *cc = NULL;
	struct stat st;

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	if (cc == NULL)
		return;
	fresh_cache(cc, "alice");
	EXPECT_EQ_INT(chmod(path, 0640), 0);
	if (geteuid() == 0)
		EXPECT_EQ_INT(chown(path, 65534, 65534), 0);
	EXPECT_EQ_INT(ccache_store(cc, &c), ORTH_OK);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	EXPECT_EQ_INT(ccache_initialize(cc, &bob), ORTH_OK);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	if (geteuid() == 0) {
		pid_t pid;
		/* root's kvno or kinit on a user's cache */
		EXPECT(st.st_uid == 65534 && st.st_gid == 65534);
		/* A user re-initialising a cache it may write but not own, in
		 * a directory it may not write: rewritten in place, still
		 * root's. */
		EXPECT_EQ_INT(chown(path, 0, 0), 0);
		EXPECT_EQ_INT(chmod(path, 0666), 0);
		EXPECT_EQ_INT(chmod(tmpdir, 0755), 0);
		pid = fork();
		if (pid == 0) {
			struct ccache_principal p = {0};
			if (setgid(65534) != 0 || setuid(65534) != 0)
				_exit(100);
			fresh_cache(cc, "alice");
			_exit(ccache_default_principal_get(cc, &p) != ORTH_OK ||
			      strcmp((char *)p.comps[0].data, "alice") != 0);
		}
		EXPECT_EQ_INT(wait_child(pid, 10000), 0);
		EXPECT(stat(path, &st) == 0 && st.st_uid == 0 && (st.st_mode & 0777) == 0666);
		EXPECT_EQ_INT(count_tickets(cc), 1);
		chmod(tmpdir, 0700);
	} else {
		fprintf(stderr, "(not root: the owner part needs root; "
				"client_concurrency checks it)\n");
	}
	ccache_close(cc);
	ccache_cred_free(&c);
	ccache_principal_free(&bob);
	unlink(path);
}

/* ccache_eacces: the system's "permission denied" is ORTH_E_PERM, not an
 * input/output error (as an unprivileged user: root reads everything). */
static void
test_eacces(void)
{
	char name[300], dir[300], *path = path_in_tmp("cc_root");
	struct ccache *cc = NULL;
	pid_t pid;

	snprintf(name, sizeof(name), "FILE:%s", path);
	snprintf(dir, sizeof(dir), "%s/closed", tmpdir);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	if (cc == NULL)
		return;
	fresh_cache(cc, "alice");
	EXPECT_EQ_INT(chmod(path, 0600), 0);
	EXPECT_EQ_INT(chmod(tmpdir, 0755), 0);
	EXPECT_EQ_INT(mkdir(dir, 0755), 0);
	pid = fork();
	if (pid == 0) {
		struct ccache_contents snap = {0};
		struct ccache_principal p = princ("alice");
		struct ccache_cred c = make_cred("alice", "host/y", 18, 5);
		struct ccache *other = NULL;
		char oname[320];
		int bad = 0;
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(100);
		if (geteuid() != 0)
			chmod(path, 0600);
		bad += strcmp(orth_err_str(ccache_read(cc, &snap)), "permission denied") != 0;
		bad += strcmp(orth_err_str(ccache_store(cc, &c)), "permission denied") != 0;
		snprintf(oname, sizeof(oname), "FILE:%s/cc", dir);
		ccache_open(oname, &other);
		bad += strcmp(orth_err_str(ccache_initialize(other, &p)), "permission denied") != 0;
		_exit(bad);
	}
	EXPECT_EQ_INT(wait_child(pid, 10000), 0);
	chmod(tmpdir, 0700);
	rmdir(dir);
	ccache_close(cc);
	unlink(path);
}

/* A FIFO planted at a cache's name does not hang a reader. */
static void
test_fifo(void)
{
	char name[300], *path = path_in_tmp("cc_fifo");
	struct ccache *cc = NULL;
	pid_t pid;

	snprintf(name, sizeof(name), "FILE:%s", path);
	EXPECT_EQ_INT(mkfifo(path, 0600), 0);
	EXPECT_EQ_INT(ccache_open(name, &cc), ORTH_OK);
	pid = fork();
	if (pid == 0) {
		struct ccache_contents snap = {0};
		_exit(ccache_read(cc, &snap) == ORTH_E_IO ? 0 : 1);
	}
	EXPECT_EQ_INT(wait_child(pid, 5000), 0);
	ccache_close(cc);
	unlink(path);
}

int
main(void)
{
	char name[300];

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_principals();
	test_names();
	test_fixed_image();
	test_old_versions();
	test_store_enctypes();
	test_malformed();
	snprintf(name, sizeof(name), "FILE:%s", path_in_tmp("cc1"));
	exercise(name);
	exercise("MEMORY:one");
	test_file_specifics();
	test_encode_ranges();
	test_lock_mit();
	test_parallel_stores();
	test_reinit_race();
	test_owner_mode();
	test_eacces();
	test_fifo();
	rmdir(tmpdir);
	return test_done("ccache");
}
