#!/bin/bash
# SPDX-License-Identifier: MIT
# The control socket speaks D-Bus peer to peer: busctl can introspect and call org.sup.Manager1, and
# errors carry names under org.sup.Error.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
command -v busctl >/dev/null || skip_all "busctl not found (apt-get install systemd)"

for u in bus-a bus-b; do
        unit "$u" <<EOF
[Unit]
Description=unit $u
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF
done

start_supd

address=unix:path=$RUNTIME/control
bc() {
        timeout --kill-after=5 20 busctl --address="$address" --timeout=10 "$@"
}

is "$(stat -c %a "$RUNTIME/control")" 600 "the control socket has mode 0600"

out=$(bc introspect org.sup.Manager1 /org/sup/Manager1 2>&1)
ok $? "busctl introspect works"
for m in ListUnits GetUnit StartUnit StopUnit RestartUnit; do
        like "$out" "\.$m +method" "introspect lists the method $m"
done
like "$out" "\.UnitChanged +signal" "introspect lists the signal UnitChanged"

out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 ListUnits 2>&1)
ok $? "ListUnits succeeds"
like "$out" '^a\(sssssuu\) 2 ' "ListUnits returns 2 units"
like "$out" '"bus-a" "unit bus-a" "loaded" "inactive"' "ListUnits shows bus-a, loaded and inactive"
like "$out" '"bus-b"' "ListUnits shows bus-b"

out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 StartUnit s bus-a 2>&1)
ok $? "StartUnit bus-a succeeds"
wait_for running bus-a 5
ok $? "bus-a: running"
out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 GetUnit s bus-a 2>&1)
like "$out" '"ActiveState" s "running"' "GetUnit shows ActiveState running"
out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 StopUnit s bus-a 2>&1)
ok $? "StopUnit bus-a succeeds"
wait_for inactive bus-a 5
ok $? "bus-a: inactive"

# UnitChanged reaches an independent client: gdbus (busctl monitor needs a bus daemon) subscribes on
# the peer-to-peer socket, and a start of bus-b shows up as signals naming it.
if command -v gdbus >/dev/null; then
        timeout 8 gdbus monitor --address "$address" --dest org.sup.Manager1 >"$TMP/monitor" 2>&1 &
        monitor=$!
        sleep 0.5
        sc start bus-b
        sc stop bus-b
        sleep 0.5
        kill "$monitor" 2>/dev/null
        wait "$monitor" 2>/dev/null
        like "$(cat "$TMP/monitor")" "UnitChanged \\('bus-b', 'running'" "gdbus monitor sees UnitChanged(bus-b, running)"
        like "$(cat "$TMP/monitor")" "UnitChanged \\('bus-b', 'inactive'" "gdbus monitor sees UnitChanged(bus-b, inactive)"
else
        skip "gdbus not found (apt-get install libglib2.0-bin)"
fi

out=$(bc call org.sup.Manager1 /org/sup/Manager1 org.sup.Manager1 StartUnit s nosuch 2>&1)
isnt $? 0 "StartUnit of a missing unit fails"
like "$out" "nosuch" "the error message names the unit"
if command -v dbus-send >/dev/null; then
        out=$(timeout 20 dbus-send --peer="$address" --print-reply --reply-timeout=10000 --dest=org.sup.Manager1 \
                /org/sup/Manager1 org.sup.Manager1.StartUnit string:nosuch 2>&1)
        like "$out" "org\.sup\.Error\.NoSuchUnit" "the error is org.sup.Error.NoSuchUnit"
elif command -v gdbus >/dev/null; then
        out=$(timeout 20 gdbus call --address "$address" --object-path /org/sup/Manager1 \
                --method org.sup.Manager1.StartUnit nosuch 2>&1)
        like "$out" "org\.sup\.Error\.NoSuchUnit" "the error is org.sup.Error.NoSuchUnit"
else
        skip "neither dbus-send nor gdbus to read the error name"
fi

check_leaks
done_testing
