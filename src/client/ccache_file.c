/*
 * ccache_file.c - the FILE back end: whole-file reads with a size cap,
 * atomic replacement by a temporary file and rename(2), and destroy by
 * overwriting before unlinking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/ccache_int.h"

static orth_err
io_err(void)
{
	return errno == ENOENT ? ORTH_E_NOTFOUND
	     : errno == ENOSPC ? ORTH_E_NOSPACE
			       : ORTH_E_IO;
}

orth_err
ccache_file_load(const char *path, uint8_t **buf_out, size_t *len_out)
{
	uint8_t *buf = NULL;
	size_t cap = 0, len = 0;
	struct stat st;
	orth_err ret = ORTH_OK;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return io_err();
	CHECK(fstat(fd, &st) == 0, ORTH_E_IO);
	CHECK(S_ISREG(st.st_mode), ORTH_E_IO);
	CHECK(st.st_size >= 0 && (uint64_t)st.st_size <= CCACHE_MAX_FILE,
	      ORTH_E_LIMIT);
	/* One byte more than the size, to notice a file that grew. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	CHECK(buf != NULL, ORTH_E_NOMEM);
	for (;;) {
		ssize_t n;
		if (len == cap) {
			uint8_t *nb;
			CHECK(cap <= CCACHE_MAX_FILE, ORTH_E_LIMIT);
			nb = malloc(cap * 2);
			CHECK(nb != NULL, ORTH_E_NOMEM);
			memcpy(nb, buf, len);
			ccache_buf_free(buf, cap);
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, ORTH_E_IO);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	CHECK(len <= CCACHE_MAX_FILE, ORTH_E_LIMIT);
	*buf_out = buf;
	*len_out = len;
	buf = NULL;
cleanup:
	ccache_buf_free(buf, cap);
	close(fd);
	return ret;
}

static orth_err
write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return io_err();
		buf += n;
		len -= (size_t)n;
	}
	return ORTH_OK;
}

orth_err
ccache_file_save(const char *path, const uint8_t *buf, size_t len)
{
	size_t n = strlen(path) + sizeof(".tmpXXXXXX");
	char *tmp = malloc(n);
	orth_err ret = ORTH_OK;
	int fd = -1;

	if (tmp == NULL)
		return ORTH_E_NOMEM;
	/* Same directory, so rename(2) replaces the cache atomically; the
	 * name is unique and created with O_EXCL and mode 0600. */
	snprintf(tmp, n, "%s.tmpXXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = io_err();
		free(tmp);
		return ret;
	}
	CHECK(fchmod(fd, S_IRUSR | S_IWUSR) == 0, ORTH_E_IO);
	TRY(write_all(fd, buf, len));
	CHECK(fsync(fd) == 0, io_err());
	CHECK(close(fd) == 0, io_err());
	fd = -1;
	CHECK(rename(tmp, path) == 0, io_err());
	free(tmp);
	return ORTH_OK;
cleanup:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return ret;
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
	fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return io_err();
	CHECK(fstat(fd, &st) == 0, ORTH_E_IO);
	CHECK(S_ISREG(st.st_mode), ORTH_E_IO);
	/* The keys are gone from the disk blocks we can reach, not from
	 * copies a journal or snapshot kept (MIT's kdestroy does the same). */
	for (left = st.st_size; left > 0;) {
		size_t k = left > (off_t)sizeof(zeros) ? sizeof(zeros)
						       : (size_t)left;
		TRY(write_all(fd, zeros, k));
		left -= (off_t)k;
	}
	CHECK(fsync(fd) == 0, io_err());
	CHECK(unlink(path) == 0, io_err());
cleanup:
	close(fd);
	return ret;
}
