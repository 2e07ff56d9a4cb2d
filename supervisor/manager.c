/* SPDX-License-Identifier: MIT */

/* The manager. Every unit moves through unit_set_state() only, driven by events from the loop:
 * pidfd readability (main process exit), the launch sync fd (exec'd or a set-up failure),
 * cgroup.events (the group emptied), timers (restart delay, start and stop timeouts) and
 * requests (bus, signals). Dependencies are resolved by manager_dispatch(): a queued start waits
 * for its Requires=/Wants=/After= units, a queued stop for the units ordered after it. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <arpa/inet.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "time-util.h"
#include "launch.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"
#include "unit-exec.h"
#include "unit-network.h"
#include "unit-state.h"
#include "records.h"
#include "userns.h"




/* ---- state ------------------------------------------------------------------------------------ */

bool unit_is_active(const struct unit *u) {
        return u->state == UNIT_STARTING || u->state == UNIT_RUNNING || u->state == UNIT_STOPPING;
}

void unit_set_state(struct unit *u, enum unit_event ev, enum unit_result result) {
        int next = unit_state_next(u->state, ev);
        unsigned actions = unit_state_actions(u->state, ev);
        enum unit_active_state old = u->state;

        if (next < 0) {
                /* A programming error: the caller picked an event the table does not allow. */
                log_error("%s: internal error: event %s in state %s ignored", u->name, unit_event_to_string(ev),
                          unit_active_state_to_string(u->state));
                return;
        }
        if (ev == UNIT_EV_START)
                u->result = UNIT_RESULT_SUCCESS;
        else if (result != UNIT_RESULT_SUCCESS || ev == UNIT_EV_RESET)
                u->result = result;

        u->state = next;
        u->state_change_realtime = now(CLOCK_REALTIME);
        if (next == UNIT_RUNNING) {
                u->active_enter_realtime = u->state_change_realtime;
                u->active_enter_monotonic = now(CLOCK_MONOTONIC);
        }
        log_debug("%s: %s -> %s (%s, result %s)", u->name, unit_active_state_to_string(old),
                  unit_active_state_to_string(next), unit_event_to_string(ev), unit_result_to_string(u->result));

        if (actions & UNIT_ACTION_CANCEL_TIMER)
                ev_timer_stop(u->manager->loop, &u->timer);
        if (actions & UNIT_ACTION_ARM_RESTART) {
                ev_timer_set(&u->timer, (double) u->next_restart_usec / USEC_PER_SEC, 0.);
                ev_timer_start(u->manager->loop, &u->timer);
        }

        /* What a successor of supd needs to take the run over (unit-adopt.c). */
        if ((int) old != next)
                unit_record_update(u);

        if (u->manager->changed_cb && ((int) old != next || ev == UNIT_EV_RESET || result != UNIT_RESULT_SUCCESS))
                u->manager->changed_cb(u->manager->changed_userdata, u);

        if (actions & UNIT_ACTION_DISPATCH)
                manager_dispatch(u->manager);
}

/* ---- unit objects ------------------------------------------------------------------------------- */

struct unit *unit_free(struct unit *u) {
        if (!u)
                return NULL;
        ev_io_stop(u->manager->loop, &u->pidfd_watch);
        ev_io_stop(u->manager->loop, &u->sync_watch);
        ev_timer_stop(u->manager->loop, &u->timer);
        safe_close(u->pidfd);
        safe_close(u->sync_fd);
        cg_unit_free(u->cgroup);
        log_stream_free(u->log);
        free(u->name);
        free(u->status_text);
        free(u->setup_error);
        free(u->start_times);
        free(u->unit_dir);
        free(u->attach_error);
        free(u->resolv_conf);
        free(u->log_path);
        unit_network_down(u);
        ev_io_stop(u->manager->loop, &u->notify_watch);
        safe_close(u->notify_fd);
        ev_io_stop(u->manager->loop, &u->oom_watch);
        ev_timer_stop(u->manager->loop, &u->oom_recheck);
        safe_close(u->oom_fd);
        unit_config_free(u->config);
        unit_config_free(u->next_config);
        free(u);
        return NULL;
}


