#!/bin/bash
# The kpasswd service of `orthrus kdc` (kdc/kpasswd.c) against real
# clients: MIT's kpasswd (version 1) changes a password, the old one is
# refused and the new one accepted by kinit; MIT's kinit changes an
# expired password through kpasswd and gets its TGT; Heimdal's kpasswd
# (RFC 3244, version 0xff80) does the same, and sets another's password
# only with the ACL's right; hostile traffic on the kpasswd port (garbage,
# replies sent back to the server, a 1 MiB password over TCP) gets no
# answer or a refusal and leaves the service running.  The clients
# prompt on a terminal: lib/ptydrive.py drives them on a pty.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"
export LC_ALL=C TZ=UTC

H=${HEIMDAL_DIR:-/opt/heimdal-clients}/usr/bin
[ -x "$H/kpasswd.heimdal" ] || H=/usr/bin
REALM=TEST.REALM
PTY="/usr/bin/python3 $here/lib/ptydrive.py"
POKE="/usr/bin/python3 $here/lib/kpwpoke.py"
ACL=$(mktemp /tmp/kpasswd-acl.XXXXXX)
trap 'orthkdc_stop; rm -f "$CHECK_OUT" "$ACL"' EXIT
cat >"$ACL" <<EOF
# admin may set carol's password, and nobody else's
admin@$REALM  c  carol@$REALM
EOF
export ORTH_ACL=$ACL

orthkdc_start $REALM || exit 1
KP=$ORTH_KPASSWD_PORT
LOG=$ORTH_DIR/kdc.log
for u in alice bob carol dave erin admin; do
	echo "$u-Pa55" | orth_admin add $u --password-stdin --requires-preauth >/dev/null ||
		{ echo "cannot add $u" >&2; exit 1; }
done
k() { echo "$2" | kinit "$1" >/dev/null 2>&1; }

# 0. `orthrus admin init` made kadmin/changepw and kadmin/admin as MIT's
# kdb5_util create does (attributes 0x802004 and 0x800004, max life 300 s
# and 10800 s, no renewable life: tests/unit/db/data/mit_realm/dump)
kadmin_as_mit() { # WHEN: both principals with MIT's attributes and lifetimes
	orth_admin get kadmin/changepw >"$ORTH_DIR/get.out" 2>&1
	expect_grep "$1 kadmin/changepw: MIT's attributes" \
		"^Attributes: disallow-tgt-based,pwchange-service,lockdown-keys$" "$ORTH_DIR/get.out"
	expect_grep "$1 kadmin/changepw: max life 5 min" "^Max life: 300$" "$ORTH_DIR/get.out"
	expect_grep "$1 kadmin/changepw: not renewable" "^Max renewable life: 0$" "$ORTH_DIR/get.out"
	orth_admin get kadmin/admin >"$ORTH_DIR/get.out" 2>&1
	expect_grep "$1 kadmin/admin: MIT's attributes" \
		"^Attributes: disallow-tgt-based,lockdown-keys$" "$ORTH_DIR/get.out"
	expect_grep "$1 kadmin/admin: max life 3 h" "^Max life: 10800$" "$ORTH_DIR/get.out"
	expect_grep "$1 kadmin/admin: not renewable" "^Max renewable life: 0$" "$ORTH_DIR/get.out"
}
kadmin_as_mit "init:"
expect_ok "orthrus admin upgrade on an up-to-date database" orth_admin upgrade
expect_grep "upgrade: nothing to add" "up to date" "$CHECK_OUT"

# 1. MIT kpasswd (version 1, TCP first): the old password then refused,
# the new one accepted by kinit
expect_ok "MIT kpasswd alice" $PTY "Password for alice@" alice-Pa55 "Enter new password" alice-N3w \
	"Enter it again" alice-N3w -- kpasswd alice
expect_grep "MIT kpasswd: Password changed" "Password changed" "$CHECK_OUT"
expect_grep "log: KPASSWD alice ok" "KPASSWD client=alice@$REALM service=alice@$REALM ok reason=" "$LOG"
if k alice alice-Pa55; then fail "old password still accepted"; else pass "old password refused by kinit"; fi
if k alice alice-N3w; then pass "new password accepted by kinit"; else fail "new password refused"; fi
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "klist: TGT of alice" "krbtgt/$REALM@$REALM" "$ORTH_DIR/klist.out"
expect_fail "MIT kpasswd with a wrong old password" "Preauthentication failed" \
	$PTY "Password for alice@" wrong-Pa55 -- kpasswd alice

# 1b. a policy refusal: MIT kpasswd prints the reason account_password_change
# gave (the result string of a SOFTERROR), and the password is unchanged
orth_admin policy add min12 --minlength 12 >/dev/null || fail "policy add min12"
orth_admin modify erin --policy min12 >/dev/null || fail "erin gets policy min12"
expect_fail "MIT kpasswd erin with a short password" "password too short: minimum 12 characters" \
	$PTY "Password for erin@" erin-Pa55 "Enter new password" Sh0rt-pw \
	"Enter it again" Sh0rt-pw -- kpasswd erin
