/* SPDX-License-Identifier: MIT */
#pragma once

/* The names of the control API (SPEC §6), shared by supd's bus server and supctl. */

#define SUP_BUS_NAME "org.sup.Manager1"
#define SUP_BUS_DESTINATION SUP_BUS_NAME
#define SUP_BUS_PATH "/org/sup/Manager1"
#define SUP_BUS_INTERFACE "org.sup.Manager1"

#define SUP_ERROR_NO_SUCH_UNIT "org.sup.Error.NoSuchUnit"
#define SUP_ERROR_BAD_STATE "org.sup.Error.BadState"
#define SUP_ERROR_ACCESS_DENIED "org.sup.Error.AccessDenied"
#define SUP_ERROR_SETUP_FAILED "org.sup.Error.SetupFailed"
/* Exec: the command could not be run (supctl exits 126), or was not found (127), as a shell does. */
#define SUP_ERROR_EXEC_FAILED "org.sup.Error.ExecFailed"
#define SUP_ERROR_EXEC_NOT_FOUND "org.sup.Error.ExecNotFound"
