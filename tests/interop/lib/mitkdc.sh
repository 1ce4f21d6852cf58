# mitkdc.sh - start MIT's krb5kdc as an independent peer (sourced by bash).
#
#   free_port                     print a loopback port free for UDP and TCP
#   mitkdc_start REALM            temp dir, kdc.conf, krb5.conf, database with
#                                 a random master password, krb5kdc -n on a
#                                 free port (UDP+TCP); exports KRB5_CONFIG,
#                                 KRB5_KDC_PROFILE, KRB5CCNAME, MIT_DIR,
#                                 MIT_PORT, MIT_REALM, MIT_KDC_PID
#   mitkdc_addprinc NAME PASSWORD
#   mitkdc_addprinc_randkey NAME [ENCTYPES]   e.g. "aes128-cts-hmac-sha256-128:normal"
#   mitkdc_ktadd KEYTAB NAME      add NAME's keys to KEYTAB (-norandkey: the
#                                 keys stay what the KDC has)
#   mitkdc_kadmin QUERY...        any kadmin.local query
#   mitkdc_stop                   kill the KDC by PID, remove the temp dir
#                                 (kept when KEEP_TMP is set)
#
# Optional: MITKDC_ENCTYPES (supported_enctypes), MITKDC_FLAGS
# (default_principal_flags, default +preauth).  Needs krb5kdc, kdb5_util,
# kadmin.local (Debian krb5-kdc, krb5-admin-server).  Never touches /etc:
# everything MIT reads comes from KRB5_CONFIG and KRB5_KDC_PROFILE, and
# every log goes to a file in the temp dir.

MITKDC_SBIN=${MITKDC_SBIN:-/usr/sbin}

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# True when every MIT program this library runs is installed.
mitkdc_available() {
	[ -x "$MITKDC_SBIN/krb5kdc" ] && [ -x "$MITKDC_SBIN/kdb5_util" ] &&
		[ -x "$MITKDC_SBIN/kadmin.local" ]
}

# mitkdc_write_conf REALM PORT
mitkdc_write_conf() {
	local realm=$1 port=$2
	local enctypes=${MITKDC_ENCTYPES:-"aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal"}
	local flags=${MITKDC_FLAGS:-+preauth}
	: >"$MIT_DIR/kadm5.acl"
	cat >"$MIT_DIR/kdc.conf" <<CONF
[kdcdefaults]
	kdc_ports = $port
	kdc_tcp_ports = $port
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$realm = {
		database_name = $MIT_DIR/principal
		key_stash_file = $MIT_DIR/stash
		acl_file = $MIT_DIR/kadm5.acl
		admin_keytab = $MIT_DIR/kadm5.keytab
		kdc_listen = 127.0.0.1:$port
		kdc_tcp_listen = 127.0.0.1:$port
		master_key_type = aes256-cts-hmac-sha1-96
		supported_enctypes = $enctypes
		default_principal_flags = $flags
		max_life = 10h
		max_renewable_life = 7d
	}

[logging]
	kdc = FILE:$MIT_DIR/kdc.log
	admin_server = FILE:$MIT_DIR/kadmind.log
	default = FILE:$MIT_DIR/krb5.log
CONF
	cat >"$MIT_DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	ignore_acceptor_hostname = true
	default_ccache_name = FILE:$MIT_DIR/ccache
	default_keytab_name = FILE:$MIT_DIR/default.keytab

[realms]
	$realm = {
		kdc = 127.0.0.1:$port
	}

[logging]
	kdc = FILE:$MIT_DIR/kdc.log
	admin_server = FILE:$MIT_DIR/kadmind.log
	default = FILE:$MIT_DIR/krb5.log
CONF
}

# The environment MIT's programs read, all of it in $MIT_DIR (also for
# lib/mitkdc_ldap.sh).
mitkdc_env() {
	export MIT_DIR MIT_PORT MIT_REALM
	export KRB5_CONFIG=$MIT_DIR/krb5.conf
	export KRB5_KDC_PROFILE=$MIT_DIR/kdc.conf
	export KRB5CCNAME=FILE:$MIT_DIR/ccache
	export KRB5_KTNAME=FILE:$MIT_DIR/default.keytab
	# MIT programs must not fall back to anything outside the temp dir.
	unset KRB5_CLIENT_KTNAME KRB5RCACHENAME
	export KRB5RCACHEDIR=$MIT_DIR
}

# mitkdc_run REALM: krb5kdc -n in the background until its port answers.
mitkdc_run() {
	"$MITKDC_SBIN/krb5kdc" -n -r "$1" >"$MIT_DIR/krb5kdc.out" 2>&1 &
	MIT_KDC_PID=$!
	export MIT_KDC_PID
	wait_tcp_port "$MIT_PORT" "$MIT_KDC_PID" && return 0
	echo "mitkdc: krb5kdc did not start on port $MIT_PORT" >&2
	cat "$MIT_DIR/krb5kdc.out" "$MIT_DIR/kdc.log" >&2 2>/dev/null
	return 1
}

mitkdc_start() {
	local realm=$1 i
	mitkdc_available || { echo "mitkdc: MIT KDC programs not installed" >&2; return 1; }
	MIT_DIR=$(mktemp -d /tmp/mitkdc.XXXXXX) || return 1
	MIT_REALM=$realm
	MIT_PORT=$(free_port) || return 1
	mitkdc_write_conf "$realm" "$MIT_PORT"
	mitkdc_env
	local master
	master=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
	"$MITKDC_SBIN/kdb5_util" -r "$realm" create -s -P "$master" \
		>"$MIT_DIR/create.log" 2>&1 || {
		echo "mitkdc: kdb5_util create failed" >&2
		cat "$MIT_DIR/create.log" >&2
		return 1
	}
	mitkdc_run "$realm"
}

mitkdc_kadmin() {
	local out rc=0
	out=$("$MITKDC_SBIN/kadmin.local" -r "$MIT_REALM" -q "$*" 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$MIT_DIR/kadmin.log"
	# kadmin.local exits 0 even when the query failed: look at its words.
	if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -qiE "error|not found|failed|while |usage"; then
		echo "mitkdc: kadmin.local -q '$*' failed:" >&2
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		return 1
	fi
}

mitkdc_addprinc() {
	mitkdc_kadmin "addprinc -pw $2 $1"
}

mitkdc_addprinc_randkey() {
	if [ -n "${2:-}" ]; then
		mitkdc_kadmin "addprinc -randkey -e $2 $1"
	else
		mitkdc_kadmin "addprinc -randkey $1"
	fi
}

mitkdc_ktadd() {
	mitkdc_kadmin "ktadd -norandkey -k $1 $2"
}

mitkdc_stop() {
	if [ -n "${MIT_KDC_PID:-}" ]; then
		kill "$MIT_KDC_PID" 2>/dev/null
		wait "$MIT_KDC_PID" 2>/dev/null
		MIT_KDC_PID=
	fi
	if [ -n "${MIT_DIR:-}" ] && [ -d "$MIT_DIR" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$MIT_DIR"
	fi
	MIT_DIR=
}
