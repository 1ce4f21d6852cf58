/*
 * principal.h - principal names: parse and unparse the text form of RFC 1964
 * §2.1.1, compare, and the RFC 4120 §4 default salt.
 *
 * Text form: components separated by '/', then '@' and the realm.  A '\'
 * escapes the next character: \/ \@ \\ stand for themselves, \n \t \b \0
 * for newline, tab, backspace and NUL.  Components may hold any byte
 * (including NUL), so each carries its length; data is also NUL-terminated
 * for convenience.
 */
#ifndef ORTHRUS_PROTO_PRINCIPAL_H
#define ORTHRUS_PROTO_PRINCIPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"

#define PRINCIPAL_MAX_COMPONENTS 10
#define PRINCIPAL_MAX_TEXT 1024   /* unparsed form, bytes */

struct principal_comp {
	char *data;    /* len bytes + a NUL */
	size_t len;
};

struct principal {
	int32_t name_type;           /* KRB5_NT_* (src/proto/krb5_const.h) */
	char *realm;                 /* NUL-terminated */
	size_t realm_len;
	size_t ncomp;                /* 1..PRINCIPAL_MAX_COMPONENTS */
	struct principal_comp *comp;
};

/*
 * Parse text.  A name without '@' gets default_realm (ORTH_E_BADNAME when
 * that is NULL).  name_type: KRB5_NT_SRV_INST for krbtgt/X, else
 * KRB5_NT_PRINCIPAL.  Everything *out points to is allocated in a.
 * ORTH_E_BADNAME: empty name or component, empty realm, unknown escape,
 * trailing '\', a second '@', too many components,
 * text longer than PRINCIPAL_MAX_TEXT; ORTH_E_LIMIT: arena full.
 */
orth_err principal_parse(const char *text, const char *default_realm,
			 struct arena *a, struct principal *out);

/*
 * The text form with escapes into buf (cap bytes, NUL-terminated), *len_out
 * (may be NULL) its length.  ORTH_E_LIMIT when it does not fit.
 */
orth_err principal_unparse(const struct principal *p, char *buf, size_t cap,
			   size_t *len_out);

/* Same name (components and realm; the name type is not compared). */
bool principal_equal(const struct principal *a, const struct principal *b);

/*
 * RFC 4120 §4: the default salt, realm || component1 || component2 ...
 * (no separators), into a.  *salt_out / *len_out set.
 */
orth_err principal_salt(const struct principal *p, struct arena *a,
			uint8_t **salt_out, size_t *len_out);

/* Build from a realm and already unescaped components (copied into a). */
orth_err principal_build(struct arena *a, const char *realm, int32_t name_type,
			 size_t ncomp, const char *const *comps,
			 struct principal *out);

#endif
