/* SPDX-License-Identifier: MIT */
#pragma once

/* The log hook. Libraries (units/, cgroupd/, netplug/) only ever call log_debug(); the
 * supervisor installs the sink and decides where lines go (stderr, /dev/kmsg). Until a sink
 * is installed, debug lines are dropped. */

#include <errno.h>
#include <stdarg.h>

enum log_level {
        LOG_LEVEL_ERROR = 3,
        LOG_LEVEL_WARN = 4,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
};

typedef void (*log_sink_t)(int level, int error, const char *fmt, va_list ap);

/* One instance per program; weak so every static library can reference it without owning it. */
extern log_sink_t log_sink __attribute__((weak));
extern int log_max_level __attribute__((weak));

__attribute__((format(printf, 3, 4))) static inline int log_full_errno(int level, int error, const char *fmt,
                                                                        ...) {
        if (&log_sink && log_sink && &log_max_level && level <= log_max_level) {
                va_list ap;
                int saved = errno;
                va_start(ap, fmt);
                errno = error < 0 ? -error : error;
                log_sink(level, error, fmt, ap);
                va_end(ap);
                errno = saved;
        }
        return error < 0 ? error : -error;
}

#define log_debug(...) log_full_errno(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
#define log_debug_errno(e, ...) log_full_errno(LOG_LEVEL_DEBUG, (e), __VA_ARGS__)

/* Only supervisor/ logs above debug (DESIGN.md: libraries return errors, the caller logs once). */
#define log_info(...) log_full_errno(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_LEVEL_WARN, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_LEVEL_WARN, (e), __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_LEVEL_ERROR, (e), __VA_ARGS__)
#define log_oom() log_error_errno(-ENOMEM, "Out of memory.")
