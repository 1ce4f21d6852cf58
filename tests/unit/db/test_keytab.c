/* test_keytab.c - MIT keytab v2 (src/client/keytab.c): round trips and
 * hostile files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	rmdir(dir);
	arena_free(&A);
	return test_done("keytab");
}
