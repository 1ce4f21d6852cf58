#!/bin/sh
# `make run`: a demo realm under ./var/demo/ (created on the first run,
# reused afterwards) and the KDC in the foreground on 127.0.0.1 and [::1],
# port 8888 (UDP and TCP), with kpasswd on port 8464.  Ctrl-C stops it.
set -eu
ORTHRUS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
REALM=DEMO.ORTHRUS
PORT=${ORTHRUS_DEMO_PORT:-8888}
KPORT=${ORTHRUS_DEMO_KPASSWD_PORT:-8464}
mkdir -p var/demo
DIR=$(cd var/demo && pwd)
umask 077

if [ ! -f "$DIR/principal.mdb" ] && [ ! -d "$DIR/principal.mdb" ]; then
	cat >"$DIR/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$PORT, [::1]:$PORT
	kdc_tcp_listen = 127.0.0.1:$PORT, [::1]:$PORT
	kpasswd_listen = 127.0.0.1:$KPORT, [::1]:$KPORT

[realms]
	$REALM = {
		database_name = $DIR/principal.mdb
		key_stash_file = $DIR/stash
		max_life = 10h
		max_renewable_life = 7d
	}
CONF
	cat >"$DIR/krb5.conf" <<CONF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false

[realms]
	$REALM = {
		kdc = 127.0.0.1:$PORT
		kdc = [::1]:$PORT
		kpasswd_server = 127.0.0.1:$KPORT
	}
CONF
	chmod 644 "$DIR/kdc.conf" "$DIR/krb5.conf"
	"$ORTHRUS" admin -c "$DIR/kdc.conf" init </dev/null
	PW=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	echo "$PW" | "$ORTHRUS" admin -c "$DIR/kdc.conf" add demo --password-stdin --requires-preauth >/dev/null
	"$ORTHRUS" admin -c "$DIR/kdc.conf" add host/localhost --random-key >/dev/null
	"$ORTHRUS" admin -c "$DIR/kdc.conf" ktadd --keytab "$DIR/host.keytab" host/localhost >/dev/null
	echo "$PW" >"$DIR/demo.password"
	echo "created realm $REALM in $DIR"
fi

echo
echo "user demo, password: $(cat "$DIR/demo.password")   (also in $DIR/demo.password)"
echo "service host/localhost, keytab $DIR/host.keytab"
echo
echo "In another terminal:"
echo "    export KRB5_CONFIG=$DIR/krb5.conf"
echo "    kinit demo"
echo "    kpasswd demo                # change the password"
echo
exec "$ORTHRUS" kdc -c "$DIR/kdc.conf" --foreground
