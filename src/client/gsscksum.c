/* gsscksum.c - RFC 4121 §4.1.1 authenticator checksums (gsscksum.h). */
#include "client/gsscksum.h"

#include <stdlib.h>
#include <string.h>

#include "base/cursor.h"
#include "crypto/crypto.h"
#include "proto/krb5_const.h"

static uint16_t
get_le16(struct cursor *c)
{
	const uint8_t *p = cursor_get(c, 2);
	return p == NULL ? 0 : (uint16_t)(p[0] | p[1] << 8);
}

orth_err
gss_cksum_decode(const uint8_t *buf, size_t len, struct gss_cksum *out)
{
	struct gss_cksum g;
	struct cursor c;
	const uint8_t *bnd;
	orth_err ret = ORTH_OK;

	memset(&g, 0, sizeof(g));
	CHECK(buf != NULL && len >= GSS_CKSUM_MIN, ORTH_E_TRUNCATED);
	cursor_init(&c, buf, len);
	CHECK(cursor_le32(&c) == GSS_CB_LEN, ORTH_E_MALFORMED);
	bnd = cursor_get(&c, GSS_CB_LEN);
	g.flags = cursor_le32(&c);
	TRY(cursor_err(&c));
	memcpy(g.bindings, bnd, GSS_CB_LEN);
	/* §4.1.1: the delegation option only with DELEG and bytes for it
	 * (MIT: at least 4 left). */
	if ((g.flags & GSS_FLAG_DELEG) && cursor_left(&c) >= 4) {
		uint16_t opt = get_le16(&c), dl = get_le16(&c);
		CHECK(opt == GSS_DLGOPT_KRB_CRED, ORTH_E_MALFORMED);
		g.deleg = cursor_get(&c, dl);
		TRY(cursor_err(&c));
		g.deleg_len = dl;
	}
	/* §4.1.1.1: extensions to the end, big-endian type and length. */
	while (cursor_left(&c) > 0) {
		uint32_t el;
		CHECK(g.nexts < GSS_CKSUM_MAX_EXTS, ORTH_E_LIMIT);
		(void)cursor_be32(&c);
		el = cursor_be32(&c);
		(void)cursor_get(&c, el);
		TRY(cursor_err(&c));
		g.nexts++;
	}
	*out = g;
cleanup:
	return ret;
}

static void
put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* One length-prefixed field into buf at *n (cap checked by the caller). */
static void
put_field(uint8_t *buf, size_t *n, const uint8_t *p, size_t len)
{
	put_le32(buf + *n, (uint32_t)len);
	*n += 4;
	if (len > 0)
		memcpy(buf + *n, p, len);
	*n += len;
}

orth_err
gss_bindings_hash(const struct orthrus_channel_bindings *cb,
		  uint8_t out[GSS_CB_LEN])
{
	size_t cap, n = 0;
	uint8_t *buf;
	orth_err ret;

	/* Each field fits the 32-bit length the hash input gives it. */
	if (cb->initiator_address_len > UINT32_MAX ||
	    cb->acceptor_address_len > UINT32_MAX ||
	    cb->application_data_len > UINT32_MAX ||
	    cb->initiator_address_len + cb->acceptor_address_len >
		    SIZE_MAX / 2 - cb->application_data_len)
		return ORTH_E_RANGE;
	cap = 20 + cb->initiator_address_len + cb->acceptor_address_len +
	      cb->application_data_len;
	buf = malloc(cap);
	if (buf == NULL)
		return ORTH_E_NOMEM;
	put_le32(buf + n, cb->initiator_addrtype);
	n += 4;
	put_field(buf, &n, cb->initiator_address, cb->initiator_address_len);
	put_le32(buf + n, cb->acceptor_addrtype);
	n += 4;
	put_field(buf, &n, cb->acceptor_address, cb->acceptor_address_len);
	put_field(buf, &n, cb->application_data, cb->application_data_len);
	ret = crypto_md5(buf, n, out);
	free(buf);
	return ret;
}

orth_err
gss_cksum_check(const struct gss_cksum *c, const uint8_t *cb_hash,
		bool require, bool *bound_out)
{
	static const uint8_t zeros[GSS_CB_LEN];
	bool present = memcmp(c->bindings, zeros, GSS_CB_LEN) != 0;
	bool match = false;

	*bound_out = false;
	if (cb_hash == NULL)
		return ORTH_OK;  /* the acceptor has none: nothing to compare */
	match = crypto_ct_equal(c->bindings, cb_hash, GSS_CB_LEN);
	if ((present && !match) || (require && !match))
		return ORTH_E_KRB(KRB_AP_ERR_MODIFIED);
	*bound_out = match;
	return ORTH_OK;
}
