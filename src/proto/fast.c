/*
 * fast.c - the FAST keys and encodings shared by the KDC and the
 * client (fast.h).
 */
#include "fast.h"

#include <string.h>

#include "base/cursor.h"
#include "encdata.h"
#include "krb5_const.h"

orth_err
proto_fast_armor_key(struct crypto_key *subkey, struct crypto_key *session,
		     struct crypto_key **out)
{
	return crypto_key_cf2(subkey, FAST_PEPPER_SUBKEY, session, FAST_PEPPER_TICKET, out);
}

orth_err
proto_fast_reply_key(struct crypto_key *strengthen, struct crypto_key *reply_key,
		     struct crypto_key **out)
{
	return crypto_key_cf2(strengthen, FAST_PEPPER_STRENGTHEN, reply_key, FAST_PEPPER_REPLY,
			    out);
}

orth_err
proto_enc_challenge_key(struct crypto_key *armor, struct crypto_key *longterm, bool kdc,
			struct crypto_key **out)
{
	return crypto_key_cf2(armor, kdc ? FAST_PEPPER_KDC_CHALLENGE : FAST_PEPPER_CLIENT_CHALLENGE,
			    longterm, FAST_PEPPER_LONGTERM, out);
}

/* ---- the [0] of PA-FX-FAST-REQUEST / PA-FX-FAST-REPLY ---- */

#define TAG_CONTEXT_0 0xa0 /* context class, constructed, number 0 */

/* The content of a [0] TLV that must span buf exactly, in minimal DER. */
static orth_err
choice0_open(const uint8_t *buf, size_t len, struct cursor *content)
{
	struct cursor c;
	uint8_t b, n;
	size_t clen = 0;

	cursor_init(&c, buf, len);
	if (cursor_u8(&c) != TAG_CONTEXT_0)
		return cursor_err(&c) != ORTH_OK ? cursor_err(&c) : ORTH_E_MALFORMED;
	b = cursor_u8(&c);
	if (b < 0x80) {
		clen = b;
	} else {
		/* X.690 §10.1: the long form only when needed, no leading
		 * zero; 0x80 (indefinite) is BER only. */
		n = b & 0x7f;
		if (n == 0 || n > 4)
			return ORTH_E_MALFORMED;
		for (uint8_t i = 0; i < n; i++) {
			b = cursor_u8(&c);
			if (i == 0 && b == 0)
				return ORTH_E_MALFORMED;
			clen = (clen << 8) | b;
		}
		if (cursor_err(&c) == ORTH_OK && clen < 0x80)
			return ORTH_E_MALFORMED;
	}
	if (cursor_err(&c) != ORTH_OK)
		return cursor_err(&c);
	if (clen > cursor_left(&c))
		return ORTH_E_TRUNCATED;
	if (clen < cursor_left(&c))
		return ORTH_E_TRAILING;
	*content = c;
	return ORTH_OK;
}

static orth_err
choice0_decode(const struct der_type *t, const uint8_t *buf, size_t len, struct arena *a,
	       void *out)
{
	struct cursor c;
	orth_err ret = choice0_open(buf, len, &c);

	if (ret != ORTH_OK)
		return ret;
	return der_decode(t, c.p, cursor_left(&c), a, out);
}

static orth_err
choice0_encode(const struct der_type *t, const void *val, struct arena *a,
	       struct der_bytes *out)
{
	orth_err ret;
	uint8_t *inner = NULL, *buf, hdr[6];
	size_t ilen = 0, hlen = 0;

	TRY(der_encode_arena(t, val, a, &inner, &ilen));
	hdr[hlen++] = TAG_CONTEXT_0;
	if (ilen < 0x80) {
		hdr[hlen++] = (uint8_t)ilen;
	} else {
		size_t n = ilen <= 0xff ? 1 : ilen <= 0xffff ? 2 : ilen <= 0xffffff ? 3 : 4;
		CHECK(ilen <= 0xffffffffu, ORTH_E_LIMIT);
		hdr[hlen++] = (uint8_t)(0x80 | n);
		for (size_t i = n; i > 0; i--)
			hdr[hlen++] = (uint8_t)(ilen >> (8 * (i - 1)));
	}
	buf = arena_alloc(a, hlen + ilen);
	CHECK(buf != NULL, ORTH_E_LIMIT);
	memcpy(buf, hdr, hlen);
	memcpy(buf + hlen, inner, ilen);
	out->data = buf;
	out->len = hlen + ilen;
cleanup:
	return ret;
}

