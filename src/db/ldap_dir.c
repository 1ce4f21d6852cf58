/*
 * ldap_dir.c - connections to the directory over libldap (see
 * ldap_dir.h).  The only file that includes <ldap.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define LDAP_DEPRECATED 0
#include <ldap.h>

#include "ldap_dir.h"

#define SYNC_ARENA (8u << 20)

struct ldap_dir {
	LDAP *ld;
	size_t server;
	int64_t timeout;
	char why[160]; /* the server's words on the last sync's end */
};

static orth_err
map_ldap(int rc)
{
	switch (rc) {
	case LDAP_SUCCESS:
		return ORTH_OK;
	case LDAP_SERVER_DOWN:
	case LDAP_TIMEOUT:
	case LDAP_CONNECT_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return ORTH_E_NETWORK;
	case LDAP_INVALID_CREDENTIALS:
	case LDAP_INSUFFICIENT_ACCESS:
	case LDAP_INAPPROPRIATE_AUTH:
	case LDAP_STRONG_AUTH_REQUIRED:
	case LDAP_CONFIDENTIALITY_REQUIRED:
		return ORTH_E_PERM;
	case LDAP_NO_SUCH_OBJECT:
		return ORTH_E_NOTFOUND;
	case LDAP_ALREADY_EXISTS:
	case LDAP_TYPE_OR_VALUE_EXISTS:
		return ORTH_E_EXISTS;
	default:
		return ORTH_E_INTERNAL;
	}
}

static void
say(char *err, size_t errlen, const char *what, int rc)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, ldap_err2string(rc));
}

/* Connect and bind to server i. */
static int
server_open(const struct ldap_config *lc, size_t i, const char *password, LDAP **out)
{
	LDAP *ld = NULL;
	int rc, version = LDAP_VERSION3;
	struct timeval tv = {(time_t)lc->timeout, 0};
	const char *uri = lc->servers[i];

	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS)
		goto done;
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
	/* A password never crosses the network in clear (ldap_config.h). */
	if (strncasecmp(uri, "ldap://", 7) == 0 &&
	    (lc->require_starttls || !ldap_config_uri_loopback(uri))) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS)
			goto done;
	}
	if (lc->kdc_dn != NULL) {
		struct berval cred = {strlen(password), (char *)(uintptr_t)password};
		rc = ldap_sasl_bind_s(ld, lc->kdc_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	} else {
		/* RFC 4422 Appendix A: EXTERNAL's one message is the
		 * authorization identity, empty for "the one my credentials
		 * (here the socket's uid) give".  Sent as is, in one bind:
		 * libldap's interactive bind without an interaction function
		 * fails with LDAP_LOCAL_ERROR (Cyrus SASL's EXTERNAL asks for
		 * that identity; tests/interop/ldap_replica.sh, KDC 3). */
		struct berval empty = {0, (char *)(uintptr_t)""};
		rc = ldap_sasl_bind_s(ld, NULL, "EXTERNAL", &empty, NULL, NULL, NULL);
	}
done:
	if (rc == LDAP_SUCCESS)
		*out = ld;
	else if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return rc;
}

orth_err
ldap_dir_open(const struct ldap_config *lc, size_t first, struct ldap_dir **out, char *err,
	      size_t errlen)
{
	orth_err ret = ORTH_E_NETWORK;
	char password[LDAP_CONFIG_MAX_PASSWORD] = "";
	struct ldap_dir *d = NULL;
	size_t n = 0;
	int rc = LDAP_SERVER_DOWN;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (lc->kdc_dn != NULL) {
		orth_err r = ldap_config_password(lc->password_file, lc->kdc_dn, password,
						  sizeof(password));
		if (r != ORTH_OK) {
			if (err != NULL)
				snprintf(err, errlen, "no password for %s in %s: %s", lc->kdc_dn,
					 lc->password_file, orth_err_str(r));
			ret = ORTH_E_CONFIG;
			goto cleanup;
		}
	}
	d = calloc(1, sizeof(*d));
	CHECK(d != NULL, ORTH_E_NOMEM);
	d->timeout = lc->timeout;
	for (size_t k = 0; k < lc->n_servers; k++) {
		size_t i = (first + k) % lc->n_servers;
		rc = server_open(lc, i, password, &d->ld);
		if (rc == LDAP_SUCCESS) {
			d->server = i;
			*out = d;
			d = NULL;
			ret = ORTH_OK;
			goto cleanup;
		}
		if (err != NULL && n < errlen)
			n += (size_t)snprintf(err + n, errlen - n, "%s%s: %s", n > 0 ? "; " : "",
					      lc->servers[i], ldap_err2string(rc));
		if (map_ldap(rc) == ORTH_E_PERM)
			ret = ORTH_E_PERM;
	}
cleanup:
	explicit_bzero(password, sizeof(password));
	free(d);
	return ret;
}

