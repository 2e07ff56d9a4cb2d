/* SPDX-License-Identifier: MIT */

/* cgroupd against the real kernel: needs root and a mounted cgroup file system, skips (77)
 * otherwise. Makes a root "sup-test-<pid>" below the test's own cgroup, puts process trees in
 * unit groups (clone3(CLONE_INTO_CGROUP) where there is a v2 tree, fork + attach otherwise),
 * kills them, waits for the group to empty, and checks that nothing is left in any hierarchy. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupd.h"
#include "macro.h"
#include "tap.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of <linux/sched.h> up to CLONE_ARGS_SIZE_VER2, without its header (which
 * fights with <sched.h>). */
struct test_clone_args {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
                set_tid_size, cgroup;
};

#define TIMEOUT_MS 5000

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void pause_forever(void) {
        for (;;)
                pause();
}

/* The process in the group: waits for "go" (it is in every hierarchy by then), forks a
 * grandchild, reports its pid, and both sleep. */
static void body_tree(int go_fd, int rep_fd) {
        char c;
        pid_t g;

        if (read(go_fd, &c, 1) != 1)
                _exit(EXIT_FAILURE);
        g = fork();
        if (g < 0)
                _exit(EXIT_FAILURE);
        if (g == 0)
                pause_forever();
        if (write(rep_fd, &g, sizeof(g)) != sizeof(g))
                _exit(EXIT_FAILURE);
        pause_forever();
}

/* Double fork: the process in the group forks C, C forks D and exits, the first one exits too.
 * Only D, an orphan reparented to us (the subreaper), is left in the group. */
static void body_double_fork(int go_fd, int rep_fd) {
        char c;
        pid_t p;

        if (read(go_fd, &c, 1) != 1)
                _exit(EXIT_FAILURE);
        p = fork();
        if (p < 0)
                _exit(EXIT_FAILURE);
        if (p == 0) {
                pid_t d = fork();
                if (d < 0)
                        _exit(EXIT_FAILURE);
                if (d == 0)
                        pause_forever();
                if (write(rep_fd, &d, sizeof(d)) != sizeof(d))
                        _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
        }
        if (waitpid(p, NULL, 0) != p)
                _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

/* Starts @body in @u the way the launcher does: clone3(CLONE_INTO_CGROUP) into the v2 tree, then
 * the v1 hierarchies, and only then lets it run. Returns the child's pid and, via @ret_reported,
 * the pid it reports. */
static pid_t spawn_in(struct cg_unit *u, void (*body)(int, int), bool *ret_clone3, pid_t *ret_reported) {
        _cleanup_close_pair_ int go[2] = {-EBADF, -EBADF}, rep[2] = {-EBADF, -EBADF};
        _cleanup_close_ int cgfd = -EBADF;
        bool v2_done = false;
        struct pollfd pfd;
        pid_t pid = -1;
        int r;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                return -1;

        cgfd = cg_unit_clone_fd(u);
        if (cgfd >= 0) {
                struct test_clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t) cgfd,
                };
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid == 0) {
                        body(go[0], rep[1]);
                        _exit(EXIT_FAILURE);
                }
                if (pid > 0)
                        v2_done = true;
                else
                        diag("clone3(CLONE_INTO_CGROUP) failed (%s), using fork + attach", strerror(errno));
        } else if (cgfd != -EOPNOTSUPP)
                diag("cg_unit_clone_fd: %s", strerror(-cgfd));

        if (pid < 0) {
                pid = fork();
                if (pid < 0)
                        return -1;
                if (pid == 0) {
                        body(go[0], rep[1]);
                        _exit(EXIT_FAILURE);
                }
        }
        *ret_clone3 = v2_done;

        r = cg_unit_attach(u, pid, v2_done);
        is_int(r, 0, "cg_unit_attach() before the child runs");
        /* On failure, closing "go" unwritten makes the child exit. */
        if (r >= 0 && write(go[1], "x", 1) != 1)
                r = -errno;
        go[1] = safe_close(go[1]);
        rep[1] = safe_close(rep[1]);

        pfd = (struct pollfd){.fd = rep[0], .events = POLLIN};
        if (r < 0 || poll(&pfd, 1, TIMEOUT_MS) != 1 ||
            read(rep[0], ret_reported, sizeof(*ret_reported)) != sizeof(*ret_reported))
                *ret_reported = -1;
        return pid;
}

