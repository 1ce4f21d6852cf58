/*
 * db_record.c - the principal record format (see db.h) and attribute
 * names.  No LMDB and no crypto here, so both are testable alone.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/cursor.h"
#include "base/writer.h"
#include "db.h"

static const struct {
	uint32_t bit;
	const char *name;
} attr_names[] = {
	{DB_ATTR_REQUIRES_PREAUTH, "requires-preauth"},
	{DB_ATTR_DISALLOW_FORWARDABLE, "disallow-forwardable"},
	{DB_ATTR_DISALLOW_PROXIABLE, "disallow-proxiable"},
	{DB_ATTR_DISALLOW_RENEWABLE, "disallow-renewable"},
	{DB_ATTR_DISALLOW_POSTDATED, "disallow-postdated"},
	{DB_ATTR_DISALLOW_TGT_BASED, "disallow-tgt-based"},
	{DB_ATTR_DISALLOW_SVR, "disallow-svr"},
	{DB_ATTR_DISALLOW_ALL_TIX, "disallow-all-tix"},
	{DB_ATTR_DISALLOW_DUP_SKEY, "disallow-dup-skey"},
	{DB_ATTR_REQUIRES_HWAUTH, "requires-hwauth"},
	{DB_ATTR_REQUIRES_PWCHANGE, "requires-pwchange"},
	{DB_ATTR_PWCHANGE_SERVICE, "pwchange-service"},
	{DB_ATTR_OK_AS_DELEGATE, "ok-as-delegate"},
	{DB_ATTR_OK_TO_AUTH_AS_DELEGATE, "ok-to-auth-as-delegate"},
	{DB_ATTR_NO_AUTH_DATA_REQUIRED, "no-auth-data-required"},
	{DB_ATTR_LOCKDOWN_KEYS, "lockdown-keys"},
	{DB_ATTR_REQUIRES_FAST, "requires-fast"},
};

/* MIT kdc.conf default_principal_flags words: '+word' allows, '-word'
 * disallows; for the "requires" ones, '+' sets the bit. */
static const struct {
	const char *word;
	uint32_t bit;
	bool inverted;   /* '-word' sets the bit (a DISALLOW_*) */
} mit_words[] = {
	{"postdateable", DB_ATTR_DISALLOW_POSTDATED, true},
	{"forwardable", DB_ATTR_DISALLOW_FORWARDABLE, true},
	{"tgt-based", DB_ATTR_DISALLOW_TGT_BASED, true},
	{"renewable", DB_ATTR_DISALLOW_RENEWABLE, true},
	{"proxiable", DB_ATTR_DISALLOW_PROXIABLE, true},
	{"dup-skey", DB_ATTR_DISALLOW_DUP_SKEY, true},
	{"allow-tickets", DB_ATTR_DISALLOW_ALL_TIX, true},
	{"service", DB_ATTR_DISALLOW_SVR, true},
	{"preauth", DB_ATTR_REQUIRES_PREAUTH, false},
	{"hwauth", DB_ATTR_REQUIRES_HWAUTH, false},
	{"pwchange", DB_ATTR_REQUIRES_PWCHANGE, false},
	{"pwservice", DB_ATTR_PWCHANGE_SERVICE, false},
	{"no-auth-data-required", DB_ATTR_NO_AUTH_DATA_REQUIRED, false},
	{"lockdown-keys", DB_ATTR_LOCKDOWN_KEYS, false},
};

const char *
db_attr_name(uint32_t bit)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (attr_names[i].bit == bit)
			return attr_names[i].name;
	return NULL;
}

/* Compare treating '_' as '-', case-insensitively. */
static bool
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		char x = *a == '_' ? '-' : (char)tolower((unsigned char)*a);
		char y = *b == '_' ? '-' : (char)tolower((unsigned char)*b);
		if (x != y)
			return false;
	}
	return *a == *b;
}

uint32_t
db_attr_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
		if (name_eq(name, attr_names[i].name))
			return attr_names[i].bit;
	return 0;
}

