/*
 * spake_fixture.h - the fixed initial key, KDC states and request body that
 * fuzz/spake_fuzz.c runs against, and for which `test_spake --write-seeds`
 * writes valid seeds: the RFC 9588 Appendix C vectors for
 * aes256-cts-hmac-sha1-96, whose initial key is the same in both groups.
 * A state is what spake_kdc_challenge() would have kept for the vector's
 * x after the vector's support and challenge messages, so the vector's S
 * with an SF-NONE factor under its K'[1] is a response that verifies.
 */
#ifndef ORTHRUS_TESTS_SPAKE_FIXTURE_H
#define ORTHRUS_TESTS_SPAKE_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/spake.h"

#define SPAKE_FX_ENCTYPE 18
#define SPAKE_FX_IKEY                                                         \
	"01B897121D933AB44B47EB5494DB15E50EB74530DBDAE9B634D65020FF5D88C1"
#define SPAKE_FX_BODY                                                         \
	"3075A00703050000000000A1143012A003020101A10B30091B07726165627572"    \
	"6EA2101B0E415448454E412E4D49542E454455A3233021A003020102A11A3018"    \
	"1B066B72627467741B0E415448454E412E4D49542E454455A511180F31393730"    \
	"303130313030303030305AA703020100A8053003020112"

static const struct spake_fx_group {
	int32_t group;
	const char *x, *S, *support, *challenge, *k1;
} spake_fx[2] = {
	{SPAKE_GROUP_EDWARDS25519,
	 "88C6C0A4F0241EF217C9788F02C32D00B72E4310748CD8FB5F94717607E6417D",
	 "9E2CC32908FC46273279EC75354B4AEAFA70C3D99A4D507175ED70D80B255DDA",
	 "A0093007A0053003020101",
	 "A1363034A003020101A12204206F301AACAE1220E91BE42868C163C5009AEEA1"
	 "E9D9E28AFCFC339CDA5E7105B5A20930073005A003020101",
	 "1865A9EE1EF0640EC28AC007391CAC624C42639C714767A974E99AA10003015F"},
	{SPAKE_GROUP_P256,
	 "935DDD725129FB7C6288E1A5CC45782198A6416D1775336D71EACD0549A3E80E",
	 "021D07DC31266FC7CFD904CE2632111A169B7EC730E5F74A7E79700F86638E13C8",
	 "A0093007A0053003020102",
	 "A1373035A003020102A1230421024F62078CEB53840D02612195494D0D0D88DE"
	 "21FEEB81187C71CBF3D01E71788DA20930073005A003020101",
	 "17D74E36F8993841FBB7FEB12FA4F011243D3AE4D2ACE55B39379294BBC4DB2C"},
};

/* Hex to bytes; aborts past cap (fixed data only). */
static inline size_t
spake_fx_unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
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

/* The KDC's state for spake_fx[i]; ORTH_OK or the first error. */
static inline orth_err
spake_fx_state(size_t i, struct spake_kdc_state *out)
{
	uint8_t support[64], challenge[128];
	size_t slen, clen;

	memset(out, 0, sizeof(*out));
	out->group = spake_fx[i].group;
	out->enctype = SPAKE_FX_ENCTYPE;
	spake_fx_unhex(spake_fx[i].x, out->x, sizeof(out->x));
	slen = spake_fx_unhex(spake_fx[i].support, support, sizeof(support));
	clen = spake_fx_unhex(spake_fx[i].challenge, challenge,
			      sizeof(challenge));
	return spake_thash_update(out->group, out->thash, support, slen,
				  challenge, clen);
}

#endif
