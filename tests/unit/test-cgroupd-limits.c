/* SPDX-License-Identifier: MIT */

/* cgroupd's limits, accounting, freezer and OOM events against the real kernel: needs root and a
 * mounted cgroup file system, skips (77) otherwise. Makes a root "sup-limits-<pid>" below the
 * test's own cgroup and, per check, a unit group with one limit and a child doing what the limit
 * should stop: allocating past MemoryMax=, forking past TasksMax=, spinning under CPUQuota= and
 * CPUWeight=, counting while frozen, reading its affinity under AllowedCPUs=. A check whose
 * controller the host lacks is skipped. Every group is removed after; nothing is left.
 *
 * CG_DEBUG=1 in the environment shows cgroupd's debug lines on stderr. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupd.h"
#include "log.h"
#include "macro.h"
#include "tap.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct test_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
                set_tid_size, cgroup;
};

#define TIMEOUT_MS 5000
#define MIB        (UINT64_C(1) << 20)

/* cgroupd's log hook (common/log.h): debug lines on stderr with CG_DEBUG=1. */
_printf_(3, 0) static void debug_sink(int level, int error, const char *fmt, va_list ap) {
        fputs("debug: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}
log_sink_t log_sink = NULL;
int log_max_level = LOG_LEVEL_DEBUG;

static const struct cg_limits no_limits = {
        .memory_max = UINT64_MAX,
        .memory_high = UINT64_MAX,
        .tasks_max = UINT64_MAX,
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t now_ms(void) {
        return now_usec() / 1000;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void skip(const char *what, const char *why) {
        ok(1, "%s # SKIP %s", what, why);
}

/* ---- warnings ---------------------------------------------------------------------------------- */

struct warnings {
        unsigned n;
        char key[32];
        char message[256];
};

static void record_warning(void *userdata, const char *key, const char *message) {
        struct warnings *w = userdata;

        w->n++;
        snprintf(w->key, sizeof(w->key), "%s", key);
        snprintf(w->message, sizeof(w->message), "%s", message);
        diag("warning: %s: %s", key, message);
}

/* ---- children in groups ------------------------------------------------------------------------ */

typedef void (*body_t)(const void *arg, int rep_fd);

/* Starts @body in @u the way the launcher does: clone3(CLONE_INTO_CGROUP) into the v2 tree, then the v1
 * hierarchies, and only then lets it run. */
static pid_t spawn_in(struct cg_unit *u, body_t body, const void *arg, int rep_fd) {
        _cleanup_close_pair_ int go[2] = {-EBADF, -EBADF};
        _cleanup_close_ int cgfd = -EBADF;
        bool v2_done = false;
        pid_t pid = -1;
        int r;

        if (pipe2(go, O_CLOEXEC) < 0)
                return -1;

        cgfd = cg_unit_clone_fd(u);
        if (cgfd >= 0) {
                struct test_clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t) cgfd,
                };
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid > 0)
                        v2_done = true;
        }
        if (pid < 0)
                pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                char c;

                go[1] = safe_close(go[1]);
                if (read(go[0], &c, 1) != 1)
                        _exit(EXIT_FAILURE);
                body(arg, rep_fd);
                _exit(EXIT_SUCCESS);
        }

        r = cg_unit_attach(u, pid, v2_done);
        if (r < 0) {
                diag("cg_unit_attach: %s", strerror(-r));
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return -1;
        }
        if (write(go[1], "x", 1) != 1) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return -1;
        }
        return pid;
}

/* Reaps @pid, bounded: SIGKILLs it after @timeout_ms so the test never hangs. */
static int reap(pid_t pid, unsigned timeout_ms) {
        uint64_t deadline = now_ms() + timeout_ms;
        int status;

        for (;;) {
                pid_t k = waitpid(pid, &status, WNOHANG);
                if (k == pid)
                        return status;
                if (k < 0)
                        return -errno;
                if (now_ms() >= deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        return -ETIMEDOUT;
                }
                sleep_ms(5);
        }
}