orth_err
db_attrs_apply(const char *list, uint32_t *attrs)
{
	uint32_t v = *attrs;
	const char *p = list;
	while (*p != '\0') {
		char word[64];
		size_t len;
		bool minus = false, plus = false, done = false;
		uint32_t bit;
		while (*p != '\0' && (isspace((unsigned char)*p) || *p == ','))
			p++;
		if (*p == '\0')
			break;
		if (*p == '-' || *p == '+') {
			minus = *p == '-';
			plus = *p == '+';
			p++;
		}
		len = strcspn(p, " \t,");
		if (len == 0 || len >= sizeof(word))
			return ORTH_E_CONFIG;
		memcpy(word, p, len);
		word[len] = '\0';
		p += len;
		bit = db_attr_from_name(word);
		if (bit != 0) {
			v = minus ? (v & ~bit) : (v | bit);
			continue;
		}
		(void)plus;
		for (size_t i = 0; i < sizeof(mit_words) / sizeof(mit_words[0]); i++) {
			if (!name_eq(word, mit_words[i].word))
				continue;
			if (mit_words[i].inverted == minus)
				v |= mit_words[i].bit;
			else
				v &= ~mit_words[i].bit;
			done = true;
			break;
		}
		if (!done)
			return ORTH_E_CONFIG;
	}
	*attrs = v;
	return ORTH_OK;
}

void
db_attrs_format(uint32_t attrs, char *buf, size_t cap)
{
	size_t len = 0;
	if (cap == 0)
		return;
	buf[0] = '\0';
	for (uint32_t bit = 1; bit != 0; bit <<= 1) {
		const char *n;
		int k;
		if (!(attrs & bit))
			continue;
		n = db_attr_name(bit);
		if (len >= cap)
			break;
		if (n != NULL)
			k = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", n);
		else
			k = snprintf(buf + len, cap - len, "%s0x%x", len ? "," : "", bit);
		if (k < 0)
			break;
		len += (size_t)k;
	}
}

static void
put_bytes16(struct writer *w, const void *p, size_t n)
{
	if (n > DB_MAX_FIELD) {
		if (w->err == ORTH_OK)
			w->err = ORTH_E_LIMIT;
		return;
	}
	writer_be16(w, (uint16_t)n);
	writer_put(w, p, n);
}

static void
put_str(struct writer *w, const char *s)
{
	put_bytes16(w, s ? s : "", s ? strlen(s) : 0);
}

static void
put_i64(struct writer *w, int64_t v)
{
	uint64_t u = (uint64_t)v;
	writer_be32(w, (uint32_t)(u >> 32));
	writer_be32(w, (uint32_t)u);
}

/* A key as version 3 writes it (db.h). */
static void
put_key(struct writer *w, const struct db_key *k)
{
	writer_be32(w, (uint32_t)k->enctype);
	writer_be16(w, k->salt_type);
	put_bytes16(w, k->salt, k->salt_len);
	put_bytes16(w, k->s2kparams, k->s2kparams_len);
	writer_u8(w, k->seal);
	put_bytes16(w, k->enc, k->enc_len);
}

/* What the encoder refuses so that whatever it writes decodes. */
static bool
key_ok(const struct db_key *k)
{
	return k->seal == DB_SEAL_RAW || k->seal == DB_SEAL_BOUND;
}

