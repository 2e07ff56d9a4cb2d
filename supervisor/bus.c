/* SPDX-License-Identifier: MIT */

/* The control socket. supd is the D-Bus server of every connection (sd-bus in server mode, no bus
 * daemon): each accepted connection is its own sd_bus, with its fd and timeout wired into the
 * libev loop, org.sup.Manager1 served on it (bus-manager.c) and org.freedesktop.DBus emulated for
 * the calls that generic clients (busctl, gdbus) make before anything else (bus-dbus.c). Here: the
 * listening socket, the connections, the filter, the privilege check and the signals. Every call
 * is answered from the loop at once; nothing here blocks or waits for a peer. */

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include "bus-internal.h"
#include "bus.h"
#include "time-util.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

/* Bounds, so that no peer makes supd allocate without limit (DESIGN.md, PID 1 rules). */
#define BUS_CONNECTIONS_MAX 128U
#define BUS_WQUEUE_MAX 4096U     /* messages queued for a peer that does not read */
#define BUS_PROCESS_BURST 64U    /* messages per connection per loop iteration */
#define BUS_ACCEPT_BURST 16U     /* connections accepted per loop iteration */
#define BUS_ACCEPT_RETRY_SEC 1.0 /* after EMFILE and the like */

#define USEC_PER_SEC_F 1000000.0

/* ---- connections -------------------------------------------------------------------------------- */

static struct bus_conn *conn_free(struct bus_conn *c) {
        if (!c)
                return NULL;

        ev_io_stop(c->server->loop, &c->io);
        ev_timer_stop(c->server->loop, &c->timer);

        /* A peer that goes away takes its commands with it (SIGKILL): nothing is left running that
         * nobody waits for. */
        while (c->execs)
                bus_exec_free(c->execs);

        /* Not sd_bus_flush_close_unref(): sd_bus_flush() polls until the peer has read everything
         * (and first waits for the authentication to finish), which a peer could make last forever.
         * Whatever is still queued for a peer that is going away is dropped. */
        sd_bus_close_unref(c->bus);

        if (c->prev)
                c->prev->next = c->next;
        else
                c->server->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->server->n_conns--;

        log_debug("bus: connection :1.%u (uid %u, pid " PID_FMT ") closed", c->id, (unsigned) c->uid, c->pid);
        return mfree(c);
}

/* Makes the io watcher and the timer follow what sd-bus wants next. Called after every processing
 * and after anything was queued on the connection from outside its own callbacks. */
static int conn_rearm(struct bus_conn *c) {
        struct ev_loop *loop = c->server->loop;
        uint64_t until;
        int events, want, r;

        if (c->dead)
                return -ENOTCONN;

        events = sd_bus_get_events(c->bus);
        if (events < 0)
                return events;
        want = (events & POLLIN ? EV_READ : 0) | (events & POLLOUT ? EV_WRITE : 0);
        if (want != c->io_events) {
                ev_io_stop(loop, &c->io);
                ev_io_set(&c->io, c->io.fd, want);
                if (want)
                        ev_io_start(loop, &c->io);
                c->io_events = want;
        }

        r = sd_bus_get_timeout(c->bus, &until);
        if (r < 0)
                return r;
        ev_timer_stop(loop, &c->timer);
        if (until != UINT64_MAX) {
                uint64_t t = now(CLOCK_MONOTONIC);

                ev_timer_set(&c->timer, until > t ? (double) (until - t) / USEC_PER_SEC_F : 0., 0.);
                ev_timer_start(loop, &c->timer);
        }
        return 0;
}

/* For a connection that failed outside its own callbacks (while emitting a signal, possibly from
 * within another connection's method call): it is freed from its own timer, on the next iteration. */
static void conn_kill_later(struct bus_conn *c) {
        c->dead = true;
        ev_io_stop(c->server->loop, &c->io);
        c->io_events = 0;
        ev_timer_stop(c->server->loop, &c->timer);
        ev_timer_set(&c->timer, 0., 0.);
        ev_timer_start(c->server->loop, &c->timer);
}

