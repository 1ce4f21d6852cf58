#!/bin/bash
# What MIT users type every day, run with MIT's tool and with ours side by
# side against an Orthrus KDC: the same exit codes and the same output
# shape (program names, dates and cache names aside).
#   klist -s -l -A -a -n -C -d -e -f, -k -t -K -e, MIT's usage errors
#   kinit -p -P -f -F -r -s -v -C -E -A -l, -k without a name
#   kvno -S -u --cached-only, -P without -U; service tickets inherit
#       FORWARDABLE/RENEWABLE from the TGT as MIT's client asks
#   kdestroy (missing cache: exit 0), -A, -p, -q; kswitch -c/-p
#   DIR: collections written and read by MIT's tools and ours in turn
#   KEYRING: collections shared with MIT's tools (session keyring); KCM:
#       without a daemon says why it cannot be used
#   ktutil add/list/remove/merge against MIT's ktutil; admin ktadd rotates
#   orthrus_verify_init_creds; RFC 4121 channel bindings from MIT's GSS
#   initiator (python3-gssapi) checked by our acceptor
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

[ -x "${ORTHRUS:-}" ] || { echo "ORTHRUS not set" >&2; exit 1; }
CT=${CLIENTTOOL:-${BUILDDIR:-build}/tests/unit/client/clienttool}
AT=${APTOOL:-${BUILDDIR:-build}/tests/unit/client/aptool}
[ -x "$CT" ] && [ -x "$AT" ] || { echo "no clienttool/aptool under ${BUILDDIR:-build}" >&2; exit 1; }
for p in kinit klist kvno kdestroy kswitch ktutil; do
	command -v $p >/dev/null || { echo "FAIL: MIT $p not installed (make deps installs krb5-user)" >&2; exit 1; }
done
/usr/bin/python3 -c "import gssapi" 2>/dev/null ||
	{ echo "FAIL: python3-gssapi not installed (make deps installs it)" >&2; exit 1; }

export LC_ALL=C TZ=UTC
REALM=CLIENTTOOLS.TEST
SVC=host/svc.clienttools.test
HOST=$(hostname | tr 'A-Z' 'a-z')
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export ORTHRUS_KDC_TIMEOUT_MS=500

orthkdc_start $REALM || exit 1
D=$ORTH_DIR
echo alice-Pa55 | orth_admin add alice --password-stdin >/dev/null || exit 1
echo bob-Pa55 | orth_admin add bob --password-stdin >/dev/null || exit 1
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin add "host/$HOST" --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$D/svc.kt" $SVC >/dev/null || exit 1
orth_admin ktadd --keytab "$D/host.kt" "host/$HOST" >/dev/null || exit 1