int unit_new(struct manager *m, const char *name, struct unit_config *c, struct unit **ret) {
        struct unit *u = calloc(1, sizeof(*u));
        int r;

        if (!u)
                return -ENOMEM;
        u->manager = m;
        u->pidfd = u->sync_fd = u->notify_fd = u->oom_fd = -EBADF;
        u->cg_events_wd = u->oom_wd = -1;
        ev_init(&u->oom_watch, unit_oom_cb);
        u->oom_watch.data = u;
        ev_init(&u->oom_recheck, unit_oom_recheck_cb);
        u->oom_recheck.data = u;
        ev_init(&u->notify_watch, unit_notify_cb);
        u->notify_watch.data = u;
        ev_init(&u->pidfd_watch, unit_pidfd_cb);
        ev_init(&u->sync_watch, unit_sync_cb);
        ev_init(&u->timer, unit_timer_cb);
        u->pidfd_watch.data = u->sync_watch.data = u->timer.data = u;
        u->name = strdup(name);
        if (!u->name || asprintf(&u->unit_dir, "%s/units/%s", m->runtime_dir, name) < 0) {
                unit_free(u);
                return -ENOMEM;
        }
        u->config = c;
        u->load_state = c ? c->load_state : UNIT_NOT_FOUND;

        if (c) {
                if (asprintf(&u->log_path, "%s/logs/%s.log", m->state_dir, name) < 0) {
                        unit_free(u);
                        return -ENOMEM;
                }
                r = log_stream_new(m->loop, u->log_path, c->log_max_size, &u->log);
                if (r < 0)
                        log_warning_errno(r, "%s: Failed to open log file '%s', output will be lost: %m", name,
                                          u->log_path);
        }
        *ret = u;
        return 0;
}

struct unit *manager_find_unit(struct manager *m, const char *name) {
        for (size_t i = 0; i < m->n_units; i++)
                if (streq(m->units[i]->name, name))
                        return m->units[i];
        return NULL;
}

size_t manager_units(struct manager *m, struct unit ***ret) {
        *ret = m->units;
        return m->n_units;
}

const char *unit_cgroup_path(struct unit *u) {
        return u->cgroup ? cg_unit_path(u->cgroup) : NULL;
}

const char *unit_log_path(struct unit *u) {
        return u->log ? u->log_path : NULL;
}

/* ---- stop ----------------------------------------------------------------------------------------- */

void unit_stop_now(struct unit *u) {
        struct manager *m = u->manager;
        int sig = u->config ? u->config->kill_signal : SIGTERM;

        /* The stop is under way: what is left of the job is the start half of a restart. */
        u->job = u->job == UNIT_JOB_RESTART ? UNIT_JOB_RESTART_START
                 : u->job == UNIT_JOB_STOP  ? UNIT_JOB_NONE
                                            : u->job;
        if (u->state == UNIT_RESTARTING) {
                unit_set_state(u, UNIT_EV_STOP, UNIT_RESULT_SUCCESS); /* the table cancels the delay */
                return;
        }
        if (!unit_is_active(u))
                return;
        if (u->state != UNIT_STOPPING)
                unit_set_state(u, UNIT_EV_STOP, UNIT_RESULT_SUCCESS);

        log_info("%s: stopping (%s)", u->name, signal_to_string(sig) ?: "?");
        if (u->log)
                log_stream_note(u->log, "Stopping.");
        if (u->pidfd >= 0 && !u->main_exited) {
                if (syscall(SYS_pidfd_send_signal, u->pidfd, sig, NULL, 0) < 0 && errno != ESRCH)
                        log_warning_errno(-errno, "%s: Failed to send %s: %m", u->name, signal_to_string(sig));
        } else if (u->cgroup)
                (void) cg_unit_kill(u->cgroup, SIGKILL);

        ev_timer_stop(m->loop, &u->timer);
        if (u->config && u->config->timeout_stop_usec != USEC_INFINITY) {
                ev_timer_set(&u->timer, (double) u->config->timeout_stop_usec / USEC_PER_SEC, 0.);
                ev_timer_start(m->loop, &u->timer);
        }
}