void bus_conn_queued(struct bus_conn *c, int r) {
        if (r < 0 || conn_rearm(c) < 0)
                conn_kill_later(c);
}

static bool errno_is_disconnect(int r) {
        return r == -ECONNRESET || r == -ENOTCONN || r == -EPIPE || r == -ESHUTDOWN || r == -ETIMEDOUT;
}

static void conn_process(struct bus_conn *c) {
        int r;

        if (c->dead) {
                conn_free(c);
                return;
        }

        for (unsigned i = 0; i < BUS_PROCESS_BURST; i++) {
                r = sd_bus_process(c->bus, NULL);
                if (r < 0) {
                        if (!errno_is_disconnect(r))
                                log_debug_errno(r, "bus: Failed to process connection :1.%u: %m", c->id);
                        conn_free(c);
                        return;
                }
                if (r == 0)
                        break;
                if (c->dead)
                        break;
        }
        /* When the burst is used up with messages still queued, sd_bus_get_timeout() says 0 and
         * the timer brings us back on the next iteration, after the other watchers had a turn. */

        if (c->dead || sd_bus_is_open(c->bus) <= 0) {
                conn_free(c);
                return;
        }
        r = conn_rearm(c);
        if (r < 0)
                conn_free(c);
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents) {
        conn_process(w->data);
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        conn_process(w->data);
}

/* Runs before every incoming message is dispatched. A peer gets signals only once it has sent
 * something: a bus client (busctl, gdbus) must see the reply to its Hello() before any other
 * message, and it always sends Hello() first. */
static int conn_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;

        c->subscribed = true;
        return 0;
}

/* ---- privileges ------------------------------------------------------------------------------------ */

/* Methods that change anything are for root only. The peer's uid comes from SO_PEERCRED at
 * accept time; sd-bus' own checks are off (sd_bus_set_trusted()), they do not apply to p2p. */
int bus_check_privileged(struct bus_conn *c, const char *what, sd_bus_error *ret_error) {
        if (c->uid == 0)
                return 0;
        return sd_bus_error_setf(ret_error, SUP_ERROR_ACCESS_DENIED, "Access denied: %s needs root privileges.",
                                 what);
}

/* ---- accepting --------------------------------------------------------------------------------------- */

static int conn_new(struct bus_server *b, int fd) {
        _cleanup_close_ int fd_close = fd;
        struct ucred ucred = {};
        socklen_t l = sizeof(ucred);
        struct bus_conn *c;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &l) < 0)
                return -errno;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (struct bus_conn) {
                .server = b,
                .uid = ucred.uid,
                .pid = ucred.pid,
                .id = ++b->next_id,
        };

        r = sd_bus_new(&c->bus);
        if (r < 0)
                goto fail;
        (void) sd_bus_set_description(c->bus, "supd-control");
        r = sd_bus_set_fd(c->bus, fd, fd);
        if (r < 0)
                goto fail;
        fd_close = -EBADF; /* the bus owns it now */
        r = sd_bus_set_server(c->bus, 1, b->id);
        if (r < 0)
                goto fail;
        r = sd_bus_set_trusted(c->bus, 1);
        if (r < 0)
                goto fail;
        /* A client in another pid namespace (a host talking to a containerised supd) cannot pass
         * EXTERNAL: sd-bus rejects a peer whose pid it cannot see. ANONYMOUS is fine, since who may
         * change what is decided from SO_PEERCRED's uid, taken at accept, not from the auth. */
        r = sd_bus_set_anonymous(c->bus, 1);
        if (r < 0)
                goto fail;
        r = sd_bus_add_filter(c->bus, NULL, conn_filter, c);
        if (r < 0)
                goto fail;
        r = sd_bus_add_object_vtable(c->bus, NULL, SUP_BUS_PATH, SUP_BUS_INTERFACE, bus_manager_vtable, c);
        if (r < 0)
                goto fail;
        r = sd_bus_add_object_vtable(c->bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus", bus_dbus_vtable,
                                     c);
        if (r < 0)
                goto fail;
        r = sd_bus_start(c->bus);
        if (r < 0)
                goto fail;

        ev_io_init(&c->io, conn_io_cb, sd_bus_get_fd(c->bus), 0);
        c->io.data = c;
        ev_init(&c->timer, conn_timer_cb);
        c->timer.data = c;

        c->next = b->conns;
        if (b->conns)
                b->conns->prev = c;
        b->conns = c;
        b->n_conns++;

        log_debug("bus: connection :1.%u from uid %u, pid " PID_FMT, c->id, (unsigned) c->uid, c->pid);

        r = conn_rearm(c);
        if (r < 0) {
                conn_free(c);
                return r;
        }
        return 0;

