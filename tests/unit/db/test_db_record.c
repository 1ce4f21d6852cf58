/* test_db_record.c - the principal record format and attribute names
 * (src/db/db_record.c), without LMDB or crypto. */
#include <stdlib.h>
#include <string.h>

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
	e->keysets[0].keys[0] = (struct db_key){18, DB_SALT_NORMAL, salt, 11, s2k, 4, enc1, 16};
	e->keysets[0].keys[1] = (struct db_key){17, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 8};
	e->keysets[1].kvno = 2;
	e->keysets[1].nkeys = 1;
	e->keysets[1].keys[0] = (struct db_key){20, DB_SALT_SPECIAL, salt, 3, NULL, 0, enc1, 12};
}

int
main(void)
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

	arena_free(&a);
	free(e);
	free(d);
	return test_done("db_record");
}
