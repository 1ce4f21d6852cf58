/*
 * test_fast.c - src/proto/fast.h: KRB-FX-CF2 (crypto_key_cf2) against
 * MIT's known answers,
 * the PA-FX-FAST [0] wrapper with malformed bytes, the FAST response
 * sealed in the armor key, and the RFC 6806 checksum; the FAST types of
 * krb5.asn1 under every truncation and byte change.
 *
 *   test_proto_fast                    run the checks
 *   test_proto_fast --write-seeds DIR  also write one valid encoding of
 *                                      each type to DIR/<fuzzer>/ (the
 *                                      seeds of fuzz/corpus/)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "proto/fast.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"

static struct arena A, B; /* B: hostile()'s, reset after each type */
static const char *seed_dir;

static void
seed_write(const char *fuzzer, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	if (seed_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s/seed.bin", seed_dir, fuzzer);
	f = fopen(path, "wb");
	EXPECT(f != NULL && fwrite(buf, 1, len, f) == len);
	if (f != NULL)
		fclose(f);
}

/*
 * Hostile bytes for type t from a valid encoding: every truncation is
 * refused; every single-byte change is refused or decodes to a value that
 * re-encodes to the same bytes (asn1.h: DER in, DER out; the one
 * leniency, a negative UInt32, re-encodes longer).  Never a crash (the
 * sanitizer build runs this too).
 */
static void
hostile(const char *fuzzer, const struct der_type *t, size_t size, const uint8_t *enc,
	size_t len)
{
	_Alignas(16) uint8_t val[512];
	uint8_t *m, *re;
	size_t rl;
	int bad = 0;

	seed_write(fuzzer, enc, len);
	EXPECT(size <= sizeof(val));
	memset(val, 0, sizeof(val));
	EXPECT(der_decode(t, enc, len, &B, val) == ORTH_OK);
	for (size_t n = 0; n < len; n++) {
		memset(val, 0, sizeof(val));
		bad += der_decode(t, enc, n, &B, val) == ORTH_OK;
	}
	m = arena_dup(&B, enc, len + 1);
	if (m == NULL)
		return;
	m[len] = 0;
	memset(val, 0, sizeof(val));
	bad += der_decode(t, m, len + 1, &B, val) == ORTH_OK; /* trailing */
	for (size_t i = 0; i < len; i++) {
		static const uint8_t flips[] = {0x01, 0x80, 0xff};
		for (size_t f = 0; f < sizeof(flips); f++) {
			memcpy(m, enc, len);
			m[i] ^= flips[f];
			memset(val, 0, sizeof(val));
			if (der_decode(t, m, len, &B, val) != ORTH_OK)
				continue;
			if (der_encode_arena(t, val, &B, &re, &rl) != ORTH_OK ||
			    (rl <= len && (rl != len || memcmp(re, m, len) != 0)))
				bad++;
		}
	}
	EXPECT_EQ_INT(bad, 0);
	arena_reset(&B);
}

/* One valid value of each FAST type, each through hostile(). */
static void
test_types_hostile(void)
{
	static uint8_t bytes[40] = {1, 2, 3};
	PrincipalName pn;
	PA_DATA pa[2];
	KrbFastReq fr;
	KrbFastArmor arm;
	KrbFastArmoredReq ar;
	KrbFastResponse resp;
	KrbFastFinished fin;
	EncryptionKey ek;
	OrthrusFxCookie c;
	int32_t etypes[2] = {18, 17};
	uint8_t *enc = NULL;
	size_t len = 0;
	struct der_bytes w;

	EXPECT(pname_build2(&A, KRB5_NT_SRV_INST, "krbtgt", "R", &pn) == ORTH_OK);
	pa[0].padata_type = KRB5_PADATA_ENCRYPTED_CHALLENGE;
	pa[0].padata_value.data = bytes;
	pa[0].padata_value.len = sizeof(bytes);
	pa[1].padata_type = KRB5_PADATA_FX_COOKIE;
	pa[1].padata_value.data = bytes;
	pa[1].padata_value.len = 4;

	memset(&fr, 0, sizeof(fr));
	fr.fast_options = KRB5_FAST_OPT_HIDE_CLIENT_NAMES;
	fr.padata.len = 2;
	fr.padata.val = pa;
	fr.req_body.cname = &pn;
	fr.req_body.realm = "R";
	fr.req_body.sname = &pn;
	fr.req_body.till = 1700000000;
	fr.req_body.nonce = 0x7fffffff;
	fr.req_body.etype.len = 2;
	fr.req_body.etype.val = etypes;
	EXPECT(der_encode_arena(&asn1_KrbFastReq, &fr, &A, &enc, &len) == ORTH_OK);
	hostile("krb_fast_req", &asn1_KrbFastReq, sizeof(KrbFastReq), enc, len);

	memset(&ar, 0, sizeof(ar));
	arm.armor_type = KRB5_FAST_ARMOR_AP_REQUEST;
	arm.armor_value.data = bytes;
	arm.armor_value.len = sizeof(bytes);
	ar.armor = &arm;
	ar.req_checksum.cksumtype = 16;
	ar.req_checksum.checksum.data = bytes;
	ar.req_checksum.checksum.len = 12;
	ar.enc_fast_req.etype = 18;
	ar.enc_fast_req.cipher.data = bytes;
	ar.enc_fast_req.cipher.len = sizeof(bytes);
	EXPECT(der_encode_arena(&asn1_KrbFastArmoredReq, &ar, &A, &enc, &len) == ORTH_OK);
	hostile("krb_fast_armored_req", &asn1_KrbFastArmoredReq, sizeof(ar), enc, len);
	/* and as PA-FX-FAST's value: the [0] wrapper around it */
	EXPECT(proto_fast_req_encode(&ar, &A, &w) == ORTH_OK);
	{
		KrbFastArmoredReq back;
		int bad = 0;
		for (size_t n = 0; n < w.len; n++)
			bad += proto_fast_req_decode(w.data, n, &A, &back) == ORTH_OK;
		EXPECT_EQ_INT(bad, 0);
		EXPECT(proto_fast_req_decode(w.data, w.len, &A, &back) == ORTH_OK);
		EXPECT(back.armor != NULL && back.armor->armor_value.len == sizeof(bytes));
	}

	memset(&resp, 0, sizeof(resp));
	memset(&fin, 0, sizeof(fin));
	ek.keytype = 17;
	ek.keyvalue.data = bytes;
	ek.keyvalue.len = 16;
	fin.timestamp = 1700000000;
	fin.usec = 999999;
	fin.crealm = "R";
	fin.cname = pn;
	fin.ticket_checksum.cksumtype = 16;
	fin.ticket_checksum.checksum.data = bytes;
	fin.ticket_checksum.checksum.len = 12;
	resp.padata.len = 1;
	resp.padata.val = pa;
	resp.strengthen_key = &ek;
	resp.finished = &fin;
	resp.nonce = 12345;
	EXPECT(der_encode_arena(&asn1_KrbFastResponse, &resp, &A, &enc, &len) == ORTH_OK);
	hostile("krb_fast_response", &asn1_KrbFastResponse, sizeof(resp), enc, len);

	memset(&c, 0, sizeof(c));
	c.expires = 1700000600;
	c.crealm = "R";
	c.cname = pn;
	c.state.len = 1;
	c.state.val = pa;
	EXPECT(der_encode_arena(&asn1_OrthrusFxCookie, &c, &A, &enc, &len) == ORTH_OK);
	hostile("fx_cookie", &asn1_OrthrusFxCookie, sizeof(c), enc, len);
}

static size_t
unhex(const char *s, uint8_t *out)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* string-to-key(enctype, s, salt s), as MIT's t_cf2 makes its keys. */
static struct crypto_key *
s2k(int32_t enctype, const char *s)
{
	struct crypto_key *k = NULL;

	if (crypto_string_to_key(enctype, s, strlen(s), (const uint8_t *)s, strlen(s), NULL, 0,
				 &k) != ORTH_OK)
		return NULL;
	return k;
}

/* MIT krb5 src/lib/crypto/crypto_tests/t_cf2.{in,expected}: KRB-FX-CF2
 * of the keys from "key1" and "key2" with peppers "a" and "b". */
static void
test_cf2_vectors(void)
{
	static const struct {
		int32_t enctype;
		const char *hex;
	} v[] = {
		{17, "97df97e4b798b29eb31ed7280287a92a"},
		{18, "4d6ca4e629785c1f01baf55e2e548566b9617ae3a96868c337cb93b5e72b1c7b"},
		{19, "edd02a39d2dbde31611c16e610be062c"},
		{20, "67f6ea530aea85a37dcbb23349ea52dcc61ca8493ff557252327fd8304341584"},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct crypto_key *k1 = s2k(v[i].enctype, "key1"), *k2 = s2k(v[i].enctype, "key2");
		struct crypto_key *out = NULL;
		uint8_t want[32];
		size_t wl = unhex(v[i].hex, want), gl = 0;
		const uint8_t *got;

		EXPECT(k1 != NULL && k2 != NULL);
		EXPECT(crypto_key_cf2(k1, "a", k2, "b", &out) == ORTH_OK);
		if (out != NULL) {
			got = crypto_key_bytes(out, &gl);
			EXPECT_EQ_INT(crypto_key_enctype(out), v[i].enctype);
			EXPECT_EQ_INT(gl, wl);
			EXPECT(gl == wl && memcmp(got, want, wl) == 0);
		}
		crypto_key_free(out);
		crypto_key_free(k1);
		crypto_key_free(k2);
	}
}

/* Mixed enctypes: the result has the first key's enctype and length. */
static void
test_cf2_mixed(void)
{
	struct crypto_key *k1 = s2k(17, "key1"), *k2 = s2k(20, "key2"), *out = NULL, *out2 = NULL;
	size_t len = 0;

	EXPECT(crypto_key_cf2(k1, "a", k2, "b", &out) == ORTH_OK);
	EXPECT(out != NULL && crypto_key_enctype(out) == 17);
	if (out != NULL)
		(void)crypto_key_bytes(out, &len);
	EXPECT_EQ_INT(len, 16);
	EXPECT(crypto_key_cf2(k2, "a", k1, "b", &out2) == ORTH_OK);
	EXPECT(out2 != NULL && crypto_key_enctype(out2) == 20);
	crypto_key_free(out);
	crypto_key_free(out2);
	crypto_key_free(k1);
	crypto_key_free(k2);
}

/* The [0] wrapper: round trip and what must be refused. */
static void
test_choice0(void)
{
	KrbFastArmoredRep rep, back;
	KrbFastArmoredReq req;
	struct der_bytes enc;
	uint8_t cipher[200], *buf;

	memset(&rep, 0, sizeof(rep));
	memset(cipher, 0x5a, sizeof(cipher));
	rep.enc_fast_rep.etype = 18;
	rep.enc_fast_rep.cipher.data = cipher;
	rep.enc_fast_rep.cipher.len = sizeof(cipher); /* long-form lengths */
	EXPECT(proto_fast_rep_encode(&rep, &A, &enc) == ORTH_OK);
	EXPECT(enc.len > 4 && enc.data[0] == 0xa0 && enc.data[1] == 0x81);
	EXPECT(proto_fast_rep_decode(enc.data, enc.len, &A, &back) == ORTH_OK);
	EXPECT_EQ_INT(back.enc_fast_rep.cipher.len, sizeof(cipher));
	EXPECT_EQ_INT(back.enc_fast_rep.etype, 18);

	buf = arena_dup(&A, enc.data, enc.len + 1);
	/* another tag: [1], universal SEQUENCE, primitive [0] */
	buf[0] = 0xa1;
	EXPECT_EQ_INT(proto_fast_rep_decode(buf, enc.len, &A, &back), ORTH_E_MALFORMED);
	buf[0] = 0x30;
	EXPECT_EQ_INT(proto_fast_rep_decode(buf, enc.len, &A, &back), ORTH_E_MALFORMED);
	buf[0] = 0x80;
	EXPECT_EQ_INT(proto_fast_rep_decode(buf, enc.len, &A, &back), ORTH_E_MALFORMED);
	buf[0] = 0xa0;
	/* truncated, trailing byte, empty, one byte, indefinite length */
	EXPECT_EQ_INT(proto_fast_rep_decode(buf, enc.len - 1, &A, &back), ORTH_E_TRUNCATED);
	buf[enc.len] = 0;
	EXPECT_EQ_INT(proto_fast_rep_decode(buf, enc.len + 1, &A, &back), ORTH_E_TRAILING);
	EXPECT(proto_fast_rep_decode(buf, 0, &A, &back) != ORTH_OK);
	EXPECT(proto_fast_rep_decode(buf, 1, &A, &back) != ORTH_OK);
	{
		static const uint8_t indef[] = {0xa0, 0x80, 0x30, 0x00, 0x00, 0x00};
		static const uint8_t longshort[] = {0xa0, 0x81, 0x02, 0x30, 0x00};
		static const uint8_t zerolead[] = {0xa0, 0x82, 0x00, 0x02, 0x30, 0x00};
		static const uint8_t huge[] = {0xa0, 0x85, 1, 0, 0, 0, 0};
		static const uint8_t empty_seq[] = {0xa0, 0x02, 0x30, 0x00};
		static const uint8_t inner_trailing[] = {0xa0, 0x03, 0x30, 0x00, 0x00};
		EXPECT_EQ_INT(proto_fast_rep_decode(indef, sizeof(indef), &A, &back),
			      ORTH_E_MALFORMED);
		EXPECT_EQ_INT(proto_fast_rep_decode(longshort, sizeof(longshort), &A, &back),
			      ORTH_E_MALFORMED);
		EXPECT_EQ_INT(proto_fast_rep_decode(zerolead, sizeof(zerolead), &A, &back),
			      ORTH_E_MALFORMED);
		EXPECT_EQ_INT(proto_fast_rep_decode(huge, sizeof(huge), &A, &back),
			      ORTH_E_MALFORMED);
		/* the inner SEQUENCE misses its required field */
		EXPECT(proto_fast_rep_decode(empty_seq, sizeof(empty_seq), &A, &back) != ORTH_OK);
		EXPECT(proto_fast_req_decode(empty_seq, sizeof(empty_seq), &A, &req) != ORTH_OK);
		EXPECT(proto_fast_req_decode(inner_trailing, sizeof(inner_trailing), &A, &req) !=
		       ORTH_OK);
	}
}

/* Every truncation and every single-byte change of a sealed response is
 * refused, never a crash; the intact one opens. */
static void
test_response_seal(void)
{
	struct crypto_key *armor = s2k(18, "armor"), *sk = s2k(17, "strength");
	KrbFastResponse resp, back;
	KrbFastFinished fin;
	PA_DATA pa;
	EncryptionKey ek;
	struct der_bytes enc;
	uint8_t tkt[] = {1, 2, 3, 4};
	const uint8_t *kb;
	size_t kl;
	int bad = 0;

	memset(&resp, 0, sizeof(resp));
	memset(&fin, 0, sizeof(fin));
	pa.padata_type = KRB5_PADATA_FX_COOKIE;
	pa.padata_value.data = tkt;
	pa.padata_value.len = sizeof(tkt);
	resp.padata.len = 1;
	resp.padata.val = &pa;
	kb = crypto_key_bytes(sk, &kl);
	ek.keytype = 17;
	ek.keyvalue.data = (uint8_t *)kb;
	ek.keyvalue.len = kl;
	resp.strengthen_key = &ek;
	fin.timestamp = 1700000000;
	fin.usec = 5;
	fin.crealm = "R";
	EXPECT(pname_build2(&A, KRB5_NT_SRV_INST, "krbtgt", "R", &fin.cname) == ORTH_OK);
	EXPECT(proto_fast_ticket_checksum(armor, tkt, sizeof(tkt), &A, &fin.ticket_checksum) ==
	       ORTH_OK);
	resp.finished = &fin;
	resp.nonce = 0x7fffffff;
	EXPECT(proto_fast_response_seal(armor, &resp, &A, &enc) == ORTH_OK);
	EXPECT(proto_fast_response_open(armor, enc.data, enc.len, &A, &back) == ORTH_OK);
	EXPECT_EQ_INT(back.nonce, 0x7fffffff);
	EXPECT(back.finished != NULL && back.strengthen_key != NULL && back.padata.len == 1);
	EXPECT(back.finished != NULL &&
	       crypto_checksum_verify(armor, KU_FAST_FINISHED, back.finished->ticket_checksum.cksumtype,
				      tkt, sizeof(tkt), back.finished->ticket_checksum.checksum.data,
				      back.finished->ticket_checksum.checksum.len) == ORTH_OK);
	for (size_t n = 0; n < enc.len; n++)
		bad += proto_fast_response_open(armor, enc.data, n, &A, &back) == ORTH_OK;
	for (size_t i = 0; i < enc.len; i++) {
		uint8_t *m = arena_dup(&A, enc.data, enc.len);
		if (m == NULL)
			break;
		m[i] ^= 0x01;
		bad += proto_fast_response_open(armor, m, enc.len, &A, &back) == ORTH_OK;
	}
	EXPECT_EQ_INT(bad, 0);
	/* another key */
	EXPECT_EQ_INT(proto_fast_response_open(sk, enc.data, enc.len, &A, &back), ORTH_E_ENCTYPE);
	crypto_key_free(armor);
	crypto_key_free(sk);
}

static void
test_req_enc_pa_rep(void)
{
	struct crypto_key *k = s2k(20, "reply");
	uint8_t req[64];
	struct der_bytes v;

	memset(req, 0x6a, sizeof(req));
	EXPECT(proto_req_enc_pa_rep_make(k, req, sizeof(req), &A, &v) == ORTH_OK);
	EXPECT(proto_req_enc_pa_rep_verify(k, req, sizeof(req), &v, &A) == ORTH_OK);
	req[10] ^= 1; /* the request changed in transit */
	EXPECT_EQ_INT(proto_req_enc_pa_rep_verify(k, req, sizeof(req), &v, &A), ORTH_E_INTEGRITY);
	v.len--;
	EXPECT(proto_req_enc_pa_rep_verify(k, req, sizeof(req), &v, &A) != ORTH_OK);
	crypto_key_free(k);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	if (crypto_init() != ORTH_OK || arena_init(&A, 1u << 22) != ORTH_OK ||
	    arena_init(&B, 1u << 22) != ORTH_OK)
		return 1;
	test_types_hostile();
	test_cf2_vectors();
	test_cf2_mixed();
	test_choice0();
	test_response_seal();
	test_req_enc_pa_rep();
	arena_free(&A);
	arena_free(&B);
	return test_done("proto_fast");
}
