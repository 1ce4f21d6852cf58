/*
 * der.c - the one DER interpreter: walks the tables that tools/asn1gen.py
 * generates from krb5.asn1 to decode and encode every Kerberos type.
 *
 * What we accept (X.690 §10 DER, RFC 4120 §5.1-5.2):
 *   - definite lengths only, in the minimal form; at most DER_MAX_LEN_OCTETS
 *     length octets; tag numbers in the minimal form;
 *   - SEQUENCE fields in the module's order, no unknown fields (RFC 4120
 *     has no extension markers in the types we decode);
 *   - INTEGER in the minimal two's complement form, within the type's range
 *     (Int32, UInt32, Microseconds 0..999999);
 *   - BOOLEAN 0x00 or 0xFF only;
 *   - KerberosTime exactly "YYYYMMDDHHMMSSZ" with a valid calendar date
 *     (RFC 4120 §5.2.3: no fractional seconds, always Z);
 *   - KerberosFlags exactly 32 bits (5 content octets, 0 unused bits): what
 *     MIT, Heimdal and Windows send.  RFC 4120 §5.2.8 allows longer strings,
 *     but no peer sends them and accepting them would make our re-encoding
 *     differ from the input;
 *   - KerberosString only with the GeneralString tag (27), as RFC 4120
 *     §5.2.1 and every implementation send it; any octet but NUL (RFC 4120
 *     says IA5, but MIT passes UTF-8 through, and so do we);
 *   - an empty SEQUENCE OF where the module has no SIZE constraint (the RFC's
 *     "NOTE: not empty" comments are advice to senders), except the
 *     name-string of a PrincipalName (RFC 4120 §6.2).
 * Everything accepted re-encodes to the same bytes (the fuzz harnesses
 * check it).
 *
 * Decoding allocates only from the caller's arena.  Encoding writes
 * backwards from the end of the free space (each length is known when its
 * header is written), so it is a single linear pass; der_encode_arena()
 * writes below the top of the arena's free space and moves the result
 * down.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "asn1.h"
#include "base/cursor.h"
#include "der_type.h"
#include "limits.h"

/* Identifier octets (X.690 §8.1.2). */
#define CLS_UNIVERSAL 0x00
#define CLS_APPLICATION 0x40
#define CLS_CONTEXT 0x80
#define CONSTRUCTED 0x20

#define TAG_BOOLEAN 1
#define TAG_INTEGER 2
#define TAG_BIT_STRING 3
#define TAG_OCTET_STRING 4
#define TAG_SEQUENCE 16
#define TAG_GENERALIZED_TIME 24
#define TAG_GENERAL_STRING 27

struct tlv_hdr {
	uint8_t cls_cons; /* class | constructed bit */
	uint32_t num;
	size_t len;
};

/* ---- decoding ---- */

/* hdr_read()'s general path: high tag numbers, long-form lengths, errors. */
static orth_err
hdr_read_long(struct cursor *c, struct tlv_hdr *h)
{
	uint8_t b, n, i;
	size_t len;

	b = cursor_u8(c);
	if (cursor_err(c) != ORTH_OK)
		return cursor_err(c);
	h->cls_cons = b & 0xe0;
	h->num = b & 0x1f;
	if (h->num == 0x1f) {
		/* X.690 §8.1.2.4: high-tag-number form, base 128, minimal. */
		h->num = 0;
		i = 0;
		do {
			b = cursor_u8(c);
			if (cursor_err(c) != ORTH_OK)
				return cursor_err(c);
			if (i == 0 && b == 0x80)
				return ORTH_E_MALFORMED;
			if (h->num > (DER_MAX_TAG_NUMBER >> 7))
				return ORTH_E_LIMIT;
			h->num = (h->num << 7) | (b & 0x7f);
			i++;
		} while (b & 0x80);
		if (h->num < 0x1f)
			return ORTH_E_MALFORMED;
		if (h->num > DER_MAX_TAG_NUMBER)
			return ORTH_E_LIMIT;
	}
	b = cursor_u8(c);
	if (cursor_err(c) != ORTH_OK)
		return cursor_err(c);
	if (b < 0x80) {
		len = b;
	} else {
		/* 0x80 is the indefinite form (BER only), 0xff is reserved. */
		n = b & 0x7f;
		if (n == 0 || n == 0x7f)
			return ORTH_E_MALFORMED;
		if (n > DER_MAX_LEN_OCTETS)
			return ORTH_E_LIMIT;
		len = 0;
		for (i = 0; i < n; i++) {
			b = cursor_u8(c);
			if (i == 0 && b == 0)
				return ORTH_E_MALFORMED; /* leading zero octet */
			len = (len << 8) | b;
		}
		if (cursor_err(c) != ORTH_OK)
			return cursor_err(c);
		if (len < 0x80)
			return ORTH_E_MALFORMED; /* short form was required */
	}
	if (len > cursor_left(c))
		return ORTH_E_TRUNCATED;
	h->len = len;
	return ORTH_OK;
}

