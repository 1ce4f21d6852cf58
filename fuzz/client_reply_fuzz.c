/*
 * client_reply_fuzz.c - the client's processing of a KDC reply to a
 * TGS-REQ (src/client/kdcex.c client_tgs_rep_process): decode, decrypt,
 * the checks that the reply answers what was asked, and the credential
 * built from it.
 *
 * Random bytes rarely get past the MAC, so the first input byte chooses:
 * odd: the rest is the whole reply as received; even: the rest is the
 * plaintext of the encrypted part (an EncTGSRepPart as a hostile KDC
 * could make it), sealed here under the request's subkey (usage 9) into
 * an otherwise valid TGS-REP, which reaches every check after decryption.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct client_ctx ctx;
static struct arena keep;
static struct ccache_cred tgt;
static struct principal svc;
static struct client_tgs_params params;
static struct client_tgs_req req;
static uint8_t *ticket;
static size_t ticket_len;

static void
setup(void)
{
	const char *s[2] = {"host", "svc.example.org"};
	const char *c[1] = {"alice"};
	const char *k[2] = {"krbtgt", "EXAMPLE.ORG"};
	struct principal alice, krbtgt;
	struct crypto_key *sk = NULL;
	const uint8_t *kb;
	size_t kl;
	Ticket t;
	static uint8_t junk[48];

	if (crypto_init() != ORTH_OK || arena_init(&keep, 1 << 20) != ORTH_OK ||
	    client_conf_load_string("[libdefaults]\n", &ctx.conf, NULL, 0) != ORTH_OK)
		abort();
	if (principal_build(&keep, "EXAMPLE.ORG", 1, 1, c, &alice) != ORTH_OK ||
	    principal_build(&keep, "EXAMPLE.ORG", 3, 2, s, &svc) != ORTH_OK ||
	    principal_build(&keep, "EXAMPLE.ORG", 2, 2, k, &krbtgt) != ORTH_OK ||
	    client_princ_to_cc(&alice, &tgt.client) != ORTH_OK ||
	    client_princ_to_cc(&krbtgt, &tgt.server) != ORTH_OK ||
	    crypto_key_random(18, &sk) != ORTH_OK)
		abort();
	kb = crypto_key_bytes(sk, &kl);
	tgt.enctype = 18;
	if (ccache_data_set(&tgt.key, kb, kl) != ORTH_OK)
		abort();
	crypto_key_free(sk);
	memset(&t, 0, sizeof(t));
	t.tkt_vno = 5;
	t.realm = "EXAMPLE.ORG";
	if (pname_from_principal(&svc, &keep, &t.sname) != ORTH_OK)
		abort();
	t.enc_part.etype = 18;
	t.enc_part.cipher.data = junk;
	t.enc_part.cipher.len = sizeof(junk);
	if (der_encode_arena(&asn1_Ticket, &t, &keep, &ticket, &ticket_len) != ORTH_OK ||
	    ccache_data_set(&tgt.ticket, ticket, ticket_len) != ORTH_OK)
		abort();
	tgt.endtime = 4000000000;
	params.tgt = &tgt;
	params.server = &svc;
	if (client_tgs_req_build(&ctx, &params, &keep, &req) != ORTH_OK)
		abort();
	/* A fixed nonce so seeds (and the fuzzer) can get past that check. */
	req.body.nonce = 0x01020304;
}

/* A TGS-REP around plaintext sealed under the subkey. */
static int
wrap(const uint8_t *plain, size_t len, struct arena *a, uint8_t **out,
     size_t *out_len)
{
	KDC_REP rep;
	uint8_t *ct;
	size_t cl = 0;
	char *alice = "alice";

	memset(&rep, 0, sizeof(rep));
	rep.pvno = 5;
	rep.msg_type = KRB5_MSG_TGS_REP;
	rep.crealm = "EXAMPLE.ORG";
	rep.cname.name_type = 1;
	rep.cname.name_string.len = 1;
	rep.cname.name_string.val = &alice;
	if (der_decode(&asn1_Ticket, ticket, ticket_len, a, &rep.ticket) != ORTH_OK)
		return -1;
	ct = arena_alloc(a, crypto_encrypt_len(18, len) + 1);
	if (ct == NULL ||
	    crypto_encrypt(req.subkey, KU_TGS_REP_ENC_PART_SUBKEY, plain, len, ct,
			   &cl) != ORTH_OK)
		return -1;
	rep.enc_part.etype = 18;
	rep.enc_part.cipher.data = ct;
	rep.enc_part.cipher.len = cl;
	return der_encode_arena(&asn1_TGS_REP, &rep, a, out, out_len) == ORTH_OK ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct arena a = {0};
	struct ccache_cred cred;
	const uint8_t *rep = data + 1;
	size_t rep_len = size ? size - 1 : 0;
	uint8_t *w = NULL;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size == 0 || arena_init(&a, 1 << 20) != ORTH_OK)
		return 0;
	if ((data[0] & 1) == 0) {
		if (wrap(data + 1, size - 1, &a, &w, &rep_len) != 0) {
			arena_free(&a);
			return 0;
		}
		rep = w;
	}
	memset(&cred, 0, sizeof(cred));
	orth_err e = client_tgs_rep_process(&ctx, &params, &req, rep, rep_len, &a, &cred);
	if (getenv("FUZZ_VERBOSE") != NULL)  /* for checking the seeds */
		fprintf(stderr, "result %d: %s\n", e, e ? ctx.msg : "accepted");
	if (e == ORTH_OK) {
		/* Only a reply that names what was asked gets here. */
		if (cred.server.ncomps != 2 ||
		    memcmp(cred.server.comps[1].data, "svc.example.org", 16) != 0)
			abort();
	}
	ccache_cred_free(&cred);
	arena_free(&a);
	return 0;
}
