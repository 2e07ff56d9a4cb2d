/* SPDX-License-Identifier: MIT */

/* cgroupd's device allowlist (cg_unit_set_devices()) against the real kernel: needs root and a
 * mounted cgroup file system, skips (77) otherwise. A child placed in a unit group with the
 * allowlist makes device nodes with mknod (allowed for any device) on a private tmpfs and opens
 * them: null, zero, urandom open, tty and pty slaves are not refused, fuse, loop-control, loop0
 * and an unknown major fail with EPERM. The same child outside the group opens them all without
 * EPERM, so the refusal is the group's. Runs on the host's layout; on a hybrid host a second
 * time on the v2 tree alone (cgroup2 mounted over /sys/fs/cgroup in a private mount namespace),
 * which takes the BPF path. Every group and the tmpfs are removed after.
 *
 * CG_DEBUG=1 in the environment shows cgroupd's debug lines on stderr. */

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
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

_printf_(3, 0) static void debug_sink(int level, int error, const char *fmt, va_list ap) {
        fputs("debug: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}
log_sink_t log_sink = NULL;
int log_max_level = LOG_LEVEL_DEBUG;

enum want {
        WANT_OPEN,      /* on the allowlist */
        WANT_NOT_EPERM, /* on the allowlist, but the driver says no (no ctty, not on a devpts) */
        WANT_EPERM,     /* not on the allowlist */
};

static const struct node {
        const char *name;
        mode_t type;
        unsigned major, minor;
        enum want want;
} nodes[] = {
        {"null", S_IFCHR, 1, 3, WANT_OPEN},
        {"zero", S_IFCHR, 1, 5, WANT_OPEN},
        {"urandom", S_IFCHR, 1, 9, WANT_OPEN},
        {"tty", S_IFCHR, 5, 0, WANT_NOT_EPERM},
        {"pts-136", S_IFCHR, 136, 5, WANT_NOT_EPERM},
        {"pts-143", S_IFCHR, 143, 1, WANT_NOT_EPERM},
        {"major-144", S_IFCHR, 144, 0, WANT_EPERM},
        {"fuse", S_IFCHR, 10, 229, WANT_EPERM},
        {"loop-control", S_IFCHR, 10, 237, WANT_EPERM},
        {"loop0", S_IFBLK, 7, 0, WANT_EPERM},
};

struct result {
        int mknod_errno; /* 0: made */
        int open_errno;  /* 0: opened */
};

static char tmpdir[] = "/tmp/sup-devices-XXXXXX";

/* In the child: make each node, open it (block devices read-only; nothing is ever read or
 * written), remove it, and send the errnos up @fd. */
static void probe(int fd, const char *tag) {
        struct result res[ELEMENTSOF(nodes)] = {};

        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                char path[256];
                int k;

                snprintf(path, sizeof(path), "%s/%s-%s", tmpdir, tag, nodes[i].name);
                if (mknod(path, nodes[i].type | 0600, makedev(nodes[i].major, nodes[i].minor)) < 0) {
                        res[i].mknod_errno = errno;
                        continue;
                }
                k = open(path,
                         (nodes[i].type == S_IFBLK ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
                res[i].open_errno = k < 0 ? errno : 0;
                if (k >= 0)
                        close(k);
                (void) unlink(path);
        }
        if (write(fd, res, sizeof(res)) != (ssize_t) sizeof(res))
                _exit(EXIT_FAILURE);
}

/* Runs probe() in a child: in @u the way the launcher places one (clone3(CLONE_INTO_CGROUP) into
 * the v2 tree, then the v1 hierarchies, and only then it runs), or outside any group when @u is
 * NULL. Returns 0 with @ret filled. */
static int run_probe(struct cg_unit *u, const char *tag, struct result ret[static ELEMENTSOF(nodes)]) {
        _cleanup_close_pair_ int go[2] = {-EBADF, -EBADF}, rep[2] = {-EBADF, -EBADF};
        _cleanup_close_ int cgfd = -EBADF;
        bool v2_done = false;
        pid_t pid = -1;
        ssize_t k;
        int status;

        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0)
                return -errno;

        cgfd = u ? cg_unit_clone_fd(u) : -EBADF;
        if (cgfd >= 0) {
                struct test_clone_args args = {
                        .flags = CLONE_INTO_CGROUP,
                        .exit_signal = SIGCHLD,
                        .cgroup = (uint64_t) cgfd,
                };
                pid = (pid_t) syscall(SYS_clone3, &args, sizeof(args));
                if (pid >= 0)
                        v2_done = true;
        }
        if (pid < 0)
                pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                char c;

                go[1] = safe_close(go[1]);
                rep[0] = safe_close(rep[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(EXIT_FAILURE);
                probe(rep[1], tag);
                _exit(EXIT_SUCCESS);
        }
        rep[1] = safe_close(rep[1]);

        if (u) {
                int r = cg_unit_attach(u, pid, v2_done);
                if (r < 0) {
                        diag("cg_unit_attach: %s", strerror(-r));
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, NULL, 0);
                        return r;
                }
        }
        if (write(go[1], "x", 1) != 1) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return -EIO;
        }
        go[1] = safe_close(go[1]);

        k = read(rep[0], ret, sizeof(struct result) * ELEMENTSOF(nodes));
        (void) waitpid(pid, &status, 0);
        if (k != (ssize_t) (sizeof(struct result) * ELEMENTSOF(nodes)))
                return -EIO;
        return 0;
}

static const char *errname(int e) {
        return e == 0 ? "ok" : strerrorname_np(e) ?: "?";
}

/* Outside any group of ours every node opens or is refused by its driver, never with EPERM: the
 * file system allows device nodes and the test's own cgroup does not filter them. */
static void test_control(const char *label) {
        struct result res[ELEMENTSOF(nodes)];

        if (!is_int(run_probe(NULL, "control", res), 0, "control: probe outside the group"))
                return;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                const struct node *n = &nodes[i];

                ok(res[i].mknod_errno == 0 && res[i].open_errno != EPERM,
                   "%s: outside the group, mknod %c %u:%u (%s) works and open is not refused (mknod=%s "
                   "open=%s)",
                   label, n->type == S_IFBLK ? 'b' : 'c', n->major, n->minor, n->name,
                   errname(res[i].mknod_errno), errname(res[i].open_errno));
        }
}

