# check.sh - assertions for interop tests (sourced by bash).
# Each failure is printed and counted; `check_done` exits 1 if any failed.
CHECK_FAILS=0
CHECK_COUNT=0

pass() { CHECK_COUNT=$((CHECK_COUNT + 1)); echo "ok: $*"; }
fail() { CHECK_COUNT=$((CHECK_COUNT + 1)); CHECK_FAILS=$((CHECK_FAILS + 1)); echo "FAIL: $*" >&2; }

# expect_ok DESC CMD...: the command must succeed
expect_ok() {
	local desc=$1; shift
	if "$@" >"$CHECK_OUT" 2>&1; then pass "$desc"; else fail "$desc"; sed 's/^/    /' "$CHECK_OUT" >&2; fi
}

# expect_fail DESC PATTERN CMD...: the command must fail and print PATTERN
expect_fail() {
	local desc=$1 pat=$2; shift 2
	if "$@" >"$CHECK_OUT" 2>&1; then
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

check_done() {
	echo "$CHECK_COUNT checks, $CHECK_FAILS failed"
	[ "$CHECK_FAILS" -eq 0 ]
}

CHECK_OUT=$(mktemp /tmp/check-out.XXXXXX)
trap 'rm -f "$CHECK_OUT"' EXIT
