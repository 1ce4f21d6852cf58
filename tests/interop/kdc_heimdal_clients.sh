#!/bin/bash
# The Orthrus KDC against a second, independent client implementation:
# Heimdal's clients (kinit.heimdal, heimtools klist, kgetcred).  Debian's
# heimdal-clients conflicts with krb5-user, so tools/deps.sh unpacks it
# into $HEIMDAL_DIR (default /opt/heimdal-clients) instead of installing
# it; an installed /usr/bin/kinit.heimdal is used too.  Fails when neither
# is there: tools/deps.sh provides them, so their absence is a failure of
# `make deps` (which says so), never a skip.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

H=${HEIMDAL_DIR:-/opt/heimdal-clients}/usr/bin
[ -x "$H/kinit.heimdal" ] || H=/usr/bin
if [ ! -x "$H/kinit.heimdal" ] || [ ! -x "$H/heimtools" ] || [ ! -x "$H/kgetcred" ]; then
	echo "FAIL: Heimdal clients not found in ${HEIMDAL_DIR:-/opt/heimdal-clients} or /usr/bin (tools/deps.sh unpacks them: see what make deps said)" >&2
	exit 1
fi
export LC_ALL=C TZ=UTC

REALM=TEST.REALM
SVC=host/svc.test.realm
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT

orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null ||
	{ echo "cannot add alice" >&2; exit 1; }
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/service.keytab" $SVC >/dev/null || exit 1

hk() { echo 'alice-Pa55' | "$H/kinit.heimdal" --password-file=STDIN "$@" alice; }
hklist() { "$H/heimtools" klist "$@"; }

# 1. kinit with pre-authentication, klist, kgetcred, the ticket decrypts
expect_ok "kinit.heimdal alice (preauth)" hk
n25=$(grep -c "client=alice@$REALM.*error=KDC_ERR_PREAUTH_REQUIRED" "$ORTH_DIR/kdc.log" || true)
[ "$n25" -ge 1 ] && pass "Heimdal went through PREAUTH_REQUIRED" || fail "no PREAUTH_REQUIRED round"
hklist -v >"$ORTH_DIR/klist.out" 2>&1
expect_grep "heimtools klist shows the TGT" "Server: krbtgt/$REALM@$REALM" "$ORTH_DIR/klist.out"
expect_grep "TGT flags include pre-authent" "Ticket flags: .*pre-authent" "$ORTH_DIR/klist.out"
expect_ok "kgetcred $SVC" "$H/kgetcred" $SVC
hklist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "heimtools klist shows the service ticket" "$SVC@$REALM" "$ORTH_DIR/klist.out"
# MIT's kvno reads Heimdal's (version 4) ccache and finds the cached ticket
expect_ok "the Heimdal-fetched ticket decrypts under the service key (MIT kvno -k)" \
	kvno -k "$ORTH_DIR/service.keytab" $SVC
expect_fail "kinit.heimdal with a wrong password" "Password incorrect" bash -c "echo wrong | '$H/kinit.heimdal' --password-file=STDIN alice"
expect_fail "kgetcred of an unknown service" "server not found" "$H/kgetcred" host/nowhere.test.realm
expect_grep "KDC log: unknown service refused with 7 (S_PRINCIPAL_UNKNOWN)" \
	"service=host/nowhere.test.realm@$REALM.*error=KDC_ERR_S_PRINCIPAL_UNKNOWN " "$ORTH_DIR/kdc.log"

# 2. renewable TGT, renewal
"$H/kdestroy.heimdal" >/dev/null 2>&1
expect_ok "kinit.heimdal -r 1d -f" hk -r 1d -f
hklist -v >"$ORTH_DIR/klist.out" 2>&1
expect_grep "TGT renewable" "Ticket flags: .*renewable" "$ORTH_DIR/klist.out"
expect_grep "TGT forwardable" "Ticket flags: .*forwardable" "$ORTH_DIR/klist.out"
sleep 1
expect_ok "kinit.heimdal -R renews" "$H/kinit.heimdal" -R
expect_ok "kgetcred after renewal" "$H/kgetcred" $SVC
expect_ok "MIT kvno -k on it" kvno -k "$ORTH_DIR/service.keytab" $SVC

