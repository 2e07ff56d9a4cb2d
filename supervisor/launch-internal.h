/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the two halves of the launcher: launch.c (the parent: preparation, clone, maps, go,
 * outcome, messages) and the child, everything after clone: launch-child.c (the flow, #1 and
 * #8..#12), launch-mounts.c (#2..#7) and launch-user.c (#10). The parent prepares every string,
 * path and array the child needs before clone; the child reads its copy-on-write copy and never
 * allocates.
 *
 * The child's rules: after clone it is a copy of supd, possibly in the middle of its heap
 * operations' bookkeeping: no malloc, no stdio, no locks, no NSS, no exit(). Only syscalls, the
 * context the parent prepared before clone, pure string functions and stack buffers. Every
 * failure is reported to the parent as one {step, index, -errno} message (launch_child_fail()),
 * then _exit(127). */

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "init/protocol.h"
#include "launch.h"
#include "macro.h"

/* The child's failure report, {step, index, -errno}, and the go byte, travel as struct
 * launch_report on the SOCK_SEQPACKET pair (init/protocol.h), which sup-init shares. */

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
        LAUNCH_SYNC_JOIN_PIDNS,  /* parent: setns() to the unit's pid (and time) namespace around clone */
        _LAUNCH_SYNC_MAX,
};

enum {
        /* LAUNCH_STEP_OVERLAY; an index >= 0 names Layers=[index] */
        LAUNCH_OVERLAY_MOUNT = -1,     /* the overlay mount itself */
        LAUNCH_OVERLAY_WORKSPACE = -2, /* the tmpfs on unit_dir holding root/ (and upper/, work/) */
};

enum {
        /* LAUNCH_STEP_DEV: an index into launch_dev_entries[], in its order */
        LAUNCH_DEV_TMPFS,
        LAUNCH_DEV_NULL,
        LAUNCH_DEV_ZERO,
        LAUNCH_DEV_FULL,
        LAUNCH_DEV_RANDOM,
        LAUNCH_DEV_URANDOM,
        LAUNCH_DEV_TTY,
        LAUNCH_DEV_PTS,
        LAUNCH_DEV_PTMX,
        LAUNCH_DEV_SHM,
        LAUNCH_DEV_FD,
        LAUNCH_DEV_STDIN,
        LAUNCH_DEV_STDOUT,
        LAUNCH_DEV_STDERR,
        _LAUNCH_DEV_MAX,
        LAUNCH_DEV_NODE_FIRST = LAUNCH_DEV_NULL, /* the bound nodes: null .. tty */
        LAUNCH_DEV_LINK_FIRST = LAUNCH_DEV_FD,   /* the links: fd stdin stdout stderr */
};
extern const char *const launch_dev_entries[_LAUNCH_DEV_MAX];     /* "/dev", "/dev/null", ... */
extern const char *const launch_dev_link_targets[_LAUNCH_DEV_MAX]; /* symlink target, or NULL */

enum {
        /* LAUNCH_STEP_SECURITY_MOUNTS: an index into launch_security_paths[] (SPEC §7) */
        LAUNCH_SECURITY_MASKED_FIRST = 0,    /* /proc/acpi ... /sys/devices/virtual/powercap: covered */
        LAUNCH_SECURITY_READONLY_FIRST = 12, /* /proc/bus ... /proc/sysrq-trigger: bound read-only */
        LAUNCH_SECURITY_SYS = 17,            /* /sys itself stays (or becomes) read-only */
        _LAUNCH_SECURITY_MAX = 18,
};
extern const char *const launch_security_paths[_LAUNCH_SECURITY_MAX];

enum {
        /* LAUNCH_STEP_JOIN */
        LAUNCH_JOIN_SETNS = 0,
        LAUNCH_JOIN_ROOT = 1,
        _LAUNCH_JOIN_MAX,
};

enum {
        /* LAUNCH_STEP_PTY */
        LAUNCH_PTY_OPEN = 0, /* /dev/pts/ptmx of the container */
        LAUNCH_PTY_UNLOCK,
        LAUNCH_PTY_PEER,
        LAUNCH_PTY_CTTY,
        LAUNCH_PTY_SEND,
        _LAUNCH_PTY_MAX,
};

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
        /* LAUNCH_STEP_SECCOMP */
        LAUNCH_SECCOMP_LOAD = -1,   /* child: loading it */
        LAUNCH_SECCOMP_COMPILE = 0, /* parent, before clone: building it with libseccomp */
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
        int init_fd;   /* sup-init's memfd; the child may move it (#12) */
        int tty_fd;    /* exec with a terminal: the pty's terminal end, stdio of the command (#12) */
        int parent_fd; /* the parent's end: the child closes its copy first thing */
        int hold_fds[LAUNCH_INIT_HOLD_N]; /* came with the go, for the init to hold; -1 when none */

        bool userns, pidns, mntns, utsns;
        int join_flags;        /* join: the CLONE_NEW* the child enters with setns() (not pid, time: the parent's) */
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

        /* #11: Seccomp=, compiled by the parent (seccomp_policy_compile()); len 0: no filter */
        struct sock_fprog seccomp;

        /* #12 */
        char **envp;             /* Environment= + extra_env; entries point into config and request */
        char **init_argv;        /* "sup-init" or "sup-exec", then Exec=; entries point into config */
};

/* One struct launch_report with room for one fd beside it (SCM_RIGHTS), as the child sends the pty
 * master (#12) and the parent reads every report. The msghdr points into the struct itself:
 * initialise it where it lives and never copy it. No allocation: the child uses it too. */
struct launch_report_msg {
        struct iovec iov;
        struct msghdr mh;
        /* Last: struct cmsghdr ends in a flexible array, which clang accepts only at the end. */
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control;
};

static inline void launch_report_msg_init(struct launch_report_msg *msg, struct launch_report *report) {
        *msg = (struct launch_report_msg) {
                .iov = { .iov_base = report, .iov_len = sizeof(*report) },
        };
        msg->mh = (struct msghdr) {
                .msg_iov = &msg->iov,
                .msg_iovlen = 1,
                .msg_control = &msg->control,
                .msg_controllen = sizeof(msg->control),
        };
}

/* ---- the child (the rules above hold for all of it) ------------------------------------------- */

/* The child after clone: runs #1..#12 and never returns (execveat() of sup-init, or _exit()). */
_noreturn_ void launch_child_run(struct launch_ctx *ctx);

/* Reports {step, index, -errno} (-EIO for 0) to the parent, then _exit(127). */
_noreturn_ void launch_child_fail(const struct launch_ctx *ctx, enum launch_step step, int index,
                                  int error);

/* #2..#7: propagation, the new root, /proc /sys /dev, Bind= Tmpfs= DNS=, the SPEC §7 masked and
 * read-only paths, ReadOnly=, pivot_root. Nothing without a mount namespace. Fails through
 * launch_child_fail(). */
void launch_child_mounts(const struct launch_ctx *ctx);

/* #10: who the payload runs as, found by launch_child_user() and applied at #11. */
struct launch_user {
        uid_t uid;
        gid_t gid;
        bool have_gid;  /* from the passwd entry */
        char name[256]; /* the user's name, for supplementary groups; "" if unknown */
        gid_t groups[64];
        size_t n_groups;
};

/* #10: User=/Group= from the container's /etc/passwd and /etc/group into *u, then
 * WorkingDirectory=. Fails through launch_child_fail(). */
void launch_child_user(const struct launch_ctx *ctx, struct launch_user *u);
