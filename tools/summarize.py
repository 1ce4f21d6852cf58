#!/usr/bin/env python3
"""Sum the results of every `meson test` run of `make check` (their
testlog.json files) and print the last line: `N passed, N failed`.
Exit status 1 when anything failed or nothing ran."""
import json
import sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path, encoding="utf-8").read().splitlines()
    except OSError:
        print(f"{path}: missing (its build or test run failed)")
        failed += 1
        continue
    for line in lines:
        if not line.strip():
            continue
        rec = json.loads(line)
        res = rec.get("result")
        if res in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif res == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"FAILED: {rec.get('name')} ({path})")
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