/* Reads identifier and length; on success the content (len bytes) is next
 * in c and is known to be present.  Nearly every header in a Kerberos
 * message is two octets (a tag below 31, a short-form length): those are
 * read here without the per-octet cursor checks, with the same result as
 * hdr_read_long() would give. */
static inline orth_err
hdr_read(struct cursor *c, struct tlv_hdr *h)
{
	const uint8_t *p = c->p;

	if (c->err == ORTH_OK && c->left >= 2 && (p[0] & 0x1f) != 0x1f &&
	    p[1] < 0x80) {
		if (p[1] > c->left - 2)
			return ORTH_E_TRUNCATED;
		h->cls_cons = p[0] & 0xe0;
		h->num = p[0] & 0x1f;
		h->len = p[1];
		c->p += 2;
		c->left -= 2;
		return ORTH_OK;
	}
	return hdr_read_long(c, h);
}

/* Splits the content of a header just read off c into *child.  hdr_read()
 * has checked that len bytes are there and that c has no error: the
 * checks of cursor_child() would repeat that on every TLV. */
static inline void
tlv_child(struct cursor *c, size_t len, struct cursor *child)
{
	cursor_init(child, c->p, len);
	c->p += len;
	c->left -= len;
}

/* Reads a TLV that must have the given identifier; *child covers its
 * content. */
static inline orth_err
tlv_open(struct cursor *c, uint8_t cls_cons, uint32_t num, struct cursor *child)
{
	struct tlv_hdr h;
	orth_err ret;

	if ((ret = hdr_read(c, &h)) != ORTH_OK)
		return ret;
	if (h.cls_cons != cls_cons || h.num != num)
		return ORTH_E_MALFORMED;
	tlv_child(c, h.len, child);
	return ORTH_OK;
}

/* When the next TLV in c carries this identifier: opens it as tlv_open()
 * does and sets *present; else consumes nothing.  One header read per
 * field of a SEQUENCE, where a peek and then an open read each present
 * field's header twice.  A header that does not parse is an error. */
static orth_err
tlv_open_if(struct cursor *c, uint8_t cls_cons, uint32_t num, struct cursor *child,
	    bool *present)
{
	struct cursor copy = *c;
	struct tlv_hdr h;
	orth_err ret;

	*present = false;
	if (cursor_left(c) == 0)
		return ORTH_OK;
	if ((ret = hdr_read(&copy, &h)) != ORTH_OK)
		return ret;
	if (h.cls_cons != cls_cons || h.num != num)
		return ORTH_OK;
	tlv_child(&copy, h.len, child);
	*c = copy;
	*present = true;
	return ORTH_OK;
}

static orth_err
tlv_close(struct cursor *parent, struct cursor *child)
{
	(void)parent;
	if (cursor_err(child) != ORTH_OK)
		return cursor_err(child);
	return cursor_left(child) != 0 ? ORTH_E_TRAILING : ORTH_OK;
}

static int
days_in_month(long long y, int m)
{
	static const uint8_t dim[12] = {31, 28, 31, 30, 31, 30,
					31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the era-based
 * formula: 400-year eras of 146097 days, years starting in March). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long long z, long long *y_out, int *m_out, int *d_out)
{
	long long era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_out = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_out = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_out = y + (*m_out <= 2);
}

/* Two decimal digits at p as 0..99, or -1 when either is not a digit. */
static int
digits2(const uint8_t *p)
{
	unsigned hi = (unsigned)(p[0] - '0'), lo = (unsigned)(p[1] - '0');

	return hi > 9 || lo > 9 ? -1 : (int)(hi * 10 + lo);
}

/* Validates the date "YYYYMMDD" at p and gives its days since 1970-01-01;
 * ORTH_E_RANGE when it is not a calendar date. */
static orth_err
date_parse(const uint8_t *p, long long *days_out)
{
	int cc = digits2(p), yy = digits2(p + 2), m = digits2(p + 4),
	    d = digits2(p + 6);
	long long y;

	if (cc < 0 || yy < 0 || m < 1 || m > 12 || d < 1)
		return ORTH_E_RANGE;
	y = cc * 100 + yy;
	if (d > days_in_month(y, m))
		return ORTH_E_RANGE;
	*days_out = days_from_civil(y, m, d);
	return ORTH_OK;
}

