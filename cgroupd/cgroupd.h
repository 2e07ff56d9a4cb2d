/* SPDX-License-Identifier: MIT */
#pragma once

/* cgroupd/ — one API over cgroup v2, hybrid (v1 controllers + a controller-less v2 tree) and
 * pure v1 hosts: find the hierarchies, make a root for one supd instance and one group per unit
 * in every hierarchy, place processes, signal or kill a whole group, learn when it is empty, and
 * remove it; write a unit's [Resources] to its group, read its accounting and OOM kills, and
 * freeze or thaw it.
 *
 * Ownership: a cg_root borrows its cg_host and a cg_unit borrows its cg_root; free in reverse
 * order. The *_free() functions release memory only, they never touch the cgroup file systems.
 * Nothing here logs above debug, keeps global state, or leaves an fd without O_CLOEXEC.
 *
 * See README.md in this folder for how each operation maps onto the three layouts. */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

enum cg_layout {
        CG_LAYOUT_V2,     /* cgroup2 everywhere, controllers in the v2 tree */
        CG_LAYOUT_HYBRID, /* v1 controllers, plus a v2 tree (no controllers) for placement/kill/events */
        CG_LAYOUT_V1,     /* v1 only */
        _CG_LAYOUT_MAX,
};

/* The controllers supd uses. The names are the v1 ones (blkio is "io" on v2, cpuacct is part of
 * "cpu" on v2, the freezer is the core cgroup.freeze on v2, and v2 has no devices controller: a
 * BPF program attached to the group does that job). */
enum cg_controller {
        CG_CONTROLLER_CPU,
        CG_CONTROLLER_CPUACCT,
        CG_CONTROLLER_CPUSET,
        CG_CONTROLLER_MEMORY,
        CG_CONTROLLER_BLKIO,
        CG_CONTROLLER_PIDS,
        CG_CONTROLLER_FREEZER,
        CG_CONTROLLER_DEVICES,
        _CG_CONTROLLER_MAX,
};

struct cg_host;
struct cg_root;
struct cg_unit;

const char *cg_layout_to_string(enum cg_layout l);
const char *cg_controller_to_string(enum cg_controller c);

/* ---- host ------------------------------------------------------------------------------ */

/**
 * cg_host_detect() - find the cgroup layout of this host from /proc/self/mountinfo
 * @ret: the new host description, owned by the caller (cg_host_free())
 *
 * Records the v2 tree, if one is mounted, and the v1 hierarchy carrying each controller of
 * enum cg_controller. Named v1 hierarchies (name=systemd) and v1 controllers supd does not use
 * are ignored.
 *
 * Returns: 0, -ENOMEDIUM when no cgroup file system is mounted, or another -errno.
 */
int cg_host_detect(struct cg_host **ret);
struct cg_host *cg_host_free(struct cg_host *h);
static inline void cg_host_freep(struct cg_host **h) {
        *h = cg_host_free(*h);
}

enum cg_layout cg_host_layout(const struct cg_host *h);
/* Mount point of the v2 tree, or NULL on a pure v1 host. */
const char *cg_host_v2_mount(const struct cg_host *h);
/* Mount point of the v1 hierarchy carrying @c, or NULL when @c is not on a v1 hierarchy. */
const char *cg_host_v1_mount(const struct cg_host *h, enum cg_controller c);

/* ---- root of one supd instance ----------------------------------------------------------- */

/**
 * cg_root_new() - make (mkdir -p) the cgroup root of one supd instance in every hierarchy
 * @h: the host, which must outlive the root
 * @root: "sup" or "test-1234/sup" relative to supd's own cgroup in each hierarchy (as read
 *        from /proc/self/cgroup), or "/sup", taken from the top of each hierarchy
 * @ret: the new root
 *
 * On v1 cpuset, every new directory gets cpuset.cpus and cpuset.mems from its parent, without
 * which attaching a process fails with ENOSPC.
 *
 * Returns: 0, -EINVAL for a bad @root (empty, "/", "." or ".." components), or -errno.
 */
