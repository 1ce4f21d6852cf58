/*
 * test_db_record.c - the principal and policy record formats and attribute
 * names (src/db/db_record.c), without LMDB or crypto.
 *
 *   test_db_record                     run the checks
 *   test_db_record --write-seeds DIR   also write records to DIR/db_record
 *                                      and DIR/db_policy (the seeds of
 *                                      fuzz/corpus/)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/writer.h"
#include "db/db.h"
#include "../test.h"

static const uint8_t enc1[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t salt[] = "EX.COMalice";
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
	e->mod_time = -5; /* negative times survive */
	e->mod_by = "admin";
	e->policy = "";
	e->nkeysets = 2;
	e->keysets[0].kvno = 3;
	e->keysets[0].nkeys = 2;
	e->keysets[0].keys[0] =
		(struct db_key){18, DB_SALT_NORMAL, salt, 11, s2k, 4, enc1, 16, DB_SEAL_BOUND, 3};
	e->keysets[0].keys[1] =
		(struct db_key){17, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 8, DB_SEAL_RAW, 3};
	e->keysets[1].kvno = 2;
	e->keysets[1].nkeys = 1;
	e->keysets[1].keys[0] =
		(struct db_key){20, DB_SALT_SPECIAL, salt, 3, NULL, 0, enc1, 12, DB_SEAL_BOUND, 2};
}

static const char *seed_dir;

