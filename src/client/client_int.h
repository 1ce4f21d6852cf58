/*
 * client_int.h - the client library's internals: krb5.conf, the transport
 * to the KDCs, and the AS and TGS exchanges (RFC 4120 §3.1, §3.3).  The
 * public face is include/orthrus/client.h (context.c); the commands
 * (src/cli/kinit.c ...) use both.
 *
 * Credentials travel as struct ccache_cred (src/client/ccache.h): what a
 * cache stores is what an exchange produces.  Ownership: a ccache_cred
 * filled here is the caller's (ccache_cred_free()).
 */
#ifndef ORTHRUS_CLIENT_CLIENT_INT_H
#define ORTHRUS_CLIENT_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "asn1/asn1.h"
#include "base/arena.h"
#include "base/config.h"
#include "base/err.h"
#include "client/ccache.h"
#include "client/keytab.h"
#include "crypto/crypto.h"
#include "proto/principal.h"

/* ---- krb5.conf ---- */

#define CLIENT_MAX_CONF_FILES 8
#define CLIENT_MAX_ETYPES 8
#define CLIENT_MAX_KDCS 8
#define CLIENT_DEFAULT_UDP_LIMIT 1465     /* MIT's default */
#define CLIENT_DEFAULT_SKEW 300
#define CLIENT_DEFAULT_LIFETIME 86400     /* MIT's ticket_lifetime */
#define CLIENT_MAX_REPLY (1u << 20)       /* bytes accepted from a KDC */

/*
 * The files of KRB5_CONFIG (colon-separated, read in order: for a single
 * value the first file that has it wins, as MIT's profile does) or
 * /etc/krb5.conf.  Missing files are skipped; a file that does not parse
 * is an error.
 */
struct client_conf {
	struct config *files[CLIENT_MAX_CONF_FILES];
	size_t nfiles;
	/* [libdefaults], parsed once */
	const char *default_realm;        /* NULL when not set */
	const char *default_ccache_name;
	const char *default_keytab_name;  /* %{...} expanded */
	char *keytab_name_buf;            /* its storage */
	int64_t udp_preference_limit;
	int64_t clockskew;
	uint16_t ccache_version;          /* ccache_type: new FILE caches' */
	int64_t ticket_lifetime;
	int64_t renew_lifetime;           /* 0: not renewable by default */
	bool forwardable;
	int32_t permitted[CLIENT_MAX_ETYPES];
	size_t npermitted;
	int32_t tkt_etypes[CLIENT_MAX_ETYPES];  /* AS-REQ etypes */
	size_t ntkt;
	int32_t tgs_etypes[CLIENT_MAX_ETYPES];  /* TGS-REQ etypes */
	size_t ntgs;
	/* dns_lookup_kdc (else dns_fallback), MIT's default true: SRV
	 * records for a realm without `kdc` lines. */
	bool dns_lookup_kdc;
	/* The transport's schedule (sendto.c): kdc_step_ms for each KDC in
	 * turn (MIT: 1 s), kdc_passes passes (MIT: 3); tests shorten the step
	 * with ORTHRUS_KDC_TIMEOUT_MS. */
	int kdc_step_ms;
	int kdc_passes;
};

/*
 * Load from paths (a KRB5_CONFIG-style list; NULL: $KRB5_CONFIG, else
 * /etc/krb5.conf).  ORTH_E_CONFIG with "FILE:LINE: what" in err on a bad
 * file or value.  *out: client_conf_free().
 */
orth_err client_conf_load(const char *paths, struct client_conf *out,
			  char *err, size_t errlen);
/* The same from text in memory (tests). */
orth_err client_conf_load_string(const char *text, struct client_conf *out,
				 char *err, size_t errlen);
void client_conf_free(struct client_conf *c);

/* First value of a [libdefaults]-style path over the files, or NULL. */
const char *client_conf_get2(const struct client_conf *c, const char *sect,
			     const char *name);

/*
 * The `kdc` entries of [realms] REALM (file order, from the first file that
 * lists any).  Each is copied into kdcs[i] (host[:port] as written).
 * ORTH_E_NOTFOUND when the realm has none.
 */
orth_err client_conf_kdcs(const struct client_conf *c, const char *realm,
			  char (*kdcs)[256], size_t max, size_t *n_out);