int cg_root_new(struct cg_host *h, const char *root, struct cg_root **ret);

/**
 * cg_root_resolve() - the cgroup path cg_root_new() would make for @root, making nothing
 * @ret_path: e.g. "/user.slice/…/sup" (free()), in the v2 tree (or first v1 hierarchy), as
 *            cg_root_path() would give it
 *
 * For a caller that must know whose the root is before it touches it (supd claims it first).
 *
 * Returns: 0, -EINVAL for a bad @root, or -errno.
 */
int cg_root_resolve(const struct cg_host *h, const char *root, char **ret_path);
struct cg_root *cg_root_free(struct cg_root *r);
static inline void cg_root_freep(struct cg_root **r) {
        *r = cg_root_free(*r);
}

/**
 * cg_root_remove() - rmdir the root in every hierarchy
 *
 * Also removes the parent directories cg_root_new() created itself ("test-1234" of
 * "test-1234/sup"), as long as they are empty. A missing directory counts as removed.
 *
 * Returns: 0, -EBUSY when a unit group is still in it, or -errno. Tries every hierarchy.
 */
int cg_root_remove(struct cg_root *r);

/**
 * cg_root_list() - names of the unit groups that exist under the root
 * @ret_names: NULL-terminated, sorted vector of unit names (strv_free())
 *
 * Read from the v2 tree, or the first v1 hierarchy. Used at start-up to find what a killed
 * predecessor left behind, so it can be killed and destroyed.
 *
 * Returns: the number of names, or -errno.
 */
int cg_root_list(struct cg_root *r, char ***ret_names);

/* The root's cgroup path in the v2 tree (or first v1 hierarchy), e.g. "/user.slice/…/sup". */
const char *cg_root_path(const struct cg_root *r);
/* Absolute directories of the root, one per hierarchy, v2 first; NULL-terminated. */
char *const *cg_root_dirs(const struct cg_root *r);

/* ---- unit groups --------------------------------------------------------------------------- */

/**
 * cg_unit_new() - make (or reuse) the group of one unit in every hierarchy
 * @r: the root, which must outlive the unit
 * @name: the unit name; names that would clash with cgroup files ("cgroup.*", "memory.*",
 *        "tasks"…) are escaped with a leading "_" the way systemd does it
 *
 * An existing group is reused as it is: whoever wants it empty kills and destroys it first.
 *
 * Returns: 0, -EINVAL for a name with "/" or an empty name, or -errno.
 */
int cg_unit_new(struct cg_root *r, const char *name, struct cg_unit **ret);
struct cg_unit *cg_unit_free(struct cg_unit *u);
static inline void cg_unit_freep(struct cg_unit **u) {
        *u = cg_unit_free(*u);
}

/**
 * cg_unit_clone_fd() - an fd of the unit's v2 directory for clone3(CLONE_INTO_CGROUP)
 *
 * The fd is O_PATH|O_DIRECTORY|O_CLOEXEC and owned by the caller. On a hybrid host the child
 * then still sits in its parent's v1 groups: call cg_unit_attach(u, pid, true) before it runs
 * anything of its own.
 *
 * Returns: the fd, -EOPNOTSUPP on a pure v1 host (use cg_unit_attach(u, pid, false)), or -errno.
 */
int cg_unit_clone_fd(struct cg_unit *u);

/**
 * cg_unit_attach() - move @pid into the unit's group
 * @v2_done: the process was already placed in the v2 tree by CLONE_INTO_CGROUP
 *
 * Writes @pid to cgroup.procs of every v1 hierarchy, and of the v2 tree unless @v2_done.
 *
 * Returns: 0 or -errno (-ESRCH when @pid is gone).
 */
int cg_unit_attach(struct cg_unit *u, pid_t pid, bool v2_done);

