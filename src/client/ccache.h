/*
 * ccache.h - credential caches: MIT's FILE format (versions 1 to 4, each
 * written back in its own version; new caches are version 4) and
 * process-local MEMORY caches.
 *
 * A cache holds a default principal, an optional KDC time offset and a list
 * of credentials.  Some credentials are configuration entries (server realm
 * "X-CACHECONF:", e.g. krb5_ccache_conf_data/fast_avail/...): they are kept
 * and rewritten like any other entry but never match a ticket lookup.
 *
 * FILE layout (integers big-endian from version 3 on, host order in 1 and
 * 2; MIT's ccache_file_format):
 *   u16 version (0x0501 .. 0x0504, always big-endian)
 *   v4: u16 header_len, header_len bytes of {u16 tag, u16 len, len bytes};
 *       tag 1 = KDC time offset {s32 seconds, s32 microseconds}
 *   principal: u32 name_type, u32 ncomps, counted realm, ncomps counted
 *       (version 1: no name_type, and ncomps counts the realm too)
 *   credential*: client, server, keyblock {u16 enctype, [v3: u16 again],
 *       counted key}, u32 authtime/starttime/endtime/renew_till, u8 is_skey,
 *       u32 flags, u32 naddrs {u16 type, counted}, u32 nauthdata {u16 type,
 *       counted}, counted ticket, counted second_ticket
 *   counted = u32 length + bytes
 *
 * Several processes share a FILE cache, ours and MIT's, as MIT's library
 * shares it (lib/krb5/ccache/cc_file.c): every access holds an fcntl lock
 * on the whole file (base/file.h), a read lock to read and a write lock to
 * change it.  A read decodes the whole file (at most CCACHE_MAX_FILE
 * bytes) into a snapshot.  A change is applied to the contents as they are
 * under the write lock, never to an earlier snapshot, in one of two ways:
 *   - in place, where MIT changes in place: store appends a credential at
 *     the end, remove and config_put mark an entry removed where it is
 *     (MIT 1.18+: endtime 0, authtime -1, a config entry's realm renamed
 *     X-RMED-CONF:); the offsets of the other entries do not move, so a
 *     reader iterating meanwhile (MIT's cursor) still finds them.  The
 *     owner and mode of the file stay what they are.
 *   - replace, for a re-initialisation (initialize, initialize_with,
 *     write) and a header change (time_offset_set): the new cache is
 *     written to a temporary file (mkostemp, O_EXCL) in the same
 *     directory and renamed over the old one, whose write lock is held
 *     meanwhile, as MIT's kinit (1.20+, krb5_cc_move) replaces a cache.
 *     A reader sees the old cache or the new one; the new file gets the
 *     old one's owner, group and mode (0600 for a new cache); when we may
 *     not create it or give it the owner (not root), the old file is
 *     rewritten in place under its lock instead.
 * Removed entries are skipped by every read (they never reach a snapshot).
 * A symlink at the cache's name is followed to read and to change in
 * place, and replaced (not followed) by a re-initialisation, as MIT does.

 * Ownership: every struct filled by a function here is owned by the caller
 * and released with the matching *_free(); *_free() wipes key bytes and is
 * safe on a zeroed struct.  Input structs are only read and copied.
 */
#ifndef ORTHRUS_CLIENT_CCACHE_H
#define ORTHRUS_CLIENT_CCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Limits on what a cache may hold (and a file may claim). */
#define CCACHE_MAX_FILE (16u << 20)    /* bytes of a FILE cache */
#define CCACHE_MAX_COMPONENTS 32u      /* per principal */
#define CCACHE_MAX_LIST 256u           /* addresses or authdata per cred */
#define CCACHE_MAX_CREDS 65536u        /* credentials per cache */

#define CCACHE_VERSION_1 0x0501
#define CCACHE_VERSION_2 0x0502
#define CCACHE_VERSION_3 0x0503
#define CCACHE_VERSION_4 0x0504
#define CCACHE_TAG_DELTATIME 1
#define CCACHE_CONF_REALM "X-CACHECONF:"
#define CCACHE_CONF_NAME "krb5_ccache_conf_data"

/*
 * Counted bytes.  data is allocated with one extra NUL byte after len so
 * names can be used as C strings (they may still contain NULs inside);
 * data is NULL only when len is 0 and nothing was allocated.
 */
struct ccache_data {
	uint8_t *data;
	size_t len;
};

/* A principal as the cache stores it; conversion to src/proto's is 1:1. */
struct ccache_principal {
	int32_t name_type;          /* KRB5_NT_* */
	struct ccache_data realm;
	uint32_t ncomps;
	struct ccache_data *comps;  /* ncomps entries */
};

/* An address (addrtype) or authorization-data element (ad-type). */
struct ccache_tagged {
	int32_t type;               /* 16 bits in the file */
	struct ccache_data data;
};

