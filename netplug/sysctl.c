/* SPDX-License-Identifier: MIT */

/* The sysctls netplug changes (forwarding, route_localnet of a bridge), with their old values
 * kept in memory and in RUNTIME/netplug.sysctl ("KEY VALUE" lines), so that a shutdown — or the
 * successor of a killed instance — puts them back. The record lives on the runtime dir, a tmpfs:
 * after a reboot the kernel's values are the right ones again and the record is gone with it. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"
#include "macro.h"
#include "netplug-internal.h"

/* "/proc/sys/" and a key as long as np_sysctl_restore_stale() reads one (255 bytes); the keys
 * netplug sets are short ("net/ipv4/conf/BRIDGE/route_localnet"). */
#define SYSCTL_PATH_MAX (STRLEN("/proc/sys/") + 255 + 1)

/* A record's line: the key as SYSCTL_PATH_MAX allows, a value as np_sysctl_set() reads one. */
#define RECORD_KEY_MAX   255
#define RECORD_VALUE_MAX 63

/* "/proc/sys/KEY" in @buf. On the stack rather than from malloc(): forwarding is checked at every
 * start of a unit with published ports, while supd's pages are shared copy-on-write with the
 * unit's first process and every page written is a fault. */
static int sysctl_path(const char *key, char buf[static SYSCTL_PATH_MAX]) {
        int l = snprintf(buf, SYSCTL_PATH_MAX, "/proc/sys/%s", key);
        return l < 0 || (size_t) l >= SYSCTL_PATH_MAX ? -ENAMETOOLONG : 0;
}

int np_sysctl_read(const char *key, char *buf, size_t len) {
        _cleanup_close_ int fd = -EBADF;
        char path[SYSCTL_PATH_MAX];
        ssize_t k;
        int r;

        r = sysctl_path(key, path);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        k = read(fd, buf, len - 1);
        if (k < 0)
                return -errno;
        while (k > 0 && (buf[k - 1] == '\n' || buf[k - 1] == ' '))
                k--;
        buf[k] = '\0';
        return 0;
}

int np_sysctl_write(const char *key, const char *value) {
        char path[SYSCTL_PATH_MAX];
        int r;

        r = sysctl_path(key, path);
        if (r < 0)
                return r;
        return write_string_file_at(AT_FDCWD, path, value);
}

static char *record_path(const struct netplug *np) {
        char *p;

        if (!np->runtime_dir)
                return NULL;
        if (asprintf(&p, "%s/netplug.sysctl", np->runtime_dir) < 0)
                return NULL;
        return p;
}

static int record_write(struct netplug *np) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        if (!np->runtime_dir)
                return 0;
        path = record_path(np);
        if (!path)
                return -ENOMEM;
        if (np->n_sysctls == 0)
                return unlink(path) < 0 && errno != ENOENT ? -errno : 0;

        r = mkdir_p(np->runtime_dir, 0755);
        if (r < 0)
                return r;
        f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < np->n_sysctls; i++)
                fprintf(f, "%s %s\n", np->sysctls[i].key, np->sysctls[i].value);
        if (fclose(f) != 0)
                return -ENOMEM;
        /* Not durable: the runtime dir is a tmpfs, and after a reboot the kernel's values are the
         * right ones anyway. */
        return write_file_atomic(path, text, 0644, false);
}

/* Remembers @value as @key's value before this instance changed it, unless it is remembered
 * already (the first one is the one to put back). Returns 1 when added, 0 when known. */
static int remember(struct netplug *np, const char *key, const char *value) {
        struct np_sysctl *p;

        for (size_t i = 0; i < np->n_sysctls; i++)
                if (streq(np->sysctls[i].key, key))
                        return 0;
        p = realloc(np->sysctls, (np->n_sysctls + 1) * sizeof(*p));
        if (!p)
                return -ENOMEM;
        np->sysctls = p;
        p[np->n_sysctls] = (struct np_sysctl){strdup(key), strdup(value)};
        if (!p[np->n_sysctls].key || !p[np->n_sysctls].value) {
                free(p[np->n_sysctls].key);
                free(p[np->n_sysctls].value);
                return -ENOMEM;
        }
        np->n_sysctls++;
        return 1;
}

int np_sysctl_set(struct netplug *np, const char *key, const char *value) {
        char cur[64];
        int r;

        r = np_sysctl_read(key, cur, sizeof(cur));
        if (r < 0)
                return r;
        if (streq(cur, value))
                return 0;

        r = remember(np, key, cur);
        if (r < 0)
                return r;
        if (r > 0) {
                /* Recorded before the change: a crash right after it still leaves the way back. */
                r = record_write(np);
                if (r < 0)
                        log_debug_errno(r, "netplug: could not record the old value of %s, ignoring: %m",
                                        key);
        }

        log_debug("netplug: sysctl %s: %s -> %s", key, cur, value);
        return np_sysctl_write(key, value);
}

