/*
 * asn1.h - DER encoding and decoding of the Kerberos messages, driven by
 * tables that tools/asn1gen.py derives at build time from src/asn1/krb5.asn1
 * (the RFC 4120 §5 module, the source of truth).  One interpreter encodes
 * and decodes every type.
 *
 * The generated header "krb5_asn1.h" (included below) declares, for each
 * ASN.1 type, a C type and a descriptor `extern const struct der_type
 * asn1_<CName>`.  The mapping is fixed so that code can be written against
 * it from the ASN.1 module alone:
 *
 *   names       ASN.1 `KDC-REQ-BODY` -> C `KDC_REQ_BODY`; field
 *               `enc-authorization-data` -> `enc_authorization_data`.
 *   INTEGER     Int32, Microseconds, and plain INTEGER -> int32_t;
 *               UInt32 -> uint32_t.
 *   strings     KerberosString, Realm (GeneralString) -> char *, NUL-
 *               terminated, arena-allocated; an embedded NUL is rejected.
 *   OCTET STRING -> struct der_bytes { uint8_t *data; size_t len; }.
 *   KerberosTime -> int64_t seconds since the Unix epoch (UTC).
 *   KerberosFlags and its aliases (TicketFlags, KDCOptions, APOptions)
 *               -> uint32_t, RFC bit 0 = most significant bit
 *               (see src/proto/krb5_const.h KRB5_FLAG()).
 *   SEQUENCE OF T -> struct { size_t len; T *val; } (a typedef when the
 *               type is named, e.g. METHOD_DATA, AuthorizationData).
 *               An anonymous element SEQUENCE is named <Type>_elem
 *               (LastReq_elem, AuthorizationData_elem).  An anonymous
 *               SEQUENCE OF in a field is `struct <Type>_<field>`
 *               (struct KDC_REQ_BODY_etype, struct PrincipalName_name_string),
 *               except that `SEQUENCE OF PA-DATA` reuses the identical
 *               named type METHOD_DATA (KDC_REQ.padata is METHOD_DATA *).
 *   BOOLEAN     bool (KERB-PA-PAC-REQUEST.include-pac).
 *   OPTIONAL    char * and pointers: NULL when absent; any other type
 *               becomes a pointer to it (int32_t *, uint32_t *, int64_t *,
 *               struct der_bytes *, EncryptionKey *, ...).
 *   [APPLICATION n] aliases: `AS-REQ ::= [APPLICATION 10] KDC-REQ` ->
 *               `typedef KDC_REQ AS_REQ;` with its own descriptor
 *               asn1_AS_REQ carrying the tag.  Decoding a type whose
 *               msg-type field must equal its APPLICATION tag (KDC-REQ,
 *               KDC-REP, AP-REQ, AP-REP, KRB-ERROR, KRB-SAFE, KRB-PRIV,
 *               KRB-CRED) checks it (ORTH_E_MALFORMED otherwise).
 *   raw bytes   KDC_REQ_BODY and Ticket have an extra first member
 *               `struct der_bytes _raw`: the decoder points it at the exact
 *               bytes of the whole TLV in the input (a checksum covers the
 *               body; a ccache stores the ticket as received).  The encoder
 *               ignores it, but for der_encode_raw().
 *
 * What the decoder accepts (strict DER; the few choices are documented at
 * the top of der.c) and its limits (src/asn1/limits.h): anything accepted
 * re-encodes to the same bytes.
 *
 * Decoded values live in the caller's arena; strings and OCTET STRINGs are
 * copied into it except _raw, which points into the input buffer (valid
 * while that buffer lives).
 */
#ifndef ORTHRUS_ASN1_H
#define ORTHRUS_ASN1_H

#include <stddef.h>
#include <stdint.h>

#include "../base/arena.h"
#include "../base/err.h"
#include "../base/writer.h"

struct der_bytes {
	uint8_t *data;
	size_t len;
};

struct der_type; /* a generated descriptor */

#include "krb5_asn1.h"

/*
 * Decode exactly len bytes (trailing bytes are an error) as type t into
 * *out (a zeroed C value of that type).  Errors: ORTH_E_MALFORMED,
 * ORTH_E_TRUNCATED, ORTH_E_TRAILING, ORTH_E_LIMIT (depth, count, arena),
 * ORTH_E_RANGE (integer, time).  On error *out is left partly filled
 * (arena memory): do not use it.
 */
orth_err der_decode(const struct der_type *t, const uint8_t *buf, size_t len,
		    struct arena *a, void *out);

/* Encode val as type t, appending to w. */
orth_err der_encode(const struct der_type *t, const void *val, struct writer *w);

/*
 * der_encode(), except that a value with a _raw member (KDC_REQ_BODY,
 * Ticket) whose data is set is written as those bytes, not encoded again:
 * for a caller that has just encoded that value itself (a FAST reply's
 * ticket, which the finished checksum covers: RFC 6113 §5.4.3).  The
 * caller vouches that _raw holds the value's DER.
 */
orth_err der_encode_raw(const struct der_type *t, const void *val, struct writer *w);

/* Encode val into a fresh arena buffer; *out_buf and *out_len set on success. */
orth_err der_encode_arena(const struct der_type *t, const void *val,
			  struct arena *a, uint8_t **out_buf, size_t *out_len);

/*
 * der_encode_arena() into a buffer with room around: *out_buf is an arena
 * allocation of head + *out_len + tail bytes, the encoding from head on
 * (to encrypt in place: confounder before, MAC after).  The head and tail
 * bytes are not zeroed.
 */
orth_err der_encode_arena_room(const struct der_type *t, const void *val, struct arena *a,
			       size_t head, size_t tail, uint8_t **out_buf, size_t *out_len);

/*
 * KerberosTime's text, "YYYYMMDDHHMMSSZ" (RFC 4120 §5.2.3; also LDAP's
 * GeneralizedTime as MIT's schema and OpenLDAP write it) <-> seconds since
 * the Unix epoch.  parse: exactly 15 bytes, a valid date; ORTH_E_RANGE
 * otherwise.  format: 15 bytes, no NUL; ORTH_E_RANGE outside years
 * 0000..9999.
 */
orth_err der_time_parse(const uint8_t *p, size_t n, int64_t *out);
orth_err der_time_format(int64_t secs, char out[15]);

/* The APPLICATION tag number of the outermost TLV of buf, or -1: used to
 * tell an AS-REQ from a TGS-REQ before decoding. */
int der_peek_application_tag(const uint8_t *buf, size_t len);

#endif
