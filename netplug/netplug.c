/* SPDX-License-Identifier: MIT */

/* The netplug object: the instance's names and marks, its sockets, the clean-up of a killed
 * predecessor, and shutdown; and the error messages every step writes. Bridges are in bridge.c,
 * units in unit.c, the table in nft.c. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "log.h"
#include "macro.h"
#include "string-util.h"
#include "netplug-internal.h"

#define INSTANCE_MAX        40
#define INSTANCE_PREFIX_MAX (INSTANCE_MAX - 17) /* room for "-" and 16 hex digits */

/* ---- messages ------------------------------------------------------------------------------ */

/* Sets *ret_error to "WHAT: strerror[ (kernel's extended ack)]" and returns @r. */
int np_fail(char **ret_error, int r, const char *extack, const char *fmt, ...) {
        _cleanup_free_ char *what = NULL;
        va_list ap;
        int k;

        va_start(ap, fmt);
        what = vstrprintf(fmt, ap);
        va_end(ap);
        if (!what)
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
int np_conflict(char **ret_error, int r, const char *fmt, ...) {
        char *m;
        va_list ap;

        va_start(ap, fmt);
        m = vstrprintf(fmt, ap);
        va_end(ap);
        if (!m)
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
                         fnv1a_64(unit, l) & UINT64_C(0xffffff));
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
        snprintf(r + l, INSTANCE_MAX + 1 - l, "-%016" PRIx64, fnv1a_64_str(s));
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

bool np_alias_is_ours(const struct netplug *np, const char *alias) {
        const char *s = startswith(alias, np->table);
        return s && (*s == '\0' || *s == ' ');
}

/* ---- a predecessor's links ------------------------------------------------------------------- */

struct marked_links {
        const struct netplug *np;
        int *veths, *bridges;
        size_t n_veths, n_bridges;
};

static int push_index(int **a, size_t *n, int ifindex) {
        int *p = realloc(*a, (*n + 1) * sizeof(int));
        if (!p)
                return -ENOMEM;
        *a = p;
        p[(*n)++] = ifindex;
        return 0;
}

/* A veth of a unit up in @np is its own (an adopted one, say); any other carrying the mark is
 * stale. */
static bool veth_of_unit_up(const struct netplug *np, const char *ifname) {
        for (size_t i = 0; i < np->n_units; i++)
                if (streq(np->units[i]->ifname, ifname))
                        return true;
        return false;
}

static int marked_link_cb(const struct nl_link *l, void *userdata) {
        struct marked_links *m = userdata;
        int r = 0;

        if (!np_alias_is_ours(m->np, l->alias))
                return 0;
        if (streq(l->kind, "veth") && !veth_of_unit_up(m->np, l->name))
                r = push_index(&m->veths, &m->n_veths, l->ifindex);
        else if (streq(l->kind, "bridge"))
                r = push_index(&m->bridges, &m->n_bridges, l->ifindex);
        return r;
}

/* Deletes the veths carrying this instance's mark but those of units up, then (@bridges) the
 * bridges carrying it. Links are collected first and deleted after the dump: requests never nest.
 * Returns the number of links deleted. */
static int remove_marked_links(struct netplug *np, bool bridges) {
        struct marked_links m = {.np = np};
        int r, n = 0;

        r = nl_link_foreach(np->nl, marked_link_cb, &m);
        if (r >= 0) {
                for (size_t i = 0; i < m.n_veths; i++) {
                        int k = nl_link_delete(np->nl, m.veths[i]);
                        log_debug_errno(k, "netplug: deleted veth %d left by a predecessor: %m", m.veths[i]);
                        n += k >= 0;
                }
                for (size_t i = 0; bridges && i < m.n_bridges; i++) {
                        int k = nl_link_delete(np->nl, m.bridges[i]);
                        log_debug_errno(k, "netplug: deleted bridge %d left by a predecessor: %m",
                                        m.bridges[i]);
                        n += k >= 0;
                }
        }
        free(m.veths);
        free(m.bridges);
        return r < 0 ? r : n;
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

int netplug_new(const char *instance, const char *state_dir, const char *runtime_dir, unsigned flags,
                struct netplug **ret) {
        _cleanup_(netplug_freep) struct netplug *np = NULL;
        int r;

        if (flags & ~(unsigned) NETPLUG_ADOPT)
                return -EINVAL;
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

        if (flags & NETPLUG_ADOPT) {
                /* Its units live on with their veths, their ports in its table and the sysctls it
                 * set: all stays until netplug_sweep(). Its record of the sysctls' old values
                 * becomes ours, so that shutdown restores those and not the current ones. */
                np->adopting = true;
                r = np_sysctl_take_over(np);
                if (r < 0)
                        log_debug_errno(r, "netplug: could not take over a predecessor's sysctl record, "
                                           "ignoring: %m");
        } else {
                /* What a killed predecessor left: put the sysctls back first (route_localnet must
                 * not outlive the rules that guard it), then its links, then its table. */
                r = np_sysctl_restore_stale(np, nft_other_instances(np));
                if (r < 0)
                        log_debug_errno(r,
                                        "netplug: could not restore a predecessor's sysctls, ignoring: %m");
                r = remove_marked_links(np, true);
                if (r < 0)
                        return r;
                r = np_table_delete(np);
                if (r < 0)
                        return r;
        }

        log_debug("netplug: instance %s ready (table inet %s)%s", np->instance, np->table,
                  np->adopting ? ", adopting" : "");
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
                np_bridge_free(np->bridges[i]);
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

/* ---- crash clean-up and shutdown ------------------------------------------------------------------ */

int netplug_cleanup_stale(struct netplug *np, char *const *unit_names) {
        int n = 0;

        STRV_FOREACH (name, unit_names) {
                char ifname[NETPLUG_IFNAME_MAX + 1];
                struct nl_link l;

                if (np_unit_find(np, *name))
                        continue;
                netplug_link_name(*name, ifname);
                /* The name alone does not make it ours: another instance on this host may run a
                 * unit of the same name. Only our mark does. */
                if (nl_link_get(np->nl, ifname, &l) < 0 || !streq(l.kind, "veth") ||
                    !np_alias_is_ours(np, l.alias))
                        continue;
                if (nl_link_delete(np->nl, l.ifindex) >= 0) {
                        log_debug("netplug: deleted stale veth %s", ifname);
                        n++;
                }
        }
        return n;
}

int netplug_sweep(struct netplug *np, char **ret_error) {
        int n, r;

        n = remove_marked_links(np, false);
        if (n < 0)
                return np_fail(ret_error, n, nl_extack(np->nl), "list the links");

        /* route_localnet of a bridge no longer configured goes back before its guard rules
         * leave with the table below. */
        np_bridges_restore_unknown(np);

        /* The predecessor's table, or ours when a unit's ports have replaced it already, becomes
         * what np knows: its bridges, and the ports of the units up. */
        np->adopting = false;
        r = np_table_rebuild(np, ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < np->n_bridges; i++) {
                r = np_bridge_settle(np, np->bridges[i], ret_error);
                if (r < 0)
                        return r;
        }

        log_debug("netplug: swept after adoption: %d stale veth(s) deleted, %zu unit(s) kept", n,
                  np->n_units);
        return n;
}

int netplug_shutdown(struct netplug *np) {
        int r = 0, k;

        /* Units first, without a table update each: the table goes whole below. */
        while (np->n_units > 0) {
                struct netplug_unit *u = np->units[np->n_units - 1];

                np_units_remove(np, u);
                k = nl_link_delete_by_name(np->nl, u->ifname);
                if (k < 0 && k != -ENODEV && r == 0)
                        r = k;
        }

        /* Bridges before the table: route_localnet goes back before its guard rules leave. */
        while (np->n_bridges > 0) {
                struct np_bridge *b = np->bridges[np->n_bridges - 1];

                k = np_bridge_release(np, b);
                if (k < 0 && r == 0)
                        r = k;
                np_bridge_forget(np, b);
        }

        k = np_table_delete(np);
        if (k < 0 && r == 0)
                r = k;

        /* Forwarding stays on while another instance is here: it may be what its NAT needs. */
        k = np_sysctl_restore(np, NULL, nft_other_instances(np));
        if (k < 0 && r == 0)
                r = k;

        log_debug_errno(r, "netplug: instance %s shut down: %m", np->instance);
        return r;
}
