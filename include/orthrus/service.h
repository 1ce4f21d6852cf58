/*
 * orthrus/service.h - accept Kerberos logins in a server application
 * (RFC 4120 §3.2): verify a client's AP-REQ with the service keytab and
 * answer with an AP-REP when the client asked for mutual authentication.
 *
 *   struct orthrus_acceptor *acc;
 *   orthrus_acceptor_open(NULL, "HTTP/www.example.org@EXAMPLE.ORG", &acc);
 *   struct orthrus_login *login;
 *   if (orthrus_acceptor_verify(acc, req, req_len, &login) == 0) {
 *       puts(orthrus_login_client(login));      // "alice@EXAMPLE.ORG"
 *       orthrus_login_aprep(login, &rep, &rep_len);   // if mutual
 *       ...
 *       orthrus_login_free(login);
 *   }
 *   orthrus_acceptor_close(acc);
 *
 * An acceptor holds the keytab and a replay cache; it is safe to verify
 * from several threads at once.  The keytab is read at open and read again
 * when the file changes (another inode, size, modification or change
 * time): a rotated keytab (`orthrus admin ktadd`, `ktutil`, MIT's kadmin)
 * is used by the next verify without a restart.  When the new file cannot
 * be read (half-written by a tool that writes in place), the keys read
 * before stay in use and the next verify tries again.
 *
 * GSS-API (RFC 4121 §4.1.1): when the authenticator's checksum has type
 * 0x8003 its structure is parsed (hostile-safe) and checked: a malformed
 * one refuses the login (ORTH_E_MALFORMED, ORTH_E_TRUNCATED, ORTH_E_LIMIT),
 * and with channel bindings set on the acceptor, bindings that differ
 * refuse it with 1041 (KRB_AP_ERR_MODIFIED); a client that sent none is
 * accepted unless its authenticator asks for bindings (MS-KILE
 * KERB-AP-OPTIONS CBT), as MIT's acceptor does.
 *
 * Errors are orth_err values (0 = success); Kerberos refusals are 1000 +
 * the RFC 4120 §7.5.9 code (e.g. 1034 for a replay),
 * orthrus_service_err_str() prints them.
 *
 * The replay cache (RFC 4120 §3.2.3) is shared by every process of the
 * service's uid, like MIT's default file2 cache: the same AP-REQ is
 * accepted once, whichever process (pre-forked workers, several daemons,
 * inetd children) sees it first.  Where it is:
 *   - $KRB5RCACHENAME, MIT's syntax: "dfl:" (the default below),
 *     "FILE:/path", or "MEMORY:" (this acceptor only - no protection
 *     against a replay to another process);
 *   - else "dfl:": $KRB5RCACHEDIR/orthrus_<euid>.rcache, or
 *     /var/tmp/orthrus_<euid>.rcache without KRB5RCACHEDIR (not MIT's file
 *     name: the format differs);
 *   - or what orthrus_acceptor_set_rcache() names.
 * The environment is read with secure_getenv (ignored in setuid programs).
 * The file is created 0600, owned by the service's uid; it has a fixed
 * size (3 MiB: 131072 entries); every verification locks it (fcntl) for
 * the time of one lookup.  A file that is a symlink, not a regular file,
 * hard-linked or owned by another uid is refused - and with it every
 * login (fail closed); a damaged or truncated one is rebuilt empty.  In a
 * world-writable directory another user can create the name first: give a
 * service its own KRB5RCACHEDIR.  Limits, whatever one client sends: a
 * client holds at most an eighth of the cache (beyond, only its own
 * logins are refused, KDC_ERR_SVC_UNAVAILABLE, 1029), and no remembered
 * authenticator is ever pushed out by new ones; entries are forgotten
 * when their clock-skew window ends (ctime + 300 s).
 */
#ifndef ORTHRUS_SERVICE_H
#define ORTHRUS_SERVICE_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t orth_err;

struct orthrus_acceptor;
struct orthrus_login;
struct orthrus_context;

/*
 * keytab: "FILE:/path" or "/path"; NULL: $KRB5_KTNAME, else
 * /etc/krb5.keytab.  service: the principal tickets must be for, NULL for
 * any principal with a key in the keytab; without "@REALM" the default
 * realm of krb5.conf ($KRB5_CONFIG, else /etc/krb5.conf) is added
 * (ORTH_E_BADNAME when there is none, ORTH_E_CONFIG when krb5.conf does
 * not parse).  *out: orthrus_acceptor_close().
 */
orth_err orthrus_acceptor_open(const char *keytab, const char *service,
			       struct orthrus_acceptor **out);
void orthrus_acceptor_close(struct orthrus_acceptor *acc);

