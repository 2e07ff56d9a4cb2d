/* SPDX-License-Identifier: MIT */
#pragma once

/* The manager: desired vs actual state of every unit, the state machine, restart with backoff and
 * start limits, dependencies, stop and shutdown. It owns the units, their cgroups, log streams
 * and launches; the bus and supd's main only call the functions below (unit_get_status() for what
 * they show), never reading struct unit. */

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroupd.h"
#include "netplug.h"
#include "unit-state.h"
#include "units.h"


struct manager;
struct log_stream;

/* A unit: private to the manager's files (manager-internal.h). */
struct unit;


/* What the bus and supd's main read of a unit (they never read struct unit itself): a snapshot
 * whose strings belong to the unit, valid until the next loop iteration. */
struct unit_status {
        const char *name;
        const char *description;   /* "" */
        const char *fragment_path; /* "" when not-found */
        const char *load_error;    /* "" */
        enum unit_load_state load_state;
        enum unit_active_state state;
        enum unit_result result;
        pid_t main_pid;            /* 0 when none */
        unsigned n_restarts;
        uint64_t active_enter_realtime;
        uint64_t state_change_realtime;
        int exit_code;             /* CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0 when none */
        int exit_status;
        const char *status_text;   /* "" */
        const char *setup_error;   /* "" */
        uint64_t log_bytes_dropped; /* output the log file could not take */
        bool adopted;               /* the run was taken over from a previous supd */
        bool adopted_reexec;        /* ... across daemon-reexec (else after it was killed) */
        bool start_queued;         /* a start, or the start half of a restart */
        bool stop_queued;
        bool init;                 /* the main process is the container's init */
};

void unit_get_status(const struct unit *u, struct unit_status *ret);
const char *unit_name(const struct unit *u);
enum unit_active_state unit_state(const struct unit *u);

/* The last @n lines of the unit's log file (none when it has none). */
int unit_log_tail(struct unit *u, unsigned n, char ***ret);

enum manager_shutdown {
        MANAGER_RUNNING,
        MANAGER_EXIT,
        MANAGER_POWEROFF,
        MANAGER_REBOOT,
        MANAGER_REEXEC, /* not a shutdown: daemon-reexec, asked through the same callback */
};

struct manager_options {
        struct json_object *claims; /* daemon-reexec: the claims passed across execve, else NULL */
        const char *units_dir;
        const char *runtime_dir;
        const char *state_dir;
        const char *cgroup_root;
        bool pid1;
};

/* Called after every state change; the bus emits UnitChanged from here. */
typedef void (*manager_unit_changed_t)(void *userdata, struct unit *u);

int manager_new(struct ev_loop *loop, const struct manager_options *o, struct manager **ret);
struct manager *manager_free(struct manager *m);
void manager_set_unit_changed(struct manager *m, manager_unit_changed_t cb, void *userdata);

/* Loads the units directory, adopts the runs a predecessor left alive (@reexec_units: what
 * daemon-reexec passed, the JSON array of manager_serialize(); NULL: its runtime records), cleans up
 * the rest of what it left, and starts AutoStart= units (not after daemon-reexec: every unit stays
 * as it was). */
struct json_object;
int manager_startup(struct manager *m, struct json_object *reexec_units);

/* daemon-reexec: the units as a JSON array for the next image, their fds made to survive execve;
 * manager_serialize_abort() when the execve failed. Returns NULL on failure (nothing changed). */
struct json_object *manager_serialize(struct manager *m);
void manager_serialize_abort(struct manager *m);
/* The claims of this instance (records.h), to pass across execve and take back. */
struct json_object *manager_serialize_claims(struct manager *m);
int manager_deserialize_claims(struct manager *m, struct json_object *a);
void manager_serialize_claims_abort(struct manager *m);

/* Units sorted by name; valid until the next reload. */
size_t manager_units(struct manager *m, struct unit ***ret);
struct unit *manager_find_unit(struct manager *m, const char *name);

/* Requests. They return 0 when accepted (the outcome is reported through state changes), or
 * -errno with *ret_message (static or owned by the unit, valid until the next loop iteration):
 *   -ENOENT  no such unit
 *   -ENOEXEC the unit file has errors (message: the first one)
 *   -EBUSY   refused in this state (e.g. the start limit is hit)
 *   -ESHUTDOWN supd is shutting down */
int manager_start_unit(struct manager *m, struct unit *u, const char **ret_message);
int manager_stop_unit(struct manager *m, struct unit *u, const char **ret_message);
int manager_restart_unit(struct manager *m, struct unit *u, const char **ret_message);

/* Signal the main process (@all false) or every process of the unit's cgroup (@all true).
 * -ESRCH when the unit has no process. */
int manager_kill_unit(struct manager *m, struct unit *u, int sig, bool all, const char **ret_message);

/* Clears failed (back to inactive) and the start-limit history. -EBUSY unless failed. */
int manager_reset_failed(struct manager *m, struct unit *u, const char **ret_message);

/* The cgroup freezer. -EBUSY when the unit has no running cgroup. */
int manager_freeze_unit(struct manager *m, struct unit *u, bool freeze, const char **ret_message);

/* Accounting of the unit's cgroup (see struct cg_stats). -EBUSY when the unit is not running. */
int manager_unit_stats(struct manager *m, struct unit *u, struct cg_stats *ret, const char **ret_message);

/* PowerOff/Reboot from the bus: supd's main installs what happens (only as PID 1). */
typedef int (*manager_shutdown_request_t)(void *userdata, enum manager_shutdown how);
void manager_set_shutdown_request(struct manager *m, manager_shutdown_request_t cb, void *userdata);
int manager_request_shutdown(struct manager *m, enum manager_shutdown how, const char **ret_message);

/**
 * manager_reload() - re-read the units directory and apply the difference: start added units
 * (AutoStart=yes), stop removed ones, restart changed running ones, leave unchanged ones alone.
 * A unit whose file became invalid keeps running as it was; its error is logged and counted.
 *
 * Returns the number of units whose new file has errors (>= 0), or -errno when the directory
 * cannot be read (nothing changed then). @ret_errors (may be NULL): every error line, as
 * `supctl verify` prints them.
 */
int manager_reload(struct manager *m, char ***ret_errors);


/* Child processes: called on SIGCHLD; reaps every child that is not a unit's main process. */
void manager_reap(struct manager *m);

/* Stops every unit in reverse dependency order; when all are down, calls the done callback. */
void manager_shutdown(struct manager *m, enum manager_shutdown how, void (*done)(void *userdata), void *userdata);
enum manager_shutdown manager_shutting_down(struct manager *m);

/* The cgroup path of a unit for status, or NULL. */
const char *unit_cgroup_path(struct unit *u);

/* The unit's address ("10.88.0.2/24") while its network is up, or NULL; and its published ports. */
const char *unit_address(struct unit *u);

/* STATE/logs/NAME.log, or NULL when the unit has no log (its file could not be opened). */
const char *unit_log_path(struct unit *u);
const struct port_map *unit_ports(struct unit *u, size_t *ret_n);
