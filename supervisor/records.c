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
#include "string-util.h"
#include "strv.h"
#include "units.h"
#include <json-c/json.h>

/* ---- unit records -------------------------------------------------------------------------------------- */

/* Runtime records are small; anything bigger is not ours. */
#define RECORD_SIZE_MAX (64U * 1024U)

void unit_record_init(struct unit_record *r) {
        *r = (struct unit_record) {
                .pidfd = -1,
                .sync_fd = -1,
                .stdout_fd = -1,
                .stderr_fd = -1,
                .notify_fd = -1,
                .timer_left_usec = -1,
        };
}

void unit_record_done(struct unit_record *r) {
        free(r->unit);
        free(r->cgroup);
        free(r->state);
        free(r->result);
        free(r->start_times);
        unit_record_init(r);
}

static int add_u64(json_object *o, const char *key, uint64_t v) {
        return json_object_object_add(o, key, json_object_new_uint64(v));
}

static int add_int(json_object *o, const char *key, int64_t v) {
        return json_object_object_add(o, key, json_object_new_int64(v));
}

static int add_str(json_object *o, const char *key, const char *v) {
        return v ? json_object_object_add(o, key, json_object_new_string(v)) : 0;
}

json_object *unit_record_to_json(const struct unit_record *r) {
        json_object *o = json_object_new_object(), *times = json_object_new_array();
        int k = 0;

        if (!o || !times) {
                json_object_put(o);
                json_object_put(times);
                return NULL;
        }
        for (size_t i = 0; i < r->n_start_times; i++)
                k |= json_object_array_add(times, json_object_new_uint64(r->start_times[i]));
        k |= add_str(o, "unit", r->unit);
        k |= add_int(o, "pid", r->pid);
        k |= add_u64(o, "pid_start", r->pid_start);
        k |= add_str(o, "cgroup", r->cgroup);
        k |= add_str(o, "state", r->state);
        k |= add_str(o, "result", r->result);
        k |= json_object_object_add(o, "init", json_object_new_boolean(r->init));
        k |= json_object_object_add(o, "exec_seen", json_object_new_boolean(r->exec_seen));
        k |= json_object_object_add(o, "adopted", json_object_new_boolean(r->adopted));
        k |= add_u64(o, "restarts", r->n_restarts);
        k |= add_u64(o, "failures", r->n_failures);
        k |= json_object_object_add(o, "start_times", times);
        k |= add_u64(o, "active_enter_realtime", r->active_enter_realtime);
        k |= add_u64(o, "active_enter_monotonic", r->active_enter_monotonic);
        k |= add_u64(o, "state_change_realtime", r->state_change_realtime);
        k |= add_u64(o, "oom_kills_at_start", r->oom_kills_at_start);
        k |= add_u64(o, "sync_ino", r->sync_ino);
        k |= add_u64(o, "stdout_ino", r->stdout_ino);
        k |= add_u64(o, "stderr_ino", r->stderr_ino);
        if (r->pidfd >= 0)
                k |= add_int(o, "pidfd", r->pidfd);
        if (r->sync_fd >= 0)
                k |= add_int(o, "sync_fd", r->sync_fd);
        if (r->stdout_fd >= 0)
                k |= add_int(o, "stdout_fd", r->stdout_fd);
        if (r->stderr_fd >= 0)
                k |= add_int(o, "stderr_fd", r->stderr_fd);
        if (r->notify_fd >= 0)
                k |= add_int(o, "notify_fd", r->notify_fd);
        if (r->timer_left_usec >= 0)
                k |= add_int(o, "timer_left_usec", r->timer_left_usec);
        if (k != 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static uint64_t get_u64(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static int64_t get_int(json_object *o, const char *key, int64_t def) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : def;
}

static bool get_bool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int get_str(json_object *o, const char *key, char **ret) {
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return 0;
        *ret = strdup(json_object_get_string(v));
        return *ret ? 0 : -ENOMEM;
}

int unit_record_from_json(json_object *o, struct unit_record *ret) {
        struct unit_record r;
        json_object *times;

        unit_record_init(&r);
        if (!json_object_is_type(o, json_type_object))
                return -EBADMSG;
        if (get_str(o, "unit", &r.unit) < 0 || get_str(o, "cgroup", &r.cgroup) < 0 ||
            get_str(o, "state", &r.state) < 0 || get_str(o, "result", &r.result) < 0) {
                unit_record_done(&r);
                return -ENOMEM;
        }
        r.pid = (pid_t) get_int(o, "pid", 0);
        r.pid_start = get_u64(o, "pid_start");
        r.init = get_bool(o, "init");
        r.exec_seen = get_bool(o, "exec_seen");
        r.adopted = get_bool(o, "adopted");
        r.n_restarts = (unsigned) get_u64(o, "restarts");
        r.n_failures = (unsigned) get_u64(o, "failures");
        r.active_enter_realtime = get_u64(o, "active_enter_realtime");
        r.active_enter_monotonic = get_u64(o, "active_enter_monotonic");
        r.state_change_realtime = get_u64(o, "state_change_realtime");
        r.oom_kills_at_start = get_u64(o, "oom_kills_at_start");
        r.sync_ino = get_u64(o, "sync_ino");
        r.stdout_ino = get_u64(o, "stdout_ino");
        r.stderr_ino = get_u64(o, "stderr_ino");
        r.pidfd = (int) get_int(o, "pidfd", -1);
        r.sync_fd = (int) get_int(o, "sync_fd", -1);
        r.stdout_fd = (int) get_int(o, "stdout_fd", -1);
        r.stderr_fd = (int) get_int(o, "stderr_fd", -1);
        r.notify_fd = (int) get_int(o, "notify_fd", -1);
        r.timer_left_usec = get_int(o, "timer_left_usec", -1);
        if (json_object_object_get_ex(o, "start_times", &times) && json_object_is_type(times, json_type_array)) {
                size_t n = json_object_array_length(times);

                r.start_times = n > 0 ? calloc(n, sizeof(uint64_t)) : NULL;
                if (n > 0 && !r.start_times) {
                        unit_record_done(&r);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++)
                        r.start_times[i] = json_object_get_uint64(json_object_array_get_idx(times, i));
                r.n_start_times = n;
        }
        if (!r.unit || !unit_name_is_valid(r.unit) || !r.state) {
                unit_record_done(&r);
                return -EBADMSG;
        }
        *ret = r;
        return 0;
}

static char *record_path(const char *runtime_dir, const char *name, const char *suffix) {
        return strprintf("%s/units/%s%s", runtime_dir, name, suffix);
}

int record_write(const char *runtime_dir, const struct unit_record *r) {
        _cleanup_free_ char *path = record_path(runtime_dir, r->unit, ".record");
        json_object *o = unit_record_to_json(r);
        int k;

        if (!path || !o) {
                json_object_put(o);
                return -ENOMEM;
        }
        k = write_file_atomic(path, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), 0600, false);
        json_object_put(o);
        return k;
}

int record_read(const char *runtime_dir, const char *name, struct unit_record *ret) {
        _cleanup_free_ char *path = record_path(runtime_dir, name, ".record"), *text = NULL;
        json_object *o;
        int k;

        if (!path)
                return -ENOMEM;
        k = read_full_file(path, RECORD_SIZE_MAX, 0, &text, NULL);
        if (k < 0)
                return k;
        o = json_tokener_parse(text);
        if (!o)
                return -EBADMSG;
        k = unit_record_from_json(o, ret);
        json_object_put(o);
        if (k >= 0 && !streq(ret->unit, name)) {
                unit_record_done(ret);
                return -EBADMSG;
        }
        return k;
}

int record_remove(const char *runtime_dir, const char *name) {
        static const char *const suffixes[] = { ".record", ".config" };
        int k = 0;

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *path = record_path(runtime_dir, name, suffixes[i]);

                if (!path)
                        return -ENOMEM;
                if (unlink(path) < 0 && errno != ENOENT && k == 0)
                        k = -errno;
        }
        return k;
}

