#!/bin/bash
# The service side of the AP exchange (src/client/apreq) against MIT krb5:
# MIT's krb5kdc issues the tickets, MIT's kinit/kvno put them in MIT's
# ccache, kadmin.local exports the service keytab.  Our library builds
# AP-REQs from MIT's ccache, python3-gssapi (MIT's GSS initiator) builds
# them too, and our verifier (tests/interop/aptool.c) must accept both and
# refuse: a replay, a ticket for another service, a ticket whose kvno the
# keytab lacks, an expired ticket and a tampered authenticator.  MIT's GSS
# initiator must also accept our AP-REP (mutual authentication).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/mitkdc.sh"

TOOL=${APTOOL:-${BUILDDIR:-build}/tests/unit/client/aptool}
[ -x "$TOOL" ] || { echo "no aptool at $TOOL" >&2; exit 1; }
for p in kinit kvno; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done
mitkdc_available || { echo "FAIL: MIT KDC not installed (make deps installs it)" >&2; exit 1; }

REALM=SERVICE.TEST
WEB=HTTP/web.service.test@$REALM
OTHER=HTTP/other.service.test@$REALM
ROT=HTTP/rot.service.test@$REALM
ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"
trap 'mitkdc_stop; rm -f "$CHECK_OUT"' EXIT

mitkdc_start $REALM || exit 1
D=$MIT_DIR
CC=FILE:$D/ccache
mitkdc_addprinc alice alice-Pa55 || exit 1
for s in $WEB $OTHER $ROT; do
	mitkdc_addprinc_randkey "$s" || exit 1
done
for e in $ENCTYPES; do
	mitkdc_addprinc_randkey host/$e.service.test "$e:normal" || exit 1
	mitkdc_kadmin "setstr host/$e.service.test session_enctypes $e" || exit 1
	mitkdc_ktadd "$D/enctypes.keytab" host/$e.service.test || exit 1
done
mitkdc_ktadd "$D/web.keytab" $WEB || exit 1
mitkdc_ktadd "$D/other.keytab" $OTHER || exit 1
mitkdc_ktadd "$D/both.keytab" $WEB || exit 1
mitkdc_ktadd "$D/both.keytab" $OTHER || exit 1
mitkdc_ktadd "$D/rot-old.keytab" $ROT || exit 1

echo alice-Pa55 | kinit -c "$CC" alice >/dev/null || { echo "MIT kinit failed" >&2; exit 1; }
kvno -c "$CC" $WEB $OTHER $ROT >"$D/kvno.out" 2>&1 || { cat "$D/kvno.out" >&2; exit 1; }

# verify_expect DESC PATTERN ARGS...: aptool verify prints PATTERN
verify_expect() {
	local desc=$1 pat=$2; shift 2
	"$TOOL" verify "$@" >"$D/verify.out" 2>&1
	expect_grep "$desc" "$pat" "$D/verify.out"
}

# 1. MIT ticket, our AP-REQ, our verifier (each enctype).
expect_ok "mkreq from MIT's ccache" "$TOOL" mkreq "$CC" $WEB "$D/web.req"
verify_expect "accepts MIT's ticket (keytab from kadmin.local)" \
	"web.req: ok alice@$REALM (service $WEB kvno 1 enctype 18, subkey, mutual)" \
	-S $WEB "$D/web.keytab" "$D/web.req"
verify_expect "accepts with no expected service (any key in the keytab)" \
	"web.req: ok alice@$REALM" -k "$D/web.keytab" "$D/web.req"
ET=18
for e in $ENCTYPES; do
	kvno -c "$CC" host/$e.service.test >/dev/null 2>&1
	case $e in aes128-cts-hmac-sha1-96) ET=17;; aes256-cts-hmac-sha1-96) ET=18;;
		aes128-cts-hmac-sha256-128) ET=19;; aes256-cts-hmac-sha384-192) ET=20;; esac
	"$TOOL" mkreq "$CC" host/$e.service.test "$D/$e.req" >/dev/null 2>&1
	verify_expect "accepts a $e ticket" \
		"ok alice@$REALM (service host/$e.service.test@$REALM kvno 1 enctype $ET" \
		"$D/enctypes.keytab" "$D/$e.req"
