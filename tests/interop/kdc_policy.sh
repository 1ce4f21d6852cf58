#!/bin/bash
# The Orthrus KDC's policy as MIT's client tools (Debian krb5-user) see it:
# expired principal and password, locked principal, no pre-authentication,
# AS for a service (kinit -S), lifetimes and their clamps, forwardable and
# disallow-forwardable, postdating and validation, user-to-user (kvno
# --u2u), renewal of a service ticket, canonicalize (kinit -C).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC

orthkdc_start $REALM || exit 1
add() { # add NAME PASSWORD [ARGS...]
	local n=$1 pw=$2; shift 2
	echo "$pw" | orth_admin add "$n" --password-stdin "$@" >/dev/null ||
		{ echo "cannot add $n" >&2; exit 1; }
}
add alice alice-Pa55 --requires-preauth
add expired exp-Pa55 --requires-preauth
add pwexp pwexp-Pa55 --requires-preauth
add locked locked-Pa55 --requires-preauth
add nopre nopre-Pa55
add short short-Pa55 --requires-preauth --max-life 2h
add nofwd nofwd-Pa55 --requires-preauth
add bob bob-Pa55 --requires-preauth
add u2uonly u2u-Pa55 --requires-preauth
orth_admin add $SVC --random-key >/dev/null || exit 1
# MIT kinit answers KEY_EXPIRED by asking for kadmin/changepw (RFC 3244),
# which `orthrus admin init` made
orth_admin get kadmin/changepw >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/service.keytab" $SVC >/dev/null || exit 1
orth_admin modify expired --expires 2020-01-01 >/dev/null || exit 1
orth_admin modify pwexp --pw-expires 2020-01-01 >/dev/null || exit 1
orth_admin modify locked --attr disallow-all-tix >/dev/null || exit 1
orth_admin modify nofwd --attr disallow-forwardable >/dev/null || exit 1
orth_admin modify u2uonly --attr disallow-svr >/dev/null || exit 1

k() { # k PRINCIPAL PASSWORD [KINIT ARGS...]
	local n=$1 pw=$2; shift 2
	echo "$pw" | kinit "$@" "$n"
}
flags() { klist -f "$@" 2>/dev/null | sed -n 's/^.*Flags: //p' | head -1; }
# seconds between start and end of the first ticket klist lists
lifetime() {
	klist "$@" 2>/dev/null | /usr/bin/python3 -c '
import sys, datetime
for l in sys.stdin:
    p = l.split()
    if len(p) >= 5 and p[0].count("/") == 2:
        f = "%m/%d/%y %H:%M:%S"
        a = datetime.datetime.strptime(p[0] + " " + p[1], f)
        b = datetime.datetime.strptime(p[2] + " " + p[3], f)
        print(int((b - a).total_seconds()))
        break'
}
# whole seconds from now until the start of the first ticket klist lists
starts_in() {
	klist "$@" 2>/dev/null | /usr/bin/python3 -c '
import sys, datetime
for l in sys.stdin:
    p = l.split()
    if len(p) >= 5 and p[0].count("/") == 2:
        a = datetime.datetime.strptime(p[0] + " " + p[1], "%m/%d/%y %H:%M:%S")
        print(max(0, int((a - datetime.datetime.utcnow()).total_seconds()) + 1))
        break'
}

# 1. expired principal, expired password, locked principal
# (RFC 4120 §3.1.3 / issue 4: KDC_ERR_CLIENT_REVOKED and KDC_ERR_KEY_EXPIRED)
expect_fail "expired principal -> revoked" "revoked" k expired exp-Pa55
expect_grep "KDC log: expired principal refused with KDC_ERR_CLIENT_REVOKED" "client=expired@$REALM.*error=KDC_ERR_CLIENT_REVOKED" "$ORTH_DIR/kdc.log"
# MIT kinit then wants a new password; stdin ends after the old one.
expect_fail "expired password -> Password has expired" "Password has expired\|Password expired" k pwexp pwexp-Pa55
expect_grep "KDC log: expired password refused with KDC_ERR_KEY_EXPIRED" "client=pwexp@$REALM.*error=KDC_ERR_KEY_EXPIRED" "$ORTH_DIR/kdc.log"
expect_fail "disallow-all-tix -> revoked" "revoked" k locked locked-Pa55

