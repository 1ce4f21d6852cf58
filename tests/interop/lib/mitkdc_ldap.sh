# mitkdc_ldap.sh - MIT's krb5kdc over its LDAP module (kldap) and a slapd of
# its own (sourced by bash): the reference for what MIT keeps only in LDAP,
# krbAllowedToDelegateTo (constrained delegation).
#
#   mitkdc_ldap_start REALM       temp dir, slapd on a free loopback port
#                                 (mdb database, core, cosine and MIT's
#                                 kerberos schema, suffix dc=test), the realm
#                                 made with kdb5_ldap_util, krb5kdc -n on
#                                 another port; the variables of mitkdc.sh
#                                 (MIT_DIR, MIT_PORT, KRB5_CONFIG, ...) so
#                                 mitkdc_kadmin, mitkdc_addprinc and
#                                 mitkdc_ktadd work as with DB2; LDAP_PORT,
#                                 LDAP_PID
#   mitkdc_ldap_realm REALM URI CONTAINER DN PW [SUBTREE]
#                                 the MIT side alone, on a directory that
#                                 is already running (also bench/run.sh, on
#                                 slapd.sh's): kdc.conf with kldap, the
#                                 realm under the Kerberos container
#                                 CONTAINER made with kdb5_ldap_util (its
#                                 principals below SUBTREE, default: the
#                                 realm's own container), the KDC and
#                                 kadmin.local binding as DN with PW; in
#                                 MIT_DIR (made when unset), on a free
#                                 MIT_PORT; mitkdc_run starts the KDC
#   mitkdc_ldap_deleg PRINC TARGET   add TARGET to PRINC's
#                                 krbAllowedToDelegateTo (full names)
#   mitkdc_ldap_stop              krb5kdc and slapd by PID, the temp dir
#
# Needs slapd and ldap-utils (slapd's back_mdb module), krb5-kdc-ldap
# (kldap, kdb5_ldap_util, the schema in its doc directory).  Never touches
# /etc or the system's slapd.

. "$(dirname "${BASH_SOURCE[0]}")/mitkdc.sh"

LDAP_ROOT_DN=cn=admin,dc=test
LDAP_ROOT_PW=orthrus-test-ldap
MITKDC_LDAP_SCHEMA=${MITKDC_LDAP_SCHEMA:-/usr/share/doc/krb5-kdc-ldap/kerberos.schema.gz}

mitkdc_ldap_available() {
	mitkdc_available && [ -x /usr/sbin/slapd ] && [ -x "$MITKDC_SBIN/kdb5_ldap_util" ] &&
		command -v ldapadd >/dev/null && [ -r "$MITKDC_LDAP_SCHEMA" ] &&
		[ -e /usr/lib/ldap/back_mdb.so ]
}

mitkdc_ldap_start() {
	local realm=$1
	mitkdc_ldap_available || {
		echo "mitkdc_ldap: slapd, ldap-utils or krb5-kdc-ldap not installed" >&2
		return 1
	}
	MIT_DIR=$(mktemp -d /tmp/mitkdcldap.XXXXXX) || return 1
	LDAP_PORT=$(free_port) || return 1
	mkdir "$MIT_DIR/ldap"
	zcat "$MITKDC_LDAP_SCHEMA" >"$MIT_DIR/kerberos.schema" || return 1
	cat >"$MIT_DIR/slapd.conf" <<CONF
modulepath /usr/lib/ldap
moduleload back_mdb
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include $MIT_DIR/kerberos.schema
pidfile $MIT_DIR/slapd.pid
database mdb
suffix "dc=test"
rootdn "$LDAP_ROOT_DN"
rootpw $LDAP_ROOT_PW
directory $MIT_DIR/ldap
maxsize 67108864
CONF
	/usr/sbin/slapd -d 0 -h "ldap://127.0.0.1:$LDAP_PORT/" -f "$MIT_DIR/slapd.conf" \
		>"$MIT_DIR/slapd.log" 2>&1 &
	LDAP_PID=$!
	export MIT_DIR LDAP_PORT LDAP_PID
	wait_tcp_port "$LDAP_PORT" "$LDAP_PID" || {
		echo "mitkdc_ldap: slapd did not start" >&2
		cat "$MIT_DIR/slapd.log" >&2
		return 1
	}
	printf 'dn: dc=test\nobjectClass: dcObject\nobjectClass: organization\no: test\ndc: test\n' |
		ldapadd -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_ROOT_DN" -w "$LDAP_ROOT_PW" \
			>"$MIT_DIR/ldapadd.log" 2>&1 || {
		echo "mitkdc_ldap: the base entry" >&2
		cat "$MIT_DIR/ldapadd.log" >&2
		return 1
	}
	mitkdc_ldap_realm "$realm" "ldap://127.0.0.1:$LDAP_PORT" cn=krbcontainer,dc=test \
		"$LDAP_ROOT_DN" "$LDAP_ROOT_PW" dc=test && mitkdc_run "$realm"
}

