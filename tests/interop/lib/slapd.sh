# slapd.sh - OpenLDAP providers for the directory tests (sourced by bash).
#
#   slapd_start N            N slapd providers (N >= 1) in one temp dir, each
#                            on a free loopback port with its own mdb
#                            database, MIT's Kerberos schema and ours
#                            (dist/ldap/orthrus.schema) loaded, the syncprov
#                            overlay, and multi-provider delta-syncrepl
#                            (RFC 4533 refreshAndPersist of the accesslog)
#                            from every other provider.  The base entries (suffix, Kerberos
#                            container, the KDC's identity) are added to
#                            provider 1 and have reached all when it
#                            returns.  Exports SLAPD_DIR, SLAPD_SUFFIX,
#                            SLAPD_ADMIN_DN, SLAPD_ADMIN_PW, SLAPD_KDC_DN,
#                            SLAPD_KDC_PW, SLAPD_CA, SLAPD_OTHER_CA,
#                            SLAPD_KDC_PWFILE (MIT's service
#                            password file), SLAPD_CONTAINER_DN and the
#                            arrays SLAPD_PORT, SLAPD_URI, SLAPD_LDAPI,
#                            SLAPD_PID (indexes 1..N).
#   slapd_run I              start (or restart) provider I on its port
#                            and on its local socket SLAPD_LDAPI[I]
#                            (ldapi://, SASL EXTERNAL: this process's
#                            uid and gid are SLAPD_KDC_DN); StartTLS
#                            with a certificate for 127.0.0.1 from a
#                            throwaway CA, SLAPD_CA (SLAPD_OTHER_CA: an
#                            unrelated one).  Use ldap://127.0.0.1 for
#                            TLS: libldap checks "localhost" against the
#                            machine's host name instead
#   slapd_kill I [SIG]       send SIG (default TERM) to provider I; for TERM
#                            and KILL wait until it is gone
#   slapd_stop               stop every provider by PID, remove the dir
#   slapd_add I              ldapadd to provider I as the admin (LDIF on
#                            stdin)
#   slapd_modify I           ldapmodify likewise
#   slapd_search I ARGS...   ldapsearch on provider I as the admin, base
#                            SLAPD_SUFFIX, LDIF without wrapping
#   slapd_wait_dn I DN [S]   wait up to S (default 5) seconds until DN
#                            exists on provider I
#   slapd_kdc_conf DIR REALM PORT SERVERS [REALM_LINES [MODULE_LINES
#                  [KRB5_LINES]]]
#                            DIR/kdc.conf of a host of REALM: its KDC on
#                            127.0.0.1:PORT, its LMDB database DIR/db.mdb,
#                            [dbmodules] openldap on the providers SERVERS
#                            (URIs) as the KDC's identity (SLAPD_KDC_DN,
#                            SLAPD_KDC_PWFILE); and DIR/krb5.conf naming
#                            that KDC.  REALM_LINES (e.g. "database_module
#                            = openldap": the directory's replica),
#                            MODULE_LINES and KRB5_LINES, one relation a
#                            line, go into the realm, the module and
#                            krb5.conf's realm
#
# Why delta-syncrepl: with plain syncrepl a provider sends whole entries,
# and of two entries changed at once on two providers the consumer keeps
# the one with the newer entryCSN - two failure records added at the same
# moment (dist/ldap/orthrus.schema) would end as one.  Delta-syncrepl
# replays each provider's modifications (its accesslog) instead, so adds
# of distinct values merge (tests/interop/ldap_replication.sh shows it;
# with plain syncrepl that check fails).  Sites need the same set-up:
# docs/ldap.md.
#
# No system slapd is used or touched: each provider is a plain process
# with a slapd.conf of its own (-f), stopped by PID.  The admin is the
# database's rootdn with a password (simple bind on loopback: test data
# only).  The KDC's identity SLAPD_KDC_DN (a krbKdcService entry) may read
# and write everything below the suffix but not the passwords.  Needs
# SRCDIR (the source tree) for our schema.

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SLAPD_BIN=${SLAPD_BIN:-/usr/sbin/slapd}
SLAPD_MIT_SCHEMA=${SLAPD_MIT_SCHEMA:-/usr/share/doc/krb5-kdc-ldap/kerberos.schema.gz}
SLAPD_SUFFIX=${SLAPD_SUFFIX:-dc=example,dc=com}
SLAPD_ADMIN_DN="cn=admin,$SLAPD_SUFFIX"
SLAPD_ADMIN_PW=admin-secret
SLAPD_CONTAINER_DN="cn=krbcontainer,$SLAPD_SUFFIX"
SLAPD_KDC_DN="cn=kdc-service,$SLAPD_SUFFIX"
SLAPD_KDC_PW=kdc-service-secret
SLAPD_N=0
declare -a SLAPD_PORT SLAPD_URI SLAPD_LDAPI SLAPD_PID

