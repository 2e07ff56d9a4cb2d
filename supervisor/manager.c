/* SPDX-License-Identifier: MIT */

/* The manager. Every unit moves through unit_set_state() only, driven by events from the loop:
 * pidfd readability (main process exit), the launch sync fd (exec'd or a set-up failure),
 * cgroup.events (the group emptied), timers (restart delay, start and stop timeouts) and
 * requests (bus, signals). Dependencies are resolved by manager_dispatch(): a queued start waits
 * for its Requires=/Wants=/After= units, a queued stop for the units ordered after it. */

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

#include "fs-util.h"
#include "launch.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager.h"
#include "unit-exec.h"
#include "unit-state.h"
#include "records.h"
#include "userns.h"

struct manager {
        struct ev_loop *loop;
        char *units_dir;
        char *runtime_dir;
        char *state_dir;
        char *cgroup_root;
        bool pid1;

        struct cg_host *cg_host;
        struct cg_root *cg_root;
        struct netplug *netplug; /* NULL: no networking on this host (logged once) */
        struct claims *claims;   /* what no other instance may have while this one lives */
        int inotify_fd;          /* one for every unit's cgroup.events and memory.events */
        int init_fd;             /* sup-init in its sealed memfd: every container starts with it */
        struct unit_exec *execs; /* commands exec'd into units (unit-exec.c), supd's children */
        ev_io inotify_watch;

        struct unit_set *set;
        struct unit **units;
        size_t n_units;

        manager_unit_changed_t changed_cb;
        void *changed_userdata;
        manager_shutdown_request_t shutdown_request_cb;
        void *shutdown_request_userdata;

        ev_idle gc;

        enum manager_shutdown shutdown;
        void (*shutdown_done)(void *userdata);
        void *shutdown_userdata;
        bool dispatching;
};

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

static void manager_dispatch(struct manager *m);
static void manager_forget_removed(struct manager *m);
static void manager_bridges_up(struct manager *m);
static void unit_stop_now(struct unit *u);
static void unit_start_now(struct unit *u);

/* ---- state ------------------------------------------------------------------------------------ */

static bool unit_is_active(const struct unit *u) {
        return u->state == UNIT_STARTING || u->state == UNIT_RUNNING || u->state == UNIT_STOPPING;
}

static void unit_set_state(struct unit *u, enum unit_event ev, enum unit_result result) {
        int next = unit_state_next(u->state, ev);
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
        u->state_change_realtime = now_usec(CLOCK_REALTIME);
        if (next == UNIT_RUNNING) {
                u->active_enter_realtime = u->state_change_realtime;
                u->active_enter_monotonic = now_usec(CLOCK_MONOTONIC);
        }
        log_debug("%s: %s -> %s (%s, result %s)", u->name, unit_active_state_to_string(old),
                  unit_active_state_to_string(next), unit_event_to_string(ev), unit_result_to_string(u->result));

        if (u->manager->changed_cb && ((int) old != next || ev == UNIT_EV_RESET || result != UNIT_RESULT_SUCCESS))
                u->manager->changed_cb(u->manager->changed_userdata, u);
}

/* ---- unit objects ------------------------------------------------------------------------------- */

