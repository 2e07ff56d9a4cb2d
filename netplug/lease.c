/* SPDX-License-Identifier: MIT */

/* Address leases: STATE/leases/BRIDGE, one "ADDRESS UNIT" line per unit, sorted by address,
 * replaced atomically on every change. The file is read once per bridge and instance; from then
 * on the copy in memory is the truth (one supd owns its state dir). */

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

static void leases_free(struct np_lease *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(l[i].unit);
        free(l);
}

void np_leases_free(struct np_bridge *b) {
        leases_free(b->leases, b->n_leases);
        b->leases = NULL;
        b->n_leases = 0;
        b->leases_loaded = false;
}

static char *lease_path(const struct netplug *np, const char *bridge) {
        char *p;

        if (!np->state_dir)
                return NULL;
        if (asprintf(&p, "%s/leases/%s", np->state_dir, bridge) < 0)
                return NULL;
        return p;
}

static int lease_cmp(const void *a, const void *b) {
        return np_addr_compare(&((const struct np_lease *) a)->addr, &((const struct np_lease *) b)->addr);
}

int np_leases_load(struct netplug *np, struct np_bridge *b) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        struct np_lease *l = NULL;
        size_t n = 0, allocated = 0;
        size_t linesz = 0;
        FILE *f;

        if (b->leases_loaded)
                return 0;
        if (!np->state_dir) {
                b->leases_loaded = true;
                return 0;
        }
        path = lease_path(np, b->name);
        if (!path)
                return -ENOMEM;

        f = fopen(path, "re");
        if (!f) {
                if (errno != ENOENT)
                        return -errno;
                b->leases_loaded = true;
                return 0;
        }

        /* Lenient: a line that does not parse, a second line for a unit or an address, or an
         * address of another family is skipped (and dropped at the next write). */
        while (getline(&line, &linesz, f) >= 0) {
                char addr[64], unit[NETPLUG_NAME_MAX + 2];
                struct netplug_addr a = {};
                bool dup = false;

                if (line[0] == '#' || sscanf(line, "%63s %65s", addr, unit) != 2)
                        continue;
                a.family = b->address.family;
                if (inet_pton(a.family, addr, &a.addr) != 1 || !np_name_is_valid(unit, NETPLUG_NAME_MAX))
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (np_addr_equal(&l[i].addr, &a) || streq(l[i].unit, unit))
                                dup = true;
                if (dup)
                        continue;

                if (n == allocated) {
                        size_t k = allocated ? allocated * 2 : 16;
                        struct np_lease *p = realloc(l, k * sizeof(*l));
                        if (!p)
                                goto oom;
                        l = p;
                        allocated = k;
                }
                l[n].addr = a;
                l[n].unit = strdup(unit);
                if (!l[n].unit)
                        goto oom;
                n++;
        }
        fclose(f);

        qsort(l, n, sizeof(*l), lease_cmp);
        leases_free(b->leases, b->n_leases);
        b->leases = l;
        b->n_leases = n;
        b->leases_loaded = true;
        log_debug("netplug: %zu lease(s) of bridge %s read from %s", n, b->name, path);
        return 0;

oom:
        fclose(f);
        leases_free(l, n);
        return -ENOMEM;
}

const struct np_lease *np_lease_by_unit(const struct np_bridge *b, const char *unit) {
        for (size_t i = 0; i < b->n_leases; i++)
                if (streq(b->leases[i].unit, unit))
                        return &b->leases[i];
        return NULL;
}

const struct np_lease *np_lease_by_addr(const struct np_bridge *b, const struct netplug_addr *addr) {
        for (size_t i = 0; i < b->n_leases; i++)
                if (np_addr_equal(&b->leases[i].addr, addr))
                        return &b->leases[i];
        return NULL;
}

static int leases_write(struct netplug *np, const char *bridge, const struct np_lease *l, size_t n) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        if (!np->state_dir)
                return 0;
        if (asprintf(&dir, "%s/leases", np->state_dir) < 0)
                return -ENOMEM;
        path = lease_path(np, bridge);
        if (!path)
                return -ENOMEM;
        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# sup address leases of bridge %s: ADDRESS UNIT\n", bridge);
        for (size_t i = 0; i < n; i++) {
                char a[64];
                fprintf(f, "%s %s\n", np_addr_to_string(&l[i].addr, a, sizeof(a)), l[i].unit);
        }
        if (fclose(f) != 0)
                return -ENOMEM;

        /* Durable: a lease must survive a power cut, or a unit could come back with another
         * address than the one its peers know. */
        return write_file_atomic(path, text, 0644, true);
}

int np_lease_set(struct netplug *np, struct np_bridge *b, const char *unit,
                 const struct netplug_addr *addr) {
        const struct np_lease *cur = np_lease_by_unit(b, unit);
        struct np_lease *l;
        size_t n = 0;
        int r;

        if (cur && np_addr_equal(&cur->addr, addr))
                return 0;

        /* The new table is built and written aside, and swapped in only once it is on disk: a
         * failed write changes nothing. */
        l = calloc(b->n_leases + 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < b->n_leases; i++) {
                if (streq(b->leases[i].unit, unit) || np_addr_equal(&b->leases[i].addr, addr))
                        continue;
                l[n].addr = b->leases[i].addr;
                l[n].unit = strdup(b->leases[i].unit);
                if (!l[n].unit)
                        goto oom;
                n++;
        }
        l[n].addr = *addr;
        l[n].unit = strdup(unit);
        if (!l[n].unit)
                goto oom;
        n++;
        qsort(l, n, sizeof(*l), lease_cmp);

        r = leases_write(np, b->name, l, n);
        if (r < 0) {
                leases_free(l, n);
                return r;
        }
        leases_free(b->leases, b->n_leases);
        b->leases = l;
        b->n_leases = n;
        return 0;

oom:
        leases_free(l, n);
        return -ENOMEM;
}
