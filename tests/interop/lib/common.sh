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
