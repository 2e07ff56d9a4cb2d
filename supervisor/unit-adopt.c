/* SPDX-License-Identifier: MIT */

/* Adoption: a supd that follows another — after daemon-reexec, or after the previous one was
 * killed — takes over every run whose process tree is still alive instead of killing it
 * (supervisor/README.md, "Adoption"). A run is described by its record (records.h), rewritten
 * whenever its state changes, and by the configuration it started with (its canonical dump beside
 * the record). What it held as fds comes back either across execve (daemon-reexec passes them) or
 * from the container's init, which holds copies for exactly this (init/protocol.h; taken back with
 * pidfd_getfd()). A run that does not check out — its pid gone or reused, not in its cgroup, an
 * Init=no payload after a crash, a veth missing — is left to manager_clean_predecessor(), which
 * kills it, and the unit starts as at boot. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cgroupd.h"
#include "fileio.h"
#include "launch.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "records.h"
#include "string-util.h"
#include "strv.h"
#include "time-util.h"
#include "unit-network.h"
#include "unit-state.h"

#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* The start time of @pid in clock ticks since boot (/proc/PID/stat, field 22): with the pid, what
 * names a process for good (a pid is reused, the pair is not). */
int proc_pid_starttime(pid_t pid, uint64_t *ret) {
        _cleanup_free_ char *path = strprintf("/proc/%d/stat", (int) pid), *text = NULL;
        const char *p;
        int r;

        if (!path)
                return -ENOMEM;
        r = read_full_file(path, 4096, 0, &text, NULL);
        if (r < 0)
                return r;
        /* After the command, which may hold spaces and parentheses: the last ")". */
        p = strrchr(text, ')');
        if (!p)
                return -EBADMSG;
        p++;
        for (int field = 3; field < 22; field++) { /* p is at the space before field 3 */
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EBADMSG;
        }
        return sscanf(p + 1, "%" SCNu64, ret) == 1 ? 0 : -EBADMSG;
}

static uint64_t fd_inode(int fd) {
        struct stat st;
        return fd >= 0 && fstat(fd, &st) >= 0 ? (uint64_t) st.st_ino : 0;
}

/* ---- the record of a run ---------------------------------------------------------------------------- */

static void unit_to_record(struct unit *u, struct unit_record *r) {
        unit_record_init(r);
        r->unit = u->name;
        r->pid = u->main_pid;
        r->pid_start = u->pid_start;
        r->cgroup = u->cgroup ? (char *) cg_unit_path(u->cgroup) : NULL;
        r->state = (char *) unit_active_state_to_string(u->state);
        r->result = (char *) unit_result_to_string(u->result);
        r->init = u->held;
        r->exec_seen = u->exec_seen;
        r->adopted = u->adopted;
        r->n_restarts = u->n_restarts;
        r->n_failures = u->n_failures;
        r->start_times = u->start_times;
        r->n_start_times = u->n_start_times;
        r->active_enter_realtime = u->active_enter_realtime;
        r->active_enter_monotonic = u->active_enter_monotonic;
        r->state_change_realtime = u->state_change_realtime;
        r->oom_kills_at_start = u->oom_kills_at_start;
        r->sync_ino = u->held_ino[0];
        r->stdout_ino = u->held_ino[1];
        r->stderr_ino = u->held_ino[2];
}

void unit_record_update(struct unit *u) {
        struct unit_record r;
        int k;

        if (!u->main_pid || u->main_exited || !unit_is_active(u))
                return;
        unit_to_record(u, &r);
        k = record_write(u->manager->runtime_dir, &r);
        if (k < 0)
                log_warning_errno(k, "%s: Failed to write the runtime record, a successor will restart it: %m",
                                  u->name);
}

