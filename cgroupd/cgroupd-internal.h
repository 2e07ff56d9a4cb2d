/* SPDX-License-Identifier: MIT */
#pragma once

/* The objects behind cgroupd.h and the helpers its files share. Not installed, not included by
 * anything outside cgroupd/. */

#include <stdbool.h>
#include <stddef.h>
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
        /* Later: the controllers enabled in the v2 tree (cgroup.controllers), for limits. */
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
        /* Later: the OOM kill count seen last (memory.events / memory.oom_control), freeze state. */
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

/* util.c */
int cg_read_file(int dir_fd, const char *path, char **ret);
int cg_write_file(int dir_fd, const char *path, const char *value);
char *cg_path_join(const char *a, const char *b);

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
