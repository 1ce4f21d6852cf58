#!/bin/bash
# The Orthrus KDC run as a service (issue 13), with MIT's clients:
#  - privileges: started as root it binds its ports, then becomes
#    [kdcdefaults] user/group with no uid 0 left anywhere and no
#    capability in any set, in every thread (/proc/PID/task/*/status), and
#    keeps serving MIT's kinit, kvno and kpasswd: database reads and
#    writes (a lockout count, a password change) go through what it opened
#    before the drop; configuration errors reach the terminal; started
#    as nobody with CAP_NET_BIND_SERVICE (a unit's User= and
#    AmbientCapabilities=), it binds a port below 1024, then gives it up;
#  - readiness: READY=1 (with STATUS= and MAINPID=) on $NOTIFY_SOCKET, and
#    the port answers the moment it arrives; STOPPING=1 on SIGTERM; a
#    socket in a directory only root can reach still works (it is
#    connected before the drop);
#  - metrics: the Prometheus endpoint passes `promtool check metrics`
#    after that traffic and counts it by type, transport and error name.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=OPS.REALM
SVC=host/svc.ops.realm
export LC_ALL=C TZ=UTC
PTY="/usr/bin/python3 $here/lib/ptydrive.py"
# root's alone (mktemp: 0700): the dropped KDC could not connect to a
# socket in here afterwards
NDIR=$(mktemp -d /tmp/orthnotify.XXXXXX)
# readable by nobody, for the run that is not started as root
PUB=$(mktemp -d /tmp/orthops.XXXXXX)
chmod 755 "$PUB"
NPID=
trap '[ -n "$NPID" ] && kill "$NPID" 2>/dev/null; orthkdc_stop; rm -rf "$NDIR" "$PUB"; rm -f "$CHECK_OUT"' EXIT

if [ "$(id -u)" -ne 0 ]; then
	fail "kdc_ops tests the drop of root's privileges: run it as root"
	check_done
	exit 1
fi
UID_NOBODY=$(id -u nobody)
GID_NOGROUP=$(getent group nogroup | cut -d: -f3)

# 0. started as root without user =: it says so
orthkdc_start $REALM || exit 1
expect_grep "root without user =: a warning on the terminal" \
	"warning: serving as root: set user = (and group =) in \[kdcdefaults\]" "$ORTH_DIR/kdc.log"
orth_admin policy add lock5 --maxfailure 5 --lockoutduration 10m >/dev/null || exit 1
for u in alice bob; do
	echo "$u-Pa55" | orth_admin add $u --password-stdin --requires-preauth --policy lock5 \
		>/dev/null || { echo "cannot add $u" >&2; exit 1; }
done
orth_admin add $SVC --random-key >/dev/null || exit 1
orth_admin ktadd --keytab "$ORTH_DIR/svc.keytab" $SVC >/dev/null || exit 1
# stopped by hand: the realm stays for the runs below
kill "$ORTH_KDC_PID"
wait "$ORTH_KDC_PID"
st=$?
ORTH_KDC_PID=
[ "$st" -eq 0 ] && pass "first KDC exited 0" || fail "first KDC exited $st"

kdc_try() { # kdc_try CONF: a KDC that must refuse to start
	timeout 20 "$ORTHRUS" kdc -c "$1" --foreground
}
conf_with() { # conf_with LINES: kdc.conf with these [kdcdefaults] lines
	ORTH_KDCDEFAULTS=$1 orthkdc_write_conf $REALM "$ORTH_PORT" "" "$ORTH_KPASSWD_PORT"
}

# 1. mistakes are said on the terminal, before anything is served
conf_with "	user = no-such-user-x"
expect_fail "an unknown user" "user = no-such-user-x: no such user" kdc_try "$ORTHRUS_CONFIG"
conf_with "	user = nobody
	group = no-such-group-x"
