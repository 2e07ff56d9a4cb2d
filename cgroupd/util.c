/* SPDX-License-Identifier: MIT */

/* Small helpers for cgroupd: numbers in cgroup files, pid sets, recursive pid collection and
 * recursive rmdir of a group. Whole-file reads and single writes are common/fileio.h's. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "fileio.h"
#include "macro.h"
#include "string-util.h"

int cg_parse_u64(const char *s, uint64_t *ret) {
        unsigned long long v;
        char *end;

        s += strspn(s, " \t");
        if (startswith(s, "max")) {
                end = (char *) s + STRLEN("max");
                v = UINT64_MAX;
        } else {
                if (*s < '0' || *s > '9')
                        return -EINVAL;
                errno = 0;
                v = strtoull(s, &end, 10);
                if (errno != 0)
                        return -errno;
        }
        end += strspn(end, " \t\n");
        if (*end != '\0')
                return -EINVAL;
        *ret = (uint64_t) v;
        return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *ret) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        int r;

        p = path_join(dir, file);
        if (!p)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &s, NULL);
        if (r < 0)
                return r;
        return cg_parse_u64(s, ret);
}

int cg_read_keyed_u64(const char *dir, const char *file, const char *key, uint64_t *ret) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        size_t l = strlen(key);
        int r;

        p = path_join(dir, file);
        if (!p)
                return -ENOMEM;
        r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &s, NULL);
        if (r < 0)
                return r;

        for (char *line = s, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, key, l) == 0 && line[l] == ' ')
                        return cg_parse_u64(line + l + 1, ret);
        }
        return -ENODATA;
}

int cg_write_at(const char *dir, const char *file, const char *value) {
        _cleanup_free_ char *p = NULL;

        p = path_join(dir, file);
        if (!p)
                return -ENOMEM;
        return write_string_file_at(AT_FDCWD, p, value);
}

bool cg_file_exists(const char *dir, const char *file) {
        _cleanup_free_ char *p = NULL;

        p = path_join(dir, file);
        return p && access(p, F_OK) >= 0;
}

void cg_pid_set_done(struct cg_pid_set *s) {
        free(s->pids);
        *s = (struct cg_pid_set){};
}

static size_t pid_set_lower_bound(const struct cg_pid_set *s, pid_t pid) {
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->pids[mid] < pid)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

bool cg_pid_set_contains(const struct cg_pid_set *s, pid_t pid) {
        size_t i = pid_set_lower_bound(s, pid);
        return i < s->n && s->pids[i] == pid;
}

int cg_pid_set_add(struct cg_pid_set *s, pid_t pid) {
        size_t i = pid_set_lower_bound(s, pid);

        if (i < s->n && s->pids[i] == pid)
                return 0;

        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 16;
                pid_t *p = reallocarray(s->pids, a, sizeof(pid_t));
                if (!p)
                        return -ENOMEM;
                s->pids = p;
                s->allocated = a;
        }

        memmove(s->pids + i + 1, s->pids + i, (s->n - i) * sizeof(pid_t));
        s->pids[i] = pid;
        s->n++;
        return 1;
}

static int parse_pid(const char *s, pid_t *ret) {
        char *end;
        long v;

        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < 0 || v > INT_MAX)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

/* Takes ownership of @fd (an O_DIRECTORY fd of a group). */
static int collect_pids_fd(int fd, struct cg_pid_set *s, unsigned depth) {
        _cleanup_free_ char *procs = NULL;
        DIR *d;
        int r;

        /* cgroup.max.depth is unlimited by default, but no sane tree nests this deep. */
        if (depth > 64) {
                safe_close(fd);
                return -ELOOP;
        }

        r = read_full_file_at(fd, "cgroup.procs", CG_FILE_MAX, 0, &procs, NULL);
        if (r == -ENOENT || r == -ENODEV) { /* group removed under our feet */
                safe_close(fd);
                return 0;
        }
        if (r < 0) {
                safe_close(fd);
                return r;
        }

        for (char *line = procs, *next; line && *line; line = next) {
                pid_t pid;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (parse_pid(line, &pid) < 0)
                        continue;
                /* 0: a process of another pid namespace we cannot name. */
                if (pid <= 0)
                        continue;
                r = cg_pid_set_add(s, pid);
                if (r < 0) {
                        safe_close(fd);
                        return r;
                }
        }

        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }

        r = 0;
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                int sub;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;

                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = -errno;
                        break;
                }
                r = collect_pids_fd(sub, s, depth + 1);
                if (r < 0)
                        break;
        }
        if (r == 0 && errno != 0)
                r = -errno;

        closedir(d);
        return r;
}

int cg_collect_pids(const char *dir, struct cg_pid_set *s) {
        int fd;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;

        return collect_pids_fd(fd, s, 0);
}

/* Removes the sub-groups of the group open at @fd (taking ownership of it), deepest first. */
static int rmdir_children_fd(int fd, unsigned depth) {
        DIR *d;
        int r = 0;

        if (depth > 64) {
                safe_close(fd);
                return -ELOOP;
        }

        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }

        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                int sub, k;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;

                sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (sub < 0) {
                        if (errno != ENOENT && r == 0)
                                r = -errno;
                        continue;
                }
                k = rmdir_children_fd(sub, depth + 1);
                if (k >= 0 && unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                        k = -errno;
                /* Go on with the siblings: remove as much as can go, report the first error. */
                if (k < 0 && r == 0)
                        r = k;
        }

        closedir(d);
        return r;
}

int cg_rmdir_tree(const char *dir) {
        int fd, r;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        r = rmdir_children_fd(fd, 0);
        if (r < 0)
                return r;

        if (rmdir(dir) < 0)
                return -errno;
        return 0;
}
