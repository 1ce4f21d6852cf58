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

orth_err
keytab_decode(const uint8_t *buf, size_t len, struct arena *a,
	      struct keytab_entry **entries_out, size_t *n_out, size_t *end_out)
{
	struct cursor c;
	size_t n = 0, i = 0, end;
	struct keytab_entry *entries = NULL;

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
		if (entries == NULL)
			return ORTH_E_LIMIT;
	}
	/* Pass 2: decode each entry inside its record. */
	cursor_init(&c, buf, len);
	(void)cursor_be16(&c);
	while (i < n) {
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
		i++;
	}
	*entries_out = entries;
	*n_out = n;
	if (end_out != NULL)
		*end_out = end;
	return ORTH_OK;
}

static orth_err
read_file(const char *path, uint8_t **buf_out, size_t *len_out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fd < 0)
		return errno == ENOENT ? ORTH_E_NOTFOUND : ORTH_E_IO;
	if (fstat(fd, &st) != 0 || st.st_size < 0) {
		close(fd);
		return ORTH_E_IO;
	}
	if (st.st_size > KEYTAB_MAX_FILE) {
		close(fd);
		return ORTH_E_LIMIT;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return ORTH_E_NOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*buf_out = buf;
	*len_out = got;
	return ORTH_OK;
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
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
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

/* Write the whole image beside path and rename it over path. */
static orth_err
write_atomic(const char *path, const uint8_t *buf, size_t len)
{
	char tmp[4096];
	int fd;
	bool ok;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return ORTH_E_LIMIT;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ORTH_E_IO;
	ok = write(fd, buf, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int saved = errno;
		unlink(tmp);
		return saved == ENOSPC ? ORTH_E_NOSPACE : ORTH_E_IO;
	}
	return ORTH_OK;
}

orth_err
keytab_append(const char *path, const struct keytab_entry *e, size_t n)
{
	orth_err ret = ORTH_OK;
	uint8_t *old = NULL, *out = NULL;
	size_t oldlen = 0, end = 2, cap;
	struct arena a = {0};
	struct writer w;
	struct keytab_entry *ents;
	size_t nents;

	ret = read_file(path, &old, &oldlen);
	if (ret == ORTH_E_NOTFOUND) {
		ret = ORTH_OK;
		oldlen = 0;
	}
	TRY(ret);
	if (oldlen > 0) {
		/* Validate what is there: never append to something we cannot read. */
		TRY(arena_init(&a, arena_size_for(oldlen)));
		TRY(keytab_decode(old, oldlen, &a, &ents, &nents, &end));
	}
	cap = end + n * (4 + 2 + 2 + 256 + PRINCIPAL_MAX_COMPONENTS * 258 + 64 + KEYTAB_MAX_KEY) + 16;
	out = malloc(cap);
	CHECK(out != NULL, ORTH_E_NOMEM);
	writer_init(&w, out, cap);
	if (oldlen > 0)
		writer_put(&w, old, end);
	else
		writer_be16(&w, KEYTAB_VERSION);
	for (size_t i = 0; i < n; i++)
		TRY(keytab_entry_encode(&e[i], &w));
	TRY(writer_err(&w));
	TRY(write_atomic(path, out, w.len));
cleanup:
	if (old != NULL) {
		explicit_bzero(old, oldlen);
		free(old);
	}
	if (out != NULL) {
		explicit_bzero(out, cap);
		free(out);
	}
	arena_free(&a);
	return ret;
}

orth_err
keytab_remove(const char *path, const struct principal *p, uint32_t kvno, size_t *removed_out)
{
	orth_err ret = ORTH_OK;
	struct keytab kt;
	uint8_t *out = NULL;
	size_t cap = 0, removed = 0;
	struct writer w;

	TRY(keytab_read(path, &kt));
	cap = KEYTAB_MAX_FILE + 16;
	out = malloc(cap);
	CHECK(out != NULL, ORTH_E_NOMEM);
	writer_init(&w, out, cap);
	writer_be16(&w, KEYTAB_VERSION);
	for (size_t i = 0; i < kt.n; i++) {
		const struct keytab_entry *e = &kt.entries[i];
		if ((p == NULL || principal_equal(p, &e->princ)) && (kvno == 0 || e->kvno == kvno)) {
			removed++;
			continue;
		}
		TRY(keytab_entry_encode(e, &w));
	}
	TRY(writer_err(&w));
	TRY(write_atomic(path, out, w.len));
	if (removed_out != NULL)
		*removed_out = removed;
cleanup:
	if (out != NULL) {
		explicit_bzero(out, cap);
		free(out);
	}
	keytab_free(&kt);
	return ret;
}