orth_err
proto_fast_req_decode(const uint8_t *buf, size_t len, struct arena *a, KrbFastArmoredReq *out)
{
	memset(out, 0, sizeof(*out));
	return choice0_decode(&asn1_KrbFastArmoredReq, buf, len, a, out);
}

orth_err
proto_fast_req_encode(const KrbFastArmoredReq *v, struct arena *a, struct der_bytes *out)
{
	return choice0_encode(&asn1_KrbFastArmoredReq, v, a, out);
}

orth_err
proto_fast_rep_decode(const uint8_t *buf, size_t len, struct arena *a, KrbFastArmoredRep *out)
{
	memset(out, 0, sizeof(*out));
	return choice0_decode(&asn1_KrbFastArmoredRep, buf, len, a, out);
}

orth_err
proto_fast_rep_encode(const KrbFastArmoredRep *v, struct arena *a, struct der_bytes *out)
{
	return choice0_encode(&asn1_KrbFastArmoredRep, v, a, out);
}

/* ---- KrbFastResponse, finished, RFC 6806 ---- */

orth_err
proto_fast_response_seal(struct crypto_key *armor, const KrbFastResponse *resp,
			 struct arena *a, struct der_bytes *out)
{
	orth_err ret;
	KrbFastArmoredRep rep;

	memset(&rep, 0, sizeof(rep));
	TRY(proto_seal(armor, KU_FAST_REP, &asn1_KrbFastResponse, resp, a, &rep.enc_fast_rep));
	TRY(proto_fast_rep_encode(&rep, a, out));
cleanup:
	return ret;
}

orth_err
proto_fast_response_open(struct crypto_key *armor, const uint8_t *buf, size_t len,
			 struct arena *a, KrbFastResponse *out)
{
	orth_err ret;
	KrbFastArmoredRep rep;

	memset(out, 0, sizeof(*out));
	TRY(proto_fast_rep_decode(buf, len, a, &rep));
	TRY(proto_unseal(armor, KU_FAST_REP, &rep.enc_fast_rep, &asn1_KrbFastResponse, a, out));
cleanup:
	return ret;
}

/* A keyed checksum of key's own type over data, in the arena. */
static orth_err
checksum_make(struct crypto_key *key, int32_t usage, const uint8_t *data, size_t len,
	      struct arena *a, Checksum *out)
{
	orth_err ret;
	uint8_t buf[CRYPTO_MAX_CKSUM_LEN];
	size_t blen = 0;

	TRY(crypto_checksum_make(key, usage, data, len, &out->cksumtype, buf, &blen));
	out->checksum.data = arena_dup(a, buf, blen);
	CHECK(out->checksum.data != NULL, ORTH_E_LIMIT);
	out->checksum.len = blen;
cleanup:
	return ret;
}

orth_err
proto_fast_ticket_checksum(struct crypto_key *armor, const uint8_t *ticket, size_t len,
			   struct arena *a, Checksum *out)
{
	return checksum_make(armor, KU_FAST_FINISHED, ticket, len, a, out);
}

orth_err
proto_req_enc_pa_rep_make(struct crypto_key *reply_key, const uint8_t *req, size_t req_len,
			  struct arena *a, struct der_bytes *out)
{
	orth_err ret;
	Checksum ck;

	TRY(checksum_make(reply_key, KU_AS_REQ, req, req_len, a, &ck));
	TRY(der_encode_arena(&asn1_Checksum, &ck, a, &out->data, &out->len));
cleanup:
	return ret;
}

orth_err
proto_req_enc_pa_rep_verify(struct crypto_key *reply_key, const uint8_t *req, size_t req_len,
			    const struct der_bytes *value, struct arena *a)
{
	orth_err ret;
	Checksum ck;

	memset(&ck, 0, sizeof(ck));
	TRY(der_decode(&asn1_Checksum, value->data, value->len, a, &ck));
	ret = crypto_checksum_verify(reply_key, KU_AS_REQ, ck.cksumtype, req, req_len,
				     ck.checksum.data, ck.checksum.len);
cleanup:
	return ret;
}
