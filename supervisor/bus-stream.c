/* SPDX-License-Identifier: MIT */

/* What passes between a peer's socket and its sd_bus.
 *
 * sd-bus, as a server, reads whatever a peer sends: a message header that announces 100 MB makes
 * it allocate and read 100 MB before anything of supd's runs (its own limit is 128 MiB), and its
 * SASL code reads past the end of the handshake into the first messages. So sd-bus never gets the
 * peer's socket: it gets one end of a socketpair, and supd passes on what the peer sent, checked:
 *
 *  - the SASL handshake, as it comes, but never past the end of a BEGIN line, and at most
 *    BUS_AUTH_MAX bytes of it. After a BEGIN nothing more is read until sd-bus accepted it (then
 *    messages follow) or refused it (then the handshake goes on);
 *  - then whole messages. The 16 fixed bytes of each header are read first: they give the
 *    message's size. One of at most BUS_MESSAGE_MAX bytes is passed on, with the fds that came
 *    with it. A larger one is read and dropped as it arrives (it never is in memory) and, when it
 *    is a call that wants a reply, answered with org.freedesktop.DBus.Error.LimitsExceeded. A
 *    header that is none (endianness, type or version unknown, a size under the 24 bytes sd-bus
 *    reads at once or over the 128 MiB D-Bus allows) closes the connection.
 *
 * What sd-bus writes goes back to the peer unchanged, fds included. Each side's reads stop after
 * STREAM_BURST bytes per round, and nothing more is read from a side while the other has not
 * taken what was read before (struct bus_pending): a peer cannot make supd hold more than one
 * chunk per direction, nor keep the loop to itself. */

#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "log.h"
#include "macro.h"

#define STREAM_CHUNK           (64U * 1024U)   /* bytes read at once */
#define STREAM_BURST           (1024U * 1024U) /* bytes read from one side per round */
#define STREAM_FDS_MAX         253U            /* the kernel's SCM_MAX_FD: what one recvmsg() can bring */
#define STREAM_HEADER_FDS_MAX  1024U           /* fds held with a header not read whole yet */
#define DBUS_HEADER_SIZE       16U /* endianness, type, flags, version, body size, serial, fields size */
#define DBUS_MESSAGE_MIN       24U /* sd-bus reads this much before it looks at a header */
#define DBUS_MESSAGE_LIMIT     (128U << 20) /* the specification's maximum; sd-bus refuses as much */
#define DBUS_METHOD_CALL       1
#define DBUS_SIGNAL            4
#define DBUS_NO_REPLY_EXPECTED 0x1
#define DBUS_VERSION           1

/* One loop, no threads: one buffer serves every connection, which never keeps data in it. */
static uint8_t scratch[STREAM_CHUNK];

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                safe_close(fds[i]);
}

static void pending_clear(struct bus_pending *p) {
        close_fds(p->fds, p->n_fds);
        p->fds = mfree(p->fds);
        p->n_fds = 0;
        p->data = mfree(p->data);
        p->off = p->len = 0;
}

static bool pending_empty(const struct bus_pending *p) {
        return p->off >= p->len;
}

/* One recvmsg() of at most @n bytes. The fds that come along land in @fds (STREAM_FDS_MAX of them
 * fit) and are the caller's. Returns the bytes read, 0 at EOF, -EAGAIN when there is nothing. */
static ssize_t recv_fds(int fd, void *buf, size_t n, int *fds, size_t *ret_n_fds) {
        union {
                struct cmsghdr cmsghdr;
                uint8_t buf[CMSG_SPACE(sizeof(int) * STREAM_FDS_MAX)];
        } control;
        struct iovec iov = {.iov_base = buf, .iov_len = n};
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        size_t n_fds = 0;
        ssize_t k;

        *ret_n_fds = 0;
        k = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (k < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
                size_t m;

                if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
                        continue;
                m = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                if (m > STREAM_FDS_MAX - n_fds) /* cannot happen: the control buffer holds no more */
                        m = STREAM_FDS_MAX - n_fds;
                memcpy(fds + n_fds, CMSG_DATA(cmsg), m * sizeof(int));
                n_fds += m;
        }
        if (mh.msg_flags & MSG_CTRUNC) {
                /* Fds were lost (more than fit, or we are out of fds): the message they belong to
                 * would reach sd-bus without them. */
                close_fds(fds, n_fds);
                return -ENOBUFS;
        }
        *ret_n_fds = n_fds;
        return k;
}

