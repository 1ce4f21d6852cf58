#!/bin/bash
# `orthrus explain` on refusals that MIT's kinit and kvno (Debian
# krb5-user) provoke from an Orthrus KDC: each cause in plain words, with
# what to do, from the KDC's log (JSON lines, then text) and the database:
# a wrong password (and how many more lock the account), an expired
# password (its date), a service name that is not in the database (and
# the close one that is), a client clock 412 s ahead (faketime), a
# disabled account, an expired account, a lockout, an unknown client, a
# client over its share of the replay cache (our kvno), and
# a login abandoned at the password prompt.  The normal first round of a
# password login (PREAUTH_REQUIRED, then success) is no refusal.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=EXPLAIN.REALM
export LC_ALL=C TZ=UTC
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT

# Encrypted timestamp, not SPAKE (on by default): only a timestamp shows the
# KDC the client's clock, and the skew case is one of the causes explained.
# A replay cache of one group (64 slots): one client's share is 8.
ORTH_KDCDEFAULTS=$'spake_preauth_groups =\n\tkdc_replay_cache_size = 64' \
	ORTH_KDC_ARGS=--log-json orthkdc_start $REALM || exit 1
LOG=$ORTH_DIR/kdc.log
orth_admin policy add lock5 --maxfailure 5 --lockoutduration 10m >/dev/null || exit 1
orth_admin policy add lock2 --maxfailure 2 --lockoutduration 0 >/dev/null || exit 1
add() { # add NAME [ARGS...]
	local n=$1
	shift
	echo "$n-Pa55" | orth_admin add "$n" --password-stdin --requires-preauth "$@" >/dev/null ||
		{ echo "cannot add $n" >&2; exit 1; }
}
add alice --policy lock5
add bob
add carol
add dave
add erin --policy lock2
add frank
add pwexp
add okuser
add grace
for i in $(seq 1 9); do
	orth_admin add "svc$i/web.explain.realm" --random-key >/dev/null || exit 1
done
orth_admin add host/web.explain.realm --random-key >/dev/null || exit 1
orth_admin modify pwexp --pw-expires 2020-01-01 >/dev/null || exit 1
orth_admin modify carol --attr disallow-all-tix >/dev/null || exit 1
orth_admin modify dave --expires 2020-01-01 >/dev/null || exit 1

k() { echo "$2" | kinit "$1"; }
explain() { "$ORTHRUS" explain "$@" --log "$LOG"; }

# the refusals, by MIT's tools
expect_ok "okuser logs in (PREAUTH_REQUIRED, then a TGT)" k okuser okuser-Pa55
for i in 1 2 3; do
	expect_fail "alice: wrong password $i" "Password incorrect" k alice "wrong-$i"
done
expect_fail "pwexp: password expired" "Password has expired\|Password expired" k pwexp pwexp-Pa55
expect_ok "alice logs in" k alice alice-Pa55
expect_fail "kvno of a short host name" "not found in Kerberos database" kvno host/web
sed 's/^\[libdefaults\]$/&\n\tkdc_timesync = 0/' "$KRB5_CONFIG" >"$ORTH_DIR/krb5-nosync.conf"
expect_fail "bob's clock 412 s ahead" "Clock skew too great" \
	env KRB5_CONFIG="$ORTH_DIR/krb5-nosync.conf" faketime -f +412s bash -c "echo bob-Pa55 | kinit bob"
expect_fail "carol: disabled" "revoked" k carol carol-Pa55
expect_fail "dave: account expired" "revoked\|expired" k dave dave-Pa55
expect_fail "erin: wrong password 1" "Password incorrect" k erin wrong-1
expect_fail "erin: wrong password 2" "Password incorrect" k erin wrong-2
expect_fail "erin: locked out" "revoked" k erin erin-Pa55
expect_fail "an unknown client" "not found in Kerberos database" k alicee x
expect_fail "frank gives up at the prompt" "Password for frank\|Cannot read password\|EOF" \
	kinit frank </dev/null
expect_ok "grace logs in" k grace grace-Pa55
svcs=()
for i in $(seq 1 9); do svcs+=("svc$i/web.explain.realm"); done
# (our kvno: MIT's library retries KDC_ERR_SVC_UNAVAILABLE for ~25 s)
expect_fail "grace: a 9th service ticket within the skew is over her replay-cache share" \
	"not available\|unavailable" "$ORTHRUS" kvno "${svcs[@]}"
