#include "rcache.h"

#include <stdbool.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/writer.h"
#include "crypto/crypto.h"
#include "proto/principal.h"
#include "proto/replay_table.h"

/* Private key usages for the hashes (outside RFC 4120's range, never sent
 * anywhere): the key itself is random per cache or per file. */
#define RCACHE_USAGE 0x7263
#define RCACHE_USAGE_OWNER 0x7264
#define RCACHE_ENCTYPE ENCTYPE_AES128_CTS_HMAC_SHA256_128
#define RCACHE_KEY_LEN 16

/* The file (rcache.h): header, then groups of slots. */
#define FILE_MAGIC "ORTHRCF1"
#define FILE_HEADER 64u
#define FILE_SLOT 24u
#define FILE_GROUP_BYTES (REPLAY_TABLE_GROUP * FILE_SLOT)
#define FILE_MAX_GROUPS (RCACHE_MAX_CAPACITY / REPLAY_TABLE_GROUP)
/*
 * Linux's open file description locks: held by this operation's own open
 * of the file, so two caches on one file in one process (two acceptors)
 * exclude each other too, and closing one never drops the other's lock -
 * both of which POSIX record locks get wrong (they belong to the
 * process).  They conflict with POSIX locks, so either kind excludes the
 * other.
 */
#ifdef F_OFD_SETLKW
#define FILE_SETLKW F_OFD_SETLKW
#else
#define FILE_SETLKW F_SETLKW
#endif
/* Tries when the file is replaced under us between open and lock. */
#define FILE_OPEN_TRIES 8

/* In memory the table (proto/replay_table.c) keeps the entries; in a file
 * this file keeps them and runs the table's decision on each group. */
struct rcache {
	pthread_mutex_t lock;        /* the key object caches derived keys;
				      * a file operation runs under it */
	struct crypto_key *key;      /* hmac-sha256-128 key for the hashes */
	struct replay_table *t;      /* in memory; NULL for a file */
	char *path;                  /* the file; NULL in memory */
	size_t ngroups;              /* groups of a file this cache creates */
	uint8_t key_bytes[RCACHE_KEY_LEN]; /* the file's key rc->key holds */
};

/* ---- hashing ---- */

static void
put_counted(struct writer *w, const char *s)
{
	size_t n = strlen(s);
	writer_be32(w, (uint32_t)n);
	writer_put(w, s, n);
}

static uint64_t
load64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* HMAC(key, usage, buf) cut to 16 bytes: two 64-bit values. */
static orth_err
keyed(struct crypto_key *key, int32_t usage, const uint8_t *buf, size_t len,
      uint64_t *a_out, uint64_t *b_out)
{
	orth_err ret;
	uint8_t sum[CRYPTO_MAX_CKSUM_LEN];
	size_t sum_len = 0;
	int32_t ctype;

	TRY(crypto_checksum_make(key, usage, buf, len, &ctype, sum, &sum_len));
	CHECK(sum_len >= 16, ORTH_E_INTERNAL);
	*a_out = load64(sum);
	*b_out = load64(sum + 8);
cleanup:
	return ret;
}

/* fp and group = HMAC(key, len(client) client len(server) server ctime
 * cusec HMAC(key, tag)): lengths make the encoding injective.  owner =
 * HMAC(key, another usage, len(client) client). */
static orth_err
table_key(struct crypto_key *key, const struct rcache_key *k,
	  struct replay_table_key *out)
{
	orth_err ret;
	uint8_t buf[2 * PRINCIPAL_MAX_TEXT + 64 + CRYPTO_MAX_CKSUM_LEN];
	uint8_t tagsum[CRYPTO_MAX_CKSUM_LEN];
	size_t tagsum_len = 0;
	uint64_t unused;
	int32_t ctype;
	struct writer w;

