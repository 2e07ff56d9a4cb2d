/* SPDX-License-Identifier: MIT */

/* The child side of the launcher: everything that runs between clone and execve(), and the
 * container's init.
 *
 * Rules for this file: after clone we are a copy of supd, possibly in the middle of its heap
 * operations' bookkeeping: no malloc, no stdio, no locks, no NSS, no exit(). Only syscalls, the
 * context the parent prepared before clone, pure string functions and stack buffers. Every
 * failure is reported to the parent as one {step, index, -errno} message, then _exit(127).
 *
 * Steps are tagged #N as in enum launch_step and supervisor/README.md. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
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
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Room for "/proc/self/fd/" and an int. */
#define FD_PATH_MAX (STRLEN("/proc/self/fd/") + 12)

/* ---- reporting ------------------------------------------------------------------------------- */

_noreturn_ static void child_fail(const struct launch_ctx *ctx, enum launch_step step, int index,
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

/* -errno of the last failed syscall. */
static int child_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* ---- small helpers: no allocation -------------------------------------------------------------- */

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

static void fd_path(int fd, char buf[static FD_PATH_MAX]) {
        static const char prefix[] = "/proc/self/fd/";
        char digits[12];
        size_t n = 0;
        char *p;

        memcpy(buf, prefix, sizeof(prefix) - 1);
        p = buf + sizeof(prefix) - 1;
        do {
                digits[n++] = (char) ('0' + fd % 10);
                fd /= 10;
        } while (fd > 0 && n < sizeof(digits));
        while (n > 0)
                *p++ = digits[--n];
        *p = '\0';
}

/* Opens PATH (absolute) as O_PATH below ROOTFD, resolving ".." and symlinks as if ROOTFD were "/":
 * an image's absolute symlink (/var/run -> /run) stays inside the image, and a hostile one cannot
 * make us mount over a host path. Mounts are followed, so the fd names the top-most mount. */
static int openat_in_root(int rootfd, const char *path, int flags) {
        struct open_how how = {
                .flags = (uint64_t) (O_PATH | O_CLOEXEC | flags),
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS) {
                /* Before Linux 5.6: plain resolution, relative to the root's fd. */
                while (*path == '/')
                        path++;
                fd = openat(rootfd, *path ? path : ".", O_PATH | O_CLOEXEC | flags);
        }
        return fd < 0 ? child_errno() : fd;
}

enum {
        ROOT_OPEN_EXISTING = 0,
        ROOT_OPEN_DIRECTORY = S_IFDIR, /* create missing components as directories */
        ROOT_OPEN_FILE = S_IFREG, /* ... and the last one as an empty file */
};

/* openat_in_root(), creating what is missing (mkdir -p, or an empty file as the last component
 * for a file bind mount). Each missing component is made with mkdirat() in its parent's fd, which
 * was itself resolved in the root, so nothing is created outside it. Returns an O_PATH fd. */
static int root_open(int rootfd, const char *path, int create) {
        char buf[PATH_MAX];
        int dir = -EBADF, fd;
        size_t l;

        fd = openat_in_root(rootfd, path, 0);
        if (fd != -ENOENT || create == ROOT_OPEN_EXISTING)
                return fd;

        l = strlen(path);
        if (l >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, l + 1);

        dir = openat_in_root(rootfd, "/", O_DIRECTORY);
        if (dir < 0)
                return dir;

        for (char *s = buf + strspn(buf, "/"); *s;) {
                char *e = s + strcspn(s, "/");
                char *next = e + strspn(e, "/");
                bool last = *next == '\0';
                char saved = *e;

                *e = '\0';
                fd = openat_in_root(rootfd, buf, 0);
                if (fd == -ENOENT) {
                        int r;

                        if (last && create == ROOT_OPEN_FILE) {
                                r = openat(dir, s,
                                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                                           0644);
                                if (r >= 0)
                                        r = close(r);
                        } else
                                r = mkdirat(dir, s, 0755);
                        if (r < 0 && errno != EEXIST) {
                                r = child_errno();
                                dir = safe_close(dir);
                                return r;
                        }
                        fd = openat_in_root(rootfd, buf, 0);
                }
                *e = saved;
                dir = safe_close(dir);
                if (fd < 0)
                        return fd;
                if (last)
                        return fd;
                dir = fd;
                s = next;
        }

        /* "/" itself. */
        return dir;
}

/* mount(2) with an O_PATH fd as the target, through its /proc/self/fd link (host /proc: we have
 * not pivoted yet). */
static int mount_fd(const char *source, int fd, const char *fstype, unsigned long flags, const char *data) {
        char p[FD_PATH_MAX];

        fd_path(fd, p);
        return mount(source, p, fstype, flags, data) < 0 ? child_errno() : 0;
}

/* The mount flags a bind remount must repeat. In a user namespace the kernel locks nosuid, nodev,
 * noexec and the atime flags of mounts inherited from the host: a remount that drops one fails
 * with EPERM. */
static unsigned long ms_flags_from_statfs(unsigned long f) {
        unsigned long ms = 0;

        if (f & ST_NOSUID)
                ms |= MS_NOSUID;
        if (f & ST_NODEV)
                ms |= MS_NODEV;
        if (f & ST_NOEXEC)
                ms |= MS_NOEXEC;
        if (f & ST_SYNCHRONOUS)
                ms |= MS_SYNCHRONOUS;
        if (f & ST_MANDLOCK)
                ms |= MS_MANDLOCK;
        if (f & ST_NOATIME)
                ms |= MS_NOATIME;
        if (f & ST_NODIRATIME)
                ms |= MS_NODIRATIME;
        if (f & ST_RELATIME)
                ms |= MS_RELATIME;
        else if (!(f & ST_NOATIME))
                ms |= MS_STRICTATIME; /* else the remount would default to relatime */
        if (f & ST_NOSYMFOLLOW)
                ms |= MS_NOSYMFOLLOW;
        return ms;
}

/* Makes the mount whose root FD is read-only (that mount only, not its submounts). */
static int remount_ro_fd(int fd) {
        struct statfs sf;

        if (fstatfs(fd, &sf) < 0)
                return child_errno();
        return mount_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | ms_flags_from_statfs(sf.f_flags),
                        NULL);
}

