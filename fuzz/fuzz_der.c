/*
 * fuzz_der.c - one libFuzzer harness per DER type, chosen at build time by
 * -DFUZZ_TYPE=asn1_<CName> (see fuzz/meson.build).
 *
 * Whatever der_decode() accepts must re-encode to exactly the same bytes:
 * the decoder accepts only DER (src/asn1/der.c), so anything else is a bug
 * in one direction or the other and aborts.  The one documented leniency
 * (a full-range UInt32 sent as a negative INTEGER, as Heimdal does with
 * nonces) re-encodes differently: then the re-encoding must be 1 to 4
 * bytes longer (a leading 00 per such field) and stable under another
 * decode/encode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asn1/asn1.h"
#include "der_type.h"

#ifndef FUZZ_TYPE
#error "build with -DFUZZ_TYPE=asn1_<Type>"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct arena a;
	static _Alignas(16) uint8_t val[1024];
	uint8_t *enc = NULL;
	size_t enc_len = 0;

	if (a.base == NULL && arena_init(&a, 1 << 22) != ORTH_OK)
		abort();
	if (FUZZ_TYPE.size > sizeof(val))
		abort();
	arena_reset(&a);
	memset(val, 0, sizeof(val));
	if (der_decode(&FUZZ_TYPE, data, size, &a, val) != ORTH_OK)
		return 0;
	if (der_encode_arena(&FUZZ_TYPE, val, &a, &enc, &enc_len) != ORTH_OK)
		abort();
	if (enc_len == size && memcmp(enc, data, size) == 0)
		return 0;
	if (enc_len <= size) {
		abort();
	} else {
		uint8_t *enc2 = NULL;
		size_t enc2_len = 0;
		memset(val, 0, sizeof(val));
		if (der_decode(&FUZZ_TYPE, enc, enc_len, &a, val) != ORTH_OK ||
		    der_encode_arena(&FUZZ_TYPE, val, &a, &enc2, &enc2_len) != ORTH_OK ||
		    enc2_len != enc_len || memcmp(enc, enc2, enc_len) != 0)
			abort();
	}
	return 0;
}