int record_write_config(const char *runtime_dir, const char *name, const char *text) {
        _cleanup_free_ char *path = record_path(runtime_dir, name, ".config");

        if (!path)
                return -ENOMEM;
        return write_file_atomic(path, text, 0600, false);
}

int record_read_config(const char *runtime_dir, const char *name, char **ret) {
        _cleanup_free_ char *path = record_path(runtime_dir, name, ".config");

        if (!path)
                return -ENOMEM;
        return read_full_file(path, RECORD_SIZE_MAX, 0, ret, NULL);
}

int records_list(const char *runtime_dir, char ***ret) {
        _cleanup_free_ char *dir = strprintf("%s/units", runtime_dir);
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;
        DIR *d;
        int k = 0;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT)
                        return -errno;
                *ret = NULL;
                return 0;
        }
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] == '.' || !endswith(de->d_name, ".record"))
                        continue;
                _cleanup_free_ char *name = strndup(de->d_name, len - strlen(".record"));
                if (!name || (k = strv_consume(&names, TAKE_PTR(name))) < 0) {
                        k = -ENOMEM;
                        break;
                }
        }
        closedir(d);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(names);
        return 0;
}

/* NAME of "NAME", "NAME.record", "NAME.config", "NAME.resolv.conf" is in @keep. */
static bool kept(const char *entry, char *const *keep) {
        STRV_FOREACH(k, keep) {
                size_t n = strlen(*k);
                if (strncmp(entry, *k, n) == 0 &&
                    (entry[n] == '\0' || streq(entry + n, ".record") || streq(entry + n, ".config") ||
                     streq(entry + n, ".resolv.conf")))
                        return true;
        }
        return false;
}

