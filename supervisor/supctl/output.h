/* SPDX-License-Identifier: MIT */
#pragma once

/* Terminal output for supctl: colours (only on a TTY, never with $NO_COLOR or TERM=dumb),
 * glyphs, timestamps and time spans as systemctl prints them. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool colors_enabled(void);

/* Escape sequences, or "" when colours are off. */
const char *ansi_red(void);
const char *ansi_green(void);
const char *ansi_highlight(void);
const char *ansi_normal(void);

/* "●" with a UTF-8 locale, else "*". */
const char *glyph_bullet(void);

/* "Sat 2024-11-23 07:15:00 UTC" (local time); "n/a" for 0. Returns buf. */
char *format_timestamp(char *buf, size_t size, uint64_t usec);

/* "3min 2s", "1h 5min", "2 days 3h", "250ms": the two largest units. Returns buf. */
char *format_timespan(char *buf, size_t size, uint64_t usec);

#define FORMAT_TIMESTAMP_MAX 64
#define FORMAT_TIMESPAN_MAX 64
