/* SPDX-License-Identifier: MIT */

/* common/string-util.h (strprintf, path_join) and the default PATH of path-defaults.h. */

#include <string.h>

#include "macro.h"
#include "path-defaults.h"
#include "string-util.h"
#include "tap.h"

static void test_path_join(const char *a, const char *b, const char *want) {
        _cleanup_free_ char *p = path_join(a, b);
        char name[128];

        snprintf(name, sizeof(name), "path_join(\"%s\", \"%s\")", a, b);
        is_str(p, want, name);
}

int main(void) {
        _cleanup_free_ char *s = strprintf("%s-%d", "x", 42);

        is_str(s, "x-42", "strprintf()");
        test_path_join("/a", "b", "/a/b");
        test_path_join("/a/", "b", "/a/b");
        test_path_join("/a//", "//b", "/a/b");
        test_path_join("", "b", "/b");
        test_path_join("/", "b", "/b");
        test_path_join("a", "", "a/");
        test_path_join("..", "cpuset.cpus", "../cpuset.cpus");

        is_str(SUP_DEFAULT_PATH_ENV, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "the default PATH of SPEC §3");
        return tap_done();
}
