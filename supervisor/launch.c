/* SPDX-License-Identifier: MIT */

/* The parent side of the launcher: prepares everything the child needs (the child may not
 * allocate), clones it with every namespace at once, writes its id maps, has it placed in its
 * cgroup, sends the go, and later turns the child's report (or EOF) into an outcome. The child
 * side is launch-child.c; the protocol is drawn in supervisor/README.md. Steps are tagged #N. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "launch-internal.h"
#include "log.h"
#include "macro.h"
#include "seccomp-policy.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* struct clone_args of <linux/sched.h> up to CLONE_ARGS_SIZE_VER2, without that header (which
 * fights with <sched.h>). */
struct launch_clone_args {
        uint64_t flags;
        uint64_t pidfd;
        uint64_t child_tid;
        uint64_t parent_tid;
        uint64_t exit_signal;
        uint64_t stack;
        uint64_t stack_size;
        uint64_t tls;
        uint64_t set_tid;
        uint64_t set_tid_size;
        uint64_t cgroup;
};
#define LAUNCH_CLONE_ARGS_SIZE_VER0 64 /* before Linux 5.7: no cgroup */

static int launch_fail(struct launch_error *ret_error, enum launch_step step, int index, int r) {
        *ret_error = (struct launch_error) {
                .step = step,
                .index = index,
                .error = -r,
        };
        return r;
}

/* ---- preparation (parent, before clone) ----------------------------------------------------------- */

static void launch_ctx_done(struct launch_ctx *ctx) {
        free(ctx->root_alloc);
        free(ctx->upper_dir);
        free(ctx->work_dir);
        free(ctx->overlay_options);
        free(ctx->devpts_options);
        strv_free(ctx->tmpfs_options);
        free(ctx->envp); /* the entries belong to the config and the request */
        free(ctx->init_argv);
        seccomp_policy_free(&ctx->seccomp);
}

static int read_cap_last(void) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16] = {};
        ssize_t n;
        char *end;
        long v;

        fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
                errno = 0;
                v = strtol(buf, &end, 10);
                if (errno == 0 && end != buf && v >= 0 && v < 64)
                        return (int) v;
        }
        /* Old kernels: what we know of. */
        return capability_last();
}

/* Environment= then extra_env; an extra variable replaces one of the same name. */
static int build_env(const struct unit_config *c, char *const *extra, char ***ret_envp) {
        size_t n = 0;
        char **envp;

        envp = calloc(strv_length(c->environment) + strv_length(extra) + 1, sizeof(char *));
        if (!envp)
                return -ENOMEM;
        STRV_FOREACH(e, c->environment)
                envp[n++] = *e;
        STRV_FOREACH(e, extra) {
                size_t l = strcspn(*e, "=") + 1;
                size_t i;

                for (i = 0; i < n; i++)
                        if (strncmp(envp[i], *e, l) == 0)
                                break;
                envp[i] = *e;
                if (i == n)
                        n++;
        }

        *ret_envp = envp;
        return 0;
}

/* sup-init's argv: its role, then Exec= (sup-init looks Exec[0] up in the unit's PATH). An exec into
 * a running unit never gets an init of its own. */
static int build_init_argv(const struct unit_config *c, bool join, char ***ret) {
        size_t n = strv_length(c->exec);
        char **argv;

        argv = calloc(n + 2, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *) (c->init && !join ? LAUNCH_INIT_NAME : LAUNCH_EXEC_NAME);
        memcpy(argv + 1, c->exec, n * sizeof(char *));
        *ret = argv;
        return 0;
}

/* The legacy mount option parser splits at ',' and overlayfs splits lowerdir at ':'. */
static bool overlay_path_ok(const char *p) {
        return p && !strpbrk(p, ",:\\");
}

