/*
 * krberr.h - KRB-ERROR (RFC 4120 §5.9.1) building, and the one place where
 * internal errors map to Kerberos error codes.
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

/* Kerberos time now: seconds and microseconds. */
void proto_now(int64_t *sec_out, int32_t *usec_out);

#endif
