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
 * An acceptor holds the keytab (read once at open) and a replay cache; it
 * is safe to verify from several threads at once.  Errors are orth_err
 * values (0 = success); Kerberos refusals are 1000 + the RFC 4120 §7.5.9
 * code (e.g. 1034 for a replay), orthrus_service_err_str() prints them.
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

/* Every function declared in this header is the API of liborthrus.so,
 * which hides all other symbols (the library is built with
 * -fvisibility=hidden): the push below exports them, whatever is added. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif
#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t orth_err;

struct orthrus_acceptor;
struct orthrus_login;

/*
 * keytab: "FILE:/path" or "/path"; NULL: $KRB5_KTNAME, else
 * /etc/krb5.keytab.  service: the principal tickets must be for, NULL for
 * any principal with a key in the keytab.  *out: orthrus_acceptor_close().
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

const char *orthrus_service_err_str(orth_err e);

#ifdef __cplusplus
}
#endif
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
