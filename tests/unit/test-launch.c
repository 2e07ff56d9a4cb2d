/* SPDX-License-Identifier: MIT */

/* The launcher against the real kernel: needs root, a static payload ($SUP_PAYLOAD) and the
 * source tree ($SUP_SOURCE_ROOT, for tests/rootfs/build-rootfs.sh); skips (77) otherwise. Builds
 * a busybox rootfs in a temporary directory, launches `payload ...` in containers configured from
 * unit-file text, and checks what the payload reports from the inside, the exit status, the
 * set-up error messages, and that nothing leaked: mounts, fds, zombies. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "launch.h"
#include "macro.h"
#include "string-util.h"
#include "tap.h"
#include "units.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define TIMEOUT_MS 10000

static char tmpdir[] = "/tmp/test-launch-XXXXXX";
static char rootfs[PATH_MAX];

/* ---- running a unit ---------------------------------------------------------------------------- */

struct run_opts {
        int cgroup_fd; /* 0 means none here (tests never pass fd 0) */
        int (*attach)(void *userdata, pid_t pid);
        struct id_map uid_map;
        char *const *extra_env;
        int keep_fd;
        int stdin_fd; /* 0 means none here */
        /* Once this text is in the output: call on_ready (if set), else send ready_signal. */
        const char *wait_for;
        int ready_signal;
        void (*on_ready)(pid_t pid, int pidfd, const char *out);
};

struct run {
        int spawn; /* launch_spawn() */
        int finish; /* launch_finish(): 1, or -errno */
        char *message; /* launch_error_format() when spawn or finish failed */
        char *out; /* stdout and stderr (the same pipe) */
        int status; /* exit code, 128+N for signal N, -1 when unknown */
        pid_t pid;
        int reported; /* launch_exit_status(): 1 when the init reported the payload's wait status */
        int report_code, report_status;
};

static void run_done(struct run *r) {
        free(r->message);
        free(r->out);
        *r = (struct run) {};
}

static void append(char **buf, size_t *len, const char *p, size_t n) {
        char *b = realloc(*buf, *len + n + 1);

        if (!b)
                abort();
        memcpy(b + *len, p, n);
        *len += n;
        b[*len] = '\0';
        *buf = b;
}

/* Reads what is there; returns false at EOF. */
static bool drain(int fd, char **buf, size_t *len) {
        char tmp[4096];
        ssize_t n;

        n = read(fd, tmp, sizeof(tmp));
        if (n < 0)
                return errno == EAGAIN || errno == EINTR;
        if (n == 0)
                return false;
        append(buf, len, tmp, (size_t) n);
        return true;
}

static void unit_dirs(const char *name, char *unit_dir, char *overlay_dir) {
        snprintf(unit_dir, PATH_MAX, "%s/units", tmpdir);
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                abort();
        snprintf(unit_dir, PATH_MAX, "%s/units/%s", tmpdir, name);
        if (mkdir(unit_dir, 0755) < 0 && errno != EEXIST)
                abort();
        snprintf(overlay_dir, PATH_MAX, "%s/overlay/%s", tmpdir, name);
        /* Overlay=persistent: the manager makes these (unit-start.c); no user namespace here. */
        for (size_t i = 0; i < 2; i++) {
                _cleanup_free_ char *sub = strprintf("%s/%s", overlay_dir, i == 0 ? "upper" : "work");

                if (!sub || mkdir_p(sub, 0755) < 0)
                        abort();
        }
}

/* sup-init in its sealed memfd, made once as supd does. */
static int init_memfd = -EBADF;

/* Parses TEXT (a printf format; %s-free texts are fine) as NAME.unit and runs it to completion. */
_printf_(3, 5) static void run_unit(const char *name, const struct run_opts *o, const char *fmt,
                                    struct run *ret, ...) {
        static const struct run_opts none = { .keep_fd = -EBADF };
        _cleanup_free_ char *text = NULL;
        struct unit_diag *diags = NULL;
        size_t n_diags = 0, len = 0;
        struct unit_config *c = NULL;
        char unit_dir[PATH_MAX], overlay_dir[PATH_MAX];
        _cleanup_close_pair_ int out[2] = { -EBADF, -EBADF };
        struct launch_child child = { .pidfd = -EBADF, .sync_fd = -EBADF };
        struct launch_error err = {};
        bool ready = false, eof = false;
        va_list ap;
        int r;

        if (!o)
                o = &none;
        *ret = (struct run) { .status = -1, .finish = 0 };
        ret->out = strdup("");

        va_start(ap, ret);
        r = vasprintf(&text, fmt, ap);
        va_end(ap);
        if (r < 0)
                abort();

        r = unit_config_parse_string("test.unit", name, text, &diags, &n_diags, &c);
        if (r < 0 || c->load_state != UNIT_LOADED) {
                for (size_t i = 0; i < n_diags; i++) {
                        _cleanup_free_ char *d = unit_diag_format(&diags[i]);
                        diag("parse: %s", d);
                }
                ret->spawn = -EINVAL;
                goto finish;
        }

        unit_dirs(name, unit_dir, overlay_dir);
        if (pipe2(out, O_CLOEXEC) < 0)
                abort();

        struct launch_request req = {
                .config = c,
                .init_fd = init_memfd,
                .cgroup_fd = o->cgroup_fd > 0 ? o->cgroup_fd : -EBADF,
                .attach = o->attach,
                .stdin_fd = o->stdin_fd > 0 ? o->stdin_fd : -EBADF,
                .stdout_fd = out[1],
                .stderr_fd = out[1],
                .unit_dir = unit_dir,
                .overlay_dir = overlay_dir,
                .uid_map = o->uid_map,
                .extra_env = o->extra_env,
                .keep_fd = o->keep_fd,
        };

        ret->spawn = launch_spawn(&req, &child, &err);
        if (ret->spawn < 0) {
                ret->message = launch_error_format(&err, c);
                goto finish;
        }
        ret->pid = child.pid;
        out[1] = safe_close(out[1]);
        (void) fcntl(out[0], F_SETFL, O_NONBLOCK);

        /* The outcome first (as the event loop would), reading output meanwhile. */
        while (ret->finish == 0 || !eof) {
                struct pollfd p[2] = {
                        { .fd = ret->finish == 0 ? child.sync_fd : -1, .events = POLLIN },
                        { .fd = eof ? -1 : out[0], .events = POLLIN },
                };

                r = poll(p, 2, TIMEOUT_MS);
                if (r == 0) {
                        diag("timeout; output so far:\n%s", ret->out);
                        (void) syscall(SYS_pidfd_send_signal, child.pidfd, SIGKILL, NULL, 0);
                        break;
                }
                if (p[0].revents) {
                        ret->finish = launch_finish(child.sync_fd, &err);
                        if (ret->finish < 0)
                                ret->message = launch_error_format(&err, c);
                }
                if (p[1].revents && !drain(out[0], &ret->out, &len))
                        eof = true;
                if (!ready && o->wait_for && strstr(ret->out, o->wait_for)) {
                        ready = true;
                        if (o->on_ready)
                                o->on_ready(child.pid, child.pidfd, ret->out);
                        else
                                (void) syscall(SYS_pidfd_send_signal, child.pidfd, o->ready_signal, NULL, 0);
                }
        }

        {
                siginfo_t si = {};

                if (waitid((idtype_t) P_PIDFD, (id_t) child.pidfd, &si, WEXITED) >= 0)
                        ret->status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
                if (ret->finish > 0)
                        ret->reported = launch_exit_status(child.sync_fd, &ret->report_code, &ret->report_status);
        }

finish:
        child.pidfd = safe_close(child.pidfd);
        child.sync_fd = safe_close(child.sync_fd);
        unit_config_free(c);
        unit_diags_free(diags, n_diags);
}

