#!/bin/bash
# SPDX-License-Identifier: MIT
# Overlay=ephemeral: writes to / go to a tmpfs upper, gone after a restart, the lower rootfs untouched.
# Overlay=persistent: writes survive a restart and live in STATE/overlay/NAME/upper. No mount is left.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

lower=$(private_rootfs lower)
lower_sum=$(cd "$lower" && find . -printf '%p %s %m\n' | sort | md5sum)

# Each run says whether /marker was there when it started, then writes it.
script='if [ -e /marker ]; then echo found=yes; else echo found=no; fi; echo data >/marker && echo wrote=yes; exec /bin/payload sleep inf'

for mode in ephemeral persistent; do
        unit "ov-$mode" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/sh -c "$script"
RootFS=$lower
Overlay=$mode
EOF
done

start_supd

for mode in ephemeral persistent; do
        u=ov-$mode
        sc start "$u"
        ok $? "$u: started"
        wait_log "$u" "stdout wrote=" 1 5
        is "$(log_values "$u" found | head -n 1)" no "$u: first run: no /marker"
        is "$(log_value "$u" wrote)" yes "$u: writing /marker inside works"
        ok "$([[ ! -e $lower/marker ]]; echo $?)" "$u: the lower rootfs did not get /marker"

        sc restart "$u"
        ok $? "$u: restarted"
        wait_log "$u" "stdout wrote=" 2 5
        if [[ $mode == ephemeral ]]; then
                is "$(log_value "$u" found)" no "$u: /marker is gone after a restart"
        else
                is "$(log_value "$u" found)" yes "$u: /marker survived the restart"
                is "$(cat "$STATE/overlay/$u/upper/marker" 2>/dev/null)" data \
                        "$u: /marker is in STATE/overlay/$u/upper"
        fi
        sc stop "$u"
        ok $? "$u: stopped"
        is "$(grep -cF -- "$TMP" /proc/self/mountinfo)" 0 "$u: no mount of the temp dir after stop"
done

is "$(cd "$lower" && find . -printf '%p %s %m\n' | sort | md5sum)" "$lower_sum" "the lower rootfs is unchanged"
ok "$([[ -d $STATE/overlay/ov-persistent/upper ]]; echo $?)" "the persistent upper is kept after stop"
ok "$([[ ! -e $STATE/overlay/ov-ephemeral ]]; echo $?)" "no upper is kept for the ephemeral overlay"

check_leaks
done_testing