void
ldap_dir_close(struct ldap_dir *d)
{
	if (d == NULL)
		return;
	if (d->ld != NULL)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	free(d);
}

size_t
ldap_dir_server(const struct ldap_dir *d)
{
	return d->server;
}

const char *
ldap_dir_why(const struct ldap_dir *d)
{
	return d->why;
}

/* What ended a sync on d: rc's text, and the server's diagnostic message
 * if it gave one ("busy" and its reason, say). */
static void
why_set(struct ldap_dir *d, const char *what, int rc)
{
	char *diag = NULL;

	ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	snprintf(d->why, sizeof(d->why), "%s: %s%s%s", what, ldap_err2string(rc),
		 diag != NULL && diag[0] != '\0' ? ": " : "", diag != NULL ? diag : "");
	if (diag != NULL)
		ldap_memfree(diag);
}

/* The LDAPMod array of e, op LDAP_MOD_ADD (no empty attributes) or
 * LDAP_MOD_REPLACE; all memory from a. */
static LDAPMod **
mods_make(const struct ldap_dentry *e, int op, struct arena *a)
{
	LDAPMod **mods = arena_alloc(a, (e->nattrs + 1) * sizeof(*mods));
	size_t n = 0;

	if (mods == NULL)
		return NULL;
	for (size_t i = 0; i < e->nattrs; i++) {
		const struct ldap_attr *at = &e->attrs[i];
		LDAPMod *m;
		struct berval *bv, **bvp;
		if (op == LDAP_MOD_ADD && at->nvals == 0)
			continue;
		m = arena_alloc(a, sizeof(*m));
		bv = arena_alloc(a, (at->nvals + 1) * sizeof(*bv));
		bvp = arena_alloc(a, (at->nvals + 1) * sizeof(*bvp));
		if (m == NULL || bv == NULL || bvp == NULL)
			return NULL;
		for (size_t j = 0; j < at->nvals; j++) {
			bv[j].bv_len = at->vals[j].len;
			bv[j].bv_val = (char *)(uintptr_t)at->vals[j].data;
			bvp[j] = &bv[j];
		}
		bvp[at->nvals] = NULL;
		m->mod_op = op | LDAP_MOD_BVALUES;
		m->mod_type = (char *)(uintptr_t)at->name;
		m->mod_bvalues = bvp;
		mods[n++] = m;
	}
	mods[n] = NULL;
	return mods;
}

/* Write e: add it (unless replace_only), or when it exists replace its
 * attributes. */
static orth_err
write_entry(struct ldap_dir *d, const struct ldap_dentry *e, bool replace_only, char *err,
	    size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct arena a = {0};
	LDAPMod **mods;
	int rc = LDAP_ALREADY_EXISTS;

	TRY(arena_init(&a, 1u << 20));
	if (!replace_only) {
		mods = mods_make(e, LDAP_MOD_ADD, &a);
		CHECK(mods != NULL, ORTH_E_LIMIT);
		rc = ldap_add_ext_s(d->ld, e->dn, mods, NULL, NULL);
	}
	if (rc == LDAP_ALREADY_EXISTS) {
		/* objectClass too: replaced with ours, which MIT's entries
		 * have (krbPrincipal, krbPrincipalAux, ...) and ours adds
		 * orthrusPrincipalAux to. */
		mods = mods_make(e, LDAP_MOD_REPLACE, &a);
		CHECK(mods != NULL, ORTH_E_LIMIT);
		rc = ldap_modify_ext_s(d->ld, e->dn, mods, NULL, NULL);
	}
	if (rc != LDAP_SUCCESS)
		say(err, errlen, e->dn, rc);
	ret = map_ldap(rc);
cleanup:
	arena_free(&a);
	return ret;
}

orth_err
ldap_dir_put(struct ldap_dir *d, const struct ldap_dentry *e, char *err, size_t errlen)
{
	return write_entry(d, e, false, err, errlen);
}

orth_err
ldap_dir_replace(struct ldap_dir *d, const struct ldap_dentry *e, char *err, size_t errlen)
{
	return write_entry(d, e, true, err, errlen);
}

orth_err
ldap_dir_delete(struct ldap_dir *d, const char *dn, char *err, size_t errlen)
{
	int rc = ldap_delete_ext_s(d->ld, dn, NULL, NULL);

	if (rc != LDAP_SUCCESS)
		say(err, errlen, dn, rc);
	return map_ldap(rc);
}

