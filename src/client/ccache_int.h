/*
 * ccache_int.h - what ccache.c needs from the FILE and MEMORY back ends.
 * A back end moves whole encoded images; ccache.c decodes and encodes.
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
};

/* ORTH_E_NOTFOUND if absent, ORTH_E_LIMIT if over CCACHE_MAX_FILE,
 * ORTH_E_IO otherwise. */
orth_err ccache_file_load(const char *path, uint8_t **buf_out,
			  size_t *len_out);
/* Temp file (0600, O_EXCL) in the same directory, fsync, rename. */
orth_err ccache_file_save(const char *path, const uint8_t *buf, size_t len);
/* Overwrite with zeros, unlink.  ORTH_E_NOTFOUND if absent. */
orth_err ccache_file_destroy(const char *path);

orth_err ccache_memory_load(const char *name, uint8_t **buf_out,
			    size_t *len_out);
orth_err ccache_memory_save(const char *name, const uint8_t *buf,
			    size_t len);
orth_err ccache_memory_destroy(const char *name);

#endif
