#!/bin/bash
# SPDX-License-Identifier: MIT
# 50 supctl clients at once for ~10 s, half listing, half restarting the same unit: supd keeps
# answering, never drops a client (no exit 5), ends consistent (the unit running, one main process in
# its cgroup's pid namespace) and with the fds it had before.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

CLIENTS=${CLIENTS:-50}
SECONDS_TO_RUN=${SECONDS_TO_RUN:-10}

unit web <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Service]
StartLimitBurst=100000
EOF
unit bystander <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

start_supd
wait_for running web 5
wait_for running bystander 5
fds_before=$(supd_fds_settled)
bystander_pid=$(umainpid bystander)

# One client: its verb in a loop until the deadline; one line per call: "VERB STATUS".
client() {
        local verb=$1 deadline=$2 out=$3 rc
        while (($(now_ms) < deadline)); do
                if [[ $verb == list ]]; then
                        timeout --kill-after=5 30 "$SUPCTL" list >/dev/null 2>>"$out.err"
                else
                        timeout --kill-after=5 30 "$SUPCTL" restart web >/dev/null 2>>"$out.err"
                fi
                rc=$?
                echo "$verb $rc" >>"$out"
        done
}

deadline=$(($(now_ms) + SECONDS_TO_RUN * 1000))
clients=()
for ((i = 0; i < CLIENTS; i++)); do
        verb=list
        ((i % 2)) && verb=restart
        client "$verb" "$deadline" "$TMP/client-$i" &
        clients+=($!)
done

# supd answers while they run.
slow=0
for ((i = 0; i < SECONDS_TO_RUN; i++)); do
        sleep 0.8
        t0=$(now_ms)
        sc list >/dev/null 2>&1 || slow=$((slow + 1000))
        t=$(($(now_ms) - t0))
        ((t > slow)) && slow=$t
done
wait "${clients[@]}"
diag "slowest list by the test while the clients ran: ${slow} ms"
between "$slow" 0 5000 "supd answered the test's list within 5 s all along"

cat "$TMP"/client-[0-9]* >"$TMP/all"
n_list=$(grep -c '^list ' "$TMP/all")
n_restart=$(grep -c '^restart ' "$TMP/all")
diag "$n_list lists and $n_restart restarts by $CLIENTS clients in ${SECONDS_TO_RUN}s"
between "$n_list" 50 1000000 "the clients listed ($n_list times)"
between "$n_restart" 25 1000000 "the clients restarted ($n_restart times)"
is "$(grep -c '^list [^0]' "$TMP/all")" 0 "every list succeeded"
is "$(grep -c ' 5$' "$TMP/all")" 0 "no client found supd unreachable"
is "$(grep -c ' 124$\| 137$' "$TMP/all")" 0 "no client timed out"
bad=$(grep -c '^restart [^0]' "$TMP/all")
is "$bad" 0 "every restart succeeded"
if ((bad > 0)); then
        sort "$TMP"/client-*.err 2>/dev/null | uniq -c | sort -rn | head -n 5 | diag_file
fi

wait_for running web 10
ok $? "web ends running"
is "$(lfield web active)" running "list agrees"
pid=$(umainpid web)
pid_alive "$pid"
ok $? "its main process is alive"
# One init and its payload: every earlier run's processes are gone.
is "$(unit_pids web | wc -l)" 2 "its cgroup holds one run: the init and the payload"
is "$(umainpid bystander)" "$bystander_pid" "the bystander unit was left alone"
sc status web >/dev/null
is $? 0 "status web: running"
# web runs on new pipes and a new pidfd: as many fds, not the same ones.
# shellcheck disable=SC2317 # called through wait_until
_fd_count_back() { [[ $(supd_fds | wc -l) == $(wc -l <<<"$fds_before") ]]; }
wait_until 3 _fd_count_back
is "$(supd_fds | wc -l)" "$(wc -l <<<"$fds_before")" "supd's fd count is back to what it was before the clients"

check_leaks
done_testing