fail:
        sd_bus_close_unref(c->bus);
        free(c);
        return r;
}

static void server_accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct bus_server *b = w->data;

        ev_io_start(loop, &b->io);
}

static void server_accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct bus_server *b = w->data;
        int r;

        for (unsigned i = 0; i < BUS_ACCEPT_BURST; i++) {
                int fd = accept4(b->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return;
                        /* Out of fds or memory: the listening socket stays readable, so stop
                         * watching it for a while instead of spinning. */
                        log_warning_errno(-errno, "bus: Failed to accept a connection, pausing for %.0fs: %m",
                                          BUS_ACCEPT_RETRY_SEC);
                        ev_io_stop(loop, &b->io);
                        ev_timer_set(&b->accept_retry, BUS_ACCEPT_RETRY_SEC, 0.);
                        ev_timer_start(loop, &b->accept_retry);
                        return;
                }

                if (b->n_conns >= BUS_CONNECTIONS_MAX) {
                        log_warning("bus: Too many connections (%u), refusing one.", BUS_CONNECTIONS_MAX);
                        safe_close(fd);
                        continue;
                }

                r = conn_new(b, fd);
                if (r < 0)
                        log_warning_errno(r, "bus: Failed to set up a connection, ignoring: %m");
        }
}

union sockaddr_union {
        struct sockaddr sa;
        struct sockaddr_un un;
};

