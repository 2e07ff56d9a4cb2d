/* SPDX-License-Identifier: MIT */

/* Accounting and OOM events of a unit group: each number read from whichever hierarchy carries
 * its controller (the v1 one on hybrid and v1 hosts, the v2 tree otherwise). See README.md. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

/* One number of a unit: @v1_file where @c is on a v1 hierarchy, @v2_file in the v2 tree
 * otherwise. UINT64_MAX when the host does not have it. */
static int unit_read_stat(const struct cg_unit *u, enum cg_controller c, const char *v1_file,
                          const char *v2_file, uint64_t *ret) {
        const struct cg_host *h = u->root->host;
        const char *file;
        int i, r;

        *ret = UINT64_MAX;

        i = cg_unit_hier_for(u, c);
        if (i < 0)
                return 0;
        file = h->hier[i].v2 ? v2_file : v1_file;
        if (!file)
                return 0;

        r = cg_read_u64(u->dirs[i], file, ret);
        if (r == -ENOENT) { /* controller disabled there, or an older kernel */
                *ret = UINT64_MAX;
                return 0;
        }
        if (r < 0)
                return log_debug_errno(r, "cgroupd: cannot read %s of %s: %m", file, u->path);
        return 0;
}

int cg_unit_oom_kills(struct cg_unit *u, uint64_t *ret) {
        const struct cg_host *h = u->root->host;
        uint64_t v;
        int i, r;

        i = cg_unit_hier_for(u, CG_CONTROLLER_MEMORY);
        if (i < 0)
                return i;

        if (h->hier[i].v2)
                /* Counts the sub-groups too (unless mounted with memory_localevents). */
                r = cg_read_keyed_u64(u->dirs[i], "memory.events", "oom_kill", &v);
        else {
                /* "oom_kill" since Linux 4.13; before that the number of times the limit was hit
                 * is the nearest there is. */
                r = cg_read_keyed_u64(u->dirs[i], "memory.oom_control", "oom_kill", &v);
                if (r == -ENODATA)
                        r = cg_read_u64(u->dirs[i], "memory.failcnt", &v);
        }
        if (r == -ENOENT && access(u->dirs[i], F_OK) >= 0)
                r = -EOPNOTSUPP; /* the group is there, the controller is not */
        if (r == -ENODATA)
                r = -EOPNOTSUPP;
        if (r < 0)
                return r;

        *ret = v;
        return 0;
}

int cg_unit_stats(struct cg_unit *u, struct cg_stats *ret) {
        struct cg_stats s;
        uint64_t usec;
        int r;

        if (access(u->dirs[0], F_OK) < 0)
                return -errno;

        /* v2: cpu.stat is core (there even without the cpu controller), in microseconds. */
        r = unit_read_stat(u, CG_CONTROLLER_CPUACCT, "cpuacct.usage", NULL, &s.cpu_usage_nsec);
        if (r < 0)
                return r;
        if (s.cpu_usage_nsec == UINT64_MAX && cg_host_has_v2(u->root->host)) {
                r = cg_read_keyed_u64(u->dirs[0], "cpu.stat", "usage_usec", &usec);
                if (r >= 0 && usec < UINT64_MAX / 1000)
                        s.cpu_usage_nsec = usec * 1000;
                else if (r < 0 && r != -ENOENT && r != -ENODATA)
                        return r;
        }

        r = unit_read_stat(u, CG_CONTROLLER_MEMORY, "memory.usage_in_bytes", "memory.current",
                           &s.memory_current);
        if (r < 0)
                return r;
        /* memory.peak: Linux 5.19+. */
        r = unit_read_stat(u, CG_CONTROLLER_MEMORY, "memory.max_usage_in_bytes", "memory.peak",
                           &s.memory_peak);
        if (r < 0)
                return r;
        r = unit_read_stat(u, CG_CONTROLLER_PIDS, "pids.current", "pids.current", &s.tasks);
        if (r < 0)
                return r;

        r = cg_unit_oom_kills(u, &s.oom_kills);
        if (r == -EOPNOTSUPP || r == -ENOENT)
                s.oom_kills = UINT64_MAX;
        else if (r < 0)
                return r;

        *ret = s;
        return 0;
}

