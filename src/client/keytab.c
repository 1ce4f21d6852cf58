/* keytab.c - MIT FILE keytab v2 (see keytab.h). */
#include "keytab.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cursor.h"
#include "base/file.h"

/* u16 length + bytes, copied NUL-terminated into a. */
static char *
get_data(struct cursor *c, struct arena *a, size_t *len_out)
{
	size_t n = cursor_be16(c);
	const uint8_t *p = cursor_get(c, n);
	char *s;
	if (p == NULL)
		return NULL;
	if (n == 0) {
		cursor_fail(c, ORTH_E_BADNAME);
		return NULL;
	}
	s = arena_strndup(a, (const char *)p, n);
	if (s == NULL)
		cursor_fail(c, ORTH_E_LIMIT);
	*len_out = n;
	return s;
}

static orth_err
decode_entry(struct cursor *c, struct arena *a, struct keytab_entry *e)
{
	size_t ncomp = cursor_be16(c);
	const uint8_t *kb;
	uint8_t kvno8;

	memset(e, 0, sizeof(*e));
	if (cursor_err(c) == ORTH_OK && (ncomp == 0 || ncomp > PRINCIPAL_MAX_COMPONENTS))
		cursor_fail(c, ORTH_E_MALFORMED);
	if (cursor_err(c) != ORTH_OK)
		return cursor_err(c);
	e->princ.realm = get_data(c, a, &e->princ.realm_len);
	e->princ.comp = arena_alloc(a, ncomp * sizeof(*e->princ.comp));
	if (e->princ.comp == NULL)
		cursor_fail(c, ORTH_E_LIMIT);
	for (size_t i = 0; i < ncomp && cursor_err(c) == ORTH_OK; i++)
		e->princ.comp[i].data = get_data(c, a, &e->princ.comp[i].len);
	e->princ.ncomp = ncomp;
	e->princ.name_type = (int32_t)cursor_be32(c);
	e->timestamp = cursor_be32(c);
	kvno8 = cursor_u8(c);
	e->enctype = cursor_be16(c);
	e->key_len = cursor_be16(c);
	if (cursor_err(c) == ORTH_OK && e->key_len > KEYTAB_MAX_KEY)
		cursor_fail(c, ORTH_E_MALFORMED);
	kb = cursor_get(c, e->key_len);
	e->kvno = kvno8;
	/* MIT 1.14+: a non-zero 32-bit kvno in the record's remaining bytes. */
	if (cursor_err(c) == ORTH_OK && cursor_left(c) >= 4) {
		uint32_t k32 = cursor_be32(c);
		if (k32 != 0)
			e->kvno = k32;
	}
	if (cursor_err(c) != ORTH_OK)
		return cursor_err(c);
	e->key = arena_dup(a, kb, e->key_len);
	if (e->key == NULL && e->key_len != 0)
		return ORTH_E_LIMIT;
	return ORTH_OK;
}

/* keytab_decode; *offs_out (may be NULL): each entry's record offset (its
 * length field) in buf, in a. */
