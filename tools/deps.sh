#!/bin/sh
# Install, from Debian packages and only when missing, everything the build
# and the tests need.  Non-interactive: Debian's krb5-config would otherwise
# ask for a default realm.
set -eu
PKGS="build-essential pkg-config meson ninja-build python3 libssl-dev
liblmdb-dev lmdb-utils libsodium-dev clang libclang-rt-14-dev krb5-user krb5-kdc
krb5-admin-server libkrb5-dev python3-gssapi tshark valgrind
libkrb5-26-heimdal libkadm5clnt7-heimdal libkadm5srv8-heimdal libkafs0-heimdal
libotp0-heimdal libsl0-heimdal libgssapi3-heimdal libhdb9-heimdal
libheimntlm0-heimdal libedit2
man-db groff-base systemd strace
libmicrohttpd-dev prometheus faketime
slapd ldap-utils krb5-kdc-ldap libldap-dev"
# Heimdal's clients (tests/interop/kdc_heimdal_clients.sh) are unpacked, not
# installed: Debian's heimdal-clients conflicts with krb5-user and would
# remove MIT's tools.  Their libraries above are ordinary packages.
HEIMDAL_DIR=${HEIMDAL_DIR:-/opt/heimdal-clients}
HEIMDAL_TOOLS="kinit.heimdal heimtools kgetcred kdestroy.heimdal"
heimdal_present() {
	for t in $HEIMDAL_TOOLS; do
		[ -x "$HEIMDAL_DIR/usr/bin/$t" ] || return 1
	done
}
# A failure here is not fatal to `make deps` (everything else still works),
# but it is loud: tests/interop/kdc_heimdal_clients.sh then fails, it never
# skips.
heimdal_fail() {
	echo "make deps: ERROR: $1" >&2
	echo "make deps: ERROR: Heimdal's clients are not in $HEIMDAL_DIR/usr/bin:" \
		"tests/interop/kdc_heimdal_clients.sh will FAIL" >&2
	[ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/    /' "$2" >&2
	return 0
}
heimdal_unpack() {
	heimdal_present && return 0
	echo "make deps: unpacking heimdal-clients into $HEIMDAL_DIR" >&2
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	# A fresh machine may have no package lists yet: update once and retry.
	if ! (cd "$tmp" && apt-get download heimdal-clients) >"$tmp/log" 2>&1; then
		$SUDO apt-get update -q >"$tmp/log" 2>&1 || true
		if ! (cd "$tmp" && apt-get download heimdal-clients) >>"$tmp/log" 2>&1; then
			heimdal_fail "apt-get download heimdal-clients failed" "$tmp/log"
			rm -rf "$tmp"
			return 0
		fi
	fi
	if ! { $SUDO mkdir -p "$HEIMDAL_DIR" &&
		$SUDO dpkg-deb -x "$tmp"/heimdal-clients_*.deb "$HEIMDAL_DIR"; } >"$tmp/log" 2>&1; then
		heimdal_fail "dpkg-deb -x of heimdal-clients into $HEIMDAL_DIR failed" "$tmp/log"
	elif ! heimdal_present; then
		heimdal_fail "the heimdal-clients package lacks one of: $HEIMDAL_TOOLS"
	fi
	rm -rf "$tmp"
}

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ -z "$missing" ]; then
	heimdal_unpack
	exit 0
fi

echo "make deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
# slapd: no system directory (the tests start their own slapd processes,
# tests/interop/lib/slapd.sh); without this its postinst makes one and
# starts it on port 389.
echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
heimdal_unpack
