/* SPDX-License-Identifier: MIT */

/* common/mountinfo.h: lines with and without optional fields, escaped paths, malformed lines, and
 * the iterator over a file and over the real /proc/self/mountinfo. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "mountinfo.h"
#include "tap.h"

static void test_unescape(void) {
        char a[] = "/mnt/a\\040b\\011c\\012d\\134e";
        char b[] = "\\\\x\\400\\08\\04";

        mountinfo_unescape(a);
        is_str(a, "/mnt/a b\tc\nd\\e", "\\040, \\011, \\012 and \\134");
        mountinfo_unescape(b);
        is_str(b, "\\\\x\\400\\08\\04", "what is not \\000-\\377 stays");
}

static void test_parse(void) {
        char l1[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n";
        char l2[] = "25 1 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct";
        char l3[] = "40 36 0:5 /a\\040b /mnt/with\\040space rw shared:2 master:7 - tmpfs my\\040src rw";
        char bad1[] = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 ext3 /dev/root rw";
        char bad2[] = "36 35 98:0 /mnt1";
        char bad3[] = "x 35 98:0 / / rw - ext4 /dev/sda rw";
        char bad4[] = "36 35 98:0 / / rw - ext4";
        struct mountinfo_entry e = {};

        is_int(mountinfo_parse_line(l1, &e), 0, "the example of proc(5)");
        is_int(e.mount_id, 36, "mount id");
        is_int(e.parent_id, 35, "parent id");
        ok(e.major == 98 && e.minor == 0, "major:minor");
        is_str(e.root, "/mnt1", "root");
        is_str(e.mount_point, "/mnt2", "mount point");
        is_str(e.mount_options, "rw,noatime", "mount options");
        is_str(e.optional, "master:1", "optional fields");
        is_str(e.fstype, "ext3", "fstype");
        is_str(e.source, "/dev/root", "source");
        is_str(e.super_options, "rw,errors=continue", "super options, without the newline");

        is_int(mountinfo_parse_line(l2, &e), 0, "no optional fields");
        is_str(e.optional, "", "empty optional fields");
        is_str(e.mount_point, "/sys/fs/cgroup/cpu,cpuacct", "a v1 hierarchy");
        is_str(e.super_options, "rw,cpu,cpuacct", "its controllers");

        is_int(mountinfo_parse_line(l3, &e), 0, "escaped paths, two optional fields");
        is_str(e.root, "/a b", "root unescaped");
        is_str(e.mount_point, "/mnt/with space", "mount point unescaped");
        is_str(e.source, "my src", "source unescaped");
        is_str(e.optional, "shared:2 master:7", "both optional fields");

        e = (struct mountinfo_entry) { .mount_id = 99 };
        is_int(mountinfo_parse_line(bad1, &e), -EBADMSG, "no separator");
        is_int(mountinfo_parse_line(bad2, &e), -EBADMSG, "too few fields");
        is_int(mountinfo_parse_line(bad3, &e), -EBADMSG, "not a number");
        is_int(mountinfo_parse_line(bad4, &e), -EBADMSG, "nothing after the fstype");
        is_int(e.mount_id, 99, "the entry is untouched on failure");
}

static void test_iter_file(void) {
        _cleanup_(mountinfo_iter_done) struct mountinfo_iter it = MOUNTINFO_ITER_INIT;
        char path[] = "/tmp/test-mountinfo.XXXXXX";
        struct mountinfo_entry e;
        unsigned n = 0;
        FILE *f;
        int fd;

        fd = mkstemp(path);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
                ok(0, "temporary file");
                return;
        }
        fputs("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
              "garbage\n"
              "\n"
              "2 1 0:5 / /mnt\\040x rw - tmpfs tmpfs rw\n", f);
        fclose(f);

        is_int(mountinfo_open(&it, path), 0, "open a file");
        while (mountinfo_next(&it, &e) > 0) {
                n++;
                if (n == 2)
                        is_str(e.mount_point, "/mnt x", "second mount, unescaped");
        }
        is_int(n, 2, "two mounts, the garbage lines skipped");
        is_int(mountinfo_next(&it, &e), 0, "still at the end");
        mountinfo_iter_done(&it);
        ok(!it.f && !it.line, "done resets the iterator");
        is_int(mountinfo_open(&it, "/nonexistent/mountinfo"), -ENOENT, "a missing file");
        unlink(path);
}

static void test_iter_self(void) {
        _cleanup_(mountinfo_iter_done) struct mountinfo_iter it = MOUNTINFO_ITER_INIT;
        struct mountinfo_entry e;
        bool root = false;
        int r;

        r = mountinfo_open(&it, NULL);
        if (r < 0) {
                diag("no /proc/self/mountinfo: %s", strerror(-r));
                return;
        }
        while ((r = mountinfo_next(&it, &e)) > 0)
                if (strcmp(e.mount_point, "/") == 0)
                        root = true;
        is_int(r, 0, "/proc/self/mountinfo read to the end");
        ok(root, "it has /");
}

int main(void) {
        test_unescape();
        test_parse();
        test_iter_file();
        test_iter_self();
        return tap_done();
}
