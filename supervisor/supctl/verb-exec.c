/* SPDX-License-Identifier: MIT */

/* supctl exec [-t] NAME CMD…: run CMD inside a running unit, as docker exec does. Client side, as
 * root; supd is only asked for the unit's main process.
 *
 * What is read before anything is entered, all from the host's view:
 *   1. GetUnit(): MainPID (the container's init with Init=yes, else the payload), CGroup, Init.
 *   2. A pidfd and a /proc/PID directory fd of the main process; its cgroup must be the unit's
 *      (a pid reused since GetUnit() is not), and after the reads below it must still be alive
 *      (pidfd_send_signal(0)), so that what /proc said was about it.
 *   3. The payload (the init's first child, or the main process itself): its uid, gid, groups,
 *      bounding set and no_new_privs (/proc/PID/status; ids mapped into the unit's user
 *      namespace through its uid_map/gid_map), its environment, its working directory (an fd).
 *   4. The namespaces to join: those whose inode differs from ours (a unit sharing the host's
 *      network namespace, say, is not "entered" into it).
 *   5. The unit's cgroup in every hierarchy (/proc/PID/cgroup and our mountinfo): an fd of each
 *      cgroup.procs. A frozen unit is refused: the command would hang.
 *
 * Then: the pid namespace for our children (setns(CLONE_NEWPID)), fork; the parent writes the
 * child's pid to every cgroup.procs (from the host, with its own credentials) and lets it go on
 * over a SEQPACKET socketpair; the child joins the other namespaces at once (setns(pidfd), the
 * user namespace first when the unit has one), checks it got the container's root, enters the
 * payload's working directory, with -t opens a pty on the container's /dev/ptmx (its master goes
 * to the parent over the socketpair) and makes it its controlling terminal, takes the payload's
 * ids, bounding set and no_new_privs, and execs CMD with the payload's environment (PATH
 * included). A failure is reported as {step, -errno}; EOF means exec succeeded (CLOEXEC).
 * Before entering, supctl makes itself non-dumpable, so that nothing in the container can
 * ptrace it or open its /proc/PID/exe; exec of CMD makes the process dumpable again.
 *
 * The parent stays outside, waits for the child and exits with its status (128+N for signal N);
 * signals sent to supctl are passed on. With -t it puts the user's terminal in raw mode, relays
 * between it and the pty master with poll(), and passes window size changes on.
 *
 * Not done: the unit's seccomp filter (not implemented in the launcher yet) and its rlimits. */

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define PROC_FILE_MAX (1024U * 1024U)
#define RELAY_BUF 8192U

