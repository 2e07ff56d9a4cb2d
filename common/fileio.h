/* SPDX-License-Identifier: MIT */
#pragma once

/* Whole-file reads and writes and directory trees: the file system helpers every component
 * needs, one copy each. Every fd opened here is O_CLOEXEC and closed before returning. */

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum read_full_flags {
        /* Only a regular file: -EISDIR for a directory, -EBADFD for anything else, refused before it
         * is opened (open_regular_file_at()), so that a FIFO or a device node planted where a file is
         * expected can neither block the caller nor be opened by it. */
        READ_FULL_REGULAR = 1 << 0,
        /* Refuse data with a NUL byte in it (-EBADMSG): the caller parses it as one C string. */
        READ_FULL_TEXT = 1 << 1,
};

/**
 * read_full_file_at() - read a whole file into a NUL-terminated buffer
 * @dir_fd: directory @path is relative to, or AT_FDCWD
 * @path: the file
 * @max_size: the most bytes the file may hold (SIZE_MAX: no limit)
 * @flags: enum read_full_flags
 * @ret: the contents with a NUL after them, owned by the caller
 * @ret_size: the number of bytes read, without the NUL; may be NULL
 *
 * Reads until end of file, not up to st_size: files of /proc, /sys and cgroupfs show a size of 0.
 *
 * Returns: 0; -EFBIG when the file holds more than @max_size bytes; -EISDIR, -EBADFD or -EBADMSG
 * (see @flags); or the -errno of open(2), fstat(2) or read(2). @ret and @ret_size are untouched
 * on failure.
 */
int read_full_file_at(int dir_fd, const char *path, size_t max_size, unsigned flags, char **ret,
                      size_t *ret_size);

/**
 * read_full_fd() - read an open file to its end into a NUL-terminated buffer
 * @fd: the file, read from its current offset; not closed
 * @max_size, @flags, @ret, @ret_size: as for read_full_file_at(); READ_FULL_REGULAR looks at @fd
 *
 * Returns: as read_full_file_at(), without the errors of open(2).
 */
int read_full_fd(int fd, size_t max_size, unsigned flags, char **ret, size_t *ret_size);

/**
 * open_regular_file_at() - open a regular file for reading, and refuse anything else unopened
 * @dir_fd: directory @path is relative to, or AT_FDCWD
 * @path: the file; symlinks are followed (a loop fails at once, -ELOOP)
 * @ret_type: when @path is refused for its type (-EISDIR, -EBADFD), that type (st_mode & S_IFMT),
 *            for the caller's message (file_type_to_string()); untouched otherwise; may be NULL
 *
 * For files a user may have put anything in place of (a units directory, EnvironmentFile=).
 * What @path is gets looked at through an O_PATH fd first, which opens nothing: a FIFO is not
 * waited on and no driver's open() runs for a device node (a tape that rewinds, a watchdog that
 * arms, a serial line that raises DTR). Only a regular file is then opened, by its path again,
 * non-blocking, and checked again: a FIFO swapped in between is refused without blocking (a
 * device swapped in between is opened, then refused).
 *
 * Returns: an O_RDONLY|O_CLOEXEC|O_NOCTTY|O_NONBLOCK fd, owned by the caller; -EISDIR for a
 * directory, -EBADFD for any other file that is not a regular one; or the -errno of open(2)
 * or fstat(2).
 */
int open_regular_file_at(int dir_fd, const char *path, mode_t *ret_type);

/**
 * file_type_to_string() - the type of a file in words, for messages
 * @mode: an st_mode (only its S_IFMT bits count)
 *
 * Returns: "regular file", "directory", "FIFO", "socket", "character device", "block device",
 * "symbolic link" or "unknown type"; a static string.
 */
const char *file_type_to_string(mode_t mode);

/* read_full_file_at() relative to the working directory. */
static inline int read_full_file(const char *path, size_t max_size, unsigned flags, char **ret,
                                 size_t *ret_size) {
        return read_full_file_at(AT_FDCWD, path, max_size, flags, ret, ret_size);
}

/**
 * write_string_file_at() - write a value to a kernel interface file in one write(2)
 * @dir_fd: directory @path is relative to, or AT_FDCWD
 * @path: an existing file (cgroupfs, /proc/sys, /proc/PID/uid_map); it is not created
 * @value: the text to write
 *
 * cgroupfs, sysctls and the id maps parse each write on its own: a value split over two writes
 * would be two wrong values, so a short write is an error here rather than something to resume.
 *
 * Returns: 0, -EIO after a short write, or the -errno of open(2) or write(2).
 */
int write_string_file_at(int dir_fd, const char *path, const char *value);

/**
 * write_file_atomic() - replace a file with new contents, all at once
 * @path: the file; a temporary file "@path.tmpXXXXXX" is made beside it
 * @text: the new contents
 * @mode: the file's mode (exactly: the umask does not apply)
 * @durable: fsync(2) before the rename, for state that must survive a power cut; not needed for
 *           what lives under the runtime directory, which a reboot clears anyway
 *
 * Readers see the old contents or the new, never a part: the new file is complete before rename(2)
 * puts it in place.
 *
 * Returns: 0 or -errno; on failure the temporary file is gone and @path is untouched.
 */
int write_file_atomic(const char *path, const char *text, mode_t mode, bool durable);

/**
 * mkdir_p() - make a directory and any missing parent, as mkdir -p does
 * @path: the directory, absolute or relative
 * @mode: the mode of every directory made here (minus the umask); existing ones keep theirs
 *
 * A directory that exists already, or is made at the same time by someone else, is fine. A
 * symlink to a directory counts as a directory.
 *
 * Returns: 0, -ENOTDIR when @path or one of its parents exists and is not a directory, or
 * the -errno of mkdir(2).
 */
int mkdir_p(const char *path, mode_t mode);

/**
 * rm_rf() - remove a file or a directory tree, as rm -rf does
 * @path: what to remove; missing is fine
 *
 * Never follows a symlink (it removes the link) and stays on the file system of @path: a mount
 * below it is left alone and reported. Goes on after a failure, to remove as much as it can.
 *
 * Returns: 0, -EXDEV when a mount point was found below @path, or the first other -errno.
 */
int rm_rf(const char *path);
