#!/bin/bash
# Each error of issue 3: one clear line, non-zero exit, nothing written.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/admin_lib.sh"
T=$(mktemp -d /tmp/admin_errors.XXXXXX)
trap 'chmod -R u+rw "$T" 2>/dev/null; rm -rf "$T" "$CHECK_OUT"' EXIT
admin_realm "$T"

one_line() { # the last command's output is one line
	local n; n=$(wc -l <"$CHECK_OUT")
	[ "$n" -eq 1 ] && pass "$1: one line" || { fail "$1: $n lines"; cat "$CHECK_OUT" >&2; }
}

expect_fail "database missing says to run init" "run 'orthrus admin init'" adm get alice
one_line "database missing"
expect_fail "list on a missing database" "run 'orthrus admin init'" adm list
expect_ok "init" adm init
[ "$(stat -c %a "$T/stash")" = 600 ] && pass "stash mode 0600" || fail "stash mode"
expect_fail "init refuses to overwrite" "already exists" adm init
adm verify >/dev/null && pass "database intact after refused init" || fail "refused init broke the database"

echo pw | adm add alice --password-stdin >/dev/null
adm dump "$T/before" >/dev/null
expect_fail "duplicate principal" "already exists" bash -c "echo pw2 | '$ORTHRUS' admin add alice --password-stdin"
one_line "duplicate"
expect_fail "unknown principal (get)" "does not exist" adm get bob
expect_fail "unknown principal (delete)" "does not exist" adm delete bob
expect_fail "unknown principal (randkey)" "does not exist" adm randkey bob
expect_fail "unknown principal (modify)" "does not exist" adm modify bob --requires-preauth
expect_fail "unknown principal (rename)" "does not exist" adm rename bob carol
expect_fail "rename onto an existing name" "already exists" adm rename alice krbtgt/TEST.REALM
for bad in 'a@b@c' 'a//b' '/x' 'trailing\' 'bad\qescape' '@TEST.REALM'; do
	expect_fail "bad name '$bad'" "bad principal name" adm add "$bad" --random-key
done
expect_fail "name in another realm" "not in realm" adm add alice@OTHER.REALM --random-key
expect_fail "empty password" "no password" bash -c "'$ORTHRUS' admin add carol --password-stdin </dev/null"
expect_fail "unknown attribute" "unknown attribute" adm add carol --random-key --attr flies
expect_fail "bad duration" "bad duration" adm add carol --random-key --max-life soon
expect_fail "unknown option" "unknown option" adm add carol --random-key --frob
expect_fail "unknown command" "unknown command" adm frobnicate
adm dump "$T/after" >/dev/null
cmp -s "$T/before" "$T/after" && pass "failed commands wrote nothing" || fail "a failed command changed the database"

# master key problems
cp "$T/stash" "$T/stash.good"
chmod 000 "$T/stash"
if [ "$(id -u)" -ne 0 ]; then
	expect_fail "unreadable stash" "cannot read master key stash" adm get alice
	one_line "unreadable stash"
fi
chmod 600 "$T/stash"
# unreadable even for root: the stash path is a directory
rm -f "$T/stash"; mkdir "$T/stash"
expect_fail "unreadable stash (a directory)" "cannot read master key stash" adm get alice
one_line "unreadable stash (a directory)"
rmdir "$T/stash"
head -c 10 "$T/stash.good" >"$T/stash"
expect_fail "truncated stash" "stash" adm get alice
one_line "truncated stash"
rm -f "$T/stash"
expect_fail "missing stash" "cannot read master key stash" adm get alice
# a well-formed stash with another key
mkdir "$T/other"
( admin_realm "$T/other"; adm init >/dev/null )
cp "$T/other/stash" "$T/stash"
expect_fail "wrong master key" "wrong master key" adm get alice
one_line "wrong master key"
cp "$T/stash.good" "$T/stash"
adm get alice >/dev/null && pass "right stash opens again" || fail "right stash"

# configuration errors name file and line; unknown relations are warned about
printf '[realms]\n\tTEST.REALM = {\n\t\tdatabase_name = %s/principal.mdb\n\t\tkey_stash_file = %s/stash\n\t\tfrobnicate = 1\n\t}\n' "$T" "$T" >"$T/warn.conf"
adm -c "$T/warn.conf" get alice >/dev/null 2>"$T/warn.err"
expect_grep "unknown relation warned with file:line" "warn.conf:5: warning: unknown relation 'frobnicate'" "$T/warn.err"
printf '[realms]\n\tTEST.REALM = {\n\t\tdatabase_name = x\n' >"$T/bad.conf"
expect_fail "syntax error names file and line" "bad.conf:3: missing '}'" adm -c "$T/bad.conf" get alice
expect_fail "missing config file" "/nonexistent.conf" adm --config /nonexistent.conf get alice

# disk (map) full: a tiny LMDB map; the failing write leaves the database as it was
mkdir "$T/full"
admin_realm "$T/full" "		database_map_size = 128k"
adm init >/dev/null || fail "init in a small map"
i=0; err=
while [ $i -lt 400 ]; do
	if ! adm add "user$i" --random-key >/dev/null 2>"$T/full.err"; then err=1; break; fi
	i=$((i + 1))
done
if [ -n "$err" ] && grep -q "database full" "$T/full.err"; then
	pass "map full reported clearly after $i principals"
else
	fail "map full not reported"; cat "$T/full.err" >&2
fi
[ "$(wc -l <"$T/full.err")" -eq 1 ] && pass "map full: one line" || fail "map full: not one line"
expect_fail "failed add left no record" "does not exist" adm get "user$i"
expect_ok "verify after map full" adm verify
check_done