done
expect_ok "AP-REP round trip with MIT's ticket and keytab" \
	"$TOOL" roundtrip "$CC" $WEB "$D/web.keytab"

# 2. Replay: the same AP-REQ twice in one process.
verify_expect "replay: first copy accepted" "web.req: ok alice@" \
	"$D/web.keytab" "$D/web.req" "$D/web.req"
expect_grep "replay: second copy refused (34)" "web.req: error 34 " "$D/verify.out"
expect_ok "mkreq a second AP-REQ" "$TOOL" mkreq -n "$CC" $WEB "$D/web2.req"
verify_expect "a fresh AP-REQ after the first is no replay" \
	"web2.req: ok alice@" "$D/web.keytab" "$D/web.req" "$D/web2.req"

# 3. A ticket for another service.
expect_ok "mkreq for the other service" "$TOOL" mkreq "$CC" $OTHER "$D/other.req"
verify_expect "ticket for another service, its key absent: 45" \
	"other.req: error 45 " "$D/web.keytab" "$D/other.req"
verify_expect "ticket for another service, expected name differs: 35" \
	"other.req: error 35 " -S $WEB "$D/both.keytab" "$D/other.req"
verify_expect "... and accepted where that service is expected" \
	"other.req: ok alice@" -S $OTHER "$D/both.keytab" "$D/other.req"

# 4. Wrong kvno: the service key changed after the ticket was issued.
mitkdc_kadmin "cpw -randkey $ROT" || exit 1
mitkdc_ktadd "$D/rot-new.keytab" $ROT || exit 1
expect_ok "mkreq with the old-kvno ticket" "$TOOL" mkreq "$CC" $ROT "$D/rot.req"
verify_expect "keytab has only the new kvno: 44" "rot.req: error 44 " \
	"$D/rot-new.keytab" "$D/rot.req"
verify_expect "old keytab still accepts it" "rot.req: ok alice@" \
	"$D/rot-old.keytab" "$D/rot.req"

# 5. Tampered authenticator (and ticket).
expect_ok "tamper the authenticator" "$TOOL" tamper "$D/web.req" "$D/bad-auth.req" auth
verify_expect "tampered authenticator: 31" "bad-auth.req: error 31 " \
	"$D/web.keytab" "$D/bad-auth.req"
expect_ok "tamper the ticket" "$TOOL" tamper "$D/web.req" "$D/bad-tkt.req" ticket
verify_expect "tampered ticket: 31" "bad-tkt.req: error 31 " \
	"$D/web.keytab" "$D/bad-tkt.req"

# 6. Garbage and truncation never crash the verifier.
head -c 100 "$D/web.req" >"$D/trunc.req"
head -c 300 /dev/urandom >"$D/garbage.req"
verify_expect "truncated AP-REQ refused" "trunc.req: error 60 " "$D/web.keytab" "$D/trunc.req"
verify_expect "garbage refused" "garbage.req: error" "$D/web.keytab" "$D/garbage.req"

# 7. python3-gssapi (MIT's GSS-API initiator) builds the AP-REQ.
if /usr/bin/python3 -c "import gssapi" 2>/dev/null; then
	cat >"$D/init.py" <<'PY'
import subprocess, sys
import gssapi
target, tokfile = sys.argv[1], sys.argv[2]
name = gssapi.Name(target, gssapi.NameType.kerberos_principal)
ctx = gssapi.SecurityContext(name=name, usage="initiate",
                             mech=gssapi.MechType.kerberos,
                             flags=[gssapi.RequirementFlag.mutual_authentication])
