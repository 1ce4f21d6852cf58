#!/bin/bash
# Account lockout as MIT's kinit (Debian krb5-user) meets it on an Orthrus
# KDC: locked after max_fail wrong passwords (KDC_ERR_CLIENT_REVOKED, even
# for the right one), each refusal's reason on the KDC's log line, the lock
# shown by `orthrus admin get`, lifted by `orthrus admin unlock` or when
# lockout_duration has passed; two parallel floods of wrong passwords
# counted exactly; and a `kill -9` of the KDC in the middle of a flood
# losing no failure that was answered (or even logged).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
trap 'kill $(jobs -p) 2>/dev/null; orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC

orthkdc_start $REALM || exit 1
LOG=$ORTH_DIR/kdc.log
add() { # add NAME PASSWORD POLICY
	echo "$2" | orth_admin add "$1" --password-stdin --requires-preauth --policy "$3" >/dev/null ||
		{ echo "cannot add $1" >&2; exit 1; }
}
orth_admin policy add lock3 --maxfailure 3 --failurecountinterval 5m --lockoutduration 10m >/dev/null || exit 1
orth_admin policy add fast --maxfailure 2 --lockoutduration 3s >/dev/null || exit 1
orth_admin policy add many --maxfailure 100000 >/dev/null || exit 1
add carol carol-Pa55 lock3
add quick quick-Pa55 fast
add flood flood-Pa55 many
add crash crash-Pa55 many

