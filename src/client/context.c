/* context.c - include/orthrus/client.h over the exchanges of kdcex.c. */
#include "orthrus/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env.h"
#include "client_int.h"
#include "client/ccache_col.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"

#define CTX_ARENA (256u * 1024)

/* Why the last orthrus_context_new() of this thread failed. */
static _Thread_local char context_err[256];

const char *
orthrus_context_error(void)
{
	return context_err;
}

orth_err
orthrus_context_new(const char *config, struct orthrus_context **out)
{
	orth_err ret;
	struct orthrus_context *ctx = calloc(1, sizeof(*ctx));
	char err[256] = "";

	context_err[0] = '\0';
	if (ctx == NULL)
		return ORTH_E_NOMEM;
	ret = crypto_init();
	if (ret == ORTH_OK)
		ret = client_conf_load(config, &ctx->c.conf, err, sizeof(err));
	if (ret != ORTH_OK) {
		snprintf(context_err, sizeof(context_err), "%s",
			 err[0] ? err : orth_err_str(ret));
		free(ctx);
		return ret;
	}
	*out = ctx;
	return ORTH_OK;
}

void
orthrus_context_free(struct orthrus_context *ctx)
{
	if (ctx == NULL)
		return;
	client_conf_free(&ctx->c.conf);
	free(ctx);
}

const char *
orthrus_default_realm(const struct orthrus_context *ctx)
{
	return ctx->c.conf.default_realm;
}

orth_err
orthrus_default_ccache_name(const struct orthrus_context *ctx, char **out)
{
	return ccache_default_name(ctx->c.conf.default_ccache_name, out, NULL, 0);
}

const char *
orthrus_default_keytab_name(const struct orthrus_context *ctx)
{
	/* MIT uses KRB5_KTNAME as it is (no %{...} expansion). */
	const char *k = env_get("KRB5_KTNAME");

	if (k != NULL && *k != '\0')
		return k;
	if (ctx->c.conf.default_keytab_name != NULL)
		return ctx->c.conf.default_keytab_name;
	return "FILE:/etc/krb5.keytab";
}

const char *
orthrus_error_message(struct orthrus_context *ctx, orth_err e)
{
	if (ctx != NULL && ctx->c.msg_code == e && ctx->c.msg[0] != '\0')
		return ctx->c.msg;
	return proto_err_str(e);
}

orth_err
client_ccache_open(struct orthrus_context *ctx, const char *name,
		   struct ccache **out)
{
	orth_err ret;
	char *def = NULL;

	if (name == NULL) {
		char why[256] = "";
		ret = ccache_default_name(ctx->c.conf.default_ccache_name, &def, why,
					  sizeof(why));
		if (ret != ORTH_OK)
			return client_fail(&ctx->c, ret, "default_ccache_name: %s",
					   why[0] ? why : orth_err_str(ret));
		name = def;
	}
	ret = ccache_open(name, out);
	if (ret == ORTH_OK)
		ccache_new_version_set(*out, ctx->c.conf.ccache_version);
	if (ret != ORTH_OK && ccache_col_error()[0] != '\0')
		client_fail(&ctx->c, ret, "%s", ccache_col_error());
	else if (ret != ORTH_OK)
		client_fail(&ctx->c, ret, "Unknown credential cache type in '%s'",
			    name);
	free(def);
	return ret;
}

const char *
client_keytab_path(struct orthrus_context *ctx, const char *name)
{
	if (name == NULL)
		name = orthrus_default_keytab_name(ctx);
	if (strncmp(name, "FILE:", 5) == 0)
		return name + 5;
	if (strncmp(name, "WRFILE:", 7) == 0)
		return name + 7;
	return name;
}

/* krbtgt/REALM@REALM as a cache principal. */
static orth_err
tgs_name(const char *realm, size_t rlen, struct ccache_principal *out)
{
	orth_err ret;
	memset(out, 0, sizeof(*out));
	out->name_type = KRB5_NT_SRV_INST;
	TRY(ccache_data_set(&out->realm, realm, rlen));
	out->comps = calloc(2, sizeof(*out->comps));
	CHECK(out->comps != NULL, ORTH_E_NOMEM);
	TRY(ccache_data_set(&out->comps[0], "krbtgt", 6));
	out->ncomps = 1;
	TRY(ccache_data_set(&out->comps[1], realm, rlen));
	out->ncomps = 2;
cleanup:
	if (ret != ORTH_OK)
		ccache_principal_free(out);
	return ret;
}

