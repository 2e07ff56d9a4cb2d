/* SPDX-License-Identifier: MIT */

/* The launcher's messages: what a failed step tried, in the words a user reads after
 * "NAME: setup: " (launch_error_format()), and the steps' names. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launch-internal.h"
#include "macro.h"

static const char *const launch_step_table[_LAUNCH_STEP_MAX] = {
        [LAUNCH_STEP_SYNC] = "sync",
        [LAUNCH_STEP_JOIN] = "join",
        [LAUNCH_STEP_PROPAGATION] = "propagation",
        [LAUNCH_STEP_ROOTFS] = "rootfs",
        [LAUNCH_STEP_OVERLAY] = "overlay",
        [LAUNCH_STEP_PROC] = "proc",
        [LAUNCH_STEP_SYS] = "sys",
        [LAUNCH_STEP_DEV] = "dev",
        [LAUNCH_STEP_BIND] = "bind",
        [LAUNCH_STEP_TMPFS] = "tmpfs",
        [LAUNCH_STEP_DNS] = "dns",
        [LAUNCH_STEP_SECURITY_MOUNTS] = "security-mounts",
        [LAUNCH_STEP_READONLY] = "read-only",
        [LAUNCH_STEP_PIVOT] = "pivot-root",
        [LAUNCH_STEP_HOSTNAME] = "hostname",
        [LAUNCH_STEP_INIT] = "init",
        [LAUNCH_STEP_USER] = "user",
        [LAUNCH_STEP_CHDIR] = "chdir",
        [LAUNCH_STEP_CAPABILITIES] = "capabilities",
        [LAUNCH_STEP_NO_NEW_PRIVS] = "no-new-privileges",
        [LAUNCH_STEP_SECCOMP] = "seccomp",
        [LAUNCH_STEP_PTY] = "pty",
        [LAUNCH_STEP_EXEC] = "exec",
};

const char *launch_step_to_string(enum launch_step s) {
        if ((unsigned) s >= _LAUNCH_STEP_MAX)
                return NULL;
        return launch_step_table[s];
}

static const char *const launch_sync_table[_LAUNCH_SYNC_MAX] = {
        [LAUNCH_SYNC_PREPARE] = "prepare the launch",
        [LAUNCH_SYNC_CLONE] = "clone",
        [LAUNCH_SYNC_UID_MAP] = "write uid_map",
        [LAUNCH_SYNC_GID_MAP] = "write gid_map",
        [LAUNCH_SYNC_ATTACH] = "place the child in its cgroup",
        [LAUNCH_SYNC_GO] = "start the child",
        [LAUNCH_SYNC_WAIT] = "sync with the child",
        [LAUNCH_SYNC_USERNS_ROOT] = "become root of the user namespace",
        [LAUNCH_SYNC_CGROUPNS] = "make the cgroup namespace",
        [LAUNCH_SYNC_JOIN_PIDNS] = "enter the unit's pid namespace",
};

static const char *const launch_pty_table[_LAUNCH_PTY_MAX] = {
        [LAUNCH_PTY_OPEN] = "open the container's /dev/pts/ptmx",
        [LAUNCH_PTY_UNLOCK] = "unlock the pty",
        [LAUNCH_PTY_PEER] = "open the pty's terminal",
        [LAUNCH_PTY_CTTY] = "make the pty the controlling terminal",
        [LAUNCH_PTY_SEND] = "pass the pty to supd",
};

static const char *const launch_caps_table[_LAUNCH_CAPS_MAX] = {
        [LAUNCH_CAPS_BOUNDING] = "drop capabilities from the bounding set",
        [LAUNCH_CAPS_AMBIENT] = "clear the ambient capabilities",
        [LAUNCH_CAPS_SETGROUPS] = "set the supplementary groups",
        [LAUNCH_CAPS_SETGID] = "set group",
        [LAUNCH_CAPS_SETUID] = "set user",
        [LAUNCH_CAPS_CAPSET] = "set capabilities",
};

static const char *nth(char *const *l, int i) {
        if (i < 0 || (size_t) i >= strv_length(l))
                return "?";
        return l[i];
}

/* "what failed" for the steps that build the file system, or NULL when @e is not one of them. */
static char *what_mounts(const struct launch_error *e, const struct unit_config *c) {
        const char *rootfs = c->rootfs ?: "/";
        char *s = NULL;
        int r = 0;

        switch (e->step) {
        case LAUNCH_STEP_PROPAGATION:
                return strdup("make / a private mount");
        case LAUNCH_STEP_ROOTFS:
        case LAUNCH_STEP_PIVOT:
                r = asprintf(&s, "pivot_root into %s", rootfs);
                break;
        case LAUNCH_STEP_OVERLAY:
                if (e->index >= 0)
                        r = asprintf(&s, "layer %s", nth(c->layers, e->index));
                else if (e->index == LAUNCH_OVERLAY_WORKSPACE)
                        r = asprintf(&s, "set up the overlay's tmpfs for %s", rootfs);
                else
                        r = asprintf(&s, "mount overlay on %s", rootfs);
                break;
        case LAUNCH_STEP_PROC:
                return strdup("set up /proc");
        case LAUNCH_STEP_SYS:
                return strdup("set up /sys");
        case LAUNCH_STEP_DEV:
                r = asprintf(&s, "set up %s",
                             e->index >= 0 && e->index < _LAUNCH_DEV_MAX ? launch_dev_entries[e->index] : "/dev");
                break;
        case LAUNCH_STEP_BIND:
                if (e->index >= 0 && (size_t) e->index < c->n_binds)
                        r = asprintf(&s, "bind mount %s on %s%s", c->binds[e->index].source,
                                     c->binds[e->index].target, c->binds[e->index].read_only ? " read-only" : "");
                else
                        return strdup("bind mount");
                break;
        case LAUNCH_STEP_TMPFS:
                r = asprintf(&s, "tmpfs on %s",
                             e->index >= 0 && (size_t) e->index < c->n_tmpfs ? c->tmpfs[e->index].path : "?");
                break;
        case LAUNCH_STEP_DNS:
                return strdup("write /etc/resolv.conf");
        case LAUNCH_STEP_SECURITY_MOUNTS:
                if (e->index >= LAUNCH_SECURITY_MASKED_FIRST && e->index < LAUNCH_SECURITY_READONLY_FIRST)
                        r = asprintf(&s, "mask %s", launch_security_paths[e->index]);
                else if (e->index >= LAUNCH_SECURITY_READONLY_FIRST && e->index < _LAUNCH_SECURITY_MAX)
                        r = asprintf(&s, "make %s read-only", launch_security_paths[e->index]);
                else
                        return strdup("mask or protect kernel paths");
                break;
        case LAUNCH_STEP_READONLY:
                return strdup("remount / read-only");
        default:
                return NULL;
        }
        return r < 0 ? NULL : s;
}

