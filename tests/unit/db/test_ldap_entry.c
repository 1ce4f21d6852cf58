/*
 * test_ldap_entry.c - principals and policies as entries of MIT's Kerberos
 * LDAP schema (src/db/ldap_entry.h): round trips, the KrbKeySet encoding,
 * DN escapes, failure records, delegation targets, and hostile entries
 * refused.
 *
 *   test_ldap_entry                     run the checks
 *   test_ldap_entry --write-seeds DIR   also write the seeds of
 *                                       fuzz/corpus/ldap_keyset (DER) and
 *                                       fuzz/corpus/ldap_entry (the text
 *                                       form fuzz/ldap_entry_fuzz.c reads)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ldap_entry.h"
#include "../test.h"

static const uint8_t enc1[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
			       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};
static const uint8_t salt[] = "EX.COMalice";
static const uint8_t s2k[] = {0, 0, 0x10, 0};
static const char *seed_dir;
static struct arena a;

static void
fill(struct db_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name = "alice@EX.COM";
	e->attributes = DB_ATTR_REQUIRES_PREAUTH | DB_ATTR_OK_AS_DELEGATE | DB_ATTR_REQUIRES_FAST;
	e->max_life = 36000;
	e->max_renew = 604800;
	e->pw_expire = 2000000000;
	e->last_pw_change = 1700000000;
	e->mod_by = "";
	e->policy = "lock3";
	e->fail_count = 2;
	e->last_failed = 1700000100;
	e->nkeysets = 2;
	e->keysets[0].kvno = 3;
	e->keysets[0].nkeys = 2;
	e->keysets[0].keys[0] =
		(struct db_key){18, DB_SALT_NORMAL, salt, 11, s2k, 4, enc1, 28, DB_SEAL_BOUND, 3};
	e->keysets[0].keys[1] =
		(struct db_key){17, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 20, DB_SEAL_BOUND, 3};
	e->keysets[1].kvno = 2;
	e->keysets[1].nkeys = 1;
	e->keysets[1].keys[0] =
		(struct db_key){20, DB_SALT_SPECIAL, salt, 3, NULL, 0, enc1, 24, DB_SEAL_BOUND, 2};
	e->nhist = 2;
	e->hist[0] = (struct db_key){18, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 26, DB_SEAL_BOUND, 2};
	e->hist[1] = (struct db_key){18, DB_SALT_NORMAL, salt, 11, NULL, 0, enc1, 25, DB_SEAL_BOUND, 1};
}

/* The db record of e: equal records, equal entries. */
static size_t
record(const struct db_entry *e, uint8_t *buf)
{
	size_t len = 0;
	EXPECT_EQ_INT(db_entry_encode(e, buf, DB_MAX_RECORD, &len), ORTH_OK);
	return len;
}

static void
seed_write(const char *sub, const char *name, const void *b, size_t len)
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

/* d in the fuzzer's text form: "dn: DN", then "attr: value" lines, or
 * "attr:: HEX" for values that are not printable. */
static void
seed_entry(const char *name, const struct ldap_dentry *d)
{
	static char buf[1 << 16];
	size_t n = 0;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "dn: %s\n", d->dn);
	for (size_t i = 0; i < d->nattrs; i++)
		for (size_t j = 0; j < d->attrs[i].nvals; j++) {
			const struct ldap_value *v = &d->attrs[i].vals[j];
			bool text = true;
			for (size_t k = 0; k < v->len; k++)
				text = text && v->data[k] >= 0x20 && v->data[k] < 0x7f;
			if (text) {
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s: %.*s\n",
						      d->attrs[i].name, (int)v->len,
						      (const char *)v->data);
			} else {
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s:: ",
						      d->attrs[i].name);
				for (size_t k = 0; k < v->len; k++)
					n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%02x",
							      v->data[k]);
				n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\n");
			}
		}
	seed_write("ldap_entry", name, buf, n);
}