/* The value of "KEY=" in the payload's output (first match), in one of a few rotating buffers. */
static const char *get(const struct run *r, const char *key) {
        static char bufs[8][1024];
        static unsigned k;
        size_t kl = strlen(key);

        for (const char *p = r->out; p && *p;) {
                const char *nl = strchrnul(p, '\n');

                if ((size_t) (nl - p) > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
                        char *b = bufs[k++ % ELEMENTSOF(bufs)];
                        size_t l = (size_t) (nl - p) - kl - 1;

                        if (l >= sizeof(bufs[0]))
                                l = sizeof(bufs[0]) - 1;
                        memcpy(b, p + kl + 1, l);
                        b[l] = '\0';
                        return b;
                }
                p = *nl ? nl + 1 : nl;
        }
        return NULL;
}

static bool has_line(const struct run *r, const char *line) {
        size_t l = strlen(line);

        for (const char *p = r->out; p && *p;) {
                const char *nl = strchrnul(p, '\n');

                if ((size_t) (nl - p) == l && strncmp(p, line, l) == 0)
                        return true;
                p = *nl ? nl + 1 : nl;
        }
        return false;
}

/* ---- the host's view ----------------------------------------------------------------------------- */

static const char *host_ns(const char *ns) {
        static char bufs[8][32];
        static unsigned k;
        char p[64];
        struct stat st;
        char *b = bufs[k++ % ELEMENTSOF(bufs)];

        snprintf(p, sizeof(p), "/proc/self/ns/%s", ns);
        if (stat(p, &st) < 0)
                return "error";
        snprintf(b, sizeof(bufs[0]), "%ju", (uintmax_t) st.st_ino);
        return b;
}

/* Our mounts, without nsfs ones: other jobs on this host bind network namespaces on
 * /run/netns/NAME, and their unlink(2) there detaches our copy too (Linux >= 3.18). The launcher
 * never mounts nsfs. */
static unsigned count_mounts(void) {
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        unsigned c = 0;
        FILE *f;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return 0;
        while (getline(&line, &n, f) > 0)
                if (!strstr(line, " - nsfs "))
                        c++;
        fclose(f);
        return c;
}

static unsigned count_fds(void) {
        struct dirent *de;
        unsigned c = 0;
        DIR *d;

        d = opendir("/proc/self/fd");
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        c++;
        closedir(d);
        return c - 1; /* the directory's own fd */
}

/* Mounts whose mount point is DIR or below it. */
static unsigned mounts_below(const char *dir) {
        _cleanup_free_ char *line = NULL;
        size_t n = 0, l = strlen(dir);
        unsigned c = 0;
        FILE *f;

        f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return UINT_MAX;
        while (getline(&line, &n, f) > 0) {
                char mp[PATH_MAX];

                /* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... */
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, dir, l) == 0 &&
                    (mp[l] == '\0' || mp[l] == '/'))
                        c++;
        }
        fclose(f);
        return c;
}

static bool file_exists(const char *fmt, ...) _printf_(1, 2);
static bool file_exists(const char *fmt, ...) {
        _cleanup_free_ char *p = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&p, fmt, ap);
        va_end(ap);
        return r >= 0 && access(p, F_OK) == 0;
}

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

static const char *own_capbnd(void) {
        static char v[32];
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        FILE *f;

        f = fopen("/proc/self/status", "re");
        if (!f)
                return "error";
        while (getline(&line, &n, f) > 0)
                if (sscanf(line, "CapBnd: %31s", v) == 1)
                        break;
        fclose(f);
        return v;
}

/* Zombies whose pid namespace is that of PID. */
static unsigned zombies_in_pidns_of(pid_t pid) {
        char p[300], ns[64], other[64];
        struct dirent *de;
        unsigned z = 0;
        ssize_t l;
        DIR *d;

        snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int) pid);
        l = readlink(p, ns, sizeof(ns) - 1);
        if (l < 0)
                return UINT_MAX;
        ns[l] = '\0';

        d = opendir("/proc");
        if (!d)
                return UINT_MAX;
        while ((de = readdir(d))) {
                char stat_path[300], buf[512];
                const char *paren;
                ssize_t n;
                int fd;

                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                snprintf(p, sizeof(p), "/proc/%s/ns/pid", de->d_name);
                l = readlink(p, other, sizeof(other) - 1);
                if (l < 0)
                        continue;
                other[l] = '\0';
                if (!streq(ns, other))
                        continue;

                snprintf(stat_path, sizeof(stat_path), "/proc/%s/stat", de->d_name);
                fd = open(stat_path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                n = read(fd, buf, sizeof(buf) - 1);
                close(fd);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                paren = strrchr(buf, ')');
                if (paren && paren[1] == ' ' && paren[2] == 'Z')
                        z++;
        }
        closedir(d);
        return z;
}

static unsigned zombies_seen = UINT_MAX;

static void on_orphans(pid_t pid, int pidfd, const char *out) {
        const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

        /* The init reaps on its own schedule: give it up to 2 s to get to zero. */
        for (int i = 0; i < 200; i++) {
                zombies_seen = zombies_in_pidns_of(pid);
                if (zombies_seen == 0)
                        break;
                nanosleep(&tick, NULL);
        }
        (void) syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
}

/* ---- cgroups -------------------------------------------------------------------------------------- */

#define CGROUP2_MAGIC 0x63677270
#define CGROUP1_MAGIC 0x27e0eb

static char cg_v2_dir[PATH_MAX], cg_pids_dir[PATH_MAX];
static pid_t attached_pid;

/* Our own path in the hierarchy that /proc/self/cgroup lists as "ID:CONTROLLERS:PATH". */
static bool own_cgroup(const char *controllers, char *ret, size_t size) {
        _cleanup_free_ char *line = NULL;
        size_t n = 0;
        bool found = false;
        FILE *f;

        f = fopen("/proc/self/cgroup", "re");
        if (!f)
                return false;
        while (!found && getline(&line, &n, f) > 0) {
                char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;

                if (!b || (size_t) (b - a - 1) != strlen(controllers) ||
                    strncmp(a + 1, controllers, (size_t) (b - a - 1)))
                        continue;
                b[1 + strcspn(b + 1, "\n")] = '\0';
                snprintf(ret, size, "%s", streq(b + 1, "/") ? "" : b + 1);
                found = true;
        }
        fclose(f);
        return found;
}

