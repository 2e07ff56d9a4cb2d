/* SPDX-License-Identifier: MIT */

/* A unit's network: its published ports checked, its address taken, the veth made with its peer
 * born in the container's namespace, the inside configured, the ports added to the maps; and all
 * of it undone. netplug_unit_up() runs while the unit's first process shares supd's memory
 * copy-on-write (README.md, "The nftables table"): what it writes, it writes on the stack or in
 * one allocation. */

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

#define CONTAINER_IFNAME "eth0"

struct netplug_unit *np_unit_find(const struct netplug *np, const char *name) {
        for (size_t i = 0; i < np->n_units; i++)
                if (streq(np->units[i]->name, name))
                        return np->units[i];
        return NULL;
}

/* The unit up on @bridge holding @a, other than @self. */
static const struct netplug_unit *address_user(const struct netplug *np, const char *bridge,
                                               const struct netplug_addr *a, const char *self) {
        for (size_t i = 0; i < np->n_units; i++) {
                const struct netplug_unit *u = np->units[i];
                struct netplug_addr x;

                if (!streq(u->bridge, bridge) || (self && streq(u->name, self)))
                        continue;
                np_cidr_addr(&u->address, &x);
                if (np_addr_equal(&x, a))
                        return u;
        }
        return NULL;
}

