/* SPDX-License-Identifier: MIT */

/* The reload diff: added, removed, changed (own keys, drop-ins, the bridge it uses, load state)
 * and unchanged. */

#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "tap.h"
#include "units.h"

struct file {
        const char *name; /* "web.unit" or "sup0.bridge" */
        const char *text;
};

static struct unit_set *make_set(const struct file *files, size_t n) {
        struct unit_set *s = calloc(1, sizeof(*s));

        for (size_t i = 0; i < n; i++) {
                char name[64];
                const char *dot = strrchr(files[i].name, '.');
                snprintf(name, sizeof(name), "%.*s", (int) (dot - files[i].name), files[i].name);
                if (streq(dot, ".bridge")) {
                        struct bridge_config *b;
                        bridge_config_parse_string(files[i].name, name, files[i].text, &s->diags, &s->n_diags, &b);
                        s->bridges = reallocarray(s->bridges, s->n_bridges + 1, sizeof(*s->bridges));
                        s->bridges[s->n_bridges++] = b;
                } else {
                        struct unit_config *u;
                        unit_config_parse_string(files[i].name, name, files[i].text, &s->diags, &s->n_diags, &u);
                        s->units = reallocarray(s->units, s->n_units + 1, sizeof(*s->units));
                        s->units[s->n_units++] = u;
                }
        }
        return s;
}

static int change_of(const struct unit_diff_entry *e, int n, const char *name, bool bridge) {
        for (int i = 0; i < n; i++)
                if (streq(e[i].name, name) && e[i].is_bridge == bridge)
                        return e[i].change;
        return -1;
}

int main(void) {
        /* Files are given in name order, as unit_set_load_dir() sorts them. */
        const struct file old[] = {
                { "br0.bridge", "[Bridge]\nAddress=10.1.0.1/24\n" },
                { "br1.bridge", "[Bridge]\nAddress=10.2.0.1/24\n" },
                { "gone.bridge", "[Bridge]\nAddress=10.3.0.1/24\n" },
                { "a.unit", "[Container]\nExec=/bin/a\n" },
                { "b.unit", "[Container]\nExec=/bin/b\n[Resources]\nMemoryMax=1G\n" },
                { "c.unit", "[Container]\nExec=/bin/c\n" },
                { "d.unit", "[Container]\nExec=/bin/d\n[Network]\nBridge=br1\n" },
                { "e.unit", "[Container]\nExec=/bin/e\n[Network]\nBridge=br0\n" },
                { "f.unit", "[Container]\nExec=/bin/f\n" },
                { "g.unit", "[Container]\nExec=/bin/g\n" },
                { "i.unit", "[Container]\nExec=/bin/i\n" },
                { "j.unit", "[Container]\nExec=/bin/j\nEnvironmentFile=/etc/j\n" },
        };
        const struct file new[] = {
                { "br0.bridge", "# only a comment changed\n[Bridge]\nAddress=10.1.0.1/24\nNAT=yes\n" },
                { "br1.bridge", "[Bridge]\nAddress=10.2.0.1/24\nNAT=no\n" },
                { "new.bridge", "[Bridge]\nAddress=10.4.0.1/24\n" },
                { "a.unit", "# reformatted, same meaning\n[Container]\nExec=/bin/a\n[Service]\nRestart=on-failure\n" },
                { "b.unit", "[Container]\nExec=/bin/b\n[Resources]\nMemoryMax=2G\n" },
                { "d.unit", "[Container]\nExec=/bin/d\n[Network]\nBridge=br1\n" },
                { "e.unit", "[Container]\nExec=/bin/e\n[Network]\nBridge=br0\n" },
                { "f.unit", "[Container]\nExec=/bin/f\nBogus=1\n" },
                { "g.unit", "[Container]\nExec=/bin/g\n[Service]\nRestartSec=100ms\n" },
                { "h.unit", "[Container]\nExec=/bin/h\n" },
                { "i.unit", "[Container]\nExec=/bin/i2\n[Resources]\nCPUWeight=5\n" },
                { "j.unit", "[Container]\nExec=/bin/j\nEnvironmentFile=-/etc/j\n" },
        };
        struct unit_set *o = make_set(old, ELEMENTSOF(old)), *n = make_set(new, ELEMENTSOF(new));
        struct unit_diff_entry *e = NULL;
        int k = unit_set_diff(o, n, &e);

        is_int(k, 14, "one entry per name in either set");
        is_int(change_of(e, k, "br0", true), UNIT_UNCHANGED, "bridge with only a comment and a default: unchanged");
        is_int(change_of(e, k, "br1", true), UNIT_CHANGED, "bridge NAT= changed");
        is_int(change_of(e, k, "gone", true), UNIT_REMOVED, "bridge removed");
        is_int(change_of(e, k, "new", true), UNIT_ADDED, "bridge added");
        is_int(change_of(e, k, "a", false), UNIT_UNCHANGED, "a default written out is no change");
        is_int(change_of(e, k, "b", false), UNIT_CHANGED, "MemoryMax= changed");
        is_int(change_of(e, k, "c", false), UNIT_REMOVED, "unit removed");
        is_int(change_of(e, k, "d", false), UNIT_CHANGED, "unit on a changed bridge counts as changed");
        is_int(change_of(e, k, "e", false), UNIT_UNCHANGED, "unit on an unchanged bridge is unchanged");
        is_int(change_of(e, k, "f", false), UNIT_CHANGED, "a unit that became invalid is changed");
        is_int(change_of(e, k, "g", false), UNIT_UNCHANGED, "RestartSec=100ms equals the default");
        is_int(change_of(e, k, "h", false), UNIT_ADDED, "unit added");
        is_int(change_of(e, k, "j", false), UNIT_CHANGED, "EnvironmentFile= made optional: changed");
        ok(e && e[0].is_bridge && !e[k - 1].is_bridge, "bridges come first");

        /* Which changes a running unit can take: only [Resources] keys (KEY_LIVE). */
        for (int i = 0; i < k; i++) {
                if (streq(e[i].name, "b"))
                        ok(e[i].live, "a changed MemoryMax= alone is applied live");
                else if (streq(e[i].name, "d"))
                        ok(!e[i].live, "a changed bridge is not live");
                else if (streq(e[i].name, "f"))
                        ok(!e[i].live, "a unit that became invalid is not live");
                else if (streq(e[i].name, "i"))
                        ok(!e[i].live, "Exec= and CPUWeight= changed: a restart");
                else if (streq(e[i].name, "j"))
                        ok(!e[i].live, "a changed EnvironmentFile= restarts the unit");
                else if (e[i].live)
                        ok(false, "%s: live only for a changed unit", e[i].name);
        }
        is_str(unit_change_to_string(UNIT_CHANGED), "changed", "unit_change_to_string");

        free(e);
        unit_set_free(o);
        unit_set_free(n);
        return tap_done();
}
