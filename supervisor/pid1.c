/* SPDX-License-Identifier: MIT */

/* PID 1 duties: the file systems, console, hostname and loopback a booted system needs before units
 * start, and the very end of a shutdown. No threads, no NSS, no stdio on the console; the final
 * stage is the one place in supd that may poll with a short sleep, as no event loop is left. */

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "mountinfo.h"
#include "pid1.h"
#include "time-util.h"

/* SIGTERM grace period of SPEC §8, and how long SIGKILLed processes get to be gone (one stuck in
 * uninterruptible sleep must not keep the machine up forever). */
#define FINAL_TERM_TIMEOUT_USEC (5 * USEC_PER_SEC)
#define FINAL_KILL_TIMEOUT_USEC (2 * USEC_PER_SEC)
#define FINAL_POLL_USEC         (20 * USEC_PER_MSEC)

/* A host name and some comments; anything longer is not a hostname file. */
#define HOSTNAME_FILE_MAX 4096

/* The longest record /dev/kmsg takes (1024 minus the kernel's prefix room), newline included. */
#define KMSG_RECORD_MAX 992

struct mount_spec {
        const char *what;
        const char *where;
        const char *type;
        unsigned long flags;
        const char *options;
        bool options_optional; /* the kernel may refuse them (EINVAL): mount without */
        const char *mkdir_step;
        const char *mount_step;
};

/* Parents before children: /dev/pts needs /dev, the cgroup mount point lives in sysfs. */
static const struct mount_spec mount_table[] = {
        {"proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, false, "create /proc",
         "mount /proc"},
        {"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NOEXEC | MS_NODEV, NULL, false, "create /sys",
         "mount /sys"},
        {"devtmpfs", "/dev", "devtmpfs", MS_NOSUID | MS_STRICTATIME, "mode=0755", false, "create /dev",
         "mount /dev"},
        {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "mode=620,ptmxmode=000", false,
         "create /dev/pts", "mount /dev/pts"},
        {"tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=1777", false,
         "create /dev/shm", "mount /dev/shm"},
        {"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=0755", false, "create /run",
         "mount /run"},
        {"cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NOEXEC | MS_NODEV, "nsdelegate", true,
         "create /sys/fs/cgroup", "mount /sys/fs/cgroup"},
};

/* What devtmpfs does not provide and programs expect (bash's process substitution, "> /dev/stdout"). */
static const struct {
        const char *target;
        const char *path;
        const char *step;
} dev_links[] = {
        {"/proc/self/fd", "/dev/fd", "link /dev/fd"},
        {"/proc/self/fd/0", "/dev/stdin", "link /dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout", "link /dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr", "link /dev/stderr"},
};

struct setup_state {
        pid1_step_failed_t on_failure;
        void *userdata;
        int first_error;
};

static void step_result(struct setup_state *s, const char *step, int r) {
        if (r >= 0)
                return;
        if (s->first_error >= 0)
                s->first_error = r;
        if (s->on_failure)
                s->on_failure(step, r, s->userdata);
}

static void sleep_usec(uint64_t usec) {
        struct timespec ts = {
                .tv_sec = (time_t) (usec / USEC_PER_SEC),
                .tv_nsec = (long) (usec % USEC_PER_SEC) * 1000,
        };

        (void) nanosleep(&ts, NULL);
}

/* > 0 when path is a mount point, 0 when it is not, -ENOENT when it does not exist. */
static int is_mount_point(const char *path) {
        struct statx sx, parent;
        char up[PATH_MAX];

        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO, &sx) < 0)
                return -errno;
#ifdef STATX_ATTR_MOUNT_ROOT
        if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
                return !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
#endif
        /* Before Linux 5.8: a mount point sits on another device than its parent. A bind mount of the
         * same file system is missed, which only means mounting over it. */
        if ((size_t) snprintf(up, sizeof(up), "%s/..", path) >= sizeof(up))
                return -ENAMETOOLONG;
        if (statx(AT_FDCWD, up, AT_NO_AUTOMOUNT, STATX_INO, &parent) < 0)
                return -errno;
        if (sx.stx_dev_major != parent.stx_dev_major || sx.stx_dev_minor != parent.stx_dev_minor)
                return 1;
        return sx.stx_ino == parent.stx_ino; /* "/" is its own parent */
}