static int read_lines(const char *dir, const char *file, char **ret) {
        char path[4096];
        int fd;
        ssize_t k;
        char *buf;

        snprintf(path, sizeof(path), "%s/%s", dir, file);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        buf = calloc(1, 65536);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        k = read(fd, buf, 65535);
        close(fd);
        if (k < 0) {
                free(buf);
                return -errno;
        }
        *ret = buf;
        return 0;
}

/* What the group carries: devices.list on v1, the attached programs on v2. */
static void check_state(struct cg_host *h, struct cg_unit *u, const char *label) {
        const char *mount = cg_host_v1_mount(h, CG_CONTROLLER_DEVICES);
        char *const *dirs = cg_unit_dirs(u);

        if (mount) {
                static const char want[] = "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\n"
                                           "c 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n"
                                           "c 137:* rwm\nc 138:* rwm\nc 139:* rwm\nc 140:* rwm\n"
                                           "c 141:* rwm\nc 142:* rwm\nc 143:* rwm\n";
                _cleanup_free_ char *list = NULL;
                const char *dir = NULL;

                for (size_t i = 0; dirs[i]; i++)
                        if (startswith(dirs[i], mount) && dirs[i][strlen(mount)] == '/')
                                dir = dirs[i];
                ok(dir && read_lines(dir, "devices.list", &list) == 0 && streq(list, want),
                   "%s: devices.list is the allowlist, and nothing else", label);
                if (list && !streq(list, want))
                        diag("devices.list:\n%s", list);
                return;
        }

        _cleanup_close_ int fd = open(dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint32_t ids[8];
        union bpf_attr attr = {
                .query.target_fd = (uint32_t) fd,
                .query.attach_type = BPF_CGROUP_DEVICE,
                .query.prog_ids = (uint64_t) (uintptr_t) ids,
                .query.prog_cnt = ELEMENTSOF(ids),
        };
        int r = (int) syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr));
        ok(r == 0 && attr.query.prog_cnt == 1 && attr.query.attach_flags == BPF_F_ALLOW_MULTI,
           "%s: one device program attached to the v2 group, with BPF_F_ALLOW_MULTI (r=%d, n=%u, flags=%u)",
           label, r < 0 ? -errno : r, attr.query.prog_cnt, attr.query.attach_flags);
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

