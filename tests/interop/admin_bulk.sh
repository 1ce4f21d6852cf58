#!/bin/bash
# `orthrus admin bulk-add` (src/cli/admin_bulk.c): many principals with
# random keys, many to a transaction; the keys serve (MIT's kvno gets a
# ticket for one); a taken name stops it with the batches before it kept.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
orthkdc_start $REALM || exit 1
echo 'alice-Pa55' | orth_admin add alice --password-stdin >/dev/null || exit 1

expect_ok "bulk-add 2500 principals, 1000 to a transaction" orth_admin bulk-add svc 2500 --batch 1000
expect_grep "it says what it added" "added 2500 principals svc0 .. svc2499" "$CHECK_OUT"
n=$(orth_admin list 'svc*' | wc -l)
if [ "$n" -eq 2500 ]; then pass "2500 in the database"; else fail "$n svc* principals"; fi
orth_admin get svc1234 >"$ORTH_DIR/get.out" 2>&1
expect_grep "one of them has keys" "aes256-cts-hmac-sha1-96" "$ORTH_DIR/get.out"
echo 'alice-Pa55' | kinit alice >/dev/null 2>&1
expect_ok "MIT's kvno gets a ticket for one of them" kvno svc2001
expect_fail "a taken name stops it" "already exists" orth_admin bulk-add svc 10 --start 2495 --batch 3
n=$(orth_admin list 'svc*' | wc -l)
if [ "$n" -eq 2500 ]; then pass "nothing of the refused batch is written"; else fail "$n svc* principals after the refusal"; fi
expect_ok "the next free numbers go in" orth_admin bulk-add svc 3 --start 2500
expect_fail "COUNT is required" "PREFIX COUNT" orth_admin bulk-add svc
expect_fail "COUNT must be a number" "PREFIX COUNT" orth_admin bulk-add svc many
check_done
