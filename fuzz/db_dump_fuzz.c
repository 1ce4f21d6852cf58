/*
 * db_dump_fuzz.c - libFuzzer harness for the text dump's line codec
 * (src/db/dump.h): the input is one line of an `orthrus admin dump`, a
 * principal line or (when it starts with "policy") a policy line, as
 * `orthrus admin load` reads it.
 *
 * Oracles besides the sanitizers: what parses formats again without error,
 * the formatted line parses to the same entry (the same record bytes from
 * db_entry_encode, or the same policy record), and formatting that gives
 * the same line again: the writer's text is the one canonical form of
 * what the parser accepts in many forms (field order, escapes, hex case).
 * Seeds (`test_db_dump --write-seeds`): lines of every kind of field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/writer.h"
#include "db/dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena a;
static char line1[DB_DUMP_MAX_LINE], line2[DB_DUMP_MAX_LINE];
static uint8_t rec1[DB_MAX_RECORD], rec2[DB_MAX_RECORD];

static void
one_policy(const char *in, size_t size)
{
	struct db_policy p, q;
	struct writer w1, w2;
	size_t l1 = 0, l2 = 0;
	char err[256];

	if (db_dump_policy_parse(in, size, &a, &p, err, sizeof(err)) != ORTH_OK)
		return;
	writer_init(&w1, line1, sizeof(line1));
	if (db_dump_policy_format(&p, &w1) != ORTH_OK ||
	    db_dump_policy_parse(line1, w1.len, &a, &q, err, sizeof(err)) != ORTH_OK)
		abort();
	if (db_policy_encode(&p, rec1, sizeof(rec1), &l1) != ORTH_OK ||
	    db_policy_encode(&q, rec2, sizeof(rec2), &l2) != ORTH_OK || l1 != l2 ||
	    memcmp(rec1, rec2, l1) != 0)
		abort();
	writer_init(&w2, line2, sizeof(line2));
	if (db_dump_policy_format(&q, &w2) != ORTH_OK || w2.len != w1.len ||
	    memcmp(line1, line2, w1.len) != 0)
		abort();
}

static void
one_principal(const char *in, size_t size)
{
	struct db_entry *e = arena_alloc(&a, sizeof(*e)), *d = arena_alloc(&a, sizeof(*d));
	struct writer w1, w2;
	size_t l1 = 0, l2 = 0;
	char err[256];

	if (e == NULL || d == NULL ||
	    db_dump_entry_parse(in, size, &a, e, err, sizeof(err)) != ORTH_OK)
		return;
	writer_init(&w1, line1, sizeof(line1));
	if (db_dump_entry_format(e, &w1) != ORTH_OK ||
	    db_dump_entry_parse(line1, w1.len, &a, d, err, sizeof(err)) != ORTH_OK)
		abort();
	if (db_entry_encode(e, rec1, sizeof(rec1), &l1) != ORTH_OK ||
	    db_entry_encode(d, rec2, sizeof(rec2), &l2) != ORTH_OK || l1 != l2 ||
	    memcmp(rec1, rec2, l1) != 0)
		abort();
	writer_init(&w2, line2, sizeof(line2));
	if (db_dump_entry_format(d, &w2) != ORTH_OK || w2.len != w1.len ||
	    memcmp(line1, line2, w1.len) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (a.base == NULL &&
	    (crypto_init() != ORTH_OK || arena_init(&a, 8 * DB_DUMP_MAX_LINE) != ORTH_OK))
		abort();
	arena_reset(&a);
	if (size > DB_DUMP_MAX_LINE)
		return 0;
	if (size >= 6 && memcmp(data, "policy", 6) == 0)
		one_policy((const char *)data, size);
	else
		one_principal((const char *)data, size);
	return 0;
}
