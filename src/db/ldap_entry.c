/*
 * ldap_entry.c - principals and policies as LDAP entries of MIT's Kerberos
 * schema (see ldap_entry.h).  No libldap and no crypto here.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/hex.h"
#include "asn1/asn1.h"
#include "base/writer.h"
#include "crypto/crypto.h"
#include "ldap_entry.h"

/* How a scalar attribute's text maps to a field. */
enum ldap_kind {
	LK_FLAGS,    /* uint32_t, written as MIT's signed 32-bit integer */
	LK_SECONDS,  /* int64_t, 0..INT32_MAX seconds */
	LK_COUNT,    /* uint32_t, 0..UINT32_MAX */
	LK_TIME,     /* int64_t Unix time, GeneralizedTime; 0 = absent */
};

struct ldap_field {
	const char *attr;
	enum ldap_kind kind;
	size_t off;
	bool write;  /* written by ldap_*_encode */
};

/* The scalar principal attributes: add a row to map one more. */
static const struct ldap_field principal_fields[] = {
	{"krbTicketFlags", LK_FLAGS, offsetof(struct db_entry, attributes), true},
	{"krbMaxTicketLife", LK_SECONDS, offsetof(struct db_entry, max_life), true},
	{"krbMaxRenewableAge", LK_SECONDS, offsetof(struct db_entry, max_renew), true},
	{"krbPrincipalExpiration", LK_TIME, offsetof(struct db_entry, princ_expire), true},
	{"krbPasswordExpiration", LK_TIME, offsetof(struct db_entry, pw_expire), true},
	{"krbLastPwdChange", LK_TIME, offsetof(struct db_entry, last_pw_change), true},
	{"krbLoginFailedCount", LK_COUNT, offsetof(struct db_entry, fail_count), true},
	{"krbLastFailedAuth", LK_TIME, offsetof(struct db_entry, last_failed), true},
	/* Written by the KDC's lockout only (a reset), not by admin writes:
	 * two writers of one attribute would race. */
	{"krbLastSuccessfulAuth", LK_TIME, offsetof(struct db_entry, last_success), false},
	{"modifyTimestamp", LK_TIME, offsetof(struct db_entry, mod_time), false},
};

static const struct ldap_field policy_fields[] = {
	{"krbMaxPwdLife", LK_SECONDS, offsetof(struct db_policy, pw_max_life), true},
	{"krbMinPwdLife", LK_SECONDS, offsetof(struct db_policy, pw_min_life), true},
	{"krbPwdMinLength", LK_COUNT, offsetof(struct db_policy, pw_min_length), true},
	{"krbPwdMinDiffChars", LK_COUNT, offsetof(struct db_policy, pw_min_classes), true},
	{"krbPwdHistoryLength", LK_COUNT, offsetof(struct db_policy, pw_history_num), true},
	{"krbPwdMaxFailure", LK_COUNT, offsetof(struct db_policy, pw_max_fail), true},
	{"krbPwdFailureCountInterval", LK_SECONDS,
	 offsetof(struct db_policy, pw_failcnt_interval), true},
	{"krbPwdLockoutDuration", LK_SECONDS,
	 offsetof(struct db_policy, pw_lockout_duration), true},
};

#define NELEM(x) (sizeof(x) / sizeof((x)[0]))
#define LDAP_TIME_MIN (-2208988800LL) /* 1900-01-01T00:00:00Z */
#define A_NAME "krbPrincipalName"
#define A_CANON "krbCanonicalName"
#define A_KEY "krbPrincipalKey"
#define A_HIST "krbPwdHistory"
#define A_POLREF "krbPwdPolicyReference"
#define A_FAILED "orthrusFailedAuth"
#define A_KEYSALTS "krbPwdAllowedKeysalts"
#define A_DELEG "krbAllowedToDelegateTo"

static void
say(char *err, size_t errlen, const char *attr, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", attr, what);
}

/* ---- scalar values ---- */

/* A strict LDAP INTEGER (RFC 4517 §3.3.16): '-'? digits, no leading zero. */
static orth_err
int_parse(const struct ldap_value *v, int64_t lo, int64_t hi, int64_t *out)
{
	const uint8_t *p = v->data;
	size_t n = v->len, i = 0;
	bool neg = false;
	int64_t x = 0;

	if (n > 0 && p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= n || n > 20 || (p[i] == '0' && n - i > 1) || (neg && p[i] == '0'))
		return ORTH_E_MALFORMED;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return ORTH_E_MALFORMED;
		if (x > (INT64_MAX - 9) / 10)
			return ORTH_E_RANGE;
		x = x * 10 + (p[i] - '0');
	}
	if (neg)
		x = -x;
	if (x < lo || x > hi)
		return ORTH_E_RANGE;
	*out = x;
	return ORTH_OK;
}

