/*
 * test_crypto.c - known answers of RFC 3962 Appendix B and RFC 8009
 * Appendix A, round trips over every enctype, usage 1..25 and length
 * 0..100, tampering, truncation, checksum and string-to-key refusals, and
 * the derived-key cache.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "crypto/crypto_test.h"
#include "../test.h"

static const int32_t all_enctypes[] = {
	ENCTYPE_AES128_CTS_HMAC_SHA1_96,
	ENCTYPE_AES256_CTS_HMAC_SHA1_96,
	ENCTYPE_AES128_CTS_HMAC_SHA256_128,
	ENCTYPE_AES256_CTS_HMAC_SHA384_192,
};
#define N_ALL 4

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

/* ---- RFC 3962 Appendix B ------------------------------------------------ */

static const struct {
	const char *name;
	const char *pass;  /* hex when pass_hex */
	int pass_hex;
	const char *salt;  /* hex when salt_hex */
	int salt_hex;
	uint32_t iter;
	const char *key128, *key256;
} rfc3962_s2k[] = {
	{"iter 1", "password", 0, "ATHENA.MIT.EDUraeburn", 0, 1,
	 "42263c6e89f4fc28b8df68ee09799f15",
	 "fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161"},
	{"iter 2", "password", 0, "ATHENA.MIT.EDUraeburn", 0, 2,
	 "c651bf29e2300ac27fa469d693bdda13",
	 "a2e16d16b36069c135d5e9d2e25f896102685618b95914b467c67622225824ff"},
	{"iter 1200", "password", 0, "ATHENA.MIT.EDUraeburn", 0, 1200,
	 "4c01cd46d632d01e6dbe230a01ed642a",
	 "55a6ac740ad17b4846941051e1e8b0a7548d93b0ab30a8bc3ff16280382b8c2a"},
	{"iter 5 binary salt", "password", 0, "1234567878563412", 1, 5,
	 "e9b23d52273747dd5c35cb55be619d8e",
	 "97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31"},
	{"64 X", "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	 0, "pass phrase equals block size", 0, 1200,
	 "59d1bb789a828b1aa54ef9c2883f69ed",
	 "89adee3608db8bc71f1bfbfe459486b05618b70cbae22092534e56c553ba4b34"},
	{"65 X",
	 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", 0,
	 "pass phrase exceeds block size", 0, 1200,
	 "cb8005dc5f90179a7f02104c0018751d",
	 "d78c5c9cb872a8c9dad4697f0bb5b2d21496c82beb2caeda2112fceea057401b"},
	{"g-clef", "f09d849e", 1, "EXAMPLE.COMpianist", 0, 50,
	 "f149c1f2e154a73452d43e7fe62a56e5",
	 "4b6d9839f84406df1f09cc166db4b83c571848b784a3d6bdc346589a3e393f9e"},
};