static const char *table_or(const char *const *table, int n, int i, const char *fallback) {
        return i >= 0 && i < n && table[i] ? table[i] : fallback;
}

/* "what failed" for the steps of the process: sync, ids, capabilities, seccomp, fds, exec. */
static char *what_process(const struct launch_error *e, const struct unit_config *c) {
        char *s = NULL;
        int r = 0;

        switch (e->step) {
        case LAUNCH_STEP_SYNC:
                return strdup(table_or(launch_sync_table, _LAUNCH_SYNC_MAX, e->index, "sync with the child"));
        case LAUNCH_STEP_JOIN:
                return strdup(e->index == LAUNCH_JOIN_ROOT ? "enter the unit's root" : "enter the unit's namespaces");
        case LAUNCH_STEP_PTY:
                return strdup(table_or(launch_pty_table, _LAUNCH_PTY_MAX, e->index, "allocate a pty"));
        case LAUNCH_STEP_HOSTNAME:
                r = asprintf(&s, "set hostname \"%s\"", strempty(c->hostname));
                break;
        case LAUNCH_STEP_INIT:
                return strdup(e->index == LAUNCH_INIT_FORK   ? "init: fork"
                              : e->index == LAUNCH_INIT_EXEC ? "exec sup-init"
                                                             : "init: set up");
        case LAUNCH_STEP_USER: {
                bool group = e->index == LAUNCH_USER_GROUP;

                r = asprintf(&s, "look up %s \"%s\" in %s", group ? "group" : "user",
                             group ? strempty(c->group) : strempty(c->user), group ? "/etc/group" : "/etc/passwd");
                break;
        }
        case LAUNCH_STEP_CHDIR:
                r = asprintf(&s, "chdir %s", c->working_directory ?: "/");
                break;
        case LAUNCH_STEP_CAPABILITIES:
                if (e->index == LAUNCH_CAPS_SETUID)
                        r = asprintf(&s, "set user %s", c->user ?: "0");
                else if (e->index == LAUNCH_CAPS_SETGID)
                        r = asprintf(&s, "set group %s", c->group ?: c->user ?: "0");
                else
                        return strdup(table_or(launch_caps_table, _LAUNCH_CAPS_MAX, e->index, "set capabilities"));
                break;
        case LAUNCH_STEP_NO_NEW_PRIVS:
                return strdup("set no_new_privs");
        case LAUNCH_STEP_SECCOMP:
                return strdup(e->index == LAUNCH_SECCOMP_COMPILE ? "compile the seccomp filter"
                                                                 : "load the seccomp filter");
        case LAUNCH_STEP_EXEC:
                if (e->index == LAUNCH_EXEC_STDIN)
                        return strdup("open /dev/null for stdin");
                if (e->index > LAUNCH_EXEC_STDIN && e->index <= LAUNCH_EXEC_KEEP_FD)
                        r = asprintf(&s, "set up fd %d", e->index);
                else if (e->index == LAUNCH_EXEC_CLOSE_FDS)
                        return strdup("close inherited fds");
                else
                        r = asprintf(&s, "exec %s", nth(c->exec, 0));
                break;
        default:
                r = asprintf(&s, "step %d", (int) e->step);
        }
        return r < 0 ? NULL : s;
}

char *launch_error_format(const struct launch_error *e, const struct unit_config *c) {
        _cleanup_free_ char *what = NULL;
        char *s = NULL;

        /* A name not found has no errno text: "user \"www\" not found in /etc/passwd". */
        if (e->step == LAUNCH_STEP_USER && e->error == ESRCH) {
                bool group = e->index == LAUNCH_USER_GROUP;

                if (asprintf(&s, "%s \"%s\" not found in %s", group ? "group" : "user",
                             group ? strempty(c->group) : strempty(c->user),
                             group ? "/etc/group" : "/etc/passwd") < 0)
                        return NULL;
                return s;
        }
        what = what_mounts(e, c) ?: what_process(e, c);
        /* The image's /etc/passwd or /etc/group is a FIFO, a device or a directory. */
        if (e->step == LAUNCH_STEP_USER && (e->error == EBADFD || e->error == EISDIR)) {
                if (!what || asprintf(&s, "%s: not a regular file", what) < 0)
                        return NULL;
                return s;
        }
        if (!what || asprintf(&s, "%s: %s", what, strerror(e->error)) < 0)
                return NULL;
        return s;
}
