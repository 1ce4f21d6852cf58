/*
 * test_spake.c - SPAKE pre-authentication (src/proto/spake.h,
 * src/crypto/spake_group.h): the RFC 9588 Appendix C test vectors (the
 * ones for the enctypes and groups we have: w, T, S, K from both sides,
 * the messages, the transcript hash, K'[0..3]); PA-SPAKE messages that
 * must be refused; public values that must be refused; the KDC's state
 * codec; and whole exchanges between the KDC and client functions, right
 * and wrong.
 *
 *   test_spake                       run the tests
 *   test_spake --write-seeds DIR     also write the seeds of fuzz/corpus/spake
 *                                    (valid messages for the fixed key and
 *                                    states of spake_fixture.h)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <sodium.h>

#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/spake.h"
#include "../test.h"
#include "spake_fixture.h"

#define PREAUTH_FAILED ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED)

static struct arena A;

/* Hex (spaces allowed) to bytes; returns the length. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n >= cap)
				abort();
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

static bool
key_is(const struct crypto_key *k, const uint8_t *want, size_t len)
{
	size_t klen = 0;
	const uint8_t *b = crypto_key_bytes(k, &klen);
	return klen == len && memcmp(b, want, len) == 0;
}

static bool
keys_equal(const struct crypto_key *a, const struct crypto_key *b)
{
	size_t alen = 0, blen = 0;
	const uint8_t *ab = crypto_key_bytes(a, &alen);
	const uint8_t *bb = crypto_key_bytes(b, &blen);
	return crypto_key_enctype(a) == crypto_key_enctype(b) && alen == blen &&
	       memcmp(ab, bb, alen) == 0;
}

/* ---- RFC 9588 Appendix C ------------------------------------------------ */

/* The KDC-REQ-BODY every vector uses, but for its one etype (last byte). */
#define BODY_PREFIX                                                           \
	"3075A00703050000000000A1143012A003020101A10B30091B07726165627572"    \
	"6EA2101B0E415448454E412E4D49542E454455A3233021A003020102A11A3018"    \
	"1B066B72627467741B0E415448454E412E4D49542E454455A511180F31393730"    \
	"303130313030303030305AA703020100A80530030201"

static const struct vector {
	const char *name;
	int32_t enctype;
	int32_t group;
	const char *ikey, *w, *x, *y, *T, *S, *K;
	const char *support; /* NULL: an optimistic challenge */
	const char *challenge, *thash, *body;
	const char *k0, *k1, *k2, *k3;
} vectors[] = {
	{"aes128-cts-hmac-sha1-96 edwards25519", 17, 1,
	 "FCA822951813FB252154C883F5EE1CF4",
	 "0D591B197B667E083C2F5F98AC891D3C9F99E710E464E62F1FB7C9B67936F3EB",
	 "50BE049A5A570FA1459FB9F666E6FD80602E4E87790A0E567F12438A2C96C138",
	 "B877AFE8612B406D96BE85BD9F19D423E95BE96C0E1E0B5824127195C3ED5917",
	 "9E9311D985C1355E022D7C3C694AD8D6F7AD6D647B68A90B0FE46992818002DA",
	 "FBE08F7F96CD5D4139E7C9ECCB95E79B8ACE41E270A60198C007DF18525B628E",
	 "C2F7F99997C585E6B686CEB62DB42F17CC70932DEF3BB4CF009E36F22EA5473D",
	 "A0093007A0053003020101",
	 "A1363034A003020101A12204209E9311D985C1355E022D7C3C694AD8D6F7AD6D"
	 "647B68A90B0FE46992818002DAA20930073005A003020101",
	 "951285F107C87F0169B9C918A1F51F60CB1A75B9F8BB799A99F53D03ADD94B5F",
	 BODY_PREFIX "11",
	 "548022D58A7C47EAE8C49DCCF6BAA407", "B2C9BA0E13FC8AB3A9D96B51B601CF4A",
	 "69F0EE5FDB6C237E7FCD38D9F87DF1BD", "78F91E2240B5EE528A5CC8D7CBEBFBA5"},
	{"aes256-cts-hmac-sha1-96 edwards25519", 18, 1,
	 "01B897121D933AB44B47EB5494DB15E50EB74530DBDAE9B634D65020FF5D88C1",
	 "E902341590A1B4BB4D606A1C643CCCB3F2108F1B6AA97B381012B9400C9E3F4E",
	 "88C6C0A4F0241EF217C9788F02C32D00B72E4310748CD8FB5F94717607E6417D",
	 "88B859DF58EF5C69BACDFE681C582754EAAB09A74DC29CFF50B328613C232F55",
	 "6F301AACAE1220E91BE42868C163C5009AEEA1E9D9E28AFCFC339CDA5E7105B5",
	 "9E2CC32908FC46273279EC75354B4AEAFA70C3D99A4D507175ED70D80B255DDA",
	 "CF57F58F6E60169D2ECC8F20BB923A8E4C16E5BC95B9E64B5DC870DA7026321B",
	 "A0093007A0053003020101",
	 "A1363034A003020101A12204206F301AACAE1220E91BE42868C163C5009AEEA1"
	 "E9D9E28AFCFC339CDA5E7105B5A20930073005A003020101",
	 "1C605649D4658B58CBE79A5FAF227ACC16C355C58B7DADE022F90C158FE5ED8E",
	 BODY_PREFIX "12",
	 "A9BFA71C95C575756F922871524B65288B3F695573CCC0633E87449568210C23",
	 "1865A9EE1EF0640EC28AC007391CAC624C42639C714767A974E99AA10003015F",
	 "E57781513FEFDB978E374E156B0DA0C1A08148F5EB26B8E157AC3C077E28BF49",
	 "008E6487293C3CC9FABBBCDD8B392D6DCB88222317FD7FE52D12FBC44FA047F1"},
	{"aes256-cts-hmac-sha1-96 P-256", 18, 2,
	 "01B897121D933AB44B47EB5494DB15E50EB74530DBDAE9B634D65020FF5D88C1",
	 "EB2984AF18703F94DD5288B8596CD36988D0D4E83BFB2B44DE14D0E95E2090BD",
	 "935DDD725129FB7C6288E1A5CC45782198A6416D1775336D71EACD0549A3E80E",
	 "E07405EB215663ABC1F254B8ADC0DA7A16FEBAA011AF923D79FDEF7C42930B33",
	 "024F62078CEB53840D02612195494D0D0D88DE21FEEB81187C71CBF3D01E71788D",
	 "021D07DC31266FC7CFD904CE2632111A169B7EC730E5F74A7E79700F86638E13C8",
	 "0268489D7A9983F2FDE69C6E6A1307E9D252259264F5F2DFC32F58CCA19671E79B",
	 "A0093007A0053003020102",
	 "A1373035A003020102A1230421024F62078CEB53840D02612195494D0D0D88DE"
	 "21FEEB81187C71CBF3D01E71788DA20930073005A003020101",
	 "20AD3C1A9A90FC037D1963A1C4BFB15AB4484D7B6CF07B12D24984F14652DE60",
	 BODY_PREFIX "12",
	 "7D3B906F7BE49932DB22CD3463F032D06C9C078BE4B1D076D201FC6E61EF531E",
	 "17D74E36F8993841FBB7FEB12FA4F011243D3AE4D2ACE55B39379294BBC4DB2C",
	 "D192C9044081A2AA6A97A6C69E2724E8E5671C2C9CE073DD439CDBAF96D7DAB0",
	 "41E5BAD6B67F12C53CE0E2720DD6A9887F877BF9463C2D5209C74C36F8D776B7"},
	{"aes256-cts-hmac-sha1-96 edwards25519, optimistic challenge", 18, 1,
	 "01B897121D933AB44B47EB5494DB15E50EB74530DBDAE9B634D65020FF5D88C1",
	 "E902341590A1B4BB4D606A1C643CCCB3F2108F1B6AA97B381012B9400C9E3F4E",
	 "70937207344CAFBC53C8A55070E399C584CBAFCE00B836980DD4E7E74FAD2A64",
	 "785D6801A2490DF028903AC6449B105F2FF0DB895B252953CDC2076649526103",
	 "83523B35F1565006CBFC4F159885467C2FB9BC6FE23D36CB1DA43D199F1A3118",
	 "2A8F70F46CEE9030700037B77F22CEC7970DCC238E3E066D9D726BAF183992C6",
	 "D3C5E4266AA6D1B2873A97CE8AF91C7E4D7A7AC456ACCED7908D34C561AD8FA6",
	 NULL,
	 "A1363034A003020101A122042083523B35F1565006CBFC4F159885467C2FB9BC"
	 "6FE23D36CB1DA43D199F1A3118A20930073005A003020101",
	 "26F07F9F8965307434D11EA855461D41E0CBABCC0A1BAB48ECEE0C6C1A4292B7",
	 BODY_PREFIX "12",
	 "4569EC08B5DE5C3CC19D941725913ACE8D74524B521A341DC746ACD5C3784D92",
	 "0D96CE1A4AC0F2E280A0CFC31742B06461D83D04AE45433DB2D80478DD882A4C",
	 "58018C19315A1BA5D5BB9813B58029F0AEC18A6F9CA59E0847DE1C60BC25945C",
	 "ED7E9BFFD68C54D86FB19CD3C03F317F88A71AD9A5E94C28581D93FC4EC72B6A"},
};