/* GeneralizedTime as MIT and OpenLDAP write it, KerberosTime's form:
 * "YYYYMMDDHHMMSSZ" from the year 1900 on. */
static orth_err
time_parse(const struct ldap_value *v, int64_t *out)
{
	orth_err ret = ORTH_OK;
	int64_t t = 0;

	CHECK(v->len == 15 && v->data[14] == 'Z', ORTH_E_MALFORMED);
	for (size_t i = 0; i < 14; i++)
		CHECK(v->data[i] >= '0' && v->data[i] <= '9', ORTH_E_MALFORMED);
	TRY(der_time_parse(v->data, v->len, &t));
	CHECK(t >= LDAP_TIME_MIN, ORTH_E_RANGE);
	*out = t;
cleanup:
	return ret;
}

static orth_err
time_format(int64_t t, char *buf, size_t cap)
{
	if (cap < 16 || t < LDAP_TIME_MIN || der_time_format(t, buf) != ORTH_OK)
		return ORTH_E_RANGE;
	buf[15] = '\0';
	return ORTH_OK;
}

static orth_err
field_decode(const struct ldap_field *f, const struct ldap_value *v, void *base)
{
	orth_err ret = ORTH_OK;
	int64_t x = 0;
	uint8_t *p = (uint8_t *)base + f->off;

	switch (f->kind) {
	case LK_FLAGS:
		TRY(int_parse(v, INT32_MIN, UINT32_MAX, &x));
		*(uint32_t *)(void *)p = (uint32_t)x;
		break;
	case LK_SECONDS:
		TRY(int_parse(v, 0, INT32_MAX, &x));
		*(int64_t *)(void *)p = x;
		break;
	case LK_COUNT:
		TRY(int_parse(v, 0, UINT32_MAX, &x));
		*(uint32_t *)(void *)p = (uint32_t)x;
		break;
	case LK_TIME:
		TRY(time_parse(v, &x));
		*(int64_t *)(void *)p = x;
		break;
	}
cleanup:
	return ret;
}

/* The text of f's field of base in a; NULL with ORTH_OK when it has no
 * value (zero, for times and durations). */
static orth_err
field_encode(const struct ldap_field *f, const void *base, struct arena *a,
	     char **out)
{
	orth_err ret = ORTH_OK;
	const uint8_t *p = (const uint8_t *)base + f->off;
	char buf[32];
	int64_t x;

	*out = NULL;
	switch (f->kind) {
	case LK_FLAGS:
		/* MIT's krbTicketFlags is a signed 32-bit integer. */
		snprintf(buf, sizeof(buf), "%d", (int32_t) * (const uint32_t *)(const void *)p);
		break;
	case LK_COUNT:
		snprintf(buf, sizeof(buf), "%u", *(const uint32_t *)(const void *)p);
		break;
	case LK_SECONDS:
		x = *(const int64_t *)(const void *)p;
		CHECK(x >= 0 && x <= INT32_MAX, ORTH_E_RANGE);
		if (x == 0)
			goto cleanup;
		snprintf(buf, sizeof(buf), "%lld", (long long)x);
		break;
	case LK_TIME:
		x = *(const int64_t *)(const void *)p;
		if (x == 0)
			goto cleanup;
		TRY(time_format(x, buf, sizeof(buf)));
		break;
	}
	*out = arena_strndup(a, buf, strlen(buf));
	CHECK(*out != NULL, ORTH_E_LIMIT);
cleanup:
	return ret;
}

/* ---- KrbKeySet ---- */

static orth_err
krbkey_to_db(const KrbKey *kk, uint32_t kvno, struct db_key *k)
{
	memset(k, 0, sizeof(*k));
	k->enctype = kk->key.keytype;
	k->seal = DB_SEAL_BOUND;
	k->kvno = kvno;
	k->salt_type = DB_SALT_NORMAL;
	if (kk->salt != NULL) {
		if (kk->salt->type < 0 || kk->salt->type > UINT16_MAX)
			return ORTH_E_RANGE;
		k->salt_type = (uint16_t)kk->salt->type;
		if (kk->salt->salt != NULL) {
			k->salt = kk->salt->salt->data;
			k->salt_len = kk->salt->salt->len;
		}
	}
	if (kk->s2kparams != NULL && kk->s2kparams->len > 0) {
		k->s2kparams = kk->s2kparams->data;
		k->s2kparams_len = kk->s2kparams->len;
	}
	k->enc = kk->key.keyvalue.data;
	k->enc_len = kk->key.keyvalue.len;
	if (k->salt_len > DB_MAX_FIELD || k->s2kparams_len > DB_MAX_FIELD ||
	    k->enc_len > DB_MAX_FIELD || k->enc_len == 0)
		return ORTH_E_LIMIT;
	return ORTH_OK;
}

