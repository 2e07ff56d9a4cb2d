#!/bin/bash
# SPDX-License-Identifier: MIT
# Seccomp= (SPEC §3, §7): with the default, every process of the unit (its init and the payload) has a
# filter (Seccomp: 2) under which each call of the deny-list fails with EPERM, while the same probe run on
# the host, unfiltered, does not (so each check can fail); fork, threads and busybox still work, also
# without no_new_privs for a non-root user. Seccomp=off installs nothing.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

# Probes of `payload syscall` (tests/helpers/payload.c), each harmless when unfiltered.
denied=(keyctl add_key request_key bpf perf_event_open userfaultfd io_uring_setup kexec_load kexec_file_load
        init_module finit_module delete_module mount umount2 pivot_root open_tree move_mount fsopen fsmount
        fspick mount_setattr unshare setns clone-newuser clone3 reboot settimeofday clock_settime swapon swapoff
        acct open_by_handle_at personality quotactl kcmp process_vm_readv process_vm_writev pidfd_getfd syslog
        fanotify_init mbind set_mempolicy sethostname socket-vsock iopl ioperm x32-keyctl i386-keyctl)
allowed=(fork thread chroot personality-query adjtimex clock_adjtime name_to_handle_at socket-unix)
# With Seccomp=off, answers that come from the kernel and not from missing capabilities.
unfiltered=(keyctl add_key request_key perf_event_open setns clone3 clock_settime socket-vsock personality kcmp
            process_vm_readv mbind x32-keyctl)

unit sec-report <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
[Service]
Restart=no
EOF

unit sec-off-report <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
Seccomp=off
[Service]
Restart=no
EOF

# Without no_new_privs the filter needs CAP_SYS_ADMIN when it is loaded: before the switch to the user.
unit sec-nonnp <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
User=65534
NoNewPrivileges=no
[Service]
Restart=no
EOF

