/*
 * ccache_fuzz.c - libFuzzer target for the FILE credential cache reader
 * (ccache_contents_decode), the entry point for bytes from disk.
 * Whatever decodes must encode, and decoding that encoding must give the
 * same encoding again (unusual header tags are normalized by the first
 * round, so equality with the input itself is not required).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/ccache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ccache_contents c = {0}, d = {0};
	uint8_t *e1 = NULL, *e2 = NULL;
	size_t l1 = 0, l2 = 0;

	if (ccache_contents_decode(data, size, &c) != ORTH_OK)
		return 0;
	if (ccache_contents_encode(&c, &e1, &l1) != ORTH_OK)
		abort();
	if (ccache_contents_decode(e1, l1, &d) != ORTH_OK)
		abort();
	if (ccache_contents_encode(&d, &e2, &l2) != ORTH_OK)
		abort();
	if (l1 != l2 || memcmp(e1, e2, l1) != 0)
		abort();
	/* An input without unknown header tags comes back in its own
	 * version with its own length (only is_skey bytes other than 0/1
	 * may change). */
	if (c.other_tags.len == 0 && (l1 != size || e1[1] != data[1]))
		abort();
	ccache_buf_free(e1, l1);
	ccache_buf_free(e2, l2);
	ccache_contents_free(&c);
	ccache_contents_free(&d);
	return 0;
}
