/* Tests of src/base: cursor, writer, arena, errors, files. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/cursor.h"
#include "base/err.h"
#include "base/file.h"
#include "base/log.h"
#include "base/writer.h"

#include "../test.h"

static void
test_cursor(void)
{
	const uint8_t buf[] = {1, 2, 3, 4, 5, 6, 7};
	struct cursor c, child;

	cursor_init(&c, buf, sizeof(buf));
	EXPECT_EQ_INT(cursor_u8(&c), 1);
	EXPECT_EQ_INT(cursor_be16(&c), 0x0203);
	child = cursor_child(&c, 2);
	EXPECT_EQ_INT(cursor_u8(&child), 4);
	EXPECT_EQ_INT(cursor_close_child(&c, &child), ORTH_E_TRAILING);
	EXPECT_EQ_INT(cursor_err(&c), ORTH_E_TRAILING);
	/* Sticky: further reads give nothing. */
	EXPECT_EQ_INT(cursor_u8(&c), 0);

	cursor_init(&c, buf, sizeof(buf));
	EXPECT(cursor_get(&c, 8) == NULL);
	EXPECT_EQ_INT(cursor_err(&c), ORTH_E_TRUNCATED);
	EXPECT_EQ_INT(cursor_be32(&c), 0);

	cursor_init(&c, buf, 4);
	EXPECT_EQ_INT(cursor_be32(&c), 0x01020304);
	EXPECT_EQ_INT(cursor_end(&c), ORTH_OK);

	/* A child longer than its parent fails the parent. */
	cursor_init(&c, buf, 3);
	child = cursor_child(&c, 10);
	EXPECT(cursor_err(&child) != ORTH_OK);
	EXPECT_EQ_INT(cursor_err(&c), ORTH_E_TRUNCATED);
}

static void
test_writer(void)
{
	uint8_t buf[5];
	struct writer w;

	writer_init(&w, buf, sizeof(buf));
	writer_be32(&w, 0xdeadbeef);
	writer_u8(&w, 7);
	EXPECT_EQ_INT(writer_err(&w), ORTH_OK);
	EXPECT_EQ_INT(w.len, 5);
	writer_u8(&w, 8);
	EXPECT_EQ_INT(writer_err(&w), ORTH_E_LIMIT);
	EXPECT_EQ_INT(w.len, 5);
	EXPECT(buf[0] == 0xde && buf[4] == 7);
}

static void
test_arena(void)
{
	struct arena a;
	EXPECT_EQ_INT(arena_init(&a, 64), ORTH_OK);
	uint8_t *p = arena_alloc(&a, 10);
	EXPECT(p != NULL);
	EXPECT(((uintptr_t)p & 15) == 0);
	memset(p, 0xaa, 10);
	EXPECT(arena_alloc(&a, 100) == NULL);
	char *s = arena_strndup(&a, "hello", 5);
	EXPECT(s != NULL && strcmp(s, "hello") == 0);
	arena_reset(&a);
	p = arena_alloc(&a, 64);
	EXPECT(p != NULL);
	int zero = 1;
	for (int i = 0; i < 64; i++)
		zero &= p[i] == 0;
	EXPECT(zero); /* wiped on reset */
	EXPECT(arena_alloc(&a, 1) == NULL);
	arena_free(&a);
}

/* Is [from, to) of the arena's backing store zero? */
static bool
arena_zero(const struct arena *a, size_t from, size_t to)
{
	int z = 1;

	for (size_t i = from; i < to; i++)
		z &= a->base[i] == 0;
	return z;
}

/* arena_top: a backwards writer's scratch, taken (apart from the new
 * allocation or overlapping it) or dropped; the free space is zero after
 * each, so later allocations still come zeroed. */
