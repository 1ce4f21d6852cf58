/*
 * test_mitdump.c - reading MIT krb5's `kdb5_util dump` (src/db/mitdump.h)
 * against a dump MIT 1.20 wrote (tests/unit/db/data/mit_realm, README
 * there): every line parses; the known answers are MIT's own: K/M's key
 * unseals with the stash's key to that same key, alice's current key is
 * the string-to-key of her password, and her history key (sealed under
 * kadmin/history's key) that of her first one.  Then the refusals: lines
 * cut or changed, XDR, keys, stashes.
 *
 *   test_mitdump                     run the checks
 *   test_mitdump --write-seeds DIR   also write the dump's lines to
 *                                    DIR/mitdump (fuzz/corpus/mitdump)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/dump.h"
#include "db/mitdump.h"
#include "../test.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif
#define DATA SRCDIR "/tests/unit/db/data/mit_realm/"

/* K/M's key, kvno 1, as the stash (a keytab) holds it. */
static const char stash_key_hex[] =
	"bf41b198569c5a623432e6b63256b29121ce21849c70a361def254cbcc0653c4";

static const char *seed_dir;

static void
unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i] != '\0'; i++) {
		unsigned v;
		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

struct lines {
	char *v[64];
	size_t n;
};

static void
dump_read(struct lines *l)
{
	FILE *f = fopen(DATA "dump", "r");
	static char buf[MITDUMP_MAX_LINE];
	size_t len;

	EXPECT(f != NULL);
	l->n = 0;
	while (f != NULL && l->n < 64 && db_line_read(f, buf, sizeof(buf), &len) == ORTH_OK)
		l->v[l->n++] = strndup(buf, len);
	if (f != NULL)
		fclose(f);
	if (seed_dir != NULL) {
		for (size_t i = 0; i < l->n; i++) {
			char path[1024];
			FILE *s;
			snprintf(path, sizeof(path), "%s/mitdump/line%02zu", seed_dir, i);
			s = fopen(path, "wb");
			if (s == NULL || fwrite(l->v[i], 1, strlen(l->v[i]), s) != strlen(l->v[i])) {
				perror(path);
				exit(1);
			}
			fclose(s);
		}
	}
}

/* The principal line of name. */
static const char *
princ_line(const struct lines *l, const char *name)
{
	char want[256];

	snprintf(want, sizeof(want), "\t%s\t", name);
	for (size_t i = 0; i < l->n; i++)
		if (strncmp(l->v[i], "princ\t", 6) == 0 && strstr(l->v[i], want) != NULL)
			return l->v[i];
	return NULL;
}

static orth_err
parse(const char *line, struct arena *a, enum mitdump_kind *kind, struct mit_princ *p,
      struct mit_policy *pol)
{
	char err[256];
	return mitdump_line_parse(line, strlen(line), 7, a, kind, p, pol, err, sizeof(err));
}

static bool
same_key(const struct crypto_key *a, const struct crypto_key *b)
{
	size_t la, lb;
	const uint8_t *pa = crypto_key_bytes(a, &la), *pb = crypto_key_bytes(b, &lb);
	return crypto_key_enctype(a) == crypto_key_enctype(b) && la == lb &&
	       memcmp(pa, pb, la) == 0;
}

/* The string-to-key of pw for principal salt salt and enctype et. */
static struct crypto_key *
s2k(int32_t et, const char *pw, const char *salt)
{
	struct crypto_key *k = NULL;
	EXPECT_EQ_INT(crypto_string_to_key(et, pw, strlen(pw), (const uint8_t *)salt, strlen(salt),
					   NULL, 0, &k),
		      ORTH_OK);
	return k;
}

static void
test_real_dump(const struct lines *l, struct arena *a)
{
	uint8_t kb[32];
	struct crypto_key *mkey = NULL, *k = NULL, *want = NULL, *hkey = NULL;
	enum mitdump_kind kind;
	struct mit_princ p;
	struct mit_policy pol;
	struct mit_kadm kadm;
	const struct mit_tl *tl;
	uint32_t u = 0;
	uint16_t mkvno = 0;
	unsigned version = 0;
	const char *mod_by = NULL;
	char err[256];
	size_t nprinc = 0, npol = 0;

	unhex(stash_key_hex, kb);
	EXPECT_EQ_INT(crypto_key_new(18, kb, 32, &mkey), ORTH_OK);
	EXPECT(l->n == 12);
	EXPECT_EQ_INT(mitdump_header_parse(l->v[0], strlen(l->v[0]), &version, err, sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(version, 7);

	/* every line parses */
	for (size_t i = 1; i < l->n; i++) {
		arena_reset(a);
		EXPECT_EQ_INT(parse(l->v[i], a, &kind, &p, &pol), ORTH_OK);
		nprinc += kind == MITDUMP_PRINC;
		npol += kind == MITDUMP_POLICY;
	}
	EXPECT_EQ_INT(nprinc, 9);
	EXPECT_EQ_INT(npol, 2);

	/* K/M's key is the master key, sealed under itself */
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ_line(l, "K/M@MIT.TEST"), a, &kind, &p, &pol), ORTH_OK);
	EXPECT_EQ_INT(p.nkeys, 1);
	EXPECT_EQ_INT(p.keys[0].kvno, 1);
	EXPECT_EQ_INT(p.attributes, 0x800040); /* lockdown-keys, disallow-all-tix */
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &p.keys[0], &k), ORTH_OK);
	EXPECT(k != NULL && same_key(k, mkey));
	crypto_key_free(k);
	k = NULL;

	/* kadmin/history's key (kvno 2) */
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ_line(l, "kadmin/history@MIT.TEST"), a, &kind, &p, &pol), ORTH_OK);
	EXPECT_EQ_INT(p.keys[0].kvno, 2);
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &p.keys[0], &hkey), ORTH_OK);

	/* alice: fields, tl-data, her keys and her history */
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ_line(l, "alice@MIT.TEST"), a, &kind, &p, &pol), ORTH_OK);
	EXPECT(strcmp(p.name, "alice@MIT.TEST") == 0);
	EXPECT_EQ_INT(p.attributes, 0x80);
	EXPECT_EQ_INT(p.max_life, 86400);
	EXPECT_EQ_INT(p.pw_expiration, 1803961638u);
	EXPECT_EQ_INT(p.ntl, 4);
	EXPECT_EQ_INT(p.nkeys, 6);
	EXPECT_EQ_INT(mitdump_tl_u16(&p, MIT_TL_MKVNO, &mkvno), ORTH_OK);
	EXPECT_EQ_INT(mkvno, 1);
	EXPECT_EQ_INT(mitdump_tl_u32(&p, MIT_TL_LAST_PWD_CHANGE, &u), ORTH_OK);
	EXPECT_EQ_INT(u, 1796185638u);
	EXPECT_EQ_INT(mitdump_tl_u32(&p, MIT_TL_LAST_ADMIN_UNLOCK, &u), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(mitdump_tl_mod_princ(&p, a, &u, &mod_by), ORTH_OK);
	EXPECT(strcmp(mod_by, "root/admin@MIT.TEST") == 0);
	EXPECT_EQ_INT(u, 1796185638u);
	for (size_t i = 0; i < p.nkeys; i++) {
		EXPECT_EQ_INT(p.keys[i].kvno, 2);
		EXPECT_EQ_INT(p.keys[i].ver, 1); /* normal salt */
	}
	EXPECT_EQ_INT(p.keys[0].type[0], 18);
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &p.keys[0], &k), ORTH_OK);
	want = s2k(18, "Alice-pass2", "MIT.TESTalice");
	EXPECT(k != NULL && same_key(k, want));
	crypto_key_free(k);
	crypto_key_free(want);
	k = NULL;
	/* camellia256 and rc4: not ours, not decrypted */
	EXPECT_EQ_INT(p.keys[4].type[0], 26);
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &p.keys[4], &k), ORTH_E_ENCTYPE);
	EXPECT(strcmp(mitdump_enctype_name(26), "camellia256-cts-cmac") == 0);
	EXPECT(strcmp(mitdump_enctype_name(23), "arcfour-hmac") == 0);
	EXPECT(strcmp(mitdump_enctype_name(18), "aes256-cts-hmac-sha1-96") == 0);
	EXPECT(mitdump_enctype_name(9999) == NULL);
	/* a wrong key: not the master key */
	EXPECT_EQ_INT(mitdump_key_unseal(hkey, &p.keys[0], &k), ORTH_E_MASTERKEY);

	tl = mitdump_tl_find(&p, MIT_TL_KADM_DATA);
	EXPECT(tl != NULL);
	EXPECT_EQ_INT(mitdump_kadm_decode(tl->data, tl->len, a, &kadm), ORTH_OK);
	EXPECT(kadm.policy != NULL && strcmp(kadm.policy, "strict") == 0);
	EXPECT_EQ_INT(kadm.aux_attributes, MIT_KADM5_POLICY);
	EXPECT_EQ_INT(kadm.hist_kvno, 2);
	EXPECT_EQ_INT(kadm.nhist, 1);
	EXPECT_EQ_INT(kadm.hist[0].nkeys, 6);
	EXPECT_EQ_INT(kadm.hist[0].keys[0].kvno, 1);
	EXPECT_EQ_INT(mitdump_key_unseal(hkey, &kadm.hist[0].keys[0], &k), ORTH_OK);
	want = s2k(18, "Alice-pass1", "MIT.TESTalice");
	EXPECT(k != NULL && same_key(k, want));
	crypto_key_free(k);
	crypto_key_free(want);
	k = NULL;
	/* the history is not under the master key */
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &kadm.hist[0].keys[0], &k), ORTH_E_MASTERKEY);
	/* XDR cut at every length: refused, never read past */
	for (size_t n = 0; n < tl->len; n++)
		EXPECT(mitdump_kadm_decode(tl->data, n, a, &kadm) != ORTH_OK);

	/* carol: times; bob: AES-SHA2 */
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ_line(l, "carol@MIT.TEST"), a, &kind, &p, &pol), ORTH_OK);
	EXPECT_EQ_INT(p.expiration, 1924992000u);
	EXPECT_EQ_INT(p.pw_expiration, 1906502400u);
	EXPECT_EQ_INT(p.max_life, 14400);
	EXPECT_EQ_INT(p.max_renew, 172800);
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ_line(l, "bob@MIT.TEST"), a, &kind, &p, &pol), ORTH_OK);
	EXPECT_EQ_INT(p.nkeys, 2);
	EXPECT_EQ_INT(p.keys[1].type[0], 20);
	EXPECT_EQ_INT(mitdump_key_unseal(mkey, &p.keys[1], &k), ORTH_OK);
	want = s2k(20, "bobpassword", "MIT.TESTbob");
	EXPECT(k != NULL && same_key(k, want));
	crypto_key_free(k);
	crypto_key_free(want);
	k = NULL;

	/* policies */
	for (size_t i = 1; i < l->n; i++) {
		if (strncmp(l->v[i], "policy\tstrict", 13) != 0)
			continue;
		arena_reset(a);
		EXPECT_EQ_INT(parse(l->v[i], a, &kind, &p, &pol), ORTH_OK);
		EXPECT_EQ_INT(kind, MITDUMP_POLICY);
		EXPECT_EQ_INT(pol.pw_min_life, 3600);
		EXPECT_EQ_INT(pol.pw_max_life, 7776000);
		EXPECT_EQ_INT(pol.pw_min_length, 8);
		EXPECT_EQ_INT(pol.pw_min_classes, 2);
		EXPECT_EQ_INT(pol.pw_history_num, 3);
		EXPECT_EQ_INT(pol.pw_max_fail, 3);
		EXPECT_EQ_INT(pol.pw_failcnt_interval, 300);
		EXPECT_EQ_INT(pol.pw_lockout_duration, 600);
		EXPECT(pol.allowed_keysalts == NULL);
	}
	crypto_key_free(mkey);
	crypto_key_free(hkey);
}

