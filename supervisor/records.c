/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "hash.h"
#include "log.h"
#include "macro.h"
#include "records.h"

int record_write(const char *runtime_dir, const char *name, pid_t pid, const char *cgroup) {
        _cleanup_free_ char *path = NULL, *text = NULL;

        if (asprintf(&path, "%s/units/%s.record", runtime_dir, name) < 0 ||
            asprintf(&text, "unit=%s\npid=" PID_FMT "\ncgroup=%s\nstarted=%lld\n", name, pid, strempty(cgroup),
                     (long long) time(NULL)) < 0)
                return -ENOMEM;
        return write_file_atomic(path, text, 0600, false);
}

int record_remove(const char *runtime_dir, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/units/%s.record", runtime_dir, name) < 0)
                return -ENOMEM;
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

unsigned records_clean(const char *runtime_dir) {
        _cleanup_free_ char *dir = NULL;
        unsigned n = 0;
        struct dirent *de;
        DIR *d;

        if (asprintf(&dir, "%s/units", runtime_dir) < 0)
                return 0;
        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;
                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        break;
                if (endswith(de->d_name, ".record")) {
                        n++;
                        log_debug("Removing stale record %s", p);
                }
                int r = rm_rf(p);
                if (r < 0)
                        log_warning_errno(r, "Failed to remove stale '%s', ignoring: %m", p);
        }
        closedir(d);
        return n;
}

/* ---- claims ------------------------------------------------------------------------------------------ */

/* How long an instance waits for another one to finish claiming (milliseconds of its own work). */
#define CLAIMS_LOCK_TIMEOUT_MS 5000
/* A key made of these, and this short, names its file as it is; any other, by its hash. */
#define CLAIM_KEY_READABLE_MAX 64

struct claim {
        char *name; /* in the claims directory */
        int fd;     /* flock(LOCK_EX) held until claims_free() */
};

struct claims {
        char *dir;
        char *runtime_dir;
        int dir_fd; /* the claims directory; flock(LOCK_EX) on it while claiming or releasing */
        bool locked;
        struct claim *claims;
        size_t n_claims;
};

void claim_owner_done(struct claim_owner *o) {
        o->runtime_dir = mfree(o->runtime_dir);
        o->what = mfree(o->what);
}

static int lock_bounded(int fd, unsigned timeout_ms) {
        for (unsigned waited = 0;; waited += 10) {
                if (flock(fd, LOCK_EX | LOCK_NB) >= 0)
                        return 0;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (waited >= timeout_ms)
                        return -ETIMEDOUT;
                (void) usleep(10 * 1000);
        }
}

int claims_new(const char *dir, const char *runtime_dir, struct claims **ret) {
        _cleanup_(claims_freep) struct claims *c = NULL;
        int r;

        r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->dir_fd = -EBADF;
        c->dir = strdup(dir);
        c->runtime_dir = strdup(runtime_dir);
        if (!c->dir || !c->runtime_dir)
                return -ENOMEM;
        c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (c->dir_fd < 0)
                return -errno;
        r = lock_bounded(c->dir_fd, CLAIMS_LOCK_TIMEOUT_MS);
        if (r < 0)
                return r;
        c->locked = true;
        *ret = TAKE_PTR(c);
        return 0;
}

/* Removes the claims of instances that are gone (their lock is free), so that the directory does not
 * grow with every killed instance. Ours are locked through our own fds, so they stay. Only while the
 * directory is locked: no instance is between creating a claim file and locking it. */
static void claims_gc(struct claims *c) {
        struct dirent *de;
        int fd;
        DIR *d;

        fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return;
        }
        while ((de = readdir(d))) {
                _cleanup_close_ int cfd = -EBADF;

                if (de->d_name[0] == '.')
                        continue;
                cfd = openat(c->dir_fd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
                if (cfd >= 0 && flock(cfd, LOCK_EX | LOCK_NB) >= 0) {
                        log_debug("Removing the claim %s/%s of an instance that is gone.", c->dir,
                                  de->d_name);
                        (void) unlinkat(c->dir_fd, de->d_name, 0);
                }
        }
        closedir(d);
}

void claims_done(struct claims *c) {
        if (c && c->locked) {
                claims_gc(c);
                (void) flock(c->dir_fd, LOCK_UN);
                c->locked = false;
        }
}

struct claims *claims_free(struct claims *c) {
        if (!c)
                return NULL;
        /* Unlinked only while the directory is locked: an instance claiming the same thing then
         * either opens the file before (and finds it locked by us) or after (and makes a new one),
         * never a file that is no longer in the directory. Without the lock, the files stay, free:
         * the next instance takes them over. */
        if (!c->locked && c->dir_fd >= 0 && c->n_claims > 0 && lock_bounded(c->dir_fd, 1000) >= 0)
                c->locked = true;
        for (size_t i = 0; i < c->n_claims; i++) {
                if (c->locked)
                        (void) unlinkat(c->dir_fd, c->claims[i].name, 0);
                safe_close(c->claims[i].fd);
                free(c->claims[i].name);
        }
        free(c->claims);
        claims_done(c);
        safe_close(c->dir_fd);
        free(c->dir);
        free(c->runtime_dir);
        free(c);
        return NULL;
}