static void
seed_write(const char *sub, const char *name, const uint8_t *b, size_t len)
{
	char path[1024];
	FILE *f;

	if (seed_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", seed_dir, sub, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(b, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
}

/*
 * e as versions 1 and 2 wrote it (no seal byte, no history kvno; version 1
 * without the lockout state and history), by hand as the code before
 * version 3 did: old databases and dumps hold these.
 */
static void
legacy_put16(struct writer *w, const void *p, size_t n)
{
	writer_be16(w, (uint16_t)n);
	writer_put(w, p, n);
}

static void
legacy_i64(struct writer *w, int64_t v)
{
	writer_be32(w, (uint32_t)((uint64_t)v >> 32));
	writer_be32(w, (uint32_t)v);
}

static void
legacy_key(struct writer *w, const struct db_key *k)
{
	writer_be32(w, (uint32_t)k->enctype);
	writer_be16(w, k->salt_type);
	legacy_put16(w, k->salt, k->salt_len);
	legacy_put16(w, k->s2kparams, k->s2kparams_len);
	legacy_put16(w, k->enc, k->enc_len);
}

static size_t
encode_legacy(const struct db_entry *e, uint8_t version, uint8_t *buf, size_t cap)
{
	struct writer w;

	writer_init(&w, buf, cap);
	writer_u8(&w, version);
	legacy_put16(&w, e->name, strlen(e->name));
	writer_be32(&w, e->attributes);
	legacy_i64(&w, e->max_life);
	legacy_i64(&w, e->max_renew);
	legacy_i64(&w, e->princ_expire);
	legacy_i64(&w, e->pw_expire);
	legacy_i64(&w, e->last_pw_change);
	legacy_i64(&w, e->mod_time);
	legacy_put16(&w, e->mod_by, strlen(e->mod_by));
	legacy_put16(&w, e->policy, strlen(e->policy));
	writer_u8(&w, (uint8_t)e->nkeysets);
	for (size_t i = 0; i < e->nkeysets; i++) {
		writer_be32(&w, e->keysets[i].kvno);
		writer_u8(&w, (uint8_t)e->keysets[i].nkeys);
		for (size_t j = 0; j < e->keysets[i].nkeys; j++)
			legacy_key(&w, &e->keysets[i].keys[j]);
	}
	if (version >= 2) {
		writer_be32(&w, e->fail_count);
		legacy_i64(&w, e->last_failed);
		legacy_i64(&w, e->last_success);
		writer_u8(&w, (uint8_t)e->nhist);
		for (size_t i = 0; i < e->nhist; i++)
			legacy_key(&w, &e->hist[i]);
	}
	EXPECT_EQ_INT(writer_err(&w), ORTH_OK);
	return w.len;
}

/* The committed fuzz seed of that name (made by the code of its version),
 * into buf; 0 when absent. */
static size_t
seed_read(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/fuzz/corpus/db_record/%s", SRCDIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static void
fill_policy(struct db_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->name = "strict";
	p->pw_max_life = 90 * 86400;
	p->pw_min_life = 3600;
	p->pw_min_length = 12;
	p->pw_min_classes = 3;
	p->pw_history_num = 5;
	p->pw_max_fail = 5;
	p->pw_failcnt_interval = 300;
	p->pw_lockout_duration = 600;
	p->n_allowed = 2;
	p->allowed_enctypes[0] = 18;
	p->allowed_enctypes[1] = 20;
}

/* Version 3: seals and history kvnos; the lockout state and the password
 * history (since version 2); version 1 and 2 records still decode. */
static void
test_versions(struct arena *a)
{
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	uint8_t buf[8192], buf2[8192], old[8192];
	size_t len = 0, len2 = 0, old_len;

	fill(e);
	e->fail_count = 4;
	e->last_failed = 1800000000;
	e->last_success = -1;
	e->nhist = 2;
	e->hist[0] = (struct db_key){18, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 16, DB_SEAL_BOUND, 7};
	e->hist[1] = (struct db_key){17, DB_SALT_SPECIAL, salt, 5, s2k, 4, enc1, 7, DB_SEAL_RAW, 0};
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT_EQ_INT(buf[0], 4);
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->fail_count, 4);
	EXPECT_EQ_INT(d->last_failed, 1800000000);
	EXPECT_EQ_INT(d->last_success, -1);
	EXPECT_EQ_INT(d->nhist, 2);
	EXPECT_EQ_INT(d->hist[1].enctype, 17);
	EXPECT_EQ_INT(d->hist[1].salt_type, DB_SALT_SPECIAL);
	EXPECT_EQ_INT(d->hist[1].s2kparams_len, 4);
	EXPECT(d->hist[0].s2kparams == NULL);
	EXPECT_MEM(d->hist[1].enc, enc1, 7);
	/* seals and the kvnos keys are bound to */
	EXPECT_EQ_INT(d->hist[0].seal, DB_SEAL_BOUND);
	EXPECT_EQ_INT(d->hist[0].kvno, 7);
	EXPECT_EQ_INT(d->hist[1].seal, DB_SEAL_RAW);
	EXPECT_EQ_INT(d->keysets[0].keys[0].seal, DB_SEAL_BOUND);
	EXPECT_EQ_INT(d->keysets[0].keys[1].seal, DB_SEAL_RAW);
	EXPECT_EQ_INT(d->keysets[0].keys[1].kvno, 3);
	EXPECT_EQ_INT(d->keysets[1].keys[0].kvno, 2);
	EXPECT_EQ_INT(db_entry_encode(d, buf2, sizeof(buf2), &len2), ORTH_OK);
	EXPECT(len2 == len && memcmp(buf, buf2, len) == 0);
	seed_write("db_record", "v4_seals_history", buf, len);
	{
		/* the version 3 record of the same entry: the same bytes
		 * without the delegation targets' count (0); and the seed
		 * the version 3 code wrote still decodes */
		uint8_t v3[8192];
		size_t v3_len = seed_read("v3_seals_history", v3, sizeof(v3));
		EXPECT(v3_len == len - 1 && memcmp(v3 + 1, buf + 1, v3_len - 1) == 0 && v3[0] == 3);
		arena_reset(a);
		EXPECT_EQ_INT(db_entry_decode(v3, v3_len, a, d), ORTH_OK);
		EXPECT_EQ_INT(d->ndeleg, 0);
		EXPECT_EQ_INT(d->nhist, 2);
	}
	/* every truncation fails; so does a byte more */
	for (size_t cut = 0; cut < len; cut++) {
		arena_reset(a);
		EXPECT(db_entry_decode(buf, cut, a, d) != ORTH_OK);
	}
	buf[len] = 0;
	EXPECT_EQ_INT(db_entry_decode(buf, len + 1, a, d), ORTH_E_TRAILING);
	/* too many history entries, encoding and decoding */
	e->nhist = DB_MAX_HISTORY + 1;
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len2), ORTH_E_LIMIT);
	e->nhist = 2;
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	{
		/* nhist: the byte before the two history entries (kvno, key
		 * with its seal byte) */
		size_t at = len - 1 - (4 + 4 + 2 + 2 + 11 + 2 + 0 + 1 + 2 + 16) -
			    (4 + 4 + 2 + 2 + 5 + 2 + 4 + 1 + 2 + 7) - 1;
		EXPECT_EQ_INT(buf[at], 2);
		buf[at] = DB_MAX_HISTORY + 1;
		arena_reset(a);
		EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_E_LIMIT);
		buf[at] = 2;
		/* an unknown seal: refused by the decoder and the encoder */
		EXPECT_EQ_INT(buf[len - 1 - 2 - 7 - 1], DB_SEAL_RAW);
		buf[len - 1 - 2 - 7 - 1] = 2;
		arena_reset(a);
		EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_E_MALFORMED);
		e->hist[1].seal = 2;
		EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len2), ORTH_E_RANGE);
		e->hist[1].seal = DB_SEAL_RAW;
	}

	/* a version 2 record (what the code before binding stored): decodes
	 * with raw keys and history kvnos 0, encodes as version 3 */
	old_len = encode_legacy(e, 2, old, sizeof(old));
	{
		/* the same bytes as the seed the version 2 code wrote */
		uint8_t seed[8192];
		size_t seed_len = seed_read("v2_lockout_history", seed, sizeof(seed));
		EXPECT(seed_len == old_len && memcmp(seed, old, old_len) == 0);
	}
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(old, old_len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->fail_count, 4);
	EXPECT_EQ_INT(d->nhist, 2);
	EXPECT_EQ_INT(d->hist[0].seal, DB_SEAL_RAW);
	EXPECT_EQ_INT(d->hist[0].kvno, 0);
	EXPECT_EQ_INT(d->keysets[0].keys[0].seal, DB_SEAL_RAW);
	EXPECT_EQ_INT(d->keysets[0].keys[0].kvno, 3);
	EXPECT_MEM(d->hist[1].enc, enc1, 7);
	EXPECT_EQ_INT(db_entry_encode(d, buf2, sizeof(buf2), &len2), ORTH_OK);
	EXPECT_EQ_INT(buf2[0], 4);
	/* one seal byte per key (3 + 2), a kvno per history entry (2), the
	 * delegation targets' count */
	EXPECT_EQ_INT(len2, old_len + 5 + 2 * 4 + 1);
	/* a version 2 record read as version 3 (and the reverse) fails */
	old[0] = 3;
	arena_reset(a);
	EXPECT(db_entry_decode(old, old_len, a, d) != ORTH_OK);
	buf2[0] = 2;
	arena_reset(a);
	EXPECT(db_entry_decode(buf2, len2, a, d) != ORTH_OK);

	/* a version 1 record: decodes with zero lockout state and history,
	 * encodes as version 3 with the same fields */
	fill(e);
	len = encode_legacy(e, 1, buf, sizeof(buf));
	{
		uint8_t seed[8192];
		size_t seed_len = seed_read("v1_two_keysets", seed, sizeof(seed));
		EXPECT(seed_len == len && memcmp(seed, buf, len) == 0);
	}
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->fail_count, 0);
	EXPECT_EQ_INT(d->last_failed, 0);
	EXPECT_EQ_INT(d->nhist, 0);
	EXPECT_EQ_INT(d->keysets[1].kvno, 2);
	EXPECT_EQ_INT(d->keysets[1].keys[0].seal, DB_SEAL_RAW);
	EXPECT_EQ_INT(db_entry_encode(d, buf2, sizeof(buf2), &len2), ORTH_OK);
	EXPECT_EQ_INT(buf2[0], 4);
	EXPECT_EQ_INT(len2, len + 3 + 21 + 1);
	/* a version 1 record with the version 2 fields after it: trailing */
	len2 = encode_legacy(d, 2, buf2, sizeof(buf2));
	buf2[0] = 1;
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf2, len2, a, d), ORTH_E_TRAILING);
	/* a version 2 record cut where version 1 ends: truncated */
	buf2[0] = 2;
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf2, len, a, d), ORTH_E_TRUNCATED);
	buf2[0] = 5;
	EXPECT_EQ_INT(db_entry_decode(buf2, len2, a, d), ORTH_E_RANGE);
	free(e);
	free(d);
}

