/*
 * dump.c - the text dump of a principal database (dump.h, docs/DUMP.md):
 * the line codec, driven by one table of fields per kind of line (the
 * writer and the parser read the same tables, so they cannot drift), and
 * whole-file dump and load over struct db.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hex.h"
#include "crypto/crypto.h"
#include "db/dump.h"

/* ---- values ---- */

enum ftype {
	F_I64,       /* int64_t, decimal */
	F_U32,       /* uint32_t, decimal */
	F_TIME,      /* int64_t: never | ISO 8601 UTC | decimal */
	F_STR,       /* const char *, escaped, no NUL */
	F_ATTRS,     /* uint32_t: none | name,name,0x.. */
	F_ENCTYPE,   /* int32_t: name or decimal */
	F_SALTTYPE,  /* uint16_t: name or decimal */
	F_SEAL,      /* uint8_t: bound | raw */
	F_ESC,       /* const uint8_t * + size_t, escaped bytes */
	F_HEX,       /* const uint8_t * + size_t, hex */
	F_ENCTYPES,  /* a policy's allowed enctypes: any | name,name */
	F_NAMES,     /* a principal's delegation targets: name,name (each
		      * escaped, ',' too) */
};

struct field {
	const char *name;
	enum ftype type;
	size_t off;                  /* the value in its struct */
	size_t len_off;              /* F_ESC, F_HEX: its size_t length */
	bool optional;               /* may be left out when empty */
};

#define FLD(s, n, t) {#n, t, offsetof(struct s, n), 0, false}
#define FLDB(s, n, l, t, o) {#n, t, offsetof(struct s, n), offsetof(struct s, l), o}

/* A principal's own fields, in the order they are written. */
static const struct field princ_fields[] = {
	FLD(db_entry, attributes, F_ATTRS),
	FLD(db_entry, max_life, F_I64),
	FLD(db_entry, max_renew, F_I64),
	FLD(db_entry, princ_expire, F_TIME),
	FLD(db_entry, pw_expire, F_TIME),
	FLD(db_entry, last_pw_change, F_TIME),
	FLD(db_entry, mod_time, F_TIME),
	FLD(db_entry, mod_by, F_STR),
	FLD(db_entry, policy, F_STR),
	FLD(db_entry, fail_count, F_U32),
	FLD(db_entry, last_failed, F_TIME),
	FLD(db_entry, last_success, F_TIME),
	/* since record version 4; left out when empty, so that older
	 * dumps load and dumps without it stay as they were */
	FLDB(db_entry, deleg, ndeleg, F_NAMES, true),
};

/* A key's ("key" and "hist" groups). */
static const struct field key_fields[] = {
	FLD(db_key, kvno, F_U32),
	FLD(db_key, enctype, F_ENCTYPE),
	FLD(db_key, salt_type, F_SALTTYPE),
	FLDB(db_key, salt, salt_len, F_ESC, false),
	FLDB(db_key, s2kparams, s2kparams_len, F_HEX, true),
	FLD(db_key, seal, F_SEAL),
	FLDB(db_key, enc, enc_len, F_HEX, false),
};

static const struct field policy_fields[] = {
	FLD(db_policy, pw_max_life, F_I64),
	FLD(db_policy, pw_min_life, F_I64),
	FLD(db_policy, pw_min_length, F_U32),
	FLD(db_policy, pw_min_classes, F_U32),
	FLD(db_policy, pw_history_num, F_U32),
	FLD(db_policy, pw_max_fail, F_U32),
	FLD(db_policy, pw_failcnt_interval, F_I64),
	FLD(db_policy, pw_lockout_duration, F_I64),
	FLD(db_policy, allowed_enctypes, F_ENCTYPES),
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

/* The name a key field is written under: "sealed" reads better than
 * the struct's "enc". */
static const char *
field_name(const struct field *f)
{
	return strcmp(f->name, "enc") == 0 ? "sealed" : f->name;
}

static const struct {
	uint16_t type;
	const char *name;
} salt_names[] = {
	{DB_SALT_NORMAL, "normal"},
	{DB_SALT_NOREALM, "norealm"},
	{DB_SALT_ONLYREALM, "onlyrealm"},
	{DB_SALT_SPECIAL, "special"},
};

/* ---- writing ---- */

static void
put_s(struct writer *w, const char *s)
{
	writer_put(w, s, strlen(s));
}

static void
put_fmt_i64(struct writer *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%lld", (long long)v);
	writer_put(w, b, (size_t)n);
}

/* Bytes as dump.h says: outside '!'..'~', and '%' (and also), as %XX. */
static void
put_esc_also(struct writer *w, const uint8_t *p, size_t n, char also)
{
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		if (p[i] > ' ' && p[i] < 0x7f && p[i] != '%' && p[i] != (uint8_t)also) {
			writer_u8(w, p[i]);
		} else {
			uint8_t e[3] = {'%', (uint8_t)hexd[p[i] >> 4], (uint8_t)hexd[p[i] & 15]};
			writer_put(w, e, 3);
		}
	}
}

static void
put_esc(struct writer *w, const uint8_t *p, size_t n)
{
	put_esc_also(w, p, n, '%');
}

static void
put_hex(struct writer *w, const uint8_t *p, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		uint8_t e[2] = {(uint8_t)hexd[p[i] >> 4], (uint8_t)hexd[p[i] & 15]};
		writer_put(w, e, 2);
	}
}

