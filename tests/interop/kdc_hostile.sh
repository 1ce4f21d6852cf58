#!/bin/bash
# The Orthrus KDC against requests MIT's tools do not send: replayed
# TGS-REQs (captured from MIT's kvno, resent over TCP, and with another
# body), authenticators without or with unkeyed/wrong checksums, garbage
# over UDP and TCP; and Wireshark's dissector on the KDC's traffic.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
POKE="/usr/bin/python3 $here/lib/kdcpoke.py"
TOOL=${BUILDDIR:-build}/tests/unit/kdc/kdc_tgs_tool
PROXY_PID= TSHARK_PID=
cleanup() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	[ -n "$TSHARK_PID" ] && kill "$TSHARK_PID" 2>/dev/null
	orthkdc_stop
	rm -f "$CHECK_OUT"
}
trap cleanup EXIT
[ -x "$TOOL" ] || { echo "no $TOOL" >&2; exit 1; }

orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/service.keytab" $SVC >/dev/null || exit 1
k() { echo 'alice-Pa55' | kinit "$@" alice; }
P=$ORTH_PORT

# 1. tshark capture of everything below.  tools/deps.sh installs tshark:
# missing, or not capturing, is a failure (and section 4 does not run).
TSHARK=
if ! command -v tshark >/dev/null 2>&1; then
	fail "tshark not installed (make deps installs it)"
else
	tshark -i lo -f "port $P" -w "$ORTH_DIR/kdc.pcap" >"$ORTH_DIR/tshark.err" 2>&1 &
	TSHARK_PID=$!
	for i in $(seq 1 300); do grep -q "Capturing on" "$ORTH_DIR/tshark.err" && break; sleep 0.1; done
	if grep -q "Capturing on" "$ORTH_DIR/tshark.err"; then
		TSHARK=1
	else
		fail "tshark is not capturing on lo"; sed 's/^/    /' "$ORTH_DIR/tshark.err" >&2
	fi
fi

expect_ok "kinit alice (UDP)" k
expect_ok "kvno (UDP)" kvno $SVC
cp "$KRB5_CONFIG" "$ORTH_DIR/krb5-tcp.conf"
sed -i 's/^\[libdefaults\]/[libdefaults]\n\tudp_preference_limit = 1/' "$ORTH_DIR/krb5-tcp.conf"
expect_ok "kinit over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" bash -c "echo alice-Pa55 | kinit -f -r 1d alice"
expect_ok "kvno over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" kvno $SVC
expect_ok "kinit -R over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" kinit -R

# 2. crafted TGS-REQs from the TGT in the ccache
cc=${KRB5CCNAME#FILE:}
out=$("$TOOL" "$cc" $P $SVC ok 2>&1)
[ "$out" = "TGS-REP" ] && pass "crafted TGS-REQ accepted" || fail "crafted TGS-REQ: $out"
out=$("$TOOL" "$cc" $P $SVC nocksum 2>&1)
case "$out" in "error 50"*) pass "authenticator without checksum -> KRB_AP_ERR_INAPP_CKSUM";; *) fail "no checksum: $out";; esac
out=$("$TOOL" "$cc" $P $SVC unkeyed 2>&1)
case "$out" in "error 50"*) pass "unkeyed checksum -> KRB_AP_ERR_INAPP_CKSUM";; *) fail "unkeyed checksum: $out";; esac
out=$("$TOOL" "$cc" $P $SVC badcksum 2>&1)
case "$out" in "error 41"*) pass "wrong body checksum -> KRB_AP_ERR_MODIFIED";; *) fail "bad checksum: $out";; esac
out=$("$TOOL" "$cc" $P $SVC replay 2>&1 | tr '\n' '|')
# the same bytes again are a retransmission (the cached reply); the same
# authenticator under another body is a replay
case "$out" in "TGS-REP|TGS-REP|error 34"*) pass "crafted resend -> cached TGS-REP, other body -> KRB_AP_ERR_REPEAT";; *) fail "crafted replay: $out";; esac
out=$("$TOOL" "$cc" $P $SVC forgedfirst 2>&1 | tr '\n' '|')
case "$out" in "error 41"*"|TGS-REP|") pass "a forged body first does not burn the genuine authenticator";; *) fail "forged body first: $out";; esac

# 3. MIT kvno's own TGS-REQ, captured by a UDP proxy and replayed
PP=$(free_port)
mkdir "$ORTH_DIR/cap"
$POKE proxy "$PP" "$P" "$ORTH_DIR/cap" &
PROXY_PID=$!
sed "s/kdc = 127.0.0.1:$P/kdc = 127.0.0.1:$PP/" "$KRB5_CONFIG" >"$ORTH_DIR/krb5-proxy.conf"
sleep 0.3
kdestroy >/dev/null 2>&1
k >/dev/null 2>&1
expect_ok "kvno through the capturing proxy" env KRB5_CONFIG="$ORTH_DIR/krb5-proxy.conf" kvno $SVC
treq=
for f in "$ORTH_DIR"/cap/req-*; do
	[ "$(head -c1 "$f" | od -An -tx1 | tr -d ' ')" = "6c" ] && treq=$f
done
if [ -z "$treq" ]; then
	fail "no TGS-REQ captured"
else
	trep=${treq/req-/rep-}
	out=$($POKE udp $P "$treq" "$ORTH_DIR/udp-again.bin")
	if [ "$out" = "TGS-REP" ] && cmp -s "$trep" "$ORTH_DIR/udp-again.bin"; then
		pass "UDP retransmission gets the identical cached reply"
	else
		fail "UDP retransmission: $out"
	fi
	# issue 8 defect 2: MIT resends the same bytes over TCP when the
	# UDP reply is lost or too big; that is a retransmission, not a replay
	out=$($POKE tcp $P "$treq")
	[ "$out" = "TGS-REP" ] && pass "MIT's TGS-REQ resent over TCP -> the same TGS-REP" || fail "TCP resend: $out"
	out=$($POKE tcp $P "$treq" mutate)
	[ "$out" = "error 34" ] && pass "same authenticator, other body -> KRB_AP_ERR_REPEAT" || fail "mutated resend: $out"
	out=$($POKE udp $P "$treq" 2>&1; true)