static bool str_to_u32(const char *s, size_t n, uint32_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 10)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v >= UINT32_MAX) /* (uid_t) -1 is not an id */
                return false;
        *ret = (uint32_t) v;
        return true;
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
        char go = 0;
        ssize_t n;

        /* #1: wait for the parent: maps written, cgroup placed. EOF: it died, nobody wants us. */
        do
                n = recv(ctx->sync_fd, &go, sizeof(go), 0);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                _exit(127);
        if (n < 0)
                child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, child_errno());
        if (go != LAUNCH_GO_BYTE)
                child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_WAIT, -EBADMSG);

        if (ctx->userns && !ctx->r->join) {
                /* Our ids are still the host's (unmapped here): become the namespace's root, so that
                 * what we create (mount points, overlay dirs) has a mapped owner. */
                if (sys_setresgid(ctx->userns_root) < 0 || sys_setresuid(ctx->userns_root) < 0)
                        child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_USERNS_ROOT, child_errno());
        }

        /* The cgroup namespace's root is the cgroup we are in when it is made: after the parent's
         * late placement (v1 hierarchies, or no CLONE_INTO_CGROUP), not at clone. */
        if (ctx->unshare_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
                child_fail(ctx, LAUNCH_STEP_SYNC, LAUNCH_SYNC_CGROUPNS, child_errno());
}

/* ---- #2..#7: the file system ---------------------------------------------------------------------- */

/* #3. Returns an O_PATH fd of the new root R (or of the host's / without RootFS=). */
static int step_rootfs(const struct launch_ctx *ctx) {
        const struct unit_config *c = ctx->c;
        struct stat st;
        int fd;

        if (!ctx->root) {
                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, child_errno());
                return fd;
        }

        if (stat(c->rootfs, &st) < 0)
                child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, child_errno());
        if (!S_ISDIR(st.st_mode))
                child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, -ENOTDIR);

        if (!ctx->overlay_options) {
                /* Overlay=none: R is RootFS itself, made a mount point for pivot_root(). */
                if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                        child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, child_errno());
        } else {
                size_t i = 0;

                STRV_FOREACH(l, c->layers) {
                        if (stat(*l, &st) < 0)
                                child_fail(ctx, LAUNCH_STEP_OVERLAY, (int) i, child_errno());
                        if (!S_ISDIR(st.st_mode))
                                child_fail(ctx, LAUNCH_STEP_OVERLAY, (int) i, -ENOTDIR);
                        i++;
                }

                /* A tmpfs on UNIT_DIR, private to our mount namespace, holds the mount point root/
                 * (and, for ephemeral, the upper and work dirs): nothing is written on the host,
                 * and the ephemeral upper vanishes with the namespace. */
                if (mount("tmpfs", ctx->r->unit_dir, "tmpfs", 0, "mode=0755") < 0)
                        child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE, child_errno());
                if (mkdir(ctx->root, 0755) < 0)
                        child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE, child_errno());
                if (c->overlay == OVERLAY_EPHEMERAL &&
                    (mkdir(ctx->upper_dir, 0755) < 0 || mkdir(ctx->work_dir, 0755) < 0))
                        child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE, child_errno());

                if (mount("overlay", ctx->root, "overlay", 0, ctx->overlay_options) < 0)
                        child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_MOUNT, child_errno());
        }

        /* Opened after the mount: the fd names the new mount's root, not what it covers. */
        fd = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, child_errno());
        return fd;
}

/* #4 /proc */
static void step_proc(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = root_open(rootfd, "/proc", ROOT_OPEN_DIRECTORY);
        if (fd < 0)
                child_fail(ctx, LAUNCH_STEP_PROC, -1, fd);
        if (ctx->pidns)
                r = mount_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        else
                r = mount_fd("/proc", fd, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0)
                child_fail(ctx, LAUNCH_STEP_PROC, -1, r);
}

