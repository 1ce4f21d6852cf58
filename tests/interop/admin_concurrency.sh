#!/bin/bash
# A reader loops over `get` while a writer runs add/set-password/randkey:
# the reader never sees an error or a torn record.  Then writers are
# killed with SIGKILL mid-write, in a loop, and the database still opens
# and verifies.  OPS (default 1000) writer operations.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/admin_lib.sh"
# Under ASan a process start costs ~8x more: 300 operations keep the test
# under a minute there; the release build runs the full 1000.
if [ -z "${OPS:-}" ]; then
	if ldd "$ORTHRUS" 2>/dev/null | grep -q libasan; then OPS=300; else OPS=1000; fi
fi
T=$(mktemp -d /tmp/admin_conc.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T" "$CHECK_OUT"
}
trap cleanup EXIT
admin_realm "$T"
adm init >/dev/null || exit 1
echo pw | adm add alice --password-stdin >/dev/null || exit 1
adm add host/svc.test.realm --random-key >/dev/null || exit 1

# The reader: get with keys (every key decrypts) and JSON that parses.
reader() {
	local n=0 bad=0
	while [ ! -e "$T/stop" ]; do
		for p in alice host/svc.test.realm; do
			if ! out=$("$ORTHRUS" admin get "$p" --json --keys 2>&1); then
				echo "reader error: $out" >>"$T/reader.err"; bad=$((bad + 1))
			elif ! printf '%s' "$out" | /usr/bin/python3 -c '
import json,sys
d=json.load(sys.stdin)
kv={k["kvno"] for k in d["keys"]}
assert d["keys"] and all(len(k["key"]) in (32,64) for k in d["keys"])
# every key set is complete: same enctypes in each
ets={}
for k in d["keys"]: ets.setdefault(k["kvno"],set()).add(k["enctype"])
assert len({frozenset(v) for v in ets.values()})==1, ets
' 2>>"$T/reader.err"; then
				echo "torn record: $out" >>"$T/reader.err"; bad=$((bad + 1))
			fi
			n=$((n + 1))
		done
	done
	echo "$n $bad" >"$T/reader.count"
}
reader &
pids+=($!)
start=$SECONDS
werr=0
for i in $(seq 1 "$OPS"); do
	case $((i % 3)) in
	0) adm add "u$i" --random-key ;;
	1) echo "pw$i" | adm set-password alice --password-stdin ;;
	2) adm randkey host/svc.test.realm ;;
	esac >/dev/null 2>>"$T/writer.err" || werr=$((werr + 1))
done
touch "$T/stop"
wait "${pids[0]}"
pids=()
read -r nreads rbad <"$T/reader.count"
echo "writer: $OPS ops in $((SECONDS - start)) s; reader: $nreads gets"
[ "$werr" -eq 0 ] && pass "$OPS writer operations succeeded" || { fail "$werr writer errors"; head "$T/writer.err" >&2; }
[ "$nreads" -gt 10 ] && pass "reader ran ($nreads gets)" || fail "reader made only $nreads gets"
[ "$rbad" -eq 0 ] && pass "reader saw no error and no torn record" || { fail "reader: $rbad bad reads"; head -5 "$T/reader.err" >&2; }
n=$(adm list 'u*' | wc -l)
[ "$n" -eq $((OPS / 3)) ] && pass "all $n added principals present" || fail "expected $((OPS / 3)) principals, got $n"
expect_ok "verify after the race" adm verify

# kill -9 of writers mid-operation, in a loop.  Each writer runs admin
# commands until killed; each round SIGKILLs the `orthrus admin` process it
# runs at that moment (pkill -P: by its parent, the writer subshell), and
# the writer records that its command died of SIGKILL (status 137).  A
# round that kills nothing is a failure, not a pass.
killed=0
for i in $(seq 1 40); do
	rm -f "$T/killed"
	(
		j=0
		while :; do
			j=$((j + 1))
			adm randkey alice
			[ $? -eq 137 ] && { echo randkey >"$T/killed"; exit 0; }
			adm add "k$i.$j" --random-key
			[ $? -eq 137 ] && { echo add >"$T/killed"; exit 0; }
		done
	) >/dev/null 2>&1 &
	w=$!
	sleep 0.$((RANDOM % 3 + 1))
	# Between two commands the writer has no child: kill again until it
	# reports a killed command (bounded: ~5 s), then it has exited.
	for t in $(seq 1 500); do
		[ -s "$T/killed" ] && break
		pkill -KILL -P "$w" 2>/dev/null
		sleep 0.01
	done
	[ -s "$T/killed" ] || kill -KILL "$w" 2>/dev/null
	wait "$w" 2>/dev/null
	[ -s "$T/killed" ] && killed=$((killed + 1))
done
[ "$killed" -eq 40 ] && pass "killed 40 writers with SIGKILL mid-command" ||
	fail "only $killed of 40 rounds killed a writer's command"
expect_ok "database verifies after the kills" adm verify
expect_ok "and takes writes again" adm randkey alice
expect_ok "and reads" adm get alice
check_done
