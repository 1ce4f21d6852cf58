/* env.c - the environment as the library reads it (env.h). */
#include "env.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ORTH_LIBDIR
#define ORTH_LIBDIR "/usr/local/lib"
#endif
#ifndef ORTH_BINDIR
#define ORTH_BINDIR "/usr/local/bin"
#endif
#ifndef ORTH_SBINDIR
#define ORTH_SBINDIR "/usr/local/sbin"
#endif

const char *
env_get(const char *name)
{
	/* glibc: NULL when AT_SECURE is set (setuid, setgid, capabilities). */
	return secure_getenv(name);
}

/* Append n bytes of s to the growing string *buf (length *len). */
static orth_err
put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = 2 * (*len + n + 1);
		char *t = realloc(*buf, c);
		if (t == NULL)
			return ORTH_E_NOMEM;
		*buf = t;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return ORTH_OK;
}

/* The value of one token (name..name+n); storage in num/pwbuf. */
static orth_err
token_value(const char *name, size_t n, char *num, size_t numcap, char *pwbuf,
	    size_t pwcap, const char **out)
{
	struct passwd pw, *pwp = NULL;
#define IS(t) (n == sizeof(t) - 1 && memcmp(name, t, n) == 0)
	if (IS("uid") || IS("USERID")) {
		snprintf(num, numcap, "%lu", (unsigned long)getuid());
		*out = num;
	} else if (IS("euid")) {
		snprintf(num, numcap, "%lu", (unsigned long)geteuid());
		*out = num;
	} else if (IS("username")) {
		if (getpwuid_r(geteuid(), &pw, pwbuf, pwcap, &pwp) != 0 || pwp == NULL)
			return ORTH_E_NOTFOUND;
		*out = pwp->pw_name;
	} else if (IS("TEMP")) {
		const char *t = env_get("TMPDIR");
		*out = t != NULL && t[0] != '\0' ? t : "/tmp";
	} else if (IS("null")) {
		*out = "";
	} else if (IS("LIBDIR")) {
		*out = ORTH_LIBDIR;
	} else if (IS("BINDIR")) {
		*out = ORTH_BINDIR;
	} else if (IS("SBINDIR")) {
		*out = ORTH_SBINDIR;
	} else {
		return ORTH_E_CONFIG;
	}
#undef IS
	return ORTH_OK;
}

orth_err
env_path_expand(const char *in, char **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	char *buf = NULL, num[32], pwbuf[4096];
	size_t len = 0, cap = 0;
	const char *p = in;

	TRY(put(&buf, &len, &cap, "", 0));
	for (;;) {
		const char *tok = strstr(p, "%{"), *end, *val = NULL;
		orth_err r;
		if (tok == NULL) {
			TRY(put(&buf, &len, &cap, p, strlen(p)));
			break;
		}
		TRY(put(&buf, &len, &cap, p, (size_t)(tok - p)));
		end = strchr(tok, '}');
		if (end == NULL) {
			orth_err_format(err, errlen, "'%%{' without '}' in '%s'", in);
			CHECK(0, ORTH_E_CONFIG);
		}
		r = token_value(tok + 2, (size_t)(end - tok - 2), num, sizeof(num), pwbuf,
				sizeof(pwbuf), &val);
		if (r == ORTH_E_NOTFOUND) {
			orth_err_format(err, errlen, "no user name for uid %lu (%%{username} in '%s')",
					(unsigned long)geteuid(), in);
			CHECK(0, ORTH_E_NOTFOUND);
		}
		if (r != ORTH_OK) {
			orth_err_format(err, errlen, "unknown token %.*s in '%s'",
					(int)(end - tok + 1), tok, in);
			CHECK(0, ORTH_E_CONFIG);
		}
		TRY(put(&buf, &len, &cap, val, strlen(val)));
		p = end + 1;
	}
	*out = buf;
	buf = NULL;
cleanup:
	free(buf);
	return ret;
}
