/* SPDX-License-Identifier: MIT */

/* supd: the options of SPEC §1, PID 1 duties or a child subreaper, signals through a signalfd,
 * one libev loop, the manager and the bus. */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus.h"
#include <json-c/json.h>
#include <limits.h>
#include <sys/mman.h>
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "launch.h"
#include "pid1.h"

static const char *arg_units_dir = SUP_DEFAULT_UNITS_DIR;
static const char *arg_runtime_dir = "/run/sup";
static const char *arg_state_dir = "/var/lib/sup";
static const char *arg_cgroup_root = NULL;
static int arg_deserialize = -1; /* daemon-reexec: the memfd with the state of the previous image */

static bool is_pid1;

/* ---- logging -------------------------------------------------------------------------------------- */

int log_max_level = LOG_LEVEL_INFO;

_printf_(3, 0) static void supd_log(int level, int error, const char *fmt, va_list ap) {
        char buf[2048];
        int saved = errno;

        errno = error < 0 ? -error : error;
        vsnprintf(buf, sizeof(buf), fmt, ap);
        errno = saved;
        if (is_pid1)
                pid1_log_kmsg(level, buf); /* the kernel echoes it to the console */
        else
                fprintf(stderr, "supd: %s\n", buf);
}

log_sink_t log_sink = supd_log;

static int parse_log_level(const char *s) {
        if (streq(s, "error"))
                return LOG_LEVEL_ERROR;
        if (streq(s, "warn") || streq(s, "warning"))
                return LOG_LEVEL_WARN;
        if (streq(s, "info"))
                return LOG_LEVEL_INFO;
        if (streq(s, "debug"))
                return LOG_LEVEL_DEBUG;
        return -EINVAL;
}

static void pid1_step_failed(const char *step, int error, void *userdata) {
        log_error_errno(error, "Failed to %s, continuing: %m", step);
}

/* ---- options ----------------------------------------------------------------------------------------- */

static void help(void) {
        printf("Usage: supd [OPTIONS]\n\n"
               "The sup container supervisor.\n\n"
               "  --units DIR          unit and bridge files (default: %s)\n"
               "  --runtime-dir DIR    control socket and volatile state (default: /run/sup)\n"
               "  --state-dir DIR      logs, overlay uppers, leases (default: /var/lib/sup)\n"
               "  --cgroup-root PATH   where unit cgroups are made (default: sup under supd's own\n"
               "                       cgroup; /sup as PID 1)\n"
               "  --log-level LEVEL    error, warn, info or debug (default: info)\n"
               "  -h, --help           show this help\n"
               "      --version        show the version\n",
               SUP_DEFAULT_UNITS_DIR);
}

