/* SPDX-License-Identifier: MIT */

/* seccomp-policy.c: the compiled BPF is run through a small classic-BPF interpreter for each
 * architecture a process on this host can call the kernel with (x86_64, i386 and x32 here), so
 * that a denied call is denied on every one of them (a 32-bit syscall must not go around the
 * filter) and the calls a normal program needs stay allowed. Then the filter is loaded for real in
 * a child (with no_new_privs: no root needed). */

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "seccomp-policy.h"
#include "tap.h"
#include "units.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* Runs FILTER on D the way the kernel does. Returns the action word, or UINT32_MAX when the
 * program uses something this interpreter does not know (a failed test, not a pass). */
static uint32_t bpf_run(const struct sock_fprog *p, const struct seccomp_data *d) {
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};

        for (size_t pc = 0; pc < p->len; pc++) {
                const struct sock_filter *f = &p->filter[pc];
                uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

                switch (BPF_CLASS(f->code)) {
                case BPF_LD:
                        if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
                                if (f->k % 4 != 0 || f->k + 4 > sizeof(*d))
                                        return UINT32_MAX;
                                memcpy(&a, (const char *) d + f->k, 4);
                        } else if (f->code == (BPF_LD | BPF_IMM))
                                a = f->k;
                        else if (f->code == (BPF_LD | BPF_MEM) && f->k < BPF_MEMWORDS)
                                a = mem[f->k];
                        else
                                return UINT32_MAX;
                        break;
                case BPF_LDX:
                        if (f->code == (BPF_LDX | BPF_IMM))
                                x = f->k;
                        else if (f->code == (BPF_LDX | BPF_MEM) && f->k < BPF_MEMWORDS)
                                x = mem[f->k];
                        else
                                return UINT32_MAX;
                        break;
                case BPF_ST:
                        if (f->k >= BPF_MEMWORDS)
                                return UINT32_MAX;
                        mem[f->k] = a;
                        break;
                case BPF_STX:
                        if (f->k >= BPF_MEMWORDS)
                                return UINT32_MAX;
                        mem[f->k] = x;
                        break;
                case BPF_ALU:
                        switch (BPF_OP(f->code)) {
                        case BPF_AND:
                                a &= src;
                                break;
                        case BPF_OR:
                                a |= src;
                                break;
                        case BPF_ADD:
                                a += src;
                                break;
                        case BPF_SUB:
                                a -= src;
                                break;
                        case BPF_LSH:
                                a = src < 32 ? a << src : 0;
                                break;
                        case BPF_RSH:
                                a = src < 32 ? a >> src : 0;
                                break;
                        case BPF_NEG:
                                a = -a;
                                break;
                        default:
                                return UINT32_MAX;
                        }
                        break;
                case BPF_JMP: {
                        bool t;

                        if (BPF_OP(f->code) == BPF_JA) {
                                pc += f->k;
                                continue;
                        }
                        switch (BPF_OP(f->code)) {
                        case BPF_JEQ:
                                t = a == src;
                                break;
                        case BPF_JGT:
                                t = a > src;
                                break;
                        case BPF_JGE:
                                t = a >= src;
                                break;
                        case BPF_JSET:
                                t = (a & src) != 0;
                                break;
                        default:
                                return UINT32_MAX;
                        }
                        pc += t ? f->jt : f->jf;
                        break;
                }
                case BPF_RET:
                        return BPF_RVAL(f->code) == BPF_A ? a : f->k;
                case BPF_MISC:
                        if (BPF_MISCOP(f->code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        break;
                default:
                        return UINT32_MAX;
                }
        }
        return UINT32_MAX; /* fell off the end: the kernel's verifier would refuse it */
}

static const struct {
        const char *label;
        uint32_t scmp;  /* libseccomp's name, for the numbers */
        uint32_t audit; /* what the kernel puts in seccomp_data.arch */
} arches[] = {
        { "x86_64", SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64 },
        { "i386", SCMP_ARCH_X86, AUDIT_ARCH_I386 },
        { "x32", SCMP_ARCH_X32, AUDIT_ARCH_X86_64 }, /* x32 numbers carry __X32_SYSCALL_BIT */
};

