/*
 * err.h - the one error type of Orthrus.
 *
 * Every fallible function returns orth_err: 0 is success, anything else is
 * one of the codes below.  Codes fall into classes (malformed input, policy,
 * not found, internal) so callers can decide what to do without knowing
 * every code.  Kerberos protocol error codes received from a peer or decided
 * by policy are carried as ORTH_E_KRB(code); the mapping from our internal
 * codes to KRB-ERROR codes lives in one place (src/proto/krberr.c).
 */
#ifndef ORTHRUS_BASE_ERR_H
#define ORTHRUS_BASE_ERR_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t orth_err;

enum {
	ORTH_OK = 0,
	/* malformed input */
	ORTH_E_MALFORMED = 1,   /* bytes do not parse */
	ORTH_E_TRUNCATED,       /* input ended early */
	ORTH_E_TRAILING,        /* bytes left over after a complete value */
	ORTH_E_LIMIT,           /* depth, count, size or arena cap exceeded */
	ORTH_E_RANGE,           /* integer or time out of range */
	ORTH_E_BADNAME,         /* principal name does not parse */
	ORTH_E_USAGE,           /* bad command-line arguments */
	ORTH_E_CONFIG,          /* configuration file error */
	/* integrity and crypto */
	ORTH_E_INTEGRITY = 20,  /* MAC/checksum mismatch: tampered or wrong key */
	ORTH_E_ENCTYPE,         /* unsupported or disallowed enctype */
	ORTH_E_CKSUMTYPE,       /* unsupported checksum type */
	ORTH_E_KEYSIZE,         /* key of the wrong length */
	/* not found / exists */
	ORTH_E_NOTFOUND = 40,   /* principal, key, entry or file missing */
	ORTH_E_EXISTS,          /* already present */
	ORTH_E_NODB,            /* database missing (run init) */
	ORTH_E_MASTERKEY,       /* wrong master key or unreadable stash */
	/* policy */
	ORTH_E_POLICY = 60,     /* refused by policy */
	ORTH_E_EXPIRED,         /* ticket, principal or password expired */
	ORTH_E_SKEW,            /* clock skew too great */
	ORTH_E_REPLAY,          /* replayed authenticator */
	/* internal and system */
	ORTH_E_NOMEM = 80,
	ORTH_E_IO,              /* read/write/open failed (errno is kept) */
	ORTH_E_NOSPACE,         /* disk or map full */
	ORTH_E_INTERNAL,        /* broken invariant or library failure */
	ORTH_E_TIMEOUT,         /* no answer in time */
	ORTH_E_NETWORK,         /* socket error */
	/* permission */
	ORTH_E_PERM = 100,      /* the system refused access (EACCES, EPERM) */
};

/* A Kerberos protocol error (RFC 4120 §7.5.9 code 0..127) as an orth_err. */
#define ORTH_E_KRB_BASE 1000
#define ORTH_E_KRB(code) ((orth_err)(ORTH_E_KRB_BASE + (code)))
#define ORTH_ERR_IS_KRB(e) ((e) >= ORTH_E_KRB_BASE && (e) < ORTH_E_KRB_BASE + 1000)
#define ORTH_ERR_KRB_CODE(e) ((e) - ORTH_E_KRB_BASE)

enum orth_err_class {
	ORTH_CLASS_OK,
	ORTH_CLASS_MALFORMED,
	ORTH_CLASS_INTEGRITY,
	ORTH_CLASS_NOTFOUND,
	ORTH_CLASS_POLICY,
	ORTH_CLASS_INTERNAL,
	ORTH_CLASS_PROTOCOL,
	ORTH_CLASS_PERMISSION,
};

enum orth_err_class orth_err_class(orth_err e);

/*
 * The orth_err for a failed system call's errno: ENOENT ORTH_E_NOTFOUND,
 * EACCES/EPERM/EROFS ORTH_E_PERM, ENOSPC/EDQUOT ORTH_E_NOSPACE, ENOMEM
 * ORTH_E_NOMEM, anything else ORTH_E_IO (errno is left as it was).
 */
orth_err orth_err_from_errno(int e);

/* A short static English description; never NULL. */
const char *orth_err_str(orth_err e);

/*
 * Format a one-line message into a caller's error buffer (err, errlen),
 * the convention of functions that explain their failures; err may be
 * NULL.
 */
void orth_err_format(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Jump to cleanup on error: `ret` must be an orth_err local, `cleanup` a label. */
#define TRY(expr)                                                             \
	do {                                                                  \
		ret = (expr);                                                 \
		if (ret != ORTH_OK)                                           \
			goto cleanup;                                         \
	} while (0)
#define CHECK(cond, err)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			ret = (err);                                          \
			goto cleanup;                                         \
		}                                                             \
	} while (0)

#endif
