#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Boots a kernel and an initramfs under qemu (TCG, no network) and checks what the serial console says.
#
#   run-vm.sh [--timeout SECONDS] [--expect REGEX]… [--reject REGEX]… [--sendkey KEYS]… [--expect-exit]
#             [--log FILE] [--memory SIZE] KERNEL INITRD [--append "KERNEL ARGS"]
#
# --expect REGEX  (grep -E) must appear on the console, each after the previous one's match, in the order
#                 given. Carriage returns are dropped from the console output before matching.
# --sendkey KEYS  sends keys (qemu's monitor "sendkey" syntax, e.g. ctrl-alt-delete) once every --expect
#                 given before it has matched.
# --expect-exit   after the last step, qemu must stop by itself (the guest powered off, rebooted or
#                 panicked: -no-reboot turns all three into an exit) before the time is up.
# --reject REGEX  must never appear while the steps are checked (e.g. "Kernel panic").
# --timeout       for the whole run, 120 s by default. On time-out qemu is killed.
# --log FILE      keeps the console log there (by default it lives in a temporary directory).
# --append        kernel arguments added after "console=ttyS0 panic=-1 rdinit=/sbin/init" (the last of a
#                 repeated argument wins, so "rdinit=/other" there replaces supd).
#
# Output is TAP: "ok N - saw REGEX" per --expect, then one line for --expect-exit and one for all the
# --reject patterns. On failure the console log follows as "# " lines. Exit status 0 when all passed, 1
# when not, 2 on usage errors. qemu never outlives this script: it is stopped on every way out, and runs
# under timeout(1) a little longer than --timeout in case this script is SIGKILLed.
#
# $QEMU overrides qemu-system-x86_64.

set -euo pipefail
export LC_ALL=C

die() {
        echo "Bail out! run-vm: $*"
        exit 2
}

usage() {
        echo "Usage: ${0##*/} [--timeout SECONDS] [--expect REGEX]… [--reject REGEX]… [--sendkey KEYS]…" \
             "[--expect-exit] [--log FILE] [--memory SIZE] KERNEL INITRD [--append \"KERNEL ARGS\"]" >&2
        exit 2
}

timeout=120
memory=512M
append=
logfile=
expect_exit=0
steps=()   # "expect REGEX" or "sendkey KEYS", in order
rejects=()
positional=()
while [[ $# -gt 0 ]]; do
        case $1 in
        --timeout | --expect | --reject | --sendkey | --log | --memory | --append)
                [[ $# -ge 2 ]] || usage
                case $1 in
                --timeout) timeout=$2 ;;
                --expect) steps+=("expect $2") ;;
                --sendkey) steps+=("sendkey $2") ;;
                --reject) rejects+=("$2") ;;
                --log) logfile=$2 ;;
                --memory) memory=$2 ;;
                --append) append+=" $2" ;;
                esac
                shift 2
                ;;
        --expect-exit)
                expect_exit=1
                shift
                ;;
        -*)
                usage
                ;;
        *)
                positional+=("$1")
                shift
                ;;
        esac
