/* SPDX-License-Identifier: MIT */

/* The end of a run: the main process reaped through its pidfd (with the init's report of the
 * payload's exact wait status), the cgroup emptied (cgroup.events), the launch socket's outcome,
 * the timers (restart delay, start and stop timeouts), and what the run's result makes of it:
 * inactive, failed or a restart with backoff. */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroupd.h"
#include "launch.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"
#include "time-util.h"
#include "unit-state.h"

void unit_stop_watchers(struct unit *u) {
        ev_io_stop(u->manager->loop, &u->pidfd_watch);
        ev_io_stop(u->manager->loop, &u->sync_watch);
        ev_timer_stop(u->manager->loop, &u->timer);
}

bool unit_cgroup_empty(struct unit *u) {
        return !u->cgroup || cg_unit_is_empty(u->cgroup) != 0;
}

/* A reload gave the unit a new file while it ran: it takes effect between runs. */
void unit_apply_next_config(struct unit *u) {
        if (!u->next_config)
                return;
        unit_config_free(u->config);
        u->config = TAKE_PTR(u->next_config);
        u->load_state = u->config->load_state;
        if (u->log)
                log_stream_set_max_size(u->log, u->config->log_max_size);
}

void unit_run_finished(struct unit *u) {
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

        ran = u->active_enter_monotonic ? now(CLOCK_MONOTONIC) - u->active_enter_monotonic : 0;
        if (ran >= c->restart_reset_usec)
                u->n_failures = 0;
        if (result != UNIT_RESULT_SUCCESS)
                u->n_failures++;

        restart = m->shutdown == MANAGER_RUNNING && !unit_job_stops(u) &&
                  (c->restart == RESTART_ALWAYS || (c->restart == RESTART_ON_FAILURE && result != UNIT_RESULT_SUCCESS));
        if (restart) {
                u->next_restart_usec = unit_restart_delay(c->restart_usec, c->restart_max_delay_usec,
                                                          u->n_failures ? u->n_failures : 1);
                log_info("%s: %s, restarting in %.3fs (restart %u)", u->name,
                         result == UNIT_RESULT_SUCCESS ? "exited" : unit_result_to_string(result),
                         (double) u->next_restart_usec / USEC_PER_SEC, u->n_restarts + 1);
                if (u->log)
                        log_stream_note(u->log, "Restarting in %.3fs.", (double) u->next_restart_usec / USEC_PER_SEC);
                unit_set_state(u, UNIT_EV_EXIT_RESTART, result); /* the table arms the delay */
        } else
                unit_set_state(u, success ? UNIT_EV_EXIT_CLEAN : UNIT_EV_EXIT_FAILED, result);
out:
        u->active_enter_monotonic = 0;
        manager_dispatch(m);
}

/* Did the kernel OOM-kill something of this run? Compared with the count at start, so that it
 * also tells when the container's init survived and only the payload was killed. */
void unit_note_setup_error(struct unit *u, char *msg) {
        free(u->setup_error);
        u->setup_error = msg ? msg : strdup("set-up failed");
        log_error("%s: setup: %s", u->name, strempty(u->setup_error));
        if (u->log)
                log_stream_note(u->log, "setup: %s", strempty(u->setup_error));
}

/* Called once the main process is reaped: the rest of the group goes too, then the run ends when
 * the cgroup is empty (cgroup.events, or the SIGCHLD of the last one on v1). */
void unit_main_gone(struct unit *u) {
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

void unit_reap_main(struct unit *u) {
        siginfo_t si = {};

        if (u->pidfd < 0 || u->main_exited)
                return;
        if (u->foreign) {
                /* Adopted from a killed supd: not our child, so no wait status. The pidfd is readable
                 * once it exited; the init's report on the launch socket says how the payload ended
                 * (unit_main_gone()). Without one, the init itself was killed. */
                struct pollfd p = { .fd = u->pidfd, .events = POLLIN };

                if (poll(&p, 1, 0) <= 0)
                        return;
                u->main_exited = true;
                u->exit_code = CLD_KILLED;
                u->exit_status = SIGKILL;
                unit_main_gone(u);
                return;
        }
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

void unit_pidfd_cb(struct ev_loop *loop, ev_io *w, int revents) {
        unit_reap_main(w->data);
}

/* cgroup.events changed: the group may have emptied after the main process was gone. */
void unit_cgroup_changed(struct unit *u) {
        if (u->main_exited && u->main_pid && unit_cgroup_empty(u))
                unit_run_finished(u);
}

/* The manager's one inotify fd (cgroup.events and v2 memory.events of every unit), matched to units
 * by watch descriptor. */
void manager_inotify_cb(struct ev_loop *loop, ev_io *w, int revents) {
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

void unit_unwatch(struct unit *u) {
        struct manager *m = u->manager;

        if (u->cg_events_wd >= 0)
                (void) inotify_rm_watch(m->inotify_fd, u->cg_events_wd);
        if (u->oom_wd >= 0)
                (void) inotify_rm_watch(m->inotify_fd, u->oom_wd);
        u->cg_events_wd = u->oom_wd = -1;
}

void unit_sync_cb(struct ev_loop *loop, ev_io *w, int revents) {
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
                  (double) (now(CLOCK_MONOTONIC) - u->clone_monotonic) / USEC_PER_MSEC);
        if (u->state == UNIT_STARTING && u->config->type != SERVICE_NOTIFY)
                unit_set_state(u, UNIT_EV_STARTED, UNIT_RESULT_SUCCESS);
}

void unit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct unit *u = w->data;

        switch (u->state) {
        case UNIT_RESTARTING:
                u->n_restarts++;
                u->job = UNIT_JOB_START;
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