#define BUF 256

static void
check_vector(const struct vector *v)
{
	uint8_t ikey[BUF], w[BUF], x[BUF], y[BUF], T[BUF], S[BUF], K[BUF];
	uint8_t support[BUF], challenge[BUF], thash[BUF], body[BUF], kn[4][BUF];
	uint8_t got[BUF], th[CRYPTO_SPAKE_MAX_HASH] = {0};
	size_t ikey_len, w_len, elen, support_len = 0, challenge_len, body_len;
	size_t thash_len, kn_len[4], enc_len = 0;
	const char *kn_hex[4] = {v->k0, v->k1, v->k2, v->k3};
	struct crypto_key *ik = NULL, *pw = NULL, *kd = NULL;
	const struct crypto_spake_group *g = crypto_spake_group_get(v->group);
	SPAKESecondFactor none = {.type = SPAKE_SF_NONE, .data = NULL};
	struct spake_msg m;
	uint8_t *enc = NULL;

	fprintf(stderr, "vector: %s\n", v->name);
	EXPECT(g != NULL);
	if (g == NULL)
		return;
	ikey_len = unhex(v->ikey, ikey, BUF);
	w_len = unhex(v->w, w, BUF);
	unhex(v->x, x, BUF);
	unhex(v->y, y, BUF);
	elen = unhex(v->T, T, BUF);
	unhex(v->S, S, BUF);
	unhex(v->K, K, BUF);
	if (v->support != NULL)
		support_len = unhex(v->support, support, BUF);
	challenge_len = unhex(v->challenge, challenge, BUF);
	thash_len = unhex(v->thash, thash, BUF);
	body_len = unhex(v->body, body, BUF);
	for (int i = 0; i < 4; i++)
		kn_len[i] = unhex(kn_hex[i], kn[i], BUF);
	EXPECT_EQ_INT(w_len, g->scalar_len);
	EXPECT_EQ_INT(elen, g->elem_len);
	EXPECT_EQ_INT(thash_len, g->hash_len);

	/* The initial key is string-to-key("password", "ATHENA.MIT.EDUraeburn"). */
	EXPECT_EQ_INT(crypto_key_new(v->enctype, ikey, ikey_len, &ik), ORTH_OK);
	EXPECT_EQ_INT(crypto_string_to_key(v->enctype, "password", 8,
					   (const uint8_t *)"ATHENA.MIT.EDUraeburn",
					   21, NULL, 0, &pw),
		      ORTH_OK);
	EXPECT(pw != NULL && key_is(pw, ikey, ikey_len));
	if (ik == NULL)
		goto out;

	/* w: the PRF+ output. */
	EXPECT_EQ_INT(spake_w_derive(v->group, ik, got), ORTH_OK);
	EXPECT_MEM(got, w, w_len);

	/* T = x*G + w*M, S = y*G + w*N. */
	EXPECT_EQ_INT(crypto_spake_public(v->group, CRYPTO_SPAKE_KDC, w, x, got),
		      ORTH_OK);
	EXPECT_MEM(got, T, elen);
	EXPECT_EQ_INT(crypto_spake_public(v->group, CRYPTO_SPAKE_CLIENT, w, y,
					  got),
		      ORTH_OK);
	EXPECT_MEM(got, S, elen);

	/* K from both sides. */
	memset(got, 0, sizeof(got));
	EXPECT_EQ_INT(crypto_spake_result(v->group, CRYPTO_SPAKE_KDC, w, x, S,
					  elen, got),
		      ORTH_OK);
	EXPECT_MEM(got, K, elen);
	memset(got, 0, sizeof(got));
	EXPECT_EQ_INT(crypto_spake_result(v->group, CRYPTO_SPAKE_CLIENT, w, y,
					  T, elen, got),
		      ORTH_OK);
	EXPECT_MEM(got, K, elen);

	/* The messages: ours encode to the vector's bytes and back. */
	memset(&m, 0, sizeof(m));
	m.kind = SPAKE_MSG_CHALLENGE;
	m.u.challenge.group = v->group;
	m.u.challenge.pubkey.data = T;
	m.u.challenge.pubkey.len = elen;
	m.u.challenge.factors.len = 1;
	m.u.challenge.factors.val = &none;
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(enc_len, challenge_len);
	EXPECT(enc != NULL && memcmp(enc, challenge, challenge_len) == 0);
	memset(&m, 0, sizeof(m));
	EXPECT_EQ_INT(spake_msg_decode(challenge, challenge_len, &A, &m),
		      ORTH_OK);
	EXPECT_EQ_INT(m.kind, SPAKE_MSG_CHALLENGE);
	EXPECT_EQ_INT(m.u.challenge.group, v->group);
	EXPECT_EQ_INT(m.u.challenge.factors.len, 1);
	if (v->support != NULL) {
		int32_t grp = v->group;
		memset(&m, 0, sizeof(m));
		m.kind = SPAKE_MSG_SUPPORT;
		m.u.support.groups.len = 1;
		m.u.support.groups.val = &grp;
		EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
		EXPECT_EQ_INT(enc_len, support_len);
		EXPECT(enc != NULL && memcmp(enc, support, support_len) == 0);
	}

	/* The transcript: support || challenge, then S. */
	EXPECT_EQ_INT(spake_thash_update(v->group, th,
					 v->support ? support : NULL,
					 support_len, challenge, challenge_len),
		      ORTH_OK);
	EXPECT_EQ_INT(spake_thash_update(v->group, th, S, elen, NULL, 0),
		      ORTH_OK);
	EXPECT_MEM(th, thash, thash_len);

	/* K'[0..3]. */
	for (uint32_t n = 0; n < 4; n++) {
		kd = NULL;
		EXPECT_EQ_INT(spake_key_derive(v->group, ik, w, K, thash, body,
					       body_len, n, &kd),
			      ORTH_OK);
		EXPECT(kd != NULL && crypto_key_enctype(kd) == v->enctype &&
		       key_is(kd, kn[n], kn_len[n]));
		crypto_key_free(kd);
	}

	/* The KDC's verification of a response built from the vector's S
	 * and a factor under K'[1] gives K'[0]. */
	{
		struct spake_kdc_state st;
		SPAKEResponse resp;
		struct crypto_key *k1 = NULL, *k0 = NULL;

		memset(&st, 0, sizeof(st));
		memset(&resp, 0, sizeof(resp));
		st.group = v->group;
		st.enctype = v->enctype;
		memcpy(st.x, x, g->scalar_len);
		memset(st.thash, 0, sizeof(st.thash));
		EXPECT_EQ_INT(spake_thash_update(v->group, st.thash,
						 v->support ? support : NULL,
						 support_len, challenge,
						 challenge_len),
			      ORTH_OK);
		resp.pubkey.data = S;
		resp.pubkey.len = elen;
		EXPECT_EQ_INT(crypto_key_new(v->enctype, kn[1], kn_len[1], &k1),
			      ORTH_OK);
		EXPECT_EQ_INT(proto_seal(k1, SPAKE_KEY_USAGE,
					 &asn1_SPAKESecondFactor, &none, &A,
					 &resp.factor),
			      ORTH_OK);
		EXPECT_EQ_INT(spake_kdc_response_verify(&st, ik, &resp, body,
							body_len, &A, &k0),
			      ORTH_OK);
		EXPECT(k0 != NULL && key_is(k0, kn[0], kn_len[0]));
		crypto_key_free(k0);
		crypto_key_free(k1);
	}
out:
	crypto_key_free(ik);
	crypto_key_free(pw);
}

