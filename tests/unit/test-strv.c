/* SPDX-License-Identifier: MIT */

/* common/strv.h: growing, taking over, finding, sorting; NULL is an empty vector everywhere. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"
#include "tap.h"

static void test_extend(void) {
        _cleanup_strv_free_ char **l = NULL;

        is_int(strv_length(NULL), 0, "strv_length(NULL) is 0");
        is_int(strv_extend(&l, "a"), 0, "strv_extend() on NULL");
        is_int(strv_extend(&l, "b"), 0, "strv_extend() again");
        is_int(strv_length(l), 2, "two entries");
        is_str(l[0], "a", "first kept");
        is_str(l[1], "b", "second appended");
        ok(l[2] == NULL, "NULL-terminated");
}

static void test_consume(void) {
        _cleanup_strv_free_ char **l = NULL;
        char **add;

        is_int(strv_consume(&l, strdup("x")), 0, "strv_consume() takes a string");
        is_int(strv_consume(&l, NULL), -ENOMEM, "strv_consume(NULL) is a failed allocation");
        is_int(strv_length(l), 1, "and leaves the vector as it was");

        add = calloc(3, sizeof(char *));
        add[0] = strdup("y");
        add[1] = strdup("z");
        is_int(strv_consume_strv(&l, add), 0, "strv_consume_strv() appends a vector");
        is_int(strv_length(l), 3, "three entries");
        is_str(l[2], "z", "in order");

        add = calloc(1, sizeof(char *));
        is_int(strv_consume_strv(&l, add), 0, "an empty vector adds nothing");
        is_int(strv_length(l), 3, "still three");
}

static void test_consume_strv_into_null(void) {
        char **l = NULL, **add = calloc(1, sizeof(char *));

        is_int(strv_consume_strv(&l, add), 0, "empty into NULL");
        ok(l == NULL, "stays NULL");
}

static void test_find_sort(void) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;

        ok(!strv_find(NULL, "a"), "nothing in NULL");
        strv_extend(&l, "pear");
        strv_extend(&l, "apple");
        strv_extend(&l, "fig");
        ok(strv_find(l, "apple") == l[1], "strv_find() returns the entry");
        ok(!strv_find(l, "app"), "no prefix match");
        strv_sort(l);
        is_str(l[0], "apple", "sorted 0");
        is_str(l[1], "fig", "sorted 1");
        is_str(l[2], "pear", "sorted 2");
        strv_sort(NULL);
        STRV_FOREACH(s, l)
                n++;
        is_int(n, 3, "STRV_FOREACH visits each entry");
        STRV_FOREACH(s, (char **) NULL)
                n++;
        is_int(n, 3, "and nothing of NULL");
}

int main(void) {
        test_extend();
        test_consume();
        test_consume_strv_into_null();
        test_find_sort();
        return tap_done();
}