static const struct netplug_unit *port_user(const struct netplug *np, const struct netplug_port *p) {
        for (size_t i = 0; i < np->n_units; i++)
                for (size_t j = 0; j < np->units[i]->n_ports; j++)
                        if (np->units[i]->ports[j].host_port == p->host_port &&
                            np->units[i]->ports[j].protocol == p->protocol)
                                return np->units[i];
        return NULL;
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

void np_units_remove(struct netplug *np, struct netplug_unit *u) {
        for (size_t i = 0; i < np->n_units; i++)
                if (np->units[i] == u) {
                        memmove(np->units + i, np->units + i + 1, (np->n_units - i - 1) * sizeof(u));
                        np->n_units--;
                        break;
                }
        u->up = false;
}

static int port_probe(const struct netplug_port *p, int family) {
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

/* @probe: whether a socket bound on the host counts too. Not for a unit being adopted: its ports
 * are published already, and a socket bound since does not get their traffic. */
static int check_ports(struct netplug *np, const struct netplug_unit_spec *spec, int family, bool probe,
                       char **ret_error) {
        for (size_t i = 0; i < spec->n_ports; i++) {
                const struct netplug_port *p = &spec->ports[i];
                const struct netplug_unit *other;
                int r;

                for (size_t j = 0; j < i; j++)
                        if (spec->ports[j].host_port == p->host_port &&
                            spec->ports[j].protocol == p->protocol)
                                return np_conflict(ret_error, -EINVAL, "host port %u/%s is published twice",
                                                   p->host_port, np_proto_name(p->protocol));
                other = port_user(np, p);
                if (other)
                        return np_conflict(ret_error, -EADDRINUSE,
                                           "host port %u/%s is already published by unit %s", p->host_port,
                                           np_proto_name(p->protocol), other->name);
                if (!probe)
                        continue;
                r = port_probe(p, family);
                if (r == -EADDRINUSE)
                        return np_conflict(ret_error, r, "host port %u/%s is in use", p->host_port,
                                           np_proto_name(p->protocol));
                if (r < 0)
                        return np_fail(ret_error, r, NULL, "check host port %u/%s", p->host_port,
                                       np_proto_name(p->protocol));
        }
        return 0;
}

/* Whether @a may be handed to @unit on @b: a host address of the subnet, not the bridge's own,
 * not held by another unit up, not leased to another unit. */
static bool address_free_for(const struct netplug *np, const struct np_bridge *b,
                             const struct netplug_addr *a, const char *unit) {
        struct netplug_addr bridge, net;
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

static int record_lease(struct netplug *np, struct np_bridge *b, const char *unit,
                        const struct netplug_cidr *c, char **ret_error) {
        struct netplug_addr a;
        char s[NP_CIDR_STRING_MAX];
        int r;

        np_cidr_addr(c, &a);
        r = np_lease_set(np, b, unit, &a);
        if (r < 0)
                return np_fail(ret_error, r, NULL, "record the lease of %s for unit %s",
                               np_addr_to_string(&a, s, sizeof(s)), unit);
        return 0;
}

/* The unit's address: the static one, or with "auto" its lease when free, else the lowest free
 * address; recorded in the lease file. @adopt: the unit is up already; with "auto" its lease is
 * the address it has, and without one there is none to take (-ESTALE); nothing is recorded yet,
 * the caller does once it has checked the unit's links. */
static int take_address(struct netplug *np, struct np_bridge *b, const struct netplug_unit_spec *spec,
                        bool adopt, struct netplug_cidr *ret, char **ret_error) {
        const char *unit = spec->name;
        struct netplug_addr a, net;
        char s[64];
        int r;

        r = np_leases_load(np, b);
        if (r < 0)
                return np_fail(ret_error, r, NULL, "read the leases of bridge %s", b->name);

        if (!spec->address_auto) {
                const struct netplug_unit *other;
                struct netplug_addr bridge;

                np_cidr_addr(&spec->address, &a);
                np_cidr_addr(&b->address, &bridge);
                np_cidr_network(&b->address, &net);
                if (!np_cidr_contains(&b->address, &a) ||
                    (spec->address.prefixlen != 0 && spec->address.prefixlen != b->address.prefixlen))
                        return np_conflict(ret_error, -EINVAL,
                                           "address %s is not in the subnet of bridge %s",
                                           np_addr_to_string(&a, s, sizeof(s)), b->name);
                if (np_addr_equal(&a, &bridge) || np_addr_equal(&a, &net) ||
                    np_addr_is_broadcast(&b->address, &a))
                        return np_conflict(ret_error, -EINVAL,
                                           "address %s is the bridge's own, or the subnet's network or "
                                           "broadcast address",
                                           np_addr_to_string(&a, s, sizeof(s)));
                other = address_user(np, b->name, &a, unit);
                if (other)
                        return np_conflict(ret_error, -EADDRINUSE, "address %s is already used by unit %s",
                                           np_addr_to_string(&a, s, sizeof(s)), other->name);
                /* A static address takes over a lease of a unit that is not up: that unit gets the
                 * lowest free address at its next start. Recording it keeps "auto" units off it. */
        } else if (adopt) {
                const struct np_lease *l = np_lease_by_unit(b, unit);
                const struct netplug_unit *other;

                if (!l)
                        return np_conflict(ret_error, -ESTALE, "unit %s has no address lease on bridge %s",
                                           unit, b->name);
                a = l->addr;
                other = address_user(np, b->name, &a, unit);
                if (other)
                        return np_conflict(ret_error, -EADDRINUSE, "address %s is already used by unit %s",
                                           np_addr_to_string(&a, s, sizeof(s)), other->name);
                if (!address_free_for(np, b, &a, unit))
                        return np_conflict(ret_error, -ESTALE,
                                           "the lease of unit %s, %s, is not a host address of the subnet "
                                           "of bridge %s",
                                           unit, np_addr_to_string(&a, s, sizeof(s)), b->name);
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
                        return np_conflict(ret_error, -ENOSPC,
                                           "no free address left in the subnet of bridge %s", b->name);
        }

        *ret = (struct netplug_cidr){.family = a.family, .prefixlen = b->address.prefixlen};
        memcpy(&ret->addr, &a.addr, np_addr_len(a.family));
        return adopt ? 0 : record_lease(np, b, unit, ret, ret_error);
}

/* The container's MAC follows its address, as Docker's does: a restarted unit comes back with
 * the same MAC, and neighbours' ARP entries for it stay right. */
static void unit_mac(const struct netplug_cidr *a, uint8_t mac[6]) {
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
                        if (!np_alias_is_ours(np, old.alias) || !streq(old.kind, "veth"))
                                return np_conflict(ret_error, -EEXIST, "create veth %s: %s", u->ifname,
                                                   "a link of that name exists, not made by this supd");
                        (void) nl_link_delete(np->nl, old.ifindex);
                        r = nl_veth_create(np->nl, u->ifname, br->mtu, br->ifindex, CONTAINER_IFNAME,
                                           netns_fd, mac, ret_peer_ifindex);
                }
        }
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "create veth %s with %s in the container",
                               u->ifname, CONTAINER_IFNAME);

        snprintf(alias, sizeof(alias), "%s unit %s", np->table, u->name);
        r = nl_link_set_alias(np->nl, 0, u->ifname, alias);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "mark veth %s", u->ifname);
        return 0;
}

