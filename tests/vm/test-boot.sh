#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# vm suite: supd boots Debian's kernel as PID 1 (qemu, TCG, no network), makes a usable system and reaches
# its main loop.
#
#   test-boot.sh [SUPD]        ($SUPD when no argument is given)
#
# Asserts, in this order, on the serial console:
#   "Run /sbin/init as init process"   the kernel ran the initramfs' /sbin/init, i.e. supd
#   "supd: running as PID 1"           supd's first line as PID 1
#   "supd: system set up"              pid1_setup() succeeded: file systems, console, hostname, lo
#   "supd: ready"                      the units are started and the event loop runs
# and that none of these appear meanwhile: a kernel panic, "supd: Failed to …", a segfault, a failed
# assertion, a sanitizer report.
#
# Environment: SUP_VM_KERNEL (default: the newest /boot/vmlinuz-*; its modules come from
# /lib/modules/VERSION), SUP_VM_TIMEOUT (seconds, default 180), QEMU, BUSYBOX.
# Skips (exit 77) when qemu, a kernel, busybox, cpio or gzip is missing.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() {
        echo "1..0 # SKIP $*"
        exit 77
}

supd=${1:-${SUPD:-}}
shift || true
# A scenario after SUPD: --units DIR, --extra DIR:DEST (given to build-initramfs.sh), and more
# run-vm.sh steps (--expect RE, --reject RE, --sendkey KEYS, --expect-exit) after supd is ready.
initramfs_args=()
rootfs_payload=
rootfs_dest=
extras=()
more_steps=()
while [[ $# -gt 0 ]]; do
        case $1 in
        --units) initramfs_args+=(--units "$2"); shift 2 ;;
        --extra) extras+=("$2"); shift 2 ;;
        --rootfs) rootfs_payload=${2%%:*}; rootfs_dest=${2#*:}; shift 2 ;;
        --expect | --reject | --sendkey) more_steps+=("$1" "$2"); shift 2 ;;
        --expect-exit) more_steps+=("$1"); shift ;;
        *) echo "Bail out! unknown argument '$1'"; exit 2 ;;
        esac
done
if [[ -z $supd ]]; then
        echo "Bail out! usage: ${0##*/} SUPD (or \$SUPD)"
        exit 2
fi
if [[ ! -f $supd || ! -x $supd ]]; then
        echo "Bail out! '$supd' is not an executable file"
        exit 2
fi

command -v "${QEMU:-qemu-system-x86_64}" >/dev/null ||
        skip "${QEMU:-qemu-system-x86_64} not found (apt-get install qemu-system-x86)"
for tool in cpio gzip timeout; do
        command -v "$tool" >/dev/null || skip "$tool not found"
done
[[ -x ${BUSYBOX:-/bin/busybox} ]] || skip "${BUSYBOX:-/bin/busybox} not found (apt-get install busybox-static)"

kernel=${SUP_VM_KERNEL:-}
if [[ -z $kernel ]]; then
        shopt -s nullglob
        kernels=(/boot/vmlinuz-*)
        shopt -u nullglob
        [[ ${#kernels[@]} -gt 0 ]] || skip "no kernel in /boot (apt-get install linux-image-amd64)"
        kernel=/boot/vmlinuz-$(printf '%s\n' "${kernels[@]#/boot/vmlinuz-}" | sort -V | tail -n 1)
fi
[[ -f $kernel ]] || skip "kernel '$kernel' not found"
[[ -r $kernel ]] || skip "kernel '$kernel' not readable by this user"

# The modules of that kernel, when they are there (not needed to boot, but the image is the real one).
kver=${kernel##*/vmlinuz-}
modules=(--no-modules)
PATH=$PATH:/usr/sbin:/sbin
if [[ -d /lib/modules/$kver ]] && command -v modprobe >/dev/null && command -v depmod >/dev/null; then
        modules=(--kver "$kver")
else
        echo "# no modules for $kver (no /lib/modules/$kver or no kmod): booting without them"
fi

# As TAP diagnostics.
comment() {
        local line

        while IFS= read -r line; do
                echo "# $line"
        done <<<"$1"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sup-test-boot.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --rootfs PAYLOAD:DEST: the busybox test rootfs with that payload, placed at DEST in the image.
if [[ -n $rootfs_payload ]]; then
        if ! out=$("$here/../rootfs/build-rootfs.sh" "$tmp/rootfs" "$rootfs_payload" 2>&1); then
                echo "1..1"
                echo "not ok 1 - build the test rootfs"
                comment "$out"
                exit 1
        fi
        extras+=("$tmp/rootfs:$rootfs_dest")
fi

if ! out=$("$here/build-initramfs.sh" "${modules[@]}" "${initramfs_args[@]}" "$tmp/initrd.cpio.gz" "$supd" \
        "${extras[@]}" 2>&1); then
        echo "1..1"
        echo "not ok 1 - build the initramfs"
        comment "$out"
        exit 1
fi
comment "$out"
echo "# kernel: $kernel"

status=0
"$here/run-vm.sh" --timeout "${SUP_VM_TIMEOUT:-180}" \
        --reject 'Kernel panic' \
        --reject 'supd: Failed to' \
        --reject 'segfault at' \
        --reject 'Assertion .* failed' \
        --reject 'AddressSanitizer|LeakSanitizer|runtime error:' \
        --expect 'Run /sbin/init as init process' \
        --expect 'supd: running as PID 1' \
        --expect 'supd: system set up' \
        --expect 'supd: ready' \
        "${more_steps[@]}" \
        "$kernel" "$tmp/initrd.cpio.gz" || status=$?
exit "$status"
