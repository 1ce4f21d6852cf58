# common.sh - helpers shared by the interop test libraries (sourced by bash).

# A port free on 127.0.0.1 for both TCP and UDP at the time of the call.
free_port() {
	/usr/bin/python3 - <<'PY'
import socket
for _ in range(200):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        u.close()
        continue
    u.close()
    t.close()
    print(port)
    break
else:
    raise SystemExit("no free port")
PY
}

# wait_kdc_serving LOG PID: wait (up to ~10 s) until the KDC of process
# PID, logging to LOG, says it is serving.  The line comes after it has
# given up root or its capabilities; its port accepts connections as soon
# as it listens, before that.
wait_kdc_serving() {
	local log=$1 pid=$2 i
	for i in $(seq 1 100); do
		grep -q "serving realm" "$log" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# wait_tcp_port PORT PID: wait (up to ~10 s) until 127.0.0.1:PORT accepts
# TCP connections; fails early when process PID has died.
wait_tcp_port() {
	local port=$1 pid=$2 i
	for i in $(seq 1 100); do
		if /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# within SECS CMD...: CMD succeeds within SECS seconds (tried every 0.1 s;
# the last try's output is shown)
within() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}
