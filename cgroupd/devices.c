/* SPDX-License-Identifier: MIT */

/* The device allowlist of a unit: the v1 devices controller where it is mounted, else a
 * BPF_PROG_TYPE_CGROUP_DEVICE program on the v2 group, assembled here by hand (a dozen kinds of
 * instruction; no libbpf), the way systemd and crun do it. */

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroupd-internal.h"
#include "log.h"
#include "macro.h"

#define DEVICE_MAJOR_MAX 4095U    /* MINORBITS 20: 12 bits of major */
#define DEVICE_MINOR_MAX 1048575U /* 20 bits */

/* Docker's default: mknod of anything (what the node is does not matter while it cannot be
 * opened), and the minimal /dev the launcher binds in. The pty slaves are majors 136-143
 * (UNIX98_PTY_MAJOR_COUNT 8), one rule each since v1 takes no ranges. */
/* clang-format off */
static const struct cg_device_rule default_rules[] = {
        { 'c', CG_DEVICE_ANY, CG_DEVICE_ANY, CG_DEVICE_MKNOD },
        { 'b', CG_DEVICE_ANY, CG_DEVICE_ANY, CG_DEVICE_MKNOD },
        { 'c', 1,   3,             CG_DEVICE_RWM }, /* null */
        { 'c', 1,   5,             CG_DEVICE_RWM }, /* zero */
        { 'c', 1,   7,             CG_DEVICE_RWM }, /* full */
        { 'c', 1,   8,             CG_DEVICE_RWM }, /* random */
        { 'c', 1,   9,             CG_DEVICE_RWM }, /* urandom */
        { 'c', 5,   0,             CG_DEVICE_RWM }, /* tty */
        { 'c', 5,   1,             CG_DEVICE_RWM }, /* console */
        { 'c', 5,   2,             CG_DEVICE_RWM }, /* ptmx */
        { 'c', 136, CG_DEVICE_ANY, CG_DEVICE_RWM }, /* pts/N */
        { 'c', 137, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 138, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 139, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 140, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 141, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 142, CG_DEVICE_ANY, CG_DEVICE_RWM },
        { 'c', 143, CG_DEVICE_ANY, CG_DEVICE_RWM },
};
/* clang-format on */

static bool rule_is_valid(const struct cg_device_rule *r) {
        return (r->type == 'c' || r->type == 'b') &&
               (r->major == CG_DEVICE_ANY || (r->major >= 0 && (unsigned) r->major <= DEVICE_MAJOR_MAX)) &&
               (r->minor == CG_DEVICE_ANY || (r->minor >= 0 && (unsigned) r->minor <= DEVICE_MINOR_MAX)) &&
               r->access != 0 && (r->access & ~(unsigned) CG_DEVICE_RWM) == 0;
}

/* ---- v1: devices.deny, devices.allow ---------------------------------------------------------- */

static void rule_number(char *buf, size_t size, int n) {
        if (n == CG_DEVICE_ANY)
                snprintf(buf, size, "*");
        else
                snprintf(buf, size, "%d", n);
}

static int devices_v1(const struct cg_unit *u, size_t i, const struct cg_device_rule *rules, size_t n) {
        const char *dir = u->dirs[i];
        int r;

        /* Deny-by-default first: it also drops the exceptions the group inherited from its parent.
         * The kernel refuses it (EINVAL) once the group has sub-groups, which a new one has not. */
        r = cg_write_at(dir, "devices.deny", "a");
        if (r < 0)
                return log_debug_errno(r, "cgroupd: cannot write \"a\" to %s/devices.deny: %m", dir);

        for (size_t k = 0; k < n; k++) {
                char major[16], minor[16], value[64];

                rule_number(major, sizeof(major), rules[k].major);
                rule_number(minor, sizeof(minor), rules[k].minor);
                snprintf(value, sizeof(value), "%c %s:%s %s%s%s", rules[k].type, major, minor,
                         rules[k].access & CG_DEVICE_READ ? "r" : "",
                         rules[k].access & CG_DEVICE_WRITE ? "w" : "",
                         rules[k].access & CG_DEVICE_MKNOD ? "m" : "");
                /* A rule the parent's devices.list does not cover is refused with EPERM. */
                r = cg_write_at(dir, "devices.allow", value);
                if (r < 0)
                        return log_debug_errno(r, "cgroupd: cannot write \"%s\" to %s/devices.allow: %m",
                                               value, dir);
        }

        log_debug("cgroupd: %s: device allowlist of %zu rules in %s", u->path, n, dir);
        return 0;
}

/* ---- v2: a BPF_PROG_TYPE_CGROUP_DEVICE program ------------------------------------------------ */

