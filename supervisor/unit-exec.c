/* SPDX-License-Identifier: MIT */

/* Exec into a running unit through the launcher (unit-exec.h). One job per command: a pidfd and the
 * launch socket watched from the loop, like a unit's run, and callbacks to whoever asked (the bus). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroupd.h"
#include "launch.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"
#include "unit-exec.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct unit_exec {
        struct manager *manager;
        struct unit_exec *prev, *next; /* the manager's execs list */
        char *unit;                    /* name, for the log */
        char *argv0;                   /* the command, for messages */
        pid_t pid;
        int pidfd;
        int sync_fd;
        int master; /* the pty's, until started() hands it over */
        ev_io pidfd_watch;
        ev_io sync_watch;
        bool started, exited;
        const struct unit_exec_ops *ops;
        void *userdata;
};

pid_t unit_exec_pid(const struct unit_exec *x) {
        return x->pid;
}

struct unit_exec *unit_exec_free(struct unit_exec *x) {
        struct unit_exec **head;

        if (!x)
                return NULL;
        if (x->pidfd >= 0 && !x->exited)
                (void) syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
        ev_io_stop(x->manager->loop, &x->pidfd_watch);
        ev_io_stop(x->manager->loop, &x->sync_watch);
        safe_close(x->pidfd);
        safe_close(x->sync_fd);
        safe_close(x->master);

        /* Not reaped yet: manager_reap() takes it as any other child from now on. */
        head = &x->manager->execs;
        if (x->prev)
                x->prev->next = x->next;
        else if (*head == x)
                *head = x->next;
        if (x->next)
                x->next->prev = x->prev;
        free(x->unit);
        free(x->argv0);
        return mfree(x);
}

