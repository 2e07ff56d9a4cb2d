/* SPDX-License-Identifier: MIT */

/* supctl kill [-s SIG] [--all] NAME…: KillUnit() for each unit. The signal was parsed with the
 * options (parse_signal(): "HUP", "SIGHUP", "1", "RTMIN+2"). */

#include <stdio.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

static int call_kill(sd_bus *bus, const char *name, sd_bus_error *error) {
        return sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "KillUnit", error, NULL,
                                  "ssi", name, arg_all ? "all" : "main", (int32_t) arg_signal);
}

int verb_kill(int argc, char **argv) {
        return bus_for_each_unit(argc, argv, "KillUnit", call_kill);
}