static int sys_bpf(int cmd, union bpf_attr *attr) {
        return (int) syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static uint64_t ptr_to_u64(const void *p) {
        return (uint64_t) (uintptr_t) p;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* r1 is the context on entry; after the prologue it is scratch. */
#define REG_CTX    BPF_REG_1
#define REG_TMP    BPF_REG_1
#define REG_TYPE   BPF_REG_2 /* BPF_DEVCG_DEV_* */
#define REG_ACCESS BPF_REG_3 /* BPF_DEVCG_ACC_* */
#define REG_MAJOR  BPF_REG_4
#define REG_MINOR  BPF_REG_5

#define PROLOGUE_LEN 6
#define RULE_LEN_MAX 8 /* type, access (3), major, minor; r0 = 1; exit */
#define EPILOGUE_LEN 2

/* The program, one block per rule: each condition that does not hold jumps to the next block,
 * and a block whose conditions all hold returns 1 (allow). After the last, 0 (deny). The kernel
 * asks with the access it wants (mknod, or read and/or write at open): a rule matches when it
 * grants all of it. Every rule tests the type, so no block is unreachable (the verifier refuses
 * dead code). */
static int build_prog(const struct cg_device_rule *rules, size_t n_rules, struct bpf_insn **ret,
                      size_t *ret_n) {
        _cleanup_free_ struct bpf_insn *p = NULL;
        size_t n = 0;

        p = calloc(PROLOGUE_LEN + n_rules * RULE_LEN_MAX + EPILOGUE_LEN, sizeof(*p));
        if (!p)
                return -ENOMEM;

        /* access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*. */
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, REG_TYPE, REG_CTX,
                      offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, REG_TYPE, 0, 0, 0xFFFF);
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, REG_ACCESS, REG_CTX,
                      offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        p[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, REG_ACCESS, 0, 0, 16);
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, REG_MAJOR, REG_CTX,
                      offsetof(struct bpf_cgroup_dev_ctx, major), 0);
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, REG_MINOR, REG_CTX,
                      offsetof(struct bpf_cgroup_dev_ctx, minor), 0);

        for (size_t k = 0; k < n_rules; k++) {
                const struct cg_device_rule *r = &rules[k];
                size_t jumps[4], n_jumps = 0;

                jumps[n_jumps++] = n;
                p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, REG_TYPE, 0, 0,
                              r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
                if (r->access != CG_DEVICE_RWM) {
                        /* (wanted & granted) != wanted: wants more than the rule grants. */
                        p[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, REG_TMP, REG_ACCESS, 0, 0);
                        p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, REG_TMP, 0, 0, (int32_t) r->access);
                        jumps[n_jumps++] = n;
                        p[n++] = insn(BPF_JMP | BPF_JNE | BPF_X, REG_TMP, REG_ACCESS, 0, 0);
                }
                if (r->major != CG_DEVICE_ANY) {
                        jumps[n_jumps++] = n;
                        p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, REG_MAJOR, 0, 0, r->major);
                }
                if (r->minor != CG_DEVICE_ANY) {
                        jumps[n_jumps++] = n;
                        p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, REG_MINOR, 0, 0, r->minor);
                }
                p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
                p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

                /* Offsets count from the instruction after the jump. */
                for (size_t j = 0; j < n_jumps; j++)
                        p[jumps[j]].off = (int16_t) (n - jumps[j] - 1);
        }

        p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
        p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}

static int load_prog(const struct bpf_insn *insns, size_t n) {
        union bpf_attr attr = {
                .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
                .insns = ptr_to_u64(insns),
                .insn_cnt = (uint32_t) n,
                /* Only checked for GPL-only helpers, and the program calls no helper at all. */
                .license = ptr_to_u64("MIT"),
                .prog_name = "sup_devices",
        };
        _cleanup_free_ char *vlog = NULL;
        int fd, r;

        /* bpf() fds are always O_CLOEXEC. */
        fd = sys_bpf(BPF_PROG_LOAD, &attr);
        if (fd >= 0)
                return fd;
        r = -errno;
        if (r != -EINVAL && r != -EACCES)
                return log_debug_errno(r, "cgroupd: cannot load the device program: %m");

        /* The verifier refused it: load again with a log, for the debug line. */
        vlog = calloc(1, 65536);
        if (vlog) {
                attr.log_buf = ptr_to_u64(vlog);
                attr.log_size = 65536;
                attr.log_level = 1;
                fd = sys_bpf(BPF_PROG_LOAD, &attr);
                if (fd >= 0) /* should not happen, but then we have it */
                        return fd;
        }
        return log_debug_errno(r, "cgroupd: the verifier refused the device program: %m\n%s",
                               strempty(vlog));
}

static int prog_id(int prog_fd, uint32_t *ret) {
        struct bpf_prog_info info = {};
        union bpf_attr attr = {
                .info.bpf_fd = (uint32_t) prog_fd,
                .info.info_len = sizeof(info),
                .info.info = ptr_to_u64(&info),
        };

        if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) < 0)
                return -errno;
        *ret = info.id;
        return 0;
}

