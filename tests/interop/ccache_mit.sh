#!/bin/bash
# FILE credential caches both ways between MIT krb5 (kinit, klist, kvno)
# and src/client/ccache (through tests/unit/client/ccache_tool), with MIT's
# krb5kdc as the KDC.  Proves our reader takes MIT's bytes (v4 and v3) and
# MIT takes ours: klist lists them and kvno uses the TGT in them.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/mitkdc.sh"

TOOL=${CCACHE_TOOL:-${BUILDDIR:-build}/tests/unit/client/ccache_tool}
[ -x "$TOOL" ] || { echo "no ccache_tool at $TOOL" >&2; exit 1; }
for p in kinit klist kvno; do
	command -v $p >/dev/null || { echo "FAIL: $p not installed (make deps installs it)" >&2; exit 1; }
done
mitkdc_available || { echo "FAIL: MIT KDC not installed (make deps installs it)" >&2; exit 1; }

REALM=CCACHE.TEST
TGT=krbtgt/$REALM@$REALM
ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"
declare -A ETNUM=([aes256-cts-hmac-sha1-96]=18 [aes128-cts-hmac-sha1-96]=17
	[aes256-cts-hmac-sha384-192]=20 [aes128-cts-hmac-sha256-128]=19)
trap 'mitkdc_stop; rm -f "$CHECK_OUT"' EXIT

mitkdc_start $REALM || exit 1
D=$MIT_DIR
mitkdc_addprinc alice alice-Pa55 || exit 1
# One service per enctype; session_enctypes makes the KDC choose that
# enctype for the service ticket's session key too.
for e in $ENCTYPES; do
	mitkdc_addprinc_randkey host/$e.ccache.test "$e:normal" || exit 1
	mitkdc_kadmin "setstr host/$e.ccache.test session_enctypes $e" || exit 1
done
mitkdc_addprinc_randkey host/late.ccache.test || exit 1

k() { echo alice-Pa55 | kinit -c "FILE:$1" alice >/dev/null; }
# conf_with LINE: a krb5.conf with LINE added to [libdefaults]
conf_with() {
	sed "s|^\[libdefaults\]|[libdefaults]\n\t$1|" "$KRB5_CONFIG" >"$D/krb5-$2.conf"
	echo "$D/krb5-$2.conf"
}

# 1. MIT writes, we read.
expect_ok "MIT kinit" k "$D/mit.cc"
"$TOOL" list "$D/mit.cc" >"$D/mit.list" 2>&1
expect_grep "our reader: version 4" "^version 0x0504" "$D/mit.list"
expect_grep "our reader: time offset header" "^offset -\?[0-9]" "$D/mit.list"
expect_grep "our reader: default principal" "^principal alice@$REALM type 1" "$D/mit.list"
expect_grep "our reader: the TGT" "^ticket alice@$REALM krbtgt/$REALM@$REALM type 2 etype 18 keylen 32" "$D/mit.list"
expect_grep "our reader: fast_avail config entry" '^config krb5_ccache_conf_data/fast_avail/krbtgt\\/CCACHE.TEST\\@CCACHE.TEST@X-CACHECONF: "yes"' "$D/mit.list"
"$TOOL" config "$D/mit.cc" fast_avail "$TGT" >"$D/conf.out" 2>&1
expect_grep "config lookup of MIT's entry" '^"yes"' "$D/conf.out"
expect_fail "a config entry is no ticket" "not found\|missing" \
	"$TOOL" get "$D/mit.cc" "krb5_ccache_conf_data/fast_avail/krbtgt\\/$REALM\\@$REALM@X-CACHECONF:"

# 2. We write (whole, and entry by entry through store), byte-exact.
expect_ok "copy (ccache_write)" "$TOOL" copy "$D/mit.cc" "$D/ours.cc"
expect_ok "rebuild (initialize + offset + store)" "$TOOL" rebuild "$D/mit.cc" "$D/ours2.cc"
expect_ok "copy is byte-identical to MIT's file" cmp "$D/mit.cc" "$D/ours.cc"
expect_ok "rebuild is byte-identical to MIT's file" cmp "$D/mit.cc" "$D/ours2.cc"
[ "$(stat -c %a "$D/ours2.cc")" = 600 ] && pass "our file is mode 0600" || fail "our file mode $(stat -c %a "$D/ours2.cc")"

