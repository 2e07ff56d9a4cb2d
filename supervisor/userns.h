/* SPDX-License-Identifier: MIT */
#pragma once

#include "units.h"

/**
 * userns_auto_range() - the private 65536-id range of a unit with UserNamespace=auto
 *
 * Stable across restarts and supd restarts: recorded in STATE/userns (lines "NAME FIRST-HOST-ID").
 * A new unit gets the slot its name hashes to, probing past slots taken by other units of this
 * instance. Ranges start at 2^20 and never reach 2^32.
 */
int userns_auto_range(const char *state_dir, const char *name, struct id_map *ret);