expect_grep "log: KPASSWD erin refused with its reason" \
	"KPASSWD client=erin@$REALM service=erin@$REALM.*password too short" "$LOG"
if k erin erin-Pa55; then pass "erin's password unchanged after the refusal"; else fail "erin's password changed"; fi
expect_ok "MIT kpasswd erin with a long enough password" $PTY "Password for erin@" erin-Pa55 \
	"Enter new password" erin-L0nger-Pa55 "Enter it again" erin-L0nger-Pa55 -- kpasswd erin
if k erin erin-L0nger-Pa55; then pass "erin's new password accepted"; else fail "erin's new password refused"; fi

# 2. an expired password: MIT kinit gets KDC_ERR_KEY_EXPIRED, a
# kadmin/changepw ticket, asks for a new password, changes it through
# kpasswd and gets its TGT
kdestroy >/dev/null 2>&1
orth_admin modify bob --pw-expires 2020-01-01 >/dev/null
expect_fail "kinit bob without a terminal: password expired" "expired" bash -c "echo bob-Pa55 | kinit bob"
expect_ok "MIT kinit's expired-password flow" $PTY "Password for bob@" bob-Pa55 \
	"Enter new password" bob-Fr3sh "Enter it again" bob-Fr3sh -- kinit bob
expect_grep "kinit said the password expired" "Password expired" "$CHECK_OUT"
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "kinit got bob's TGT after the change" "krbtgt/$REALM@$REALM" "$ORTH_DIR/klist.out"
expect_grep "log: the AS refused bob with KEY_EXPIRED" "client=bob@$REALM service=krbtgt/$REALM@$REALM error=KDC_ERR_KEY_EXPIRED" "$LOG"
expect_grep "log: bob got a kadmin/changepw ticket" "client=bob@$REALM service=kadmin/changepw@$REALM ok reason=" "$LOG"
expect_grep "log: KPASSWD bob ok" "KPASSWD client=bob@$REALM service=bob@$REALM ok reason=" "$LOG"
orth_admin get bob >"$ORTH_DIR/get.out" 2>&1
expect_grep "bob's password no longer expires" "Password expires: never" "$ORTH_DIR/get.out"
if k bob bob-Pa55; then fail "bob's old password still accepted"; else pass "bob's old password refused"; fi
if k bob bob-Fr3sh; then pass "bob's new password accepted"; else fail "bob's new password refused"; fi

# 3. Heimdal's kpasswd (RFC 3244 set/change password)
if [ -x "$H/kpasswd.heimdal" ]; then
	expect_ok "Heimdal kpasswd carol" $PTY "Password" carol-Pa55 "New password" carol-H31m \
		"Verify" carol-H31m -- "$H/kpasswd.heimdal" carol
	expect_grep "Heimdal kpasswd: Success" "Success" "$CHECK_OUT"
	expect_grep "log: KPASSWD-SET carol ok (Heimdal tries UDP first)" \
		"udp KPASSWD-SET client=carol@$REALM service=carol@$REALM ok reason=" "$LOG"
	if k carol carol-Pa55; then fail "carol's old password still accepted"; else pass "carol's old password refused"; fi
	if k carol carol-H31m; then pass "carol's new password accepted by MIT kinit"; else fail "carol's new password refused"; fi
	# a policy refusal (erin: min12): Heimdal's kpasswd prints the result
	# and its string ("Soft error : ..."), though it exits 0 on it
	$PTY "Password" erin-L0nger-Pa55 "New password" Sh0rt-pw2 "Verify" Sh0rt-pw2 \
		-- "$H/kpasswd.heimdal" erin >"$ORTH_DIR/heim-soft.out" 2>&1
	expect_grep "Heimdal kpasswd erin with a short password: the reason" \
		"^Soft error : password too short: minimum 12 characters" "$ORTH_DIR/heim-soft.out"
	expect_grep "log: KPASSWD-SET erin refused with its reason" \
		"KPASSWD-SET client=erin@$REALM service=erin@$REALM error=KRB5_KPASSWD_SOFTERROR reason=\"password too short" "$LOG"
	if k erin erin-L0nger-Pa55; then pass "erin's password unchanged after Heimdal's refusal"; else fail "erin's password changed"; fi

	# set-password: admin may set carol's (ACL), not dave's; dave not alice's
	expect_ok "Heimdal kpasswd --admin-principal=admin carol (ACL allows)" \
		$PTY "Password" admin-Pa55 "New password" carol-S3t "Verify" carol-S3t \
		-- "$H/kpasswd.heimdal" --admin-principal=admin carol
	if k carol carol-S3t; then pass "carol's password set by admin"; else fail "admin's set-password did not take"; fi
	$PTY "Password" admin-Pa55 "New password" dave-Stolen "Verify" dave-Stolen \
		-- "$H/kpasswd.heimdal" --admin-principal=admin dave >"$ORTH_DIR/set.out" 2>&1
	# Heimdal's tool turns the ACCESSDENIED result into EPERM
	expect_grep "set-password without the ACL right refused" "Operation not permitted" "$ORTH_DIR/set.out"
	expect_grep "log: the refusal with its reason" \
		"KPASSWD-SET client=admin@$REALM service=dave@$REALM error=KRB5_KPASSWD_ACCESSDENIED reason=\"set-password without the ACL's 'c' right" "$LOG"
	if k dave dave-Stolen; then fail "dave's password was set without the right"; else pass "dave's password unchanged"; fi
	if k dave dave-Pa55; then pass "dave's own password still works"; else fail "dave's password changed"; fi
