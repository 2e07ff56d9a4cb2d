/* SPDX-License-Identifier: MIT */
#pragma once

/* netplug/ — the network of sup's containers: bridges, veth pairs whose container end is born
 * inside the container's network namespace, addresses, the default route, the address leases,
 * and the NAT and published-port rules in one nftables table per supd instance.
 *
 * Everything goes over rtnetlink (libmnl), libnftables for the table, and nfnetlink (libmnl) for
 * a unit's published ports: no `ip` or `nft` process is run.
 * Nothing here logs above debug, keeps global state, or leaves an fd without O_CLOEXEC. The
 * object is meant for one thread (supd's): a unit's container end is configured by entering its
 * network namespace from the calling thread for a moment.
 *
 * What an instance owns carries its mark, so that a successor finds it after a crash: the
 * nftables table "inet sup_<instance>", the alias "sup_<instance> …" on every link it creates,
 * and <runtime_dir>/netplug.sysctl with the values of the sysctls it changed.
 *
 * See README.md in this folder for the table layout and the lease file format. */

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETPLUG_IFNAME_MAX 15 /* IFNAMSIZ - 1: a bridge's name */
#define NETPLUG_NAME_MAX   64 /* a unit's name */

struct netplug;
struct netplug_unit;

/* ---- what netplug is given ----------------------------------------------------------------- */

/* An IPv4 or IPv6 address. */
struct netplug_addr {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
};

/* An address and a prefix length; host bits may be set ("10.0.0.1/24"). */
struct netplug_cidr {
        int family; /* AF_INET or AF_INET6 */
        union {
                struct in_addr in;
                struct in6_addr in6;
        } addr;
        unsigned prefixlen;
};

/* A published port: DNAT from @host_port on the host's addresses to @container_port. */
struct netplug_port {
        uint16_t host_port;
        uint16_t container_port;
        int protocol; /* IPPROTO_TCP or IPPROTO_UDP */
};

/* A bridge, as netplug_bridge_up() makes or adopts it. Names netplug takes (bridges, units) are
 * 1 to N bytes of [A-Za-z0-9_.-], not starting with "." or "-": they go as they are into link
 * names, sysctl paths, lease lines and nftables text. Anything else is -EINVAL. */
struct netplug_bridge_spec {
        const char *name;            /* the link, at most NETPLUG_IFNAME_MAX bytes */
        struct netplug_cidr address; /* its own address, with the prefix of its subnet: the pool */
        bool nat;                    /* masquerade the subnet leaving by another interface */
};

/* A unit's network, as netplug_unit_up() plugs it in. Read during the call only: netplug keeps
 * copies of what it needs (name, bridge name, ports). */
struct netplug_unit_spec {
        const char *name;                         /* at most NETPLUG_NAME_MAX bytes */
        const struct netplug_bridge_spec *bridge; /* brought up first when netplug does not know it */
        bool address_auto;                        /* its lease when free, else the lowest free address */
        struct netplug_cidr address;              /* when !address_auto; prefixlen 0: the bridge's */
        bool gateway_set;                         /* else the default route goes via the bridge */
        struct netplug_addr gateway;
        const struct netplug_port *ports;
        size_t n_ports;
};

/* netplug_new()'s flags. */
enum {
        /* The successor of an instance whose units are still alive and are to be adopted (supd
         * started after a crash, or re-executed): nothing is removed yet (netplug_sweep()). */
        NETPLUG_ADOPT = 1 << 0,
};