slapd_fail() {
	if declare -F fail >/dev/null; then fail "$1"; else echo "slapd: $1" >&2; fi
}

# slapd_write_conf I: the slapd.conf of provider I.
slapd_write_conf() {
	local i=$1 j conf="$SLAPD_DIR/slapd$1.conf"
	cat >"$conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $SLAPD_DIR/kerberos.schema
include $SRCDIR/dist/ldap/orthrus.schema
pidfile $SLAPD_DIR/slapd$i.pid
argsfile $SLAPD_DIR/slapd$i.args
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload syncprov
moduleload accesslog
serverID $i
loglevel ${SLAPD_LOGLEVEL:-none}
sizelimit unlimited
TLSCACertificateFile $SLAPD_CA
TLSCertificateFile $SLAPD_DIR/server.pem
TLSCertificateKeyFile $SLAPD_DIR/server.key
# SASL EXTERNAL over ldapi://: the peer's uid and gid (the KDC's, as this
# shell's) authenticate as the KDC's identity, no password needed.  ('.'
# is the RDN's '+': the escape does not survive slapd.conf's quoting.)
authz-regexp "^gidNumber=$(id -g).uidNumber=$(id -u),cn=peercred,cn=external,cn=auth\$"
	"$SLAPD_KDC_DN"

# The change log that delta-syncrepl replays (see below).
database mdb
suffix cn=accesslog
rootdn cn=accesslog
directory $SLAPD_DIR/log$i
maxsize 1073741824
index entryCSN,objectClass,reqEnd,reqResult,reqStart,reqDN eq
overlay syncprov
syncprov-nopresent TRUE
syncprov-reloadhint TRUE

database mdb
suffix "$SLAPD_SUFFIX"
rootdn "$SLAPD_ADMIN_DN"
rootpw $SLAPD_ADMIN_PW
directory $SLAPD_DIR/db$i
maxsize 1073741824
index objectClass,entryCSN,entryUUID eq
index krbPrincipalName eq,sub
access to attrs=userPassword
	by anonymous auth
	by * none
access to *
	by dn.exact="$SLAPD_KDC_DN" write
	by * none
CONF
	for ((j = 1; j <= SLAPD_N; j++)); do
		[ "$j" -eq "$i" ] && continue
		# retry: every second, forever - a provider that was away
		# catches up as soon as it is back (RFC 4533 §3.4: the
		# cookie makes it a resumed refresh, not a reload).
		cat >>"$conf" <<CONF
syncrepl rid=$(printf '%03d' "$j") provider=ldap://127.0.0.1:${SLAPD_PORT[$j]}/
	bindmethod=simple binddn="$SLAPD_ADMIN_DN" credentials=$SLAPD_ADMIN_PW
	searchbase="$SLAPD_SUFFIX" type=refreshAndPersist retry="1 +"
	timeout=2 network-timeout=2 keepalive=5:2:1
	syncdata=accesslog logbase="cn=accesslog"
	logfilter="(&(objectClass=auditWriteObject)(reqResult=0))"
CONF
	done
	# multiprovider needs a syncrepl to follow: not for one provider
	[ "$SLAPD_N" -gt 1 ] && echo "multiprovider on" >>"$conf"
	cat >>"$conf" <<CONF
overlay syncprov
syncprov-checkpoint 10 1
overlay accesslog
logdb cn=accesslog
logops writes
logsuccess TRUE
logpurge 07+00:00 01+00:00
CONF
}