static int parse_argv(int argc, char **argv) {
        enum { OPT_UNITS = 0x100, OPT_RUNTIME, OPT_STATE, OPT_CGROUP, OPT_LOGLEVEL, OPT_VERSION, OPT_DESERIALIZE };
        static const struct option options[] = {
                { "units", required_argument, NULL, OPT_UNITS },
                { "runtime-dir", required_argument, NULL, OPT_RUNTIME },
                { "state-dir", required_argument, NULL, OPT_STATE },
                { "cgroup-root", required_argument, NULL, OPT_CGROUP },
                { "log-level", required_argument, NULL, OPT_LOGLEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { "deserialize", required_argument, NULL, OPT_DESERIALIZE }, /* daemon-reexec only */
                {},
        };
        int c, l;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case OPT_UNITS:
                        arg_units_dir = optarg;
                        break;
                case OPT_RUNTIME:
                        arg_runtime_dir = optarg;
                        break;
                case OPT_STATE:
                        arg_state_dir = optarg;
                        break;
                case OPT_CGROUP:
                        arg_cgroup_root = optarg;
                        break;
                case OPT_LOGLEVEL:
                        l = parse_log_level(optarg);
                        if (l < 0) {
                                fprintf(stderr, "supd: --log-level: invalid level \"%s\" (error, warn, info, debug)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        log_max_level = l;
                        break;
                case 'h':
                        help();
                        return 0;
                case OPT_VERSION:
                        printf("supd %s\n", SUP_VERSION);
                        return 0;
                case OPT_DESERIALIZE: {
                        char *end;
                        long fd = strtol(optarg, &end, 10);
                        if (*end || fd < 3 || fd > INT_MAX) {
                                fprintf(stderr, "supd: --deserialize: invalid fd \"%s\"\n", optarg);
                                return -EINVAL;
                        }
                        arg_deserialize = (int) fd;
                        break;
                }
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }
        if (optind < argc && !is_pid1) {
                fprintf(stderr, "supd: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* ---- signals and the loop ------------------------------------------------------------------------- */

struct supd {
        struct ev_loop *loop;
        struct manager *manager;
        struct bus_server *bus;
        int signal_fd;
        ev_io signal_watch;
        enum manager_shutdown exit_how;
        bool reexec;   /* daemon-reexec asked: leave the loop and execve */
        ev_idle reexec_idle;
};

static void shutdown_done(void *userdata) {
        struct supd *s = userdata;

        log_info("Every unit is stopped.");
        ev_break(s->loop, EVBREAK_ALL);
}

static void begin_shutdown(struct supd *s, enum manager_shutdown how) {
        s->exit_how = how;
        if (!s->manager) {
                ev_break(s->loop, EVBREAK_ALL);
                return;
        }
        manager_shutdown(s->manager, how, shutdown_done, s);
}

static void signal_cb(struct ev_loop *loop, ev_io *w, int revents) {
        struct supd *s = w->data;
        struct signalfd_siginfo si;

        while (read(s->signal_fd, &si, sizeof(si)) == sizeof(si))
                switch (si.ssi_signo) {
                case SIGCHLD:
                        if (s->manager)
                                manager_reap(s->manager);
                        else
                                while (waitpid(-1, NULL, WNOHANG) > 0)
                                        ;
                        break;
                case SIGTERM:
                case SIGPWR:
                        log_info("Received %s, shutting down.", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGPWR");
                        begin_shutdown(s, is_pid1 ? MANAGER_POWEROFF : MANAGER_EXIT);
                        break;
                case SIGINT:
                        log_info("Received SIGINT, %s.", is_pid1 ? "rebooting" : "shutting down");
                        begin_shutdown(s, is_pid1 ? MANAGER_REBOOT : MANAGER_EXIT);
                        break;
                case SIGHUP:
                        log_info("Received SIGHUP, reloading units.");
                        if (s->manager) {
                                int r = manager_reload(s->manager, NULL);
                                if (r < 0)
                                        log_error_errno(r, "Failed to reload units: %m");
                        }
                        break;
                default:
                        break;
                }
}

/* PowerOff and Reboot from the bus. Only PID 1 powers the machine off; a daemon refuses, so that a
 * stray "supctl poweroff" on a workstation does not stop every container. */
static void reexec_idle_cb(struct ev_loop *loop, ev_idle *w, int revents) {
        ev_idle_stop(loop, w);
        ev_break(loop, EVBREAK_ALL);
}

static int shutdown_request(void *userdata, enum manager_shutdown how) {
        struct supd *s = userdata;

        if (how == MANAGER_REEXEC) {
                if (manager_shutting_down(s->manager) != MANAGER_RUNNING)
                        return -ESHUTDOWN;
                log_info("Re-executing supd, asked over the bus.");
                s->reexec = true;
                /* After this iteration: the reply is sent first. */
                ev_idle_start(s->loop, &s->reexec_idle);
                return 0;
        }
        if (!is_pid1)
                return -EOPNOTSUPP;
        log_info("%s requested over the bus.", how == MANAGER_REBOOT ? "Reboot" : "Power-off");
        begin_shutdown(s, how);
        return 0;
}

static int setup_signals(struct supd *s) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGPWR);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        s->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (s->signal_fd < 0)
                return -errno;
        ev_io_init(&s->signal_watch, signal_cb, s->signal_fd, EV_READ);
        s->signal_watch.data = s;
        ev_io_start(s->loop, &s->signal_watch);
        (void) signal(SIGPIPE, SIG_IGN);
        return 0;
}

/* One instance per runtime directory: a second supd on the same directories would fight over
 * the socket and the cgroups. The lock file holds the owner's pid, for the second one's message;
 * the rest of what an instance owns is claimed by the manager (records.h). */
static int take_lock(pid_t *ret_owner) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        char buf[32];
        int r;

        if (asprintf(&path, "%s/supd.lock", arg_runtime_dir) < 0)
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                ssize_t n;

                if (errno != EWOULDBLOCK)
                        return -errno;
                n = pread(fd, buf, sizeof(buf) - 1, 0);
                buf[n > 0 ? n : 0] = '\0';
                *ret_owner = (pid_t) strtol(buf, NULL, 10);
                return -EBUSY;
        }
        snprintf(buf, sizeof(buf), PID_FMT "\n", getpid());
        if (ftruncate(fd, 0) < 0)
                return -errno;
        r = loop_write(fd, buf, strlen(buf));
        if (r < 0)
                return r;
        return TAKE_FD(fd); /* held until exit */
}

/* Every running unit holds fds here (log pipes and file, pidfd, sync and notify sockets): the
 * soft limit, often 1024 for the hard one's 524288, is a budget for nothing. */
static void raise_nofile_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return;
        /* Across daemon-reexec the limit is raised already: the original came with the state. */
        if (launch_nofile_soft == 0)
                launch_nofile_soft = rl.rlim_cur;
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        log_debug("RLIMIT_NOFILE: soft limit %llu, hard limit %llu", (unsigned long long) rl.rlim_cur,
                  (unsigned long long) rl.rlim_max);
}

/* ---- daemon-reexec ------------------------------------------------------------------------------------ */

/* The binary on disk, as it was named when this image started: after an upgrade replaced the file,
 * the new version. */
static char *self_exe;

static int fd_keep_across_exec(int fd) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                return -errno;
        return 0;
}