/* ---- messages ----------------------------------------------------------- */

static void
check_messages(void)
{
	/* Valid ones decode and re-encode to the same bytes. */
	static const char *good[] = {
		"A0093007A0053003020101",                     /* support {1} */
		"A00C300AA0083006020101020102",               /* support {1, 2} */
		/* challenge of the first vector */
		("A1363034A003020101A12204209E9311D985C1355E022D7C3C694AD8D6F7AD6D"
		 "647B68A90B0FE46992818002DAA20930073005A003020101"),
		/* challenge with a factor carrying data */
		"A11B3019A003020101A1030401AAA20D300B3009A003020102A1020400",
		/* response: pubkey, EncryptedData {etype 18, cipher 00} */
		"A2163014A0030401AAA10D300BA003020112A2040402CAFE",
		/* encdata */
		"A30D300BA003020112A2040402CAFE",
	};
	static const struct {
		const char *why, *hex;
	} bad[] = {
		{"empty", ""},
		{"unknown alternative [4]", "A40D300BA003020112A2040402CAFE"},
		{"universal tag instead of [0]", "30093007A0053003020101"},
		{"primitive [0]", "80093007A0053003020101"},
		{"two alternatives", "A0093007A0053003020101A0093007A0053003020101"},
		{"two different alternatives",
		 "A0093007A0053003020101A30D300BA003020112A2040402CAFE"},
		{"out of order", "A30D300BA003020112A2040402CAFEA0093007A0053003020101"},
		{"trailing byte", "A0093007A005300302010100"},
		{"trailing zero TLV", "A0093007A00530030201010000"},
		{"truncated", "A0093007A00530030201"},
		{"length past the end", "A00A3007A0053003020101"},
		{"indefinite length", "A0803007A005300302010100 00"},
		{"non-minimal length", "A081093007A0053003020101"},
		{"support: no groups (SIZE 1..MAX)", "A0063004A0023000"},
		{"support: empty SEQUENCE", "A0023000"},
		{"support: group not an INTEGER", "A0093007A0053003040101"},
		{"support: non-minimal INTEGER", "A00A3008A006300402020001"},
		{"support: group out of Int32",
		 "A00D300BA009300702050100000000"},
		{"support: unknown field [1]",
		 "A00E300CA0053003020101A1030201 01"},
		{"challenge: no factors (SIZE 1..MAX)",
		 "A110300EA003020101A1030401AAA2023000"},
		{"challenge: a factor that is an empty SEQUENCE",
		 "A1123010A003020101A1030401AAA20430023000"},
		{"challenge: pubkey missing",
		 "A1123010A003020101A20930073005A003020101"},
		{"challenge: factor without type",
		 "A1143012A003020101A1030401AAA2063004 3002 A100"},
		{"response: factor not EncryptedData",
		 "A20C300AA0030401AAA1033001 00"},
		{"response: extra field",
		 "A21B3019A0030401AAA10D300BA003020112A2040402CAFEA203020100"},
		{"encdata: cipher missing", "A307 3005A003020112"},
		{"wrong inner tag", "A003A00100"},
	};
	uint8_t buf[512], *enc = NULL;
	size_t len, enc_len = 0;
	struct spake_msg m;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		len = unhex(good[i], buf, sizeof(buf));
		memset(&m, 0, sizeof(m));
		EXPECT_EQ_INT(spake_msg_decode(buf, len, &A, &m), ORTH_OK);
		EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
		EXPECT_EQ_INT(enc_len, len);
		EXPECT(enc != NULL && memcmp(enc, buf, len) == 0);
		if (enc_len != len || (enc != NULL && memcmp(enc, buf, len) != 0))
			fprintf(stderr, "  round trip of good[%zu] differs\n", i);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		orth_err e;
		len = unhex(bad[i].hex, buf, sizeof(buf));
		memset(&m, 0, sizeof(m));
		e = spake_msg_decode(buf, len, &A, &m);
		EXPECT(e != ORTH_OK &&
		       orth_err_class(e) == ORTH_CLASS_MALFORMED);
		if (e == ORTH_OK || orth_err_class(e) != ORTH_CLASS_MALFORMED)
			fprintf(stderr, "  accepted bad message: %s (%d)\n",
				bad[i].why, (int)e);
	}
	/* A long message: the wrapper's long-form header. */
	{
		static uint8_t big[2000];
		static const uint8_t hdr[] = {0xA3, 0x82, 0x07, 0xCA, 0x30,
					      0x82, 0x07, 0xC6, 0xA0, 0x03,
					      0x02, 0x01, 0x12, 0xA2, 0x82,
					      0x07, 0xBD, 0x04, 0x82, 0x07,
					      0xB9};
		size_t total = 4 + 0x7CA;
		memcpy(big, hdr, sizeof(hdr));
		memset(&m, 0, sizeof(m));
		EXPECT_EQ_INT(spake_msg_decode(big, total, &A, &m), ORTH_OK);
		EXPECT_EQ_INT(m.kind, SPAKE_MSG_ENCDATA);
		EXPECT_EQ_INT(m.u.encdata.cipher.len, 0x7B9);
		EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
		EXPECT(enc_len == total && memcmp(enc, big, total) == 0);
	}
	/* The encoder refuses what the schema forbids. */
	memset(&m, 0, sizeof(m));
	m.kind = SPAKE_MSG_SUPPORT;
	EXPECT(spake_msg_encode(&m, &A, &enc, &enc_len) != ORTH_OK);
	m.kind = (enum spake_msg_kind)7;
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_E_INTERNAL);
}

/* ---- refused public values ---------------------------------------------- */

static void
expect_refused(int32_t group, enum crypto_spake_role role, const uint8_t *w,
	       const uint8_t *priv, const uint8_t *pub, size_t len,
	       const char *why)
{
	uint8_t k[CRYPTO_SPAKE_MAX_ELEM + 8], before[sizeof(k)];
	orth_err e;

	memset(k, 0x5a, sizeof(k));
	memcpy(before, k, sizeof(k));
	e = crypto_spake_result(group, role, w, priv, pub, len, k);
	EXPECT_EQ_INT(e, ORTH_E_MALFORMED);
	EXPECT(memcmp(k, before, sizeof(k)) == 0);
	if (e != ORTH_E_MALFORMED)
		fprintf(stderr, "  group %d accepted %s\n", (int)group, why);
}

