/*
 * kpasswd_fuzz.c - libFuzzer harness for the kpasswd service (port 464):
 * the input is one message as it arrives, given to the message codec of
 * src/proto/kpasswd.h alone, then to kdc_handle() for the kpasswd service
 * over UDP and over TCP, on an in-process realm (the fixture: TEST.REALM
 * with the principals and passwords of tests/unit/kdc/test_kpasswd.c,
 * kadmin/changepw's key from a fixed password, the clock fixed at the
 * seeds' time, an ACL letting admin set carol's password).
 *
 * Oracles besides the sanitizers:
 *  - the codec: a frame that decodes re-encodes to the same bytes, and so
 *    do a ChangePasswdData and a result; what does not decode as a frame
 *    is never classified a request;
 *  - what comes back is a frame of version 1 holding an AP-REP and a
 *    KRB-PRIV, or no AP part and a KRB-ERROR whose e-data is a result;
 *    nothing comes back for a message shaped like a reply, and over UDP
 *    nothing for what is not a well-framed request (CVE-2002-2443).
 * The replay cache is made anew (small) before each request, so that the
 * authenticator of a seed is fresh every time and the fuzzer gets past
 * the AP-REQ to the KRB-PRIV and the change.  Seeds: valid requests
 * written by `test_kpasswd --write-seeds` (same realm, keys and clock).
 *
 * The KDC logs one line per request on stderr; unless ORTH_FUZZ_LOG is set
 * the harness adds -close_fd_mask=2 (libFuzzer keeps its own output and
 * the sanitizer reports on a copy of stderr).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asn1/asn1.h"
#include "base/writer.h"
#include "db/db.h"
#include "kdc/acl.h"
#include "kdc/kdc.h"
#include "proto/kpasswd.h"
#include "proto/krb5_const.h"
#include "../tests/unit/kdc/kdc_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kdc_fixture fx;
static struct kdc_acl *acl;
static struct arena check_arena;
static uint8_t reply[1 << 16], copy[KPASSWD_MAX_MSG];
static char *new_argv[256];

static void
setup(void)
{
	static const char acl_text[] = "admin@TEST.REALM c carol@TEST.REALM\n";
	char err[256];

	if (kdc_fixture_open_kpasswd(&fx) != ORTH_OK ||
	    arena_init(&check_arena, 1u << 20) != ORTH_OK ||
	    kdc_acl_parse(acl_text, sizeof(acl_text) - 1, "acl", "TEST.REALM", &acl, err,
			  sizeof(err)) != ORTH_OK)
		abort();
	fx.sh.acl = acl;
}

static void
teardown(void)
{
	fx.sh.acl = NULL;
	kdc_fixture_close(&fx);
	kdc_acl_free(acl);
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

/* The codec on its own: round trips, and no request without a frame. */
static void
codec_check(const uint8_t *data, size_t size)
{
	struct kpasswd_frame f;
	struct kpasswd_data d;
	struct writer w;
	const char *why;
	uint8_t *out;
	size_t out_len;
	uint16_t code;
	const uint8_t *text;
	size_t tlen;
	enum kpasswd_kind kind;
	bool framed = kpasswd_frame_decode(data, size, &f) == ORTH_OK;

	if (framed) {
		writer_init(&w, copy, sizeof(copy));
		if (kpasswd_frame_encode(&f, &w) != ORTH_OK || w.len != size ||
		    memcmp(copy, data, size) != 0)
			abort();
	}
	kind = kpasswd_request_classify(data, size, &f, &why);
	if (!framed && kind != KPASSWD_KIND_REPLY && kind != KPASSWD_KIND_MALFORMED)
		abort();
	if (why == NULL)
		abort();
	arena_reset(&check_arena);
	if (kpasswd_data_decode(KPASSWD_VERSION_SET, data, size, &check_arena, &d) == ORTH_OK &&
	    (kpasswd_data_encode(KPASSWD_VERSION_SET, &d, &check_arena, &out, &out_len) !=
		     ORTH_OK ||
	     out_len != size || memcmp(out, data, size) != 0))
		abort();
	if (kpasswd_result_decode(data, size, &code, &text, &tlen) == ORTH_OK &&
	    tlen <= KPASSWD_MAX_TEXT &&
	    (kpasswd_result_encode(code, (const char *)text, tlen, &check_arena, &out,
				   &out_len) != ORTH_OK ||
	     out_len != size || memcmp(out, data, size) != 0))
		abort();
}

/* What the service answered must be one of its two answers. */
static void
reply_check(size_t n, enum kpasswd_kind kind, bool udp)
{
	struct kpasswd_frame f;
	KRB_ERROR e;
	uint16_t code;
	const uint8_t *text;
	size_t tlen;

	if (n == 0)
		return;
	if (kind == KPASSWD_KIND_REPLY || (udp && kind != KPASSWD_KIND_REQUEST))
		abort();
	if (kpasswd_frame_decode(reply, n, &f) != ORTH_OK || f.version != KPASSWD_VERSION_CHANGE)
		abort();
	if (f.ap_len != 0) {
		if (der_peek_application_tag(f.ap, f.ap_len) != KRB5_MSG_AP_REP ||
		    der_peek_application_tag(f.body, f.body_len) != KRB5_MSG_PRIV)
			abort();
		return;
	}
	arena_reset(&check_arena);
	memset(&e, 0, sizeof(e));
	if (der_decode(&asn1_KRB_ERROR, f.body, f.body_len, &check_arena, &e) != ORTH_OK ||
	    e.e_data == NULL ||
	    kpasswd_result_decode(e.e_data->data, e.e_data->len, &code, &text, &tlen) != ORTH_OK ||
	    code == KPASSWD_SUCCESS)
		abort();
}

/* One request over transport t (a fresh replay cache first). */
static void
one(const uint8_t *data, size_t size, enum kdc_transport t, enum kpasswd_kind kind)
{
	struct kdc_request_info info;
	struct kdc_replay *rc = NULL;
	struct writer w;

	if (kdc_replay_new(64, 0, &rc) != ORTH_OK)
		abort();
	kdc_replay_free(fx.sh.replay);
	fx.sh.replay = rc;
	kdc_request_info_local(&info, t, "fuzz");
	info.service = KDC_SERVICE_KPASSWD;
	if (t == KDC_TRANSPORT_UDP) {
		/* the address the datagram came to, for the KRB-PRIV */
		struct sockaddr_in *sin = (struct sockaddr_in *)&info.local;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(464);
		sin->sin_addr.s_addr = htonl(0x7f000001);
		info.local_len = sizeof(*sin);
	}
	writer_init(&w, reply, sizeof(reply));
	(void)kdc_handle(fx.ctx, &info, data, size, &w);
	if (writer_err(&w) != ORTH_OK)
		abort();
	reply_check(w.len, kind, t == KDC_TRANSPORT_UDP);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kpasswd_frame f;
	const char *why;
	enum kpasswd_kind kind;

	if (size > KPASSWD_MAX_MSG)
		return 0;
	codec_check(data, size);
	kind = kpasswd_request_classify(data, size, &f, &why);
	one(data, size, KDC_TRANSPORT_UDP, kind);
	one(data, size, KDC_TRANSPORT_TCP, kind);
	return 0;
}