/* Reaps every child of ours that is gone (orphans of the groups land here: we are subreaper). */
static void reap_zombies(void) {
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

static int wait_empty(struct cg_unit *u) {
        uint64_t deadline = now_ms() + TIMEOUT_MS;

        for (;;) {
                int r = cg_unit_is_empty(u);
                reap_zombies();
                if (r != 0)
                        return r;
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                sleep_ms(5);
        }
}

static bool all_gone(char *const *dirs) {
        bool gone = true;

        for (size_t i = 0; dirs[i]; i++)
                if (access(dirs[i], F_OK) >= 0 || errno != ENOENT) {
                        diag("still there: %s", dirs[i]);
                        gone = false;
                }
        return gone;
}

/* Kills what is left, removes the group, and checks that no directory of it is left. */
static void finish(struct cg_unit **u) {
        _cleanup_strv_free_ char **dirs = NULL;
        size_t n = strv_length(cg_unit_dirs(*u));
        char name[128];

        snprintf(name, sizeof(name), "%s", cg_unit_name(*u));
        dirs = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; dirs && i < n; i++)
                dirs[i] = strdup(cg_unit_dirs(*u)[i]);

        (void) cg_unit_freeze(*u, false);
        (void) cg_unit_kill(*u, SIGKILL);
        if (wait_empty(*u) != 1)
                diag("%s did not empty", name);
        ok(cg_unit_destroy(*u) == 0 && dirs && all_gone(dirs), "%s: group removed, no directory left", name);
        *u = cg_unit_free(*u);
}

static int new_unit(struct cg_root *root, const char *name, const struct cg_limits *l, struct warnings *w,
                    struct cg_unit **ret) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        const char *key = NULL;
        int r;

        r = cg_unit_new(root, name, &u);
        if (!ok(r == 0, "cg_unit_new(%s)", name))
                return r;

        r = cg_unit_set_limits(u, l, w ? record_warning : NULL, w, &key);
        if (r < 0) {
                if (r != -EOPNOTSUPP)
                        diag("cg_unit_set_limits(%s): %s (key %s)", name, strerror(-r), strempty(key));
                finish(&u);
                return r;
        }

        *ret = TAKE_PTR(u);
        return 0;
}

static bool file_is(const char *dir, const char *file, const char *want) {
        char path[4096], buf[256];
        ssize_t k;
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                diag("%s: %s", path, strerror(errno));
                return false;
        }
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k < 0)
                return false;
        buf[k] = '\0';
        while (k > 0 && buf[k - 1] == '\n')
                buf[--k] = '\0';
        if (!streq(buf, want)) {
                diag("%s: \"%s\", want \"%s\"", path, buf, want);
                return false;
        }
        return true;
}

/* The directory carrying controller @c for @u: its v1 hierarchy, else the v2 one. */
static const char *ctrl_dir(struct cg_host *h, struct cg_unit *u, enum cg_controller c) {
        char *const *dirs = cg_unit_dirs(u);
        const char *mount = cg_host_v1_mount(h, c);

        if (!mount)
                return cg_host_v2_mount(h) ? dirs[0] : NULL;
        for (size_t i = 0; dirs[i]; i++)
                if (startswith(dirs[i], mount) && dirs[i][strlen(mount)] == '/')
                        return dirs[i];
        return NULL;
}

static bool ctrl_is_v1(struct cg_host *h, enum cg_controller c) {
        return cg_host_v1_mount(h, c) != NULL;
}

/* ---- the files each key writes ----------------------------------------------------------------- */