/* RFC 3961 appendix A.1: n-fold of text to bits/8 bytes. */
static const struct {
	const char *in;
	size_t bits;
	const char *want;
} rfc3961_nfold[] = {
	{"012345", 64, "be072631276b1955"},
	{"password", 56, "78a07b6caf85fa"},
	{"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
	{"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
	{"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192,
	 "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
	{"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
	{"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
	{"kerberos", 64, "6b65726265726f73"},
	{"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
	{"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
	{"kerberos", 256,
	 "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
};

static void
test_rfc3961_nfold(void)
{
	for (size_t i = 0; i < sizeof(rfc3961_nfold) / sizeof(rfc3961_nfold[0]); i++) {
		uint8_t want[64], got[64];
		size_t wlen = unhex(rfc3961_nfold[i].want, want, sizeof(want));
		const char *in = rfc3961_nfold[i].in;

		EXPECT_EQ_INT(wlen, rfc3961_nfold[i].bits / 8);
		EXPECT_EQ_INT(crypto_test_nfold((const uint8_t *)in, strlen(in), got, wlen),
			      ORTH_OK);
		EXPECT(memcmp(got, want, wlen) == 0);
	}
	/* negative: nothing to fold, or more than the largest output */
	uint8_t out[64];
	EXPECT(crypto_test_nfold((const uint8_t *)"x", 0, out, 16) != ORTH_OK);
	EXPECT(crypto_test_nfold((const uint8_t *)"x", 1, out, CRYPTO_MAX_PRF_LEN + 1) !=
	       ORTH_OK);
}

static void
test_rfc3962_s2k(void)
{
	for (size_t i = 0; i < sizeof(rfc3962_s2k) / sizeof(rfc3962_s2k[0]);
	     i++) {
		uint8_t pass[128], salt[128], want[32];
		size_t plen, slen;
		uint8_t params[4];

		if (rfc3962_s2k[i].pass_hex)
			plen = unhex(rfc3962_s2k[i].pass, pass, sizeof(pass));
		else
			memcpy(pass, rfc3962_s2k[i].pass,
			       plen = strlen(rfc3962_s2k[i].pass));
		if (rfc3962_s2k[i].salt_hex)
			slen = unhex(rfc3962_s2k[i].salt, salt, sizeof(salt));
		else
			memcpy(salt, rfc3962_s2k[i].salt,
			       slen = strlen(rfc3962_s2k[i].salt));
		params[0] = (uint8_t)(rfc3962_s2k[i].iter >> 24);
		params[1] = (uint8_t)(rfc3962_s2k[i].iter >> 16);
		params[2] = (uint8_t)(rfc3962_s2k[i].iter >> 8);
		params[3] = (uint8_t)rfc3962_s2k[i].iter;
		for (int big = 0; big < 2; big++) {
			int32_t et = big ? ENCTYPE_AES256_CTS_HMAC_SHA1_96
					 : ENCTYPE_AES128_CTS_HMAC_SHA1_96;
			const char *w = big ? rfc3962_s2k[i].key256
					    : rfc3962_s2k[i].key128;
			size_t wlen = unhex(w, want, sizeof(want)), klen = 0;
			struct crypto_key *k = NULL, *k2 = NULL;

			/* The RFC's counts (1 to 1200) are below the default
			 * 4096: as s2kparams from a KDC they are refused (a
			 * downgrade, MIT's KRB5_ERR_BAD_S2K_PARAMS); the
			 * explicit-count entry point computes them. */
			EXPECT_EQ_INT(crypto_string_to_key(et, (char *)pass,
							   plen, salt, slen,
							   params, 4, &k2),
				      ORTH_E_RANGE);
			EXPECT(k2 == NULL);
			EXPECT_EQ_INT(crypto_string_to_key_iter(
					      et, (char *)pass, plen, salt,
					      slen, rfc3962_s2k[i].iter, &k),
				      ORTH_OK);
			if (k == NULL)
				continue;
			const uint8_t *kb = crypto_key_bytes(k, &klen);
			EXPECT_EQ_INT(klen, wlen);
			if (memcmp(kb, want, wlen) != 0)
				fprintf(stderr, "RFC 3962 %s %d bits\n",
					rfc3962_s2k[i].name, big ? 256 : 128);
			EXPECT_MEM(kb, want, wlen);
			crypto_key_free(k);
			crypto_key_free(k2);
		}
	}
}

/*
 * Issue 14, defect 2: s2kparams below the enctype's default count are a
 * downgrade of the password hash (a man in the middle then gets a
 * PA-ENC-TIMESTAMP under a 1-iteration key).  MIT refuses any count below
 * the default (s2k_pbkdf2.c: 4096 for aes-sha1, RFC 3962 §4; 32768 for
 * aes-sha2, RFC 8009 §4); counts of 2^24 and above: test_s2k_negative.
 */
static void
test_s2k_weak_params(void)
{
	const int32_t ets[] = {17, 18, 19, 20};
	const uint8_t salt[] = "EXAMPLE.COMuser";

	for (size_t e = 0; e < 4; e++) {
		uint32_t def = crypto_enctype_default_iterations(ets[e]);
		const uint32_t counts[] = {1, 2, def / 2, def - 1, def, def + 1};
		struct crypto_key *dflt = NULL;

		EXPECT_EQ_INT(def, ets[e] <= 18 ? 4096 : 32768);
		EXPECT_EQ_INT(crypto_string_to_key(ets[e], "pw", 2, salt, 15, NULL, 0, &dflt),
			      ORTH_OK);
		for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
			uint8_t p[4] = {(uint8_t)(counts[i] >> 24), (uint8_t)(counts[i] >> 16),
					(uint8_t)(counts[i] >> 8), (uint8_t)counts[i]};
			struct crypto_key *k = NULL;
			bool ok = counts[i] >= def;
			EXPECT_EQ_INT(crypto_string_to_key(ets[e], "pw", 2, salt, 15, p, 4, &k),
				      ok ? ORTH_OK : ORTH_E_RANGE);
			EXPECT(ok == (k != NULL));
			if (k != NULL && dflt != NULL && counts[i] == def) {
				size_t l1, l2;
				const uint8_t *b1 = crypto_key_bytes(k, &l1), *b2 = crypto_key_bytes(dflt, &l2);
				EXPECT(l1 == l2 && memcmp(b1, b2, l1) == 0);
			}
			crypto_key_free(k);
		}
		crypto_key_free(dflt);
	}
}

/* RFC 3962 Appendix B CTS vectors: key "chicken teriyaki", IV zero. */
static const struct {
	const char *in, *out;
} rfc3962_cts[] = {
	{"4920776f756c64206c696b652074686520",
	 "c6353568f2bf8cb4d8a580362da7ff7f97"},
	{"4920776f756c64206c696b65207468652047656e6572616c20476175277320",
	 "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
	{"4920776f756c64206c696b65207468652047656e6572616c2047617527732043",
	 "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"},
	{"4920776f756c64206c696b65207468652047656e6572616c2047617527732043"
	 "6869636b656e2c20706c656173652c",
	 "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e"
	 "39312523a78662d5be7fcbcc98ebf5"},
	{"4920776f756c64206c696b65207468652047656e6572616c2047617527732043"
	 "6869636b656e2c20706c656173652c20",
	 "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd8"
	 "39312523a78662d5be7fcbcc98ebf5a8"},
	{"4920776f756c64206c696b65207468652047656e6572616c2047617527732043"
	 "6869636b656e2c20706c656173652c20616e6420776f6e746f6e20736f75702e",
	 "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a8"
	 "4807efe836ee89a526730dbc2f7bc8409dad8bbb96c4cdc03bc103e1a194bbd8"},
};

static void
test_rfc3962_cts(void)
{
	const uint8_t *key = (const uint8_t *)"chicken teriyaki";

	for (size_t i = 0; i < sizeof(rfc3962_cts) / sizeof(rfc3962_cts[0]);
	     i++) {
		uint8_t in[64], want[64], got[64], back[64];
		size_t n = unhex(rfc3962_cts[i].in, in, sizeof(in));

		EXPECT_EQ_INT(unhex(rfc3962_cts[i].out, want, sizeof(want)), n);
		EXPECT_EQ_INT(crypto_test_cts(1, key, 16, in, n, got), ORTH_OK);
		EXPECT_MEM(got, want, n);
		EXPECT_EQ_INT(crypto_test_cts(0, key, 16, want, n, back),
			      ORTH_OK);
		EXPECT_MEM(back, in, n);
	}
	/* Under one block there is nothing to steal from. */
	uint8_t b[15] = {0}, o[15];
	EXPECT(crypto_test_cts(1, key, 16, b, sizeof(b), o) != ORTH_OK);
}

/*
 * CTS over every length from one block to 700 bytes (several of cts.c's
 * 256-byte decryption chunks), in place and not, both key sizes; and a key
 * object whose cipher contexts have run many times (encryption tracks its
 * CBC state across calls) gives the ciphertext a fresh key object gives.
 */
static void
test_cts_lengths(void)
{
	static const uint8_t key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
	static const uint8_t conf[16] = {0xc0, 0xf0};
	uint8_t in[700], a[700], b[700], c[700];
	int bad = 0;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 31 + 7);
	for (size_t klen = 16; klen <= 32; klen += 16) {
		for (size_t len = 16; len <= sizeof(in); len++) {
			memcpy(b, in, len);
			if (crypto_test_cts(1, key, klen, in, len, a) != ORTH_OK ||
			    crypto_test_cts(1, key, klen, b, len, b) != ORTH_OK ||
			    memcmp(a, b, len) != 0 || memcmp(a, in, len) == 0 ||
			    crypto_test_cts(0, key, klen, a, len, c) != ORTH_OK ||
			    memcmp(c, in, len) != 0 ||
			    crypto_test_cts(0, key, klen, b, len, b) != ORTH_OK ||
			    memcmp(b, in, len) != 0)
				bad++;
		}
	}
	EXPECT_EQ_INT(bad, 0);

	for (int e = 0; e < N_ALL; e++) {
		struct crypto_key *used = NULL;
		size_t klen = crypto_enctype_keylen(all_enctypes[e]);

		EXPECT_EQ_INT(crypto_key_new(all_enctypes[e], key, klen, &used), ORTH_OK);
		if (used == NULL)
			continue;
		bad = 0;
		for (size_t len = 0; len <= 600; len += 7) {
			uint8_t x[600 + CRYPTO_MAX_OVERHEAD], y[sizeof(x)], back[sizeof(x)];
			struct crypto_key *fresh = NULL;
			size_t xl = 0, yl = 0, bl = 0;

			if (crypto_key_new(all_enctypes[e], key, klen, &fresh) != ORTH_OK ||
			    crypto_test_encrypt_confounder(used, 3, conf, in, len, x, &xl) !=
				    ORTH_OK ||
			    crypto_test_encrypt_confounder(fresh, 3, conf, in, len, y, &yl) !=
				    ORTH_OK ||
			    xl != yl || memcmp(x, y, xl) != 0 ||
			    crypto_decrypt(used, 3, x, xl, back, &bl) != ORTH_OK || bl != len ||
			    memcmp(back, in, len) != 0)
				bad++;
			crypto_key_free(fresh);
		}
		EXPECT_EQ_INT(bad, 0);
		crypto_key_free(used);
	}
}

/* ---- RFC 8009 Appendix A ------------------------------------------------ */

static const char aes128_sha2_base[] = "3705d96080c17728a0e800eab6e0d23c";
static const char aes256_sha2_base[] =
	"6d404d37faf79f9df0d33568d320669800eb4836472ea8a026d16b7182460c52";

static void
test_rfc8009_s2k(void)
{
	uint8_t salt[64], want[32];
	size_t slen = unhex("10df9dd783e5bc8acea1730e74355f61", salt, 16);
	const struct {
		int32_t et;
		const char *key;
	} v[] = {
		{ENCTYPE_AES128_CTS_HMAC_SHA256_128,
		 "089bca48b105ea6ea77ca5d2f39dc5e7"},
		{ENCTYPE_AES256_CTS_HMAC_SHA384_192,
		 "45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467"},
	};

	memcpy(salt + slen, "ATHENA.MIT.EDUraeburn", 21);
	slen += 21;
	for (size_t i = 0; i < 2; i++) {
		struct crypto_key *k = NULL;
		size_t klen = 0, wlen = unhex(v[i].key, want, sizeof(want));

		/* No params: the default 32768 iterations of the vector. */
		EXPECT_EQ_INT(crypto_string_to_key(v[i].et, "password", 8,
						   salt, slen, NULL, 0, &k),
			      ORTH_OK);
		if (k == NULL)
			continue;
		EXPECT_MEM(crypto_key_bytes(k, &klen), want, wlen);
		EXPECT_EQ_INT(klen, wlen);
		crypto_key_free(k);
	}
}

static const struct {
	int32_t et;
	uint8_t kind;
	const char *want;
} rfc8009_derive[] = {
	{19, 0x99, "b31a018a48f54776f403e9a396325dc3"},
	{19, 0xaa, "9b197dd1e8c5609d6e67c3e37c62c72e"},
	{19, 0x55, "9fda0e56ab2d85e1569a688696c26a6c"},
	{20, 0x99, "ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d"},
	{20, 0xaa,
	 "56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49"},
	{20, 0x55, "69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f"},
};

static struct crypto_key *
sha2_base(int32_t et)
{
	uint8_t b[32];
	size_t n = unhex(et == 19 ? aes128_sha2_base : aes256_sha2_base, b,
			 sizeof(b));
	struct crypto_key *k = NULL;

	if (crypto_key_new(et, b, n, &k) != ORTH_OK)
		abort();
	return k;
}

static void
test_rfc8009_derive(void)
{
	for (size_t i = 0; i < sizeof(rfc8009_derive) / sizeof(rfc8009_derive[0]);
	     i++) {
		struct crypto_key *k = sha2_base(rfc8009_derive[i].et);
		uint8_t want[32], got[32];
		size_t wlen = unhex(rfc8009_derive[i].want, want, sizeof(want));
		size_t glen = 0;

		EXPECT_EQ_INT(crypto_test_derive(k, 2, rfc8009_derive[i].kind,
						 got, &glen),
			      ORTH_OK);
		EXPECT_EQ_INT(glen, wlen);
		EXPECT_MEM(got, want, wlen);
		crypto_key_free(k);
	}
}

static const struct {
	int32_t et;
	const char *conf, *plain, *ct;
} rfc8009_enc[] = {
	{19, "7e5895eaf2672435bad817f545a37148", "",
	 "ef85fb890bb8472f4dab20394dca781dad877eda39d50c870c0d5a0a8e48c718"},
	{19, "7bca285e2fd4130fb55b1a5c83bc5b24", "000102030405",
	 "84d7f30754ed987bab0bf3506beb09cfb55402cef7e6877ce99e247e52d16ed4"
	 "421dfdf8976c"},
	{19, "56ab21713ff62c0a1457200f6fa9948f",
	 "000102030405060708090a0b0c0d0e0f",
	 "3517d640f50ddc8ad3628722b3569d2ae07493fa8263254080ea65c1008e8fc2"
	 "95fb4852e7d83e1e7c48c37eebe6b0d3"},
	{19, "a7a4e29a4728ce10664fb64e49ad3fac",
	 "000102030405060708090a0b0c0d0e0f1011121314",
	 "720f73b18d9859cd6ccb4346115cd336c70f58edc0c4437c5573544c31c813bc"
	 "e1e6d072c186b39a413c2f92ca9b8334a287ffcbfc"},
	{20, "f764e9fa15c276478b2c7d0c4e5f58e4", "",
	 "41f53fa5bfe7026d91faf9be959195a058707273a96a40f0a01960621ac61274"
	 "8b9bbfbe7eb4ce3c"},
	{20, "b80d3251c1f6471494256ffe712d0b9a", "000102030405",
	 "4ed7b37c2bcac8f74f23c1cf07e62bc7b75fb3f637b9f559c7f664f69eab7b60"
	 "92237526ea0d1f61cb20d69d10f2"},
	{20, "53bf8a0d105265d4e276428624ce5e63",
	 "000102030405060708090a0b0c0d0e0f",
	 "bc47ffec7998eb91e8115cf8d19dac4bbbe2e163e87dd37f49beca92027764f6"
	 "8cf51f14d798c2273f35df574d1f932e40c4ff255b36a266"},
	{20, "763e65367e864f02f55153c7e3b58af1",
	 "000102030405060708090a0b0c0d0e0f1011121314",
	 "40013e2df58e8751957d2878bcd2d6fe101ccfd556cb1eae79db3c3ee86429f2"
	 "b2a602ac86fef6ecb647d6295fae077a1feb517508d2c16b4192e01f62"},
};

static void
test_rfc8009_encrypt(void)
{
	for (size_t i = 0; i < sizeof(rfc8009_enc) / sizeof(rfc8009_enc[0]);
	     i++) {
		struct crypto_key *k = sha2_base(rfc8009_enc[i].et);
		uint8_t conf[16], plain[32], want[128], got[128], back[128];
		size_t plen = unhex(rfc8009_enc[i].plain, plain, sizeof(plain));
		size_t wlen = unhex(rfc8009_enc[i].ct, want, sizeof(want));
		size_t glen = 0, blen = 0;

		unhex(rfc8009_enc[i].conf, conf, sizeof(conf));
		EXPECT_EQ_INT(crypto_encrypt_len(rfc8009_enc[i].et, plen), wlen);
		EXPECT_EQ_INT(crypto_test_encrypt_confounder(k, 2, conf, plain,
							     plen, got, &glen),
			      ORTH_OK);
		EXPECT_EQ_INT(glen, wlen);
		EXPECT_MEM(got, want, wlen);
		EXPECT_EQ_INT(crypto_decrypt(k, 2, want, wlen, back, &blen),
			      ORTH_OK);
		EXPECT_EQ_INT(blen, plen);
		EXPECT_MEM(back, plain, plen);
		crypto_key_free(k);
	}
}

static void
test_rfc8009_checksum_prf(void)
{
	uint8_t msg[21], want[64], got[64];
	size_t mlen = unhex("000102030405060708090a0b0c0d0e0f1011121314", msg,
			    sizeof(msg));
	const struct {
		int32_t et, ct;
		const char *cksum, *prf;
	} v[] = {
		{19, 19, "d78367186643d67b411cba9139fc1dee",
		 "9d188616f63852fe86915bb840b4a886ff3e6bb0f819b49b893393d393854295"},
		{20, 20, "45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a",
		 "9801f69a368c2bf675e59521e177d9a07f67efe1cfde8d3c8d6f6a0256e3b17d"
		 "b3c1b62ad1b8553360d17367eb1514d2"},
	};

	for (size_t i = 0; i < 2; i++) {
		struct crypto_key *k = sha2_base(v[i].et);
		size_t wlen = unhex(v[i].cksum, want, sizeof(want)), glen = 0;
		int32_t ct = 0;

		EXPECT_EQ_INT(crypto_checksum_make(k, 2, msg, mlen, &ct, got,
						   &glen),
			      ORTH_OK);
		EXPECT_EQ_INT(ct, v[i].ct);
		EXPECT_EQ_INT(glen, wlen);
		EXPECT_MEM(got, want, wlen);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 2, v[i].ct, msg, mlen,
						     want, wlen),
			      ORTH_OK);
		wlen = unhex(v[i].prf, want, sizeof(want));
		EXPECT_EQ_INT(crypto_prf(k, (const uint8_t *)"test", 4, got,
					 &glen),
			      ORTH_OK);
		EXPECT_EQ_INT(glen, wlen);
		EXPECT_EQ_INT(crypto_enctype_prf_len(v[i].et), wlen);
		EXPECT_MEM(got, want, wlen);
		crypto_key_free(k);
	}
}

/* ---- properties -------------------------------------------------------- */

static void
test_roundtrip(void)
{
	uint8_t plain[100], ct[100 + CRYPTO_MAX_OVERHEAD], back[sizeof(ct)];

	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + 3);
	for (int e = 0; e < N_ALL; e++) {
		struct crypto_key *k = NULL;
		int bad = 0;

		EXPECT_EQ_INT(crypto_key_random(all_enctypes[e], &k), ORTH_OK);
		if (k == NULL)
			continue;
		for (int32_t usage = 1; usage <= 25; usage++) {
			for (size_t len = 0; len <= 100; len++) {
				size_t clen = 0, blen = 0;
				if (crypto_encrypt(k, usage, plain, len, ct,
						   &clen) != ORTH_OK ||
				    clen != crypto_encrypt_len(all_enctypes[e],
							       len) ||
				    crypto_decrypt(k, usage, ct, clen, back,
						   &blen) != ORTH_OK ||
				    blen != len || memcmp(back, plain, len) != 0)
					bad++;
			}
		}
		EXPECT_EQ_INT(bad, 0);
		/* In place: plaintext at the start of the output buffer. */
		size_t clen = 0, blen = 0;
		memcpy(ct, plain, 33);
		EXPECT_EQ_INT(crypto_encrypt(k, 7, ct, 33, ct, &clen), ORTH_OK);
		EXPECT(memcmp(ct + 16, plain, 33) != 0);
		EXPECT_EQ_INT(crypto_decrypt(k, 7, ct, clen, ct, &blen),
			      ORTH_OK);
		EXPECT_EQ_INT(blen, 33);
		EXPECT_MEM(ct, plain, 33);
		/* Two encryptions differ (random confounder). */
		uint8_t c2[sizeof(ct)];
		size_t c2len = 0;
		EXPECT_EQ_INT(crypto_encrypt(k, 7, plain, 33, ct, &clen),
			      ORTH_OK);
		EXPECT_EQ_INT(crypto_encrypt(k, 7, plain, 33, c2, &c2len),
			      ORTH_OK);
		EXPECT(memcmp(ct, c2, clen) != 0);
		crypto_key_free(k);
	}
}

static int
all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* The HMAC length of each enctype, from the RFCs rather than from
 * crypto_encrypt_len: RFC 3962 §6 (96 bits), RFC 8009 §5 (128, 192). */
static size_t
tamper_mac_len(int32_t enctype)
{
	switch (enctype) {
	case ENCTYPE_AES128_CTS_HMAC_SHA1_96:
	case ENCTYPE_AES256_CTS_HMAC_SHA1_96:
		return 12;
	case ENCTYPE_AES128_CTS_HMAC_SHA256_128:
		return 16;
	case ENCTYPE_AES256_CTS_HMAC_SHA384_192:
		return 24;
	default:
		return 0;
	}
}

static void
test_tamper(void)
{
	uint8_t plain[37], ct[37 + CRYPTO_MAX_OVERHEAD], back[sizeof(ct)];

	memset(plain, 'p', sizeof(plain));
	for (int e = 0; e < N_ALL; e++) {
		struct crypto_key *k = NULL, *other = NULL;
		size_t clen = 0, blen = 0;
		int wrong = 0, leaked = 0;

		if (crypto_key_random(all_enctypes[e], &k) != ORTH_OK ||
		    crypto_key_random(all_enctypes[e], &other) != ORTH_OK) {
			EXPECT(0);
			continue;
		}
		EXPECT_EQ_INT(crypto_encrypt(k, 11, plain, sizeof(plain), ct,
					     &clen),
			      ORTH_OK);
		/* The flips below cover every bit only if clen is the whole
		 * ciphertext: RFC 3962 §6 / RFC 8009 §5: a 16-byte confounder,
		 * the plaintext, then the truncated HMAC. */
		EXPECT_EQ_INT(clen, 16 + sizeof(plain) +
					    tamper_mac_len(all_enctypes[e]));
		for (size_t bit = 0; bit < clen * 8; bit++) {
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			memset(back, 0xEE, sizeof(back));
			if (crypto_decrypt(k, 11, ct, clen, back, &blen) !=
			    ORTH_E_INTEGRITY)
				wrong++;
			if (!all_zero(back, clen))
				leaked++;
			ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		EXPECT_EQ_INT(wrong, 0);
		EXPECT_EQ_INT(leaked, 0);
		/* Untouched it still decrypts. */
		EXPECT_EQ_INT(crypto_decrypt(k, 11, ct, clen, back, &blen),
			      ORTH_OK);
		/* Every truncation fails; too short ones are malformed. */
		size_t minlen = crypto_encrypt_len(all_enctypes[e], 0);
		int ok = 0, badcode = 0;
		for (size_t n = 0; n < clen; n++) {
			orth_err r = crypto_decrypt(k, 11, ct, n, back, &blen);
			if (r == ORTH_OK)
				ok++;
			if (n < minlen && r != ORTH_E_MALFORMED)
				badcode++;
			if (n >= minlen && r != ORTH_E_INTEGRITY)
				badcode++;
		}
		EXPECT_EQ_INT(ok, 0);
		EXPECT_EQ_INT(badcode, 0);
		/* Wrong usage, wrong key. */
		EXPECT_EQ_INT(crypto_decrypt(k, 12, ct, clen, back, &blen),
			      ORTH_E_INTEGRITY);
		EXPECT_EQ_INT(crypto_decrypt(other, 11, ct, clen, back, &blen),
			      ORTH_E_INTEGRITY);
		crypto_key_free(k);
		crypto_key_free(other);
	}
}

static void
test_checksum_negative(void)
{
	const uint8_t data[] = "KDC-REQ-BODY bytes";

	for (int e = 0; e < N_ALL; e++) {
		int32_t et = all_enctypes[e], ct = 0;
		struct crypto_key *k = NULL;
		uint8_t ck[CRYPTO_MAX_CKSUM_LEN];
		size_t cklen = 0;

		if (crypto_key_random(et, &k) != ORTH_OK) {
			EXPECT(0);
			continue;
		}
		EXPECT_EQ_INT(crypto_checksum_make(k, 6, data, sizeof(data), &ct,
						   ck, &cklen),
			      ORTH_OK);
		EXPECT_EQ_INT(ct, crypto_enctype_cksumtype(et));
		EXPECT_EQ_INT(cklen, crypto_cksumtype_len(ct));
		EXPECT_EQ_INT(crypto_cksumtype_enctype(ct), et);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, ct, data,
						     sizeof(data), ck, cklen),
			      ORTH_OK);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 7, ct, data,
						     sizeof(data), ck, cklen),
			      ORTH_E_INTEGRITY);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, ct, data,
						     sizeof(data) - 1, ck,
						     cklen),
			      ORTH_E_INTEGRITY);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, ct, data,
						     sizeof(data), ck,
						     cklen - 1),
			      ORTH_E_INTEGRITY);
		/* Another enctype's checksum type, an unkeyed one, garbage. */
		int32_t othertype = crypto_enctype_cksumtype(
			all_enctypes[(e + 1) % N_ALL]);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, othertype, data,
						     sizeof(data), ck, cklen),
			      ORTH_E_CKSUMTYPE);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, 14 /* sha1 */, data,
						     sizeof(data), ck, cklen),
			      ORTH_E_CKSUMTYPE);
		EXPECT_EQ_INT(crypto_checksum_verify(k, 6, -5, data,
						     sizeof(data), ck, cklen),
			      ORTH_E_CKSUMTYPE);
		int bad = 0;
		for (size_t bit = 0; bit < cklen * 8; bit++) {
			ck[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (crypto_checksum_verify(k, 6, ct, data, sizeof(data),
						   ck, cklen) != ORTH_E_INTEGRITY)
				bad++;
			ck[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		EXPECT_EQ_INT(bad, 0);
		crypto_key_free(k);
	}
}

static void
test_s2k_negative(void)
{
	struct crypto_key *k = NULL;
	const uint8_t salt[] = "EXAMPLE.COMuser";
	const uint8_t p3[3] = {0, 0, 1}, p5[5] = {0, 0, 0, 0, 1};
	const uint8_t p0[4] = {0, 0, 0, 0}, pbig[4] = {0x01, 0, 0, 1};

	for (int e = 0; e < N_ALL; e++) {
		int32_t et = all_enctypes[e];
		EXPECT_EQ_INT(crypto_string_to_key(et, "pw", 2, salt, 15, p0, 4,
						   &k),
			      ORTH_E_RANGE);
		EXPECT_EQ_INT(crypto_string_to_key(et, "pw", 2, salt, 15, pbig,
						   4, &k),
			      ORTH_E_RANGE);
		EXPECT_EQ_INT(crypto_string_to_key(et, "pw", 2, salt, 15, p3, 3,
						   &k),
			      ORTH_E_MALFORMED);
		EXPECT_EQ_INT(crypto_string_to_key(et, "pw", 2, salt, 15, p5, 5,
						   &k),
			      ORTH_E_MALFORMED);
		EXPECT_EQ_INT(crypto_string_to_key_iter(et, "pw", 2, salt, 15,
							0, &k),
			      ORTH_E_RANGE);
		EXPECT_EQ_INT(crypto_string_to_key_iter(et, "pw", 2, salt, 15,
							16777217, &k),
			      ORTH_E_RANGE);
		EXPECT(k == NULL);
		/* Empty password and salt are legal inputs. */
		EXPECT_EQ_INT(crypto_string_to_key_iter(et, "", 0, NULL, 0, 1,
							&k),
			      ORTH_OK);
		crypto_key_free(k);
		k = NULL;
	}
	EXPECT_EQ_INT(crypto_string_to_key(23, "pw", 2, salt, 15, NULL, 0, &k),
		      ORTH_E_ENCTYPE);
	EXPECT_EQ_INT(crypto_string_to_key_iter(1, "pw", 2, salt, 15, 1, &k),
		      ORTH_E_ENCTYPE);
	/* Different salt, different key. */
	struct crypto_key *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	EXPECT_EQ_INT(crypto_string_to_key_iter(17, "pw", 2, salt, 15, 3, &a),
		      ORTH_OK);
	EXPECT_EQ_INT(crypto_string_to_key_iter(17, "pw", 2, salt, 14, 3, &b),
		      ORTH_OK);
	if (a && b)
		EXPECT(memcmp(crypto_key_bytes(a, &la), crypto_key_bytes(b, &lb),
			      16) != 0);
	crypto_key_free(a);
	crypto_key_free(b);
}

static void
test_keys_and_names(void)
{
	uint8_t raw[32] = {1, 2, 3};
	struct crypto_key *k = NULL, *c = NULL;
	size_t l1 = 0, l2 = 0;

	EXPECT_EQ_INT(crypto_key_new(17, raw, 32, &k), ORTH_E_KEYSIZE);
	EXPECT_EQ_INT(crypto_key_new(18, raw, 16, &k), ORTH_E_KEYSIZE);
	EXPECT_EQ_INT(crypto_key_new(23, raw, 16, &k), ORTH_E_ENCTYPE);
	EXPECT_EQ_INT(crypto_key_random(16, &k), ORTH_E_ENCTYPE);
	EXPECT(k == NULL);
	EXPECT_EQ_INT(crypto_key_new(20, raw, 32, &k), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_copy(k, &c), ORTH_OK);
	if (k && c) {
		EXPECT_EQ_INT(crypto_key_enctype(c), 20);
		EXPECT_MEM(crypto_key_bytes(k, &l1), crypto_key_bytes(c, &l2),
			   32);
		EXPECT_EQ_INT(l1, 32);
	}
	crypto_key_free(k);
	crypto_key_free(c);
	crypto_key_free(NULL);

	EXPECT_EQ_INT(crypto_enctype_from_name("aes256-cts-hmac-sha1-96"), 18);
	EXPECT_EQ_INT(crypto_enctype_from_name("AES128-CTS-HMAC-SHA1-96"), 17);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes128-cts-hmac-sha256-128"),
		      19);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes256-cts-hmac-sha384-192"),
		      20);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes128-cts"), 17);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes256-cts"), 18);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes128-sha1"), 17);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes256-sha1"), 18);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes128-sha2"), 19);
	EXPECT_EQ_INT(crypto_enctype_from_name("aes256-sha2"), 20);
	EXPECT_EQ_INT(crypto_enctype_from_name("18"), 18);
	EXPECT_EQ_INT(crypto_enctype_from_name("20"), 20);
	EXPECT_EQ_INT(crypto_enctype_from_name("23"), -1);
	EXPECT_EQ_INT(crypto_enctype_from_name("18x"), -1);
	EXPECT_EQ_INT(crypto_enctype_from_name("99999999999999999999"), -1);
	EXPECT_EQ_INT(crypto_enctype_from_name("rc4-hmac"), -1);
	EXPECT_EQ_INT(crypto_enctype_from_name(""), -1);
	EXPECT_EQ_INT(crypto_enctype_from_name(NULL), -1);
	for (int e = 0; e < N_ALL; e++)
		EXPECT_EQ_INT(crypto_enctype_from_name(
				      crypto_enctype_name(all_enctypes[e])),
			      all_enctypes[e]);
	EXPECT(crypto_enctype_name(3) == NULL);
	EXPECT(!crypto_enctype_supported(23));
	EXPECT_EQ_INT(crypto_enctype_keylen(17), 16);
	EXPECT_EQ_INT(crypto_enctype_keylen(20), 32);
	EXPECT_EQ_INT(crypto_enctype_default_iterations(18), 4096);
	EXPECT_EQ_INT(crypto_enctype_default_iterations(19), 32768);
	EXPECT_EQ_INT(crypto_cksumtype_len(16), 12);
	EXPECT_EQ_INT(crypto_cksumtype_len(20), 24);
	EXPECT_EQ_INT(crypto_cksumtype_len(7), 0);
	EXPECT_EQ_INT(crypto_cksumtype_enctype(8), -1);
	EXPECT_EQ_INT(crypto_encrypt_len(17, 5), 16 + 5 + 12);
	EXPECT_EQ_INT(crypto_encrypt_len(20, 5), 16 + 5 + 24);
	EXPECT_EQ_INT(crypto_encrypt_len(23, 5), 0);
	EXPECT(crypto_ct_equal("abc", "abc", 3));
	EXPECT(!crypto_ct_equal("abc", "abd", 3));
}

