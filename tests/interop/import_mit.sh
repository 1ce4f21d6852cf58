#!/bin/bash
# Migration from MIT (issue 13): an MIT realm made with kadmin.local (users
# with several enctypes and salts, policies, a user locked out by MIT's own
# KDC, a disabled one, one whose keys are all of enctypes we do not
# support), dumped with `kdb5_util dump`, imported with `orthrus admin
# import-mit DUMP --mit-stash STASH`; then MIT's kinit logs in against
# Orthrus with the same passwords, the locked user stays locked until
# `orthrus admin unlock`, the policies and the password history arrived, a
# service ticket decrypts with MIT's keytab, and a TGT that MIT's KDC
# issued before the move is still good at Orthrus's TGS (krbtgt's key came
# along).  The summary names what was not imported.  Everything MIT reads
# comes from generated files in a temp dir (lib/mitkdc.sh), never /etc.
set -u
here=$(dirname "$0")
. "$here/lib/check.sh"
. "$here/lib/mitkdc.sh"
. "$here/lib/orthkdc.sh"

mitkdc_available || { echo "import_mit: MIT's KDC programs are not installed" >&2; exit 1; }
REALM=MIGRATE.TEST
T=$(mktemp -d /tmp/import_mit.XXXXXX)
trap 'orthkdc_stop; mitkdc_stop; rm -rf "$T" "$CHECK_OUT"' EXIT
export LC_ALL=C TZ=UTC
k() { echo "$2" | kinit "$1" >/dev/null; }

# 1. The MIT realm.  Several enctypes: four AES ones we support, Camellia
# and RC4 we do not.
export MITKDC_ENCTYPES="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal camellia256-cts-cmac:normal arcfour-hmac:normal"
export MITKDC_FLAGS=+preauth
mitkdc_start $REALM || exit 1
mk() { mitkdc_kadmin "$@" || exit 1; }
mk "addpol -minlength 8 -minclasses 2 -history 3 -maxfailure 3 -failurecountinterval 0 -lockoutduration 0 -maxlife 300d strict"
mk "addpol -allowedkeysalts aes256-cts-hmac-sha1-96:normal,camellia256-cts-cmac:normal aesonly"
mk "addprinc -pw Alice-first1 -policy strict alice"
mk "cpw -pw Alice-second2 alice"
mk "setstr alice session_enctypes aes256-cts-hmac-sha1-96"
mk "addprinc -pw bob-Pa55 -e aes128-cts-hmac-sha1-96:normal,aes256-cts-hmac-sha384-192:normal bob"
mk "addprinc -pw carol-Pa55 -maxlife 4h -maxrenewlife 2d -expire 2031-01-01 -pwexpire 2030-06-01 carol"
mk "addprinc -pw Dave-pass1 -policy strict dave"
mk "addprinc -pw erin-Pa55 -e arcfour-hmac:normal,camellia256-cts-cmac:normal erin"
mk "addprinc -pw frank-Pa55 -e aes256-cts-hmac-sha1-96:onlyrealm,aes128-cts-hmac-sha1-96:norealm frank"
mk "addprinc -pw judy-Pa55 -e aes256-cts-hmac-sha1-96:special judy"
mk "addprinc -pw gina-Pa55 -allow_tix gina"
mk "addprinc -pw hank-Pa55 -policy aesonly hank"
mk "addprinc -randkey +ok_as_delegate -allow_forwardable host/srv.migrate.test"
mk "ktadd -norandkey -k $T/host.keytab host/srv.migrate.test"

# dave is locked out by MIT's KDC: three wrong passwords (maxfailure 3,
# lockoutduration 0: until an administrator unlocks him)
for i in 1 2 3; do k dave wrong-$i 2>/dev/null; done
expect_fail "MIT: dave is locked after three failures" "revoked" k dave Dave-pass1
# a TGT from MIT's KDC, kept to be used at Orthrus's TGS after the move
expect_ok "MIT: kinit bob" k bob bob-Pa55
cp "$MIT_DIR/ccache" "$T/mit-tgt.ccache"

