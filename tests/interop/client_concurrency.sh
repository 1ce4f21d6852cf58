#!/bin/bash
# Credential caches and keytabs shared by several processes at once, ours
# and MIT's, against an Orthrus KDC (issue 14, defects 1, 3, 4 and 10):
#   1. parallel `orthrus kvno` and MIT `kvno` on one cache: every ticket
#      lands; `orthrus kinit bob` racing kvno's always switches the cache;
#      root's kvno/kinit on a user's cache keep its owner and mode; EACCES
#      is reported as a permission error.
#   3. keytab and dump writes leave attacker-planted temporary names alone.
#   4. parallel `orthrus admin ktadd` and MIT ktutil on one keytab keep
#      every entry; mode, group and a symlink survive an update.
#  10. Ctrl-C (or SIGTERM) at kinit's password prompt restores echo;
#  11. at ktutil add's too (the same prompt, src/cli/ktools.c).
# Runs as root (the owner checks need a second user: nobody).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

[ -x "${ORTHRUS:-}" ] || { echo "ORTHRUS not set" >&2; exit 1; }
for p in kinit klist kvno ktutil setpriv; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "FAIL: client_concurrency needs root (owner checks)" >&2; exit 1; }

REALM=CONC.TEST
N=12           # our writers at once
M=4            # MIT writers beside them
ROUNDS=${ROUNDS:-3}
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
orthkdc_start $REALM || exit 1
D=$ORTH_DIR
chmod 755 "$D"
for u in alice bob; do
	echo "$u-Pa55" | orth_admin add $u --password-stdin >/dev/null || exit 1
done
for i in $(seq 1 $N); do orth_admin add host/s$i.conc.test --random-key >/dev/null || exit 1; done
for i in $(seq 1 $M); do orth_admin add host/m$i.conc.test --random-key >/dev/null || exit 1; done

O() { "$ORTHRUS" "$@"; }
okinit() { local cc=$1 who=$2; echo "$who-Pa55" | O kinit -c "$cc" "$who"; }
# as_nobody CMD...: run CMD as user nobody (no supplementary groups)
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# services in the cache, from MIT's klist (sorted, one a line)
mit_services() { klist -c "$1" 2>/dev/null | awk '/@/ && $NF ~ /^host\// {print $NF}' | sort -u; }
orth_services() { O klist -c "$1" 2>/dev/null | awk '/@/ && $NF ~ /^host\// {print $NF}' | sort -u; }

# ---- 1a. ccache_parallel_kvno: N of ours and M of MIT's at once.
for r in $(seq 1 "$ROUNDS"); do
	cc=FILE:$D/par$r.cc
	okinit "$cc" alice >/dev/null 2>&1 || { fail "round $r: kinit alice"; continue; }
	pids=()
	for i in $(seq 1 $N); do O kvno -c "$cc" host/s$i.conc.test >"$D/kvno$i.out" 2>&1 & pids+=($!); done
	for i in $(seq 1 $M); do kvno -c "$cc" host/m$i.conc.test >"$D/mkvno$i.out" 2>&1 & pids+=($!); done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	[ "$bad" -eq 0 ] && pass "round $r: $N orthrus kvno + $M MIT kvno exited 0" ||
		{ fail "round $r: $bad kvno failed"; cat "$D"/kvno*.out "$D"/mkvno*.out >&2; }
	got=$(mit_services "$cc" | wc -l)
	[ "$got" -eq $((N + M)) ] && pass "round $r: MIT klist lists all $((N + M)) tickets" ||
		fail "round $r: MIT klist lists $got of $((N + M)) tickets"
	got=$(orth_services "$cc" | wc -l)
	[ "$got" -eq $((N + M)) ] && pass "round $r: orthrus klist lists all $((N + M)) tickets" ||
		fail "round $r: orthrus klist lists $got of $((N + M)) tickets"
	# A second pass finds every ticket cached (no lookup may miss it).
	expect_ok "round $r: kvno again uses the cached tickets" O kvno -c "$cc" $(for i in $(seq 1 $N); do echo host/s$i.conc.test; done)
done

