/* SPDX-License-Identifier: MIT */

/* supctl logs [-f] [-n N] NAME: the unit's log file, as supd wrote it (logstream.c describes the
 * format: "2026-11-23T07:30:01.123456Z stdout text" per line), read directly from the path supd
 * gives (GetLogPath()).
 *
 * Without -n, every line: the rotated file NAME.log.1 first, then NAME.log. With -n N, the last N
 * lines of the two. With -f, then every line written after, until interrupted: inotify on the file
 * (IN_MODIFY) and on its directory (a rotation renames NAME.log to NAME.log.1 and creates a new
 * NAME.log: what the old file got before the rename is read to its end, then the new file from
 * its start). No polling. */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-client.h"
#include "macro.h"
#include "supctl.h"

#define CHUNK (64U * 1024U)

static int get_log_path(const char *name, char **ret) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = bus_connect(&bus);
        if (r != 0)
                return r;
        r = sd_bus_call_method(bus, SUP_BUS_DESTINATION, SUP_BUS_PATH, SUP_BUS_INTERFACE, "GetLogPath", &error,
                               &reply, "s", name);
        if (r < 0)
                return bus_log_error(&error, r, "GetLogPath");
        r = sd_bus_message_read(reply, "s", &path);
        if (r < 0) {
                fprintf(stderr, "supctl: Failed to parse the reply of GetLogPath: %s\n", strerror(-r));
                return EXIT_FAILED;
        }
        *ret = strdup(path);
        if (!*ret) {
                fprintf(stderr, "supctl: out of memory\n");
                return EXIT_FAILED;
        }
        return 0;
}

/* Copies @fd from its offset to its end onto stdout. */
static int copy_to_end(int fd) {
        char buf[CHUNK];

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return 0;
                r = loop_write(STDOUT_FILENO, buf, (size_t) n);
                if (r < 0)
                        return r;
        }
}

/**
 * tail_offset() - where the last @n lines of @fd begin, reading backwards from the end
 * @ret_found: how many lines there are from there (< @n when the file has fewer)
 *
 * A last line without its newline counts as a line.
 */
static int tail_offset(int fd, uint64_t n, off_t *ret_offset, uint64_t *ret_found) {
        char buf[CHUNK];
        struct stat st;
        uint64_t found = 0;
        off_t end, pos;

        if (fstat(fd, &st) < 0)
                return -errno;
        end = pos = st.st_size;
        if (n == 0 || end == 0) {
                *ret_offset = end;
                *ret_found = 0;
                return 0;
        }

        while (pos > 0) {
                size_t len = (size_t) (pos < (off_t) sizeof(buf) ? pos : (off_t) sizeof(buf));
                ssize_t k;

                pos -= (off_t) len;
                k = pread(fd, buf, len, pos);
                if (k < 0)
                        return -errno;
                if ((size_t) k != len)
                        return -EIO; /* truncated under us */
                for (size_t i = len; i > 0; i--) {
                        if (buf[i - 1] != '\n' || pos + (off_t) i == end)
                                continue; /* the newline that ends the last line starts nothing */
                        if (++found == n) {
                                *ret_offset = pos + (off_t) i;
                                *ret_found = found;
                                return 0;
                        }
                }
        }
        /* The first line has no newline before it. */
        *ret_offset = 0;
        *ret_found = found + 1;
        return 0;
}

