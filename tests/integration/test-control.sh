#!/bin/bash
# SPDX-License-Identifier: MIT
# The control verbs (SPEC §5, §6): every method on the bus; supctl's exit codes 0-5 each provoked on
# purpose; a non-root caller refused for changes but allowed to read; kill (main process and --all);
# logs (-n, -f, across a rotation); reset-failed; reload (added, removed, changed, unchanged, and an
# invalid edit that keeps the old instance); stats and freeze when this supd has them.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
command -v busctl >/dev/null || skip_all "busctl not found (apt-get install systemd)"
command -v setpriv >/dev/null || skip_all "setpriv not found (apt-get install util-linux)"

# The init passes SIGUSR1 on to the shell, which says so.
unit web <<EOF
[Unit]
Description=traps USR1
[Container]
Exec=/bin/sh -c 'trap "echo got-usr1" USR1; echo web-up; while :; do sleep 0.1; done'
RootFS=$ROOTFS
EOF

# No pid namespace and no init: the main process is the outer shell, with a child shell beside it.
unit family <<EOF
[Container]
Exec=/bin/sh -c 'trap "echo main-got-usr1" USR1; (trap "echo child-got-usr1" USR1; while :; do sleep 0.1; done) & while :; do sleep 0.1; done'
RootFS=$ROOTFS
Namespaces=mnt ipc uts
Init=no
EOF

unit idle <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

unit crasher <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload exit 3
RootFS=$ROOTFS
[Service]
Restart=no
EOF

unit limited <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload exit 1
RootFS=$ROOTFS
[Service]
Restart=on-failure
RestartSec=10ms
StartLimitBurst=2
StartLimitIntervalSec=30s
EOF

# Lines as fast as the log rotates: 4K files of ~45-byte lines.
unit chatty <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c 'i=0; while :; do i=\$((i + 1)); echo "line-\$i"; sleep 0.01; done'
RootFS=$ROOTFS
[Service]
LogMaxSize=4K
EOF

# For reload: keep, change and drop stay, drop goes, add comes.
for u in keep change drop; do
        unit "$u" <<EOF
[Unit]
Description=reload $u
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF
done

start_supd
wait_for running web 5
wait_for running family 5
fds_before=$(supd_fds_settled)
n_fds_before=$(wc -l <<<"$fds_before")

address=unix:path=$RUNTIME/control
bc() {
        timeout --kill-after=5 20 busctl --address="$address" --timeout=10 "$@"
}

# ---- the bus ----------------------------------------------------------------------------------------------

out=$(bc introspect org.sup.Manager1 /org/sup/Manager1 2>&1)
ok $? "busctl introspect works"
for m in ListUnits GetUnit StartUnit StopUnit RestartUnit KillUnit ResetFailed Reload GetStats Freeze Thaw \
        PowerOff Reboot GetLogPath; do
        like "$out" "\.$m +method" "introspect lists the method $m"
done
like "$out" "\.KillUnit +method +ssi +- " "KillUnit takes (s name, s whom, i signal)"
like "$out" "\.Reload +method +- +uas " "Reload returns (u n_errors, as errors)"
like "$out" "\.GetStats +method +s +a\{sv\} " "GetStats returns a{sv}"
like "$out" "\.UnitChanged +signal" "introspect lists the signal UnitChanged"

out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 KillUnit ssi web nobody 10 2>&1)
isnt $? 0 "KillUnit with whom \"nobody\" fails"
like "$out" "main.*all" "... and the message says what whom may be"
out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 KillUnit ssi web main 0 2>&1)
isnt $? 0 "KillUnit with signal 0 fails"
out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 GetLogPath s web 2>&1)
is "$out" "s \"$STATE/logs/web.log\"" "GetLogPath gives STATE/logs/NAME.log"

# ---- exit codes, each on purpose -----------------------------------------------------------------------------