static struct unit *unit_free(struct unit *u) {
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
        netplug_unit_free(u->net);
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

static void unit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void unit_pidfd_cb(struct ev_loop *loop, ev_io *w, int revents);
static void unit_sync_cb(struct ev_loop *loop, ev_io *w, int revents);
static void unit_unwatch(struct unit *u);
static void unit_notify_cb(struct ev_loop *loop, ev_io *w, int revents);
static void unit_oom_cb(struct ev_loop *loop, ev_io *w, int revents);
static void unit_oom_recheck_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void unit_check_oom(struct unit *u);
static void unit_log_consumption(struct unit *u);

static int unit_new(struct manager *m, const char *name, struct unit_config *c, struct unit **ret) {
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

const char *unit_address(struct unit *u) {
        return u->net ? netplug_unit_address(u->net) : NULL;
}

const struct port_map *unit_ports(struct unit *u, size_t *ret_n) {
        if (!u->net) {
                *ret_n = 0;
                return NULL;
        }
        return netplug_unit_ports(u->net, ret_n);
}

/* ---- the end of a run --------------------------------------------------------------------------- */

static void unit_stop_watchers(struct unit *u) {
        ev_io_stop(u->manager->loop, &u->pidfd_watch);
        ev_io_stop(u->manager->loop, &u->sync_watch);
        ev_timer_stop(u->manager->loop, &u->timer);
}

/* Everything the run held, released in reverse order of the start transaction. */
static void unit_release(struct unit *u) {
        int r;

        if (u->net) {
                r = netplug_unit_down(u->manager->netplug, u->net);
                if (r < 0)
                        log_debug_errno(r, "%s: network not fully released: %m", u->name);
                u->net = netplug_unit_free(u->net);
        }
        if (u->resolv_conf) {
                (void) unlink(u->resolv_conf);
                u->resolv_conf = mfree(u->resolv_conf);
        }
        unit_unwatch(u);
        ev_io_stop(u->manager->loop, &u->notify_watch);
        u->notify_fd = safe_close(u->notify_fd);
        ev_io_stop(u->manager->loop, &u->oom_watch);
        ev_timer_stop(u->manager->loop, &u->oom_recheck);
        u->oom_fd = safe_close(u->oom_fd);
        u->sync_fd = safe_close(u->sync_fd);
        u->pidfd = safe_close(u->pidfd);
        if (u->cgroup) {
                r = cg_unit_destroy(u->cgroup);
                if (r < 0)
                        log_warning_errno(r, "%s: Failed to remove cgroup '%s', ignoring: %m", u->name,
                                          cg_unit_path(u->cgroup));
                u->cgroup = cg_unit_free(u->cgroup);
        }
        if (rmdir(u->unit_dir) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "%s: Failed to remove '%s', ignoring: %m", u->name, u->unit_dir);
        (void) record_remove(u->manager->runtime_dir, u->name);
}

static bool unit_cgroup_empty(struct unit *u) {
        return !u->cgroup || cg_unit_is_empty(u->cgroup) != 0;
}

/* A reload gave the unit a new file while it ran: it takes effect between runs. */
static void unit_apply_next_config(struct unit *u) {
        if (!u->next_config)
                return;
        unit_config_free(u->config);
        u->config = TAKE_PTR(u->next_config);
        u->load_state = u->config->load_state;
        if (u->log)
                log_stream_set_max_size(u->log, u->config->log_max_size);
}

static void unit_run_finished(struct unit *u) {
        struct manager *m = u->manager;
        const struct unit_config *c;
        bool success, restart;
        enum unit_result result;
        uint64_t ran;

        unit_stop_watchers(u);
        unit_check_oom(u);
        unit_log_consumption(u);
        unit_release(u);
        u->main_pid = 0;
        unit_apply_next_config(u);
        c = u->config;

        if (u->setup_error) {
                unit_set_state(u, UNIT_EV_SETUP_FAILED, UNIT_RESULT_SETUP);
                goto out;
        }

        success = u->exit_code == CLD_EXITED && u->exit_status == 0 && !u->oom_killed;
        result = success                      ? UNIT_RESULT_SUCCESS
                 : u->oom_killed              ? UNIT_RESULT_OOM_KILL
                 : u->exit_code == CLD_EXITED ? UNIT_RESULT_EXIT_CODE
                                              : UNIT_RESULT_SIGNAL;
        if (u->state == UNIT_STOPPING && u->result == UNIT_RESULT_TIMEOUT)
                result = UNIT_RESULT_TIMEOUT;
        else if (u->state == UNIT_STOPPING) {
                /* Stopped on request: how the process died is our doing, not a failure. */
                unit_set_state(u, UNIT_EV_EXIT_CLEAN, UNIT_RESULT_SUCCESS);
                goto out;
        }

        ran = u->active_enter_monotonic ? now_usec(CLOCK_MONOTONIC) - u->active_enter_monotonic : 0;
        if (ran >= c->restart_reset_usec)
                u->n_failures = 0;
        if (result != UNIT_RESULT_SUCCESS)
                u->n_failures++;

        restart = m->shutdown == MANAGER_RUNNING && !u->want_stop &&
                  (c->restart == RESTART_ALWAYS || (c->restart == RESTART_ON_FAILURE && result != UNIT_RESULT_SUCCESS));
        if (restart) {
                u->next_restart_usec = unit_restart_delay(c->restart_usec, c->restart_max_delay_usec,
                                                          u->n_failures ? u->n_failures : 1);
                log_info("%s: %s, restarting in %.3fs (restart %u)", u->name,
                         result == UNIT_RESULT_SUCCESS ? "exited" : unit_result_to_string(result),
                         (double) u->next_restart_usec / USEC_PER_SEC, u->n_restarts + 1);
                if (u->log)
                        log_stream_note(u->log, "Restarting in %.3fs.", (double) u->next_restart_usec / USEC_PER_SEC);
                unit_set_state(u, UNIT_EV_EXIT_RESTART, result);
                ev_timer_set(&u->timer, (double) u->next_restart_usec / USEC_PER_SEC, 0.);
                ev_timer_start(m->loop, &u->timer);
        } else
                unit_set_state(u, success ? UNIT_EV_EXIT_CLEAN : UNIT_EV_EXIT_FAILED, result);
out:
        u->active_enter_monotonic = 0;
        manager_dispatch(m);
}

/* Did the kernel OOM-kill something of this run? Compared with the count at start, so that it
 * also tells when the container's init survived and only the payload was killed. */
static void unit_check_oom(struct unit *u) {
        uint64_t n;

        if (u->oom_killed || !u->cgroup || cg_unit_oom_kills(u->cgroup, &n) < 0 || n == UINT64_MAX)
                return;
        if (n > u->oom_kills_at_start) {
                u->oom_killed = true;
                log_warning("%s: a process was killed by the OOM killer (MemoryMax=).", u->name);
                if (u->log)
                        log_stream_note(u->log, "A process was killed by the OOM killer.");
        }
}

/* What the run used, from the group's own accounting, as systemd says it at the end of a unit. */
static void unit_log_consumption(struct unit *u) {
        struct cg_stats st;

        if (!u->cgroup || cg_unit_stats(u->cgroup, &st) < 0 || st.cpu_usage_nsec == UINT64_MAX)
                return;
        if (st.memory_peak != UINT64_MAX)
                log_info("%s: consumed %.3fs CPU time, %.1fM memory peak.", u->name, (double) st.cpu_usage_nsec / 1e9,
                         (double) st.memory_peak / (1024 * 1024));
        else
                log_info("%s: consumed %.3fs CPU time.", u->name, (double) st.cpu_usage_nsec / 1e9);
}

static void unit_oom_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct unit *u = w->data;

        cg_unit_oom_drain(u->cgroup, u->oom_fd);
        unit_check_oom(u);
        if (!u->oom_killed) {
                /* The v1 notification comes as the group enters OOM; the kill is counted a moment
                 * later. Look again then (twice at most), rather than only at exit. */
                u->oom_rechecks = 0;
                ev_timer_set(&u->oom_recheck, 0.05, 0.);
                ev_timer_start(loop, &u->oom_recheck);
        }
}

static void unit_oom_recheck_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct unit *u = w->data;

        unit_check_oom(u);
        if (!u->oom_killed && ++u->oom_rechecks < 2) {
                ev_timer_set(w, 0.5, 0.);
                ev_timer_start(loop, w);
        }
}

/* Records why the set-up failed (takes @msg), for status, supd's log and the unit's log. */
static void unit_note_setup_error(struct unit *u, char *msg) {
        free(u->setup_error);
        u->setup_error = msg ? msg : strdup("set-up failed");
        log_error("%s: setup: %s", u->name, strempty(u->setup_error));
        if (u->log)
                log_stream_note(u->log, "setup: %s", strempty(u->setup_error));
}

/* Called once the main process is reaped: the rest of the group goes too, then the run ends when
 * the cgroup is empty (cgroup.events, or the SIGCHLD of the last one on v1). */
static void unit_main_gone(struct unit *u) {
        struct launch_error e;

        ev_io_stop(u->manager->loop, &u->pidfd_watch);
        u->pidfd = safe_close(u->pidfd);

        /* A set-up failure report may still sit in the sync socket, and after it the payload's
         * exact wait status from the container's init (which itself can only exit with 128+N). */
        if (u->sync_fd >= 0 && !u->setup_error && !u->exec_seen) {
                int r = launch_finish(u->sync_fd, &e);
                if (r < 0)
                        unit_note_setup_error(u, launch_error_format(&e, u->config));
                else if (r > 0 && u->state == UNIT_STARTING)
                        unit_set_state(u, UNIT_EV_STARTED, UNIT_RESULT_SUCCESS);
        }
        if (u->sync_fd >= 0 && !u->setup_error) {
                int code, status;

                if (launch_exit_status(u->sync_fd, &code, &status) > 0) {
                        u->exit_code = code;
                        u->exit_status = status;
                }
        }
        ev_io_stop(u->manager->loop, &u->sync_watch);
        u->sync_fd = safe_close(u->sync_fd);

        if (u->exit_code == CLD_EXITED)
                log_info("%s: main process exited, status=%d", u->name, u->exit_status);
        else
                log_info("%s: main process killed by signal %s", u->name,
                         signal_to_string(u->exit_status) ?: "unknown");
        if (u->log)
                log_stream_drain(u->log);
        if (u->log && !u->setup_error) {
                if (u->exit_code == CLD_EXITED)
                        log_stream_note(u->log, "Main process exited, status=%d.", u->exit_status);
                else
                        log_stream_note(u->log, "Main process killed by signal %s.",
                                        signal_to_string(u->exit_status) ?: "unknown");
        }

        if (u->cgroup && !unit_cgroup_empty(u)) {
                int r = cg_unit_kill(u->cgroup, SIGKILL);
                if (r < 0)
                        log_warning_errno(r, "%s: Failed to kill the rest of cgroup '%s': %m", u->name,
                                          cg_unit_path(u->cgroup));
                if (!unit_cgroup_empty(u))
                        return; /* unit_cg_cb() or manager_reap() finishes */
        }
        unit_run_finished(u);
}

