#!/bin/sh
# Install, from Debian packages and only when missing, everything the build
# and the tests need.  Non-interactive: Debian's krb5-config would otherwise
# ask for a default realm.
set -eu
PKGS="build-essential pkg-config meson ninja-build python3 libssl-dev
liblmdb-dev lmdb-utils clang libclang-rt-14-dev krb5-user krb5-kdc
libkrb5-dev python3-gssapi tshark valgrind"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "make deps: installing$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
