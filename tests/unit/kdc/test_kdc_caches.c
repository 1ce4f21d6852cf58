/* Tests of src/kdc: SipHash, the replay cache, the lookaside cache. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/writer.h"
#include "kdc/lookaside.h"
#include "kdc/replay.h"
#include "kdc/siphash.h"

#include "../test.h"

static void
test_siphash(void)
{
	/* SipHash paper, Appendix A: key 00..0f, message 00..0e. */
	uint8_t k[16], m[64];
	struct siphash_key key;
	struct siphash s;
	uint64_t whole;
	size_t i, split;

	for (i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (i = 0; i < sizeof(m); i++)
		m[i] = (uint8_t)i;
	siphash_key_from_bytes(&key, k);
	EXPECT(siphash24(&key, m, 15) == 0xa129ca6149be45e5ULL);
	/* reference vectors[0]: empty message */
	EXPECT(siphash24(&key, m, 0) == 0x726fdb47dd0e0e31ULL);
	EXPECT(siphash24(&key, m, 15) != siphash24(&key, m, 14));
	/* Incremental: every split point gives the one-shot value. */
	whole = siphash24(&key, m, sizeof(m));
	for (split = 0; split <= sizeof(m); split++) {
		siphash_init(&s, &key);
		siphash_update(&s, m, split / 3);
		siphash_update(&s, m + split / 3, split - split / 3);
		siphash_update(&s, m + split, sizeof(m) - split);
		EXPECT(siphash_final(&s) == whole);
	}
	/* Pieces of every length from 1 to 11 (words straddling what an
	 * earlier piece left over). */
	for (split = 1; split <= 11; split++) {
		siphash_init(&s, &key);
		for (i = 0; i < sizeof(m); i += split)
			siphash_update(&s, m + i, i + split <= sizeof(m) ? split : sizeof(m) - i);
		EXPECT(siphash_final(&s) == whole);
	}
	/* SipHash-1-3, key all zero: the values of CPython 3.11's
	 * implementation (PYTHONHASHSEED=0 hashes bytes with it under that
	 * key), message 00.. of each length; "siphash" is also the test
	 * vector of Rust's digest sip_hash crate. */
	{
		static const struct {
			size_t len;
			uint64_t h;
		} v13[] = {
			{1, 0x68a914128e01e473ULL},  {7, 0x2f098ab0c751325aULL},
			{8, 0xead411e67ebe2eeaULL},  {9, 0x75927f9d95124362ULL},
			{15, 0xf30eb725bb91c9eaULL}, {16, 0x8972188433a5c5b7ULL},
			{63, 0x385d3e39e5f37359ULL},
		};
		uint8_t zero[16] = {0};

		siphash_key_from_bytes(&key, zero);
		for (i = 0; i < sizeof(v13) / sizeof(v13[0]); i++)
			EXPECT(siphash13(&key, m, v13[i].len) == v13[i].h);
		EXPECT(siphash13(&key, "siphash", 7) == 0x8264ceeccb16bcbeULL);
		EXPECT(siphash13(&key, m, 16) != siphash24(&key, m, 16));
	}
}

static struct kdc_replay_key
rkey(const char *client, int64_t ctime, int32_t cusec, const char *tag)
{
	struct kdc_replay_key k = {
		.client = client,
		.server = "krbtgt/TEST.REALM@TEST.REALM",
		.ctime = ctime,
		.cusec = cusec,
		.tag = (const uint8_t *)tag,
		.tag_len = tag ? strlen(tag) : 0,
	};
	return k;
}

