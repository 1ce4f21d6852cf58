#!/bin/sh
# `make bench BUILD`: run every benchmark of the release build, then print
# a short table.  Not a test: nothing here asserts a speed; a benchmark
# exits non-zero only when its replies are wrong.
#   BENCH_SECONDS   seconds per in-process KDC case (default 1)
#   LOAD_SECONDS    seconds of UDP load per KDC (default 5)
#   LOAD_INFLIGHT   requests in flight (default 32)
# bench/callgrind.sh BUILD gives instruction counts instead (not run here).
set -eu
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/orthbench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
rc=0

echo "== codec and crypto (bench_codec)"
"$build/bench/bench_codec" "$top/tests/vectors" || rc=1
echo "== KDC in process, kdc_handle() (bench_kdc)"
"$build/bench/bench_kdc" -t "${BENCH_SECONDS:-1}" >"$tmp/kdc" || rc=1
cat "$tmp/kdc"
echo "== KDC over UDP on loopback, Orthrus vs MIT (kdc_load.sh)"
lrc=0
: >"$tmp/loadsum"
LOAD_SUMMARY=$tmp/loadsum bash "$top/bench/kdc_load.sh" "$build" || lrc=$?
# 77: MIT's KDC not installed; the Orthrus line stands alone
[ "$lrc" -eq 0 ] || [ "$lrc" -eq 77 ] || rc=1

echo
echo "== summary"
printf '%-34s %12s %10s\n' "benchmark" "per second" "us each"
awk '/^kdc / { printf "%-34s %12s %10s\n", "kdc_handle " $2, $3, $5 }' "$tmp/kdc"
awk -F '\t' '{ printf "%-34s %12s %10s\n", "udp " $1, $2, "-" }' "$tmp/loadsum"
exit $rc
