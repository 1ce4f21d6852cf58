/*
 * kpasswd.c - the password-change messages.  See kpasswd.h.
 */
#include "kpasswd.h"

#include <string.h>

#include "base/cursor.h"
#include "proto/krb5_const.h"

orth_err
kpasswd_frame_decode(const uint8_t *buf, size_t len, struct kpasswd_frame *out)
{
	orth_err ret = ORTH_OK;
	struct cursor c;
	struct kpasswd_frame f;
	uint16_t total;

	memset(&f, 0, sizeof(f));
	cursor_init(&c, buf, len);
	total = cursor_be16(&c);
	f.version = cursor_be16(&c);
	f.ap_len = cursor_be16(&c);
	TRY(cursor_err(&c));
	CHECK(total == len, ORTH_E_MALFORMED);
	f.ap = cursor_get(&c, f.ap_len);
	TRY(cursor_err(&c));
	f.body_len = cursor_left(&c);
	f.body = cursor_get(&c, f.body_len);
	TRY(cursor_end(&c));
	*out = f;
cleanup:
	return ret;
}

orth_err
kpasswd_frame_encode(const struct kpasswd_frame *f, struct writer *w)
{
	size_t total = KPASSWD_HEADER + f->ap_len + f->body_len;
	uint8_t *p;

	if (f->ap_len > KPASSWD_MAX_MSG || f->body_len > KPASSWD_MAX_MSG ||
	    total > KPASSWD_MAX_MSG)
		return ORTH_E_RANGE;
	p = writer_reserve(w, KPASSWD_HEADER);
	if (p == NULL)
		return writer_err(w);
	p[0] = (uint8_t)(total >> 8);
	p[1] = (uint8_t)total;
	p[2] = (uint8_t)(f->version >> 8);
	p[3] = (uint8_t)f->version;
	p[4] = (uint8_t)(f->ap_len >> 8);
	p[5] = (uint8_t)f->ap_len;
	writer_put(w, f->ap, f->ap_len);
	writer_put(w, f->body, f->body_len);
	return writer_err(w);
}

enum kpasswd_kind
kpasswd_request_classify(const uint8_t *buf, size_t len, struct kpasswd_frame *out,
			 const char **why_out)
{
	struct kpasswd_frame f;
	int ap_tag, body_tag;
	orth_err e;

	memset(out, 0, sizeof(*out));
	e = kpasswd_frame_decode(buf, len, &f);
	if (e != ORTH_OK) {
		/* MIT's server answers some errors with a bare KRB-ERROR, and
		 * MIT's and Heimdal's clients accept one. */
		if (der_peek_application_tag(buf, len) == KRB5_MSG_ERROR) {
			*why_out = "an unframed KRB-ERROR (a reply): not answered";
			return KPASSWD_KIND_REPLY;
		}
		*why_out = e == ORTH_E_MALFORMED ? "length field does not match the message"
						 : "message shorter than its header or AP part";
		return KPASSWD_KIND_MALFORMED;
	}
	ap_tag = der_peek_application_tag(f.ap, f.ap_len);
	body_tag = der_peek_application_tag(f.body, f.body_len);
	if (f.ap_len == 0 || ap_tag == KRB5_MSG_AP_REP || ap_tag == KRB5_MSG_ERROR ||
	    body_tag == KRB5_MSG_ERROR) {
		/* RFC 3244 §2: an error reply has no AP part, a reply an
		 * AP-REP.  Answering either could loop (CVE-2002-2443). */
		*why_out = "shaped like a kpasswd reply: not answered";
		return KPASSWD_KIND_REPLY;
	}
	*out = f;
	if (f.version != KPASSWD_VERSION_CHANGE && f.version != KPASSWD_VERSION_SET) {
		*why_out = "unknown protocol version";
		return KPASSWD_KIND_BAD_VERSION;
	}
	if (ap_tag != KRB5_MSG_AP_REQ) {
		*why_out = "AP part is not an AP-REQ";
		return KPASSWD_KIND_MALFORMED;
	}
	if (body_tag != KRB5_MSG_PRIV) {
		*why_out = f.body_len == 0 ? "no KRB-PRIV after the AP-REQ"
					   : "body is not a KRB-PRIV";
		return KPASSWD_KIND_MALFORMED;
	}
	*why_out = "request";
	return KPASSWD_KIND_REQUEST;
}