# 2. a principal without requires-preauth gets its TGT at once
expect_ok "kinit of a principal without requires-preauth" k nopre nopre-Pa55
n25=$(grep -c "client=nopre@$REALM.*error=KDC_ERR_PREAUTH_REQUIRED" "$ORTH_DIR/kdc.log" || true)
nok=$(grep -c "AS-REQ client=nopre@$REALM.* ok reason=" "$ORTH_DIR/kdc.log" || true)
if [ "$n25" -eq 0 ] && [ "$nok" -ge 1 ]; then pass "no PREAUTH_REQUIRED round for nopre"; else fail "nopre: $n25 PREAUTH_REQUIRED, $nok AS-REP"; fi
flags >"$ORTH_DIR/f.out"; grep -q "I" "$ORTH_DIR/f.out" && ! grep -q "A" "$ORTH_DIR/f.out" &&
	pass "nopre's TGT: initial, not pre-authenticated" || fail "nopre flags: $(cat "$ORTH_DIR/f.out")"
k alice alice-Pa55 >/dev/null 2>&1
case $(flags) in *A*) pass "alice's TGT is pre-authenticated (A)";; *) fail "alice's TGT lacks A: $(flags)";; esac

# 3. AS exchange for a service (kinit -S), then kvno -k on that ticket
kdestroy >/dev/null 2>&1
expect_ok "kinit -S $SVC" k alice alice-Pa55 -S $SVC
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "klist shows the service ticket from the AS exchange" "$SVC@$REALM" "$ORTH_DIR/klist.out"
if grep -q "krbtgt/" "$ORTH_DIR/klist.out"; then fail "kinit -S also stored a TGT"; else pass "kinit -S stored no TGT"; fi
expect_ok "kvno -k: the AS-issued service ticket decrypts" kvno -k "$ORTH_DIR/service.keytab" $SVC

# 4. lifetimes: kinit -l, the principal's max_life, the realm's max_life (10h)
kdestroy >/dev/null 2>&1
k alice alice-Pa55 -l 1h >/dev/null 2>&1
l=$(lifetime)
[ "${l:-0}" -gt 0 ] && [ "$l" -le 3600 ] && pass "kinit -l 1h: lifetime $l s" || fail "kinit -l 1h: lifetime '${l:-}'"
k short short-Pa55 -l 5h >/dev/null 2>&1
l=$(lifetime)
[ "${l:-0}" -gt 3600 ] && [ "$l" -le 7200 ] && pass "max_life 2h clamps -l 5h: $l s" || fail "max_life clamp: '${l:-}'"
k alice alice-Pa55 -l 20h >/dev/null 2>&1
l=$(lifetime)
[ "${l:-0}" -gt 7200 ] && [ "$l" -le 36000 ] && pass "realm max_life 10h clamps -l 20h: $l s" || fail "realm clamp: '${l:-}'"

# 5. forwardable: -f gives F, -F does not, disallow-forwardable never does
k alice alice-Pa55 -f >/dev/null 2>&1
case $(flags) in *F*) pass "kinit -f: F";; *) fail "kinit -f: no F ($(flags))";; esac
k alice alice-Pa55 -F >/dev/null 2>&1
case $(flags) in *F*) fail "kinit -F: F ($(flags))";; *) pass "kinit -F: not forwardable";; esac
expect_ok "kinit -f of a disallow-forwardable principal" k nofwd nofwd-Pa55 -f
case $(flags) in *F*) fail "disallow-forwardable got F ($(flags))";; *) pass "disallow-forwardable: no F";; esac

