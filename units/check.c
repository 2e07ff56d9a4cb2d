/* SPDX-License-Identifier: MIT */

/* What one key cannot tell alone: required keys, keys that need other keys (a namespace, a
 * bridge, a root file system), and the defaults that depend on other keys (Hostname=, Init=,
 * Environment='s PATH). Runs once a unit and all its drop-ins are parsed, so that a drop-in can
 * fix what the unit file lacks. The checks across units are in load.c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "macro.h"
#include "path-defaults.h"

#define SET(u, k) ((u)->origin[k].line > 0)

/* A required key is missing when it was never set or holds nothing (an indented Exec= line with
 * no words, say). Reported at @line: where its section starts, or the top of the file. */
static void check_required(struct parse_ctx *c, const struct key_row *rows, size_t n, const void *base,
                           const struct key_origin *origins, unsigned line) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *v = NULL;

                if (!(rows[i].flags & KEY_REQUIRED))
                        continue;
                if (origins[i].line > 0) {
                        v = key_format(&rows[i], base);
                        if (!v) {
                                c->oom = true;
                                return;
                        }
                        if (*v != '\0')
                                continue;
                }
                ctx_error(c, line, rows[i].name, "required key is missing in [%s]", section_names[rows[i].section]);
        }
}

/* Environment: the default PATH first unless set; one entry per name, the last assignment wins,
 * at the position of its first appearance. */
static int unit_finalize_environment(struct unit_config *u) {
        _cleanup_strv_free_ char **out = NULL;
        bool has_path = false;
        size_t n = 0;

        STRV_FOREACH(e, u->environment)
                if (startswith(*e, "PATH="))
                        has_path = true;

        out = calloc(strv_length(u->environment) + 2, sizeof(char *));
        if (!out)
                return -ENOMEM;
        if (!has_path) {
                out[n] = strdup(SUP_DEFAULT_PATH_ENV);
                if (!out[n++])
                        return -ENOMEM;
        }
        STRV_FOREACH(e, u->environment) {
                size_t l = (size_t) (strchr(*e, '=') - *e) + 1, i;
                char *d;

                for (i = 0; i < n; i++)
                        if (strncmp(out[i], *e, l) == 0)
                                break;
                d = strdup(*e);
                if (!d)
                        return -ENOMEM;
                if (i < n) {
                        free(out[i]);
                        out[i] = d;
                } else
                        out[n++] = d;
        }
        strv_free(u->environment);
        u->environment = TAKE_PTR(out);
        return 0;
}

/* Hostname= defaults to the unit's name, with a private uts namespace. */
static int unit_finalize_hostname(struct parse_ctx *c, struct unit_config *u) {
        if (SET(u, UK_HOSTNAME) && !(u->namespaces & UNIT_NS_UTS))
                ctx_origin_error(c, u, UK_HOSTNAME, "needs the uts namespace (add uts to Namespaces=)");
        if (u->hostname || !(u->namespaces & UNIT_NS_UTS))
                return 0;
        /* Unit names allow '_' and long names; a hostname does not. */
        u->hostname = strdup(hostname_is_valid(u->name) ? u->name : "localhost");
        return u->hostname ? 0 : -ENOMEM;
}

static void check_mounts(struct parse_ctx *c, const struct unit_config *u) {
        static const enum unit_key needs_mnt[] = { UK_ROOTFS, UK_BIND, UK_TMPFS, UK_READONLY, UK_DNS, UK_LAYERS };

        if (!(u->namespaces & UNIT_NS_MNT))
                for (size_t i = 0; i < ELEMENTSOF(needs_mnt); i++) {
                        enum unit_key k = needs_mnt[i];
                        bool used = k == UK_ROOTFS     ? u->rootfs != NULL
                                    : k == UK_BIND     ? u->n_binds > 0
                                    : k == UK_TMPFS    ? u->n_tmpfs > 0
                                    : k == UK_READONLY ? u->read_only
                                    : k == UK_DNS      ? u->n_dns > 0
                                                       : u->layers != NULL;
                        if (used)
                                ctx_origin_error(c, u, k, "needs the mnt namespace (add mnt to Namespaces=)");
                }

        if (u->overlay != OVERLAY_NONE && !u->rootfs)
                ctx_origin_error(c, u, UK_OVERLAY, "Overlay=%s needs RootFS=", overlay_mode_to_string(u->overlay));
        if (u->layers && u->overlay == OVERLAY_NONE)
                ctx_origin_error(c, u, UK_LAYERS, "needs Overlay=ephemeral or Overlay=persistent");
}