/* Lines made or changed by hand: what MIT's formats allow and refuse. */
static void
test_lines(const struct lines *l, struct arena *a)
{
	static const struct {
		const char *line;
		unsigned version;
		orth_err want;
	} pol[] = {
		{"policy\tp\t1\t2\t3\t4\t5\t0", 5, ORTH_OK},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8", 6, ORTH_OK},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8", 7, ORTH_OK},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8\t0\t0\t0\t-\t1\t1\t2\t0102", 7, ORTH_OK},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8", 5, ORTH_E_MALFORMED},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8\t0\t0\t0\t-\t0", 6, ORTH_E_MALFORMED},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8\t0\t0\t0\t-\t1", 7, ORTH_E_MALFORMED},
		{"policy\tp\t1\t2\t3\t4\t5\t0\t6\t7\t8\t0\t0\t0\t-\t0\textra", 7, ORTH_E_MALFORMED},
		{"policy\tp\t1\t2\t3\t4\t5", 7, ORTH_E_MALFORMED},
		{"policy\tp\tx\t2\t3\t4\t5\t0", 7, ORTH_E_MALFORMED},
		{"policy\t\t1\t2\t3\t4\t5\t0", 7, ORTH_E_MALFORMED},
		{"policy\tp\t4294967296\t2\t3\t4\t5\t0", 7, ORTH_E_MALFORMED},
		{"polic\tp\t1\t2\t3\t4\t5\t0", 7, ORTH_E_MALFORMED},
		{"policy", 7, ORTH_E_MALFORMED},
	};
	static const char *const princ[] = {
		/* counts, name, 8 numbers, e-data */
		"princ\t38\t3\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",
		"princ\t38\t5\t0\t0\t0\ta b@R\t-1\t0\t0\t4294967295\t0\t0\t0\t0\t-1;",
		"princ\t38\t3\t1\t1\t2\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t8\t2\t0100\t2\t5\t18\t3\t0a0b0c\t4\t0\t-1\tbeef;",
	};
	static const char *const bad[] = {
		"princ\t38\t4\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",     /* name length */
		"princ\t38\t3\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1",      /* no ';' */
		"princ\t38\t3\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;\t",   /* after ';' */
		"princ\t38\t3\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t-1;",        /* 7 numbers */
		"princ\t38\t3\t1\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",     /* tl missing */
		"princ\t38\t3\t1\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t1\t2\t01\t-1;", /* short hex */
		"princ\t38\t3\t1\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t1\t1\tzz\t-1;", /* bad hex */
		"princ\t38\t3\t1\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t1\t0\t00\t-1;", /* 0 is -1 */
		"princ\t38\t3\t0\t1\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t3\t1\t18\t1\t00\t-1;", /* ver 3 */
		"princ\t38\t3\t0\t1\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t1\t70000\t18\t1\t00\t-1;",
		"princ\t38\t3\t0\t1\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t1\t1\t18\t1\t-1;",
		"princ\t38\t3\t65\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",   /* tl cap */
		"princ\t38\t3\t0\t0\t1\ta@R\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",     /* e-data */
		"princ\t38\t0\t0\t0\t0\t\t0\t0\t0\t0\t0\t0\t0\t0\t-1;",
		"princ\t38\t3\t0\t0\t0\ta@R",
		"princ\t38\t3\t0\t0\t0\ta@R\t0\t0\t0\t0\t0\t0\t0\t9999999999\t-1;",
		"princ",
		"",
		"end",
	};
	enum mitdump_kind kind;
	struct mit_princ p;
	struct mit_policy pl;
	char err[256], *mod;
	unsigned v = 0;
	uint16_t u16;
	struct crypto_key *k = NULL;

	for (size_t i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		arena_reset(a);
		EXPECT_EQ_INT(mitdump_line_parse(pol[i].line, strlen(pol[i].line), pol[i].version, a,
						 &kind, &p, &pl, err, sizeof(err)),
			      pol[i].want);
	}
	arena_reset(a);
	EXPECT_EQ_INT(parse(pol[3].line, a, &kind, &p, &pl), ORTH_OK);
	EXPECT_EQ_INT(pl.pw_lockout_duration, 8);
	EXPECT_EQ_INT(pl.ntl, 1);
	for (size_t i = 0; i < sizeof(princ) / sizeof(princ[0]); i++) {
		arena_reset(a);
		EXPECT_EQ_INT(parse(princ[i], a, &kind, &p, &pl), ORTH_OK);
		EXPECT_EQ_INT(kind, MITDUMP_PRINC);
	}
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ[1], a, &kind, &p, &pl), ORTH_OK);
	EXPECT(strcmp(p.name, "a b@R") == 0);
	EXPECT_EQ_INT(p.attributes, 0xffffffffu);
	EXPECT_EQ_INT(p.expiration, 4294967295u);
	arena_reset(a);
	EXPECT_EQ_INT(parse(princ[2], a, &kind, &p, &pl), ORTH_OK);
	EXPECT_EQ_INT(p.keys[0].ver, 2);
	EXPECT_EQ_INT(p.keys[0].kvno, 5);
	EXPECT_EQ_INT(p.keys[0].type[1], MIT_SALT_SPECIAL);
	EXPECT_EQ_INT(p.keys[0].length[1], 0);
	EXPECT_EQ_INT(p.e_len, 2);
	EXPECT_EQ_INT(mitdump_tl_u16(&p, MIT_TL_MKVNO, &u16), ORTH_OK);
	EXPECT_EQ_INT(u16, 1);
	EXPECT_EQ_INT(mitdump_tl_mod_princ(&p, a, &v, (const char **)&mod), ORTH_E_NOTFOUND);
	/* a key with a bad length prefix (3 bytes of ciphertext, length 0x0b0a) */
	EXPECT_EQ_INT(mitdump_key_unseal(NULL, &p.keys[0], &k), ORTH_E_MALFORMED);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arena_reset(a);
		err[0] = '\0';
		EXPECT(parse(bad[i], a, &kind, &p, &pl) != ORTH_OK);
		if (parse(bad[i], a, &kind, &p, &pl) == ORTH_OK)
			fprintf(stderr, "accepted: %s\n", bad[i]);
	}
	/* every prefix of a real line is refused */
	{
		const char *line = princ_line(l, "alice@MIT.TEST");
		for (size_t n = 0; line != NULL && n < strlen(line); n++) {
			arena_reset(a);
			EXPECT(mitdump_line_parse(line, n, 7, a, &kind, &p, &pl, err, sizeof(err)) !=
			       ORTH_OK);
		}
	}

	/* headers */
	{
		static const struct {
			const char *h;
			orth_err want;
			unsigned v;
		} h[] = {
			{"kdb5_util load_dump version 7", ORTH_OK, 7},
			{"kdb5_util load_dump version 6", ORTH_OK, 6},
			{"kdb5_util load_dump version 5", ORTH_OK, 5},
			{"kdb5_util load_dump version 8", ORTH_E_MALFORMED, 0},
			{"kdb5_util load_dump version 4", ORTH_E_RANGE, 0},
			{"kdb5_edit load_dump version 3.0", ORTH_E_RANGE, 0},
			{"OpenV*Secure V1.0\t7", ORTH_E_RANGE, 0},
			{"ipropx\t1\t2", ORTH_E_RANGE, 0},
			{"orthrus-dump 3", ORTH_E_MALFORMED, 0},
			{"", ORTH_E_MALFORMED, 0},
		};
		for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
			v = 0;
			err[0] = '\0';
			EXPECT_EQ_INT(mitdump_header_parse(h[i].h, strlen(h[i].h), &v, err, sizeof(err)),
				      h[i].want);
			EXPECT_EQ_INT(v, h[i].v);
			EXPECT(h[i].want == ORTH_OK || err[0] != '\0');
		}
	}
}

