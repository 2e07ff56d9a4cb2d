/* SPDX-License-Identifier: MIT */
#pragma once

/* Pure pieces of the state machine, unit-tested without a kernel. */

#include <stdint.h>

#include "manager.h"

/* The next state for @e in @s, or -EINVAL when the table forbids it. */
int unit_state_next(enum unit_active_state s, enum unit_event e);

/* The delay before restart number @failures (1-based count of consecutive failed runs): @first,
 * doubled for each failure after the first, capped at @max. */
uint64_t unit_restart_delay(uint64_t first, uint64_t max, unsigned failures);
