/*
 * test_db_dump.c - the text dump (src/db/dump.h): the principal and policy
 * line codec as vectors (exact text both ways), refused lines, times and
 * escapes, and whole dumps written and loaded over real databases (the
 * new text format, and the hex records of versions 1 and 2).
 *
 *   test_db_dump                     run the checks
 *   test_db_dump --write-seeds DIR   also write lines to DIR/db_dump (the
 *                                    seeds of fuzz/corpus/db_dump)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/writer.h"
#include "db/dump.h"
#include "../test.h"

static const char *seed_dir;
static int seed_n;

static void
seed_write(const char *text)
{
	char path[1024];
	FILE *f;

	if (seed_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/db_dump/line%02d", seed_dir, seed_n++);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(text, 1, strlen(text), f) != strlen(text)) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

static const uint8_t enc1[] = {0xde, 0xad, 0xbe, 0xef, 0x01, 0x02};
static const uint8_t s2k[] = {0, 0, 0x10, 0};

static void
fill(struct db_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name = "alice@EX.COM";
	e->attributes = DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_OK_AS_DELEGATE;
	e->max_life = 36000;
	e->max_renew = 604800;
	e->princ_expire = 0;
	e->pw_expire = 2000000000;
	e->last_pw_change = 1700000000;
	e->mod_time = -5;
	e->mod_by = "local:root";
	e->policy = "strict";
	e->fail_count = 2;
	e->last_failed = 1700000100;
	e->nkeysets = 2;
	e->keysets[0].kvno = 3;
	e->keysets[0].nkeys = 2;
	e->keysets[0].keys[0] = (struct db_key){
		18, DB_SALT_NORMAL, (const uint8_t *)"EX.COMalice", 11, s2k, 4, enc1, 6,
		DB_SEAL_BOUND, 3};
	e->keysets[0].keys[1] = (struct db_key){
		17, DB_SALT_SPECIAL, (const uint8_t *)"a b%c\n", 6, NULL, 0, enc1, 2,
		DB_SEAL_RAW, 3};
	e->keysets[1].kvno = 2;
	e->keysets[1].nkeys = 1;
	e->keysets[1].keys[0] = (struct db_key){
		99, 7, NULL, 0, NULL, 0, enc1, 1, DB_SEAL_BOUND, 2};
	e->nhist = 1;
	e->hist[0] = (struct db_key){
		20, DB_SALT_NORMAL, (const uint8_t *)"EX.COMalice", 11, NULL, 0, enc1, 3,
		DB_SEAL_BOUND, 1};
}

static const char alice_line[] =
	"principal alice@EX.COM attributes=requires-preauth,ok-as-delegate max_life=36000 "
	"max_renew=604800 princ_expire=never pw_expire=2033-05-18T03:33:20Z "
	"last_pw_change=2023-11-14T22:13:20Z mod_time=-5 mod_by=local:root policy=strict "
	"fail_count=2 last_failed=2023-11-14T22:15:00Z last_success=never "
	"key kvno=3 enctype=aes256-cts-hmac-sha1-96 salt_type=normal salt=EX.COMalice "
	"s2kparams=00001000 seal=bound sealed=deadbeef0102 "
	"key kvno=3 enctype=aes128-cts-hmac-sha1-96 salt_type=special salt=a%20b%25c%0a "
	"seal=raw sealed=dead "
	"key kvno=2 enctype=99 salt_type=7 salt= seal=bound sealed=de "
	"hist kvno=1 enctype=aes256-cts-hmac-sha384-192 salt_type=normal salt=EX.COMalice "
	"seal=bound sealed=deadbe";

/* The record encodings of two entries are equal: every field is. */
static bool
same_entry(const struct db_entry *a, const struct db_entry *b)
{
	static uint8_t ra[DB_MAX_RECORD], rb[DB_MAX_RECORD];
	size_t la = 0, lb = 0;

	return db_entry_encode(a, ra, sizeof(ra), &la) == ORTH_OK &&
	       db_entry_encode(b, rb, sizeof(rb), &lb) == ORTH_OK && la == lb &&
	       memcmp(ra, rb, la) == 0;
}

