#!/bin/bash
# SPDX-License-Identifier: MIT
# UserNamespace=auto: root inside, mapped to a private 65536-id range at or above 1048576 that stays the
# same across restarts of the unit and of supd. UserNamespace=0:200000:65536: exactly that map, and the
# container's processes run as uid 200000 on the host.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

script='/bin/payload report; /bin/payload cat /proc/self/uid_map; exec /bin/payload sleep inf'

unit ns-auto <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "$script"
RootFS=$ROOTFS
UserNamespace=auto
EOF

unit ns-map <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "$script"
RootFS=$ROOTFS
UserNamespace=0:200000:65536
EOF

# The uid_map lines a unit printed, squeezed: "0 1048576 65536".
uid_maps() {
        sed -n 's/^[^ ]* stdout \( *0 \+[0-9]\+ \+[0-9]\+\) *$/\1/p' "$(unit_log_file "$1")" | tr -s ' ' | sed 's/^ //'
}

start_supd

sc start ns-auto
ok $? "ns-auto: started"
wait_log ns-auto "stdout +0 +[0-9]+ +[0-9]+ *$" 1 5
is "$(log_value ns-auto uid)" 0 "ns-auto: uid 0 inside"
map=$(uid_maps ns-auto | tail -n 1)
like "$map" '^0 [0-9]+ 65536$' "ns-auto: uid_map maps 0 to a range of 65536 ids ($map)"
first=$(echo "$map" | cut -d' ' -f2)
between "${first:-0}" 1048576 4294967295 "ns-auto: the range starts at or above 1048576"
for p in $(unit_pids ns-auto); do
        host_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
        [[ -n $host_uid ]] && break
done
is "${host_uid:-}" "$first" "ns-auto: the host sees its processes as uid $first"

sc restart ns-auto
ok $? "ns-auto: restarted"
wait_log ns-auto "stdout +0 +[0-9]+ +[0-9]+ *$" 2 5
is "$(uid_maps ns-auto | tail -n 1)" "$map" "ns-auto: the same range after a restart"

stop_supd
is "$SUPD_EXIT" 0 "supd exits 0 on SIGTERM"
start_supd
sc start ns-auto
ok $? "ns-auto: started by a new supd"
wait_log ns-auto "stdout +0 +[0-9]+ +[0-9]+ *$" 3 5
is "$(uid_maps ns-auto | tail -n 1)" "$map" "ns-auto: the same range after supd restarted"

sc start ns-map
ok $? "ns-map: started"
wait_log ns-map "stdout +0 +[0-9]+ +[0-9]+ *$" 1 5
is "$(uid_maps ns-map | tail -n 1)" "0 200000 65536" "ns-map: uid_map is 0 200000 65536"
is "$(log_value ns-map uid)" 0 "ns-map: uid 0 inside"
pids=$(unit_pids ns-map)
isnt "$pids" "" "ns-map: its cgroup has processes"
uids=$(for p in $pids; do awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null; done | sort -u | tr '\n' ' ')
is "$uids" "200000 " "ns-map: every process of the unit has real uid 200000 on the host"

sc stop ns-auto ns-map
ok $? "both stopped"

check_leaks
done_testing
