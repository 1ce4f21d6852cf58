/*
 * ccache_format.c - decode and encode MIT's FILE credential cache format,
 * versions 1 to 4 (layout in ccache.h; MIT's ccmarshal.c).  The input is
 * hostile: a bounded cursor, every length checked against what is left,
 * every count capped.
 *
 * MIT still writes versions 1-3 when krb5.conf says `ccache_type = N`, and
 * keeps a cache's version when it adds to it; so do we: a cache is
 * encoded in the version it was read in (ccache_contents.version).
 * Versions 1 and 2 store integers in host byte order, version 1 has no
 * name types and counts the realm among the components, version 3 repeats
 * the enctype in the keyblock, only version 4 has the header (the KDC time
 * offset: it is not kept in older versions, as in MIT).
 */
#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "base/writer.h"
#include "client/ccache.h"

/* Smallest encodings, to reject a count that the bytes left cannot hold
 * before allocating for it. */
#define MIN_COUNTED 4u
#define MIN_TAGGED (2u + MIN_COUNTED)

/* A 16- or 32-bit integer: host byte order in versions 1 and 2. */
static uint16_t
get16(struct cursor *c, uint16_t version)
{
	const uint8_t *p;
	uint16_t v;

	if (version >= CCACHE_VERSION_3)
		return cursor_be16(c);
	p = cursor_get(c, 2);
	if (p == NULL)
		return 0;
	memcpy(&v, p, 2);
	return v;
}

static uint32_t
get32(struct cursor *c, uint16_t version)
{
	const uint8_t *p;
	uint32_t v;

	if (version >= CCACHE_VERSION_3)
		return cursor_be32(c);
	p = cursor_get(c, 4);
	if (p == NULL)
		return 0;
	memcpy(&v, p, 4);
	return v;
}

static orth_err
get_counted(struct cursor *c, uint16_t version, struct ccache_data *out)
{
	uint32_t n = get32(c, version);
	const uint8_t *p = cursor_get(c, n);

	if (p == NULL)
		return cursor_err(c);
	return ccache_data_set(out, p, n);
}

static orth_err
get_principal(struct cursor *c, uint16_t version, struct ccache_principal *out)
{
	struct ccache_principal p = {0};
	orth_err ret;
	uint32_t i, n;

	/* Version 1: no name type (KRB5_NT_UNKNOWN), the realm counted. */
	if (version != CCACHE_VERSION_1)
		p.name_type = (int32_t)get32(c, version);
	n = get32(c, version);
	TRY(cursor_err(c));
	if (version == CCACHE_VERSION_1) {
		CHECK(n > 0, ORTH_E_MALFORMED);
		n--;
	}
	CHECK(n <= CCACHE_MAX_COMPONENTS, ORTH_E_LIMIT);
	TRY(get_counted(c, version, &p.realm));
	if (n > 0) {
		CHECK(n <= cursor_left(c) / MIN_COUNTED, ORTH_E_TRUNCATED);
		p.comps = calloc(n, sizeof(*p.comps));
		CHECK(p.comps != NULL, ORTH_E_NOMEM);
		/* ncomps counts what is allocated, for free() on error */
		p.ncomps = n;
		for (i = 0; i < n; i++)
			TRY(get_counted(c, version, &p.comps[i]));
	}
	*out = p;
	memset(&p, 0, sizeof(p));
cleanup:
	ccache_principal_free(&p);
	return ret;
}

static orth_err
get_tagged_list(struct cursor *c, uint16_t version, uint32_t *n_out,
		struct ccache_tagged **out)
{
	orth_err ret = ORTH_OK;
	uint32_t n = get32(c, version), i;

	*n_out = 0;
	*out = NULL;
	TRY(cursor_err(c));
	if (n == 0)
		return ORTH_OK;
	CHECK(n <= CCACHE_MAX_LIST, ORTH_E_LIMIT);
	CHECK(n <= cursor_left(c) / MIN_TAGGED, ORTH_E_TRUNCATED);
	*out = calloc(n, sizeof(**out));
	CHECK(*out != NULL, ORTH_E_NOMEM);
	*n_out = n;  /* the caller frees what is there on error */
	for (i = 0; i < n; i++) {
		(*out)[i].type = get16(c, version);
		TRY(get_counted(c, version, &(*out)[i].data));
	}
cleanup:
	return ret;
}