static void
check_bad_points(void)
{
	struct crypto_key *ik = NULL;
	uint8_t w[32], priv[32], pub[CRYPTO_SPAKE_MAX_ELEM], bad[64];
	uint8_t wred[64] = {0}, wr[32], mask[32], order2[32];

	EXPECT_EQ_INT(crypto_key_random(ENCTYPE_AES256_CTS_HMAC_SHA1_96, &ik),
		      ORTH_OK);
	if (ik == NULL)
		return;

	/* edwards25519 */
	EXPECT_EQ_INT(spake_w_derive(1, ik, w), ORTH_OK);
	EXPECT_EQ_INT(crypto_spake_private_random(1, priv), ORTH_OK);
	EXPECT_EQ_INT(priv[0] & 7, 0); /* a multiple of the cofactor */
	EXPECT_EQ_INT(crypto_spake_public(1, CRYPTO_SPAKE_CLIENT, w, priv, pub),
		      ORTH_OK);
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, pub, 31, "31 bytes");
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, pub, 33, "33 bytes");
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, NULL, 0, "nothing");
	memset(bad, 0, 32);
	bad[0] = 1;
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, bad, 32, "the identity");
	unhex("EEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F",
	      bad, 32);
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, bad, 32,
		       "the identity, not canonical (y = p + 1)");
	unhex("ECFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF7F",
	      order2, 32);
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, order2, 32,
		       "the point of order 2");
	unhex("26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05",
	      bad, 32);
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, bad, 32,
		       "a point of order 8");
	memset(bad, 0, 32);
	bad[0] = 2;
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, bad, 32,
		       "y = 2, not on the curve");
	/* A good S plus a torsion point: on the curve, outside the
	 * prime-order subgroup. */
	EXPECT_EQ_INT(crypto_core_ed25519_add(bad, pub, order2), 0);
	EXPECT(crypto_core_ed25519_is_valid_point(pub));
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, bad, 32,
		       "S + a point of order 2");
	/* S = w*N: S - w*N is the identity, K would not depend on x. */
	memcpy(wred, w, 32);
	crypto_core_ed25519_scalar_reduce(wr, wred);
	unhex("D3BFB518F44F3430F29D0C92AF503865A1ED3281DC69B35DD868BA85F886C4AB",
	      bad, 32);
	EXPECT_EQ_INT(crypto_scalarmult_ed25519_noclamp(mask, wr, bad), 0);
	expect_refused(1, CRYPTO_SPAKE_KDC, w, priv, mask, 32, "S = w*N");
	/* and T = w*M on the client's side */
	unhex("D048032C6EA0B6D697DDC2E86BDA85A33ADAC920F1BF18E1B0C6D166A5CECDAF",
	      bad, 32);
	EXPECT_EQ_INT(crypto_scalarmult_ed25519_noclamp(mask, wr, bad), 0);
	expect_refused(1, CRYPTO_SPAKE_CLIENT, w, priv, mask, 32, "T = w*M");

	/* P-256 */
	EXPECT_EQ_INT(spake_w_derive(2, ik, w), ORTH_OK);
	EXPECT_EQ_INT(crypto_spake_private_random(2, priv), ORTH_OK);
	EXPECT_EQ_INT(crypto_spake_public(2, CRYPTO_SPAKE_CLIENT, w, priv, pub),
		      ORTH_OK);
	EXPECT(pub[0] == 2 || pub[0] == 3);
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, pub, 32, "32 bytes");
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, pub, 34, "34 bytes");
	memset(bad, 0, 33);
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 1,
		       "the identity (00)");
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 33, "33 zero bytes");
	memcpy(bad, pub, 33);
	bad[0] = 4;
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 33,
		       "an uncompressed prefix");
	memset(bad, 0, 33);
	bad[0] = 2;
	bad[32] = 1;
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 33,
		       "x = 1, not on the curve");
	memset(bad, 0xff, 33);
	bad[0] = 3;
	expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 33, "x >= p");
	/* S = w*N and T = w*M */
	{
		EC_GROUP *grp = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
		EC_POINT *c = EC_POINT_new(grp), *r = EC_POINT_new(grp);
		BIGNUM *bw = BN_bin2bn(w, 32, NULL);
		uint8_t cm[33], cn[33];

		unhex("02886E2F97ACE46E55BA9DD7242579F2993B64E16EF3DCAB95AFD497333D8FA12F",
		      cm, 33);
		unhex("03D8BBD6C639C62937B04D997F38C3770719C629D7014D49A24B4F98BAA1292B49",
		      cn, 33);
		EXPECT(EC_POINT_oct2point(grp, c, cn, 33, NULL) == 1);
		EXPECT(EC_POINT_mul(grp, r, NULL, c, bw, NULL) == 1);
		EXPECT(EC_POINT_point2oct(grp, r, POINT_CONVERSION_COMPRESSED,
					  bad, 33, NULL) == 33);
		expect_refused(2, CRYPTO_SPAKE_KDC, w, priv, bad, 33, "S = w*N");
		EXPECT(EC_POINT_oct2point(grp, c, cm, 33, NULL) == 1);
		EXPECT(EC_POINT_mul(grp, r, NULL, c, bw, NULL) == 1);
		EXPECT(EC_POINT_point2oct(grp, r, POINT_CONVERSION_COMPRESSED,
					  bad, 33, NULL) == 33);
		expect_refused(2, CRYPTO_SPAKE_CLIENT, w, priv, bad, 33,
			       "T = w*M");
		BN_free(bw);
		EC_POINT_free(c);
		EC_POINT_free(r);
		EC_GROUP_free(grp);
	}

	/* Unknown groups. */
	EXPECT_EQ_INT(crypto_spake_private_random(3, priv), ORTH_E_RANGE);
	EXPECT_EQ_INT(crypto_spake_public(0, CRYPTO_SPAKE_KDC, w, priv, pub),
		      ORTH_E_RANGE);
	EXPECT_EQ_INT(spake_w_derive(4, ik, w), ORTH_E_RANGE);
	crypto_key_free(ik);
}

/* ---- the KDC's state ---------------------------------------------------- */

static void
check_state(void)
{
	struct spake_kdc_state s, t;
	uint8_t buf[SPAKE_KDC_STATE_MAX + 8];
	struct writer w;

	memset(&s, 0, sizeof(s));
	s.group = 2;
	s.enctype = 20;
	for (int i = 0; i < 32; i++) {
		s.x[i] = (uint8_t)i;
		s.thash[i] = (uint8_t)(0x80 + i);
	}
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_state_encode(&s, &w), ORTH_OK);
	EXPECT_EQ_INT(w.len, SPAKE_KDC_STATE_MAX);
	memset(&t, 0xee, sizeof(t));
	EXPECT_EQ_INT(spake_kdc_state_decode(buf, w.len, &t), ORTH_OK);
	EXPECT_EQ_INT(t.group, 2);
	EXPECT_EQ_INT(t.enctype, 20);
	EXPECT_MEM(t.x, s.x, 32);
	EXPECT_MEM(t.thash, s.thash, 32);
	EXPECT(spake_kdc_state_decode(buf, w.len - 1, &t) != ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_state_decode(buf, w.len + 1, &t),
		      ORTH_E_TRAILING);
	EXPECT(spake_kdc_state_decode(buf, 0, &t) != ORTH_OK);
	buf[0] = 2;
	EXPECT_EQ_INT(spake_kdc_state_decode(buf, w.len, &t), ORTH_E_MALFORMED);
	buf[0] = 1;
	buf[4] = 9; /* group 9 */
	EXPECT_EQ_INT(spake_kdc_state_decode(buf, w.len, &t), ORTH_E_MALFORMED);
	spake_kdc_state_wipe(&s);
	EXPECT(sodium_is_zero((const unsigned char *)&s, sizeof(s)));
	/* A state of an unknown group does not encode. */
	s.group = 5;
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_state_encode(&s, &w), ORTH_E_INTERNAL);
	writer_init(&w, buf, 10);
	s.group = 1;
	EXPECT_EQ_INT(spake_kdc_state_encode(&s, &w), ORTH_E_LIMIT);
}

/* ---- whole exchanges ---------------------------------------------------- */

static const uint8_t body1[] = {0x30, 0x03, 0x02, 0x01, 0x01};
static const uint8_t body2[] = {0x30, 0x03, 0x02, 0x01, 0x02};

