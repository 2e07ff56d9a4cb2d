#!/bin/bash
# SPDX-License-Identifier: MIT
# SPEC §7, the device allowlist: a unit with the default capabilities (CAP_MKNOD among them) may make any
# device node, but open only the minimal /dev (null, zero, full, random, urandom, tty, console, ptmx,
# pts/*): loop0, loop-control and fuse made with mknod in its /tmp fail with EPERM, and so does a process
# `supctl exec` puts in the unit. The same nodes made on the host, in the same file system, open: the
# refusal is the unit's cgroup's.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

rootfs=$(private_rootfs devices)

# name, then the payload's arguments: made in the unit's /tmp, or an existing node of its /dev.
probes=(
        "loop0 /tmp/loop0 b 7 0"
        "loop-control /tmp/loop-control c 10 237"
        "fuse /tmp/fuse c 10 229"
        "null-copy /tmp/null c 1 3"
        "null /dev/null c 1 3"
        "zero /dev/zero c 1 5"
        "full /dev/full c 1 7"
        "urandom /dev/urandom c 1 9"
        "tty /dev/tty c 5 0"
)
for p in "${probes[@]}"; do
        read -r name args <<<"$p"
        unit "dev-$name" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload mknod-open $args
RootFS=$rootfs
[Service]
Restart=no
EOF
done

unit dev-sleeper <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
[Service]
Restart=no
EOF

# The control: the same payload on the host, in the rootfs the units see, outside any unit.
for p in "loop-control /tmp/loop-control c 10 237" "fuse /tmp/fuse c 10 229" "loop0 /tmp/loop0 b 7 0"; do
        read -r name path type major minor <<<"$p"
        out=$("$SUP_PAYLOAD" mknod-open "$rootfs$path.host" "$type" "$major" "$minor")
        like "$out" '^mknod=ok open=(ok|ENODEV|ENXIO)$' "host: mknod + open of $name ($type $major:$minor) outside a unit is not refused ($out)"
done

start_supd

for p in "${probes[@]}"; do
        read -r name _ <<<"$p"
        sc start --wait "dev-$name" >/dev/null
        wait_log "dev-$name" "stdout mknod=" 1 5
done

for name in loop0 loop-control fuse; do
        is "$(log_value "dev-$name" mknod)" "ok open=EPERM" "dev-$name: mknod works, open fails with EPERM"
done
is "$(log_value dev-null-copy mknod)" "ok open=ok" "dev-null-copy: a node of /dev/null made with mknod opens"
for name in null zero full urandom; do
        is "$(log_value "dev-$name" mknod)" "EEXIST open=ok" "dev-$name: /dev/$name opens"
done
# No controlling terminal: the tty driver says ENXIO, the allowlist does not refuse it.
like "$(log_value dev-tty mknod)" '^EEXIST open=(ok|ENXIO)$' "dev-tty: /dev/tty is not refused"
is "$(find "$rootfs/tmp" -mindepth 1 | wc -l)" 0 "no node left in the unit's /tmp"

# A process exec'd into a running unit sits in its groups and gets the same answer.
sc start dev-sleeper
wait_log dev-sleeper "stdout sleeping" 1 5
out=$(sc exec dev-sleeper /bin/payload mknod-open /tmp/fuse-exec c 10 229)
is "$out" "mknod=ok open=EPERM" "exec dev-sleeper: mknod works, open of fuse fails with EPERM"
out=$(sc exec dev-sleeper /bin/payload mknod-open /dev/null c 1 3)
is "$out" "mknod=EEXIST open=ok" "exec dev-sleeper: /dev/null opens"

# The kernel's view: on a host with the v1 devices controller, the unit's group there denies by default.
devices_mount=$(awk '$9 == "cgroup" && $NF ~ /(^|,)devices(,|$)/ { print $5; exit }' /proc/self/mountinfo)
if [[ -n $devices_mount ]]; then
        d=$(find "$devices_mount" -type d -path "*/$CGROOT/dev-sleeper" -print -quit 2>/dev/null)
        ok "$([[ -n $d ]] && echo 0 || echo 1)" "dev-sleeper has a group in the v1 devices hierarchy"
        list=$(cat "$d/devices.list" 2>/dev/null)
        unlike "$list" 'a \*:\* rwm' "dev-sleeper: devices.list does not allow everything"
        like "$list" 'c 1:3 rwm' "dev-sleeper: devices.list allows /dev/null"
        like "$list" 'c 136:\* rwm' "dev-sleeper: devices.list allows the pty slaves"
        pid=$(umainpid dev-sleeper)
        like "$(grep ':devices:' "/proc/$pid/cgroup")" "/$CGROOT/dev-sleeper\$" "dev-sleeper: its process is in that group"
else
        skip "no v1 devices hierarchy: the BPF program on the v2 group is checked by test-cgroupd-devices"
fi
sc stop dev-sleeper >/dev/null

check_leaks
done_testing
