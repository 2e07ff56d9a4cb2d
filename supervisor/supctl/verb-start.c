/* SPDX-License-Identifier: MIT */

/* supctl start|stop|restart NAME…, and start --wait NAME.
 *
 * The requests go out at once, asynchronously; then supctl follows the UnitChanged signals, which
 * supd sends to every connection that has sent something (the first request is enough, and it
 * precedes every state change it causes), until each unit got where it was sent or failed. There
 * is no polling: between messages supctl sleeps in sd_bus_wait() without a timeout. A change that
 * the request itself causes synchronously (a set-up failure, say) is signalled before the reply
 * arrives, so it is seen in order too. When a unit that should start is seen inactive, a GetUnit()
 * tells whether its start is still queued (a restart's stop half, a dependency restarting under
 * it) or it was stopped for good. */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

enum job_type {
        JOB_START,
        JOB_STOP,
        JOB_RESTART,
};

static const char *const job_method[] = {
        [JOB_START] = "StartUnit",
        [JOB_STOP] = "StopUnit",
        [JOB_RESTART] = "RestartUnit",
};

struct job {
        const char *name;
        enum job_type type;
        bool wait;       /* start --wait: until the unit stops again */
        bool replied;    /* the method returned */
        bool seen_start; /* the unit went through starting (or running, for --wait) since the request */
        bool seen_stop;  /* … or through stopping, before that */
        bool done;
        bool failed;     /* ended in the wrong state; failed_result says which */
        char failed_result[64];
        int exit;        /* exit code decided for this job when it is done */
};

struct jobs;

struct reply_ctx {
        struct jobs *jobs;
        struct job *job;
};

struct jobs {
        sd_bus *bus;
        struct job *jobs;
        struct reply_ctx *ctxs; /* userdata of the calls made for jobs[i] */
        size_t n;
        size_t n_pending;
};

static void job_finish(struct jobs *js, struct job *j, int exit) {
        if (j->done)
                return;
        j->done = true;
        j->exit = exit;
        js->n_pending--;
}

static void job_fail(struct jobs *js, struct job *j, const char *result) {
        j->failed = true;
        snprintf(j->failed_result, sizeof(j->failed_result), "%s", strempty(result));
        job_finish(js, j, EXIT_FAILED);
}

static bool job_is_waiting(const struct unit_info *i) {
        return i->start_queued || streq(i->active_state, "starting") || streq(i->active_state, "running") ||
               streq(i->active_state, "stopping") || streq(i->active_state, "restarting");
}

static int on_check(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        _cleanup_(unit_info_done) struct unit_info i = {};
        struct reply_ctx *ctx = userdata;
        struct job *j = ctx->job;
        int r;

        if (j->done)
                return 0;
        if (sd_bus_message_is_method_error(m, NULL)) {
                job_finish(ctx->jobs, j, bus_log_error(sd_bus_message_get_error(m), sd_bus_message_get_errno(m),
                                                       "GetUnit"));
                return 0;
        }
        r = bus_decode_unit(m, &i);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to parse the reply of GetUnit: %s\n", strerror(-r));
                job_finish(ctx->jobs, j, EXIT_FAILED);
                return 0;
        }

        /* Every signal sent before this reply has been seen: what is still under way shows up as
         * signals to come. */
        if (job_is_waiting(&i)) {
                if (streq(i.active_state, "starting") || streq(i.active_state, "running"))
                        j->seen_start = true;
                if (streq(i.active_state, "running") && !j->wait)
                        job_finish(ctx->jobs, j, EXIT_OK);
                return 0;
        }
        if (j->wait)
                job_finish(ctx->jobs, j, EXIT_OK);
        else
                job_fail(ctx->jobs, j, streq(i.result, "success") ? i.active_state : i.result);
        return 0;
}

/* The unit stopped while a start was expected. For good, or on the way, e.g. stopped and started
 * again with a dependency that is restarting, or the stop half of a restart? Ask supd whether a
 * start is still queued; its answer comes after every signal sent before it. */
static void job_check(struct jobs *js, struct job *j) {
        int r;

        r = sd_bus_call_method_async(js->bus, NULL, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "GetUnit",
                                     on_check, &js->ctxs[j - js->jobs], "s", j->name);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to send GetUnit for %s: %s\n", j->name, strerror(-r));
                job_finish(js, j, EXIT_FAILED);
        }
}

/* One observation of the unit's state, from a signal (a change since the request was sent) or
 * from the method reply (the state right after the request; it may still be the old one, e.g. a
 * "failed" unit whose start waits for its dependencies, so it never ends a job by itself unless
 * it is already the goal). */
