/*
 * mitdump.c - reading MIT krb5's `kdb5_util dump` (mitdump.h).  Lines are
 * split at tabs and every token is checked against what MIT's dump.c
 * writes; the binary parts (hex tl-data, XDR, sealed keys) go through
 * bounded cursors.
 */
#include <string.h>

#include "base/cursor.h"
#include "base/hex.h"
#include "db/mitdump.h"

/* ---- tokens ---- */

struct tok {
	const char *p;
	size_t n;
};

struct tabs {
	const char *p;
	size_t left;
	bool done;
};

/* The next tab-separated token; false when the line is used up. */
static bool
tab_next(struct tabs *t, struct tok *out)
{
	const char *tab;

	if (t->done)
		return false;
	tab = memchr(t->p, '\t', t->left);
	out->p = t->p;
	out->n = tab != NULL ? (size_t)(tab - t->p) : t->left;
	if (tab == NULL) {
		t->done = true;
		t->left = 0;
	} else {
		t->p = tab + 1;
		t->left -= out->n + 1;
	}
	return true;
}

static bool
tok_is(const struct tok *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

/* A decimal number as MIT prints "%d" or "%u": [-2^31, 2^32 - 1], kept
 * as its 32 bits. */
static bool
num32(const struct tok *t, uint32_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (t->n > 0 && t->p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i == t->n || t->n - i > 10)
		return false;
	for (; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if ((neg && v > 0x80000000u) || (!neg && v > 0xffffffffu))
		return false;
	*out = neg ? (uint32_t)(0u - (uint32_t)v) : (uint32_t)v;
	return true;
}

/* A number within [min, max] (as a signed value). */
static bool
num_in(const struct tok *t, int64_t min, int64_t max, int64_t *out)
{
	uint32_t u;
	int64_t v;

	if (!num32(t, &u))
		return false;
	v = t->p[0] == '-' ? (int64_t)(int32_t)u : (int64_t)u;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* MIT's "octets or -1": len bytes in hex, or "-1" when len is 0. */
static bool
octets(const struct tok *t, size_t len, struct arena *a, const uint8_t **out)
{
	uint8_t *b;

	*out = NULL;
	if (len == 0)
		return tok_is(t, "-1");
	if (t->n != 2 * len)
		return false;
	b = arena_alloc(a, len);
	if (b == NULL)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(t->p[2 * i]), lo = hex_digit(t->p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	*out = b;
	return true;
}

/* ---- the header ---- */

orth_err
mitdump_header_parse(const char *line, size_t len, unsigned *version_out, char *err,
		     size_t errlen)
{
	static const char cur[] = "kdb5_util load_dump version ";
	static const char *const old[] = {"kdb5_util load_dump version 4", "kdb5_edit load_dump",
					  "OpenV*Secure", "iprop"};
	orth_err ret = ORTH_E_MALFORMED;

	if (len == sizeof(cur) && memcmp(line, cur, sizeof(cur) - 1) == 0 &&
	    line[len - 1] >= '5' && line[len - 1] <= '7') {
		*version_out = (unsigned)(line[len - 1] - '0');
		ret = ORTH_OK;
	}
	for (size_t i = 0; ret != ORTH_OK && i < sizeof(old) / sizeof(old[0]); i++)
		if (len >= strlen(old[i]) && memcmp(line, old[i], strlen(old[i])) == 0)
			ret = ORTH_E_RANGE;
	if (ret == ORTH_E_RANGE)
		orth_err_format(err, errlen,
				"an MIT dump in an old or special format ('%.*s'): dump the "
				"database again with kdb5_util dump and no options",
				(int)(len > 40 ? 40 : len), line);
	else if (ret != ORTH_OK)
		orth_err_format(err, errlen, "not a kdb5_util dump (the first line should be "
			       "'kdb5_util load_dump version 7')");
	return ret;
}

/* ---- principal lines ---- */

/* Within a parser: say why and leave with ORTH_E_MALFORMED. */
#define BAD(what)                                                                           \
	do {                                                                                \
		why = (what);                                                               \
		CHECK(0, ORTH_E_MALFORMED);                                                 \
	} while (0)

/* Read one tl-data (type, length, contents) into *tl. */
static bool
tl_read(struct tabs *t, struct arena *a, struct mit_tl *tl)
{
	struct tok tk;
	int64_t v;

	if (!tab_next(t, &tk) || !num_in(&tk, INT16_MIN, INT16_MAX, &v))
		return false;
	tl->type = (int16_t)v;
	if (!tab_next(t, &tk) || !num_in(&tk, 0, UINT16_MAX, &v))
		return false;
	tl->len = (size_t)v;
	return tab_next(t, &tk) && octets(&tk, tl->len, a, &tl->data);
}

/* Read one key-data (version, kvno, then per element type, length,
 * contents) into *kd. */
static bool
key_read(struct tabs *t, struct arena *a, struct mit_key_data *kd)
{
	struct tok tk;
	int64_t v;
	bool ok;

	ok = tab_next(t, &tk) && num_in(&tk, 1, 2, &v);
	kd->ver = ok ? (uint16_t)v : 0;
	ok = ok && tab_next(t, &tk) && num_in(&tk, 0, UINT16_MAX, &v);
	kd->kvno = ok ? (uint16_t)v : 0;
	for (size_t j = 0; ok && j < kd->ver; j++) {
		ok = tab_next(t, &tk) && num_in(&tk, INT16_MIN, INT16_MAX, &v);
		kd->type[j] = ok ? (int16_t)v : 0;
		ok = ok && tab_next(t, &tk) && num_in(&tk, 0, UINT16_MAX, &v);
		kd->length[j] = ok ? (size_t)v : 0;
		ok = ok && tab_next(t, &tk) && octets(&tk, kd->length[j], a, &kd->contents[j]);
	}
	return ok;
}

static orth_err
princ_parse(struct tabs *t, struct arena *a, struct mit_princ *p, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	const char *why = NULL;
	struct tok tk, ed;
	int64_t base, namelen, ntl, nkeys, elen;
	uint32_t f[8];
	const uint8_t *edata;
	char *name;

	memset(p, 0, sizeof(*p));
	if (!tab_next(t, &tk) || !num_in(&tk, 0, INT32_MAX, &base) || !tab_next(t, &tk) ||
	    !num_in(&tk, 1, MITDUMP_MAX_NAME, &namelen) || !tab_next(t, &tk) ||
	    !num_in(&tk, 0, MITDUMP_MAX_TL, &ntl) || !tab_next(t, &tk) ||
	    !num_in(&tk, 0, MITDUMP_MAX_KEYS, &nkeys) || !tab_next(t, &tk) ||
	    !num_in(&tk, 0, UINT16_MAX, &elen))
		BAD("princ: bad counts (or more tl-data or keys than we read)");
	/* the name, by its length: it may hold spaces */
	if (t->done || t->left < (size_t)namelen + 1 || t->p[namelen] != '\t')
		BAD("princ: the name does not have its length");
	name = arena_strndup(a, t->p, (size_t)namelen);
	if (name == NULL || strlen(name) != (size_t)namelen)
		BAD("princ: a NUL in the name");
	p->name = name;
	t->p += namelen + 1;
	t->left -= (size_t)namelen + 1;
	for (size_t i = 0; i < 8; i++)
		if (!tab_next(t, &tk) || !num32(&tk, &f[i]))
			BAD("princ: bad attributes or times");
	p->attributes = f[0];
	p->max_life = (int32_t)f[1];
	p->max_renew = (int32_t)f[2];
	p->expiration = f[3];
	p->pw_expiration = f[4];
	p->last_success = f[5];
	p->last_failed = f[6];
	p->fail_count = f[7];

	p->ntl = (size_t)ntl;
	p->tl = arena_alloc(a, (p->ntl + 1) * sizeof(*p->tl));
	p->nkeys = (size_t)nkeys;
	p->keys = arena_alloc(a, (p->nkeys + 1) * sizeof(*p->keys));
	CHECK(p->tl != NULL && p->keys != NULL, ORTH_E_LIMIT);
	memset(p->keys, 0, (p->nkeys + 1) * sizeof(*p->keys));
	for (size_t i = 0; i < p->ntl; i++)
		if (!tl_read(t, a, &p->tl[i]))
			BAD("princ: bad tl-data");
	for (size_t i = 0; i < p->nkeys; i++)
		if (!key_read(t, a, &p->keys[i]))
			BAD("princ: bad key-data");
	/* e-data, then ';' and nothing after */
	if (!tab_next(t, &tk) || tk.n == 0 || tk.p[tk.n - 1] != ';' || !t->done)
		BAD("princ: the record does not end with its e-data and ';'");
	ed = (struct tok){tk.p, tk.n - 1};
	if (!octets(&ed, (size_t)elen, a, &edata))
		BAD("princ: bad e-data");
	p->e_len = (size_t)elen;
cleanup:
	if (ret != ORTH_OK)
		orth_err_format(err, errlen, "%s", why != NULL ? why : "princ: too large");
	return ret;
}

/* ---- policy lines ---- */

static orth_err
policy_parse(struct tabs *t, unsigned version, struct arena *a, struct mit_policy *pol,
	     char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	const char *why = NULL;
	struct tok tk[15];
	size_t n = 0;
	uint32_t f[14] = {0};
	int64_t ntl;
	struct mit_tl tl;

	memset(pol, 0, sizeof(*pol));
	while (n < 15 && tab_next(t, &tk[n]))
		n++;
	/* 7 fields (version 5), 10 (version 6, and in 7 too), 15 and the
	 * tl-data (version 7) */
	if (!(n == 7 || (n == 10 && version >= 6) || (n == 15 && version >= 7)) ||
	    (n < 15 && !t->done))
		BAD("policy: not the fields of a policy line");
	if (tk[0].n == 0 || tk[0].n > 1023 || memchr(tk[0].p, ' ', tk[0].n) != NULL)
		BAD("policy: a bad name");
	pol->name = arena_strndup(a, tk[0].p, tk[0].n);
	CHECK(pol->name != NULL, ORTH_E_LIMIT);
	if (strlen(pol->name) != tk[0].n)
		BAD("policy: a bad name");
	for (size_t i = 1; i < n; i++)
		if (i != 13 && !num32(&tk[i], &f[i - 1])) /* 13: allowed_keysalts */
			BAD("policy: a bad number");
	pol->pw_min_life = f[0];
	pol->pw_max_life = f[1];
	pol->pw_min_length = f[2];
	pol->pw_min_classes = f[3];
	pol->pw_history_num = f[4];
	/* f[5]: the reference count, unused since 1.11 */
	pol->pw_max_fail = f[6];
	pol->pw_failcnt_interval = f[7];
	pol->pw_lockout_duration = f[8];
	if (n < 15)
		goto cleanup;
	pol->attributes = f[9];
	pol->max_life = f[10];
	pol->max_renew = f[11];
	if (tk[13].n == 0 || tk[13].n > 512)
		BAD("policy: bad allowed_keysalts");
	if (!tok_is(&tk[13], "-")) {
		pol->allowed_keysalts = arena_strndup(a, tk[13].p, tk[13].n);
		CHECK(pol->allowed_keysalts != NULL, ORTH_E_LIMIT);
	}
	if (!num_in(&tk[14], 0, MITDUMP_MAX_TL, &ntl))
		BAD("policy: bad tl-data count");
	pol->ntl = (size_t)ntl;
	/* the tl-data: read, checked, not kept (none is defined for policies) */
	for (size_t i = 0; i < pol->ntl; i++)
		if (!tl_read(t, a, &tl))
			BAD("policy: bad tl-data");
	if (!t->done)
		BAD("policy: fields after the tl-data");
cleanup:
	if (ret != ORTH_OK)
		orth_err_format(err, errlen, "%s", why != NULL ? why : "policy: too large");
	return ret;
}

orth_err
mitdump_line_parse(const char *line, size_t len, unsigned version, struct arena *a,
		   enum mitdump_kind *kind_out, struct mit_princ *p, struct mit_policy *pol,
		   char *err, size_t errlen)
{
	struct tabs t = {line, len, false};
	struct tok tk = {NULL, 0};
	orth_err ret = ORTH_E_MALFORMED;
	bool more = tab_next(&t, &tk) && !t.done;

	if (more && tok_is(&tk, "princ")) {
		*kind_out = MITDUMP_PRINC;
		ret = princ_parse(&t, a, p, err, errlen);
	} else if (more && tok_is(&tk, "policy")) {
		*kind_out = MITDUMP_POLICY;
		ret = policy_parse(&t, version, a, pol, err, errlen);
	} else {
		orth_err_format(err, errlen, "not a princ or policy line");
	}
	return ret;
}

/* ---- tl-data ---- */

const struct mit_tl *
mitdump_tl_find(const struct mit_princ *p, int16_t type)
{
	for (size_t i = 0; i < p->ntl; i++)
		if (p->tl[i].type == type)
			return &p->tl[i];
	return NULL;
}

orth_err
mitdump_tl_u32(const struct mit_princ *p, int16_t type, uint32_t *out)
{
	const struct mit_tl *tl = mitdump_tl_find(p, type);

	if (tl == NULL)
		return ORTH_E_NOTFOUND;
	if (tl->len < 4)
		return ORTH_E_MALFORMED;
	*out = (uint32_t)tl->data[0] | (uint32_t)tl->data[1] << 8 | (uint32_t)tl->data[2] << 16 |
	       (uint32_t)tl->data[3] << 24;
	return ORTH_OK;
}

orth_err
mitdump_tl_u16(const struct mit_princ *p, int16_t type, uint16_t *out)
{
	const struct mit_tl *tl = mitdump_tl_find(p, type);

	if (tl == NULL)
		return ORTH_E_NOTFOUND;
	if (tl->len < 2)
		return ORTH_E_MALFORMED;
	*out = (uint16_t)(tl->data[0] | tl->data[1] << 8);
	return ORTH_OK;
}

orth_err
mitdump_tl_mod_princ(const struct mit_princ *p, struct arena *a, uint32_t *time_out,
		     const char **name_out)
{
	const struct mit_tl *tl = mitdump_tl_find(p, MIT_TL_MOD_PRINC);
	const uint8_t *nul;
	char *name;

	if (tl == NULL)
		return ORTH_E_NOTFOUND;
	/* u32 LE time, then the name with its NUL */
	if (tl->len < 5 || (nul = memchr(tl->data + 4, '\0', tl->len - 4)) == NULL ||
	    nul != tl->data + tl->len - 1)
		return ORTH_E_MALFORMED;
	name = arena_strndup(a, (const char *)tl->data + 4, tl->len - 5);
	if (name == NULL)
		return ORTH_E_LIMIT;
	*time_out = (uint32_t)tl->data[0] | (uint32_t)tl->data[1] << 8 |
		    (uint32_t)tl->data[2] << 16 | (uint32_t)tl->data[3] << 24;
	*name_out = name;
	return ORTH_OK;
}

/* ---- KRB5_TL_KADM_DATA: XDR (RFC 4506), big-endian, 4-byte units ---- */

/* xdr_bytes: a length, the bytes, zero padding to a multiple of 4. */
static const uint8_t *
xdr_opaque(struct cursor *c, size_t *len_out)
{
	uint32_t n = cursor_be32(c);
	const uint8_t *p, *pad;
	size_t padn;

	if (n > 0xffff) {
		cursor_fail(c, ORTH_E_LIMIT);
		return NULL;
	}
	p = cursor_get(c, n);
	padn = (4 - (n & 3)) & 3;
	pad = cursor_get(c, padn);
	for (size_t i = 0; pad != NULL && i < padn; i++)
		if (pad[i] != 0)
			cursor_fail(c, ORTH_E_MALFORMED);
	*len_out = n;
	return p;
}

/* xdr_krb5_key_data: ver, kvno, type[0], type[1], length[0], length[1]
 * each as a 4-byte integer, then contents[0] and contents[1] as xdr_bytes
 * (whose lengths must agree). */
static void
xdr_key_data(struct cursor *c, struct arena *a, struct mit_key_data *kd)
{
	uint32_t v[6];
	size_t n;
	const uint8_t *b;

	for (size_t i = 0; i < 6; i++)
		v[i] = cursor_be32(c);
	if (v[0] < 1 || v[0] > 2 || v[1] > 0xffff || v[4] > 0xffff || v[5] > 0xffff) {
		cursor_fail(c, ORTH_E_MALFORMED);
		return;
	}
	kd->ver = (uint16_t)v[0];
	kd->kvno = (uint16_t)v[1];
	kd->type[0] = (int16_t)v[2];
	kd->type[1] = (int16_t)v[3];
	for (size_t j = 0; j < 2; j++) {
		b = xdr_opaque(c, &n);
		if (cursor_err(c) != ORTH_OK)
			return;
		if (n != v[4 + j]) {
			cursor_fail(c, ORTH_E_MALFORMED);
			return;
		}
		kd->length[j] = n;
		kd->contents[j] = n > 0 ? arena_dup(a, b, n) : NULL;
		if (n > 0 && kd->contents[j] == NULL)
			cursor_fail(c, ORTH_E_LIMIT);
	}
}

#define OSA_ADB_PRINC_VERSION_1 0x12345C01u

orth_err
mitdump_kadm_decode(const uint8_t *buf, size_t len, struct arena *a, struct mit_kadm *out)
{
	orth_err ret = ORTH_OK;
	struct cursor c;
	struct mit_kadm k;
	const uint8_t *pol;
	size_t n = 0;

	memset(&k, 0, sizeof(k));
	cursor_init(&c, buf, len);
	CHECK(cursor_be32(&c) == OSA_ADB_PRINC_VERSION_1, ORTH_E_RANGE);
	/* xdr_nullstring: 0 for none, else the string with its NUL */
	pol = xdr_opaque(&c, &n);
	if (cursor_err(&c) == ORTH_OK && n > 0) {
		CHECK(pol[n - 1] == '\0' && memchr(pol, '\0', n - 1) == NULL && n <= 1024,
		      ORTH_E_MALFORMED);
		k.policy = arena_strndup(a, (const char *)pol, n - 1);
		CHECK(k.policy != NULL, ORTH_E_LIMIT);
	}
	k.aux_attributes = cursor_be32(&c);
	k.old_key_next = cursor_be32(&c);
	k.hist_kvno = cursor_be32(&c);
	k.nhist = cursor_be32(&c);
	CHECK(k.nhist <= MITDUMP_MAX_HIST, ORTH_E_LIMIT);
	k.hist = arena_alloc(a, (k.nhist + 1) * sizeof(*k.hist));
	CHECK(k.hist != NULL, ORTH_E_LIMIT);
	for (size_t i = 0; i < k.nhist && cursor_err(&c) == ORTH_OK; i++) {
		size_t nk = cursor_be32(&c);
		CHECK(nk <= MITDUMP_MAX_HIST_KEYS, ORTH_E_LIMIT);
		k.hist[i].nkeys = nk;
		k.hist[i].keys = arena_alloc(a, (nk + 1) * sizeof(*k.hist[i].keys));
		CHECK(k.hist[i].keys != NULL, ORTH_E_LIMIT);
		memset(k.hist[i].keys, 0, (nk + 1) * sizeof(*k.hist[i].keys));
		for (size_t j = 0; j < nk && cursor_err(&c) == ORTH_OK; j++)
			xdr_key_data(&c, a, &k.hist[i].keys[j]);
	}
	TRY(cursor_end(&c));
	*out = k;
cleanup:
	/* a short buffer shows as the cursor's error, whatever check saw it */
	if (ret != ORTH_OK && cursor_err(&c) != ORTH_OK)
		ret = cursor_err(&c);
	return ret;
}

/* ---- keys ---- */

orth_err
mitdump_key_unseal(struct crypto_key *mkey, const struct mit_key_data *kd,
		   struct crypto_key **out)
{
	orth_err ret = ORTH_OK;
	uint8_t plain[256];
	size_t klen, plen = 0;
	const uint8_t *c = kd->contents[0];

	if (!crypto_enctype_supported(kd->type[0]))
		return ORTH_E_ENCTYPE;
	CHECK(c != NULL && kd->length[0] > 2 && kd->length[0] - 2 <= sizeof(plain),
	      ORTH_E_MALFORMED);
	/* lib/kdb/encrypt_key.c: the key's length, 2 bytes little-endian,
	 * then the key encrypted under the master key with usage 0 */
	klen = (size_t)c[0] | (size_t)c[1] << 8;
	CHECK(klen == crypto_enctype_keylen(kd->type[0]), ORTH_E_MALFORMED);
	CHECK(crypto_decrypt(mkey, 0, c + 2, kd->length[0] - 2, plain, &plen) == ORTH_OK,
	      ORTH_E_MASTERKEY);
	CHECK(plen >= klen, ORTH_E_MALFORMED);
	TRY(crypto_key_new(kd->type[0], plain, klen, out));
cleanup:
	crypto_wipe(plain, sizeof(plain));
	return ret;
}

const char *
mitdump_enctype_name(int32_t enctype)
{
	static const struct {
		int32_t et;
		const char *name;
	} mit[] = {
		{1, "des-cbc-crc"},       {2, "des-cbc-md4"},
		{3, "des-cbc-md5"},       {5, "des3-cbc-raw"},
		{7, "des3-hmac-sha1"},    {16, "des3-cbc-sha1"},
		{23, "arcfour-hmac"},     {24, "arcfour-hmac-exp"},
		{25, "camellia128-cts-cmac"}, {26, "camellia256-cts-cmac"},
	};
	const char *n = crypto_enctype_name(enctype);

	for (size_t i = 0; n == NULL && i < sizeof(mit) / sizeof(mit[0]); i++)
		if (mit[i].et == enctype)
			n = mit[i].name;
	return n;
}

orth_err
mitdump_stash_legacy_decode(const uint8_t *buf, size_t len, int32_t *enctype_out,
			    struct crypto_key **out)
{
	orth_err ret = ORTH_OK;
	uint32_t klen = 0;
	int32_t et = 0;

	CHECK(len >= 6, ORTH_E_MALFORMED);
	/* host order of the writer: little-endian (x86, ARM) first */
	et = buf[0] | buf[1] << 8;
	klen = (uint32_t)buf[2] | (uint32_t)buf[3] << 8 | (uint32_t)buf[4] << 16 |
	       (uint32_t)buf[5] << 24;
	if (klen != len - 6) {
		et = buf[0] << 8 | buf[1];
		klen = (uint32_t)buf[2] << 24 | (uint32_t)buf[3] << 16 | (uint32_t)buf[4] << 8 |
		       buf[5];
	}
	CHECK(klen == len - 6 && klen != 0, ORTH_E_MALFORMED);
	*enctype_out = et;
	CHECK(crypto_enctype_supported(et), ORTH_E_ENCTYPE);
	ret = crypto_key_new(et, buf + 6, klen, out);
cleanup:
	return ret;
}
