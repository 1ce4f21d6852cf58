#!/bin/sh
# capture-mit-vectors.sh - regenerate tests/vectors/mit/*.hex: real Kerberos
# messages from Debian's MIT krb5 (kinit + kvno against a throwaway krb5kdc on
# a free loopback port), captured with tshark.  Not run by the build; run by
# hand (needs root or capture rights for dumpcap on lo).
#
#   sh tools/capture-mit-vectors.sh [OUTDIR]   (default tests/vectors/mit)
set -eu
out=${1:-tests/vectors/mit}
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
kdc_pid=
cap_pid=
cleanup() {
	[ -n "$kdc_pid" ] && kill "$kdc_pid" 2>/dev/null || true
	[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0))
t=socket.socket(); t.bind(("127.0.0.1",s.getsockname()[1])); print(s.getsockname()[1])')
realm=TEST.REALM
export KRB5_KDC_PROFILE="$tmp/kdc.conf" KRB5_CONFIG="$tmp/krb5.conf"
export KRB5CCNAME="FILE:$tmp/ccache"
cat >"$KRB5_KDC_PROFILE" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port
[realms]
	$realm = {
		database_name = $tmp/principal
		key_stash_file = $tmp/stash
		acl_file = $tmp/kadm5.acl
	}
[logging]
	kdc = FILE:$tmp/kdc.log
CONF
cat >"$KRB5_CONFIG" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}
CONF
kdb5_util create -s -P masterpw -r "$realm" >/dev/null
kadmin.local -q "addprinc -pw userpw +requires_preauth user" >/dev/null
kadmin.local -q "addprinc -randkey host/svc.test" >/dev/null

dumpcap -q -i lo -f "port $port" -w "$tmp/kdc.pcap" 2>/dev/null &
cap_pid=$!
sleep 2
krb5kdc -n -r "$realm" -P "$tmp/kdc.pid" &
kdc_pid=$!
sleep 1
echo userpw | kinit user >/dev/null
kvno host/svc.test >/dev/null
sleep 1
kill "$cap_pid"; wait "$cap_pid" 2>/dev/null || true; cap_pid=
kill "$kdc_pid"; wait "$kdc_pid" 2>/dev/null || true; kdc_pid=

# One UDP payload per line, in capture order; name each by its APPLICATION tag.
# (udp.payload on recent tshark, data.data on older ones: take the first.)
tshark -r "$tmp/kdc.pcap" -Y udp -T fields -E separator=, -e udp.payload \
	-e data.data 2>/dev/null | tr -d ': ' |
	awk -F, '{ print ($1 != "" ? $1 : $2) }' | awk 'NF' >"$tmp/payloads"
n_asreq=0
while read -r hex; do
	case $(printf %s "$hex" | cut -c1-2) in
	6a) n_asreq=$((n_asreq + 1))
	    if [ $n_asreq = 1 ]; then name=as-req; else name=as-req-padata; fi ;;
	6b) name=as-rep ;;
	6c) name=tgs-req ;;
	6d) name=tgs-rep ;;
	7e) name=krb-error-preauth-required ;;
	*) continue ;;
	esac
	[ -e "$out/$name.hex" ] && continue
	printf '%s\n' "$hex" >"$out/$name.hex"
	echo "wrote $out/$name.hex ($(( ${#hex} / 2 )) bytes)"
done <"$tmp/payloads"