/* Pass the state through its serialized form, as the cookie will. */
static struct spake_kdc_state
through_cookie(const struct spake_kdc_state *s)
{
	uint8_t buf[SPAKE_KDC_STATE_MAX];
	struct spake_kdc_state t;
	struct writer w;

	memset(&t, 0, sizeof(t));
	writer_init(&w, buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_state_encode(s, &w), ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_state_decode(buf, w.len, &t), ORTH_OK);
	return t;
}

/* A run of the exchange; returns what the KDC's last call returned. */
static orth_err
exchange(int32_t enctype, const int32_t *cgroups, size_t cn,
	 const int32_t *kgroups, size_t kn, bool wrong_password,
	 bool other_body, int32_t *group_out)
{
	struct crypto_key *ck = NULL, *kk = NULL;
	struct spake_client_state cs;
	struct spake_client_reply cr, cr2;
	struct spake_kdc_reply kr, kr2;
	struct spake_kdc_state st;
	struct spake_msg m;
	orth_err e;

	memset(&cs, 0, sizeof(cs));
	memset(&cr, 0, sizeof(cr));
	memset(&cr2, 0, sizeof(cr2));
	memset(&kr, 0, sizeof(kr));
	memset(&kr2, 0, sizeof(kr2));
	EXPECT_EQ_INT(crypto_string_to_key(enctype, "correct horse", 13,
					   (const uint8_t *)"EX.COMalice", 11,
					   NULL, 0, &kk),
		      ORTH_OK);
	EXPECT_EQ_INT(crypto_string_to_key(enctype,
					   wrong_password ? "wrong horse"
							  : "correct horse",
					   wrong_password ? 11 : 13,
					   (const uint8_t *)"EX.COMalice", 11,
					   NULL, 0, &ck),
		      ORTH_OK);
	e = ORTH_E_INTERNAL;
	if (ck == NULL || kk == NULL)
		goto out;

	/* KDC offers (empty PA-SPAKE), client says which groups it takes. */
	EXPECT(!spake_client_key_needed(cgroups, cn, NULL, 0, &A));
	EXPECT_EQ_INT(spake_client_process(&cs, cgroups, cn, NULL, NULL, 0,
					   body1, sizeof(body1), &A, &cr),
		      ORTH_OK);
	EXPECT_EQ_INT(cr.outcome, SPAKE_CLIENT_SUPPORT);
	EXPECT(cs.support_len == cr.msg_len && cr.msg_len > 0);
	EXPECT_EQ_INT(spake_msg_decode(cr.msg, cr.msg_len, &A, &m), ORTH_OK);
	EXPECT_EQ_INT(m.kind, SPAKE_MSG_SUPPORT);
	EXPECT_EQ_INT(m.u.support.groups.len, cn);

	/* KDC: a challenge and the state for the cookie. */
	e = spake_kdc_process(kgroups, kn, kk, cr.msg, cr.msg_len, NULL, body1,
			      sizeof(body1), &A, &kr);
	if (e != ORTH_OK)
		goto out;
	EXPECT_EQ_INT(kr.outcome, SPAKE_KDC_CHALLENGE);
	EXPECT(kr.reply_key == NULL);
	*group_out = kr.state.group;
	st = through_cookie(&kr.state);

	/* Client: the response, and K'[0]. */
	EXPECT(spake_client_key_needed(cgroups, cn, kr.challenge,
				       kr.challenge_len, &A));
	EXPECT_EQ_INT(spake_client_process(&cs, cgroups, cn, ck, kr.challenge,
					   kr.challenge_len, body2,
					   sizeof(body2), &A, &cr2),
		      ORTH_OK);
	EXPECT_EQ_INT(cr2.outcome, SPAKE_CLIENT_RESPONSE);
	EXPECT(cr2.reply_key != NULL);
	EXPECT(cs.responded);

	/* KDC: verify, K'[0]. */
	e = spake_kdc_process(kgroups, kn, kk, cr2.msg, cr2.msg_len, &st,
			      other_body ? body1 : body2,
			      other_body ? sizeof(body1) : sizeof(body2), &A,
			      &kr2);
	if (e == ORTH_OK) {
		EXPECT_EQ_INT(kr2.outcome, SPAKE_KDC_DONE);
		EXPECT(kr2.reply_key != NULL && cr2.reply_key != NULL &&
		       keys_equal(kr2.reply_key, cr2.reply_key));
		/* K'[0] is not the long-term key. */
		EXPECT(!keys_equal(kr2.reply_key, kk));
		EXPECT_EQ_INT(crypto_key_enctype(kr2.reply_key), enctype);
		/* A replayed response against a fresh challenge fails. */
		{
			struct spake_kdc_reply kr3, kr4;
			struct spake_kdc_state st2;

			memset(&kr3, 0, sizeof(kr3));
			memset(&kr4, 0, sizeof(kr4));
			EXPECT_EQ_INT(spake_kdc_process(kgroups, kn, kk, cr.msg,
							cr.msg_len, NULL, body1,
							sizeof(body1), &A,
							&kr3),
				      ORTH_OK);
			st2 = through_cookie(&kr3.state);
			EXPECT_EQ_INT(spake_kdc_process(kgroups, kn, kk, cr2.msg,
							cr2.msg_len, &st2,
							body2, sizeof(body2),
							&A, &kr4),
				      ORTH_E_INTEGRITY);
			EXPECT(kr4.reply_key == NULL);
		}
	} else {
		EXPECT(kr2.reply_key == NULL);
	}
out:
	crypto_key_free(ck);
	crypto_key_free(kk);
	crypto_key_free(cr2.reply_key);
	crypto_key_free(kr2.reply_key);
	return e;
}

static void
check_exchanges(void)
{
	static const int32_t enctypes[] = {17, 18, 19, 20};
	static const int32_t ed[] = {1}, p256[] = {2}, both[] = {1, 2},
			     both_rev[] = {2, 1};
	int32_t group = 0;

	for (size_t i = 0; i < 4; i++) {
		fprintf(stderr, "exchange: enctype %d\n", (int)enctypes[i]);
		group = 0;
		EXPECT_EQ_INT(exchange(enctypes[i], ed, 1, both, 2, false,
				       false, &group),
			      ORTH_OK);
		EXPECT_EQ_INT(group, 1);
		EXPECT_EQ_INT(exchange(enctypes[i], p256, 1, both, 2, false,
				       false, &group),
			      ORTH_OK);
		EXPECT_EQ_INT(group, 2);
		/* The client's preference wins. */
		EXPECT_EQ_INT(exchange(enctypes[i], both_rev, 2, both, 2,
				       false, false, &group),
			      ORTH_OK);
		EXPECT_EQ_INT(group, 2);
		EXPECT_EQ_INT(exchange(enctypes[i], both, 2, p256, 1, false,
				       false, &group),
			      ORTH_OK);
		EXPECT_EQ_INT(group, 2);
		/* A wrong password fails at the KDC, in both groups, as a
		 * wrong key (what lockout counts). */
		EXPECT_EQ_INT(exchange(enctypes[i], ed, 1, ed, 1, true, false,
				       &group),
			      ORTH_E_INTEGRITY);
		EXPECT_EQ_INT(exchange(enctypes[i], p256, 1, p256, 1, true,
				       false, &group),
			      ORTH_E_INTEGRITY);
		/* K'[n] cover the request body: another body fails. */
		EXPECT_EQ_INT(exchange(enctypes[i], ed, 1, ed, 1, false, true,
				       &group),
			      ORTH_E_INTEGRITY);
		/* No group in common. */
		EXPECT_EQ_INT(exchange(enctypes[i], ed, 1, p256, 1, false,
				       false, &group),
			      PREAUTH_FAILED);
	}
}

