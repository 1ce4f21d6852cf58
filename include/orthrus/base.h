/*
 * orthrus/base.h - what the other headers of liborthrus share: error codes,
 * principal names, enctype names, ticket flags and durations.
 *
 *   struct orthrus_principal *p;
 *   char *s;
 *   if (orthrus_principal_parse(ctx, "host/www.example.org", &p) == 0 &&
 *       orthrus_principal_unparse(p, &s) == 0) {
 *       puts(s);                      // host/www.example.org@EXAMPLE.ORG
 *       free(s);
 *   }
 *   orthrus_principal_free(p);
 *
 * Errors are orth_err values: 0 (ORTHRUS_OK) is success, the codes below
 * say what failed; a refusal from a KDC is ORTHRUS_E_KRB(its RFC 4120
 * §7.5.9 code).  orthrus_error_message() (orthrus/client.h) makes a line
 * of any of them.
 */
#ifndef ORTHRUS_BASE_H
#define ORTHRUS_BASE_H

#include <stddef.h>
#include <stdint.h>

/* Every function declared in this header is the API of liborthrus.so,
 * which hides all other symbols: the push below exports them. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif
#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t orth_err;

/* The error codes (the library's own numbers; they do not change). */
enum {
	ORTHRUS_OK = 0,
	ORTHRUS_E_MALFORMED = 1,   /* bytes (a file, a ticket) do not parse */
	ORTHRUS_E_TRUNCATED = 2,   /* input ended early */
	ORTHRUS_E_LIMIT = 4,       /* a size or count cap exceeded */
	ORTHRUS_E_RANGE = 5,       /* a number or time out of range */
	ORTHRUS_E_BADNAME = 6,     /* a principal name does not parse */
	ORTHRUS_E_USAGE = 7,       /* a bad argument (unknown cache type ...) */
	ORTHRUS_E_CONFIG = 8,      /* krb5.conf or a value of it is wrong */
	ORTHRUS_E_INTEGRITY = 20,  /* a checksum fails: tampered, or wrong key */
	ORTHRUS_E_ENCTYPE = 21,    /* an unsupported enctype */
	ORTHRUS_E_KEYSIZE = 23,    /* a key of the wrong length */
	ORTHRUS_E_NOTFOUND = 40,   /* no such cache, keytab, entry or ticket */
	ORTHRUS_E_EXISTS = 41,     /* already there */
	ORTHRUS_E_EXPIRED = 61,    /* a ticket or password expired */
	ORTHRUS_E_SKEW = 62,       /* clocks too far apart */
	ORTHRUS_E_NOMEM = 80,
	ORTHRUS_E_IO = 81,         /* a system call failed */
	ORTHRUS_E_NOSPACE = 82,    /* disk full */
	ORTHRUS_E_INTERNAL = 83,
	ORTHRUS_E_TIMEOUT = 84,    /* no KDC answered in time */
	ORTHRUS_E_NETWORK = 85,    /* no KDC could be reached */
	ORTHRUS_E_PERM = 100,      /* the system refused access */
};
/* A KRB-ERROR from a KDC: 1000 + its code (1006 client unknown, 1024
 * pre-authentication failed, 1037 clock skew ...). */
#define ORTHRUS_E_KRB(code) ((orth_err)(1000 + (code)))

struct orthrus_context;

/* ---- principal names ---- */

/* A principal name: a realm and components.  Opaque; from
 * orthrus_principal_parse() or a credential, keytab entry ... */
struct orthrus_principal;

/*
 * Parse "comp/comp@REALM" with MIT's escapes (\/ \@ \\ \n \t \b \0).
 * Without "@REALM" the default realm of ctx is added (ctx NULL, or no
 * default realm: ORTHRUS_E_BADNAME).  *out: orthrus_principal_free().
 * Errors: ORTHRUS_E_BADNAME, ORTHRUS_E_LIMIT, ORTHRUS_E_NOMEM.
 */
orth_err orthrus_principal_parse(const struct orthrus_context *ctx,
				 const char *name,
				 struct orthrus_principal **out);
/* The text form with MIT's escapes; *out is malloc'd (free()). */
orth_err orthrus_principal_unparse(const struct orthrus_principal *p,
				   char **out);
/* NULL is fine. */
void orthrus_principal_free(struct orthrus_principal *p);
/* Nonzero for the same realm and components (name types are not
 * compared, as MIT's krb5_principal_compare). */
int orthrus_principal_equal(const struct orthrus_principal *a,
			    const struct orthrus_principal *b);
/* The realm, NUL-terminated; valid while p lives. */
const char *orthrus_principal_realm(const struct orthrus_principal *p);
/* The number of components, and component i (0-based) with its length
 * (it may hold NUL bytes; it is followed by one); NULL when i is out of
 * range.  Valid while p lives. */
size_t orthrus_principal_component_count(const struct orthrus_principal *p);
const char *orthrus_principal_component(const struct orthrus_principal *p,
					size_t i, size_t *len_out);

/* ---- enctypes (RFC 3961 numbers) ---- */

/* "aes256-cts-hmac-sha1-96" for 18 ...; NULL for one the library does not
 * implement. */
const char *orthrus_enctype_name(int32_t enctype);
/* The enctype of a name as krb5.conf writes them ("aes256-cts-hmac-sha1-96",
 * "aes256-cts", "18"); 0 when unknown or not implemented. */
int32_t orthrus_enctype_from_name(const char *name);
/* The key length of an enctype in bytes; 0 when not implemented. */
size_t orthrus_enctype_key_length(int32_t enctype);
/*
 * krb5.conf's permitted_enctypes, in its order, into out[max]; *n_out
 * how many.  Not set: 18 17 20 19, the enctypes the library implements.
 * ORTHRUS_E_LIMIT when max is too small.
 */
orth_err orthrus_permitted_enctypes(const struct orthrus_context *ctx,
				    int32_t *out, size_t max, size_t *n_out);

/* ---- ticket flags (RFC 4120 §5.3; bit 0, forwardable, is 0x40000000) ---- */

/*
 * The flags as MIT's klist -f prints them, one letter a flag in this
 * order: F forwardable, f forwarded, P proxiable, p proxy, D may-postdate,
 * d postdated, i invalid, R renewable, I initial, H hw-authent,
 * A pre-authent, T transit-policy-checked, O ok-as-delegate, a anonymous.
 * buf holds at least 16 bytes; it is NUL-terminated.
 */
void orthrus_ticket_flags_format(uint32_t flags, char *buf, size_t cap);

/* ---- durations ---- */

/*
 * A duration in seconds as krb5.conf and MIT's kinit -l write them:
 * "36000", "10h", "7d", "1d 2h 30m 10s", "10:00:00", "10:00".
 * ORTHRUS_E_CONFIG when s does not parse, is negative or over 100 years.
 */
orth_err orthrus_duration_parse(const char *s, int64_t *out);

#ifdef __cplusplus
}
#endif
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