/* Version 4: the delegation targets (krbAllowedToDelegateTo) round trip;
 * too many, an empty name, a count past the end are refused. */
static void
test_deleg(struct arena *a)
{
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	uint8_t buf[8192];
	size_t len = 0;

	fill(e);
	e->ndeleg = 2;
	e->deleg[0] = "host/a.test@TEST.REALM";
	e->deleg[1] = "HTTP/b.test@TEST.REALM";
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	seed_write("db_record", "v4_deleg", buf, len);
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->ndeleg, 2);
	EXPECT(strcmp(d->deleg[1], "HTTP/b.test@TEST.REALM") == 0);
	for (size_t cut = 0; cut < len; cut++) {
		arena_reset(a);
		EXPECT(db_entry_decode(buf, cut, a, d) != ORTH_OK);
	}
	/* the count byte: the one before the two names */
	EXPECT_EQ_INT(buf[len - 2 * (2 + 22) - 1], 2);
	buf[len - 2 * (2 + 22) - 1] = DB_MAX_DELEG + 1;
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_E_LIMIT);
	buf[len - 2 * (2 + 22) - 1] = 3;
	arena_reset(a);
	EXPECT_EQ_INT(db_entry_decode(buf, len, a, d), ORTH_E_TRUNCATED);
	e->ndeleg = DB_MAX_DELEG + 1;
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_E_LIMIT);
	e->ndeleg = 1;
	e->deleg[0] = "";
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_E_RANGE);
	free(e);
	free(d);
}