static void unit_reap_main(struct unit *u) {
        siginfo_t si = {};

        if (u->pidfd < 0 || u->main_exited)
                return;
        if (waitid(P_PIDFD, u->pidfd, &si, WEXITED | WNOHANG) < 0) {
                if (errno != ECHILD)
                        log_warning_errno(-errno, "%s: Failed to wait for the main process: %m", u->name);
                return;
        }
        if (si.si_pid == 0)
                return;
        u->main_exited = true;
        u->exit_code = si.si_code;
        u->exit_status = si.si_status;
        unit_main_gone(u);
}

static void unit_pidfd_cb(struct ev_loop *loop, ev_io *w, int revents) {
        unit_reap_main(w->data);
}

/* cgroup.events changed: the group may have emptied after the main process was gone. */
static void unit_cgroup_changed(struct unit *u) {
        if (u->main_exited && u->main_pid && unit_cgroup_empty(u))
                unit_run_finished(u);
}

/* The manager's one inotify fd (cgroup.events and v2 memory.events of every unit), matched to units
 * by watch descriptor. */
static void manager_inotify_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct manager *m = w->data;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

        for (;;) {
                ssize_t n = read(m->inotify_fd, buf, sizeof(buf));
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        p += sizeof(*e) + e->len;
                        if (e->mask & IN_IGNORED)
                                continue;
                        for (size_t i = 0; i < m->n_units; i++) {
                                struct unit *u = m->units[i];
                                if (u->oom_wd == e->wd)
                                        unit_check_oom(u);
                                else if (u->cg_events_wd == e->wd) {
                                        unit_cgroup_changed(u);
                                        break; /* the unit may be done: do not touch it further */
                                }
                        }
                }
        }
}

static void unit_unwatch(struct unit *u) {
        struct manager *m = u->manager;

        if (u->cg_events_wd >= 0)
                (void) inotify_rm_watch(m->inotify_fd, u->cg_events_wd);
        if (u->oom_wd >= 0)
                (void) inotify_rm_watch(m->inotify_fd, u->oom_wd);
        u->cg_events_wd = u->oom_wd = -1;
}

static void unit_sync_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct unit *u = w->data;
        struct launch_error e;
        int r;

        r = launch_finish(u->sync_fd, &e);
        if (r == 0)
                return;
        ev_io_stop(loop, w);
        if (r > 0)
                /* Kept: the init reports the payload's wait status on it (unit_main_gone()). */
                u->exec_seen = true;
        else
                u->sync_fd = safe_close(u->sync_fd);
        if (r < 0) {
                /* The child exits by itself; its pidfd ends the run. */
                unit_note_setup_error(u, launch_error_format(&e, u->config));
                return;
        }
        log_debug("%s: exec'd, pid " PID_FMT ", %.3fms after clone", u->name, u->main_pid,
                  (double) (now_usec(CLOCK_MONOTONIC) - u->clone_monotonic) / USEC_PER_MSEC);
        if (u->state == UNIT_STARTING && u->config->type != SERVICE_NOTIFY) {
                ev_timer_stop(loop, &u->timer);
                unit_set_state(u, UNIT_EV_STARTED, UNIT_RESULT_SUCCESS);
                manager_dispatch(u->manager);
        }
}

/* ---- readiness: the sd_notify protocol ------------------------------------------------------------ */

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
                                ev_timer_stop(u->manager->loop, &u->timer);
                                log_info("%s: ready.", u->name);
                                unit_set_state(u, UNIT_EV_STARTED, UNIT_RESULT_SUCCESS);
                                manager_dispatch(u->manager);
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

