#!/usr/bin/python3
"""notifywait.py - play systemd's side of sd_notify(3) for a test.

  notifywait.py SOCKET OUT PORT [SECONDS]

Binds an AF_UNIX datagram socket at SOCKET (the test passes it to the KDC
as $NOTIFY_SOCKET) and appends every message it gets to OUT, one line per
message, its KEY=VALUE lines joined by " | ".  The moment a message says
READY=1 it probes the KDC on 127.0.0.1:PORT once, without retrying: a TCP
request whose length prefix has the high bit set, which a serving KDC must
answer with KRB_ERR_FIELD_TOOLONG (RFC 4120 section 7.2.2).  It writes
"probe: error 61" (or "probe: failed ...") to OUT.  It returns after
STOPPING=1 (exit 0) or after SECONDS without it (exit 1, default 60).
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kdcpoke import kind  # noqa: E402


def probe(port):
    try:
        s = socket.create_connection(("127.0.0.1", port), 2)
        s.settimeout(2)
        s.sendall(b"\x80\x00\x00\x00")
        head = b""
        while len(head) < 4:
            b = s.recv(4 - len(head))
            if not b:
                return "failed: closed without a reply"
            head += b
        n = struct.unpack(">I", head)[0]
        rep = b""
        while len(rep) < n:
            b = s.recv(n - len(rep))
            if not b:
                break
            rep += b
        s.close()
        return kind(rep)
    except OSError as e:
        return "failed: %s" % e


def main():
    path, out, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    end = time.monotonic() + limit
    with open(out, "a", buffering=1) as f:
        f.write("listening\n")
        while True:
            left = end - time.monotonic()
            if left <= 0:
                f.write("timeout\n")
                return 1
            s.settimeout(left)
            try:
                msg = s.recv(4096).decode("utf-8", "replace")
            except socket.timeout:
                continue
            lines = msg.split("\n")
            if "READY=1" in lines:
                # first the probe, then the bookkeeping: nothing between
                # the notification and the request
                result = probe(port)
                f.write("msg: %s\n" % " | ".join(lines))
                f.write("probe: %s\n" % result)
            else:
                f.write("msg: %s\n" % " | ".join(lines))
            if "STOPPING=1" in lines:
                return 0


if __name__ == "__main__":
    sys.exit(main())
