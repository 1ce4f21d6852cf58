/*
 * ccache_col.h - credential cache collections: several caches of one user,
 * one of them the primary (the one "the default cache" means), as MIT's
 * krb5_cccol_* and krb5_cc_switch see them.
 *
 * DIR: (MIT's cc_dir.c layout, read and written compatibly with MIT's tools
 * on the same directory):
 *   "DIR:dir"        the collection in directory dir; opening it opens the
 *                    primary cache.  dir is created (0700) when missing and
 *                    its parent exists; dir/primary holds one line naming
 *                    the primary file ("tkt" when the file is missing, and
 *                    then created so).
 *   "DIR::dir/tktX"  one cache of the collection (the file name must begin
 *                    with "tkt").  Its name is always given in this form.
 * Each cache is a FILE cache (ccache.h) and is read and written as one.
 *
 * KEYRING: (the Linux kernel keyring, MIT's layout) is ccache_keyring.h's;
 * its collections list, switch and grow here as DIR:'s do.  KCM: (a
 * credential cache daemon) is refused with a reason: whether a KCM daemon
 * answers at all, and that Orthrus does not speak its protocol.  FILE: and
 * MEMORY: caches are collections of one (MIT: switching to one is accepted
 * and changes nothing).
 *
 * Errors: ORTH_E_USAGE (bad name, KCM:), ORTH_E_NOTFOUND, ORTH_E_IO,
 * ORTH_E_NOMEM, ORTH_E_MALFORMED (a primary file or key that does not name
 * a cache); ccache_col_error() then says why in words.
 */
#ifndef ORTHRUS_CLIENT_CCACHE_COL_H
#define ORTHRUS_CLIENT_CCACHE_COL_H

#include <stdbool.h>
#include <stddef.h>

#include "client/ccache.h"

/* MIT's default kcm_socket. */
#define CCACHE_KCM_SOCKET "/var/run/.heim_org.h5l.kcm-socket"
/* The most caches a collection lists (the rest are ignored). */
#define CCACHE_COL_MAX 1024u

/*
 * Open a DIR:, KEYRING: or KCM: name (ccache_open() passes them here).
 * *cc_out: ccache_close().  On an error ccache_col_error() describes it.
 */
orth_err ccache_col_open(const char *name, struct ccache **cc_out);

/* A sentence on the last failure of this thread in this file ("" when the
 * last call succeeded); valid until the next call. */
const char *ccache_col_error(void);
void ccache_col_error_clear(void);

/* The names of the caches of a collection, the primary first. */
struct ccache_col {
	char **names;        /* malloc'd strings, n of them */
	size_t n;
};

/*
 * The caches of the collection defname belongs to, as MIT's klist -l
 * lists them: for "DIR:dir" the primary (when its file exists), then the
 * other tkt* files of dir in name order; for "KEYRING:anchor:collection"
 * the primary, then the others in the keyring's order; for "DIR::path",
 * a three-part KEYRING: name, FILE: and MEMORY: the cache itself when it
 * exists.  A missing directory is an empty collection.  *out:
 * ccache_col_free().
 */
orth_err ccache_col_list(const char *defname, struct ccache_col *out);
void ccache_col_free(struct ccache_col *c);

/* Whether defname is a collection with a switchable primary (DIR:,
 * KEYRING:). */
bool ccache_col_switchable(const char *defname);

/*
 * Make cc the primary cache of its collection (DIR:: writes dir/primary
 * atomically, 0600; KEYRING: its collection's primary key).  Other types:
 * nothing to do, ORTH_OK (as MIT).
 */
orth_err ccache_col_switch(struct ccache *cc);

/*
 * A new cache in defname's collection (DIR: dir/tktXXXXXX, created empty
 * and 0600 so the name is taken; KEYRING: an empty keyring
 * krb_ccache_XXXXXXXX).  ORTH_E_USAGE when defname is not a collection.
 * *cc_out: ccache_close().
 */
orth_err ccache_col_new_unique(const char *defname, struct ccache **cc_out);

/*
 * The first cache of defname's collection (primary first) whose default
 * principal is princ (realm and components; name types ignored, as MIT's
 * krb5_cc_cache_match).  ORTH_E_NOTFOUND when none.  *cc_out:
 * ccache_close().
 */
orth_err ccache_col_match(const char *defname,
			  const struct ccache_principal *princ,
			  struct ccache **cc_out);

#endif
