/*
 * kdc_int.h - what the files of the KDC share: the worker context, the
 * per-request state, and helpers (key cache, principal lookup, errors).
 * Not for use outside src/kdc.
 */
#ifndef ORTHRUS_KDC_INT_H
#define ORTHRUS_KDC_INT_H

#include "asn1/asn1.h"
#include "crypto/crypto.h"
#include "kdc/kdc.h"
#include "kdc/metrics.h"
#include "kdc/policy.h"
#include "kdc/siphash.h"
#include "proto/krb5_const.h"
#include "proto/krberr.h"
#include "proto/principal.h"

/* Per-request keys: session, subkey, and with FAST the armor key, the
 * strengthen key, the strengthened reply key, challenge and cookie keys. */
#define KDC_TMP_KEYS 16
/* Database entries a request can hold outside the arena and the entry
 * cache (lookups the cache cannot keep, the lockout's fresh copies, FAST
 * armor tickets' servers; more come from the arena). */
#define KDC_ENTRY_SLOTS 8
#define KDC_LOG_NAME 256

/* The longest stored key the cache keeps: a DB_SEAL_BOUND one (db.h), the
 * encryption of version, enctype, kvno and tag length (10 bytes), the
 * name's tag and the key.  A raw (DB_SEAL_RAW) key is shorter.  Sized for
 * the bound form: with room for raw keys only, no key written since record
 * version 3 was ever cached. */
#define KDC_SEALED_KEY_MAX (CRYPTO_MAX_OVERHEAD + 10 + CRYPTO_MAX_CKSUM_LEN + CRYPTO_MAX_KEY_LEN)

/* A slot of the worker's key caches (long-term keys, session keys). */
struct kdc_key_slot {
	struct crypto_key *key;      /* NULL: empty slot */
	uint64_t used;               /* last request that used it */
};

/* A decrypted long-term key, found again by the bytes it was decrypted
 * from (the db's encrypted key). */
struct kdc_keycache_slot {
	struct kdc_key_slot k;
	int32_t enctype;
	size_t enc_len;
	uint8_t enc[KDC_SEALED_KEY_MAX];
};

/*
 * Session keys of the tickets presented to the KDC (TGTs), across
 * requests: a client sends every TGS-REQ of a TGT's life with the same
 * session key, so its derived keys (usage 7 for the authenticator, 6 for
 * the body checksum) are made once, not per request.  Set-associative:
 * the set from a keyed hash of the key bytes (the key bytes never index
 * anything directly), least recently used out within the set; an evicted
 * key is wiped (crypto_key_free).  Bounded: at most SETS * WAYS keys.
 */
#define KDC_SESSKEY_SETS 64
#define KDC_SESSKEY_WAYS 4

/*
 * Decoded database entries, across requests (kdc_entry_lookup): a TGS-REQ
 * looks up the TGS, its client and its server, and the same ones come
 * back.  A slot is current while the database's generation is still the
 * one it was read at (db.h: any commit makes every slot stale, so a
 * changed principal is read again by the next request).  Set-associative
 * like the session keys: the set from a keyed hash of the name, least
 * recently used out within the set, never a slot the request in progress
 * holds.  A slot's memory (~12 KiB) is allocated when it is first filled,
 * so a worker holds at most SETS * WAYS of them.  Nothing in an entry is
 * secret in the clear (its keys are sealed under the master key).  An
 * entry bigger than a slot's memory is read into the request's arena.
 */
#define KDC_ENTRY_CACHE_SETS 64
#define KDC_ENTRY_CACHE_WAYS 4
#define KDC_ENTRY_CACHE_BYTES 4096

struct kdc_entry_slot {
	uint64_t gen;                /* db_reader_get_at's; 0: empty */
	uint64_t used;               /* last request that used it */
	uint64_t hash;               /* of e.name: a set's other names stay unread */
	struct arena mem;            /* what e points into */
	struct db_entry e;
};

/* One request: what the log line and the KRB-ERROR need. */
struct kdc_req {
	int64_t now;
	int32_t usec;
	const char *msg_type;
	char client[KDC_LOG_NAME];
	char service[KDC_LOG_NAME];
	char etypes[96];
	const char *e_text;          /* why, on the wire and in the log */
	const PrincipalName *sname;  /* for the KRB-ERROR; NULL: krbtgt */
	const PrincipalName *cname;
	const char *crealm;
	struct der_bytes *e_data;
	/* e-data as METHOD-DATA (PREAUTH_REQUIRED's hints, a mechanism's
	 * padata): encoded by the error writer, inside the FAST tunnel when
	 * there is one; e_data is used when this is NULL. */
	METHOD_DATA *e_padata;
	/* The FAST state once the armored request opened (fast.h): from
	 * then on errors go through the tunnel. */
	struct kdc_fast *fast;
	bool undecodable;            /* the KDC-REQ itself did not decode */
	/* The client's clock minus ours, in seconds, when the request
	 * carried a time we checked (PA-ENC-TIMESTAMP, the TGS
	 * authenticator): the log says how far off a refused client is. */
	bool has_skew;
	int64_t skew;
};

