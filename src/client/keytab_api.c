/*
 * keytab_api.c - include/orthrus/keytab.h over keytab.h: a handle is the
 * file's name; a walk reads the whole keytab and gives its entries with
 * their names in the public form (orthrus/base.h).
 */
#include "orthrus/keytab.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client_int.h"
#include "proto/encdata.h"
#include "proto/krb5_const.h"
#include "proto/pname.h"

#define KT_API_ARENA (64u * 1024)

struct orthrus_keytab {
	char *path;
};

struct orthrus_keytab_entry {
	struct orthrus_principal princ;
	uint32_t timestamp;
	uint32_t kvno;
	int32_t enctype;
	uint8_t *key;      /* secret, wiped on free */
	size_t key_len;
};

struct orthrus_keytab_iter {
	struct orthrus_keytab_entry *entries;
	size_t n;
	size_t next;
};

orth_err
orthrus_keytab_resolve(struct orthrus_context *ctx, const char *name, struct orthrus_keytab **out)
{
	orth_err ret = ORTH_OK;
	struct orthrus_keytab *kt = NULL;

	if (name == NULL && ctx == NULL)
		return ORTH_E_USAGE;
	kt = calloc(1, sizeof(*kt));
	CHECK(kt != NULL, ORTH_E_NOMEM);
	kt->path = strdup(client_keytab_path(ctx, name));
	CHECK(kt->path != NULL, ORTH_E_NOMEM);
	*out = kt;
	kt = NULL;
cleanup:
	orthrus_keytab_close(kt);
	return client_api_fail(ctx, ret);
}

void
orthrus_keytab_close(struct orthrus_keytab *kt)
{
	if (kt == NULL)
		return;
	free(kt->path);
	free(kt);
}

const char *
orthrus_keytab_path(const struct orthrus_keytab *kt)
{
	return kt->path;
}

/* Fill e from its parts (the principal and key copied). */
static orth_err
entry_fill(struct orthrus_keytab_entry *e, const struct ccache_principal *p, uint32_t timestamp,
	   uint32_t kvno, int32_t enctype, const uint8_t *key, size_t key_len)
{
	orth_err ret;

	memset(e, 0, sizeof(*e));
	TRY(ccache_principal_copy(p, &e->princ.p));
	e->key = malloc(key_len ? key_len : 1);
	CHECK(e->key != NULL, ORTH_E_NOMEM);
	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	e->timestamp = timestamp;
	e->kvno = kvno;
	e->enctype = enctype;
cleanup:
	return ret;
}

