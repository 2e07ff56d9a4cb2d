/* SPDX-License-Identifier: MIT */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs-util.h"
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
