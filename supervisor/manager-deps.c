/* SPDX-License-Identifier: MIT */

/* Dependencies: a start request queues the unit and its Requires=/Wants= units; manager_dispatch()
 * runs a queued start once required units run and ordered-before units are no longer starting, and
 * a queued stop once the units ordered after it have stopped (supervisor/README.md). */

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


/* Does @d have to start before @u (and so stop after it)? */
static bool unit_orders_after(const struct unit *u, const struct unit *d) {
        const struct unit_config *c = u->config;
        return c && (!!strv_find(c->after, d->name) || !!strv_find(c->requires, d->name) ||
                     !!strv_find(c->wants, d->name));
}


static void unit_queue_start_deps(struct unit *u, char *const *names) {
        STRV_FOREACH(n, names) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && d->config && d->load_state == UNIT_LOADED && !unit_is_active(d) && d->job != UNIT_JOB_START)
                        unit_queue_start(d);
        }
}

void unit_queue_start(struct unit *u) {
        u->job = UNIT_JOB_START;
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
                if (d->state == UNIT_FAILED && d->job != UNIT_JOB_START)
                        return -1;
                if (d->state != UNIT_RUNNING)
                        return 0;
        }
        STRV_FOREACH(n, c->wants) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && (d->job == UNIT_JOB_START || d->state == UNIT_STARTING || d->state == UNIT_RESTARTING))
                        return 0;
        }
        STRV_FOREACH(n, c->after) {
                struct unit *d = manager_find_unit(u->manager, *n);
                if (d && (d->job == UNIT_JOB_START || d->state == UNIT_STARTING || d->state == UNIT_STOPPING))
                        return 0;
        }
        return 1;
}

static bool unit_stop_ready(struct unit *u) {
        struct manager *m = u->manager;

        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *d = m->units[i];
                if (d != u && unit_orders_after(d, u) && (unit_is_active(d) || unit_job_stops(d)) &&
                    (unit_job_stops(d) || d->state == UNIT_STOPPING))
                        return false;
        }
        return true;
}

/* Units that Require= @u stop with it: before it when it is being stopped (they are ordered after
 * it), after it when it stopped or failed by itself. A restart of @u restarts them too. */
static void unit_propagate_stop(struct unit *u) {
        struct manager *m = u->manager;
        bool going = unit_job_stops(u) || (!unit_is_active(u) && u->state != UNIT_RESTARTING) ||
                     u->state == UNIT_STOPPING;

        if (!going)
                return;
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *d = m->units[i];
                if (d == u || !d->config || !strv_find(d->config->requires, u->name))
                        continue;
                if (!(unit_is_active(d) || d->state == UNIT_RESTARTING) || d->state == UNIT_STOPPING ||
                    unit_job_stops(d))
                        continue;
                log_info("%s: stopping, it requires %s which is %s", d->name, u->name,
                         unit_job_stops(u) ? "stopping" : unit_active_state_to_string(u->state));
                d->job = unit_job_restarts(u) ? UNIT_JOB_RESTART : UNIT_JOB_STOP;
        }
}

void manager_dispatch(struct manager *m) {
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
                        if (u->job == UNIT_JOB_RESTART_START && !unit_is_active(u) &&
                            m->shutdown == MANAGER_RUNNING && u->load_state == UNIT_LOADED) {
                                unit_queue_start(u);
                                changed = true;
                        }
                        if (unit_job_stops(u) && unit_stop_ready(u)) {
                                unit_stop_now(u);
                                changed = true;
                        }
                        if (u->job == UNIT_JOB_START && u->state != UNIT_STOPPING) {
                                if (unit_is_active(u)) {
                                        u->job = UNIT_JOB_NONE;
                                        continue;
                                }
                                int r = unit_start_ready(u);
                                if (r < 0) {
                                        u->job = UNIT_JOB_NONE;
                                        log_error("%s: a required dependency failed, not starting", u->name);
                                        unit_set_state(u, UNIT_EV_DEPENDENCY, UNIT_RESULT_DEPENDENCY);
                                        changed = true;
                                } else if (r > 0) {
                                        u->job = UNIT_JOB_NONE;
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