/* "KIND-KEY" for a short key of [A-Za-z0-9_.-] ("net-4026531840-sup_sup"), else "KIND-%HASH": a
 * readable key never has "%", so the two forms never meet. */
static char *claim_file_name(const char *kind, const char *key) {
        size_t l = strlen(key);
        bool readable = l <= CLAIM_KEY_READABLE_MAX;
        char *name;

        for (const char *p = key; readable && *p; p++)
                readable = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-';
        if (readable ? asprintf(&name, "%s-%s", kind, key) < 0
                     : asprintf(&name, "%s-%%%016" PRIx64, kind, fnv1a_64_str(key)) < 0)
                return NULL;
        return name;
}

/* Fills @o from a claim file; returns the key it names (NULL when none). */
static char *owner_read(int dir_fd, const char *name, struct claim_owner *o) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        char buf[4096], *key = NULL, *p, *line;
        ssize_t n;

        *o = (struct claim_owner){};
        if (fd < 0)
                return NULL;
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        for (p = buf; (line = strsep(&p, "\n"));) {
                const char *v;
                if ((v = startswith(line, "pid=")))
                        o->pid = (pid_t) strtol(v, NULL, 10);
                else if ((v = startswith(line, "runtime_dir=")) && !o->runtime_dir)
                        o->runtime_dir = strdup(v);
                else if ((v = startswith(line, "what=")) && !o->what)
                        o->what = strdup(v);
                else if ((v = startswith(line, "key=")) && !key)
                        key = strdup(v);
        }
        return key;
}

/* One of two absolute paths is the other or lies below it. */
static bool paths_overlap(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        const char *shorter = la <= lb ? a : b, *longer = la <= lb ? b : a;
        size_t l = la <= lb ? la : lb;

        if (strncmp(shorter, longer, l) != 0)
                return false;
        return longer[l] == '\0' || longer[l] == '/' || (l > 0 && shorter[l - 1] == '/');
}

/* A live claim of @kind, other than @self, on a path above or below @key. */
static int tree_conflict(struct claims *c, const char *kind, const char *self, const char *key,
                         struct claim_owner *ret_owner) {
        _cleanup_free_ char *prefix = NULL;
        struct dirent *de;
        int r = 0, fd;
        DIR *d;

        if (asprintf(&prefix, "%s-", kind) < 0)
                return -ENOMEM;
        /* Its own fd: readdir() moves the offset of the one it reads. */
        fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        while (r == 0 && (de = readdir(d))) {
                _cleanup_(claim_owner_done) struct claim_owner o = {};
                _cleanup_close_ int cfd = -EBADF;
                _cleanup_free_ char *theirs = NULL;

                if (!startswith(de->d_name, prefix) || streq(de->d_name, self))
                        continue;
                cfd = openat(c->dir_fd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
                if (cfd < 0)
                        continue;
                /* Free: its owner is gone. Looking takes the lock for a moment, which no claimer can
                 * notice: they all wait for the directory's lock, which we hold. */
                if (flock(cfd, LOCK_SH | LOCK_NB) >= 0)
                        continue;
                theirs = owner_read(c->dir_fd, de->d_name, &o);
                if (!theirs || !paths_overlap(theirs, key))
                        continue;
                o.overlaps = true;
                if (ret_owner) {
                        *ret_owner = o;
                        o = (struct claim_owner){};
                }
                r = -EBUSY;
        }
        closedir(d);
        return r;
}

int claims_take(struct claims *c, const char *kind, const char *key, const char *what, bool tree,
                struct claim_owner *ret_owner) {
        _cleanup_(claim_owner_done) struct claim_owner old = {};
        _cleanup_free_ char *name = NULL, *text = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct claim *a;
        struct stat st;
        int r;

        assert(c->locked);
        if (!key || !*key || strchr(key, '\n') || strchr(what, '\n'))
                return -EINVAL;
        name = claim_file_name(kind, key);
        if (!name)
                return -ENOMEM;

        fd = openat(c->dir_fd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (ret_owner)
                        free(owner_read(c->dir_fd, name, ret_owner));
                return -EBUSY;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size > 0) /* a dead instance's: say whose */
                free(owner_read(c->dir_fd, name, &old));

        if (tree) {
                r = tree_conflict(c, kind, name, key, ret_owner);
                if (r < 0) {
                        /* Nothing of ours to keep; a dead owner's file says no more than that it is gone. */
                        (void) unlinkat(c->dir_fd, name, 0);
                        return r;
                }
        }

        if (asprintf(&text, "pid=" PID_FMT "\nruntime_dir=%s\nwhat=%s\nkey=%s\n", getpid(), c->runtime_dir,
                     what, key) < 0)
                return -ENOMEM;
        a = reallocarray(c->claims, c->n_claims + 1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        c->claims = a;
        if (ftruncate(fd, 0) < 0)
                return -errno;
        r = loop_write(fd, text, strlen(text));
        if (r < 0)
                return r;
        a[c->n_claims++] = (struct claim){.name = TAKE_PTR(name), .fd = TAKE_FD(fd)};

        if (st.st_size == 0)
                return 0;
        if (ret_owner) {
                *ret_owner = old;
                old = (struct claim_owner){};
        }
        return 1;
}