done
[[ ${#positional[@]} -eq 2 ]] || usage
kernel=${positional[0]}
initrd=${positional[1]}
[[ $timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout takes a whole number of seconds"
[[ -r $kernel ]] || die "kernel '$kernel' not readable"
[[ -r $initrd ]] || die "initrd '$initrd' not readable"
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found"
command -v timeout >/dev/null || die "timeout (coreutils) not found"

# The TAP plan: each expectation, the exit, the rejects.
n_expect=0
for step in "${steps[@]}"; do
        [[ $step == expect\ * ]] && n_expect=$((n_expect + 1))
done
plan=$((n_expect + expect_exit + (${#rejects[@]} > 0 ? 1 : 0)))
[[ $plan -gt 0 ]] || die "nothing to check: give --expect, --expect-exit or --reject"

dir=$(mktemp -d "${TMPDIR:-/tmp}/sup-vm.XXXXXX")
[[ -n $logfile ]] || logfile=$dir/console.log
: >"$logfile"

qemu_pid=       # timeout(1)'s pid; qemu itself writes its own to $dir/qemu.pid
drain_pid=
# shellcheck disable=SC2317 # only called by the EXIT trap
cleanup() {
        local pid=

        # Stop qemu itself, not only timeout(1): a SIGKILLed timeout would leave it running.
        [[ -s $dir/qemu.pid ]] && pid=$(<"$dir/qemu.pid")
        if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == qemu* ]]; then
                kill -TERM "$pid" 2>/dev/null || true
        fi
        if [[ -n $qemu_pid ]]; then
                kill -TERM "$qemu_pid" 2>/dev/null || true
                for _ in {1..50}; do
                        kill -0 "$qemu_pid" 2>/dev/null || break
                        sleep 0.1
                done
                kill -KILL "$qemu_pid" 2>/dev/null || true
                wait "$qemu_pid" 2>/dev/null || true
        fi
        if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == qemu* ]]; then
                kill -KILL "$pid" 2>/dev/null || true
        fi
        if [[ -n $drain_pid ]]; then
                kill "$drain_pid" 2>/dev/null || true
                wait "$drain_pid" 2>/dev/null || true
        fi
        rm -rf -- "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

monitor=(-monitor none)
for step in "${steps[@]}"; do
        if [[ $step == sendkey\ * ]]; then
                # qemu opens both FIFOs read-write: neither side blocks in open().
                mkfifo "$dir/monitor.in" "$dir/monitor.out"
                monitor=(-monitor "pipe:$dir/monitor")
                break
        fi
done

cmdline="console=ttyS0 panic=-1 rdinit=/sbin/init$append"
# -nodefaults: no VGA, NIC, floppy or CD drive to probe. The guest console is the first serial port,
# on qemu's stdout; stdin is /dev/null. --foreground keeps qemu in this script's process group, so that
# signals to the group (meson's time-out kill, Ctrl-C) reach it even when this script cannot clean up.
timeout --foreground -k 5 $((timeout + 30)) "$qemu" \
        -accel tcg -nic none -m "$memory" -nographic -nodefaults -no-reboot -no-user-config \
        -serial stdio "${monitor[@]}" -pidfile "$dir/qemu.pid" \
        -kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
        </dev/null >"$logfile" 2>"$dir/qemu.stderr" &
qemu_pid=$!
started=${EPOCHREALTIME/./}

if [[ ${monitor[1]} != none ]]; then
        cat "$dir/monitor.out" >"$dir/monitor.log" &
        drain_pid=$!
fi

qemu_running() {
        kill -0 "$qemu_pid" 2>/dev/null
}

elapsed() {
        local us=$((${EPOCHREALTIME/./} - started))
        printf '%d.%d' $((us / 1000000)) $((us % 1000000 / 100000))
}

console() {
        tr -d '\r' <"$logfile"
}

show_log() {
        echo "# qemu: $qemu, kernel: $kernel, initrd: $initrd"
        echo "# kernel command line: $cmdline"
        if [[ -s $dir/qemu.stderr ]]; then
                echo "# qemu's stderr:"
                sed 's/^/#   /' "$dir/qemu.stderr"
        fi
        echo "# console:"
        console | sed 's/^/#   /'
}

n=0
# Prints "not ok" for every check not made yet, the log, and fails.
fail_rest() {
        local reason=$1 step

        for step in "${steps[@]:step_index}"; do
                [[ $step == expect\ * ]] || continue
                n=$((n + 1))
                echo "not ok $n - saw ${step#expect } # $reason"
                reason="not reached"
        done
        if [[ $expect_exit -eq 1 ]]; then
                n=$((n + 1))
                echo "not ok $n - qemu stopped by itself # $reason"
        fi
        if [[ ${#rejects[@]} -gt 0 && $rejected -eq 0 ]]; then
                n=$((n + 1))
                echo "ok $n - never saw $(IFS='|'; echo "${rejects[*]}")"
        fi
        show_log
        exit 1
}

rejected=0
check_rejects() {
        local re line

        for re in "${rejects[@]}"; do
                # "|| true": grep -m 1 may leave tr to die of SIGPIPE, which pipefail would report.
                line=$(console | grep -a -m 1 -E -e "$re" || true)
                if [[ -n $line ]]; then
                        rejected=1
                        n=$((n + 1))
                        echo "not ok $n - never saw $(IFS='|'; echo "${rejects[*]}")"
                        echo "# rejected line: $line"
                        # The expectations left are not checked any more.
                        fail_rest "stopped by a rejected line"
                fi
        done
}

# Finds REGEX in the console after byte $offset; on success moves $offset past the match.
offset=0
match_after_offset() {
        local hit match

        # -o prints every match of the first matching line; the first is the one. "|| true" as above.
        hit=$(console | tail -c +$((offset + 1)) | grep -a -m 1 -b -o -E -e "$1" || true)
        hit=${hit%%$'\n'*}
        [[ -n $hit ]] || return 1
        match=${hit#*:}
        offset=$((offset + ${hit%%:*} + ${#match}))
}

echo "1..$plan"
deadline=$((started + timeout * 1000000))
step_index=0
while [[ $step_index -lt ${#steps[@]} ]]; do
        step=${steps[step_index]}
        case $step in
        sendkey\ *)
                qemu_running || fail_rest "qemu stopped before sendkey ${step#sendkey }"
                echo "# $(elapsed) s: sendkey ${step#sendkey }"
                # Opened read-write, as a write-only open of a FIFO would block should qemu be gone.
                printf 'sendkey %s\n' "${step#sendkey }" 1<>"$dir/monitor.in"
                step_index=$((step_index + 1))
                continue
                ;;
        esac

        regex=${step#expect }
        for (( ; ; )); do
                # Whether qemu still runs is asked before looking: its last words are then in the log.
                running=0
                qemu_running && running=1
                check_rejects
                if match_after_offset "$regex"; then
                        n=$((n + 1))
                        echo "ok $n - saw $regex"
                        echo "# after $(elapsed) s"
                        break
                fi
                [[ $running -eq 1 ]] || fail_rest "qemu stopped first"
                [[ ${EPOCHREALTIME/./} -lt $deadline ]] || fail_rest "timed out after $timeout s"
                sleep 0.2
        done
        step_index=$((step_index + 1))
done

if [[ $expect_exit -eq 1 ]]; then
        while qemu_running; do
                check_rejects
                [[ ${EPOCHREALTIME/./} -lt $deadline ]] || fail_rest "timed out after $timeout s"
                sleep 0.2
        done
        check_rejects
        status=0
        wait "$qemu_pid" || status=$?
        qemu_pid=
        n=$((n + 1))
        if [[ $status -eq 0 ]]; then
                echo "ok $n - qemu stopped by itself"
                echo "# after $(elapsed) s"
        else
                echo "not ok $n - qemu stopped by itself # exit status $status"
                show_log
                exit 1
        fi
else
        check_rejects
fi

if [[ ${#rejects[@]} -gt 0 ]]; then
        n=$((n + 1))
        echo "ok $n - never saw $(IFS='|'; echo "${rejects[*]}")"
fi
exit 0