/* Per thread, the last few dates parsed or formatted, each as its text
 * "YYYYMMDD" (the 8 octets as one word) and its days since 1970-01-01:
 * the times of a request fall on a few days (today, tomorrow, the epoch),
 * and the date is most of a parse or a format.  Only valid dates go in,
 * so a hit gives what the computation would.  text 0 (no date's text)
 * marks an empty entry. */
#define DATE_MEMO_SIZE 4
struct date_memo_entry {
	uint64_t text;
	long long days;
};
static _Thread_local struct {
	struct date_memo_entry e[DATE_MEMO_SIZE];
	unsigned next; /* the entry replaced next (round robin) */
} date_memo;

static inline const struct date_memo_entry *
date_memo_by_text(uint64_t text)
{
	for (unsigned i = 0; i < DATE_MEMO_SIZE; i++)
		if (date_memo.e[i].text == text)
			return &date_memo.e[i];
	return NULL;
}

static inline const struct date_memo_entry *
date_memo_by_days(long long days)
{
	for (unsigned i = 0; i < DATE_MEMO_SIZE; i++)
		if (date_memo.e[i].days == days && date_memo.e[i].text != 0)
			return &date_memo.e[i];
	return NULL;
}

static void
date_memo_put(uint64_t text, long long days)
{
	struct date_memo_entry *e = &date_memo.e[date_memo.next++ % DATE_MEMO_SIZE];

	e->text = text;
	e->days = days;
}

/* RFC 4120 §5.2.3: KerberosTime is "YYYYMMDDHHMMSSZ", UTC, no fraction. */
orth_err
der_time_parse(const uint8_t *p, size_t n, int64_t *out)
{
	const struct date_memo_entry *hit;
	uint64_t text;
	long long days;
	int hh, mm, ss;

	if (n != 15 || p[14] != 'Z')
		return ORTH_E_RANGE;
	memcpy(&text, p, sizeof(text));
	if ((hit = date_memo_by_text(text)) != NULL) {
		days = hit->days;
	} else {
		if (date_parse(p, &days) != ORTH_OK)
			return ORTH_E_RANGE;
		date_memo_put(text, days);
	}
	hh = digits2(p + 8);
	mm = digits2(p + 10);
	ss = digits2(p + 12);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 59)
		return ORTH_E_RANGE;
	*out = (int64_t)(days * 86400 + hh * 3600 + mm * 60 + ss);
	return ORTH_OK;
}

/* Two decimal digits of v (0..99) from a table: on the path of every
 * encoded time. */
static void
put2(char *out, int v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324"
		"25262728293031323334353637383940414243444546474849"
		"50515253545556575859606162636465666768697071727374"
		"75767778798081828384858687888990919293949596979899";

	memcpy(out, pairs + 2 * v, 2);
}

/* Years 0000..9999 only: what the four digits can say. */
static inline bool
time_formattable(int64_t secs)
{
	return secs >= -62167219200LL && secs <= 253402300799LL;
}

orth_err
der_time_format(int64_t secs, char out[15])
{
	const struct date_memo_entry *hit;
	uint64_t text;
	long long days, sod, y;
	int m, d;

	if (!time_formattable(secs))
		return ORTH_E_RANGE;
	days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	sod = secs - days * 86400;
	if ((hit = date_memo_by_days(days)) != NULL) {
		memcpy(out, &hit->text, sizeof(hit->text));
	} else {
		/* Into out, not a local array: no stack-protector canary. */
		civil_from_days(days, &y, &m, &d);
		put2(out, (int)(y / 100));
		put2(out + 2, (int)(y % 100));
		put2(out + 4, m);
		put2(out + 6, d);
		memcpy(&text, out, sizeof(text));
		date_memo_put(text, days);
	}
	put2(out + 8, (int)(sod / 3600));
	put2(out + 10, (int)(sod % 3600 / 60));
	put2(out + 12, (int)(sod % 60));
	out[14] = 'Z';
	return ORTH_OK;
}

struct dec {
	struct arena *a;
	unsigned depth;
};

static orth_err dec_value(struct dec *d, const struct der_type *t,
			  struct cursor *c, void *out);
static inline orth_err dec_member(struct dec *d, const struct der_type *t,
				  struct cursor *c, void *out);