/* #4 /sys, read-only */
static void step_sys(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int fd = -EBADF, top = -EBADF;
        int r;

        fd = root_open(rootfd, "/sys", ROOT_OPEN_DIRECTORY);
        if (fd < 0)
                child_fail(ctx, LAUNCH_STEP_SYS, -1, fd);
        r = mount_fd("sysfs", fd, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        if (r == -EPERM) {
                /* A user namespace without its own network namespace may not mount sysfs: show the
                 * host's, read-only. */
                r = mount_fd("/sys", fd, NULL, MS_BIND | MS_REC, NULL);
                if (r >= 0) {
                        top = root_open(rootfd, "/sys", ROOT_OPEN_EXISTING);
                        r = top < 0 ? top : remount_ro_fd(top);
                }
        }
        if (r < 0)
                child_fail(ctx, LAUNCH_STEP_SYS, -1, r);
}

const char *const launch_dev_entries[_LAUNCH_DEV_MAX] = {
        "/dev",     "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
        "/dev/pts", "/dev/ptmx", "/dev/shm",  "/dev/fd",   "/dev/stdin",  "/dev/stdout",  "/dev/stderr",
};

const char *const launch_dev_link_targets[_LAUNCH_DEV_MAX] = {
        [LAUNCH_DEV_PTMX] = "pts/ptmx",
        [LAUNCH_DEV_LINK_FIRST + 0] = "/proc/self/fd",
        [LAUNCH_DEV_LINK_FIRST + 1] = "/proc/self/fd/0",
        [LAUNCH_DEV_LINK_FIRST + 2] = "/proc/self/fd/1",
        [LAUNCH_DEV_LINK_FIRST + 3] = "/proc/self/fd/2",
};

/* #4 a minimal /dev: a tmpfs with bind-mounted nodes (mknod does not work in a user namespace,
 * binds do), a private devpts, shm and the usual links. */
static void step_dev(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int devfd = -EBADF;
        int r;

        {
                _cleanup_close_ int fd = root_open(rootfd, "/dev", ROOT_OPEN_DIRECTORY);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, fd);
                r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, r);
        }
        /* Now the tmpfs: everything below is ours, made in it by name. */
        devfd = root_open(rootfd, "/dev", ROOT_OPEN_EXISTING);
        if (devfd < 0)
                child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, devfd);

        for (int i = LAUNCH_DEV_NODE_FIRST; i < LAUNCH_DEV_PTS; i++) {
                const char *host = launch_dev_entries[i];
                _cleanup_close_ int fd = -EBADF;

                r = openat(devfd, host + STRLEN("/dev/"),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, i, child_errno());
                (void) close(r);
                fd = root_open(rootfd, host, ROOT_OPEN_EXISTING);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, i, fd);
                r = mount_fd(host, fd, NULL, MS_BIND, NULL);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, i, r);
        }

        {
                _cleanup_close_ int fd = -EBADF;

                if (mkdirat(devfd, "pts", 0755) < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_PTS, child_errno());
                fd = root_open(rootfd, "/dev/pts", ROOT_OPEN_EXISTING);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_PTS, fd);
                r = mount_fd("devpts", fd, "devpts", MS_NOSUID | MS_NOEXEC, ctx->devpts_options);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_PTS, r);
        }

        {
                _cleanup_close_ int fd = -EBADF;

                if (mkdirat(devfd, "shm", 0755) < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_SHM, child_errno());
                fd = root_open(rootfd, "/dev/shm", ROOT_OPEN_EXISTING);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_SHM, fd);
                r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_SHM, r);
        }

        for (int i = 0; i < _LAUNCH_DEV_MAX; i++)
                if (launch_dev_link_targets[i] && symlinkat(launch_dev_link_targets[i], devfd,
                                                            launch_dev_entries[i] + STRLEN("/dev/")) < 0)
                        child_fail(ctx, LAUNCH_STEP_DEV, i, child_errno());
}

/* #5 Bind= */
static void step_binds(const struct launch_ctx *ctx, int rootfd) {
        const struct unit_config *c = ctx->c;

        for (size_t i = 0; i < c->n_binds; i++) {
                const struct bind_mount *b = &c->binds[i];
                _cleanup_close_ int fd = -EBADF, top = -EBADF;
                struct stat st;
                int r;

                /* The source is a host path: resolved before pivot_root, in supd's view. */
                if (stat(b->source, &st) < 0)
                        child_fail(ctx, LAUNCH_STEP_BIND, (int) i, child_errno());

                fd = root_open(rootfd, b->target,
                               S_ISDIR(st.st_mode) ? ROOT_OPEN_DIRECTORY : ROOT_OPEN_FILE);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_BIND, (int) i, fd);
                r = mount_fd(b->source, fd, NULL, MS_BIND | MS_REC, NULL);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_BIND, (int) i, r);

                if (b->read_only) {
                        /* fd still names what the bind covers: reopen to get the bind's root. */
                        top = root_open(rootfd, b->target, ROOT_OPEN_EXISTING);
                        r = top < 0 ? top : remount_ro_fd(top);
                        if (r < 0)
                                child_fail(ctx, LAUNCH_STEP_BIND, (int) i, r);
                }
        }
}

