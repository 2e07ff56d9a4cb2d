/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"
#include "time-util.h"

/* How long supctl waits for supd to take the connection and finish the handshake (supctl(1)). A
 * supd that refuses a connection closes it at once; this is for one that does not answer at all. */
#define BUS_CONNECT_TIMEOUT_SEC 10

const char *bus_socket_path(void) {
        const char *e;

        if (arg_socket)
                return arg_socket;
        e = getenv("SUP_SOCKET");
        if (e && *e)
                return e;
        return SUP_DEFAULT_SOCKET;
}

/* A D-Bus address value: bytes outside [-0-9A-Za-z_/.\*] as %XX. */
static char *address_escape(const char *path) {
        static const char hex[] = "0123456789abcdef";
        char *buf, *p;

        buf = malloc(strlen(path) * 3 + 1);
        if (!buf)
                return NULL;
        p = buf;
        for (const unsigned char *s = (const unsigned char *) path; *s; s++)
                if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                    strchr("-_/.\\*", *s))
                        *p++ = (char) *s;
                else {
                        *p++ = '%';
                        *p++ = hex[*s >> 4];
                        *p++ = hex[*s & 15];
                }
        *p = '\0';
        return buf;
}

static int unreachable(int r) {
        fprintf(stderr, "supctl: cannot reach supd at %s: %s\n", bus_socket_path(), strerror(r < 0 ? -r : r));
        return EXIT_UNREACHABLE;
}

static bool errno_is_disconnect(int r) {
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN || r == -ECONNREFUSED;
}

static int bus_try_connect(const char *address, bool anonymous, uint64_t deadline, sd_bus **ret) {
        /* Not flushed when given up on: sd_bus_flush() would wait for the handshake, up to 90 s. */
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        (void) sd_bus_set_description(bus, "supctl");
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        if (anonymous) {
                r = sd_bus_set_anonymous(bus, 1);
                if (r < 0)
                        return r;
        }
        r = sd_bus_start(bus);
        if (r < 0)
                return r;

        /* Finish the authentication here: an unreachable or refusing supd shows up now, with exit
         * status 5, not as the failure of whatever is called first. Bounded by our own deadline:
         * sd-bus' own would be 90 s. */
        for (;;) {
                uint64_t t;

                r = sd_bus_is_ready(bus);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                t = now(CLOCK_MONOTONIC);
                if (t >= deadline)
                        return -ETIMEDOUT;
                r = sd_bus_wait(bus, deadline - t);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(bus);
        return 0;
}

int bus_connect_quiet(sd_bus **ret) {
        _cleanup_free_ char *escaped = NULL, *address = NULL;
        uint64_t deadline = now(CLOCK_MONOTONIC) + BUS_CONNECT_TIMEOUT_SEC * USEC_PER_SEC;
        int r;

        escaped = address_escape(bus_socket_path());
        if (!escaped || asprintf(&address, "unix:path=%s", escaped) < 0)
                return -ENOMEM;

        r = bus_try_connect(address, false, deadline, ret);
        /* EXTERNAL fails when supd runs in another pid namespace (it cannot see our pid). */
        if (r == -EPERM || r == -EACCES)
                r = bus_try_connect(address, true, deadline, ret);
        return r < 0 ? r : 0;
}

int bus_connect(sd_bus **ret) {
        int r = bus_connect_quiet(ret);

        if (r == -ETIMEDOUT) {
                fprintf(stderr, "supctl: cannot reach supd at %s: no answer within %ds\n", bus_socket_path(),
                        BUS_CONNECT_TIMEOUT_SEC);
                return EXIT_UNREACHABLE;
        }
        return r < 0 ? unreachable(r) : 0;
}

int bus_log_error(const sd_bus_error *error, int r, const char *what) {
        if (sd_bus_error_has_name(error, SD_BUS_ERROR_DISCONNECTED) || sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) ||
            (!sd_bus_error_is_set(error) && errno_is_disconnect(r)))
                return unreachable(r);

        if (error && error->message)
                fprintf(stderr, "supctl: %s\n", error->message);
        else
                fprintf(stderr, "supctl: %s: %s\n", what, strerror(r < 0 ? -r : EIO));

        if (sd_bus_error_has_name(error, SUP_ERROR_NO_SUCH_UNIT))
                return EXIT_NO_UNIT;
        return EXIT_FAILED;
}

void unit_info_done(struct unit_info *i) {
        free(i->name);
        free(i->description);
        free(i->fragment_path);
        free(i->load_state);
        free(i->load_error);
        free(i->active_state);
        free(i->result);
        free(i->cgroup);
        free(i->address);
        free(i->adopted);
        free(i->exit_code);
        free(i->status_text);
        free(i->setup_error);
        strv_free(i->log_tail);
        strv_free(i->published_ports);
        *i = (struct unit_info) {};
}

