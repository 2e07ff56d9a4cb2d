/* SPDX-License-Identifier: MIT */

/* The launched child's file system, #2..#7: propagation, the new root (RootFS=, Layers=, Overlay=),
 * /proc, /sys and /dev, Bind=, Tmpfs=, DNS=, the SPEC §7 masked and read-only kernel paths,
 * ReadOnly= and pivot_root. Every path inside the root is resolved in it (openat_in_root()) and
 * every mount targets the resulting fd, so that an image's symlinks cannot send a mount to the
 * host. Runs after clone: the rules of launch-internal.h hold (no malloc, no stdio, no locks). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "launch-internal.h"
#include "macro.h"

#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Room for "/proc/self/fd/" and an int. */
#define FD_PATH_MAX (STRLEN("/proc/self/fd/") + 12)

/* ---- helpers: paths in the root, mounts on fds ------------------------------------------------------ */

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
        return fd < 0 ? negative_errno() : fd;
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
                                r = negative_errno();
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
        return mount(source, p, fstype, flags, data) < 0 ? negative_errno() : 0;
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
                return negative_errno();
        return mount_fd(NULL, fd, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | ms_flags_from_statfs(sf.f_flags),
                        NULL);
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
                        launch_child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, negative_errno());
                return fd;
        }

        if (stat(c->rootfs, &st) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, negative_errno());
        if (!S_ISDIR(st.st_mode))
                launch_child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, -ENOTDIR);

        if (!ctx->overlay_options) {
                /* Overlay=none: R is RootFS itself, made a mount point for pivot_root(). */
                if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, negative_errno());
        } else {
                size_t i = 0;

                STRV_FOREACH(l, c->layers) {
                        if (stat(*l, &st) < 0)
                                launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, (int) i, negative_errno());
                        if (!S_ISDIR(st.st_mode))
                                launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, (int) i, -ENOTDIR);
                        i++;
                }

                /* A tmpfs on UNIT_DIR, private to our mount namespace, holds the mount point root/
                 * (and, for ephemeral, the upper and work dirs): nothing is written on the host,
                 * and the ephemeral upper vanishes with the namespace. */
                if (mount("tmpfs", ctx->r->unit_dir, "tmpfs", 0, "mode=0755") < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE,
                                          negative_errno());
                if (mkdir(ctx->root, 0755) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE,
                                          negative_errno());
                if (c->overlay == OVERLAY_EPHEMERAL &&
                    (mkdir(ctx->upper_dir, 0755) < 0 || mkdir(ctx->work_dir, 0755) < 0))
                        launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_WORKSPACE,
                                          negative_errno());

                if (mount("overlay", ctx->root, "overlay", 0, ctx->overlay_options) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_OVERLAY, LAUNCH_OVERLAY_MOUNT, negative_errno());
        }

        /* Opened after the mount: the fd names the new mount's root, not what it covers. */
        fd = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                launch_child_fail(ctx, LAUNCH_STEP_ROOTFS, -1, negative_errno());
        return fd;
}

/* #4 /proc */
static void step_proc(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = root_open(rootfd, "/proc", ROOT_OPEN_DIRECTORY);
        if (fd < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PROC, -1, fd);
        if (ctx->pidns)
                r = mount_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
        else
                r = mount_fd("/proc", fd, NULL, MS_BIND | MS_REC, NULL);
        if (r < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PROC, -1, r);
}

/* #4 /sys, read-only */
static void step_sys(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int fd = -EBADF, top = -EBADF;
        int r;

        fd = root_open(rootfd, "/sys", ROOT_OPEN_DIRECTORY);
        if (fd < 0)
                launch_child_fail(ctx, LAUNCH_STEP_SYS, -1, fd);
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
                launch_child_fail(ctx, LAUNCH_STEP_SYS, -1, r);
}