/* #5 Tmpfs= */
static void step_tmpfs(const struct launch_ctx *ctx, int rootfd) {
        const struct unit_config *c = ctx->c;

        for (size_t i = 0; i < c->n_tmpfs; i++) {
                _cleanup_close_ int fd = -EBADF;
                int r;

                fd = root_open(rootfd, c->tmpfs[i].path, ROOT_OPEN_DIRECTORY);
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_TMPFS, (int) i, fd);
                r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, ctx->tmpfs_options[i]);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_TMPFS, (int) i, r);
        }
}

/* #5 DNS=: the file supd wrote, read-only on /etc/resolv.conf (also over a read-only root, since a
 * bind mount needs only the mount point) */
static void step_dns(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int fd = -EBADF, top = -EBADF;
        int r;

        if (!ctx->r->resolv_conf)
                return;
        fd = root_open(rootfd, "/etc/resolv.conf", ROOT_OPEN_FILE);
        if (fd < 0)
                child_fail(ctx, LAUNCH_STEP_DNS, -1, fd);
        r = mount_fd(ctx->r->resolv_conf, fd, NULL, MS_BIND, NULL);
        if (r < 0)
                child_fail(ctx, LAUNCH_STEP_DNS, -1, r);
        top = root_open(rootfd, "/etc/resolv.conf", ROOT_OPEN_EXISTING);
        r = top < 0 ? top : remount_ro_fd(top);
        if (r < 0)
                child_fail(ctx, LAUNCH_STEP_DNS, -1, r);
}

const char *const launch_security_paths[_LAUNCH_SECURITY_MAX] = {
        /* Masked: Docker's default list (moby oci/defaults.go), SPEC §7's and /proc/asound,
         * /proc/interrupts. */
        "/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        "/sys/devices/virtual/powercap",
        /* Read-only: Docker's. */
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
        "/sys",
};

/* #5: the top-most mount on BASE ("/proc" or "/sys") in the container, as an O_PATH fd, if it is
 * the kernel's file system MAGIC; -ENOENT when there is none there, so nothing of the kernel's to
 * hide either (e.g. Tmpfs=/sys). BASE is resolved in the root like any mount point, and is the
 * mount made at #4 (or, without RootFS=, the host's copy in our mount namespace). */
static int open_kernel_fs(int rootfd, const char *base, long magic) {
        struct statfs sf;
        int fd, r;

        fd = openat_in_root(rootfd, base, O_DIRECTORY);
        if (fd < 0)
                return fd;
        if (fstatfs(fd, &sf) < 0) {
                r = child_errno();
                (void) close(fd);
                return r;
        }
        if (sf.f_type != magic) {
                (void) close(fd);
                return -ENOENT;
        }
        return fd;
}

/* REL below the mount BASEFD, never through a symlink or "..": nothing in procfs or sysfs is a
 * symlink at these names, and the fd must name an entry of that very file system (or a mount on
 * it, which the mask then covers in turn). */
static int open_beneath(int basefd, const char *rel) {
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd;

        fd = (int) syscall(SYS_openat2, basefd, rel, &how, sizeof(how));
        if (fd < 0 && errno == ENOSYS)
                fd = openat(basefd, rel, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? child_errno() : fd;
}

/* The container's /dev/null (ours at #4, or the host's without RootFS=), checked to be the
 * kernel's null device: it is what masked files show. */
static int open_dev_null(int rootfd) {
        struct stat st;
        int fd, r;

        fd = openat_in_root(rootfd, "/dev/null", 0);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0) {
                r = child_errno();
                (void) close(fd);
                return r;
        }
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3)) {
                (void) close(fd);
                return -ENODEV;
        }
        return fd;
}

/* A masked directory gets an empty read-only tmpfs (as small as tmpfs allows: size=0 would mean
 * no limit), a masked file /dev/null, as Docker does: reads give nothing, writes go nowhere. */
static int mask_fd(int fd, int *nullfd, int rootfd) {
        char null_path[FD_PATH_MAX];
        struct stat st;

        if (fstat(fd, &st) < 0)
                return child_errno();
        if (S_ISDIR(st.st_mode))
                return mount_fd("tmpfs", fd, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                                "mode=0555,size=4k,nr_inodes=1");

        if (*nullfd < 0) {
                *nullfd = open_dev_null(rootfd);
                if (*nullfd < 0)
                        return *nullfd;
        }
        fd_path(*nullfd, null_path);
        return mount_fd(null_path, fd, NULL, MS_BIND, NULL);
}

/* Binds REL onto itself and makes the bind read-only. Not recursive: what is mounted below (the
 * host's binfmt_misc in a /proc shared with the host) stays out of it, hidden. In a user
 * namespace the kernel refuses that (EINVAL) when such a mount came from the host and is locked
 * to its parent: then it comes along, and is made read-only with the rest where the kernel can
 * (mount_setattr(), 5.12). */
static int bind_ro_beneath(int basefd, const char *rel, int fd) {
        _cleanup_close_ int top = -EBADF;
        char p[FD_PATH_MAX];
        bool recursive = false;
        int r;

        fd_path(fd, p);
        r = mount_fd(p, fd, NULL, MS_BIND, NULL);
        if (r == -EINVAL) {
                r = mount_fd(p, fd, NULL, MS_BIND | MS_REC, NULL);
                recursive = true;
        }
        if (r < 0)
                return r;
        /* fd still names what the bind covers: reopen to get the bind's root. */
        top = open_beneath(basefd, rel);
        if (top < 0)
                return top;
        if (recursive) {
                struct mount_attr attr = {
                        .attr_set = MOUNT_ATTR_RDONLY,
                };

                if (mount_setattr(top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) >= 0)
                        return 0;
                if (errno != ENOSYS)
                        return child_errno();
        }
        return remount_ro_fd(top);
}