O() { "$ORTHRUS" "$@"; }
not() { ! "$@"; }
# norm: the output shape: our program prefix, dates, the realm-less
# names MIT prints for referrals, and cache file names away
norm() {
	sed -E -e 's/^orthrus ([a-z]+): /\1: /' \
		-e 's#[0-9]{2}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}#DATE#g' \
		-e "s#$D/[A-Za-z0-9._-]*#PATH#g" -e 's#@(:| |$)#@REALM\1#g' -e "s#@$REALM#@REALM#g"
}
# both DESC TOOL ARGS...: MIT's TOOL and `orthrus TOOL` with ARGS: same
# exit code, same normalized stdout and stderr
both() {
	local desc=$1 tool=$2; shift 2
	local m o
	"$tool" "$@" >"$D/m.out" 2>"$D/m.err"; m=$?
	O "$tool" "$@" >"$D/o.out" 2>"$D/o.err"; o=$?
	if [ "$m" = "$o" ] && cmp -s <(norm <"$D/m.out") <(norm <"$D/o.out") &&
		cmp -s <(norm <"$D/m.err") <(norm <"$D/o.err"); then
		pass "$desc (exit $m, same output)"
	else
		fail "$desc: MIT exit $m, ours $o"
		diff <(norm <"$D/m.out"; norm <"$D/m.err") <(norm <"$D/o.out"; norm <"$D/o.err") | sed 's/^/    /' >&2
	fi
}
# both_fresh DESC SETUP TOOL ARGS...: as both, SETUP run before each tool
# (for commands that change what they look at)
both_fresh() {
	local desc=$1 setup=$2 tool=$3; shift 3
	local m o
	$setup; "$tool" "$@" >"$D/m.out" 2>"$D/m.err"; m=$?
	$setup; O "$tool" "$@" >"$D/o.out" 2>"$D/o.err"; o=$?
	if [ "$m" = "$o" ] && cmp -s <(norm <"$D/m.out") <(norm <"$D/o.out") &&
		cmp -s <(norm <"$D/m.err") <(norm <"$D/o.err"); then
		pass "$desc (exit $m, same output)"
	else
		fail "$desc: MIT exit $m, ours $o"
		diff <(norm <"$D/m.out"; norm <"$D/m.err") <(norm <"$D/o.out"; norm <"$D/o.err") | sed 's/^/    /' >&2
	fi
}
# both_rc DESC TOOL ARGS...: the same exit code (usage errors: the text
# names our command), stderr not empty on failure
both_rc() {
	local desc=$1 tool=$2; shift 2
	local m o
	"$tool" "$@" >/dev/null 2>"$D/m.err"; m=$?
	O "$tool" "$@" >/dev/null 2>"$D/o.err"; o=$?
	if [ "$m" = "$o" ] && { [ "$m" = 0 ] || [ -s "$D/o.err" ]; }; then
		pass "$desc (exit $m)"
	else
		fail "$desc: MIT exit $m, ours $o"; sed 's/^/    /' "$D/m.err" "$D/o.err" >&2
	fi
}
mk() { echo "$2" | kinit -c "$1" "${@:3}" >/dev/null; }    # MIT kinit
ok() { echo "$2" | O kinit -c "$1" "${@:3}" >/dev/null; }  # ours
# flags CACHE: "SERVICE Flags" lines of MIT's klist -f, dates away
flags() { klist -f -c "$1" | norm | sed -n '/^DATE/{N;s/\n/ /;p}'; }

# ---- 1. klist on one cache, MIT's and ours ----
cc=FILE:$D/k.cc
mk "$cc" alice-Pa55 -f -r 1d alice
kvno -c "$cc" $SVC >/dev/null
export KRB5CCNAME=$cc
for opts in "" -f -e "-f -e" -a "-a -n" -C -d -s "-f -e -a -C" -l -A "-A -s" "-c $cc" "-f $cc"; do
	both "klist $opts" klist $opts
done
both "klist -s on a missing cache: exit 1, silent" klist -s -c FILE:$D/none.cc
both "klist on a missing cache" klist -c FILE:$D/none.cc
both "klist -l on a missing cache" klist -l -c FILE:$D/none.cc
both "klist -A on a missing cache" klist -A -c FILE:$D/none.cc
for opts in "-l -A" "-s -l" "-k -f" "-k -s" "-n" "-c -k" "-t" "a b" "-x"; do
	both_rc "klist $opts: a usage error" klist $opts
done
both "klist -k" klist -k "$D/svc.kt"
both "klist -k -t -e -K" klist -k -t -e -K "$D/svc.kt"
both "klist -k of a missing keytab" klist -k "$D/none.kt"
# `klist -s || kinit`: a current TGT passes, an expired one does not
mk FILE:$D/short.cc alice-Pa55 -l 3s alice
ok FILE:$D/short2.cc alice-Pa55 -l 3s alice
both "klist -s with a current TGT" klist -s -c FILE:$D/short.cc
sleep 4
both "klist -s with an expired TGT: exit 1" klist -s -c FILE:$D/short.cc
both "klist -s with our expired TGT: exit 1" klist -s -c FILE:$D/short2.cc
both "klist -l marks it (Expired)" klist -l -c FILE:$D/short.cc
expect_grep "(Expired) shown" "(Expired)" "$D/o.out"
unset KRB5CCNAME

# ---- 2. kinit options: MIT's kinit and ours, compared by MIT's klist ----
for opts in "-p" "-P" "-f" "-F" "-f -r 2d" "-p -f -r 1d" "-A" "-C" "-E" "-l 1h" "-s 1h" "-F -P -l 2h -s 1h"; do
	rm -f "$D/mi.cc" "$D/oi.cc"
	mk FILE:$D/mi.cc alice-Pa55 $opts alice; m=$?
	ok FILE:$D/oi.cc alice-Pa55 $opts alice; o=$?
	if [ $m = 0 ] && [ $o = 0 ] && [ "$(flags "$D/mi.cc")" = "$(flags "$D/oi.cc")" ]; then
		pass "kinit $opts: same ticket flags and shape ($(flags "$D/oi.cc" | sed 's/.*Flags: //'))"
	else
		fail "kinit $opts: MIT exit $m, ours $o"
		diff <(flags "$D/mi.cc") <(flags "$D/oi.cc") | sed 's/^/    /' >&2
	fi
