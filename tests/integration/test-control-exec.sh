#!/bin/bash
# SPDX-License-Identifier: MIT
# supctl exec: the command runs in the unit's pid namespace (its pid 1 is the unit's), hostname, root,
# working directory, cgroup, user (mapped, with UserNamespace=auto), bounding set, no_new_privs and
# environment; only fds 0-2 go in; stdin passes through; the exit status comes back (128+N for a
# signal, 127 for a missing command); -t gives it a terminal of the unit's own devpts. Namespaces a unit
# shares with the host are not entered.
# shellcheck disable=SC2016 # the single-quoted scripts are for the shell inside the unit
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

rootfs=$(private_rootfs exec)
marker="only-in-the-rootfs-$$"
echo "$marker" >"$rootfs/marker"
[[ ! -e /marker ]] || skip_all "the host has a /marker"

unit web <<EOF
[Container]
Exec=/bin/sh -c 'echo web-up; while :; do sleep 1; done'
RootFS=$rootfs
WorkingDirectory=/tmp
Environment="GREETING=hello from web"
EOF

unit noinit <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
Init=no
EOF

unit uns <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
UserNamespace=auto
User=1000
Group=1000
EOF

# Shares the host's (the test's) network and uts namespaces.
unit hostnet <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
Namespaces=pid mnt ipc
EOF

unit idle <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
EOF

start_supd
for u in web noinit uns hostnet; do
        wait_for running "$u" 5
done
fds_before=$(supd_fds_settled)

# ---- where it runs ---------------------------------------------------------------------------------------

out=$(sc exec noinit cat /proc/1/cmdline | tr '\0' ' ')
is "$out" "/bin/payload sleep inf " "exec noinit: pid 1 is the unit's payload"
out=$(sc exec web sh -c 'cat /proc/1/status' | sed -n 's/^NSpid:\t*//p')
is "$out" 1 "exec web: sees a pid 1 of its own namespace (the unit's init)"
out=$(sc exec web ps -o pid,args)
like "$out" "while :; do sleep 1" "exec web: ps shows the unit's payload"
n=$(grep -c . <<<"$out")
between "$n" 3 8 "exec web: and only the unit's few processes ($((n - 1)))"
out=$(sc exec web sh -c 'echo $$')
between "$out" 2 50 "exec web: its own pid is in the unit's pid namespace ($out)"
is "$(sc exec web hostname)" web "exec web: the unit's hostname"
is "$(sc exec web cat /marker)" "$marker" "exec web: the unit's root (a file only in its rootfs)"
is "$(sc exec web pwd)" /tmp "exec web: the unit's working directory"
is "$(sc exec noinit pwd)" / "exec noinit: / (its working directory)"
is "$(sc exec web sh -c 'echo "$GREETING"')" "hello from web" "exec web: the unit's environment"
is "$(sc exec web sh -c 'echo "$PATH"')" /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        "exec web: the unit's PATH"
is "$(sc exec web sh -c 'echo "${NOTIFY_SOCKET-unset}"')" unset "exec web: no NOTIFY_SOCKET"

ns_of() { readlink "/proc/$1/ns/$2"; }
web_pid=$(umainpid web)
for ns in mnt pid uts ipc net cgroup; do
        out=$(sc exec web readlink "/proc/self/ns/$ns")
        is "$out" "$(ns_of "$web_pid" "$ns")" "exec web: in the unit's $ns namespace"
done
hostnet_pid=$(umainpid hostnet)
is "$(ns_of "$hostnet_pid" net)" "$(ns_of "$SUPD_PID" net)" "hostnet shares supd's net namespace"
is "$(sc exec hostnet readlink /proc/self/ns/net)" "$(ns_of "$SUPD_PID" net)" "exec hostnet: in that same net namespace"
isnt "$(sc exec hostnet readlink /proc/self/ns/mnt)" "$(ns_of "$SUPD_PID" mnt)" "exec hostnet: in the unit's mnt namespace"

is "$(sc exec web cat /proc/self/cgroup | grep '^0::')" "0::/" "exec web: at the root of the unit's cgroup namespace"
# supctl itself in the background (not through sc(), a function: $! would be its subshell).
timeout --kill-after=5 20 "$SUPCTL" exec web sleep 7.25 &
execer=$!
# shellcheck disable=SC2317 # called through wait_until
_exec_in_cgroup() {
        local p
        for p in $(unit_pids web); do
                [[ $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) == "sleep 7.25 " ]] && return 0
        done
        return 1
}
wait_until 5 _exec_in_cgroup
ok $? "exec web: the command is in the unit's cgroup (host view)"
kill -TERM "$execer"
wait "$execer"
is $? 143 "SIGTERM to supctl (here through timeout) reaches the command (143)"
# shellcheck disable=SC2317 # called through wait_until
_exec_gone() { ! _exec_in_cgroup; }
wait_until 5 _exec_gone
ok $? "... which is gone"

# ---- who it runs as ----------------------------------------------------------------------------------------

