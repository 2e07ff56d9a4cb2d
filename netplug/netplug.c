/* SPDX-License-Identifier: MIT */

/* The netplug object: bridges, units, the order of a unit's plug-in steps and their undo, the
 * clean-up of a killed predecessor, and shutdown. */

#include <arpa/inet.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

#define CONTAINER_IFNAME "eth0"
#define INSTANCE_MAX        40
#define INSTANCE_PREFIX_MAX (INSTANCE_MAX - 17) /* room for "-" and 16 hex digits */

/* ---- messages ------------------------------------------------------------------------------ */

/* Sets *ret_error to "WHAT: strerror[ (kernel's extended ack)]" and returns @r. */
_printf_(4, 5) static int fail(char **ret_error, int r, const char *extack, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&what, fmt, ap);
        va_end(ap);
        if (k < 0)
                return r;

        log_debug_errno(r, "netplug: %s: %m%s%s%s", what, extack && *extack ? " (" : "", strempty(extack),
                        extack && *extack ? ")" : "");
        if (ret_error) {
                char *m;
                if (extack && *extack)
                        k = asprintf(&m, "%s: %s (%s)", what, strerror(-r), extack);
                else
                        k = asprintf(&m, "%s: %s", what, strerror(-r));
                if (k >= 0) {
                        free(*ret_error);
                        *ret_error = m;
                }
        }
        return r;
}

/* The same for conflicts, where the errno says little and the message says it all. */
_printf_(3, 4) static int conflict(char **ret_error, int r, const char *fmt, ...) {
        char *m = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        k = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (k < 0)
                return r;
        log_debug("netplug: %s", m);
        if (ret_error) {
                free(*ret_error);
                *ret_error = m;
        } else
                free(m);
        return r;
}

/* ---- names --------------------------------------------------------------------------------- */

char *netplug_link_name(const char *unit, char buf[static NETPLUG_IFNAME_MAX + 1]) {
        size_t l = strlen(unit);

        if (STRLEN("ve-") + l <= NETPLUG_IFNAME_MAX)
                snprintf(buf, NETPLUG_IFNAME_MAX + 1, "ve-%s", unit);
        else
                snprintf(buf, NETPLUG_IFNAME_MAX + 1, "ve-%.5s-%06" PRIx64, unit,
                         np_hash64(unit, l) & UINT64_C(0xffffff));
        return buf;
}

/* The instance's name in the table and the link marks. A string already made of [a-z0-9_] and at
 * most INSTANCE_MAX bytes long is kept as it is: the default instance ("sup") and most others read
 * the same as their cgroup root. Any other is lowered and reduced to [a-z0-9_] (a prefix of it, for
 * the reader) and gets "-" and 16 hex digits of a hash of the whole string. Two different
 * instances never share a name, or one would delete the other's table and links as its own: a
 * kept name has no "-", so it never equals a reduced one, and strings that reduce alike
 * ("x.y", "x_y", "X-y") differ by their hash. */
static char *instance_name(const char *s) {
        bool kept = true;
        size_t l;
        char *r;

        if (!s || !*s)
                s = "default";
        l = strlen(s);
        for (size_t i = 0; i < l; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
                        kept = false;
        if (kept && l <= INSTANCE_MAX)
                return strdup(s);

        r = malloc(INSTANCE_MAX + 1);
        if (!r)
                return NULL;
        if (l > INSTANCE_PREFIX_MAX)
                l = INSTANCE_PREFIX_MAX;
        for (size_t i = 0; i < l; i++) {
                char c = s[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
                        c = '_';
                r[i] = c;
        }
        snprintf(r + l, INSTANCE_MAX + 1 - l, "-%016" PRIx64, np_hash64(s, strlen(s)));
        return r;
}

int netplug_instance_table(const char *instance, char **ret) {
        _cleanup_free_ char *name = instance_name(instance);
        char *t;

        if (!name || asprintf(&t, "sup_%s", name) < 0)
                return -ENOMEM;
        *ret = t;
        return 0;
}

const char *netplug_table_name(const struct netplug *np) {
        return np->table;
}

static bool alias_is_ours(const struct netplug *np, const char *alias) {
        const char *s = startswith(alias, np->table);
        return s && (*s == '\0' || *s == ' ');
}

/* ---- lookups ------------------------------------------------------------------------------- */

struct np_bridge *np_bridge_find(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_bridges; i++)
                if (streq(np->bridges[i]->name, name))
                        return np->bridges[i];
        return NULL;
}

static struct netplug_unit *unit_find(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_units; i++)
                if (streq(np->units[i]->name, name))
                        return np->units[i];
        return NULL;
}

/* The unit up on @bridge holding @a, other than @self. */
static const struct netplug_unit *address_user(const struct netplug *np, const char *bridge,
                                               const struct ip_addr *a, const char *self) {
        for (size_t i = 0; i < np->n_units; i++) {
                const struct netplug_unit *u = np->units[i];
                struct ip_addr x;

                if (!streq(u->bridge, bridge) || (self && streq(u->name, self)))
                        continue;
                np_cidr_addr(&u->address, &x);
                if (np_addr_equal(&x, a))
                        return u;
        }
        return NULL;
}

static const struct netplug_unit *port_user(const struct netplug *np, const struct port_map *p) {
        for (size_t i = 0; i < np->n_units; i++)
                for (size_t j = 0; j < np->units[i]->n_ports; j++)
                        if (np->units[i]->ports[j].host_port == p->host_port &&
                            np->units[i]->ports[j].protocol == p->protocol)
                                return np->units[i];
        return NULL;
}