expect_fail "an unknown group" "group = no-such-group-x: no such group" kdc_try "$ORTHRUS_CONFIG"
conf_with "	group = nogroup"
expect_fail "group without user" "group = nogroup without user =" kdc_try "$ORTHRUS_CONFIG"
conf_with "	user = root"
expect_fail "user = root is no drop" "root's ids are no drop of privileges" kdc_try "$ORTHRUS_CONFIG"
conf_with "	metrics_listen = 127.0.0.1"
expect_fail "metrics_listen without a port" "want a numeric address and a port" \
	kdc_try "$ORTHRUS_CONFIG"
conf_with "	kdc_replay_cache_size = 10"
expect_fail "kdc_replay_cache_size below one group" \
	"kdc.conf:4: bad value for kdc_replay_cache_size: '10' (an entry count from 64 to" \
	kdc_try "$ORTHRUS_CONFIG"
conf_with "	user = daemon"
cp "$ORTHRUS_CONFIG" "$PUB/kdc.conf"
chmod 644 "$PUB/kdc.conf"
expect_fail "not root: cannot become another user" "only root can become another user" \
	setpriv --reuid="$UID_NOBODY" --regid="$GID_NOGROUP" --clear-groups \
	"$ORTHRUS" kdc -c "$PUB/kdc.conf" --foreground

# 2. the service: user nobody, group nogroup, metrics, a service manager
MPORT=$(free_port)
while [ "$MPORT" = "$ORTH_PORT" ] || [ "$MPORT" = "$ORTH_KPASSWD_PORT" ]; do MPORT=$(free_port); done
conf_with "	user = nobody
	group = nogroup
	metrics_listen = 127.0.0.1:$MPORT
	kdc_replay_cache_size = 100000"
/usr/bin/python3 "$here/lib/notifywait.py" "$NDIR/notify" "$NDIR/notify.out" "$ORTH_PORT" 120 &
NPID=$!
for i in $(seq 1 50); do grep -q listening "$NDIR/notify.out" 2>/dev/null && break; sleep 0.1; done
NOTIFY_SOCKET=$NDIR/notify orthkdc_run || exit 1
PID=$ORTH_KDC_PID
for i in $(seq 1 100); do grep -q "^probe:" "$NDIR/notify.out" && break; sleep 0.1; done

# 2a. readiness
expect_grep "READY=1 with the status" "^msg: READY=1 | STATUS=serving realm $REALM with [0-9]* workers" \
	"$NDIR/notify.out"
expect_grep "MAINPID is the KDC" "MAINPID=$PID\$" "$NDIR/notify.out"
expect_grep "the port answers the moment READY=1 arrives (KRB_ERR_FIELD_TOOLONG)" \
	"^probe: error 61$" "$NDIR/notify.out"

# 2b. privileges, in every thread
expect_grep "log: the drop" \
	"running as user nobody (uid $UID_NOBODY), group nogroup (gid $GID_NOGROUP), no capabilities" \
	"$ORTH_DIR/kdc.log"
ntask=0
for t in /proc/$PID/task/*; do
	ntask=$((ntask + 1))
	cp "$t/status" "$ORTH_DIR/status" 2>/dev/null || continue
	id=${t##*/}
	expect_grep "thread $id: every uid is nobody's (real, effective, saved, fs)" \
		"^Uid:	$UID_NOBODY	$UID_NOBODY	$UID_NOBODY	$UID_NOBODY\$" "$ORTH_DIR/status"
	expect_grep "thread $id: every gid is nogroup's" \
		"^Gid:	$GID_NOGROUP	$GID_NOGROUP	$GID_NOGROUP	$GID_NOGROUP\$" "$ORTH_DIR/status"
	expect_grep "thread $id: no other group" "^Groups:	$GID_NOGROUP *\$" "$ORTH_DIR/status"
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		expect_grep "thread $id: $cap empty" "^$cap:	0000000000000000\$" "$ORTH_DIR/status"
	done
	expect_grep "thread $id: no_new_privs" "^NoNewPrivs:	1\$" "$ORTH_DIR/status"
