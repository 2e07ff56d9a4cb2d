/* SPDX-License-Identifier: MIT */

/* org.sup.Manager1 at /org/sup/Manager1: the methods supctl calls (units, stats, reload, power,
 * Exec into a unit) and the vtable that serves them on every connection (bus.c). Each method
 * answers at once from the loop, except Exec, which answers once the command exec'd. */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/param.h>
#include <systemd/sd-bus.h>

#include "bus-internal.h"
#include "config.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager.h"
#include "unit-exec.h"
#include "units.h"

#define BUS_LOG_TAIL_LINES 10U

/* ---- helpers for the methods ----------------------------------------------------------------------- */

static const char *exit_code_string(int code) {
        switch (code) {
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

/* The unit a call names, as NAME or NAME.unit (SPEC §5). The argument is checked before anything
 * else is done with it, and an error quotes at most BUS_QUOTE_SIZE bytes of it. */
static int find_unit(struct bus_conn *c, sd_bus_message *m, struct unit **ret, sd_bus_error *ret_error) {
        char base[UNIT_NAME_MAX + 1], q[BUS_QUOTE_SIZE];
        const char *name, *valid = NULL;
        struct unit *u = NULL;
        size_t n;
        int r;

        r = sd_bus_message_read(m, "s", &name);
        if (r < 0)
                return r;

        n = strnlen(name, UNIT_NAME_MAX + STRLEN(".unit") + 1);
        if (n <= UNIT_NAME_MAX && unit_name_is_valid(name)) {
                valid = name;
                u = manager_find_unit(c->server->manager, name);
        }
        if (!u && n > STRLEN(".unit") && n - STRLEN(".unit") <= UNIT_NAME_MAX && endswith(name, ".unit")) {
                memcpy(base, name, n - STRLEN(".unit"));
                base[n - STRLEN(".unit")] = '\0';
                if (unit_name_is_valid(base)) {
                        valid = name;
                        u = manager_find_unit(c->server->manager, base);
                }
        }
        if (u) {
                *ret = u;
                return 0;
        }
        if (valid)
                return sd_bus_error_setf(ret_error, SUP_ERROR_NO_SUCH_UNIT, "Unit %s not found.", valid);
        return sd_bus_error_setf(ret_error, SUP_ERROR_NO_SUCH_UNIT,
                                 "Invalid unit name \"%s\" (%zu bytes): a name is 1-%u characters of A-Z a-z 0-9 _ . -, "
                                 "not starting with . or -, with or without .unit.",
                                 bus_quote(name, q), strlen(name), UNIT_NAME_MAX);
}

/* For the methods that change anything: root only, then the unit the call names. */
static int find_unit_privileged(struct bus_conn *c, sd_bus_message *m, const char *verb, struct unit **ret,
                                sd_bus_error *ret_error) {
        int r;

        r = bus_check_privileged(c, verb, ret_error);
        if (r < 0)
                return r;
        return find_unit(c, m, ret, ret_error);
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
                struct unit_status st;

                unit_get_status(units[i], &st);
                r = sd_bus_message_append(reply, "(sssssuu)", st.name, st.description,
                                          strempty(unit_load_state_to_string(st.load_state)),
                                          strempty(unit_active_state_to_string(st.state)),
                                          strempty(unit_result_to_string(st.result)), (uint32_t) st.main_pid,
                                          (uint32_t) st.n_restarts);
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

        r = unit_log_tail(u, BUS_LOG_TAIL_LINES, &lines);
        if (r < 0)
                log_debug_errno(r, "%s: Failed to read the log tail, ignoring: %m", unit_name(u));
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
        struct unit_status st;
        struct unit *u;
        int r;

        r = find_unit(c, m, &u, ret_error);
        if (r < 0)
                return r;
        unit_get_status(u, &st);

        r = sd_bus_message_new_method_return(m, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;

        if ((r = append_prop(reply, "Name", "s", st.name)) < 0 ||
            (r = append_prop(reply, "Description", "s", st.description)) < 0 ||
            (r = append_prop(reply, "FragmentPath", "s", st.fragment_path)) < 0 ||
            (r = append_prop(reply, "LoadState", "s", strempty(unit_load_state_to_string(st.load_state)))) < 0 ||
            (r = append_prop(reply, "LoadError", "s", st.load_error)) < 0 ||
            (r = append_prop(reply, "ActiveState", "s", strempty(unit_active_state_to_string(st.state)))) < 0 ||
            (r = append_prop(reply, "Result", "s", strempty(unit_result_to_string(st.result)))) < 0 ||
            (r = append_prop(reply, "MainPID", "u", (uint32_t) st.main_pid)) < 0 ||
            (r = append_prop(reply, "Restarts", "u", (uint32_t) st.n_restarts)) < 0 ||
            (r = append_prop(reply, "CGroup", "s", strempty(unit_cgroup_path(u)))) < 0 ||
            (r = append_prop(reply, "Address", "s", strempty(unit_address(u)))) < 0 ||
            (r = append_prop(reply, "ActiveEnterTimestamp", "t", st.active_enter_realtime)) < 0 ||
            (r = append_prop(reply, "StateChangeTimestamp", "t", st.state_change_realtime)) < 0 ||
            (r = append_prop(reply, "ExitCode", "s", exit_code_string(st.exit_code))) < 0 ||
            (r = append_prop(reply, "ExitStatus", "i", (int32_t) (st.exit_code != 0 ? st.exit_status : 0))) < 0 ||
            (r = append_prop(reply, "StatusText", "s", st.status_text)) < 0 ||
            (r = append_prop(reply, "SetupError", "s", st.setup_error)) < 0 ||
            (r = append_prop(reply, "StartQueued", "b", (int) st.start_queued)) < 0 ||
            (r = append_prop(reply, "StopQueued", "b", (int) st.stop_queued)) < 0 ||
            (r = append_prop(reply, "Init", "b", (int) st.init)) < 0 ||
            (r = append_prop(reply, "LogBytesDropped", "t", st.log_bytes_dropped)) < 0 ||
            (r = append_prop(reply, "Adopted", "s",
                             !st.adopted ? "" : st.adopted_reexec ? "daemon-reexec" : "supd-restart")) < 0 ||
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

        r = find_unit_privileged(c, m, verb, &u, ret_error);
        if (r < 0)
                return r;

        r = request(c->server->manager, u, &message);
        if (r < 0)
                return request_error(ret_error, r, verb, unit_name(u), message);

        /* The state right after the request; the rest comes as UnitChanged signals. */
        return sd_bus_reply_method_return(m, "s", strempty(unit_active_state_to_string(unit_state(u))));
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

        r = find_unit_privileged(c, m, "kill", &u, ret_error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "si", &whom, &sig);
        if (r < 0)
                return r;

        if (streq(whom, "") || streq(whom, "main"))
                all = false;
        else if (streq(whom, "all"))
                all = true;
        else {
                char q[BUS_QUOTE_SIZE];

                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid whom \"%s\": expected \"main\" or \"all\".", bus_quote(whom, q));
        }
        if (sig <= 0 || sig >= _NSIG)
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Invalid signal number %" PRIi32 ".", sig);

        r = manager_kill_unit(c->server->manager, u, sig, all, &message);
        if (r < 0)
                return request_error(ret_error, r, "kill", unit_name(u), message);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_reset_failed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        const char *message = NULL;
        struct unit *u;
        int r;

        r = find_unit_privileged(c, m, "reset-failed", &u, ret_error);
        if (r < 0)
                return r;

        r = manager_reset_failed(c->server->manager, u, &message);
        if (r < 0)
                return request_error(ret_error, r, "reset", unit_name(u), message);
        return sd_bus_reply_method_return(m, NULL);
}

static int freeze_or_thaw(sd_bus_message *m, struct bus_conn *c, bool freeze, sd_bus_error *ret_error) {
        const char *verb = freeze ? "freeze" : "thaw", *message = NULL;
        struct unit *u;
        int r;

        r = find_unit_privileged(c, m, verb, &u, ret_error);
        if (r < 0)
                return r;

        r = manager_freeze_unit(c->server->manager, u, freeze, &message);
        if (r < 0)
                return request_error(ret_error, r, verb, unit_name(u), message);
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
                return request_error(ret_error, r, "get the statistics of", unit_name(u), message);

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

        r = bus_check_privileged(c, "reload", ret_error);
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
        const char *verb = how == MANAGER_REBOOT   ? "reboot"
                           : how == MANAGER_REEXEC ? "re-execute supd"
                                                   : "power off",
                   *message = NULL;
        int r;

        r = bus_check_privileged(c, verb, ret_error);
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

/* daemon-reexec: the reply goes out first; supd re-executes once this loop iteration is over. */
static int method_reexecute(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        return shutdown_request(m, userdata, MANAGER_REEXEC, ret_error);
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
                return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "Unit %s has no log file.", unit_name(u));
        return sd_bus_reply_method_return(m, "s", path);
}

/* ---- Exec ---------------------------------------------------------------------------------------- */

void bus_exec_free(struct bus_exec *e) {
        for (struct bus_exec **p = &e->conn->execs; *p; p = &(*p)->next)
                if (*p == e) {
                        *p = e->next;
                        break;
                }
        unit_exec_free(e->job);
        sd_bus_message_unref(e->call);
        free(e);
}

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
        bus_conn_queued(c, r);
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
        bus_conn_queued(c, r);
}

static void bus_exec_exited(struct unit_exec *x, int code, int status, void *userdata) {
        struct bus_exec *e = userdata;
        struct bus_conn *c = e->conn;
        pid_t pid = e->pid;

        bus_exec_free(e);
        bus_emit_exec_exited(c, pid, code, status);
}

static const struct unit_exec_ops bus_exec_ops = {
        .started = bus_exec_started,
        .failed = bus_exec_failed,
        .exited = bus_exec_exited,
};

/* An "as" argument of Exec(): at most BUS_EXEC_ARGS_MAX strings of less than BUS_EXEC_ARG_SIZE_MAX
 * bytes each, counted before anything is copied. The vector points into @m (the strings are not
 * copied at all): it lives as long as @m. */
static int read_exec_strv(sd_bus_message *m, const char *what, char ***ret, sd_bus_error *ret_error) {
        _cleanup_free_ char **l = NULL;
        size_t n = 0, allocated = 0;
        const char *s;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read_basic(m, 's', &s)) > 0) {
                if (n >= BUS_EXEC_ARGS_MAX)
                        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Too many strings in %s: at most %u.", what, BUS_EXEC_ARGS_MAX);
                if (strnlen(s, BUS_EXEC_ARG_SIZE_MAX) >= BUS_EXEC_ARG_SIZE_MAX)
                        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "A string in %s is too long: at most %u bytes.", what,
                                                 BUS_EXEC_ARG_SIZE_MAX - 1);
                if (n + 2 > allocated) {
                        size_t k = MAX(allocated * 2, (size_t) 8);
                        char **a = reallocarray(l, k, sizeof(char *));

                        if (!a)
                                return -ENOMEM;
                        l = a;
                        allocated = k;
                }
                l[n++] = (char *) s;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        l[n] = NULL;
        *ret = TAKE_PTR(l);
        return 0;
}

