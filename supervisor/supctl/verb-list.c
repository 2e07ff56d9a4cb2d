/* SPDX-License-Identifier: MIT */

/* supctl list [--json]: every unit supd knows, from ListUnits(). */

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "output.h"
#include "supctl.h"

struct row {
        const char *name, *description, *load, *active, *result; /* point into the reply */
        uint32_t main_pid, restarts;
};

static int print_json(const struct row *rows, size_t n) {
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        json_object *units = json_object_new_array();

        if (!root || !units) {
                json_object_put(units);
                return -ENOMEM;
        }
        json_object_object_add(root, "units", units);

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_new_object();
                if (!o)
                        return -ENOMEM;
                json_object_array_add(units, o);
                json_object_object_add(o, "name", json_object_new_string(rows[i].name));
                json_object_object_add(o, "description", json_object_new_string(rows[i].description));
                json_object_object_add(o, "load", json_object_new_string(rows[i].load));
                json_object_object_add(o, "active", json_object_new_string(rows[i].active));
                json_object_object_add(o, "result", json_object_new_string(rows[i].result));
                json_object_object_add(o, "main_pid",
                                       rows[i].main_pid > 0 ? json_object_new_int64(rows[i].main_pid) : NULL);
                json_object_object_add(o, "restarts", json_object_new_int64(rows[i].restarts));
        }

        puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
        return 0;
}

static size_t max_size(size_t a, size_t b) {
        return a > b ? a : b;
}

/* A column padded to @width, coloured when @color is not "". */
static void print_cell(const char *s, const char *color, size_t width, bool last) {
        if (last)
                printf("%s%s%s\n", color, s, *color ? ansi_normal() : "");
        else
                printf("%s%s%s%*s ", color, s, *color ? ansi_normal() : "", (int) (width - strlen(s)), "");
}

static void print_table(const struct row *rows, size_t n) {
        size_t w_name = STRLEN("UNIT"), w_load = STRLEN("LOAD"), w_active = STRLEN("ACTIVE"),
               w_result = STRLEN("RESULT"), w_pid = STRLEN("PID"), w_restarts = STRLEN("RESTARTS");
        char pid[16], restarts[16];

        for (size_t i = 0; i < n; i++) {
                w_name = max_size(w_name, strlen(rows[i].name));
                w_load = max_size(w_load, strlen(rows[i].load));
                w_active = max_size(w_active, strlen(rows[i].active));
                w_result = max_size(w_result, strlen(rows[i].result));
                w_pid = max_size(w_pid, (size_t) snprintf(pid, sizeof(pid), "%" PRIu32, rows[i].main_pid));
                w_restarts = max_size(w_restarts,
                                      (size_t) snprintf(restarts, sizeof(restarts), "%" PRIu32, rows[i].restarts));
        }

        printf("%s", ansi_highlight());
        printf("%-*s %-*s %-*s %-*s %-*s %-*s %s", (int) w_name, "UNIT", (int) w_load, "LOAD", (int) w_active,
               "ACTIVE", (int) w_result, "RESULT", (int) w_pid, "PID", (int) w_restarts, "RESTARTS", "DESCRIPTION");
        printf("%s\n", ansi_normal());

        for (size_t i = 0; i < n; i++) {
                const struct row *r = &rows[i];
                bool failed = streq(r->active, "failed");

                if (r->main_pid > 0)
                        snprintf(pid, sizeof(pid), "%" PRIu32, r->main_pid);
                else
                        snprintf(pid, sizeof(pid), "-");
                snprintf(restarts, sizeof(restarts), "%" PRIu32, r->restarts);

                print_cell(r->name, failed ? ansi_red() : "", w_name, false);
                print_cell(r->load, streq(r->load, "loaded") ? "" : ansi_red(), w_load, false);
                print_cell(r->active, failed ? ansi_red() : "", w_active, false);
                print_cell(r->result, failed ? ansi_red() : "", w_result, false);
                print_cell(pid, "", w_pid, false);
                if (str_empty(r->description))
                        print_cell(restarts, "", 0, true); /* no trailing blanks */
                else {
                        print_cell(restarts, "", w_restarts, false);
                        print_cell(r->description, "", 0, true);
                }
        }

        printf("\n%zu unit%s listed.\n", n, n == 1 ? "" : "s");
}

int verb_list(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ struct row *rows = NULL;
        size_t n = 0, allocated = 0;
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "ListUnits", &error, &reply,
                               NULL);
        if (r < 0)
                return bus_log_error(&error, r, "ListUnits");

        r = sd_bus_message_enter_container(reply, 'a', "(sssssuu)");
        if (r < 0)
                goto bad_reply;
        for (;;) {
                struct row row;

                r = sd_bus_message_read(reply, "(sssssuu)", &row.name, &row.description, &row.load, &row.active,
                                        &row.result, &row.main_pid, &row.restarts);
                if (r < 0)
                        goto bad_reply;
                if (r == 0)
                        break;
                if (n == allocated) {
                        size_t k = allocated ? allocated * 2 : 16;
                        struct row *p = reallocarray(rows, k, sizeof(*rows));
                        if (!p) {
                                r = -ENOMEM;
                                goto bad_reply;
                        }
                        rows = p;
                        allocated = k;
                }
                rows[n++] = row;
        }
        r = sd_bus_message_exit_container(reply);
        if (r < 0)
                goto bad_reply;

        if (arg_json) {
                r = print_json(rows, n);
                if (r < 0)
                        goto bad_reply;
        } else
                print_table(rows, n);
        return EXIT_OK;

bad_reply:
        fprintf(stderr, "supctl: Failed to parse the reply of ListUnits: %s\n", strerror(-r));
        return EXIT_FAILED;
}
