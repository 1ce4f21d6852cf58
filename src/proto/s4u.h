/*
 * s4u.h - what MS-SFU's S4U2Self padata need on both sides, the KDC
 * (src/kdc/s4u.c) and the client (src/client/s4u.c).
 */
#ifndef ORTHRUS_PROTO_S4U_H
#define ORTHRUS_PROTO_S4U_H

#include "asn1/asn1.h"
#include "base/arena.h"
#include "crypto/crypto.h"

/*
 * MS-SFU §2.2.1: PA-FOR-USER's checksum, HMAC-MD5 (RFC 4757 §4, usage 17)
 * under key (the TGT session key) over the name type (4 bytes
 * little-endian), the name's components, the realm and auth-package,
 * concatenated without separators.  out: 16 bytes; scratch from a.
 * ORTH_E_LIMIT, ORTH_E_INTERNAL (no MD5: FIPS mode).
 */
orth_err proto_for_user_checksum(const struct crypto_key *key, const PA_FOR_USER *fu,
				 struct arena *a, uint8_t out[16]);

#endif
