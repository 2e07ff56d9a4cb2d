/* SPDX-License-Identifier: MIT */
#pragma once

/* What a running unit holds, recorded under RUNTIME/units/NAME.record, so that a supd started
 * after a crash can say what it found and release it. Key=value lines; see supervisor/README.md.
 * And what the instance as a whole owns on the host, claimed so that no other instance takes it
 * (below). */

#include <stdbool.h>
#include <sys/types.h>

int record_write(const char *runtime_dir, const char *name, pid_t pid, const char *cgroup);
int record_remove(const char *runtime_dir, const char *name);

/* Removes every record and unit runtime directory left in RUNTIME/units; returns how many units
 * had something left. */
unsigned records_clean(const char *runtime_dir);

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

/* Lets other instances claim again; what @c claimed stays held. */
void claims_done(struct claims *c);

/* Removes every claim of @c and lets go of it. Returns NULL. */
struct claims *claims_free(struct claims *c);
static inline void claims_freep(struct claims **c) {
        *c = claims_free(*c);
}