/* ---- requests -------------------------------------------------------------------------------------- */

static int unit_check_startable(struct manager *m, struct unit *u, const char **ret_message) {
        if (m->shutdown != MANAGER_RUNNING) {
                *ret_message = "supd is shutting down";
                return -ESHUTDOWN;
        }
        if (u->load_state == UNIT_NOT_FOUND) {
                *ret_message = "unit file not found";
                return -ENOENT;
        }
        if (u->load_state != UNIT_LOADED) {
                *ret_message = u->config && u->config->load_error ? u->config->load_error : "unit file has errors";
                return -ENOEXEC;
        }
        return 0;
}

int manager_start_unit(struct manager *m, struct unit *u, const char **ret_message) {
        int r = unit_check_startable(m, u, ret_message);
        if (r < 0)
                return r;
        if (u->state == UNIT_FAILED && u->result == UNIT_RESULT_START_LIMIT) {
                *ret_message = "start limit hit; clear it with reset-failed";
                return -EBUSY;
        }
        if (unit_is_active(u) && u->state != UNIT_STOPPING)
                return 0;
        if (u->state == UNIT_RESTARTING) {
                /* Skip the rest of the delay. */
                ev_timer_stop(m->loop, &u->timer);
                u->n_restarts++;
        } else
                /* The start limit is about a unit that keeps failing on its own: a start someone asks
                 * for begins a new count (a job started every second is not a crash loop). */
                u->n_start_times = 0;
        unit_queue_start(u);
        manager_dispatch(m);
        return 0;
}

void unit_queue_stop(struct unit *u, bool restart) {
        if (unit_is_active(u) || u->state == UNIT_RESTARTING)
                u->job = restart ? UNIT_JOB_RESTART : UNIT_JOB_STOP;
        else
                u->job = UNIT_JOB_NONE;
}

const char *unit_name(const struct unit *u) {
        return u->name;
}

enum unit_active_state unit_state(const struct unit *u) {
        return u->state;
}

void unit_get_status(const struct unit *u, struct unit_status *ret) {
        const struct unit_config *c = u->config;

        *ret = (struct unit_status) {
                .name = u->name,
                .description = c ? strempty(c->description) : "",
                .fragment_path = c ? strempty(c->path) : "",
                .load_error = c ? strempty(c->load_error) : "",
                .load_state = u->load_state,
                .state = u->state,
                .result = u->result,
                .main_pid = u->main_pid,
                .n_restarts = u->n_restarts,
                .active_enter_realtime = u->active_enter_realtime,
                .state_change_realtime = u->state_change_realtime,
                .exit_code = u->exit_code,
                .exit_status = u->exit_status,
                .status_text = strempty(u->status_text),
                .setup_error = strempty(u->setup_error),
                .log_bytes_dropped = u->log ? log_stream_bytes_dropped(u->log) : 0,
                .adopted = u->adopted,
                .adopted_reexec = u->adopted && !u->foreign,
                .start_queued = u->job == UNIT_JOB_START || unit_job_restarts(u),
                .stop_queued = unit_job_stops(u),
                .init = c && c->init,
        };
}

int unit_log_tail(struct unit *u, unsigned n, char ***ret) {
        *ret = NULL;
        if (!u->log)
                return 0;
        return log_stream_tail(u->log, n, ret);
}

int manager_stop_unit(struct manager *m, struct unit *u, const char **ret_message) {
        unit_queue_stop(u, false);
        if (u->job != UNIT_JOB_NONE)
                manager_dispatch(m);
        return 0;
}

int manager_restart_unit(struct manager *m, struct unit *u, const char **ret_message) {
        int r = unit_check_startable(m, u, ret_message);
        if (r < 0)
                return r;
        if (unit_is_active(u)) {
                u->n_start_times = 0; /* a requested restart begins a new start-limit count */
                unit_queue_stop(u, true);
                manager_dispatch(m);
                return 0;
        }
        return manager_start_unit(m, u, ret_message);
}

