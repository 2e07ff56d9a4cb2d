/* SPDX-License-Identifier: MIT */
#pragma once

/* The unit's seccomp filter (Seccomp=). The parent compiles it with libseccomp before clone, into
 * plain BPF the child can load with one syscall and no allocation (the child may not malloc). The
 * policy is a deny-list at least as strict as Docker's default profile: the table of denied calls
 * and why lives in seccomp-policy.c and supervisor/README.md ("Seccomp"). */

#include <linux/filter.h>

#include "units.h"

/**
 * seccomp_policy_compile() - build the filter for Seccomp= of @c
 *
 * Runs in the parent (it allocates and reads the running kernel's version); not thread-safe: the
 * program is built once per process and copied. Seccomp=default: *ret holds a malloc'd BPF program
 * for the native architecture and its compat ones (i386 and x32 on x86_64, so that a 32-bit
 * syscall cannot go around it). Seccomp=off: ret->len == 0 and ret->filter == NULL. Free with
 * seccomp_policy_free(). Returns 0 or -errno; *ret is untouched on failure.
 */
int seccomp_policy_compile(const struct unit_config *c, struct sock_fprog *ret);

/**
 * seccomp_policy_install() - load @p into the calling thread, async-signal-safe
 *
 * For the launched child after clone: one syscall, no allocation. Noop when p->len == 0. Without
 * no_new_privs the kernel wants CAP_SYS_ADMIN (in the caller's user namespace), so the caller
 * either sets PR_SET_NO_NEW_PRIVS first or installs before dropping its capabilities. Returns 0 or
 * -errno.
 */
int seccomp_policy_install(const struct sock_fprog *p);

/**
 * seccomp_policy_free() - release what seccomp_policy_compile() allocated; takes a zeroed or
 * already freed @p.
 */
void seccomp_policy_free(struct sock_fprog *p);