/* lo up, eth0 up, its address and the default route, over a NETLINK_ROUTE socket made inside the
 * container's namespace (and closed at once: it would keep the namespace alive). @eth_ifindex: eth0's
 * ifindex there, 0 when unknown (looked up then). */
static int container_setup(struct netplug *np, const struct netplug_unit *u, int eth_ifindex,
                           const struct netplug_addr *gw, int netns_fd, char **ret_error) {
        _cleanup_(nl_detachp) struct nl_sock *nl = np->nl_inside;
        enum nl_inside_step step = NL_INSIDE_LO_UP;
        char s[NP_CIDR_STRING_MAX];
        int r;

        r = nl_attach_in_netns(nl, netns_fd, np->home_netns_fd);
        if (r < 0)
                return np_fail(ret_error, r, NULL, "open rtnetlink in the container's network namespace");

        if (eth_ifindex <= 0) {
                struct nl_link eth;

                r = nl_link_get(nl, CONTAINER_IFNAME, &eth);
                if (r < 0)
                        return np_fail(ret_error, r, nl_extack(nl), "look up %s in the container",
                                       CONTAINER_IFNAME);
                eth_ifindex = eth.ifindex;
        }

        r = nl_configure_inside(nl, eth_ifindex, &u->address, gw, &step);
        if (r >= 0)
                return 0;
        switch (step) {
        case NL_INSIDE_LO_UP:
                return np_fail(ret_error, r, nl_extack(nl), "bring up lo in the container");
        case NL_INSIDE_LINK_UP:
                return np_fail(ret_error, r, nl_extack(nl), "bring up %s in the container",
                               CONTAINER_IFNAME);
        case NL_INSIDE_ADDRESS:
                return np_fail(ret_error, r, nl_extack(nl), "add address %s to %s in the container",
                               np_cidr_to_string(&u->address, s, sizeof(s)), CONTAINER_IFNAME);
        default:
                return np_fail(ret_error, r, nl_extack(nl), "add the default route via %s in the container",
                               np_addr_to_string(gw, s, sizeof(s)));
        }
}

/* One allocation for the unit, its ports and names: each page written while the unit's first
 * process shares supd's memory is a fault. */
static struct netplug_unit *unit_alloc(const struct netplug_unit_spec *spec) {
        size_t ln = strlen(spec->name) + 1, lb = strlen(spec->bridge->name) + 1;
        struct netplug_unit *u;
        char *p;

        u = calloc(1, sizeof(*u) + spec->n_ports * sizeof(*u->ports) + ln + lb);
        if (!u)
                return NULL;
        u->ports = (struct netplug_port *) (u + 1);
        if (spec->n_ports > 0)
                memcpy(u->ports, spec->ports, spec->n_ports * sizeof(*u->ports));
        u->n_ports = spec->n_ports;
        p = (char *) (u->ports + spec->n_ports);
        u->name = memcpy(p, spec->name, ln);
        u->bridge = memcpy(p + ln, spec->bridge->name, lb);
        netplug_link_name(spec->name, u->ifname);
        return u;
}

/* What netplug_unit_up() and netplug_unit_adopt() check first: the spec, that the unit is not up
 * yet, its bridge (brought up when @np does not know it) and its gateway. */
static int unit_prepare(struct netplug *np, const struct netplug_unit_spec *spec, int netns_fd,
                        struct np_bridge **ret_bridge, struct netplug_addr *ret_gw, char **ret_error) {
        const struct netplug_bridge_spec *b;
        struct np_bridge *nb;
        int r;

        if (!spec || !np_name_is_valid(spec->name, NETPLUG_NAME_MAX))
                return np_conflict(ret_error, -EINVAL, "invalid unit name");
        b = spec->bridge;
        if (!b || !b->name)
                return np_conflict(ret_error, -EINVAL, "unit %s: no bridge", spec->name);
        if (netns_fd < 0)
                return np_conflict(ret_error, -EBADF, "unit %s: no network namespace", spec->name);
        if (np_unit_find(np, spec->name))
                return np_conflict(ret_error, -EBUSY, "unit %s is already plugged in", spec->name);

        nb = np_bridge_find(np, b->name);
        if (!nb) {
                r = netplug_bridge_up(np, b, ret_error);
                if (r < 0)
                        return r;
                nb = np_bridge_find(np, b->name);
                assert(nb);
        }

        if (!spec->gateway_set)
                np_cidr_addr(&nb->address, ret_gw);
        else if (spec->gateway.family == nb->address.family)
                *ret_gw = spec->gateway;
        else
                return np_conflict(ret_error, -EINVAL,
                                   "the gateway is not of the address family of bridge %s", nb->name);
        *ret_bridge = nb;
        return 0;
}

