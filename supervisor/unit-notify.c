/* SPDX-License-Identifier: MIT */

/* Type=notify: the sd_notify protocol on an abstract datagram socket inside the unit's own network
 * namespace (supervisor/README.md, "Readiness"). READY=1, STATUS=, STOPPING=1; senders checked by
 * their credentials against the unit's cgroup. */

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroupd.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"

static bool unit_owns_pid(struct unit *u, pid_t pid) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;

        if (!u->cgroup || cg_unit_procs(u->cgroup, &pids, &n) < 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (pids[i] == pid)
                        return true;
        return false;
}

static void unit_notify_message(struct unit *u, char *msg) {
        for (char *line = msg, *next; line && *line; line = next) {
                const char *v;
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';

                if (streq(line, "READY=1")) {
                        if (u->state == UNIT_STARTING) {
                                log_info("%s: ready.", u->name);
                                unit_set_state(u, UNIT_EV_STARTED, UNIT_RESULT_SUCCESS);
                        }
                } else if ((v = startswith(line, "STATUS="))) {
                        free(u->status_text);
                        u->status_text = strdup(v);
                        if (u->manager->changed_cb)
                                u->manager->changed_cb(u->manager->changed_userdata, u);
                } else if (streq(line, "STOPPING=1"))
                        log_info("%s: reports it is stopping.", u->name);
                else if (startswith(line, "MAINPID="))
                        log_warning("%s: MAINPID= ignored: the main process is the container's init.", u->name);
                else if (streq(line, "WATCHDOG=1") || startswith(line, "WATCHDOG_USEC="))
                        log_debug("%s: WATCHDOG ignored: sup has no watchdog.", u->name);
                else if (*line)
                        log_debug("%s: ignoring notification \"%s\"", u->name, line);
        }
}

void unit_notify_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct unit *u = w->data;

        for (;;) {
                char buf[4096];
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control = {};
                struct iovec iov = { buf, sizeof(buf) - 1 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                                     .msg_controllen = sizeof(control) };
                struct ucred *cred = NULL;

                ssize_t n = recvmsg(u->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
                if (n < 0)
                        return;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
                                cred = (struct ucred *) CMSG_DATA(c);
                        else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                                int *fds = (int *) CMSG_DATA(c);
                                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                        safe_close(fds[i]);
                        }
                if ((size_t) n >= sizeof(buf)) {
                        log_warning("%s: notification too long, ignored.", u->name);
                        continue;
                }
                if (!cred || !unit_owns_pid(u, cred->pid)) {
                        log_warning("%s: notification from a process outside the unit, ignored.", u->name);
                        continue;
                }
                buf[n] = '\0';
                unit_notify_message(u, buf);
        }
}

/* The socket of a Type=notify unit is an abstract one bound inside the unit's own network
 * namespace, so it needs no mount and works on a read-only or host-owned root. Its name carries a
 * hash of the runtime directory, so units sharing the host's network namespace do not collide
 * between supd instances. Senders are checked by their credentials (in the unit's cgroup). */
void unit_notify_address(struct unit *u, struct sockaddr_un *sa, socklen_t *ret_len) {
        uint32_t h = 2166136261u;

        for (const char *p = u->manager->runtime_dir; *p; p++)
                h = (h ^ (unsigned char) *p) * 16777619u;
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "sup/%08x/%s", h, u->name);
        *ret_len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int unit_notify_open(struct unit *u, pid_t pid) {
        _cleanup_close_ int fd = -EBADF, own = -EBADF, theirs = -EBADF;
        struct sockaddr_un sa;
        socklen_t len;
        char path[64];
        int r = 0, one = 1;

        own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        theirs = open(path, O_RDONLY | O_CLOEXEC);
        if (own < 0 || theirs < 0)
                return -errno;
        /* supd is single-threaded: entering the unit's netns for one socket() is safe. */
        if (setns(theirs, CLONE_NEWNET) < 0)
                return -errno;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                r = -errno;
        if (setns(own, CLONE_NEWNET) < 0) {
                /* Cannot happen short of a kernel bug; staying in a unit's netns would be worse. */
                log_error_errno(-errno, "Failed to return to supd's network namespace: %m");
                abort();
        }
        if (r < 0)
                return r;
        unit_notify_address(u, &sa, &len);
        if (bind(fd, (struct sockaddr *) &sa, len) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return -errno;
        u->notify_fd = TAKE_FD(fd);
        ev_io_set(&u->notify_watch, u->notify_fd, EV_READ);
        ev_io_start(u->manager->loop, &u->notify_watch);
        return 0;
}

void unit_notify_close(struct unit *u) {
        ev_io_stop(u->manager->loop, &u->notify_watch);
        u->notify_fd = safe_close(u->notify_fd);
}

