#!/bin/bash
# The directory harness (lib/slapd.sh) itself: two slapd providers with
# MIT's Kerberos schema and ours, in multi-provider replication.  A
# principal entry added on either reaches the other; with one provider
# killed (kill -9) the other still takes writes, and the killed one,
# restarted, catches up; the KDC's identity may write, an anonymous client
# may not; our failure-record attribute merges values written on both
# providers at once.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/slapd.sh"

CHECK_OUT=$(mktemp)
trap 'slapd_stop; rm -f "$CHECK_OUT"' EXIT
export LC_ALL=C

slapd_start 2 || exit 1
pass "two providers started, base entries replicated"

# princ NAME: an LDIF principal entry under the container
princ() {
	cat <<LDIF
dn: krbPrincipalName=$1,$SLAPD_CONTAINER_DN
objectClass: krbPrincipal
objectClass: krbPrincipalAux
objectClass: krbTicketPolicyAux
objectClass: orthrusPrincipalAux
krbPrincipalName: $1
krbTicketFlags: 128
LDIF
}
dn() { echo "krbPrincipalName=$1,$SLAPD_CONTAINER_DN"; }

expect_ok "add alice@TEST.REALM on provider 1" slapd_add 1 < <(princ alice@TEST.REALM)
expect_ok "alice replicated to provider 2 within 2 s" slapd_wait_dn 2 "$(dn alice@TEST.REALM)" 2
expect_ok "add bob@TEST.REALM on provider 2" slapd_add 2 < <(princ bob@TEST.REALM)
expect_ok "bob replicated to provider 1 within 2 s" slapd_wait_dn 1 "$(dn bob@TEST.REALM)" 2

# The KDC's identity writes; nobody else reads.
expect_ok "the KDC identity binds and modifies" \
	ldapmodify -x -H "${SLAPD_URI[1]}" -D "$SLAPD_KDC_DN" -w "$SLAPD_KDC_PW" < <(printf '%s\n' \
	"dn: $(dn alice@TEST.REALM)" changetype:\ modify replace:\ krbTicketFlags krbTicketFlags:\ 0)
expect_fail "a wrong password does not bind as the KDC" "Invalid credentials" \
	ldapwhoami -x -H "${SLAPD_URI[1]}" -D "$SLAPD_KDC_DN" -w wrong
n=$(ldapsearch -x -H "${SLAPD_URI[1]}" -LLL -b "$SLAPD_CONTAINER_DN" '(krbPrincipalName=*)' dn 2>&1 | grep -c '^dn:')
[ "$n" = 0 ] && pass "an anonymous client sees no principal" || fail "an anonymous client sees $n principals"

# Concurrent adds of distinct values on both providers merge: the
# grow-only failure set of dist/ldap/orthrus.schema.
for i in 1 2; do
	printf '%s\n' "dn: $(dn alice@TEST.REALM)" changetype:\ modify \
		add:\ orthrusFailedAuth "orthrusFailedAuth: 20261202061500Z kdc$i 1" >"$SLAPD_DIR/fail$i.ldif"
done
slapd_modify 1 <"$SLAPD_DIR/fail1.ldif" &
p1=$!
slapd_modify 2 <"$SLAPD_DIR/fail2.ldif" &
p2=$!
wait "$p1" && wait "$p2" && pass "a failure record added on each provider at once" ||
	fail "concurrent adds of failure records"
n=0
for t in $(seq 1 30); do
	n1=$(slapd_search 1 -s base -b "$(dn alice@TEST.REALM)" orthrusFailedAuth | grep -c '^orthrusFailedAuth:')
	n2=$(slapd_search 2 -s base -b "$(dn alice@TEST.REALM)" orthrusFailedAuth | grep -c '^orthrusFailedAuth:')
	[ "$n1" = 2 ] && [ "$n2" = 2 ] && { n=2; break; }
	sleep 0.1
done
[ "$n" = 2 ] && pass "two failure records written at once on two providers: both kept on both" ||
	fail "failure records after concurrent adds: provider 1 has $n1, provider 2 has $n2 (want 2)"

# kill -9 of provider 1: provider 2 takes writes; 1 restarted catches up.
slapd_kill 1 KILL
expect_ok "provider 2 takes a write with provider 1 killed" slapd_add 2 < <(princ carol@TEST.REALM)
expect_ok "provider 1 restarts" slapd_run 1
expect_ok "the restarted provider 1 catches up within 5 s" slapd_wait_dn 1 "$(dn carol@TEST.REALM)" 5
expect_ok "and serves what it had" slapd_wait_dn 1 "$(dn bob@TEST.REALM)" 1

check_done