"$MITKDC_SBIN/kdb5_util" -r $REALM dump "$T/mit.dump" || { fail "kdb5_util dump"; exit 1; }
cp "$MIT_DIR/stash" "$T/mit.stash"
expect_grep "the dump is of the current format" "^kdb5_util load_dump version 7$" "$T/mit.dump"
expect_grep "MIT: host's attributes: ok-as-delegate, disallow-forwardable" "^princ	.*	host/srv.migrate.test@$REALM	1048578	" "$T/mit.dump"
expect_grep "MIT counted dave's failures" "^princ	[0-9]*	[0-9]*	[0-9]*	[0-9]*	0	dave@$REALM	[0-9]*	[0-9]*	[0-9]*	[0-9]*	[0-9]*	[0-9]*	[0-9]*	3	" "$T/mit.dump"
mitkdc_stop

# 2. The Orthrus realm: init, then import (a dry run first)
ORTH_DIR=$(mktemp -d /tmp/orthkdc.XXXXXX)
ORTH_PORT=$(free_port)
orthkdc_write_conf $REALM "$ORTH_PORT"
export ORTH_DIR ORTH_PORT ORTHRUS_CONFIG=$ORTH_DIR/kdc.conf KRB5_CONFIG=$ORTH_DIR/krb5.conf
export KRB5CCNAME=FILE:$ORTH_DIR/ccache
unset KRB5_KDC_PROFILE
orth_admin init </dev/null >/dev/null || exit 1
orth_admin list >"$T/list0"
expect_ok "import-mit --dry-run" orth_admin import-mit "$T/mit.dump" --mit-stash "$T/mit.stash" --dry-run
expect_grep "the dry run says so" "dry run: nothing written" "$CHECK_OUT"
orth_admin list >"$T/list1"
cmp -s "$T/list0" "$T/list1" && pass "the dry run wrote nothing" || fail "the dry run changed the database"
expect_fail "import-mit without the stash" "need DUMPFILE" orth_admin import-mit "$T/mit.dump"

expect_ok "import-mit" orth_admin import-mit "$T/mit.dump" --mit-stash "$T/mit.stash"
cp "$CHECK_OUT" "$T/summary"
cat "$T/summary" | sed 's/^/    | /'
expect_grep "summary: principals and policies" "^imported 13 principals and 2 policies from .* (MIT dump version 7) into realm $REALM$" "$T/summary"
expect_grep "summary: the master key verified" "^master key: aes256-cts-hmac-sha1-96 kvno 1, verified against K/M$" "$T/summary"
expect_grep "summary: the unsupported enctypes and their keys" "^keys not imported, of enctypes Orthrus does not support: .*camellia256-cts-cmac [0-9]" "$T/summary"
expect_grep "summary: RC4 too" "^keys not imported, .*arcfour-hmac [0-9]" "$T/summary"
expect_grep "summary: who is left without a key" "^  erin@$REALM (only keys of unsupported enctypes)$" "$T/summary"
expect_grep "summary: K/M skipped" "^  K/M@$REALM: MIT's master key" "$T/summary"
expect_grep "summary: kadmin/history skipped" "^  kadmin/history@$REALM: MIT's password history key" "$T/summary"
expect_grep "summary: init's principals replaced by MIT's" "^  krbtgt/$REALM@$REALM$" "$T/summary"
expect_grep "summary: the string attribute not imported" "alice@$REALM: string attribute session_enctypes=aes256-cts-hmac-sha1-96 not imported" "$T/summary"
expect_grep "summary: the policy's Camellia left out" "policy aesonly: allowed_keysalts names camellia256-cts-cmac, which Orthrus does not support" "$T/summary"
expect_grep "summary: password history" "^password history: 1 earlier password of 1 principal$" "$T/summary"
expect_ok "verify after the import" orth_admin verify
grep -q "unbound\|not bound" "$CHECK_OUT" && fail "imported keys are not bound" || pass "every imported key is bound to its principal"

