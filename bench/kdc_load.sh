#!/bin/bash
# bench/kdc_load.sh BUILD: AS-REQs per second over UDP on loopback, Orthrus
# against MIT's krb5kdc, same realm layout (krbtgt and a principal `bench`
# without requires-preauth), same single enctype (aes256-cts-hmac-sha1-96),
# same load (bench/kdc_load.c: LOAD_INFLIGHT requests in flight for
# LOAD_SECONDS seconds, each a new nonce).  Orthrus runs its default
# workers (one per CPU); MIT's krb5kdc is one process unless -w is given,
# so it runs both ways.  Both KDCs log every request to a file.  The load
# generator runs on the same machine and takes CPU from the KDC under test.
# LOAD_SUMMARY=FILE: also append "label<TAB>replies/s" lines there.
# Started by bench/run.sh; stops what it starts by PID.  Exit 77: MIT's KDC
# is not installed (the Orthrus line is still printed).
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
export ORTHRUS=$build/orthrus
LOAD=$build/bench/kdc_load
SECONDS_EACH=${LOAD_SECONDS:-5}
INFLIGHT=${LOAD_INFLIGHT:-32}
REALM=BENCH.REALM
PW=bench-Pa55

. "$top/tests/interop/lib/orthkdc.sh"
. "$top/tests/interop/lib/mitkdc.sh"

MITW_PID=
cleanup() {
	if [ -n "$MITW_PID" ]; then
		# -w N: the parent stops its workers on SIGTERM; any left, by PID
		kids=$(pgrep -P "$MITW_PID" 2>/dev/null || true)
		kill "$MITW_PID" 2>/dev/null
		wait "$MITW_PID" 2>/dev/null
		for k in $kids; do kill "$k" 2>/dev/null; done
		MITW_PID=
	fi
	orthkdc_stop
	mitkdc_stop
}
trap cleanup EXIT

# run_load LABEL PORT: one line of the table
run_load() {
	local out
	out=$("$LOAD" -p "$2" -r "$REALM" -c bench -w "$PW" -t "$SECONDS_EACH" -k "$INFLIGHT") || {
		echo "kdc_load: $1 failed: $out" >&2
		fail=1
		return
	}
	rate=$(echo "$out" | awk '{print $2}')
	printf '%-28s %10s   %s\n' "$1" "$rate" "$(echo "$out" | sed 's/^[^(]*//')"
	if [ -n "${LOAD_SUMMARY:-}" ]; then
		printf '%s\t%s\n' "$1" "$rate" >>"$LOAD_SUMMARY"
	fi
}

fail=0
echo "UDP load, AS-REQ without preauth, aes256-cts-hmac-sha1-96, $INFLIGHT in flight, ${SECONDS_EACH}s each"
printf '%-28s %10s\n' "KDC" "replies/s"

ORTH_ENCTYPES=aes256-cts-hmac-sha1-96 orthkdc_start "$REALM" || exit 1
echo "$PW" | orth_admin add bench --password-stdin >/dev/null || exit 1
run_load "orthrus ($(nproc) workers)" "$ORTH_PORT"
orthkdc_stop

mitkdc_available || { echo "MIT krb5kdc not installed: skipped" >&2; exit 77; }
MITKDC_ENCTYPES=aes256-cts-hmac-sha1-96:normal MITKDC_FLAGS=+renewable \
	mitkdc_start "$REALM" >/dev/null || exit 1
mitkdc_addprinc bench "$PW" || exit 1
run_load "mit krb5kdc (1 process)" "$MIT_PORT"
# the same realm again, with two worker processes
kill "$MIT_KDC_PID" 2>/dev/null
wait "$MIT_KDC_PID" 2>/dev/null
MIT_KDC_PID=
"$MITKDC_SBIN/krb5kdc" -n -w 2 -r "$REALM" >"$MIT_DIR/krb5kdc-w2.out" 2>&1 &
MITW_PID=$!
wait_tcp_port "$MIT_PORT" "$MITW_PID" || { echo "krb5kdc -w 2 did not start" >&2; cat "$MIT_DIR/krb5kdc-w2.out" >&2; exit 1; }
sleep 0.5   # all workers up
run_load "mit krb5kdc -w 2" "$MIT_PORT"
exit $fail