static void bridge_free(struct np_bridge *b) {
        if (!b)
                return;
        np_leases_free(b);
        free(b->name);
        free(b);
}

static void bridge_forget(struct netplug *np, struct np_bridge *b) {
        for (size_t i = 0; i < np->n_bridges; i++)
                if (np->bridges[i] == b) {
                        memmove(np->bridges + i, np->bridges + i + 1, (np->n_bridges - i - 1) * sizeof(b));
                        np->n_bridges--;
                        break;
                }
        bridge_free(b);
}

static int units_add(struct netplug *np, struct netplug_unit *u) {
        if (np->n_units == np->n_units_allocated) {
                /* Grows, never shrinks: a unit's restart does not reallocate. */
                size_t n = np->n_units_allocated ? np->n_units_allocated * 2 : 16;
                struct netplug_unit **p = realloc(np->units, n * sizeof(*p));

                if (!p)
                        return -ENOMEM;
                np->units = p;
                np->n_units_allocated = n;
        }
        np->units[np->n_units++] = u;
        u->up = true;
        return 0;
}

static void units_remove(struct netplug *np, struct netplug_unit *u) {
        for (size_t i = 0; i < np->n_units; i++)
                if (np->units[i] == u) {
                        memmove(np->units + i, np->units + i + 1, (np->n_units - i - 1) * sizeof(u));
                        np->n_units--;
                        break;
                }
        u->up = false;
}

/* ---- the table ------------------------------------------------------------------------------ */

static void set_applied(struct netplug *np, char **structure, char **elements) {
        free(np->nft_structure);
        free(np->nft_elements);
        np->nft_structure = TAKE_PTR(*structure);
        np->nft_elements = TAKE_PTR(*elements);
}

/* Brings the table up to date in one transaction: the map elements alone when the structure is
 * the one in force (a unit came or went), else the whole table, replaced. */
static int rebuild(struct netplug *np, char **ret_error) {
        _cleanup_free_ char *structure = NULL, *elements = NULL, *full = NULL, *err = NULL;
        int r;

        r = nft_ruleset_build(np, &structure, &elements);
        if (r < 0)
                return fail(ret_error, r, NULL, "write the rules of nftables table inet %s", np->table);

        if (np->nft_structure && streq(np->nft_structure, structure)) {
                if (np->nft_elements && streq(np->nft_elements, elements))
                        return 0; /* a unit without published ports */
                r = nft_apply(np->nft, elements, NULL);
                if (r >= 0) {
                        set_applied(np, &structure, &elements);
                        return 0;
                }
                /* Someone changed our table behind our back: replace it whole. */
                log_debug_errno(r, "netplug: updating the port maps failed, replacing the table: %m");
        }

        if (asprintf(&full, "%s%s", structure, elements) < 0)
                return -ENOMEM;
        r = nft_apply(np->nft, full, &err);
        if (r < 0) {
                /* A failed transaction changed nothing, but the cached state may be what failed. */
                free(np->nft_structure);
                np->nft_structure = NULL;
                if (ret_error) {
                        free(*ret_error);
                        if (asprintf(ret_error, "update nftables table inet %s: %s", np->table,
                                     err ?: strerror(-r)) < 0)
                                *ret_error = NULL;
                }
                return r;
        }
        set_applied(np, &structure, &elements);
        return 0;
}

/* A unit's ports into the maps (@add) or out of them: its elements alone, in a transaction of
 * their own, while the table in force is the one last written; else, or when that fails (the
 * table was edited, a stale element is in the way), the maps or the table rewritten whole. The
 * caller has already added @u to np->units, or removed it. */
static int ports_update(struct netplug *np, const struct netplug_unit *u, bool add, char **ret_error) {
        int r;

        if (u->n_ports == 0)
                return 0;
        if (np->nft_structure) {
                r = nft_unit_elements(np, u, add);
                if (r >= 0) {
                        /* The maps' text in force is not kept up to date element by element: the next
                         * rebuild() writes them whole. */
                        np->nft_elements = mfree(np->nft_elements);
                        return 0;
                }
                log_debug_errno(r, "netplug: %s the map elements of unit %s failed, rewriting: %m",
                                add ? "adding" : "deleting", u->name);
                np->nft_elements = mfree(np->nft_elements);
        }
        return rebuild(np, ret_error);
}

static int table_delete(struct netplug *np) {
        _cleanup_free_ char *text = NULL, *none = strdup("");
        int r;

        if (!none || asprintf(&text, "table inet %s\ndelete table inet %s\n", np->table, np->table) < 0)
                return -ENOMEM;
        r = nft_apply(np->nft, text, NULL);
        if (r < 0)
                return r;
        set_applied(np, &text, &none);
        return 0;
}

/* ---- a predecessor's links ------------------------------------------------------------------- */

struct marked_links {
        const struct netplug *np;
        int *veths, *bridges;
        size_t n_veths, n_bridges;
        int error;
};

static int push_index(int **a, size_t *n, int ifindex) {
        int *p = realloc(*a, (*n + 1) * sizeof(int));
        if (!p)
                return -ENOMEM;
        *a = p;
        p[(*n)++] = ifindex;
        return 0;
}