static void test_files(struct cg_host *h, struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        struct warnings w = {};
        const char *key = NULL;
        int r;

        if (!is_int(cg_unit_new(root, "files", &u), 0, "cg_unit_new(files)"))
                return;

        l.memory_max = 64 * MIB;
        l.memory_high = 32 * MIB;
        l.cpu_quota_permyriad = 2000;
        l.cpu_weight = 300;
        l.allowed_cpus = "0";
        l.tasks_max = 20;
        l.io_weight = 500;

        r = cg_unit_set_limits(u, &l, record_warning, &w, &key);
        if (r == -EOPNOTSUPP) {
                skip("every key written", key ? key : "?");
                goto out;
        }
        if (!is_int(r, 0, "cg_unit_set_limits() with every key"))
                goto out;
        ok(key == NULL, "no failing key");

        if (ctrl_is_v1(h, CG_CONTROLLER_MEMORY)) {
                const char *d = ctrl_dir(h, u, CG_CONTROLLER_MEMORY);
                ok(file_is(d, "memory.limit_in_bytes", "67108864"), "MemoryMax=64M: memory.limit_in_bytes");
                if (access(d, F_OK) >= 0 && cg_unit_dirs(u)) {
                        char p[4096];
                        snprintf(p, sizeof(p), "%s/memory.memsw.limit_in_bytes", d);
                        if (access(p, F_OK) >= 0)
                                ok(file_is(d, "memory.memsw.limit_in_bytes", "67108864"),
                                   "MemoryMax=64M: memory.memsw.limit_in_bytes");
                }
                ok(file_is(d, "memory.soft_limit_in_bytes", "33554432"),
                   "MemoryHigh=32M: memory.soft_limit_in_bytes");
        } else {
                const char *d = cg_unit_dirs(u)[0];
                ok(file_is(d, "memory.max", "67108864"), "MemoryMax=64M: memory.max");
                ok(file_is(d, "memory.high", "33554432"), "MemoryHigh=32M: memory.high");
        }

        if (ctrl_is_v1(h, CG_CONTROLLER_CPU)) {
                const char *d = ctrl_dir(h, u, CG_CONTROLLER_CPU);
                ok(file_is(d, "cpu.cfs_period_us", "100000") && file_is(d, "cpu.cfs_quota_us", "20000"),
                   "CPUQuota=20%%: cpu.cfs_quota_us 20000 per cpu.cfs_period_us 100000");
                ok(file_is(d, "cpu.shares", "3072"), "CPUWeight=300: cpu.shares 3072");
        } else {
                const char *d = cg_unit_dirs(u)[0];
                ok(file_is(d, "cpu.max", "20000 100000"), "CPUQuota=20%%: cpu.max");
                ok(file_is(d, "cpu.weight", "300"), "CPUWeight=300: cpu.weight");
        }

        ok(file_is(ctrl_dir(h, u, CG_CONTROLLER_CPUSET), "cpuset.cpus", "0"), "AllowedCPUs=0: cpuset.cpus");
        if (ctrl_is_v1(h, CG_CONTROLLER_CPUSET)) {
                char p[4096], mems[64] = "";
                FILE *f;

                snprintf(p, sizeof(p), "%s/cpuset.mems", ctrl_dir(h, u, CG_CONTROLLER_CPUSET));
                f = fopen(p, "re");
                if (f) {
                        if (!fgets(mems, sizeof(mems), f))
                                mems[0] = '\0';
                        fclose(f);
                }
                ok(mems[0] != '\0' && mems[0] != '\n', "v1: cpuset.mems inherited (%.*s)",
                   (int) strcspn(mems, "\n"), mems);
        }
        ok(file_is(ctrl_dir(h, u, CG_CONTROLLER_PIDS), "pids.max", "20"), "TasksMax=20: pids.max");

        /* MemoryHigh= on v1, and IOWeight= wherever it lands on BFQ or nowhere, warn. */
        if (ctrl_is_v1(h, CG_CONTROLLER_MEMORY))
                ok(w.n >= 1, "v1 warned (%u warnings)", w.n);

out:
        finish(&u);
}

static void test_memory_high_warning(struct cg_host *h, struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        struct warnings w = {};
        int r;

        l.memory_high = 32 * MIB;
        r = new_unit(root, "memory-high", &l, &w, &u);
        if (r == -EOPNOTSUPP) {
                skip("MemoryHigh=", "no memory controller");
                return;
        }
        if (!is_int(r, 0, "MemoryHigh=32M applied"))
                return;

        if (ctrl_is_v1(h, CG_CONTROLLER_MEMORY)) {
                is_int(w.n, 1, "MemoryHigh= on v1 warns once");
                is_str(w.key, "MemoryHigh", "warning names MemoryHigh");
                is_str(w.message,
                       "MemoryHigh= is a soft limit on cgroup v1 (memory.soft_limit_in_bytes): no "
                       "throttling",
                       "warning text");
        } else
                is_int(w.n, 0, "MemoryHigh= on v2: no warning");

        finish(&u);
}

static void test_io_weight(struct cg_host *h, struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        struct warnings w = {};
        int r;

        l.io_weight = 500;
        r = new_unit(root, "io-weight", &l, &w, &u);
        if (r == -EOPNOTSUPP) {
                skip("IOWeight=", "no io/blkio controller");
                return;
        }
        if (!is_int(r, 0, "IOWeight=500 applied (or warned about)"))
                return;

        const char *d = ctrl_dir(h, u, CG_CONTROLLER_BLKIO);
        char p[4096];
        if (ctrl_is_v1(h, CG_CONTROLLER_BLKIO)) {
                snprintf(p, sizeof(p), "%s/blkio.weight", d);
                if (access(p, F_OK) >= 0)
                        ok(file_is(d, "blkio.weight", "1000"),
                           "IOWeight=500: blkio.weight 1000 (×5, clamped)");
                else {
                        snprintf(p, sizeof(p), "%s/blkio.bfq.weight", d);
                        if (access(p, F_OK) >= 0)
                                ok(file_is(d, "blkio.bfq.weight", "136"),
                                   "IOWeight=500: blkio.bfq.weight 136");
                }
                ok(w.n == 1 && streq(w.key, "IOWeight"), "IOWeight= on v1 warns once");
        } else {
                snprintf(p, sizeof(p), "%s/io.weight", d);
                if (access(p, F_OK) >= 0)
                        ok(file_is(d, "io.weight", "default 500"), "IOWeight=500: io.weight");
                else
                        ok(w.n == 1 && streq(w.key, "IOWeight"), "IOWeight= without io.weight warns");
        }

        finish(&u);
}

