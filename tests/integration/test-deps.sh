#!/bin/bash
# SPDX-License-Identifier: MIT
# Dependencies: starting c starts a, b, c in order (b Requires=a, c Wants=b); stopping a stops b but not
# c; supd's shutdown stops them in reverse order; an After= cycle is an error naming both units, and
# the other units keep working.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

mkunit() {
        local name=$1
        shift
        {
                echo "[Unit]"
                echo "AutoStart=no"
                printf '%s\n' "$@"
                echo "[Container]"
                echo "Exec=/bin/payload sleep inf"
                echo "RootFS=$ROOTFS"
        } | unit "$name"
}

mkunit a
mkunit b Requires=a After=a
mkunit c Wants=b After=b
mkunit x After=y
mkunit y After=x

# The time of the last note matching REGEX in the unit's log.
last_note() {
        note_times "$1" "$2" | tail -n 1
}

# before T1 T2: T1 < T2 (decimal seconds)
before() {
        awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 < b + 0) }'
}

start_supd

# ---- the cycle
cycle=$(grep -E "dependency cycle" "$SUPD_LOG")
like "$cycle" "(x -> y -> x|y -> x -> y)" "the After= cycle is logged, naming x and y"
is "$(uload x)" error "x: load state error"
is "$(uload y)" error "y: load state error"
err=$(sc start x 2>&1)
is $? 1 "x: supctl start exits 1"
like "$err" "cycle" "x: supctl start says it is a cycle"

# ---- start order
sc start c
ok $? "start c"
for u in a b c; do
        is "$(ustate "$u")" running "$u: running"
done
ta=$(last_note a "Started, pid")
tb=$(last_note b "Started, pid")
tc=$(last_note c "Started, pid")
ok "$(before "$ta" "$tb"; echo $?)" "a started before b ($ta < $tb)"
ok "$(before "$tb" "$tc"; echo $?)" "b started before c ($tb < $tc)"

# ---- Requires= propagates a stop, Wants= does not
sc stop a
ok $? "stop a"
is "$(ustate a)" inactive "a: inactive"
is "$(ustate b)" inactive "b: stopped with a (Requires=a)"
is "$(ustate c)" running "c: still running (only Wants=b)"

sc start b
ok $? "start b again"
is "$(ustate a)" running "a: started again as b requires it"

# ---- shutdown order
stop_supd
is "$SUPD_EXIT" 0 "supd exits 0 on SIGTERM"
sa=$(last_note a "Stopping\.")
sb=$(last_note b "Stopping\.")
sc_=$(last_note c "Stopping\.")
ok "$(before "$sc_" "$sb"; echo $?)" "shutdown stopped c before b ($sc_ < $sb)"
ok "$(before "$sb" "$sa"; echo $?)" "shutdown stopped b before a ($sb < $sa)"
like "$(supd_log_since_start)" "Every unit is stopped" "supd logs that every unit is stopped"

check_leaks
done_testing
