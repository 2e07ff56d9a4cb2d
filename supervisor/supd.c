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
#include "config.h"
#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "pid1.h"

static const char *arg_units_dir = SUP_DEFAULT_UNITS_DIR;
static const char *arg_runtime_dir = "/run/sup";
static const char *arg_state_dir = "/var/lib/sup";
static const char *arg_cgroup_root = NULL;

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
        enum { OPT_UNITS = 0x100, OPT_RUNTIME, OPT_STATE, OPT_CGROUP, OPT_LOGLEVEL, OPT_VERSION };
        static const struct option options[] = {
                { "units", required_argument, NULL, OPT_UNITS },
                { "runtime-dir", required_argument, NULL, OPT_RUNTIME },
                { "state-dir", required_argument, NULL, OPT_STATE },
                { "cgroup-root", required_argument, NULL, OPT_CGROUP },
                { "log-level", required_argument, NULL, OPT_LOGLEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
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
static int shutdown_request(void *userdata, enum manager_shutdown how) {
        struct supd *s = userdata;

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
        if (rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        log_debug("RLIMIT_NOFILE: soft limit %llu, hard limit %llu", (unsigned long long) rl.rlim_cur,
                  (unsigned long long) rl.rlim_max);
}

int main(int argc, char **argv) {
        struct supd s = { .signal_fd = -EBADF, .exit_how = MANAGER_EXIT };
        _cleanup_free_ char *socket_path = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        pid_t owner = 0;
        int r;

        is_pid1 = getpid() == 1;
        r = parse_argv(argc, argv);
        if (r <= 0 && !is_pid1)
                return r < 0 ? 2 : 0;

        umask(022);
        if (is_pid1) {
                log_info("running as PID 1");
                if (pid1_setup(pid1_step_failed, NULL) >= 0)
                        log_info("system set up");
                if (!arg_cgroup_root)
                        arg_cgroup_root = "/sup";
        } else {
                if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                        log_warning_errno(-errno, "Failed to become a child subreaper, orphans will escape: %m");
                if (!arg_cgroup_root)
                        arg_cgroup_root = "sup";
        }
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
        r = bus_server_new(s.loop, s.manager, socket_path, &s.bus);
        if (r < 0) {
                log_error_errno(r, "Failed to listen on '%s': %m", socket_path);
                goto fatal;
        }
        manager_set_unit_changed(s.manager, bus_on_unit_changed, s.bus);
        manager_set_shutdown_request(s.manager, shutdown_request, &s);

        /* On failure the manager said why ("Failed to load units from …"); supd runs with none. */
        (void) manager_startup(s.manager);

        log_info("ready");
        ev_run(s.loop, 0);

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