static void
test_replay(void)
{
	struct kdc_replay *rc = NULL;
	struct kdc_replay_key k, k2;
	const int64_t now = 1700000000;
	size_t i, ok, limit, cap;
	char name[64];

	EXPECT_EQ_INT(kdc_replay_new(0, -1, &rc), ORTH_E_RANGE);
	EXPECT_EQ_INT(kdc_replay_new((size_t)KDC_REPLAY_MAX_CAPACITY + 1, 0, &rc),
	    ORTH_E_RANGE);
	EXPECT_EQ_INT(kdc_replay_new(1000, 300, &rc), ORTH_OK);
	if (rc == NULL)
		return;
	EXPECT(kdc_replay_capacity(rc) >= 1000);

	k = rkey("alice@TEST.REALM", now, 123456, "authenticator-cipher");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_REPLAY);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 10), ORTH_E_REPLAY);
	/* Each field distinguishes. */
	k2 = rkey("alice@TEST.REALM", now, 123457, "authenticator-cipher");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	k2 = rkey("alice@TEST.REALM", now + 1, 123456, "authenticator-cipher");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	k2 = rkey("bob@TEST.REALM", now, 123456, "authenticator-cipher");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	k2 = rkey("alice@TEST.REALM", now, 123456, "authenticator-ciphex");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	k2 = k;
	k2.server = "host/svc.test.realm@TEST.REALM";
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	/* Field boundaries are unambiguous. */
	k2 = rkey("alice@TEST.REAL", now, 7, "x");
	k2.server = "Mkrbtgt";
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	k2 = rkey("alice@TEST.REALM", now, 7, "x");
	k2.server = "krbtgt";
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_count(rc, now), 8);

	/* Live through ctime + skew inclusive, gone after. */
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 300), ORTH_E_REPLAY);
	EXPECT_EQ_INT(kdc_replay_count(rc, now + 301), 1); /* the one with ctime now + 1 */
	EXPECT_EQ_INT(kdc_replay_count(rc, now + 302), 0);
	/* At now + 301 the authenticator is outside the window: skew, not stored. */
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 301), ORTH_E_SKEW);
	/* An entry in the future lives until its own ctime + skew. */
	k2 = rkey("carol@TEST.REALM", now + 300, 0, NULL);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now + 599), ORTH_E_REPLAY);
	k2 = rkey("carol@TEST.REALM", now + 301, 0, NULL);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_E_SKEW);
	k2 = rkey("carol@TEST.REALM", now - 301, 0, NULL);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_E_SKEW);
	/* A lookup alone remembers nothing. */
	k2 = rkey("dave@TEST.REALM", now, 7, "x");
	EXPECT_EQ_INT(kdc_replay_check(rc, &k2, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check(rc, &k2, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check(rc, &k2, now), ORTH_E_REPLAY);
	EXPECT_EQ_INT(kdc_replay_check(rc, &k2, now + 301), ORTH_E_SKEW);
	/* Hashed once (the TGS's check, then insert): the same entries. */
	{
		struct replay_table_key tk;
		k2 = rkey("erin@TEST.REALM", now, 8, "y");
		EXPECT_EQ_INT(kdc_replay_key_hash(rc, &k2, &tk), ORTH_OK);
		EXPECT_EQ_INT(kdc_replay_hashed_check(rc, &tk, now), ORTH_OK);
		EXPECT_EQ_INT(kdc_replay_hashed_check_and_insert(rc, &tk, now), ORTH_OK);
		EXPECT_EQ_INT(kdc_replay_hashed_check(rc, &tk, now), ORTH_E_REPLAY);
		EXPECT_EQ_INT(kdc_replay_hashed_check_and_insert(rc, &tk, now), ORTH_E_REPLAY);
		EXPECT_EQ_INT(kdc_replay_check(rc, &k2, now), ORTH_E_REPLAY);
		EXPECT_EQ_INT(kdc_replay_hashed_check(rc, &tk, now + 301), ORTH_E_SKEW);
		EXPECT_EQ_INT(kdc_replay_key_hash(rc, &k, &tk), ORTH_OK);
		EXPECT_EQ_INT(kdc_replay_hashed_check(rc, &tk, now), ORTH_E_REPLAY);
		k2 = rkey(NULL, now, 0, NULL);
		EXPECT_EQ_INT(kdc_replay_key_hash(rc, &k2, &tk), ORTH_E_MALFORMED);
	}
	/* Malformed keys. */
	k2 = rkey(NULL, now, 0, NULL);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_E_MALFORMED);
	k2 = rkey("a", now, 0, NULL);
	k2.tag_len = 3;
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k2, now), ORTH_E_MALFORMED);
	kdc_replay_free(rc);
	rc = NULL;

	/* Capacity: a full cache refuses; live entries are never evicted. */
	EXPECT_EQ_INT(kdc_replay_new(64, 300, &rc), ORTH_OK);
	if (rc == NULL)
		return;
	cap = kdc_replay_capacity(rc);
	EXPECT_EQ_INT(cap, 64);
	ok = limit = 0;
	for (i = 0; i < 4 * cap; i++) {
		orth_err e;
		snprintf(name, sizeof(name), "user%zu@TEST.REALM", i);
		k = rkey(name, now, 0, "t");
		e = kdc_replay_check_and_insert(rc, &k, now);
		if (e == ORTH_OK)
			ok++;
		else if (e == ORTH_E_LIMIT)
			limit++;
	}
	EXPECT_EQ_INT(ok, cap);
	EXPECT_EQ_INT(limit, 3 * cap);
	EXPECT_EQ_INT(kdc_replay_count(rc, now), cap);
	/* every stored one is still a replay (none was pushed out) */
	for (i = 0, ok = 0; i < 4 * cap; i++) {
		snprintf(name, sizeof(name), "user%zu@TEST.REALM", i);
		k = rkey(name, now, 0, "t");
		if (kdc_replay_check_and_insert(rc, &k, now) == ORTH_E_REPLAY)
			ok++;
	}
	EXPECT_EQ_INT(ok, cap);
	/* After expiry the slots are reused. */
	k = rkey("late@TEST.REALM", now + 301, 0, "t");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 301), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 301), ORTH_E_REPLAY);
	EXPECT_EQ_INT(kdc_replay_count(rc, now + 301), 1);
	kdc_replay_free(rc);
	kdc_replay_free(NULL);
}

