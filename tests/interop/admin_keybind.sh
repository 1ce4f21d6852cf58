#!/bin/bash
# Keys at rest bound to their principal (issue 14, defect 9).  The attack:
# someone who can write a dump (not the master key) swaps the keys of two
# principals' current key sets, loads it, and logs in as alice with bob's
# password.  Now `load` refuses the dump naming the line and the entry (not
# the stash), nothing is loaded, and MIT's kinit still needs alice's own
# password.  A dump made by the code before binding (record version 2,
# tests/interop/data/legacy_v2, with its stash) still loads and logs in;
# `verify` names its unbound entries, `verify --rebind` binds them
# (history keys too) and a swap in the rebound dump is refused as well.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
T=$(mktemp -d /tmp/admin_keybind.XXXXXX)
trap 'orthkdc_stop; rm -rf "$T" "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC
edit() { /usr/bin/python3 "$here/lib/dumpedit.py" "$@"; }
k() { echo "$2" | kinit "$1"; }

# 1. the swap attack on a database made now
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin --requires-preauth >/dev/null || exit 1
echo 'bob-Pa55' | orth_admin add bob --password-stdin --requires-preauth >/dev/null || exit 1
orth_admin dump "$T/d1" >/dev/null || exit 1
edit swap "$T/d1" alice@$REALM bob@$REALM >"$T/swapped" || exit 1
# alice's line comes first (name order): the load stops there
line=$(grep -n "^principal alice@$REALM " "$T/swapped" | cut -d: -f1)
expect_fail "load of a dump with swapped keys refused" "nothing was loaded" orth_admin load "$T/swapped"
expect_grep "the refusal names the dump's line" "$T/swapped:$line:" "$CHECK_OUT"
expect_grep "the refusal names the entry" "alice@$REALM" "$CHECK_OUT"
grep -qi "master key\|stash" "$CHECK_OUT" && fail "the refusal blames the master key or the stash" ||
	pass "the refusal does not blame the master key or the stash"
expect_fail "kinit alice with bob's password" "Password incorrect\|Preauthentication failed" k alice bob-Pa55
expect_ok "kinit alice with her own password" k alice alice-Pa55
expect_ok "verify" orth_admin verify
grep -q "unbound\|not bound" "$CHECK_OUT" && fail "verify: a new database has unbound keys" ||
	pass "verify: every key of a new database is bound"
orthkdc_stop

# 2. a database loaded from a dump of the code before binding
ORTH_DIR=$(mktemp -d /tmp/orthkdc.XXXXXX)
ORTH_PORT=$(free_port)
orthkdc_write_conf $REALM "$ORTH_PORT"
export ORTH_DIR ORTH_PORT ORTHRUS_CONFIG=$ORTH_DIR/kdc.conf KRB5_CONFIG=$ORTH_DIR/krb5.conf
export KRB5CCNAME=FILE:$ORTH_DIR/ccache
cp "$here/data/legacy_v2/stash" "$ORTH_DIR/stash" && chmod 600 "$ORTH_DIR/stash"
cp "$here/data/legacy_v2/dump" "$T/legacy"
expect_grep "the legacy dump holds version 2 records" "^alice@$REALM 2$" <(edit versions "$T/legacy")
expect_ok "load of a version 2 dump" orth_admin load "$T/legacy"
orthkdc_run || exit 1
expect_ok "kinit with a key sealed the old way" k alice 'alice pw 2'
expect_fail "the old password history is read" "used before" \
	bash -c "echo 'alice pw 1' | '$ORTHRUS' admin -c '$ORTHRUS_CONFIG' set-password alice --password-stdin"
expect_ok "verify of the old records" orth_admin verify
expect_grep "verify names an unbound entry" "alice@$REALM" "$CHECK_OUT"
expect_grep "verify says how to bind" "verify --rebind" "$CHECK_OUT"
expect_ok "verify --rebind" orth_admin verify --rebind
expect_grep "verify --rebind says what it bound" "rebound 6 " "$CHECK_OUT"
expect_ok "verify after --rebind" orth_admin verify
grep -q "alice@$REALM\|--rebind" "$CHECK_OUT" && fail "verify after --rebind still names unbound entries" ||
	pass "verify after --rebind: nothing unbound"
orth_admin dump "$T/rebound" >/dev/null
[ "$(grep -c 'seal=raw' "$T/rebound")" = 0 ] && [ "$(grep -c 'seal=bound' "$T/rebound")" = 6 ] &&
	pass "every record rewritten with bound keys" || fail "records not rewritten: $(grep -o 'seal=[a-z]*' "$T/rebound" | sort | uniq -c)"
expect_ok "kinit after --rebind" k alice 'alice pw 2'
expect_fail "the rebound history is read" "used before" \
	bash -c "echo 'alice pw 1' | '$ORTHRUS' admin -c '$ORTHRUS_CONFIG' set-password alice --password-stdin"
edit swap "$T/rebound" alice@$REALM bob@$REALM >"$T/swapped2" || exit 1
expect_fail "a swap in the rebound dump is refused" "nothing was loaded" orth_admin load "$T/swapped2"
expect_ok "kinit still needs alice's password" k alice 'alice pw 2'
check_done
