#!/bin/bash
# Keytabs from `orthrus admin ktadd` read by MIT's klist -k -e -K with the
# kvnos, enctypes and key bytes `orthrus admin get --keys` shows; MIT
# ktutil's password keys equal `add --password-stdin`'s; ktremove, ktlist.
# ktadd randomizes the keys first, as MIT's ktadd does; --norandkey (MIT's
# -norandkey) exports the current ones.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/admin_lib.sh"
command -v klist >/dev/null && command -v ktutil >/dev/null || { echo "FAIL: no MIT klist/ktutil (make deps installs krb5-user)" >&2; exit 1; }
T=$(mktemp -d /tmp/admin_keytab.XXXXXX)
trap 'rm -rf "$T" "$CHECK_OUT"' EXIT
admin_realm "$T"

expect_ok "init" adm init
echo 'alice-Pa55' | adm add alice --password-stdin --requires-preauth >/dev/null || exit 1
adm add host/svc.test.realm --random-key >/dev/null || exit 1
adm randkey host/svc.test.realm >/dev/null || exit 1   # kvno 2, old set kept
expect_ok "ktadd --norandkey two principals" adm ktadd --norandkey --keytab "$T/svc.keytab" host/svc.test.realm alice

# "KVNO PRINCIPAL ENCTYPE HEX" lines, sorted, from both sides
klist -k -e -K "$T/svc.keytab" >"$T/klist.out" 2>&1 || { fail "MIT klist -k reads the keytab"; cat "$T/klist.out"; }
sed -n 's/^ *\([0-9]*\) \([^ ]*\) (\([^)]*\))  *(0x\([0-9a-f]*\))$/\1 \2 \3 \4/p' "$T/klist.out" | sort >"$T/mit.txt"
for p in host/svc.test.realm alice; do
	adm get "$p" --keys
done | awk '/^Principal:/ {p=$2} /^Key: kvno/ {gsub(",","",$3); gsub(",","",$4); print $3, p, $4, $NF}' >"$T/all.txt"
# only the newest key set goes to the keytab
awk '{k=$2; if (!(k in max) || $1>max[k]) max[k]=$1; l[NR]=$0; kv[NR]=$1; pr[NR]=$2} END {for (i=1;i<=NR;i++) if (kv[i]==max[pr[i]]) print l[i]}' "$T/all.txt" | sort >"$T/orth.txt"
n=$(wc -l <"$T/mit.txt")
if [ "$n" -eq 8 ] && cmp -s "$T/mit.txt" "$T/orth.txt"; then
	pass "klist -k -e -K shows the same kvnos, enctypes and keys as admin get ($n keys)"
else
	fail "keytab and database differ"; diff "$T/mit.txt" "$T/orth.txt" >&2; cat "$T/klist.out" >&2
fi
expect_grep "service keys have kvno 2" "^2 host/svc.test.realm@TEST.REALM" "$T/mit.txt"
if grep -q '^1 host/svc' "$T/mit.txt"; then fail "old kvno exported"; else pass "old kvno not exported"; fi

# appending keeps what is there; our reader lists it
expect_ok "ktadd appends" adm ktadd -norandkey --keytab "$T/svc.keytab" host/svc.test.realm
n=$(klist -k "$T/svc.keytab" | grep -c 'host/svc')
[ "$n" -eq 8 ] && pass "appended entries present (8 service entries)" || fail "expected 8 service entries, got $n"
adm ktlist --keytab "$T/svc.keytab" >"$T/ktlist.out" 2>&1
expect_grep "ktlist lists the keytab" "host/svc.test.realm@TEST.REALM (aes256-cts-hmac-sha384-192)" "$T/ktlist.out"
expect_ok "ktremove" adm ktremove --keytab "$T/svc.keytab" host/svc.test.realm
n=$(klist -k "$T/svc.keytab" | grep -c 'host/svc')
[ "$n" -eq 0 ] && pass "ktremove removed the service entries, MIT klist still reads it" || fail "ktremove left $n"
expect_grep "alice entries remain" "alice@TEST.REALM" <(klist -k "$T/svc.keytab")
expect_fail "ktremove of an absent principal" "no entry" adm ktremove --keytab "$T/svc.keytab" nobody

# MIT ktutil, same password and salt
printf 'addent -password -p alice@TEST.REALM -k 1 -e aes256-cts-hmac-sha1-96\nalice-Pa55\naddent -password -p alice@TEST.REALM -k 1 -e aes128-cts-hmac-sha256-128\nalice-Pa55\nwkt %s\nquit\n' \
	"$T/mit.keytab" | ktutil >/dev/null 2>&1
klist -k -e -K "$T/mit.keytab" 2>/dev/null |
	sed -n 's/^ *\([0-9]*\) \([^ ]*\) (\([^)]*\))  *(0x\([0-9a-f]*\))$/\1 \2 \3 \4/p' | sort >"$T/ktutil.txt"