orth_err
ldap_dir_add_value(struct ldap_dir *d, const char *dn, const char *attr, const void *val,
		   size_t len, char *err, size_t errlen)
{
	struct berval bv = {len, (char *)(uintptr_t)val}, *bvp[2] = {&bv, NULL};
	LDAPMod m = {LDAP_MOD_ADD | LDAP_MOD_BVALUES, (char *)(uintptr_t)attr, {NULL}};
	LDAPMod *mods[2] = {&m, NULL};
	int rc;

	m.mod_bvalues = bvp;
	rc = ldap_modify_ext_s(d->ld, dn, mods, NULL, NULL);
	if (rc == LDAP_TYPE_OR_VALUE_EXISTS)
		rc = LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		say(err, errlen, dn, rc);
	return map_ldap(rc);
}

orth_err
ldap_dir_realm_ensure(struct ldap_dir *d, const char *realm_dn, const char *realm, char *err,
		      size_t errlen)
{
	static const struct ldap_value oc = {(const uint8_t *)"krbRealmContainer", 17};
	struct ldap_value cn = {(const uint8_t *)realm, strlen(realm)};
	struct ldap_attr attrs[2] = {{"objectClass", 1, &oc}, {"cn", 1, &cn}};
	struct berval bv[2], *bvp[2][2];
	LDAPMod m[2], *mods[3];
	int rc;

	for (size_t i = 0; i < 2; i++) {
		bv[i].bv_val = (char *)(uintptr_t)attrs[i].vals[0].data;
		bv[i].bv_len = attrs[i].vals[0].len;
		bvp[i][0] = &bv[i];
		bvp[i][1] = NULL;
		m[i].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
		m[i].mod_type = (char *)(uintptr_t)attrs[i].name;
		m[i].mod_bvalues = bvp[i];
		mods[i] = &m[i];
	}
	mods[2] = NULL;
	rc = ldap_add_ext_s(d->ld, realm_dn, mods, NULL, NULL);
	if (rc == LDAP_ALREADY_EXISTS)
		rc = LDAP_SUCCESS;
	if (rc != LDAP_SUCCESS)
		say(err, errlen, realm_dn, rc);
	return map_ldap(rc);
}

/* ---- content synchronisation ---- */

struct sync_state {
	const struct ldap_dir_sync_ops *ops;
	void *arg;
	struct arena a;
	orth_err err;      /* a callback's failure stops the sync */
	bool present;      /* a present phase was seen in this refresh */
};

/* msg's entry as a dentry in a (attributes only for full entries). */
static orth_err
dentry_from_msg(LDAP *ld, LDAPMessage *msg, bool attrs, struct arena *a,
		struct ldap_dentry *out)
{
	orth_err ret = ORTH_OK;
	char *dn = ldap_get_dn(ld, msg), *name = NULL;
	BerElement *ber = NULL;
	struct ldap_attr *at = NULL;
	size_t n = 0;

	CHECK(dn != NULL, ORTH_E_MALFORMED);
	memset(out, 0, sizeof(*out));
	out->dn = arena_strndup(a, dn, strlen(dn));
	CHECK(out->dn != NULL, ORTH_E_LIMIT);
	if (!attrs)
		goto cleanup;
	at = arena_alloc(a, (LDAP_MAX_ATTRS + 1) * sizeof(*at));
	CHECK(at != NULL, ORTH_E_LIMIT);
	for (name = ldap_first_attribute(ld, msg, &ber); name != NULL;
	     name = ldap_next_attribute(ld, msg, ber)) {
		struct berval **vals = ldap_get_values_len(ld, msg, name);
		size_t nv = (size_t)ldap_count_values_len(vals);
		struct ldap_value *v;
		/* Over the limit: one more attribute, which the decoder
		 * refuses (LDAP_MAX_ATTRS). */
		if (n > LDAP_MAX_ATTRS) {
			ldap_value_free_len(vals);
			ldap_memfree(name);
			continue;
		}
		v = arena_alloc(a, (nv + 1) * sizeof(*v));
		at[n].name = arena_strndup(a, name, strlen(name));
		ldap_memfree(name);
		name = NULL;
		if (v == NULL || at[n].name == NULL) {
			ldap_value_free_len(vals);
			CHECK(0, ORTH_E_LIMIT);
		}
		for (size_t j = 0; j < nv; j++) {
			v[j].data = arena_dup(a, vals[j]->bv_val, vals[j]->bv_len);
			v[j].len = vals[j]->bv_len;
			if (v[j].data == NULL && v[j].len > 0) {
				ldap_value_free_len(vals);
				CHECK(0, ORTH_E_LIMIT);
			}
		}
		ldap_value_free_len(vals);
		at[n].vals = v;
		at[n].nvals = nv;
		n++;
	}
	out->attrs = at;
	out->nattrs = n;
cleanup:
	if (name != NULL)
		ldap_memfree(name);
	if (ber != NULL)
		ber_free(ber, 0);
	if (dn != NULL)
		ldap_memfree(dn);
	return ret;
}

