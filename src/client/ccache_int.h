/*
 * ccache_int.h - what ccache.c needs from the FILE and MEMORY back ends.
 * A back end moves whole encoded images and keeps other writers out while
 * a change is made; ccache.c decodes, decides and encodes.
 * Loaded buffers are malloc'd and hold keys: release with ccache_buf_free.
 */
#ifndef ORTHRUS_CLIENT_CCACHE_INT_H
#define ORTHRUS_CLIENT_CCACHE_INT_H

#include "client/ccache.h"

enum ccache_type {
	CCACHE_TYPE_FILE,
	CCACHE_TYPE_MEMORY,
	CCACHE_TYPE_KEYRING,    /* ccache_keyring.h */
};

struct ccache {
	enum ccache_type type;
	char *name;            /* "TYPE:residual", owned */
	const char *residual;  /* points into name */
	uint16_t new_version;  /* ccache_new_version_set(); 0: version 4 */
};

/*
 * A change to a cache: compute its new image from its current one (old is
 * NULL when the cache does not exist or was not read).  *new_out is
 * malloc'd and holds keys (ccache_buf_free).  Called with the cache
 * locked; it must not use the cache itself.
 */
typedef orth_err (*ccache_edit_fn)(const uint8_t *old, size_t olen, void *arg,
				   uint8_t **new_out, size_t *nlen_out);

/* An edit that ignores old and gives a copy of arg, a ccache_image. */
struct ccache_image {
	const uint8_t *buf;
	size_t len;
};
orth_err ccache_image_fixed(const uint8_t *old, size_t olen, void *arg,
			    uint8_t **new_out, size_t *nlen_out);

/*
 * FILE (base/file.h for the locks).
 * load: under a read lock.  ORTH_E_NOTFOUND if absent, ORTH_E_LIMIT over
 * CCACHE_MAX_FILE, ORTH_E_PERM, ORTH_E_IO.
 * update: in place under the write lock, the way MIT appends and removes:
 * the new image is written from its first byte that differs.
 * ORTH_E_NOTFOUND if absent.
 * replace: a new file (the old one's owner, group and mode; 0600 when
 * new) renamed over the old one, whose write lock is held meanwhile; in
 * place when we may not create it or give it the owner.  old is read only
 * when read_old.
 * save: replace with a fixed image.
 * destroy: overwrite with zeros, unlink.  ORTH_E_NOTFOUND if absent.
 */
orth_err ccache_file_load(const char *path, uint8_t **buf_out,
			  size_t *len_out);
orth_err ccache_file_update(const char *path, ccache_edit_fn fn, void *arg);
orth_err ccache_file_replace(const char *path, bool read_old,
			     ccache_edit_fn fn, void *arg);
orth_err ccache_file_save(const char *path, const uint8_t *buf, size_t len);
orth_err ccache_file_destroy(const char *path);

/* MEMORY: edit under the list's mutex; ORTH_E_NOTFOUND if absent unless
 * create (then old is NULL). */
orth_err ccache_memory_load(const char *name, uint8_t **buf_out,
			    size_t *len_out);
orth_err ccache_memory_edit(const char *name, bool create, ccache_edit_fn fn,
			    void *arg);
orth_err ccache_memory_save(const char *name, const uint8_t *buf,
			    size_t len);
orth_err ccache_memory_destroy(const char *name);

#endif
