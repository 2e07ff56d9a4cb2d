#!/bin/bash
# The extra cost of a networked start (bridge, veth, address, route, NAT and DNAT rules) over the same
# unit with a private network namespace but no Bridge=, median of N starts, from supd's own debug log
# ("cloned pid … in X ms": the whole set-up before the child's go), next to the same plumbing done with
# ip and nft commands in the same run. Everything happens in a network namespace this script makes.
# Usage (root): tests/bench/bench-net.sh [BUILD_DIR] [N]
set -euo pipefail

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init bench-net 100 "$@"

printf '[Bridge]\nAddress=10.124.0.1/24\n' >"$work/units/benchbr.bridge"
for u in plain net; do
        {
                printf '[Unit]\nAutoStart=no\n[Container]\nExec=/bin/payload sleep inf\nRootFS=%s\n' "$rootfs"
                [ "$u" = net ] && printf '[Network]\nBridge=benchbr\nPublishPort=18080:80/tcp\n'
        } >"$work/units/$u.unit"
done

bench_start_supd --log-level debug

# Start and stop each unit N times, in turns; the pause lets the kernel finish tearing down the last
# run's namespaces (cleanup_net holds the rtnl lock), which would otherwise be billed to the next start.
for ((i = 0; i < n; i++)); do
        for u in plain net; do
                "$build/supervisor/supctl" start "$u"
                "$build/supervisor/supctl" stop "$u"
                sleep 0.05
        done
done
setup_of() { sed -n "s/^supd: $1: cloned pid [0-9]* in \([0-9.]*\)ms/\1/p" "$work/supd.log" | median; }
net_of() { sed -n "s/^supd: net: network up, .* in \([0-9.]*\)ms/\1/p" "$work/supd.log" | median; }
plain=$(setup_of plain)
net=$(setup_of net)
netplug=$(net_of)
bench_stop_supd

# The same plumbing with commands: bridge exists; veth into a fresh netns, enslave, up, addresses,
# route, one DNAT rule; then undone. Timed per run, N runs.
in_ns() { ip netns exec "$ns" "$@"; }
ip -n "$ns" link add benchbr type bridge
ip -n "$ns" addr add 10.124.0.1/24 dev benchbr
ip -n "$ns" link set benchbr up
in_ns nft add table inet bench
in_ns nft add chain inet bench pre '{ type nat hook prerouting priority dstnat; }'
cmds=$(for ((i = 0; i < n; i++)); do
        ip netns add "$ns-c"
        s=$(date +%s%N)
        ip -n "$ns" link add ve-bench type veth peer name eth0 netns "$ns-c"
        ip -n "$ns" link set ve-bench master benchbr
        ip -n "$ns" link set ve-bench up
        ip -n "$ns-c" link set lo up
        ip -n "$ns-c" addr add 10.124.0.2/24 dev eth0
        ip -n "$ns-c" link set eth0 up
        ip -n "$ns-c" route add default via 10.124.0.1
        in_ns nft add rule inet bench pre tcp dport 18080 dnat ip to 10.124.0.2:80
        e=$(date +%s%N)
        echo "$(((e - s) / 1000))" | awk '{printf "%.3f\n", $1 / 1000}'
        in_ns nft flush chain inet bench pre
        ip -n "$ns" link del ve-bench
        ip netns del "$ns-c"
done | median)

extra=$(awk -v a="$net" -v b="$plain" 'BEGIN { printf "%.2f", a - b }')
cat <<TABLE
| networked start, median of $n | ms |
|---|---|
| supd set-up, unit with a private netns but no Bridge= | $plain |
| supd set-up, same unit on a bridge with an auto address and a published port | $net |
| extra cost of the network in supd | $extra |
| of which netplug_unit_up (veth, addresses, route, DNAT) | $netplug |
| the same plumbing with 8 ip/nft commands | $cmds |
TABLE