static void mount_one(struct setup_state *s, const struct mount_spec *m) {
        int r;

        r = is_mount_point(m->where);
        if (r > 0)
                return;
        if (r == -ENOENT) {
                if (mkdir(m->where, 0755) < 0 && errno != EEXIST) {
                        step_result(s, m->mkdir_step, -errno);
                        return;
                }
        } else if (r < 0) {
                step_result(s, m->mount_step, r);
                return;
        }

        r = mount(m->what, m->where, m->type, m->flags, m->options);
        if (r < 0 && errno == EINVAL && m->options_optional)
                r = mount(m->what, m->where, m->type, m->flags, NULL);
        step_result(s, m->mount_step, r < 0 ? -errno : 0);
}

/* Fills whichever of fds 0-2 is closed with /dev/console. Not O_CLOEXEC: these are the standard streams,
 * inherited on purpose. Lowest-first, so open() returns the very fd being filled: no dup() needed. */
static int open_console_fds(void) {
        for (int fd = 0; fd <= STDERR_FILENO; fd++) {
                int r;

                if (fcntl(fd, F_GETFD) >= 0)
                        continue;
                if (errno != EBADF)
                        return -errno;

                r = open("/dev/console", O_RDWR | O_NOCTTY);
                if (r < 0)
                        return -errno;
                if (r != fd) { /* cannot happen, see above */
                        safe_close(r);
                        return -EBADF;
                }
        }
        return 0;
}

static bool hostname_is_valid(const char *s, size_t n) {
        if (n == 0 || n > HOST_NAME_MAX || s[0] == '.' || s[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

                if (!alnum && c != '-' && c != '.' && c != '_')
                        return false;
        }
        return true;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The first line of /etc/hostname that is neither empty nor a "#" comment, trimmed. */
static void setup_hostname(struct setup_state *s) {
        _cleanup_free_ char *buf = NULL;
        int r;

        r = read_full_file("/etc/hostname", HOSTNAME_FILE_MAX, READ_FULL_REGULAR | READ_FULL_TEXT, &buf,
                           NULL);
        if (r < 0) {
                if (r != -ENOENT)
                        step_result(s, "read /etc/hostname", r);
                return;
        }

        for (char *line = buf, *next; line && *line; line = next) {
                size_t l;

                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';

                while (is_blank(*line))
                        line++;
                l = strlen(line);
                while (l > 0 && is_blank(line[l - 1]))
                        l--;
                if (l == 0 || line[0] == '#')
                        continue;

                if (!hostname_is_valid(line, l)) {
                        step_result(s, "set hostname", -EINVAL);
                        return;
                }
                step_result(s, "set hostname", sethostname(line, l) < 0 ? -errno : 0);
                return;
        }
}

static void setup_loopback(struct setup_state *s) {
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = {};
        struct sockaddr_in sin = {
                .sin_family = AF_INET,
        };

        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                step_result(s, "bring up lo", -errno);
                return;
        }
        strcpy(ifr.ifr_name, "lo");

        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                step_result(s, "bring up lo", -errno);
        else if (!(ifr.ifr_flags & IFF_UP)) {
                ifr.ifr_flags |= IFF_UP;
                step_result(s, "bring up lo", ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0);
        }

        /* Bringing lo up makes the kernel add 127.0.0.1/8 when it has no address: this is for the rare
         * kernel or earlier owner that left it without one. */
        if (ioctl(fd, SIOCGIFADDR, &ifr) >= 0)
                return;
        if (errno != EADDRNOTAVAIL) {
                step_result(s, "set the address of lo", -errno);
                return;
        }
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
        if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
                step_result(s, "set the address of lo", -errno);
                return;
        }
        sin.sin_addr.s_addr = htonl(UINT32_C(0xff000000));
        memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
        step_result(s, "set the address of lo", ioctl(fd, SIOCSIFNETMASK, &ifr) < 0 ? -errno : 0);
}

/* As PID 1, supd logs to /dev/kmsg, where the kernel keeps only 10 lines per 5 s of each writer (and
 * silently drops the rest) while printk_devkmsg is "ratelimit", its default. "on" lifts that. A value given
 * on the kernel command line (printk.devkmsg=) is locked, writes fail with EINVAL: it is kept. */
