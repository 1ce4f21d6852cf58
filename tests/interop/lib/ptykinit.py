#!/usr/bin/python3
"""ptykinit.py PASSWORD CMD... - run CMD on a pseudo-terminal, answer its
"Password for" prompt with PASSWORD, and fail when the password shows up
in what the terminal displayed (it must be read without echo)."""
import os
import pty
import sys
import time

pw = sys.argv[1].encode()
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
sent = False
deadline = time.time() + 20
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    if not sent and b"Password for " in out:
        time.sleep(0.2)  # let the command turn echo off before typing
        os.write(fd, pw + b"\n")
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
if not sent:
    sys.exit("no password prompt")
if pw in out:
    sys.exit("the password was echoed")
sys.exit(os.waitstatus_to_exitcode(status))
