/* SPDX-License-Identifier: MIT */
#pragma once

/* The launcher: one clone3() with every namespace of the unit at once, the numbered parent/child
 * protocol over a SEQPACKET socketpair, the child's set-up (mounts, pivot_root, hostname, user,
 * capabilities, exec) and the in-container init. The parent side never blocks on the child for
 * longer than the steps it must do itself (uid/gid maps, v1 cgroup placement): the outcome
 * (exec'd, or {step, errno}) arrives later on the sync fd, which the caller watches from the
 * event loop. See supervisor/README.md for the protocol steps. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/protocol.h"
#include "units.h"

/* Child-side steps, in the order they run. Reported back as {step, index, -errno}. */
enum launch_step {
        LAUNCH_STEP_SYNC,          /* #1 wait for the parent's go (maps written, cgroup placed) */
        LAUNCH_STEP_JOIN,          /* #2 exec into a running unit: setns() to its namespaces, chroot to its root */
        LAUNCH_STEP_PROPAGATION,   /* #2 make / private, recursively */
        LAUNCH_STEP_ROOTFS,        /* #3 the root: bind or overlay, checked to exist ("pivot_root into X") */
        LAUNCH_STEP_OVERLAY,       /* #3 overlay mount (tmpfs upper for ephemeral) */
        LAUNCH_STEP_PROC,          /* #4 a fresh /proc for the pid namespace */
        LAUNCH_STEP_SYS,           /* #4 /sys read-only */
        LAUNCH_STEP_DEV,           /* #4 minimal /dev, pts, shm, links */
        LAUNCH_STEP_BIND,          /* #5 Bind= (index: which) */
        LAUNCH_STEP_TMPFS,         /* #5 Tmpfs= (index: which) */
        LAUNCH_STEP_DNS,           /* #5 /etc/resolv.conf */
        LAUNCH_STEP_SECURITY_MOUNTS, /* #5 masked and read-only kernel paths (SPEC §7; index: which) */
        LAUNCH_STEP_READONLY,      /* #6 ReadOnly=: remount / read-only */
        LAUNCH_STEP_PIVOT,         /* #7 pivot_root and detach the old root ("pivot_root into X") */
        LAUNCH_STEP_HOSTNAME,      /* #8 */
        LAUNCH_STEP_INIT,          /* #12 exec of sup-init; reported by the init: its set-up, the fork of Exec= */
        LAUNCH_STEP_USER,          /* #10 User=/Group= lookup in the container's /etc/passwd, /etc/group */
        LAUNCH_STEP_CHDIR,         /* #10 WorkingDirectory= */
        LAUNCH_STEP_CAPABILITIES,  /* #11 bounding set, then setgroups/setresgid/setresuid */
        LAUNCH_STEP_NO_NEW_PRIVS,  /* #11 */
        LAUNCH_STEP_SECCOMP,       /* #11 the unit's filter, installed last */
        LAUNCH_STEP_PTY,           /* #12 exec with a terminal: a pty of the container's devpts */
        LAUNCH_STEP_EXEC,          /* #12 fds; by sup-init: execve of Exec= resolved in the container's PATH */
        _LAUNCH_STEP_MAX,
};

const char *launch_step_to_string(enum launch_step s);

struct launch_error {
        enum launch_step step;
        int index;  /* which Bind=/Tmpfs=, else -1 */
        int error;  /* positive errno */
};

/**
 * launch_error_format() - the message a user sees after "NAME: setup: ", e.g.
 * "pivot_root into /srv/web: No such file or directory" or "exec /bin/nope: No such file or
 * directory". Returns a new string or NULL on OOM.
 */
char *launch_error_format(const struct launch_error *e, const struct unit_config *c);

/* Exec into a running unit: the same steps as a start from #10 on (user, capabilities,
 * no_new_privs, seccomp, fds, sup-init), after entering the namespaces and the root of the unit's
 * main process instead of making them (#2). */
struct launch_join {
        int pidfd;   /* the unit's main process */
        int root_fd; /* O_PATH of its /proc/PID/root */
        bool tty;    /* stdio is a new pty of the container's devpts; its master comes back through
                      * launch_finish_pty() */
};

struct launch_request {
        const struct unit_config *config;
        int init_fd; /* sup-init in its sealed memfd (launch_init_memfd()); required */

        int cgroup_fd; /* v2 directory for CLONE_INTO_CGROUP, or -EBADF */
        /* Called by the parent after clone and before the child's go, e.g. to place the pid in
         * v1 hierarchies (cg_unit_attach()). May be NULL. Returns 0 or -errno (fails the start). */
        int (*attach)(void *userdata, pid_t pid);
        void *attach_userdata;
        /* launch_clone() callers that place the child in v1 hierarchies themselves, after clone. */
        bool place_after_clone;

        int stdin_fd;  /* or -EBADF: /dev/null inside the container */
        int stdout_fd; /* write ends of the log pipes; required */
        int stderr_fd;

