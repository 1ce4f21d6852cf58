#!/bin/sh
# run.sh BUILD SECONDS - run every fuzz harness of BUILD for SECONDS each
# (make fuzz).  New inputs go to BUILD/fuzz/corpus-<name>; the seeds in
# fuzz/corpus/<name> are only read.  Prints the executions each reached.
set -u
build=${1:?usage: run.sh BUILD SECONDS}
secs=${2:-60}
src=$(cd "$(dirname "$0")" && pwd)
status=0
for exe in "$build"/fuzz/fuzz_*; do
	[ -f "$exe" ] && [ -x "$exe" ] || continue
	case $exe in *.log) continue ;; esac
	name=${exe##*/fuzz_}
	mkdir -p "$build/fuzz/corpus-$name"
	log="$build/fuzz/fuzz_$name.log"
	if "$exe" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	    -print_final_stats=1 "$build/fuzz/corpus-$name" \
	    "$src/corpus/$name" >"$log" 2>&1; then
		res=ok
	else
		res=FAILED
		status=1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "fuzz_$name: $res, ${execs:-?} executions in ${secs}s (log: $log)"
done
exit $status
