/* SPDX-License-Identifier: MIT */
#pragma once

#include <arpa/inet.h>

/* Room for an address with its prefix length, "ffff:…:ffff/128", and the NUL. */
#define NP_CIDR_STRING_MAX (INET6_ADDRSTRLEN + sizeof("/128"))

/* The objects behind netplug.h and the helpers its files share: the rtnetlink calls (nl_*), the
 * ruleset text (nft_*), the leases and the sysctls. Not included by anything outside netplug/. */

#include <linux/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"
#include "netplug.h"

struct mnl_socket;
struct nft_ctx;

/* ---- rtnetlink (rtnl.c) ------------------------------------------------------------------ */

struct nl_sock;

struct nl_link {
        int ifindex;
        unsigned flags; /* IFF_* */
        unsigned mtu;
        int master; /* ifindex, 0 when none */
        int link;   /* IFLA_LINK: a veth's peer, its ifindex in the peer's namespace; 0 when none */
        char name[IFNAMSIZ];
        char kind[16];   /* IFLA_INFO_KIND, "" when none */
        char alias[128]; /* IFLA_IFALIAS, "" when none */
};

/* A NETLINK_ROUTE socket in the calling thread's network namespace, with extended acks. */
int nl_open(struct nl_sock **ret);
/* The object alone, without a socket: for nl_attach_in_netns(). */
int nl_alloc(struct nl_sock **ret);
/* Gives @nl a socket in the network namespace @netns_fd (closing the one it had): the thread
 * enters it for the socket() call and goes back to @home_netns_fd. Reusing one object keeps
 * a unit's start from allocating (and writing) 32 KiB of receive buffer. */
int nl_attach_in_netns(struct nl_sock *nl, int netns_fd, int home_netns_fd);
/* Closes @nl's socket, keeps @nl. A socket inside a container's namespace would keep the
 * namespace (and its end of the veth) alive after the container is gone. */
void nl_detach(struct nl_sock *nl);
struct nl_sock *nl_close(struct nl_sock *nl);
static inline void nl_detachp(struct nl_sock **nl) {
        nl_detach(*nl);
}

/* The kernel's extended-ack text of the last failed request, "" when it gave none. */
const char *nl_extack(const struct nl_sock *nl);

/* -ENODEV when there is no such link. */
int nl_link_get(struct nl_sock *nl, const char *name, struct nl_link *ret);
int nl_link_get_by_index(struct nl_sock *nl, int ifindex, struct nl_link *ret);
/* Calls @fn for every link; @fn returning < 0 stops the walk (the dump is still drained). */
int nl_link_foreach(struct nl_sock *nl, int (*fn)(const struct nl_link *l, void *userdata), void *userdata);

int nl_bridge_create(struct nl_sock *nl, const char *name, const uint8_t mac[6]);
/* Creates @name (up, enslaved to @master when > 0, @mtu when > 0) with its peer @peer_name
 * born inside @peer_netns_fd (down), with MAC @peer_mac (NULL: random). *ret_peer_ifindex (when
 * not NULL) gets the peer's ifindex in its namespace, or 0 when the kernel did not tell. */
int nl_veth_create(struct nl_sock *nl, const char *name, unsigned mtu, int master, const char *peer_name,
                   int peer_netns_fd, const uint8_t peer_mac[6], int *ret_peer_ifindex);
int nl_link_set_up(struct nl_sock *nl, int ifindex);
/* By @ifindex, or by @name when @ifindex is 0. */
int nl_link_set_alias(struct nl_sock *nl, int ifindex, const char *name, const char *alias);
/* -ENODEV when already gone. */
int nl_link_delete(struct nl_sock *nl, int ifindex);
int nl_link_delete_by_name(struct nl_sock *nl, const char *name);

/* 1 when @ifindex carries exactly @a (address and prefix), 0 when not. */
int nl_addr_has(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a);
int nl_addr_add(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a);
int nl_addr_delete(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a);
int nl_route_add_default(struct nl_sock *nl, int ifindex, const struct netplug_addr *gw);

enum nl_inside_step {
        NL_INSIDE_LO_UP,
        NL_INSIDE_LINK_UP,
        NL_INSIDE_ADDRESS,
        NL_INSIDE_ROUTE,
        _NL_INSIDE_STEP_MAX,
};

/* Brings up lo and @ifindex, adds @a to @ifindex and the default route via @gw: four requests in
 * one sendmsg(). On failure, *ret_failed is the first step that failed (the kernel goes on with
 * the next ones: the caller deletes the link). */
int nl_configure_inside(struct nl_sock *nl, int ifindex, const struct netplug_cidr *a,
                        const struct netplug_addr *gw, enum nl_inside_step *ret_failed);

/* ---- nftables (nft.c) -------------------------------------------------------------------- */

