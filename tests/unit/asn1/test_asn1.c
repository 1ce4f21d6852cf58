/*
 * Tests of src/asn1: round trips of every generated type (values built from
 * the tables), known encodings, MIT krb5 captures re-encoded byte-exactly,
 * and a table of malformed inputs that must be rejected.
 *
 * Usage: test_asn1 VECTORS_DIR   (tests/vectors, for the MIT captures)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "asn1/asn1.h"
#include "der_type.h"
#include "limits.h"

#include "../test.h"

static struct arena A;
static const char *vectors_dir;

/* ---- helpers ---- */

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (s[0] && s[1] && n < cap) {
		if (sscanf(s, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
		s += 2;
		while (*s == ' ' || *s == '\n')
			s++;
	}
	return n;
}

/* Decode, re-encode (both ways), compare with the input. */
static void
expect_roundtrip(const char *what, const struct der_type *t, const uint8_t *buf,
		 size_t len)
{
	uint8_t *val = arena_alloc(&A, t->size);
	uint8_t *enc = NULL, *wbuf;
	size_t enc_len = 0;
	struct writer w;
	orth_err e;

	EXPECT(val != NULL);
	if (val == NULL)
		return;
	e = der_decode(t, buf, len, &A, val);
	if (e != ORTH_OK)
		fprintf(stderr, "%s: decode as %s: %s\n", what, t->name, orth_err_str(e));
	EXPECT_EQ_INT(e, ORTH_OK);
	if (e != ORTH_OK)
		return;
	EXPECT_EQ_INT(der_encode_arena(t, val, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(enc_len, len);
	if (enc_len == len) {
		if (memcmp(enc, buf, len) != 0)
			fprintf(stderr, "%s: re-encoding differs\n", what);
		EXPECT_MEM(enc, buf, len);
	}
	/* der_encode appends after what the writer already holds. */
	wbuf = arena_alloc(&A, len + 3);
	writer_init(&w, wbuf, len + 3);
	writer_put(&w, "abc", 3);
	EXPECT_EQ_INT(der_encode(t, val, &w), ORTH_OK);
	EXPECT_EQ_INT(w.len, len + 3);
	EXPECT(memcmp(wbuf, "abc", 3) == 0 && memcmp(wbuf + 3, buf, len) == 0);
	/* One byte short: ORTH_E_LIMIT, nothing half-written counts. */
	writer_init(&w, wbuf, len + 2);
	writer_put(&w, "abc", 3);
	EXPECT_EQ_INT(der_encode(t, val, &w), ORTH_E_LIMIT);
	EXPECT_EQ_INT(w.len, 3);
}

/* ---- every type, values built from the tables ---- */

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void fill(const struct der_type *t, void *out, int depth);

static void
fill_prim(const struct der_type *t, void *out)
{
	static const char *const strs[] = {"", "user", "TEST.REALM", "krbtgt",
					   "h\xc3\xa9llo", "a.b.c-d_e@F"};
	static const long long ints[] = {0, 1, -1, 127, 128, -128, -129, 255, 256,
					 32767, 32768, 999999, 2147483647LL,
					 -2147483647LL - 1, 4294967295LL, 65536};
	struct der_bytes *b;
	long long x;
	size_t n, i;

	switch (t->kind) {
	case DER_K_INT32:
	case DER_K_UINT32:
		do
			x = ints[rnd() % (sizeof(ints) / sizeof(ints[0]))];
		while (x < t->lo || x > t->hi);
		if (t->kind == DER_K_UINT32)
			*(uint32_t *)out = (uint32_t)x;
		else
			*(int32_t *)out = (int32_t)x;
		break;
	case DER_K_BOOLEAN:
		*(bool *)out = rnd() & 1;
		break;
	case DER_K_OCTETS:
		b = out;
		n = rnd() % 4 == 0 ? 200 : rnd() % 20;
		b->data = arena_alloc(&A, n + 1);
		for (i = 0; i < n; i++)
			b->data[i] = (uint8_t)rnd();
		b->len = n;
		break;
	case DER_K_STRING:
		*(const char **)out = strs[rnd() % (sizeof(strs) / sizeof(strs[0]))];
		break;
	case DER_K_TIME:
		*(int64_t *)out = (int64_t)(rnd() % 4000000000u) - 100000000;
		break;
	case DER_K_FLAGS:
		*(uint32_t *)out = rnd();
		break;
	}
}

static void
fill(const struct der_type *t, void *out, int depth)
{
	const struct der_field *f;
	struct der_seq_of *s;
	size_t i;

	if (t->kind == DER_K_SEQUENCE) {
		for (i = 0; i < t->nfields; i++) {
			f = &t->fields[i];
			void *dst = (uint8_t *)out + f->offset;
			if (f->optional && (rnd() % 3 == 0 || depth > 6))
				continue; /* absent: NULL */
			if (f->optional && f->type->kind != DER_K_STRING) {
				void *p = arena_alloc(&A, f->type->size);
				*(void **)dst = p;
				dst = p;
			}
			fill(f->type, dst, depth + 1);
		}
		if (t->msgtype_off >= 0)
			*(int32_t *)((uint8_t *)out + t->msgtype_off) = t->app;
	} else if (t->kind == DER_K_SEQUENCE_OF) {
		s = out;
		s->len = t->min_count + rnd() % 3;
		s->val = arena_alloc(&A, s->len * t->elem->size + 1);
		for (i = 0; i < s->len; i++)
			fill(t->elem, (uint8_t *)s->val + i * t->elem->size, depth + 1);
	} else {
		fill_prim(t, out);
	}
}

#define T(x) {#x, &asn1_##x}
static const struct {
	const char *name;
	const struct der_type *t;
} all_types[] = {
	T(Int32), T(UInt32), T(Microseconds), T(KerberosString), T(Realm),
	T(PrincipalName), T(KerberosTime), T(HostAddress), T(HostAddresses),
	T(AuthorizationData), T(PA_DATA), T(KerberosFlags), T(EncryptedData),
	T(EncryptionKey), T(Checksum), T(Ticket), T(EncTicketPart),
	T(TransitedEncoding), T(TicketFlags), T(AS_REQ), T(TGS_REQ), T(KDC_REQ),
	T(KDC_REQ_BODY), T(KDCOptions), T(AS_REP), T(TGS_REP), T(KDC_REP),
	T(EncASRepPart), T(EncTGSRepPart), T(EncKDCRepPart), T(LastReq),
	T(AP_REQ), T(APOptions), T(Authenticator), T(AP_REP), T(EncAPRepPart),
	T(KRB_SAFE), T(KRB_SAFE_BODY), T(KRB_PRIV), T(EncKrbPrivPart),
	T(KRB_CRED), T(EncKrbCredPart), T(KrbCredInfo), T(KRB_ERROR),
	T(METHOD_DATA), T(TYPED_DATA), T(PA_ENC_TIMESTAMP), T(PA_ENC_TS_ENC),
	T(ETYPE_INFO_ENTRY), T(ETYPE_INFO), T(ETYPE_INFO2_ENTRY), T(ETYPE_INFO2),
	T(AD_IF_RELEVANT), T(KERB_PA_PAC_REQUEST), T(PA_PAC_REQUEST),
};

static void
test_all_types(void)
{
	size_t i, k;
	uint8_t *val, *enc;
	size_t len;

	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		for (k = 0; k < 20; k++) {
			arena_reset(&A);
			val = arena_alloc(&A, all_types[i].t->size);
			fill(all_types[i].t, val, 0);
			EXPECT_EQ_INT(der_encode_arena(all_types[i].t, val, &A, &enc, &len), ORTH_OK);
			expect_roundtrip(all_types[i].name, all_types[i].t, enc, len);
		}
	}
}

/* ---- known encodings ---- */

static void
expect_encoding(const struct der_type *t, const void *val, const char *hex)
{
	uint8_t want[512], *enc = NULL;
	size_t n = unhex(hex, want, sizeof(want)), len = 0;

	EXPECT_EQ_INT(der_encode_arena(t, val, &A, &enc, &len), ORTH_OK);
	EXPECT_EQ_INT(len, n);
	if (len == n)
		EXPECT_MEM(enc, want, n);
	expect_roundtrip(t->name, t, want, n);
}

static void
test_known(void)
{
	static const struct {
		long long v;
		const char *hex;
	} ints[] = {
		{0, "020100"}, {127, "02017f"}, {128, "02020080"}, {-1, "0201ff"},
		{-128, "020180"}, {-129, "0202ff7f"}, {256, "02020100"},
		{2147483647LL, "02047fffffff"}, {-2147483647LL - 1, "020480000000"},
	};
	size_t i;
	int32_t i32;
	uint32_t u32;
	int64_t t;
	bool bo;
	char *name_strs[2] = {"krbtgt", "TEST.REALM"};
	PrincipalName pn = {2, {2, name_strs}};
	uint32_t kvno = 2;
	uint8_t ciph[3] = {1, 2, 3};
	EncryptedData ed = {18, &kvno, {ciph, 3}};
	KERB_PA_PAC_REQUEST pac = {true};
	int32_t etypes[2] = {18, 17};
	KDC_REQ_BODY body;
	KDC_REQ_BODY *dec_body;
	uint8_t *enc;
	size_t len;

	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		i32 = (int32_t)ints[i].v;
		expect_encoding(&asn1_Int32, &i32, ints[i].hex);
	}
	u32 = 4294967295u;
	expect_encoding(&asn1_UInt32, &u32, "020500ffffffff");
	u32 = 2147483648u;
	expect_encoding(&asn1_UInt32, &u32, "02050080000000");
	/* Heimdal's negative nonce (der.c leniency): read as unsigned */
	{
		static const uint8_t neg[] = {0x02, 0x04, 0xb9, 0xe2, 0x9a, 0x0b};
		u32 = 0;
		EXPECT(der_decode(&asn1_UInt32, neg, sizeof(neg), &A, &u32) == ORTH_OK);
		EXPECT(u32 == 0xb9e29a0bu);
	}
	i32 = 1000000; /* Microseconds are 0..999999 */
	EXPECT_EQ_INT(der_encode_arena(&asn1_Microseconds, &i32, &A, &enc, &len), ORTH_E_RANGE);
	t = 0;
	expect_encoding(&asn1_KerberosTime, &t, "180f31393730303130313030303030305a");
	t = 951782400; /* 2000-02-29 00:00:00: a leap day */
	expect_encoding(&asn1_KerberosTime, &t, "180f32303030303232393030303030305a");
	t = -1; /* 1969-12-31 23:59:59 */
	expect_encoding(&asn1_KerberosTime, &t, "180f31393639313233313233353935395a");
	t = 253402300800LL; /* year 10000 */
	EXPECT_EQ_INT(der_encode_arena(&asn1_KerberosTime, &t, &A, &enc, &len), ORTH_E_RANGE);
	u32 = 0x40810010; /* forwardable renewable canonicalize renewable-ok */
	expect_encoding(&asn1_KDCOptions, &u32, "03050040810010");
	bo = true;
	expect_encoding(&asn1_PA_PAC_REQUEST, &pac, "3005a0030101ff");
	(void)bo;
	expect_encoding(&asn1_PrincipalName, &pn,
			"301da003020102a11630141b066b72627467741b0a544553542e5245414c4d");
	expect_encoding(&asn1_EncryptedData, &ed,
			"3011a003020112a103020102a20504030102 03");

	/* An empty name-string is refused on the way out too. */
	pn.name_string.len = 0;
	EXPECT_EQ_INT(der_encode_arena(&asn1_PrincipalName, &pn, &A, &enc, &len), ORTH_E_INTERNAL);
	pn.name_string.len = 2;

	/* _raw of KDC-REQ-BODY is the exact TLV; the encoder ignores it. */
	memset(&body, 0, sizeof(body));
	body.kdc_options = 0x40000000;
	body.realm = "TEST.REALM";
	body.sname = &pn;
	body.till = 0;
	body.nonce = 42;
	body.etype.len = 2;
	body.etype.val = etypes;
	body._raw.data = ciph; /* garbage: must not matter */
	body._raw.len = 1;
	EXPECT_EQ_INT(der_encode_arena(&asn1_KDC_REQ_BODY, &body, &A, &enc, &len), ORTH_OK);
	dec_body = arena_alloc(&A, sizeof(*dec_body));
	EXPECT_EQ_INT(der_decode(&asn1_KDC_REQ_BODY, enc, len, &A, dec_body), ORTH_OK);
	EXPECT(dec_body->_raw.data == enc && dec_body->_raw.len == len);
	EXPECT(dec_body->cname == NULL && dec_body->from == NULL && dec_body->rtime == NULL);
	EXPECT(dec_body->sname != NULL && dec_body->sname->name_string.len == 2);
	EXPECT(dec_body->sname && strcmp(dec_body->sname->name_string.val[1], "TEST.REALM") == 0);
	EXPECT_EQ_INT(dec_body->nonce, 42);
	EXPECT(dec_body->etype.len == 2 && dec_body->etype.val[1] == 17);
}

/* ---- MIT captures ---- */

static size_t
read_vector(const char *name, uint8_t *buf, size_t cap)
{
	char path[1024], *text;
	FILE *f;
	long n;
	size_t len;

	snprintf(path, sizeof(path), "%s/mit/%s.hex", vectors_dir, name);
	f = fopen(path, "r");
	EXPECT(f != NULL);
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return 0;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	if (text == NULL || fread(text, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	len = text ? unhex(text, buf, cap) : 0;
	free(text);
	return len;
}

static const PA_DATA *
find_padata(const METHOD_DATA *md, int32_t type)
{
	size_t i;

	for (i = 0; md != NULL && i < md->len; i++)
		if (md->val[i].padata_type == type)
			return &md->val[i];
	return NULL;
}

/*
 * der_encode_raw writes a Ticket's _raw as it is (the FAST reply's ticket,
 * encoded once): a changed field does not show through it, but does with
 * der_encode; without _raw both encode the fields.
 */
static void
expect_encode_raw(KDC_REP *rep, const uint8_t *der, size_t len)
{
	static uint8_t out[8192];
	struct writer w;
	char *realm = rep->ticket.realm;

	rep->ticket.realm = "OTHER.REALM";
	writer_init(&w, out, sizeof(out));
	EXPECT_EQ_INT(der_encode_raw(&asn1_AS_REP, rep, &w), ORTH_OK);
	EXPECT(w.len == len && memcmp(out, der, len) == 0);
	writer_init(&w, out, sizeof(out));
	EXPECT_EQ_INT(der_encode(&asn1_AS_REP, rep, &w), ORTH_OK);
	EXPECT(w.len != len || memcmp(out, der, len) != 0);
	rep->ticket.realm = realm;
	rep->ticket._raw.data = NULL;
	writer_init(&w, out, sizeof(out));
	EXPECT_EQ_INT(der_encode_raw(&asn1_AS_REP, rep, &w), ORTH_OK);
	EXPECT(w.len == len && memcmp(out, der, len) == 0);
}

static void
test_mit(void)
{
	static uint8_t buf[8192];
	size_t len;
	AS_REQ *req;
	KDC_REP *rep;
	KRB_ERROR *err;
	METHOD_DATA *md;
	ETYPE_INFO2 *ei2;
	AP_REQ *apreq;
	const PA_DATA *pa;

	arena_reset(&A);
	len = read_vector("as-req", buf, sizeof(buf));
	EXPECT(len > 100);
	EXPECT_EQ_INT(der_peek_application_tag(buf, len), 10);
	expect_roundtrip("as-req", &asn1_AS_REQ, buf, len);
	req = arena_alloc(&A, sizeof(*req));
	EXPECT_EQ_INT(der_decode(&asn1_AS_REQ, buf, len, &A, req), ORTH_OK);
	EXPECT_EQ_INT(req->msg_type, 10);
	EXPECT(req->req_body.cname != NULL &&
	       strcmp(req->req_body.cname->name_string.val[0], "user") == 0);
	EXPECT(strcmp(req->req_body.realm, "TEST.REALM") == 0);
	EXPECT(req->req_body._raw.data > buf && req->req_body._raw.data < buf + len);
	EXPECT(req->req_body._raw.data[0] == 0x30);
	/* Wrong APPLICATION tag for the descriptor. */
	EXPECT_EQ_INT(der_decode(&asn1_TGS_REQ, buf, len, &A, req), ORTH_E_MALFORMED);

	len = read_vector("krb-error-preauth-required", buf, sizeof(buf));
	expect_roundtrip("krb-error", &asn1_KRB_ERROR, buf, len);
	err = arena_alloc(&A, sizeof(*err));
	EXPECT_EQ_INT(der_decode(&asn1_KRB_ERROR, buf, len, &A, err), ORTH_OK);
	EXPECT_EQ_INT(err->error_code, 25); /* KDC_ERR_PREAUTH_REQUIRED */
	EXPECT(err->e_data != NULL);
	if (err->e_data != NULL) {
		expect_roundtrip("krb-error e-data", &asn1_METHOD_DATA,
				 err->e_data->data, err->e_data->len);
		md = arena_alloc(&A, sizeof(*md));
		EXPECT_EQ_INT(der_decode(&asn1_METHOD_DATA, err->e_data->data,
					 err->e_data->len, &A, md), ORTH_OK);
		pa = find_padata(md, 19); /* PA-ETYPE-INFO2 */
		EXPECT(pa != NULL);
		if (pa != NULL) {
			expect_roundtrip("etype-info2", &asn1_ETYPE_INFO2,
					 pa->padata_value.data, pa->padata_value.len);
			ei2 = arena_alloc(&A, sizeof(*ei2));
			EXPECT_EQ_INT(der_decode(&asn1_ETYPE_INFO2, pa->padata_value.data,
						 pa->padata_value.len, &A, ei2), ORTH_OK);
			EXPECT(ei2->len >= 1 && ei2->val[0].salt != NULL &&
			       strcmp(ei2->val[0].salt, "TEST.REALMuser") == 0);
		}
	}

	len = read_vector("as-req-padata", buf, sizeof(buf));
	expect_roundtrip("as-req-padata", &asn1_AS_REQ, buf, len);
	req = arena_alloc(&A, sizeof(*req));
	EXPECT_EQ_INT(der_decode(&asn1_AS_REQ, buf, len, &A, req), ORTH_OK);
	pa = find_padata(req->padata, 2); /* PA-ENC-TIMESTAMP */
	EXPECT(pa != NULL);
	if (pa != NULL)
		expect_roundtrip("pa-enc-timestamp", &asn1_PA_ENC_TIMESTAMP,
				 pa->padata_value.data, pa->padata_value.len);

	len = read_vector("as-rep", buf, sizeof(buf));
	EXPECT_EQ_INT(der_peek_application_tag(buf, len), 11);
	expect_roundtrip("as-rep", &asn1_AS_REP, buf, len);
	rep = arena_alloc(&A, sizeof(*rep));
	EXPECT_EQ_INT(der_decode(&asn1_AS_REP, buf, len, &A, rep), ORTH_OK);
	EXPECT(rep->ticket._raw.len > 0 && rep->ticket._raw.data[0] == 0x61);
	expect_roundtrip("as-rep ticket", &asn1_Ticket, rep->ticket._raw.data,
			 rep->ticket._raw.len);
	EXPECT(strcmp(rep->ticket.sname.name_string.val[0], "krbtgt") == 0);
	expect_encode_raw(rep, buf, len);

	len = read_vector("tgs-req", buf, sizeof(buf));
	EXPECT_EQ_INT(der_peek_application_tag(buf, len), 12);
	expect_roundtrip("tgs-req", &asn1_TGS_REQ, buf, len);
	req = arena_alloc(&A, sizeof(*req));
	EXPECT_EQ_INT(der_decode(&asn1_TGS_REQ, buf, len, &A, req), ORTH_OK);
	pa = find_padata(req->padata, 1); /* PA-TGS-REQ: an AP-REQ */
	EXPECT(pa != NULL);
	if (pa != NULL) {
		expect_roundtrip("tgs-req ap-req", &asn1_AP_REQ,
				 pa->padata_value.data, pa->padata_value.len);
		apreq = arena_alloc(&A, sizeof(*apreq));
		EXPECT_EQ_INT(der_decode(&asn1_AP_REQ, pa->padata_value.data,
					 pa->padata_value.len, &A, apreq), ORTH_OK);
		EXPECT_EQ_INT(apreq->msg_type, 14);
	}

	len = read_vector("tgs-rep", buf, sizeof(buf));
	expect_roundtrip("tgs-rep", &asn1_TGS_REP, buf, len);
	rep = arena_alloc(&A, sizeof(*rep));
	EXPECT_EQ_INT(der_decode(&asn1_AS_REP, buf, len, &A, rep), ORTH_E_MALFORMED);
}

/* ---- malformed input ---- */

static const struct {
	const char *name;
	const struct der_type *t;
	const char *hex;
	orth_err want;
} bad[] = {
	{"empty input", &asn1_Int32, "", ORTH_E_TRUNCATED},
	{"truncated", &asn1_PrincipalName,
	 "300fa003020101a10830061b047573 65", ORTH_E_TRUNCATED},
	{"length larger than parent", &asn1_PrincipalName,
	 "300fa003020101a10930061b0475736572", ORTH_E_TRUNCATED},
	{"inner length larger than parent", &asn1_PrincipalName,
	 "300fa003020101a10830071b0475736572", ORTH_E_TRUNCATED},
	{"trailing byte", &asn1_Int32, "02010100", ORTH_E_TRAILING},
	{"trailing inside explicit tag", &asn1_EncryptionKey,
	 "300ba00402010100a1030401ff", ORTH_E_TRAILING},
	{"tag number overflow", &asn1_Int32, "1fffffffff7f0100", ORTH_E_LIMIT},
	{"high tag form for small number", &asn1_Int32, "1f020100", ORTH_E_MALFORMED},
	{"high tag form leading 0x80", &asn1_Int32, "1f80220100", ORTH_E_MALFORMED},
	{"long-form length not minimal", &asn1_Int32, "0281 0100", ORTH_E_MALFORMED},
	{"long-form length leading zero", &asn1_PrincipalName,
	 "3082000fa003020101a10830061b0475736572", ORTH_E_MALFORMED},
	{"length of length too big", &asn1_Int32, "0285000000000100", ORTH_E_LIMIT},
	{"reserved length 0xff", &asn1_Int32, "02ff", ORTH_E_MALFORMED},
	{"indefinite length", &asn1_PrincipalName,
	 "3080a003020101a10830061b04757365720000", ORTH_E_MALFORMED},
	{"empty principal name", &asn1_PrincipalName,
	 "3009a003020101a1023000", ORTH_E_MALFORMED},
	{"missing required field", &asn1_PrincipalName, "3005a003020101",
	 ORTH_E_TRUNCATED},
	{"fields out of order", &asn1_PrincipalName,
	 "300fa10830061b0475736572a003020101", ORTH_E_MALFORMED},
	{"unknown field", &asn1_EncryptionKey,
	 "3010a003020101a1030401ffa2040402aabb", ORTH_E_MALFORMED},
	{"primitive SEQUENCE", &asn1_PrincipalName,
	 "100fa003020101a10830061b0475736572", ORTH_E_MALFORMED},
	{"primitive context tag", &asn1_PrincipalName,
	 "300f8003020101a10830061b0475736572", ORTH_E_MALFORMED},
	{"IA5String for KerberosString", &asn1_Realm, "1603414243", ORTH_E_MALFORMED},
	{"NUL in KerberosString 2", &asn1_Realm, "1b03410042", ORTH_E_MALFORMED},
	{"INTEGER empty", &asn1_Int32, "0200", ORTH_E_MALFORMED},
	{"INTEGER non-minimal 00", &asn1_Int32, "02020001", ORTH_E_MALFORMED},
	{"INTEGER non-minimal ff", &asn1_Int32, "0202ff80", ORTH_E_MALFORMED},
	{"Int32 too large", &asn1_Int32, "02050080000000", ORTH_E_RANGE},
	{"Int32 too small", &asn1_Int32, "0205ff7fffffff", ORTH_E_RANGE},
	{"UInt32 too large", &asn1_UInt32, "02050100000000", ORTH_E_RANGE},
	{"UInt32 below int32", &asn1_UInt32, "0205ff7fffffff", ORTH_E_RANGE},
	{"INTEGER 9 octets", &asn1_Int32, "0209010000000000000000", ORTH_E_RANGE},
	{"Microseconds 1000000", &asn1_Microseconds, "02030f4240", ORTH_E_RANGE},
	{"Microseconds negative", &asn1_Microseconds, "0201ff", ORTH_E_RANGE},
	{"BOOLEAN 0x01", &asn1_PA_PAC_REQUEST, "3005a003010101", ORTH_E_MALFORMED},
	{"BOOLEAN two octets", &asn1_PA_PAC_REQUEST, "3006a0040102ffff", ORTH_E_MALFORMED},
	{"time Feb 30", &asn1_KerberosTime, "180f32303233303233303030303030305a", ORTH_E_RANGE},
	{"time Feb 29 non-leap", &asn1_KerberosTime, "180f32313030303232393030303030305a", ORTH_E_RANGE},
	{"time hour 24", &asn1_KerberosTime, "180f32303233303130313234303030305a", ORTH_E_RANGE},
	{"time second 60", &asn1_KerberosTime, "180f32303233303130313030303036305a", ORTH_E_RANGE},
	{"time month 0", &asn1_KerberosTime, "180f32303233303030313030303030305a", ORTH_E_RANGE},
	{"time no Z", &asn1_KerberosTime, "180f32303233303130313030303030302b", ORTH_E_RANGE},
	{"time fraction", &asn1_KerberosTime, "181132303233303130313030303030302e355a", ORTH_E_RANGE},
	{"time short", &asn1_KerberosTime, "180d323032333031303130303030305a", ORTH_E_RANGE},
	{"time letter", &asn1_KerberosTime, "180f323032333031303130303030613a5a", ORTH_E_RANGE},
	{"time as UTCTime", &asn1_KerberosTime, "170d3233303130313030303030305a", ORTH_E_MALFORMED},
	{"flags 24 bits", &asn1_KDCOptions, "0304004081 00", ORTH_E_MALFORMED},
	{"flags 40 bits", &asn1_KDCOptions, "0306004081001000", ORTH_E_MALFORMED},
	{"flags unused bits", &asn1_KDCOptions, "03050140810010", ORTH_E_MALFORMED},
	{"ETYPE-INFO2 empty", &asn1_ETYPE_INFO2, "3000", ORTH_E_MALFORMED},
	{"TYPED-DATA empty", &asn1_TYPED_DATA, "3000", ORTH_E_MALFORMED},
	{"AP-REP msg-type 14", &asn1_AP_REP,
	 "6f1b3019a003020105a10302010ea20d300ba003020112a2040402aabb", ORTH_E_MALFORMED},
	{"AP-REP under tag 14", &asn1_AP_REP,
	 "6e1b3019a003020105a10302010fa20d300ba003020112a2040402aabb", ORTH_E_MALFORMED},
};

static void
test_malformed(void)
{
	static uint8_t buf[4096], val[4096];
	size_t i, len;
	orth_err e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		arena_reset(&A);
		len = unhex(bad[i].hex, buf, sizeof(buf));
		memset(val, 0, sizeof(val));
		e = der_decode(bad[i].t, buf, len, &A, val);
		if (e != bad[i].want)
			fprintf(stderr, "malformed '%s': got %d (%s), want %d\n",
				bad[i].name, e, orth_err_str(e), bad[i].want);
		EXPECT_EQ_INT(e, bad[i].want);
	}
}

static void
test_limits(void)
{
	static uint8_t buf[70000], val[4096];
	size_t n, i, depth = 10000, inner;
	PrincipalName *pn;
	struct arena small;

	/* 10,000 nested SEQUENCEs with definite 3-octet lengths. */
	n = 0;
	for (i = 0; i < depth; i++) {
		inner = (depth - i - 1) * 5;
		buf[n++] = 0x30;
		buf[n++] = 0x83;
		buf[n++] = (uint8_t)(inner >> 16);
		buf[n++] = (uint8_t)(inner >> 8);
		buf[n++] = (uint8_t)inner;
	}
	arena_reset(&A);
	EXPECT(der_decode(&asn1_AS_REQ, buf, n, &A, val) != ORTH_OK);
	EXPECT(der_decode(&asn1_PrincipalName, buf, n, &A, val) != ORTH_OK);
	EXPECT(der_decode(&asn1_AuthorizationData, buf, n, &A, val) != ORTH_OK);
	EXPECT(der_decode(&asn1_METHOD_DATA, buf, n, &A, val) != ORTH_OK);
	/* Nested APPLICATION 1 (Ticket) and context tags. */
	n = 0;
	for (i = 0; i < depth; i++) {
		inner = (depth - i - 1) * 5;
		buf[n++] = i % 2 ? 0xa0 : 0x61;
		buf[n++] = 0x83;
		buf[n++] = (uint8_t)(inner >> 16);
		buf[n++] = (uint8_t)(inner >> 8);
		buf[n++] = (uint8_t)inner;
	}
	EXPECT(der_decode(&asn1_Ticket, buf, n, &A, val) != ORTH_OK);

	/* SEQUENCE OF at the cap, and one above. */
	for (int count = DER_MAX_SEQ_OF; count <= DER_MAX_SEQ_OF + 1; count++) {
		size_t body = (size_t)count * 3;
		n = 0;
		buf[n++] = 0x30;
		buf[n++] = 0x82;
		buf[n++] = (uint8_t)((body + 13) >> 8);
		buf[n++] = (uint8_t)(body + 13);
		memcpy(buf + n, "\xa0\x03\x02\x01\x01\xa1\x82", 7);
		n += 7;
		buf[n++] = (uint8_t)((body + 4) >> 8);
		buf[n++] = (uint8_t)(body + 4);
		buf[n++] = 0x30;
		buf[n++] = 0x82;
		buf[n++] = (uint8_t)(body >> 8);
		buf[n++] = (uint8_t)body;
		for (i = 0; i < (size_t)count; i++) {
			buf[n++] = 0x1b;
			buf[n++] = 0x01;
			buf[n++] = 'a';
		}
		arena_reset(&A);
		pn = arena_alloc(&A, sizeof(*pn));
		EXPECT_EQ_INT(der_decode(&asn1_PrincipalName, buf, n, &A, pn),
			      count > DER_MAX_SEQ_OF ? ORTH_E_LIMIT : ORTH_OK);
		if (count == DER_MAX_SEQ_OF)
			expect_roundtrip("name at cap", &asn1_PrincipalName, buf, n);
	}

	/* An arena too small is ORTH_E_LIMIT, not a crash. */
	EXPECT_EQ_INT(arena_init(&small, 40), ORTH_OK);
	n = unhex("301da003020102a11630141b066b72627467741b0a544553542e5245414c4d",
		  buf, sizeof(buf));
	pn = arena_alloc(&A, sizeof(*pn));
	EXPECT_EQ_INT(der_decode(&asn1_PrincipalName, buf, n, &small, pn), ORTH_E_LIMIT);
	arena_reset(&small);
	EXPECT_EQ_INT(der_decode(&asn1_PrincipalName, buf, n - 1, &small, pn), ORTH_E_TRUNCATED);
	arena_free(&small);

	/* der_peek_application_tag */
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x6a\x00", 2), 10);
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x7e\x00", 2), 30);
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x30\x00", 2), -1);
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x4a\x00", 2), -1);
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x6a\x05", 2), -1);
	EXPECT_EQ_INT(der_peek_application_tag((const uint8_t *)"\x6a", 1), -1);
	EXPECT_EQ_INT(der_peek_application_tag(NULL, 0), -1);
}

/* Every prefix and every single-byte corruption of a real message is
 * either rejected or re-encodes to itself: never a crash. */
static void
test_mutations(void)
{
	static uint8_t buf[8192], mut[8192], val[4096];
	size_t len, i, cut;
	int bit;
	uint8_t *enc;
	size_t enc_len;
	orth_err e;
	int stable = 1;

	len = read_vector("as-req-padata", buf, sizeof(buf));
	for (cut = 0; cut < len; cut++) {
		arena_reset(&A);
		EXPECT(der_decode(&asn1_AS_REQ, buf, cut, &A, val) != ORTH_OK);
	}
	for (i = 0; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(mut, buf, len);
			mut[i] ^= (uint8_t)(1u << bit);
			arena_reset(&A);
			memset(val, 0, sizeof(AS_REQ));
			e = der_decode(&asn1_AS_REQ, mut, len, &A, val);
			if (e != ORTH_OK)
				continue;
			if (der_encode_arena(&asn1_AS_REQ, val, &A, &enc, &enc_len) != ORTH_OK)
				stable = 0;
			else if (enc_len == len && memcmp(enc, mut, len) == 0)
				continue;
			/* der.c's one leniency: a flipped bit made the nonce a
			 * negative INTEGER, read as UInt32; it re-encodes with a
			 * leading 00 (longer), and that encoding is stable. */
			else if (enc_len <= len || der_decode(&asn1_AS_REQ, enc, enc_len, &A, val) != ORTH_OK)
				stable = 0;
		}
	}
	EXPECT(stable);
}

/* test_asn1 VECTORS SEEDDIR: write generated seed inputs for the fuzz
 * harnesses to SEEDDIR/<name>/gen-N (how fuzz/corpus was made). */
static int
write_seeds(const char *dir)
{
	static const struct {
		const char *name;
		const struct der_type *t;
	} seeds[] = {
		{"as_req", &asn1_AS_REQ}, {"tgs_req", &asn1_TGS_REQ},
		{"as_rep", &asn1_AS_REP}, {"tgs_rep", &asn1_TGS_REP},
		{"ap_req", &asn1_AP_REQ}, {"ap_rep", &asn1_AP_REP},
		{"krb_error", &asn1_KRB_ERROR}, {"krb_cred", &asn1_KRB_CRED},
		{"krb_safe", &asn1_KRB_SAFE}, {"krb_priv", &asn1_KRB_PRIV},
		{"enc_ticket_part", &asn1_EncTicketPart},
		{"authenticator", &asn1_Authenticator},
		{"enc_kdc_rep_part", &asn1_EncASRepPart},
		{"pa_enc_ts_enc", &asn1_PA_ENC_TS_ENC},
		{"etype_info2", &asn1_ETYPE_INFO2}, {"method_data", &asn1_METHOD_DATA},
	};
	char path[1024];
	size_t i, k, len;
	uint8_t *val, *enc;
	FILE *f;

	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		for (k = 0; k < 4; k++) {
			arena_reset(&A);
			val = arena_alloc(&A, seeds[i].t->size);
			fill(seeds[i].t, val, 3); /* depth 3: fewer optionals, small seeds */
			if (der_encode_arena(seeds[i].t, val, &A, &enc, &len) != ORTH_OK)
				return 1;
			snprintf(path, sizeof(path), "%s/%s/gen-%zu", dir, seeds[i].name, k);
			f = fopen(path, "wb");
			if (f == NULL || fwrite(enc, 1, len, f) != len)
				return 1;
			fclose(f);
		}
	}
	return 0;
}

