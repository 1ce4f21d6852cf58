/*
 * siphash.h - SipHash-2-4 (Aumasson & Bernstein, 2012), a keyed 64-bit
 * hash for hash tables fed by the network.  With a random per-process key
 * an attacker cannot choose inputs that collide, so bucket flooding (the
 * hash-DoS of 2011) does not work.  Not a MAC for protocol use.
 *
 * Internal to src/kdc (replay cache, lookaside cache).
 */
#ifndef ORTHRUS_KDC_SIPHASH_H
#define ORTHRUS_KDC_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct siphash_key {
	uint64_t k0, k1;
};

/* Incremental state; any split of the input gives the same result. */
struct siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;   /* pending bytes, little-endian */
	size_t ntail;    /* 0..7 */
	uint64_t total;  /* bytes absorbed */
};

/* Fills *key from the kernel's CSPRNG (getrandom). ORTH_E_INTERNAL on failure. */
orth_err siphash_key_random(struct siphash_key *key);

/* Key from 16 bytes, little-endian halves (the paper's convention). */
void siphash_key_from_bytes(struct siphash_key *key, const uint8_t k[16]);

void siphash_init(struct siphash *s, const struct siphash_key *key);
void siphash_update(struct siphash *s, const void *data, size_t len);
uint64_t siphash_final(struct siphash *s);

/* One-shot. */
uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/*
 * SipHash-1-3 (one round per 8-byte block, three to finish), one-shot:
 * about half the cost per byte.  The variant Python (3.11) and Rust's
 * standard library key their hash tables with; for a table's bucket
 * choice over long inputs (the lookaside cache's whole requests), where
 * a match is then confirmed by comparing the bytes.  The replay cache
 * keeps SipHash-2-4.
 */
uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len);

#endif
