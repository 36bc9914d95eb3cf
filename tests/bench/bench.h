/*
 * bench.h - the few helpers every benchmark in tests/bench/ needs: a
 * monotonic clock and the median it reports.  Header-only (static inline)
 * because each benchmark is one file built on its own.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Monotonic seconds. */
static inline double
bench_now_s(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* qsort comparison for doubles, ascending. */
static inline int
bench_cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of in[0..n) (left as it is); -1 when n is 0 or out of memory. */
static inline double
bench_median(const double *in, int n)
{
	double	*v, m;

	if (n <= 0 || (v = malloc((size_t)n * sizeof *v)) == NULL)
		return -1;
	memcpy(v, in, (size_t)n * sizeof *v);
	qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	free(v);
	return m;
}

#endif /* BENCH_H */
