/* SPDX-License-Identifier: MIT */

/* The verbs that are one call each and print nothing when it works: reset-failed, freeze and thaw
 * (once per unit), reload, poweroff and reboot. */

#include <stdio.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

/* @method(NAME) for each unit; the worst exit code wins, but a lost supd ends it at once. */
static int call_each(int argc, char **argv, const char *method) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, exit = EXIT_OK;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, method, &error, NULL,
                                       "s", argv[i]);
                if (r < 0) {
                        int k = bus_log_error(&error, r, method);
                        if (k == EXIT_UNREACHABLE)
                                return k;
                        if (k > exit)
                                exit = k;
                }
        }
        return exit;
}

int verb_reset_failed(int argc, char **argv) {
        return call_each(argc, argv, "ResetFailed");
}

int verb_freeze(int argc, char **argv) {
        return call_each(argc, argv, "Freeze");
}

int verb_thaw(int argc, char **argv) {
        return call_each(argc, argv, "Thaw");
}

static int call_simple(const char *method) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, method, &error, NULL, NULL);
        if (r < 0)
                return bus_log_error(&error, r, method);
        return EXIT_OK;
}

int verb_poweroff(int argc, char **argv) {
        return call_simple("PowerOff");
}

int verb_reboot(int argc, char **argv) {
        return call_simple("Reboot");
}

/* Reload() → (u n_errors, as errors). Silent when every file is valid; else each error on stderr
 * as verify prints it, and status 1. The units that are valid have been applied either way. */
int verb_reload(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **errors = NULL;
        uint32_t n_errors;
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "Reload", &error, &reply,
                               NULL);
        if (r < 0)
                return bus_log_error(&error, r, "Reload");

        r = sd_bus_message_read(reply, "u", &n_errors);
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, &errors);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to parse the reply of Reload: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        STRV_FOREACH(e, errors)
                fprintf(stderr, "%s\n", *e);
        if (n_errors == 0 && !(errors && errors[0]))
                return EXIT_OK;

        if (!(errors && errors[0]))
                /* This supd says how many, not which: its log has the lines. */
                fprintf(stderr, "supctl: %" PRIu32 " unit%s not applied: errors in %s files (supd's log names them)\n",
                        n_errors, n_errors == 1 ? "" : "s", n_errors == 1 ? "its" : "their");
        return EXIT_FAILED;
}
