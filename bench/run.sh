#!/bin/bash
# bench/run.sh BUILD [--smoke]: `make bench`.  Orthrus, MIT's krb5kdc (one
# process and -w 2) and Heimdal's kdc serve the same realm (the same
# principals, one enctype: aes256-cts-hmac-sha1-96) on loopback, one after
# the other, under the same loads; one table of replies/s, KDC CPU per
# request (from /proc/PID/stat, every process of the KDC), p50/p99 latency,
# instructions per request (callgrind on the KDC process, counters zeroed
# after the start), the floors (the cryptography of one TGS-REQ alone, a
# trivial UDP and TCP echo servers' CPU under the same loads) and the ratio to MIT
# in each row.  Writes bench/RESULTS.md and bench/results.png (gnuplot).
# First the in-process benchmarks (bench_codec, bench_kdc), printed as they
# are.  Not a test: nothing here asserts a speed; it exits non-zero when a load
# fails (a reply that does not decrypt, no reply) or a KDC does not start.
#
# The loads (bench/kdc_load.c, bench/mit_load.c):
#   tgs udp/tcp   kdc_load, BENCH_INFLIGHT (64; TCP: BENCH_TCP_INFLIGHT, 16)
#                 in flight (TCP: a connection per request, and for
#                 Orthrus also 100 requests a connection), TGS-REQs with
#                 fresh authenticators and subkeys over BENCH_PRINCIPALS
#                 (100) clients holding real TGTs
#   tgs libkrb5   mit_load: 2 processes, 1 request in flight each, every
#                 request a krb5_get_credentials() of MIT's library
#   as-preauth    kdc_load, AS-REQ with PA-ENC-TIMESTAMP (one exchange)
#   as            kdc_load, AS-REQ without pre-authentication
#   scale         the TGS load again at 1,000 and BENCH_SCALE (10^6)
#                 principals (orthrus admin bulk-add; 0: not run)
#   ldap          scenario 8 of issue 11: the realm at BENCH_LDAP (10^5; 0:
#                 not run) principals (a scale row first) copied into one
#                 slapd (`orthrus admin migrate --to ldap`), a second
#                 Orthrus KDC serving from its replica of it: the time of
#                 its initial sync (full load), then the TGS load against
#                 it, next to the LMDB-only KDC's scale row; then MIT's
#                 krb5kdc with kldap on the same slapd (its own realm
#                 container, BENCH_MIT_LDAP (10^4) principals at most
#                 made by kadmin.local: the time is said; 10^5 took 19
#                 minutes on 2 shared cores), one process and -w 2; slapd's CPU per
#                 request in a column of its own; skipped, said, when
#                 slapd (or krb5-kdc-ldap, for MIT) is not installed
#   rss           the KDC's RSS after a warm-up and after BENCH_RSS_COUNT
#                 (10^7; 0: not run) more TGS-REQs, its replay cache sized
#                 for them (kdc_replay_cache_size)
# BENCH_SECONDS (5) per row; BENCH_CALLGRIND=0 skips the instruction
# counts; BENCH_KDCS (orthrus mit heimdal) which KDCs; BENCH_OUT (bench/)
# where RESULTS.md and results.png go;
# BENCH_KEEP=DIR keeps the callgrind files there (callgrind_annotate);
# BENCH_NOTE a sentence for RESULTS.md (e.g. that the machine was shared);
# BENCH_INPROC=0 skips bench_codec and bench_kdc; BENCH_REPLAY_CACHE_SIZE (2^23)
# Orthrus's kdc_replay_cache_size (see orth_setup).
# --smoke (what `make check` runs): Orthrus and the floors only, a fraction
# of a second per row, a few clients, no callgrind, output into a
# temporary directory; it checks that the table is complete and every
# reply valid.
# Everything runs in a temporary directory, on free loopback ports; every
# server is stopped by its PID.
set -u
build=$(cd "$1" && pwd)
smoke=0
[ "${2:-}" = --smoke ] && smoke=1
top=$(cd "$(dirname "$0")/.." && pwd)
export ORTHRUS=$build/orthrus
LOAD=$build/bench/kdc_load
MITLOAD=$build/bench/mit_load
ECHO=$build/bench/udp_echo
TCP_ECHO=$build/bench/tcp_echo
REALM=BENCH.REALM
PW=bench-Pa55
SVC=bench/svc
SECS=${BENCH_SECONDS:-5}
NPRINC=${BENCH_PRINCIPALS:-100}
INFL=${BENCH_INFLIGHT:-64}
# TCP: a connection per request; MIT's krb5kdc listens with a backlog of 5
# and drops connections beyond it (1 s retries), so fewer in flight.
TCP_INFL=${BENCH_TCP_INFLIGHT:-16}
CG=${BENCH_CALLGRIND:-1}
CG_COUNT=${BENCH_CALLGRIND_COUNT:-300}
SCALE=${BENCH_SCALE:-1000000}
LDAP_N=${BENCH_LDAP:-100000}
MIT_LDAP_N=${BENCH_MIT_LDAP:-10000}
# The issue's 10^7 (rss_row sizes the replay cache for it: at the default
# size the KDC answered every TGS-REQ past ~10^6 KDC_ERR_SVC_UNAVAILABLE).
RSS_COUNT=${BENCH_RSS_COUNT:-10000000}
KDCS=" ${BENCH_KDCS:-orthrus mit heimdal} "
OUT=${BENCH_OUT:-$top/bench}
HEIMDAL_KDC=${HEIMDAL_KDC:-/opt/heimdal-kdc/usr/lib/heimdal-servers/kdc}
HEIMDAL_KADMIN=${HEIMDAL_KADMIN:-/opt/heimdal-clients/usr/bin/kadmin.heimdal}
TMP=$(mktemp -d /tmp/orthbench.XXXXXX)
if [ $smoke -eq 1 ]; then
	SECS=0.4 NPRINC=3 INFL=4 TCP_INFL=4 CG=0 SCALE=0 LDAP_N=0 RSS_COUNT=0 OUT=$TMP/out KDCS=" orthrus "
	mkdir -p "$OUT"
