/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <stdbool.h>

#include "time-util.h"

uint64_t now(clockid_t clock) {
        struct timespec ts;

        if (clock_gettime(clock, &ts) < 0) {
                assert(!"clock_gettime() failed: not a clock");
                return 0;
        }
        return timespec_load(&ts);
}