/**
 * cg_unit_kill() - send @sig to every process of the unit, sub-groups included
 *
 * SIGKILL where the v2 tree has cgroup.kill: one write, nothing can escape. Otherwise
 * cgroup.procs is read again and again and every new pid signalled, until a pass finds no new
 * pid. On a pure v1 host with the freezer the group is frozen around that loop so that nothing
 * escapes by forking, and it is left thawed (so that the signal takes effect). supd's own pid is
 * never signalled.
 *
 * Returns: the number of processes signalled (for cgroup.kill: that were in the group), or
 * -errno. A group that no longer exists has nothing to signal: 0.
 */
int cg_unit_kill(struct cg_unit *u, int sig);

/**
 * cg_unit_is_empty() - whether no process is left in the unit, sub-groups included
 *
 * v2 and hybrid: "populated 0" in the v2 cgroup.events. v1: no pid in cgroup.procs of any
 * hierarchy. A group that does not exist is empty.
 *
 * Returns: 1 when empty, 0 when not, or -errno.
 */
int cg_unit_is_empty(struct cg_unit *u);

/**
 * cg_unit_events_fd() - an inotify fd that wakes when the unit's cgroup.events changes
 * @ret_wd: the watch descriptor, to match events read from the fd
 *
 * IN_NONBLOCK|IN_CLOEXEC, watching the v2 cgroup.events for IN_MODIFY. It fires on every
 * change ("populated", later "frozen"): call cg_unit_is_empty() to learn which. Owned by the
 * caller.
 *
 * Returns: the fd, -EOPNOTSUPP on a pure v1 host (the caller checks cg_unit_is_empty() after
 * reaping children instead), or -errno.
 */
int cg_unit_events_fd(struct cg_unit *u, int *ret_wd);

/**
 * cg_unit_events_watch() - the same, as a watch added to the caller's inotify fd
 *
 * A supervisor with many units shares one inotify instance (the kernel allows 128 per user):
 * events are matched to units by the returned watch descriptor.
 *
 * Returns: the watch descriptor, -EOPNOTSUPP without a v2 tree, or -errno.
 */
int cg_unit_events_watch(struct cg_unit *u, int inotify_fd);

/**
 * cg_unit_destroy() - remove the unit's group (and any sub-group) in every hierarchy
 *
 * Returns: 0 when gone (a missing group counts as gone), -EBUSY while a process is left (the
 * caller retries once cg_unit_is_empty() says so), or -errno. Tries every hierarchy.
 */
int cg_unit_destroy(struct cg_unit *u);

/* The unit's cgroup path in the v2 tree (or first v1 hierarchy), e.g. "/user.slice/…/sup/web". */
const char *cg_unit_path(const struct cg_unit *u);
/* The unit name as given to cg_unit_new(). */
const char *cg_unit_name(const struct cg_unit *u);
/* Absolute directories of the unit, one per hierarchy, v2 first; NULL-terminated. */
char *const *cg_unit_dirs(const struct cg_unit *u);

/**
 * cg_unit_procs() - the pids in the unit, sub-groups included
 * @ret: sorted array of pids (free()), NULL when @ret_n is 0
 *
 * From the v2 tree, or the union of every v1 hierarchy on a pure v1 host.
 *
 * Returns: 0 or -errno.
 */
int cg_unit_procs(struct cg_unit *u, pid_t **ret, size_t *ret_n);

/* ---- limits, accounting, freezer, OOM ------------------------------------------------------- */

/* The [Resources] of a unit, as units/ parsed them. "Not set" values leave the kernel default (the
 * group is expected to be new: nothing resets a key that was set before). */
struct cg_limits {
        uint64_t memory_max;          /* bytes; UINT64_MAX: not set */
        uint64_t memory_high;         /* bytes; UINT64_MAX: not set */
        unsigned cpu_quota_permyriad; /* 2000 = 20% of one CPU; 0: not set */
        uint32_t cpu_weight;          /* 1-10000; 0: not set */
        const char *allowed_cpus;     /* normalized list "0-1,3"; NULL: not set */
        uint64_t tasks_max;           /* UINT64_MAX: not set */
        uint32_t io_weight;           /* 1-10000; 0: not set */
};

