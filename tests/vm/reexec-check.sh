#!/bin/sh
# SPDX-License-Identifier: MIT
#
# vm suite: `supctl daemon-reexec` with supd as PID 1 (SPEC §1: every unit keeps running, same main pids).
# Runs inside the VM as the unit reexec-check (units/reexec-check.unit), on the host's root: the
# initramfs' /usr/bin/supctl, the control socket and /dev/console are there. Busybox sh and awk only.
#
#   reexec-check.sh GATE UNIT...
#
# 1. Waits (60 s at most) until the units running are exactly UNIT... (this one among them) and none is
#    starting, stopping or restarting, so that nothing changes by itself while it looks.
# 2. Snapshots `supctl --json list` (name, state, main pid, restarts per unit), runs `supctl daemon-reexec`,
#    snapshots again, and prints both as "reexec-check: before|after: NAME STATE PID RESTARTS".
# 3. Checks that daemon-reexec exited 0, that supd answered afterwards, that the two snapshots are the
#    same, that every UNIT has a main pid, and that the first UNIT was adopted across daemon-reexec
#    (`supctl status`): a re-exec that never happened leaves the pids alone too, but adopts nothing.
#    (supd's "Adopted N running unit(s) across daemon-reexec" line on the console says it of them all;
#    one status call per unit would cost a second of boot time under TCG.)
# 4. Prints "reexec-check: PASS" or "reexec-check: FAIL: WHY" and exits 0 or 1. Either way it then
#    creates GATE, which the units held back until after the re-exec wait for.
#
# Everything goes to /dev/console (allowed by the device allowlist), where the host's test looks for
# those lines; supd logs the exit status as "reexec-check: main process exited, status=N".

gate=$1
shift
want=$(printf '%s\n' "$@" | sort)

exec </dev/null >/dev/console 2>&1
trap 'touch "$gate"' EXIT

say() {
        printf 'reexec-check: %s\n' "$*"
}

fail() {
        say "FAIL: $*"
        exit 1
}

# "NAME STATE PID RESTARTS" per unit, sorted; PID is "null" when there is none. json-c prints one
# member per line.
snapshot() {
        json=$(supctl --json list) || return 1
        printf '%s\n' "$json" | awk '
                { gsub(/[ \t,]/, "") }
                /^"name":/ { v = $0; sub(/^"name":"/, "", v); sub(/"$/, "", v); name = v }
                /^"active":/ { v = $0; sub(/^"active":"/, "", v); sub(/"$/, "", v); active = v }
                /^"main_pid":/ { v = $0; sub(/^"main_pid":/, "", v); pid = v }
                /^"restarts":/ { v = $0; sub(/^"restarts":/, "", v); restarts = v }
                /^}/ { if (name != "") print name, active, pid, restarts; name = "" }' | sort
}

# Sets $snap; true when the running units are exactly $want and none is on its way somewhere.
settled() {
        snap=$(snapshot) || return 1
        [ "$(printf '%s\n' "$snap" | awk '$2 == "running" { print $1 }')" = "$want" ] || return 1
        ! printf '%s\n' "$snap" | grep -Eq '^[^ ]+ (starting|stopping|restarting) '
}

print() {
        printf '%s\n' "$2" | while read -r line; do
                say "$1: $line"
        done
}

i=0
until settled; do
        i=$((i + 1))
        if [ "$i" -ge 300 ]; then
                print waited "$snap"
                fail "the units did not settle within 60 s (running must be exactly: $*)"
        fi
        sleep 0.2
done
before=$snap
print before "$before"

supctl daemon-reexec || fail "supctl daemon-reexec exited $?"
after=$(snapshot) || fail "supd does not answer after daemon-reexec"
print after "$after"

[ "$after" = "$before" ] || fail "the units changed across daemon-reexec"
for u in $want; do
        pid=$(printf '%s\n' "$after" | awk -v u="$u" '$1 == u { print $3 }')
        case $pid in
        '' | null | 0) fail "$u has no main pid" ;;
        esac
done
status=$(supctl status "$1") || fail "supctl status $1 exited $?"
case $status in
*"Adopted: across supd daemon-reexec"*) ;;
*) fail "supctl status $1 does not say it was adopted across daemon-reexec" ;;
esac
say "PASS: $# running units kept their main pids across daemon-reexec"
exit 0