/* Years 1970..9999 as ISO 8601; 0 is "never"; anything else a number. */
#define ISO_MAX 253402300799LL

static void
put_time(struct writer *w, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char b[32];

	if (t == 0) {
		put_s(w, "never");
	} else if (t > 0 && t <= ISO_MAX && gmtime_r(&tt, &tm) != NULL &&
		   strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm) == 20) {
		put_s(w, b);
	} else {
		put_fmt_i64(w, t);
	}
}

static void
put_value(struct writer *w, const struct field *f, const void *s)
{
	const uint8_t *base = s;
	const void *v = base + f->off;
	char b[1024];

	switch (f->type) {
	case F_I64:
	case F_TIME: {
		int64_t x;
		memcpy(&x, v, sizeof(x));
		if (f->type == F_TIME)
			put_time(w, x);
		else
			put_fmt_i64(w, x);
		break;
	}
	case F_U32: {
		uint32_t x;
		memcpy(&x, v, sizeof(x));
		put_fmt_i64(w, x);
		break;
	}
	case F_STR: {
		const char *str;
		memcpy(&str, v, sizeof(str));
		if (str != NULL)
			put_esc(w, (const uint8_t *)str, strlen(str));
		break;
	}
	case F_ATTRS: {
		uint32_t x;
		memcpy(&x, v, sizeof(x));
		db_attrs_format(x, b, sizeof(b));
		put_s(w, x == 0 ? "none" : b);
		break;
	}
	case F_ENCTYPE: {
		int32_t et;
		const char *n;
		memcpy(&et, v, sizeof(et));
		n = crypto_enctype_name(et);
		if (n != NULL)
			put_s(w, n);
		else
			put_fmt_i64(w, et);
		break;
	}
	case F_SALTTYPE: {
		uint16_t st;
		const char *n = NULL;
		memcpy(&st, v, sizeof(st));
		for (size_t i = 0; i < NFIELDS(salt_names); i++)
			if (salt_names[i].type == st)
				n = salt_names[i].name;
		if (n != NULL)
			put_s(w, n);
		else
			put_fmt_i64(w, st);
		break;
	}
	case F_SEAL: {
		uint8_t seal = *(const uint8_t *)v;
		if (seal == DB_SEAL_BOUND)
			put_s(w, "bound");
		else if (seal == DB_SEAL_RAW)
			put_s(w, "raw");
		else if (w->err == ORTH_OK)
			w->err = ORTH_E_RANGE;
		break;
	}
	case F_ESC:
	case F_HEX: {
		const uint8_t *p;
		size_t n;
		memcpy(&p, v, sizeof(p));
		memcpy(&n, base + f->len_off, sizeof(n));
		if (f->type == F_ESC)
			put_esc(w, p, n);
		else
			put_hex(w, p, n);
		break;
	}
	case F_NAMES: {
		const struct db_entry *e = s;
		for (size_t i = 0; i < e->ndeleg && i < DB_MAX_DELEG; i++) {
			if (i > 0)
				writer_u8(w, ',');
			put_esc_also(w, (const uint8_t *)e->deleg[i], strlen(e->deleg[i]), ',');
		}
		break;
	}
	case F_ENCTYPES: {
		const struct db_policy *p = s;
		if (p->n_allowed == 0)
			put_s(w, "any");
		for (size_t i = 0; i < p->n_allowed && i < DB_MAX_KEYS; i++) {
			const char *n = crypto_enctype_name(p->allowed_enctypes[i]);
			if (i > 0)
				writer_u8(w, ',');
			if (n != NULL)
				put_s(w, n);
			else
				put_fmt_i64(w, p->allowed_enctypes[i]);
		}
		break;
	}
	}
}

/* " name=value" for each field of table t over struct s. */
static void
put_fields(struct writer *w, const struct field *t, size_t n, const void *s)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].optional) {
			size_t len;
			memcpy(&len, (const uint8_t *)s + t[i].len_off, sizeof(len));
			if (len == 0)
				continue;
		}
		writer_u8(w, ' ');
		put_s(w, field_name(&t[i]));
		writer_u8(w, '=');
		put_value(w, &t[i], s);
	}
}

orth_err
db_dump_entry_format(const struct db_entry *e, struct writer *w)
{
	orth_err ret = ORTH_OK;

	CHECK(e->nkeysets <= DB_MAX_KEYSETS && e->nhist <= DB_MAX_HISTORY, ORTH_E_LIMIT);
	put_s(w, "principal ");
	put_esc(w, (const uint8_t *)e->name, e->name != NULL ? strlen(e->name) : 0);
	put_fields(w, princ_fields, NFIELDS(princ_fields), e);
	for (size_t i = 0; i < e->nkeysets; i++) {
		const struct db_keyset *ks = &e->keysets[i];
		CHECK(ks->nkeys > 0 && ks->nkeys <= DB_MAX_KEYS, ORTH_E_RANGE);
		for (size_t j = 0; j < ks->nkeys; j++) {
			/* a key set's keys carry its kvno */
			struct db_key k = ks->keys[j];
			k.kvno = ks->kvno;
			put_s(w, " key");
			put_fields(w, key_fields, NFIELDS(key_fields), &k);
		}
	}
	for (size_t i = 0; i < e->nhist; i++) {
		put_s(w, " hist");
		put_fields(w, key_fields, NFIELDS(key_fields), &e->hist[i]);
	}
	ret = writer_err(w);
cleanup:
	return ret;
}

