/* service.c - include/orthrus/service.h over apreq.h. */
#include "orthrus/service.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/env.h"
#include "client/apreq.h"
#include "client/client_int.h"
#include "client/gsscksum.h"
#include "proto/krb5_const.h"

#define LOGIN_ARENA (256u * 1024)

/* What tells a keytab file from its previous version. */
struct kt_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	bool valid;
};

struct orthrus_acceptor {
	char *path;                    /* the keytab file */
	/* kt and stamp: verifiers hold lock for reading while they use the
	 * keys; a reload swaps them under it for writing.  reload makes one
	 * thread at a time look at the file. */
	pthread_rwlock_t lock;
	pthread_mutex_t reload;
	struct keytab kt;
	struct kt_stamp stamp;
	struct arena names;            /* the expected service */
	struct principal service;
	bool has_service;
	struct rcache *rc;
	bool has_cb;                   /* channel bindings set */
	uint8_t cb_hash[GSS_CB_LEN];   /* their RFC 4121 §4.1.1.2 MD5 */
	char err[256];
};

struct orthrus_login {
	struct arena a;                /* names, authz of this login */
	struct apreq_result r;
	uint32_t gss_flags;
	bool bound;
	const uint8_t *deleg;          /* in a */
	size_t deleg_len;
};

static void
stamp_get(const char *path, struct kt_stamp *st)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (stat(path, &sb) != 0)
		return;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->size = sb.st_size;
	st->mtime = sb.st_mtim;
	st->ctime = sb.st_ctim;
	st->valid = true;
}