static int kmsg_unlimit(void) {
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        ssize_t n;

        fd = open("/proc/sys/kernel/printk_devkmsg", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (!startswith(buf, "ratelimit"))
                return 0;
        if (pwrite(fd, "on\n", 3, 0) < 0)
                return errno == EINVAL ? 0 : -errno;
        return 0;
}

/* The initial pid namespace has a fixed inode number (PROC_PID_INIT_INO). */
static bool in_initial_pid_namespace(void) {
        struct stat st;
        return stat("/proc/self/ns/pid", &st) < 0 || st.st_ino == 0xEFFFFFFCU;
}

/* Booted straight from an initramfs, "/" is the rootfs mount, which has no parent: pivot_root(2)
 * refuses it, so no container could ever pivot. Do once what switch_root does, without copying:
 * bind the root onto a directory of itself, move that mount over "/" and enter it. Every process
 * supd starts inherits a root that pivot_root accepts. */
static int leave_rootfs(void) {
        struct statfs sfs;

        if (statfs("/", &sfs) < 0)
                return -errno;
        if (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC)
                return 0;
        if (mkdir("/.sup-root", 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mount("/", "/.sup-root", NULL, MS_BIND | MS_REC, NULL) < 0)
                return -errno;
        if (chdir("/.sup-root") < 0)
                return -errno;
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
                return -errno;
        if (chroot(".") < 0) /* the one chroot: PID 1 entering its own root, as switch_root does */
                return -errno;
        return chdir("/") < 0 ? -errno : 0;
}

int pid1_setup(pid1_step_failed_t on_failure, void *userdata) {
        struct setup_state s = {
                .on_failure = on_failure,
                .userdata = userdata,
                .first_error = 0,
        };

        /* First: the mounts below then land in the new root. */
        step_result(&s, "leave the initramfs root", leave_rootfs());

        for (size_t i = 0; i < ELEMENTSOF(mount_table); i++)
                mount_one(&s, mount_table + i);

        for (size_t i = 0; i < ELEMENTSOF(dev_links); i++)
                if (symlink(dev_links[i].target, dev_links[i].path) < 0 && errno != EEXIST)
                        step_result(&s, dev_links[i].step, -errno);

        step_result(&s, "lift the rate limit of /dev/kmsg", kmsg_unlimit());

        /* After /dev: the initramfs may have no /dev/console node of its own. */
        step_result(&s, "open /dev/console", open_console_fds());

        (void) umask(0022);

        setup_hostname(&s);
        setup_loopback(&s);

        /* Ctrl-Alt-Del then sends SIGINT to PID 1, which SPEC §1 turns into an orderly reboot. */
        if (in_initial_pid_namespace())
                step_result(&s, "disable Ctrl-Alt-Del", reboot(RB_DISABLE_CAD) < 0 ? -errno : 0);

        return s.first_error;
}

static int kmsg_fd = -EBADF;

void pid1_log_kmsg(int level, const char *line) {
        int saved_errno = errno;
        const char *p = strempty(line);

        if (kmsg_fd < 0)
                kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (kmsg_fd < 0)
                kmsg_fd = -EBADF;

        if (level < LOG_EMERG || level > LOG_DEBUG)
                level = level < LOG_EMERG ? LOG_EMERG : LOG_DEBUG;

        /* One record per line: a record's embedded newline would print as is, without the prefix. */
        do {
                char buf[KMSG_RECORD_MAX + 1];
                size_t n = strcspn(p, "\n");
                int k;

                if (kmsg_fd >= 0)
                        k = snprintf(buf, sizeof(buf), "<%d>supd: %.*s\n", level, (int) n, p);
                else
                        k = snprintf(buf, sizeof(buf), "supd: %.*s\n", (int) n, p);
                if (k < 0)
                        break;
                if ((size_t) k >= sizeof(buf)) {
                        k = sizeof(buf) - 1;
                        buf[k - 1] = '\n';
                }

                /* /dev/kmsg takes one record per write(): no partial writes to resume there. */
                if (kmsg_fd >= 0)
                        (void) write(kmsg_fd, buf, (size_t) k);
                else
                        (void) loop_write(STDERR_FILENO, buf, (size_t) k);

                p += n;
                while (*p == '\n')
                        p++;
        } while (*p);

        errno = saved_errno;
}

_printf_(2, 3) static void final_log(int level, const char *fmt, ...) {
        char buf[KMSG_RECORD_MAX];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        pid1_log_kmsg(level, buf);
}

/* Reaps until no child is left (true) or the time is up (false). As PID 1 every process of the system
 * ends up as a child, so "no child" means "no process" (kernel threads aside). */
static bool reap_all(uint64_t timeout_usec) {
        uint64_t deadline = now(CLOCK_MONOTONIC) + timeout_usec;

        for (;;) {
                pid_t pid;

                do
                        pid = waitpid(-1, NULL, WNOHANG);
                while (pid > 0 || (pid < 0 && errno == EINTR));
                if (pid < 0)
                        return errno == ECHILD;

                if (now(CLOCK_MONOTONIC) >= deadline)
                        return false;
                sleep_usec(FINAL_POLL_USEC);
        }
}

/* The mount points of mountinfo, in its order. What was read before a failure is returned too:
 * better unmount those than none. */
static int read_mount_points(char ***ret) {
        _cleanup_(mountinfo_iter_done) struct mountinfo_iter it = MOUNTINFO_ITER_INIT;
        _cleanup_strv_free_ char **paths = NULL;
        struct mountinfo_entry e;
        int r;

        r = mountinfo_open(&it, NULL);
        if (r < 0)
                return r;
        while ((r = mountinfo_next(&it, &e)) > 0) {
                r = strv_extend(&paths, e.mount_point);
                if (r < 0)
                        break;
        }
        if (!paths)
                return r < 0 ? r : -ENOENT;
        *ret = TAKE_PTR(paths);
        return 0;
}

/* Unmounts every file system but / in the reverse order of mountinfo (children after their parents
 * there, so before them here), detaching busy ones. */
static void umount_all(void) {
        _cleanup_strv_free_ char **paths = NULL;
        size_t n;
        unsigned n_failed = 0;
        int r;

        /* Read whole and closed first: an open mountinfo would keep /proc busy. */
        r = read_mount_points(&paths);
        if (r < 0) {
                errno = -r;
                final_log(LOG_WARNING, "Failed to read /proc/self/mountinfo: %m");
                return;
        }

        for (n = strv_length(paths); n > 0; n--) {
                const char *p = paths[n - 1];

                if (streq(p, "/"))
                        continue;
                if (umount2(p, UMOUNT_NOFOLLOW) >= 0)
                        continue;
                if (errno == EBUSY && umount2(p, UMOUNT_NOFOLLOW | MNT_DETACH) >= 0)
                        continue;
                /* Gone already with a detached parent, or an overmount below one: not worth a line. */
                if (errno == EINVAL || errno == ENOENT)
                        continue;
                n_failed++;
        }
        if (n_failed > 0)
                final_log(LOG_WARNING, "Could not unmount %u file system(s).", n_failed);
}

_Noreturn void pid1_final(int how) {
        const char *verb;

        if (getpid() != 1)
                _exit(EXIT_FAILURE);

        /* RB_HALT_SYSTEM does not fit in an int: the cast gives back the value callers pass. */
        if (how == RB_AUTOBOOT)
                verb = "reboot";
        else if (how == (int) RB_HALT_SYSTEM)
                verb = "halt";
        else {
                how = RB_POWER_OFF;
                verb = "power off";
        }

        final_log(LOG_INFO, "Sending SIGTERM to remaining processes.");
        (void) kill(-1, SIGTERM);
        (void) kill(-1, SIGCONT); /* a stopped process would not see the SIGTERM */

        if (!reap_all(FINAL_TERM_TIMEOUT_USEC)) {
                final_log(LOG_INFO, "Sending SIGKILL to remaining processes.");
                (void) kill(-1, SIGKILL);
                if (!reap_all(FINAL_KILL_TIMEOUT_USEC))
                        final_log(LOG_WARNING, "Some processes are still there, going on.");
        }

        sync();
        /* PID 1 of a container's pid namespace shares its file systems with the host: a remount of
         * "/" read-only would hit the host's root. There reboot() only ends the namespace. */
        if (in_initial_pid_namespace()) {
                final_log(LOG_INFO, "Unmounting file systems.");
                umount_all();
                if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
                        final_log(LOG_WARNING, "Failed to remount / read-only: %m");
                sync();
        }

        final_log(LOG_INFO, "Going to %s.", verb);
        (void) reboot(how);

        final_log(LOG_CRIT, "Failed to %s, waiting forever: %m", verb);
        for (;;)
                (void) pause();
}
