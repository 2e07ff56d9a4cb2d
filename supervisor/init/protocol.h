/* SPDX-License-Identifier: MIT */
#pragma once

/* What supd, its launched child and sup-init (the container's init, supervisor/init/sup-init.c)
 * say to each other over the launch socket: a SOCK_SEQPACKET pair, one message per send. The
 * parent's go is one byte; everything else is one struct launch_report. sup-init is a separate
 * static program, so this header is all it shares with supd: plain C, no other include. */

#include <stdint.h>

#define LAUNCH_GO_BYTE 'G'

struct launch_report {
        int32_t step;  /* enum launch_step (a set-up failure), or one of LAUNCH_REPORT_* */
        int32_t index; /* which Bind=/Tmpfs=/sub-step; for LAUNCH_REPORT_EXIT the waitid() si_code */
        int32_t error; /* -errno; for LAUNCH_REPORT_EXIT the si_status */
};

/* Messages of sup-init, numbered apart from enum launch_step. */
enum {
        LAUNCH_REPORT_STARTED = 1000,  /* the payload exec'd (sent by the init; without one, EOF says it) */
        LAUNCH_REPORT_EXIT = 1001,     /* the payload's exact wait status: {code, status} */
        LAUNCH_REPORT_EXEC = 1002,     /* execve of Exec= failed: error = -errno */
        LAUNCH_REPORT_INIT = 1003,     /* the init's own set-up failed: index = LAUNCH_INIT_*, -errno */
        LAUNCH_REPORT_PTY = 1004,      /* exec with a terminal: the pty master travels with it (SCM_RIGHTS) */
};

/* index of LAUNCH_REPORT_INIT (and of LAUNCH_STEP_INIT, which it becomes) */
enum {
        LAUNCH_INIT_SETUP = 0, /* signalfd, subreaper, non-dumpable, the exec pipe */
        LAUNCH_INIT_FORK = 1,
        LAUNCH_INIT_EXEC = 2,  /* the launched child: execveat() of sup-init itself */
};

/* The fds sup-init is started with: 0-2 the payload's stdio, the launch socket, and the request's
 * keep_fd when there is one (it becomes fd 3 of the payload). Nothing else is open. */
#define LAUNCH_INIT_SYNC_FD 3
#define LAUNCH_INIT_KEEP_FD 4

/* A container init (not sup-exec) of a start also holds, for a successor of supd, what supd must
 * not lose if it dies: the parent's end of the launch socket (so the payload's exit report waits
 * there) and the read ends of the unit's stdout and stderr pipes (so no output is lost and the
 * payload never gets EPIPE). sup-init never reads them; they are close-on-exec in it, so the
 * payload never has them. A successor takes them back with pidfd_getfd(). supd sends them with
 * the go (SCM_RIGHTS), so that the child holds no copy of the parent's end while it waits for
 * the go (its EOF is how the child learns that supd died). */
#define LAUNCH_INIT_HOLD_FD 5 /* 5 the launch socket's parent end, 6 stdout's read end, 7 stderr's */
#define LAUNCH_INIT_HOLD_N  3

/* argv[0] of sup-init picks its role: stay as the container's init and run Exec= as its child, or
 * exec Exec= in place (Init=no, supctl exec). argv[1..] is Exec=. */
#define LAUNCH_INIT_NAME "sup-init"
#define LAUNCH_EXEC_NAME "sup-exec"
