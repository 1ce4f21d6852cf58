/*
 * spake_mit.c - our SPAKE (src/proto/spake.h) against MIT krb5's own SPAKE
 * module, the spake.so preauth plugin Debian's libkrb5-3 ships, loaded
 * in-process and driven through its public plugin interfaces
 * (<krb5/clpreauth_plugin.h>, <krb5/kdcpreauth_plugin.h>):
 *
 *   - MIT's client against our KDC functions, and our client against MIT's
 *     KDC module, for every enctype we have (the aes-sha2 ones have no RFC
 *     9588 vectors) in both groups: each side's K'[0] must be the same key;
 *   - PRF+ and KRB-FX-CF2 against krb5_c_prfplus / krb5_c_fx_cf2_simple.
 *
 * Only this test program links MIT's libraries; KRB5_CONFIG points at
 * spake_mit_krb5.conf, which turns both groups on for MIT's module.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ours first: krb5.h #defines the ENCTYPE_* names our enum declares. */
#include "proto/spake.h"
#include "../test.h"

#include <krb5/clpreauth_plugin.h>
#include <krb5/kdcpreauth_plugin.h>
#include <krb5/krb5.h>

/* SPAKE_PLUGIN: the module's path, from meson (MIT's pkg-config libdir). */

static krb5_context kctx;
static struct arena A;

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

/* A NULL-terminated padata list the module made (malloc'd: libkrb5 has no
 * public function that frees one). */
static void
free_pa_list(krb5_pa_data **list)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
		free(list[i]->contents);
		free(list[i]);
	}
	free(list);
}

static bool
same_key(const struct crypto_key *ours, const krb5_keyblock *theirs)
{
	size_t len = 0;
	const uint8_t *b = crypto_key_bytes(ours, &len);

	return theirs != NULL && crypto_key_enctype(ours) == theirs->enctype &&
	       len == theirs->length && memcmp(b, theirs->contents, len) == 0;
}

/* ---- the client module's side of things --------------------------------- */

struct krb5_clpreauth_rock_st {
	krb5_keyblock ikey;     /* what get_as_key hands out */
	krb5_keyblock *reply;   /* what set_as_key was given (K'[0]) */
	int asked;              /* need_as_key calls */
};

static krb5_error_code
cl_get_as_key(krb5_context ctx, krb5_clpreauth_rock rock, krb5_keyblock **kb)
{
	(void)ctx;
	*kb = &rock->ikey;
	return 0;
}

static krb5_error_code
cl_set_as_key(krb5_context ctx, krb5_clpreauth_rock rock,
	      const krb5_keyblock *kb)
{
	krb5_free_keyblock(ctx, rock->reply);
	rock->reply = NULL;
	return krb5_copy_keyblock(ctx, kb, &rock->reply);
}

static void
cl_need_as_key(krb5_context ctx, krb5_clpreauth_rock rock)
{
	(void)ctx;
	rock->asked++;
}

static void
cl_disable_fallback(krb5_context ctx, krb5_clpreauth_rock rock)
{
	(void)ctx;
	(void)rock;
}

/* ---- the KDC module's side of things ------------------------------------ */

struct krb5_kdcpreauth_rock_st {
	krb5_keyblock ikey;
	krb5_data body;
	uint8_t cookie[512];
	size_t cookie_len;
	int has_cookie;
	krb5_keyblock *reply; /* replace_reply_key */
};

static const krb5_keyblock *
kdc_client_keyblock(krb5_context ctx, krb5_kdcpreauth_rock rock)
{
	(void)ctx;
	return &rock->ikey;
}

static krb5_data *
kdc_request_body(krb5_context ctx, krb5_kdcpreauth_rock rock)
{
	(void)ctx;
	return &rock->body;
}

static krb5_boolean
kdc_get_cookie(krb5_context ctx, krb5_kdcpreauth_rock rock,
	       krb5_preauthtype pa_type, krb5_data *out)
{
	(void)ctx;
	if (pa_type != SPAKE_PADATA_TYPE || !rock->has_cookie)
		return FALSE;
	out->magic = KV5M_DATA;
	out->data = (char *)rock->cookie;
	out->length = (unsigned int)rock->cookie_len;
	return TRUE;
}

static krb5_error_code
kdc_set_cookie(krb5_context ctx, krb5_kdcpreauth_rock rock,
	       krb5_preauthtype pa_type, const krb5_data *data)
{
	(void)ctx;
	if (pa_type != SPAKE_PADATA_TYPE || data->length > sizeof(rock->cookie))
		return EINVAL;
	memcpy(rock->cookie, data->data, data->length);
	rock->cookie_len = data->length;
	rock->has_cookie = 1;
	return 0;
}

