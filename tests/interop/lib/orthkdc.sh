# orthkdc.sh - start an Orthrus KDC for an interop test (sourced by bash).
#
#   orthkdc_start REALM      temp dir, kdc.conf, krb5.conf, database, KDC on a
#                            free loopback port (UDP+TCP) and its kpasswd
#                            service on another; exports KRB5_CONFIG,
#                            ORTHRUS_CONFIG, ORTH_DIR, ORTH_PORT,
#                            ORTH_KPASSWD_PORT.  ORTH_ACL (a file): the
#                            realm's acl_file.
#   orth_admin ARGS...       `orthrus admin -c $ORTHRUS_CONFIG ARGS...`
#   orthkdc_stop             stop the KDC by PID, remove the temp dir
#
# Needs $ORTHRUS (the binary).  Never touches /etc.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

orth_admin() {
	"$ORTHRUS" admin -c "$ORTHRUS_CONFIG" "$@"
}

# orthkdc_write_conf REALM PORT [ENCTYPES] [KPASSWD_PORT]
orthkdc_write_conf() {
	local realm=$1 port=$2 kport=${4:-}
	local enctypes=${3:-"aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"}
	local kpw_listen="" kpw_server="" acl=""
	# Never the default port 464 in tests: an empty kpasswd_listen turns
	# the service off when no port is given.
	if [ -n "$kport" ]; then
		kpw_listen="kpasswd_listen = 127.0.0.1:$kport"
		# MIT's kinit and kpasswd and Heimdal's find the service here.
		kpw_server="kpasswd_server = 127.0.0.1:$kport"
	else
		kpw_listen="kpasswd_listen ="
	fi
	[ -n "${ORTH_ACL:-}" ] && acl="acl_file = $ORTH_ACL"
	cat >"$ORTH_DIR/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port

[realms]
	$realm = {
		database_name = $ORTH_DIR/principal.mdb
		key_stash_file = $ORTH_DIR/stash
		master_key_type = aes256-cts-hmac-sha1-96
		max_life = 10h
		max_renewable_life = 7d
		supported_enctypes = $enctypes
		$kpw_listen
		$acl
	}
CONF
	cat >"$ORTH_DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	ignore_acceptor_hostname = true

[realms]
	$realm = {
		kdc = 127.0.0.1:$port
		$kpw_server
	}
CONF
}

orthkdc_start() {
	local realm=$1
	ORTH_DIR=$(mktemp -d /tmp/orthkdc.XXXXXX)
	ORTH_PORT=$(free_port)
	ORTH_KPASSWD_PORT=$(free_port)
	while [ "$ORTH_KPASSWD_PORT" = "$ORTH_PORT" ]; do ORTH_KPASSWD_PORT=$(free_port); done
	orthkdc_write_conf "$realm" "$ORTH_PORT" "${ORTH_ENCTYPES:-}" "$ORTH_KPASSWD_PORT"
	export ORTH_DIR ORTH_PORT ORTH_KPASSWD_PORT
	export ORTHRUS_CONFIG=$ORTH_DIR/kdc.conf
	export KRB5_CONFIG=$ORTH_DIR/krb5.conf
	export KRB5CCNAME=FILE:$ORTH_DIR/ccache
	orth_admin init </dev/null >/dev/null 2>"$ORTH_DIR/init.err" || {
		cat "$ORTH_DIR/init.err" >&2
		return 1
	}
	orthkdc_run
}

# Start (or restart) the daemon on the existing realm.
orthkdc_run() {
	"$ORTHRUS" kdc -c "$ORTHRUS_CONFIG" --foreground \
		--pidfile "$ORTH_DIR/kdc.pid" 2>"$ORTH_DIR/kdc.log" &
	ORTH_KDC_PID=$!
	wait_tcp_port "$ORTH_PORT" "$ORTH_KDC_PID" && return 0
	echo "orthkdc: KDC did not start" >&2
	cat "$ORTH_DIR/kdc.log" >&2
	return 1
}

orthkdc_stop() {
	if [ -n "${ORTH_KDC_PID:-}" ]; then
		kill "$ORTH_KDC_PID" 2>/dev/null
		wait "$ORTH_KDC_PID" 2>/dev/null
		ORTH_KDC_PID=
	fi
	if [ -n "${ORTH_DIR:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$ORTH_DIR"
	fi
}
