/* SPDX-License-Identifier: MIT */

/* The group of one unit: one directory per hierarchy below the root. Placement, signalling,
 * emptiness and removal, each mapped onto what the layout offers (see README.md). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

/* A pass that still finds new pids after this many rounds means something keeps forking faster
 * than it dies; the caller escalates (SIGKILL after TimeoutStopSec=) rather than spin here. */
#define KILL_MAX_PASSES 1000

/* Names that would clash with the files of a group, or with systemd's escape itself, get a
 * leading "_", as systemd does it (cg_escape()). */
static bool name_needs_escape(const char *name) {
        static const char *const reserved[] = {"notify_on_release", "release_agent", "tasks"};
        /* Every prefix a cgroup interface file may have, v1 and v2 alike. */
        static const char *const prefixes[] = {
                "cgroup",  "cpu",     "cpuacct", "cpuset", "memory", "blkio",   "io",       "pids",
                "freezer", "devices", "hugetlb", "rdma",   "misc",   "net_cls", "net_prio", "perf_event",
        };
        const char *dot;

        if (name[0] == '_' || name[0] == '.')
                return true;

        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (streq(name, reserved[i]))
                        return true;

        dot = strchr(name, '.');
        if (dot)
                for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
                        if (strlen(prefixes[i]) == (size_t) (dot - name) &&
                            strncmp(name, prefixes[i], dot - name) == 0)
                                return true;

        return false;
}

struct cg_unit *cg_unit_free(struct cg_unit *u) {
        if (!u)
                return NULL;
        free(u->name);
        free(u->dirname);
        free(u->path);
        strv_free(u->dirs);
        free(u);
        return NULL;
}

int cg_unit_new(struct cg_root *r, const char *name, struct cg_unit **ret) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        const struct cg_host *h = r->host;
        bool made[_CG_HIERARCHY_MAX] = {};
        int k;

        if (!name || !*name || strchr(name, '/') || streq(name, ".") || streq(name, ".."))
                return -EINVAL;

        u = calloc(1, sizeof(*u));
        if (!u)
                return -ENOMEM;
        u->root = r;
        u->name = strdup(name);
        if (asprintf(&u->dirname, "%s%s", name_needs_escape(name) ? "_" : "", name) < 0)
                u->dirname = NULL;
        u->path = path_join(r->path, u->dirname ?: "");
        u->dirs = calloc(h->n_hier + 1, sizeof(char *));
        if (!u->name || !u->dirname || !u->path || !u->dirs)
                return -ENOMEM;

        for (size_t i = 0; i < h->n_hier; i++) {
                u->dirs[i] = path_join(r->dirs[i], u->dirname);
                if (!u->dirs[i]) {
                        k = -ENOMEM;
                        goto fail;
                }

                if (mkdir(u->dirs[i], 0755) >= 0)
                        made[i] = true;
                else if (errno != EEXIST) {
                        k = log_debug_errno(-errno, "cgroupd: cannot make %s: %m", u->dirs[i]);
                        goto fail;
                }

                if (h->hier[i].controllers & CG_CONTROLLER_MASK(CG_CONTROLLER_CPUSET)) {
                        k = cg_cpuset_inherit(u->dirs[i]);
                        if (k < 0)
                                goto fail;
                }
        }

        log_debug("cgroupd: unit group %s ready", u->path);
        *ret = TAKE_PTR(u);
        return 0;

fail:
        for (size_t i = 0; i < h->n_hier; i++)
                if (made[i])
                        (void) rmdir(u->dirs[i]);
        return k;
}

