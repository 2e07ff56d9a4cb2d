/* SPDX-License-Identifier: MIT */
#pragma once

/* The objects behind cgroupd.h and the helpers its files share. Not installed, not included by
 * anything outside cgroupd/. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroupd.h"

#define CG_CONTROLLER_MASK(c) (1U << (c))
#define _CG_HIERARCHY_MAX     (1 + _CG_CONTROLLER_MAX)

struct cg_hierarchy {
        bool v2;
        unsigned controllers; /* CG_CONTROLLER_MASK() bits carried here; 0 for the v2 tree */
        char *mount;          /* mount point, e.g. "/sys/fs/cgroup/memory" */
        char *mount_root;     /* cgroup path shown at the top of that mount: "/" unless bind-mounted */
};

struct cg_host {
        enum cg_layout layout;
        /* The v2 tree first when there is one, then v1 hierarchies in enum cg_controller order.
         * Every per-hierarchy array of a root or unit uses the same index. */
        struct cg_hierarchy hier[_CG_HIERARCHY_MAX];
        size_t n_hier;
        int controller_hier[_CG_CONTROLLER_MAX]; /* index in hier[] of the v1 hierarchy, or -1 */
};

struct cg_root {
        struct cg_host *host;
        char *path;          /* cgroup path in hier[0] */
        char **dirs;         /* absolute directory per hierarchy, NULL-terminated */
        unsigned *n_created; /* path components cg_root_new() made itself, per hierarchy */
};

struct cg_unit {
        struct cg_root *root;
        char *name;    /* as given */
        char *dirname; /* escaped, as in the file system */
        char *path;    /* cgroup path in hier[0] */
        char **dirs;   /* absolute directory per hierarchy, NULL-terminated */
};

static inline bool cg_host_has_v2(const struct cg_host *h) {
        return h->n_hier > 0 && h->hier[0].v2;
}

/* Index of the v1 hierarchy carrying @c, or -1. */
static inline int cg_host_hier_of(const struct cg_host *h, enum cg_controller c) {
        return h->controller_hier[c];
}

/* host.c: the mask of the controllers we use among a comma-separated list ("rw,cpu,cpuacct" as
 * in mountinfo's super options, "cpu,cpuacct" in /proc/self/cgroup); "rw", "name=systemd" and
 * controllers we do not use are ignored. */
unsigned cg_controller_mask_from_list(const char *list);

/* root.c: a new v1 cpuset group starts with empty cpuset.cpus and cpuset.mems, and attaching a
 * process to it fails with ENOSPC until both are set: copy them from the parent when blank. */
int cg_cpuset_inherit(const char *dir);

/* unit.c: the index in u->dirs of the hierarchy that carries @c for the unit: its v1 hierarchy,
 * else the v2 tree (where the controller may still be disabled, which shows as its files missing
 * in the unit's directory), else -EOPNOTSUPP. The freezer and devices never map to the v2 tree
 * (that is cgroup.freeze, core v2, and a BPF program). */
int cg_unit_hier_for(const struct cg_unit *u, enum cg_controller c);

/* limits.c: on v2, enables in @dir's cgroup.subtree_control every controller supd uses that
 * @dir's cgroup.controllers offers, one at a time so that one refusal does not block the
 * others. Failures are logged at debug and otherwise ignored: cg_unit_set_limits() reports a
 * key whose controller files are missing. */
void cg_v2_enable_controllers(const char *dir);

/* util.c */

/* The most a cgroup file read whole may hold: cgroup.procs of a group with every pid of a
 * pid_max of 2^22, seven digits and a newline each, fits. */
#define CG_FILE_MAX (64U * 1024U * 1024U)
/* @dir/@file helpers. A number, or "max" for UINT64_MAX; trailing whitespace allowed. */
int cg_parse_u64(const char *s, uint64_t *ret);
int cg_read_u64(const char *dir, const char *file, uint64_t *ret);
/* The value of the line "KEY N" in a flat keyed file (cpu.stat, memory.events,
 * memory.oom_control); -ENODATA without such a line. */
int cg_read_keyed_u64(const char *dir, const char *file, const char *key, uint64_t *ret);
int cg_write_at(const char *dir, const char *file, const char *value);
bool cg_file_exists(const char *dir, const char *file);

struct cg_pid_set {
        pid_t *pids; /* sorted */
        size_t n, allocated;
};
void cg_pid_set_done(struct cg_pid_set *s);
int cg_pid_set_add(struct cg_pid_set *s, pid_t pid); /* 1 when new, 0 when already there */
bool cg_pid_set_contains(const struct cg_pid_set *s, pid_t pid);

/* Adds every pid in cgroup.procs of @dir and of its sub-groups. A missing @dir adds nothing. */
int cg_collect_pids(const char *dir, struct cg_pid_set *s);
/* rmdir @dir after its sub-groups, deepest first. -ENOENT when @dir is missing. */
int cg_rmdir_tree(const char *dir);
