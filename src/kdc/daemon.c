/*
 * daemon.c - the daemon's helpers: a locked pidfile, detaching.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"

orth_err
kdc_pidfile_write(const char *path, int *fd_out)
{
	orth_err ret = ORTH_OK;
	int fd = -1;
	char buf[32];
	int len;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	CHECK(fd >= 0, ORTH_E_IO);
	/* An open-file-description lock: unlike a classic POSIX lock it is not
	 * dropped when some other descriptor of the file is closed. */
	if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
		ret = (errno == EACCES || errno == EAGAIN) ? ORTH_E_EXISTS : ORTH_E_IO;
		goto cleanup;
	}
	CHECK(ftruncate(fd, 0) == 0, ORTH_E_IO);
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	CHECK(pwrite(fd, buf, (size_t)len, 0) == len, ORTH_E_IO);
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

void
kdc_pidfile_remove(const char *path, int fd)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
}

orth_err
kdc_daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid < 0)
		return ORTH_E_IO;
	if (pid > 0)
		_exit(0);
	/* From here on, failures cannot reach the terminal's caller. */
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		_exit(1);
	umask(022);
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		_exit(1);
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return ORTH_OK;
}
