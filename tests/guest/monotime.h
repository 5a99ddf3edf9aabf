/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * monotime.h - CLOCK_MONOTONIC helpers shared by the test programs.
 */
#ifndef MIG_MONOTIME_H
#define MIG_MONOTIME_H

#include <errno.h>
#include <stdint.h>
#include <time.h>

#define NSEC_PER_SEC UINT64_C(1000000000)

/**
 * mono_ns() - current CLOCK_MONOTONIC time.
 *
 * Return: nanoseconds since an arbitrary fixed point.
 */
static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/**
 * ns_to_timespec() - convert nanoseconds to a struct timespec.
 * @ns: nanoseconds.
 *
 * Return: the same instant as a timespec, e.g. for clock_nanosleep().
 */
static inline struct timespec ns_to_timespec(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};

	return ts;
}

/**
 * sleep_until_ns() - sleep until an absolute CLOCK_MONOTONIC time.
 * @ns: deadline in nanoseconds; returns at once if it has passed.
 *
 * Restarts after signal interruptions.
 */
static inline void sleep_until_ns(uint64_t ns)
{
	struct timespec ts = ns_to_timespec(ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

#endif /* MIG_MONOTIME_H */
