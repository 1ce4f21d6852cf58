/*
 * ccache_keyring.h - KEYRING: credential caches in the Linux kernel keyring,
 * in MIT's layout (cc_keyring.c), read and written compatibly with MIT's
 * tools:
 *   KEYRING:anchor:collection:subsidiary   one cache
 *   KEYRING:anchor:collection              the collection's primary cache
 *   KEYRING:name                           anchor "legacy", collection name
 * anchor: persistent (collection: a uid, "" the effective one; the fixed
 * keyring "_krb" in that uid's persistent keyring), user, session, process,
 * thread, legacy (the session keyring).  A collection is the keyring
 * "_krb_<collection>" in the anchor (for persistent: "_krb"); its user key
 * "krb_ccache:primary" holds {u32 BE version 1, u32 BE length, name}.  A
 * cache is a keyring named by its subsidiary name in the collection, with
 * the user key "__krb5_princ__" (the default principal in FILE v4
 * encoding), optionally "__krb5_time_offsets__" (two s32 BE) and one key
 * per credential, described by the server's name, holding it in FILE v4
 * encoding (type big_key, else user; user for legacy caches).
 *
 * The back end moves whole FILE v4 images as ccache.c wants (ccache_int.h):
 * load assembles one from the keys, save splits one into keys (the cache
 * keyring is cleared and filled again).  Two credentials with one server
 * name replace each other, as in MIT's keyring caches.  Everything read
 * from the kernel is decoded as hostile like a file (bounded sizes).
 *
 * Errors: ORTH_E_NOTFOUND (no such cache), ORTH_E_USAGE (a bad name, an
 * unknown anchor; ccache_col_error() says why), ORTH_E_IO (the keyring
 * refused; errno kept), ORTH_E_LIMIT, ORTH_E_NOMEM, decode errors.
 */
#ifndef ORTHRUS_CLIENT_CCACHE_KEYRING_H
#define ORTHRUS_CLIENT_CCACHE_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/ccache_col.h"
#include "client/ccache_int.h"

/* Record why (ccache_col_error()) and return ret (ccache_dir.c). */
orth_err ccache_col_fail(orth_err ret, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Open a KEYRING: name (creating its collection as MIT's resolve does);
 * the handle's name is always the three-part form. */
orth_err ccache_keyring_open(const char *name, struct ccache **cc_out);

/* The back end (residual: "anchor:collection:subsidiary"). */
orth_err ccache_keyring_load(const char *residual, uint8_t **buf_out,
			     size_t *len_out);
orth_err ccache_keyring_save(const char *residual, const uint8_t *buf,
			     size_t len);
orth_err ccache_keyring_destroy(const char *residual);

/* Collections: the caches of defname's collection ("KEYRING:..."), the
 * primary first, then the others in the collection's order (MIT's). */
orth_err ccache_keyring_list(const char *defname, struct ccache_col *out);
/* Make cc (a KEYRING: cache) the primary of its collection. */
orth_err ccache_keyring_switch(const struct ccache *cc);
/* A new cache krb_ccache_XXXXXXXX in defname's collection. */
orth_err ccache_keyring_new_unique(const char *defname, struct ccache **cc_out);

#endif
