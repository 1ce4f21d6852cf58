#!/bin/bash
# install_tree.sh - `make install` installs a complete product, checked in
# a staged tree (`meson install --destdir` of the build the test runs in):
#   - the `orthrus` command, hardened (PIE, full RELRO, stack protector,
#     _FORTIFY_SOURCE in optimised builds, no executable stack);
#   - liborthrus.so with its soname, exporting exactly the functions of
#     include/orthrus/*.h (version node ORTHRUS_0), the headers (each one
#     compiles alone, in C and C++), orthrus.pc that pkg-config resolves;
#   - the manual: a page per subcommand of `orthrus --help`, every page
#     rendered by `man -l` without a warning, every kdc.conf/krb5.conf
#     relation the code reads listed in orthrus.conf(5);
#   - the example kdc.conf (loopback only, loads without a warning, kept
#     when installing again) and orthrus-kdc.service, which
#     `systemd-analyze verify` accepts without a message and whose
#     `systemd-analyze security` exposure is low and below Debian's
#     krb5-kdc.service;
#   - an application compiled against the staged tree with nothing but
#     `pkg-config --cflags --libs orthrus` gets a service ticket from a live
#     KDC (the installed command) - and every system call that KDC makes
#     is one the unit's SystemCallFilter allows, every socket of a family
#     its RestrictAddressFamilies allows (strace; not in sanitizer builds,
#     where the sanitizer runtime makes calls of its own).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

[ -n "${BUILDDIR:-}" ] && [ -n "${SRCDIR:-}" ] || { echo "FAIL: BUILDDIR and SRCDIR must be set (meson test sets them)" >&2; exit 1; }
for p in meson pkg-config man systemd-analyze readelf nm cc c++ strace kinit klist kvno kpasswd; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done

REALM=INSTALL.TEST
STAGE=$(mktemp -d /tmp/install-tree.XXXXXX)
KDC_PID=
KDC_TRACER=
ORTH_DIR=

# The KDC of part 6 (started under strace or not), stopped like
# lib/orthkdc.sh stops its own: SIGTERM, then it must exit 0.
kdc_stop() {
	local pid=$KDC_PID st i
	[ -n "$pid" ] || return 0
	KDC_PID=
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		fail "KDC (pid $pid) did not exit within 30 s of SIGTERM"
	fi
	if [ -n "$KDC_TRACER" ]; then
		wait "$KDC_TRACER"
		st=$?
		KDC_TRACER=
	else
		wait "$pid"
		st=$?
	fi
	if [ "$st" -eq 0 ]; then
		pass "KDC exited 0 on SIGTERM"
	else
		fail "KDC exited with status $st on SIGTERM"
		sed 's/^/    /' "$ORTH_DIR/kdc.log" >&2
	fi
	if grep -qE "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error: " "$ORTH_DIR/kdc.log"; then
		fail "sanitizer report in the KDC log"
		sed 's/^/    /' "$ORTH_DIR/kdc.log" >&2
	fi
}
cleanup() {
	kdc_stop
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$STAGE" ${ORTH_DIR:+"$ORTH_DIR"}
	rm -f "$CHECK_OUT"
	check_late_exit
}
trap cleanup EXIT
check_at_done kdc_stop

# Where the build installs what (its options, made absolute), and how it
# was built.
eval "$(meson introspect --buildoptions "$BUILDDIR" | /usr/bin/python3 -c '
import json, os, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
pre = o["prefix"]
def d(k):
    return os.path.join(pre, o[k])
unit = o.get("systemdunitdir") or os.path.join(pre, "lib/systemd/system")
for k, v in [("PREFIX", pre), ("BINDIR", d("bindir")), ("LIBDIR", d("libdir")),
             ("INCLUDEDIR", d("includedir")), ("MANDIR", d("mandir")),
             ("SYSCONFDIR", d("sysconfdir")), ("UNITDIR", unit),
             ("OPTIMIZATION", o["optimization"]), ("SANITIZE", o["b_sanitize"])]:
    print("%s=%s" % (k, v))