done
# workers (one per CPU, at most 8) and the metrics thread
[ "$ntask" -ge 2 ] && pass "$ntask threads checked" || fail "only $ntask threads"
# the pidfile, written as root before the drop, names the serving process
[ "$(cat "$ORTH_DIR/kdc.pid" 2>/dev/null)" = "$PID" ] && pass "pidfile names the KDC" ||
	fail "pidfile: $(cat "$ORTH_DIR/kdc.pid" 2>/dev/null)"

# 2c. still serving: reads and writes of the database it opened as root
k() { echo "$2" | kinit "$1"; }
expect_ok "kinit alice (UDP) after the drop" k alice alice-Pa55
expect_ok "kvno $SVC (TGS)" kvno -k "$ORTH_DIR/svc.keytab" $SVC
expect_fail "a wrong password" "Password incorrect\|Preauthentication failed" k alice wrong-1
orth_admin get alice >"$ORTH_DIR/get.out" 2>&1
expect_grep "the lockout count was written by the dropped KDC" "^Failed password attempts: 1\$" \
	"$ORTH_DIR/get.out"
expect_ok "MIT kpasswd bob (a database write)" $PTY "Password for bob@" bob-Pa55 \
	"Enter new password" bob-N3w "Enter it again" bob-N3w -- kpasswd bob
expect_grep "kpasswd: Password changed" "Password changed" "$CHECK_OUT"
expect_ok "kinit bob with the new password" k bob bob-N3w
# over TCP as well: MIT's udp_preference_limit = 1 sends everything over TCP
sed 's/^\[libdefaults\]$/&\n\tudp_preference_limit = 1/' "$KRB5_CONFIG" >"$ORTH_DIR/krb5-tcp.conf"
expect_ok "kinit alice over TCP" env KRB5_CONFIG="$ORTH_DIR/krb5-tcp.conf" bash -c \
	"echo alice-Pa55 | kinit alice"

# 2d. metrics after that traffic
M=$ORTH_DIR/metrics.txt
expect_ok "GET /metrics" curl -sf -o "$M" "http://127.0.0.1:$MPORT/metrics"
if promtool check metrics <"$M" >"$ORTH_DIR/promtool.out" 2>&1; then
	pass "promtool check metrics: no problem"
else
	fail "promtool check metrics"
	sed 's/^/    /' "$ORTH_DIR/promtool.out" >&2
fi
metric() { # metric SERIES: its value in the scrape, 0 when absent
	awk -v s="$1" 'index($0, s " ") == 1 { print $NF; f = 1 } END { if (!f) print 0 }' "$M"
}
at_least() { # at_least DESC SERIES N
	local v
	v=$(metric "$2")
	awk -v v="$v" -v n="$3" 'BEGIN { exit !(v + 0 >= n + 0) }' &&
		pass "$1 ($v)" || { fail "$1: $2 is $v, want >= $3"; grep '^orthrus_kdc_requests_total' "$M" >&2; }
}
at_least "AS over UDP refused PREAUTH_REQUIRED, by name" \
	'orthrus_kdc_requests_total{type="AS",transport="udp",result="KDC_ERR_PREAUTH_REQUIRED"}' 2
at_least "AS over UDP ok" 'orthrus_kdc_requests_total{type="AS",transport="udp",result="ok"}' 2
at_least "AS over UDP refused PREAUTH_FAILED" \
	'orthrus_kdc_requests_total{type="AS",transport="udp",result="KDC_ERR_PREAUTH_FAILED"}' 1
at_least "AS over TCP ok" 'orthrus_kdc_requests_total{type="AS",transport="tcp",result="ok"}' 1
at_least "TGS ok" 'orthrus_kdc_requests_total{type="TGS",transport="udp",result="ok"}' 1
at_least "KPASSWD ok (MIT kpasswd: TCP first)" \
	'orthrus_kdc_requests_total{type="KPASSWD",transport="tcp",result="ok"}' 1
