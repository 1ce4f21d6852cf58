#!/bin/bash
# SPAKE pre-authentication (RFC 9588) with MIT's kinit: issue 12's "Must
# show" for SPAKE.  Every check runs against the Orthrus KDC (SPAKE on by
# default) and against MIT's own krb5kdc with spake_preauth_groups set
# (the reference: a difference is ours), each under a tshark capture that
# Wireshark's Kerberos dissector must read without a malformed frame.
#
#   1. a default kinit logs in with SPAKE in edwards25519 (group 1, MIT's
#      client default): the capture shows PA-SPAKE (151) and no
#      PA-ENC-TIMESTAMP (2) in the AS-REQs, the challenge names group 1,
#      MIT's cache records pa_type 151; the KDC log names the mechanism;
#   2. a client configured with spake_preauth_groups = P-256 logs in in
#      P-256 (group 2);
#   3. a wrong password is refused (and, Orthrus, counted: the log says
#      why);
#   4. a realm with `spake_preauth_groups =` (empty) does not offer SPAKE:
#      the same kinit falls back to the encrypted timestamp (pa_type 2);
#   5. (Orthrus) a realm with disable_encrypted_timestamp = true offers no
#      PA-ENC-TIMESTAMP (the capture's KRB-ERRORs) and takes none: MIT's
#      kinit logs in with SPAKE; a client that sends a timestamp anyway
#      (ours with SPAKE off) gets PREAUTH_REQUIRED again, the log says
#      why; MIT's kinit with SPAKE off has no mechanism left.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"
. "$here/lib/mitkdc.sh"
. "$here/lib/capture.sh"

REALM=TEST.REALM
capture_prologue

# The checks of one KDC (WHO) on PORT; DIR for caches and captures.
spake_checks() {
	local who=$1 dir=$2 port=$3 n
	sed '/^\[libdefaults\]/a\	spake_preauth_groups = P-256' "$KRB5_CONFIG" >"$dir/p256.conf"

	# 1. the default: edwards25519
	capture_start "$dir" "$port" ed25519 || return 1
	expect_ok "$who: default kinit alice" bash -c "echo alice-Pa55 | KRB5_TRACE=$dir/ed.trace KRB5CCNAME=FILE:$dir/ed.cc kinit alice"
	capture_stop
	klist -C -c "FILE:$dir/ed.cc" >"$dir/ed.klist" 2>&1
	expect_grep "$who: MIT's cache records pa_type 151 (SPAKE)" "pa_type(krbtgt/$REALM@$REALM) = 151" "$dir/ed.klist"
	expect_grep "$who: MIT's trace: SPAKE challenge in edwards25519" "Sending SPAKE response\|SPAKE challenge.*group 1\|edwards25519" "$dir/ed.trace"
	capture_check "$who" "$dir" "$port" ed25519
	n=$(has_pa "$dir/ed25519.pa" 151)
	if [ "$n" -ge 2 ]; then pass "$who: capture: AS-REQs with PA-SPAKE (151): $n (support, response)"; else fail "$who: capture: $n AS-REQs with PA-SPAKE"; cat "$dir/ed25519.pa" >&2; fi
	n=$(has_pa "$dir/ed25519.pa" 2)
	if [ "$n" -eq 0 ]; then pass "$who: capture: no PA-ENC-TIMESTAMP (2) in any AS-REQ"; else fail "$who: capture: $n AS-REQs with PA-ENC-TIMESTAMP"; cat "$dir/ed25519.pa" >&2; fi
	if grep -qx 1 "$dir/ed25519.groups"; then pass "$who: capture: the challenge is in edwards25519 (group 1)"; else fail "$who: capture: no edwards25519 challenge"; cat "$dir/ed25519.groups" >&2; fi

	# 2. the client asks for P-256
	capture_start "$dir" "$port" p256 || return 1
	expect_ok "$who: kinit alice with spake_preauth_groups = P-256" \
		bash -c "echo alice-Pa55 | KRB5_CONFIG=$dir/p256.conf KRB5CCNAME=FILE:$dir/p.cc kinit alice"
	capture_stop
	klist -C -c "FILE:$dir/p.cc" >"$dir/p.klist" 2>&1
	expect_grep "$who: P-256: MIT's cache records pa_type 151" "pa_type(krbtgt/$REALM@$REALM) = 151" "$dir/p.klist"
	capture_check "$who" "$dir" "$port" p256
	n=$(has_pa "$dir/p256.pa" 151)
	if [ "$n" -ge 2 ]; then pass "$who: P-256: AS-REQs with PA-SPAKE (151): $n"; else fail "$who: P-256: $n AS-REQs with PA-SPAKE"; fi
	n=$(has_pa "$dir/p256.pa" 2)
	if [ "$n" -eq 0 ]; then pass "$who: P-256: no PA-ENC-TIMESTAMP (2)"; else fail "$who: P-256: $n AS-REQs with PA-ENC-TIMESTAMP"; fi
	if grep -qx 2 "$dir/p256.groups" && ! grep -qx 1 "$dir/p256.groups"; then pass "$who: P-256: the challenge is in P-256 (group 2)"; else fail "$who: P-256: groups seen: $(tr '\n' ' ' <"$dir/p256.groups")"; fi

	# 3. a wrong password
	capture_start "$dir" "$port" wrong || return 1
	expect_fail "$who: kinit with a wrong password is refused" "Password incorrect\|Preauthentication failed" \
		bash -c "echo wrong | KRB5_TRACE=$dir/wrong.trace KRB5CCNAME=FILE:$dir/w.cc kinit bob"
	capture_stop
	capture_check "$who" "$dir" "$port" wrong
	n=$(has_pa "$dir/wrong.pa" 151)
	if [ "$n" -ge 2 ]; then pass "$who: wrong password: tried with SPAKE ($n AS-REQs with 151)"; else fail "$who: wrong password: $n AS-REQs with PA-SPAKE"; fi
	expect_ok "$who: the right password still works after" bash -c "echo bob-Pa55 | KRB5CCNAME=FILE:$dir/b.cc kinit bob"
}

