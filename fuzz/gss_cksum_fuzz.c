/*
 * gss_cksum_fuzz.c - libFuzzer target for the RFC 4121 §4.1.1 (0x8003)
 * authenticator checksum parser (client/gsscksum.h), the bytes a GSS-API
 * client puts in its authenticator.  What decodes must lie inside the
 * input, and the channel-bindings decision must hold for every outcome.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/gsscksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zeros[GSS_CB_LEN];
	struct gss_cksum g;
	uint8_t other[GSS_CB_LEN];
	bool bound;

	if (gss_cksum_decode(data, size, &g) != ORTH_OK)
		return 0;
	if (size < GSS_CKSUM_MIN || memcmp(g.bindings, data + 4, GSS_CB_LEN) != 0)
		abort();
	if (g.deleg != NULL &&
	    (g.deleg < data + 28 || g.deleg_len > size ||
	     g.deleg + g.deleg_len > data + size || !(g.flags & GSS_FLAG_DELEG)))
		abort();
	if (g.nexts > GSS_CKSUM_MAX_EXTS)
		abort();
	/* Its own bindings match; others only when it sent none. */
	if (gss_cksum_check(&g, g.bindings, false, &bound) != ORTH_OK || !bound)
		abort();
	memcpy(other, g.bindings, GSS_CB_LEN);
	other[0] ^= 1;
	if ((gss_cksum_check(&g, other, false, &bound) == ORTH_OK) !=
	    (memcmp(g.bindings, zeros, GSS_CB_LEN) == 0))
		abort();
	return 0;
}
