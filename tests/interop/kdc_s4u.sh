#!/bin/bash
# S4U2Self and S4U2Proxy (MS-SFU; issue 14): MIT's `kvno -U` and
# `kvno -U -P`, with the service's credentials from `kinit -k` of its
# keytab, against the Orthrus KDC; the same against MIT's own krb5kdc as the
# reference, and our `orthrus kvno -U [-P]` against both.  MIT's DB2
# database has no delegation list (only its LDAP module reads
# krbAllowedToDelegateTo): MIT's KDC over DB2 refuses every S4U2Proxy, so
# the reference for S4U2Proxy is MIT's KDC over LDAP (its own slapd,
# lib/mitkdc_ldap.sh).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"
. "$here/lib/mitkdc.sh"
. "$here/lib/mitkdc_ldap.sh"

REALM=TEST.REALM
SVC=svc/s4u.test           # ok_to_auth_as_delegate, may delegate to $BACK
PLAIN=svc/plain.test       # neither
BACK=host/back.test
OTHER=host/other.test
trap 'orthkdc_stop; mitkdc_ldap_stop 2>/dev/null; rm -f "$CHECK_OUT"' EXIT

# forwardable KLIST_OUT SERVICE: MIT's `klist -f` shows the ticket to
# SERVICE forwardable
forwardable() {
	grep -A1 "$2@$REALM" "$1" | grep -q "Flags: [A-Za-z]*F"
}

# ---- against Orthrus ----
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
for p in $SVC $PLAIN $BACK $OTHER; do
	orth_admin add $p --random-key >/dev/null || exit 1
done
expect_ok "admin modify +ok_to_auth_as_delegate (MIT's spelling)" \
	orth_admin modify $SVC --attr +ok_to_auth_as_delegate
expect_ok "admin modify --allowed-to-delegate-to" \
	orth_admin modify $SVC --allowed-to-delegate-to $BACK --allowed-to-delegate-to $OTHER
expect_ok "admin modify --allowed-to-delegate-to -NAME removes" \
	orth_admin modify $SVC --allowed-to-delegate-to -$OTHER
orth_admin get $SVC >"$ORTH_DIR/get.out" 2>&1
expect_grep "get shows the attribute" "ok-to-auth-as-delegate" "$ORTH_DIR/get.out"
expect_grep "get shows the delegation target" "Allowed to delegate to: $BACK@$REALM\$" "$ORTH_DIR/get.out"
orth_admin get $SVC --json >"$ORTH_DIR/get.json" 2>&1
expect_ok "get --json lists the target" python3 -c "
import json,sys
d=json.load(open('$ORTH_DIR/get.json'))
sys.exit(d['allowed_to_delegate_to']!=['$BACK@$REALM'])"
expect_fail "a target outside the realm is refused" "not in realm" \
	orth_admin modify $SVC --allowed-to-delegate-to host/x@ELSEWHERE
expect_fail "add takes no delegation targets" "with modify" \
	orth_admin add host/new.test --random-key --allowed-to-delegate-to $BACK
# dump and load carry the list
expect_ok "admin dump" orth_admin dump "$ORTH_DIR/realm.dump"
expect_grep "the dump holds the list" "^principal $SVC@$REALM .* deleg=$BACK@$REALM" "$ORTH_DIR/realm.dump"
expect_ok "admin load" orth_admin load "$ORTH_DIR/realm.dump"
orth_admin get $SVC >"$ORTH_DIR/get.out" 2>&1
expect_grep "the list survives dump and load" "Allowed to delegate to: $BACK@$REALM\$" "$ORTH_DIR/get.out"
orth_admin ktadd --norandkey --keytab "$ORTH_DIR/svc.keytab" $SVC >/dev/null || exit 1
orth_admin ktadd --norandkey --keytab "$ORTH_DIR/plain.keytab" $PLAIN >/dev/null || exit 1
orth_admin ktadd --norandkey --keytab "$ORTH_DIR/back.keytab" $BACK >/dev/null || exit 1

# MIT's kvno -U / -P, run as the service (its TGT from its keytab)
export KRB5CCNAME=FILE:$ORTH_DIR/svc.cc
expect_ok "kinit -k the service" kinit -f -k -t "$ORTH_DIR/svc.keytab" $SVC
expect_ok "MIT kvno -U: S4U2Self" kvno -U alice $SVC
klist -f >"$ORTH_DIR/klist.out" 2>&1
expect_grep "the S4U2Self ticket names alice as client of the service" \
	"$SVC@$REALM" "$ORTH_DIR/klist.out"
if forwardable "$ORTH_DIR/klist.out" $SVC; then
	pass "S4U2Self ticket is forwardable (ok_to_auth_as_delegate)"
else
	fail "S4U2Self ticket not forwardable"; sed 's/^/    /' "$ORTH_DIR/klist.out" >&2
fi
# (MIT's kvno checks -k against the S4U2Self ticket, the service's own)
expect_ok "MIT kvno -U -P: S4U2Proxy to the listed target" \
	kvno -k "$ORTH_DIR/svc.keytab" -U alice -P --out-cache "$ORTH_DIR/alice-back.cc" $BACK
