/*
 * dump.h - the text dump of a principal database (`orthrus admin dump` and
 * `load`): one line per principal and per policy, with named fields, so
 * that an administrator can read two dumps and diff them.  The format is
 * documented in docs/DUMP.md; in short (version 3):
 *
 *   orthrus-dump 3
 *   realm TEST.REALM
 *   check HEX                         the master key check value (db.h)
 *   policy NAME FIELD=VALUE ...       one line per policy, in name order
 *   principal NAME FIELD=VALUE ... [key FIELD=VALUE ...]... [hist ...]...
 *   end PRINCIPALS POLICIES
 *
 * Lines end with '\n'; tokens are separated by one space.  A value (and a
 * NAME) is written with every byte outside '!'..'~' and every '%' as %XX
 * (two hex digits), so a token never holds a space: a principal
 * "two words@R" is written "two%20words@R".
 * Numbers are decimal; times are "never" (0), an ISO 8601 UTC time
 * "2030-01-01T00:00:00Z", or a decimal Unix time outside years 1970-9999.
 * Keys stay sealed under the master key (db.h, "Keys at rest"): a dump is
 * as secret as the database, but holds no plaintext key.
 *
 * Older dumps still load: versions 1 and 2 (one hex record per line,
 * "princ HEX" / "policy HEX", db.h's record formats; version 1 without
 * policies and with "end PRINCIPALS").
 *
 * Parsing is strict: every field of a line once (s2kparams and deleg, the
 * delegation targets, may be left out when empty), no unknown field, no empty key set, kvnos of key sets
 * strictly decreasing, every limit of db.h; a line that parses encodes as
 * a record (db_entry_encode).
 */
#ifndef ORTHRUS_DB_DUMP_H
#define ORTHRUS_DB_DUMP_H

#include <stdio.h>

#include "base/writer.h"
#include "db/db.h"

#define DB_DUMP_VERSION 3
#define DB_DUMP_MAGIC "orthrus-dump"
/* The longest line, '\n' excluded: a record of DB_MAX_RECORD bytes
 * written as text stays below it (hex doubles the keys, %XX at most
 * triples a name or salt, the field names add little). */
#define DB_DUMP_MAX_LINE (4 * DB_MAX_RECORD)

/*
 * The principal line of e (without '\n') into w.  ORTH_E_LIMIT: does not
 * fit in w; ORTH_E_RANGE: e has an empty key set or a key of an unknown
 * seal (such an entry cannot be written back either).
 */
orth_err db_dump_entry_format(const struct db_entry *e, struct writer *w);
/* The policy line of p into w.  ORTH_E_LIMIT. */
orth_err db_dump_policy_format(const struct db_policy *p, struct writer *w);

/*
 * Parse one line (len bytes, without '\n'; need not be NUL-terminated).
 * *out's strings and bytes live in a.  On failure a short reason
 * naming the field goes to err ("field max_life: not a number").
 * ORTH_E_MALFORMED (syntax, unknown or repeated field), ORTH_E_TRUNCATED
 * (a field missing), ORTH_E_LIMIT (a db.h limit), ORTH_E_RANGE (a number
 * out of range).
 */
orth_err db_dump_entry_parse(const char *line, size_t len, struct arena *a,
			     struct db_entry *out, char *err, size_t errlen);
orth_err db_dump_policy_parse(const char *line, size_t len, struct arena *a,
			      struct db_policy *out, char *err, size_t errlen);

/*
 * One line of f into buf (cap bytes), without its '\n', NUL-terminated;
 * *len_out its length.  ORTH_E_NOTFOUND at the end of the file,
 * ORTH_E_TRUNCATED for a last line without '\n' (a cut file),
 * ORTH_E_LIMIT for a line of cap bytes or more or holding a NUL (the rest
 * of it is left unread), ORTH_E_IO.  Used for MIT's dumps too (mitdump.h).
 */
orth_err db_line_read(FILE *f, char *buf, size_t cap, size_t *len_out);

/* What a dump holds, for the caller's messages. */
struct db_dump_info {
	unsigned version;            /* 1, 2 or 3 */
	char realm[256];
	size_t nprinc, npol;         /* written or loaded */
	unsigned line;               /* line of the error (load) */
};

/*
 * Write the whole database to f (version DB_DUMP_VERSION), policies and
 * principals each in name order, in one read snapshot per kind.  info's
 * counts set.  ORTH_E_IO (f's error), db errors, the format errors.
 */
orth_err db_dump_write(struct db *db, FILE *f, struct db_dump_info *info);

/*
 * Read the header of f (the version line and the realm line) into info,
 * so that the caller can refuse a wrong file before it opens or creates a
 * database.  ORTH_E_MALFORMED with a line in err: not an Orthrus dump or
 * no realm line; ORTH_E_RANGE: a version this code does not know.
 */
orth_err db_dump_read_header(FILE *f, struct db_dump_info *info, char *err,
			     size_t errlen);

/*
 * Replace every principal and policy of db by the rest of f (after
 * db_dump_read_header), in one write transaction: all or nothing.  The
 * check value must decrypt under db's master key (ORTH_E_MASTERKEY
 * otherwise: the dump was made under another master key); every
 * principal goes through db_txn_put_raw's checks (its realm, every key
 * unseals for it).  On failure info->line is the line and err says what
 * is wrong with it (empty for ORTH_E_MASTERKEY and ORTH_E_NOSPACE, whose
 * meaning the caller words).  ORTH_E_TRUNCATED: no "end" line, or counts
 * that differ from it; ORTH_E_TRAILING: lines after it.
 */
orth_err db_dump_load(struct db *db, FILE *f, struct db_dump_info *info, char *err,
		      size_t errlen);

#endif
