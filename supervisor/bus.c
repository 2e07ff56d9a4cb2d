/* SPDX-License-Identifier: MIT */

/* The control socket. supd is the D-Bus server of every connection (sd-bus in server mode, no bus
 * daemon): each accepted connection is its own sd_bus, with its fd and timeout wired into the
 * libev loop, org.sup.Manager1 served on it and org.freedesktop.DBus emulated for the calls that
 * generic clients (busctl, gdbus) make before anything else. Every call is answered from the loop
 * at once; nothing here blocks or waits for a peer. */

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager.h"
#include "unit-exec.h"

#define SUP_BUS_NAME "org.sup.Manager1"
#define SUP_BUS_PATH "/org/sup/Manager1"
#define SUP_BUS_INTERFACE "org.sup.Manager1"

#define SUP_ERROR_NO_SUCH_UNIT "org.sup.Error.NoSuchUnit"
#define SUP_ERROR_BAD_STATE "org.sup.Error.BadState"
#define SUP_ERROR_ACCESS_DENIED "org.sup.Error.AccessDenied"
#define SUP_ERROR_SETUP_FAILED "org.sup.Error.SetupFailed"
/* Exec: the command could not be run (supctl exits 126), or was not found (127), as a shell does. */
#define SUP_ERROR_EXEC_FAILED "org.sup.Error.ExecFailed"
#define SUP_ERROR_EXEC_NOT_FOUND "org.sup.Error.ExecNotFound"

/* The unique name supd answers GetNameOwner(org.sup.Manager1) with; clients get :1.1 and up. */
#define SUP_BUS_UNIQUE_NAME ":1.0"

/* Bounds, so that no peer makes supd allocate without limit (DESIGN.md, PID 1 rules). */
#define BUS_CONNECTIONS_MAX 128U
#define BUS_WQUEUE_MAX 4096U     /* messages queued for a peer that does not read */
#define BUS_PROCESS_BURST 64U    /* messages per connection per loop iteration */
#define BUS_ACCEPT_BURST 16U     /* connections accepted per loop iteration */
#define BUS_ACCEPT_RETRY_SEC 1.0 /* after EMFILE and the like */
#define BUS_LOG_TAIL_LINES 10U

#define USEC_PER_SEC_F 1000000.0

struct bus_exec;

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

static uint64_t now_monotonic_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* ---- connections -------------------------------------------------------------------------------- */

/* One Exec() call: answered when the command exec'd (or failed), then ExecExited(pid, code,
 * status) to the same peer when it ends. */
struct bus_exec {
        struct bus_conn *conn;
        struct bus_exec *next;
        sd_bus_message *call; /* until answered */
        struct unit_exec *job;
        pid_t pid;
};

static void bus_exec_free(struct bus_exec *e) {
        for (struct bus_exec **p = &e->conn->execs; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        unit_exec_free(e->job);
        sd_bus_message_unref(e->call);
        free(e);
}

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
                uint64_t now = now_monotonic_usec();

                ev_timer_set(&c->timer, until > now ? (double) (until - now) / USEC_PER_SEC_F : 0., 0.);
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

/* ---- helpers for the methods ----------------------------------------------------------------------- */

/* Methods that change anything are for root only. The peer's uid comes from SO_PEERCRED at
 * accept time; sd-bus' own checks are off (sd_bus_set_trusted()), they do not apply to p2p. */
static int check_privileged(struct bus_conn *c, const char *what, sd_bus_error *ret_error) {
        if (c->uid == 0)
                return 0;
        return sd_bus_error_setf(ret_error, SUP_ERROR_ACCESS_DENIED, "Access denied: %s needs root privileges.",
                                 what);
}

static const char *unit_description(const struct unit *u) {
        return u->config ? strempty(u->config->description) : "";
}

static const char *unit_exit_code_string(const struct unit *u) {
        switch (u->exit_code) {
        case CLD_EXITED:
                return "exited";
        case CLD_KILLED:
                return "killed";
        case CLD_DUMPED:
                return "dumped";
        default:
                return "";
        }
}

static int find_unit(struct bus_conn *c, sd_bus_message *m, struct unit **ret, sd_bus_error *ret_error) {
        const char *name;
        struct unit *u;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        u = manager_find_unit(c->server->manager, name);
        if (!u)
                return sd_bus_error_setf(ret_error, SUP_ERROR_NO_SUCH_UNIT, "Unit %s not found.", name);
        *ret = u;
        return 0;
}

/* ---- org.sup.Manager1 ------------------------------------------------------------------------------ */

static int method_list_units(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_conn *c = userdata;
        struct unit **units;
        size_t n;
        int r;

        n = manager_units(c->server->manager, &units);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssssuu)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                struct unit *u = units[i];

                r = sd_bus_message_append(reply, "(sssssuu)", u->name, unit_description(u),
                                          strempty(unit_load_state_to_string(u->load_state)),
                                          strempty(unit_active_state_to_string(u->state)),
                                          strempty(unit_result_to_string(u->result)), (uint32_t) u->main_pid,
                                          (uint32_t) u->n_restarts);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;

        return sd_bus_send(NULL, reply, NULL);
}