/* ---- MemoryMax= and OOM events ----------------------------------------------------------------- */

static void body_alloc(const void *arg, int rep_fd) {
        uint64_t mb = *(const uint64_t *) arg;

        for (uint64_t i = 0; i < mb; i++) {
                char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (p == MAP_FAILED)
                        _exit(3);
                memset(p, 0x5a, MIB);
        }
        _exit(0); /* survived: the limit did not hold */
}

static void test_oom(struct cg_host *h, struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_close_ int ofd = -EBADF;
        struct cg_limits l = no_limits;
        static const uint64_t mb = 128;
        struct cg_stats st;
        uint64_t kills = UINT64_MAX, t0, t_fd = 0, t_exit = 0;
        int r, status, pidfd;
        struct pollfd pfd;
        pid_t pid;

        l.memory_max = 64 * MIB;
        r = new_unit(root, "oom", &l, NULL, &u);
        if (r == -EOPNOTSUPP) {
                skip("MemoryMax=", "no memory controller");
                return;
        }
        if (!is_int(r, 0, "MemoryMax=64M applied"))
                return;

        is_int(cg_unit_oom_kills(u, &kills), 0, "cg_unit_oom_kills() of a new group");
        is_int(kills, 0, "no OOM kill yet");

        ofd = cg_unit_oom_fd(u);
        if (!ok(ofd >= 0, "cg_unit_oom_fd(): %s", ofd >= 0 ? "fd" : strerror(-ofd)))
                goto out;
        ok(fcntl(ofd, F_GETFD) == FD_CLOEXEC && (fcntl(ofd, F_GETFL) & O_NONBLOCK),
           "oom fd is CLOEXEC, NONBLOCK");
        pfd = (struct pollfd){.fd = ofd, .events = POLLIN};
        is_int(poll(&pfd, 1, 0), 0, "oom fd not readable before any OOM");

        t0 = now_usec();
        pid = spawn_in(u, body_alloc, &mb, -1);
        if (!ok(pid > 0, "child allocating %" PRIu64 " MiB in the group", mb))
                goto out;

        /* When the oom fd wakes, and when the victim is gone (its pidfd), whichever comes first. */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        for (uint64_t deadline = now_ms() + TIMEOUT_MS;
             (!t_fd || (pidfd >= 0 && !t_exit)) && now_ms() < deadline;) {
                struct pollfd p[2] = {
                        {.fd = t_fd ? -1 : ofd, .events = POLLIN},
                        {.fd = t_exit ? -1 : pidfd, .events = POLLIN},
                };
                if (poll(p, 2, 100) < 0 && errno != EINTR)
                        break;
                if (p[0].revents & POLLIN)
                        t_fd = now_usec();
                if (p[1].revents & POLLIN)
                        t_exit = now_usec();
        }
        pidfd = safe_close(pidfd);
        ok(t_fd != 0, "oom fd readable within %d ms", TIMEOUT_MS);

        status = reap(pid, TIMEOUT_MS);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
           "child was OOM-killed (status %#x)", status);
        if (t_fd && t_exit)
                diag("OOM: oom fd readable %.1f ms after the start, the victim gone %.1f ms after the "
                     "start: "
                     "oom fd %.1f ms %s",
                     (double) (t_fd - t0) / 1000, (double) (t_exit - t0) / 1000,
                     (double) (t_fd > t_exit ? t_fd - t_exit : t_exit - t_fd) / 1000,
                     t_fd > t_exit ? "after the exit" : "before the exit");

        /* v2 counts the kill after the victim is chosen; give the counter a moment on slow hosts. */
        for (uint64_t deadline = now_ms() + 1000; now_ms() < deadline; sleep_ms(10))
                if (cg_unit_oom_kills(u, &kills) >= 0 && kills >= 1)
                        break;
        ok(kills >= 1 && kills != UINT64_MAX, "cg_unit_oom_kills() = %" PRIu64, kills);

        cg_unit_oom_drain(u, ofd);
        pfd = (struct pollfd){.fd = ofd, .events = POLLIN};
        is_int(poll(&pfd, 1, 0), 0, "oom fd drained");

        r = cg_unit_stats(u, &st);
        if (is_int(r, 0, "cg_unit_stats()")) {
                diag("stats: cpu %" PRIu64 " ns, memory %" PRIu64 " / peak %" PRIu64 ", tasks %" PRIu64
                     ", oom kills %" PRIu64,
                     st.cpu_usage_nsec, st.memory_current, st.memory_peak, st.tasks, st.oom_kills);
                ok(st.oom_kills >= 1 && st.oom_kills != UINT64_MAX, "stats show the OOM kill");
                ok(st.memory_peak == UINT64_MAX || (st.memory_peak > 32 * MIB && st.memory_peak <= 64 * MIB),
                   "memory peak within the limit (%" PRIu64 " MiB)", st.memory_peak / MIB);
                ok(st.tasks == UINT64_MAX || st.tasks == 0, "no task left");
        }