static int unit_file(const struct cg_unit *u, size_t i, const char *file, char **ret) {
        char *p = path_join(u->dirs[i], file);
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

int cg_unit_clone_fd(struct cg_unit *u) {
        int fd;

        if (!cg_host_has_v2(u->root->host))
                return -EOPNOTSUPP;

        /* CLONE_INTO_CGROUP takes an O_PATH fd (the kernel uses fget_raw()). */
        fd = open(u->dirs[0], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_debug_errno(-errno, "cgroupd: cannot open %s: %m", u->dirs[0]);
        return fd;
}

int cg_unit_attach(struct cg_unit *u, pid_t pid, bool v2_done) {
        const struct cg_host *h = u->root->host;
        char value[32];
        int r;

        if (pid <= 0)
                return -EINVAL;
        snprintf(value, sizeof(value), "%d", (int) pid);

        for (size_t i = 0; i < h->n_hier; i++) {
                _cleanup_free_ char *procs = NULL;

                if (h->hier[i].v2 && v2_done)
                        continue;

                r = unit_file(u, i, "cgroup.procs", &procs);
                if (r < 0)
                        return r;
                r = write_string_file_at(AT_FDCWD, procs, value);
                if (r < 0)
                        return log_debug_errno(r, "cgroupd: cannot move %d into %s: %m", (int) pid, procs);
        }
        return 0;
}

/* Every pid of the unit: the v2 tree knows them all where there is one; on pure v1 the union of
 * the hierarchies, so that a process that is in some of them only is seen too. */
static int unit_collect(const struct cg_unit *u, struct cg_pid_set *s) {
        const struct cg_host *h = u->root->host;
        int r;

        for (size_t i = 0; i < h->n_hier; i++) {
                r = cg_collect_pids(u->dirs[i], s);
                if (r < 0)
                        return r;
                if (h->hier[i].v2)
                        break;
        }
        return 0;
}

static int unit_freezer_set(const struct cg_unit *u, const char *state) {
        int i = cg_host_hier_of(u->root->host, CG_CONTROLLER_FREEZER);
        _cleanup_free_ char *p = NULL;
        int r;

        if (i < 0)
                return -EOPNOTSUPP;
        r = unit_file(u, (size_t) i, "freezer.state", &p);
        if (r < 0)
                return r;
        return write_string_file_at(AT_FDCWD, p, state);
}

int cg_unit_hier_for(const struct cg_unit *u, enum cg_controller c) {
        const struct cg_host *h = u->root->host;
        int i = cg_host_hier_of(h, c);

        if (i >= 0)
                return i;
        if (c != CG_CONTROLLER_FREEZER && c != CG_CONTROLLER_DEVICES && cg_host_has_v2(h))
                return 0;
        return -EOPNOTSUPP;
}

/* The v2 freezer (cgroup.freeze, Linux 5.2+) where the v2 tree has one, on hybrid hosts too;
 * else the v1 freezer hierarchy. */
static bool unit_has_v2_freezer(const struct cg_unit *u) {
        return cg_host_has_v2(u->root->host) && cg_file_exists(u->dirs[0], "cgroup.freeze");
}

static int unit_check_exists(const struct cg_unit *u) {
        if (access(u->dirs[0], F_OK) < 0)
                return -errno;
        return 0;
}

int cg_unit_freeze(struct cg_unit *u, bool freeze) {
        int r;

        if (unit_has_v2_freezer(u)) {
                r = cg_write_at(u->dirs[0], "cgroup.freeze", freeze ? "1" : "0");
                if (r < 0)
                        return log_debug_errno(r, "cgroupd: cannot %s %s: %m", freeze ? "freeze" : "thaw",
                                               u->path);
        } else {
                r = unit_check_exists(u);
                if (r < 0)
                        return r;
                r = unit_freezer_set(u, freeze ? "FROZEN" : "THAWED");
                if (r < 0)
                        return log_debug_errno(r, "cgroupd: cannot %s %s with the v1 freezer: %m",
                                               freeze ? "freeze" : "thaw", u->path);
        }

        log_debug("cgroupd: %s %s", freeze ? "freezing" : "thawing", u->path);
        return 0;
}

int cg_unit_is_frozen(struct cg_unit *u) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        uint64_t v;
        int i, r;

        if (unit_has_v2_freezer(u)) {
                r = cg_read_keyed_u64(u->dirs[0], "cgroup.events", "frozen", &v);
                if (r < 0)
                        return r == -ENODATA ? -EBADMSG : r;
                return v != 0;
        }

        r = unit_check_exists(u);
        if (r < 0)
                return r;
        i = cg_host_hier_of(u->root->host, CG_CONTROLLER_FREEZER);
        if (i < 0)
                return -EOPNOTSUPP;
        r = unit_file(u, (size_t) i, "freezer.state", &p);
        if (r < 0)
                return r;
        r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &s, NULL);
        if (r < 0)
                return r;
        /* FREEZING is not frozen yet: the caller asks again. */
        return startswith(s, "FROZEN") != NULL;
}

/* Reads the group again and again, signalling each pid once, until a pass finds none new. */
static int kill_loop(const struct cg_unit *u, int sig) {
        struct cg_pid_set done = {};
        pid_t self = getpid();
        int n = 0, error = 0, r = 0;
        unsigned pass;

        for (pass = 0; pass < KILL_MAX_PASSES; pass++) {
                struct cg_pid_set cur = {};
                bool added = false;

                r = unit_collect(u, &cur);
                for (size_t i = 0; r >= 0 && i < cur.n; i++) {
                        pid_t pid = cur.pids[i];

                        if (pid == self)
                                continue;
                        r = cg_pid_set_add(&done, pid);
                        if (r <= 0)
                                continue;
                        added = true;
                        if (kill(pid, sig) >= 0)
                                n++;
                        else if (errno != ESRCH && error == 0)
                                error = -errno;
                }
                cg_pid_set_done(&cur);
                if (r < 0 || !added)
                        break;
        }
        cg_pid_set_done(&done);

        if (r < 0)
                return r;
        if (pass == KILL_MAX_PASSES)
                log_debug("cgroupd: %s still had new processes after %u passes", u->path, pass);
        if (n == 0 && error < 0)
                return error;
        return n;
}

