/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the three parts of the control socket: bus.c (the server: the listening socket, the
 * connections wired into libev, the filter, privilege checks, the signals), bus-manager.c
 * (org.sup.Manager1 and its methods, Exec included) and bus-dbus.c (the org.freedesktop.DBus calls
 * that generic clients make first). Nothing here blocks: every call is answered from the loop. */

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "bus-names.h"

/* The unique name supd answers GetNameOwner(org.sup.Manager1) with; clients get :1.1 and up. */
#define SUP_BUS_UNIQUE_NAME ":1.0"

struct bus_exec;

/* One accepted connection: its own sd_bus, the userdata of every method called on it. */
struct bus_conn {
        struct bus_server *server;
        struct bus_exec *execs; /* commands this peer exec'd into units: they live as long as it */
        struct bus_conn *prev, *next;
        sd_bus *bus;
        ev_io io;
        int io_events; /* EV_READ|EV_WRITE currently watched, 0 when stopped */
        ev_timer timer;
        uid_t uid; /* of the peer, from SO_PEERCRED at accept */
        pid_t pid;
        unsigned id;     /* the N of the peer's unique name ":1.N" */
        bool said_hello;
        bool subscribed; /* has sent a message: signals may go to it (see conn_filter()) */
        bool dead;       /* to be freed from its own callback */
};

struct bus_server {
        struct ev_loop *loop;
        struct manager *manager;
        char *path;
        int fd;
        ev_io io;
        ev_timer accept_retry;
        sd_id128_t id;
        struct bus_conn *conns;
        size_t n_conns;
        unsigned next_id;
};

/* One Exec() call: answered when the command exec'd (or failed), then ExecExited(pid, code,
 * status) to the same peer when it ends. */
struct bus_exec {
        struct bus_conn *conn;
        struct bus_exec *next;
        sd_bus_message *call; /* until answered */
        struct unit_exec *job;
        pid_t pid;
};

/* ---- bus.c ----------------------------------------------------------------------------------------- */

/* Methods that change anything are for root only: 0, or an org.sup.Error.AccessDenied in
 * *ret_error naming WHAT. */
int bus_check_privileged(struct bus_conn *c, const char *what, sd_bus_error *ret_error);

/* After a message was queued on C from outside its own callbacks (R: how queueing it went): its
 * watchers follow what sd-bus wants next, or, on failure, it is closed from its own timer. */
void bus_conn_queued(struct bus_conn *c, int r);

/* Emits ExecExited(pid, code, status) to C, the peer that exec'd the command. */
void bus_emit_exec_exited(struct bus_conn *c, pid_t pid, int code, int status);

/* ---- bus-manager.c ------------------------------------------------------------------------------------ */

/* org.sup.Manager1 at SUP_BUS_PATH; userdata: the struct bus_conn. */
extern const sd_bus_vtable bus_manager_vtable[];

/* Unlinks E from its connection and frees it; the command, if it still runs, is SIGKILLed. */
void bus_exec_free(struct bus_exec *e);

/* ---- bus-dbus.c --------------------------------------------------------------------------------------- */

/* org.freedesktop.DBus at /org/freedesktop/DBus; userdata: the struct bus_conn. */
extern const sd_bus_vtable bus_dbus_vtable[];
