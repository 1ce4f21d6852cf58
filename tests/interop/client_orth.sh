#!/bin/bash
# orthrus kinit / klist / kvno / kdestroy against the Orthrus KDC, end to
# end, with MIT's tools reading what we write (and we what they write):
# each enctype with password and keytab, the TCP path, renewal, errors.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

[ -x "${ORTHRUS:-}" ] || { echo "ORTHRUS not set" >&2; exit 1; }
for p in kinit klist kvno; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done

REALM=ORTHCLIENT.TEST
ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export ORTHRUS_KDC_TIMEOUT_MS=500

orthkdc_start $REALM || exit 1
D=$ORTH_DIR
BASE_CONF=$KRB5_CONFIG
echo alice-Pa55 | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
echo bob-Pa55 | orth_admin add bob --password-stdin >/dev/null || exit 1
orth_admin add host/svc.orthclient.test --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$D/svc.kt" host/svc.orthclient.test >/dev/null || exit 1
orth_admin add robot --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$D/robot.kt" robot >/dev/null || exit 1

O() { "$ORTHRUS" "$@"; }
not() { ! "$@"; }
okinit() { local cc=$1 pw=$2; shift 2; echo "$pw" | O kinit -c "$cc" "$@"; }

# 1. Each enctype alone: password and keytab kinit, kvno -k, klist -e,
# and MIT's klist/kvno on the cache we wrote.
for e in $ENCTYPES; do
	cc=FILE:$D/cc-$e
	printf '[libdefaults]\n\tpermitted_enctypes = %s\n' "$e" >"$D/et-$e.conf"
	export KRB5_CONFIG=$D/et-$e.conf:$BASE_CONF
	expect_ok "$e: kinit with password (preauth)" okinit "$cc" alice-Pa55 alice
	expect_ok "$e: kvno -k" O kvno -c "$cc" -k "$D/svc.kt" host/svc.orthclient.test
	expect_grep "$e: keytab entry valid" "host/svc.orthclient.test@$REALM: kvno = [0-9]*, keytab entry valid" "$CHECK_OUT"
	O klist -e -c "$cc" >"$D/klist.out" 2>&1
	n=$(grep -c "Etype (skey, tkt): $e, " "$D/klist.out" || true)
	if [ "$n" -ge 2 ]; then pass "$e: klist -e session keys"; else fail "$e: klist -e"; cat "$D/klist.out" >&2; fi
	expect_ok "$e: MIT klist reads our cache" klist -e -c "$cc"
	expect_grep "$e: MIT klist sees the service ticket" "host/svc.orthclient.test@$REALM" "$CHECK_OUT"
	# the service ticket is in the service's strongest key, whatever the
	# client permits: the service side reads it with the realm's config
	expect_ok "$e: MIT kvno uses our TGT" env KRB5_CONFIG="$BASE_CONF" \
		kvno -c "$cc" -k "$D/svc.kt" host/svc.orthclient.test
	expect_ok "$e: kinit with keytab" O kinit -k -t "$D/robot.kt" -c "$cc" robot
	expect_ok "$e: kvno with the keytab TGT" O kvno -c "$cc" host/svc.orthclient.test
	export KRB5_CONFIG=$BASE_CONF
done

# 2. Without preauthentication (bob) and MIT's cache read by us.
expect_ok "kinit without preauth required" okinit FILE:$D/bob.cc bob-Pa55 bob
expect_ok "MIT kinit" sh -c "echo alice-Pa55 | kinit -c FILE:$D/mit.cc alice >/dev/null"
expect_ok "orthrus kvno with MIT's cache" O kvno -c FILE:$D/mit.cc host/svc.orthclient.test
expect_ok "orthrus klist of MIT's cache" O klist -c FILE:$D/mit.cc
expect_grep "our service ticket in MIT's cache" "host/svc.orthclient.test@$REALM" "$CHECK_OUT"
expect_ok "MIT klist -k reads the keytab orthrus admin wrote" klist -k "$D/svc.kt"
expect_ok "orthrus klist -k reads it too" O klist -k -e "$D/svc.kt"
expect_grep "klist -k -e" "host/svc.orthclient.test@$REALM (aes256-cts-hmac-sha1-96)" "$CHECK_OUT"

# 3. TCP.
sed 's/^\[libdefaults\]/[libdefaults]\n\tudp_preference_limit = 1/' "$BASE_CONF" >"$D/tcp.conf"
before=$(grep -c ' tcp ' "$D/kdc.log" || true)
expect_ok "kinit over TCP" env KRB5_CONFIG=$D/tcp.conf sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/tcp.cc alice"
expect_ok "kvno over TCP" env KRB5_CONFIG=$D/tcp.conf "$ORTHRUS" kvno -c FILE:$D/tcp.cc host/svc.orthclient.test
after=$(grep -c ' tcp ' "$D/kdc.log" || true)
if [ "$after" -gt "$before" ]; then pass "KDC served TCP requests"; else fail "KDC log shows no TCP request"; fi

# 4. Options and renewal.
cc=FILE:$D/opt.cc
expect_ok "kinit -f -r 2d" okinit "$cc" alice-Pa55 -f -r 2d alice
O klist -f -c "$cc" >"$D/klist.out"
expect_grep "forwardable and renewable" "Flags: F.*R" "$D/klist.out"
sleep 1
expect_ok "kinit -R" O kinit -R -c "$cc"
expect_ok "kvno after renewal" O kvno -c "$cc" host/svc.orthclient.test
expect_ok "MIT kvno after our renewal" kvno -c "$cc" host/svc.orthclient.test

# 5. Errors.
expect_fail "wrong password" "Password incorrect" okinit FILE:$D/x.cc wrong alice
expect_fail "unknown client" "Client 'nobody@$REALM' not found in Kerberos database" okinit FILE:$D/x.cc x nobody
expect_fail "unknown service" "Server 'host/none.orthclient.test@$REALM' not found in Kerberos database" \
	O kvno -c "$cc" host/none.orthclient.test
expect_ok "kdestroy" O kdestroy -c "$cc"
expect_fail "klist after kdestroy" "No credentials cache found" O klist -c "$cc"

check_done