at_least "the probe's refused length" \
	'orthrus_kdc_requests_total{type="OTHER",transport="tcp",result="KRB_ERR_FIELD_TOOLONG"}' 1
if grep -q 'result="[0-9]' "$M"; then fail "a result is a number"; else pass "every result is a name"; fi
as_n=$(grep '^orthrus_kdc_requests_total{type="AS",' "$M" | awk '{ s += $NF } END { print s + 0 }')
[ "$(metric 'orthrus_kdc_request_duration_seconds_count{type="AS"}')" = "$as_n" ] &&
	pass "AS latency histogram counts every AS request ($as_n)" ||
	fail "AS histogram count $(metric 'orthrus_kdc_request_duration_seconds_count{type="AS"}') != $as_n"
[ "$(metric 'orthrus_kdc_request_duration_seconds_bucket{type="AS",le="+Inf"}')" = "$as_n" ] &&
	pass "+Inf bucket = count" || fail "+Inf bucket"
at_least "workers" 'orthrus_kdc_workers' 1
at_least "reply cache holds the replies" 'orthrus_kdc_reply_cache_entries' 1
at_least "replay cache holds the TGS authenticators" 'orthrus_kdc_replay_cache_entries' 1
# kdc_replay_cache_size 100000, rounded up to whole groups of 64
[ "$(metric orthrus_kdc_replay_cache_capacity)" = 100032 ] &&
	pass "replay cache capacity from kdc_replay_cache_size (100032)" ||
	fail "replay cache capacity $(metric orthrus_kdc_replay_cache_capacity), want 100032"
[ "$(metric 'orthrus_kdc_replay_cache_refusals_total{reason="quota"}')" = 0 ] &&
	[ "$(metric 'orthrus_kdc_replay_cache_refusals_total{reason="full"}')" = 0 ] &&
	grep -q '^orthrus_kdc_replay_cache_refusals_total{reason="full"} 0$' "$M" &&
	pass "no replay cache refusals, both kinds shown" || fail "replay cache refusals"
[ "$(metric orthrus_kdc_db_read_errors_total)" = 0 ] && pass "no db read errors" ||
	fail "db read errors: $(metric orthrus_kdc_db_read_errors_total)"
start=$(metric orthrus_kdc_start_time_seconds)
now=$(date +%s)
[ "$start" -le "$now" ] && [ "$start" -gt $((now - 600)) ] && pass "start time ($start)" ||
	fail "start time $start"
expect_grep "info names the realm" "^orthrus_kdc_info{realm=\"$REALM\"} 1\$" "$M"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")
[ "$code" = 404 ] && pass "GET / is 404" || fail "GET / is $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "http://127.0.0.1:$MPORT/metrics")
[ "$code" = 405 ] && pass "POST is 405" || fail "POST is $code"
curl -sI "http://127.0.0.1:$MPORT/metrics" >"$ORTH_DIR/head.out"
expect_grep "the exposition format's content type" "Content-Type: text/plain; version=0.0.4" \
	"$ORTH_DIR/head.out"

# 2e. a retransmission answered from the reply cache is counted there
hits=$(metric orthrus_kdc_reply_cache_hits_total)
/usr/bin/python3 - "$ORTH_PORT" <<'PY' || true
import socket, sys
# an AS-REQ for alice without pre-authentication, sent twice: the second
# copy is a retransmission (same bytes)
import struct
def tlv(tag, body):
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + body
def integer(v):
    return tlv(0x02, v.to_bytes(4, "big", signed=True).lstrip(b"\x00") or b"\x00")
def gstr(s):
    return tlv(0x1b, s.encode())
def seq(*xs):
    return tlv(0x30, b"".join(xs))
def ctx(n, x):
    return tlv(0xa0 + n, x)