/* At the end of a start: what a successor checks the run against, and the configuration it runs. */
void unit_record_new_run(struct unit *u, const int held[3]) {
        _cleanup_free_ char *dump = NULL;
        size_t size = 0;
        FILE *f;
        int k;

        if (proc_pid_starttime(u->main_pid, &u->pid_start) < 0)
                u->pid_start = 0;
        u->held = held[0] >= 0;
        for (size_t i = 0; i < 3; i++)
                u->held_ino[i] = fd_inode(held[i]);
        u->adopted = false;

        f = open_memstream(&dump, &size);
        if (!f || unit_config_dump(u->config, f) < 0 || fclose(f) != 0) {
                log_warning("%s: Failed to record the configuration of the run, a successor will restart it",
                            u->name);
                return;
        }
        k = record_write_config(u->manager->runtime_dir, u->name, dump);
        if (k < 0)
                log_warning_errno(k, "%s: Failed to record the configuration of the run, a successor will "
                                  "restart it: %m", u->name);
        unit_record_update(u);
}

/* ---- taking a run over -------------------------------------------------------------------------------- */

/* The configuration @name's run started with, from its dump (*ret_text: the dump itself). */
static int run_config(struct manager *m, const char *name, struct unit_config **ret, char **ret_text) {
        _cleanup_free_ char *text = NULL;
        struct unit_diag *diags = NULL;
        size_t n_diags = 0;
        int r;

        r = record_read_config(m->runtime_dir, name, &text);
        if (r < 0)
                return r;
        r = unit_config_parse_string(name, name, text, &diags, &n_diags, ret);
        unit_diags_free(diags, n_diags);
        if (r >= 0 && (*ret)->load_state != UNIT_LOADED) {
                *ret = unit_config_free(*ret);
                return -EBADMSG;
        }
        if (r >= 0)
                *ret_text = TAKE_PTR(text);
        return r;
}

/* Does @c mean what the dump @text says? Compared as dumps: the form a reload compares too. */
static bool same_config(const struct unit_config *c, const char *text) {
        _cleanup_free_ char *x = NULL;
        size_t nx = 0;
        FILE *f;

        f = open_memstream(&x, &nx);
        if (!f || unit_config_dump(c, f) < 0 || fclose(f) != 0)
                return false;
        return streq(x, text);
}

/* Is @pid in the cgroup @path (as cg_unit_path() gives it)? */
static bool pid_in_cgroup(pid_t pid, const char *path) {
        _cleanup_free_ char *p = strprintf("/proc/%d/cgroup", (int) pid), *text = NULL;

        if (!p || !path || read_full_file(p, 64 * 1024, 0, &text, NULL) < 0)
                return false;
        for (char *line = text, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *c = strchr(line, ':');
                c = c ? strchr(c + 1, ':') : NULL;
                if (c && streq(c + 1, path))
                        return true;
        }
        return false;
}

struct adopt_fds {
        int pidfd, sync, out, err, notify;
};

static void adopt_fds_done(struct adopt_fds *f) {
        safe_close(f->pidfd);
        safe_close(f->sync);
        safe_close(f->out);
        safe_close(f->err);
        safe_close(f->notify);
}

static int take_held(int pidfd, int slot, uint64_t ino, const char *what, char **why) {
        int fd = (int) syscall(SYS_pidfd_getfd, pidfd, LAUNCH_INIT_HOLD_FD + slot, 0);

        if (fd < 0) {
                *why = strprintf("take back %s from the container's init: %s", what, strerror(errno));
                return -errno;
        }
        if (fd_inode(fd) != ino) {
                safe_close(fd);
                *why = strprintf("the container's init holds another %s than recorded", what);
                return -ESTALE;
        }
        return fd;
}

