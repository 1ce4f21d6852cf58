/*
 * spake_fuzz.c - libFuzzer harness for SPAKE pre-authentication
 * (src/proto/spake.h): the input is one PA-SPAKE padata-value as it
 * arrives, given to
 *  - the message codec: what decodes re-encodes to the same bytes;
 *  - the KDC, as the client's message, with the fixed initial key, request
 *    body and KDC states of tests/unit/proto/spake_fixture.h (one state
 *    per group, and none): only success, a wrong key (ORTH_E_INTEGRITY)
 *    or KDC_ERR_PREAUTH_FAILED come back; a success is a challenge that
 *    decodes as one, or K'[0];
 *  - the client, as the KDC's message, with the same key and both groups:
 *    only success or KDC_ERR_PREAUTH_FAILED; a success is a support or a
 *    response message that decodes as one (and K'[0] with a response).
 * Seeds (`test_spake --write-seeds`): the support and challenge messages of
 * the RFC 9588 vectors and responses that verify against the fixture's
 * states, so mutations reach the point checks and the factor's decryption.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/krb5_const.h"
#include "proto/spake.h"
#include "../tests/unit/proto/spake_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PREAUTH_FAILED ORTH_E_KRB(KDC_ERR_PREAUTH_FAILED)

static struct arena a;
static struct crypto_key *ikey;
static struct spake_kdc_state states[2];
static uint8_t body[256];
static size_t body_len;
static const int32_t groups[] = {SPAKE_GROUP_EDWARDS25519, SPAKE_GROUP_P256};

static void
teardown(void)
{
	crypto_key_free(ikey);
	arena_free(&a);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t k[32];
	size_t klen = spake_fx_unhex(SPAKE_FX_IKEY, k, sizeof(k));

	(void)argc;
	(void)argv;
	if (arena_init(&a, 1u << 20) != ORTH_OK ||
	    crypto_key_new(SPAKE_FX_ENCTYPE, k, klen, &ikey) != ORTH_OK ||
	    spake_fx_state(0, &states[0]) != ORTH_OK ||
	    spake_fx_state(1, &states[1]) != ORTH_OK)
		abort();
	body_len = spake_fx_unhex(SPAKE_FX_BODY, body, sizeof(body));
	atexit(teardown);
	return 0;
}

/* out decodes as a message of kind want. */
static void
expect_kind(const uint8_t *out, size_t len, enum spake_msg_kind want)
{
	struct spake_msg m;

	if (spake_msg_decode(out, len, &a, &m) != ORTH_OK || m.kind != want)
		abort();
}

static void
codec_check(const uint8_t *data, size_t size)
{
	struct spake_msg m;
	uint8_t *out = NULL;
	size_t out_len = 0;

	if (spake_msg_decode(data, size, &a, &m) != ORTH_OK)
		return;
	if (spake_msg_encode(&m, &a, &out, &out_len) != ORTH_OK ||
	    out_len != size || memcmp(out, data, size) != 0)
		abort();
}

static void
kdc_check(const uint8_t *data, size_t size, const struct spake_kdc_state *st)
{
	struct spake_kdc_reply r;
	orth_err e;

	memset(&r, 0, sizeof(r));
	e = spake_kdc_process(groups, 2, ikey, data, size, st, body, body_len,
			      &a, &r);
	if (e == PREAUTH_FAILED || e == ORTH_E_INTEGRITY) {
		if (r.reply_key != NULL || r.challenge != NULL)
			abort();
		return;
	}
	if (e != ORTH_OK)
		abort();
	if (r.outcome == SPAKE_KDC_CHALLENGE) {
		if (r.reply_key != NULL)
			abort();
		expect_kind(r.challenge, r.challenge_len, SPAKE_MSG_CHALLENGE);
	} else if (r.outcome != SPAKE_KDC_DONE || r.reply_key == NULL ||
		   crypto_key_enctype(r.reply_key) != SPAKE_FX_ENCTYPE) {
		abort();
	}
	crypto_key_free(r.reply_key);
}

static void
client_check(const uint8_t *data, size_t size)
{
	struct spake_client_state cs;
	struct spake_client_reply r;
	orth_err e;

	memset(&cs, 0, sizeof(cs));
	memset(&r, 0, sizeof(r));
	e = spake_client_process(&cs, groups, 2, ikey, data, size, body,
				 body_len, &a, &r);
	if (e == PREAUTH_FAILED) {
		if (r.reply_key != NULL || r.msg != NULL)
			abort();
		return;
	}
	if (e != ORTH_OK)
		abort();
	if (r.outcome == SPAKE_CLIENT_SUPPORT) {
		if (r.reply_key != NULL || cs.support_len != r.msg_len)
			abort();
		expect_kind(r.msg, r.msg_len, SPAKE_MSG_SUPPORT);
	} else if (r.outcome == SPAKE_CLIENT_RESPONSE && r.reply_key != NULL &&
		   cs.responded) {
		expect_kind(r.msg, r.msg_len, SPAKE_MSG_RESPONSE);
	} else {
		abort();
	}
	crypto_key_free(r.reply_key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	arena_reset(&a);
	codec_check(data, size);
	kdc_check(data, size, NULL);
	kdc_check(data, size, &states[0]);
	kdc_check(data, size, &states[1]);
	client_check(data, size);
	return 0;
}
