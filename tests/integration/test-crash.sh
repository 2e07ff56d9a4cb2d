#!/bin/bash
# SPDX-License-Identifier: MIT
# A supd killed with SIGKILL leaves its units running; the next supd on the same directories adopts
# every run whose process tree is still alive (same main pid, restart counter kept, output still
# captured), and cleans up after the others: a unit whose processes died meanwhile has its cgroup and
# record removed and is started again, and one whose process does not match its record (another
# process now) is not adopted. Units changed on disk meanwhile are restarted with the new file.
# shellcheck disable=SC2016 # the single-quoted conditions are eval'd by wait_until
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

for u in cr-one cr-two cr-three; do
        unit "$u" <<EOF
[Container]
Exec=/bin/payload count
RootFS=$ROOTFS
[Service]
Restart=always
RestartSec=0
EOF
done

# shellcheck disable=SC2317 # called through wait_until
_all_gone() {
        local p
        for p in "$@"; do
                pid_alive "$p" && return 1
        done
        return 0
}

# A soft fd limit below the hard one, which supd raises for itself only.
ulimit -Sn $(( $(ulimit -Hn) > 1024 ? 1000 : $(ulimit -Hn) / 2 ))
start_supd
for u in cr-one cr-two cr-three; do
        wait_for running "$u" 5
        ok $? "$u: running (AutoStart)"
done
sc kill -s KILL cr-one
wait_until 10 eval '[[ $(ufield cr-one restarts) == 1 ]] && [[ $(ustate cr-one) == running ]]'
ok $? "cr-one: restarted once"
one=$(umainpid cr-one)
three=$(umainpid cr-three)
# supd raises its own soft fd limit; a container gets the one supd was started with.
soft=$(ulimit -Sn)
is "$(awk '/^Max open files/ { print $4 }' "/proc/$one/limits")" "$soft" "the container's init has supd's original soft fd limit ($soft)"
is "$(awk '/^Max open files/ { print $4 }' "/proc/$(awk '{print $1}' "/proc/$one/task/$one/children")/limits")" "$soft" \
        "and so has the payload"
is "$(awk '/^Max open files/ { print $4 }' "/proc/$SUPD_PID/limits")" "$(ulimit -Hn)" "supd raised its own to the hard limit"
# shellcheck disable=SC2207
two_pids=($(unit_pids cr-two))
is "$(find "$RUNTIME/units" -name '*.record' | wc -l)" 3 "one runtime record per running unit"

kill_supd
ok "$(pid_alive "$one"; echo $?)" "cr-one's main process outlives a SIGKILLed supd"
# While supd is away: cr-two dies for good, cr-three's file changes.
kill -KILL "${two_pids[@]}"
wait_until 3 _all_gone "${two_pids[@]}"
ok $? "cr-two's processes are gone while supd is down"
sed -i 's/^RestartSec=0$/RestartSec=1ms/' "$UNITS/cr-three.unit"
sleep 0.3

start_supd
log=$(supd_log_since_start)
like "$log" "cr-one: adopted, main pid $one\." "the new supd adopts cr-one"
is "$(umainpid cr-one)" "$one" "cr-one: same main pid"
is "$(ustate cr-one)" running "cr-one: running"
is "$(ufield cr-one restarts)" 1 "cr-one: its restart counter is kept"
like "$(sc status cr-one)" "Adopted: after a supd restart" "status says cr-one was adopted"
like "$log" "cr-two: cannot adopt its run \(main process [0-9]+ is gone\)" "cr-two: not adopted, and why"
like "$log" "Cleaned up after a previous instance: 1 cgroup\(s\), 0 process\(es\) killed, 1 runtime record\(s\)\." \
        "cr-two's leftovers are cleaned up"
wait_for running cr-two 5
ok $? "cr-two: started again"
like "$log" "cr-three: adopted, main pid $three, its unit file changed: restarting" \
        "cr-three: adopted, then restarted for its new file"
wait_until 10 eval '[[ $(umainpid cr-three) != "$three" ]] && [[ $(ustate cr-three) == running ]]'
ok $? "cr-three: running with a new main process"

# The adopted unit's output is still captured: its counter goes on in the same file.
n1=$(log_values cr-one count | wc -l)
sleep 0.5
n2=$(log_values cr-one count | wc -l)
ok "$( ((n2 > n1)); echo $?)" "cr-one's output is still captured after adoption ($n1 -> $n2 lines)"
sc kill -s KILL cr-one
wait_until 10 eval '[[ $(ufield cr-one restarts) == 2 ]] && [[ $(ustate cr-one) == running ]]'
ok $? "an adopted unit that dies is restarted (restart 2)"

# A record whose pid is another process now is not adopted.
kill_supd
rec="$RUNTIME/units/cr-one.record"
sed -i 's/"pid_start":[0-9]*/"pid_start":1/' "$rec"
old=$(grep -o '"pid":[0-9]*' "$rec" | cut -d: -f2)
start_supd
like "$(supd_log_since_start)" "cr-one: cannot adopt its run \(pid $old is another process now\)" \
        "a record that does not match its process is not adopted"
wait_until 3 eval '! pid_alive '"$old"
ok $? "that process is killed with the rest of the group"
wait_for running cr-one 5
ok $? "cr-one: started again"

stop_supd
is "$SUPD_EXIT" 0 "supd exits 0 on SIGTERM"
is "$(find "$RUNTIME/units" -mindepth 1 2>/dev/null)" "" "no record or runtime directory left"

check_leaks
done_testing
