#!/usr/bin/env python3
"""test_summarize.py - tools/summarize.py, the last line of `make check`,
on made-up meson testlogs: a skip not on the allow-list is a failure (and
exits 1), an allowed one is counted and printed with its reason, a missing
testlog is a failure, an allow-list line without a reason is refused.

  test_summarize.py SUMMARIZE   (the path of tools/summarize.py)
"""
import json
import os
import subprocess
import sys
import tempfile

FAILS = 0


def check(desc, cond, detail=""):
    global FAILS
    if cond:
        print(f"ok: {desc}")
    else:
        FAILS += 1
        print(f"FAIL: {desc}\n    {detail}", file=sys.stderr)


def testlog(d, name, results):
    """A testlog.json of (test name, meson result) pairs."""
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        for test, res in results:
            f.write(json.dumps({"name": f"orthrus:unit / {test}", "result": res}) + "\n")
    return path


def run(summarize, *args):
    p = subprocess.run([sys.executable, summarize, *args], capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    return p.returncode, lines[-1] if lines else "", p.stdout


def main(summarize):
    with tempfile.TemporaryDirectory() as d:
        allow = os.path.join(d, "allow")
        with open(allow, "w", encoding="utf-8") as f:
            f.write("# comment\nmay_skip the host lacks the thing\n")
        ok = testlog(d, "ok.json", [("a", "OK"), ("b", "OK"), ("c", "EXPECTEDFAIL")])
        skip = testlog(d, "skip.json", [("a", "OK"), ("not_listed", "SKIP")])
        allowed = testlog(d, "allowed.json", [("a", "OK"), ("may_skip", "SKIP")])
        bad = testlog(d, "bad.json", [("a", "OK"), ("broken", "FAIL"), ("slow", "TIMEOUT")])
        empty = testlog(d, "empty.json", [])

        rc, last, _ = run(summarize, "--allowlist", allow, ok)
        check("all passed: exit 0", rc == 0 and last == "3 passed, 0 failed, 0 skipped", last)
        # The repository's own allow-list (no --allowlist): a skip of a
        # test it does not name fails the run.
        rc, last, out = run(summarize, skip)
        check("a skip not on the allow-list is a failure",
              rc == 1 and last == "1 passed, 1 failed, 0 skipped", last)
        check("... and is printed by name", "not_listed" in out and "skip" in out, out)
        rc, last, out = run(summarize, "--allowlist", allow, allowed)
        check("an allowed skip is counted as skipped, exit 0",
              rc == 0 and last == "1 passed, 0 failed, 1 skipped", last)
        check("... and printed with its reason",
              "may_skip" in out and "the host lacks the thing" in out, out)
        rc, last, _ = run(summarize, "--allowlist", allow, bad)
        check("failures and timeouts fail", rc == 1 and last == "1 passed, 2 failed, 0 skipped",
              last)
        rc, last, _ = run(summarize, "--allowlist", allow, ok, os.path.join(d, "none.json"))
        check("a missing testlog is a failure", rc == 1 and "1 failed" in last, last)
        rc, last, _ = run(summarize, "--allowlist", allow, empty)
        check("nothing ran: exit 1", rc == 1, last)
        noreason = os.path.join(d, "noreason")
        with open(noreason, "w", encoding="utf-8") as f:
            f.write("may_skip\n")
        rc, _, _ = run(summarize, "--allowlist", noreason, allowed)
        check("an allow-list entry without a reason is refused", rc != 0)
    print(f"summarize: {FAILS} failed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