grep -E 'aes256-cts-hmac-sha1-96|aes128-cts-hmac-sha256-128' "$T/orth.txt" | grep ' alice@' | sort >"$T/alice.txt"
if [ "$(wc -l <"$T/ktutil.txt")" -eq 2 ] && cmp -s "$T/ktutil.txt" "$T/alice.txt"; then
	pass "MIT ktutil addent -password keys equal add --password-stdin keys"
else
	fail "ktutil keys differ"; diff "$T/ktutil.txt" "$T/alice.txt" >&2
fi
# and we read MIT's keytab
adm ktlist --keytab "$T/mit.keytab" --keys >"$T/ktlist2.out" 2>&1
k=$(awk '$3=="aes256-cts-hmac-sha1-96" {print $4}' "$T/ktutil.txt")
expect_grep "ktlist reads MIT's keytab" "$k" "$T/ktlist2.out"

# ktadd without --norandkey: new random keys, kvno + 1, exported (MIT's ktadd)
adm get host/svc.test.realm --keys >"$T/before.out"
expect_ok "ktadd randomizes by default" adm ktadd --keytab "$T/rot.keytab" host/svc.test.realm
adm get host/svc.test.realm --keys >"$T/after.out"
expect_grep "ktadd: the database has kvno 3 now" "^Key: kvno 3," "$T/after.out"
klist -k -e -K "$T/rot.keytab" >"$T/rot.out" 2>&1
n=$(grep -c '^ *3 host/svc.test.realm@TEST.REALM' "$T/rot.out")
[ "$n" -eq 4 ] && pass "ktadd exported the 4 new kvno 3 keys" || { fail "kvno 3 keys exported: $n"; cat "$T/rot.out" >&2; }
k3=$(sed -n 's/^ *3 .*(aes256-cts-hmac-sha1-96)  *(0x\([0-9a-f]*\))$/\1/p' "$T/rot.out")
if [ -n "$k3" ] && grep -q "$k3" "$T/after.out" && ! grep -q "$k3" "$T/before.out"; then
	pass "the exported key is the database's new key"
else
	fail "exported key $k3 is not the new database key"
fi
expect_ok "ktadd --norandkey keeps kvno 3" adm ktadd --norandkey --keytab "$T/rot2.keytab" host/svc.test.realm
expect_grep "--norandkey: kvno 3 exported" "^ *3 host/svc.test.realm" <(klist -k "$T/rot2.keytab")
expect_grep "--norandkey: the database still at kvno 3" "^Key: kvno 3," <(adm get host/svc.test.realm --keys)
if adm get host/svc.test.realm --keys | grep -q "^Key: kvno 4,"; then fail "--norandkey changed keys"; else pass "--norandkey changed no key"; fi
expect_ok "ktadd --enctypes randomizes into those enctypes" \
	adm ktadd --keytab "$T/rot3.keytab" --enctypes aes128-cts-hmac-sha1-96 host/svc.test.realm
n=$(klist -k -e "$T/rot3.keytab" | grep -c ' 4 host/svc.test.realm@TEST.REALM (aes128-cts-hmac-sha1-96)')
[ "$n" -eq 1 ] && [ "$(klist -k "$T/rot3.keytab" | grep -c host/svc)" -eq 1 ] &&
	pass "ktadd --enctypes: one kvno 4 aes128 key" || { fail "ktadd --enctypes"; klist -k -e "$T/rot3.keytab" >&2; }
expect_fail "--norandkey with --enctypes refused" "norandkey" adm ktadd --norandkey --enctypes aes128-cts --keytab "$T/x.keytab" alice
expect_grep "ktadd --help says it randomizes" "new random keys first" <(adm --help 2>&1)

# secrets only on request
adm get alice >"$T/get.out"
if grep -qi "$k" "$T/get.out"; then fail "get without --keys printed key bytes"; else pass "no key bytes without --keys"; fi
adm get alice --json --keys | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert all(len(k["key"])>=32 for k in d["keys"])' &&
	pass "get --json --keys is JSON with keys" || fail "get --json --keys"
adm get alice --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert all("key" not in k for k in d["keys"])' &&
	pass "get --json without --keys has no key bytes" || fail "get --json leaked keys"
[ "$(stat -c %a "$T/svc.keytab")" = 600 ] && pass "keytab mode 0600" || fail "keytab mode"
# a garbage keytab is refused, not clobbered
echo garbage >"$T/bad.keytab"
expect_fail "ktadd to a garbage file refused" "keytab" adm ktadd --norandkey --keytab "$T/bad.keytab" alice
expect_grep "garbage file untouched" garbage "$T/bad.keytab"
check_done