orth_err
ldap_keyset_decode(const uint8_t *buf, size_t len, struct arena *a,
		   struct db_keyset *out)
{
	orth_err ret = ORTH_OK;
	KrbKeySet ks;
	struct db_keyset tmp;

	memset(&ks, 0, sizeof(ks));
	memset(&tmp, 0, sizeof(tmp));
	CHECK(len <= LDAP_MAX_VALUE, ORTH_E_LIMIT);
	TRY(der_decode(&asn1_KrbKeySet, buf, len, a, &ks));
	CHECK(ks.attribute_major_vno == LDAP_KEYSET_MAJOR, ORTH_E_RANGE);
	CHECK(ks.keys.len >= 1 && ks.keys.len <= DB_MAX_KEYS, ORTH_E_LIMIT);
	tmp.kvno = ks.kvno;
	tmp.nkeys = ks.keys.len;
	for (size_t i = 0; i < ks.keys.len; i++) {
		TRY(krbkey_to_db(&ks.keys.val[i], ks.kvno, &tmp.keys[i]));
		/* Two keys of one enctype in a set: which one is meant? */
		for (size_t j = 0; j < i; j++)
			CHECK(tmp.keys[j].enctype != tmp.keys[i].enctype, ORTH_E_MALFORMED);
	}
	*out = tmp;
cleanup:
	return ret;
}

/* One db_key as a KrbKey, pointers into k and a. */
static orth_err
krbkey_from_db(const struct db_key *k, struct arena *a, KrbKey *kk)
{
	orth_err ret = ORTH_OK;

	memset(kk, 0, sizeof(*kk));
	CHECK(k->seal == DB_SEAL_BOUND, ORTH_E_RANGE);
	kk->salt = arena_alloc(a, sizeof(*kk->salt));
	CHECK(kk->salt != NULL, ORTH_E_LIMIT);
	memset(kk->salt, 0, sizeof(*kk->salt));
	kk->salt->type = k->salt_type;
	kk->salt->salt = arena_alloc(a, sizeof(struct der_bytes));
	CHECK(kk->salt->salt != NULL, ORTH_E_LIMIT);
	kk->salt->salt->data = (uint8_t *)(uintptr_t)k->salt;
	kk->salt->salt->len = k->salt_len;
	if (k->s2kparams_len > 0) {
		kk->s2kparams = arena_alloc(a, sizeof(struct der_bytes));
		CHECK(kk->s2kparams != NULL, ORTH_E_LIMIT);
		kk->s2kparams->data = (uint8_t *)(uintptr_t)k->s2kparams;
		kk->s2kparams->len = k->s2kparams_len;
	}
	kk->key.keytype = k->enctype;
	kk->key.keyvalue.data = (uint8_t *)(uintptr_t)k->enc;
	kk->key.keyvalue.len = k->enc_len;
cleanup:
	return ret;
}

/* keys[0..n) of kvno as one KrbKeySet. */
static orth_err
keys_encode(const struct db_key *keys, size_t n, uint32_t kvno, struct arena *a,
	    uint8_t **out, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	KrbKeySet ks;
	KrbKey kk[DB_MAX_KEYS];

	CHECK(n >= 1 && n <= DB_MAX_KEYS, ORTH_E_LIMIT);
	memset(&ks, 0, sizeof(ks));
	ks.attribute_major_vno = LDAP_KEYSET_MAJOR;
	ks.attribute_minor_vno = LDAP_KEYSET_MINOR;
	ks.kvno = kvno;
	ks.keys.len = n;
	ks.keys.val = kk;
	for (size_t i = 0; i < n; i++)
		TRY(krbkey_from_db(&keys[i], a, &kk[i]));
	TRY(der_encode_arena(&asn1_KrbKeySet, &ks, a, out, len_out));
cleanup:
	return ret;
}

orth_err
ldap_keyset_encode(const struct db_keyset *ks, struct arena *a, uint8_t **out,
		   size_t *len_out)
{
	return keys_encode(ks->keys, ks->nkeys, ks->kvno, a, out, len_out);
}

/* ---- DNs ---- */

char *
ldap_dn_make(const char *attr, const char *value, const char *base_dn,
	     struct arena *a)
{
	uint8_t buf[LDAP_MAX_DN];
	struct writer w;
	size_t n = strlen(value);
	char *out = NULL;