/*
 * Split "host", "host:port", "[v6]:port" or a bare IPv6 address into host
 * and port (default 88).  ORTH_E_CONFIG on a bad port.  (A "udp/" or
 * "tcp/" prefix is the transport's, taken off by sendto.c first.)
 */
orth_err client_kdc_split(const char *spec, char *host, size_t hostcap,
			  char *port, size_t portcap);

/* ---- the context every exchange runs in ---- */

struct client_ctx {
	struct client_conf conf;
	char msg[512];                    /* the last error, printable */
	orth_err msg_code;                /* the error msg belongs to */
};

/* Record a message for ret (printf-style); returns ret. */
orth_err client_fail(struct client_ctx *ctx, orth_err ret, const char *fmt,
		     ...) __attribute__((format(printf, 3, 4)));

/* ---- transport ---- */

/*
 * Send req to the KDCs of realm and return the first answer, as MIT's
 * k5_sendto: the KDCs are krb5.conf's `kdc` lines (a "udp/" or "tcp/"
 * prefix limits one to that transport), else, with dns_lookup_kdc, the
 * SRV records _kerberos._udp.REALM and _kerberos._tcp.REALM (RFC 2782
 * priority order).  The preferred transport is UDP (TCP when req_len >
 * udp_preference_limit); each KDC in turn gets kdc_step_ms to answer
 * while the ones before it stay heard, then the other transport, then
 * passes that resend over UDP with growing waits.  A KRB-ERROR
 * KDC_ERR_SVC_UNAVAILABLE means "ask another" (it is the answer only when
 * no KDC gives a better one); KRB_ERR_RESPONSE_TOO_BIG over UDP moves that
 * KDC to TCP.  *resp_out is malloc'd (free()).  Errors: ORTH_E_NOTFOUND
 * (no KDC for the realm), ORTH_E_TIMEOUT / ORTH_E_NETWORK (none answered),
 * with a message in ctx.
 */
orth_err client_sendto_kdc(struct client_ctx *ctx, const char *realm,
			   const uint8_t *req, size_t req_len,
			   uint8_t **resp_out, size_t *resp_len_out);

/* One SRV record (RFC 2782). */
struct client_srv {
	uint16_t priority, weight, port;
	char target[256];                 /* "" for the root ("."): none */
};

/*
 * The SRV records of a DNS answer (a whole message, as res_query returns
 * it), parsed with libresolv's ns_initparse/ns_parserr/dn_expand, in
 * priority order (lower first; answer order within a priority, as MIT's
 * place_srv_entry, which ignores weights).  At most max; records of other
 * types are skipped.  ORTH_E_MALFORMED when the message does not parse.
 */
orth_err client_dns_srv_parse(const uint8_t *msg, size_t len,
			      struct client_srv *out, size_t max,
			      size_t *n_out);

/* ---- principals between the proto and ccache forms ---- */

orth_err client_princ_to_cc(const struct principal *p,
			    struct ccache_principal *out);
orth_err client_princ_from_cc(const struct ccache_principal *cp,
			      struct arena *a, struct principal *out);

/* ---- AS exchange (RFC 4120 §3.1) ---- */

struct client_as_params {
	const struct principal *client;
	const struct principal *server;  /* NULL: krbtgt/REALM@REALM */
	const char *password;            /* or: */
	const struct keytab_entry *keys; /* the client's keytab entries */
	size_t nkeys;
	uint32_t kdc_options;
	int64_t lifetime;                /* seconds from now */
	int64_t renew_life;              /* 0: none */
	int64_t start_time;              /* 0: now */
	/* FAST (RFC 6113, `kinit -T`): the armor TGT, krbtgt/REALM of the
	 * client's realm, and its cache's KDC time offset; NULL: no armor. */
	const struct ccache_cred *armor_tgt;
	int32_t armor_offset;
};