static void
test_stash(void)
{
	uint8_t le[6 + 32], be[6 + 32], kb[32];
	struct crypto_key *k = NULL, *want = NULL;
	int32_t et = 0;
	FILE *f;
	uint8_t file[128];
	size_t n;

	unhex(stash_key_hex, kb);
	EXPECT_EQ_INT(crypto_key_new(18, kb, 32, &want), ORTH_OK);
	/* the key in the committed stash (a keytab) */
	f = fopen(DATA "stash", "rb");
	n = f != NULL ? fread(file, 1, sizeof(file), f) : 0;
	if (f != NULL)
		fclose(f);
	EXPECT(n == 73 && file[0] == 5 && file[1] == 2 && memcmp(file + 37, kb, 32) == 0);

	memcpy(le, "\x12\x00\x20\x00\x00\x00", 6);
	memcpy(le + 6, kb, 32);
	memcpy(be, "\x00\x12\x00\x00\x00\x20", 6);
	memcpy(be + 6, kb, 32);
	EXPECT_EQ_INT(mitdump_stash_legacy_decode(le, sizeof(le), &et, &k), ORTH_OK);
	EXPECT(k != NULL && same_key(k, want));
	crypto_key_free(k);
	k = NULL;
	EXPECT_EQ_INT(mitdump_stash_legacy_decode(be, sizeof(be), &et, &k), ORTH_OK);
	EXPECT(k != NULL && same_key(k, want));
	crypto_key_free(k);
	k = NULL;
	EXPECT_EQ_INT(mitdump_stash_legacy_decode(le, sizeof(le) - 1, &et, &k), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(mitdump_stash_legacy_decode(le, 5, &et, &k), ORTH_E_MALFORMED);
	le[0] = 16; /* des3-cbc-sha1: not ours */
	le[2] = 24;
	EXPECT_EQ_INT(mitdump_stash_legacy_decode(le, 6 + 24, &et, &k), ORTH_E_ENCTYPE);
	EXPECT_EQ_INT(et, 16);
	crypto_key_free(want);
}

int
main(int argc, char **argv)
{
	struct arena a;
	struct lines l;

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	EXPECT_EQ_INT(arena_init(&a, 1 << 22), ORTH_OK);
	dump_read(&l);
	test_real_dump(&l, &a);
	test_lines(&l, &a);
	test_stash();
	for (size_t i = 0; i < l.n; i++)
		free(l.v[i]);
	arena_free(&a);
	return test_done("mitdump");
}