done
# (MIT's kinit adds RENEWABLE-OK; -r makes both renewable alike.)
for c in mi oi; do rm -f "$D/$c.cc"; done
mk FILE:$D/mi.cc alice-Pa55 -s 2s alice
ok FILE:$D/oi.cc alice-Pa55 -s 2s alice
expect_grep "kinit -s: postdated and invalid (ours)" "Flags: .*d.*i" <(klist -f -c "$D/oi.cc")
sleep 3
expect_ok "MIT kinit -v validates MIT's postdated TGT" kinit -v -c FILE:$D/mi.cc
expect_ok "our kinit -v validates ours" O kinit -v -c FILE:$D/oi.cc
if [ "$(flags "$D/mi.cc")" = "$(flags "$D/oi.cc")" ]; then pass "validated tickets alike"; else
	fail "validated tickets differ"; diff <(flags "$D/mi.cc") <(flags "$D/oi.cc") >&2; fi
expect_fail "kinit -v of a valid TGT refused" "validating credentials" O kinit -v -c FILE:$D/oi.cc
both_rc "kinit -v of a valid TGT: same exit" kinit -v -c FILE:$D/oi.cc
both_rc "kinit -f -F: usage" kinit -f -F alice
expect_grep "kinit -f -F: MIT's words" "Only one of -f and -F allowed" "$D/o.err"
both_rc "kinit -p -P: usage" kinit -p -P alice
both_rc "kinit -l 0: usage" kinit -l 0 alice
both_rc "kinit extra argument: usage" kinit alice bob
# -k without a name: host/<canonical host name> of this machine
rm -f "$D/mk.cc" "$D/ok.cc"
kinit -k -t "$D/host.kt" -c FILE:$D/mk.cc; m=$?
O kinit -k -t "$D/host.kt" -c FILE:$D/ok.cc; o=$?
if [ $m = 0 ] && [ $o = 0 ] && [ "$(klist -c "$D/mk.cc" | sed -n 2p)" = "$(klist -c "$D/ok.cc" | sed -n 2p)" ]; then
	pass "kinit -k without a name: $(klist -c "$D/ok.cc" | sed -n 2p)"
else
	fail "kinit -k without a name: MIT $m ours $o"; klist -c "$D/mk.cc" "$D/ok.cc" >&2
fi
printf '[libdefaults]\n\tdns_canonicalize_hostname = true\n\trdns = true\n' >"$D/canon.conf"
m=$(KRB5_CONFIG=$D/canon.conf:$KRB5_CONFIG kinit -V -k -t "$D/host.kt" -c FILE:$D/x.cc 2>&1 | sed -n 's/^Using principal: \(.*\)@.*/\1/p')
o=$(KRB5_CONFIG=$D/canon.conf:$KRB5_CONFIG O kinit -V -k -t "$D/host.kt" -c FILE:$D/x.cc 2>&1 | sed -n 's/^Using principal: \(.*\)@.*/\1/p')
[ -n "$m" ] && [ "$m" = "$o" ] && pass "kinit -k with dns_canonicalize_hostname: both use $o" ||
	fail "kinit -k canonical name: MIT '$m', ours '$o'"

# ---- 3. kvno and the flags service tickets inherit ----
rm -f "$D/mv.cc" "$D/ov.cc"
mk FILE:$D/mv.cc alice-Pa55 -f -r 1d alice
ok FILE:$D/ov.cc alice-Pa55 -f -r 1d alice
kvno -c FILE:$D/mv.cc $SVC >/dev/null
O kvno -c FILE:$D/ov.cc $SVC >/dev/null
m=$(flags "$D/mv.cc" | grep " $SVC@")
o=$(flags "$D/ov.cc" | grep " $SVC@")
if [ -n "$m" ] && [ "$m" = "$o" ]; then pass "service ticket inherits FORWARDABLE/RENEWABLE: ${o##*Flags: }"; else
	fail "service ticket flags: MIT '$m', ours '$o'"; fi
