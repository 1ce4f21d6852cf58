#!/bin/bash
# FAST (RFC 6113), encrypted challenge and RFC 6806 with MIT's and
# Heimdal's clients: issue 12's "Must show" for FAST.  Every check runs
# twice, against the Orthrus KDC and against MIT's own krb5kdc (the
# reference: a difference is ours), each under a tshark capture that
# Wireshark's Kerberos dissector must read without a malformed frame.
#
#   1. a plain kinit gets the armor TGT; its cache says fast_avail (the
#      KDC's authenticated PA-FX-FAST in RFC 6806's encrypted padata);
#   2. `kinit -T armor` logs in through the tunnel with encrypted
#      challenge (MIT records pa_type 138), the capture shows PA-FX-FAST
#      and no PA-ENC-TIMESTAMP in those AS-REQs;
#   3. kvno sends FAST-armored TGS-REQs (PA-FX-FAST beside PA-TGS-REQ)
#      and gets its ticket;
#   4. a wrong password through the tunnel is refused;
#   5. FAST required: Orthrus's requires-fast attribute; MIT has no such
#      attribute, its nearest is a KDC without its encrypted_timestamp
#      module (no password login outside the tunnel): refused without
#      armor, fine with it, on both;
#   7. our own client, `orthrus kinit -T`: the same login through the
#      tunnel, with SPAKE inside it where the KDC offers it (Orthrus; our
#      client prefers it, tests/interop/client_spake.sh) and encrypted
#      challenge otherwise (MIT's KDC here: it checks the KDC's challenge),
#      the finished checksum and RFC 6806, a cache MIT's klist reads
#      with fast_avail, MIT's kvno on it, our kvno's TGS-REQ armored as
#      MIT's; without armor a FAST-required principal gets a message
#      that says so;
#   8. a downgrade in transit (tests/interop/lib/kdcstub.py etypedown
#      rewrites the AS-REQ's etypes 18, 17 to 17, 17, so the KDC answers
#      in aes128): RFC 6806's checksum of the request reveals it to MIT's
#      kinit and to ours alike (ours with SPAKE off: with SPAKE the KDC
#      refuses the response first, the body being in its transcript);
#   6. Heimdal 7.8's kinit --fast-armor-cache: its outer request names
#      the realm WELLKNOWN:ANONYMOUS (RFC 6113 §5.4.2: the KDC goes by the
#      inner body; MIT's krb5kdc, serving TEST.REALM, drops it: the
#      reference fails), it pre-authenticates with PA-ENC-TIMESTAMP inside
#      the tunnel and it ignores the strengthen-key of the KrbFastResponse
#      (§5.4.3), opening the AS-REP with the long-term key.  Orthrus
#      sends no strengthen key to a client that chose the encrypted
#      timestamp in the tunnel (the field is optional for AS; neither
#      MIT's client nor ours ever does, the KDC does not offer it there,
#      and the choice is under the armor key, out of an attacker's
#      reach): Heimdal's armored login works, MIT's keeps its
#      strengthened reply key (the trace in 2.).  Heimdal's unarmored
#      login works against both.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"
. "$here/lib/mitkdc.sh"
. "$here/lib/capture.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
SVC2=host/other.test.realm
H=${HEIMDAL_DIR:-/opt/heimdal-clients}/usr/bin
[ -x "$H/kinit.heimdal" ] || H=/usr/bin
capture_prologue
[ -x "$H/kinit.heimdal" ] || { fail "Heimdal clients not found (tools/deps.sh unpacks them)"; check_done; exit 1; }

# What Wireshark reads in the capture of one run (WHO: "Orthrus" or "MIT").
fast_capture_check() {
	local who=$1 dir=$2 port=$3 rows
	capture_malformed "$who" "$dir" "$port" kdc
	# one line per request: its message types (the first is the
	# request's, an armor AP-REQ adds 14), then its padata types
	# shellcheck disable=SC2046
	tshark -r "$dir/kdc.pcap" $(capture_decode "$port") -Y "kerberos.msg_type == 10 || kerberos.msg_type == 12" \
		-T fields -e kerberos.msg_type -e kerberos.padata_type 2>/dev/null |
		awk '{ split($1, m, ","); print m[1], $2 }' >"$dir/pa.txt"
	rows=$(awk '$1 == 10 && $2 ~ /(^|,)136(,|$)/' "$dir/pa.txt" | wc -l)
	if [ "$rows" -ge 2 ]; then pass "$who: capture shows armored AS-REQs (PA-FX-FAST, 136): $rows"; else fail "$who: no armored AS-REQ in the capture"; cat "$dir/pa.txt" >&2; fi
	rows=$(awk '$1 == 10 && $2 ~ /(^|,)136(,|$)/ && $2 ~ /(^|,)2(,|$)/' "$dir/pa.txt" | wc -l)
	if [ "$rows" -eq 0 ]; then pass "$who: no PA-ENC-TIMESTAMP (2) beside PA-FX-FAST in any AS-REQ"; else fail "$who: armored AS-REQ with PA-ENC-TIMESTAMP"; fi
	rows=$(awk '$1 == 12 && $2 ~ /(^|,)1(,|$)/ && $2 ~ /(^|,)136(,|$)/' "$dir/pa.txt" | wc -l)
	if [ "$rows" -ge 1 ]; then pass "$who: capture shows FAST-armored TGS-REQs (PA-TGS-REQ and PA-FX-FAST)"; else fail "$who: no armored TGS-REQ in the capture"; cat "$dir/pa.txt" >&2; fi
}