static bool pids_contain(const pid_t *pids, size_t n, pid_t pid) {
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static bool procs_file_has(const char *dir, pid_t pid) {
        char path[4096], line[64];
        bool found = false;
        FILE *f;

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (atoi(line) == pid)
                        found = true;
        fclose(f);
        return found;
}

static bool strv_contains(char **l, const char *s) {
        STRV_FOREACH (i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

/* Waits, bounded, until the group is empty: by inotify on cgroup.events where there is one,
 * by looking again every 10 ms on pure v1. */
static int wait_empty(struct cg_unit *u, int efd) {
        uint64_t deadline = now_ms() + TIMEOUT_MS;

        for (;;) {
                struct pollfd pfd = {.fd = efd, .events = POLLIN};
                char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                uint64_t now;
                int r;

                r = cg_unit_is_empty(u);
                if (r != 0)
                        return r;
                now = now_ms();
                if (now >= deadline)
                        return -ETIMEDOUT;
                if (efd >= 0) {
                        r = poll(&pfd, 1, (int) (deadline - now));
                        if (r < 0 && errno != EINTR)
                                return -errno;
                        while (read(efd, buf, sizeof(buf)) > 0)
                                ;
                } else
                        (void) poll(NULL, 0, 10);
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

/* Reaps @pid, bounded: SIGKILLs it after the timeout so the test never hangs. */
static int reap(pid_t pid) {
        uint64_t deadline = now_ms() + TIMEOUT_MS;
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
                (void) poll(NULL, 0, 10);
        }
}

static void test_tree_sigkill(struct cg_host *h, struct cg_root *root, const char *root_name) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_strv_free_ char **names = NULL, **dirs = NULL;
        _cleanup_close_ int efd = -EBADF;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_free_ char *want_path = NULL;
        pid_t child, grandchild = -1;
        size_t n_pids = 0;
        bool clone3_used = false;
        int r, wd = -1, status;

        r = cg_unit_new(root, "web", &u);
        if (!is_int(r, 0, "cg_unit_new(web)"))
                return;

        if (asprintf(&want_path, "/%s/web", root_name) < 0)
                want_path = NULL;
        ok(want_path && endswith(cg_unit_path(u), want_path), "cg_unit_path() = %s", cg_unit_path(u));

        r = cg_root_list(root, &names);
        ok(r == 1 && strv_contains(names, "web"), "cg_root_list() lists web");

        is_int(cg_root_remove(root), -EBUSY, "cg_root_remove() refuses while a unit group exists");

        is_int(cg_unit_is_empty(u), 1, "new group is empty");

        efd = cg_unit_events_fd(u, &wd);
        ok(cg_host_layout(h) == CG_LAYOUT_V1 ? efd == -EOPNOTSUPP : efd >= 0, "cg_unit_events_fd(): %s",
           efd >= 0 ? "inotify fd" : strerror(-efd));

        child = spawn_in(u, body_tree, &clone3_used, &grandchild);
        if (!ok(child > 0 && grandchild > 0, "spawned child %d and grandchild %d (%s)", (int) child,
                (int) grandchild, clone3_used ? "clone3 CLONE_INTO_CGROUP" : "fork + attach"))
                goto out;

        r = cg_unit_procs(u, &pids, &n_pids);
        ok(r == 0 && n_pids == 2 && pids_contain(pids, n_pids, child) &&
                   pids_contain(pids, n_pids, grandchild),
           "cg_unit_procs() lists both (%zu pids)", n_pids);

        for (char *const *d = cg_unit_dirs(u); *d; d++)
                ok(procs_file_has(*d, child) && procs_file_has(*d, grandchild), "both in %s/cgroup.procs",
                   *d);

        is_int(cg_unit_is_empty(u), 0, "group is not empty");

        r = cg_unit_kill(u, SIGKILL);
        is_int(r, 2, "cg_unit_kill(SIGKILL) hit 2 processes");

        is_int(wait_empty(u, efd), 1, "group empties within 5 s");

        status = reap(child);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child was SIGKILLed");
        status = reap(grandchild);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "grandchild was SIGKILLed");

out:
        /* Copies, to check after destroy that nothing is left. */
        for (char *const *d = cg_unit_dirs(u); *d; d++) {
                size_t n = strv_length(dirs);
                char **l = realloc(dirs, (n + 2) * sizeof(char *));
                if (!l)
                        break;
                dirs = l;
                dirs[n] = strdup(*d);
                dirs[n + 1] = NULL;
        }

        (void) cg_unit_kill(u, SIGKILL);
        (void) wait_empty(u, efd);
        is_int(cg_unit_destroy(u), 0, "cg_unit_destroy()");
        ok(dirs && all_gone(dirs), "no unit directory left in any hierarchy");

        is_int(cg_unit_kill(u, SIGKILL), 0, "cg_unit_kill() of a removed group signals nothing");
        is_int(cg_unit_is_empty(u), 1, "a removed group is empty");
        is_int(cg_unit_destroy(u), 0, "cg_unit_destroy() again is fine");
}

static void test_double_fork_sigterm(struct cg_root *root) {
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ pid_t *pids = NULL;
        _cleanup_close_ int efd = -EBADF;
        pid_t child, orphan = -1;
        size_t n_pids = 0;
        bool clone3_used;
        int r, status;

        /* "memory.job" would clash with the memory controller's files: escaped on disk. */
        r = cg_unit_new(root, "memory.job", &u);
        if (!is_int(r, 0, "cg_unit_new(memory.job)"))
                return;
        ok(endswith(cg_unit_dirs(u)[0], "/_memory.job") != NULL, "clashing name escaped as _memory.job");
        r = cg_root_list(root, &names);
        ok(r == 1 && strv_contains(names, "memory.job"), "cg_root_list() unescapes it");

        efd = cg_unit_events_fd(u, NULL);

        child = spawn_in(u, body_double_fork, &clone3_used, &orphan);
        if (!ok(child > 0 && orphan > 0, "double fork left orphan %d", (int) orphan))
                goto out;

        status = reap(child);
        ok(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "first process exited");

        r = cg_unit_procs(u, &pids, &n_pids);
        ok(r == 0 && n_pids == 1 && pids[0] == orphan, "only the orphan is left in the group");

        r = cg_unit_kill(u, SIGTERM);
        is_int(r, 1, "cg_unit_kill(SIGTERM) reached the orphan");

        status = reap(orphan);
        ok(status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "orphan died of SIGTERM");

        is_int(wait_empty(u, efd), 1, "group empties");

out:
        (void) cg_unit_kill(u, SIGKILL);
        (void) wait_empty(u, efd);
        is_int(cg_unit_destroy(u), 0, "cg_unit_destroy(memory.job)");
        ok(all_gone(cg_unit_dirs(u)), "no directory of memory.job left");
}

static void test_nested_root(struct cg_host *h) {
        _cleanup_(cg_root_freep) struct cg_root *r = NULL;
        char top[64], name[80];

        snprintf(top, sizeof(top), "sup-test-%d-nested", (int) getpid());
        snprintf(name, sizeof(name), "%s/a/b", top);

        if (!is_int(cg_root_new(h, name, &r), 0, "cg_root_new(sup-test-PID-nested/a/b)"))
                return;
        ok(endswith(cg_root_path(r), "/a/b") != NULL, "nested root path %s", cg_root_path(r));
        is_int(cg_root_remove(r), 0, "cg_root_remove() of the nested root");

        /* The parents it made go too. */
        bool gone = true;
        for (char *const *d = cg_root_dirs(r); *d; d++) {
                _cleanup_free_ char *p = strdup(*d);
                char *s = p ? strstr(p, top) : NULL;
                if (!s)
                        continue;
                s[strlen(top)] = '\0';
                if (access(p, F_OK) >= 0) {
                        diag("still there: %s", p);
                        gone = false;
                }
        }
        ok(gone, "parents made by cg_root_new() removed");
}

static void test_bad_roots(struct cg_host *h) {
        static const char *const bad[] = {"", "/", "//", "a/../b", "./a", "a/."};
        struct cg_root *r = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                is_int(cg_root_new(h, bad[i], &r), -EINVAL, "cg_root_new() refuses a bad root");
        ok(r == NULL, "ret untouched on failure");
}

int main(void) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        _cleanup_(cg_root_freep) struct cg_root *root = NULL;
        char root_name[64];
        int r;

        if (geteuid() != 0)
                return tap_skip_all("needs root");

        r = cg_host_detect(&h);
        if (r == -ENOMEDIUM)
                return tap_skip_all("no cgroup file system mounted");
        if (!is_int(r, 0, "cg_host_detect()"))
                return tap_done();

        diag("layout %s, v2 tree %s", cg_layout_to_string(cg_host_layout(h)), strempty(cg_host_v2_mount(h)));
        for (enum cg_controller c = 0; c < _CG_CONTROLLER_MAX; c++)
                if (cg_host_v1_mount(h, c))
                        diag("v1 %s at %s", cg_controller_to_string(c), cg_host_v1_mount(h, c));
        ok(cg_layout_to_string(cg_host_layout(h)) != NULL, "layout is %s",
           cg_layout_to_string(cg_host_layout(h)));
        ok((cg_host_layout(h) == CG_LAYOUT_V1) == (cg_host_v2_mount(h) == NULL), "v2 tree iff not v1");

        /* Orphans of the groups are reparented to us, as they are to supd. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                return tap_skip_all("PR_SET_CHILD_SUBREAPER failed");

        test_bad_roots(h);

        snprintf(root_name, sizeof(root_name), "sup-test-%d", (int) getpid());
        r = cg_root_new(h, root_name, &root);
        if (r == -EACCES || r == -EPERM || r == -EROFS)
                return tap_skip_all("cannot make cgroups here");
        if (!is_int(r, 0, "cg_root_new(sup-test-PID)"))
                return tap_done();
        diag("root %s", cg_root_path(root));
        for (char *const *d = cg_root_dirs(root); *d; d++)
                ok(access(*d, F_OK) >= 0, "root made in %s", *d);

        test_tree_sigkill(h, root, root_name);
        test_double_fork_sigterm(root);

        is_int(cg_root_remove(root), 0, "cg_root_remove()");
        ok(all_gone(cg_root_dirs(root)), "no root directory left in any hierarchy");
        is_int(cg_root_remove(root), 0, "cg_root_remove() again is fine");

        test_nested_root(h);

        return tap_done();
}
