# admin_lib.sh - a throwaway realm for the `orthrus admin` interop tests
# (sourced by bash).  admin_realm DIR [EXTRA_REALM_LINES] writes DIR/kdc.conf
# and DIR/krb5.conf for TEST.REALM and exports ORTHRUS_CONFIG/KRB5_CONFIG.
REALM=TEST.REALM
ENCTYPES="aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96 aes256-cts-hmac-sha384-192 aes128-cts-hmac-sha256-128"

admin_realm() {
	local dir=$1 extra=${2:-}
	cat >"$dir/kdc.conf" <<CONF
[realms]
	$REALM = {
		database_name = $dir/principal.mdb
		key_stash_file = $dir/stash
		master_key_type = aes256-cts-hmac-sha1-96
		max_life = 10h
		max_renewable_life = 7d
		supported_enctypes = $ENCTYPES
$extra
	}
CONF
	cat >"$dir/krb5.conf" <<CONF
[libdefaults]
	default_realm = $REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
CONF
	export ORTHRUS_CONFIG=$dir/kdc.conf KRB5_CONFIG=$dir/krb5.conf
	export KRB5CCNAME=FILE:$dir/ccache KRB5_KTNAME=FILE:$dir/default.keytab
	export KRB5_KDC_PROFILE=$dir/kdc.conf
}

adm() { "$ORTHRUS" admin "$@"; }
