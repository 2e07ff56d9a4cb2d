/* SPDX-License-Identifier: MIT */

/* The child side of the launcher: the flow from clone to the execveat() of sup-init. #1 the go,
 * #2 the mounts (launch-mounts.c) or, for an exec into a running unit, its namespaces and root,
 * #8 the hostname, #9 non-dumpable, #10 User= (launch-user.c), #11 ids, capabilities,
 * no_new_privs and seccomp, #12 the fds and the exec. The rules of launch-internal.h hold throughout: no malloc, no stdio,
 * no locks, only _exit().
 *
 * Steps are tagged #N as in enum launch_step and supervisor/README.md. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "launch-internal.h"
#include "macro.h"
#include "seccomp-policy.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT           47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

/* ---- reporting ------------------------------------------------------------------------------- */

_noreturn_ void launch_child_fail(const struct launch_ctx *ctx, enum launch_step step, int index,
                                  int error) {
        struct launch_report m = {
                .step = (int32_t) step,
                .index = index,
                .error = error < 0 ? error : -error,
        };

        if (m.error == 0)
                m.error = -EIO;
        /* One message; if the parent is gone there is nobody to tell. */
        (void) send(ctx->sync_fd, &m, sizeof(m), MSG_NOSIGNAL);
        _exit(127);
}

/* ---- the id syscalls ------------------------------------------------------------------------------ */

/* The raw id syscalls: glibc's wrappers broadcast the change to every thread of the process it
 * thinks it is (__nptl_setxid), which after a raw clone of a threaded supd would wait for threads
 * that do not exist here. The *32 variants on the architectures where the plain ones are 16-bit. */
#ifdef SYS_setresuid32
#define SYS_SETRESUID SYS_setresuid32
#define SYS_SETRESGID SYS_setresgid32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETRESUID SYS_setresuid
#define SYS_SETRESGID SYS_setresgid
#define SYS_SETGROUPS SYS_setgroups
#endif

static int sys_setresuid(uid_t uid) {
        return (int) syscall(SYS_SETRESUID, uid, uid, uid);
}

static int sys_setresgid(gid_t gid) {
        return (int) syscall(SYS_SETRESGID, gid, gid, gid);
}

static int sys_setgroups(size_t n, const gid_t *groups) {
        return (int) syscall(SYS_SETGROUPS, n, groups);
}

/* ---- #1 ------------------------------------------------------------------------------------------ */

static void reset_signals(void) {
        struct sigaction sa = {
                .sa_handler = SIG_DFL,
        };

        /* supd's handlers (and SIG_IGN, which survives exec) are not the payload's business. The mask
         * stays as the parent set it around clone, everything blocked, until the payload execs: a
         * SIGTERM during set-up stays pending and takes effect after execve(). */
        for (int sig = 1; sig < _NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
}

static void step_sync(struct launch_ctx *ctx) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * LAUNCH_INIT_HOLD_N)];
        } cm;
        char go = 0;
        struct iovec iov = { .iov_base = &go, .iov_len = sizeof(go) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        /* #1: wait for the parent: maps written, cgroup placed. EOF: it died, nobody wants us. The go
         * may carry the fds the init is to hold (init/protocol.h). */
        do {
                mh.msg_control = cm.buf;
                mh.msg_controllen = sizeof(cm.buf);
                n = recvmsg(ctx->sync_fd, &mh, MSG_CMSG_CLOEXEC);
        } while (n < 0 && errno == EINTR);
        if (n == 0)
                _exit(127);
        if (n < 0)
                launch_child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, negative_errno());
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
                if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
                    h->cmsg_len == CMSG_LEN(sizeof(int) * LAUNCH_INIT_HOLD_N))
                        memcpy(ctx->hold_fds, CMSG_DATA(h), sizeof(int) * LAUNCH_INIT_HOLD_N);
        if (go != LAUNCH_GO_BYTE || (mh.msg_flags & MSG_CTRUNC))
                launch_child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, -EBADMSG);

        if (ctx->userns && !ctx->r->join) {
                /* Our ids are still the host's (unmapped here): become the namespace's root, so that
                 * what we create (mount points, overlay dirs) has a mapped owner. */
                if (sys_setresgid(ctx->userns_root) < 0 || sys_setresuid(ctx->userns_root) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_USERNS_ROOT, negative_errno());
        }

        /* The cgroup namespace's root is the cgroup we are in when it is made: after the parent's
         * late placement (v1 hierarchies, or no CLONE_INTO_CGROUP), not at clone. */
        if (ctx->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_CGROUPNS, negative_errno());
}