static orth_err
decode_image(const uint8_t *buf, size_t len, struct arena *a,
	     struct keytab_entry **entries_out, size_t *n_out, size_t *end_out,
	     size_t **offs_out)
{
	struct cursor c;
	size_t n = 0, i = 0, end;
	struct keytab_entry *entries = NULL;
	size_t *offs = NULL;

	/* Pass 1: the record structure and the count. */
	cursor_init(&c, buf, len);
	if (cursor_be16(&c) != KEYTAB_VERSION)
		return cursor_err(&c) ? cursor_err(&c) : ORTH_E_MALFORMED;
	end = len;
	while (cursor_left(&c) >= 4) {
		size_t here = len - cursor_left(&c);
		int32_t rl = (int32_t)cursor_be32(&c);
		size_t sz;
		if (rl == 0) {
			end = here;
			break;
		}
		/* INT32_MIN has no positive counterpart */
		if (rl == INT32_MIN)
			return ORTH_E_MALFORMED;
		sz = (size_t)(rl < 0 ? -(int64_t)rl : rl);
		if (cursor_get(&c, sz) == NULL)
			return ORTH_E_TRUNCATED;
		if (rl > 0)
			n++;
	}
	/* A partial length at the end (1..3 bytes) is a truncated file. */
	if (cursor_left(&c) != 0 && cursor_left(&c) < 4)
		return ORTH_E_TRUNCATED;

	if (n > 0) {
		entries = arena_alloc(a, n * sizeof(*entries));
		offs = offs_out != NULL ? arena_alloc(a, n * sizeof(*offs)) : NULL;
		if (entries == NULL || (offs_out != NULL && offs == NULL))
			return ORTH_E_LIMIT;
	}
	/* Pass 2: decode each entry inside its record. */
	cursor_init(&c, buf, len);
	(void)cursor_be16(&c);
	while (i < n) {
		size_t here = len - cursor_left(&c);
		int32_t rl = (int32_t)cursor_be32(&c);
		struct cursor rec;
		orth_err ret;
		if (rl < 0) {
			(void)cursor_get(&c, (size_t)(-(int64_t)rl));
			continue;
		}
		rec = cursor_child(&c, (size_t)rl);
		ret = decode_entry(&rec, a, &entries[i]);
		if (ret != ORTH_OK)
			return ret == ORTH_E_TRUNCATED ? ORTH_E_MALFORMED : ret;
		if (offs != NULL)
			offs[i] = here;
		i++;
	}
	*entries_out = entries;
	*n_out = n;
	if (end_out != NULL)
		*end_out = end;
	if (offs_out != NULL)
		*offs_out = offs;
	return ORTH_OK;
}

orth_err
keytab_decode(const uint8_t *buf, size_t len, struct arena *a,
	      struct keytab_entry **entries_out, size_t *n_out, size_t *end_out)
{
	return decode_image(buf, len, a, entries_out, n_out, end_out, NULL);
}

static void
buf_free(uint8_t *buf, size_t len)
{
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
}

/* The whole file under a read lock (MIT's readers take the same). */
static orth_err
read_file(const char *path, uint8_t **buf_out, size_t *len_out)
{
	orth_err ret;
	int fd;

	ret = file_open_locked(path, O_RDONLY, &fd);
	if (ret != ORTH_OK)
		return ret;
	ret = file_read_all(fd, KEYTAB_MAX_FILE, buf_out, len_out);
	close(fd);
	return ret;
}

static size_t
arena_size_for(size_t len)
{
	/* at most len/12 entries (the smallest entry is 14 bytes + length) */
	return (len / 12 + 1) * (sizeof(struct keytab_entry) + 16 * (PRINCIPAL_MAX_COMPONENTS + 4)) +
	       2 * len + 4096;
}

orth_err
keytab_read(const char *path, struct keytab *kt)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	orth_err ret;

	memset(kt, 0, sizeof(*kt));
	TRY(read_file(path, &buf, &len));
	TRY(arena_init(&kt->arena, arena_size_for(len)));
	TRY(keytab_decode(buf, len, &kt->arena, &kt->entries, &kt->n, NULL));
cleanup:
	buf_free(buf, len);
	if (ret != ORTH_OK)
		keytab_free(kt);
	return ret;
}

void
keytab_free(struct keytab *kt)
{
	arena_free(&kt->arena);
	memset(kt, 0, sizeof(*kt));
}

static void
put_data(struct writer *w, const void *p, size_t n)
{
	if (n > 0xffff) {
		if (w->err == ORTH_OK)
			w->err = ORTH_E_LIMIT;
		return;
	}
	writer_be16(w, (uint16_t)n);
	writer_put(w, p, n);
}

