/* SPDX-License-Identifier: MIT */

/* Seccomp=default: a deny-list at least as strict as Docker's default profile (moby
 * profiles/seccomp/default.json) for the capabilities a unit gets by default. Everything not named
 * here is allowed; a denied call fails with EPERM (clone3 with ENOSYS), never kills: a program that
 * probes for a feature must be able to fall back.
 *
 * Docker's profile is an allow-list that unlocks some calls when the container holds a capability
 * (CAP_SYS_TIME → settimeofday, CAP_SYS_ADMIN → mount, ...). Here nothing depends on Capabilities=:
 * these calls are denied whatever the bounding set, so a unit with Capabilities=all is still
 * filtered; a unit that really needs one of them says Seccomp=off.
 *
 * The filter is compiled in the parent, before clone, because libseccomp allocates (once per
 * process, see seccomp_policy_compile()); the child gets plain BPF (struct sock_fprog) and loads it
 * with one syscall (seccomp_policy_install()). */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-policy.h"

#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif
#ifndef SECCOMP_MODE_FILTER
#define SECCOMP_MODE_FILTER 2
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Denied with EPERM on every architecture of the filter. A name the running libseccomp does not
 * know, or that an architecture lacks (stime, vm86 on x86_64; kexec_file_load on i386), is skipped
 * there. Keep supervisor/README.md ("Seccomp") in sync. */
static const struct {
        const char *name;
        const char *why;
} denied[] = {
        /* The kernel keyring is not namespaced. */
        { "keyctl", "the kernel keyring is not namespaced: keys of the host and of other containers" },
        { "add_key", "the kernel keyring is not namespaced" },
        { "request_key", "the kernel keyring is not namespaced; can also call out to a host helper" },

        /* Kernel attack surface and kernel memory. */
        { "bpf", "loads programs into the kernel; a large attack surface" },
        { "perf_event_open", "profiles the kernel and other processes; leaks kernel addresses" },
        { "userfaultfd", "pauses the kernel mid-copy at will: a building block of kernel exploits" },
        { "io_uring_setup", "io_uring: a large, bug-prone interface whose operations seccomp cannot see" },
        { "io_uring_enter", "io_uring" },
        { "io_uring_register", "io_uring" },
        { "lookup_dcookie", "kernel profiling (oprofile); CAP_SYS_ADMIN" },
        { "syslog", "the kernel log: host messages and kernel addresses" },
        { "kcmp", "compares kernel objects of other processes" },
        { "uselib", "the a.out loader: old kernel bugs" },
        { "vm86", "virtual-8086 mode (i386): old kernel bugs" },
        { "vm86old", "virtual-8086 mode (i386): old kernel bugs" },
        { "iopl", "raw access to the host's I/O ports" },
        { "ioperm", "raw access to the host's I/O ports" },

        /* The host kernel itself. */
        { "kexec_load", "boots another kernel" },
        { "kexec_file_load", "boots another kernel" },
        { "init_module", "loads a kernel module" },
        { "finit_module", "loads a kernel module" },
        { "delete_module", "unloads a kernel module" },
        { "create_module", "kernel modules (obsolete)" },
        { "get_kernel_syms", "kernel symbols (obsolete)" },
        { "query_module", "kernel modules (obsolete)" },
        { "reboot", "reboots the host (in a pid namespace: kills the container's init)" },
        { "swapon", "the host's swap" },
        { "swapoff", "the host's swap" },
        { "acct", "process accounting is host-wide" },
        { "quotactl", "quotas of the host's file systems" },
        { "quotactl_fd", "quotas of the host's file systems" },
        { "nfsservctl", "the kernel NFS server (obsolete)" },
        { "_sysctl", "binary sysctl (obsolete)" },
        { "sysfs", "file system types (obsolete)" },
        { "ustat", "statistics of the host's file systems (obsolete)" },
        { "bdflush", "buffer flushing daemon (obsolete, i386)" },
        { "vhangup", "hangs up the terminal" },

        /* The clock is not namespaced (a time namespace only offsets monotonic and boottime).
         * adjtimex and clock_adjtime stay allowed, as in Docker: glibc's adjtimex() and
         * ntp_gettime() read the clock's state through clock_adjtime, and a change (modes != 0,
         * inside the struct, out of the filter's sight) needs CAP_SYS_TIME. */
        { "settimeofday", "sets the host's clock" },
        { "stime", "sets the host's clock" },
        { "clock_settime", "sets the host's clock" },
        { "clock_settime64", "sets the host's clock" },

        /* The mounts supd made (masks, read-only /proc/sys and /sys, the pivot) stay as they are. */
        { "mount", "could uncover masked paths or remount read-only ones" },
        { "umount", "could uncover what the container's mounts hide" },
        { "umount2", "could uncover what the container's mounts hide" },
        { "pivot_root", "changes the container's root" },
        { "move_mount", "the new mount API" },
        { "open_tree", "the new mount API: clones mount trees" },
        { "fsopen", "the new mount API" },
        { "fsconfig", "the new mount API" },
        { "fsmount", "the new mount API" },
        { "fspick", "the new mount API: reconfigures a mounted file system" },
        { "mount_setattr", "the new mount API: changes mount flags" },

        /* New namespaces are the way around the container's own, and a user namespace opens
         * kernel code to an unprivileged caller. clone() is filtered by its flags (below). */
        { "unshare", "makes namespaces: a way around the container's own" },
        { "setns", "enters other namespaces" },
        { "sethostname", "the host's name when the unit has no uts namespace" },
        { "setdomainname", "the host's name when the unit has no uts namespace" },

        /* Reaching into other processes and other file systems. */
        { "open_by_handle_at", "opens any file of a file system by handle, around the mounts (\"shocker\")" },
        { "process_vm_readv", "reads another process's memory" },
        { "process_vm_writev", "writes another process's memory" },
        { "process_madvise", "acts on another process's memory" },
        { "pidfd_getfd", "takes a copy of another process's fd" },
        { "fanotify_init", "file system wide event marks; CAP_SYS_ADMIN" },

        /* NUMA placement: Docker allows these only with CAP_SYS_NICE; move_pages and
         * migrate_pages act on other processes. */
        { "mbind", "NUMA memory placement" },
        { "set_mempolicy", "NUMA memory placement" },
        { "set_mempolicy_home_node", "NUMA memory placement" },
        { "get_mempolicy", "NUMA memory placement" },
        { "move_pages", "moves pages of other processes between NUMA nodes" },
        { "migrate_pages", "moves pages of other processes between NUMA nodes" },
};