/* INTEGER octet counts at each edge of the encoder's ladder (1..5
 * octets), Int32 and UInt32, and the round trip. */
static void
test_integer_edges(void)
{
	static const struct {
		long long v;
		size_t octets;
	} cases[] = {
		{0, 1}, {-1, 1}, {127, 1}, {-128, 1}, {128, 2}, {-129, 2},
		{32767, 2}, {-32768, 2}, {32768, 3}, {-32769, 3},
		{8388607, 3}, {-8388608, 3}, {8388608, 4}, {-8388609, 4},
		{2147483647LL, 4}, {-2147483647LL - 1, 4},
		{2147483648LL, 5}, {4294967295LL, 5},
	};
	uint8_t *enc;
	size_t len, i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long v = cases[i].v;
		bool is_u = v > 2147483647LL;
		int32_t s32 = (int32_t)v, s32_back = 0;
		uint32_t u32 = (uint32_t)v, u32_back = 0;
		const struct der_type *t = is_u ? &asn1_UInt32 : &asn1_Int32;
		void *in = is_u ? (void *)&u32 : (void *)&s32;
		void *out = is_u ? (void *)&u32_back : (void *)&s32_back;

		arena_reset(&A);
		if (der_encode_arena(t, in, &A, &enc, &len) != ORTH_OK) {
			EXPECT(!"encode");
			continue;
		}
		EXPECT(len == 2 + cases[i].octets);
		EXPECT(der_decode(t, enc, len, &A, out) == ORTH_OK);
		EXPECT(is_u ? u32_back == u32 : s32_back == s32);
	}
}