static void unit_notify_cb(struct ev_loop *loop, ev_io *w, int revents) {
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
static void unit_notify_address(struct unit *u, struct sockaddr_un *sa, socklen_t *ret_len) {
        uint32_t h = 2166136261u;

        for (const char *p = u->manager->runtime_dir; *p; p++)
                h = (h ^ (unsigned char) *p) * 16777619u;
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "sup/%08x/%s", h, u->name);
        *ret_len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int unit_notify_open(struct unit *u, pid_t pid) {
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

static void unit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct unit *u = w->data;

        switch (u->state) {
        case UNIT_RESTARTING:
                u->n_restarts++;
                u->want_start = true;
                manager_dispatch(u->manager);
                break;
        case UNIT_STARTING:
                log_error("%s: start timed out after %.3fs, stopping", u->name,
                          (double) u->config->timeout_start_usec / USEC_PER_SEC);
                unit_set_state(u, UNIT_EV_TIMEOUT, UNIT_RESULT_TIMEOUT);
                unit_stop_now(u);
                break;
        case UNIT_STOPPING:
                log_warning("%s: stop timed out after %.3fs, killing every process", u->name,
                            (double) u->config->timeout_stop_usec / USEC_PER_SEC);
                if (u->log)
                        log_stream_note(u->log, "Stop timed out, sending SIGKILL to every process.");
                if (u->cgroup) {
                        int r = cg_unit_kill(u->cgroup, SIGKILL);
                        if (r < 0)
                                log_warning_errno(r, "%s: Failed to kill cgroup: %m", u->name);
                }
                if (u->pidfd >= 0)
                        (void) syscall(SYS_pidfd_send_signal, u->pidfd, SIGKILL, NULL, 0);
                break;
        default:
                break;
        }
}

/* ---- start ---------------------------------------------------------------------------------------- */

/* The network of a unit with its own network namespace: lo, and with Bridge= the veth, the address,
 * the route and the published ports (netplug). Runs before the child's go, so the payload starts
 * with its network in place. */
static int unit_network_up(struct unit *u, pid_t pid) {
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;
        _cleanup_close_ int fd = -EBADF;
        char path[64];
        int r;

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (!m->netplug) {
                if (c->bridge) {
                        u->attach_error = strdup("networking is not available on this host (see supd's log)");
                        return -EOPNOTSUPP;
                }
                return 0; /* the kernel brings nothing up: lo stays down, as without supd */
        }
        if (!c->bridge)
                return netplug_lo_up(m->netplug, fd);

        struct bridge_config *b = m->set ? unit_set_find_bridge(m->set, c->bridge) : NULL;
        if (!b) {
                if (asprintf(&u->attach_error, "no bridge %s", c->bridge) < 0)
                        u->attach_error = NULL;
                return -ENOENT;
        }
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);
        r = netplug_unit_up(m->netplug, u->name, c, b, fd, &u->net, &u->attach_error);
        if (r >= 0)
                log_debug("%s: network up, %s, in %.3fms", u->name, strempty(netplug_unit_address(u->net)),
                          (double) (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);
        return r;
}

/* The parent's part between clone and the child's go: what needs the child's pid. */
static int unit_attach_cb(void *userdata, pid_t pid) {
        struct unit *u = userdata;
        int r;

        u->attach_step = "place the child in its cgroup";
        r = cg_unit_attach(u->cgroup, pid, true);
        if (r < 0)
                return r;
        if (u->config->type == SERVICE_NOTIFY) {
                u->attach_step = "create the notify socket";
                r = unit_notify_open(u, pid);
                if (r < 0)
                        return r;
        }
        if (u->config->namespaces & UNIT_NS_NET) {
                u->attach_step = "set up the network";
                r = unit_network_up(u, pid);
                if (r < 0)
                        return r;
        }
        u->attach_step = NULL;
        return 0;
}

static void unit_setup_failed(struct unit *u, const char *step, int error) {
        char *msg = NULL;

        if (asprintf(&msg, "%s: %s", step, strerror(error < 0 ? -error : error)) < 0)
                msg = NULL;
        unit_note_setup_error(u, msg);
        unit_release(u);
        unit_set_state(u, UNIT_EV_SETUP_FAILED, UNIT_RESULT_SETUP);
}

static void limits_warn(void *userdata, const char *key, const char *message) {
        struct unit *u = userdata;
        log_warning("%s: %s", u->name, message);
}

/* [Resources] onto the new group, before the child exists. */
static int unit_apply_limits(struct unit *u) {
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
        char step[64];
        int r;

        r = cg_unit_set_limits(u->cgroup, &l, limits_warn, u, &key);
        if (r < 0) {
                snprintf(step, sizeof(step), "apply %s=", key ? key : "[Resources]");
                unit_setup_failed(u, step, r);
        }
        return r;
}

static int unit_write_resolv_conf(struct unit *u) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        FILE *f;

        if (asprintf(&path, "%s.resolv.conf", u->unit_dir) < 0)
                return -ENOMEM;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by supd for unit %s (DNS=)\n", u->name);
        for (size_t i = 0; i < u->config->n_dns; i++) {
                char buf[INET6_ADDRSTRLEN];
                if (inet_ntop(u->config->dns[i].family, &u->config->dns[i].addr, buf, sizeof(buf)))
                        fprintf(f, "nameserver %s\n", buf);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        int r = write_file_atomic(path, text, 0644, false);
        if (r < 0)
                return r;
        free(u->resolv_conf);
        u->resolv_conf = TAKE_PTR(path);
        return 0;
}

static bool unit_start_limit_hit(struct unit *u) {
        const struct unit_config *c = u->config;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        size_t k = 0;

        if (c->start_limit_burst == 0 || c->start_limit_interval_usec == 0)
                return false;
        for (size_t i = 0; i < u->n_start_times; i++)
                if (now - u->start_times[i] < c->start_limit_interval_usec)
                        u->start_times[k++] = u->start_times[i];
        u->n_start_times = k;
        if (k >= c->start_limit_burst)
                return true;

        uint64_t *a = reallocarray(u->start_times, k + 1, sizeof(uint64_t));
        if (!a)
                return false;
        a[k] = now;
        u->start_times = a;
        u->n_start_times = k + 1;
        return false;
}

/* The start transaction: cgroup → runtime dir and record → log pipes → launch. Each step's undo is
 * unit_release(); the launcher undoes its own half-done clone. */
static void unit_start_now(struct unit *u) {
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;
        _cleanup_close_ int out = -EBADF, err = -EBADF;
        _cleanup_free_ char *overlay_dir = NULL;
        struct launch_request req = {
                .config = c,
                .init_fd = m->init_fd,
                .cgroup_fd = -EBADF,
                .stdin_fd = -EBADF,
                .keep_fd = -EBADF,
        };
        struct launch_child child;
        struct launch_error le;
        int r;

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
        uint64_t t0 = now_usec(CLOCK_MONOTONIC);

        /* cgroup */
        r = cg_unit_new(m->cg_root, u->name, &u->cgroup);
        if (r < 0)
                return unit_setup_failed(u, "create cgroup", r);
        r = unit_apply_limits(u);
        if (r < 0)
                return; /* unit_apply_limits() failed the unit */
        /* SPEC §7: only the minimal /dev may be opened, whatever mknod makes; before the child exists. */
        r = cg_unit_set_devices(u->cgroup);
        if (r < 0)
                return unit_setup_failed(u, "apply the device allowlist", r);
        u->oom_killed = false;
        if (cg_unit_oom_kills(u->cgroup, &u->oom_kills_at_start) < 0)
                u->oom_kills_at_start = 0;
        r = cg_unit_oom_watch(u->cgroup, m->inotify_fd);
        if (r >= 0)
                u->oom_wd = r;
        else if (r == -EOPNOTSUPP && (r = cg_unit_oom_fd(u->cgroup)) >= 0) {
                u->oom_fd = r;
                ev_io_set(&u->oom_watch, u->oom_fd, EV_READ);
                ev_io_start(m->loop, &u->oom_watch);
        }
        if (r < 0 && r != -EOPNOTSUPP)
                log_debug_errno(r, "%s: cannot watch for OOM kills, checking at exit only: %m", u->name);
        r = cg_unit_events_watch(u->cgroup, m->inotify_fd);
        if (r >= 0)
                u->cg_events_wd = r;
        else if (r != -EOPNOTSUPP)
                return unit_setup_failed(u, "watch cgroup.events", r);
        r = cg_unit_clone_fd(u->cgroup);
        if (r >= 0)
                req.cgroup_fd = r;
        else if (r != -EOPNOTSUPP)
                return unit_setup_failed(u, "open cgroup", r);
        req.attach = unit_attach_cb;
        req.attach_userdata = u;

        /* runtime dir: mount points of the child live here, and the record for a successor */
        if (mkdir(u->unit_dir, 0700) < 0 && errno != EEXIST) {
                safe_close(req.cgroup_fd);
                return unit_setup_failed(u, "create runtime directory", -errno);
        }
        req.unit_dir = u->unit_dir;

        if (c->overlay == OVERLAY_PERSISTENT) {
                if (asprintf(&overlay_dir, "%s/overlay/%s", m->state_dir, u->name) < 0) {
                        safe_close(req.cgroup_fd);
                        return unit_setup_failed(u, "allocate", -ENOMEM);
                }
                req.overlay_dir = overlay_dir;
        }

        if (c->namespaces & UNIT_NS_USER) {
                if (c->userns == USERNS_MAP)
                        req.uid_map = c->userns_map;
                else {
                        r = userns_auto_range(m->state_dir, u->name, &req.uid_map);
                        if (r < 0) {
                                safe_close(req.cgroup_fd);
                                return unit_setup_failed(u, "allocate user namespace range", r);
                        }
                }
        }

        char notify_env[sizeof("NOTIFY_SOCKET=@") + sizeof(((struct sockaddr_un *) 0)->sun_path)];
        char *extra_env[2] = {};
        if (c->type == SERVICE_NOTIFY) {
                struct sockaddr_un sa;
                socklen_t len;
                unit_notify_address(u, &sa, &len);
                snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=@%s", sa.sun_path + 1);
                extra_env[0] = notify_env;
                req.extra_env = extra_env;
        }

        if (c->n_dns > 0) {
                r = unit_write_resolv_conf(u);
                if (r < 0) {
                        safe_close(req.cgroup_fd);
                        return unit_setup_failed(u, "write resolv.conf for DNS=", r);
                }
                req.resolv_conf = u->resolv_conf;
        }

        /* logs */
        if (u->log) {
                r = log_stream_open_pipes(u->log, &out, &err);
                if (r < 0) {
                        safe_close(req.cgroup_fd);
                        return unit_setup_failed(u, "open log pipes", r);
                }
        } else {
                out = open("/dev/null", O_WRONLY | O_CLOEXEC);
                err = open("/dev/null", O_WRONLY | O_CLOEXEC);
        }
        req.stdout_fd = out;
        req.stderr_fd = err;

        r = launch_spawn(&req, &child, &le);
        safe_close(req.cgroup_fd);
        if (r < 0) {
                if (u->attach_error) {
                        _cleanup_free_ char *msg = NULL;
                        if (asprintf(&msg, "%s: %s", u->attach_step ? u->attach_step : "set up", u->attach_error) < 0)
                                msg = NULL;
                        u->attach_error = mfree(u->attach_error);
                        unit_note_setup_error(u, TAKE_PTR(msg));
                        unit_release(u);
                        unit_set_state(u, UNIT_EV_SETUP_FAILED, UNIT_RESULT_SETUP);
                        return;
                }
                if (u->attach_step)
                        return unit_setup_failed(u, u->attach_step, r);
                _cleanup_free_ char *msg = launch_error_format(&le, c);
                return unit_setup_failed(u, msg ? msg : "launch", r);
        }
        log_debug("%s: cloned pid " PID_FMT " in %.3fms", u->name, child.pid,
                  (double) (now_usec(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);

        u->clone_monotonic = now_usec(CLOCK_MONOTONIC);
        u->main_pid = child.pid;
        u->pidfd = child.pidfd;
        u->sync_fd = child.sync_fd;
        ev_io_set(&u->pidfd_watch, u->pidfd, EV_READ);
        ev_io_start(m->loop, &u->pidfd_watch);
        ev_io_set(&u->sync_watch, u->sync_fd, EV_READ);
        ev_io_start(m->loop, &u->sync_watch);
        (void) record_write(m->runtime_dir, u->name, child.pid, cg_unit_path(u->cgroup));

        if (c->type == SERVICE_NOTIFY && c->timeout_start_usec != USEC_INFINITY) {
                ev_timer_set(&u->timer, (double) c->timeout_start_usec / USEC_PER_SEC, 0.);
                ev_timer_start(m->loop, &u->timer);
        }
        if (u->log)
                log_stream_note(u->log, "Started, pid " PID_FMT ".", child.pid);
}

/* ---- stop ----------------------------------------------------------------------------------------- */

static void unit_stop_now(struct unit *u) {
        struct manager *m = u->manager;
        int sig = u->config ? u->config->kill_signal : SIGTERM;

        u->want_stop = false;
        if (u->state == UNIT_RESTARTING) {
                ev_timer_stop(m->loop, &u->timer);
                unit_set_state(u, UNIT_EV_STOP, UNIT_RESULT_SUCCESS);
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

/* ---- dependencies ------------------------------------------------------------------------------------ */

static bool strv_contains(char *const *l, const char *s) {
        STRV_FOREACH(i, l)
                if (streq(*i, s))
                        return true;
        return false;
}

/* Does @d have to start before @u (and so stop after it)? */
static bool unit_orders_after(const struct unit *u, const struct unit *d) {
        const struct unit_config *c = u->config;
        return c && (strv_contains(c->after, d->name) || strv_contains(c->requires, d->name) ||
                     strv_contains(c->wants, d->name));
}

static void unit_queue_start(struct unit *u);

static void unit_queue_start_deps(struct unit *u, char *const *names) {
        STRV_FOREACH(n, names) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && d->config && d->load_state == UNIT_LOADED && !unit_is_active(d) && !d->want_start)
                        unit_queue_start(d);
        }
}

static void unit_queue_start(struct unit *u) {
        u->want_start = true;
        u->want_stop = false;
        unit_queue_start_deps(u, u->config->requires);
        unit_queue_start_deps(u, u->config->wants);
}

/* 1: ready to start, 0: wait, -1: a Requires= dependency cannot come up. */
static int unit_start_ready(struct unit *u) {
        const struct unit_config *c = u->config;

        STRV_FOREACH(n, c->requires) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (!d || d->load_state != UNIT_LOADED)
                        return -1;
                if (d->state == UNIT_FAILED && !d->want_start)
                        return -1;
                if (d->state != UNIT_RUNNING)
                        return 0;
        }
        STRV_FOREACH(n, c->wants) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && (d->want_start || d->state == UNIT_STARTING || d->state == UNIT_RESTARTING))
                        return 0;
        }
        STRV_FOREACH(n, c->after) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && (d->want_start || d->state == UNIT_STARTING || d->state == UNIT_STOPPING))
                        return 0;
        }
        return 1;
}

