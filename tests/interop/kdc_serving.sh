#!/bin/bash
# The serving path of `orthrus kdc` (src/kdc/net_udp.c, src/base/log.c;
# issue 9): UDP requests are read and answered in batches (recvmmsg/
# sendmmsg), and each worker buffers its log lines, so that under load
# neither the datagrams nor the log cost a system call per request; the
# buffered lines still reach the log at least every --log-flush-ms, on
# SIGHUP and when the KDC stops.  The system calls are counted with
# strace on the running KDC; the load is bench/kdc_load.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
PW=serve-Pa55
LOAD=${BUILDDIR:-$here/../../build}/bench/kdc_load
STRACE_PID=
trap '[ -n "$STRACE_PID" ] && kill "$STRACE_PID" 2>/dev/null; orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
[ -x "$LOAD" ] || { echo "no $LOAD (build the bench)" >&2; exit 1; }
command -v strace >/dev/null || { echo "strace not installed (tools/deps.sh)" >&2; exit 1; }

# requests in the log: one line each
lines() { grep -c ' udp AS-REQ client=user' "$ORTH_DIR/kdc.log"; }
load() { # load COUNT INFLIGHT
	"$LOAD" --kdc "127.0.0.1:$ORTH_PORT" --realm $REALM --mode as --principals 2 \
		--password $PW --count "$1" --inflight "$2" --duration 60
}
# wait_lines N SECONDS: the log holds N request lines within SECONDS
wait_lines() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(lines)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# 1. Buffered for a minute: nothing reaches the log until SIGHUP.
ORTH_KDC_ARGS="--workers 1 --log-flush-ms 60000" orthkdc_start $REALM || exit 1
for u in user0 user1; do
	echo $PW | orth_admin add $u --password-stdin >/dev/null || exit 1
done
expect_ok "an AS exchange" load 1 1
sleep 0.5
n=$(lines)
if [ "$n" -eq 0 ]; then pass "the line waits in the worker's buffer"; else fail "the line was written at once ($n)"; fi
kill -HUP "$ORTH_KDC_PID"
if wait_lines 1 5; then pass "SIGHUP writes the buffered line"; else fail "no line after SIGHUP"; fi

# 2. Under load: one write(2) for many lines, batched datagrams.
# Every thread of the KDC (-f), from now on.
strace -f -qq -e trace=write,recvmsg,recvmmsg,sendmsg,sendmmsg \
	-o "$ORTH_DIR/strace.log" -p "$ORTH_KDC_PID" 2>/dev/null &
STRACE_PID=$!
sleep 1
before=$(lines)
expect_ok "400 AS exchanges, 16 in flight" load 400 16
kill -HUP "$ORTH_KDC_PID"
wait_lines $((before + 400)) 5
sleep 0.3
kill "$STRACE_PID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null
STRACE_PID=
after=$(lines)
writes=$(grep -c '^[0-9]* *write(2,' "$ORTH_DIR/strace.log")
recvs=$(grep -cE '^[0-9]* *recvm?msg\(' "$ORTH_DIR/strace.log")
sends=$(grep -cE '^[0-9]* *sendm?msg\(' "$ORTH_DIR/strace.log")
echo "note: $((after - before)) lines, $writes log writes, $recvs receive and $sends send calls"
if [ $((after - before)) -ge 400 ]; then pass "every request has its line"; else fail "$((after - before)) lines for 400 requests"; fi
if [ "$writes" -ge 1 ] && [ "$writes" -le 10 ]; then
	pass "the log lines of 400 requests leave in $writes write(2) calls"
else
	fail "$writes write(2) calls of the log for 400 requests"
fi
if [ "$recvs" -lt 400 ]; then pass "datagrams are read in batches ($recvs calls)"; else fail "$recvs receive calls for 400 requests"; fi
if [ "$sends" -lt 400 ]; then pass "replies are sent in batches ($sends calls)"; else fail "$sends send calls for 400 requests"; fi

# 2b. TCP, a connection per request (as MIT's and Heimdal's libraries do):
# the length prefix and the request come in one read, and a read that did
# not fill the buffer is not followed by one that only sees EAGAIN: two
# reads a connection (the request, the EOF), not 3 or 4.  (A request that
# is not there yet when the connection is accepted costs one more read:
# the bound leaves room for a quarter of them.)
strace -f -qq -e trace=read,recvfrom,recvmsg -o "$ORTH_DIR/strace-tcp.log" -p "$ORTH_KDC_PID" 2>/dev/null &
STRACE_PID=$!
sleep 1
expect_ok "400 AS exchanges over TCP, 16 in flight" "$LOAD" --kdc "127.0.0.1:$ORTH_PORT" \
	--realm $REALM --mode as --principals 2 --password $PW --count 400 --inflight 16 \
	--duration 60 --transport tcp
sleep 0.3
kill "$STRACE_PID" 2>/dev/null
wait "$STRACE_PID" 2>/dev/null
STRACE_PID=
reads=$(grep -cE '^[0-9]* *(read|recvfrom|recvmsg)\([0-9]+, ' "$ORTH_DIR/strace-tcp.log")
echo "note: $reads reads for 400 TCP requests"
if [ "$reads" -le 1000 ]; then
	pass "TCP: $reads reads for 400 connections (the request in one, then the EOF)"
else
	fail "TCP: $reads reads for 400 connections (over 2.5 a connection)"
fi
kill "$ORTH_KDC_PID"
wait "$ORTH_KDC_PID" || fail "exit status $? on SIGTERM"

# 3. The default (1 s): lines arrive on their own; SIGTERM writes the rest.
ORTH_KDC_ARGS="--workers 2 --log-flush-ms 1000" orthkdc_run || exit 1
before=$(lines)
expect_ok "one AS exchange" load 1 1
if wait_lines $((before + 1)) 3; then pass "a buffered line is written within the flush interval"; else fail "no line after 3 s"; fi
before=$(lines)
expect_ok "200 AS exchanges" load 200 8
kill "$ORTH_KDC_PID"
wait "$ORTH_KDC_PID"
st=$?
ORTH_KDC_PID=
if [ "$st" -eq 0 ]; then pass "the KDC stops on SIGTERM"; else fail "exit status $st on SIGTERM"; fi
n=$(($(lines) - before))
if [ "$n" -ge 200 ]; then pass "SIGTERM writes every buffered line ($n)"; else fail "$n lines of 200 after SIGTERM"; fi
if grep -qE "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error: " "$ORTH_DIR/kdc.log"; then
	fail "sanitizer report in the KDC log"; grep -vE ' udp AS-REQ ' "$ORTH_DIR/kdc.log" | tail -40 >&2
fi

check_done