	writer_init(&w, buf, sizeof(buf));
	writer_put(&w, attr, strlen(attr));
	writer_u8(&w, '=');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];
		/* RFC 4514 §2.4: these always; '#' and ' ' first, ' ' last. */
		bool esc = strchr("\"+,;<>\\=", c) != NULL ||
			   (i == 0 && (c == '#' || c == ' ')) ||
			   (i == n - 1 && c == ' ');
		if (esc)
			writer_u8(&w, '\\');
		writer_u8(&w, c);
	}
	writer_u8(&w, ',');
	writer_put(&w, base_dn, strlen(base_dn));
	if (!writer_err(&w))
		out = arena_strndup(a, (const char *)buf, w.len);
	return out;
}

orth_err
ldap_dn_first_value(const char *dn, const char *attr, struct arena *a,
		    const char **out)
{
	orth_err ret = ORTH_OK;
	size_t alen = strlen(attr), n = 0;
	char buf[LDAP_MAX_DN];
	const char *p;

	CHECK(strlen(dn) < LDAP_MAX_DN, ORTH_E_LIMIT);
	CHECK(strncasecmp(dn, attr, alen) == 0 && dn[alen] == '=', ORTH_E_MALFORMED);
	for (p = dn + alen + 1; *p != '\0' && *p != ','; p++) {
		CHECK(*p != '+', ORTH_E_MALFORMED); /* multi-valued RDN */
		if (*p == '\\') {
			int hi = hex_digit(p[1]), lo = hi >= 0 ? hex_digit(p[2]) : -1;
			if (hi >= 0 && lo >= 0) {
				buf[n++] = (char)(hi * 16 + lo);
				p += 2;
			} else {
				CHECK(p[1] != '\0' && strchr(" \"#+,;<=>\\", p[1]) != NULL,
				      ORTH_E_MALFORMED);
				buf[n++] = *++p;
			}
		} else {
			buf[n++] = *p;
		}
	}
	CHECK(n > 0, ORTH_E_MALFORMED);
	/* Printable ASCII only, as the names of the schema (IA5) are. */
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)buf[i] >= 0x20 && (unsigned char)buf[i] < 0x7f,
		      ORTH_E_MALFORMED);
	*out = arena_strndup(a, buf, n);
	CHECK(*out != NULL, ORTH_E_LIMIT);
cleanup:
	return ret;
}

/* ---- entries ---- */

static const struct ldap_attr *
attr_find(const struct ldap_dentry *d, const char *name)
{
	for (size_t i = 0; i < d->nattrs; i++)
		if (strcasecmp(d->attrs[i].name, name) == 0)
			return &d->attrs[i];
	return NULL;
}

/* One value as a string in a: printable ASCII (IA5 without controls),
 * 1..max bytes. */
static orth_err
value_string(const struct ldap_value *v, size_t max, struct arena *a, const char **out)
{
	orth_err ret = ORTH_OK;

	CHECK(v->len >= 1 && v->len <= max, v->len == 0 ? ORTH_E_MALFORMED : ORTH_E_LIMIT);
	for (size_t i = 0; i < v->len; i++)
		CHECK(v->data[i] >= 0x20 && v->data[i] < 0x7f, ORTH_E_MALFORMED);
	*out = arena_strndup(a, (const char *)v->data, v->len);
	CHECK(*out != NULL, ORTH_E_LIMIT);
cleanup:
	return ret;
}

/* Every attribute of d within the general limits; each table attribute
 * single-valued.  *what: the attribute at fault. */
static orth_err
check_shape(const struct ldap_dentry *d, const struct ldap_field *tab, size_t ntab,
	    const char **what)
{
	orth_err ret = ORTH_OK;

	CHECK(d->nattrs <= LDAP_MAX_ATTRS, ORTH_E_LIMIT);
	for (size_t i = 0; i < d->nattrs; i++) {
		const struct ldap_attr *at = &d->attrs[i];
		size_t max = strcasecmp(at->name, A_FAILED) == 0 ? LDAP_MAX_FAILURES
								 : LDAP_MAX_VALUES;
		*what = at->name;
		CHECK(at->nvals <= max, ORTH_E_LIMIT);
		for (size_t j = 0; j < at->nvals; j++)
			CHECK(at->vals[j].len <= LDAP_MAX_VALUE, ORTH_E_LIMIT);
		/* Two attributes of one name would be two answers. */
		for (size_t j = 0; j < i; j++)
			CHECK(strcasecmp(d->attrs[j].name, at->name) != 0, ORTH_E_MALFORMED);
		for (size_t j = 0; j < ntab; j++)
			if (strcasecmp(tab[j].attr, at->name) == 0)
				CHECK(at->nvals <= 1, ORTH_E_MALFORMED);
	}
cleanup:
	return ret;
}

static orth_err
fields_decode(const struct ldap_dentry *d, const struct ldap_field *tab, size_t ntab,
	      void *base, const char **what)
{
	orth_err ret = ORTH_OK;

	for (size_t i = 0; i < ntab; i++) {
		const struct ldap_attr *at = attr_find(d, tab[i].attr);
		*what = tab[i].attr;
		if (at != NULL && at->nvals == 1)
			TRY(field_decode(&tab[i], &at->vals[0], base));
	}
cleanup:
	return ret;
}

