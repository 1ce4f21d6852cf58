/*
 * admin_bulk.c - `orthrus admin bulk-add PREFIX COUNT [--start N]
 * [--batch N]`: COUNT principals PREFIX<start> .. PREFIX<start+COUNT-1>,
 * each with random keys of the realm's enctypes and the realm's default
 * flags, BATCH of them (default 10,000) to one write transaction.  For
 * tests and benchmarks of large realms (issue 9: a million principals in
 * under a minute): one transaction per principal, as `add` makes, would
 * spend its time in commits.  Random keys only: a password's string2key
 * (PBKDF2, RFC 3962 §4) costs milliseconds, a million of them half an hour.
 * A name that exists already stops it; the batches before it stay
 * written, nothing of its own batch is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "commands.h"
#include "crypto/crypto.h"
#include "db/db.h"
#include "kdc/account.h"
#include "proto/principal.h"

#define CMD "admin"
#define BULK_DEFAULT_BATCH 10000

/* A number argument of at most max; false when it is not one. */
static bool
count_parse(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

/* One principal into t: name text, random keys; ORTH_E_EXISTS if taken. */
static orth_err
bulk_put(struct admin *ad, struct db_txn *t, const char *text, const int32_t *ets,
	 size_t nets, uint32_t attrs, struct arena *a, char *name, size_t cap)
{
	orth_err ret;
	struct principal p;
	struct db_entry e;
	struct db_keyset ks;

	TRY(principal_parse(text, ad->realm->name, a, &p));
	CHECK(strcmp(p.realm, ad->realm->name) == 0, ORTH_E_BADNAME);
	TRY(principal_unparse(&p, name, cap, NULL));
	CHECK(strlen(name) <= DB_MAX_NAME, ORTH_E_BADNAME);
	memset(&e, 0, sizeof(e));
	e.name = name;
	e.policy = "";
	e.attributes = attrs;
	e.mod_time = (int64_t)time(NULL);
	e.mod_by = admin_mod_by();
	TRY(account_keyset_make(ad->db, &p, NULL, 0, ets, nets, 1, a, &ks));
	TRY(db_entry_add_keyset(&e, &ks, 0));
	TRY(db_txn_put(t, &e, DB_PUT_NEW));
cleanup:
	return ret;
}

int
admin_bulk_add(struct admin *ad, int argc, char **argv)
{
	unsigned long count = 0, start = 0, batch = BULK_DEFAULT_BATCH, i;
	const char *prefix = NULL;
	char text[DB_MAX_NAME + 32], name[DB_MAX_NAME + 8] = "";
	int32_t ets[DB_MAX_KEYS];
	size_t nets;
	uint32_t attrs = 0;
	struct db_txn *t = NULL;
	struct arena a = {0};
	orth_err ret = ORTH_OK;
	int rc = 1;

	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--start") == 0 && k + 1 < argc &&
		    count_parse(argv[k + 1], 1000000000000ul, &start))
			k++;
		else if (strcmp(argv[k], "--batch") == 0 && k + 1 < argc &&
			 count_parse(argv[k + 1], 1000000, &batch) && batch > 0)
			k++;
		else if (prefix == NULL && argv[k][0] != '-')
			prefix = argv[k];
		else if (prefix != NULL && count == 0 && count_parse(argv[k], 100000000, &count))
			continue;
		else {
			cli_error(CMD, "bulk-add: PREFIX COUNT [--start N] [--batch N]");
			return 2;
		}
	}
	if (prefix == NULL || count == 0) {
		cli_error(CMD, "bulk-add: PREFIX COUNT [--start N] [--batch N]");
		return 2;
	}
	if (admin_setup(ad, true, true))
		return 1;
	nets = ad->realm->n_enctypes < DB_MAX_KEYS ? ad->realm->n_enctypes : DB_MAX_KEYS;
	memcpy(ets, ad->realm->supported_enctypes, nets * sizeof(ets[0]));
	if (ad->realm->default_principal_flags != NULL &&
	    db_attrs_apply(ad->realm->default_principal_flags, &attrs) != ORTH_OK) {
		cli_error(CMD, "%s: bad default_principal_flags '%s'", ad->config_path,
			  ad->realm->default_principal_flags);
		return 1;
	}
	if (arena_init(&a, 64u * 1024) != ORTH_OK)
		return 1;
	for (i = 0; i < count && ret == ORTH_OK; i++) {
		if (t == NULL)
			ret = db_txn_begin(ad->db, &t);
		snprintf(text, sizeof(text), "%s%lu", prefix, start + i);
		if (ret == ORTH_OK)
			ret = bulk_put(ad, t, text, ets, nets, attrs, &a, name, sizeof(name));
		arena_reset(&a); /* wipes the keys made for this one */
		if (ret == ORTH_OK && ((i + 1) % batch == 0 || i + 1 == count)) {
			ret = db_txn_commit(t);
			t = NULL;
		}
	}
	if (ret == ORTH_E_BADNAME)
		cli_error(CMD, "bulk-add: bad principal name '%s'", text);
	else if (ret != ORTH_OK)
		admin_db_fail("bulk-add", name[0] ? name : text, ret);
	else {
		printf("added %lu principals %s%lu .. %s%lu\n", count, prefix, start, prefix,
		       start + count - 1);
		rc = 0;
	}
	db_txn_abort(t);
	arena_free(&a);
	return rc;
}
