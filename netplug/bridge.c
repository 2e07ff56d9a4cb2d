/* SPDX-License-Identifier: MIT */

/* Bridges: made or adopted, given their address, their NAT rules and route_localnet; released at
 * shutdown or when the configuration drops them. */

#include <errno.h>
#include <linux/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hash.h"
#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

struct np_bridge *np_bridge_find(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_bridges; i++)
                if (streq(np->bridges[i]->name, name))
                        return np->bridges[i];
        return NULL;
}

void np_bridge_free(struct np_bridge *b) {
        if (!b)
                return;
        np_leases_free(b);
        free(b->name);
        free(b);
}

void np_bridge_forget(struct netplug *np, struct np_bridge *b) {
        for (size_t i = 0; i < np->n_bridges; i++)
                if (np->bridges[i] == b) {
                        memmove(np->bridges + i, np->bridges + i + 1, (np->n_bridges - i - 1) * sizeof(b));
                        np->n_bridges--;
                        break;
                }
        np_bridge_free(b);
}

static void bridge_mac(const char *name, uint8_t mac[6]) {
        uint64_t h = fnv1a_64_str(name);

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

int np_forwarding_on(struct netplug *np, int family) {
        return np_sysctl_set(np, family == AF_INET6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward",
                             "1");
}

int np_bridge_settle(struct netplug *np, const struct np_bridge *b, char **ret_error) {
        int r;

        if (b->address.family == AF_INET) {
                _cleanup_free_ char *key = route_localnet_key(b->name);

                if (!key)
                        return -ENOMEM;
                r = np_sysctl_set(np, key, "1");
                if (r < 0)
                        return np_fail(ret_error, r, NULL, "set net.ipv4.conf.%s.route_localnet", b->name);
        }
        if (b->nat) {
                r = np_forwarding_on(np, b->address.family);
                if (r < 0)
                        return np_fail(ret_error, r, NULL, "switch on forwarding for bridge %s", b->name);
        }
        return 0;
}

void np_bridges_restore_unknown(struct netplug *np) {
        for (size_t i = 0; i < np->n_sysctls;) {
                const char *name = startswith(np->sysctls[i].key, "net/ipv4/conf/");
                char key[IFNAMSIZ + STRLEN("net/ipv4/conf//route_localnet")];
                char bridge[IFNAMSIZ];
                size_t l = name ? strcspn(name, "/") : 0;

                if (!name || l == 0 || l >= sizeof(bridge) || !streq(name + l, "/route_localnet")) {
                        i++;
                        continue;
                }
                memcpy(bridge, name, l);
                bridge[l] = '\0';
                if (np_bridge_find(np, bridge)) {
                        i++;
                        continue;
                }
                /* A copy: restoring frees the entry, and the ones after it move down to i. */
                snprintf(key, sizeof(key), "%s", np->sysctls[i].key);
                log_debug("netplug: bridge %s is not configured any more, restoring its route_localnet",
                          bridge);
                (void) np_sysctl_restore(np, key, false);
        }
}

/* The bridge's link in @ret: an existing bridge is adopted (a link of another kind is not ours to
 * use), else one is made with a fixed MAC and our mark. *created turns true as soon as a link was
 * made, failure or not: the caller's undo deletes it. */
static int bridge_link(struct netplug *np, struct np_bridge *nb, struct nl_link *ret, bool *created,
                       char **ret_error) {
        _cleanup_free_ char *alias = NULL;
        uint8_t mac[6];
        int r;

        r = nl_link_get(np->nl, nb->name, ret);
        if (r == -ENODEV) {
                /* A fixed MAC: a bridge takes the lowest MAC of its ports otherwise, and would
                 * change it under the containers' ARP caches as veths come and go. */
                bridge_mac(nb->name, mac);
                r = nl_bridge_create(np->nl, nb->name, mac);
                if (r < 0)
                        return np_fail(ret_error, r, nl_extack(np->nl), "create bridge %s", nb->name);
                *created = true;
                r = nl_link_get(np->nl, nb->name, ret);
                if (r < 0)
                        return np_fail(ret_error, r, nl_extack(np->nl), "look up bridge %s", nb->name);
                if (asprintf(&alias, "%s bridge", np->table) < 0)
                        return -ENOMEM;
                r = nl_link_set_alias(np->nl, ret->ifindex, NULL, alias);
                if (r < 0)
                        return np_fail(ret_error, r, nl_extack(np->nl), "mark bridge %s", nb->name);
                nb->created = true;
        } else if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "look up link %s", nb->name);
        else if (!streq(ret->kind, "bridge"))
                return np_conflict(ret_error, -EEXIST, "link %s exists and is not a bridge (%s)", nb->name,
                                   *ret->kind ? ret->kind : "no kind");
        else if (np_alias_is_ours(np, ret->alias))
                nb->created = true;
        return 0;
}

