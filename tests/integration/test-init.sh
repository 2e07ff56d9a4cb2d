#!/bin/bash
# SPDX-License-Identifier: MIT
# SPEC §7, the container's init and the way in: no process of a unit runs a host file of sup's (the
# CVE-2019-5736 class, also through a "#!/proc/self/exe" script, also during supctl exec); the init
# is sup-init from a sealed memfd, holding no capability but CAP_KILL, no_new_privs, nothing of supd's
# memory and none of its paths; it passes every signal on and the payload's exact wait status back;
# supctl exec without -t gives the command pipes, never the caller's terminal.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

rootfs=$(private_rootfs init)
printf '#!/proc/self/exe\n' >"$rootfs/evil.sh"
chmod 0755 "$rootfs/evil.sh"

for init in yes no; do
        unit "run-$init" <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
Init=$init
Environment=MINE=own-value
EOF
        unit "evil-$init" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/evil.sh
RootFS=$rootfs
Init=$init
[Service]
Restart=no
EOF
done

unit crash <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload crash
RootFS=$rootfs
[Service]
Restart=no
EOF

unit sigs <<EOF
[Container]
Exec=/bin/payload signals
RootFS=$rootfs
[Service]
Restart=no
EOF

unit cmdline <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload cat /proc/1/cmdline
RootFS=$rootfs
[Service]
Restart=no
EOF

# Another unit's secret must not be in anything this one can read of its PID 1, even with
# CAP_SYS_PTRACE (the init used to be a fork of supd, with supd's heap).
unit secret <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$rootfs
Environment=OTHER_SECRET=s3cr3t-$$-value
EOF
unit ptrace <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c 'cat /proc/1/environ | tr "\\\\0" "\\\\n"; echo; grep -a -c s3cr3t /proc/1/mem; echo mem=\$?'
RootFS=$rootfs
Capabilities=CAP_SYS_PTRACE
[Service]
Restart=no
EOF

start_supd
for u in run-yes run-no sigs secret; do
        wait_for running "$u" 5
done

devino() { stat -L -c '%d:%i' "$1" 2>/dev/null; }
supd_id=$(devino "$SUPD")
supctl_id=$(devino "$SUPCTL")

# Every process in the unit's cgroup, as the host sees it: its executable is neither supd nor supctl.
no_host_binary() {
        local u=$1 p id bad=0 n=0
        for p in $(unit_pids "$u"); do
                id=$(devino "/proc/$p/exe") || continue
                n=$((n + 1))
                if [[ $id == "$supd_id" || $id == "$supctl_id" ]]; then
                        diag "$u: pid $p runs $(readlink "/proc/$p/exe")"
                        bad=1
                fi
        done
        ((n > 0 && bad == 0))
}

for init in yes no; do
        u=run-$init
        no_host_binary "$u"
        ok $? "$u: no process of the unit runs supd's or supctl's file"
done

init_pid=$(umainpid run-yes)
like "$(readlink "/proc/$init_pid/exe")" '^/memfd:sup-init' "run-yes: PID 1 is sup-init from a memfd"
( printf x >>"/proc/$init_pid/exe" ) 2>/dev/null
isnt $? 0 "run-yes: the init's memfd cannot be written, even by root on the host"
is "$(tr '\0' ' ' <"/proc/$init_pid/cmdline")" "sup-init /bin/payload sleep inf " \
        "run-yes: the init's command line names sup-init and Exec= only"
is "$(sed -n 's/^CapEff:\t*//p' "/proc/$init_pid/status")" 0000000000000020 \
        "run-yes: the init keeps CAP_KILL only (to pass signals on)"
is "$(sed -n 's/^CapPrm:\t*//p' "/proc/$init_pid/status")" 0000000000000020 "run-yes: ... in its permitted set too"
is "$(sed -n 's/^NoNewPrivs:\t*//p' "/proc/$init_pid/status")" 1 "run-yes: the init has no_new_privs"
payload_pid=$(cut -d' ' -f1 "/proc/$init_pid/task/$init_pid/children")
bnd=$(sed -n 's/^CapBnd:\t*//p' "/proc/$payload_pid/status")
is "$(sed -n 's/^CapEff:\t*//p' "/proc/$payload_pid/status")" "$bnd" "run-yes: the payload (root) has its bounding set, no more"
is "$(sed -n 's/^CapBnd:\t*//p' "/proc/$init_pid/status")" "$bnd" "run-yes: the init's bounding set is the unit's"