/* ---- #2 (exec into a running unit): its namespaces and root ------------------------------------------- */

static void step_join(const struct launch_ctx *ctx) {
        /* One call, all at once: the user namespace first, so that we are privileged in it for the
         * others (the kernel orders them). pid and time were entered by the parent for our clone. */
        if (ctx->join_flags != 0 && setns(ctx->r->join->pidfd, ctx->join_flags) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_SETNS, negative_errno());

        /* The root the unit's main process sees (after its pivot_root), whatever the mount namespace's
         * own root is. The fd was opened by supd in the host's view, before clone. */
        if (fchdir(ctx->r->join->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                launch_child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_ROOT, negative_errno());

        /* What a start does at #1 in a user namespace: be its root (the ids #11 then sets are the
         * container's; the host's 0 means nothing in there). */
        if ((ctx->c->namespaces & UNIT_NS_USER) && (sys_setresgid(0) < 0 || sys_setresuid(0) < 0))
                launch_child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_SETNS, negative_errno());
}

/* ---- #11: ids, capabilities, no_new_privs, seccomp ------------------------------------------------- */

/* LAUNCH_STEP_SECCOMP: the filter the parent compiled before clone; one syscall, no allocation. */
static void step_seccomp(const struct launch_ctx *ctx) {
        int r = seccomp_policy_install(&ctx->seccomp);

        if (r < 0)
                launch_child_fail(ctx, LAUNCH_STEP_SECCOMP, LAUNCH_SECCOMP_LOAD, r);
}

static void step_security(const struct launch_ctx *ctx, const struct launch_user *u) {
        const struct unit_config *c = ctx->c;
        struct __user_cap_header_struct h = {
                .version = _LINUX_CAPABILITY_VERSION_3,
        };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
        uint64_t keep, have;

        /* The bounding set first, while we still have CAP_SETPCAP. */
        for (int cap = 0; cap <= ctx->cap_last && cap < 64; cap++)
                if (!(c->capabilities & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_BOUNDING,
                                          negative_errno());
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_AMBIENT, negative_errno());

        /* Without no_new_privs the kernel loads a filter only for a caller with CAP_SYS_ADMIN (in
         * its user namespace): we still have it here, before the ids change and capset() trims the
         * effective set (runc's order). Nothing below is on the deny-list. */
        if (!c->no_new_privileges)
                step_seccomp(ctx);

        if (sys_setgroups(u->n_groups, u->n_groups > 0 ? u->groups : NULL) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETGROUPS, negative_errno());
        if (sys_setresgid(u->gid) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETGID, negative_errno());
        /* For a uid other than 0 this clears the permitted and effective sets. */
        if (sys_setresuid(u->uid) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETUID, negative_errno());

        /* Root keeps what the bounding set allows (and what we have: supd's own bounding set may
         * be smaller than Capabilities=all); anyone else gets nothing. The inheritable set stays
         * empty: with it, a later setuid program could pass caps on through file inheritable bits
         * (CVE-2022-24769); for root's exec it makes no difference. */
        if (syscall(SYS_capget, &h, d) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_CAPSET, negative_errno());
        have = (uint64_t) d[0].permitted | (uint64_t) d[1].permitted << 32;
        keep = u->uid == 0 ? c->capabilities & have : 0;
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
                d[i].effective = d[i].permitted = (uint32_t) (keep >> (32 * i));
                d[i].inheritable = 0;
        }
        h = (struct __user_cap_header_struct) { .version = _LINUX_CAPABILITY_VERSION_3 };
        if (syscall(SYS_capset, &h, d) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_CAPSET, negative_errno());

        if (c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_NO_NEW_PRIVS, -1, negative_errno());

        /* With no_new_privs the filter needs no capability and goes last, so that the steps above
         * never depend on what it allows (only step_fds() and the execveat() of sup-init run under
         * it). */
        if (c->no_new_privileges)
                step_seccomp(ctx);
}

