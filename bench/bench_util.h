/*
 * bench_util.h - what the load generators share: clocks and the order of
 * latency samples.  Header only: each bench program is built alone.
 */
#ifndef ORTHRUS_BENCH_UTIL_H
#define ORTHRUS_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

/* Seconds of the monotonic clock. */
static inline double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds of CPU this process has used. */
static inline double
bench_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort order of uint32_t latency samples. */
static inline int
bench_u32_cmp(const void *x, const void *y)
{
	uint32_t p = *(const uint32_t *)x, q = *(const uint32_t *)y;

	return p < q ? -1 : p > q;
}

#endif