int manager_kill_unit(struct manager *m, struct unit *u, int sig, bool all, const char **ret_message) {
        if (all) {
                if (!u->cgroup) {
                        *ret_message = "the unit has no processes";
                        return -ESRCH;
                }
                int r = cg_unit_kill(u->cgroup, sig);
                if (r < 0) {
                        *ret_message = "could not signal the unit's cgroup";
                        return r;
                }
                if (r == 0) {
                        *ret_message = "the unit has no processes";
                        return -ESRCH;
                }
                return 0;
        }
        if (u->pidfd < 0 || u->main_exited) {
                *ret_message = "the unit has no main process";
                return -ESRCH;
        }
        if (syscall(SYS_pidfd_send_signal, u->pidfd, sig, NULL, 0) < 0) {
                *ret_message = "could not signal the main process";
                return -errno;
        }
        return 0;
}

int manager_reset_failed(struct manager *m, struct unit *u, const char **ret_message) {
        u->n_start_times = 0;
        u->n_failures = 0;
        u->n_restarts = 0;
        if (u->state != UNIT_FAILED)
                return 0; /* as systemctl: resetting a unit that is not failed clears its counters only */
        unit_set_state(u, UNIT_EV_RESET, UNIT_RESULT_SUCCESS);
        return 0;
}

int manager_freeze_unit(struct manager *m, struct unit *u, bool freeze, const char **ret_message) {
        if (!u->cgroup || !unit_is_active(u)) {
                *ret_message = "the unit is not running";
                return -EBUSY;
        }
        int r = cg_unit_freeze(u->cgroup, freeze);
        if (r < 0)
                *ret_message = freeze ? "could not freeze the unit's cgroup" : "could not thaw the unit's cgroup";
        return r;
}

int manager_unit_stats(struct manager *m, struct unit *u, struct cg_stats *ret, const char **ret_message) {
        if (!u->cgroup) {
                *ret_message = "the unit is not running";
                return -EBUSY;
        }
        int r = cg_unit_stats(u->cgroup, ret);
        if (r < 0)
                *ret_message = "could not read the unit's cgroup";
        return r;
}

void manager_set_shutdown_request(struct manager *m, manager_shutdown_request_t cb, void *userdata) {
        m->shutdown_request_cb = cb;
        m->shutdown_request_userdata = userdata;
}

int manager_request_shutdown(struct manager *m, enum manager_shutdown how, const char **ret_message) {
        if (!m->shutdown_request_cb) {
                *ret_message = "not supported";
                return -EOPNOTSUPP;
        }
        int r = m->shutdown_request_cb(m->shutdown_request_userdata, how);
        if (r == -EOPNOTSUPP)
                *ret_message = "supd is not PID 1: stop it with SIGTERM instead";
        return r;
}

/* ---- reaping --------------------------------------------------------------------------------------- */

static struct unit *manager_unit_by_pid(struct manager *m, pid_t pid) {
        for (size_t i = 0; i < m->n_units; i++)
                if (m->units[i]->main_pid == pid && !m->units[i]->main_exited)
                        return m->units[i];
        return NULL;
}

void manager_reap(struct manager *m) {
        for (;;) {
                siginfo_t si = {};

                /* Peek first: a unit's main process is reaped through its pidfd, to keep its status. */
                if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        break;
                /* ... and so is a command exec'd into a unit. */
                if (unit_exec_reap(m, si.si_pid))
                        continue;
                struct unit *u = manager_unit_by_pid(m, si.si_pid);
                if (u) {
                        unit_reap_main(u);
                        if (!u->main_exited) /* could not reap it: do not spin */
                                break;
                        continue;
                }
                (void) waitpid(si.si_pid, NULL, WNOHANG);
                log_debug("Reaped orphan " PID_FMT, si.si_pid);
        }

        /* Pure v1: no cgroup.events, so every SIGCHLD is a chance that a group became empty. */
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                if (u->main_exited && u->main_pid && u->cg_events_wd < 0 && unit_cgroup_empty(u))
                        unit_run_finished(u);
        }
}