bool np_sysctl_is_shared(const char *key) {
        return streq(key, "net/ipv4/ip_forward") || streq(key, "net/ipv6/conf/all/forwarding");
}

int np_sysctl_restore(struct netplug *np, const char *key, bool keep_shared) {
        int ret = 0;
        size_t j = 0;

        for (size_t i = 0; i < np->n_sysctls; i++) {
                struct np_sysctl *s = &np->sysctls[i];

                if (key && !streq(s->key, key)) {
                        np->sysctls[j++] = *s;
                        continue;
                }
                if (keep_shared && np_sysctl_is_shared(s->key))
                        log_debug("netplug: sysctl %s left as it is: another instance may need it", s->key);
                else {
                        int r = np_sysctl_write(s->key, s->value);
                        /* A bridge that is gone took its per-device value with it. */
                        if (r < 0 && r != -ENOENT && ret == 0)
                                ret = r;
                        log_debug("netplug: sysctl %s restored to %s", s->key, s->value);
                }
                free(s->key);
                free(s->value);
        }
        if (j == np->n_sysctls)
                return ret;
        np->n_sysctls = j;
        int r = record_write(np);
        return ret < 0 ? ret : r;
}

/* A "KEY VALUE" line of the record, with a key below /proc/sys/net that stays there. */
static bool record_parse(const char *line, char key[static RECORD_KEY_MAX + 1],
                         char value[static RECORD_VALUE_MAX + 1]) {
        return sscanf(line, "%255s %63s", key, value) == 2 && !strstr(key, "..") && startswith(key, "net/");
}

/* The predecessor's record: 1 with *ret open (and *ret_path), 0 when there is none, or -errno. */
static int record_open(struct netplug *np, FILE **ret, char **ret_path) {
        _cleanup_free_ char *path = NULL;

        if (!np->runtime_dir)
                return 0;
        path = record_path(np);
        if (!path)
                return -ENOMEM;
        *ret = fopen(path, "re");
        if (!*ret)
                return errno == ENOENT ? 0 : -errno;
        *ret_path = TAKE_PTR(path);
        return 1;
}

int np_sysctl_restore_stale(struct netplug *np, bool keep_shared) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        size_t linesz = 0;
        bool adopted = false;
        FILE *f;
        int r;

        r = record_open(np, &f, &path);
        if (r <= 0)
                return r;

        while (getline(&line, &linesz, f) >= 0) {
                char key[RECORD_KEY_MAX + 1], value[RECORD_VALUE_MAX + 1];

                if (!record_parse(line, key, value))
                        continue;
                if (keep_shared && np_sysctl_is_shared(key)) {
                        /* Taken over as if this instance had made the change: the last
                         * instance of the namespace to go puts it back. */
                        r = remember(np, key, value);
                        adopted = adopted || r > 0;
                        log_debug_errno(r, "netplug: sysctl %s kept for another instance, %s recorded: %m",
                                        key, value);
                        continue;
                }
                r = np_sysctl_write(key, value);
                log_debug_errno(r, "netplug: sysctl %s restored to %s after a killed predecessor: %m", key,
                                value);
        }
        fclose(f);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return adopted ? record_write(np) : 0;
}

int np_sysctl_take_over(struct netplug *np) {
        _cleanup_free_ char *path = NULL, *line = NULL;
        size_t linesz = 0, n = 0;
        FILE *f;
        int r;

        r = record_open(np, &f, &path);
        if (r <= 0)
                return r;

        while (getline(&line, &linesz, f) >= 0) {
                char key[RECORD_KEY_MAX + 1], value[RECORD_VALUE_MAX + 1];

                if (!record_parse(line, key, value))
                        continue;
                r = remember(np, key, value);
                if (r < 0) {
                        fclose(f);
                        return r;
                }
                n += (size_t) r;
        }
        fclose(f);
        log_debug("netplug: %zu sysctl value(s) taken over from a predecessor's record", n);
        /* Rewritten as this instance's own: what was not parsed goes. */
        return record_write(np);
}

void np_sysctls_free(struct netplug *np) {
        for (size_t i = 0; i < np->n_sysctls; i++) {
                free(np->sysctls[i].key);
                free(np->sysctls[i].value);
        }
        np->sysctls = mfree(np->sysctls);
        np->n_sysctls = 0;
}
