/* SPDX-License-Identifier: MIT */

/* common/fileio.h in a temporary directory: whole-file reads with their cap and flags, atomic
 * writes, single writes, mkdir_p and rm_rf; opening only regular files, refusing FIFOs, devices
 * and symlink loops unopened. No root needed. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"
#include "string-util.h"
#include "tap.h"

static char dir[] = "/tmp/test-fileio.XXXXXX";

static char *p(const char *name) {
        static char buf[4][256];
        static unsigned i;

        i = (i + 1) % ELEMENTSOF(buf);
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
        return buf[i];
}

static int put(const char *name, const void *data, size_t n) {
        _cleanup_close_ int fd = open(p(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        return fd < 0 ? -errno : loop_write(fd, data, n);
}

static mode_t mode_of(const char *path) {
        struct stat st;
        return lstat(path, &st) < 0 ? (mode_t) -1 : st.st_mode;
}

static void test_read(void) {
        _cleanup_free_ char *big = NULL;
        char *s = NULL;
        size_t n = 7;

        put("a", "hello\n", 6);
        is_int(read_full_file(p("a"), 1024, 0, &s, &n), 0, "read a file");
        is_str(s, "hello\n", "its contents");
        is_int(n, 6, "its size");
        s = mfree(s);

        is_int(read_full_file(p("a"), 6, 0, &s, NULL), 0, "exactly at the cap");
        s = mfree(s);
        n = 7;
        is_int(read_full_file(p("a"), 5, 0, &s, &n), -EFBIG, "one byte over the cap");
        ok(!s && n == 7, "outputs untouched on failure");

        put("empty", "", 0);
        is_int(read_full_file(p("empty"), 0, READ_FULL_REGULAR | READ_FULL_TEXT, &s, &n), 0,
               "an empty file");
        ok(s && *s == '\0' && n == 0, "is an empty string");
        s = mfree(s);

        put("nul", "a\0b", 3);
        is_int(read_full_file(p("nul"), 100, 0, &s, &n), 0, "binary data");
        ok(n == 3 && memcmp(s, "a\0b", 4) == 0, "with its NUL and one more");
        s = mfree(s);
        is_int(read_full_file(p("nul"), 100, READ_FULL_TEXT, &s, NULL), -EBADMSG,
               "READ_FULL_TEXT refuses a NUL");

        is_int(read_full_file(dir, 100, READ_FULL_REGULAR, &s, NULL), -EISDIR,
               "READ_FULL_REGULAR: a directory");
        is_int(mkfifo(p("fifo"), 0600), 0, "a FIFO");
        is_int(read_full_file(p("fifo"), 100, READ_FULL_REGULAR, &s, NULL), -EBADFD,
               "READ_FULL_REGULAR: refused without blocking on it");
        is_int(read_full_file(p("missing"), 100, 0, &s, NULL), -ENOENT, "a missing file");

        /* Bigger than the first chunk, so that the buffer grows. */
        big = malloc(100000);
        memset(big, 'x', 100000);
        put("big", big, 100000);
        is_int(read_full_file(p("big"), SIZE_MAX, 0, &s, &n), 0, "a big file, no cap");
        ok(n == 100000 && s[99999] == 'x' && s[100000] == '\0', "read whole");
        s = mfree(s);
        is_int(read_full_file(p("big"), 99999, 0, &s, &n), -EFBIG, "a big file over its cap");

        /* procfs shows size 0: the read goes on to the end anyway. */
        is_int(read_full_file("/proc/self/status", 1 << 20, READ_FULL_TEXT, &s, &n), 0, "a procfs file");
        ok(s && strstr(s, "\nPid:"), "read past its size of 0");
        s = mfree(s);

        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        is_int(read_full_file_at(dfd, "a", 100, READ_FULL_REGULAR, &s, NULL), 0, "read_full_file_at()");
        is_str(s, "hello\n", "relative to the directory fd");
        s = mfree(s);
}