static orth_err
dec_integer(const struct der_type *t, struct cursor *c, void *out)
{
	struct cursor v;
	const uint8_t *p;
	long long x;
	size_t n, i;
	orth_err ret;

	if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_INTEGER, &v)) != ORTH_OK)
		return ret;
	n = cursor_left(&v);
	p = cursor_get(&v, n);
	if (n == 0 || p == NULL)
		return ORTH_E_MALFORMED;
	/* X.690 §8.3.2: the first nine bits are not all equal. */
	if (n > 1 && ((p[0] == 0x00 && !(p[1] & 0x80)) ||
		      (p[0] == 0xff && (p[1] & 0x80))))
		return ORTH_E_MALFORMED;
	if (n > 5)
		return ORTH_E_RANGE;
	x = (p[0] & 0x80) ? -1 : 0;
	for (i = 0; i < n; i++)
		x = (long long)((unsigned long long)x << 8) | p[i];
	/* Leniency for real peers (RFC 4120 §5.2.4 notes it): Heimdal 7
	 * encodes a UInt32 nonce of 2^31 or more as a negative 4-byte
	 * INTEGER, i.e. its value as int32.  For the full UInt32 range only,
	 * read such a value as its two's complement; we never emit it. */
	if (t->kind == DER_K_UINT32 && t->lo == 0 && t->hi == 0xffffffffLL &&
	    x < 0 && x >= -2147483648LL)
		x += 4294967296LL;
	if (x < t->lo || x > t->hi)
		return ORTH_E_RANGE;
	if (t->kind == DER_K_UINT32)
		*(uint32_t *)out = (uint32_t)x;
	else
		*(int32_t *)out = (int32_t)x;
	return ORTH_OK;
}

static inline orth_err
dec_primitive(struct dec *d, const struct der_type *t, struct cursor *c,
	      void *out)
{
	struct cursor v;
	const uint8_t *p;
	size_t n;
	orth_err ret;
	struct der_bytes *b;

	switch (t->kind) {
	case DER_K_INT32:
	case DER_K_UINT32:
		return dec_integer(t, c, out);
	case DER_K_BOOLEAN:
		if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_BOOLEAN, &v)) != ORTH_OK)
			return ret;
		/* X.690 §11.1: DER TRUE is 0xff. */
		p = cursor_get(&v, 1);
		if (p == NULL || cursor_left(&v) != 0 ||
		    (p[0] != 0x00 && p[0] != 0xff))
			return ORTH_E_MALFORMED;
		*(bool *)out = p[0] == 0xff;
		return ORTH_OK;
	case DER_K_OCTETS:
		if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_OCTET_STRING, &v)) != ORTH_OK)
			return ret;
		n = cursor_left(&v);
		b = out;
		b->data = arena_dup(d->a, v.p, n);
		if (b->data == NULL)
			return ORTH_E_LIMIT;
		b->len = n;
		return ORTH_OK;
	case DER_K_STRING:
		if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_GENERAL_STRING, &v)) != ORTH_OK)
			return ret;
		n = cursor_left(&v);
		if (n != 0 && memchr(v.p, 0, n) != NULL)
			return ORTH_E_MALFORMED; /* asn1.h: no embedded NUL */
		*(char **)out = arena_strndup(d->a, (const char *)v.p, n);
		return *(char **)out == NULL ? ORTH_E_LIMIT : ORTH_OK;
	case DER_K_TIME:
		if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_GENERALIZED_TIME, &v)) != ORTH_OK)
			return ret;
		return der_time_parse(v.p, cursor_left(&v), out);
	case DER_K_FLAGS:
		if ((ret = tlv_open(c, CLS_UNIVERSAL, TAG_BIT_STRING, &v)) != ORTH_OK)
			return ret;
		/* One "unused bits" octet (0) and exactly 32 bits: see top. */
		p = cursor_get(&v, 5);
		if (p == NULL || cursor_left(&v) != 0 || p[0] != 0)
			return ORTH_E_MALFORMED;
		*(uint32_t *)out = ((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
				   ((uint32_t)p[3] << 8) | p[4];
		return ORTH_OK;
	default:
		return ORTH_E_INTERNAL;
	}
}

