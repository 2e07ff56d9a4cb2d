/* SPDX-License-Identifier: MIT */

/* netplug_instance_table(): the name of an instance's nftables table, which is also the mark on its
 * links. Two instances must never share one (each would delete the other's table and links as its
 * own), and the default instance keeps the name it always had. No root needed. */

#include <string.h>

#include "macro.h"
#include "netplug.h"
#include "tap.h"

static char *table(const char *instance) {
        char *t = NULL;

        if (netplug_instance_table(instance, &t) < 0)
                return NULL;
        return t;
}

static int differ(const char *a, const char *b) {
        _cleanup_free_ char *ta = table(a), *tb = table(b);
        int r = ta && tb && !streq(ta, tb);

        if (!r)
                diag("\"%s\" -> %s, \"%s\" -> %s", a, strempty(ta), b, strempty(tb));
        return r;
}

int main(void) {
        static const char *const distinct[] = {
                "sup",
                "Sup",
                "x.y",
                "x_y",
                "x-y",
                "X-y",
                "relaudit-col.x",
                "relaudit-col_x",
                "relaudit_col_x",
                "a/b",
                "a_b",
                "test-1234/sup",
                "test_1234/sup",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  /* 40: kept */
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 41: hashed */
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
                "default",
                "",
        };
        _cleanup_free_ char *t = NULL;
        unsigned bad = 0;

        t = table("sup");
        is_str(t, "sup_sup", "the default instance keeps its table name");
        free(t);
        t = table(NULL);
        is_str(t, "sup_default", "no instance: \"default\"");
        free(t);
        t = table("x_y");
        is_str(t, "sup_x_y", "a name of [a-z0-9_] is kept as it is");
        free(t);

        t = table("relaudit-col.x");
        ok(t && startswith(t, "sup_relaudit_col_x-") && strlen(t) == strlen("sup_relaudit_col_x-") + 16,
           "any other is reduced, then \"-\" and 16 hex digits: %s", strempty(t));
        free(t);
        t = table("/very/long/cgroup/root/of/an/instance/somewhere/deep/in/the/tree");
        ok(t && strlen(t) <= 4 + 40, "a long one fits in 44 bytes: %s", strempty(t));
        free(t);
        t = table("sup");
        {
                _cleanup_free_ char *again = table("sup");
                is_str(again, t, "the name is stable");
        }

        for (size_t i = 0; i < ELEMENTSOF(distinct); i++)
                for (size_t j = i + 1; j < ELEMENTSOF(distinct); j++)
                        if (!(streq(distinct[i], "") && streq(distinct[j], "default")) &&
                            !(streq(distinct[i], "default") && streq(distinct[j], ""))) {
                                if (!differ(distinct[i], distinct[j]))
                                        bad++;
                        }
        is_int(bad, 0, "instances that differ only in case or punctuation get different names");

        return tap_done();
}