struct ccache_cred {
	struct ccache_principal client;
	struct ccache_principal server;
	int32_t enctype;            /* session key enctype (16 bits in file) */
	struct ccache_data key;     /* session key bytes; wiped on free */
	/* Kerberos times (seconds since 1970).  The file stores them as
	 * unsigned 32-bit, so 0..2^32-1 (through 2106); larger values are
	 * clamped to 2^32-1 on write, negative ones refused. */
	int64_t authtime, starttime, endtime, renew_till;
	bool is_skey;               /* ticket is ENC-TKT-IN-SKEY (user-to-user) */
	uint32_t flags;             /* TicketFlags, RFC bit 0 = 0x80000000 */
	uint32_t naddrs;
	struct ccache_tagged *addrs;
	uint32_t nauthdata;
	struct ccache_tagged *authdata;
	struct ccache_data ticket;         /* DER Ticket */
	struct ccache_data second_ticket;  /* DER Ticket or empty */
};

/* A whole cache, as decoded from (or to be encoded into) a FILE. */
struct ccache_contents {
	uint16_t version;           /* as read, and written so (0: 0x0504) */
	bool has_time_offset;
	int32_t time_offset_sec;    /* KDC time minus local time */
	int32_t time_offset_usec;
	struct ccache_data other_tags;  /* unknown v4 header tags, kept raw */
	struct ccache_principal princ;  /* the default principal */
	size_t ncreds;
	struct ccache_cred *creds;  /* tickets and config entries, file order */
};

struct ccache;       /* an open cache handle */
struct ccache_iter;  /* an iteration over a snapshot */

/* ---- principals and credentials ---- */

/*
 * Parse "comp/comp@REALM" with MIT's escapes (\/ \@ \\ \n \t \b \0).
 * Without "@REALM" the default_realm is used (ORTH_E_BADNAME when NULL).
 * name_type is KRB5_NT_PRINCIPAL, or KRB5_NT_SRV_INST for krbtgt/...
 * Errors: ORTH_E_BADNAME, ORTH_E_LIMIT, ORTH_E_NOMEM.
 */
orth_err ccache_principal_parse(const char *name, const char *default_realm,
				struct ccache_principal *out);

/* The inverse of parse (escaping as MIT's unparse); *out is malloc'd,
 * release with free().  Errors: ORTH_E_NOMEM. */
orth_err ccache_principal_unparse(const struct ccache_principal *p,
				  char **out);

/* Same realm and components (name types are ignored, as MIT does). */
bool ccache_principal_eq(const struct ccache_principal *a,
			 const struct ccache_principal *b);

orth_err ccache_principal_copy(const struct ccache_principal *src,
			       struct ccache_principal *dst_out);
void ccache_principal_free(struct ccache_principal *p);

orth_err ccache_cred_copy(const struct ccache_cred *src,
			  struct ccache_cred *dst_out);
void ccache_cred_free(struct ccache_cred *c);

/* True for configuration entries (server realm X-CACHECONF:). */
bool ccache_cred_is_config(const struct ccache_cred *c);

/* True for an entry removed in place (endtime 0, authtime not 0), which
 * MIT's library and ours skip; ccache_contents_decode keeps them. */
bool ccache_cred_is_removed(const struct ccache_cred *c);

/* Copy n bytes into d (allocated len+1, NUL-terminated).  ORTH_E_NOMEM. */
orth_err ccache_data_set(struct ccache_data *d, const void *bytes, size_t n);
/* Wipe and free d's bytes. */
void ccache_data_free(struct ccache_data *d);

/* ---- the FILE format ---- */

/*
 * Decode a FILE cache image (versions 1 to 4).  Every length is checked
 * against the bytes left; counts are capped by CCACHE_MAX_*.
 * Errors: ORTH_E_MALFORMED (bad version or tag), ORTH_E_TRUNCATED,
 * ORTH_E_LIMIT, ORTH_E_NOMEM.  *out is set only on success.
 */
orth_err ccache_contents_decode(const uint8_t *buf, size_t len,
				struct ccache_contents *out);

/*
 * Encode in c->version (0: version 4); the header, and so the time
 * offset (only when has_time_offset) and other tags, exist in version 4
 * only.
 * *buf_out is malloc'd and holds keys: release with ccache_buf_free().
 * Errors: ORTH_E_RANGE (negative time, or a count or length over the
 * format's range or the CCACHE_MAX_* caps), ORTH_E_LIMIT (image over
 * CCACHE_MAX_FILE), ORTH_E_NOMEM.
 */
orth_err ccache_contents_encode(const struct ccache_contents *c,
				uint8_t **buf_out, size_t *len_out);
void ccache_buf_free(uint8_t *buf, size_t len);

void ccache_contents_free(struct ccache_contents *c);

/* ---- cache handles ---- */

/*
 * The default cache name, as MIT's krb5_cc_default_name: $KRB5CCNAME as it
 * is if set and not empty (not in a setuid program: env_get()), else
 * config_default (krb5.conf's default_ccache_name, may be NULL) with its
 * %{...} tokens expanded (base/env.h), else "FILE:/tmp/krb5cc_%{uid}".
 * *name_out is malloc'd.  ORTH_E_CONFIG (an unknown token, named in err).
 */
orth_err ccache_default_name(const char *config_default, char **name_out,
			     char *err, size_t errlen);