static bool is_fs(const char *path, long magic) {
        struct statfs sf;

        return statfs(path, &sf) == 0 && (long) sf.f_type == magic;
}

/* A v2 group (for CLONE_INTO_CGROUP) and, on hybrid hosts, a v1 pids group (for attach). */
static int cg_setup(void) {
        const char *v2 = is_fs("/sys/fs/cgroup/unified", CGROUP2_MAGIC) ? "/sys/fs/cgroup/unified"
                         : is_fs("/sys/fs/cgroup", CGROUP2_MAGIC)       ? "/sys/fs/cgroup"
                                                                        : NULL;
        char own[PATH_MAX / 2];
        int fd;

        if (!v2 || !own_cgroup("", own, sizeof(own)))
                return -EOPNOTSUPP;
        snprintf(cg_v2_dir, sizeof(cg_v2_dir), "%s%s/test-launch-%d", v2, own, (int) getpid());
        if (mkdir(cg_v2_dir, 0755) < 0) {
                cg_v2_dir[0] = '\0';
                return -errno;
        }
        fd = open(cg_v2_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (is_fs("/sys/fs/cgroup/pids", CGROUP1_MAGIC) && own_cgroup("pids", own, sizeof(own))) {
                snprintf(cg_pids_dir, sizeof(cg_pids_dir), "/sys/fs/cgroup/pids%s/test-launch-%d", own,
                         (int) getpid());
                if (mkdir(cg_pids_dir, 0755) < 0)
                        cg_pids_dir[0] = '\0';
        }
        return fd;
}

static void cg_cleanup(void) {
        if (cg_v2_dir[0] && rmdir(cg_v2_dir) < 0)
                diag("rmdir %s: %m", cg_v2_dir);
        if (cg_pids_dir[0] && rmdir(cg_pids_dir) < 0)
                diag("rmdir %s: %m", cg_pids_dir);
}

static int attach_pids(void *userdata, pid_t pid) {
        char p[PATH_MAX + 16], buf[16];
        int fd, l;

        attached_pid = pid;
        snprintf(p, sizeof(p), "%s/cgroup.procs", cg_pids_dir);
        fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        l = snprintf(buf, sizeof(buf), "%d", (int) pid);
        if (write(fd, buf, (size_t) l) != l) {
                close(fd);
                return -errno;
        }
        close(fd);
        return 0;
}

static int attach_fails(void *userdata, pid_t pid) {
        attached_pid = pid;
        return -EPERM;
}

/* The entry of the payload's "cgroup=" line for CONTROLLERS ("" for v2), e.g. "/" */
static const char *cgroup_entry(const struct run *r, const char *controllers) {
        static char v[PATH_MAX];
        const char *line = get(r, "cgroup");
        char want[64];

        if (!line)
                return NULL;
        snprintf(want, sizeof(want), ":%s:", controllers);
        for (const char *p = line; *p;) {
                size_t l = strcspn(p, ";");
                const char *a = strchr(p, ':');

                if (a && a < p + l && strncmp(a, want, strlen(want)) == 0) {
                        size_t off = (size_t) (a - p) + strlen(want);
                        snprintf(v, sizeof(v), "%.*s", (int) (l - off), p + off);
                        return v;
                }
                p += l + (p[l] == ';');
        }
        return NULL;
}

/* In a forked helper, under a seccomp filter that fails clone3() with ERROR (only the 88-byte,
 * CLONE_INTO_CGROUP-sized call when ONLY_V2_SIZE): the launcher's fallbacks of older kernels.
 * Returns the helper's one-line summary "finish status v2-entry". */
static int run_without_clone3(int error, bool only_v2_size, int cgroup_fd, const char *extra, char *ret,
                              size_t size) {
#if defined(__x86_64__)
        struct sock_filter f[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 1, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, only_v2_size ? 88 : 0xffffffffU, 1, 0),
                BPF_STMT(BPF_RET | BPF_K,
                         only_v2_size ? SECCOMP_RET_ALLOW : SECCOMP_RET_ERRNO | (uint32_t) error),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (uint32_t) error),
        };
        struct sock_fprog prog = { .len = ELEMENTSOF(f), .filter = f };
        _cleanup_close_pair_ int p[2] = { -EBADF, -EBADF };
        siginfo_t si = {};
        ssize_t n;
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct run_opts o = { .keep_fd = -EBADF, .cgroup_fd = cgroup_fd };
                struct run r;
                char line[PATH_MAX];
                int l;

                if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                        _exit(2);
                run_unit("noclone3", &o, "[Container]\nExec=/bin/payload report\nRootFS=%s\n%s", &r, rootfs,
                         extra);
                l = snprintf(line, sizeof(line), "%d %d %s", r.finish, r.status,
                             strempty(cgroup_entry(&r, "")));
                _exit(write(p[1], line, (size_t) l) == l ? 0 : 3);
        }
        p[1] = safe_close(p[1]);
        n = read(p[0], ret, size - 1);
        ret[n > 0 ? n : 0] = '\0';
        (void) waitid(P_PID, (id_t) pid, &si, WEXITED);
        return si.si_code == CLD_EXITED && si.si_status == 0 ? 0 : -EIO;
#else
        return -EOPNOTSUPP;
#endif
}

/* ---- tests ---------------------------------------------------------------------------------------- */

