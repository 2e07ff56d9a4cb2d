#!/bin/bash
# SPDX-License-Identifier: MIT
# supctl's exit codes (SPEC §5): start --wait passes the job's status on (128+N for signal N); status
# says 0 running, 3 not running, 4 no such unit; 5 when supd cannot be reached; 2 for usage errors;
# --json documents parse.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

job() {
        unit "$1" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload $2
RootFS=$ROOTFS
Init=$3
[Service]
Restart=no
EOF
}
job job-exit7 "exit 7" yes
job job-crash "crash" yes
job job-crash-noinit "crash" no
job job-ok "exit 0" yes

unit svc <<EOF
[Unit]
Description=a service that runs
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

unit idle <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

start_supd
wait_for running svc 5

sc start --wait job-exit7
is $? 7 "start --wait: exit 7 gives 7"
sc start --wait job-crash
is $? 139 "start --wait: SIGSEGV gives 139 (with the container's init)"
sc start --wait job-crash-noinit
is $? 139 "start --wait: SIGSEGV gives 139 (payload as PID 1)"
sc start --wait job-ok
is $? 0 "start --wait: exit 0 gives 0"
is "$(ustate job-exit7)" failed "job-exit7: failed"
is "$(uresult job-exit7)" exit-code "job-exit7: result exit-code"
is "$(uresult job-crash-noinit)" signal "job-crash-noinit: result signal"
# With Init=yes the main process is the container's init, which exits with 128+N for the payload.
like "$(uresult job-crash)" '^(signal|exit-code)$' "job-crash: result signal or exit-code (the init's 139)"
is "$(ustate job-ok)" inactive "job-ok: inactive"

out=$(sc list 2>&1)
ok $? "list exits 0"
for u in job-exit7 job-crash job-crash-noinit job-ok svc idle; do
        like "$out" "$u " "list shows $u"
done
like "$out" "a service that runs" "list shows the description"

sc status svc >/dev/null 2>&1
is $? 0 "status of a running unit: 0"
sc status idle >/dev/null 2>&1
is $? 3 "status of a unit that is not running: 3"
sc status job-exit7 >/dev/null 2>&1
is $? 3 "status of a failed unit: 3"
sc status nosuch >/dev/null 2>&1
is $? 4 "status of a missing unit: 4"
sc start nosuch >/dev/null 2>&1
is $? 4 "start of a missing unit: 4"
sc stop nosuch >/dev/null 2>&1
is $? 4 "stop of a missing unit: 4"

sc bogusverb >/dev/null 2>&1
is $? 2 "an unknown verb: 2"
sc status >/dev/null 2>&1
is $? 2 "status without a name: 2"
sc --bogus-option list >/dev/null 2>&1
is $? 2 "an unknown option: 2"
sc --socket "$TMP/nonexistent" list >/dev/null 2>&1
is $? 5 "no supd behind --socket: 5"
SUP_SOCKET=$TMP/nonexistent sc status svc >/dev/null 2>&1
is $? 5 "no supd behind \$SUP_SOCKET: 5"

for args in "list" "status svc" "status idle" "status job-exit7"; do
        # shellcheck disable=SC2086
        sc --json $args 2>/dev/null | "$PYTHON3" -m json.tool >/dev/null
        ok $? "--json $args parses"
done
is "$(lfield svc active_state active state)" running "list --json: svc running"
main=$(ufield svc main_pid mainpid pid)
like " $(unit_pids svc | tr '\n' ' ')" " ${main:-none} " "status --json: the main pid ($main) is in the unit's cgroup"
like "$(ufield svc cgroup)" "/$CGROOT/svc\$" "status --json: the cgroup path"

sc stop svc
ok $? "stop svc"
sc status svc >/dev/null 2>&1
is $? 3 "status after stop: 3"

check_leaks
done_testing
