#!/bin/bash
# SPDX-License-Identifier: MIT
# A supd killed with SIGKILL leaves its units running; the next supd on the same directories kills and
# removes what it left (cgroups, processes, records), says so, and starts the units again.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

for u in cr-one cr-two; do
        unit "$u" <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF
done

_all_gone() {
        local p
        for p in "$@"; do
                pid_alive "$p" && return 1
        done
        return 0
}

start_supd
wait_for running cr-one 5
ok $? "cr-one: running (AutoStart)"
wait_for running cr-two 5
ok $? "cr-two: running (AutoStart)"
old_main=$(umainpid cr-one)
# shellcheck disable=SC2207
old_pids=($(unit_pids cr-one) $(unit_pids cr-two))
ok "$( ((${#old_pids[@]} >= 2)); echo $?)" "the units have processes: ${old_pids[*]}"
is "$(find "$RUNTIME/units" -name '*.record' | wc -l)" 2 "one runtime record per running unit"

kill_supd
ok "$(! _all_gone "${old_pids[@]}"; echo $?)" "the units' processes outlive a SIGKILLed supd"

start_supd
log=$(supd_log_since_start)
like "$log" "Cleaned up after a previous instance: 2 cgroup\(s\), [0-9]+ process\(es\) killed, 2 runtime record\(s\)\." \
        "the new supd says what it cleaned"
n=$(echo "$log" | sed -n 's/.*Cleaned up after a previous instance: [0-9]* cgroup(s), \([0-9]*\) process(es).*/\1/p')
between "${n:-0}" "${#old_pids[@]}" "${#old_pids[@]}" "it killed the ${#old_pids[@]} processes left behind"
wait_until 3 _all_gone "${old_pids[@]}"
ok $? "the old processes are gone"
wait_for running cr-one 5
ok $? "cr-one: running again"
wait_for running cr-two 5
ok $? "cr-two: running again"
new_main=$(umainpid cr-one)
like "$new_main" '^[1-9][0-9]*$' "cr-one: has a main pid"
isnt "$new_main" "$old_main" "cr-one: a new main process"

stop_supd
is "$SUPD_EXIT" 0 "supd exits 0 on SIGTERM"
is "$(find "$RUNTIME/units" -mindepth 1 2>/dev/null)" "" "no record or runtime directory left"

check_leaks
done_testing