tok = ctx.step()
open(tokfile, "wb").write(tok)
if len(sys.argv) > 3:
    # Mutual authentication: run our acceptor, give MIT its reply token.
    repfile = sys.argv[3]
    subprocess.run(sys.argv[4:], check=True)
    ctx.step(open(repfile, "rb").read())
    print("mutual complete" if ctx.complete else "mutual incomplete")
PY
	expect_ok "python3-gssapi initiator token" /usr/bin/python3 "$D/init.py" $WEB "$D/gss.tok"
	expect_ok "extract the AP-REQ (RFC 4121 §4.1)" "$TOOL" from-gss "$D/gss.tok" "$D/gss.req"
	verify_expect "accepts the GSS-API AP-REQ" \
		"gss.req: ok alice@$REALM (service $WEB kvno 1 enctype 18, subkey, mutual)" \
		-S $WEB "$D/web.keytab" "$D/gss.req"
	verify_expect "GSS AP-REQ replayed: 34" "gss.req: error 34 " \
		"$D/web.keytab" "$D/gss.req" "$D/gss.req"
	/usr/bin/python3 "$D/init.py" $WEB "$D/gss2.tok" "$D/gss2.rep" \
		"$TOOL" accept-gss -S $WEB "$D/web.keytab" "$D/gss2.tok" "$D/gss2.rep" \
		>"$D/mutual.out" 2>&1
	expect_grep "our acceptor sees the GSS checksum 0x8003" "ok alice@$REALM cksumtype 0x8003 mutual" "$D/mutual.out"
	expect_grep "MIT's initiator accepts our AP-REP (mutual auth)" "^mutual complete" "$D/mutual.out"
else
	echo "note: python3 gssapi module missing, GSS checks not run"
	fail "python3-gssapi is required (Debian python3-gssapi)"
fi

# 8. An expired ticket: a short TGT, so the service ticket ends with it.
# Generous, not tight: 15 s leaves kinit, kvno, mkreq and verify ample time
# on a busy machine under ASan to see the ticket still valid, and the wait
# for its expiry is read from the ticket rather than guessed.
ends_in() { # ends_in CCACHE SERVICE: whole seconds until SERVICE's ticket ends
	LC_ALL=C TZ=UTC klist -c "$1" 2>/dev/null | /usr/bin/python3 -c '
import sys, datetime
for l in sys.stdin:
    p = l.split()
    if len(p) >= 5 and p[0].count("/") == 2 and p[4] == sys.argv[1]:
        b = datetime.datetime.strptime(p[2] + " " + p[3], "%m/%d/%y %H:%M:%S")
        print(max(0, int((b - datetime.datetime.utcnow()).total_seconds()) + 1))
        break' "$2"
}
echo alice-Pa55 | kinit -l 15s -c "FILE:$D/short.cc" alice >/dev/null ||
	{ echo "MIT kinit -l 15s failed" >&2; exit 1; }
kvno -c "FILE:$D/short.cc" $WEB >/dev/null 2>&1 || { echo "kvno (short) failed" >&2; exit 1; }
expect_ok "mkreq with the short ticket" "$TOOL" mkreq "FILE:$D/short.cc" $WEB "$D/short0.req"
verify_expect "short ticket is valid at first (1 s skew)" "short0.req: ok alice@" \
	-s 1 "$D/web.keytab" "$D/short0.req"
w=$(ends_in "FILE:$D/short.cc" $WEB)
if [ -n "$w" ] && [ "$w" -le 16 ]; then
	pass "the short service ticket ends in $w s"
	# past the end and the 1 s skew, with a second to spare
	sleep $((w + 2))
else
	fail "short service ticket end time: in '$w' s"
fi
expect_ok "mkreq with the expired ticket" "$TOOL" mkreq "FILE:$D/short.cc" $WEB "$D/short.req"
verify_expect "expired ticket (1 s skew): 32" "short.req: error 32 " \
	-s 1 "$D/web.keytab" "$D/short.req"
verify_expect "... still within the default 300 s skew allowance" \
	"short.req: ok alice@" "$D/web.keytab" "$D/short.req"

check_done
