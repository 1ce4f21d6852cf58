#!/usr/bin/python3
"""ptysignal.py HOW CMD... - run CMD on a pseudo-terminal (as its
controlling terminal), wait for its "Password for" prompt, then interrupt
it: HOW "sigint" types Ctrl-C (the terminal sends SIGINT), "sigterm" sends
SIGTERM to the process.  When CMD has ended, prints "echo restored" if the
terminal echoes again, else "echo NOT restored" and exits 1.  Fails too
when echo was not off at the prompt (the check could not fail then)."""
import fcntl
import os
import select
import signal
import sys
import termios
import time

how, cmd = sys.argv[1], sys.argv[2:]
if how not in ("sigint", "sigterm") or not cmd:
    sys.exit("usage: ptysignal.py sigint|sigterm CMD...")
master, slave = os.openpty()
attrs = termios.tcgetattr(slave)
attrs[3] |= termios.ECHO | termios.ICANON | termios.ISIG
termios.tcsetattr(slave, termios.TCSANOW, attrs)
pid = os.fork()
if pid == 0:
    os.close(master)
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    if slave > 2:
        os.close(slave)
    os.execvp(cmd[0], cmd)


def drain(until, want=None):
    """Read what the terminal shows until `want` appears or time is up."""
    out = b""
    while time.time() < until:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            out += chunk
            if want is not None and want in out:
                break
    return out


out = drain(time.time() + 20, b"Password for ")
if b"Password for " not in out:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit("no password prompt: %r" % out)
time.sleep(0.3)  # the prompt is printed before echo goes off
if termios.tcgetattr(slave)[3] & termios.ECHO:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit("echo was still on at the password prompt")
if how == "sigint":
    os.write(master, b"\x03")
else:
    os.kill(pid, signal.SIGTERM)
deadline = time.time() + 10
status = None
while time.time() < deadline:
    drain(time.time() + 0.2)
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
        break
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    sys.exit("the command did not end after %s" % how)
echo = termios.tcgetattr(slave)[3] & termios.ECHO
how_ended = ("signal %d" % os.WTERMSIG(status)) if os.WIFSIGNALED(status) \
    else ("exit %d" % os.WEXITSTATUS(status))
if echo:
    print("echo restored (%s)" % how_ended)
    sys.exit(0)
print("echo NOT restored (%s)" % how_ended)
sys.exit(1)