/* Encryption in place (the plaintext already at crypto_encrypt_head in
 * out) gives the bytes a separate plaintext does, for every enctype. */
static void
test_encrypt_in_place(void)
{
	static const int32_t etypes[] = {17, 18, 19, 20};
	uint8_t conf[16], plain[40], a[128], b[128];
	size_t alen = 0, blen = 0, head;
	struct crypto_key *k;

	memset(conf, 0x11, sizeof(conf));
	for (size_t i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)i;
	EXPECT_EQ_INT(crypto_encrypt_head(23), 0);
	for (size_t e = 0; e < sizeof(etypes) / sizeof(etypes[0]); e++) {
		head = crypto_encrypt_head(etypes[e]);
		EXPECT_EQ_INT(head, 16);
		if (head != 16 || crypto_key_random(etypes[e], &k) != ORTH_OK) {
			EXPECT(0);
			continue;
		}
		EXPECT_EQ_INT(crypto_test_encrypt_confounder(k, 5, conf, plain, sizeof(plain), a,
							     &alen),
			      ORTH_OK);
		memcpy(b + head, plain, sizeof(plain));
		EXPECT_EQ_INT(crypto_test_encrypt_confounder(k, 5, conf, b + head, sizeof(plain),
							     b, &blen),
			      ORTH_OK);
		EXPECT(alen == blen && alen == crypto_encrypt_len(etypes[e], sizeof(plain)) &&
		       memcmp(a, b, alen) == 0);
		crypto_key_free(k);
	}
}