static orth_err
parse(const char *line, struct arena *a, struct db_entry *e, char *err)
{
	err[0] = '\0';
	return db_dump_entry_parse(line, strlen(line), a, e, err, 256);
}

static orth_err
parse_n(const char *line, size_t len, struct arena *a, struct db_entry *e, char *err)
{
	err[0] = '\0';
	return db_dump_entry_parse(line, len, a, e, err, 256);
}

static void
test_entry_vectors(struct arena *a)
{
	static char buf[DB_DUMP_MAX_LINE];
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	struct writer w;
	char err[256];

	fill(e);
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_OK);
	EXPECT_EQ_INT(w.len, strlen(alice_line));
	EXPECT(w.len == strlen(alice_line) && memcmp(buf, alice_line, w.len) == 0);
	if (w.len != strlen(alice_line) || memcmp(buf, alice_line, w.len) != 0)
		fprintf(stderr, "got:  %.*s\nwant: %s\n", (int)w.len, buf, alice_line);
	seed_write(alice_line);

	EXPECT_EQ_INT(parse(alice_line, a, d, err), ORTH_OK);
	EXPECT(same_entry(e, d));
	EXPECT_EQ_INT(d->keysets[0].keys[1].salt_len, 6);
	EXPECT(memcmp(d->keysets[0].keys[1].salt, "a b%c\n", 6) == 0);
	EXPECT_EQ_INT(d->keysets[1].keys[0].enctype, 99);
	EXPECT_EQ_INT(d->hist[0].kvno, 1);

	/* fields in another order, an escaped character that needs none,
	 * upper-case hex: the same entry */
	EXPECT_EQ_INT(parse("principal %61lice@EX.COM last_success=never attributes=none "
			    "max_life=0 max_renew=0 princ_expire=0 pw_expire=never "
			    "last_pw_change=never mod_time=never mod_by= policy= fail_count=0 "
			    "last_failed=never key seal=bound sealed=DEAD kvno=1 enctype=18 "
			    "salt= salt_type=normal",
			    a, d, err),
		      ORTH_OK);
	EXPECT(strcmp(d->name, "alice@EX.COM") == 0);
	EXPECT_EQ_INT(d->nkeysets, 1);
	EXPECT_EQ_INT(d->keysets[0].keys[0].enc_len, 2);
	EXPECT_EQ_INT(d->keysets[0].keys[0].enc[0], 0xde);

	/* an entry without keys, unknown attribute bits */
	memset(e, 0, sizeof(*e));
	e->name = "two words@EX.COM";
	e->attributes = 0x80000400u | DB_ATTR_LOCKDOWN_KEYS;
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_OK);
	buf[w.len] = '\0';
	EXPECT(strstr(buf, "principal two%20words@EX.COM attributes=0x400,lockdown-keys,0x80000000 "
			   "max_life=0") == buf);
	EXPECT(strstr(buf, " mod_by= policy= fail_count=0 ") != NULL);
	seed_write(buf);
	EXPECT_EQ_INT(parse(buf, a, d, err), ORTH_OK);
	EXPECT(same_entry(e, d));

	/* an empty key set cannot be written */
	fill(e);
	e->keysets[1].nkeys = 0;
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_E_RANGE);
	/* a writer too small */
	fill(e);
	writer_init(&w, buf, 100);
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_E_LIMIT);
	free(e);
	free(d);
}

/* The delegation targets (record version 4): written after last_success
 * as one escaped comma list, ',' in a name as %2c; left out when empty (so
 * alice_line above is what the version 3 code wrote); refused when empty,
 * with an empty name or over the limit. */
