/* SPDX-License-Identifier: MIT */
#pragma once

/* What the manager's files share (manager.c, unit-start.c, …); nothing outside supervisor/'s manager
 * uses it. The public API is manager.h. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "cgroupd.h"
#include "manager.h"
#include "netplug.h"
#include "units.h"

struct unit {
        struct manager *manager;
        char *name;
        struct unit_config *config; /* owned; NULL when not-found (named by a dependency only) */
        enum unit_load_state load_state;

        enum unit_active_state state;
        enum unit_result result;
        enum unit_job job; /* the queued intent; only the manager writes it */

        /* the current run */
        pid_t main_pid; /* 0 when none */
        uint64_t pid_start; /* its start time (clock ticks since boot), for the record */
        bool held;          /* its init holds the launch socket and log pipes for a successor */
        uint64_t held_ino[3]; /* their inodes: launch socket (parent end), stdout, stderr */
        bool adopted;       /* this supd took the run over from a predecessor */
        bool foreign;       /* ... which was killed: the main process is not our child */
        int pidfd;
        ev_io pidfd_watch;
        int sync_fd;
        ev_io sync_watch;
        uint64_t clone_monotonic; /* when the launcher returned: for the clone-to-exec figure */
        bool main_exited;
        bool exec_seen;  /* the launch socket said the payload exec'd; kept for the init's exit report */
        int exit_code;   /* si_code: CLD_EXITED, CLD_KILLED, CLD_DUMPED; 0 when none yet */
        int exit_status; /* exit status or signal number */
        char *status_text; /* STATUS= (notify), else NULL */
        int notify_fd;     /* Type=notify: the unit's datagram socket */
        ev_io notify_watch;
        char *attach_error;      /* netplug's own message when the network step failed */
        struct netplug_unit *net; /* veth, address, DNAT rules of the current run */
        char *resolv_conf;        /* RUNTIME/units/NAME.resolv.conf for DNS= */
        char *setup_error; /* the last "setup" message, for status */

        struct cg_unit *cgroup;
        int cg_events_wd;          /* cgroup.events in the manager's inotify fd, or -1 */
        int oom_wd;                /* memory.events (v2) in the manager's inotify fd, or -1 */
        int oom_fd;                /* v1: an eventfd readable when an OOM kill may have happened */
        ev_io oom_watch;
        uint64_t oom_kills_at_start;
        ev_timer oom_recheck;      /* v1 wakes on entering OOM, before the kill is counted */
        unsigned oom_rechecks;
        bool oom_killed;           /* this run lost a process to the OOM killer */

        ev_timer timer; /* restart delay, start or stop timeout */

        /* timestamps, CLOCK_REALTIME and CLOCK_MONOTONIC in usec */
        uint64_t active_enter_realtime;
        uint64_t active_enter_monotonic;
        uint64_t state_change_realtime;

        /* restart policy */
        unsigned n_restarts;       /* automatic restarts since supd started or reset-failed */
        unsigned n_failures;       /* consecutive failed runs: the doubling exponent */
        uint64_t next_restart_usec; /* the delay chosen for the pending restart */
        uint64_t *start_times;     /* monotonic usec of recent starts, for the start limit */
        size_t n_start_times;

        struct log_stream *log;
        char *log_path;
        char *unit_dir; /* RUNTIME/units/NAME */

        /* reload */
        struct unit_config *next_config; /* applied when the current run has stopped */
        bool removed;                    /* the unit file is gone: stop, then forget */
};

struct manager {
        struct ev_loop *loop;
        char *units_dir;
        char *runtime_dir;
        char *state_dir;
        char *cgroup_root;
        bool pid1;

        struct cg_host *cg_host;
        struct cg_root *cg_root;
        struct netplug *netplug; /* NULL: no networking on this host (logged once) */
        struct claims *claims;   /* what no other instance may have while this one lives */
        int inotify_fd;          /* one for every unit's cgroup.events and memory.events */
        int init_fd;             /* sup-init in its sealed memfd: every container starts with it */
        struct unit_exec *execs; /* commands exec'd into units (unit-exec.c), supd's children */
        ev_io inotify_watch;