static orth_err
dec_sequence(struct dec *d, const struct der_type *t, struct cursor *c,
	     uint8_t *out)
{
	struct cursor s, f;
	const struct der_field *fd;
	void *dst;
	size_t i;
	bool present;
	orth_err ret;

	if ((ret = tlv_open(c, CLS_UNIVERSAL | CONSTRUCTED, TAG_SEQUENCE, &s)) != ORTH_OK)
		return ret;
	for (i = 0; i < t->nfields; i++) {
		fd = &t->fields[i];
		ret = tlv_open_if(&s, CLS_CONTEXT | CONSTRUCTED, fd->tag, &f, &present);
		if (ret != ORTH_OK)
			return ret;
		if (!present) {
			if (fd->optional)
				continue;
			/* A required field is missing, or out of order. */
			return cursor_left(&s) == 0 ? ORTH_E_TRUNCATED : ORTH_E_MALFORMED;
		}
		dst = out + fd->offset;
		if (fd->optional && fd->type->kind != DER_K_STRING) {
			/* asn1.h: OPTIONAL non-strings are pointers. */
			void *p = arena_alloc(d->a, fd->type->size);
			if (p == NULL)
				return ORTH_E_LIMIT;
			*(void **)dst = p;
			dst = p;
		}
		if ((ret = dec_member(d, fd->type, &f, dst)) != ORTH_OK)
			return ret;
		if ((ret = tlv_close(&s, &f)) != ORTH_OK)
			return ret;
	}
	/* Unknown, repeated or misordered fields are left over. */
	if (cursor_left(&s) != 0)
		return ORTH_E_MALFORMED;
	return ORTH_OK;
}

static orth_err
dec_sequence_of(struct dec *d, const struct der_type *t, struct cursor *c,
		struct der_seq_of *out)
{
	struct cursor s, scan;
	struct tlv_hdr h;
	size_t count = 0, i;
	uint8_t *val;
	orth_err ret;

	if ((ret = tlv_open(c, CLS_UNIVERSAL | CONSTRUCTED, TAG_SEQUENCE, &s)) != ORTH_OK)
		return ret;
	/* Count first (one linear scan) so the array is one allocation. */
	scan = s;
	while (cursor_left(&scan) != 0) {
		if ((ret = hdr_read(&scan, &h)) != ORTH_OK)
			return ret;
		(void)cursor_get(&scan, h.len);
		if (++count > DER_MAX_SEQ_OF)
			return ORTH_E_LIMIT;
	}
	if (count < t->min_count)
		return ORTH_E_MALFORMED;
	val = arena_alloc(d->a, count ? count * t->elem->size : 1);
	if (val == NULL)
		return ORTH_E_LIMIT;
	for (i = 0; i < count; i++)
		if ((ret = dec_member(d, t->elem, &s, val + i * t->elem->size)) != ORTH_OK)
			return ret;
	out->len = count;
	out->val = val;
	return cursor_left(&s) == 0 ? ORTH_OK : ORTH_E_TRAILING;
}

/* dec_value() for a member of a SEQUENCE or SEQUENCE OF.  Most are
 * untagged primitives, to which none of dec_value()'s framing applies
 * (der_type.h: raw bytes and msg-type are SEQUENCE members): those are
 * decoded here without its call, at the depth it would count. */
static inline orth_err
dec_member(struct dec *d, const struct der_type *t, struct cursor *c, void *out)
{
	if (t->kind < DER_K_SEQUENCE && t->app < 0)
		return d->depth >= DER_MAX_DEPTH ? ORTH_E_LIMIT
						 : dec_primitive(d, t, c, out);
	return dec_value(d, t, c, out);
}

/* Decodes one value of type t (with its APPLICATION tag, if any) from the
 * front of c. */
static orth_err
dec_value(struct dec *d, const struct der_type *t, struct cursor *c, void *out)
{
	const uint8_t *start = c->p;
	struct cursor inner, *ic = c;
	orth_err ret;

	if (++d->depth > DER_MAX_DEPTH)
		return ORTH_E_LIMIT;
	if (t->app >= 0) {
		ret = tlv_open(c, CLS_APPLICATION | CONSTRUCTED, (uint32_t)t->app, &inner);
		if (ret != ORTH_OK)
			return ret;
		ic = &inner;
	}
	if (t->kind == DER_K_SEQUENCE)
		ret = dec_sequence(d, t, ic, out);
	else if (t->kind == DER_K_SEQUENCE_OF)
		ret = dec_sequence_of(d, t, ic, out);
	else
		ret = dec_primitive(d, t, ic, out);
	if (ret != ORTH_OK)
		return ret;
	if (ic != c && cursor_left(ic) != 0)
		return ORTH_E_TRAILING;
	if (t->raw_off >= 0) {
		struct der_bytes *raw = (struct der_bytes *)((uint8_t *)out + t->raw_off);
		raw->data = (uint8_t *)(uintptr_t)start;
		raw->len = (size_t)(c->p - start);
	}
	/* asn1.h: msg-type must equal the APPLICATION tag. */
	if (t->msgtype_off >= 0 &&
	    *(const int32_t *)((const uint8_t *)out + t->msgtype_off) != t->app)
		return ORTH_E_MALFORMED;
	d->depth--;
	return ORTH_OK;
}

