#!/bin/bash
# The client on a real machine's configuration (issue 14): a RHEL/Fedora-
# style krb5.conf (includedir, include, '{' on its own line, repeated
# sections) read by our tools and MIT's on the same files; setuid programs
# ignoring KRB5_CONFIG, KRB5_KTNAME and KRB5CCNAME; `kvno -q` and `kvno -e`
# as MIT's; version 2 and 3 caches (MIT's `ccache_type`) read and kept in
# their version; %{...} tokens in default_ccache_name as MIT expands them.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

[ -x "${ORTHRUS:-}" ] || { echo "ORTHRUS not set" >&2; exit 1; }
for p in kinit klist kvno; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done

REALM=CONFIG.TEST
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export ORTHRUS_KDC_TIMEOUT_MS=500

orthkdc_start $REALM || exit 1
D=$ORTH_DIR
echo alice-Pa55 | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
orth_admin add host/svc.config.test --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$D/svc.kt" host/svc.config.test >/dev/null || exit 1

O() { "$ORTHRUS" "$@"; }
okinit() { local cc=$1; shift; echo alice-Pa55 | O kinit -c "$cc" "$@" alice; }

# 1. A stock RHEL/Fedora krb5.conf: the realm lives in a snippet of
# /etc/krb5.conf.d (here $D/krb5.conf.d), with '{' on the line after its
# name; crypto-policies' snippet sets the enctypes; backups are ignored.
mkdir -p "$D/krb5.conf.d"
cat >"$D/krb5.conf.d/crypto-policies" <<'EOF'
[libdefaults]
permitted_enctypes = aes256-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128 aes128-cts-hmac-sha1-96
EOF
cat >"$D/krb5.conf.d/realm-config.conf" <<EOF
[realms]
$REALM =
{
    kdc = 127.0.0.1:$ORTH_PORT
}

[libdefaults]
    default_realm = $REALM
EOF
# Editor and package leftovers: a parser that read them would fail.
printf '[realms\n' >"$D/krb5.conf.d/realm-config.conf~"
printf '[realms\n' >"$D/krb5.conf.d/realm-config.conf.rpmsave"
printf '[realms\n' >"$D/krb5.conf.d/.realm-config.conf.swp"
cat >"$D/domains.conf" <<EOF
[domain_realm]
    .config.test = $REALM
    config.test = $REALM
EOF
cat >"$D/rhel.conf" <<EOF
# To opt out of the system crypto-policies configuration of krb5, remove the
# symlink at /etc/krb5.conf.d/crypto-policies which will not be recreated.
includedir $D/krb5.conf.d/

[logging]
    default = FILE:$D/krb5libs.log
    kdc = FILE:$D/krb5kdc.log
    admin_server = FILE:$D/kadmind.log

[libdefaults]
    dns_lookup_realm = false
    ticket_lifetime = 24h
    renew_lifetime = 7d
    forwardable = true
    rdns = false
    pkinit_anchors = FILE:/etc/pki/tls/certs/ca-bundle.crt
    spake_preauth_groups = edwards25519
    dns_canonicalize_hostname = fallback
    qualify_shortname = ""
    default_ccache_name = KEYRING:persistent:%{uid}

[realms]
# EXAMPLE.COM = {
#     kdc = kerberos.example.com
#     admin_server = kerberos.example.com
# }

[domain_realm]
# .example.com = EXAMPLE.COM
# example.com = EXAMPLE.COM

[libdefaults]
    dns_lookup_kdc = false
include $D/domains.conf
EOF
RHEL=$D/rhel.conf
expect_ok "MIT kinit with the RHEL-style krb5.conf" env KRB5_CONFIG="$RHEL" \
	sh -c "echo alice-Pa55 | kinit -c FILE:$D/rhel-mit.cc alice >/dev/null"
expect_ok "orthrus kinit with the same krb5.conf" env KRB5_CONFIG="$RHEL" \
	sh -c "echo alice-Pa55 | $ORTHRUS kinit -c FILE:$D/rhel-orth.cc alice"
expect_ok "orthrus klist with it" env KRB5_CONFIG="$RHEL" "$ORTHRUS" klist -c FILE:$D/rhel-orth.cc
expect_grep "the default realm comes from the snippet" "Default principal: alice@$REALM" "$CHECK_OUT"
expect_ok "orthrus kvno with it" env KRB5_CONFIG="$RHEL" "$ORTHRUS" kvno -c FILE:$D/rhel-orth.cc host/svc.config.test
expect_ok "orthrus kvno with MIT's cache" env KRB5_CONFIG="$RHEL" "$ORTHRUS" kvno -c FILE:$D/rhel-mit.cc host/svc.config.test
expect_ok "MIT kvno with our cache" env KRB5_CONFIG="$RHEL" kvno -c FILE:$D/rhel-orth.cc host/svc.config.test
expect_ok "MIT klist reads our cache" env KRB5_CONFIG="$RHEL" klist -c FILE:$D/rhel-orth.cc
expect_grep "our service ticket" "host/svc.config.test@$REALM" "$CHECK_OUT"
# A broken snippet is an error naming its file and line, for both.
printf '[libdefaults]\n\n  this is not a relation\n' >"$D/krb5.conf.d/zz-broken.conf"
expect_fail "orthrus names the broken snippet's line" "zz-broken.conf:3:" \
	env KRB5_CONFIG="$RHEL" "$ORTHRUS" klist -c FILE:$D/rhel-orth.cc