static bool unit_stop_ready(struct unit *u) {
        struct manager *m = u->manager;

        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *d = m->units[i];
                if (d != u && unit_orders_after(d, u) && (unit_is_active(d) || d->want_stop) &&
                    (d->want_stop || d->state == UNIT_STOPPING))
                        return false;
        }
        return true;
}

/* Units that Require= @u stop with it: before it when it is being stopped (they are ordered after
 * it), after it when it stopped or failed by itself. A restart of @u restarts them too. */
static void unit_propagate_stop(struct unit *u) {
        struct manager *m = u->manager;
        bool going = u->want_stop || (!unit_is_active(u) && u->state != UNIT_RESTARTING) || u->state == UNIT_STOPPING;

        if (!going)
                return;
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *d = m->units[i];
                if (d == u || !d->config || !strv_contains(d->config->requires, u->name))
                        continue;
                if (!(unit_is_active(d) || d->state == UNIT_RESTARTING) || d->state == UNIT_STOPPING || d->want_stop)
                        continue;
                log_info("%s: stopping, it requires %s which is %s", d->name, u->name,
                         u->want_stop ? "stopping" : unit_active_state_to_string(u->state));
                d->want_stop = true;
                d->want_start = false;
                d->restart_after_stop = u->restart_after_stop;
        }
}

