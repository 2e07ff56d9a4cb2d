/* SPDX-License-Identifier: MIT */

/* The claims of records.h: what one supd instance holds, another finds (with the owner's pid and
 * runtime dir) and cannot have; a path above or below a claimed one is refused too; a dead owner's
 * claim is taken over; a released claim is gone. In a temporary directory: no root needed. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "records.h"
#include "tap.h"

static char dir[] = "/tmp/test-claims.XXXXXX";

static unsigned count_files(void) {
        _cleanup_free_ char *cmd = NULL;
        unsigned n = 0;
        FILE *p;

        if (asprintf(&cmd, "ls -A '%s' | wc -l", dir) < 0 || !(p = popen(cmd, "r")))
                return 999;
        if (fscanf(p, "%u", &n) != 1)
                n = 999;
        pclose(p);
        return n;
}

/* In a child: what another instance sees. Exit status: a code per check, 0 when all hold. */
static int other_instance(pid_t parent) {
        struct claims *c = NULL;
        struct claim_owner o = {};
        int r;

        if (claims_new(dir, "/run/other", &c) < 0)
                return 10;
        r = claims_take(c, "cgroup-1", "/a", "cgroup root /a", true, &o);
        if (r != -EBUSY || o.pid != parent || !o.runtime_dir || !streq(o.runtime_dir, "/run/first") ||
            !o.what || !streq(o.what, "cgroup root /a") || o.overlaps)
                return 11;
        claim_owner_done(&o);
        r = claims_take(c, "cgroup-1", "/a/b", "cgroup root /a/b", true, &o);
        if (r != -EBUSY || o.pid != parent || !o.overlaps)
                return 12;
        claim_owner_done(&o);
        r = claims_take(c, "cgroup-1", "/", "cgroup root /", true, &o);
        if (r != -EBUSY || !o.overlaps)
                return 13;
        claim_owner_done(&o);
        if (claims_take(c, "cgroup-1", "/ab", "cgroup root /ab", true, NULL) != 0)
                return 14; /* a sibling with a common prefix is not below */
        if (claims_take(c, "cgroup-2", "/a", "cgroup root /a", true, NULL) != 0)
                return 15; /* another cgroup namespace */
        if (claims_take(c, "net-1", "sup_x", "table", false, NULL) != -EBUSY)
                return 16;
        if (claims_take(c, "net-2", "sup_x", "table", false, NULL) != 0)
                return 17; /* another network namespace */
        claims_done(c);
        /* Killed: no claims_free(). */
        return 0;
}

int main(void) {
        struct claims *c = NULL;
        struct claim_owner o = {};
        int r, status;
        pid_t pid, dead;

        if (!mkdtemp(dir))
                return tap_skip_all("mkdtemp failed");

        r = claims_new(dir, "/run/first", &c);
        is_int(r, 0, "claims_new");
        is_int(claims_take(c, "cgroup-1", "/a", "cgroup root /a", true, NULL), 0, "claim a cgroup root");
        is_int(claims_take(c, "net-1", "sup_x", "table sup_x", false, NULL), 0, "claim a table");
        is_int(claims_take(c, "state", "1-2", "state directory /s", false, NULL), 0, "claim a state dir");
        is_int(claims_take(c, "net-1", "", "nothing", false, NULL), -EINVAL, "an empty key is refused");
        claims_done(c);
        is_int(count_files(), 3, "one file per claim");

        pid = fork();
        if (pid == 0)
                _exit(other_instance(getppid()));
        dead = pid;
        waitpid(pid, &status, 0);
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
               "another instance finds each claim, its owner and overlaps, and claims the rest");

        /* What the dead child held is free: taken over, with who held it. */
        {
                struct claims *c2 = NULL;
                r = claims_new(dir, "/run/third", &c2);
                is_int(r, 0, "a third instance starts claiming");
                r = claims_take(c2, "net-2", "sup_x", "table sup_x", false, &o);
                is_int(r, 1, "a dead instance's claim is taken over");
                is_int(o.pid, dead, "... and says whose it was");
                claim_owner_done(&o);
                claims_done(c2);
                is_int(count_files(), 4, "the dead instance's other claims are removed, the live ones stay");
                c2 = claims_free(c2);
                is_int(count_files(), 3, "a released claim is removed");
        }

        c = claims_free(c);
        is_int(count_files(), 0, "claims_free removes every claim");
        (void) rm_rf(dir);
        return tap_done();
}
