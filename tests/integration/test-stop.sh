#!/bin/bash
# SPDX-License-Identifier: MIT
# Stop: a payload ignoring SIGTERM is SIGKILLed after TimeoutStopSec=, and supctl stop returns then;
# a double-forked grandchild that escaped its parent (no pid namespace) dies with the unit's cgroup.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

unit st-ignore <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload ignore-term
RootFS=$ROOTFS
[Service]
TimeoutStopSec=1s
EOF

unit st-dfork <<EOF
[Unit]
AutoStart=no
[Container]
Exec=$SUP_PAYLOAD double-fork
Namespaces=
EOF

start_supd
fds_before=$(supd_fds_settled)

# ---- TimeoutStopSec=
sc start st-ignore
ok $? "st-ignore: started"
wait_log st-ignore "stdout ignoring" 1 5
t0=$(now_ms)
sc stop st-ignore
ok $? "st-ignore: supctl stop exits 0"
elapsed=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.3f", ms / 1000 }')
between "$elapsed" 0.8 5 "st-ignore: stop took ${elapsed}s (TimeoutStopSec=1s)"
is "$(ustate st-ignore)" inactive "st-ignore: inactive"
is "$(unit_pids st-ignore)" "" "st-ignore: no process left in its cgroup"
is "$(unit_cgroup_dir st-ignore)" "" "st-ignore: its cgroup is removed"
like "$(cat "$(unit_log_file st-ignore)")" "supd Stop timed out" "st-ignore: the log says it was killed"

# ---- double fork, no pid namespace
sc start st-dfork
ok $? "st-dfork: started"
wait_log st-dfork "stdout grandchild=[0-9]+" 1 5
gc=$(log_value st-dfork grandchild)
like "$gc" '^[0-9]+$' "st-dfork: the grandchild is pid $gc"
ok "$(pid_alive "$gc"; echo $?)" "st-dfork: the grandchild runs before the stop"
like "$(unit_pids st-dfork | tr '\n' ' ')" "(^| )$gc " "st-dfork: the grandchild is in the unit's cgroup"
sc stop st-dfork
ok $? "st-dfork: stopped"
wait_until 2 pid_gone "$gc"
ok "$(! kill -0 "$gc" 2>/dev/null; echo $?)" "st-dfork: the grandchild is gone (killed and reaped)"
is "$(ustate st-dfork)" inactive "st-dfork: inactive"
supd_fds_is "$fds_before" "supd holds the same fds as before the units ran"

check_leaks
done_testing