static int build_overlay(const struct launch_request *r, struct launch_ctx *ctx) {
        const struct unit_config *c = ctx->c;
        _cleanup_free_ char *lower = NULL;
        const char *base;
        size_t l;
        char *p;

        if (!r->unit_dir || !overlay_path_ok(r->unit_dir) || !overlay_path_ok(c->rootfs))
                return -EINVAL;
        STRV_FOREACH(i, c->layers)
                if (!overlay_path_ok(*i))
                        return -EINVAL;

        if (asprintf(&ctx->root_alloc, "%s/root", r->unit_dir) < 0) {
                ctx->root_alloc = NULL;
                return -ENOMEM;
        }
        ctx->root = ctx->root_alloc;

        /* Ephemeral: in the child's tmpfs on UNIT_DIR (made by the child). Persistent: on the host,
         * made by the caller. */
        base = c->overlay == OVERLAY_EPHEMERAL ? r->unit_dir : r->overlay_dir;
        if (!overlay_path_ok(base))
                return -EINVAL;
        if (asprintf(&ctx->upper_dir, "%s/upper", base) < 0) {
                ctx->upper_dir = NULL;
                return -ENOMEM;
        }
        if (asprintf(&ctx->work_dir, "%s/work", base) < 0) {
                ctx->work_dir = NULL;
                return -ENOMEM;
        }

        /* lowerdir: upper-most first, so RootFS=, then Layers= below it. */
        l = strlen(c->rootfs) + 1;
        STRV_FOREACH(i, c->layers)
                l += strlen(*i) + 1;
        lower = malloc(l);
        if (!lower)
                return -ENOMEM;
        p = stpcpy(lower, c->rootfs);
        STRV_FOREACH(i, c->layers) {
                *p++ = ':';
                p = stpcpy(p, *i);
        }

        if (asprintf(&ctx->overlay_options, "lowerdir=%s,upperdir=%s,workdir=%s%s", lower, ctx->upper_dir,
                     ctx->work_dir, ctx->userns ? ",userxattr" : "") < 0) {
                ctx->overlay_options = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* What every launch needs for #10..#12, a start or an exec: sup-init's argv and the environment. */
static int launch_prepare_exec(const struct launch_request *r, struct launch_ctx *ctx) {
        int k;

        k = build_init_argv(ctx->c, r->join != NULL, &ctx->init_argv);
        if (k < 0)
                return k;
        return build_env(ctx->c, r->extra_env, &ctx->envp);
}

/* Exec into a running unit: nothing is made, the child enters what the unit's main process has. */
static int launch_prepare_join(const struct launch_request *r, struct launch_ctx *ctx) {
        static const struct {
                unsigned ns;
                int flag;
        } table[] = {
                /* pid and time apply to children only: the parent enters them around clone. */
                { UNIT_NS_USER, CLONE_NEWUSER }, { UNIT_NS_MNT, CLONE_NEWNS },   { UNIT_NS_IPC, CLONE_NEWIPC },
                { UNIT_NS_UTS, CLONE_NEWUTS },   { UNIT_NS_NET, CLONE_NEWNET },  { UNIT_NS_CGROUP, CLONE_NEWCGROUP },
        };

        if (r->join->root_fd < 0)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (ctx->c->namespaces & table[i].ns)
                        ctx->join_flags |= table[i].flag;
        return launch_prepare_exec(r, ctx);
}

static int launch_prepare(const struct launch_request *r, struct launch_ctx *ctx) {
        const struct unit_config *c = r->config;
        unsigned ns = c->namespaces;
        int k;

        ctx->r = r;
        ctx->c = c;
        ctx->userns = ns & UNIT_NS_USER;
        ctx->pidns = ns & UNIT_NS_PID;
        ctx->mntns = ns & UNIT_NS_MNT;
        ctx->utsns = ns & UNIT_NS_UTS;
        ctx->cap_last = read_cap_last();

        if (r->join)
                return launch_prepare_join(r, ctx);

        /* The manager resolves UserNamespace= into the map: both or neither. */
        if (ctx->userns != (r->uid_map.count > 0))
                return -EINVAL;
        /* The child's id in its user namespace: 0 when it is mapped, else the lowest mapped one. */
        if (ctx->userns)
                ctx->userns_root = r->uid_map.inside;

        /* units/ rejects these without a mount namespace; never mount on the host's tree. */
        if (!ctx->mntns && (c->rootfs || c->n_binds > 0 || c->n_tmpfs > 0 || c->read_only))
                return -EINVAL;

        if (c->rootfs) {
                if (c->overlay == OVERLAY_NONE)
                        ctx->root = c->rootfs;
                else {
                        k = build_overlay(r, ctx);
                        if (k < 0)
                                return k;
                }

                /* gid=5 (tty) only where group 5 exists: not in a user namespace that lacks it. */
                bool tty_gid =
                        !ctx->userns || (r->uid_map.inside <= 5 && 5 - r->uid_map.inside < r->uid_map.count);
                ctx->devpts_options = strdup(tty_gid ? "newinstance,ptmxmode=0666,mode=620,gid=5"
                                                     : "newinstance,ptmxmode=0666,mode=620");
                if (!ctx->devpts_options)
                        return -ENOMEM;
        }

        ctx->tmpfs_options = calloc(c->n_tmpfs + 1, sizeof(char *));
        if (!ctx->tmpfs_options)
                return -ENOMEM;
        for (size_t i = 0; i < c->n_tmpfs; i++) {
                if (c->tmpfs[i].size > 0)
                        k = asprintf(&ctx->tmpfs_options[i], "mode=1777,size=%" PRIu64, c->tmpfs[i].size);
                else
                        k = asprintf(&ctx->tmpfs_options[i], "mode=1777");
                if (k < 0) {
                        ctx->tmpfs_options[i] = NULL;
                        return -ENOMEM;
                }
        }

        return launch_prepare_exec(r, ctx);
}

/* ---- clone and the parent's steps ------------------------------------------------------------------- */

/* A freshly cloned child: killed and reaped on any early return (crun's pattern). */
struct launch_pid {
        pid_t pid;
        int pidfd;
};

static void launch_pid_kill_and_reap(struct launch_pid *p) {
        siginfo_t si;

        if (p->pidfd < 0)
                return;
        (void) syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
        while (waitid((idtype_t) P_PIDFD, (id_t) p->pidfd, &si, WEXITED) < 0 && errno == EINTR)
                ;
        p->pidfd = safe_close(p->pidfd);
}

static uint64_t clone_ns_flags(const struct launch_ctx *ctx) {
        static const struct {
                unsigned ns;
                uint64_t flag;
        } table[] = {
                { UNIT_NS_PID, CLONE_NEWPID },       { UNIT_NS_MNT, CLONE_NEWNS },
                { UNIT_NS_IPC, CLONE_NEWIPC },       { UNIT_NS_UTS, CLONE_NEWUTS },
                { UNIT_NS_NET, CLONE_NEWNET },       { UNIT_NS_USER, CLONE_NEWUSER },
                { UNIT_NS_CGROUP, CLONE_NEWCGROUP }, { UNIT_NS_TIME, CLONE_NEWTIME },
        };
        uint64_t flags = 0;

        if (ctx->r->join)
                return 0; /* the namespaces exist: the child enters them (#2) */
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (ctx->c->namespaces & table[i].ns)
                        flags |= table[i].flag;
        if (ctx->unshare_cgroupns)
                flags &= ~(uint64_t) CLONE_NEWCGROUP;
        return flags;
}

/* Returns the pid in the parent (0 in the child, which then runs the child side), *ret_placed
 * when CLONE_INTO_CGROUP did the placement. */
static pid_t clone_child(struct launch_ctx *ctx, int cgroup_fd, int *ret_pidfd, bool *ret_placed) {
        struct launch_clone_args args = {
                .pidfd = (uint64_t) (uintptr_t) ret_pidfd,
                .exit_signal = SIGCHLD,
        };
        long pid;

        *ret_placed = false;
        args.flags = clone_ns_flags(ctx) | CLONE_PIDFD;
        if (cgroup_fd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = (uint64_t) cgroup_fd;
        }

        pid = syscall(SYS_clone3, &args, sizeof(args));
        if (pid >= 0) {
                *ret_placed = cgroup_fd >= 0;
                return (pid_t) pid;
        }
        if (errno != E2BIG && errno != ENOSYS)
                return -errno;

        /* Older kernels: placed after clone by the parent, so the cgroup namespace is made by the
         * child after the go, once it is in its cgroup. */
        if (cgroup_fd >= 0 && (ctx->c->namespaces & UNIT_NS_CGROUP))
                ctx->unshare_cgroupns = true;
        args.flags = clone_ns_flags(ctx) | CLONE_PIDFD;
        args.cgroup = 0;

        if (errno == E2BIG) {
                log_debug("clone3() without CLONE_INTO_CGROUP support, placing the child after clone");
                pid = syscall(SYS_clone3, &args, (size_t) LAUNCH_CLONE_ARGS_SIZE_VER0);
        } else {
                /* No clone3() (before Linux 5.3): no time namespace either (its flag is CSIGNAL's). */
                log_debug("no clone3(), falling back to clone()");
                if (args.flags & CLONE_NEWTIME)
                        return -EOPNOTSUPP;
                pid = syscall(SYS_clone, (unsigned long) args.flags | SIGCHLD, NULL, ret_pidfd, NULL, NULL);
        }
        return pid < 0 ? -errno : (pid_t) pid;
}

/* One write: the kernel takes the whole map at once, or nothing. */
static int write_id_map(pid_t pid, const char *file, const struct id_map *m) {
        char path[64], line[64];

        (void) snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, file);
        (void) snprintf(line, sizeof(line), "%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", m->inside, m->outside,
                        m->count);
        return write_string_file_at(AT_FDCWD, path, line);
}

static int place_in_cgroup(int cgroup_fd, pid_t pid) {
        char buf[16];

        (void) snprintf(buf, sizeof(buf), "%d\n", (int) pid);
        return write_string_file_at(cgroup_fd, "cgroup.procs", buf);
}

int launch_clone(const struct launch_request *r, struct launch_child *ret, struct launch_error *ret_error) {
        _cleanup_(launch_ctx_done) struct launch_ctx ctx = {
                .sync_fd = -EBADF,
                .parent_fd = -EBADF,
                .hold_fds = { -EBADF, -EBADF, -EBADF },
                .tty_fd = -EBADF,
        };
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int own_pidns = -EBADF, own_timens = -EBADF;
        int pidfd = -EBADF;
        sigset_t all, saved;
        bool placed;
        pid_t pid;
        int k;

        if (!r || !r->config || !r->config->exec || !r->config->exec[0] || r->stdout_fd < 0 ||
            r->stderr_fd < 0 || r->init_fd < 0 || !ret || !ret_error)
                return -EINVAL;

        k = launch_prepare(r, &ctx);
        if (k < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_PREPARE, k);

        /* #11 is the child's, but libseccomp allocates: the filter is built here, loaded there. */
        k = seccomp_policy_compile(r->config, &ctx.seccomp);
        if (k < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SECCOMP, LAUNCH_SECCOMP_COMPILE, k);

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_PREPARE, -errno);
        ctx.parent_fd = pair[0];
        ctx.sync_fd = pair[1];

        /* Placed in v1 hierarchies after clone: the cgroup namespace must be made after that, by the
         * child. */
        ctx.unshare_cgroupns = !r->join && (r->attach || r->place_after_clone) &&
                               (r->config->namespaces & UNIT_NS_CGROUP);

        /* Exec into a unit with a pid (time) namespace: those apply to children only, so supd enters
         * them for the clone and goes back to its own right after. */
        if (r->join && (r->config->namespaces & (UNIT_NS_PID | UNIT_NS_TIME))) {
                int nsflags = 0;

                own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (own_pidns < 0)
                        return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_JOIN_PIDNS, -errno);
                if (r->config->namespaces & UNIT_NS_PID)
                        nsflags |= CLONE_NEWPID;
                if (r->config->namespaces & UNIT_NS_TIME) {
                        own_timens = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC | O_NOCTTY);
                        if (own_timens < 0)
                                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_JOIN_PIDNS, -errno);
                        nsflags |= CLONE_NEWTIME;
                }
                if (setns(r->join->pidfd, nsflags) < 0)
                        return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_JOIN_PIDNS, -errno);
        }

        /* Every signal blocked across clone: the child must not run supd's handlers before it has
         * reset them, and keeps them blocked until exec (launch-child.c). */
        sigfillset(&all);
        if (sigprocmask(SIG_SETMASK, &all, &saved) < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_CLONE, -errno);
        pid = clone_child(&ctx, r->cgroup_fd, &pidfd, &placed);
        if (pid == 0)
                launch_child_run(&ctx);
        k = pid < 0 ? (int) pid : 0;
        /* Back to supd's own: every later clone and fork of supd must stay out of the unit. */
        if (own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
                log_error_errno(-errno, "Failed to return to supd's pid namespace: %m");
        if (own_timens >= 0 && setns(own_timens, CLONE_NEWTIME) < 0)
                log_error_errno(-errno, "Failed to return to supd's time namespace: %m");
        (void) sigprocmask(SIG_SETMASK, &saved, NULL);
        if (k < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_CLONE, k);

        /* The child has its copy of everything prepared: ours goes with ctx. */
        *ret = (struct launch_child) {
                .pid = pid,
                .pidfd = pidfd,
                .sync_fd = TAKE_FD(pair[0]),
                .placed = placed,
                .hold_fds = { -EBADF, -EBADF, -EBADF },
        };
        if (r->hold && !r->join && r->config->init && r->hold_stdout_fd >= 0 && r->hold_stderr_fd >= 0) {
                ret->hold_fds[0] = ret->sync_fd;
                ret->hold_fds[1] = r->hold_stdout_fd;
                ret->hold_fds[2] = r->hold_stderr_fd;
        }
        return 0;
}