for init in yes no; do
        sc start --wait "evil-$init" >/dev/null 2>&1
        st=$?
        isnt "$st" 0 "evil-$init: a '#!/proc/self/exe' Exec= does not run (status $st)"
        is "$(devino "$SUPD")" "$supd_id" "evil-$init: supd's file is untouched"
        unlike "$(cat "$(unit_log_file "evil-$init")")" "--units|--runtime-dir|Usage" \
                "evil-$init: supd did not run in the container"
done
out=$(sc exec run-no /evil.sh 2>&1)
isnt $? 0 "exec /evil.sh ('#!/proc/self/exe') does not run supctl or supd"
unlike "$out" "Usage|--socket" "... nothing of supctl's"

sc start --wait crash
is $? 139 "crash: start --wait exits 139 (SIGSEGV)"
is "$(uresult crash)" signal "crash: result signal, from the init's report of the payload's wait status"

wait_log sigs '^[^ ]* stdout waiting' 1 5
for s in USR1 USR2 HUP PWR URG WINCH ALRM CONT; do
        sc kill -s "$s" sigs
        wait_log sigs "stdout signal=$s\$" 1 5
        ok $? "sigs: SIG$s reaches the payload through the init"
done

sc start --wait cmdline
wait_log cmdline 'stdout ' 1 5
out=$(grep -a ' stdout ' "$(unit_log_file cmdline)" | tr '\0' ' ')
like "$out" "sup-init" "cmdline: /proc/1/cmdline inside is sup-init's"
for path in "$RUNTIME" "$STATE" "$UNITS" "$CGROOT" "$SUPD"; do
        unlike "$out" "$path" "cmdline: ... and shows none of supd's paths ($path)"
done

sc start --wait ptrace
wait_log ptrace 'stdout mem=' 1 5
out=$(grep -a ' stdout ' "$(unit_log_file ptrace)")
unlike "$out" "OTHER_SECRET|s3cr3t-$$" "ptrace: with CAP_SYS_PTRACE, PID 1 holds no other unit's environment"
unlike "$out" "$RUNTIME|$STATE" "ptrace: ... and none of supd's paths"
like "$out" "PATH=" "ptrace: (it did read PID 1's environment: the unit's own)"

# supctl exec: the command, while it runs, and everything else in the cgroup, are no host binary.
timeout --kill-after=5 20 "$SUPCTL" exec run-yes /bin/payload sleep 3 >/dev/null &
execer=$!
# shellcheck disable=SC2317 # called through wait_until
_exec_running() {
        local p
        for p in $(unit_pids run-yes); do
                [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "/bin/payload sleep 3 " ]] && return 0
        done
        return 1
}
wait_until 5 _exec_running
ok $? "exec: the command runs in the unit's cgroup"
no_host_binary run-yes
ok $? "exec: no process of the unit runs supd's or supctl's file meanwhile"
for p in $(unit_pids run-yes); do
        if [[ $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) == "/bin/payload sleep 3 " ]]; then
                is "$(sed -n 's/^CapEff:\t*//p' "/proc/$p/status")" "$bnd" "exec: the command's capabilities are the unit's"
                is "$(sed -n 's/^NoNewPrivs:\t*//p' "/proc/$p/status")" 1 "exec: no_new_privs"
        fi
done
wait "$execer"
is $? 0 "exec: exits 0"

if command -v script >/dev/null; then
        timeout 20 script -qec "$SUPCTL exec run-yes sh -c 'tty; echo tty_nr=\$(cut -d\" \" -f7 /proc/self/stat); for f in 0 1 2; do echo fd\$f=\$(readlink /proc/self/fd/\$f); done'" \
                /dev/null </dev/null >"$TMP/notty.out"
        out=$(tr -d '\r' <"$TMP/notty.out")
        like "$out" "not a tty" "exec without -t under a terminal: the command has no terminal"
        like "$out" "tty_nr=0" "... and no controlling terminal"
        unlike "$out" "fd[012]=/dev/" "... its stdio is no device of the caller's"
        like "$out" "fd0=pipe:" "... but pipes"
else
        skip "script(1) not found: no terminal to test exec without -t under"
fi

for u in run-yes run-no sigs secret; do
        isnt "$(ustate "$u")" failed "$u did not fail"
done

check_leaks
done_testing
