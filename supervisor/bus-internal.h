/* SPDX-License-Identifier: MIT */
#pragma once

/* Shared by the four parts of the control socket: bus.c (the server: the listening socket, the
 * connections wired into libev, who may connect, the filter, privilege checks, the signals),
 * bus-stream.c (what passes between a peer's socket and its sd_bus, checked), bus-manager.c
 * (org.sup.Manager1 and its methods, Exec included) and bus-dbus.c (the org.freedesktop.DBus calls
 * that generic clients make first). Nothing here blocks: every call is answered from the loop. */

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>

#include "bus-names.h"

/* The unique name supd answers GetNameOwner(org.sup.Manager1) with; clients get :1.1 and up. */
#define SUP_BUS_UNIQUE_NAME ":1.0"

struct bus_exec;

/* Limits on what a peer can make supd hold or do (README.md, "The control socket"). */
#define BUS_CONNECTIONS_MAX         128U            /* connections in all, at most... */
#define BUS_CONNECTIONS_FDS_SHARE   4U              /* ...and at most 1/4 of RLIMIT_NOFILE's fds, */
#define BUS_CONNECTIONS_MIN         16U             /* ...but at least this many */
#define BUS_CONNECTION_FDS          3U              /* a connection's: its socket and a socketpair */
#define BUS_CONNECTIONS_UID_SHARE   4U              /* one uid other than root: 1/4 of them */
#define BUS_HANDSHAKE_TIMEOUT_SEC   3.0             /* from accept to the peer's first message */
#define BUS_AUTH_MAX                4096U           /* bytes of the SASL exchange a peer may send */
#define BUS_MESSAGE_MAX             (1024U * 1024U) /* one message from a peer, header included */
#define BUS_EXEC_ARGS_MAX           4096U           /* strings in Exec()'s argv, and in its environment */
#define BUS_EXEC_ARG_SIZE_MAX       (128U * 1024U)  /* bytes of one of them (the kernel's MAX_ARG_STRLEN) */

/* Bytes (and fds) the other side did not take yet: what is read next waits until they are gone. */
struct bus_pending {
        uint8_t *data;
        size_t off, len; /* data[off..len) is left */
        int *fds;        /* go with the first byte written */
        size_t n_fds;
};

enum bus_stream_phase {
        BUS_STREAM_AUTH,       /* SASL lines pass, up to a BEGIN */
        BUS_STREAM_AUTH_BEGIN, /* a BEGIN passed: nothing more until sd-bus says yes (or no) */
        BUS_STREAM_MESSAGES,   /* whole messages pass, each checked by its header first */
};

/* What stands between a peer and its sd_bus: sd-bus never reads the peer's socket itself, it reads
 * a socketpair that bus-stream.c fills with what the peer sent, once the size each message header
 * announces was checked (bus-stream.c says why and how). */
struct bus_stream {
        int peer_fd;   /* the accepted socket */
        int pair_fd;   /* our end of the socketpair; sd-bus has the other one */
        ev_io peer_io; /* watchers: what they wait for is recomputed after each round */
        ev_io pair_io;
        enum bus_stream_phase phase;
        size_t auth_bytes; /* of the SASL exchange so far */
        uint8_t line[8];   /* the SASL line in progress: its first bytes (its last, once longer) */
        size_t line_len;
        uint8_t header[16]; /* the fixed part of the next message's header */
        size_t header_len;
        int *header_fds; /* fds that came with it, held until it was checked */
        size_t n_header_fds;
        uint64_t body_left; /* of the current message, to pass on */
        uint64_t skip_left; /* of a message too large, to read and drop */
        uint64_t skip_size;
        uint32_t skip_serial; /* then answered with an error, when it is a call that wants a reply */
        bool skip_reply;
        bool peer_eof; /* the peer sent all it will: once passed on, sd-bus gets the EOF too */
        bool bus_eof;
        struct bus_pending to_bus, to_peer;
};

/* One accepted connection: its own sd_bus, the userdata of every method called on it. */
struct bus_conn {
        struct bus_server *server;
        struct bus_exec *execs; /* commands this peer exec'd into units: they live as long as it */
        struct bus_conn *prev, *next;
        sd_bus *bus;
        struct bus_stream stream;
        ev_io io;
        int io_events; /* EV_READ|EV_WRITE currently watched, 0 when stopped */
        ev_timer timer;
        ev_timer deadline; /* until its first message (BUS_HANDSHAKE_TIMEOUT_SEC) */
        uid_t uid;         /* of the peer, from SO_PEERCRED at accept */
        pid_t pid;
        unsigned id;          /* the N of the peer's unique name ":1.N" */
        uint64_t active_usec; /* CLOCK_MONOTONIC of its last message (of the accept before one) */
        bool said_hello;
        bool subscribed; /* has sent a message: signals may go to it (see conn_filter()) */
        bool dead;       /* to be freed from its own callback */
};

struct bus_server {
        struct ev_loop *loop;
        struct manager *manager;
        char *path;
        int fd;
        int spare_fd; /* /dev/null, given up to accept() a peer when out of fds (see server_accept_cb()) */
        ev_io io;
        ev_timer accept_retry;
        sd_id128_t id;
        struct bus_conn *conns;
        size_t n_conns;
        size_t conns_max, conns_max_uid; /* see server_limits() */
        unsigned next_id;
        uint64_t refusal_logged_usec; /* CLOCK_MONOTONIC of the last warning about a refused peer */
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

/* Writes into BUF (at least BUS_QUOTE_SIZE bytes) the first bytes of S for an error message, other
 * bytes than printable ASCII as '?', and "..." when cut; returns BUF. An argument is never echoed
 * whole. */
#define BUS_QUOTE_SIZE 40U
const char *bus_quote(const char *s, char *buf);

/* ---- bus-stream.c ------------------------------------------------------------------------------------- */

/* Makes the socketpair (*RET_BUS_FD: sd-bus' end) and the two watchers, calling CB with C as data.
 * On success the stream owns PEER_FD; on failure the caller still does. */
int bus_stream_init(struct bus_stream *s, struct bus_conn *c, int peer_fd,
                    void (*cb)(struct ev_loop *loop, ev_io *w, int revents), int *ret_bus_fd);
void bus_stream_done(struct bus_stream *s, struct ev_loop *loop);

/* Passes on what the peer sent (checked), and what sd-bus wrote; each bounded per call. Returns 0,
 * or -errno when the connection is to be closed (-ECONNRESET: the peer went away). */
int bus_stream_to_bus(struct bus_conn *c);
int bus_stream_to_peer(struct bus_conn *c);

/* After sd-bus ran: a BEGIN it accepted lets messages through, one it refused lets SASL go on. */
void bus_stream_bus_ran(struct bus_conn *c);

/* Makes the two watchers follow what the stream can do next. */
void bus_stream_rearm(struct bus_conn *c);

/* ---- bus-manager.c ------------------------------------------------------------------------------------ */

/* org.sup.Manager1 at SUP_BUS_PATH; userdata: the struct bus_conn. */
extern const sd_bus_vtable bus_manager_vtable[];

/* Unlinks E from its connection and frees it; the command, if it still runs, is SIGKILLed. */
void bus_exec_free(struct bus_exec *e);

/* ---- bus-dbus.c --------------------------------------------------------------------------------------- */

/* org.freedesktop.DBus at /org/freedesktop/DBus; userdata: the struct bus_conn. */
extern const sd_bus_vtable bus_dbus_vtable[];
