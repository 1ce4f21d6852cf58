/*
 * ccache_api.c - include/orthrus/ccache.h over ccache.h and ccache_col.h:
 * handles that carry the cache, errors that leave their message in the
 * context.
 */
#include "orthrus/ccache.h"

#include <stdlib.h>
#include <string.h>

#include "client/ccache_col.h"
#include "client_int.h"
#include "orthrus/client.h"
#include "proto/krberr.h"
#include "proto/pname.h"

struct orthrus_ccache {
	struct ccache *cc;
};

struct orthrus_ccache_iter {
	struct ccache_contents snap;
	size_t next;
};

struct orthrus_collection_iter {
	struct ccache_col col;
	size_t next;
};

orth_err
client_api_fail(struct orthrus_context *ctx, orth_err ret)
{
	/* The collection's words when it has some, else the code's; always
	 * recorded, so that no older message of the same code is shown. */
	if (ret == ORTH_OK || ctx == NULL)
		return ret;
	if (ccache_col_error()[0] != '\0')
		return client_fail(&ctx->c, ret, "%s", ccache_col_error());
	return client_fail(&ctx->c, ret, "%s", proto_err_str(ret));
}

/* name, or the default cache's name into *buf (malloc'd). */
static orth_err
name_or_default(struct orthrus_context *ctx, const char *name, char **buf, const char **out)
{
	orth_err ret = ORTH_OK;

	*buf = NULL;
	if (name == NULL) {
		char why[256] = "";
		ret = ccache_default_name(ctx->c.conf.default_ccache_name, buf, why, sizeof(why));
		if (ret != ORTH_OK)
			return client_fail(&ctx->c, ret, "default_ccache_name: %s",
					   why[0] ? why : orth_err_str(ret));
		name = *buf;
	}
	*out = name;
	return ret;
}

/* A handle over an open cache (taken over, closed on failure). */
static orth_err
handle_new(struct ccache *cc, struct orthrus_ccache **out)
{
	struct orthrus_ccache *h = calloc(1, sizeof(*h));

	if (h == NULL) {
		ccache_close(cc);
		return ORTH_E_NOMEM;
	}
	h->cc = cc;
	*out = h;
	return ORTH_OK;
}

orth_err
orthrus_ccache_resolve(struct orthrus_context *ctx, const char *name, struct orthrus_ccache **out)
{
	orth_err ret;
	struct ccache *cc = NULL;

	ccache_col_error_clear();
	TRY(client_ccache_open(ctx, name, &cc));
	TRY(handle_new(cc, out));
cleanup:
	return ret;
}

void
orthrus_ccache_close(struct orthrus_ccache *cc)
{
	if (cc == NULL)
		return;
	ccache_close(cc->cc);
	free(cc);
}

const char *
orthrus_ccache_name(const struct orthrus_ccache *cc)
{
	return ccache_name_get(cc->cc);
}

orth_err
orthrus_ccache_principal(struct orthrus_context *ctx, struct orthrus_ccache *cc,
			 struct orthrus_principal **out)
{
	orth_err ret;
	struct orthrus_principal *p = calloc(1, sizeof(*p));

	ccache_col_error_clear();
	CHECK(p != NULL, ORTH_E_NOMEM);
	TRY(ccache_default_principal_get(cc->cc, &p->p));
	*out = p;
	p = NULL;
cleanup:
	orthrus_principal_free(p);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_ccache_initialize(struct orthrus_context *ctx, struct orthrus_ccache *cc,
			  const struct orthrus_principal *p)
{
	ccache_col_error_clear();
	return client_api_fail(ctx, ccache_initialize(cc->cc, &p->p));
}

orth_err
orthrus_ccache_store(struct orthrus_context *ctx, struct orthrus_ccache *cc,
		     const struct orthrus_cred *c)
{
	ccache_col_error_clear();
	return client_api_fail(ctx, ccache_store(cc->cc, &c->c));
}

orth_err
orthrus_ccache_destroy(struct orthrus_context *ctx, struct orthrus_ccache *cc)
{
	ccache_col_error_clear();
	return client_api_fail(ctx, ccache_destroy(cc->cc));
}

orth_err
orthrus_ccache_tgt(struct orthrus_context *ctx, struct orthrus_ccache *cc,
		   struct orthrus_ticket *out)
{
	orth_err ret;
	struct ccache_cred tgt;

