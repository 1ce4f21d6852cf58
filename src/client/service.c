/* service.c - include/orthrus/service.h over apreq.h. */
#include "orthrus/service.h"

#include <stdlib.h>
#include <string.h>

#include "client/apreq.h"
#include "proto/krb5_const.h"

#define LOGIN_ARENA (256u * 1024)

struct orthrus_acceptor {
	struct keytab kt;
	struct arena names;            /* the expected service */
	struct principal service;
	bool has_service;
	struct rcache *rc;
	char err[256];
};

struct orthrus_login {
	struct arena a;                /* names, authz of this login */
	struct apreq_result r;
};

orth_err
orthrus_acceptor_open(const char *keytab, const char *service,
		      struct orthrus_acceptor **out)
{
	orth_err ret;
	struct orthrus_acceptor *acc = NULL;

	if (keytab == NULL)
		keytab = getenv("KRB5_KTNAME");
	if (keytab == NULL || *keytab == '\0')
		keytab = "FILE:/etc/krb5.keytab";
	if (strncmp(keytab, "FILE:", 5) == 0)
		keytab += 5;
	acc = calloc(1, sizeof(*acc));
	CHECK(acc != NULL, ORTH_E_NOMEM);
	TRY(crypto_init());
	TRY(keytab_read(keytab, &acc->kt));
	TRY(arena_init(&acc->names, 4096));
	if (service != NULL) {
		TRY(principal_parse(service, NULL, &acc->names, &acc->service));
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
	free(acc);
}

orth_err
orthrus_acceptor_verify(struct orthrus_acceptor *acc, const uint8_t *req,
			size_t len, struct orthrus_login **out)
{
	orth_err ret;
	struct orthrus_login *l = NULL;
	struct apreq_verify_params p = {0};

	l = calloc(1, sizeof(*l));
	CHECK(l != NULL, ORTH_E_NOMEM);
	TRY(arena_init(&l->a, LOGIN_ARENA));
	p.keys = acc->kt.entries;
	p.nkeys = acc->kt.n;
	p.server = acc->has_service ? &acc->service : NULL;
	p.rcache = acc->rc;
	p.errbuf = acc->err;
	p.errcap = sizeof(acc->err);
	TRY(apreq_verify(&p, req, len, &l->a, &l->r));
	*out = l;
	l = NULL;
cleanup:
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