orth_err
client_tgt_get(struct orthrus_context *ctx, struct ccache *cc,
	       struct ccache_cred *tgt_out, struct ccache_principal *client_out)
{
	orth_err ret;
	struct ccache_principal me, tgs;
	char *name = NULL;

	memset(&me, 0, sizeof(me));
	memset(&tgs, 0, sizeof(tgs));
	ret = ccache_default_principal_get(cc, &me);
	if (ret == ORTH_E_NOTFOUND) {
		ret = client_fail(&ctx->c, ret,
				  "No credentials cache found (filename: %s)",
				  ccache_name_get(cc));
		goto cleanup;
	}
	TRY(ret);
	TRY(tgs_name((const char *)me.realm.data, me.realm.len, &tgs));
	ret = ccache_retrieve(cc, &me, &tgs, 0, tgt_out);
	if (ret == ORTH_E_NOTFOUND) {
		(void)ccache_principal_unparse(&tgs, &name);
		ret = client_fail(&ctx->c, ret,
				  "Matching credential (%s) not found in %s",
				  name ? name : "krbtgt", ccache_name_get(cc));
		goto cleanup;
	}
	TRY(ret);
	if (client_out != NULL) {
		*client_out = me;
		memset(&me, 0, sizeof(me));
	}
cleanup:
	free(name);
	ccache_principal_free(&me);
	ccache_principal_free(&tgs);
	return ret;
}

static orth_err
parse_name(struct orthrus_context *ctx, const char *name, const char *realm,
	   struct arena *a, struct principal *out)
{
	orth_err ret = principal_parse(name, realm, a, out);
	if (ret != ORTH_OK)
		client_fail(&ctx->c, ret, "Malformed principal name '%s'%s", name,
			    realm == NULL && strchr(name, '@') == NULL
				    ? " (no default realm)"
				    : "");
	return ret;
}

/*
 * An enterprise name (RFC 6806 §5): one component holding everything up
 * to a second '@' (the first one is part of the name, '/' is no
 * separator), the realm after it or the default one; NT-ENTERPRISE.
 */
static orth_err
parse_enterprise(struct orthrus_context *ctx, const char *name,
		 struct arena *a, struct principal *out)
{
	char buf[PRINCIPAL_MAX_TEXT + 1];
	size_t n = 0;
	bool first_at = true;
	orth_err ret;

	for (const char *s = name; *s != '\0'; s++) {
		bool quote = (*s == '/') || (*s == '@' && first_at);
		if (*s == '\\' && s[1] != '\0') {
			if (n + 2 >= sizeof(buf)) {
				n = sizeof(buf);
				break;
			}
			buf[n++] = *s++;
			buf[n++] = *s;
			continue;
		}
		if (*s == '@')
			first_at = false;
		if (n + (quote ? 2 : 1) >= sizeof(buf)) {
			n = sizeof(buf);
			break;
		}
		if (quote)
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	if (n >= sizeof(buf))
		return client_fail(&ctx->c, ORTH_E_BADNAME,
				   "Principal name '%s' is too long", name);
	buf[n] = '\0';
	ret = parse_name(ctx, buf, ctx->c.conf.default_realm, a, out);
	if (ret == ORTH_OK)
		out->name_type = KRB5_NT_ENTERPRISE;
	return ret;
}

/* A [libdefaults] boolean the typed configuration does not keep. */
static bool
conf_bool(struct orthrus_context *ctx, const char *name)
{
	const char *v = client_conf_get2(&ctx->c.conf, "libdefaults", name);
	bool b = false;

	return v != NULL && config_parse_bool(v, &b) == ORTH_OK && b;
}

/*
 * [libdefaults] kdc_default_options, MIT's: KDC options every initial
 * request carries; by default RENEWABLE-OK (RFC 4120 §2.3: a ticket
 * asked for longer than the KDC allows comes back renewable to the end
 * asked for, instead of shorter).
 */
static uint32_t
kdc_default_options(struct orthrus_context *ctx)
{
	const char *v = client_conf_get2(&ctx->c.conf, "libdefaults",
					 "kdc_default_options");
	char *end;
	unsigned long n;

	if (v == NULL)
		return KDC_OPT_RENEWABLE_OK;
	n = strtoul(v, &end, 0);
	return *v != '\0' && *end == '\0' && n <= UINT32_MAX ? (uint32_t)n
							     : KDC_OPT_RENEWABLE_OK;
}

/*
 * The armor of `kinit -T` (RFC 6113 §5.4.1.1): the TGT of the cache name
 * for realm (the realm we log into: the armor is an AP-REQ to its TGS),
 * still valid; *offset_out its cache's KDC time offset.  *cc_out stays
 * open for the caller (ccache_close()).
 */
static orth_err
armor_get(struct orthrus_context *ctx, const char *name, const char *realm,
	  struct ccache **cc_out, struct ccache_cred *tgt_out, int32_t *offset_out)
{
	orth_err ret;
	int32_t usec;