static const struct unit_prop {
        const char *key;
        const char *signature;
        size_t offset;
} unit_props[] = {
        { "Name", "s", offsetof(struct unit_info, name) },
        { "Description", "s", offsetof(struct unit_info, description) },
        { "FragmentPath", "s", offsetof(struct unit_info, fragment_path) },
        { "LoadState", "s", offsetof(struct unit_info, load_state) },
        { "LoadError", "s", offsetof(struct unit_info, load_error) },
        { "ActiveState", "s", offsetof(struct unit_info, active_state) },
        { "Result", "s", offsetof(struct unit_info, result) },
        { "MainPID", "u", offsetof(struct unit_info, main_pid) },
        { "Restarts", "u", offsetof(struct unit_info, restarts) },
        { "CGroup", "s", offsetof(struct unit_info, cgroup) },
        { "Address", "s", offsetof(struct unit_info, address) },
        { "ActiveEnterTimestamp", "t", offsetof(struct unit_info, active_enter_timestamp) },
        { "StateChangeTimestamp", "t", offsetof(struct unit_info, state_change_timestamp) },
        { "ExitCode", "s", offsetof(struct unit_info, exit_code) },
        { "ExitStatus", "i", offsetof(struct unit_info, exit_status) },
        { "StatusText", "s", offsetof(struct unit_info, status_text) },
        { "SetupError", "s", offsetof(struct unit_info, setup_error) },
        { "StartQueued", "b", offsetof(struct unit_info, start_queued) },
        { "StopQueued", "b", offsetof(struct unit_info, stop_queued) },
        { "Init", "b", offsetof(struct unit_info, init) },
        { "LogTail", "as", offsetof(struct unit_info, log_tail) },
        { "PublishedPorts", "as", offsetof(struct unit_info, published_ports) },
        { "LogBytesDropped", "t", offsetof(struct unit_info, log_bytes_dropped) },
        { "Adopted", "s", offsetof(struct unit_info, adopted) },
};

static int read_prop(sd_bus_message *m, const struct unit_prop *p, struct unit_info *i) {
        void *field = (uint8_t *) i + p->offset;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'v', p->signature);
        if (r < 0)
                return r;
        switch (p->signature[0]) {
        case 's':
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                free(*(char **) field);
                *(char **) field = strdup(s);
                if (!*(char **) field)
                        return -ENOMEM;
                break;
        case 'u':
                r = sd_bus_message_read(m, "u", (uint32_t *) field);
                break;
        case 'i':
                r = sd_bus_message_read(m, "i", (int32_t *) field);
                break;
        case 'b':
                r = sd_bus_message_read(m, "b", (int *) field);
                break;
        case 't':
                r = sd_bus_message_read(m, "t", (uint64_t *) field);
                break;
        case 'a':
                strv_free(*(char ***) field);
                *(char ***) field = NULL;
                r = sd_bus_message_read_strv(m, (char ***) field);
                break;
        default:
                abort();
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int bus_read_dict(sd_bus_message *m, bus_dict_entry_t entry, void *userdata) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *key, *contents;
                char type;

                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, &type, &contents);
                if (r < 0)
                        return r;
                r = type == 'v' ? entry(m, key, contents, userdata) : 0;
                if (r == 0)
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int bus_for_each_unit(int argc, char **argv, const char *what, bus_unit_call_t call) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, exit = EXIT_OK;

        r = bus_connect(&bus);
        if (r != 0)
                return r;
        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = call(bus, argv[i], &error);
                if (r < 0) {
                        int k = bus_log_error(&error, r, what);
                        if (k == EXIT_UNREACHABLE)
                                return k;
                        if (k > exit)
                                exit = k;
                }
        }
        return exit;
}

/* Unknown keys, or known ones of another type (a newer supd), are skipped. */
static int unit_prop_entry(sd_bus_message *m, const char *key, const char *contents, void *userdata) {
        for (size_t k = 0; k < ELEMENTSOF(unit_props); k++)
                if (streq(unit_props[k].key, key) && streq(contents, unit_props[k].signature)) {
                        int r = read_prop(m, &unit_props[k], userdata);
                        return r < 0 ? r : 1;
                }
        return 0;
}

int bus_decode_unit(sd_bus_message *m, struct unit_info *i) {
        int r;

        r = bus_read_dict(m, unit_prop_entry, i);
        if (r < 0)
                return r;

        for (size_t k = 0; k < ELEMENTSOF(unit_props); k++) {
                char **field = (char **) ((uint8_t *) i + unit_props[k].offset);
                if (streq(unit_props[k].signature, "s") && !*field) {
                        *field = strdup("");
                        if (!*field)
                                return -ENOMEM;
                }
        }
        return 0;
}

int bus_get_unit(sd_bus *bus, const char *name, struct unit_info *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct unit_info i = {};
        int r;

        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "GetUnit", &error, &reply,
                               "s", name);
        if (r < 0)
                return bus_log_error(&error, r, "GetUnit");

        r = bus_decode_unit(reply, &i);
        if (r < 0) {
                unit_info_done(&i);
                fprintf(stderr, "supctl: Failed to parse the reply of GetUnit: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        *ret = i;
        return 0;
}
