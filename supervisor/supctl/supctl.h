/* SPDX-License-Identifier: MIT */
#pragma once

/* supctl: one file per verb, dispatched from supctl.c. */

#include <stdbool.h>
#include <stdint.h>

/* SPEC §5 exit codes. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,
        EXIT_USAGE = 2,
        EXIT_NOT_RUNNING = 3,
        EXIT_NO_UNIT = 4,
        EXIT_UNREACHABLE = 5,
};

extern const char *arg_socket;
extern bool arg_json;
extern bool arg_no_block;
extern bool arg_wait;
extern int arg_signal;   /* kill -s */
extern bool arg_all;     /* kill --all */
extern bool arg_follow;  /* logs -f */
extern int64_t arg_lines; /* logs -n; -1: all */
extern bool arg_tty;     /* exec -t */

/* Each verb gets argv starting at the verb itself, with the verb's options already parsed into
 * the arg_* globals and removed; returns an exit code. */
int verb_verify(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_start(int argc, char **argv); /* verb-start.c: start, stop and restart */
int verb_stop(int argc, char **argv);
int verb_restart(int argc, char **argv);
int verb_kill(int argc, char **argv);
int verb_reset_failed(int argc, char **argv); /* verb-control.c: reset-failed, freeze, thaw, reload, */
int verb_freeze(int argc, char **argv);       /* poweroff and reboot */
int verb_thaw(int argc, char **argv);
int verb_reload(int argc, char **argv);
int verb_poweroff(int argc, char **argv);
int verb_daemon_reexec(int argc, char **argv);
int verb_reboot(int argc, char **argv);
int verb_stats(int argc, char **argv);
int verb_logs(int argc, char **argv);
int verb_exec(int argc, char **argv);

static inline bool str_empty(const char *s) {
        return !s || !*s;
}

#include <json-c/json.h>

static inline void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}
