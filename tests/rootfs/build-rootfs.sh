#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the minimal busybox root filesystem used by sup's tests and examples.
#
#   build-rootfs.sh DESTDIR [PAYLOAD]
#
# DESTDIR gets a static busybox with one relative symlink per applet in /bin, the usual top-level
# directories, and a small /etc (root, nobody and "app" 1000:1000; hostname "sup-test"). PAYLOAD, a static
# binary (tests/helpers/payload), is installed as /bin/payload.
#
# The tree is built next to DESTDIR and renamed into place, so a reader never sees a half-built rootfs.
# A stamp records the checksums of busybox, the payload and this script: when they match, DESTDIR is left
# alone. A stale DESTDIR is only replaced if this script built it (it has the stamp) or it is empty.
#
# $BUSYBOX overrides /bin/busybox (Debian's busybox-static package).

set -euo pipefail

STAMP_NAME=.sup-rootfs-stamp

die() {
        echo "build-rootfs: $*" >&2
        exit 1
}

usage() {
        echo "Usage: ${0##*/} DESTDIR [PAYLOAD]" >&2
        exit 2
}

# Static means no dynamic loader: the rootfs has no libc. ldd fails on static binaries, except static-pie
# ones, for which it says so.
is_static() {
        local out

        if out=$(LC_ALL=C ldd "$1" 2>&1); then
                [[ $out == *"statically linked"* ]]
        else
                return 0
        fi
}

checksum() {
        local sum

        sum=$(sha256sum "$1") || die "cannot checksum '$1'"
        echo "${sum%% *}"
}

[[ $# -ge 1 && $# -le 2 && -n $1 ]] || usage
dest=$1
payload=${2:-}

# "foo/" and "foo" are the same rootfs; "/" is never one.
while [[ $dest == */ && $dest != / ]]; do
        dest=${dest%/}
done
[[ $dest != / ]] || die "refusing to use / as DESTDIR"

busybox=${BUSYBOX:-/bin/busybox}
if [[ ! -x $busybox ]]; then
        die "$busybox not found: apt-get install busybox-static"
fi
if ! is_static "$busybox"; then
        die "$busybox is dynamically linked (Debian's busybox package?): apt-get install busybox-static"
fi

if [[ -n $payload ]]; then
        [[ -f $payload && -r $payload ]] || die "payload '$payload' not found"
        is_static "$payload" || die "payload '$payload' is not a static binary"
fi

stamp="busybox=$(checksum "$busybox")"
if [[ -n $payload ]]; then
        stamp+=" payload=$(checksum "$payload")"
else
        stamp+=" payload=none"
fi
stamp+=" script=$(checksum "${BASH_SOURCE[0]}")"

is_current() {
        [[ -f $dest/$STAMP_NAME && $(<"$dest/$STAMP_NAME") == "$stamp" ]]
}

if is_current; then
        echo "rootfs: $dest" >&2
        exit 0
fi

if [[ -e $dest || -L $dest ]]; then
        [[ -d $dest && ! -L $dest ]] || die "'$dest' exists and is not a directory"
        if [[ ! -f $dest/$STAMP_NAME && -n $(ls -A "$dest") ]]; then
                die "'$dest' exists, is not empty and was not built by this script; remove it first"
        fi
fi

tmp=$dest.tmp.$$
old=$dest.old.$$
cleanup() {
        # --one-file-system: never descend into something a test left mounted on a rootfs.
        rm -rf --one-file-system -- "$tmp" "$old"
}
trap cleanup EXIT

umask 022
rm -rf --one-file-system -- "$tmp"
mkdir -p -- "$(dirname -- "$dest")"
mkdir -- "$tmp"

mkdir -p -- "$tmp"/{bin,usr,dev,proc,sys,run,tmp,etc,root,var/log,var/tmp,home/app}
chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
chmod 0700 "$tmp/root"
ln -s bin "$tmp/sbin"
ln -s ../bin "$tmp/usr/bin"
ln -s ../bin "$tmp/usr/sbin"

install -m 0755 -- "$busybox" "$tmp/bin/busybox"
list=$("$busybox" --list) || die "'$busybox --list' failed"
# Not word splitting: "[" and "[[" are applets, and globs.
mapfile -t applets <<<"$list"
for applet in "${applets[@]}"; do
        # Names only; anything else (or busybox itself) would escape or clobber bin/.
        [[ $applet == */* || $applet == busybox || $applet == payload ]] && continue
        ln -s busybox "$tmp/bin/$applet"
done
[[ -L $tmp/bin/sh ]] || die "'$busybox' has no sh applet"

if [[ -n $payload ]]; then
        install -m 0755 -- "$payload" "$tmp/bin/payload"
fi

cat >"$tmp/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
EOF

cat >"$tmp/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
app:x:1000:
EOF

echo sup-test >"$tmp/etc/hostname"

cat >"$tmp/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	sup-test
::1		localhost ip6-localhost ip6-loopback
EOF

: >"$tmp/etc/resolv.conf"

# A page for examples/web.unit (busybox httpd -h /www).
mkdir -p "$tmp/www"
echo '<h1>Hello from a sup container</h1>' >"$tmp/www/index.html"

# Ownership only means something when we may set it; unprivileged builds keep the caller's ids.
if [[ $(id -u) -eq 0 ]]; then
        chown 1000:1000 "$tmp/home/app"
fi

echo "$stamp" >"$tmp/$STAMP_NAME"

# rename(2) cannot replace a non-empty directory: move the stale tree aside first. Another builder may
# have won the race meanwhile; its tree is as good as ours.
if ! mv -T -- "$tmp" "$dest" 2>/dev/null; then
        if ! is_current; then
                if [[ -d $dest ]]; then
                        mv -T -- "$dest" "$old" || die "cannot move the stale '$dest' aside"
                fi
                mv -T -- "$tmp" "$dest" || die "cannot rename '$tmp' to '$dest'"
        fi
fi

echo "rootfs: $dest" >&2
