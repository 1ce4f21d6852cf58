/*
 * ktools.c - what klist and ktutil print alike.  See ktools.h.
 */
#include "ktools.h"

#include <stdio.h>
#include <stdlib.h>

#include <orthrus/base.h>

const char *
ktools_enctype_name(int32_t e, char *buf, size_t cap)
{
	const char *n = orthrus_enctype_name(e);
	if (n != NULL)
		return n;
	snprintf(buf, cap, "etype %d", e);
	return buf;
}

void
ktools_keytab_entry_print(const struct orthrus_keytab_entry *k, int princ_width,
			  bool show_etype, bool show_keys)
{
	char *pn = NULL, b[32];

	if (orthrus_principal_unparse(orthrus_keytab_entry_principal(k), &pn) != ORTHRUS_OK)
		pn = NULL;
	printf("%*s", princ_width, pn != NULL ? pn : "?");
	free(pn);
	if (show_etype)
		printf(" (%s) ", ktools_enctype_name(orthrus_keytab_entry_enctype(k), b, sizeof(b)));
	if (show_keys) {
		size_t klen;
		const uint8_t *key = orthrus_keytab_entry_key(k, &klen);
		printf(" (0x");
		for (size_t j = 0; j < klen; j++)
			printf("%02x", key[j]);
		printf(")");
	}
	printf("\n");
}
