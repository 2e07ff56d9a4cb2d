#!/bin/bash
# Start latency of a container running /bin/true on the same busybox rootfs, median of N runs,
# in one run: supd (`supctl start --wait`), crun run, runc run, and bare unshare + chroot.
# crun 1.8 refuses a hybrid cgroup host, so the OCI runtimes run in a private mount namespace
# whose /sys/fs/cgroup holds only the v1 hierarchies.
# Usage (root): tests/bench/bench-start.sh [BUILD_DIR] [N]   Prints a markdown table.
# SUP_BENCH_BASELINE=OTHER_BUILD_DIR adds a row for another build of supd (e.g. the previous commit's),
# measured the same way in the same run, for the cost of a change.
set -euo pipefail

# shellcheck source=tests/bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_init bench-start 50 "$@"

# --- supd ---
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
bench_start_supd --log-level debug
sup=$(time_runs "$build/supervisor/supctl" start --wait true | median_ms)
clone_exec=$(sed -n "s/.*exec'd, pid [0-9]*, \([0-9.]*\)ms after clone/\1/p" "$work/supd.log" | median)
setup=$(sed -n "s/.*cloned pid [0-9]* in \([0-9.]*\)ms/\1/p" "$work/supd.log" | median)
bench_stop_supd

baseline_row=
if [ -n "${SUP_BENCH_BASELINE:-}" ]; then
        this=$build
        build=$(cd "$SUP_BENCH_BASELINE" && pwd)
        rm -rf "$work/run" "$work/state"
        bench_start_supd --log-level debug
        base=$(time_runs "$build/supervisor/supctl" start --wait true | median_ms)
        bench_stop_supd
        build=$this
        baseline_row="| supd of $SUP_BENCH_BASELINE (baseline) | $base | $(ratio "$base" "$sup") |"$'\n'
fi

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
crun_ms=$(unshare -m --propagation private "$work/oci.sh" crun | median_ms)
runc_ms=$(unshare -m --propagation private "$work/oci.sh" runc | median_ms)

# --- bare unshare ---
bare=$(time_runs unshare --pid --net --ipc --uts --mount --cgroup --fork --mount-proc="$rootfs/proc" \
        chroot "$rootfs" /bin/true | median_ms)

cat <<TABLE
| start of /bin/true (median of $n) | ms | vs supd |
|---|---|---|
| supd: \`supctl start --wait\` | $sup | 1.00 |
${baseline_row}| crun run | $crun_ms | $(ratio "$crun_ms" "$sup") |
| runc run | $runc_ms | $(ratio "$runc_ms" "$sup") |
| unshare + chroot (no cgroup, no pivot_root) | $bare | $(ratio "$bare" "$sup") |

supd inside: set-up before clone (cgroup, dirs, pipes, clone3) median ${setup} ms; clone to exec median ${clone_exec} ms.
TABLE