static void
test_keyset(void)
{
	struct db_entry e;
	struct db_keyset ks;
	uint8_t *der = NULL, *der2 = NULL;
	size_t len = 0, len2 = 0;

	fill(&e);
	EXPECT_EQ_INT(ldap_keyset_encode(&e.keysets[0], &a, &der, &len), ORTH_OK);
	/* SEQUENCE { [0] 1, [1] 1, [2] 3, [4] SEQUENCE OF ... } */
	size_t hl = der[1] & 0x80 ? 2 + (der[1] & 0x7fu) : 2;
	EXPECT(len > 16 && der[0] == 0x30);
	EXPECT_MEM(der + hl, "\xa0\x03\x02\x01\x01\xa1\x03\x02\x01\x01\xa2\x03\x02\x01\x03\xa4", 16);
	EXPECT_EQ_INT(ldap_keyset_decode(der, len, &a, &ks), ORTH_OK);
	EXPECT_EQ_INT(ks.kvno, 3);
	EXPECT_EQ_INT(ks.nkeys, 2);
	EXPECT_EQ_INT(ks.keys[0].enctype, 18);
	EXPECT_EQ_INT(ks.keys[0].seal, DB_SEAL_BOUND);
	EXPECT_EQ_INT(ks.keys[0].kvno, 3);
	EXPECT_EQ_INT(ks.keys[0].s2kparams_len, 4);
	EXPECT_EQ_INT(ks.keys[1].s2kparams_len, 0);
	EXPECT(ks.keys[1].s2kparams == NULL);
	EXPECT_EQ_INT(ks.keys[0].enc_len, 28);
	EXPECT_MEM(ks.keys[0].enc, enc1, 28);
	EXPECT_EQ_INT(ks.keys[0].salt_len, 11);
	EXPECT_EQ_INT(ldap_keyset_encode(&ks, &a, &der2, &len2), ORTH_OK);
	EXPECT(len2 == len && memcmp(der, der2, len) == 0);
	seed_write("ldap_keyset", "two_keys", der, len);

	/* A raw key is never written: bind it first. */
	e.keysets[0].keys[1].seal = DB_SEAL_RAW;
	EXPECT_EQ_INT(ldap_keyset_encode(&e.keysets[0], &a, &der2, &len2), ORTH_E_RANGE);
	/* Two keys of one enctype in a set. */
	e.keysets[0].keys[1] = e.keysets[0].keys[0];
	EXPECT_EQ_INT(ldap_keyset_encode(&e.keysets[0], &a, &der2, &len2), ORTH_OK);
	EXPECT_EQ_INT(ldap_keyset_decode(der2, len2, &a, &ks), ORTH_E_MALFORMED);
	/* major version 2 */
	memcpy(der2, der, len);
	der2[hl + 4] = 2;
	EXPECT_EQ_INT(ldap_keyset_decode(der2, len, &a, &ks), ORTH_E_RANGE);
	/* trailing and truncated */
	EXPECT(ldap_keyset_decode(der, len - 1, &a, &ks) != ORTH_OK);
	/* No key at all. */
	static const uint8_t nokeys[] = {0x30, 0x13, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1,
					 0x03, 0x02, 0x01, 0x01, 0xa2, 0x03, 0x02, 0x01,
					 0x01, 0xa4, 0x02, 0x30, 0x00};
	EXPECT_EQ_INT(ldap_keyset_decode(nokeys, sizeof(nokeys), &a, &ks), ORTH_E_LIMIT);
	seed_write("ldap_keyset", "no_keys", nokeys, sizeof(nokeys));
	/* A key whose EncryptionKey has empty fields: refused. */
	static const uint8_t nosalt[] = {
		0x30, 0x24, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x03, 0x02, 0x01, 0x01,
		0xa2, 0x03, 0x02, 0x01, 0x02, 0xa3, 0x03, 0x02, 0x01, 0x01, 0xa4, 0x0e,
		0x30, 0x0c, 0x30, 0x0a, 0xa1, 0x08, 0x30, 0x06, 0xa0, 0x01, 0x00, 0xa1,
		0x01, 0x00};
	/* MIT writes no salt for the normal salt type: an empty one here.
	 * kvno 2, mkvno 1, one key {17, "\x99"}. */
	static const uint8_t nosalt_ok[] = {
		0x30, 0x28, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x03, 0x02, 0x01, 0x01,
		0xa2, 0x03, 0x02, 0x01, 0x02, 0xa3, 0x03, 0x02, 0x01, 0x01, 0xa4, 0x12,
		0x30, 0x10, 0x30, 0x0e, 0xa1, 0x0c, 0x30, 0x0a, 0xa0, 0x03, 0x02, 0x01,
		0x11, 0xa1, 0x03, 0x04, 0x01, 0x99};
	EXPECT(ldap_keyset_decode(nosalt, sizeof(nosalt), &a, &ks) != ORTH_OK);
	EXPECT_EQ_INT(ldap_keyset_decode(nosalt_ok, sizeof(nosalt_ok), &a, &ks), ORTH_OK);
	EXPECT_EQ_INT(ks.kvno, 2);
	EXPECT_EQ_INT(ks.keys[0].enctype, 17);
	EXPECT_EQ_INT(ks.keys[0].salt_type, DB_SALT_NORMAL);
	EXPECT_EQ_INT(ks.keys[0].salt_len, 0);
	EXPECT_EQ_INT(ks.keys[0].enc_len, 1);
	seed_write("ldap_keyset", "mit_no_salt", nosalt_ok, sizeof(nosalt_ok));
}

