/*
 * kdc_dispatch_fuzz.c - libFuzzer harness for the whole KDC request path:
 * kdc_handle() (APPLICATION-tag dispatch, AS and TGS exchanges, policy,
 * replay and lookaside caches, KRB-ERROR) over an in-process realm.
 *
 * The realm is the one of the MIT captures in tests/vectors/mit/ (made by
 * tools/capture-mit-vectors.sh): TEST.REALM, "user" with password "userpw"
 * and requires-preauth, and a service host/svc.test; plus a client without
 * requires-preauth ("alice"), a user-to-user server and a client that
 * requires FAST ("fastuser").  The clock is fixed
 * at the captures' time so that their PA-ENC-TIMESTAMP is within the skew
 * and the AS exchange runs to the end.  The krbtgt key comes from a fixed
 * password (kdc_fixture.h), so seeds holding tickets it issued decrypt:
 * the FAST seeds of `test_kdc_fast --write-seeds` carry alice's TGT as
 * armor, and cookies sealed under a key derived from the krbtgt key.
 *
 * Oracles besides the sanitizers: a reply is an AS-REP, TGS-REP or
 * KRB-ERROR that decodes; the same datagram sent again is answered from
 * the lookaside cache with the identical bytes (RFC 4120 §7.2.1).
 *
 * The KDC logs one line per request on stderr; unless ORTH_FUZZ_LOG is set
 * the harness adds -close_fd_mask=2 (libFuzzer keeps its own output and
 * the sanitizer reports on a copy of stderr).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asn1/asn1.h"
#include "base/writer.h"
#include "db/db.h"
#include "kdc/kdc.h"
#include "proto/krb5_const.h"
#include "../tests/unit/kdc/kdc_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kdc_fixture fx;
static struct arena check_arena;
static uint8_t reply1[1 << 16], reply2[1 << 16];
static char *new_argv[256];

static void
setup(void)
{
	if (kdc_fixture_open_dispatch(&fx) != ORTH_OK ||
	    arena_init(&check_arena, 1u << 20) != ORTH_OK)
		abort();
}

static void
teardown(void)
{
	kdc_fixture_close(&fx);
	arena_free(&check_arena);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int n = *argc;

	if (getenv("ORTH_FUZZ_LOG") == NULL && n > 0 && n < 255) {
		memcpy(new_argv, *argv, (size_t)n * sizeof(char *));
		new_argv[n++] = (char *)"-close_fd_mask=2";
		new_argv[n] = NULL;
		*argc = n;
		*argv = new_argv;
	}
	setup();
	atexit(teardown);
	return 0;
}

/* A reply must be one of the three messages a KDC sends, and decode. */
static void
reply_check(const uint8_t *buf, size_t len)
{
	const struct der_type *t;
	union {
		AS_REP as;
		TGS_REP tgs;
		KRB_ERROR err;
	} u;

	switch (der_peek_application_tag(buf, len)) {
	case KRB5_MSG_AS_REP: t = &asn1_AS_REP; break;
	case KRB5_MSG_TGS_REP: t = &asn1_TGS_REP; break;
	case KRB5_MSG_ERROR: t = &asn1_KRB_ERROR; break;
	default: abort();
	}
	memset(&u, 0, sizeof(u));
	arena_reset(&check_arena);
	if (der_decode(t, buf, len, &check_arena, &u) != ORTH_OK)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct writer w1, w2;
	struct kdc_request_info info;

	/* Fresh caches per input: the outcome depends on this input only
	 * (a seed's authenticator is not a replay of its own last run). */
	kdc_replay_free(fx.sh.replay);
	kdc_lookaside_free(fx.sh.lookaside);
	fx.sh.replay = NULL;
	fx.sh.lookaside = NULL;
	if (kdc_replay_new(64, 0, &fx.sh.replay) != ORTH_OK ||
	    kdc_lookaside_new(0, 64, 1u << 20, &fx.sh.lookaside) != ORTH_OK)
		abort();

	/* Both transports' paths (UDP: silence for what does not decode,
	 * RESPONSE_TOO_BIG), picked by the input so that it replays alike. */
	kdc_request_info_local(&info, size % 2 ? KDC_TRANSPORT_UDP : KDC_TRANSPORT_TCP, "fuzz");
	writer_init(&w1, reply1, sizeof(reply1));
	(void)kdc_handle(fx.ctx, &info, data, size, &w1);
	if (w1.len == 0)
		return 0;
	if (writer_err(&w1) != ORTH_OK)
		abort();
	reply_check(reply1, w1.len);

	/* RFC 4120 §7.2.1: a retransmission gets the identical reply. */
	writer_init(&w2, reply2, sizeof(reply2));
	(void)kdc_handle(fx.ctx, &info, data, size, &w2);
	if (w2.len != w1.len || memcmp(reply1, reply2, w1.len) != 0)
		abort();
	return 0;
}