/* clone(): plain fork() and threads keep working; a new namespace does not (as unshare). */
static const uint64_t clone_ns_flags[] = {
        CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
};

/* personality(): the values Docker allows. Others turn off address space randomisation
 * (ADDR_NO_RANDOMIZE) or make data executable (READ_IMPLIES_EXEC) for what the process execs. */
#define PERSONALITY_LINUX32 UINT64_C(0x8)
#define PERSONALITY_UNAME26 UINT64_C(0x20000)

/* The architectures whose syscalls a process of the native one can make. */
static const struct {
        uint32_t native;
        uint32_t compat;
} compat_arches[] = {
        { SCMP_ARCH_X86_64, SCMP_ARCH_X86 },
        { SCMP_ARCH_X86_64, SCMP_ARCH_X32 },
        { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM },
};

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

/* Adds a rule failing NAME with ERROR. A name this libseccomp does not know, or that no
 * architecture of the filter has (vm86 on aarch64), is skipped rather than failing every start. */
static int deny(scmp_filter_ctx ctx, const char *name, int error, unsigned n, const struct scmp_arg_cmp *cmp) {
        int nr, r;

        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0;
        r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO((uint32_t) error), nr, n, cmp);
        /* A pseudo-syscall (native number < 0) that no architecture of the filter has. */
        if (r == -EDOM || (r == -EINVAL && nr < 0))
                return 0;
        return r;
}

/* ptrace(2) could be used to get around seccomp before Linux 4.8 (the filter ran before the tracer
 * changed the syscall). Docker denies it there too. */
static bool kernel_older_than(unsigned major, unsigned minor) {
        struct utsname u;
        unsigned a, b;

        if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) != 2)
                return true; /* unknown: the safe answer */
        return a < major || (a == major && b < minor);
}