/* Serializes what the next image needs (supervisor/README.md, "Adoption") into a memfd and
 * execve()s the binary on disk with --deserialize=FD. Returns only on failure, with everything as
 * it was: supd goes on running. */
static int reexec(struct supd *s, int argc, char **argv, int lock_fd) {
        _cleanup_close_ int memfd = -EBADF;
        json_object *state = NULL, *units = NULL, *claims = NULL;
        _cleanup_free_ char **args = NULL;
        char fdarg[32];
        const char *text;
        int bus_fd, r, n = 0;

        if (!self_exe)
                return log_error_errno(-ENOENT, "Cannot re-execute: the path of supd's binary is unknown");
        bus_fd = bus_server_fd(s->bus);
        state = json_object_new_object();
        units = manager_serialize(s->manager);
        claims = manager_serialize_claims(s->manager);
        if (!state || !units || !claims || bus_fd < 0) {
                r = -ENOMEM;
                goto fail;
        }
        json_object_object_add(state, "version", json_object_new_int(1));
        json_object_object_add(state, "lock_fd", json_object_new_int(lock_fd));
        json_object_object_add(state, "bus_fd", json_object_new_int(bus_fd));
        json_object_object_add(state, "nofile_soft", json_object_new_uint64(launch_nofile_soft));
        json_object_object_add(state, "units", json_object_get(units));
        json_object_object_add(state, "claims", json_object_get(claims));
        text = json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN);

        memfd = memfd_create("supd-state", 0); /* not close-on-exec: the next image reads it */
        if (memfd < 0 || loop_write(memfd, text, strlen(text)) < 0 || lseek(memfd, 0, SEEK_SET) < 0) {
                r = memfd < 0 ? -errno : -EIO;
                goto fail;
        }
        if (fd_keep_across_exec(lock_fd) < 0 || fd_keep_across_exec(bus_fd) < 0) {
                r = -errno;
                goto fail;
        }

        args = calloc((size_t) argc + 2, sizeof(char *));
        if (!args) {
                r = -ENOMEM;
                goto fail;
        }
        for (int i = 0; i < argc; i++)
                if (!startswith(argv[i], "--deserialize"))
                        args[n++] = argv[i];
        snprintf(fdarg, sizeof(fdarg), "--deserialize=%d", memfd);
        args[n++] = fdarg;

        log_info("Re-executing %s.", self_exe);
        execv(self_exe, args);
        r = -errno;
        log_error_errno(r, "Failed to re-execute %s, going on: %m", self_exe);