static int marked_link_cb(const struct nl_link *l, void *userdata) {
        struct marked_links *m = userdata;
        int r = 0;

        if (!alias_is_ours(m->np, l->alias))
                return 0;
        if (streq(l->kind, "veth"))
                r = push_index(&m->veths, &m->n_veths, l->ifindex);
        else if (streq(l->kind, "bridge"))
                r = push_index(&m->bridges, &m->n_bridges, l->ifindex);
        return r;
}

/* Links are collected first and deleted after the dump: requests never nest. */
static int remove_marked_links(struct netplug *np) {
        struct marked_links m = {.np = np};
        int r;

        r = nl_link_foreach(np->nl, marked_link_cb, &m);
        if (r >= 0) {
                for (size_t i = 0; i < m.n_veths; i++) {
                        int k = nl_link_delete(np->nl, m.veths[i]);
                        log_debug_errno(k, "netplug: deleted veth %d left by a predecessor: %m", m.veths[i]);
                }
                for (size_t i = 0; i < m.n_bridges; i++) {
                        int k = nl_link_delete(np->nl, m.bridges[i]);
                        log_debug_errno(k, "netplug: deleted bridge %d left by a predecessor: %m",
                                        m.bridges[i]);
                }
        }
        free(m.veths);
        free(m.bridges);
        return r;
}

/* ---- the object ------------------------------------------------------------------------------ */

/* The fds open now, as a bitmap of the first 1024 (enough for a daemon at start-up). */
static void open_fds(uint64_t set[16]) {
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;

        memset(set, 0, 16 * sizeof(uint64_t));
        if (!d)
                return;
        while ((de = readdir(d))) {
                int fd = atoi(de->d_name);
                if (de->d_name[0] != '.' && fd >= 0 && fd < 1024 && fd != dirfd(d))
                        set[fd / 64] |= UINT64_C(1) << (fd % 64);
        }
        closedir(d);
}

/* libnftables (1.0.6 at least) opens its netlink socket without SOCK_CLOEXEC, and does not say
 * which fd it is: whatever nft_ctx_new() left open is marked afterwards. */
static struct nft_ctx *nft_ctx_new_cloexec(void) {
        uint64_t before[16], after[16];
        struct nft_ctx *ctx;

        open_fds(before);
        ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (!ctx)
                return NULL;
        open_fds(after);
        for (int fd = 0; fd < 1024; fd++) {
                uint64_t bit = UINT64_C(1) << (fd % 64);
                int flags;

                if (!(after[fd / 64] & bit) || (before[fd / 64] & bit))
                        continue;
                flags = fcntl(fd, F_GETFD);
                if (flags >= 0 && !(flags & FD_CLOEXEC))
                        (void) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
        }
        return ctx;
}

int netplug_new(const char *instance, const char *state_dir, const char *runtime_dir, struct netplug **ret) {
        _cleanup_(netplug_freep) struct netplug *np = NULL;
        int r;

        np = calloc(1, sizeof(*np));
        if (!np)
                return -ENOMEM;
        np->home_netns_fd = -EBADF;

        np->instance = instance_name(instance);
        if (!np->instance || asprintf(&np->table, "sup_%s", np->instance) < 0)
                return -ENOMEM;
        if ((state_dir && !(np->state_dir = strdup(state_dir))) ||
            (runtime_dir && !(np->runtime_dir = strdup(runtime_dir))))
                return -ENOMEM;

        np->home_netns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (np->home_netns_fd < 0)
                return -errno;

        r = nl_open(&np->nl);
        if (r < 0)
                return r;
        r = nl_alloc(&np->nl_inside);
        if (r < 0)
                return r;

        np->nft = nft_ctx_new_cloexec();
        if (!np->nft)
                return -ENOMEM;
        if (nft_ctx_buffer_output(np->nft) < 0 || nft_ctx_buffer_error(np->nft) < 0)
                return -ENOMEM;
        r = nft_nl_open(&np->nfnl);
        if (r < 0)
                /* Units' ports then go through libnftables, rewriting the maps whole. */
                log_debug_errno(r, "netplug: no nfnetlink socket for the port maps, ignoring: %m");
        np->nfnl_seq = (uint32_t) time(NULL);

        /* What a killed predecessor left: put the sysctls back first (route_localnet must not
         * outlive the rules that guard it), then its links, then its table. */
        r = np_sysctl_restore_stale(np, nft_other_instances(np));
        if (r < 0)
                log_debug_errno(r, "netplug: could not restore a predecessor's sysctls, ignoring: %m");
        r = remove_marked_links(np);
        if (r < 0)
                return r;
        r = table_delete(np);
        if (r < 0)
                return r;

        log_debug("netplug: instance %s ready (table inet %s)", np->instance, np->table);
        *ret = TAKE_PTR(np);
        return 0;
}

struct netplug *netplug_free(struct netplug *np) {
        if (!np)
                return NULL;
        for (size_t i = 0; i < np->n_units; i++)
                np->units[i]->np = NULL; /* detached: their kernel objects stay */
        free(np->units);
        for (size_t i = 0; i < np->n_bridges; i++)
                bridge_free(np->bridges[i]);
        free(np->bridges);
        np_sysctls_free(np);
        if (np->nft)
                nft_ctx_free(np->nft);
        if (np->nfnl)
                mnl_socket_close(np->nfnl);
        nl_close(np->nl);
        nl_close(np->nl_inside);
        safe_close(np->home_netns_fd);
        free(np->nft_structure);
        free(np->nft_elements);
        free(np->instance);
        free(np->table);
        free(np->state_dir);
        free(np->runtime_dir);
        free(np);
        return NULL;
}