/* One sendmsg() of @len bytes, with @fds on the first one. Returns the bytes written (0 when the
 * socket is full), or -errno. */
static ssize_t send_fds(int fd, const uint8_t *data, size_t len, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr cmsghdr;
                uint8_t buf[CMSG_SPACE(sizeof(int) * STREAM_HEADER_FDS_MAX)];
        } control = {};
        struct iovec iov = {.iov_base = (void *) data, .iov_len = len};
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
        };
        ssize_t k;

        if (n_fds > 0) {
                struct cmsghdr *cmsg;

                if (n_fds > STREAM_HEADER_FDS_MAX)
                        return -E2BIG;
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cmsg = CMSG_FIRSTHDR(&mh);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * n_fds);
        }
        k = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        return k;
}

/* Writes what @p holds. Returns 1 when it is empty then, 0 when some is left, or -errno. */
static int pending_flush(int fd, struct bus_pending *p) {
        ssize_t k;

        if (pending_empty(p))
                return 1;
        k = send_fds(fd, p->data + p->off, p->len - p->off, p->fds, p->n_fds);
        if (k < 0)
                return (int) k;
        if (k > 0) {
                /* The socket holds its own references to the fds now. */
                close_fds(p->fds, p->n_fds);
                p->fds = mfree(p->fds);
                p->n_fds = 0;
                p->off += (size_t) k;
        }
        if (!pending_empty(p))
                return 0;
        pending_clear(p);
        return 1;
}

/* Writes @data (with @fds, which are ours either way); what the socket does not take goes to @p,
 * which must be empty. Returns 0 or -errno. */
static int send_or_keep(int fd, const uint8_t *data, size_t len, int *fds, size_t n_fds,
                        struct bus_pending *p) {
        ssize_t k;

        k = send_fds(fd, data, len, fds, n_fds);
        if (k < 0) {
                close_fds(fds, n_fds);
                return (int) k;
        }
        if (k > 0) {
                close_fds(fds, n_fds);
                n_fds = 0;
        }
        if ((size_t) k == len)
                return 0;

        p->data = malloc(len - (size_t) k);
        if (!p->data) {
                close_fds(fds, n_fds);
                return -ENOMEM;
        }
        memcpy(p->data, data + k, len - (size_t) k);
        p->off = 0;
        p->len = len - (size_t) k;
        if (n_fds > 0) {
                p->fds = malloc(n_fds * sizeof(int));
                if (!p->fds) {
                        close_fds(fds, n_fds);
                        pending_clear(p);
                        return -ENOMEM;
                }
                memcpy(p->fds, fds, n_fds * sizeof(int));
                p->n_fds = n_fds;
        }
        return 0;
}

/* The peer sent all it will (or went away): sd-bus gets the EOF after the rest, as it would have
 * read it from the peer itself, so that a call sent just before it is still served. */
static int peer_eof(struct bus_stream *s) {
        s->peer_eof = true;
        return 0;
}

/* ---- the SASL handshake ---------------------------------------------------------------------------- */

/* Passes on what the peer sent of the handshake, up to the end of a BEGIN line. Lines end in
 * "\r\n"; the handshake starts with one NUL byte, before the first line. Returns 1 when something
 * passed, 0 when there was nothing to read, or -errno. */