/* ---- shutdown ------------------------------------------------------------------------------------ */

void manager_shutdown(struct manager *m, enum manager_shutdown how, void (*done)(void *userdata), void *userdata) {
        if (m->shutdown == MANAGER_RUNNING)
                log_info("Stopping every unit.");
        m->shutdown = how;
        m->shutdown_done = done;
        m->shutdown_userdata = userdata;
        for (size_t i = 0; i < m->n_units; i++) {
                unit_queue_stop(m->units[i], false);
        }
        manager_dispatch(m);
}

enum manager_shutdown manager_shutting_down(struct manager *m) {
        return m->shutdown;
}

void manager_set_unit_changed(struct manager *m, manager_unit_changed_t cb, void *userdata) {
        m->changed_cb = cb;
        m->changed_userdata = userdata;
}

/* ---- start-up --------------------------------------------------------------------------------------- */

/* What a SIGKILLed predecessor left: unit cgroups (and their processes), runtime directories and
 * records. Mounts need nothing: they all live in the units' own mount namespaces. */
static void manager_gc_cb(struct ev_loop *loop, ev_idle *w, int revents) {
        ev_idle_stop(loop, w);
        manager_forget_removed(w->data);
}

/* Adds o+x to an existing directory, leaving its other bits as they are. */
static int dir_make_searchable(const char *path) {
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (st.st_mode & S_IXOTH)
                return 0;
        return chmod(path, (st.st_mode & 07777) | S_IXOTH) < 0 ? -errno : 0;
}

/* Each directory in STATE/overlay is its unit's gate, 0700 (older supds made them 0755), and must be
 * so before STATE/overlay becomes searchable, or anyone could walk into an upper, set-uid files of the
 * host's root included. */
static int overlay_dirs_close(const char *path) {
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_close_ int fd = -EBADF;
                struct stat st;

                if (de->d_name[0] == '.') /* no unit's name */
                        continue;
                fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (fd < 0) {
                        if (errno != ENOTDIR && errno != ELOOP && errno != ENOENT)
                                r = -errno;
                        continue;
                }
                if (fstat(fd, &st) < 0 || ((st.st_mode & 077) && fchmod(fd, 0700) < 0))
                        r = -errno;
        }
        closedir(d);
        return r;
}

/* RUNTIME and RUNTIME/units; STATE/logs and STATE/overlay. A unit's mapped root (UserNamespace=) is
 * "other" to all of them, and must walk through RUNTIME/units to its mount point and through
 * STATE/overlay to its persistent upper: so these are searchable but not listable (0711), and each
 * unit's own directory in them is 0700 (supervisor/README.md, "Directory modes"). */