# 3. MIT reads ours: klist (with config entries), kvno with our TGT.
klist -C -c "FILE:$D/ours2.cc" >"$D/klist.out" 2>&1
expect_grep "MIT klist: default principal" "Default principal: alice@$REALM" "$D/klist.out"
expect_grep "MIT klist: the TGT" "$TGT" "$D/klist.out"
expect_grep "MIT klist -C: config entry survived" "fast_avail($TGT) = yes" "$D/klist.out"
for e in $ENCTYPES; do
	expect_ok "MIT kvno with our TGT: $e service" kvno -c "FILE:$D/ours2.cc" host/$e.ccache.test
	"$TOOL" get "$D/ours2.cc" host/$e.ccache.test ${ETNUM[$e]} >"$D/get.out" 2>&1
	expect_grep "our retrieve: $e session key" "^found host/$e.ccache.test@$REALM etype ${ETNUM[$e]} " "$D/get.out"
done
expect_fail "our retrieve: wrong enctype" "not found\|missing" \
	"$TOOL" get "$D/ours2.cc" host/aes256-cts-hmac-sha1-96.ccache.test 17
# MIT appended four tickets to our file; rewrite it again and let MIT list it.
expect_ok "copy of the grown cache" "$TOOL" copy "$D/ours2.cc" "$D/ours3.cc"
expect_ok "the grown copy is byte-identical" cmp "$D/ours2.cc" "$D/ours3.cc"
klist -e -c "FILE:$D/ours3.cc" >"$D/klist3.out" 2>&1
for e in $ENCTYPES; do
	expect_grep "MIT klist -e: $e ticket in our rewrite" "host/$e.ccache.test@$REALM" "$D/klist3.out"
done

# 4. The time offset header: ours is what MIT applies (MIT takes the
# offset from the cache; +2h makes its authenticator skewed).
expect_ok "set the time offset to +7200 s" "$TOOL" set-offset "$D/ours3.cc" 7200 0
"$TOOL" list "$D/ours3.cc" >"$D/list3.out" 2>&1
expect_grep "offset stored" "^offset 7200 0" "$D/list3.out"
expect_fail "MIT kvno honours our offset (skew)" "skew" \
	kvno -c "FILE:$D/ours3.cc" host/late.ccache.test
expect_ok "set the time offset to 0" "$TOOL" set-offset "$D/ours3.cc" 0 0
expect_ok "MIT kvno with offset 0" kvno -c "FILE:$D/ours3.cc" host/late.ccache.test
"$TOOL" list "$D/ours3.cc" >"$D/list3.out" 2>&1
expect_grep "config entries survive the offset rewrites" "fast_avail" "$D/list3.out"

# 5. A TGT with each session-key enctype (MIT kinit with
# default_tkt_enctypes), rewritten by us, used by MIT's kvno.
for e in $ENCTYPES; do
	conf=$(conf_with "default_tkt_enctypes = $e" "$e")
	KRB5_CONFIG=$conf expect_ok "MIT kinit, $e TGT" k "$D/tgt-$e.cc"
	expect_ok "copy of the $e TGT cache" "$TOOL" copy "$D/tgt-$e.cc" "$D/ours-$e.cc"
	"$TOOL" list "$D/ours-$e.cc" >"$D/list-$e.out" 2>&1
	expect_grep "our reader: $e TGT" "^ticket alice@$REALM $TGT type 2 etype ${ETNUM[$e]} " "$D/list-$e.out"
	expect_ok "MIT kvno with our $e TGT" kvno -c "FILE:$D/ours-$e.cc" host/late.ccache.test
done

# 6. Version 3 (MIT's ccache_type = 3): we read it, write v4, MIT uses it.
conf=$(conf_with "ccache_type = 3" v3)
KRB5_CONFIG=$conf expect_ok "MIT kinit writing v3" k "$D/v3.cc"
"$TOOL" list "$D/v3.cc" >"$D/v3.list" 2>&1
expect_grep "our reader: version 3" "^version 0x0503" "$D/v3.list"
expect_grep "our reader: v3 TGT" "^ticket alice@$REALM $TGT" "$D/v3.list"
expect_ok "v3 -> v4 copy" "$TOOL" copy "$D/v3.cc" "$D/v3to4.cc"
expect_ok "MIT kvno with the v4 rewrite of a v3 cache" kvno -c "FILE:$D/v3to4.cc" host/late.ccache.test

# 7. Corrupt and destroyed caches.
head -c 200 "$D/mit.cc" >"$D/cut.cc"
expect_fail "truncated cache refused" "truncated" "$TOOL" list "$D/cut.cc"
expect_ok "destroy" "$TOOL" destroy "$D/ours.cc"
[ ! -e "$D/ours.cc" ] && pass "destroyed file is gone" || fail "destroyed file still there"
expect_fail "MIT klist: destroyed cache" "No credentials cache found\|not found" klist -c "FILE:$D/ours.cc"

check_done
