/* Tests of src/base: cursor, writer, arena, errors. */
#include "base/arena.h"
#include "base/cursor.h"
#include "base/err.h"
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
	EXPECT(strlen(orth_err_str(12345)) > 0);
}

int
main(void)
{
	test_cursor();
	test_writer();
	test_arena();
	test_err();
	return test_done("base");
}