/* True when the n bytes at p all still hold the byte b. */
static bool
untouched(const void *p, size_t n, uint8_t b)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		if (q[i] != b)
			return false;
	return true;
}

/* Decodes into d left dirty (0xa5) as by an earlier, larger entry. */
static orth_err
decode_dirty(const uint8_t *buf, size_t len, struct arena *a, struct db_entry *d)
{
	memset(d, 0xa5, sizeof(*d));
	arena_reset(a);
	return db_entry_decode(buf, len, a, d);
}

/*
 * A lookup costs what its record holds (issue 9): decoding writes the
 * fixed fields and the array elements the counts cover, never the rest of
 * the arrays (8 KB at their caps), and readers never read past the counts.
 * Decoding into an entry left dirty by an earlier one: a version 1 record
 * still yields zero lockout state, history and delegation targets; a
 * record that fails leaves no counts behind.
 */
static void
test_decode_writes_only_record(struct arena *a)
{
	struct db_entry *e = calloc(1, sizeof(*e)), *d = malloc(sizeof(*d));
	uint8_t buf[8192];
	size_t len = 0;

	fill(e);
	e->nhist = 1;
	e->hist[0] = (struct db_key){18, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 16, DB_SEAL_BOUND, 1};
	e->ndeleg = 1;
	e->deleg[0] = "host/a.test@TEST.REALM";
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT_EQ_INT(decode_dirty(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->nkeysets, 2);
	EXPECT_EQ_INT(d->keysets[1].nkeys, 1);
	EXPECT_EQ_INT(d->keysets[1].keys[0].enctype, 20);
	EXPECT_EQ_INT(d->nhist, 1);
	EXPECT_EQ_INT(d->hist[0].kvno, 1);
	EXPECT_EQ_INT(d->ndeleg, 1);
	/* past the counts: as the caller left it */
	EXPECT(untouched(&d->keysets[0].keys[2], sizeof(d->keysets[0].keys[2]), 0xa5));
	EXPECT(untouched(&d->keysets[2], sizeof(d->keysets[2]), 0xa5));
	EXPECT(untouched(&d->keysets[DB_MAX_KEYSETS - 1], sizeof(d->keysets[0]), 0xa5));
	EXPECT(untouched(&d->hist[1], sizeof(d->hist[1]), 0xa5));
	EXPECT(untouched(&d->deleg[1], sizeof(d->deleg[1]), 0xa5));

	/* version 1 into a dirty entry: the later versions' fields are 0 */
	len = encode_legacy(e, 1, buf, sizeof(buf));
	EXPECT_EQ_INT(decode_dirty(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->nkeysets, 2);
	EXPECT_EQ_INT(d->fail_count, 0);
	EXPECT_EQ_INT(d->last_failed, 0);
	EXPECT_EQ_INT(d->last_success, 0);
	EXPECT_EQ_INT(d->nhist, 0);
	EXPECT_EQ_INT(d->ndeleg, 0);
	/* version 2 (and 3): no delegation targets */
	len = encode_legacy(e, 2, buf, sizeof(buf));
	EXPECT_EQ_INT(decode_dirty(buf, len, a, d), ORTH_OK);
	EXPECT_EQ_INT(d->nhist, 1);
	EXPECT_EQ_INT(d->ndeleg, 0);

	/* every failure, early (version) or late (trailing, truncated), leaves
	 * the fixed fields and counts zero */
	for (size_t cut = 0; cut < len; cut++) {
		EXPECT(decode_dirty(buf, cut, a, d) != ORTH_OK);
		EXPECT(d->name == NULL && d->nkeysets == 0 && d->nhist == 0 && d->ndeleg == 0 &&
		       d->fail_count == 0 && d->attributes == 0);
	}
	buf[0] = 99;
	EXPECT_EQ_INT(decode_dirty(buf, len, a, d), ORTH_E_RANGE);
	EXPECT(d->name == NULL && d->nkeysets == 0 && d->nhist == 0 && d->ndeleg == 0);
	free(e);
	free(d);
}

/* Policy records: round trip, limits, hostile bytes. */
static void
test_policy(struct arena *a)
{
	struct db_policy p, q;
	uint8_t buf[1024], buf2[1024];
	size_t len = 0, len2 = 0, fails = 0;

	fill_policy(&p);
	EXPECT_EQ_INT(db_policy_encode(&p, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT_EQ_INT(buf[0], DB_POLICY_VERSION);
	EXPECT_EQ_INT(len, 1 + 2 + 6 + 8 + 8 + 4 * 4 + 8 + 8 + 1 + 2 * 4);
	arena_reset(a);
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_OK);
	EXPECT(strcmp(q.name, "strict") == 0);
	EXPECT_EQ_INT(q.pw_max_life, 90 * 86400);
	EXPECT_EQ_INT(q.pw_min_life, 3600);
	EXPECT_EQ_INT(q.pw_min_length, 12);
	EXPECT_EQ_INT(q.pw_min_classes, 3);
	EXPECT_EQ_INT(q.pw_history_num, 5);
	EXPECT_EQ_INT(q.pw_max_fail, 5);
	EXPECT_EQ_INT(q.pw_failcnt_interval, 300);
	EXPECT_EQ_INT(q.pw_lockout_duration, 600);
	EXPECT_EQ_INT(q.n_allowed, 2);
	EXPECT_EQ_INT(q.allowed_enctypes[1], 20);
	EXPECT_EQ_INT(db_policy_encode(&q, buf2, sizeof(buf2), &len2), ORTH_OK);
	EXPECT(len == len2 && memcmp(buf, buf2, len) == 0);
	seed_write("db_policy", "strict", buf, len);
	/* a policy of zeros (no rules) and one at every limit */
	memset(&p, 0, sizeof(p));
	p.name = "none";
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_OK);
	seed_write("db_policy", "empty", buf2, len2);
	arena_reset(a);
	EXPECT_EQ_INT(db_policy_decode(buf2, len2, a, &q), ORTH_OK);
	EXPECT_EQ_INT(q.n_allowed, 0);
	fill_policy(&p);
	p.pw_min_classes = 5;
	p.pw_history_num = DB_MAX_HISTORY + 1;
	p.pw_max_fail = UINT32_MAX;
	p.pw_min_length = DB_MAX_FIELD;
	p.n_allowed = DB_MAX_KEYS;
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_OK);
	seed_write("db_policy", "limits", buf2, len2);
	arena_reset(a);
	EXPECT_EQ_INT(db_policy_decode(buf2, len2, a, &q), ORTH_OK);
	EXPECT_EQ_INT(q.pw_max_fail, UINT32_MAX);

	/* what the encoder refuses, so that nothing stored fails to decode */
	fill_policy(&p);
	p.pw_min_classes = 6;
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_RANGE);
	fill_policy(&p);
	p.pw_lockout_duration = -1;
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_RANGE);
	fill_policy(&p);
	p.pw_history_num = DB_MAX_HISTORY + 2;
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_RANGE);
	fill_policy(&p);
	p.name = "";
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_LIMIT);
	fill_policy(&p);
	p.n_allowed = DB_MAX_KEYS + 1;
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_LIMIT);
	fill_policy(&p);
	EXPECT_EQ_INT(db_policy_encode(&p, buf2, 10, &len2), ORTH_E_LIMIT);
	{
		char longname[DB_MAX_POLICY_NAME + 2];
		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		p.name = longname;
		EXPECT_EQ_INT(db_policy_encode(&p, buf2, sizeof(buf2), &len2), ORTH_E_LIMIT);
	}

	/* hostile bytes: truncations, a byte more, every byte flipped */
	for (size_t cut = 0; cut < len; cut++) {
		arena_reset(a);
		EXPECT(db_policy_decode(buf, cut, a, &q) != ORTH_OK);
	}
	buf[len] = 0;
	EXPECT_EQ_INT(db_policy_decode(buf, len + 1, a, &q), ORTH_E_TRAILING);
	for (size_t i = 0; i < len; i++) {
		uint8_t saved = buf[i];
		orth_err r;
		buf[i] ^= 0xff;
		arena_reset(a);
		r = db_policy_decode(buf, len, a, &q);
		if (r != ORTH_OK)
			fails++;
		else {
			/* what decodes must encode to the same bytes */
			EXPECT_EQ_INT(db_policy_encode(&q, buf2, sizeof(buf2), &len2), ORTH_OK);
			EXPECT(len2 == len && memcmp(buf, buf2, len) == 0);
		}
		buf[i] = saved;
	}
	EXPECT(fails > 10);
	/* field by field: version, a NUL in the name, a negative interval,
	 * seven classes, too many enctypes */
	buf[0] = 2;
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_E_RANGE);
	buf[0] = DB_POLICY_VERSION;
	buf[4] = '\0';
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_E_MALFORMED);
	buf[4] = 'r';
	buf[9 + 8 + 8 + 16] = 0x80; /* pw_failcnt_interval's top byte */
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_E_RANGE);
	buf[9 + 8 + 8 + 16] = 0;
	buf[9 + 8 + 8 + 7] = 7; /* pw_min_classes' low byte */
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_E_RANGE);
	buf[9 + 8 + 8 + 7] = 3;
	buf[9 + 8 + 8 + 16 + 16] = DB_MAX_KEYS + 1; /* n_allowed */
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_E_LIMIT);
	buf[9 + 8 + 8 + 16 + 16] = 2;
	arena_reset(a);
	EXPECT_EQ_INT(db_policy_decode(buf, len, a, &q), ORTH_OK);
	/* a principal record is not a policy record, nor the reverse */
	{
		struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
		fill(e);
		EXPECT_EQ_INT(db_entry_encode(e, buf2, sizeof(buf2), &len2), ORTH_OK);
		EXPECT(db_policy_decode(buf2, len2, a, &q) != ORTH_OK);
		EXPECT(db_entry_decode(buf, len, a, d) != ORTH_OK);
		free(e);
		free(d);
	}
}