# 6. postdating and validation (kinit -s DURATION, kinit -v)
kdestroy >/dev/null 2>&1
expect_ok "kinit -s 1h (postdated)" k alice alice-Pa55 -s 1h
case $(flags) in *d*i*|*i*d*) pass "postdated ticket: d and i";; *) fail "postdated flags: $(flags)";; esac
expect_fail "kinit -v before the start time" "not yet valid" kinit -v
expect_fail "kvno with an invalid (postdated) TGT" "Ticket not yet valid" kvno $SVC
expect_grep "KDC log: the invalid TGT refused with 33 (TKT_NYV)" \
	"TGS-REQ client=alice@$REALM service=$SVC@$REALM error=KRB_AP_ERR_TKT_NYV " "$ORTH_DIR/kdc.log"
# Generous, not tight: 10 s leaves kinit on a busy machine ample time to
# get its request to the KDC before the start time, and the wait below is
# read from the ticket rather than guessed.
kdestroy >/dev/null 2>&1
expect_ok "kinit -s 10s" k alice alice-Pa55 -s 10s
case $(flags) in *d*i*|*i*d*) pass "kinit -s 10s: postdated, invalid";; *) fail "kinit -s 10s flags: $(flags)";; esac
w=$(starts_in)
if [ -n "$w" ] && [ "$w" -le 11 ]; then
	pass "the ticket starts in $w s"
	sleep $((w + 1))
else
	fail "postdated start time: in '$w' s"
fi
expect_ok "kinit -v after the start time validates" kinit -v
case $(flags) in *i*) fail "validated ticket still invalid: $(flags)";; *) pass "validated ticket: no i";; esac
expect_ok "kvno with the validated TGT" kvno $SVC

# 7. user-to-user: kvno --u2u CCACHE PRINCIPAL
KRB5CCNAME=FILE:$ORTH_DIR/u2u.cc k u2uonly u2u-Pa55 >/dev/null 2>&1
KRB5CCNAME=FILE:$ORTH_DIR/bob.cc k bob bob-Pa55 >/dev/null 2>&1
k alice alice-Pa55 >/dev/null 2>&1
expect_ok "kvno --u2u to bob" kvno --u2u "FILE:$ORTH_DIR/bob.cc" bob
expect_ok "kvno --u2u to a disallow-svr principal" kvno --u2u "FILE:$ORTH_DIR/u2u.cc" u2uonly
kdestroy >/dev/null 2>&1; k alice alice-Pa55 >/dev/null 2>&1
expect_fail "plain kvno to a disallow-svr principal" "user2user" kvno u2uonly
expect_fail "kvno --u2u with the wrong principal's TGT" "Requested server and ticket don't match" \
	kvno --u2u "FILE:$ORTH_DIR/bob.cc" u2uonly
expect_grep "KDC log: the wrong principal's TGT refused with 26 (SERVER_NOMATCH)" \
	"TGS-REQ client=alice@$REALM service=u2uonly@$REALM error=KDC_ERR_SERVER_NOMATCH " "$ORTH_DIR/kdc.log"

# 8. renewal of a service ticket (kinit -R -S)
kdestroy >/dev/null 2>&1
k alice alice-Pa55 -r 1d >/dev/null 2>&1
expect_ok "kvno with a renewable TGT" kvno $SVC
case $(flags) in *R*) pass "TGT renewable";; *) fail "TGT not renewable: $(flags)";; esac
klist -f >"$ORTH_DIR/klist.out" 2>&1
if grep -A1 -F "$SVC@" "$ORTH_DIR/klist.out" | grep -q "Flags: .*R"; then
	pass "service ticket renewable"
	sleep 1
	expect_ok "kinit -R -S renews the service ticket" kinit -R -S $SVC
	expect_ok "kvno -k with the renewed service ticket" kvno -k "$ORTH_DIR/service.keytab" $SVC
else
	fail "service ticket not renewable"; cat "$ORTH_DIR/klist.out" >&2
fi

# 9. canonicalize
kdestroy >/dev/null 2>&1
expect_ok "kinit -C" k alice alice-Pa55 -C
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "kinit -C: principal alice@$REALM" "Default principal: alice@$REALM" "$ORTH_DIR/klist.out"

check_done
