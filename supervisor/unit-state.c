/* SPDX-License-Identifier: MIT */

/* The unit state machine: names, and the one [state][event] table every state change goes
 * through (s6 style). supervisor/README.md draws the same table. */

#include <string.h>

#include "macro.h"
#include "unit-state.h"

static const char *const active_state_names[_UNIT_ACTIVE_STATE_MAX] = {
        [UNIT_INACTIVE] = "inactive", [UNIT_STARTING] = "starting",     [UNIT_RUNNING] = "running",
        [UNIT_STOPPING] = "stopping", [UNIT_RESTARTING] = "restarting", [UNIT_FAILED] = "failed",
};

static const char *const result_names[_UNIT_RESULT_MAX] = {
        [UNIT_RESULT_SUCCESS] = "success",         [UNIT_RESULT_EXIT_CODE] = "exit-code",
        [UNIT_RESULT_SIGNAL] = "signal",           [UNIT_RESULT_OOM_KILL] = "oom-kill",
        [UNIT_RESULT_TIMEOUT] = "timeout",         [UNIT_RESULT_START_LIMIT] = "start-limit",
        [UNIT_RESULT_DEPENDENCY] = "dependency",   [UNIT_RESULT_SETUP] = "setup",
};

static const char *const event_names[_UNIT_EVENT_MAX] = {
        [UNIT_EV_START] = "start",
        [UNIT_EV_STARTED] = "started",
        [UNIT_EV_STOP] = "stop",
        [UNIT_EV_EXIT_CLEAN] = "exit-clean",
        [UNIT_EV_EXIT_FAILED] = "exit-failed",
        [UNIT_EV_EXIT_RESTART] = "exit-restart",
        [UNIT_EV_SETUP_FAILED] = "setup-failed",
        [UNIT_EV_TIMEOUT] = "timeout",
        [UNIT_EV_RESTART] = "restart",
        [UNIT_EV_LIMIT] = "limit",
        [UNIT_EV_DEPENDENCY] = "dependency",
        [UNIT_EV_RESET] = "reset",
        [UNIT_EV_ADOPT] = "adopt",
        [UNIT_EV_ADOPT_STARTING] = "adopt-starting",
        [UNIT_EV_ADOPT_RESTARTING] = "adopt-restarting",
        [UNIT_EV_ADOPT_FAILED] = "adopt-failed",
};

const char *unit_active_state_to_string(enum unit_active_state s) {
        return s >= 0 && s < _UNIT_ACTIVE_STATE_MAX ? active_state_names[s] : NULL;
}

int unit_active_state_from_string(const char *s) {
        for (int i = 0; i < _UNIT_ACTIVE_STATE_MAX; i++)
                if (streq(active_state_names[i], s))
                        return i;
        return -EINVAL;
}

const char *unit_result_to_string(enum unit_result r) {
        return r >= 0 && r < _UNIT_RESULT_MAX ? result_names[r] : NULL;
}

const char *unit_event_to_string(enum unit_event e) {
        return e >= 0 && e < _UNIT_EVENT_MAX ? event_names[e] : NULL;
}

#define __ (-1)
#define IN UNIT_INACTIVE
#define SG UNIT_STARTING
#define RU UNIT_RUNNING
#define SP UNIT_STOPPING
#define RS UNIT_RESTARTING
#define FA UNIT_FAILED

/* transitions[state][event] = next state, or __ when the event is not allowed in that state. */
static const signed char transitions[_UNIT_ACTIVE_STATE_MAX][_UNIT_EVENT_MAX] = {
        /*              START STARTED STOP  CLEAN FAILED RESTART SETUP TIMEOUT TIMER LIMIT DEP  RESET ADOPT A-SG A-RS A-FA */
        [UNIT_INACTIVE] = { SG, __,     IN,   __,   __,    __,     __,   __,     __,   FA,   FA,  IN,   RU,   SG,  RS,  FA },
        [UNIT_STARTING] = { __, RU,     SP,   IN,   FA,    RS,     FA,   SP,     __,   __,   __,  __,   __,   __,  __,  __ },
        [UNIT_RUNNING] = { __, __,      SP,   IN,   FA,    RS,     __,   __,     __,   __,   __,  __,   __,   __,  __,  __ },
        [UNIT_STOPPING] = { __, __,     SP,   IN,   FA,    RS,     FA,   SP,     __,   __,   __,  __,   __,   __,  __,  __ },
        [UNIT_RESTARTING] = { __, __,   IN,   __,   __,    __,     __,   __,     SG,   FA,   FA,  __,   __,   __,  __,  __ },
        [UNIT_FAILED] = { SG, __,       FA,   __,   __,    __,     __,   __,     __,   FA,   FA,  IN,   __,   __,  __,  __ },
};

#define CT UNIT_ACTION_CANCEL_TIMER
#define AR UNIT_ACTION_ARM_RESTART
#define DI UNIT_ACTION_DISPATCH

/* actions[state][event]: what the transition does besides changing the state. A stop from
 * stopping keeps its timer (the stop timeout runs); exits cancel what was armed. */
static const unsigned char actions[_UNIT_ACTIVE_STATE_MAX][_UNIT_EVENT_MAX] = {
        /*              START STARTED STOP  CLEAN FAILED RESTART  SETUP TIMEOUT TIMER LIMIT DEP RESET ADOPT A-SG A-RS A-FA */
        [UNIT_INACTIVE] = { 0,  0,       0,    0,    0,     0,       0,    0,      0,    0,    0,  0,    0,    0,   AR,  0 },
        [UNIT_STARTING] = { 0,  CT | DI, CT,   CT,   CT,    CT | AR, CT,   0,      0,    0,    0,  0,    0,    0,   0,   0 },
        [UNIT_RUNNING] = { 0,   0,       0,    CT,   CT,    CT | AR, 0,    0,      0,    0,    0,  0,    0,    0,   0,   0 },
        [UNIT_STOPPING] = { 0,  0,       0,    CT,   CT,    CT | AR, CT,   0,      0,    0,    0,  0,    0,    0,   0,   0 },
        [UNIT_RESTARTING] = { 0, 0,      CT,   0,    0,     0,       0,    0,      0,    0,    0,  0,    0,    0,   0,   0 },
        [UNIT_FAILED] = { 0,    0,       0,    0,    0,     0,       0,    0,      0,    0,    0,  0,    0,    0,   0,   0 },
};

unsigned unit_state_actions(enum unit_active_state s, enum unit_event e) {
        if (unit_state_next(s, e) < 0)
                return 0;
        return actions[s][e];
}

int unit_state_next(enum unit_active_state s, enum unit_event e) {
        if (s < 0 || s >= _UNIT_ACTIVE_STATE_MAX || e < 0 || e >= _UNIT_EVENT_MAX)
                return -EINVAL;
        return transitions[s][e] == __ ? -EINVAL : transitions[s][e];
}

/* Restart delay: RestartSec= doubled per consecutive failed run, capped. */
uint64_t unit_restart_delay(uint64_t first, uint64_t max, unsigned failures) {
        uint64_t d = first;

        for (unsigned i = 1; i < failures && d < max; i++)
                d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
        return d < max ? d : max;
}