static void test_strings(void) {
        struct unit_config *c = NULL;
        struct unit_diag *diags = NULL;
        size_t n_diags = 0;
        bool all = true;

        for (int s = 0; s < _LAUNCH_STEP_MAX; s++)
                if (!launch_step_to_string((enum launch_step) s))
                        all = false;
        ok(all && !launch_step_to_string(_LAUNCH_STEP_MAX), "every step has a name");

        if (unit_config_parse_string(
                    "t.unit", "web",
                    "[Container]\nExec=/usr/sbin/nginx -g \"daemon off;\"\nRootFS=/srv/web\n"
                    "Bind=/host/x:/y:ro\nTmpfs=/tmp\nUser=www\nWorkingDirectory=/var/www\n",
                    &diags, &n_diags, &c) < 0 ||
            c->load_state != UNIT_LOADED) {
                ok(0, "parse the message test unit");
                return;
        }

        static const struct {
                struct launch_error e;
                const char *want;
        } t[] = {
                { { LAUNCH_STEP_ROOTFS, -1, ENOENT },
                  "pivot_root into /srv/web: No such file or directory" },
                { { LAUNCH_STEP_PIVOT, -1, EINVAL }, "pivot_root into /srv/web: Invalid argument" },
                { { LAUNCH_STEP_BIND, 0, EPERM },
                  "bind mount /host/x on /y read-only: Operation not permitted" },
                { { LAUNCH_STEP_TMPFS, 0, ENOMEM }, "tmpfs on /tmp: Cannot allocate memory" },
                { { LAUNCH_STEP_USER, 0, ESRCH }, "user \"www\" not found in /etc/passwd" },
                { { LAUNCH_STEP_USER, 0, EACCES },
                  "look up user \"www\" in /etc/passwd: Permission denied" },
                { { LAUNCH_STEP_USER, 0, EBADFD }, "look up user \"www\" in /etc/passwd: not a regular file" },
                { { LAUNCH_STEP_CHDIR, -1, ENOENT }, "chdir /var/www: No such file or directory" },
                { { LAUNCH_STEP_EXEC, -1, ENOENT }, "exec /usr/sbin/nginx: No such file or directory" },
                { { LAUNCH_STEP_PROC, -1, EPERM }, "set up /proc: Operation not permitted" },
                { { LAUNCH_STEP_DEV, 2, EPERM }, "set up /dev/zero: Operation not permitted" },
                /* launch_security_paths[3], [15], [17] */
                { { LAUNCH_STEP_SECURITY_MOUNTS, 3, ENODEV }, "mask /proc/kcore: No such device" },
                { { LAUNCH_STEP_SECURITY_MOUNTS, 15, EPERM }, "make /proc/sys read-only: Operation not permitted" },
                { { LAUNCH_STEP_SECURITY_MOUNTS, 17, EROFS }, "make /sys read-only: Read-only file system" },
                { { LAUNCH_STEP_OVERLAY, -1, EINVAL }, "mount overlay on /srv/web: Invalid argument" },
                { { LAUNCH_STEP_SYNC, 2, EPERM }, "write uid_map: Operation not permitted" },
                { { LAUNCH_STEP_SYNC, 3, EPERM }, "write gid_map: Operation not permitted" },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *m = launch_error_format(&t[i].e, c);
                is_str(m, t[i].want, t[i].want);
        }

        unit_config_free(c);
        unit_diags_free(diags, n_diags);
}

static void test_basic(void) {
        struct stat st;
        char ino[32];
        struct run r;

        if (stat(rootfs, &st) < 0)
                abort();
        snprintf(ino, sizeof(ino), "%ju", (uintmax_t) st.st_ino);

        run_unit("basic", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nHostname=box1\nInit=no\n",
                 &r, rootfs);
        is_int(r.spawn, 0, "basic: launch_spawn");
        is_int(r.finish, 1, "basic: launch_finish says exec'd");
        is_int(r.status, 0, "basic: exit 0");
        is_str(get(&r, "pid"), "1", "basic: pid 1 in its pid namespace");
        is_str(get(&r, "hostname"), "box1", "basic: hostname");
        is_str(get(&r, "rootino"), ino, "basic: the root is RootFS");
        is_str(get(&r, "fds"), "0,1,2", "basic: only fds 0, 1, 2");
        is_str(get(&r, "uid"), "0", "basic: uid 0");
        is_str(get(&r, "cwd"), "/", "basic: cwd /");
        is_str(get(&r, "capbnd"), "00000000a80425fb", "basic: default bounding set");
        is_str(get(&r, "capeff"), "00000000a80425fb", "basic: root's effective set is the bounding set");
        is_str(get(&r, "nonewprivs"), "1", "basic: no_new_privs");
        is_str(get(&r, "env_PATH"), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "basic: default PATH");
        is_str(get(&r, "proc"), "present", "basic: /proc");
        static const char *const private[] = { "pid", "mnt", "ipc", "uts", "net", "cgroup" };
        static const char *const shared[] = { "user", "time" };
        for (size_t i = 0; i < ELEMENTSOF(private); i++) {
                char key[32];
                snprintf(key, sizeof(key), "ns_%s", private[i]);
                ok(get(&r, key) && !streq(get(&r, key), host_ns(private[i])), "basic: private %s namespace",
                   private[i]);
        }
        for (size_t i = 0; i < ELEMENTSOF(shared); i++) {
                char key[32];
                snprintf(key, sizeof(key), "ns_%s", shared[i]);
                char name[64];
                snprintf(key, sizeof(key), "ns_%s", shared[i]);
                snprintf(name, sizeof(name), "basic: shared %s namespace", shared[i]);
                is_str(get(&r, key), host_ns(shared[i]), name);
        }
        run_done(&r);
}

static void test_shared_namespaces(void) {
        char host[256] = {};
        struct run r;

        (void) gethostname(host, sizeof(host) - 1);
        run_unit("shared", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nNamespaces=mnt time\n",
                 &r, rootfs);
        is_int(r.finish, 1, "shared: exec'd");
        is_str(get(&r, "ns_pid"), host_ns("pid"), "shared: host pid namespace");
        is_str(get(&r, "ns_net"), host_ns("net"), "shared: host net namespace");
        is_str(get(&r, "hostname"), host, "shared: host's hostname");
        ok(get(&r, "ns_time") && !streq(get(&r, "ns_time"), host_ns("time")),
           "shared: private time namespace");
        ok(get(&r, "pid") && !streq(get(&r, "pid"), "1"), "shared: no init, not pid 1");
        run_done(&r);
}

static void test_no_rootfs(void) {
        struct stat st;
        char ino[32];
        struct run r;

        if (stat("/", &st) < 0)
                abort();
        snprintf(ino, sizeof(ino), "%ju", (uintmax_t) st.st_ino);

        run_unit("norootfs", NULL, "[Container]\nExec=%s report\nNamespaces=pid mnt\nInit=no\n", &r,
                 getenv("SUP_PAYLOAD"));
        is_int(r.finish, 1, "no RootFS: exec'd");
        is_str(get(&r, "pid"), "1", "no RootFS: pid 1");
        is_str(get(&r, "rootino"), ino, "no RootFS: the host's root");
        is_str(get(&r, "proc"), "present", "no RootFS: a /proc of the pid namespace");
        ok(get(&r, "ns_mnt") && !streq(get(&r, "ns_mnt"), host_ns("mnt")),
           "no RootFS: private mnt namespace");
        run_done(&r);
}