# what arrived
orth_admin get alice >"$T/alice"
expect_grep "alice: her policy" "^Policy: strict$" "$T/alice"
expect_grep "alice: kvno 2 (her second password)" "^Key: kvno 2, aes256-cts-hmac-sha1-96, salt normal \"${REALM}alice\"$" "$T/alice"
grep -q "camellia\|arcfour" "$T/alice" && fail "alice has keys of unsupported enctypes" || pass "alice: only supported keys"
expect_grep "alice: her history" "^Password history: 1 keys$" "$T/alice"
orth_admin get carol >"$T/carol"
expect_grep "carol: max life" "^Max life: 14400$" "$T/carol"
expect_grep "carol: max renewable life" "^Max renewable life: 172800$" "$T/carol"
expect_grep "carol: expiry" "^Expires: 2031-01-01T00:00:00Z$" "$T/carol"
expect_grep "carol: password expiry" "^Password expires: 2030-06-01T00:00:00Z$" "$T/carol"
orth_admin get host/srv.migrate.test >"$T/host"
expect_grep "host: attributes (MIT's 0x100002)" "^Attributes: disallow-forwardable,ok-as-delegate$" "$T/host"
orth_admin get gina >"$T/gina"
expect_grep "gina: disabled" "^Attributes: .*disallow-all-tix" "$T/gina"
orth_admin get frank >"$T/frank"
expect_grep "frank: onlyrealm salt" "^Key: kvno 1, aes256-cts-hmac-sha1-96, salt onlyrealm \"$REALM\"$" "$T/frank"
expect_grep "frank: norealm salt" "^Key: kvno 1, aes128-cts-hmac-sha1-96, salt norealm \"frank\"$" "$T/frank"
orth_admin get judy >"$T/judy"
expect_grep "judy: the special salt" "^Key: kvno 1, aes256-cts-hmac-sha1-96, salt special \"" "$T/judy"
orth_admin get dave >"$T/dave"
expect_grep "dave: the failures counted by MIT" "^Failed password attempts: 3$" "$T/dave"
expect_grep "dave: locked" "^Lock: locked" "$T/dave"
orth_admin policy get strict >"$T/strict"
for l in "Maximum password life: 300d" "Minimum password length: 8" \
	"Minimum number of password character classes: 2" "Number of old keys kept: 3" \
	"Maximum password failures before lockout: 3" "Password lockout duration: 0"; do
	expect_grep "policy strict: $l" "^$l" "$T/strict"
done
orth_admin policy get aesonly >"$T/aesonly"
expect_grep "policy aesonly: AES only" "^Allowed key/salt types: aes256-cts-hmac-sha1-96:normal$" "$T/aesonly"

# 3. MIT's kinit against Orthrus, with the passwords set at MIT
orthkdc_run || exit 1
expect_ok "kinit alice with her current password" k alice Alice-second2
expect_fail "kinit alice with her earlier password" "Password incorrect\|Preauthentication failed" k alice Alice-first1
expect_ok "kinit bob (AES-SHA1 and AES-SHA2 keys only)" k bob bob-Pa55
expect_ok "kinit carol" k carol carol-Pa55
expect_ok "kinit frank (onlyrealm and norealm salts)" k frank frank-Pa55
expect_ok "kinit hank" k hank hank-Pa55
expect_ok "kinit judy (a special salt, MIT's random one)" k judy judy-Pa55
expect_fail "kinit erin: no supported key" "not found\|KDC has no support\|no support for encryption type\|Key table entry not found\|not found in Kerberos database\|encryption type" k erin erin-Pa55
expect_fail "kinit gina (disabled at MIT) refused" "revoked" k gina gina-Pa55
expect_fail "kinit dave (locked at MIT) refused with his password" "revoked" k dave Dave-pass1
expect_ok "orthrus admin unlock dave" orth_admin unlock dave
expect_ok "kinit dave after the unlock" k dave Dave-pass1
# a service ticket that MIT's keytab of the service decrypts
expect_ok "kinit alice" k alice Alice-second2
expect_ok "kvno host/srv checked against MIT's keytab" kvno -k "$T/host.keytab" host/srv.migrate.test
# the TGT MIT's KDC issued before the move, at Orthrus's TGS
expect_ok "kvno with a TGT issued by MIT's KDC" env KRB5CCNAME=FILE:$T/mit-tgt.ccache kvno host/srv.migrate.test
# the history arrived: the earlier password is refused
expect_fail "set-password alice to her earlier password" "used before" \
	bash -c "echo Alice-first1 | '$ORTHRUS' admin -c '$ORTHRUS_CONFIG' set-password alice --password-stdin"

