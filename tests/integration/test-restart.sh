#!/bin/bash
# SPDX-License-Identifier: MIT
# Restart=on-failure backoff: RestartSec= doubles after each failed run up to RestartMaxDelaySec=, as seen
# in the times of the "Started" notes of the unit's log; then the start limit ends in failed/start-limit.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

unit rs-backoff <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload exit 3
RootFS=$ROOTFS
[Service]
Restart=on-failure
RestartSec=100ms
RestartMaxDelaySec=1s
StartLimitBurst=100
EOF

unit rs-limit <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload exit 1
RootFS=$ROOTFS
[Service]
Restart=on-failure
RestartSec=100ms
StartLimitBurst=3
StartLimitIntervalSec=10s
EOF

start_supd
fds_before=$(supd_fds_settled)

# ---- backoff
sc start --no-block rs-backoff
ok $? "rs-backoff: start --no-block accepted"
wait_log rs-backoff "supd Started, pid [0-9]+\." 7 12
ok $? "rs-backoff: started 7 times"
sc stop rs-backoff
ok $? "rs-backoff: stopped"
is "$(ustate rs-backoff)" inactive "rs-backoff: inactive after stop"

delays=$(sed -n 's/^[^ ]* supd Restarting in \([0-9.]*\)s\.$/\1/p' "$(unit_log_file rs-backoff)" | head -n 6 | tr '\n' ' ')
is "$delays" "0.100 0.200 0.400 0.800 1.000 1.000 " "rs-backoff: the announced delays double up to the cap"

mapfile -t starts < <(note_times rs-backoff "Started, pid [0-9]+\." | head -n 7)
expected=(0.1 0.2 0.4 0.8 1.0 1.0)
for i in 0 1 2 3 4 5; do
        gap=$(awk -v a="${starts[i]:-0}" -v b="${starts[i + 1]:-0}" 'BEGIN { printf "%.3f", b - a }')
        lo=$(awk -v e="${expected[i]}" 'BEGIN { printf "%.3f", e * 0.6 }')
        hi=$(awk -v e="${expected[i]}" 'BEGIN { printf "%.3f", e * 1.4 + 0.15 }')
        between "$gap" "$lo" "$hi" "rs-backoff: start $((i + 2)) came ${gap}s after start $((i + 1)) (expected ~${expected[i]}s)"
done
# The delay itself: from the "Restarting in" note (the timer is armed right then) to the next start.
mapfile -t restarting < <(note_times rs-backoff "Restarting in" | head -n 6)
for i in 0 1 2 3 4 5; do
        gap=$(awk -v a="${restarting[i]:-0}" -v b="${starts[i + 1]:-0}" 'BEGIN { printf "%.3f", b - a }')
        lo=$(awk -v e="${expected[i]}" 'BEGIN { printf "%.3f", e * 0.95 }')
        hi=$(awk -v e="${expected[i]}" 'BEGIN { printf "%.3f", e * 1.4 + 0.15 }')
        between "$gap" "$lo" "$hi" "rs-backoff: restart $((i + 1)) waited ${gap}s (RestartSec doubled: ${expected[i]}s)"
done
like "$(lfield rs-backoff restarts n_restarts)" '^[67]$' "rs-backoff: supctl list --json counts the restarts (6, or 7 if the stop came late)"

# ---- start limit
sc start --no-block rs-limit
ok $? "rs-limit: start --no-block accepted"
wait_for failed rs-limit 10
ok $? "rs-limit: failed"
is "$(uresult rs-limit)" start-limit "rs-limit: result start-limit"
is "$(grep -cE "supd Started, pid" "$(unit_log_file rs-limit)")" 3 "rs-limit: started StartLimitBurst=3 times"
like "$(cat "$(unit_log_file rs-limit)")" "supd Start limit hit" "rs-limit: the log says why"
is "$(lfield rs-limit restarts n_restarts)" 3 "rs-limit: supctl list --json shows 3 restarts"
is "$(lfield rs-limit result)" start-limit "rs-limit: supctl list --json shows result start-limit"
is "$(unit_cgroup_dir rs-limit)" "" "rs-limit: no cgroup left"
err=$(sc start rs-limit 2>&1)
is $? 1 "rs-limit: a new start is refused until reset-failed"
like "$err" "start.limit" "rs-limit: supctl start says it is the start limit"
supd_fds_is "$fds_before" "supd holds the same fds as before the units ran"

check_leaks
done_testing
