# orthkdc.sh - start an Orthrus KDC for an interop test (sourced by bash).
#
#   orthkdc_start REALM      temp dir, kdc.conf, krb5.conf, database, KDC on a
#                            free loopback port (UDP+TCP) and its kpasswd
#                            service on another; exports KRB5_CONFIG,
#                            ORTHRUS_CONFIG, ORTH_DIR, ORTH_PORT,
#                            ORTH_KPASSWD_PORT.  ORTH_ACL (a file): the
#                            realm's acl_file.  ORTH_KDCDEFAULTS: more
#                            lines for [kdcdefaults] (user =, ...);
#                            ORTH_KDC_ARGS: more arguments for the KDC.
#   orth_admin ARGS...       `orthrus admin -c $ORTHRUS_CONFIG ARGS...`
#   orthkdc_stop             stop the KDC by PID (SIGTERM), check how it
#                            ended, remove the temp dir
#
# How the KDC ended is a check of the test (lib/check.sh's fail): it must
# still run when stopped, exit 0 on SIGTERM within ORTHKDC_STOP_SECS
# (default 30; ASan's leak check runs at exit), and its log (its stderr)
# must hold no sanitizer report.  With check.sh, check_done stops the KDC
# before it counts; called later (an EXIT trap) a failure still makes the
# script exit 1.  Needs $ORTHRUS (the binary).  Never touches /etc.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

orth_admin() {
	"$ORTHRUS" admin -c "$ORTHRUS_CONFIG" "$@"
}

# orthkdc_write_conf REALM PORT [ENCTYPES] [KPASSWD_PORT]
orthkdc_write_conf() {
	local realm=$1 port=$2 kport=${4:-}
	local enctypes=${3:-"aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"}
	local kpw_listen="" kpw_server="" acl=""
	# Never the default port 464 in tests: an empty kpasswd_listen turns
	# the service off when no port is given.
	if [ -n "$kport" ]; then
		kpw_listen="kpasswd_listen = 127.0.0.1:$kport"
		# MIT's kinit and kpasswd and Heimdal's find the service here.
		kpw_server="kpasswd_server = 127.0.0.1:$kport"
	else
		kpw_listen="kpasswd_listen ="
	fi
	[ -n "${ORTH_ACL:-}" ] && acl="acl_file = $ORTH_ACL"
	cat >"$ORTH_DIR/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port
${ORTH_KDCDEFAULTS:-}

[realms]
	$realm = {
		database_name = $ORTH_DIR/principal.mdb
		key_stash_file = $ORTH_DIR/stash
		master_key_type = aes256-cts-hmac-sha1-96
		max_life = 10h
		max_renewable_life = 7d
		supported_enctypes = $enctypes
		$kpw_listen
		$acl
	}
CONF
	cat >"$ORTH_DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	ignore_acceptor_hostname = true

[realms]
	$realm = {
		kdc = 127.0.0.1:$port
		$kpw_server
	}
CONF
}

orthkdc_start() {
	local realm=$1
	ORTH_DIR=$(mktemp -d /tmp/orthkdc.XXXXXX)
	ORTH_PORT=$(free_port)
	ORTH_KPASSWD_PORT=$(free_port)
	while [ "$ORTH_KPASSWD_PORT" = "$ORTH_PORT" ]; do ORTH_KPASSWD_PORT=$(free_port); done
	orthkdc_write_conf "$realm" "$ORTH_PORT" "${ORTH_ENCTYPES:-}" "$ORTH_KPASSWD_PORT"
	export ORTH_DIR ORTH_PORT ORTH_KPASSWD_PORT
	export ORTHRUS_CONFIG=$ORTH_DIR/kdc.conf
	export KRB5_CONFIG=$ORTH_DIR/krb5.conf
	export KRB5CCNAME=FILE:$ORTH_DIR/ccache
	orth_admin init </dev/null >/dev/null 2>"$ORTH_DIR/init.err" || {
		cat "$ORTH_DIR/init.err" >&2
		return 1
	}
	orthkdc_run
}