orth_err
keytab_entry_encode(const struct keytab_entry *e, struct writer *w)
{
	size_t start = w->len;
	uint8_t *lenp;
	size_t body;

	if (e->princ.ncomp == 0 || e->princ.ncomp > PRINCIPAL_MAX_COMPONENTS ||
	    e->key_len > KEYTAB_MAX_KEY || e->enctype < 0 || e->enctype > 0xffff)
		return ORTH_E_LIMIT;
	lenp = writer_reserve(w, 4);
	writer_be16(w, (uint16_t)e->princ.ncomp);
	put_data(w, e->princ.realm, e->princ.realm_len);
	for (size_t i = 0; i < e->princ.ncomp; i++)
		put_data(w, e->princ.comp[i].data, e->princ.comp[i].len);
	writer_be32(w, (uint32_t)e->princ.name_type);
	writer_be32(w, e->timestamp);
	writer_u8(w, (uint8_t)(e->kvno <= 255 ? e->kvno : 0));
	writer_be16(w, (uint16_t)e->enctype);
	put_data(w, e->key, e->key_len);
	writer_be32(w, e->kvno);
	if (writer_err(w) != ORTH_OK)
		return writer_err(w);
	body = w->len - start - 4;
	lenp[0] = (uint8_t)(body >> 24);
	lenp[1] = (uint8_t)(body >> 16);
	lenp[2] = (uint8_t)(body >> 8);
	lenp[3] = (uint8_t)body;
	return ORTH_OK;
}

/*
 * Open the keytab at path for a change and take its write lock, creating
 * it when it does not exist.  As MIT's kt_file: an existing keytab is
 * changed in place, so its owner, group and mode stay and a symlink to it
 * is written through.  A new one (mode 0600, the version number in it)
 * appears whole by link(2), which follows no symlink: a dangling link is
 * ORTH_E_NOTFOUND, as for MIT.
 */
static orth_err
open_for_update(const char *path, int *fd_out)
{
	static const uint8_t version[2] = {KEYTAB_VERSION >> 8, KEYTAB_VERSION & 0xff};
	struct file_replace r = {0};
	orth_err ret = ORTH_E_NOTFOUND;
	int i;

	for (i = 0; i < 3 && ret == ORTH_E_NOTFOUND; i++) {
		ret = file_open_locked(path, O_RDWR, fd_out);
		if (ret != ORTH_E_NOTFOUND)
			break;
		TRY(file_replace_begin(path, 0600, &r));
		TRY(file_write_all(r.fd, version, sizeof(version)));
		ret = file_create_commit(&r);
		if (ret == ORTH_E_EXISTS)  /* another writer made it: use it */
			ret = ORTH_OK;
		TRY(ret);
		ret = ORTH_E_NOTFOUND;
	}
cleanup:
	file_replace_abort(&r);
	return ret;
}

/* Write len zero bytes at off. */
static orth_err
zero_range(int fd, off_t off, size_t len)
{
	static const uint8_t zeros[4096];
	orth_err ret = ORTH_OK;

	while (len > 0 && ret == ORTH_OK) {
		size_t k = len < sizeof(zeros) ? len : sizeof(zeros);
		ret = file_pwrite_all(fd, zeros, k, off);
		off += (off_t)k;
		len -= k;
	}
	return ret;
}

/* Validate the image; its entries, their record offsets and where the data
 * ends. */
static orth_err
decode_for_update(const uint8_t *buf, size_t len, struct arena *a,
		  struct keytab_entry **ents, size_t *n, size_t *end,
		  size_t **offs)
{
	orth_err ret;

	*n = 0;
	*end = 0;
	*offs = NULL;
	if (len == 0)
		return ORTH_OK;
	TRY(arena_init(a, arena_size_for(len)));
	TRY(decode_image(buf, len, a, ents, n, end, offs));
cleanup:
	return ret;
}