orth_err
db_entry_encode(const struct db_entry *e, uint8_t *buf, size_t cap, size_t *len_out)
{
	struct writer w;
	writer_init(&w, buf, cap);
	if (e->name == NULL || e->name[0] == '\0' || strlen(e->name) > DB_MAX_NAME ||
	    e->nkeysets > DB_MAX_KEYSETS || e->nhist > DB_MAX_HISTORY ||
	    e->ndeleg > DB_MAX_DELEG)
		return ORTH_E_LIMIT;
	writer_u8(&w, DB_RECORD_VERSION);
	put_str(&w, e->name);
	writer_be32(&w, e->attributes);
	put_i64(&w, e->max_life);
	put_i64(&w, e->max_renew);
	put_i64(&w, e->princ_expire);
	put_i64(&w, e->pw_expire);
	put_i64(&w, e->last_pw_change);
	put_i64(&w, e->mod_time);
	put_str(&w, e->mod_by);
	put_str(&w, e->policy);
	writer_u8(&w, (uint8_t)e->nkeysets);
	for (size_t i = 0; i < e->nkeysets; i++) {
		const struct db_keyset *ks = &e->keysets[i];
		if (ks->nkeys > DB_MAX_KEYS)
			return ORTH_E_LIMIT;
		writer_be32(&w, ks->kvno);
		writer_u8(&w, (uint8_t)ks->nkeys);
		for (size_t j = 0; j < ks->nkeys; j++) {
			if (!key_ok(&ks->keys[j]))
				return ORTH_E_RANGE;
			put_key(&w, &ks->keys[j]);
		}
	}
	/* since version 2 */
	writer_be32(&w, e->fail_count);
	put_i64(&w, e->last_failed);
	put_i64(&w, e->last_success);
	writer_u8(&w, (uint8_t)e->nhist);
	for (size_t i = 0; i < e->nhist; i++) {
		if (!key_ok(&e->hist[i]))
			return ORTH_E_RANGE;
		/* version 3: the kvno the key is bound to */
		writer_be32(&w, e->hist[i].kvno);
		put_key(&w, &e->hist[i]);
	}
	/* since version 4 */
	writer_u8(&w, (uint8_t)e->ndeleg);
	for (size_t i = 0; i < e->ndeleg; i++) {
		if (e->deleg[i] == NULL || e->deleg[i][0] == '\0' ||
		    strlen(e->deleg[i]) > DB_MAX_NAME)
			return ORTH_E_RANGE;
		put_str(&w, e->deleg[i]);
	}
	if (writer_err(&w) != ORTH_OK)
		return writer_err(&w);
	*len_out = w.len;
	return ORTH_OK;
}

static const uint8_t *
get_bytes16(struct cursor *c, size_t *len)
{
	size_t n = cursor_be16(c);
	if (n > DB_MAX_FIELD) {
		cursor_fail(c, ORTH_E_LIMIT);
		return NULL;
	}
	*len = n;
	return cursor_get(c, n);
}

/* A string field: no NUL inside; copied NUL-terminated into a. */
static const char *
get_str(struct cursor *c, struct arena *a)
{
	size_t n = 0;
	const uint8_t *p = get_bytes16(c, &n);
	char *s;
	if (p == NULL)
		return NULL;
	if (memchr(p, '\0', n) != NULL) {
		cursor_fail(c, ORTH_E_MALFORMED);
		return NULL;
	}
	s = arena_strndup(a, (const char *)p, n);
	if (s == NULL)
		cursor_fail(c, ORTH_E_LIMIT);
	return s;
}

static int64_t
get_i64(struct cursor *c)
{
	uint64_t hi = cursor_be32(c), lo = cursor_be32(c);
	return (int64_t)((hi << 32) | lo);
}

/* A key of a record of version (before 3: raw, no seal byte). */
static void
get_key(struct cursor *c, uint8_t version, struct db_key *k)
{
	k->enctype = (int32_t)cursor_be32(c);
	k->salt_type = cursor_be16(c);
	k->salt = get_bytes16(c, &k->salt_len);
	k->s2kparams = get_bytes16(c, &k->s2kparams_len);
	k->seal = version >= 3 ? cursor_u8(c) : DB_SEAL_RAW;
	if (!key_ok(k))
		cursor_fail(c, ORTH_E_MALFORMED);
	k->enc = get_bytes16(c, &k->enc_len);
	if (k->s2kparams_len == 0)
		k->s2kparams = NULL;
}

/*
 * The fixed fields and the counts of e, zero: what decoding writes besides
 * the array elements a record holds.  Not a memset of e: the arrays are
 * 8 KB at their caps, a KDC decodes two or three entries per request, and
 * nothing reads an element past its count (db.h).
 */