/* The name: krbCanonicalName, else the only krbPrincipalName. */
static orth_err
name_decode(const struct ldap_dentry *d, struct arena *a, const char **out,
	    const char **what)
{
	const struct ldap_attr *at = attr_find(d, A_CANON);

	*what = A_CANON;
	if (at == NULL || at->nvals == 0) {
		*what = A_NAME;
		at = attr_find(d, A_NAME);
		if (at == NULL || at->nvals != 1)
			return ORTH_E_MALFORMED;
	}
	return value_string(&at->vals[0], DB_MAX_NAME, a, out);
}

static orth_err
keysets_decode(const struct ldap_attr *at, struct arena *a, struct db_entry *out)
{
	orth_err ret = ORTH_OK;
	struct db_keyset ks;

	CHECK(at->nvals <= DB_MAX_KEYSETS, ORTH_E_LIMIT);
	for (size_t i = 0; i < at->nvals; i++) {
		size_t j;
		TRY(ldap_keyset_decode(at->vals[i].data, at->vals[i].len, a, &ks));
		/* Insert keeping newest (highest kvno) first; one set a kvno. */
		for (j = 0; j < out->nkeysets && out->keysets[j].kvno > ks.kvno; j++)
			;
		CHECK(j == out->nkeysets || out->keysets[j].kvno != ks.kvno, ORTH_E_MALFORMED);
		memmove(&out->keysets[j + 1], &out->keysets[j],
			(out->nkeysets - j) * sizeof(out->keysets[0]));
		out->keysets[j] = ks;
		out->nkeysets++;
	}
cleanup:
	return ret;
}

static orth_err
history_decode(const struct ldap_attr *at, struct arena *a, struct db_entry *out)
{
	orth_err ret = ORTH_OK;
	struct db_keyset ks;

	CHECK(at->nvals <= DB_MAX_HISTORY, ORTH_E_LIMIT);
	for (size_t i = 0; i < at->nvals; i++) {
		size_t j;
		TRY(ldap_keyset_decode(at->vals[i].data, at->vals[i].len, a, &ks));
		CHECK(ks.nkeys == 1, ORTH_E_MALFORMED);
		/* Newest first: by kvno, the order of values being none. */
		for (j = 0; j < out->nhist && out->hist[j].kvno >= ks.kvno; j++)
			;
		memmove(&out->hist[j + 1], &out->hist[j], (out->nhist - j) * sizeof(out->hist[0]));
		out->hist[j] = ks.keys[0];
		out->nhist++;
	}
cleanup:
	return ret;
}

/* krbAllowedToDelegateTo: one target a value, at most what a record holds;
 * each a name as krbPrincipalName's (printable ASCII), none twice (the
 * schema's caseExactIA5Match makes two equal values one). */
static orth_err
deleg_decode(const struct ldap_attr *at, struct arena *a, struct db_entry *out)
{
	orth_err ret = ORTH_OK;

	CHECK(at->nvals <= DB_MAX_DELEG, ORTH_E_LIMIT);
	for (size_t i = 0; i < at->nvals; i++) {
		TRY(value_string(&at->vals[i], DB_MAX_NAME, a, &out->deleg[i]));
		for (size_t j = 0; j < i; j++)
			CHECK(strcmp(out->deleg[j], out->deleg[i]) != 0, ORTH_E_MALFORMED);
	}
	out->ndeleg = at->nvals;
cleanup:
	return ret;
}

static orth_err
failure_parse(const struct ldap_value *v, int64_t *when)
{
	orth_err ret = ORTH_OK;
	struct ldap_value t = {v->data, 15}, seq;
	const uint8_t *sp;
	size_t idlen;
	int64_t x;

	CHECK(v->len > 17 && v->data[15] == ' ', ORTH_E_MALFORMED);
	TRY(time_parse(&t, when));
	sp = memchr(v->data + 16, ' ', v->len - 16);
	CHECK(sp != NULL, ORTH_E_MALFORMED);
	idlen = (size_t)(sp - (v->data + 16));
	CHECK(idlen >= 1 && idlen <= LDAP_MAX_KDC_ID, ORTH_E_MALFORMED);
	for (size_t i = 16; i < 16 + idlen; i++)
		CHECK(v->data[i] > 0x20 && v->data[i] < 0x7f, ORTH_E_MALFORMED);
	seq.data = sp + 1;
	seq.len = v->len - (size_t)(sp + 1 - v->data);
	TRY(int_parse(&seq, 0, INT64_MAX, &x));
cleanup:
	return ret;
}

