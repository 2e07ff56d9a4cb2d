#!/bin/bash
# The README's test command: installs what the tests need (Debian 12, as root), builds, and runs
# every suite: unit (under ASan/UBSan, and built with clang), integration (root, real kernel), vm
# (qemu), and a bounded fuzz run. Ends with one "N passed, N failed, N skipped" line over all suites.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

fuzz_seconds=${SUP_FUZZ_SECONDS:-60}

deps=(meson ninja-build pkg-config gcc libc6-dev clang libclang-rt-14-dev
      libsystemd-dev libev-dev libmnl-dev libnftables-dev libseccomp-dev libcap-dev
      libjson-c-dev scdoc shellcheck busybox-static iproute2 nftables systemd util-linux
      crun runc qemu-system-x86 linux-image-amd64 cpio python3 libglib2.0-bin)

if [ "$(id -u)" -eq 0 ]; then
        echo "==> installing test dependencies"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >/dev/null
        apt-get install -y -q --no-install-recommends "${deps[@]}" >/dev/null
else
        echo "==> not root: not installing packages; root-only suites will skip"
fi

echo "==> shellcheck"
shellcheck -x tests/run-all.sh tests/fuzz/run.sh tests/rootfs/build-rootfs.sh tests/bench/*.sh tests/vm/*.sh tests/integration/*.sh supervisor/supctl/completion/supctl.bash .ci/run

echo "==> build (ASan/UBSan) and the unit suite"
[ -d build-asan ] || meson setup build-asan -Dsanitize=true >/dev/null
ninja -C build-asan >/dev/null
status=0
meson test -C build-asan --suite unit --print-errorlogs || status=1

# clang builds the whole project with the same -Werror flags as gcc. A failed build runs no test
# and counts as one failure below (no testlog.json).
echo "==> clang build and the unit suite"
[ -d build-clang ] || CC=clang meson setup build-clang >/dev/null
rm -f build-clang/meson-logs/testlog.json
if ninja -C build-clang >build-clang/ninja.log 2>&1; then
        meson test -C build-clang --suite unit --print-errorlogs || status=1
else
        grep -E '^(FAILED|.*error:)' build-clang/ninja.log || true
        status=1
fi

echo "==> build and the integration and vm suites"
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
meson test -C build --suite integration --suite vm --print-errorlogs || status=1

echo "==> fuzzing the unit parser for ${fuzz_seconds}s"
[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzz=true >/dev/null
ninja -C build-fuzz tests/fuzz/fuzz-unit-parser >/dev/null
fuzz=0
tests/fuzz/run.sh build-fuzz "$fuzz_seconds" || fuzz=1
[ "$fuzz" -eq 0 ] || status=1

# One closing line over every suite, from meson's own logs. A log that is missing (its build
# failed before any test ran) counts as one failure.
python3 - "$fuzz" build-asan/meson-logs/testlog.json build-clang/meson-logs/testlog.json \
        build/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"passed": 0, "failed": 0, "skipped": 0}
for path in sys.argv[2:]:
    try:
        lines = open(path).readlines()
    except OSError:
        counts["failed"] += 1
        continue
    for line in lines:
        r = json.loads(line)["result"]
        key = "passed" if r in ("OK", "EXPECTEDFAIL") else "skipped" if r == "SKIP" else "failed"
        counts[key] += 1
counts["passed" if sys.argv[1] == "0" else "failed"] += 1  # the fuzz run
print(f'{counts["passed"]} passed, {counts["failed"]} failed, {counts["skipped"]} skipped')
PY
exit "$status"