fi
CLK_TCK=$(getconf CLK_TCK)
ROWS=$TMP/rows.tsv
: >"$ROWS"
rc=0
SERVER_PIDS=()

. "$top/tests/interop/lib/orthkdc.sh"
. "$top/tests/interop/lib/mitkdc_ldap.sh"

stop_servers() {
	local p k
	for p in "${SERVER_PIDS[@]}"; do
		# MIT's -w N: its workers are the parent's children
		for k in $(pgrep -P "$p" 2>/dev/null); do kill "$k" 2>/dev/null; done
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	SERVER_PIDS=()
}
cleanup() {
	stop_servers
	orthkdc_stop >/dev/null 2>&1
	mitkdc_stop >/dev/null 2>&1
	declare -F slapd_stop >/dev/null && slapd_stop
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { echo "bench: $*" >&2; }
kv() { # kv KEY LINE: the value of KEY= in LINE
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# cpu_ticks PID...: user+system ticks of the processes and their children
cpu_ticks() {
	local p t=0 k
	for p in "$@"; do
		for k in "$p" $(pgrep -P "$p" 2>/dev/null); do
			t=$((t + $(awk '{ print $14 + $15 }' "/proc/$k/stat" 2>/dev/null || echo 0)))
		done
	done
	echo "$t"
}

# us_per: CPU microseconds per reply of TICKS over REPLIES
us_per() {
	awk -v t="$1" -v hz="$CLK_TCK" -v n="${2:-0}" \
		'BEGIN { printf "%.1f", (n > 0 ? t * 1e6 / hz / n : 0) }'
}

# row KDC REQUEST TRANSPORT LOADER PIDS [DIRPIDS] -- CMD...: run a load,
# append a row; DIRPIDS, the directory's (slapd) processes, whose CPU per
# request is a column of its own (issue 11 compares KDC + slapd)
row() {
	local kdc=$1 req=$2 tr=$3 loader=$4 pids=$5 dirpids='' c0 c1 d0 d1 out r cpu dcpu=''
	if [ "$6" = -- ]; then
		shift 6
	else
		dirpids=$6
		shift 7
	fi
	# shellcheck disable=SC2086
	c0=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	[ -n "$dirpids" ] && d0=$(cpu_ticks $dirpids)
	if ! out=$("$@" 2>"$TMP/load.err"); then
		say "$kdc $req $tr ($loader) failed: $out $(cat "$TMP/load.err")"
		rc=1
		return
	fi
	# shellcheck disable=SC2086
	c1=$(cpu_ticks $pids)
	# shellcheck disable=SC2086
	[ -n "$dirpids" ] && d1=$(cpu_ticks $dirpids)
	r=$(kv replies "$out")
	if [ "$(kv bad "$out")" != 0 ] || [ -z "$r" ] || [ "$r" -eq 0 ]; then
		say "$kdc $req $tr ($loader): bad replies: $out"
		rc=1
	fi
	cpu=$(us_per $((c1 - c0)) "$r")
	[ -n "$dirpids" ] && dcpu=$(us_per $((d1 - d0)) "$r")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$kdc" "$req" "$tr" "$loader" \
		"$(kv inflight "$out")" "$(kv rate "$out")" "$cpu" "$(kv p50_us "$out")" \
		"$(kv p99_us "$out")" "$dcpu" >>"$ROWS"
	say "$kdc $req $tr $loader: $(kv rate "$out") replies/s, $cpu us CPU/request${dcpu:+, slapd $dcpu us}"
}

# loads KDC PORT PIDS: every row against one KDC
loads() {
	local kdc=$1 port=$2 pids=$3
	local base=(--kdc "127.0.0.1:$port" --realm "$REALM" --principals "$NPRINC"
		--password "$PW" --service "$SVC" --duration "$SECS")
	row "$kdc" tgs udp kdc_load "$pids" -- "$LOAD" "${base[@]}" --mode tgs --inflight "$INFL"
	row "$kdc" tgs tcp kdc_load "$pids" -- "$LOAD" "${base[@]}" --mode tgs --transport tcp --inflight "$TCP_INFL"
	# The cost of a connection apart from a request's: Orthrus keeps a
	# connection open for a follow-up (RFC 4120 §7.2.2 allows both).
	[ "$kdc" = orthrus ] && row "$kdc" tgs tcp "kdc_load conn 100" "$pids" -- "$LOAD" "${base[@]}" \
		--mode tgs --transport tcp --inflight "$TCP_INFL" --per-conn 100
	row "$kdc" tgs udp libkrb5 "$pids" -- "$MITLOAD" --realm "$REALM" --mode tgs --procs 2 \
		--principals "$NPRINC" --password "$PW" --service "$SVC" --duration "$SECS"
	row "$kdc" as-preauth udp kdc_load "$pids" -- "$LOAD" "${base[@]}" --mode as-preauth --inflight "$INFL"
	row "$kdc" as udp kdc_load "$pids" -- "$LOAD" "${base[@]}" --mode as --inflight "$INFL"
}

# tgs_row KDC LOADER PORT PIDS [DIRPIDS]: the TGS load over UDP alone (the
# scale and directory rows)
tgs_row() {
	row "$1" tgs udp "$2" "$4" ${5:+"$5"} -- "$LOAD" --kdc "127.0.0.1:$3" --realm "$REALM" \
		--principals "$NPRINC" --password "$PW" --service "$SVC" --duration "$SECS" \
		--mode tgs --inflight "$INFL"
}

# mit_addprincs FILL: kadmin.local's commands for the clients, the service
# and FILL random-key fillers (one kadmin.local reads them all)
mit_addprincs() {
	local i
	for ((i = 0; i < NPRINC; i++)); do echo "addprinc -pw $PW user$i"; done
	echo "addprinc -randkey $SVC"
	for ((i = 0; i < $1; i++)); do echo "addprinc -randkey filler$i"; done
}

# mit_w2_start: MIT's krb5kdc again, with two worker processes (-w 2), in
# place of the one-process KDC MIT_KDC_PID; its PIDs in SERVER_PIDS
mit_w2_start() {
	kill "$MIT_KDC_PID" 2>/dev/null
	wait "$MIT_KDC_PID" 2>/dev/null
	MIT_KDC_PID=
	"$MITKDC_SBIN/krb5kdc" -n -w 2 -r "$REALM" >"$TMP/mitw2.out" 2>&1 &
	SERVER_PIDS+=($!)
	if ! wait_tcp_port "$MIT_PORT" "$!"; then
		say "krb5kdc -w 2 did not start: $(cat "$TMP/mitw2.out")"
		return 1
	fi
	sleep 0.5 # every worker up
}

# callgrind_count NAME PORT PID: instructions per TGS-REQ and per AS
# exchange with PA-ENC-TIMESTAMP of the KDC running under callgrind as PID
# and its children (Heimdal's kdc forks its workers): counters zeroed
# after a warm-up, dumped after CG_COUNT requests, one in flight so that
# none is left over.
callgrind_count() {
	local name=$1 port=$2 pid=$3 mode p f total n
	# two clients: the TGS load starts with an AS exchange per client, in
	# the counted window (2 in CG_COUNT requests)
	local base=(--kdc "127.0.0.1:$port" --realm "$REALM" --principals 2
		--password "$PW" --service "$SVC" --duration 600 --inflight 1)
	for mode in tgs as-preauth; do
		"$LOAD" "${base[@]}" --mode "$mode" --count 20 >/dev/null 2>&1
		local pids=("$pid" $(pgrep -P "$pid"))
		for p in "${pids[@]}"; do callgrind_control -z "$p" >/dev/null 2>&1; done
		if ! "$LOAD" "${base[@]}" --mode "$mode" --count "$CG_COUNT" >"$TMP/cg.out" 2>&1; then
			say "callgrind $name $mode: load failed: $(cat "$TMP/cg.out")"
			rc=1
			continue
		fi
		total=0
		for p in "${pids[@]}"; do
			n=$(ls "$TMP"/cg."$p".* 2>/dev/null | wc -l)
			callgrind_control -d "$p" >/dev/null 2>&1
			for _ in $(seq 1 100); do
				[ "$(ls "$TMP"/cg."$p".* 2>/dev/null | wc -l)" -gt "$n" ] && break
				sleep 0.2
			done
			f=$(ls "$TMP"/cg."$p".* 2>/dev/null | sort -t. -k3 -n | tail -1)
			t=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$f" 2>/dev/null)
			[ -n "$t" ] || t=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$f" 2>/dev/null)
			total=$((total + ${t:-0}))
			[ -n "${BENCH_KEEP:-}" ] && cp "$f" "$BENCH_KEEP/callgrind.$name.$mode.$p"
		done
		if [ "$total" -eq 0 ]; then
			say "callgrind $name $mode: no count"
			continue
		fi
		printf '%s\t%s\t%s\n' "$name" "$mode" $((total / CG_COUNT)) >>"$TMP/instr.tsv"
		say "$name $mode: $((total / CG_COUNT)) instructions/request"
	done
}

valgrind_cmd=(valgrind --tool=callgrind --vgdb=yes --trace-children=yes "--callgrind-out-file=$TMP/cg.%p")

# ---- in process (not in the table): the codec and kdc_handle() alone ----
if [ $smoke -eq 0 ] && [ "${BENCH_INPROC:-1}" = 1 ]; then
	say "in process: bench_codec, bench_kdc"
	"$build/bench/bench_codec" "$top/tests/vectors" || rc=1
	"$build/bench/bench_kdc" -t 1 || rc=1
fi

# ---- Orthrus ----
# The TGS replay cache sized as an administrator would for this load
# (docs/OPERATIONS.md): every authenticator stays in it for the skew (300
# s), and the rows against one KDC run within that, so it must hold the
# UDP, TCP and libkrb5 TGS rows together: ~700,000 entries at ~120,000
# TGS/s, which the default 2^20 slots cannot (from ~40% full, fresh
# authenticators find their group full: KDC_ERR_SVC_UNAVAILABLE, and
# MIT's library then retries for 25 s).  With 2^23 slots those rows fill
# at most 40% of the table up to ~200,000 TGS/s; ~190 MB (23 bytes a
# slot, taken at start).  The restarts (scale rows, callgrind) keep it.
ORTH_REPLAY_SIZE=${BENCH_REPLAY_CACHE_SIZE:-8388608}
orth_setup() {
	local i
	ORTH_KDCDEFAULTS="	kdc_replay_cache_size = $ORTH_REPLAY_SIZE" \
		ORTH_KDC_ARGS="--log-flush-ms ${BENCH_LOG_FLUSH_MS:-1000}" \
		ORTH_ENCTYPES=aes256-cts-hmac-sha1-96 orthkdc_start "$REALM" >/dev/null || return 1
	for ((i = 0; i < NPRINC; i++)); do
		echo "$PW" | orth_admin add "user$i" --password-stdin >/dev/null || return 1
	done
	orth_admin add "$SVC" --random-key >/dev/null
}
# rss_row: the KDC's resident memory after a warm-up of 100,000 TGS-REQs,
# after RSS_COUNT/2 more and after RSS_COUNT (issue 9: flat over 10^7).  The
# caches (replay, lookaside) fill up to their caps in the first half; the
# second half must not grow.  The whole load runs within the skew (300 s),
# so every authenticator of it is still in the replay cache at the end: the
# KDC is restarted for the row with kdc_replay_cache_size 2.5 times the
# load (replay.h: entries at most 40% of it; 23 bytes each, ~580 MB at
# 10^7), and the config put back after it (callgrind's KDC after it gets
# orth_setup's size again).
rss_load() {
	local out
	# kdc_load exits 0 when some replies are valid: a KRB-ERROR (the
	# replay cache's KDC_ERR_SVC_UNAVAILABLE) fails the row too.
	out=$("$LOAD" "${base[@]}" --count "$1") && [ "$(kv bad "$out")" = 0 ] && return 0
	say "RSS row: a load of $1 TGS-REQs failed: $out"
	say "RSS row: the KDC's log besides its request lines:" \
		"$(grep -vE ' (udp|tcp) [A-Z-]+-REQ ' "$ORTH_DIR/kdc.log" | tail -3)"
	rc=1
	return 1
}
rss_row() {
	local r0 r1 r2 base size=$(((RSS_COUNT + 100000) * 5 / 2))
	[ "$size" -gt 268435456 ] && size=268435456 # the table's most (replay_table.h)
	cp "$ORTHRUS_CONFIG" "$TMP/kdc.conf.before-rss"
	kill "$ORTH_KDC_PID"
	wait "$ORTH_KDC_PID" 2>/dev/null
	sed -i -e '/kdc_replay_cache_size/d' \
		-e "s|^\[kdcdefaults\]\$|&\n\tkdc_replay_cache_size = $size|" "$ORTHRUS_CONFIG"
	ORTH_KDC_ARGS="--log-flush-ms ${BENCH_LOG_FLUSH_MS:-1000}" orthkdc_run >/dev/null || { rc=1; return; }
	cp "$TMP/kdc.conf.before-rss" "$ORTHRUS_CONFIG"
	base=(--kdc "127.0.0.1:$ORTH_PORT" --realm "$REALM" --principals "$NPRINC"
		--password "$PW" --service "$SVC" --duration 100000 --mode tgs --inflight "$INFL")
	rss_load 100000 || return
	r0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ORTH_KDC_PID/status")
	rss_load $((RSS_COUNT / 2)) || return
	r1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ORTH_KDC_PID/status")
	rss_load $((RSS_COUNT / 2)) || return
	r2=$(awk '/^VmRSS:/ { print $2 }' "/proc/$ORTH_KDC_PID/status")
	say "RSS after warm-up ${r0} KiB, after $((RSS_COUNT / 2)) TGS-REQs ${r1} KiB, after $RSS_COUNT ${r2} KiB" \
		"(kdc_replay_cache_size $size)"
	echo "$RSS_COUNT $r0 $r1 $r2" >"$TMP/rss.txt"
}

# scale_row N: the TGS load again once the realm holds N principals (the
# others made by `orthrus admin bulk-add`, random keys); the KDC is
# restarted around the bulk load with a map size for them.
scale_row() {
	local have
	have=$(orth_admin list | wc -l)
	kill "$ORTH_KDC_PID"
	wait "$ORTH_KDC_PID" 2>/dev/null
	grep -q database_map_size "$ORTHRUS_CONFIG" ||
		sed -i 's|^\(\t*\)max_life = 10h|\1max_life = 10h\n\1database_map_size = 4294967296|' "$ORTHRUS_CONFIG"
	if [ "$1" -gt "$have" ]; then
		local t0=$SECONDS
		orth_admin bulk-add filler $(($1 - have)) --start "$have" >/dev/null || { rc=1; return; }
		say "bulk-add of $(($1 - have)) principals: $((SECONDS - t0)) s"
		echo "$(($1 - have)) $((SECONDS - t0))" >>"$TMP/bulk.txt"
	fi
	ORTH_KDC_ARGS="--log-flush-ms ${BENCH_LOG_FLUSH_MS:-1000}" orthkdc_run >/dev/null || { rc=1; return; }
	tgs_row orthrus "scale $1" "$ORTH_PORT" "$ORTH_KDC_PID"
}
# ldap_row N: the realm (N principals: after scale_row N) copied into one
# slapd; a second KDC on its own port serves from its replica of it (the
# same stash; its database a copy of the realm's, which the first sync
# replaces): the time of migrate and of the full load, then the TGS load.
ldap_row() {
	local n=$1 d=$TMP/ldap port t0 i line=
	if [ ! -x "${SLAPD_BIN:-/usr/sbin/slapd}" ]; then
		say "no slapd: the LDAP rows (scenario 8) not run"
		return
	fi
	mkdir -p "$d"
	export SRCDIR=$top # slapd.sh: our schema
	. "$top/tests/interop/lib/slapd.sh"
	slapd_start 1 || { rc=1; return; }
	port=$(free_port)
	sed -e "s|^\(\t*\)max_life = 10h|&\n\1database_module = openldap|" "$ORTHRUS_CONFIG" >"$d/admin.conf"
	cat >>"$d/admin.conf" <<CONF
[dbmodules]
	openldap = {
		db_library = kldap
		ldap_servers = ${SLAPD_URI[1]}
		ldap_kerberos_container_dn = $SLAPD_CONTAINER_DN
		ldap_kdc_dn = $SLAPD_KDC_DN
		ldap_service_password_file = $SLAPD_KDC_PWFILE
		ldap_timeout = 10s
	}
CONF
	sed -e "s|$ORTH_DIR/principal.mdb|$d/replica.mdb|" -e "s|127.0.0.1:$ORTH_PORT|127.0.0.1:$port|g" \
		-e "s|^\(\t*\)kpasswd_listen = .*|\1kpasswd_listen =|" "$d/admin.conf" >"$d/kdc.conf"
	t0=$SECONDS
	"$ORTHRUS" admin -c "$d/admin.conf" migrate --to ldap --quiet || { rc=1; slapd_stop; return; }
	say "migrate --to ldap of $n principals: $((SECONDS - t0)) s"
	mdb_copy -n "$ORTH_DIR/principal.mdb" "$d/replica.mdb" || { rc=1; slapd_stop; return; }
	"$ORTHRUS" kdc -c "$d/kdc.conf" --foreground --log-flush-ms "${BENCH_LOG_FLUSH_MS:-1000}" \
		2>"$d/kdc.log" &
	SERVER_PIDS+=($!)
	t0=$SECONDS
	# 5 minutes at most (10^5 entries in a trial: seconds when it works)
	for ((i = 0; i < 3000; i++)); do
		line=$(grep -o "refresh done (full load).*" "$d/kdc.log") && break
		sleep 0.1
	done
	if [ -z "$line" ]; then
		say "the LDAP replica KDC did not load the directory: $(tail -3 "$d/kdc.log")"
		rc=1
	else
		say "LDAP replica KDC, initial sync: $line"
		echo "$n $((SECONDS - t0)) ${line#refresh done (full load): }" >"$TMP/ldap.txt"
		tgs_row orthrus "ldap $n" "$port" "${SERVER_PIDS[-1]}" "${SLAPD_PID[1]}"
	fi
	kill "${SERVER_PIDS[-1]}"
	wait "${SERVER_PIDS[-1]}" 2>/dev/null
	unset 'SERVER_PIDS[-1]'
	if mitkdc_ldap_available; then
		mit_ldap_rows $((MIT_LDAP_N < n ? MIT_LDAP_N : n)) || rc=1
	else
		say "no MIT krb5kdc with kldap (krb5-kdc-ldap): its LDAP rows not run"
	fi
	slapd_stop
}
# mit_ldap_rows N: MIT's krb5kdc with its kldap module on the same slapd.
# MIT cannot read our sealed keys: its own realm (the same name, in a
# Kerberos container of its own, cn=mitkrb: our entries are outside its
# searches) made by kdb5_ldap_util, with the clients, password and
# service of the other rows and random-key fillers up to N principals,
# all from one kadmin.local (an LDAP add each: the time is said; 86/s at
# 10^5 on 2 shared cores, hence N below the replica's by default: a
# lookup's cost in slapd's indexed mdb hardly depends on N); then
# the TGS load against it as one process and with -w 2 (the two settings
# of the MIT rows), slapd's CPU beside the KDC's.  A subshell: mitkdc.sh's
# environment (KRB5_CONFIG, ...) stays in it.
mit_ldap_rows() (
	n=$1
	SERVER_PIDS=()
	trap 'stop_servers; mitkdc_ldap_stop' EXIT
	MITKDC_ENCTYPES=aes256-cts-hmac-sha1-96:normal MITKDC_FLAGS=+renewable \
		mitkdc_ldap_realm "$REALM" "${SLAPD_URI[1]}" "cn=mitkrb,$SLAPD_SUFFIX" \
		"$SLAPD_KDC_DN" "$SLAPD_KDC_PW" || exit 1
	have=$("$MITKDC_SBIN/kadmin.local" -r "$REALM" -q listprincs 2>/dev/null | grep -c "@$REALM\$")
	fill=$((n - have - NPRINC - 1))
	[ "$fill" -lt 0 ] && fill=0
	t0=$(date +%s.%N)
	mit_addprincs "$fill" |
		"$MITKDC_SBIN/kadmin.local" -r "$REALM" >"$TMP/mit-ldap-kadmin.log" 2>&1
	sec=$(echo "$(date +%s.%N) $t0" | awk '{ printf "%.1f", $1 - $2 }')
	made=$(grep -c '^Principal ".*" created' "$TMP/mit-ldap-kadmin.log")
	say "MIT kadmin.local: $made principals into the directory in $sec s" \
		"($(awk -v m="$made" -v s="$sec" 'BEGIN { printf "%.0f", m / s }')/s)"
	if [ "$made" -ne $((NPRINC + 1 + fill)) ]; then
		say "MIT kadmin.local: $(grep -v created "$TMP/mit-ldap-kadmin.log" | grep -v '^No policy' | tail -3)"
		exit 1
	fi
	echo "$n $made $sec" >"$TMP/mitldap.txt"
	mitkdc_run "$REALM" || exit 1
	tgs_row mit "ldap $n" "$MIT_PORT" "$MIT_KDC_PID" "${SLAPD_PID[1]}"
	mit_w2_start || exit 1
	tgs_row "mit -w 2" "ldap $n" "$MIT_PORT" "${SERVER_PIDS[*]}" "${SLAPD_PID[1]}"
	exit $rc
)
if [[ $KDCS != *" orthrus "* ]]; then
	:
elif say "Orthrus: $NPRINC principals"; orth_setup; then
	loads orthrus "$ORTH_PORT" "$ORTH_KDC_PID"
	if [ "$SCALE" -gt 0 ]; then
		scale_row 1000
		if [ "$LDAP_N" -gt 0 ]; then
			scale_row "$LDAP_N"
			ldap_row "$LDAP_N"
		fi
		scale_row "$SCALE"
	fi
	[ "$RSS_COUNT" -gt 0 ] && rss_row
	if [ "$CG" = 1 ]; then
		kill "$ORTH_KDC_PID"
		wait "$ORTH_KDC_PID" 2>/dev/null
		"${valgrind_cmd[@]}" "$ORTHRUS" kdc -c "$ORTHRUS_CONFIG" --foreground --workers 1 \
			2>"$TMP/orth-cg.log" &
		ORTH_KDC_PID=$!
		SERVER_PIDS+=("$ORTH_KDC_PID")
		if wait_kdc_serving "$TMP/orth-cg.log" "$ORTH_KDC_PID"; then
			callgrind_count orthrus "$ORTH_PORT" "$ORTH_KDC_PID"
		else
			say "Orthrus under callgrind did not start"; rc=1
		fi
		stop_servers
		ORTH_KDC_PID=
	fi
	orthkdc_stop >/dev/null 2>&1
else
	say "Orthrus did not start"; rc=1
fi

# ---- the floors ----
"$ECHO" "$TMP/echo.port" &
ECHO_PID=$!
SERVER_PIDS+=("$ECHO_PID")
for _ in $(seq 1 50); do [ -s "$TMP/echo.port" ] && break; sleep 0.1; done
for k in "$INFL" 2; do
	row "udp echo" echo udp kdc_load "$ECHO_PID" -- "$LOAD" --kdc "127.0.0.1:$(cat "$TMP/echo.port")" \
		--realm "$REALM" --mode echo --inflight "$k" --duration "$SECS" --principals 1 --password "$PW"
done
stop_servers
# TCP's: the TCP rows' load (a connection per request) on an echo server
"$TCP_ECHO" "$TMP/tcp_echo.port" &
ECHO_PID=$!
SERVER_PIDS+=("$ECHO_PID")
for _ in $(seq 1 50); do [ -s "$TMP/tcp_echo.port" ] && break; sleep 0.1; done
row "tcp echo" echo tcp kdc_load "$ECHO_PID" -- "$LOAD" --kdc "127.0.0.1:$(cat "$TMP/tcp_echo.port")" \
	--realm "$REALM" --mode echo --transport tcp --inflight "$TCP_INFL" --duration "$SECS" \
	--principals 1 --password "$PW"
stop_servers
FLOOR=$("$LOAD" --floor-crypto $((smoke ? 500 : 20000)))
FLOOR_US=$(kv floor_us "$FLOOR")
FLOOR_INSTR=
if [ "$CG" = 1 ]; then
	valgrind --tool=callgrind --toggle-collect=floor_crypto "--callgrind-out-file=$TMP/floor.cg" \
		"$LOAD" --floor-crypto 1000 >/dev/null 2>&1
	t=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$TMP/floor.cg")
	[ -n "$t" ] || t=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$TMP/floor.cg")
	[ -n "$t" ] && FLOOR_INSTR=$((t / 1000))
fi
say "floor: the cryptography of one TGS-REQ ${FLOOR_US} us, ${FLOOR_INSTR:-?} instructions"

if [[ $KDCS == *" mit "* ]]; then
	# ---- MIT ----
	mit_setup() {
		MITKDC_ENCTYPES=aes256-cts-hmac-sha1-96:normal MITKDC_FLAGS=+renewable \
			mitkdc_start "$REALM" >/dev/null || return 1
		mit_addprincs 0 | "$MITKDC_SBIN/kadmin.local" -r "$REALM" >"$TMP/mit-kadmin.log" 2>&1
	}
	say "MIT krb5kdc: $NPRINC principals"
	if mit_setup; then
		loads mit "$MIT_PORT" "$MIT_KDC_PID"
		if mit_w2_start; then
			loads "mit -w 2" "$MIT_PORT" "${SERVER_PIDS[*]}"
		else
			rc=1
		fi
		stop_servers
		if [ "$CG" = 1 ]; then
			"${valgrind_cmd[@]}" "$MITKDC_SBIN/krb5kdc" -n -r "$REALM" >"$TMP/mit-cg.out" 2>&1 &
			SERVER_PIDS+=($!)
			if wait_tcp_port "$MIT_PORT" "$!"; then
				callgrind_count mit "$MIT_PORT" "$!"
			else
				say "krb5kdc under callgrind did not start"; rc=1
			fi
			stop_servers
		fi
		mitkdc_stop
	else
		say "MIT krb5kdc did not start"; rc=1
	fi
fi

if [[ $KDCS == *" heimdal "* ]]; then
	# ---- Heimdal ----
	heimdal_setup() {
		local i
		HD_DIR=$TMP/heimdal
		mkdir -p "$HD_DIR"
		HD_PORT=$(free_port)
		cat >"$HD_DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
[realms]
	$REALM = {
		kdc = 127.0.0.1:$HD_PORT
	}
[kdc]
	database = {
		dbname = $HD_DIR/heimdal
		realm = $REALM
		mkey_file = $HD_DIR/m-key
		log_file = $HD_DIR/kadmin.log
	}
	require-preauth = false
	enable-pkinit = false
[kadmin]
	default_keys = aes256-cts-hmac-sha1-96:pw-salt
[logging]
	kdc = FILE:$HD_DIR/kdc.log
	default = FILE:$HD_DIR/default.log
CONF
		export KRB5_CONFIG=$HD_DIR/krb5.conf
		"$HEIMDAL_KADMIN" -l -c "$HD_DIR/krb5.conf" init --realm-max-ticket-life=unlimited \
			--realm-max-renewable-life=unlimited "$REALM" >"$HD_DIR/init.log" 2>&1 || return 1
		{
			for ((i = 0; i < NPRINC; i++)); do
				echo "add --password=$PW --use-defaults user$i"
			done
			echo "add --random-key --use-defaults $SVC"
		} | "$HEIMDAL_KADMIN" -l -c "$HD_DIR/krb5.conf" >"$HD_DIR/add.log" 2>&1
	}
	heimdal_start() { # heimdal_start [WRAPPER...]
		"$@" "$HEIMDAL_KDC" "--config-file=$HD_DIR/krb5.conf" "--ports=$HD_PORT" \
			--addresses=127.0.0.1 >"$HD_DIR/kdc.out" 2>&1 &
		HD_PID=$!
		SERVER_PIDS+=("$HD_PID")
		wait_tcp_port "$HD_PORT" "$HD_PID"
	}
	if [ -x "$HEIMDAL_KDC" ] && [ -x "$HEIMDAL_KADMIN" ]; then
		say "Heimdal kdc: $NPRINC principals"
		if heimdal_setup && heimdal_start; then
			loads heimdal "$HD_PORT" "$HD_PID"
			stop_servers
			if [ "$CG" = 1 ]; then
				if heimdal_start "${valgrind_cmd[@]}"; then
					callgrind_count heimdal "$HD_PORT" "$HD_PID"
				else
					say "Heimdal's kdc under callgrind did not start"; rc=1
				fi
				stop_servers
			fi
		else
			say "Heimdal's kdc did not start"; rc=1
		fi
	else
		say "Heimdal's kdc is not in $HEIMDAL_KDC (make deps unpacks it)"; rc=1
	fi
fi

# ---- the table, RESULTS.md, results.png ----
[ -f "$TMP/instr.tsv" ] || : >"$TMP/instr.tsv"
python3 "$top/bench/report.py" --rows "$ROWS" --instr "$TMP/instr.tsv" \
	--floor-us "$FLOOR_US" --floor-instr "${FLOOR_INSTR:-}" --out "$OUT" \
	--bulk "$(cat "$TMP/bulk.txt" 2>/dev/null | tail -1)" \
	--rss "$(cat "$TMP/rss.txt" 2>/dev/null)" \
	--ldap "$(cat "$TMP/ldap.txt" 2>/dev/null)" \
	--mit-ldap "$(cat "$TMP/mitldap.txt" 2>/dev/null)" \
	--seconds "$SECS" --principals "$NPRINC" --inflight "$INFL" --tcp-inflight "$TCP_INFL" \
	$([ $smoke -eq 1 ] && echo --smoke) || rc=1
exit $rc