        /* Resolved by the manager: */
        const char *unit_dir;     /* RUNTIME/units/NAME, exists, empty: mount points live here */
        const char *overlay_dir;  /* persistent: STATE/overlay/NAME, with upper/ and work/ owned by the
                                   * child's root (the mapped one in a user namespace) */
        struct id_map uid_map;    /* count 0: no user namespace */
        char *const *extra_env;   /* appended to Environment= (e.g. NOTIFY_SOCKET=); may be NULL */
        int keep_fd;              /* an fd to keep open in the container as is, or -EBADF */
        /* A start with the container init: the read ends of the log pipes, which the init holds
         * with the parent's end of the launch socket for a successor of supd (init/protocol.h,
         * LAUNCH_INIT_HOLD_FD), when @hold is set. Ignored for Init=no and exec. */
        bool hold;
        int hold_stdout_fd;
        int hold_stderr_fd;
        const char *resolv_conf;  /* DNS=: a host file bind-mounted read-only on /etc/resolv.conf */

        /* Exec into a running unit (supctl exec) instead of starting it; NULL for a start. */
        const struct launch_join *join;
};

struct launch_child {
        pid_t pid;   /* as seen from supd */
        int pidfd;   /* CLOEXEC */
        int sync_fd; /* CLOEXEC, watch for readability, then call launch_finish() */
        bool placed; /* CLONE_INTO_CGROUP put it in the v2 group of the request's cgroup_fd */
        /* Sent with the go for the init to hold (not owned): -EBADF when it holds nothing. */
        int hold_fds[LAUNCH_INIT_HOLD_N];
};

/**
 * launch_init_memfd() - sup-init, the program every container starts with, in a sealed memfd
 *
 * supd makes it once and passes it in every struct launch_request: the launched child executes it
 * by fd, so nothing inside a container runs a host file of sup's, and the memfd cannot be written
 * (F_SEAL_WRITE, SHRINK, GROW, SEAL). Returns the fd (O_CLOEXEC) or -errno.
 */
int launch_init_memfd(void);

/* The soft RLIMIT_NOFILE every container (and exec) starts with: the one supd was started with,
 * before it raised its own. 0 (the default): leave it as supd has it. */
extern uint64_t launch_nofile_soft;

/**
 * launch_clone() - prepare and clone the unit's child, which then waits for its go (#1)
 *
 * The first half of launch_spawn(), for a caller that runs the parent's steps between clone and go
 * itself (the start transaction): launch_write_id_maps(), its cgroup placement (v1 hierarchies; the
 * v2 group too when !ret->placed), whatever needs the child's pid, then launch_go(). On a failure
 * in between, launch_child_abort(). Returns 0 with *ret filled, or -errno with *ret_error.
 */
int launch_clone(const struct launch_request *r, struct launch_child *ret, struct launch_error *ret_error);

/* #1, parent: the user namespace's uid_map and gid_map (one range for both). Returns 0 or -errno. */
int launch_write_id_maps(const struct launch_child *c, const struct id_map *m);

/* #1, parent: the go; the sync fd becomes non-blocking for launch_finish(). Returns 0 or -errno. */
int launch_go(struct launch_child *c);

/* Kills and reaps a child that never got its go, closes its fds. */
void launch_child_abort(struct launch_child *c);

/**
 * launch_spawn() - clone the unit's child and run the parent's side of the protocol
 *
 * Returns 0 with *ret filled (the caller owns pidfd and sync_fd), or -errno with *ret_error
 * filled when a parent-side step failed; in that case any child was killed and reaped.
 */
int launch_spawn(const struct launch_request *r, struct launch_child *ret, struct launch_error *ret_error);

/**
 * launch_finish() - read the outcome from the sync fd once it is readable
 *
 * Returns 1 when the payload exec'd (the init said so, or EOF with no report), 0 when nothing
 * conclusive was read yet (EAGAIN), or -errno (the child reported a failure: *ret_error says
 * where; the child exits by itself and is reaped through its pidfd as usual). Keep the fd after 1:
 * the init reports the payload's exit on it (launch_exit_status()).
 */
int launch_finish(int sync_fd, struct launch_error *ret_error);

/**
 * launch_finish_pty() - launch_finish() for an exec with join_tty: also takes the pty's master
 *
 * *io_master is set (O_CLOEXEC) when the child sent it; it comes before the outcome. Left as is
 * otherwise.
 */
int launch_finish_pty(int sync_fd, struct launch_error *ret_error, int *io_master);

/**
 * launch_exit_status() - the payload's exact wait status, as the container's init reported it
 *
 * Call once the main process (the init) is gone. Returns 1 with *ret_code (CLD_EXITED, CLD_KILLED,
 * CLD_DUMPED) and *ret_status filled, or 0 when there is no report (no init, or it was killed).
 */
int launch_exit_status(int sync_fd, int *ret_code, int *ret_status);
