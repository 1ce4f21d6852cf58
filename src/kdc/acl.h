/*
 * acl.h - who may do what to whom: the subset of MIT's kadm5.acl(5) that
 * the KDC's services need.  Today one right is asked for: 'c', setting
 * another principal's password through kpasswd (RFC 3244 set-password).
 * A principal may always change its own password; no ACL is consulted.
 *
 * The file is the realm's acl_file (kdc.conf).  Syntax, as MIT's:
 *
 *     # comment (a line whose first non-blank is '#'); blank lines
 *     principal  permissions  [target  [restrictions]]
 *
 * fields separated by blanks or commas.  principal and target are names
 * in the realm when they name none; a component (or the realm) that is
 * `*` matches any one component, and a target component `*1`..`*9`
 * matches what the principal's first..ninth `*` matched (a
 * back-reference); a name of `*` alone matches every principal, and a
 * missing target is `*`.  permissions: letters of `admcilpse` (add,
 * delete, modify, change password, inquire, list, propagate, set key,
 * extract), lower case allowing and upper case disallowing, `x` or `*`
 * for all of `admcilps`.  The first line that matches both the principal
 * and the target decides; no matching line denies.
 *
 * Not supported (MIT has them): restrictions (they only bound add and
 * modify, which no service here performs: accepted and ignored), lines
 * continued with a trailing backslash.  A line that does not parse - an
 * unknown permission letter, a name that does not parse, a principal
 * without permissions - makes the whole file refused (FILE:LINE in the
 * message), as MIT's kadmind refuses to start.
 */
#ifndef ORTHRUS_KDC_ACL_H
#define ORTHRUS_KDC_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "proto/principal.h"

#define KDC_ACL_MAX_FILE (1024 * 1024)   /* bytes */
#define KDC_ACL_MAX_LINES 10000

/* Rights (MIT's ACL_* bits). */
enum {
	KDC_ACL_ADD = 0x01,
	KDC_ACL_DELETE = 0x02,
	KDC_ACL_MODIFY = 0x04,
	KDC_ACL_CHANGEPW = 0x08,
	KDC_ACL_INQUIRE = 0x20,
	KDC_ACL_LIST = 0x40,
	KDC_ACL_IPROP = 0x80,
	KDC_ACL_SETKEY = 0x100,
	KDC_ACL_EXTRACT = 0x200,
	KDC_ACL_ALL = 0x1ef,      /* x and *: admcilps, not e */
};

struct kdc_acl;

/*
 * Parse text (len bytes; name for messages) with names in realm.
 * *out: kdc_acl_free().  ORTH_E_CONFIG with "NAME:LINE: what" in err on a
 * line that does not parse, ORTH_E_LIMIT (too big, too many lines),
 * ORTH_E_NOMEM.
 */
orth_err kdc_acl_parse(const char *text, size_t len, const char *name, const char *realm,
		       struct kdc_acl **out, char *err, size_t errlen);

/* Read and parse the file at path; ORTH_E_NOTFOUND / ORTH_E_IO with a
 * message when it cannot be read, else as kdc_acl_parse(). */
orth_err kdc_acl_load(const char *path, const char *realm, struct kdc_acl **out, char *err,
		      size_t errlen);

/* NULL is fine. */
void kdc_acl_free(struct kdc_acl *acl);

/*
 * Does acl give client the right op (KDC_ACL_*) on target?  The first
 * line matching both decides.  A NULL acl gives nothing.  Thread-safe
 * (read only).
 */
bool kdc_acl_allows(const struct kdc_acl *acl, const struct principal *client,
		    const struct principal *target, unsigned op);

#endif