static int append_prop(sd_bus_message *reply, const char *key, const char *type, ...) {
        va_list ap;
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'v', type);
        if (r < 0)
                return r;
        va_start(ap, type);
        r = sd_bus_message_appendv(reply, type, ap);
        va_end(ap);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int append_strv_prop(sd_bus_message *reply, const char *key, char **l) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'v', "as");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, l);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int append_log_tail(sd_bus_message *reply, struct unit *u) {
        _cleanup_strv_free_ char **lines = NULL;
        int r;

        if (u->log) {
                r = log_stream_tail(u->log, BUS_LOG_TAIL_LINES, &lines);
                if (r < 0)
                        log_debug_errno(r, "%s: Failed to read the log tail, ignoring: %m", u->name);
        }
        return append_strv_prop(reply, "LogTail", lines);
}

/* PublishedPorts: "8080:80/tcp" for each port the unit's network publishes right now. */
static int append_ports(sd_bus_message *reply, struct unit *u) {
        _cleanup_strv_free_ char **l = NULL;
        const struct port_map *p;
        size_t n;

        p = unit_ports(u, &n);
        l = calloc(n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (asprintf(&l[i], "%u:%u/%s", p[i].host_port, p[i].container_port,
                             p[i].protocol == IPPROTO_UDP ? "udp" : "tcp") < 0)
                        return -ENOMEM;
        return append_strv_prop(reply, "PublishedPorts", l);
}

static int method_get_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_conn *c = userdata;
        struct unit *u;
        int r;

        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;

        if ((r = append_prop(reply, "Name", "s", u->name)) < 0 ||
            (r = append_prop(reply, "Description", "s", unit_description(u))) < 0 ||
            (r = append_prop(reply, "FragmentPath", "s", u->config ? strempty(u->config->path) : "")) < 0 ||
            (r = append_prop(reply, "LoadState", "s", strempty(unit_load_state_to_string(u->load_state)))) < 0 ||
            (r = append_prop(reply, "LoadError", "s", u->config ? strempty(u->config->load_error) : "")) < 0 ||
            (r = append_prop(reply, "ActiveState", "s", strempty(unit_active_state_to_string(u->state)))) < 0 ||
            (r = append_prop(reply, "Result", "s", strempty(unit_result_to_string(u->result)))) < 0 ||
            (r = append_prop(reply, "MainPID", "u", (uint32_t) u->main_pid)) < 0 ||
            (r = append_prop(reply, "Restarts", "u", (uint32_t) u->n_restarts)) < 0 ||
            (r = append_prop(reply, "CGroup", "s", strempty(unit_cgroup_path(u)))) < 0 ||
            (r = append_prop(reply, "Address", "s", strempty(unit_address(u)))) < 0 ||
            (r = append_prop(reply, "ActiveEnterTimestamp", "t", u->active_enter_realtime)) < 0 ||
            (r = append_prop(reply, "StateChangeTimestamp", "t", u->state_change_realtime)) < 0 ||
            (r = append_prop(reply, "ExitCode", "s", unit_exit_code_string(u))) < 0 ||
            (r = append_prop(reply, "ExitStatus", "i", (int32_t) (u->exit_code != 0 ? u->exit_status : 0))) < 0 ||
            (r = append_prop(reply, "StatusText", "s", strempty(u->status_text))) < 0 ||
            (r = append_prop(reply, "SetupError", "s", strempty(u->setup_error))) < 0 ||
            (r = append_prop(reply, "StartQueued", "b", (int) (u->want_start || u->restart_after_stop))) < 0 ||
            (r = append_prop(reply, "StopQueued", "b", (int) u->want_stop)) < 0 ||
            (r = append_prop(reply, "Init", "b", (int) (u->config && u->config->init))) < 0 ||
            (r = append_ports(reply, u)) < 0 ||
            (r = append_log_tail(reply, u)) < 0)
                return r;

        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;

        return sd_bus_send(NULL, reply, NULL);
}