orth_err
der_decode(const struct der_type *t, const uint8_t *buf, size_t len,
	   struct arena *a, void *out)
{
	struct dec d = {a, 0};
	struct cursor c;
	orth_err ret;

	if (buf == NULL && len != 0)
		return ORTH_E_INTERNAL;
	cursor_init(&c, buf, len);
	if ((ret = dec_value(&d, t, &c, out)) != ORTH_OK)
		return ret;
	return cursor_left(&c) != 0 ? ORTH_E_TRAILING : ORTH_OK;
}

int
der_peek_application_tag(const uint8_t *buf, size_t len)
{
	struct cursor c;
	struct tlv_hdr h;

	if (buf == NULL)
		return -1;
	cursor_init(&c, buf, len);
	if (hdr_read(&c, &h) != ORTH_OK ||
	    h.cls_cons != (CLS_APPLICATION | CONSTRUCTED))
		return -1;
	return (int)h.num;
}

/* ---- encoding ---- */

/* A writer that prepends: bytes go to end[-pos-n .. -pos).  The first
 * error is kept in err; one that comes from running out of space also
 * shrinks cap to pos, so every later put fails without testing err. */
struct bw {
	uint8_t *end;
	size_t pos;
	size_t cap;
	orth_err err;
	bool use_raw; /* der_encode_raw: a set _raw is written as it is */
};

static void
bw_full(struct bw *b)
{
	if (b->err == ORTH_OK)
		b->err = ORTH_E_LIMIT;
	b->cap = b->pos;
}

/* Makes room for n bytes in front and returns where they go, or NULL
 * (out of space). */
static inline uint8_t *
bw_reserve(struct bw *b, size_t n)
{
	if (n > b->cap - b->pos) {
		bw_full(b);
		return NULL;
	}
	b->pos += n;
	return b->end - b->pos;
}

static inline void
bw_put(struct bw *b, const void *p, size_t n)
{
	uint8_t *dst = bw_reserve(b, n);

	if (dst != NULL && n != 0) /* p may be NULL then (empty OCTET STRING) */
		memcpy(dst, p, n);
}

static void
bw_byte(struct bw *b, uint8_t v)
{
	bw_put(b, &v, 1);
}

/* bw_hdr() for a long-form length.  One or two length octets (up to
 * 65535 bytes) are all a KDC message has: those are counted without the
 * loop. */