/* Checks @rec against the system and gathers the run's fds into @f. Returns 0 or -errno with *why. */
static int adopt_check(struct manager *m, const struct unit_record *rec, bool reexec, struct adopt_fds *f,
                       char **why) {
        uint64_t start;
        int r;

        if (reexec) {
                f->pidfd = rec->pidfd;
                f->sync = rec->sync_fd;
                f->out = rec->stdout_fd;
                f->err = rec->stderr_fd;
                f->notify = rec->notify_fd;
        } else {
                struct pollfd p = { .events = POLLIN };

                /* A pidfd of one that exited (a zombie nobody reaped yet) is readable at once. */
                f->pidfd = p.fd = (int) syscall(SYS_pidfd_open, rec->pid, 0);
                if (f->pidfd < 0 || poll(&p, 1, 0) > 0) {
                        *why = strprintf("main process " PID_FMT " is gone", rec->pid);
                        return -ESRCH;
                }
        }
        if (proc_pid_starttime(rec->pid, &start) < 0 || start != rec->pid_start) {
                *why = strprintf("pid " PID_FMT " is another process now", rec->pid);
                return -ESRCH;
        }
        if (!pid_in_cgroup(rec->pid, rec->cgroup)) {
                *why = strprintf("main process " PID_FMT " is not in cgroup %s", rec->pid, strnull(rec->cgroup));
                return -ESRCH;
        }
        if (reexec)
                return 0;
        if (!rec->init) {
                *why = strdup("without the container's init (Init=no) its output pipes did not survive supd");
                return -EOPNOTSUPP;
        }
        r = take_held(f->pidfd, 0, rec->sync_ino, "the launch socket", why);
        if (r < 0)
                return r;
        f->sync = r;
        r = take_held(f->pidfd, 1, rec->stdout_ino, "the stdout pipe", why);
        if (r < 0)
                return r;
        f->out = r;
        r = take_held(f->pidfd, 2, rec->stderr_ino, "the stderr pipe", why);
        if (r < 0)
                return r;
        f->err = r;
        return 0;
}

/* What unit_release() gives back, for a run that could not be taken over: the processes are left to
 * manager_clean_predecessor() (the group is not destroyed here). */
static void adopt_undo(struct unit *u) {
        unit_stop_watchers(u);
        unit_unwatch(u);
        unit_oom_unwatch(u);
        unit_notify_close(u);
        unit_network_down(u);
        u->cgroup = cg_unit_free(u->cgroup);
        u->resolv_conf = mfree(u->resolv_conf);
        u->pidfd = safe_close(u->pidfd);
        u->sync_fd = safe_close(u->sync_fd);
        u->main_pid = 0;
        u->foreign = false;
}

/* The restart counters and the start-limit window a predecessor recorded. */
static void unit_restore_counters(struct unit *u, const struct unit_record *rec) {
        u->n_restarts = rec->n_restarts;
        u->n_failures = rec->n_failures;
        u->start_times = mfree(u->start_times);
        u->n_start_times = 0;
        if (rec->n_start_times == 0)
                return;
        u->start_times = calloc(rec->n_start_times, sizeof(uint64_t));
        if (!u->start_times)
                return; /* the window starts afresh */
        memcpy(u->start_times, rec->start_times, rec->n_start_times * sizeof(uint64_t));
        u->n_start_times = rec->n_start_times;
}

