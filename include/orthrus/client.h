/*
 * orthrus/client.h - get Kerberos 5 tickets from an application: initial
 * credentials (password or keytab, RFC 4120 §3.1), service tickets
 * (§3.3), renewal, forwarded TGTs, user-to-user tickets and MS-SFU's
 * S4U2Self and S4U2Proxy, kept in a
 * credential cache (MIT's FILE v4 format, or MEMORY:).
 *
 *   struct orthrus_context *ctx;
 *   if (orthrus_context_new(NULL, &ctx) != 0) ...        // krb5.conf
 *   orth_err e = orthrus_get_init_creds_password(ctx, "alice", "pw",
 *                                                NULL, NULL);  // default cache
 *   if (e != 0)
 *       fprintf(stderr, "%s\n", orthrus_error_message(ctx, e));
 *   struct orthrus_ticket t;
 *   e = orthrus_get_service_ticket(ctx, NULL, "HTTP/www.example.org", 0, &t);
 *   ... t.ticket / t.session_key for an AP-REQ ...
 *   orthrus_ticket_free(&t);
 *   orthrus_context_free(ctx);
 *
 * Errors are orth_err values (0 = success); a refusal from the KDC is
 * 1000 + its RFC 4120 §7.5.9 code (e.g. 1006 client unknown, 1024
 * preauthentication failed, 1037 clock skew).  orthrus_error_message()
 * gives a line naming the principal or KDC concerned.
 *
 * A context is not thread-safe: use one per thread.
 */
#ifndef ORTHRUS_CLIENT_H
#define ORTHRUS_CLIENT_H

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

struct orthrus_context;

/* config: a KRB5_CONFIG-style colon-separated list of files; NULL:
 * $KRB5_CONFIG, else /etc/krb5.conf.  *out: orthrus_context_free(). */
orth_err orthrus_context_new(const char *config, struct orthrus_context **out);
void orthrus_context_free(struct orthrus_context *ctx);
/* Why the last orthrus_context_new() in this thread failed ("FILE:LINE:
 * what" for a bad krb5.conf); "" after a success. */
const char *orthrus_context_error(void);

/* [libdefaults] default_realm, or NULL. */
const char *orthrus_default_realm(const struct orthrus_context *ctx);
/* The default cache name ($KRB5CCNAME, default_ccache_name,
 * FILE:/tmp/krb5cc_<uid>), malloc'd (free()). */
orth_err orthrus_default_ccache_name(const struct orthrus_context *ctx,
				     char **out);
/* The default keytab ($KRB5_KTNAME, default_keytab_name,
 * FILE:/etc/krb5.keytab); valid while ctx lives. */
const char *orthrus_default_keytab_name(const struct orthrus_context *ctx);

/*
 * "service/host@REALM" as MIT's krb5_sname_to_principal builds it: service
 * NULL is "host", host NULL this machine (gethostname); the host is
 * canonicalized as [libdefaults] dns_canonicalize_hostname and rdns say
 * (default true, forward then reverse lookup), lowercased; the realm is
 * [domain_realm]'s for it, else the default realm.  *out is malloc'd.
 */
orth_err orthrus_host_service_name(struct orthrus_context *ctx,
				   const char *service, const char *host,
				   char **out);

/* A printable message for e: the detailed one of the last failure in
 * ctx when it was e, else a generic text (ctx NULL: always).  Never NULL;
 * valid until the next call on ctx. */
const char *orthrus_error_message(struct orthrus_context *ctx, orth_err e);

/* Options of an initial ticket request; zeroed means krb5.conf defaults. */
struct orthrus_init_opts {
	int64_t lifetime;       /* seconds; 0: ticket_lifetime */
	int64_t renew_life;     /* seconds; 0: renew_lifetime; -1: none */
	int forwardable;        /* 1 yes, -1 no, 0: krb5.conf forwardable */
	const char *service;    /* NULL: krbtgt/REALM@REALM */
	int proxiable;          /* 1 yes, -1 no, 0: krb5.conf proxiable */
	/* Seconds from now: a postdated ticket (RFC 4120 §2.4, options
	 * ALLOW-POSTDATE and POSTDATED), invalid until orthrus_validate_tgt();
	 * lifetimes count from that start.  0: now. */
	int64_t start_time;
	/* Ask the KDC to canonicalize the client name (KDC option
	 * CANONICALIZE); the cache is initialised with the name it returns. */
	int canonicalize;
	/* client is an enterprise name (RFC 6806 §5, NT-ENTERPRISE): its
	 * first '@' belongs to the name, a second one starts the realm;
	 * implies canonicalize. */
	int enterprise;
	/* FAST (RFC 6113), `kinit -T`: a cache whose TGT for the client's
	 * realm armors the exchange (encrypted challenge inside it, the
	 * reply key strengthened: nothing a listener can test passwords
	 * against).  NULL: no armor. */
	const char *armor_ccache;
};

/*
 * Get initial credentials for client (a name; the default realm is added
 * when it has none) and store them in ccache (NULL: the default), which
 * is reinitialized with client as its principal.  The KDC's clock offset
 * goes into the cache header; when the KDC said (RFC 6806) that it speaks
 * FAST, a fast_avail config entry too, as MIT's kinit writes it.
 */