def pname(t, *comps):
    return seq(ctx(0, integer(t)), ctx(1, seq(*[gstr(c) for c in comps])))
body = seq(ctx(0, tlv(0x03, b"\x00\x00\x00\x00\x00")), ctx(1, pname(1, "alice")),
           ctx(2, gstr("OPS.REALM")), ctx(3, pname(2, "krbtgt", "OPS.REALM")),
           ctx(5, tlv(0x18, b"20370101000000Z")), ctx(7, integer(12345)),
           ctx(8, seq(integer(18))))
req = tlv(0x6a, seq(ctx(1, integer(5)), ctx(2, integer(10)), ctx(4, body)))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for _ in range(2):
    s.sendto(req, ("127.0.0.1", int(sys.argv[1])))
    s.recv(4096)
PY
curl -sf -o "$M" "http://127.0.0.1:$MPORT/metrics"
[ "$(metric orthrus_kdc_reply_cache_hits_total)" -gt "$hits" ] &&
	pass "reply cache hit counted" || fail "reply cache hits: $hits -> $(metric orthrus_kdc_reply_cache_hits_total)"
expect_grep "log: the retransmission says what it was answered (not ok)" \
	"error=KDC_ERR_PREAUTH_REQUIRED reason=\"retransmission: cached reply\"" \
	"$ORTH_DIR/kdc.log"

# 3. SIGTERM: STOPPING=1, exit 0, no sanitizer report
kill "$PID"
wait "$PID"
st=$?
ORTH_KDC_PID=
[ "$st" -eq 0 ] && pass "the dropped KDC exited 0 on SIGTERM" || fail "the dropped KDC exited $st"
if grep -qE "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error: " "$ORTH_DIR/kdc.log"; then
	fail "sanitizer report in the KDC log"
	grep -vE ' (udp|tcp) [A-Z-]+-REQ ' "$ORTH_DIR/kdc.log" | tail -40 >&2
else
	pass "no sanitizer report in the log"
fi
wait "$NPID"
nst=$?
NPID=
[ "$nst" -eq 0 ] && pass "the service manager heard STOPPING=1" || fail "no STOPPING=1 (status $nst)"
expect_grep "STOPPING=1 with a status" "^msg: STOPPING=1 | STATUS=stopping" "$NDIR/notify.out"
[ "$(grep -c '^msg: READY=1' "$NDIR/notify.out")" -eq 1 ] && pass "READY=1 once" ||
	fail "READY=1 $(grep -c '^msg: READY=1' "$NDIR/notify.out") times"

# 4. started as the unprivileged user itself with a capability to bind a
# port below 1024 (a unit's User= and AmbientCapabilities=
# CAP_NET_BIND_SERVICE): it binds, then gives the capability up
R=$PUB/realm
mkdir "$R"
cp "$ORTH_DIR"/principal.mdb* "$ORTH_DIR/stash" "$R/"
chown -R nobody:nogroup "$R"
chmod 700 "$R"
LOW=$(/usr/bin/python3 - <<'PY'
import socket
for port in range(700, 1000):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        t.bind(("127.0.0.1", port))
        u.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        t.close()
        u.close()
    print(port)
    break
PY
)
sed -e "s|^\(\s*kdc_listen = \).*|\1127.0.0.1:$LOW|" -e "s|^\(\s*kdc_tcp_listen = \).*|\1127.0.0.1:$LOW|" \
	-e "s|$ORTH_DIR/principal.mdb|$R/principal.mdb|" -e "s|$ORTH_DIR/stash|$R/stash|" \
	-e "/^\s*\(user\|group\|metrics_listen\) =/d" -e "s|^\(\s*kpasswd_listen\) = .*|\1 =|" \
	"$ORTHRUS_CONFIG" >"$PUB/kdc.conf"