/* Takes over @u's run as @rec describes it. Returns 0, or -errno with *why (nothing kept). */
static int unit_adopt_run(struct unit *u, const struct unit_record *rec, bool reexec, char **why) {
        struct manager *m = u->manager;
        const struct unit_config *c = u->config;
        struct adopt_fds f = { -EBADF, -EBADF, -EBADF, -EBADF, -EBADF };
        int r;

        r = adopt_check(m, rec, reexec, &f, why);
        if (r < 0)
                goto fail;

        r = cg_unit_new(m->cg_root, u->name, &u->cgroup);
        if (r < 0 || !streq(cg_unit_path(u->cgroup), rec->cgroup)) {
                *why = strprintf("open cgroup %s: %s", strnull(rec->cgroup), r < 0 ? strerror(-r) : "another path");
                r = r < 0 ? r : -ESTALE;
                goto fail;
        }
        u->oom_kills_at_start = rec->oom_kills_at_start;
        r = unit_cgroup_watch(u);
        if (r < 0) {
                *why = strprintf("watch cgroup.events: %s", strerror(-r));
                goto fail;
        }

        if (c->type == SERVICE_NOTIFY) {
                if (f.notify >= 0) {
                        u->notify_fd = TAKE_FD(f.notify);
                        ev_io_set(&u->notify_watch, u->notify_fd, EV_READ);
                        ev_io_start(m->loop, &u->notify_watch);
                } else {
                        r = unit_notify_open(u, rec->pid);
                        if (r < 0) {
                                *why = strprintf("create the notify socket: %s", strerror(-r));
                                goto fail;
                        }
                }
        }
        if (c->namespaces & UNIT_NS_NET) {
                r = unit_network_adopt(u, rec->pid);
                if (r < 0) {
                        *why = strprintf("adopt the network: %s", u->attach_error ?: strerror(-r));
                        u->attach_error = mfree(u->attach_error);
                        goto fail;
                }
        }
        if (c->n_dns > 0)
                u->resolv_conf = strprintf("%s/units/%s.resolv.conf", m->runtime_dir, u->name);
        if (u->log && (f.out >= 0 || f.err >= 0)) {
                r = log_stream_adopt_pipes(u->log, f.out, f.err);
                f.out = f.err = -EBADF; /* taken, whatever happened */
                if (r < 0) {
                        *why = strprintf("watch the output pipes: %s", strerror(-r));
                        goto fail;
                }
        }

        /* The run is this supd's now. */
        u->main_pid = rec->pid;
        u->pid_start = rec->pid_start;
        u->main_exited = false;
        u->foreign = !reexec; /* a killed supd's children went to the reaper above it */
        u->pidfd = TAKE_FD(f.pidfd);
        ev_io_set(&u->pidfd_watch, u->pidfd, EV_READ);
        ev_io_start(m->loop, &u->pidfd_watch);
        u->exec_seen = rec->exec_seen;
        u->held = rec->init;
        u->held_ino[0] = rec->sync_ino;
        u->held_ino[1] = rec->stdout_ino;
        u->held_ino[2] = rec->stderr_ino;
        u->sync_fd = TAKE_FD(f.sync);
        if (u->sync_fd >= 0) {
                int fl = fcntl(u->sync_fd, F_GETFL);
                if (fl >= 0)
                        (void) fcntl(u->sync_fd, F_SETFL, fl | O_NONBLOCK);
                if (!u->exec_seen) {
                        ev_io_set(&u->sync_watch, u->sync_fd, EV_READ);
                        ev_io_start(m->loop, &u->sync_watch);
                }
        }
        unit_restore_counters(u, rec);
        u->adopted = true;
        u->clone_monotonic = now(CLOCK_MONOTONIC);
        adopt_fds_done(&f);
        return 0;

fail:
        adopt_fds_done(&f);
        adopt_undo(u);
        return r < 0 ? r : -EINVAL;
}

/* Puts the adopted run in its recorded state, with its recorded times. */
static void adopt_state(struct unit *u, const struct unit_record *rec) {
        bool starting = streq(rec->state, "starting");

        unit_set_state(u, starting ? UNIT_EV_ADOPT_STARTING : UNIT_EV_ADOPT, UNIT_RESULT_SUCCESS);
        u->active_enter_realtime = rec->active_enter_realtime;
        u->active_enter_monotonic = rec->active_enter_monotonic;
        if (rec->state_change_realtime)
                u->state_change_realtime = rec->state_change_realtime;
        if (starting && u->config->type == SERVICE_NOTIFY && u->config->timeout_start_usec != USEC_INFINITY) {
                double left = (double) u->config->timeout_start_usec / USEC_PER_SEC;

                if (rec->timer_left_usec >= 0)
                        left = (double) rec->timer_left_usec / USEC_PER_SEC;
                ev_timer_set(&u->timer, left, 0.);
                ev_timer_start(u->manager->loop, &u->timer);
        }
        if (streq(rec->state, "stopping"))
                /* The stop a predecessor began: again, with a fresh TimeoutStopSec=. */
                unit_stop_now(u);
}

/* A unit that is not loaded any more (its file was removed while supd was away, or has errors now):
 * it runs with the configuration it started with, and is stopped as a reload would stop it. */
