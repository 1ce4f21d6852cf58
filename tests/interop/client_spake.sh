#!/bin/bash
# Our client speaks SPAKE (RFC 9588), issue 12: `orthrus kinit` (the
# client library) against the Orthrus KDC and against MIT's krb5kdc with
# spake_preauth_groups = edwards25519 P-256 (the reference: a difference
# is ours), each under a tshark capture that Wireshark's Kerberos
# dissector must read without a malformed frame.
#
#   1. a default `orthrus kinit` answers the KDC's PA-SPAKE: the capture
#      shows PA-SPAKE (151) in the AS-REQs (support, response) and no
#      PA-ENC-TIMESTAMP (2), the challenge in edwards25519 (group 1, our
#      first); MIT's klist and kvno use the cache (the AS-REP opened
#      with K'[0]);
#   2. a client with spake_preauth_groups = P-256 in [libdefaults] gets
#      the challenge in P-256 (group 2);
#   3. a wrong password is refused;
#   4. with a keytab instead of a password, SPAKE too;
#   5. through the FAST tunnel (`orthrus kinit -T`): SPAKE inside, the
#      reply key K'[0] strengthened; the capture shows armored AS-REQs
#      and no PA-ENC-TIMESTAMP;
#   6. spake_preauth_groups empty on the client: SPAKE off, the
#      encrypted timestamp (pa 2) as before;
#   7. (Orthrus, through tests/interop/lib/kdcstub.py) a hostile KDC's
#      challenge whose T is the identity, a point of order 8 or not on
#      the curve is refused: kinit fails and sends no response;
#   8. (Orthrus) disable_encrypted_timestamp in the client's [realms]
#      (MIT's relation): SPAKE as before; with SPAKE off too, kinit
#      refuses before it sends any timestamp;
#   9. (MIT's KDC with P-256 only, our client with edwards25519 only) no
#      group in common: the KDC refuses the support message and our
#      client falls back to the KDC's other mechanism, as MIT's does;
#  10. (MIT's KDC with spake_preauth_kdc_challenge) an optimistic
#      challenge in PREAUTH_REQUIRED (RFC 9588 §4.6) is answered at once:
#      one AS-REQ with PA-SPAKE, the response; in a group our client does
#      not take, our support message first.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"
. "$here/lib/mitkdc.sh"
. "$here/lib/capture.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
capture_prologue

# spake_seen WHO DIR NAME GROUP: the AS-REQs of capture NAME used SPAKE
# (support and response), never the timestamp, in GROUP.
spake_seen() {
	local who=$1 dir=$2 name=$3 group=$4
	pa_expect "$who: $name: AS-REQs with PA-SPAKE (support, response)" "$dir/$name.pa" 151 -ge 2
	pa_expect "$who: $name: no PA-ENC-TIMESTAMP in any AS-REQ" "$dir/$name.pa" 2 -eq 0
	if grep -qx "$group" "$dir/$name.groups" && ! grep -qvx "$group" "$dir/$name.groups"; then
		pass "$who: $name: the challenge is in group $group"
	else
		fail "$who: $name: challenge groups: $(tr '\n' ' ' <"$dir/$name.groups")"
	fi
}