static int auth_step(struct bus_conn *c, size_t *budget) {
        struct bus_stream *s = &c->stream;
        size_t room = BUS_AUTH_MAX - s->auth_bytes, n;
        bool begin = false;
        ssize_t k;

        if (room == 0)
                return log_debug_errno(-E2BIG,
                                       "bus: Connection :1.%u (pid " PID_FMT ") sent %u bytes of SASL "
                                       "handshake, closing it.",
                                       c->id, c->pid, BUS_AUTH_MAX);

        /* A peek, so that nothing after the BEGIN line leaves the socket. */
        k = recv(s->peer_fd, scratch, MIN(room, sizeof(scratch)), MSG_PEEK | MSG_DONTWAIT);
        if (k < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (k == 0)
                return peer_eof(s);

        /* The line in progress is known by its length and first bytes, so that a BEGIN split
         * across reads is found too. */
        n = (size_t) k;
        for (size_t i = 0; i < (size_t) k; i++) {
                uint8_t ch = scratch[i];

                if (s->auth_bytes == 0 && i == 0)
                        continue; /* the NUL byte */
                if (ch == '\n' && s->line_len > 0 &&
                    s->line[MIN(s->line_len, sizeof(s->line)) - 1] == '\r') {
                        begin = s->line_len == STRLEN("BEGIN\r") && memcmp(s->line, "BEGIN\r", 6) == 0;
                        s->line_len = 0;
                        if (begin) {
                                n = i + 1;
                                break;
                        }
                        continue;
                }
                if (s->line_len < sizeof(s->line))
                        s->line[s->line_len] = ch;
                else
                        s->line[sizeof(s->line) - 1] = ch; /* only the last byte matters then */
                if (s->line_len < SIZE_MAX)
                        s->line_len++;
        }

        /* Consumes exactly what was looked at (a short read: an earlier write carried fds, which
         * have no business in a handshake and are dropped). */
        for (size_t done = 0; done < n;) {
                k = recv(s->peer_fd, scratch + done, n - done, MSG_DONTWAIT);
                if (k <= 0)
                        return k == 0 ? -ECONNRESET : -errno;
                done += (size_t) k;
        }
        s->auth_bytes += n;
        *budget -= MIN(*budget, n);
        if (begin)
                s->phase = BUS_STREAM_AUTH_BEGIN;
        return send_or_keep(s->pair_fd, scratch, n, NULL, 0, &s->to_bus) ?: 1;
}

/* ---- messages -------------------------------------------------------------------------------------- */

static int refuse_oversized(struct bus_conn *c) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        struct bus_stream *s = &c->stream;
        int r;

        if (!s->skip_reply)
                return 0;

        /* The call itself is gone: the error answers its serial, from a stand-in. */
        r = sd_bus_message_new_method_call(c->bus, &call, NULL, "/", NULL, "Refused");
        if (r < 0)
                return r;
        r = sd_bus_message_seal(call, s->skip_serial, 0);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_errorf(call, &reply, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                             "Message of %" PRIu64 " bytes refused: at most %u bytes.",
                                             s->skip_size, BUS_MESSAGE_MAX);
        if (r < 0)
                return r;
        return sd_bus_send(c->bus, reply, NULL);
}

/* The fixed part of a header, read whole: what follows is passed on, dropped, or the end. */
static int header_check(struct bus_conn *c) {
        struct bus_stream *s = &c->stream;
        const uint8_t *h = s->header;
        uint32_t body, serial, fields;
        uint64_t size;

        memcpy(&body, h + 4, sizeof(body));
        memcpy(&serial, h + 8, sizeof(serial));
        memcpy(&fields, h + 12, sizeof(fields));
        if (h[0] == 'l') {
                body = le32toh(body);
                serial = le32toh(serial);
                fields = le32toh(fields);
        } else if (h[0] == 'B') {
                body = be32toh(body);
                serial = be32toh(serial);
                fields = be32toh(fields);
        } else
                goto invalid;
        if (h[1] < DBUS_METHOD_CALL || h[1] > DBUS_SIGNAL || h[3] != DBUS_VERSION)
                goto invalid;

        /* As sd-bus reckons it: the header fields are padded to 8 bytes. */
        size = DBUS_HEADER_SIZE + (((uint64_t) fields + 7) & ~UINT64_C(7)) + body;
        if (size < DBUS_MESSAGE_MIN || size >= DBUS_MESSAGE_LIMIT)
                goto invalid;

        if (size > BUS_MESSAGE_MAX) {
                log_warning("bus: Connection :1.%u (uid %u, pid " PID_FMT ") sent a message of %" PRIu64
                            " bytes, more than %u: dropping it.",
                            c->id, (unsigned) c->uid, c->pid, size, BUS_MESSAGE_MAX);
                s->skip_left = size - DBUS_HEADER_SIZE;
                s->skip_size = size;
                s->skip_serial = serial;
                s->skip_reply = h[1] == DBUS_METHOD_CALL && !(h[2] & DBUS_NO_REPLY_EXPECTED) && serial != 0;
                return 0;
        }
        s->body_left = size - DBUS_HEADER_SIZE;
        return 1;

invalid:
        return log_debug_errno(-EBADMSG,
                               "bus: Connection :1.%u (pid " PID_FMT ") sent no valid message header, "
                               "closing it.",
                               c->id, c->pid);
}