static void test_init(void) {
        struct run r;

        run_unit("init", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\n", &r, rootfs);
        is_int(r.finish, 1, "init: exec'd");
        is_str(get(&r, "pid"), "2", "init: the payload is pid 2");
        is_str(get(&r, "ppid"), "1", "init: under the init");
        is_str(get(&r, "fds"), "0,1,2", "init: payload has only fds 0, 1, 2");
        is_int(r.status, 0, "init: exit 0");
        run_done(&r);

        run_unit("init", NULL, "[Container]\nExec=/bin/payload exit 7\nRootFS=%s\n", &r, rootfs);
        is_int(r.status, 7, "init: exit status 7 comes back");
        run_done(&r);

        run_unit("init", NULL, "[Container]\nExec=/bin/payload crash\nRootFS=%s\n", &r, rootfs);
        is_int(r.status, 128 + SIGSEGV, "init: death by SIGSEGV comes back as 139");
        is_int(r.reported, 1, "init: reports the payload's wait status");
        ok(r.report_code == CLD_KILLED || r.report_code == CLD_DUMPED, "init: ... as killed by a signal");
        is_int(r.report_status, SIGSEGV, "init: ... SIGSEGV");
        run_done(&r);

        struct run_opts term = { .keep_fd = -EBADF, .wait_for = "sleeping", .ready_signal = SIGTERM };
        run_unit("init", &term, "[Container]\nExec=/bin/payload sleep 1000\nRootFS=%s\n", &r, rootfs);
        is_int(r.status, 128 + SIGTERM, "init: SIGTERM forwarded, payload's death comes back as 143");
        run_done(&r);

        run_unit("init", NULL, "[Container]\nExec=/bin/payload orphans 50 --exit\nRootFS=%s\n", &r, rootfs);
        ok(has_line(&r, "orphans=50"), "init: orphans made");
        is_int(r.status, 0, "init: orphans, payload exit 0");
        run_done(&r);

        struct run_opts orphans = { .keep_fd = -EBADF, .wait_for = "orphans=50", .on_ready = on_orphans };
        run_unit("init", &orphans, "[Container]\nExec=/bin/payload orphans 50\nRootFS=%s\n", &r, rootfs);
        is_int(zombies_seen, 0, "init: no zombies left in the container");
        is_int(r.status, 128 + SIGTERM, "init: stopped by SIGTERM");
        run_done(&r);

        run_unit("subreaper", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nNamespaces=mnt uts ipc net\nInit=yes\n",
                 &r, rootfs);
        char want[32];
        snprintf(want, sizeof(want), "%d", (int) r.pid);
        is_str(get(&r, "ppid"), want, "init without pid namespace: payload under the init");
        is_int(r.status, 0, "init without pid namespace: exit 0");
        run_done(&r);
}

static void test_errors(void) {
        struct run r;

        run_unit("missing", NULL, "[Container]\nExec=/bin/payload report\nRootFS=/nonexistent\n", &r);
        is_int(r.spawn, 0, "missing RootFS: spawned");
        is_int(r.finish, -ENOENT, "missing RootFS: -ENOENT");
        is_str(r.message, "pivot_root into /nonexistent: No such file or directory",
               "missing RootFS: message");
        is_int(r.status, 127, "missing RootFS: child exits 127");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/bin/nope\nRootFS=%s\nInit=no\n", &r, rootfs);
        is_int(r.finish, -ENOENT, "missing Exec: -ENOENT");
        is_str(r.message, "exec /bin/nope: No such file or directory", "missing Exec: message");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/bin/nope\nRootFS=%s\n", &r, rootfs);
        is_str(r.message, "exec /bin/nope: No such file or directory", "missing Exec under init: message");
        is_int(r.status, 127, "missing Exec under init: init exits 127");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=nope-command\nRootFS=%s\n", &r, rootfs);
        is_str(r.message, "exec nope-command: No such file or directory", "missing Exec in PATH: message");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/etc/passwd\nRootFS=%s\n", &r, rootfs);
        is_str(r.message, "exec /etc/passwd: Permission denied", "Exec not executable: message");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nUser=www\n", &r,
                 rootfs);
        is_int(r.finish, -ESRCH, "unknown user: -ESRCH");
        is_str(r.message, "user \"www\" not found in /etc/passwd", "unknown user: message");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nGroup=wheel\n", &r,
                 rootfs);
        is_str(r.message, "group \"wheel\" not found in /etc/group", "unknown group: message");
        run_done(&r);

        run_unit("missing", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nWorkingDirectory=/nowhere\n", &r,
                 rootfs);
        is_str(r.message, "chdir /nowhere: No such file or directory", "missing WorkingDirectory: message");
        run_done(&r);

        run_unit("missing", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nBind=/nonexistent:/x\n",
                 &r, rootfs);
        is_str(r.message, "bind mount /nonexistent on /x: No such file or directory",
               "missing Bind source: message");
        run_done(&r);

        run_unit("missing", NULL,
                 "[Container]\nExec=/bin/payload "
                 "report\nRootFS=%s\nOverlay=ephemeral\nLayers=/nonexistent-layer\n",
                 &r, rootfs);
        is_str(r.message, "layer /nonexistent-layer: No such file or directory", "missing layer: message");
        run_done(&r);
}