static int
sync_entry(ldap_sync_t *ls, LDAPMessage *msg, struct berval *uuid, ldap_sync_refresh_t phase)
{
	struct sync_state *st = ls->ls_private;
	struct ldap_dentry d;
	enum dir_sync_kind kind;
	orth_err ret;

	if (st->err != ORTH_OK)
		return LDAP_OTHER;
	if (uuid == NULL || uuid->bv_len != 16)
		return LDAP_SUCCESS; /* not an entry we can follow */
	switch (phase) {
	case LDAP_SYNC_CAPI_ADD:
	case LDAP_SYNC_CAPI_MODIFY:
		kind = DIR_SYNC_ENTRY;
		break;
	case LDAP_SYNC_CAPI_DELETE:
		kind = DIR_SYNC_GONE;
		break;
	case LDAP_SYNC_CAPI_PRESENT:
		kind = DIR_SYNC_PRESENT;
		st->present = true;
		break;
	default:
		return LDAP_SUCCESS;
	}
	ret = dentry_from_msg(ls->ls_ld, msg, kind == DIR_SYNC_ENTRY, &st->a, &d);
	if (ret == ORTH_OK)
		ret = st->ops->change(st->arg, (const uint8_t *)uuid->bv_val, kind, &d);
	/* Applied: its memory is free again.  A refresh is one batch of
	 * any number of entries (a full load of 10^5), not one arena. */
	arena_reset(&st->a);
	st->err = ret;
	return ret == ORTH_OK ? LDAP_SUCCESS : LDAP_OTHER;
}

static int
sync_reference(ldap_sync_t *ls, LDAPMessage *msg)
{
	(void)ls;
	(void)msg;
	return LDAP_SUCCESS; /* referrals are not followed */
}

static int
sync_intermediate(ldap_sync_t *ls, LDAPMessage *msg, BerVarray uuids, ldap_sync_refresh_t phase)
{
	struct sync_state *st = ls->ls_private;
	orth_err ret = ORTH_OK;
	size_t n = 0;
	uint8_t(*set)[16] = NULL;

	(void)msg;
	if (st->err != ORTH_OK)
		return LDAP_OTHER;
	if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET || phase == LDAP_SYNC_CAPI_DELETES_IDSET) {
		for (n = 0; uuids != NULL && uuids[n].bv_val != NULL; n++)
			;
		set = arena_alloc(&st->a, (n + 1) * 16);
		if (set == NULL) {
			ret = ORTH_E_LIMIT;
		} else {
			size_t k = 0;
			for (size_t i = 0; i < n; i++)
				if (uuids[i].bv_len == 16)
					memcpy(set[k++], uuids[i].bv_val, 16);
			if (phase == LDAP_SYNC_CAPI_PRESENTS_IDSET)
				st->present = true;
			ret = st->ops->uuid_set(st->arg, (const uint8_t(*)[16])set, k,
						phase == LDAP_SYNC_CAPI_DELETES_IDSET);
		}
		arena_reset(&st->a);
	} else if (phase == LDAP_SYNC_CAPI_PRESENTS) {
		st->present = true;
	} else if (phase == LDAP_SYNC_CAPI_DONE) {
		ret = st->ops->refresh_done(st->arg, st->present);
		st->present = false;
	}
	st->err = ret;
	return ret == ORTH_OK ? LDAP_SUCCESS : LDAP_OTHER;
}

static int
sync_result(ldap_sync_t *ls, LDAPMessage *msg, int refresh_deletes)
{
	(void)ls;
	(void)msg;
	(void)refresh_deletes;
	/* In refreshAndPersist the server ends the search only to go away
	 * (or to ask for a reload): ldap_sync_poll then returns, and the
	 * caller reconnects. */
	return LDAP_SUCCESS;
}

/* A read of the root DSE within the timeout: ORTH_E_NETWORK if none. */
static orth_err
heartbeat(struct ldap_dir *d)
{
	static char *attrs[] = {"1.1", NULL};
	struct timeval tv = {(time_t)d->timeout, 0};
	LDAPMessage *res = NULL;
	int rc = ldap_search_ext_s(d->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
				   NULL, NULL, &tv, 1, &res);

	if (res != NULL)
		ldap_msgfree(res);
	if (rc != LDAP_SUCCESS)
		why_set(d, "heartbeat", rc);
	return rc == LDAP_SUCCESS ? ORTH_OK : ORTH_E_NETWORK;
}

