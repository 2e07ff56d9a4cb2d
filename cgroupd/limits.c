/* SPDX-License-Identifier: MIT */

/* [Resources] of a unit written to its group: the v2 files where the v2 tree carries the
 * controller, the v1 files where a v1 hierarchy does (hybrid and v1 hosts). The mapping, with
 * what each v1 file gives up, is the table in README.md. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"

#define CPU_PERIOD_USEC    100000U /* cpu.max / cpu.cfs_period_us, as systemd */
#define CPU_QUOTA_MIN_USEC 1000U   /* the kernel refuses a quota below 1 ms */

#define CPU_SHARES_MIN 2U
#define CPU_SHARES_MAX 262144U

#define BLKIO_WEIGHT_MIN 10U /* CFQ's blkio.weight */
#define BLKIO_WEIGHT_MAX 1000U
#define BFQ_WEIGHT_MIN   1U /* blkio.bfq.weight, io.bfq.weight */
#define BFQ_WEIGHT_MAX   1000U

/* The controllers enabled for the unit groups on v2, by their v2 names. */
static const char *const v2_controllers[] = {"cpu", "cpuset", "io", "memory", "pids"};

static bool word_in(const char *list, const char *word) {
        size_t l = strlen(word);

        for (const char *p = list; *p;) {
                size_t n;

                p += strspn(p, " \t\n");
                n = strcspn(p, " \t\n");
                if (n == l && strncmp(p, word, l) == 0)
                        return true;
                p += n;
        }
        return false;
}

void cg_v2_enable_controllers(const char *dir) {
        _cleanup_free_ char *available = NULL, *enabled = NULL, *p = NULL;
        size_t n_available = 0;
        int r;

        p = path_join(dir, "cgroup.controllers");
        if (!p)
                return;
        r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &available, NULL);
        if (r < 0) {
                log_debug_errno(r, "cgroupd: cannot read %s: %m", p);
                return;
        }
        free(p);
        p = path_join(dir, "cgroup.subtree_control");
        if (!p)
                return;
        r = read_full_file_at(AT_FDCWD, p, CG_FILE_MAX, 0, &enabled, NULL);
        if (r < 0) {
                log_debug_errno(r, "cgroupd: cannot read %s: %m", p);
                return;
        }

        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++)
                n_available += word_in(available, v2_controllers[i]);
        if (n_available == 0) { /* a hybrid host's v2 tree, or nothing passed down to @dir */
                log_debug("cgroupd: %s offers none of the controllers for limits", dir);
                return;
        }

        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
                char value[16];

                if (!word_in(available, v2_controllers[i])) {
                        /* Not enabled above @dir (or not in the kernel): not ours to change. */
                        log_debug("cgroupd: the %s controller is not available in %s", v2_controllers[i],
                                  dir);
                        continue;
                }
                if (word_in(enabled, v2_controllers[i]))
                        continue;

                /* One at a time: the kernel refuses a whole write for one controller it cannot
                 * enable (EBUSY while @dir holds processes, "cpu" with realtime tasks…). */
                snprintf(value, sizeof(value), "+%s", v2_controllers[i]);
                r = write_string_file_at(AT_FDCWD, p, value);
                if (r < 0)
                        log_debug_errno(r, "cgroupd: cannot enable the %s controller in %s: %m",
                                        v2_controllers[i], p);
                else
                        log_debug("cgroupd: enabled the %s controller in %s", v2_controllers[i], p);
        }
}

struct limits_ctx {
        struct cg_unit *u;
        cg_warn_t warn;
        void *userdata;
        const char *key;
};

_printf_(2, 3) static void limits_warn(struct limits_ctx *c, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;

        va_start(ap, fmt);
        m = vstrprintf(fmt, ap);
        va_end(ap);

        log_debug("cgroupd: %s: %s", c->u->path, strempty(m));
        if (c->warn && m)
                c->warn(c->userdata, c->key, m);
}

/* The directory of the unit that holds the files of @c (see cg_unit_hier_for()). -EOPNOTSUPP
 * when no hierarchy carries @c, or when the v2 group lacks @probe (controller not enabled in
 * the parent's cgroup.subtree_control, or not in the kernel). */
static int limits_dir(struct limits_ctx *c, enum cg_controller ctrl, const char *probe, const char **ret_dir,
                      bool *ret_v2) {
        const struct cg_host *h = c->u->root->host;
        int i;

        i = cg_unit_hier_for(c->u, ctrl);
        if (i < 0)
                return log_debug_errno(i, "cgroupd: %s= needs the %s controller, which this host lacks",
                                       c->key, cg_controller_to_string(ctrl));

        if (h->hier[i].v2 && !cg_file_exists(c->u->dirs[i], probe)) {
                if (access(c->u->dirs[i], F_OK) < 0)
                        return -errno;
                return log_debug_errno(-EOPNOTSUPP,
                                       "cgroupd: %s= needs %s, which %s lacks (controller not enabled)",
                                       c->key, probe, c->u->dirs[i]);
        }

        *ret_dir = c->u->dirs[i];
        *ret_v2 = h->hier[i].v2;
        return 0;
}