static int manager_make_dirs(struct manager *m) {
        _cleanup_free_ char *units_run = NULL, *logs = NULL, *overlay = NULL;
        int r;

        r = mkdir_p(m->runtime_dir, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create runtime directory '%s': %m", m->runtime_dir);
        r = mkdir_p(m->state_dir, 0711);
        if (r < 0)
                return log_error_errno(r, "Failed to create state directory '%s': %m", m->state_dir);
        if (asprintf(&units_run, "%s/units", m->runtime_dir) < 0 || asprintf(&logs, "%s/logs", m->state_dir) < 0 ||
            asprintf(&overlay, "%s/overlay", m->state_dir) < 0)
                return log_oom();

        r = mkdir_p(units_run, 0711);
        if (r >= 0)
                r = chmod(units_run, 0711) < 0 ? -errno : 0;
        if (r < 0)
                return log_error_errno(r, "Failed to set up '%s': %m", units_run);
        r = mkdir_p(logs, 0700);
        if (r < 0)
                return log_error_errno(r, "Failed to create state directory '%s': %m", logs);
        r = mkdir_p(overlay, 0711);
        if (r >= 0)
                r = overlay_dirs_close(overlay);
        if (r >= 0)
                r = chmod(overlay, 0711) < 0 ? -errno : 0;
        if (r < 0)
                return log_error_errno(r, "Failed to set up state directory '%s': %m", overlay);

        /* Where supd did not make them itself (an older supd made STATE 0700). */
        const char *const tops[] = { m->runtime_dir, m->state_dir };
        for (size_t i = 0; i < ELEMENTSOF(tops); i++) {
                r = dir_make_searchable(tops[i]);
                if (r < 0)
                        return log_error_errno(r, "Failed to make '%s' searchable (o+x): %m", tops[i]);
        }
        return 0;
}

static void manager_freep(struct manager **m) {
        *m = manager_free(*m);
}

int manager_new(struct ev_loop *loop, const struct manager_options *o, struct manager **ret) {
        _cleanup_(manager_freep) struct manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_oom();
        m->inotify_fd = m->init_fd = -EBADF;
        m->loop = loop;
        m->pid1 = o->pid1;
        ev_idle_init(&m->gc, manager_gc_cb);
        m->gc.data = m;
        m->units_dir = strdup(o->units_dir);
        m->runtime_dir = strdup(o->runtime_dir);
        m->state_dir = strdup(o->state_dir);
        m->cgroup_root = strdup(o->cgroup_root);
        if (!m->units_dir || !m->runtime_dir || !m->state_dir || !m->cgroup_root)
                return log_oom();

        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0)
                return log_error_errno(-errno, "Failed to create an inotify instance: %m");
        ev_io_init(&m->inotify_watch, manager_inotify_cb, m->inotify_fd, EV_READ);
        m->inotify_watch.data = m;
        ev_io_start(loop, &m->inotify_watch);
        m->init_fd = launch_init_memfd();
        if (m->init_fd < 0)
                return log_error_errno(m->init_fd, "Failed to load the container init into a memfd: %m");

        r = manager_make_dirs(m);
        if (r < 0)
                return r;
        r = cg_host_detect(&m->cg_host);
        if (r < 0)
                return log_error_errno(r, "Failed to find the cgroup file systems: %m");
        /* Before anything is made or cleaned: another live instance's is not ours to touch. Across
         * daemon-reexec the claims stayed held: they are taken over as they are. */
        r = o->claims ? manager_deserialize_claims(m, o->claims) : manager_claim(m);
        if (r < 0)
                return r;
        r = cg_root_new(m->cg_host, m->cgroup_root, &m->cg_root);
        if (r < 0)
                return log_error_errno(r, "Failed to create cgroup root '%s': %m", m->cgroup_root);
        log_info("cgroups: %s layout, root %s.", cg_layout_to_string(cg_host_layout(m->cg_host)),
                 cg_root_path(m->cg_root));

        manager_network_new(m);
        *ret = TAKE_PTR(m);
        return 0;
}

struct manager *manager_free(struct manager *m) {
        if (!m)
                return NULL;
        ev_idle_stop(m->loop, &m->gc);
        ev_io_stop(m->loop, &m->inotify_watch);
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                if (u->log)
                        log_stream_flush(u->log);
                if (!unit_is_active(u))
                        unit_release(u);
                unit_free(u);
        }
        free(m->units);
        manager_network_free(m);
        unit_set_free(m->set);
        if (m->cg_root) {
                int r = cg_root_remove(m->cg_root);
                if (r < 0 && r != -EBUSY)
                        log_warning_errno(r, "Failed to remove cgroup root, ignoring: %m");
                cg_root_free(m->cg_root);
        }
        cg_host_free(m->cg_host);
        /* Last: until here, what it claimed may still be this instance's. */
        m->claims = claims_free(m->claims);
        safe_close(m->inotify_fd);
        safe_close(m->init_fd);
        free(m->units_dir);
        free(m->runtime_dir);
        free(m->state_dir);
        free(m->cgroup_root);
        free(m);
        return NULL;
}