# ---- 1b. kinit_switch_race: kinit bob while kvno's (ours and MIT's) write.
switched=0 runs=15
kvno_loop() {  # kvno_loop PROG CACHE FIRST: store six tickets
	local prog=$1 cc=$2 k
	for k in 0 1 2 3 4 5; do $prog -c "$cc" host/s$(((${3} + k) % N + 1)).conc.test >/dev/null 2>&1; done
}
for r in $(seq 1 $runs); do
	cc=FILE:$D/sw$r.cc
	okinit "$cc" alice >/dev/null 2>&1 || { fail "switch run $r: kinit alice"; continue; }
	pids=()
	for w in 1 3 5 7; do kvno_loop "$ORTHRUS kvno" "$cc" $w & pids+=($!); done
	kvno_loop kvno "$cc" 9 & pids+=($!)
	sleep 0.$((RANDOM % 3))
	okinit "$cc" bob >"$D/swk.out" 2>&1 || { fail "switch run $r: kinit bob failed"; cat "$D/swk.out" >&2; }
	for p in "${pids[@]}"; do wait "$p"; done
	if klist -c "$cc" 2>/dev/null | grep -q "^Default principal: bob@$REALM"; then
		switched=$((switched + 1))
	fi
done
[ "$switched" -eq "$runs" ] && pass "kinit bob racing kvno's switched the cache in $runs/$runs runs" ||
	fail "kinit bob racing kvno's left another principal in $((runs - switched)) of $runs runs"

# ---- 1c. ccache_keeps_owner: root's kvno and kinit on nobody's cache.
mkdir -m 1777 "$D/pub"
ucc=$D/pub/user.cc
expect_ok "nobody: kinit alice into its own cache" as_nobody env KRB5CCNAME=FILE:$ucc sh -c "echo alice-Pa55 | '$ORTHRUS' kinit alice"
before=$(stat -c '%U:%G %a' "$ucc")
[ "$before" = "nobody:nogroup 600" ] && pass "nobody's cache is nobody:nogroup 600" || fail "nobody's cache is $before"
expect_ok "root: kvno into nobody's cache" O kvno -c "FILE:$ucc" host/s1.conc.test
after=$(stat -c '%U:%G %a' "$ucc")
[ "$after" = "$before" ] && pass "root's kvno keeps the cache's owner and mode ($after)" ||
	fail "root's kvno changed the cache from $before to $after"
expect_ok "root: kinit bob over nobody's cache" okinit "FILE:$ucc" bob
after=$(stat -c '%U:%G %a' "$ucc")
[ "$after" = "$before" ] && pass "root's kinit keeps the cache's owner and mode ($after)" ||
	fail "root's kinit changed the cache from $before to $after"
expect_ok "nobody still reads its cache (MIT klist)" as_nobody klist -c "FILE:$ucc"
chmod 640 "$ucc"
expect_ok "root: kvno into a 0640 cache" O kvno -c "FILE:$ucc" host/s2.conc.test
[ "$(stat -c %a "$ucc")" = 640 ] && pass "a 0640 cache stays 0640" || fail "a 0640 cache became $(stat -c %a "$ucc")"

# ---- 1d. ccache_eacces: a cache nobody may not write or read.
rcc=$D/pub/root.cc
okinit "FILE:$rcc" alice >/dev/null 2>&1 || fail "kinit alice into root's cache"
chmod 644 "$rcc"
expect_fail "nobody's kvno on root's read-only cache: a permission error" "ermission" \
	as_nobody "$ORTHRUS" kvno -c "FILE:$rcc" host/s3.conc.test
if grep -q "input/output" "$CHECK_OUT"; then fail "EACCES shown as an input/output error"; else pass "EACCES not shown as an input/output error"; fi
chmod 600 "$rcc"
expect_fail "nobody's klist of root's 0600 cache: a permission error" "ermission" \
	as_nobody "$ORTHRUS" klist -c "FILE:$rcc"
mkdir -m 755 "$D/rootonly"
expect_fail "nobody's kinit into a root-only directory: a permission error" "ermission" \
	as_nobody env KRB5CCNAME=FILE:$D/rootonly/cc sh -c "echo alice-Pa55 | '$ORTHRUS' kinit alice"

