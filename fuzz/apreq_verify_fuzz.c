/*
 * apreq_verify_fuzz.c - libFuzzer target for the whole service-side
 * verifier (apreq_verify): DER decode, keytab lookup, ticket and
 * authenticator decryption, every check, the replay cache, and the AP-REP.
 * The keytab is fixed (HTTP/www.example.org@EXAMPLE.ORG, aes256-sha1, kvno 1,
 * key 0x11 x 32) and so is the clock, matching the seeds that
 * tests/unit/client/test_apreq writes (APREQ_WRITE_SEEDS=DIR), so the
 * fuzzer starts from AP-REQs that pass and mutates past the MAC checks'
 * entry points.  Invariants: an accepted AP-REQ is a replay the second time
 * in the same cache, and the AP-REP built for it verifies for the client.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/apreq.h"
#include "client/rcache.h"
#include "proto/krb5_const.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1700000000

static struct arena A, P;
static struct keytab_entry kt[2];
static uint8_t key1[32], key2[32];

static void
setup(void)
{
	static const char *c_svc[] = {"HTTP", "www.example.org"};
	struct principal svc;

	if (crypto_init() != ORTH_OK || arena_init(&A, 1u << 20) != ORTH_OK ||
	    arena_init(&P, 1u << 12) != ORTH_OK ||
	    principal_build(&P, "EXAMPLE.ORG", KRB5_NT_SRV_HST, 2, c_svc,
			    &svc) != ORTH_OK)
		abort();
	memset(key1, 0x11, sizeof(key1));
	memset(key2, 0x22, sizeof(key2));
	kt[0] = (struct keytab_entry){svc, 0, 1, ENCTYPE_AES256_CTS_HMAC_SHA1_96, key1, 32};
	kt[1] = (struct keytab_entry){svc, 0, 2, ENCTYPE_AES128_CTS_HMAC_SHA1_96, key2, 16};
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct apreq_verify_params p = {0};
	struct apreq_result r;
	struct apreq_state st = {0};
	struct aprep_result rr;
	struct rcache *rc = NULL;
	char errbuf[128];
	uint8_t *rep;
	size_t rep_len;
	uint32_t seq = 1;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (rcache_new(64, &rc) != ORTH_OK)
		abort();
	p.keys = kt;
	p.nkeys = 2;
	p.rcache = rc;
	p.now = NOW;
	p.errbuf = errbuf;
	p.errcap = sizeof(errbuf);
	if (apreq_verify(&p, data, size, &A, &r) == ORTH_OK) {
		struct apreq_result r2;
		if (apreq_verify(&p, data, size, &A, &r2) !=
		    ORTH_E_KRB(KRB_AP_ERR_REPEAT))
			abort();
		if (aprep_encode(&r, r.subkey, &seq, &A, &rep, &rep_len) != ORTH_OK)
			abort();
		st.ctime = r.ctime;
		st.cusec = r.cusec;
		st.session_key = r.session_key;
		if (aprep_verify(&st, rep, rep_len, &A, &rr) != ORTH_OK ||
		    !rr.has_seq || rr.seq_number != 1 ||
		    (rr.subkey != NULL) != (r.subkey != NULL))
			abort();
		aprep_result_free(&rr);
		apreq_result_free(&r);
	}
	rcache_free(rc);
	arena_reset(&A);
	return 0;
}
