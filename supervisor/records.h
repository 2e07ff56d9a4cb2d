/* SPDX-License-Identifier: MIT */
#pragma once

/* What a running unit holds, recorded under RUNTIME/units/NAME.record, so that a supd started
 * after a crash can say what it found and release it. Key=value lines; see supervisor/README.md. */

#include <sys/types.h>

int record_write(const char *runtime_dir, const char *name, pid_t pid, const char *cgroup);
int record_remove(const char *runtime_dir, const char *name);

/* Removes every record and unit runtime directory left in RUNTIME/units; returns how many units
 * had something left. */
unsigned records_clean(const char *runtime_dir);