int netplug_unit_up(struct netplug *np, const struct netplug_unit_spec *spec, int netns_fd,
                    struct netplug_unit **ret, char **ret_error) {
        _cleanup_(netplug_unit_freep) struct netplug_unit *u = NULL;
        const struct netplug_bridge_spec *b;
        const char *unit;
        struct np_bridge *nb;
        struct netplug_addr gw;
        struct nl_link br;
        bool veth = false;
        int eth_ifindex = 0, r, k;

        r = unit_prepare(np, spec, netns_fd, &nb, &gw, ret_error);
        if (r < 0)
                return r;
        unit = spec->name;
        b = spec->bridge;

        u = unit_alloc(spec);
        if (!u)
                return -ENOMEM;

        r = check_ports(np, spec, nb->address.family, true, ret_error);
        if (r < 0)
                return r;

        r = take_address(np, nb, spec, false, &u->address, ret_error);
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
                r = np_fail(ret_error, r, nl_extack(np->nl), "look up bridge %s", nb->name);
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
                r = np_forwarding_on(np, nb->address.family);
                if (r < 0) {
                        r = np_fail(ret_error, r, NULL, "switch on forwarding for the ports of unit %s",
                                    unit);
                        goto fail;
                }
                r = np_table_ports_update(np, u, true, ret_error);
                if (r < 0)
                        goto fail;
        }

        log_debug("netplug: unit %s plugged into %s as %s (%s)", unit, nb->name, u->ifname, u->address_str);
        *ret = TAKE_PTR(u);
        return 0;

fail:
        if (u->up) {
                np_units_remove(np, u);
                if (u->n_ports > 0)
                        (void) np_table_rebuild(np, NULL);
        }
        u->np = NULL;
        if (veth) {
                k = nl_link_delete_by_name(np->nl, u->ifname);
                log_debug_errno(k, "netplug: undo: deleted veth %s: %m", u->ifname);
        }
        return r;
}

/* What an adopted unit must have: ve-NAME, a veth carrying this instance's mark for this unit,
 * a port of @br; and in @netns_fd, eth0, its peer, with the unit's address. Nothing is changed. */
static int adopt_check_links(struct netplug *np, const struct netplug_unit *u, const struct nl_link *br,
                             int netns_fd, char **ret_error) {
        _cleanup_(nl_detachp) struct nl_sock *nl = np->nl_inside;
        char alias[IFALIASZ], s[NP_CIDR_STRING_MAX];
        struct nl_link ve, eth;
        int r;

        r = nl_link_get(np->nl, u->ifname, &ve);
        if (r == -ENODEV)
                return np_conflict(ret_error, r, "veth %s of unit %s is gone", u->ifname, u->name);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "look up veth %s", u->ifname);
        /* The whole mark, unit name included: a shortened link name may be another unit's. */
        snprintf(alias, sizeof(alias), "%s unit %s", np->table, u->name);
        if (!streq(ve.kind, "veth") || !streq(ve.alias, alias))
                return np_conflict(ret_error, -ESTALE, "link %s is not the veth this supd made for unit %s",
                                   u->ifname, u->name);
        if (ve.master != br->ifindex)
                return np_conflict(ret_error, -ESTALE, "veth %s is not a port of bridge %s", u->ifname,
                                   br->name);

        r = nl_attach_in_netns(nl, netns_fd, np->home_netns_fd);
        if (r < 0)
                return np_fail(ret_error, r, NULL, "open rtnetlink in the container's network namespace");
        r = nl_link_get(nl, CONTAINER_IFNAME, &eth);
        if (r == -ENODEV)
                return np_conflict(ret_error, r, "%s is gone from the container of unit %s",
                                   CONTAINER_IFNAME, u->name);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(nl), "look up %s in the container", CONTAINER_IFNAME);
        /* Each end of a pair names the other's ifindex (IFLA_LINK): eth0 there is this veth's
         * peer, not the end of another pair. */
        if (!streq(eth.kind, "veth") || eth.link != ve.ifindex || ve.link != eth.ifindex)
                return np_conflict(ret_error, -ESTALE, "%s in the container is not the peer of veth %s",
                                   CONTAINER_IFNAME, u->ifname);
        r = nl_addr_has(nl, eth.ifindex, &u->address);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(nl), "read the addresses of %s in the container",
                               CONTAINER_IFNAME);
        if (r == 0)
                return np_conflict(ret_error, -ESTALE, "%s in the container does not have address %s",
                                   CONTAINER_IFNAME, np_cidr_to_string(&u->address, s, sizeof(s)));
        return 0;
}

