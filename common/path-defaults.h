/* SPDX-License-Identifier: MIT */
#pragma once

/* The search path of a unit that sets none (SPEC §3, Environment=). Header-only: sup-init, a
 * small static program, uses it without linking anything of sup. */

#define SUP_DEFAULT_PATH     "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SUP_DEFAULT_PATH_ENV "PATH=" SUP_DEFAULT_PATH
