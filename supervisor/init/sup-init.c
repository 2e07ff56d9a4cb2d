/* SPDX-License-Identifier: MIT */

/* sup-init: the first program every container runs. A small static binary that supd embeds, loads
 * once into a sealed memfd and that the launched child executes by fd (execveat, AT_EMPTY_PATH)
 * once everything else is in place: the container's root, the unit's user, bounding set,
 * no_new_privs and seccomp filter, its stdio. So no process inside a container ever runs a host
 * file of sup's (/proc/self/exe is the sealed memfd: the CVE-2019-5736 class), and the init holds
 * no copy of supd's memory.
 *
 * Two roles, by argv[0] (protocol.h):
 *   sup-exec CMD…  execs CMD in place (Init=no, supctl exec): the process that runs the payload's
 *                  execve() is this memfd, not supd.
 *   sup-init CMD…  stays as the container's init (PID 1, or a child subreaper without a pid
 *                  namespace): forks CMD, forwards every signal it can catch to it, reaps every
 *                  orphan, and when CMD ends reports its exact wait status to supd, then exits
 *                  with it (128+N for signal N, for whoever only sees the exit code).
 *
 * The init keeps only CAP_KILL of the unit's capabilities, and only when the unit has it: to
 * forward a signal to a payload that changed its uids (nginx's master drops to a worker user for
 * its children, not itself, but a payload may). Reaping needs none. It makes itself non-dumpable
 * at once, so that the payload cannot ptrace it or read its memory without CAP_SYS_PTRACE.
 *
 * fds on entry: 0-2 the payload's stdio, LAUNCH_INIT_SYNC_FD the launch socket to supd, and
 * LAUNCH_INIT_KEEP_FD when the request keeps an fd for the payload (it becomes its fd 3).
 * Messages to supd are struct launch_report (protocol.h). No stdio, no allocation: this binary
 * must stay small and do exactly this. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "path-defaults.h"
#include "protocol.h"

static void report(int fd, int32_t step, int32_t index, int32_t error) {
        struct launch_report m = {
                .step = step,
                .index = index,
                .error = error,
        };

        /* One message; if supd is gone there is nobody to tell. */
        (void) send(fd, &m, sizeof(m), MSG_NOSIGNAL);
}

static int errno_or_eio(void) {
        return errno > 0 ? -errno : -EIO;
}

static bool fd_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* As execvp(), with the unit's PATH from our environment (the unit's), EACCES remembered over
 * ENOENT. Returns -errno. */
static int exec_path(char **argv) {
        const char *name = argv[0];
        const char *path = NULL;
        char buf[PATH_MAX];
        bool eacces = false;
        size_t ln;

        if (strchr(name, '/')) {
                execve(name, argv, environ);
                return errno_or_eio();
        }

        for (char **e = environ; e && *e; e++)
                if (strncmp(*e, "PATH=", 5) == 0)
                        path = *e + 5;

        ln = strlen(name);
        for (const char *p = path ?: SUP_DEFAULT_PATH;;) {
                size_t ld = strcspn(p, ":");
                const char *dir = ld > 0 ? p : ".";

                if (ld == 0)
                        ld = 1;
                if (ld + 1 + ln < sizeof(buf)) {
                        memcpy(buf, dir, ld);
                        buf[ld] = '/';
                        memcpy(buf + ld + 1, name, ln + 1);
                        execve(buf, argv, environ);
                        switch (errno) {
                        case EACCES:
                                eacces = true;
                                break;
                        case ENOENT:
                        case ENOTDIR:
                        case ESTALE:
                        case ENODEV:
                        case ETIMEDOUT:
                        case ELOOP:
                        case ENAMETOOLONG:
                                break;
                        default:
                                return errno_or_eio();
                        }
                }

                p += strcspn(p, ":");
                if (!*p)
                        break;
                p++;
        }
        return eacces ? -EACCES : -ENOENT;
}

/* Runs the payload in this process: the fds it gets are exactly 0-2 (and keep_fd as 3). The launch
 * socket stays open, close-on-exec, above them: its close at exec is supd's "exec'd" (without an
 * init), and a failure is reported on it. FAILED_FD, when >= 0, learns of a failure too (one byte). */
_Noreturn static void run_payload(char **argv, int failed_fd) {
        sigset_t none;
        int sync = LAUNCH_INIT_SYNC_FD;
        int r;

        /* Above 0..4, so that moving keep_fd onto 3 clobbers nothing. */
        sync = fcntl(LAUNCH_INIT_SYNC_FD, F_DUPFD_CLOEXEC, LAUNCH_INIT_KEEP_FD + 1);
        if (sync < 0)
                _exit(127);
        (void) close(LAUNCH_INIT_SYNC_FD);
        if (fd_is_open(LAUNCH_INIT_KEEP_FD)) {
                if (dup3(LAUNCH_INIT_KEEP_FD, 3, 0) < 0) {
                        r = errno_or_eio();
                        goto fail;
                }
                (void) close(LAUNCH_INIT_KEEP_FD);
        }

        /* Blocked since supd's clone, so that nothing arrived unhandled during set-up: what is
         * pending now takes effect in the payload. */
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        r = exec_path(argv);
fail:
        report(sync, LAUNCH_REPORT_EXEC, -1, r);
        if (failed_fd >= 0)
                (void) write(failed_fd, "x", 1);
        _exit(127);
}

