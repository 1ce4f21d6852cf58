/*
 * krberr.h - KRB-ERROR (RFC 4120 §5.9.1) building, the one place where
 * internal errors map to Kerberos error codes, and the one table of those
 * codes' names and texts: the KDC's log, its metrics, `orthrus explain`
 * and the client tools all read it.
 */
#ifndef ORTHRUS_PROTO_KRBERR_H
#define ORTHRUS_PROTO_KRBERR_H

#include "asn1/asn1.h"

struct proto_error {
	int32_t code;                /* RFC 4120 §7.5.9 */
	const char *e_text;          /* short text for the wire, or NULL */
	const char *realm;           /* the KDC's realm (required) */
	const PrincipalName *sname;  /* required; krbtgt/REALM if unknown */
	const char *crealm;          /* optional */
	const PrincipalName *cname;  /* optional */
	const struct der_bytes *e_data; /* optional (METHOD-DATA, TYPED-DATA) */
	int64_t stime;
	int32_t susec;
};

/* Encode the KRB-ERROR described by e, appending to w. */
orth_err proto_krb_error_encode(const struct proto_error *e, struct arena *a,
				struct writer *w);

/*
 * The KRB-ERROR code for an internal error: ORTH_E_KRB(n) gives n; the
 * classes map to the nearest RFC code (malformed -> KRB_ERR_GENERIC,
 * integrity -> KRB_AP_ERR_BAD_INTEGRITY, skew -> KRB_AP_ERR_SKEW, replay
 * -> KRB_AP_ERR_REPEAT, enctype -> KDC_ERR_ETYPE_NOSUPP, ...).
 */
int32_t proto_err_to_krb(orth_err e);

/*
 * The codes a Kerberos error can be given in: a KRB-ERROR's error-code
 * (RFC 4120 §7.5.9, with the values MIT and IANA add), or a kpasswd
 * reply's result code (RFC 3244 §2).  The same number means different
 * things in each.
 */
enum proto_err_space { PROTO_ERR_KRB, PROTO_ERR_KPASSWD };

/*
 * The name of code in space, as the RFC spells it ("KDC_ERR_PREAUTH_FAILED",
 * "KRB5_KPASSWD_ACCESSDENIED"): what the log and the metrics print, so
 * that an administrator searches for the name, not a number.  NULL for a
 * code not in the table.
 */
const char *proto_err_name(enum proto_err_space space, int32_t code);
/*
 * A sentence for people ("Preauthentication failed"): MIT's wording, so
 * that scripts written against MIT's tools find the same words.  NULL for
 * a code not in the table.
 */
const char *proto_err_text(enum proto_err_space space, int32_t code);
/* The same for the KRB-ERROR space, the common case. */
const char *proto_krb_err_name(int32_t code);
const char *proto_krb_err_text(int32_t code);
/* The KRB-ERROR code named name ("KRB_AP_ERR_SKEW": 37); -1 when no
 * code has that name (reading a log back). */
int32_t proto_krb_err_code(const char *name);

/*
 * Any orth_err in words: the table's text for ORTH_E_KRB(n) when n is in
 * it, else orth_err_str().  Static, never NULL.
 */
const char *proto_err_str(orth_err e);

/* Kerberos time now: seconds and microseconds. */
void proto_now(int64_t *sec_out, int32_t *usec_out);

#endif
