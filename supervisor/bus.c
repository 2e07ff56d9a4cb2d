/* SPDX-License-Identifier: MIT */

/* The control socket. supd is the D-Bus server of every connection (sd-bus in server mode, no bus
 * daemon): each accepted connection is its own sd_bus, with its fd and timeout wired into the
 * libev loop, org.sup.Manager1 served on it (bus-manager.c) and org.freedesktop.DBus emulated for
 * the calls that generic clients (busctl, gdbus) make before anything else (bus-dbus.c). Between
 * the peer's socket and the sd_bus sits bus-stream.c, which bounds what a peer can send. Here: the
 * listening socket, who may connect and who gives way (README.md, "The control socket"), the
 * connections, the filter, the privilege check and the signals. Every call is answered from the
 * loop at once; nothing here blocks or waits for a peer. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <sys/resource.h>
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

/* Bounds, so that no peer makes supd allocate without limit (DESIGN.md, PID 1 rules); the others are
 * in bus-internal.h. */
#define BUS_WQUEUE_MAX 4096U     /* messages queued for a peer that does not read */
#define BUS_PROCESS_BURST 64U    /* messages per connection per loop iteration */
#define BUS_ACCEPT_BURST 16U     /* connections accepted per loop iteration */
#define BUS_ACCEPT_RETRY_SEC 1.0 /* after an accept() failure that the spare fd does not cure */
#define BUS_REFUSAL_LOG_USEC (10U * 1000000U) /* one warning about refused peers per this long */

#define USEC_PER_SEC_F 1000000.0

/* ---- connections -------------------------------------------------------------------------------- */

static struct bus_conn *conn_free(struct bus_conn *c) {
        if (!c)
                return NULL;

        ev_io_stop(c->server->loop, &c->io);
        ev_timer_stop(c->server->loop, &c->timer);
        ev_timer_stop(c->server->loop, &c->deadline);

        /* A peer that goes away takes its commands with it (SIGKILL): nothing is left running that
         * nobody waits for. */
        while (c->execs)
                bus_exec_free(c->execs);

        /* Not sd_bus_flush_close_unref(): sd_bus_flush() polls until the peer has read everything
         * (and first waits for the authentication to finish), which a peer could make last forever.
         * Whatever is still queued for a peer that is going away is dropped. */
        sd_bus_close_unref(c->bus);
        bus_stream_done(&c->stream, c->server->loop);

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

/* Makes the io watcher and the timer follow what sd-bus wants next, and the stream's watchers what
 * it can do next. Called after every processing and after anything was queued on the connection
 * from outside its own callbacks. */
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

        bus_stream_rearm(c);
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

/* Lets sd-bus take in what the stream passed it, and answer. */
static int conn_run_bus(struct bus_conn *c) {
        int r;

        for (unsigned i = 0; i < BUS_PROCESS_BURST; i++) {
                r = sd_bus_process(c->bus, NULL);
                if (r < 0) {
                        if (!errno_is_disconnect(r))
                                log_debug_errno(r, "bus: Failed to process connection :1.%u: %m", c->id);
                        return r;
                }
                if (r == 0 || c->dead)
                        break;
        }
        /* When the burst is used up with messages still queued, sd_bus_get_timeout() says 0 and
         * the timer brings us back on the next iteration, after the other watchers had a turn. */
        return 0;
}

/* Everything a connection has to do, whichever of its watchers woke it up: what the peer sent
 * goes to sd-bus, sd-bus runs, what it wrote goes to the peer. */
static void conn_process(struct bus_conn *c) {
        int r;

        if (c->dead) {
                conn_free(c);
                return;
        }

        /* Twice when the handshake ended: what the peer sent after it is waiting already. */
        for (unsigned round = 0; round < 2; round++) {
                enum bus_stream_phase phase = c->stream.phase;

                r = bus_stream_to_bus(c);
                if (r < 0)
                        goto fail;
                r = conn_run_bus(c);
                if (r < 0) {
                        /* sd-bus is done (the peer's EOF, say): what it answered before still goes. */
                        (void) bus_stream_to_peer(c);
                        goto fail;
                }
                bus_stream_bus_ran(c);
                r = bus_stream_to_peer(c);
                if (r < 0)
                        goto fail;
                if (c->dead || c->stream.phase == phase)
                        break;
        }

        if (c->dead || sd_bus_is_open(c->bus) <= 0) {
                conn_free(c);
                return;
        }
        r = conn_rearm(c);
        if (r < 0)
                goto fail;
        return;

fail:
        if (!errno_is_disconnect(r))
                log_debug_errno(r, "bus: Closing connection :1.%u: %m", c->id);
        conn_free(c);
}

static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents) {
        conn_process(w->data);
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        conn_process(w->data);
}