expect_grep "the log is JSON lines with result names" \
	'"client":"alice@EXPLAIN.REALM","service":"krbtgt/EXPLAIN.REALM@EXPLAIN.REALM","result":"KDC_ERR_PREAUTH_FAILED","code":24' "$LOG"

# 1. wrong password, three times; two more lock alice
explain alice >"$ORTH_DIR/alice.out" 2>&1
expect_grep "alice: wrong password, 3 times" "^\* wrong password (.*3 times, KDC_ERR_PREAUTH_FAILED)$" "$ORTH_DIR/alice.out"
# her login since reset the count (kdc/lockout.h)
expect_grep "alice: how many more lock the account" \
	"0 failures counted now: 5 more will lock the account (policy lock5 allows 5)" "$ORTH_DIR/alice.out"
expect_grep "alice: what to do" "set a new one with \`orthrus admin set-password alice\`" "$ORTH_DIR/alice.out"
expect_grep "alice: her later login is noticed" "Since then the same request succeeded" "$ORTH_DIR/alice.out"
expect_grep "alice: the short service name is hers too (TGS)" \
	"service host/web not in the database: did you mean host/web.explain.realm?" "$ORTH_DIR/alice.out"
if grep -q "pre-authentication and never answered" "$ORTH_DIR/alice.out"; then
	fail "alice: her PREAUTH_REQUIRED rounds were followed up"
else
	pass "alice: no 'never answered' for rounds she followed up"
fi

# 2. expired password, with its date and the command
explain pwexp >"$ORTH_DIR/pwexp.out" 2>&1
expect_grep "pwexp: password expired on its date" "^\* password expired on 2020-01-01 (at 20" "$ORTH_DIR/pwexp.out"
expect_grep "pwexp: set a new one" "\`orthrus admin set-password pwexp\`" "$ORTH_DIR/pwexp.out"
expect_grep "pwexp: a ticket for kadmin/changepw solves no login" "1 refused" "$ORTH_DIR/pwexp.out"
if grep -q "Since then" "$ORTH_DIR/pwexp.out"; then fail "pwexp: called solved"; else pass "pwexp: not called solved"; fi

# 3. clock skew, in seconds, and whose clock is wrong
explain bob >"$ORTH_DIR/bob.out" 2>&1
expect_grep "bob: clock skew of about 412 s" "^\* clock skew of 41[0-4] s (at 20.*KRB_AP_ERR_SKEW)$" "$ORTH_DIR/bob.out"
expect_grep "bob: the client's clock is ahead" "The client's clock is 41[0-4] s ahead of the KDC's; at most 300 s are allowed" \
	"$ORTH_DIR/bob.out"
expect_grep "bob: the client's clock is wrong" "the client's clock is wrong" "$ORTH_DIR/bob.out"

# 4. disabled, expired, locked out
explain carol >"$ORTH_DIR/carol.out" 2>&1
expect_grep "carol: disabled" "^\* the account is disabled (disallow-all-tix)" "$ORTH_DIR/carol.out"
expect_grep "carol: what to do" "orthrus admin modify carol --attr -disallow-all-tix" "$ORTH_DIR/carol.out"
explain dave >"$ORTH_DIR/dave.out" 2>&1
expect_grep "dave: expired account, its date" "^\* the account expired on 2020-01-01" "$ORTH_DIR/dave.out"
expect_grep "dave: what to do" "orthrus admin modify dave --expires never" "$ORTH_DIR/dave.out"
explain erin >"$ORTH_DIR/erin.out" 2>&1
expect_grep "erin: locked out" "^\* locked out after too many wrong passwords (at 20.*KDC_ERR_CLIENT_REVOKED)$" "$ORTH_DIR/erin.out"
expect_grep "erin: until unlocked" "2 failures under policy lock2; locked until an administrator unlocks it" \
	"$ORTH_DIR/erin.out"
expect_grep "erin: unlock" "\`orthrus admin unlock erin\`" "$ORTH_DIR/erin.out"
expect_grep "erin: the failures that locked it" "These failures locked the account (policy lock2 allows 2)" \
	"$ORTH_DIR/erin.out"

