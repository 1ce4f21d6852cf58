/* test_keytab.c - MIT keytab v2 (src/client/keytab.c): round trips and
 * hostile files. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/keytab.h"
#include "../test.h"

static struct arena A;

static void
make_entry(struct keytab_entry *e, const char *name, uint32_t kvno, int32_t et,
	   const uint8_t *key, size_t klen)
{
	memset(e, 0, sizeof(*e));
	EXPECT_EQ_INT(principal_parse(name, "EX.COM", &A, &e->princ), ORTH_OK);
	e->timestamp = 1700000000;
	e->kvno = kvno;
	e->enctype = et;
	e->key = key;
	e->key_len = klen;
}

/* ---- one keytab, several processes (issue 14, defect 4) ---- */

static int
wait_child(pid_t pid, int ms)
{
	int st = 0;

	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0)
			return -2;  /* reaped already (by a check that failed) */
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

static size_t
count_entries(const char *path)
{
	struct keytab kt;
	size_t n = 0;

	if (keytab_read(path, &kt) == ORTH_OK)
		n = kt.n;
	keytab_free(&kt);
	return n;
}

/* keytab_parallel_append: 12 processes append 5 entries each at once. */
static void
test_parallel_append(const char *dir)
{
	char path[256];
	static const uint8_t key[32];
	pid_t pids[12];

	snprintf(path, sizeof(path), "%s/par.kt", dir);
	for (int w = 0; w < 12; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			int bad = 0;
			for (int k = 0; k < 5; k++) {
				char name[64];
				struct keytab_entry e;
				snprintf(name, sizeof(name), "host/w%d-%d", w, k);
				make_entry(&e, name, 1, 18, key, 32);
				bad += keytab_append(path, &e, 1) != ORTH_OK;
			}
			_exit(bad);
		}
	}
	for (int w = 0; w < 12; w++)
		EXPECT_EQ_INT(wait_child(pids[w], 60000), 0);
	EXPECT_EQ_INT(count_entries(path), 60);
	unlink(path);
}

/* keytab_lock_mit: our append waits for a lock MIT's ktutil or kadmin
 * holds (POSIX or OFD), and what MIT appends meanwhile survives. */
static void
test_lock_mit(const char *dir)
{
	char path[256];
	static const uint8_t key[32];

	snprintf(path, sizeof(path), "%s/lock.kt", dir);
	for (int ofd = 0; ofd < 2; ofd++) {
		struct keytab_entry e, mit;
		struct flock fl;
		uint8_t rec[512];
		struct writer w;
		pid_t pid;
		int fd;

		make_entry(&e, "host/first", 1, 18, key, 32);
		EXPECT_EQ_INT(keytab_append(path, &e, 1), ORTH_OK);
		make_entry(&mit, "host/mit", 1, 18, key, 32);
		writer_init(&w, rec, sizeof(rec));
		EXPECT_EQ_INT(keytab_entry_encode(&mit, &w), ORTH_OK);
		fd = open(path, O_RDWR | O_APPEND);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		EXPECT(fd >= 0 && fcntl(fd, ofd ? F_OFD_SETLKW : F_SETLKW, &fl) == 0);
		pid = fork();
		if (pid == 0) {
			make_entry(&e, "host/ours", 1, 18, key, 32);
			_exit(keytab_append(path, &e, 1) == ORTH_OK ? 0 : 1);
		}
		usleep(300000);
		EXPECT_EQ_INT(waitpid(pid, NULL, WNOHANG), 0);  /* it waits */
		EXPECT(write(fd, rec, w.len) == (ssize_t)w.len);
		fl.l_type = F_UNLCK;
		fcntl(fd, ofd ? F_OFD_SETLKW : F_SETLKW, &fl);
		close(fd);
		EXPECT_EQ_INT(wait_child(pid, 5000), 0);
		EXPECT_EQ_INT(count_entries(path), 3);
		unlink(path);
	}
}

