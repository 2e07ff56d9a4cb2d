/* SPDX-License-Identifier: MIT */

/* Loading a directory of units and bridges, and the checks that need more than one file:
 * Bridge= names a loaded bridge, Address=/Gateway= inside its subnet, dependency cycles. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "macro.h"
#include "string-util.h"

/* ---- addresses --------------------------------------------------------------------------------- */

static void addr_bytes(int family, const void *addr, const unsigned char **ret, size_t *ret_len) {
        if (family == AF_INET) {
                *ret = addr;
                *ret_len = 4;
        } else {
                *ret = addr;
                *ret_len = 16;
        }
}

bool cidr_contains(const struct cidr *net, const void *addr, int family) {
        const unsigned char *a, *b;
        size_t len;
        unsigned bits = net->prefixlen;

        if (net->family != family)
                return false;
        addr_bytes(family, &net->addr, &a, &len);
        addr_bytes(family, addr, &b, &len);
        for (size_t i = 0; i < len && bits > 0; i++) {
                unsigned take = bits >= 8 ? 8 : bits;
                unsigned char mask = (unsigned char) (0xff << (8 - take));
                if ((a[i] & mask) != (b[i] & mask))
                        return false;
                bits -= take;
        }
        return true;
}

/* True when the host part is all zeros or (IPv4) all ones. */
bool cidr_is_network_or_broadcast(const struct cidr *c) {
        const unsigned char *a;
        size_t len;
        bool zeros = true, ones = true;

        addr_bytes(c->family, &c->addr, &a, &len);
        for (size_t bit = c->prefixlen; bit < len * 8; bit++) {
                bool set = a[bit / 8] & (0x80 >> (bit % 8));
                if (set)
                        zeros = false;
                else
                        ones = false;
        }
        if (c->prefixlen >= len * 8)
                return false;
        return zeros || (c->family == AF_INET && ones);
}

int ip_addr_to_string(int family, const void *addr, char *buf, size_t len) {
        return inet_ntop(family, addr, buf, len) ? 0 : -errno;
}

/* ---- sets ---------------------------------------------------------------------------------------- */

struct unit_set *unit_set_free(struct unit_set *s) {
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_units; i++)
                unit_config_free(s->units[i]);
        free(s->units);
        for (size_t i = 0; i < s->n_bridges; i++)
                bridge_config_free(s->bridges[i]);
        free(s->bridges);
        unit_diags_free(s->diags, s->n_diags);
        free(s);
        return NULL;
}

void unit_set_freep(struct unit_set **s) {
        *s = unit_set_free(*s);
}

struct unit_config *unit_set_find_unit(const struct unit_set *s, const char *name) {
        /* Entries may be NULL while a caller is taking the configurations over (reload). */
        for (size_t i = 0; i < s->n_units; i++)
                if (s->units[i] && streq(s->units[i]->name, name))
                        return s->units[i];
        return NULL;
}

struct bridge_config *unit_set_find_bridge(const struct unit_set *s, const char *name) {
        for (size_t i = 0; i < s->n_bridges; i++)
                if (streq(s->bridges[i]->name, name))
                        return s->bridges[i];
        return NULL;
}