static int limits_write(struct limits_ctx *c, const char *dir, const char *file, const char *value) {
        int r = cg_write_at(dir, file, value);
        if (r < 0)
                return log_debug_errno(r, "cgroupd: %s=: cannot write \"%s\" to %s/%s: %m", c->key, value,
                                       dir, file);
        log_debug("cgroupd: %s=: %s/%s = %s", c->key, dir, file, value);
        return 0;
}

static int limits_write_u64(struct limits_ctx *c, const char *dir, const char *file, uint64_t v) {
        char value[32];

        snprintf(value, sizeof(value), "%" PRIu64, v);
        return limits_write(c, dir, file, value);
}

static int set_memory_max(struct limits_ctx *c, uint64_t bytes) {
        const char *dir;
        uint64_t cur;
        bool v2;
        int r;

        r = limits_dir(c, CG_CONTROLLER_MEMORY, "memory.max", &dir, &v2);
        if (r < 0)
                return r;
        if (v2)
                return limits_write_u64(c, dir, "memory.max", bytes);

        /* v1: memory.memsw.limit_in_bytes (memory + swap, where swap accounting is on) must stay
         * at least memory.limit_in_bytes, or the write fails with EINVAL: raise memsw first and
         * lower it last. Without it swap would dodge the limit. */
        if (!cg_file_exists(dir, "memory.memsw.limit_in_bytes"))
                return limits_write_u64(c, dir, "memory.limit_in_bytes", bytes);

        r = cg_read_u64(dir, "memory.limit_in_bytes", &cur);
        if (r < 0)
                return log_debug_errno(r, "cgroupd: cannot read %s/memory.limit_in_bytes: %m", dir);
        if (bytes >= cur) {
                r = limits_write_u64(c, dir, "memory.memsw.limit_in_bytes", bytes);
                if (r < 0)
                        return r;
                return limits_write_u64(c, dir, "memory.limit_in_bytes", bytes);
        }
        r = limits_write_u64(c, dir, "memory.limit_in_bytes", bytes);
        if (r < 0)
                return r;
        return limits_write_u64(c, dir, "memory.memsw.limit_in_bytes", bytes);
}

static int set_memory_high(struct limits_ctx *c, uint64_t bytes) {
        const char *dir;
        bool v2;
        int r;

        r = limits_dir(c, CG_CONTROLLER_MEMORY, "memory.high", &dir, &v2);
        if (r < 0)
                return r;
        if (v2)
                return limits_write_u64(c, dir, "memory.high", bytes);

        r = limits_write_u64(c, dir, "memory.soft_limit_in_bytes", bytes);
        if (r < 0)
                return r;
        limits_warn(c,
                    "MemoryHigh= is a soft limit on cgroup v1 (memory.soft_limit_in_bytes): no throttling");
        return 0;
}

static int set_cpu_quota(struct limits_ctx *c, unsigned permyriad) {
        uint64_t quota = (uint64_t) permyriad * CPU_PERIOD_USEC / 10000;
        char value[64];
        const char *dir;
        bool v2;
        int r;

        r = limits_dir(c, CG_CONTROLLER_CPU, "cpu.max", &dir, &v2);
        if (r < 0)
                return r;

        if (quota < CPU_QUOTA_MIN_USEC) {
                limits_warn(c,
                            "CPUQuota=%u.%02u%% is below the kernel's minimum of 1 ms per 100 ms: using 1%%",
                            permyriad / 100, permyriad % 100);
                quota = CPU_QUOTA_MIN_USEC;
        }

        if (v2) {
                snprintf(value, sizeof(value), "%" PRIu64 " %u", quota, CPU_PERIOD_USEC);
                return limits_write(c, dir, "cpu.max", value);
        }

        /* The period first: a quota is checked against the period in place. */
        r = limits_write_u64(c, dir, "cpu.cfs_period_us", CPU_PERIOD_USEC);
        if (r < 0)
                return r;
        return limits_write_u64(c, dir, "cpu.cfs_quota_us", quota);
}

static int set_cpu_weight(struct limits_ctx *c, uint32_t weight) {
        const char *dir;
        uint64_t shares;
        bool v2;
        int r;

        r = limits_dir(c, CG_CONTROLLER_CPU, "cpu.weight", &dir, &v2);
        if (r < 0)
                return r;
        if (v2)
                return limits_write_u64(c, dir, "cpu.weight", weight);

        /* systemd's mapping: the default weight 100 is the default 1024 shares. */
        shares = (uint64_t) weight * 1024 / 100;
        shares = shares < CPU_SHARES_MIN   ? CPU_SHARES_MIN
                 : shares > CPU_SHARES_MAX ? CPU_SHARES_MAX
                                           : shares;
        return limits_write_u64(c, dir, "cpu.shares", shares);
}

static int set_allowed_cpus(struct limits_ctx *c, const char *cpus) {
        const char *dir;
        bool v2;
        int r;

        /* v1: cg_unit_new() gave the group its parent's cpuset.mems already. */
        r = limits_dir(c, CG_CONTROLLER_CPUSET, "cpuset.cpus", &dir, &v2);
        if (r < 0)
                return r;
        return limits_write(c, dir, "cpuset.cpus", cpus);
}

