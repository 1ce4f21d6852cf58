/*
 * mit_xcheck.c - Orthrus crypto against MIT krb5's libk5crypto (Debian's
 * libkrb5).  Only this test program links MIT; Orthrus itself never does.
 *
 * For each enctype: our ciphertext decrypts with krb5_c_decrypt and MIT's
 * with ours (several usages and lengths), string-to-key agrees (default and
 * explicit s2kparams), keyed checksums verify both ways, the PRF agrees;
 * our n-fold (RFC 3961 §5.1) gives what MIT's gives for every input length
 * up to 40 bytes and output lengths 16 to 48.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ours first: krb5.h #defines the ENCTYPE_* names our enum declares. */
#include "crypto/crypto.h"
#include "crypto/crypto_test.h"
#include "../test.h"

#include <krb5/krb5.h>

/* Exported by libk5crypto, declared in no installed header. */
void krb5int_nfold(unsigned int inbits, const unsigned char *in, unsigned int outbits,
		   unsigned char *out);

static krb5_context kctx;

static const int32_t all_enctypes[] = {17, 18, 19, 20};
static const int32_t usages[] = {1, 2, 3, 7, 11, 12, 22, 1023};
/* 240 .. 257 and 1000: across cts.c's 256-byte decryption chunks (the
 * 16-byte confounder comes first). */
static const size_t lengths[] = {0, 1, 5, 15, 16, 17, 31, 32, 33, 100, 240, 241, 255, 256, 257, 1000};

static krb5_keyblock
mit_keyblock(const struct crypto_key *k)
{
	krb5_keyblock kb;
	size_t len = 0;

	memset(&kb, 0, sizeof(kb));
	kb.magic = KV5M_KEYBLOCK;
	kb.enctype = crypto_key_enctype(k);
	kb.contents = (krb5_octet *)crypto_key_bytes(k, &len);
	kb.length = (unsigned int)len;
	return kb;
}

static void
xcheck_encrypt(struct crypto_key *k)
{
	krb5_keyblock kb = mit_keyblock(k);
	uint8_t *plain = malloc(1000), *ct = malloc(1000 + CRYPTO_MAX_OVERHEAD);
	uint8_t *back = malloc(1000 + CRYPTO_MAX_OVERHEAD);
	int ours_bad = 0, theirs_bad = 0, n = 0;

	for (size_t i = 0; i < 1000; i++)
		plain[i] = (uint8_t)(i * 31 + 1);
	for (size_t u = 0; u < sizeof(usages) / sizeof(usages[0]); u++) {
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]);
		     l++) {
			size_t len = lengths[l], clen = 0, blen = 0, mlen = 0;
			krb5_data in, out;
			krb5_enc_data enc;

			n++;
			/* Ours -> MIT. */
			if (crypto_encrypt(k, usages[u], plain, len, ct, &clen) !=
			    ORTH_OK) {
				ours_bad++;
				continue;
			}
			memset(&enc, 0, sizeof(enc));
			enc.enctype = kb.enctype;
			enc.ciphertext.data = (char *)ct;
			enc.ciphertext.length = (unsigned int)clen;
			out.data = (char *)back;
			out.length = (unsigned int)clen;
			if (krb5_c_decrypt(kctx, &kb, usages[u], NULL, &enc,
					   &out) != 0 ||
			    out.length != len || memcmp(back, plain, len) != 0)
				ours_bad++;

			/* MIT -> ours. */
			if (krb5_c_encrypt_length(kctx, kb.enctype, len,
						  &mlen) != 0 ||
			    mlen != crypto_encrypt_len(kb.enctype, len)) {
				theirs_bad++;
				continue;
			}
			in.data = (char *)plain;
			in.length = (unsigned int)len;
			enc.ciphertext.data = (char *)ct;
			enc.ciphertext.length = (unsigned int)mlen;
			if (krb5_c_encrypt(kctx, &kb, usages[u], NULL, &in,
					   &enc) != 0) {
				theirs_bad++;
				continue;
			}
			if (crypto_decrypt(k, usages[u], ct,
					   enc.ciphertext.length, back,
					   &blen) != ORTH_OK ||
			    blen != len || memcmp(back, plain, len) != 0)
				theirs_bad++;
			/* And MIT's ciphertext is not accepted for another usage. */
			if (crypto_decrypt(k, usages[u] + 1, ct,
					   enc.ciphertext.length, back,
					   &blen) != ORTH_E_INTEGRITY)
				theirs_bad++;
		}
	}
	EXPECT(n > 0);
	EXPECT_EQ_INT(ours_bad, 0);
	EXPECT_EQ_INT(theirs_bad, 0);
	free(plain);
	free(ct);
	free(back);
}

