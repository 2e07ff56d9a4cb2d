#!/bin/bash
# SPDX-License-Identifier: MIT
# Bind= read-only and read-write, ReadOnly=yes, Tmpfs= with a size.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

root=$(private_rootfs mounts)
mkdir -p "$root/mnt/ro" "$root/mnt/rw" "$root/scratch"
mkdir -p "$TMP/ro" "$TMP/rw"
echo rocontent >"$TMP/ro/file"

unit mnt-binds <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "/bin/payload cat /mnt/ro/file; /bin/payload write-file /mnt/ro/new x; /bin/payload write-file /mnt/rw/new hello"
RootFS=$root
Bind=$TMP/ro:/mnt/ro:ro
Bind=$TMP/rw:/mnt/rw
[Service]
Restart=no
EOF

unit mnt-readonly <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload write-file /x data
RootFS=$root
ReadOnly=yes
[Service]
Restart=no
EOF

unit mnt-tmpfs <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "grep -w /scratch /proc/self/mountinfo; /bin/payload write-file /scratch/f data"
RootFS=$root
Tmpfs=/scratch:size=1M
[Service]
Restart=no
EOF

start_supd

sc start --wait mnt-binds
ok $? "mnt-binds: ran and exited 0"
wait_log mnt-binds "stdout (written|error)=" 2 5
log=$(cat "$(unit_log_file mnt-binds)")
like "$log" "stdout rocontent" "mnt-binds: the read-only bind shows the host file"
like "$(log_values mnt-binds error | head -n 1)" "Read-only" "mnt-binds: writing to the :ro bind fails with EROFS"
ok "$([[ ! -e $TMP/ro/new ]]; echo $?)" "mnt-binds: nothing was written to the host's read-only dir"
is "$(log_value mnt-binds written)" 5 "mnt-binds: writing to the rw bind works"
is "$(cat "$TMP/rw/new" 2>/dev/null)" hello "mnt-binds: the write is visible on the host"

sc start --wait mnt-readonly
is $? 1 "mnt-readonly: writing /x fails (exit 1)"
wait_log mnt-readonly "stdout error=" 1 5
like "$(log_value mnt-readonly error)" "Read-only" "mnt-readonly: error is EROFS"
ok "$([[ ! -e $root/x ]]; echo $?)" "mnt-readonly: /x did not reach the rootfs"

sc start --wait mnt-tmpfs
ok $? "mnt-tmpfs: ran and exited 0"
wait_log mnt-tmpfs "stdout (written|error)=" 1 5
mi=$(grep -E "^[^ ]+ stdout .* /scratch " "$(unit_log_file mnt-tmpfs)" | head -n 1)
like "$mi" " - tmpfs " "mnt-tmpfs: /scratch is a tmpfs"
like "$mi" "size=1024k" "mnt-tmpfs: of 1M"
is "$(log_value mnt-tmpfs written)" 4 "mnt-tmpfs: writable"
ok "$([[ ! -e $root/scratch/f ]]; echo $?)" "mnt-tmpfs: the write stayed in the tmpfs"

check_leaks
done_testing