# 4. refusals: nothing imported
orth_admin dump "$T/before" >/dev/null
head -c 4000 "$T/mit.dump" >"$T/cut.dump"
expect_fail "a cut dump" "the last line is cut (the dump is incomplete); nothing was imported" \
	orth_admin import-mit "$T/cut.dump" --mit-stash "$T/mit.stash"
# one bit of bob's first key flipped, after its length prefix
/usr/bin/python3 - "$T/mit.dump" "$T/bad.dump" "bob@$REALM" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
for i, l in enumerate(lines):
    t = l.split("\t")
    if len(t) > 6 and t[0] == "princ" and t[6] == sys.argv[3]:
        j = t.index("17")  # the first key: enctype, length, contents
        h = t[j + 2]
        t[j + 2] = h[:8] + "%02x" % (int(h[8:10], 16) ^ 1) + h[10:]
        lines[i] = "\t".join(t)
open(sys.argv[2], "w").write("\n".join(lines))
PY
cmp -s "$T/mit.dump" "$T/bad.dump" && fail "the damaged dump is not damaged"
expect_fail "a damaged key" "of bob@$REALM: does not unseal with the stash's master key; nothing was imported" \
	orth_admin import-mit "$T/bad.dump" --mit-stash "$T/mit.stash"
head -c 70 /dev/urandom >"$T/other.stash"
printf '\022\000\040\000\000\000' >"$T/legacy-wrong.stash"; head -c 32 /dev/urandom >>"$T/legacy-wrong.stash"
expect_fail "another realm's stash (older stash format)" "does not hold this dump's master key" \
	orth_admin import-mit "$T/mit.dump" --mit-stash "$T/legacy-wrong.stash"
expect_fail "not a stash" "not an MIT stash" orth_admin import-mit "$T/mit.dump" --mit-stash "$T/other.stash"
expect_fail "not a dump" "not a kdb5_util dump" orth_admin import-mit "$T/before" --mit-stash "$T/mit.stash"
sed '1s/.*/kdb5_util load_dump version 4/' "$T/mit.dump" >"$T/old.dump"
expect_fail "an old dump format" "old or special format" orth_admin import-mit "$T/old.dump" --mit-stash "$T/mit.stash"
orth_admin dump "$T/after" >/dev/null
cmp -s "$T/before" "$T/after" && pass "the refused imports changed nothing" || fail "a refused import changed the database"
# the same stash in MIT's older format (enctype, length, key) works
/usr/bin/python3 - "$T/mit.stash" "$T/legacy.stash" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:2] == b"\x05\x02"
p = 6
ncomp = struct.unpack(">H", b[p:p + 2])[0]; p += 2
for _ in range(ncomp + 1):
    n = struct.unpack(">H", b[p:p + 2])[0]; p += 2 + n
