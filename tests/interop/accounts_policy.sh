#!/bin/bash
# Password policies through `orthrus admin`: policy add/modify/delete/get/
# list with MIT's fields, a principal's policy must exist, the reasons a
# refused password gets (the same account_password_change() kpasswd
# calls), history, expiry, allowed enctypes, the minimum life that an
# administrator's set-password ignores, dump/load/verify carrying policies.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/admin_lib.sh"
T=$(mktemp -d /tmp/accounts_policy.XXXXXX)
trap 'rm -rf "$T" "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC
mkdir "$T/a" "$T/b"
admin_realm "$T/a"
adm init >/dev/null || exit 1
A=alice@$REALM

# json FIELD: a number from `adm get alice --json`
json() { adm get alice --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# 1. policies: MIT's fields, names and labels
expect_ok "policy add" adm policy add strict --minlength 12 --minclasses 3 --history 3 \
	--maxlife 90d --minlife 1h --maxfailure 5 --failurecountinterval 5m --lockoutduration 10m
adm policy get strict >"$T/pol" 2>&1
for l in "Policy: strict" "Maximum password life: 90d" "Minimum password life: 1h" \
	"Minimum password length: 12" "Minimum number of password character classes: 3" \
	"Number of old keys kept: 3" "Maximum password failures before lockout: 5" \
	"Password failure count reset interval: 5m" "Password lockout duration: 10m" \
	"Allowed key/salt types: (any)"; do
	expect_grep "policy get: $l" "^$l\$" "$T/pol"
done
adm policy get strict --json >"$T/pol.json"
expect_grep "policy get --json: MIT's field names" '"pw_max_life":7776000,"pw_min_life":3600,"pw_min_length":12,"pw_min_classes":3,"pw_history_num":3,"pw_max_fail":5,"pw_failcnt_interval":300,"pw_lockout_duration":600' "$T/pol.json"
expect_fail "policy add of an existing policy" "policy strict already exists" adm policy add strict
expect_fail "policy modify of a missing policy" "policy nope does not exist" adm policy modify nope --minlength 3
expect_fail "policy get of a missing policy" "policy nope does not exist" adm policy get nope
expect_fail "six character classes" "bad value '6' for --minclasses" adm policy add six --minclasses 6
expect_fail "a negative length" "bad value" adm policy add neg --minlength -1
expect_fail "a bad duration" "bad duration" adm policy add dur --maxlife soon
expect_fail "a policy name with a space" "bad policy name" adm policy add "two words"
expect_fail "an unknown enctype" "unknown or unsupported enctype" adm policy add et --allowedkeysalts des-cbc-crc
expect_ok "policy modify" adm policy modify strict --minlife 2h
expect_grep "modify kept the other fields" "Minimum password length: 12" <(adm policy get strict)
expect_grep "modify changed minlife" "Minimum password life: 2h" <(adm policy get strict)
adm policy add loose >/dev/null
adm policy add aes256only --allowedkeysalts aes256-cts-hmac-sha1-96:normal >/dev/null
expect_grep "policy list" "^strict$" <(adm policy list)
[ "$(adm policy list 'l*')" = loose ] && pass "policy list GLOB" || fail "policy list GLOB: $(adm policy list 'l*')"
expect_grep "policy list --json" '^\["aes256only","loose","strict"\]$' <(adm policy list --json)

# 2. a principal's policy must exist
expect_fail "add --policy of a missing policy" "policy nope does not exist" \
	bash -c "echo 'Long-enough-1' | '$ORTHRUS' admin add alice --password-stdin --policy nope"
expect_fail "nothing was added" "does not exist" adm get alice

# 3. the first password obeys the policy too; its expiry is the policy's
expect_fail "add: too short" "add $A: password too short: minimum 12 characters" \
	bash -c "echo 'Short-1' | '$ORTHRUS' admin add alice --password-stdin --policy strict"
expect_ok "add under the policy" bash -c "echo 'Correct-Horse-1' | '$ORTHRUS' admin add alice --password-stdin --policy strict --requires-preauth"
exp=$(json pw_expires); chg=$(json last_pw_change)
[ $((exp - chg)) -eq 7776000 ] && pass "password expires after the policy's maxlife" || fail "pw_expires $exp, last change $chg"

# 4. set-password: each refusal with its reason (what kpasswd's users will
# read); nothing changes on a refusal
sp() { echo "$1" | adm set-password alice; }
expect_fail "set-password: too short" "^orthrus admin: set-password $A: password too short: minimum 12 characters$" sp 'Sh0rt!'
expect_fail "set-password: too simple" "password too simple: characters of at least 3 classes needed (lower case, upper case, digits, punctuation, other), it has 1" sp 'onlylowercaseletters'
echo 'Bob-Pass-1' | adm add bob --password-stdin --policy aes256only >/dev/null
expect_fail "set-password: the principal's name, any case" "set-password bob@$REALM: password may not be the principal's name" \
	bash -c "echo BOB | '$ORTHRUS' admin set-password bob"
expect_fail "set-password: the current password" "password used before: it must differ from the last 3 passwords" sp 'Correct-Horse-1'
[ "$(adm get alice | grep -c '^Key: kvno 2,')" -eq 0 ] && pass "refusals left the keys alone" || fail "refusals changed the keys"
# the minimum life (2h) is the owner's rule: an administrator changes twice
expect_ok "set-password" sp 'Battery-Staple-2'
expect_ok "set-password again at once (admin: no minimum life)" sp 'Third-Password-3'
expect_fail "set-password: two back" "password used before" sp 'Correct-Horse-1'
expect_fail "set-password: one back" "password used before" sp 'Battery-Staple-2'
expect_ok "set-password" sp 'Fourth-Password-4'
expect_ok "three back is allowed again" sp 'Correct-Horse-1'
adm get alice >"$T/get"
expect_grep "get: password history" "^Password history: 2 keys$" "$T/get"
expect_grep "get: lockout state" "^Failed password attempts: 0$" "$T/get"
expect_grep "get: lock" "^Lock: not locked$" "$T/get"
expect_grep "get: last success not recorded" "^Last successful authentication: not recorded$" "$T/get"
expect_grep "set-password printed the kvno" "kvno" <(sp 'Fifth-Password-5')

# 5. allowed enctypes
expect_ok "modify --policy aes256only" adm modify alice --policy aes256only
expect_fail "an enctype the policy does not allow" "enctype aes128-cts-hmac-sha1-96 not allowed by policy aes256only" \
	bash -c "echo 'Sixth-Password-6' | '$ORTHRUS' admin set-password alice --enctypes aes128-cts-hmac-sha1-96"
expect_ok "set-password under aes256only" sp 'Sixth-Password-6'
n=$(adm get alice | grep -c "^Key: kvno $(adm get alice --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["kvno"])'),")
[ "$n" -eq 1 ] && pass "the new key set has the allowed enctype only" || fail "new key set: $n keys"
expect_fail "randkey with a disallowed enctype" "not allowed by policy aes256only" adm randkey alice --enctypes aes128-cts-hmac-sha1-96

# 6. a policy in use cannot go; clearing a policy clears its expiry
expect_fail "modify --policy of a missing policy" "policy nope does not exist" adm modify alice --policy nope
expect_ok "modify --policy strict" adm modify alice --policy strict
[ "$(json pw_expires)" -gt 0 ] && pass "a policy with maxlife dates the password" || fail "no expiry under strict"
expect_fail "policy delete of a policy in use" "policy strict is in use by 1 principal ($A)" adm policy delete strict
expect_ok "modify --clear-policy" adm modify alice --clear-policy
[ "$(json pw_expires)" -eq 0 ] && pass "no policy, no expiry" || fail "expiry left: $(json pw_expires)"
expect_ok "no policy: the same password again" sp 'Sixth-Password-6'
expect_ok "policy delete" adm policy delete loose
expect_fail "deleted" "does not exist" adm policy get loose
adm modify alice --policy strict >/dev/null
expect_ok "unlock with nothing counted" adm unlock alice
expect_grep "unlock says so" "nothing to unlock" "$CHECK_OUT"

# 7. dump / load / verify carry policies
expect_ok "dump" adm dump "$T/d1"
expect_grep "dump is version 3" "^orthrus-dump 3$" "$T/d1"
expect_grep "a policy line names its fields" \
	"^policy strict pw_max_life=7776000 pw_min_life=7200 pw_min_length=12 pw_min_classes=3 pw_history_num=3 pw_max_fail=5 pw_failcnt_interval=300 pw_lockout_duration=600 allowed_enctypes=any$" "$T/d1"
expect_grep "a principal line names its policy" "^principal $A .* policy=strict " "$T/d1"
[ "$(grep -c '^policy ' "$T/d1")" -eq 2 ] && pass "dump has the two policies" || fail "policies in dump: $(grep -c '^policy ' "$T/d1")"
# principals: the three added here and those `admin init` makes (krbtgt,
# kadmin/changepw, kadmin/admin)
NP=$(adm list | wc -l)
expect_grep "dump ends with both counts" "^end $NP 2$" "$T/d1"
cp "$T/a/stash" "$T/b/stash"
admin_realm "$T/b"
expect_ok "load" adm load "$T/d1"
expect_grep "load counted the policies" "2 policies" "$CHECK_OUT"
adm dump "$T/d2" >/dev/null
cmp -s "$T/d1" "$T/d2" && pass "dump, load, dump: byte-identical with policies" || fail "dumps differ"
adm policy get strict >"$T/pol.b"
ORTHRUS_CONFIG=$T/a/kdc.conf adm policy get strict >"$T/pol.a"
cmp -s "$T/pol.a" "$T/pol.b" && pass "loaded policy identical" || fail "loaded policy differs"
expect_ok "verify" adm verify
# a dump whose policy lines are cut (and its count fixed) loads, but verify
# finds the dangling reference
grep -v '^policy ' "$T/d1" | sed "s/^end $NP 2$/end $NP 0/" >"$T/d3"
expect_ok "load without the policies" adm load "$T/d3"
expect_fail "verify: a principal names a missing policy" "$A: policy 'strict': does not exist" adm verify
expect_grep "get says the policy is missing" "^Policy: strict (does not exist)$" <(adm get alice)
sed "s/^end $NP 2$/end $NP 1/" "$T/d1" >"$T/badcount"
expect_fail "a wrong policy count is refused" "nothing was loaded" adm load "$T/badcount"
sed 's/^\(policy strict\) /\1 pw_colour=blue /' "$T/d1" >"$T/badpol"
expect_fail "a policy line with an unknown field is refused" "unknown field 'pw_colour'; nothing was loaded" adm load "$T/badpol"
sed 's/^\(policy strict .*\) pw_min_classes=3 /\1 pw_min_classes=6 /' "$T/d1" >"$T/badpol2"
expect_fail "a policy line out of range is refused" "policy strict: a value out of range; nothing was loaded" adm load "$T/badpol2"
check_done