')"
VERSION=$(meson introspect --projectinfo "$BUILDDIR" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
[ -n "$VERSION" ] && [ -n "${LIBDIR:-}" ] || { echo "FAIL: cannot read the build's options" >&2; exit 1; }

# ---- 1. meson install into the staged tree ----
if meson install -C "$BUILDDIR" --no-rebuild --destdir "$STAGE" >"$STAGE.log" 2>&1; then
	pass "meson install --destdir"
else
	fail "meson install --destdir"
	sed 's/^/    /' "$STAGE.log" >&2
	rm -f "$STAGE.log"
	check_done
	exit 1
fi
rm -f "$STAGE.log"
S=$STAGE

# ---- 2. the command, hardened ----
BIN=$S$BINDIR/orthrus
expect_ok "orthrus installed in $BINDIR and runs" "$BIN" --version
expect_grep "orthrus --version" "orthrus $VERSION" "$CHECK_OUT"
# hardened FILE exe|lib: PIE (executables), BIND_NOW + GNU_RELRO (full
# RELRO), no executable stack, no text relocations, the stack protector,
# and in optimised builds without sanitizers the checked (_chk) libc calls
# of _FORTIFY_SOURCE.
hardened() {
	local f=$1 what=$2 bad=0
	readelf -dW "$f" >"$S/dyn.txt" 2>&1
	readelf -lW "$f" >"$S/seg.txt" 2>&1
	if [ "$what" = exe ] && ! grep -qE 'FLAGS_1.*\bPIE\b' "$S/dyn.txt"; then
		echo "    $f: not PIE" >&2; bad=1
	fi
	grep -qE '\(FLAGS\).*BIND_NOW|FLAGS_1.*\bNOW\b' "$S/dyn.txt" || { echo "    $f: no BIND_NOW" >&2; bad=1; }
	grep -q 'GNU_RELRO' "$S/seg.txt" || { echo "    $f: no GNU_RELRO" >&2; bad=1; }
	grep -E 'GNU_STACK' "$S/seg.txt" | grep -q 'RWE' && { echo "    $f: executable stack" >&2; bad=1; }
	grep -q 'TEXTREL' "$S/dyn.txt" && { echo "    $f: text relocations" >&2; bad=1; }
	nm -D "$f" | grep -q ' U __stack_chk_fail' || { echo "    $f: no stack protector" >&2; bad=1; }
	if [ "$SANITIZE" = none ] && [ "$OPTIMIZATION" != 0 ] && [ "$OPTIMIZATION" != g ] &&
		! nm -D "$f" | grep -qE ' U __[a-z_]+_chk(@|$)'; then
		echo "    $f: no _FORTIFY_SOURCE checked calls" >&2; bad=1
	fi
	[ "$bad" -eq 0 ]
}
if hardened "$BIN" exe; then pass "orthrus is hardened (PIE, full RELRO, stack protector, fortify)"; else fail "orthrus is not hardened"; fi

# ---- 3. the library, the headers, pkg-config ----
LIB=$S$LIBDIR/liborthrus.so.$VERSION
if [ -f "$LIB" ] && [ "$(readlink "$S$LIBDIR/liborthrus.so.0")" = "liborthrus.so.$VERSION" ] &&
	[ "$(readlink "$S$LIBDIR/liborthrus.so")" = "liborthrus.so.0" ]; then
	pass "liborthrus.so.$VERSION with its links liborthrus.so.0 and liborthrus.so"
else
	fail "liborthrus.so.$VERSION and its links in $LIBDIR"
	ls -l "$S$LIBDIR" >&2
fi
readelf -dW "$LIB" >"$S/libdyn.txt" 2>&1
expect_grep "soname liborthrus.so.0" 'Library soname: \[liborthrus.so.0\]' "$S/libdyn.txt"
if hardened "$LIB" lib; then pass "liborthrus is hardened (full RELRO, stack protector, fortify)"; else fail "liborthrus is not hardened"; fi
# The exports are exactly the functions the public headers declare.
for h in "$SRCDIR"/include/orthrus/*.h; do
	n=$(basename "$h")
	if cmp -s "$h" "$S$INCLUDEDIR/orthrus/$n"; then
		pass "header orthrus/$n installed"
	else
		fail "header orthrus/$n not installed in $INCLUDEDIR/orthrus"
	fi
done
cat "$S$INCLUDEDIR"/orthrus/*.h | cc -E -P -I"$S$INCLUDEDIR" -x c - 2>/dev/null |
	grep -oE '\borthrus_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' | sort -u >"$S/api.txt"
nm -D --defined-only "$LIB" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' | sort -u >"$S/exports.txt"
nm -D --defined-only "$LIB" | awk '$2 != "T" && $2 != "A" { print }' >"$S/other.txt"
# The size of the API, counted by hand: a function added to (or lost from)
# a header without this number changing is a change nobody meant.
API_FUNCTIONS=96
if [ "$(wc -l <"$S/api.txt")" -eq "$API_FUNCTIONS" ]; then
	pass "the public headers declare the $API_FUNCTIONS functions expected"
else
	fail "the public headers declare $(wc -l <"$S/api.txt") functions, not $API_FUNCTIONS (update API_FUNCTIONS with the API)"
fi
if [ "$(wc -l <"$S/api.txt")" -ge 20 ] && cmp -s "$S/api.txt" "$S/exports.txt" && [ ! -s "$S/other.txt" ]; then
	pass "liborthrus exports exactly the $(wc -l <"$S/api.txt") functions of include/orthrus/*.h"
else
	fail "liborthrus exports differ from the public API (< only in the headers, > only exported)"
	diff "$S/api.txt" "$S/exports.txt" | sed 's/^/    /' >&2
	sed 's/^/    other: /' "$S/other.txt" >&2
fi
if nm -D --defined-only "$LIB" | grep -q ' T orthrus_context_new@@ORTHRUS_0$'; then
	pass "exports carry the version node ORTHRUS_0"
else
	fail "exports lack the version node ORTHRUS_0"
fi
for h in "$S$INCLUDEDIR"/orthrus/*.h; do
	n=$(basename "$h")
	expect_ok "orthrus/$n compiles alone (C17, -Wall -Wextra -pedantic -Werror)" \
		cc -std=c17 -Wall -Wextra -pedantic -Werror -fsyntax-only -I"$S$INCLUDEDIR" -x c "$h"
	expect_ok "orthrus/$n compiles as C++" \
		c++ -Wall -Wextra -Werror -fsyntax-only -I"$S$INCLUDEDIR" -x c++ "$h"
done

export PKG_CONFIG_PATH=$S$LIBDIR/pkgconfig PKG_CONFIG_SYSROOT_DIR=$S
unset PKG_CONFIG_LIBDIR
expect_ok "pkg-config --validate orthrus.pc" pkg-config --validate "$S$LIBDIR/pkgconfig/orthrus.pc"
if PCFLAGS=$(pkg-config --cflags --libs orthrus 2>"$CHECK_OUT"); then
	pass "pkg-config --cflags --libs orthrus: $PCFLAGS"
else
	fail "pkg-config --cflags --libs orthrus"; sed 's/^/    /' "$CHECK_OUT" >&2
fi
pc_has() { case " ${PCFLAGS:-} " in *" $1 "*) return 0 ;; esac; return 1; }
if pc_has "-I$S$INCLUDEDIR" && pc_has "-L$S$LIBDIR" && pc_has -lorthrus; then
	pass "orthrus.pc points into the staged tree"
else
	fail "orthrus.pc flags '${PCFLAGS:-}' do not name $S$INCLUDEDIR, $S$LIBDIR and -lorthrus"
fi
[ "$(pkg-config --modversion orthrus 2>/dev/null)" = "$VERSION" ] && pass "pkg-config --modversion $VERSION" ||
	fail "pkg-config --modversion is not $VERSION"

# The application: only the installed headers and library.  In a
# sanitizer build the library needs the sanitizer runtime first.
APP=$S/install_app
SANFLAGS=
[ "$SANITIZE" != none ] && SANFLAGS=-fsanitize=$SANITIZE
# shellcheck disable=SC2086
expect_ok "an application builds with pkg-config against the staged tree" \
	cc -std=c17 -Wall -Wextra -Werror $SANFLAGS -o "$APP" "$here/install_app.c" ${PCFLAGS:-}
readelf -dW "$APP" >"$S/appdyn.txt" 2>&1
expect_grep "the application needs liborthrus.so.0" 'Shared library: \[liborthrus.so.0\]' "$S/appdyn.txt"

# ---- 4. the manual ----
export MANPATH=$S$MANDIR:
man_render() {
	local page=$1 err
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >"$S/man.out")
	[ -z "$err" ] || { echo "$err"; return 1; }
	grep -q '^NAME' "$S/man.out" || { echo "no NAME section"; return 1; }
	return 0
}
npages=0
for page in "$S$MANDIR"/man*/*; do
	npages=$((npages + 1))
	expect_ok "man -l renders $(basename "$page") without a warning" man_render "$page"
done
[ "$npages" -ge 10 ] && pass "$npages man pages installed" || fail "only $npages man pages installed"
expect_ok "man finds orthrus(1) in the staged tree" man -w orthrus
# liborthrus(3) names every function of the API.
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$S$MANDIR/man3/liborthrus.3" 2>/dev/null >"$S/lib3.txt"
undocf=""
while read -r f; do
	grep -qE "(^|[^a-z_])$f([^a-z_0-9]|$)" "$S/lib3.txt" || undocf="$undocf $f"
done <"$S/api.txt"
if [ -s "$S/api.txt" ] && [ -z "$undocf" ]; then
	pass "liborthrus(3) names all $(wc -l <"$S/api.txt") functions of the API"
else
	fail "liborthrus(3) lacks:${undocf:- (no API read)}"
fi
# One page per subcommand that `orthrus --help` lists (but version).
cmds=$("$BIN" --help | awk '/^commands:/ { on = 1; next } on && !NF { exit } on { print $1 }')
[ -n "$cmds" ] || fail "orthrus --help lists no commands"
for c in $cmds; do
	[ "$c" = version ] && continue
	if ls "$S$MANDIR"/man[18]/"orthrus-$c".[18] >/dev/null 2>&1; then
		pass "man page for 'orthrus $c'"
	else
		fail "no man page orthrus-$c(1 or 8) for 'orthrus $c'"
	fi
done
# Every relation the code reads is documented in orthrus.conf(5): the
# names compared in kdc.conf's reader (wherever it lives: src/base or
# src/kdc) and those krb5.conf's reader asks for.
LC_ALL=C.UTF-8 MANWIDTH=200 man -l "$S$MANDIR/man5/orthrus.conf.5" 2>/dev/null >"$S/conf5.txt"
{
	grep -ohE 'strcmp\((n|sec|k)->name, "[a-z_0-9]+"\)' "$SRCDIR"/src/base/config.c "$SRCDIR"/src/kdc/*.c \
		"$SRCDIR"/src/db/ldap_config.c 2>/dev/null |
		sed -E 's/.*"([a-z_0-9]+)".*/\1/'
	grep -ohE '(client_conf_get2|config_get)\([^,]+, "[a-z_0-9]+", "[a-z_0-9]+"' "$SRCDIR"/src/client/*.c |
		sed -E 's/.*"([a-z_0-9]+)"$/\1/'
} | sort -u >"$S/relations.txt"
nrel=$(wc -l <"$S/relations.txt")
undoc=""
while read -r r; do
	grep -qE "(^|[^a-z_])$r([^a-z_]|$)" "$S/conf5.txt" || undoc="$undoc $r"
done <"$S/relations.txt"
if [ "$nrel" -lt 20 ]; then
	fail "found only $nrel relation names in the readers (the pattern no longer matches the code?)"
elif [ -z "$undoc" ]; then
	pass "orthrus.conf(5) documents all $nrel relations the code reads"
else
	fail "orthrus.conf(5) lacks:$undoc"
fi

# ---- 5. the example kdc.conf and the unit ----
CONF=$S$SYSCONFDIR/orthrus/kdc.conf
if [ -f "$CONF" ]; then pass "example kdc.conf in $SYSCONFDIR/orthrus"; else fail "no $SYSCONFDIR/orthrus/kdc.conf"; fi
addrs=$(sed -nE 's/^[[:space:]]*(kdc_listen|kdc_tcp_listen|kpasswd_listen)[[:space:]]*=(.*)/\2/p' "$CONF" | tr ', ' '\n\n' | sed '/^$/d')
nonloop=$(echo "$addrs" | grep -vE '^(127\.0\.0\.1|\[::1\])(:[0-9]+)?$' || true)
if [ -n "$addrs" ] && [ -z "$nonloop" ]; then
	pass "the example listens on loopback addresses only"
else
	fail "the example's listeners are not all loopback: '${nonloop:-none set}'"
fi
# It loads (with its state paths moved into a temp dir) without a warning.
EX=$S/example
mkdir -p "$EX"
sed "s|/var/lib/orthrus|$EX|g" "$CONF" >"$EX/kdc.conf"
if "$BIN" admin -c "$EX/kdc.conf" init >"$CHECK_OUT" 2>&1 && ! grep -qi 'warning' "$CHECK_OUT"; then
	pass "orthrus admin init with the example kdc.conf, without a warning"
else
	fail "orthrus admin init with the example kdc.conf"; sed 's/^/    /' "$CHECK_OUT" >&2
fi
# Installing again keeps an administrator's kdc.conf.
echo "# edited by the administrator" >>"$CONF"
meson install -C "$BUILDDIR" --no-rebuild --destdir "$STAGE" >/dev/null 2>&1
expect_grep "a second install keeps the existing kdc.conf" "edited by the administrator" "$CONF"

UNIT=$S$UNITDIR/orthrus-kdc.service
if [ -f "$UNIT" ]; then pass "orthrus-kdc.service in $UNITDIR"; else fail "no orthrus-kdc.service in $UNITDIR"; fi
for d in 'Type=notify' 'StateDirectory=orthrus' 'ProtectSystem=strict' 'PrivateTmp=yes' \
	'NoNewPrivileges=yes' 'CapabilityBoundingSet=CAP_NET_BIND_SERVICE' \
	'SystemCallFilter=@system-service' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX'; do
	if grep -qxF "$d" "$UNIT"; then pass "unit: $d"; else fail "unit lacks $d"; fi
done
exec_line=$(sed -n 's/^ExecStart=//p' "$UNIT")
if [ "$exec_line" = "$BINDIR/orthrus kdc -c $SYSCONFDIR/orthrus/kdc.conf --foreground" ]; then
	pass "ExecStart runs the installed command with the installed kdc.conf"
else
	fail "ExecStart is '$exec_line'"
fi
# systemd-analyze verify checks ExecStart's program on this machine: the
# unit is verified as installed, with only that path moved into the stage.
# It must say nothing at all (an unknown directive is only a message).
mkdir -p "$S/verify"
sed "s|^ExecStart=$BINDIR/orthrus|ExecStart=$S$BINDIR/orthrus|" "$UNIT" >"$S/verify/orthrus-kdc.service"
if systemd-analyze verify "$S/verify/orthrus-kdc.service" >"$CHECK_OUT" 2>&1 && [ ! -s "$CHECK_OUT" ]; then
	pass "systemd-analyze verify accepts orthrus-kdc.service (and finds its man pages)"
else
	fail "systemd-analyze verify orthrus-kdc.service"; sed 's/^/    /' "$CHECK_OUT" >&2
fi
exposure() {
	systemd-analyze security --offline=yes "$1" 2>/dev/null |
		sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p'
}
ours=$(exposure "$UNIT")
debian=$(exposure /lib/systemd/system/krb5-kdc.service)
echo "exposure (systemd-analyze security): orthrus-kdc.service ${ours:-?}, Debian's krb5-kdc.service ${debian:-?}"
if [ -n "$ours" ] && awk -v a="$ours" 'BEGIN { exit !(a <= 2.0) }'; then
	pass "orthrus-kdc.service exposure $ours (at most 2.0)"
else
	fail "orthrus-kdc.service exposure '${ours:-none}' above 2.0"
	systemd-analyze security --offline=yes "$UNIT" 2>&1 | grep -v '✓' | sed 's/^/    /' >&2
fi
if [ -n "$ours" ] && [ -n "$debian" ] && awk -v a="$ours" -v b="$debian" 'BEGIN { exit !(a < b) }'; then
	pass "stricter than Debian's krb5-kdc.service ($ours < $debian)"
else
	fail "not stricter than Debian's krb5-kdc.service ('$ours' vs '$debian'; krb5-kdc installed?)"
fi

# ---- 6. a live KDC (the installed command), run as the unit runs it ----
# An unprivileged user (nobody) with no capability but
# CAP_NET_BIND_SERVICE (ambient, also the whole bounding set), no new
# privileges, owning its state directory (what StateDirectory= does for
# DynamicUser=); its KDC port is a privileged one, so that the capability
# is what lets it bind.  In release builds every system call of every
# thread, from exec to exit, goes to $D/strace.log (strace runs under the
# same identity).
export ORTHRUS=$BIN
ORTH_DIR=$(mktemp -d /tmp/orthkdc.XXXXXX)
D=$ORTH_DIR
# A port below 1024 free for UDP and TCP on 127.0.0.1.
priv_port() {
	/usr/bin/python3 - <<'PY'
import random, socket
ports = list(range(600, 1024))
random.shuffle(ports)
for port in ports:
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
else:
    raise SystemExit("no free port below 1024")
PY
}
AS_UNIT=()
if [ "$(id -u)" -eq 0 ]; then
	ORTH_PORT=$(priv_port)
	AS_UNIT=(setpriv --reuid=65534 --regid=65534 --clear-groups
		--inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service
		--bounding-set=-all,+net_bind_service --no-new-privs --)
else
	echo "note: not root: the KDC runs as $(id -un), on an unprivileged port"
	ORTH_PORT=$(free_port)
fi
KPW_PORT=$(free_port)
while [ "$KPW_PORT" = "$ORTH_PORT" ]; do KPW_PORT=$(free_port); done
orthkdc_write_conf "$REALM" "$ORTH_PORT" "" "$KPW_PORT"
export ORTHRUS_CONFIG=$ORTH_DIR/kdc.conf KRB5_CONFIG=$ORTH_DIR/krb5.conf
export KRB5CCNAME=FILE:$ORTH_DIR/ccache
orth_admin init </dev/null >/dev/null || { fail "orthrus admin init"; check_done; exit 1; }
echo 'Install-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || fail "add alice"
orth_admin add host/app.install.test --random-key >/dev/null || fail "add host/app.install.test"
orth_admin ktadd --norandkey --keytab "$D/app.kt" host/app.install.test >/dev/null || fail "ktadd"
if [ ${#AS_UNIT[@]} -gt 0 ]; then
	chmod 0755 "$STAGE"
	chown -R 65534:65534 "$D"
fi

TRACE=0
if [ "$SANITIZE" = none ]; then
	TRACE=1
	"${AS_UNIT[@]}" strace -f -qq -o "$D/strace.log" "$BIN" kdc -c "$ORTHRUS_CONFIG" \
		--foreground 2>"$D/kdc.log" &
	KDC_TRACER=$!
	for ((i = 0; i < 100; i++)); do
		KDC_PID=$(awk '{ print $1 }' "/proc/$KDC_TRACER/task/$KDC_TRACER/children" 2>/dev/null)
		[ -n "$KDC_PID" ] && break
		sleep 0.1
	done
	[ -n "$KDC_PID" ] || KDC_PID=$KDC_TRACER
else
	echo "note: $SANITIZE build: the KDC runs without strace (the sanitizer runtime traces itself at exit)"
	"${AS_UNIT[@]}" "$BIN" kdc -c "$ORTHRUS_CONFIG" --foreground 2>"$D/kdc.log" &
	KDC_PID=$!
fi
if wait_tcp_port "$ORTH_PORT" "$KDC_PID" && wait_kdc_serving "$D/kdc.log" "$KDC_PID"; then
	pass "the installed orthrus serves a realm on port $ORTH_PORT"
else
	fail "the installed KDC did not start"; sed 's/^/    /' "$D/kdc.log" >&2
fi
if [ ${#AS_UNIT[@]} -gt 0 ]; then
	st=$(cat "/proc/$KDC_PID/status" 2>/dev/null)
	uid=$(echo "$st" | awk '/^Uid:/ { print $2 }')
	capeff=$(echo "$st" | awk '/^CapEff:/ { print $2 }')
	capbnd=$(echo "$st" | awk '/^CapBnd:/ { print $2 }')
	nnp=$(echo "$st" | awk '/^NoNewPrivs:/ { print $2 }')
	# CAP_NET_BIND_SERVICE is capability 10: 0x400.  The KDC gives it
	# up once its ports are bound (src/kdc/privs.c): it serves with none.
	if [ "$uid" = 65534 ] && [ "$capeff" = 0000000000000000 ] && [ "$capbnd" = 0000000000000400 ] && [ "$nnp" = 1 ]; then
		pass "the KDC serves as uid 65534 with no capability left, no new privileges"
	else
		fail "the KDC's identity: uid '$uid' CapEff '$capeff' CapBnd '$capbnd' NoNewPrivs '$nnp'"
	fi
fi

expect_ok "the application gets a service ticket (LD_LIBRARY_PATH: the staged library)" \
	env LD_LIBRARY_PATH="$S$LIBDIR" sh -c "echo Install-Pa55 | '$APP' alice host/app.install.test FILE:$D/app.cc"
expect_grep "the ticket is for the service" "^ticket alice@$REALM -> host/app.install.test@$REALM etype 18 kvno 1 " "$CHECK_OUT"
LD_LIBRARY_PATH="$S$LIBDIR" ldd "$APP" >"$S/ldd.txt" 2>&1
expect_grep "the application loads liborthrus.so.0 from the staged tree" "liborthrus.so.0 => $S$LIBDIR/liborthrus.so.0" "$S/ldd.txt"
expect_ok "MIT's klist reads the application's cache" klist -c "FILE:$D/app.cc"
expect_grep "the service ticket is in the cache" "host/app.install.test@$REALM" "$CHECK_OUT"
expect_ok "MIT's kvno -k: the application's ticket decrypts with the service key" \
	kvno -c "FILE:$D/app.cc" -k "$D/app.kt" host/app.install.test
expect_grep "keytab entry valid" "keytab entry valid" "$CHECK_OUT"
expect_fail "a wrong password is refused through the library" "Preauthentication failed\|1024\|1018" \
	env LD_LIBRARY_PATH="$S$LIBDIR" sh -c "echo wrong | '$APP' alice host/app.install.test FILE:$D/bad.cc"
# More of what the KDC does in service: TCP, kpasswd (MIT's kpasswd), and
# MIT's kinit/kvno, so that their system calls are traced too.
printf '[libdefaults]\n\tudp_preference_limit = 1\n' >"$D/tcp.conf"
expect_ok "MIT kinit over TCP" env KRB5_CONFIG="$D/tcp.conf:$KRB5_CONFIG" \
	sh -c "echo Install-Pa55 | kinit -c FILE:$D/tcp.cc alice >/dev/null"
expect_ok "MIT kvno over TCP" env KRB5_CONFIG="$D/tcp.conf:$KRB5_CONFIG" \
	kvno -c "FILE:$D/tcp.cc" host/app.install.test
expect_ok "MIT kpasswd changes alice's password" /usr/bin/python3 "$here/lib/ptydrive.py" "Password for alice@" Install-Pa55 \
	"Enter new password" Install-Pa66 "Enter it again" Install-Pa66 -- kpasswd alice
kill -HUP "$KDC_PID" 2>/dev/null
sleep 0.3
kdc_stop

if [ "$TRACE" -eq 1 ]; then
	# The unit's filter: its allow list less the ~ lists, expanded through
	# systemd-analyze's groups; its address families.
	systemd-analyze syscall-filter >"$S/groups.txt" 2>/dev/null
	/usr/bin/python3 - "$UNIT" "$S/groups.txt" "$D/strace.log" "$D" >"$CHECK_OUT" 2>&1 <<'PY'
import re, sys
unit, groups_file, log, state = sys.argv[1:5]
groups, cur = {}, None
for line in open(groups_file):
    if line.startswith("@"):
        cur = line.strip(); groups[cur] = []
    elif cur and line.strip() and not line.strip().startswith("#"):
        groups[cur].append(line.strip())
def expand(name, seen=None):
    seen = seen or set()
    if not name.startswith("@"):
        return {name}
    if name in seen or name not in groups:
        raise SystemExit("unknown group %s" % name)
    seen.add(name)
    out = set()
    for x in groups[name]:
        out |= expand(x, seen)
    return out
allowed, families = None, set()
for line in open(unit):
    line = line.strip()
    if line.startswith("SystemCallFilter="):
        v = line.split("=", 1)[1]
        deny = v.startswith("~")
        names = set()
        for w in v.lstrip("~").split():
            names |= expand(w)
        if deny:
            allowed -= names
        elif allowed is None:
            allowed = names
        else:
            allowed |= names
    elif line.startswith("RestrictAddressFamilies="):
        families |= set(line.split("=", 1)[1].split())
used, socks, writes, looked = set(), set(), set(), set()
PATH_CALLS = {"open", "openat", "openat2", "creat", "stat", "lstat",
              "newfstatat", "statx", "access", "faccessat", "faccessat2",
              "readlink", "readlinkat", "execve", "chdir", "opendir"}
# What the unit hides: ProcSubset=pid (only processes under /proc),
# ProtectHome=, PrivateDevices= (pseudo devices only).
HIDDEN = re.compile(r"^(/proc/(?!self(/|$)|thread-self(/|$)|[0-9]+(/|$))|/home(/|$)|/root(/|$)|"
                    r"/run/user(/|$)|/dev/(?!(null|zero|full|random|urandom|tty|ptmx|pts/.*|shm/.*|log|std(in|out|err)|fd/.*)$))")
WRITE_FLAGS = re.compile(r"O_(WRONLY|RDWR|CREAT|TRUNC|APPEND)")
for line in open(log):
    m = re.match(r"^\d+\s+([a-z_0-9]+)\((.*)", line)
    if m:
        call, args = m.groups()
        used.add(call)
        if call in ("socket", "socketpair"):
            socks.add(args.split(",")[0])
        # ProtectSystem=strict: what it writes must be in its state
        # directory (here the test's), whatever it succeeded to write.
        paths = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
        if call in ("open", "openat", "openat2", "creat") and paths and \
                (call == "creat" or WRITE_FLAGS.search(args)):
            writes.add(paths[0])
        elif call in ("mkdir", "mkdirat", "unlink", "unlinkat", "rename",
                      "renameat", "renameat2", "link", "linkat", "symlink",
                      "symlinkat", "truncate", "chmod", "fchmodat") and paths:
            writes.update(paths)
        if call in PATH_CALLS and paths:
            looked.update(p for p in paths if p.startswith("/"))
    m = re.match(r"^\d+\s+<\.\.\. ([a-z_0-9]+) resumed>", line)
    if m:
        used.add(m.group(1))
# strace's own start of the program is not the service's
used.discard("execve")
bad = sorted(used - allowed)
badfam = sorted(socks - families)
badw = sorted(w for w in writes
              if not (w + "/").startswith(state.rstrip("/") + "/") and w != "/dev/null")
print("%d distinct system calls traced, %d allowed by the unit; %d files written, %d paths looked up"
      % (len(used), len(allowed), len(writes), len(looked)))
if bad:
    print("outside SystemCallFilter: " + " ".join(bad))
if badfam:
    print("socket families outside RestrictAddressFamilies: " + " ".join(badfam))
if badw:
    print("written outside the state directory (ProtectSystem=strict): " + " ".join(badw))
badr = sorted(p for p in looked if HIDDEN.match(p))
if badr:
    print("looked up where the unit hides (ProcSubset, ProtectHome, PrivateDevices): " + " ".join(badr))
if len(used) < 30 or not writes:
    print("too few system calls traced: the trace is incomplete")
    sys.exit(1)
sys.exit(1 if bad or badfam or badw or badr else 0)
PY
	if [ $? -eq 0 ]; then
		pass "every system call of the KDC is allowed by the unit: $(head -1 "$CHECK_OUT")"
	else
		fail "the unit's filter would break the KDC"; sed 's/^/    /' "$CHECK_OUT" >&2
	fi
fi

check_done
