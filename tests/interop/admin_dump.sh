#!/bin/bash
# dump -> load into a new database -> dump is byte-identical; the dump is
# text with named fields, one line per principal (src/db/dump.h,
# docs/DUMP.md), so one change is one changed line; load is all or nothing;
# a dump under another master key is refused; the dumps of older code
# (versions 1 and 2: hex records, of record versions 2 and 3) still load.
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
adm add 'two words' --random-key --enctypes aes128-cts-hmac-sha1-96 >/dev/null
adm randkey alice >/dev/null
expect_ok "dump" adm dump "$T/d1"
[ "$(stat -c %a "$T/d1")" = 600 ] && pass "dump mode 0600" || fail "dump mode"
expect_grep "dump is versioned" "^orthrus-dump 3$" "$T/d1"

# readable: one line per principal, named fields, times in ISO 8601
A="^principal alice@TEST.REALM "
expect_grep "a principal line with its fields" \
	"${A}attributes=requires-preauth max_life=28800 max_renew=0 princ_expire=2030-01-01T00:00:00Z pw_expire=never " "$T/d1"
expect_grep "its current keys, kvno 2, with enctype and salt named" \
	"${A}.* key kvno=2 enctype=aes256-cts-hmac-sha1-96 salt_type=normal salt=TEST.REALMalice seal=bound sealed=[0-9a-f]* key kvno=2 enctype=aes128-cts-hmac-sha1-96 " "$T/d1"
expect_grep "the previous key set follows (kvno 1)" "${A}.* key kvno=1 enctype=aes256-cts-hmac-sha1-96 " "$T/d1"
expect_grep "attributes by name" "^principal host/svc.test.realm@TEST.REALM attributes=ok-as-delegate " "$T/d1"
expect_grep "a space in a name is escaped" "^principal two%20words@TEST.REALM " "$T/d1"
expect_grep "a principal name's own escapes are kept" '^principal odd\\/name@TEST.REALM ' "$T/d1"
[ "$(grep -c '^principal ' "$T/d1")" = "$(adm list | wc -l)" ] &&
	pass "one line per principal" || fail "principal lines: $(grep -c '^principal ' "$T/d1")"
grep -q '^princ \|[0-9a-f]\{200\}.*princ_expire' "$T/d1" && fail "hex records in a version 3 dump" ||
	pass "no hex records"

# diffable: one change, one changed line
adm modify alice --max-life 9h >/dev/null
adm dump "$T/d1b" >/dev/null
n=$(diff "$T/d1" "$T/d1b" | grep -c '^[<>]')
[ "$n" = 2 ] && pass "one modify changes one line of the dump" || fail "diff has $n changed lines"
expect_grep "the changed line says max_life=32400" "^> principal alice@TEST.REALM .*max_life=32400 " <(diff "$T/d1" "$T/d1b")
adm modify alice --max-life 8h >/dev/null

# a new database with the same stash
cp "$T/a/stash" "$T/b/stash"
admin_realm "$T/b"
expect_ok "load into a new database" adm load "$T/d1"
expect_ok "second dump" adm dump "$T/d2"
cmp -s "$T/d1" "$T/d2" && pass "dump, load, dump: byte-identical" || { fail "dumps differ"; diff "$T/d1" "$T/d2" | head >&2; }
expect_ok "verify after load" adm verify
adm get alice --keys | grep -v '^Last modified' >"$T/b.get"
ORTHRUS_CONFIG=$T/a/kdc.conf adm get alice --keys | grep -v '^Last modified' >"$T/a.get"
cmp -s "$T/a.get" "$T/b.get" && pass "loaded principal identical, keys included" || fail "loaded principal differs"