static orth_err
failures_decode(const struct ldap_attr *at, struct arena *a, struct ldap_failures *f)
{
	orth_err ret = ORTH_OK;

	f->n = 0;
	f->times = NULL;
	if (at == NULL || at->nvals == 0)
		goto cleanup;
	f->times = arena_alloc(a, at->nvals * sizeof(int64_t));
	CHECK(f->times != NULL, ORTH_E_LIMIT);
	for (size_t i = 0; i < at->nvals; i++)
		TRY(failure_parse(&at->vals[i], &f->times[i]));
	f->n = at->nvals;
cleanup:
	return ret;
}

void
ldap_failures_fold(const struct ldap_failures *f, int64_t interval, struct db_entry *e)
{
	int64_t newest = INT64_MIN;
	uint32_t n = 0;

	if (f->n == 0)
		return;
	for (size_t i = 0; i < f->n; i++)
		if (f->times[i] > newest)
			newest = f->times[i];
	for (size_t i = 0; i < f->n; i++)
		if (interval <= 0 || f->times[i] >= newest - interval)
			n++;
	e->fail_count = n;
	e->last_failed = newest;
}

orth_err
ldap_failure_format(int64_t when, const char *kdc_id, uint64_t seq, char *buf,
		    size_t cap, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	char t[32];
	size_t idlen = strlen(kdc_id);
	int n;

	CHECK(idlen >= 1 && idlen <= LDAP_MAX_KDC_ID, ORTH_E_LIMIT);
	for (size_t i = 0; i < idlen; i++)
		CHECK(kdc_id[i] > 0x20 && kdc_id[i] < 0x7f, ORTH_E_LIMIT);
	TRY(time_format(when, t, sizeof(t)));
	n = snprintf(buf, cap, "%s %s %llu", t, kdc_id, (unsigned long long)seq);
	CHECK(n > 0 && (size_t)n < cap, ORTH_E_LIMIT);
	*len_out = (size_t)n;
cleanup:
	return ret;
}

orth_err
ldap_entry_decode(const struct ldap_dentry *d, struct arena *a, struct db_entry *out,
		  struct ldap_failures *fail_out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct db_entry e;
	struct ldap_failures f = {0, NULL};
	const struct ldap_attr *at;
	const char *what = "entry";
	uint8_t *scratch = NULL;
	size_t len;

	memset(&e, 0, sizeof(e));
	e.mod_by = "";
	e.policy = "";
	TRY(check_shape(d, principal_fields, NELEM(principal_fields), &what));
	TRY(name_decode(d, a, &e.name, &what));
	TRY(fields_decode(d, principal_fields, NELEM(principal_fields), &e, &what));
	what = A_KEY;
	if ((at = attr_find(d, A_KEY)) != NULL)
		TRY(keysets_decode(at, a, &e));
	what = A_HIST;
	if ((at = attr_find(d, A_HIST)) != NULL)
		TRY(history_decode(at, a, &e));
	what = A_POLREF;
	at = attr_find(d, A_POLREF);
	if (at != NULL && at->nvals == 1) {
		const char *dn;
		TRY(value_string(&at->vals[0], LDAP_MAX_DN - 1, a, &dn));
		TRY(ldap_dn_first_value(dn, "cn", a, &e.policy));
		CHECK(strlen(e.policy) <= DB_MAX_POLICY_NAME, ORTH_E_LIMIT);
	}
	what = A_DELEG;
	if ((at = attr_find(d, A_DELEG)) != NULL)
		TRY(deleg_decode(at, a, &e));
	what = A_FAILED;
	TRY(failures_decode(attr_find(d, A_FAILED), a, &f));
	ldap_failures_fold(&f, 0, &e);
	/* What is decoded must be storable as a record in the replica. */
	what = "entry";
	scratch = arena_alloc(a, DB_MAX_RECORD);
	CHECK(scratch != NULL, ORTH_E_LIMIT);
	TRY(db_entry_encode(&e, scratch, DB_MAX_RECORD, &len));
	*out = e;
	if (fail_out != NULL)
		*fail_out = f;
cleanup:
	if (ret != ORTH_OK)
		say(err, errlen, what, orth_err_str(ret));
	return ret;
}

/* ---- encoding ---- */

struct dentry_builder {
	struct ldap_attr attrs[LDAP_MAX_ATTRS];
	size_t n;
	struct arena *a;
};

