/* SPDX-License-Identifier: MIT */

/* The network of units, on the manager's side: netplug takes its own specs and knows nothing of
 * units/ (DESIGN.md, "Layout"), so this file translates [Network] and .bridge files into them, as
 * unit-start.c does [Resources] into struct cg_limits. It holds the manager's network steps too:
 * a unit's network up and down, its resolv.conf for DNS=, the bridges at start-up and reload. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager-internal.h"
#include "time-util.h"
#include "unit-network.h"

/* Ports a unit's spec holds on the stack; more come from the heap. */
#define PORTS_ON_STACK 16

static struct netplug_cidr cidr_spec(const struct cidr *c) {
        struct netplug_cidr r = {.family = c->family, .prefixlen = c->prefixlen};

        memcpy(&r.addr, &c->addr, sizeof(r.addr));
        return r;
}

static struct netplug_addr addr_spec(const struct ip_addr *a) {
        struct netplug_addr r = {.family = a->family};

        memcpy(&r.addr, &a->addr, sizeof(r.addr));
        return r;
}

void bridge_network_spec(const struct bridge_config *b, struct netplug_bridge_spec *ret) {
        *ret = (struct netplug_bridge_spec){
                .name = b->name,
                .address = cidr_spec(&b->address),
                .nat = b->nat,
        };
}

void unit_network_spec(const char *name, const struct unit_config *c,
                       const struct netplug_bridge_spec *bridge, struct netplug_port *ports,
                       struct netplug_unit_spec *ret) {
        for (size_t i = 0; i < c->n_ports; i++)
                ports[i] = (struct netplug_port){
                        .host_port = c->ports[i].host_port,
                        .container_port = c->ports[i].container_port,
                        .protocol = c->ports[i].protocol,
                };
        *ret = (struct netplug_unit_spec){
                .name = name,
                .bridge = bridge,
                .address_auto = c->address_auto,
                .address = cidr_spec(&c->address),
                .gateway_set = c->gateway_set,
                .gateway = addr_spec(&c->gateway),
                .ports = ports,
                .n_ports = c->n_ports,
        };
}

/* ---- a unit's run ------------------------------------------------------------------------------- */

const char *unit_address(struct unit *u) {
        return u->net ? netplug_unit_address(u->net) : NULL;
}

/* Those of the configuration: the one a run started with stays u->config until the run is
 * released (a reload parks a new file in u->next_config meanwhile), and the network goes with the
 * run, so while u->net exists they are the ports netplug published. */
const struct port_map *unit_ports(struct unit *u, size_t *ret_n) {
        if (!u->net) {
                *ret_n = 0;
                return NULL;
        }
        *ret_n = u->config->n_ports;
        return u->config->ports;
}

/* The network of a unit with its own network namespace: lo, and with Bridge= the veth, the address,
 * the route and the published ports (netplug). Runs before the child's go, so the payload starts
 * with its network in place; supd's pages are shared copy-on-write with the child until its exec,
 * so the spec lives on the stack (netplug/README.md, "The nftables table"). */
static int network_plug(struct unit *u, pid_t pid, bool adopt) {
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;
        _cleanup_free_ struct netplug_port *heap = NULL;
        struct netplug_port stack[PORTS_ON_STACK], *ports = stack;
        struct netplug_bridge_spec bs;
        struct netplug_unit_spec us;
        _cleanup_close_ int fd = -EBADF;
        const struct bridge_config *b;
        char path[64];
        uint64_t t0;
        int r;

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (!m->netplug) {
                if (c->bridge) {
                        u->attach_error =
                                strdup("networking is not available on this host (see supd's log)");
                        return -EOPNOTSUPP;
                }
                return 0; /* the kernel brings nothing up: lo stays down, as without supd */
        }
        if (!c->bridge)
                return adopt ? 0 : netplug_lo_up(m->netplug, fd);

        b = m->set ? unit_set_find_bridge(m->set, c->bridge) : NULL;
        if (!b) {
                if (asprintf(&u->attach_error, "no bridge %s", c->bridge) < 0)
                        u->attach_error = NULL;
                return -ENOENT;
        }
        if (c->n_ports > ELEMENTSOF(stack)) {
                ports = heap = calloc(c->n_ports, sizeof(*ports));
                if (!ports)
                        return -ENOMEM;
        }
        bridge_network_spec(b, &bs);
        unit_network_spec(u->name, c, &bs, ports, &us);

        t0 = now(CLOCK_MONOTONIC);
        if (adopt)
                r = netplug_unit_adopt(m->netplug, &us, fd, &u->net, &u->attach_error);
        else
                r = netplug_unit_up(m->netplug, &us, fd, &u->net, &u->attach_error);
        if (r >= 0)
                log_debug("%s: network %s, %s, in %.3fms", u->name, adopt ? "adopted" : "up",
                          strempty(netplug_unit_address(u->net)),
                          (double) (now(CLOCK_MONOTONIC) - t0) / USEC_PER_MSEC);
        return r;
}

