/*
 * file.h - files that other processes share: whole-file locks that MIT
 * krb5's tools honour, bounded reads, and replacement of a file by a new
 * one written beside it and renamed over it.
 *
 * Locks: fcntl(2) record locks on the whole file (l_start 0, l_len 0), a
 * read lock to read and a write lock to change, waiting for the holder,
 * as MIT's krb5_lock_file takes them on credential caches and keytabs.
 * Open-file-description locks (F_OFD_SETLKW) are used where the kernel
 * has them, falling back to process-wide POSIX locks: the two kinds
 * exclude each other, so either side may use either.  An OFD lock belongs
 * to the descriptor, so two threads of one process exclude each other
 * too, and closing another descriptor of the file does not drop it.
 *
 * Replacement: file_replace_begin() creates "<path>.tmpXXXXXX" with
 * mkostemp(3) (O_EXCL, an unpredictable name, never through a symlink)
 * in the target's directory, so that neither a planted file nor a planted
 * link can catch what is written; file_replace_commit() syncs it, renames
 * it over path (atomically: a reader sees the old file or the new one) and
 * syncs the directory.  A symlink at path is replaced, never followed.
 */
#ifndef ORTHRUS_BASE_FILE_H
#define ORTHRUS_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

/* Wait for a whole-file lock on fd (open for reading for a read lock, for
 * writing for a write lock).  Errors: orth_err_from_errno(). */
orth_err file_lock(int fd, bool exclusive);
void file_unlock(int fd);

/*
 * Open path (flags: O_RDONLY or O_RDWR, O_CLOEXEC is added) and lock it,
 * read lock for O_RDONLY, write lock otherwise.  When the file was
 * replaced (renamed over) while we waited, the lock is on a file nobody
 * will read again: it is dropped and the new file opened, so what the
 * caller writes is never lost that way.  *fd_out: close(2) it (that
 * unlocks).  Errors: ORTH_E_NOTFOUND, ORTH_E_PERM, ORTH_E_IO (also when
 * path is not a regular file).
 */
orth_err file_open_locked(const char *path, int flags, int *fd_out);

/*
 * Read fd from its current offset to the end, at most max bytes
 * (ORTH_E_LIMIT beyond).  *buf_out is malloc'd (never NULL on success,
 * even for 0 bytes); it may hold secrets: wipe *len_out bytes before
 * free().  Errors: ORTH_E_LIMIT, ORTH_E_NOMEM, orth_err_from_errno().
 */
orth_err file_read_all(int fd, size_t max, uint8_t **buf_out, size_t *len_out);

/* write(2)/pwrite(2) all of buf, retrying short writes and EINTR.
 * Errors: orth_err_from_errno(). */
orth_err file_write_all(int fd, const void *buf, size_t len);
orth_err file_pwrite_all(int fd, const void *buf, size_t len, off_t off);

/* A replacement under way: write to fd, then commit or abort. */
struct file_replace {
	int fd;        /* the temporary file, mode set at begin */
	char *tmp;     /* its name, owned */
	char *path;    /* the target, owned */
};

/*
 * Create the temporary file beside path, with mode (fchmod, so the umask
 * does not apply).  The caller may fchown(2) r->fd.  Release with commit
 * or abort.  Errors: ORTH_E_NOMEM, orth_err_from_errno().
 */
orth_err file_replace_begin(const char *path, mode_t mode, struct file_replace *r);

/* fsync, close, rename over path, fsync the directory; then r is
 * released.  On error the temporary file is removed (r released too). */
orth_err file_replace_commit(struct file_replace *r);

/* As commit, but path must not exist: link(2) instead of rename(2), which
 * never replaces a file nor follows a symlink at path (ORTH_E_EXISTS
 * then); a new file appears whole.  r is released either way. */
orth_err file_create_commit(struct file_replace *r);

/* Close and remove the temporary file; safe on a zeroed or released r. */
void file_replace_abort(struct file_replace *r);

#endif