/* ---- #12 (exec with a terminal): a pty of the container's own devpts --------------------------------- */

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#define DEVPTS_SUPER_MAGIC 0x1cd1

/* Opened as the unit's user, after #11: the terminal belongs to whoever runs the command. Its master
 * goes to supd (and on to supctl); the terminal becomes stdio and our controlling terminal (we are a
 * session leader since clone, with none yet). */
static void step_pty(struct launch_ctx *ctx) {
        struct launch_report m = { .step = LAUNCH_REPORT_PTY, .index = -1 };
        struct launch_report_msg msg;
        struct cmsghdr *cm;
        struct statfs sf;
        int master, peer, unlock = 0;

        /* The container's devpts instance: /dev/ptmx is a link to it, /dev/pts/ptmx is its node. */
        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (master < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_OPEN, negative_errno());
        if (fstatfs(master, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC)
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_OPEN, -ENOTTY);
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_UNLOCK, negative_errno());
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_PEER, negative_errno());
        if (ioctl(peer, TIOCSCTTY, 0) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_CTTY, negative_errno());

        launch_report_msg_init(&msg, &m);
        cm = CMSG_FIRSTHDR(&msg.mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &master, sizeof(int));
        if (sendmsg(ctx->sync_fd, &msg.mh, MSG_NOSIGNAL) != (ssize_t) sizeof(m))
                launch_child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_SEND, negative_errno());
        (void) close(master);

        ctx->tty_fd = peer;
}

/* ---- #12: fds, exec of sup-init ------------------------------------------------------------------- */

/* stdio to 0..2, the launch socket to LAUNCH_INIT_SYNC_FD and keep_fd to LAUNCH_INIT_KEEP_FD, all
 * surviving exec; everything else (supd's fds, the sources, sup-init's memfd) closes at exec. */