else
	fail "Heimdal's kpasswd not found (tools/deps.sh unpacks it into /opt/heimdal-clients)"
fi

# 4. hostile traffic on the kpasswd port
R=$($POKE udp $KP 1603010030010000) || R="poke failed"
[ "$R" = "no reply" ] && pass "UDP garbage: no answer" || fail "UDP garbage: $R"
R=$($POKE tcp $KP 1603010030010000) || R="poke failed"
case "$R" in "kpasswd error 60 result 1") pass "TCP garbage: MALFORMED";; *) fail "TCP garbage: $R";; esac
R=$($POKE udp $KP 000a000700026e007500) || R="poke failed"
[ "$R" = "no reply" ] && pass "UDP unknown version: no answer" || fail "UDP unknown version: $R"
R=$($POKE tcp $KP 000a000700026e007500) || R="poke failed"
case "$R" in *"result 6") pass "TCP unknown version: BAD_VERSION";; *) fail "TCP unknown version: $R";; esac
$POKE pingpong $KP >"$ORTH_DIR/pingpong.out" 2>&1
expect_grep "a real error reply obtained" "request: kpasswd error 60 result 3" "$ORTH_DIR/pingpong.out"
expect_grep "its reply sent back over UDP: no answer (CVE-2002-2443)" "over udp: no reply" "$ORTH_DIR/pingpong.out"
expect_grep "its reply sent back over TCP: no answer" "over tcp: no reply" "$ORTH_DIR/pingpong.out"
R=$($POKE udp $KP 7e03300100) || R="poke failed"
[ "$R" = "no reply" ] && pass "a bare KRB-ERROR: no answer" || fail "a bare KRB-ERROR: $R"
R=$($POKE big $KP 1048576) || R="poke failed"
case "$R" in "error 61, closed") pass "1 MiB password over TCP: KRB_ERR_FIELD_TOOLONG, connection closed";;
	*) fail "1 MiB password over TCP: $R";; esac
expect_grep "log: the refused length" "tcp KPASSWD client=- service=- error=KRB5_KPASSWD_MALFORMED reason=\"request length refused\"" "$LOG"
expect_grep "log: the reply not answered" "reason=\"shaped like a kpasswd reply: not answered\"" "$LOG"
if kill -0 "$ORTH_KDC_PID" 2>/dev/null; then pass "KDC still running"; else fail "KDC died"; fi
expect_ok "MIT kpasswd after the hostile traffic" $PTY "Password for alice@" alice-N3w \
	"Enter new password" alice-Aft3r "Enter it again" alice-Aft3r -- kpasswd alice
if k alice alice-Aft3r; then pass "kinit with it"; else fail "kinit after the hostile traffic"; fi

# 5. a database from before kpasswd (no kadmin principals): the KDC says
# so when it starts, and `orthrus admin upgrade` adds them
kill "$ORTH_KDC_PID" && wait "$ORTH_KDC_PID" 2>/dev/null
cp "$LOG" "$ORTH_DIR/kdc-first.log"
orth_admin delete kadmin/changepw >/dev/null && orth_admin delete kadmin/admin >/dev/null ||
	fail "cannot delete the kadmin principals"
orthkdc_run || fail "KDC restart"
expect_grep "the KDC warns: kadmin/changepw missing" "kadmin/changepw@$REALM is not in the database" "$LOG"
expect_fail "MIT kpasswd without kadmin/changepw" "Server not found" \
	$PTY "Password for alice@" alice-Aft3r -- kpasswd alice
expect_ok "orthrus admin upgrade" orth_admin upgrade
expect_grep "upgrade added both" "added 2 principals" "$CHECK_OUT"
kadmin_as_mit "upgrade:"
expect_ok "MIT kpasswd after the upgrade (same KDC process)" $PTY "Password for alice@" alice-Aft3r \
	"Enter new password" alice-Upgr8 "Enter it again" alice-Upgr8 -- kpasswd alice
if k alice alice-Upgr8; then pass "kinit with it"; else fail "kinit after the upgrade"; fi

# under ASan/UBSan (make check's second round) the KDC reports into its log
kill "$ORTH_KDC_PID" && wait "$ORTH_KDC_PID" 2>/dev/null
ORTH_KDC_PID=
if grep -q "Sanitizer\|runtime error" "$ORTH_DIR/kdc-first.log" "$LOG"; then
	fail "sanitizer report in the KDC's log"
	grep -h -A20 "Sanitizer\|runtime error" "$ORTH_DIR/kdc-first.log" "$LOG" | head -40 >&2
else
	pass "no sanitizer report in the KDC's log"
fi

check_done