static orth_err
get_cred(struct cursor *c, uint16_t version, struct ccache_cred *out)
{
	struct ccache_cred cr = {0};
	orth_err ret;

	TRY(get_principal(c, version, &cr.client));
	TRY(get_principal(c, version, &cr.server));
	/* enctypes can be negative: sign-extended, as MIT reads them */
	cr.enctype = (int16_t)get16(c, version);
	if (version == CCACHE_VERSION_3)
		(void)get16(c, version);  /* v3 repeats the enctype; ignored */
	TRY(get_counted(c, version, &cr.key));
	cr.authtime = get32(c, version);
	cr.starttime = get32(c, version);
	cr.endtime = get32(c, version);
	cr.renew_till = get32(c, version);
	cr.is_skey = cursor_u8(c) != 0;
	cr.flags = get32(c, version);
	TRY(get_tagged_list(c, version, &cr.naddrs, &cr.addrs));
	TRY(get_tagged_list(c, version, &cr.nauthdata, &cr.authdata));
	TRY(get_counted(c, version, &cr.ticket));
	TRY(get_counted(c, version, &cr.second_ticket));
	*out = cr;
	memset(&cr, 0, sizeof(cr));
cleanup:
	ccache_cred_free(&cr);
	return ret;
}

static orth_err
get_header(struct cursor *c, struct ccache_contents *cc)
{
	struct writer w;
	struct cursor h;
	orth_err ret = ORTH_OK;
	uint16_t hlen = cursor_be16(c);

	h = cursor_child(c, hlen);
	TRY(cursor_err(c));
	while (cursor_left(&h) > 0) {
		uint16_t tag = cursor_be16(&h);
		uint16_t len = cursor_be16(&h);
		struct cursor t = cursor_child(&h, len);
		TRY(cursor_err(&h));
		if (tag == CCACHE_TAG_DELTATIME) {
			CHECK(len == 8 && !cc->has_time_offset,
			      ORTH_E_MALFORMED);
			cc->time_offset_sec = (int32_t)cursor_be32(&t);
			cc->time_offset_usec = (int32_t)cursor_be32(&t);
			cc->has_time_offset = true;
			continue;
		}
		/* Unknown tags are kept as they are, to be written back
		 * (MIT and Heimdal skip tags they do not know). */
		if (cc->other_tags.data == NULL) {
			TRY(ccache_data_set(&cc->other_tags, NULL, hlen));
			cc->other_tags.len = 0;
		}
		writer_init(&w, cc->other_tags.data + cc->other_tags.len,
			    hlen - cc->other_tags.len);
		writer_be16(&w, tag);
		writer_be16(&w, len);
		writer_put(&w, t.p, len);
		TRY(writer_err(&w));
		cc->other_tags.len += w.len;
	}
	TRY(cursor_close_child(c, &h));
cleanup:
	return ret;
}

orth_err
ccache_contents_decode(const uint8_t *buf, size_t len,
		       struct ccache_contents *out)
{
	struct ccache_contents cc = {0};
	struct cursor c;
	orth_err ret;
	size_t cap = 0;

	cursor_init(&c, buf, len);
	/* The version is two bytes, 5 then 1..4, in every version. */
	cc.version = cursor_be16(&c);
	TRY(cursor_err(&c));
	CHECK(cc.version >= CCACHE_VERSION_1 && cc.version <= CCACHE_VERSION_4,
	      ORTH_E_MALFORMED);
	if (cc.version == CCACHE_VERSION_4)
		TRY(get_header(&c, &cc));
	TRY(get_principal(&c, cc.version, &cc.princ));
	/* Credentials run to the end of the file; there is no count. */
	while (cursor_left(&c) > 0) {
		if (cc.ncreds == cap) {
			struct ccache_cred *n;
			CHECK(cap < CCACHE_MAX_CREDS, ORTH_E_LIMIT);
			cap = cap ? cap * 2 : 8;
			if (cap > CCACHE_MAX_CREDS)
				cap = CCACHE_MAX_CREDS;
			n = realloc(cc.creds, cap * sizeof(*n));
			CHECK(n != NULL, ORTH_E_NOMEM);
			cc.creds = n;
		}
		TRY(get_cred(&c, cc.version, &cc.creds[cc.ncreds]));
		cc.ncreds++;
	}
	TRY(cursor_end(&c));
	*out = cc;
	memset(&cc, 0, sizeof(cc));
cleanup:
	ccache_contents_free(&cc);
	return ret;
}

/* ---- encoding ---- */

/* Errors other than ORTH_E_LIMIT, which means "buffer full" here. */
static void
put_fail(struct writer *w, orth_err e)
{
	if (w->err == ORTH_OK)
		w->err = e;
}

static void
put16(struct writer *w, uint16_t version, uint16_t v)
{
	if (version >= CCACHE_VERSION_3)
		writer_be16(w, v);
	else
		writer_put(w, &v, 2);
}

