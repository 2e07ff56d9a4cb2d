/* SPDX-License-Identifier: MIT */

/* Loading the units directory and reloading it: the diff of the canonical dumps (units/diff.c)
 * decides per unit: add (and start), stop and forget, restart with the new file after the current
 * run, or keep running with the same meaning. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"
#include "strv.h"
#include "unit-network.h"

static int manager_load(struct manager *m) {
        _cleanup_(unit_set_freep) struct unit_set *s = NULL;
        int r;

        m->units = calloc(1, sizeof(struct unit *));
        if (!m->units)
                return log_oom();
        r = unit_set_load_dir(m->units_dir, &s);
        if (r < 0)
                return log_error_errno(r, "Failed to load units from '%s', running with none: %m", m->units_dir);

        for (size_t i = 0; i < s->n_diags; i++) {
                _cleanup_free_ char *line = unit_diag_format(&s->diags[i]);
                log_error("%s", line ? line : s->diags[i].message);
        }

        free(m->units);
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
void manager_bridges_up(struct manager *m) {
        manager_network_bridges_up(m);
}

void manager_forget_removed(struct manager *m) {
        size_t k = 0;

        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                if (u->removed && !unit_is_active(u) && u->state != UNIT_RESTARTING && !unit_job_stops(u)) {
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

/* One entry of the reload diff applied to the manager's units. Returns 0 or -errno. */
static int reload_apply(struct manager *m, struct unit_set *s, const struct unit_diff_entry *e, int *n_errors) {
        struct unit_config *nc;
        struct unit *u;
        int r;

        if (e->is_bridge)
                return 0; /* bridges come with netplug */
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
                                (*n_errors)++;
                        break;
                }
                _fallthrough_;
        case UNIT_CHANGED:
                if (nc->load_state != UNIT_LOADED) {
                        (*n_errors)++;
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
                        unit_queue_stop(u, u->next_config->load_state == UNIT_LOADED);
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
                unit_queue_stop(u, false);
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
        return 0;
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
                r = reload_apply(m, s, &diff[i], &n_errors);
                if (r < 0)
                        return r;
        }
        size_t k = 0;
        for (size_t i = 0; i < s->n_units; i++)
                if (s->units[i])
                        s->units[k++] = s->units[i];
        s->n_units = k;

        qsort(m->units, m->n_units, sizeof(struct unit *), cmp_unit_ptr);
        manager_network_bridges_removed(m, diff, n);
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

/* Start-up: the units, their bridges, then what a predecessor left. Runs it left still alive are
 * adopted (unit-adopt.c); whatever else it left is cleaned up, and the network it held but no
 * adopted run uses is swept. After daemon-reexec (@reexec_units) every unit stays as it was; after
 * a crash or at boot, units that do not run start as at boot. */
int manager_startup(struct manager *m, struct json_object *reexec_units) {
        _cleanup_strv_free_ char **adopted = NULL;
        int r;

        r = manager_load(m);
        manager_bridges_up(m);
        (void) manager_adopt(m, reexec_units, &adopted);
        manager_clean_predecessor(m, adopted);
        manager_network_sweep(m);
        if (r < 0)
                return r;

        for (size_t i = 0; i < m->n_units && !reexec_units; i++) {
                struct unit *u = m->units[i];
                if (u->load_state == UNIT_LOADED && u->config->autostart && !unit_is_active(u) &&
                    u->job == UNIT_JOB_NONE)
                        unit_queue_start(u);
        }
        manager_dispatch(m);
        return 0;
}