/* Note the skew d of r's client (see struct kdc_req). */
static inline void
kdc_req_skew_set(struct kdc_req *r, int64_t d)
{
	r->has_skew = true;
	r->skew = d;
}

struct kdc_ctx {
	const struct kdc_shared *sh;
	struct db_reader *rd;
	struct arena a;
	int64_t skew;
	uint64_t serial;             /* request counter: pins cache slots */
	struct kdc_keycache_slot cache[KDC_KEYCACHE_SLOTS];
	struct crypto_key *tmp[KDC_TMP_KEYS];
	size_t ntmp;
	/* Entries (8 KB each, mostly fixed arrays) kept out of the arena:
	 * they hold names, attributes and pointers into the arena (the keys
	 * in them are sealed under the master key), nothing to wipe, and
	 * the arena wipes all it handed out at every reset. */
	struct db_entry ent[KDC_ENTRY_SLOTS];
	size_t nent;
	/* SETS * WAYS, each NULL until first filled */
	struct kdc_entry_slot *ents[KDC_ENTRY_CACHE_SETS * KDC_ENTRY_CACHE_WAYS];
	struct siphash_key ents_hash;
	/* krbtgt/REALM@REALM unparsed once: every TGS-REQ's ticket names it
	 * (kdc_entry_get) */
	char tgs_name[KDC_LOG_NAME];
	struct kdc_key_slot sesskey[KDC_SESSKEY_SETS * KDC_SESSKEY_WAYS];
	struct siphash_key sesskey_hash;
	struct kdc_metrics metrics;  /* this worker's counters (metrics.h) */
};

/* Record why a request is refused; returns ORTH_E_KRB(code). */
orth_err kdc_fail(struct kdc_req *r, int32_t code, const char *why);
/* The same for a KDC-REQ that does not decode (no reply over UDP). */
orth_err kdc_fail_undecodable(struct kdc_req *r, const char *why);

/*
 * Note a replay-cache refusal for lack of room, verdict ORTH_E_POLICY
 * (the client over its quota) or ORTH_E_LIMIT (the authenticator's group
 * full; anything else is ignored) at now: counted in ctx's metrics, and
 * a warning naming the relation to raise at most once per
 * KDC_REPLAY_WARN_INTERVAL seconds per kind (the request's own log line
 * says every refusal).
 */
void kdc_replay_refusal_note(struct kdc_ctx *ctx, orth_err verdict, int64_t now);

/*
 * The long-term key of e for enctype from key set kvno; kvno 0: the
 * current key set (the highest kvno) only, which is what every key the
 * KDC issues with (reply keys, pre-authentication, ticket keys) must use;
 * an explicit kvno (a ticket's) reaches the older key sets.  From the
 * worker's cache (keyed by the stored key, so a changed key is seen at the
 * next request) or decrypted and cached.  *key_out is borrowed: valid
 * until the end of the request.  info_out/kvno_out may be NULL.
 * ORTH_E_NOTFOUND when that key set has no key of enctype.  now is not
 * used (nothing in the cache ages).
 */
orth_err kdc_key_get(struct kdc_ctx *ctx, const struct db_entry *e,
		     int32_t enctype, uint32_t kvno, struct crypto_key **key_out,
		     const struct db_key **info_out, uint32_t *kvno_out);

/* apreq_ticket_fn (proto/apcheck.h) for tickets to the KDC's own
 * principals (FAST armor, kpasswd): arg is the struct kdc_ctx. */
orth_err kdc_ticket_decrypt(void *arg, const Ticket *t, const struct principal *server,
			    const char *server_name, struct arena *a, EncTicketPart *out,
			    uint32_t *kvno_out, int32_t *enctype_out, char *errbuf,
			    size_t errcap);

/* Room for one database entry, valid until the end of the request (only
 * what a lookup fills may be read), or NULL when the arena is full. */
struct db_entry *kdc_entry_new(struct kdc_ctx *ctx);

/* A key from an EncryptionKey (freed at the end of the request). */
orth_err kdc_key_from_wire(struct kdc_ctx *ctx, const EncryptionKey *ek,
			   struct crypto_key **out);
/*
 * The key of a ticket's EncryptionKey (a TGT's session key) from the
 * worker's session-key cache, or made and cached.  *out is borrowed: valid
 * until the end of the request.  ORTH_E_ENCTYPE, ORTH_E_KEYSIZE as
 * crypto_key_new.
 */
orth_err kdc_session_key_get(struct kdc_ctx *ctx, const EncryptionKey *ek,
			     struct crypto_key **out);
/* Keep k until the end of the request (then freed); *out = k.  On
 * ORTH_E_LIMIT k is freed at once. */
orth_err kdc_key_keep(struct kdc_ctx *ctx, struct crypto_key *k, struct crypto_key **out);
/* A fresh random session key (freed at the end of the request). */
orth_err kdc_key_random(struct kdc_ctx *ctx, int32_t enctype,
			struct crypto_key **out);
/* The wire form of key (bytes shared with key: valid during the request). */
void kdc_key_to_wire(const struct crypto_key *key, EncryptionKey *out);

