#!/bin/bash
# SPDX-License-Identifier: MIT
# Log output is never lost quietly: on a full state disk (a small tmpfs on STATE/logs) the dropped
# bytes are counted (supctl status, its JSON), the episode is logged once when it begins and once
# when writing works again; a unit's log file removed or renamed away while it runs is replaced by
# a new one that gets the next lines.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

unit chatty <<EOF
[Container]
Exec=/bin/payload log 100000000 20
RootFS=$ROOTFS
EOF

unit other <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

LOGS=$STATE/logs
mkdir -p "$LOGS"
mount -t tmpfs -o size=256k,mode=0755 sup-test-logs "$LOGS" || bail_out "cannot mount a tmpfs on $LOGS"

dropped() { ufield chatty log_bytes_dropped; }
# shellcheck disable=SC2317 # called through wait_until
_dropped_ge() { (($(dropped) >= $1)); }
n_full_warnings() { supd_log_since_start | grep -c -F "chatty: log file full, dropping output (No space left on device)"; }
# shellcheck disable=SC2317 # called through wait_until
_file_has_lines() { [[ -f $1 ]] && grep -q " stdout line " "$1"; }

start_supd
wait_for running chatty 10
ok $? "chatty: running"
wait_log chatty "stdout line " 2
ok $? "chatty: its lines reach the log"
is "$(dropped)" 0 "nothing dropped yet (log_bytes_dropped 0 in status --json)"
unlike "$(sc status chatty 2>&1)" "Log:" "supctl status shows no 'Log:' line while nothing was dropped"

# ---- the disk fills up -----------------------------------------------------------------------------

cat /dev/zero >"$LOGS/filler" 2>/dev/null
# A line is about 40 bytes, one every 20 ms: 500 bytes are several batches. (The last page of the
# file may take some 100 more lines first.)
wait_until 15 _dropped_ge 500
ok $? "the disk is full: chatty's dropped bytes are counted ($(dropped))"
size=$(stat -c %s "$(unit_log_file chatty)")
wait_until 5 _dropped_ge $(($(dropped) + 200))
ok $? "more is dropped ($(dropped))"
is "$(stat -c %s "$(unit_log_file chatty)")" "$size" "and the log file does not grow"
is "$(n_full_warnings)" 1 "supd warns once for the episode, however many batches it dropped"
like "$(sc status chatty 2>&1)" "Log: [0-9]+ bytes dropped" "supctl status shows 'Log: N bytes dropped'"
is "$(ufield other log_bytes_dropped)" 0 "another unit's count stays 0"

# ---- space again -------------------------------------------------------------------------------------

rm -f "$LOGS/filler"
wait_until 10 grep -q "chatty: log file written again" "$SUPD_LOG"
ok $? "once space is back, supd logs that writing works again"
line=$(supd_log_since_start | grep -F "chatty: log file written again")
like "$line" "chatty: log file written again; [0-9]+ bytes of output were dropped" "saying how many bytes the episode dropped"
episode=$(sed -n 's/.*; \([0-9]*\) bytes of output were dropped.*/\1/p' <<<"$line")
total=$(dropped)
ok "$([[ -n $total && $total -gt 0 && $episode == "$total" ]]; echo $?)" \
        "the episode's bytes ($episode) are the unit's total ($total)"
before=$(grep -c " stdout line " "$(unit_log_file chatty)")
wait_log chatty "stdout line " $((before + 3))
ok $? "new lines reach the file"
sleep 0.3
is "$(dropped)" "$total" "the count stays after the episode"
is "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z (stdout|stderr|supd) ' "$(unit_log_file chatty)")" 0 \
        "the log file is made of whole, well-formed lines"
is "$(n_full_warnings)" 1 "no further warning"

# ---- the log file removed, then renamed away, while chatty runs --------------------------------------------

rm -f "$(unit_log_file chatty)"
wait_until 5 _file_has_lines "$(unit_log_file chatty)"
ok $? "chatty.log removed: a new chatty.log gets the next lines"
is "$(supd_fds | grep -c -F 'chatty.log (deleted)')" 0 "supd holds no fd on the removed file"

mv "$(unit_log_file chatty)" "$LOGS/chatty.log.old"
wait_until 5 _file_has_lines "$(unit_log_file chatty)"
ok $? "chatty.log renamed away (logrotate): a new chatty.log gets the next lines"
is "$(supd_fds | grep -c -F 'chatty.log.old')" 0 "supd holds no fd on the renamed file"
old_size=$(stat -c %s "$LOGS/chatty.log.old")
sleep 0.5
is "$(stat -c %s "$LOGS/chatty.log.old")" "$old_size" "the renamed file does not grow"
like "$(sc status chatty 2>&1)" "stdout line [0-9]+" "supctl status still shows the last lines"

sc stop chatty >/dev/null
ok $? "chatty: stopped"
stop_supd
umount "$LOGS"
ok $? "tmpfs unmounted"

check_leaks
done_testing