/* v1: an eventfd the memory controller signals on every OOM in the group (and once when the group
 * is removed), registered by writing "EVENTFD CONTROLFD" to cgroup.event_control. The kernel
 * holds its own reference: the memory.oom_control fd may be closed after registering, and closing
 * the eventfd unregisters it. */
static int oom_fd_v1(const struct cg_unit *u, const char *dir) {
        _cleanup_close_ int efd = -EBADF, cfd = -EBADF;
        _cleanup_free_ char *p = NULL;
        char value[64];
        int r;

        p = path_join(dir, "memory.oom_control");
        if (!p)
                return -ENOMEM;
        cfd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (cfd < 0)
                return errno == ENOENT && access(dir, F_OK) >= 0 ? -EOPNOTSUPP : -errno;

        efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (efd < 0)
                return -errno;

        snprintf(value, sizeof(value), "%d %d", efd, cfd);
        r = cg_write_at(dir, "cgroup.event_control", value);
        if (r == -ENOENT && access(dir, F_OK) >= 0)
                r = -EOPNOTSUPP; /* a kernel without CONFIG_MEMCG_V1 events */
        if (r < 0)
                return log_debug_errno(r, "cgroupd: cannot register for OOM events of %s: %m", u->path);

        return TAKE_FD(efd);
}

/* v2: memory.events changes (IN_MODIFY) on every memory event: "oom_kill", but also "max" and
 * "high" whenever the group reaches those. The caller compares cg_unit_oom_kills(). */
static int oom_fd_v2(const struct cg_unit *u, const char *dir) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *p = NULL;

        p = path_join(dir, "memory.events");
        if (!p)
                return -ENOMEM;

        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (inotify_add_watch(fd, p, IN_MODIFY) < 0) {
                if (errno == ENOENT && access(dir, F_OK) >= 0)
                        return -EOPNOTSUPP; /* memory controller not enabled for the group */
                return log_debug_errno(-errno, "cgroupd: cannot watch %s: %m", p);
        }

        return TAKE_FD(fd);
}

int cg_unit_oom_fd(struct cg_unit *u) {
        const struct cg_host *h = u->root->host;
        int i;

        i = cg_unit_hier_for(u, CG_CONTROLLER_MEMORY);
        if (i < 0)
                return i;

        return h->hier[i].v2 ? oom_fd_v2(u, u->dirs[i]) : oom_fd_v1(u, u->dirs[i]);
}

int cg_unit_oom_watch(struct cg_unit *u, int inotify_fd) {
        const struct cg_host *h = u->root->host;
        _cleanup_free_ char *p = NULL;
        int i, wd;

        i = cg_unit_hier_for(u, CG_CONTROLLER_MEMORY);
        if (i < 0)
                return i;
        if (!h->hier[i].v2)
                return -EOPNOTSUPP;
        p = path_join(u->dirs[i], "memory.events");
        if (!p)
                return -ENOMEM;
        wd = inotify_add_watch(inotify_fd, p, IN_MODIFY);
        if (wd < 0) {
                if (errno == ENOENT && access(u->dirs[i], F_OK) >= 0)
                        return -EOPNOTSUPP;
                return log_debug_errno(-errno, "cgroupd: cannot watch %s: %m", p);
        }
        return wd;
}

void cg_unit_oom_drain(struct cg_unit *u, int fd) {
        /* Big enough for inotify events, and for the 8 bytes of an eventfd counter. */
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        if (fd < 0)
                return;

        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k > 0)
                        continue;
                if (k < 0 && errno == EINTR)
                        continue;
                break; /* EAGAIN: drained */
        }
}
