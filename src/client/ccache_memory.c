/*
 * ccache_memory.c - the MEMORY back end: process-local caches by name,
 * kept as encoded images (so a MEMORY cache goes through the same decoder
 * and encoder as a file).  A mutex guards the list; an image is wiped
 * when replaced or destroyed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "client/ccache_int.h"

struct mem_cache {
	struct mem_cache *next;
	char *name;
	uint8_t *buf;
	size_t len;
};

static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mem_cache *mem_list;

static struct mem_cache **
mem_find(const char *name)
{
	struct mem_cache **pp;

	for (pp = &mem_list; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0)
			return pp;
	return pp;
}

orth_err
ccache_memory_load(const char *name, uint8_t **buf_out, size_t *len_out)
{
	struct mem_cache *m;
	orth_err ret = ORTH_OK;
	uint8_t *buf;

	pthread_mutex_lock(&mem_lock);
	m = *mem_find(name);
	CHECK(m != NULL, ORTH_E_NOTFOUND);
	buf = malloc(m->len ? m->len : 1);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	memcpy(buf, m->buf, m->len);
	*buf_out = buf;
	*len_out = m->len;
cleanup:
	pthread_mutex_unlock(&mem_lock);
	return ret;
}

orth_err
ccache_memory_edit(const char *name, bool create, ccache_edit_fn fn, void *arg)
{
	struct mem_cache *m, **pp;
	orth_err ret = ORTH_OK;
	uint8_t *img = NULL;
	size_t len = 0;

	/* The mutex is held from reading to writing: threads changing one
	 * cache take turns, as processes do on a file's lock. */
	pthread_mutex_lock(&mem_lock);
	pp = mem_find(name);
	CHECK(*pp != NULL || create, ORTH_E_NOTFOUND);
	TRY(fn(*pp ? (*pp)->buf : NULL, *pp ? (*pp)->len : 0, arg, &img, &len));
	if (*pp == NULL) {
		m = calloc(1, sizeof(*m));
		CHECK(m != NULL, ORTH_E_NOMEM);
		m->name = strdup(name);
		if (m->name == NULL) {
			free(m);
			CHECK(0, ORTH_E_NOMEM);
		}
		*pp = m;
	}
	m = *pp;
	ccache_buf_free(m->buf, m->len);
	m->buf = img;
	m->len = len;
	img = NULL;
cleanup:
	pthread_mutex_unlock(&mem_lock);
	ccache_buf_free(img, len);
	return ret;
}

orth_err
ccache_memory_save(const char *name, const uint8_t *buf, size_t len)
{
	struct ccache_image img = {buf, len};

	return ccache_memory_edit(name, true, ccache_image_fixed, &img);
}

orth_err
ccache_memory_destroy(const char *name)
{
	struct mem_cache *m, **pp;
	orth_err ret = ORTH_OK;

	pthread_mutex_lock(&mem_lock);
	pp = mem_find(name);
	m = *pp;
	CHECK(m != NULL, ORTH_E_NOTFOUND);
	*pp = m->next;
	ccache_buf_free(m->buf, m->len);
	free(m->name);
	free(m);
cleanup:
	pthread_mutex_unlock(&mem_lock);
	return ret;
}
