/* file.c - locks, bounded reads and atomic replacement (see file.h). */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A file replaced this many times while we waited for its lock is being
 * replaced in a loop: give up rather than spin. */
#define FILE_LOCK_RETRIES 64

static orth_err
lock_cmd(int fd, short type)
{
	struct flock fl;
	int st;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;  /* the whole file, however long it grows */
	for (;;) {
#ifdef F_OFD_SETLKW
		st = fcntl(fd, F_OFD_SETLKW, &fl);
		/* EINVAL: a kernel without OFD locks (before Linux 3.15). */
		if (st != 0 && errno == EINVAL)
			st = fcntl(fd, F_SETLKW, &fl);
#else
		st = fcntl(fd, F_SETLKW, &fl);
#endif
		if (st == 0)
			return ORTH_OK;
		if (errno != EINTR)
			return orth_err_from_errno(errno);
	}
}

orth_err
file_lock(int fd, bool exclusive)
{
	return lock_cmd(fd, exclusive ? F_WRLCK : F_RDLCK);
}

void
file_unlock(int fd)
{
	(void)lock_cmd(fd, F_UNLCK);
}

orth_err
file_open_locked(const char *path, int flags, int *fd_out)
{
	struct stat fst, pst;
	orth_err ret = ORTH_OK;
	int fd = -1, i;

	for (i = 0; i < FILE_LOCK_RETRIES; i++) {
		/* O_NONBLOCK: a FIFO planted at path must not hang us in
		 * open(2); it is refused below as not a regular file. */
		fd = open(path, flags | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return orth_err_from_errno(errno);
		CHECK(fstat(fd, &fst) == 0, orth_err_from_errno(errno));
		CHECK(S_ISREG(fst.st_mode), ORTH_E_IO);
		CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0,
		      orth_err_from_errno(errno));
		TRY(file_lock(fd, (flags & O_ACCMODE) != O_RDONLY));
		/* Still the file at path?  (A writer that renamed a new file
		 * over it held no lock on the new one.) */
		if (stat(path, &pst) == 0 && pst.st_dev == fst.st_dev &&
		    pst.st_ino == fst.st_ino) {
			*fd_out = fd;
			return ORTH_OK;
		}
		close(fd);
		fd = -1;
	}
	ret = ORTH_E_IO;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

orth_err
file_read_all(int fd, size_t max, uint8_t **buf_out, size_t *len_out)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t cap, len = 0;
	orth_err ret = ORTH_OK;

	CHECK(fstat(fd, &st) == 0, orth_err_from_errno(errno));
	CHECK(st.st_size >= 0, ORTH_E_IO);
	CHECK((uint64_t)st.st_size <= max, ORTH_E_LIMIT);
	/* One byte more than the size, to see the end (or a file that grew)
	 * without a second allocation. */
	cap = (uint64_t)st.st_size < max ? (size_t)st.st_size + 1 : max + 1;
	buf = malloc(cap);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	for (;;) {
		ssize_t n;
		if (len == cap) {
			uint8_t *nb;
			CHECK(len <= max, ORTH_E_LIMIT);
			nb = malloc(cap * 2 > max + 1 ? max + 1 : cap * 2);
			CHECK(nb != NULL, ORTH_E_NOMEM);
			memcpy(nb, buf, len);
			explicit_bzero(buf, len);
			free(buf);
			buf = nb;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, orth_err_from_errno(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	CHECK(len <= max, ORTH_E_LIMIT);
	*buf_out = buf;
	*len_out = len;
	buf = NULL;
cleanup:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	return ret;
}

orth_err
file_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return orth_err_from_errno(errno);
		if (n == 0)
			return ORTH_E_IO;
		p += n;
		len -= (size_t)n;
	}
	return ORTH_OK;
}

orth_err
file_pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return orth_err_from_errno(errno);
		if (n == 0)
			return ORTH_E_IO;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return ORTH_OK;
}

static void
replace_release(struct file_replace *r)
{
	free(r->tmp);
	free(r->path);
	r->tmp = NULL;
	r->path = NULL;
	r->fd = -1;
}

orth_err
file_replace_begin(const char *path, mode_t mode, struct file_replace *r)
{
	size_t n = strlen(path) + sizeof(".tmpXXXXXX");
	orth_err ret = ORTH_OK;

	r->fd = -1;
	r->path = strdup(path);
	r->tmp = malloc(n);
	CHECK(r->path != NULL && r->tmp != NULL, ORTH_E_NOMEM);
	/* Same directory, so rename(2) replaces the file atomically. */
	snprintf(r->tmp, n, "%s.tmpXXXXXX", path);
	r->fd = mkostemp(r->tmp, O_CLOEXEC);
	CHECK(r->fd >= 0, orth_err_from_errno(errno));
	if (fchmod(r->fd, mode) != 0) {
		ret = orth_err_from_errno(errno);
		file_replace_abort(r);
	}
	return ret;
cleanup:
	replace_release(r);
	return ret;
}

/* Make the rename durable: sync the directory that holds path. */
static void
sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (copy == NULL)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

static orth_err
commit(struct file_replace *r, bool create)
{
	orth_err ret = ORTH_OK;
	int fd = r->fd;

	r->fd = -1;
	CHECK(fsync(fd) == 0, orth_err_from_errno(errno));
	CHECK(close(fd) == 0, orth_err_from_errno(errno));
	fd = -1;
	if (create) {
		CHECK(link(r->tmp, r->path) == 0,
		      errno == EEXIST ? ORTH_E_EXISTS : orth_err_from_errno(errno));
		(void)unlink(r->tmp);
	} else {
		CHECK(rename(r->tmp, r->path) == 0, orth_err_from_errno(errno));
	}
	sync_dir(r->path);
	replace_release(r);
	return ORTH_OK;
cleanup:
	if (fd >= 0)
		close(fd);
	file_replace_abort(r);
	return ret;
}

orth_err
file_replace_commit(struct file_replace *r)
{
	return commit(r, false);
}

orth_err
file_create_commit(struct file_replace *r)
{
	return commit(r, true);
}

void
file_replace_abort(struct file_replace *r)
{
	/* tmp is set from begin to commit or abort: a zeroed r (fd 0!) or a
	 * released one has none. */
	if (r->tmp == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	unlink(r->tmp);
	replace_release(r);
}
