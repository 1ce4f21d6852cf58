#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

enum orth_err_class
orth_err_class(orth_err e)
{
	if (e == ORTH_OK)
		return ORTH_CLASS_OK;
	if (ORTH_ERR_IS_KRB(e))
		return ORTH_CLASS_PROTOCOL;
	if (e < ORTH_E_INTEGRITY)
		return ORTH_CLASS_MALFORMED;
	if (e < ORTH_E_NOTFOUND)
		return ORTH_CLASS_INTEGRITY;
	if (e < ORTH_E_POLICY)
		return ORTH_CLASS_NOTFOUND;
	if (e < ORTH_E_NOMEM)
		return ORTH_CLASS_POLICY;
	if (e >= ORTH_E_PERM)
		return ORTH_CLASS_PERMISSION;
	return ORTH_CLASS_INTERNAL;
}

orth_err
orth_err_from_errno(int e)
{
	switch (e) {
	case ENOENT: return ORTH_E_NOTFOUND;
	case EACCES: case EPERM: case EROFS: return ORTH_E_PERM;
	case ENOSPC: case EDQUOT: return ORTH_E_NOSPACE;
	case ENOMEM: return ORTH_E_NOMEM;
	default: return ORTH_E_IO;
	}
}

const char *
orth_err_str(orth_err e)
{
	switch (e) {
	case ORTH_OK: return "success";
	case ORTH_E_MALFORMED: return "malformed input";
	case ORTH_E_TRUNCATED: return "input truncated";
	case ORTH_E_TRAILING: return "trailing bytes after value";
	case ORTH_E_LIMIT: return "limit exceeded";
	case ORTH_E_RANGE: return "value out of range";
	case ORTH_E_BADNAME: return "malformed principal name";
	case ORTH_E_USAGE: return "bad arguments";
	case ORTH_E_CONFIG: return "configuration error";
	case ORTH_E_INTEGRITY: return "integrity check failed";
	case ORTH_E_ENCTYPE: return "unsupported encryption type";
	case ORTH_E_CKSUMTYPE: return "unsupported checksum type";
	case ORTH_E_KEYSIZE: return "wrong key size";
	case ORTH_E_NOTFOUND: return "not found";
	case ORTH_E_EXISTS: return "already exists";
	case ORTH_E_NODB: return "database missing (run 'orthrus admin init')";
	case ORTH_E_MASTERKEY: return "wrong master key or unreadable stash";
	case ORTH_E_POLICY: return "refused by policy";
	case ORTH_E_EXPIRED: return "expired";
	case ORTH_E_SKEW: return "clock skew too great";
	case ORTH_E_REPLAY: return "replayed request";
	case ORTH_E_NOMEM: return "out of memory";
	case ORTH_E_IO: return "input/output error";
	case ORTH_E_NOSPACE: return "no space left";
	case ORTH_E_INTERNAL: return "internal error";
	case ORTH_E_TIMEOUT: return "timed out";
	case ORTH_E_NETWORK: return "network error";
	case ORTH_E_PERM: return "permission denied";
	default: break;
	}
	if (ORTH_ERR_IS_KRB(e))
		return "Kerberos protocol error";
	return "unknown error";
}

void
orth_err_format(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
