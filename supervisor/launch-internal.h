/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the two halves of the launcher: launch.c (the parent: preparation, clone, maps, go,
 * outcome, messages) and launch-child.c (everything after clone in the child). The parent
 * prepares every string, path and array the child needs before clone; the child reads its
 * copy-on-write copy and never allocates. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "launch.h"
#include "macro.h"

/* The child's failure report, the only message child → parent: {step, index, -errno}. The go
 * (parent → child) is one byte. Both travel on a SOCK_SEQPACKET pair, one message each. */
struct launch_report {
        int32_t step;
        int32_t index;
        int32_t error; /* -errno */
};

#define LAUNCH_GO_BYTE 'G'

/* struct launch_error.index for steps that have no Bind=/Tmpfs= to name: which sub-step failed,
 * so that the message is exact. */
enum {
        /* LAUNCH_STEP_SYNC */
        LAUNCH_SYNC_PREPARE = 0, /* parent, before clone */
        LAUNCH_SYNC_CLONE,
        LAUNCH_SYNC_UID_MAP,
        LAUNCH_SYNC_GID_MAP,
        LAUNCH_SYNC_ATTACH,      /* the attach callback, or the fallback write to cgroup.procs */
        LAUNCH_SYNC_GO,          /* parent: sending the go */
        LAUNCH_SYNC_WAIT,        /* child: reading the go; parent: reading the outcome */
        LAUNCH_SYNC_USERNS_ROOT, /* child: becoming root of its user namespace */
        LAUNCH_SYNC_CGROUPNS,    /* child: unshare(CLONE_NEWCGROUP) after a late cgroup placement */
        _LAUNCH_SYNC_MAX,
};

enum {
        /* LAUNCH_STEP_OVERLAY; an index >= 0 names Layers=[index] */
        LAUNCH_OVERLAY_MOUNT = -1,     /* the overlay mount itself */
        LAUNCH_OVERLAY_WORKSPACE = -2, /* the tmpfs on unit_dir holding root/ (and upper/, work/) */
        LAUNCH_OVERLAY_UPPER = -3,     /* parent: mkdir -p OVERLAY_DIR/upper, work */
};

enum {
        /* LAUNCH_STEP_DEV: an index into launch_dev_entries[] */
        LAUNCH_DEV_TMPFS = 0,
        LAUNCH_DEV_NODE_FIRST = 1, /* null zero full random urandom tty */
        LAUNCH_DEV_PTS = 7,
        LAUNCH_DEV_PTMX = 8,
        LAUNCH_DEV_SHM = 9,
        LAUNCH_DEV_LINK_FIRST = 10, /* fd stdin stdout stderr */
        _LAUNCH_DEV_MAX = 14,
};
extern const char *const launch_dev_entries[_LAUNCH_DEV_MAX];     /* "/dev", "/dev/null", ... */
extern const char *const launch_dev_link_targets[_LAUNCH_DEV_MAX]; /* symlink target, or NULL */

enum {
        /* LAUNCH_STEP_USER */
        LAUNCH_USER_USER = 0,  /* User=: ESRCH when not in /etc/passwd */
        LAUNCH_USER_GROUP = 1, /* Group=: ESRCH when not in /etc/group */
};

enum {
        /* LAUNCH_STEP_CAPABILITIES */
        LAUNCH_CAPS_BOUNDING = 0,
        LAUNCH_CAPS_AMBIENT,
        LAUNCH_CAPS_SETGROUPS,
        LAUNCH_CAPS_SETGID,
        LAUNCH_CAPS_SETUID,
        LAUNCH_CAPS_CAPSET,
        _LAUNCH_CAPS_MAX,
};

enum {
        /* LAUNCH_STEP_INIT */
        LAUNCH_INIT_SETUP = 0, /* signalfd, subreaper, non-dumpable */
        LAUNCH_INIT_FORK = 1,
};

enum {
        /* LAUNCH_STEP_EXEC */
        LAUNCH_EXEC_EXECVE = -1,
        LAUNCH_EXEC_STDIN = 0, /* also 1 and 2: stdout, stderr */
        LAUNCH_EXEC_KEEP_FD = 3,
        LAUNCH_EXEC_CLOSE_FDS = 4,
};

/* Everything the child needs, prepared by the parent before clone. */
struct launch_ctx {
        const struct launch_request *r;
        const struct unit_config *c;

        int sync_fd;   /* the child's end; the child may move it (#12) */
        int parent_fd; /* the parent's end: the child closes its copy first thing */

        bool userns, pidns, mntns, utsns;
        bool unshare_cgroupns; /* cgroup placed after clone: the child makes its cgroupns after the go */
        uid_t userns_root;     /* the id the child takes in its user namespace right after the go */
        int cap_last;          /* /proc/sys/kernel/cap_last_cap */

        /* #3: the new root R. NULL: no RootFS=, the host's / stays the root (no pivot). */
        const char *root;
        char *root_alloc;        /* backs root for overlays: UNIT_DIR/root */
        char *upper_dir;         /* ephemeral: UNIT_DIR/upper (child tmpfs); persistent: OVERLAY_DIR/upper */
        char *work_dir;          /* the same with work/ */
        char *overlay_options;   /* NULL: Overlay=none */

        /* #4, #5 */
        char *devpts_options;
        char **tmpfs_options;    /* one per Tmpfs=, "mode=1777[,size=N]" */

        /* #12 */
        char **envp;             /* Environment= + extra_env; entries point into config and request */
        const char *path;        /* PATH= value of envp, used to look up Exec[0] */
};

/* The child after clone: runs #1..#12 and never returns (execve() or _exit()). */
_noreturn_ void launch_child_run(struct launch_ctx *ctx);