orth_err
keytab_append(const char *path, const struct keytab_entry *e, size_t n)
{
	orth_err ret = ORTH_OK;
	uint8_t *old = NULL, *out = NULL, len0[4];
	size_t oldlen = 0, end = 0, cap = 0, at, nents, *offs;
	struct arena a = {0};
	struct writer w;
	struct keytab_entry *ents;
	int fd = -1;

	TRY(open_for_update(path, &fd));
	TRY(file_read_all(fd, KEYTAB_MAX_FILE, &old, &oldlen));
	/* Never append to something we cannot read. */
	TRY(decode_for_update(old, oldlen, &a, &ents, &nents, &end, &offs));
	cap = 2 + n * (4 + 2 + 2 + 256 + PRINCIPAL_MAX_COMPONENTS * 258 + 64 +
		       KEYTAB_MAX_KEY) + 4;
	out = malloc(cap);
	CHECK(out != NULL, ORTH_E_NOMEM);
	writer_init(&w, out, cap);
	if (oldlen == 0)
		writer_be16(&w, KEYTAB_VERSION);
	at = w.len;  /* the first record's length field */
	for (size_t i = 0; i < n; i++)
		TRY(keytab_entry_encode(&e[i], &w));
	/* Written over a 0 length that ended the data early: a 0 after the
	 * new records keeps what followed it out (as MIT's find_slot). */
	if (end < oldlen)
		writer_be32(&w, 0);
	TRY(writer_err(&w));
	if (n == 0)
		goto cleanup;
	/*
	 * MIT's commit protocol: the records go to the disk with the first
	 * length still 0 (the end of the data, for every reader), then that
	 * length is written.  A crash leaves the old keytab, never a record
	 * cut short.  (Readers wait for the lock: none sees a part.)
	 */
	memcpy(len0, out + at, 4);
	memset(out + at, 0, 4);
	TRY(file_pwrite_all(fd, out, w.len, (off_t)end));
	CHECK(fsync(fd) == 0, orth_err_from_errno(errno));
	TRY(file_pwrite_all(fd, len0, 4, (off_t)(end + at)));
	CHECK(fsync(fd) == 0, orth_err_from_errno(errno));
cleanup:
	if (fd >= 0)
		close(fd);  /* unlocks */
	buf_free(old, oldlen);
	buf_free(out, cap);
	arena_free(&a);
	return ret;
}

orth_err
keytab_remove(const char *path, const struct principal *p, uint32_t kvno, size_t *removed_out)
{
	orth_err ret = ORTH_OK;
	uint8_t *old = NULL;
	size_t oldlen = 0, end, nents = 0, *offs = NULL, removed = 0;
	struct keytab_entry *ents = NULL;
	struct arena a = {0};
	int fd = -1;

	TRY(file_open_locked(path, O_RDWR, &fd));
	TRY(file_read_all(fd, KEYTAB_MAX_FILE, &old, &oldlen));
	TRY(decode_for_update(old, oldlen, &a, &ents, &nents, &end, &offs));
	CHECK(oldlen > 0, ORTH_E_TRUNCATED);
	/* MIT's delete: the record becomes a hole where it is (a negative
	 * length, then zeros over the key), nothing else moves. */
	for (size_t i = 0; i < nents; i++) {
		const struct keytab_entry *e = &ents[i];
		const uint8_t *rec = old + offs[i];
		uint32_t body = (uint32_t)rec[0] << 24 | (uint32_t)rec[1] << 16 |
				(uint32_t)rec[2] << 8 | rec[3];
		uint32_t neg = 0u - body;  /* a hole of body bytes */
		uint8_t hole[4] = {(uint8_t)(neg >> 24), (uint8_t)(neg >> 16),
				   (uint8_t)(neg >> 8), (uint8_t)neg};
		if ((p != NULL && !principal_equal(p, &e->princ)) ||
		    (kvno != 0 && e->kvno != kvno))
			continue;
		TRY(file_pwrite_all(fd, hole, 4, (off_t)offs[i]));
		TRY(zero_range(fd, (off_t)offs[i] + 4, body));
		removed++;
	}
	if (removed > 0)
		CHECK(fsync(fd) == 0, orth_err_from_errno(errno));
	if (removed_out != NULL)
		*removed_out = removed;
cleanup:
	if (fd >= 0)
		close(fd);
	buf_free(old, oldlen);
	arena_free(&a);
	return ret;
}