# 5. an unknown client, and the close name
explain alicee >"$ORTH_DIR/alicee.out" 2>&1
expect_grep "alicee: not in the database, did you mean alice" \
	"^\* alicee is not in the database: did you mean alice?" "$ORTH_DIR/alicee.out"

# 6. a login abandoned at the prompt
explain frank >"$ORTH_DIR/frank.out" 2>&1
expect_grep "frank: never answered the pre-authentication request" \
	"^\* asked for pre-authentication and never answered (at 20" "$ORTH_DIR/frank.out"

# 6b. a TGS-REQ refused for want of room in the replay cache
explain grace >"$ORTH_DIR/grace.out" 2>&1
expect_grep "grace: over her share of the replay cache" \
	"^\* asked for more service tickets than one client's share of the KDC's replay cache holds (at 20.*KDC_ERR_SVC_UNAVAILABLE)$" \
	"$ORTH_DIR/grace.out"
expect_grep "grace: raise kdc_replay_cache_size" "raise kdc_replay_cache_size in \[kdcdefaults\]" \
	"$ORTH_DIR/grace.out"

# 7. only successes: nothing to explain; a window with nothing in it
explain okuser >"$ORTH_DIR/ok.out" 2>&1
expect_grep "okuser: nothing refused" "^Nothing was refused.$" "$ORTH_DIR/ok.out"
expect_grep "okuser: its PREAUTH_REQUIRED round is no refusal" ", 0 refused" "$ORTH_DIR/ok.out"
explain alice --since 2099-01-01 >"$ORTH_DIR/none.out" 2>&1
expect_grep "--since in the future: no request" "no request since 2099-01-01 00:00:00 UTC in $LOG" "$ORTH_DIR/none.out"
explain alice --since 1h >"$ORTH_DIR/1h.out" 2>&1
expect_grep "--since 1h keeps the last hour" "3 times, KDC_ERR_PREAUTH_FAILED" "$ORTH_DIR/1h.out"
expect_fail "a bad --since" "want YYYY-MM-DD" explain alice --since yesterday
expect_fail "a missing log" "No such file" "$ORTHRUS" explain alice --log "$ORTH_DIR/nope.log"

# 8. no --log: the journal (a stand-in journalctl printing the JSON lines
# as `journalctl -o short-iso` shows what a KDC logged to syslog)
mkdir -p "$ORTH_DIR/bin"
{
	echo '#!/bin/bash'
	echo "echo \"\$*\" >'$ORTH_DIR/journalctl.args'"
	echo "sed 's/^/2026-12-02T04:45:23+0000 kdc.example orthrus-kdc[4242]: /' '$LOG'"
} >"$ORTH_DIR/bin/journalctl"
chmod 755 "$ORTH_DIR/bin/journalctl"
PATH=$ORTH_DIR/bin:$PATH "$ORTHRUS" explain carol >"$ORTH_DIR/journal.out" 2>&1
expect_grep "journal: asked for the KDC's lines since the window" \
	"-o short-iso -t orthrus-kdc -t orthrus --since @[0-9]*" "$ORTH_DIR/journalctl.args"
expect_grep "journal: the cause, read through its prefix" \
	"^\* the account is disabled (disallow-all-tix)" "$ORTH_DIR/journal.out"

# 9. the same from a text log, read from stdin
orthkdc_stop_keep() {
	kill "$ORTH_KDC_PID"
	wait "$ORTH_KDC_PID"
	ORTH_KDC_PID=
}
orthkdc_stop_keep
cp "$LOG" "$ORTH_DIR/json.log"
ORTH_KDC_ARGS= orthkdc_run || exit 1
expect_fail "alice: one more wrong password, text log" "Password incorrect" k alice wrong-4
expect_grep "the text log names the error" \
	"client=alice@$REALM service=krbtgt/$REALM@$REALM error=KDC_ERR_PREAUTH_FAILED reason=" "$LOG"
"$ORTHRUS" explain alice --log - <"$LOG" >"$ORTH_DIR/text.out" 2>&1
expect_grep "text log: wrong password, once" "^\* wrong password (at 20" "$ORTH_DIR/text.out"
expect_grep "text log: the count of failures in the database" \
	"1 failure counted now: 4 more will lock the account" "$ORTH_DIR/text.out"

check_done