is "$(sc exec web id -u):$(sc exec web id -g)" 0:0 "exec web: as the unit's user, root"
payload_of() {
        local p=$1
        [[ $2 == init ]] && p=$(cut -d' ' -f1 "/proc/$1/task/$1/children")
        echo "$p"
}
web_payload=$(payload_of "$web_pid" init)
want=$(sed -n 's/^CapBnd:\t*//p' "/proc/$web_payload/status")
is "$(sc exec web sed -n 's/^CapBnd:\t*//p' /proc/self/status)" "$want" "exec web: the payload's bounding set"
is "$(sc exec web sed -n 's/^CapEff:\t*//p' /proc/self/status)" "$want" "exec web: root gets those capabilities"
is "$(sc exec web sed -n 's/^NoNewPrivs:\t*//p' /proc/self/status)" 1 "exec web: no_new_privs"
is "$(sc exec uns id -u):$(sc exec uns id -g)" 1000:1000 "exec uns: as the unit's user 1000:1000"
is "$(sc exec uns sed -n 's/^CapEff:\t*//p' /proc/self/status)" 0000000000000000 "exec uns: without capabilities"
map=$(sc exec uns cat /proc/self/uid_map | awk '{ print $1, $2, $3 }')
uns_pid=$(umainpid uns)
is "$map" "$(awk '{ print $1, $2, $3 }' "/proc/$uns_pid/uid_map")" "exec uns: in the unit's user namespace"
like "$map" "^0 [1-9][0-9]* 65536$" "... a private range"
sc exec uns touch /tmp/made-by-exec
uns_payload=$(payload_of "$uns_pid" init)
host_uid=$(stat -c %u "/proc/$uns_payload/root/tmp/made-by-exec" 2>/dev/null)
is "$host_uid" "$(($(awk '{ print $2 }' <<<"$map") + 1000))" "exec uns: a file it makes belongs to the mapped uid"
is "$(sc exec uns readlink /proc/self/ns/user)" "$(ns_of "$uns_pid" user)" "exec uns: in the unit's user namespace (inode)"

# ---- fds, stdin, exit status ------------------------------------------------------------------------------

# (": " after ls: else the shell would exec ls in its place, and ls has its own fd 3 for /proc/PID/fd.)
out=$(sc exec web sh -c 'ls /proc/$$/fd; :' 7</dev/null 8>/dev/null | tr '\n' ' ')
is "$out" "0 1 2 " "exec web: only fds 0, 1 and 2 go in"
is "$(echo "through stdin" | sc exec web cat)" "through stdin" "exec web: stdin passes through"
sc exec web sh -c 'exit 42'
is $? 42 "exec web: exit status 42 comes back"
sc exec web sh -c 'kill -USR1 $$'
is $? 138 "exec web: killed by SIGUSR1: 138"
out=$(sc exec web no-such-command 2>&1)
is $? 127 "exec web: a missing command: 127"
like "$out" "no-such-command" "... named in the message"
out=$(sc exec web /etc/hostname 2>&1)
is $? 126 "exec web: a file that is not executable: 126"
out=$(sc exec web -- echo after-dashes)
is "$out" after-dashes "exec web -- CMD: the -- is dropped"
out=$(sc exec web sh -c 'echo "$0 $1"' -x -y)
is "$out" "-x -y" "exec: options after NAME belong to the command"

out=$(sc exec idle true 2>&1)
is $? 1 "exec of a unit that is not running: 1"
is "$out" "supctl: idle is not running" "... saying so"
sc exec nosuch true >/dev/null 2>&1
is $? 4 "exec of a missing unit: 4"
chmod 0666 "$RUNTIME/control"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups -- "$SUPCTL" exec web true 2>&1)
is $? 1 "exec as uid 65534: 1"
like "$out" "root" "... it needs root"
chmod 0600 "$RUNTIME/control"

# ---- with a terminal -----------------------------------------------------------------------------------------

if command -v script >/dev/null; then
        timeout 20 script -qec "stty rows 33 cols 77; $SUPCTL exec -t web sh -c 'tty; stty size; echo \$TERM; exit 5'" \
                /dev/null </dev/null >"$TMP/tty.out"
        is $? 5 "exec -t: the exit status comes back"
        out=$(tr -d '\r' <"$TMP/tty.out")
        like "$out" "/dev/pts/[0-9]+" "exec -t: the command has a terminal"
        like "$out" "33 77" "exec -t: of the caller's size"
        like "$out" "xterm|screen|vt|linux|dumb" "exec -t: TERM is set"
        sc exec web ls /dev/pts >"$TMP/pts.out"
        grep -qx ptmx "$TMP/pts.out"
        ok $? "the unit has a devpts of its own"
        timeout 20 script -qec "$SUPCTL exec -t uns sh -c 'ls -ln \$(tty)'" /dev/null </dev/null >"$TMP/tty.out"
        like "$(tr -d '\r' <"$TMP/tty.out")" "c[-rwx]+ +1 +1000 " "exec -t uns: the terminal belongs to the unit's user"
        printf 'echo in-$((6 * 7))\nexit 3\n' | timeout 20 "$SUPCTL" exec -t web sh >"$TMP/tty.out" 2>&1
        is $? 3 "exec -t with a pipe as stdin: the shell reads it, exits 3"
        out=$(tr -d '\r' <"$TMP/tty.out")
        like "$out" "in-42" "... and ran what it read"
else
        skip "script(1) not found: no terminal to test -t with"
fi

# ---- and supd ----------------------------------------------------------------------------------------------------

for u in web noinit uns hostnet; do
        is "$(ustate "$u")" running "$u still running"
done
supd_fds_is "$fds_before" "supd's fds are as before"

# ---- supd as PID 1 of its own pid namespace --------------------------------------------------------------
# Its pids are not the host's: supctl runs in its pid namespace (see sc()) but reads the host's /proc.

kill_supd
start_supd_pid1 --log-level warn
ok $? "supd started as PID 1 of a pid namespace"
wait_for running web 10
is "$(sc exec web hostname)" web "supd as PID 1: exec web, in the unit"
is "$(sc exec web pwd)" /tmp "supd as PID 1: in its working directory (found through the host's /proc)"
wait_for running uns 10
is "$(sc exec uns id -u)" 1000 "supd as PID 1: exec uns, as its user"
kill_supd
# What the SIGKILLed PID 1 left, removed by a normal supd on the same directories.
start_supd
stop_supd

check_leaks
done_testing