/*
 * Use the replay cache name says ("dfl:", "FILE:/path", "MEMORY:"; NULL:
 * $KRB5RCACHENAME, else "dfl:") instead of the one open chose.  Call it
 * before verifying, not while other threads verify.  Errors: 8 (a name of
 * an unknown type, e.g. MIT's "none:"), 81 (the file cannot be used; see
 * orthrus_acceptor_last_error()); the acceptor keeps its cache then.
 */
orth_err orthrus_acceptor_set_rcache(struct orthrus_acceptor *acc,
				     const char *name);

/*
 * Verify one AP-REQ (all checks of RFC 4120 §3.2.3, replay cache
 * included).  *out: orthrus_login_free().  On failure a detail line is
 * available from orthrus_acceptor_last_error() (per acceptor; not
 * meaningful when several threads share it).
 */
orth_err orthrus_acceptor_verify(struct orthrus_acceptor *acc,
				 const uint8_t *req, size_t len,
				 struct orthrus_login **out);
const char *orthrus_acceptor_last_error(const struct orthrus_acceptor *acc);

/* RFC 2744 §3.11 channel bindings (gss_channel_bindings_struct): address
 * types GSS_C_AF_*, byte strings with their lengths (NULL when 0). */
struct orthrus_channel_bindings {
	uint32_t initiator_addrtype;
	const uint8_t *initiator_address;
	size_t initiator_address_len;
	uint32_t acceptor_addrtype;
	const uint8_t *acceptor_address;
	size_t acceptor_address_len;
	const uint8_t *application_data;   /* e.g. "tls-server-end-point:..." */
	size_t application_data_len;
};

/*
 * The channel bindings that GSS-API authenticator checksums (0x8003) are
 * checked against (their RFC 4121 §4.1.1.2 MD5 is kept); NULL: none.  Set
 * it before verifying (not while other threads verify).  Errors:
 * ORTH_E_RANGE (a field over 4 GiB), ORTH_E_INTERNAL (no MD5: FIPS mode).
 */
orth_err orthrus_acceptor_set_channel_bindings(
	struct orthrus_acceptor *acc, const struct orthrus_channel_bindings *cb);

/* The client ("alice@EXAMPLE.ORG"), valid while login lives. */
const char *orthrus_login_client(const struct orthrus_login *login);
/* Nonzero when the client set mutual-required (send the AP-REP). */
int orthrus_login_mutual(const struct orthrus_login *login);
/* The ticket session key, or the authenticator subkey when the client sent
 * one (what an application protocol keys its messages with).  Bytes valid
 * while login lives; they are secret. */
void orthrus_login_key(const struct orthrus_login *login, int32_t *enctype_out,
		       const uint8_t **bytes_out, size_t *len_out);
/* The AP-REP for this login; *out is malloc'd (free()). */
orth_err orthrus_login_aprep(struct orthrus_login *login, uint8_t **out,
			     size_t *out_len);
void orthrus_login_free(struct orthrus_login *login);

/* From a GSS-API (0x8003) authenticator checksum: the context flags the
 * client asked for (GSS_C_*: 2 mutual, 4 replay, 8 sequence, 16 conf, 32
 * integ ...; 1 deleg only with a delegated credential), 0 without such a
 * checksum; whether its channel bindings matched the acceptor's; the
 * delegated KRB-CRED (RFC 4120 §5.8, encrypted in the session key or
 * subkey) or NULL/0.  Bytes valid while login lives. */
uint32_t orthrus_login_gss_flags(const struct orthrus_login *login);
int orthrus_login_channel_bound(const struct orthrus_login *login);
void orthrus_login_delegated(const struct orthrus_login *login,
			     const uint8_t **bytes_out, size_t *len_out);

/*
 * Verify that the initial credentials in ccache (NULL: the default) come
 * from the realm's KDC and not from one an attacker answers for (MIT's
 * krb5_verify_init_creds; login programs call it after a password
 * kinit): get a ticket for server with the TGT, then verify an AP-REQ
 * with it against keytab (NULL: the default keytab).  server NULL: each
 * host/... principal of the keytab until one works.  When the keytab has
 * no key for server (or no host key, or no file), the call succeeds
 * unless nofail is set ([libdefaults] verify_ap_req_nofail when nofail is
 * -1), as MIT's.  The ticket is not stored in ccache.  Errors: the TGS
 * exchange's (client.h), ORTH_E_NOTFOUND (nofail and no key), the AP-REQ
 * check's refusals; orthrus_error_message(ctx, e) explains.
 */
orth_err orthrus_verify_init_creds(struct orthrus_context *ctx,
				   const char *ccache, const char *server,
				   const char *keytab, int nofail);

const char *orthrus_service_err_str(orth_err e);

#endif
