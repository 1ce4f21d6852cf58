#!/bin/bash
# orthrus kinit / klist / kvno / kdestroy against MIT's krb5kdc, and files
# both ways with MIT's kinit, klist and kvno: for each of the four
# enctypes, password and keytab logins, service tickets, klist -e; the
# TCP path; several KDCs in order; error messages; a forged TGS-REP (a
# stub relaying to the KDC swaps the ticket) refused.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/mitkdc.sh"

[ -x "${ORTHRUS:-}" ] || { echo "ORTHRUS not set" >&2; exit 1; }
for p in kinit klist kvno; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done
mitkdc_available || { echo "FAIL: MIT KDC not installed (make deps installs it)" >&2; exit 1; }

REALM=CLIENT.TEST
ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"
STUB_PID=
stop_stub() { [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null && wait "$STUB_PID" 2>/dev/null; STUB_PID=; }
trap 'stop_stub; mitkdc_stop; rm -f "$CHECK_OUT"' EXIT
export ORTHRUS_KDC_TIMEOUT_MS=500

mitkdc_start $REALM || exit 1
D=$MIT_DIR
BASE_CONF=$KRB5_CONFIG
mitkdc_addprinc alice alice-Pa55 || exit 1
for e in $ENCTYPES; do
	mitkdc_kadmin "addprinc -e $e:normal -pw pw-$e user-$e" || exit 1
	mitkdc_addprinc_randkey host/$e.client.test "$e:normal" || exit 1
	mitkdc_kadmin "setstr host/$e.client.test session_enctypes $e" || exit 1
	mitkdc_ktadd "$D/user-$e.kt" user-$e || exit 1
	mitkdc_ktadd "$D/svc-$e.kt" host/$e.client.test || exit 1
done
mitkdc_addprinc_randkey host/other.client.test || exit 1

O() { "$ORTHRUS" "$@"; }
not() { ! "$@"; }
okinit() { local cc=$1 pw=$2; shift 2; echo "$pw" | O kinit -c "$cc" "$@"; }

# 1. For each enctype: password and keytab kinit, kvno (-k), klist -e.
for e in $ENCTYPES; do
	cc=FILE:$D/cc-$e
	# The enctype first in the AS request through a second krb5.conf
	# listed before the base one (KRB5_CONFIG list, first value wins).
	printf '[libdefaults]\n\tdefault_tkt_enctypes = %s\n\tdefault_tgs_enctypes = %s\n' "$e" "$e" >"$D/et-$e.conf"
	export KRB5_CONFIG=$D/et-$e.conf:$BASE_CONF
	expect_ok "$e: kinit with password" okinit "$cc" "pw-$e" user-$e
	O klist -e -c "$cc" >"$D/klist.out" 2>&1
	expect_grep "$e: klist shows the TGT" "krbtgt/$REALM@$REALM" "$D/klist.out"
	expect_grep "$e: klist -e session key enctype" "Etype (skey, tkt): $e, " "$D/klist.out"
	expect_ok "$e: kvno" O kvno -c "$cc" host/$e.client.test
	expect_grep "$e: kvno prints the key version" "^host/$e.client.test@$REALM: kvno = 1$" "$CHECK_OUT"
	expect_ok "$e: kvno -k verifies against the keytab" O kvno -c "$cc" -k "$D/svc-$e.kt" host/$e.client.test
	expect_grep "$e: keytab entry valid" "kvno = 1, keytab entry valid" "$CHECK_OUT"
	O klist -e -c "$cc" >"$D/klist.out" 2>&1
	expect_grep "$e: klist -e service ticket (skey, tkt)" "Etype (skey, tkt): $e, $e" "$D/klist.out"
	klist -e -c "$cc" >"$D/mitklist.out" 2>&1
	expect_grep "$e: MIT klist reads our cache" "host/$e.client.test@$REALM" "$D/mitklist.out"
	expect_grep "$e: MIT klist -e agrees" "Etype (skey, tkt): $e, $e" "$D/mitklist.out"
	expect_ok "$e: kinit with keytab" O kinit -k -t "$D/user-$e.kt" -c "$cc" user-$e
	expect_ok "$e: kvno with the keytab TGT" O kvno -c "$cc" -e $e host/$e.client.test
	expect_fail "$e: kvno -k with another service's keytab" "keytab entry invalid\|No key table entry" \
		O kvno -c "$cc" -k "$D/svc-$e.kt" host/other.client.test
	export KRB5_CONFIG=$BASE_CONF
done

# 2. Our cache to MIT's tools.
cc=FILE:$D/ours.cc
expect_ok "kinit alice" okinit "$cc" alice-Pa55 alice
klist -c "$cc" >"$D/mitklist.out" 2>&1
expect_grep "MIT klist: default principal" "Default principal: alice@$REALM" "$D/mitklist.out"
expect_grep "MIT klist: the TGT" "krbtgt/$REALM@$REALM" "$D/mitklist.out"
expect_ok "MIT kvno uses our TGT" kvno -c "$cc" host/other.client.test
expect_ok "our kvno reuses what MIT stored" O kvno -c "$cc" host/other.client.test
O klist -c "$cc" >"$D/klist.out" 2>&1
expect_grep "klist lists MIT's service ticket" "host/other.client.test@$REALM" "$D/klist.out"
head -5 "$D/mitklist.out" | sed 's/[0-9]/N/g' >"$D/a"
O klist -c "$cc" | head -5 | sed 's/[0-9]/N/g' >"$D/b"
expect_ok "klist header and first line laid out as MIT's" cmp "$D/a" "$D/b"

expect_ok "password from a terminal, not echoed" \
	/usr/bin/python3 "$here/lib/ptykinit.py" alice-Pa55 "$ORTHRUS" kinit -c FILE:$D/tty.cc alice
expect_grep "prompt names the principal" "Password for alice@$REALM: " "$CHECK_OUT"
expect_ok "the terminal login left a TGT" klist -c FILE:$D/tty.cc

# 3. MIT's cache to our tools.
cc=FILE:$D/mit.cc
expect_ok "MIT kinit" sh -c "echo alice-Pa55 | kinit -c $cc alice >/dev/null"
expect_ok "orthrus klist reads MIT's cache" O klist -e -f -c "$cc"
expect_grep "orthrus klist: MIT's TGT" "krbtgt/$REALM@$REALM" "$CHECK_OUT"
expect_grep "orthrus klist -f: flags" "Flags: .*I" "$CHECK_OUT"
expect_ok "orthrus kvno with MIT's TGT" O kvno -c "$cc" host/other.client.test
expect_ok "MIT klist after our kvno" klist -c "$cc"
expect_grep "MIT klist sees our service ticket" "host/other.client.test@$REALM" "$CHECK_OUT"

# 4. Keytabs: we read MIT's.
e=aes256-cts-hmac-sha1-96
klist -k -e "$D/svc-$e.kt" | grep "host/" | sed 's/  */ /g' >"$D/a"
O klist -k -e "$D/svc-$e.kt" | grep "host/" | sed 's/  */ /g' >"$D/b"
expect_ok "orthrus klist -k -e lists MIT's keytab as MIT does" cmp "$D/a" "$D/b"
expect_ok "orthrus klist -k -t -K" O klist -k -t -K "FILE:$D/svc-$e.kt"
expect_grep "klist -K shows the key" "(0x[0-9a-f]\{64\})" "$CHECK_OUT"

# 5. Errors as messages.
expect_fail "wrong password" "Password incorrect" okinit FILE:$D/x.cc wrong alice
expect_fail "unknown client" "Client 'nobody@$REALM' not found in Kerberos database" \
	okinit FILE:$D/x.cc pw nobody
expect_fail "unknown service" "Server 'host/none.client.test@$REALM' not found in Kerberos database" \
	O kvno -c FILE:$D/ours.cc host/none.client.test
expect_fail "no cache" "No credentials cache found" O klist -c FILE:$D/none.cc
expect_fail "kvno without a cache" "No credentials cache found" O kvno -c FILE:$D/none.cc host/other.client.test
printf '[libdefaults]\n\tdefault_realm = %s\n[realms]\n\t%s = {\n\t\tkdc = 127.0.0.1:%s\n\t}\n' \
	"$REALM" "$REALM" "$(free_port)" >"$D/dead.conf"
expect_fail "no KDC answers" "Cannot contact any KDC for realm '$REALM'" \
	env KRB5_CONFIG=$D/dead.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/x.cc alice"

printf '[libdefaults]\n\tclockskew = soon\n' >"$D/bad.conf"
expect_fail "bad krb5.conf value named" "clockskew: bad duration" env KRB5_CONFIG=$D/bad.conf "$ORTHRUS" klist -c FILE:$D/ours.cc
printf '[libdefaults\n' >"$D/bad2.conf"
expect_fail "bad krb5.conf syntax with file and line" "bad2.conf:1:" env KRB5_CONFIG=$D/bad2.conf "$ORTHRUS" klist -c FILE:$D/ours.cc

# 6. Several KDCs in order (the first one dead), and the TCP path.
printf '[libdefaults]\n\tdefault_realm = %s\n[realms]\n\t%s = {\n\t\tkdc = 127.0.0.1:%s\n\t\tkdc = 127.0.0.1:%s\n\t}\n' \
	"$REALM" "$REALM" "$(free_port)" "$MIT_PORT" >"$D/two.conf"
expect_ok "second KDC used when the first is dead" \
	env KRB5_CONFIG=$D/two.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/two.cc alice"
SP=$(free_port)
/usr/bin/python3 "$here/lib/kdcstub.py" "$SP" "$MIT_PORT" "$D/stub.log" relay &
STUB_PID=$!
for i in $(seq 50); do grep -q ready "$D/stub.log" 2>/dev/null && break; sleep 0.1; done
printf '[libdefaults]\n\tdefault_realm = %s\n\tudp_preference_limit = 1\n[realms]\n\t%s = {\n\t\tkdc = 127.0.0.1:%s\n\t}\n' \
	"$REALM" "$REALM" "$SP" >"$D/tcp.conf"
: >"$D/stub.log"
expect_ok "kinit over TCP (udp_preference_limit = 1)" \
	env KRB5_CONFIG=$D/tcp.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/tcp.cc alice"
expect_ok "kvno over TCP" env KRB5_CONFIG=$D/tcp.conf "$ORTHRUS" kvno -c FILE:$D/tcp.cc host/other.client.test
expect_grep "requests went over TCP" "^tcp" "$D/stub.log"
n1=$(grep -c . "$D/stub.log")
expect_ok "kvno again" env KRB5_CONFIG=$D/tcp.conf "$ORTHRUS" kvno -c FILE:$D/tcp.cc host/other.client.test
n2=$(grep -c . "$D/stub.log")
if [ "$n1" = "$n2" ]; then pass "cached service ticket reused (no request)"; else fail "kvno asked the KDC again ($n1 -> $n2)"; fi
expect_ok "no request over UDP" not grep -q "^udp" "$D/stub.log"
sed 's/udp_preference_limit = 1/udp_preference_limit = 1465/' "$D/tcp.conf" >"$D/udp.conf"
: >"$D/stub.log"
expect_ok "kinit over UDP by default" \
	env KRB5_CONFIG=$D/udp.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/udp.cc alice"
expect_grep "requests went over UDP" "^udp" "$D/stub.log"
stop_stub
/usr/bin/python3 "$here/lib/kdcstub.py" "$SP" "$MIT_PORT" "$D/big.log" toobig &
STUB_PID=$!
for i in $(seq 50); do grep -q ready "$D/big.log" 2>/dev/null && break; sleep 0.1; done
: >"$D/big.log"
expect_ok "kinit retries over TCP on RESPONSE_TOO_BIG" \
	env KRB5_CONFIG=$D/udp.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/big.cc alice"
expect_ok "UDP first, then TCP" sh -c "head -2 $D/big.log | tr '\n' ' ' | grep -q '^udp tcp'"
stop_stub

# 7. A forged TGS-REP: the stub puts the previous reply's ticket (for
# host/other) into the reply for host/aes...: refused.
/usr/bin/python3 "$here/lib/kdcstub.py" "$SP" "$MIT_PORT" "$D/swap.log" swap &
STUB_PID=$!
for i in $(seq 50); do grep -q ready "$D/swap.log" 2>/dev/null && break; sleep 0.1; done
sed "s/127.0.0.1:$MIT_PORT/127.0.0.1:$SP/" "$BASE_CONF" >"$D/swap.conf"
export KRB5_CONFIG=$D/swap.conf
expect_ok "kinit through the forging stub" okinit FILE:$D/swap.cc alice-Pa55 alice
expect_ok "first service ticket (its ticket is saved by the stub)" O kvno -c FILE:$D/swap.cc host/other.client.test
# (our TGS-REQs are FAST-armored, so the FAST finished checksum over the
# ticket catches the swap before the names are compared)
expect_fail "TGS-REP with another service's ticket refused" "did not match expectations\|ticket modified" \
	O kvno -c FILE:$D/swap.cc host/$e.client.test
O klist -c FILE:$D/swap.cc >"$D/klist.out" 2>&1
expect_ok "nothing stored for the forged reply" not grep -q "host/$e.client.test" "$D/klist.out"
export KRB5_CONFIG=$BASE_CONF
stop_stub

# 8. Library calls: a forwarded TGT, a user-to-user ticket.
TOOL=${BUILDDIR:-build}/tests/unit/client/clienttool
mitkdc_addprinc bob bob-Pa55 || exit 1
expect_ok "kinit -f" okinit FILE:$D/fwd.cc alice-Pa55 -f alice
expect_ok "forwarded TGT" "$TOOL" fwd FILE:$D/fwd.cc
expect_grep "forwarded TGT has the forwarded flag" " forwarded 1 " "$CHECK_OUT"
expect_grep "forwarded TGT is the TGS's" "^server krbtgt/$REALM@$REALM" "$CHECK_OUT"
expect_ok "kinit -F" okinit FILE:$D/nofwd.cc alice-Pa55 -F alice
expect_fail "no forwarded TGT from a non-forwardable one" "not forwardable" "$TOOL" fwd FILE:$D/nofwd.cc
expect_ok "bob's TGT" okinit FILE:$D/bob.cc bob-Pa55 bob
expect_ok "user-to-user ticket for bob (kvno --u2u)" O kvno -c FILE:$D/fwd.cc --u2u FILE:$D/bob.cc bob
expect_grep "u2u ticket for bob" "^bob@$REALM: kvno = " "$CHECK_OUT"
expect_ok "MIT klist reads the cache with the u2u ticket" klist -c FILE:$D/fwd.cc
expect_grep "MIT klist lists the u2u ticket" "bob@$REALM" "$CHECK_OUT"
expect_ok "MIT kvno --u2u agrees" kvno -c FILE:$D/fwd.cc --u2u FILE:$D/bob.cc bob

# 9. Options: -l, -r and renewal, -f/-F, -S, kdestroy.
cc=FILE:$D/opt.cc
expect_ok "kinit -l 1h -r 2d -f" okinit "$cc" alice-Pa55 -l 1h -r 2d -f alice
O klist -f -c "$cc" >"$D/klist.out"
expect_grep "renewable and forwardable" "Flags: FRIA" "$D/klist.out"
expect_grep "renew until" "renew until" "$D/klist.out"
expect_ok "kinit -R" O kinit -R -c "$cc"
O klist -f -c "$cc" >"$D/klist.out"
expect_grep "renewed TGT still renewable" "Flags: FR" "$D/klist.out"
expect_grep "renewed TGT: renew until" "renew until" "$D/klist.out"
expect_ok "MIT klist reads the renewed cache" klist -c "$cc"
# -l 1h: within the KDC's max_life, so RENEWABLE-OK (MIT's default
# kdc_default_options, ours too) does not make the TGT renewable.
expect_ok "kinit -F" okinit "$cc" alice-Pa55 -F -l 1h alice
O klist -f -c "$cc" >"$D/klist.out"
expect_ok "not forwardable with -F" not grep -q "Flags: F" "$D/klist.out"
expect_fail "kinit -R of a non-renewable TGT" "renew" O kinit -R -c "$cc"
expect_ok "kinit -S service" okinit "$cc" alice-Pa55 -S host/other.client.test alice
O klist -c "$cc" >"$D/klist.out"
expect_grep "-S: the ticket is for the service" "host/other.client.test@$REALM" "$D/klist.out"
expect_ok "kdestroy" O kdestroy -c "$cc"
expect_ok "the cache is gone" not test -e "$D/opt.cc"
# MIT's kdestroy: a missing cache is reported, exit status 0.
expect_ok "kdestroy of no cache exits 0 (as MIT's)" O kdestroy -c "$cc"
expect_grep "kdestroy of no cache says so" "No credentials cache found" "$CHECK_OUT"
expect_ok "default cache from KRB5CCNAME" okinit "$KRB5CCNAME" alice-Pa55 alice
expect_ok "klist of the default cache" O klist
expect_grep "Ticket cache: $KRB5CCNAME" "Ticket cache: $KRB5CCNAME" "$CHECK_OUT"

check_done