if env KRB5_CONFIG="$RHEL" klist -c FILE:$D/rhel-orth.cc >/dev/null 2>&1; then
	fail "MIT klist accepted the broken snippet (the test's premise is wrong)"
else
	pass "MIT klist refuses the broken snippet as well"
fi
rm -f "$D/krb5.conf.d/zz-broken.conf"
# A missing includedir is an error for both (MIT: "Included profile
# directory could not be read").
sed "s|^includedir .*|includedir $D/no-such-dir/|" "$RHEL" >"$D/nodir.conf"
expect_fail "orthrus: missing includedir" "no-such-dir" \
	env KRB5_CONFIG="$D/nodir.conf" "$ORTHRUS" klist -c FILE:$D/rhel-orth.cc
if env KRB5_CONFIG="$D/nodir.conf" klist -c FILE:$D/rhel-orth.cc >/dev/null 2>&1; then
	fail "MIT klist accepted a missing includedir (the test's premise is wrong)"
else
	pass "MIT klist refuses a missing includedir as well"
fi

# 2. setuid programs ignore the caller's KRB5_CONFIG, KRB5_KTNAME,
# KRB5CCNAME and ORTHRUS_CONFIG (secure_getenv, as MIT's library).
if [ "$(id -u)" -ne 0 ]; then
	fail "setuid checks need root to make a setuid copy (uid $(id -u))"
