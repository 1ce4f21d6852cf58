/*
 * ccache_format.c - decode and encode MIT's FILE credential cache format
 * (layout in ccache.h).  The input is hostile: a bounded cursor, every
 * length checked against what is left, every count capped.
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

static orth_err
get_counted(struct cursor *c, struct ccache_data *out)
{
	uint32_t n = cursor_be32(c);
	const uint8_t *p = cursor_get(c, n);

	if (p == NULL)
		return cursor_err(c);
	return ccache_data_set(out, p, n);
}

static orth_err
get_principal(struct cursor *c, struct ccache_principal *out)
{
	struct ccache_principal p = {0};
	orth_err ret;
	uint32_t i, n;

	p.name_type = (int32_t)cursor_be32(c);
	n = cursor_be32(c);
	TRY(cursor_err(c));
	CHECK(n <= CCACHE_MAX_COMPONENTS, ORTH_E_LIMIT);
	TRY(get_counted(c, &p.realm));
	if (n > 0) {
		CHECK(n <= cursor_left(c) / MIN_COUNTED, ORTH_E_TRUNCATED);
		p.comps = calloc(n, sizeof(*p.comps));
		CHECK(p.comps != NULL, ORTH_E_NOMEM);
		/* ncomps counts what is allocated, for free() on error */
		p.ncomps = n;
		for (i = 0; i < n; i++)
			TRY(get_counted(c, &p.comps[i]));
	}
	*out = p;
	memset(&p, 0, sizeof(p));
cleanup:
	ccache_principal_free(&p);
	return ret;
}

static orth_err
get_tagged_list(struct cursor *c, uint32_t *n_out, struct ccache_tagged **out)
{
	orth_err ret = ORTH_OK;
	uint32_t n = cursor_be32(c), i;

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
		(*out)[i].type = cursor_be16(c);
		TRY(get_counted(c, &(*out)[i].data));
	}
cleanup:
	return ret;
}

static orth_err
get_cred(struct cursor *c, uint16_t version, struct ccache_cred *out)
{
	struct ccache_cred cr = {0};
	orth_err ret;

	TRY(get_principal(c, &cr.client));
	TRY(get_principal(c, &cr.server));
	cr.enctype = cursor_be16(c);
	if (version == CCACHE_VERSION_3)
		(void)cursor_be16(c);  /* v3 repeats the enctype; ignored */
	TRY(get_counted(c, &cr.key));
	cr.authtime = cursor_be32(c);
	cr.starttime = cursor_be32(c);
	cr.endtime = cursor_be32(c);
	cr.renew_till = cursor_be32(c);
	cr.is_skey = cursor_u8(c) != 0;
	cr.flags = cursor_be32(c);
	TRY(get_tagged_list(c, &cr.naddrs, &cr.addrs));
	TRY(get_tagged_list(c, &cr.nauthdata, &cr.authdata));
	TRY(get_counted(c, &cr.ticket));
	TRY(get_counted(c, &cr.second_ticket));
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
	cc.version = cursor_be16(&c);
	TRY(cursor_err(&c));
	/* Versions 1 and 2 use native byte order and differ in the
	 * principal encoding; nothing has written them for decades. */
	CHECK(cc.version == CCACHE_VERSION_3 || cc.version == CCACHE_VERSION_4,
	      ORTH_E_MALFORMED);
	if (cc.version == CCACHE_VERSION_4)
		TRY(get_header(&c, &cc));
	TRY(get_principal(&c, &cc.princ));
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
put_counted(struct writer *w, const struct ccache_data *d)
{
	if (d->len > UINT32_MAX) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	writer_be32(w, (uint32_t)d->len);
	writer_put(w, d->data, d->len);
}

static void
put_principal(struct writer *w, const struct ccache_principal *p)
{
	uint32_t i;

	if (p->ncomps > CCACHE_MAX_COMPONENTS) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	writer_be32(w, (uint32_t)p->name_type);
	writer_be32(w, p->ncomps);
	put_counted(w, &p->realm);
	for (i = 0; i < p->ncomps; i++)
		put_counted(w, &p->comps[i]);
}

static void
put_tagged_list(struct writer *w, uint32_t n, const struct ccache_tagged *l)
{
	uint32_t i;

	if (n > CCACHE_MAX_LIST) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	writer_be32(w, n);
	for (i = 0; i < n; i++) {
		writer_be16(w, (uint16_t)l[i].type);
		put_counted(w, &l[i].data);
	}
}

/* The file holds unsigned 32-bit times (good until 2106); later times
 * are clamped, which can only shorten what the cache claims. */
static void
put_time(struct writer *w, int64_t t)
{
	if (t < 0) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	writer_be32(w, t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
}

static void
put_cred(struct writer *w, const struct ccache_cred *c)
{
	put_principal(w, &c->client);
	put_principal(w, &c->server);
	writer_be16(w, (uint16_t)c->enctype);
	put_counted(w, &c->key);
	put_time(w, c->authtime);
	put_time(w, c->starttime);
	put_time(w, c->endtime);
	put_time(w, c->renew_till);
	writer_u8(w, c->is_skey ? 1 : 0);
	writer_be32(w, c->flags);
	put_tagged_list(w, c->naddrs, c->addrs);
	put_tagged_list(w, c->nauthdata, c->authdata);
	put_counted(w, &c->ticket);
	put_counted(w, &c->second_ticket);
}

static void
put_contents(struct writer *w, const struct ccache_contents *c)
{
	size_t hlen = c->other_tags.len + (c->has_time_offset ? 12 : 0), i;

	writer_be16(w, CCACHE_VERSION_4);
	/* Never write what our reader would refuse. */
	if (hlen > UINT16_MAX || c->ncreds > CCACHE_MAX_CREDS) {
		put_fail(w, ORTH_E_RANGE);
		return;
	}
	writer_be16(w, (uint16_t)hlen);
	if (c->has_time_offset) {
		writer_be16(w, CCACHE_TAG_DELTATIME);
		writer_be16(w, 8);
		writer_be32(w, (uint32_t)c->time_offset_sec);
		writer_be32(w, (uint32_t)c->time_offset_usec);
	}
	writer_put(w, c->other_tags.data, c->other_tags.len);
	put_principal(w, &c->princ);
	for (i = 0; i < c->ncreds; i++)
		put_cred(w, &c->creds[i]);
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
