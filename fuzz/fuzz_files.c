/*
 * fuzz_files.c - libFuzzer harnesses for the decoders of files and text
 * that are not DER: keytab, principal-database record, policy record,
 * profile config, principal names, the KDC's log lines (what `orthrus
 * explain` reads, maybe from a syslog file anyone can write to).  One is
 * chosen at build time with -DFUZZ_<NAME>.
 * Where an encoder exists, what decodes must re-encode to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/log.h"
#include "base/writer.h"
#include "client/keytab.h"
#include "db/db.h"
#include "proto/principal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena a;

#if defined(FUZZ_KEYTAB)
static void
one(const uint8_t *data, size_t size)
{
	struct keytab_entry *e = NULL;
	size_t n = 0, end = 0;
	if (keytab_decode(data, size, &a, &e, &n, &end) != ORTH_OK)
		return;
	/* Every entry decoded must encode again without error. */
	static uint8_t out[1 << 16];
	for (size_t i = 0; i < n; i++) {
		struct writer w;
		writer_init(&w, out, sizeof(out));
		if (keytab_entry_encode(&e[i], &w) != ORTH_OK && writer_err(&w) != ORTH_E_LIMIT)
			abort();
	}
}
#elif defined(FUZZ_DB_RECORD)
static void
one(const uint8_t *data, size_t size)
{
	struct db_entry *e = arena_alloc(&a, sizeof(*e));
	static uint8_t out[DB_MAX_RECORD], out2[DB_MAX_RECORD];
	size_t len = 0, len2 = 0;
	if (e == NULL || db_entry_decode(data, size, &a, e) != ORTH_OK)
		return;
	if (db_entry_encode(e, out, sizeof(out), &len) != ORTH_OK)
		abort();
	if (data[0] == DB_RECORD_VERSION) {
		if (len != size || memcmp(out, data, size) != 0)
			abort();
		return;
	}
	/* An older version encodes as the current one, which round-trips. */
	if (db_entry_decode(out, len, &a, e) != ORTH_OK ||
	    db_entry_encode(e, out2, sizeof(out2), &len2) != ORTH_OK || len2 != len ||
	    memcmp(out, out2, len) != 0)
		abort();
}
#elif defined(FUZZ_DB_POLICY)
static void
one(const uint8_t *data, size_t size)
{
	struct db_policy p;
	static uint8_t out[DB_MAX_RECORD];
	size_t len = 0;
	if (db_policy_decode(data, size, &a, &p) != ORTH_OK)
		return;
	if (db_policy_encode(&p, out, sizeof(out), &len) != ORTH_OK)
		abort();
	if (len != size || memcmp(out, data, size) != 0)
		abort();
}
#elif defined(FUZZ_CONFIG)
static void
one(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char err[256];
	if (config_parse_string((const char *)data, size, "fuzz", &cfg, err,
				sizeof(err)) == ORTH_OK)
		config_free(cfg);
}
#elif defined(FUZZ_PRINCIPAL)
static void
one(const uint8_t *data, size_t size)
{
	char *text = arena_strndup(&a, (const char *)data, size);
	struct principal p;
	char buf[PRINCIPAL_MAX_TEXT * 2 + 64];
	if (text == NULL || principal_parse(text, "FUZZ.REALM", &a, &p) != ORTH_OK)
		return;
	size_t len;
	if (principal_unparse(&p, buf, sizeof(buf), &len) != ORTH_OK)
		abort();
	/* Unparse then parse gives the same principal back (escapes may take
	 * the text past the parser's length cap: not a round trip to check). */
	struct principal q;
	if (len <= PRINCIPAL_MAX_TEXT &&
	    (principal_parse(buf, NULL, &a, &q) != ORTH_OK || !principal_equal(&p, &q)))
		abort();
}
#elif defined(FUZZ_LOG_LINE)
/* A positional field of the text format (peer, transport, type) that it
 * can carry: the KDC writes only such; a JSON line may hold anything. */
static bool
positional_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strcmp(s, "-") == 0)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || *s == '"' ||
		    *s == '\\' || *s == '=' || *s == '{')
			return false;
	return true;
}

static bool
short_enough(const struct log_request *r)
{
	const char *f[] = {r->peer, r->transport, r->msg_type, r->client,
			   r->service, r->result, r->reason, r->etypes};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] != NULL && strlen(f[i]) > 64)
			return false;
	return true;
}

static bool
same(const char *x, const char *y)
{
	return (x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* Whatever parses prints again, in both formats, and the print reads back
 * as the same record (fields the format carries; values short enough not
 * to be cut). */
static void
one(const uint8_t *data, size_t size)
{
	char *text = arena_strndup(&a, (const char *)data, size);
	char *store = arena_alloc(&a, 4096), *store2 = arena_alloc(&a, 8192);
	char *line = arena_alloc(&a, 4096);
	struct log_request r, b;

	if (text == NULL || store == NULL || store2 == NULL || line == NULL ||
	    log_request_parse(text, store, 4096, &r) != ORTH_OK || !short_enough(&r))
		return;
	for (int json = 0; json < 2; json++) {
		if (!json && !(positional_ok(r.peer) && positional_ok(r.transport) &&
			       positional_ok(r.msg_type)))
			continue;
		log_request_format(&r, json, line, 4096);
		if (log_request_parse(line, store2, 8192, &b) != ORTH_OK)
			abort();
		if (!same(r.peer, b.peer) || !same(r.transport, b.transport) ||
		    !same(r.msg_type, b.msg_type) || !same(r.client, b.client) ||
		    !same(r.service, b.service) || !same(r.result, b.result) ||
		    !same(r.etypes, b.etypes) || r.has_skew != b.has_skew ||
		    r.skew != b.skew || r.usec != b.usec)
			abort();
		/* the text format's reason "-" is its missing value */
		if (!same(r.reason, b.reason) && !(!json && r.reason != NULL &&
						  strcmp(r.reason, "-") == 0 && b.reason == NULL))
			abort();
		if (json && (r.code != b.code || (r.time_usec != 0 && r.time_usec != b.time_usec)))
			abort();
	}
}
#else
#error "build with -DFUZZ_KEYTAB, -DFUZZ_DB_RECORD, -DFUZZ_DB_POLICY, -DFUZZ_CONFIG, -DFUZZ_PRINCIPAL or -DFUZZ_LOG_LINE"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (a.base == NULL && arena_init(&a, 1 << 22) != ORTH_OK)
		abort();
	arena_reset(&a);
	one(data, size);
	return 0;
}