klist >"$ORTH_DIR/klist.out" 2>&1
expect_grep "klist shows alice's ticket to the target" \
	"for client alice@$REALM" "$ORTH_DIR/klist.out"
expect_ok "the delegated ticket decrypts under the target's key" \
	env KRB5CCNAME="FILE:$ORTH_DIR/alice-back.cc" kvno --cached-only -k "$ORTH_DIR/back.keytab" $BACK
expect_fail "MIT kvno -U -P to an unlisted target" "KDC can't fulfill requested option" \
	kvno -U alice -P $OTHER
expect_fail "MIT kvno -U for an unknown user" "not found in Kerberos database" \
	kvno -U nobody $SVC
expect_fail "MIT kvno -U -P to a TGS" "KDC policy rejects request" \
	kvno -U alice -P krbtgt/$REALM

# our kvno -U / -P, the same cache (MIT's entries there are reused: kvno
# finds the S4U2Self ticket cached)
expect_ok "orthrus kvno -U: S4U2Self" "$ORTHRUS" kvno -U alice $SVC
expect_ok "orthrus kvno -U -P -k: the delegated ticket decrypts under the target's key" \
	"$ORTHRUS" kvno -k "$ORTH_DIR/back.keytab" -U alice -P $BACK
export KRB5CCNAME=FILE:$ORTH_DIR/svc-orth.cc
expect_ok "orthrus kinit -k the service" "$ORTHRUS" kinit -f -k -t "$ORTH_DIR/svc.keytab" $SVC
"$ORTHRUS" kvno -U alice $SVC >"$ORTH_DIR/kvno.out" 2>&1
expect_grep "orthrus kvno -U from the KDC prints the kvno" "^$SVC@$REALM: kvno = 1\$" "$ORTH_DIR/kvno.out"
expect_ok "orthrus kvno -U -P from the KDC" \
	"$ORTHRUS" kvno -k "$ORTH_DIR/back.keytab" -U alice -P $BACK
klist -f >"$ORTH_DIR/klist.out" 2>&1
expect_grep "MIT's klist reads our S4U2Proxy ticket" "for client alice@$REALM" "$ORTH_DIR/klist.out"
expect_fail "orthrus kvno -U for another service" "client and server principal names must match" \
	"$ORTHRUS" kvno -U alice $BACK
expect_fail "orthrus kvno -U -P to an unlisted target" "KDC can't fulfill requested option" \
	"$ORTHRUS" kvno -U alice -P $OTHER
expect_fail "orthrus kvno -U for an unknown user" "not found" \
	"$ORTHRUS" kvno -U nobody $SVC
expect_fail "orthrus kvno -P without -U" "requires option -I|-U|-F" \
	"$ORTHRUS" kvno -P $BACK
export KRB5CCNAME=FILE:$ORTH_DIR/svc.cc
grep -c "S4U2Self\|S4U2Proxy" "$ORTH_DIR/kdc.log" >/dev/null &&
	pass "KDC log names S4U2Self/S4U2Proxy" || fail "KDC log does not name S4U"

# the service without ok_to_auth_as_delegate: not forwardable, no proxy
export KRB5CCNAME=FILE:$ORTH_DIR/plain.cc
expect_ok "kinit -k the plain service" kinit -f -k -t "$ORTH_DIR/plain.keytab" $PLAIN
expect_ok "MIT kvno -U for the plain service" kvno -U alice $PLAIN
klist -f >"$ORTH_DIR/klist.out" 2>&1
if forwardable "$ORTH_DIR/klist.out" $PLAIN; then
	fail "S4U2Self ticket of the plain service is forwardable"
	sed 's/^/    /' "$ORTH_DIR/klist.out" >&2
else
	pass "S4U2Self ticket without ok_to_auth_as_delegate is not forwardable"
fi
expect_fail "MIT kvno -U -P from the plain service" "KDC can't fulfill requested option" \
	kvno -U alice -P $BACK

# the list cleared: no more delegation
expect_ok "admin modify --clear-allowed-to-delegate-to" \
	orth_admin modify $SVC --clear-allowed-to-delegate-to
export KRB5CCNAME=FILE:$ORTH_DIR/svc2.cc
kinit -f -k -t "$ORTH_DIR/svc.keytab" $SVC >/dev/null 2>&1
expect_fail "MIT kvno -U -P after the list is cleared" "KDC can't fulfill requested option" \
	kvno -U alice -P $BACK
orthkdc_stop