	CHECK(strlen(k->client) <= PRINCIPAL_MAX_TEXT &&
		  strlen(k->server) <= PRINCIPAL_MAX_TEXT, ORTH_E_RANGE);
	writer_init(&w, buf, sizeof(buf));
	put_counted(&w, k->client);
	TRY(writer_err(&w));
	TRY(keyed(key, RCACHE_USAGE_OWNER, buf, w.len, &out->owner, &unused));
	TRY(crypto_checksum_make(key, RCACHE_USAGE, k->tag, k->tag_len, &ctype,
				 tagsum, &tagsum_len));
	writer_init(&w, buf, sizeof(buf));
	put_counted(&w, k->client);
	put_counted(&w, k->server);
	writer_be32(&w, (uint32_t)((uint64_t)k->ctime >> 32));
	writer_be32(&w, (uint32_t)k->ctime);
	writer_be32(&w, (uint32_t)k->cusec);
	writer_put(&w, tagsum, tagsum_len);
	TRY(writer_err(&w));
	TRY(keyed(key, RCACHE_USAGE, buf, w.len, &out->fp, &out->group));
	out->ctime = k->ctime;
cleanup:
	return ret;
}

/* ---- the file ---- */

static uint32_t
get_be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void
set_be32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static uint64_t
get_le64(const uint8_t *b)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

static void
set_le64(uint8_t *b, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++, v >>= 8)
		b[i] = (uint8_t)v;
}

static void
slot_decode(const uint8_t *b, struct replay_slot *s)
{
	s->fp = get_le64(b);
	s->owner = get_le64(b + 8);
	s->expires = (int64_t)get_le64(b + 16);
}

static void
slot_encode(const struct replay_slot *s, uint8_t *b)
{
	set_le64(b, s->fp);
	set_le64(b + 8, s->owner);
	set_le64(b + 16, (uint64_t)s->expires);
}

/* All of n bytes at off, or ORTH_E_IO (a short read is a damaged file). */
static orth_err
pread_all(int fd, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ORTH_E_IO;
		done += (size_t)r;
	}
	return ORTH_OK;
}

static orth_err
pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pwrite(fd, (const uint8_t *)buf + done, n - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return ORTH_E_IO;
		done += (size_t)r;
	}
	return ORTH_OK;
}

static off_t
group_offset(size_t g)
{
	return (off_t)FILE_HEADER + (off_t)g * (off_t)FILE_GROUP_BYTES;
}

/*
 * An empty file of rc->ngroups groups with a fresh key, under the lock:
 * the zeros first (every slot "never used"), the header last, so that a
 * crash in between leaves a file whose header does not match and that is
 * rebuilt again.
 */
static orth_err
file_build(struct rcache *rc, int fd, char *err, size_t errlen)
{
	orth_err ret;
	uint8_t h[FILE_HEADER];
	off_t size = group_offset(rc->ngroups);
	int e;

	memset(h, 0, sizeof(h));
	memcpy(h, FILE_MAGIC, 8);
	set_be32(h + 8, FILE_SLOT);
	set_be32(h + 12, (uint32_t)rc->ngroups);
	TRY(crypto_random_bytes(h + 16, RCACHE_KEY_LEN));
	if (ftruncate(fd, 0) != 0 || ftruncate(fd, size) != 0) {
		orth_err_format(err, errlen, "replay cache %s: cannot size it: %s", rc->path,
				strerror(errno));
		CHECK(0, ORTH_E_IO);
	}
	/* Reserve the blocks now: a full disk refuses here, not in a pwrite
	 * in the middle of a login. */
	e = posix_fallocate(fd, 0, size);
	if (e != 0 && e != EINVAL && e != EOPNOTSUPP) {
		orth_err_format(err, errlen, "replay cache %s: cannot allocate it: %s", rc->path,
				strerror(e));
		CHECK(0, ORTH_E_IO);
	}
	ret = pwrite_all(fd, h, sizeof(h), 0);
	if (ret != ORTH_OK)
		orth_err_format(err, errlen, "replay cache %s: cannot write it: %s", rc->path,
				strerror(errno));
cleanup:
	crypto_wipe(h, sizeof(h));
	return ret;
}

/*
 * The header of the locked file fd, checked against its size st_size;
 * when it is not sound the file is rebuilt.  *ngroups_out set; rc->key
 * follows the file's key.
 */