/* An adopted unit's ports in the maps. While the predecessor's table is in force they are most
 * likely there already: added again, which changes nothing when they are, as its own elements
 * over nfnetlink, so that the elements of the units still to be adopted stay. Otherwise, or when
 * that fails (no table, no map, an element of that host port with other data), as for a unit
 * coming up: the maps or the table rewritten from what np knows. */
static int adopt_ports(struct netplug *np, const struct netplug_unit *u, char **ret_error) {
        int r;

        if (np->adopting && !np->nft_structure) {
                r = nft_unit_elements(np, u, true);
                if (r >= 0)
                        return 0;
                log_debug_errno(r,
                                "netplug: adding the map elements of unit %s to the table in force "
                                "failed, replacing the table: %m",
                                u->name);
        }
        return np_table_ports_update(np, u, true, ret_error);
}

int netplug_unit_adopt(struct netplug *np, const struct netplug_unit_spec *spec, int netns_fd,
                       struct netplug_unit **ret, char **ret_error) {
        _cleanup_(netplug_unit_freep) struct netplug_unit *u = NULL;
        struct np_bridge *nb;
        struct netplug_addr gw;
        struct nl_link br;
        int r;

        r = unit_prepare(np, spec, netns_fd, &nb, &gw, ret_error);
        if (r < 0)
                return r;

        u = unit_alloc(spec);
        if (!u)
                return -ENOMEM;

        r = check_ports(np, spec, nb->address.family, false, ret_error);
        if (r < 0)
                return r;
        r = take_address(np, nb, spec, true, &u->address, ret_error);
        if (r < 0)
                return r;
        np_cidr_to_string(&u->address, u->address_str, sizeof(u->address_str));

        r = nl_link_get(np->nl, nb->name, &br);
        if (r == -ENODEV)
                return np_conflict(ret_error, r, "bridge %s of unit %s is gone", nb->name, spec->name);
        if (r < 0)
                return np_fail(ret_error, r, nl_extack(np->nl), "look up bridge %s", nb->name);
        r = adopt_check_links(np, u, &br, netns_fd, ret_error);
        if (r < 0)
                return r;

        /* The unit is what it claims to be: from here on it is up, as netplug_unit_up() leaves it. */
        r = record_lease(np, nb, u->name, &u->address, ret_error);
        if (r < 0)
                return r;
        r = units_add(np, u);
        if (r < 0)
                return r;
        u->np = np;

        if (u->n_ports > 0) {
                r = np_forwarding_on(np, nb->address.family);
                if (r < 0) {
                        r = np_fail(ret_error, r, NULL, "switch on forwarding for the ports of unit %s",
                                    u->name);
                        goto fail;
                }
                r = adopt_ports(np, u, ret_error);
                if (r < 0)
                        goto fail;
        }

        log_debug("netplug: unit %s adopted on %s as %s (%s)", u->name, nb->name, u->ifname, u->address_str);
        *ret = TAKE_PTR(u);
        return 0;

fail:
        /* Its links stay as they are: the caller restarts the unit (netplug_unit_up() replaces a
         * veth of ours), or netplug_sweep() deletes them. Elements of its ports left in the maps
         * go with the next rewrite. */
        np_units_remove(np, u);
        u->np = NULL;
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

        np_units_remove(np, u);
        r = np_table_ports_update(np, u, false, NULL);

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

const struct netplug_port *netplug_unit_ports(const struct netplug_unit *u, size_t *ret_n) {
        if (ret_n)
                *ret_n = u->n_ports;
        return u->ports;
}

int netplug_lease_lookup(struct netplug *np, const char *bridge, const char *unit,
                         struct netplug_cidr *ret) {
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
        *ret = (struct netplug_cidr){.family = l->addr.family, .prefixlen = b->address.prefixlen};
        memcpy(&ret->addr, &l->addr.addr, np_addr_len(l->addr.family));
        return 0;
}
