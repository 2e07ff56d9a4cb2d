/* SPDX-License-Identifier: MIT */

/* The instance's nftables table, written out from the bridges and units netplug knows, in two
 * parts: the structure, applied as one transaction that replaces the old table ("table" (made if
 * missing) + "delete table" + the new "table { … }"), and the port maps' elements ("flush map" +
 * "add element"), which alone bring the table up to date when only units changed. The kernel
 * takes each transaction whole or not at all. README.md draws the layout. */

#include <errno.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

static const struct {
        int family;
        const char *map, *type, *nfproto, *ip;
} port_maps[] = {
        {AF_INET, "publish4", "ipv4_addr", "ipv4", "ip"},
        {AF_INET6, "publish6", "ipv6_addr", "ipv6", "ip6"},
};

/* The chain is named after its hook. "dstnat" is not accepted for output by nft 1.0.6. */
static const struct {
        const char *name, *priority;
} dnat_chains[] = {
        {"prerouting", "dstnat"},
        {"output", "-100"},
};

static const char *proto_name(int protocol) {
        return protocol == IPPROTO_UDP ? "udp" : "tcp";
}

static const char *family_kw(int family) {
        return family == AF_INET6 ? "ip6" : "ip";
}

static void subnet_string(const struct cidr *c, char *buf, size_t len) {
        struct cidr net = {.family = c->family, .prefixlen = c->prefixlen};
        struct ip_addr a;

        np_cidr_network(c, &a);
        memcpy(&net.addr, &a.addr, sizeof(net.addr));
        np_cidr_to_string(&net, buf, len);
}

static void write_elements(const struct netplug *np, FILE *f, int family) {
        const char *map = port_maps[family == AF_INET6].map;
        bool first = true;

        fprintf(f, "flush map inet %s %s\n", np->table, map);
        for (size_t i = 0; i < np->n_units; i++) {
                const struct netplug_unit *u = np->units[i];
                struct ip_addr addr;
                char a[64];

                if (u->address.family != family)
                        continue;
                np_cidr_addr(&u->address, &addr);
                np_addr_to_string(&addr, a, sizeof(a));
                for (size_t j = 0; j < u->n_ports; j++) {
                        const struct port_map *p = &u->ports[j];
                        if (first)
                                fprintf(f, "add element inet %s %s { ", np->table, map);
                        fprintf(f, "%s%s . %u comment \"%s\" : %s . %u", first ? "" : ", ",
                                proto_name(p->protocol), p->host_port, u->name, a, p->container_port);
                        first = false;
                }
        }
        if (!first)
                fputs(" }\n", f);
}