orth_err orthrus_get_init_creds_password(struct orthrus_context *ctx,
					 const char *client,
					 const char *password,
					 const struct orthrus_init_opts *opts,
					 const char *ccache);
/* The same with the client's key from keytab (NULL: the default). */
orth_err orthrus_get_init_creds_keytab(struct orthrus_context *ctx,
				       const char *client, const char *keytab,
				       const struct orthrus_init_opts *opts,
				       const char *ccache);

/* A ticket and what a client needs to use it. */
struct orthrus_ticket {
	char *client;               /* "alice@EXAMPLE.ORG" */
	char *server;               /* "HTTP/www.example.org@EXAMPLE.ORG" */
	int32_t session_enctype;
	uint8_t *session_key;       /* secret; wiped by orthrus_ticket_free */
	size_t session_key_len;
	int32_t ticket_enctype;     /* of the ticket's enc-part */
	uint32_t ticket_kvno;       /* 0 when the ticket names none */
	int64_t authtime, starttime, endtime, renew_till;
	uint32_t flags;             /* TicketFlags, RFC bit 0 = 0x80000000 */
	uint8_t *ticket;            /* DER Ticket */
	size_t ticket_len;
};
void orthrus_ticket_free(struct orthrus_ticket *t);

/*
 * A ticket for service (a name; without a realm the client's) using the
 * TGT in ccache (NULL: default).  A still valid ticket in the cache is
 * returned without asking the KDC; a new one is stored there.  enctype:
 * the session key enctype wanted, 0 for any.  The request asks for the
 * TGT's forwardable, proxiable, may-postdate and renewable flags (as MIT's
 * client does), so a service ticket from a forwardable, renewable TGT is
 * forwardable and renewable when the KDC allows it.
 */
orth_err orthrus_get_service_ticket(struct orthrus_context *ctx,
				    const char *ccache, const char *service,
				    int32_t enctype, struct orthrus_ticket *out);

/* The same from the cache alone, the KDC not asked (MIT's kvno
 * --cached-only): ORTH_E_NOTFOUND when ccache holds no unexpired ticket
 * for service. */
orth_err orthrus_get_cached_ticket(struct orthrus_context *ctx,
				   const char *ccache, const char *service,
				   int32_t enctype, struct orthrus_ticket *out);

/* Renew the TGT in ccache (KDC option RENEW) and store the new one in
 * its place (the cache is reinitialized, as MIT's kinit -R does). */
orth_err orthrus_renew_tgt(struct orthrus_context *ctx, const char *ccache);

/* Validate the postdated TGT in ccache once its start time has come (KDC
 * option VALIDATE, RFC 4120 §3.3.1) and store the valid one in its place
 * (the cache is reinitialized, as MIT's kinit -v does). */
orth_err orthrus_validate_tgt(struct orthrus_context *ctx, const char *ccache);

/* A forwarded TGT (options FORWARDED, FORWARDABLE) from the forwardable
 * TGT in ccache, not stored. */
orth_err orthrus_get_forwarded_tgt(struct orthrus_context *ctx,
				   const char *ccache,
				   struct orthrus_ticket *out);

/* A user-to-user ticket (ENC-TKT-IN-SKEY, RFC 4120 §2.9.2) for server,
 * encrypted in the session key of server_tgt (server's TGT, DER). */
orth_err orthrus_get_user2user_ticket(struct orthrus_context *ctx,
				      const char *ccache, const char *server,
				      const uint8_t *server_tgt,
				      size_t server_tgt_len,
				      struct orthrus_ticket *out);

/*
 * S4U2Self, "protocol transition" (MS-SFU §3.1.5.1; MIT's
 * krb5_get_credentials_for_user, `kvno -U`): a ticket to the cache's own
 * principal (a service, whose TGT is in ccache, NULL: default) for user (a
 * name; without a realm the service's), who takes no part.  The KDC must
 * allow it; the ticket is forwardable, so usable for
 * orthrus_get_s4u2proxy_ticket(), when the TGT is and the service has
 * ok_to_auth_as_delegate.  The KDC's signed answer (PA-S4U-X509-USER) is
 * checked when it sends one.  A valid ticket in the cache is returned;
 * a new one is stored there.  Cross-realm users are not supported.
 */
orth_err orthrus_get_s4u2self_ticket(struct orthrus_context *ctx, const char *ccache,
				     const char *user, struct orthrus_ticket *out);

/*
 * S4U2Proxy, constrained delegation (MS-SFU §3.1.5.2; MIT's
 * krb5_get_credentials_for_proxy, `kvno -U -P`): a ticket to service for
 * the client of evidence, a forwardable ticket to the cache's principal
 * (from orthrus_get_s4u2self_ticket(), or one a user presented, with its
 * client name), using the TGT in ccache (NULL: default).  The KDC must list
 * service among those the cache's principal may delegate to.  A valid
 * ticket in the cache is returned; a new one is stored there, with the
 * evidence as its second ticket.
 */
orth_err orthrus_get_s4u2proxy_ticket(struct orthrus_context *ctx, const char *ccache,
				      const struct orthrus_ticket *evidence,
				      const char *service, struct orthrus_ticket *out);

#ifdef __cplusplus
}
#endif
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#endif
