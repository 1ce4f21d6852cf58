/*
 * env.h - what the library takes from the environment, in one place.
 *
 * Every environment variable the library reads (KRB5_CONFIG, KRB5CCNAME,
 * KRB5_KTNAME, ORTHRUS_CONFIG, ORTHRUS_KDC_TIMEOUT_MS, TMPDIR) goes through
 * env_get(): in a setuid or setgid program, or one that gained
 * capabilities (the kernel's AT_SECURE), the caller's environment is not
 * trusted and env_get() answers NULL, as MIT's library does with
 * secure_getenv().  A command's own use of its environment (`admin`
 * recording $USER as who made a change) is the command's business.
 *
 * env_path_expand() is MIT's %{...} expansion of paths
 * (lib/krb5/os/expand_path.c) for default_ccache_name and
 * default_keytab_name.
 */
#ifndef ORTHRUS_BASE_ENV_H
#define ORTHRUS_BASE_ENV_H

#include <stddef.h>

#include "err.h"

/* The value of name, or NULL when unset or when the program runs with
 * privileges its caller does not have.  Valid until the environment
 * changes. */
const char *env_get(const char *name);

/*
 * Expand the tokens of in into a new string *out (free()):
 *   %{uid} %{USERID}  the real uid          %{euid}  the effective uid
 *   %{username}       the effective user's name
 *   %{TEMP}           $TMPDIR (env_get), else /tmp
 *   %{null}           nothing
 *   %{LIBDIR} %{BINDIR} %{SBINDIR}  where this build installs them
 * Unlike MIT (which matches a token by prefix), a token is its exact name.
 * ORTH_E_CONFIG with "unknown token %{x} in 'in'" (or an unterminated
 * "%{") in err; ORTH_E_NOTFOUND when the effective uid has no user name.
 */
orth_err env_path_expand(const char *in, char **out, char *err, size_t errlen);

#endif