# The checks of one KDC; WHO names it, CC the directory for caches.
mit_clients() {
	local who=$1 dir=$2
	local armor=FILE:$dir/armor.cc bobcc=FILE:$dir/bob.cc
	# 1. the armor: alice's TGT, with RFC 6806 negotiation
	expect_ok "$who: kinit alice (the armor TGT)" bash -c "echo alice-Pa55 | KRB5CCNAME=$armor kinit alice"
	KRB5CCNAME=$armor klist -C >"$dir/klist.out" 2>&1
	expect_grep "$who: the cache records fast_avail (RFC 6806 PA-REQ-ENC-PA-REP verified)" \
		"fast_avail(krbtgt/$REALM@$REALM) = yes" "$dir/klist.out"
	# 2. kinit -T: FAST with encrypted challenge
	expect_ok "$who: kinit -T armor bob" bash -c "echo bob-Pa55 | KRB5CCNAME=$bobcc KRB5_TRACE=$dir/kinit-T.trace kinit -T $armor bob"
	KRB5CCNAME=$bobcc klist -C >"$dir/klist.out" 2>&1
	expect_grep "$who: kinit -T used encrypted challenge (pa_type 138)" \
		"pa_type(krbtgt/$REALM@$REALM) = 138" "$dir/klist.out"
	expect_grep "$who: MIT's trace: the reply key was strengthened" "FAST reply key" "$dir/kinit-T.trace"
	# 3. kvno: FAST TGS-REQ
	expect_ok "$who: kvno $SVC after kinit -T" env KRB5CCNAME=$bobcc KRB5_TRACE=$dir/kvno.trace kvno $SVC
	expect_grep "$who: MIT's trace: the TGS reply came through the tunnel" "Decoding FAST response" "$dir/kvno.trace"
	# 4. a wrong password through the tunnel
	expect_fail "$who: kinit -T with a wrong password" "Password incorrect\|Preauthentication failed" \
		bash -c "echo wrong | KRB5CCNAME=FILE:$dir/x.cc kinit -T $armor bob"
}

# Our client; PORT the KDC's.
orth_client() {
	local who=$1 dir=$2
	local armor=FILE:$dir/oarmor.cc
	expect_ok "$who: orthrus kinit alice (the armor TGT)" bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c $armor alice"
	klist -C -c $armor >"$dir/klist.out" 2>&1
	expect_grep "$who: orthrus kinit recorded fast_avail (RFC 6806 verified), MIT's klist reads it" \
		"fast_avail(krbtgt/$REALM@$REALM) = yes" "$dir/klist.out"
	expect_ok "$who: orthrus kinit -T armor bob" bash -c "echo bob-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/obob.cc -T $armor bob"
	expect_ok "$who: MIT's kvno with the TGT our client got through the tunnel" \
		env KRB5CCNAME=FILE:$dir/obob.cc kvno $SVC
	# our TGS-REQs are armored (the TGS's implicit armor): the reply
	# comes through the tunnel with a strengthened key
	expect_ok "$who: orthrus kvno (FAST TGS-REQ)" "$ORTHRUS" kvno -c FILE:$dir/obob.cc $SVC2
	expect_fail "$who: orthrus kinit -T with a wrong password" "Password incorrect" \
		bash -c "echo wrong | '$ORTHRUS' kinit -c FILE:$dir/ox.cc -T $armor bob"
	expect_fail "$who: orthrus kinit -T with an armor cache holding nothing" "No armor ticket in" \
		bash -c "echo bob-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/ox.cc -T FILE:$dir/nothing.cc bob"
}