O klist -f -c FILE:$D/ov.cc >"$D/kl.out"
expect_grep "our klist: service ticket forwardable and renewable" "renew until .*, Flags: FR" <(grep -A1 " $SVC@" "$D/kl.out")
both "kvno --cached-only of a cached ticket" kvno --cached-only -c FILE:$D/ov.cc $SVC
both "kvno --cached-only of an uncached ticket: exit 1" kvno --cached-only -c FILE:$D/ov.cc host/none.clienttools.test
both "kvno -S host svc.clienttools.test" kvno -c FILE:$D/ov.cc -S host SVC.clienttools.test
both "kvno -u" kvno -u -c FILE:$D/ov.cc $SVC
both_rc "kvno -S of an unknown host: exit 1" kvno -c FILE:$D/ov.cc -S host nohost.clienttools.test
expect_grep "kvno -S: the host-based name in the message" "host/nohost.clienttools.test@$REALM' not found in Kerberos database" "$D/o.err"
both_rc "kvno -u -S: usage (exit 1)" kvno -u -S host x
both_rc "kvno -P without -U: usage (exit 1)" kvno -P -c FILE:$D/ov.cc $SVC
expect_grep "kvno -P: MIT's words" "requires option -I|-U|-F" "$D/o.err"
both_rc "kvno without a service: usage (exit 1)" kvno
both_rc "kvno -U (S4U2Self): same exit as MIT's" kvno -U bob -c FILE:$D/ov.cc alice

# ---- 4. kdestroy ----
rm -f "$D/d1.cc" "$D/d2.cc"
both "kdestroy of a missing cache: exit 0 with a message" kdestroy -c FILE:$D/none.cc
both "kdestroy -q of a missing cache" kdestroy -q -c FILE:$D/none.cc
both "kdestroy -A of a missing cache" kdestroy -A -c FILE:$D/none.cc
mk FILE:$D/d1.cc alice-Pa55 alice
ok FILE:$D/d2.cc alice-Pa55 alice
expect_ok "MIT kdestroy of our cache" kdestroy -c FILE:$D/d2.cc
expect_ok "our kdestroy of MIT's cache" O kdestroy -c FILE:$D/d1.cc
[ ! -e "$D/d1.cc" ] && [ ! -e "$D/d2.cc" ] && pass "both caches gone" || fail "a cache survived kdestroy"
both_rc "kdestroy -A -p: usage" kdestroy -A -p alice
both_rc "kswitch without -c or -p: usage" kswitch
both_rc "kswitch -c a -p b: usage" kswitch -c a -p b

