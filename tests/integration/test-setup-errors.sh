#!/bin/bash
# SPDX-License-Identifier: MIT
# Set-up failures: a missing RootFS= and a missing executable fail the start with result "setup" and a
# message naming the step and errno, and release what the start took; a unit file with an error is
# not started while the other units of the directory run.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

unit bad-rootfs <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=/nonexistent/rootfs
EOF

unit bad-exec <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/nope
RootFS=$ROOTFS
EOF

unit broken <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Resources]
MemoryMax=12Q
EOF

unit good <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

start_supd
wait_for running good 5
ok $? "good: running next to the broken unit"
fds_before=$(supd_fds_settled)

# check_setup_failure UNIT MESSAGE
check_setup_failure() {
        local u=$1 msg=$2 err status
        err=$(sc start "$u" 2>&1 >/dev/null)
        is $? 1 "$u: supctl start exits 1"
        like "$err" "$msg" "$u: supctl start says why"
        is "$(ustate "$u")" failed "$u: failed"
        is "$(uresult "$u")" setup "$u: result setup"
        status=$(sc status "$u" 2>&1)
        like "$status" "setup: $msg" "$u: supctl status shows 'setup: $msg'"
        like "$(grep -F "$u: setup:" "$SUPD_LOG")" "$u: setup: $msg" "$u: supd logs 'setup: $msg'"
        like "$(cat "$(unit_log_file "$u")" 2>/dev/null)" "supd setup: $msg" "$u: the unit log has the note"
        is "$(unit_cgroup_dir "$u")" "" "$u: no cgroup left after the failed start"
        ok "$([[ ! -e $RUNTIME/units/$u && ! -e $RUNTIME/units/$u.record ]]; echo $?)" \
                "$u: no runtime directory or record left"
}

check_setup_failure bad-rootfs "pivot_root into /nonexistent/rootfs: No such file or directory"
check_setup_failure bad-exec "exec /bin/nope: No such file or directory"

supd_fds_is "$fds_before" "supd holds the same fds as before the failed starts"
is "$(uload broken)" error "broken: load state error"
is "$(ustate broken)" inactive "broken: not started"
like "$(sc status broken 2>&1)" 'broken.unit:[0-9]+: MemoryMax: invalid size "12Q"' \
        "broken: status names file, line, key and problem"
like "$(grep -F broken.unit "$SUPD_LOG")" 'broken.unit:[0-9]+: MemoryMax: invalid size "12Q"' \
        "broken: supd logs the error"
err=$(sc start broken 2>&1)
is $? 1 "broken: supctl start exits 1"
like "$err" "MemoryMax" "broken: supctl start says why"
list=$(sc list 2>&1)
like "$list" "broken +error" "broken: supctl list shows load state error"

sc stop good
ok $? "good: stopped"

check_leaks
done_testing
