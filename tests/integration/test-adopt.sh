#!/bin/bash
# SPDX-License-Identifier: MIT
# supd can be replaced while its containers run (SPEC §1). 20 networked units with ephemeral overlays
# and published ports, a unit printing a line every 10 ms, an Init=no unit: `supctl daemon-reexec`
# keeps every main pid, address and restart counter, loses no line, and the bus answers again at once;
# then supd is SIGKILLed at random moments 30 times (some in the middle of a restart) and each successor
# adopts every unit whose tree was alive with the same main pid, restarts the Init=no one, hands out no
# address twice, and leaks nothing (veths, nft elements, cgroups, mounts, zombies).
# shellcheck disable=SC2016 # the single-quoted conditions are eval'd by wait_until
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

SUP_TEST_DEADLINE=280
setup_env
command -v nft >/dev/null || skip_all "nft not found (apt-get install nftables)"
in_sup() { nsenter --net="/run/netns/$NETNS" "$@"; }

N=20
cat >"$UNITS/brad.bridge" <<EOF
[Bridge]
Address=10.124.0.1/24
EOF
units=()
for i in $(seq -w 1 "$N"); do
        port=
        ((10#$i % 5 == 0)) && port="PublishPort=81$i:80/tcp"
        unit "ad-$i" <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
Overlay=ephemeral
[Service]
Restart=always
RestartSec=0
[Network]
Bridge=brad
$port
EOF
        units+=("ad-$i")
done
unit ad-log <<EOF
[Container]
Exec=/bin/payload log 100000000 10
RootFS=$ROOTFS
Overlay=ephemeral
[Network]
Bridge=brad
EOF
unit ad-noinit <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
Init=no
EOF
all=("${units[@]}" ad-log ad-noinit)

# "NAME PID STATE RESTARTS" per unit, from one ListUnits.
snapshot() {
        sc --json list 2>/dev/null | "$PYTHON3" -c '
import json, sys
d = json.load(sys.stdin)
units = d["units"] if isinstance(d, dict) else d
for u in units:
    print(u["name"], u.get("main_pid") or 0, u.get("active"), u.get("restarts", 0))
'
}

# shellcheck disable=SC2317 # called through wait_until
_all_running() {
        local n
        n=$(snapshot | awk '$3 == "running"' | wc -l)
        [[ $n -eq ${#all[@]} ]]
}

pid_of() { awk -v u="$1" '$1 == u { print $2 }' "$2"; }
veths() { in_sup ip -o link show type veth 2>/dev/null | grep -c ' ve-'; }
port_elements() { in_sup nft -j list ruleset 2>/dev/null | grep -o '"dport"' | wc -l; }

start_supd
wait_until 30 _all_running
ok $? "all ${#all[@]} units running"

# A restart before anything else: its counter must survive.
sc kill -s KILL ad-01
wait_until 10 eval '[[ $(ufield ad-01 restarts) == 1 ]] && [[ $(ustate ad-01) == running ]]'
ok $? "ad-01 restarted once"

snapshot >"$TMP/before"
addrs_before=$(for u in "${units[@]}" ad-log; do echo "$u $(ufield "$u" address)"; done)
supd_pid=$SUPD_PID
is "$(veths)" $((N + 1)) "one veth per networked unit"
ports_before=$(port_elements)

# ---- daemon-reexec --------------------------------------------------------------------------------------
t0=$(now_ms)
sc daemon-reexec
ok $? "supctl daemon-reexec exits 0"
t1=$(now_ms)
diag "daemon-reexec with ${#all[@]} units: the bus answered again after $((t1 - t0)) ms"
between $((t1 - t0)) 0 2000 "the bus answers again within 2 s of the re-exec ($((t1 - t0)) ms)"
ok "$(pid_alive "$supd_pid"; echo $?)" "supd keeps its pid across the re-exec"
like "$(supd_log_since_start)" "Re-executed: taking over" "the new image says it took over"
snapshot >"$TMP/after"
same=0
for u in "${all[@]}"; do
        [[ $(pid_of "$u" "$TMP/before") == "$(pid_of "$u" "$TMP/after")" ]] && same=$((same + 1))
done
is "$same" "${#all[@]}" "every unit keeps its main pid across daemon-reexec (Init=no too)"
is "$(awk '$3 == "running"' "$TMP/after" | wc -l)" "${#all[@]}" "every unit is running"
is "$(ufield ad-01 restarts)" 1 "ad-01's restart counter is kept"
addrs_after=$(for u in "${units[@]}" ad-log; do echo "$u $(ufield "$u" address)"; done)
is "$addrs_after" "$addrs_before" "every unit keeps its address"
is "$(veths)" $((N + 1)) "no veth added or lost"
is "$(port_elements)" "$ports_before" "the published ports' rules are as they were"
like "$(sc status ad-02)" "[Aa]dopted" "status says the unit was adopted"
sc kill -s KILL ad-02
wait_until 10 eval '[[ $(ufield ad-02 restarts) == 1 ]] && [[ $(ustate ad-02) == running ]]'
ok $? "an adopted unit that dies is restarted as before"

# ---- SIGKILL at random moments, 30 times ----------------------------------------------------------------
snapshot >"$TMP/before"
kept_ok=0 noinit_new=0 rounds=30 restarted_unit=
for round in $(seq 1 "$rounds"); do
        restarted_unit=
        if ((round % 3 == 0)); then
                # In the middle of a restart: that unit may come back with a new pid.
                restarted_unit=ad-0$((round % 9 + 1))
                sc --no-block restart "$restarted_unit" >/dev/null 2>&1
        fi
        sleep "0.$((RANDOM % 30))"
        kill_supd >/dev/null
        start_supd >/dev/null
        if ! wait_until 30 _all_running; then
                diag "round $round: not every unit came back: $(snapshot | awk '$3 != "running"' | tr '\n' ' ')"
                break
        fi
        snapshot >"$TMP/after"
        good=1
        for u in "${units[@]}" ad-log; do
                [[ $u == "$restarted_unit" ]] && continue
                if [[ $(pid_of "$u" "$TMP/before") != "$(pid_of "$u" "$TMP/after")" ]]; then
                        diag "round $round: $u changed its main pid: $(pid_of "$u" "$TMP/before") -> $(pid_of "$u" "$TMP/after")"
                        good=0
                fi
        done
        [[ $(pid_of ad-noinit "$TMP/before") != "$(pid_of ad-noinit "$TMP/after")" ]] && noinit_new=$((noinit_new + 1))
        dup=$(for u in "${units[@]}" ad-log; do ufield "$u" address; done | sort | uniq -d)
        if [[ -n $dup ]]; then
                diag "round $round: an address handed out twice: $dup"
                good=0
        fi
        if [[ $(veths) -ne $((N + 1)) ]]; then
                diag "round $round: $(veths) veths, not $((N + 1))"
                good=0
        fi
        if [[ $(port_elements) -ne $ports_before ]]; then
                diag "round $round: $(port_elements) port rules, not $ports_before"
                good=0
        fi
        ((good)) && kept_ok=$((kept_ok + 1))
        cp "$TMP/after" "$TMP/before"
done
is "$kept_ok" "$rounds" "$rounds SIGKILLs: each successor adopted every live unit with its main pid, one veth each, no address twice, the same port rules"
is "$noinit_new" "$rounds" "the Init=no unit is restarted after each crash (its pipes did not survive)"
like "$(supd_log_since_start)" "ad-noinit: cannot adopt its run \(without the container's init" \
        "the successor says why it restarts the Init=no unit"
# shellcheck disable=SC2119
is "$(count_zombies)" 0 "no zombie on the host"

# ---- the counter unit lost no line ----------------------------------------------------------------------
sc stop ad-log >/dev/null
"$PYTHON3" - "$(unit_log_file ad-log)" >"$TMP/gaps" <<'PY'
import re, sys
seen = set()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"\b(?:line|err) (\d+)$", line.rstrip("\n"))
    if m:
        seen.add(int(m.group(1)))
missing = [i for i in range(1, max(seen) + 1) if i not in seen] if seen else [0]
print(len(seen), len(missing), missing[:10])
PY
read -r n_lines n_missing first_missing <"$TMP/gaps"
diag "the counter unit wrote $n_lines lines across 1 re-exec and $rounds crash-adoptions; missing: $n_missing $first_missing"
ok "$( ((n_lines > 100)); echo $?)" "the counter unit wrote lines throughout ($n_lines)"
# supd consumes a pipe's bytes only once they are in the file (tee(), logstream.c): a SIGKILL at any
# moment loses nothing (a line may be written twice instead).
is "$n_missing" 0 "not one line of the counter unit was lost"

stop_supd
is "$(in_sup nft list tables 2>/dev/null)" "" "no nftables table left after supd stopped"
check_leaks
done_testing
