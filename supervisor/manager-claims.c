/* SPDX-License-Identifier: MIT */

/* What this instance claims before it touches anything (SPEC §1, supervisor/README.md "Instances"):
 * its cgroup root, its nftables table and link mark in this network namespace, its state dir. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cgroupd.h"
#include "log.h"
#include "logstream.h"
#include "macro.h"
#include "manager-internal.h"
#include "manager.h"
#include <inttypes.h>
#include <poll.h>
#include <sys/syscall.h>
#include "netplug.h"
#include "records.h"
#include <json-c/json.h>
#include "strv.h"
#include "time-util.h"

/* What names this instance's nftables table and link marks: its cgroup root as given. */
const char *manager_instance(const struct manager *m) {
        return m->cgroup_root[0] == '/' ? m->cgroup_root + 1 : m->cgroup_root;
}

/* Claims what this instance could otherwise share with another on the host (SPEC §1): its cgroup
 * root (a root above or below another's counts: an instance's clean-up removes every group under
 * its root), its nftables table and link mark in this network namespace, its state directory (the
 * leases, the logs). Before anything is made or cleaned up: an instance that would collide stops
 * here, having touched nothing of the other's. A claim a dead instance left is taken over, and
 * only then do netplug_new() and manager_clean_predecessor() clean up after it. Cgroup paths and
 * table names only mean one thing within one cgroup or network namespace: each claim names its
 * namespace. */
json_object *manager_serialize_claims(struct manager *m) {
        return m->claims ? claims_serialize(m->claims) : json_object_new_array();
}

void manager_serialize_claims_abort(struct manager *m) {
        claims_serialize_undo(m->claims);
}

int manager_deserialize_claims(struct manager *m, json_object *a) {
        int r = claims_deserialize(CLAIMS_DIR, m->runtime_dir, a, &m->claims);
        if (r < 0)
                return log_error_errno(r, "Failed to take over the claims passed across daemon-reexec: %m");
        return 0;
}

int manager_claim(struct manager *m) {
        _cleanup_free_ char *cg_path = NULL, *table = NULL, *cg_kind = NULL, *net_kind = NULL,
                            *state_key = NULL, *cg_what = NULL, *net_what = NULL, *state_what = NULL;
        struct stat cgns, netns, st;
        int r;

        r = cg_root_resolve(m->cg_host, m->cgroup_root, &cg_path);
        if (r < 0)
                return log_error_errno(r, "Failed to resolve cgroup root '%s': %m", m->cgroup_root);
        r = netplug_instance_table(manager_instance(m), &table);
        if (r < 0)
                return log_error_errno(r, "Failed to name the nftables table: %m");
        if (stat("/proc/self/ns/cgroup", &cgns) < 0)
                cgns.st_ino = 0; /* a kernel without cgroup namespaces: there is only one */
        if (stat("/proc/self/ns/net", &netns) < 0)
                return log_error_errno(-errno, "Failed to stat '/proc/self/ns/net': %m");
        if (stat(m->state_dir, &st) < 0)
                return log_error_errno(-errno, "Failed to stat state directory '%s': %m", m->state_dir);

        if (asprintf(&cg_kind, "cgroup-%ju", (uintmax_t) cgns.st_ino) < 0 ||
            asprintf(&cg_what, "cgroup root %s", cg_path) < 0 ||
            asprintf(&net_kind, "net-%ju", (uintmax_t) netns.st_ino) < 0 ||
            asprintf(&net_what, "nftables table inet %s and its link mark (network namespace %ju)", table,
                     (uintmax_t) netns.st_ino) < 0 ||
            asprintf(&state_key, "%ju-%ju", (uintmax_t) st.st_dev, (uintmax_t) st.st_ino) < 0 ||
            asprintf(&state_what, "state directory %s", m->state_dir) < 0)
                return log_error_errno(-ENOMEM, "Failed to claim this instance's resources: %m");

        const struct {
                const char *kind, *key, *what;
                bool tree;
        } want[] = {
                {cg_kind, cg_path, cg_what, true},
                {net_kind, table, net_what, false},
                {"state", state_key, state_what, false},
        };

        r = claims_new(CLAIMS_DIR, m->runtime_dir, &m->claims);
        if (r < 0)
                return log_error_errno(r, "Failed to lock '%s': %m", CLAIMS_DIR);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                struct claim_owner o = {};

                r = claims_take(m->claims, want[i].kind, want[i].key, want[i].what, want[i].tree, &o);
                if (r == -EBUSY) {
                        log_error("Another supd instance (pid " PID_FMT
                                  ", runtime dir %s) owns %s%s%s; refusing to start",
                                  o.pid, o.runtime_dir ?: "unknown", o.what ?: want[i].what,
                                  o.overlaps ? ", which overlaps our " : "", o.overlaps ? want[i].what : "");
                        claim_owner_done(&o);
                        return -EBUSY;
                }
                if (r < 0)
                        return log_error_errno(r, "Failed to claim %s: %m", want[i].what);
                if (r > 0)
                        log_debug("Taking over %s from supd pid " PID_FMT
                                  " (runtime dir %s), which is gone.",
                                  want[i].what, o.pid, strempty(o.runtime_dir));
                claim_owner_done(&o);
        }
        claims_done(m->claims);
        return 0;
}