/* Add attribute name with n values (copied pointers). */
static orth_err
put_attr(struct dentry_builder *b, const char *name, const struct ldap_value *vals,
	 size_t n)
{
	orth_err ret = ORTH_OK;
	struct ldap_value *v = NULL;

	CHECK(b->n < LDAP_MAX_ATTRS, ORTH_E_LIMIT);
	if (n > 0) {
		v = arena_alloc(b->a, n * sizeof(*v));
		CHECK(v != NULL, ORTH_E_LIMIT);
		memcpy(v, vals, n * sizeof(*v));
	}
	b->attrs[b->n].name = name;
	b->attrs[b->n].nvals = n;
	b->attrs[b->n].vals = v;
	b->n++;
cleanup:
	return ret;
}

static orth_err
put_string(struct dentry_builder *b, const char *name, const char *s)
{
	struct ldap_value v = {(const uint8_t *)s, s != NULL ? strlen(s) : 0};
	return put_attr(b, name, &v, s != NULL ? 1 : 0);
}

static orth_err
fields_encode(struct dentry_builder *b, const struct ldap_field *tab, size_t ntab,
	      const void *base)
{
	orth_err ret = ORTH_OK;
	char *s;

	for (size_t i = 0; i < ntab; i++) {
		if (!tab[i].write)
			continue;
		TRY(field_encode(&tab[i], base, b->a, &s));
		TRY(put_string(b, tab[i].attr, s));
	}
cleanup:
	return ret;
}

static orth_err
builder_finish(struct dentry_builder *b, const char *dn, struct ldap_dentry *out)
{
	struct ldap_attr *attrs = arena_dup(b->a, b->attrs, b->n * sizeof(b->attrs[0]));

	if (dn == NULL || attrs == NULL)
		return ORTH_E_LIMIT;
	out->dn = dn;
	out->attrs = attrs;
	out->nattrs = b->n;
	return ORTH_OK;
}

static orth_err
keys_put(struct dentry_builder *b, const struct db_entry *e)
{
	orth_err ret = ORTH_OK;
	struct ldap_value v[DB_MAX_HISTORY > DB_MAX_KEYSETS ? DB_MAX_HISTORY : DB_MAX_KEYSETS];
	uint8_t *der;

	CHECK(e->nkeysets <= DB_MAX_KEYSETS && e->nhist <= DB_MAX_HISTORY, ORTH_E_LIMIT);
	for (size_t i = 0; i < e->nkeysets; i++) {
		TRY(ldap_keyset_encode(&e->keysets[i], b->a, &der, &v[i].len));
		v[i].data = der;
	}
	TRY(put_attr(b, A_KEY, v, e->nkeysets));
	for (size_t i = 0; i < e->nhist; i++) {
		TRY(keys_encode(&e->hist[i], 1, e->hist[i].kvno, b->a, &der, &v[i].len));
		v[i].data = der;
	}
	TRY(put_attr(b, A_HIST, v, e->nhist));
cleanup:
	return ret;
}

/* One krbAllowedToDelegateTo value a target; none is the attribute
 * without values, which a modify's replace deletes. */
static orth_err
deleg_put(struct dentry_builder *b, const struct db_entry *e)
{
	orth_err ret = ORTH_OK;
	struct ldap_value v[DB_MAX_DELEG];

	CHECK(e->ndeleg <= DB_MAX_DELEG, ORTH_E_LIMIT);
	for (size_t i = 0; i < e->ndeleg; i++) {
		size_t n = e->deleg[i] != NULL ? strlen(e->deleg[i]) : 0;
		CHECK(n >= 1 && n <= DB_MAX_NAME, ORTH_E_LIMIT);
		v[i] = (struct ldap_value){(const uint8_t *)e->deleg[i], n};
	}
	TRY(put_attr(b, A_DELEG, v, e->ndeleg));
cleanup:
	return ret;
}

orth_err
ldap_entry_encode(const struct db_entry *e, const char *base_dn, const char *policy_dn,
		  struct arena *a, struct ldap_dentry *out)
{
	orth_err ret = ORTH_OK;
	struct dentry_builder b;
	static const struct ldap_value oc[] = {
		{(const uint8_t *)"krbPrincipal", 12},
		{(const uint8_t *)"krbPrincipalAux", 15},
		{(const uint8_t *)"krbTicketPolicyAux", 18},
		{(const uint8_t *)"orthrusPrincipalAux", 19},
	};
	char *ref = NULL;

	memset(&b, 0, sizeof(b));
	b.a = a;
	CHECK(e->name != NULL && e->name[0] != '\0' && strlen(e->name) <= DB_MAX_NAME,
	      ORTH_E_LIMIT);
	TRY(put_attr(&b, "objectClass", oc, NELEM(oc)));
	TRY(put_string(&b, A_NAME, e->name));
	TRY(put_string(&b, A_CANON, e->name));
	TRY(fields_encode(&b, principal_fields, NELEM(principal_fields), e));
	TRY(keys_put(&b, e));
	TRY(deleg_put(&b, e));
	if (e->policy != NULL && e->policy[0] != '\0') {
		ref = ldap_dn_make("cn", e->policy, policy_dn, a);
		CHECK(ref != NULL, ORTH_E_LIMIT);
	}
	TRY(put_string(&b, A_POLREF, ref));
	TRY(builder_finish(&b, ldap_dn_make(A_NAME, e->name, base_dn, a), out));
cleanup:
	return ret;
}

