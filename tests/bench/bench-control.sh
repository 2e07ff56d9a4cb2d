#!/bin/bash
# Control-plane latency, median of N, in one run: `supctl list` with 200 units next to a bare
# `busctl call … ListUnits` on the same socket (the floor: one D-Bus round trip from a generic
# client), and `supctl exec UNIT true` next to `nsenter -a -t PID true`. supd runs in a network
# namespace this script makes. Usage (root): tests/bench/bench-control.sh [BUILD_DIR] [N]
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-50}
[ "$(id -u)" -eq 0 ] || { echo "bench-control: needs root" >&2; exit 77; }

work=$(mktemp -d /tmp/sup-bench-control.XXXXXX)
ns=sup-bench-control-$$
cleanup() {
        [ -n "${supd_pid:-}" ] && kill "$supd_pid" 2>/dev/null && wait "$supd_pid" 2>/dev/null
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

rootfs=$build/test-rootfs
"$top/tests/rootfs/build-rootfs.sh" "$rootfs" "$build/tests/helpers/payload" 2>/dev/null
median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }
time_runs() {
        local i s e
        for ((i = 0; i < n; i++)); do
                s=$(date +%s%N)
                "$@" >/dev/null 2>&1 || { echo "bench-control: '$*' failed" >&2; return 1; }
                e=$(date +%s%N)
                echo $(((e - s) / 1000))
        done
}

mkdir -p "$work/units"
for i in $(seq -w 1 200); do
        printf '[Container]\nExec=/bin/payload sleep inf\nRootFS=%s\nNamespaces=pid mnt uts ipc\n' "$rootfs" \
                >"$work/units/u$i.unit"
done
ip netns add "$ns"
nsenter --net="/run/netns/$ns" "$build/supervisor/supd" --units "$work/units" --runtime-dir "$work/run" \
        --state-dir "$work/state" --cgroup-root "sup-bench-control-$$" 2>"$work/supd.log" &
supd_pid=$!
for _ in $(seq 100); do [ -S "$work/run/control" ] && break; sleep 0.1; done
export SUP_SOCKET=$work/run/control
for _ in $(seq 100); do
        [ "$("$build/supervisor/supctl" --json list | grep -c '"running"')" -ge 200 ] && break
        sleep 0.2
done
running=$("$build/supervisor/supctl" --json list | grep -c '"running"' || true)

list=$(time_runs "$build/supervisor/supctl" list | median)
busctl=$(time_runs busctl --address="unix:path=$SUP_SOCKET" call org.sup.Manager1 /org/sup/Manager1 \
        org.sup.Manager1 ListUnits | median)
pid=$("$build/supervisor/supctl" --json status u001 | sed -n 's/.*"main_pid": *\([0-9]*\).*/\1/p')
exec_ms=$(time_runs "$build/supervisor/supctl" exec u001 true | median)
nsenter_ms=$(time_runs nsenter -a -t "$pid" true | median)

cat <<TABLE
| control plane, median of $n ($running units running) | ms |
|---|---|
| \`supctl list\` | $list |
| \`busctl call … ListUnits\` (generic client, one round trip) | $busctl |
| \`supctl exec u001 true\` | $exec_ms |
| \`nsenter -a -t PID true\` | $nsenter_ms |
TABLE