# 3. each enctype alone (Heimdal: default_etypes, default_tgs_etypes)
for e in aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128 aes256-cts-hmac-sha384-192; do
	cp "$KRB5_CONFIG" "$ORTH_DIR/krb5-$e.conf"
	sed -i "s/^\[libdefaults\]/[libdefaults]\n\tdefault_etypes = $e\n\tdefault_tgs_etypes = $e\n\tpermitted_enctypes = $e/" "$ORTH_DIR/krb5-$e.conf"
	export KRB5_CONFIG="$ORTH_DIR/krb5-$e.conf"
	"$H/kdestroy.heimdal" >/dev/null 2>&1
	expect_ok "kinit.heimdal with $e only" hk
	expect_ok "kgetcred with $e only" "$H/kgetcred" $SVC
	hklist -v >"$ORTH_DIR/klist.out" 2>&1
	# the session key follows the client; the ticket is in the server's
	# strongest key (aes256-cts-hmac-sha1-96 for krbtgt and $SVC); klist -v
	# prints "Session key" only when it differs from the ticket's etype
	n=$(grep -c "Ticket etype: aes256-cts-hmac-sha1-96" "$ORTH_DIR/klist.out" || true)
	want=2; [ "$e" = aes256-cts-hmac-sha1-96 ] && want=0
	s=$(grep -c "Session key: " "$ORTH_DIR/klist.out" || true)
	se=$(grep -c "Session key: $e" "$ORTH_DIR/klist.out" || true)
	if [ "$n" -ge 2 ] && [ "$s" -eq "$want" ] && [ "$se" -eq "$want" ]; then pass "klist -v: TGT and service ticket with $e session keys"; else fail "ticket etypes for $e"; cat "$ORTH_DIR/klist.out" >&2; fi
	# MIT's klist -e reads the same cache and names both enctypes
	klist -e >"$ORTH_DIR/klist-e.out" 2>&1
	s=$(grep -c "Etype (skey, tkt): $e, aes256-cts-hmac-sha1-96" "$ORTH_DIR/klist-e.out" || true)
	if [ "$s" -eq 2 ]; then pass "klist -e: both session keys in $e"; else fail "session key enctypes for $e"; cat "$ORTH_DIR/klist-e.out" >&2; fi
	export KRB5_CONFIG="$ORTH_DIR/krb5.conf"
done

# 4. TCP
cp "$KRB5_CONFIG" "$ORTH_DIR/krb5-tcp.conf"
sed -i "s|kdc = 127.0.0.1:$ORTH_PORT|kdc = tcp/127.0.0.1:$ORTH_PORT|" "$ORTH_DIR/krb5-tcp.conf"
before=$(grep -c ' tcp ' "$ORTH_DIR/kdc.log" || true)
"$H/kdestroy.heimdal" >/dev/null 2>&1
expect_ok "kinit.heimdal over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" bash -c "echo alice-Pa55 | '$H/kinit.heimdal' --password-file=STDIN alice"
expect_ok "kgetcred over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" "$H/kgetcred" $SVC
after=$(grep -c ' tcp ' "$ORTH_DIR/kdc.log" || true)
[ "$after" -gt "$before" ] && pass "KDC served Heimdal over TCP" || fail "no TCP request in the KDC log"

# Nothing Heimdal sent was refused as malformed
if grep -q "malformed" "$ORTH_DIR/kdc.log"; then
	fail "the KDC found a Heimdal request malformed"; grep malformed "$ORTH_DIR/kdc.log" >&2
else
	pass "no Heimdal request refused as malformed"
fi

check_done
