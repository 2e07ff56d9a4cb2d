/* SPDX-License-Identifier: MIT */

/* OOM kills of a run, event-driven: v2 memory.events through the manager's one inotify fd, v1 an
 * eventfd (which wakes before the kill is counted: re-checked shortly after), and once more at the
 * end of the run. A run that lost a process to the OOM killer ends with result oom-kill. */

#include <errno.h>
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

/* v1 wakes us as the group enters OOM, before the kill is counted: look again after these. */
#define OOM_RECHECK_FIRST_SEC 0.05
#define OOM_RECHECK_LATER_SEC 0.5
#define OOM_RECHECKS_MAX 2U

/* OOM kills of the run: memory.events through the manager's inotify fd (v2), else an eventfd (v1). */
int unit_oom_watch(struct unit *u) {
        int r;

        r = cg_unit_oom_watch(u->cgroup, u->manager->inotify_fd);
        if (r >= 0) {
                u->oom_wd = r;
                return 0;
        }
        if (r != -EOPNOTSUPP)
                return r;
        r = cg_unit_oom_fd(u->cgroup);
        if (r == -EOPNOTSUPP)
                return 0; /* checked at exit only */
        if (r < 0)
                return r;
        u->oom_fd = r;
        ev_io_set(&u->oom_watch, u->oom_fd, EV_READ);
        ev_io_start(u->manager->loop, &u->oom_watch);
        return 0;
}

void unit_oom_unwatch(struct unit *u) {
        ev_io_stop(u->manager->loop, &u->oom_watch);
        ev_timer_stop(u->manager->loop, &u->oom_recheck);
        u->oom_fd = safe_close(u->oom_fd);
}

void unit_check_oom(struct unit *u) {
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
void unit_log_consumption(struct unit *u) {
        struct cg_stats st;

        if (!u->cgroup || cg_unit_stats(u->cgroup, &st) < 0 || st.cpu_usage_nsec == UINT64_MAX)
                return;
        if (st.memory_peak != UINT64_MAX)
                log_info("%s: consumed %.3fs CPU time, %.1fM memory peak.", u->name, (double) st.cpu_usage_nsec / 1e9,
                         (double) st.memory_peak / (1024 * 1024));
        else
                log_info("%s: consumed %.3fs CPU time.", u->name, (double) st.cpu_usage_nsec / 1e9);
}

void unit_oom_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct unit *u = w->data;

        cg_unit_oom_drain(u->cgroup, u->oom_fd);
        unit_check_oom(u);
        if (!u->oom_killed) {
                /* The v1 notification comes as the group enters OOM; the kill is counted a moment
                 * later. Look again then (twice at most), rather than only at exit. */
                u->oom_rechecks = 0;
                ev_timer_set(&u->oom_recheck, OOM_RECHECK_FIRST_SEC, 0.);
                ev_timer_start(loop, &u->oom_recheck);
        }
}

void unit_oom_recheck_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct unit *u = w->data;

        unit_check_oom(u);
        if (!u->oom_killed && ++u->oom_rechecks < OOM_RECHECKS_MAX) {
                ev_timer_set(w, OOM_RECHECK_LATER_SEC, 0.);
                ev_timer_start(loop, w);
        }
}

/* Records why the set-up failed (takes @msg), for status, supd's log and the unit's log. */
