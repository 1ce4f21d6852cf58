#!/bin/bash
# string2key.sh - `orthrus string2key` prints the RFC 3962 Appendix B and
# RFC 8009 Appendix A string-to-key vectors, and refuses bad arguments
# with exit status 2 and one line on stderr.
set -u
: "${ORTHRUS:?ORTHRUS must name the built orthrus binary}"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect NAME WANT PASSWORD-PRINTF ARGS...: the key printed must be WANT.
expect() {
	local name=$1 want=$2 pw=$3
	shift 3
	local got
	got=$(printf "$pw" | "$ORTHRUS" string2key "$@" 2>"$tmp/err")
	local rc=$?
	if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
		echo "FAIL $name: rc=$rc got '$got' want '$want'" >&2
		cat "$tmp/err" >&2
		fail=1
	else
		echo "ok   $name"
	fi
}

# bad NAME ARGS...: exit status 2, nothing on stdout, one line on stderr.
bad() {
	local name=$1
	shift
	local out
	out=$(printf password | "$ORTHRUS" string2key "$@" 2>"$tmp/err")
	local rc=$?
	if [ "$rc" -ne 2 ] || [ -n "$out" ] || [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		echo "FAIL bad args $name: rc=$rc stdout '$out'" >&2
		cat "$tmp/err" >&2
		fail=1
	else
		echo "ok   bad args $name: $(cat "$tmp/err")"
	fi
}

A=ATHENA.MIT.EDUraeburn
# RFC 3962 Appendix B, iteration count 1 and 1200.
expect aes128-sha1-iter1 42263c6e89f4fc28b8df68ee09799f15 password \
	--enctype aes128-cts-hmac-sha1-96 --salt "$A" --iterations 1
expect aes256-sha1-iter1 \
	fe697b52bc0d3ce14432ba036a92e65bbb52280990a2fa27883998d72af30161 \
	password --enctype aes256-cts-hmac-sha1-96 --salt "$A" --iterations 1
expect aes128-sha1-iter1200 4c01cd46d632d01e6dbe230a01ed642a password \
	--enctype aes128-cts --salt "$A" --iterations=1200
expect aes256-sha1-binary-salt \
	97a4e786be20d81a382d5ebc96d5909cabcdadc87ca48f574504159f16c36e31 \
	password --enctype 18 --salt-hex 1234567878563412 --iterations 5
# The trailing newline of `echo` is not part of the password.
expect newline-stripped 42263c6e89f4fc28b8df68ee09799f15 'password\n' \
	--enctype aes128-cts-hmac-sha1-96 --salt "$A" --iterations 1
# The default salt of raeburn@ATHENA.MIT.EDU is ATHENA.MIT.EDUraeburn.
expect principal-salt 42263c6e89f4fc28b8df68ee09799f15 password \
	--enctype aes128-cts-hmac-sha1-96 --principal raeburn@ATHENA.MIT.EDU \
	--iterations 1
expect principal-escaped-salt "$(printf password | "$ORTHRUS" string2key \
	--enctype 17 --salt 'EXAMPLE.COMhostkdc/x' --iterations 2)" password \
	--enctype 17 --principal 'host/kdc\/x@EXAMPLE.COM' --iterations 2

# RFC 8009 Appendix A: salt 10DF9DD7...5F61 || "ATHENA.MIT.EDUraeburn",
# 32768 iterations (given, and as the default).
S8=10df9dd783e5bc8acea1730e74355f61$(printf %s "$A" | od -An -tx1 | tr -d ' \n')
expect aes128-sha2 089bca48b105ea6ea77ca5d2f39dc5e7 password \
	--enctype aes128-cts-hmac-sha256-128 --salt-hex "$S8" --iterations 32768
expect aes256-sha2 \
	45bd806dbf6a833a9cffc1c94589a222367a79bc21c413718906e9f578a78467 \
	password --enctype aes256-cts-hmac-sha384-192 --salt-hex "$S8" \
	--iterations 32768
expect aes128-sha2-default-iter 089bca48b105ea6ea77ca5d2f39dc5e7 password \
	--enctype aes128-sha2 --salt-hex "$S8"

bad unknown-enctype --enctype des-cbc-crc --salt x --iterations 1
bad no-enctype --salt x --iterations 1
bad no-salt --enctype aes128-cts
bad two-salts --enctype aes128-cts --salt x --salt-hex 00
bad salt-and-principal --enctype aes128-cts --salt x --principal a@B
bad odd-hex --enctype aes128-cts --salt-hex abc
bad non-hex --enctype aes128-cts --salt-hex zz
bad iterations-0 --enctype aes128-cts --salt x --iterations 0
bad iterations-big --enctype aes128-cts --salt x --iterations 16777217
bad iterations-text --enctype aes128-cts --salt x --iterations 12ab
bad principal-no-realm --enctype aes128-cts --principal user
bad principal-two-realms --enctype aes128-cts --principal 'a@B@C'
bad missing-value --enctype
bad unknown-option --enctype aes128-cts --salt x --frobnicate

# --help succeeds and documents the output format.
if ! "$ORTHRUS" string2key --help | grep -q 'lowercase'; then
	echo "FAIL --help" >&2
	fail=1
fi

exit $fail
