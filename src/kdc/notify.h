/*
 * notify.h - telling the service manager how the KDC is doing: the
 * sd_notify(3) protocol, which is one datagram of "KEY=VALUE" lines sent
 * to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or "@name" in
 * the abstract namespace).  systemd's Type=notify units wait for
 * "READY=1" before they count as started; "STATUS=" is what `systemctl
 * status` shows; "STOPPING=1" says a stop has begun.
 *
 * A few lines over a datagram socket rather than libsystemd: the protocol
 * is this small and documented as stable, and the KDC need not link
 * libsystemd's dependencies for it.
 *
 * kdc_notify_open() connects once, early: before privileges are dropped,
 * as the socket may be somewhere the unprivileged user cannot reach.
 */
#ifndef ORTHRUS_KDC_NOTIFY_H
#define ORTHRUS_KDC_NOTIFY_H

#include "base/err.h"

/*
 * Connect to $NOTIFY_SOCKET (and unset it, so that nothing we start
 * inherits it).  *fd_out: the socket, or -1 when the variable is not set
 * (then every send is a no-op).  ORTH_E_CONFIG (not an absolute path or
 * "@name", or too long), ORTH_E_NETWORK (socket or connect failed).
 */
orth_err kdc_notify_open(int *fd_out);

/* Send state ("READY=1\nSTATUS=serving"); ORTH_OK when fd is -1.
 * ORTH_E_NETWORK when the send fails. */
orth_err kdc_notify_send(int fd, const char *state);

/* Close fd; -1 is fine. */
void kdc_notify_close(int fd);

#endif