/* A peer gets BUS_HANDSHAKE_TIMEOUT_SEC from accept to its first message (authentication included):
 * one that connects and says nothing holds no slot for longer. */
static void conn_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct bus_conn *c = w->data;

        log_debug("bus: Connection :1.%u (uid %u, pid " PID_FMT ") sent no message within %.0fs, closing it.", c->id,
                  (unsigned) c->uid, c->pid, BUS_HANDSHAKE_TIMEOUT_SEC);
        conn_free(c);
}

/* Runs before every incoming message is dispatched. A peer gets signals only once it has sent
 * something: a bus client (busctl, gdbus) must see the reply to its Hello() before any other
 * message, and it always sends Hello() first. */
static int conn_filter(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;

        if (!c->subscribed)
                ev_timer_stop(c->server->loop, &c->deadline);
        c->subscribed = true;
        c->active_usec = now(CLOCK_MONOTONIC);
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

const char *bus_quote(const char *s, char *buf) {
        const size_t max = BUS_QUOTE_SIZE - sizeof("...");
        size_t n;

        for (n = 0; s[n] && n < max; n++) {
                unsigned char ch = (unsigned char) s[n];

                buf[n] = ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' ? (char) ch : '?';
        }
        strcpy(buf + n, s[n] ? "..." : "");
        return buf;
}

/* ---- accepting --------------------------------------------------------------------------------------- */

/* Does not take @fd over on failure. */
static int conn_new(struct bus_server *b, int fd, const struct ucred *ucred) {
        struct bus_conn *c;
        int bus_fd = -EBADF, r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (struct bus_conn) {
                .server = b,
                .uid = ucred->uid,
                .pid = ucred->pid,
                .id = ++b->next_id,
                .active_usec = now(CLOCK_MONOTONIC),
        };

        r = bus_stream_init(&c->stream, c, fd, conn_io_cb, &bus_fd);
        if (r < 0) {
                free(c);
                return r;
        }

        r = sd_bus_new(&c->bus);
        if (r < 0)
                goto fail;
        (void) sd_bus_set_description(c->bus, "supd-control");
        r = sd_bus_set_fd(c->bus, bus_fd, bus_fd);
        if (r < 0)
                goto fail;
        bus_fd = -EBADF; /* the bus owns it now */
        r = sd_bus_set_server(c->bus, 1, b->id);
        if (r < 0)
                goto fail;
        r = sd_bus_set_trusted(c->bus, 1);
        if (r < 0)
                goto fail;
        /* sd-bus sees the socketpair, not the peer: EXTERNAL would check the uid against supd's own.
         * ANONYMOUS is fine, since who may change what is decided from SO_PEERCRED's uid, taken at
         * accept, not from the auth (and it lets a client in another pid namespace in too). */
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
        ev_timer_init(&c->deadline, conn_deadline_cb, BUS_HANDSHAKE_TIMEOUT_SEC, 0.);
        c->deadline.data = c;

        c->next = b->conns;
        if (b->conns)
                b->conns->prev = c;
        b->conns = c;
        b->n_conns++;

        log_debug("bus: connection :1.%u from uid %u, pid " PID_FMT, c->id, (unsigned) c->uid, c->pid);

        ev_timer_start(b->loop, &c->deadline);
        r = conn_rearm(c);
        if (r < 0) {
                c->stream.peer_fd = -EBADF; /* the caller's again */
                conn_free(c);
                return r;
        }
        return 0;

fail:
        safe_close(bus_fd);
        sd_bus_close_unref(c->bus);
        c->stream.peer_fd = -EBADF;
        bus_stream_done(&c->stream, b->loop);
        free(c);
        return r;
}

/* Who gives way first, to make room for a new peer: a connection of another uid than root before
 * one of root's; one that has not sent a message yet (still authenticating, or saying nothing)
 * before one that has; then the one whose last message is the oldest. */
static bool conn_gives_way_before(const struct bus_conn *a, const struct bus_conn *b) {
        if ((a->uid == 0) != (b->uid == 0))
                return a->uid != 0;
        if (a->subscribed != b->subscribed)
                return !a->subscribed;
        return a->active_usec < b->active_usec;
}

/* The connection to close for a new peer of @uid, or NULL. One that failed already, if any; never
 * one with a command it exec'd (running or starting: Exec() is the one call answered later), whose
 * end would kill it; never root's for another uid; only @uid's own when @same_uid. */
static struct bus_conn *server_pick_victim(struct bus_server *b, uid_t uid, bool same_uid) {
        struct bus_conn *victim = NULL;

        for (struct bus_conn *c = b->conns; c; c = c->next) {
                if (c->dead && (!same_uid || c->uid == uid))
                        return c;
                if (c->dead || c->execs)
                        continue;
                if (same_uid ? c->uid != uid : uid != 0 && c->uid == 0)
                        continue;
                if (!victim || conn_gives_way_before(c, victim))
                        victim = c;
        }
        return victim;
}

static size_t server_count_uid(struct bus_server *b, uid_t uid) {
        size_t n = 0;

        for (struct bus_conn *c = b->conns; c; c = c->next)
                n += c->uid == uid;
        return n;
}

static void server_spare_open(struct bus_server *b) {
        if (b->spare_fd >= 0)
                return;
        b->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (b->spare_fd < 0)
                log_debug_errno(-errno, "bus: Failed to open the spare fd, ignoring: %m");
}

static void server_evict(struct bus_conn *victim, const struct ucred *ucred, const char *why) {
        if (victim->dead)
                ; /* closed already, only not freed yet */
        else if (victim->subscribed)
                log_info("bus: Too many %s: closing idle connection :1.%u (uid %u, pid " PID_FMT
                         ") to make room for uid %u, pid " PID_FMT ".", why, victim->id, (unsigned) victim->uid,
                         victim->pid, (unsigned) ucred->uid, ucred->pid);
        else
                log_debug("bus: Too many %s: closing connection :1.%u (uid %u, pid " PID_FMT
                          "), which said nothing yet, to make room for uid %u, pid " PID_FMT ".", why, victim->id,
                          (unsigned) victim->uid, victim->pid, (unsigned) ucred->uid, ucred->pid);
        conn_free(victim);
}

/* A new peer on @fd (ours): it gets a connection, maybe once another gave way, or its socket is
 * closed at once, which its client sees as an error straight away. @out_of_fds: it was accepted
 * with the spare fd, which must be reopened. */
static void server_admit(struct bus_server *b, int fd, bool out_of_fds) {
        _cleanup_close_ int fd_close = fd;
        struct ucred ucred = {};
        socklen_t l = sizeof(ucred);
        struct bus_conn *victim = NULL;
        const char *why = NULL;
        int r;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &ucred, &l) < 0) {
                log_debug_errno(-errno, "bus: Failed to read the peer's credentials, refusing it: %m");
                goto done;
        }

        if (ucred.uid != 0 && server_count_uid(b, ucred.uid) >= b->conns_max_uid) {
                why = "connections of one uid";
                victim = server_pick_victim(b, ucred.uid, true);
        } else if (b->n_conns >= b->conns_max) {
                why = "connections";
                victim = server_pick_victim(b, ucred.uid, false);
        } else if (out_of_fds) {
                why = "open files";
                victim = server_pick_victim(b, ucred.uid, false);
        }
        if (why && !victim)
                goto refuse;
        if (victim)
                server_evict(victim, &ucred, why);
        server_spare_open(b);

        r = conn_new(b, fd, &ucred);
        if ((r == -EMFILE || r == -ENFILE) && !victim) {
                /* The socketpair needs two more fds than accept() did. */
                why = "open files";
                victim = server_pick_victim(b, ucred.uid, false);
                if (!victim)
                        goto refuse;
                server_evict(victim, &ucred, why);
                r = conn_new(b, fd, &ucred);
        }
        if (r == -EMFILE || r == -ENFILE) {
                why = "open files";
                goto refuse;
        }
        if (r < 0) {
                log_warning_errno(r, "bus: Failed to set up a connection for uid %u, pid " PID_FMT ", refusing it: %m",
                                  (unsigned) ucred.uid, ucred.pid);
                goto done;
        }
        TAKE_FD(fd_close);
        goto done;