int nft_ruleset_build(const struct netplug *np, char **ret_structure, char **ret_elements) {
        _cleanup_free_ char *text = NULL, *elements = NULL;
        size_t size = 0, esize = 0;
        bool v4 = false, v6 = false;
        FILE *f, *e;

        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        e = open_memstream(&elements, &esize);
        if (!e) {
                fclose(f);
                return -ENOMEM;
        }

        fprintf(f, "table inet %s\ndelete table inet %s\n", np->table, np->table);
        if (np->n_bridges == 0)
                goto done;

        for (size_t i = 0; i < np->n_bridges; i++) {
                if (np->bridges[i]->address.family == AF_INET)
                        v4 = true;
                else
                        v6 = true;
        }

        fprintf(f, "table inet %s {\n", np->table);
        /* The published ports are map elements, not rules: a unit coming or going only refreshes
         * the maps (nft_elements), the chains stay as they are. */
        for (size_t i = 0; i < ELEMENTSOF(port_maps); i++)
                if (port_maps[i].family == AF_INET ? v4 : v6)
                        fprintf(f,
                                "\tmap %s {\n\t\ttype inet_proto . inet_service : %s . inet_service\n\t}\n",
                                port_maps[i].map, port_maps[i].type);

        /* Only packets for one of the host's own addresses: a container talking to the world on
         * port 8080 is not redirected. A port missing from the map ends the rule, nothing else.
         * NAT chains only ever see the first packet of a connection. Clients on the host itself
         * never pass prerouting: the output hook has the same rules. */
        for (size_t c = 0; c < ELEMENTSOF(dnat_chains); c++) {
                fprintf(f, "\tchain %s {\n\t\ttype nat hook %s priority %s; policy accept;\n",
                        dnat_chains[c].name, dnat_chains[c].name, dnat_chains[c].priority);
                for (size_t i = 0; i < ELEMENTSOF(port_maps); i++)
                        if (port_maps[i].family == AF_INET ? v4 : v6)
                                fprintf(f,
                                        "\t\tmeta nfproto %s fib daddr type local dnat %s to %s map @%s\n",
                                        port_maps[i].nfproto, port_maps[i].ip, "meta l4proto . th dport",
                                        port_maps[i].map);
                fputs("\t}\n", f);
        }

        fputs("\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n", f);
        for (size_t i = 0; i < np->n_bridges; i++) {
                const struct np_bridge *b = np->bridges[i];
                const char *ip = family_kw(b->address.family);
                char net[80];

                subnet_string(&b->address, net, sizeof(net));
                if (b->nat)
                        fprintf(f, "\t\t%s saddr %s oifname != \"%s\" masquerade\n", ip, net, b->name);
                /* Hairpin: a container reaching a published port of the host, DNATed back onto
                 * its own bridge, must see the reply come back through the host. */
                fprintf(f, "\t\toifname \"%s\" %s saddr %s ct status dnat masquerade\n", b->name, ip, net);
                /* 127.0.0.1:PORT from the host, DNATed to a container: the container cannot
                 * answer 127.0.0.1, so the source becomes the bridge address. */
                if (b->address.family == AF_INET)
                        fprintf(f, "\t\toifname \"%s\" ip saddr 127.0.0.0/8 masquerade\n", b->name);
        }
        fputs("\t}\n", f);

        /* Accepting here does not override a drop in another table (nftables runs every base
         * chain of a hook): this chain states the intent and is where a counter would go. */
        fputs("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n", f);
        for (size_t i = 0; i < np->n_bridges; i++) {
                const char *n = np->bridges[i]->name;
                fprintf(f, "\t\tiifname \"%s\" accept\n", n);
                fprintf(f, "\t\toifname \"%s\" ct state established,related accept\n", n);
                fprintf(f, "\t\toifname \"%s\" ct status dnat accept\n", n);
        }
        fputs("\t}\n", f);

        /* route_localnet=1 on a bridge (for the 127.0.0.1 case above) would also let a container
         * send to or spoof 127.0.0.0/8 on the host: drop that before conntrack sees it. */
        if (v4) {
                fputs("\tchain guard {\n\t\ttype filter hook prerouting priority raw; policy accept;\n", f);
                for (size_t i = 0; i < np->n_bridges; i++) {
                        const struct np_bridge *b = np->bridges[i];
                        if (b->address.family != AF_INET)
                                continue;
                        fprintf(f, "\t\tiifname \"%s\" ip saddr 127.0.0.0/8 drop\n", b->name);
                        fprintf(f, "\t\tiifname \"%s\" ip daddr 127.0.0.0/8 drop\n", b->name);
                }
                fputs("\t}\n", f);
        }
        fputs("}\n", f);

        if (v4)
                write_elements(np, e, AF_INET);
        if (v6)
                write_elements(np, e, AF_INET6);

done:
        if (fclose(f) != 0) {
                fclose(e);
                return -ENOMEM;
        }
        if (fclose(e) != 0)
                return -ENOMEM;
        *ret_structure = TAKE_PTR(text);
        *ret_elements = TAKE_PTR(elements);
        return 0;
}

/* nft reports errors as text only; find the errno it quotes, for the caller's return value. */
static int error_to_errno(const char *msg) {
        static const int candidates[] = {EPERM,  ENOENT, EEXIST,     EBUSY,   ENOMEM,      EINVAL,
                                         ENOSPC, EACCES, EOPNOTSUPP, ENOBUFS, EAFNOSUPPORT};

        for (size_t i = 0; i < ELEMENTSOF(candidates); i++)
                if (strstr(msg, strerror(candidates[i])))
                        return -candidates[i];
        return -EINVAL;
}

int nft_apply(struct nft_ctx *ctx, const char *text, char **ret_error) {
        const char *err;
        size_t n;
        int r;

        r = nft_run_cmd_from_buffer(ctx, text);
        err = nft_ctx_get_error_buffer(ctx);
        if (r == 0)
                return 0;

        if (!err || !*err)
                err = "nft failed";
        /* Keep the first line: the rest repeats the input with a caret under the culprit. */
        if (startswith(err, "Error: "))
                err += STRLEN("Error: ");
        n = strcspn(err, "\n");
        r = error_to_errno(err);
        log_debug("netplug: nft transaction failed: %.*s", (int) n, err);
        if (ret_error)
                *ret_error = strndup(err, n);
        return r;
}