static void
test_deleg(struct arena *a)
{
	static char buf[DB_DUMP_MAX_LINE], line[8192];
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	struct writer w;
	char err[256];
	size_t n;

	fill(e);
	e->nkeysets = 0;
	e->nhist = 0;
	e->ndeleg = 2;
	e->deleg[0] = "host/b.test@EX.COM";
	e->deleg[1] = "odd,name@EX.COM";
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_OK);
	buf[w.len] = '\0';
	EXPECT(strstr(buf, " last_success=never deleg=host/b.test@EX.COM,odd%2cname@EX.COM") !=
	       NULL);
	seed_write(buf);
	EXPECT_EQ_INT(parse(buf, a, d, err), ORTH_OK);
	EXPECT(same_entry(e, d));
	EXPECT(d->ndeleg == 2 && strcmp(d->deleg[1], "odd,name@EX.COM") == 0);
	/* empty, as an empty s2kparams: no targets */
	n = (size_t)(strstr(buf, " deleg=") - buf);
	snprintf(line, sizeof(line), "%.*s deleg=", (int)n, buf);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_OK);
	EXPECT_EQ_INT(d->ndeleg, 0);
	/* refused: an empty name, too many */
	snprintf(line, sizeof(line), "%.*s deleg=a@EX.COM,,b@EX.COM", (int)n, buf);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_E_MALFORMED);
	snprintf(line, sizeof(line), "%.*s deleg=a@EX.COM,", (int)n, buf);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_E_MALFORMED);
	EXPECT(strstr(err, "deleg") != NULL);
	writer_init(&w, line, sizeof(line));
	writer_put(&w, buf, n);
	writer_put(&w, " deleg=", 7);
	for (int i = 0; i <= DB_MAX_DELEG; i++) {
		char one[32];
		int k = snprintf(one, sizeof(one), "%sh/%d@EX.COM", i ? "," : "", i);
		writer_put(&w, one, (size_t)k);
	}
	EXPECT_EQ_INT(parse_n(line, w.len, a, d, err), ORTH_E_LIMIT);
	free(e);
	free(d);
}