static void test_open_regular(void) {
        _cleanup_free_ char *s = NULL;
        mode_t type = 0;
        int fd, flags;

        put("reg", "regular\n", 8);
        fd = open_regular_file_at(AT_FDCWD, p("reg"), &type);
        ok(fd >= 0, "open_regular_file_at(): a regular file");
        flags = fd >= 0 ? fcntl(fd, F_GETFL) : 0;
        ok((flags & O_ACCMODE) == O_RDONLY && (flags & O_NONBLOCK), "read-only and non-blocking");
        ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "close-on-exec");
        is_int(type, 0, "the type is left alone on success");
        if (fd >= 0) {
                is_int(read_full_fd(fd, 100, READ_FULL_REGULAR | READ_FULL_TEXT, &s, NULL), 0, "read_full_fd()");
                is_str(s, "regular\n", "its contents");
                s = mfree(s);
                /* From the current offset: nothing is left. */
                is_int(read_full_fd(fd, 100, 0, &s, NULL), 0, "read_full_fd() at the end");
                is_str(s, "", "reads nothing more");
                s = mfree(s);
                close(fd);
        }

        is_int(open_regular_file_at(AT_FDCWD, dir, &type), -EISDIR, "a directory: -EISDIR");
        ok(S_ISDIR(type), "... with its type");
        type = 0;
        /* "fifo" is test_read()'s, and nobody writes to it: an open(2) for reading would block. */
        is_int(open_regular_file_at(AT_FDCWD, p("fifo"), &type), -EBADFD, "a FIFO: -EBADFD, without blocking");
        ok(S_ISFIFO(type), "... with its type");
        type = 0;
        is_int(open_regular_file_at(AT_FDCWD, "/dev/null", &type), -EBADFD, "a device node: -EBADFD");
        ok(S_ISCHR(type), "... with its type");
        is_int(open_regular_file_at(AT_FDCWD, "/dev/null", NULL), -EBADFD, "no type asked for");
        is_int(read_full_file("/dev/null", 100, READ_FULL_REGULAR, &s, NULL), -EBADFD,
               "READ_FULL_REGULAR: a device node refused");

        is_int(symlink("reg", p("to-reg")), 0, "a symlink to a regular file");
        fd = open_regular_file_at(AT_FDCWD, p("to-reg"), NULL);
        ok(fd >= 0, "is followed");
        if (fd >= 0)
                close(fd);
        is_int(symlink("fifo", p("to-fifo")), 0, "a symlink to the FIFO");
        is_int(open_regular_file_at(AT_FDCWD, p("to-fifo"), &type), -EBADFD, "is refused as what it points at");
        is_int(symlink("loop-b", p("loop-a")), 0, "a symlink loop a -> b ...");
        is_int(symlink("loop-a", p("loop-b")), 0, "... -> a");
        type = 0;
        is_int(open_regular_file_at(AT_FDCWD, p("loop-a"), &type), -ELOOP, "-ELOOP, at once");
        is_int(type, 0, "the type is left alone on another error");
        is_int(symlink("nowhere", p("dangling")), 0, "a dangling symlink");
        is_int(open_regular_file_at(AT_FDCWD, p("dangling"), NULL), -ENOENT, "-ENOENT");
        is_int(open_regular_file_at(AT_FDCWD, p("missing"), NULL), -ENOENT, "a missing file: -ENOENT");

        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        fd = open_regular_file_at(dfd, "reg", NULL);
        ok(fd >= 0, "relative to a directory fd");
        if (fd >= 0)
                close(fd);
        is_int(open_regular_file_at(dfd, "fifo", NULL), -EBADFD, "relative to a directory fd, a FIFO");
}

static void test_file_type(void) {
        is_str(file_type_to_string(S_IFREG | 0644), "regular file", "file_type_to_string(): regular file");
        is_str(file_type_to_string(S_IFDIR), "directory", "directory");
        is_str(file_type_to_string(S_IFIFO), "FIFO", "FIFO");
        is_str(file_type_to_string(S_IFSOCK), "socket", "socket");
        is_str(file_type_to_string(S_IFCHR), "character device", "character device");
        is_str(file_type_to_string(S_IFBLK), "block device", "block device");
        is_str(file_type_to_string(S_IFLNK), "symbolic link", "symbolic link");
        is_str(file_type_to_string(0), "unknown type", "no type");
}

