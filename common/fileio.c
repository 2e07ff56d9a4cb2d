/* SPDX-License-Identifier: MIT */

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

#define READ_CHUNK 4096

const char *file_type_to_string(mode_t mode) {
        switch (mode & S_IFMT) {
        case S_IFREG:
                return "regular file";
        case S_IFDIR:
                return "directory";
        case S_IFIFO:
                return "FIFO";
        case S_IFSOCK:
                return "socket";
        case S_IFCHR:
                return "character device";
        case S_IFBLK:
                return "block device";
        case S_IFLNK:
                return "symbolic link";
        default:
                return "unknown type";
        }
}

/* 0 for a regular file; else -EISDIR or -EBADFD, with the type in *ret_type. */
static int check_regular(const struct stat *st, mode_t *ret_type) {
        if (S_ISREG(st->st_mode))
                return 0;
        if (ret_type)
                *ret_type = st->st_mode & S_IFMT;
        return S_ISDIR(st->st_mode) ? -EISDIR : -EBADFD;
}

int open_regular_file_at(int dir_fd, const char *path, mode_t *ret_type) {
        _cleanup_close_ int pfd = -EBADF, fd = -EBADF;
        struct stat st;
        int r;

        assert(path);

        /* O_PATH opens nothing: the type is known before any open(2) can block or have an effect. */
        pfd = openat(dir_fd, path, O_PATH | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        if (fstat(pfd, &st) < 0)
                return -errno;
        r = check_regular(&st, ret_type);
        if (r < 0)
                return r;

        /* Not a reopen of pfd through /proc/self/fd: that needs /proc, which supctl verify and an early
         * PID 1 may not have. The path may name another file by now, so it is checked again. */
        fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_regular(&st, ret_type);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

int read_full_fd(int fd, size_t max_size, unsigned flags, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        /* Room for @max_size bytes, one more to tell a longer file, and the NUL. */
        size_t limit = max_size < SIZE_MAX - 2 ? max_size + 2 : SIZE_MAX;
        size_t len = 0, allocated = 0;
        struct stat st;
        int r;

        assert(fd >= 0);
        assert(ret);

        if (fstat(fd, &st) < 0)
                return -errno;
        if (flags & READ_FULL_REGULAR) {
                r = check_regular(&st, NULL);
                if (r < 0)
                        return r;
        }
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                if ((uint64_t) st.st_size > max_size)
                        return -EFBIG;
                /* One allocation for a file that does not grow meanwhile. */
                allocated = (size_t) st.st_size + 2;
                buf = malloc(allocated);
                if (!buf)
                        return -ENOMEM;
        }

        for (;;) {
                ssize_t k;

                if (allocated - len < 2) {
                        size_t a = allocated == 0 ? READ_CHUNK : allocated * 2;
                        char *p;

                        if (allocated > limit / 2 || a > limit)
                                a = limit;
                        p = realloc(buf, a);
                        if (!p)
                                return -ENOMEM;
                        buf = p;
                        allocated = a;
                }

                k = read(fd, buf + len, allocated - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max_size)
                        return -EFBIG;
        }

        buf[len] = '\0';
        if ((flags & READ_FULL_TEXT) && memchr(buf, '\0', len))
                return -EBADMSG;

        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = len;
        return 0;
}

int read_full_file_at(int dir_fd, const char *path, size_t max_size, unsigned flags, char **ret,
                      size_t *ret_size) {
        _cleanup_close_ int fd = -EBADF;

        assert(path);
        assert(ret);

        if (flags & READ_FULL_REGULAR)
                fd = open_regular_file_at(dir_fd, path, NULL);
        else {
                fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
        }
        if (fd < 0)
                return fd;
        return read_full_fd(fd, max_size, flags, ret, ret_size);
}

int write_string_file_at(int dir_fd, const char *path, const char *value) {
        _cleanup_close_ int fd = -EBADF;
        size_t l = strlen(value);
        ssize_t k;

        fd = openat(dir_fd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        do
                k = write(fd, value, l);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        return (size_t) k == l ? 0 : -EIO;
}

int write_file_atomic(const char *path, const char *text, mode_t mode, bool durable) {
        _cleanup_free_ char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
                return -ENOMEM;
        /* A unique name: two writers of the same file do not write into one temporary file. */
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        r = loop_write(fd, text, strlen(text));
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

/* mkdir(2) that accepts an existing directory (or a symlink to one) and nothing else. */
static int mkdir_one(const char *path, mode_t mode) {
        struct stat st;

        if (mkdir(path, mode) >= 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        if (stat(path, &st) < 0)
                return -errno;
        return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = NULL;
        int r;

        assert(path);

        if (!*path)
                return -ENOENT;
        p = strdup(path);
        if (!p)
                return -ENOMEM;

        /* Each parent in turn, cutting the copy at its slash: "a//b/" makes "a" and "a//b". */
        for (char *s = p + 1; *s; s++) {
                if (*s != '/' || s[-1] == '/')
                        continue;
                *s = '\0';
                r = mkdir_one(p, mode);
                *s = '/';
                if (r < 0)
                        return r;
        }
        return mkdir_one(p, mode);
}

static int rm_rf_children(int fd, dev_t dev);

/* Removes @name in the directory @at; @dev is the file system the removal stays on. */
static int rm_rf_at(int at, const char *name, dev_t dev) {
        struct stat st;
        int fd, r;

        if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(at, name, 0) < 0 && errno != ENOENT ? -errno : 0;
        if (st.st_dev != dev)
                return -EXDEV;

        fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        r = rm_rf_children(fd, dev);
        if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
                r = -errno;
        return r;
}

/* Empties the directory open at @fd, taking the fd over. */
static int rm_rf_children(int fd, dev_t dev) {
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                int k;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                k = rm_rf_at(dirfd(d), de->d_name, dev);
                if (k < 0 && r == 0)
                        r = k;
        }
        if (errno != 0 && r == 0)
                r = -errno;
        closedir(d);
        return r;
}

int rm_rf(const char *path) {
        struct stat st;

        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        return rm_rf_at(AT_FDCWD, path, st.st_dev);
}