/* Reads the next piece of the stream of messages. Returns 1 when something was read, 0 when there
 * was nothing, or -errno. */
static int message_step(struct bus_conn *c, size_t *budget) {
        struct bus_stream *s = &c->stream;
        int fds[STREAM_FDS_MAX];
        size_t n_fds;
        ssize_t k;
        int r;

        if (s->skip_left > 0) {
                k = recv_fds(s->peer_fd, scratch, MIN(MIN(s->skip_left, sizeof(scratch)), *budget), fds,
                             &n_fds);
                if (k <= 0)
                        return k == -EAGAIN ? 0 : k == 0 ? peer_eof(s) : (int) k;
                close_fds(fds, n_fds);
                s->skip_left -= (size_t) k;
                *budget -= MIN(*budget, (size_t) k);
                if (s->skip_left == 0) {
                        r = refuse_oversized(c);
                        if (r < 0)
                                return r;
                }
                return 1;
        }

        if (s->body_left > 0) {
                k = recv_fds(s->peer_fd, scratch, MIN(MIN(s->body_left, sizeof(scratch)), *budget), fds,
                             &n_fds);
                if (k <= 0)
                        return k == -EAGAIN ? 0 : k == 0 ? peer_eof(s) : (int) k;
                s->body_left -= (size_t) k;
                *budget -= MIN(*budget, (size_t) k);
                return send_or_keep(s->pair_fd, scratch, (size_t) k, fds, n_fds, &s->to_bus) ?: 1;
        }

        /* At a message boundary: its header first, and the fds that came with it are held until
         * the size is known. */
        k = recv_fds(s->peer_fd, s->header + s->header_len, DBUS_HEADER_SIZE - s->header_len, fds, &n_fds);
        if (k <= 0)
                return k == -EAGAIN ? 0 : k == 0 ? peer_eof(s) : (int) k;
        if (n_fds > 0) {
                int *a;

                if (n_fds > STREAM_HEADER_FDS_MAX - s->n_header_fds) {
                        close_fds(fds, n_fds);
                        return -EMFILE;
                }
                a = realloc(s->header_fds, (s->n_header_fds + n_fds) * sizeof(int));
                if (!a) {
                        close_fds(fds, n_fds);
                        return -ENOMEM;
                }
                memcpy(a + s->n_header_fds, fds, n_fds * sizeof(int));
                s->header_fds = a;
                s->n_header_fds += n_fds;
        }
        s->header_len += (size_t) k;
        *budget -= MIN(*budget, (size_t) k);
        if (s->header_len < DBUS_HEADER_SIZE)
                return 1;

        s->header_len = 0;
        r = header_check(c);
        if (r <= 0) {
                close_fds(s->header_fds, s->n_header_fds);
                s->header_fds = mfree(s->header_fds);
                s->n_header_fds = 0;
                return r < 0 ? r : 1;
        }
        memcpy(scratch, s->header, DBUS_HEADER_SIZE);
        r = send_or_keep(s->pair_fd, scratch, DBUS_HEADER_SIZE, s->header_fds, s->n_header_fds, &s->to_bus);
        s->header_fds = mfree(s->header_fds);
        s->n_header_fds = 0;
        return r < 0 ? r : 1;
}

/* ---- both directions ------------------------------------------------------------------------------- */

int bus_stream_to_bus(struct bus_conn *c) {
        struct bus_stream *s = &c->stream;
        size_t budget = STREAM_BURST;
        int r;

        for (;;) {
                r = pending_flush(s->pair_fd, &s->to_bus);
                if (r <= 0)
                        return r;
                if (s->peer_eof) {
                        if (!s->bus_eof && shutdown(s->pair_fd, SHUT_WR) < 0)
                                return -errno;
                        s->bus_eof = true;
                        return 0;
                }
                if (budget == 0)
                        return 0;
                switch (s->phase) {
                case BUS_STREAM_AUTH:
                        r = auth_step(c, &budget);
                        break;
                case BUS_STREAM_AUTH_BEGIN:
                        return 0;
                case BUS_STREAM_MESSAGES:
                        r = message_step(c, &budget);
                        break;
                default:
                        abort();
                }
                if (r < 0 || (r == 0 && !s->peer_eof))
                        return r;
        }
}

