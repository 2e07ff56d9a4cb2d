#!/bin/bash
# SPDX-License-Identifier: MIT
# supd's fd budget: a loaded unit that does not run holds no fd (its log file is open only while it
# runs), supd raises its soft RLIMIT_NOFILE to the hard limit, and when fds run out the starts that
# cannot get them fail with a named setup error while the others run and supctl still answers.
# 200 units loaded, 50 started; under RLIMIT_NOFILE 1024:1024, then 64:64.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
_need prlimit "apt-get install util-linux"

N_UNITS=200
N_RUN=50

for i in $(seq -w 1 $N_UNITS); do
        unit "u$i" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF
done
mapfile -t RUN < <(seq -f "u%03g" 1 $N_RUN)

# supd_with_nofile SOFT:HARD: start_supd under that RLIMIT_NOFILE (prlimit execs supd: same pid).
supd_with_nofile() {
        local wrapper=$TMP/supd-nofile-${1/:/-}
        printf '#!/bin/sh\nexec prlimit --nofile=%s -- %q "$@"\n' "$1" "$SUPD" >"$wrapper"
        chmod +x "$wrapper"
        SUPD=$wrapper start_supd
}

# The soft RLIMIT_NOFILE of supd, as the kernel sees it.
supd_nofile_soft() {
        awk '/^Max open files/ { print $4 }' "/proc/$SUPD_PID/limits"
}

n_fds() { supd_fds | wc -l; }
n_log_fds() { supd_fds | grep -c -F -- "$STATE/logs/"; }

# Units of RUN in each state, as "running=N failed=N other=N".
run_states() {
        sc --json list 2>/dev/null | "$PYTHON3" -c '
import json, sys
want = set(sys.argv[1:])
n = {"running": 0, "failed": 0, "other": 0}
for u in json.load(sys.stdin)["units"]:
    if u["name"] in want:
        n[u["active"] if u["active"] in n else "other"] += 1
print(" ".join("%s=%d" % kv for kv in n.items()))
' "${RUN[@]}"
}

# shellcheck disable=SC2317 # called through wait_until
_run_settled() {
        [[ $(run_states) == *" other=0" ]]
}

# shellcheck disable=SC2317 # called through wait_until
_all_running() {
        [[ $(run_states) == "running=$N_RUN failed=0 other=0" ]]
}

# shellcheck disable=SC2317 # called through wait_until
_log_fds_are() {
        [[ $(n_log_fds) == "$1" ]]
}

# ---- the soft limit is raised to the hard one -------------------------------------------------------

supd_with_nofile 64:1024
is "$(supd_nofile_soft)" 1024 "started with RLIMIT_NOFILE 64:1024, supd raised its soft limit to 1024"
like "$(supd_log_since_start)" "RLIMIT_NOFILE: soft limit 1024, hard limit 1024" "and logged it at debug"
stop_supd

# ---- 1024:1024: no fd per loaded unit, about one log file per running unit ----------------------------

supd_with_nofile 1024:1024
is "$(supd_nofile_soft)" 1024 "1024:1024: soft limit 1024"
idle=$(supd_fds_settled | wc -l)
diag "supd holds $idle fds with $N_UNITS units loaded and none running"
is "$(n_log_fds)" 0 "no log file held open for $N_UNITS loaded units that do not run"
between "$idle" 1 40 "supd's fd count does not grow with loaded units ($idle)"
ok "$([[ -f $STATE/logs/u200.log ]]; echo $?)" "the log file of a unit that never ran exists"

sc --no-block start "${RUN[@]}" >/dev/null
wait_until 60 _all_running
ok $? "all $N_RUN units running ($(run_states))"
running=$(supd_fds_settled | wc -l)
diag "supd holds $running fds with $N_RUN units running: $(((running - idle) / N_RUN)) per unit, $((running - idle - (running - idle) / N_RUN * N_RUN)) more"
is "$(n_log_fds)" "$N_RUN" "one log file open per running unit"
out=$(sc list 2>&1)
ok $? "supctl list answers with $N_RUN units running"
is "$(grep -c ' running ' <<<"$out")" "$N_RUN" "and shows them running"
sc stop "${RUN[@]}" >/dev/null
ok $? "all stopped"
wait_until 5 _log_fds_are 0
is "$(n_log_fds)" 0 "their log files are closed after the stop"
like "$(tail -n 1 "$(unit_log_file u001)")" " supd " "the note after the stop is in the log"
is "$(supd_fds_settled | wc -l)" "$idle" "supd is back to its idle fd count"
stop_supd

# ---- 64:64: the starts that find no fd fail, naming the step; the others run --------------------------

supd_with_nofile 64:64
is "$(supd_nofile_soft)" 64 "64:64: soft limit 64 (the hard one)"
idle64=$(supd_fds_settled | wc -l)
is "$(n_log_fds)" 0 "no log file held open after loading $N_UNITS units under 64 fds"
unlike "$(supd_log_since_start)" "output will be lost" "every unit has its log stream"

sc --no-block start "${RUN[@]}" >/dev/null
wait_until 60 _run_settled
ok $? "every start ended: $(run_states)"
states=$(run_states)
running=$(sed -n 's/.*running=\([0-9]*\).*/\1/p' <<<"$states")
failed=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$states")
between "$running" 3 $((N_RUN - 1)) "some units run ($running), as many as the fds allow"
between "$failed" 1 $((N_RUN - 1)) "the others failed ($failed)"

bad=0 errors=
first_failed=
mapfile -t failed_units < <(sc --json list 2>/dev/null | "$PYTHON3" -c '
import json, sys
for u in json.load(sys.stdin)["units"]:
    if u["active"] == "failed":
        print(u["name"])
')
for u in "${failed_units[@]}"; do
        [[ -n $first_failed ]] || first_failed=$u
        json=$(status_json "$u")
        result=$(json_get "" result <<<"$json")
        err=$(json_get "" setup_error <<<"$json")
        errors+="$err"$'\n'
        if [[ $result != setup || ! $err =~ ^[a-z][^:]*:\ .*Too\ many\ open\ files$ ]]; then
                bad=$((bad + 1))
                diag "$u: result '$result', setup error '$err'"
        fi
done
sort <<<"$errors" | uniq -c | sed '/^ *[0-9]* $/d' | diag_file
is "$bad" 0 "each failed unit: result setup, the step and 'Too many open files'"
if [[ -n $first_failed ]]; then
        like "$(sc status "$first_failed" 2>&1)" "Setup: .*: Too many open files" \
                "$first_failed: supctl status shows the setup error"
fi
out=$(sc list 2>&1)
ok $? "supctl list answers with the fds used up"
like "$out" "u050" "and lists the units"
diag "supd holds $(n_fds) of its 64 fds with $running units running"

# Stop what runs: a failed unit then starts, fds are back.
sc stop "${RUN[@]}" >/dev/null
ok $? "all stopped"
is "$(n_log_fds)" 0 "no log file open once nothing runs"
if [[ -n $first_failed ]]; then
        sc start "$first_failed" >/dev/null 2>&1
        ok $? "$first_failed: starts once fds are free again"
        sc stop "$first_failed" >/dev/null
fi
is "$(supd_fds_settled | wc -l)" "$idle64" "supd is back to its idle fd count"

check_leaks
done_testing