/* ---- bridges ---------------------------------------------------------------------------------- */

static void bridge_mac(const char *name, uint8_t mac[6]) {
        uint64_t h = np_hash64(name, strlen(name));

        for (size_t i = 0; i < 6; i++)
                mac[i] = (uint8_t) (h >> (8 * i));
        mac[0] = (uint8_t) ((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}

static char *route_localnet_key(const char *bridge) {
        char *k;
        if (asprintf(&k, "net/ipv4/conf/%s/route_localnet", bridge) < 0)
                return NULL;
        return k;
}

static int forwarding_on(struct netplug *np, int family) {
        return np_sysctl_set(np, family == AF_INET6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward",
                             "1");
}

int netplug_bridge_up(struct netplug *np, const struct bridge_config *b, char **ret_error) {
        _cleanup_free_ char *alias = NULL, *rl_key = NULL;
        bool new_entry = false, listed_now = false, created_now = false;
        struct np_bridge *nb;
        struct nl_link l;
        char a[80];
        int r, k;

        if (!b || !b->name || strlen(b->name) == 0 || strlen(b->name) > NETPLUG_IFNAME_MAX ||
            (b->address.family != AF_INET && b->address.family != AF_INET6))
                return fail(ret_error, -EINVAL, NULL, "bring up bridge %s",
                            b && b->name ? b->name : "(null)");

        nb = np_bridge_find(np, b->name);
        if (!nb) {
                nb = calloc(1, sizeof(*nb));
                if (!nb || !(nb->name = strdup(b->name))) {
                        free(nb);
                        return -ENOMEM;
                }
                new_entry = true;
        }

        r = nl_link_get(np->nl, b->name, &l);
        if (r == -ENODEV) {
                uint8_t mac[6];

                /* A fixed MAC: a bridge takes the lowest MAC of its ports otherwise, and would
                 * change it under the containers' ARP caches as veths come and go. */
                bridge_mac(b->name, mac);
                r = nl_bridge_create(np->nl, b->name, mac);
                if (r < 0) {
                        r = fail(ret_error, r, nl_extack(np->nl), "create bridge %s", b->name);
                        goto fail;
                }
                created_now = true;
                r = nl_link_get(np->nl, b->name, &l);
                if (r < 0) {
                        r = fail(ret_error, r, nl_extack(np->nl), "look up bridge %s", b->name);
                        goto fail;
                }
                if (asprintf(&alias, "%s bridge", np->table) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = nl_link_set_alias(np->nl, l.ifindex, NULL, alias);
                if (r < 0) {
                        r = fail(ret_error, r, nl_extack(np->nl), "mark bridge %s", b->name);
                        goto fail;
                }
                nb->created = true;
        } else if (r < 0) {
                r = fail(ret_error, r, nl_extack(np->nl), "look up link %s", b->name);
                goto fail;
        } else if (!streq(l.kind, "bridge")) {
                r = conflict(ret_error, -EEXIST, "link %s exists and is not a bridge (%s)", b->name,
                             *l.kind ? l.kind : "no kind");
                goto fail;
        } else if (alias_is_ours(np, l.alias))
                nb->created = true;

        /* A reload that changed the address: take ours off first. */
        if (nb->addr_added &&
            (nb->address.family != b->address.family || nb->address.prefixlen != b->address.prefixlen ||
             memcmp(&nb->address.addr, &b->address.addr, np_addr_len(b->address.family)) != 0)) {
                k = nl_addr_delete(np->nl, l.ifindex, &nb->address);
                log_debug_errno(k, "netplug: removed old address %s of bridge %s: %m",
                                np_cidr_to_string(&nb->address, a, sizeof(a)), b->name);
                nb->addr_added = false;
        }

        r = nl_addr_has(np->nl, l.ifindex, &b->address);
        if (r < 0) {
                r = fail(ret_error, r, nl_extack(np->nl), "read the addresses of bridge %s", b->name);
                goto fail;
        }
        if (r == 0) {
                r = nl_addr_add(np->nl, l.ifindex, &b->address);
                if (r < 0 && r != -EEXIST) {
                        r = fail(ret_error, r, nl_extack(np->nl), "add address %s to bridge %s",
                                 np_cidr_to_string(&b->address, a, sizeof(a)), b->name);
                        goto fail;
                }
                if (r >= 0)
                        nb->addr_added = true;
        }

        if (!(l.flags & IFF_UP)) {
                r = nl_link_set_up(np->nl, l.ifindex);
                if (r < 0) {
                        r = fail(ret_error, r, nl_extack(np->nl), "bring up bridge %s", b->name);
                        goto fail;
                }
        }

        if (nb->address.family != b->address.family)
                np_leases_free(nb); /* read for the other family */
        nb->address = b->address;
        nb->nat = b->nat;
        if (new_entry) {
                struct np_bridge **p = realloc(np->bridges, (np->n_bridges + 1) * sizeof(*p));
                if (!p) {
                        r = -ENOMEM;
                        goto fail;
                }
                np->bridges = p;
                np->bridges[np->n_bridges++] = nb;
                listed_now = true;
        }

        /* The rules first: they guard route_localnet. */
        r = rebuild(np, ret_error);
        if (r < 0)
                goto fail;

        if (b->address.family == AF_INET) {
                rl_key = route_localnet_key(b->name);
                if (!rl_key) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = np_sysctl_set(np, rl_key, "1");
                if (r < 0) {
                        r = fail(ret_error, r, NULL, "set net.ipv4.conf.%s.route_localnet", b->name);
                        goto fail;
                }
        }
        if (b->nat) {
                r = forwarding_on(np, b->address.family);
                if (r < 0) {
                        r = fail(ret_error, r, NULL, "switch on forwarding for bridge %s", b->name);
                        goto fail;
                }
        }

        log_debug("netplug: bridge %s up (%s, %s%s)", b->name, np_cidr_to_string(&b->address, a, sizeof(a)),
                  nb->created ? "ours" : "adopted", b->nat ? ", NAT" : "");
        return 0;

fail:
        if (!new_entry) {
                /* Known before this call: it stays listed; a link remade just now stays too, it
                 * carries our mark and goes at shutdown. */
                return r;
        }
        /* route_localnet goes back before the rules that guard it leave. */
        if (rl_key)
                (void) np_sysctl_restore(np, rl_key, false);
        if (listed_now) {
                np->n_bridges--;
                (void) rebuild(np, NULL);
        }
        if (created_now)
                (void) nl_link_delete_by_name(np->nl, b->name);
        else if (nb->addr_added)
                (void) nl_addr_delete(np->nl, l.ifindex, &b->address);
        bridge_free(nb);
        return r;
}

static bool bridge_in_use(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_units; i++)
                if (streq(np->units[i]->bridge, name))
                        return true;
        return false;
}

/* Deletes or gives back one bridge; the caller rebuilds the table. */
static int bridge_release(struct netplug *np, struct np_bridge *b) {
        _cleanup_free_ char *key = route_localnet_key(b->name);
        int r = 0, k;

        if (b->created) {
                r = nl_link_delete_by_name(np->nl, b->name);
                if (r == -ENODEV)
                        r = 0;
                log_debug_errno(r, "netplug: deleted bridge %s: %m", b->name);
        } else if (b->addr_added) {
                struct nl_link l;
                if (nl_link_get(np->nl, b->name, &l) >= 0) {
                        r = nl_addr_delete(np->nl, l.ifindex, &b->address);
                        if (r == -EADDRNOTAVAIL || r == -ENOENT)
                                r = 0;
                }
        }
        if (key) {
                k = np_sysctl_restore(np, key, false);
                if (r == 0)
                        r = k;
        }
        return r;
}

int netplug_bridge_down(struct netplug *np, const char *name) {
        struct np_bridge *b = np_bridge_find(np, name);
        int r, k;

        if (!b)
                return 0;
        if (bridge_in_use(np, name))
                return -EBUSY;

        /* route_localnet is restored before the rules that guard it leave with the update. */
        k = bridge_release(np, b);
        bridge_forget(np, b);
        r = rebuild(np, NULL);
        return r < 0 ? r : k;
}

/* ---- units ------------------------------------------------------------------------------------- */

static int port_probe(const struct port_map *p, int family) {
        _cleanup_close_ int fd = -EBADF;
        int type = p->protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
        int one = 1;
        union {
                struct sockaddr sa;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
        } sa = {};
        socklen_t salen;

        fd = socket(family, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* SO_REUSEADDR lets TIME_WAIT leftovers through, but not a listener. */
        if (type == SOCK_STREAM)
                (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6) {
                (void) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
                sa.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6, .sin6_port = htons(p->host_port)};
                salen = sizeof(sa.in6);
        } else {
                sa.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(p->host_port)};
                salen = sizeof(sa.in);
        }
        if (bind(fd, &sa.sa, salen) < 0)
                return -errno;
        return 0;
}

static const char *proto_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

static int check_ports(struct netplug *np, const char *unit, const struct unit_config *c, int family,
                       char **ret_error) {
        for (size_t i = 0; i < c->n_ports; i++) {
                const struct port_map *p = &c->ports[i];
                const struct netplug_unit *other;
                int r;

                for (size_t j = 0; j < i; j++)
                        if (c->ports[j].host_port == p->host_port && c->ports[j].protocol == p->protocol)
                                return conflict(ret_error, -EINVAL, "host port %u/%s is published twice",
                                                p->host_port, proto_name(p->protocol));
                other = port_user(np, p);
                if (other)
                        return conflict(ret_error, -EADDRINUSE,
                                        "host port %u/%s is already published by unit %s", p->host_port,
                                        proto_name(p->protocol), other->name);
                r = port_probe(p, family);
                if (r == -EADDRINUSE)
                        return conflict(ret_error, r, "host port %u/%s is in use", p->host_port,
                                        proto_name(p->protocol));
                if (r < 0)
                        return fail(ret_error, r, NULL, "check host port %u/%s", p->host_port,
                                    proto_name(p->protocol));
        }
        return 0;
}

/* Whether @a may be handed to @unit on @b: a host address of the subnet, not the bridge's own,
 * not held by another unit up, not leased to another unit. */
static bool address_free_for(const struct netplug *np, const struct np_bridge *b, const struct ip_addr *a,
                             const char *unit) {
        struct ip_addr bridge, net;
        const struct np_lease *l;

        np_cidr_addr(&b->address, &bridge);
        np_cidr_network(&b->address, &net);
        if (!np_cidr_contains(&b->address, a) || np_addr_equal(a, &bridge) || np_addr_equal(a, &net) ||
            np_addr_is_broadcast(&b->address, a))
                return false;
        if (address_user(np, b->name, a, unit))
                return false;
        l = np_lease_by_addr(b, a);
        return !l || streq(l->unit, unit);
}

static int take_address(struct netplug *np, struct np_bridge *b, const char *unit,
                        const struct unit_config *c, struct cidr *ret, char **ret_error) {
        struct ip_addr a, net;
        char s[64];
        int r;

        r = np_leases_load(np, b);
        if (r < 0)
                return fail(ret_error, r, NULL, "read the leases of bridge %s", b->name);

        if (!c->address_auto) {
                const struct netplug_unit *other;

                struct ip_addr bridge;

                np_cidr_addr(&c->address, &a);
                np_cidr_addr(&b->address, &bridge);
                np_cidr_network(&b->address, &net);
                if (!np_cidr_contains(&b->address, &a) ||
                    (c->address.prefixlen != 0 && c->address.prefixlen != b->address.prefixlen))
                        return conflict(ret_error, -EINVAL, "address %s is not in the subnet of bridge %s",
                                        np_addr_to_string(&a, s, sizeof(s)), b->name);
                if (np_addr_equal(&a, &bridge) || np_addr_equal(&a, &net) ||
                    np_addr_is_broadcast(&b->address, &a))
                        return conflict(ret_error, -EINVAL,
                                        "address %s is the bridge's own, or the subnet's network or "
                                        "broadcast address",
                                        np_addr_to_string(&a, s, sizeof(s)));
                other = address_user(np, b->name, &a, unit);
                if (other)
                        return conflict(ret_error, -EADDRINUSE, "address %s is already used by unit %s",
                                        np_addr_to_string(&a, s, sizeof(s)), other->name);
                /* A static address takes over a lease of a unit that is not up: that unit gets the
                 * lowest free address at its next start. Recording it keeps "auto" units off it. */
        } else {
                const struct np_lease *l = np_lease_by_unit(b, unit);
                bool found = false;

                if (l && address_free_for(np, b, &l->addr, unit)) {
                        a = l->addr;
                        found = true;
                }
                /* Lowest free: at most one candidate per lease and per unit up is taken, so the
                 * search ends within n_leases + n_units + 1 steps, however large the subnet. */
                np_cidr_network(&b->address, &net);
                for (uint64_t i = 1; !found && i <= b->n_leases + np->n_units + 2; i++) {
                        if (!np_addr_add(&net, i, &a) || !np_cidr_contains(&b->address, &a) ||
                            np_addr_is_broadcast(&b->address, &a))
                                break;
                        found = address_free_for(np, b, &a, unit);
                }
                if (!found)
                        return conflict(ret_error, -ENOSPC,
                                        "no free address left in the subnet of bridge %s", b->name);
        }

        r = np_lease_set(np, b, unit, &a);
        if (r < 0)
                return fail(ret_error, r, NULL, "record the lease of %s for unit %s",
                            np_addr_to_string(&a, s, sizeof(s)), unit);

        *ret = (struct cidr){.family = a.family, .prefixlen = b->address.prefixlen};
        memcpy(&ret->addr, &a.addr, np_addr_len(a.family));
        return 0;
}

/* The container's MAC follows its address, as Docker's does: a restarted unit comes back with
 * the same MAC, and neighbours' ARP entries for it stay right. */
static void unit_mac(const struct cidr *a, uint8_t mac[6]) {
        const uint8_t *p = (const uint8_t *) &a->addr + np_addr_len(a->family) - 4;

        mac[0] = 0x02;
        mac[1] = 0x53;
        memcpy(mac + 2, p, 4);
}

/* *ret_peer_ifindex: eth0's ifindex in the container, 0 when unknown. */
static int veth_create(struct netplug *np, struct netplug_unit *u, const struct nl_link *br, int netns_fd,
                       int *ret_peer_ifindex, char **ret_error) {
        char alias[IFALIASZ];
        uint8_t mac[6];
        int r;

        unit_mac(&u->address, mac);
        r = nl_veth_create(np->nl, u->ifname, br->mtu, br->ifindex, CONTAINER_IFNAME, netns_fd, mac,
                           ret_peer_ifindex);
        if (r == -EEXIST) {
                struct nl_link old;

                /* Left by an earlier run of this instance (its unit_down could not finish):
                 * ours to replace. Anything else of that name is not. */
                if (nl_link_get(np->nl, u->ifname, &old) >= 0) {
                        if (!alias_is_ours(np, old.alias) || !streq(old.kind, "veth"))
                                return conflict(ret_error, -EEXIST, "create veth %s: %s", u->ifname,
                                                "a link of that name exists, not made by this supd");
                        (void) nl_link_delete(np->nl, old.ifindex);
                        r = nl_veth_create(np->nl, u->ifname, br->mtu, br->ifindex, CONTAINER_IFNAME,
                                           netns_fd, mac, ret_peer_ifindex);
                }
        }
        if (r < 0)
                return fail(ret_error, r, nl_extack(np->nl), "create veth %s with %s in the container",
                            u->ifname, CONTAINER_IFNAME);

        snprintf(alias, sizeof(alias), "%s unit %s", np->table, u->name);
        r = nl_link_set_alias(np->nl, 0, u->ifname, alias);
        if (r < 0)
                return fail(ret_error, r, nl_extack(np->nl), "mark veth %s", u->ifname);
        return 0;
}

/* lo up, eth0 up, its address and the default route, over a NETLINK_ROUTE socket made inside the
 * container's namespace (and closed at once: it would keep the namespace alive). @eth_ifindex: eth0's
 * ifindex there, 0 when unknown (looked up then). */
static int container_setup(struct netplug *np, const struct netplug_unit *u, int eth_ifindex,
                           const struct ip_addr *gw, int netns_fd, char **ret_error) {
        _cleanup_(nl_detachp) struct nl_sock *nl = np->nl_inside;
        enum nl_inside_step step = NL_INSIDE_LO_UP;
        char s[80];
        int r;

        r = nl_attach_in_netns(nl, netns_fd, np->home_netns_fd);
        if (r < 0)
                return fail(ret_error, r, NULL, "open rtnetlink in the container's network namespace");

        if (eth_ifindex <= 0) {
                struct nl_link eth;

                r = nl_link_get(nl, CONTAINER_IFNAME, &eth);
                if (r < 0)
                        return fail(ret_error, r, nl_extack(nl), "look up %s in the container",
                                    CONTAINER_IFNAME);
                eth_ifindex = eth.ifindex;
        }

        r = nl_configure_inside(nl, eth_ifindex, &u->address, gw, &step);
        if (r >= 0)
                return 0;
        switch (step) {
        case NL_INSIDE_LO_UP:
                return fail(ret_error, r, nl_extack(nl), "bring up lo in the container");
        case NL_INSIDE_LINK_UP:
                return fail(ret_error, r, nl_extack(nl), "bring up %s in the container", CONTAINER_IFNAME);
        case NL_INSIDE_ADDRESS:
                return fail(ret_error, r, nl_extack(nl), "add address %s to %s in the container",
                            np_cidr_to_string(&u->address, s, sizeof(s)), CONTAINER_IFNAME);
        default:
                return fail(ret_error, r, nl_extack(nl), "add the default route via %s in the container",
                            np_addr_to_string(gw, s, sizeof(s)));
        }
}

/* One allocation for the unit, its ports and names: each page written while the unit's first
 * process shares supd's memory is a fault. */
static struct netplug_unit *unit_alloc(const char *name, const char *bridge, const struct unit_config *c) {
        size_t ln = strlen(name) + 1, lb = strlen(bridge) + 1;
        struct netplug_unit *u;
        char *p;

        u = calloc(1, sizeof(*u) + c->n_ports * sizeof(*u->ports) + ln + lb);
        if (!u)
                return NULL;
        u->ports = (struct port_map *) (u + 1);
        if (c->n_ports > 0)
                memcpy(u->ports, c->ports, c->n_ports * sizeof(*u->ports));
        u->n_ports = c->n_ports;
        p = (char *) (u->ports + c->n_ports);
        u->name = memcpy(p, name, ln);
        u->bridge = memcpy(p + ln, bridge, lb);
        netplug_link_name(name, u->ifname);
        return u;
}

int netplug_unit_up(struct netplug *np, const char *unit, const struct unit_config *c,
                    const struct bridge_config *b, int netns_fd, struct netplug_unit **ret,
                    char **ret_error) {
        _cleanup_(netplug_unit_freep) struct netplug_unit *u = NULL;
        struct np_bridge *nb;
        struct ip_addr gw;
        struct nl_link br;
        bool veth = false;
        int eth_ifindex = 0, r, k;

        if (!unit || !unit_name_is_valid(unit))
                return conflict(ret_error, -EINVAL, "invalid unit name");
        if (!c || !b || !c->bridge || !streq(c->bridge, b->name))
                return conflict(ret_error, -EINVAL, "unit %s: no bridge, or not the one given", unit);
        if (netns_fd < 0)
                return conflict(ret_error, -EBADF, "unit %s: no network namespace", unit);
        if (unit_find(np, unit))
                return conflict(ret_error, -EBUSY, "unit %s is already plugged in", unit);

        nb = np_bridge_find(np, b->name);
        if (!nb) {
                r = netplug_bridge_up(np, b, ret_error);
                if (r < 0)
                        return r;
                nb = np_bridge_find(np, b->name);
                assert(nb);
        }

        if (!c->gateway_set)
                np_cidr_addr(&nb->address, &gw);
        else if (c->gateway.family == nb->address.family)
                gw = c->gateway;
        else
                return conflict(ret_error, -EINVAL, "Gateway= is not of the address family of bridge %s",
                                nb->name);

        u = unit_alloc(unit, b->name, c);
        if (!u)
                return -ENOMEM;

        r = check_ports(np, unit, c, nb->address.family, ret_error);
        if (r < 0)
                return r;

        r = take_address(np, nb, unit, c, &u->address, ret_error);
        if (r < 0)
                return r;
        np_cidr_to_string(&u->address, u->address_str, sizeof(u->address_str));

        r = nl_link_get(np->nl, nb->name, &br);
        if (r == -ENODEV) {
                /* Deleted behind our back since netplug_bridge_up(): make it again. */
                nb->addr_added = false;
                r = netplug_bridge_up(np, b, ret_error);
                if (r < 0)
                        goto fail;
                r = nl_link_get(np->nl, nb->name, &br);
        }
        if (r < 0) {
                r = fail(ret_error, r, nl_extack(np->nl), "look up bridge %s", nb->name);
                goto fail;
        }

        r = veth_create(np, u, &br, netns_fd, &eth_ifindex, ret_error);
        if (r < 0)
                goto fail;
        veth = true;

        r = container_setup(np, u, eth_ifindex, &gw, netns_fd, ret_error);
        if (r < 0)
                goto fail;

        r = units_add(np, u);
        if (r < 0)
                goto fail;
        u->np = np;

        if (u->n_ports > 0) {
                /* DNAT from other hosts is forwarded traffic, whatever the bridge's NAT=. */
                r = forwarding_on(np, nb->address.family);
                if (r < 0) {
                        r = fail(ret_error, r, NULL, "switch on forwarding for the ports of unit %s", unit);
                        goto fail;
                }
                r = ports_update(np, u, true, ret_error);
                if (r < 0)
                        goto fail;
        }

        log_debug("netplug: unit %s plugged into %s as %s (%s)", unit, nb->name, u->ifname, u->address_str);
        *ret = TAKE_PTR(u);
        return 0;

fail:
        if (u->up) {
                units_remove(np, u);
                if (u->n_ports > 0)
                        (void) rebuild(np, NULL);
        }
        u->np = NULL;
        if (veth) {
                k = nl_link_delete_by_name(np->nl, u->ifname);
                log_debug_errno(k, "netplug: undo: deleted veth %s: %m", u->ifname);
        }
        return r;
}

int netplug_lo_up(struct netplug *np, int netns_fd) {
        _cleanup_(nl_detachp) struct nl_sock *nl = np->nl_inside;
        int r;

        r = nl_attach_in_netns(nl, netns_fd, np->home_netns_fd);
        if (r < 0)
                return r;
        return nl_link_set_up(nl, 1);
}

int netplug_unit_down(struct netplug *np, struct netplug_unit *u) {
        int r = 0, k;

        if (!u || !u->up)
                return 0;
        if (!np)
                np = u->np;
        if (!np) {
                u->up = false;
                return 0;
        }

        units_remove(np, u);
        r = ports_update(np, u, false, NULL);

        /* Deleting one end deletes the pair. The namespace may have taken it already. */
        k = nl_link_delete_by_name(np->nl, u->ifname);
        if (k == -ENODEV)
                k = 0;
        log_debug_errno(k, "netplug: unit %s unplugged (%s): %m", u->name, u->ifname);
        return r < 0 ? r : k;
}

struct netplug_unit *netplug_unit_free(struct netplug_unit *u) {
        if (!u)
                return NULL;
        if (u->up)
                (void) netplug_unit_down(u->np, u);
        free(u); /* its names and ports with it */
        return NULL;
}

const char *netplug_unit_address(const struct netplug_unit *u) {
        return u->address_str;
}

const char *netplug_unit_ifname(const struct netplug_unit *u) {
        return u->ifname;
}

const struct port_map *netplug_unit_ports(const struct netplug_unit *u, size_t *ret_n) {
        if (ret_n)
                *ret_n = u->n_ports;
        return u->ports;
}

int netplug_lease_lookup(struct netplug *np, const char *bridge, const char *unit, struct cidr *ret) {
        struct np_bridge *b = np_bridge_find(np, bridge);
        const struct np_lease *l;
        int r;

        if (!b)
                return -ENOENT;
        r = np_leases_load(np, b);
        if (r < 0)
                return r;
        l = np_lease_by_unit(b, unit);
        if (!l)
                return -ENOENT;
        *ret = (struct cidr){.family = l->addr.family, .prefixlen = b->address.prefixlen};
        memcpy(&ret->addr, &l->addr.addr, np_addr_len(l->addr.family));
        return 0;
}

/* ---- start and stop ------------------------------------------------------------------------------ */

int netplug_cleanup_stale(struct netplug *np, char *const *unit_names) {
        int n = 0;

        STRV_FOREACH (name, unit_names) {
                char ifname[NETPLUG_IFNAME_MAX + 1];
                struct nl_link l;

                if (unit_find(np, *name))
                        continue;
                netplug_link_name(*name, ifname);
                /* The name alone does not make it ours: another instance on this host may run a
                 * unit of the same name. Only our mark does. */
                if (nl_link_get(np->nl, ifname, &l) < 0 || !streq(l.kind, "veth") ||
                    !alias_is_ours(np, l.alias))
                        continue;
                if (nl_link_delete(np->nl, l.ifindex) >= 0) {
                        log_debug("netplug: deleted stale veth %s", ifname);
                        n++;
                }
        }
        return n;
}

int netplug_shutdown(struct netplug *np) {
        int r = 0, k;

        /* Units first, without a table update each: the table goes whole below. */
        while (np->n_units > 0) {
                struct netplug_unit *u = np->units[np->n_units - 1];

                units_remove(np, u);
                k = nl_link_delete_by_name(np->nl, u->ifname);
                if (k < 0 && k != -ENODEV && r == 0)
                        r = k;
        }

        /* Bridges before the table: route_localnet goes back before its guard rules leave. */
        while (np->n_bridges > 0) {
                struct np_bridge *b = np->bridges[np->n_bridges - 1];

                k = bridge_release(np, b);
                if (k < 0 && r == 0)
                        r = k;
                bridge_forget(np, b);
        }

        k = table_delete(np);
        if (k < 0 && r == 0)
                r = k;

        /* Forwarding stays on while another instance is here: it may be what its NAT needs. */
        k = np_sysctl_restore(np, NULL, nft_other_instances(np));
        if (k < 0 && r == 0)
                r = k;

        log_debug_errno(r, "netplug: instance %s shut down: %m", np->instance);
        return r;
}