static krb5_error_code
kdc_replace_reply_key(krb5_context ctx, krb5_kdcpreauth_rock rock,
		      const krb5_keyblock *key, krb5_boolean is_strengthen)
{
	(void)is_strengthen;
	krb5_free_keyblock(ctx, rock->reply);
	rock->reply = NULL;
	return krb5_copy_keyblock(ctx, key, &rock->reply);
}

static krb5_error_code
kdc_add_auth_indicator(krb5_context ctx, krb5_kdcpreauth_rock rock,
		       const char *ind)
{
	(void)ctx;
	(void)rock;
	(void)ind;
	return 0;
}

struct verify_result {
	krb5_error_code code;
	krb5_pa_data **e_data;
	int called;
};

static void
kdc_respond(void *arg, krb5_error_code code, krb5_kdcpreauth_modreq modreq,
	    krb5_pa_data **e_data, krb5_authdata **authz)
{
	struct verify_result *r = arg;
	(void)modreq;
	(void)authz;
	r->code = code;
	r->e_data = e_data;
	r->called++;
}

/* ---- the modules -------------------------------------------------------- */

static struct krb5_clpreauth_vtable_st cvt;
static struct krb5_kdcpreauth_vtable_st kvt;
static krb5_clpreauth_moddata cmod;
static krb5_kdcpreauth_moddata kmod;
static struct krb5_clpreauth_callbacks_st ccb;
static struct krb5_kdcpreauth_callbacks_st kcb;

static int
load_modules(void)
{
	krb5_plugin_initvt_fn clinit, kdcinit;
	static const char *realms[] = {"EX.COM", NULL};
	void *h = dlopen(SPAKE_PLUGIN, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", SPAKE_PLUGIN, dlerror());
		return -1;
	}
	clinit = (krb5_plugin_initvt_fn)dlsym(h, "clpreauth_spake_initvt");
	kdcinit = (krb5_plugin_initvt_fn)dlsym(h, "kdcpreauth_spake_initvt");
	if (clinit == NULL || kdcinit == NULL)
		return -1;
	if (clinit(kctx, 1, 2, (krb5_plugin_vtable)&cvt) != 0 ||
	    kdcinit(kctx, 1, 1, (krb5_plugin_vtable)&kvt) != 0)
		return -1;
	if (cvt.init(kctx, &cmod) != 0 || kvt.init(kctx, &kmod, realms) != 0)
		return -1;
	ccb.vers = 3;
	ccb.get_as_key = cl_get_as_key;
	ccb.set_as_key = cl_set_as_key;
	ccb.need_as_key = cl_need_as_key;
	ccb.disable_fallback = cl_disable_fallback;
	kcb.vers = 4;
	kcb.client_keyblock = kdc_client_keyblock;
	kcb.request_body = kdc_request_body;
	kcb.get_cookie = kdc_get_cookie;
	kcb.set_cookie = kdc_set_cookie;
	kcb.replace_reply_key = kdc_replace_reply_key;
	kcb.add_auth_indicator = kdc_add_auth_indicator;
	return 0;
}

static const uint8_t body1[] = {0x30, 0x03, 0x02, 0x01, 0x01};
static const uint8_t body2[] = {0x30, 0x04, 0x02, 0x02, 0x01, 0x02};

