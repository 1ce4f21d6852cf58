/*
 * test.h - the smallest test harness: EXPECT records a failure and goes on;
 * test_done() prints the count and gives main's exit status.
 */
#ifndef ORTHRUS_TEST_H
#define ORTHRUS_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define EXPECT(cond)                                                          \
	do {                                                                  \
		test_checks++;                                                \
		if (!(cond)) {                                                \
			test_failures++;                                      \
			fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,      \
				__LINE__, #cond);                             \
		}                                                             \
	} while (0)

#define EXPECT_EQ_INT(a, b)                                                   \
	do {                                                                  \
		long long va_ = (long long)(a), vb_ = (long long)(b);         \
		test_checks++;                                                \
		if (va_ != vb_) {                                             \
			test_failures++;                                      \
			fprintf(stderr, "%s:%d: FAILED: %s == %s (%lld != %lld)\n", \
				__FILE__, __LINE__, #a, #b, va_, vb_);        \
		}                                                             \
	} while (0)

#define EXPECT_MEM(a, b, n) EXPECT(memcmp((a), (b), (n)) == 0)

static inline int
test_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, test_checks, test_failures);
	return test_failures ? 1 : 0;
}

#endif