static void
test_arena_top(void)
{
	struct arena a;
	size_t avail = 0;
	uint8_t *end, *p;

	EXPECT_EQ_INT(arena_init(&a, 128), ORTH_OK);
	EXPECT(arena_alloc(&a, 10) != NULL);
	end = arena_top(&a, &avail);
	EXPECT(end == a.base + 128 && avail == 112);
	memset(end - 20, 0x5a, 20);          /* no overlap with the copy */
	p = arena_top_take(&a, 20);
	EXPECT(p == a.base + 16 && p[0] == 0x5a && p[19] == 0x5a);
	EXPECT(a.used == 36 && arena_zero(&a, 36, 128));
	end = arena_top(&a, &avail);
	EXPECT(avail == 80);
	memset(end - 70, 0x6b, 70);          /* the copy overlaps the source */
	p = arena_top_take(&a, 70);
	EXPECT(p == a.base + 48 && p[0] == 0x6b && p[69] == 0x6b);
	EXPECT(arena_zero(&a, 118, 128));
	end = arena_top(&a, &avail);
	EXPECT(avail == 128 - 128);
	EXPECT(arena_top_take(&a, 1) == NULL);
	arena_reset(&a);
	end = arena_top(&a, &avail);
	memset(end - 30, 0x7c, 30);
	arena_top_drop(&a, 30);
	EXPECT(arena_zero(&a, 0, 128));
	/* more than the free space: refused, and what is there wiped */
	memset(end - 128, 0x7c, 128);
	EXPECT(arena_top_take(&a, 129) == NULL);
	EXPECT(a.used == 0 && arena_zero(&a, 0, 128));
	/* with room around (encryption in place): the bytes at head, the
	 * free space above the allocation zero, overlapping or not */
	arena_reset(&a);
	end = arena_top(&a, &avail);
	memset(end - 20, 0x5a, 20);
	p = arena_top_take_room(&a, 20, 16, 12);
	EXPECT(p == a.base && p[16] == 0x5a && p[35] == 0x5a && p[15] == 0 && p[36] == 0);
	EXPECT(a.used == 48 && arena_zero(&a, 48, 128));
	end = arena_top(&a, &avail);
	EXPECT(avail == 80);
	/* no room for head and tail beside the bytes: refused, wiped */
	memset(end - 60, 0x7c, 60);
	EXPECT(arena_top_take_room(&a, 60, 16, 12) == NULL);
	EXPECT(a.used == 48 && arena_zero(&a, 48, 128));
	memset(end - 40, 0x6b, 40);
	p = arena_top_take_room(&a, 40, 16, 12);
	EXPECT(p == a.base + 48 && p[16] == 0x6b && p[55] == 0x6b);
	EXPECT(a.used == 116 && arena_zero(&a, 116, 128));
	arena_free(&a);
}

static void
test_err(void)
{
	EXPECT_EQ_INT(orth_err_class(ORTH_OK), ORTH_CLASS_OK);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_TRUNCATED), ORTH_CLASS_MALFORMED);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_INTEGRITY), ORTH_CLASS_INTEGRITY);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_NOTFOUND), ORTH_CLASS_NOTFOUND);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_REPLAY), ORTH_CLASS_POLICY);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_NOMEM), ORTH_CLASS_INTERNAL);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_KRB(25)), ORTH_CLASS_PROTOCOL);
	EXPECT_EQ_INT(orth_err_class(ORTH_E_PERM), ORTH_CLASS_PERMISSION);
	EXPECT(strlen(orth_err_str(12345)) > 0);
	/* the system's "permission denied" is no input/output error */
	EXPECT_EQ_INT(orth_err_from_errno(EACCES), ORTH_E_PERM);
	EXPECT_EQ_INT(orth_err_from_errno(EPERM), ORTH_E_PERM);
	EXPECT_EQ_INT(orth_err_from_errno(ENOENT), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(orth_err_from_errno(ENOSPC), ORTH_E_NOSPACE);
	EXPECT_EQ_INT(orth_err_from_errno(EIO), ORTH_E_IO);
	EXPECT(strcmp(orth_err_str(ORTH_E_PERM), "permission denied") == 0);
}

static size_t
dir_entries(const char *dir)
{
	char cmd[300];
	FILE *p;
	size_t n = 0;
	int ch;

	snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
	p = popen(cmd, "r");
	while (p != NULL && (ch = fgetc(p)) != EOF)
		n += ch == '\n';
	if (p != NULL)
		pclose(p);
	return n;
}

/* file.h: replacement beside the target, creation without replacing,
 * bounded reads, locks. */