static void
test_cache(void)
{
	struct crypto_key *k = NULL;
	uint8_t ct[64], back[64], ck[CRYPTO_MAX_CKSUM_LEN];
	size_t clen = 0, blen = 0, cklen = 0;
	unsigned long d;

	memset(ct, 'c', sizeof(ct));
	if (crypto_key_random(18, &k) != ORTH_OK) {
		EXPECT(0);
		return;
	}
	/* Usages 1..8 fill the eight slots: Ke and Ki each. */
	for (int32_t u = 1; u <= 8; u++)
		EXPECT_EQ_INT(crypto_encrypt(k, u, ct, 4, ct, &clen), ORTH_OK);
	EXPECT_EQ_INT(crypto_test_derivations(k), 16);
	/* All hits now, encrypt and decrypt alike. */
	for (int32_t u = 1; u <= 8; u++) {
		EXPECT_EQ_INT(crypto_encrypt(k, u, ct, 4, ct, &clen), ORTH_OK);
		EXPECT_EQ_INT(crypto_decrypt(k, u, ct, clen, back, &blen),
			      ORTH_OK);
	}
	EXPECT_EQ_INT(crypto_test_derivations(k), 16);
	/* A checksum with a cached usage derives Kc only. */
	EXPECT_EQ_INT(crypto_checksum_make(k, 8, ct, 4, NULL, ck, &cklen),
		      ORTH_OK);
	EXPECT_EQ_INT(crypto_test_derivations(k), 17);
	/* Usage 9 evicts the least recently used slot (usage 1). */
	EXPECT_EQ_INT(crypto_encrypt(k, 9, ct, 4, ct, &clen), ORTH_OK);
	d = crypto_test_derivations(k);
	EXPECT_EQ_INT(d, 19);
	EXPECT_EQ_INT(crypto_encrypt(k, 2, ct, 4, ct, &clen), ORTH_OK);
	EXPECT_EQ_INT(crypto_test_derivations(k), d);
	EXPECT_EQ_INT(crypto_encrypt(k, 1, ct, 4, ct, &clen), ORTH_OK);
	EXPECT_EQ_INT(crypto_test_derivations(k), d + 2);
	/* The evicted and re-derived usage still round-trips. */
	EXPECT_EQ_INT(crypto_decrypt(k, 1, ct, clen, back, &blen), ORTH_OK);
	crypto_key_free(k);
}