static void job_observe(struct jobs *js, struct job *j, const char *state, const char *result, bool from_signal) {
        bool running = streq(state, "running"), starting = streq(state, "starting"),
             stopping = streq(state, "stopping"), restarting = streq(state, "restarting"),
             inactive = streq(state, "inactive"), failed = streq(state, "failed");

        if (j->done)
                return;

        if (j->type == JOB_STOP) {
                if (inactive || failed)
                        job_finish(js, j, EXIT_OK);
                return;
        }

        if (j->wait) {
                /* Until the unit stops after having run. A failure before it ever ran (a
                 * dependency, a set-up step) ends it too. */
                if (starting || running || restarting)
                        j->seen_start = true;
                else if (stopping)
                        j->seen_stop = true;
                else if (!from_signal)
                        return;
                else if (inactive || (failed && j->seen_stop && !j->seen_start))
                        job_check(js, j);
                else if (failed)
                        job_finish(js, j, EXIT_OK); /* the unit's status is fetched afterwards */
                return;
        }

        if (starting) {
                j->seen_start = true;
                return;
        }
        if (stopping) {
                /* supd queues a start until the stop is over (and a restart is exactly that) */
                j->seen_stop = true;
                return;
        }
        if (running) {
                /* A restart is done by a start after the stop: a reply of "running" alone may be the
                 * unit before the stop. */
                if (j->type == JOB_START || j->seen_start || from_signal)
                        job_finish(js, j, EXIT_OK);
                return;
        }
        if (!from_signal)
                return;

        /* A unit that was waiting out a restart delay may say so again before it starts. */
        if (restarting && !j->seen_start)
                return;
        /* Stopped, or failed while a stop was under way: is the start still to come? */
        if (inactive || (failed && j->seen_stop && !j->seen_start)) {
                job_check(js, j);
                return;
        }
        if (failed || restarting)
                job_fail(js, j, streq(result, "success") ? state : result);
}

static int on_unit_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct jobs *js = userdata;
        const char *name, *state, *result;
        int r;

        r = sd_bus_message_read(m, "sss", &name, &state, &result);
        if (r < 0)
                return 0; /* not ours to judge: ignore a malformed signal */

        for (size_t i = 0; i < js->n; i++)
                if (streq(js->jobs[i].name, name))
                        job_observe(js, &js->jobs[i], state, result, true);
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        struct reply_ctx *ctx = userdata;
        struct job *j = ctx->job;
        const char *state;
        int r;

        j->replied = true;

        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);
                job_finish(ctx->jobs, j, bus_log_error(e, sd_bus_message_get_errno(m), job_method[j->type]));
                return 0;
        }

        r = sd_bus_message_read(m, "s", &state);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to parse the reply of %s: %s\n", job_method[j->type], strerror(-r));
                job_finish(ctx->jobs, j, EXIT_FAILED);
                return 0;
        }

        if (arg_no_block)
                job_finish(ctx->jobs, j, EXIT_OK);
        else
                job_observe(ctx->jobs, j, state, NULL, false);
        return 0;
}

/* "failed to start: exit-code (status 3)", the set-up error, and the last log lines. */
static int report_failure(sd_bus *bus, struct job *j) {
        _cleanup_(unit_info_done) struct unit_info i = {};
        int r;

        fprintf(stderr, "supctl: %s failed to start: %s", j->name, j->failed_result);
        r = bus_get_unit(bus, j->name, &i);
        if (r != 0) {
                fprintf(stderr, "\n");
                return r;
        }

        /* The last exit explains these results only; after a set-up failure it is the child's. */
        if (streq(j->failed_result, "exit-code") && streq(i.exit_code, "exited"))
                fprintf(stderr, " (status %" PRIi32 ")", i.exit_status);
        else if (streq(j->failed_result, "signal") && (streq(i.exit_code, "killed") || streq(i.exit_code, "dumped")))
                fprintf(stderr, " (signal SIG%s)", sigabbrev_np(i.exit_status) ?: "?");
        fprintf(stderr, "\n");
        if (!str_empty(i.setup_error))
                fprintf(stderr, "supctl: %s: %s\n", j->name, i.setup_error);
        STRV_FOREACH(l, i.log_tail)
                fprintf(stderr, "    %s\n", *l);
        return EXIT_FAILED;
}

