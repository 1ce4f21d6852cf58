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
slapd ldap-utils krb5-kdc-ldap libldap-dev libkdc2-heimdal gnuplot-nox openssl"
# Heimdal's clients (tests/interop/kdc_heimdal_clients.sh) and its KDC
# (bench/run.sh) are unpacked, not installed: Debian's heimdal-clients and
# heimdal-kdc conflict with krb5-user/krb5-kdc and would remove MIT's.
# Their libraries above are ordinary packages.
HEIMDAL_DIR=${HEIMDAL_DIR:-/opt/heimdal-clients}
HEIMDAL_TOOLS="usr/bin/kinit.heimdal usr/bin/heimtools usr/bin/kgetcred usr/bin/kdestroy.heimdal"
HEIMDAL_KDC_DIR=${HEIMDAL_KDC_DIR:-/opt/heimdal-kdc}
HEIMDAL_KDC_TOOLS="usr/lib/heimdal-servers/kdc"
present() { # present DIR FILES
	for t in $2; do
		[ -x "$1/$t" ] || return 1
	done
}
# A failure here is not fatal to `make deps` (everything else still works),
# but it is loud: what needs the package then fails, it never skips.
unpack_fail() {
	echo "make deps: ERROR: $1" >&2
	echo "make deps: ERROR: $2 is not in $3: $4 will FAIL" >&2
	[ -n "${5:-}" ] && [ -s "$5" ] && sed 's/^/    /' "$5" >&2
	return 0
}
unpack() { # unpack PACKAGE DIR FILES USER
	present "$2" "$3" && return 0
	echo "make deps: unpacking $1 into $2" >&2
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	# A fresh machine may have no package lists yet: update once and retry.
	if ! (cd "$tmp" && apt-get download "$1") >"$tmp/log" 2>&1; then
		$SUDO apt-get update -q >"$tmp/log" 2>&1 || true
		if ! (cd "$tmp" && apt-get download "$1") >>"$tmp/log" 2>&1; then
			unpack_fail "apt-get download $1 failed" "$1" "$2" "$4" "$tmp/log"
			rm -rf "$tmp"
			return 0
		fi
	fi
	if ! { $SUDO mkdir -p "$2" &&
		$SUDO dpkg-deb -x "$tmp"/"$1"_*.deb "$2"; } >"$tmp/log" 2>&1; then
		unpack_fail "dpkg-deb -x of $1 into $2 failed" "$1" "$2" "$4" "$tmp/log"
	elif ! present "$2" "$3"; then
		unpack_fail "the $1 package lacks one of: $3" "$1" "$2" "$4"
	fi
	rm -rf "$tmp"
}
heimdal_unpack() {
	unpack heimdal-clients "$HEIMDAL_DIR" "$HEIMDAL_TOOLS" tests/interop/kdc_heimdal_clients.sh
	unpack heimdal-kdc "$HEIMDAL_KDC_DIR" "$HEIMDAL_KDC_TOOLS" "make bench"
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