# ---- 5. DIR: collections, MIT's tools and ours on one directory ----
COL=$D/col
export KRB5CCNAME=DIR:$COL
echo alice-Pa55 | kinit alice >/dev/null
echo bob-Pa55 | O kinit bob >/dev/null
expect_grep "MIT's primary file names our cache" "^tkt" "$COL/primary"
[ "$(ls "$COL" | grep -c '^tkt')" = 2 ] && pass "two caches in the directory" || fail "caches: $(ls "$COL")"
both "klist -l of the collection" klist -l
expect_grep "klist -l: alice's cache" "^alice@$REALM " "$D/o.out"
expect_grep "klist -l: bob's cache (primary, first)" "^bob@$REALM  *DIR::$COL/tkt" <(sed -n 3p "$D/o.out")
both "klist -A of the collection" klist -A
both "klist of the primary" klist
both "klist -s of the collection" klist -s
both "klist -A -s" klist -A -s
expect_ok "MIT kswitch -p alice" kswitch -p alice
both "klist after MIT's kswitch" klist
expect_grep "ours sees alice as primary" "Default principal: alice@$REALM" "$D/o.out"
expect_ok "our kswitch -p bob" O kswitch -p bob
klist >"$D/k.out" 2>&1
expect_grep "MIT's klist sees bob as primary" "Default principal: bob@$REALM" "$D/k.out"
both "kswitch -p carol: not found, exit 1" kswitch -p carol
name=$(klist -l | sed -n 's/^alice@[^ ]*  *//p')
expect_ok "our kswitch -c $name" O kswitch -c "$name"
expect_grep "MIT's klist: alice primary again" "Default principal: alice@$REALM" <(klist)
both "kswitch -c of a FILE cache: nothing to do, exit 0" kswitch -c FILE:$D/none.cc
# MIT's kinit finds our cache for bob and reuses it
before=$(ls "$COL" | sort)
echo bob-Pa55 | kinit bob >/dev/null
[ "$(ls "$COL" | sort)" = "$before" ] && pass "MIT kinit bob reused bob's cache (ours)" || fail "MIT kinit made another cache"
echo alice-Pa55 | O kinit -V alice >/dev/null 2>"$D/v.err"
expect_grep "our kinit -V: the existing cache" "^Using existing cache: :$COL/tkt" "$D/v.err"
[ "$(ls "$COL" | grep -c '^tkt')" = 2 ] && pass "our kinit alice reused alice's cache" || fail "caches: $(ls "$COL")"
O kvno $SVC >/dev/null
expect_grep "MIT klist sees our service ticket in the DIR cache" "$SVC@$REALM" <(klist)
two() { # a collection of alice (primary, MIT's) and bob (ours)
	rm -rf "$COL"
	echo bob-Pa55 | O kinit bob >/dev/null
	echo alice-Pa55 | kinit alice >/dev/null
}
both_fresh "kdestroy of the primary warns about the others" two kdestroy
both "klist -l after kdestroy" klist -l
both_fresh "kdestroy -q: no warning" two kdestroy -q
both_fresh "kdestroy -p bob" two kdestroy -p bob
expect_grep "only alice is left" "^alice@" <(klist -l | sed -n 3,9p)
echo alice-Pa55 | kinit alice >/dev/null
expect_ok "our kdestroy -A" O kdestroy -A
[ "$(ls "$COL" | grep -c '^tkt')" = 0 ] && pass "kdestroy -A left no cache" || fail "left: $(ls "$COL")"
both "klist -l of an empty collection: exit 1" klist -l
echo alice-Pa55 | O kinit alice >/dev/null
echo bob-Pa55 | O kinit bob >/dev/null
expect_ok "MIT kdestroy -A of our caches" kdestroy -A
[ "$(ls "$COL" | grep -c '^tkt')" = 0 ] && pass "MIT kdestroy -A removed ours" || fail "left: $(ls "$COL")"
both "kdestroy -p of an unknown principal: exit 1" kdestroy -p carol
mkdir -p "$D/sub"
both "klist DIR::path of a missing cache" klist -c DIR::$D/sub/tktnone
unset KRB5CCNAME

# ---- 6. KCM: and KEYRING: ----
expect_fail "KCM: without a daemon says so" "no KCM daemon is running" O klist -c KCM:
expect_fail "kinit to KCM: says so too" "no KCM daemon is running" ok KCM: alice-Pa55 alice
expect_fail "an unknown type" "Unknown credential cache type" O klist -c NOPE:x
# The kernel keyring, MIT's layout: a collection of our own in the session
# keyring, removed at the end (keyrings outlive the test).
KR=orthtest$$
keyring_drop() { # unlink the collection keyring _krb_$KR from the session anchors
	/usr/bin/python3 - "_krb_$KR" <<'PY'
import ctypes, os, sys
nr = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)
if nr:
    libc = ctypes.CDLL(None, use_errno=True)
    for anchor in (-3, -5):
        k = libc.syscall(nr, 10, ctypes.c_long(anchor), b"keyring", sys.argv[1].encode(), 0)
        if k > 0:
            libc.syscall(nr, 9, ctypes.c_long(k), ctypes.c_long(anchor))
PY
}
export KRB5CCNAME=KEYRING:session:$KR
if echo alice-Pa55 | kinit alice >/dev/null 2>"$D/kr.err"; then
	both "KEYRING: klist of MIT's cache" klist
	both "KEYRING: klist -f -e -C" klist -f -e -C
	echo bob-Pa55 | O kinit bob >/dev/null
	both "KEYRING: klist -l (our kinit made a second cache)" klist -l
	expect_grep "KEYRING: bob's new cache is the primary" "^bob@$REALM  *KEYRING:session:$KR:krb_ccache_" <(sed -n 3p "$D/o.out")
	both "KEYRING: klist -A" klist -A
	O kvno $SVC >/dev/null
	expect_grep "KEYRING: MIT's klist sees our service ticket" "$SVC@$REALM" <(klist)
	expect_ok "KEYRING: MIT kswitch -p alice" kswitch -p alice
	expect_grep "KEYRING: ours sees alice as primary" "Default principal: alice@$REALM" <(O klist)
	expect_ok "KEYRING: our kswitch -p bob" O kswitch -p bob
	expect_grep "KEYRING: MIT sees bob as primary" "Default principal: bob@$REALM" <(klist)
	both "KEYRING: klist -s" klist -s
	echo alice-Pa55 | kinit alice >/dev/null
	[ "$(klist -l | grep -c "KEYRING:session:$KR:")" = 2 ] && pass "KEYRING: MIT kinit reused alice's cache" ||
		fail "KEYRING: caches: $(klist -l)"
	expect_ok "KEYRING: our kdestroy -A" O kdestroy -A
	both "KEYRING: klist -l of the emptied collection: exit 1" klist -l
	echo alice-Pa55 | O kinit alice >/dev/null
	expect_ok "KEYRING: MIT kdestroy of our cache" kdestroy
	both "KEYRING: klist after it: no cache" klist
