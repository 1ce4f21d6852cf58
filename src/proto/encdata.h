/*
 * encdata.h - EncryptedData (RFC 4120 §5.2.9) sealing and unsealing: the
 * DER encoding of a value encrypted under a key and key usage, and back.
 */
#ifndef ORTHRUS_PROTO_ENCDATA_H
#define ORTHRUS_PROTO_ENCDATA_H

#include "asn1/asn1.h"
#include "crypto/crypto.h"

/*
 * Encode val as type t, encrypt it with key/usage, fill *out (etype and
 * cipher; kvno is left NULL for the caller to set).  Arena memory.
 */
orth_err proto_seal(struct crypto_key *key, int32_t usage,
		    const struct der_type *t, const void *val, struct arena *a,
		    EncryptedData *out);

/*
 * Decrypt ed with key/usage and decode the plaintext as type t into *out
 * (zeroed by the caller).  ORTH_E_ENCTYPE when ed's etype is not the
 * key's, ORTH_E_INTEGRITY when decryption fails, decoder errors otherwise.
 * The plaintext lives in the arena (wiped with it).
 */
orth_err proto_unseal(struct crypto_key *key, int32_t usage,
		      const EncryptedData *ed, const struct der_type *t,
		      struct arena *a, void *out) ORTH_MUST_CHECK;

#endif
