/* SPDX-License-Identifier: MIT */
#pragma once

/* What a running unit holds, recorded under RUNTIME/units/NAME.record, so that a supd started
 * after a crash can say what it found and release it. Key=value lines; see supervisor/README.md.
 * And what the instance as a whole owns on the host, claimed so that no other instance takes it
 * (below). */

#include <stdbool.h>
#include <sys/types.h>

struct json_object;

/* One run of a unit, as a successor needs it to adopt the run: RUNTIME/units/NAME.record, a JSON
 * object rewritten (atomically) whenever the run's state changes; and, across daemon-reexec, the
 * same object in the serialized state with the fds supd passes on. */
struct unit_record {
        char *unit;
        pid_t pid;           /* the main process: the container's init, or the payload (Init=no) */
        uint64_t pid_start;  /* its start time (/proc/PID/stat, clock ticks): a reused pid differs */
        char *cgroup;        /* the unit's cgroup path, as cg_unit_path() says */
        char *state;         /* "starting", "running" or "stopping" */
        bool init;           /* the container's init holds what a successor takes back */
        bool exec_seen;      /* the payload exec'd (the launch socket said so) */
        unsigned n_restarts, n_failures;
        uint64_t *start_times; /* CLOCK_MONOTONIC usec, for the start limit */
        size_t n_start_times;
        uint64_t active_enter_realtime, active_enter_monotonic, state_change_realtime;
        uint64_t oom_kills_at_start;
        /* What the init holds (init/protocol.h), to check what pidfd_getfd() gives back: inode
         * numbers of the launch socket's parent end and of the stdout and stderr pipes. */
        uint64_t sync_ino, stdout_ino, stderr_ino;

        /* daemon-reexec only: the fds supd passes across execve (-1: none), the unit's state when
         * it is not running, its result, and what was left of its timer. */
        int pidfd, sync_fd, stdout_fd, stderr_fd, notify_fd;
        char *result;
        int64_t timer_left_usec; /* -1: no timer */
        bool adopted;
};

void unit_record_init(struct unit_record *r);
void unit_record_done(struct unit_record *r);
struct json_object *unit_record_to_json(const struct unit_record *r);
/* Returns 0, or -EBADMSG when @o lacks what a record must have. */
int unit_record_from_json(struct json_object *o, struct unit_record *ret);

int record_write(const char *runtime_dir, const struct unit_record *r);
/* Reads RUNTIME/units/NAME.record. Returns 0, -ENOENT, or -errno/-EBADMSG. */
int record_read(const char *runtime_dir, const char *name, struct unit_record *ret);
int record_remove(const char *runtime_dir, const char *name);

/* The configuration a run started with (units/' canonical dump), RUNTIME/units/NAME.config: a
 * successor compares it with the files on disk, and parses it to stop a run whose file changed. */
int record_write_config(const char *runtime_dir, const char *name, const char *text);
int record_read_config(const char *runtime_dir, const char *name, char **ret);

/* The names of the units that have a record in RUNTIME/units (strv). */
int records_list(const char *runtime_dir, char ***ret);

/* Removes every record and unit runtime directory left in RUNTIME/units, except those of the units
 * named in @keep (adopted); returns how many records it removed. */
unsigned records_clean(const char *runtime_dir, char *const *keep);

/* ---- claims ---------------------------------------------------------------------------------------
 *
 * What a live instance shares the host with and must not let another instance have: its cgroup
 * root, its nftables table and link mark (per network namespace), its state directory. Each is a
 * file in CLAIMS_DIR that the owner holds flock(LOCK_EX) on for as long as it lives, holding its pid
 * and runtime directory. The kernel drops the lock when the owner dies, however it dies: a claim
 * whose lock is free is a dead instance's, and is taken over. See supervisor/README.md. */

/* Host-wide, and on a tmpfs that a reboot clears (as PID 1, supd mounts /run first). */
#define CLAIMS_DIR "/run/sup-instances"

struct claims;

/* The instance that holds a claim. */
struct claim_owner {
        pid_t pid;         /* as the owner saw itself; 0 when its file did not say */
        char *runtime_dir; /* NULL when its file did not say */
        char *what;        /* what it owns, "cgroup root /sup"; NULL when its file did not say */
        bool overlaps;     /* it is not the same thing as ours but contains it, or lies inside it */
};
void claim_owner_done(struct claim_owner *o);

/**
 * claims_new() - start claiming, as the instance of @runtime_dir
 * @dir: CLAIMS_DIR (made when missing)
 *
 * Takes the lock of @dir itself (bounded wait) until claims_done(): instances claim one at a
 * time, so that no one ever sees a claim file half written, or locked by an instance that is only
 * looking at it.
 *
 * Returns: 0, -ETIMEDOUT when another instance kept @dir locked for seconds, or -errno.
 */
int claims_new(const char *dir, const char *runtime_dir, struct claims **ret);

/**
 * claims_take() - claim @key of @kind
 * @kind: names the claim file with @key ("cgroup-CGNSINO", "net-NETNSINO", "state")
 * @key: what is claimed ("/sup", "sup_sup", "DEV-INO"); never empty
 * @what: for messages, "cgroup root /sup"
 * @tree: @key is a path, and a path above or below it is a conflict too
 * @ret_owner: on -EBUSY the instance that holds it, on 1 the one that held it
 *             (claim_owner_done()); untouched otherwise; may be NULL
 *
 * Returns: 0 when claimed, 1 when taken over from an instance that is gone, -EBUSY when a live
 * instance holds it (or, with @tree, a path above or below it), or -errno.
 */
int claims_take(struct claims *c, const char *kind, const char *key, const char *what, bool tree,
                struct claim_owner *ret_owner);

/* Across daemon-reexec: the held claims as a JSON array of {"name", "fd"} whose fds lose
 * O_CLOEXEC; and the claims rebuilt from such an array in the new image (the fds are taken). */
struct json_object *claims_serialize(struct claims *c);
int claims_deserialize(const char *dir, const char *runtime_dir, struct json_object *a, struct claims **ret);
/* After a failed execve: the fds are ours again, close-on-exec. */
void claims_serialize_undo(struct claims *c);

/* Lets other instances claim again; what @c claimed stays held. */
void claims_done(struct claims *c);

/* Removes every claim of @c and lets go of it. Returns NULL. */
struct claims *claims_free(struct claims *c);
static inline void claims_freep(struct claims **c) {
        *c = claims_free(*c);
}
