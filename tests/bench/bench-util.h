/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-util.h - what the manager's benchmarks share: the process's
 * resident memory and a comparison for qsort() of doubles (medians).
 */
#ifndef MIG_BENCH_UTIL_H
#define MIG_BENCH_UTIL_H

#include <stdio.h>
#include <unistd.h>

/* Resident set size of this process in KiB (0 if unknown). */
static inline long bench_rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* qsort() order of doubles. */
static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif /* MIG_BENCH_UTIL_H */