/* Refused lines: each a change of a valid one, and the reason. */
static void
test_entry_refused(struct arena *a)
{
	static const char head[] =
		"principal a@R attributes=none max_life=0 max_renew=0 princ_expire=never "
		"pw_expire=never last_pw_change=never mod_time=never mod_by= policy= "
		"fail_count=0 last_failed=never last_success=never";
	static const char key3[] = " key kvno=3 enctype=18 salt_type=normal salt= seal=bound sealed=00";
	static const struct {
		const char *tail;  /* after head, or the whole line when it starts with '!' */
		orth_err want;
		const char *why;
	} v[] = {
		{" colour=blue", ORTH_E_MALFORMED, "unknown field 'colour'"},
		{" max_life=1", ORTH_E_MALFORMED, "field max_life twice"},
		{"!principal a@R attributes=none", ORTH_E_TRUNCATED, "field max_life missing"},
		{" key kvno=3 enctype=18 salt_type=normal salt= seal=bound", ORTH_E_TRUNCATED,
		 "key: field sealed missing"},
		{" key kvno=1 enctype=18 salt_type=normal salt= seal=sealed sealed=00",
		 ORTH_E_MALFORMED, "field seal: not a valid value"},
		{" key kvno=1 enctype=18 salt_type=normal salt= seal=bound sealed=0",
		 ORTH_E_MALFORMED, "field sealed"},
		{" key kvno=1 enctype=18 salt_type=normal salt= seal=bound sealed=0g",
		 ORTH_E_MALFORMED, "field sealed"},
		{" key kvno=1 enctype=18 salt_type=normal salt=%4 seal=bound sealed=00",
		 ORTH_E_MALFORMED, "field salt"},
		{" key kvno=1 enctype=18 salt_type=normal salt=%zz seal=bound sealed=00",
		 ORTH_E_MALFORMED, "field salt"},
		{" key kvno=4294967296 enctype=18 salt_type=normal salt= seal=bound sealed=00",
		 ORTH_E_RANGE, "field kvno: out of range"},
		{" key kvno=-1 enctype=18 salt_type=normal salt= seal=bound sealed=00",
		 ORTH_E_MALFORMED, "field kvno"},
		{" key kvno=1 enctype=des-cbc-crc salt_type=normal salt= seal=bound sealed=00",
		 ORTH_E_MALFORMED, "field enctype"},
		{" key kvno=1 enctype=18 salt_type=65536 salt= seal=bound sealed=00",
		 ORTH_E_RANGE, "field salt_type"},
		{" key kvno=1 enctype=18 salt_type=normal salt= seal=bound sealed=00 key kvno=3 "
		 "enctype=18 salt_type=normal salt= seal=bound sealed=00",
		 ORTH_E_MALFORMED, "key kvno 3 after kvno 1"},
		{" hist kvno=1 enctype=18 salt_type=normal salt= seal=bound sealed=00 key kvno=3 "
		 "enctype=18 salt_type=normal salt= seal=bound sealed=00",
		 ORTH_E_MALFORMED, "a key after the history"},
		{" lock kvno=1", ORTH_E_MALFORMED, "neither a field, key nor hist"},
		{" ", ORTH_E_MALFORMED, "space at the end"},
		{"  key", ORTH_E_MALFORMED, "empty field"},
		{"!principal  a@R", ORTH_E_MALFORMED, "bad or missing name"},
		{"!principal", ORTH_E_MALFORMED, "bad or missing name"},
		{"!princ a@R", ORTH_E_MALFORMED, "not a principal line"},
		{"!principal a\tb@R", ORTH_E_MALFORMED, "bad or missing name"},
		{"!principal a%00b@R", ORTH_E_MALFORMED, "bad or missing name"},
	};
	static const char *const fields[] = {
		"max_life=1x", "max_life=", "max_life=99999999999999999999",
		"max_life=-9223372036854775809", "fail_count=-1", "last_failed=2023-02-29T00:00:00Z",
		"last_failed=2023-13-01T00:00:00Z", "last_failed=2023-01-01T24:00:00Z",
		"last_failed=2023-01-01 00:00:00", "last_failed=2023-01-01T00:00:00",
		"attributes=requires-preauth,", "attributes=,", "attributes=flying",
		"attributes=0x", "attributes=0x0", "attributes=0x1ffffffff", "mod_by=a%00b",
	};
	static char line[4096];
	struct db_entry *d = calloc(1, sizeof(*d));
	char err[256];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].tail[0] == '!')
			snprintf(line, sizeof(line), "%s", v[i].tail + 1);
		else
			snprintf(line, sizeof(line), "%s%s", head, v[i].tail);
		arena_reset(a);
		EXPECT_EQ_INT(parse(line, a, d, err), v[i].want);
		EXPECT(strstr(err, v[i].why) != NULL);
		if (strstr(err, v[i].why) == NULL)
			fprintf(stderr, "vector %zu: err '%s', want '%s'\n", i, err, v[i].why);
	}
	/* a bad value of each kind, put in place of the valid one */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *eq = strchr(fields[i], '=');
		char name[32];
		const char *at;

		snprintf(name, sizeof(name), " %.*s=", (int)(eq - fields[i]), fields[i]);
		at = strstr(head, name);
		EXPECT(at != NULL);
		if (at == NULL)
			continue;
		snprintf(line, sizeof(line), "%.*s %s%s", (int)(at - head), head, fields[i],
			 strchr(at + 1, ' ') != NULL ? strchr(at + 1, ' ') : "");
		arena_reset(a);
		EXPECT(parse(line, a, d, err) != ORTH_OK);
		EXPECT(strstr(err, name + 1) != NULL || strstr(err, "field") != NULL);
	}
	/* limits: DB_MAX_KEYS keys of one kvno, then one more */
	snprintf(line, sizeof(line), "%s", head);
	for (int i = 0; i < DB_MAX_KEYS; i++)
		strcat(line, key3);
	arena_reset(a);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_OK);
	EXPECT_EQ_INT(d->keysets[0].nkeys, DB_MAX_KEYS);
	strcat(line, key3);
	arena_reset(a);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_E_LIMIT);
	EXPECT(strstr(err, "more than 8 keys of kvno 3") != NULL);
	/* a line of kvnos 13..1: more key sets than a record holds */
	snprintf(line, sizeof(line), "%s", head);
	for (int i = DB_MAX_KEYSETS + 1; i >= 1; i--) {
		char k[128];
		snprintf(k, sizeof(k),
			 " key kvno=%d enctype=18 salt_type=normal salt= seal=bound sealed=00", i);
		strcat(line, k);
	}
	arena_reset(a);
	EXPECT_EQ_INT(parse(line, a, d, err), ORTH_E_LIMIT);
	EXPECT(strstr(err, "more than 12 key sets") != NULL);
	free(d);
}