/*
 * KRB-FX-CF2 of k1 and k2 as a key that never ran anything gives it:
 * PRF+ of fresh copies XORed, as long as k1's key (out: its bytes).
 */
static void
cf2_fresh(const struct crypto_key *k1, const char *p1, const struct crypto_key *k2,
	  const char *p2, uint8_t *out, size_t *len)
{
	struct crypto_key *c1 = NULL, *c2 = NULL;
	uint8_t b[CRYPTO_MAX_KEY_LEN];

	*len = crypto_enctype_keylen(crypto_key_enctype(k1));
	EXPECT_EQ_INT(crypto_key_copy(k1, &c1), ORTH_OK);
	EXPECT_EQ_INT(crypto_key_copy(k2, &c2), ORTH_OK);
	EXPECT_EQ_INT(crypto_prf_plus(c1, (const uint8_t *)p1, strlen(p1), out, *len), ORTH_OK);
	EXPECT_EQ_INT(crypto_prf_plus(c2, (const uint8_t *)p2, strlen(p2), b, *len), ORTH_OK);
	for (size_t i = 0; i < *len; i++)
		out[i] ^= b[i];
	crypto_key_free(c1);
	crypto_key_free(c2);
}

/* crypto_key_cf2(k1, p1, k2, p2) is cf2_fresh's answer. */
static void
cf2_expect(struct crypto_key *k1, const char *p1, struct crypto_key *k2, const char *p2)
{
	struct crypto_key *got = NULL;
	uint8_t want[CRYPTO_MAX_KEY_LEN];
	const uint8_t *gb;
	size_t wlen = 0, glen = 0;

	cf2_fresh(k1, p1, k2, p2, want, &wlen);
	EXPECT_EQ_INT(crypto_key_cf2(k1, p1, k2, p2, &got), ORTH_OK);
	if (got == NULL)
		return;
	gb = crypto_key_bytes(got, &glen);
	EXPECT_EQ_INT(glen, wlen);
	EXPECT_MEM(gb, want, wlen);
	crypto_key_free(got);
}

