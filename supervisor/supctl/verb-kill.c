/* SPDX-License-Identifier: MIT */

/* supctl kill [-s SIG] [--all] NAME…: KillUnit() for each unit. The signal was parsed with the
 * options (parse_signal(): "HUP", "SIGHUP", "1", "RTMIN+2"). */

#include <stdio.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

int verb_kill(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r, exit = EXIT_OK;

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        for (int i = 1; i < argc; i++) {
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

                r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "KillUnit", &error,
                                       NULL, "ssi", argv[i], arg_all ? "all" : "main", (int32_t) arg_signal);
                if (r < 0) {
                        int k = bus_log_error(&error, r, "KillUnit");
                        if (k == EXIT_UNREACHABLE)
                                return k;
                        if (k > exit)
                                exit = k;
                }
        }
        return exit;
}