static void manager_dispatch(struct manager *m) {
        bool changed;

        /* Re-entrancy: state changes made inside set flags only; one loop settles them. */
        if (m->dispatching)
                return;
        m->dispatching = true;
        do {
                changed = false;
                for (size_t i = 0; i < m->n_units; i++)
                        unit_propagate_stop(m->units[i]);

                for (size_t i = 0; i < m->n_units; i++) {
                        struct unit *u = m->units[i];

                        /* A restart: the stop half is done, queue the start half. */
                        if (u->restart_after_stop && !u->want_stop && !unit_is_active(u) &&
                            m->shutdown == MANAGER_RUNNING && u->load_state == UNIT_LOADED) {
                                u->restart_after_stop = false;
                                unit_queue_start(u);
                                changed = true;
                        }
                        if (u->want_stop && unit_stop_ready(u)) {
                                unit_stop_now(u);
                                changed = true;
                        }
                        if (u->want_start && !u->want_stop && u->state != UNIT_STOPPING) {
                                if (unit_is_active(u)) {
                                        u->want_start = false;
                                        continue;
                                }
                                int r = unit_start_ready(u);
                                if (r < 0) {
                                        u->want_start = false;
                                        log_error("%s: a required dependency failed, not starting", u->name);
                                        unit_set_state(u, UNIT_EV_DEPENDENCY, UNIT_RESULT_DEPENDENCY);
                                        changed = true;
                                } else if (r > 0) {
                                        u->want_start = false;
                                        unit_start_now(u);
                                        changed = true;
                                }
                        }
                }
        } while (changed);
        m->dispatching = false;

        /* Removed units are forgotten from an idle watcher: callers up the stack may still hold them. */
        for (size_t i = 0; i < m->n_units; i++)
                if (m->units[i]->removed && !unit_is_active(m->units[i]) && m->units[i]->state != UNIT_RESTARTING) {
                        ev_idle_start(m->loop, &m->gc);
                        break;
                }

        if (m->shutdown != MANAGER_RUNNING && m->shutdown_done) {
                for (size_t i = 0; i < m->n_units; i++)
                        if (unit_is_active(m->units[i]) || m->units[i]->state == UNIT_RESTARTING)
                                return;
                void (*done)(void *) = m->shutdown_done;
                m->shutdown_done = NULL;
                done(m->shutdown_userdata);
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

int manager_stop_unit(struct manager *m, struct unit *u, const char **ret_message) {
        u->want_start = false;
        u->restart_after_stop = false;
        if (u->state == UNIT_RESTARTING || unit_is_active(u)) {
                u->want_stop = true;
                manager_dispatch(m);
        }
        return 0;
}

int manager_restart_unit(struct manager *m, struct unit *u, const char **ret_message) {
        int r = unit_check_startable(m, u, ret_message);
        if (r < 0)
                return r;
        if (unit_is_active(u)) {
                u->n_start_times = 0; /* a requested restart begins a new start-limit count */
                u->want_stop = true;
                u->restart_after_stop = true;
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

struct ev_loop *manager_loop(struct manager *m) {
        return m->loop;
}

int manager_init_fd(struct manager *m) {
        return m->init_fd;
}

struct unit_exec **manager_execs(struct manager *m) {
        return &m->execs;
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
                struct unit *u = m->units[i];
                u->want_start = false;
                u->restart_after_stop = false;
                if (unit_is_active(u) || u->state == UNIT_RESTARTING)
                        u->want_stop = true;
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
static void manager_clean_predecessor(struct manager *m) {
        _cleanup_strv_free_ char **groups = NULL;
        unsigned n_groups = 0, n_procs = 0;
        int r;

        r = cg_root_list(m->cg_root, &groups);
        if (r < 0)
                log_warning_errno(r, "Failed to list leftover cgroups, ignoring: %m");
        STRV_FOREACH(g, groups) {
                struct cg_unit *cu = NULL;
                r = cg_unit_new(m->cg_root, *g, &cu);
                if (r < 0)
                        continue;
                r = cg_unit_kill(cu, SIGKILL);
                if (r > 0)
                        n_procs += r;
                /* The killed processes are not our children; give the kernel a moment, bounded. */
                for (int i = 0; i < 200 && cg_unit_is_empty(cu) == 0; i++)
                        (void) usleep(10 * 1000);
                r = cg_unit_destroy(cu);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove leftover cgroup '%s', ignoring: %m", cg_unit_path(cu));
                else
                        n_groups++;
                cg_unit_free(cu);
        }

        unsigned n_records = records_clean(m->runtime_dir);
        if (n_groups > 0 || n_records > 0)
                log_info("Cleaned up after a previous instance: %u cgroup(s), %u process(es) killed, %u runtime "
                         "record(s).",
                         n_groups, n_procs, n_records);
}

static int manager_load(struct manager *m) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        int r;

        r = unit_set_load_dir(m->units_dir, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to load units from '%s': %m", m->units_dir);

        for (size_t i = 0; i < s->n_diags; i++) {
                _cleanup_free_ char *line = unit_diag_format(&s->diags[i]);
                log_error("%s", line ? line : s->diags[i].message);
        }

        m->units = calloc(s->n_units + 1, sizeof(struct unit *));
        if (!m->units)
                return log_error_errno(-ENOMEM, "Failed to allocate units: %m");
        for (size_t i = 0; i < s->n_units; i++) {
                r = unit_new(m, s->units[i]->name, s->units[i], &m->units[m->n_units]);
                if (r < 0)
                        return log_error_errno(r, "Failed to create unit '%s': %m", s->units[i]->name);
                s->units[i] = NULL; /* owned by the unit now */
                m->n_units++;
        }
        s->n_units = 0;
        m->set = TAKE_PTR(s);
        log_info("Loaded %zu unit(s) and %zu bridge(s) from %s.", m->n_units, m->set->n_bridges, m->units_dir);
        return 0;
}

/* Every loaded bridge exists and has its address and NAT rules; a failure is logged and shows again
 * as the set-up error of the units on it. */
static void manager_bridges_up(struct manager *m) {
        if (!m->netplug || !m->set)
                return;
        for (size_t i = 0; i < m->set->n_bridges; i++) {
                struct bridge_config *b = m->set->bridges[i];
                _cleanup_free_ char *err = NULL;
                if (b->load_state != UNIT_LOADED)
                        continue;
                int r = netplug_bridge_up(m->netplug, b, &err);
                if (r < 0)
                        log_error_errno(r, "Failed to set up bridge %s: %s", b->name, err ? err : "%m");
        }
}

static void manager_forget_removed(struct manager *m) {
        size_t k = 0;

        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                if (u->removed && !unit_is_active(u) && u->state != UNIT_RESTARTING && !u->want_stop) {
                        log_info("%s: removed.", u->name);
                        unit_release(u);
                        unit_free(u);
                        continue;
                }
                m->units[k++] = u;
        }
        m->n_units = k;
}

static int cmp_unit_ptr(const void *a, const void *b) {
        return strcmp((*(struct unit *const *) a)->name, (*(struct unit *const *) b)->name);
}

int manager_reload(struct manager *m, char ***ret_errors) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        _cleanup_free_ struct unit_diff_entry *diff = NULL;
        struct unit_set old_view = {};
        _cleanup_free_ struct unit_config **old_configs = NULL;
        int n, r, n_errors = 0;

        if (m->shutdown != MANAGER_RUNNING)
                return -ESHUTDOWN;
        r = unit_set_load_dir(m->units_dir, &s);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **errors = calloc(s->n_diags + 1, sizeof(char *));
        if (!errors)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_diags; i++) {
                errors[i] = unit_diag_format(&s->diags[i]);
                log_error("%s", errors[i] ? errors[i] : s->diags[i].message);
        }

        /* The diff compares configurations; the old ones are the units' own (or their pending). */
        old_configs = calloc(m->n_units + 1, sizeof(struct unit_config *));
        if (!old_configs)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_units; i++)
                if (m->units[i]->config && !m->units[i]->removed)
                        old_configs[old_view.n_units++] =
                                m->units[i]->next_config ? m->units[i]->next_config : m->units[i]->config;
        old_view.units = old_configs;
        old_view.bridges = m->set ? m->set->bridges : NULL;
        old_view.n_bridges = m->set ? m->set->n_bridges : 0;

        n = unit_set_diff(&old_view, s, &diff);
        if (n < 0)
                return n;

        struct unit **a = reallocarray(m->units, m->n_units + s->n_units + 1, sizeof(struct unit *));
        if (!a)
                return -ENOMEM;
        m->units = a;

        for (int i = 0; i < n; i++) {
                const struct unit_diff_entry *e = &diff[i];
                struct unit *u;
                struct unit_config *nc;

                if (e->is_bridge)
                        continue; /* bridges come with netplug */
                u = manager_find_unit(m, e->name);
                nc = unit_set_find_unit(s, e->name);

                switch (e->change) {
                case UNIT_ADDED:
                        if (u && u->removed) {
                                /* Came back before its old instance was gone: treat as changed. */
                                u->removed = false;
                        } else {
                                r = unit_new(m, e->name, nc, &u);
                                if (r < 0)
                                        return r;
                                m->units[m->n_units++] = u;
                                nc = NULL;
                                log_info("%s: added.", u->name);
                                if (u->load_state == UNIT_LOADED && u->config->autostart)
                                        unit_queue_start(u);
                                else if (u->load_state != UNIT_LOADED)
                                        n_errors++;
                                break;
                        }
                        _fallthrough_;
                case UNIT_CHANGED:
                        if (nc->load_state != UNIT_LOADED) {
                                n_errors++;
                                if (unit_is_active(u) || u->state == UNIT_RESTARTING) {
                                        log_error("%s: the new unit file has errors, keeping the running instance.",
                                                  u->name);
                                        break;
                                }
                        }
                        log_info("%s: changed.", u->name);
                        unit_config_free(u->next_config);
                        u->next_config = nc;
                        nc = NULL;
                        if (unit_is_active(u) || u->state == UNIT_RESTARTING) {
                                u->want_stop = true;
                                u->restart_after_stop = u->next_config->load_state == UNIT_LOADED;
                        } else {
                                unit_apply_next_config(u);
                                if (u->load_state == UNIT_LOADED && u->config->autostart)
                                        unit_queue_start(u);
                        }
                        break;
                case UNIT_REMOVED:
                        if (!u)
                                break;
                        log_info("%s: unit file removed, stopping.", u->name);
                        u->removed = true;
                        u->want_start = false;
                        u->restart_after_stop = false;
                        if (unit_is_active(u) || u->state == UNIT_RESTARTING)
                                u->want_stop = true;
                        break;
                case UNIT_UNCHANGED:
                        /* Same meaning: the new object replaces the old one, the run goes on. */
                        if (u->next_config) {
                                unit_config_free(u->next_config);
                                u->next_config = nc;
                        } else {
                                unit_config_free(u->config);
                                u->config = nc;
                        }
                        nc = NULL;
                        break;
                default:
                        break;
                }
                /* Whatever the units did not take stays in the set and is freed with it. */
                if (!nc)
                        for (size_t k = 0; k < s->n_units; k++)
                                if (s->units[k] && streq(s->units[k]->name, e->name))
                                        s->units[k] = NULL;
        }
        size_t k = 0;
        for (size_t i = 0; i < s->n_units; i++)
                if (s->units[i])
                        s->units[k++] = s->units[i];
        s->n_units = k;

        qsort(m->units, m->n_units, sizeof(struct unit *), cmp_unit_ptr);
        if (m->netplug)
                for (int i = 0; i < n; i++)
                        if (diff[i].is_bridge && diff[i].change == UNIT_REMOVED) {
                                r = netplug_bridge_down(m->netplug, diff[i].name);
                                if (r < 0)
                                        log_warning_errno(r, "Failed to remove bridge %s, ignoring: %m", diff[i].name);
                        }
        unit_set_free(m->set);
        m->set = TAKE_PTR(s);
        manager_bridges_up(m);
        manager_forget_removed(m);
        manager_dispatch(m);
        log_info("Reloaded %s.", m->units_dir);
        if (ret_errors)
                *ret_errors = TAKE_PTR(errors);
        return n_errors;
}

int manager_startup(struct manager *m) {
        int r;

        manager_clean_predecessor(m);
        r = manager_load(m);
        if (r < 0)
                return r;

        manager_bridges_up(m);
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                if (u->load_state == UNIT_LOADED && u->config->autostart)
                        unit_queue_start(u);
        }
        manager_dispatch(m);
        return 0;
}