# ---- Orthrus ----
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
echo 'bob-Pa55' | orth_admin add bob --password-stdin --requires-preauth >/dev/null || exit 1
spake_checks Orthrus "$ORTH_DIR" "$ORTH_PORT"
expect_grep "Orthrus: KDC log: alice logged in with SPAKE" \
	'AS-REQ client=alice@TEST.REALM .*ok reason="spake' "$ORTH_DIR/kdc.log"
expect_grep "Orthrus: KDC log: the support message got a challenge" \
	'AS-REQ client=alice@TEST.REALM .*error=KDC_ERR_MORE_PREAUTH_DATA_REQUIRED reason="SPAKE challenge' "$ORTH_DIR/kdc.log"
expect_grep "Orthrus: KDC log: the wrong password failed SPAKE" \
	'AS-REQ client=bob@TEST.REALM .*error=KDC_ERR_PREAUTH_FAILED reason="SPAKE response does not decrypt' "$ORTH_DIR/kdc.log"
# 4. SPAKE turned off in the realm: encrypted timestamp
kill "$ORTH_KDC_PID" 2>/dev/null; wait "$ORTH_KDC_PID" 2>/dev/null
sed -i '/supported_enctypes/a\		spake_preauth_groups =' "$ORTH_DIR/kdc.conf"
orthkdc_run || exit 1
capture_start "$ORTH_DIR" "$ORTH_PORT" off || exit 1
expect_ok "Orthrus: spake_preauth_groups empty: kinit alice" \
	bash -c "echo alice-Pa55 | KRB5CCNAME=FILE:$ORTH_DIR/off.cc kinit alice"
capture_stop
klist -C -c "FILE:$ORTH_DIR/off.cc" >"$ORTH_DIR/off.klist" 2>&1
expect_grep "Orthrus: SPAKE off: MIT's cache records pa_type 2 (encrypted timestamp)" \
	"pa_type(krbtgt/$REALM@$REALM) = 2" "$ORTH_DIR/off.klist"
capture_check Orthrus "$ORTH_DIR" "$ORTH_PORT" off
n=$(has_pa "$ORTH_DIR/off.pa" 151)
if [ "$n" -eq 0 ]; then pass "Orthrus: SPAKE off: no PA-SPAKE in the AS-REQs"; else fail "Orthrus: SPAKE off: $n AS-REQs with PA-SPAKE"; fi
# 5. disable_encrypted_timestamp
kill "$ORTH_KDC_PID" 2>/dev/null; wait "$ORTH_KDC_PID" 2>/dev/null
sed -i 's/spake_preauth_groups =.*/spake_preauth_groups = edwards25519 P-256/' "$ORTH_DIR/kdc.conf"
sed -i '/supported_enctypes/a\		disable_encrypted_timestamp = true' "$ORTH_DIR/kdc.conf"
orthkdc_run || exit 1
sed '/^\[libdefaults\]/a\	spake_preauth_groups =' "$KRB5_CONFIG" >"$ORTH_DIR/nospake.conf"
# MIT's profile has no empty value: its client module turned off instead
{ cat "$KRB5_CONFIG"; printf '\n[plugins]\n\tclpreauth = {\n\t\tdisable = spake\n\t}\n'; } >"$ORTH_DIR/mitnospake.conf"
capture_start "$ORTH_DIR" "$ORTH_PORT" noencts || exit 1
expect_ok "Orthrus: disable_encrypted_timestamp: MIT kinit alice (SPAKE)" \
	bash -c "echo alice-Pa55 | KRB5CCNAME=FILE:$ORTH_DIR/ne.cc kinit alice"