# The etypedown stub between the clients and the KDC at PORT.
downgrade() {
	local who=$1 dir=$2 port=$3 sp pid
	sp=$(free_port)
	/usr/bin/python3 "$here/lib/kdcstub.py" "$sp" "$port" "$dir/stub.log" etypedown &
	pid=$!
	for _ in $(seq 50); do grep -q ready "$dir/stub.log" 2>/dev/null && break; sleep 0.1; done
	sed "s/127.0.0.1:$port/127.0.0.1:$sp/" "$KRB5_CONFIG" >"$dir/stub.conf"
	# Against a KDC offering SPAKE (Orthrus by default) MIT's kinit logs
	# in with it, and SPAKE binds the request body into K'[1] (RFC 9588
	# §7): the tampered body makes the KDC refuse the response first.
	expect_fail "$who: MIT kinit notices the etype downgrade in transit (RFC 6806, or SPAKE's transcript)" \
		"did not match expectations\|Password incorrect" \
		env KRB5_CONFIG="$dir/stub.conf" bash -c "echo alice-Pa55 | KRB5CCNAME=FILE:$dir/d1.cc kinit alice"
	sed '/^\[libdefaults\]/a\	spake_preauth_groups =' "$dir/stub.conf" >"$dir/stub-nospake.conf"
	expect_fail "$who: orthrus kinit notices the etype downgrade in transit (RFC 6806)" \
		"modified in transit" \
		env KRB5_CONFIG="$dir/stub-nospake.conf" bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/d2.cc alice"
	expect_fail "$who: orthrus kinit, SPAKE on, notices the etype downgrade in transit" \
		"modified in transit\|Password incorrect" \
		env KRB5_CONFIG="$dir/stub.conf" bash -c "echo alice-Pa55 | '$ORTHRUS' kinit -c FILE:$dir/d3.cc alice"
	expect_grep "$who: the stub did rewrite the requests" "^tampered" "$dir/stub.log"
	kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
}

# Heimdal; WHY (empty: it works) how its armored login fails against this
# KDC, PAT the message.
heimdal_clients() {
	local who=$1 dir=$2 why=$3 pat=$4
	local armored="echo bob-Pa55 | $H/kinit.heimdal --password-file=STDIN -c FILE:$dir/h2.cc --fast-armor-cache=FILE:$dir/armor.cc bob"
	expect_ok "$who: Heimdal kinit without armor" bash -c "echo bob-Pa55 | $H/kinit.heimdal --password-file=STDIN -c FILE:$dir/h.cc bob"
	if [ -n "$why" ]; then
		expect_fail "$who: Heimdal kinit --fast-armor-cache fails: $why" "$pat" bash -c "$armored"
		return
	fi
	expect_ok "$who: Heimdal kinit --fast-armor-cache (FAST AS)" bash -c "$armored"
	"$H/heimtools" klist -v -c "FILE:$dir/h2.cc" >"$dir/h2.klist" 2>&1
	expect_grep "$who: Heimdal's cache holds the TGT, pre-authenticated" "Ticket flags: .*pre-authent" "$dir/h2.klist"
	expect_ok "$who: MIT's kvno with the TGT Heimdal got through FAST" env KRB5CCNAME=FILE:$dir/h2.cc kvno $SVC
	expect_fail "$who: Heimdal kinit --fast-armor-cache with a wrong password" "Password incorrect\|[Pp]reauthentication failed" \
		bash -c "echo wrong | $H/kinit.heimdal --password-file=STDIN -c FILE:$dir/h3.cc --fast-armor-cache=FILE:$dir/armor.cc bob"
}

# ---- Orthrus ----
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
echo 'bob-Pa55' | orth_admin add bob --password-stdin --requires-preauth >/dev/null || exit 1
echo 'carol-Pa55' | orth_admin add carol --password-stdin --requires-preauth --attr requires-fast >/dev/null || exit 1
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin add $SVC2 --random-key >/dev/null || exit 1
capture_start "$ORTH_DIR" "$ORTH_PORT" kdc || exit 1
mit_clients Orthrus "$ORTH_DIR"
expect_grep "Orthrus: KDC log: bob logged in with encrypted challenge in FAST" \
	'AS-REQ client=bob@TEST.REALM .*ok reason="encrypted-challenge, FAST armor"' "$ORTH_DIR/kdc.log"
expect_grep "Orthrus: KDC log: the TGS-REQ came armored" \
	"TGS-REQ client=bob@TEST.REALM service=$SVC@TEST.REALM ok reason=\"FAST armor\"" "$ORTH_DIR/kdc.log"
# 5. FAST required
expect_fail "Orthrus: carol (requires-fast) without armor is refused" "preauthentication failure\|Preauthentication failed" \
	bash -c "echo carol-Pa55 | KRB5CCNAME=FILE:$ORTH_DIR/c.cc kinit carol"
