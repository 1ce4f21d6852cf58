# check.sh - assertions for interop tests (sourced by bash).
# Each failure is printed and counted; `check_done` exits 1 if any failed.
#
#   check_at_done CMD   run CMD at the start of check_done, before the
#                       count (the daemon libraries register their stop:
#                       how a daemon ended is a check of the test)
#   check_late_exit     for an EXIT trap, after check_done: exit 1 when a
#                       check failed after check_done had counted
CHECK_FAILS=0
CHECK_COUNT=0
CHECK_AT_DONE=()
CHECK_DONE_FAILS=

pass() { CHECK_COUNT=$((CHECK_COUNT + 1)); echo "ok: $*"; }
fail() { CHECK_COUNT=$((CHECK_COUNT + 1)); CHECK_FAILS=$((CHECK_FAILS + 1)); echo "FAIL: $*" >&2; }

# expect_ok DESC CMD...: the command must succeed
expect_ok() {
	local desc=$1; shift
	if "$@" >"$CHECK_OUT" 2>&1; then pass "$desc"; else fail "$desc"; sed 's/^/    /' "$CHECK_OUT" >&2; fi
}

# expect_fail DESC PATTERN CMD...: the command must fail and print PATTERN.
# PATTERN must not be empty: an empty one matches any failure, a dead KDC
# or a missing program included.
expect_fail() {
	local desc=$1 pat=$2; shift 2
	if [ -z "$pat" ]; then
		fail "$desc (expect_fail without a pattern: name the expected error)"
	elif "$@" >"$CHECK_OUT" 2>&1; then
		fail "$desc (succeeded)"
	elif grep -q -- "$pat" "$CHECK_OUT"; then
		pass "$desc"
	else
		fail "$desc (no '$pat' in output)"; sed 's/^/    /' "$CHECK_OUT" >&2
	fi
}

# expect_grep DESC PATTERN FILE
expect_grep() {
	if grep -q -- "$2" "$3"; then pass "$1"; else fail "$1 (no '$2')"; sed 's/^/    /' "$3" >&2; fi
}

check_at_done() {
	local c
	for c in "${CHECK_AT_DONE[@]}"; do [ "$c" = "$1" ] && return 0; done
	CHECK_AT_DONE+=("$1")
}

check_done() {
	local c
	for c in "${CHECK_AT_DONE[@]}"; do $c; done
	CHECK_AT_DONE=()
	echo "$CHECK_COUNT checks, $CHECK_FAILS failed"
	CHECK_DONE_FAILS=$CHECK_FAILS
	[ "$CHECK_FAILS" -eq 0 ]
}

check_late_exit() {
	if [ -n "$CHECK_DONE_FAILS" ] && [ "$CHECK_FAILS" -gt "$CHECK_DONE_FAILS" ]; then
		echo "$((CHECK_FAILS - CHECK_DONE_FAILS)) check(s) failed after check_done" >&2
		rm -f "$CHECK_OUT"
		exit 1
	fi
}

CHECK_OUT=$(mktemp /tmp/check-out.XXXXXX)
trap 'rm -f "$CHECK_OUT"' EXIT
