/* SPDX-License-Identifier: MIT */

/* common/time-util.h: now() in microseconds, agreeing with clock_gettime(). */

#include <time.h>

#include "tap.h"
#include "time-util.h"

int main(void) {
        struct timespec ts;
        uint64_t a, b, t;

        a = now(CLOCK_MONOTONIC);
        b = now(CLOCK_MONOTONIC);
        ok(a > 0 && b >= a, "CLOCK_MONOTONIC does not go back");

        clock_gettime(CLOCK_REALTIME, &ts);
        t = now(CLOCK_REALTIME);
        ok(t >= timespec_load(&ts) && t - timespec_load(&ts) < 10 * USEC_PER_SEC,
           "CLOCK_REALTIME in microseconds since the epoch");
        ok(t / USEC_PER_SEC > UINT64_C(1600000000), "after 2020");

        ts = (struct timespec) { .tv_sec = 2, .tv_nsec = 999999999 };
        is_int(timespec_load(&ts), 2999999, "timespec_load() truncates to microseconds");
        ts = (struct timespec) { .tv_sec = -1 };
        is_int(timespec_load(&ts), 0, "a negative time saturates at 0");
        return tap_done();
}
