/*
 * orthrus/ccache.h - credential caches as MIT's krb5_cc_* API shows them:
 * open one by name, read its principal and credentials, store, destroy;
 * the caches of a collection (DIR:, KEYRING:) and its primary.
 *
 *   struct orthrus_ccache *cc;
 *   struct orthrus_ccache_iter *it;
 *   const struct orthrus_cred *c;
 *   char *s;
 *   if (orthrus_ccache_resolve(ctx, NULL, &cc) == 0 &&   // the default
 *       orthrus_ccache_iter_begin(ctx, cc, &it) == 0) {
 *       while (orthrus_ccache_iter_next(it, &c) == 0)
 *           if (!orthrus_cred_is_config(c) &&
 *               orthrus_principal_unparse(orthrus_cred_server(c), &s) == 0) {
 *               puts(s);
 *               free(s);
 *           }
 *       orthrus_ccache_iter_end(it);
 *   }
 *   orthrus_ccache_close(cc);
 *
 * Names: "FILE:/path" (or a path), "DIR:dir" (the primary cache of the
 * collection in dir), "DIR::dir/tktX", "KEYRING:persistent:UID" ...,
 * "MEMORY:name" (in this process).  KCM: is refused with a reason.
 * A cache is shared with other processes (MIT's tools among them) as MIT
 * shares it: every read and change holds a lock on the file.
 *
 * Errors: a cache that does not exist is ORTHRUS_E_NOTFOUND, a corrupt
 * one ORTHRUS_E_MALFORMED / ORTHRUS_E_TRUNCATED, a refused access
 * ORTHRUS_E_PERM; functions taking ctx leave a message for
 * orthrus_error_message(ctx, e) (orthrus/client.h).
 */