# ---- the reference: MIT's krb5kdc (DB2) ----
if mitkdc_start $REALM; then
	mitkdc_addprinc alice alice-Pa55 || fail "MIT addprinc alice"
	mitkdc_addprinc_randkey $SVC || fail "MIT addprinc $SVC"
	mitkdc_addprinc_randkey $BACK || fail "MIT addprinc $BACK"
	mitkdc_kadmin "modprinc +ok_to_auth_as_delegate $SVC" || fail "MIT modprinc"
	mitkdc_ktadd "$MIT_DIR/svc.keytab" $SVC || fail "MIT ktadd"
	export KRB5CCNAME=FILE:$MIT_DIR/svc.cc
	expect_ok "MIT KDC: kinit -k the service" kinit -f -k -t "$MIT_DIR/svc.keytab" $SVC
	expect_ok "MIT KDC: MIT kvno -U (reference)" kvno -U alice $SVC
	klist -f >"$MIT_DIR/klist.out" 2>&1
	if forwardable "$MIT_DIR/klist.out" $SVC; then
		pass "MIT KDC: S4U2Self ticket forwardable with ok_to_auth_as_delegate (reference)"
	else
		fail "MIT KDC: S4U2Self ticket not forwardable"
	fi
	expect_fail "MIT KDC: MIT kvno -U -P refused without a delegation list (DB2)" \
		"KDC can't fulfill requested option" kvno -U alice -P $BACK
	export KRB5CCNAME=FILE:$MIT_DIR/svc-orth.cc
	expect_ok "MIT KDC: orthrus kinit -k the service" \
		"$ORTHRUS" kinit -f -k -t "$MIT_DIR/svc.keytab" $SVC
	expect_ok "MIT KDC: orthrus kvno -U" "$ORTHRUS" kvno -k "$MIT_DIR/svc.keytab" -U alice $SVC
	klist -f >"$MIT_DIR/klist.out" 2>&1
	if grep -A1 "$SVC@$REALM" "$MIT_DIR/klist.out" | grep -q "for client alice@$REALM.*Flags: [A-Za-z]*F"; then
		pass "MIT KDC: our S4U2Self ticket is alice's and forwardable"
	else
		fail "MIT KDC: our S4U2Self ticket"; sed 's/^/    /' "$MIT_DIR/klist.out" >&2
	fi
	expect_fail "MIT KDC: orthrus kvno -U -P refused without a delegation list (DB2)" \
		"KDC can't fulfill requested option" "$ORTHRUS" kvno -U alice -P $BACK
	mitkdc_stop
else
	fail "MIT KDC did not start"
fi

# ---- the reference for S4U2Proxy: MIT's krb5kdc over LDAP ----
if mitkdc_ldap_start $REALM; then
	mitkdc_addprinc alice alice-Pa55 || fail "MIT/LDAP addprinc alice"
	for p in $SVC $BACK $OTHER; do
		mitkdc_addprinc_randkey $p || fail "MIT/LDAP addprinc $p"
	done
	mitkdc_kadmin "modprinc +ok_to_auth_as_delegate $SVC" || fail "MIT/LDAP modprinc"
	mitkdc_ldap_deleg "$SVC@$REALM" "$BACK@$REALM" || fail "MIT/LDAP krbAllowedToDelegateTo"
	mitkdc_ktadd "$MIT_DIR/svc.keytab" $SVC || fail "MIT/LDAP ktadd"
	mitkdc_ktadd "$MIT_DIR/back.keytab" $BACK || fail "MIT/LDAP ktadd"
	export KRB5CCNAME=FILE:$MIT_DIR/svc.cc
	expect_ok "MIT/LDAP: kinit -k the service" kinit -f -k -t "$MIT_DIR/svc.keytab" $SVC
	expect_ok "MIT/LDAP: MIT kvno -U -P to the listed target (reference)" \
		kvno -k "$MIT_DIR/svc.keytab" -U alice -P --out-cache "$MIT_DIR/ab.cc" $BACK
	expect_ok "MIT/LDAP: the delegated ticket decrypts under the target's key" \
		env KRB5CCNAME="FILE:$MIT_DIR/ab.cc" kvno --cached-only -k "$MIT_DIR/back.keytab" $BACK
	expect_fail "MIT/LDAP: MIT kvno -U -P to an unlisted target (reference)" \
		"KDC can't fulfill requested option" kvno -U alice -P $OTHER
	export KRB5CCNAME=FILE:$MIT_DIR/svc-orth.cc
	expect_ok "MIT/LDAP: orthrus kinit -k the service" \
		"$ORTHRUS" kinit -f -k -t "$MIT_DIR/svc.keytab" $SVC
	expect_ok "MIT/LDAP: orthrus kvno -U -P -k to the listed target" \
		"$ORTHRUS" kvno -k "$MIT_DIR/back.keytab" -U alice -P $BACK
	klist >"$MIT_DIR/klist.out" 2>&1
	expect_grep "MIT/LDAP: MIT's klist shows our delegated ticket" \
		"for client alice@$REALM" "$MIT_DIR/klist.out"
	expect_fail "MIT/LDAP: orthrus kvno -U -P to an unlisted target" \
		"KDC can't fulfill requested option" "$ORTHRUS" kvno -U alice -P $OTHER
	grep -q "CONSTRAINED-DELEGATION s4u-client=alice@$REALM" "$MIT_DIR/kdc.log" &&
		pass "MIT/LDAP: MIT's KDC logged the constrained delegation" ||
		fail "MIT/LDAP: no CONSTRAINED-DELEGATION in MIT's KDC log"
	mitkdc_ldap_stop
else
	fail "MIT's KDC over LDAP did not start"
fi

check_done