static void check_network(struct parse_ctx *c, const struct unit_config *u) {
        static const enum unit_key net_keys[] = { UK_BRIDGE, UK_ADDRESS, UK_GATEWAY, UK_PUBLISHPORT, UK_DNS };

        if (!(u->namespaces & UNIT_NS_NET))
                for (size_t i = 0; i < ELEMENTSOF(net_keys); i++)
                        if (SET(u, net_keys[i]) && !(net_keys[i] == UK_PUBLISHPORT && u->n_ports == 0) &&
                            !(net_keys[i] == UK_DNS && u->n_dns == 0))
                                ctx_origin_error(c, u, net_keys[i],
                                                 "needs the net namespace (add net to Namespaces=)");

        if (!u->bridge) {
                if (SET(u, UK_ADDRESS) && !u->address_auto)
                        ctx_origin_error(c, u, UK_ADDRESS, "needs Bridge=");
                if (SET(u, UK_GATEWAY))
                        ctx_origin_error(c, u, UK_GATEWAY, "needs Bridge=");
                if (u->n_ports > 0)
                        ctx_origin_error(c, u, UK_PUBLISHPORT,
                                         "needs Bridge= (ports are forwarded to the bridge address)");
        }
}

int unit_finalize(struct parse_ctx *c, struct unit_config *u, unsigned container_line) {
        int r;

        check_required(c, unit_keys, _UK_MAX, u, u->origin, container_line ? container_line : 1);

        /* UserNamespace= implies the user namespace; the user namespace alone means auto. */
        if (u->userns != USERNS_NONE)
                u->namespaces |= UNIT_NS_USER;
        else if (u->namespaces & UNIT_NS_USER)
                u->userns = USERNS_AUTO;

        if (!SET(u, UK_INIT))
                u->init = u->namespaces & UNIT_NS_PID;

        r = unit_finalize_hostname(c, u);
        if (r < 0)
                return r;
        check_mounts(c, u);
        check_network(c, u);

        if (u->memory_high != SIZE_INFINITY && u->memory_max != SIZE_INFINITY && u->memory_high > u->memory_max)
                ctx_origin_error(c, u, UK_MEMORYHIGH, "is above MemoryMax=");
        if (u->restart_max_delay_usec < u->restart_usec)
                ctx_origin_error(c, u, SET(u, UK_RESTARTMAXDELAYSEC) ? UK_RESTARTMAXDELAYSEC : UK_RESTARTSEC,
                                 "RestartMaxDelaySec= is shorter than RestartSec=");

        return unit_finalize_environment(u);
}

void bridge_finalize(struct parse_ctx *c, struct bridge_config *b) {
        unsigned line = b->origin[BK_ADDRESS].line, max = b->address.family == AF_INET ? 30 : 126;
        unsigned before = c->n_errors;

        check_required(c, bridge_keys, _BK_MAX, b, b->origin, 1);
        if (c->n_errors > before)
                return;
        if (b->address.prefixlen > max || b->address.prefixlen < 8)
                ctx_error(c, line, "Address", "prefix length /%u leaves no room for containers (use /8 to /%u)",
                          b->address.prefixlen, max);
        else if (cidr_is_network_or_broadcast(&b->address))
                ctx_error(c, line, "Address",
                          "is the subnet's network or broadcast address; give the bridge's own address, "
                          "e.g. the first host");
}
