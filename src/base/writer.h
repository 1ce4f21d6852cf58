/*
 * writer.h - output into a buffer of fixed capacity, with a sticky error
 * (s2n-tls's stuffer).  Writes beyond the capacity set ORTH_E_LIMIT and
 * are dropped; the caller checks writer_err() once at the end.  The writer
 * never owns its buffer.
 */
#ifndef ORTHRUS_BASE_WRITER_H
#define ORTHRUS_BASE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

struct writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	orth_err err;
};

static inline void
writer_init(struct writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = ORTH_OK;
}

static inline orth_err writer_err(const struct writer *w) { return w->err; }

/* Reserve n bytes and return where to write them, or NULL (error set). */
static inline uint8_t *
writer_reserve(struct writer *w, size_t n)
{
	uint8_t *p;
	if (w->err != ORTH_OK || n > w->cap - w->len) {
		if (w->err == ORTH_OK)
			w->err = ORTH_E_LIMIT;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static inline void
writer_put(struct writer *w, const void *data, size_t n)
{
	uint8_t *p = writer_reserve(w, n);
	if (p != NULL && n != 0)
		memcpy(p, data, n);
}

static inline void
writer_u8(struct writer *w, uint8_t v)
{
	writer_put(w, &v, 1);
}

static inline void
writer_be16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	writer_put(w, b, 2);
}

static inline void
writer_be32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};
	writer_put(w, b, 4);
}

/* v in decimal, without printf (request log lines are made of these). */
static inline void
writer_dec(struct writer *w, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	writer_put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

#endif
