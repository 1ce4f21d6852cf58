/*
 * padata.h - looking things up in a METHOD-DATA (RFC 4120 §5.2.7).
 */
#ifndef ORTHRUS_PROTO_PADATA_H
#define ORTHRUS_PROTO_PADATA_H

#include "asn1/asn1.h"

/* The first PA-DATA of type in md (NULL is an empty list), or NULL. */
const PA_DATA *proto_padata_find(const METHOD_DATA *md, int32_t type);

#endif