/* MIT's client against our KDC functions. */
static void
mit_client_our_kdc(struct crypto_key *ikey, int32_t group)
{
	struct krb5_clpreauth_rock_st rock;
	krb5_clpreauth_modreq creq = NULL;
	krb5_pa_data empty, chal, *out1 = NULL, **pa1 = NULL, **pa2 = NULL;
	krb5_data d1 = {KV5M_DATA, sizeof(body1), (char *)body1};
	krb5_data d2 = {KV5M_DATA, sizeof(body2), (char *)body2};
	struct spake_kdc_reply kr, kr2;
	struct spake_kdc_state st;
	int32_t allowed[1] = {group};

	memset(&rock, 0, sizeof(rock));
	memset(&kr, 0, sizeof(kr));
	memset(&kr2, 0, sizeof(kr2));
	rock.ikey = mit_keyblock(ikey);
	cvt.request_init(kctx, cmod, &creq);
	memset(&empty, 0, sizeof(empty));
	empty.magic = KV5M_PA_DATA;
	empty.pa_type = SPAKE_PADATA_TYPE;

	/* The offer: MIT answers with its support message (both groups). */
	EXPECT_EQ_INT(cvt.prep_questions(kctx, cmod, creq, NULL, &ccb, &rock,
					 NULL, &d1, NULL, &empty),
		      0);
	EXPECT_EQ_INT(cvt.process(kctx, cmod, creq, NULL, &ccb, &rock, NULL,
				  &d1, NULL, &empty, NULL, NULL, &pa1),
		      0);
	EXPECT(pa1 != NULL && pa1[0] != NULL);
	if (pa1 == NULL || pa1[0] == NULL)
		goto out;
	out1 = pa1[0];
	EXPECT_EQ_INT(out1->pa_type, SPAKE_PADATA_TYPE);

	/* Our KDC: the challenge. */
	EXPECT_EQ_INT(spake_kdc_process(allowed, 1, ikey, out1->contents,
					out1->length, NULL, body1,
					sizeof(body1), &A, &kr),
		      ORTH_OK);
	if (kr.challenge == NULL)
		goto out;
	EXPECT_EQ_INT(kr.state.group, group);
	st = kr.state;

	/* MIT: the response and K'[0]. */
	memset(&chal, 0, sizeof(chal));
	chal.magic = KV5M_PA_DATA;
	chal.pa_type = SPAKE_PADATA_TYPE;
	chal.contents = kr.challenge;
	chal.length = (unsigned int)kr.challenge_len;
	EXPECT_EQ_INT(cvt.prep_questions(kctx, cmod, creq, NULL, &ccb, &rock,
					 NULL, &d2, &d1, &chal),
		      0);
	EXPECT_EQ_INT(rock.asked, 1);
	EXPECT_EQ_INT(cvt.process(kctx, cmod, creq, NULL, &ccb, &rock, NULL,
				  &d2, &d1, &chal, NULL, NULL, &pa2),
		      0);
	EXPECT(pa2 != NULL && pa2[0] != NULL && rock.reply != NULL);
	if (pa2 == NULL || pa2[0] == NULL)
		goto out;

	/* Our KDC: verified, and the same K'[0]. */
	EXPECT_EQ_INT(spake_kdc_process(allowed, 1, ikey, pa2[0]->contents,
					pa2[0]->length, &st, body2,
					sizeof(body2), &A, &kr2),
		      ORTH_OK);
	EXPECT_EQ_INT(kr2.outcome, SPAKE_KDC_DONE);
	EXPECT(kr2.reply_key != NULL && same_key(kr2.reply_key, rock.reply));
out:
	free_pa_list(pa1);
	free_pa_list(pa2);
	krb5_free_keyblock(kctx, rock.reply);
	crypto_key_free(kr2.reply_key);
	cvt.request_fini(kctx, cmod, creq);
}

/* Our client against MIT's KDC module. */
static void
our_client_mit_kdc(struct crypto_key *ikey, int32_t group)
{
	struct krb5_kdcpreauth_rock_st rock;
	struct spake_client_state cs;
	struct spake_client_reply cr, cr2;
	struct verify_result vr;
	krb5_kdc_req req;
	krb5_enc_tkt_part etp;
	krb5_pa_data pa;
	krb5_data pkt = {KV5M_DATA, 0, NULL};
	int32_t groups[1] = {group};

	memset(&rock, 0, sizeof(rock));
	memset(&cs, 0, sizeof(cs));
	memset(&cr, 0, sizeof(cr));
	memset(&cr2, 0, sizeof(cr2));
	memset(&req, 0, sizeof(req));
	memset(&etp, 0, sizeof(etp));
	rock.ikey = mit_keyblock(ikey);
	EXPECT_EQ_INT(krb5_parse_name(kctx, "krbtgt/EX.COM@EX.COM", &req.server),
		      0);

	/* Our support message. */
	EXPECT_EQ_INT(spake_client_process(&cs, groups, 1, NULL, NULL, 0, body1,
					   sizeof(body1), &A, &cr),
		      ORTH_OK);
	if (cr.msg == NULL)
		goto out;

	/* MIT's KDC: MORE_PREAUTH_DATA_REQUIRED with its challenge. */
	memset(&pa, 0, sizeof(pa));
	pa.magic = KV5M_PA_DATA;
	pa.pa_type = SPAKE_PADATA_TYPE;
	pa.contents = cr.msg;
	pa.length = (unsigned int)cr.msg_len;
	rock.body.magic = KV5M_DATA;
	rock.body.data = (char *)body1;
	rock.body.length = sizeof(body1);
	memset(&vr, 0, sizeof(vr));
	kvt.verify(kctx, &pkt, &req, &etp, &pa, &kcb, &rock, kmod, kdc_respond,
		   &vr);
	EXPECT_EQ_INT(vr.called, 1);
	EXPECT_EQ_INT(vr.code, KRB5KDC_ERR_MORE_PREAUTH_DATA_REQUIRED);
	EXPECT(vr.e_data != NULL && vr.e_data[0] != NULL && rock.has_cookie);
	if (vr.e_data == NULL || vr.e_data[0] == NULL)
		goto out;

	/* Our client: the response and K'[0]. */
	EXPECT(spake_client_key_needed(groups, 1, vr.e_data[0]->contents,
				       vr.e_data[0]->length, &A));
	EXPECT_EQ_INT(spake_client_process(&cs, groups, 1, ikey,
					   vr.e_data[0]->contents,
					   vr.e_data[0]->length, body2,
					   sizeof(body2), &A, &cr2),
		      ORTH_OK);
	free_pa_list(vr.e_data);
	if (cr2.msg == NULL)
		goto out;

	/* MIT's KDC: verified, TKT_FLG_PRE_AUTH, and the same K'[0]. */
	pa.contents = cr2.msg;
	pa.length = (unsigned int)cr2.msg_len;
	rock.body.data = (char *)body2;
	rock.body.length = sizeof(body2);
	memset(&vr, 0, sizeof(vr));
	kvt.verify(kctx, &pkt, &req, &etp, &pa, &kcb, &rock, kmod, kdc_respond,
		   &vr);
	EXPECT_EQ_INT(vr.called, 1);
	EXPECT_EQ_INT(vr.code, 0);
	EXPECT(etp.flags & TKT_FLG_PRE_AUTH);
	EXPECT(cr2.reply_key != NULL && same_key(cr2.reply_key, rock.reply));
	free_pa_list(vr.e_data);
out:
	krb5_free_principal(kctx, req.server);
	krb5_free_keyblock(kctx, rock.reply);
	crypto_key_free(cr2.reply_key);
}