/* Removes a socket left by a predecessor, but not one a live supd listens on. */
static int remove_stale_socket(const union sockaddr_union *sa, socklen_t salen) {
        _cleanup_close_ int fd = -EBADF;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* Non-blocking connect on AF_UNIX never waits: it succeeds, is refused, or finds the
         * backlog full (EAGAIN, still somebody listening). */
        if (connect(fd, &sa->sa, salen) >= 0 || errno == EAGAIN)
                return -EADDRINUSE;
        if (errno == ENOENT)
                return 0;
        if (unlink(sa->un.sun_path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/**
 * bus_server_new() - listen on @socket_path (mode 0600) and serve org.sup.Manager1 on every
 * connection, from @loop.
 *
 * A socket file left behind by a dead supd is replaced; one a live supd still listens on is not
 * (-EADDRINUSE). Must not be freed from within a bus callback.
 */
int bus_server_new(struct ev_loop *loop, struct manager *m, const char *socket_path, struct bus_server **ret) {
        union sockaddr_union sa = { .un.sun_family = AF_UNIX };
        struct bus_server *b;
        socklen_t salen;
        mode_t old_umask;
        int r;

        if (!loop || !m || !socket_path || !ret)
                return -EINVAL;
        if (strlen(socket_path) >= sizeof(sa.un.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.un.sun_path, socket_path);
        salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(socket_path) + 1);

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        *b = (struct bus_server) {
                .loop = loop,
                .manager = m,
                .fd = -EBADF,
        };
        b->path = strdup(socket_path);
        if (!b->path) {
                r = -ENOMEM;
                goto fail;
        }
        r = sd_id128_randomize(&b->id);
        if (r < 0)
                goto fail;

        r = remove_stale_socket(&sa, salen);
        if (r < 0)
                goto fail;

        b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (b->fd < 0) {
                r = -errno;
                goto fail;
        }
        /* The socket file is made 0600 by bind() itself, so it is never reachable by others, not
         * even for a moment. No threads, so the process-wide umask is ours. */
        old_umask = umask(0177);
        r = bind(b->fd, &sa.sa, salen) < 0 ? -errno : 0;
        umask(old_umask);
        if (r < 0) {
                free(b->path); /* not ours: do not unlink it */
                b->path = NULL;
                goto fail;
        }
        if (listen(b->fd, SOMAXCONN) < 0) {
                r = -errno;
                goto fail;
        }

        ev_io_init(&b->io, server_accept_cb, b->fd, EV_READ);
        b->io.data = b;
        ev_io_start(loop, &b->io);
        ev_init(&b->accept_retry, server_accept_retry_cb);
        b->accept_retry.data = b;

        *ret = b;
        return 0;

fail:
        bus_server_free(b);
        return r;
}

/**
 * bus_server_free() - close every connection (what is still queued for a peer is dropped: there
 * is no flushing without waiting for the peer), stop listening and remove the socket file. Takes
 * NULL; returns NULL.
 */
struct bus_server *bus_server_free(struct bus_server *b) {
        if (!b)
                return NULL;

        while (b->conns)
                conn_free(b->conns);

        if (b->fd >= 0) {
                ev_io_stop(b->loop, &b->io);
                ev_timer_stop(b->loop, &b->accept_retry);
                b->fd = safe_close(b->fd);
                if (b->path)
                        (void) unlink(b->path);
        }
        free(b->path);
        return mfree(b);
}

/* ---- signals --------------------------------------------------------------------------------------- */

/**
 * bus_unit_changed() - emit UnitChanged(name, active_state, result) to every peer that has sent
 * something (see conn_filter()).
 *
 * May run from within a method call of any connection. A peer that cannot take it (gone, or too
 * far behind reading) is closed from its own watcher, on the next loop iteration.
 */
void bus_unit_changed(struct bus_server *b, struct unit *u) {
        const char *state, *result;

        if (!b || !u)
                return;

        {
                struct unit_status st;

                unit_get_status(u, &st);
                state = strempty(unit_active_state_to_string(st.state));
                result = strempty(unit_result_to_string(st.result));
        }

        for (struct bus_conn *c = b->conns; c; c = c->next) {
                uint64_t queued = 0;
                int r;

                if (c->dead || !c->subscribed)
                        continue;

                r = sd_bus_get_n_queued_write(c->bus, &queued);
                if (r >= 0 && queued >= BUS_WQUEUE_MAX) {
                        log_warning("bus: Peer :1.%u (pid " PID_FMT ") does not read its messages, disconnecting.",
                                    c->id, c->pid);
                        conn_kill_later(c);
                        continue;
                }

                r = sd_bus_emit_signal(c->bus, SUP_BUS_PATH, SUP_BUS_INTERFACE, "UnitChanged", "sss", unit_name(u), state,
                                       result);
                if (r >= 0)
                        r = conn_rearm(c);
                if (r < 0) {
                        log_debug_errno(r, "bus: Failed to send UnitChanged to :1.%u, disconnecting: %m", c->id);
                        conn_kill_later(c);
                }
        }
}

void bus_on_unit_changed(void *userdata, struct unit *u) {
        bus_unit_changed(userdata, u);
}

void bus_emit_exec_exited(struct bus_conn *c, pid_t pid, int code, int status) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        int r;

        r = sd_bus_message_new_signal(c->bus, &signal, SUP_BUS_PATH, SUP_BUS_INTERFACE, "ExecExited");
        if (r >= 0)
                r = sd_bus_message_append(signal, "uii", (uint32_t) pid, (int32_t) code, (int32_t) status);
        if (r >= 0)
                r = sd_bus_send(c->bus, signal, NULL);
        bus_conn_queued(c, r);
}
