/*
 * cursor.h - a bounded reader over untrusted bytes with a sticky error.
 *
 * Reads past the end return zeros / NULL and set the error once; later reads
 * are no-ops.  The caller checks cursor_err() at the end instead of after
 * every field (BearSSL's decoders, MIT's k5input).  A child cursor covers a
 * sub-range of its parent; cursor_close_child() fails when the child left
 * bytes unread.  Cursors never own memory.
 */
#ifndef ORTHRUS_BASE_CURSOR_H
#define ORTHRUS_BASE_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cursor {
	const uint8_t *p;  /* next unread byte */
	size_t left;       /* bytes remaining */
	orth_err err;      /* first error, sticky */
};

static inline void
cursor_init(struct cursor *c, const void *buf, size_t len)
{
	c->p = buf;
	c->left = len;
	c->err = ORTH_OK;
}

static inline void
cursor_fail(struct cursor *c, orth_err e)
{
	if (c->err == ORTH_OK)
		c->err = e;
	c->left = 0;
}

static inline orth_err cursor_err(const struct cursor *c) { return c->err; }
static inline size_t cursor_left(const struct cursor *c) { return c->left; }

/* Returns a pointer to n bytes and advances, or NULL (error set). */
static inline const uint8_t *
cursor_get(struct cursor *c, size_t n)
{
	const uint8_t *p;
	if (c->err != ORTH_OK || n > c->left) {
		cursor_fail(c, ORTH_E_TRUNCATED);
		return NULL;
	}
	p = c->p;
	c->p += n;
	c->left -= n;
	return p;
}

static inline uint8_t
cursor_u8(struct cursor *c)
{
	const uint8_t *p = cursor_get(c, 1);
	return p ? p[0] : 0;
}

static inline uint16_t
cursor_be16(struct cursor *c)
{
	const uint8_t *p = cursor_get(c, 2);
	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

static inline uint32_t
cursor_be32(struct cursor *c)
{
	const uint8_t *p = cursor_get(c, 4);
	return p ? ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
			   ((uint32_t)p[2] << 8) | p[3]
		 : 0;
}

static inline uint32_t
cursor_le32(struct cursor *c)
{
	const uint8_t *p = cursor_get(c, 4);
	return p ? ((uint32_t)p[3] << 24) | ((uint32_t)p[2] << 16) |
			   ((uint32_t)p[1] << 8) | p[0]
		 : 0;
}

/* Split off the next n bytes as a child cursor. */
static inline struct cursor
cursor_child(struct cursor *c, size_t n)
{
	struct cursor child;
	const uint8_t *p = cursor_get(c, n);
	cursor_init(&child, p, p ? n : 0);
	if (p == NULL)
		child.err = c->err;
	return child;
}

/* Propagate a child's error, and reject unread bytes in it. */
static inline orth_err
cursor_close_child(struct cursor *c, struct cursor *child)
{
	if (child->err != ORTH_OK)
		cursor_fail(c, child->err);
	else if (child->left != 0)
		cursor_fail(c, ORTH_E_TRAILING);
	return c->err;
}

/* The whole input must have been consumed. */
static inline orth_err
cursor_end(struct cursor *c)
{
	if (c->err == ORTH_OK && c->left != 0)
		cursor_fail(c, ORTH_E_TRAILING);
	return c->err;
}

#endif