mitkdc_ldap_realm() {
	local realm=$1 uri=$2 container=$3 dn=$4 pw=$5 subtree=${6:-} master
	if [ -z "${MIT_DIR:-}" ]; then
		MIT_DIR=$(mktemp -d /tmp/mitkdcldap.XXXXXX) || return 1
	fi
	MIT_REALM=$realm
	MIT_PORT=$(free_port) || return 1
	# mitkdc.sh's files, the database in LDAP instead of DB2
	mitkdc_write_conf "$realm" "$MIT_PORT"
	sed -i "s|^\t\tdatabase_name = .*|\t\tdatabase_module = ldapmod|" "$MIT_DIR/kdc.conf"
	cat >>"$MIT_DIR/kdc.conf" <<CONF

[dbmodules]
	ldapmod = {
		db_library = kldap
		ldap_kerberos_container_dn = $container
		ldap_kdc_dn = $dn
		ldap_kadmind_dn = $dn
		ldap_service_password_file = $MIT_DIR/service.pw
		ldap_servers = $uri
	}
CONF
	mitkdc_env
	master=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
	{
		"$MITKDC_SBIN/kdb5_ldap_util" -D "$dn" -w "$pw" -H "$uri" create \
			${subtree:+-subtrees "$subtree"} -r "$realm" -s -P "$master" &&
			printf '%s\n%s\n' "$pw" "$pw" |
			"$MITKDC_SBIN/kdb5_ldap_util" -D "$dn" -w "$pw" -H "$uri" \
				stashsrvpw -f "$MIT_DIR/service.pw" "$dn"
	} >"$MIT_DIR/create.log" 2>&1 || {
		echo "mitkdc_ldap: kdb5_ldap_util failed" >&2
		cat "$MIT_DIR/create.log" >&2
		return 1
	}
}

mitkdc_ldap_deleg() {
	printf 'dn: krbPrincipalName=%s,cn=%s,cn=krbcontainer,dc=test\nchangetype: modify\nadd: krbAllowedToDelegateTo\nkrbAllowedToDelegateTo: %s\n' \
		"$1" "$MIT_REALM" "$2" |
		ldapmodify -x -H "ldap://127.0.0.1:$LDAP_PORT" -D "$LDAP_ROOT_DN" -w "$LDAP_ROOT_PW" \
			>>"$MIT_DIR/ldapmodify.log" 2>&1
}

mitkdc_ldap_stop() {
	if [ -n "${MIT_KDC_PID:-}" ]; then
		kill "$MIT_KDC_PID" 2>/dev/null
		wait "$MIT_KDC_PID" 2>/dev/null
		MIT_KDC_PID=
	fi
	if [ -n "${LDAP_PID:-}" ]; then
		kill "$LDAP_PID" 2>/dev/null
		wait "$LDAP_PID" 2>/dev/null
		LDAP_PID=
	fi
	mitkdc_stop
}