static const struct {
        const char *name;
        int flag;
} namespaces[] = {
        /* /proc/PID/ns/NAME; setns(pidfd) takes them all at once, and enters the user one first. */
        { "user", CLONE_NEWUSER },     { "mnt", CLONE_NEWNS },   { "pid", CLONE_NEWPID },
        { "uts", CLONE_NEWUTS },       { "ipc", CLONE_NEWIPC },  { "net", CLONE_NEWNET },
        { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

struct id_map_line {
        uint32_t inside, outside, count;
};

struct target {
        const char *name;
        pid_t main_pid; /* as supd sees it (and we: pidfd_open() takes it) */
        pid_t proc_pid; /* as our /proc sees it: not the same when supd is PID 1 of a pid namespace */
        int pidfd;
        int proc_fd;         /* /proc/MAIN */
        int payload_proc_fd; /* /proc/PAYLOAD, the same as proc_fd without an init */
        int ns_flags;        /* CLONE_NEW* to join */
        int root_fd;         /* O_PATH: the main process's root, to check the mount namespace's */
        struct stat root_st;
        int cwd_fd; /* O_PATH: the payload's working directory */

        uid_t uid;
        gid_t gid;
        gid_t *groups;
        size_t n_groups;
        uint64_t cap_bounding;
        int cap_last;
        bool no_new_privs;
        char **env;

        int *cgroup_fds; /* cgroup.procs of each hierarchy, O_WRONLY */
        size_t n_cgroup_fds;
};

static void target_done(struct target *t) {
        safe_close(t->pidfd);
        if (t->payload_proc_fd != t->proc_fd)
                safe_close(t->payload_proc_fd);
        safe_close(t->proc_fd);
        safe_close(t->root_fd);
        safe_close(t->cwd_fd);
        free(t->groups);
        strv_free(t->env);
        for (size_t i = 0; i < t->n_cgroup_fds; i++)
                safe_close(t->cgroup_fds[i]);
        free(t->cgroup_fds);
}

/* ---- reading /proc ---------------------------------------------------------------------------- */

/* The whole file (at most PROC_FILE_MAX), NUL-terminated; *ret_size without that NUL. */
static int read_full_at(int dirfd, const char *path, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n;

                if (allocated - size < 4096) {
                        char *p;

                        if (allocated >= PROC_FILE_MAX)
                                return -EFBIG;
                        allocated = allocated ? allocated * 2 : 8192;
                        p = realloc(buf, allocated + 1);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                }
                n = read(fd, buf + size, allocated - size);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

/* The value of "Key:\t..." in a /proc/PID/status text, copied into @buf; NULL when missing. */
static char *status_field(const char *status, const char *key, char *buf, size_t size) {
        size_t l = strlen(key);

        for (const char *p = status; p && *p;) {
                if (strncmp(p, key, l) == 0 && p[l] == ':') {
                        const char *v = p + l + 1;
                        size_t n;

                        v += strspn(v, " \t");
                        n = strcspn(v, "\n");
                        if (n >= size)
                                return NULL;
                        memcpy(buf, v, n);
                        buf[n] = '\0';
                        return buf;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        return NULL;
}

static int parse_id_map(const char *text, struct id_map_line **ret, size_t *ret_n) {
        _cleanup_free_ struct id_map_line *lines = NULL;
        size_t n = 0;

        for (const char *p = text; p && *p;) {
                struct id_map_line l;
                struct id_map_line *a;

                if (sscanf(p, "%" SCNu32 " %" SCNu32 " %" SCNu32, &l.inside, &l.outside, &l.count) == 3) {
                        a = reallocarray(lines, n + 1, sizeof(*lines));
                        if (!a)
                                return -ENOMEM;
                        lines = a;
                        lines[n++] = l;
                }
                p = strchr(p, '\n');
                if (p)
                        p++;
        }
        *ret = TAKE_PTR(lines);
        *ret_n = n;
        return 0;
}

/* A host id as the unit's user namespace sees it. */
static int map_id(const struct id_map_line *map, size_t n, uint32_t host, uint32_t *ret) {
        for (size_t i = 0; i < n; i++)
                if (host >= map[i].outside && host - map[i].outside < map[i].count) {
                        *ret = map[i].inside + (host - map[i].outside);
                        return 0;
                }
        return -ERANGE;
}

static int read_id_map(int proc_fd, const char *file, struct id_map_line **ret, size_t *ret_n) {
        _cleanup_free_ char *text = NULL;
        int r;

        r = read_full_at(proc_fd, file, &text, NULL);
        if (r < 0)
                return r;
        return parse_id_map(text, ret, ret_n);
}

/* The first pid in /proc/PID/task/PID/children: children are listed oldest first, and the init
 * forks the payload before anything else can appear there (orphans come later). */
static int first_child(int proc_fd, pid_t pid, pid_t *ret) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        int child, r;

        if (asprintf(&path, "task/%d/children", (int) pid) < 0)
                return -ENOMEM;
        r = read_full_at(proc_fd, path, &text, NULL);
        if (r < 0)
                return r;
        if (sscanf(text, "%d", &child) != 1 || child <= 0)
                return -ESRCH;
        *ret = child;
        return 0;
}

/* The pid of the pidfd's process in the pid namespace of our /proc, from the pidfd's fdinfo. */
static int pidfd_proc_pid(int pidfd, pid_t *ret) {
        _cleanup_free_ char *text = NULL;
        char path[64], buf[32], *v;
        long pid;
        int r;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        r = read_full_at(AT_FDCWD, path, &text, NULL);
        if (r < 0)
                return r;
        v = status_field(text, "Pid", buf, sizeof(buf));
        if (!v)
                return -EOPNOTSUPP; /* before Linux 5.10: take the numbers as they are */
        pid = strtol(v, NULL, 10);
        if (pid < 0)
                return -ESRCH;
        if (pid == 0)
                return -EREMOTE; /* not in the pid namespace of our /proc */
        *ret = (pid_t) pid;
        return 0;
}

static int open_proc_dir(pid_t pid) {
        char path[32];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* ---- step 2: the main process, and whether it is the unit's --------------------------------------- */

/* Whether one of the lines of /proc/PID/cgroup names @cgroup (or a group below it). */
static bool cgroup_matches(const char *text, const char *cgroup) {
        size_t l = strlen(cgroup);

        for (const char *p = text; p && *p;) {
                const char *path = strchr(p, ':');
                const char *e;

                path = path ? strchr(path + 1, ':') : NULL;
                if (!path)
                        break;
                path++;
                e = strchrnul(path, '\n');
                if ((size_t) (e - path) >= l && strncmp(path, cgroup, l) == 0 &&
                    ((size_t) (e - path) == l || path[l] == '/'))
                        return true;
                p = *e ? e + 1 : NULL;
        }
        return false;
}

/* ---- step 3: the payload's identity and environment --------------------------------------------------- */

static int parse_groups(const char *s, gid_t **ret, size_t *ret_n) {
        _cleanup_free_ gid_t *groups = NULL;
        size_t n = 0;

        while (s && *s) {
                char *end;
                unsigned long v;
                gid_t *a;

                s += strspn(s, " \t");
                if (!*s)
                        break;
                errno = 0;
                v = strtoul(s, &end, 10);
                if (errno != 0 || end == s || v > UINT32_MAX)
                        return -EINVAL;
                a = reallocarray(groups, n + 1, sizeof(gid_t));
                if (!a)
                        return -ENOMEM;
                groups = a;
                groups[n++] = (gid_t) v;
                s = end;
        }
        *ret = TAKE_PTR(groups);
        *ret_n = n;
        return 0;
}

/* The second field (effective) of "Uid:\t0\t0\t0\t0": real, effective, saved, filesystem. */
static int parse_effective_id(const char *v, uint32_t *ret) {
        unsigned long eff;
        char *end;

        if (!v)
                return -EINVAL;
        (void) strtoul(v, &end, 10);
        if (end == v)
                return -EINVAL;
        v = end;
        eff = strtoul(v, &end, 10);
        if (end == v || eff > UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) eff;
        return 0;
}

static int read_identity(struct target *t, pid_t payload_pid, const char **ret_what) {
        _cleanup_free_ struct id_map_line *uid_map = NULL, *gid_map = NULL;
        _cleanup_free_ char *status = NULL, *caplast = NULL;
        _cleanup_free_ gid_t *groups = NULL;
        size_t n_uid_map = 0, n_gid_map = 0, n_groups = 0, k = 0;
        char buf[128], groups_buf[8192], *v, *end;
        uint32_t uid, gid;
        int r;

        *ret_what = "read the payload's status";
        r = read_full_at(t->payload_proc_fd, "status", &status, NULL);
        if (r < 0)
                return r;

        if (payload_pid != t->proc_pid) {
                v = status_field(status, "PPid", buf, sizeof(buf));
                if (!v || strtol(v, NULL, 10) != t->proc_pid)
                        return -ESRCH; /* gone, and the pid taken by someone else */
        }
        *ret_what = "parse the payload's status";
        r = parse_effective_id(status_field(status, "Uid", buf, sizeof(buf)), &uid);
        if (r < 0)
                return r;
        r = parse_effective_id(status_field(status, "Gid", buf, sizeof(buf)), &gid);
        if (r < 0)
                return r;
        v = status_field(status, "Groups", groups_buf, sizeof(groups_buf));
        r = parse_groups(v ?: "", &groups, &n_groups);
        if (r < 0)
                return r;
        v = status_field(status, "NoNewPrivs", buf, sizeof(buf));
        t->no_new_privs = v && strtol(v, NULL, 10) == 1;
        v = status_field(status, "CapBnd", buf, sizeof(buf));
        if (!v)
                return -EINVAL;
        errno = 0;
        t->cap_bounding = strtoull(v, &end, 16);
        if (errno != 0 || end == v)
                return -EINVAL;

        *ret_what = "read /proc/sys/kernel/cap_last_cap";
        r = read_full_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &caplast, NULL);
        if (r < 0)
                return r;
        t->cap_last = atoi(caplast);
        if (t->cap_last <= 0 || t->cap_last > 63)
                return -EINVAL;

        if (!(t->ns_flags & CLONE_NEWUSER)) {
                t->uid = uid;
                t->gid = gid;
                t->groups = TAKE_PTR(groups);
                t->n_groups = n_groups;
                return 0;
        }

        /* What the host sees, as the unit's user namespace sees it. */
        *ret_what = "read the unit's uid_map and gid_map";
        r = read_id_map(t->proc_fd, "uid_map", &uid_map, &n_uid_map);
        if (r < 0)
                return r;
        r = read_id_map(t->proc_fd, "gid_map", &gid_map, &n_gid_map);
        if (r < 0)
                return r;
        *ret_what = "map the payload's ids into the unit's user namespace";
        if (map_id(uid_map, n_uid_map, uid, &uid) < 0 || map_id(gid_map, n_gid_map, gid, &gid) < 0)
                return -ERANGE;
        for (size_t i = 0; i < n_groups; i++) {
                uint32_t g;
                if (map_id(gid_map, n_gid_map, groups[i], &g) >= 0)
                        groups[k++] = g;
        }
        t->uid = uid;
        t->gid = gid;
        t->groups = TAKE_PTR(groups);
        t->n_groups = k;
        return 0;
}

/* The payload's environment minus what was for it alone; PATH as the launcher defaults it; TERM
 * from the user's terminal with -t. */
static int read_environment(struct target *t) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **env = NULL;
        const char *term = getenv("TERM");
        bool have_path = false, have_term = false;
        size_t size, n = 0;
        int r;

        r = read_full_at(t->payload_proc_fd, "environ", &text, &size);
        if (r < 0)
                return r;

        env = calloc(2, sizeof(char *));
        if (!env)
                return -ENOMEM;
        for (size_t i = 0; i < size;) {
                const char *e = text + i;
                size_t l = strlen(e);
                char **a;

                i += l + 1;
                if (l == 0 || !strchr(e, '=') || startswith(e, "NOTIFY_SOCKET="))
                        continue;
                have_path = have_path || startswith(e, "PATH=");
                have_term = have_term || startswith(e, "TERM=");
                a = reallocarray(env, n + 3, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                env = a;
                env[n] = strdup(e);
                if (!env[n])
                        return -ENOMEM;
                env[++n] = NULL;
        }
        if (!have_path && !(env[n++] = strdup("PATH=" DEFAULT_PATH)))
                return -ENOMEM;
        env[n] = NULL;
        if (arg_tty && !have_term) {
                char **a = reallocarray(env, n + 2, sizeof(char *));
                if (!a)
                        return -ENOMEM;
                env = a;
                if (asprintf(&env[n], "TERM=%s", term && *term ? term : "xterm") < 0)
                        return -ENOMEM;
                env[++n] = NULL;
        }
        t->env = TAKE_PTR(env);
        return 0;
}

/* ---- step 4: namespaces ------------------------------------------------------------------------------ */

static int namespaces_to_join(struct target *t) {
        int flags = 0;

        for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
                char ours[64], theirs[64];
                struct stat a, b;

                snprintf(ours, sizeof(ours), "/proc/self/ns/%s", namespaces[i].name);
                snprintf(theirs, sizeof(theirs), "ns/%s", namespaces[i].name);
                if (fstatat(t->proc_fd, theirs, &b, 0) < 0) {
                        if (errno == ENOENT)
                                continue; /* not in this kernel */
                        return -errno;
                }
                if (stat(ours, &a) < 0)
                        return -errno;
                if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                        flags |= namespaces[i].flag;
        }
        t->ns_flags = flags;
        return 0;
}

/* ---- step 5: cgroups ------------------------------------------------------------------------------ */

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape_octal(char *s) {
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

/* Whether every item of the comma list @want is among the comma list @have. */
static bool options_include(const char *have, const char *want) {
        for (const char *w = want; *w;) {
                size_t l = strcspn(w, ",");
                bool found = false;

                for (const char *h = have; *h;) {
                        size_t m = strcspn(h, ",");
                        if (m == l && strncmp(h, w, l) == 0)
                                found = true;
                        h += m;
                        if (*h)
                                h++;
                }
                if (!found)
                        return false;
                w += l;
                if (*w)
                        w++;
        }
        return true;
}

/* The mount point and root of the hierarchy with @controllers ("" for v2) in our mountinfo:
 * "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER-OPTIONS". */
static int find_hierarchy(const char *mountinfo, const char *controllers, char **ret_mount, char **ret_root) {
        for (const char *line = mountinfo; line && *line;) {
                const char *eol = strchrnul(line, '\n');
                _cleanup_free_ char *copy = strndup(line, (size_t) (eol - line));
                char *f[32], *save = NULL;
                size_t n = 0, sep = 0;

                if (!copy)
                        return -ENOMEM;
                line = *eol ? eol + 1 : NULL;

                for (char *tok = strtok_r(copy, " ", &save); tok && n < ELEMENTSOF(f);
                     tok = strtok_r(NULL, " ", &save)) {
                        if (sep == 0 && n >= 6 && streq(tok, "-"))
                                sep = n;
                        f[n++] = tok;
                }
                if (sep == 0 || sep + 3 >= n + 1 || sep + 1 >= n)
                        continue;
                if (*controllers ? !(streq(f[sep + 1], "cgroup") && sep + 3 < n &&
                                     options_include(f[sep + 3], controllers))
                                 : !streq(f[sep + 1], "cgroup2"))
                        continue;

                unescape_octal(f[3]);
                unescape_octal(f[4]);
                *ret_root = strdup(f[3]);
                *ret_mount = strdup(f[4]);
                if (!*ret_root || !*ret_mount) {
                        *ret_root = mfree(*ret_root);
                        *ret_mount = mfree(*ret_mount);
                        return -ENOMEM;
                }
                return 0;
        }
        return -ENOENT;
}

/* A frozen unit would freeze the command too: v2's cgroup.events "frozen 1", v1's freezer.state.
 * open_cgroups() says so with -EDEADLK. */
static bool cgroup_frozen(int dirfd, bool v2) {
        _cleanup_free_ char *text = NULL;

        if (read_full_at(dirfd, v2 ? "cgroup.events" : "freezer.state", &text, NULL) < 0)
                return false;
        if (v2)
                return strstr(text, "frozen 1") != NULL;
        return startswith(text, "FROZEN") || startswith(text, "FREEZING");
}

static int open_cgroups(struct target *t, const char **ret_what, char **ret_path) {
        _cleanup_free_ char *cgroups = NULL, *mountinfo = NULL;
        int r;

        *ret_what = "read the main process's cgroups";
        r = read_full_at(t->proc_fd, "cgroup", &cgroups, NULL);
        if (r < 0)
                return r;
        *ret_what = "read /proc/self/mountinfo";
        r = read_full_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL);
        if (r < 0)
                return r;

        for (char *line = cgroups; line && *line;) {
                _cleanup_free_ char *mount = NULL, *root = NULL, *dir = NULL;
                _cleanup_close_ int dfd = -EBADF, procs = -EBADF;
                char *next = strchr(line, '\n'), *ctrls, *path;
                const char *rel;
                int *a;

                if (next)
                        *next++ = '\0';
                ctrls = strchr(line, ':');
                path = ctrls ? strchr(ctrls + 1, ':') : NULL;
                if (!path) {
                        line = next;
                        continue;
                }
                *ctrls++ = '\0';
                *path++ = '\0';
                line = next;

                r = find_hierarchy(mountinfo, ctrls, &mount, &root);
                if (r == -ENOENT)
                        continue; /* not mounted here (a named hierarchy nobody mounted) */
                if (r < 0)
                        return r;
                /* A hierarchy mounted from a sub-group shows the paths below it. */
                rel = streq(root, "/") ? path : startswith(path, root);
                if (!rel || (*rel && *rel != '/'))
                        continue;
                if (asprintf(&dir, "%s%s", mount, rel) < 0)
                        return -ENOMEM;

                *ret_what = "open the unit's cgroup";
                dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0 && (!*ctrls || options_include(ctrls, "freezer")) && cgroup_frozen(dfd, !*ctrls))
                        return -EDEADLK;
                if (dfd >= 0)
                        procs = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (dfd < 0 || procs < 0) {
                        r = -errno;
                        *ret_path = TAKE_PTR(dir); /* for the message */
                        return r;
                }

                a = reallocarray(t->cgroup_fds, t->n_cgroup_fds + 1, sizeof(int));
                if (!a)
                        return -ENOMEM;
                t->cgroup_fds = a;
                t->cgroup_fds[t->n_cgroup_fds++] = TAKE_FD(procs);
        }
        return 0;
}

/* ---- the child ------------------------------------------------------------------------------------- */

enum exec_step {
        STEP_SETNS,
        STEP_ROOT,
        STEP_PTY,
        STEP_PTY_READY, /* not a failure: the message carries the pty master */
        STEP_SETSID,
        STEP_BOUNDING,
        STEP_SETGROUPS,
        STEP_SETGID,
        STEP_SETUID,
        STEP_CAPS,
        STEP_NO_NEW_PRIVS,
        STEP_EXEC,
};

static const char *const step_what[] = {
        [STEP_SETNS] = "join the unit's namespaces",
        [STEP_ROOT] = "enter the unit's root",
        [STEP_PTY] = "allocate a terminal in the unit",
        [STEP_PTY_READY] = "pass the terminal on",
        [STEP_SETSID] = "make the terminal the controlling one",
        [STEP_BOUNDING] = "drop capabilities from the bounding set",
        [STEP_SETGROUPS] = "set the supplementary groups",
        [STEP_SETGID] = "set the group",
        [STEP_SETUID] = "set the user",
        [STEP_CAPS] = "set the capabilities",
        [STEP_NO_NEW_PRIVS] = "set no_new_privs",
        [STEP_EXEC] = "execute",
};

struct exec_report {
        int32_t step;
        int32_t error;
};

static int send_report(int sock, enum exec_step step, int error, int fd) {
        struct exec_report m = { .step = step, .error = error };
        struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *c;

                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

_noreturn_ static void child_fail(int sock, enum exec_step step, int error) {
        (void) send_report(sock, step, error < 0 ? error : -error, -EBADF);
        _exit(127);
}

static int child_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* A pty of the container's devpts, the controlling terminal of a new session; its master goes to
 * the parent. */
static void child_pty(int sock, uid_t uid) {
        _cleanup_close_ int master = -EBADF, slave = -EBADF;
        struct winsize ws;
        int unlock = 0;

        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || ioctl(master, TIOCSPTLCK, &unlock) < 0)
                child_fail(sock, STEP_PTY, child_errno());
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                child_fail(sock, STEP_PTY, child_errno());
        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(slave, TIOCSWINSZ, &ws);
        /* The user's own terminal, as login makes it (programs like screen check). */
        (void) fchown(slave, uid, (gid_t) -1);

        if (send_report(sock, STEP_PTY_READY, 0, master) < 0)
                _exit(127);
        master = safe_close(master);

        if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
                child_fail(sock, STEP_SETSID, child_errno());
        for (int i = 0; i < 3; i++)
                if (dup2(slave, i) < 0)
                        child_fail(sock, STEP_SETSID, child_errno());
}

static void child_identity(int sock, const struct target *t) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3] = {};
        uint64_t have, keep;

        /* The bounding set first, while we have CAP_SETPCAP. */
        for (int cap = 0; cap <= t->cap_last; cap++)
                if (!(t->cap_bounding & (UINT64_C(1) << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        child_fail(sock, STEP_BOUNDING, child_errno());
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                child_fail(sock, STEP_BOUNDING, child_errno());

        if (setgroups(t->n_groups, t->groups) < 0)
                child_fail(sock, STEP_SETGROUPS, child_errno());
        if (setresgid(t->gid, t->gid, t->gid) < 0)
                child_fail(sock, STEP_SETGID, child_errno());
        /* For a uid other than 0 this clears the permitted and effective sets. */
        if (setresuid(t->uid, t->uid, t->uid) < 0)
                child_fail(sock, STEP_SETUID, child_errno());

        /* As the launcher: root keeps what the bounding set allows, anyone else nothing; the
         * inheritable set stays empty. */
        if (syscall(SYS_capget, &h, d) < 0)
                child_fail(sock, STEP_CAPS, child_errno());
        have = (uint64_t) d[0].permitted | (uint64_t) d[1].permitted << 32;
        keep = t->uid == 0 ? t->cap_bounding & have : 0;
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
                d[i].effective = d[i].permitted = (uint32_t) (keep >> (32 * i));
                d[i].inheritable = 0;
        }
        h = (struct __user_cap_header_struct) { .version = _LINUX_CAPABILITY_VERSION_3 };
        if (syscall(SYS_capset, &h, d) < 0)
                child_fail(sock, STEP_CAPS, child_errno());

        if (t->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(sock, STEP_NO_NEW_PRIVS, child_errno());
}

_noreturn_ static void child_run(int sock, struct target *t, char **cmd) {
        sigset_t none;
        struct stat st;
        char go;

        sigemptyset(&none);

        /* #1: until the parent has put us in the unit's cgroups. EOF: it gave up. */
        if (read(sock, &go, 1) != 1)
                _exit(127);

        /* #2: every namespace but pid (we are in it already), the user one first. */
        if ((t->ns_flags & ~CLONE_NEWPID) && setns(t->pidfd, t->ns_flags & ~CLONE_NEWPID) < 0)
                child_fail(sock, STEP_SETNS, child_errno());
        /* Our ids are still the host's, which the unit's user namespace does not map: be its root
         * (as the launcher is), so that what we create (the pty) belongs to someone it knows. */
        if ((t->ns_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                child_fail(sock, STEP_SETUID, child_errno());

        /* #3: setns() put us at the root of the mount namespace, which pivot_root() made the
         * container's. Should it differ from the main process's root, that one wins. */
        if (stat("/", &st) < 0)
                child_fail(sock, STEP_ROOT, child_errno());
        if (st.st_dev != t->root_st.st_dev || st.st_ino != t->root_st.st_ino)
                if (fchdir(t->root_fd) < 0 || chroot(".") < 0)
                        child_fail(sock, STEP_ROOT, child_errno());
        if (fchdir(t->cwd_fd) < 0 && chdir("/") < 0)
                child_fail(sock, STEP_ROOT, child_errno());

        /* #4 */
        if (arg_tty)
                child_pty(sock, t->uid);

        /* #5 */
        child_identity(sock, t);

        /* #6: only 0, 1 and 2 go in, with the payload's environment and PATH. */
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                for (int fd = 3; fd < 65536; fd++)
                        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        environ = t->env;
        execvp(cmd[0], cmd);
        child_fail(sock, STEP_EXEC, child_errno());
}

/* Taken through a signalfd while the command runs, and passed on to it (see forward_signal()); the
 * job-control signals keep stopping supctl and the command together. */
static const int forwarded_signals[] = {
        SIGHUP,    SIGINT, SIGQUIT, SIGUSR1, SIGUSR2,   SIGPIPE, SIGALRM,  SIGTERM, SIGCHLD,
        SIGSTKFLT, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO,   SIGPWR,
};

/* ---- the parent -------------------------------------------------------------------------------------- */

static struct termios saved_termios;
static bool termios_saved = false;

static void restore_terminal(void) {
        if (termios_saved)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
        termios_saved = false;
}

static int make_raw(void) {
        struct termios raw;

        if (!isatty(STDIN_FILENO))
                return 0;
        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return -errno;
        raw = saved_termios;
        cfmakeraw(&raw); /* the pty in the unit does the line discipline, and ONLCR, once */
        termios_saved = true;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
                termios_saved = false;
                return -errno;
        }
        return 0;
}

static int status_to_exit(int status) {
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return EXIT_FAILED;
}

/* Master output to stdout until nothing is left (EAGAIN) or the slave is gone (EIO). */
static void drain_master(int master) {
        char buf[RELAY_BUF];

        for (;;) {
                ssize_t n = read(master, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0 || loop_write(STDOUT_FILENO, buf, (size_t) n) < 0)
                        return;
        }
}

static void forward_signal(const struct signalfd_siginfo *si, int child_pidfd, int master) {
        if (si->ssi_signo == SIGCHLD || si->ssi_signo == SIGPIPE)
                return;
        if (master >= 0 && si->ssi_signo == SIGWINCH) {
                struct winsize ws;

                /* The pty passes SIGWINCH on to its foreground process group itself. */
                if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0)
                        (void) ioctl(master, TIOCSWINSZ, &ws);
                return;
        }
        /* Without a pty, the child shares our terminal: what the terminal sent (Ctrl-C, a resize)
         * reached it as well as us. */
        if (master < 0 && si->ssi_code == SI_KERNEL)
                return;
        (void) pidfd_send_signal(child_pidfd, (int) si->ssi_signo, NULL, 0);
}

/* Waits for the child; with a pty, relays between our stdin/stdout and its master meanwhile. */
static int parent_wait(pid_t child, int child_pidfd, int sfd, int master) {
        char in[RELAY_BUF], out[RELAY_BUF];
        size_t in_len = 0;
        bool stdin_open = master >= 0, master_open = master >= 0, child_done = false;
        int status = 0;

        while (!child_done) {
                struct pollfd p[4] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = child_pidfd, .events = POLLIN },
                        { .fd = stdin_open && in_len < sizeof(in) ? STDIN_FILENO : -1, .events = POLLIN },
                        { .fd = master_open ? master : -1, .events = POLLIN | (in_len > 0 ? POLLOUT : 0) },
                };

                if (poll(p, ELEMENTSOF(p), -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }

                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        if (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                                forward_signal(&si, child_pidfd, master_open ? master : -1);
                }

                if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(STDIN_FILENO, in + in_len, sizeof(in) - in_len);
                        if (n > 0)
                                in_len += (size_t) n;
                        else if (n == 0 || errno != EINTR) {
                                struct termios tio;

                                /* EOF: what ^D would be on the terminal, once. */
                                stdin_open = false;
                                if (master_open && in_len < sizeof(in) && tcgetattr(master, &tio) >= 0 &&
                                    (tio.c_lflag & ICANON))
                                        in[in_len++] = (char) tio.c_cc[VEOF];
                        }
                }

                if (p[3].revents & POLLOUT && in_len > 0) {
                        ssize_t n = write(master, in, in_len);
                        if (n > 0) {
                                memmove(in, in + n, in_len - (size_t) n);
                                in_len -= (size_t) n;
                        } else if (n < 0 && errno != EAGAIN && errno != EINTR)
                                in_len = 0;
                }
                if (p[3].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t n = read(master, out, sizeof(out));
                        if (n > 0)
                                (void) loop_write(STDOUT_FILENO, out, (size_t) n);
                        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                                master_open = false; /* EIO: every slave fd is closed */
                }

                if (p[1].revents & POLLIN) {
                        if (waitpid(child, &status, 0) < 0)
                                return -errno;
                        child_done = true;
                }
        }

        if (master_open)
                drain_master(master);
        return status_to_exit(status);
}

/* Receives the child's reports until EOF (CMD was exec'd). Returns 0, or the exit code after
 * printing what failed. */
static int parent_sync(int sock, const struct target *t, char **cmd, int *ret_master) {
        for (;;) {
                struct exec_report m;
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control = {};
                struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
                };
                struct cmsghdr *c;
                ssize_t n;

                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0)
                        return 0;
                if (n != (ssize_t) sizeof(m)) {
                        fprintf(stderr, "supctl: lost the process run in %s\n", t->name);
                        return EXIT_FAILED;
                }
                c = CMSG_FIRSTHDR(&mh);
                if (m.step == STEP_PTY_READY && c && c->cmsg_type == SCM_RIGHTS) {
                        memcpy(ret_master, CMSG_DATA(c), sizeof(int));
                        continue;
                }
                if (m.step < 0 || (size_t) m.step >= ELEMENTSOF(step_what))
                        m.step = STEP_EXEC;
                if (m.step == STEP_EXEC) {
                        /* As a shell says it: 127 not found, 126 found but not runnable. */
                        fprintf(stderr, "supctl: %s: %s\n", cmd[0], strerror(-m.error));
                        return m.error == -ENOENT || m.error == -ENOTDIR ? 127 : 126;
                }
                fprintf(stderr, "supctl: exec in %s: failed to %s: %s\n", t->name, step_what[m.step],
                        strerror(-m.error));
                return EXIT_FAILED;
        }
}