/*
 * Run the AS exchange and fill *cred_out with the ticket.  Pre-
 * authentication when the KDC asks for it: PA-ENC-TIMESTAMP, or with an
 * armor TGT the FAST tunnel (RFC 6113 §5.4: every request armored, errors
 * and the reply opened from it, the reply key strengthened) and
 * encrypted challenge (§5.4.6, the KDC's answer to it checked).  Every
 * request asks for RFC 6806's PA-REQ-ENC-PA-REP, which is verified
 * (client_as_rep_check_enc_pa_rep).  *offset_out: the KDC clock minus
 * ours, seconds (from the reply's authtime).  *fast_avail_out (may be
 * NULL): the KDC said in the encrypted part that it speaks FAST (MIT's
 * fast_avail).
 */
orth_err client_as_exchange(struct client_ctx *ctx,
			    const struct client_as_params *p,
			    struct ccache_cred *cred_out, int32_t *offset_out,
			    bool *fast_avail_out);

/*
 * RFC 6806 §11 on the encrypted part enc of an AS-REP opened with
 * reply_key, for the AS-REQ req we sent: when its flags carry ENC-PA-REP,
 * PA-REQ-ENC-PA-REP must verify over req (ORTH_E_INTEGRITY, with a
 * message, otherwise: the request was changed in transit).
 * *fast_avail_out: the encrypted padata holds PA-FX-FAST.  A reply
 * without the flag passes (a KDC without RFC 6806).
 */
orth_err client_as_rep_check_enc_pa_rep(struct client_ctx *ctx, const EncKDCRepPart *enc,
					struct crypto_key *reply_key, const uint8_t *req,
					size_t req_len, struct arena *a, bool *fast_avail_out);

/*
 * Check and decrypt an AS-REP (or KRB-ERROR) answering req_body with
 * reply_key (the client's long-term key); fills *cred_out.  Pure: used by
 * the exchange and by the tests.  Errors: ORTH_E_KRB(code) for a
 * KRB-ERROR, ORTH_E_INTEGRITY when the reply does not decrypt,
 * ORTH_E_POLICY when it does not answer what was asked (nonce, client,
 * service), with a message in ctx.
 */
orth_err client_as_rep_process(struct client_ctx *ctx,
			       const KDC_REQ_BODY *req_body,
			       struct crypto_key *reply_key,
			       const uint8_t *rep, size_t rep_len,
			       struct arena *a, struct ccache_cred *cred_out);

/* ---- TGS exchange (RFC 4120 §3.3) ---- */

struct client_tgs_params {
	const struct ccache_cred *tgt;   /* the TGT (or the ticket to renew) */
	const struct principal *server;  /* the service asked for */
	uint32_t kdc_options;            /* KDC_OPT_* (krb5_const.h) */
	int64_t lifetime;                /* 0: the TGT's end time */
	int64_t renew_life;              /* with KDC_OPT_RENEWABLE */
	const int32_t *etypes;           /* NULL: conf's default_tgs_enctypes */
	size_t netypes;
	/* ENC-TKT-IN-SKEY (user-to-user): the other party's TGT (DER). */
	const uint8_t *second_ticket;
	size_t second_ticket_len;
	int32_t time_offset;             /* KDC clock minus ours */
	/* MS-SFU S4U2Self: the user the ticket is for (PA-FOR-USER and
	 * PA-S4U-X509-USER in the request, the reply's client; the KDC's
	 * PA-S4U-X509-USER checked when it sends one); NULL: none. */
	const struct principal *s4u_user;
	/* S4U2Proxy (KDC option CNAME-IN-ADDL-TKT, second_ticket the
	 * evidence): the reply's client, the evidence ticket's; NULL: the
	 * TGT's client as always. */
	const struct principal *want_client;
};

/* The state of one TGS request, what the reply must answer. */
struct client_tgs_req {
	uint8_t *der;                    /* the TGS-REQ (arena) */
	size_t der_len;
	KDC_REQ_BODY body;               /* what was asked */
	struct crypto_key *subkey;       /* the authenticator subkey (owned) */
	struct crypto_key *session_key;  /* the TGT session key (owned) */
	/* The FAST armor key (RFC 6113 §5.4.1.1 implicit armor) the request
	 * went through the tunnel with (owned); NULL: not armored. */
	struct crypto_key *armor_key;
};

/* Build the TGS-REQ (PA-TGS-REQ AP-REQ with a checksum over the body,
 * usage 6, authenticator usage 7 with a fresh subkey), armored with the
 * TGS's implicit FAST armor as MIT's library does (RFC 6113 §5.4.1.1).
 * *out: client_tgs_req_free(). */
