#!/bin/bash
# SPDX-License-Identifier: MIT
# [Resources] through supd on this host's cgroup layout: MemoryMax= ends in oom-kill and the OOM count
# shows in stats; TasksMax= stops a fork bomb while supd and other units keep answering; CPUQuota=20%
# gives a fifth of a CPU by the group's own accounting; CPUWeight= splits a contended CPU; freeze stops
# a counter and thaw resumes it; 200 start/stop cycles leave no cgroup and no fd behind.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

# resource_unit NAME EXEC [RESOURCES-LINES] [SERVICE-LINES]
resource_unit() {
        unit "$1" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=$2
RootFS=$ROOTFS
[Resources]
${3:-}
[Service]
${4:-}
EOF
}

resource_unit rs-oom '/bin/sh -c "/bin/payload alloc 100; exec /bin/payload sleep inf"' 'MemoryMax=32M'
resource_unit rs-oomfail '/bin/payload alloc 100' 'MemoryMax=32M' 'Restart=no'
resource_unit rs-bomb '/bin/payload fork-bomb' 'TasksMax=40'
resource_unit rs-quota '/bin/payload spin' 'CPUQuota=20%'
resource_unit rs-w100 '/bin/payload spin' $'AllowedCPUs=0\nCPUWeight=100'
resource_unit rs-w300 '/bin/payload spin' $'AllowedCPUs=0\nCPUWeight=300'
resource_unit rs-count '/bin/payload count'
resource_unit rs-cycle '/bin/payload sleep inf' $'MemoryMax=64M\nTasksMax=16'

start_supd
fds_before=$(supd_fds_settled)

stat_of() { sc --json stats "$1" 2>/dev/null | json_get "" "$2"; }

# ---- MemoryMax=: the payload is OOM-killed, the shell above it survives: the count shows in stats
sc start rs-oom
ok $? "rs-oom: started"
wait_log rs-oom "supd A process was killed by the OOM killer" 1 10
ok $? "rs-oom: supd noticed the OOM kill"
oom=$(stat_of rs-oom oom_kills)
between "${oom:-0}" 1 100 "rs-oom: stats show ${oom:-no} OOM kill(s)"
peak=$(stat_of rs-oom memory_peak)
between "${peak:-0}" 1 $((34 * 1024 * 1024)) "rs-oom: memory peak ${peak:-unknown} stays at the 32M limit"
sc stop rs-oom

# ---- ... and a unit whose main process is OOM-killed fails with result oom-kill
sc start --wait rs-oomfail >/dev/null 2>&1
wait_for failed rs-oomfail 10
is "$(uresult rs-oomfail)" "oom-kill" "rs-oomfail: result oom-kill"

# ---- TasksMax=: the bomb stops at the limit, supd and other units stay responsive
sc start rs-count
sc start rs-bomb
ok $? "rs-bomb: started"
sleep 1
tasks=$(stat_of rs-bomb tasks)
between "${tasks:-0}" 2 40 "rs-bomb: ${tasks:-no} tasks, at most TasksMax=40"
t0=$(now_ms)
sc list >/dev/null
ok $? "supctl list answers during the fork bomb"
dt=$(($(now_ms) - t0))
between "$dt" 0 1000 "supctl list took $dt ms during the fork bomb"
is "$(ustate rs-count)" running "rs-count still running next to the bomb"
sc stop rs-bomb
ok $? "rs-bomb: stopped"
is "$(unit_pids rs-bomb | wc -l)" 0 "rs-bomb: no process left"

# ---- CPUQuota=20%: 0.15-0.25 CPU-s per second over 3 s, from the group's accounting
sc start rs-quota
c0=$(stat_of rs-quota cpu_usage_nsec)
t0=$(now_ms)
sleep 3
c1=$(stat_of rs-quota cpu_usage_nsec)
t1=$(now_ms)
rate=$(awk -v c="$((${c1:-0} - ${c0:-0}))" -v t="$((t1 - t0))" 'BEGIN { printf "%.3f", c / 1e6 / t }')
between "$rate" 0.15 0.25 "rs-quota: $rate CPU-s per second under CPUQuota=20%"
sc stop rs-quota

# ---- CPUWeight=: two busy units on CPU 0 split it about 1:3
sc start rs-w100 rs-w300
sleep 0.5
a0=$(stat_of rs-w100 cpu_usage_nsec)
b0=$(stat_of rs-w300 cpu_usage_nsec)
sleep 2
a1=$(stat_of rs-w100 cpu_usage_nsec)
b1=$(stat_of rs-w300 cpu_usage_nsec)
ratio=$(awk -v a="$((${a1:-0} - ${a0:-0}))" -v b="$((${b1:-0} - ${b0:-0}))" 'BEGIN { printf "%.2f", (a > 0) ? b / a : 0 }')
between "$ratio" 2 4 "rs-w300 got $ratio times the CPU of rs-w100 (weights 100:300)"
sc stop rs-w100 rs-w300

# ---- freeze stops the counter, thaw resumes it
count_now() { log_values rs-count count | tail -n 1; }
sc freeze rs-count
ok $? "rs-count: frozen"
sleep 0.3
f0=$(count_now)
sleep 0.5
f1=$(count_now)
is "$f1" "$f0" "rs-count: the counter stands still while frozen ($f0)"
sc thaw rs-count
ok $? "rs-count: thawed"
sleep 0.5
f2=$(count_now)
between "${f2:-0}" $((${f1:-0} + 1)) 1000000 "rs-count: the counter moves again after thaw ($f1 -> $f2)"
sc stop rs-count

# ---- 200 start/stop cycles: no cgroup and no fd left behind
failures=0
for _ in $(seq 200); do
        { sc start rs-cycle && sc stop rs-cycle; } || failures=$((failures + 1))
done
is "$failures" 0 "rs-cycle: 200 start/stop cycles"
if unit_cgroup_dir rs-cycle >/dev/null; then left=1; else left=0; fi
is "$left" 0 "rs-cycle: no cgroup left after the cycles"
supd_fds_is "$fds_before" "supd holds the same fds as before"

stop_supd
check_leaks
done_testing
