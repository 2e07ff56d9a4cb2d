/* SPDX-License-Identifier: MIT */

/* The start transaction (DESIGN.md, "How a start flows"): an array of {name, do, undo} steps run in
 * order by one function. The first failing step undoes the ones before it in reverse and fails the
 * unit with result setup, naming the step and errno. The steps between clone and go (maps, cgroup
 * placement, notify socket, network) are entries of the same array, not callbacks. At stop the same
 * undos release what the run held (unit_release()), in the same reverse order. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupd.h"
#include "launch.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "records.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "userns.h"

/* What one start carries from step to step; the unit holds what outlives it. */
struct start_tx {
        struct unit *u;
        struct launch_request req;
        struct launch_child child;
        bool cloned;
        int cgroup_fd; /* v2 group for CLONE_INTO_CGROUP, or -EBADF */
        int out, err;  /* write ends of the log pipes, the child's stdout and stderr */
        char *overlay_dir;
        char notify_env[sizeof("NOTIFY_SOCKET=@") + 108];
        char **env; /* EnvironmentFile= variables, then NOTIFY_SOCKET=: over Environment= */
        char *message; /* a step's own message, else "NAME: strerror" */
};

struct start_step {
        const char *name;
        int (*run)(struct start_tx *tx);
        /* Releases what run() took. Called with tx NULL at stop (unit_release()): it then works
         * from what the unit holds, and must cope with a step that never ran. */
        void (*undo)(struct unit *u, struct start_tx *tx);
};

/* ---- cgroup: the group, limits, device allowlist, watches ---------------------------------------- */

static void limits_warn(void *userdata, const char *key, const char *message) {
        struct unit *u = userdata;
        log_warning("%s: %s", u->name, message);
}

/* The run's watches on its group: OOM kills (counted from u->oom_kills_at_start) and cgroup.events
 * (the group emptied). Returns 0, or -errno when cgroup.events cannot be watched (v2). */
int unit_cgroup_watch(struct unit *u) {
        int r;

        u->oom_killed = false;
        r = unit_oom_watch(u);
        if (r < 0)
                log_debug_errno(r, "%s: cannot watch for OOM kills, checking at exit only: %m", u->name);
        r = cg_unit_events_watch(u->cgroup, u->manager->inotify_fd);
        if (r >= 0)
                u->cg_events_wd = r;
        return r == -EOPNOTSUPP ? 0 : r < 0 ? r : 0;
}

static int step_cgroup(struct start_tx *tx) {
        struct unit *u = tx->u;
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;
        const struct cg_limits l = {
                .memory_max = c->memory_max,
                .memory_high = c->memory_high,
                .cpu_quota_permyriad = c->cpu_quota_permyriad,
                .cpu_weight = c->cpu_weight,
                .allowed_cpus = c->allowed_cpus,
                .tasks_max = c->tasks_max,
                .io_weight = c->io_weight,
        };
        const char *key = NULL;
        int r;

        r = cg_unit_new(m->cg_root, u->name, &u->cgroup);
        if (r < 0)
                return r;
        /* [Resources] onto the new group, before the child exists. */
        r = cg_unit_set_limits(u->cgroup, &l, limits_warn, u, &key);
        if (r < 0) {
                if (asprintf(&tx->message, "apply %s=: %s", key ? key : "[Resources]", strerror(-r)) < 0)
                        tx->message = NULL;
                return r;
        }
        /* SPEC §7: only the minimal /dev may be opened, whatever mknod makes. */
        r = cg_unit_set_devices(u->cgroup);
        if (r < 0) {
                if (asprintf(&tx->message, "apply the device allowlist: %s", strerror(-r)) < 0)
                        tx->message = NULL;
                return r;
        }

        if (cg_unit_oom_kills(u->cgroup, &u->oom_kills_at_start) < 0)
                u->oom_kills_at_start = 0;
        r = unit_cgroup_watch(u);
        if (r < 0) {
                if (asprintf(&tx->message, "watch cgroup.events: %s", strerror(-r)) < 0)
                        tx->message = NULL;
                return r;
        }
        r = cg_unit_clone_fd(u->cgroup);
        if (r >= 0)
                tx->cgroup_fd = r;
        else if (r != -EOPNOTSUPP) {
                if (asprintf(&tx->message, "open cgroup: %s", strerror(-r)) < 0)
                        tx->message = NULL;
                return r;
        }
        tx->req.cgroup_fd = tx->cgroup_fd;
        return 0;
}