static void
test_times(struct arena *a)
{
	static const struct {
		int64_t t;
		const char *text;
	} v[] = {
		{0, "never"},
		{1, "1970-01-01T00:00:01Z"},
		{951782400, "2000-02-29T00:00:00Z"},
		{4107542400, "2100-03-01T00:00:00Z"},
		{253402300799LL, "9999-12-31T23:59:59Z"},
		{253402300800LL, "253402300800"},
		{-1, "-1"},
		{INT64_MIN, "-9223372036854775808"},
		{INT64_MAX, "9223372036854775807"},
	};
	static char buf[DB_DUMP_MAX_LINE];
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	char want[64], err[256];
	struct writer w;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(e, 0, sizeof(*e));
		e->name = "t@R";
		e->princ_expire = v[i].t;
		writer_init(&w, buf, sizeof(buf) - 1);
		EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_OK);
		buf[w.len] = '\0';
		snprintf(want, sizeof(want), " princ_expire=%s ", v[i].text);
		EXPECT(strstr(buf, want) != NULL);
		arena_reset(a);
		EXPECT_EQ_INT(parse(buf, a, d, err), ORTH_OK);
		EXPECT_EQ_INT(d->princ_expire, v[i].t);
	}
	free(e);
	free(d);
}

static void
test_policy_lines(struct arena *a)
{
	static const char line[] =
		"policy strict pw_max_life=7776000 pw_min_life=3600 pw_min_length=12 "
		"pw_min_classes=3 pw_history_num=3 pw_max_fail=5 pw_failcnt_interval=300 "
		"pw_lockout_duration=0 allowed_enctypes=aes256-cts-hmac-sha1-96,"
		"aes128-cts-hmac-sha256-128";
	static const char *const bad[] = {
		"policy strict pw_max_life=1",
		"policy pw_max_life=1 pw_min_life=0",
		"policy strict pw_max_life=0 pw_min_life=0 pw_min_length=0 pw_min_classes=6 "
		"pw_history_num=0 pw_max_fail=0 pw_failcnt_interval=0 pw_lockout_duration=0 "
		"allowed_enctypes=any",
		"policy strict pw_max_life=-1 pw_min_life=0 pw_min_length=0 pw_min_classes=0 "
		"pw_history_num=0 pw_max_fail=0 pw_failcnt_interval=0 pw_lockout_duration=0 "
		"allowed_enctypes=any",
		"policy strict pw_max_life=0 pw_min_life=0 pw_min_length=0 pw_min_classes=0 "
		"pw_history_num=0 pw_max_fail=0 pw_failcnt_interval=0 pw_lockout_duration=0 "
		"allowed_enctypes=",
		"policy strict pw_max_life=0 pw_min_life=0 pw_min_length=0 pw_min_classes=0 "
		"pw_history_num=0 pw_max_fail=0 pw_failcnt_interval=0 pw_lockout_duration=0 "
		"allowed_enctypes=any extra",
		"policy strict pw_max_life=0 pw_min_life=0 pw_min_length=0 pw_min_classes=0 "
		"pw_history_num=0 pw_max_fail=0 pw_failcnt_interval=0 pw_lockout_duration=0 "
		"allowed_enctypes=18,18,18,18,18,18,18,18,18",
	};
	static char buf[4096];
	struct db_policy p;
	struct writer w;
	char err[256];

	EXPECT_EQ_INT(db_dump_policy_parse(line, strlen(line), a, &p, err, sizeof(err)), ORTH_OK);
	EXPECT(strcmp(p.name, "strict") == 0);
	EXPECT_EQ_INT(p.pw_max_life, 7776000);
	EXPECT_EQ_INT(p.pw_min_classes, 3);
	EXPECT_EQ_INT(p.n_allowed, 2);
	EXPECT_EQ_INT(p.allowed_enctypes[1], 19);
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(db_dump_policy_format(&p, &w), ORTH_OK);
	EXPECT(w.len == strlen(line) && memcmp(buf, line, w.len) == 0);
	seed_write(line);
	p.n_allowed = 0;
	writer_init(&w, buf, sizeof(buf) - 1);
	EXPECT_EQ_INT(db_dump_policy_format(&p, &w), ORTH_OK);
	buf[w.len] = '\0';
	EXPECT(strstr(buf, " allowed_enctypes=any") != NULL);
	seed_write(buf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arena_reset(a);
		EXPECT(db_dump_policy_parse(bad[i], strlen(bad[i]), a, &p, err, sizeof(err)) !=
		       ORTH_OK);
	}
}

