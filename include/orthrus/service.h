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
 */
#ifndef ORTHRUS_SERVICE_H
#define ORTHRUS_SERVICE_H

#include <stddef.h>
#include <stdint.h>

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

#endif
