/* SPDX-License-Identifier: MIT */

/* The state machine table and the restart backoff arithmetic, without a kernel. */

#include "macro.h"
#include "tap.h"
#include "unit-state.h"

int main(void) {
        /* The life of a unit that fails twice and is then stopped. */
        static const struct {
                enum unit_active_state from;
                enum unit_event ev;
                int to;
        } moves[] = {
                { UNIT_INACTIVE, UNIT_EV_START, UNIT_STARTING },
                { UNIT_STARTING, UNIT_EV_STARTED, UNIT_RUNNING },
                { UNIT_RUNNING, UNIT_EV_EXIT_RESTART, UNIT_RESTARTING },
                { UNIT_RESTARTING, UNIT_EV_RESTART, UNIT_STARTING },
                { UNIT_STARTING, UNIT_EV_SETUP_FAILED, UNIT_FAILED },
                { UNIT_FAILED, UNIT_EV_RESET, UNIT_INACTIVE },
                { UNIT_FAILED, UNIT_EV_START, UNIT_STARTING },
                { UNIT_RUNNING, UNIT_EV_STOP, UNIT_STOPPING },
                { UNIT_STOPPING, UNIT_EV_EXIT_CLEAN, UNIT_INACTIVE },
                { UNIT_STOPPING, UNIT_EV_EXIT_FAILED, UNIT_FAILED },
                { UNIT_STARTING, UNIT_EV_TIMEOUT, UNIT_STOPPING },
                { UNIT_RESTARTING, UNIT_EV_STOP, UNIT_INACTIVE },
                { UNIT_RESTARTING, UNIT_EV_LIMIT, UNIT_FAILED },
                { UNIT_INACTIVE, UNIT_EV_DEPENDENCY, UNIT_FAILED },
                { UNIT_RUNNING, UNIT_EV_EXIT_FAILED, UNIT_FAILED },
                { UNIT_RUNNING, UNIT_EV_EXIT_CLEAN, UNIT_INACTIVE },
                /* forbidden moves */
                { UNIT_INACTIVE, UNIT_EV_STARTED, -EINVAL },
                { UNIT_RUNNING, UNIT_EV_START, -EINVAL },
                { UNIT_INACTIVE, UNIT_EV_EXIT_CLEAN, -EINVAL },
                { UNIT_FAILED, UNIT_EV_RESTART, -EINVAL },
                { UNIT_RUNNING, UNIT_EV_SETUP_FAILED, -EINVAL },
                { UNIT_RUNNING, UNIT_EV_RESET, -EINVAL },
        };

        for (size_t i = 0; i < ELEMENTSOF(moves); i++)
                ok(unit_state_next(moves[i].from, moves[i].ev) == moves[i].to, "%s + %s -> %s",
                   unit_active_state_to_string(moves[i].from), unit_event_to_string(moves[i].ev),
                   moves[i].to < 0 ? "refused" : unit_active_state_to_string(moves[i].to));

        /* Every state and event has a name, and every state can be left somehow or is terminal. */
        for (int s = 0; s < _UNIT_ACTIVE_STATE_MAX; s++) {
                int exits = 0;
                for (int e = 0; e < _UNIT_EVENT_MAX; e++)
                        exits += unit_state_next(s, e) >= 0 && unit_state_next(s, e) != s;
                ok(unit_active_state_to_string(s) && exits > 0, "state %s has a name and a way out",
                   unit_active_state_to_string(s));
        }
        for (int r = 0; r < _UNIT_RESULT_MAX; r++)
                ok(unit_result_to_string(r) != NULL, "result %d has a name", r);
        is_int(unit_active_state_from_string("restarting"), UNIT_RESTARTING, "from_string");

        /* The actions of the table: what unit_set_state() does itself. */
        is_int(unit_state_actions(UNIT_RUNNING, UNIT_EV_EXIT_RESTART),
               UNIT_ACTION_CANCEL_TIMER | UNIT_ACTION_ARM_RESTART, "a run ending in a restart arms the delay");
        is_int(unit_state_actions(UNIT_STARTING, UNIT_EV_STARTED), UNIT_ACTION_CANCEL_TIMER | UNIT_ACTION_DISPATCH,
               "started: the start timeout goes, queued jobs may move");
        is_int(unit_state_actions(UNIT_RESTARTING, UNIT_EV_STOP), UNIT_ACTION_CANCEL_TIMER,
               "a stop while waiting to restart cancels the delay");
        is_int(unit_state_actions(UNIT_STOPPING, UNIT_EV_STOP), 0, "a stop of a stopping unit keeps its stop timeout");
        is_int(unit_state_actions(UNIT_RUNNING, UNIT_EV_RESTART), 0, "no action where the table refuses the event");
        for (int st = 0; st < _UNIT_ACTIVE_STATE_MAX; st++)
                for (int e = 0; e < _UNIT_EVENT_MAX; e++)
                        if (unit_state_actions(st, e) & UNIT_ACTION_ARM_RESTART)
                                ok(unit_state_next(st, e) == UNIT_RESTARTING, "%s + %s arms the delay into restarting",
                                   unit_active_state_to_string(st), unit_event_to_string(e));

        /* RestartSec=100ms, RestartMaxDelaySec=1s: 100 200 400 800 1000 1000 */
        static const uint64_t want[] = { 100000, 200000, 400000, 800000, 1000000, 1000000 };
        for (unsigned f = 1; f <= ELEMENTSOF(want); f++)
                is_int(unit_restart_delay(100000, 1000000, f), want[f - 1], "backoff after failure");
        is_int(unit_restart_delay(100000, 30000000, 200), 30000000, "no overflow after many failures");
        is_int(unit_restart_delay(0, 30000000, 5), 0, "RestartSec=0 stays 0");
        return tap_done();
}