expect_grep "Orthrus: KDC log: refused for want of armor" \
	'AS-REQ client=carol@TEST.REALM .*error=KDC_ERR_PREAUTH_REQUIRED reason="FAST armor required"' "$ORTH_DIR/kdc.log"
expect_ok "Orthrus: carol with kinit -T" bash -c "echo carol-Pa55 | KRB5CCNAME=FILE:$ORTH_DIR/c.cc kinit -T FILE:$ORTH_DIR/armor.cc carol"
# 7. our client
orth_client Orthrus "$ORTH_DIR"
expect_fail "Orthrus: orthrus kinit carol (requires-fast) without armor says why" "requires FAST armor" \
	bash -c "echo carol-Pa55 | '$ORTHRUS' kinit -c FILE:$ORTH_DIR/oc.cc carol"
expect_ok "Orthrus: orthrus kinit -T carol" \
	bash -c "echo carol-Pa55 | '$ORTHRUS' kinit -c FILE:$ORTH_DIR/oc.cc -T FILE:$ORTH_DIR/oarmor.cc carol"
expect_grep "Orthrus: KDC log: our kvno's TGS-REQ came armored" \
	"TGS-REQ client=bob@TEST.REALM service=$SVC2@TEST.REALM ok reason=\"FAST armor\"" "$ORTH_DIR/kdc.log"
expect_grep "Orthrus: KDC log: our client used SPAKE inside FAST" \
	'AS-REQ client=bob@TEST.REALM .*ok reason="spake, FAST armor"' "$ORTH_DIR/kdc.log"
# 8. a downgrade in transit
downgrade Orthrus "$ORTH_DIR" "$ORTH_PORT"
expect_grep "Orthrus: KDC log: the tampered request got an aes128 reply key" \
	'AS-REQ client=alice@TEST.REALM .*ok .*etypes=17,17,20,19' "$ORTH_DIR/kdc.log"
# 6. Heimdal
heimdal_clients Orthrus "$ORTH_DIR" "" ""
expect_grep "Orthrus: KDC log: Heimdal logged in through FAST with the encrypted timestamp" \
	'AS-REQ client=bob@TEST.REALM .*ok reason="encrypted-timestamp, FAST armor, client name hidden"' "$ORTH_DIR/kdc.log"
capture_stop
fast_capture_check Orthrus "$ORTH_DIR" "$ORTH_PORT"
orthkdc_stop

# ---- MIT's krb5kdc, the reference ----
mitkdc_start $REALM || exit 1
mitkdc_addprinc alice alice-Pa55 || exit 1
mitkdc_addprinc bob bob-Pa55 || exit 1
mitkdc_addprinc carol carol-Pa55 || exit 1
mitkdc_addprinc_randkey $SVC || exit 1
mitkdc_addprinc_randkey $SVC2 || exit 1
capture_start "$MIT_DIR" "$MIT_PORT" kdc || exit 1
mit_clients MIT "$MIT_DIR"
orth_client MIT "$MIT_DIR"
downgrade MIT "$MIT_DIR" "$MIT_PORT"
# (krb5kdc drops the request: Heimdal names the outer body's realm
# WELLKNOWN:ANONYMOUS, which it does not serve; ours goes by the inner
# body; were it answered, Heimdal would fail on MIT's strengthened key)
heimdal_clients MIT "$MIT_DIR" "krb5kdc does not answer its outer realm WELLKNOWN:ANONYMOUS" \
	"unable to reach any KDC"
# 5. the KDC refuses password logins outside the tunnel: without its
# encrypted_timestamp module only encrypted challenge is left
kill "$MIT_KDC_PID" 2>/dev/null; wait "$MIT_KDC_PID" 2>/dev/null
printf '\n[plugins]\n\tkdcpreauth = {\n\t\tdisable = encrypted_timestamp\n\t}\n' >>"$MIT_DIR/kdc.conf"
"$MITKDC_SBIN/krb5kdc" -n -r $REALM >>"$MIT_DIR/krb5kdc.out" 2>&1 &
MIT_KDC_PID=$!
wait_tcp_port "$MIT_PORT" "$MIT_KDC_PID" || fail "MIT: krb5kdc did not restart"
expect_fail "MIT: carol without armor is refused (no encrypted_timestamp)" "preauthentication failure\|Preauthentication failed" \
	bash -c "echo carol-Pa55 | KRB5CCNAME=FILE:$MIT_DIR/c.cc kinit carol"
expect_ok "MIT: carol with kinit -T" bash -c "echo carol-Pa55 | KRB5CCNAME=FILE:$MIT_DIR/c.cc kinit -T FILE:$MIT_DIR/armor.cc carol"
capture_stop
fast_capture_check MIT "$MIT_DIR" "$MIT_PORT"
mitkdc_stop

check_done