/*
 * Open a cache by name: "FILE:/path", "/path" or "path" (FILE), or
 * "MEMORY:name"; "DIR:..." and "KEYRING:..." caches of a collection
 * (ccache_col.h, which also explains KCM:'s refusal).  Nothing is read or
 * created yet (a DIR: directory and a KEYRING: collection are, as MIT's
 * resolve does).  Release with ccache_close().  Errors: ORTH_E_USAGE
 * (unknown type or empty residual), ORTH_E_NOMEM, the collection's.
 */
orth_err ccache_open(const char *name, struct ccache **cc_out);
void ccache_close(struct ccache *cc);

/*
 * The FILE format version ccache_initialize() and ccache_initialize_with()
 * write from then on (CCACHE_VERSION_1 .. _4; MIT's krb5.conf ccache_type
 * 1 to 4, for old readers): a new login starts a cache in it; adding to an
 * existing cache keeps that cache's version.  0, and caches other than
 * FILE (MEMORY:, KEYRING:), stay with version 4.
 */
void ccache_new_version_set(struct ccache *cc, uint16_t version);

/* "FILE:/path" or "MEMORY:name"; valid until ccache_close(). */
const char *ccache_name_get(const struct ccache *cc);

/*
 * The operations below return ORTH_E_NOTFOUND when the cache does not
 * exist, a decode error (see ccache_contents_decode) when it is corrupt,
 * ORTH_E_PERM when the system refuses access (EACCES, EPERM, EROFS),
 * ORTH_E_NOSPACE, or ORTH_E_IO on another system error (errno kept).
 */

/* Create or empty the cache, with princ as default principal.  The time
 * offset and config entries are dropped as well (a new login). */
orth_err ccache_initialize(struct ccache *cc,
			   const struct ccache_principal *princ);

/*
 * A new login in one step: the cache becomes princ, the KDC time offset
 * (offset_sec, offset_usec) and a copy of cred (NULL: none), whatever it
 * held.  One replacement: no other writer's change lands between the
 * three, and no reader sees a cache without its ticket.
 */
orth_err ccache_initialize_with(struct ccache *cc,
				const struct ccache_principal *princ,
				int32_t offset_sec, int32_t offset_usec,
				const struct ccache_cred *cred);

/* Read the whole cache (a snapshot, removed entries left out). */
orth_err ccache_read(struct ccache *cc, struct ccache_contents *out);

/* Replace the whole cache with c (atomically for FILE). */
orth_err ccache_write(struct ccache *cc, const struct ccache_contents *c);

orth_err ccache_default_principal_get(struct ccache *cc,
				      struct ccache_principal *out);

/* Append a copy of cred, as MIT does: an older ticket for the same
 * client and server stays (retrieve takes the longest-lived). */
orth_err ccache_store(struct ccache *cc, const struct ccache_cred *cred);

/*
 * Find a ticket (never a config entry) for client (NULL: the default
 * principal) and server; enctype 0 matches any session key type.
 * ORTH_E_NOTFOUND if none.
 */
orth_err ccache_retrieve(struct ccache *cc,
			 const struct ccache_principal *client,
			 const struct ccache_principal *server,
			 int32_t enctype, struct ccache_cred *out);

/* Remove (mark removed, in place) every ticket of client (NULL: default
 * principal) for server.  ORTH_E_NOTFOUND if there was none. */
orth_err ccache_remove(struct ccache *cc,
		       const struct ccache_principal *client,
		       const struct ccache_principal *server);

/* FILE: overwrite the file with zeros, then unlink it.  MEMORY: wipe and
 * drop it.  The handle stays open (and may initialize again). */
orth_err ccache_destroy(struct ccache *cc);

/* The KDC time offset (header tag 1); ORTH_E_NOTFOUND if none stored. */
orth_err ccache_time_offset_get(struct ccache *cc, int32_t *sec_out,
				int32_t *usec_out);
orth_err ccache_time_offset_set(struct ccache *cc, int32_t sec, int32_t usec);

/*
 * Config entries: server krb5_ccache_conf_data/KEY[/PRINC]@X-CACHECONF:,
 * client the default principal, value in the ticket field (MIT's
 * krb5_cc_set_config: put marks the old entry removed and appends the new
 * one).  princ may be NULL.  get: ORTH_E_NOTFOUND if absent.
 */
orth_err ccache_config_get(struct ccache *cc,
			   const struct ccache_principal *princ,
			   const char *key, struct ccache_data *value_out);
orth_err ccache_config_put(struct ccache *cc,
			   const struct ccache_principal *princ,
			   const char *key, const void *value, size_t len);

/*
 * Iterate over the tickets (config entries skipped) of a snapshot taken by
 * begin.  next gives a pointer valid until the next call or end;
 * ORTH_E_NOTFOUND when done.
 */
orth_err ccache_iter_begin(struct ccache *cc, struct ccache_iter **it_out);
orth_err ccache_iter_next(struct ccache_iter *it,
			  const struct ccache_cred **cred_out);
void ccache_iter_end(struct ccache_iter *it);

#endif
