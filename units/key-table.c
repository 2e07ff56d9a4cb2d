/* SPDX-License-Identifier: MIT */

/* The keys of .unit and .bridge files, one row each, in file order within each section (the
 * order of the canonical dump), and the functions that apply the rows. A row names the value
 * type; the field is checked against that type's C type at compile time. Adding a key is one
 * row here (and its enum unit_key value and struct field in units.h). */

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "macro.h"

const char *const section_names[_SECTION_MAX] = {
        [SECTION_UNIT] = "Unit",       [SECTION_CONTAINER] = "Container", [SECTION_SERVICE] = "Service",
        [SECTION_NETWORK] = "Network", [SECTION_RESOURCES] = "Resources", [SECTION_BRIDGE] = "Bridge",
};

/* offsetof(S, field), after making sure that field has the C type the value type fills. */
#define FIELD_OFFSET(S, field, vtype)                                                                   \
        (offsetof(S, field) +                                                                           \
         0 * sizeof(struct {                                                                            \
                 _Static_assert(__builtin_types_compatible_p(__typeof__(((S *) 0)->field), CTYPE_##vtype), \
                                #field " is not of the C type of value type " #vtype);                   \
                 char c;                                                                                \
         }))

#define UNIT(id, key, sect, vtype, field, ...)                                                          \
        [id] = { .name = key, .section = SECTION_##sect, .type = &type_##vtype,                         \
                 .offset = FIELD_OFFSET(struct unit_config, field, vtype), __VA_ARGS__ }
#define AUX(field) .aux = offsetof(struct unit_config, field)

/* Indexed by enum unit_key. */
const struct key_row unit_keys[_UK_MAX] = {
        UNIT(UK_DESCRIPTION, "Description", UNIT, text, description, .flags = KEY_CONTINUES),
        UNIT(UK_REQUIRES, "Requires", UNIT, strv, requires, .flags = KEY_LIST, .check = check_unit_name),
        UNIT(UK_WANTS, "Wants", UNIT, strv, wants, .flags = KEY_LIST, .check = check_unit_name),
        UNIT(UK_AFTER, "After", UNIT, strv, after, .flags = KEY_LIST, .check = check_unit_name),
        UNIT(UK_AUTOSTART, "AutoStart", UNIT, boolean, autostart, .def = "yes"),

        UNIT(UK_EXEC, "Exec", CONTAINER, argv, exec, .flags = KEY_REQUIRED | KEY_NO_RESET | KEY_CONTINUES),
        UNIT(UK_ROOTFS, "RootFS", CONTAINER, string, rootfs, .check = check_absolute_path),
        UNIT(UK_LAYERS, "Layers", CONTAINER, strv, layers, .flags = KEY_LIST, .check = check_absolute_path),
        UNIT(UK_OVERLAY, "Overlay", CONTAINER, overlay_mode, overlay, .def = "none"),
        UNIT(UK_READONLY, "ReadOnly", CONTAINER, boolean, read_only, .def = "no"),
        UNIT(UK_NAMESPACES, "Namespaces", CONTAINER, namespaces, namespaces, .flags = KEY_NO_RESET,
             .def = "pid mnt ipc uts net cgroup"),
        UNIT(UK_HOSTNAME, "Hostname", CONTAINER, string, hostname, .check = check_hostname),
        UNIT(UK_USERNAMESPACE, "UserNamespace", CONTAINER, userns, userns, AUX(userns_map), .def = "none"),
        UNIT(UK_USER, "User", CONTAINER, string, user, .def = "0", .check = check_user),
        UNIT(UK_GROUP, "Group", CONTAINER, string, group, .def = "0", .check = check_group),
        UNIT(UK_WORKINGDIRECTORY, "WorkingDirectory", CONTAINER, string, working_directory, .def = "/",
             .check = check_absolute_path),
        UNIT(UK_ENVIRONMENT, "Environment", CONTAINER, strv, environment, .flags = KEY_LIST,
             .check = check_assignment),
        UNIT(UK_ENVIRONMENTFILE, "EnvironmentFile", CONTAINER, env_files, environment_files,
             AUX(n_environment_files), .flags = KEY_LIST),
        UNIT(UK_BIND, "Bind", CONTAINER, binds, binds, AUX(n_binds), .flags = KEY_LIST),
        UNIT(UK_TMPFS, "Tmpfs", CONTAINER, tmpfs, tmpfs, AUX(n_tmpfs), .flags = KEY_LIST),
        UNIT(UK_INIT, "Init", CONTAINER, boolean, init), /* default: yes with a pid namespace (check.c) */
        UNIT(UK_CAPABILITIES, "Capabilities", CONTAINER, capabilities, capabilities, .flags = KEY_LIST,
             .def = "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_SETGID CAP_SETUID CAP_SETPCAP "
                    "CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP"),
        UNIT(UK_NONEWPRIVILEGES, "NoNewPrivileges", CONTAINER, boolean, no_new_privileges, .def = "yes"),
        UNIT(UK_SECCOMP, "Seccomp", CONTAINER, seccomp_mode, seccomp, .def = "default"),

        UNIT(UK_TYPE, "Type", SERVICE, service_type, type, .def = "simple"),
        UNIT(UK_RESTART, "Restart", SERVICE, restart_policy, restart, .def = "on-failure"),
        UNIT(UK_RESTARTSEC, "RestartSec", SERVICE, duration_finite, restart_usec, .def = "100ms"),
        UNIT(UK_RESTARTMAXDELAYSEC, "RestartMaxDelaySec", SERVICE, duration_finite, restart_max_delay_usec,
             .def = "30s"),
        UNIT(UK_RESTARTRESETSEC, "RestartResetSec", SERVICE, duration, restart_reset_usec, .def = "10s"),
        UNIT(UK_STARTLIMITBURST, "StartLimitBurst", SERVICE, count, start_limit_burst, .def = "5"),
        UNIT(UK_STARTLIMITINTERVALSEC, "StartLimitIntervalSec", SERVICE, duration, start_limit_interval_usec,
             .def = "10s"),
        UNIT(UK_TIMEOUTSTARTSEC, "TimeoutStartSec", SERVICE, timeout, timeout_start_usec, .def = "30s"),
        UNIT(UK_TIMEOUTSTOPSEC, "TimeoutStopSec", SERVICE, timeout, timeout_stop_usec, .def = "10s"),
        UNIT(UK_KILLSIGNAL, "KillSignal", SERVICE, signal, kill_signal, .def = "SIGTERM"),
        UNIT(UK_LOGMAXSIZE, "LogMaxSize", SERVICE, size, log_max_size, .def = "1M"),

        UNIT(UK_BRIDGE, "Bridge", NETWORK, string, bridge, .check = check_bridge_name),
        UNIT(UK_ADDRESS, "Address", NETWORK, address, address, AUX(address_auto), .def = "auto"),
        UNIT(UK_GATEWAY, "Gateway", NETWORK, gateway, gateway, AUX(gateway_set)),
        UNIT(UK_PUBLISHPORT, "PublishPort", NETWORK, ports, ports, AUX(n_ports), .flags = KEY_LIST),
        UNIT(UK_DNS, "DNS", NETWORK, ips, dns, AUX(n_dns), .flags = KEY_LIST),

        UNIT(UK_MEMORYMAX, "MemoryMax", RESOURCES, size, memory_max, .flags = KEY_LIVE, .def = "infinity"),
        UNIT(UK_MEMORYHIGH, "MemoryHigh", RESOURCES, size, memory_high, .flags = KEY_LIVE, .def = "infinity"),
        UNIT(UK_CPUQUOTA, "CPUQuota", RESOURCES, percent, cpu_quota_permyriad, .flags = KEY_LIVE),
        UNIT(UK_CPUWEIGHT, "CPUWeight", RESOURCES, weight, cpu_weight, .flags = KEY_LIVE),
        UNIT(UK_ALLOWEDCPUS, "AllowedCPUs", RESOURCES, cpu_list, allowed_cpus, .flags = KEY_LIVE),
        UNIT(UK_TASKSMAX, "TasksMax", RESOURCES, tasks, tasks_max, .flags = KEY_LIVE, .def = "infinity"),
        UNIT(UK_IOWEIGHT, "IOWeight", RESOURCES, weight, io_weight, .flags = KEY_LIVE),
};

#define BRIDGE(id, key, vtype, field, ...)                                                              \
        [id] = { .name = key, .section = SECTION_BRIDGE, .type = &type_##vtype,                         \
                 .offset = FIELD_OFFSET(struct bridge_config, field, vtype), __VA_ARGS__ }

/* Indexed by enum bridge_key. A bridge has no drop-ins, so an empty value is just invalid. */
const struct key_row bridge_keys[_BK_MAX] = {
        BRIDGE(BK_ADDRESS, "Address", cidr, address, .flags = KEY_REQUIRED | KEY_NO_RESET),
        BRIDGE(BK_NAT, "NAT", boolean, nat, .flags = KEY_NO_RESET, .def = "yes"),
};

/* ---- applying rows ------------------------------------------------------------------------------ */

const struct key_row *key_find(const struct key_row *rows, size_t n, enum section section, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (rows[i].section == section && streq(rows[i].name, name))
                        return &rows[i];
        return NULL;
}

/* A list value: its words, each parsed on its own, so that one bad word does not hide the next. */
static int key_parse_words(const struct key_call *k, const char *value) {
        _cleanup_strv_free_ char **words = NULL;
        int r;

        r = split_quoted(value, &words);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return key_error(k, "unbalanced quotes or trailing backslash in \"%s\"", value);
        STRV_FOREACH(w, words) {
                r = k->row->type->parse(k, *w);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static int key_set_default(const struct key_row *row, void *base) {
        const struct key_call k = { .row = row, .base = base };
        int r;

        row->type->clear(row, base);
        if (!row->def || row->type->unset_shows_default)
                return 0;
        r = row->flags & KEY_LIST ? key_parse_words(&k, row->def) : row->type->parse(&k, row->def);
        assert(r != -EINVAL); /* a default that does not parse is a bug of the table */
        return r;
}

int keys_init(const struct key_row *rows, size_t n, void *base) {
        for (size_t i = 0; i < n; i++) {
                int r = key_set_default(&rows[i], base);
                if (r < 0)
                        return r;
        }
        return 0;
}

void keys_clear(const struct key_row *rows, size_t n, void *base) {
        for (size_t i = 0; i < n; i++)
                rows[i].type->clear(&rows[i], base);
}

int key_assign(const struct key_call *k, const char *value, bool *ret_reset) {
        const struct key_row *row = k->row;
        int r;

        *ret_reset = false;
        if (row->flags & KEY_LIST) {
                if (*value == '\0' && !k->continuation) {
                        row->type->clear(row, k->base);
                        return 0;
                }
                r = key_parse_words(k, value);
        } else if (k->continuation && !(row->flags & KEY_CONTINUES))
                r = key_error(k, "continuation line for a single-valued key");
        else if (*value == '\0' && !(row->flags & KEY_NO_RESET) && !k->continuation) {
                /* An empty value gives a single-valued key its default back, so that a drop-in can
                 * undo what the unit set (MemoryMax= removes the limit). */
                *ret_reset = true;
                r = key_set_default(row, k->base);
        } else
                r = row->type->parse(k, value);
        /* Errors are reported and counted by key_error(); only running out of memory stops us. */
        return r == -ENOMEM ? r : 0;
}

char *key_format(const struct key_row *row, const void *base) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        row->type->format(row, base, f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

void keys_dump(const struct key_row *rows, size_t n, const void *base, FILE *f) {
        for (size_t i = 0; i < n; i++) {
                if (i == 0 || rows[i].section != rows[i - 1].section)
                        fprintf(f, "%s[%s]\n", i == 0 ? "" : "\n", section_names[rows[i].section]);
                fprintf(f, "%s=", rows[i].name);
                rows[i].type->format(&rows[i], base, f);
                fputc('\n', f);
        }
}