static int run(struct target *t, char **cmd) {
        _cleanup_close_pair_ int pair[2] = { -EBADF, -EBADF };
        _cleanup_close_ int sfd = -EBADF, child_pidfd = -EBADF, master = -EBADF, own_pidns = -EBADF;
        sigset_t mask, saved;
        pid_t child;
        int r;

        /* Before anything of the container can see us. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return fprintf(stderr, "supctl: prctl(PR_SET_DUMPABLE): %s\n", strerror(errno)), EXIT_FAILED;

        /* Our next child is born in the unit's pid namespace (and only that one: see below). */
        if ((t->ns_flags & CLONE_NEWPID) &&
            ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 || setns(t->pidfd, CLONE_NEWPID) < 0)) {
                fprintf(stderr, "supctl: exec in %s: failed to join its pid namespace: %s\n", t->name,
                        strerror(errno));
                return EXIT_FAILED;
        }

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return fprintf(stderr, "supctl: socketpair: %s\n", strerror(errno)), EXIT_FAILED;

        /* Taken through the signalfd from now on, and passed to the child (see forward_signal()). */
        sigemptyset(&mask);
        for (size_t k = 0; k < ELEMENTSOF(forwarded_signals); k++)
                sigaddset(&mask, forwarded_signals[k]);
        if (sigprocmask(SIG_BLOCK, &mask, &saved) < 0)
                return fprintf(stderr, "supctl: sigprocmask: %s\n", strerror(errno)), EXIT_FAILED;
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0)
                return fprintf(stderr, "supctl: signalfd: %s\n", strerror(errno)), EXIT_FAILED;

        fflush(stdout);
        fflush(stderr);
        child = fork();
        if (child < 0) {
                r = -errno;
                fprintf(stderr, "supctl: exec in %s: fork: %s%s\n", t->name, strerror(-r),
                        r == -ENOMEM ? " (is the unit's init gone?)" : "");
                return EXIT_FAILED;
        }
        if (child == 0) {
                pair[0] = safe_close(pair[0]);
                sfd = safe_close(sfd);
                child_run(pair[1], t, cmd);
        }
        pair[1] = safe_close(pair[1]);
        /* Threads cannot be made while children go to another pid namespace (a sanitizer's at exit,
         * say): ours again. */
        if (own_pidns >= 0)
                (void) setns(own_pidns, CLONE_NEWPID);

        child_pidfd = pidfd_open(child, 0);
        if (child_pidfd < 0) {
                r = -errno;
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                fprintf(stderr, "supctl: pidfd_open: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        /* #1: into the unit's cgroups, from here, then let it go. */
        for (size_t i = 0; i < t->n_cgroup_fds; i++) {
                char buf[16];
                int l = snprintf(buf, sizeof(buf), "%d", (int) child);

                if (write(t->cgroup_fds[i], buf, (size_t) l) < 0) {
                        r = -errno;
                        (void) kill(child, SIGKILL);
                        (void) waitpid(child, NULL, 0);
                        fprintf(stderr, "supctl: exec in %s: failed to join its cgroup: %s\n", t->name,
                                strerror(-r));
                        return EXIT_FAILED;
                }
        }
        if (write(pair[0], "g", 1) != 1) {
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                fprintf(stderr, "supctl: exec in %s: the child is gone\n", t->name);
                return EXIT_FAILED;
        }

        r = parent_sync(pair[0], t, cmd, &master);
        if (r != 0) {
                (void) waitpid(child, NULL, 0);
                return r;
        }

        if (master >= 0) {
                int fl = fcntl(master, F_GETFL);
                if (fl < 0 || fcntl(master, F_SETFL, fl | O_NONBLOCK) < 0)
                        fprintf(stderr, "supctl: fcntl on the terminal: %s\n", strerror(errno));
                if (make_raw() < 0)
                        fprintf(stderr, "supctl: cannot put the terminal in raw mode: %s\n", strerror(errno));
        }
        r = parent_wait(child, child_pidfd, sfd, master);
        restore_terminal();
        if (r < 0) {
                fprintf(stderr, "supctl: waiting for the command: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        return r;
}

static int not_running(const char *name) {
        fprintf(stderr, "supctl: %s is not running\n", name);
        return EXIT_FAILED;
}

int verb_exec(int argc, char **argv) {
        _cleanup_(unit_info_done) struct unit_info i = {};
        _cleanup_free_ char *cgroups = NULL, *cg_path = NULL;
        struct target t = {
                .name = argv[1],
                .pidfd = -EBADF,
                .proc_fd = -EBADF,
                .payload_proc_fd = -EBADF,
                .root_fd = -EBADF,
                .cwd_fd = -EBADF,
        };
        char **cmd = argv + 2;
        const char *what = NULL;
        pid_t payload;
        int r;

        if (cmd[0] && streq(cmd[0], "--"))
                cmd++;
        if (!cmd[0]) {
                fprintf(stderr, "supctl exec: missing command (try --help)\n");
                return EXIT_USAGE;
        }

        /* 1 */
        {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

                r = bus_connect(&bus);
                if (r != 0)
                        return r;
                r = bus_get_unit(bus, t.name, &i);
                if (r != 0)
                        return r;
        }
        if (!streq(i.active_state, "running") || i.main_pid == 0)
                return not_running(t.name);
        if (geteuid() != 0) {
                fprintf(stderr, "supctl: exec needs root privileges\n");
                return EXIT_FAILED;
        }
        t.main_pid = (pid_t) i.main_pid;

        /* 2 */
        t.pidfd = pidfd_open(t.main_pid, 0);
        if (t.pidfd < 0) {
                r = errno == ESRCH ? EXIT_FAILED : -errno;
                if (r == EXIT_FAILED)
                        return not_running(t.name);
                fprintf(stderr, "supctl: pidfd_open(%d): %s\n", (int) t.main_pid, strerror(-r));
                return EXIT_FAILED;
        }
        t.proc_pid = t.main_pid;
        what = "find the main process in /proc";
        r = pidfd_proc_pid(t.pidfd, &t.proc_pid);
        if (r == -EOPNOTSUPP)
                r = 0;
        if (r >= 0)
                r = t.proc_fd = open_proc_dir(t.proc_pid);
        if (r >= 0) {
                what = "read the main process's cgroup";
                r = read_full_at(t.proc_fd, "cgroup", &cgroups, NULL);
        }
        if (r == -ESRCH || r == -ENOENT ||
            (r >= 0 && !str_empty(i.cgroup) && !cgroup_matches(cgroups, i.cgroup))) {
                target_done(&t);
                return not_running(t.name);
        }
        if (r < 0)
                goto fail;

        /* 3 */
        payload = t.proc_pid;
        if (i.init) {
                what = "find the unit's payload";
                r = first_child(t.proc_fd, t.proc_pid, &payload);
                if (r == -ESRCH) {
                        target_done(&t);
                        return not_running(t.name);
                }
                if (r < 0)
                        goto fail;
                r = t.payload_proc_fd = open_proc_dir(payload);
                if (r < 0)
                        goto fail;
        } else
                t.payload_proc_fd = t.proc_fd;

        what = "find the unit's namespaces";
        r = namespaces_to_join(&t);
        if (r < 0)
                goto fail;
        r = read_identity(&t, payload, &what);
        if (r == -ESRCH) {
                target_done(&t);
                return not_running(t.name);
        }
        if (r < 0)
                goto fail;
        what = "read the payload's environment";
        r = read_environment(&t);
        if (r < 0)
                goto fail;
        what = "open the payload's working directory";
        t.cwd_fd = openat(t.payload_proc_fd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (t.cwd_fd < 0) {
                r = -errno;
                goto fail;
        }
        what = "open the unit's root";
        t.root_fd = openat(t.proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (t.root_fd < 0 || fstat(t.root_fd, &t.root_st) < 0) {
                r = -errno;
                goto fail;
        }

        /* 5 */
        r = open_cgroups(&t, &what, &cg_path);
        if (r == -EDEADLK) {
                fprintf(stderr, "supctl: %s is frozen: thaw it first\n", t.name);
                target_done(&t);
                return EXIT_FAILED;
        }
        if (r < 0)
                goto fail;

        /* Everything read above was about the process the pidfd holds only if it is still alive. */
        if (pidfd_send_signal(t.pidfd, 0, NULL, 0) < 0) {
                target_done(&t);
                return not_running(t.name);
        }

        r = run(&t, cmd);
        target_done(&t);
        return r;

fail:
        if (cg_path)
                fprintf(stderr, "supctl: exec in %s: failed to %s %s: %s\n", t.name, what, cg_path,
                        strerror(-r));
        else
                fprintf(stderr, "supctl: exec in %s: failed to %s: %s\n", t.name, what, strerror(-r));
        target_done(&t);
        return EXIT_FAILED;
}