static void
test_file(void)
{
	char dir[] = "/tmp/test_file.XXXXXX", path[300], link[300], other[300];
	struct file_replace r = {0};
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int fd;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	fd = fcntl(0, F_GETFD);
	file_replace_abort(&r);  /* a zeroed one: nothing (fd 0 stays open) */
	EXPECT_EQ_INT(fcntl(0, F_GETFD), fd);

	/* a new file, mode as asked whatever the umask */
	umask(077);
	EXPECT_EQ_INT(file_replace_begin(path, 0640, &r), ORTH_OK);
	EXPECT(strncmp(r.tmp, path, strlen(path)) == 0 && strlen(r.tmp) > strlen(path) + 4);
	EXPECT_EQ_INT(file_write_all(r.fd, "one", 3), ORTH_OK);
	EXPECT_EQ_INT(file_replace_commit(&r), ORTH_OK);
	EXPECT(r.tmp == NULL && r.fd == -1);
	umask(022);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640 && st.st_size == 3);
	EXPECT_EQ_INT(dir_entries(dir), 1);

	/* abort leaves the target and no temporary file */
	EXPECT_EQ_INT(file_replace_begin(path, 0600, &r), ORTH_OK);
	EXPECT_EQ_INT(file_write_all(r.fd, "two!", 4), ORTH_OK);
	file_replace_abort(&r);
	EXPECT(stat(path, &st) == 0 && st.st_size == 3);
	EXPECT_EQ_INT(dir_entries(dir), 1);

	/* a symlink at the target is replaced, never written through */
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	EXPECT(fd >= 0 && write(fd, "keep", 4) == 4);
	close(fd);
	EXPECT_EQ_INT(symlink(other, link), 0);
	EXPECT_EQ_INT(file_replace_begin(link, 0600, &r), ORTH_OK);
	EXPECT_EQ_INT(file_write_all(r.fd, "new", 3), ORTH_OK);
	EXPECT_EQ_INT(file_replace_commit(&r), ORTH_OK);
	EXPECT(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
	EXPECT(stat(other, &st) == 0 && st.st_size == 4);

	/* create: never over an existing file or a (dangling) symlink */
	EXPECT_EQ_INT(file_replace_begin(path, 0600, &r), ORTH_OK);
	EXPECT_EQ_INT(file_create_commit(&r), ORTH_E_EXISTS);
	EXPECT(stat(path, &st) == 0 && st.st_size == 3);
	unlink(link);
	EXPECT_EQ_INT(symlink("/nonexistent/x", link), 0);
	EXPECT_EQ_INT(file_replace_begin(link, 0600, &r), ORTH_OK);
	EXPECT_EQ_INT(file_create_commit(&r), ORTH_E_EXISTS);
	EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	unlink(link);
	EXPECT_EQ_INT(file_replace_begin(link, 0600, &r), ORTH_OK);
	EXPECT_EQ_INT(file_create_commit(&r), ORTH_OK);
	EXPECT(lstat(link, &st) == 0 && S_ISREG(st.st_mode));
	EXPECT_EQ_INT(dir_entries(dir), 3);

	/* bounded reads; locks on a regular file only */
	EXPECT_EQ_INT(file_open_locked(path, O_RDONLY, &fd), ORTH_OK);
	EXPECT_EQ_INT(file_read_all(fd, 3, &buf, &len), ORTH_OK);
	EXPECT(len == 3 && memcmp(buf, "one", 3) == 0);
	free(buf);
	lseek(fd, 0, SEEK_SET);
	EXPECT_EQ_INT(file_read_all(fd, 2, &buf, &len), ORTH_E_LIMIT);
	close(fd);
	EXPECT_EQ_INT(file_open_locked(dir, O_RDONLY, &fd), ORTH_E_IO);
	EXPECT_EQ_INT(file_open_locked("/nonexistent/x", O_RDONLY, &fd), ORTH_E_NOTFOUND);
	chmod(path, 0);
	if (geteuid() != 0)
		EXPECT_EQ_INT(file_open_locked(path, O_RDWR, &fd), ORTH_E_PERM);
	unlink(path);
	unlink(link);
	unlink(other);
	EXPECT_EQ_INT(rmdir(dir), 0);
}

