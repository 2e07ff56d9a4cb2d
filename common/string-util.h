/* SPDX-License-Identifier: MIT */
#pragma once

/* Allocating string builders with one failure value (NULL): vasprintf(3) leaves its result
 * undefined on failure, which every caller had to work around. */

#include <stdarg.h>

/**
 * vstrprintf() - format into a new string
 * @fmt: printf(3) format
 * @ap: its arguments
 *
 * Returns: the string, owned by the caller, or NULL when out of memory.
 */
__attribute__((format(printf, 1, 0))) char *vstrprintf(const char *fmt, va_list ap);

/* vstrprintf() with the arguments inline. */
__attribute__((format(printf, 1, 2))) char *strprintf(const char *fmt, ...);

/**
 * path_join() - "A/B" with exactly one slash between them
 * @a: the directory; trailing slashes are dropped
 * @b: the name below it; leading slashes are dropped
 *
 * Returns: the path, owned by the caller, or NULL when out of memory.
 */
char *path_join(const char *a, const char *b);