#define ALLOW SECCOMP_RET_ALLOW
#define DENY (SECCOMP_RET_ERRNO | EPERM)

/* Returns the action for NAME(args) on arch I, or UINT32_MAX; *missing when the arch lacks it. */
static uint32_t verdict(const struct sock_fprog *p, size_t i, const char *name, const uint64_t args[6],
                        bool *missing) {
        struct seccomp_data d = { .arch = arches[i].audit };
        int nr = seccomp_syscall_resolve_name_arch(arches[i].scmp, name);

        *missing = nr < 0;
        if (nr < 0)
                return UINT32_MAX;
        d.nr = nr;
        if (args)
                memcpy(d.args, args, sizeof(d.args));
        return bpf_run(p, &d);
}

/* Checks NAME(arg0) on every architecture that has the call. */
static void check(const struct sock_fprog *p, const char *name, uint64_t arg0, uint32_t want, const char *what) {
        const uint64_t args[6] = { arg0 };
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(arches); i++) {
                bool missing;
                uint32_t got = verdict(p, i, name, args, &missing);

                if (missing)
                        continue;
                n++;
                if (!ok(got == want, "%s: %s(0x%llx) %s", arches[i].label, name, (unsigned long long) arg0, what))
                        printf("#   got 0x%08x, want 0x%08x\n", got, want);
        }
        if (n == 0)
                ok(0, "%s: no architecture knows it", name);
}

static const char *const denied[] = {
        "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load",
        "kexec_file_load", "init_module", "finit_module", "delete_module", "mount", "umount2", "pivot_root",
        "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare",
        "setns", "swapon", "swapoff", "reboot", "settimeofday", "clock_settime", "acct", "lookup_dcookie",
        "open_by_handle_at", "quotactl", "iopl", "ioperm", "kcmp", "process_vm_readv", "process_vm_writev",
        "syslog", "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register", "uselib",
        "ustat", "sysfs", "sethostname", "vhangup", "pidfd_getfd", "mbind", "set_mempolicy", "move_pages",
};

/* i386 only (absent on x86_64 and x32). */
static const char *const denied_i386[] = { "stime", "umount", "vm86", "vm86old", "clock_settime64" };

static const char *const allowed[] = {
        "read", "write", "openat", "close", "execve", "execveat", "fork", "vfork", "wait4", "mmap",
        "futex", "chroot", "name_to_handle_at", "adjtimex", "clock_adjtime", "seccomp", "prctl", "capset",
        "setresuid", "setgroups", "kill", "ptrace", "memfd_create", "socketpair", "ioctl", "fchmodat2",
};