static const struct ldap_attr *
find(const struct ldap_dentry *d, const char *name)
{
	for (size_t i = 0; i < d->nattrs; i++)
		if (strcmp(d->attrs[i].name, name) == 0)
			return &d->attrs[i];
	return NULL;
}

static bool
value_is(const struct ldap_dentry *d, const char *name, const char *want)
{
	const struct ldap_attr *at = find(d, name);
	if (want == NULL)
		return at != NULL && at->nvals == 0;
	return at != NULL && at->nvals == 1 && at->vals[0].len == strlen(want) &&
	       memcmp(at->vals[0].data, want, strlen(want)) == 0;
}

static void
test_entry_round_trip(void)
{
	static uint8_t r1[DB_MAX_RECORD], r2[DB_MAX_RECORD];
	struct db_entry e, back;
	struct ldap_dentry d;
	struct ldap_failures f;
	char err[256] = "";
	size_t l1, l2;

	fill(&e);
	EXPECT_EQ_INT(ldap_entry_encode(&e, "cn=EX.COM,cn=krb,dc=ex", "cn=EX.COM,cn=krb,dc=ex",
					&a, &d), ORTH_OK);
	EXPECT(strcmp(d.dn, "krbPrincipalName=alice@EX.COM,cn=EX.COM,cn=krb,dc=ex") == 0);
	EXPECT(value_is(&d, "krbTicketFlags", "1074790528"));
	EXPECT(value_is(&d, "krbMaxTicketLife", "36000"));
	EXPECT(value_is(&d, "krbPasswordExpiration", "20330518033320Z"));
	EXPECT(value_is(&d, "krbLastPwdChange", "20231114221320Z"));
	EXPECT(value_is(&d, "krbPrincipalExpiration", NULL));
	EXPECT(value_is(&d, "krbPwdPolicyReference", "cn=lock3,cn=EX.COM,cn=krb,dc=ex"));
	EXPECT(find(&d, "krbPrincipalKey") != NULL && find(&d, "krbPrincipalKey")->nvals == 2);
	EXPECT(find(&d, "krbPwdHistory") != NULL && find(&d, "krbPwdHistory")->nvals == 2);
	EXPECT(find(&d, "krbLastSuccessfulAuth") == NULL);
	seed_entry("alice", &d);

	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, &f, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(f.n, 0);
	l1 = record(&e, r1);
	l2 = record(&back, r2);
	EXPECT(l1 == l2 && memcmp(r1, r2, l1) == 0);

	/* A flag above bit 31 of MIT's signed integer, a name to escape. */
	e.attributes = 0x80000001u;
	e.name = "a,b+c\\d=e@EX.COM";
	e.policy = "";
	EXPECT_EQ_INT(ldap_entry_encode(&e, "dc=ex", "dc=ex", &a, &d), ORTH_OK);
	EXPECT(strcmp(d.dn, "krbPrincipalName=a\\,b\\+c\\\\d\\=e@EX.COM,dc=ex") == 0);
	EXPECT(value_is(&d, "krbTicketFlags", "-2147483647"));
	EXPECT(value_is(&d, "krbPwdPolicyReference", NULL));
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(back.attributes, 0x80000001u);
	EXPECT(strcmp(back.name, e.name) == 0);
	EXPECT(strcmp(back.policy, "") == 0);
	seed_entry("escaped", &d);

	/* A raw key is not written. */
	fill(&e);
	e.hist[1].seal = DB_SEAL_RAW;
	EXPECT_EQ_INT(ldap_entry_encode(&e, "dc=ex", "dc=ex", &a, &d), ORTH_E_RANGE);
}