/* The error for a request the manager refused (manager.h lists what its -errno values mean): the
 * unit is gone, or it is in no state for that (BadState, also for what this supd cannot do at
 * all, like the freezer without cgroupd support), or something failed. @name may be NULL. */
static int request_error(sd_bus_error *ret_error, int r, const char *verb, const char *name,
                         const char *message) {
        const char *sep = name ? " " : "";

        switch (r) {
        case -ENOENT:
                return sd_bus_error_setf(ret_error, SUP_ERROR_NO_SUCH_UNIT, "Unit %s not found.", strempty(name));
        case -ENOEXEC:
        case -EBUSY:
        case -ESHUTDOWN:
        case -ESRCH:
        case -EOPNOTSUPP:
                return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "Cannot %s%s%s: %s", verb, sep,
                                         strempty(name), message ?: strerror(-r));
        default:
                return sd_bus_error_set_errnof(ret_error, r, "Failed to %s%s%s: %s", verb, sep, strempty(name),
                                               message ?: strerror(-r));
        }
}

typedef int (*unit_request_t)(struct manager *m, struct unit *u, const char **ret_message);

static int unit_request(sd_bus_message *m, struct bus_conn *c, const char *verb, unit_request_t request,
                        sd_bus_error *ret_error) {
        const char *message = NULL;
        struct unit *u;
        int r;

        r = check_privileged(c, verb, ret_error);
        if (r < 0)
                return r;
        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        r = request(c->server->manager, u, &message);
        if (r < 0)
                return request_error(ret_error, r, verb, u->name, message);

        /* The state right after the request; the rest comes as UnitChanged signals. */
        return sd_bus_reply_method_return(m, "s", strempty(unit_active_state_to_string(u->state)));
}

static int method_start_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return unit_request(m, userdata, "start", manager_start_unit, ret_error);
}

static int method_stop_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return unit_request(m, userdata, "stop", manager_stop_unit, ret_error);
}

static int method_restart_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return unit_request(m, userdata, "restart", manager_restart_unit, ret_error);
}

static int method_kill_unit(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        const char *message = NULL, *whom;
        struct unit *u;
        int32_t sig;
        bool all;
        int r;

        r = check_privileged(c, "kill", ret_error);
        if (r < 0)
                return r;
        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "si", &whom, &sig);
        if (r < 0)
                return r;

        if (streq(whom, "") || streq(whom, "main"))
                all = false;
        else if (streq(whom, "all"))
                all = true;
        else
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid whom \"%s\": expected \"main\" or \"all\".", whom);
        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid signal number %" PRIi32 ".", sig);

        r = manager_kill_unit(c->server->manager, u, sig, all, &message);
        if (r < 0)
                return request_error(ret_error, r, "kill", u->name, message);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_reset_failed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        const char *message = NULL;
        struct unit *u;
        int r;

        r = check_privileged(c, "reset-failed", ret_error);
        if (r < 0)
                return r;
        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        r = manager_reset_failed(c->server->manager, u, &message);
        if (r < 0)
                return request_error(ret_error, r, "reset", u->name, message);
        return sd_bus_reply_method_return(m, NULL);
}