sc list >/dev/null
is $? 0 "exit 0: list"
out=$(sc kill idle 2>&1)
is $? 1 "exit 1: kill of a unit that is not running"
like "$out" "idle" "... the message names the unit"
out=$(sc kill -s BOGUS web 2>&1)
is $? 2 "exit 2: kill -s BOGUS"
like "$out" "BOGUS" "... the message names the signal"
sc frobnicate >/dev/null 2>&1
is $? 2 "exit 2: an unknown verb"
sc list --follow >/dev/null 2>&1
is $? 2 "exit 2: an option the verb does not take"
sc logs -n many web >/dev/null 2>&1
is $? 2 "exit 2: logs -n many"
sc exec web >/dev/null 2>&1
is $? 2 "exit 2: exec without a command"
sc status idle >/dev/null
is $? 3 "exit 3: status of a unit that is not running"
for v in "kill" "reset-failed" "logs" "stats" "freeze" "thaw" "exec"; do
        args=(nosuch)
        [[ $v == exec ]] && args=(nosuch true)
        out=$(sc "$v" "${args[@]}" 2>&1)
        is $? 4 "exit 4: $v of a missing unit"
done
like "$out" "nosuch" "... the message names it"
out=$(timeout 20 "$SUPCTL" --socket "$TMP/no-such-socket" list 2>&1)
is $? 5 "exit 5: no supd on that socket"
like "$out" "no-such-socket" "... the message names the socket"

out=$(sc poweroff 2>&1)
is $? 1 "poweroff of a supd that is not PID 1: exit 1"
like "$out" "PID 1" "... it says why"
out=$(sc reboot 2>&1)
is $? 1 "reboot of a supd that is not PID 1: exit 1"
is "$(ustate web)" running "web still runs after the refused poweroff and reboot"

# ---- not root ---------------------------------------------------------------------------------------------------

nobody() {
        setpriv --reuid 65534 --regid 65534 --clear-groups -- timeout --kill-after=5 "$SUPCTL_TIMEOUT" "$SUPCTL" "$@"
}
chmod 0666 "$RUNTIME/control"
out=$(nobody start idle 2>&1)
is $? 1 "uid 65534: start is refused (exit 1)"
like "$out" "Access denied" "... with Access denied"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups -- timeout 20 busctl --address="$address" \
        call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 StartUnit s idle 2>&1)
like "$out" "Access denied" "uid 65534: busctl StartUnit gets AccessDenied"
is "$(ustate idle)" inactive "... and idle was not started"
for v in "kill web" "reset-failed crasher" "reload" "freeze web" "thaw web" "poweroff" "reboot"; do
        # shellcheck disable=SC2086 # the verb and its argument
        out=$(nobody $v 2>&1)
        is $? 1 "uid 65534: $v is refused"
        like "$out" "Access denied" "... with Access denied"
done
out=$(nobody list 2>&1)
is $? 0 "uid 65534: list works"
like "$out" "web +loaded +running" "... and shows web running"
nobody status web >/dev/null 2>&1
is $? 0 "uid 65534: status works"
chmod 0600 "$RUNTIME/control"

# ---- kill --------------------------------------------------------------------------------------------------------

pid=$(umainpid web)
sc kill -s SIGUSR1 web
is $? 0 "kill -s SIGUSR1 web"
wait_log web "stdout got-usr1$" 1 5
ok $? "the payload got SIGUSR1 (through the init)"
sc kill -s usr1 web
wait_log web "stdout got-usr1$" 2 5
ok $? "kill -s usr1 (lower case, without SIG) works too"
sc kill -s 10 web
wait_log web "stdout got-usr1$" 3 5
ok $? "kill -s 10 works too"
is "$(umainpid web)" "$pid" "web kept its main process"

sc kill -s USR1 family
wait_log family "stdout main-got-usr1$" 1 5
ok $? "kill: the main process got it"
sleep 0.3
is "$(log_values family child-got-usr1 | wc -l)" 0 "kill: the other process did not"
sc kill --all -s USR1 family
wait_log family "stdout child-got-usr1$" 1 5
ok $? "kill --all: the other process got it too"
wait_log family "stdout main-got-usr1$" 2 5
ok $? "kill --all: and the main process"