static orth_err
file_header(struct rcache *rc, int fd, off_t st_size, size_t *ngroups_out, char *err,
	    size_t errlen)
{
	orth_err ret = ORTH_OK;
	uint8_t h[FILE_HEADER];
	uint32_t ng = 0;
	bool sound = false;
	struct crypto_key *k = NULL;

	if (st_size >= (off_t)FILE_HEADER && pread_all(fd, h, sizeof(h), 0) == ORTH_OK) {
		ng = get_be32(h + 12);
		sound = memcmp(h, FILE_MAGIC, 8) == 0 && get_be32(h + 8) == FILE_SLOT &&
			ng >= 1 && ng <= FILE_MAX_GROUPS && st_size == group_offset(ng);
	}
	if (!sound) {
		/* Empty (new), truncated, or damaged: never trusted for a size. */
		TRY(file_build(rc, fd, err, errlen));
		TRY(pread_all(fd, h, sizeof(h), 0));
		ng = (uint32_t)rc->ngroups;
	}
	if (rc->key == NULL || !crypto_ct_equal(rc->key_bytes, h + 16, RCACHE_KEY_LEN)) {
		TRY(crypto_key_new(RCACHE_ENCTYPE, h + 16, RCACHE_KEY_LEN, &k));
		crypto_key_free(rc->key);
		rc->key = k;
		k = NULL;
		memcpy(rc->key_bytes, h + 16, RCACHE_KEY_LEN);
	}
	*ngroups_out = ng;
cleanup:
	crypto_key_free(k);
	crypto_wipe(h, sizeof(h));
	return ret;
}

/* What a file must be before we write into it (rcache.h). */
static orth_err
file_check(const struct rcache *rc, int fd, struct stat *st, char *err, size_t errlen)
{
	orth_err ret = ORTH_E_IO;

	if (fstat(fd, st) != 0)
		orth_err_format(err, errlen, "replay cache %s: %s", rc->path, strerror(errno));
	else if (!S_ISREG(st->st_mode))
		orth_err_format(err, errlen, "replay cache %s is not a regular file: refused",
				rc->path);
	else if (st->st_uid != geteuid())
		orth_err_format(err, errlen,
				"replay cache %s is owned by uid %ld, not by this service's uid %ld: "
				"refused", rc->path, (long)st->st_uid, (long)geteuid());
	else if (st->st_nlink != 1)
		orth_err_format(err, errlen, "replay cache %s has %ld links: refused", rc->path,
				(long)st->st_nlink);
	else if ((st->st_mode & 077) != 0 && fchmod(fd, 0600) != 0)
		orth_err_format(err, errlen, "replay cache %s: cannot make it private: %s",
				rc->path, strerror(errno));
	else
		ret = ORTH_OK;
	return ret;
}

/*
 * Open, check and lock the file; read (or build) its header.  *fd_out is
 * locked until closed.  The file may be removed or replaced between the
 * open and the lock (an administrator, a rebuild elsewhere): then the
 * path names another file than the one locked, and it starts over.
 */