static int freeze_or_thaw(sd_bus_message *m, struct bus_conn *c, bool freeze, sd_bus_error *ret_error) {
        const char *verb = freeze ? "freeze" : "thaw", *message = NULL;
        struct unit *u;
        int r;

        r = check_privileged(c, verb, ret_error);
        if (r < 0)
                return r;
        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        r = manager_freeze_unit(c->server->manager, u, freeze, &message);
        if (r < 0)
                return request_error(ret_error, r, verb, u->name, message);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_freeze(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return freeze_or_thaw(m, userdata, true, ret_error);
}

static int method_thaw(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return freeze_or_thaw(m, userdata, false, ret_error);
}

/* A counter the host does not provide (UINT64_MAX) is left out of the reply. */
static int append_stat(sd_bus_message *reply, const char *key, uint64_t v) {
        if (v == UINT64_MAX)
                return 0;
        return append_prop(reply, key, "t", v);
}

static int method_get_stats(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_conn *c = userdata;
        const char *message = NULL;
        struct cg_stats st = {};
        struct unit *u;
        int r;

        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        r = manager_unit_stats(c->server->manager, u, &st, &message);
        if (r < 0)
                return request_error(ret_error, r, "get the statistics of", u->name, message);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        if ((r = append_stat(reply, "CPUUsageNSec", st.cpu_usage_nsec)) < 0 ||
            (r = append_stat(reply, "MemoryCurrent", st.memory_current)) < 0 ||
            (r = append_stat(reply, "MemoryPeak", st.memory_peak)) < 0 ||
            (r = append_stat(reply, "Tasks", st.tasks)) < 0 ||
            (r = append_stat(reply, "OOMKills", st.oom_kills)) < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Reload() → (u n_errors, as errors): the number of units whose new files have errors (they are
 * not started; a running one keeps its old instance), and the errors as supctl verify prints them
 * ("web.unit:12: MemoryMax: invalid size \"12Q\""). */
static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_strv_free_ char **errors = NULL;
        struct bus_conn *c = userdata;
        int r, n;

        r = check_privileged(c, "reload", ret_error);
        if (r < 0)
                return r;

        n = manager_reload(c->server->manager, &errors);
        if (n == -ESHUTDOWN)
                return request_error(ret_error, n, "reload", NULL, "supd is shutting down");
        if (n < 0)
                return request_error(ret_error, n, "reload", NULL, NULL);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "u", (uint32_t) n);
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(reply, errors);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int shutdown_request(sd_bus_message *m, struct bus_conn *c, enum manager_shutdown how,
                            sd_bus_error *ret_error) {
        const char *verb = how == MANAGER_REBOOT ? "reboot" : "power off", *message = NULL;
        int r;

        r = check_privileged(c, verb, ret_error);
        if (r < 0)
                return r;

        r = manager_request_shutdown(c->server->manager, how, &message);
        if (r < 0)
                return request_error(ret_error, r, verb, NULL, message);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_power_off(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return shutdown_request(m, userdata, MANAGER_POWEROFF, ret_error);
}

static int method_reboot(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return shutdown_request(m, userdata, MANAGER_REBOOT, ret_error);
}

static int method_get_log_path(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        const char *path;
        struct unit *u;
        int r;

        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;

        path = unit_log_path(u);
        if (!path)
                return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "Unit %s has no log file.", u->name);
        return sd_bus_reply_method_return(m, "s", path);
}

/* ---- Exec ---------------------------------------------------------------------------------------- */

static void bus_exec_started(struct unit_exec *x, int master, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_close_ int fd = master;
        struct bus_exec *e = userdata;
        struct bus_conn *c = e->conn;
        int r;

        r = sd_bus_message_new_method_return(e->call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "u", (uint32_t) e->pid);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "h");
        if (r >= 0 && fd >= 0)
                r = sd_bus_message_append(reply, "h", fd);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(c->bus, reply, NULL);
        e->call = sd_bus_message_unref(e->call);
        if (r < 0 || conn_rearm(c) < 0)
                conn_kill_later(c);
}

static void bus_exec_failed(struct unit_exec *x, bool command, int error, const char *message, void *userdata) {
        struct bus_exec *e = userdata;
        struct bus_conn *c = e->conn;
        const char *name = !command           ? SUP_ERROR_SETUP_FAILED
                           : error == ENOENT ? SUP_ERROR_EXEC_NOT_FOUND
                                             : SUP_ERROR_EXEC_FAILED;
        int r;

        r = sd_bus_reply_method_errorf(e->call, name, "%s", message);
        bus_exec_free(e);
        if (r < 0 || conn_rearm(c) < 0)
                conn_kill_later(c);
}

static void bus_exec_exited(struct unit_exec *x, int code, int status, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *signal = NULL;
        struct bus_exec *e = userdata;
        struct bus_conn *c = e->conn;
        pid_t pid = e->pid;
        int r;

        bus_exec_free(e);
        r = sd_bus_message_new_signal(c->bus, &signal, SUP_BUS_PATH, SUP_BUS_INTERFACE, "ExecExited");
        if (r >= 0)
                r = sd_bus_message_append(signal, "uii", (uint32_t) pid, (int32_t) code, (int32_t) status);
        if (r >= 0)
                r = sd_bus_send(c->bus, signal, NULL);
        if (r < 0 || conn_rearm(c) < 0)
                conn_kill_later(c);
}

static const struct unit_exec_ops bus_exec_ops = {
        .started = bus_exec_started,
        .failed = bus_exec_failed,
        .exited = bus_exec_exited,
};

/* Exec(name, argv, env, tty, stdin, stdout, stderr) -> (pid, [pty master]), answered once the
 * command exec'd; ExecExited(pid, code, status) follows to this peer only. */
static int method_exec(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        _cleanup_strv_free_ char **argv = NULL, **env = NULL;
        _cleanup_free_ char *message = NULL;
        struct bus_exec *e;
        int stdio[3], tty, r;
        struct unit *u;

        r = check_privileged(c, "exec", ret_error);
        if (r < 0)
                return r;
        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &argv);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(m, &env);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "bhhh", &tty, &stdio[0], &stdio[1], &stdio[2]);
        if (r < 0)
                return r;
        if (!argv || !argv[0] || !*argv[0])
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS, "No command given.");
        STRV_FOREACH(v, env)
                if (!strchr(*v, '=') || **v == '=')
                        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid environment entry \"%s\": expected VAR=value.", *v);

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->conn = c;
        r = unit_exec_new(u, argv, env, tty, stdio, &bus_exec_ops, e, &e->job, &message);
        if (r < 0) {
                free(e);
                if (r == -ESRCH)
                        return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "%s is not running", u->name);
                if (r == -EBUSY)
                        return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE,
                                                 "%s is frozen: thaw it first", u->name);
                return sd_bus_error_setf(ret_error, SUP_ERROR_SETUP_FAILED, "%s: exec: %s", u->name,
                                         message ? message : strerror(-r));
        }
        e->pid = unit_exec_pid(e->job);
        e->call = sd_bus_message_ref(m);
        e->next = c->execs;
        c->execs = e;
        return 1; /* answered from bus_exec_started() or bus_exec_failed() */
}