static void
entry_clear_head(struct db_entry *e)
{
	e->name = NULL;
	e->attributes = 0;
	e->max_life = 0;
	e->max_renew = 0;
	e->princ_expire = 0;
	e->pw_expire = 0;
	e->last_pw_change = 0;
	e->mod_time = 0;
	e->mod_by = NULL;
	e->policy = NULL;
	e->nkeysets = 0;
	e->fail_count = 0;
	e->last_failed = 0;
	e->last_success = 0;
	e->nhist = 0;
	e->ndeleg = 0;
}

orth_err
db_entry_decode(const uint8_t *buf, size_t len, struct arena *a, struct db_entry *out)
{
	struct cursor c;
	const uint8_t *copy;
	size_t nks, nh = 0;
	uint8_t version;

	if (len > DB_MAX_RECORD)
		return ORTH_E_LIMIT;
	copy = arena_dup(a, buf, len);
	if (copy == NULL && len != 0)
		return ORTH_E_LIMIT;
	entry_clear_head(out);
	cursor_init(&c, copy, len);
	version = cursor_u8(&c);
	if (version < 1 || version > DB_RECORD_VERSION)
		return cursor_err(&c) ? cursor_err(&c) : ORTH_E_RANGE;
	out->name = get_str(&c, a);
	out->attributes = cursor_be32(&c);
	out->max_life = get_i64(&c);
	out->max_renew = get_i64(&c);
	out->princ_expire = get_i64(&c);
	out->pw_expire = get_i64(&c);
	out->last_pw_change = get_i64(&c);
	out->mod_time = get_i64(&c);
	out->mod_by = get_str(&c, a);
	out->policy = get_str(&c, a);
	nks = cursor_u8(&c);
	if (nks > DB_MAX_KEYSETS)
		cursor_fail(&c, ORTH_E_LIMIT);
	for (size_t i = 0; i < nks && cursor_err(&c) == ORTH_OK; i++) {
		struct db_keyset *ks = &out->keysets[i];
		ks->kvno = cursor_be32(&c);
		ks->nkeys = cursor_u8(&c);
		if (ks->nkeys > DB_MAX_KEYS)
			cursor_fail(&c, ORTH_E_LIMIT);
		/* newest first, strictly decreasing kvnos */
		if (i > 0 && ks->kvno >= out->keysets[i - 1].kvno)
			cursor_fail(&c, ORTH_E_MALFORMED);
		for (size_t j = 0; j < ks->nkeys && cursor_err(&c) == ORTH_OK; j++) {
			get_key(&c, version, &ks->keys[j]);
			ks->keys[j].kvno = ks->kvno;
		}
	}
	out->nkeysets = nks;
	if (version >= 2) {
		out->fail_count = cursor_be32(&c);
		out->last_failed = get_i64(&c);
		out->last_success = get_i64(&c);
		nh = cursor_u8(&c);
		if (nh > DB_MAX_HISTORY)
			cursor_fail(&c, ORTH_E_LIMIT);
		for (size_t i = 0; i < nh && cursor_err(&c) == ORTH_OK; i++) {
			uint32_t kvno = version >= 3 ? cursor_be32(&c) : 0;
			get_key(&c, version, &out->hist[i]);
			out->hist[i].kvno = kvno;
		}
		out->nhist = nh;
	}
	if (version >= 4) {
		size_t nd = cursor_u8(&c);
		if (nd > DB_MAX_DELEG)
			cursor_fail(&c, ORTH_E_LIMIT);
		for (size_t i = 0; i < nd && cursor_err(&c) == ORTH_OK; i++) {
			out->deleg[i] = get_str(&c, a);
			if (out->deleg[i] != NULL && out->deleg[i][0] == '\0')
				cursor_fail(&c, ORTH_E_MALFORMED);
		}
		out->ndeleg = nd;
	}
	if (cursor_end(&c) != ORTH_OK) {
		entry_clear_head(out);
		return cursor_err(&c);
	}
	if (out->name[0] == '\0')
		return ORTH_E_MALFORMED;
	return ORTH_OK;
}

/* ---- policies ---- */