else
	S=$D/suid
	mkdir -p "$S"
	chmod 755 "$D" "$S"
	cp "$ORTHRUS" "$S/orthrus-suid"
	chown nobody "$S/orthrus-suid"
	chmod 4755 "$S/orthrus-suid"
	printf '[libdefaults\n' >"$S/evil.conf"
	chmod 644 "$S/evil.conf"
	# The plain binary reads them (the checks can fail) ...
	expect_fail "plain: KRB5_CONFIG is read" "evil.conf" \
		env KRB5_CONFIG="$S/evil.conf" "$ORTHRUS" kvno -c FILE:$S/none host/x
	expect_fail "plain: KRB5_KTNAME is read" "evil.kt" \
		env KRB5_CONFIG="$ORTH_DIR/krb5.conf" KRB5_KTNAME="FILE:$S/evil.kt" "$ORTHRUS" kinit -k alice
	expect_fail "plain: KRB5CCNAME is read" "evil.cc" \
		env KRB5_CONFIG="$ORTH_DIR/krb5.conf" KRB5CCNAME="FILE:$S/evil.cc" "$ORTHRUS" klist
	# ... the setuid one does not: it names what it uses instead (so a
	# crash cannot pass).  LeakSanitizer cannot run in a setuid process.
	suid() { env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"; }
	suid env KRB5_CONFIG="$S/evil.conf" "$S/orthrus-suid" kvno -c FILE:$S/none host/x >"$S/out" 2>&1
	if grep -q "evil.conf" "$S/out" || ! grep -q "$S/none" "$S/out"; then
		fail "setuid: KRB5_CONFIG was read"; sed 's/^/    /' "$S/out" >&2
	else pass "setuid: KRB5_CONFIG ignored"; fi
	suid env KRB5_KTNAME="FILE:$S/evil.kt" "$S/orthrus-suid" kinit -k alice >"$S/out" 2>&1
	if grep -q "evil.kt" "$S/out" || ! grep -q "/etc/krb5.keytab" "$S/out"; then
		fail "setuid: KRB5_KTNAME was read"; sed 's/^/    /' "$S/out" >&2
	else pass "setuid: KRB5_KTNAME ignored (the default keytab instead)"; fi
	suid env KRB5CCNAME="FILE:$S/evil.cc" "$S/orthrus-suid" klist >"$S/out" 2>&1
	if grep -q "evil.cc" "$S/out" || ! grep -q "krb5cc_" "$S/out"; then
		fail "setuid: KRB5CCNAME was read"; sed 's/^/    /' "$S/out" >&2
	else pass "setuid: KRB5CCNAME ignored (the default cache instead)"; fi
	suid env ORTHRUS_CONFIG="$S/evil.conf" "$S/orthrus-suid" admin list >"$S/out" 2>&1
	st=$?
	if grep -q "evil.conf" "$S/out" || { [ "$st" -ne 0 ] && ! grep -q "/etc/orthrus/kdc.conf" "$S/out"; }; then
		fail "setuid: ORTHRUS_CONFIG was read"; sed 's/^/    /' "$S/out" >&2
	else pass "setuid: ORTHRUS_CONFIG ignored"; fi
fi

# 3. kvno -q prints nothing; kvno -e adds a ticket with that session key
# enctype beside the one there (MIT's klist shows both).
cc=FILE:$D/kvno.cc
expect_ok "kinit" okinit "$cc"
O kvno -q -c "$cc" host/svc.config.test >"$D/q.out" 2>&1
st=$?
if [ "$st" -eq 0 ] && [ ! -s "$D/q.out" ]; then pass "orthrus kvno -q is quiet"
else fail "orthrus kvno -q (exit $st) printed:"; sed 's/^/    /' "$D/q.out" >&2; fi
kvno -q -c "$cc" host/svc.config.test >"$D/q.out" 2>&1
if [ ! -s "$D/q.out" ]; then pass "MIT kvno -q is quiet too"; else fail "MIT kvno -q printed"; fi
expect_ok "kvno -e aes128-cts" O kvno -e aes128-cts -c "$cc" host/svc.config.test
klist -e -c "$cc" >"$D/e.out" 2>&1
n256=$(grep -A1 "host/svc.config.test@$REALM" "$D/e.out" | grep -c "Etype (skey, tkt): aes256-cts-hmac-sha1-96," || true)
n128=$(grep -A1 "host/svc.config.test@$REALM" "$D/e.out" | grep -c "Etype (skey, tkt): aes128-cts-hmac-sha1-96," || true)
if [ "$n256" -ge 1 ] && [ "$n128" -ge 1 ]; then pass "both session key enctypes are cached"
else fail "kvno -e replaced the cached ticket (aes256: $n256, aes128: $n128)"; sed 's/^/    /' "$D/e.out" >&2; fi
expect_ok "kvno -e aes256-cts still finds its ticket" O kvno -e aes256-cts -c "$cc" host/svc.config.test

# 4. Version 2 and 3 caches (MIT writes them with ccache_type) are read and
# stay in their version when we add a ticket.
for v in 2 3; do
	sed "s/^\[libdefaults\]/[libdefaults]\n\tccache_type = $v/" "$ORTH_DIR/krb5.conf" >"$D/v$v.conf"
	f=$D/v$v.cc
	expect_ok "MIT kinit writes a version $v cache" env KRB5_CONFIG="$D/v$v.conf" sh -c "echo alice-Pa55 | kinit -c FILE:$f alice >/dev/null"
	hdr=$(od -An -tx1 -N2 "$f" | tr -d ' ')
	[ "$hdr" = "050$v" ] && pass "MIT's cache is version $v" || fail "MIT's cache header is $hdr"
	expect_ok "orthrus klist reads version $v" O klist -c FILE:$f
	expect_grep "version $v: the principal" "Default principal: alice@$REALM" "$CHECK_OUT"
	expect_ok "orthrus kvno adds to version $v" O kvno -c FILE:$f host/svc.config.test
	hdr=$(od -An -tx1 -N2 "$f" | tr -d ' ')
	[ "$hdr" = "050$v" ] && pass "the cache stays version $v" || fail "the cache became $hdr"
	expect_ok "MIT klist reads it back" klist -c FILE:$f
	expect_grep "version $v: MIT sees our ticket" "host/svc.config.test@$REALM" "$CHECK_OUT"
done

# 5. %{...} in default_ccache_name, as MIT expands it; KRB5CCNAME is
# taken as it is; an unknown token is named.
user=$(id -un)
sed "s|^\[libdefaults\]|[libdefaults]\n\tdefault_ccache_name = FILE:$D/cc_%{uid}_%{username}%{null}|" \
	"$ORTH_DIR/krb5.conf" >"$D/tok.conf"
expect_ok "orthrus kinit to the expanded default" env -u KRB5CCNAME KRB5_CONFIG="$D/tok.conf" \
	sh -c "echo alice-Pa55 | $ORTHRUS kinit alice"
[ -s "$D/cc_$(id -u)_$user" ] && pass "cache at cc_$(id -u)_$user" || fail "no cache at $D/cc_$(id -u)_$user"
expect_ok "MIT klist finds it at the same name" env -u KRB5CCNAME KRB5_CONFIG="$D/tok.conf" klist
expect_grep "MIT expands the same" "FILE:$D/cc_$(id -u)_$user" "$CHECK_OUT"
sed "s|^\[libdefaults\]|[libdefaults]\n\tdefault_ccache_name = FILE:$D/cc_%{bogus}|" \
	"$ORTH_DIR/krb5.conf" >"$D/bad-tok.conf"
expect_fail "an unknown token is named" "%{bogus}" env -u KRB5CCNAME KRB5_CONFIG="$D/bad-tok.conf" "$ORTHRUS" klist

check_done
