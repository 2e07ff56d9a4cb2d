#!/bin/bash
# Control-plane latency, median of N, in one run: `supctl list` with 200 units next to a bare
# `busctl call … ListUnits` on the same socket (the floor: one D-Bus round trip from a generic
# client), and `supctl exec UNIT true` next to `nsenter -a -t PID true`. supd runs in a network
# namespace this script makes. Usage (root): tests/bench/bench-control.sh [BUILD_DIR] [N]
set -euo pipefail

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init bench-control 50 "$@"

for i in $(seq -w 1 200); do
        printf '[Container]\nExec=/bin/payload sleep inf\nRootFS=%s\nNamespaces=pid mnt uts ipc\n' "$rootfs" \
                >"$work/units/u$i.unit"
done
bench_start_supd --log-level info
for _ in $(seq 100); do
        [ "$("$build/supervisor/supctl" --json list | grep -c '"running"')" -ge 200 ] && break
        sleep 0.2
done
running=$("$build/supervisor/supctl" --json list | grep -c '"running"' || true)

list=$(time_runs "$build/supervisor/supctl" list | median_ms)
busctl=$(time_runs busctl --address="unix:path=$SUP_SOCKET" call org.sup.Manager1 /org/sup/Manager1 \
        org.sup.Manager1 ListUnits | median_ms)
pid=$("$build/supervisor/supctl" --json status u001 | sed -n 's/.*"main_pid": *\([0-9]*\).*/\1/p')
exec_ms=$(time_runs "$build/supervisor/supctl" exec u001 true | median_ms)
nsenter_ms=$(time_runs nsenter -a -t "$pid" true | median_ms)

cat <<TABLE
| control plane, median of $n ($running units running) | ms |
|---|---|
| \`supctl list\` | $list |
| \`busctl call … ListUnits\` (generic client, one round trip) | $busctl |
| \`supctl exec u001 true\` | $exec_ms |
| \`nsenter -a -t PID true\` | $nsenter_ms |
TABLE