expect_fail "Orthrus: disable_encrypted_timestamp: a PA-ENC-TIMESTAMP (orthrus kinit, SPAKE off) is not taken" \
	"pre-authentication required" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$ORTH_DIR/nospake.conf '$ORTHRUS' kinit -c FILE:$ORTH_DIR/ne2.cc alice"
expect_fail "Orthrus: disable_encrypted_timestamp: MIT kinit with SPAKE off has no mechanism left" \
	"[Pp]reauthentication\|pre-authentication" \
	bash -c "echo alice-Pa55 | KRB5_CONFIG=$ORTH_DIR/mitnospake.conf KRB5CCNAME=FILE:$ORTH_DIR/ne3.cc kinit alice"
capture_stop
klist -C -c "FILE:$ORTH_DIR/ne.cc" >"$ORTH_DIR/ne.klist" 2>&1
expect_grep "Orthrus: disable_encrypted_timestamp: MIT's cache records pa_type 151" \
	"pa_type(krbtgt/$REALM@$REALM) = 151" "$ORTH_DIR/ne.klist"
capture_check Orthrus "$ORTH_DIR" "$ORTH_PORT" noencts
# shellcheck disable=SC2046
tshark -r "$ORTH_DIR/noencts.pcap" $(capture_decode "$ORTH_PORT") -Y "kerberos.msg_type == 30" -T fields -e kerberos.padata_type \
	2>/dev/null >"$ORTH_DIR/noencts.errpa"
n=$(has_pa "$ORTH_DIR/noencts.errpa" 151)
m=$(has_pa "$ORTH_DIR/noencts.errpa" 2)
if [ "$n" -ge 1 ] && [ "$m" -eq 0 ]; then pass "Orthrus: disable_encrypted_timestamp: the KDC offers SPAKE, never PA-ENC-TIMESTAMP"; else fail "Orthrus: disable_encrypted_timestamp: KRB-ERRORs offering 151: $n, 2: $m"; cat "$ORTH_DIR/noencts.errpa" >&2; fi
n=$(has_pa "$ORTH_DIR/noencts.pa" 2)
if [ "$n" -ge 1 ]; then pass "Orthrus: disable_encrypted_timestamp: the capture has the AS-REQ with PA-ENC-TIMESTAMP ($n)"; else fail "Orthrus: disable_encrypted_timestamp: no AS-REQ with PA-ENC-TIMESTAMP"; fi
expect_grep "Orthrus: KDC log: the timestamp was not taken, and why" \
	'AS-REQ client=alice@TEST.REALM .*error=KDC_ERR_PREAUTH_REQUIRED reason="encrypted-timestamp is disabled in this realm"' "$ORTH_DIR/kdc.log"
"$ORTHRUS" explain alice --log "$ORTH_DIR/kdc.log" >"$ORTH_DIR/explain.out" 2>&1
expect_grep "Orthrus: orthrus explain names the mechanism turned off" \
	"^\* pre-authenticated with a mechanism this realm has turned off" "$ORTH_DIR/explain.out"
if grep -q 'ok reason="encrypted-timestamp' "$ORTH_DIR/kdc.log"; then fail "Orthrus: disable_encrypted_timestamp: a login with the timestamp went through"; else pass "Orthrus: disable_encrypted_timestamp: no login with the timestamp"; fi
# an unknown group stops the KDC at start-up
kill "$ORTH_KDC_PID" 2>/dev/null; wait "$ORTH_KDC_PID" 2>/dev/null
ORTH_KDC_PID=
sed -i 's/spake_preauth_groups =.*/spake_preauth_groups = edwards25519 P-999/' "$ORTH_DIR/kdc.conf"
expect_fail "Orthrus: an unknown group in spake_preauth_groups stops the KDC" "P-999" \
	"$ORTHRUS" kdc -c "$ORTHRUS_CONFIG" --foreground --pidfile "$ORTH_DIR/kdc2.pid"
orthkdc_stop

# ---- MIT's krb5kdc, the reference ----
mitkdc_start $REALM || exit 1
mitkdc_addprinc alice alice-Pa55 || exit 1
mitkdc_addprinc bob bob-Pa55 || exit 1
kill "$MIT_KDC_PID" 2>/dev/null; wait "$MIT_KDC_PID" 2>/dev/null
# MIT's KDC reads the relation from [libdefaults] of its profile
printf '\n[libdefaults]\n\tspake_preauth_groups = edwards25519 P-256\n' >>"$MIT_DIR/kdc.conf"
"$MITKDC_SBIN/krb5kdc" -n -r $REALM >>"$MIT_DIR/krb5kdc.out" 2>&1 &
MIT_KDC_PID=$!
wait_tcp_port "$MIT_PORT" "$MIT_KDC_PID" || fail "MIT: krb5kdc did not restart"
spake_checks MIT "$MIT_DIR" "$MIT_PORT"
[ -n "${SPAKE_KEEP:-}" ] && cp -r "$MIT_DIR" "$SPAKE_KEEP"
mitkdc_stop

check_done