# ---- 3. predictable temporary names: plant files for the next pids.
# plant DIR BASE KIND: as nobody, a KIND file (world-writable, empty) or
# link (to $D/victim) at BASE.tmp.<pid> for each of the next 400 pids.
plant() {
	as_nobody /usr/bin/python3 - "$1" "$2" "$3" "$D/victim" <<'PY'
import os, sys
d, base, kind, victim = sys.argv[1:]
last = int(open("/proc/sys/kernel/ns_last_pid").read())
os.umask(0)
for p in range(last + 1, last + 401):
    n = "%s/%s.tmp.%d" % (d, base, p)
    try:
        if kind == "file":
            os.close(os.open(n, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        else:
            os.symlink(victim, n)
    except OSError:
        pass
PY
}
planted_clean() {  # all planted names still empty files or links to victim
	local f
	for f in "$1"/"$2".tmp.*; do
		[ -e "$f" ] || [ -L "$f" ] || continue
		if [ -L "$f" ]; then [ "$(readlink "$f")" = "$D/victim" ] || return 1
		elif [ -s "$f" ]; then return 1; fi
	done
	return 0
}
echo precious >"$D/victim"
plant "$D/pub" kt file
expect_ok "ktadd into a world-writable directory" orth_admin ktadd --keytab "$D/pub/kt" host/s1.conc.test
planted_clean "$D/pub" kt && pass "ktadd wrote no key into a planted temporary file" ||
	fail "ktadd wrote keys into a file another user planted"
[ "$(stat -c %U "$D/pub/kt" 2>/dev/null)" = root ] && pass "the keytab is root's" || fail "the keytab is $(stat -c %U "$D/pub/kt" 2>/dev/null)'s"
rm -f "$D"/pub/kt*
plant "$D/pub" dump link
expect_ok "dump into a world-writable directory" orth_admin dump "$D/pub/dump"
[ "$(cat "$D/victim")" = precious ] && pass "dump did not write through a planted symlink" ||
	fail "dump overwrote $D/victim through a planted symlink"
[ -f "$D/pub/dump" ] && [ ! -L "$D/pub/dump" ] && [ "$(stat -c '%U %a' "$D/pub/dump")" = "root 600" ] &&
	pass "the dump is a regular root file, mode 600" || fail "the dump is $(stat -c '%F %U %a' "$D/pub/dump" 2>&1)"
planted_clean "$D/pub" dump && pass "planted names left alone" || fail "a planted name was changed"
rm -f "$D"/pub/dump*

# ---- 4a. keytab_parallel_ktadd: N admin ktadd and M MIT ktutil at once.
# The keytab exists before the writers start, made by us in odd rounds and
# by MIT's ktutil in even ones: two of MIT's ktutil creating one keytab at
# once race each other (the second can find the file still empty and say
# "Unsupported key table format version number"), whoever else writes.
orth_admin add host/seed.conc.test --random-key >/dev/null || exit 1
for r in $(seq 1 "$ROUNDS"); do
	kt=$D/par$r.keytab
	if [ $((r % 2)) = 1 ]; then
		orth_admin ktadd --keytab "$kt" host/seed.conc.test >/dev/null
	else
		printf 'addent -password -p host/seed.conc.test@%s -k 1 -e aes256-cts-hmac-sha1-96\nseed\nwkt %s\nquit\n' \
			"$REALM" "$kt" | ktutil >/dev/null 2>&1
	fi
	seed=$(klist -k "$kt" 2>/dev/null | grep -c 'host/seed')
	[ "$seed" -gt 0 ] || fail "round $r: no seed entry"
	pids=()
	for i in $(seq 1 $N); do orth_admin ktadd --keytab "$kt" host/s$i.conc.test >"$D/kt$i.out" 2>&1 & pids+=($!); done
	for i in $(seq 1 $M); do
		printf 'addent -password -p mit%s@%s -k 1 -e aes256-cts-hmac-sha1-96\nmit-pw\nwkt %s\nquit\n' \
			"$i" "$REALM" "$kt" | ktutil >"$D/ktu$i.out" 2>&1 & pids+=($!)
	done
	bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	[ "$bad" -eq 0 ] && pass "round $r: $N admin ktadd + $M MIT ktutil exited 0" ||
		{ fail "round $r: $bad keytab writers failed"; cat "$D"/kt*.out "$D"/ktu*.out >&2; }
	klist -k "$kt" >"$D/ktl.out" 2>&1 || fail "round $r: MIT klist -k reads the keytab"
	if grep -qi "error\|while\|unsupported" "$D"/ktu*.out; then
		fail "round $r: an MIT ktutil failed"; cat "$D"/ktu*.out >&2
	fi
	got=$(awk '$2 ~ /@/ && $2 !~ /seed/ {print $2}' "$D/ktl.out" | sort -u | wc -l)
	[ "$got" -eq $((N + M)) ] && pass "round $r: MIT klist -k lists all $((N + M)) principals" ||
		{ fail "round $r: MIT klist -k lists $got of $((N + M)) principals"; cat "$D/ktl.out" >&2; }
	got=$(awk '$2 ~ /@/ && $2 !~ /seed/ {print $2}' "$D/ktl.out" | wc -l)
	[ "$got" -eq $((N * 4 + M)) ] && pass "round $r: every key is there ($got)" ||
		fail "round $r: $got keys, expected $((N * 4 + M))"
	O klist -k "$kt" >"$D/ktl2.out" 2>&1 || fail "round $r: orthrus klist -k reads the keytab"
	got=$(awk '$2 ~ /@/ && $2 !~ /seed/ {print $2}' "$D/ktl2.out" | sort -u | wc -l)
	[ "$got" -eq $((N + M)) ] && pass "round $r: orthrus klist -k lists all $((N + M)) principals" ||
		fail "round $r: orthrus klist -k lists $got of $((N + M)) principals"
done

# ---- 4b. keytab_keeps_mode_group_symlink
kt=$D/mode.keytab
expect_ok "ktadd a first principal" orth_admin ktadd --keytab "$kt" host/s1.conc.test
chown root:daemon "$kt" && chmod 640 "$kt"
expect_ok "ktadd into a 0640 root:daemon keytab" orth_admin ktadd --keytab "$kt" host/s2.conc.test
m=$(stat -c '%U:%G %a' "$kt")
[ "$m" = "root:daemon 640" ] && pass "the keytab stays root:daemon 0640" || fail "the keytab became $m"
expect_ok "ktremove from it" orth_admin ktremove --keytab "$kt" host/s1.conc.test
m=$(stat -c '%U:%G %a' "$kt")
[ "$m" = "root:daemon 640" ] && pass "ktremove keeps root:daemon 0640" || fail "ktremove made it $m"
mkdir "$D/real"
ln -s "$D/real/target.keytab" "$D/link.keytab"
expect_fail "ktadd creates no keytab through a dangling symlink (as MIT)" "not found" \
	orth_admin ktadd --keytab "$D/link.keytab" host/s1.conc.test
[ -L "$D/link.keytab" ] && [ ! -e "$D/real/target.keytab" ] && pass "the dangling symlink is left alone" ||
	fail "the dangling symlink was replaced or followed"
expect_ok "ktadd to the target" orth_admin ktadd --keytab "$D/real/target.keytab" host/s1.conc.test
expect_ok "ktadd through a symlink" orth_admin ktadd --keytab "$D/link.keytab" host/s2.conc.test
[ -L "$D/link.keytab" ] && pass "the symlink is still a symlink" || fail "the symlink was replaced by a regular file"
n=$(klist -k "$D/real/target.keytab" 2>/dev/null | grep -c 'host/s[12].conc')
[ "$n" -eq 8 ] && pass "the target holds both principals' keys" || fail "the target holds $n keys, expected 8"
expect_ok "ktremove through the symlink" orth_admin ktremove --keytab "$D/link.keytab" host/s1.conc.test
[ -L "$D/link.keytab" ] && pass "ktremove keeps the symlink" || fail "ktremove replaced the symlink"

# ---- 10. kinit_sigint_restores_echo
for how in sigint sigterm; do
	out=$(/usr/bin/python3 "$here/lib/ptysignal.py" "$how" "$ORTHRUS" kinit -c "FILE:$D/sig.cc" alice 2>&1)
	case $out in
	*"echo restored"*) pass "$how at kinit's password prompt restores echo" ;;
	*) fail "$how at kinit's password prompt: $out" ;;
	esac
done
# ---- 11. ktutil_sigint_restores_echo (the same prompt as kinit's, ktools.c)
for how in sigint sigterm; do
	out=$(/usr/bin/python3 "$here/lib/ptysignal.py" "$how" "$ORTHRUS" ktutil add \
		-p "alice@$REALM" -k 1 -e aes256-cts-hmac-sha1-96 "$D/sig.kt" 2>&1)
	case $out in
	*"echo restored"*) pass "$how at ktutil add's password prompt restores echo" ;;
	*) fail "$how at ktutil add's password prompt: $out" ;;
	esac
done

check_done