/* Wipe and free what e holds (not e itself). */
static void
entry_clear(struct orthrus_keytab_entry *e)
{
	ccache_principal_free(&e->princ.p);
	if (e->key != NULL)
		crypto_wipe(e->key, e->key_len);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

orth_err
orthrus_keytab_iter_begin(struct orthrus_context *ctx, struct orthrus_keytab *kt,
			  struct orthrus_keytab_iter **it)
{
	orth_err ret;
	struct keytab k;
	struct ccache_principal cp;
	struct orthrus_keytab_iter *i = calloc(1, sizeof(*i));

	memset(&k, 0, sizeof(k));
	memset(&cp, 0, sizeof(cp));
	CHECK(i != NULL, ORTH_E_NOMEM);
	TRY(keytab_read(kt->path, &k));
	/* one more, zeroed: what iter_end clears after a failure */
	i->entries = calloc(k.n + 1, sizeof(*i->entries));
	CHECK(i->entries != NULL, ORTH_E_NOMEM);
	for (; i->n < k.n; i->n++) {
		const struct keytab_entry *e = &k.entries[i->n];
		TRY(client_princ_to_cc(&e->princ, &cp));
		TRY(entry_fill(&i->entries[i->n], &cp, e->timestamp, e->kvno, e->enctype, e->key,
			       e->key_len));
		ccache_principal_free(&cp);
	}
	*it = i;
	i = NULL;
cleanup:
	ccache_principal_free(&cp);
	keytab_free(&k);
	orthrus_keytab_iter_end(i);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_keytab_iter_next(struct orthrus_keytab_iter *it, const struct orthrus_keytab_entry **out)
{
	if (it->next >= it->n)
		return ORTH_E_NOTFOUND;
	*out = &it->entries[it->next++];
	return ORTH_OK;
}

void
orthrus_keytab_iter_end(struct orthrus_keytab_iter *it)
{
	if (it == NULL)
		return;
	/* an entry half filled by a failed begin is cleared too */
	for (size_t i = 0; it->entries != NULL && i <= it->n; i++)
		entry_clear(&it->entries[i]);
	free(it->entries);
	free(it);
}

orth_err
orthrus_keytab_add(struct orthrus_context *ctx, struct orthrus_keytab *kt,
		   const struct orthrus_keytab_entry *const *entries, size_t n)
{
	orth_err ret;
	struct arena a = {0};
	struct keytab_entry *ke = NULL;

	ke = calloc(n ? n : 1, sizeof(*ke));
	CHECK(ke != NULL, ORTH_E_NOMEM);
	TRY(arena_init(&a, KT_API_ARENA));
	for (size_t i = 0; i < n; i++) {
		TRY(client_princ_from_cc(&entries[i]->princ.p, &a, &ke[i].princ));
		ke[i].timestamp = entries[i]->timestamp;
		ke[i].kvno = entries[i]->kvno;
		ke[i].enctype = entries[i]->enctype;
		ke[i].key = entries[i]->key;
		ke[i].key_len = entries[i]->key_len;
	}
	TRY(keytab_append(kt->path, ke, n));
cleanup:
	free(ke);
	arena_free(&a);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_keytab_remove(struct orthrus_context *ctx, struct orthrus_keytab *kt,
		      const struct orthrus_principal *p, uint32_t kvno, size_t *removed_out)
{
	orth_err ret;
	struct arena a = {0};
	struct principal pp;

	TRY(arena_init(&a, KT_API_ARENA));
	if (p != NULL)
		TRY(client_princ_from_cc(&p->p, &a, &pp));
	TRY(keytab_remove(kt->path, p != NULL ? &pp : NULL, kvno, removed_out));
cleanup:
	arena_free(&a);
	return client_api_fail(ctx, ret);
}

orth_err
orthrus_keytab_ticket_decrypt(struct orthrus_context *ctx, struct orthrus_keytab *kt,
			      const uint8_t *ticket, size_t len)
{
	orth_err ret;
	struct arena a = {0};
	struct keytab k;
	Ticket tk;
	EncTicketPart etp;
	struct principal sp;
	struct crypto_key *key = NULL;
	bool tried = false;

	memset(&k, 0, sizeof(k));
	memset(&tk, 0, sizeof(tk));
	TRY(arena_init(&a, 256 * 1024));
	ret = der_decode(&asn1_Ticket, ticket, len, &a, &tk);
	if (ret == ORTH_OK)
		ret = pname_to_principal(&tk.sname, tk.realm, &a, &sp);
	CHECK(ret == ORTH_OK, ORTH_E_MALFORMED);
	TRY(keytab_read(kt->path, &k));
	/* RFC 4120 §5.3: the enc-part under the service key (usage 2) of its
	 * kvno and enctype decodes as EncTicketPart. */
	ret = ORTH_E_NOTFOUND;
	for (size_t i = 0; i < k.n && ret != ORTH_OK; i++) {
		const struct keytab_entry *e = &k.entries[i];
		if (!principal_equal(&e->princ, &sp) || e->enctype != tk.enc_part.etype ||
		    (tk.enc_part.kvno != NULL && *tk.enc_part.kvno != e->kvno))
			continue;
		crypto_key_free(key);
		key = NULL;
		if (crypto_key_new(e->enctype, e->key, e->key_len, &key) != ORTH_OK)
			continue;
		memset(&etp, 0, sizeof(etp));
		tried = true;
		ret = proto_unseal(key, KU_TICKET, &tk.enc_part, &asn1_EncTicketPart, &a, &etp);
	}
	if (ret != ORTH_OK)
		ret = tried ? ORTH_E_INTEGRITY : ORTH_E_NOTFOUND;
cleanup:
	crypto_key_free(key);
	keytab_free(&k);
	arena_free(&a);
	return client_api_fail(ctx, ret);
}

/* ---- entries ---- */

orth_err
orthrus_keytab_entry_new(const struct orthrus_principal *p, uint32_t kvno, int32_t enctype,
			 const uint8_t *key, size_t key_len, struct orthrus_keytab_entry **out)
{
	orth_err ret;
	struct orthrus_keytab_entry *e = calloc(1, sizeof(*e));

	CHECK(e != NULL, ORTH_E_NOMEM);
	CHECK(crypto_enctype_supported(enctype), ORTH_E_ENCTYPE);
	CHECK(key_len == crypto_enctype_keylen(enctype), ORTH_E_KEYSIZE);
	TRY(entry_fill(e, &p->p, (uint32_t)time(NULL), kvno, enctype, key, key_len));
	*out = e;
	e = NULL;
cleanup:
	orthrus_keytab_entry_free(e);
	return ret;
}

orth_err
orthrus_keytab_entry_from_password(const struct orthrus_principal *p, uint32_t kvno,
				   int32_t enctype, const char *password, const char *salt,
				   struct orthrus_keytab_entry **out)
{
	orth_err ret;
	struct arena a = {0};
	struct principal pp;
	uint8_t *dsalt = NULL;
	size_t dsalt_len = 0, klen = 0;
	struct crypto_key *key = NULL;
	const uint8_t *kb;

	TRY(crypto_init());
	CHECK(crypto_enctype_supported(enctype), ORTH_E_ENCTYPE);
	TRY(arena_init(&a, KT_API_ARENA));
	if (salt == NULL) {
		/* RFC 4120 §4: realm and components, no separators */
		TRY(client_princ_from_cc(&p->p, &a, &pp));
		TRY(principal_salt(&pp, &a, &dsalt, &dsalt_len));
	}
	TRY(crypto_string_to_key(enctype, password, strlen(password),
				 salt != NULL ? (const uint8_t *)salt : dsalt,
				 salt != NULL ? strlen(salt) : dsalt_len, NULL, 0, &key));
	kb = crypto_key_bytes(key, &klen);
	TRY(orthrus_keytab_entry_new(p, kvno, enctype, kb, klen, out));
cleanup:
	crypto_key_free(key);
	arena_free(&a);
	return ret;
}

void
orthrus_keytab_entry_free(struct orthrus_keytab_entry *e)
{
	if (e == NULL)
		return;
	entry_clear(e);
	free(e);
}

const struct orthrus_principal *
orthrus_keytab_entry_principal(const struct orthrus_keytab_entry *e)
{
	return &e->princ;
}

uint32_t
orthrus_keytab_entry_kvno(const struct orthrus_keytab_entry *e)
{
	return e->kvno;
}

int32_t
orthrus_keytab_entry_enctype(const struct orthrus_keytab_entry *e)
{
	return e->enctype;
}

uint32_t
orthrus_keytab_entry_timestamp(const struct orthrus_keytab_entry *e)
{
	return e->timestamp;
}

const uint8_t *
orthrus_keytab_entry_key(const struct orthrus_keytab_entry *e, size_t *len_out)
{
	*len_out = e->key_len;
	return e->key;
}

int
orthrus_keytab_entry_equal(const struct orthrus_keytab_entry *a,
			   const struct orthrus_keytab_entry *b)
{
	return a->kvno == b->kvno && a->enctype == b->enctype && a->key_len == b->key_len &&
	       ccache_principal_eq(&a->princ.p, &b->princ.p) &&
	       crypto_ct_equal(a->key, b->key, a->key_len);
}