/* Long-form lengths at the edges of one, two and three length octets:
 * the header bytes the encoder writes and the round trip. */
static void
test_long_lengths(void)
{
	static const size_t lens[] = {127, 128, 255, 256, 65535, 65536};
	static const uint8_t hdr[][5] = {
		{0x04, 0x7f}, {0x04, 0x81, 0x80}, {0x04, 0x81, 0xff},
		{0x04, 0x82, 0x01, 0x00}, {0x04, 0x82, 0xff, 0xff},
		{0x04, 0x83, 0x01, 0x00, 0x00}};
	static const size_t hdr_len[] = {2, 3, 3, 4, 4, 5};
	EncryptedData in, *out;
	uint8_t *enc, *cipher;
	size_t len, i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		arena_reset(&A);
		cipher = arena_alloc(&A, lens[i]);
		EXPECT(cipher != NULL);
		if (cipher == NULL)
			return;
		memset(cipher, 0xa5, lens[i]);
		memset(&in, 0, sizeof(in));
		in.etype = 18;
		in.cipher.data = cipher;
		in.cipher.len = lens[i];
		if (der_encode_arena(&asn1_EncryptedData, &in, &A, &enc, &len) != ORTH_OK) {
			EXPECT(!"encode");
			continue;
		}
		/* The OCTET STRING is the last field: its header is right
		 * before its content at the end. */
		EXPECT(len > lens[i] + hdr_len[i]);
		EXPECT_MEM(enc + len - lens[i] - hdr_len[i], hdr[i], hdr_len[i]);
		out = arena_alloc(&A, sizeof(*out));
		if (out == NULL ||
		    der_decode(&asn1_EncryptedData, enc, len, &A, out) != ORTH_OK) {
			EXPECT(!"decode");
			continue;
		}
		EXPECT(out->cipher.len == lens[i]);
		EXPECT_MEM(out->cipher.data, cipher, lens[i]);
	}
}

