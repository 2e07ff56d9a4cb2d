/* SPDX-License-Identifier: MIT */

/* supctl exec [-t] NAME CMD…: run CMD inside a running unit, as docker exec does.
 *
 * supd does it, not supctl: Exec() starts CMD through the launcher's own steps (the unit's
 * namespaces, root, cgroup, user, bounding set, no_new_privs, seccomp filter, and the sealed
 * sup-init as the process that execs it), so nothing enters a container by another way, and no
 * host file of sup's ever runs in there (SPEC §7). supctl only relays:
 *
 *   without -t  CMD gets three pipes, never the caller's terminal; supctl copies its stdin into
 *               the first and the other two to its stdout and stderr.
 *   with -t     CMD gets a new pty of the container's own devpts as stdio and controlling
 *               terminal; supd hands its master back in the reply. supctl puts its own terminal in
 *               raw mode, relays both ways and passes window size changes on.
 *
 * The reply comes once CMD exec'd (or names the step that failed: 127 for a command not found,
 * 126 for one that cannot run, as a shell does); ExecExited(pid, code, status) tells its end, and
 * supctl exits with that status (128+N for signal N). SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to
 * supctl are passed on with KillExec(). If supctl goes away, supd kills CMD. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"


#define RELAY_BUF 16384U

/* ---- the caller's terminal ------------------------------------------------------------------------- */

static struct termios saved_termios;
static bool termios_saved = false;

static void restore_terminal(void) {
        if (termios_saved)
                (void) tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
        termios_saved = false;
}

static int make_raw(void) {
        struct termios raw;

        if (!isatty(STDIN_FILENO))
                return 0;
        if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
                return -errno;
        raw = saved_termios;
        cfmakeraw(&raw); /* the pty in the unit does the line discipline, and ONLCR, once */
        termios_saved = true;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
                termios_saved = false;
                return -errno;
        }
        return 0;
}

static void copy_window_size(int master) {
        struct winsize ws;

        if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) >= 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0)
                (void) ioctl(master, TIOCSWINSZ, &ws);
}

/* ---- one byte stream ------------------------------------------------------------------------------- */

/* From @in to @out through a buffer, both non-blocking where they can be. */
struct relay {
        int in, out;
        bool in_open, out_open;
        size_t len;
        char buf[RELAY_BUF];
};

static void relay_read(struct relay *r) {
        ssize_t n;

        if (!r->in_open || r->len >= sizeof(r->buf))
                return;
        n = read(r->in, r->buf + r->len, sizeof(r->buf) - r->len);
        if (n > 0)
                r->len += (size_t) n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                r->in_open = false; /* EOF, or EIO from a master whose terminal is gone */
}

static void relay_write(struct relay *r) {
        ssize_t n;

        if (!r->out_open || r->len == 0)
                return;
        n = write(r->out, r->buf, r->len);
        if (n > 0) {
                memmove(r->buf, r->buf + n, r->len - (size_t) n);
                r->len -= (size_t) n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                r->out_open = false;
                r->len = 0;
        }
}

/* Whatever is left once CMD ended: read until nothing more comes now, write it all out. */
static void relay_drain(struct relay *r) {
        int fl;

        if (r->in_open && (fl = fcntl(r->in, F_GETFL)) >= 0)
                (void) fcntl(r->in, F_SETFL, fl | O_NONBLOCK);
        while (r->out_open && (r->len > 0 || r->in_open)) {
                size_t before = r->len;

                relay_read(r);
                if (r->len == before && r->len == 0)
                        break;
                (void) loop_write(r->out, r->buf, r->len);
                r->len = 0;
        }
}

/* ---- the exchange with supd ------------------------------------------------------------------------ */

struct exec_state {
        uint32_t pid;
        bool exited;
        int code, status;
};

static int on_exec_exited(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct exec_state *s = userdata;
        uint32_t pid;
        int32_t code, status;

        if (sd_bus_message_read(m, "uii", &pid, &code, &status) < 0 || pid != s->pid)
                return 0;
        s->exited = true;
        s->code = code;
        s->status = status;
        return 0;
}

static int exit_status_of(const struct exec_state *s) {
        if (s->code == CLD_EXITED)
                return s->status & 0xff;
        return 128 + s->status;
}

