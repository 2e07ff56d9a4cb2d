/* SPDX-License-Identifier: MIT */

/* The instance's nftables table, written out from the bridges and units netplug knows, in two
 * parts: the structure, applied as one transaction that replaces the old table ("table" (made if
 * missing) + "delete table" + the new "table { … }"), and the port maps' elements ("flush map" +
 * "add element"). The kernel takes each transaction whole or not at all. README.md draws the
 * layout. np_table_*() at the end decide which of them a change needs, against what is in force.
 *
 * A unit coming or going only adds or deletes its own map elements: one nfnetlink batch built
 * here (nft_unit_elements()), not a libnftables run. libnftables (1.0.6) allocates and fills a
 * 128 KiB cache filter on every run and 4 × 128 KiB of hash heads per table it caches: cheap in
 * itself (0.1 ms), but a unit's network comes up between the clone of its first process and
 * that process's exec, while supd's pages are shared copy-on-write with it, and every page
 * written then costs a fault with a TLB shootdown — 190 of them, 5 to 15 ms. */

/* Before the kernel's headers, which then leave out what glibc's define. */
#include <netinet/in.h>

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

static const char *family_kw(int family) {
        return family == AF_INET6 ? "ip6" : "ip";
}

static void subnet_string(const struct netplug_cidr *c, char *buf, size_t len) {
        struct netplug_cidr net = {.family = c->family, .prefixlen = c->prefixlen};
        struct netplug_addr a;

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
                struct netplug_addr addr;
                char a[64];

                if (u->address.family != family)
                        continue;
                np_cidr_addr(&u->address, &addr);
                np_addr_to_string(&addr, a, sizeof(a));
                for (size_t j = 0; j < u->n_ports; j++) {
                        const struct netplug_port *p = &u->ports[j];
                        if (first)
                                fprintf(f, "add element inet %s %s { ", np->table, map);
                        fprintf(f, "%s%s . %u comment \"%s\" : %s . %u", first ? "" : ", ",
                                np_proto_name(p->protocol), p->host_port, u->name, a, p->container_port);
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
                char net[NP_CIDR_STRING_MAX];

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

bool nft_other_instances(const struct netplug *np) {
        const char *out, *p;
        bool found = false;

        if (!np->nft)
                return false;
        (void) nft_ctx_get_output_buffer(np->nft); /* drops what earlier runs printed */
        if (nft_run_cmd_from_buffer(np->nft, "list tables inet") != 0)
                return false;
        out = nft_ctx_get_output_buffer(np->nft);
        for (p = out; !found && p && *p; p += strcspn(p, "\n"), p += *p == '\n') {
                const char *name = startswith(p, "table inet ");
                size_t l;

                if (!name || !startswith(name, "sup_"))
                        continue;
                l = strcspn(name, " \n");
                found = l != strlen(np->table) || strncmp(name, np->table, l) != 0;
        }
        return found;
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

/* ---- a unit's map elements over nfnetlink ------------------------------------------------------ */

/* The nftables userdata TLV type of an element's comment (libnftnl's NFTNL_UDATA_SET_ELEM_COMMENT):
 * what `nft list` shows as `comment "web"`. */
#define UDATA_SET_ELEM_COMMENT 0

/* Room for one element: nests, a key of 8 bytes, data of up to 20, the comment (a unit name). */
#define ELEMENT_SIZE_MAX 192

int nft_nl_open(struct mnl_socket **ret) {
        struct mnl_socket *nl;
        int one = 1;

        nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!nl)
                return negative_errno();
        (void) mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
        (void) mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = negative_errno();
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

static void batch_put(struct nlmsghdr *m, uint16_t type, uint32_t seq) {
        struct nfgenmsg *g;

        m->nlmsg_type = type;
        m->nlmsg_flags = NLM_F_REQUEST;
        m->nlmsg_seq = seq;
        g = mnl_nlmsg_put_extra_header(m, sizeof(*g));
        g->nfgen_family = AF_UNSPEC;
        g->version = NFNETLINK_V0;
        g->res_id = htons(NFNL_SUBSYS_NFTABLES);
}

/* A key "l4proto . port" or data "address . port", as nftables lays out a concatenation: each
 * field in its own 32-bit registers, in network order, padded with zeros. */
static void put_value(struct nlmsghdr *m, uint16_t type, const void *a, size_t alen, uint16_t port) {
        uint8_t v[16 + 4] = {};
        uint16_t p = htons(port);
        struct nlattr *n;

        memcpy(v, a, alen);
        memcpy(v + ((alen + 3) & ~(size_t) 3), &p, sizeof(p));
        n = mnl_attr_nest_start(m, type);
        mnl_attr_put(m, NFTA_DATA_VALUE, ((alen + 3) & ~(size_t) 3) + 4, v);
        mnl_attr_nest_end(m, n);
}

/* Reads what the kernel answered to the batch of three messages starting at @seq (BEGIN, the
 * elements, END). The batch is processed within sendmsg(): every answer is queued by then,
 * nothing is waited for. Returns the first error, or -EPROTO when the element message got no
 * answer at all. */
static int batch_answers(struct mnl_socket *nl, uint32_t seq) {
        /* Only acks and errors come here (no multicast group is joined), capped: their header is
         * what counts, should an extended ack not fit. */
        _Alignas(struct nlmsghdr) uint8_t buf[1024];
        uint32_t portid = mnl_socket_get_portid(nl);
        bool acked = false;
        int r = 0;

        for (;;) {
                const struct nlmsghdr *m;
                ssize_t n;
                int len;

                n = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                len = (int) n;
                for (m = (const struct nlmsghdr *) buf; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

                        if (m->nlmsg_type != NLMSG_ERROR || (uint32_t) (m->nlmsg_seq - seq) > 2 ||
                            (m->nlmsg_pid != 0 && m->nlmsg_pid != portid))
                                continue; /* an answer to an earlier batch */
                        if (m->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
                                return -EBADMSG;
                        if (e->error < 0 && r == 0)
                                r = e->error;
                        if (m->nlmsg_seq == seq + 1)
                                acked = true;
                }
        }
        if (r < 0)
                return r;
        return acked ? 0 : -EPROTO;
}

int nft_unit_elements(struct netplug *np, const struct netplug_unit *u, bool add) {
        _Alignas(struct nlmsghdr) uint8_t sbuf[2048]; /* up to 9 ports; more go to the heap */
        _cleanup_free_ uint8_t *hbuf = NULL;
        size_t size = 3 * MNL_NLMSG_HDRLEN + 256 + u->n_ports * ELEMENT_SIZE_MAX, alen;
        const char *map = port_maps[u->address.family == AF_INET6].map;
        struct nlmsghdr *m;
        struct nlattr *list;
        struct nfgenmsg *g;
        uint32_t seq;
        uint8_t *buf;

        if (!np->nfnl)
                return -ENOTCONN;
        if (u->n_ports == 0)
                return 0;
        if (size <= sizeof(sbuf))
                buf = sbuf;
        else {
                buf = hbuf = malloc(size);
                if (!buf)
                        return -ENOMEM;
        }
        alen = np_addr_len(u->address.family);
        seq = np->nfnl_seq;
        np->nfnl_seq += 3;

        /* One transaction: BEGIN, the unit's elements, END. */
        m = mnl_nlmsg_put_header(buf);
        batch_put(m, NFNL_MSG_BATCH_BEGIN, seq);

        m = mnl_nlmsg_put_header((uint8_t *) m + m->nlmsg_len);
        m->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM);
        /* Adding an element that is there with the same data is no error; with other data it
         * is (EEXIST), and the caller rewrites the maps whole. */
        m->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE : 0);
        m->nlmsg_seq = seq + 1;
        g = mnl_nlmsg_put_extra_header(m, sizeof(*g));
        g->nfgen_family = NFPROTO_INET;
        g->version = NFNETLINK_V0;
        g->res_id = 0;
        mnl_attr_put_strz(m, NFTA_SET_ELEM_LIST_TABLE, np->table);
        mnl_attr_put_strz(m, NFTA_SET_ELEM_LIST_SET, map);
        list = mnl_attr_nest_start(m, NFTA_SET_ELEM_LIST_ELEMENTS);
        for (size_t i = 0; i < u->n_ports; i++) {
                const struct netplug_port *p = &u->ports[i];
                uint8_t proto = p->protocol == IPPROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP;
                struct nlattr *e = mnl_attr_nest_start(m, NFTA_LIST_ELEM);

                put_value(m, NFTA_SET_ELEM_KEY, &proto, 1, p->host_port);
                if (add) {
                        size_t l = strlen(u->name) + 1;
                        uint8_t ud[2 + NETPLUG_NAME_MAX + 1];

                        put_value(m, NFTA_SET_ELEM_DATA, &u->address.addr, alen, p->container_port);
                        if (l <= NETPLUG_NAME_MAX + 1) {
                                ud[0] = UDATA_SET_ELEM_COMMENT;
                                ud[1] = (uint8_t) l;
                                memcpy(ud + 2, u->name, l);
                                mnl_attr_put(m, NFTA_SET_ELEM_USERDATA, 2 + l, ud);
                        }
                }
                mnl_attr_nest_end(m, e);
        }
        mnl_attr_nest_end(m, list);

        m = mnl_nlmsg_put_header((uint8_t *) m + m->nlmsg_len);
        batch_put(m, NFNL_MSG_BATCH_END, seq + 2);

        if (mnl_socket_sendto(np->nfnl, buf, (size_t) ((uint8_t *) m + m->nlmsg_len - buf)) < 0)
                return -errno;
        return batch_answers(np->nfnl, seq);
}

/* ---- keeping the table in force up to date ---------------------------------------------------- */

static void set_applied(struct netplug *np, char **structure, char **elements) {
        free(np->nft_structure);
        free(np->nft_elements);
        np->nft_structure = TAKE_PTR(*structure);
        np->nft_elements = TAKE_PTR(*elements);
}

int np_table_rebuild(struct netplug *np, char **ret_error) {
        _cleanup_free_ char *structure = NULL, *elements = NULL, *full = NULL, *err = NULL;
        int r;

        r = nft_ruleset_build(np, &structure, &elements);
        if (r < 0)
                return np_fail(ret_error, r, NULL, "write the rules of nftables table inet %s", np->table);

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

int np_table_ports_update(struct netplug *np, const struct netplug_unit *u, bool add, char **ret_error) {
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
        return np_table_rebuild(np, ret_error);
}

int np_table_delete(struct netplug *np) {
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