static int set_add_unit(struct unit_set *s, struct unit_config *u) {
        struct unit_config **a = reallocarray(s->units, s->n_units + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a[s->n_units++] = u;
        s->units = a;
        return 0;
}

static int set_add_bridge(struct unit_set *s, struct bridge_config *b) {
        struct bridge_config **a = reallocarray(s->bridges, s->n_bridges + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a[s->n_bridges++] = b;
        s->bridges = a;
        return 0;
}

static int cmp_unit(const void *a, const void *b) {
        return strcmp((*(struct unit_config *const *) a)->name, (*(struct unit_config *const *) b)->name);
}

static int cmp_bridge(const void *a, const void *b) {
        return strcmp((*(struct bridge_config *const *) a)->name, (*(struct bridge_config *const *) b)->name);
}

/* The names in @dir (not hidden) that end in one of @suffixes, sorted; as full paths when @join. */
static int dir_list(const char *dir, const char *const *suffixes, bool join, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return -errno;
        while (r >= 0 && (de = readdir(d))) {
                bool match = false;

                for (const char *const *x = suffixes; *x; x++)
                        match = match || endswith(de->d_name, *x);
                if (de->d_name[0] == '.' || !match)
                        continue;
                r = join ? strv_consume(&l, path_join(dir, de->d_name)) : strv_extend(&l, de->d_name);
        }
        closedir(d);
        if (r < 0)
                return r;
        strv_sort(l);
        *ret = TAKE_PTR(l);
        return 0;
}

/* The *.conf files of DIR, sorted, as full paths; none when DIR does not exist. When DIR cannot be
 * listed, *ret_problem says why ("not a directory (FIFO)"). opendir() opens with O_DIRECTORY, which
 * refuses anything else before it is opened: a FIFO or a device named NAME.unit.d cannot block. */
static int list_dropins(const char *dir, char ***ret, char **ret_problem) {
        static const char *const conf[] = { ".conf", NULL };
        struct stat st;
        int r;

        r = dir_list(dir, conf, true, ret);
        if (r >= 0 || r == -ENOMEM)
                return r;
        *ret = NULL;
        if (r == -ENOENT)
                return 0; /* none, or a dangling symlink: no drop-ins */
        if (r == -ENOTDIR && stat(dir, &st) >= 0)
                *ret_problem = strprintf("not a directory (%s)", file_type_to_string(st.st_mode));
        else
                *ret_problem = unit_file_problem(r, 0);
        return *ret_problem ? r : -ENOMEM;
}

static int load_unit_file(struct unit_set *s, const char *path, const char *name) {
        _cleanup_strv_free_ char **dropins = NULL;
        _cleanup_free_ char *ddir = NULL, *problem = NULL;
        struct unit_config *u = NULL;
        size_t dir_diag = SIZE_MAX;
        int r;

        ddir = strprintf("%s.d", path);
        if (!ddir)
                return -ENOMEM;
        r = list_dropins(ddir, &dropins, &problem);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                dir_diag = s->n_diags;
                if (diag_add(&s->diags, &s->n_diags, ddir, 0, NULL, "%s", problem) < 0)
                        return -ENOMEM;
        }
        r = unit_config_load(path, name, dropins, &s->diags, &s->n_diags, &u);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0; /* gone meanwhile, or a dangling symlink: no unit */
        if (dir_diag != SIZE_MAX) {
                /* Its drop-ins are unknown: the unit cannot be what its files say. */
                u->load_state = UNIT_LOAD_ERROR;
                free(u->load_error);
                u->load_error = unit_diag_format(&s->diags[dir_diag]);
                if (!u->load_error) {
                        unit_config_free(u);
                        return -ENOMEM;
                }
        }
        if (unit_set_find_unit(s, name)) {
                diag_add(&s->diags, &s->n_diags, path, 0, NULL, "duplicate unit name \"%s\"", name);
                unit_config_free(u);
                return 0;
        }
        return set_add_unit(s, u);
}

static int load_bridge_file(struct unit_set *s, const char *path, const char *name) {
        struct bridge_config *b = NULL;
        int r;

        r = bridge_config_load(path, name, &s->diags, &s->n_diags, &b);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        if (unit_set_find_bridge(s, name)) {
                diag_add(&s->diags, &s->n_diags, path, 0, NULL, "duplicate bridge name \"%s\"", name);
                bridge_config_free(b);
                return 0;
        }
        return set_add_bridge(s, b);
}

/* Whether @base names a unit, a bridge or a drop-in. */
static bool file_suffix_known(const char *base) {
        return endswith(base, ".unit") || endswith(base, ".bridge") || endswith(base, ".conf");
}

/* Loads one file by its suffix. Returns 1 when the suffix was recognized. */
static int load_one_file(struct unit_set *s, const char *path, const char *base) {
        _cleanup_free_ char *name = NULL;
        const char *e;

        if ((e = endswith(base, ".unit"))) {
                name = strndup(base, e - base);
                if (!name)
                        return -ENOMEM;
                return load_unit_file(s, path, name) < 0 ? -ENOMEM : 1;
        }
        if ((e = endswith(base, ".bridge"))) {
                name = strndup(base, e - base);
                if (!name)
                        return -ENOMEM;
                return load_bridge_file(s, path, name) < 0 ? -ENOMEM : 1;
        }
        return 0;
}

static int load_dir_into(struct unit_set *s, const char *dir) {
        static const char *const suffixes[] = { ".unit", ".bridge", NULL };
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list(dir, suffixes, false, &names);
        if (r < 0)
                return r;
        STRV_FOREACH(i, names) {
                _cleanup_free_ char *p = path_join(dir, *i);
                if (!p)
                        return -ENOMEM;
                /* Whatever the name is, the reader looks at it: a FIFO, a device, a directory or a
                 * symlink loop named NAME.unit is a unit in error; a dangling symlink is nothing. */
                r = load_one_file(s, p, *i);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- cross-unit checks ---------------------------------------------------------------------------- */

static int unit_error(struct unit_set *s, struct unit_config *u, enum unit_key k, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int unit_error(struct unit_set *s, struct unit_config *u, enum unit_key k, const char *fmt, ...) {
        const struct key_origin *o = &u->origin[k];
        _cleanup_free_ char *m = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        m = vstrprintf(fmt, ap);
        va_end(ap);
        if (!m)
                return -ENOMEM;
        r = diag_add(&s->diags, &s->n_diags, o->file ? o->file : u->path, o->line, unit_keys[k].name, "%s", m);
        if (r < 0)
                return r;
        if (u->load_state == UNIT_LOADED) {
                u->load_state = UNIT_LOAD_ERROR;
                u->load_error = unit_diag_format(&s->diags[s->n_diags - 1]);
                if (!u->load_error)
                        return -ENOMEM;
        }
        return 0;
}

static int check_network(struct unit_set *s, struct unit_config *u) {
        struct bridge_config *b;
        char buf[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];

        if (!u->bridge)
                return 0;
        b = unit_set_find_bridge(s, u->bridge);
        if (!b)
                return unit_error(s, u, UK_BRIDGE, "no bridge \"%s\" (expected a file %s.bridge)", u->bridge,
                                  u->bridge);
        if (b->load_state != UNIT_LOADED)
                return unit_error(s, u, UK_BRIDGE, "bridge \"%s\" has errors (%s)", u->bridge, b->path);

        (void) ip_addr_to_string(b->address.family, &b->address.addr, net, sizeof(net));
        if (!u->address_auto) {
                struct cidr *a = &u->address;
                (void) ip_addr_to_string(a->family, &a->addr, buf, sizeof(buf));
                if (a->prefixlen == 0)
                        a->prefixlen = b->address.prefixlen;
                if (a->family != b->address.family)
                        return unit_error(s, u, UK_ADDRESS, "%s is not of the address family of bridge %s", buf,
                                          b->name);
                if (a->prefixlen != b->address.prefixlen)
                        return unit_error(s, u, UK_ADDRESS, "prefix /%u differs from bridge %s (/%u)", a->prefixlen,
                                          b->name, b->address.prefixlen);
                if (!cidr_contains(&b->address, &a->addr, a->family))
                        return unit_error(s, u, UK_ADDRESS, "%s is outside the subnet of bridge %s (%s/%u)", buf,
                                          b->name, net, b->address.prefixlen);
                if (memcmp(&a->addr, &b->address.addr, a->family == AF_INET ? 4 : 16) == 0)
                        return unit_error(s, u, UK_ADDRESS, "%s is the address of bridge %s itself", buf, b->name);
                if (cidr_is_network_or_broadcast(a))
                        return unit_error(s, u, UK_ADDRESS, "%s is the network or broadcast address of the subnet",
                                          buf);
        }
        if (u->gateway_set && !cidr_contains(&b->address, &u->gateway.addr, u->gateway.family)) {
                (void) ip_addr_to_string(u->gateway.family, &u->gateway.addr, buf, sizeof(buf));
                return unit_error(s, u, UK_GATEWAY, "%s is outside the subnet of bridge %s (%s/%u)", buf, b->name,
                                  net, b->address.prefixlen);
        }
        return 0;
}

enum { WHITE, GREY, BLACK };

struct cycle_walk {
        struct unit_set *set;
        unsigned char *color;
        bool *reported; /* one cycle message per unit */
        size_t *stack;
        size_t depth;
};

static size_t unit_index(struct unit_set *s, const char *name) {
        for (size_t i = 0; i < s->n_units; i++)
                if (streq(s->units[i]->name, name))
                        return i;
        return SIZE_MAX;
}

static int report_cycle(struct cycle_walk *w, size_t from) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        size_t start = 0;

        if (!f)
                return -ENOMEM;
        while (w->stack[start] != from)
                start++;
        for (size_t i = start; i < w->depth; i++)
                fprintf(f, "%s -> ", w->set->units[w->stack[i]]->name);
        fprintf(f, "%s", w->set->units[from]->name);
        if (fclose(f) != 0)
                return -ENOMEM;

        for (size_t i = start; i < w->depth; i++) {
                struct unit_config *u = w->set->units[w->stack[i]];
                if (w->reported[w->stack[i]])
                        continue;
                w->reported[w->stack[i]] = true;
                const char *next = w->set->units[i + 1 < w->depth ? w->stack[i + 1] : from]->name;
                enum unit_key k = UK_AFTER;
                STRV_FOREACH(n, u->requires)
                        if (streq(*n, next))
                                k = UK_REQUIRES;
                if (k == UK_AFTER)
                        STRV_FOREACH(n, u->wants)
                                if (streq(*n, next))
                                        k = UK_WANTS;
                int r = unit_error(w->set, u, k, "dependency cycle: %s", text);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int visit(struct cycle_walk *w, size_t i) {
        struct unit_config *u = w->set->units[i];
        char **lists[] = { u->requires, u->wants, u->after };
        int r;

        w->color[i] = GREY;
        w->stack[w->depth++] = i;
        for (size_t l = 0; l < ELEMENTSOF(lists); l++)
                STRV_FOREACH(n, lists[l]) {
                        size_t j = unit_index(w->set, *n);
                        if (j == SIZE_MAX)
                                continue;
                        if (w->color[j] == GREY) {
                                r = report_cycle(w, j);
                                if (r < 0)
                                        return r;
                        } else if (w->color[j] == WHITE) {
                                r = visit(w, j);
                                if (r < 0)
                                        return r;
                        }
                }
        w->depth--;
        w->color[i] = BLACK;
        return 0;
}

static int check_cycles(struct unit_set *s) {
        _cleanup_free_ unsigned char *color = calloc(s->n_units ? s->n_units : 1, 1);
        _cleanup_free_ size_t *stack = calloc(s->n_units ? s->n_units : 1, sizeof(size_t));
        _cleanup_free_ bool *reported = calloc(s->n_units ? s->n_units : 1, sizeof(bool));
        struct cycle_walk w = { .set = s, .color = color, .stack = stack, .reported = reported };
        int r;

        if (!color || !stack || !reported)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_units; i++)
                if (color[i] == WHITE) {
                        r = visit(&w, i);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int unit_set_check(struct unit_set *s) {
        int r;

        if (s->n_units > 1)
                qsort(s->units, s->n_units, sizeof(*s->units), cmp_unit);
        if (s->n_bridges > 1)
                qsort(s->bridges, s->n_bridges, sizeof(*s->bridges), cmp_bridge);

        for (size_t i = 0; i < s->n_units; i++) {
                r = check_network(s, s->units[i]);
                if (r < 0)
                        return r;
        }
        return check_cycles(s);
}

static struct unit_set *unit_set_new(void) {
        return calloc(1, sizeof(struct unit_set));
}

int unit_set_load_dir(const char *dir, struct unit_set **ret) {
        _cleanup_(unit_set_freep) struct unit_set *s = unit_set_new();
        int r;

        if (!s)
                return -ENOMEM;
        r = load_dir_into(s, dir);
        if (r < 0)
                return r;
        r = unit_set_check(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

/* A drop-in given alone is checked as a fragment: its keys and values, not the unit's required
 * keys, which live in the file it extends. */
static int load_fragment(struct unit_set *s, const char *path) {
        _cleanup_free_ char *text = NULL, *problem = NULL;
        struct unit_config *u = NULL;
        int r;

        r = unit_file_read(path, &text, &problem);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return diag_add(&s->diags, &s->n_diags, path, 0, NULL, "%s", problem) < 0 ? -ENOMEM : 0;
        r = unit_config_parse_fragment(path, text, &s->diags, &s->n_diags, &u);
        if (r < 0)
                return r;
        unit_config_free(u);
        return 0;
}

int unit_set_load_paths(char *const *paths, struct unit_set **ret) {
        _cleanup_(unit_set_freep) struct unit_set *s = unit_set_new();
        int r;

        if (!s)
                return -ENOMEM;
        STRV_FOREACH(p, paths) {
                struct stat st;
                const char *base;

                base = strrchr(*p, '/');
                base = base ? base + 1 : *p;
                if (stat(*p, &st) < 0) {
                        _cleanup_free_ char *problem = unit_file_problem(-errno, 0);
                        if (!problem || diag_add(&s->diags, &s->n_diags, *p, 0, NULL, "%s", problem) < 0)
                                return -ENOMEM;
                        continue;
                }
                /* A directory named like a file ("x.unit", "10.conf") is that file, in error. */
                if (S_ISDIR(st.st_mode) && !file_suffix_known(base)) {
                        r = load_dir_into(s, *p);
                        if (r == -ENOMEM)
                                return r;
                        if (r < 0) {
                                if (diag_add(&s->diags, &s->n_diags, *p, 0, NULL, "cannot read: %s", strerror(-r)) < 0)
                                        return -ENOMEM;
                        }
                        continue;
                }
                if (endswith(base, ".conf")) {
                        r = load_fragment(s, *p);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = load_one_file(s, *p, base);
                if (r < 0)
                        return r;
                if (r == 0 && diag_add(&s->diags, &s->n_diags, *p, 0, NULL,
                                       "not a unit file (expected NAME.unit, NAME.bridge or a drop-in .conf)") < 0)
                        return -ENOMEM;
        }

        /* A unit given alone finds its bridge next to it. */
        for (size_t i = 0; i < s->n_units; i++) {
                struct unit_config *u = s->units[i];
                _cleanup_free_ char *dir = NULL, *bp = NULL;
                const char *slash;

                if (!u->bridge || unit_set_find_bridge(s, u->bridge))
                        continue;
                slash = strrchr(u->path, '/');
                dir = slash ? strndup(u->path, slash - u->path + 1) : strdup("./");
                if (!dir || asprintf(&bp, "%s%s.bridge", dir, u->bridge) < 0)
                        return -ENOMEM;
                if (access(bp, F_OK) == 0 && load_bridge_file(s, bp, u->bridge) < 0)
                        return -ENOMEM;
        }

        r = unit_set_check(s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}