refuse:
        /* Warned about once in a while: a peer that keeps reconnecting must not flood the log. */
        if (now(CLOCK_MONOTONIC) >= b->refusal_logged_usec + BUS_REFUSAL_LOG_USEC) {
                b->refusal_logged_usec = now(CLOCK_MONOTONIC);
                log_warning("bus: Too many %s and none idle to close: refusing uid %u, pid " PID_FMT
                            " (more such refusals are logged at debug level for %us).", why, (unsigned) ucred.uid,
                            ucred.pid, BUS_REFUSAL_LOG_USEC / 1000000U);
        } else
                log_debug("bus: Too many %s: refusing uid %u, pid " PID_FMT ".", why, (unsigned) ucred.uid,
                          ucred.pid);
done:
        fd_close = safe_close(fd_close);
        server_spare_open(b);
}

/* How many connections: BUS_CONNECTIONS_MAX, fewer when they would take more than a quarter of
 * the fds supd may open (units need theirs too), never fewer than BUS_CONNECTIONS_MIN. */
static void server_limits(struct bus_server *b) {
        struct rlimit rl;

        b->conns_max = BUS_CONNECTIONS_MAX;
        if (getrlimit(RLIMIT_NOFILE, &rl) >= 0 && rl.rlim_cur != RLIM_INFINITY)
                b->conns_max = MAX(MIN(rl.rlim_cur / BUS_CONNECTIONS_FDS_SHARE / BUS_CONNECTION_FDS,
                                       (rlim_t) BUS_CONNECTIONS_MAX),
                                   (rlim_t) BUS_CONNECTIONS_MIN);
        b->conns_max_uid = MAX(b->conns_max / BUS_CONNECTIONS_UID_SHARE, (size_t) 1);
}