/* @b's address on the link @l: added when missing; one this instance added before and that a
 * reload changed is taken off first. */
static int bridge_address(struct netplug *np, struct np_bridge *nb, const struct netplug_bridge_spec *b,
                          const struct nl_link *l, char **ret_error) {
        char a[NP_CIDR_STRING_MAX];
        int r;

        if (nb->addr_added &&
            (nb->address.family != b->address.family || nb->address.prefixlen != b->address.prefixlen ||
             memcmp(&nb->address.addr, &b->address.addr, np_addr_len(b->address.family)) != 0)) {
                r = nl_addr_delete(np->nl, l->ifindex, &nb->address);
                log_debug_errno(r, "netplug: removed old address %s of bridge %s: %m",
                                np_cidr_to_string(&nb->address, a, sizeof(a)), b->name);
                nb->addr_added = false;
        }

        r = nl_addr_has(np->nl, l->ifindex, &b->address);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "read the addresses of bridge %s", b->name);
        if (r > 0)
                return 0;
        r = nl_addr_add(np->nl, l->ifindex, &b->address);
        if (r == -EEXIST)
                return 0;
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "add address %s to bridge %s",
                               np_cidr_to_string(&b->address, a, sizeof(a)), b->name);
        nb->addr_added = true;
        return 0;
}

int netplug_bridge_up(struct netplug *np, const struct netplug_bridge_spec *b, char **ret_error) {
        _cleanup_free_ char *rl_key = NULL;
        bool new_entry = false, listed_now = false, created_now = false;
        struct np_bridge *nb;
        struct nl_link l = {};
        char a[NP_CIDR_STRING_MAX];
        int r;

        if (!b || !np_name_is_valid(b->name, NETPLUG_IFNAME_MAX) ||
            (b->address.family != AF_INET && b->address.family != AF_INET6))
                return np_fail(ret_error, -EINVAL, NULL, "bring up bridge %s",
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

        r = bridge_link(np, nb, &l, &created_now, ret_error);
        if (r < 0)
                goto fail;
        r = bridge_address(np, nb, b, &l, ret_error);
        if (r < 0)
                goto fail;
        if (!(l.flags & IFF_UP)) {
                r = nl_link_set_up(np->nl, l.ifindex);
                if (r < 0) {
                        r = np_fail(ret_error, r, nl_extack(np->nl), "bring up bridge %s", b->name);
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

        if (np->adopting && !np->nft_structure) {
                /* The predecessor's table stays in force, with the published ports of the units
                 * being adopted, until netplug_sweep() replaces it; route_localnet waits for the
                 * rules that guard it. */
                log_debug("netplug: bridge %s up (%s, %s%s), its rules and sysctls wait for the sweep",
                          b->name, np_cidr_to_string(&b->address, a, sizeof(a)),
                          nb->created ? "ours" : "adopted", b->nat ? ", NAT" : "");
                return 0;
        }

        /* The rules first: they guard route_localnet. */
        r = np_table_rebuild(np, ret_error);
        if (r < 0)
                goto fail;

        if (b->address.family == AF_INET) {
                rl_key = route_localnet_key(b->name);
                if (!rl_key) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = np_bridge_settle(np, nb, ret_error);
        if (r < 0)
                goto fail;

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
                (void) np_table_rebuild(np, NULL);
        }
        if (created_now)
                (void) nl_link_delete_by_name(np->nl, b->name);
        else if (nb->addr_added)
                (void) nl_addr_delete(np->nl, l.ifindex, &b->address);
        np_bridge_free(nb);
        return r;
}

static bool bridge_in_use(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_units; i++)
                if (streq(np->units[i]->bridge, name))
                        return true;
        return false;
}

int np_bridge_release(struct netplug *np, struct np_bridge *b) {
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
        k = np_bridge_release(np, b);
        np_bridge_forget(np, b);
        r = np_table_rebuild(np, NULL);
        return r < 0 ? r : k;
}
