/*
 * kdc_config.h - the KDC's typed view of kdc.conf: listening addresses,
 * the service user, metrics, and per realm its database, stash, enctypes,
 * lifetimes and policies.
 *
 * Read from the generic profile tree of base/config.h, which knows no
 * Kerberos; what a relation means to the KDC (an enctype, a lifetime, the
 * default key set) is decided here.
 */
#ifndef ORTHRUS_KDC_CONFIG_H
#define ORTHRUS_KDC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/config.h"
#include "base/err.h"

/* The typed view of kdc.conf. */
#define KDC_CONFIG_MAX_LISTEN 16
#define KDC_CONFIG_MAX_ENCTYPES 16
#define KDC_CONFIG_MAX_REALMS 8

struct kdc_config_realm {
	const char *name;
	const char *database_name;     /* default /var/lib/orthrus/<REALM>.mdb */
	const char *key_stash_file;    /* default /etc/orthrus/<REALM>.stash */
	int32_t master_key_type;       /* default 18 (aes256-cts-hmac-sha1-96) */
	int64_t max_life;              /* seconds, default 24h */
	int64_t max_renewable_life;    /* seconds, default 0 */
	int32_t supported_enctypes[KDC_CONFIG_MAX_ENCTYPES];
	size_t n_enctypes;             /* default: 18 17 20 19 */
	const char *default_principal_flags; /* raw; db_attrs_parse() */
	unsigned keep_old_keys;        /* key sets kept besides the newest, 3 */
	uint64_t database_map_size;    /* LMDB map size, bytes; 0 = default */
	char listen[KDC_CONFIG_MAX_LISTEN][64];
	size_t n_listen;
	char tcp_listen[KDC_CONFIG_MAX_LISTEN][64];
	size_t n_tcp_listen;
	/* kpasswd_listen (MIT's kadmind relation): the kpasswd service's
	 * addresses, UDP and TCP; a missing port is 464.  Not set: port 464
	 * on the KDC's addresses; set to nothing: no kpasswd service. */
	char kpasswd_listen[KDC_CONFIG_MAX_LISTEN][64];
	size_t n_kpasswd_listen;
	bool kpasswd_listen_set;
	const char *acl_file;          /* MIT kadm5.acl syntax; NULL: none */
	/* requires_fast: every AS exchange of the realm must be FAST-armored
	 * (RFC 6113), as the requires-fast attribute asks for one principal
	 * (src/kdc/preauth/preauth.h); MIT has no such relation. */
	bool requires_fast;
	/* disable_encrypted_timestamp: PA-ENC-TIMESTAMP neither offered nor
	 * accepted (src/kdc/preauth/encts.c); MIT's name, a krb5.conf
	 * client relation there. */
	bool disable_encrypted_timestamp;
	/* spake_preauth_groups (MIT's relation, RFC 9588 groups): the raw
	 * list, parsed by the KDC (kdc/preauth/spake.c); "" turns SPAKE
	 * off; NULL: not set here nor in [kdcdefaults], the default. */
	const char *spake_preauth_groups;
	char default_paths[2][512];    /* storage for the defaults above */
};

/* Contains pointers into itself: do not copy, use in place. */
struct kdc_config {
	char listen[KDC_CONFIG_MAX_LISTEN][64];      /* [kdcdefaults] kdc_listen */
	size_t n_listen;
	char tcp_listen[KDC_CONFIG_MAX_LISTEN][64];  /* kdc_tcp_listen */
	size_t n_tcp_listen;
	char kpasswd_listen[KDC_CONFIG_MAX_LISTEN][64]; /* kpasswd_listen */
	size_t n_kpasswd_listen;
	bool kpasswd_listen_set;
	/* [kdcdefaults] user / group: who `orthrus kdc` started as root
	 * becomes once its sockets are bound (group: default the user's
	 * primary group).  NULL: it stays who it was started as. */
	const char *user;
	const char *group;
	/* [kdcdefaults] metrics_listen: "127.0.0.1:9188", the Prometheus
	 * endpoint (kdc/metrics.h).  NULL: none. */
	const char *metrics_listen;
	/* [kdcdefaults] kdc_replay_cache_size: the TGS authenticator replay
	 * cache's entries (kdc/replay.h says how to size it; 23 bytes
	 * each).  0: not set, KDC_REPLAY_DEFAULT_CAPACITY. */
	size_t replay_cache_size;
	const char *default_realm;   /* [libdefaults] default_realm or the only realm */
	const char *spake_preauth_groups; /* [kdcdefaults]; realms inherit it */
	struct kdc_config_realm realms[KDC_CONFIG_MAX_REALMS];
	size_t n_realms;
};

/*
 * Fill *out from cfg (strings point into cfg: valid while it lives).
 * enctype_from_name turns an enctype name (or number) into its number, or
 * -1; a ":normal"-style salt suffix is stripped first; unknown enctypes
 * are an error.  Unknown relations and sections are warned about on stderr
 * with FILE:LINE.  ORTH_E_CONFIG with a message in err on a bad value.
 */
orth_err kdc_config_load(const struct config *cfg,
			 int32_t (*enctype_from_name)(const char *name),
			 struct kdc_config *out, char *err, size_t errlen);

/* The realm named name (NULL: the default realm), or NULL. */
const struct kdc_config_realm *kdc_config_realm(const struct kdc_config *kc,
						const char *name);

#endif
