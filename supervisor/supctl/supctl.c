/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "supctl.h"
#include "units.h"

const char *arg_socket = NULL;
bool arg_json = false;
bool arg_no_block = false;
bool arg_wait = false;
int arg_signal = SIGTERM;
bool arg_all = false;
bool arg_follow = false;
int64_t arg_lines = -1;
bool arg_tty = false;

/* The options that only some verbs take, as bits of struct verb's opts. */
enum {
        VOPT_SIGNAL = 1 << 0,
        VOPT_ALL = 1 << 1,
        VOPT_FOLLOW = 1 << 2,
        VOPT_LINES = 1 << 3,
        VOPT_TTY = 1 << 4,
};

struct verb {
        const char *name;
        int min_args; /* after the verb */
        int max_args; /* -1: any */
        int (*run)(int argc, char **argv);
        unsigned opts;     /* VOPT_* it takes */
        bool stop_at_args; /* options end at the first argument: the rest is a command line (exec) */
};

static const struct verb verbs[] = {
        { "list", 0, 0, verb_list },
        { "status", 1, 1, verb_status },
        { "start", 1, -1, verb_start },
        { "stop", 1, -1, verb_stop },
        { "restart", 1, -1, verb_restart },
        { "kill", 1, -1, verb_kill, VOPT_SIGNAL | VOPT_ALL },
        { "reset-failed", 1, -1, verb_reset_failed },
        { "logs", 1, 1, verb_logs, VOPT_FOLLOW | VOPT_LINES },
        { "stats", 1, 1, verb_stats },
        { "freeze", 1, -1, verb_freeze },
        { "thaw", 1, -1, verb_thaw },
        { "exec", 2, -1, verb_exec, VOPT_TTY, true },
        { "reload", 0, 0, verb_reload },
        { "daemon-reexec", 0, 0, verb_daemon_reexec },
        { "verify", 0, -1, verb_verify },
        { "poweroff", 0, 0, verb_poweroff },
        { "reboot", 0, 0, verb_reboot },
};

/* The VOPT_* options seen on the command line; their names by bit, for the error. */
static unsigned opts_seen = 0;
static const char *const opt_names[] = { "--signal", "--all", "--follow", "--lines", "--tty" };

static void help(void) {
        printf("Usage: supctl [--socket PATH] [--json] VERB [ARGS…]\n\n"
               "Drive supd, the sup container supervisor.\n\n"
               "Verbs:\n"
               "  list                    every unit: load and active state, result, PID, restarts\n"
               "  status NAME             a unit's state, cgroup, uptime, last exit and log lines\n"
               "  start NAME…             start units and wait until they are running\n"
               "  start --wait NAME       start a unit, wait until it stops, exit with its status\n"
               "  stop NAME…              stop units and wait until they are stopped\n"
               "  restart NAME…           stop and start units, wait until they are running\n"
               "  kill [-s SIG] NAME…     signal the main process (--all: every process of the unit)\n"
               "  reset-failed NAME…      clear the failed state and the start-limit count\n"
               "  logs [-f] [-n N] NAME   the unit's timestamped output (-n: last N lines, -f: follow)\n"
               "  stats NAME              CPU time, memory current and peak, tasks, OOM kills\n"
               "  freeze NAME…            suspend every process of the units (cgroup freezer)\n"
               "  thaw NAME…              resume them\n"
               "  exec [-t] NAME CMD…     run CMD in the unit's namespaces, cgroup and root\n"
               "  reload                  re-read the unit files and apply the changes\n"
               "  daemon-reexec           re-execute supd (the binary on disk), keeping every unit running\n"
               "  verify [PATH…]          check unit and bridge files offline (default: %s)\n"
               "  poweroff, reboot        orderly shutdown, when supd is PID 1\n\n"
               "Options:\n"
               "  --socket PATH           supd's control socket (default: $SUP_SOCKET or /run/sup/control)\n"
               "  --json                  print one JSON document (list, status, stats, verify)\n"
               "  --no-block              start, stop, restart: do not wait for the units\n"
               "  --wait                  start: wait until the unit stops (see above)\n"
               "  -s, --signal SIG        kill: the signal, a name (HUP, SIGHUP) or number (default TERM)\n"
               "      --all               kill: every process of the unit, not only the main one\n"
               "  -n, --lines N           logs: only the last N lines (\"all\": every line, the default)\n"
               "  -f, --follow            logs: go on printing new lines until interrupted\n"
               "  -t, --tty               exec: run CMD on a new terminal (interactive programs)\n"
               "  -h, --help              show this help\n"
               "      --version           show the version\n\n"
               "Exit codes: 0 done, 1 failed, 2 usage, 3 not running, 4 no such unit, 5 supd unreachable.\n"
               "See supctl(1).\n",
               SUP_DEFAULT_UNITS_DIR);
}