/* Exec(name, argv, env, tty, stdin, stdout, stderr) -> (pid, [pty master]), answered once the
 * command exec'd; ExecExited(pid, code, status) follows to this peer only. */
static int method_exec(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct bus_conn *c = userdata;
        _cleanup_free_ char **argv = NULL, **env = NULL; /* the strings are @m's */
        _cleanup_free_ char *message = NULL;
        struct bus_exec *e;
        int stdio[3], tty, r;
        struct unit *u;

        r = find_unit_privileged(c, m, "exec", &u, ret_error);
        if (r < 0)
                return r;
        r = read_exec_strv(m, "argv", &argv, ret_error);
        if (r < 0)
                return r;
        r = read_exec_strv(m, "the environment", &env, ret_error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(m, "bhhh", &tty, &stdio[0], &stdio[1], &stdio[2]);
        if (r < 0)
                return r;
        if (!argv[0] || !*argv[0])
                return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS, "No command given.");
        STRV_FOREACH(v, env)
                if (!strchr(*v, '=') || **v == '=') {
                        char q[BUS_QUOTE_SIZE];

                        return sd_bus_error_setf(ret_error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid environment entry \"%s\": expected VAR=value.",
                                                 bus_quote(*v, q));
                }

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->conn = c;
        r = unit_exec_new(u, argv, env, tty, stdio, &bus_exec_ops, e, &e->job, &message);
        if (r < 0) {
                free(e);
                if (r == -ESRCH)
                        return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE, "%s is not running", unit_name(u));
                if (r == -EBUSY)
                        return sd_bus_error_setf(ret_error, SUP_ERROR_BAD_STATE,
                                                 "%s is frozen: thaw it first", unit_name(u));
                return sd_bus_error_setf(ret_error, SUP_ERROR_SETUP_FAILED, "%s: exec: %s", unit_name(u),
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
 * trusted (sd-bus checks nothing), so the others check the peer themselves (bus_check_privileged()). */
const sd_bus_vtable bus_manager_vtable[] = {
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
        SD_BUS_METHOD("Reexecute", "", "", method_reexecute, 0),
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
