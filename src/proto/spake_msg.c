/*
 * spake_msg.c - the PA-SPAKE messages (RFC 9588 §4, Appendix A) through the
 * DER interpreter, and the group names.  See spake.h.
 *
 * PA-SPAKE is a CHOICE, which krb5.asn1's generator does not know; its
 * bytes are the content of a PA-SPAKE-Fields SEQUENCE with one field
 * present (the comment in krb5.asn1 says why).  Decoding puts a SEQUENCE
 * header in front of the input and lets der_decode() judge every byte of
 * it; encoding strips the header der_encode() wrote.  No byte of the
 * input is parsed here.
 */
#include <string.h>

#include "spake.h"

/* An identifier octet and a length of at most DER_MAX_LEN_OCTETS (4)
 * octets: X.690 §8.1.3. */
#define SEQ_HEADER_MAX 6

/* Write the DER header of a SEQUENCE of len content bytes; its length. */
static size_t
seq_header(uint8_t *p, size_t len)
{
	size_t n = 0, i;

	p[0] = 0x30;
	if (len < 0x80) {
		p[1] = (uint8_t)len;
		return 2;
	}
	for (size_t v = len; v != 0; v >>= 8)
		n++;
	p[1] = (uint8_t)(0x80 | n);
	for (i = 0; i < n; i++)
		p[2 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	return 2 + n;
}

orth_err
spake_msg_decode(const uint8_t *buf, size_t len, struct arena *a,
		 struct spake_msg *out)
{
	PA_SPAKE_Fields f;
	struct spake_msg m;
	uint8_t *wrapped;
	size_t hlen;
	int present;
	orth_err ret = ORTH_OK;

	memset(&f, 0, sizeof(f));
	memset(&m, 0, sizeof(m));
	/* Empty: the KDC's offer, not a message (and no alternative). */
	CHECK(buf != NULL && len > 0, ORTH_E_MALFORMED);
	/* More than 4 length octets could describe: the decoder's limit. */
	CHECK(len <= 0xffffffffu - SEQ_HEADER_MAX, ORTH_E_LIMIT);
	CHECK((wrapped = arena_alloc(a, len + SEQ_HEADER_MAX)) != NULL,
	      ORTH_E_LIMIT);
	hlen = seq_header(wrapped, len);
	memcpy(wrapped + hlen, buf, len);
	TRY(der_decode(&asn1_PA_SPAKE_Fields, wrapped, hlen + len, a, &f));
	present = (f.support != NULL) + (f.challenge != NULL) +
		  (f.response != NULL) + (f.encdata != NULL);
	/* A CHOICE is one alternative: two fields in a row are two values. */
	CHECK(present == 1, ORTH_E_MALFORMED);
	if (f.support != NULL) {
		m.kind = SPAKE_MSG_SUPPORT;
		m.u.support = *f.support;
	} else if (f.challenge != NULL) {
		m.kind = SPAKE_MSG_CHALLENGE;
		m.u.challenge = *f.challenge;
	} else if (f.response != NULL) {
		m.kind = SPAKE_MSG_RESPONSE;
		m.u.response = *f.response;
	} else {
		m.kind = SPAKE_MSG_ENCDATA;
		m.u.encdata = *f.encdata;
	}
	*out = m;
cleanup:
	return ret;
}

orth_err
spake_msg_encode(const struct spake_msg *m, struct arena *a, uint8_t **out,
		 size_t *out_len)
{
	PA_SPAKE_Fields f;
	uint8_t *buf = NULL;
	size_t len = 0, hlen;
	orth_err ret = ORTH_OK;

	memset(&f, 0, sizeof(f));
	CHECK(m != NULL && out != NULL && out_len != NULL, ORTH_E_INTERNAL);
	/* The fields are pointers to non-const: the encoder only reads. */
	switch (m->kind) {
	case SPAKE_MSG_SUPPORT:
		f.support = (SPAKESupport *)&m->u.support;
		break;
	case SPAKE_MSG_CHALLENGE:
		f.challenge = (SPAKEChallenge *)&m->u.challenge;
		break;
	case SPAKE_MSG_RESPONSE:
		f.response = (SPAKEResponse *)&m->u.response;
		break;
	case SPAKE_MSG_ENCDATA:
		f.encdata = (EncryptedData *)&m->u.encdata;
		break;
	default:
		CHECK(0, ORTH_E_INTERNAL);
	}
	TRY(der_encode_arena(&asn1_PA_SPAKE_Fields, &f, a, &buf, &len));
	/* der_encode wrote a definite, minimal header: 0x30, then a short
	 * length or 0x8n and n octets. */
	CHECK(len >= 2 && buf[0] == 0x30, ORTH_E_INTERNAL);
	hlen = buf[1] < 0x80 ? 2 : 2 + (size_t)(buf[1] & 0x7f);
	CHECK(hlen <= len, ORTH_E_INTERNAL);
	*out = buf + hlen;
	*out_len = len - hlen;
cleanup:
	return ret;
}

const char *
spake_group_name(int32_t group)
{
	const struct crypto_spake_group *g = crypto_spake_group_get(group);
	return g != NULL ? g->name : NULL;
}

int32_t
spake_group_from_name(const char *name)
{
	const struct crypto_spake_group *g = crypto_spake_group_by_name(name);
	return g != NULL ? g->id : 0;
}

bool
spake_group_supported(int32_t group)
{
	return crypto_spake_group_get(group) != NULL;
}

orth_err
spake_groups_parse(const char *text, int32_t *out, size_t cap, size_t *n_out,
		   char *err, size_t errlen)
{
	static const char sep[] = " \t\r\n,";
	char name[32];
	size_t n = 0, len, i;
	int32_t group;
	bool dup;
	orth_err ret = ORTH_OK;

	CHECK(text != NULL && n_out != NULL && (out != NULL || cap == 0),
	      ORTH_E_INTERNAL);
	for (;;) {
		text += strspn(text, sep);
		if (*text == '\0')
			break;
		len = strcspn(text, sep);
		if (len >= sizeof(name)) {
			orth_err_format(err, errlen, "unknown SPAKE group '%.*s'",
					(int)len, text);
			CHECK(0, ORTH_E_CONFIG);
		}
		memcpy(name, text, len);
		name[len] = '\0';
		text += len;
		group = spake_group_from_name(name);
		if (group == 0) {
			orth_err_format(err, errlen,
					"unknown SPAKE group '%s' (known: "
					"edwards25519, P-256)",
					name);
			CHECK(0, ORTH_E_CONFIG);
		}
		dup = false;
		for (i = 0; i < n; i++)
			dup = dup || out[i] == group;
		if (dup)
			continue;
		if (n == cap) {
			orth_err_format(err, errlen,
					"more than %zu SPAKE groups", cap);
			CHECK(0, ORTH_E_LIMIT);
		}
		out[n++] = group;
	}
	*n_out = n;
cleanup:
	return ret;
}