out:
        ofd = safe_close(ofd);
        finish(&u);
        (void) h;
}

/* ---- TasksMax= --------------------------------------------------------------------------------- */

struct fork_report {
        int forks;
        int error;
};

static void body_fork_bomb(const void *arg, int rep_fd) {
        struct fork_report rep = {};

        for (int i = 0; i < 1000; i++) {
                pid_t p = fork();
                if (p < 0) {
                        rep.error = errno;
                        break;
                }
                if (p == 0)
                        for (;;)
                                pause();
                rep.forks++;
        }
        if (write(rep_fd, &rep, sizeof(rep)) != sizeof(rep))
                _exit(EXIT_FAILURE);
        for (;;)
                pause();
}

static void test_tasks_max(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_close_pair_ int rep[2] = {-EBADF, -EBADF};
        struct cg_limits l = no_limits;
        struct fork_report fr = {-1, 0};
        struct cg_stats st;
        struct pollfd pfd;
        pid_t pid;
        int r;

        l.tasks_max = 20;
        r = new_unit(root, "tasks", &l, NULL, &u);
        if (r == -EOPNOTSUPP) {
                skip("TasksMax=", "no pids controller");
                return;
        }
        if (!is_int(r, 0, "TasksMax=20 applied"))
                return;

        if (pipe2(rep, O_CLOEXEC) < 0)
                goto out;
        pid = spawn_in(u, body_fork_bomb, NULL, rep[1]);
        if (!ok(pid > 0, "forking child in the group"))
                goto out;
        rep[1] = safe_close(rep[1]);

        pfd = (struct pollfd){.fd = rep[0], .events = POLLIN};
        if (poll(&pfd, 1, TIMEOUT_MS) != 1 || read(rep[0], &fr, sizeof(fr)) != sizeof(fr))
                fr.forks = -1;
        ok(fr.forks == 19 && fr.error == EAGAIN, "fork failed with EAGAIN after %d forks (%s)", fr.forks,
           strerror(fr.error));

        if (is_int(cg_unit_stats(u, &st), 0, "cg_unit_stats()"))
                ok(st.tasks == 20 || st.tasks == UINT64_MAX, "stats: %" PRIu64 " tasks", st.tasks);

out:
        finish(&u);
}

/* ---- CPUQuota=, CPUWeight= --------------------------------------------------------------------- */

static void spin_until(uint64_t until_usec) {
        volatile unsigned long counter = 0;

        while (now_usec() < until_usec)
                for (unsigned i = 0; i < 10000; i++)
                        counter++;
}

static void body_spin(const void *arg, int rep_fd) {
        unsigned ms = *(const unsigned *) arg;

        spin_until(now_usec() + (uint64_t) ms * 1000);
}

static void body_spin_cpu0(const void *arg, int rep_fd) {
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(0, &set);
        if (sched_setaffinity(0, sizeof(set), &set) < 0)
                _exit(EXIT_FAILURE);
        spin_until(UINT64_MAX);
}

static void test_cpu_quota(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        static const unsigned ms = 2000;
        struct cg_stats st;
        pid_t pid;
        int r, status;

        l.cpu_quota_permyriad = 2000;
        r = new_unit(root, "quota", &l, NULL, &u);
        if (r == -EOPNOTSUPP) {
                skip("CPUQuota=", "no cpu controller");
                return;
        }
        if (!is_int(r, 0, "CPUQuota=20% applied"))
                return;

        pid = spawn_in(u, body_spin, &ms, -1);
        if (!ok(pid > 0, "busy child for %u ms", ms))
                goto out;
        status = reap(pid, ms + TIMEOUT_MS);
        ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "busy child exited");

        r = cg_unit_stats(u, &st);
        if (is_int(r, 0, "cg_unit_stats()")) {
                double s = (double) st.cpu_usage_nsec / 1e9;
                diag("CPUQuota=20%%: %.3f CPU-s in %.1f s = %.3f per second", s, ms / 1000.0, s * 1000 / ms);
                ok(st.cpu_usage_nsec != UINT64_MAX && s >= 0.3 && s <= 0.5,
                   "CPUQuota=20%%: %.3f CPU-s over 2 s (want 0.3–0.5)", s);
        }