/* Waits, bounded, until the killed processes of a leftover group are gone. They are not our
 * children: cgroup.events says when the group empties (v2 and hybrid); on pure v1, pidfds of what
 * is left say when each one is gone. Event-driven either way, and at most @timeout_ms in all. */
static void wait_group_empty(struct cg_unit *cu, int timeout_ms) {
        uint64_t deadline = now(CLOCK_MONOTONIC) + (uint64_t) timeout_ms * USEC_PER_MSEC;
        _cleanup_close_ int fd = -EBADF;
        int wd;

        fd = cg_unit_events_fd(cu, &wd);
        for (;;) {
                uint64_t t = now(CLOCK_MONOTONIC);
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;

                if (cg_unit_is_empty(cu) != 0 || t >= deadline)
                        return;
                if (fd >= 0) {
                        struct pollfd p = { .fd = fd, .events = POLLIN };
                        char buf[4096];

                        if (poll(&p, 1, (int) ((deadline - t) / USEC_PER_MSEC) + 1) <= 0)
                                continue; /* timed out or interrupted: checked above */
                        while (read(fd, buf, sizeof(buf)) > 0)
                                ;
                        continue;
                }

                /* Pure v1: one of them going is as good as a change of cgroup.events. */
                if (cg_unit_procs(cu, &pids, &n) < 0 || n == 0)
                        return;
                _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pids[0], 0);
                if (pidfd < 0)
                        continue; /* already gone */
                struct pollfd p = { .fd = pidfd, .events = POLLIN };
                (void) poll(&p, 1, (int) ((deadline - t) / USEC_PER_MSEC) + 1);
        }
}

/* What a killed predecessor of this instance left: its units' cgroups (killed, then removed) and
 * runtime records. Runs once this instance holds its claims (manager_claim()). */
void manager_clean_predecessor(struct manager *m, char *const *adopted) {
        _cleanup_strv_free_ char **groups = NULL;
        unsigned n_groups = 0, n_procs = 0;
        int r;

        r = cg_root_list(m->cg_root, &groups);
        if (r < 0)
                log_warning_errno(r, "Failed to list leftover cgroups, ignoring: %m");
        STRV_FOREACH(g, groups) {
                struct cg_unit *cu = NULL;
                if (strv_find(adopted, *g))
                        continue;
                r = cg_unit_new(m->cg_root, *g, &cu);
                if (r < 0)
                        continue;
                r = cg_unit_kill(cu, SIGKILL);
                if (r > 0)
                        n_procs += r;
                wait_group_empty(cu, 2000);
                r = cg_unit_destroy(cu);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove leftover cgroup '%s', ignoring: %m", cg_unit_path(cu));
                else
                        n_groups++;
                cg_unit_free(cu);
        }

        unsigned n_records = records_clean(m->runtime_dir, adopted);
        if (n_groups > 0 || n_records > 0)
                log_info("Cleaned up after a previous instance: %u cgroup(s), %u process(es) killed, %u runtime "
                         "record(s).",
                         n_groups, n_procs, n_records);
}