/* Look up pn@realm into *out (valid until the end of the request, read
 * only: it may be the worker's cached copy); ORTH_E_NOTFOUND,
 * ORTH_E_INTERNAL (a database error).  name_out: the unparsed name
 * (KDC_LOG_NAME bytes) even when not found. */
orth_err kdc_entry_get(struct kdc_ctx *ctx, const PrincipalName *pn,
		       const char *realm, const struct db_entry **out, char *name_out);
/* The same for a name unparsed already (pname_unparse succeeded on it):
 * the request's client or server name is unparsed once for the log and
 * the lookup. */
orth_err kdc_entry_lookup(struct kdc_ctx *ctx, const char *name, const struct db_entry **out);

/* The realm allows etype and we implement it. */
bool kdc_etype_ok(const struct kdc_ctx *ctx, int32_t etype);
/* e has a key of etype in its current key set. */
bool kdc_entry_has_etype(const struct db_entry *e, int32_t etype);
/* The first etype of list that e has and the realm allows, or -1. */
int32_t kdc_etype_choose(const struct kdc_ctx *ctx, const struct db_entry *e,
			 const int32_t *list, size_t n);
/* e's strongest allowed key: the first of the realm's list it has, or -1. */
int32_t kdc_etype_best(const struct kdc_ctx *ctx, const struct db_entry *e);
/*
 * The enctypes of a ticket for server: *session_out, the first of the
 * client's list that the server has a key of (and the realm allows);
 * *ticket_out, the server's strongest key (kdc_etype_best), whatever the
 * client listed.  false (outputs untouched) when there is no session
 * enctype: KDC_ERR_ETYPE_NOSUPP.
 */
bool kdc_etypes_pick(const struct kdc_ctx *ctx, const struct db_entry *server,
		     const int32_t *list, size_t n, int32_t *session_out,
		     int32_t *ticket_out);

/* Policy limits for a client/server pair (either may be NULL). */
void kdc_limits_fill(const struct kdc_ctx *ctx, int64_t now,
		     const struct db_entry *client, const struct db_entry *server,
		     struct policy_limits *lim);
void kdc_req_fill(const KDC_REQ_BODY *b, struct policy_req *pr);

/* "18,17" of the request's etype list into r->etypes. */
void kdc_log_etypes(struct kdc_req *r, const KDC_REQ_BODY *b);
void kdc_log_chosen(struct kdc_req *r, int32_t etype);

/* The e-text for a policy_as/policy_tgs refusal. */
const char *kdc_policy_why(orth_err e);

/* Is pn krbtgt/<realm>? */
bool kdc_is_tgs_name(const PrincipalName *pn, const char *realm);

/* What kdc_reply_encode() needs beyond the ticket itself. */
struct kdc_reply {
	int32_t msg_type;                 /* KRB5_MSG_AS_REP or _TGS_REP */
	const EncTicketPart *ticket;      /* its key, flags, times, client */
	struct crypto_key *ticket_key;    /* the server's (or u2u) key */
	bool has_ticket_kvno;             /* false for user-to-user */
	uint32_t ticket_kvno;
	const char *srealm;
	const PrincipalName *sname;
	struct crypto_key *reply_key;     /* client key, session key or subkey */
	int32_t reply_usage;              /* 3, 8 or 9 */
	uint32_t nonce;
	const int64_t *key_expiration;    /* AS only, may be NULL */
	METHOD_DATA *padata;              /* AS-REP's PA-ETYPE-INFO2, or NULL */
	/* FAST (fast.h): the reply goes through the tunnel, padata inside
	 * the KrbFastResponse, the reply key strengthened (unless
	 * unstrengthened: kdc/preauth/encts.c); NULL: none. */
	const struct kdc_fast *fast;
	bool unstrengthened;
	int64_t now;                      /* KrbFastFinished's time */
	int32_t usec;
	/* RFC 6806 §11: the AS-REQ as received when it asked for
	 * PA-REQ-ENC-PA-REP (the ticket's flags carry ENC-PA-REP then);
	 * NULL: no encrypted padata. */
	const uint8_t *req_der;
	size_t req_der_len;
};

/* Seal the ticket and EncKDCRepPart and encode the KDC-REP into w. */
orth_err kdc_reply_encode(struct kdc_ctx *ctx, const struct kdc_reply *rp,
			  struct writer *w);

/* The exchanges: write the reply into w, or return an error (r says why). */
orth_err kdc_as(struct kdc_ctx *ctx, struct kdc_req *r, const uint8_t *req,
		size_t len, struct writer *w);
orth_err kdc_tgs(struct kdc_ctx *ctx, struct kdc_req *r, const uint8_t *req,
		 size_t len, struct writer *w);
/* The kpasswd service: the reply (or nothing) into w; *code_out the
 * result code for the log line (0 success, -1 nothing answered).  Returns
 * ORTH_OK for a changed password. */
orth_err kdc_kpasswd(struct kdc_ctx *ctx, struct kdc_req *r,
		     const struct kdc_request_info *info, const uint8_t *req,
		     size_t len, struct writer *w, int32_t *code_out);

#endif