fi
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=

# 3b. MIT kvno through a proxy that loses every UDP TGS reply: MIT's
# library resends the TGS-REQ over TCP after a second and must get its
# ticket (it used to get "Request is a replay").
PP=$(free_port)
mkdir "$ORTH_DIR/drop"
$POKE dropproxy "$PP" "$P" "$ORTH_DIR/drop" &
PROXY_PID=$!
sed "s/kdc = 127.0.0.1:$P/kdc = 127.0.0.1:$PP/" "$KRB5_CONFIG" >"$ORTH_DIR/krb5-drop.conf"
wait_tcp_port "$PP" "$PROXY_PID" || fail "drop proxy did not start"
kdestroy >/dev/null 2>&1
k >/dev/null 2>&1
expect_ok "MIT kvno through a proxy dropping UDP TGS replies" \
	env KRB5_CONFIG="$ORTH_DIR/krb5-drop.conf" kvno $SVC
dropped=$(cat "$ORTH_DIR/drop/udp-dropped" 2>/dev/null || echo 0)
viatcp=$(cat "$ORTH_DIR/drop/tcp-forwarded" 2>/dev/null || echo 0)
if [ "$dropped" -ge 1 ] && [ "$viatcp" -ge 1 ]; then
	pass "the UDP reply was lost ($dropped) and the TGS-REQ resent over TCP ($viatcp)"
else
	fail "drop proxy: $dropped UDP replies dropped, $viatcp TCP requests"
fi
expect_grep "KDC log: the TCP resend answered from the reply cache" \
	'tcp TGS-REQ .*reason="retransmission' "$ORTH_DIR/kdc.log"
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=

# 4. Wireshark's Kerberos dissector on all of it (no capture: failed in 1.)
if [ -n "$TSHARK" ]; then
	sleep 0.5
	kill "$TSHARK_PID" 2>/dev/null; wait "$TSHARK_PID" 2>/dev/null; TSHARK_PID=
	# (the capture stops before the garbage, which is malformed on purpose)
	D="-d udp.port==$P,kerberos -d tcp.port==$P,kerberos"
	bad=$(tshark -r "$ORTH_DIR/kdc.pcap" $D -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null)
	if [ -z "$bad" ]; then pass "tshark: no malformed or error-level KDC packets"; else fail "tshark complains"; echo "$bad" | head -20 >&2; fi
	types=$(tshark -r "$ORTH_DIR/kdc.pcap" $D -T fields -e kerberos.msg_type 2>/dev/null | tr ',' '\n' | sort -u | tr '\n' ' ')
	case " $types " in *" 11 "*) pass "tshark saw AS-REP";; *) fail "tshark saw no AS-REP ($types)";; esac
	case " $types " in *" 13 "*) pass "tshark saw TGS-REP";; *) fail "tshark saw no TGS-REP ($types)";; esac
	case " $types " in *" 30 "*) pass "tshark saw KRB-ERROR";; *) fail "tshark saw no KRB-ERROR ($types)";; esac
fi

# 5. garbage over UDP and TCP: no crash, still answering
expect_ok "garbage, truncated and wrong-tag packets sent" $POKE garbage $P "$SRCDIR/fuzz/corpus/as_req/mit-as-req"
if kill -0 "$ORTH_KDC_PID" 2>/dev/null; then pass "KDC still running"; else fail "KDC died"; fi
# issue 8 defect 7: the 2-byte datagrams 6a 00 and 6c 00 used to buy a
# ~108-byte KRB-ERROR each (54x reflection towards a spoofed source); over
# UDP they get nothing, so the only answer on their socket is the one to
# the AS-REQ sent after them.  Over TCP (no spoofing) they get the error.
asreq=$SRCDIR/fuzz/corpus/as_req/mit-as-req
want=$($POKE udp $P "$asreq")
out=$($POKE tiny $P "$asreq")
if [ "$want" != "no reply" ] && [ "$out" = "$want" ]; then
	pass "2-byte datagrams 6a 00 / 6c 00 unanswered over UDP (the AS-REQ after them: $out)"
else
	fail "2-byte datagrams over UDP: replies '$out' (the AS-REQ alone gets '$want')"
fi
printf '\x6c\x00' >"$ORTH_DIR/tiny-tgs"
out=$($POKE tcp $P "$ORTH_DIR/tiny-tgs")
[ "$out" = "error 60" ] && pass "6c 00 over TCP -> KRB_ERR_GENERIC" || fail "6c 00 over TCP: $out"
kdestroy >/dev/null 2>&1
expect_ok "kinit after the garbage" k
expect_ok "kvno after the garbage" kvno $SVC

# 6. a second KDC on the same address refuses to start (issue 8 defect 14:
# it used to join the first one's SO_REUSEPORT group and take half the
# requests); the first keeps serving
timeout 5 "$ORTHRUS" kdc -c "$ORTHRUS_CONFIG" --foreground >"$ORTH_DIR/second.out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "address in use" "$ORTH_DIR/second.out"; then
	pass "a second KDC on the same address fails: address in use"
else
	fail "second KDC: exit $rc: $(head -c 300 "$ORTH_DIR/second.out")"
fi
kdestroy >/dev/null 2>&1
expect_ok "kinit after the second KDC's attempt" k

check_done