/*
 * One client floods the cache with authenticators it minted itself (the
 * review filled a cache of 8192 from one ticket): it must be refused beyond
 * its own quota, and only it; every fresh authenticator of the other
 * clients, interleaved with the flood, is accepted; what the flooder got
 * accepted stays a replay; ctime beyond the skew is refused; entries go at
 * ctime + skew and with them the flooder's quota.
 */
#define FLOOD_CAPACITY 8192
#define FLOOD_SKEW 300
#define FLOOD_OTHERS 400      /* other clients ... */
#define FLOOD_PER_OTHER 5     /* ... with this many fresh authenticators each */

static void
test_replay_flood(void)
{
	struct kdc_replay *rc = NULL;
	struct kdc_replay_key k;
	const int64_t now = 1700000000;
	char tag[64], name[64];
	size_t i, cap, mine = 0, refused = 0, others_ok = 0, others_bad = 0;
	size_t n_flood;
	int64_t ct;
	orth_err e, last_bad = ORTH_OK;

	EXPECT_EQ_INT(kdc_replay_new(FLOOD_CAPACITY, FLOOD_SKEW, &rc), ORTH_OK);
	if (rc == NULL)
		return;
	cap = kdc_replay_capacity(rc);
	n_flood = 4 * cap;
	for (i = 0; i < n_flood; i++) {
		/* The flood: distinct authenticators of one client, with
		 * ctimes all over the window (the latest live longest). */
		ct = now - FLOOD_SKEW + (int64_t)(i % (2 * FLOOD_SKEW + 1));
		snprintf(tag, sizeof(tag), "mallory-%zu", i);
		k = rkey("mallory@TEST.REALM", ct, (int32_t)(i % 1000000), tag);
		e = kdc_replay_check_and_insert(rc, &k, now);
		if (e == ORTH_OK)
			mine++;
		else
			refused++;
		EXPECT(e == ORTH_OK || e == ORTH_E_POLICY || e == ORTH_E_LIMIT);
		/* Interleaved: the other clients' fresh authenticators. */
		if (i % 16 == 0 && i / 16 < FLOOD_OTHERS * FLOOD_PER_OTHER) {
			size_t j = i / 16;
			snprintf(name, sizeof(name), "user%zu@TEST.REALM", j % FLOOD_OTHERS);
			snprintf(tag, sizeof(tag), "fresh-%zu", j);
			k = rkey(name, now, (int32_t)j, tag);
			e = kdc_replay_check_and_insert(rc, &k, now);
			if (e == ORTH_OK) {
				others_ok++;
			} else {
				others_bad++;
				last_bad = e;
			}
		}
	}
	EXPECT_EQ_INT(others_ok, FLOOD_OTHERS * FLOOD_PER_OTHER);
	EXPECT_EQ_INT(others_bad, 0);
	EXPECT_EQ_INT(last_bad, ORTH_OK);
	/* The flooder holds at most its quota: one eighth of the capacity. */
	EXPECT(mine <= cap / 8);
	EXPECT(mine >= cap / 16);
	EXPECT_EQ_INT(mine + refused, n_flood);
	EXPECT_EQ_INT(kdc_replay_count(rc, now), mine + others_ok);
	/* Over its quota, the flooder's replays are still replays (the check
	 * comes first), and so are the others'. */
	for (i = 0; i < n_flood && i < 64; i++) {
		ct = now - FLOOD_SKEW + (int64_t)(i % (2 * FLOOD_SKEW + 1));
		snprintf(tag, sizeof(tag), "mallory-%zu", i);
		k = rkey("mallory@TEST.REALM", ct, (int32_t)(i % 1000000), tag);
		e = kdc_replay_check(rc, &k, now);
		if (e == ORTH_E_REPLAY)
			EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_REPLAY);
		else
			EXPECT_EQ_INT(e, ORTH_OK);
	}
	k = rkey("mallory@TEST.REALM", now - FLOOD_SKEW, 0, "mallory-0");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_REPLAY);
	k = rkey("user0@TEST.REALM", now, 0, "fresh-0");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_REPLAY);
	k = rkey("user7@TEST.REALM", now, 1607, "fresh-1607");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_REPLAY);
	/* A newcomer is still accepted while the flood goes on. */
	k = rkey("newcomer@TEST.REALM", now, 1, "first");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_OK);
	/* A ctime more than skew in the future (or past) is refused, not
	 * stored; exactly skew ahead is accepted and lives to ctime + skew. */
	k = rkey("newcomer@TEST.REALM", now + FLOOD_SKEW + 1, 2, "future");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_SKEW);
	k = rkey("newcomer@TEST.REALM", now - FLOOD_SKEW - 1, 2, "past");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_E_SKEW);
	k = rkey("newcomer@TEST.REALM", now + FLOOD_SKEW, 3, "edge");
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now), ORTH_OK);
	EXPECT_EQ_INT(kdc_replay_check_and_insert(rc, &k, now + 2 * FLOOD_SKEW),
	    ORTH_E_REPLAY);
	/* Entries expire at ctime + skew: all gone after now + 2 skew, and
	 * the flooder's quota with them. */
	EXPECT_EQ_INT(kdc_replay_count(rc, now + 2 * FLOOD_SKEW + 1), 0);
	for (i = 0, mine = 0; i < 64; i++) {
		snprintf(tag, sizeof(tag), "mallory-late-%zu", i);
		k = rkey("mallory@TEST.REALM", now + 2 * FLOOD_SKEW + 1, (int32_t)i, tag);
		if (kdc_replay_check_and_insert(rc, &k, now + 2 * FLOOD_SKEW + 1) == ORTH_OK)
			mine++;
	}
	EXPECT(mine >= 56);
	kdc_replay_free(rc);
}