/*
 * What a key remembers for KRB-FX-CF2 (crypto_int.h: the PRF+ of one
 * pepper, FAST's PRF+(TGT session key, "ticketarmor") kept across
 * TGS-REQs) and the one AES context a key shares between DK and its PRF:
 * whatever a key did before, every answer is a fresh key's.  A memo is
 * never used for another key, another pepper or another length.
 */
static void
test_cf2_memo(void)
{
	static const int32_t ets[] = {17, 18, 19, 20};
	static const char long_pepper[] = "a pepper longer than what a key's memo keeps";

	for (size_t i = 0; i < sizeof(ets) / sizeof(ets[0]); i++) {
		struct crypto_key *s = NULL, *s2 = NULL, *k1 = NULL, *k2 = NULL, *k128 = NULL;
		uint8_t ct[64], back[64], a[CRYPTO_MAX_PRF_LEN], b[CRYPTO_MAX_PRF_LEN];
		uint8_t ck[CRYPTO_MAX_CKSUM_LEN], ck2[CRYPTO_MAX_CKSUM_LEN];
		size_t clen = 0, blen = 0, alen = 0, cklen = 0;
		struct crypto_key *fresh = NULL;

		EXPECT_EQ_INT(crypto_key_random(ets[i], &s), ORTH_OK);
		EXPECT_EQ_INT(crypto_key_random(ets[i], &s2), ORTH_OK);
		EXPECT_EQ_INT(crypto_key_random(ets[i], &k1), ORTH_OK);
		EXPECT_EQ_INT(crypto_key_random(ets[i], &k2), ORTH_OK);
		EXPECT_EQ_INT(crypto_key_random(17, &k128), ORTH_OK);
		if (s == NULL || s2 == NULL || k1 == NULL || k2 == NULL || k128 == NULL)
			goto next;
		/* the session key's half made, then remembered: two subkeys */
		cf2_expect(k1, "subkeyarmor", s, "ticketarmor");
		cf2_expect(k2, "subkeyarmor", s, "ticketarmor");
		cf2_expect(k2, "subkeyarmor", s, "ticketarmor");
		/* another session key, the same pepper */
		cf2_expect(k1, "subkeyarmor", s2, "ticketarmor");
		/* the same key, another pepper, then the first one again */
		cf2_expect(k1, "subkeyarmor", s, "replykey");
		cf2_expect(k1, "subkeyarmor", s, "ticketarmor");
		/* a shorter output (k1 of aes128), then the full one again */
		cf2_expect(k128, "subkeyarmor", s, "ticketarmor");
		cf2_expect(k1, "subkeyarmor", s, "ticketarmor");
		/* a pepper too long for the memo */
		cf2_expect(k1, long_pepper, s, long_pepper);
		cf2_expect(k1, long_pepper, s, long_pepper);
		/* one key as both */
		cf2_expect(s, "strengthenkey", s, "replykey");

		/* DK and the PRF in turns on one key (its context re-keyed
		 * each way), each answer a fresh copy's. */
		EXPECT_EQ_INT(crypto_key_copy(k2, &fresh), ORTH_OK);
		if (fresh == NULL)
			goto next;
		memset(ct, 'c', sizeof(ct));
		for (int round = 0; round < 2; round++) {
			EXPECT_EQ_INT(crypto_prf(k2, (const uint8_t *)"in", 2, a, &alen), ORTH_OK);
			EXPECT_EQ_INT(crypto_prf(fresh, (const uint8_t *)"in", 2, b, &blen), ORTH_OK);
			EXPECT_MEM(a, b, alen);
			/* a new usage each round: derived after the PRF ran */
			EXPECT_EQ_INT(crypto_encrypt(k2, 3 + round, ct, 20, ct, &clen), ORTH_OK);
			EXPECT_EQ_INT(crypto_decrypt(fresh, 3 + round, ct, clen, back, &blen),
				      ORTH_OK);
			EXPECT_EQ_INT(crypto_checksum_make(k2, 10 + round, ct, 20, NULL, ck, &cklen),
				      ORTH_OK);
			EXPECT_EQ_INT(crypto_checksum_make(fresh, 10 + round, ct, 20, NULL, ck2,
							   &blen),
				      ORTH_OK);
			EXPECT_MEM(ck, ck2, cklen);
		}
		cf2_expect(k2, "subkeyarmor", s, "ticketarmor");
	next:
		crypto_key_free(fresh);
		crypto_key_free(s);
		crypto_key_free(s2);
		crypto_key_free(k1);
		crypto_key_free(k2);
		crypto_key_free(k128);
	}
}