out:
        finish(&u);
}

static uint64_t cpu_nsec(struct cg_unit *u) {
        struct cg_stats st;

        if (cg_unit_stats(u, &st) < 0)
                return UINT64_MAX;
        return st.cpu_usage_nsec;
}

static void test_cpu_weight(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *a = NULL, *b = NULL;
        struct cg_limits la = no_limits, lb = no_limits;
        uint64_t a0, b0, a1, b1;
        pid_t pa = -1, pb = -1;
        int r;

        la.cpu_weight = 100;
        lb.cpu_weight = 300;
        r = new_unit(root, "weight-100", &la, NULL, &a);
        if (r == -EOPNOTSUPP) {
                skip("CPUWeight=", "no cpu controller");
                return;
        }
        if (!is_int(r, 0, "CPUWeight=100 applied"))
                return;
        if (!is_int(new_unit(root, "weight-300", &lb, NULL, &b), 0, "CPUWeight=300 applied"))
                goto out;

        pa = spawn_in(a, body_spin_cpu0, NULL, -1);
        pb = spawn_in(b, body_spin_cpu0, NULL, -1);
        if (!ok(pa > 0 && pb > 0, "two busy children pinned to CPU 0"))
                goto out;

        /* Both running (and pinned) before the measurement starts. */
        sleep_ms(200);
        a0 = cpu_nsec(a);
        b0 = cpu_nsec(b);
        sleep_ms(2000);
        a1 = cpu_nsec(a);
        b1 = cpu_nsec(b);

        if (a0 == UINT64_MAX || a1 == UINT64_MAX || b0 == UINT64_MAX || b1 == UINT64_MAX || a1 <= a0) {
                ok(0, "CPU usage readable");
                goto out;
        }
        double ratio = (double) (b1 - b0) / (double) (a1 - a0);
        diag("CPUWeight: 100 got %.3f CPU-s, 300 got %.3f CPU-s over 2 s: 1:%.2f", (double) (a1 - a0) / 1e9,
             (double) (b1 - b0) / 1e9, ratio);
        ok(ratio >= 2.0 && ratio <= 4.0, "CPUWeight 100:300 split CPU 0 1:%.2f (want 1:2 to 1:4)", ratio);

out:
        if (b)
                finish(&b);
        finish(&a);
        reap_zombies();
}

/* ---- freezer ----------------------------------------------------------------------------------- */

static void body_count(const void *arg, int rep_fd) {
        for (;;) {
                if (write(rep_fd, "x", 1) != 1 && errno != EAGAIN)
                        _exit(EXIT_FAILURE);
                sleep_ms(1);
        }
}

static size_t drain_count(int fd) {
        char buf[4096];
        size_t n = 0;
        ssize_t k;

        while ((k = read(fd, buf, sizeof(buf))) > 0)
                n += (size_t) k;
        return n;
}

static int wait_frozen(struct cg_unit *u, int want, unsigned *ret_ms) {
        uint64_t start = now_ms();

        for (;;) {
                int r = cg_unit_is_frozen(u);
                if (r < 0 || r == want) {
                        *ret_ms = (unsigned) (now_ms() - start);
                        return r;
                }
                if (now_ms() - start >= TIMEOUT_MS)
                        return -ETIMEDOUT;
                sleep_ms(2);
        }
}

