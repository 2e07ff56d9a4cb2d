/* SPDX-License-Identifier: MIT */
#pragma once

/* The control socket: D-Bus peer to peer (sd-bus in server mode) on RUNTIME/control, mode 0600,
 * wired into the libev loop. Each accepted connection is its own sd_bus; org.sup.Manager1 at
 * /org/sup/Manager1 is served on all of them, UnitChanged is emitted to all of them, and the
 * org.freedesktop.DBus calls that generic clients make first (Hello, AddMatch) are answered so
 * that busctl and gdbus work against it. */

#include <ev.h>

struct manager;
struct unit;
struct bus_server;

/* Binds SOCKET_PATH (mode 0600) and listens on it. */
int bus_server_new(struct ev_loop *loop, struct manager *m, const char *socket_path, struct bus_server **ret);
/* Serves an already listening socket, e.g. one inherited across a re-exec; takes FD over, also on
 * failure. SOCKET_PATH (may be NULL) is the file bus_server_free() removes. */
int bus_server_new_fd(struct ev_loop *loop, struct manager *m, int fd, const char *socket_path,
                      struct bus_server **ret);
/* The listening socket (to pass on across a re-exec: it is close-on-exec), or -EBADF. */
int bus_server_fd(const struct bus_server *b);
struct bus_server *bus_server_free(struct bus_server *b);

/* Emits UnitChanged(s name, s active_state, s result) to every connected client. */
void bus_unit_changed(struct bus_server *b, struct unit *u);

/* Registered as the manager's unit-changed callback (userdata: the bus server). */
void bus_on_unit_changed(void *userdata, struct unit *u);