else
	echo "note: MIT's kinit cannot use the kernel keyring here: $(cat "$D/kr.err")"
	expect_fail "KEYRING: without a usable kernel keyring: a clear error" "KEYRING" ok "$KRB5CCNAME" alice-Pa55 alice
fi
keyring_drop
unset KRB5CCNAME

# ---- 7. ktutil ----
printf 'addent -password -p alice@%s -k 3 -e aes256-cts-hmac-sha1-96\nalice-Pa55\naddent -password -p alice@%s -k 3 -e aes128-cts-hmac-sha256-128\nalice-Pa55\nwkt %s\nquit\n' \
	$REALM $REALM "$D/mit-a.kt" | ktutil >/dev/null 2>&1
expect_ok "ktutil add (password, two enctypes)" sh -c "echo alice-Pa55 | $ORTHRUS ktutil add -p alice -k 3 -e aes256-cts-hmac-sha1-96,aes128-cts-hmac-sha256-128 $D/orth-a.kt"
if cmp -s <(klist -k -e -K "$D/mit-a.kt" | tail -n +2) <(klist -k -e -K "$D/orth-a.kt" | tail -n +2); then
	pass "ktutil add: the same keys as MIT's ktutil addent -password"
else
	fail "ktutil keys differ"; diff <(klist -k -e -K "$D/mit-a.kt") <(klist -k -e -K "$D/orth-a.kt") >&2
fi
expect_ok "kinit -k with the keytab ktutil made" O kinit -k -t "$D/orth-a.kt" -c FILE:$D/kt.cc alice
for opts in "" "-e" "-k" "-e -k"; do
	printf 'rkt %s\nlist %s\nquit\n' "$D/orth-a.kt" "$opts" | ktutil 2>/dev/null | sed -n '/^slot/,/^ktutil/p' | grep -v '^ktutil' >"$D/mit-list.out"
	O ktutil list $opts "$D/orth-a.kt" >"$D/orth-list.out"
	cmp -s "$D/mit-list.out" "$D/orth-list.out" && pass "ktutil list $opts: MIT's layout" ||
		{ fail "ktutil list $opts"; diff "$D/mit-list.out" "$D/orth-list.out" >&2; }
done
expect_ok "ktutil add --key-stdin" sh -c "echo 0x$(printf '%064d' 7) | $ORTHRUS ktutil add -p bob -k 9 -e aes256-cts-hmac-sha1-96 --key-stdin $D/orth-a.kt"
expect_grep "the hex key is in the keytab" "  9 bob@$REALM (aes256-cts-hmac-sha1-96)  (0x$(printf '%064d' 7))" <(klist -k -e -K "$D/orth-a.kt")
printf 'rkt %s\nrkt %s\nwkt %s\nquit\n' "$D/svc.kt" "$D/mit-a.kt" "$D/mit-m.kt" | ktutil >/dev/null 2>&1
expect_ok "ktutil merge" O ktutil merge "$D/svc.kt" "$D/mit-a.kt" "$D/orth-m.kt"
cmp -s <(klist -k -e -K "$D/mit-m.kt" | tail -n +2) <(klist -k -e -K "$D/orth-m.kt" | tail -n +2) &&
	pass "ktutil merge: MIT's rkt/rkt/wkt result" || { fail "merge differs"; diff <(klist -k -e -K "$D/mit-m.kt") <(klist -k -e -K "$D/orth-m.kt") >&2; }
