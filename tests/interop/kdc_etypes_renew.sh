#!/bin/bash
# Which keys and flags the Orthrus KDC gives, as MIT's client tools (Debian
# krb5-user) see them:
#   1. the ticket is sealed in the server's strongest key; the client's
#      default_tkt_enctypes choose only the session key (klist -e)
#   2. kinit -l 10h -r 10h: RENEWABLE honoured with renew-till = end time,
#      and the service tickets from that TGT are renewable too
#   3. after set-password --enctypes aes256-cts-hmac-sha384-192 the old
#      password no longer works, though its key set is kept
#   4. delete + add with a new password while the KDC runs: the new
#      password works and the old one fails at once (one worker, so one
#      key cache sees every request)
# The unit test tests/unit/kdc/test_kdc_keys.c checks the same in process,
# including requests MIT's kinit never sends (a PA-ENC-TIMESTAMP in an
# enctype only the old key set has).
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/orthkdc.sh"

REALM=TEST.REALM
SVC=host/svc.test.realm
BADPW="Password incorrect while getting initial credentials"
trap 'orthkdc_stop; rm -f "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC

orthkdc_start $REALM || exit 1
# One worker: the key cache checks of part 4 must meet the worker that
# cached the old key.  The first KDC is stopped like the last one: its exit
# status and its log are checked (KEEP_TMP: the realm stays for the next).
KEEP_TMP=1 orthkdc_stop || exit 1
ORTH_KDC_ARGS="--workers 1" orthkdc_run || exit 1

add() { # add NAME PASSWORD [ARGS...]
	local n=$1 pw=$2; shift 2
	echo "$pw" | orth_admin add "$n" --password-stdin "$@" >/dev/null ||
		{ echo "cannot add $n" >&2; exit 1; }
}
k() { # k PRINCIPAL PASSWORD [KINIT ARGS...]
	local n=$1 pw=$2; shift 2
	echo "$pw" | kinit "$@" "$n"
}
# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: '$3', expected '$2'"; fi
}
# "session, ticket" enctypes of the ticket for service $1 in klist -e
etypes_of() {
	klist -e 2>/dev/null | grep -A2 -F " $1@$REALM" |
		sed -n 's/^.*Etype (skey, tkt): //p' | head -1 | sed 's/[[:space:]]*$//'
}
# the flags of the ticket for service $1 in klist -f
flags_of() {
	klist -f 2>/dev/null | grep -A2 -F " $1@$REALM" | sed -n 's/^.*Flags: //p' |
		head -1
}

add alice alice-Pa55 --requires-preauth
orth_admin add $SVC --random-key >/dev/null || exit 1

# 1. MIT's KDC gives "aes128, aes256" here; the ticket used to follow the
# client's list ("aes128, aes128").
# (default_tgs_enctypes is the list of MIT's TGS requests)
sed 's/^\[libdefaults\]$/&\n\tdefault_tkt_enctypes = aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96\n\tdefault_tgs_enctypes = aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha1-96/' \
	"$KRB5_CONFIG" >"$ORTH_DIR/krb5-aes128.conf"
KRB5_CONFIG=$ORTH_DIR/krb5-aes128.conf k alice alice-Pa55 >/dev/null 2>&1
expect_eq "aes128-first client: TGT (session, ticket)" \
	"aes128-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96" "$(etypes_of krbtgt/$REALM)"
KRB5_CONFIG=$ORTH_DIR/krb5-aes128.conf kvno $SVC >/dev/null 2>&1
expect_eq "aes128-first client: service ticket (session, ticket)" \
	"aes128-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96" "$(etypes_of $SVC)"
kdestroy >/dev/null 2>&1
k alice alice-Pa55 >/dev/null 2>&1
expect_eq "default client: TGT (session, ticket)" \
	"aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96" "$(etypes_of krbtgt/$REALM)"

# 2. kinit -l 10h -r 10h: MIT's KDC gives RIA; RENEWABLE used to be
# dropped (IA) because renew-till was not after the end time.
kdestroy >/dev/null 2>&1
expect_ok "kinit -l 10h -r 10h" k alice alice-Pa55 -l 10h -r 10h
expect_eq "kinit -l 10h -r 10h: TGT flags" "RIA" "$(flags_of krbtgt/$REALM)"
klist >"$ORTH_DIR/klist.out" 2>&1
end=$(grep -F " krbtgt/$REALM@$REALM" "$ORTH_DIR/klist.out" | awk '{print $3, $4}')
till=$(sed -n 's/^[[:space:]]*renew until //p' "$ORTH_DIR/klist.out" | head -1)
expect_eq "renew until = expires" "$end" "$till"
expect_ok "kvno with that TGT" kvno $SVC
expect_eq "service ticket from it: flags" "RA" "$(flags_of $SVC)"
expect_ok "kinit -R renews it" kinit -R

# 3. set-password --enctypes aes256-cts-hmac-sha384-192 keeps the old
# aes256-sha1 key set (for tickets), but the old password is refused.
add erin old-Pa55 --requires-preauth
expect_ok "erin's old password before the change" k erin old-Pa55
echo new-Pa55 | orth_admin set-password erin --password-stdin \
	--enctypes aes256-cts-hmac-sha384-192 >/dev/null || exit 1
orth_admin get erin >"$ORTH_DIR/get.out" 2>&1
expect_grep "the old key set is kept" "Key: kvno 1, aes256-cts-hmac-sha1-96" "$ORTH_DIR/get.out"
expect_fail "old password after set-password --enctypes 20" "$BADPW" k erin old-Pa55
expect_grep "KDC log: old password refused with 24" \
	'client=erin@TEST.REALM.*error=KDC_ERR_PREAUTH_FAILED reason="[^"]* does not decrypt"' "$ORTH_DIR/kdc.log"
expect_ok "new password" k erin new-Pa55

# 4. delete + add under the same kvno 1 with a new password, the KDC
# running: the next requests see the new key (the cache used to serve the
# old one for 60 s).
add frank first-Pa55 --requires-preauth
expect_ok "frank's first password" k frank first-Pa55
orth_admin delete frank >/dev/null || exit 1
add frank second-Pa55 --requires-preauth
expect_ok "new password right after delete + add" k frank second-Pa55
expect_fail "old password right after delete + add" "$BADPW" k frank first-Pa55
# (MIT's kinit answers with SPAKE, on by default, or the timestamp)
expect_eq "KDC log: frank's last request" \
	'error=KDC_ERR_PREAUTH_FAILED reason="SPAKE response does not decrypt"' \
	"$(grep -F 'client=frank@' "$ORTH_DIR/kdc.log" | tail -1 | grep -o 'error=KDC_ERR_PREAUTH_FAILED reason="[^"]*"')"

check_done
