/*
 * config.h - the profile syntax of MIT's krb5.conf / kdc.conf.
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
 * the KDC's typed view of it (realms, enctypes, lifetimes, addresses) is
 * src/kdc/kdc_config.h.  Nothing here knows Kerberos: names, values and
 * durations only.
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

#endif
