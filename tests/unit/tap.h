/* SPDX-License-Identifier: MIT */
#pragma once

/* A tiny TAP producer for the unit tests: ok()/is_str()/is_int() print one "ok N - name" line
 * each, tap_done() prints the plan and returns the exit code. 77 means skip (meson). */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline int ok(int cond, const char *fmt, ...) {
        va_list ap;
        printf("%s %u - ", cond ? "ok" : "not ok", ++tap_n);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
        if (!cond)
                tap_failed++;
        return cond;
}

static inline int tap_is_str(const char *got, const char *want, const char *name) {
        int r = ok(got && want ? strcmp(got, want) == 0 : got == want, "%s", name);
        if (!r)
                printf("#   got:  \"%s\"\n#   want: \"%s\"\n", got ? got : "(null)", want ? want : "(null)");
        return r;
}
#define is_str(got, want, name) tap_is_str((got), (want), (name))

static inline int tap_is_int(long long got, long long want, const char *name) {
        int r = ok(got == want, "%s", name);
        if (!r)
                printf("#   got:  %lld\n#   want: %lld\n", got, want);
        return r;
}
#define is_int(got, want, name) tap_is_int((long long) (got), (long long) (want), (name))

__attribute__((format(printf, 1, 2))) static inline void diag(const char *fmt, ...) {
        va_list ap;
        fputs("# ", stdout);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        putchar('\n');
}

static inline int tap_done(void) {
        printf("1..%u\n", tap_n);
        return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

static inline int tap_skip_all(const char *why) {
        printf("1..0 # SKIP %s\n", why);
        return 77;
}
