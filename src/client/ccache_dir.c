/*
 * ccache_dir.c - credential cache collections (ccache_col.h): MIT's DIR:
 * type over FILE caches, the collection listing, switching and matching
 * that klist -l/-A, kswitch, kdestroy -A and kinit use; KEYRING: and KCM:
 * refused with a reason.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/ccache_col.h"
#include "client/ccache_int.h"
#include "client/ccache_keyring.h"

#define DIR_PREFIX "DIR:"
#define SUB_PREFIX "DIR::"
#define PRIMARY "primary"
/* MIT reads the primary file's first line into 64 bytes. */
#define PRIMARY_MAX 64

static _Thread_local char col_err[256];

const char *
ccache_col_error(void)
{
	return col_err;
}

void
ccache_col_error_clear(void)
{
	col_err[0] = '\0';
}

orth_err
ccache_col_fail(orth_err ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(col_err, sizeof(col_err), fmt, ap);
	va_end(ap);
	return ret;
}

static orth_err
errno_err(void)
{
	return errno == ENOENT ? ORTH_E_NOTFOUND
	     : errno == ENOMEM ? ORTH_E_NOMEM
			       : ORTH_E_IO;
}

/* MIT's cc_dir: cache files of a collection are named tkt*. */
static bool
is_cache_file(const char *name)
{
	return strncmp(name, "tkt", 3) == 0;
}

/*
 * Our own FILE writer's temporary files (path.tmpXXXXXX, ccache_file.c)
 * live in the same directory for a moment; they are not caches.
 */
static bool
is_temp_file(const char *name)
{
	size_t n = strlen(name);
	return n > 10 && memcmp(name + n - 10, ".tmp", 4) == 0;
}

/* dir + "/" + file, malloc'd (no doubled slash, as MIT's k5_path_join). */
static char *
path_join(const char *dir, const char *file)
{
	size_t dl = strlen(dir), n = dl + strlen(file) + 2;
	char *s = malloc(n);

	if (s == NULL)
		return NULL;
	snprintf(s, n, "%s%s%s", dir, dl > 0 && dir[dl - 1] == '/' ? "" : "/",
		 file);
	return s;
}

/* A handle on the FILE cache at path, named "DIR::path". */
static orth_err
handle_new(const char *path, struct ccache **cc_out)
{
	struct ccache *cc = calloc(1, sizeof(*cc));
	size_t n = strlen(SUB_PREFIX) + strlen(path) + 1;

	if (cc == NULL)
		return ORTH_E_NOMEM;
	cc->name = malloc(n);
	if (cc->name == NULL) {
		free(cc);
		return ORTH_E_NOMEM;
	}
	snprintf(cc->name, n, "%s%s", SUB_PREFIX, path);
	cc->residual = cc->name + strlen(SUB_PREFIX);
	cc->type = CCACHE_TYPE_FILE;
	*cc_out = cc;
	return ORTH_OK;
}

/*
 * The directory of a collection: created 0700 when it does not exist (its
 * parent must), refused when something else is in its place (MIT's
 * verify_dir).
 */
static orth_err
dir_verify(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0) {
		if (errno == ENOENT && mkdir(dir, S_IRWXU) == 0)
			return ORTH_OK;
		return ccache_col_fail(ORTH_E_NOTFOUND,
				"Credential cache directory %s does not exist",
				dir);
	}
	if (!S_ISDIR(st.st_mode))
		return ccache_col_fail(ORTH_E_USAGE,
				"Credential cache directory %s exists but is not a directory",
				dir);
	return ORTH_OK;
}

/*
 * The file name in dir/primary into buf: one line, ending in a newline,
 * beginning with "tkt", without '/' or '\' (MIT refuses anything else).
 * ORTH_E_NOTFOUND when there is no primary file.
 */