expect_ok "ktutil merge again adds nothing" O ktutil merge "$D/svc.kt" "$D/orth-m.kt"
expect_grep "merge: 0 new entries" "merged 0 entries" "$CHECK_OUT"
expect_ok "ktutil remove -p alice -k 3" O ktutil remove -p alice -k 3 "$D/orth-a.kt"
n=$(klist -k "$D/orth-a.kt" | grep -c "alice@")
[ "$n" = 0 ] && pass "alice's entries removed, MIT klist reads the rest" || fail "$n alice entries left"
expect_fail "ktutil remove of nothing" "no entry" O ktutil remove -p carol "$D/orth-a.kt"
expect_fail "ktutil add without -k" "need -p PRINC, -k KVNO" O ktutil add -p alice "$D/x.kt"
expect_fail "ktutil list of a missing keytab" "not found" O ktutil list "$D/none.kt"

# ---- 8. orthrus_verify_init_creds (krb5_verify_init_creds) ----
ok FILE:$D/vi.cc alice-Pa55 alice
expect_ok "verify with the service key" "$CT" vfy FILE:$D/vi.cc "$D/svc.kt" $SVC
expect_ok "verify with any host/ key of the keytab" "$CT" vfy FILE:$D/vi.cc "$D/svc.kt"
echo wrong-key | O ktutil add -p $SVC -k "$(klist -k "$D/svc.kt" | awk 'NR==4 {print $1}')" -e aes256-cts-hmac-sha1-96 "$D/bad.kt" >/dev/null
expect_fail "a keytab whose key the KDC does not have: refused" "Cannot verify the ticket" "$CT" vfy FILE:$D/vi.cc "$D/bad.kt" $SVC
expect_ok "no key for the server: accepted (MIT's default)" "$CT" vfy FILE:$D/vi.cc "$D/orth-a.kt" $SVC
expect_fail "no key for the server with nofail: refused" "No key in keytab" "$CT" vfy FILE:$D/vi.cc "$D/orth-a.kt" $SVC 1
expect_ok "the verify ticket is not stored" not grep -q "$SVC" <(klist -c FILE:$D/vi.cc)

# ---- 9. channel bindings from MIT's GSS-API initiator ----
cat >"$D/init.py" <<'PY'
import sys
import gssapi
from gssapi.raw import ChannelBindings
target, tokfile, app = sys.argv[1], sys.argv[2], sys.argv[3]
cb = ChannelBindings(application_data=app.encode()) if app else None
name = gssapi.Name(target, gssapi.NameType.kerberos_principal)
ctx = gssapi.SecurityContext(name=name, usage="initiate", mech=gssapi.MechType.kerberos,
                             channel_bindings=cb,
                             flags=[gssapi.RequirementFlag.mutual_authentication,
                                    gssapi.RequirementFlag.integrity])
open(tokfile, "wb").write(ctx.step())
PY
gss() { # gss APPDATA NAME: a GSS token with those bindings, its AP-REQ in NAME.req
	KRB5CCNAME=FILE:$D/vi.cc /usr/bin/python3 "$D/init.py" "$SVC@$REALM" "$D/$2.tok" "$1" &&
		"$AT" from-gss "$D/$2.tok" "$D/$2.req"
}
expect_ok "GSS token with bindings" gss "tls-server-end-point:abc" cb1
"$CT" accept "$D/svc.kt" $SVC "$D/cb1.req" "tls-server-end-point:abc" >"$D/acc.out" 2>&1
# (MIT's initiator asks for mutual, conf and integ: 0x32)
expect_grep "matching bindings: accepted and bound" "^ok alice@$REALM gss-flags 0x32 bound 1" "$D/acc.out"
expect_ok "another token" gss "tls-server-end-point:abc" cb2
"$CT" accept "$D/svc.kt" $SVC "$D/cb2.req" "tls-server-end-point:xyz" >"$D/acc.out" 2>&1
expect_grep "other bindings: refused (41)" "^error 1041 .*channel bindings do not match" "$D/acc.out"
expect_ok "a token without bindings" gss "" cb3
"$CT" accept "$D/svc.kt" $SVC "$D/cb3.req" "tls-server-end-point:abc" >"$D/acc.out" 2>&1
expect_grep "no client bindings: accepted, not bound (as MIT)" "^ok alice@$REALM gss-flags 0x32 bound 0" "$D/acc.out"
expect_ok "a token for the realm-less service name" gss "" cb4
"$CT" accept "$D/svc.kt" $SVC "$D/cb4.req" >"$D/acc.out" 2>&1
expect_grep "service name without a realm: default realm" "^ok alice@$REALM" "$D/acc.out"

check_done