static void test_user(void) {
        char group_file[PATH_MAX];
        struct run r;

        run_unit("user", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUser=app\nWorkingDirectory=/home/app\n",
                 &r, rootfs);
        is_int(r.finish, 1, "User=app: exec'd");
        is_str(get(&r, "uid"), "1000", "User=app: uid");
        is_str(get(&r, "gid"), "1000", "User=app: primary gid");
        is_str(get(&r, "groups"), "", "User=app: no supplementary groups");
        is_str(get(&r, "capeff"), "0000000000000000", "User=app: no effective capabilities");
        is_str(get(&r, "capbnd"), "00000000a80425fb", "User=app: bounding set");
        is_str(get(&r, "cwd"), "/home/app", "User=app: WorkingDirectory");
        run_done(&r);

        run_unit("user", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUser=1000\nGroup=nogroup\n", &r, rootfs);
        is_str(get(&r, "uid"), "1000", "User=1000: uid");
        is_str(get(&r, "gid"), "65534", "Group=nogroup: gid");
        run_done(&r);

        run_unit("user", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nUser=4242\nGroup=4343\n",
                 &r, rootfs);
        is_str(get(&r, "uid"), "4242", "User=4242 (not in passwd): uid");
        is_str(get(&r, "gid"), "4343", "Group=4343: gid");
        run_done(&r);

        /* Supplementary groups, from an /etc/group bind-mounted over the image's (a file bind). */
        snprintf(group_file, sizeof(group_file), "%s/group", tmpdir);
        write_file(group_file, "root:x:0:\napp:x:1000:\nextra:x:2000:root,app\nother:x:2001:nobody\n"
                               "more:x:2002:app\n");
        run_unit("user", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUser=app\nBind=%s:/etc/group:ro\n", &r,
                 rootfs, group_file);
        is_int(r.finish, 1, "supplementary groups: exec'd");
        is_str(get(&r, "groups"), "2000,2002", "supplementary groups from /etc/group");
        run_done(&r);
}

static void test_security(void) {
        struct run r;

        run_unit("caps", NULL,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nCapabilities=\nCapabilities=CAP_KILL "
                 "CAP_NET_ADMIN\n"
                 "NoNewPrivileges=no\n",
                 &r, rootfs);
        is_str(get(&r, "capbnd"), "0000000000001020", "Capabilities=: bounding set");
        is_str(get(&r, "capeff"), "0000000000001020", "Capabilities=: effective set");
        is_str(get(&r, "nonewprivs"), "0", "NoNewPrivileges=no");
        run_done(&r);

        /* all: as much as we have ourselves (our bounding set may lack some). */
        run_unit("caps", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nCapabilities=all\n", &r,
                 rootfs);
        is_str(get(&r, "capbnd"), own_capbnd(), "Capabilities=all: our own bounding set");
        is_str(get(&r, "capeff"), own_capbnd(), "Capabilities=all: effective set");
        run_done(&r);

        run_unit("caps", NULL, "[Container]\nExec=/bin/payload report\nRootFS=%s\nCapabilities=\n", &r,
                 rootfs);
        is_str(get(&r, "capbnd"), "0000000000000000", "Capabilities= (empty): no capability");
        is_int(r.status, 0, "Capabilities= (empty): still runs");
        run_done(&r);
}

static void test_env_fds(void) {
        char *const extra[] = { (char *) "NOTIFY_SOCKET=/run/notify", (char *) "BAR=extra", NULL };
        int p[2];
        struct run r;

        if (pipe2(p, O_CLOEXEC) < 0)
                abort();
        struct run_opts o = { .extra_env = extra, .keep_fd = p[0] };
        run_unit("env", &o,
                 "[Container]\nExec=/bin/payload "
                 "report\nRootFS=%s\nEnvironment=FOO=bar\nEnvironment=BAR=baz\n",
                 &r, rootfs);
        is_str(get(&r, "env_FOO"), "bar", "Environment=");
        is_str(get(&r, "env_BAR"), "extra", "extra_env wins over Environment=");
        is_str(get(&r, "env_NOTIFY_SOCKET"), "/run/notify", "extra_env");
        is_str(get(&r, "fds"), "0,1,2,3", "keep_fd is fd 3");
        run_done(&r);
        close(p[0]);
        close(p[1]);

        /* stdin from the caller: a pipe with some text, read back by cat. */
        if (pipe2(p, O_CLOEXEC) < 0 || write(p[1], "via-stdin", 9) != 9)
                abort();
        p[1] = safe_close(p[1]);
        struct run_opts in = { .keep_fd = -EBADF, .stdin_fd = p[0] };
        run_unit("env", &in, "[Container]\nExec=/bin/payload cat /dev/stdin\nRootFS=%s\n", &r, rootfs);
        ok(r.out && streq(r.out, "via-stdin"), "stdin_fd is the payload's stdin");
        run_done(&r);
        close(p[0]);

        /* Without stdin_fd: the container's /dev/null. */
        run_unit("env", NULL, "[Container]\nExec=/bin/payload cat /dev/stdin\nRootFS=%s\n", &r, rootfs);
        ok(r.out && streq(r.out, "") && r.status == 0, "no stdin_fd: /dev/null");
        run_done(&r);
}

static void test_dev(void) {
        struct run r;

        run_unit("dev", NULL,
                 "[Container]\nExec=/bin/payload write-file /dev/stdout hello-from-dev-stdout\nRootFS=%s\n",
                 &r, rootfs);
        ok(r.out && strstr(r.out, "hello-from-dev-stdout"), "/dev/stdout is the log pipe");
        run_done(&r);

        run_unit("dev", NULL, "[Container]\nExec=/bin/payload write-file /dev/null x\nRootFS=%s\n", &r,
                 rootfs);
        is_str(get(&r, "written"), "1", "/dev/null is writable");
        run_done(&r);

        run_unit("dev", NULL, "[Container]\nExec=/bin/payload cat /proc/self/mountinfo\nRootFS=%s\n", &r,
                 rootfs);
        ok(r.out && strstr(r.out, " /dev/pts ") && strstr(r.out, " - devpts "), "devpts on /dev/pts");
        ok(r.out && strstr(r.out, " /dev/shm ") != NULL, "/dev/shm");
        ok(r.out && strstr(r.out, " /sys ro,") != NULL, "/sys read-only");
        ok(r.out && strstr(r.out, " /dev/null ") != NULL, "/dev/null bind-mounted");
        ok(r.out && strstr(r.out, " /proc ") && strstr(r.out, " - proc proc "), "a fresh proc on /proc");
        run_done(&r);

        run_unit("dev", NULL, "[Container]\nExec=/bin/ls -l /dev\nRootFS=%s\n", &r, rootfs);
        ok(r.out && strstr(r.out, " ptmx -> pts/ptmx\n"), "/dev/ptmx -> pts/ptmx");
        ok(r.out && strstr(r.out, " fd -> /proc/self/fd\n"), "/dev/fd -> /proc/self/fd");
        ok(r.out && strstr(r.out, " stdin -> /proc/self/fd/0\n") &&
                   strstr(r.out, " stdout -> /proc/self/fd/1\n") &&
                   strstr(r.out, " stderr -> /proc/self/fd/2\n"),
           "/dev/std{in,out,err}");
        ok(r.out && strstr(r.out, " urandom\n") && strstr(r.out, " tty\n") && strstr(r.out, " full\n"),
           "/dev/urandom, tty, full");
        run_done(&r);
}

static void test_userns(void) {
        struct run_opts o = { .keep_fd = -EBADF, .uid_map = { 0, 100000, 65536 } };
        unsigned a = 0, b = 0, c = 0;
        struct run r;

        run_unit("userns", &o,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUserNamespace=0:100000:65536\n", &r,
                 rootfs);
        is_int(r.finish, 1, "userns: exec'd");
        if (r.finish < 0)
                diag("%s", strempty(r.message));
        is_str(get(&r, "uid"), "0", "userns: uid 0 inside");
        is_str(get(&r, "gid"), "0", "userns: gid 0 inside");
        ok(get(&r, "ns_user") && !streq(get(&r, "ns_user"), host_ns("user")),
           "userns: private user namespace");
        is_str(get(&r, "fds"), "0,1,2", "userns: only fds 0, 1, 2");
        run_done(&r);

        run_unit("userns", &o,
                 "[Container]\nExec=/bin/payload cat "
                 "/proc/self/uid_map\nRootFS=%s\nUserNamespace=0:100000:65536\n",
                 &r, rootfs);
        ok(r.out && sscanf(r.out, "%u %u %u", &a, &b, &c) == 3 && a == 0 && b == 100000 && c == 65536,
           "userns: /proc/self/uid_map shows 0 100000 65536");
        run_done(&r);

        run_unit("userns", &o,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUserNamespace=0:100000:65536\n"
                 "Namespaces=pid mnt ipc uts cgroup\nBind=%s:/home:ro\n",
                 &r, rootfs, tmpdir);
        is_int(r.finish, 1, "userns without net namespace (host /sys) and a read-only bind: exec'd");
        if (r.finish < 0)
                diag("%s", strempty(r.message));
        run_done(&r);

        run_unit("userns", &o,
                 "[Container]\nExec=/bin/payload write-file /tmp/x "
                 "y\nRootFS=%s\nUserNamespace=0:100000:65536\n"
                 "Overlay=ephemeral\nReadOnly=yes\nTmpfs=/tmp\n",
                 &r, rootfs);
        is_int(r.finish, 1, "userns with an ephemeral overlay, ReadOnly=, Tmpfs=: exec'd");
        if (r.finish < 0)
                diag("%s", strempty(r.message));
        is_str(get(&r, "written"), "1", "userns: write to the Tmpfs=");
        run_done(&r);
}

static void test_overlay(void) {
        char upper_file[PATH_MAX];
        struct run r;

        run_unit("eph", NULL,
                 "[Container]\nExec=/bin/payload write-file /hello x\nRootFS=%s\nOverlay=ephemeral\n", &r,
                 rootfs);
        is_int(r.finish, 1, "ephemeral: exec'd");
        is_str(get(&r, "written"), "1", "ephemeral: wrote /hello");
        ok(!file_exists("%s/hello", rootfs), "ephemeral: the lower rootfs is untouched");
        run_done(&r);

        run_unit("eph", NULL, "[Container]\nExec=/bin/payload cat /hello\nRootFS=%s\nOverlay=ephemeral\n",
                 &r, rootfs);
        is_str(get(&r, "errno"), "ENOENT", "ephemeral: /hello is gone on the next run");
        run_done(&r);

        run_unit("pers", NULL,
                 "[Container]\nExec=/bin/payload write-file /hello persistent-text\nRootFS=%s\n"
                 "Overlay=persistent\n",
                 &r, rootfs);
        is_int(r.finish, 1, "persistent: exec'd");
        snprintf(upper_file, sizeof(upper_file), "%s/overlay/pers/upper/hello", tmpdir);
        ok(access(upper_file, F_OK) == 0, "persistent: the file is in the upper dir");
        ok(!file_exists("%s/hello", rootfs), "persistent: the lower rootfs is untouched");
        run_done(&r);

        run_unit("pers", NULL, "[Container]\nExec=/bin/payload cat /hello\nRootFS=%s\nOverlay=persistent\n",
                 &r, rootfs);
        ok(r.out && streq(r.out, "persistent-text"), "persistent: the file survives into the next run");
        run_done(&r);

        /* A layer below RootFS: what the rootfs lacks shows through. */
        char layer[PATH_MAX], f[PATH_MAX + 16];
        snprintf(layer, sizeof(layer), "%s/layer", tmpdir);
        snprintf(f, sizeof(f), "%s/from-layer", layer);
        if (mkdir(layer, 0755) < 0 && errno != EEXIST)
                abort();
        write_file(f, "layer-text");
        run_unit("layers", NULL,
                 "[Container]\nExec=/bin/payload cat /from-layer\nRootFS=%s\nOverlay=ephemeral\nLayers=%s\n",
                 &r, rootfs, layer);
        ok(r.out && streq(r.out, "layer-text"), "Layers=: a lower layer shows through");
        run_done(&r);
}

static void test_mounts(void) {
        char ro[PATH_MAX], rw[PATH_MAX], f[PATH_MAX + 8];
        struct run r;

        snprintf(ro, sizeof(ro), "%s/bind-ro", tmpdir);
        snprintf(rw, sizeof(rw), "%s/bind-rw", tmpdir);
        if ((mkdir(ro, 0755) < 0 && errno != EEXIST) || (mkdir(rw, 0755) < 0 && errno != EEXIST))
                abort();

        run_unit("bind", NULL,
                 "[Container]\nExec=/bin/payload write-file /data/f x\nRootFS=%s\nOverlay=ephemeral\n"
                 "Bind=%s:/data:ro\n",
                 &r, rootfs, ro);
        is_int(r.finish, 1, "Bind=:ro: exec'd");
        is_str(get(&r, "errno"), "EROFS", "Bind=:ro: writing fails with EROFS");
        run_done(&r);

        run_unit("bind", NULL,
                 "[Container]\nExec=/bin/payload write-file /deep/er/rw/f bound\nRootFS=%s\n"
                 "Overlay=ephemeral\nBind=%s:/deep/er/rw\n",
                 &r, rootfs, rw);
        is_str(get(&r, "written"), "5", "Bind=: writable, target made");
        snprintf(f, sizeof(f), "%s/f", rw);
        ok(access(f, F_OK) == 0, "Bind=: the file is on the host");
        run_done(&r);

        /* A file onto a target that does not exist yet: an empty file is made to mount on. */
        snprintf(f, sizeof(f), "%s/hostfile", tmpdir);
        write_file(f, "file-bind-text");
        run_unit("bind", NULL,
                 "[Container]\nExec=/bin/payload cat /new/dir/file\nRootFS=%s\nOverlay=ephemeral\n"
                 "Bind=%s:/new/dir/file:ro\n",
                 &r, rootfs, f);
        ok(r.out && streq(r.out, "file-bind-text"), "Bind= of a file onto a missing target");
        run_done(&r);

        run_unit("ro", NULL, "[Container]\nExec=/bin/payload write-file /x y\nRootFS=%s\nReadOnly=yes\n", &r,
                 rootfs);
        is_int(r.finish, 1, "ReadOnly=yes: exec'd");
        is_str(get(&r, "errno"), "EROFS", "ReadOnly=yes: writing / fails with EROFS");
        run_done(&r);

        run_unit("tmpfs", NULL,
                 "[Container]\nExec=/bin/payload write-file /scratch/f y\nRootFS=%s\nOverlay=ephemeral\n"
                 "ReadOnly=yes\nTmpfs=/scratch:size=1M\n",
                 &r, rootfs);
        is_str(get(&r, "written"), "1", "Tmpfs= under ReadOnly=yes: writable");
        run_done(&r);

        run_unit("tmpfs", NULL,
                 "[Container]\nExec=/bin/payload cat /proc/self/mountinfo\nRootFS=%s\nOverlay=ephemeral\n"
                 "Tmpfs=/scratch:size=1M\n",
                 &r, rootfs);
        ok(r.out && strstr(r.out, " /scratch ") && strstr(r.out, "size=1024k"),
           "Tmpfs=: a 1M tmpfs on /scratch");
        run_done(&r);
}

static void test_cgroups(void) {
        _cleanup_close_ int fd = -EBADF;
        char want[PATH_MAX], summary[PATH_MAX];
        const char *rel;
        struct run r;

        fd = cg_setup();
        if (fd < 0) {
                diag("no cgroup2 hierarchy, skipping the cgroup tests: %s", strerror(-fd));
                return;
        }
        /* The v2 group as /proc/self/cgroup shows it from the host's cgroup namespace. */
        rel = strstr(cg_v2_dir, "/test-launch-");
        snprintf(want, sizeof(want), "%s", rel);

        struct run_opts o = { .keep_fd = -EBADF, .cgroup_fd = fd };
        run_unit("cg", &o, "[Container]\nExec=/bin/payload report\nRootFS=%s\nNamespaces=pid mnt\n", &r,
                 rootfs);
        is_int(r.finish, 1, "CLONE_INTO_CGROUP: exec'd");
        is_str(cgroup_entry(&r, ""), want, "CLONE_INTO_CGROUP: in the unit's v2 group");
        run_done(&r);

        run_unit("cg", &o, "[Container]\nExec=/bin/payload report\nRootFS=%s\n", &r, rootfs);
        is_str(cgroup_entry(&r, ""), "/", "CLONE_INTO_CGROUP + cgroup namespace: its group is its root");
        run_done(&r);

        if (cg_pids_dir[0]) {
                struct run_opts a = { .keep_fd = -EBADF, .cgroup_fd = fd, .attach = attach_pids };
                run_unit("cg", &a, "[Container]\nExec=/bin/payload report\nRootFS=%s\nNamespaces=pid mnt\n",
                         &r, rootfs);
                is_int(attached_pid, r.pid, "attach: called with the child's pid");
                is_str(cgroup_entry(&r, "pids"), strstr(cg_pids_dir, "/test-launch-"),
                       "attach: in the v1 pids group");
                run_done(&r);

                run_unit("cg", &a, "[Container]\nExec=/bin/payload report\nRootFS=%s\n", &r, rootfs);
                is_str(cgroup_entry(&r, "pids"), "/",
                       "attach + cgroup namespace: made after the v1 placement");
                is_str(cgroup_entry(&r, ""), "/", "attach + cgroup namespace: v2 root too");
                run_done(&r);
        } else
                diag("no v1 pids hierarchy: attach tests skipped");

        struct run_opts fail = { .keep_fd = -EBADF, .attach = attach_fails };
        run_unit("cg", &fail, "[Container]\nExec=/bin/payload report\nRootFS=%s\n", &r, rootfs);
        is_int(r.spawn, -EPERM, "attach failing: launch_spawn fails");
        is_str(r.message, "place the child in its cgroup: Operation not permitted",
               "attach failing: message");
        ok(attached_pid > 0 && kill(attached_pid, 0) < 0 && errno == ESRCH,
           "attach failing: the child is gone");
        run_done(&r);

        struct run_opts badmap = { .keep_fd = -EBADF, .uid_map = { 0, UINT32_MAX - 10, 65536 } };
        run_unit("cg", &badmap,
                 "[Container]\nExec=/bin/payload report\nRootFS=%s\nUserNamespace=0:100000:65536\n", &r,
                 rootfs);
        is_int(r.spawn, -EINVAL, "bad uid map: launch_spawn fails");
        is_str(r.message, "write uid_map: Invalid argument", "bad uid map: message");
        run_done(&r);

        if (run_without_clone3(ENOSYS, false, fd, "", summary, sizeof(summary)) >= 0)
                is_str(summary, "1 0 /", "without clone3(): clone(), placed after, cgroup namespace after");
        else
                diag("seccomp helper failed, clone() fallback not tested");

        if (run_without_clone3(E2BIG, true, fd, "Namespaces=pid mnt\n", summary, sizeof(summary)) >= 0) {
                char w[PATH_MAX + 8];
                snprintf(w, sizeof(w), "1 0 %s", want);
                is_str(summary, w, "clone3() without CLONE_INTO_CGROUP: placed after clone");
        } else
                diag("seccomp helper failed, clone3() E2BIG fallback not tested");

        fd = safe_close(fd);
        cg_cleanup();
}

int main(void) {
        const char *src = getenv("SUP_SOURCE_ROOT"), *payload = getenv("SUP_PAYLOAD");
        unsigned mounts_before, fds_before;
        char cmd[PATH_MAX * 3];
        siginfo_t si = {};

        if (geteuid() != 0)
                return tap_skip_all("needs root");
        if (!src || !payload || access(payload, X_OK) < 0)
                return tap_skip_all("needs $SUP_SOURCE_ROOT and $SUP_PAYLOAD");
        if (access("/bin/busybox", X_OK) < 0)
                return tap_skip_all("needs a static /bin/busybox");

        /* Our own mount namespace, private from the host: other jobs on this machine mount and
         * unmount meanwhile, and our count must only see the launcher's doing. Everything lives on a
         * tmpfs made *shared*: a child that failed to make its copy private (#2) would propagate its
         * mounts back here and change the count. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return tap_skip_all("cannot make a private mount namespace");
        if (!mkdtemp(tmpdir))
                return tap_skip_all("cannot make a temporary directory");
        /* mode=755: the root of a user namespace is nobody on the host, it must reach the rootfs. */
        if (mount("tmpfs", tmpdir, "tmpfs", 0, "mode=755") < 0 ||
            mount(NULL, tmpdir, NULL, MS_SHARED, NULL) < 0) {
                (void) rmdir(tmpdir);
                return tap_skip_all("cannot mount a tmpfs");
        }

        init_memfd = launch_init_memfd();
        if (init_memfd < 0)
                return tap_skip_all("cannot load sup-init into a memfd");

        mounts_before = count_mounts();
        fds_before = count_fds();

        snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmpdir);
        snprintf(cmd, sizeof(cmd), "'%s/tests/rootfs/build-rootfs.sh' '%s' '%s' >'%s/build.log' 2>&1", src,
                 rootfs, payload, tmpdir);
        if (system(cmd) != 0) {
                snprintf(cmd, sizeof(cmd), "sed 's/^/# /' '%s/build.log'", tmpdir);
                if (system(cmd) != 0)
                        diag("no build log");
                (void) umount2(tmpdir, MNT_DETACH);
                (void) rmdir(tmpdir);
                return tap_skip_all("cannot build the test rootfs");
        }

        /* Whatever escapes a container's init ends up here, where it shows as a zombie. */
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

        test_strings();
        test_basic();
        test_shared_namespaces();
        test_no_rootfs();
        test_init();
        test_errors();
        test_user();
        test_security();
        test_env_fds();
        test_dev();
        test_userns();
        test_overlay();
        test_mounts();
        test_cgroups();

        ok(waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 ? errno == ECHILD : si.si_pid == 0,
           "no child or zombie left");
        is_int(count_mounts(), mounts_before, "no mount leaked into the caller's namespace");
        is_int(mounts_below(tmpdir), 1, "nothing mounted below the test directory but its tmpfs");
        is_int(count_fds(), fds_before, "no fd leaked");

        /* A tmpfs: unmounting it removes everything (lazily, should a test have left mounts). */
        ok(umount2(tmpdir, MNT_DETACH) == 0 && rmdir(tmpdir) == 0, "temporary directory removed");

        return tap_done();
}