/* #5 SPEC §7: masked and read-only kernel paths, on the container's /proc and /sys (also without
 * RootFS=: then on our mount namespace's copy of the host's, / being private since #2). Last of
 * #5, so that no Bind= or Tmpfs= covers them. A path this kernel does not have is skipped. */
static void step_security_mounts(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int procfd = -EBADF, sysfd = -EBADF, nullfd = -EBADF;

        procfd = open_kernel_fs(rootfd, "/proc", PROC_SUPER_MAGIC);
        if (procfd < 0 && procfd != -ENOENT)
                child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, -1, procfd);
        sysfd = open_kernel_fs(rootfd, "/sys", SYSFS_MAGIC);
        if (sysfd < 0 && sysfd != -ENOENT)
                child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, LAUNCH_SECURITY_SYS, sysfd);

        for (int i = 0; i < LAUNCH_SECURITY_SYS; i++) {
                const char *path = launch_security_paths[i];
                bool proc = startswith(path, "/proc/");
                const char *rel = path + (proc ? STRLEN("/proc/") : STRLEN("/sys/"));
                int basefd = proc ? procfd : sysfd;
                _cleanup_close_ int fd = -EBADF;
                int r;

                if (basefd < 0)
                        continue;
                fd = open_beneath(basefd, rel);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, i, fd);

                if (i < LAUNCH_SECURITY_READONLY_FIRST)
                        r = mask_fd(fd, &nullfd, rootfd);
                else
                        r = bind_ro_beneath(basefd, rel, fd);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, i, r);
        }

        /* /sys: read-only since #4 with RootFS=; the host's copy without it becomes so here. Only
         * that mount: what is mounted below (cgroups) keeps its mode. */
        if (sysfd >= 0) {
                struct statfs sf;
                int r = 0;

                if (fstatfs(sysfd, &sf) < 0)
                        r = child_errno();
                else if (!(sf.f_flags & ST_RDONLY))
                        r = remount_ro_fd(sysfd);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, LAUNCH_SECURITY_SYS, r);
        }
}

/* #7: R becomes /, the old root is stacked on top of it and detached. Never chroot. */
static void step_pivot(const struct launch_ctx *ctx, int rootfd) {
        if (fchdir(rootfd) < 0)
                child_fail(ctx, LAUNCH_STEP_PIVOT, -1, child_errno());
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                child_fail(ctx, LAUNCH_STEP_PIVOT, -1, child_errno());
        if (umount2(".", MNT_DETACH) < 0)
                child_fail(ctx, LAUNCH_STEP_PIVOT, -1, child_errno());
        if (chdir("/") < 0)
                child_fail(ctx, LAUNCH_STEP_PIVOT, -1, child_errno());
}

static void steps_mounts(const struct launch_ctx *ctx) {
        const struct unit_config *c = ctx->c;
        _cleanup_close_ int rootfd = -EBADF;

        if (!ctx->mntns)
                return;

        /* #2: nothing we mount may propagate back to the host, and pivot_root() wants it. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                child_fail(ctx, LAUNCH_STEP_PROPAGATION, -1, child_errno());

        /* #3 */
        rootfd = step_rootfs(ctx);

        /* #4 */
        if (ctx->root) {
                step_proc(ctx, rootfd);
                step_sys(ctx, rootfd);
                step_dev(ctx, rootfd);
        } else if (ctx->pidns) {
                /* The host's root, our pid namespace: a /proc that shows the container's processes. */
                if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        child_fail(ctx, LAUNCH_STEP_PROC, -1, child_errno());
        }

        /* #5 */
        step_binds(ctx, rootfd);
        step_tmpfs(ctx, rootfd);
        step_dns(ctx, rootfd);
        step_security_mounts(ctx, rootfd);

        /* #6 */
        if (c->read_only) {
                int r = remount_ro_fd(rootfd);
                if (r < 0)
                        child_fail(ctx, LAUNCH_STEP_READONLY, -1, r);
        }

        /* #7 */
        if (ctx->root)
                step_pivot(ctx, rootfd);
}

/* ---- #10: user, group, working directory ------------------------------------------------------------ */

/* Reads a colon-separated file (/etc/passwd, /etc/group) line by line into a stack buffer. Lines
 * longer than the buffer are skipped. */
struct line_reader {
        int fd;
        size_t start, end;
        bool eof, skipping;
        char buf[4096];
};