const char *const launch_dev_entries[_LAUNCH_DEV_MAX] = {
        [LAUNCH_DEV_TMPFS] = "/dev",          [LAUNCH_DEV_NULL] = "/dev/null",
        [LAUNCH_DEV_ZERO] = "/dev/zero",      [LAUNCH_DEV_FULL] = "/dev/full",
        [LAUNCH_DEV_RANDOM] = "/dev/random",  [LAUNCH_DEV_URANDOM] = "/dev/urandom",
        [LAUNCH_DEV_TTY] = "/dev/tty",        [LAUNCH_DEV_PTS] = "/dev/pts",
        [LAUNCH_DEV_PTMX] = "/dev/ptmx",      [LAUNCH_DEV_SHM] = "/dev/shm",
        [LAUNCH_DEV_FD] = "/dev/fd",          [LAUNCH_DEV_STDIN] = "/dev/stdin",
        [LAUNCH_DEV_STDOUT] = "/dev/stdout",  [LAUNCH_DEV_STDERR] = "/dev/stderr",
};

const char *const launch_dev_link_targets[_LAUNCH_DEV_MAX] = {
        [LAUNCH_DEV_PTMX] = "pts/ptmx",
        [LAUNCH_DEV_FD] = "/proc/self/fd",
        [LAUNCH_DEV_STDIN] = "/proc/self/fd/0",
        [LAUNCH_DEV_STDOUT] = "/proc/self/fd/1",
        [LAUNCH_DEV_STDERR] = "/proc/self/fd/2",
};

/* #4 launch_dev_entries[INDEX], a directory made in our /dev tmpfs (DEVFD), with a fresh FSTYPE
 * mounted on it. */
static void dev_mount_dir(const struct launch_ctx *ctx, int rootfd, int devfd, int index, const char *fstype,
                          unsigned long flags, const char *options) {
        const char *path = launch_dev_entries[index];
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (mkdirat(devfd, path + STRLEN("/dev/"), 0755) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DEV, index, negative_errno());
        fd = root_open(rootfd, path, ROOT_OPEN_EXISTING);
        if (fd < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DEV, index, fd);
        r = mount_fd(fstype, fd, fstype, flags, options);
        if (r < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DEV, index, r);
}

/* #4 a minimal /dev: a tmpfs with bind-mounted nodes (mknod does not work in a user namespace,
 * binds do), a private devpts, shm and the usual links. */