static void test_rules(const struct sock_fprog *p) {
        for (size_t i = 0; i < ELEMENTSOF(denied); i++)
                check(p, denied[i], 0, DENY, "denied");
        for (size_t i = 0; i < ELEMENTSOF(denied_i386); i++)
                check(p, denied_i386[i], 0, DENY, "denied");
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                check(p, allowed[i], 0, ALLOW, "allowed");

        check(p, "clone3", 0, SECCOMP_RET_ERRNO | ENOSYS, "ENOSYS: glibc falls back to clone()");

        /* fork() and pthread_create() */
        check(p, "clone", SIGCHLD, ALLOW, "fork allowed");
        check(p, "clone",
              CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                      CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
              ALLOW, "thread allowed");
        static const uint64_t ns[] = { CLONE_NEWNS,  CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                                       CLONE_NEWUSER, CLONE_NEWPID,   CLONE_NEWNET };
        for (size_t i = 0; i < ELEMENTSOF(ns); i++)
                check(p, "clone", ns[i] | SIGCHLD, DENY, "new namespace denied");
        check(p, "clone", CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID | SIGCHLD, DENY, "several namespaces denied");

        static const uint64_t personality_ok[] = { 0, 0x8, 0x20000, 0x20008, 0xffffffff };
        for (size_t i = 0; i < ELEMENTSOF(personality_ok); i++)
                check(p, "personality", personality_ok[i], ALLOW, "allowed");
        static const uint64_t personality_bad[] = { 0x0040000 /* ADDR_NO_RANDOMIZE */,
                                                    0x0400000 /* READ_IMPLIES_EXEC */,
                                                    0x1, 0x9, 0x20001, 0x80000000, 0xfffffffe, 0x7fffffff,
                                                    0xffff7fff };
        for (size_t i = 0; i < ELEMENTSOF(personality_bad); i++)
                check(p, "personality", personality_bad[i], DENY, "denied");

        check(p, "socket", AF_VSOCK, DENY, "AF_VSOCK denied");
        check(p, "socket", AF_INET, ALLOW, "AF_INET allowed");
        check(p, "socket", AF_UNIX, ALLOW, "AF_UNIX allowed");

        /* An architecture nobody added: killed, never allowed. */
        struct seccomp_data d = { .arch = AUDIT_ARCH_AARCH64, .nr = 0 };
        uint32_t got = bpf_run(p, &d) & SECCOMP_RET_ACTION_FULL;
        ok(got == SECCOMP_RET_KILL_THREAD || got == SECCOMP_RET_KILL_PROCESS,
           "an unknown architecture is killed (0x%08x)", got);
}

/* The filter loaded for real, in a child: denied calls fail with EPERM, fork still works. */
static void test_install(const struct sock_fprog *p) {
        pid_t pid;
        int status;

        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                ok(0, "fork: %m");
                return;
        }
        if (pid == 0) {
                int fails = 0;
                pid_t c;

                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_policy_install(p) < 0)
                        _exit(100);
                /* KEYCTL_GET_KEYRING_ID of the thread keyring, never created: read-only. */
                if (syscall(SYS_keyctl, 0, -1, 0) >= 0 || errno != EPERM)
                        fails |= 1;
                if (unshare(CLONE_NEWUSER) >= 0 || errno != EPERM)
                        fails |= 2;
#ifdef __x86_64__
                /* x32's keyctl (no x32 kernel here means ENOSYS unfiltered) */
                if (syscall(0x40000000 | SYS_keyctl, 0, -1, 0) >= 0 || errno != EPERM)
                        fails |= 4;
#endif
                c = fork();
                if (c == 0)
                        _exit(0);
                if (c < 0 || waitpid(c, NULL, 0) != c)
                        fails |= 8;
                _exit(fails);
        }
        if (waitpid(pid, &status, 0) != pid) {
                ok(0, "waitpid: %m");
                return;
        }
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), 0,
               "loaded: keyctl, unshare, x32 keyctl give EPERM; fork works (bits of the exit code)");
}

int main(void) {
        struct unit_config c = { .seccomp = SECCOMP_OFF };
        struct sock_fprog p = { .len = 1 };
        int r;

        r = seccomp_policy_compile(&c, &p);
        is_int(r, 0, "Seccomp=off compiles");
        ok(p.len == 0 && !p.filter, "Seccomp=off: an empty program");
        is_int(seccomp_policy_install(&p), 0, "Seccomp=off: installing it is a noop");
        seccomp_policy_free(&p);

        c.seccomp = SECCOMP_DEFAULT;
        r = seccomp_policy_compile(&c, &p);
        is_int(r, 0, "Seccomp=default compiles");
        ok(p.len > 0 && p.len <= BPF_MAXINSNS && p.filter, "Seccomp=default: %u instructions", p.len);
        if (r < 0)
                return tap_done();

        if (seccomp_arch_native() == SCMP_ARCH_X86_64)
                test_rules(&p);
        else
                printf("ok %u # SKIP the architecture checks are written for x86_64\n", ++tap_n);
        test_install(&p);

        seccomp_policy_free(&p);
        ok(p.len == 0 && !p.filter, "seccomp_policy_free() clears it");
        seccomp_policy_free(&p);
        return tap_done();
}
