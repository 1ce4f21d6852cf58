/*
 * pname.h - between the wire's PrincipalName + Realm (asn1) and the
 * principal of src/proto/principal.h (text form, db keys, salts).
 */
#ifndef ORTHRUS_PROTO_PNAME_H
#define ORTHRUS_PROTO_PNAME_H

#include <stdbool.h>

#include "asn1/asn1.h"
#include "proto/principal.h"

/*
 * View pn@realm as a struct principal (component strings are shared, not
 * copied; the component array comes from a).  ORTH_E_BADNAME for no
 * components or more than PRINCIPAL_MAX_COMPONENTS, or a NULL realm.
 */
orth_err pname_to_principal(const PrincipalName *pn, const char *realm,
			    struct arena *a, struct principal *out);

/* The reverse: *out's strings are shared with p, the array from a. */
orth_err pname_from_principal(const struct principal *p, struct arena *a,
			      PrincipalName *out);

/*
 * "name/inst@REALM" with RFC 1964 escapes into buf (cap bytes, NUL
 * terminated).  ORTH_E_LIMIT when it does not fit, ORTH_E_BADNAME as
 * above.
 */
orth_err pname_unparse(const PrincipalName *pn, const char *realm,
		       char *buf, size_t cap);

/* Same components (name types are not compared, as in RFC 4120 §6.2). */
bool pname_equal(const PrincipalName *a, const PrincipalName *b);

/* A two-component name (e.g. krbtgt/REALM); strings are shared. */
orth_err pname_build2(struct arena *a, int32_t name_type, const char *c1,
		      const char *c2, PrincipalName *out);

#endif