static orth_err
file_open_locked(struct rcache *rc, int *fd_out, size_t *ngroups_out, char *err,
		 size_t errlen)
{
	orth_err ret = ORTH_OK;
	int fd = -1, tries;
	struct stat st, now;
	struct flock fl;

	for (tries = 0;; tries++) {
		CHECK(tries < FILE_OPEN_TRIES, ORTH_E_IO);
		fd = open(rc->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (fd < 0) {
			orth_err_format(err, errlen, "replay cache %s: %s%s", rc->path,
					strerror(errno),
					errno == ELOOP ? " (a symlink: refused)" : "");
			CHECK(0, ORTH_E_IO);
		}
		TRY(file_check(rc, fd, &st, err, errlen));
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		while (fcntl(fd, FILE_SETLKW, &fl) != 0) {
			if (errno != EINTR) {
				orth_err_format(err, errlen, "replay cache %s: cannot lock it: %s",
						rc->path, strerror(errno));
				CHECK(0, ORTH_E_IO);
			}
		}
		if (lstat(rc->path, &now) == 0 && now.st_dev == st.st_dev &&
		    now.st_ino == st.st_ino)
			break;
		close(fd);
		fd = -1;
	}
	/* The size now, under the lock. */
	TRY(file_check(rc, fd, &st, err, errlen));
	TRY(file_header(rc, fd, st.st_size, ngroups_out, err, errlen));
	*fd_out = fd;
	fd = -1;
cleanup:
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Group g of the locked file, unpacked for the table's decision at now.
 * *raw_out: its bytes. */
static orth_err
file_group_read(int fd, size_t g, int64_t now, struct replay_group *grp,
		uint8_t raw_out[FILE_GROUP_BYTES])
{
	orth_err ret;
	struct replay_slot slots[REPLAY_TABLE_GROUP];
	size_t i;

	TRY(pread_all(fd, raw_out, FILE_GROUP_BYTES, group_offset(g)));
	for (i = 0; i < REPLAY_TABLE_GROUP; i++)
		slot_decode(raw_out + i * FILE_SLOT, &slots[i]);
	replay_group_init(grp, slots, now);
cleanup:
	return ret;
}

/* rcache_put on a file, under rc->lock. */
static orth_err
file_put(struct rcache *rc, const struct rcache_key *k, int64_t skew, int64_t now)
{
	orth_err ret;
	int fd = -1;
	size_t ng = 0, g, stored = REPLAY_TABLE_GROUP;
	struct replay_table_key tk;
	struct replay_group grp;
	struct replay_slot slot;
	uint8_t raw[FILE_GROUP_BYTES];

	TRY(file_open_locked(rc, &fd, &ng, NULL, 0));
	TRY(table_key(rc->key, k, &tk));
	g = (size_t)(tk.group % ng);
	TRY(file_group_read(fd, g, now, &grp, raw));
	ret = replay_group_probe(&grp, &tk, skew, now, true, &stored);
	if (ret == ORTH_OK && stored < REPLAY_TABLE_GROUP) {
		replay_group_slot_get(&grp, stored, &slot);
		slot_encode(&slot, raw);
		/* Not written, not accepted: fail closed. */
		TRY(pwrite_all(fd, raw, FILE_SLOT,
			       group_offset(g) + (off_t)(stored * FILE_SLOT)));
	}
cleanup:
	if (fd >= 0)
		close(fd); /* releases the lock */
	return ret;
}

static size_t
file_count(struct rcache *rc, int64_t now)
{
	int fd = -1;
	size_t ng = 0, g, n = 0;
	struct replay_group grp;
	uint8_t raw[FILE_GROUP_BYTES];

	if (file_open_locked(rc, &fd, &ng, NULL, 0) != ORTH_OK)
		return 0;
	for (g = 0; g < ng; g++) {
		if (file_group_read(fd, g, now, &grp, raw) != ORTH_OK)
			break;
		n += replay_group_count(&grp, now);
	}
	close(fd);
	return n;
}

/* ---- the cache ---- */

static orth_err
rcache_alloc(struct rcache **out)
{
	orth_err ret = ORTH_OK;
	struct rcache *rc = calloc(1, sizeof(*rc));

	CHECK(rc != NULL, ORTH_E_NOMEM);
	if (pthread_mutex_init(&rc->lock, NULL) != 0) {
		free(rc);
		CHECK(0, ORTH_E_INTERNAL);
	}
	*out = rc;
cleanup:
	return ret;
}

orth_err
rcache_new(size_t capacity, struct rcache **out)
{
	orth_err ret = ORTH_OK;
	struct rcache *rc = NULL;

	if (capacity == 0)
		capacity = RCACHE_DEFAULT_CAPACITY;
	CHECK(capacity <= RCACHE_MAX_CAPACITY, ORTH_E_RANGE);
	TRY(crypto_init());
	TRY(rcache_alloc(&rc));
	TRY(replay_table_new(capacity, &rc->t));
	TRY(crypto_key_random(RCACHE_ENCTYPE, &rc->key));
	*out = rc;
	rc = NULL;
cleanup:
	rcache_free(rc);
	return ret;
}

orth_err
rcache_file_open(const char *path, size_t capacity, struct rcache **out, char *err,
		 size_t errlen)
{
	orth_err ret = ORTH_OK;
	struct rcache *rc = NULL;
	size_t ng = 0;
	int fd = -1;

	if (capacity == 0)
		capacity = RCACHE_DEFAULT_CAPACITY;
	CHECK(capacity <= RCACHE_MAX_CAPACITY, ORTH_E_RANGE);
	TRY(crypto_init());
	TRY(rcache_alloc(&rc));
	rc->path = strdup(path);
	CHECK(rc->path != NULL, ORTH_E_NOMEM);
	rc->ngroups = (capacity + REPLAY_TABLE_GROUP - 1) / REPLAY_TABLE_GROUP;
	TRY(file_open_locked(rc, &fd, &ng, err, errlen));
	*out = rc;
	rc = NULL;
cleanup:
	if (fd >= 0)
		close(fd);
	rcache_free(rc);
	return ret;
}

orth_err
rcache_default_path(char *buf, size_t cap)
{
	const char *dir = secure_getenv("KRB5RCACHEDIR");
	int n;

	if (dir == NULL || *dir == '\0')
		dir = RCACHE_DEFAULT_DIR;
	n = snprintf(buf, cap, "%s/orthrus_%ld.rcache", dir, (long)geteuid());
	return n >= 0 && (size_t)n < cap ? ORTH_OK : ORTH_E_LIMIT;
}

/* Case-insensitive "TYPE:" prefix of name; *rest_out after the colon. */
static bool
type_is(const char *name, const char *type, const char **rest_out)
{
	size_t n = strlen(type);

	if (strncasecmp(name, type, n) != 0 || name[n] != ':')
		return false;
	*rest_out = name + n + 1;
	return true;
}

orth_err
rcache_open(const char *name, struct rcache **out, char *err, size_t errlen)
{
	orth_err ret = ORTH_OK;
	char path[4096];
	const char *rest;

	if (name == NULL || *name == '\0')
		name = secure_getenv("KRB5RCACHENAME");
	if (name == NULL || *name == '\0')
		name = "dfl:";
	if (type_is(name, "dfl", &rest)) {
		if (rcache_default_path(path, sizeof(path)) != ORTH_OK) {
			orth_err_format(err, errlen, "replay cache: $KRB5RCACHEDIR too long");
			CHECK(0, ORTH_E_LIMIT);
		}
		TRY(rcache_file_open(path, 0, out, err, errlen));
	} else if (type_is(name, "FILE", &rest) && *rest != '\0') {
		TRY(rcache_file_open(rest, 0, out, err, errlen));
	} else if (type_is(name, "MEMORY", &rest)) {
		TRY(rcache_new(0, out));
	} else {
		orth_err_format(err, errlen,
				"replay cache '%s': unknown type (dfl:, FILE:/path or MEMORY:)",
				name);
		CHECK(0, ORTH_E_CONFIG);
	}
cleanup:
	return ret;
}

void
rcache_free(struct rcache *rc)
{
	if (rc == NULL)
		return;
	pthread_mutex_destroy(&rc->lock);
	crypto_key_free(rc->key);
	crypto_wipe(rc->key_bytes, sizeof(rc->key_bytes));
	replay_table_free(rc->t);
	free(rc->path);
	free(rc);
}

orth_err
rcache_put(struct rcache *rc, const struct rcache_key *k, int64_t skew,
	   int64_t now)
{
	orth_err ret;
	struct replay_table_key tk;
	bool locked = false;

	CHECK(pthread_mutex_lock(&rc->lock) == 0, ORTH_E_INTERNAL);
	locked = true;
	if (rc->path != NULL) {
		/* One process at a time through the file lock, one thread
		 * through the mutex (fcntl locks are per process). */
		ret = file_put(rc, k, skew, now);
		goto cleanup;
	}
	/* The key object caches derived keys: use it under the lock. */
	TRY(table_key(rc->key, k, &tk));
	pthread_mutex_unlock(&rc->lock);
	locked = false;
	ret = replay_table_put(rc->t, &tk, skew, now);
cleanup:
	if (locked)
		pthread_mutex_unlock(&rc->lock);
	return ret;
}

size_t
rcache_count(struct rcache *rc, int64_t now)
{
	size_t n;

	if (rc->path == NULL)
		return replay_table_count(rc->t, now);
	if (pthread_mutex_lock(&rc->lock) != 0)
		return 0;
	n = file_count(rc, now);
	pthread_mutex_unlock(&rc->lock);
	return n;
}