/* keytab_keeps_mode_group_symlink: an update changes the keytab in place:
 * mode, owner and group stay; a symlink is written through, and a
 * dangling one creates nothing (as MIT). */
static void
test_in_place(const char *dir)
{
	char path[256], link[256], dangling[256], target[256];
	static const uint8_t key[32];
	struct keytab_entry e[2];
	size_t removed = 0;
	struct stat st;

	snprintf(path, sizeof(path), "%s/mode.kt", dir);
	make_entry(&e[0], "host/a", 1, 18, key, 32);
	make_entry(&e[1], "host/b", 1, 18, key, 32);
	EXPECT_EQ_INT(keytab_append(path, &e[0], 1), ORTH_OK);
	EXPECT_EQ_INT(chmod(path, 0640), 0);
	if (geteuid() == 0)
		EXPECT_EQ_INT(chown(path, 0, 1), 0);  /* root:daemon */
	EXPECT_EQ_INT(keytab_append(path, &e[1], 1), ORTH_OK);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	if (geteuid() == 0)
		EXPECT(st.st_uid == 0 && st.st_gid == 1);
	EXPECT_EQ_INT(keytab_remove(path, &e[0].princ, 0, &removed), ORTH_OK);
	EXPECT_EQ_INT(removed, 1);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	if (geteuid() == 0)
		EXPECT(st.st_uid == 0 && st.st_gid == 1);
	EXPECT_EQ_INT(count_entries(path), 1);

	snprintf(link, sizeof(link), "%s/link.kt", dir);
	EXPECT_EQ_INT(symlink(path, link), 0);
	EXPECT_EQ_INT(keytab_append(link, &e[0], 1), ORTH_OK);
	EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	EXPECT_EQ_INT(count_entries(path), 2);
	EXPECT_EQ_INT(keytab_remove(link, &e[1].princ, 0, &removed), ORTH_OK);
	EXPECT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	EXPECT_EQ_INT(count_entries(path), 1);

	snprintf(dangling, sizeof(dangling), "%s/dangling.kt", dir);
	snprintf(target, sizeof(target), "%s/nowhere.kt", dir);
	EXPECT_EQ_INT(symlink(target, dangling), 0);
	EXPECT_EQ_INT(keytab_append(dangling, &e[0], 1), ORTH_E_NOTFOUND);
	EXPECT(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode));
	EXPECT(stat(target, &st) != 0);
	unlink(dangling);
	unlink(link);
	unlink(path);
}

