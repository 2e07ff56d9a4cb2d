/* SPDX-License-Identifier: MIT */
#pragma once

/* Time in microseconds as one uint64_t, the unit of every duration and timestamp in sup. */

#include <stdint.h>
#include <time.h>

#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)

/**
 * now() - read a clock in microseconds
 * @clock: CLOCK_MONOTONIC for durations and deadlines, CLOCK_REALTIME for wall-clock timestamps,
 *         CLOCK_BOOTTIME to count suspend too
 *
 * The clocks above cannot fail to read on Linux; an invalid @clock is a programming error (an
 * assertion, or 0 with NDEBUG).
 *
 * Returns: the time in microseconds since the clock's epoch.
 */
uint64_t now(clockid_t clock);

/* The microseconds of a struct timespec, saturating instead of wrapping for a negative one. */
static inline uint64_t timespec_load(const struct timespec *ts) {
        if (ts->tv_sec < 0 || ts->tv_nsec < 0)
                return 0;
        return (uint64_t) ts->tv_sec * USEC_PER_SEC + (uint64_t) ts->tv_nsec / NSEC_PER_USEC;
}