slapd_run() {
	local i=$1
	"$SLAPD_BIN" -f "$SLAPD_DIR/slapd$i.conf" \
		-h "ldap://127.0.0.1:${SLAPD_PORT[$i]}/ ${SLAPD_LDAPI[$i]}" -d 0 >>"$SLAPD_DIR/slapd$i.log" 2>&1 &
	SLAPD_PID[$i]=$!
	wait_tcp_port "${SLAPD_PORT[$i]}" "${SLAPD_PID[$i]}" && return 0
	slapd_fail "slapd $i did not start"
	tail -20 "$SLAPD_DIR/slapd$i.log" >&2
	return 1
}

slapd_kill() {
	local i=$1 sig=${2:-TERM} n pid=${SLAPD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill "-$sig" "$pid" 2>/dev/null
	case $sig in TERM | KILL | 9 | 15) ;; *) return 0 ;; esac
	for ((n = 0; n < 100; n++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	SLAPD_PID[$i]=
}

slapd_stop() {
	local i
	for ((i = 1; i <= SLAPD_N; i++)); do
		# A stopped (SIGSTOP) provider does not see SIGTERM.
		[ -n "${SLAPD_PID[$i]:-}" ] && kill -CONT "${SLAPD_PID[$i]}" 2>/dev/null
		slapd_kill "$i" TERM
	done
	if [ -n "${SLAPD_DIR:-}" ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$SLAPD_DIR"
	fi
	SLAPD_N=0
}

slapd_add() {
	ldapadd -x -H "${SLAPD_URI[$1]}" -D "$SLAPD_ADMIN_DN" -w "$SLAPD_ADMIN_PW" -o nettimeout=5 >/dev/null
}

slapd_modify() {
	ldapmodify -x -H "${SLAPD_URI[$1]}" -D "$SLAPD_ADMIN_DN" -w "$SLAPD_ADMIN_PW" -o nettimeout=5 >/dev/null
}

slapd_search() {
	local i=$1
	shift
	ldapsearch -x -H "${SLAPD_URI[$i]}" -D "$SLAPD_ADMIN_DN" -w "$SLAPD_ADMIN_PW" \
		-o nettimeout=5 -o ldif-wrap=no -LLL -b "$SLAPD_SUFFIX" "$@"
}

slapd_wait_dn() {
	local i=$1 dn=$2 secs=${3:-5} n
	for ((n = 0; n < secs * 10; n++)); do
		ldapsearch -x -H "${SLAPD_URI[$i]}" -D "$SLAPD_ADMIN_DN" -w "$SLAPD_ADMIN_PW" \
			-o nettimeout=2 -LLL -s base -b "$dn" dn >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

slapd_kdc_conf() {
	local dir=$1 realm=$2 port=$3 servers=$4 nl=$'\n' in=$'\n\t\t'
	local rl=${5:-} ml=${6:-} kl=${7:-}
	mkdir -p "$dir"
	cat >"$dir/kdc.conf" <<CONF
[kdcdefaults]
	kdc_listen = 127.0.0.1:$port
	kdc_tcp_listen = 127.0.0.1:$port
[realms]
	$realm = {
		database_name = $dir/db.mdb
		key_stash_file = $dir/stash
		${rl//$nl/$in}
	}
[dbmodules]
	openldap = {
		db_library = kldap
		ldap_servers = $servers
		ldap_kerberos_container_dn = $SLAPD_CONTAINER_DN
		ldap_kdc_dn = $SLAPD_KDC_DN
		ldap_service_password_file = $SLAPD_KDC_PWFILE
		ldap_timeout = 2s
		${ml//$nl/$in}
	}
CONF
	cat >"$dir/krb5.conf" <<CONF
[libdefaults]
	default_realm = $realm
	dns_lookup_kdc = false
	rdns = false
[realms]
	$realm = {
		kdc = 127.0.0.1:$port
		${kl//$nl/$in}
	}
CONF
}

# slapd_certs: a throwaway CA, the providers' certificate from it (for
# localhost and 127.0.0.1, one day), and a second CA that signed nothing.
slapd_certs() {
	local d=$SLAPD_DIR ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	SLAPD_CA=$d/ca.pem
	SLAPD_OTHER_CA=$d/other-ca.pem
	openssl req -x509 "${ec[@]}" -keyout "$d/ca.key" -out "$SLAPD_CA" -days 1 \
		-subj "/CN=orthrus test CA" 2>/dev/null &&
		openssl req -x509 "${ec[@]}" -keyout "$d/other-ca.key" -out "$SLAPD_OTHER_CA" \
			-days 1 -subj "/CN=orthrus test CA" 2>/dev/null &&
		openssl req "${ec[@]}" -keyout "$d/server.key" -out "$d/server.csr" \
			-subj "/CN=localhost" 2>/dev/null &&
		openssl x509 -req -in "$d/server.csr" -CA "$SLAPD_CA" -CAkey "$d/ca.key" \
			-CAcreateserial -out "$d/server.pem" -days 1 \
			-extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n') 2>/dev/null
}

slapd_start() {
	local n=$1 i rdn
	SLAPD_N=$n
	SLAPD_DIR=$(mktemp -d /tmp/orthslapd.XXXXXX)
	zcat "$SLAPD_MIT_SCHEMA" >"$SLAPD_DIR/kerberos.schema" || {
		slapd_fail "no MIT Kerberos schema at $SLAPD_MIT_SCHEMA (krb5-kdc-ldap)"
		return 1
	}
	for ((i = 1; i <= n; i++)); do
		SLAPD_PORT[$i]=$(free_port)
		SLAPD_URI[$i]="ldap://127.0.0.1:${SLAPD_PORT[$i]}/"
		# RFC 4516 %-escapes the socket's path (the host part of the URI)
		SLAPD_LDAPI[$i]="ldapi://$(printf %s "$SLAPD_DIR/ldapi$i" | sed 's|/|%2F|g')/"
		mkdir -p "$SLAPD_DIR/db$i" "$SLAPD_DIR/log$i"
	done
	slapd_certs || {
		slapd_fail "openssl could not make the test certificates"
		return 1
	}
	for ((i = 1; i <= n; i++)); do
		slapd_write_conf "$i"
	done
	for ((i = 1; i <= n; i++)); do
		slapd_run "$i" || return 1
	done
	declare -F check_at_done >/dev/null && check_at_done slapd_stop
	# MIT's ldap_service_password_file (kdb5_ldap_util stashsrvpw):
	# "<dn>#{HEX}<the password in hex>", one line per DN.
	SLAPD_KDC_PWFILE=$SLAPD_DIR/service.keyfile
	printf '%s#{HEX}%s\n' "$SLAPD_KDC_DN" \
		"$(printf %s "$SLAPD_KDC_PW" | od -An -tx1 | tr -d ' \n')" >"$SLAPD_KDC_PWFILE"
	chmod 600 "$SLAPD_KDC_PWFILE"
	rdn=${SLAPD_SUFFIX%%,*}
	slapd_add 1 <<LDIF || { slapd_fail "base entries not added"; return 1; }
dn: $SLAPD_SUFFIX
objectClass: dcObject
objectClass: organization
o: orthrus test
dc: ${rdn#dc=}

dn: $SLAPD_CONTAINER_DN
objectClass: krbContainer
cn: krbcontainer

dn: $SLAPD_KDC_DN
objectClass: krbKdcService
objectClass: simpleSecurityObject
cn: kdc-service
userPassword: $SLAPD_KDC_PW
LDIF
	for ((i = 2; i <= n; i++)); do
		slapd_wait_dn "$i" "$SLAPD_KDC_DN" 10 || {
			slapd_fail "base entries did not replicate to provider $i"
			return 1
		}
	done
	export SLAPD_DIR SLAPD_SUFFIX SLAPD_ADMIN_DN SLAPD_ADMIN_PW SLAPD_KDC_DN \
		SLAPD_KDC_PW SLAPD_KDC_PWFILE SLAPD_CONTAINER_DN SLAPD_CA SLAPD_OTHER_CA
}