static orth_err
primary_read(const char *dir, char *buf, size_t cap)
{
	char *path = path_join(dir, PRIMARY);
	orth_err ret = ORTH_OK;
	FILE *f = NULL;
	size_t n;

	if (path == NULL)
		return ORTH_E_NOMEM;
	f = fopen(path, "re");
	if (f == NULL) {
		ret = errno_err();
		goto cleanup;
	}
	if (fgets(buf, (int)cap, f) == NULL) {
		ret = ccache_col_fail(ORTH_E_MALFORMED, "%s is empty", path);
		goto cleanup;
	}
	n = strlen(buf);
	if (n == 0 || buf[n - 1] != '\n' || !is_cache_file(buf) ||
	    strchr(buf, '/') != NULL || strchr(buf, '\\') != NULL) {
		ret = ccache_col_fail(ORTH_E_MALFORMED, "%s contains invalid filename",
			       path);
		goto cleanup;
	}
	buf[n - 1] = '\0';
cleanup:
	if (f != NULL)
		fclose(f);
	free(path);
	return ret;
}

/* Replace dir/primary with "file\n": a 0600 temporary file beside it,
 * renamed over it, so readers see the old or the new name. */
static orth_err
primary_write(const char *dir, const char *file)
{
	char *path = path_join(dir, PRIMARY), *tmp = NULL;
	orth_err ret = ORTH_OK;
	size_t n, len = strlen(file);
	int fd = -1;

	CHECK(path != NULL, ORTH_E_NOMEM);
	n = strlen(path) + sizeof(".XXXXXX");
	tmp = malloc(n);
	CHECK(tmp != NULL, ORTH_E_NOMEM);
	snprintf(tmp, n, "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = ccache_col_fail(errno_err(), "cannot write %s: %s", path,
			       strerror(errno));
		free(tmp);
		tmp = NULL;
		goto cleanup;
	}
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 ||
	    write(fd, file, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		ret = ccache_col_fail(ORTH_E_IO, "cannot write %s: %s", path,
			       strerror(errno));
		goto cleanup;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fd = -1;
		ret = ccache_col_fail(ORTH_E_IO, "cannot write %s: %s", path,
			       strerror(errno));
		goto cleanup;
	}
	fd = -1;
	free(tmp);
	tmp = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(path);
	return ret;
}

/* "dir/tktX" into its directory and file name (both malloc'd). */
static orth_err
path_split(const char *path, char **dir_out, char **file_out)
{
	const char *slash = strrchr(path, '/');
	char *dir, *file;
	size_t dl;

	if (slash == NULL || slash == path)
		return ccache_col_fail(ORTH_E_USAGE,
				"Subsidiary cache path %s has no parent directory",
				path);
	if (!is_cache_file(slash + 1))
		return ccache_col_fail(ORTH_E_USAGE,
				"Subsidiary cache path %s filename does not begin with \"tkt\"",
				path);
	dl = (size_t)(slash - path);
	dir = strndup(path, dl);
	file = strdup(slash + 1);
	if (dir == NULL || file == NULL) {
		free(dir);
		free(file);
		return ORTH_E_NOMEM;
	}
	*dir_out = dir;
	*file_out = file;
	return ORTH_OK;
}

/* DIR:dir (the primary) or DIR::dir/tktX. */
static orth_err
dir_open(const char *residual, struct ccache **cc_out)
{
	char file[PRIMARY_MAX], *path = NULL, *dir = NULL, *base = NULL;
	orth_err ret;

	if (residual[0] == ':') {
		TRY(path_split(residual + 1, &dir, &base));
		TRY(dir_verify(dir));
		TRY(handle_new(residual + 1, cc_out));
		goto cleanup;
	}
	CHECK(residual[0] != '\0',
	      ccache_col_fail(ORTH_E_USAGE, "DIR: needs a directory name"));
	TRY(dir_verify(residual));
	ret = primary_read(residual, file, sizeof(file));
	if (ret == ORTH_E_NOTFOUND) {
		/* MIT: a collection without a primary file gets "tkt". */
		TRY(primary_write(residual, "tkt"));
		snprintf(file, sizeof(file), "tkt");
		ret = ORTH_OK;
	}
	TRY(ret);
	path = path_join(residual, file);
	CHECK(path != NULL, ORTH_E_NOMEM);
	TRY(handle_new(path, cc_out));
cleanup:
	free(path);
	free(dir);
	free(base);
	return ret;
}