p += 4 + 4 + 1
et, kl = struct.unpack(">HH", b[p:p + 4]); p += 4
open(sys.argv[2], "wb").write(struct.pack("<HI", et, kl) + b[p:p + kl])
PY
expect_ok "the older stash format" orth_admin import-mit "$T/mit.dump" --mit-stash "$T/legacy.stash" --dry-run
# another realm
sed "s/$REALM/MIGRATE.TEXT/g" "$T/mit.dump" >"$T/other.dump"
expect_fail "a dump of another realm" "a dump of realm MIGRATE.TEXT, the database is of realm $REALM" \
	orth_admin import-mit "$T/other.dump" --mit-stash "$T/mit.stash"

# 5. A realm with a triple-DES master key (what old MIT realms have) is
# refused, with the way out; after MIT's own re-keying (add_mkey,
# use_mkey, update_princ_encryption) the stash holds both master keys, the
# principals say which seals them (MKVNO), and the import goes through.
MIT_DIR=$(mktemp -d /tmp/mitkdc.XXXXXX)
mitkdc_write_conf $REALM 1
sed -i 's/master_key_type = aes256-cts-hmac-sha1-96/master_key_type = des3-cbc-sha1/' "$MIT_DIR/kdc.conf"
mit() { env KRB5_CONFIG="$MIT_DIR/krb5.conf" KRB5_KDC_PROFILE="$MIT_DIR/kdc.conf" "$@"; }
mit "$MITKDC_SBIN/kdb5_util" -r $REALM create -s -P des3-master >/dev/null 2>&1 || { fail "kdb5_util create (des3)"; exit 1; }
mit "$MITKDC_SBIN/kadmin.local" -r $REALM -q "addprinc -pw zed-Pa55 zed" >/dev/null 2>&1
mit "$MITKDC_SBIN/kdb5_util" -r $REALM dump "$T/des3.dump"
expect_fail "a triple-DES master key is refused, with the way out" \
	"MIT's master key is des3-cbc-sha1, which Orthrus does not support: give the MIT realm an AES master key first" \
	orth_admin import-mit "$T/des3.dump" --mit-stash "$MIT_DIR/stash"
mit /usr/bin/python3 "$here/lib/ptydrive.py" "master key:" new-aes-master "verify:" new-aes-master -- \
	"$MITKDC_SBIN/kdb5_util" -r $REALM add_mkey -e aes256-cts-hmac-sha1-96 -s >/dev/null 2>&1
mit "$MITKDC_SBIN/kdb5_util" -r $REALM use_mkey 2 >/dev/null 2>&1
mit "$MITKDC_SBIN/kdb5_util" -r $REALM update_princ_encryption -f >/dev/null 2>&1
mit "$MITKDC_SBIN/kdb5_util" -r $REALM dump "$T/rekeyed.dump"
expect_grep "MIT: zed re-sealed under master key 2" "^princ	.*	zed@$REALM	.*	8	2	0200	" "$T/rekeyed.dump"
expect_ok "the re-keyed realm imports" orth_admin import-mit "$T/rekeyed.dump" --mit-stash "$MIT_DIR/stash"
expect_grep "with MIT's master key 2" "^master key: aes256-cts-hmac-sha1-96 kvno 2, verified against K/M$" "$CHECK_OUT"
expect_ok "kinit zed" k zed zed-Pa55
rm -rf "$MIT_DIR"
MIT_DIR=

# 6. the progress bar: on a terminal only
orth_admin import-mit "$T/mit.dump" --mit-stash "$T/mit.stash" --dry-run 2>"$T/err" >/dev/null
[ -s "$T/err" ] && fail "output on stderr when it is not a terminal: $(cat "$T/err")" ||
	pass "no progress bar when stderr is not a terminal"
/usr/bin/python3 "$here/lib/ptydrive.py" -- "$ORTHRUS" admin -c "$ORTHRUS_CONFIG" import-mit \
	"$T/mit.dump" --mit-stash "$T/mit.stash" --dry-run >"$T/tty" 2>&1
expect_grep "a progress bar on a terminal" "import-mit: importing \[#*\] 100%" "$T/tty"
check_done