/* The refusals of each side, one at a time. */
static void
check_refusals(void)
{
	static const int32_t ed[] = {1}, p256[] = {2}, both[] = {1, 2};
	struct crypto_key *k = NULL, *k128 = NULL;
	struct spake_client_state cs;
	struct spake_client_reply cr;
	struct spake_kdc_reply kr, kr2;
	struct spake_kdc_state st;
	struct spake_msg m;
	uint8_t *enc = NULL, *resp = NULL, support[SPAKE_SUPPORT_MAX];
	size_t enc_len = 0, resp_len = 0, support_len;
	uint8_t buf[512];
	size_t len;

	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_random(17, &k128), ORTH_OK);
	if (k == NULL || k128 == NULL)
		goto out;
	memset(&cs, 0, sizeof(cs));
	memset(&cr, 0, sizeof(cr));
	memset(&kr, 0, sizeof(kr));
	memset(&kr2, 0, sizeof(kr2));

	/* KDC: garbage, a response without a cookie, a challenge, encdata,
	 * an empty value. */
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, (const uint8_t *)"\x30\x00",
					2, NULL, body1, sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, NULL, 0, NULL, body1,
					sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	len = unhex("A30D300BA003020112A2040402CAFE", buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, buf, len, NULL, body1,
					sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	len = unhex("A1363034A003020101A12204209E9311D985C1355E022D7C3C694AD8D6F7AD6D"
		    "647B68A90B0FE46992818002DAA20930073005A003020101",
		    buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, buf, len, NULL, body1,
					sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	len = unhex("A2163014A0030401AAA10D300BA003020112A2040402CAFE", buf,
		    sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, buf, len, NULL, body1,
					sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	/* a support message naming only groups we do not know */
	len = unhex("A00C300AA0083006020103020104", buf, sizeof(buf));
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, buf, len, NULL, body1,
					sizeof(body1), &A, &kr),
		      PREAUTH_FAILED);
	/* a group the realm allows but no code supports is never chosen */
	{
		static const int32_t odd[] = {3, 1};
		len = unhex("A00C300AA0083006020103020101", buf, sizeof(buf));
		EXPECT_EQ_INT(spake_kdc_process(odd, 2, k, buf, len, NULL,
						body1, sizeof(body1), &A, &kr),
			      ORTH_OK);
		EXPECT_EQ_INT(kr.state.group, 1);
	}

	/* A real challenge, then responses that go wrong. */
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, NULL, NULL, 0, body1,
					   sizeof(body1), &A, &cr),
		      ORTH_OK);
	memcpy(support, cr.msg, cr.msg_len);
	support_len = cr.msg_len;
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, support, support_len, NULL,
					body1, sizeof(body1), &A, &kr),
		      ORTH_OK);
	st = through_cookie(&kr.state);
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, k, kr.challenge,
					   kr.challenge_len, body2,
					   sizeof(body2), &A, &cr),
		      ORTH_OK);
	resp = cr.msg;
	resp_len = cr.msg_len;
	crypto_key_free(cr.reply_key);
	cr.reply_key = NULL;
	/* the state's enctype is not the key's */
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k128, resp, resp_len, &st,
					body2, sizeof(body2), &A, &kr2),
		      PREAUTH_FAILED);
	/* the realm no longer allows the group */
	EXPECT_EQ_INT(spake_kdc_process(p256, 1, k, resp, resp_len, &st, body2,
					sizeof(body2), &A, &kr2),
		      PREAUTH_FAILED);
	/* S changed in transit: the point is refused or K differs */
	/* S changed in transit into another point: K differs, the factor
	 * does not decrypt (a wrong key, as far as the KDC can tell) */
	EXPECT_EQ_INT(spake_msg_decode(resp, resp_len, &A, &m), ORTH_OK);
	unhex(spake_fx[0].S, m.u.response.pubkey.data, 32);
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len, &st, body2,
					sizeof(body2), &A, &kr2),
		      ORTH_E_INTEGRITY);
	/* ... or into something that is not a point: refused before */
	memset(m.u.response.pubkey.data, 0, 32);
	m.u.response.pubkey.data[0] = 2;
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len, &st, body2,
					sizeof(body2), &A, &kr2),
		      PREAUTH_FAILED);
	/* the factor's ciphertext changed */
	EXPECT_EQ_INT(spake_msg_decode(resp, resp_len, &A, &m), ORTH_OK);
	m.u.response.factor.cipher.data[20] ^= 1;
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len, &st, body2,
					sizeof(body2), &A, &kr2),
		      ORTH_E_INTEGRITY);
	/* the factor under another etype */
	EXPECT_EQ_INT(spake_msg_decode(resp, resp_len, &A, &m), ORTH_OK);
	m.u.response.factor.etype = 17;
	EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
	EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len, &st, body2,
					sizeof(body2), &A, &kr2),
		      PREAUTH_FAILED);
	/* the factor is not SF-NONE, or SF-NONE with data: build them under
	 * the right K'[1] */
	{
		uint8_t w[32], kk[32], th[32];
		struct crypto_key *k1 = NULL;
		struct der_bytes d = {(uint8_t *)"x", 1};
		SPAKESecondFactor f2 = {.type = 2, .data = NULL};
		SPAKESecondFactor f1d = {.type = SPAKE_SF_NONE, .data = &d};
		SPAKESecondFactor f1 = {.type = SPAKE_SF_NONE, .data = NULL};
		SPAKESecondFactor *fs[3] = {&f2, &f1d, &f1};
		orth_err want[3] = {PREAUTH_FAILED, PREAUTH_FAILED, ORTH_OK};

		EXPECT_EQ_INT(spake_msg_decode(resp, resp_len, &A, &m), ORTH_OK);
		EXPECT_EQ_INT(spake_w_derive(1, k, w), ORTH_OK);
		EXPECT_EQ_INT(crypto_spake_result(1, CRYPTO_SPAKE_KDC, w, st.x,
						  m.u.response.pubkey.data,
						  m.u.response.pubkey.len, kk),
			      ORTH_OK);
		memcpy(th, st.thash, 32);
		EXPECT_EQ_INT(spake_thash_update(1, th,
						 m.u.response.pubkey.data, 32,
						 NULL, 0),
			      ORTH_OK);
		EXPECT_EQ_INT(spake_key_derive(1, k, w, kk, th, body2,
					       sizeof(body2), 1, &k1),
			      ORTH_OK);
		for (int i = 0; i < 3 && k1 != NULL; i++) {
			EXPECT_EQ_INT(proto_seal(k1, SPAKE_KEY_USAGE,
						 &asn1_SPAKESecondFactor, fs[i],
						 &A, &m.u.response.factor),
				      ORTH_OK);
			EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len),
				      ORTH_OK);
			memset(&kr2, 0, sizeof(kr2));
			EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len,
							&st, body2,
							sizeof(body2), &A,
							&kr2),
				      want[i]);
			crypto_key_free(kr2.reply_key);
		}
		/* under another key usage */
		EXPECT_EQ_INT(proto_seal(k1, 64, &asn1_SPAKESecondFactor, &f1,
					 &A, &m.u.response.factor),
			      ORTH_OK);
		EXPECT_EQ_INT(spake_msg_encode(&m, &A, &enc, &enc_len), ORTH_OK);
		EXPECT_EQ_INT(spake_kdc_process(both, 2, k, enc, enc_len, &st,
						body2, sizeof(body2), &A, &kr2),
			      ORTH_E_INTEGRITY);
		crypto_key_free(k1);
	}

	/* Client: a second challenge after a response. */
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, k, kr.challenge,
					   kr.challenge_len, body2,
					   sizeof(body2), &A, &cr),
		      PREAUTH_FAILED);
	/* a second empty offer after the support message */
	memset(&cs, 0, sizeof(cs));
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, NULL, NULL, 0, body1,
					   sizeof(body1), &A, &cr),
		      ORTH_OK);
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, NULL, NULL, 0, body1,
					   sizeof(body1), &A, &cr),
		      PREAUTH_FAILED);
	/* An optimistic challenge in a group we do not take: our support
	 * message; a second one in a group we do not take: refused. */
	memset(&cs, 0, sizeof(cs));
	EXPECT_EQ_INT(spake_kdc_challenge(2, k, NULL, 0, &A, &enc, &enc_len,
					  &st),
		      ORTH_OK);
	EXPECT(!spake_client_key_needed(ed, 1, enc, enc_len, &A));
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, NULL, enc, enc_len,
					   body1, sizeof(body1), &A, &cr),
		      ORTH_OK);
	EXPECT_EQ_INT(cr.outcome, SPAKE_CLIENT_SUPPORT);
	EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, NULL, enc, enc_len,
					   body1, sizeof(body1), &A, &cr),
		      PREAUTH_FAILED);
	/* An optimistic challenge we take: answered at once, and the KDC
	 * verifies it with a transcript that has no support message. */
	{
		struct spake_kdc_state st2;
		memset(&cs, 0, sizeof(cs));
		EXPECT_EQ_INT(spake_kdc_challenge(1, k, NULL, 0, &A, &enc,
						  &enc_len, &st),
			      ORTH_OK);
		st2 = through_cookie(&st);
		EXPECT_EQ_INT(spake_client_process(&cs, ed, 1, k, enc, enc_len,
						   body2, sizeof(body2), &A,
						   &cr),
			      ORTH_OK);
		EXPECT_EQ_INT(cr.outcome, SPAKE_CLIENT_RESPONSE);
		memset(&kr2, 0, sizeof(kr2));
		EXPECT_EQ_INT(spake_kdc_process(ed, 1, k, cr.msg, cr.msg_len,
						&st2, body2, sizeof(body2), &A,
						&kr2),
			      ORTH_OK);
		EXPECT(kr2.reply_key != NULL && cr.reply_key != NULL &&
		       keys_equal(kr2.reply_key, cr.reply_key));
		crypto_key_free(kr2.reply_key);
		crypto_key_free(cr.reply_key);
		cr.reply_key = NULL;
	}
	/* A challenge without SF-NONE; with a refused T; a support,
	 * response or encdata message from the KDC. */
	{
		static const char *kdc_bad[] = {
			"A0093007A0053003020101",
			"A2163014A0030401AAA10D300BA003020112A2040402CAFE",
			"A30D300BA003020112A2040402CAFE",
			"A0093007A005300302010100",
		};
		uint8_t ident[32] = {1}, good_t[32], order8[32], y2[32] = {2};
		uint8_t p_ident[1] = {0}, p_x1[33] = {2}, p_big[33];
		struct {
			const char *why;
			int32_t group;
			const uint8_t *t;
			size_t tlen;
			int32_t factor;
		} chs[] = {
			{"no SF-NONE", 1, good_t, 32, 2},
			{"T is the identity", 1, ident, 32, SPAKE_SF_NONE},
			{"T is 31 bytes", 1, good_t, 31, SPAKE_SF_NONE},
			/* RFC 9588 §5: a point of small order, or no point */
			{"T of order 8", 1, order8, 32, SPAKE_SF_NONE},
			{"T with y = 2, not on the curve", 1, y2, 32, SPAKE_SF_NONE},
			{"P-256: T the identity (00)", 2, p_ident, 1, SPAKE_SF_NONE},
			{"P-256: T with x = 1, not on the curve", 2, p_x1, 33, SPAKE_SF_NONE},
			{"P-256: T with x >= p", 2, p_big, 33, SPAKE_SF_NONE},
		};
		static const int32_t both_c[] = {1, 2};
		uint8_t *msgs[16];
		size_t lens[16], nmsg = 0;

		/* A T that is a point: the vector's. */
		unhex("9E9311D985C1355E022D7C3C694AD8D6F7AD6D647B68A90B0FE4699281"
		      "8002DA",
		      good_t, 32);
		unhex("26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05",
		      order8, 32);
		p_x1[32] = 1;
		memset(p_big, 0xff, sizeof(p_big));
		p_big[0] = 3;
		for (size_t i = 0; i < sizeof(chs) / sizeof(chs[0]); i++) {
			SPAKESecondFactor f = {.type = chs[i].factor};
			memset(&m, 0, sizeof(m));
			m.kind = SPAKE_MSG_CHALLENGE;
			m.u.challenge.group = chs[i].group;
			m.u.challenge.pubkey.data = (uint8_t *)chs[i].t;
			m.u.challenge.pubkey.len = chs[i].tlen;
			m.u.challenge.factors.len = 1;
			m.u.challenge.factors.val = &f;
			EXPECT_EQ_INT(spake_msg_encode(&m, &A, &msgs[nmsg],
						       &lens[nmsg]),
				      ORTH_OK);
			nmsg++;
		}
		for (size_t i = 0; i < sizeof(kdc_bad) / sizeof(kdc_bad[0]);
		     i++) {
			msgs[nmsg] = arena_alloc(&A, 64);
			lens[nmsg] = unhex(kdc_bad[i], msgs[nmsg], 64);
			nmsg++;
		}
		for (size_t i = 0; i < nmsg; i++) {
			memset(&cs, 0, sizeof(cs));
			memset(&cr, 0, sizeof(cr));
			EXPECT_EQ_INT(spake_client_process(&cs, both_c, 2, k, msgs[i],
							   lens[i], body2,
							   sizeof(body2), &A,
							   &cr),
				      PREAUTH_FAILED);
			EXPECT(cr.reply_key == NULL && cr.msg == NULL);
			EXPECT(!cs.responded);
		}
		/* without SF-NONE the key is not even asked for */
		EXPECT(!spake_client_key_needed(ed, 1, msgs[0], lens[0], &A));
		EXPECT(spake_client_key_needed(ed, 1, msgs[1], lens[1], &A));
	}
	/* Misuse: no groups, an unknown group in ours, too many. */
	{
		static const int32_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
		static const int32_t unknown[] = {7};
		memset(&cs, 0, sizeof(cs));
		EXPECT_EQ_INT(spake_client_process(&cs, ed, 0, NULL, NULL, 0,
						   body1, sizeof(body1), &A,
						   &cr),
			      ORTH_E_INTERNAL);
		EXPECT_EQ_INT(spake_client_process(&cs, nine, 9, NULL, NULL, 0,
						   body1, sizeof(body1), &A,
						   &cr),
			      ORTH_E_INTERNAL);
		EXPECT_EQ_INT(spake_client_process(&cs, unknown, 1, NULL, NULL,
						   0, body1, sizeof(body1), &A,
						   &cr),
			      ORTH_E_INTERNAL);
		EXPECT_EQ_INT(spake_kdc_process(ed, 0, k, NULL, 0, NULL, body1,
						sizeof(body1), &A, &kr),
			      ORTH_E_INTERNAL);
	}
