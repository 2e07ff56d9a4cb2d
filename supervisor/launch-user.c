/* SPDX-License-Identifier: MIT */

/* The launched child's #10: User= and Group= from the container's own /etc/passwd and /etc/group
 * (after pivot_root), read with a parser of its own into stack buffers: no NSS, no stdio, no
 * malloc after clone (the rules of launch-internal.h). Then WorkingDirectory=. */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "launch-internal.h"
#include "macro.h"

/* ---- the parser -------------------------------------------------------------------------------- */

static bool str_to_u32(const char *s, size_t n, uint32_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 10)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v >= UINT32_MAX) /* (uid_t) -1 is not an id */
                return false;
        *ret = (uint32_t) v;
        return true;
}

/* Reads a colon-separated file (/etc/passwd, /etc/group) line by line into a stack buffer. Lines
 * longer than the buffer are skipped. */
struct line_reader {
        int fd;
        size_t start, end;
        bool eof, skipping;
        char buf[4096];
};

/* Returns 1 with *ret pointing at a NUL-terminated line, 0 at the end, -errno. */
static int line_next(struct line_reader *lr, char **ret) {
        for (;;) {
                char *nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
                ssize_t n;

                if (nl) {
                        char *line = lr->buf + lr->start;

                        *nl = '\0';
                        lr->start = (size_t) (nl - lr->buf) + 1;
                        if (lr->skipping) {
                                lr->skipping = false;
                                continue;
                        }
                        *ret = line;
                        return 1;
                }
                if (lr->eof) {
                        if (lr->start == lr->end || lr->skipping)
                                return 0;
                        /* Last line without a newline: there is room, the buffer is never full here. */
                        lr->buf[lr->end] = '\0';
                        *ret = lr->buf + lr->start;
                        lr->start = lr->end;
                        return 1;
                }

                memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
                lr->end -= lr->start;
                lr->start = 0;
                if (lr->end >= sizeof(lr->buf) - 1) {
                        /* Too long for us: drop it up to its newline. */
                        lr->skipping = true;
                        lr->end = 0;
                }

                do
                        n = read(lr->fd, lr->buf + lr->end, sizeof(lr->buf) - 1 - lr->end);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        lr->eof = true;
                lr->end += (size_t) n;
        }
}

/* Splits LINE at ':' into at most N fields. Returns the count. */
static size_t split_fields(char *line, char **fields, size_t n) {
        size_t i = 0;

        while (i < n) {
                fields[i++] = line;
                line = strchr(line, ':');
                if (!line)
                        break;
                *line++ = '\0';
        }
        return i;
}

/* Finds NAME, or the numeric UID when NAME is NULL, in /etc/passwd. Returns 1 found, 0 not
 * found, -errno. */
static int passwd_find(const char *name, uid_t uid, struct launch_user *u) {
        struct line_reader lr = { .fd = -EBADF };
        char *line;
        int r;

        /* The image's file: a FIFO or a device there is refused, not waited on (-EBADFD). */
        lr.fd = open_regular_file_at(AT_FDCWD, "/etc/passwd", NULL);
        if (lr.fd < 0)
                return lr.fd;

        while ((r = line_next(&lr, &line)) > 0) {
                char *f[7];
                uint32_t id, gid;

                if (split_fields(line, f, ELEMENTSOF(f)) < 4)
                        continue;
                if (!str_to_u32(f[2], strlen(f[2]), &id) || !str_to_u32(f[3], strlen(f[3]), &gid))
                        continue;
                if (name ? !streq(f[0], name) : id != uid)
                        continue;

                u->uid = id;
                u->gid = gid;
                u->have_gid = true;
                if (strlen(f[0]) < sizeof(u->name))
                        memcpy(u->name, f[0], strlen(f[0]) + 1);
                r = 1;
                break;
        }
        (void) close(lr.fd);
        return r;
}

/* Finds group NAME in /etc/group (*ret_gid); with NAME NULL, collects the groups that list
 * u->name as a member instead. Returns 1 found, 0 not found, -errno. */
static int group_scan(const char *name, gid_t *ret_gid, struct launch_user *u) {
        struct line_reader lr = { .fd = -EBADF };
        char *line;
        int r;

        /* The image's file: a FIFO or a device there is refused, not waited on (-EBADFD). */
        lr.fd = open_regular_file_at(AT_FDCWD, "/etc/group", NULL);
        if (lr.fd < 0)
                return lr.fd;

        while ((r = line_next(&lr, &line)) > 0) {
                char *f[4];
                uint32_t gid;

                if (split_fields(line, f, ELEMENTSOF(f)) < 3 || !str_to_u32(f[2], strlen(f[2]), &gid))
                        continue;

                if (name) {
                        if (!streq(f[0], name))
                                continue;
                        *ret_gid = gid;
                        r = 1;
                        break;
                }

                if (!f[3] || !*f[3] || u->n_groups >= ELEMENTSOF(u->groups))
                        continue;
                for (char *m = f[3]; m;) {
                        char *comma = strchr(m, ',');
                        size_t l = comma ? (size_t) (comma - m) : strlen(m);

                        if (l == strlen(u->name) && memcmp(m, u->name, l) == 0) {
                                u->groups[u->n_groups++] = gid;
                                break;
                        }
                        m = comma ? comma + 1 : NULL;
                }
        }
        (void) close(lr.fd);
        return r < 0 ? r : name ? r : 1;
}

/* ---- #10 ----------------------------------------------------------------------------------------- */

/* #10: User=/Group= from the container's own files (after pivot_root), no NSS. A name not found
 * is ESRCH. A numeric User= is used as is; if /etc/passwd has it, its primary group and
 * supplementary groups come along as for a name. */
void launch_child_user(const struct launch_ctx *ctx, struct launch_user *u) {
        const struct unit_config *c = ctx->c;
        uint32_t v;
        int r;

        *u = (struct launch_user) {};

        if (c->user) {
                if (str_to_u32(c->user, strlen(c->user), &v)) {
                        r = passwd_find(NULL, v, u);
                        if (r < 0 && r != -ENOENT)
                                launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, r);
                        u->uid = v;
                } else {
                        r = passwd_find(c->user, 0, u);
                        if (r < 0)
                                launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, r);
                        if (r == 0)
                                launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, -ESRCH);
                }
        }
        if (!u->have_gid)
                u->gid = 0;

        if (c->group) {
                gid_t gid = 0;

                if (str_to_u32(c->group, strlen(c->group), &v))
                        gid = v;
                else {
                        r = group_scan(c->group, &gid, u);
                        if (r < 0)
                                launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, r);
                        if (r == 0)
                                launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, -ESRCH);
                }
                u->gid = gid;
        }

        /* Supplementary groups: where the user is listed as a member. No /etc/group: none. */
        if (u->name[0]) {
                r = group_scan(NULL, NULL, u);
                if (r < 0 && r != -ENOENT)
                        launch_child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, r);
        }

        /* Checked as root, before the switch of ids (#11). */
        if (chdir(c->working_directory ?: "/") < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CHDIR, -1, negative_errno());
}

