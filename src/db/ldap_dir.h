/*
 * ldap_dir.h - one connection to the directory (OpenLDAP's libldap; this
 * is the only file pair that includes <ldap.h>): connect with failover
 * among ldap_servers, bind, write entries, and run an RFC 4533 content
 * synchronisation (refreshAndPersist) handing each change to callbacks.
 *
 * Timeouts: every connection attempt, bind, StartTLS and write waits at
 * most lc->timeout seconds (LDAP_OPT_NETWORK_TIMEOUT and LDAP_OPT_TIMEOUT),
 * so a dead or hung server costs one timeout and the next server is
 * tried.  A connection is used by one thread at a time.
 */
#ifndef ORTHRUS_DB_LDAP_DIR_H
#define ORTHRUS_DB_LDAP_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "ldap_config.h"
#include "ldap_entry.h"

struct ldap_dir;

/*
 * Connect and bind to the first server of lc that answers, trying them in
 * order from index first (wrapping around).  *out: ldap_dir_close().
 * ORTH_E_NETWORK (none answered; err says what each did), ORTH_E_PERM
 * (bind refused), ORTH_E_CONFIG (no password for ldap_kdc_dn).
 */
orth_err ldap_dir_open(const struct ldap_config *lc, size_t first, struct ldap_dir **out,
		       char *err, size_t errlen);
void ldap_dir_close(struct ldap_dir *d);
/* The index in lc->servers of the server d is connected to. */
size_t ldap_dir_server(const struct ldap_dir *d);
/* What ended the last ldap_dir_sync on d in the server's (or libldap's)
 * words, "" when it ended for another reason (stop, timeout, a callback).
 * Valid until ldap_dir_close(d). */
const char *ldap_dir_why(const struct ldap_dir *d);

/*
 * Write e: add it, or when its DN exists, replace each of its attributes
 * (an attribute with no value is deleted).  ORTH_E_NETWORK when the
 * server is gone or did not answer in time (use another connection),
 * ORTH_E_PERM when refused, ORTH_E_INTERNAL otherwise (err says).
 */
orth_err ldap_dir_put(struct ldap_dir *d, const struct ldap_dentry *e, char *err,
		      size_t errlen);
/* Replace the attributes of the existing entry e->dn with e's (one
 * without values is deleted); ORTH_E_NOTFOUND when absent; else errors as
 * ldap_dir_put. */
orth_err ldap_dir_replace(struct ldap_dir *d, const struct ldap_dentry *e, char *err,
			  size_t errlen);
/* Delete dn; ORTH_E_NOTFOUND when absent; else errors as ldap_dir_put. */
orth_err ldap_dir_delete(struct ldap_dir *d, const char *dn, char *err, size_t errlen);
/* Add one value to an attribute of dn (a failure record); an existing
 * equal value is success.  Errors as ldap_dir_put. */
orth_err ldap_dir_add_value(struct ldap_dir *d, const char *dn, const char *attr,
			    const void *val, size_t len, char *err, size_t errlen);
/* Create the realm container realm_dn ("cn=<realm>,<container>", a
 * krbRealmContainer) when missing. */
orth_err ldap_dir_realm_ensure(struct ldap_dir *d, const char *realm_dn, const char *realm,
			       char *err, size_t errlen);

/* What the sync hands over (callbacks return ORTH_OK to go on). */
enum dir_sync_kind {
	DIR_SYNC_ENTRY,     /* added or changed: d is the whole entry */
	DIR_SYNC_GONE,      /* deleted: d->dn only, no attributes */
	DIR_SYNC_PRESENT,   /* unchanged since the cookie: d->dn only */
};
struct ldap_dir_sync_ops {
	orth_err (*change)(void *arg, const uint8_t uuid[16], enum dir_sync_kind kind,
			   const struct ldap_dentry *d);
	/* A set of UUIDs deleted (gone true) or present (gone false). */
	orth_err (*uuid_set)(void *arg, const uint8_t (*uuids)[16], size_t n, bool gone);
	/* The refresh is complete; present: it had a present phase (entries
	 * not named since the refresh began are gone). */
	orth_err (*refresh_done)(void *arg, bool present);
	/* After each batch of messages: the cookie to keep (may be empty),
	 * and whether anything was handed over since the last call. */
	orth_err (*batch_end)(void *arg, const uint8_t *cookie, size_t cookie_len);
};

/*
 * Run a refreshAndPersist search of base (principals and policies) from
 * cookie (NULL/0: a full refresh), until *stop becomes true (checked at
 * least every second: ORTH_OK), the server goes away (ORTH_E_NETWORK) or
 * a callback fails (its error).  Every LDAP_DIR_HEARTBEAT seconds the
 * server must answer a read of its root DSE within the timeout, else it
 * is taken as hung (ORTH_E_NETWORK).  ORTH_E_EXPIRED: the server wants a
 * full reload (RFC 4533 e-syncRefreshRequired: the cookie is too old for
 * it).  After max_secs (0: never) it ends
 * with ORTH_E_TIMEOUT, for the caller to resume from the cookie.
 * Entries' values live in an arena reset after each batch.
 */
#define LDAP_DIR_HEARTBEAT 3
orth_err ldap_dir_sync(struct ldap_dir *d, const char *base, const uint8_t *cookie,
		       size_t cookie_len, const struct ldap_dir_sync_ops *ops, void *arg,
		       int64_t max_secs, volatile const bool *stop);

#endif