orth_err client_tgs_req_build(struct client_ctx *ctx,
			      const struct client_tgs_params *p,
			      struct arena *a, struct client_tgs_req *out);
void client_tgs_req_free(struct client_tgs_req *r);

/*
 * Check and decrypt a TGS-REP (usage 9 with the subkey, else 8 with the
 * session key; both strengthened when the reply came through the FAST
 * tunnel, whose finished checksum must verify; an error through the
 * tunnel is read from inside) answering r: the nonce, and the service name and realm of
 * the encrypted part and of the ticket must equal the request's
 * (CVE-2017-11103: the unencrypted ticket is not to be trusted), the
 * client the TGT's.  ORTH_E_POLICY with a message otherwise.
 */
orth_err client_tgs_rep_process(struct client_ctx *ctx,
				const struct client_tgs_params *p,
				const struct client_tgs_req *r,
				const uint8_t *rep, size_t rep_len,
				struct arena *a, struct ccache_cred *cred_out);

/*
 * S4U2Self (s4u.c): the padata of a request for user's ticket, nonce the
 * body's: PA-S4U-X509-USER (use-reply-key-usage, checksum under subkey)
 * and, unless MD5 is missing, PA-FOR-USER (under session).  out has room
 * for 2; *n_out set.  Memory from a.
 */
orth_err client_s4u_padata(const struct principal *user, struct crypto_key *session,
			   struct crypto_key *subkey, uint32_t nonce, struct arena *a,
			   PA_DATA *out, size_t *n_out);
/*
 * The KDC's PA-S4U-X509-USER in a reply's padata (as the FAST tunnel
 * gave it), when there is one: its nonce, its checksum under subkey (usage
 * 27 with the option, else 26) and user.  ORTH_E_POLICY, ORTH_E_INTEGRITY,
 * ORTH_E_MALFORMED with a message in ctx.
 */
orth_err client_s4u_reply_check(struct client_ctx *ctx, const struct principal *user,
				struct crypto_key *subkey, uint32_t nonce,
				const METHOD_DATA *padata, struct arena *a);

/* Build, send, process. */
orth_err client_tgs_exchange(struct client_ctx *ctx,
			     const struct client_tgs_params *p,
			     struct ccache_cred *cred_out);

/* Kerberos time now (seconds). */
int64_t client_now(void);

/* ---- what context.c builds on (include/orthrus/client.h) ---- */

struct orthrus_context {
	struct client_ctx c;
	char keytab_default[512];
};

/* Open ccache (NULL: the default name). */
orth_err client_ccache_open(struct orthrus_context *ctx, const char *name,
			    struct ccache **out);
/* A keytab name without its "FILE:"/"WRFILE:" prefix (NULL: default). */
const char *client_keytab_path(struct orthrus_context *ctx, const char *name);
/* The TGT krbtgt/REALM@REALM of the cache's principal.  *client_out
 * (may be NULL) the default principal. */
orth_err client_tgt_get(struct orthrus_context *ctx, struct ccache *cc,
			struct ccache_cred *tgt_out,
			struct ccache_principal *client_out);
/* A credential as include/orthrus/client.h's ticket (decoding the
 * ticket for its enctype and kvno).  *out: orthrus_ticket_free(). */
struct orthrus_ticket;
orth_err client_ticket_from_cred(const struct ccache_cred *c,
				 struct orthrus_ticket *out);

/*
 * The handles of include/orthrus/base.h, ccache.h and keytab.h.  A
 * principal and a credential are the cache's own structs (one member), so
 * that a credential of a cache's snapshot gives out views of its names
 * without copies.
 */
struct orthrus_principal {
	struct ccache_principal p;
};
struct orthrus_cred {
	struct ccache_cred c;
};
/* Record the message of a failure of the public API in ctx (NULL: none):
 * the collection's words (ccache_col_error()) when it left some, else the
 * code's text; returns ret. */
orth_err client_api_fail(struct orthrus_context *ctx, orth_err ret);
/* The view of p as a public principal (valid while p is). */
const struct orthrus_principal *client_principal_view(const struct ccache_principal *p);

#endif
