#!/bin/bash
# `orthrus admin` bulk commands on a realm in a directory (issue 11):
# `verify --rebind`, `load` and `import-mit` write many principals in one
# transaction, and each of them reaches the directory first (every change,
# in order) and then the local database.  One slapd provider
# (lib/slapd.sh), an admin host A whose kdc.conf names it, and an Orthrus
# KDC K following it; the results are read back with ldapsearch and used
# by MIT's kinit at K.
#   1. A holds records sealed the old way (a dump of record version 2,
#      data/legacy_v2) when it is attached to the directory: `verify
#      --rebind` writes its six entries, bound, into the directory
#   2. `load` of a dump: its principals reach the directory, and one that
#      the dump does not hold is deleted from it
#   3. `import-mit` of a dump of an MIT realm made with kadmin.local
#   and `bulk-add`; a load cut half-way (the provider killed) fails saying
#   what the directory took, leaves A unchanged, and converges when run
#   again; with the directory down a load fails, nothing written
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/slapd.sh"
. "$here/lib/mitkdc.sh"

REALM=TEST.REALM
CHECK_OUT=$(mktemp)
W=$(mktemp -d /tmp/ldapadm.XXXXXX)
KDC_PID=
trap '[ -z "$KDC_PID" ] || { kill "$KDC_PID"; wait "$KDC_PID"; }; mitkdc_stop; slapd_stop;
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$W"; rm -f "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC

# conf DIR PORT [ldap]: kdc.conf and krb5.conf of host DIR, its database
# the directory's replica when "ldap" is given, plain LMDB otherwise.
conf() {
	local mod=""
	[ "${3:-}" = ldap ] && mod="database_module = openldap"
	slapd_kdc_conf "$1" "$REALM" "$2" "${SLAPD_URI[1]}" "$mod"
}
adm() { "$ORTHRUS" admin -c "$W/a/kdc.conf" "$@"; }
dn() { echo "krbPrincipalName=$1@$REALM,cn=$REALM,$SLAPD_CONTAINER_DN"; }
# indir NAME: the directory holds NAME's entry with a key
indir() { slapd_search 1 -s base -b "$(dn "$1")" krbPrincipalKey | grep -q '^krbPrincipalKey:'; }
# kin NAME PASSWORD: MIT's kinit at K, retried for up to 5 s (K follows
# the directory within about a second)
kin() {
	local i
	for ((i = 0; i < 50; i++)); do
		KRB5_CONFIG=$W/k/krb5.conf KRB5CCNAME=FILE:$W/cc kinit "$1@$REALM" <<<"$2" \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	KRB5_CONFIG=$W/k/krb5.conf KRB5CCNAME=FILE:$W/cc kinit "$1@$REALM" <<<"$2"
}

# An MIT realm of the same name, dumped (for step 3).
mitkdc_start $REALM || exit 1
mitkdc_kadmin "addprinc -pw mit-Pa55word mituser" || exit 1
mitkdc_kadmin "addprinc -pw mit-Other55 mitother" || exit 1
"$MITKDC_SBIN/kdb5_util" -r $REALM dump "$W/mit.dump" || { fail "kdb5_util dump"; exit 1; }
cp "$MIT_DIR/stash" "$W/mit.stash"
mitkdc_stop
unset KRB5_CONFIG KRB5_KDC_PROFILE KRB5CCNAME KRB5_KTNAME

slapd_start 1 || exit 1
KPORT=$(free_port)
conf "$W/a" "$(free_port)"
conf "$W/k" "$KPORT"
for h in a k; do
	cp "$here/data/legacy_v2/stash" "$W/$h/stash" && chmod 600 "$W/$h/stash"
	"$ORTHRUS" admin -c "$W/$h/kdc.conf" load "$here/data/legacy_v2/dump" >/dev/null ||
		{ fail "load of the legacy dump on host $h"; exit 1; }
done
# K knows alice only from the directory.
"$ORTHRUS" admin -c "$W/k/kdc.conf" delete alice >/dev/null || { fail "delete alice on K"; exit 1; }
# The dump for step 2 (made before A follows the directory): the legacy
# principals rebound, carol and dave added, bob removed.
adm verify --rebind >/dev/null && echo 'carol-Pa55' | adm add carol --password-stdin >/dev/null &&
	echo 'dave-Pa55' | adm add dave --password-stdin >/dev/null && adm delete bob >/dev/null &&
	adm dump "$W/full.dump" >/dev/null && adm bulk-add many 1500 --batch 1500 >/dev/null &&
	adm dump "$W/big.dump" >/dev/null && adm load "$here/data/legacy_v2/dump" >/dev/null ||
	{ fail "making the dump of step 2"; exit 1; }

# A and K now name the directory.
conf "$W/a" "$(free_port)" ldap
conf "$W/k" "$KPORT" ldap

# 1. verify --rebind
expect_ok "verify on the directory realm" adm verify
expect_grep "verify names the unbound entries" "verify --rebind" "$CHECK_OUT"
indir alice && fail "alice in the directory before --rebind" || pass "the directory is empty before --rebind"
expect_ok "verify --rebind on the directory realm" adm verify --rebind
expect_grep "it rebound the six entries" "rebound 6 " "$CHECK_OUT"
for p in alice bob krbtgt/$REALM kadmin/admin; do
	expect_ok "ldapsearch: $p is in the directory with its keys" indir "$p"