static void server_accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents) {
        struct bus_server *b = w->data;

        ev_io_start(loop, &b->io);
}

static void server_accept_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct bus_server *b = w->data;

        server_spare_open(b);

        for (unsigned i = 0; i < BUS_ACCEPT_BURST; i++) {
                bool out_of_fds = false;
                int fd;

                fd = accept4(b->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0 && (errno == EMFILE || errno == ENFILE) && b->spare_fd >= 0) {
                        /* Out of fds: the spare makes room for one accept(), so that the peer is
                         * told, by a connection closed at once (or kept, when another gives way),
                         * instead of waiting in the backlog for a supd that cannot take it. */
                        b->spare_fd = safe_close(b->spare_fd);
                        fd = accept4(b->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                        if (fd < 0) {
                                int saved = errno;

                                server_spare_open(b);
                                errno = saved;
                        }
                        out_of_fds = true;
                }
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return;
                        /* Out of fds with no spare, or of memory: the listening socket stays readable,
                         * so stop watching it for a while instead of spinning. */
                        log_warning_errno(-errno, "bus: Failed to accept a connection, pausing for %.0fs: %m",
                                          BUS_ACCEPT_RETRY_SEC);
                        ev_io_stop(loop, &b->io);
                        ev_timer_set(&b->accept_retry, BUS_ACCEPT_RETRY_SEC, 0.);
                        ev_timer_start(loop, &b->accept_retry);
                        return;
                }

                server_admit(b, fd, out_of_fds);
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
 * bus_server_new_fd() - serve org.sup.Manager1 on every connection of @fd, a listening AF_UNIX
 * stream socket (one inherited across a re-exec, say), from @loop.
 *
 * @fd is taken over, also on failure (then closed); it is made non-blocking and close-on-exec.
 * @socket_path, when not NULL, names the socket file, which bus_server_free() removes.
 * Must not be freed from within a bus callback.
 */
int bus_server_new_fd(struct ev_loop *loop, struct manager *m, int fd, const char *socket_path,
                      struct bus_server **ret) {
        _cleanup_close_ int fd_close = fd;
        struct bus_server *b;
        int listening = 0, flags, r;
        socklen_t l = sizeof(listening);

        if (!loop || !m || fd < 0 || !ret)
                return -EINVAL;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &l) < 0)
                return -errno;
        if (!listening)
                return -EINVAL;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return -errno;

        b = calloc(1, sizeof(*b));
        if (!b)
                return -ENOMEM;
        *b = (struct bus_server) {
                .loop = loop,
                .manager = m,
                .fd = TAKE_FD(fd_close),
                .spare_fd = -EBADF,
        };
        if (socket_path) {
                b->path = strdup(socket_path);
                if (!b->path) {
                        r = -ENOMEM;
                        goto fail;
                }
        }
        r = sd_id128_randomize(&b->id);
        if (r < 0)
                goto fail;

        /* Held from the start, so that running out of fds later still lets a peer be told. */
        server_spare_open(b);
        server_limits(b);
        log_debug("bus: at most %zu connections, %zu for one uid other than root", b->conns_max,
                  b->conns_max_uid);

        ev_io_init(&b->io, server_accept_cb, b->fd, EV_READ);
        b->io.data = b;
        ev_io_start(loop, &b->io);
        ev_init(&b->accept_retry, server_accept_retry_cb);
        b->accept_retry.data = b;

        *ret = b;
        return 0;