mapfile -t pids < <(unit_pids family)
pid=$(umainpid family)
sc kill --all -s KILL family
is $? 0 "kill --all -s KILL family"
# shellcheck disable=SC2317 # called through wait_until
_all_gone() {
        local p
        for p in "${pids[@]}"; do
                pid_alive "$p" && return 1
        done
        return 0
}
wait_until 5 _all_gone
ok $? "kill --all -s KILL: all ${#pids[@]} processes of the unit are gone"
wait_for running family 5
isnt "$(umainpid family)" "$pid" "family was restarted (Restart=on-failure)"

# ---- logs ---------------------------------------------------------------------------------------------------------

log=$(unit_log_file web)
out=$(sc logs -n 3 web)
is $? 0 "logs -n 3 web"
is "$out" "$(tail -n 3 "$log")" "logs -n 3: the last 3 lines of the file"
is "$(sc logs web)" "$(cat "$log")" "logs: every line"
is "$(sc logs -n 0 web)" "" "logs -n 0: nothing"
like "$(sc logs -n 1 web)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{15}Z (stdout|stderr|supd) ' "logs: the file's format"

timeout 10 "$SUPCTL" logs -f -n 0 web >"$TMP/follow.out" 2>&1 &
follower=$!
sleep 0.5 # it reads nothing at first: there is nothing to wait for but its start
sc kill -s USR1 web
# shellcheck disable=SC2317 # called through wait_until
_followed() {
        grep -q "stdout got-usr1$" "$TMP/follow.out"
}
wait_until 5 _followed
ok $? "logs -f: shows a line written after it started"
pid_alive "$follower"
ok $? "logs -f: still following"
kill "$follower" 2>/dev/null
wait "$follower" 2>/dev/null
is "$(grep -c . "$TMP/follow.out")" 1 "logs -f -n 0: only that line"

sc start chatty
timeout 4 "$SUPCTL" logs -f chatty >"$TMP/chatty.out" 2>/dev/null
is $? 124 "logs -f: runs until interrupted (here by timeout)"
sc stop chatty
[[ -e $(unit_log_file chatty).1 ]]
ok $? "chatty's log was rotated"
gaps=$(sed -n 's/^[^ ]* stdout line-//p' "$TMP/chatty.out" |
        awk 'NR == 1 && $1 != 1 { print "starts at " $1 } NR > 1 && $1 != p + 1 { print p " -> " $1 } { p = $1 } END { if (NR < 150) print "only " NR " lines" }')
is "$gaps" "" "logs -f: every line from the first, across rotations"
want=$(cat "$(unit_log_file chatty).1" "$(unit_log_file chatty)" | tail -n 150)
is "$(sc logs -n 150 chatty)" "$want" "logs -n 150: the last lines of both files"

# ---- reset-failed -------------------------------------------------------------------------------------------------

sc start --wait crasher
is $? 3 "crasher ran and exited with 3"
is "$(ustate crasher)" failed "crasher: failed"
sc reset-failed crasher
is $? 0 "reset-failed crasher"
is "$(ustate crasher)" inactive "crasher: inactive after reset-failed"
is "$(lfield crasher restarts)" 0 "crasher: restarts back to 0"

sc start --no-block limited >/dev/null 2>&1
wait_for failed limited 10
is "$(uresult limited)" start-limit "limited: failed with start-limit"
sc start limited >/dev/null 2>&1
is $? 1 "limited: start is refused at the start limit"
sc reset-failed limited
is $? 0 "reset-failed limited"
is "$(ustate limited)" inactive "limited: inactive"
out=$(sc start --no-block limited 2>&1)
is $? 0 "limited: start accepted again after reset-failed"
wait_for failed limited 10
sc reset-failed limited

# ---- stats, freeze (when this supd has them) ------------------------------------------------------------------

if out=$(sc --json stats web 2>&1); then
        for k in cpu_usage_nsec memory_current memory_peak tasks oom_kills; do
                v=$(json_get "" "$k" <<<"$out")
                like "$v" '^[0-9]+$' "stats --json: $k is a number"
        done
        between "$(json_get "" tasks <<<"$out")" 2 100 "stats: web has a few tasks"
        like "$(sc stats web)" "Memory: " "stats: text"
