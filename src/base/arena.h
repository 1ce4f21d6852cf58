/*
 * arena.h - the per-request memory pool.
 *
 * Everything a request decodes, decrypts and encodes is allocated here; the
 * arena is wiped (it may hold plaintext keys) and reset when the reply has
 * been sent, so the request path has no per-type free functions (nginx
 * pools).  The capacity is fixed at init: exceeding it is ORTH_E_LIMIT (NULL
 * from arena_alloc), never a realloc.  Memory is 16-byte aligned.
 */
#ifndef ORTHRUS_BASE_ARENA_H
#define ORTHRUS_BASE_ARENA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct arena {
	uint8_t *base;
	size_t cap;
	size_t used;
};

/* Allocates the backing store of cap bytes. Pair with arena_free(). */
orth_err arena_init(struct arena *a, size_t cap);

/* Wipes and releases the backing store. Safe on a zeroed arena. */
void arena_free(struct arena *a);

/* n bytes, zeroed, or NULL when the arena is full. */
void *arena_alloc(struct arena *a, size_t n);

/* A copy of n bytes of data, or NULL. */
void *arena_dup(struct arena *a, const void *data, size_t n);

/* A NUL-terminated copy of n bytes of s, or NULL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);

/*
 * The free space as scratch for a writer that fills it from its end (the
 * DER encoder writes backwards): returns the end of the arena; up to
 * *avail_out bytes below it may be written.  Then exactly one of
 * arena_top_take (keep what was written) or arena_top_drop (a failed
 * writer), with the number of bytes written, before any other call on a.
 */
uint8_t *arena_top(struct arena *a, size_t *avail_out);

/* The n bytes written below arena_top() as an allocation (NULL when n
 * exceeds the free space, which is then wiped as by arena_top_drop); the
 * free space is zero again. */
void *arena_top_take(struct arena *a, size_t n);

/*
 * arena_top_take() with room around: an allocation of head + n + tail
 * bytes whose n bytes from head on are those written below arena_top()
 * (the DER of a plaintext, encrypted in place between its confounder and
 * its MAC).  The head and tail bytes are the caller's to fill: they may
 * hold bytes of what was written.  n > 0.
 */
void *arena_top_take_room(struct arena *a, size_t n, size_t head, size_t tail);

/* Wipe the n bytes written below arena_top(). */
void arena_top_drop(struct arena *a, size_t n);

/* Wipes what was used and makes the whole capacity available again. */
void arena_reset(struct arena *a);

#endif