/*
 * The per-thread memory of crypto.c: the SHA-1s of public PRF inputs
 * (crypto_prf_public) give crypto_prf's output, also after more inputs
 * than it keeps and for other keys; a key made after others were freed
 * (their AES contexts reused, re-keyed) encrypts and decrypts exactly as
 * the first one of the same bytes did.
 */
static void
test_thread_memory(void)
{
	static const uint8_t conf[16] = "0123456789abcdef", plain[20] = "plaintext for spares";
	uint8_t kb[32], in[40], a[CRYPTO_MAX_PRF_LEN], b[CRYPTO_MAX_PRF_LEN];
	uint8_t ct1[64], ct2[64], back[64];
	size_t alen = 0, blen = 0, c1 = 0, c2 = 0, n = 0;
	struct crypto_key *k = NULL, *other[6] = {NULL};

	/* Small random draws come from the per-thread pool: still fresh. */
	EXPECT_EQ_INT(crypto_random_bytes(a, 16), ORTH_OK);
	EXPECT_EQ_INT(crypto_random_bytes(b, 16), ORTH_OK);
	EXPECT(memcmp(a, b, 16) != 0);
	EXPECT_EQ_INT(crypto_random_bytes(a, 0), ORTH_OK);
	for (size_t i = 0; i < sizeof(kb); i++)
		kb[i] = (uint8_t)(3 * i + 7);
	for (int32_t et = 17; et <= 20; et++) {
		size_t kl = crypto_enctype_keylen(et);

		EXPECT_EQ_INT(crypto_key_new(et, kb, kl, &k), ORTH_OK);
		for (int round = 0; round < 2; round++) {
			for (size_t len = 1; len <= 12; len++) {
				memset(in, 'p', sizeof(in));
				in[0] = (uint8_t)len;
				EXPECT_EQ_INT(crypto_prf(k, in, len, a, &alen), ORTH_OK);
				EXPECT_EQ_INT(crypto_prf_public(k, in, len, b, &blen), ORTH_OK);
				EXPECT_EQ_INT(blen, alen);
				EXPECT_MEM(a, b, alen);
			}
		}
		EXPECT_EQ_INT(crypto_test_encrypt_confounder(k, 3, conf, plain, sizeof(plain), ct1,
							     &c1),
			      ORTH_OK);
		crypto_key_free(k);
		k = NULL;
		/* Keys of every enctype made, used and freed: their contexts
		 * become the spares the next key takes. */
		for (size_t i = 0; i < 6; i++) {
			EXPECT_EQ_INT(crypto_key_random(17 + (int32_t)(i % 4), &other[i]), ORTH_OK);
			EXPECT_EQ_INT(crypto_encrypt(other[i], 3, plain, sizeof(plain), ct2, &c2),
				      ORTH_OK);
			EXPECT_EQ_INT(crypto_decrypt(other[i], 3, ct2, c2, back, &n), ORTH_OK);
			EXPECT_EQ_INT(crypto_prf(other[i], plain, 4, a, &alen), ORTH_OK);
		}
		for (size_t i = 0; i < 6; i++) {
			crypto_key_free(other[i]);
			other[i] = NULL;
		}
		EXPECT_EQ_INT(crypto_key_new(et, kb, kl, &k), ORTH_OK);
		EXPECT_EQ_INT(crypto_test_encrypt_confounder(k, 3, conf, plain, sizeof(plain), ct2,
							     &c2),
			      ORTH_OK);
		EXPECT_EQ_INT(c2, c1);
		EXPECT_MEM(ct2, ct1, c1);
		EXPECT_EQ_INT(crypto_decrypt(k, 3, ct1, c1, back, &n), ORTH_OK);
		EXPECT_EQ_INT(n, sizeof(plain));
		EXPECT_MEM(back, plain, sizeof(plain));
		crypto_key_free(k);
		k = NULL;
	}
}

