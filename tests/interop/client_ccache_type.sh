#!/bin/bash
# [libdefaults] ccache_type (issue 14): the FILE cache version our kinit
# creates, 1 to 4 as MIT's, read by MIT's klist; a ticket added to an
# existing cache keeps its version whatever ccache_type says; a bad value
# is refused.  MIT's kinit with the same setting as the reference.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
SVC=host/svc.ccachetype.test
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT

orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
orth_admin add $SVC --random-key >/dev/null || exit 1
D=$ORTH_DIR
O() { "$ORTHRUS" "$@"; }
# version FILE: the first two bytes, "0501" .. "0504"
version() { od -An -tx1 -N2 "$1" | tr -d ' \n'; }

for v in 1 2 3 4; do
	conf=$D/krb5-v$v.conf
	cp "$KRB5_CONFIG" "$conf"
	sed -i "s/^\[libdefaults\]/[libdefaults]\n\tccache_type = $v/" "$conf"
	rm -f "$D/o$v.cc" "$D/m$v.cc"
	echo alice-Pa55 | KRB5_CONFIG=$conf O kinit -c FILE:$D/o$v.cc alice >/dev/null 2>&1
	echo alice-Pa55 | KRB5_CONFIG=$conf kinit -c FILE:$D/m$v.cc alice >/dev/null 2>&1
	got=$(version "$D/o$v.cc") want=$(version "$D/m$v.cc")
	if [ "$got" = "050$v" ] && [ "$got" = "$want" ]; then
		pass "ccache_type = $v: our kinit writes version $got, as MIT's kinit"
	else
		fail "ccache_type = $v: ours '$got', MIT's '$want'"
	fi
	KRB5_CONFIG=$conf klist -c FILE:$D/o$v.cc >"$D/kl.out" 2>&1
	expect_grep "MIT's klist reads our version $v cache" "krbtgt/$REALM@$REALM" "$D/kl.out"
	# a ticket added under the default configuration (version 4):
	# the cache keeps its version
	expect_ok "our kvno adds to the version $v cache" O kvno -c FILE:$D/o$v.cc $SVC
	got=$(version "$D/o$v.cc")
	[ "$got" = "050$v" ] && pass "the cache stays version $v" ||
		fail "the cache became '$got' after kvno"
	klist -c FILE:$D/o$v.cc >"$D/kl.out" 2>&1
	expect_grep "MIT's klist reads the added ticket (version $v)" "$SVC@$REALM" "$D/kl.out"
	O klist -c FILE:$D/o$v.cc >"$D/okl.out" 2>&1
	expect_grep "our klist reads it too (version $v)" "$SVC@$REALM" "$D/okl.out"
done

# a new login into an existing cache takes ccache_type (as MIT's
# krb5_cc_initialize): the version 4 cache of above becomes version 3
echo alice-Pa55 | KRB5_CONFIG=$D/krb5-v3.conf O kinit -c FILE:$D/o4.cc alice >/dev/null 2>&1
got=$(version "$D/o4.cc")
[ "$got" = "0503" ] && pass "re-kinit with ccache_type = 3 writes version 3" ||
	fail "re-kinit with ccache_type = 3 wrote '$got'"

# refused values
for bad in 0 5 four; do
	cp "$KRB5_CONFIG" "$D/krb5-bad.conf"
	sed -i "s/^\[libdefaults\]/[libdefaults]\n\tccache_type = $bad/" "$D/krb5-bad.conf"
	expect_fail "ccache_type = $bad is refused" "ccache_type" \
		env KRB5_CONFIG="$D/krb5-bad.conf" "$ORTHRUS" klist -c FILE:$D/o1.cc
done

check_done