int unit_network_up(struct unit *u, pid_t pid) {
        return network_plug(u, pid, false);
}

/* A run a predecessor started (unit-adopt.c): its veth, address and published ports as they are. */
int unit_network_adopt(struct unit *u, pid_t pid) {
        return network_plug(u, pid, true);
}

/* The network a run held (netplug: veth, address, rules), at stop or when a start fails. */
void unit_network_down(struct unit *u) {
        int r;

        if (!u->net)
                return;
        r = netplug_unit_down(u->manager->netplug, u->net);
        if (r < 0)
                log_debug_errno(r, "%s: network not fully released: %m", u->name);
        u->net = netplug_unit_free(u->net);
}

/* DNS=: RUNTIME/units/NAME.resolv.conf, which the child binds on its /etc/resolv.conf. */
int unit_write_resolv_conf(struct unit *u) {
        _cleanup_free_ char *text = NULL, *path = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (asprintf(&path, "%s.resolv.conf", u->unit_dir) < 0)
                return -ENOMEM;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# Written by supd for unit %s (DNS=)\n", u->name);
        for (size_t i = 0; i < u->config->n_dns; i++) {
                char buf[INET6_ADDRSTRLEN];
                if (inet_ntop(u->config->dns[i].family, &u->config->dns[i].addr, buf, sizeof(buf)))
                        fprintf(f, "nameserver %s\n", buf);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        r = write_file_atomic(path, text, 0644, false);
        if (r < 0)
                return r;
        free(u->resolv_conf);
        u->resolv_conf = TAKE_PTR(path);
        return 0;
}

/* ---- bridges ------------------------------------------------------------------------------------ */

void manager_network_bridges_up(struct manager *m) {
        if (!m->netplug || !m->set)
                return;
        for (size_t i = 0; i < m->set->n_bridges; i++) {
                const struct bridge_config *b = m->set->bridges[i];
                _cleanup_free_ char *err = NULL;
                struct netplug_bridge_spec bs;
                int r;

                if (b->load_state != UNIT_LOADED)
                        continue;
                bridge_network_spec(b, &bs);
                r = netplug_bridge_up(m->netplug, &bs, &err);
                if (r < 0 && err)
                        log_error_errno(r, "Failed to set up bridge %s: %s", b->name, err);
                else if (r < 0)
                        log_error_errno(r, "Failed to set up bridge %s: %m", b->name);
        }
}

void manager_network_bridges_removed(struct manager *m, const struct unit_diff_entry *diff, int n) {
        if (!m->netplug)
                return;
        for (int i = 0; i < n; i++) {
                int r;

                if (!diff[i].is_bridge || diff[i].change != UNIT_REMOVED)
                        continue;
                r = netplug_bridge_down(m->netplug, diff[i].name);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove bridge %s, ignoring: %m", diff[i].name);
        }
}

/* ---- the instance -------------------------------------------------------------------------------- */

void manager_network_new(struct manager *m) {
        int r;

        /* The nftables table and the link marks are named after the cgroup root, claimed before. */
        /* What a predecessor left stays until manager_network_sweep(): its live runs are adopted. */
        r = netplug_new(manager_instance(m), m->state_dir, m->runtime_dir, NETPLUG_ADOPT, &m->netplug);
        if (r < 0)
                log_warning_errno(r, "Failed to set up networking, units with Bridge= will not start: %m");
        else
                log_debug("nftables table %s.", netplug_table_name(m->netplug));
}

void manager_network_sweep(struct manager *m) {
        _cleanup_free_ char *error = NULL;
        int r;

        if (!m->netplug)
                return;
        r = netplug_sweep(m->netplug, &error);
        if (r < 0)
                log_warning("Failed to remove the network a previous instance left: %s",
                            error ? error : strerror(-r));
}

void manager_network_free(struct manager *m) {
        int r;

        if (!m->netplug)
                return;
        r = netplug_shutdown(m->netplug);
        if (r < 0)
                log_warning_errno(r, "Failed to undo every network change, ignoring: %m");
        m->netplug = netplug_free(m->netplug);
}