/* Returns 1 with *ret pointing at a NUL-terminated line, 0 at the end, -errno. */
static int line_next(struct line_reader *lr, char **ret) {
        for (;;) {
                char *nl = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
                ssize_t n;

                if (nl) {
                        char *line = lr->buf + lr->start;

                        *nl = '\0';
                        lr->start = (size_t) (nl - lr->buf) + 1;
                        if (lr->skipping) {
                                lr->skipping = false;
                                continue;
                        }
                        *ret = line;
                        return 1;
                }
                if (lr->eof) {
                        if (lr->start == lr->end || lr->skipping)
                                return 0;
                        /* Last line without a newline: there is room, the buffer is never full here. */
                        lr->buf[lr->end] = '\0';
                        *ret = lr->buf + lr->start;
                        lr->start = lr->end;
                        return 1;
                }

                memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
                lr->end -= lr->start;
                lr->start = 0;
                if (lr->end >= sizeof(lr->buf) - 1) {
                        /* Too long for us: drop it up to its newline. */
                        lr->skipping = true;
                        lr->end = 0;
                }

                do
                        n = read(lr->fd, lr->buf + lr->end, sizeof(lr->buf) - 1 - lr->end);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return child_errno();
                if (n == 0)
                        lr->eof = true;
                lr->end += (size_t) n;
        }
}

/* Splits LINE at ':' into at most N fields. Returns the count. */
static size_t split_fields(char *line, char **fields, size_t n) {
        size_t i = 0;

        while (i < n) {
                fields[i++] = line;
                line = strchr(line, ':');
                if (!line)
                        break;
                *line++ = '\0';
        }
        return i;
}

struct user_lookup {
        uid_t uid;
        gid_t gid;
        bool have_gid; /* from the passwd entry */
        char name[256]; /* the user's name, for supplementary groups; "" if unknown */
        gid_t groups[64];
        size_t n_groups;
};

/* Finds NAME, or the numeric UID when NAME is NULL, in /etc/passwd. Returns 1 found, 0 not
 * found, -errno. */
static int passwd_find(const char *name, uid_t uid, struct user_lookup *u) {
        struct line_reader lr = { .fd = -EBADF };
        char *line;
        int r;

        lr.fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (lr.fd < 0)
                return child_errno();

        while ((r = line_next(&lr, &line)) > 0) {
                char *f[7];
                uint32_t id, gid;

                if (split_fields(line, f, ELEMENTSOF(f)) < 4)
                        continue;
                if (!str_to_u32(f[2], strlen(f[2]), &id) || !str_to_u32(f[3], strlen(f[3]), &gid))
                        continue;
                if (name ? !streq(f[0], name) : id != uid)
                        continue;

                u->uid = id;
                u->gid = gid;
                u->have_gid = true;
                if (strlen(f[0]) < sizeof(u->name))
                        memcpy(u->name, f[0], strlen(f[0]) + 1);
                r = 1;
                break;
        }
        (void) close(lr.fd);
        return r;
}

/* Finds group NAME in /etc/group (*ret_gid); with NAME NULL, collects the groups that list
 * u->name as a member instead. Returns 1 found, 0 not found, -errno. */
static int group_scan(const char *name, gid_t *ret_gid, struct user_lookup *u) {
        struct line_reader lr = { .fd = -EBADF };
        char *line;
        int r;

        lr.fd = open("/etc/group", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (lr.fd < 0)
                return child_errno();

        while ((r = line_next(&lr, &line)) > 0) {
                char *f[4];
                uint32_t gid;

                if (split_fields(line, f, ELEMENTSOF(f)) < 3 || !str_to_u32(f[2], strlen(f[2]), &gid))
                        continue;

                if (name) {
                        if (!streq(f[0], name))
                                continue;
                        *ret_gid = gid;
                        r = 1;
                        break;
                }

                if (!f[3] || !*f[3] || u->n_groups >= ELEMENTSOF(u->groups))
                        continue;
                for (char *m = f[3]; m;) {
                        char *comma = strchr(m, ',');
                        size_t l = comma ? (size_t) (comma - m) : strlen(m);

                        if (l == strlen(u->name) && memcmp(m, u->name, l) == 0) {
                                u->groups[u->n_groups++] = gid;
                                break;
                        }
                        m = comma ? comma + 1 : NULL;
                }
        }
        (void) close(lr.fd);
        return r < 0 ? r : name ? r : 1;
}

/* #10: User=/Group= from the container's own files (after pivot_root), no NSS. A name not found
 * is ESRCH. A numeric User= is used as is; if /etc/passwd has it, its primary group and
 * supplementary groups come along as for a name. */
static void step_user(const struct launch_ctx *ctx, struct user_lookup *u) {
        const struct unit_config *c = ctx->c;
        uint32_t v;
        int r;

        *u = (struct user_lookup) {};

        if (c->user) {
                if (str_to_u32(c->user, strlen(c->user), &v)) {
                        r = passwd_find(NULL, v, u);
                        if (r < 0 && r != -ENOENT)
                                child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, r);
                        u->uid = v;
                } else {
                        r = passwd_find(c->user, 0, u);
                        if (r < 0)
                                child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, r);
                        if (r == 0)
                                child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_USER, -ESRCH);
                }
        }
        if (!u->have_gid)
                u->gid = 0;

        if (c->group) {
                gid_t gid = 0;

                if (str_to_u32(c->group, strlen(c->group), &v))
                        gid = v;
                else {
                        r = group_scan(c->group, &gid, u);
                        if (r < 0)
                                child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, r);
                        if (r == 0)
                                child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, -ESRCH);
                }
                u->gid = gid;
        }

        /* Supplementary groups: where the user is listed as a member. No /etc/group: none. */
        if (u->name[0]) {
                r = group_scan(NULL, NULL, u);
                if (r < 0 && r != -ENOENT)
                        child_fail(ctx, LAUNCH_STEP_USER, LAUNCH_USER_GROUP, r);
        }

        /* Checked as root, before the switch of ids (#11). */
        if (chdir(c->working_directory ?: "/") < 0)
                child_fail(ctx, LAUNCH_STEP_CHDIR, -1, child_errno());
}