static void test_write_atomic(void) {
        _cleanup_free_ char *s = NULL;
        unsigned left = 0;

        is_int(write_file_atomic(p("w"), "one\n", 0600, false), 0, "write a new file");
        is_int(mode_of(p("w")) & 07777, 0600, "with its mode");
        is_int(write_file_atomic(p("w"), "two\n", 0644, true), 0, "replace it, durably");
        is_int(mode_of(p("w")) & 07777, 0644, "the new mode, whatever the umask");
        is_int(read_full_file(p("w"), 100, 0, &s, NULL), 0, "read it back");
        is_str(s, "two\n", "the new contents");
        is_int(write_file_atomic(p("nodir/w"), "x", 0644, false), -ENOENT, "no directory");

        /* No temporary file is left behind, on success or failure. */
        _cleanup_free_ char *cmd = strprintf("ls -A '%s' | grep -c tmp", dir);
        FILE *f = popen(cmd, "r");
        if (f) {
                if (fscanf(f, "%u", &left) != 1)
                        left = 999;
                pclose(f);
        }
        is_int(left, 0, "no temporary file left");
}

static void test_write_string(void) {
        _cleanup_free_ char *s = NULL;

        put("k", "old", 3);
        is_int(write_string_file_at(AT_FDCWD, p("k"), "new"), 0, "write_string_file_at()");
        is_int(read_full_file(p("k"), 100, 0, &s, NULL), 0, "read it back");
        is_str(s, "new", "the value");
        is_int(write_string_file_at(AT_FDCWD, p("nope"), "x"), -ENOENT, "never creates the file");
}

static void test_mkdir_p(void) {
        mode_t old = umask(0);

        is_int(mkdir_p(p("m/a/b/c"), 0750), 0, "mkdir_p() makes the parents");
        ok(S_ISDIR(mode_of(p("m/a/b/c"))), "the directory is there");
        is_int(mode_of(p("m/a")) & 07777, 0750, "a parent has the mode");
        is_int(mode_of(p("m/a/b/c")) & 07777, 0750, "the directory has the mode");
        is_int(mkdir_p(p("m/a/b/c"), 0700), 0, "an existing directory is fine");
        is_int(mode_of(p("m/a/b/c")) & 07777, 0750, "and keeps its mode");
        is_int(mkdir_p(p("m//x///y/"), 0755), 0, "double and trailing slashes");
        ok(S_ISDIR(mode_of(p("m/x/y"))), "made");

        put("m/file", "", 0);
        is_int(mkdir_p(p("m/file"), 0755), -ENOTDIR, "a file in place of the directory");
        is_int(mkdir_p(p("m/file/sub"), 0755), -ENOTDIR, "a file in place of a parent");
        is_int(symlink("a", p("m/link")), 0, "a symlink to a directory");
        is_int(mkdir_p(p("m/link/b"), 0755), 0, "counts as a directory");
        is_int(mkdir_p("", 0755), -ENOENT, "an empty path");
        is_int(mkdir_p("/", 0755), 0, "/ exists");
        umask(old);
}

static void test_rm_rf(void) {
        is_int(mkdir_p(p("r/a/b"), 0755), 0, "a tree");
        put("r/a/b/f", "x", 1);
        put("r/g", "y", 1);
        put("outside", "z", 1);
        is_int(symlink(p("outside"), p("r/a/l")), 0, "with a symlink out of it");
        is_int(rm_rf(p("r")), 0, "rm_rf()");
        ok(mode_of(p("r")) == (mode_t) -1, "the tree is gone");
        ok(S_ISREG(mode_of(p("outside"))), "what the symlink pointed at is not");
        is_int(rm_rf(p("r")), 0, "missing is fine");
        is_int(rm_rf(p("outside")), 0, "a single file");
        ok(mode_of(p("outside")) == (mode_t) -1, "gone");
}

int main(void) {
        if (!mkdtemp(dir))
                return tap_skip_all("cannot make a temporary directory");
        /* A FIFO opened for reading would block: the alarm turns that into a failure. */
        alarm(10);
        test_read();
        test_open_regular();
        alarm(0);
        test_file_type();
        test_write_atomic();
        test_write_string();
        test_mkdir_p();
        test_rm_rf();
        is_int(rm_rf(dir), 0, "clean up");
        return tap_done();
}
