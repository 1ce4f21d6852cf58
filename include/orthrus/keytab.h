/*
 * orthrus/keytab.h - keytabs (MIT's FILE format, version 2) as MIT's
 * krb5_kt_* API shows them: open one by name, walk its entries, add and
 * remove entries, decrypt a ticket with it.
 *
 *   struct orthrus_keytab *kt;
 *   struct orthrus_keytab_iter *it;
 *   const struct orthrus_keytab_entry *e;
 *   if (orthrus_keytab_resolve(ctx, NULL, &kt) == 0 &&   // the default
 *       orthrus_keytab_iter_begin(ctx, kt, &it) == 0) {
 *       while (orthrus_keytab_iter_next(it, &e) == 0)
 *           printf("%u %s\n", orthrus_keytab_entry_kvno(e),
 *                  orthrus_enctype_name(orthrus_keytab_entry_enctype(e)));
 *       orthrus_keytab_iter_end(it);
 *   }
 *   orthrus_keytab_close(kt);
 *
 * A keytab is shared with other processes (MIT's ktutil, kadmin, klist)
 * as MIT shares it: reads under a read lock, changes in place under a
 * write lock; a missing keytab is created (mode 0600) by the first add.
 * Functions taking ctx accept NULL (then a name must be given, and no
 * message is kept for orthrus_error_message()).
 */
#ifndef ORTHRUS_KEYTAB_H
#define ORTHRUS_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include <orthrus/base.h>

#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif
#ifdef __cplusplus
extern "C" {
#endif

struct orthrus_keytab;        /* a keytab by name */
struct orthrus_keytab_iter;   /* a walk over its entries */
struct orthrus_keytab_entry;  /* one key of one principal */

/*
 * The keytab name: "FILE:/path", "WRFILE:/path" or a path (NULL: the
 * default, $KRB5_KTNAME, krb5.conf's default_keytab_name, else
 * FILE:/etc/krb5.keytab).  Nothing is read yet.  *out:
 * orthrus_keytab_close().  ORTHRUS_E_USAGE: name NULL without ctx.
 */
orth_err orthrus_keytab_resolve(struct orthrus_context *ctx, const char *name,
				struct orthrus_keytab **out);
/* NULL is fine. */
void orthrus_keytab_close(struct orthrus_keytab *kt);
/* The file ("/etc/krb5.keytab"); valid until orthrus_keytab_close(). */
const char *orthrus_keytab_path(const struct orthrus_keytab *kt);

/*
 * Walk the entries of the keytab as it is now (read whole), in file
 * order.  begin: ORTHRUS_E_NOTFOUND when the file does not exist,
 * ORTHRUS_E_MALFORMED / ORTHRUS_E_TRUNCATED when it does not parse.
 * next gives ORTHRUS_E_NOTFOUND after the last; *out is valid until
 * end.  *it: orthrus_keytab_iter_end() (NULL is fine; wipes the keys).
 */
orth_err orthrus_keytab_iter_begin(struct orthrus_context *ctx,
				   struct orthrus_keytab *kt,
				   struct orthrus_keytab_iter **it);
orth_err orthrus_keytab_iter_next(struct orthrus_keytab_iter *it,
				  const struct orthrus_keytab_entry **out);
void orthrus_keytab_iter_end(struct orthrus_keytab_iter *it);

/*
 * Append entries[n] in one write: a reader sees all of them or none (as
 * MIT commits an entry).  A missing keytab is created; one that does not
 * parse is refused (ORTHRUS_E_MALFORMED), not overwritten.
 */
orth_err orthrus_keytab_add(struct orthrus_context *ctx,
			    struct orthrus_keytab *kt,
			    const struct orthrus_keytab_entry *const *entries,
			    size_t n);
/* Remove the entries of p (NULL: every principal) with kvno (0: every
 * kvno), each wiped where it is; *removed_out (may be NULL) how many.
 * ORTHRUS_E_NOTFOUND when the file does not exist. */
orth_err orthrus_keytab_remove(struct orthrus_context *ctx,
			       struct orthrus_keytab *kt,
			       const struct orthrus_principal *p, uint32_t kvno,
			       size_t *removed_out);

/*
 * Decrypt a ticket (DER, e.g. orthrus_ticket's) with the keytab's key of
 * its server, kvno and enctype (RFC 4120 §5.3, key usage 2), as MIT's
 * kvno -k checks one.  ORTHRUS_E_MALFORMED: the ticket does not decode;
 * ORTHRUS_E_NOTFOUND: no such key in the keytab (or no keytab);
 * ORTHRUS_E_INTEGRITY: a key was there and the ticket does not decrypt
 * with it.
 */
orth_err orthrus_keytab_ticket_decrypt(struct orthrus_context *ctx,
				       struct orthrus_keytab *kt,
				       const uint8_t *ticket, size_t len);

/* ---- entries ---- */

/*
 * A new entry for p with the key bytes given (checked against the
 * enctype's key length: ORTHRUS_E_KEYSIZE; ORTHRUS_E_ENCTYPE when not
 * implemented), stamped now.  *out: orthrus_keytab_entry_free().
 */
orth_err orthrus_keytab_entry_new(const struct orthrus_principal *p,
				  uint32_t kvno, int32_t enctype,
				  const uint8_t *key, size_t key_len,
				  struct orthrus_keytab_entry **out);
/* The same with the key made from a password (RFC 3961 string-to-key)
 * and salt (NULL: the principal's default salt, RFC 4120 §4). */
orth_err orthrus_keytab_entry_from_password(const struct orthrus_principal *p,
					    uint32_t kvno, int32_t enctype,
					    const char *password,
					    const char *salt,
					    struct orthrus_keytab_entry **out);
/* Wipes the key; NULL is fine.  Only for entries made by the two above:
 * a walk's entries are the walk's. */
void orthrus_keytab_entry_free(struct orthrus_keytab_entry *e);

const struct orthrus_principal *
orthrus_keytab_entry_principal(const struct orthrus_keytab_entry *e);
uint32_t orthrus_keytab_entry_kvno(const struct orthrus_keytab_entry *e);
int32_t orthrus_keytab_entry_enctype(const struct orthrus_keytab_entry *e);
/* When the entry was written, seconds since 1970. */
uint32_t orthrus_keytab_entry_timestamp(const struct orthrus_keytab_entry *e);
/* The key bytes (secret). */
const uint8_t *orthrus_keytab_entry_key(const struct orthrus_keytab_entry *e,
					size_t *len_out);
/* Nonzero for the same principal, kvno, enctype and key (the keys
 * compared in constant time). */
int orthrus_keytab_entry_equal(const struct orthrus_keytab_entry *a,
			       const struct orthrus_keytab_entry *b);

#ifdef __cplusplus
}
#endif
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
