/*
 * privs.h - giving up root once the ports are bound.
 *
 * `orthrus kdc` started as root binds port 88 (and 464), opens what it
 * needs, then becomes the unprivileged user of [kdcdefaults] `user =`
 * (and `group =`) for good before it serves a single request: a flaw in
 * request handling then yields an unprivileged process, not root.
 *
 * Everything privileged is opened before the drop and used through open
 * descriptors afterwards: the sockets, the database (LMDB keeps its data
 * and lock files open; lockout counts and kpasswd writes go through them),
 * the master key (read into memory), the ACL (read into memory), the log
 * (stderr, or syslog's socket opened at once), the pidfile (kept open and
 * locked), the metrics socket and the service manager's notification
 * socket.  So these may stay root's, mode 0600: nothing is opened by path
 * after the drop.  (The one exception: the pidfile is unlinked at exit,
 * which needs write access to its directory; systemd's RuntimeDirectory
 * removes it anyway.)
 */
#ifndef ORTHRUS_KDC_PRIVS_H
#define ORTHRUS_KDC_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"

struct kdc_privs {
	uid_t uid;
	gid_t gid;
	char user[64];
	char group[64];
};

/*
 * Look up user (a name or a number) and group (a name or a number; NULL:
 * the user's primary group) into *out.  ORTH_E_NOTFOUND (no such user or
 * group), ORTH_E_CONFIG (root: that is no drop), with a message in err.
 */
orth_err kdc_privs_resolve(const char *user, const char *group, struct kdc_privs *out,
			   char *err, size_t errlen);

/*
 * Become p's uid and gid for good, from root: the supplementary groups
 * become p->gid alone; real, effective and saved gid then uid are set;
 * no capability is left in any set (effective, permitted, inheritable,
 * ambient, and the bounding set when CAP_SETPCAP allows, so nothing can
 * come back through an exec either) and no_new_privs is set.  Then it checks: every uid and
 * gid is p's, setuid(0) and setgid(0) fail, every capability set is
 * empty.  Call it from the process's only thread (the bounding set is
 * per thread; set*id is made process-wide by the C library, but start
 * threads after).  ORTH_E_PERM when not root; ORTH_E_INTERNAL when a
 * step or the check fails (err says which: the caller must exit, the
 * process is in no state to serve).
 */
orth_err kdc_privs_drop(const struct kdc_privs *p, char *err, size_t errlen);

/*
 * For a KDC started as its own unprivileged user with capabilities to
 * bind with (systemd's User= and AmbientCapabilities=CAP_NET_BIND_SERVICE):
 * once bound, give every one of them up: the ambient set cleared, the
 * bounding set emptied as far as CAP_SETPCAP allows, the inheritable,
 * permitted and effective sets emptied, no_new_privs set (so the bounding
 * set left can never be used).  Then checks the sets are empty.  Same
 * threading rule as kdc_privs_drop().  ORTH_E_INTERNAL with err.
 */
orth_err kdc_privs_shed(char *err, size_t errlen);

#endif