/* Moves a new fd of ours above the ones with a meaning (LAUNCH_INIT_KEEP_FD may be free). */
static int fd_move_high(int fd) {
        int n;

        if (fd < 0 || fd > LAUNCH_INIT_KEEP_FD)
                return fd;
        n = fcntl(fd, F_DUPFD_CLOEXEC, LAUNCH_INIT_KEEP_FD + 1);
        (void) close(fd);
        return n;
}

/* Keeps CAP_KILL (when the unit has it) and nothing else, in every set. */
static int drop_capabilities(void) {
        struct __user_cap_header_struct h = {
                .version = _LINUX_CAPABILITY_VERSION_3,
        };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
        uint32_t keep;

        if (syscall(SYS_capget, &h, d) < 0)
                return errno_or_eio();
        keep = d[CAP_TO_INDEX(CAP_KILL)].permitted & CAP_TO_MASK(CAP_KILL);
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                d[i].effective = d[i].permitted = d[i].inheritable = 0;
        d[CAP_TO_INDEX(CAP_KILL)].effective = d[CAP_TO_INDEX(CAP_KILL)].permitted = keep;
        h = (struct __user_cap_header_struct) { .version = _LINUX_CAPABILITY_VERSION_3 };
        if (syscall(SYS_capset, &h, d) < 0)
                return errno_or_eio();
        return 0;
}

_Noreturn static void init_fail(int32_t index, int error) {
        report(LAUNCH_INIT_SYNC_FD, LAUNCH_REPORT_INIT, index, error);
        _exit(127);
}

_Noreturn static void run_init(char **argv) {
        sigset_t all;
        int pipefd[2];
        pid_t payload;
        ssize_t n;
        char c;
        int sfd;

        /* Before anything else: nothing in the container may ptrace us or read our memory. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                init_fail(LAUNCH_INIT_SETUP, errno_or_eio());

        /* What we hold for a successor of supd (protocol.h) is never the payload's. */
        for (int fd = LAUNCH_INIT_HOLD_FD; fd < LAUNCH_INIT_HOLD_FD + LAUNCH_INIT_HOLD_N; fd++)
                if (fd_is_open(fd) && fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        init_fail(LAUNCH_INIT_SETUP, errno_or_eio());

        /* Every signal is still blocked (supd blocked them around clone): whatever arrives waits in
         * the signalfd and is forwarded once the payload exists. A pid namespace's init gets only
         * the signals it has a handler for, which is why they must all be caught here. */
        sigfillset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        sfd = fd_move_high(signalfd(-1, &all, SFD_CLOEXEC));
        if (sfd < 0)
                init_fail(LAUNCH_INIT_SETUP, errno_or_eio());

        /* Without a pid namespace we are not PID 1: orphans must still come to us. */
        if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
                init_fail(LAUNCH_INIT_SETUP, errno_or_eio());

        /* The payload's exec is seen as EOF on this pipe (close-on-exec), its failure as a byte. */
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                init_fail(LAUNCH_INIT_SETUP, errno_or_eio());
        pipefd[0] = fd_move_high(pipefd[0]);
        pipefd[1] = fd_move_high(pipefd[1]);
        if (pipefd[0] < 0 || pipefd[1] < 0)
                init_fail(LAUNCH_INIT_SETUP, errno_or_eio());

        payload = fork();
        if (payload < 0)
                init_fail(LAUNCH_INIT_FORK, errno_or_eio());
        if (payload == 0) {
                (void) close(pipefd[0]);
                (void) close(sfd);
                run_payload(argv, pipefd[1]);
        }

        (void) close(pipefd[1]);
        (void) close(LAUNCH_INIT_KEEP_FD);
        /* stdio is the payload's: ours points at the log pipes, which must close when it is gone. */
        for (int fd = 0; fd < 3; fd++)
                (void) close(fd);

        do
                n = read(pipefd[0], &c, 1);
        while (n < 0 && errno == EINTR);
        (void) close(pipefd[0]);
        if (n == 0)
                report(LAUNCH_INIT_SYNC_FD, LAUNCH_REPORT_STARTED, -1, 0);

        /* What the unit's capabilities gave us went on to the payload at its exec; keep only what
         * forwarding needs. A failure leaves us with the unit's own set: not worse than the payload. */
        (void) drop_capabilities();

        for (;;) {
                struct signalfd_siginfo si;

                n = read(sfd, &si, sizeof(si));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof(si))
                        _exit(127);

                if (si.ssi_signo != SIGCHLD) {
                        (void) kill(payload, (int) si.ssi_signo);
                        continue;
                }

                /* SIGCHLD coalesces: reap until nothing is left. */
                for (;;) {
                        siginfo_t w = {};

                        if (waitid(P_ALL, 0, &w, WEXITED | WNOHANG | __WALL) < 0 || w.si_pid == 0)
                                break;
                        if (w.si_pid != payload)
                                continue;
                        report(LAUNCH_INIT_SYNC_FD, LAUNCH_REPORT_EXIT, w.si_code, w.si_status);
                        _exit(w.si_code == CLD_EXITED ? w.si_status & 0xff : 128 + w.si_status);
                }
        }
}

int main(int argc, char **argv) {
        const char *name;

        if (argc < 2 || !fd_is_open(LAUNCH_INIT_SYNC_FD))
                return 127;
        name = strrchr(argv[0], '/');
        name = name ? name + 1 : argv[0];

        if (strcmp(name, LAUNCH_INIT_NAME) == 0)
                run_init(argv + 1);
        run_payload(argv + 1, -EBADF);
}
