/*
 * ktools.h - what the k-tools share: the secret prompt of kinit and
 * ktutil, the keytab lines of klist and ktutil.  Like them, compiled
 * against the public API (include/orthrus/) alone: see meson.build.
 */
#ifndef ORTHRUS_CLI_KTOOLS_H
#define ORTHRUS_CLI_KTOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <orthrus/keytab.h>

/* The enctype's name, or "etype N" written into buf (cap bytes) for one
 * the library does not know.  Returns a static string or buf. */
const char *ktools_enctype_name(int32_t e, char *buf, size_t cap);

/*
 * The rest of a keytab entry's line, after the columns its caller owns
 * (slot, kvno, timestamp), as MIT's klist -k and ktutil list print it:
 * the principal right-aligned in princ_width (0: as it is), " (enctype) "
 * with show_etype, " (0x<key>)" with show_keys, and the newline.
 */
void ktools_keytab_entry_print(const struct orthrus_keytab_entry *k, int princ_width,
			       bool show_etype, bool show_keys);

/*
 * One line of stdin into buf (cap bytes; the caller wipes it), without
 * its line end: on a terminal after prompt (to stderr), with echo off
 * and given back as it was even when a signal ends or stops the tool.
 * 0, or -1 when the terminal cannot be set or stdin (not a terminal)
 * ends before a line.
 */
int ktools_secret_read(const char *prompt, char *buf, size_t cap);

#endif