int cg_unit_kill(struct cg_unit *u, int sig) {
        const struct cg_host *h = u->root->host;
        bool frozen = false;
        int r;

        if (sig == SIGKILL && cg_host_has_v2(h)) {
                _cleanup_free_ char *p = NULL;
                struct cg_pid_set s = {};

                /* cgroup.kill says nothing of how many it hit: count them first. */
                r = cg_collect_pids(u->dirs[0], &s);
                size_t n = s.n;
                cg_pid_set_done(&s);
                if (r < 0)
                        return r;

                r = unit_file(u, 0, "cgroup.kill", &p);
                if (r < 0)
                        return r;
                r = write_string_file_at(AT_FDCWD, p, "1");
                if (r >= 0) {
                        log_debug("cgroupd: killed %s", u->path);
                        return (int) n;
                }
                if (r != -ENOENT)
                        return log_debug_errno(r, "cgroupd: cannot write %s: %m", p);
                if (access(u->dirs[0], F_OK) < 0 && errno == ENOENT)
                        return 0;
                /* No cgroup.kill before Linux 5.14: the loop below. */
        }

        if (!cg_host_has_v2(h)) {
                /* A frozen group cannot fork while it is being signalled. FREEZING is enough:
                 * what forks before it settles is found by the next pass. */
                r = unit_freezer_set(u, "FROZEN");
                if (r >= 0)
                        frozen = true;
                else if (r != -EOPNOTSUPP && r != -ENOENT)
                        log_debug_errno(r, "cgroupd: cannot freeze %s, signalling unfrozen: %m", u->path);
        }

        r = kill_loop(u, sig);

        /* Thawed in any case: a frozen process would not act on the signal. */
        if (frozen)
                (void) unit_freezer_set(u, "THAWED");

        if (r >= 0)
                log_debug("cgroupd: sent signal %d to %d processes of %s", sig, r, u->path);
        return r;
}

int cg_unit_is_empty(struct cg_unit *u) {
        const struct cg_host *h = u->root->host;
        struct cg_pid_set s = {};
        int r;

        if (cg_host_has_v2(h)) {
                _cleanup_free_ char *p = NULL, *events = NULL;
                const char *v;

                r = unit_file(u, 0, "cgroup.events", &p);
                if (r < 0)
                        return r;
                r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &events, NULL);
                if (r == -ENOENT)
                        return 1;
                if (r < 0)
                        return r;

                v = strstr(events, "populated ");
                if (!v || (v != events && v[-1] != '\n'))
                        return -EBADMSG;
                v += STRLEN("populated ");
                return *v == '0' ? 1 : *v == '1' ? 0 : -EBADMSG;
        }

        r = unit_collect(u, &s);
        size_t n = s.n;
        cg_pid_set_done(&s);
        if (r < 0)
                return r;
        return n == 0;
}

int cg_unit_events_fd(struct cg_unit *u, int *ret_wd) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *p = NULL;
        int wd, r;

        if (!cg_host_has_v2(u->root->host))
                return -EOPNOTSUPP;

        r = unit_file(u, 0, "cgroup.events", &p);
        if (r < 0)
                return r;

        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -errno;

        /* cgroupfs signals a change of cgroup.events as IN_MODIFY on the file. */
        wd = inotify_add_watch(fd, p, IN_MODIFY);
        if (wd < 0)
                return log_debug_errno(-errno, "cgroupd: cannot watch %s: %m", p);

        if (ret_wd)
                *ret_wd = wd;
        return TAKE_FD(fd);
}

int cg_unit_events_watch(struct cg_unit *u, int inotify_fd) {
        _cleanup_free_ char *p = NULL;
        int wd, r;

        if (!cg_host_has_v2(u->root->host))
                return -EOPNOTSUPP;
        r = unit_file(u, 0, "cgroup.events", &p);
        if (r < 0)
                return r;
        wd = inotify_add_watch(inotify_fd, p, IN_MODIFY);
        if (wd < 0)
                return log_debug_errno(-errno, "cgroupd: cannot watch %s: %m", p);
        return wd;
}

int cg_unit_destroy(struct cg_unit *u) {
        int ret = 0;

        for (size_t i = 0; u->dirs[i]; i++) {
                int k = cg_rmdir_tree(u->dirs[i]);
                if (k == -ENOENT)
                        continue;
                if (k < 0) {
                        log_debug_errno(k, "cgroupd: cannot remove %s: %m", u->dirs[i]);
                        if (ret == 0)
                                ret = k;
                }
        }
        if (ret == 0)
                log_debug("cgroupd: unit group %s removed", u->path);
        return ret;
}

const char *cg_unit_path(const struct cg_unit *u) {
        return u->path;
}

const char *cg_unit_name(const struct cg_unit *u) {
        return u->name;
}

char *const *cg_unit_dirs(const struct cg_unit *u) {
        return u->dirs;
}

int cg_unit_procs(struct cg_unit *u, pid_t **ret, size_t *ret_n) {
        struct cg_pid_set s = {};
        int r;

        r = unit_collect(u, &s);
        if (r < 0) {
                cg_pid_set_done(&s);
                return r;
        }

        *ret = s.n > 0 ? s.pids : NULL;
        *ret_n = s.n;
        if (s.n == 0)
                free(s.pids);
        return 0;
}
