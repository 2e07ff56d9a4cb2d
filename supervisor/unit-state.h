/* SPDX-License-Identifier: MIT */
#pragma once

/* The unit state machine's names and pure pieces, unit-tested without a kernel; nothing here
 * knows of the manager, cgroups or the network. */

#include <stdint.h>

enum unit_active_state {
        UNIT_INACTIVE,
        UNIT_STARTING,
        UNIT_RUNNING,
        UNIT_STOPPING,
        UNIT_RESTARTING,
        UNIT_FAILED,
        _UNIT_ACTIVE_STATE_MAX,
};

enum unit_result {
        UNIT_RESULT_SUCCESS,
        UNIT_RESULT_EXIT_CODE,
        UNIT_RESULT_SIGNAL,
        UNIT_RESULT_OOM_KILL,
        UNIT_RESULT_TIMEOUT,
        UNIT_RESULT_START_LIMIT,
        UNIT_RESULT_DEPENDENCY,
        UNIT_RESULT_SETUP,
        _UNIT_RESULT_MAX,
};

/* Events of the [state][event] table (supervisor/README.md draws it). The manager picks the event
 * (e.g. which kind of exit) from the restart policy; the table alone decides the next state. */
enum unit_event {
        UNIT_EV_START,          /* dependencies are up: set-up and launch begin */
        UNIT_EV_STARTED,        /* exec'd (simple) or READY=1 (notify) */
        UNIT_EV_STOP,           /* a stop begins (or a pending restart is cancelled) */
        UNIT_EV_EXIT_CLEAN,     /* the run ended (main process and cgroup gone): done, no restart */
        UNIT_EV_EXIT_FAILED,    /* the run ended in failure, no restart */
        UNIT_EV_EXIT_RESTART,   /* the run ended and a restart is scheduled */
        UNIT_EV_SETUP_FAILED,   /* a set-up step failed */
        UNIT_EV_TIMEOUT,        /* the start timed out: the unit is being stopped */
        UNIT_EV_RESTART,        /* the restart delay is over */
        UNIT_EV_LIMIT,          /* the start limit is hit */
        UNIT_EV_DEPENDENCY,     /* a Requires= dependency failed before this unit ran */
        UNIT_EV_RESET,          /* reset-failed */
        UNIT_EV_ADOPT,          /* a new supd took over a running unit's run (unit-adopt.c) */
        UNIT_EV_ADOPT_STARTING, /* ... one that was still starting */
        UNIT_EV_ADOPT_RESTARTING, /* daemon-reexec: a unit waiting out its restart delay */
        UNIT_EV_ADOPT_FAILED,   /* daemon-reexec: a failed unit keeps its result */
        _UNIT_EVENT_MAX,
};

/* What the manager will do with a unit once dependencies allow. One field, written only by the
 * manager (manager-deps.c settles it); a start and a stop are never queued together. */
enum unit_job {
        UNIT_JOB_NONE,
        UNIT_JOB_START,         /* start once Requires=/Wants=/After= units allow */
        UNIT_JOB_STOP,          /* stop once the units ordered after it are down */
        UNIT_JOB_RESTART,       /* stop as above, then start */
        UNIT_JOB_RESTART_START, /* a restart whose stop is under way or done: start once inactive */
        _UNIT_JOB_MAX,
};

const char *unit_active_state_to_string(enum unit_active_state s);
int unit_active_state_from_string(const char *s);
const char *unit_result_to_string(enum unit_result r);
const char *unit_event_to_string(enum unit_event e);


/* The next state for @e in @s, or -EINVAL when the table forbids it. */
int unit_state_next(enum unit_active_state s, enum unit_event e);

/* What unit_set_state() does itself with a transition (s6-supervise's actions[][]): the caller
 * picks the event, the table the next state and these. */
enum {
        UNIT_ACTION_CANCEL_TIMER = 1 << 0, /* the start timeout or the restart delay no longer applies */
        UNIT_ACTION_ARM_RESTART = 1 << 1,  /* the restart delay the manager chose (next_restart_usec) */
        UNIT_ACTION_DISPATCH = 1 << 2,     /* queued jobs may move now (a unit came up) */
};

/* The UNIT_ACTION_* of @e in @s (0 when none or the event is not allowed). */
unsigned unit_state_actions(enum unit_active_state s, enum unit_event e);

/* The delay before restart number @failures (1-based count of consecutive failed runs): @first,
 * doubled for each failure after the first, capped at @max. */
uint64_t unit_restart_delay(uint64_t first, uint64_t max, unsigned failures);
