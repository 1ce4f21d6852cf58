#!/usr/bin/python3
"""ptydrive.py PROMPT ANSWER [PROMPT ANSWER ...] -- CMD... - run CMD on a
pseudo-terminal and answer its prompts in order: when what the terminal
displayed since the previous answer contains PROMPT, type ANSWER.  Prints
what the terminal displayed.  Fails when a prompt never came, when the
command failed, or when an answer (a password: it must be read without
echo) shows up in the output.  Stops the command after 30 seconds."""
import os
import pty
import signal
import sys
import time

args = sys.argv[1:]
if "--" not in args:
    sys.exit("usage: ptydrive.py PROMPT ANSWER ... -- CMD...")
sep = args.index("--")
pairs, cmd = args[:sep], args[sep + 1:]
if len(pairs) % 2 != 0 or not cmd:
    sys.exit("usage: ptydrive.py PROMPT ANSWER ... -- CMD...")
script = [(pairs[i].encode(), pairs[i + 1].encode()) for i in range(0, len(pairs), 2)]

pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""
seen = 0          # output consumed by the answers so far
step = 0
deadline = time.time() + 30
while time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    while step < len(script) and script[step][0] in out[seen:]:
        seen = out.index(script[step][0], seen) + len(script[step][0])
        time.sleep(0.2)  # let the command turn echo off before typing
        os.write(fd, script[step][1] + b"\n")
        step += 1
else:
    os.kill(pid, signal.SIGKILL)
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
if step < len(script):
    sys.exit("no prompt '%s'" % script[step][0].decode(errors="replace"))
for _, answer in script:
    if answer in out:
        sys.exit("an answer was echoed")
sys.exit(os.waitstatus_to_exitcode(status))