/* Several workers share one cache: of identical authenticators racing,
 * exactly one is accepted (the others are replays), whatever the thread. */
#define RACE_THREADS 4
#define RACE_KEYS 2000

struct race {
	struct kdc_replay *rc;
	int64_t now;
	int ok[RACE_KEYS];
	int other;
};

static void *
race_main(void *arg)
{
	struct race *r = arg;
	struct kdc_replay_key k;
	char name[64], tag[64];
	size_t i;
	orth_err e;

	for (i = 0; i < RACE_KEYS; i++) {
		snprintf(name, sizeof(name), "racer%zu@TEST.REALM", i % 500);
		snprintf(tag, sizeof(tag), "auth-%zu", i);
		k = rkey(name, r->now, (int32_t)i, tag);
		e = kdc_replay_check_and_insert(r->rc, &k, r->now);
		if (e == ORTH_OK)
			__atomic_add_fetch(&r->ok[i], 1, __ATOMIC_RELAXED);
		else if (e != ORTH_E_REPLAY)
			__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void
test_replay_threads(void)
{
	static struct race r;
	pthread_t th[RACE_THREADS];
	size_t i, started = 0;

	memset(&r, 0, sizeof(r));
	r.now = 1700000000;
	EXPECT_EQ_INT(kdc_replay_new(1u << 16, 300, &r.rc), ORTH_OK);
	if (r.rc == NULL)
		return;
	for (i = 0; i < RACE_THREADS; i++)
		if (pthread_create(&th[i], NULL, race_main, &r) == 0)
			started++;
	EXPECT_EQ_INT(started, RACE_THREADS);
	for (i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < RACE_KEYS; i++)
		EXPECT_EQ_INT(r.ok[i], 1);
	EXPECT_EQ_INT(r.other, 0);
	EXPECT_EQ_INT(kdc_replay_count(r.rc, r.now), RACE_KEYS);
	kdc_replay_free(r.rc);
}

/* The cache's get and put with the request's hash, as kdc_handle() calls
 * them. */
static orth_err
la_get(struct kdc_lookaside *la, const uint8_t *req, size_t len, int64_t now, struct writer *w)
{
	return kdc_lookaside_get(la, kdc_lookaside_hash(la, req, len), req, len, now, w);
}

static orth_err
la_put(struct kdc_lookaside *la, const uint8_t *req, size_t len, const uint8_t *rep,
       size_t rep_len, int64_t now)
{
	return kdc_lookaside_put(la, kdc_lookaside_hash(la, req, len), req, len, rep, rep_len, now);
}

static void
test_lookaside(void)
{
	struct kdc_lookaside *la = NULL;
	uint8_t buf[256], big[1000];
	struct writer w;
	const uint8_t req1[] = "request one", req2[] = "request two";
	const uint8_t rep1[] = "reply one";
	const int64_t now = 1700000000;
	size_t n, b;
	int i;

	EXPECT_EQ_INT(kdc_lookaside_new(-1, 0, 0, &la), ORTH_E_RANGE);
	EXPECT_EQ_INT(kdc_lookaside_new(60, 4, 200, &la), ORTH_OK);
	if (la == NULL)
		return;

	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now, &w), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(w.len, 0);
	EXPECT_EQ_INT(la_put(la, req1, sizeof(req1), rep1, sizeof(rep1), now),
	    ORTH_OK);
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now + 59, &w), ORTH_OK);
	EXPECT_EQ_INT(w.len, sizeof(rep1));
	EXPECT_MEM(buf, rep1, sizeof(rep1));
	/* A different request, or a prefix of the same, misses. */
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(la_get(la, req2, sizeof(req2), now, &w), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1) - 1, now, &w),
	    ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(la_get(la, req1, 0, now, &w), ORTH_E_NOTFOUND);
	/* Expired after the window. */
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now + 60, &w),
	    ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(w.len, 0);
	/* Reply too large for the writer: LIMIT, sticky error. */
	writer_init(&w, buf, 3);
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now, &w), ORTH_E_LIMIT);
	EXPECT_EQ_INT(writer_err(&w), ORTH_E_LIMIT);
	/* Replacing the same request keeps one entry. */
	EXPECT_EQ_INT(la_put(la, req1, sizeof(req1), (const uint8_t *)"r2", 2,
	    now), ORTH_OK);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT_EQ_INT(n, 1);
	EXPECT_EQ_INT(b, sizeof(req1) + 2);
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now, &w), ORTH_OK);
	EXPECT_EQ_INT(w.len, 2);

	/* Entry cap (4): the oldest goes first. */
	for (i = 0; i < 6; i++) {
		uint8_t r = (uint8_t)('A' + i);
		EXPECT_EQ_INT(la_put(la, &r, 1, &r, 1, now + i), ORTH_OK);
	}
	kdc_lookaside_stats(la, &n, &b);
	EXPECT_EQ_INT(n, 4);
	EXPECT_EQ_INT(b, 8);
	for (i = 0; i < 6; i++) {
		uint8_t r = (uint8_t)('A' + i);
		writer_init(&w, buf, sizeof(buf));
		EXPECT_EQ_INT(la_get(la, &r, 1, now + 6, &w),
		    i < 2 ? ORTH_E_NOTFOUND : ORTH_OK);
	}
	/* Byte cap (200): a 150-byte entry pushes out the older ones. */
	memset(big, 'z', sizeof(big));
	EXPECT_EQ_INT(la_put(la, req2, sizeof(req2), big, 150 - sizeof(req2),
	    now + 6), ORTH_OK);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT(b <= 200);
	EXPECT_EQ_INT(b, 150 + 6);
	EXPECT_EQ_INT(n, 4);
	EXPECT_EQ_INT(la_put(la, req1, sizeof(req1), big, 100, now + 6), ORTH_OK);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT(b <= 200);
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(la_get(la, req2, sizeof(req2), now + 6, &w),
	    ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(la_get(la, req1, sizeof(req1), now + 6, &w), ORTH_OK);
	/* Larger than the whole cap, or empty: not stored. */
	EXPECT_EQ_INT(la_put(la, req2, sizeof(req2), big, 200, now), ORTH_E_LIMIT);
	EXPECT_EQ_INT(la_put(la, req2, 0, big, 1, now), ORTH_E_LIMIT);
	/* Expired entries are dropped on the next put. */
	EXPECT_EQ_INT(la_put(la, req2, sizeof(req2), rep1, 1, now + 1000), ORTH_OK);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT_EQ_INT(n, 1);
	EXPECT_EQ_INT(b, sizeof(req2) + 1);
	kdc_lookaside_free(la);
	kdc_lookaside_free(NULL);
}