int launch_write_id_maps(const struct launch_child *c, const struct id_map *m) {
        int k;

        k = write_id_map(c->pid, "uid_map", m);
        if (k < 0)
                return k;
        return write_id_map(c->pid, "gid_map", m);
}

int launch_go(struct launch_child *c) {
        const char go = LAUNCH_GO_BYTE;
        int k;

        if (c->hold_fds[0] >= 0) {
                /* The fds the container's init holds for a successor of supd travel with the go. */
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * LAUNCH_INIT_HOLD_N)];
                } cm = {};
                struct iovec iov = { .iov_base = (void *) &go, .iov_len = sizeof(go) };
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cm.buf,
                        .msg_controllen = sizeof(cm.buf),
                };
                struct cmsghdr *h = CMSG_FIRSTHDR(&mh);

                h->cmsg_level = SOL_SOCKET;
                h->cmsg_type = SCM_RIGHTS;
                h->cmsg_len = CMSG_LEN(sizeof(int) * LAUNCH_INIT_HOLD_N);
                memcpy(CMSG_DATA(h), c->hold_fds, sizeof(int) * LAUNCH_INIT_HOLD_N);
                if (sendmsg(c->sync_fd, &mh, MSG_NOSIGNAL) != (ssize_t) sizeof(go))
                        return errno > 0 ? -errno : -EIO;
        } else if (send(c->sync_fd, &go, sizeof(go), MSG_NOSIGNAL) != (ssize_t) sizeof(go))
                return errno > 0 ? -errno : -EIO;

        /* The outcome comes later, from the event loop. */
        k = fcntl(c->sync_fd, F_GETFL);
        if (k < 0 || fcntl(c->sync_fd, F_SETFL, k | O_NONBLOCK) < 0)
                return -errno;
        return 0;
}