orth_err
db_dump_policy_format(const struct db_policy *p, struct writer *w)
{
	orth_err ret = ORTH_OK;

	CHECK(p->name != NULL && p->n_allowed <= DB_MAX_KEYS, ORTH_E_LIMIT);
	put_s(w, "policy ");
	put_esc(w, (const uint8_t *)p->name, strlen(p->name));
	put_fields(w, policy_fields, NFIELDS(policy_fields), p);
	ret = writer_err(w);
cleanup:
	return ret;
}

/* ---- parsing ---- */

struct tok {
	const char *p;
	size_t n;
};

/* The tokens of a line: one space between two, none at either end. */
struct line {
	const char *p;
	size_t left;
	char *err;
	size_t errlen;
	bool trail;                  /* the line ends with a space */
};

/* The next token into *t; false at the end.  An empty token (two spaces,
 * a space at the start) is malformed: *bad set; a space at the end sets
 * l->trail. */
static bool
tok_next(struct line *l, struct tok *t, bool *bad)
{
	const char *sp;

	if (l->left == 0)
		return false;
	sp = memchr(l->p, ' ', l->left);
	t->p = l->p;
	t->n = sp != NULL ? (size_t)(sp - l->p) : l->left;
	l->p += t->n;
	l->left -= t->n;
	if (sp != NULL) {
		l->p++;
		l->left--;
		if (l->left == 0)
			l->trail = true;
	}
	if (t->n == 0)
		*bad = true;
	return true;
}

static bool
tok_is(const struct tok *t, const char *s)
{
	size_t n = strlen(s);
	return t->n == n && memcmp(t->p, s, n) == 0;
}