        struct unit_set *set;
        struct unit **units;
        size_t n_units;

        manager_unit_changed_t changed_cb;
        void *changed_userdata;
        manager_shutdown_request_t shutdown_request_cb;
        void *shutdown_request_userdata;

        ev_idle gc;

        enum manager_shutdown shutdown;
        void (*shutdown_done)(void *userdata);
        void *shutdown_userdata;
        bool dispatching;
};


/* The only writer of a unit's state (unit-state.c's table). */
void unit_set_state(struct unit *u, enum unit_event ev, enum unit_result result);
/* Records the "setup" message of a run (takes @msg; NULL: a generic one) and logs it once. */
void unit_note_setup_error(struct unit *u, char *msg);

/* unit-start.c: the start transaction, and the release of what a run held, in reverse. */
int unit_start_transaction(struct unit *u);
void unit_release(struct unit *u);
int unit_cgroup_watch(struct unit *u);

/* The pieces the transaction's steps take and give back. */
void unit_stop_watchers(struct unit *u);
void unit_unwatch(struct unit *u);
int unit_oom_watch(struct unit *u);
void unit_oom_unwatch(struct unit *u);
void unit_notify_address(struct unit *u, struct sockaddr_un *sa, socklen_t *ret_len);
int unit_notify_open(struct unit *u, pid_t pid);
void unit_notify_close(struct unit *u);
int unit_network_up(struct unit *u, pid_t pid);
int unit_network_adopt(struct unit *u, pid_t pid);
void unit_network_down(struct unit *u);
int unit_write_resolv_conf(struct unit *u);

/* The queued job (manager.h, enum unit_job). */
static inline bool unit_job_stops(const struct unit *u) {
        return u->job == UNIT_JOB_STOP || u->job == UNIT_JOB_RESTART;
}
static inline bool unit_job_restarts(const struct unit *u) {
        return u->job == UNIT_JOB_RESTART || u->job == UNIT_JOB_RESTART_START;
}
/* A stop (@restart: a restart) of a unit that runs or waits to restart; nothing for one that does
 * neither. Drops a queued start. */
void unit_queue_stop(struct unit *u, bool restart);

/* unit-start.c */
void unit_start_now(struct unit *u);
/* manager.c */
void unit_stop_now(struct unit *u);
bool unit_is_active(const struct unit *u);
/* manager-deps.c */
void manager_dispatch(struct manager *m);
void unit_queue_start(struct unit *u);
/* unit-notify.c */
void unit_notify_cb(struct ev_loop *loop, ev_io *w, int revents);
/* unit-oom.c */
void unit_check_oom(struct unit *u);
void unit_log_consumption(struct unit *u);
void unit_oom_cb(struct ev_loop *loop, ev_io *w, int revents);
void unit_oom_recheck_cb(struct ev_loop *loop, ev_timer *w, int revents);
/* unit-adopt.c */
struct json_object;
int proc_pid_starttime(pid_t pid, uint64_t *ret);
void unit_record_update(struct unit *u);
void unit_record_new_run(struct unit *u, const int held[3]);
int manager_adopt(struct manager *m, struct json_object *reexec_units, char ***ret_adopted);
/* manager-claims.c */
int manager_claim(struct manager *m);
const char *manager_instance(const struct manager *m);
void manager_clean_predecessor(struct manager *m, char *const *adopted);
/* unit-run.c */
void unit_run_finished(struct unit *u);
void unit_main_gone(struct unit *u);
void unit_reap_main(struct unit *u);
void unit_pidfd_cb(struct ev_loop *loop, ev_io *w, int revents);
void unit_sync_cb(struct ev_loop *loop, ev_io *w, int revents);
void unit_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
void manager_inotify_cb(struct ev_loop *loop, ev_io *w, int revents);
bool unit_cgroup_empty(struct unit *u);
void unit_cgroup_changed(struct unit *u);
void unit_apply_next_config(struct unit *u);
/* manager.c */
int unit_new(struct manager *m, const char *name, struct unit_config *c, struct unit **ret);
/* manager-reload.c */
void manager_bridges_up(struct manager *m);
void manager_forget_removed(struct manager *m);
struct unit *unit_free(struct unit *u);
