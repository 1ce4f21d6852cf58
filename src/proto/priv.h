/*
 * priv.h - KRB-PRIV (RFC 4120 §3.5, §5.7): user data sealed in a key the
 * two sides of an application exchange share (the ticket's session key or
 * an authenticator subkey; key usage 13), with the sender's address and a
 * timestamp or sequence number against replay.  Which of those fields to
 * expect is the protocol's (the kpasswd exchange checks the sequence
 * number, src/kdc/kpasswd.c); this file only seals and opens.
 */
#ifndef ORTHRUS_PROTO_PRIV_H
#define ORTHRUS_PROTO_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "crypto/crypto.h"

/* RFC 4120 §8.1: a directional address, for a sender that does not know
 * its own: 0 from the initiator, 1 from the acceptor (as MIT's kadmind
 * sends when its local address is unknown). */
#define PRIV_ADDR_DIRECTIONAL 3

/*
 * Seal part (EncKrbPrivPart) in key with usage 13 and encode the KRB-PRIV
 * into a fresh arena buffer (*out, *out_len).  Crypto and encoder errors.
 */
orth_err priv_seal(struct crypto_key *key, const EncKrbPrivPart *part, struct arena *a,
		   uint8_t **out, size_t *out_len);

/*
 * Decode buf as a KRB-PRIV and decrypt its EncKrbPrivPart with key (usage
 * 13) into *out (memory, plaintext included, from a).  Errors:
 * ORTH_E_MALFORMED (not a KRB-PRIV) and the decoder's errors,
 * ORTH_E_KRB(KRB_AP_ERR_BADVERSION) (pvno is not 5), ORTH_E_ENCTYPE (not
 * sealed in the key's enctype), ORTH_E_INTEGRITY (does not decrypt: wrong
 * key or tampered).
 */
orth_err priv_open(struct crypto_key *key, const uint8_t *buf, size_t len, struct arena *a,
		   EncKrbPrivPart *out) ORTH_MUST_CHECK;

#endif
