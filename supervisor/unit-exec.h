/* SPDX-License-Identifier: MIT */
#pragma once

/* Exec into a running unit (supctl exec, and later health checks): one command, started by supd
 * through the launcher's own steps (launch_spawn() with a struct launch_join), so it gets exactly
 * what the unit's payload gets: its namespaces, root, cgroup, user, bounding set, no_new_privs,
 * seccomp filter, and sup-init from the sealed memfd as the process that execs it. The command is
 * supd's child: supd reaps it through its pidfd and reports its exact wait status. */

#include <stdbool.h>
#include <sys/types.h>

struct manager;
struct unit;
struct unit_exec;

struct unit_exec_ops {
        /* The command exec'd. @master: the pty master with a terminal (the callee owns it), else
         * -EBADF. */
        void (*started)(struct unit_exec *x, int master, void *userdata);
        /* A set-up step failed before exec (@command: it was the execve() of the command itself;
         * @error: positive errno of the step; @message: "exec nope: No such file or directory").
         * No exited() follows: free the job. */
        void (*failed)(struct unit_exec *x, bool command, int error, const char *message, void *userdata);
        /* The command ended (@code: CLD_EXITED, CLD_KILLED or CLD_DUMPED). Comes after started(). */
        void (*exited)(struct unit_exec *x, int code, int status, void *userdata);
};

/**
 * unit_exec_new() - run @argv in the running unit @u
 * @stdio: stdin, stdout, stderr of the command (borrowed; with @tty they are not used)
 * @env: extra VAR=value for the command's environment (e.g. TERM=), may be NULL
 *
 * Returns 0 with *ret (freed with unit_exec_free(), also from a callback), or -errno with
 * *ret_message: -ESRCH the unit has no running process, -EBUSY it is frozen, -EIO a launch step
 * failed (message names it).
 */
int unit_exec_new(struct unit *u, char *const *argv, char *const *env, bool tty, const int stdio[3],
                  const struct unit_exec_ops *ops, void *userdata, struct unit_exec **ret, char **ret_message);

/* Kills the command if it still runs (SIGKILL), stops watching it. Takes NULL. */
struct unit_exec *unit_exec_free(struct unit_exec *x);

pid_t unit_exec_pid(const struct unit_exec *x);

/* Sends @sig to the command while it runs. -ESRCH once it ended. */
int unit_exec_kill(struct unit_exec *x, int sig);

/* For manager_reap(): when @pid is a running exec's, handles its exit and returns true. */
bool unit_exec_reap(struct manager *m, pid_t pid);