static bool
stamp_eq(const struct kt_stamp *a, const struct kt_stamp *b)
{
	return a->valid == b->valid && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/*
 * Read the keytab again when the file is not the one read last.  The
 * stamp is taken before reading, so a change while reading is seen by the
 * next call.  A file that is gone or does not read keeps the old keys.
 */
static void
keytab_refresh(struct orthrus_acceptor *acc)
{
	struct kt_stamp now;
	struct keytab fresh, old;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	pthread_mutex_lock(&acc->reload);
	stamp_get(acc->path, &now);
	if (now.valid && !stamp_eq(&now, &acc->stamp) &&
	    keytab_read(acc->path, &fresh) == ORTH_OK) {
		pthread_rwlock_wrlock(&acc->lock);
		old = acc->kt;
		acc->kt = fresh;
		acc->stamp = now;
		pthread_rwlock_unlock(&acc->lock);
		keytab_free(&old);
	}
	pthread_mutex_unlock(&acc->reload);
}

/* A service name without a realm gets krb5.conf's default realm. */
static orth_err
service_parse(const char *service, struct arena *a, struct principal *out)
{
	struct client_conf conf;
	char err[256] = "";
	orth_err ret;

	if (strchr(service, '@') != NULL)
		return principal_parse(service, NULL, a, out);
	memset(&conf, 0, sizeof(conf));
	ret = client_conf_load(NULL, &conf, err, sizeof(err));
	if (ret == ORTH_OK)
		ret = conf.default_realm != NULL
			      ? principal_parse(service, conf.default_realm, a, out)
			      : ORTH_E_BADNAME;
	client_conf_free(&conf);
	return ret;
}

orth_err
orthrus_acceptor_open(const char *keytab, const char *service,
		      struct orthrus_acceptor **out)
{
	orth_err ret;
	struct orthrus_acceptor *acc = NULL;

	if (keytab == NULL)
		keytab = env_get("KRB5_KTNAME");  /* not when setuid */
	if (keytab == NULL || *keytab == '\0')
		keytab = "FILE:/etc/krb5.keytab";
	if (strncmp(keytab, "FILE:", 5) == 0)
		keytab += 5;
	acc = calloc(1, sizeof(*acc));
	if (acc == NULL)
		return ORTH_E_NOMEM;
	if (pthread_rwlock_init(&acc->lock, NULL) != 0) {
		free(acc);
		return ORTH_E_NOMEM;
	}
	if (pthread_mutex_init(&acc->reload, NULL) != 0) {
		pthread_rwlock_destroy(&acc->lock);
		free(acc);
		return ORTH_E_NOMEM;
	}
	acc->path = strdup(keytab);
	CHECK(acc->path != NULL, ORTH_E_NOMEM);
	TRY(crypto_init());
	stamp_get(acc->path, &acc->stamp);
	TRY(keytab_read(acc->path, &acc->kt));
	TRY(arena_init(&acc->names, 4096));
	if (service != NULL) {
		TRY(service_parse(service, &acc->names, &acc->service));
		acc->has_service = true;
	}
	TRY(rcache_open(NULL, &acc->rc, acc->err, sizeof(acc->err)));
	*out = acc;
	acc = NULL;
cleanup:
	orthrus_acceptor_close(acc);
	return ret;
}

void
orthrus_acceptor_close(struct orthrus_acceptor *acc)
{
	if (acc == NULL)
		return;
	rcache_free(acc->rc);
	keytab_free(&acc->kt);
	arena_free(&acc->names);
	free(acc->path);
	pthread_mutex_destroy(&acc->reload);
	pthread_rwlock_destroy(&acc->lock);
	crypto_wipe(acc->cb_hash, sizeof(acc->cb_hash));
	free(acc);
}

orth_err
orthrus_acceptor_set_channel_bindings(struct orthrus_acceptor *acc,
				      const struct orthrus_channel_bindings *cb)
{
	orth_err ret = ORTH_OK;

	acc->has_cb = false;
	if (cb != NULL) {
		ret = gss_bindings_hash(cb, acc->cb_hash);
		acc->has_cb = ret == ORTH_OK;
	}
	return ret;
}

/* MS-KILE KERB-AP-OPTIONS with CBT in the authenticator's authorization
 * data, directly or inside AD-IF-RELEVANT (where MIT looks too). */
static bool
cbt_required(const AuthorizationData *ad, struct arena *a, int depth)
{
	for (size_t i = 0; ad != NULL && i < ad->len; i++) {
		const AuthorizationData_elem *e = &ad->val[i];
		if (e->ad_type == GSS_AD_AP_OPTIONS && e->ad_data.len == 4) {
			const uint8_t *p = e->ad_data.data;
			uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
				     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
			if (v & GSS_AP_OPTIONS_CBT)
				return true;
		} else if (e->ad_type == KRB5_AD_IF_RELEVANT && depth < 2) {
			AuthorizationData inner;
			memset(&inner, 0, sizeof(inner));
			if (der_decode(&asn1_AuthorizationData, e->ad_data.data,
				       e->ad_data.len, a, &inner) == ORTH_OK &&
			    cbt_required(&inner, a, depth + 1))
				return true;
		}
	}
	return false;
}

/* RFC 4121 §4.1.1: the 0x8003 checksum of a verified login, and the
 * channel bindings decision (MIT's process_checksum). */
static orth_err
gss_checksum(struct orthrus_acceptor *acc, struct orthrus_login *l)
{
	const Checksum *ck = l->r.cksum;
	const uint8_t *cb = acc->has_cb ? acc->cb_hash : NULL;
	bool require = cbt_required(l->r.authn_authz, &l->a, 0);
	struct gss_cksum g;
	orth_err ret;

	if (ck == NULL || ck->cksumtype != GSS_CKSUMTYPE) {
		/* No GSS-API checksum: bindings cannot match. */
		if (require && cb != NULL) {
			snprintf(acc->err, sizeof(acc->err),
				 "the client requires channel bindings and sent none");
			return ORTH_E_KRB(KRB_AP_ERR_MODIFIED);
		}
		return ORTH_OK;
	}
	ret = gss_cksum_decode(ck->checksum.data, ck->checksum.len, &g);
	if (ret != ORTH_OK) {
		snprintf(acc->err, sizeof(acc->err),
			 "malformed GSS-API authenticator checksum (%s)",
			 orth_err_str(ret));
		return ret;
	}
	ret = gss_cksum_check(&g, cb, require, &l->bound);
	if (ret != ORTH_OK) {
		snprintf(acc->err, sizeof(acc->err), "%s",
			 require ? "the client requires channel bindings that match"
				 : "channel bindings do not match");
		return ret;
	}
	l->gss_flags = g.flags & GSS_FLAGS_FROM_INITIATOR;
	if (g.deleg != NULL) {
		l->gss_flags |= GSS_FLAG_DELEG;
		l->deleg = g.deleg;
		l->deleg_len = g.deleg_len;
	}
	return ORTH_OK;
}

orth_err
orthrus_acceptor_verify(struct orthrus_acceptor *acc, const uint8_t *req,
			size_t len, struct orthrus_login **out)
{
	orth_err ret;
	struct orthrus_login *l = NULL;
	struct apreq_verify_params p = {0};
	bool locked = false;

	l = calloc(1, sizeof(*l));
	CHECK(l != NULL, ORTH_E_NOMEM);
	TRY(arena_init(&l->a, LOGIN_ARENA));
	keytab_refresh(acc);
	pthread_rwlock_rdlock(&acc->lock);
	locked = true;
	p.keys = acc->kt.entries;
	p.nkeys = acc->kt.n;
	p.server = acc->has_service ? &acc->service : NULL;
	p.rcache = acc->rc;
	p.errbuf = acc->err;
	p.errcap = sizeof(acc->err);
	TRY(apreq_verify(&p, req, len, &l->a, &l->r));
	pthread_rwlock_unlock(&acc->lock);
	locked = false;
	TRY(gss_checksum(acc, l));
	*out = l;
	l = NULL;
cleanup:
	if (locked)
		pthread_rwlock_unlock(&acc->lock);
	orthrus_login_free(l);
	return ret;
}

orth_err
orthrus_acceptor_set_rcache(struct orthrus_acceptor *acc, const char *name)
{
	orth_err ret;
	struct rcache *rc = NULL;

	TRY(rcache_open(name, &rc, acc->err, sizeof(acc->err)));
	rcache_free(acc->rc);
	acc->rc = rc;
cleanup:
	return ret;
}

const char *
orthrus_acceptor_last_error(const struct orthrus_acceptor *acc)
{
	return acc->err;
}

const char *
orthrus_login_client(const struct orthrus_login *login)
{
	return login->r.client_name;
}

int
orthrus_login_mutual(const struct orthrus_login *login)
{
	return (login->r.ap_options & AP_OPT_MUTUAL_REQUIRED) != 0;
}

uint32_t
orthrus_login_gss_flags(const struct orthrus_login *login)
{
	return login->gss_flags;
}

int
orthrus_login_channel_bound(const struct orthrus_login *login)
{
	return login->bound;
}

void
orthrus_login_delegated(const struct orthrus_login *login,
			const uint8_t **bytes_out, size_t *len_out)
{
	*bytes_out = login->deleg;
	*len_out = login->deleg_len;
}

void
orthrus_login_key(const struct orthrus_login *login, int32_t *enctype_out,
		  const uint8_t **bytes_out, size_t *len_out)
{
	const struct crypto_key *k = login->r.subkey != NULL
					     ? login->r.subkey
					     : login->r.session_key;

	*enctype_out = crypto_key_enctype(k);
	*bytes_out = crypto_key_bytes(k, len_out);
}

orth_err
orthrus_login_aprep(struct orthrus_login *login, uint8_t **out, size_t *out_len)
{
	orth_err ret;
	uint8_t *rep, *copy;
	size_t rep_len;

	TRY(aprep_encode(&login->r, NULL, NULL, &login->a, &rep, &rep_len));
	copy = malloc(rep_len);
	CHECK(copy != NULL, ORTH_E_NOMEM);
	memcpy(copy, rep, rep_len);
	*out = copy;
	*out_len = rep_len;
cleanup:
	return ret;
}

void
orthrus_login_free(struct orthrus_login *login)
{
	if (login == NULL)
		return;
	apreq_result_free(&login->r);
	arena_free(&login->a);
	free(login);
}

const char *
orthrus_service_err_str(orth_err e)
{
	return apreq_err_str(e);
}