static void run_layout(const char *label) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        _cleanup_(cg_root_freep) struct cg_root *root = NULL;
        _cleanup_(cg_unit_freep) struct cg_unit *u = NULL;
        struct result res[ELEMENTSOF(nodes)];
        char root_name[64];
        int r;

        if (!is_int(cg_host_detect(&h), 0, "cg_host_detect()"))
                return;
        diag("%s: layout %s, devices %s", label, cg_layout_to_string(cg_host_layout(h)),
             cg_host_v1_mount(h, CG_CONTROLLER_DEVICES) ? "v1 controller" : "BPF program on the v2 group");

        test_control(label);

        snprintf(root_name, sizeof(root_name), "sup-devices-%d", (int) getpid());
        r = cg_root_new(h, root_name, &root);
        if (!is_int(r, 0, "cg_root_new(sup-devices-PID)"))
                return;
        if (!is_int(cg_unit_new(root, "dev", &u), 0, "cg_unit_new(dev)"))
                goto out;

        r = cg_unit_set_devices(u);
        if (!is_int(r, 0, "cg_unit_set_devices()")) {
                diag("cg_unit_set_devices: %s", strerror(-r));
                goto out;
        }
        /* The group is reused across a restart: applying it again leaves the same state. */
        is_int(cg_unit_set_devices(u), 0, "cg_unit_set_devices() again on the same group");
        check_state(h, u, label);

        if (!is_int(run_probe(u, label, res), 0, "probe in the group"))
                goto out;
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                const struct node *n = &nodes[i];
                char c = n->type == S_IFBLK ? 'b' : 'c';
                bool good = res[i].mknod_errno == 0 &&
                            (n->want == WANT_OPEN        ? res[i].open_errno == 0
                             : n->want == WANT_NOT_EPERM ? res[i].open_errno != EPERM
                                                         : res[i].open_errno == EPERM);

                ok(good, "%s: in the group, mknod %c %u:%u (%s) works and open %s (mknod=%s open=%s)", label,
                   c, n->major, n->minor, n->name,
                   n->want == WANT_OPEN        ? "works"
                   : n->want == WANT_NOT_EPERM ? "is not refused"
                                               : "fails with EPERM",
                   errname(res[i].mknod_errno), errname(res[i].open_errno));
        }

        (void) cg_unit_kill(u, SIGKILL);
        is_int(cg_unit_destroy(u), 0, "cg_unit_destroy()");
        ok(all_gone(cg_unit_dirs(u)), "%s: no directory of the unit left", label);
out:
        is_int(cg_root_remove(root), 0, "cg_root_remove()");
        ok(all_gone(cg_root_dirs(root)), "%s: no root directory left in any hierarchy", label);
}

int main(void) {
        _cleanup_(cg_host_freep) struct cg_host *h = NULL;
        bool hybrid;
        int r;

        if (getenv("CG_DEBUG"))
                log_sink = debug_sink;

        if (geteuid() != 0)
                return tap_skip_all("needs root");
        r = cg_host_detect(&h);
        if (r == -ENOMEDIUM)
                return tap_skip_all("no cgroup file system mounted");
        if (r < 0)
                return tap_skip_all("cannot detect the cgroup layout");
        hybrid = cg_host_layout(h) == CG_LAYOUT_HYBRID;
        h = cg_host_free(h);

        /* A private mount namespace: a tmpfs without nodev for the nodes (the host's /tmp may be
         * nodev), and on a hybrid host the v2 tree alone over /sys/fs/cgroup for the second pass. */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return tap_skip_all("cannot make a private mount namespace");
        if (!mkdtemp(tmpdir))
                return tap_skip_all("mkdtemp failed");
        if (mount("tmpfs", tmpdir, "tmpfs", MS_NOSUID, "mode=0700,size=1m") < 0) {
                (void) rmdir(tmpdir);
                return tap_skip_all("cannot mount a tmpfs");
        }
        (void) prctl(PR_SET_CHILD_SUBREAPER, 1);

        run_layout(hybrid ? "hybrid" : "host");

        if (hybrid) {
                if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
                    0)
                        ok(1, "v2 alone # SKIP cannot mount cgroup2: %s", strerror(errno));
                else {
                        run_layout("v2");
                        (void) umount2("/sys/fs/cgroup", MNT_DETACH);
                }
        }

        (void) umount2(tmpdir, MNT_DETACH);
        ok(rmdir(tmpdir) == 0, "temp dir removed");
        return tap_done();
}