static int call_exec(sd_bus *bus, const char *name, char **cmd, char **env, const int stdio[3],
                     uint32_t *ret_pid, int *ret_master) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "Exec");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", name);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, cmd);
        if (r >= 0)
                r = sd_bus_message_append_strv(m, env);
        if (r >= 0)
                r = sd_bus_message_append(m, "bhhh", arg_tty, stdio[0], stdio[1], stdio[2]);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to build the Exec call: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SUP_ERROR_EXEC_NOT_FOUND) ||
                    sd_bus_error_has_name(&error, SUP_ERROR_EXEC_FAILED)) {
                        fprintf(stderr, "supctl: %s: %s\n", name, error.message);
                        return sd_bus_error_has_name(&error, SUP_ERROR_EXEC_NOT_FOUND) ? 127 : 126;
                }
                return bus_log_error(&error, r, "Exec");
        }

        r = sd_bus_message_read(reply, "u", ret_pid);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "h");
        if (r >= 0) {
                int fd;

                while ((r = sd_bus_message_read(reply, "h", &fd)) > 0)
                        if (*ret_master < 0) {
                                /* The reply owns it. */
                                *ret_master = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                                if (*ret_master < 0)
                                        r = -errno;
                        }
        }
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to read the Exec reply: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        if (arg_tty && *ret_master < 0) {
                fprintf(stderr, "supctl: supd sent no terminal\n");
                return EXIT_FAILED;
        }
        return 0;
}

static void kill_exec(sd_bus *bus, uint32_t pid, int sig) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

        /* No reply awaited: the end comes as ExecExited. */
        if (sd_bus_message_new_method_call(bus, &m, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE,
                                           "KillExec") >= 0 &&
            sd_bus_message_append(m, "ui", pid, (int32_t) sig) >= 0 && sd_bus_message_set_expect_reply(m, 0) >= 0)
                (void) sd_bus_send(bus, m, NULL);
}

/* Relays until ExecExited; returns the exit code. */
static int relay_loop(sd_bus *bus, struct exec_state *s, int sfd, int to_cmd, int from_out, int from_err,
                      int master) {
        struct relay *in = NULL, *out = NULL, *err = NULL;
        int r = EXIT_FAILED;

        in = calloc(1, sizeof(*in));
        out = calloc(1, sizeof(*out));
        err = calloc(1, sizeof(*err));
        if (!in || !out || !err) {
                fprintf(stderr, "supctl: Out of memory\n");
                goto finish;
        }
        *in = (struct relay) { .in = STDIN_FILENO, .out = master >= 0 ? master : to_cmd, .in_open = true, .out_open = true };
        *out = (struct relay) { .in = master >= 0 ? master : from_out, .out = STDOUT_FILENO, .in_open = true, .out_open = true };
        *err = (struct relay) { .in = from_err, .out = STDERR_FILENO, .in_open = from_err >= 0, .out_open = true };

        while (!s->exited) {
                struct pollfd p[6] = {
                        { .fd = sfd, .events = POLLIN },
                        { .fd = sd_bus_get_fd(bus) },
                        { .fd = in->in_open && in->len < sizeof(in->buf) ? in->in : -1, .events = POLLIN },
                        { .fd = in->out_open && in->len > 0 ? in->out : -1, .events = POLLOUT },
                        { .fd = out->in_open && out->len < sizeof(out->buf) ? out->in : -1, .events = POLLIN },
                        { .fd = err->in_open && err->len < sizeof(err->buf) ? err->in : -1, .events = POLLIN },
                };
                uint64_t until;
                int timeout = -1, events;

                events = sd_bus_get_events(bus);
                if (events < 0) {
                        r = bus_log_error(NULL, events, "Exec");
                        goto finish;
                }
                p[1].events = (short) events;
                if (sd_bus_get_timeout(bus, &until) >= 0 && until != UINT64_MAX)
                        timeout = 0; /* sd-bus has queued work; it never needs a real timer here */

                if (poll(p, ELEMENTSOF(p), timeout) < 0 && errno != EINTR) {
                        fprintf(stderr, "supctl: poll: %m\n");
                        goto finish;
                }

                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;

                        if (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                                if (si.ssi_signo == SIGWINCH) {
                                        if (master >= 0)
                                                copy_window_size(master);
                                } else
                                        kill_exec(bus, s->pid, (int) si.ssi_signo);
                        }
                }

                if (p[2].revents)
                        relay_read(in);
                if (!in->in_open && in->len == 0 && in->out_open) {
                        /* Our stdin ended: EOF for the command too. Through a pty that is the
                         * terminal's EOF character, once; a pipe is closed. */
                        struct termios tio;

                        if (master >= 0) {
                                if (tcgetattr(master, &tio) >= 0 && (tio.c_lflag & ICANON)) {
                                        in->buf[in->len++] = (char) tio.c_cc[VEOF];
                                        relay_write(in);
                                }
                        } else
                                (void) close(to_cmd);
                        in->out_open = false;
                }
                if (p[3].revents || in->len > 0)
                        relay_write(in);
                if (p[4].revents) {
                        relay_read(out);
                        (void) loop_write(out->out, out->buf, out->len);
                        out->len = 0;
                }
                if (p[5].revents) {
                        relay_read(err);
                        (void) loop_write(err->out, err->buf, err->len);
                        err->len = 0;
                }

                for (;;) {
                        int k = sd_bus_process(bus, NULL);
                        if (k < 0) {
                                fprintf(stderr, "supctl: lost the connection to supd: %s\n", strerror(-k));
                                r = EXIT_UNREACHABLE;
                                goto finish;
                        }
                        if (k == 0 || s->exited)
                                break;
                }
        }

        /* The command wrote before it ended: take what is still in the pipes (or the pty). */
        relay_drain(out);
        relay_drain(err);
        r = exit_status_of(s);

