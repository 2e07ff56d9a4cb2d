#!/bin/bash
# SPDX-License-Identifier: MIT
# UserNamespace=auto: root inside, mapped to a private 65536-id range at or above 1048576 that stays the
# same across restarts of the unit and of supd. UserNamespace=0:200000:65536: exactly that map, and the
# container's processes run as uid 200000 on the host.
# With Overlay=: the mapped root mounts the overlay; writes land in the upper (ephemeral: gone at stop;
# persistent: STATE/overlay/NAME/upper, owned by the mapped root), the RootFS= stays as it was, and no
# unit's mapped root can enter another unit's RUNTIME/units/NAME or STATE/overlay/NAME. An upper written
# with other ids (UserNamespace= added or removed) is refused with a message saying so. DNS= works too
# (its resolv.conf is in RUNTIME/units, which the mapped root must search).
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

lower=$(private_rootfs lower)
lower_sum() {
        (cd "$lower" && find . -printf '%p %s %m %U %G\n' | sort | md5sum)
}
lower_before=$(lower_sum)

# Each run says whether /marker was there when it started, then writes it.
ov_script='if [ -e /marker ]; then echo found=yes; else echo found=no; fi; echo data >/marker && echo wrote=yes; exec /bin/payload sleep inf'

ov_unit() { # NAME OVERLAY [USERNS]
        unit "$1" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "$ov_script"
RootFS=$lower
Overlay=$2
${3:+UserNamespace=$3}
EOF
}
ov_unit ov-eph ephemeral auto
ov_unit ov-pers persistent auto
ov_unit ov-map persistent 0:300000:65536
ov_unit ov-plain persistent

# DNS= binds RUNTIME/units/NAME.resolv.conf: the mapped root must be able to reach it too.
unit ns-dns <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "cat /etc/resolv.conf; exec /bin/payload sleep inf"
RootFS=$ROOTFS
UserNamespace=auto
[Network]
DNS=192.0.2.53
EOF