/* ---- #11: ids, capabilities, no_new_privs, seccomp ------------------------------------------------- */

/* LAUNCH_STEP_SECCOMP: the filter the parent compiled before clone; one syscall, no allocation. */
static void step_seccomp(const struct launch_ctx *ctx) {
        int r = seccomp_policy_install(&ctx->seccomp);

        if (r < 0)
                child_fail(ctx, LAUNCH_STEP_SECCOMP, LAUNCH_SECCOMP_LOAD, r);
}

static void step_security(const struct launch_ctx *ctx, const struct user_lookup *u) {
        const struct unit_config *c = ctx->c;
        struct __user_cap_header_struct h = {
                .version = _LINUX_CAPABILITY_VERSION_3,
        };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
        uint64_t keep, have;

        /* The bounding set first, while we still have CAP_SETPCAP. */
        for (int cap = 0; cap <= ctx->cap_last && cap < 64; cap++)
                if (!(c->capabilities & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_BOUNDING, child_errno());
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_AMBIENT, child_errno());

        /* Without no_new_privs the kernel loads a filter only for a caller with CAP_SYS_ADMIN (in
         * its user namespace): we still have it here, before the ids change and capset() trims the
         * effective set (runc's order). Nothing below is on the deny-list. */
        if (!c->no_new_privileges)
                step_seccomp(ctx);

        if (sys_setgroups(u->n_groups, u->n_groups > 0 ? u->groups : NULL) < 0)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETGROUPS, child_errno());
        if (sys_setresgid(u->gid) < 0)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETGID, child_errno());
        /* For a uid other than 0 this clears the permitted and effective sets. */
        if (sys_setresuid(u->uid) < 0)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_SETUID, child_errno());

        /* Root keeps what the bounding set allows (and what we have: supd's own bounding set may
         * be smaller than Capabilities=all); anyone else gets nothing. The inheritable set stays
         * empty: with it, a later setuid program could pass caps on through file inheritable bits
         * (CVE-2022-24769); for root's exec it makes no difference. */
        if (syscall(SYS_capget, &h, d) < 0)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_CAPSET, child_errno());
        have = (uint64_t) d[0].permitted | (uint64_t) d[1].permitted << 32;
        keep = u->uid == 0 ? c->capabilities & have : 0;
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
                d[i].effective = d[i].permitted = (uint32_t) (keep >> (32 * i));
                d[i].inheritable = 0;
        }
        h = (struct __user_cap_header_struct) { .version = _LINUX_CAPABILITY_VERSION_3 };
        if (syscall(SYS_capset, &h, d) < 0)
                child_fail(ctx, LAUNCH_STEP_CAPABILITIES, LAUNCH_CAPS_CAPSET, child_errno());

        if (c->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(ctx, LAUNCH_STEP_NO_NEW_PRIVS, -1, child_errno());

        /* With no_new_privs the filter needs no capability and goes last, so that the steps above
         * never depend on what it allows (only step_fds() and the execveat() of sup-init run under
         * it). */
        if (c->no_new_privileges)
                step_seccomp(ctx);
}

/* ---- #2 (exec into a running unit): its namespaces and root ------------------------------------------- */

static void step_join(const struct launch_ctx *ctx) {
        /* One call, all at once: the user namespace first, so that we are privileged in it for the
         * others (the kernel orders them). pid and time were entered by the parent for our clone. */
        if (ctx->join_flags != 0 && setns(ctx->r->join->pidfd, ctx->join_flags) < 0)
                child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_SETNS, child_errno());

        /* The root the unit's main process sees (after its pivot_root), whatever the mount namespace's
         * own root is. The fd was opened by supd in the host's view, before clone. */
        if (fchdir(ctx->r->join->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
                child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_ROOT, child_errno());

        /* What a start does at #1 in a user namespace: be its root (the ids #11 then sets are the
         * container's; the host's 0 means nothing in there). */
        if ((ctx->c->namespaces & UNIT_NS_USER) && (sys_setresgid(0) < 0 || sys_setresuid(0) < 0))
                child_fail(ctx, LAUNCH_STEP_JOIN, LAUNCH_JOIN_SETNS, child_errno());
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
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct launch_report m = { .step = LAUNCH_REPORT_PTY, .index = -1 };
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *cm;
        struct statfs sf;
        int master, peer, unlock = 0;

        /* The container's devpts instance: /dev/ptmx is a link to it, /dev/pts/ptmx is its node. */
        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (master < 0)
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_OPEN, child_errno());
        if (fstatfs(master, &sf) < 0 || sf.f_type != DEVPTS_SUPER_MAGIC)
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_OPEN, -ENOTTY);
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_UNLOCK, child_errno());
        peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (peer < 0)
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_PEER, child_errno());
        if (ioctl(peer, TIOCSCTTY, 0) < 0)
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_CTTY, child_errno());

        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &master, sizeof(int));
        if (sendmsg(ctx->sync_fd, &mh, MSG_NOSIGNAL) != (ssize_t) sizeof(m))
                child_fail(ctx, LAUNCH_STEP_PTY, LAUNCH_PTY_SEND, child_errno());
        (void) close(master);

        ctx->tty_fd = peer;
}