chmod 644 "$PUB/kdc.conf"
sed "s|kdc = 127.0.0.1:$ORTH_PORT|kdc = 127.0.0.1:$LOW|" "$KRB5_CONFIG" >"$PUB/krb5.conf"
setpriv --reuid="$UID_NOBODY" --regid="$GID_NOGROUP" --clear-groups \
	--inh-caps=+net_bind_service --ambient-caps=+net_bind_service -- \
	"$ORTHRUS" kdc -c "$PUB/kdc.conf" --foreground 2>"$PUB/kdc.log" &
LPID=$!
if wait_tcp_port "$LOW" "$LPID" && wait_kdc_serving "$PUB/kdc.log" "$LPID"; then
	pass "bound port $LOW as nobody with CAP_NET_BIND_SERVICE"
	expect_grep "log: no capabilities kept" "running as uid $UID_NOBODY, no capabilities" "$PUB/kdc.log"
	for t in /proc/$LPID/task/*; do
		cp "$t/status" "$PUB/status" 2>/dev/null || continue
		for cap in CapInh CapPrm CapEff CapAmb; do
			expect_grep "thread ${t##*/}: $cap empty after binding" "^$cap:	0000000000000000\$" "$PUB/status"
		done
		expect_grep "thread ${t##*/}: no_new_privs" "^NoNewPrivs:	1\$" "$PUB/status"
	done
	expect_ok "kinit alice from it" env KRB5_CONFIG="$PUB/krb5.conf" bash -c "echo alice-Pa55 | kinit alice"
	kill "$LPID"
	wait "$LPID"
	st=$?
	[ "$st" -eq 0 ] && pass "it exited 0 on SIGTERM" || fail "it exited $st"
else
	fail "no KDC on port $LOW as nobody"
	cat "$PUB/kdc.log" >&2
fi
if grep -qE "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error: " "$PUB/kdc.log"; then
	fail "sanitizer report in its log"
fi

# 5. root under a unit's narrower CapabilityBoundingSet=: without
# CAP_SETPCAP the bounding set cannot be emptied, and need not be (the
# other sets are empty and no_new_privs is set); without CAP_SETUID there
# is no drop, and the KDC refuses to serve
sed 's/^\[kdcdefaults\]$/&\n\tuser = nobody\n\tgroup = nogroup/' "$PUB/kdc.conf" >"$PUB/kdc-user.conf"
setpriv --bounding-set=-setpcap -- "$ORTHRUS" kdc -c "$PUB/kdc-user.conf" --foreground \
	2>"$PUB/kdc5.log" &
LPID=$!
if wait_tcp_port "$LOW" "$LPID" && wait_kdc_serving "$PUB/kdc5.log" "$LPID"; then
	expect_grep "no CAP_SETPCAP: still dropped to nobody" "running as user nobody" "$PUB/kdc5.log"
	cp "/proc/$LPID/status" "$PUB/status"
	expect_grep "no CAP_SETPCAP: uids are nobody's" \
		"^Uid:	$UID_NOBODY	$UID_NOBODY	$UID_NOBODY	$UID_NOBODY\$" "$PUB/status"
	for cap in CapInh CapPrm CapEff CapAmb; do
		expect_grep "no CAP_SETPCAP: $cap empty" "^$cap:	0000000000000000\$" "$PUB/status"
	done
	expect_grep "no CAP_SETPCAP: no_new_privs" "^NoNewPrivs:	1\$" "$PUB/status"
	kill "$LPID"
	wait "$LPID"
	st=$?
	[ "$st" -eq 0 ] && pass "it exited 0 on SIGTERM" || fail "it exited $st"
else
	fail "no KDC under a bounding set without CAP_SETPCAP"
	cat "$PUB/kdc5.log" >&2
fi
expect_fail "no CAP_SETUID: no drop, no service" "dropping privileges to nobody:nogroup: setresuid failed" \
	timeout 20 setpriv --bounding-set=-setuid -- "$ORTHRUS" kdc -c "$PUB/kdc-user.conf" --foreground

check_done
