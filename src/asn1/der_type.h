/*
 * der_type.h - the table format shared by the generator's output
 * (krb5_asn1_tables.c) and the interpreter (der.c).  Private to src/asn1.
 */
#ifndef ORTHRUS_ASN1_DER_TYPE_H
#define ORTHRUS_ASN1_DER_TYPE_H

#include <stddef.h>
#include <stdint.h>

enum der_kind {
	DER_K_INT32 = 1,   /* INTEGER in [lo, hi] stored as int32_t */
	DER_K_UINT32,      /* INTEGER in [lo, hi] stored as uint32_t */
	DER_K_BOOLEAN,     /* bool */
	DER_K_OCTETS,      /* struct der_bytes */
	DER_K_STRING,      /* GeneralString as char * */
	DER_K_TIME,        /* GeneralizedTime as int64_t */
	DER_K_FLAGS,       /* 32-bit BIT STRING as uint32_t */
	DER_K_SEQUENCE,    /* fields[] */
	DER_K_SEQUENCE_OF, /* struct der_seq_of of elem */
};

/* A field of a SEQUENCE: EXPLICIT context tag [tag] around type. */
struct der_field {
	const char *name;
	const struct der_type *type;
	size_t offset;     /* offsetof the member in the C struct */
	uint8_t tag;       /* context tag number */
	uint8_t optional;  /* the member is a pointer (char * stays char *) */
};

struct der_type {
	const char *name;            /* the ASN.1 name, for diagnostics */
	uint8_t kind;                /* enum der_kind */
	int16_t app;                 /* [APPLICATION app] around it, or -1 */
	size_t size;                 /* sizeof the C value */
	long long lo, hi;            /* INTEGER range */
	const struct der_field *fields;
	size_t nfields;
	const struct der_type *elem; /* SEQUENCE OF element */
	size_t min_count;            /* SEQUENCE SIZE (min_count..MAX) OF */
	int32_t raw_off;             /* offsetof struct der_bytes _raw, or -1 */
	int32_t msgtype_off;         /* int32_t msg-type that must equal app, or -1 */
};

/* The layout every generated `struct { size_t len; T *val; }` shares. */
struct der_seq_of {
	size_t len;
	void *val;
};

#endif
