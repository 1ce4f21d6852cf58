/*
 * ccache_file.c - the FILE back end: every access under MIT's file lock
 * (base/file.h: a read lock to read, a write lock to change), changes in
 * place where MIT changes in place (a credential appended, an entry marked
 * removed), re-initialisation by a new file renamed over the old one (as
 * MIT's kinit since 1.20), and destroy by overwriting before unlinking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "client/ccache_int.h"

orth_err
ccache_file_load(const char *path, uint8_t **buf_out, size_t *len_out)
{
	orth_err ret;
	int fd;

	ret = file_open_locked(path, O_RDONLY, &fd);
	if (ret != ORTH_OK)
		return ret;
	ret = file_read_all(fd, CCACHE_MAX_FILE, buf_out, len_out);
	close(fd);
	return ret;
}

/* Write new over old in the locked file fd: only from the first byte that
 * differs, so an append or a removal mark leaves every other byte (and the
 * offsets a reader iterating with MIT's library holds) as they were. */
static orth_err
write_in_place(int fd, const uint8_t *old, size_t olen, const uint8_t *new,
	       size_t nlen)
{
	size_t d = 0, common = olen < nlen ? olen : nlen;
	orth_err ret = ORTH_OK;

	while (d < common && old[d] == new[d])
		d++;
	if (d < nlen)
		TRY(file_pwrite_all(fd, new + d, nlen - d, (off_t)d));
	if (nlen < olen)
		CHECK(ftruncate(fd, (off_t)nlen) == 0, orth_err_from_errno(errno));
cleanup:
	return ret;
}

orth_err
ccache_file_update(const char *path, ccache_edit_fn fn, void *arg)
{
	uint8_t *old = NULL, *new = NULL;
	size_t olen = 0, nlen = 0;
	orth_err ret;
	int fd = -1;

	/* No O_APPEND: the write goes where the image changed, which for a
	 * store is the end MIT's appends write to. */
	TRY(file_open_locked(path, O_RDWR, &fd));
	TRY(file_read_all(fd, CCACHE_MAX_FILE, &old, &olen));
	TRY(fn(old, olen, arg, &new, &nlen));
	TRY(write_in_place(fd, old, olen, new, nlen));
cleanup:
	if (fd >= 0)
		close(fd);  /* unlocks */
	ccache_buf_free(old, olen);
	ccache_buf_free(new, nlen);
	return ret;
}

/*
 * A new file with the old one's owner, group and mode (root's kinit on a
 * user's cache leaves it the user's).  PERM when the owner cannot be
 * given (not root): the caller then rewrites in place.
 */
static orth_err
replace_with(const char *path, const struct stat *old_st, const uint8_t *buf,
	     size_t len)
{
	struct file_replace r = {0};
	struct stat st;
	orth_err ret;

	TRY(file_replace_begin(path, old_st ? old_st->st_mode & 0777 : 0600, &r));
	if (old_st != NULL) {
		CHECK(fstat(r.fd, &st) == 0, orth_err_from_errno(errno));
		if (st.st_uid != old_st->st_uid || st.st_gid != old_st->st_gid)
			CHECK(fchown(r.fd, old_st->st_uid, old_st->st_gid) == 0,
			      orth_err_from_errno(errno));
	}
	TRY(file_write_all(r.fd, buf, len));
	TRY(file_replace_commit(&r));
cleanup:
	file_replace_abort(&r);
	return ret;
}

orth_err
ccache_file_replace(const char *path, bool read_old, ccache_edit_fn fn,
		    void *arg)
{
	uint8_t *old = NULL, *new = NULL;
	size_t olen = 0, nlen = 0;
	struct stat st;
	bool writable = true;
	orth_err ret;
	int fd = -1;

	/*
	 * Hold the old file's write lock across the rename: a writer of ours
	 * waiting for it then finds the new file (file_open_locked) instead
	 * of appending to the old one.  Without write permission on the file
	 * (its directory may still allow the rename) a read lock does: it
	 * too keeps writers out.
	 */
	ret = file_open_locked(path, O_RDWR, &fd);
	if (ret == ORTH_E_PERM) {
		writable = false;
		ret = file_open_locked(path, O_RDONLY, &fd);
	}
	if (ret == ORTH_E_NOTFOUND) {
		fd = -1;
		ret = ORTH_OK;
	}
	TRY(ret);
	if (fd >= 0)
		CHECK(fstat(fd, &st) == 0, orth_err_from_errno(errno));
	if (fd >= 0 && read_old)
		TRY(file_read_all(fd, CCACHE_MAX_FILE, &old, &olen));
	TRY(fn(old, olen, arg, &new, &nlen));
	ret = replace_with(path, fd >= 0 ? &st : NULL, new, nlen);
	/* No right to create the new file or to give it the owner: rewrite
	 * the old one where it is, under its lock (MIT's readers lock too). */
	if (ret == ORTH_E_PERM && fd >= 0 && writable) {
		if (!read_old)
			TRY(file_read_all(fd, CCACHE_MAX_FILE, &old, &olen));
		ret = write_in_place(fd, old, olen, new, nlen);
	}
cleanup:
	if (fd >= 0)
		close(fd);
	ccache_buf_free(old, olen);
	ccache_buf_free(new, nlen);
	return ret;
}

orth_err
ccache_file_save(const char *path, const uint8_t *buf, size_t len)
{
	struct ccache_image img = {buf, len};

	return ccache_file_replace(path, false, ccache_image_fixed, &img);
}

orth_err
ccache_file_destroy(const char *path)
{
	static const uint8_t zeros[4096];
	struct stat st;
	orth_err ret = ORTH_OK;
	off_t left;
	int fd;

	/* O_NOFOLLOW: never zero some other file through a planted link. */
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return orth_err_from_errno(errno);
	CHECK(fstat(fd, &st) == 0, orth_err_from_errno(errno));
	CHECK(S_ISREG(st.st_mode), ORTH_E_IO);
	/* Not while a reader or writer holds it. */
	TRY(file_lock(fd, true));
	CHECK(fstat(fd, &st) == 0, orth_err_from_errno(errno));
	/* The keys are gone from the disk blocks we can reach, not from
	 * copies a journal or snapshot kept (MIT's kdestroy does the same). */
	for (left = st.st_size; left > 0;) {
		size_t k = left > (off_t)sizeof(zeros) ? sizeof(zeros)
						       : (size_t)left;
		TRY(file_pwrite_all(fd, zeros, k, st.st_size - left));
		left -= (off_t)k;
	}
	CHECK(fsync(fd) == 0, orth_err_from_errno(errno));
	CHECK(unlink(path) == 0, orth_err_from_errno(errno));
cleanup:
	close(fd);
	return ret;
}