	memset(&tgt, 0, sizeof(tgt));
	/* client_tgt_get() words its own failures */
	TRY(client_tgt_get(ctx, cc->cc, &tgt, NULL));
	ret = client_api_fail(ctx, client_ticket_from_cred(&tgt, out));
cleanup:
	ccache_cred_free(&tgt);
	return ret;
}

orth_err
orthrus_ccache_iter_begin(struct orthrus_context *ctx, struct orthrus_ccache *cc,
			  struct orthrus_ccache_iter **it)
{
	orth_err ret;
	struct orthrus_ccache_iter *i = calloc(1, sizeof(*i));

	ccache_col_error_clear();
	CHECK(i != NULL, ORTH_E_NOMEM);
	TRY(ccache_read(cc->cc, &i->snap));
	*it = i;
	i = NULL;
cleanup:
	orthrus_ccache_iter_end(i);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_ccache_iter_next(struct orthrus_ccache_iter *it, const struct orthrus_cred **out)
{
	if (it->next >= it->snap.ncreds)
		return ORTH_E_NOTFOUND;
	/* C17 §6.7.2.1: the credential is the first member of its handle */
	*out = (const struct orthrus_cred *)(const void *)&it->snap.creds[it->next++];
	return ORTH_OK;
}

void
orthrus_ccache_iter_end(struct orthrus_ccache_iter *it)
{
	if (it == NULL)
		return;
	ccache_contents_free(&it->snap);
	free(it);
}

int
orthrus_ccache_supports_switch(struct orthrus_context *ctx, const char *name)
{
	char *def = NULL;
	int ok = name_or_default(ctx, name, &def, &name) == ORTH_OK && ccache_col_switchable(name);

	free(def);
	return ok;
}

orth_err
orthrus_collection_iter_begin(struct orthrus_context *ctx, const char *name,
			      struct orthrus_collection_iter **it)
{
	orth_err ret;
	char *def = NULL;
	struct orthrus_collection_iter *i = calloc(1, sizeof(*i));