k() { echo "$2" | kinit "$1"; }
# field NAME KEY: a value of `orthrus admin get NAME --json`
field() { orth_admin get "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
logged() { grep -c "client=$1@$REALM .*error=KDC_ERR_PREAUTH_FAILED " "${2:-$LOG}" || true; }

# 1. three wrong passwords lock carol, the right one is refused then
for i in 1 2 3; do
	expect_fail "wrong password $i: Password incorrect" "Password incorrect" k carol "wrong-$i"
done
expect_grep "KDC log: the third failure says it locked" \
	"client=carol@$REALM .*error=KDC_ERR_PREAUTH_FAILED reason=\"[^\"]* does not decrypt; client now locked out\"" "$LOG"
expect_fail "the right password while locked: revoked" "revoked" k carol carol-Pa55
expect_grep "KDC log: the lock is the reason, KDC_ERR_CLIENT_REVOKED" \
	"client=carol@$REALM .*error=KDC_ERR_CLIENT_REVOKED reason=\"client is locked out (too many failed pre-authentications)\"" "$LOG"
orth_admin get carol >"$ORTH_DIR/get"
expect_grep "admin get: 3 failed attempts" "^Failed password attempts: 3$" "$ORTH_DIR/get"
expect_grep "admin get: last failure" "^Last failed authentication: 20" "$ORTH_DIR/get"
expect_grep "admin get: locked until" "^Lock: locked until 20" "$ORTH_DIR/get"
[ "$(field carol locked)" = True ] && pass "admin get --json: locked" || fail "--json: not locked"
n=$(logged carol)
expect_fail "while locked a wrong password is refused before it is tried" "revoked" k carol wrong-4
[ "$(field carol fail_count)" -eq 3 ] && [ "$(logged carol)" -eq "$n" ] &&
	pass "a locked principal's failures are not counted" || fail "count $(field carol fail_count)"
expect_ok "admin unlock" orth_admin unlock carol
expect_grep "unlock says what it forgot" "unlocked carol@$REALM (3 failed pre-authentications forgotten)" "$CHECK_OUT"
expect_ok "kinit after the unlock" k carol carol-Pa55
# a success that resets a count records itself
expect_fail "one more wrong password" "Password incorrect" k carol wrong-5
expect_ok "then the right one" k carol carol-Pa55
orth_admin get carol >"$ORTH_DIR/get"
expect_grep "the success reset the count" "^Failed password attempts: 0$" "$ORTH_DIR/get"
expect_grep "and was recorded" "^Last successful authentication: 20" "$ORTH_DIR/get"
expect_grep "unlocked" "^Lock: not locked$" "$ORTH_DIR/get"

# 2. the lock ends by itself after lockout_duration (3 s)
expect_fail "quick: wrong 1" "Password incorrect" k quick wrong-1
expect_fail "quick: wrong 2" "Password incorrect" k quick wrong-2
expect_fail "quick: locked" "revoked" k quick quick-Pa55
sleep 4
expect_ok "quick: lockout_duration passed" k quick quick-Pa55

# 3. two floods of wrong passwords in parallel, counted exactly
N=25
flood() { # flood NAME TAG COUNT
	local i
	for i in $(seq 1 "$3"); do
		echo "try" >>"$ORTH_DIR/$1.$2.tries"
		echo "wrong-$2-$i" | kinit "$1" >>"$ORTH_DIR/$1.$2.out" 2>&1
	done
}
flood flood a $N &
fa=$!
flood flood b $N &
fb=$!
wait $fa $fb
seen=$(cat "$ORTH_DIR"/flood.?.out | grep -c "Password incorrect")
[ "$seen" -eq $((2 * N)) ] && pass "every kinit of both floods: Password incorrect" || fail "floods: $seen of $((2 * N)) said Password incorrect"
[ "$(logged flood)" -eq $((2 * N)) ] && pass "KDC log: $((2 * N)) failures" || fail "KDC log: $(logged flood) failures"
count=$(field flood fail_count)
[ "$count" -eq $((2 * N)) ] && pass "two parallel floods counted exactly: $count" || fail "count $count, not $((2 * N))"

# 4. kill -9 in the middle of a flood: no failure that was logged (logged
# after the commit) or answered (after the log) is lost
M=200
flood_alive() { # NAME TAG: flood while the KDC lives
	local i=0
	while kill -0 "$ORTH_KDC_PID" 2>/dev/null && [ $i -lt $M ]; do
		i=$((i + 1))
		echo "try" >>"$ORTH_DIR/$1.$2.tries"
		echo "wrong-$2-$i" | kinit "$1" >>"$ORTH_DIR/$1.$2.out" 2>&1
	done
}
flood_alive crash a &
fa=$!
flood_alive crash b &
fb=$!
for i in $(seq 1 300); do
	[ "$(logged crash)" -ge 20 ] && break
	sleep 0.05
done
kill -9 "$ORTH_KDC_PID"
wait "$ORTH_KDC_PID" 2>/dev/null
ORTH_KDC_PID=
wait $fa $fb
cp "$LOG" "$ORTH_DIR/kdc.log.killed"
seen=$(cat "$ORTH_DIR"/crash.?.out | grep -c "Password incorrect")
tries=$(cat "$ORTH_DIR"/crash.?.tries | wc -l)
logd=$(logged crash "$ORTH_DIR/kdc.log.killed")
count=$(field crash fail_count)
echo "kill -9: $tries tries, $seen answered, $logd logged, $count counted"
[ "$seen" -ge 10 ] && [ "$tries" -lt $((2 * M)) ] && pass "the KDC died mid-flood" || fail "not mid-flood: $seen answered of $tries"
[ "$count" -ge "$logd" ] && [ "$logd" -ge "$seen" ] &&
	pass "kill -9 lost no failure count ($count counted >= $logd logged >= $seen answered)" ||
	fail "kill -9 lost counts: $count counted, $logd logged, $seen answered"
[ "$count" -le "$tries" ] && [ "$count" -le $((logd + $(nproc))) ] &&
	pass "no failure counted twice (at most one unlogged per worker)" || fail "count $count > tries $tries or logged $logd + workers"
expect_ok "the database is whole after kill -9 (verify)" orth_admin verify
orthkdc_run || exit 1
expect_ok "the KDC restarts; the right password works" k crash crash-Pa55
[ "$(field crash fail_count)" -eq 0 ] && pass "and resets the count" || fail "count after success: $(field crash fail_count)"
check_done
