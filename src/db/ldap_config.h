/*
 * ldap_config.h - the directory backend's settings in kdc.conf, the MIT
 * way: the realm names a module (`database_module = NAME` in its
 * [realms] block) and the module is a subtree of [dbmodules]:
 *
 *   [dbmodules]
 *       openldap = {
 *           db_library = kldap
 *           ldap_servers = ldap://ldap1.example.com ldapi:///
 *           ldap_kerberos_container_dn = cn=krbcontainer,dc=example,dc=com
 *           ldap_kdc_dn = cn=kdc-service,dc=example,dc=com
 *           ldap_service_password_file = /etc/orthrus/service.keyfile
 *       }
 *
 * db_library = kldap makes the realm's database the directory; anything
 * else (MIT's db2 or klmdb, or no database_module) is the embedded LMDB
 * alone, the default.  With kldap the realm's database_name is still an
 * LMDB file: the KDC's local replica of the directory.
 *
 * Binding.  With ldap_kdc_dn: a simple bind as that DN with the password
 * that ldap_service_password_file holds for it (MIT's kdb5_ldap_util
 * stashsrvpw format: lines "DN#{HEX}hex-password" or "DN#password"),
 * read at each connection (a changed password is picked up), so by the
 * KDC's user once it has dropped root (kdcdefaults user =).
 * Without it: SASL EXTERNAL, for ldapi:// servers only (the directory
 * knows the process by its uid).  ldap_kdc_sasl_mech, when set, must be
 * EXTERNAL.
 *
 * Transport security.  ldaps:// is TLS; ldapi:// is a local socket;
 * ldap:// to anything but a loopback address (127.0.0.0/8, ::1,
 * localhost) must do StartTLS and fails when it cannot
 * (ldap_require_starttls = true, default false, asks it of loopback
 * too).  The certificate is checked by libldap against its CA list
 * (ldap.conf's TLS_CACERT, or LDAPTLS_CACERT in the environment).
 * A password never goes over a connection that is neither.
 *
 * Orthrus's own relations in the module: ldap_timeout (a duration, per
 * operation and per connection attempt, default 2s: a hung server is
 * given up after it and the next one tried), ldap_kdc_id (this KDC's
 * name in failure records, default the host name).
 * MIT's ldap_conns_per_server and ldap_kadmind_* are accepted and
 * ignored (one connection per KDC; `orthrus admin` binds as ldap_kdc_dn).
 */
#ifndef ORTHRUS_DB_LDAP_CONFIG_H
#define ORTHRUS_DB_LDAP_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "base/err.h"

#define LDAP_CONFIG_MAX_SERVERS 8
#define LDAP_CONFIG_MAX_URI 256
#define LDAP_CONFIG_MAX_PASSWORD 256
#define LDAP_CONFIG_DEFAULT_TIMEOUT 2

struct ldap_config {
	bool enabled;                /* db_library = kldap */
	const char *module;          /* the [dbmodules] subtree's name */
	char servers[LDAP_CONFIG_MAX_SERVERS][LDAP_CONFIG_MAX_URI];
	size_t n_servers;            /* in order of preference */
	const char *container_dn;    /* ldap_kerberos_container_dn */
	char realm_dn[1024];         /* "cn=<REALM>,<container_dn>": MIT's
				      * realm container, parent of the
				      * principals and policies */
	const char *kdc_dn;          /* NULL: SASL EXTERNAL */
	const char *password_file;   /* ldap_service_password_file */
	bool require_starttls;       /* also for loopback ldap:// */
	int64_t timeout;             /* seconds, > 0 */
	char kdc_id[65];             /* ldap_kdc_id or the host name */
};

/*
 * The directory settings of realm in cfg into *out (strings point into
 * cfg).  out->enabled false when the realm uses LMDB alone.  ORTH_E_CONFIG
 * with "FILE:LINE: what" in err: a database_module that names no
 * [dbmodules] subtree, a kldap module without ldap_servers or
 * ldap_kerberos_container_dn, a URI that is not ldap://, ldaps:// or
 * ldapi://, too many or too long servers, a bad timeout or KDC id, no
 * ldap_kdc_dn and a server other than ldapi://, ldap_kdc_dn without
 * ldap_service_password_file, a SASL mechanism other than EXTERNAL.
 * Unknown relations of the module are warned about on stderr.
 */
orth_err ldap_config_load(const struct config *cfg, const char *realm,
			  struct ldap_config *out, char *err, size_t errlen);

/*
 * The password for dn in MIT's service password file at path, into out
 * (cap bytes, NUL-terminated).  ORTH_E_NOTFOUND: no line for dn;
 * ORTH_E_MALFORMED: bad hex; ORTH_E_LIMIT: too long; file errors as
 * file.h.  The caller wipes out after use.
 */
orth_err ldap_config_password(const char *path, const char *dn, char *out, size_t cap);

/* Is uri an ldap:// URI whose host is a loopback address? */
bool ldap_config_uri_loopback(const char *uri);

#endif
