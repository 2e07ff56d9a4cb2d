/* SPDX-License-Identifier: MIT */

/* The canonical dump of a unit's effective configuration, and the reload diff built on it. Both
 * come from the key table: the dump prints every row, and two units are the same exactly when
 * every key has the same canonical form, so a key added to the table is compared without a line
 * here. A change to keys flagged KEY_LIVE only ([Resources]) is marked as one the running unit can
 * take without a restart. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "macro.h"

int unit_config_dump(const struct unit_config *u, FILE *f) {
        fprintf(f, "# %s (%s)\n", u->name, unit_load_state_to_string(u->load_state));
        keys_dump(unit_keys, _UK_MAX, u, f);
        return ferror(f) ? -EIO : 0;
}

int bridge_config_dump(const struct bridge_config *b, FILE *f) {
        fprintf(f, "# %s (%s)\n", b->name, unit_load_state_to_string(b->load_state));
        keys_dump(bridge_keys, _BK_MAX, b, f);
        return ferror(f) ? -EIO : 0;
}

/* Compares two configurations key by key, by canonical form. Returns 1 when they are the same, 0
 * when not (*ret_live: every key that differs is applied live), or -ENOMEM. */
static int keys_same(const struct key_row *rows, size_t n, const void *a, const void *b, bool *ret_live) {
        bool same = true, live = true;

        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *x = key_format(&rows[i], a), *y = key_format(&rows[i], b);

                if (!x || !y)
                        return -ENOMEM;
                if (streq(x, y))
                        continue;
                same = false;
                if (!(rows[i].flags & KEY_LIVE))
                        live = false;
        }
        *ret_live = !same && live;
        return same;
}

static int push(struct unit_diff_entry **a, size_t *n, const char *name, bool is_bridge, enum unit_change c,
                bool live) {
        struct unit_diff_entry *x = reallocarray(*a, *n + 1, sizeof(**a));

        if (!x)
                return -ENOMEM;
        x[(*n)++] = (struct unit_diff_entry) { .name = name, .is_bridge = is_bridge, .change = c, .live = live };
        *a = x;
        return 0;
}

static int bridge_compare(const struct bridge_config *o, const struct bridge_config *n) {
        bool live;
        int r = keys_same(bridge_keys, _BK_MAX, o, n, &live);

        if (r < 0)
                return r;
        return r && o->load_state == n->load_state ? UNIT_UNCHANGED : UNIT_CHANGED;
}

/* A unit changed when one of its keys did, its load state did, or the bridge it uses did. */
static int unit_compare(const struct unit_config *o, const struct unit_config *n,
                        const struct unit_diff_entry *bridges, size_t n_bridges, bool *ret_live) {
        bool live, bridge_changed = false;
        int r = keys_same(unit_keys, _UK_MAX, o, n, &live);

        if (r < 0)
                return r;
        for (size_t k = 0; n->bridge && k < n_bridges; k++)
                if (streq(bridges[k].name, n->bridge) && bridges[k].change != UNIT_UNCHANGED)
                        bridge_changed = true;
        if (r && o->load_state == n->load_state && !bridge_changed)
                return UNIT_UNCHANGED;
        *ret_live = live && !bridge_changed && o->load_state == UNIT_LOADED && n->load_state == UNIT_LOADED;
        return UNIT_CHANGED;
}

int unit_set_diff(const struct unit_set *old, const struct unit_set *new, struct unit_diff_entry **ret) {
        _cleanup_free_ struct unit_diff_entry *a = NULL;
        size_t n = 0, i = 0, j = 0, n_bridges;
        int r;

        /* Both sides are sorted by name (unit_set_check()), so one merge pass does it. */
        while (i < old->n_bridges || j < new->n_bridges) {
                int c = i == old->n_bridges   ? 1
                        : j == new->n_bridges ? -1
                                              : strcmp(old->bridges[i]->name, new->bridges[j]->name);
                if (c < 0)
                        r = push(&a, &n, old->bridges[i++]->name, true, UNIT_REMOVED, false);
                else if (c > 0)
                        r = push(&a, &n, new->bridges[j++]->name, true, UNIT_ADDED, false);
                else {
                        r = bridge_compare(old->bridges[i], new->bridges[j]);
                        if (r >= 0)
                                r = push(&a, &n, new->bridges[j]->name, true, r, false);
                        i++, j++;
                }
                if (r < 0)
                        return r;
        }
        n_bridges = n;

        i = j = 0;
        while (i < old->n_units || j < new->n_units) {
                int c = i == old->n_units   ? 1
                        : j == new->n_units ? -1
                                            : strcmp(old->units[i]->name, new->units[j]->name);
                bool live = false;

                if (c < 0)
                        r = push(&a, &n, old->units[i++]->name, false, UNIT_REMOVED, false);
                else if (c > 0)
                        r = push(&a, &n, new->units[j++]->name, false, UNIT_ADDED, false);
                else {
                        r = unit_compare(old->units[i], new->units[j], a, n_bridges, &live);
                        if (r >= 0)
                                r = push(&a, &n, new->units[j]->name, false, r, live);
                        i++, j++;
                }
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(a);
        return (int) n;
}