enum {
        OPT_SOCKET = 0x100,
        OPT_JSON,
        OPT_NO_BLOCK,
        OPT_WAIT,
        OPT_VERSION,
        OPT_ALL,
};

static const struct option options[] = {
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "json", no_argument, NULL, OPT_JSON },
        { "no-block", no_argument, NULL, OPT_NO_BLOCK },
        { "wait", no_argument, NULL, OPT_WAIT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        { "signal", required_argument, NULL, 's' },
        { "all", no_argument, NULL, OPT_ALL },
        { "follow", no_argument, NULL, 'f' },
        { "lines", required_argument, NULL, 'n' },
        { "tty", no_argument, NULL, 't' },
        {},
};

static int parse_lines(const char *s) {
        char *end;
        long long v;

        if (streq(s, "all")) {
                arg_lines = -1;
                return 0;
        }
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < 0) {
                fprintf(stderr, "supctl: invalid number of lines \"%s\"\n", s);
                return EXIT_USAGE;
        }
        arg_lines = v;
        return 0;
}

/* Parses options; with stop_at_first, stops at the first non-option (the verb, or exec's NAME).
 * Returns -1 to exit 0 (help, version), or an exit code > 0 on a usage error, or 0 to go on. */
static int parse_options(int argc, char **argv, bool stop_at_first) {
        int c, r, sig;

        optind = 0; /* full re-initialisation, so the second pass works too */
        while ((c = getopt_long(argc, argv, stop_at_first ? "+hs:fn:t" : "hs:fn:t", options, NULL)) >= 0)
                switch (c) {
                case OPT_SOCKET:
                        arg_socket = optarg;
                        break;
                case OPT_JSON:
                        arg_json = true;
                        break;
                case OPT_NO_BLOCK:
                        arg_no_block = true;
                        break;
                case OPT_WAIT:
                        arg_wait = true;
                        break;
                case 's':
                        if (parse_signal(optarg, &sig) < 0) {
                                fprintf(stderr, "supctl: invalid signal \"%s\"\n", optarg);
                                return EXIT_USAGE;
                        }
                        arg_signal = sig;
                        opts_seen |= VOPT_SIGNAL;
                        break;
                case OPT_ALL:
                        arg_all = true;
                        opts_seen |= VOPT_ALL;
                        break;
                case 'f':
                        arg_follow = true;
                        opts_seen |= VOPT_FOLLOW;
                        break;
                case 'n':
                        r = parse_lines(optarg);
                        if (r != 0)
                                return r;
                        opts_seen |= VOPT_LINES;
                        break;
                case 't':
                        arg_tty = true;
                        opts_seen |= VOPT_TTY;
                        break;
                case 'h':
                        help();
                        return -1;
                case OPT_VERSION:
                        printf("supctl %s\n", SUP_VERSION);
                        return -1;
                case '?':
                        return EXIT_USAGE;
                default:
                        abort();
                }
        return 0;
}

int main(int argc, char **argv) {
        const struct verb *v = NULL;
        int r, nargs;

        r = parse_options(argc, argv, true);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        if (optind >= argc) {
                fprintf(stderr, "supctl: missing verb (try --help)\n");
                return EXIT_USAGE;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, argv[optind]))
                        v = &verbs[i];
        if (!v) {
                fprintf(stderr, "supctl: unknown verb \"%s\" (try --help)\n", argv[optind]);
                return EXIT_USAGE;
        }

        /* Options may also follow the verb ("supctl list --json"); parse the rest again with
         * permutation so that they are removed from the verb's arguments. For exec, the options
         * end at NAME: what follows is the command line, its options included. */
        argc -= optind;
        argv += optind;
        r = parse_options(argc, argv, v->stop_at_args);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        for (size_t i = 0; i < ELEMENTSOF(opt_names); i++)
                if ((opts_seen & ~v->opts) & (1U << i)) {
                        fprintf(stderr, "supctl %s: option %s does not apply (try --help)\n", v->name, opt_names[i]);
                        return EXIT_USAGE;
                }
        /* getopt permuted the non-options to argv[optind..]; argv[0] is the verb. */
        nargs = argc - optind;
        if (nargs < v->min_args || (v->max_args >= 0 && nargs > v->max_args)) {
                fprintf(stderr, "supctl %s: wrong number of arguments (try --help)\n", v->name);
                return EXIT_USAGE;
        }
        argv[optind - 1] = argv[0];
        return v->run(nargs + 1, argv + optind - 1);
}