/* The default caps: shards by hash, each request always in its own; every
 * recent request is found, the total stays under the cap. */
static void
test_lookaside_shards(void)
{
	struct kdc_lookaside *la = NULL;
	uint8_t buf[64];
	struct writer w;
	const int64_t now = 1700000000;
	size_t n, b;
	uint32_t i, found = 0;

	EXPECT_EQ_INT(kdc_lookaside_new(60, 4096, 0, &la), ORTH_OK);
	if (la == NULL)
		return;
	for (i = 0; i < 3000; i++)
		EXPECT_EQ_INT(la_put(la, (const uint8_t *)&i, sizeof(i),
		    (const uint8_t *)&i, sizeof(i), now), ORTH_OK);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT_EQ_INT(n, 3000);
	EXPECT_EQ_INT(b, 3000 * 2 * sizeof(i));
	for (i = 0; i < 3000; i++) {
		writer_init(&w, buf, sizeof(buf));
		if (la_get(la, (const uint8_t *)&i, sizeof(i), now, &w) == ORTH_OK &&
		    w.len == sizeof(i) && memcmp(buf, &i, sizeof(i)) == 0)
			found++;
	}
	EXPECT_EQ_INT(found, 3000);
	/* Past the cap: each shard drops its oldest; the newest stay. */
	for (i = 3000; i < 20000; i++)
		(void)la_put(la, (const uint8_t *)&i, sizeof(i), (const uint8_t *)&i,
		    sizeof(i), now);
	kdc_lookaside_stats(la, &n, &b);
	EXPECT(n <= 4096 && n > 3000);
	for (found = 0, i = 19900; i < 20000; i++) {
		writer_init(&w, buf, sizeof(buf));
		if (la_get(la, (const uint8_t *)&i, sizeof(i), now, &w) == ORTH_OK)
			found++;
	}
	EXPECT_EQ_INT(found, 100);
	kdc_lookaside_free(la);
}

int
main(void)
{
	test_siphash();
	test_replay();
	test_replay_flood();
	test_replay_threads();
	test_lookaside();
	test_lookaside_shards();
	return test_done("kdc caches");
}
