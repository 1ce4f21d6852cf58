/*
 * limits.h - every limit the DER interpreter enforces, in one place.
 *
 * Hitting one of these is ORTH_E_LIMIT: the input may be well-formed DER
 * but is bigger or deeper than any Kerberos peer sends.
 */
#ifndef ORTHRUS_ASN1_LIMITS_H
#define ORTHRUS_ASN1_LIMITS_H

/* Nesting of typed values (not TLVs).  The deepest path in krb5.asn1 is
 * TGS-REQ > KDC-REQ-BODY > additional-tickets > Ticket > PrincipalName >
 * name-string > KerberosString: 7.  The schema is not recursive, so this is
 * a second guard, not the only one. */
#define DER_MAX_DEPTH 32

/* Elements of any SEQUENCE OF (etypes, PA-DATA, addresses, authorization
 * data, name components, tickets of a KRB-CRED).  MIT sends fewer than 20
 * etypes and a handful of PA-DATA; 256 leaves room and bounds the
 * allocation to 256 * sizeof(element). */
#define DER_MAX_SEQ_OF 256

/* Octets of a long-form length: lengths up to 2^32 - 1. */
#define DER_MAX_LEN_OCTETS 4

/* Largest tag number accepted in high-tag-number form (3 octets).
 * Kerberos uses none above 30. */
#define DER_MAX_TAG_NUMBER ((1u << 21) - 1)

#endif