orth_err
ldap_dir_sync(struct ldap_dir *d, const char *base, const uint8_t *cookie, size_t cookie_len,
	      const struct ldap_dir_sync_ops *ops, void *arg, int64_t max_secs,
	      volatile const bool *stop)
{
	orth_err ret = ORTH_OK;
	ldap_sync_t ls;
	struct sync_state st;
	static char *attrs[] = {"*", "modifyTimestamp", NULL};
	time_t last, begin;
	int rc;

	memset(&st, 0, sizeof(st));
	st.ops = ops;
	st.arg = arg;
	TRY(arena_init(&st.a, SYNC_ARENA));
	ldap_sync_initialize(&ls);
	ls.ls_base = (char *)(uintptr_t)base;
	ls.ls_scope = LDAP_SCOPE_SUBTREE;
	ls.ls_filter = "(|(objectClass=krbPrincipalAux)(objectClass=krbPrincipal)"
		       "(objectClass=krbPwdPolicy))";
	ls.ls_attrs = attrs;
	ls.ls_timeout = 1; /* seconds a poll waits: *stop is looked at between */
	ls.ls_search_entry = sync_entry;
	ls.ls_search_reference = sync_reference;
	ls.ls_intermediate = sync_intermediate;
	ls.ls_search_result = sync_result;
	ls.ls_private = &st;
	ls.ls_ld = d->ld;
	if (cookie != NULL && cookie_len > 0) {
		/* libldap replaces it in place (ber_bvreplace) copying the
		 * new value's terminating NUL: room for one as its own
		 * ber_dupbv would leave. */
		ls.ls_cookie.bv_val = ber_memalloc(cookie_len + 1);
		CHECK(ls.ls_cookie.bv_val != NULL, ORTH_E_NOMEM);
		memcpy(ls.ls_cookie.bv_val, cookie, cookie_len);
		ls.ls_cookie.bv_val[cookie_len] = '\0';
		ls.ls_cookie.bv_len = cookie_len;
	}
	d->why[0] = '\0';
	rc = ldap_sync_init(&ls, LDAP_SYNC_REFRESH_AND_PERSIST);
	if (rc != LDAP_SUCCESS && rc != LDAP_SYNC_REFRESH_REQUIRED)
		why_set(d, "search", rc);
	CHECK(rc != LDAP_SYNC_REFRESH_REQUIRED, ORTH_E_EXPIRED);
	CHECK(rc == LDAP_SUCCESS, map_ldap(rc) == ORTH_E_INTERNAL ? ORTH_E_NETWORK : map_ldap(rc));
	last = begin = time(NULL);
	while (!*stop) {
		if (max_secs > 0 && time(NULL) - begin >= max_secs) {
			ret = ORTH_E_TIMEOUT;
			goto cleanup;
		}
		rc = ldap_sync_poll(&ls);
		TRY(st.err);
		if (rc == LDAP_SYNC_REFRESH_REQUIRED) {
			ret = ORTH_E_EXPIRED;
			goto cleanup;
		}
		if (rc != LDAP_SUCCESS) {
			why_set(d, "search", rc);
			ret = map_ldap(rc) == ORTH_E_PERM ? ORTH_E_PERM : ORTH_E_NETWORK;
			goto cleanup;
		}
		TRY(ops->batch_end(arg, (const uint8_t *)ls.ls_cookie.bv_val, ls.ls_cookie.bv_len));
		arena_reset(&st.a);
		/* A hung server (stopped, or its disk stuck) keeps the TCP
		 * connection up and simply sends nothing, which a persist
		 * phase cannot tell from a quiet directory: ask it something
		 * now and then, and give it up when it does not answer in
		 * time. */
		if (time(NULL) - last >= LDAP_DIR_HEARTBEAT) {
			TRY(heartbeat(d));
			last = time(NULL);
		}
	}
cleanup:
	/* ldap_sync_destroy frees the cookie (and what it points to), but
	 * must not unbind our connection nor free our strings: detach them.
	 * The caller closes the connection, which ends the search. */
	ls.ls_ld = NULL;
	ls.ls_base = NULL;
	ls.ls_filter = NULL;
	ls.ls_attrs = NULL;
	ldap_sync_destroy(&ls, 0);
	arena_free(&st.a);
	return ret;
}
