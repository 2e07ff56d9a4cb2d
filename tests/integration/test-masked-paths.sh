#!/bin/bash
# SPDX-License-Identifier: MIT
# SPEC §7: inside a container, /proc/kcore, /proc/keys, /proc/timer_list & co. read as empty (/dev/null
# on them), /proc/acpi, /sys/firmware & co. are empty (a read-only tmpfs), /proc/sys, /proc/irq,
# /proc/sysrq-trigger & co. and /sys are read-only, and a container without CAP_SYS_ADMIN (or with it
# but under the default seccomp filter) cannot remount them read-write. The same with a user namespace,
# Init=no, ReadOnly=yes, Overlay=ephemeral and without RootFS= (the host's root: the masks go on the
# container's copy of /proc and /sys). Outside, the host's /proc and /sys stay as they were, and no
# mount of a container shows on the host. Probes open and read, never write a value.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

masked_files=(/proc/kcore /proc/keys /proc/timer_list /proc/latency_stats /proc/timer_stats /proc/sched_debug
        /proc/interrupts)
masked_dirs=(/proc/acpi /proc/asound /proc/scsi /sys/firmware /sys/devices/virtual/powercap)
ro_files=(/proc/sys/kernel/core_pattern /proc/sysrq-trigger /proc/irq/default_smp_affinity)
ro_mounts=(/proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger /sys)