/* KillExec(pid, signal): to a command this peer exec'd and that still runs. */
static int method_kill_exec(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        uint32_t pid;
        int32_t sig;
        int r;

        r = sd_bus_message_read(m, "ui", &pid, &sig);
        if (r < 0)
                return r;
        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid signal number %" PRIi32 ".", sig);
        for (struct bus_exec *e = c->execs; e; e = e->next)
                if ((uint32_t) e->pid == pid) {
                        r = unit_exec_kill(e->job, sig);
                        if (r < 0 && r != -ESRCH)
                                return r;
                        return sd_bus_reply_method_return(m, NULL);
                }
        return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "No command %" PRIu32 " of yours is running.", pid);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        return sd_bus_message_append(reply, "s", SUP_VERSION);
}

/* SD_BUS_VTABLE_UNPRIVILEGED marks what anyone who can connect may call. The connections are
 * trusted (sd-bus checks nothing), so the others check the peer themselves (check_privileged()). */
static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_NAMES("ListUnits", "", , "a(sssssuu)", SD_BUS_PARAM(units), method_list_units,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetUnit", "s", SD_BUS_PARAM(name), "a{sv}", SD_BUS_PARAM(properties),
                                 method_get_unit, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("StartUnit", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(active_state),
                                 method_start_unit, 0),
        SD_BUS_METHOD_WITH_NAMES("StopUnit", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(active_state),
                                 method_stop_unit, 0),
        SD_BUS_METHOD_WITH_NAMES("RestartUnit", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(active_state),
                                 method_restart_unit, 0),
        SD_BUS_METHOD_WITH_NAMES("KillUnit", "ssi", SD_BUS_PARAM(name) SD_BUS_PARAM(whom) SD_BUS_PARAM(signal),
                                 "", , method_kill_unit, 0),
        SD_BUS_METHOD_WITH_NAMES("ResetFailed", "s", SD_BUS_PARAM(name), "", , method_reset_failed, 0),
        SD_BUS_METHOD_WITH_NAMES("Reload", "", , "uas", SD_BUS_PARAM(n_errors) SD_BUS_PARAM(errors), method_reload,
                                 0),
        SD_BUS_METHOD_WITH_NAMES("GetStats", "s", SD_BUS_PARAM(name), "a{sv}", SD_BUS_PARAM(stats),
                                 method_get_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Freeze", "s", SD_BUS_PARAM(name), "", , method_freeze, 0),
        SD_BUS_METHOD_WITH_NAMES("Thaw", "s", SD_BUS_PARAM(name), "", , method_thaw, 0),
        SD_BUS_METHOD("PowerOff", "", "", method_power_off, 0),
        SD_BUS_METHOD("Reboot", "", "", method_reboot, 0),
        SD_BUS_METHOD_WITH_NAMES("GetLogPath", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(path),
                                 method_get_log_path, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Exec", "sasasbhhh",
                                 SD_BUS_PARAM(name) SD_BUS_PARAM(argv) SD_BUS_PARAM(environment) SD_BUS_PARAM(tty)
                                         SD_BUS_PARAM(stdin) SD_BUS_PARAM(stdout) SD_BUS_PARAM(stderr),
                                 "uah", SD_BUS_PARAM(pid) SD_BUS_PARAM(pty), method_exec, 0),
        SD_BUS_METHOD_WITH_NAMES("KillExec", "ui", SD_BUS_PARAM(pid) SD_BUS_PARAM(signal), "", , method_kill_exec,
                                 0),
        SD_BUS_SIGNAL_WITH_NAMES("UnitChanged", "sss",
                                 SD_BUS_PARAM(name) SD_BUS_PARAM(active_state) SD_BUS_PARAM(result), 0),
        SD_BUS_SIGNAL_WITH_NAMES("ExecExited", "uii", SD_BUS_PARAM(pid) SD_BUS_PARAM(code) SD_BUS_PARAM(status), 0),
        SD_BUS_VTABLE_END,
};

/* ---- org.freedesktop.DBus, emulated ---------------------------------------------------------------- */

/* There is no bus daemon: supd is the only other peer. Hello() hands out a unique name, matches
 * are accepted and ignored (every peer gets every UnitChanged), and the name queries know the two
 * names there are: org.sup.Manager1 (owned by SUP_BUS_UNIQUE_NAME) and the caller's own. */

static bool name_is_peer(struct bus_conn *c, const char *name) {
        unsigned n;
        int k = 0;

        return c->said_hello && sscanf(name, ":1.%u%n", &n, &k) == 1 && name[k] == '\0' && n == c->id;
}

static const char *name_owner(struct bus_conn *c, const char *name) {
        if (streq(name, "org.freedesktop.DBus"))
                return "org.freedesktop.DBus";
        if (streq(name, SUP_BUS_NAME) || streq(name, SUP_BUS_UNIQUE_NAME))
                return SUP_BUS_UNIQUE_NAME;
        if (name_is_peer(c, name))
                return name;
        return NULL;
}

static int method_hello(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        struct bus_conn *c = userdata;
        char name[32];
        int r;

        if (c->said_hello)
                return sd_bus_error_set(ret_error, SD_BUS_ERROR_FAILED, "Already handled an Hello message.");

        (void) snprintf(name, sizeof(name), ":1.%u", c->id);
        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_set_sender(reply, "org.freedesktop.DBus");
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                return r;

        /* From now on, stamp what we send with our unique name, as a bus daemon would: bus clients
         * (gdbus) match signals and track owners by sender. Peers that never say Hello get no
         * sender, as is usual peer to peer. */
        r = sd_bus_set_sender(c->bus, SUP_BUS_UNIQUE_NAME);
        if (r < 0)
                return r;
        c->said_hello = true;
        return 1;
}

static int method_match(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *rule;
        int r;

        r = sd_bus_message_read(m, "s", &rule);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, NULL);
}