orth_err
kpasswd_data_decode(uint16_t version, const uint8_t *buf, size_t len, struct arena *a,
		    struct kpasswd_data *out)
{
	orth_err ret = ORTH_OK;
	ChangePasswdData cd;
	struct kpasswd_data d;

	memset(&d, 0, sizeof(d));
	memset(&cd, 0, sizeof(cd));
	if (version == KPASSWD_VERSION_CHANGE) {
		d.password = buf;
		d.password_len = len;
	} else {
		CHECK(version == KPASSWD_VERSION_SET, ORTH_E_RANGE);
		TRY(der_decode(&asn1_ChangePasswdData, buf, len, a, &cd));
		/* RFC 3244 §2: the realm only qualifies a target name. */
		CHECK(cd.targrealm == NULL || cd.targname != NULL, ORTH_E_MALFORMED);
		d.password = cd.newpasswd.data;
		d.password_len = cd.newpasswd.len;
		d.targname = cd.targname;
		d.targrealm = cd.targrealm;
	}
	*out = d;
cleanup:
	return ret;
}

orth_err
kpasswd_data_encode(uint16_t version, const struct kpasswd_data *d, struct arena *a,
		    uint8_t **out, size_t *out_len)
{
	orth_err ret = ORTH_OK;
	ChangePasswdData cd;
	uint8_t *p;

	if (version == KPASSWD_VERSION_CHANGE) {
		CHECK(d->targname == NULL, ORTH_E_RANGE);
		p = arena_alloc(a, d->password_len + 1);
		CHECK(p != NULL, ORTH_E_LIMIT);
		if (d->password_len > 0)
			memcpy(p, d->password, d->password_len);
		*out = p;
		*out_len = d->password_len;
		goto cleanup;
	}
	CHECK(version == KPASSWD_VERSION_SET, ORTH_E_RANGE);
	CHECK(d->targrealm == NULL || d->targname != NULL, ORTH_E_RANGE);
	memset(&cd, 0, sizeof(cd));
	cd.newpasswd.data = (uint8_t *)d->password;
	cd.newpasswd.len = d->password_len;
	cd.targname = (PrincipalName *)d->targname;
	cd.targrealm = (char *)d->targrealm;
	TRY(der_encode_arena(&asn1_ChangePasswdData, &cd, a, out, out_len));
cleanup:
	return ret;
}

orth_err
kpasswd_result_encode(uint16_t code, const char *text, size_t text_len, struct arena *a,
		      uint8_t **out, size_t *out_len)
{
	uint8_t *p;

	if (text_len > KPASSWD_MAX_TEXT)
		text_len = KPASSWD_MAX_TEXT;
	p = arena_alloc(a, 2 + text_len);
	if (p == NULL)
		return ORTH_E_LIMIT;
	p[0] = (uint8_t)(code >> 8);
	p[1] = (uint8_t)code;
	if (text_len > 0)
		memcpy(p + 2, text, text_len);
	*out = p;
	*out_len = 2 + text_len;
	return ORTH_OK;
}

orth_err
kpasswd_result_decode(const uint8_t *buf, size_t len, uint16_t *code_out,
		      const uint8_t **text_out, size_t *text_len_out)
{
	struct cursor c;
	uint16_t code;

	cursor_init(&c, buf, len);
	code = cursor_be16(&c);
	if (cursor_err(&c) != ORTH_OK)
		return cursor_err(&c);
	*code_out = code;
	*text_len_out = cursor_left(&c);
	*text_out = cursor_get(&c, cursor_left(&c));
	return ORTH_OK;
}