/* With BPF_F_ALLOW_MULTI each attach adds a program: detach what an earlier start attached to
 * this (reused) group, after the new one is in, so the group is never without one. */
static int detach_others(int cg_fd, int keep_fd, const char *path) {
        uint32_t ids[64] = {}, keep = 0;
        union bpf_attr attr = {
                .query.target_fd = (uint32_t) cg_fd,
                .query.attach_type = BPF_CGROUP_DEVICE,
                .query.prog_ids = ptr_to_u64(ids),
                .query.prog_cnt = ELEMENTSOF(ids),
        };
        int r;

        r = prog_id(keep_fd, &keep);
        if (r < 0)
                return log_debug_errno(r, "cgroupd: cannot get the id of the device program: %m");
        if (sys_bpf(BPF_PROG_QUERY, &attr) < 0)
                return log_debug_errno(-errno, "cgroupd: cannot list the device programs of %s: %m", path);

        for (uint32_t k = 0; k < attr.query.prog_cnt && k < ELEMENTSOF(ids); k++) {
                _cleanup_close_ int fd = -EBADF;
                union bpf_attr get = {.prog_id = ids[k]}, detach = {};

                if (ids[k] == keep)
                        continue;
                fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &get);
                if (fd < 0) {
                        if (errno == ENOENT) /* detached meanwhile */
                                continue;
                        return log_debug_errno(-errno, "cgroupd: cannot get device program %u: %m", ids[k]);
                }
                detach.target_fd = (uint32_t) cg_fd;
                detach.attach_bpf_fd = (uint32_t) fd;
                detach.attach_type = BPF_CGROUP_DEVICE;
                if (sys_bpf(BPF_PROG_DETACH, &detach) < 0 && errno != ENOENT)
                        return log_debug_errno(-errno,
                                               "cgroupd: cannot detach device program %u from %s: %m",
                                               ids[k], path);
                log_debug("cgroupd: detached the earlier device program %u from %s", ids[k], path);
        }
        return 0;
}

static int devices_bpf(const struct cg_unit *u, const struct cg_device_rule *rules, size_t n_rules) {
        _cleanup_close_ int cg_fd = -EBADF, prog_fd = -EBADF;
        _cleanup_free_ struct bpf_insn *insns = NULL;
        size_t n;
        int r;

        /* BPF_PROG_ATTACH takes a real fd of the directory (fget(): no O_PATH). */
        cg_fd = open(u->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cg_fd < 0)
                return log_debug_errno(-errno, "cgroupd: cannot open %s: %m", u->dirs[0]);

        r = build_prog(rules, n_rules, &insns, &n);
        if (r < 0)
                return r;
        prog_fd = load_prog(insns, n);
        if (prog_fd < 0)
                return prog_fd;

        /* ALLOW_MULTI, as systemd and crun: a program of an ancestor (systemd's DevicePolicy=)
         * still runs and must allow too, and nothing below can widen what this one denies. */
        union bpf_attr attr = {
                .target_fd = (uint32_t) cg_fd,
                .attach_bpf_fd = (uint32_t) prog_fd,
                .attach_type = BPF_CGROUP_DEVICE,
                .attach_flags = BPF_F_ALLOW_MULTI,
        };
        if (sys_bpf(BPF_PROG_ATTACH, &attr) < 0)
                return log_debug_errno(-errno, "cgroupd: cannot attach the device program to %s: %m",
                                       u->dirs[0]);

        r = detach_others(cg_fd, prog_fd, u->dirs[0]);
        if (r < 0)
                return r;

        /* The cgroup holds the program now; it goes when the group is removed. */
        log_debug("cgroupd: %s: device program of %zu instructions (%zu rules) attached", u->path, n,
                  n_rules);
        return 0;
}

/* ---- both ------------------------------------------------------------------------------------- */

static int devices_apply(struct cg_unit *u, const struct cg_device_rule *rules, size_t n) {
        const struct cg_host *h = u->root->host;
        int i;

        for (size_t k = 0; k < n; k++)
                if (!rule_is_valid(&rules[k]))
                        return -EINVAL;

        if (access(u->dirs[0], F_OK) < 0)
                return -errno;

        /* The v1 controller wherever it is mounted, hybrid hosts included: it is what systemd and
         * runc use there, its rules show in devices.list, and the kernel checks it on every open
         * whatever else is attached. A BPF program on the hybrid v2 group would only repeat it. */
        i = cg_host_hier_of(h, CG_CONTROLLER_DEVICES);
        if (i >= 0)
                return devices_v1(u, (size_t) i, rules, n);
        if (cg_host_has_v2(h))
                return devices_bpf(u, rules, n);
        return log_debug_errno(-EOPNOTSUPP, "cgroupd: %s: no devices controller and no cgroup v2 tree",
                               u->path);
}

int cg_unit_set_devices(struct cg_unit *u) {
        return devices_apply(u, default_rules, ELEMENTSOF(default_rules));
}
