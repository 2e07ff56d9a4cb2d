#!/bin/bash
# Shared by the benchmarks: arguments, a work directory and a network namespace removed on exit,
# the busybox rootfs, supd started inside the namespace, medians and timed runs.
# shellcheck disable=SC2034 # the variables set here are the scripts' to use

# bench_init NAME DEFAULT_N "$@": BUILD_DIR and N from the script's arguments.
bench_init() {
        bench_name=$1
        top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
        build=$(cd "${3:-$top/build}" && pwd)
        n=${4:-$2}
        [ "$(id -u)" -eq 0 ] || { echo "$bench_name: needs root" >&2; exit 77; }
        work=$(mktemp -d "/tmp/sup-$bench_name.XXXXXX")
        ns=sup-$bench_name-$$
        trap bench_cleanup EXIT
        rootfs=$build/test-rootfs
        "$top/tests/rootfs/build-rootfs.sh" "$rootfs" "$build/tests/helpers/payload" 2>/dev/null
        mkdir -p "$work/units"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
}

bench_cleanup() {
        bench_stop_supd
        ip netns del "$ns" 2>/dev/null || true
        ip netns del "$ns-c" 2>/dev/null || true
        rm -rf "$work"
}

# bench_start_supd [SUPD ARGS…]: supd on $work/units in the namespace, its log in $work/supd.log.
bench_start_supd() {
        nsenter --net="/run/netns/$ns" "$build/supervisor/supd" --units "$work/units" --runtime-dir "$work/run" \
                --state-dir "$work/state" --cgroup-root "sup-$bench_name-$$" "$@" 2>"$work/supd.log" &
        supd_pid=$!
        for _ in $(seq 100); do [ -S "$work/run/control" ] && break; sleep 0.1; done
        export SUP_SOCKET=$work/run/control
}

bench_stop_supd() {
        if [ -n "${supd_pid:-}" ]; then
                kill "$supd_pid" 2>/dev/null
                wait "$supd_pid" 2>/dev/null || true
                supd_pid=
        fi
}

# median: of numbers on stdin; median_ms: the same for microseconds, printed in milliseconds.
median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.2f", m}'; }
median_ms() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }

# time_runs CMD…: N wall-clock times in microseconds, one per line; fails on a non-zero exit.
time_runs() {
        local i s e
        for ((i = 0; i < n; i++)); do
                s=$(date +%s%N)
                "$@" >/dev/null 2>&1 || { echo "$bench_name: '$*' failed" >&2; return 1; }
                e=$(date +%s%N)
                echo $(((e - s) / 1000))
        done
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