# The payload's key for PATH: "/proc/sys/kernel/core_pattern" -> "proc_sys_kernel_core_pattern".
key() {
        local k=${1#/}
        echo "${k//[^A-Za-z0-9]/_}"
}

# The arguments of "payload open" that probe every path above.
probe_args() {
        local p
        for p in "${masked_files[@]}"; do printf ' %s r' "$p"; done
        for p in "${masked_dirs[@]}"; do printf ' %s d' "$p"; done
        for p in "${ro_files[@]}"; do printf ' %s a' "$p"; done
        for p in "${ro_mounts[@]}"; do printf ' %s m' "$p"; done
}

# probe.sh PAYLOAD [sleep]: probes, tries to remount /proc/sys read-write, reports, prints "probed=1" (then
# sleeps). A script, since a unit file's line is at most 199 characters: in a copy of the rootfs for
# RootFS= units, in $TMP for those on the host's root.
rootfs=$(private_rootfs probes)
cat >"$rootfs/probe.sh" <<EOF
#!/bin/sh
\$1 open$(probe_args)
\$1 remount /proc/sys
\$1 report
echo probed=1
[ "\$2" = sleep ] && exec \$1 sleep inf
exit 0
EOF
cp "$rootfs/probe.sh" "$TMP/probe.sh"

# unit_probe NAME [sleep] KEYS...: a unit that runs probe.sh; KEYS are [Container] lines.
unit_probe() {
        local name=$1 then='' k
        shift
        if [[ ${1:-} == sleep ]]; then
                then=' sleep'
                shift
        fi
        {
                echo "[Unit]"
                echo "AutoStart=no"
                echo "[Container]"
                if [[ " $* " == *" RootFS="* ]]; then
                        echo "Exec=/bin/sh /probe.sh /bin/payload$then"
                else
                        echo "Exec=/bin/sh $TMP/probe.sh $SUP_PAYLOAD$then"
                fi
                for k in "$@"; do
                        echo "$k"
                done
                echo "[Service]"
                echo "Restart=no"
        } | unit "$name"
}

unit_probe mp-default sleep "RootFS=$rootfs"
unit_probe mp-userns "RootFS=$rootfs" "UserNamespace=auto"
# A user namespace without its own network namespace may not mount sysfs: the host's, bound read-only.
unit_probe mp-userns-hostnet "RootFS=$rootfs" "UserNamespace=auto" "Namespaces=pid mnt ipc uts cgroup user"
unit_probe mp-noinit "RootFS=$rootfs" "Init=no"
unit_probe mp-readonly "RootFS=$rootfs" "ReadOnly=yes"
unit_probe mp-overlay "RootFS=$rootfs" "Overlay=ephemeral"
# The host's root: a fresh /proc (pid namespace) and the mount namespace's copy of the host's /sys.
unit_probe mp-hostroot sleep
# No pid namespace either: the copy of the host's /proc is masked.
unit_probe mp-hostroot-nopid "Namespaces=mnt ipc uts net cgroup"
# CAP_SYS_ADMIN without a user namespace: only the default seccomp filter stops a remount.
unit_probe mp-sysadmin "RootFS=$rootfs" "Capabilities=all"
# ... and without it nothing does (documented in sup.unit(5)): the remount's outcome is only reported.
unit_probe mp-sysadmin-noseccomp "RootFS=$rootfs" "Capabilities=all" "Seccomp=off"
# CAP_SYS_ADMIN in a user namespace: the default seccomp filter denies mount(2) there too.
unit_probe mp-userns-sysadmin "RootFS=$rootfs" "UserNamespace=auto" "Capabilities=all"
# Without it, the kernel does not lock mounts the container made itself, but the host's sysctls stay its
# root's, not the container's.
unit_probe mp-userns-sysadmin-noseccomp "RootFS=$rootfs" "UserNamespace=auto" "Capabilities=all" "Seccomp=off"
# The same, probing after its remount.
unit mp-userns-sysadmin-noseccomp-after <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "/bin/payload remount /proc/sys; /bin/payload open /proc/sys/kernel/core_pattern a /proc/sys m"
RootFS=$rootfs
UserNamespace=auto
Capabilities=all
Seccomp=off
[Service]
Restart=no
EOF

# What the host has, before any container runs: the probes' expectations, and its mounts on /proc, /sys.
host_mounts() {
        findmnt -rn -o TARGET,FSTYPE,OPTIONS -R /proc
        findmnt -rn -o TARGET,FSTYPE,OPTIONS -R /sys
}
mounts_before=$(host_mounts)
declare -A host_has host_bytes
for p in "${masked_files[@]}" "${masked_dirs[@]}" "${ro_files[@]}" "${ro_mounts[@]}"; do
        [[ -e $p ]] && host_has[$p]=1
done
for p in "${masked_files[@]}"; do
        [[ -n ${host_has[$p]:-} ]] && host_bytes[$p]=$(head -c 1 "$p" 2>/dev/null | wc -c)
done
diag "on this kernel: $(for p in "${!host_has[@]}"; do printf '%s ' "$p"; done)"

# load_probes UNIT: every "KEY=VALUE" the unit printed into ${probe[KEY]} (the last one wins); one read of
# its log instead of a sed per key.
declare -A probe
load_probes() {
        local line re='^[^ ]+ stdout ([A-Za-z0-9_]+)=(.*)$'
        probe=()
        while IFS= read -r line; do
                [[ $line =~ $re ]] && probe[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
        done <"$(unit_log_file "$1")"
}

# check_inside UNIT [userns]: the probes of UNIT's log against what the host has.
check_inside() {
        local u=$1 userns=${2:-} p k got
        load_probes "$u"
        for p in "${masked_files[@]}"; do
                k=$(key "$p")
                got=${probe[open_r_$k]:-}
                if [[ -z ${host_has[$p]:-} ]]; then
                        is "$got" ENOENT "$u: $p does not exist here either"
                        continue
                fi
                is "$got/${probe[read_$k]:-}" ok/0 \
                        "$u: $p opens and reads as empty (the host reads ${host_bytes[$p]} byte)"
        done
        for p in "${masked_dirs[@]}"; do
                k=$(key "$p")
                got=${probe[open_d_$k]:-}
                if [[ -z ${host_has[$p]:-} ]]; then
                        is "$got" ENOENT "$u: $p does not exist here either"
                        continue
                fi
                is "$got/${probe[entries_$k]:-}" ok/0 "$u: $p is an empty directory"
        done
        for p in "${ro_files[@]}"; do
                k=$(key "$p")
                got=${probe[open_a_$k]:-}
                if [[ -z ${host_has[$p]:-} ]]; then
                        is "$got" ENOENT "$u: $p does not exist here either"
                elif [[ -n $userns ]]; then
                        # The file's owner, the host's root, is nobody in the namespace: the permission
                        # check comes before the read-only one.
                        like "$got" '^(EROFS|EACCES)$' "$u: $p cannot be opened for writing ($got)"
                else
                        is "$got" EROFS "$u: $p cannot be opened for writing (read-only)"
                fi
        done
        for p in "${ro_mounts[@]}"; do
                k=$(key "$p")
                got=${probe[mount_$k]:-}
                if [[ -z ${host_has[$p]:-} ]]; then
                        is "$got" ENOENT "$u: $p does not exist here either"
                else
                        is "$got" ro "$u: $p is on a read-only mount"
                fi
        done
}

start_supd

# ---- a running container: inside, and the host meanwhile -------------------------------------------------

for u in mp-default mp-hostroot; do
        sc start "$u"
        ok $? "$u: started"
        wait_log "$u" "stdout probed=1" 1 10
done
check_inside mp-default
is "$(log_value mp-default remount_proc_sys)" EPERM "mp-default: remounting /proc/sys read-write is refused"
check_inside mp-hostroot
is "$(log_value mp-hostroot remount_proc_sys)" EPERM "mp-hostroot: remounting /proc/sys read-write is refused"

# The host, while both run: its /proc and /sys are its own, unmasked and writable by its root.
out=$("$SUP_PAYLOAD" open /proc/keys r /proc/sys/kernel/core_pattern a /proc/sys m /sys m)
is "$(sed -n 's/^open_r_proc_keys=//p' <<<"$out")" ok "host: /proc/keys still opens for reading"
is "$(sed -n 's/^read_proc_keys=//p' <<<"$out")" "${host_bytes[/proc/keys]:-0}" "host: /proc/keys reads as before"
if [[ -n ${host_has[/proc/timer_list]:-} ]]; then
        is "$(head -c 1 /proc/timer_list | wc -c)" "${host_bytes[/proc/timer_list]}" "host: /proc/timer_list reads as before"
fi
is "$(sed -n 's/^open_a_proc_sys_kernel_core_pattern=//p' <<<"$out")" ok \
        "host: root can still open /proc/sys/kernel/core_pattern for writing (nothing written)"
is "$(sed -n 's/^mount_proc_sys=//p' <<<"$out")" "$(awk '$2 == "/proc" { print ($4 ~ /^ro(,|$)/) ? "ro" : "rw"; exit }' /proc/self/mounts)" \
        "host: /proc/sys is on the host's /proc mount, as before"
if [[ -n ${host_has[/sys/firmware]:-} ]]; then
        isnt "$(find /sys/firmware -mindepth 1 -maxdepth 1 | wc -l)" 0 "host: /sys/firmware is not masked"
fi
is "$(host_mounts)" "$mounts_before" "host: no mount of a container shows under the host's /proc or /sys (findmnt)"
out=$(findmnt -rn -o TARGET,OPTIONS | grep -E 'nr_inodes=1(,|$)' || true)
is "$out" "" "host: no mask's tmpfs shows anywhere on the host (findmnt)"

sc stop mp-default mp-hostroot
ok $? "mp-default, mp-hostroot: stopped"

# ---- the other configurations ---------------------------------------------------------------------------

for u in mp-userns mp-userns-hostnet mp-noinit mp-readonly mp-overlay mp-hostroot-nopid; do
        sc start --wait "$u"
        ok $? "$u: ran to the end (exit 0)"
        wait_log "$u" "stdout probed=1" 1 5
        if [[ $u == mp-userns* ]]; then
                check_inside "$u" userns
        else
                check_inside "$u"
        fi
        is "$(log_value "$u" remount_proc_sys)" EPERM "$u: remounting /proc/sys read-write is refused"
done

# CAP_SYS_ADMIN, with or without a user namespace: the default seccomp filter denies mount(2).
for u in mp-sysadmin mp-userns-sysadmin; do
        sc start --wait "$u"
        ok $? "$u: ran to the end (exit 0)"
        wait_log "$u" "stdout probed=1" 1 5
        check_inside "$u" "$([[ $u == mp-userns* ]] && echo userns)"
        if [[ $(log_value "$u" seccomp) == 2 ]]; then
                is "$(log_value "$u" remount_proc_sys)" EPERM "$u: the default seccomp filter refuses a remount of /proc/sys"
        else
                skip "$u: no seccomp filter installed by this build (Seccomp: $(log_value "$u" seccomp))"
        fi
done

# ... and nothing can stop it with Seccomp=off: root with every capability and no user namespace. Not
# asserted, documented (sup.unit(5), supervisor/README.md); what matters is that it stays inside.
u=mp-sysadmin-noseccomp
sc start --wait "$u"
ok $? "$u: ran to the end (exit 0)"
wait_log "$u" "stdout probed=1" 1 5
check_inside "$u"
diag "$u: remount of /proc/sys read-write: $(log_value "$u" remount_proc_sys) (documented: not refused)"

# CAP_SYS_ADMIN in a user namespace: the remount is the container's business (the kernel does not lock
# the mounts it made itself), but the host's sysctls stay closed to it.
u=mp-userns-sysadmin-noseccomp
sc start --wait "$u"
ok $? "$u: ran to the end (exit 0)"
wait_log "$u" "stdout probed=1" 1 5
check_inside "$u" userns
diag "$u: remount of /proc/sys read-write: $(log_value "$u" remount_proc_sys) (documented: not refused)"
sc start --wait "$u-after"
ok $? "$u-after: ran to the end (exit 0)"
wait_log "$u-after" "stdout mount_proc_sys=" 1 5
if [[ $(log_value "$u-after" remount_proc_sys) == ok ]]; then
        is "$(log_value "$u-after" mount_proc_sys)" rw "$u-after: its own /proc/sys is read-write after its remount"
        is "$(log_value "$u-after" open_a_proc_sys_kernel_core_pattern)" EACCES \
                "$u-after: /proc/sys/kernel/core_pattern still cannot be opened for writing (the host's root owns it)"
else
        skip "$u-after: the remount was refused ($(log_value "$u-after" remount_proc_sys)): nothing more to check"
fi

is "$(host_mounts)" "$mounts_before" "host: /proc and /sys mounts unchanged after every run (findmnt)"

check_leaks
done_testing