# The denied probes in chunks: units/ refuses lines of 200 characters or more. Each chunk runs with the
# default bounding set and with Capabilities=all (the filter does not depend on it).
chunks=()
chunk=
for name in "${denied[@]}"; do
        if ((${#chunk} + ${#name} > 150)); then
                chunks+=("$chunk")
                chunk=
        fi
        chunk+="${chunk:+ }$name"
done
chunks+=("$chunk")
denied_units=()
declare -A last_probe
for i in "${!chunks[@]}"; do
        for caps in default all; do
                u=sec-denied-$caps-$i
                denied_units+=("$u")
                last_probe[$u]=${chunks[$i]##* }
                {
                        printf '[Unit]\nAutoStart=no\n[Container]\n'
                        printf 'Exec=/bin/payload syscall %s\nRootFS=%s\n' "${chunks[$i]}" "$ROOTFS"
                        [[ $caps == all ]] && printf 'Capabilities=all\n'
                        printf '[Service]\nRestart=no\n'
                } | unit "$u"
        done
done

unit sec-allowed <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload syscall ${allowed[*]}
RootFS=$ROOTFS
[Service]
Restart=no
EOF

unit sec-off <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload syscall ${unfiltered[*]}
RootFS=$ROOTFS
Seccomp=off
[Service]
Restart=no
EOF

unit sec-busybox <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "ls / >/dev/null && echo ls=ok && (echo sub=ok) | cat && sleep 0.1 & wait && echo sh=done"
RootFS=$ROOTFS
[Service]
Restart=no
EOF

unit sec-running <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Service]
Restart=no
EOF

start_supd

# The probes on the host, with no filter: what the kernel itself answers.
declare -A host
while IFS='=' read -r k v; do
        host[$k]=$v
done < <("$SUP_PAYLOAD" syscall "${denied[@]}" "${allowed[@]}")

# ---- the filter is there (or not) ----------------------------------------------------------------

sc start --wait sec-report
ok $? "sec-report: exits 0"
wait_log sec-report "stdout seccomp=" 1 5
is "$(log_value sec-report seccomp)" 2 "sec-report: Seccomp: 2 (a filter) by default"
is "$(log_value sec-report nonewprivs)" 1 "sec-report: no_new_privs as NoNewPrivileges= says"

sc start --wait sec-off-report
ok $? "sec-off-report: exits 0"
wait_log sec-off-report "stdout seccomp=" 1 5
is "$(log_value sec-off-report seccomp)" 0 "sec-off-report: Seccomp=off: no filter (Seccomp: 0)"

sc start --wait sec-nonnp
ok $? "sec-nonnp: NoNewPrivileges=no, User=65534 starts (the filter is loaded before the ids change)"
wait_log sec-nonnp "stdout seccomp=" 1 5
is "$(log_value sec-nonnp seccomp)" 2 "sec-nonnp: Seccomp: 2"
is "$(log_value sec-nonnp nonewprivs)" 0 "sec-nonnp: no_new_privs not set"
is "$(log_value sec-nonnp uid)" 65534 "sec-nonnp: runs as 65534"

# Every process of a running unit, its init included.
sc start sec-running
ok $? "sec-running: starts"
wait_log sec-running "stdout sleeping" 1 5
pids=$(unit_pids sec-running | tr '\n' ' ')
like "$pids" '[0-9]' "sec-running: has processes ($pids)"
bad=
for p in $pids; do
        s=$(awk '$1 == "Seccomp:" { print $2 }' "/proc/$p/status" 2>/dev/null)
        [[ $s == 2 ]] || bad+="$p:${s:-gone} "
done
is "$bad" "" "sec-running: every process of the unit (init and payload) has Seccomp: 2"
sc stop sec-running >/dev/null

# ---- denied calls ------------------------------------------------------------------------------------

declare -A inside
for u in "${denied_units[@]}"; do
        sc start --wait "$u"
        ok $? "$u: exits 0"
        wait_log "$u" "stdout ${last_probe[$u]}=" 1 5
        while IFS='=' read -r k v; do
                inside[${u%-*}:$k]=$v
        done < <(sed -n 's/^[^ ]* stdout \([^=]*=.*\)$/\1/p' "$(unit_log_file "$u")")
done

compared=0
for u in sec-denied-default sec-denied-all; do
        for name in "${denied[@]}"; do
                want=EPERM
                [[ $name == clone3 ]] && want=ENOSYS # so that glibc falls back to clone()
                h=${host[$name]:-}
                if [[ -z $h ]]; then
                        ok 1 "$u: $name: no answer from the probe on the host"
                        continue
                fi
                if [[ $h == "$want" || $h == SIG* ]]; then
                        # EPERM on the host too (e.g. a kernel locked down), or no i386 emulation.
                        skip "$u: $name: the host answers $h without a filter, the probe cannot tell"
                        continue
                fi
                is "${inside[$u:$name]:-}" "$want" "$u: $name denied ($want; the host, unfiltered: $h)"
                [[ $u == sec-denied-default ]] && compared=$((compared + 1))
        done
done
between "$compared" 40 1000 "at least 40 denied calls were told apart from the host's own answer"

# ---- what must keep working ------------------------------------------------------------------------------

sc start --wait sec-allowed
ok $? "sec-allowed: exits 0"
wait_log sec-allowed "stdout socket-unix=" 1 5
for name in "${allowed[@]}"; do
        is "$(log_value sec-allowed "$name")" "${host[$name]:-?}" "sec-allowed: $name answers as on the host"
done
is "$(log_value sec-allowed fork)" ok "sec-allowed: fork works"
is "$(log_value sec-allowed thread)" ok "sec-allowed: a thread (clone3 ENOSYS, then clone) works"

sc start --wait sec-busybox
ok $? "sec-busybox: busybox sh, a pipe, a subshell and a background job: exits 0"
wait_log sec-busybox "stdout sh=done" 1 5
is "$(log_value sec-busybox ls)" ok "sec-busybox: ls works"
is "$(log_value sec-busybox sub)" ok "sec-busybox: a subshell in a pipe works"

# ---- Seccomp=off -----------------------------------------------------------------------------------------

sc start --wait sec-off
ok $? "sec-off: exits 0"
wait_log sec-off "stdout x32-keyctl=" 1 5
for name in "${unfiltered[@]}"; do
        v=$(log_value sec-off "$name")
        like "$v" '.' "sec-off: $name answered"
        isnt "$v" EPERM "sec-off: $name is not denied ($v)"
done
isnt "$(log_value sec-off clone3)" ENOSYS "sec-off: clone3 is the kernel's ($(log_value sec-off clone3))"

check_leaks
done_testing
