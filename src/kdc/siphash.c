#include "siphash.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void
sip_round(struct siphash *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

static inline void
sip_block(struct siphash *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

orth_err
siphash_key_random(struct siphash_key *key)
{
	uint8_t k[16];
	size_t got = 0;

	while (got < sizeof(k)) {
		ssize_t n = getrandom(k + got, sizeof(k) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return ORTH_E_INTERNAL;
		}
		got += (size_t)n;
	}
	siphash_key_from_bytes(key, k);
	return ORTH_OK;
}

/* One load, whatever the alignment (the compiler did not always merge the
 * eight byte loads of a shift loop). */
static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

void
siphash_key_from_bytes(struct siphash_key *key, const uint8_t k[16])
{
	key->k0 = le64(k);
	key->k1 = le64(k + 8);
}

void
siphash_init(struct siphash *s, const struct siphash_key *key)
{
	/* The constants spell "somepseudorandomlygeneratedbytes". */
	s->v0 = key->k0 ^ 0x736f6d6570736575ULL;
	s->v1 = key->k1 ^ 0x646f72616e646f6dULL;
	s->v2 = key->k0 ^ 0x6c7967656e657261ULL;
	s->v3 = key->k1 ^ 0x7465646279746573ULL;
	s->tail = 0;
	s->ntail = 0;
	s->total = 0;
}

void
siphash_update(struct siphash *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	s->total += len;
	if (s->ntail != 0) {
		/* Bytes held from the last call: each 8 new ones complete a
		 * block and leave as many over, a word at a time rather than
		 * byte by byte (the replay key's fields come in pieces of
		 * any length). */
		unsigned sh = 8 * s->ntail;
		while (len >= 8) {
			uint64_t w = le64(p);
			sip_block(s, s->tail | (w << sh));
			s->tail = w >> (64 - sh);
			p += 8;
			len -= 8;
		}
	}
	while (len > 0 && s->ntail != 0) {
		s->tail |= (uint64_t)*p++ << (8 * s->ntail);
		len--;
		if (++s->ntail == 8) {
			sip_block(s, s->tail);
			s->tail = 0;
			s->ntail = 0;
		}
	}
	while (len >= 8) {
		sip_block(s, le64(p));
		p += 8;
		len -= 8;
	}
	while (len > 0) {
		s->tail |= (uint64_t)*p++ << (8 * s->ntail);
		s->ntail++;
		len--;
	}
}

uint64_t
siphash_final(struct siphash *s)
{
	uint64_t b = s->tail | (s->total << 56);

	sip_block(s, b);
	s->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* SipHash-1-3: one round per block, three at the end; the same padding
 * and length byte as SipHash-2-4. */
uint64_t
siphash13(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *p = data;
	struct siphash s;
	uint64_t b = (uint64_t)len << 56;
	size_t i;

	siphash_init(&s, key);
	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t m = le64(p + i);

		s.v3 ^= m;
		sip_round(&s);
		s.v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)p[i + j] << (8 * j);
	s.v3 ^= b;
	sip_round(&s);
	s.v0 ^= b;
	s.v2 ^= 0xff;
	for (int r = 0; r < 3; r++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

uint64_t
siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	struct siphash s;

	siphash_init(&s, key);
	siphash_update(&s, data, len);
	return siphash_final(&s);
}