/* start --wait: the unit stopped; its status becomes ours. */
static int wait_status(sd_bus *bus, struct job *j) {
        _cleanup_(unit_info_done) struct unit_info i = {};
        int r;

        r = bus_get_unit(bus, j->name, &i);
        if (r != 0)
                return r;

        if (streq(i.result, "setup")) {
                fprintf(stderr, "supctl: %s failed to start: %s\n", j->name,
                        str_empty(i.setup_error) ? "setup" : i.setup_error);
                return EXIT_FAILED;
        }
        if (streq(i.result, "dependency")) {
                fprintf(stderr, "supctl: %s failed to start: a dependency failed\n", j->name);
                return EXIT_FAILED;
        }
        if (streq(i.exit_code, "exited"))
                return i.exit_status & 0xff;
        if (streq(i.exit_code, "killed") || streq(i.exit_code, "dumped"))
                return 128 + i.exit_status;

        fprintf(stderr, "supctl: %s stopped without running: %s\n", j->name, i.result);
        return EXIT_FAILED;
}

static int run_jobs(enum job_type type, int argc, char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL;
        _cleanup_free_ struct job *jobs = NULL;
        _cleanup_free_ struct reply_ctx *ctxs = NULL;
        struct jobs js = {};
        int r, exit = EXIT_OK;

        if (arg_wait && (type != JOB_START || argc != 2 || arg_no_block)) {
                fprintf(stderr, "supctl: --wait takes exactly one unit, with start and without --no-block\n");
                return EXIT_USAGE;
        }

        jobs = calloc((size_t) argc - 1, sizeof(*jobs));
        ctxs = calloc((size_t) argc - 1, sizeof(*ctxs));
        if (!jobs || !ctxs) {
                fprintf(stderr, "supctl: out of memory\n");
                return EXIT_FAILED;
        }
        r = bus_connect(&bus);
        if (r != 0)
                return r;
        js = (struct jobs) {
                .bus = bus,
                .jobs = jobs,
                .ctxs = ctxs,
                .n = (size_t) argc - 1,
                .n_pending = (size_t) argc - 1,
        };

        /* Before any request: signals caused by the first one may arrive before its reply. On a
         * peer-to-peer connection the match is local, supd sends UnitChanged to everyone. */
        if (!arg_no_block) {
                r = sd_bus_match_signal(bus, &match, NULL, SUP_BUS_PATH, SUP_BUS_INTERFACE, "UnitChanged",
                                        on_unit_changed, &js);
                if (r < 0) {
                        fprintf(stderr, "supctl: Failed to add a match for UnitChanged: %s\n", strerror(-r));
                        return EXIT_FAILED;
                }
        }

        for (size_t i = 0; i < js.n; i++) {
                jobs[i] = (struct job) { .name = argv[i + 1], .type = type, .wait = arg_wait };
                ctxs[i] = (struct reply_ctx) { .jobs = &js, .job = &jobs[i] };
                /* Floating slots: they live as long as the bus. */
                r = sd_bus_call_method_async(bus, NULL, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE,
                                             job_method[type], on_reply, &ctxs[i], "s", jobs[i].name);
                if (r < 0) {
                        fprintf(stderr, "supctl: Failed to send %s for %s: %s\n", job_method[type], jobs[i].name,
                                strerror(-r));
                        return EXIT_FAILED;
                }
        }

        while (js.n_pending > 0) {
                r = sd_bus_process(bus, NULL);
                if (r < 0) {
                        fprintf(stderr, "supctl: lost the connection to supd at %s: %s\n", bus_socket_path(),
                                strerror(-r));
                        return EXIT_UNREACHABLE;
                }
                if (r > 0)
                        continue;
                r = sd_bus_wait(bus, UINT64_MAX);
                if (r < 0 && r != -EINTR) {
                        fprintf(stderr, "supctl: Failed to wait for supd: %s\n", strerror(-r));
                        return EXIT_UNREACHABLE;
                }
        }

        for (size_t i = 0; i < js.n; i++) {
                struct job *j = &jobs[i];
                int k = j->exit;

                if (j->failed)
                        k = report_failure(bus, j);
                else if (j->wait && k == EXIT_OK)
                        return wait_status(bus, j);
                if (k > exit)
                        exit = k;
        }
        return exit;
}

int verb_start(int argc, char **argv) {
        return run_jobs(JOB_START, argc, argv);
}

int verb_stop(int argc, char **argv) {
        return run_jobs(JOB_STOP, argc, argv);
}

int verb_restart(int argc, char **argv) {
        return run_jobs(JOB_RESTART, argc, argv);
}