	*offset_out = 0;
	TRY(client_ccache_open(ctx, name, cc_out));
	ret = client_tgt_get(ctx, *cc_out, tgt_out, NULL);
	if (ret != ORTH_OK) {
		char why[sizeof(ctx->c.msg)];
		snprintf(why, sizeof(why), "%s",
			 ctx->c.msg_code == ret ? ctx->c.msg : orth_err_str(ret));
		client_fail(&ctx->c, ret, "No armor ticket in %s (%s)", name, why);
		goto cleanup;
	}
	if (tgt_out->server.realm.len != strlen(realm) ||
	    memcmp(tgt_out->server.realm.data, realm, tgt_out->server.realm.len) != 0) {
		ret = client_fail(&ctx->c, ORTH_E_NOTFOUND,
				  "The armor cache %s holds no TGT of realm %s", name, realm);
		goto cleanup;
	}
	if (ccache_time_offset_get(*cc_out, offset_out, &usec) != ORTH_OK)
		*offset_out = 0;
	if (tgt_out->endtime <= client_now() + *offset_out)
		ret = client_fail(&ctx->c, ORTH_E_EXPIRED, "The armor ticket in %s has expired",
				  name);
cleanup:
	return ret;
}

static orth_err
init_creds(struct orthrus_context *ctx, const char *client,
	   const char *password, const char *keytab,
	   const struct orthrus_init_opts *opts, const char *ccname)
{
	static const struct orthrus_init_opts no_opts;
	orth_err ret;
	struct arena a = {0};
	struct principal cp, sp;
	struct client_as_params p;
	struct ccache_cred cred;
	struct ccache_principal ccp;
	struct ccache *cc = NULL;
	struct keytab kt;
	int32_t offset = 0;
	int64_t renew;
	int fwd;
	struct ccache *acc = NULL;
	struct ccache_cred armor;
	bool fast_avail = false;

	memset(&p, 0, sizeof(p));
	memset(&cred, 0, sizeof(cred));
	memset(&armor, 0, sizeof(armor));
	memset(&ccp, 0, sizeof(ccp));
	memset(&kt, 0, sizeof(kt));
	ctx->c.msg[0] = '\0';
	if (opts == NULL)
		opts = &no_opts;
	TRY(arena_init(&a, CTX_ARENA));
	if (opts->enterprise)
		TRY(parse_enterprise(ctx, client, &a, &cp));
	else
		TRY(parse_name(ctx, client, ctx->c.conf.default_realm, &a, &cp));
	p.client = &cp;
	if (opts->service != NULL) {
		TRY(parse_name(ctx, opts->service, cp.realm, &a, &sp));
		p.server = &sp;
	}
	if (password != NULL) {
		p.password = password;
	} else {
		const char *path = client_keytab_path(ctx, keytab);
		ret = keytab_read(path, &kt);
		if (ret != ORTH_OK) {
			client_fail(ctx ? &ctx->c : NULL, ret,
				    "Cannot read keytab '%s' (%s)", path,
				    orth_err_str(ret));
			goto cleanup;
		}
		p.keys = kt.entries;
		p.nkeys = kt.n;
	}
	p.lifetime = opts->lifetime;
	renew = opts->renew_life != 0 ? opts->renew_life : ctx->c.conf.renew_lifetime;
	if (renew > 0) {
		p.kdc_options |= KDC_OPT_RENEWABLE;
		p.renew_life = renew;
	}
	fwd = opts->forwardable != 0 ? opts->forwardable
				     : (ctx->c.conf.forwardable ? 1 : -1);
	if (fwd > 0)
		p.kdc_options |= KDC_OPT_FORWARDABLE;
	if (opts->proxiable > 0 ||
	    (opts->proxiable == 0 && conf_bool(ctx, "proxiable")))
		p.kdc_options |= KDC_OPT_PROXIABLE;
	if (opts->start_time > 0) {
		/* RFC 4120 §2.4: a postdated ticket, valid from start. */
		p.kdc_options |= KDC_OPT_ALLOW_POSTDATE | KDC_OPT_POSTDATED;
		p.start_time = client_now() + opts->start_time;
	}
	if (opts->canonicalize || opts->enterprise)
		p.kdc_options |= KDC_OPT_CANONICALIZE;
	p.kdc_options |= kdc_default_options(ctx);
	if (opts->armor_ccache != NULL)
		TRY(armor_get(ctx, opts->armor_ccache, cp.realm, &acc, &armor, &p.armor_offset));
	if (acc != NULL)
		p.armor_tgt = &armor;
	TRY(client_as_exchange(&ctx->c, &p, &cred, &offset, &fast_avail));

	TRY(client_ccache_open(ctx, ccname, &cc));
	/* With canonicalization the cache is the name the KDC answered. */
	if (p.kdc_options & KDC_OPT_CANONICALIZE)
		TRY(ccache_principal_copy(&cred.client, &ccp));
	else
		TRY(client_princ_to_cc(&cp, &ccp));
	/* One step: a kvno storing into the old cache meanwhile cannot undo
	 * the switch to the new principal. */
	ret = ccache_initialize_with(cc, &ccp, offset, 0, &cred);
	if (ret != ORTH_OK) {
		client_fail(&ctx->c, ret, "Cannot initialize cache %s (%s)",
			    ccache_name_get(cc), orth_err_str(ret));
		goto cleanup;
	}
	/* RFC 6806 §11: as MIT's kinit, so that this cache, used as an
	 * armor cache by MIT's tools, says FAST is there. */
	if (fast_avail)
		TRY(ccache_config_put(cc, &cred.server, "fast_avail", "yes", 3));
cleanup:
	ccache_close(cc);
	ccache_close(acc);
	ccache_cred_free(&armor);
	ccache_cred_free(&cred);
	ccache_principal_free(&ccp);
	keytab_free(&kt);
	arena_free(&a);
	return ret;
}

orth_err
orthrus_get_init_creds_password(struct orthrus_context *ctx,
				const char *client, const char *password,
				const struct orthrus_init_opts *opts,
				const char *ccache)
{
	if (password == NULL)
		return ORTH_E_USAGE;
	return init_creds(ctx, client, password, NULL, opts, ccache);
}

orth_err
orthrus_get_init_creds_keytab(struct orthrus_context *ctx, const char *client,
			      const char *keytab,
			      const struct orthrus_init_opts *opts,
			      const char *ccache)
{
	return init_creds(ctx, client, NULL, keytab, opts, ccache);
}

void
orthrus_ticket_free(struct orthrus_ticket *t)
{
	if (t == NULL)
		return;
	free(t->client);
	free(t->server);
	if (t->session_key != NULL)
		crypto_wipe(t->session_key, t->session_key_len);
	free(t->session_key);
	free(t->ticket);
	memset(t, 0, sizeof(*t));
}

orth_err
client_ticket_from_cred(const struct ccache_cred *c, struct orthrus_ticket *out)
{
	orth_err ret;
	struct orthrus_ticket t;
	struct arena a = {0};
	Ticket tk;

	memset(&t, 0, sizeof(t));
	memset(&tk, 0, sizeof(tk));
	TRY(arena_init(&a, 64 * 1024));
	TRY(der_decode(&asn1_Ticket, c->ticket.data, c->ticket.len, &a, &tk));
	t.ticket_enctype = tk.enc_part.etype;
	t.ticket_kvno = tk.enc_part.kvno ? *tk.enc_part.kvno : 0;
	TRY(ccache_principal_unparse(&c->client, &t.client));
	TRY(ccache_principal_unparse(&c->server, &t.server));
	t.session_enctype = c->enctype;
	t.session_key = malloc(c->key.len ? c->key.len : 1);
	t.ticket = malloc(c->ticket.len);
	CHECK(t.session_key && t.ticket, ORTH_E_NOMEM);
	memcpy(t.session_key, c->key.data, c->key.len);
	t.session_key_len = c->key.len;
	memcpy(t.ticket, c->ticket.data, c->ticket.len);
	t.ticket_len = c->ticket.len;
	t.authtime = c->authtime;
	t.starttime = c->starttime;
	t.endtime = c->endtime;
	t.renew_till = c->renew_till;
	t.flags = c->flags;
	*out = t;
	memset(&t, 0, sizeof(t));
cleanup:
	orthrus_ticket_free(&t);
	arena_free(&a);
	return ret;
}

/* Open the cache, read its time offset and the TGT. */
static orth_err
tgt_open(struct orthrus_context *ctx, const char *ccname, struct ccache **cc,
	 struct ccache_cred *tgt, int32_t *offset)
{
	orth_err ret;
	int32_t usec;