/* Unescape t (dump.h's %XX) into a, NUL-terminated; *len_out set. */
static orth_err
unesc(const struct tok *t, struct arena *a, uint8_t **out, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	uint8_t *b = arena_alloc(a, t->n + 1);
	size_t n = 0;

	CHECK(b != NULL, ORTH_E_LIMIT);
	for (size_t i = 0; i < t->n; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c == '%') {
			int hi = i + 2 < t->n ? hex_digit(t->p[i + 1]) : -1;
			int lo = hi >= 0 ? hex_digit(t->p[i + 2]) : -1;
			CHECK(lo >= 0, ORTH_E_MALFORMED);
			b[n++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else {
			CHECK(c > ' ' && c < 0x7f, ORTH_E_MALFORMED);
			b[n++] = c;
		}
	}
	b[n] = '\0';
	*out = b;
	*len_out = n;
cleanup:
	return ret;
}

static orth_err
unhex(const struct tok *t, struct arena *a, uint8_t **out, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	uint8_t *b = NULL;

	CHECK(t->n % 2 == 0, ORTH_E_MALFORMED);
	b = arena_alloc(a, t->n / 2 + 1);
	CHECK(b != NULL, ORTH_E_LIMIT);
	for (size_t i = 0; i < t->n / 2; i++) {
		int hi = hex_digit(t->p[2 * i]), lo = hex_digit(t->p[2 * i + 1]);
		CHECK(hi >= 0 && lo >= 0, ORTH_E_MALFORMED);
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	*len_out = t->n / 2;
cleanup:
	return ret;
}

/* A decimal number, '-' allowed when min < 0, within [min, max]. */
static orth_err
parse_num(const struct tok *t, int64_t min, int64_t max, int64_t *out)
{
	orth_err ret = ORTH_OK;
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0, lim;

	if (t->n > 0 && t->p[0] == '-' && min < 0) {
		neg = true;
		i = 1;
	}
	CHECK(i < t->n && t->n - i <= 20, ORTH_E_MALFORMED);
	lim = neg ? (uint64_t)(-(min + 1)) + 1 : (uint64_t)max;
	for (; i < t->n; i++) {
		uint64_t d = (uint64_t)(t->p[i] - '0');
		CHECK(t->p[i] >= '0' && t->p[i] <= '9', ORTH_E_MALFORMED);
		CHECK(d <= lim && v <= (lim - d) / 10, ORTH_E_RANGE);
		v = v * 10 + d;
	}
	*out = neg ? (v == 0 ? 0 : -(int64_t)(v - 1) - 1) : (int64_t)v;
cleanup:
	return ret;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe, mp = m > 2 ? m - 3 : m + 9;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * mp + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SSZ", a real date and time. */
static orth_err
parse_iso(const struct tok *t, int64_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	orth_err ret = ORTH_OK;
	unsigned v[6] = {0};
	size_t k = 0;
	bool leap;

	CHECK(t->n == sizeof(shape) - 1, ORTH_E_MALFORMED);
	for (size_t i = 0; i < t->n; i++) {
		if (shape[i] == 'd') {
			CHECK(t->p[i] >= '0' && t->p[i] <= '9', ORTH_E_MALFORMED);
			v[k] = v[k] * 10 + (unsigned)(t->p[i] - '0');
		} else {
			CHECK(t->p[i] == shape[i], ORTH_E_MALFORMED);
			k++;
		}
	}
	leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
	CHECK(v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= mdays[v[1] - 1] &&
	      !(v[1] == 2 && v[2] == 29 && !leap) && v[3] <= 23 && v[4] <= 59 && v[5] <= 59,
	      ORTH_E_RANGE);
	*out = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
cleanup:
	return ret;
}

static orth_err
parse_time(const struct tok *t, int64_t *out)
{
	if (tok_is(t, "never")) {
		*out = 0;
		return ORTH_OK;
	}
	if (t->n == 20 && t->p[4] == '-')
		return parse_iso(t, out);
	return parse_num(t, INT64_MIN, INT64_MAX, out);
}

static orth_err
parse_attrs(const struct tok *t, uint32_t *out)
{
	orth_err ret = ORTH_OK;
	uint32_t v = 0;
	size_t i = 0;
	bool last = tok_is(t, "none");

	while (!last) {
		const char *c = memchr(t->p + i, ',', t->n - i);
		size_t n = c != NULL ? (size_t)(c - (t->p + i)) : t->n - i;
		char word[40], *end = word;
		unsigned long x = 0;
		uint32_t bit;

		CHECK(n > 0 && n < sizeof(word), ORTH_E_MALFORMED);
		memcpy(word, t->p + i, n);
		word[n] = '\0';
		if (n > 2 && word[0] == '0' && word[1] == 'x') {
			errno = 0;
			if (isxdigit((unsigned char)word[2]))
				x = strtoul(word + 2, &end, 16);
			CHECK(x != 0 && *end == '\0' && errno == 0 && x <= UINT32_MAX,
			      ORTH_E_MALFORMED);
			bit = (uint32_t)x;
		} else {
			bit = db_attr_from_name(word);
			CHECK(bit != 0, ORTH_E_MALFORMED);
		}
		v |= bit;
		i += n + 1;
		last = c == NULL;
	}
	*out = v;
cleanup:
	return ret;
}

static orth_err
parse_enctype(const struct tok *t, int32_t *out)
{
	orth_err ret = ORTH_OK;
	char word[64];
	int64_t v;
	int32_t et;

	if (parse_num(t, INT32_MIN, INT32_MAX, &v) == ORTH_OK) {
		et = (int32_t)v;
	} else {
		CHECK(t->n > 0 && t->n < sizeof(word), ORTH_E_MALFORMED);
		memcpy(word, t->p, t->n);
		word[t->n] = '\0';
		et = crypto_enctype_from_name(word);
		CHECK(et >= 0, ORTH_E_MALFORMED);
	}
	*out = et;
cleanup:
	return ret;
}

static orth_err
parse_enctypes(const struct tok *t, struct db_policy *p)
{
	orth_err ret = ORTH_OK;
	size_t i = 0;
	bool last = tok_is(t, "any");

	p->n_allowed = 0;
	while (!last) {
		const char *c = memchr(t->p + i, ',', t->n - i);
		struct tok one = {t->p + i, c != NULL ? (size_t)(c - (t->p + i)) : t->n - i};

		CHECK(p->n_allowed < DB_MAX_KEYS, ORTH_E_LIMIT);
		TRY(parse_enctype(&one, &p->allowed_enctypes[p->n_allowed]));
		p->n_allowed++;
		i += one.n + 1;
		last = c == NULL;
	}
cleanup:
	return ret;
}

/* F_NAMES: "name,name", each escaped; none empty, at most DB_MAX_DELEG. */
static orth_err
parse_names(const struct tok *v, struct arena *a, struct db_entry *e)
{
	orth_err ret = ORTH_OK;
	struct tok rest = *v;

	e->ndeleg = 0;
	while (rest.n > 0) {
		const char *c = memchr(rest.p, ',', rest.n);
		struct tok one = {rest.p, c != NULL ? (size_t)(c - rest.p) : rest.n};
		uint8_t *b = NULL;
		size_t n = 0;

		CHECK(e->ndeleg < DB_MAX_DELEG, ORTH_E_LIMIT);
		TRY(unesc(&one, a, &b, &n));
		CHECK(n > 0 && n <= DB_MAX_NAME && memchr(b, '\0', n) == NULL, ORTH_E_MALFORMED);
		e->deleg[e->ndeleg++] = (const char *)b;
		rest.p += one.n;
		rest.n -= one.n;
		if (c != NULL) {
			rest.p++;
			rest.n--;
			CHECK(rest.n > 0, ORTH_E_MALFORMED);
		}
	}
cleanup:
	return ret;
}
static orth_err
parse_value(const struct field *f, const struct tok *v, struct arena *a, void *s)
{
	uint8_t *base = s, *dst = base + f->off;
	orth_err ret = ORTH_OK;
	int64_t x = 0;

	switch (f->type) {
	case F_I64:
		ret = parse_num(v, INT64_MIN, INT64_MAX, &x);
		memcpy(dst, &x, sizeof(x));
		break;
	case F_TIME:
		ret = parse_time(v, &x);
		memcpy(dst, &x, sizeof(x));
		break;
	case F_U32: {
		uint32_t u;
		ret = parse_num(v, 0, UINT32_MAX, &x);
		u = (uint32_t)x;
		memcpy(dst, &u, sizeof(u));
		break;
	}
	case F_STR: {
		uint8_t *b = NULL;
		size_t n = 0;
		ret = unesc(v, a, &b, &n);
		if (ret == ORTH_OK && memchr(b, '\0', n) != NULL)
			ret = ORTH_E_MALFORMED;
		if (ret == ORTH_OK && n > DB_MAX_FIELD)
			ret = ORTH_E_LIMIT;
		memcpy(dst, &b, sizeof(b));
		break;
	}
	case F_ATTRS: {
		uint32_t u = 0;
		ret = parse_attrs(v, &u);
		memcpy(dst, &u, sizeof(u));
		break;
	}
	case F_ENCTYPE: {
		int32_t et = 0;
		ret = parse_enctype(v, &et);
		memcpy(dst, &et, sizeof(et));
		break;
	}
	case F_SALTTYPE: {
		uint16_t st = 0;
		bool named = false;
		for (size_t i = 0; i < NFIELDS(salt_names); i++)
			if (tok_is(v, salt_names[i].name)) {
				st = salt_names[i].type;
				named = true;
			}
		if (!named) {
			ret = parse_num(v, 0, UINT16_MAX, &x);
			st = (uint16_t)x;
		}
		memcpy(dst, &st, sizeof(st));
		break;
	}
	case F_SEAL:
		if (tok_is(v, "bound"))
			*dst = DB_SEAL_BOUND;
		else if (tok_is(v, "raw"))
			*dst = DB_SEAL_RAW;
		else
			ret = ORTH_E_MALFORMED;
		break;
	case F_ESC:
	case F_HEX: {
		uint8_t *b = NULL;
		size_t n = 0;
		ret = f->type == F_ESC ? unesc(v, a, &b, &n) : unhex(v, a, &b, &n);
		if (ret == ORTH_OK && n > DB_MAX_FIELD)
			ret = ORTH_E_LIMIT;
		if (n == 0)
			b = NULL;
		memcpy(dst, &b, sizeof(b));
		memcpy(base + f->len_off, &n, sizeof(n));
		break;
	}
	case F_ENCTYPES:
		ret = parse_enctypes(v, s);
		break;
	case F_NAMES:
		ret = parse_names(v, a, s);
		break;
	}
	return ret;
}

/*
 * Read "name=value" tokens of table t into s until a token without '='
 * (left in *stop, *more set) or the end of the line.  Every field once;
 * the optional ones may be missing.
 */
static orth_err
parse_fields(struct line *l, const struct field *t, size_t n, struct arena *a, void *s,
	     const char *what, struct tok *stop, bool *more)
{
	orth_err ret = ORTH_OK;
	uint32_t seen = 0;
	struct tok tk;
	bool bad = false;

	*more = false;
	while (!*more && tok_next(l, &tk, &bad)) {
		const char *eq = memchr(tk.p, '=', tk.n);
		struct tok name, val;
		size_t i;

		if (bad) {
			orth_err_format(l->err, l->errlen, "%s: an empty field (two spaces?)", what);
			CHECK(0, ORTH_E_MALFORMED);
		}
		if (eq == NULL) {
			*stop = tk;
			*more = true;
			continue;
		}
		name = (struct tok){tk.p, (size_t)(eq - tk.p)};
		val = (struct tok){eq + 1, tk.n - name.n - 1};
		for (i = 0; i < n && !tok_is(&name, field_name(&t[i])); i++)
			;
		if (i == n) {
			orth_err_format(l->err, l->errlen, "%s: unknown field '%.*s'", what,
					(int)(name.n > 40 ? 40 : name.n), name.p);
			CHECK(0, ORTH_E_MALFORMED);
		}
		if (seen & (1u << i)) {
			orth_err_format(l->err, l->errlen, "%s: field %s twice", what,
					field_name(&t[i]));
			CHECK(0, ORTH_E_MALFORMED);
		}
		seen |= 1u << i;
		ret = parse_value(&t[i], &val, a, s);
		if (ret != ORTH_OK) {
			orth_err_format(l->err, l->errlen, "%s: field %s: %s", what,
					field_name(&t[i]),
					ret == ORTH_E_RANGE ? "out of range"
					: ret == ORTH_E_LIMIT ? "too long"
							      : "not a valid value");
			goto cleanup;
		}
	}
	if (!*more && l->trail) {
		orth_err_format(l->err, l->errlen, "%s: a space at the end of the line", what);
		CHECK(0, ORTH_E_MALFORMED);
	}
	for (size_t i = 0; i < n; i++) {
		if (!(seen & (1u << i)) && !t[i].optional) {
			orth_err_format(l->err, l->errlen, "%s: field %s missing", what,
					field_name(&t[i]));
			CHECK(0, ORTH_E_TRUNCATED);
		}
	}
cleanup:
	return ret;
}

/* "KIND NAME": the escaped name into a. */
static orth_err
parse_head(struct line *l, const char *kind, struct arena *a, const char **name_out,
	   size_t max)
{
	orth_err ret = ORTH_OK;
	struct tok tk;
	bool bad = false;
	uint8_t *b = NULL;
	size_t n = 0;

	if (!tok_next(l, &tk, &bad) || bad || !tok_is(&tk, kind)) {
		orth_err_format(l->err, l->errlen, "not a %s line", kind);
		CHECK(0, ORTH_E_MALFORMED);
	}
	if (!tok_next(l, &tk, &bad) || bad || unesc(&tk, a, &b, &n) != ORTH_OK || n == 0 ||
	    memchr(b, '\0', n) != NULL || n > max) {
		orth_err_format(l->err, l->errlen, "%s: a bad or missing name", kind);
		CHECK(0, ORTH_E_MALFORMED);
	}
	*name_out = (const char *)b;
cleanup:
	return ret;
}

orth_err
db_dump_entry_parse(const char *line, size_t len, struct arena *a, struct db_entry *out,
		    char *err, size_t errlen)
{
	struct line l = {line, len, err, errlen, false};
	struct db_entry *e = arena_alloc(a, sizeof(*e));
	orth_err ret = ORTH_OK;
	struct tok stop = {NULL, 0};
	bool more = false, in_hist = false;
	uint8_t *rec;
	size_t rec_len;

	CHECK(e != NULL, ORTH_E_LIMIT);
	memset(e, 0, sizeof(*e));
	TRY(parse_head(&l, "principal", a, &e->name, DB_MAX_NAME));
	TRY(parse_fields(&l, princ_fields, NFIELDS(princ_fields), a, e, "principal", &stop,
			 &more));
	while (more) {
		struct db_key k;
		bool hist = tok_is(&stop, "hist");

		if (!hist && !tok_is(&stop, "key")) {
			orth_err_format(err, errlen, "principal: '%.*s' is neither a field, key nor hist",
					(int)(stop.n > 40 ? 40 : stop.n), stop.p);
			CHECK(0, ORTH_E_MALFORMED);
		}
		if (!hist && in_hist) {
			orth_err_format(err, errlen, "principal: a key after the history");
			CHECK(0, ORTH_E_MALFORMED);
		}
		in_hist = hist;
		memset(&k, 0, sizeof(k));
		TRY(parse_fields(&l, key_fields, NFIELDS(key_fields), a, &k, hist ? "hist" : "key",
				 &stop, &more));
		if (hist) {
			if (e->nhist == DB_MAX_HISTORY) {
				orth_err_format(err, errlen, "principal: more than %d history keys",
						DB_MAX_HISTORY);
				CHECK(0, ORTH_E_LIMIT);
			}
			e->hist[e->nhist++] = k;
			continue;
		}
		if (e->nkeysets == 0 || e->keysets[e->nkeysets - 1].kvno != k.kvno) {
			/* a new key set: kvnos strictly decrease (db.h) */
			if (e->nkeysets > 0 && k.kvno > e->keysets[e->nkeysets - 1].kvno) {
				orth_err_format(err, errlen,
						"principal: key kvno %u after kvno %u (newest first)",
						(unsigned)k.kvno,
						(unsigned)e->keysets[e->nkeysets - 1].kvno);
				CHECK(0, ORTH_E_MALFORMED);
			}
			if (e->nkeysets == DB_MAX_KEYSETS) {
				orth_err_format(err, errlen, "principal: more than %d key sets",
						DB_MAX_KEYSETS);
				CHECK(0, ORTH_E_LIMIT);
			}
			e->keysets[e->nkeysets++].kvno = k.kvno;
		}
		if (e->keysets[e->nkeysets - 1].nkeys == DB_MAX_KEYS) {
			orth_err_format(err, errlen, "principal: more than %d keys of kvno %u",
					DB_MAX_KEYS, (unsigned)k.kvno);
			CHECK(0, ORTH_E_LIMIT);
		}
		e->keysets[e->nkeysets - 1].keys[e->keysets[e->nkeysets - 1].nkeys++] = k;
	}
	/* What parses must be storable: the record encoder's limits. */
	rec = arena_alloc(a, DB_MAX_RECORD);
	CHECK(rec != NULL, ORTH_E_LIMIT);
	ret = db_entry_encode(e, rec, DB_MAX_RECORD, &rec_len);
	if (ret != ORTH_OK) {
		orth_err_format(err, errlen, "principal %s: too large for a record", e->name);
		goto cleanup;
	}
	*out = *e;
cleanup:
	return ret;
}

orth_err
db_dump_policy_parse(const char *line, size_t len, struct arena *a, struct db_policy *out,
		     char *err, size_t errlen)
{
	struct line l = {line, len, err, errlen, false};
	struct db_policy p;
	orth_err ret = ORTH_OK;
	struct tok stop = {NULL, 0};
	bool more = false;
	uint8_t rec[1024];
	size_t rec_len;

	memset(&p, 0, sizeof(p));
	TRY(parse_head(&l, "policy", a, &p.name, DB_MAX_POLICY_NAME));
	TRY(parse_fields(&l, policy_fields, NFIELDS(policy_fields), a, &p, "policy", &stop, &more));
	if (more) {
		orth_err_format(err, errlen, "policy: '%.*s' is not a field",
				(int)(stop.n > 40 ? 40 : stop.n), stop.p);
		CHECK(0, ORTH_E_MALFORMED);
	}
	/* the policy record's rules (db.h) */
	ret = db_policy_encode(&p, rec, sizeof(rec), &rec_len);
	if (ret != ORTH_OK) {
		orth_err_format(err, errlen, "policy %s: a value out of range", p.name);
		goto cleanup;
	}
	*out = p;
cleanup:
	return ret;
}

/* ---- whole dumps ---- */

struct dump_state {
	FILE *f;
	struct writer w;
	uint8_t *buf;
	size_t n;
};

static orth_err
line_end(struct dump_state *ds, orth_err ret)
{
	if (ret == ORTH_OK) {
		writer_u8(&ds->w, '\n');
		ret = writer_err(&ds->w);
	}
	if (ret == ORTH_OK && fwrite(ds->buf, 1, ds->w.len, ds->f) != ds->w.len)
		ret = ORTH_E_IO;
	ds->n++;
	return ret;
}

static orth_err
dump_policy(void *arg, const struct db_policy *p, const uint8_t *rec, size_t len)
{
	struct dump_state *ds = arg;
	(void)rec;
	(void)len;
	writer_init(&ds->w, ds->buf, DB_DUMP_MAX_LINE + 1);
	return line_end(ds, db_dump_policy_format(p, &ds->w));
}

static orth_err
dump_principal(void *arg, const struct db_entry *e, const uint8_t *rec, size_t len)
{
	struct dump_state *ds = arg;
	(void)rec;
	(void)len;
	writer_init(&ds->w, ds->buf, DB_DUMP_MAX_LINE + 1);
	return line_end(ds, db_dump_entry_format(e, &ds->w));
}

orth_err
db_dump_write(struct db *db, FILE *f, struct db_dump_info *info)
{
	struct dump_state ds = {f, {0}, NULL, 0};
	orth_err ret = ORTH_OK;
	const uint8_t *check;
	size_t check_len, npol;

	memset(info, 0, sizeof(*info));
	info->version = DB_DUMP_VERSION;
	snprintf(info->realm, sizeof(info->realm), "%s", db_realm(db));
	ds.buf = malloc(DB_DUMP_MAX_LINE + 1);
	CHECK(ds.buf != NULL, ORTH_E_NOMEM);
	check = db_master_check(db, &check_len);
	fprintf(f, "%s %d\nrealm %s\ncheck ", DB_DUMP_MAGIC, DB_DUMP_VERSION, db_realm(db));
	writer_init(&ds.w, ds.buf, DB_DUMP_MAX_LINE + 1);
	put_hex(&ds.w, check, check_len);
	TRY(line_end(&ds, writer_err(&ds.w)));
	ds.n = 0;
	TRY(db_policy_iterate(db, dump_policy, &ds));
	npol = ds.n;
	ds.n = 0;
	TRY(db_principal_iterate(db, dump_principal, &ds));
	fprintf(f, "end %zu %zu\n", ds.n, npol);
	CHECK(ferror(f) == 0, ORTH_E_IO);
	info->nprinc = ds.n;
	info->npol = npol;
cleanup:
	free(ds.buf);
	return ret;
}

orth_err
db_line_read(FILE *f, char *buf, size_t cap, size_t *len_out)
{
	orth_err ret = ORTH_OK;
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		/* too long or a NUL: the rest of the line is not read, the
		 * caller stops */
		CHECK(n + 1 < cap && c != '\0', ORTH_E_LIMIT);
		buf[n++] = (char)c;
	}
	CHECK(!ferror(f), ORTH_E_IO);
	CHECK(c != EOF || n > 0, ORTH_E_NOTFOUND);
	CHECK(c != EOF, ORTH_E_TRUNCATED);
	buf[n] = '\0';
	*len_out = n;
cleanup:
	return ret;
}

orth_err
db_dump_read_header(FILE *f, struct db_dump_info *info, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	char line[512];
	size_t len = 0, ml = strlen(DB_DUMP_MAGIC);

	memset(info, 0, sizeof(*info));
	info->line = 1;
	if (db_line_read(f, line, sizeof(line), &len) != ORTH_OK || len != ml + 2 ||
	    memcmp(line, DB_DUMP_MAGIC " ", ml + 1) != 0 || line[ml + 1] < '1' ||
	    line[ml + 1] > '9') {
		orth_err_format(err, errlen, "not an Orthrus dump (version 1, 2 or 3)");
		CHECK(0, ORTH_E_MALFORMED);
	}
	info->version = (unsigned)(line[ml + 1] - '0');
	if (info->version > DB_DUMP_VERSION) {
		orth_err_format(err, errlen, "an Orthrus dump of version %u, newer than this "
			       "program reads (1 to %d)", info->version, DB_DUMP_VERSION);
		CHECK(0, ORTH_E_RANGE);
	}
	info->line = 2;
	if (db_line_read(f, line, sizeof(line), &len) != ORTH_OK || len < 7 ||
	    len - 6 >= sizeof(info->realm) || memcmp(line, "realm ", 6) != 0) {
		orth_err_format(err, errlen, "expected 'realm'");
		CHECK(0, ORTH_E_MALFORMED);
	}
	memcpy(info->realm, line + 6, len - 6);
	info->realm[len - 6] = '\0';
cleanup:
	return ret;
}

/* A hex record of a version 1 or 2 dump. */
static orth_err
legacy_unhex(const char *s, size_t n, struct arena *a, uint8_t **out, size_t *len_out)
{
	struct tok t = {s, n};

	if (n / 2 > DB_MAX_RECORD)
		return ORTH_E_LIMIT;
	return unhex(&t, a, out, len_out);
}

struct load_state {
	struct db *db;
	struct db_txn *t;
	struct db_dump_info *info;
	struct arena a;
	bool have_check, ended;
	char *err;
	size_t errlen;
};

static orth_err
load_line(struct load_state *ls, const char *line, size_t len)
{
	orth_err ret = ORTH_OK;
	struct db_dump_info *info = ls->info;
	bool v3 = info->version >= 3;
	uint8_t *rec = NULL;
	size_t rec_len = 0;

	arena_reset(&ls->a);
	if (ls->ended) {
		orth_err_format(ls->err, ls->errlen, "a line after 'end'");
		CHECK(0, ORTH_E_TRAILING);
	}
	if (len > 6 && memcmp(line, "check ", 6) == 0 && !ls->have_check) {
		struct tok t = {line + 6, len - 6};
		if (unhex(&t, &ls->a, &rec, &rec_len) != ORTH_OK || rec_len > DB_MAX_FIELD) {
			orth_err_format(ls->err, ls->errlen, "a bad check value");
			CHECK(0, ORTH_E_MALFORMED);
		}
		ls->have_check = true;
		/* wrong master key: the caller's words */
		TRY(db_txn_set_check(ls->t, rec, rec_len));
	} else if (v3 && len > 10 && memcmp(line, "principal ", 10) == 0 && ls->have_check) {
		struct db_entry e;
		TRY(db_dump_entry_parse(line, len, &ls->a, &e, ls->err, ls->errlen));
		rec = arena_alloc(&ls->a, DB_MAX_RECORD);
		CHECK(rec != NULL, ORTH_E_NOMEM);
		TRY(db_entry_encode(&e, rec, DB_MAX_RECORD, &rec_len));
		TRY(db_txn_put_raw(ls->t, rec, rec_len, DB_PUT_NEW, ls->err, ls->errlen));
		info->nprinc++;
	} else if (!v3 && len > 6 && memcmp(line, "princ ", 6) == 0 && ls->have_check) {
		if (legacy_unhex(line + 6, len - 6, &ls->a, &rec, &rec_len) != ORTH_OK) {
			orth_err_format(ls->err, ls->errlen, "a bad hex record");
			CHECK(0, ORTH_E_MALFORMED);
		}
		TRY(db_txn_put_raw(ls->t, rec, rec_len, DB_PUT_NEW, ls->err, ls->errlen));
		info->nprinc++;
	} else if (info->version >= 2 && len > 7 && memcmp(line, "policy ", 7) == 0 &&
		   ls->have_check) {
		struct db_policy p;
		if (v3) {
			TRY(db_dump_policy_parse(line, len, &ls->a, &p, ls->err, ls->errlen));
			ret = db_txn_policy_put(ls->t, &p, DB_PUT_NEW);
		} else if (legacy_unhex(line + 7, len - 7, &ls->a, &rec, &rec_len) != ORTH_OK) {
			orth_err_format(ls->err, ls->errlen, "a bad hex record");
			CHECK(0, ORTH_E_MALFORMED);
		} else {
			ret = db_txn_policy_put_raw(ls->t, rec, rec_len, DB_PUT_NEW);
		}
		if (ret == ORTH_E_EXISTS)
			orth_err_format(ls->err, ls->errlen, "a policy appears twice");
		else if (ret != ORTH_OK && ret != ORTH_E_NOSPACE)
			orth_err_format(ls->err, ls->errlen, "not a policy record: %s",
					orth_err_str(ret));
		TRY(ret);
		info->npol++;
	} else if (len > 4 && memcmp(line, "end ", 4) == 0 && ls->have_check) {
		char *e;
		unsigned long long k, kp = 0;
		errno = 0;
		k = strtoull(line + 4, &e, 10);
		if (info->version >= 2 && *e == ' ')
			kp = strtoull(e + 1, &e, 10);
		ls->ended = true;
		if (*e != '\0' || errno != 0 || !isdigit((unsigned char)line[4]) ||
		    k != info->nprinc || kp != info->npol) {
			orth_err_format(ls->err, ls->errlen,
					"the end line does not match the %zu principals and %zu "
					"policies read (a cut or edited dump?)",
					info->nprinc, info->npol);
			CHECK(0, ORTH_E_TRUNCATED);
		}
	} else {
		orth_err_format(ls->err, ls->errlen, "not a line of a version %u dump%s",
				info->version, ls->have_check ? "" : " (or before 'check')");
		CHECK(0, ORTH_E_MALFORMED);
	}
cleanup:
	return ret;
}

orth_err
db_dump_load(struct db *db, FILE *f, struct db_dump_info *info, char *err, size_t errlen)
{
	struct load_state ls = {db, NULL, info, {0}, false, false, err, errlen};
	orth_err ret = ORTH_OK, rd;
	char *line = NULL;
	size_t len = 0;

	if (errlen > 0)
		err[0] = '\0';
	info->nprinc = info->npol = 0;
	line = malloc(DB_DUMP_MAX_LINE + 1);
	CHECK(line != NULL, ORTH_E_NOMEM);
	TRY(arena_init(&ls.a, 4 * DB_MAX_RECORD + DB_DUMP_MAX_LINE));
	TRY(db_txn_begin(db, &ls.t));
	TRY(db_txn_clear(ls.t));
	while ((rd = db_line_read(f, line, DB_DUMP_MAX_LINE + 1, &len)) == ORTH_OK) {
		info->line++;
		TRY(load_line(&ls, line, len));
	}
	if (rd != ORTH_E_NOTFOUND) {
		info->line++;
		orth_err_format(err, errlen, rd == ORTH_E_TRUNCATED ? "the last line is cut"
					     : rd == ORTH_E_IO ? "cannot read the dump"
							       : "a line too long or holding a NUL");
		CHECK(0, rd);
	}
	if (!ls.ended) {
		orth_err_format(err, errlen, "no 'end' line: the dump is cut");
		CHECK(0, ORTH_E_TRUNCATED);
	}
	/* Records decoded and checked, every key unsealed for its entry, the
	 * check value verified: commit. */
	ret = db_txn_commit(ls.t);
	ls.t = NULL;
cleanup:
	db_txn_abort(ls.t);
	arena_free(&ls.a);
	free(line);
	return ret;
}