/* A forked child must not reuse the parent's pooled confounders. */
static void
test_fork_confounders(void)
{
	struct crypto_key *k = NULL;
	uint8_t plain[8] = {0}, mine[64], theirs[64];
	size_t clen = 0;
	int fds[2], status = 0;
	pid_t pid;

	if (crypto_key_random(17, &k) != ORTH_OK || pipe(fds) != 0) {
		EXPECT(0);
		return;
	}
	/* Fill this thread's pool before forking. */
	EXPECT_EQ_INT(crypto_encrypt(k, 1, plain, 8, mine, &clen), ORTH_OK);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		ssize_t w = -1;
		if (crypto_encrypt(k, 1, plain, 8, theirs, &clen) == ORTH_OK)
			w = write(fds[1], theirs, clen);
		_exit(w == (ssize_t)clen ? 0 : 1);
	}
	EXPECT(pid > 0);
	close(fds[1]);
	EXPECT_EQ_INT(crypto_encrypt(k, 1, plain, 8, mine, &clen), ORTH_OK);
	EXPECT_EQ_INT(read(fds[0], theirs, sizeof(theirs)), (ssize_t)clen);
	close(fds[0]);
	EXPECT(pid > 0 && waitpid(pid, &status, 0) == pid);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT(memcmp(mine, theirs, clen) != 0);
	crypto_key_free(k);
}

/* RFC 4757 §4 HMAC-MD5 (MS-SFU's PA-FOR-USER checksum) keyed with an
 * aes256 key's bytes, usage 17, over PA-FOR-USER's data for alice@PLAY.REALM
 * (name type 1): the value computed independently (Python's hmac and
 * hashlib, from the RFC's formula). */
static void
test_hmac_md5(void)
{
	static const uint8_t want[16] = {0x7a, 0xb8, 0x7f, 0xf7, 0x0d, 0x45, 0xe2, 0xa4,
					 0xd8, 0xad, 0x77, 0x28, 0x2e, 0xb1, 0x0d, 0x98};
	static const uint8_t data[] = "\x01\x00\x00\x00"
				     "alicePLAY.REALMKerberos";
	uint8_t kb[32], out[16];
	struct crypto_key *k = NULL;

	for (size_t i = 0; i < sizeof(kb); i++)
		kb[i] = (uint8_t)(i + 1);
	EXPECT_EQ_INT(crypto_key_new(ENCTYPE_AES256_CTS_HMAC_SHA1_96, kb, sizeof(kb), &k), ORTH_OK);
	EXPECT_EQ_INT(crypto_checksum_hmac_md5(k, 17, data, sizeof(data) - 1, out), ORTH_OK);
	EXPECT_MEM(out, want, 16);
	EXPECT_EQ_INT(crypto_checksum_hmac_md5(k, 26, data, sizeof(data) - 1, out), ORTH_OK);
	EXPECT(memcmp(out, want, 16) != 0);
	crypto_key_free(k);
}

int
main(void)
{
	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	test_rfc3961_nfold();
	test_rfc3962_s2k();
	test_rfc3962_cts();
	test_cts_lengths();
	test_rfc8009_s2k();
	test_rfc8009_derive();
	test_rfc8009_encrypt();
	test_rfc8009_checksum_prf();
	test_roundtrip();
	test_tamper();
	test_checksum_negative();
	test_hmac_md5();
	test_s2k_negative();
	test_s2k_weak_params();
	test_keys_and_names();
	test_cache();
	test_encrypt_in_place();
	test_cf2_memo();
	test_thread_memory();
	test_fork_confounders();
	return test_done("crypto");
}