	*offset = 0;
	TRY(client_ccache_open(ctx, ccname, cc));
	TRY(client_tgt_get(ctx, *cc, tgt, NULL));
	if (ccache_time_offset_get(*cc, offset, &usec) != ORTH_OK)
		*offset = 0;
	if (tgt->endtime <= client_now() + *offset) {
		ret = client_fail(&ctx->c, ORTH_E_EXPIRED,
				  "Ticket expired (the TGT in %s has expired)",
				  ccache_name_get(*cc));
		goto cleanup;
	}
cleanup:
	return ret;
}

/*
 * What every TGS call of this file holds: the cache, its TGT, the KDC
 * time offset, the server name (parsed in the TGT's realm, or the TGT's
 * own server), scratch memory and the exchange's parameters.
 */
struct tgs_call {
	struct ccache *cc;
	struct ccache_cred tgt, cred;
	struct arena a;
	struct principal sp;
	struct client_tgs_params p;
	int32_t offset;
	char *realm;
};

/* Open ccname's TGT (expired is an error unless allow_expired, for
 * renewal) and parse server (NULL: the TGT's own server). */
static orth_err
tgs_call_begin(struct orthrus_context *ctx, const char *ccname,
	       const char *server, bool allow_expired, struct tgs_call *t)
{
	orth_err ret;
	int32_t usec;

	memset(t, 0, sizeof(*t));
	ctx->c.msg[0] = '\0';
	TRY(arena_init(&t->a, CTX_ARENA));
	if (allow_expired) {
		TRY(client_ccache_open(ctx, ccname, &t->cc));
		TRY(client_tgt_get(ctx, t->cc, &t->tgt, NULL));
		if (ccache_time_offset_get(t->cc, &t->offset, &usec) != ORTH_OK)
			t->offset = 0;
	} else {
		TRY(tgt_open(ctx, ccname, &t->cc, &t->tgt, &t->offset));
	}
	t->realm = strndup((const char *)t->tgt.client.realm.data,
			   t->tgt.client.realm.len);
	CHECK(t->realm != NULL, ORTH_E_NOMEM);
	if (server != NULL)
		TRY(parse_name(ctx, server, t->realm, &t->a, &t->sp));
	else
		TRY(client_princ_from_cc(&t->tgt.server, &t->a, &t->sp));
	t->p.tgt = &t->tgt;
	t->p.server = &t->sp;
	t->p.time_offset = t->offset;
cleanup:
	return ret;
}

/*
 * The KDC options a TGS request derives from the TGT, as MIT's client
 * asks (its KDC_TKT_COMMON_MASK): forwardable, proxiable, may-postdate
 * and renewable; the flag bits are the option bits (RFC 4120 §5.3/§5.4.1).
 * The KDC grants what the TGT and its policy allow.
 */
static uint32_t
tgt_options(const struct ccache_cred *tgt)
{
	return tgt->flags & (TKT_FLG_FORWARDABLE | TKT_FLG_PROXIABLE |
			     TKT_FLG_MAY_POSTDATE | TKT_FLG_RENEWABLE);
}

/*
 * The TGS exchange of t, then MIT's check of the reply's times
 * (gc_via_tkt.c): the new ticket starts within clockskew (krb5.conf) of
 * our clock corrected by the KDC offset the cache recorded; a reply from
 * a clock further away is refused, KRB5_KDCREP_SKEW's wording.
 */
static orth_err
tgs_call_run(struct orthrus_context *ctx, struct tgs_call *t)
{
	orth_err ret;
	int64_t d;

	TRY(client_tgs_exchange(&ctx->c, &t->p, &t->cred));
	d = t->cred.starttime - (client_now() + t->offset);
	if (d > ctx->c.conf.clockskew || -d > ctx->c.conf.clockskew) {
		ccache_cred_free(&t->cred);
		ret = client_fail(&ctx->c, ORTH_E_SKEW,
				  "Clock skew too great in KDC reply (its ticket starts %lld s %s our clock; clockskew is %lld s)",
				  (long long)(d < 0 ? -d : d), d < 0 ? "before" : "after",
				  (long long)ctx->c.conf.clockskew);
		goto cleanup;
	}
cleanup:
	return ret;
}

static void
tgs_call_end(struct tgs_call *t)
{
	free(t->realm);
	ccache_cred_free(&t->tgt);
	ccache_cred_free(&t->cred);
	ccache_close(t->cc);
	arena_free(&t->a);
}

static orth_err
service_ticket(struct orthrus_context *ctx, const char *ccname,
	       const char *service, int32_t enctype, bool cached_only,
	       struct orthrus_ticket *out)
{
	orth_err ret;
	struct tgs_call t;
	struct ccache_principal sp_cc;