/* What both directions refuse, so that whatever is stored decodes. */
static orth_err
policy_check(const struct db_policy *p)
{
	size_t n = p->name != NULL ? strlen(p->name) : 0;

	if (n == 0 || n > DB_MAX_POLICY_NAME || p->n_allowed > DB_MAX_KEYS)
		return ORTH_E_LIMIT;
	if (p->pw_max_life < 0 || p->pw_min_life < 0 || p->pw_failcnt_interval < 0 ||
	    p->pw_lockout_duration < 0 || p->pw_min_classes > 5 ||
	    p->pw_history_num > DB_MAX_HISTORY + 1 || p->pw_min_length > DB_MAX_FIELD)
		return ORTH_E_RANGE;
	return ORTH_OK;
}

orth_err
db_policy_encode(const struct db_policy *p, uint8_t *buf, size_t cap, size_t *len_out)
{
	struct writer w;
	orth_err ret = policy_check(p);

	if (ret != ORTH_OK)
		return ret;
	writer_init(&w, buf, cap);
	writer_u8(&w, DB_POLICY_VERSION);
	put_str(&w, p->name);
	put_i64(&w, p->pw_max_life);
	put_i64(&w, p->pw_min_life);
	writer_be32(&w, p->pw_min_length);
	writer_be32(&w, p->pw_min_classes);
	writer_be32(&w, p->pw_history_num);
	writer_be32(&w, p->pw_max_fail);
	put_i64(&w, p->pw_failcnt_interval);
	put_i64(&w, p->pw_lockout_duration);
	writer_u8(&w, (uint8_t)p->n_allowed);
	for (size_t i = 0; i < p->n_allowed; i++)
		writer_be32(&w, (uint32_t)p->allowed_enctypes[i]);
	if (writer_err(&w) != ORTH_OK)
		return writer_err(&w);
	*len_out = w.len;
	return ORTH_OK;
}

orth_err
db_policy_decode(const uint8_t *buf, size_t len, struct arena *a, struct db_policy *out)
{
	struct cursor c;
	orth_err ret;

	memset(out, 0, sizeof(*out));
	if (len > DB_MAX_RECORD)
		return ORTH_E_LIMIT;
	cursor_init(&c, buf, len);
	if (cursor_u8(&c) != DB_POLICY_VERSION)
		return cursor_err(&c) ? cursor_err(&c) : ORTH_E_RANGE;
	out->name = get_str(&c, a);
	out->pw_max_life = get_i64(&c);
	out->pw_min_life = get_i64(&c);
	out->pw_min_length = cursor_be32(&c);
	out->pw_min_classes = cursor_be32(&c);
	out->pw_history_num = cursor_be32(&c);
	out->pw_max_fail = cursor_be32(&c);
	out->pw_failcnt_interval = get_i64(&c);
	out->pw_lockout_duration = get_i64(&c);
	out->n_allowed = cursor_u8(&c);
	if (out->n_allowed > DB_MAX_KEYS)
		cursor_fail(&c, ORTH_E_LIMIT);
	for (size_t i = 0; i < out->n_allowed && cursor_err(&c) == ORTH_OK; i++)
		out->allowed_enctypes[i] = (int32_t)cursor_be32(&c);
	ret = cursor_end(&c);
	if (ret == ORTH_OK)
		ret = policy_check(out);
	if (ret != ORTH_OK)
		memset(out, 0, sizeof(*out));
	return ret;
}

orth_err
db_entry_add_keyset(struct db_entry *e, const struct db_keyset *ks, unsigned keep_old)
{
	size_t keep;
	if (e->nkeysets > 0 && ks->kvno <= e->keysets[0].kvno)
		return ORTH_E_RANGE;
	if (ks->nkeys == 0 || ks->nkeys > DB_MAX_KEYS)
		return ORTH_E_RANGE;
	if (keep_old > DB_MAX_KEYSETS - 1)
		keep_old = DB_MAX_KEYSETS - 1;
	keep = e->nkeysets < keep_old ? e->nkeysets : keep_old;
	memmove(&e->keysets[1], &e->keysets[0], keep * sizeof(e->keysets[0]));
	e->keysets[0] = *ks;
	e->nkeysets = keep + 1;
	return ORTH_OK;
}
