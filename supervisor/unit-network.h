/* SPDX-License-Identifier: MIT */
#pragma once

/* The manager's side of the network (unit-network.c): the translation of a unit's [Network]
 * section and of a .bridge file into netplug's own specs (netplug knows nothing of units/), and
 * the network steps of the manager. Also defined in unit-network.c, and declared where their
 * callers look for them: unit_network_up(), unit_network_down(), unit_write_resolv_conf()
 * (manager-internal.h), unit_address(), unit_ports() (manager.h). */

#include "netplug.h"
#include "units.h"

struct manager;

/* A .bridge file as netplug_bridge_up() takes it. Borrows @b's strings. */
void bridge_network_spec(const struct bridge_config *b, struct netplug_bridge_spec *ret);

/**
 * unit_network_spec() - a unit's [Network] as netplug_unit_up() takes it
 * @name: the unit's name
 * @c: its configuration (Bridge=, Address=, Gateway=, PublishPort=)
 * @bridge: the spec of the bridge c->bridge names
 * @ports: room for c->n_ports ports, filled here (the caller's, so that it picks where they live)
 * @ret: the spec; borrows @name, @bridge and @ports
 *
 * DNS= is not netplug's: the manager writes it to the container's resolv.conf
 * (unit_write_resolv_conf()).
 */
void unit_network_spec(const char *name, const struct unit_config *c,
                       const struct netplug_bridge_spec *bridge, struct netplug_port *ports,
                       struct netplug_unit_spec *ret);

/* Every loaded bridge of the manager's set up (made, addressed, its rules in place); a failure is
 * logged, and shows again as the set-up error of the units on it. */
void manager_network_bridges_up(struct manager *m);

/* After a reload: the bridges whose files were removed (@diff, @n entries, as unit_set_diff()
 * gave them) are taken down; one a unit still uses stays, with a warning. */
void manager_network_bridges_removed(struct manager *m, const struct unit_diff_entry *diff, int n);

/* The manager's netplug (m->netplug), named after its instance; without it (no CAP_NET_ADMIN, no
 * nftables) units with Bridge= fail to start, with a warning logged here once. Called after
 * manager_claim(): it removes what a killed predecessor of the instance left. */
void manager_network_new(struct manager *m);

/* After adoption (manager_startup()): what a predecessor's netplug left that no adopted run uses. */
void manager_network_sweep(struct manager *m);

/* Undoes every change netplug made to the host (table, bridges, sysctls) and frees it. */
void manager_network_free(struct manager *m);
