#!/bin/bash
# Log capture throughput, median of N, in one run: a unit on the busybox rootfs writing 200 MB of
# 100-byte lines to stdout, captured by supd into its log file (`supctl start --wait`, the unit's
# whole life), next to the same command run bare in a chroot with stdout to /dev/null, and into a
# pipe read by cat (what a pipe itself costs the writer).
# Also supd's CPU time (utime + stime from /proc/PID/stat) over the N supd runs, per run.
# Usage (root): tests/bench/bench-log.sh [BUILD_DIR] [N]   Prints a markdown table.
# SUP_BENCH_BASELINE=OTHER_BUILD_DIR adds a row for another build of supd (e.g. the previous commit's),
# measured the same way in the same run, for the cost of a change.
set -euo pipefail

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init bench-log 3 "$@"

mb=200
line=$(printf '%099d' 0 | tr 0 x) # 99 bytes and the newline
cmd="yes $line | head -c ${mb}000000"

cat >"$work/units/flood.unit" <<UNIT
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c '$cmd'
RootFS=$rootfs
Namespaces=pid net ipc uts mnt cgroup
[Service]
Restart=no
LogMaxSize=64M
UNIT

hz=$(getconf CLK_TCK)
# to_mbs: milliseconds on stdin to MB/s for $mb MB
to_mbs() { awk -v mb="$mb" '{ printf "%.0f", mb / ($1 / 1000) }'; }
# supd_cpu: its utime + stime so far, in clock ticks
supd_cpu() { awk '{ print $14 + $15 }' "/proc/$supd_pid/stat"; }

# run_supd: sets sup_mbs (median MB/s) and sup_cpu (supd's CPU seconds per run) for $build
run_supd() {
        local before after times
        rm -rf "$work/run" "$work/state"
        bench_start_supd --log-level info
        before=$(supd_cpu)
        times=$(time_runs "$build/supervisor/supctl" start --wait flood)
        after=$(supd_cpu)
        bench_stop_supd
        sup_mbs=$(echo "$times" | median_ms | to_mbs)
        sup_cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v n="$n" 'BEGIN { printf "%.2f", t / hz / n }')
}

run_supd
this_mbs=$sup_mbs this_cpu=$sup_cpu

baseline_row=
if [ -n "${SUP_BENCH_BASELINE:-}" ]; then
        this=$build
        build=$(cd "$SUP_BENCH_BASELINE" && pwd)
        run_supd
        build=$this
        baseline_row="| supd of $SUP_BENCH_BASELINE (baseline) | $sup_mbs | $sup_cpu |"$'\n'
fi

bare_mbs=$(time_runs chroot "$rootfs" /bin/sh -c "$cmd" | median_ms | to_mbs)
pipe_mbs=$(time_runs sh -c "chroot '$rootfs' /bin/sh -c '$cmd' | cat >/dev/null" | median_ms | to_mbs)

cat <<TABLE
| ${mb} MB of 100-byte lines to stdout (median of $n) | MB/s | supd CPU s per run |
|---|---|---|
| supd: unit's stdout to its log (\`supctl start --wait\`) | $this_mbs | $this_cpu |
${baseline_row}| bare: \`chroot "\$rootfs" sh -c …\`, stdout to /dev/null | $bare_mbs | - |
| bare, stdout into a pipe read by \`cat\` (what any pipe reader costs the writer) | $pipe_mbs | - |

Command: \`${cmd/$line/x…x (99 bytes)}\` on the busybox rootfs; the unit's log rotates at 64M.
TABLE