/* MIT's "enctype:salttype,enctype:salttype" into p's allowed enctypes. */
static orth_err
keysalts_decode(const struct ldap_value *v, struct db_policy *p)
{
	orth_err ret = ORTH_OK;
	char buf[LDAP_MAX_VALUE + 1], *save = NULL, *tok;

	CHECK(v->len <= LDAP_MAX_VALUE, ORTH_E_LIMIT);
	memcpy(buf, v->data, v->len);
	buf[v->len] = '\0';
	CHECK(strlen(buf) == v->len, ORTH_E_MALFORMED);
	for (tok = strtok_r(buf, ", \t", &save); tok != NULL; tok = strtok_r(NULL, ", \t", &save)) {
		char *colon = strchr(tok, ':');
		int32_t et;
		bool dup = false;
		if (colon != NULL)
			*colon = '\0';
		et = crypto_enctype_from_name(tok);
		CHECK(et > 0, ORTH_E_MALFORMED);
		for (size_t i = 0; i < p->n_allowed; i++)
			dup = dup || p->allowed_enctypes[i] == et;
		if (dup)
			continue;
		CHECK(p->n_allowed < DB_MAX_KEYS, ORTH_E_LIMIT);
		p->allowed_enctypes[p->n_allowed++] = et;
	}
cleanup:
	return ret;
}

orth_err
ldap_policy_decode(const struct ldap_dentry *d, struct arena *a, struct db_policy *out,
		   char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct db_policy p;
	const struct ldap_attr *at;
	const char *what = "entry";
	uint8_t *scratch = NULL;
	size_t len;

	memset(&p, 0, sizeof(p));
	TRY(check_shape(d, policy_fields, NELEM(policy_fields), &what));
	what = "cn";
	/* The name is the RDN's: a cn attribute may hold more values. */
	TRY(ldap_dn_first_value(d->dn, "cn", a, &p.name));
	TRY(fields_decode(d, policy_fields, NELEM(policy_fields), &p, &what));
	what = A_KEYSALTS;
	at = attr_find(d, A_KEYSALTS);
	if (at != NULL)
		for (size_t i = 0; i < at->nvals; i++)
			TRY(keysalts_decode(&at->vals[i], &p));
	what = "entry";
	scratch = arena_alloc(a, 1024);
	CHECK(scratch != NULL, ORTH_E_LIMIT);
	TRY(db_policy_encode(&p, scratch, 1024, &len));
	*out = p;
cleanup:
	if (ret != ORTH_OK)
		say(err, errlen, what, orth_err_str(ret));
	return ret;
}

orth_err
ldap_policy_encode(const struct db_policy *p, const char *base_dn, struct arena *a,
		   struct ldap_dentry *out)
{
	orth_err ret = ORTH_OK;
	struct dentry_builder b;
	static const struct ldap_value oc[] = {
		{(const uint8_t *)"krbPwdPolicy", 12},
	};
	uint8_t buf[LDAP_MAX_VALUE];
	struct writer w;
	char *keysalts = NULL;

	memset(&b, 0, sizeof(b));
	b.a = a;
	CHECK(p->name != NULL && p->name[0] != '\0' && p->n_allowed <= DB_MAX_KEYS,
	      ORTH_E_LIMIT);
	TRY(put_attr(&b, "objectClass", oc, NELEM(oc)));
	TRY(put_string(&b, "cn", p->name));
	TRY(fields_encode(&b, policy_fields, NELEM(policy_fields), p));
	writer_init(&w, buf, sizeof(buf));
	for (size_t i = 0; i < p->n_allowed; i++) {
		const char *name = crypto_enctype_name(p->allowed_enctypes[i]);
		CHECK(name != NULL, ORTH_E_RANGE);
		if (i > 0)
			writer_u8(&w, ',');
		writer_put(&w, name, strlen(name));
		writer_put(&w, ":normal", 7);
	}
	CHECK(!writer_err(&w), ORTH_E_LIMIT);
	if (p->n_allowed > 0) {
		keysalts = arena_strndup(a, (const char *)buf, w.len);
		CHECK(keysalts != NULL, ORTH_E_LIMIT);
	}
	TRY(put_string(&b, A_KEYSALTS, keysalts));
	TRY(builder_finish(&b, ldap_dn_make("cn", p->name, base_dn, a), out));
cleanup:
	return ret;
}