void launch_child_abort(struct launch_child *c) {
        struct launch_pid p = { .pid = c->pid, .pidfd = c->pidfd };

        launch_pid_kill_and_reap(&p);
        c->pidfd = -EBADF;
        c->sync_fd = safe_close(c->sync_fd);
}

int launch_spawn(const struct launch_request *r, struct launch_child *ret, struct launch_error *ret_error) {
        struct launch_child c;
        int k;

        k = launch_clone(r, &c, ret_error);
        if (k < 0)
                return k;

        /* #1: the parent's side of the sync step, then the go. */
        if ((r->config->namespaces & UNIT_NS_USER) && !r->join) {
                k = write_id_map(c.pid, "uid_map", &r->uid_map);
                if (k < 0) {
                        launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_UID_MAP, k);
                        goto fail;
                }
                k = write_id_map(c.pid, "gid_map", &r->uid_map);
                if (k < 0) {
                        launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_GID_MAP, k);
                        goto fail;
                }
        }
        if (r->cgroup_fd >= 0 && !c.placed) {
                k = place_in_cgroup(r->cgroup_fd, c.pid);
                if (k < 0) {
                        launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_ATTACH, k);
                        goto fail;
                }
        }
        if (r->attach) {
                k = r->attach(r->attach_userdata, c.pid);
                if (k < 0) {
                        launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_ATTACH, k);
                        goto fail;
                }
        }
        k = launch_go(&c);
        if (k < 0) {
                launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_GO, k);
                goto fail;
        }
        *ret = c;
        return 0;