/* Something the host cannot honour exactly, said once per cg_unit_set_limits() call and key to the
 * caller (who logs it). @key as for ret_key below; @message is a full sentence without a final
 * period, naming the key ("MemoryHigh= is a soft limit on cgroup v1 (…): no throttling"). */
typedef void (*cg_warn_t)(void *userdata, const char *key, const char *message);

/**
 * cg_unit_set_limits() - write every set limit to the unit's group, before the child runs
 * @warn: called for a key applied approximately (may be NULL)
 * @ret_key: set on every return: NULL, or the key that failed
 *
 * The mapping to v2 and v1 files is the table in cgroupd/README.md: each key goes to the v1
 * hierarchy of its controller where there is one (hybrid and v1 hosts), to the v2 group otherwise.
 * On v2 the controller must reach the group: cg_root_new() enables what it can in
 * cgroup.subtree_control, and a key whose files the group lacks fails. Keys are applied in the
 * order of struct cg_limits; the first failure stops.
 *
 * Returns: 0; -EOPNOTSUPP when the host cannot honour a key at all (its controller is not mounted,
 * or not enabled for the group on v2); -ENOENT when the group does not exist; or the -errno of a
 * write the kernel refused (-EINVAL for AllowedCPUs= outside the parent's CPUs…). *ret_key names
 * the key in the first and last case: "MemoryMax", "MemoryHigh", "CPUQuota", "CPUWeight",
 * "AllowedCPUs", "TasksMax" or "IOWeight" (a static string, without the "=").
 */
int cg_unit_set_limits(struct cg_unit *u, const struct cg_limits *l, cg_warn_t warn, void *userdata,
                       const char **ret_key);

/* ---- device allowlist ----------------------------------------------------------------------- */

/* Access bits of a device rule; the same values as the kernel's BPF_DEVCG_ACC_*. */
enum {
        CG_DEVICE_MKNOD = 1U << 0,
        CG_DEVICE_READ = 1U << 1,
        CG_DEVICE_WRITE = 1U << 2,
        CG_DEVICE_RWM = CG_DEVICE_READ | CG_DEVICE_WRITE | CG_DEVICE_MKNOD,
};

#define CG_DEVICE_ANY (-1) /* a major or minor of "*" */

/* One allowed device (range), in the terms of the v1 devices.allow: "c 1:3 rwm", "c *:* m". */
struct cg_device_rule {
        char type;       /* 'c' (char) or 'b' (block) */
        int major;       /* 0-4095, or CG_DEVICE_ANY */
        int minor;       /* 0-1048575, or CG_DEVICE_ANY */
        unsigned access; /* CG_DEVICE_* bits, not 0 */
};

/**
 * cg_unit_set_devices() - let the unit's processes open only the default devices, before the child
 * exists
 *
 * Docker's default allowlist (the table in devices.c, drawn in README.md): mknod of any char or
 * block device; read, write and mknod of null, zero, full, random, urandom, tty, console, ptmx and
 * the pty slaves (majors 136-143). Opening any other device node fails with EPERM, whoever made it.
 *
 * Where a v1 devices hierarchy is mounted (v1 and hybrid hosts): "a" to devices.deny, then each
 * rule to devices.allow. Otherwise, on the v2 tree: a BPF_PROG_TYPE_CGROUP_DEVICE program built
 * from the same table, attached with BPF_F_ALLOW_MULTI (what ancestors attached still applies:
 * every program must allow), replacing one attached to this group before. The group keeps the
 * program until it is removed; no fd is kept.
 *
 * Returns: 0; -EOPNOTSUPP when the host has neither (the allowlist cannot be enforced); -ENOENT
 * when the group does not exist; or the -errno of the kernel's refusal (-EPERM without
 * CAP_SYS_ADMIN, or where a parent's devices.list does not allow a rule).
 */