/* Writes the ruleset of @np in two parts. @ret_structure replaces the table:
 * "table inet T; delete table inet T; table inet T { … }" with empty port maps, or only its
 * first two lines when nothing needs the table. @ret_elements fills the maps: "flush map …;
 * add element …". Applied together they make the whole table; while the structure stays the
 * same, the elements alone bring it up to date. */
int nft_ruleset_build(const struct netplug *np, char **ret_structure, char **ret_elements);
/* Whether the network namespace holds the table of another supd instance ("inet sup_*", not
 * ours): a live one, or what a killed one left and its successor will take over. */
bool nft_other_instances(const struct netplug *np);
/* Runs @text in one transaction; on failure *ret_error gets nft's first error line. */
int nft_apply(struct nft_ctx *ctx, const char *text, char **ret_error);
/* A NETLINK_NETFILTER socket for nft_unit_elements(). */
int nft_nl_open(struct mnl_socket **ret);
/* Adds @u's published ports to its family's port map (or deletes them), in one transaction of
 * their own, straight over nfnetlink: what `add element` / `delete element` would do, without
 * libnftables' cache. Fails when the table or the map is not there, or (adding) when a host port
 * is in the map with other data: the caller then rewrites the maps whole. */
int nft_unit_elements(struct netplug *np, const struct netplug_unit *u, bool add);

/* Brings the table up to date in one transaction: the map elements alone when the structure is
 * the one in force (a unit came or went), else the whole table, replaced. */
int np_table_rebuild(struct netplug *np, char **ret_error);
/* A unit's ports into the maps (@add) or out of them: its elements alone, in a transaction of
 * their own, while the table in force is the one last written; else, or when that fails (the
 * table was edited, a stale element is in the way), the maps or the table rewritten whole. The
 * caller has already added @u to np->units, or removed it. */
int np_table_ports_update(struct netplug *np, const struct netplug_unit *u, bool add, char **ret_error);
/* Deletes the table (a missing one is fine). */
int np_table_delete(struct netplug *np);

/* ---- the object ---------------------------------------------------------------------------- */

struct np_lease {
        struct netplug_addr addr;
        char *unit;
};

struct np_bridge {
        char *name;
        struct netplug_cidr address; /* the bridge's own address, with the prefix of its subnet */
        bool nat;
        bool created;    /* carries our mark: deleted by netplug_shutdown() */
        bool addr_added; /* we added ->address */

        bool leases_loaded;
        struct np_lease *leases; /* sorted by address */
        size_t n_leases;
};

struct np_sysctl {
        char *key;   /* below /proc/sys, "net/ipv4/ip_forward" */
        char *value; /* the value before we changed it */
};

struct netplug {
        char *instance;
        char *table; /* "sup_<instance>", also the mark in link aliases */
        char *state_dir;
        char *runtime_dir;
        int home_netns_fd; /* the thread's network namespace, to come back to */

        struct nl_sock *nl;
        struct nl_sock *nl_inside; /* for containers' namespaces, attached while in use */
        struct nft_ctx *nft;
        struct mnl_socket *nfnl; /* for nft_unit_elements() */
        uint32_t nfnl_seq;
        char *nft_structure; /* the table's structure in force (nft_ruleset_build()), NULL: unknown */
        char *nft_elements;  /* and its map elements; NULL: unknown (units changed them since) */
        /* NETPLUG_ADOPT, until netplug_sweep(): a predecessor's table is in force, with the port
         * maps of the units being adopted; bridge_up leaves it (and route_localnet) as it is. */
        bool adopting;

        struct np_bridge **bridges;
        size_t n_bridges;
        struct netplug_unit **units; /* up */
        size_t n_units, n_units_allocated;
        struct np_sysctl *sysctls;
        size_t n_sysctls;
};

struct netplug_unit {
        struct netplug *np; /* NULL once detached by netplug_free() */
        char *name;         /* these three point into the object's own allocation */
        char *bridge;
        struct netplug_port *ports;
        size_t n_ports;
        char ifname[IFNAMSIZ];
        struct netplug_cidr address;
        char address_str[64];
        bool up; /* registered in np->units, ve-NAME exists as far as we know */
};

/* Sets *ret_error (when not NULL) to "WHAT: strerror[ (kernel's extended ack)]", logs it at debug
 * level, and returns @r. */
_printf_(4, 5) int np_fail(char **ret_error, int r, const char *extack, const char *fmt, ...);
/* The same for conflicts, where the errno says little and the message says it all. */
_printf_(3, 4) int np_conflict(char **ret_error, int r, const char *fmt, ...);

/* Whether a link alias is this instance's mark ("sup_<name> …"). */
bool np_alias_is_ours(const struct netplug *np, const char *alias);

