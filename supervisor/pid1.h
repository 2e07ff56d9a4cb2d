/* SPDX-License-Identifier: MIT */
#pragma once

/* What supd does first when it is PID 1 (make a usable system), and last (kill what is left, unmount,
 * reboot(2)). SPEC §1 "As PID 1" and the end of §8. Nothing here logs through the log hook:
 * pid1_setup() reports each failed step to its caller, which logs it once; pid1_final() writes its few
 * progress lines straight to /dev/kmsg, the only sink left at that point. */

#include <sys/reboot.h>

/**
 * pid1_step_failed_t - called once for each step of pid1_setup() that failed
 * @step: what was attempted, phrased to follow "Failed to ", e.g. "mount /proc" or "bring up lo";
 *        a static string
 * @error: the negative errno of the failure
 * @userdata: as passed to pid1_setup()
 *
 * The intended use is log_warning_errno(error, "Failed to %s, ignoring: %m", step).
 */
typedef void (*pid1_step_failed_t)(const char *step, int error, void *userdata);

/**
 * pid1_setup() - make a usable system, as PID 1, before units start
 * @on_failure: called for each failed step, may be NULL
 * @userdata: passed to @on_failure
 *
 * In this order:
 * - mounts /proc (proc), /sys (sysfs), /dev (devtmpfs, mode=0755), /dev/pts (devpts,
 *   mode=620,ptmxmode=000), /dev/shm (tmpfs, mode=1777), /run (tmpfs, mode=0755) and cgroup2 on
 *   /sys/fs/cgroup (with nsdelegate when the kernel takes it), each only where nothing is mounted yet
 *   (whatever is there is kept), making the mount point first when it is missing;
 * - adds the /dev/fd, /dev/stdin, /dev/stdout and /dev/stderr links devtmpfs lacks;
 * - sets printk_devkmsg to "on" when it is "ratelimit": the kernel otherwise keeps only 10 lines per 5 s
 *   of each /dev/kmsg writer and silently drops the rest, and supd as PID 1 is the system's only logger.
 *   A printk.devkmsg= on the kernel command line is respected;
 * - opens /dev/console on whichever of fds 0-2 is closed; the only fds supd opens without O_CLOEXEC, as
 *   they are the standard streams;
 * - sets umask 022;
 * - sets the hostname from the first non-empty, non-comment line of /etc/hostname, trimmed (nothing
 *   when the file is missing or has no such line);
 * - brings lo up and gives it 127.0.0.1/8 when it has no IPv4 address;
 * - disables the kernel's Ctrl-Alt-Del reboot, so that the key press reaches PID 1 as SIGINT (SPEC §1).
 *
 * A failed step never stops the ones after it: PID 1 never gives up. Logs nothing.
 *
 * Return: 0 when every step succeeded, otherwise the negative errno of the first failed step.
 */
int pid1_setup(pid1_step_failed_t on_failure, void *userdata);

/**
 * pid1_final() - the end of an orderly shutdown, once every unit is stopped
 * @how: RB_POWER_OFF or RB_AUTOBOOT (RB_HALT_SYSTEM is taken too; anything else powers off)
 *
 * SIGTERM (and SIGCONT) to every remaining process, reaping; SIGKILL to whatever is still there
 * after 5 s, reaping for a bounded while; sync(); unmounts every file system it can, in the reverse
 * order of /proc/self/mountinfo, detaching busy ones; remounts / read-only; sync(); reboot(@how).
 *
 * Only for PID 1 (of the host, or of a pid namespace, where reboot(2) ends the namespace): called by
 * any other process it kills nothing and calls _exit(EXIT_FAILURE), as kill(-1, …) would hit every
 * process of the caller's user.
 *
 * Never returns: should reboot(2) fail, it sleeps in pause() forever.
 */
_Noreturn void pid1_final(int how);

/**
 * pid1_log_kmsg() - the log sink's output when supd is PID 1
 * @level: syslog level, 0 (emerg) to 7 (debug); LOG_LEVEL_* of log.h are such levels
 * @line: the message; each of its lines becomes one "<level>supd: line" record of /dev/kmsg
 *
 * /dev/kmsg is opened on first use (O_WRONLY|O_CLOEXEC|O_NOCTTY) and kept open, even across the
 * unmounting of /dev. Until it can be opened (before /dev is mounted), lines go to stderr instead.
 * Records longer than the kernel takes (992 bytes) are cut. Keeps errno.
 */
void pid1_log_kmsg(int level, const char *line);