static int set_tasks_max(struct limits_ctx *c, uint64_t n) {
        const char *dir;
        bool v2;
        int r;

        r = limits_dir(c, CG_CONTROLLER_PIDS, "pids.max", &dir, &v2);
        if (r < 0)
                return r;
        return limits_write_u64(c, dir, "pids.max", n);
}

/* systemd's mapping onto BFQ's 1..1000, which keeps the default (100 is 100). */
static unsigned io_weight_to_bfq(uint32_t w) {
        if (w <= 100)
                return BFQ_WEIGHT_MIN + (w - 1) * (100 - BFQ_WEIGHT_MIN) / (100 - 1);
        return 100 + (unsigned) ((uint64_t) (w - 100) * (BFQ_WEIGHT_MAX - 100) / (10000 - 100));
}

/* systemd's mapping onto CFQ's blkio.weight 10..1000 (default 500): ×5, clamped. */
static unsigned io_weight_to_blkio(uint32_t w) {
        uint64_t v = (uint64_t) w * 500 / 100;
        return v < BLKIO_WEIGHT_MIN   ? BLKIO_WEIGHT_MIN
               : v > BLKIO_WEIGHT_MAX ? BLKIO_WEIGHT_MAX
                                      : (unsigned) v;
}

static int set_io_weight(struct limits_ctx *c, uint32_t weight) {
        const char *dir;
        char value[32];
        unsigned w;
        bool v2;
        int r;

        /* io.stat (blkio.* on v1) shows that the controller is there; the weight file depends on
         * the I/O schedulers the kernel has. */
        r = limits_dir(c, CG_CONTROLLER_BLKIO, "io.stat", &dir, &v2);
        if (r < 0)
                return r;

        if (v2 && cg_file_exists(dir, "io.weight")) {
                snprintf(value, sizeof(value), "default %" PRIu32, weight);
                return limits_write(c, dir, "io.weight", value);
        }

        if (!v2 && cg_file_exists(dir, "blkio.weight")) {
                w = io_weight_to_blkio(weight);
                r = limits_write_u64(c, dir, "blkio.weight", w);
                if (r < 0)
                        return r;
                limits_warn(c, "IOWeight=%" PRIu32 " is blkio.weight=%u on cgroup v1 (range %u..%u)", weight,
                            w, BLKIO_WEIGHT_MIN, BLKIO_WEIGHT_MAX);
                return 0;
        }

        if (cg_file_exists(dir, v2 ? "io.bfq.weight" : "blkio.bfq.weight")) {
                const char *file = v2 ? "io.bfq.weight" : "blkio.bfq.weight";

                w = io_weight_to_bfq(weight);
                r = limits_write_u64(c, dir, file, w);
                if (r < 0)
                        return r;
                limits_warn(c,
                            "IOWeight=%" PRIu32 " is %s=%u (range %u..%u): only devices using the bfq "
                            "I/O scheduler honour it",
                            weight, file, w, BFQ_WEIGHT_MIN, BFQ_WEIGHT_MAX);
                return 0;
        }

        limits_warn(c, "IOWeight= has no effect: this kernel has no I/O weight file (%s) for %s",
                    v2 ? "io.weight, io.bfq.weight" : "blkio.weight, blkio.bfq.weight", c->u->path);
        return 0;
}

int cg_unit_set_limits(struct cg_unit *u, const struct cg_limits *l, cg_warn_t warn, void *userdata,
                       const char **ret_key) {
        struct limits_ctx c = {
                .u = u,
                .warn = warn,
                .userdata = userdata,
        };
        int r = 0;

        if (ret_key)
                *ret_key = NULL;

        if (access(u->dirs[0], F_OK) < 0)
                return log_debug_errno(-errno, "cgroupd: cannot set limits of %s: %m", u->path);

        if (r >= 0 && l->memory_max != UINT64_MAX) {
                c.key = "MemoryMax";
                r = set_memory_max(&c, l->memory_max);
        }
        if (r >= 0 && l->memory_high != UINT64_MAX) {
                c.key = "MemoryHigh";
                r = set_memory_high(&c, l->memory_high);
        }
        if (r >= 0 && l->cpu_quota_permyriad > 0) {
                c.key = "CPUQuota";
                r = set_cpu_quota(&c, l->cpu_quota_permyriad);
        }
        if (r >= 0 && l->cpu_weight > 0) {
                c.key = "CPUWeight";
                r = set_cpu_weight(&c, l->cpu_weight);
        }
        if (r >= 0 && l->allowed_cpus) {
                c.key = "AllowedCPUs";
                r = set_allowed_cpus(&c, l->allowed_cpus);
        }
        if (r >= 0 && l->tasks_max != UINT64_MAX) {
                c.key = "TasksMax";
                r = set_tasks_max(&c, l->tasks_max);
        }
        if (r >= 0 && l->io_weight > 0) {
                c.key = "IOWeight";
                r = set_io_weight(&c, l->io_weight);
        }

        if (r < 0) {
                if (ret_key)
                        *ret_key = c.key;
                return r;
        }
        return 0;
}