/* keytab_eacces: a keytab we may not write is a permission error. */
static void
test_eacces(const char *dir)
{
	char path[256];
	static const uint8_t key[32];
	struct keytab_entry e;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/root.kt", dir);
	make_entry(&e, "host/a", 1, 18, key, 32);
	EXPECT_EQ_INT(keytab_append(path, &e, 1), ORTH_OK);
	EXPECT_EQ_INT(chmod(dir, 0755), 0);
	EXPECT_EQ_INT(chmod(path, 0644), 0);
	pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(100);
		if (geteuid() != 0)
			chmod(path, 0444);
		_exit(strcmp(orth_err_str(keytab_append(path, &e, 1)),
			     "permission denied") != 0);
	}
	EXPECT_EQ_INT(wait_child(pid, 10000), 0);
	chmod(dir, 0700);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/kttest.XXXXXX", path[256];
	uint8_t k1[32], k2[16];
	struct keytab_entry e[3];
	struct keytab kt;
	struct stat st;
	size_t removed = 0;
	uint8_t buf[1024];
	struct writer w;

	EXPECT_EQ_INT(arena_init(&A, 1 << 20), ORTH_OK);
	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/kt", dir);
	for (int i = 0; i < 32; i++)
		k1[i] = (uint8_t)i;
	memset(k2, 0xab, sizeof(k2));

	make_entry(&e[0], "host/svc.ex.com", 2, 18, k1, 32);
	make_entry(&e[1], "host/svc.ex.com", 300, 17, k2, 16); /* kvno > 255 */
	make_entry(&e[2], "alice", 1, 18, k1, 32);

	EXPECT_EQ_INT(keytab_read(path, &kt), ORTH_E_NOTFOUND);
	EXPECT_EQ_INT(keytab_append(path, e, 2), ORTH_OK);
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	EXPECT_EQ_INT(keytab_append(path, &e[2], 1), ORTH_OK);
	EXPECT_EQ_INT(keytab_read(path, &kt), ORTH_OK);
	EXPECT_EQ_INT(kt.n, 3);
	if (kt.n == 3) {
		EXPECT(principal_equal(&kt.entries[0].princ, &e[0].princ));
		EXPECT_EQ_INT(kt.entries[0].kvno, 2);
		EXPECT_EQ_INT(kt.entries[0].enctype, 18);
		EXPECT_EQ_INT(kt.entries[0].key_len, 32);
		EXPECT_MEM(kt.entries[0].key, k1, 32);
		EXPECT_EQ_INT(kt.entries[1].kvno, 300);
		EXPECT_EQ_INT(kt.entries[1].princ.name_type, 1);
		EXPECT_EQ_INT(kt.entries[1].timestamp, 1700000000);
		EXPECT(strcmp(kt.entries[2].princ.comp[0].data, "alice") == 0);
	}
	keytab_free(&kt);

	/* remove by name and kvno */
	EXPECT_EQ_INT(keytab_remove(path, &e[0].princ, 300, &removed), ORTH_OK);
	EXPECT_EQ_INT(removed, 1);
	EXPECT_EQ_INT(keytab_read(path, &kt), ORTH_OK);
	EXPECT_EQ_INT(kt.n, 2);
	keytab_free(&kt);
	EXPECT_EQ_INT(keytab_remove(path, &e[0].princ, 0, &removed), ORTH_OK);
	EXPECT_EQ_INT(removed, 1);
	EXPECT_EQ_INT(keytab_remove(path, &e[0].princ, 0, &removed), ORTH_OK);
	EXPECT_EQ_INT(removed, 0);

	/* a known image: MIT layout byte for byte */
	writer_init(&w, buf, sizeof(buf));
	writer_be16(&w, KEYTAB_VERSION);
	EXPECT_EQ_INT(keytab_entry_encode(&e[1], &w), ORTH_OK);
	{
		static const uint8_t want[] = {
			0x05, 0x02, 0, 0, 0, 0x3d, /* len 61 */
			0, 2, 0, 6, 'E', 'X', '.', 'C', 'O', 'M', 0, 4, 'h', 'o', 's', 't',
			0, 10, 's', 'v', 'c', '.', 'e', 'x', '.', 'c', 'o', 'm',
			0, 0, 0, 1, /* name type */
			0x65, 0x53, 0xf1, 0x00, /* timestamp */
			0, /* kvno 300 does not fit 8 bits */
			0, 17, 0, 16};
		EXPECT_EQ_INT(w.len, sizeof(want) + 16 + 4);
		EXPECT_MEM(buf, want, sizeof(want));
		if (memcmp(buf, want, sizeof(want)) != 0) for (size_t q = 0; q < sizeof(want); q++) if (buf[q] != want[q]) fprintf(stderr, "  byte %zu: %02x want %02x\n", q, buf[q], want[q]);
		EXPECT_MEM(buf + sizeof(want) + 16, "\0\0\x01\x2c", 4);
	}
	/* holes are skipped; a 0 length ends the data */
	{
		uint8_t img[1024];
		size_t n = 0, end = 0;
		struct keytab_entry *ents;
		memcpy(img, buf, 2);
		memcpy(img + 2, "\xff\xff\xff\xf8", 4); /* hole of 8 */
		memset(img + 6, 0, 8);
		memcpy(img + 14, buf + 2, w.len - 2);
		memset(img + 12 + w.len, 0, 4);
		EXPECT_EQ_INT(keytab_decode(img, 12 + w.len + 4, &A, &ents, &n, &end), ORTH_OK);
		EXPECT_EQ_INT(n, 1);
		EXPECT_EQ_INT(end, 12 + w.len);
		if (n == 1)
			EXPECT_EQ_INT(ents[0].kvno, 300);
	}

	/* hostile images: every truncation; huge lengths; bad counts */
	for (size_t cut = 3; cut < w.len; cut++) {
		size_t n;
		struct keytab_entry *ents;
		arena_reset(&A);
		EXPECT(keytab_decode(buf, cut, &A, &ents, &n, NULL) != ORTH_OK);
	}
	{
		size_t n;
		struct keytab_entry *ents;
		uint8_t bad[256];
		memcpy(bad, buf, w.len);
		bad[2] = 0x7f; /* record length 0x7f000038 */
		EXPECT_EQ_INT(keytab_decode(bad, w.len, &A, &ents, &n, NULL), ORTH_E_TRUNCATED);
		memcpy(bad, buf, w.len);
		bad[2] = 0x80; bad[3] = 0; bad[4] = 0; bad[5] = 0; /* INT32_MIN */
		EXPECT_EQ_INT(keytab_decode(bad, w.len, &A, &ents, &n, NULL), ORTH_E_MALFORMED);
		memcpy(bad, buf, w.len);
		bad[6] = 0xff; bad[7] = 0xff; /* 65535 components */
		EXPECT_EQ_INT(keytab_decode(bad, w.len, &A, &ents, &n, NULL), ORTH_E_MALFORMED);
		memcpy(bad, buf, w.len);
		bad[8] = 0xff; /* realm length beyond the record */
		EXPECT_EQ_INT(keytab_decode(bad, w.len, &A, &ents, &n, NULL), ORTH_E_MALFORMED);
		memcpy(bad, buf, w.len);
		bad[5] = 10; /* record shorter than the entry */
		EXPECT(keytab_decode(bad, w.len, &A, &ents, &n, NULL) != ORTH_OK);
		EXPECT_EQ_INT(keytab_decode((const uint8_t *)"\x05\x01", 2, &A, &ents, &n, NULL),
			      ORTH_E_MALFORMED);
		EXPECT(keytab_decode((const uint8_t *)"\x05", 1, &A, &ents, &n, NULL) != ORTH_OK);
		/* 2 bytes of a length */
		memcpy(bad, "\x05\x02\x00\x00", 4);
		EXPECT_EQ_INT(keytab_decode(bad, 4, &A, &ents, &n, NULL), ORTH_E_TRUNCATED);
		/* just the header: an empty keytab */
		EXPECT_EQ_INT(keytab_decode(bad, 2, &A, &ents, &n, NULL), ORTH_OK);
		EXPECT_EQ_INT(n, 0);
	}
	/* byte flips over the image never crash */
	for (size_t i = 0; i < w.len; i++) {
		size_t n;
		struct keytab_entry *ents;
		uint8_t saved = buf[i];
		buf[i] ^= 0x80;
		arena_reset(&A);
		(void)keytab_decode(buf, w.len, &A, &ents, &n, NULL);
		buf[i] = saved;
	}
	/* appending to a garbage file is refused and leaves it alone */
	{
		FILE *f = fopen(path, "w");
		fputs("not a keytab", f);
		fclose(f);
		EXPECT_EQ_INT(keytab_append(path, e, 1), ORTH_E_MALFORMED);
		EXPECT(stat(path, &st) == 0 && st.st_size == 12);
	}
	unlink(path);
	test_parallel_append(dir);
	test_lock_mit(dir);
	test_in_place(dir);
	test_eacces(dir);
	rmdir(dir);
	arena_free(&A);
	return test_done("keytab");
}
