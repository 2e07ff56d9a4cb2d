#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the initramfs the vm suite boots, with supd as PID 1.
#
#   build-initramfs.sh [--units DIR] [--kver VERSION] [--modules "NAME…"] [--no-modules]
#                      OUT.cpio.gz SUPD [EXTRA[:DEST]…]
#
# The archive (cpio newc, gzip) holds:
#   /sbin/init           SUPD; /init links to it. When SUPD is dynamically linked, every library ldd lists
#                        and the dynamic loader are copied to the paths ldd gives.
#   /bin/busybox         with one link per applet, at the paths `busybox --list-full` gives (/bin/sh,
#                        /sbin/modprobe, /usr/bin/env…); never /sbin/init nor /linuxrc. $BUSYBOX overrides
#                        /bin/busybox (Debian's busybox-static); a dynamic one gets its libraries too.
#   /etc                 hostname "supvm", passwd and group (root only), hosts.
#   /etc/sup/units       the contents of --units DIR (empty without it).
#   /lib/modules/VERSION the modules below with everything they depend on (modprobe --show-depends, so
#                        soft dependencies too), modules.order, modules.builtin*, and a modules.dep for that
#                        subset made by depmod: busybox's modprobe loads them by name, and the kernel's own
#                        requests (fs-overlay, rtnl-link-veth, nft-chain-2-nat…) go to /sbin/modprobe too.
#                        Modules built into the kernel (modules.builtin) are skipped. VERSION is --kver,
#                        by default the newest /boot/vmlinuz-VERSION.
#   EXTRA                a directory whose contents are copied to / (or to DEST, e.g.
#                        build/rootfs:/var/lib/sup/rootfs/busybox), or a file copied to DEST; an executable
#                        file brings its shared libraries and the loader along, as SUPD does
#                        (build/supervisor/supctl:/usr/bin/supctl).
#
# Default modules (--modules replaces the list, --no-modules drops it): what containers need from the
# kernel on Debian's config: overlay (Overlay=), veth and bridge (Bridge=), nf_tables with NAT, masquerade,
# conntrack, reject and fib expressions (NAT= and PublishPort=), and dummy (a stand-in uplink for tests).
#
# Run as root, file owners are kept; otherwise everything is owned by root in the archive.
# Needs cpio, gzip, and kmod's modprobe and depmod when modules are asked for.

set -euo pipefail
shopt -s nullglob

DEFAULT_MODULES=(overlay veth bridge nf_tables nfnetlink nf_conntrack nf_nat nft_chain_nat nft_nat nft_masq
                 nft_ct nft_reject_inet nft_fib_inet dummy)

die() {
        echo "build-initramfs: $*" >&2
        exit 1
}

usage() {
        echo "Usage: ${0##*/} [--units DIR] [--kver VERSION] [--modules \"NAME…\"] [--no-modules]" \
             "OUT.cpio.gz SUPD [EXTRA[:DEST]…]" >&2
        exit 2
}

