/*
 * keytab.h - MIT's FILE keytab, format version 2 (0x0502), big-endian:
 *   u16 0x0502, then records: i32 length (> 0 an entry of at most that many
 *   bytes, < 0 a hole of -length zero bytes, 0 or end of file: the end).
 *   entry: u16 component count (without the realm), realm and components
 *   as u16 length + bytes, u32 name type, u32 timestamp, u8 kvno,
 *   u16 enctype, u16 key length + key, then optionally a u32 kvno that
 *   overrides the 8-bit one when at least 4 bytes are left and it is not 0
 *   (MIT krb5 1.14 and later).
 * We always write the 32-bit kvno.  Reading is bounded and strict: a
 * record that overruns the file or an entry that overruns its record is
 * ORTH_E_MALFORMED / ORTH_E_TRUNCATED, never a crash.
 */
#ifndef ORTHRUS_CLIENT_KEYTAB_H
#define ORTHRUS_CLIENT_KEYTAB_H

#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/writer.h"
#include "proto/principal.h"

#define KEYTAB_VERSION 0x0502
#define KEYTAB_MAX_FILE (4 * 1024 * 1024)
#define KEYTAB_MAX_KEY 64

struct keytab_entry {
	struct principal princ;
	uint32_t timestamp;
	uint32_t kvno;
	int32_t enctype;
	const uint8_t *key;          /* plaintext key bytes (secret) */
	size_t key_len;
};

/* A keytab read into memory; everything lives in its arena (wiped on free). */
struct keytab {
	struct keytab_entry *entries;
	size_t n;
	struct arena arena;
};

/*
 * Decode a whole keytab image into n entries allocated in a (holes
 * skipped).  *end_out (may be NULL): offset where the data ends (a 0
 * length or end of input), for appending.  Errors: ORTH_E_MALFORMED (bad
 * version, entry overruns its record, bad count), ORTH_E_TRUNCATED,
 * ORTH_E_LIMIT (arena full), ORTH_E_BADNAME (empty component or realm).
 */
orth_err keytab_decode(const uint8_t *buf, size_t len, struct arena *a,
		       struct keytab_entry **entries_out, size_t *n_out,
		       size_t *end_out);

/* Read and decode the file.  ORTH_E_NOTFOUND when it does not exist.
 * *kt: keytab_free(). */
orth_err keytab_read(const char *path, struct keytab *kt);
void keytab_free(struct keytab *kt);

/* One record (i32 length + entry) into w; errors from the writer, or
 * ORTH_E_LIMIT for a field too long. */
orth_err keytab_entry_encode(const struct keytab_entry *e, struct writer *w);

/*
 * Shared with other processes as MIT's kt_file shares a keytab: reads
 * under an fcntl read lock, changes under the write lock (base/file.h),
 * made in place, so that MIT's ktutil, kadmin and klist and ours can work
 * on one keytab at once, an existing keytab keeps its owner, group and
 * mode, and a symlink to it is written through.
 */

/*
 * Append entries to the keytab at path.  A missing keytab is created
 * (mode 0600, never through a symlink: a dangling one is ORTH_E_NOTFOUND).
 * The records are written with the first length still 0 and that length
 * last, as MIT commits an entry: a crash leaves the keytab as it was, a
 * reader sees all the new entries or none.  An existing file that does not
 * parse is refused (ORTH_E_MALFORMED), not clobbered.  Errors also
 * ORTH_E_PERM, ORTH_E_NOSPACE, ORTH_E_IO.
 */
orth_err keytab_append(const char *path, const struct keytab_entry *e, size_t n);

/*
 * Remove the entries of principal p (all principals when NULL) with kvno
 * (all kvnos when 0): each becomes a hole where it is (negative length,
 * key bytes zeroed), as MIT removes one.  *removed_out (may be NULL): how
 * many.  ORTH_E_NOTFOUND when the file is missing.
 */
orth_err keytab_remove(const char *path, const struct principal *p, uint32_t kvno,
		       size_t *removed_out);

#endif