static void step_fds(struct launch_ctx *ctx) {
        const struct launch_request *r = ctx->r;
        int src[LAUNCH_INIT_HOLD_FD + LAUNCH_INIT_HOLD_N] = {
                r->stdin_fd, r->stdout_fd, r->stderr_fd, ctx->sync_fd, r->keep_fd,
                ctx->hold_fds[0], ctx->hold_fds[1], ctx->hold_fds[2],
        };

        if (ctx->tty_fd >= 0)
                src[0] = src[1] = src[2] = ctx->tty_fd;
        /* fds 5..7 only for a start whose init holds them; 4 stays closed without keep_fd. */
        int n = ctx->hold_fds[0] >= 0 ? (int) ELEMENTSOF(src) : r->keep_fd >= 0 ? 5 : 4;
        int init_fd = r->init_fd;

        if (src[0] < 0) {
                /* The container's /dev/null. */
                src[0] = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (src[0] < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_STDIN, negative_errno());
        }

        /* Everything still needed moves above 0..4 first (F_DUPFD_CLOEXEC takes the lowest free fd
         * >= 5), so that dup3() onto 0..4 clobbers nothing. */
        if (init_fd < n) {
                init_fd = fcntl(init_fd, F_DUPFD_CLOEXEC, n);
                if (init_fd < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, negative_errno());
        }
        for (int i = 0; i < n; i++)
                if (src[i] >= 0 && src[i] < n) {
                        src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, n);
                        if (src[i] < 0)
                                launch_child_fail(ctx, LAUNCH_STEP_EXEC, i == 3 ? LAUNCH_EXEC_CLOSE_FDS : i,
                                                  negative_errno());
                }
        ctx->sync_fd = src[3];
        for (int i = 0; i < n; i++) {
                if (src[i] < 0) {
                        (void) close(i); /* keep_fd's place with no keep_fd: stays empty */
                        continue;
                }
                if (dup3(src[i], i, 0) < 0) /* without O_CLOEXEC: survives exec */
                        launch_child_fail(ctx, LAUNCH_STEP_EXEC, i == 3 ? LAUNCH_EXEC_CLOSE_FDS : i,
                                          negative_errno());
                if (i == 3)
                        ctx->sync_fd = LAUNCH_INIT_SYNC_FD;
        }
        ctx->init_fd = init_fd;

        if (close_range((unsigned) n, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                struct rlimit rl;

                if (errno != ENOSYS && errno != EINVAL)
                        launch_child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, negative_errno());
                if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, negative_errno());
                for (rlim_t fd = (rlim_t) n; fd < rl.rlim_cur && fd < INT_MAX; fd++)
                        (void) fcntl((int) fd, F_SETFD, FD_CLOEXEC);
        }

        /* supd raised its own soft limit for its units' fds; a container gets the one supd was
         * started with (a select() user or a close-every-fd loop is not for 524288). */
        if (launch_nofile_soft > 0) {
                struct rlimit rl;

                if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && launch_nofile_soft < rl.rlim_cur) {
                        rl.rlim_cur = (rlim_t) launch_nofile_soft;
                        (void) setrlimit(RLIMIT_NOFILE, &rl);
                }
        }
}

/* The last step: sup-init, from its sealed memfd, as the container's init or to exec Exec= in place
 * (launch-protocol in init/protocol.h). Signals stay blocked: sup-init unblocks them. */
_noreturn_ static void step_exec(const struct launch_ctx *ctx) {
        syscall(SYS_execveat, ctx->init_fd, "", ctx->init_argv, ctx->envp, AT_EMPTY_PATH);
        launch_child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_EXEC, negative_errno());
}

/* ---- the child ---------------------------------------------------------------------------------------- */

_noreturn_ void launch_child_run(struct launch_ctx *ctx) {
        struct launch_user u;

        /* Our copy of the parent's end: closed, so that its close is our EOF. */
        (void) close(ctx->parent_fd);
        reset_signals();
        /* A session of its own: a Ctrl-C at supd's terminal (SIGINT to the foreground process group)
         * is supd's to handle, not every container's. */
        (void) setsid();

        if (ctx->r->join) {
                /* Exec into a running unit: we were cloned into its pid namespace, where its processes
                 * see us: from the start nothing of supd's image may be reachable through /proc. */
                if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_SETUP, negative_errno());

                /* #1 */
                step_sync(ctx);

                /* #2 */
                step_join(ctx);
        } else {
                /* #1 */
                step_sync(ctx);

                /* #2 .. #7 */
                launch_child_mounts(ctx);

                /* #8 */
                if (ctx->utsns && ctx->c->hostname &&
                    sethostname(ctx->c->hostname, strlen(ctx->c->hostname)) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_HOSTNAME, -1, negative_errno());

                /* Until exec we are supd's image inside the container: keep /proc/PID/exe and friends
                 * out of reach (the exec of sup-init ends it; the init makes itself non-dumpable
                 * again). Not earlier: in a user namespace a non-dumpable child could not use its own
                 * /proc/self/fd for the mounts above. */
                if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_SETUP, negative_errno());
        }

        /* #10 */
        launch_child_user(ctx, &u);

        /* #11 */
        step_security(ctx, &u);

        /* #12 */
        if (ctx->r->join && ctx->r->join->tty)
                step_pty(ctx);
        step_fds(ctx);
        step_exec(ctx);
}