/* der_time_format() and der_time_parse() keep the last few dates per
 * thread: interleaved days, more of them than the memo holds, and a bad
 * time or date after a good one must give what gmtime_r() says and what
 * a fresh parse would. */
static void
test_time_memo(void)
{
	static const long long day_steps[] = {0, 1, 4, 0, 8, -4, 1, 400, 0, 3};
	const long long base = 1795645609LL; /* 2026-11-26 */
	struct tm tm;
	char got[16], want[16];
	int64_t back;
	size_t i, k;

	for (k = 0; k < 3; k++) {
		for (i = 0; i < sizeof(day_steps) / sizeof(day_steps[0]); i++) {
			long long secs = base + day_steps[i] * 86400 + (long long)k * 3607 + (long long)i;
			time_t t = (time_t)secs;

			EXPECT(gmtime_r(&t, &tm) != NULL);
			strftime(want, sizeof(want), "%Y%m%d%H%M%SZ", &tm);
			EXPECT(der_time_format(secs, got) == ORTH_OK);
			EXPECT_MEM(got, want, 15);
			EXPECT(der_time_parse((const uint8_t *)got, 15, &back) == ORTH_OK);
			EXPECT(back == secs);
			EXPECT(der_time_format(0, got) == ORTH_OK);
			EXPECT_MEM(got, "19700101000000Z", 15);
		}
	}
	/* The date of a good time is kept; its bad siblings still fail. */
	EXPECT(der_time_parse((const uint8_t *)"20261126235959Z", 15, &back) == ORTH_OK);
	EXPECT(der_time_parse((const uint8_t *)"20261126245959Z", 15, &back) == ORTH_E_RANGE);
	EXPECT(der_time_parse((const uint8_t *)"20261126236059Z", 15, &back) == ORTH_E_RANGE);
	EXPECT(der_time_parse((const uint8_t *)"20261126235960Z", 15, &back) == ORTH_E_RANGE);
	EXPECT(der_time_parse((const uint8_t *)"2026112623595aZ", 15, &back) == ORTH_E_RANGE);
	EXPECT(der_time_parse((const uint8_t *)"20261126235959+", 15, &back) == ORTH_E_RANGE);
	/* A bad date next to a good one is not taken from the memo. */
	EXPECT(der_time_parse((const uint8_t *)"20230226000000Z", 15, &back) == ORTH_OK);
	EXPECT(der_time_parse((const uint8_t *)"20230230000000Z", 15, &back) == ORTH_E_RANGE);
	EXPECT(der_time_parse((const uint8_t *)"20230226000000Z", 15, &back) == ORTH_OK);
	EXPECT(back == 1677369600LL);
	EXPECT(der_time_parse((const uint8_t *)"2023a226000000Z", 15, &back) == ORTH_E_RANGE);
	/* Out of range stays out of range, whatever is kept. */
	EXPECT(der_time_format(253402300800LL, got) == ORTH_E_RANGE);
	EXPECT(der_time_format(-62167219201LL, got) == ORTH_E_RANGE);
	EXPECT(der_time_format(-62167219200LL, got) == ORTH_OK);
	EXPECT_MEM(got, "00000101000000Z", 15);
}

int
main(int argc, char **argv)
{
	vectors_dir = argc > 1 ? argv[1] : "tests/vectors";
	if (arena_init(&A, 1 << 22) != ORTH_OK)
		return 1;
	if (argc > 2)
		return write_seeds(argv[2]);
	test_known();
	test_all_types();
	test_mit();
	test_malformed();
	test_limits();
	test_mutations();
	test_time_memo();
	test_long_lengths();
	test_integer_edges();
	arena_free(&A);
	return test_done("asn1");
}
