/* notify.c - the sd_notify(3) protocol over AF_UNIX datagrams.  See notify.h. */
#include "notify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

orth_err
kdc_notify_open(int *fd_out)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	int fd = -1;
	orth_err ret = ORTH_OK;

	*fd_out = -1;
	if (path == NULL || path[0] == '\0')
		return ORTH_OK;
	n = strlen(path);
	CHECK((path[0] == '/' || path[0] == '@') && n >= 2 && n < sizeof(sa.sun_path),
	      ORTH_E_CONFIG);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	/* "@name": the abstract namespace, whose names start with a NUL
	 * and are as long as the address length says (no NUL at the end) */
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0, ORTH_E_NETWORK);
	CHECK(connect(fd, (struct sockaddr *)&sa, len) == 0, ORTH_E_NETWORK);
	unsetenv("NOTIFY_SOCKET");
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

orth_err
kdc_notify_send(int fd, const char *state)
{
	size_t n = strlen(state);

	if (fd < 0)
		return ORTH_OK;
	return send(fd, state, n, MSG_NOSIGNAL) == (ssize_t)n ? ORTH_OK : ORTH_E_NETWORK;
}

void
kdc_notify_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
