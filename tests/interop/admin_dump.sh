#!/bin/bash
# dump -> load into a new database -> dump is byte-identical; load is all or
# nothing; a dump under another master key is refused.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/admin_lib.sh"
T=$(mktemp -d /tmp/admin_dump.XXXXXX)
trap 'rm -rf "$T" "$CHECK_OUT"' EXIT
mkdir "$T/a" "$T/b" "$T/c"
admin_realm "$T/a"
adm init >/dev/null || exit 1
echo 'pw one' | adm add alice --password-stdin --requires-preauth --max-life 8h --expires 2030-01-01 >/dev/null
adm add 'host/svc.test.realm' --random-key --attr ok-as-delegate >/dev/null
adm add 'odd\/name' --random-key --enctypes aes128-cts-hmac-sha256-128 >/dev/null
adm randkey alice >/dev/null
expect_ok "dump" adm dump "$T/d1"
[ "$(stat -c %a "$T/d1")" = 600 ] && pass "dump mode 0600" || fail "dump mode"
expect_grep "dump is versioned" "^orthrus-dump 2$" "$T/d1"

# a new database with the same stash
cp "$T/a/stash" "$T/b/stash"
admin_realm "$T/b"
expect_ok "load into a new database" adm load "$T/d1"
expect_ok "second dump" adm dump "$T/d2"
cmp -s "$T/d1" "$T/d2" && pass "dump, load, dump: byte-identical" || { fail "dumps differ"; diff "$T/d1" "$T/d2" | head >&2; }
expect_ok "verify after load" adm verify
adm get alice --keys >"$T/b.get"; ORTHRUS_CONFIG=$T/a/kdc.conf adm get alice --keys >"$T/a.get"
cmp -s "$T/a.get" "$T/b.get" && pass "loaded principal identical, keys included" || fail "loaded principal differs"

# atomic: a truncated dump changes nothing in an existing database
adm add extra --random-key >/dev/null
adm dump "$T/before" >/dev/null
head -n 5 "$T/d1" >"$T/trunc"
expect_fail "truncated dump refused" "nothing was loaded" adm load "$T/trunc"
sed 's/^princ ../princ zz/' "$T/d1" >"$T/corrupt"
expect_fail "corrupt dump refused" "nothing was loaded" adm load "$T/corrupt"
adm dump "$T/after" >/dev/null
cmp -s "$T/before" "$T/after" && pass "failed loads left the database unchanged" || fail "failed load changed the database"
# a load replaces everything, atomically
expect_ok "load over an existing database" adm load "$T/d1"
expect_fail "principal added after the dump is gone" "does not exist" adm get extra

# another master key: refused, and nothing created
admin_realm "$T/c"
adm init >/dev/null 2>&1 || exit 1
rm -f "$T/c/principal.mdb" "$T/c/principal.mdb-lock"
expect_fail "dump under another master key refused" "wrong master key" adm load "$T/d1"
[ ! -e "$T/c/principal.mdb" ] && pass "no database left behind by the failed load" || fail "failed load left a database"
expect_fail "dump of another realm refused" "not TEST.OTHER\|realm" \
	bash -c "sed 's/^realm TEST.REALM/realm OTHER.REALM/' '$T/d1' >'$T/other'; '$ORTHRUS' admin load '$T/other'"
expect_fail "not a dump" "not an Orthrus dump" adm load /etc/hostname
check_done