out:
	crypto_key_free(k);
	crypto_key_free(k128);
}

/* ---- group names -------------------------------------------------------- */

static void
check_groups(void)
{
	int32_t g[SPAKE_MAX_GROUPS];
	size_t n = 99;
	char err[128];

	EXPECT(strcmp(spake_group_name(1), "edwards25519") == 0);
	EXPECT(strcmp(spake_group_name(2), "P-256") == 0);
	EXPECT(spake_group_name(3) == NULL);
	EXPECT_EQ_INT(spake_group_from_name("p-256"), 2);
	EXPECT_EQ_INT(spake_group_from_name("EDWARDS25519"), 1);
	EXPECT_EQ_INT(spake_group_from_name("P-384"), 0);
	EXPECT_EQ_INT(spake_groups_parse("edwards25519 P-256", g, 8, &n, err,
					 sizeof(err)),
		      ORTH_OK);
	EXPECT(n == 2 && g[0] == 1 && g[1] == 2);
	EXPECT_EQ_INT(spake_groups_parse(" P-256,edwards25519,\tp-256 ", g, 8,
					 &n, err, sizeof(err)),
		      ORTH_OK);
	EXPECT(n == 2 && g[0] == 2 && g[1] == 1);
	EXPECT_EQ_INT(spake_groups_parse("", g, 8, &n, err, sizeof(err)),
		      ORTH_OK);
	EXPECT_EQ_INT(n, 0);
	EXPECT_EQ_INT(spake_groups_parse("edwards25519 P-521", g, 8, &n, err,
					 sizeof(err)),
		      ORTH_E_CONFIG);
	EXPECT(strstr(err, "P-521") != NULL);
	EXPECT_EQ_INT(spake_groups_parse(
			      "edwards25519xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", g,
			      8, &n, err, sizeof(err)),
		      ORTH_E_CONFIG);
	EXPECT_EQ_INT(spake_groups_parse("edwards25519 P-256", g, 1, &n, err,
					 sizeof(err)),
		      ORTH_E_LIMIT);
}

