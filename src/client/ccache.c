/*
 * ccache.c - credential cache handles and the operations common to all
 * cache types: a read decodes a snapshot; a change is applied to the
 * cache's contents while its back end holds it locked (see ccache.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/env.h"
#include "client/ccache.h"
#include "client/ccache_col.h"
#include "client/ccache_int.h"
#include "client/ccache_keyring.h"
#include "proto/krb5_const.h"

/* ---- counted bytes ---- */

orth_err
ccache_data_set(struct ccache_data *d, const void *bytes, size_t n)
{
	uint8_t *p;

	if (n == SIZE_MAX)
		return ORTH_E_LIMIT;
	p = malloc(n + 1);
	if (p == NULL)
		return ORTH_E_NOMEM;
	if (bytes != NULL && n != 0)
		memcpy(p, bytes, n);
	else
		memset(p, 0, n);
	p[n] = 0;
	d->data = p;
	d->len = n;
	return ORTH_OK;
}

void
ccache_data_free(struct ccache_data *d)
{
	if (d->data != NULL) {
		explicit_bzero(d->data, d->len);
		free(d->data);
	}
	d->data = NULL;
	d->len = 0;
}

static bool
data_eq(const struct ccache_data *a, const struct ccache_data *b)
{
	return a->len == b->len &&
	       (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static bool
data_eq_str(const struct ccache_data *a, const char *s)
{
	size_t n = strlen(s);
	return a->len == n && (n == 0 || memcmp(a->data, s, n) == 0);
}

/* ---- principals ---- */

void
ccache_principal_free(struct ccache_principal *p)
{
	uint32_t i;

	ccache_data_free(&p->realm);
	for (i = 0; p->comps != NULL && i < p->ncomps; i++)
		ccache_data_free(&p->comps[i]);
	free(p->comps);
	memset(p, 0, sizeof(*p));
}

orth_err
ccache_principal_copy(const struct ccache_principal *src,
		      struct ccache_principal *dst_out)
{
	struct ccache_principal p = {0};
	orth_err ret;
	uint32_t i;

	p.name_type = src->name_type;
	TRY(ccache_data_set(&p.realm, src->realm.data, src->realm.len));
	if (src->ncomps > 0) {
		p.comps = calloc(src->ncomps, sizeof(*p.comps));
		CHECK(p.comps != NULL, ORTH_E_NOMEM);
		for (i = 0; i < src->ncomps; i++, p.ncomps++)
			TRY(ccache_data_set(&p.comps[i], src->comps[i].data,
					    src->comps[i].len));
	}
	*dst_out = p;
	memset(&p, 0, sizeof(p));
cleanup:
	ccache_principal_free(&p);
	return ret;
}

bool
ccache_principal_eq(const struct ccache_principal *a,
		    const struct ccache_principal *b)
{
	uint32_t i;

	if (a->ncomps != b->ncomps || !data_eq(&a->realm, &b->realm))
		return false;
	for (i = 0; i < a->ncomps; i++)
		if (!data_eq(&a->comps[i], &b->comps[i]))
			return false;
	return true;
}

/* Name type inferred from the name, as MIT's parser does. */
static int32_t
infer_name_type(const struct ccache_principal *p)
{
	if (p->ncomps == 2 && data_eq_str(&p->comps[0], "krbtgt"))
		return KRB5_NT_SRV_INST;
	return KRB5_NT_PRINCIPAL;
}

orth_err
ccache_principal_parse(const char *name, const char *default_realm,
		       struct ccache_principal *out)
{
	struct ccache_principal p = {0};
	struct ccache_data *comps = NULL;
	size_t n = strlen(name), len = 0, ncomps = 0;
	char *buf = NULL;
	bool in_realm = false, have_realm = false;
	const char *s;
	orth_err ret;

	CHECK(n > 0 && name[0] != '@', ORTH_E_BADNAME);
	buf = malloc(n + 1);
	comps = calloc(CCACHE_MAX_COMPONENTS, sizeof(*comps));
	CHECK(buf != NULL && comps != NULL, ORTH_E_NOMEM);
	for (s = name;; s++) {
		char ch = *s;
		bool end_comp = ch == '\0' || (!in_realm && (ch == '/' || ch == '@'));
		if (end_comp) {
			if (in_realm) {
				TRY(ccache_data_set(&p.realm, buf, len));
				have_realm = true;
			} else {
				CHECK(ncomps < CCACHE_MAX_COMPONENTS,
				      ORTH_E_LIMIT);
				TRY(ccache_data_set(&comps[ncomps], buf, len));
				ncomps++;
			}
			len = 0;
			if (ch == '\0')
				break;
			if (ch == '@')
				in_realm = true;
			continue;
		}
		if (in_realm && ch == '@')
			CHECK(0, ORTH_E_BADNAME);
		if (ch == '\\') {
			s++;
			switch (*s) {
			case 'n': ch = '\n'; break;
			case 't': ch = '\t'; break;
			case 'b': ch = '\b'; break;
			case '0': ch = '\0'; break;
			case '\0': CHECK(0, ORTH_E_BADNAME); break;
			default: ch = *s; break;
			}
		}
		buf[len++] = ch;
	}
	if (!have_realm) {
		CHECK(default_realm != NULL, ORTH_E_BADNAME);
		TRY(ccache_data_set(&p.realm, default_realm,
				    strlen(default_realm)));
	}
	CHECK(p.realm.len > 0, ORTH_E_BADNAME);
	p.comps = comps;
	p.ncomps = (uint32_t)ncomps;
	comps = NULL;
	p.name_type = infer_name_type(&p);
	*out = p;
	memset(&p, 0, sizeof(p));
cleanup:
	if (comps != NULL) {
		for (size_t i = 0; i < ncomps; i++)
			ccache_data_free(&comps[i]);
		free(comps);
	}
	free(buf);
	ccache_principal_free(&p);
	return ret;
}

static size_t
quote(char *o, const struct ccache_data *d, bool realm)
{
	size_t i, n = 0;

	for (i = 0; i < d->len; i++) {
		char ch = (char)d->data[i], e = 0;
		switch (ch) {
		case '\n': e = 'n'; break;
		case '\t': e = 't'; break;
		case '\b': e = 'b'; break;
		case '\0': e = '0'; break;
		case '\\': case '@': e = ch; break;
		case '/': e = realm ? 0 : '/'; break;
		default: break;
		}
		if (e != 0) {
			o[n++] = '\\';
			o[n++] = e;
		} else {
			o[n++] = ch;
		}
	}
	return n;
}

orth_err
ccache_principal_unparse(const struct ccache_principal *p, char **out)
{
	size_t cap = 2 * p->realm.len + 2, n = 0;
	uint32_t i;
	char *s;

	for (i = 0; i < p->ncomps; i++)
		cap += 2 * p->comps[i].len + 1;
	s = malloc(cap);
	if (s == NULL)
		return ORTH_E_NOMEM;
	for (i = 0; i < p->ncomps; i++) {
		if (i > 0)
			s[n++] = '/';
		n += quote(s + n, &p->comps[i], false);
	}
	s[n++] = '@';
	n += quote(s + n, &p->realm, true);
	s[n] = '\0';
	*out = s;
	return ORTH_OK;
}

/* ---- credentials ---- */

static void
tagged_free(uint32_t n, struct ccache_tagged *l)
{
	uint32_t i;

	for (i = 0; l != NULL && i < n; i++)
		ccache_data_free(&l[i].data);
	free(l);
}

void
ccache_cred_free(struct ccache_cred *c)
{
	ccache_principal_free(&c->client);
	ccache_principal_free(&c->server);
	ccache_data_free(&c->key);
	tagged_free(c->naddrs, c->addrs);
	tagged_free(c->nauthdata, c->authdata);
	ccache_data_free(&c->ticket);
	ccache_data_free(&c->second_ticket);
	explicit_bzero(c, sizeof(*c));
}

static orth_err
tagged_copy(uint32_t n, const struct ccache_tagged *src,
	    struct ccache_tagged **dst_out, uint32_t *n_out)
{
	struct ccache_tagged *l;
	orth_err ret = ORTH_OK;
	uint32_t i;

	*dst_out = NULL;
	*n_out = 0;
	if (n == 0)
		return ORTH_OK;
	l = calloc(n, sizeof(*l));
	if (l == NULL)
		return ORTH_E_NOMEM;
	*dst_out = l;
	for (i = 0; i < n; i++, (*n_out)++) {
		l[i].type = src[i].type;
		TRY(ccache_data_set(&l[i].data, src[i].data.data,
				    src[i].data.len));
	}
cleanup:
	return ret;
}

orth_err
ccache_cred_copy(const struct ccache_cred *src, struct ccache_cred *dst_out)
{
	struct ccache_cred c = {0};
	orth_err ret;

	TRY(ccache_principal_copy(&src->client, &c.client));
	TRY(ccache_principal_copy(&src->server, &c.server));
	c.enctype = src->enctype;
	TRY(ccache_data_set(&c.key, src->key.data, src->key.len));
	c.authtime = src->authtime;
	c.starttime = src->starttime;
	c.endtime = src->endtime;
	c.renew_till = src->renew_till;
	c.is_skey = src->is_skey;
	c.flags = src->flags;
	TRY(tagged_copy(src->naddrs, src->addrs, &c.addrs, &c.naddrs));
	TRY(tagged_copy(src->nauthdata, src->authdata, &c.authdata,
			&c.nauthdata));
	TRY(ccache_data_set(&c.ticket, src->ticket.data, src->ticket.len));
	TRY(ccache_data_set(&c.second_ticket, src->second_ticket.data,
			    src->second_ticket.len));
	*dst_out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	ccache_cred_free(&c);
	return ret;
}

bool
ccache_cred_is_config(const struct ccache_cred *c)
{
	return data_eq_str(&c->server.realm, CCACHE_CONF_REALM);
}

void
ccache_contents_free(struct ccache_contents *c)
{
	size_t i;

	ccache_data_free(&c->other_tags);
	ccache_principal_free(&c->princ);
	for (i = 0; c->creds != NULL && i < c->ncreds; i++)
		ccache_cred_free(&c->creds[i]);
	free(c->creds);
	memset(c, 0, sizeof(*c));
}

/* ---- names ---- */

orth_err
ccache_default_name(const char *config_default, char **name_out, char *err,
		    size_t errlen)
{
	const char *env = env_get("KRB5CCNAME");

	if (env != NULL && env[0] != '\0') {
		/* MIT expands tokens only in the profile's value. */
		*name_out = strdup(env);
		return *name_out != NULL ? ORTH_OK : ORTH_E_NOMEM;
	}
	if (config_default == NULL || config_default[0] == '\0')
		config_default = "FILE:/tmp/krb5cc_%{uid}";
	return env_path_expand(config_default, name_out, err, errlen);
}

orth_err
ccache_open(const char *name, struct ccache **cc_out)
{
	struct ccache *cc = NULL;
	const char *colon = strchr(name, ':'), *res;
	enum ccache_type type = CCACHE_TYPE_FILE;
	const char *prefix = "FILE:";
	orth_err ret = ORTH_OK;
	size_t n;

	ccache_col_error_clear();
	/* MIT: no type prefix (or a path starting with '/') means FILE. */
	if (name[0] == '/' || colon == NULL) {
		res = name;
	} else if (strncmp(name, "FILE:", 5) == 0) {
		res = name + 5;
	} else if (strncmp(name, "MEMORY:", 7) == 0) {
		res = name + 7;
		type = CCACHE_TYPE_MEMORY;
		prefix = "MEMORY:";
	} else {
		/* DIR:, KEYRING:, KCM: and unknown types (ccache_col.h). */
		return ccache_col_open(name, cc_out);
	}
	CHECK(res[0] != '\0', ORTH_E_USAGE);
	cc = calloc(1, sizeof(*cc));
	CHECK(cc != NULL, ORTH_E_NOMEM);
	n = strlen(prefix) + strlen(res) + 1;
	cc->name = malloc(n);
	CHECK(cc->name != NULL, ORTH_E_NOMEM);
	snprintf(cc->name, n, "%s%s", prefix, res);
	cc->residual = cc->name + strlen(prefix);
	cc->type = type;
	*cc_out = cc;
	cc = NULL;
cleanup:
	ccache_close(cc);
	return ret;
}

void
ccache_close(struct ccache *cc)
{
	if (cc == NULL)
		return;
	free(cc->name);
	free(cc);
}

const char *
ccache_name_get(const struct ccache *cc)
{
	return cc->name;
}

/* ---- removed entries ---- */

/* MIT (1.18 and later) removes an entry in place, without moving the
 * others: endtime 0 and authtime -1 (all ones in the file), and a config
 * entry's realm renamed so that no implementation matches it.  A live entry
 * with endtime 0 (a config entry) has authtime 0. */
#define CCACHE_REMOVED_CONF_REALM "X-RMED-CONF:"

bool
ccache_cred_is_removed(const struct ccache_cred *c)
{
	return c->endtime == 0 && c->authtime != 0;
}

static void
cred_mark_removed(struct ccache_cred *c)
{
	c->endtime = 0;
	c->authtime = UINT32_MAX;
	/* same length as CCACHE_CONF_REALM, so the entry keeps its size */
	if (ccache_cred_is_config(c))
		memcpy(c->server.realm.data, CCACHE_REMOVED_CONF_REALM,
		       strlen(CCACHE_REMOVED_CONF_REALM));
}

/* Removed entries stay in the file; no snapshot above this file has them. */
static void
drop_removed(struct ccache_contents *c)
{
	size_t i, j = 0;

	for (i = 0; i < c->ncreds; i++) {
		if (ccache_cred_is_removed(&c->creds[i]))
			ccache_cred_free(&c->creds[i]);
		else
			c->creds[j++] = c->creds[i];
	}
	c->ncreds = j;
}

/* ---- snapshots ---- */

static orth_err
load(struct ccache *cc, struct ccache_contents *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	orth_err ret;

	if (cc->type == CCACHE_TYPE_FILE)
		TRY(ccache_file_load(cc->residual, &buf, &len));
	else if (cc->type == CCACHE_TYPE_KEYRING)
		TRY(ccache_keyring_load(cc->residual, &buf, &len));
	else
		TRY(ccache_memory_load(cc->residual, &buf, &len));
	TRY(ccache_contents_decode(buf, len, out));
	drop_removed(out);
cleanup:
	ccache_buf_free(buf, len);
	return ret;
}

/* ---- changes ---- */

/*
 * One change, applied by edit_image to the cache's contents as they are
 * when the back end holds the cache locked (never to an earlier snapshot:
 * that is how a concurrent writer's update was lost).
 */
struct change {
	orth_err (*apply)(struct ccache_contents *c, const struct change *ch);
	bool need_old;  /* applies to the cache as it is: NOTFOUND if none */
	const struct ccache_contents *whole;  /* else: the new contents */
	const struct ccache_principal *princ, *client, *server;
	const struct ccache_cred *cred;
	bool has_offset;
	int32_t sec, usec;
	const void *value;
	size_t len;
	uint16_t version;  /* apply_init's; 0: version 4 */
};

static orth_err
edit_image(const uint8_t *old, size_t olen, void *arg, uint8_t **new_out,
	   size_t *nlen_out)
{
	const struct change *ch = arg;
	struct ccache_contents c = {0};
	orth_err ret;

	if (ch->whole != NULL)
		return ccache_contents_encode(ch->whole, new_out, nlen_out);
	if (ch->need_old) {
		CHECK(old != NULL, ORTH_E_NOTFOUND);
		TRY(ccache_contents_decode(old, olen, &c));
	}
	TRY(ch->apply(&c, ch));
	TRY(ccache_contents_encode(&c, new_out, nlen_out));
cleanup:
	ccache_contents_free(&c);
	return ret;
}

/*
 * In place: what MIT changes in place (a credential appended at the end,
 * an entry marked removed), so MIT's readers and writers, which lock the
 * same file, see every change.  Replace: a re-initialisation or a new
 * header, written as a new file and renamed over the old one, as MIT's
 * kinit does; a reader sees the old cache or the new one, never a mix.
 */
enum change_way { CHANGE_IN_PLACE, CHANGE_REPLACE };

/* KEYRING: the kernel keyring has no file to lock (MIT's keyring cache
 * takes no lock either): read, change, write back. */
static orth_err
keyring_edit(const char *residual, ccache_edit_fn fn, void *arg)
{
	uint8_t *old = NULL, *nw = NULL;
	size_t olen = 0, nlen = 0;
	orth_err ret = ccache_keyring_load(residual, &old, &olen);

	if (ret == ORTH_E_NOTFOUND)
		ret = ORTH_OK;
	TRY(ret);
	TRY(fn(old, olen, arg, &nw, &nlen));
	TRY(ccache_keyring_save(residual, nw, nlen));
cleanup:
	ccache_buf_free(old, olen);
	ccache_buf_free(nw, nlen);
	return ret;
}

static orth_err
change(struct ccache *cc, enum change_way way, struct change *ch)
{
	void *arg = ch;

	if (cc->type == CCACHE_TYPE_KEYRING)
		return keyring_edit(cc->residual, edit_image, arg);
	if (cc->type == CCACHE_TYPE_MEMORY)
		return ccache_memory_edit(cc->residual, way == CHANGE_REPLACE,
					  edit_image, arg);
	if (way == CHANGE_IN_PLACE)
		return ccache_file_update(cc->residual, edit_image, arg);
	return ccache_file_replace(cc->residual, ch->need_old, edit_image, arg);
}

orth_err
ccache_image_fixed(const uint8_t *old, size_t olen, void *arg,
		   uint8_t **new_out, size_t *nlen_out)
{
	const struct ccache_image *img = arg;
	uint8_t *p = malloc(img->len ? img->len : 1);

	(void)old;
	(void)olen;
	if (p == NULL)
		return ORTH_E_NOMEM;
	memcpy(p, img->buf, img->len);
	*new_out = p;
	*nlen_out = img->len;
	return ORTH_OK;
}

/* A copy of cred at the end of c. */
static orth_err
contents_append(struct ccache_contents *c, const struct ccache_cred *cred)
{
	struct ccache_cred copy = {0}, *n;
	orth_err ret;

	CHECK(c->ncreds < CCACHE_MAX_CREDS, ORTH_E_LIMIT);
	TRY(ccache_cred_copy(cred, &copy));
	n = realloc(c->creds, (c->ncreds + 1) * sizeof(*n));
	CHECK(n != NULL, ORTH_E_NOMEM);
	c->creds = n;
	c->creds[c->ncreds++] = copy;
	memset(&copy, 0, sizeof(copy));
cleanup:
	ccache_cred_free(&copy);
	return ret;
}

orth_err
ccache_read(struct ccache *cc, struct ccache_contents *out)
{
	return load(cc, out);
}

orth_err
ccache_write(struct ccache *cc, const struct ccache_contents *c)
{
	struct change ch = {.whole = c};

	return change(cc, CHANGE_REPLACE, &ch);
}

static orth_err
apply_init(struct ccache_contents *c, const struct change *ch)
{
	orth_err ret;

	c->version = ch->version != 0 ? ch->version : CCACHE_VERSION_4;
	c->has_time_offset = ch->has_offset;
	c->time_offset_sec = ch->sec;
	c->time_offset_usec = ch->usec;
	TRY(ccache_principal_copy(ch->princ, &c->princ));
	if (ch->cred != NULL)
		TRY(contents_append(c, ch->cred));
cleanup:
	return ret;
}

void
ccache_new_version_set(struct ccache *cc, uint16_t version)
{
	if (version >= CCACHE_VERSION_1 && version <= CCACHE_VERSION_4)
		cc->new_version = version;
}

/* The version a new login writes: ccache_new_version_set()'s for FILE. */
static uint16_t
init_version(const struct ccache *cc)
{
	return cc->type == CCACHE_TYPE_FILE ? cc->new_version : 0;
}

orth_err
ccache_initialize(struct ccache *cc, const struct ccache_principal *princ)
{
	struct change ch = {.apply = apply_init, .princ = princ,
			    .version = init_version(cc)};

	return change(cc, CHANGE_REPLACE, &ch);
}

orth_err
ccache_initialize_with(struct ccache *cc, const struct ccache_principal *princ,
		       int32_t offset_sec, int32_t offset_usec,
		       const struct ccache_cred *cred)
{
	struct change ch = {.apply = apply_init, .princ = princ,
			    .has_offset = true, .sec = offset_sec,
			    .usec = offset_usec, .cred = cred, .version = init_version(cc)};

	return change(cc, CHANGE_REPLACE, &ch);
}

orth_err
ccache_destroy(struct ccache *cc)
{
	if (cc->type == CCACHE_TYPE_FILE)
		return ccache_file_destroy(cc->residual);
	if (cc->type == CCACHE_TYPE_KEYRING)
		return ccache_keyring_destroy(cc->residual);
	return ccache_memory_destroy(cc->residual);
}

orth_err
ccache_default_principal_get(struct ccache *cc, struct ccache_principal *out)
{
	struct ccache_contents c = {0};
	orth_err ret;

	TRY(load(cc, &c));
	TRY(ccache_principal_copy(&c.princ, out));
cleanup:
	ccache_contents_free(&c);
	return ret;
}

static orth_err
apply_store(struct ccache_contents *c, const struct change *ch)
{
	return contents_append(c, ch->cred);
}

orth_err
ccache_store(struct ccache *cc, const struct ccache_cred *cred)
{
	struct change ch = {.apply = apply_store, .need_old = true,
			    .cred = cred};

	/* Appended, as MIT's store does: an older ticket for the same
	 * server stays (retrieve takes the one that lasts longest). */
	return change(cc, CHANGE_IN_PLACE, &ch);
}

static bool
ticket_matches(const struct ccache_cred *cr, const struct ccache_principal *client,
	       const struct ccache_principal *server, int32_t enctype)
{
	return !ccache_cred_is_config(cr) && !ccache_cred_is_removed(cr) &&
	       ccache_principal_eq(&cr->client, client) &&
	       ccache_principal_eq(&cr->server, server) &&
	       (enctype == 0 || cr->enctype == enctype);
}

orth_err
ccache_retrieve(struct ccache *cc, const struct ccache_principal *client,
		const struct ccache_principal *server, int32_t enctype,
		struct ccache_cred *out)
{
	struct ccache_contents c = {0};
	const struct ccache_cred *best = NULL;
	orth_err ret;
	size_t i;

	TRY(load(cc, &c));
	if (client == NULL)
		client = &c.princ;
	/* Several matches (stores append): the one that lasts longest. */
	for (i = 0; i < c.ncreds; i++)
		if (ticket_matches(&c.creds[i], client, server, enctype) &&
		    (best == NULL || c.creds[i].endtime > best->endtime))
			best = &c.creds[i];
	CHECK(best != NULL, ORTH_E_NOTFOUND);
	TRY(ccache_cred_copy(best, out));
cleanup:
	ccache_contents_free(&c);
	return ret;
}

static orth_err
apply_remove(struct ccache_contents *c, const struct change *ch)
{
	const struct ccache_principal *client = ch->client ? ch->client : &c->princ;
	bool found = false;
	size_t i;

	for (i = 0; i < c->ncreds; i++) {
		if (ticket_matches(&c->creds[i], client, ch->server, 0)) {
			cred_mark_removed(&c->creds[i]);
			found = true;
		}
	}
	return found ? ORTH_OK : ORTH_E_NOTFOUND;
}

orth_err
ccache_remove(struct ccache *cc, const struct ccache_principal *client,
	      const struct ccache_principal *server)
{
	struct change ch = {.apply = apply_remove, .need_old = true,
			    .client = client, .server = server};

	return change(cc, CHANGE_IN_PLACE, &ch);
}

orth_err
ccache_time_offset_get(struct ccache *cc, int32_t *sec_out, int32_t *usec_out)
{
	struct ccache_contents c = {0};
	orth_err ret;

	TRY(load(cc, &c));
	CHECK(c.has_time_offset, ORTH_E_NOTFOUND);
	*sec_out = c.time_offset_sec;
	*usec_out = c.time_offset_usec;
cleanup:
	ccache_contents_free(&c);
	return ret;
}

static orth_err
apply_offset(struct ccache_contents *c, const struct change *ch)
{
	c->has_time_offset = true;
	c->time_offset_sec = ch->sec;
	c->time_offset_usec = ch->usec;
	return ORTH_OK;
}

orth_err
ccache_time_offset_set(struct ccache *cc, int32_t sec, int32_t usec)
{
	struct change ch = {.apply = apply_offset, .need_old = true,
			    .sec = sec, .usec = usec};

	/* The header changes size: every entry moves, a new file it is. */
	return change(cc, CHANGE_REPLACE, &ch);
}

/* krb5_ccache_conf_data/KEY[/PRINC]@X-CACHECONF: */
static orth_err
config_principal(const struct ccache_principal *princ, const char *key,
		 struct ccache_principal *out)
{
	struct ccache_principal p = {0};
	char *pname = NULL;
	orth_err ret;

	p.name_type = KRB5_NT_PRINCIPAL;
	TRY(ccache_data_set(&p.realm, CCACHE_CONF_REALM,
			    strlen(CCACHE_CONF_REALM)));
	p.comps = calloc(3, sizeof(*p.comps));
	CHECK(p.comps != NULL, ORTH_E_NOMEM);
	TRY(ccache_data_set(&p.comps[0], CCACHE_CONF_NAME,
			    strlen(CCACHE_CONF_NAME)));
	p.ncomps = 1;
	TRY(ccache_data_set(&p.comps[1], key, strlen(key)));
	p.ncomps = 2;
	if (princ != NULL) {
		TRY(ccache_principal_unparse(princ, &pname));
		TRY(ccache_data_set(&p.comps[2], pname, strlen(pname)));
		p.ncomps = 3;
	}
	*out = p;
	memset(&p, 0, sizeof(p));
cleanup:
	free(pname);
	ccache_principal_free(&p);
	return ret;
}

orth_err
ccache_config_get(struct ccache *cc, const struct ccache_principal *princ,
		  const char *key, struct ccache_data *value_out)
{
	struct ccache_contents c = {0};
	struct ccache_principal server = {0};
	orth_err ret;
	size_t i;

	TRY(config_principal(princ, key, &server));
	TRY(load(cc, &c));
	for (i = 0; i < c.ncreds; i++) {
		const struct ccache_cred *cr = &c.creds[i];
		if (ccache_cred_is_config(cr) &&
		    ccache_principal_eq(&cr->server, &server)) {
			TRY(ccache_data_set(value_out, cr->ticket.data,
					    cr->ticket.len));
			goto cleanup;
		}
	}
	ret = ORTH_E_NOTFOUND;
cleanup:
	ccache_principal_free(&server);
	ccache_contents_free(&c);
	return ret;
}

/* MIT's krb5_cc_set_config: the entry with this name removed, the new one
 * appended; the client is the cache's principal. */
static orth_err
apply_config(struct ccache_contents *c, const struct change *ch)
{
	struct ccache_cred cr = {0};
	orth_err ret;
	size_t i;

	for (i = 0; i < c->ncreds; i++)
		if (ccache_cred_is_config(&c->creds[i]) &&
		    ccache_principal_eq(&c->creds[i].server, ch->server))
			cred_mark_removed(&c->creds[i]);
	TRY(ccache_principal_copy(ch->server, &cr.server));
	TRY(ccache_principal_copy(&c->princ, &cr.client));
	TRY(ccache_data_set(&cr.ticket, ch->value, ch->len));
	TRY(contents_append(c, &cr));
cleanup:
	ccache_cred_free(&cr);
	return ret;
}

orth_err
ccache_config_put(struct ccache *cc, const struct ccache_principal *princ,
		  const char *key, const void *value, size_t len)
{
	struct ccache_principal server = {0};
	struct change ch = {.apply = apply_config, .need_old = true,
			    .server = &server, .value = value, .len = len};
	orth_err ret;

	TRY(config_principal(princ, key, &server));
	TRY(change(cc, CHANGE_IN_PLACE, &ch));
cleanup:
	ccache_principal_free(&server);
	return ret;
}

/* ---- iteration ---- */

struct ccache_iter {
	struct ccache_contents snap;
	size_t pos;
};

orth_err
ccache_iter_begin(struct ccache *cc, struct ccache_iter **it_out)
{
	struct ccache_iter *it;
	orth_err ret;

	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return ORTH_E_NOMEM;
	ret = load(cc, &it->snap);
	if (ret != ORTH_OK) {
		free(it);
		return ret;
	}
	*it_out = it;
	return ORTH_OK;
}

orth_err
ccache_iter_next(struct ccache_iter *it, const struct ccache_cred **cred_out)
{
	while (it->pos < it->snap.ncreds) {
		const struct ccache_cred *cr = &it->snap.creds[it->pos++];
		if (!ccache_cred_is_config(cr)) {
			*cred_out = cr;
			return ORTH_OK;
		}
	}
	return ORTH_E_NOTFOUND;
}

void
ccache_iter_end(struct ccache_iter *it)
{
	if (it == NULL)
		return;
	ccache_contents_free(&it->snap);
	free(it);
}