static void
xcheck_checksum(struct crypto_key *k)
{
	krb5_keyblock kb = mit_keyblock(k);
	const char *msgs[] = {"", "a", "KDC-REQ-BODY", "0123456789abcdef0123"};

	for (size_t u = 0; u < sizeof(usages) / sizeof(usages[0]); u++) {
		for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
			uint8_t ck[CRYPTO_MAX_CKSUM_LEN];
			size_t cklen = 0;
			int32_t ct = 0;
			krb5_data data;
			krb5_checksum cksum, theirs;
			krb5_boolean valid = 0;

			data.data = (char *)msgs[m];
			data.length = (unsigned int)strlen(msgs[m]);
			EXPECT_EQ_INT(crypto_checksum_make(
					      k, usages[u],
					      (const uint8_t *)msgs[m],
					      data.length, &ct, ck, &cklen),
				      ORTH_OK);
			memset(&cksum, 0, sizeof(cksum));
			cksum.checksum_type = ct;
			cksum.contents = ck;
			cksum.length = (unsigned int)cklen;
			EXPECT_EQ_INT(krb5_c_verify_checksum(kctx, &kb,
							     usages[u], &data,
							     &cksum, &valid),
				      0);
			EXPECT(valid);

			memset(&theirs, 0, sizeof(theirs));
			EXPECT_EQ_INT(krb5_c_make_checksum(kctx, ct, &kb,
							   usages[u], &data,
							   &theirs),
				      0);
			EXPECT_EQ_INT(theirs.length, cklen);
			EXPECT_EQ_INT(crypto_checksum_verify(
					      k, usages[u], theirs.checksum_type,
					      (const uint8_t *)msgs[m],
					      data.length, theirs.contents,
					      theirs.length),
				      ORTH_OK);
			/* Ours with the wrong usage is refused by MIT too. */
			valid = 1;
			EXPECT_EQ_INT(krb5_c_verify_checksum(kctx, &kb,
							     usages[u] + 1,
							     &data, &cksum,
							     &valid),
				      0);
			EXPECT(!valid);
			krb5_free_checksum_contents(kctx, &theirs);
		}
	}
}

static void
xcheck_prf(struct crypto_key *k)
{
	krb5_keyblock kb = mit_keyblock(k);
	const char *ins[] = {"", "test", "\x01\x61", "a longer PRF input, 33 bytes..."};

	for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
		uint8_t ours[CRYPTO_MAX_PRF_LEN], theirs[CRYPTO_MAX_PRF_LEN];
		size_t olen = 0, tlen = 0;
		krb5_data in, out;

		EXPECT_EQ_INT(crypto_prf(k, (const uint8_t *)ins[i],
					 strlen(ins[i]), ours, &olen),
			      ORTH_OK);
		EXPECT_EQ_INT(krb5_c_prf_length(kctx, kb.enctype, &tlen), 0);
		EXPECT_EQ_INT(olen, tlen);
		in.data = (char *)ins[i];
		in.length = (unsigned int)strlen(ins[i]);
		out.data = (char *)theirs;
		out.length = (unsigned int)tlen;
		EXPECT_EQ_INT(krb5_c_prf(kctx, &kb, &in, &out), 0);
		EXPECT_MEM(ours, theirs, olen);
	}
}