static void undo_cgroup(struct unit *u, struct start_tx *tx) {
        int r;

        unit_unwatch(u);
        unit_oom_unwatch(u);
        if (!u->cgroup)
                return;
        r = cg_unit_destroy(u->cgroup);
        if (r < 0)
                log_warning_errno(r, "%s: Failed to remove cgroup '%s', ignoring: %m", u->name,
                                  cg_unit_path(u->cgroup));
        u->cgroup = cg_unit_free(u->cgroup);
}

/* ---- runtime dir: mount points of the child live here ------------------------------------------- */

/* RUNTIME/units/NAME stays root's, 0700, with or without a user namespace: the child only mounts its
 * overlay's tmpfs on it, which takes searching RUNTIME/units (0711), not NAME, and from then on the
 * tmpfs, the child's own, covers it (supervisor/README.md, "Directory modes"). */
static int step_runtime_dir(struct start_tx *tx) {
        struct unit *u = tx->u;

        if (mkdir(u->unit_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        tx->req.unit_dir = u->unit_dir;
        return 0;
}

static void undo_runtime_dir(struct unit *u, struct start_tx *tx) {
        if (rmdir(u->unit_dir) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "%s: Failed to remove '%s', ignoring: %m", u->name, u->unit_dir);
        /* The record of the run, for a successor after a crash, lives beside it. */
        (void) record_remove(u->manager->runtime_dir, u->name);
}

/* ---- user namespace: the range, stable across restarts ------------------------------------------- */

static int step_userns(struct start_tx *tx) {
        const struct unit_config *c = tx->u->config;

        if (!(c->namespaces & UNIT_NS_USER))
                return 0;
        if (c->userns == USERNS_MAP) {
                tx->req.uid_map = c->userns_map;
                return 0;
        }
        return userns_auto_range(tx->u->manager->state_dir, tx->u->name, &tx->req.uid_map);
}

/* ---- persistent overlay: STATE/overlay/NAME, its upper and work dirs ------------------------------ */

/* Refuses an upper (or work dir) that this run's root does not own: its files belong on the host to
 * the ids of the run that wrote them (mapped ones with UserNamespace=), and a run with other ids would
 * see them as nobody's (files unwritable, copied-up directories unusable). 0 when SUB is missing. */
static int overlay_subdir_check(struct start_tx *tx, int dir_fd, const char *sub, uid_t owner) {
        struct stat st;

        if (fstatat(dir_fd, sub, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        if (st.st_uid == owner && st.st_gid == owner)
                return 0;
        tx->message = strprintf("the persistent overlay's %s/%s belongs to uid %u, not to this run's root "
                                "(uid %u on the host): made with another UserNamespace=? Remove it, or "
                                "shift its files' owners to the unit's range",
                                tx->overlay_dir, sub, (unsigned) st.st_uid, (unsigned) owner);
        return -EPERM;
}

/* Overlay=persistent: the child's root mounts the overlay, so STATE/overlay/NAME (0700: the unit's
 * gate; STATE/overlay is searchable by all), upper/ and work/ are that root's on the host: the unit's
 * mapped root with a user namespace, else root. Kept at stop. */
static int step_overlay_dir(struct start_tx *tx) {
        static const char *const subdirs[] = { "upper", "work" };
        const struct unit_config *c = tx->u->config;
        _cleanup_close_ int fd = -EBADF;
        uid_t owner = 0;
        int r;

        if (!c->rootfs || c->overlay != OVERLAY_PERSISTENT)
                return 0;
        if (c->namespaces & UNIT_NS_USER)
                owner = tx->req.uid_map.outside; /* the child's own id, uid_map.inside, there */
        tx->overlay_dir = strprintf("%s/overlay/%s", tx->u->manager->state_dir, tx->u->name);
        if (!tx->overlay_dir)
                return -ENOMEM;

        if (mkdir(tx->overlay_dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = open(tx->overlay_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                r = overlay_subdir_check(tx, fd, subdirs[i], owner);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
                if (mkdirat(fd, subdirs[i], 0755) < 0) {
                        if (errno != EEXIST)
                                return -errno;
                        continue;
                }
                if (fchownat(fd, subdirs[i], owner, owner, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        (void) unlinkat(fd, subdirs[i], AT_REMOVEDIR); /* not left as another's */
                        return r;
                }
        }
        if (fchown(fd, owner, owner) < 0 || fchmod(fd, 0700) < 0)
                return -errno;
        tx->req.overlay_dir = tx->overlay_dir;
        return 0;
}

/* ---- EnvironmentFile=: read at each start, in order; a later file wins -------------------------- */

static int step_env_files(struct start_tx *tx) {
        const struct unit_config *c = tx->u->config;

        for (size_t i = 0; i < c->n_environment_files; i++) {
                const struct env_file *f = &c->environment_files[i];
                _cleanup_free_ char *error = NULL;
                char **vars = NULL;
                int r;

                r = unit_environment_file_read(f->path, &vars, &error);
                if (r == -ENOENT && f->optional)
                        continue;
                if (r < 0) {
                        /* "PATH: not a regular file (FIFO)", "PATH:LINE: invalid variable name ..." */
                        if (error)
                                tx->message = strprintf("read EnvironmentFile=%s", error);
                        return r;
                }
                r = strv_consume_strv(&tx->env, vars);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- DNS=: the resolv.conf the child binds ------------------------------------------------------- */

static int step_resolv_conf(struct start_tx *tx) {
        int r;

        if (tx->u->config->n_dns == 0)
                return 0;
        r = unit_write_resolv_conf(tx->u);
        if (r < 0)
                return r;
        tx->req.resolv_conf = tx->u->resolv_conf;
        return 0;
}

static void undo_resolv_conf(struct unit *u, struct start_tx *tx) {
        if (!u->resolv_conf)
                return;
        (void) unlink(u->resolv_conf);
        u->resolv_conf = mfree(u->resolv_conf);
}

/* ---- log pipes: the child's stdout and stderr ---------------------------------------------------- */

static int step_log_pipes(struct start_tx *tx) {
        struct unit *u = tx->u;
        int r;

        if (u->log) {
                r = log_stream_open_pipes(u->log, &tx->out, &tx->err);
                if (r < 0)
                        return r;
                /* The container's init holds their read ends for a successor of supd. */
                log_stream_read_fds(u->log, &tx->req.hold_stdout_fd, &tx->req.hold_stderr_fd);
                tx->req.hold = u->config->init;
        } else {
                /* No log file could be opened for the unit: its output goes nowhere, not to ours. */
                tx->out = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (tx->out < 0)
                        return -errno;
                tx->err = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
                if (tx->err < 0)
                        return -errno;
        }
        tx->req.stdout_fd = tx->out;
        tx->req.stderr_fd = tx->err;
        return 0;
}

/* ---- launch: the child, cloned with every namespace, waiting for its go -------------------------- */

static int step_clone(struct start_tx *tx) {
        struct unit *u = tx->u;
        struct launch_error le;
        uint64_t t0 = now(CLOCK_MONOTONIC);
        int r;

        if (u->config->type == SERVICE_NOTIFY) {
                struct sockaddr_un sa;
                socklen_t len;

                unit_notify_address(u, &sa, &len);
                snprintf(tx->notify_env, sizeof(tx->notify_env), "NOTIFY_SOCKET=@%s", sa.sun_path + 1);
                r = strv_extend(&tx->env, tx->notify_env);
                if (r < 0)
                        return r;
        }
        tx->req.extra_env = tx->env;

        r = launch_clone(&tx->req, &tx->child, &le);
        if (r < 0) {
                tx->message = launch_error_format(&le, u->config);
                return r;
        }
        tx->cloned = true;
        log_debug("%s: cloned pid " PID_FMT " in %.3fms", u->name, tx->child.pid,
                  (double) (now(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);
        return 0;
}

static void undo_clone(struct unit *u, struct start_tx *tx) {
        /* At stop the run's process is the manager's business; only a child without its go is ours. */
        if (tx && tx->cloned)
                launch_child_abort(&tx->child);
}

/* ---- between clone and go: what needs the child's pid -------------------------------------------- */

static int step_id_maps(struct start_tx *tx) {
        if (!(tx->u->config->namespaces & UNIT_NS_USER))
                return 0;
        return launch_write_id_maps(&tx->child, &tx->req.uid_map);
}

static int step_place(struct start_tx *tx) {
        /* The v1 hierarchies (and the v2 group when CLONE_INTO_CGROUP could not place it) before the
         * child runs anything: its cgroup namespace is made after this, at its go. */
        return cg_unit_attach(tx->u->cgroup, tx->child.pid, tx->child.placed);
}

static int step_notify(struct start_tx *tx) {
        if (tx->u->config->type != SERVICE_NOTIFY)
                return 0;
        return unit_notify_open(tx->u, tx->child.pid);
}

static void undo_notify(struct unit *u, struct start_tx *tx) {
        unit_notify_close(u);
}

static int step_network(struct start_tx *tx) {
        struct unit *u = tx->u;
        int r;

        if (!(u->config->namespaces & UNIT_NS_NET))
                return 0;
        r = unit_network_up(u, tx->child.pid);
        if (r < 0 && u->attach_error) {
                /* netplug's own words ("10.88.0.5 is taken by web"), more exact than errno's */
                if (asprintf(&tx->message, "set up the network: %s", u->attach_error) < 0)
                        tx->message = NULL;
                u->attach_error = mfree(u->attach_error);
        }
        return r;
}

static void undo_network(struct unit *u, struct start_tx *tx) {
        unit_network_down(u);
}

static int step_go(struct start_tx *tx) {
        return launch_go(&tx->child);
}

static const struct start_step start_steps[] = {
        { "create cgroup", step_cgroup, undo_cgroup },
        { "create runtime directory", step_runtime_dir, undo_runtime_dir },
        { "allocate user namespace range", step_userns, NULL },
        { "prepare the persistent overlay", step_overlay_dir, NULL },
        { "read EnvironmentFile=", step_env_files, NULL },
        { "write resolv.conf for DNS=", step_resolv_conf, undo_resolv_conf },
        { "open log pipes", step_log_pipes, NULL },
        { "launch", step_clone, undo_clone },
        { "write uid_map", step_id_maps, NULL },
        { "place the child in its cgroup", step_place, NULL },
        { "create the notify socket", step_notify, undo_notify },
        { "set up the network", step_network, undo_network },
        { "start the child", step_go, NULL },
};

static bool unit_start_limit_hit(struct unit *u) {
        const struct unit_config *c = u->config;
        uint64_t t = now(CLOCK_MONOTONIC);
        size_t k = 0;

        if (c->start_limit_burst == 0 || c->start_limit_interval_usec == 0)
                return false;
        for (size_t i = 0; i < u->n_start_times; i++)
                if (t - u->start_times[i] < c->start_limit_interval_usec)
                        u->start_times[k++] = u->start_times[i];
        u->n_start_times = k;
        if (k >= c->start_limit_burst)
                return true;

        uint64_t *a = reallocarray(u->start_times, k + 1, sizeof(uint64_t));
        if (!a)
                return false;
        a[k] = t;
        u->start_times = a;
        u->n_start_times = k + 1;
        return false;
}

/* A queued start whose dependencies are up: the start limit, then the transaction (unit-start.c). */
void unit_start_now(struct unit *u) {
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;

        if (unit_start_limit_hit(u)) {
                log_error("%s: start limit hit (%u starts within %.3fs), not starting", u->name,
                          c->start_limit_burst, (double) c->start_limit_interval_usec / USEC_PER_SEC);
                if (u->log)
                        log_stream_note(u->log, "Start limit hit.");
                unit_set_state(u, UNIT_EV_LIMIT, UNIT_RESULT_START_LIMIT);
                manager_dispatch(m);
                return;
        }

        unit_set_state(u, u->state == UNIT_RESTARTING ? UNIT_EV_RESTART : UNIT_EV_START, UNIT_RESULT_SUCCESS);
        u->main_exited = false;
        u->exec_seen = false;
        u->exit_code = u->exit_status = 0;
        u->setup_error = mfree(u->setup_error);
        u->status_text = mfree(u->status_text);

        if (unit_start_transaction(u) < 0)
                return; /* failed with result setup, everything undone */

        if (c->type == SERVICE_NOTIFY && c->timeout_start_usec != USEC_INFINITY) {
                ev_timer_set(&u->timer, (double) c->timeout_start_usec / USEC_PER_SEC, 0.);
                ev_timer_start(m->loop, &u->timer);
        }
        if (u->log)
                log_stream_note(u->log, "Started, pid " PID_FMT ".", u->main_pid);
}

/* ---- the runner ------------------------------------------------------------------------------------ */

void unit_release(struct unit *u) {
        /* The run's process fds; the callers stopped their watchers. */
        u->sync_fd = safe_close(u->sync_fd);
        u->pidfd = safe_close(u->pidfd);
        for (size_t i = ELEMENTSOF(start_steps); i > 0; i--)
                if (start_steps[i - 1].undo)
                        start_steps[i - 1].undo(u, NULL);
}

static void start_tx_done(struct start_tx *tx) {
        safe_close(tx->cgroup_fd);
        safe_close(tx->out);
        safe_close(tx->err);
        free(tx->overlay_dir);
        free(tx->message);
        strv_free(tx->env);
}

/* Runs every step; returns 0, or -errno after undoing the steps that ran and failing the unit. */
int unit_start_transaction(struct unit *u) {
        struct manager *m = u->manager;
        _cleanup_(start_tx_done) struct start_tx tx = {
                .u = u,
                .req = {
                        .config = u->config,
                        .init_fd = m->init_fd,
                        .cgroup_fd = -EBADF,
                        .stdin_fd = -EBADF,
                        .keep_fd = -EBADF,
                        .hold_stdout_fd = -EBADF,
                        .hold_stderr_fd = -EBADF,
                        .place_after_clone = true,
                },
                .child = { .pidfd = -EBADF, .sync_fd = -EBADF },
                .cgroup_fd = -EBADF,
                .out = -EBADF,
                .err = -EBADF,
        };
        size_t i;
        int r = 0;

        for (i = 0; i < ELEMENTSOF(start_steps); i++) {
                r = start_steps[i].run(&tx);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                const char *step = start_steps[i].name;
                char *msg = TAKE_PTR(tx.message);

                if (!msg && asprintf(&msg, "%s: %s", step, strerror(-r)) < 0)
                        msg = NULL;
                unit_note_setup_error(u, msg);
                /* The failed step too: it may have taken part of what it takes. */
                for (i++; i > 0; i--)
                        if (start_steps[i - 1].undo)
                                start_steps[i - 1].undo(u, &tx);
                unit_set_state(u, UNIT_EV_SETUP_FAILED, UNIT_RESULT_SETUP);
                return r;
        }

        /* The run is the unit's now. */
        u->clone_monotonic = now(CLOCK_MONOTONIC);
        u->main_pid = tx.child.pid;
        u->pidfd = TAKE_FD(tx.child.pidfd);
        u->sync_fd = TAKE_FD(tx.child.sync_fd);
        ev_io_set(&u->pidfd_watch, u->pidfd, EV_READ);
        ev_io_start(m->loop, &u->pidfd_watch);
        ev_io_set(&u->sync_watch, u->sync_fd, EV_READ);
        ev_io_start(m->loop, &u->sync_watch);
        unit_record_new_run(u, tx.child.hold_fds);
        return 0;
}