units=
kver=
modules=("${DEFAULT_MODULES[@]}")
positional=()
while [[ $# -gt 0 ]]; do
        case $1 in
        --units)
                [[ $# -ge 2 ]] || usage
                units=$2
                shift 2
                ;;
        --kver)
                [[ $# -ge 2 ]] || usage
                kver=$2
                shift 2
                ;;
        --modules)
                [[ $# -ge 2 ]] || usage
                read -r -a modules <<<"$2"
                shift 2
                ;;
        --no-modules)
                modules=()
                shift
                ;;
        --)
                shift
                positional+=("$@")
                break
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
[[ ${#positional[@]} -ge 2 ]] || usage
out=${positional[0]}
supd=${positional[1]}
extras=("${positional[@]:2}")

[[ -f $supd && -x $supd ]] || die "'$supd' is not an executable file"
[[ -z $units || -d $units ]] || die "units directory '$units' not found"
busybox=${BUSYBOX:-/bin/busybox}
[[ -x $busybox ]] || die "$busybox not found: apt-get install busybox-static"
for tool in cpio gzip; do
        command -v "$tool" >/dev/null || die "$tool not found"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/sup-initramfs.XXXXXX")
cleanup() {
        rm -rf --one-file-system -- "$stage"
        rm -f -- "$out.tmp.$$"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

umask 022
mkdir -p -- "$stage"/{bin,sbin,usr/bin,usr/sbin,etc/sup/units,dev,proc,sys,run,tmp,root,var/lib/sup,var/log}
chmod 1777 "$stage/tmp"
chmod 0700 "$stage/root"

# Copies FILE to the same path under the stage, following symlinks (a library's soname link included).
copy_to_stage() {
        local src=$1 dest=$stage$1

        [[ -e $dest ]] && return 0
        mkdir -p -- "$(dirname -- "$dest")"
        cp -L -- "$src" "$dest"
}

# The shared libraries and the loader of a binary, at the paths ldd gives. ldd fails on a static binary,
# except a static-pie one, for which it says "statically linked".
copy_libraries() {
        local out line lib

        out=$(LC_ALL=C ldd "$1" 2>&1) || return 0
        while IFS= read -r line; do
                case $line in
                *"statically linked"* | *"not a dynamic executable"*)
                        return 0
                        ;;
                *"=> not found"*)
                        die "'$1' needs a library that is not installed: ${line#"${line%%[![:space:]]*}"}"
                        ;;
                *" => /"*)
                        lib=${line#* => }
                        lib=${lib%% (*}
                        ;;
                [[:space:]]/*)
                        lib=${line#"${line%%[![:space:]]*}"}
                        lib=${lib%% (*}
                        ;;
                *)
                        continue # linux-vdso.so.1 and friends have no file
                        ;;
                esac
                copy_to_stage "$lib"
        done <<<"$out"
}

install -m 0755 -- "$supd" "$stage/sbin/init"
ln -s sbin/init "$stage/init"
copy_libraries "$supd"

install -m 0755 -- "$busybox" "$stage/bin/busybox"
copy_libraries "$busybox"
list=$("$busybox" --list-full) || die "'$busybox --list-full' failed"
mapfile -t applets <<<"$list"
for applet in "${applets[@]}"; do
        # Relative paths without "..", and never what supd or the harness own.
        [[ -n $applet && $applet != /* && $applet != *..* ]] || continue
        [[ $applet == sbin/init || $applet == linuxrc || $applet == bin/busybox ]] && continue
        [[ -e $stage/$applet || -L $stage/$applet ]] && continue
        # Relative links: "../bin/busybox" from bin/ and sbin/, "../../bin/busybox" from usr/bin/.
        dir=${applet%/*}
        up=
        if [[ $applet == */* ]]; then
                up=../
                rest=$dir
                while [[ $rest == */* ]]; do
                        up+=../
                        rest=${rest#*/}
                done
                [[ -d $stage/$dir ]] || mkdir -p -- "$stage/$dir"
        fi
        ln -s "${up}bin/busybox" "$stage/$applet"
done
[[ -L $stage/bin/sh ]] || die "'$busybox' has no sh applet"

echo supvm >"$stage/etc/hostname"
cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
cat >"$stage/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	supvm
::1		localhost ip6-localhost ip6-loopback
EOF

if [[ -n $units ]]; then
        cp -R -- "$units/." "$stage/etc/sup/units/"
fi

if [[ ${#modules[@]} -gt 0 ]]; then
        if [[ -z $kver ]]; then
                kernels=(/boot/vmlinuz-*)
                [[ ${#kernels[@]} -gt 0 ]] || die "no /boot/vmlinuz-*: give --kver or --no-modules"
                kver=$(printf '%s\n' "${kernels[@]#/boot/vmlinuz-}" | sort -V | tail -n 1)
        fi
        moddir=/lib/modules/$kver
        [[ -d $moddir ]] || die "$moddir not found: give --kver or --no-modules"
        PATH=$PATH:/usr/sbin:/sbin # kmod's tools, for users whose PATH lacks them
        for tool in modprobe depmod; do
                command -v "$tool" >/dev/null || die "$tool not found: apt-get install kmod"
        done
        mkdir -p -- "$stage$moddir"

        for m in "${modules[@]}"; do
                # "insmod /lib/modules/…/x.ko" per module to load (soft dependencies too), or "builtin x".
                deps=$(modprobe -S "$kver" --show-depends -- "$m" 2>&1) || die "module $m: $deps"
                while read -r kind path _; do
                        case $kind in
                        insmod) copy_to_stage "$path" ;;
                        builtin) ;;
                        *) die "module $m: unexpected '$kind $path' from modprobe --show-depends" ;;
                        esac
                done <<<"$deps"
        done

        for f in modules.order modules.builtin modules.builtin.modinfo; do
                [[ -f $moddir/$f ]] && cp -- "$moddir/$f" "$stage$moddir/"
        done
        depmod -b "$stage" "$kver" || die "depmod failed"
fi

for extra in "${extras[@]}"; do
        src=$extra
        dest=/
        if [[ $extra == *:* ]]; then
                src=${extra%%:*}
                dest=${extra#*:}
        fi
        [[ $dest == /* && $dest != *..* ]] || die "'$extra': DEST must be an absolute path without '..'"
        if [[ -d $src ]]; then
                mkdir -p -- "$stage$dest"
                cp -a -- "$src/." "$stage$dest/"
        elif [[ -f $src && $extra == *:* ]]; then
                mkdir -p -- "$(dirname -- "$stage$dest")"
                cp -a -- "$src" "$stage$dest"
                if [[ -x $src ]]; then
                        copy_libraries "$src" # a script or a static binary has none
                fi
        else
                die "'$src': not a directory (or a file given with :DEST)"
        fi
done

cpio_args=(-o -H newc --quiet --null)
if [[ $(id -u) -ne 0 ]]; then
        cpio_args+=(-R 0:0)
fi
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio "${cpio_args[@]}") | gzip -6 -n \
        >"$out.tmp.$$" || die "cannot write '$out'"
mv -f -- "$out.tmp.$$" "$out"

size=$(du -k -- "$out")
echo "initramfs: $out (${size%%[[:space:]]*} KiB${kver:+, modules of $kver})" >&2