static void step_dev(const struct launch_ctx *ctx, int rootfd) {
        _cleanup_close_ int devfd = -EBADF;
        int r;

        {
                _cleanup_close_ int fd = root_open(rootfd, "/dev", ROOT_OPEN_DIRECTORY);
                if (fd < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, fd);
                r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, r);
        }
        /* Now the tmpfs: everything below is ours, made in it by name. */
        devfd = root_open(rootfd, "/dev", ROOT_OPEN_EXISTING);
        if (devfd < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DEV, LAUNCH_DEV_TMPFS, devfd);

        for (int i = LAUNCH_DEV_NODE_FIRST; i <= LAUNCH_DEV_TTY; i++) {
                const char *host = launch_dev_entries[i];
                _cleanup_close_ int fd = -EBADF;

                r = openat(devfd, host + STRLEN("/dev/"),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, i, negative_errno());
                (void) close(r);
                fd = root_open(rootfd, host, ROOT_OPEN_EXISTING);
                if (fd < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, i, fd);
                r = mount_fd(host, fd, NULL, MS_BIND, NULL);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, i, r);
        }

        dev_mount_dir(ctx, rootfd, devfd, LAUNCH_DEV_PTS, "devpts", MS_NOSUID | MS_NOEXEC,
                      ctx->devpts_options);
        dev_mount_dir(ctx, rootfd, devfd, LAUNCH_DEV_SHM, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");

        for (int i = 0; i < _LAUNCH_DEV_MAX; i++)
                if (launch_dev_link_targets[i] && symlinkat(launch_dev_link_targets[i], devfd,
                                                            launch_dev_entries[i] + STRLEN("/dev/")) < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_DEV, i, negative_errno());
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
                        launch_child_fail(ctx, LAUNCH_STEP_BIND, (int) i, negative_errno());

                fd = root_open(rootfd, b->target,
                               S_ISDIR(st.st_mode) ? ROOT_OPEN_DIRECTORY : ROOT_OPEN_FILE);
                if (fd < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_BIND, (int) i, fd);
                r = mount_fd(b->source, fd, NULL, MS_BIND | MS_REC, NULL);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_BIND, (int) i, r);

                if (b->read_only) {
                        /* fd still names what the bind covers: reopen to get the bind's root. */
                        top = root_open(rootfd, b->target, ROOT_OPEN_EXISTING);
                        r = top < 0 ? top : remount_ro_fd(top);
                        if (r < 0)
                                launch_child_fail(ctx, LAUNCH_STEP_BIND, (int) i, r);
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
                        launch_child_fail(ctx, LAUNCH_STEP_TMPFS, (int) i, fd);
                r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, ctx->tmpfs_options[i]);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_TMPFS, (int) i, r);
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
                launch_child_fail(ctx, LAUNCH_STEP_DNS, -1, fd);
        r = mount_fd(ctx->r->resolv_conf, fd, NULL, MS_BIND, NULL);
        if (r < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DNS, -1, r);
        top = root_open(rootfd, "/etc/resolv.conf", ROOT_OPEN_EXISTING);
        r = top < 0 ? top : remount_ro_fd(top);
        if (r < 0)
                launch_child_fail(ctx, LAUNCH_STEP_DNS, -1, r);
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
                r = negative_errno();
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
        return fd < 0 ? negative_errno() : fd;
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
                r = negative_errno();
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
                return negative_errno();
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
                        return negative_errno();
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
                launch_child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, -1, procfd);
        sysfd = open_kernel_fs(rootfd, "/sys", SYSFS_MAGIC);
        if (sysfd < 0 && sysfd != -ENOENT)
                launch_child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, LAUNCH_SECURITY_SYS, sysfd);

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
                        launch_child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, i, fd);

                if (i < LAUNCH_SECURITY_READONLY_FIRST)
                        r = mask_fd(fd, &nullfd, rootfd);
                else
                        r = bind_ro_beneath(basefd, rel, fd);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, i, r);
        }

        /* /sys: read-only since #4 with RootFS=; the host's copy without it becomes so here. Only
         * that mount: what is mounted below (cgroups) keeps its mode. */
        if (sysfd >= 0) {
                struct statfs sf;
                int r = 0;

                if (fstatfs(sysfd, &sf) < 0)
                        r = negative_errno();
                else if (!(sf.f_flags & ST_RDONLY))
                        r = remount_ro_fd(sysfd);
                if (r < 0)
                        launch_child_fail(ctx, LAUNCH_STEP_SECURITY_MOUNTS, LAUNCH_SECURITY_SYS, r);
        }
}

/* #7: R becomes /, the old root is stacked on top of it and detached. Never chroot. */
static void step_pivot(const struct launch_ctx *ctx, int rootfd) {
        if (fchdir(rootfd) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PIVOT, -1, negative_errno());
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PIVOT, -1, negative_errno());
        if (umount2(".", MNT_DETACH) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PIVOT, -1, negative_errno());
        if (chdir("/") < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PIVOT, -1, negative_errno());
}

void launch_child_mounts(const struct launch_ctx *ctx) {
        const struct unit_config *c = ctx->c;
        _cleanup_close_ int rootfd = -EBADF;

        if (!ctx->mntns)
                return;

        /* #2: nothing we mount may propagate back to the host, and pivot_root() wants it. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                launch_child_fail(ctx, LAUNCH_STEP_PROPAGATION, -1, negative_errno());

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
                        launch_child_fail(ctx, LAUNCH_STEP_PROC, -1, negative_errno());
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
                        launch_child_fail(ctx, LAUNCH_STEP_READONLY, -1, r);
        }

        /* #7 */
        if (ctx->root)
                step_pivot(ctx, rootfd);
}