/* ---- whole dumps over databases ---- */

static FILE *
text_file(const char *text)
{
	FILE *f = tmpfile();
	if (f != NULL) {
		fputs(text, f);
		rewind(f);
	}
	return f;
}

static char *
file_text(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s != NULL && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = '\0';
	return s;
}

static void
test_whole(const char *dir, struct arena *a)
{
	char path[256], path2[256], stash[256], err[512] = "", *t1, *t2, *legacy;
	struct db_options o, o2;
	struct db *db = NULL, *db2 = NULL;
	struct db_entry *e = calloc(1, sizeof(*e));
	struct db_keyset ks;
	struct db_policy p;
	struct crypto_key *k = NULL;
	struct db_dump_info info;
	struct writer w;
	static uint8_t rec[DB_MAX_RECORD];
	static char line[DB_DUMP_MAX_LINE];
	size_t rec_len = 0;
	FILE *f, *f2;
	const uint8_t *check;
	size_t check_len;

	snprintf(path, sizeof(path), "%s/a.mdb", dir);
	snprintf(path2, sizeof(path2), "%s/b.mdb", dir);
	snprintf(stash, sizeof(stash), "%s/stash", dir);
	o = (struct db_options){path, stash, "EX.COM", 0, true};
	o2 = (struct db_options){path2, stash, "EX.COM", 0, true};
	EXPECT_EQ_INT(db_create(&o, 18, NULL, false, &db, err, sizeof(err)), ORTH_OK);

	memset(&p, 0, sizeof(p));
	p.name = "strict";
	p.pw_history_num = 3;
	{
		struct db_txn *t = NULL;
		EXPECT_EQ_INT(db_txn_begin(db, &t), ORTH_OK);
		EXPECT_EQ_INT(db_txn_policy_put(t, &p, DB_PUT_NEW), ORTH_OK);
		EXPECT_EQ_INT(db_txn_commit(t), ORTH_OK);
	}
	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	memset(&ks, 0, sizeof(ks));
	ks.kvno = 2;
	ks.nkeys = 1;
	EXPECT_EQ_INT(db_key_seal(db, "bob@EX.COM", 2, k, DB_SALT_NORMAL,
				  (const uint8_t *)"EX.COMbob", 9, NULL, 0, a, &ks.keys[0]),
		      ORTH_OK);
	memset(e, 0, sizeof(*e));
	e->name = "bob@EX.COM";
	e->mod_by = "";
	e->policy = "strict";
	EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 3), ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_NEW), ORTH_OK);
	e->name = "carol@EX.COM";
	EXPECT_EQ_INT(db_key_seal(db, "carol@EX.COM", 2, k, DB_SALT_NORMAL,
				  (const uint8_t *)"EX.COMcarol", 11, NULL, 0, a, &e->keysets[0].keys[0]),
		      ORTH_OK);
	EXPECT_EQ_INT(db_principal_put(db, e, DB_PUT_NEW), ORTH_OK);

	/* dump, load into a new database under the same stash, dump again */
	f = tmpfile();
	EXPECT_EQ_INT(db_dump_write(db, f, &info), ORTH_OK);
	EXPECT_EQ_INT(info.nprinc, 2);
	EXPECT_EQ_INT(info.npol, 1);
	t1 = file_text(f);
	EXPECT(strncmp(t1, "orthrus-dump 3\nrealm EX.COM\ncheck ", 34) == 0);
	EXPECT(strstr(t1, "\npolicy strict pw_max_life=0 ") != NULL);
	EXPECT(strstr(t1, "\nprincipal bob@EX.COM attributes=none ") != NULL);
	EXPECT(strstr(t1, "\nend 2 1\n") != NULL);
	EXPECT_EQ_INT(db_create(&o2, 18, NULL, true, &db2, err, sizeof(err)), ORTH_OK);
	rewind(f);
	EXPECT_EQ_INT(db_dump_read_header(f, &info, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(info.version, 3);
	EXPECT(strcmp(info.realm, "EX.COM") == 0);
	EXPECT_EQ_INT(db_dump_load(db2, f, &info, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(info.nprinc, 2);
	f2 = tmpfile();
	EXPECT_EQ_INT(db_dump_write(db2, f2, &info), ORTH_OK);
	t2 = file_text(f2);
	EXPECT(strcmp(t1, t2) == 0);
	fclose(f2);

	/* swapped names: bob's line says carol, and carol's bob: the keys are
	 * bound to the other name, refused naming the line */
	{
		char *sw = strdup(t1), *b = strstr(sw, "principal bob@"), *c = strstr(sw, "principal carol@");
		char *line_b = strndup(b, (size_t)(strchr(b, '\n') - b));
		char *line_c = strndup(c, (size_t)(strchr(c, '\n') - c));
		char *out = calloc(1, strlen(t1) + 64);
		/* rename bob's line to "dave": same length games are not needed */
		sprintf(out, "%.*sprincipal dave@EX.COM%s\n%s\nend 2 1\n", (int)(b - sw), sw,
			line_b + strlen("principal bob@EX.COM"), line_c);
		f2 = text_file(out);
		EXPECT_EQ_INT(db_dump_read_header(f2, &info, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(db_dump_load(db2, f2, &info, err, sizeof(err)), ORTH_E_INTEGRITY);
		EXPECT_EQ_INT(info.line, 5);
		EXPECT(strstr(err, "dave@EX.COM") != NULL);
		fclose(f2);
		free(sw);
		free(line_b);
		free(line_c);
		free(out);
	}

	/* refused whole files: what is wrong, and at which line */
	{
		static const struct {
			const char *text;
			orth_err want;
			unsigned line;
			const char *why;
		} v[] = {
			{"orthrus-dump 3\nrealm EX.COM\nend 0 0\n", ORTH_E_MALFORMED, 3,
			 "before 'check'"},
			{"orthrus-dump 3\nrealm EX.COM\ncheck 00\nend 0 0\n", ORTH_E_MASTERKEY, 3, ""},
			{"orthrus-dump 3\nrealm EX.COM\n", ORTH_E_TRUNCATED, 2, "no 'end' line"},
		};
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			f2 = text_file(v[i].text);
			err[0] = '\0';
			EXPECT_EQ_INT(db_dump_read_header(f2, &info, err, sizeof(err)), ORTH_OK);
			EXPECT_EQ_INT(db_dump_load(db2, f2, &info, err, sizeof(err)), v[i].want);
			EXPECT_EQ_INT(info.line, v[i].line);
			EXPECT(strstr(err, v[i].why) != NULL);
			fclose(f2);
		}
	}
	/* after the refusals db2 still holds the loaded dump */
	f2 = tmpfile();
	EXPECT_EQ_INT(db_dump_write(db2, f2, &info), ORTH_OK);
	free(t2);
	t2 = file_text(f2);
	EXPECT(strcmp(t1, t2) == 0);
	fclose(f2);

	/* headers */
	{
		static const struct {
			const char *text;
			orth_err want;
		} v[] = {
			{"orthrus-dump 4\nrealm EX.COM\n", ORTH_E_RANGE},
			{"orthrus-dump 0\nrealm EX.COM\n", ORTH_E_MALFORMED},
			{"orthrus-dump 3 \nrealm EX.COM\n", ORTH_E_MALFORMED},
			{"orthrus-dump 3\nrealm \n", ORTH_E_MALFORMED},
			{"orthrus-dump 3", ORTH_E_MALFORMED},
			{"kdb5_util load_dump version 7\n", ORTH_E_MALFORMED},
		};
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			f2 = text_file(v[i].text);
			EXPECT_EQ_INT(db_dump_read_header(f2, &info, err, sizeof(err)), v[i].want);
			fclose(f2);
		}
	}

	/* A version 2 dump as the code before the text format wrote it: hex
	 * records (db_entry_encode, record version 3). */
	check = db_master_check(db, &check_len);
	legacy = calloc(1, 4 * DB_MAX_RECORD);
	strcpy(legacy, "orthrus-dump 2\nrealm EX.COM\ncheck ");
	for (size_t i = 0; i < check_len; i++)
		sprintf(legacy + strlen(legacy), "%02x", check[i]);
	EXPECT_EQ_INT(db_policy_encode(&p, rec, sizeof(rec), &rec_len), ORTH_OK);
	strcat(legacy, "\npolicy ");
	for (size_t i = 0; i < rec_len; i++)
		sprintf(legacy + strlen(legacy), "%02x", rec[i]);
	e->name = "bob@EX.COM";
	e->keysets[0] = ks;
	EXPECT_EQ_INT(db_entry_encode(e, rec, sizeof(rec), &rec_len), ORTH_OK);
	strcat(legacy, "\nprinc ");
	for (size_t i = 0; i < rec_len; i++)
		sprintf(legacy + strlen(legacy), "%02x", rec[i]);
	strcat(legacy, "\nend 1 1\n");
	f2 = text_file(legacy);
	EXPECT_EQ_INT(db_dump_read_header(f2, &info, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(info.version, 2);
	EXPECT_EQ_INT(db_dump_load(db2, f2, &info, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(info.nprinc, 1);
	EXPECT_EQ_INT(info.npol, 1);
	fclose(f2);
	/* the same with a text line in it: not a line of a version 2 dump */
	writer_init(&w, line, sizeof(line));
	EXPECT_EQ_INT(db_dump_entry_format(e, &w), ORTH_OK);
	{
		char *mixed = calloc(1, strlen(legacy) + w.len + 8);
		char *end = strstr(legacy, "end 1 1\n");
		sprintf(mixed, "%.*s%.*s\nend 2 1\n", (int)(end - legacy), legacy, (int)w.len, line);
		f2 = text_file(mixed);
		EXPECT_EQ_INT(db_dump_read_header(f2, &info, err, sizeof(err)), ORTH_OK);
		EXPECT_EQ_INT(db_dump_load(db2, f2, &info, err, sizeof(err)), ORTH_E_MALFORMED);
		EXPECT(strstr(err, "not a line of a version 2 dump") != NULL);
		fclose(f2);
		free(mixed);
	}

	crypto_key_free(k);
	fclose(f);
	free(t1);
	free(t2);
	free(legacy);
	free(e);
	db_close(db);
	db_close(db2);
	db_remove_files(path);
	db_remove_files(path2);
	unlink(stash);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/dbdump.XXXXXX";
	struct arena a;

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	EXPECT_EQ_INT(arena_init(&a, 1 << 22), ORTH_OK);
	EXPECT(mkdtemp(dir) != NULL);
	test_entry_vectors(&a);
	arena_reset(&a);
	test_deleg(&a);
	arena_reset(&a);
	test_entry_refused(&a);
	arena_reset(&a);
	test_times(&a);
	arena_reset(&a);
	test_policy_lines(&a);
	arena_reset(&a);
	test_whole(dir, &a);
	rmdir(dir);
	arena_free(&a);
	return test_done("db_dump");
}
