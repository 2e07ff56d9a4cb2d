/* SPDX-License-Identifier: MIT */

/* supctl status NAME [--json]: GetUnit(), shown the way systemctl status does. Exit status 0 when
 * the unit is running, 3 when it is not, 4 when there is no such unit. */

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "output.h"
#include "supctl.h"
#include "time-util.h"

static json_object *json_string_or_null(const char *s) {
        return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *json_uint_or_null(uint64_t v) {
        return v > 0 ? json_object_new_uint64(v) : NULL;
}

/* The field names are documented in supctl(1). */
static int print_json(const struct unit_info *i) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *tail = json_object_new_array();
        bool exited = !str_empty(i->exit_code);

        if (!o || !tail) {
                json_object_put(tail);
                return -ENOMEM;
        }

        json_object_object_add(o, "name", json_object_new_string(i->name));
        json_object_object_add(o, "description", json_object_new_string(i->description));
        json_object_object_add(o, "fragment_path", json_string_or_null(i->fragment_path));
        json_object_object_add(o, "load_state", json_object_new_string(i->load_state));
        json_object_object_add(o, "load", json_object_new_string(i->load_state)); /* as in list */
        json_object_object_add(o, "load_error", json_string_or_null(i->load_error));
        json_object_object_add(o, "active_state", json_object_new_string(i->active_state));
        json_object_object_add(o, "active", json_object_new_string(i->active_state)); /* as in list */
        json_object_object_add(o, "result", json_object_new_string(i->result));
        json_object_object_add(o, "main_pid", json_uint_or_null(i->main_pid));
        json_object_object_add(o, "restarts", json_object_new_uint64(i->restarts));
        json_object_object_add(o, "cgroup", json_string_or_null(i->cgroup));
        json_object_object_add(o, "address", json_string_or_null(i->address));
        json_object_object_add(o, "active_enter_timestamp", json_uint_or_null(i->active_enter_timestamp));
        json_object_object_add(o, "state_change_timestamp", json_uint_or_null(i->state_change_timestamp));
        json_object_object_add(o, "exit_code", json_string_or_null(i->exit_code));
        json_object_object_add(o, "exit_status", exited ? json_object_new_int(i->exit_status) : NULL);
        json_object_object_add(o, "status_text", json_string_or_null(i->status_text));
        json_object_object_add(o, "setup_error", json_string_or_null(i->setup_error));
        json_object_object_add(o, "start_queued", json_object_new_boolean(i->start_queued));
        json_object_object_add(o, "stop_queued", json_object_new_boolean(i->stop_queued));
        STRV_FOREACH(l, i->log_tail)
                json_object_array_add(tail, json_object_new_string(*l));
        json_object_object_add(o, "log_tail", tail);
        json_object *ports = json_object_new_array();
        STRV_FOREACH(p, i->published_ports)
                json_object_array_add(ports, json_object_new_string(*p));
        json_object_object_add(o, "published_ports", ports);
        json_object_object_add(o, "log_bytes_dropped", json_object_new_uint64(i->log_bytes_dropped));
        json_object_object_add(o, "adopted", str_empty(i->adopted) ? NULL : json_object_new_string(i->adopted));

        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

static const char *state_color(const char *active_state) {
        if (streq(active_state, "running"))
                return ansi_green();
        if (streq(active_state, "failed"))
                return ansi_red();
        return "";
}

static void print_last_exit(const struct unit_info *i) {
        if (streq(i->exit_code, "exited"))
                printf("  Last exit: status %" PRIi32 "\n", i->exit_status);
        else if (streq(i->exit_code, "killed") || streq(i->exit_code, "dumped")) {
                const char *abbrev = sigabbrev_np(i->exit_status);
                printf("  Last exit: signal %" PRIi32 " (SIG%s%s)\n", i->exit_status, abbrev ?: "?",
                       streq(i->exit_code, "dumped") ? ", core dumped" : "");
        }
}

static void print_text(const struct unit_info *i) {
        const char *color = state_color(i->active_state);
        bool bad_load = !streq(i->load_state, "loaded");
        char ts[FORMAT_TIMESTAMP_MAX], span[FORMAT_TIMESPAN_MAX];

        printf("%s%s%s %s%s%s", color, glyph_bullet(), *color ? ansi_normal() : "", ansi_highlight(), i->name,
               ansi_normal());
        if (!str_empty(i->description))
                printf(" - %s", i->description);
        printf("\n");

        printf("     Loaded: %s%s%s", bad_load ? ansi_red() : "", i->load_state, bad_load ? ansi_normal() : "");
        if (!str_empty(i->fragment_path))
                printf(" (%s)", i->fragment_path);
        printf("\n");
        if (!str_empty(i->load_error))
                printf("      Error: %s%s%s\n", ansi_red(), i->load_error, ansi_normal());

        printf("     Active: %s%s%s", color, i->active_state, *color ? ansi_normal() : "");
        if (!str_empty(i->result))
                printf(" (%s)", i->result);
        if (i->state_change_timestamp > 0) {
                uint64_t t = now(CLOCK_REALTIME);
                uint64_t since = streq(i->active_state, "running") && i->active_enter_timestamp > 0
                                         ? i->active_enter_timestamp
                                         : i->state_change_timestamp;
                printf(" since %s; %s ago", format_timestamp(ts, sizeof(ts), since),
                       format_timespan(span, sizeof(span), t > since ? t - since : 0));
        }
        printf("\n");

        if (i->main_pid > 0)
                printf("   Main PID: %" PRIu32 "\n", i->main_pid);
        printf("   Restarts: %" PRIu32 "\n", i->restarts);
        if (!str_empty(i->adopted))
                printf("    Adopted: %s\n", streq(i->adopted, "daemon-reexec") ? "across supd daemon-reexec"
                                                                              : "after a supd restart");
        if (!str_empty(i->cgroup))
                printf("     CGroup: %s\n", i->cgroup);
        if (!str_empty(i->address))
                printf("    Address: %s\n", i->address);
        if (i->published_ports && i->published_ports[0]) {
                printf("      Ports:");
                STRV_FOREACH(p, i->published_ports)
                        printf(" %s", *p);
                putchar('\n');
        }
        print_last_exit(i);
        if (!str_empty(i->status_text))
                printf("     Status: \"%s\"\n", i->status_text);
        if (i->start_queued || i->stop_queued)
                printf("     Queued: %s\n", i->stop_queued ? "stop" : "start");
        if (!str_empty(i->setup_error))
                printf("      Setup: %s%s%s\n", streq(i->result, "setup") ? ansi_red() : "", i->setup_error,
                       streq(i->result, "setup") ? ansi_normal() : "");
        if (i->log_bytes_dropped > 0)
                printf("        Log: %s%" PRIu64 " bytes dropped%s\n", ansi_red(), i->log_bytes_dropped, ansi_normal());

        if (i->log_tail && i->log_tail[0]) {
                printf("\n");
                STRV_FOREACH(l, i->log_tail)
                        printf("%s\n", *l);
        }
}

int verb_status(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(unit_info_done) struct unit_info i = {};
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        r = bus_get_unit(bus, argv[1], &i);
        if (r != 0)
                return r;

        if (arg_json) {
                if (print_json(&i) < 0) {
                        fprintf(stderr, "supctl status: out of memory\n");
                        return EXIT_FAILED;
                }
        } else
                print_text(&i);

        return streq(i.active_state, "running") ? EXIT_OK : EXIT_NOT_RUNNING;
}