else
        like "$out" "web" "stats: refused with a message naming the unit"
        skip "stats: not supported by this supd yet ($out)"
fi

if out=$(sc freeze web 2>&1); then
        cg=$(unit_cgroup_dir web)
        v1=$(find /sys/fs/cgroup/freezer -type d -path "*/$CGROOT/web" -print -quit 2>/dev/null)
        # shellcheck disable=SC2317 # called through wait_until
        _frozen() {
                grep -q "^frozen 1" "$cg/cgroup.events" 2>/dev/null || grep -q FROZEN "$v1/freezer.state" 2>/dev/null
        }
        wait_until 5 _frozen
        ok $? "freeze: the unit's cgroup is frozen"
        out=$(sc exec web true 2>&1)
        is $? 1 "exec in a frozen unit is refused"
        like "$out" "frozen" "... saying it is frozen"
        sc thaw web
        is $? 0 "thaw web"
        n=$(log_values web got-usr1 | wc -l)
        sc kill -s USR1 web
        wait_log web "stdout got-usr1$" $((n + 1)) 5
        ok $? "web runs again after thaw"
else
        like "$out" "web" "freeze: refused with a message naming the unit"
        skip "freeze: not supported by this supd yet ($out)"
fi

# family was restarted (new pipes and pidfd): the same number of fds, not the same ones.
is "$(supd_fds_settled | wc -l)" "$n_fds_before" "supd has as many fds as before the verbs"

# ---- reload ---------------------------------------------------------------------------------------------------------

keep=$(umainpid keep)
change=$(umainpid change)
drop=$(umainpid drop)
[[ -n $keep && -n $change && -n $drop ]]
ok $? "keep, change and drop run"
sed -i 's/^Description=.*/Description=reload change, changed/' "$UNITS/change.unit"
rm "$UNITS/drop.unit"
unit add <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF
out=$(sc reload 2>&1)
is $? 0 "reload"
is "$out" "" "reload: says nothing when all is well"
wait_for running add 5
ok $? "reload: the added unit runs"
wait_for running change 5
change2=$(umainpid change)
isnt "$change2" "$change" "reload: the changed unit was restarted"
is "$(ufield change description)" "reload change, changed" "reload: with its new description"
# shellcheck disable=SC2317 # called through wait_until
_drop_gone() {
        ! sc list | grep -q "^drop "
}
wait_until 5 _drop_gone
ok $? "reload: the removed unit is gone from the list"
pid_gone "$drop"
ok $? "reload: its process is gone"
is "$(umainpid keep)" "$keep" "reload: the unchanged unit kept its process"

cp "$UNITS/keep.unit" "$TMP/keep.unit"
cp "$UNITS/change.unit" "$TMP/change.unit"
printf '[Resources]\nMemoryMax=12Q\n' >>"$UNITS/keep.unit"
printf '[Resources]\nCPUQuota=lots\n' >>"$UNITS/change.unit"
out=$(sc reload 2>&1)
is $? 1 "reload with invalid edits: exit 1"
like "$out" "keep\.unit|2 units not applied" "... and it says so"
diag "reload said: $out"
sleep 0.3
is "$(ustate keep)" running "keep: still running"
is "$(umainpid keep)" "$keep" "keep: the old instance, same process"
is "$(umainpid change)" "$change2" "change: the old instance, same process"

cp "$TMP/keep.unit" "$TMP/change.unit" "$UNITS/"
sc reload
is $? 0 "reload after fixing the files: exit 0"
is "$(umainpid keep)" "$keep" "keep: still the same process (its file means what it meant)"

# ---- the end ---------------------------------------------------------------------------------------------------------

is "$(ustate web)" running "web still running at the end"
sc list >/dev/null
is $? 0 "supd still answers"
# One unit file less (drop) and one more (add): as many log files, the same other fds.
is "$(supd_fds_settled | wc -l)" "$n_fds_before" "supd has as many fds as before"

check_leaks
done_testing