# The checks of one KDC (WHO) on PORT; DIR for caches and captures; LOG
# the KDC's log and SPAKEFAST what it says of SPAKE inside FAST.
client_checks() {
	local who=$1 dir=$2 port=$3 log=$4 spakefast=$5 from
	local cap="$who $dir $port"
	sed '/^\[libdefaults\]/a\	spake_preauth_groups = P-256' "$KRB5_CONFIG" >"$dir/p256.conf"
	sed '/^\[libdefaults\]/a\	spake_preauth_groups =' "$KRB5_CONFIG" >"$dir/off.conf"

	# 1. the default: edwards25519
	# shellcheck disable=SC2086
	captured $cap ed25519 expect_ok "$who: orthrus kinit alice" \
		bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/ed.cc alice"
	spake_seen "$who" "$dir" ed25519 1
	expect_ok "$who: MIT's kvno with the TGT got through SPAKE" env KRB5CCNAME="FILE:$dir/ed.cc" kvno $SVC

	# 2. the client asks for P-256
	# shellcheck disable=SC2086
	captured $cap p256 expect_ok "$who: orthrus kinit alice with spake_preauth_groups = P-256" \
		bash -c "echo alice-Pa55 | KRB5_CONFIG=$dir/p256.conf '$ORTHRUS' kinit -c FILE:$dir/p.cc alice"
	spake_seen "$who" "$dir" p256 2
	expect_ok "$who: MIT's klist reads the P-256 cache" klist -c "FILE:$dir/p.cc"

	# 3. a wrong password
	# shellcheck disable=SC2086
	captured $cap wrong expect_fail "$who: orthrus kinit with a wrong password is refused" \
		"Password incorrect" bash -c "echo wrong | '$ORTHRUS' kinit -c FILE:$dir/w.cc bob"
	pa_expect "$who: wrong password: tried with SPAKE" "$dir/wrong.pa" 151 -ge 2
	pa_expect "$who: wrong password: no PA-ENC-TIMESTAMP" "$dir/wrong.pa" 2 -eq 0

	# 4. a keytab
	# shellcheck disable=SC2086
	captured $cap keytab expect_ok "$who: orthrus kinit -k -t keytab bob" \
		"$ORTHRUS" kinit -k -t "$dir/bob.keytab" -c "FILE:$dir/k.cc" bob
	spake_seen "$who" "$dir" keytab 1

	# 5. through the FAST tunnel: SPAKE inside (the capture sees only
	# PA-FX-FAST outside; the KDC's log says which mechanism)
	from=$(($(wc -l <"$log") + 1))
	capture_start "$dir" "$port" fast || return 1
	expect_ok "$who: orthrus kinit -T armor bob (SPAKE inside FAST)" \
		bash -c "echo bob-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/f.cc -T FILE:$dir/ed.cc bob"
	expect_fail "$who: orthrus kinit -T with a wrong password" "Password incorrect" \
		bash -c "echo wrong | '$ORTHRUS' kinit -c FILE:$dir/fx.cc -T FILE:$dir/ed.cc bob"
	capture_stop
	capture_check "$who" "$dir" "$port" fast
	# three rounds each (plain, support, response): encrypted
	# challenge would take two
	pa_expect "$who: FAST: armored AS-REQs (PA-FX-FAST), three rounds a login" "$dir/fast.pa" 136 -ge 6
	pa_expect "$who: FAST: no PA-ENC-TIMESTAMP" "$dir/fast.pa" 2 -eq 0
	tail -n +"$from" "$log" >"$dir/fast.log"
	expect_grep "$who: FAST: the KDC's log shows SPAKE inside the tunnel" "$spakefast" "$dir/fast.log"
	expect_ok "$who: MIT's kvno with the TGT got through FAST and SPAKE" env KRB5CCNAME="FILE:$dir/f.cc" kvno $SVC

	# 6. SPAKE off on the client: the encrypted timestamp
	# shellcheck disable=SC2086
	captured $cap off expect_ok "$who: orthrus kinit alice with spake_preauth_groups empty" \
		bash -c "echo alice-Pa55 | KRB5_CONFIG=$dir/off.conf '$ORTHRUS' kinit -c FILE:$dir/o.cc alice"
	pa_expect "$who: SPAKE off: no PA-SPAKE" "$dir/off.pa" 151 -eq 0
	pa_expect "$who: SPAKE off: the encrypted timestamp" "$dir/off.pa" 2 -ge 1
}

# ---- Orthrus ----
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
echo 'bob-Pa55' | orth_admin add bob --password-stdin --requires-preauth >/dev/null || exit 1
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/bob.keytab" --norandkey bob >/dev/null ||
	fail "Orthrus: orthrus admin ktadd bob"