# Start (or restart) the daemon on the existing realm.  Its log lines are
# written before the replies they are about (--log-flush-ms 0), so that a
# test may grep the log as soon as its client returns; ORTH_KDC_ARGS may
# ask for buffering again.
orthkdc_run() {
	# shellcheck disable=SC2086
	"$ORTHRUS" kdc -c "$ORTHRUS_CONFIG" --foreground --log-flush-ms 0 \
		--pidfile "$ORTH_DIR/kdc.pid" ${ORTH_KDC_ARGS:-} 2>"$ORTH_DIR/kdc.log" &
	ORTH_KDC_PID=$!
	declare -F check_at_done >/dev/null && check_at_done orthkdc_stop
	wait_tcp_port "$ORTH_PORT" "$ORTH_KDC_PID" &&
		wait_kdc_serving "$ORTH_DIR/kdc.log" "$ORTH_KDC_PID" && return 0
	echo "orthkdc: KDC did not start" >&2
	cat "$ORTH_DIR/kdc.log" >&2
	return 1
}

# orthkdc_fail MESSAGE: a check failure when check.sh is loaded (the
# benchmarks use this library without it), else a line on stderr.
orthkdc_fail() {
	if declare -F fail >/dev/null; then fail "$1"; else echo "orthkdc: $1" >&2; fi
}

# True while PID exists and is not a zombie (kill -0 succeeds on zombies).
orthkdc_alive() {
	local st
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}

# Stops the daemon, then checks its exit status and its log; returns 1
# when either is wrong.
orthkdc_stop() {
	local pid=${ORTH_KDC_PID:-} st=0 bad=0 running=1 i
	if [ -n "$pid" ]; then
		ORTH_KDC_PID=
		orthkdc_alive "$pid" || running=0
		kill "$pid" 2>/dev/null
		for ((i = 0; i < ${ORTHKDC_STOP_SECS:-30} * 10; i++)); do
			orthkdc_alive "$pid" || break
			sleep 0.1
		done
		if orthkdc_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null
			orthkdc_fail "KDC (pid $pid) did not exit within ${ORTHKDC_STOP_SECS:-30} s of SIGTERM"
			bad=1
		fi
		wait "$pid" 2>/dev/null
		st=$?
		if [ "$bad" -eq 0 ] && [ "$running" -eq 0 ]; then
			orthkdc_fail "KDC (pid $pid) had died before it was stopped (exit status $st)"
			bad=1
		elif [ "$bad" -eq 0 ] && [ "$st" -gt 128 ]; then
			orthkdc_fail "KDC (pid $pid) was killed by signal $((st - 128)) after SIGTERM"
			bad=1
		elif [ "$bad" -eq 0 ] && [ "$st" -ne 0 ]; then
			orthkdc_fail "KDC (pid $pid) exited with status $st on SIGTERM"
			bad=1
		fi
		if [ -f "$ORTH_DIR/kdc.log" ] &&
			grep -qE "(Address|Leak|UndefinedBehavior|Memory|Thread)Sanitizer|runtime error: " "$ORTH_DIR/kdc.log"; then
			orthkdc_fail "sanitizer report in the KDC log"
			bad=1
		fi
		if [ "$bad" -ne 0 ] && [ -f "$ORTH_DIR/kdc.log" ]; then
			echo "--- $ORTH_DIR/kdc.log without its request lines (last 60):" >&2
			grep -vE ' (udp|tcp) [A-Z-]+-REQ ' "$ORTH_DIR/kdc.log" | tail -60 | sed 's/^/    /' >&2
		elif declare -F pass >/dev/null; then
			pass "KDC exited 0 on SIGTERM, no sanitizer report in its log"
		fi
	fi
	if [ -n "${ORTH_DIR:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$ORTH_DIR"
	fi
	# In an EXIT trap after check_done the count is printed already.
	[ "$bad" -eq 0 ] || { declare -F check_late_exit >/dev/null && check_late_exit; }
	return "$bad"
}