/* Both request-line formats name the result, escape what could forge a
 * field, and read back into the same record. */
static void
log_roundtrip(const struct log_request *r, bool json, const char *prefix)
{
	char line[4096], full[4200], store[4096];
	struct log_request b;

	log_request_format(r, json, line, sizeof(line));
	snprintf(full, sizeof(full), "%s%s", prefix, line);
	EXPECT_EQ_INT(log_request_parse(full, store, sizeof(store), &b), ORTH_OK);
#define SAME(f) EXPECT((r->f == NULL && b.f == NULL) || (r->f != NULL && b.f != NULL && strcmp(r->f, b.f) == 0))
	SAME(peer);
	SAME(transport);
	SAME(msg_type);
	SAME(client);
	SAME(service);
	SAME(result);
	SAME(reason);
	SAME(etypes);
#undef SAME
	EXPECT_EQ_INT(b.has_skew, r->has_skew);
	EXPECT_EQ_INT(b.skew, r->skew);
	EXPECT_EQ_INT(b.usec, r->usec);
	if (json) {
		EXPECT_EQ_INT(b.time_usec, r->time_usec);
		EXPECT_EQ_INT(b.code, r->code);
	}
}

static void
test_log(void)
{
	struct log_request r = {0}, b;
	char line[4096], store[4096], small[16];

	r.time_usec = 1767225600123456LL;
	r.peer = "127.0.0.1:5000";
	r.transport = "udp";
	r.msg_type = "AS-REQ";
	r.client = "alice@EX.COM";
	r.service = "krbtgt/EX.COM@EX.COM";
	r.result = "KDC_ERR_PREAUTH_FAILED";
	r.code = 24;
	r.reason = "PA-ENC-TIMESTAMP does not decrypt";
	r.etypes = "18,17";
	r.usec = 321;
	log_request_format(&r, false, line, sizeof(line));
	EXPECT(strcmp(line, "127.0.0.1:5000 udp AS-REQ client=alice@EX.COM "
			    "service=krbtgt/EX.COM@EX.COM error=KDC_ERR_PREAUTH_FAILED "
			    "reason=\"PA-ENC-TIMESTAMP does not decrypt\" etypes=18,17 usec=321") == 0);
	log_roundtrip(&r, false, "");
	log_roundtrip(&r, false, "2026-01-01T00:00:00Z orthrus-kdc: ");
	log_roundtrip(&r, true, "");
	log_roundtrip(&r, true, "2026-01-01T00:00:00+0000 host orthrus-kdc[42]: ");
	EXPECT_EQ_INT(log_request_parse("2026-01-01T00:00:01Z orthrus-kdc: 127.0.0.1:5000 udp "
					"AS-REQ client=a@R service=b@R ok reason=\"-\" etypes=- usec=1",
					store, sizeof(store), &b), ORTH_OK);
	EXPECT_EQ_INT(b.time_usec, 1767225601000000LL);
	EXPECT(strcmp(b.result, "ok") == 0 && b.code == 0 && b.etypes == NULL);
	EXPECT_EQ_INT(log_request_parse("2026-01-01T01:00:01+01:00 x: 1.2.3.4:5 tcp TGS-REQ "
					"client=a@R service=b@R dropped reason=\"x\" usec=1",
					store, sizeof(store), &b), ORTH_OK);
	EXPECT_EQ_INT(b.time_usec, 1767225601000000LL);
	EXPECT(strcmp(b.result, "dropped") == 0 && b.code == -1);

	/* success, a skew, absent names */
	r.result = LOG_RESULT_OK;
	r.code = 0;
	r.has_skew = true;
	r.skew = -412;
	r.client = NULL;
	r.reason = NULL;
	log_request_format(&r, false, line, sizeof(line));
	EXPECT(strstr(line, " client=- ") != NULL && strstr(line, " ok reason=") != NULL &&
	       strstr(line, " skew=-412 usec=321") != NULL);
	log_roundtrip(&r, false, "");
	log_roundtrip(&r, true, "");
	log_request_format(&r, true, line, sizeof(line));
	EXPECT(strstr(line, "\"client\":null") != NULL && strstr(line, "\"result\":\"ok\"") != NULL &&
	       strstr(line, "\"skew\":-412") != NULL && strstr(line, "\"time\":1767225600.123456") != NULL);

	/* a hostile name: blanks, quotes, '=', a newline, a fake field */
	r.client = "x service=evil ok\n2026 fake\"line\\";
	r.service = "-";
	r.reason = "a \"quoted\" reason";
	log_request_format(&r, false, line, sizeof(line));
	EXPECT(strchr(line, '\n') == NULL);
	EXPECT(strstr(line, "client=\"x service=evil ok\\u000a2026 fake\\\"line\\\\\" ") != NULL);
	EXPECT(strstr(line, "service=\"-\"") != NULL);
	log_roundtrip(&r, false, "");
	log_roundtrip(&r, true, "");
	/* every octet: a name stays bare only with printable ASCII other
	 * than the quote, the backslash and '=' */
	for (int ch = 1; ch < 256; ch++) {
		char name[4] = {'a', (char)ch, 'b', '\0'};
		const char *hostile = r.client;
		bool bare = ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '=';

		r.client = name;
		log_request_format(&r, false, line, sizeof(line));
		EXPECT((strstr(line, " client=\"") == NULL) == bare);
		r.client = hostile;
	}

	/* not request lines; a store too small; broken lines */
	EXPECT_EQ_INT(log_request_parse("2026-01-01T00:00:00Z orthrus-kdc: serving realm R",
					store, sizeof(store), &b), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(log_request_parse("{\"level\":2,\"msg\":\"serving realm R\"}", store,
					sizeof(store), &b), ORTH_E_NOTFOUND);
	log_request_format(&r, true, line, sizeof(line));
	EXPECT_EQ_INT(log_request_parse(line, small, sizeof(small), &b), ORTH_E_LIMIT);
	EXPECT_EQ_INT(log_request_parse("{\"type\":\"AS-REQ\",\"client\":\"a", store,
					sizeof(store), &b), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(log_request_parse("{\"type\":\"AS-REQ\",\"x\":\"\\q\"}", store,
					sizeof(store), &b), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(log_request_parse("a b c client=x service=y reason=\"unterminated", store,
					sizeof(store), &b), ORTH_E_MALFORMED);
	/* found by fuzz_log_line: a time before 1970 is no time (it would
	 * print back as nonsense); a JSON record whose type is null is still
	 * a record, as the text format's "-" is */
	EXPECT_EQ_INT(log_request_parse("1013-12-02T24:45:23Z x: a b c client=d ok usec=1", store,
					sizeof(store), &b), ORTH_OK);
	EXPECT_EQ_INT(b.time_usec, 0);
	EXPECT_EQ_INT(log_request_parse("{\"time\":-1,\"type\":\"AS-REQ\"}", store, sizeof(store),
					&b), ORTH_E_MALFORMED);
	EXPECT_EQ_INT(log_request_parse("{\"type\":null,\"result\":\"ok\"}", store,
					sizeof(store), &b), ORTH_OK);
	EXPECT(b.msg_type == NULL && strcmp(b.result, "ok") == 0);
	/* a line cut short by a small buffer stays one line */
	EXPECT(log_request_format(&r, false, small, sizeof(small)) == sizeof(small) - 1);
	EXPECT(strlen(small) == sizeof(small) - 1);
}

/* The escaping of a field copies runs and cuts at a whole escape; the
 * numbers are written without printf. */
static void
test_log_fields(void)
{
	static char name[700], line[4096];
	struct log_request r = {0};
	char *p;

	memset(name, 'a', 511);
	name[511] = '"';               /* its escape (2 bytes) passes the cap */
	name[512] = '\0';
	r.client = name;
	r.peer = "1.2.3.4:88";
	r.has_skew = true;
	r.skew = -5;
	r.usec = 0;
	log_request_format(&r, false, line, sizeof(line));
	p = strstr(line, "client=\"");
	EXPECT(p != NULL && strspn(p + 8, "a") == 511 && p[8 + 511] == '"' &&
	    p[8 + 512] == ' ');
	EXPECT(strstr(line, " skew=-5 usec=0") != NULL);
	name[0] = 'x';
	name[1] = '\x01';
	name[2] = '\\';
	name[3] = '\0';
	r.skew = 1234567890123;
	r.usec = 42;
	log_request_format(&r, false, line, sizeof(line));
	EXPECT(strstr(line, "client=\"x\\u0001\\\\\" ") != NULL);
	EXPECT(strstr(line, " skew=1234567890123 usec=42") != NULL);
	memset(name, 'b', 600);        /* plain runs are capped too */
	name[600] = '\0';
	log_request_format(&r, false, line, sizeof(line));
	p = strstr(line, "client=");
	EXPECT(p != NULL && strspn(p + 7, "b") == 512 && p[7 + 512] == ' ');
}

/* The bytes of fd (a file) from its start, into buf; their count. */
static size_t
log_file_text(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

/* log_buffer_*: a thread's lines wait in its buffer until a flush, which
 * writes them whole; the interval, a full buffer and close flush too. */
static void
test_log_buffer(void)
{
	char path[] = "/tmp/orth_test_log.XXXXXX", buf[8192];
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	size_t n;

	EXPECT(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	log_open("t", false, true); /* JSON: no time stamp to match */

	log_msg(LOG_LVL_INFO, "unbuffered");
	log_file_text(fd, buf, sizeof(buf));
	EXPECT(strstr(buf, "unbuffered") != NULL);
	EXPECT_EQ_INT(log_buffer_open(256), ORTH_OK);
	EXPECT_EQ_INT(log_buffer_open(256), ORTH_E_INTERNAL); /* one per thread */
	n = log_file_text(fd, buf, sizeof(buf));
	log_msg(LOG_LVL_INFO, "one");
	log_msg(LOG_LVL_INFO, "two");
	EXPECT(log_file_text(fd, buf, sizeof(buf)) == n);        /* nothing written */
	EXPECT(log_buffer_due(60000) > 0);                       /* not due yet */
	EXPECT(log_file_text(fd, buf, sizeof(buf)) == n);
	EXPECT(log_buffer_due(0) == -1);                         /* due: flushed */
	log_file_text(fd, buf, sizeof(buf));
	EXPECT(strstr(buf, "\"one\"}\n{\"level\":2,\"msg\":\"two\"}\n") != NULL);
	EXPECT(log_buffer_due(0) == -1);                         /* empty */
	/* a full buffer is written before the line that does not fit */
	n = log_file_text(fd, buf, sizeof(buf));
	for (int i = 0; i < 20; i++)
		log_msg(LOG_LVL_INFO, "line %02d", i);
	EXPECT(log_file_text(fd, buf, sizeof(buf)) > n);
	EXPECT(strstr(buf, "line 19") == NULL);
	log_buffer_flush();
	log_file_text(fd, buf, sizeof(buf));
	EXPECT(strstr(buf, "\"line 18\"}\n{\"level\":2,\"msg\":\"line 19\"}\n") != NULL);
	/* a line longer than the buffer goes out alone, in order */
	log_msg(LOG_LVL_INFO, "short");
	memset(buf, 'x', 400);
	buf[400] = '\0';
	log_msg(LOG_LVL_INFO, "%s", buf);
	log_msg(LOG_LVL_INFO, "after");
	log_buffer_close();                                      /* flushes */
	log_file_text(fd, buf, sizeof(buf));
	EXPECT(strstr(buf, "\"short\"}\n{\"level\":2,\"msg\":\"xxx") != NULL);
	EXPECT(strstr(buf, "xxx\"}\n{\"level\":2,\"msg\":\"after\"}\n") != NULL);
	log_msg(LOG_LVL_INFO, "unbuffered again");
	log_file_text(fd, buf, sizeof(buf));
	EXPECT(strstr(buf, "unbuffered again") != NULL);

	log_open("orthrus", false, false);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
}

int
main(void)
{
	test_cursor();
	test_writer();
	test_arena();
	test_arena_top();
	test_err();
	test_file();
	test_log();
	test_log_fields();
	test_log_buffer();
	return test_done("base");
}