static int add_rules(scmp_filter_ctx ctx) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(denied); i++) {
                r = deny(ctx, denied[i].name, EPERM, 0, NULL);
                if (r < 0)
                        return r;
        }

        /* clone3() passes its flags in memory, where seccomp cannot look: ENOSYS makes glibc (2.34+)
         * fall back to clone(), whose flags are checked below. */
        r = deny(ctx, "clone3", ENOSYS, 0, NULL);
        if (r < 0)
                return r;

        /* clone(): arg0 holds the flags on x86 and arm (s390 swaps the first two arguments; not a
         * target here). One rule per flag: libseccomp ORs rules, and takes one comparison per argument
         * and rule. */
        for (size_t i = 0; i < ELEMENTSOF(clone_ns_flags); i++) {
                struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]);

                r = deny(ctx, "clone", EPERM, 1, &cmp);
                if (r < 0)
                        return r;
        }

        /* personality(): allowed are 0, LINUX32, UNAME26, UNAME26|LINUX32 and the query 0xffffffff;
         * the kernel reads an unsigned int, so only the low 32 bits count. "None of these" needs
         * several comparisons of arg0 in one rule, which libseccomp refuses, so the complement is
         * spelt out bit by bit, split by bit 31: with it clear, any bit but LINUX32 and UNAME26
         * denies; with it set, any clear bit of 0..30 denies (only 0xffffffff is left). */
        for (unsigned bit = 0; bit < 31; bit++) {
                const uint64_t b = UINT64_C(1) << bit, top = UINT64_C(1) << 31;
                struct scmp_arg_cmp cmp;

                if (!(b & (PERSONALITY_LINUX32 | PERSONALITY_UNAME26))) {
                        cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, top | b, b);
                        r = deny(ctx, "personality", EPERM, 1, &cmp);
                        if (r < 0)
                                return r;
                }
                cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, top | b, top);
                r = deny(ctx, "personality", EPERM, 1, &cmp);
                if (r < 0)
                        return r;
        }

        /* socket(AF_VSOCK): the hypervisor's and the host's vsock services (Docker denies it too).
         * i386's socketcall() passes the arguments in memory and stays out of reach, as in Docker. */
        {
                struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_EQ, AF_VSOCK);

                r = deny(ctx, "socket", EPERM, 1, &cmp);
                if (r < 0)
                        return r;
        }

        if (kernel_older_than(4, 8)) {
                r = deny(ctx, "ptrace", EPERM, 0, NULL);
                if (r < 0)
                        return r;
        }

        return 0;
}

/* libseccomp 2.5 exports BPF only to an fd: a memfd, read back into memory. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ struct sock_filter *insns = NULL;
        struct stat st;
        ssize_t n;
        int r;

        fd = memfd_create("sup-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || st.st_size % (off_t) sizeof(struct sock_filter) != 0 ||
            st.st_size / (off_t) sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -E2BIG;

        insns = malloc((size_t) st.st_size);
        if (!insns)
                return -ENOMEM;
        n = pread(fd, insns, (size_t) st.st_size, 0);
        if (n < 0)
                return -errno;
        if (n != st.st_size)
                return -EIO;

        *ret = (struct sock_fprog) {
                .len = (unsigned short) (st.st_size / (off_t) sizeof(struct sock_filter)),
                .filter = TAKE_PTR(insns),
        };
        return 0;
}

static int build_default(struct sock_fprog *ret) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = NULL;
        uint32_t native;
        int r;

        ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return -ENOMEM;

        /* The launcher sets no_new_privs itself, as NoNewPrivileges= says; the filter must not. */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0)
                return r;

        /* Without the compat architectures a 32-bit syscall (int 0x80, or x32's numbers) would meet
         * the "bad architecture" action instead of these rules: the same rules go on each. */
        native = seccomp_arch_native();
        for (size_t i = 0; i < ELEMENTSOF(compat_arches); i++) {
                if (compat_arches[i].native != native)
                        continue;
                r = seccomp_arch_add(ctx, compat_arches[i].compat);
                if (r < 0 && r != -EEXIST)
                        return r;
        }

        r = add_rules(ctx);
        if (r < 0)
                return r;

        return export_bpf(ctx, ret);
}

int seccomp_policy_compile(const struct unit_config *c, struct sock_fprog *ret) {
        /* The program depends only on Seccomp=default and the running kernel, and libseccomp takes
         * milliseconds to build it: once per process, then a copy for each start (supd has no
         * threads). */
        static struct sock_fprog cached;
        struct sock_filter *insns;
        int r;

        if (!c || !ret)
                return -EINVAL;
        if (c->seccomp == SECCOMP_OFF) {
                *ret = (struct sock_fprog) {};
                return 0;
        }

        if (cached.len == 0) {
                r = build_default(&cached);
                if (r < 0)
                        return r;
        }

        insns = malloc(cached.len * sizeof(struct sock_filter));
        if (!insns)
                return -ENOMEM;
        memcpy(insns, cached.filter, cached.len * sizeof(struct sock_filter));
        *ret = (struct sock_fprog) {
                .len = cached.len,
                .filter = insns,
        };
        return 0;
}

int seccomp_policy_install(const struct sock_fprog *p) {
        if (!p || p->len == 0)
                return 0;

        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p) >= 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;
        /* Before Linux 3.17: the same filter through prctl(). */
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p, 0, 0) < 0)
                return -errno;
        return 0;
}

void seccomp_policy_free(struct sock_fprog *p) {
        if (!p)
                return;
        free(p->filter);
        *p = (struct sock_fprog) {};
}