finish:
        free(in);
        free(out);
        free(err);
        return r;
}

int verb_exec(int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_pair_ int in[2] = { -EBADF, -EBADF }, out[2] = { -EBADF, -EBADF },
                                 err[2] = { -EBADF, -EBADF };
        _cleanup_close_ int null = -EBADF, master = -EBADF, sfd = -EBADF;
        _cleanup_free_ char *term = NULL;
        struct exec_state s = {};
        char **cmd = argv + 2;
        char *env[2] = {};
        int stdio[3];
        sigset_t mask;
        int r;

        if (cmd[0] && streq(cmd[0], "--"))
                cmd++;
        if (!cmd[0]) {
                fprintf(stderr, "supctl exec: missing command (try --help)\n");
                return EXIT_USAGE;
        }

        r = bus_connect(&bus);
        if (r != 0)
                return r;

        if (arg_tty) {
                /* The command's stdio is the pty supd makes; these fill the call's slots. */
                null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
                if (null < 0) {
                        fprintf(stderr, "supctl: open /dev/null: %m\n");
                        return EXIT_FAILED;
                }
                stdio[0] = stdio[1] = stdio[2] = null;
                if (asprintf(&term, "TERM=%s", getenv("TERM") && *getenv("TERM") ? getenv("TERM") : "xterm") < 0) {
                        term = NULL;
                        return EXIT_FAILED;
                }
                env[0] = term;
        } else {
                if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                        fprintf(stderr, "supctl: pipe: %m\n");
                        return EXIT_FAILED;
                }
                stdio[0] = in[0];
                stdio[1] = out[1];
                stdio[2] = err[1];
        }

        /* Signals to pass on, read from a signalfd; SIGPIPE is ours to ignore. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        sigaddset(&mask, SIGWINCH);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) signal(SIGPIPE, SIG_IGN);
        sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd < 0) {
                fprintf(stderr, "supctl: signalfd: %m\n");
                return EXIT_FAILED;
        }

        r = sd_bus_match_signal(bus, NULL, NULL, SUP_BUS_PATH, SUP_BUS_INTERFACE, "ExecExited", on_exec_exited, &s);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to watch for ExecExited: %s\n", strerror(-r));
                return EXIT_FAILED;
        }

        r = call_exec(bus, argv[1], cmd, env, stdio, &s.pid, &master);
        if (r != 0)
                return r;
        /* The command has its copies now; ours would keep its pipes open. */
        in[0] = safe_close(in[0]);
        out[1] = safe_close(out[1]);
        err[1] = safe_close(err[1]);
        null = safe_close(null);

        if (master >= 0) {
                copy_window_size(master);
                if (make_raw() < 0)
                        fprintf(stderr, "supctl: cannot put the terminal in raw mode: %m\n");
        }
        if (in[1] >= 0)
                (void) fcntl(in[1], F_SETFL, O_NONBLOCK);
        if (master >= 0)
                (void) fcntl(master, F_SETFL, O_NONBLOCK);
        else {
                (void) fcntl(out[0], F_SETFL, O_NONBLOCK);
                (void) fcntl(err[0], F_SETFL, O_NONBLOCK);
        }

        r = relay_loop(bus, &s, sfd, in[1], out[0], err[0], master);
        in[1] = -EBADF; /* closed by the relay at EOF, or here */
        restore_terminal();
        return r;
}