/* krbAllowedToDelegateTo <-> deleg: one value per target, both ways; an
 * empty list is an attribute without values (a modify deletes it); more
 * targets than a record holds, a bad name or one twice refuse the entry. */
static void
test_deleg(void)
{
	static uint8_t r1[DB_MAX_RECORD], r2[DB_MAX_RECORD];
	static struct ldap_value many[DB_MAX_DELEG + 1];
	static char names[DB_MAX_DELEG + 1][32];
	static uint8_t big[DB_MAX_NAME + 1];
	static const struct ldap_value pn = {(const uint8_t *)"svc@EX.COM", 10};
	struct db_entry e, back;
	struct ldap_dentry d;
	const struct ldap_attr *at;
	struct ldap_attr at2[2];
	char err[256] = "";
	size_t l1, l2;

	fill(&e);
	e.ndeleg = 2;
	e.deleg[0] = "host/x.ex.com@EX.COM";
	e.deleg[1] = "HTTP/web.ex.com@EX.COM";
	EXPECT_EQ_INT(ldap_entry_encode(&e, "dc=ex", "dc=ex", &a, &d), ORTH_OK);
	at = find(&d, "krbAllowedToDelegateTo");
	EXPECT(at != NULL && at->nvals == 2);
	if (at != NULL && at->nvals == 2) {
		EXPECT(at->vals[0].len == 20 && memcmp(at->vals[0].data, e.deleg[0], 20) == 0);
		EXPECT(at->vals[1].len == 22 && memcmp(at->vals[1].data, e.deleg[1], 22) == 0);
	}
	seed_entry("deleg", &d);
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(back.ndeleg, 2);
	if (back.ndeleg == 2)
		EXPECT(strcmp(back.deleg[0], e.deleg[0]) == 0 &&
		       strcmp(back.deleg[1], e.deleg[1]) == 0);
	l1 = record(&e, r1);
	l2 = record(&back, r2);
	EXPECT(l1 == l2 && memcmp(r1, r2, l1) == 0);

	/* None: the attribute with no value, so a replace deletes it. */
	e.ndeleg = 0;
	EXPECT_EQ_INT(ldap_entry_encode(&e, "dc=ex", "dc=ex", &a, &d), ORTH_OK);
	EXPECT(value_is(&d, "krbAllowedToDelegateTo", NULL));
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(back.ndeleg, 0);

	/* As many as a record holds, then one more. */
	for (size_t i = 0; i <= DB_MAX_DELEG; i++) {
		snprintf(names[i], sizeof(names[i]), "host/h%zu@EX.COM", i);
		many[i] = (struct ldap_value){(const uint8_t *)names[i], strlen(names[i])};
	}
	at2[0] = (struct ldap_attr){"krbPrincipalName", 1, &pn};
	at2[1] = (struct ldap_attr){"krbAllowedToDelegateTo", DB_MAX_DELEG, many};
	d = (struct ldap_dentry){"krbPrincipalName=svc@EX.COM,dc=ex", 2, at2};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(back.ndeleg, DB_MAX_DELEG);
	at2[1].nvals = DB_MAX_DELEG + 1;
	err[0] = '\0';
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_E_LIMIT);
	EXPECT(strstr(err, "krbAllowedToDelegateTo") != NULL);
	/* One name twice: the directory's equality rule forbids it. */
	many[1] = many[0];
	at2[1].nvals = 2;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_E_MALFORMED);
	/* A name too long for a record. */
	memset(big, 'a', sizeof(big));
	at2[1] = (struct ldap_attr){"krbAllowedToDelegateTo", 1,
				    &(struct ldap_value){big, sizeof(big)}};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &back, NULL, err, sizeof(err)), ORTH_E_LIMIT);
}