	memset(&sp_cc, 0, sizeof(sp_cc));
	TRY(tgs_call_begin(ctx, ccname, service, false, &t));
	TRY(client_princ_to_cc(&t.sp, &sp_cc));
	/* A cached ticket still valid is used as is. */
	if (ccache_retrieve(t.cc, &t.tgt.client, &sp_cc, enctype, &t.cred) == ORTH_OK) {
		if (t.cred.endtime > client_now() + t.offset && !t.cred.is_skey) {
			TRY(client_ticket_from_cred(&t.cred, out));
			goto cleanup;
		}
		ccache_cred_free(&t.cred);
	}
	if (cached_only) {
		const char *n = ccache_name_get(t.cc);
		ret = client_fail(&ctx->c, ORTH_E_NOTFOUND,
				  "Matching credential not found (filename: %s)",
				  strncmp(n, "FILE:", 5) == 0 ? n + 5 : n);
		goto cleanup;
	}
	if (strcmp(t.sp.realm, t.realm) != 0) {
		ret = client_fail(&ctx->c, ORTH_E_NOTFOUND,
				  "Cross-realm service '%s' is not supported",
				  service);
		goto cleanup;
	}
	if (enctype != 0) {
		t.p.etypes = &enctype;
		t.p.netypes = 1;
	}
	t.p.kdc_options = tgt_options(&t.tgt);
	TRY(tgs_call_run(ctx, &t));
	TRY(ccache_store(t.cc, &t.cred));
	TRY(client_ticket_from_cred(&t.cred, out));
cleanup:
	ccache_principal_free(&sp_cc);
	tgs_call_end(&t);
	return ret;
}

orth_err
orthrus_get_service_ticket(struct orthrus_context *ctx, const char *ccname,
			   const char *service, int32_t enctype,
			   struct orthrus_ticket *out)
{
	return service_ticket(ctx, ccname, service, enctype, false, out);
}

orth_err
orthrus_get_cached_ticket(struct orthrus_context *ctx, const char *ccname,
			  const char *service, int32_t enctype,
			  struct orthrus_ticket *out)
{
	return service_ticket(ctx, ccname, service, enctype, true, out);
}

orth_err
orthrus_renew_tgt(struct orthrus_context *ctx, const char *ccname)
{
	orth_err ret;
	struct tgs_call t;

	TRY(tgs_call_begin(ctx, ccname, NULL, true, &t));
	if (!(t.tgt.flags & TKT_FLG_RENEWABLE)) {
		ret = client_fail(&ctx->c, ORTH_E_KRB(KDC_ERR_BADOPTION),
				  "KDC can't fulfill requested option (the ticket is not renewable)");
		goto cleanup;
	}
	/* RFC 4120 §3.3.1: RENEW presents the ticket itself; the new one
	 * lasts until renew-till at most (the KDC decides).  The ticket's
	 * forwardable, proxiable, may-postdate and renewable flags go as
	 * options (the bits coincide, RFC 4120 §5.3/§5.4.1), with rtime its
	 * renew-till, as MIT's krb5_get_renewed_creds asks. */
	t.p.kdc_options = KDC_OPT_RENEW |
			  (t.tgt.flags & (TKT_FLG_FORWARDABLE | TKT_FLG_PROXIABLE |
					  TKT_FLG_MAY_POSTDATE | TKT_FLG_RENEWABLE));
	TRY(tgs_call_run(ctx, &t));
	TRY(ccache_initialize_with(t.cc, &t.tgt.client, t.offset, 0, &t.cred));
cleanup:
	tgs_call_end(&t);
	return ret;
}

orth_err
orthrus_validate_tgt(struct orthrus_context *ctx, const char *ccname)
{
	orth_err ret;
	struct tgs_call t;

	TRY(tgs_call_begin(ctx, ccname, NULL, false, &t));
	if (!(t.tgt.flags & TKT_FLG_INVALID)) {
		ret = client_fail(&ctx->c, ORTH_E_KRB(KDC_ERR_BADOPTION),
				  "KDC can't fulfill requested option (the ticket is not postdated)");
		goto cleanup;
	}
	/* RFC 4120 §3.3.1: VALIDATE presents the invalid ticket itself. */
	t.p.kdc_options = KDC_OPT_VALIDATE;
	TRY(tgs_call_run(ctx, &t));
	TRY(ccache_initialize(t.cc, &t.tgt.client));
	TRY(ccache_time_offset_set(t.cc, t.offset, 0));
	TRY(ccache_store(t.cc, &t.cred));
cleanup:
	tgs_call_end(&t);
	return ret;
}

orth_err
orthrus_get_forwarded_tgt(struct orthrus_context *ctx, const char *ccname,
			  struct orthrus_ticket *out)
{
	orth_err ret;
	struct tgs_call t;

