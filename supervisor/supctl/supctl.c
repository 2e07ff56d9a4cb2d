/* SPDX-License-Identifier: MIT */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "supctl.h"

const char *arg_socket = NULL;
bool arg_json = false;
bool arg_no_block = false;
bool arg_wait = false;

struct verb {
        const char *name;
        int min_args; /* after the verb */
        int max_args; /* -1: any */
        int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
        { "list", 0, 0, verb_list },
        { "status", 1, 1, verb_status },
        { "start", 1, -1, verb_start },
        { "stop", 1, -1, verb_stop },
        { "restart", 1, -1, verb_restart },
        { "verify", 0, -1, verb_verify },
};

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
               "  verify [PATH…]          check unit and bridge files offline (default: %s)\n\n"
               "Options:\n"
               "  --socket PATH           supd's control socket (default: $SUP_SOCKET or /run/sup/control)\n"
               "  --json                  print one JSON document (list, status, stats, verify)\n"
               "  --no-block              start, stop, restart: do not wait for the units\n"
               "  --wait                  start: wait until the unit stops (see above)\n"
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
};

static const struct option options[] = {
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "json", no_argument, NULL, OPT_JSON },
        { "no-block", no_argument, NULL, OPT_NO_BLOCK },
        { "wait", no_argument, NULL, OPT_WAIT },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, OPT_VERSION },
        {},
};

/* Parses options; with stop_at_verb, stops at the first non-option (the verb). Returns -1 to
 * exit 0 (help, version), or an exit code > 0 on a usage error, or 0 to go on. */
static int parse_options(int argc, char **argv, bool stop_at_verb) {
        int c;

        optind = 0; /* full re-initialisation, so the second pass works too */
        while ((c = getopt_long(argc, argv, stop_at_verb ? "+h" : "h", options, NULL)) >= 0)
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
         * permutation so that they are removed from the verb's arguments. */
        argc -= optind;
        argv += optind;
        r = parse_options(argc, argv, false);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        /* getopt permuted the non-options to argv[optind..]; argv[0] is the verb. */
        nargs = argc - optind;
        if (nargs < v->min_args || (v->max_args >= 0 && nargs > v->max_args)) {
                fprintf(stderr, "supctl %s: wrong number of arguments (try --help)\n", v->name);
                return EXIT_USAGE;
        }
        argv[optind - 1] = argv[0];
        return v->run(nargs + 1, argv + optind - 1);
}