static void
test_dn(void)
{
	const char *v = NULL;

	EXPECT_EQ_INT(ldap_dn_first_value("cn=lock3,cn=EX.COM,dc=ex", "cn", &a, &v), ORTH_OK);
	EXPECT(v != NULL && strcmp(v, "lock3") == 0);
	EXPECT_EQ_INT(ldap_dn_first_value("CN=a\\2cb\\,c,dc=ex", "cn", &a, &v), ORTH_OK);
	EXPECT(v != NULL && strcmp(v, "a,b,c") == 0);
	EXPECT_EQ_INT(ldap_dn_first_value("uid=x,dc=ex", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_dn_first_value("cn=a+sn=b,dc=ex", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_dn_first_value("cn=a\\00b,dc=ex", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_dn_first_value("cn=a\\q", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_dn_first_value("cn=a\\", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(ldap_dn_first_value("cn=,dc=ex", "cn", &a, &v), ORTH_E_MALFORMED);
	EXPECT(strcmp(ldap_dn_make("cn", " #x ", "dc=ex", &a), "cn=\\ #x\\ ,dc=ex") == 0);
}

static void
test_failure_records(void)
{
	char buf[128], err[256];
	size_t len = 0;
	struct ldap_value v[4];
	struct ldap_attr at[2];
	struct ldap_dentry d;
	struct db_entry e;
	struct ldap_failures f;
	static char vals[4][128];

	/* Three failures: at t, t+1 on two KDCs, and t+1000. */
	const int64_t t = 1764655200; /* 2025-12-02 06:00:00 */
	const char *kdc[] = {"kdc1", "kdc2", "kdc1", "kdc2"};
	const int64_t when[] = {t, t + 1, t + 1, t + 1000};
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ_INT(ldap_failure_format(when[i], kdc[i], (uint64_t)i, vals[i],
						  sizeof(vals[i]), &len), ORTH_OK);
		v[i] = (struct ldap_value){(const uint8_t *)vals[i], len};
	}
	EXPECT(strcmp(vals[0], "20251202060000Z kdc1 0") == 0);
	EXPECT_EQ_INT(ldap_failure_format(t, "a b", 1, buf, sizeof(buf), &len), ORTH_E_LIMIT);
	EXPECT_EQ_INT(ldap_failure_format(t, "", 1, buf, sizeof(buf), &len), ORTH_E_LIMIT);
	EXPECT_EQ_INT(ldap_failure_format(t, "kdc1", 1, buf, 10, &len), ORTH_E_LIMIT);

	static const struct ldap_value name = {(const uint8_t *)"bob@EX.COM", 10};
	at[0] = (struct ldap_attr){"krbPrincipalName", 1, &name};
	at[1] = (struct ldap_attr){"orthrusFailedAuth", 4, v};
	d = (struct ldap_dentry){"krbPrincipalName=bob@EX.COM,dc=ex", 2, at};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, &f, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(f.n, 4);
	EXPECT_EQ_INT(e.fail_count, 4);
	EXPECT_EQ_INT(e.last_failed, t + 1000);
	seed_entry("failures", &d);
	ldap_failures_fold(&f, 300, &e);
	EXPECT_EQ_INT(e.fail_count, 1);
	ldap_failures_fold(&f, 1000, &e);
	EXPECT_EQ_INT(e.fail_count, 4);
	ldap_failures_fold(&f, 999, &e);
	EXPECT_EQ_INT(e.fail_count, 3);

	/* Malformed records refuse the entry. */
	static const char *bad[] = {
		"20251202060000Z kdc1", "20251202060000Z  1", "20251302060000Z kdc1 1",
		"20251202060000Z kdc1 01", "2025120206000Z kdc1 1", "20251202060000Z kdc1 x",
		"20251202060000Z k\tc 1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v[0] = (struct ldap_value){(const uint8_t *)bad[i], strlen(bad[i])};
		EXPECT(ldap_entry_decode(&d, &a, &e, &f, err, sizeof(err)) != ORTH_OK);
		EXPECT(strstr(err, "orthrusFailedAuth") != NULL);
	}
}

/* One hostile variation of a good entry: attribute name gets value. */
static orth_err
decode_with(const char *name, const char *value, char *err, size_t errlen)
{
	static const struct ldap_value pn = {(const uint8_t *)"eve@EX.COM", 10};
	struct ldap_value v = {(const uint8_t *)value, strlen(value)};
	struct ldap_attr at[2] = {{"krbPrincipalName", 1, &pn}, {name, 1, &v}};
	struct ldap_dentry d = {"krbPrincipalName=eve@EX.COM,dc=ex", 2, at};
	struct db_entry e;

	err[0] = '\0';
	return ldap_entry_decode(&d, &a, &e, NULL, err, errlen);
}

static void
test_hostile(void)
{
	char err[256];
	static const struct {
		const char *attr, *value;
		orth_err want;
	} cases[] = {
		{"krbMaxTicketLife", "01", ORTH_E_MALFORMED},
		{"krbMaxTicketLife", "-0", ORTH_E_MALFORMED},
		{"krbMaxTicketLife", "-5", ORTH_E_RANGE},
		{"krbMaxTicketLife", "+5", ORTH_E_MALFORMED},
		{"krbMaxTicketLife", "", ORTH_E_MALFORMED},
		{"krbMaxTicketLife", "3000000000", ORTH_E_RANGE},
		{"krbMaxTicketLife", "99999999999999999999", ORTH_E_RANGE},
		{"krbMaxTicketLife", "999999999999999999999", ORTH_E_MALFORMED},
		{"krbTicketFlags", "4294967296", ORTH_E_RANGE},
		{"krbTicketFlags", "-2147483649", ORTH_E_RANGE},
		{"krbLoginFailedCount", "1x", ORTH_E_MALFORMED},
		{"krbPrincipalExpiration", "20260230000000Z", ORTH_E_RANGE},
		{"krbPrincipalExpiration", "20250229000000Z", ORTH_E_RANGE},
		{"krbPrincipalExpiration", "20260101000000", ORTH_E_MALFORMED},
		{"krbPrincipalExpiration", "20260101000000+0100", ORTH_E_MALFORMED},
		{"krbPrincipalExpiration", "20260101240000Z", ORTH_E_RANGE},
		{"krbPrincipalExpiration", "18991231235959Z", ORTH_E_RANGE},
		{"krbPwdPolicyReference", "uid=x,dc=ex", ORTH_E_MALFORMED},
		{"krbPwdPolicyReference", "cn=a+cn=b,dc=ex", ORTH_E_MALFORMED},
		{"krbPrincipalKey", "\x30\x00", ORTH_E_TRUNCATED},
		{"krbPwdHistory", "junk", ORTH_E_TRUNCATED},
		{"krbCanonicalName", "a\nb@EX.COM", ORTH_E_MALFORMED},
		{"krbAllowedToDelegateTo", "", ORTH_E_MALFORMED},
		{"krbAllowedToDelegateTo", "host/x\n@EX.COM", ORTH_E_MALFORMED},
		{"krbAllowedToDelegateTo", "host/\xc3\xa9@EX.COM", ORTH_E_MALFORMED},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		orth_err r = decode_with(cases[i].attr, cases[i].value, err, sizeof(err));
		EXPECT_EQ_INT(r, cases[i].want);
		if (r != cases[i].want)
			fprintf(stderr, "    case %zu: %s: %s -> %s\n", i, cases[i].attr,
				cases[i].value, err);
		else
			EXPECT(strstr(err, cases[i].attr) != NULL);
	}
	EXPECT_EQ_INT(decode_with("krbPrincipalExpiration", "20240229235959Z", err, sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(decode_with("description", "\x01\x02", err, sizeof(err)), ORTH_OK);

	/* No name, two names, a name too long, an attribute twice, too many
	 * values, a value too large, too many attributes. */
	static const struct ldap_value two[2] = {{(const uint8_t *)"a@X", 3},
						 {(const uint8_t *)"b@X", 3}};
	static uint8_t big[LDAP_MAX_VALUE + 1];
	static struct ldap_value many[LDAP_MAX_VALUES + 1];
	static struct ldap_attr lots[LDAP_MAX_ATTRS + 1];
	struct ldap_attr at[2];
	struct ldap_dentry d = {"dc=ex", 0, at};
	struct db_entry e;

	d.nattrs = 0;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_MALFORMED);
	at[0] = (struct ldap_attr){"krbPrincipalName", 2, two};
	d.nattrs = 1;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_MALFORMED);
	at[1] = (struct ldap_attr){"krbCanonicalName", 1, two};
	d.nattrs = 2;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT(strcmp(e.name, "a@X") == 0);
	at[1] = (struct ldap_attr){"KRBPRINCIPALNAME", 1, two};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_MALFORMED);
	memset(big, 'a', sizeof(big));
	at[0] = (struct ldap_attr){"krbPrincipalName", 1, &(struct ldap_value){big, DB_MAX_NAME + 1}};
	d.nattrs = 1;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_LIMIT);
	at[1] = (struct ldap_attr){"description", 1, &(struct ldap_value){big, sizeof(big)}};
	at[0] = (struct ldap_attr){"krbPrincipalName", 1, two};
	d.nattrs = 2;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_LIMIT);
	for (size_t i = 0; i <= LDAP_MAX_VALUES; i++)
		many[i] = two[0];
	at[1] = (struct ldap_attr){"description", LDAP_MAX_VALUES + 1, many};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_LIMIT);
	at[1] = (struct ldap_attr){"krbPrincipalKey", DB_MAX_KEYSETS + 1, many};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_LIMIT);
	for (size_t i = 0; i <= LDAP_MAX_ATTRS; i++)
		lots[i] = (struct ldap_attr){"krbPrincipalName", 1, two};
	d = (struct ldap_dentry){"dc=ex", LDAP_MAX_ATTRS + 1, lots};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_LIMIT);

	/* Two key sets of one kvno. */
	struct db_entry g;
	uint8_t *der;
	size_t len;
	fill(&g);
	EXPECT_EQ_INT(ldap_keyset_encode(&g.keysets[1], &a, &der, &len), ORTH_OK);
	struct ldap_value kv[2] = {{der, len}, {der, len}};
	at[0] = (struct ldap_attr){"krbPrincipalName", 1, two};
	at[1] = (struct ldap_attr){"krbPrincipalKey", 2, kv};
	d = (struct ldap_dentry){"dc=ex", 2, at};
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_E_MALFORMED);
	at[1].nvals = 1;
	EXPECT_EQ_INT(ldap_entry_decode(&d, &a, &e, NULL, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(e.nkeysets, 1);
}

static void
test_policy(void)
{
	struct db_policy p, back;
	struct ldap_dentry d;
	char err[256];
	uint8_t r1[1024], r2[1024];
	size_t l1 = 0, l2 = 0;

	memset(&p, 0, sizeof(p));
	p.name = "lock,3";
	p.pw_max_life = 7776000;
	p.pw_min_life = 3600;
	p.pw_min_length = 8;
	p.pw_min_classes = 3;
	p.pw_history_num = 5;
	p.pw_max_fail = 3;
	p.pw_failcnt_interval = 300;
	p.pw_lockout_duration = 600;
	p.n_allowed = 2;
	p.allowed_enctypes[0] = 18;
	p.allowed_enctypes[1] = 20;
	EXPECT_EQ_INT(ldap_policy_encode(&p, "cn=EX.COM,dc=ex", &a, &d), ORTH_OK);
	EXPECT(strcmp(d.dn, "cn=lock\\,3,cn=EX.COM,dc=ex") == 0);
	EXPECT(value_is(&d, "krbPwdMaxFailure", "3"));
	EXPECT(value_is(&d, "krbPwdAllowedKeysalts",
			"aes256-cts-hmac-sha1-96:normal,aes256-cts-hmac-sha384-192:normal"));
	seed_entry("policy", &d);
	EXPECT_EQ_INT(ldap_policy_decode(&d, &a, &back, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(db_policy_encode(&p, r1, sizeof(r1), &l1), ORTH_OK);
	EXPECT_EQ_INT(db_policy_encode(&back, r2, sizeof(r2), &l2), ORTH_OK);
	EXPECT(l1 == l2 && memcmp(r1, r2, l1) == 0);

	/* MIT's list with salts and duplicates; refusals. */
	struct ldap_value v = {(const uint8_t *)"aes256-cts:normal,aes256-cts:special, aes128-cts", 48};
	struct ldap_attr at[1] = {{"krbPwdAllowedKeysalts", 1, &v}};
	struct ldap_dentry d2 = {"cn=p,dc=ex", 1, at};
	EXPECT_EQ_INT(ldap_policy_decode(&d2, &a, &back, err, sizeof(err)), ORTH_OK);
	EXPECT_EQ_INT(back.n_allowed, 2);
	EXPECT(strcmp(back.name, "p") == 0);
	v = (struct ldap_value){(const uint8_t *)"rot13:normal", 12};
	EXPECT_EQ_INT(ldap_policy_decode(&d2, &a, &back, err, sizeof(err)), ORTH_E_MALFORMED);
	EXPECT(strstr(err, "krbPwdAllowedKeysalts") != NULL);
	at[0] = (struct ldap_attr){"krbPwdHistoryLength", 1, &(struct ldap_value){(const uint8_t *)"99", 2}};
	EXPECT(ldap_policy_decode(&d2, &a, &back, err, sizeof(err)) != ORTH_OK);
	d2.dn = "uid=p,dc=ex";
	at[0] = (struct ldap_attr){"krbPwdMaxFailure", 1, &(struct ldap_value){(const uint8_t *)"3", 1}};
	EXPECT_EQ_INT(ldap_policy_decode(&d2, &a, &back, err, sizeof(err)), ORTH_E_MALFORMED);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (arena_init(&a, 1 << 22) != ORTH_OK)
		return 1;
	test_keyset();
	test_entry_round_trip();
	test_deleg();
	test_dn();
	test_failure_records();
	test_hostile();
	test_policy();
	arena_free(&a);
	return test_done("ldap_entry");
}
