/* SPDX-License-Identifier: MIT */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "output.h"

bool colors_enabled(void) {
        static int cached = -1;

        if (cached < 0) {
                const char *term = getenv("TERM");

                cached = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(term, "dumb");
        }
        return cached;
}

const char *ansi_red(void) {
        return colors_enabled() ? "\033[0;1;31m" : "";
}

const char *ansi_green(void) {
        return colors_enabled() ? "\033[0;1;32m" : "";
}

const char *ansi_highlight(void) {
        return colors_enabled() ? "\033[0;1;39m" : "";
}

const char *ansi_normal(void) {
        return colors_enabled() ? "\033[0m" : "";
}

static bool locale_is_utf8(void) {
        static const char *const vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                const char *v = getenv(vars[i]);
                if (v && *v)
                        return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
        }
        return false;
}

const char *glyph_bullet(void) {
        return locale_is_utf8() ? "\xe2\x97\x8f" : "*";
}

char *format_timestamp(char *buf, size_t size, uint64_t usec) {
        time_t t = (time_t) (usec / 1000000U);
        struct tm tm;

        if (usec == 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, size, "n/a");
        return buf;
}

char *format_timespan(char *buf, size_t size, uint64_t usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } units[] = {
                { "y", UINT64_C(31557600000000) },
                { "month", UINT64_C(2629800000000) },
                { "w", UINT64_C(604800000000) },
                { " days", UINT64_C(86400000000) },
                { "h", UINT64_C(3600000000) },
                { "min", UINT64_C(60000000) },
                { "s", UINT64_C(1000000) },
                { "ms", UINT64_C(1000) },
        };
        size_t n = 0;
        int shown = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(units) && shown < 2; i++) {
                uint64_t k = usec / units[i].usec;
                const char *suffix = units[i].suffix;

                if (k == 0) {
                        if (shown > 0)
                                break; /* "1h 5s" says less than it seems: stop at a gap */
                        continue;
                }
                /* Milliseconds only when that is all there is. */
                if (streq(suffix, "ms") && shown > 0)
                        break;
                if (streq(suffix, " days") && k == 1)
                        suffix = " day";
                n += (size_t) snprintf(buf + n, n < size ? size - n : 0, "%s%" PRIu64 "%s", shown ? " " : "", k,
                                       suffix);
                usec -= k * units[i].usec;
                shown++;
        }
        if (shown == 0)
                snprintf(buf, size, "0");
        return buf;
}
