/* SPDX-License-Identifier: MIT */
#pragma once

/* NULL-terminated string vectors (char **), the shape every list of the unit model and every argv
 * and environment has. A NULL vector is an empty one everywhere. The growing functions reallocate
 * for each string: the vectors here hold tens of entries, not thousands. */

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Frees a NULL-terminated string vector and its strings; takes NULL, returns NULL. */
static inline char **strv_free(char **l) {
        if (l)
                for (char **i = l; *i; i++)
                        free(*i);
        free(l);
        return NULL;
}
static inline void strv_freep(char ***l) {
        *l = strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))

static inline size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)

/**
 * strv_extend() - append a copy of a string
 * @l: the vector, which may be NULL (then a new one is made)
 * @s: the string to copy
 *
 * Returns: 0, or -ENOMEM with *@l unchanged.
 */
int strv_extend(char ***l, const char *s);

/**
 * strv_consume() - append a string, taking it over
 * @l: the vector, which may be NULL
 * @s: the string, owned by the vector afterwards; NULL is taken as a failed allocation
 *
 * Meant for the result of an allocating call (strdup(), asprintf()) without a check in between.
 *
 * Returns: 0, or -ENOMEM with *@l unchanged and @s freed.
 */
int strv_consume(char ***l, char *s);

/**
 * strv_consume_strv() - append the strings of another vector, taking them over
 * @l: the vector, which may be NULL; stays NULL when @add is empty too
 * @add: the vector whose strings move to *@l; the array itself is freed
 *
 * Returns: 0, or -ENOMEM with *@l unchanged and @add freed with its strings.
 */
int strv_consume_strv(char ***l, char **add);

/**
 * strv_find() - look a string up
 * @l: the vector, which may be NULL
 * @s: the string to look for
 *
 * Returns: the first entry equal to @s, or NULL.
 */
char *strv_find(char *const *l, const char *s);

/**
 * strv_sort() - sort a vector in strcmp() order, in place
 * @l: the vector, which may be NULL
 */
void strv_sort(char **l);