static struct unit *unit_for_record(struct manager *m, const char *name, struct unit_config *run,
                                    const char *run_text, bool *ret_changed) {
        struct unit *u = manager_find_unit(m, name);
        struct unit **a;

        *ret_changed = false;
        if (u && u->config && u->load_state == UNIT_LOADED) {
                if (same_config(u->config, run_text)) {
                        unit_config_free(run);
                        return u;
                }
                /* Changed while supd was away: the run goes on with its own configuration, and is
                 * restarted with the new one, as a reload does. */
                u->next_config = u->config;
                u->config = run;
                u->load_state = UNIT_LOADED;
                *ret_changed = true;
                return u;
        }
        if (u) {
                /* Its files have errors now: keep the run, as a reload keeps it. */
                unit_config_free(u->next_config);
                u->next_config = u->config;
                u->config = run;
                u->load_state = UNIT_LOADED;
                return u;
        }
        a = reallocarray(m->units, m->n_units + 2, sizeof(struct unit *));
        if (!a) {
                unit_config_free(run);
                return NULL;
        }
        m->units = a;
        if (unit_new(m, name, run, &u) < 0) {
                unit_config_free(run);
                return NULL;
        }
        m->units[m->n_units++] = u;
        m->units[m->n_units] = NULL;
        u->removed = true;
        *ret_changed = true;
        return u;
}

/* Adopts the run @rec describes. Returns the unit, or NULL (the run is left to the clean-up). */
static struct unit *adopt_one(struct manager *m, struct unit_record *rec, bool reexec) {
        _cleanup_free_ char *why = NULL, *run_text = NULL;
        struct unit_config *run = NULL;
        struct unit *u;
        bool changed;
        int r;

        r = run_config(m, rec->unit, &run, &run_text);
        if (r < 0) {
                log_warning_errno(r, "%s: cannot adopt its run (its recorded configuration: %m), restarting it",
                                  rec->unit);
                return NULL;
        }
        u = unit_for_record(m, rec->unit, run, run_text, &changed);
        if (!u) {
                log_oom();
                return NULL;
        }
        r = unit_adopt_run(u, rec, reexec, &why);
        if (r < 0) {
                log_warning("%s: cannot adopt its run (%s), restarting it", u->name, strna(why));
                if (u->next_config) {
                        /* Back to the files' view. */
                        unit_config_free(u->config);
                        u->config = TAKE_PTR(u->next_config);
                        u->load_state = u->config->load_state;
                }
                return NULL;
        }
        adopt_state(u, rec);
        log_info("%s: adopted, main pid " PID_FMT "%s.", u->name, u->main_pid,
                 u->removed ? ", its unit file is gone: stopping" : changed ? ", its unit file changed: restarting" : "");
        if (u->log)
                log_stream_note(u->log, "Adopted by supd pid " PID_FMT " (%s).", getpid(),
                                reexec ? "daemon-reexec" : "after supd restart");
        if (changed)
                unit_queue_stop(u, !u->removed);
        unit_record_update(u);
        return u;
}

/* Units that are not running, as daemon-reexec passes them: their result, counters, pending
 * restart. */
static void adopt_idle(struct manager *m, const struct unit_record *rec) {
        struct unit *u = manager_find_unit(m, rec->unit);
        int result;

        if (!u)
                return;
        unit_restore_counters(u, rec);
        result = UNIT_RESULT_SUCCESS;
        for (int i = 0; i < _UNIT_RESULT_MAX; i++)
                if (rec->result && streq(rec->result, unit_result_to_string(i)))
                        result = i;
        if (streq(rec->state, "failed"))
                unit_set_state(u, UNIT_EV_ADOPT_FAILED, result);
        else if (streq(rec->state, "restarting") && u->load_state == UNIT_LOADED) {
                u->next_restart_usec = rec->timer_left_usec > 0 ? (uint64_t) rec->timer_left_usec : 0;
                unit_set_state(u, UNIT_EV_ADOPT_RESTARTING, result);
        } else if (result != UNIT_RESULT_SUCCESS)
                u->result = result;
        if (rec->state_change_realtime)
                u->state_change_realtime = rec->state_change_realtime;
}