client_checks Orthrus "$ORTH_DIR" "$ORTH_PORT" "$ORTH_DIR/kdc.log" \
	'AS-REQ client=bob@TEST.REALM .*ok reason="spake, FAST armor'
# 7. hostile challenges
for bad in identity order8 offcurve; do
	sp=$(free_port)
	: >"$ORTH_DIR/stub-$bad.log"
	/usr/bin/python3 "$here/lib/kdcstub.py" "$sp" "$ORTH_PORT" "$ORTH_DIR/stub-$bad.log" spake-$bad &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$ORTH_DIR/stub-$bad.log" 2>/dev/null && break; sleep 0.1; done
	sed "s/127.0.0.1:$ORTH_PORT/127.0.0.1:$sp/" "$KRB5_CONFIG" >"$ORTH_DIR/stub.conf"
	expect_fail "Orthrus: a challenge with T = $bad is refused" "SPAKE message is refused" \
		env KRB5_CONFIG="$ORTH_DIR/stub.conf" bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c FILE:$ORTH_DIR/bad.cc alice"
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	n=$(grep -c '^udp\|^tcp' "$ORTH_DIR/stub-$bad.log" || true)
	if grep -q "bad challenge" "$ORTH_DIR/stub-$bad.log" && [ "$n" -eq 2 ]; then
		pass "Orthrus: T = $bad: the stub sent it, no response followed (2 requests)"
	else
		fail "Orthrus: T = $bad: $n requests"; cat "$ORTH_DIR/stub-$bad.log" >&2
	fi
done
# 8. the client's disable_encrypted_timestamp
sed "/kdc = 127.0.0.1:$ORTH_PORT/a\		disable_encrypted_timestamp = true" "$KRB5_CONFIG" >"$ORTH_DIR/noencts.conf"
sed '/^\[libdefaults\]/a\	spake_preauth_groups =' "$ORTH_DIR/noencts.conf" >"$ORTH_DIR/noencts-nospake.conf"
capture_start "$ORTH_DIR" "$ORTH_PORT" noencts || exit 1
expect_ok "Orthrus: client disable_encrypted_timestamp: orthrus kinit alice (SPAKE)" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$ORTH_DIR/noencts.conf '$ORTHRUS' kinit -c FILE:$ORTH_DIR/ne.cc alice"
expect_fail "Orthrus: client disable_encrypted_timestamp and SPAKE off: refused, no timestamp sent" \
	"Encrypted timestamp is disabled" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$ORTH_DIR/noencts-nospake.conf '$ORTHRUS' kinit -c FILE:$ORTH_DIR/ne2.cc alice"
capture_stop
capture_check Orthrus "$ORTH_DIR" "$ORTH_PORT" noencts
pa_expect "Orthrus: client disable_encrypted_timestamp: SPAKE" "$ORTH_DIR/noencts.pa" 151 -ge 2
pa_expect "Orthrus: client disable_encrypted_timestamp: never PA-ENC-TIMESTAMP" "$ORTH_DIR/noencts.pa" 2 -eq 0
n=$(grep -c 'AS-REQ client=alice@TEST.REALM .*ok reason="spake' "$ORTH_DIR/kdc.log" || true)
if [ "$n" -ge 2 ]; then pass "Orthrus: KDC log: alice logged in with SPAKE ($n)"; else fail "Orthrus: KDC log: $n SPAKE logins of alice"; fi
expect_grep "Orthrus: KDC log: the wrong password failed SPAKE" \
	'AS-REQ client=bob@TEST.REALM .*error=KDC_ERR_PREAUTH_FAILED reason="SPAKE response does not decrypt' "$ORTH_DIR/kdc.log"
expect_grep "Orthrus: KDC log: SPAKE off on the client: encrypted timestamp" \
	'AS-REQ client=alice@TEST.REALM .*ok reason="encrypted-timestamp' "$ORTH_DIR/kdc.log"