static void test_freeze(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_close_pair_ int rep[2] = {-EBADF, -EBADF};
        unsigned ms = 0;
        size_t n;
        pid_t pid;
        int r;

        if (new_unit(root, "freeze", &no_limits, NULL, &u) < 0)
                return;

        is_int(cg_unit_is_frozen(u), 0, "a new group is not frozen");

        if (pipe2(rep, O_CLOEXEC | O_NONBLOCK) < 0)
                goto out;
        pid = spawn_in(u, body_count, NULL, rep[1]);
        if (!ok(pid > 0, "counting child"))
                goto out;
        rep[1] = safe_close(rep[1]);

        sleep_ms(100);
        n = drain_count(rep[0]);
        ok(n > 10, "child counts (%zu in 100 ms)", n);

        r = cg_unit_freeze(u, true);
        if (r == -EOPNOTSUPP) {
                skip("freezer", "no freezer on this host");
                goto out;
        }
        is_int(r, 0, "cg_unit_freeze(true)");
        is_int(wait_frozen(u, 1, &ms), 1, "cg_unit_is_frozen() says frozen");
        diag("frozen after %u ms", ms);
        (void) drain_count(rep[0]);
        sleep_ms(300);
        n = drain_count(rep[0]);
        is_int(n, 0, "counter does not advance for 300 ms while frozen");

        is_int(cg_unit_freeze(u, false), 0, "cg_unit_freeze(false)");
        is_int(wait_frozen(u, 0, &ms), 0, "cg_unit_is_frozen() says thawed");
        sleep_ms(100);
        n = drain_count(rep[0]);
        ok(n > 10, "counting again after thaw (%zu in 100 ms)", n);

        /* A frozen group is still killed (the supervisor may stop a frozen unit). */
        is_int(cg_unit_freeze(u, true), 0, "frozen again");
        (void) wait_frozen(u, 1, &ms);
        ok(cg_unit_kill(u, SIGKILL) >= 1, "cg_unit_kill(SIGKILL) of a frozen group");
        r = reap(pid, TIMEOUT_MS);
        ok(r >= 0 && WIFSIGNALED(r) && WTERMSIG(r) == SIGKILL, "frozen child died of SIGKILL");

out:
        finish(&u);
}

/* ---- AllowedCPUs= ------------------------------------------------------------------------------ */

static void body_affinity(const void *arg, int rep_fd) {
        cpu_set_t set;

        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) < 0)
                _exit(EXIT_FAILURE);
        if (write(rep_fd, &set, sizeof(set)) != sizeof(set))
                _exit(EXIT_FAILURE);
}

static void test_allowed_cpus(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_close_pair_ int rep[2] = {-EBADF, -EBADF};
        struct cg_limits l = no_limits;
        cpu_set_t set;
        struct pollfd pfd;
        pid_t pid;
        int r;

        l.allowed_cpus = "0";
        r = new_unit(root, "cpus", &l, NULL, &u);
        if (r == -EOPNOTSUPP) {
                skip("AllowedCPUs=", "no cpuset controller");
                return;
        }
        if (!is_int(r, 0, "AllowedCPUs=0 applied"))
                return;

        if (pipe2(rep, O_CLOEXEC) < 0)
                goto out;
        pid = spawn_in(u, body_affinity, NULL, rep[1]);
        if (!ok(pid > 0, "child reading its affinity"))
                goto out;
        rep[1] = safe_close(rep[1]);

        CPU_ZERO(&set);
        pfd = (struct pollfd){.fd = rep[0], .events = POLLIN};
        r = poll(&pfd, 1, TIMEOUT_MS) == 1 && read(rep[0], &set, sizeof(set)) == sizeof(set);
        ok(r && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set), "child may run on CPU 0 only (%d CPUs)",
           CPU_COUNT(&set));
        (void) reap(pid, TIMEOUT_MS);

out:
        finish(&u);
}

/* ---- a key whose controller is missing --------------------------------------------------------- */

/* In a child with its own mount namespace, without the v1 pids hierarchy: TasksMax= cannot be honoured.
 * Exit status: 0 as expected, 10 + step otherwise. */
static int nopids_child(const char *pids_mount, const char *name) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        _cleanup_(cg_root_freep) struct cg_root *root = NULL;
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        const char *key = NULL;
        int r, ret = 0;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 11;
        if (umount2(pids_mount, MNT_DETACH) < 0)
                return 12;
        if (cg_host_detect(&h) < 0 || cg_host_v1_mount(h, CG_CONTROLLER_PIDS))
                return 13;
        if (cg_root_new(h, name, &root) < 0)
                return 14;
        if (cg_unit_new(root, "nopids", &u) < 0)
                ret = 15;
        else {
                l.tasks_max = 10;
                l.memory_max = 64 * MIB;
                r = cg_unit_set_limits(u, &l, NULL, NULL, &key);
                if (r != -EOPNOTSUPP)
                        ret = 16;
                else if (!key || !streq(key, "TasksMax"))
                        ret = 17;
                if (cg_unit_destroy(u) < 0)
                        ret = 18;
        }
        if (cg_root_remove(root) < 0)
                ret = 19;
        return ret;
}