	ccache_col_error_clear();
	CHECK(i != NULL, ORTH_E_NOMEM);
	TRY(name_or_default(ctx, name, &def, &name));
	TRY(ccache_col_list(name, &i->col));
	*it = i;
	i = NULL;
cleanup:
	free(def);
	orthrus_collection_iter_end(i);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_collection_iter_next(struct orthrus_collection_iter *it, struct orthrus_ccache **out)
{
	/* A cache listed but gone since (or not to be opened) is skipped. */
	while (it->next < it->col.n) {
		struct ccache *cc = NULL;
		if (ccache_open(it->col.names[it->next++], &cc) == ORTH_OK)
			return handle_new(cc, out);
	}
	return ORTH_E_NOTFOUND;
}

void
orthrus_collection_iter_end(struct orthrus_collection_iter *it)
{
	if (it == NULL)
		return;
	ccache_col_free(&it->col);
	free(it);
}

orth_err
orthrus_ccache_match(struct orthrus_context *ctx, const char *name,
		     const struct orthrus_principal *p, struct orthrus_ccache **out)
{
	orth_err ret;
	char *def = NULL;
	struct ccache *cc = NULL;

	ccache_col_error_clear();
	TRY(name_or_default(ctx, name, &def, &name));
	TRY(ccache_col_match(name, &p->p, &cc));
	TRY(handle_new(cc, out));
cleanup:
	free(def);
	/* MIT's words for a principal without a cache */
	if (ret == ORTH_E_NOTFOUND && ctx != NULL)
		return client_fail(&ctx->c, ret, "Matching credential not found");
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_ccache_new_unique(struct orthrus_context *ctx, const char *name,
			  struct orthrus_ccache **out)
{
	orth_err ret;
	char *def = NULL;
	struct ccache *cc = NULL;

	ccache_col_error_clear();
	TRY(name_or_default(ctx, name, &def, &name));
	TRY(ccache_col_new_unique(name, &cc));
	TRY(handle_new(cc, out));
cleanup:
	free(def);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_ccache_switch(struct orthrus_context *ctx, struct orthrus_ccache *cc)
{
	ccache_col_error_clear();
	return client_api_fail(ctx, ccache_col_switch(cc->cc));
}

/* ---- credentials ---- */

const struct orthrus_principal *
orthrus_cred_client(const struct orthrus_cred *c)
{
	return client_principal_view(&c->c.client);
}

const struct orthrus_principal *
orthrus_cred_server(const struct orthrus_cred *c)
{
	return client_principal_view(&c->c.server);
}

void
orthrus_cred_times(const struct orthrus_cred *c, struct orthrus_cred_times *out)
{
	out->authtime = c->c.authtime;
	out->starttime = c->c.starttime;
	out->endtime = c->c.endtime;
	out->renew_till = c->c.renew_till;
}

uint32_t
orthrus_cred_flags(const struct orthrus_cred *c)
{
	return c->c.flags;
}

int32_t
orthrus_cred_session_enctype(const struct orthrus_cred *c)
{
	return c->c.enctype;
}

const uint8_t *
orthrus_cred_ticket(const struct orthrus_cred *c, size_t *len_out)
{
	*len_out = c->c.ticket.len;
	return c->c.ticket.data;
}

orth_err
orthrus_cred_ticket_info(const struct orthrus_cred *c, int32_t *enctype_out, uint32_t *kvno_out,
			 char **server_out)
{
	orth_err ret;
	struct arena a = {0};
	Ticket t;
	char *name = NULL;

	memset(&t, 0, sizeof(t));
	CHECK(!ccache_cred_is_config(&c->c), ORTH_E_MALFORMED);
	TRY(arena_init(&a, 64 * 1024));
	TRY(der_decode(&asn1_Ticket, c->c.ticket.data, c->c.ticket.len, &a, &t));
	if (server_out != NULL) {
		name = malloc(PRINCIPAL_MAX_TEXT + 1);
		CHECK(name != NULL, ORTH_E_NOMEM);
		TRY(pname_unparse(&t.sname, t.realm, name, PRINCIPAL_MAX_TEXT + 1));
		*server_out = name;
		name = NULL;
	}
	if (enctype_out != NULL)
		*enctype_out = t.enc_part.etype;
	if (kvno_out != NULL)
		*kvno_out = t.enc_part.kvno != NULL ? *t.enc_part.kvno : 0;
cleanup:
	free(name);
	arena_free(&a);
	return ret;
}

int
orthrus_cred_is_config(const struct orthrus_cred *c)
{
	return ccache_cred_is_config(&c->c);
}

size_t
orthrus_cred_address_count(const struct orthrus_cred *c)
{
	return c->c.naddrs;
}

/* Element i of a tagged list (addresses, authorization data). */
static const uint8_t *
tagged_get(const struct ccache_tagged *list, size_t n, size_t i, int32_t *type_out,
	   size_t *len_out)
{
	if (i >= n)
		return NULL;
	if (type_out != NULL)
		*type_out = list[i].type;
	if (len_out != NULL)
		*len_out = list[i].data.len;
	return list[i].data.data;
}

const uint8_t *
orthrus_cred_address(const struct orthrus_cred *c, size_t i, int32_t *type_out, size_t *len_out)
{
	return tagged_get(c->c.addrs, c->c.naddrs, i, type_out, len_out);
}

size_t
orthrus_cred_authdata_count(const struct orthrus_cred *c)
{
	return c->c.nauthdata;
}

const uint8_t *
orthrus_cred_authdata(const struct orthrus_cred *c, size_t i, int32_t *type_out, size_t *len_out)
{
	return tagged_get(c->c.authdata, c->c.nauthdata, i, type_out, len_out);
}