fail:
        if (r == -ENOMEM)
                log_oom();
        manager_serialize_abort(s->manager);
        manager_serialize_claims_abort(s->manager);
        (void) fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
        if (bus_fd >= 0)
                (void) fcntl(bus_fd, F_SETFD, FD_CLOEXEC);
        json_object_put(units);
        json_object_put(claims);
        json_object_put(state);
        return r;
}

/* The state daemon-reexec passed (--deserialize=FD). */
static json_object *deserialize_read(int fd) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0, allocated = 0;
        json_object *o;

        for (;;) {
                if (allocated - size < 4096) {
                        char *t = realloc(text, allocated + 65536);
                        if (!t) {
                                safe_close(fd);
                                log_oom();
                                return NULL;
                        }
                        text = t;
                        allocated += 65536;
                }
                ssize_t n = read(fd, text + size, allocated - size - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        log_error_errno(-errno, "Failed to read the state passed across daemon-reexec: %m");
                        safe_close(fd);
                        return NULL;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
        }
        safe_close(fd);
        if (!text)
                return NULL;
        text[size] = '\0';
        o = json_tokener_parse(text);
        if (!o)
                log_error("The state passed across daemon-reexec is not JSON; starting afresh.");
        return o;
}

static int deserialize_fd(json_object *state, const char *key) {
        json_object *v;
        int fd;

        if (!json_object_object_get_ex(state, key, &v))
                return -EBADF;
        fd = json_object_get_int(v);
        if (fd < 3 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return -EBADF;
        return fd;
}

int main(int argc, char **argv) {
        struct supd s = { .signal_fd = -EBADF, .exit_how = MANAGER_EXIT };
        _cleanup_free_ char *socket_path = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        json_object *state = NULL, *units = NULL, *claims = NULL;
        int bus_fd = -EBADF;
        pid_t owner = 0;
        int r;

        is_pid1 = getpid() == 1;
        r = parse_argv(argc, argv);
        if (r <= 0 && !is_pid1)
                return r < 0 ? 2 : 0;

        if (arg_deserialize >= 0) {
                state = deserialize_read(arg_deserialize);
                if (state) {
                        lock_fd = deserialize_fd(state, "lock_fd");
                        bus_fd = deserialize_fd(state, "bus_fd");
                        json_object_object_get_ex(state, "units", &units);
                        json_object_object_get_ex(state, "claims", &claims);
                        json_object *v;
                        if (json_object_object_get_ex(state, "nofile_soft", &v))
                                launch_nofile_soft = json_object_get_uint64(v);
                        log_info("Re-executed: taking over %zu unit(s) from the previous image.",
                                 units ? json_object_array_length(units) : (size_t) 0);
                }
        }

        umask(022);
        if (is_pid1) {
                log_info("running as PID 1");
                if (!state && pid1_setup(pid1_step_failed, NULL) >= 0)
                        log_info("system set up");
                if (!arg_cgroup_root)
                        arg_cgroup_root = "/sup";
        } else {
                if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                        log_warning_errno(-errno, "Failed to become a child subreaper, orphans will escape: %m");
                if (!arg_cgroup_root)
                        arg_cgroup_root = "sup";
        }
        /* The path execve() was given becomes /proc/self/exe: the binary on disk, for daemon-reexec.
         * Only now: PID 1 booted from an initramfs has no /proc before pid1_setup() mounts it. */
        self_exe = realpath("/proc/self/exe", NULL);
        raise_nofile_limit();

        s.loop = ev_default_loop(EVBACKEND_EPOLL | EVFLAG_NOENV);
        if (!s.loop) {
                log_error("Failed to create the event loop.");
                goto fatal;
        }
        r = setup_signals(&s);
        if (r < 0) {
                log_error_errno(r, "Failed to set up signal handling: %m");
                goto fatal;
        }

        r = mkdir_p(arg_runtime_dir, 0755);
        if (r < 0) {
                log_error_errno(r, "Failed to create runtime directory '%s': %m", arg_runtime_dir);
                goto fatal;
        }
        if (lock_fd < 0)
                lock_fd = take_lock(&owner);
        if (lock_fd < 0) {
                if (lock_fd == -EBUSY)
                        log_error("Another supd instance (pid " PID_FMT
                                  ", runtime dir %s) owns runtime dir %s; refusing to start",
                                  owner, arg_runtime_dir, arg_runtime_dir);
                else
                        log_error_errno(lock_fd, "Failed to lock runtime directory '%s': %m", arg_runtime_dir);
                goto fatal;
        }

        const struct manager_options o = {
                .claims = claims,
                .units_dir = arg_units_dir,
                .runtime_dir = arg_runtime_dir,
                .state_dir = arg_state_dir,
                .cgroup_root = arg_cgroup_root,
                .pid1 = is_pid1,
        };
        r = manager_new(s.loop, &o, &s.manager);
        if (r < 0)
                goto fatal;

        if (asprintf(&socket_path, "%s/control", arg_runtime_dir) < 0)
                goto fatal;
        if (bus_fd >= 0)
                r = bus_server_new_fd(s.loop, s.manager, bus_fd, socket_path, &s.bus);
        else
                r = bus_server_new(s.loop, s.manager, socket_path, &s.bus);
        if (r < 0) {
                log_error_errno(r, "Failed to listen on '%s': %m", socket_path);
                goto fatal;
        }
        manager_set_unit_changed(s.manager, bus_on_unit_changed, s.bus);
        manager_set_shutdown_request(s.manager, shutdown_request, &s);

        /* On failure the manager said why ("Failed to load units from …"); supd runs with none. */
        (void) manager_startup(s.manager, units);
        json_object_put(state);

        log_info("ready");
        ev_idle_init(&s.reexec_idle, reexec_idle_cb);
        for (;;) {
                ev_run(s.loop, 0);
                if (!s.reexec)
                        break;
                (void) reexec(&s, argc, argv, lock_fd);
                s.reexec = false; /* it failed: go on */
        }

        s.bus = bus_server_free(s.bus);
        s.manager = manager_free(s.manager);
        ev_io_stop(s.loop, &s.signal_watch);
        safe_close(s.signal_fd);
        log_info("Exiting.");

        if (is_pid1)
                pid1_final(s.exit_how == MANAGER_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
        return 0;

fatal:
        if (!is_pid1) {
                bus_server_free(s.bus);
                manager_free(s.manager);
                return 1;
        }
        /* PID 1 never exits: keep reaping, and honour a request to power off. */
        log_error("Fatal error; reaping orphans until shutdown.");
        for (;;) {
                sigset_t mask;
                int sig;
                sigemptyset(&mask);
                sigaddset(&mask, SIGCHLD);
                sigaddset(&mask, SIGTERM);
                sigaddset(&mask, SIGINT);
                sigaddset(&mask, SIGPWR);
                sigprocmask(SIG_BLOCK, &mask, NULL);
                if (sigwait(&mask, &sig) != 0)
                        continue;
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (sig == SIGTERM || sig == SIGPWR || sig == SIGINT)
                        pid1_final(sig == SIGINT ? RB_AUTOBOOT : RB_POWER_OFF);
        }
}