/* Whether something answers on the KCM socket. */
static bool
kcm_running(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0;
}

orth_err
ccache_col_open(const char *name, struct ccache **cc_out)
{
	col_err[0] = '\0';
	if (strncmp(name, DIR_PREFIX, strlen(DIR_PREFIX)) == 0)
		return dir_open(name + strlen(DIR_PREFIX), cc_out);
	if (strncmp(name, "KCM:", 4) == 0) {
		if (!kcm_running(CCACHE_KCM_SOCKET))
			return ccache_col_fail(ORTH_E_USAGE,
					"KCM credential cache '%s': no KCM daemon is running (nothing listens on %s); use a FILE: or DIR: cache",
					name, CCACHE_KCM_SOCKET);
		return ccache_col_fail(ORTH_E_USAGE,
				"KCM credential cache '%s': a KCM daemon runs, but Orthrus does not speak the KCM protocol; use a FILE: or DIR: cache",
				name);
	}
	if (strncmp(name, "KEYRING:", 8) == 0)
		return ccache_keyring_open(name, cc_out);
	return ccache_col_fail(ORTH_E_USAGE, "Unknown credential cache type in '%s'",
			name);
}

/* ---- collections ---- */

void
ccache_col_free(struct ccache_col *c)
{
	for (size_t i = 0; c->names != NULL && i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

static orth_err
col_add(struct ccache_col *c, const char *prefix, const char *path)
{
	size_t n = strlen(prefix) + strlen(path) + 1;
	char *s, **v;

	if (c->n >= CCACHE_COL_MAX)
		return ORTH_OK;
	v = realloc(c->names, (c->n + 1) * sizeof(*v));
	if (v == NULL)
		return ORTH_E_NOMEM;
	c->names = v;
	s = malloc(n);
	if (s == NULL)
		return ORTH_E_NOMEM;
	snprintf(s, n, "%s%s", prefix, path);
	c->names[c->n++] = s;
	return ORTH_OK;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* DIR:dir: the primary, then the other tkt* files in name order. */
static orth_err
dir_list(const char *dir, struct ccache_col *out)
{
	struct ccache_col c = {0};
	char primary[PRIMARY_MAX] = "", *p = NULL;
	struct dirent *de;
	orth_err ret = ORTH_OK;
	size_t first;
	DIR *d = opendir(dir);

	if (d == NULL)
		goto done;  /* no directory: an empty collection */
	if (primary_read(dir, primary, sizeof(primary)) != ORTH_OK)
		primary[0] = '\0';
	col_err[0] = '\0';
	if (primary[0] != '\0') {
		p = path_join(dir, primary);
		CHECK(p != NULL, ORTH_E_NOMEM);
		if (file_exists(p))
			TRY(col_add(&c, SUB_PREFIX, p));
	}
	first = c.n;
	while ((de = readdir(d)) != NULL) {
		char *q;
		if (!is_cache_file(de->d_name) || is_temp_file(de->d_name) ||
		    strcmp(de->d_name, primary) == 0)
			continue;
		q = path_join(dir, de->d_name);
		CHECK(q != NULL, ORTH_E_NOMEM);
		ret = file_exists(q) ? col_add(&c, SUB_PREFIX, q) : ORTH_OK;
		free(q);
		TRY(ret);
	}
	if (c.n - first > 1)
		qsort(c.names + first, c.n - first, sizeof(*c.names), name_cmp);
done:
	*out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	if (d != NULL)
		closedir(d);
	free(p);
	ccache_col_free(&c);
	return ret;
}

orth_err
ccache_col_list(const char *defname, struct ccache_col *out)
{
	struct ccache_col c = {0};
	struct ccache *cc = NULL;
	orth_err ret = ORTH_OK;

	col_err[0] = '\0';
	if (strncmp(defname, DIR_PREFIX, 4) == 0 && defname[4] != ':')
		return dir_list(defname + 4, out);
	if (strncmp(defname, "KEYRING:", 8) == 0)
		return ccache_keyring_list(defname, out);
	/* A single cache: itself, when it is there. */
	ret = ccache_open(defname, &cc);
	if (ret == ORTH_E_NOTFOUND)
		ret = ORTH_OK;
	TRY(ret);
	if (cc != NULL) {
		struct ccache_principal p = {0};
		if (ccache_default_principal_get(cc, &p) == ORTH_OK ||
		    (cc->type == CCACHE_TYPE_FILE && file_exists(cc->residual)))
			TRY(col_add(&c, "", ccache_name_get(cc)));
		ccache_principal_free(&p);
	}
	*out = c;
	memset(&c, 0, sizeof(c));
cleanup:
	ccache_close(cc);
	ccache_col_free(&c);
	return ret;
}

bool
ccache_col_switchable(const char *defname)
{
	return strncmp(defname, DIR_PREFIX, 4) == 0 ||
	       strncmp(defname, "KEYRING:", 8) == 0;
}

orth_err
ccache_col_switch(struct ccache *cc)
{
	char *dir = NULL, *file = NULL;
	orth_err ret;

	col_err[0] = '\0';
	if (cc->type == CCACHE_TYPE_KEYRING)
		return ccache_keyring_switch(cc);
	if (strncmp(cc->name, SUB_PREFIX, strlen(SUB_PREFIX)) != 0)
		return ORTH_OK;
	TRY(path_split(cc->residual, &dir, &file));
	TRY(primary_write(dir, file));
cleanup:
	free(dir);
	free(file);
	return ret;
}

orth_err
ccache_col_new_unique(const char *defname, struct ccache **cc_out)
{
	const char *dir;
	char *tmpl = NULL;
	orth_err ret;
	int fd;

	col_err[0] = '\0';
	if (strncmp(defname, "KEYRING:", 8) == 0)
		return ccache_keyring_new_unique(defname, cc_out);
	if (strncmp(defname, DIR_PREFIX, 4) != 0 || defname[4] == ':' ||
	    defname[4] == '\0')
		return ccache_col_fail(ORTH_E_USAGE,
				"Can't create new subsidiary cache because default cache is not a directory collection");
	dir = defname + 4;
	TRY(dir_verify(dir));
	tmpl = path_join(dir, "tktXXXXXX");
	CHECK(tmpl != NULL, ORTH_E_NOMEM);
	/* The empty file holds the name until the cache is written. */
	fd = mkostemp(tmpl, O_CLOEXEC);
	CHECK(fd >= 0, ccache_col_fail(errno_err(), "cannot create a cache in %s: %s",
				dir, strerror(errno)));
	(void)fchmod(fd, S_IRUSR | S_IWUSR);
	close(fd);
	ret = handle_new(tmpl, cc_out);
	if (ret != ORTH_OK)
		unlink(tmpl);
cleanup:
	free(tmpl);
	return ret;
}

orth_err
ccache_col_match(const char *defname, const struct ccache_principal *princ,
		 struct ccache **cc_out)
{
	struct ccache_col c = {0};
	orth_err ret;

	TRY(ccache_col_list(defname, &c));
	for (size_t i = 0; i < c.n; i++) {
		struct ccache *cc = NULL;
		struct ccache_principal p = {0};
		bool same;
		if (ccache_open(c.names[i], &cc) != ORTH_OK)
			continue;
		same = ccache_default_principal_get(cc, &p) == ORTH_OK &&
		       ccache_principal_eq(&p, princ);
		ccache_principal_free(&p);
		if (same) {
			*cc_out = cc;
			goto cleanup;
		}
		ccache_close(cc);
	}
	ret = ORTH_E_NOTFOUND;
cleanup:
	ccache_col_free(&c);
	return ret;
}