/**
 * netplug_new() - the network side of one supd instance
 * @instance: what tells this instance from others on the host (its cgroup root); named as
 *            netplug_instance_table() says, NULL or "" means "default". The caller makes sure
 *            that no other live instance in this network namespace uses the same table name:
 *            this function (or netplug_sweep()) deletes whatever carries it
 * @state_dir: leases live in @state_dir/leases/, made when first needed
 * @runtime_dir: where netplug.sysctl is kept (a tmpfs, cleared at boot); NULL: not kept, so a
 *               killed instance's sysctl changes are not undone by its successor
 * @flags: 0 or NETPLUG_ADOPT
 * @ret: the new object (netplug_free())
 *
 * Without NETPLUG_ADOPT, removes what a killed predecessor of the same instance left behind,
 * before anything else: it restores the sysctls recorded in @runtime_dir/netplug.sysctl, deletes
 * the links carrying its mark (veths, and the bridges it had created) and its nftables table.
 *
 * With NETPLUG_ADOPT, removes and writes nothing but the record: the predecessor's values in
 * @runtime_dir/netplug.sysctl become this instance's, to be restored at its shutdown (the
 * values the host had before the predecessor changed them, not the current ones); its veths
 * stay, and its table stays in force — with the published ports of the units to adopt — until
 * netplug_sweep(). The caller then brings its bridges up (netplug_bridge_up(): a bridge carrying
 * the mark is this instance's, deleted at shutdown; the table is not rebuilt and the bridges'
 * sysctls not set yet), adopts each live unit (netplug_unit_adopt()), and calls netplug_sweep()
 * before it starts any unit. A netplug_unit_up() with published ports before that works, but
 * rewrites the table: the ports of units not adopted yet are out of the maps until their adoption.
 *
 * Returns: 0, or -errno (-EPERM without CAP_NET_ADMIN, -EPROTONOSUPPORT without nftables,
 * -EINVAL for an unknown flag).
 */
int netplug_new(const char *instance, const char *state_dir, const char *runtime_dir, unsigned flags,
                struct netplug **ret);

/**
 * netplug_free() - release memory and sockets only
 *
 * The table, bridges and veths stay as they are (a later netplug_new() of the same instance
 * removes them, or with NETPLUG_ADOPT takes them over). Units still up are detached:
 * netplug_unit_free() then frees their memory only. Returns NULL.
 */
struct netplug *netplug_free(struct netplug *np);
static inline void netplug_freep(struct netplug **np) {
        *np = netplug_free(*np);
}

/**
 * netplug_shutdown() - undo everything this instance did to the host
 *
 * Takes every unit still up down, deletes the nftables table, deletes the bridges this instance
 * (or a predecessor of the same instance) created — adopted bridges stay, with their address —
 * and restores the sysctls it changed (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding,
 * net.ipv4.conf.BRIDGE.route_localnet). Goes on after a failure.
 *
 * Returns: 0, or the first -errno met.
 */
int netplug_shutdown(struct netplug *np);

/**
 * netplug_cleanup_stale() - delete veths named after units a predecessor recorded
 * @unit_names: NULL-terminated, or NULL
 *
 * netplug_new() (without NETPLUG_ADOPT) and netplug_sweep() already remove every veth carrying
 * this instance's mark; this is for names recorded elsewhere (by the manager under the runtime
 * dir). Only veths carrying this instance's mark are deleted; a link that is not a veth, carries
 * no mark or another instance's, or belongs to a unit up in @np, is left alone.
 *
 * Returns: the number of links deleted, or -errno.
 */
int netplug_cleanup_stale(struct netplug *np, char *const *unit_names);

/**
 * netplug_sweep() - end an adoption: remove what no adopted unit claimed
 * @ret_error: on failure, a one-line message naming the step; may be NULL
 *
 * For a netplug made with NETPLUG_ADOPT, once its bridges are up and its live units adopted: what
 * netplug_new() removes without that flag, but for what @np now holds. In order: deletes every
 * veth carrying this instance's mark that is not the veth of a unit up in @np; restores the
 * recorded route_localnet of bridges @np does not know; replaces the predecessor's table with
 * this instance's (its bridges' rules, and the published ports of the units up: stale elements
 * go), in one transaction, so adopted ports are never out of the maps; then sets the bridges'
 * sysctls netplug_bridge_up() left for now (route_localnet, forwarding for NAT=yes). Bridges
 * carrying the mark that @np does not know are left alone. Without NETPLUG_ADOPT it is harmless
 * (stale veths of this instance are deleted, the table brought up to date).
 *
 * Returns: the number of links deleted, or -errno.
 */
int netplug_sweep(struct netplug *np, char **ret_error);

