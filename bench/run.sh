#!/bin/sh
# `make bench BUILD`: run every benchmark of the release build.
set -eu
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
"$build/bench/bench_codec" "$top/tests/vectors"