int
main(int argc, char **argv)
{
	struct arena a;
	struct db_entry *e = calloc(1, sizeof(*e)), *d = calloc(1, sizeof(*d));
	uint8_t buf[4096], buf2[4096];
	size_t len = 0, len2 = 0;
	uint32_t attrs;
	char text[256];

	EXPECT_EQ_INT(arena_init(&a, 1 << 20), ORTH_OK);
	fill(e);
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT_EQ_INT(buf[0], DB_RECORD_VERSION);
	EXPECT_EQ_INT(db_entry_decode(buf, len, &a, d), ORTH_OK);
	EXPECT(strcmp(d->name, "alice@EX.COM") == 0);
	EXPECT_EQ_INT(d->attributes, e->attributes);
	EXPECT_EQ_INT(d->max_life, 36000);
	EXPECT_EQ_INT(d->pw_expire, 2000000000);
	EXPECT_EQ_INT(d->mod_time, -5);
	EXPECT(strcmp(d->mod_by, "admin") == 0);
	EXPECT(strcmp(d->policy, "") == 0);
	EXPECT_EQ_INT(d->nkeysets, 2);
	EXPECT_EQ_INT(d->keysets[0].kvno, 3);
	EXPECT_EQ_INT(d->keysets[0].keys[0].enctype, 18);
	EXPECT_EQ_INT(d->keysets[0].keys[0].s2kparams_len, 4);
	EXPECT(d->keysets[0].keys[1].s2kparams == NULL);
	EXPECT_EQ_INT(d->keysets[1].keys[0].salt_type, DB_SALT_SPECIAL);
	EXPECT_MEM(d->keysets[0].keys[0].enc, enc1, 16);
	/* the decoded entry is independent of the input buffer */
	EXPECT_EQ_INT(db_entry_encode(d, buf2, sizeof(buf2), &len2), ORTH_OK);
	memset(buf, 0xee, 10);
	EXPECT_EQ_INT(len, len2);
	EXPECT(strcmp(d->name, "alice@EX.COM") == 0);

	/* every truncation fails cleanly; trailing bytes fail */
	for (size_t cut = 0; cut < len2; cut++) {
		orth_err r = db_entry_decode(buf2, cut, &a, d);
		EXPECT(r != ORTH_OK);
		arena_reset(&a);
	}
	buf2[len2] = 0;
	EXPECT_EQ_INT(db_entry_decode(buf2, len2 + 1, &a, d), ORTH_E_TRAILING);
	/* unknown version */
	buf2[0] = 99;
	EXPECT_EQ_INT(db_entry_decode(buf2, len2, &a, d), ORTH_E_RANGE);
	buf2[0] = DB_RECORD_VERSION;
	/* flip every byte: never a crash (ASan), some flips must fail */
	{
		size_t fails = 0;
		for (size_t i = 0; i < len2; i++) {
			uint8_t saved = buf2[i];
			buf2[i] ^= 0xff;
			arena_reset(&a);
			if (db_entry_decode(buf2, len2, &a, d) != ORTH_OK)
				fails++;
			buf2[i] = saved;
		}
		EXPECT(fails > 10);
	}
	/* kvnos must decrease */
	fill(e);
	e->keysets[1].kvno = 3;
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_OK);
	EXPECT_EQ_INT(db_entry_decode(buf, len, &a, d), ORTH_E_MALFORMED);
	/* too small an output buffer, too many key sets */
	fill(e);
	EXPECT_EQ_INT(db_entry_encode(e, buf, 20, &len), ORTH_E_LIMIT);
	e->nkeysets = DB_MAX_KEYSETS + 1;
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_E_LIMIT);
	/* an empty name */
	fill(e);
	e->name = "";
	EXPECT_EQ_INT(db_entry_encode(e, buf, sizeof(buf), &len), ORTH_E_LIMIT);

	/* key set rotation keeps keep_old old sets, newest first */
	fill(e);
	{
		struct db_keyset ks = e->keysets[0];
		for (uint32_t k = 4; k <= 8; k++) {
			ks.kvno = k;
			EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 3), ORTH_OK);
		}
		EXPECT_EQ_INT(e->nkeysets, 4);
		EXPECT_EQ_INT(e->keysets[0].kvno, 8);
		EXPECT_EQ_INT(e->keysets[3].kvno, 5);
		ks.kvno = 8;
		EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 3), ORTH_E_RANGE);
		ks.kvno = 9;
		EXPECT_EQ_INT(db_entry_add_keyset(e, &ks, 0), ORTH_OK);
		EXPECT_EQ_INT(e->nkeysets, 1);
	}

	/* attributes */
	attrs = 0;
	EXPECT_EQ_INT(db_attrs_apply("requires-preauth, ok_as_delegate", &attrs), ORTH_OK);
	EXPECT_EQ_INT(attrs, DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_OK_AS_DELEGATE);
	EXPECT_EQ_INT(db_attrs_apply("-ok-as-delegate", &attrs), ORTH_OK);
	EXPECT_EQ_INT(attrs, DB_ATTR_REQUIRES_PREAUTH);
	attrs = 0;
	EXPECT_EQ_INT(db_attrs_apply("+preauth -forwardable +proxiable", &attrs), ORTH_OK);
	EXPECT_EQ_INT(attrs, DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_DISALLOW_FORWARDABLE);
	EXPECT_EQ_INT(db_attrs_apply("+forwardable", &attrs), ORTH_OK);
	EXPECT_EQ_INT(attrs, DB_ATTR_REQUIRES_PREAUTH);
	EXPECT_EQ_INT(db_attrs_apply("requires-preauth bogus", &attrs), ORTH_E_CONFIG);
	EXPECT_EQ_INT(attrs, DB_ATTR_REQUIRES_PREAUTH);
	db_attrs_format(DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_LOCKDOWN_KEYS, text, sizeof(text));
	EXPECT(strcmp(text, "requires-preauth,lockdown-keys") == 0);
	db_attrs_format(0, text, sizeof(text));
	EXPECT(strcmp(text, "") == 0);
	EXPECT(db_attr_from_name("nope") == 0);

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	test_versions(&a);
	test_deleg(&a);
	test_decode_writes_only_record(&a);
	test_policy(&a);

	arena_free(&a);
	free(e);
	free(d);
	return test_done("db_record");
}