/* ---- PRF+ and CF2 ------------------------------------------------------- */

static void
check_prf_plus(void)
{
	struct crypto_key *k = NULL, *out = NULL;
	uint8_t a[100], b[48], p[CRYPTO_MAX_PRF_LEN], in[8];
	size_t plen = 0;

	/* PRF+ is PRF(key, 1 || s) || PRF(key, 2 || s) ...: for aes256-sha1
	 * (16-byte PRF) 100 bytes take 7 blocks. */
	EXPECT_EQ_INT(crypto_key_random(18, &k), ORTH_OK);
	if (k == NULL)
		return;
	EXPECT_EQ_INT(crypto_prf_plus(k, (const uint8_t *)"abc", 3, a, 100),
		      ORTH_OK);
	for (int i = 0; i < 7; i++) {
		in[0] = (uint8_t)(i + 1);
		memcpy(in + 1, "abc", 3);
		EXPECT_EQ_INT(crypto_prf(k, in, 4, p, &plen), ORTH_OK);
		EXPECT_MEM(a + 16 * i, p, i < 6 ? 16 : 4);
	}
	EXPECT_EQ_INT(crypto_prf_plus(k, (const uint8_t *)"abc", 3, b, 255 * 16 + 1),
		      ORTH_E_RANGE);
	/* CF2 of a key with itself and one pepper is the zero key. */
	EXPECT_EQ_INT(crypto_key_cf2(k, "p", k, "p", &out), ORTH_OK);
	memset(b, 0, sizeof(b));
	EXPECT(out != NULL && key_is(out, b, 32));
	crypto_key_free(out);
	crypto_key_free(k);
}

/* ---- the fuzz fixture and its seeds ------------------------------------ */

static void
write_seed(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[1024];
	FILE *f;

	if (dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	EXPECT(f != NULL);
	if (f == NULL)
		return;
	EXPECT(len == 0 || fwrite(p, 1, len, f) == len);
	EXPECT(fclose(f) == 0);
}

/* The fixture's responses verify against its states (so the seeds reach
 * the end of the KDC's path); with DIR, the seeds are written there. */
static void
check_fixture(const char *dir)
{
	static const char *names[2] = {"edwards25519", "p256"};
	static const int32_t allowed[] = {1, 2};
	uint8_t ikey[32], body[256], s[64], k1b[32], buf[256];
	struct crypto_key *ik = NULL, *k1 = NULL;
	SPAKESecondFactor none = {.type = SPAKE_SF_NONE, .data = NULL};
	struct spake_kdc_state st;
	struct spake_kdc_reply kr;
	struct spake_msg m;
	uint8_t *msg = NULL;
	size_t body_len, slen, len = 0;
	char name[64];

	EXPECT_EQ_INT(crypto_key_new(SPAKE_FX_ENCTYPE, ikey,
				     spake_fx_unhex(SPAKE_FX_IKEY, ikey, 32),
				     &ik),
		      ORTH_OK);
	body_len = spake_fx_unhex(SPAKE_FX_BODY, body, sizeof(body));
	for (size_t i = 0; i < 2 && ik != NULL; i++) {
		EXPECT_EQ_INT(spake_fx_state(i, &st), ORTH_OK);
		slen = spake_fx_unhex(spake_fx[i].S, s, sizeof(s));
		EXPECT_EQ_INT(crypto_key_new(SPAKE_FX_ENCTYPE, k1b,
					     spake_fx_unhex(spake_fx[i].k1, k1b,
							    32),
					     &k1),
			      ORTH_OK);
		memset(&m, 0, sizeof(m));
		m.kind = SPAKE_MSG_RESPONSE;
		m.u.response.pubkey.data = s;
		m.u.response.pubkey.len = slen;
		EXPECT_EQ_INT(proto_seal(k1, SPAKE_KEY_USAGE,
					 &asn1_SPAKESecondFactor, &none, &A,
					 &m.u.response.factor),
			      ORTH_OK);
		EXPECT_EQ_INT(spake_msg_encode(&m, &A, &msg, &len), ORTH_OK);
		memset(&kr, 0, sizeof(kr));
		EXPECT_EQ_INT(spake_kdc_process(allowed, 2, ik, msg, len, &st,
						body, body_len, &A, &kr),
			      ORTH_OK);
		EXPECT_EQ_INT(kr.outcome, SPAKE_KDC_DONE);
		crypto_key_free(kr.reply_key);
		crypto_key_free(k1);
		k1 = NULL;
		snprintf(name, sizeof(name), "response-%s.bin", names[i]);
		write_seed(dir, name, msg, len);
		len = spake_fx_unhex(spake_fx[i].support, buf, sizeof(buf));
		snprintf(name, sizeof(name), "support-%s.bin", names[i]);
		write_seed(dir, name, buf, len);
		len = spake_fx_unhex(spake_fx[i].challenge, buf, sizeof(buf));
		snprintf(name, sizeof(name), "challenge-%s.bin", names[i]);
		write_seed(dir, name, buf, len);
	}
	len = unhex("A00C300AA0083006020101020102", buf, sizeof(buf));
	write_seed(dir, "support-both.bin", buf, len);
	len = unhex("A00C300AA0083006020103020104", buf, sizeof(buf));
	write_seed(dir, "support-unknown.bin", buf, len);
	len = unhex(vectors[3].challenge, buf, sizeof(buf));
	write_seed(dir, "challenge-optimistic.bin", buf, len);
	len = unhex("A30D300BA003020112A2040402CAFE", buf, sizeof(buf));
	write_seed(dir, "encdata.bin", buf, len);
	write_seed(dir, "offer-empty.bin", buf, 0);
	/* hostile challenges the client must refuse (RFC 9588 §5): T the
	 * identity, of order 8, not on the curve */
	{
		static const struct {
			const char *name, *t;
		} bad[] = {
			{"challenge-identity.bin",
			 "0100000000000000000000000000000000000000000000000000000000000000"},
			{"challenge-order8.bin",
			 "26E8958FC2B227B045C3F489F2EF98F0D5DFAC05D3C63339B13802886D53FC05"},
			{"challenge-offcurve.bin",
			 "0200000000000000000000000000000000000000000000000000000000000000"},
		};
		SPAKESecondFactor f = {.type = SPAKE_SF_NONE};
		uint8_t t[32];
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&m, 0, sizeof(m));
			m.kind = SPAKE_MSG_CHALLENGE;
			m.u.challenge.group = 1;
			m.u.challenge.pubkey.data = t;
			m.u.challenge.pubkey.len = unhex(bad[i].t, t, sizeof(t));
			m.u.challenge.factors.len = 1;
			m.u.challenge.factors.val = &f;
			EXPECT_EQ_INT(spake_msg_encode(&m, &A, &msg, &len), ORTH_OK);
			write_seed(dir, bad[i].name, msg, len);
		}
	}
	crypto_key_free(ik);
}

int
main(int argc, char **argv)
{
	const char *seed_dir = NULL;

	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		seed_dir = argv[2];
	EXPECT_EQ_INT(arena_init(&A, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
		check_vector(&vectors[i]);
	check_messages();
	check_bad_points();
	check_state();
	check_exchanges();
	check_refusals();
	check_groups();
	check_prf_plus();
	check_fixture(seed_dir);
	arena_free(&A);
	return test_done("spake");
}
