#!/bin/bash
# SPDX-License-Identifier: MIT
# A container with RootFS= gets its own root, hostname, pid/mnt/ipc/uts/net/cgroup namespaces and only
# fds 0-2, and cannot reach supd's executable; with Init=yes (the default) the payload is PID 2 under the
# container's init, with Init=no it is PID 1 itself.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

echo secret >"$TMP/marker"

for init in yes no; do
        unit "iso-init-$init" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
Init=$init
[Service]
Restart=no
EOF
done

unit iso-hostpath <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload cat $TMP/marker
RootFS=$ROOTFS
[Service]
Restart=no
EOF

# SPEC §7: the container's init is a supd process that never exec'd; its binary must stay out of reach.
unit iso-exe <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload cat /proc/1/exe
RootFS=$ROOTFS
[Service]
Restart=no
EOF

start_supd

host_rootino=$(stat -c %i /)
declare -A host_ns
for ns in pid mnt ipc uts net cgroup; do
        host_ns[$ns]=$(stat -L -c %i "/proc/self/ns/$ns")
done
supd_net=$(stat -L -c %i "/proc/$SUPD_PID/ns/net")

for init in yes no; do
        u=iso-init-$init
        sc start --wait "$u"
        ok $? "$u: supctl start --wait exits 0"
        wait_log "$u" "stdout env_PATH=" 1 5
        if [[ $init == yes ]]; then
                is "$(log_value "$u" pid)" 2 "$u: the payload is PID 2 (the container's init is PID 1)"
                is "$(log_value "$u" ppid)" 1 "$u: its parent is the init, PID 1"
        else
                is "$(log_value "$u" pid)" 1 "$u: the payload is PID 1"
                is "$(log_value "$u" ppid)" 0 "$u: PID 1 has no parent in its namespace"
        fi
        is "$(log_value "$u" hostname)" "$u" "$u: hostname is the unit name"
        is "$(log_value "$u" uid)" 0 "$u: uid 0"
        is "$(log_value "$u" cwd)" / "$u: working directory /"
        is "$(log_value "$u" fds)" 0,1,2 "$u: only fds 0, 1 and 2 are open"
        isnt "$(log_value "$u" rootino)" "$host_rootino" "$u: / is not the host's / (inode $host_rootino)"
        is "$(log_value "$u" proc)" present "$u: /proc is mounted"
        for ns in pid mnt ipc uts net cgroup; do
                got=$(log_value "$u" "ns_$ns")
                like "$got" '^[0-9]+$' "$u: the $ns namespace is reported"
                isnt "$got" "${host_ns[$ns]}" "$u: private $ns namespace (not the host's)"
        done
        isnt "$(log_value "$u" ns_net)" "$supd_net" "$u: its net namespace is not supd's either"
        is "$(ustate "$u")" inactive "$u: inactive after a clean exit"
done

sc start --wait iso-hostpath
is $? 1 "iso-hostpath: reading a host path inside fails"
wait_log iso-hostpath "stdout errno=" 1 5
is "$(log_value iso-hostpath errno)" ENOENT "iso-hostpath: $TMP is not visible inside (ENOENT)"
is "$(grep -c secret "$(unit_log_file iso-hostpath)")" 0 "iso-hostpath: the host file's content did not leak"

sc start --wait iso-exe
is $? 1 "iso-exe: reading /proc/1/exe (the container's init) fails"
wait_log iso-exe "stdout errno=" 1 5
like "$(log_value iso-exe errno)" '^(EACCES|EPERM|ENOENT)$' "iso-exe: supd's executable is out of reach"

check_leaks
done_testing