done
expect_ok "verify after --rebind: nothing unbound" adm verify
grep -q -- "--rebind" "$CHECK_OUT" && fail "verify after --rebind still names unbound entries" ||
	pass "verify after --rebind names nothing"

"$ORTHRUS" kdc -c "$W/k/kdc.conf" --foreground --pidfile "$W/k/kdc.pid" 2>>"$W/k/kdc.log" &
KDC_PID=$!
wait_tcp_port "$KPORT" "$KDC_PID" && wait_kdc_serving "$W/k/kdc.log" "$KDC_PID" ||
	{ fail "K does not start"; exit 1; }
expect_ok "MIT kinit at K: alice, rebound from the directory" kin alice 'alice pw 2'

# 2. load
echo 'eve-Pa55' | adm add eve --password-stdin >/dev/null
expect_ok "eve added through the directory" indir eve
# frank is written from K's host: A's own database never saw him
echo 'frank-Pa55' | "$ORTHRUS" admin -c "$W/k/kdc.conf" add frank --password-stdin >/dev/null
expect_ok "frank added through the directory from K's host" indir frank
adm get frank >/dev/null 2>&1 && fail "A knows frank" || pass "A's database does not know frank"
expect_ok "load of a dump on the directory realm" adm load "$W/full.dump"
expect_ok "ldapsearch: carol, loaded, is in the directory" indir carol
expect_ok "ldapsearch: dave, loaded, is in the directory" indir dave
indir bob && fail "bob, not in the dump, is still in the directory" || pass "ldapsearch: bob, not in the dump, was deleted"
indir eve && fail "eve, not in the dump, is still in the directory" || pass "ldapsearch: eve, not in the dump, was deleted"
indir frank && fail "frank, not in the dump nor in A's database, is still in the directory" ||
	pass "ldapsearch: frank, not in the dump nor in A's database, was deleted"
expect_ok "ldapsearch: alice, in the dump, stays" indir alice
expect_ok "MIT kinit at K: carol, loaded" kin carol carol-Pa55
expect_fail "MIT kinit at K: eve is gone" "not found" kin eve eve-Pa55
expect_ok "the local database holds what was loaded" adm get carol

# 3. import-mit
expect_ok "import-mit on the directory realm" adm import-mit "$W/mit.dump" --mit-stash "$W/mit.stash"
expect_ok "ldapsearch: mituser, imported, is in the directory" indir mituser
expect_ok "ldapsearch: mitother, imported, is in the directory" indir mitother
expect_ok "MIT kinit at K: mituser with his MIT password" kin mituser mit-Pa55word
expect_ok "MIT kinit at K: carol, from the load, still there" kin carol carol-Pa55

# bulk-add: batches of ten, each a transaction forwarded whole
expect_ok "bulk-add of 30 on the directory realm" adm bulk-add bulk 30 --batch 10
expect_ok "ldapsearch: the first of them is in the directory" indir bulk0
expect_ok "ldapsearch: the last of them is in the directory" indir bulk29

# A load cut half-way: the provider killed while it takes the changes.
# The command fails saying how many the directory took; the local
# database is unchanged; run again, the directory and A agree.
nmany() {
	slapd_search 1 -b "cn=$REALM,$SLAPD_CONTAINER_DN" "(krbPrincipalName=many*)" dn 2>/dev/null |
		grep -c '^dn:'
}
adm load "$W/big.dump" >"$W/cut.out" 2>&1 &
LOAD_PID=$!
for ((i = 0; i < 300; i++)); do [ "$(nmany)" -ge 100 ] && break; sleep 0.1; done
slapd_kill 1 KILL
if wait "$LOAD_PID"; then
	fail "the cut load succeeded"
else
	pass "the cut load fails"
fi
expect_grep "it says how many the directory took and to run it again" \
	"directory took the first [0-9]*, the local database none: run the command again" "$W/cut.out"
expect_grep "and that nothing was loaded locally" "nothing was loaded" "$W/cut.out"
expect_ok "A's database is unchanged (no many*)" test -z "$(adm list 'many*')"
expect_ok "provider 1 restarts" slapd_run 1
n=$(nmany)
[ "$n" -gt 0 ] && [ "$n" -lt 1500 ] && pass "the directory holds part of the load ($n of 1500)" ||
	fail "the directory holds $n of 1500 after the cut"
expect_ok "the load run again" adm load "$W/big.dump"
expect_ok "the directory holds all 1500" test "$(nmany)" = 1500
expect_ok "A holds all 1500" test "$(adm list 'many*' | wc -l)" = 1500
expect_ok "K's replica follows: many1499" \
	within 10 "$ORTHRUS" admin -c "$W/k/kdc.conf" get many1499
expect_ok "MIT kinit at K: carol, after the second load" kin carol carol-Pa55

# the directory unreachable: the bulk command fails, nothing written locally
slapd_kill 1 KILL
expect_fail "load with the directory down fails" "nothing written" adm load "$W/full.dump"
expect_ok "and A's database is unchanged" adm get many1499

kill "$KDC_PID"
wait "$KDC_PID" && pass "K exited 0 on SIGTERM" || fail "K exited with $?"
KDC_PID=
if grep -qE "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error: " "$W/k/kdc.log"; then
	fail "sanitizer report in K's log"
	sed 's/^/    /' "$W/k/kdc.log" >&2
fi
check_done