#ifndef ORTHRUS_CCACHE_H
#define ORTHRUS_CCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <orthrus/base.h>

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif
#ifdef __cplusplus
extern "C" {
#endif

struct orthrus_ccache;          /* an open cache */
struct orthrus_ccache_iter;     /* a walk over a cache's credentials */
struct orthrus_collection_iter; /* a walk over a collection's caches */
struct orthrus_cred;            /* one credential of a cache */
struct orthrus_ticket;          /* orthrus/client.h */

/* ---- caches ---- */

/*
 * Open the cache name (NULL: the default, $KRB5CCNAME, krb5.conf's
 * default_ccache_name, else FILE:/tmp/krb5cc_<uid>).  Nothing is read or
 * created yet (a DIR: directory is, as MIT's resolve does).  *out:
 * orthrus_ccache_close().  Errors: ORTHRUS_E_USAGE (unknown type),
 * ORTHRUS_E_CONFIG (a bad default_ccache_name), ORTHRUS_E_NOMEM.
 */
orth_err orthrus_ccache_resolve(struct orthrus_context *ctx, const char *name,
				struct orthrus_ccache **out);
/* NULL is fine. */
void orthrus_ccache_close(struct orthrus_ccache *cc);
/* The full name ("FILE:/tmp/krb5cc_1000", "DIR::/run/user/1000/tktAbc");
 * valid until orthrus_ccache_close(). */
const char *orthrus_ccache_name(const struct orthrus_ccache *cc);

/* The cache's default principal.  *out: orthrus_principal_free(). */
orth_err orthrus_ccache_principal(struct orthrus_context *ctx,
				  struct orthrus_ccache *cc,
				  struct orthrus_principal **out);
/* Create or empty the cache, with p as its principal (a new login: the
 * KDC time offset and configuration entries go too). */
orth_err orthrus_ccache_initialize(struct orthrus_context *ctx,
				   struct orthrus_ccache *cc,
				   const struct orthrus_principal *p);
/* Add a copy of c (from another cache's walk, say), as MIT's
 * krb5_cc_store_cred: an older one for the same names stays. */
orth_err orthrus_ccache_store(struct orthrus_context *ctx,
			      struct orthrus_ccache *cc,
			      const struct orthrus_cred *c);
/* Overwrite, then remove the cache; the handle stays open (it may be
 * initialized again).  ORTHRUS_E_NOTFOUND when there was none. */
orth_err orthrus_ccache_destroy(struct orthrus_context *ctx,
				struct orthrus_ccache *cc);
/*
 * The cache's TGT for its principal's realm (krbtgt/REALM@REALM), e.g.
 * the other party's ticket for orthrus_get_user2user_ticket().  *out:
 * orthrus_ticket_free().  ORTHRUS_E_NOTFOUND when it holds none.
 */
orth_err orthrus_ccache_tgt(struct orthrus_context *ctx,
			    struct orthrus_ccache *cc,
			    struct orthrus_ticket *out);

/*
 * Walk the credentials of a snapshot of the cache, in file order,
 * configuration entries included (orthrus_cred_is_config()).  next gives
 * ORTHRUS_E_NOTFOUND after the last; *out is valid until the next call or
 * end.  *it: orthrus_ccache_iter_end() (NULL is fine).
 */
orth_err orthrus_ccache_iter_begin(struct orthrus_context *ctx,
				   struct orthrus_ccache *cc,
				   struct orthrus_ccache_iter **it);
orth_err orthrus_ccache_iter_next(struct orthrus_ccache_iter *it,
				  const struct orthrus_cred **out);
void orthrus_ccache_iter_end(struct orthrus_ccache_iter *it);

/* ---- collections (MIT's krb5_cccol_*, krb5_cc_switch) ---- */

/* Nonzero when name (NULL: the default cache) is in a collection with a
 * primary that can be switched (DIR:, KEYRING:); FILE: and MEMORY: are
 * collections of one. */
int orthrus_ccache_supports_switch(struct orthrus_context *ctx,
				   const char *name);
/*
 * Walk the caches of the collection name (NULL: the default cache's)
 * belongs to, the primary first, as MIT's klist -l: the caches that
 * exist.  next gives an open cache (the caller's: orthrus_ccache_close())
 * or ORTHRUS_E_NOTFOUND after the last.  *it:
 * orthrus_collection_iter_end() (NULL is fine).
 */
orth_err orthrus_collection_iter_begin(struct orthrus_context *ctx,
				       const char *name,
				       struct orthrus_collection_iter **it);
orth_err orthrus_collection_iter_next(struct orthrus_collection_iter *it,
				      struct orthrus_ccache **out);
void orthrus_collection_iter_end(struct orthrus_collection_iter *it);
/* The first cache of name's collection (NULL: the default cache's) whose
 * principal is p (MIT's krb5_cc_cache_match).  ORTHRUS_E_NOTFOUND when
 * none.  *out: orthrus_ccache_close(). */
orth_err orthrus_ccache_match(struct orthrus_context *ctx, const char *name,
			      const struct orthrus_principal *p,
			      struct orthrus_ccache **out);
/* A new empty cache in name's collection (NULL: the default cache's), as
 * MIT's krb5_cc_new_unique; ORTHRUS_E_USAGE when it is no collection
 * (orthrus_ccache_supports_switch()).  *out: orthrus_ccache_close(). */
orth_err orthrus_ccache_new_unique(struct orthrus_context *ctx,
				   const char *name,
				   struct orthrus_ccache **out);
/* Make cc the primary cache of its collection (MIT's krb5_cc_switch);
 * for a FILE: or MEMORY: cache nothing to do. */
orth_err orthrus_ccache_switch(struct orthrus_context *ctx,
			       struct orthrus_ccache *cc);

/* ---- a credential (MIT's krb5_creds), valid while its walk is ---- */

/* Times in seconds since 1970 (RFC 4120 §5.3); 0: not set. */
struct orthrus_cred_times {
	int64_t authtime, starttime, endtime, renew_till;
};

/* The client and server names; valid while c is. */
const struct orthrus_principal *orthrus_cred_client(const struct orthrus_cred *c);
const struct orthrus_principal *orthrus_cred_server(const struct orthrus_cred *c);
void orthrus_cred_times(const struct orthrus_cred *c,
			struct orthrus_cred_times *out);
/* TicketFlags (orthrus_ticket_flags_format()). */
uint32_t orthrus_cred_flags(const struct orthrus_cred *c);
/* The enctype of the session key. */
int32_t orthrus_cred_session_enctype(const struct orthrus_cred *c);
/* The ticket (DER), or a configuration entry's value. */
const uint8_t *orthrus_cred_ticket(const struct orthrus_cred *c,
				   size_t *len_out);
/*
 * From the ticket itself (not encrypted): the enctype and kvno of its
 * encrypted part and the server it names (*server_out malloc'd: free();
 * may be NULL), which may differ from orthrus_cred_server() after a
 * referral.  ORTHRUS_E_MALFORMED when it does not decode (a configuration
 * entry).
 */
orth_err orthrus_cred_ticket_info(const struct orthrus_cred *c,
				  int32_t *enctype_out, uint32_t *kvno_out,
				  char **server_out);
/* Nonzero for a configuration entry (server krb5_ccache_conf_data/KEY
 * [/PRINCIPAL]@X-CACHECONF:, as MIT's krb5_cc_set_config writes them). */
int orthrus_cred_is_config(const struct orthrus_cred *c);
/* The addresses the ticket is bound to (RFC 4120 §7.5.3 types), and the
 * authorization data elements the client submitted: count, and element i
 * (its type in *type_out, its bytes, NULL when i is out of range). */
size_t orthrus_cred_address_count(const struct orthrus_cred *c);
const uint8_t *orthrus_cred_address(const struct orthrus_cred *c, size_t i,
				    int32_t *type_out, size_t *len_out);
size_t orthrus_cred_authdata_count(const struct orthrus_cred *c);
const uint8_t *orthrus_cred_authdata(const struct orthrus_cred *c, size_t i,
				     int32_t *type_out, size_t *len_out);

#ifdef __cplusplus
}
#endif
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
