/* SPDX-License-Identifier: MIT */
#pragma once

/* supctl's side of the control socket: connecting, org.sup.Manager1 names, GetUnit() decoded, and
 * bus errors mapped to the exit codes of SPEC §5. */

#include <stdint.h>
#include <systemd/sd-bus.h>

/* The same names as supd's bus serves. */
#include "bus-names.h"

#define SUP_DEFAULT_SOCKET "/run/sup/control"

/* --socket, else $SUP_SOCKET, else SUP_DEFAULT_SOCKET. */
const char *bus_socket_path(void);

/**
 * bus_connect() - connect to supd and finish the authentication, so that an unreachable supd is
 * told apart from a failing call; a supd that does not complete it within 10 s counts as
 * unreachable. On failure prints "supctl: cannot reach supd at PATH: ..." and returns
 * EXIT_UNREACHABLE; returns 0 on success.
 */
int bus_connect(sd_bus **ret);
/* The same without a message: -errno when supd cannot be reached. */
int bus_connect_quiet(sd_bus **ret);

/**
 * bus_log_error() - print the message of a failed call ("supctl: MESSAGE", or with @what when
 * there is no message) and return the exit code for it: EXIT_NO_UNIT for NoSuchUnit,
 * EXIT_UNREACHABLE when the connection is gone, else EXIT_FAILED.
 */
int bus_log_error(const sd_bus_error *error, int r, const char *what);

/* GetUnit(), decoded. Strings are never NULL after a successful bus_get_unit(). */
struct unit_info {
        char *name;
        char *description;
        char *fragment_path;
        char *load_state;
        char *load_error;
        char *active_state;
        char *result;
        uint32_t main_pid;
        uint32_t restarts;
        char *cgroup;
        char *address;
        uint64_t active_enter_timestamp; /* CLOCK_REALTIME usec, 0: never */
        uint64_t state_change_timestamp;
        char *exit_code; /* "exited", "killed", "dumped" or "" */
        int32_t exit_status;
        char *status_text;
        char *setup_error;
        int start_queued; /* a start waits for dependencies, or for the stop half of a restart */
        int stop_queued;
        int init;        /* the main process is the container's init; the payload is its first child */
        char **log_tail;
        char **published_ports;
        char *adopted; /* "", "daemon-reexec" or "supd-restart" */
        uint64_t log_bytes_dropped; /* output supd could not write to the log file */
};

void unit_info_done(struct unit_info *i);

/* Returns 0, or an exit code after printing the error. */
int bus_get_unit(sd_bus *bus, const char *name, struct unit_info *ret);

/* Called for each entry of an a{sv}: read the variant (its signature is @contents) and return 1,
 * return 0 to have it skipped (unknown, or of a newer supd's type), or -errno. */
typedef int (*bus_dict_entry_t)(sd_bus_message *m, const char *key, const char *contents, void *userdata);

/* Walks the a{sv} at the message's read position. Returns 0 or -errno. */
int bus_read_dict(sd_bus_message *m, bus_dict_entry_t entry, void *userdata);

/* One call per unit name in argv[1..]: the worst exit code wins, a lost supd ends it at once. */
typedef int (*bus_unit_call_t)(sd_bus *bus, const char *name, sd_bus_error *error);
int bus_for_each_unit(int argc, char **argv, const char *what, bus_unit_call_t call);

/* Decodes a GetUnit() reply into @i (zero-initialised by the caller; unit_info_done() after). */
int bus_decode_unit(sd_bus_message *m, struct unit_info *i);
