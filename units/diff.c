/* SPDX-License-Identifier: MIT */

/* The canonical dump of a unit's effective configuration, and the reload diff built on it: two
 * units are the same exactly when their dumps are equal, so the diff never misses a key added
 * later to the model as long as the dump prints it. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "units-internal.h"
#include "units.h"

static void dump_word(FILE *f, const char *w) {
        bool plain = *w != '\0';

        for (const char *p = w; *p; p++)
                if (strchr(" \t\n\"'\\", *p))
                        plain = false;
        if (plain) {
                fputs(w, f);
                return;
        }
        fputc('"', f);
        for (const char *p = w; *p; p++) {
                if (*p == '\n')
                        fputs("\\n", f);
                else if (*p == '\t')
                        fputs("\\t", f);
                else {
                        if (*p == '"' || *p == '\\')
                                fputc('\\', f);
                        fputc(*p, f);
                }
        }
        fputc('"', f);
}

static void dump_strv(FILE *f, const char *key, char *const *l) {
        fprintf(f, "%s=", key);
        STRV_FOREACH(w, l) {
                if (w != l)
                        fputc(' ', f);
                dump_word(f, *w);
        }
        fputc('\n', f);
}

static void dump_usec(FILE *f, const char *key, uint64_t usec) {
        if (usec == USEC_INFINITY)
                fprintf(f, "%s=infinity\n", key);
        else if (usec % USEC_PER_SEC == 0)
                fprintf(f, "%s=%" PRIu64 "s\n", key, usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                fprintf(f, "%s=%" PRIu64 "ms\n", key, usec / USEC_PER_MSEC);
        else
                fprintf(f, "%s=%" PRIu64 "us\n", key, usec);
}

static void dump_size(FILE *f, const char *key, uint64_t v) {
        if (v == SIZE_INFINITY)
                fprintf(f, "%s=infinity\n", key);
        else
                fprintf(f, "%s=%" PRIu64 "\n", key, v);
}

static void dump_ip(FILE *f, int family, const void *addr) {
        char buf[INET6_ADDRSTRLEN] = "?";
        (void) ip_addr_to_string(family, addr, buf, sizeof(buf));
        fputs(buf, f);
}

int unit_config_dump(const struct unit_config *u, FILE *f) {
        fprintf(f, "# %s (%s)\n[Unit]\nDescription=", u->name, unit_load_state_to_string(u->load_state));
        dump_word(f, strempty(u->description));
        fputc('\n', f);
        dump_strv(f, "Requires", u->requires);
        dump_strv(f, "Wants", u->wants);
        dump_strv(f, "After", u->after);
        fprintf(f, "AutoStart=%s\n", u->autostart ? "yes" : "no");

        fputs("\n[Container]\n", f);
        dump_strv(f, "Exec", u->exec);
        fprintf(f, "RootFS=%s\n", strempty(u->rootfs));
        dump_strv(f, "Layers", u->layers);
        fprintf(f, "Overlay=%s\n", overlay_mode_to_string(u->overlay));
        fprintf(f, "ReadOnly=%s\n", u->read_only ? "yes" : "no");
        fputs("Namespaces=", f);
        for (unsigned bit = 1, first = 1; bit < _UNIT_NS_ALL; bit <<= 1)
                if (u->namespaces & bit) {
                        fprintf(f, "%s%s", first ? "" : " ", unit_ns_to_string(bit));
                        first = 0;
                }
        fputc('\n', f);
        fprintf(f, "Hostname=%s\n", strempty(u->hostname));
        if (u->userns == USERNS_MAP)
                fprintf(f, "UserNamespace=%u:%u:%u\n", u->userns_map.inside, u->userns_map.outside,
                        u->userns_map.count);
        else
                fprintf(f, "UserNamespace=%s\n", u->userns == USERNS_AUTO ? "auto" : "none");
        fprintf(f, "User=%s\nGroup=%s\n", u->user ? u->user : "0", u->group ? u->group : "0");
        fprintf(f, "WorkingDirectory=%s\n", u->working_directory ? u->working_directory : "/");
        dump_strv(f, "Environment", u->environment);
        fputs("Bind=", f);
        for (size_t i = 0; i < u->n_binds; i++) {
                _cleanup_free_ char *w = NULL;
                if (asprintf(&w, "%s:%s%s", u->binds[i].source, u->binds[i].target,
                             u->binds[i].read_only ? ":ro" : "") < 0)
                        return -ENOMEM;
                fputs(i ? " " : "", f);
                dump_word(f, w);
        }
        fputs("\nTmpfs=", f);
        for (size_t i = 0; i < u->n_tmpfs; i++) {
                fputs(i ? " " : "", f);
                dump_word(f, u->tmpfs[i].path);
                if (u->tmpfs[i].size > 0)
                        fprintf(f, ":size=%" PRIu64, u->tmpfs[i].size);
        }
        fprintf(f, "\nInit=%s\n", u->init ? "yes" : "no");
        fputs("Capabilities=", f);
        for (int cap = 0, first = 1; cap <= capability_last(); cap++)
                if (u->capabilities & (UINT64_C(1) << cap)) {
                        fprintf(f, "%s%s", first ? "" : " ", capability_to_string(cap));
                        first = 0;
                }
        fprintf(f, "\nNoNewPrivileges=%s\n", u->no_new_privileges ? "yes" : "no");
        fprintf(f, "Seccomp=%s\n", seccomp_mode_to_string(u->seccomp));

        fputs("\n[Service]\n", f);
        fprintf(f, "Type=%s\n", service_type_to_string(u->type));
        fprintf(f, "Restart=%s\n", restart_policy_to_string(u->restart));
        dump_usec(f, "RestartSec", u->restart_usec);
        dump_usec(f, "RestartMaxDelaySec", u->restart_max_delay_usec);
        dump_usec(f, "RestartResetSec", u->restart_reset_usec);
        fprintf(f, "StartLimitBurst=%u\n", u->start_limit_burst);
        dump_usec(f, "StartLimitIntervalSec", u->start_limit_interval_usec);
        dump_usec(f, "TimeoutStartSec", u->timeout_start_usec);
        dump_usec(f, "TimeoutStopSec", u->timeout_stop_usec);
        fprintf(f, "KillSignal=%s\n", signal_to_string(u->kill_signal) ?: "?");
        dump_size(f, "LogMaxSize", u->log_max_size);

        fputs("\n[Network]\n", f);
        fprintf(f, "Bridge=%s\n", strempty(u->bridge));
        fputs("Address=", f);
        if (u->address_auto)
                fputs("auto", f);
        else {
                dump_ip(f, u->address.family, &u->address.addr);
                fprintf(f, "/%u", u->address.prefixlen);
        }
        fputs("\nGateway=", f);
        if (u->gateway_set)
                dump_ip(f, u->gateway.family, &u->gateway.addr);
        fputs("\nPublishPort=", f);
        for (size_t i = 0; i < u->n_ports; i++)
                fprintf(f, "%s%u:%u/%s", i ? " " : "", u->ports[i].host_port, u->ports[i].container_port,
                        u->ports[i].protocol == IPPROTO_UDP ? "udp" : "tcp");
        fputs("\nDNS=", f);
        for (size_t i = 0; i < u->n_dns; i++) {
                fputs(i ? " " : "", f);
                dump_ip(f, u->dns[i].family, &u->dns[i].addr);
        }

        fputs("\n\n[Resources]\n", f);
        dump_size(f, "MemoryMax", u->memory_max);
        dump_size(f, "MemoryHigh", u->memory_high);
        if (u->cpu_quota_permyriad)
                fprintf(f, "CPUQuota=%u.%02u%%\n", u->cpu_quota_permyriad / 100, u->cpu_quota_permyriad % 100);
        else
                fputs("CPUQuota=\n", f);
        if (u->cpu_weight)
                fprintf(f, "CPUWeight=%u\n", u->cpu_weight);
        else
                fputs("CPUWeight=\n", f);
        fprintf(f, "AllowedCPUs=%s\n", strempty(u->allowed_cpus));
        dump_size(f, "TasksMax", u->tasks_max);
        if (u->io_weight)
                fprintf(f, "IOWeight=%u\n", u->io_weight);
        else
                fputs("IOWeight=\n", f);
        return ferror(f) ? -EIO : 0;
}

int bridge_config_dump(const struct bridge_config *b, FILE *f) {
        fprintf(f, "# %s (%s)\n[Bridge]\nAddress=", b->name, unit_load_state_to_string(b->load_state));
        dump_ip(f, b->address.family, &b->address.addr);
        fprintf(f, "/%u\nNAT=%s\n", b->address.prefixlen, b->nat ? "yes" : "no");
        return ferror(f) ? -EIO : 0;
}

static char *dump_to_string(const struct unit_config *u, const struct bridge_config *b) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        int r;

        if (!f)
                return NULL;
        r = u ? unit_config_dump(u, f) : bridge_config_dump(b, f);
        if (fclose(f) != 0 || r < 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static int push(struct unit_diff_entry **a, size_t *n, const char *name, bool is_bridge, enum unit_change c) {
        struct unit_diff_entry *x = reallocarray(*a, *n + 1, sizeof(**a));
        if (!x)
                return -ENOMEM;
        x[(*n)++] = (struct unit_diff_entry) { .name = name, .is_bridge = is_bridge, .change = c };
        *a = x;
        return 0;
}

static bool same(const struct unit_config *ou, const struct bridge_config *ob, const struct unit_config *nu,
                 const struct bridge_config *nb, int *err) {
        _cleanup_free_ char *a = dump_to_string(ou, ob), *b = dump_to_string(nu, nb);

        if (!a || !b) {
                *err = -ENOMEM;
                return false;
        }
        return streq(a, b);
}

int unit_set_diff(const struct unit_set *old, const struct unit_set *new, struct unit_diff_entry **ret) {
        _cleanup_free_ struct unit_diff_entry *a = NULL;
        size_t n = 0, i = 0, j = 0;
        int err = 0;

        /* Both sides are sorted by name (unit_set_check()), so one merge pass does it. */
        while (i < old->n_bridges || j < new->n_bridges) {
                int c = i == old->n_bridges   ? 1
                        : j == new->n_bridges ? -1
                                              : strcmp(old->bridges[i]->name, new->bridges[j]->name);
                int r;
                if (c < 0)
                        r = push(&a, &n, old->bridges[i++]->name, true, UNIT_REMOVED);
                else if (c > 0)
                        r = push(&a, &n, new->bridges[j++]->name, true, UNIT_ADDED);
                else {
                        bool s = same(NULL, old->bridges[i], NULL, new->bridges[j], &err);
                        r = push(&a, &n, new->bridges[j]->name, true, s ? UNIT_UNCHANGED : UNIT_CHANGED);
                        i++, j++;
                }
                if (r < 0 || err < 0)
                        return -ENOMEM;
        }
        size_t n_bridges = n;

        i = j = 0;
        while (i < old->n_units || j < new->n_units) {
                int c = i == old->n_units   ? 1
                        : j == new->n_units ? -1
                                            : strcmp(old->units[i]->name, new->units[j]->name);
                int r;
                if (c < 0)
                        r = push(&a, &n, old->units[i++]->name, false, UNIT_REMOVED);
                else if (c > 0)
                        r = push(&a, &n, new->units[j++]->name, false, UNIT_ADDED);
                else {
                        const struct unit_config *nu = new->units[j];
                        bool s = same(old->units[i], NULL, nu, NULL, &err);
                        if (s && nu->bridge)
                                for (size_t k = 0; k < n_bridges; k++)
                                        if (streq(a[k].name, nu->bridge) && a[k].change != UNIT_UNCHANGED)
                                                s = false;
                        r = push(&a, &n, nu->name, false, s ? UNIT_UNCHANGED : UNIT_CHANGED);
                        i++, j++;
                }
                if (r < 0 || err < 0)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(a);
        return (int) n;
}