/* ---- PRF+ and CF2 ------------------------------------------------------- */

static void
xcheck_prf_plus(struct crypto_key *k1, struct crypto_key *k2)
{
	static const size_t lens[] = {1, 16, 17, 32, 48, 64, 100};
	krb5_keyblock kb1 = mit_keyblock(k1), kb2 = mit_keyblock(k2);
	krb5_keyblock *theirs = NULL;
	struct crypto_key *ours = NULL;
	uint8_t a[128], b[128];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		krb5_data in = {KV5M_DATA, 11, (char *)"SPAKEsecret"};
		krb5_data out = {KV5M_DATA, (unsigned int)lens[i], (char *)b};
		EXPECT_EQ_INT(crypto_prf_plus(k1, (const uint8_t *)in.data,
					      in.length, a, lens[i]),
			      ORTH_OK);
		EXPECT_EQ_INT(krb5_c_prfplus(kctx, &kb1, &in, &out), 0);
		EXPECT_MEM(a, b, lens[i]);
	}
	EXPECT_EQ_INT(crypto_key_cf2(k1, "SPAKE", k2, "keyderiv", &ours),
		      ORTH_OK);
	EXPECT_EQ_INT(krb5_c_fx_cf2_simple(kctx, &kb1, "SPAKE", &kb2,
					   "keyderiv", &theirs),
		      0);
	EXPECT(ours != NULL && same_key(ours, theirs));
	crypto_key_free(ours);
	krb5_free_keyblock(kctx, theirs);
}

int
main(void)
{
	static const int32_t enctypes[] = {17, 18, 19, 20};
	static const int32_t groups[] = {SPAKE_GROUP_EDWARDS25519,
					 SPAKE_GROUP_P256};

	EXPECT_EQ_INT(arena_init(&A, 1 << 20), ORTH_OK);
	EXPECT_EQ_INT(krb5_init_context(&kctx), 0);
	EXPECT_EQ_INT(load_modules(), 0);
	if (test_failures != 0)
		return test_done("spake-mit");
	for (size_t e = 0; e < 4; e++) {
		struct crypto_key *k = NULL, *k2 = NULL;

		EXPECT_EQ_INT(crypto_string_to_key(enctypes[e], "pw", 2,
						   (const uint8_t *)"EX.COMu",
						   7, NULL, 0, &k),
			      ORTH_OK);
		EXPECT_EQ_INT(crypto_key_random(enctypes[e], &k2), ORTH_OK);
		if (k == NULL || k2 == NULL)
			continue;
		xcheck_prf_plus(k, k2);
		for (size_t g = 0; g < 2; g++) {
			/* Several runs: fresh x and y each time. */
			for (int run = 0; run < 3; run++) {
				fprintf(stderr, "enctype %d group %d run %d\n",
					(int)enctypes[e], (int)groups[g], run);
				mit_client_our_kdc(k, groups[g]);
				our_client_mit_kdc(k, groups[g]);
			}
		}
		crypto_key_free(k);
		crypto_key_free(k2);
	}
	kvt.fini(kctx, kmod);
	cvt.fini(kctx, cmod);
	krb5_free_context(kctx);
	arena_free(&A);
	return test_done("spake-mit");
}
