#!/usr/bin/env python3
"""Sum the results of every `meson test` run of `make check` (their
testlog.json files) and print the last line: `N passed, N failed, N skipped`.

A skipped test (exit 77) is a failure unless tests/skip-allowlist names it
with a reason: an allowed skip is printed with that reason and counted as
skipped, any other skip is printed and counted as failed.  Every skip is
printed by name.  Exit status 1 when anything failed or nothing ran.

  summarize.py [--allowlist FILE] TESTLOG.json...
"""
import json
import os
import sys

DEFAULT_ALLOWLIST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "..", "tests", "skip-allowlist")


def read_allowlist(path):
    """name -> reason; lines are `name reason`, '#' starts a comment."""
    allowed = {}
    with open(path, encoding="utf-8") as f:
        for num, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{path}:{num}: '{name}' has no reason")
            allowed[name] = reason.strip()
    return allowed


def short_name(name):
    """'orthrus:unit / kdc_net' -> 'kdc_net'."""
    return name.rsplit(" / ", 1)[-1].strip()


def main(argv):
    allowlist, label = DEFAULT_ALLOWLIST, "tests/skip-allowlist"
    if len(argv) >= 2 and argv[0] == "--allowlist":
        allowlist, label, argv = argv[1], argv[1], argv[2:]
    try:
        allowed = read_allowlist(allowlist)
    except OSError as e:
        print(f"cannot read the skip allow-list: {e}")
        return 1
    passed = failed = skipped = 0
    for path in argv:
        try:
            lines = open(path, encoding="utf-8").read().splitlines()
        except OSError:
            print(f"FAILED: {path}: missing (its build or test run failed)")
            failed += 1
            continue
        for line in lines:
            if not line.strip():
                continue
            rec = json.loads(line)
            res = rec.get("result")
            name = rec.get("name", "?")
            if res in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif res == "SKIP":
                reason = allowed.get(short_name(name)) or allowed.get(name)
                if reason is not None:
                    skipped += 1
                    print(f"SKIPPED (allowed: {reason}): {name} ({path})")
                else:
                    failed += 1
                    print(f"FAILED (skipped, not in {label}): {name} ({path})")
            else:
                failed += 1
                print(f"FAILED: {name} [{res}] ({path})")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
