/*
 * ldap_replica.h - a KDC's local LMDB replica of the directory: a thread
 * that follows the directory by RFC 4533 content synchronisation
 * (refreshAndPersist, ldap_dir.h) and applies every change to the realm's
 * LMDB database, which the request path reads as it always does.
 *
 * Resuming.  The sync cookie is stored in the LMDB database in the same
 * transaction as the changes it covers (db.h "sync:" keys), with the
 * entryUUID -> name map that deletes need.  A restarted KDC sends its
 * cookie and receives only what changed since ("resuming from the sync
 * cookie" in the log); without a cookie the replica is cleared and loaded
 * whole ("full load").
 *
 * Failover.  The servers of ldap_servers are tried in order, each for at
 * most ldap_timeout, at every connection: after a loss (a second later)
 * and at every resumed refresh, so the KDC goes back to its preferred
 * server as soon as that answers again.  After a session that ended before
 * its refresh completed (except for want of the realm there), the next
 * round starts after that server: one that binds but refuses the sync
 * does not keep the KDC from the others.  While no server answers the KDC keeps serving from the
 * replica and says so in its log: at the loss, then every
 * LDAP_REPLICA_BEHIND_LOG seconds ("directory unreachable for N s:
 * serving from the replica as of TIME").
 *
 * A persistent search alone is not trusted to be complete: an OpenLDAP
 * provider that has just restarted and is itself still catching up from
 * its peers may not pass on to a persistent search what it receives from
 * them (seen with slapd 2.5 in tests/interop/ldap_replica.sh).  So every
 * LDAP_REPLICA_RESYNC seconds the session is started again from the
 * cookie on the same server: a resumed refresh that costs one search when
 * nothing was missed, and bounds how stale a replica can be while its
 * server answers.
 *
 * The KDC's own writes.  What the KDC writes to its replica (lockout
 * counts, kpasswd password changes) is also sent to the directory by a
 * second thread, in order, through its own connection (db.h "Forwarding
 * writes"): a failed pre-authentication as one more orthrusFailedAuth
 * value (unique by ldap_kdc_id, time and a sequence), so that failures
 * counted at the same moment by several KDCs all stay; a reset as the
 * removal of those values; a password change as the whole entry.  While
 * no server answers these writes wait in a queue of LDAP_REPLICA_QUEUE
 * (then they are dropped, logged); they are lost if the KDC stops
 * meanwhile (logged).  The replica shows the directory's view again at the
 * next change of that entry.
 *
 * Untrusted entries.  An entry that does not decode (ldap_entry.h), names
 * a principal of another realm, or has a key that does not unseal under
 * this realm's master key for that entry, is refused alone: logged with
 * its DN and the reason, not applied (a replicated copy from before
 * stays), and the sync goes on.
 */
#ifndef ORTHRUS_DB_LDAP_REPLICA_H
#define ORTHRUS_DB_LDAP_REPLICA_H

#include "base/err.h"
#include "db.h"
#include "ldap_config.h"

#define LDAP_REPLICA_BEHIND_LOG 10    /* seconds between "unreachable" lines */
#define LDAP_REPLICA_RETRY 1          /* seconds between connection rounds */
#define LDAP_REPLICA_RESYNC 5         /* seconds between resumed refreshes */
#define LDAP_REPLICA_QUEUE 1024       /* the KDC's writes waiting for the directory */

struct ldap_replica;

/*
 * Start following the directory of lc into db (open read-write; used by
 * the thread with its own transactions, so db's other users must not hold
 * a write transaction for long).  lc is copied.  *out: ldap_replica_stop.
 */
orth_err ldap_replica_start(struct db *db, const struct ldap_config *lc,
			    struct ldap_replica **out);
/* Stop the thread (within about a second) and free r; NULL is fine. */
void ldap_replica_stop(struct ldap_replica *r);

/*
 * Replace the content of db with the directory's, once (a full refresh of
 * lc's realm, applied as the sync thread applies it: hostile entries
 * refused and logged), and keep its cookie.  *count_out (may be NULL):
 * the entries applied.  Errors: ldap_dir_open's, ORTH_E_NETWORK when the
 * refresh did not complete, the database's.
 */
orth_err ldap_replica_load(struct db *db, const struct ldap_config *lc, size_t *count_out,
			   char *err, size_t errlen);

struct ldap_dir;
/*
 * Write one change of the local database (db.h "Forwarding writes") to
 * the directory through d, below lc->realm_dn: a principal whole, or as
 * its lockout event (why); a policy; a deletion (one already gone is
 * success).  seq numbers failure records.  Memory from a; on failure a
 * line in err.  Errors as ldap_dir.h's writes.
 */
orth_err ldap_change_write(struct ldap_dir *d, const struct ldap_config *lc,
			   enum db_write_reason why, const struct db_change *c, uint64_t *seq,
			   struct arena *a, char *err, size_t errlen);

#endif