/**
 * netplug_bridge_up() - create or adopt a bridge and give it its address
 * @b: the bridge: its name, address and subnet, NAT
 * @ret_error: on failure, a one-line message naming the step (kernel's extended ack included);
 *             may be NULL
 *
 * An existing bridge of that name is adopted (a link of another kind is an error). The address
 * is added when missing; a different address this instance set earlier (reload) is removed. The
 * bridge gets a fixed MAC when created (derived from its name), so that adding ports does not
 * change it under the containers' ARP caches. It is brought up, the table is rebuilt with its
 * NAT rules (NAT=yes: masquerade of its subnet leaving by another interface, forwarding
 * switched on). An IPv4 bridge gets route_localnet=1 so published ports answer on 127.0.0.1,
 * with rules that drop 127.0.0.0/8 traffic arriving from it. Calling it again is cheap.
 *
 * While a netplug made with NETPLUG_ADOPT has not swept yet (and no unit's ports have rewritten
 * the table), the link and its address are handled as above, but the table is not rebuilt and
 * route_localnet and forwarding are not set: the predecessor's table stays in force, and
 * netplug_sweep() does both.
 *
 * Returns: 0, or -errno.
 */
int netplug_bridge_up(struct netplug *np, const struct netplug_bridge_spec *b, char **ret_error);

/**
 * netplug_bridge_down() - forget a bridge (removed from the configuration)
 *
 * Fails with -EBUSY while a unit of @np is on it. Deletes the link when this instance created it,
 * removes its rules and restores its route_localnet when adopted. A bridge @np does not know is
 * left alone (0).
 *
 * Returns: 0, or -errno.
 */
int netplug_bridge_down(struct netplug *np, const char *name);

/**
 * netplug_unit_up() - plug a unit's network namespace into its bridge
 * @spec: the unit's name, bridge, address, gateway and published ports
 * @netns_fd: the container's network namespace (open("/proc/PID/ns/net")); lo there is brought
 *            up, eth0 is created in it
 * @ret: the plugged unit (netplug_unit_down(), netplug_unit_free())
 * @ret_error: on failure, a one-line message naming the step and the errno, with the kernel's
 *             extended-ack text when it gave one; may be NULL
 *
 * In order: checks the published ports (another unit of @np publishing one: -EADDRINUSE naming
 * it; a socket bound to it on the host: -EADDRINUSE "host port 8080/tcp is in use"), takes the
 * address (a static one used by another unit up: -EADDRINUSE naming it; auto: the unit's lease,
 * else the lowest free address of the subnet, recorded), creates the veth ve-NAME with its
 * peer eth0 inside @netns_fd (MTU of the bridge, enslaved, both up), and inside: lo up, the
 * address, the default route via the gateway (the bridge address by default); then adds the unit's
 * ports to the table's port maps. Any failure undoes what was done, except a new lease, which
 * is kept by design.
 *
 * Meant to run between the clone of the unit's first process and its exec, while the caller's
 * pages are shared copy-on-write with that process: it writes few pages (each is a fault then),
 * and runs no libnftables (see nft.c). The lease file is written only when the lease changes.
 *
 * Returns: 0, or -errno (-EINVAL for a spec netplug cannot use: a name, a gateway of another
 * family, an address outside the bridge's subnet).
 */
int netplug_unit_up(struct netplug *np, const struct netplug_unit_spec *spec, int netns_fd,
                    struct netplug_unit **ret, char **ret_error);

/**
 * netplug_unit_adopt() - take over a unit a predecessor plugged in, as it is
 * @spec: the spec the unit was started with
 * @netns_fd: the container's network namespace (open("/proc/PID/ns/net"))
 * @ret: the unit, as netplug_unit_up() would have made it (netplug_unit_down(), the accessors)
 * @ret_error: on failure, a one-line message naming what is missing or different; may be NULL
 *
 * Rebuilds the unit from what exists, without creating or changing a link. Checks, in order:
 * the spec and the bridge as netplug_unit_up() does (the bridge brought up when @np does not
 * know it); no other unit of @np publishing one of its ports (-EADDRINUSE; a socket bound on the
 * host is not checked: the port is published already); its address, free of the other units up
 * (-EADDRINUSE): the static one of @spec, or with address_auto its lease on the bridge (none, or
 * one that is not a host address of the subnet: -ESTALE); the bridge exists; ve-NAME exists
 * (-ENODEV), is a veth carrying this instance's mark for this very unit and is a port of the
 * bridge (-ESTALE); inside @netns_fd eth0 exists (-ENODEV), is that veth's peer (each names the
 * other's ifindex) and has the address, with the bridge's prefix (-ESTALE). Neither MTU, MAC,
 * the links' state nor the default route are checked.
 *
 * Then the lease is recorded (a static address takes it over as netplug_unit_up() does), the
 * unit is registered in @np, so that port and address checks, leases and netplug_sweep() see it,
 * forwarding is switched on for a unit with published ports, and its ports are added to the port
 * maps: while the predecessor's table is in force, as its own elements (already there: nothing
 * changes); else, or when that fails, the maps or the table rewritten.
 *
 * On failure the unit is not registered and its links are left as they are: the caller kills and
 * restarts it (netplug_unit_up() replaces a veth of this instance), or netplug_sweep() deletes them.
 *
 * Returns: 0, or -errno (-ENODEV, -ESTALE or -EADDRINUSE as above; -EINVAL, -EBADF, -EBUSY as for
 * netplug_unit_up()).
 */