# atomic: a truncated dump changes nothing in an existing database
adm add extra --random-key >/dev/null
adm dump "$T/before" >/dev/null
head -n 5 "$T/d1" >"$T/trunc"
expect_fail "truncated dump refused" "nothing was loaded" adm load "$T/trunc"
head -c -1 "$T/d1" >"$T/cut"
expect_fail "a dump cut inside its last line refused" "last line is cut; nothing was loaded" adm load "$T/cut"
sed 's/ sealed=\(..\)/ sealed=zz/' "$T/d1" >"$T/corrupt"
expect_fail "corrupt dump refused" "field sealed: not a valid value; nothing was loaded" adm load "$T/corrupt"
sed 's/^\(principal alice@TEST.REALM\) attributes=/\1 colour=blue attributes=/' "$T/d1" >"$T/unknown"
expect_fail "an unknown field refused" "unknown field 'colour'; nothing was loaded" adm load "$T/unknown"
line=$(grep -n '^principal alice@' "$T/unknown" | cut -d: -f1)
expect_grep "the refusal names the line" "$T/unknown:$line:" "$CHECK_OUT"
sed 's/^\(principal alice@TEST.REALM .*\) max_renew=0 /\1 /' "$T/d1" >"$T/missing"
expect_fail "a missing field refused" "field max_renew missing; nothing was loaded" adm load "$T/missing"
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
expect_fail "dump of another realm refused" "not TEST.REALM" \
	bash -c "sed 's/^realm TEST.REALM/realm OTHER.REALM/' '$T/d1' >'$T/other'; '$ORTHRUS' admin load '$T/other'"
expect_fail "not a dump" "not an Orthrus dump" adm load /etc/hostname
expect_fail "a dump of a later version" "version 4, newer" \
	bash -c "sed 's/^orthrus-dump 3$/orthrus-dump 4/' '$T/d1' >'$T/v4'; '$ORTHRUS' admin load '$T/v4'"

# The dumps of older code still load: data/legacy_v2 (version 2, records
# of version 2, keys not bound), the same as version 1 (no policies), and
# data/dump_v2r3 (version 2 with records of version 3, bound keys: what
# the code before the text format wrote).  Each with its own stash.
old_load() { # NAME DIR DUMPFILE
	mkdir "$T/$1"
	admin_realm "$T/$1"
	cp "$2/stash" "$T/$1/stash" && chmod 600 "$T/$1/stash"
	expect_ok "$1: load" adm load "$3"
	expect_ok "$1: verify" adm verify
	expect_fail "$1: alice's password history came along" "used before" \
		bash -c "echo 'alice pw 1' | '$ORTHRUS' admin set-password alice --password-stdin"
	expect_ok "$1: dump as version 3" adm dump "$T/$1.d3"
	expect_grep "$1: the new dump is text" "^principal bob@TEST.REALM attributes=" "$T/$1.d3"
	expect_ok "$1: the text dump loads" adm load "$T/$1.d3"
	adm dump "$T/$1.d3b" >/dev/null
	cmp -s "$T/$1.d3" "$T/$1.d3b" && pass "$1: dump, load, dump: byte-identical" || fail "$1: dumps differ"
}
old_load v2 "$here/data/legacy_v2" "$here/data/legacy_v2/dump"
grep -q 'seal=raw' "$T/v2.d3" && pass "v2: unbound keys stay unbound (seal=raw) until verify --rebind" ||
	fail "v2: no seal=raw in the dump of unbound keys"
grep -v '^policy ' "$here/data/legacy_v2/dump" | sed 's/^orthrus-dump 2$/orthrus-dump 1/; s/^end \([0-9]*\) [0-9]*$/end \1/' >"$T/v1.dump"
mkdir "$T/v1" && admin_realm "$T/v1" && cp "$here/data/legacy_v2/stash" "$T/v1/stash" && chmod 600 "$T/v1/stash"
expect_ok "v1: a version 1 dump loads" adm load "$T/v1.dump"
expect_grep "v1: its principals" "loaded 6 principals and 0 policies" "$CHECK_OUT"
old_load v2r3 "$here/data/dump_v2r3" "$here/data/dump_v2r3/dump"
grep -q 'seal=raw' "$T/v2r3.d3" && fail "v2r3: bound keys came back unbound" || pass "v2r3: bound keys stay bound"
check_done
