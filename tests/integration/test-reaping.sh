#!/bin/bash
# SPDX-License-Identifier: MIT
# Orphans are reaped: by the container's init (Init=yes, private pid namespace), by supd as a child
# subreaper (a unit without namespaces), and by supd as PID 1 of a pid namespace.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

unit rp-init <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload orphans 1000
RootFS=$ROOTFS
EOF

# No namespaces at all: the orphans' parent is gone, so they reparent to supd.
unit rp-host <<EOF
[Unit]
AutoStart=no
[Container]
Exec=$SUP_PAYLOAD orphans 200 --exit
Namespaces=
[Service]
Restart=no
EOF

# shellcheck disable=SC2317 # called through wait_until
_unit_has_no_zombie() {
        # shellcheck disable=SC2046
        [[ $(count_zombies $(unit_pids "$1")) == 0 ]]
}

# shellcheck disable=SC2317 # called through wait_until
_supd_has_no_zombie() {
        [[ -z $(zombie_children_of "$SUPD_PID") ]]
}

# ---- the container's init
start_supd
sc start rp-init
ok $? "rp-init: started"
wait_log rp-init "stdout orphans=1000" 1 20
ok $? "rp-init: the payload left 1000 orphans"
wait_until 3 _unit_has_no_zombie rp-init
# shellcheck disable=SC2046
is "$(count_zombies $(unit_pids rp-init))" 0 "rp-init: no zombie in the unit's cgroup"
is "$(ustate rp-init)" running "rp-init: still running"
sc stop rp-init
ok $? "rp-init: stopped"

# ---- supd as a subreaper
sc start --wait rp-host
ok $? "rp-host (subreaper): ran and exited 0"
wait_log rp-host "stdout orphans=200" 1 5
wait_until 3 _supd_has_no_zombie
is "$(zombie_children_of "$SUPD_PID" | wc -l)" 0 "rp-host (subreaper): no zombie child of supd"
n=$(grep -c "Reaped orphan" "$SUPD_LOG")
between "$n" 200 100000 "rp-host (subreaper): supd reaped the orphans itself ($n 'Reaped orphan' lines)"
stop_supd
is "$SUPD_EXIT" 0 "supd exits 0 on SIGTERM"

# ---- supd as PID 1 of a pid namespace (it is only ever SIGKILLed: see start_supd_pid1)
start_supd_pid1 --log-level warn
ok $? "supd started as PID 1 of a pid namespace"
sc start --wait rp-host
ok $? "rp-host (PID 1): ran and exited 0"
wait_log rp-host "stdout orphans=200" 2 5
wait_until 3 _supd_has_no_zombie
is "$(zombie_children_of "$SUPD_PID" | wc -l)" 0 "rp-host (PID 1): no zombie child of supd"
is "$(children_of "$SUPD_PID" | wc -l)" 0 "rp-host (PID 1): no child of supd left at all"
kill_supd

# What the SIGKILLed PID 1 left (its cgroup root), removed by a normal supd on the same directories.
start_supd
stop_supd
is "$SUPD_EXIT" 0 "a normal supd cleaned up after the PID 1 one and exited 0"

check_leaks
done_testing