# The host uid of a unit's processes (its mapped root).
host_uid_of() {
        local p u
        for p in $(unit_pids "$1"); do
                u=$(awk '/^Uid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
                [[ -n $u ]] && echo "$u" && return
        done
}

# as_uid UID CMD...: CMD as a host user UID (group UID, no supplementary groups), like a unit's root.
as_uid() {
        local u=$1
        shift
        setpriv --reuid="$u" --regid="$u" --clear-groups -- "$@"
}

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

sc start ns-dns
ok $? "ns-dns: started (DNS= with a user namespace)"
wait_log ns-dns "stdout nameserver" 1 5
like "$(cat "$(unit_log_file ns-dns)")" "stdout nameserver 192.0.2.53" "ns-dns: its /etc/resolv.conf names the DNS= server"
sc stop ns-dns
ok $? "ns-dns: stopped"

# ---- Overlay= with a user namespace -------------------------------------------------------------------

_need setpriv "apt-get install util-linux"
is "$(stat -c '%a %U' "$RUNTIME/units")" "711 root" "RUNTIME/units is 0711 root: searchable, not listable"
is "$(stat -c '%a %U' "$STATE/overlay")" "711 root" "STATE/overlay is 0711 root"

for u in ov-eph ov-pers ov-map; do
        sc start "$u"
        ok $? "$u: started"
        wait_log "$u" "stdout wrote=" 1 5
        is "$(log_value "$u" found)" no "$u: first run: no /marker"
        is "$(log_value "$u" wrote)" yes "$u: writing /marker inside works"
done
eph_uid=$(host_uid_of ov-eph)
pers_uid=$(host_uid_of ov-pers)
between "${eph_uid:-0}" 1048576 4294967295 "ov-eph: runs as its mapped root ($eph_uid)"
between "${pers_uid:-0}" 1048576 4294967295 "ov-pers: runs as its mapped root ($pers_uid)"
isnt "$eph_uid" "$pers_uid" "ov-eph and ov-pers have different ranges"
is "$(host_uid_of ov-map)" 300000 "ov-map: runs as uid 300000"

# Ephemeral: the upper is in the container's own tmpfs: /marker is seen through its root, nothing on
# the host; its mount point on the host stays root's and closed.
eph_pid=$(umainpid ov-eph)
is "$(cat "/proc/$eph_pid/root/marker" 2>/dev/null)" data "ov-eph: /marker is in the running container"
is "$(stat -c '%a %u' "$RUNTIME/units/ov-eph")" "700 0" "ov-eph: RUNTIME/units/ov-eph is 0700 root"
is "$(find "$RUNTIME/units/ov-eph" -mindepth 1 | wc -l)" 0 "ov-eph: nothing of the overlay on the host side"
as_uid "$pers_uid" ls "$RUNTIME/units/ov-eph" >/dev/null 2>&1
isnt $? 0 "another unit's mapped root ($pers_uid) cannot enter RUNTIME/units/ov-eph"
as_uid "$pers_uid" ls "$RUNTIME/units" >/dev/null 2>&1
isnt $? 0 "another unit's mapped root cannot list RUNTIME/units"
as_uid "$eph_uid" ls "$RUNTIME/units/ov-eph" >/dev/null 2>&1
isnt $? 0 "nor can the unit's own mapped root enter it on the host (the child only mounts on it)"

# Persistent: STATE/overlay/NAME, its upper and what the payload wrote belong to the mapped root.
for u in ov-pers ov-map; do
        if [[ $u == ov-pers ]]; then owner=$pers_uid; else owner=300000; fi
        is "$(stat -c '%a %u %g' "$STATE/overlay/$u")" "700 $owner $owner" \
                "$u: STATE/overlay/$u is 0700, its mapped root's"
        is "$(stat -c '%u' "$STATE/overlay/$u/upper" "$STATE/overlay/$u/work" | sort -u)" "$owner" \
                "$u: upper/ and work/ are its mapped root's"
        is "$(stat -c '%u:%g %s' "$STATE/overlay/$u/upper/marker" 2>/dev/null)" "$owner:$owner 5" \
                "$u: /marker is in STATE/overlay/$u/upper, owned by uid $owner"
done
as_uid "$eph_uid" ls "$STATE/overlay/ov-pers" >/dev/null 2>&1
isnt $? 0 "another unit's mapped root ($eph_uid) cannot enter STATE/overlay/ov-pers"
as_uid "$eph_uid" ls "$STATE/overlay" >/dev/null 2>&1
isnt $? 0 "another unit's mapped root cannot list STATE/overlay"

sc restart ov-eph ov-pers
ok $? "ov-eph, ov-pers: restarted"
wait_log ov-eph "stdout wrote=" 2 5
wait_log ov-pers "stdout wrote=" 2 5
is "$(log_value ov-eph found)" no "ov-eph: /marker is gone after a restart"
is "$(log_value ov-pers found)" yes "ov-pers: /marker survived the restart"

sc stop ov-eph ov-pers ov-map
ok $? "overlay units stopped"
is "$(grep -cF -- "$TMP" /proc/self/mountinfo)" 0 "no mount of the temp dir after stop"
ok "$([[ ! -e $RUNTIME/units/ov-eph && ! -e $STATE/overlay/ov-eph ]]; echo $?)" \
        "ov-eph: nothing left in RUNTIME/units or STATE/overlay"
ok "$([[ -f $STATE/overlay/ov-pers/upper/marker ]]; echo $?)" "ov-pers: the upper is kept after stop"
is "$(lower_sum)" "$lower_before" "the RootFS= is unchanged (names, sizes, modes, owners)"

# An upper written with other ids is refused, both ways: one made without a user namespace, then used
# with one (ov-plain); ov-pers's, its mapped root's, used without one.
sc start ov-plain
ok $? "ov-plain: started without a user namespace"
wait_log ov-plain "stdout wrote=" 1 5
sc stop ov-plain
ok $? "ov-plain: stopped"
ov_unit ov-plain persistent auto
ov_unit ov-pers persistent
sc reload >/dev/null
ok $? "reloaded: ov-plain now with UserNamespace=auto, ov-pers without"
err=$(sc start ov-plain 2>&1 >/dev/null)
isnt $? 0 "ov-plain: does not start with the upper of a run without a user namespace"
like "$err" "overlay/ov-plain/upper belongs to uid 0, not to this run's root \(uid [0-9]+ on the host\): made with another UserNamespace=" \
        "ov-plain: the message says whose the upper is"
is "$(uresult ov-plain)" setup "ov-plain: result setup"
err=$(sc start ov-pers 2>&1 >/dev/null)
isnt $? 0 "ov-pers: does not start without a user namespace on its mapped root's upper"
like "$err" "overlay/ov-pers/upper belongs to uid $pers_uid, not to this run's root \(uid 0 on the host\)" \
        "ov-pers: the message says whose the upper is"
is "$(stat -c '%u' "$STATE/overlay/ov-pers/upper")" "$pers_uid" "ov-pers: the refused upper is left as it was"

check_leaks
done_testing