/* ---- bridges (bridge.c) -------------------------------------------------------------------- */

struct np_bridge *np_bridge_find(const struct netplug *np, const char *name);
void np_bridge_free(struct np_bridge *b);
/* Takes @b off np->bridges and frees it. */
void np_bridge_forget(struct netplug *np, struct np_bridge *b);
/* Deletes @b's link when ours, else takes off the address we added; restores its route_localnet.
 * The caller rebuilds the table. */
int np_bridge_release(struct netplug *np, struct np_bridge *b);
/* net.ipv4.ip_forward or net.ipv6.conf.all.forwarding on, the old value recorded. */
int np_forwarding_on(struct netplug *np, int family);
/* @b's sysctls, once the table holds its rules: route_localnet=1 (IPv4), forwarding (NAT=yes). */
int np_bridge_settle(struct netplug *np, const struct np_bridge *b, char **ret_error);
/* Restores the route_localnet of every bridge @np does not know (taken over from a predecessor's
 * record): before the table is replaced without the rules that guarded it. */
void np_bridges_restore_unknown(struct netplug *np);

/* ---- units (unit.c) ------------------------------------------------------------------------ */

struct netplug_unit *np_unit_find(const struct netplug *np, const char *name);
/* Takes @u off np->units (it is no longer up). */
void np_units_remove(struct netplug *np, struct netplug_unit *u);

/* ---- addresses (util.c) ------------------------------------------------------------------- */

size_t np_addr_len(int family);
bool np_cidr_contains(const struct netplug_cidr *net, const struct netplug_addr *a);
bool np_addr_equal(const struct netplug_addr *a, const struct netplug_addr *b);
int np_addr_compare(const struct netplug_addr *a, const struct netplug_addr *b);
/* "10.0.0.2" / "10.0.0.2/24"; @buf of at least 64 bytes. */
const char *np_addr_to_string(const struct netplug_addr *a, char *buf, size_t len);
const char *np_cidr_to_string(const struct netplug_cidr *c, char *buf, size_t len);
/* The address part of @c. */
void np_cidr_addr(const struct netplug_cidr *c, struct netplug_addr *ret);
/* The subnet's network address ("10.0.0.0"). */
void np_cidr_network(const struct netplug_cidr *c, struct netplug_addr *ret);
/* @a plus @n within its family; false when it overflows the address. */
bool np_addr_add(const struct netplug_addr *a, uint64_t n, struct netplug_addr *ret);
bool np_addr_is_broadcast(const struct netplug_cidr *net, const struct netplug_addr *a);

/* ---- leases (lease.c) ---------------------------------------------------------------------- */

/* Loads @b's lease file once (missing: no leases). */
int np_leases_load(struct netplug *np, struct np_bridge *b);
/* Records @unit at @addr (dropping its other lease and any other unit's lease of @addr) and
 * writes the file atomically when something changed. */
int np_lease_set(struct netplug *np, struct np_bridge *b, const char *unit, const struct netplug_addr *addr);
const struct np_lease *np_lease_by_unit(const struct np_bridge *b, const char *unit);
const struct np_lease *np_lease_by_addr(const struct np_bridge *b, const struct netplug_addr *addr);
void np_leases_free(struct np_bridge *b);

/* ---- sysctls (sysctl.c) -------------------------------------------------------------------- */

int np_sysctl_read(const char *key, char *buf, size_t len);
int np_sysctl_write(const char *key, const char *value);
/* Sets @key to @value, remembering (and recording under the runtime dir) the old value the
 * first time. */
int np_sysctl_set(struct netplug *np, const char *key, const char *value);
/* Forwarding (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding): one switch for the whole network
 * namespace, which other supd instances there may rely on too. */
bool np_sysctl_is_shared(const char *key);
/* Restores @key (or every key when NULL) and forgets it; with @keep_shared, a shared key is only
 * forgotten. */
int np_sysctl_restore(struct netplug *np, const char *key, bool keep_shared);
/* Restores what a killed predecessor recorded, and removes the record. With @keep_shared, a
 * shared key is left as it is and its old value taken over (recorded as this instance's). */
int np_sysctl_restore_stale(struct netplug *np, bool keep_shared);
/* Takes over what a predecessor recorded, whose units are being adopted: every key is remembered
 * with its recorded value, as if this instance had made the change (shutdown restores it), and
 * nothing is written to /proc/sys. */
int np_sysctl_take_over(struct netplug *np);
void np_sysctls_free(struct netplug *np);

/* ---- small helpers (util.c) ---------------------------------------------------------------- */

/* Whether @s is 1 to @max bytes of [A-Za-z0-9_.-], not starting with "." or "-". */
bool np_name_is_valid(const char *s, size_t max);
/* "tcp" or "udp". */
const char *np_proto_name(int protocol);