/* ---- #12: fds, exec of sup-init ------------------------------------------------------------------- */

/* stdio to 0..2, the launch socket to LAUNCH_INIT_SYNC_FD and keep_fd to LAUNCH_INIT_KEEP_FD, all
 * surviving exec; everything else (supd's fds, the sources, sup-init's memfd) closes at exec. */
static void step_fds(struct launch_ctx *ctx) {
        const struct launch_request *r = ctx->r;
        int src[5] = { r->stdin_fd, r->stdout_fd, r->stderr_fd, ctx->sync_fd, r->keep_fd };

        if (ctx->tty_fd >= 0)
                src[0] = src[1] = src[2] = ctx->tty_fd;
        int n = r->keep_fd >= 0 ? 5 : 4;
        int init_fd = r->init_fd;

        if (src[0] < 0) {
                /* The container's /dev/null. */
                src[0] = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (src[0] < 0)
                        child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_STDIN, child_errno());
        }

        /* Everything still needed moves above 0..4 first (F_DUPFD_CLOEXEC takes the lowest free fd
         * >= 5), so that dup3() onto 0..4 clobbers nothing. */
        if (init_fd < n) {
                init_fd = fcntl(init_fd, F_DUPFD_CLOEXEC, n);
                if (init_fd < 0)
                        child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, child_errno());
        }
        for (int i = 0; i < n; i++)
                if (src[i] < n) {
                        src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, n);
                        if (src[i] < 0)
                                child_fail(ctx, LAUNCH_STEP_EXEC, i == 3 ? LAUNCH_EXEC_CLOSE_FDS : i,
                                           child_errno());
                }
        ctx->sync_fd = src[3];
        for (int i = 0; i < n; i++) {
                if (dup3(src[i], i, 0) < 0) /* without O_CLOEXEC: survives exec */
                        child_fail(ctx, LAUNCH_STEP_EXEC, i == 3 ? LAUNCH_EXEC_CLOSE_FDS : i, child_errno());
                if (i == 3)
                        ctx->sync_fd = LAUNCH_INIT_SYNC_FD;
        }
        ctx->init_fd = init_fd;

        if (close_range((unsigned) n, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
                struct rlimit rl;

                if (errno != ENOSYS && errno != EINVAL)
                        child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, child_errno());
                if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                        child_fail(ctx, LAUNCH_STEP_EXEC, LAUNCH_EXEC_CLOSE_FDS, child_errno());
                for (rlim_t fd = (rlim_t) n; fd < rl.rlim_cur && fd < INT_MAX; fd++)
                        (void) fcntl((int) fd, F_SETFD, FD_CLOEXEC);
        }
}

/* The last step: sup-init, from its sealed memfd, as the container's init or to exec Exec= in place
 * (launch-protocol in init/protocol.h). Signals stay blocked: sup-init unblocks them. */
_noreturn_ static void step_exec(const struct launch_ctx *ctx) {
        syscall(SYS_execveat, ctx->init_fd, "", ctx->init_argv, ctx->envp, AT_EMPTY_PATH);
        child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_EXEC, child_errno());
}

/* ---- the child ---------------------------------------------------------------------------------------- */

_noreturn_ void launch_child_run(struct launch_ctx *ctx) {
        struct user_lookup u;

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
                        child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_SETUP, child_errno());

                /* #1 */
                step_sync(ctx);

                /* #2 */
                step_join(ctx);
        } else {
                /* #1 */
                step_sync(ctx);

                /* #2 .. #7 */
                steps_mounts(ctx);

                /* #8 */
                if (ctx->utsns && ctx->c->hostname &&
                    sethostname(ctx->c->hostname, strlen(ctx->c->hostname)) < 0)
                        child_fail(ctx, LAUNCH_STEP_HOSTNAME, -1, child_errno());

                /* Until exec we are supd's image inside the container: keep /proc/PID/exe and friends
                 * out of reach (the exec of sup-init ends it; the init makes itself non-dumpable
                 * again). Not earlier: in a user namespace a non-dumpable child could not use its own
                 * /proc/self/fd for the mounts above. */
                if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                        child_fail(ctx, LAUNCH_STEP_INIT, LAUNCH_INIT_SETUP, child_errno());
        }

        /* #10 */
        step_user(ctx, &u);

        /* #11 */
        step_security(ctx, &u);

        /* #12 */
        if (ctx->r->join && ctx->r->join->tty)
                step_pty(ctx);
        step_fds(ctx);
        step_exec(ctx);
}