static int method_get_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *owner;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        owner = name_owner(userdata, name);
        if (!owner)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_NAME_HAS_NO_OWNER, "Name %s has no owner.", name);
        return sd_bus_reply_method_return(m, "s", owner);
}

static int method_name_has_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(m, "b", (int) !!name_owner(userdata, name));
}

static int method_list_names(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        char name[32];

        (void) snprintf(name, sizeof(name), ":1.%u", c->id);
        if (c->said_hello)
                return sd_bus_reply_method_return(m, "as", 4, "org.freedesktop.DBus", SUP_BUS_NAME,
                                                  SUP_BUS_UNIQUE_NAME, name);
        return sd_bus_reply_method_return(m, "as", 3, "org.freedesktop.DBus", SUP_BUS_NAME, SUP_BUS_UNIQUE_NAME);
}

static int method_get_connection_credential(sd_bus_message *m, struct bus_conn *c, bool want_pid,
                                            sd_bus_error *ret_error) {
        const char *name;
        uint32_t v;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;
        if (streq(name, SUP_BUS_NAME) || streq(name, SUP_BUS_UNIQUE_NAME) || streq(name, "org.freedesktop.DBus"))
                v = want_pid ? (uint32_t) getpid() : (uint32_t) geteuid();
        else if (name_is_peer(c, name))
                v = want_pid ? (uint32_t) c->pid : (uint32_t) c->uid;
        else
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_NAME_HAS_NO_OWNER, "Name %s has no owner.", name);
        return sd_bus_reply_method_return(m, "u", v);
}

