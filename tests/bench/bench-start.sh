#!/bin/bash
# Start latency of a container running /bin/true on the same busybox rootfs, median of N runs,
# in one run: supd (`supctl start --wait`), crun run, runc run, and bare unshare + chroot.
# crun 1.8 refuses a hybrid cgroup host, so the OCI runtimes run in a private mount namespace
# whose /sys/fs/cgroup holds only the v1 hierarchies.
# Usage (root): tests/bench/bench-start.sh [BUILD_DIR] [N]   Prints a markdown table.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-50}
[ "$(id -u)" -eq 0 ] || { echo "bench-start: needs root" >&2; exit 77; }

work=$(mktemp -d /tmp/sup-bench.XXXXXX)
ns=sup-bench-$$
cleanup() {
        [ -n "${supd_pid:-}" ] && kill "$supd_pid" 2>/dev/null && wait "$supd_pid" 2>/dev/null
        ip netns del "$ns" 2>/dev/null || true
        rm -rf "$work"
}
trap cleanup EXIT

rootfs=$build/test-rootfs
"$top/tests/rootfs/build-rootfs.sh" "$rootfs" "$build/tests/helpers/payload" 2>/dev/null

median() { sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.1f", m / 1000}'; }

# time_runs CMD...: N wall-clock times in microseconds, one per line; fails on a non-zero exit.
time_runs() {
        local i s e
        for ((i = 0; i < n; i++)); do
                s=$(date +%s%N)
                "$@" >/dev/null 2>&1 || { echo "bench-start: '$*' failed" >&2; return 1; }
                e=$(date +%s%N)
                echo $(((e - s) / 1000))
        done
}

# --- supd ---
mkdir -p "$work/units"
cat >"$work/units/true.unit" <<UNIT
[Unit]
AutoStart=no
[Container]
Exec=/bin/true
RootFS=$rootfs
Namespaces=pid net ipc uts mnt cgroup
[Service]
Restart=no
UNIT
ip netns add "$ns"
nsenter --net="/run/netns/$ns" "$build/supervisor/supd" --units "$work/units" --runtime-dir "$work/run" \
        --state-dir "$work/state" --cgroup-root "sup-bench-$$" --log-level debug 2>"$work/supd.log" &
supd_pid=$!
for _ in $(seq 50); do [ -S "$work/run/control" ] && break; sleep 0.1; done
export SUP_SOCKET=$work/run/control
sup=$(time_runs "$build/supervisor/supctl" start --wait true | median)
clone_exec=$(sed -n "s/.*exec'd, pid [0-9]*, \([0-9.]*\)ms after clone/\1/p" "$work/supd.log" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')
setup=$(sed -n "s/.*cloned pid [0-9]* in \([0-9.]*\)ms/\1/p" "$work/supd.log" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')
kill "$supd_pid"; wait "$supd_pid" 2>/dev/null || true; supd_pid=

# --- OCI runtimes ---
mkdir -p "$work/bundle"
(cd "$work/bundle" && crun spec)
python3 - "$work/bundle/config.json" "$rootfs" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/true"]
c["process"]["terminal"] = False
c["root"] = {"path": sys.argv[2], "readonly": False}
c["linux"]["namespaces"] = [{"type": t} for t in ["pid", "network", "ipc", "uts", "mount", "cgroup"]]
json.dump(c, open(sys.argv[1], "w"))
PY
cat >"$work/oci.sh" <<OCI
#!/bin/bash
set -e
umount /sys/fs/cgroup/unified 2>/dev/null || true
umount /sys/fs/cgroup/systemd 2>/dev/null || true
runtime=\$1
for ((i = 0; i < $n; i++)); do
        s=\$(date +%s%N)
        "\$runtime" run --bundle "$work/bundle" "bench-\$\$-\$i" >/dev/null 2>&1
        e=\$(date +%s%N)
        echo \$(((e - s) / 1000))
done
OCI
chmod +x "$work/oci.sh"
crun_ms=$(unshare -m --propagation private "$work/oci.sh" crun | median)
runc_ms=$(unshare -m --propagation private "$work/oci.sh" runc | median)

# --- bare unshare ---
bare=$(time_runs unshare --pid --net --ipc --uts --mount --cgroup --fork --mount-proc="$rootfs/proc" \
        chroot "$rootfs" /bin/true | median)

cat <<TABLE
| start of /bin/true (median of $n) | ms | vs supd |
|---|---|---|
| supd: \`supctl start --wait\` | $sup | 1.00 |
| crun run | $crun_ms | $(awk "BEGIN {printf \"%.2f\", $crun_ms / $sup}") |
| runc run | $runc_ms | $(awk "BEGIN {printf \"%.2f\", $runc_ms / $sup}") |
| unshare + chroot (no cgroup, no pivot_root) | $bare | $(awk "BEGIN {printf \"%.2f\", $bare / $sup}") |

supd inside: set-up before clone (cgroup, dirs, pipes, clone3) median ${setup} ms; clone to exec median ${clone_exec} ms.
TABLE