static void
bw_hdr_long(struct bw *b, uint8_t ident, size_t len)
{
	size_t n, i;
	uint8_t *p;

	if (len <= 0xff)
		n = 1;
	else if (len <= 0xffff)
		n = 2;
	else
		for (n = 0, i = len; i != 0; i >>= 8)
			n++;
	if (n > DER_MAX_LEN_OCTETS) {
		if (b->err == ORTH_OK)
			b->err = ORTH_E_LIMIT;
		return;
	}
	/* In place, as bw_hdr does for the short form (no copy). */
	p = bw_reserve(b, n + 2);
	if (p == NULL)
		return;
	p[0] = ident;
	p[1] = (uint8_t)(0x80 | n);
	for (i = 0; i < n; i++)
		p[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
}

/* Prepends the identifier and minimal length of a content of len bytes
 * (every tag we emit is below 31).  Most headers are two octets: stored
 * directly, not copied. */
static inline void
bw_hdr(struct bw *b, uint8_t ident, size_t len)
{
	if (len >= 0x80) {
		bw_hdr_long(b, ident, len);
		return;
	}
	if (b->cap - b->pos < 2) {
		bw_full(b);
		return;
	}
	b->pos += 2;
	b->end[-(ptrdiff_t)b->pos] = ident;
	b->end[1 - (ptrdiff_t)b->pos] = (uint8_t)len;
}

static void enc_value(struct bw *b, const struct der_type *t, const void *val);
static inline __attribute__((always_inline)) void
enc_member(struct bw *b, const struct der_type *t, const void *val);

static void
enc_integer(struct bw *b, long long x)
{
	size_t n = 1, i;
	uint8_t *p;

	/* Minimal two's complement: the fewest octets whose top bit is the
	 * sign.  Int32 and UInt32 need at most five: a ladder of compares
	 * for those, the shifting loop for the rest (>> is arithmetic on the
	 * compilers we build with). */
	if (x >= -0x80 && x < 0x80)
		n = 1;
	else if (x >= -0x8000 && x < 0x8000)
		n = 2;
	else if (x >= -0x800000 && x < 0x800000)
		n = 3;
	else if (x >= -0x80000000LL && x < 0x80000000LL)
		n = 4;
	else
		while (n < sizeof(x) && x >> (8 * n - 1) != 0 && x >> (8 * n - 1) != -1)
			n++;
	if ((p = bw_reserve(b, n)) == NULL)
		return;
	for (i = n; i-- > 0; x >>= 8)
		p[i] = (uint8_t)x;
	bw_hdr(b, TAG_INTEGER, n);
}

static void
enc_fail(struct bw *b, orth_err e)
{
	if (b->err == ORTH_OK)
		b->err = e;
}

/* Inlined into enc_value() by force (GCC left it a call for its size):
 * most of a reply's values are primitives, and the call cost about as
 * much as encoding one.  No array on its stack, so no canary either. */
static inline __attribute__((always_inline)) void
enc_primitive(struct bw *b, const struct der_type *t, const void *val)
{
	const struct der_bytes *bytes;
	const char *s;
	size_t n;
	uint32_t f;
	int64_t secs;
	uint8_t *p;

	switch (t->kind) {
	case DER_K_INT32:
	case DER_K_UINT32: {
		long long x = t->kind == DER_K_UINT32 ? (long long)*(const uint32_t *)val
						      : (long long)*(const int32_t *)val;
		if (x < t->lo || x > t->hi) {
			enc_fail(b, ORTH_E_RANGE);
			return;
		}
		enc_integer(b, x);
		return;
	}
	case DER_K_BOOLEAN:
		bw_byte(b, *(const bool *)val ? 0xff : 0x00);
		bw_hdr(b, TAG_BOOLEAN, 1);
		return;
	case DER_K_OCTETS:
		bytes = val;
		if (bytes->data == NULL && bytes->len != 0) {
			enc_fail(b, ORTH_E_INTERNAL);
			return;
		}
		bw_put(b, bytes->data, bytes->len);
		bw_hdr(b, TAG_OCTET_STRING, bytes->len);
		return;
	case DER_K_STRING:
		s = *(const char *const *)val;
		if (s == NULL) {
			enc_fail(b, ORTH_E_INTERNAL); /* a required string */
			return;
		}
		n = strlen(s);
		bw_put(b, s, n);
		bw_hdr(b, TAG_GENERAL_STRING, n);
		return;
	case DER_K_TIME:
		/* Formatted in place: no array on the stack here, so no
		 * stack-protector canary on every primitive's call. */
		secs = *(const int64_t *)val;
		if (!time_formattable(secs)) {
			enc_fail(b, ORTH_E_RANGE);
			return;
		}
		if ((p = bw_reserve(b, 15)) != NULL)
			(void)der_time_format(secs, (char *)p);
		bw_hdr(b, TAG_GENERALIZED_TIME, 15);
		return;
	case DER_K_FLAGS:
		/* 32 bits, no unused bits, as MIT sends (RFC 4120 §5.2.8). */
		f = *(const uint32_t *)val;
		if ((p = bw_reserve(b, 5)) != NULL) {
			p[0] = 0;
			p[1] = (uint8_t)(f >> 24);
			p[2] = (uint8_t)(f >> 16);
			p[3] = (uint8_t)(f >> 8);
			p[4] = (uint8_t)f;
		}
		bw_hdr(b, TAG_BIT_STRING, 5);
		return;
	default:
		enc_fail(b, ORTH_E_INTERNAL);
	}
}

static void
enc_sequence(struct bw *b, const struct der_type *t, const uint8_t *val)
{
	size_t mark = b->pos, fmark, i;
	const struct der_field *fd;
	const void *fv;

	/* Backwards: the last field is prepended first. */
	for (i = t->nfields; i-- > 0;) {
		fd = &t->fields[i];
		fv = val + fd->offset;
		if (fd->optional) {
			if (fd->type->kind != DER_K_STRING)
				fv = *(const void *const *)fv;
			else if (*(const char *const *)fv == NULL)
				fv = NULL;
			if (fv == NULL)
				continue; /* absent */
		}
		fmark = b->pos;
		enc_member(b, fd->type, fv);
		bw_hdr(b, CLS_CONTEXT | CONSTRUCTED | fd->tag, b->pos - fmark);
	}
	bw_hdr(b, CLS_UNIVERSAL | CONSTRUCTED | TAG_SEQUENCE, b->pos - mark);
}

static void
enc_sequence_of(struct bw *b, const struct der_type *t,
		const struct der_seq_of *val)
{
	size_t mark = b->pos, i;

	/* Never emit what der_decode() would refuse. */
	if (val->len < t->min_count || val->len > DER_MAX_SEQ_OF) {
		enc_fail(b, val->len > DER_MAX_SEQ_OF ? ORTH_E_LIMIT : ORTH_E_INTERNAL);
		return;
	}
	if (val->len != 0 && val->val == NULL) {
		enc_fail(b, ORTH_E_INTERNAL);
		return;
	}
	for (i = val->len; i-- > 0 && b->err == ORTH_OK;)
		enc_member(b, t->elem, (const uint8_t *)val->val + i * t->elem->size);
	bw_hdr(b, CLS_UNIVERSAL | CONSTRUCTED | TAG_SEQUENCE, b->pos - mark);
}

/* enc_value() for a member of a SEQUENCE or SEQUENCE OF: an untagged
 * primitive (most of them) is encoded without its call. */
static inline __attribute__((always_inline)) void
enc_member(struct bw *b, const struct der_type *t, const void *val)
{
	if (t->kind < DER_K_SEQUENCE && t->app < 0)
		enc_primitive(b, t, val);
	else
		enc_value(b, t, val);
}

/* der_encode_raw: val's _raw, when set, written as it is; false when
 * unset.  Out of line: enc_value stays small enough to be inlined into
 * the members' loop. */
static __attribute__((noinline)) bool
enc_raw(struct bw *b, const struct der_type *t, const void *val)
{
	const struct der_bytes *raw = (const struct der_bytes *)((const uint8_t *)val + t->raw_off);

	if (raw->data == NULL)
		return false;
	bw_put(b, raw->data, raw->len);
	return true;
}

static void
enc_value(struct bw *b, const struct der_type *t, const void *val)
{
	size_t mark = b->pos;

	if (b->err != ORTH_OK)
		return;
	if (t->raw_off >= 0 && b->use_raw && enc_raw(b, t, val))
		return;
	if (t->kind == DER_K_SEQUENCE)
		enc_sequence(b, t, val);
	else if (t->kind == DER_K_SEQUENCE_OF)
		enc_sequence_of(b, t, val);
	else
		enc_primitive(b, t, val);
	if (t->app >= 0)
		bw_hdr(b, (uint8_t)(CLS_APPLICATION | CONSTRUCTED | t->app), b->pos - mark);
}

static orth_err
encode_to_writer(const struct der_type *t, const void *val, bool use_raw, struct writer *w)
{
	struct bw b;

	if (writer_err(w) != ORTH_OK)
		return writer_err(w);
	if (w->buf == NULL) {
		w->err = ORTH_E_LIMIT;
		return w->err;
	}
	b.end = w->buf + w->cap;
	b.pos = 0;
	b.cap = w->cap - w->len;
	b.err = ORTH_OK;
	b.use_raw = use_raw;
	enc_value(&b, t, val);
	if (b.err != ORTH_OK) {
		if (b.err == ORTH_E_LIMIT)
			w->err = ORTH_E_LIMIT;
		return b.err;
	}
	memmove(w->buf + w->len, b.end - b.pos, b.pos);
	w->len += b.pos;
	return ORTH_OK;
}

orth_err
der_encode(const struct der_type *t, const void *val, struct writer *w)
{
	return encode_to_writer(t, val, false, w);
}

orth_err
der_encode_raw(const struct der_type *t, const void *val, struct writer *w)
{
	return encode_to_writer(t, val, true, w);
}

orth_err
der_encode_arena(const struct der_type *t, const void *val, struct arena *a,
		 uint8_t **out_buf, size_t *out_len)
{
	return der_encode_arena_room(t, val, a, 0, 0, out_buf, out_len);
}

orth_err
der_encode_arena_room(const struct der_type *t, const void *val, struct arena *a, size_t head,
		      size_t tail, uint8_t **out_buf, size_t *out_len)
{
	struct bw b = {NULL, 0, 0, ORTH_OK, false};
	uint8_t *buf;

	/* One pass, backwards into the arena's free space, then moved down
	 * to an allocation: no measuring pass. */
	b.end = arena_top(a, &b.cap);
	if (head + tail < head || b.cap < head + tail)
		return ORTH_E_LIMIT;
	b.cap -= head + tail;
	enc_value(&b, t, val);
	if (b.err != ORTH_OK) {
		arena_top_drop(a, b.pos);
		return b.err;
	}
	/* Always at least one byte (DER has no empty encoding). */
	buf = b.pos == 0 ? NULL : arena_top_take_room(a, b.pos, head, tail);
	if (buf == NULL)
		return ORTH_E_LIMIT;
	*out_buf = buf;
	*out_len = b.pos;
	return ORTH_OK;
}