	TRY(tgs_call_begin(ctx, ccname, NULL, false, &t));
	if (!(t.tgt.flags & TKT_FLG_FORWARDABLE)) {
		ret = client_fail(&ctx->c, ORTH_E_KRB(KDC_ERR_BADOPTION),
				  "KDC can't fulfill requested option (the TGT is not forwardable)");
		goto cleanup;
	}
	t.p.kdc_options = KDC_OPT_FORWARDED | KDC_OPT_FORWARDABLE;
	TRY(tgs_call_run(ctx, &t));
	TRY(client_ticket_from_cred(&t.cred, out));
cleanup:
	tgs_call_end(&t);
	return ret;
}

orth_err
orthrus_get_user2user_ticket(struct orthrus_context *ctx, const char *ccname,
			     const char *server, const uint8_t *server_tgt,
			     size_t server_tgt_len, struct orthrus_ticket *out)
{
	orth_err ret;
	struct tgs_call t;

	TRY(tgs_call_begin(ctx, ccname, server, false, &t));
	t.p.kdc_options = KDC_OPT_ENC_TKT_IN_SKEY | tgt_options(&t.tgt);
	t.p.second_ticket = server_tgt;
	t.p.second_ticket_len = server_tgt_len;
	TRY(tgs_call_run(ctx, &t));
	TRY(ccache_store(t.cc, &t.cred));
	TRY(client_ticket_from_cred(&t.cred, out));
cleanup:
	tgs_call_end(&t);
	return ret;
}

/*
 * A ticket for client to the server of t: from the cache when one there
 * is still valid, else from the KDC with t's parameters, then stored.
 */
static orth_err
s4u_ticket_get(struct orthrus_context *ctx, struct tgs_call *t, const struct principal *client,
	       struct orthrus_ticket *out)
{
	orth_err ret;
	struct ccache_principal cp, sp;