static void
xcheck_s2k(int32_t et)
{
	/*
	 * MIT refuses s2kparams below the enctype's default count (outside
	 * its own test suite), so explicit counts here are def, def+1, 2*def.
	 */
	uint32_t def = crypto_enctype_default_iterations(et);
	const struct {
		const char *pw, *salt;
		uint32_t iter; /* 0: default (no params) */
	} v[] = {
		{"password", "ATHENA.MIT.EDUraeburn", 0},
		{"password", "ATHENA.MIT.EDUraeburn", def},
		{"", "EXAMPLE.COMuser", def + 1},
		{"correct horse battery staple", "", 0},
		{"p\xc3\xa4ssw\xc3\xb6rd", "EXAMPLE.COMhost/kdc.example.com",
		 2 * def},
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct crypto_key *ours = NULL;
		krb5_keyblock theirs;
		krb5_data pw, salt, params, *pp = NULL;
		uint8_t pb[4];
		size_t len = 0;

		pw.data = (char *)v[i].pw;
		pw.length = (unsigned int)strlen(v[i].pw);
		salt.data = (char *)v[i].salt;
		salt.length = (unsigned int)strlen(v[i].salt);
		if (v[i].iter != 0) {
			pb[0] = (uint8_t)(v[i].iter >> 24);
			pb[1] = (uint8_t)(v[i].iter >> 16);
			pb[2] = (uint8_t)(v[i].iter >> 8);
			pb[3] = (uint8_t)v[i].iter;
			params.data = (char *)pb;
			params.length = 4;
			pp = &params;
		}
		memset(&theirs, 0, sizeof(theirs));
		EXPECT_EQ_INT(crypto_string_to_key(et, v[i].pw, pw.length,
						   (const uint8_t *)v[i].salt,
						   salt.length, pp ? pb : NULL,
						   pp ? 4 : 0, &ours),
			      ORTH_OK);
		EXPECT_EQ_INT(krb5_c_string_to_key_with_params(
				      kctx, et, &pw, &salt, pp, &theirs),
			      0);
		if (ours != NULL && theirs.contents != NULL) {
			const uint8_t *b = crypto_key_bytes(ours, &len);
			EXPECT_EQ_INT(len, theirs.length);
			EXPECT_MEM(b, theirs.contents, len);
		}
		crypto_key_free(ours);
		krb5_free_keyblock_contents(kctx, &theirs);
	}
}

static void
xcheck_nfold(void)
{
	static const size_t outs[] = {16, 21, 24, 32, 48};
	uint8_t in[40], ours[CRYPTO_MAX_PRF_LEN], theirs[CRYPTO_MAX_PRF_LEN];
	int bad = 0;

	EXPECT_EQ_INT(crypto_random_bytes(in, sizeof(in)), ORTH_OK);
	for (size_t n = 1; n <= sizeof(in); n++)
		for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
			EXPECT_EQ_INT(crypto_test_nfold(in, n, ours, outs[o]), ORTH_OK);
			krb5int_nfold((unsigned)(n * 8), in, (unsigned)(outs[o] * 8), theirs);
			bad += memcmp(ours, theirs, outs[o]) != 0;
		}
	EXPECT_EQ_INT(bad, 0);
}

int
main(void)
{
	if (krb5_init_context(&kctx) != 0) {
		fprintf(stderr, "krb5_init_context failed\n");
		return 1;
	}
	EXPECT_EQ_INT(crypto_init(), ORTH_OK);
	xcheck_nfold();
	for (size_t e = 0; e < 4; e++) {
		struct crypto_key *k = NULL;

		EXPECT_EQ_INT(crypto_key_random(all_enctypes[e], &k), ORTH_OK);
		if (k == NULL)
			continue;
		xcheck_encrypt(k);
		xcheck_checksum(k);
		xcheck_prf(k);
		xcheck_s2k(all_enctypes[e]);
		crypto_key_free(k);
	}
	krb5_free_context(kctx);
	return test_done("crypto-mit");
}