static void test_missing_controller(struct cg_host *h, struct cg_root *root, const char *root_name) {
        if (ctrl_is_v1(h, CG_CONTROLLER_PIDS)) {
                char name[128];
                pid_t pid;
                int status;

                snprintf(name, sizeof(name), "%s-nopids", root_name);
                pid = fork();
                if (pid == 0)
                        _exit(nopids_child(cg_host_v1_mount(h, CG_CONTROLLER_PIDS), name));
                status = reap(pid, TIMEOUT_MS);
                ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                   "without the pids hierarchy: TasksMax= fails with -EOPNOTSUPP and names the key (status "
                   "%d)",
                   status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                return;
        }

        /* v2: a controller the parent does not pass on shows as missing files in the group. Take pids
         * away from the root's children for this one group, if it is there at all. */
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_limits l = no_limits;
        const char *key = NULL;
        char path[4096];
        bool disabled = false;
        int fd;

        snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg_root_dirs(root)[0]);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                skip("TasksMax= without pids", strerror(errno));
                return;
        }
        char enabled[256] = "";
        ssize_t k = read(fd, enabled, sizeof(enabled) - 1);
        enabled[k > 0 ? k : 0] = '\0';
        if (strstr(enabled, "pids")) {
                if (write(fd, "-pids", 5) != 5) {
                        skip("TasksMax= without pids", "cannot disable pids in the root");
                        safe_close(fd);
                        return;
                }
                disabled = true;
        }

        if (ok(cg_unit_new(root, "nopids", &u) == 0, "cg_unit_new(nopids)")) {
                l.tasks_max = 10;
                is_int(cg_unit_set_limits(u, &l, NULL, NULL, &key), -EOPNOTSUPP,
                       "no pids controller in the group: TasksMax= fails with -EOPNOTSUPP");
                is_str(key, "TasksMax", "and names TasksMax");
                finish(&u);
        }
        if (disabled && write(fd, "+pids", 5) != 5)
                diag("cannot enable pids again: %s", strerror(errno));
        safe_close(fd);
}

static void test_stats_idle(struct cg_host *h, struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct cg_stats st;

        if (!is_int(cg_unit_new(root, "idle", &u), 0, "cg_unit_new(idle)"))
                return;
        if (is_int(cg_unit_stats(u, &st), 0, "cg_unit_stats() of an empty group")) {
                diag("stats: cpu %" PRIu64 ", memory %" PRIu64 " / %" PRIu64 ", tasks %" PRIu64
                     ", oom %" PRIu64,
                     st.cpu_usage_nsec, st.memory_current, st.memory_peak, st.tasks, st.oom_kills);
                ok(st.cpu_usage_nsec == 0, "no CPU time");
                ok(st.tasks == 0 || (st.tasks == UINT64_MAX && !ctrl_is_v1(h, CG_CONTROLLER_PIDS)),
                   "no task");
                ok(st.oom_kills == 0 || st.oom_kills == UINT64_MAX, "no OOM kill");
        }
        is_int(cg_unit_destroy(u), 0, "cg_unit_destroy(idle)");
        is_int(cg_unit_stats(u, &st), -ENOENT, "cg_unit_stats() of a removed group: -ENOENT");
        ok(all_gone(cg_unit_dirs(u)), "idle: no directory left");
}

int main(void) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        _cleanup_(cg_root_freep) struct cg_root *root = NULL;
        char root_name[64];
        uint64_t start = now_ms();
        int r;

        if (getenv("CG_DEBUG"))
                log_sink = debug_sink;

        if (geteuid() != 0)
                return tap_skip_all("needs root");

        r = cg_host_detect(&h);
        if (r == -ENOMEDIUM)
                return tap_skip_all("no cgroup file system mounted");
        if (!is_int(r, 0, "cg_host_detect()"))
                return tap_done();
        diag("layout %s", cg_layout_to_string(cg_host_layout(h)));

        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return tap_skip_all("PR_SET_CHILD_SUBREAPER failed");

        snprintf(root_name, sizeof(root_name), "sup-limits-%d", (int) getpid());
        r = cg_root_new(h, root_name, &root);
        if (r == -EACCES || r == -EPERM || r == -EROFS)
                return tap_skip_all("cannot make cgroups here");
        if (!is_int(r, 0, "cg_root_new(sup-limits-PID)"))
                return tap_done();
        diag("root %s", cg_root_path(root));

        test_stats_idle(h, root);
        test_files(h, root);
        test_memory_high_warning(h, root);
        test_io_weight(h, root);
        test_oom(h, root);
        test_tasks_max(root);
        test_cpu_quota(root);
        test_cpu_weight(root);
        test_freeze(root);
        test_allowed_cpus(root);
        test_missing_controller(h, root, root_name);

        reap_zombies();
        is_int(cg_root_remove(root), 0, "cg_root_remove()");
        ok(all_gone(cg_root_dirs(root)), "no root directory left in any hierarchy");
        diag("took %.1f s", (double) (now_ms() - start) / 1000);

        return tap_done();
}