int manager_adopt(struct manager *m, json_object *reexec_units, char ***ret_adopted) {
        _cleanup_strv_free_ char **adopted = NULL, **names = NULL;
        unsigned n = 0, n_failed = 0;
        int r;

        if (reexec_units) {
                size_t k = json_object_array_length(reexec_units);

                for (size_t i = 0; i < k; i++) {
                        struct unit_record rec;

                        if (unit_record_from_json(json_object_array_get_idx(reexec_units, i), &rec) < 0)
                                continue;
                        if (rec.pid > 0) {
                                struct unit *u = adopt_one(m, &rec, true);
                                if (u) {
                                        n++;
                                        (void) strv_extend(&adopted, u->name);
                                } else {
                                        n_failed++;
                                        /* Its fds were ours: closed, the clean-up kills the rest. */
                                        safe_close(rec.pidfd);
                                        safe_close(rec.sync_fd);
                                        safe_close(rec.stdout_fd);
                                        safe_close(rec.stderr_fd);
                                        safe_close(rec.notify_fd);
                                }
                        } else
                                adopt_idle(m, &rec);
                        unit_record_done(&rec);
                }
        } else {
                r = records_list(m->runtime_dir, &names);
                if (r < 0)
                        log_warning_errno(r, "Failed to list the runtime records: %m");
                STRV_FOREACH(name, names) {
                        struct unit_record rec;
                        struct unit *u;

                        r = record_read(m->runtime_dir, *name, &rec);
                        if (r < 0) {
                                log_warning_errno(r, "%s: unreadable runtime record (%m), restarting it", *name);
                                n_failed++;
                                continue;
                        }
                        u = rec.pid > 0 ? adopt_one(m, &rec, false) : NULL;
                        if (u) {
                                n++;
                                (void) strv_extend(&adopted, u->name);
                        } else
                                n_failed++;
                        unit_record_done(&rec);
                }
        }
        if (n > 0 || n_failed > 0)
                log_info("Adopted %u running unit(s)%s; %u could not be adopted.", n,
                         reexec_units ? " across daemon-reexec" : " after a supd restart", n_failed);
        *ret_adopted = TAKE_PTR(adopted);
        return (int) n;
}

/* ---- daemon-reexec: what goes across execve --------------------------------------------------------- */

static int fd_pass(int fd) {
        int flags;

        if (fd < 0)
                return -1;
        flags = fcntl(fd, F_GETFD);
        if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
                return -1;
        return fd;
}

void manager_serialize_abort(struct manager *m) {
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                int fds[5] = { u->pidfd, u->sync_fd, u->notify_fd, -EBADF, -EBADF };

                if (u->log)
                        log_stream_read_fds(u->log, &fds[3], &fds[4]);
                for (size_t k = 0; k < ELEMENTSOF(fds); k++)
                        if (fds[k] >= 0)
                                (void) fcntl(fds[k], F_SETFD, FD_CLOEXEC);
        }
}

json_object *manager_serialize(struct manager *m) {
        json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < m->n_units; i++) {
                struct unit *u = m->units[i];
                struct unit_record r;
                json_object *o;

                if (u->state == UNIT_INACTIVE && u->n_restarts == 0 && u->n_failures == 0 &&
                    u->n_start_times == 0 && u->result == UNIT_RESULT_SUCCESS)
                        continue;
                unit_to_record(u, &r);
                if (unit_is_active(u) && u->main_pid && !u->main_exited) {
                        int out = -EBADF, err = -EBADF;

                        if (u->log)
                                log_stream_read_fds(u->log, &out, &err);
                        r.pidfd = fd_pass(u->pidfd);
                        r.sync_fd = fd_pass(u->sync_fd);
                        r.stdout_fd = fd_pass(out);
                        r.stderr_fd = fd_pass(err);
                        r.notify_fd = fd_pass(u->notify_fd);
                } else
                        r.pid = 0;
                if (ev_is_active(&u->timer))
                        r.timer_left_usec = (int64_t) (ev_timer_remaining(m->loop, &u->timer) * USEC_PER_SEC);
                o = unit_record_to_json(&r);
                if (!o || json_object_array_add(a, o) < 0) {
                        json_object_put(o);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}
