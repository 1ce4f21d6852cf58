#!/bin/sh
# bench/callgrind.sh BUILD [COUNT]: instructions per exchange through
# kdc_handle() (as-preauth: its two requests), counted by callgrind inside
# bench_batch_run only (request building, warm-up and checks are outside
# it).  Repeatable where the timings of bench_kdc are not.  Not run by
# `make bench` (slow).
#   CALLGRIND_CASES="tgs tgs-fast"  only these cases
#   CALLGRIND_ARGS=-l  more bench_kdc options (-l: with the lookaside cache)
#   CALLGRIND_KEEP=DIR  keep the callgrind.out.* files there
#                       (callgrind_annotate them to see where the cost is)
set -eu
build=$1
count=${2:-200}
bin=$build/bench/bench_kdc
command -v valgrind >/dev/null 2>&1 || { echo "callgrind.sh: valgrind not installed" >&2; exit 77; }
[ -x "$bin" ] || { echo "callgrind.sh: no $bin" >&2; exit 1; }
dir=$(mktemp -d /tmp/orthcg.XXXXXX)
trap 'rm -rf "$dir"' EXIT
printf '%-18s %14s\n' "exchange" "instr/exchange"
for c in ${CALLGRIND_CASES:-as-nopreauth as-preauth as-enc-timestamp tgs tgs-fast preauth-required}; do
	valgrind --tool=callgrind --collect-atstart=no --toggle-collect='bench_batch_run*' \
		--callgrind-out-file="$dir/callgrind.out.$c" \
		"$bin" -n "$count" -c "$c" ${CALLGRIND_ARGS:-} >"$dir/$c.out" 2>"$dir/$c.err" || {
		cat "$dir/$c.err" >&2
		exit 1
	}
	total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$dir/callgrind.out.$c")
	[ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/callgrind.out.$c")
	printf '%-18s %14d\n' "$c" $((total / count))
	if [ -n "${CALLGRIND_KEEP:-}" ]; then
		cp "$dir/callgrind.out.$c" "$CALLGRIND_KEEP/"
	fi
done
