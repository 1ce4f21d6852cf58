/*
 * config.h - the profile syntax of MIT's krb5.conf / kdc.conf, and a typed
 * view of the KDC's settings.
 *
 * The file is a tree: sections (`[name]`) hold relations `name = value` and
 * subtrees `name = { ... }`, which nest.  What MIT's profile library
 * (util/profile/prof_parse.c) reads is read the same way, for krb5.conf
 * files as distributions ship them:
 *  - `include /path` and `includedir /dir/` at the start of a line (the
 *    first line of RHEL/Fedora's /etc/krb5.conf); includedir takes, in name
 *    order, the files named with letters, digits, '-' and '_' only or
 *    ending in ".conf", not starting with '.'; every file starts outside
 *    any section; all of them make one tree;
 *  - a repeated section or subtree merges with the first one;
 *  - `name =` alone on a line opens a subtree whose '{' starts the next
 *    line; if the next line is anything else, name is a relation with an
 *    empty value (MIT refuses that; our kdc.conf has long written
 *    `kpasswd_listen =` for "none");
 *  - '*' after a tag (`name* = ...`), a ']' or a '}' makes it final: later
 *    values of that name are ignored; a value keeps a trailing '*';
 *  - lines before the first `[section]` are ignored (a free-form header);
 *    comments are lines starting (after blanks) with '#' or ';';
 *  - values keep their inner blanks, surrounding blanks are trimmed; a value
 *    in double quotes runs to the closing quote and knows \n \t \b and
 *    \X for X.
 * Errors name FILE:LINE, the included file's when it is there.  Stricter
 * than MIT, on purpose: a missing '}' at the end of a file, a relative
 * include path, a NUL byte, include loops and the limits below.
 *
 * Both the KDC (kdc.conf) and the client (krb5.conf) use the generic tree;
 * kdc_config_load() gives the KDC's typed view.  Nothing here knows
 * Kerberos numbers: enctype names are turned into numbers by a function the
 * caller passes (crypto_enctype_from_name), keeping base below crypto.
 */
#ifndef ORTHRUS_BASE_CONFIG_H
#define ORTHRUS_BASE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Where a command finds its config: -c FILE, else $ORTHRUS_CONFIG, else: */
#define CONFIG_DEFAULT_PATH "/etc/orthrus/kdc.conf"

/* Limits on hostile or absurd files. */
#define CONFIG_MAX_FILE (1024 * 1024)         /* bytes of one file */
#define CONFIG_MAX_TOTAL (4 * 1024 * 1024)    /* bytes of all files */
#define CONFIG_MAX_DEPTH 8                    /* section and '{' levels */
#define CONFIG_MAX_INCLUDE_DEPTH 8            /* include in include ... */
#define CONFIG_MAX_INCLUDES 256               /* files besides the first */

/*
 * A node: a section (depth 0, value NULL), a subtree (value NULL) or a
 * relation (value set).  Children in file order; siblings by `next`.
 */
struct config_node {
	char *name;
	char *value;                 /* NULL for sections and subtrees */
	const char *file;            /* the file it is in (included or not) */
	unsigned line;               /* line of the name in that file */
	bool final;                  /* marked with '*' */
	struct config_node *child;   /* first child (sections/subtrees) */
	struct config_node *last_child;
	struct config_node *next;    /* next sibling */
};

struct config {
	char *path;                  /* the file name, for messages */
	struct config_node *root;    /* first section */
	char **files;                /* every file read; nodes' file point here */
	size_t nfiles;
};

/*
 * Parse the file at path and the files it includes.  On a syntax error
 * returns ORTH_E_CONFIG and puts "FILE:LINE: what" into err (if errlen >
 * 0); so is an included file that cannot be read (and too many or too
 * deeply nested includes); a missing or unreadable first file is
 * ORTH_E_IO (or ORTH_E_NOTFOUND when it does not exist) with a message.
 * *out owned by the caller: config_free().
 */
orth_err config_parse_file(const char *path, struct config **out, char *err,
			   size_t errlen);
/* The same over text in memory; name is used in messages.  Include
 * directives are refused there (ORTH_E_CONFIG): text from memory (tests,
 * the fuzzer) does not reach into the file system. */
orth_err config_parse_string(const char *text, size_t len, const char *name,
			     struct config **out, char *err, size_t errlen);
/* Frees the tree; NULL is fine. */
void config_free(struct config *cfg);

/*
 * The path of the config file a command uses: opt (from -c) if not NULL,
 * else $ORTHRUS_CONFIG if set and not empty (and the program is not
 * setuid: env_get()), else CONFIG_DEFAULT_PATH.
 */
const char *config_path_choose(const char *opt);

/* The first child of node (or of the root when node is NULL) named name. */
const struct config_node *config_node_find(const struct config *cfg,
					   const struct config_node *node,
					   const char *name);
/*
 * The value of the first relation at a path of names, NULL-terminated:
 * config_get(cfg, "realms", "EXAMPLE.COM", "max_life", NULL).  NULL when
 * absent or when the last node is a subtree.  Valid while cfg lives.
 */
const char *config_get(const struct config *cfg, ...)
	__attribute__((sentinel));

/* Typed parsers of a value; ORTH_E_CONFIG when it does not parse. */
/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
orth_err config_parse_bool(const char *s, bool *out);
/*
 * A duration in seconds: "36000", "10h", "7d", "1d 2h 30m 10s", "1d2h",
 * "10:00:00" (h:m:s), "10:00" (h:m).  Negative or over 100 years refused.
 */
orth_err config_parse_duration(const char *s, int64_t *out);
/*
 * Split a list on blanks and commas into at most max items, each copied
 * into item storage of itemlen bytes (NUL-terminated).  ORTH_E_LIMIT when
 * there are more than max items or an item is too long.
 */
orth_err config_split_list(const char *s, char (*items)[64], size_t max,
			   size_t *n_out);

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