fail:
        launch_child_abort(&c);
        return k;
}

/* One message of the launch socket: 1 read, 0 nothing yet (EAGAIN), -EPIPE at EOF, -errno. An fd
 * that came with it (only LAUNCH_REPORT_PTY carries one) goes to *ret_fd, or is closed. */
static int read_report(int sync_fd, struct launch_report *ret, int *ret_fd) {
        struct launch_report_msg msg;
        struct cmsghdr *cm;
        int fd = -EBADF;
        ssize_t n;

        launch_report_msg_init(&msg, ret);
        n = recvmsg(sync_fd, &msg.mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        cm = CMSG_FIRSTHDR(&msg.mh);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        if (ret_fd && n == (ssize_t) sizeof(*ret) && ret->step == LAUNCH_REPORT_PTY)
                *ret_fd = fd;
        else
                safe_close(fd);
        if (n == 0)
                return -EPIPE;
        if (n != (ssize_t) sizeof(*ret) || (msg.mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                return -EBADMSG;
        return 1;
}

int launch_finish(int sync_fd, struct launch_error *ret_error) {
        return launch_finish_pty(sync_fd, ret_error, NULL);
}

int launch_finish_pty(int sync_fd, struct launch_error *ret_error, int *io_master) {
        struct launch_report m;
        int fd = -EBADF;
        int k;

        k = read_report(sync_fd, &m, &fd);
        if (k > 0 && m.step == LAUNCH_REPORT_PTY) {
                if (io_master && fd >= 0) {
                        safe_close(*io_master);
                        *io_master = fd;
                } else
                        safe_close(fd);
                k = read_report(sync_fd, &m, NULL);
        }
        if (k == 0)
                return 0;
        if (k == -EPIPE)
                return 1; /* EOF without a report: the last copy of the child's end closed at exec */
        if (k < 0)
                return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, k);

        switch (m.step) {
        case LAUNCH_REPORT_STARTED:
                return 1;
        case LAUNCH_REPORT_EXEC:
                if (m.error >= 0)
                        break;
                return launch_fail(ret_error, LAUNCH_STEP_EXEC, LAUNCH_EXEC_EXECVE, m.error);
        case LAUNCH_REPORT_INIT:
                if (m.error >= 0)
                        break;
                return launch_fail(ret_error, LAUNCH_STEP_INIT, m.index, m.error);
        default:
                if (m.step < 0 || m.step >= _LAUNCH_STEP_MAX || m.error >= 0)
                        break;
                return launch_fail(ret_error, (enum launch_step) m.step, m.index, m.error);
        }
        return launch_fail(ret_error, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, -EBADMSG);
}

int launch_exit_status(int sync_fd, int *ret_code, int *ret_status) {
        struct launch_report m;

        /* Whatever came before (the start, a failure already handled) is skipped. */
        while (read_report(sync_fd, &m, NULL) > 0)
                if (m.step == LAUNCH_REPORT_EXIT &&
                    (m.index == CLD_EXITED || m.index == CLD_KILLED || m.index == CLD_DUMPED)) {
                        *ret_code = m.index;
                        *ret_status = m.error;
                        return 1;
                }
        return 0;
}

/* supervisor/init/sup-init, embedded by init/embed.py */
extern const char sup_init_image[], sup_init_image_end[];

uint64_t launch_nofile_soft;

int launch_init_memfd(void) {
        _cleanup_close_ int fd = -EBADF;
        int k;

        fd = memfd_create("sup-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL) /* before Linux 6.3: no MFD_EXEC, executable anyway */
                fd = memfd_create("sup-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        k = loop_write(fd, sup_init_image, (size_t) (sup_init_image_end - sup_init_image));
        if (k < 0)
                return k;
        /* Readable and executable by every user a unit may run as; writable by nobody, ever. */
        if (fchmod(fd, 0555) < 0)
                return -errno;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return -errno;
        return TAKE_FD(fd);
}