static int method_get_connection_unix_user(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return method_get_connection_credential(m, userdata, false, ret_error);
}

static int method_get_connection_unix_process_id(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return method_get_connection_credential(m, userdata, true, ret_error);
}

static int method_get_id(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        char id[SD_ID128_STRING_MAX];

        return sd_bus_reply_method_return(m, "s", sd_id128_to_string(c->server->id, id));
}

static const sd_bus_vtable dbus_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("Hello", "", , "s", SD_BUS_PARAM(unique_name), method_hello,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("AddMatch", "s", SD_BUS_PARAM(rule), "", , method_match,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("RemoveMatch", "s", SD_BUS_PARAM(rule), "", , method_match,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetNameOwner", "s", SD_BUS_PARAM(name), "s", SD_BUS_PARAM(owner),
                                 method_get_name_owner, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("NameHasOwner", "s", SD_BUS_PARAM(name), "b", SD_BUS_PARAM(has_owner),
                                 method_name_has_owner, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListNames", "", , "as", SD_BUS_PARAM(names), method_list_names,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetConnectionUnixUser", "s", SD_BUS_PARAM(name), "u", SD_BUS_PARAM(uid),
                                 method_get_connection_unix_user, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetConnectionUnixProcessID", "s", SD_BUS_PARAM(name), "u",
                                 SD_BUS_PARAM(pid), method_get_connection_unix_process_id,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetId", "", , "s", SD_BUS_PARAM(id), method_get_id, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

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
        r = sd_bus_add_object_vtable(c->bus, NULL, SUP_BUS_PATH, SUP_BUS_INTERFACE, manager_vtable, c);
        if (r < 0)
                goto fail;
        r = sd_bus_add_object_vtable(c->bus, NULL, "/org/freedesktop/DBus", "org.freedesktop.DBus", dbus_vtable, c);
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

        state = strempty(unit_active_state_to_string(u->state));
        result = strempty(unit_result_to_string(u->result));

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

                r = sd_bus_emit_signal(c->bus, SUP_BUS_PATH, SUP_BUS_INTERFACE, "UnitChanged", "sss", u->name, state,
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