orthkdc_stop

# ---- MIT's krb5kdc, the reference ----
mitkdc_start $REALM || exit 1
mitkdc_addprinc alice alice-Pa55 || exit 1
mitkdc_addprinc bob bob-Pa55 || exit 1
mitkdc_addprinc_randkey $SVC || exit 1
mitkdc_ktadd "$MIT_DIR/bob.keytab" bob || exit 1
# mitkdc_restart_with GROUPS [OPTIMISTIC_GROUP]
mitkdc_restart_with() {
	kill "$MIT_KDC_PID" 2>/dev/null; wait "$MIT_KDC_PID" 2>/dev/null
	sed -i '/^\[libdefaults\]/,$d' "$MIT_DIR/kdc.conf"
	sed -i '/spake_preauth_kdc_challenge/d' "$MIT_DIR/kdc.conf"
	[ -n "${2:-}" ] &&
		sed -i "/^\[kdcdefaults\]/a\\	spake_preauth_kdc_challenge = $2" "$MIT_DIR/kdc.conf"
	# MIT's KDC reads the relation from [libdefaults] of its profile
	printf '[libdefaults]\n\tspake_preauth_groups = %s\n' "$1" >>"$MIT_DIR/kdc.conf"
	"$MITKDC_SBIN/krb5kdc" -n -r $REALM >>"$MIT_DIR/krb5kdc.out" 2>&1 &
	MIT_KDC_PID=$!
	wait_tcp_port "$MIT_PORT" "$MIT_KDC_PID" || fail "MIT: krb5kdc did not restart"
}
mitkdc_restart_with "edwards25519 P-256"
client_checks MIT "$MIT_DIR" "$MIT_PORT" "$MIT_DIR/kdc.log" \
	'preauth (spake) verify failure: More preauthentication data is required'
# 9. no group in common: fall back
mitkdc_restart_with "P-256"
sed '/^\[libdefaults\]/a\	spake_preauth_groups = edwards25519' "$KRB5_CONFIG" >"$MIT_DIR/ed.conf"
captured MIT "$MIT_DIR" "$MIT_PORT" fallback expect_ok "MIT: P-256 KDC, edwards25519 client: orthrus kinit falls back" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$MIT_DIR/ed.conf '$ORTHRUS' kinit -c FILE:$MIT_DIR/fb.cc alice"
pa_expect "MIT: fallback: one support message" "$MIT_DIR/fallback.pa" 151 -eq 1
pa_expect "MIT: fallback: then the encrypted timestamp" "$MIT_DIR/fallback.pa" 2 -eq 1
# 10. optimistic challenges
mitkdc_restart_with "edwards25519 P-256" edwards25519
captured MIT "$MIT_DIR" "$MIT_PORT" optimistic expect_ok "MIT: optimistic edwards25519 challenge: orthrus kinit" \
	bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c FILE:$MIT_DIR/op.cc alice"
pa_expect "MIT: optimistic challenge: answered at once (one AS-REQ with PA-SPAKE)" "$MIT_DIR/optimistic.pa" 151 -eq 1
pa_expect "MIT: optimistic challenge: no PA-ENC-TIMESTAMP" "$MIT_DIR/optimistic.pa" 2 -eq 0
sed '/^\[libdefaults\]/a\	spake_preauth_groups = P-256' "$KRB5_CONFIG" >"$MIT_DIR/p256only.conf"
captured MIT "$MIT_DIR" "$MIT_PORT" optimistic2 expect_ok "MIT: optimistic edwards25519 challenge, P-256 client: orthrus kinit" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$MIT_DIR/p256only.conf '$ORTHRUS' kinit -c FILE:$MIT_DIR/op2.cc alice"
pa_expect "MIT: optimistic challenge in another group: support, then response" "$MIT_DIR/optimistic2.pa" 151 -eq 2
mitkdc_stop

check_done