static int open_log(const char *path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

static int fail_path(const char *path, int r) {
        fprintf(stderr, "supctl: cannot read %s: %s\n", path, strerror(-r));
        return EXIT_FAILED;
}

/* Prints the requested lines of NAME.log.1 and of @fd (NAME.log), leaving @fd at its end. */
static int print_initial(const char *path, int fd) {
        _cleanup_free_ char *rotated = NULL;
        _cleanup_close_ int old = -EBADF;
        uint64_t found = 0;
        off_t off = 0;
        int r;

        if (asprintf(&rotated, "%s.1", path) < 0)
                return -ENOMEM;

        if (arg_lines >= 0) {
                r = tail_offset(fd, (uint64_t) arg_lines, &off, &found);
                if (r < 0)
                        return fail_path(path, r);
        }
        if (arg_lines < 0 || found < (uint64_t) arg_lines) {
                old = open_log(rotated);
                if (old < 0 && old != -ENOENT)
                        return fail_path(rotated, old);
        }
        if (old >= 0) {
                off_t old_off = 0;
                uint64_t old_found;

                if (arg_lines >= 0) {
                        r = tail_offset(old, (uint64_t) arg_lines - found, &old_off, &old_found);
                        if (r < 0)
                                return fail_path(rotated, r);
                }
                if (lseek(old, old_off, SEEK_SET) < 0 || (r = copy_to_end(old)) < 0)
                        return fail_path(rotated, r < 0 ? r : -errno);
        }

        if (lseek(fd, off, SEEK_SET) < 0)
                return fail_path(path, -errno);
        r = copy_to_end(fd);
        if (r < 0)
                return fail_path(path, r);
        return 0;
}

struct follow {
        const char *path;
        const char *base; /* "NAME.log", as the directory's events name it */
        int inotify_fd;
        int dir_wd;
        int fd;      /* the NAME.log we read, or -EBADF while there is none */
        int file_wd; /* its watch, or -1 */
        dev_t dev;
        ino_t ino;
};

/* Watches the file behind @fd itself, not whatever the path names by now. */
static int watch_fd(struct follow *f) {
        char p[64];
        struct stat st;

        if (fstat(f->fd, &st) < 0)
                return -errno;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        snprintf(p, sizeof(p), "/proc/self/fd/%d", f->fd);
        f->file_wd = inotify_add_watch(f->inotify_fd, p, IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF);
        return f->file_wd < 0 ? -errno : 0;
}

/* Reads what is new in the current file; a file truncated under us is read again from its start. */
static int follow_drain(struct follow *f) {
        struct stat st;
        off_t pos;
        int r;

        if (f->fd < 0)
                return 0;
        r = copy_to_end(f->fd);
        if (r < 0)
                return r;
        pos = lseek(f->fd, 0, SEEK_CUR);
        if (pos >= 0 && fstat(f->fd, &st) >= 0 && st.st_size < pos) {
                if (lseek(f->fd, 0, SEEK_SET) < 0)
                        return -errno;
                return copy_to_end(f->fd);
        }
        return 0;
}

/* After a rotation (or when there was no file yet): if NAME.log is another file than ours, finish
 * ours and switch to the new one, read from its start. */
static int follow_reopen(struct follow *f) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = open_log(f->path);
        if (fd == -ENOENT)
                return 0; /* between the rename and the creation: its IN_CREATE comes */
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (f->fd >= 0 && st.st_dev == f->dev && st.st_ino == f->ino)
                return 0;

        r = follow_drain(f);
        if (r < 0)
                return r;
        if (f->file_wd >= 0)
                (void) inotify_rm_watch(f->inotify_fd, f->file_wd); /* gone already after IN_DELETE_SELF */
        f->file_wd = -1;
        safe_close(f->fd);
        f->fd = TAKE_FD(fd);
        r = watch_fd(f);
        if (r < 0)
                return r;
        /* Whatever was written before the watch existed. */
        return follow_drain(f);
}

static int follow_loop(struct follow *f) {
        _Alignas(struct inotify_event) char buf[4096];
        int r;

        for (;;) {
                bool drain = false, reopen = false;
                ssize_t n;

                n = read(f->inotify_fd, buf, sizeof(buf));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;

                        if (e->mask & IN_Q_OVERFLOW)
                                drain = reopen = true;
                        else if (e->wd == f->file_wd) {
                                if (e->mask & IN_MODIFY)
                                        drain = true;
                                if (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_IGNORED))
                                        reopen = true;
                        } else if (e->wd == f->dir_wd && e->len > 0 && streq(e->name, f->base))
                                reopen = true;
                        p += sizeof(*e) + e->len;
                }
                if (drain) {
                        r = follow_drain(f);
                        if (r < 0)
                                return r;
                }
                if (reopen) {
                        r = follow_reopen(f);
                        if (r < 0)
                                return r;
                }
        }
}

int verb_logs(int argc, char **argv) {
        _cleanup_free_ char *path = NULL, *dir = NULL;
        _cleanup_close_ int fd = -EBADF, ifd = -EBADF;
        struct follow f = {};
        char *slash;
        int r;

        r = get_log_path(argv[1], &path);
        if (r != 0)
                return r;
        slash = strrchr(path, '/');
        if (!slash || slash == path) {
                fprintf(stderr, "supctl: supd gave an odd log path: %s\n", path);
                return EXIT_FAILED;
        }
        dir = strndup(path, (size_t) (slash - path));
        if (!dir) {
                fprintf(stderr, "supctl: out of memory\n");
                return EXIT_FAILED;
        }

        /* The watches come first, so that nothing written after the initial read is missed. */
        if (arg_follow) {
                ifd = inotify_init1(IN_CLOEXEC);
                if (ifd < 0) {
                        fprintf(stderr, "supctl: inotify: %s\n", strerror(errno));
                        return EXIT_FAILED;
                }
                f = (struct follow) {
                        .path = path,
                        .base = slash + 1,
                        .inotify_fd = ifd,
                        .fd = -EBADF,
                        .file_wd = -1,
                };
                f.dir_wd = inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
                if (f.dir_wd < 0)
                        return fail_path(dir, -errno);
        }

        fd = open_log(path);
        if (fd < 0 && !(fd == -ENOENT && arg_follow))
                return fail_path(path, fd);
        if (arg_follow && fd >= 0) {
                f.fd = fd;
                r = watch_fd(&f);
                if (r < 0)
                        return fail_path(path, r);
        }
        if (fd >= 0) {
                r = print_initial(path, fd);
                if (r != 0)
                        return r < 0 ? fail_path(path, r) : r;
        }
        if (!arg_follow)
                return EXIT_OK;

        fd = -EBADF; /* f owns it now */
        if (f.fd < 0) {
                r = follow_reopen(&f);
                if (r < 0)
                        return fail_path(path, r);
        }
        r = follow_loop(&f);
        safe_close(f.fd);
        return fail_path(path, r);
}