unsigned records_clean(const char *runtime_dir, char *const *keep) {
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
                if (de->d_name[0] == '.' || kept(de->d_name, keep))
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

static int fd_set_cloexec(int fd, bool on) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
                return -errno;
        return fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) < 0 ? -errno : 0;
}

json_object *claims_serialize(struct claims *c) {
        json_object *a = json_object_new_array();

        if (!a)
                return NULL;
        for (size_t i = 0; i < c->n_claims; i++) {
                json_object *o = json_object_new_object();

                if (!o || json_object_object_add(o, "name", json_object_new_string(c->claims[i].name)) < 0 ||
                    json_object_object_add(o, "fd", json_object_new_int(c->claims[i].fd)) < 0 ||
                    json_object_array_add(a, o) < 0 || fd_set_cloexec(c->claims[i].fd, false) < 0) {
                        json_object_put(o);
                        json_object_put(a);
                        claims_serialize_undo(c);
                        return NULL;
                }
        }
        return a;
}

void claims_serialize_undo(struct claims *c) {
        for (size_t i = 0; c && i < c->n_claims; i++)
                (void) fd_set_cloexec(c->claims[i].fd, true);
}

int claims_deserialize(const char *dir, const char *runtime_dir, json_object *a, struct claims **ret) {
        _cleanup_(claims_freep) struct claims *c = NULL;
        size_t n = json_object_array_length(a);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->dir = strdup(dir);
        c->runtime_dir = strdup(runtime_dir);
        c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        c->claims = calloc(n + 1, sizeof(struct claim));
        if (!c->dir || !c->runtime_dir || !c->claims)
                return -ENOMEM;
        if (c->dir_fd < 0)
                return -errno;
        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(a, i), *name, *fd;

                if (!json_object_object_get_ex(o, "name", &name) || !json_object_object_get_ex(o, "fd", &fd))
                        return -EBADMSG;
                c->claims[c->n_claims] = (struct claim) {
                        .name = strdup(json_object_get_string(name)),
                        .fd = json_object_get_int(fd),
                };
                if (!c->claims[c->n_claims].name)
                        return -ENOMEM;
                c->n_claims++;
                (void) fd_set_cloexec(c->claims[c->n_claims - 1].fd, true);
        }
        *ret = TAKE_PTR(c);
        return 0;
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