static void
put32(struct writer *w, uint16_t version, uint32_t v)
{
	if (version >= CCACHE_VERSION_3)
		writer_be32(w, v);
	else
		writer_put(w, &v, 4);
}

static void
put_counted(struct writer *w, uint16_t version, const struct ccache_data *d)
{
	if (d->len > UINT32_MAX) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	put32(w, version, (uint32_t)d->len);
	writer_put(w, d->data, d->len);
}

static void
put_principal(struct writer *w, uint16_t version, const struct ccache_principal *p)
{
	uint32_t i;

	if (p->ncomps > CCACHE_MAX_COMPONENTS) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	if (version != CCACHE_VERSION_1)
		put32(w, version, (uint32_t)p->name_type);
	put32(w, version, p->ncomps + (version == CCACHE_VERSION_1));
	put_counted(w, version, &p->realm);
	for (i = 0; i < p->ncomps; i++)
		put_counted(w, version, &p->comps[i]);
}

static void
put_tagged_list(struct writer *w, uint16_t version, uint32_t n,
		const struct ccache_tagged *l)
{
	uint32_t i;

	if (n > CCACHE_MAX_LIST) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	put32(w, version, n);
	for (i = 0; i < n; i++) {
		put16(w, version, (uint16_t)l[i].type);
		put_counted(w, version, &l[i].data);
	}
}

/* The file holds unsigned 32-bit times (good until 2106); later times
 * are clamped, which can only shorten what the cache claims. */
static void
put_time(struct writer *w, uint16_t version, int64_t t)
{
	if (t < 0) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	put32(w, version, t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
}

static void
put_cred(struct writer *w, uint16_t version, const struct ccache_cred *c)
{
	put_principal(w, version, &c->client);
	put_principal(w, version, &c->server);
	put16(w, version, (uint16_t)c->enctype);
	if (version == CCACHE_VERSION_3)
		put16(w, version, (uint16_t)c->enctype);
	put_counted(w, version, &c->key);
	put_time(w, version, c->authtime);
	put_time(w, version, c->starttime);
	put_time(w, version, c->endtime);
	put_time(w, version, c->renew_till);
	writer_u8(w, c->is_skey ? 1 : 0);
	put32(w, version, c->flags);
	put_tagged_list(w, version, c->naddrs, c->addrs);
	put_tagged_list(w, version, c->nauthdata, c->authdata);
	put_counted(w, version, &c->ticket);
	put_counted(w, version, &c->second_ticket);
}

static void
put_contents(struct writer *w, const struct ccache_contents *c)
{
	size_t hlen = c->other_tags.len + (c->has_time_offset ? 12 : 0), i;
	uint16_t version = c->version >= CCACHE_VERSION_1 &&
				   c->version <= CCACHE_VERSION_4
			   ? c->version
			   : CCACHE_VERSION_4;

	writer_be16(w, version);
	/* Never write what our reader would refuse. */
	if (hlen > UINT16_MAX || c->ncreds > CCACHE_MAX_CREDS) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	if (version == CCACHE_VERSION_4) {
		writer_be16(w, (uint16_t)hlen);
		if (c->has_time_offset) {
			writer_be16(w, CCACHE_TAG_DELTATIME);
			writer_be16(w, 8);
			writer_be32(w, (uint32_t)c->time_offset_sec);
			writer_be32(w, (uint32_t)c->time_offset_usec);
		}
		writer_put(w, c->other_tags.data, c->other_tags.len);
	}
	put_principal(w, version, &c->princ);
	for (i = 0; i < c->ncreds; i++)
		put_cred(w, version, &c->creds[i]);
}

void
ccache_buf_free(uint8_t *buf, size_t len)
{
	if (buf == NULL)
		return;
	explicit_bzero(buf, len);
	free(buf);
}

orth_err
ccache_contents_encode(const struct ccache_contents *c, uint8_t **buf_out,
		       size_t *len_out)
{
	struct writer w;
	uint8_t *buf = NULL;
	size_t cap = 4096;
	orth_err ret;

	/* Grow until it fits: simpler than sizing every field twice. */
	for (;;) {
		buf = malloc(cap);
		CHECK(buf != NULL, ORTH_E_NOMEM);
		writer_init(&w, buf, cap);
		put_contents(&w, c);
		if (w.err != ORTH_E_LIMIT)
			break;  /* done, or an error other than the buffer */
		ccache_buf_free(buf, cap);
		buf = NULL;
		CHECK(cap < CCACHE_MAX_FILE, ORTH_E_LIMIT);
		cap *= 2;
	}
	TRY(writer_err(&w));
	*buf_out = buf;
	*len_out = w.len;
	buf = NULL;
cleanup:
	ccache_buf_free(buf, cap);
	return ret;
}