	memset(&cp, 0, sizeof(cp));
	memset(&sp, 0, sizeof(sp));
	TRY(client_princ_to_cc(client, &cp));
	TRY(client_princ_to_cc(&t->sp, &sp));
	if (ccache_retrieve(t->cc, &cp, &sp, 0, &t->cred) == ORTH_OK) {
		if (t->cred.endtime > client_now() + t->offset && !t->cred.is_skey) {
			TRY(client_ticket_from_cred(&t->cred, out));
			goto cleanup;
		}
		ccache_cred_free(&t->cred);
	}
	TRY(tgs_call_run(ctx, t));
	TRY(ccache_store(t->cc, &t->cred));
	TRY(client_ticket_from_cred(&t->cred, out));
cleanup:
	ccache_principal_free(&cp);
	ccache_principal_free(&sp);
	return ret;
}

orth_err
orthrus_get_s4u2self_ticket(struct orthrus_context *ctx, const char *ccname, const char *user,
			    struct orthrus_ticket *out)
{
	orth_err ret;
	struct tgs_call t;
	struct principal up;

	TRY(tgs_call_begin(ctx, ccname, NULL, false, &t));
	/* MS-SFU §3.1.5.1.1: the ticket is to the service itself. */
	TRY(client_princ_from_cc(&t.tgt.client, &t.a, &t.sp));
	TRY(parse_name(ctx, user, t.realm, &t.a, &up));
	if (strcmp(up.realm, t.realm) != 0) {
		ret = client_fail(&ctx->c, ORTH_E_NOTFOUND,
				  "Cross-realm S4U2Self for '%s' is not supported", user);
		goto cleanup;
	}
	t.p.s4u_user = &up;
	t.p.kdc_options = tgt_options(&t.tgt);
	TRY(s4u_ticket_get(ctx, &t, &up, out));
cleanup:
	tgs_call_end(&t);
	return ret;
}

orth_err
orthrus_get_s4u2proxy_ticket(struct orthrus_context *ctx, const char *ccname,
			     const struct orthrus_ticket *evidence, const char *service,
			     struct orthrus_ticket *out)
{
	orth_err ret;
	struct tgs_call t;
	struct principal up;

	TRY(tgs_call_begin(ctx, ccname, service, false, &t));
	CHECK(evidence != NULL && evidence->client != NULL && evidence->ticket != NULL,
	      ORTH_E_INTERNAL);
	TRY(parse_name(ctx, evidence->client, t.realm, &t.a, &up));
	if (strcmp(t.sp.realm, t.realm) != 0) {
		ret = client_fail(&ctx->c, ORTH_E_NOTFOUND,
				  "Cross-realm S4U2Proxy to '%s' is not supported", service);
		goto cleanup;
	}
	/* MS-SFU §3.1.5.2.1: option cname-in-addl-tkt, the evidence as the
	 * additional ticket; the reply's client is the evidence's. */
	t.p.want_client = &up;
	t.p.second_ticket = evidence->ticket;
	t.p.second_ticket_len = evidence->ticket_len;
	t.p.kdc_options = KDC_OPT_CNAME_IN_ADDL_TKT | tgt_options(&t.tgt);
	TRY(s4u_ticket_get(ctx, &t, &up, out));
cleanup:
	tgs_call_end(&t);
	return ret;
}