/* What names this instance's nftables table and link marks: its cgroup root as given. */
static const char *manager_instance(const struct manager *m) {
        return m->cgroup_root[0] == '/' ? m->cgroup_root + 1 : m->cgroup_root;
}

/* Claims what this instance could otherwise share with another on the host (SPEC §1): its cgroup
 * root (a root above or below another's counts: an instance's clean-up removes every group under
 * its root), its nftables table and link mark in this network namespace, its state directory (the
 * leases, the logs). Before anything is made or cleaned up: an instance that would collide stops
 * here, having touched nothing of the other's. A claim a dead instance left is taken over, and
 * only then do netplug_new() and manager_clean_predecessor() clean up after it. Cgroup paths and
 * table names only mean one thing within one cgroup or network namespace: each claim names its
 * namespace. */
static int manager_claim(struct manager *m) {
        _cleanup_free_ char *cg_path = NULL, *table = NULL, *cg_kind = NULL, *net_kind = NULL,
                            *state_key = NULL, *cg_what = NULL, *net_what = NULL, *state_what = NULL;
        struct stat cgns, netns, st;
        int r;

        r = cg_root_resolve(m->cg_host, m->cgroup_root, &cg_path);
        if (r < 0)
                return log_error_errno(r, "Failed to resolve cgroup root '%s': %m", m->cgroup_root);
        r = netplug_instance_table(manager_instance(m), &table);
        if (r < 0)
                return log_error_errno(r, "Failed to name the nftables table: %m");
        if (stat("/proc/self/ns/cgroup", &cgns) < 0)
                cgns.st_ino = 0; /* a kernel without cgroup namespaces: there is only one */
        if (stat("/proc/self/ns/net", &netns) < 0)
                return log_error_errno(-errno, "Failed to stat '/proc/self/ns/net': %m");
        if (stat(m->state_dir, &st) < 0)
                return log_error_errno(-errno, "Failed to stat state directory '%s': %m", m->state_dir);

        if (asprintf(&cg_kind, "cgroup-%ju", (uintmax_t) cgns.st_ino) < 0 ||
            asprintf(&cg_what, "cgroup root %s", cg_path) < 0 ||
            asprintf(&net_kind, "net-%ju", (uintmax_t) netns.st_ino) < 0 ||
            asprintf(&net_what, "nftables table inet %s and its link mark (network namespace %ju)", table,
                     (uintmax_t) netns.st_ino) < 0 ||
            asprintf(&state_key, "%ju-%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino) < 0 ||
            asprintf(&state_what, "state directory %s", m->state_dir) < 0)
                return log_error_errno(-ENOMEM, "Failed to claim this instance's resources: %m");

        const struct {
                const char *kind, *key, *what;
                bool tree;
        } want[] = {
                {cg_kind, cg_path, cg_what, true},
                {net_kind, table, net_what, false},
                {"state", state_key, state_what, false},
        };

        r = claims_new(CLAIMS_DIR, m->runtime_dir, &m->claims);
        if (r < 0)
                return log_error_errno(r, "Failed to lock '%s': %m", CLAIMS_DIR);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                struct claim_owner o = {};

                r = claims_take(m->claims, want[i].kind, want[i].key, want[i].what, want[i].tree, &o);
                if (r == -EBUSY) {
                        log_error("Another supd instance (pid " PID_FMT
                                  ", runtime dir %s) owns %s%s%s; refusing to start",
                                  o.pid, o.runtime_dir ?: "unknown", o.what ?: want[i].what,
                                  o.overlaps ? ", which overlaps our " : "", o.overlaps ? want[i].what : "");
                        claim_owner_done(&o);
                        return -EBUSY;
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to claim %s: %m", want[i].what);
                if (r > 0)
                        log_debug("Taking over %s from supd pid " PID_FMT
                                  " (runtime dir %s), which is gone.",
                                  want[i].what, o.pid, strempty(o.runtime_dir));
                claim_owner_done(&o);
        }
        claims_done(m->claims);
        return 0;
}

static void manager_gc_cb(struct ev_loop *loop, ev_idle *w, int revents) {
        ev_idle_stop(loop, w);
        manager_forget_removed(w->data);
}

int manager_new(struct ev_loop *loop, const struct manager_options *o, struct manager **ret) {
        struct manager *m = calloc(1, sizeof(*m));
        const char *subdirs_state[] = { "logs", "overlay" };
        int r;

        if (!m)
                return -ENOMEM;
        m->inotify_fd = m->init_fd = -EBADF;
        m->loop = loop;
        m->pid1 = o->pid1;
        ev_idle_init(&m->gc, manager_gc_cb);
        m->gc.data = m;
        m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (m->inotify_fd < 0) {
                r = log_error_errno(-errno, "Failed to create an inotify instance: %m");
                goto fail;
        }
        m->init_fd = launch_init_memfd();
        if (m->init_fd < 0) {
                r = log_error_errno(m->init_fd, "Failed to load the container init into a memfd: %m");
                goto fail;
        }
        ev_io_init(&m->inotify_watch, manager_inotify_cb, m->inotify_fd, EV_READ);
        m->inotify_watch.data = m;
        ev_io_start(loop, &m->inotify_watch);
        m->units_dir = strdup(o->units_dir);
        m->runtime_dir = strdup(o->runtime_dir);
        m->state_dir = strdup(o->state_dir);
        m->cgroup_root = strdup(o->cgroup_root);
        if (!m->units_dir || !m->runtime_dir || !m->state_dir || !m->cgroup_root) {
                manager_free(m);
                return -ENOMEM;
        }

        r = mkdir_p(m->runtime_dir, 0755);
        if (r < 0) {
                log_error_errno(r, "Failed to create runtime directory '%s': %m", m->runtime_dir);
                goto fail;
        }
        _cleanup_free_ char *units_run = NULL;
        if (asprintf(&units_run, "%s/units", m->runtime_dir) < 0 || mkdir_p(units_run, 0700) < 0) {
                r = log_error_errno(-errno, "Failed to create '%s/units': %m", m->runtime_dir);
                goto fail;
        }
        for (size_t i = 0; i < ELEMENTSOF(subdirs_state); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", m->state_dir, subdirs_state[i]) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = mkdir_p(p, 0700);
                if (r < 0) {
                        log_error_errno(r, "Failed to create state directory '%s': %m", p);
                        goto fail;
                }
        }

        r = cg_host_detect(&m->cg_host);
        if (r < 0) {
                log_error_errno(r, "Failed to find the cgroup file systems: %m");
                goto fail;
        }
        r = manager_claim(m);
        if (r < 0)
                goto fail;
        r = cg_root_new(m->cg_host, m->cgroup_root, &m->cg_root);
        if (r < 0) {
                log_error_errno(r, "Failed to create cgroup root '%s': %m", m->cgroup_root);
                goto fail;
        }
        log_info("cgroups: %s layout, root %s.", cg_layout_to_string(cg_host_layout(m->cg_host)),
                 cg_root_path(m->cg_root));

        /* The nftables table and the link marks are named after the cgroup root, claimed above. */
        r = netplug_new(manager_instance(m), m->state_dir, m->runtime_dir, &m->netplug);
        if (r < 0)
                log_warning_errno(r, "Failed to set up networking, units with Bridge= will not start: %m");
        else
                log_debug("nftables table %s.", netplug_table_name(m->netplug));
        *ret = m;
        return 0;
fail:
        manager_free(m);
        return r;
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
        if (m->netplug) {
                int r = netplug_shutdown(m->netplug);
                if (r < 0)
                        log_warning_errno(r, "Failed to undo every network change, ignoring: %m");
                m->netplug = netplug_free(m->netplug);
        }
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
