/* SPDX-License-Identifier: MIT */

/* The verbs that are one call each and print nothing when it works: reset-failed, freeze and thaw
 * (once per unit), reload, poweroff and reboot. */

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"
#include "time-util.h"

static int call_name(sd_bus *bus, const char *method, const char *name, sd_bus_error *error) {
        return sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, method, error, NULL, "s",
                                  name);
}

static int call_reset_failed(sd_bus *bus, const char *name, sd_bus_error *error) {
        return call_name(bus, "ResetFailed", name, error);
}

static int call_freeze(sd_bus *bus, const char *name, sd_bus_error *error) {
        return call_name(bus, "Freeze", name, error);
}

static int call_thaw(sd_bus *bus, const char *name, sd_bus_error *error) {
        return call_name(bus, "Thaw", name, error);
}

int verb_reset_failed(int argc, char **argv) {
        return bus_for_each_unit(argc, argv, "ResetFailed", call_reset_failed);
}

int verb_freeze(int argc, char **argv) {
        return bus_for_each_unit(argc, argv, "Freeze", call_freeze);
}

int verb_thaw(int argc, char **argv) {
        return bus_for_each_unit(argc, argv, "Thaw", call_thaw);
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

/* How long daemon-reexec waits for the new image to answer. */
#define REEXEC_TIMEOUT_USEC (30 * USEC_PER_SEC)

/* Reexecute(), then waits until the new image answers ListUnits: the verb returns once supd serves
 * again, so that a script can go on with the next call. */
int verb_daemon_reexec(int argc, char **argv) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        uint64_t deadline;
        int r;

        {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;

                r = bus_connect(&bus);
                if (r != 0)
                        return r;
                r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "Reexecute",
                                       &error, NULL, NULL);
                /* The connection may close under the reply: the old image is gone then. */
                if (r < 0 && r != -ECONNRESET && r != -ENOTCONN && r != -EPIPE)
                        return bus_log_error(&error, r, "Reexecute");

                /* The old image answers until it execs, which closes this connection: only a
                 * connection made after that reaches the new one. */
                deadline = now(CLOCK_MONOTONIC) + REEXEC_TIMEOUT_USEC;
                bool closed = false;
                for (int fd = sd_bus_get_fd(bus); fd >= 0 && !closed;) {
                        struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
                        char buf[256];
                        uint64_t t = now(CLOCK_MONOTONIC);

                        if (t >= deadline)
                                break;
                        if (poll(&p, 1, (int) ((deadline - t) / USEC_PER_MSEC) + 1) < 0 && errno != EINTR)
                                closed = true; /* cannot tell: go on to the new connection */
                        else if (p.revents & (POLLHUP | POLLRDHUP | POLLERR))
                                closed = true;
                        else if ((p.revents & POLLIN) && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
                                closed = true;
                }
                if (!closed) {
                        fprintf(stderr, "supctl: supd did not re-execute within %us (its log says why); it goes on "
                                        "running as it was\n", (unsigned) (REEXEC_TIMEOUT_USEC / USEC_PER_SEC));
                        return EXIT_FAILED;
                }
        }

        deadline = now(CLOCK_MONOTONIC) + REEXEC_TIMEOUT_USEC;
        for (;;) {
                _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

                r = bus_connect_quiet(&bus);
                if (r == 0 && sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE,
                                                 "ListUnits", &e, NULL, NULL) >= 0)
                        return EXIT_OK;
                if (now(CLOCK_MONOTONIC) >= deadline) {
                        fprintf(stderr, "supctl: supd did not answer within %us of re-executing\n",
                                (unsigned) (REEXEC_TIMEOUT_USEC / USEC_PER_SEC));
                        return EXIT_UNREACHABLE;
                }
                (void) usleep(10 * 1000);
        }
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
