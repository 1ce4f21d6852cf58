#!/bin/sh
# replay.sh HARNESS [-FLAG...] DIR... - the fuzz test of `make check`: run
# HARNESS (with libFuzzer's -FLAGs, e.g. -artifact_prefix=) once
# on every file of the committed corpora DIR... (libFuzzer's individual-file
# mode: no mutation, no corpus written, nothing kept between runs), so two
# runs replay the same inputs with the same result.  The long randomized
# fuzzing is `make fuzz` (fuzz/run.sh).  An empty or missing corpus fails:
# a replay of nothing would pass without testing anything.
set -u
exe=${1:?usage: replay.sh HARNESS [-FLAG...] DIR...}
shift
flags=
while [ $# -gt 0 ]; do
	case $1 in -*) flags="$flags $1"; shift ;; *) break ;; esac
done
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for dir in "$@"; do
	if [ ! -d "$dir" ]; then
		echo "replay: no corpus directory $dir" >&2
		exit 1
	fi
	find "$dir" -type f ! -name '.*' >>"$tmp"
done
n=$(wc -l <"$tmp")
if [ "$n" -eq 0 ]; then
	echo "replay: the corpora $* hold no input" >&2
	exit 1
fi
# Corpus file names are hashes and hand-given names, flags have no spaces.
# shellcheck disable=SC2046,SC2086
set -- $(sort "$tmp")
echo "replay: $n inputs"
"$exe" -seed=1 -runs=1 -timeout=10 -rss_limit_mb=1024 -error_exitcode=1 $flags "$@"
rc=$?
# 77 would read as "skipped" to meson: a finding is a failure.
[ "$rc" -eq 77 ] && rc=1
exit "$rc"