int netplug_unit_adopt(struct netplug *np, const struct netplug_unit_spec *spec, int netns_fd,
                       struct netplug_unit **ret, char **ret_error);

/**
 * netplug_lo_up() - bring lo up in @netns_fd, for a unit with a network namespace and no Bridge=
 *
 * netplug_unit_up() does it for units on a bridge.
 *
 * Returns: 0, or -errno.
 */
int netplug_lo_up(struct netplug *np, int netns_fd);

/**
 * netplug_unit_down() - release what netplug_unit_up() set up
 *
 * Deletes the unit's ports from the port maps, deletes ve-NAME (its peer goes with it; already
 * gone with the namespace is fine). The lease is kept. Idempotent; goes on after a failure.
 *
 * Returns: 0, or the first -errno met (for a debug line: there is nothing to retry).
 */
int netplug_unit_down(struct netplug *np, struct netplug_unit *u);

/* Takes the unit down when still up, and frees it. Returns NULL. */
struct netplug_unit *netplug_unit_free(struct netplug_unit *u);
static inline void netplug_unit_freep(struct netplug_unit **u) {
        *u = netplug_unit_free(*u);
}

/* The unit's address with its prefix, "10.0.0.2/24", for status. */
const char *netplug_unit_address(const struct netplug_unit *u);
/* The host side of its veth, "ve-web". */
const char *netplug_unit_ifname(const struct netplug_unit *u);
/* Its published ports, as its spec gave them. */
const struct netplug_port *netplug_unit_ports(const struct netplug_unit *u, size_t *ret_n);

/**
 * netplug_link_name() - the host-side veth name of a unit
 * @buf: at least NETPLUG_IFNAME_MAX + 1 bytes
 *
 * "ve-NAME" while that fits in 15 bytes, else "ve-" + the first 5 bytes of NAME + "-" + 6 hex
 * digits of a hash of the whole name (stable across versions and hosts).
 *
 * Returns: @buf.
 */
char *netplug_link_name(const char *unit, char buf[static NETPLUG_IFNAME_MAX + 1]);

/* The nftables table name of this instance, "sup_<instance>" (family inet). */
const char *netplug_table_name(const struct netplug *np);

/**
 * netplug_instance_table() - the table name (and link mark) netplug_new() gives @instance
 * @ret: "sup_<name>", free()
 *
 * @instance as it is when made of [a-z0-9_] and at most 40 bytes long ("sup" → "sup_sup");
 * otherwise a prefix of it lowered and reduced to [a-z0-9_], "-" and 16 hex digits of FNV-1a-64
 * of the whole string ("x.y" → "sup_x_y-…"). Different instances get different names. Nothing
 * is touched: for a caller that must claim the name before netplug_new() cleans up after it.
 *
 * Returns: 0, or -ENOMEM.
 */
int netplug_instance_table(const char *instance, char **ret);

/**
 * netplug_lease_lookup() - the address leased to @unit on @bridge, without taking one
 * @ret: its address (prefix of the bridge's subnet, when known; else 0)
 *
 * Returns: 0, -ENOENT when @unit has no lease there, or -errno.
 */
int netplug_lease_lookup(struct netplug *np, const char *bridge, const char *unit, struct netplug_cidr *ret);
