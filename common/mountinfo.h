/* SPDX-License-Identifier: MIT */
#pragma once

/* /proc/PID/mountinfo, one line at a time (proc(5)):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER-OPTIONS
 *
 * The kernel escapes space, tab, newline and backslash in paths as \ooo; the fields here are
 * unescaped. */

#include <stdio.h>

struct mountinfo_entry {
        int mount_id;
        int parent_id;
        unsigned major, minor;
        char *root;           /* of the mounted file system that is seen at the mount point */
        char *mount_point;
        char *mount_options;  /* per mount: "rw,nosuid,relatime" */
        const char *optional; /* "shared:1 master:2", "" when none */
        char *fstype;         /* "ext4", "cgroup2", "fuse.sshfs" */
        char *source;         /* "/dev/sda1", "none" */
        char *super_options;  /* per file system; the v1 controllers of a cgroup mount are here */
};

/**
 * mountinfo_unescape() - undo the octal escapes of mountinfo, in place
 * @s: a field, "/mnt/a\040b" becomes "/mnt/a b"
 *
 * A backslash that does not start a \ooo escape of a byte (\000 to \377) is kept as it is.
 */
void mountinfo_unescape(char *s);

/**
 * mountinfo_parse_line() - split one line of mountinfo into its fields, in place
 * @line: the line, with or without its newline; modified: @ret points into it
 * @ret: the fields, unescaped
 *
 * Returns: 0, or -EBADMSG when @line is not a mountinfo line (@ret untouched).
 */
int mountinfo_parse_line(char *line, struct mountinfo_entry *ret);

/* Reads a mountinfo file line by line; declare with MOUNTINFO_ITER_INIT and
 * _cleanup_(mountinfo_iter_done). */
struct mountinfo_iter {
        FILE *f;
        char *line;
        size_t size;
};
#define MOUNTINFO_ITER_INIT {}

/**
 * mountinfo_open() - start reading a mountinfo file
 * @it: the iterator, MOUNTINFO_ITER_INIT or done
 * @path: the file; NULL for /proc/self/mountinfo
 *
 * The file stays open until mountinfo_iter_done(): close it before unmounting /proc.
 *
 * Returns: 0 or the -errno of fopen(3).
 */
int mountinfo_open(struct mountinfo_iter *it, const char *path);

/**
 * mountinfo_next() - the next mount
 * @it: an open iterator
 * @ret: the fields of the next well-formed line, valid until the next call on @it
 *
 * Lines that do not parse are skipped.
 *
 * Returns: 1 with @ret filled, 0 at the end, or -errno (-EIO for a read error).
 */
int mountinfo_next(struct mountinfo_iter *it, struct mountinfo_entry *ret);

/* Closes the file and frees the line buffer; the iterator can be opened again. */
void mountinfo_iter_done(struct mountinfo_iter *it);
