/*
 * mitdump_fuzz.c - libFuzzer harness for reading MIT krb5's `kdb5_util
 * dump` (src/db/mitdump.h), what `orthrus admin import-mit` is given: the
 * input is one line of a dump, read as a header and as a record of each
 * dump version (5, 6, 7); a principal that parses has its tl-data read
 * (MKVNO, LAST_PWD_CHANGE, MOD_PRINC, the kadmin data in XDR) and every
 * key, and every password history key, unsealed with a fixed master key
 * (the K/M key of tests/unit/db/data/mit_realm, so that seeds from that
 * dump reach the decryption and succeed).
 *
 * Oracles besides the sanitizers: a parsed principal keeps the limits of
 * mitdump.h (counts, key-data versions, a name without NUL of its stated
 * length); unsealing answers only success, ORTH_E_ENCTYPE,
 * ORTH_E_MASTERKEY or ORTH_E_MALFORMED, and a success is a key of its
 * enctype's length.  Seeds: the lines of that dump (`test_mitdump
 * --write-seeds`).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db/mitdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct arena a;
static struct crypto_key *mkey;

/* tests/unit/db/test_mitdump.c's stash_key_hex */
static const uint8_t km_key[32] = {
	0xbf, 0x41, 0xb1, 0x98, 0x56, 0x9c, 0x5a, 0x62, 0x34, 0x32, 0xe6, 0xb6, 0x32, 0x56, 0xb2, 0x91,
	0x21, 0xce, 0x21, 0x84, 0x9c, 0x70, 0xa3, 0x61, 0xde, 0xf2, 0x54, 0xcb, 0xcc, 0x06, 0x53, 0xc4,
};

static void
unseal(const struct mit_key_data *kd)
{
	struct crypto_key *k = NULL;
	orth_err ret = mitdump_key_unseal(mkey, kd, &k);
	size_t len = 0;

	if (ret == ORTH_OK) {
		(void)crypto_key_bytes(k, &len);
		if (len != crypto_enctype_keylen(kd->type[0]))
			abort();
		crypto_key_free(k);
	} else if (ret != ORTH_E_ENCTYPE && ret != ORTH_E_MASTERKEY && ret != ORTH_E_MALFORMED) {
		abort();
	}
}

static void
one(const char *line, size_t size, unsigned version)
{
	enum mitdump_kind kind;
	struct mit_princ p;
	struct mit_policy pol;
	struct mit_kadm kadm;
	const struct mit_tl *tl;
	const char *mod_by;
	uint32_t u;
	uint16_t v;
	char err[256];

	arena_reset(&a);
	if (mitdump_line_parse(line, size, version, &a, &kind, &p, &pol, err, sizeof(err)) !=
	    ORTH_OK)
		return;
	if (kind == MITDUMP_POLICY) {
		if (pol.name == NULL || pol.name[0] == '\0' || pol.ntl > MITDUMP_MAX_TL)
			abort();
		return;
	}
	if (kind != MITDUMP_PRINC || p.name == NULL || p.name[0] == '\0' ||
	    p.ntl > MITDUMP_MAX_TL || p.nkeys > MITDUMP_MAX_KEYS)
		abort();
	(void)mitdump_tl_u16(&p, MIT_TL_MKVNO, &v);
	(void)mitdump_tl_u32(&p, MIT_TL_LAST_PWD_CHANGE, &u);
	(void)mitdump_tl_mod_princ(&p, &a, &u, &mod_by);
	for (size_t i = 0; i < p.nkeys; i++) {
		if (p.keys[i].ver < 1 || p.keys[i].ver > 2)
			abort();
		unseal(&p.keys[i]);
	}
	tl = mitdump_tl_find(&p, MIT_TL_KADM_DATA);
	if (tl != NULL && mitdump_kadm_decode(tl->data, tl->len, &a, &kadm) == ORTH_OK) {
		if (kadm.nhist > MITDUMP_MAX_HIST)
			abort();
		for (size_t i = 0; i < kadm.nhist; i++)
			for (size_t j = 0; j < kadm.hist[i].nkeys; j++)
				unseal(&kadm.hist[i].keys[j]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned version = 0;
	char err[256];

	if (a.base == NULL &&
	    (crypto_init() != ORTH_OK || arena_init(&a, 16u << 20) != ORTH_OK ||
	     crypto_key_new(18, km_key, sizeof(km_key), &mkey) != ORTH_OK))
		abort();
	if (size > MITDUMP_MAX_LINE)
		return 0;
	if (mitdump_header_parse((const char *)data, size, &version, err, sizeof(err)) == ORTH_OK &&
	    (version < 5 || version > 7))
		abort();
	for (unsigned v = 5; v <= 7; v++)
		one((const char *)data, size, v);
	return 0;
}