int unit_exec_kill(struct unit_exec *x, int sig) {
        if (x->exited || x->pidfd < 0)
                return -ESRCH;
        if (syscall(SYS_pidfd_send_signal, x->pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

/* The outcome on the launch socket: 1 started (callback made), 0 not yet, -1 failed (callback made:
 * the job may be gone). */
static int exec_outcome(struct unit_exec *x) {
        struct launch_error e;
        int r;

        r = launch_finish_pty(x->sync_fd, &e, &x->master);
        if (r == 0)
                return 0;
        ev_io_stop(x->manager->loop, &x->sync_watch);
        x->sync_fd = safe_close(x->sync_fd);
        if (r < 0) {
                struct unit *u = manager_find_unit(x->manager, x->unit);
                _cleanup_free_ char *msg = NULL;

                if (u && u->config) {
                        /* As at the launch: the unit's configuration with the command as Exec=. */
                        struct unit_config cmd = *u->config;
                        char *argv[] = { x->argv0, NULL };

                        cmd.exec = argv;
                        msg = launch_error_format(&e, &cmd);
                }
                x->ops->failed(x, e.step == LAUNCH_STEP_EXEC && e.index < 0, e.error, msg ? msg : strerror(e.error),
                               x->userdata);
                return -1;
        }
        x->started = true;
        x->ops->started(x, TAKE_FD(x->master), x->userdata);
        return 1;
}

static void exec_sync_cb(struct ev_loop *loop, ev_io *w, int revents) {
        (void) exec_outcome(w->data);
}

static void exec_reap(struct unit_exec *x) {
        siginfo_t si = {};

        if (x->exited || x->pidfd < 0)
                return;
        if (waitid((idtype_t) P_PIDFD, (id_t) x->pidfd, &si, WEXITED | WNOHANG) < 0) {
                if (errno != ECHILD)
                        return;
                /* Reaped by someone else: the status is lost, the command is not. */
                /* Field by field: si_pid and si_status are members of different arms of one union,
                 * which a designated initializer cannot name both of. */
                si = (siginfo_t) {};
                si.si_code = CLD_KILLED;
                si.si_pid = x->pid;
                si.si_status = SIGKILL;
        }
        if (si.si_pid == 0)
                return;
        x->exited = true;
        ev_io_stop(x->manager->loop, &x->pidfd_watch);

        /* The outcome first, even when both arrived in the same loop iteration. */
        if (!x->started) {
                int r = exec_outcome(x);
                if (r < 0)
                        return; /* failed(): the job may be freed already */
                if (r == 0) {
                        /* Died before exec without a word (killed): a set-up failure all the same. */
                        x->ops->failed(x, false, EIO, "the command died before it could be run", x->userdata);
                        return;
                }
        }
        log_debug("%s: exec'd command " PID_FMT " ended (%s %d)", x->unit, x->pid,
                  si.si_code == CLD_EXITED ? "status" : "signal", si.si_status);
        x->ops->exited(x, si.si_code, si.si_status, x->userdata);
}

static void exec_pidfd_cb(struct ev_loop *loop, ev_io *w, int revents) {
        exec_reap(w->data);
}

bool unit_exec_reap(struct manager *m, pid_t pid) {
        for (struct unit_exec *x = m->execs; x; x = x->next)
                if (x->pid == pid && !x->exited) {
                        exec_reap(x);
                        return true;
                }
        return false;
}

/* v1 hierarchies: as for a start, the v2 group was placed by CLONE_INTO_CGROUP or the launcher. */
static int exec_attach_cb(void *userdata, pid_t pid) {
        return cg_unit_attach(userdata, pid, true);
}

int unit_exec_new(struct unit *u, char *const *argv, char *const *env, bool tty, const int stdio[3],
                  const struct unit_exec_ops *ops, void *userdata, struct unit_exec **ret, char **ret_message) {
        struct manager *m = u->manager;
        _cleanup_close_ int root_fd = -EBADF, cgroup_fd = -EBADF;
        _cleanup_free_ struct unit_exec *x = NULL;
        struct unit_config cmd;
        struct launch_join join;
        struct launch_child child;
        struct launch_error le;
        char path[64];
        int r;

        *ret_message = NULL;
        if (!argv || !argv[0])
                return -EINVAL;
        if (!u->config || u->main_pid <= 0 || u->pidfd < 0 || u->main_exited || !u->cgroup ||
            (u->state != UNIT_RUNNING && u->state != UNIT_STARTING))
                return -ESRCH;
        if (cg_unit_is_frozen(u->cgroup) > 0)
                return -EBUSY;

        /* The root the main process sees; it cannot be another process's: the pid stays ours until
         * supd reaps it. */
        (void) snprintf(path, sizeof(path), "/proc/%d/root", (int) u->main_pid);
        root_fd = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY);
        if (root_fd < 0)
                return -errno == -ENOENT ? -ESRCH : -errno;

        r = cg_unit_clone_fd(u->cgroup);
        if (r >= 0)
                cgroup_fd = r;
        else if (r != -EOPNOTSUPP)
                return r;

        /* The unit's own configuration, with the command in place of Exec=: what the payload gets,
         * the command gets. */
        cmd = *u->config;
        cmd.exec = (char **) argv;
        join = (struct launch_join) {
                .pidfd = u->pidfd,
                .root_fd = root_fd,
                .tty = tty,
        };
        struct launch_request req = {
                .config = &cmd,
                .init_fd = m->init_fd,
                .cgroup_fd = cgroup_fd,
                .attach = exec_attach_cb,
                .attach_userdata = u->cgroup,
                .stdin_fd = stdio[0],
                .stdout_fd = stdio[1],
                .stderr_fd = stdio[2],
                .keep_fd = -EBADF,
                .extra_env = env,
                .join = &join,
        };

        r = launch_spawn(&req, &child, &le);
        if (r < 0) {
                *ret_message = launch_error_format(&le, &cmd);
                return r;
        }

        x = calloc(1, sizeof(*x));
        if (x) {
                x->unit = strdup(u->name);
                x->argv0 = strdup(argv[0]);
        }
        if (!x || !x->unit || !x->argv0) {
                /* Reaped by manager_reap() as any child. */
                (void) syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
                safe_close(child.pidfd);
                safe_close(child.sync_fd);
                if (x) {
                        free(x->unit);
                        free(x->argv0);
                }
                return -ENOMEM;
        }
        x->manager = m;
        x->master = -EBADF;
        x->ops = ops;
        x->userdata = userdata;
        x->pid = child.pid;
        x->pidfd = child.pidfd;
        x->sync_fd = child.sync_fd;
        ev_io_init(&x->pidfd_watch, exec_pidfd_cb, x->pidfd, EV_READ);
        ev_io_init(&x->sync_watch, exec_sync_cb, x->sync_fd, EV_READ);
        x->pidfd_watch.data = x->sync_watch.data = x;
        ev_io_start(m->loop, &x->pidfd_watch);
        ev_io_start(m->loop, &x->sync_watch);

        x->next = m->execs;
        if (x->next)
                x->next->prev = x;
        m->execs = x;
        log_debug("%s: exec of %s as pid " PID_FMT, u->name, argv[0], x->pid);

        *ret = TAKE_PTR(x);
        return 0;
}
