#!/bin/bash
# The Orthrus KDC against MIT's client tools (Debian krb5-user) and
# python3-gssapi: issue 4's "Must show" list.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT

orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null ||
	{ echo "cannot add alice" >&2; exit 1; }
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/service.keytab" $SVC >/dev/null || exit 1

k() { echo 'alice-Pa55' | kinit "$@" alice; }

# 1. kinit, klist, kvno, kvno -k, kdestroy
expect_ok "kinit alice" k
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "klist shows the TGT" "krbtgt/$REALM@$REALM" "$ORTH_DIR/klist.out"
expect_ok "kvno of the service" kvno $SVC
expect_ok "kvno -k: ticket decrypts under the service key" kvno -k "$ORTH_DIR/service.keytab" $SVC
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "klist shows the service ticket" "$SVC@$REALM" "$ORTH_DIR/klist.out"
expect_ok "kdestroy" kdestroy
expect_fail "no ccache after kdestroy" "No credentials cache found\|not found" klist

# 2. forwardable, renewable, renewal
expect_ok "kinit -f -r 2d" k -f -r 2d
klist -f >"$ORTH_DIR/klist.out" 2>&1
expect_grep "TGT is forwardable" "Flags: .*F" "$ORTH_DIR/klist.out"
expect_grep "TGT is renewable" "Flags: .*R" "$ORTH_DIR/klist.out"
sleep 1
expect_ok "kinit -R renews" kinit -R
expect_ok "kvno after renewal" kvno $SVC

# 3. TCP (udp_preference_limit = 1)
cp "$KRB5_CONFIG" "$ORTH_DIR/krb5-tcp.conf"
sed -i 's/^\[libdefaults\]/[libdefaults]\n\tudp_preference_limit = 1/' "$ORTH_DIR/krb5-tcp.conf"
: >"$ORTH_DIR/kdc.log.mark"
before=$(grep -c ' tcp ' "$ORTH_DIR/kdc.log" || true)
expect_ok "kinit over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" bash -c "echo alice-Pa55 | kinit alice"
expect_ok "kvno over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" kvno $SVC
after=$(grep -c ' tcp ' "$ORTH_DIR/kdc.log" || true)
if [ "$after" -gt "$before" ]; then pass "KDC served TCP requests"; else fail "KDC log shows no TCP request"; fi

# 4. each enctype alone
for e in aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha256-128 aes256-cts-hmac-sha384-192; do
	cp "$KRB5_CONFIG" "$ORTH_DIR/krb5-$e.conf"
	sed -i "s/^\[libdefaults\]/[libdefaults]\n\tpermitted_enctypes = $e/" "$ORTH_DIR/krb5-$e.conf"
	export KRB5_CONFIG="$ORTH_DIR/krb5-$e.conf"
	kdestroy >/dev/null 2>&1
	expect_ok "kinit with $e only" k
	expect_ok "kvno with $e only" kvno $SVC
	klist -e >"$ORTH_DIR/klist.out" 2>&1
	# the session key follows the client; the ticket is in the server's
	# strongest key (aes256-cts-hmac-sha1-96 for krbtgt and $SVC)
	n=$(grep -c "Etype (skey, tkt): $e, aes256-cts-hmac-sha1-96" "$ORTH_DIR/klist.out" || true)
	if [ "$n" -ge 2 ]; then pass "klist -e shows $e session keys for TGT and service ticket"; else fail "klist -e for $e"; cat "$ORTH_DIR/klist.out" >&2; fi
	export KRB5_CONFIG="$ORTH_DIR/krb5.conf"
done

# 5. python3-gssapi: mutual authentication and wrapped messages both ways
kdestroy >/dev/null 2>&1
k >/dev/null 2>&1
cat >"$ORTH_DIR/gss.py" <<'PY'
import sys
import gssapi
svc = gssapi.Name("host@svc.test.realm", gssapi.NameType.hostbased_service)
acred = gssapi.Credentials(usage="accept")
init = gssapi.SecurityContext(name=svc, usage="initiate",
                              flags=[gssapi.RequirementFlag.mutual_authentication,
                                     gssapi.RequirementFlag.integrity,
                                     gssapi.RequirementFlag.confidentiality])
acc = gssapi.SecurityContext(creds=acred, usage="accept")
tok = init.step()
while not (init.complete and acc.complete):
    tok = acc.step(tok)
    if init.complete:
        break
    tok = init.step(tok)
assert init.complete and acc.complete
assert str(acc.initiator_name) == "alice@TEST.REALM", acc.initiator_name
w = init.wrap(b"hello from alice", True)
assert acc.unwrap(w.message).message == b"hello from alice"
w = acc.wrap(b"hello from the service", True)
assert init.unwrap(w.message).message == b"hello from the service"
print("gssapi ok")
PY
expect_ok "python3-gssapi context with mutual auth and wrap/unwrap" \
	env KRB5_KTNAME="$ORTH_DIR/service.keytab" /usr/bin/python3 "$ORTH_DIR/gss.py"

# 6. errors MIT's tools report
kdestroy >/dev/null 2>&1
expect_fail "wrong password" "Preauthentication failed\|Password incorrect" bash -c "echo wrong | kinit alice"
expect_fail "unknown client" "not found in Kerberos database" bash -c "echo x | kinit nobody"
k >/dev/null 2>&1
expect_fail "unknown service" "not found in Kerberos database" kvno host/nowhere.test.realm

check_done
