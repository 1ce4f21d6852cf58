/*
 * vfy_creds.c - orthrus_verify_init_creds() (include/orthrus/service.h):
 * MIT's krb5_verify_init_creds for login programs.  A password that
 * decrypts an AS-REP proves nothing when the attacker also answers as the
 * KDC; a ticket for one of our own services that our keytab decrypts
 * does, since only the real KDC has that key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/apreq.h"
#include "client/client_int.h"
#include "orthrus/client.h"
#include "orthrus/service.h"
#include "proto/krb5_const.h"

#define VFY_ARENA (256u * 1024)
#define VFY_MAX_HOSTS 16

/* host/... principals of the keytab, each once (MIT's
 * get_host_princs_from_keytab). */
static size_t
host_principals(const struct keytab *kt, const struct principal **out)
{
	size_t n = 0;

	for (size_t i = 0; i < kt->n && n < VFY_MAX_HOSTS; i++) {
		const struct principal *p = &kt->entries[i].princ;
		bool seen = false;
		if (p->ncomp != 2 || strcmp(p->comp[0].data, "host") != 0)
			continue;
		for (size_t j = 0; j < n && !seen; j++)
			seen = principal_equal(out[j], p);
		if (!seen)
			out[n++] = p;
	}
	return n;
}

static bool
keytab_has(const struct keytab *kt, const struct principal *p)
{
	for (size_t i = 0; i < kt->n; i++)
		if (principal_equal(&kt->entries[i].princ, p))
			return true;
	return false;
}

/* A ticket for server with the TGT (not stored), presented in an AP-REQ
 * and verified with the keytab. */
static orth_err
try_server(struct orthrus_context *ctx, const struct ccache_cred *tgt,
	   int32_t offset, const struct principal *server,
	   const struct keytab *kt, struct arena *a)
{
	struct client_tgs_params p;
	struct ccache_cred cred;
	struct apreq_verify_params v;
	struct apreq_result r;
	struct crypto_key *sk = NULL;
	struct principal client;
	struct apreq_opts o = {0};
	uint8_t *req = NULL;
	size_t req_len = 0;
	char why[256] = "", sname[PRINCIPAL_MAX_TEXT + 1];
	orth_err ret;

	memset(&p, 0, sizeof(p));
	memset(&cred, 0, sizeof(cred));
	memset(&v, 0, sizeof(v));
	memset(&r, 0, sizeof(r));
	if (principal_unparse(server, sname, sizeof(sname), NULL) != ORTH_OK)
		snprintf(sname, sizeof(sname), "?");
	p.tgt = tgt;
	p.server = server;
	p.time_offset = offset;
	TRY(client_tgs_exchange(&ctx->c, &p, &cred));
	TRY(crypto_key_new(cred.enctype, cred.key.data, cred.key.len, &sk));
	TRY(client_princ_from_cc(&cred.client, a, &client));
	o.time_offset = offset;
	TRY(apreq_encode(cred.ticket.data, cred.ticket.len, sk, &client, &o, a,
			 &req, &req_len, NULL));
	v.keys = kt->entries;
	v.nkeys = kt->n;
	v.server = server;
	v.errbuf = why;
	v.errcap = sizeof(why);
	ret = apreq_verify(&v, req, req_len, a, &r);
	if (ret != ORTH_OK) {
		client_fail(&ctx->c, ret,
			    "Cannot verify the ticket for %s with the keytab (%s%s%s)",
			    sname, apreq_err_str(ret), why[0] ? ": " : "", why);
		goto cleanup;
	}
	apreq_result_free(&r);
cleanup:
	crypto_key_free(sk);
	ccache_cred_free(&cred);
	return ret;
}

static bool
conf_nofail(struct orthrus_context *ctx)
{
	const char *v = client_conf_get2(&ctx->c.conf, "libdefaults",
					 "verify_ap_req_nofail");
	bool b = false;

	return v != NULL && config_parse_bool(v, &b) == ORTH_OK && b;
}

orth_err
orthrus_verify_init_creds(struct orthrus_context *ctx, const char *ccache,
			  const char *server, const char *keytab, int nofail)
{
	const struct principal *cand[VFY_MAX_HOSTS];
	struct principal sp;
	struct ccache *cc = NULL;
	struct ccache_cred tgt;
	struct keytab kt;
	struct arena a = {0}, names = {0};
	int32_t offset = 0, usec;
	size_t n = 0;
	bool must = nofail > 0 || (nofail < 0 && conf_nofail(ctx));
	orth_err ret;

	memset(&tgt, 0, sizeof(tgt));
	memset(&kt, 0, sizeof(kt));
	ctx->c.msg[0] = '\0';
	TRY(crypto_init());
	TRY(arena_init(&a, VFY_ARENA));
	TRY(arena_init(&names, 4096));
	ret = keytab_read(client_keytab_path(ctx, keytab), &kt);
	if (ret != ORTH_OK && ret != ORTH_E_NOTFOUND) {
		client_fail(&ctx->c, ret, "Cannot read keytab '%s' (%s)",
			    client_keytab_path(ctx, keytab), orth_err_str(ret));
		goto cleanup;
	}
	if (server != NULL) {
		ret = principal_parse(server, ctx->c.conf.default_realm, &names,
				      &sp);
		if (ret != ORTH_OK) {
			client_fail(&ctx->c, ret, "Malformed principal name '%s'",
				    server);
			goto cleanup;
		}
		if (keytab_has(&kt, &sp))
			cand[n++] = &sp;
	} else {
		n = host_principals(&kt, cand);
	}
	if (n == 0) {
		/* MIT: nothing to verify with is a success unless told
		 * otherwise (verify_ap_req_nofail). */
		ret = must ? client_fail(&ctx->c, ORTH_E_NOTFOUND,
					 "No key in keytab '%s' to verify the credentials with",
					 client_keytab_path(ctx, keytab))
			   : ORTH_OK;
		goto cleanup;
	}
	TRY(client_ccache_open(ctx, ccache, &cc));
	TRY(client_tgt_get(ctx, cc, &tgt, NULL));
	if (ccache_time_offset_get(cc, &offset, &usec) != ORTH_OK)
		offset = 0;
	/* Each candidate until one verifies (MIT's order). */
	for (size_t i = 0; i < n; i++) {
		arena_reset(&a);
		ret = try_server(ctx, &tgt, offset, cand[i], &kt, &a);
		if (ret == ORTH_OK)
			break;
	}
cleanup:
	ccache_cred_free(&tgt);
	ccache_close(cc);
	keytab_free(&kt);
	arena_free(&a);
	arena_free(&names);
	return ret;
}
