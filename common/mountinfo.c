/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

static int octal(char c) {
        return c >= '0' && c <= '7' ? c - '0' : -1;
}

void mountinfo_unescape(char *s) {
        char *w = s;

        for (const char *r = s; *r;) {
                /* \ooo up to \377: the kernel only writes a byte this way. */
                if (r[0] == '\\' && octal(r[1]) >= 0 && octal(r[1]) <= 3 && octal(r[2]) >= 0 &&
                    octal(r[3]) >= 0) {
                        *w++ = (char) (octal(r[1]) << 6 | octal(r[2]) << 3 | octal(r[3]));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

/* The next space-separated field of *@p, NUL-terminated in place; NULL when there is none. */
static char *next_field(char **p) {
        char *s = *p, *e;

        if (!s || !*s)
                return NULL;
        e = strchr(s, ' ');
        if (e) {
                *e = '\0';
                *p = e + 1;
        } else
                *p = NULL;
        return s;
}

static int parse_int(const char *s, int *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end || v < 0 || v > INT_MAX)
                return -EBADMSG;
        *ret = (int) v;
        return 0;
}

int mountinfo_parse_line(char *line, struct mountinfo_entry *ret) {
        struct mountinfo_entry e = {};
        char *p = line, *f[6], *sep;
        size_t l;

        assert(line);
        assert(ret);

        l = strcspn(line, "\n");
        line[l] = '\0';

        for (size_t i = 0; i < 6; i++) {
                f[i] = next_field(&p);
                if (!f[i] || !p)
                        return -EBADMSG;
        }
        /* The optional fields end at a lone "-"; none of them, nor any field before them, is "-"
         * (paths are absolute, options never empty). */
        if (p[0] == '-' && p[1] == ' ') {
                e.optional = "";
                p += 2;
        } else {
                sep = strstr(p, " - ");
                if (!sep)
                        return -EBADMSG;
                *sep = '\0';
                e.optional = p;
                p = sep + 3;
        }

        e.fstype = next_field(&p);
        e.source = next_field(&p);
        e.super_options = next_field(&p);
        if (!e.fstype || !e.source || !e.super_options)
                return -EBADMSG;

        if (parse_int(f[0], &e.mount_id) < 0 || parse_int(f[1], &e.parent_id) < 0)
                return -EBADMSG;
        if (sscanf(f[2], "%u:%u", &e.major, &e.minor) != 2)
                return -EBADMSG;

        e.root = f[3];
        e.mount_point = f[4];
        e.mount_options = f[5];
        mountinfo_unescape(e.root);
        mountinfo_unescape(e.mount_point);
        mountinfo_unescape(e.source);

        *ret = e;
        return 0;
}

int mountinfo_open(struct mountinfo_iter *it, const char *path) {
        FILE *f;

        assert(it);
        assert(!it->f);

        f = fopen(path ?: "/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        it->f = f;
        return 0;
}

int mountinfo_next(struct mountinfo_iter *it, struct mountinfo_entry *ret) {
        assert(it);
        assert(it->f);
        assert(ret);

        errno = 0;
        while (getline(&it->line, &it->size, it->f) >= 0)
                if (mountinfo_parse_line(it->line, ret) >= 0)
                        return 1;
        if (ferror(it->f))
                return errno > 0 ? -errno : -EIO;
        return 0;
}

void mountinfo_iter_done(struct mountinfo_iter *it) {
        if (it->f)
                (void) fclose(it->f);
        free(it->line);
        *it = (struct mountinfo_iter) MOUNTINFO_ITER_INIT;
}