int cg_unit_set_devices(struct cg_unit *u);

/* Accounting; a field the host does not provide is UINT64_MAX. */
struct cg_stats {
        uint64_t cpu_usage_nsec; /* v2 cpu.stat usage_usec × 1000 (core, always there); v1 cpuacct.usage */
        uint64_t memory_current; /* v2 memory.current; v1 memory.usage_in_bytes */
        uint64_t memory_peak;    /* v2 memory.peak (Linux 5.19+); v1 memory.max_usage_in_bytes */
        uint64_t tasks;          /* pids.current: threads, not processes */
        uint64_t oom_kills;      /* cg_unit_oom_kills() */
};

/**
 * cg_unit_stats() - the unit's accounting, each number from the hierarchy carrying its controller
 *
 * The numbers stay readable after the last process exited, until cg_unit_destroy().
 *
 * Returns: 0, -ENOENT when the group does not exist, or -errno.
 */
int cg_unit_stats(struct cg_unit *u, struct cg_stats *ret);

/**
 * cg_unit_freeze() - freeze (true) or thaw (false) every process of the unit
 *
 * v2 and the v2 tree of a hybrid host: cgroup.freeze (Linux 5.2+); otherwise the v1 freezer
 * hierarchy (freezer.state FROZEN/THAWED). Returns once the request is written;
 * cg_unit_is_frozen() tells when the kernel is done (on v2 a change of "frozen" in cgroup.events
 * also wakes cg_unit_events_fd()). A frozen group can still be killed with cg_unit_kill(SIGKILL);
 * other signals wait for the thaw.
 *
 * Returns: 0, -ENOENT when the group does not exist, -EOPNOTSUPP without any freezer, or -errno.
 */
int cg_unit_freeze(struct cg_unit *u, bool freeze);

/* 1 when frozen ("frozen 1" in the v2 cgroup.events; v1 freezer.state FROZEN), 0 when not or not
 * yet (FREEZING), -ENOENT when the group does not exist, -EOPNOTSUPP without a freezer, or -errno. */
int cg_unit_is_frozen(struct cg_unit *u);

/**
 * cg_unit_oom_fd() - an fd that becomes readable when the OOM-kill count of the unit may have
 * changed
 *
 * v2: inotify (IN_MODIFY) on memory.events, which also changes for the "max" and "high" events;
 * v1 (hybrid hosts too): an eventfd registered through cgroup.event_control for
 * memory.oom_control, which also fires once when the group is removed. So: on each wake-up,
 * cg_unit_oom_drain() then compare cg_unit_oom_kills() with the count at start.
 * Non-blocking, CLOEXEC, owned by the caller; closing it unregisters.
 *
 * Returns: the fd, -EOPNOTSUPP without a memory controller for the group, -ENOENT when the group
 * does not exist, or -errno.
 */
int cg_unit_oom_fd(struct cg_unit *u);

/* v2 only: memory.events watched through the caller's inotify fd; returns the watch descriptor,
 * -EOPNOTSUPP when the memory controller is a v1 one (use cg_unit_oom_fd()) or missing. */
int cg_unit_oom_watch(struct cg_unit *u, int inotify_fd);
/* Reads @fd until it would block. @u is unused for now (kept for symmetry). */
void cg_unit_oom_drain(struct cg_unit *u, int fd);

/* The number of OOM kills in the unit so far: v2 memory.events oom_kill (sub-groups included);
 * v1 memory.oom_control oom_kill (Linux 4.13+; this group only), or memory.failcnt (times the limit
 * was hit) where that is missing. -EOPNOTSUPP without a memory controller, -ENOENT when the group
 * does not exist. */
int cg_unit_oom_kills(struct cg_unit *u, uint64_t *ret);