int bus_stream_to_peer(struct bus_conn *c) {
        struct bus_stream *s = &c->stream;
        size_t budget = STREAM_BURST;
        int fds[STREAM_FDS_MAX];
        size_t n_fds;
        ssize_t k;
        int r;

        for (;;) {
                r = pending_flush(s->peer_fd, &s->to_peer);
                if (r <= 0)
                        return r;
                if (budget == 0)
                        return 0;
                k = recv_fds(s->pair_fd, scratch, sizeof(scratch), fds, &n_fds);
                if (k <= 0)
                        return k == -EAGAIN ? 0 : k == 0 ? -ECONNRESET : (int) k;
                budget -= MIN(budget, (size_t) k);
                r = send_or_keep(s->peer_fd, scratch, (size_t) k, fds, n_fds, &s->to_peer);
                if (r < 0)
                        return r;
        }
}

void bus_stream_bus_ran(struct bus_conn *c) {
        struct bus_stream *s = &c->stream;
        int events, queued = 0;

        if (s->phase != BUS_STREAM_AUTH_BEGIN)
                return;
        if (sd_bus_is_ready(c->bus) > 0) {
                s->phase = BUS_STREAM_MESSAGES;
                return;
        }
        /* sd-bus takes a BEGIN as soon as it has read it and written its answers; when it read all
         * and has nothing more to write, and is not running, it refused it (an ERROR went back). */
        events = sd_bus_get_events(c->bus);
        if (pending_empty(&s->to_bus) && events >= 0 && !(events & POLLOUT) &&
            ioctl(sd_bus_get_fd(c->bus), FIONREAD, &queued) >= 0 && queued == 0)
                s->phase = BUS_STREAM_AUTH;
}

static void io_set(struct ev_loop *loop, ev_io *w, int events) {
        if (w->events == events && (ev_is_active(w) || events == 0))
                return;
        ev_io_stop(loop, w);
        ev_io_set(w, w->fd, events);
        if (events)
                ev_io_start(loop, w);
}

void bus_stream_rearm(struct bus_conn *c) {
        struct bus_stream *s = &c->stream;
        int peer = 0, pair = 0;

        /* What one side sent waits until the other took it; and a peer that does not read its
         * replies is not read from either. */
        if (!pending_empty(&s->to_peer))
                peer |= EV_WRITE;
        else
                pair |= EV_READ;
        if (!pending_empty(&s->to_bus))
                pair |= EV_WRITE;
        else if (s->phase != BUS_STREAM_AUTH_BEGIN && !s->peer_eof && pending_empty(&s->to_peer))
                peer |= EV_READ;

        io_set(c->server->loop, &s->peer_io, peer);
        io_set(c->server->loop, &s->pair_io, pair);
}

int bus_stream_init(struct bus_stream *s, struct bus_conn *c, int peer_fd,
                    void (*cb)(struct ev_loop *loop, ev_io *w, int revents), int *ret_bus_fd) {
        int pair[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair) < 0)
                return -errno;

        *s = (struct bus_stream){
                .peer_fd = peer_fd,
                .pair_fd = pair[0],
                .phase = BUS_STREAM_AUTH,
        };
        ev_io_init(&s->peer_io, cb, peer_fd, 0);
        s->peer_io.data = c;
        ev_io_init(&s->pair_io, cb, pair[0], 0);
        s->pair_io.data = c;
        *ret_bus_fd = pair[1];
        return 0;
}

void bus_stream_done(struct bus_stream *s, struct ev_loop *loop) {
        ev_io_stop(loop, &s->peer_io);
        ev_io_stop(loop, &s->pair_io);
        pending_clear(&s->to_bus);
        pending_clear(&s->to_peer);
        close_fds(s->header_fds, s->n_header_fds);
        s->header_fds = mfree(s->header_fds);
        s->n_header_fds = 0;
        s->peer_fd = safe_close(s->peer_fd);
        s->pair_fd = safe_close(s->pair_fd);
}
