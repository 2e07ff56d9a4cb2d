/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "strv.h"

int strv_consume(char ***l, char *s) {
        size_t n;
        char **a;

        if (!s)
                return -ENOMEM;
        n = strv_length(*l);
        a = reallocarray(*l, n + 2, sizeof(char *));
        if (!a) {
                free(s);
                return -ENOMEM;
        }
        a[n] = s;
        a[n + 1] = NULL;
        *l = a;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_consume_strv(char ***l, char **add) {
        size_t n, m;
        char **a;

        m = strv_length(add);
        if (m == 0) {
                free(add);
                return 0;
        }
        n = strv_length(*l);
        if (m > SIZE_MAX / sizeof(char *) - 1 - n) {
                strv_free(add);
                return -ENOMEM;
        }
        a = reallocarray(*l, n + m + 1, sizeof(char *));
        if (!a) {
                strv_free(add);
                return -ENOMEM;
        }
        memcpy(a + n, add, (m + 1) * sizeof(char *));
        free(add);
        *l = a;
        return 0;
}

char *strv_find(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (strcmp(*i, s) == 0)
                        return *i;
        return NULL;
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);

        if (n > 1)
                qsort(l, n, sizeof(char *), str_cmp);
}