fail:
        free(b->path);
        b->path = NULL; /* not unlinked: the caller's */
        bus_server_free(b);
        return r;
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
        _cleanup_close_ int fd = -EBADF;
        socklen_t salen;
        mode_t old_umask;
        int r;

        if (!loop || !m || !socket_path || !ret)
                return -EINVAL;
        if (strlen(socket_path) >= sizeof(sa.un.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.un.sun_path, socket_path);
        salen = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(socket_path) + 1);

        r = remove_stale_socket(&sa, salen);
        if (r < 0)
                return r;

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        /* The socket file is made 0600 by bind() itself, so it is never reachable by others, not
         * even for a moment. No threads, so the process-wide umask is ours. */
        old_umask = umask(0177);
        r = bind(fd, &sa.sa, salen) < 0 ? -errno : 0;
        umask(old_umask);
        if (r < 0)
                return r; /* not ours: do not unlink it */
        if (listen(fd, SOMAXCONN) < 0) {
                r = -errno;
                goto fail;
        }

        r = bus_server_new_fd(loop, m, TAKE_FD(fd), socket_path, ret);
        if (r < 0)
                goto fail;
        return 0;

fail:
        (void) unlink(socket_path);
        return r;
}

int bus_server_fd(const struct bus_server *b) {
        return b ? b->fd : -EBADF;
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
        b->spare_fd = safe_close(b->spare_fd);
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
