# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Sourced by every integration test (tests/integration/test-*.sh). Each test is a TAP producer that:
#
#   setup_env                 temp dirs, its own network namespace, the busybox test rootfs, a trap
#   unit NAME <<EOF ... EOF   writes $UNITS/NAME.unit
#   start_supd [ARGS]         supd in that netns, with the test's own dirs and cgroup root
#   ... sc start NAME; ok $? "..."; is "$(ustate NAME)" running "..." ...
#   check_leaks               stops supd, removes the netns, checks that nothing is left
#   done_testing              prints the plan, exits 1 if anything failed
#
# Everything the test made is removed by an EXIT trap, also when the test fails or is interrupted.
# Only processes this test started (its supd, and what sits in its own cgroups) are ever killed.

SUP_SOURCE_ROOT=${SUP_SOURCE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SUP_BUILD_DIR=${SUP_BUILD_DIR:-$SUP_SOURCE_ROOT/build}
SUPD=${SUPD:-$SUP_BUILD_DIR/supervisor/supd}
SUPCTL=${SUPCTL:-$SUP_BUILD_DIR/supervisor/supctl}
SUP_PAYLOAD=${SUP_PAYLOAD:-$SUP_BUILD_DIR/tests/helpers/payload}

# The system's python3 when there is one: a version manager's shim costs ~0.3 s a call, and the JSON
# helpers run in polling loops.
PYTHON3=${PYTHON3:-$(command -v /usr/bin/python3 || command -v python3)}

# How long one supctl call may take before the test gives up on it (timeout(1) exits 124).
SUPCTL_TIMEOUT=${SUPCTL_TIMEOUT:-20}
# After this long the test stops itself (SIGTERM, so that its trap cleans up) before meson's own
# timeout (120 s) could SIGKILL it and leave its supd, netns and cgroups behind.
SUP_TEST_DEADLINE=${SUP_TEST_DEADLINE:-100}

TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test-}
# Everything this test names on the host carries this tag: cgroup root, netns, temp dir.
TAG="sup-it-$$-$TEST_NAME"

TMP=
UNITS=
RUNTIME=
STATE=
ROOTFS=
CGROOT=$TAG
NETNS=
NETNS_INO=
SUPD_PID=
SUPD_LOG=
SUPD_LOG_START=0
SUPD_IS_PID1=0
SUPD_EXIT=
SUPD_WRAPPER=
_netns_count=0
_leaks_checked=0
_watchdog=

# ---- TAP ------------------------------------------------------------------------------------------

_tap_n=0
_tap_failed=0

diag() {
        local line
        for line in "$@"; do
                printf '# %s\n' "$line"
        done
}

# Prints stdin as TAP comments.
diag_file() {
        sed 's/^/# /'
}

_diag_supd_log() {
        if [[ -n $SUPD_LOG && -s $SUPD_LOG ]]; then
                diag "supd.log (last 15 lines):"
                tail -n 15 "$SUPD_LOG" | diag_file
        fi
}

# ok STATUS NAME: passes when STATUS (an exit status) is 0.
ok() {
        local status=$1
        shift
        _tap_n=$((_tap_n + 1))
        if [[ $status == 0 ]]; then
                printf 'ok %d - %s\n' "$_tap_n" "$*"
                return 0
        fi
        _tap_failed=$((_tap_failed + 1))
        printf 'not ok %d - %s\n' "$_tap_n" "$*"
        _diag_supd_log
        return 1
}

# is GOT WANT NAME
is() {
        if [[ $1 == "$2" ]]; then
                ok 0 "$3"
                return 0
        fi
        ok 1 "$3"
        diag "     got: '$1'" "expected: '$2'"
        return 1
}

# isnt GOT UNWANTED NAME
isnt() {
        if [[ $1 != "$2" ]]; then
                ok 0 "$3"
                return 0
        fi
        ok 1 "$3"
        diag "     got: '$1'" "expected anything else"
        return 1
}

# like GOT REGEX NAME (bash extended regex, unanchored)
like() {
        if [[ $1 =~ $2 ]]; then
                ok 0 "$3"
                return 0
        fi
        ok 1 "$3"
        diag "     got: '$1'" " matches: /$2/ (it does not)"
        return 1
}

# unlike GOT REGEX NAME
unlike() {
        if ! [[ $1 =~ $2 ]]; then
                ok 0 "$3"
                return 0
        fi
        ok 1 "$3"
        diag "     got: '$1'" "expected no match of /$2/"
        return 1
}

# between VALUE MIN MAX NAME: numeric (integers or decimals), inclusive.
between() {
        if awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo + 0 && v + 0 <= hi + 0) }'; then
                ok 0 "$4"
                return 0
        fi
        ok 1 "$4"
        diag "     got: '$1'" "expected: between $2 and $3"
        return 1
}

# Exit status 77 is the usual "skipped"; meson's TAP protocol (1.0) calls any non-zero status an
# error and reads the skip from the plan, so meson.build sets SUP_TAP_SKIP_STATUS=0.
skip_all() {
        printf '1..0 # SKIP %s\n' "$*"
        exit "${SUP_TAP_SKIP_STATUS:-77}"
}

skip() {
        _tap_n=$((_tap_n + 1))
        printf 'ok %d # SKIP %s\n' "$_tap_n" "$*"
}

bail_out() {
        printf 'Bail out! %s\n' "$*"
        exit 1
}

done_testing() {
        if [[ $_leaks_checked == 0 && -n $TMP ]]; then
                check_leaks
        fi
        printf '1..%d\n' "$_tap_n"
        if [[ $_tap_failed -gt 0 ]]; then
                diag "$_tap_failed of $_tap_n failed"
                exit 1
        fi
        exit 0
}

# ---- small helpers -----------------------------------------------------------------------------------

now_ms() {
        date +%s%3N
}

# The state letter of a process (R, S, D, Z...), nothing when it is gone. No fork: it runs in loops.
proc_state() {
        local line
        read -r line 2>/dev/null <"/proc/$1/stat" || return 0
        line=${line##*) }
        echo "${line%% *}"
}

# Alive and not a zombie.
pid_alive() {
        local state
        [[ -n $1 ]] || return 1
        state=$(proc_state "$1")
        [[ -n $state && $state != Z && $state != X ]]
}

pid_gone() {
        ! pid_alive "$1"
}

# wait_until TIMEOUT_SECONDS CMD...: runs CMD every 50 ms until it succeeds, at most that long.
wait_until() {
        local timeout_ms=$(($(awk -v t="$1" 'BEGIN { printf "%d", t * 1000 }'))) start
        shift
        start=$(now_ms)
        while :; do
                "$@" && return 0
                (($(now_ms) - start >= timeout_ms)) && return 1
                sleep 0.05
        done
}

# supctl with a bound on how long it may take. For a supd that is PID 1 of its own pid namespace, supctl
# runs in that namespace: sd-bus rejects a peer whose pid it cannot see (SO_PEERCRED gives pid 0).
sc() {
        if [[ $SUPD_IS_PID1 == 1 ]]; then
                nsenter --target "$SUPD_PID" --pid -- timeout --kill-after=5 "$SUPCTL_TIMEOUT" "$SUPCTL" "$@"
        else
                timeout --kill-after=5 "$SUPCTL_TIMEOUT" "$SUPCTL" "$@"
        fi
}

# ---- units ---------------------------------------------------------------------------------------------

# unit NAME <<EOF ... EOF
unit() {
        cat >"$UNITS/$1.unit"
}

# A copy of the rootfs for a test that writes to it or adds mount points (the shared one stays clean).
private_rootfs() {
        local dest=$TMP/rootfs-${1:-private}
        cp -a "$ROOTFS" "$dest"
        echo "$dest"
}

# The JSON helpers read one document on stdin. Key names are matched loosely (case, "_" and "-"
# ignored), so "active_state", "ActiveState" and "active-state" are the same key.
_json_py='
import json, re, sys

def norm(k):
    return re.sub(r"[^a-z0-9]", "", str(k).lower())

doc = json.load(sys.stdin)
unit, keys = sys.argv[1], [norm(k) for k in sys.argv[2:]]

def unit_list(d):
    if isinstance(d, list):
        return d
    if isinstance(d, dict):
        for v in d.values():
            if isinstance(v, list) and (not v or isinstance(v[0], dict)):
                return v
    return []

obj = doc
if unit:
    found = [u for u in unit_list(doc) if isinstance(u, dict)
             and any(norm(k) in ("name", "unit", "id") and v == unit for k, v in u.items())]
    if not found:
        sys.exit(4)
    obj = found[0]

def find(o):
    if isinstance(o, dict):
        for k in keys:
            for kk, v in o.items():
                if norm(kk) == k and not isinstance(v, (dict, list)):
                    return v
        for v in o.values():
            r = find(v)
            if r is not None:
                return r
    return None

v = find(obj)
if v is None:
    sys.exit(3)
if isinstance(v, bool):
    v = str(v).lower()
print(v)
'

# json_get UNIT-or-"" KEY [ALIAS...] <json: prints the first matching scalar.
json_get() {
        "$PYTHON3" -c "$_json_py" "$@"
}

status_json() {
        sc --json status "$1" 2>/dev/null
}

# ufield UNIT KEY [ALIAS...]: a field of `supctl --json status UNIT`.
ufield() {
        local u=$1
        shift
        status_json "$u" | json_get "" "$@" 2>/dev/null
}

# lfield UNIT KEY [ALIAS...]: a field of UNIT in `supctl --json list`.
lfield() {
        local u=$1
        shift
        sc --json list 2>/dev/null | json_get "$u" "$@" 2>/dev/null
}

ustate() { ufield "$1" active_state active state; }
uresult() { ufield "$1" result; }
uload() { ufield "$1" load_state load; }
umainpid() { ufield "$1" main_pid mainpid pid; }

_state_is() {
        [[ $(ustate "$2") == "$1" ]]
}

# wait_for STATE UNIT [TIMEOUT]: waits until the unit's active state is STATE (bounded).
wait_for() {
        local want=$1 u=$2 t=${3:-10}
        if wait_until "$t" _state_is "$want" "$u"; then
                return 0
        fi
        diag "wait_for: $u did not reach '$want' within ${t}s (it is '$(ustate "$u")')"
        return 1
}

# The unit's log file, and the values of KEY=... lines its payload printed.
unit_log_file() {
        echo "$STATE/logs/$1.log"
}

# log_values UNIT KEY: every value of "KEY=" printed on the unit's stdout, one per line.
log_values() {
        local f
        f=$(unit_log_file "$1")
        [[ -r $f ]] || return 0
        sed -n "s/^[^ ]* stdout $2=//p" "$f"
}

# log_value UNIT KEY: the last value.
log_value() {
        log_values "$1" "$2" | tail -n 1
}

_log_count_ge() {
        local f n
        f=$(unit_log_file "$1")
        [[ -r $f ]] || return 1
        n=$(grep -cE -- "$2" "$f")
        ((n >= $3))
}

# wait_log UNIT REGEX [COUNT] [TIMEOUT]: waits until COUNT lines of the unit's log match (bounded).
wait_log() {
        local u=$1 re=$2 n=${3:-1} t=${4:-10}
        if wait_until "$t" _log_count_ge "$u" "$re" "$n"; then
                return 0
        fi
        diag "wait_log: $u: fewer than $n lines match /$re/ after ${t}s; its log:"
        tail -n 20 "$(unit_log_file "$u")" 2>/dev/null | diag_file
        return 1
}

# Timestamps (seconds since the epoch, decimal) of the supd notes matching REGEX in the unit's log.
note_times() {
        local f
        f=$(unit_log_file "$1")
        [[ -r $f ]] || return 0
        grep -E -- "^[^ ]+ supd $2" "$f" | cut -d' ' -f1 | "$PYTHON3" -c '
import sys, datetime
for line in sys.stdin:
    t = datetime.datetime.strptime(line.strip(), "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    print("%.6f" % t.timestamp())
'
}

# ---- cgroups -------------------------------------------------------------------------------------------

# The cgroup2 mount (the "unified" tree of a hybrid host), or nothing on a pure v1 host.
cgroup_v2_mount() {
        awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo
}

# unit_cgroup_dir UNIT: the unit's group in the v2 tree (or the first v1 hierarchy that has it).
unit_cgroup_dir() {
        local base d
        for base in $(cgroup_v2_mount) /sys/fs/cgroup; do
                [[ -d $base ]] || continue
                d=$(find "$base" -type d -path "*/$CGROOT/$1" -print -quit 2>/dev/null)
                if [[ -n $d ]]; then
                        echo "$d"
                        return 0
                fi
        done
        return 1
}

# unit_pids UNIT: the pids in the unit's cgroup (sub-groups too), as the host sees them.
unit_pids() {
        local d
        d=$(unit_cgroup_dir "$1") || return 0
        find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -n -u
}

# Zombies among the given pids.
count_zombies() {
        local p n=0 line
        for p in "$@"; do
                read -r line 2>/dev/null <"/proc/$p/stat" || continue
                line=${line##*) }
                [[ ${line%% *} == Z ]] && n=$((n + 1))
        done
        echo "$n"
}

# Children of PID, zombies included (from /proc, no ps needed).
children_of() {
        cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+$'
}

# Zombie children of PID.
zombie_children_of() {
        local p line
        for p in $(children_of "$1"); do
                read -r line 2>/dev/null <"/proc/$p/stat" || continue
                line=${line##*) }
                [[ ${line%% *} == Z ]] && echo "$p"
        done
}

# ---- environment ---------------------------------------------------------------------------------------

_need() {
        command -v "$1" >/dev/null 2>&1 || skip_all "$1 not found${2:+ ($2)}"
}

setup_env() {
        [[ $(id -u) -eq 0 ]] || skip_all "needs root"
        _need ip "apt-get install iproute2"
        _need nsenter "apt-get install util-linux"
        _need unshare "apt-get install util-linux"
        [[ -n $PYTHON3 ]] || skip_all "python3 not found"
        _need timeout
        [[ -x $SUPD ]] || skip_all "supd not built: $SUPD"
        [[ -x $SUPCTL ]] || skip_all "supctl not built: $SUPCTL"
        [[ -x $SUP_PAYLOAD ]] || skip_all "payload not built: $SUP_PAYLOAD"
        [[ -d /sys/fs/cgroup ]] || skip_all "no /sys/fs/cgroup"
        grep -qE ' - cgroup2? ' /proc/self/mountinfo || skip_all "no cgroup file system mounted"

        TMP=$(mktemp -d "/tmp/$TAG.XXXXXX") || bail_out "mktemp failed"
        # Containers with a user namespace must be able to reach rootfs copies and binds in here.
        chmod 0755 "$TMP"
        trap _cleanup EXIT
        trap 'exit 130' INT
        trap 'diag "SIGTERM (deadline of ${SUP_TEST_DEADLINE}s?): cleaning up"; exit 143' TERM
        _start_watchdog

        UNITS=$TMP/units
        RUNTIME=$TMP/run
        STATE=$TMP/state
        SUPD_LOG=$TMP/supd.log
        mkdir -p "$UNITS" "$RUNTIME" "$STATE"
        : >"$SUPD_LOG"
        export SUP_SOCKET=$RUNTIME/control

        local out
        if ! out=$("$SUP_SOURCE_ROOT/tests/rootfs/build-rootfs.sh" "$SUP_BUILD_DIR/test-rootfs" "$SUP_PAYLOAD" 2>&1); then
                diag "$out"
                bail_out "cannot build the test rootfs"
        fi
        ROOTFS=$SUP_BUILD_DIR/test-rootfs

        new_netns
        diag "tmp $TMP, netns $NETNS, cgroup root $CGROOT"
}

# Sends SIGTERM to the test after $SUP_TEST_DEADLINE seconds; stopped (with its sleep) by _cleanup.
_start_watchdog() {
        local test_pid=$$
        (
                trap 'kill "$s" 2>/dev/null; wait "$s"; exit 0' TERM
                sleep "$SUP_TEST_DEADLINE" &
                s=$!
                wait "$s" && kill -TERM "$test_pid"
        ) </dev/null >/dev/null 2>&1 &
        _watchdog=$!
}

# A network namespace of the test's own; supd is started inside it.
new_netns() {
        _netns_count=$((_netns_count + 1))
        NETNS="sup-it-$$-$_netns_count"
        ip netns add "$NETNS" || bail_out "ip netns add $NETNS failed"
        ip -n "$NETNS" link set lo up
        NETNS_INO=$(stat -L -c %i "/run/netns/$NETNS")
}

_supd_args() {
        printf '%s\0' --units "$UNITS" --runtime-dir "$RUNTIME" --state-dir "$STATE" --cgroup-root "$CGROOT" \
                --log-level debug
}

_wait_socket() {
        [[ -S $RUNTIME/control ]]
}

_supd_ready() {
        supd_log_since_start | grep -q "^supd: ready$"
}

# The socket comes first; "ready" once the predecessor's leftovers are cleaned and the units queued.
_supd_started() {
        local what=$1
        if ! wait_until 5 _wait_socket; then
                diag "$what: no control socket after 5 s"
                _diag_supd_log
                return 1
        fi
        if [[ $SUPD_IS_PID1 == 1 ]]; then
                # As PID 1, supd logs to /dev/kmsg, not to its stderr: ask it instead.
                wait_until 5 sc list >/dev/null 2>&1 || diag "$what: supctl list fails after 5 s"
        elif ! wait_until 5 _supd_ready; then
                diag "$what: no 'ready' in its log after 5 s"
        fi
        return 0
}

# start_supd [ARGS]: supd in the test's netns, in the background, output in $SUPD_LOG (appended);
# returns once its control socket exists (at most 5 s). $SUPD_LOG_START is the log's line count before
# this instance (see supd_log_since_start).
# shellcheck disable=SC2120 # the arguments are optional
start_supd() {
        local args
        [[ -z $SUPD_PID ]] || bail_out "start_supd: supd $SUPD_PID is still running"
        mapfile -d '' args < <(_supd_args)
        rm -f "$RUNTIME/control"
        SUPD_LOG_START=$(wc -l <"$SUPD_LOG")
        echo "=== supd started by the test at $(date -u +%H:%M:%S.%N) ===" >>"$SUPD_LOG"
        nsenter --net="/run/netns/$NETNS" "$SUPD" "${args[@]}" "$@" </dev/null >>"$SUPD_LOG" 2>&1 &
        SUPD_PID=$!
        SUPD_IS_PID1=0
        _supd_started supd
}

# start_supd_pid1 [ARGS]: supd as PID 1 of a new pid namespace (and its own mount and uts namespaces),
# in the test's netns. $SUPD_PID is then supd as the host sees it. As PID 1 it logs to /dev/kmsg.
#
# Such a supd must only ever be SIGKILLed (stop_supd does): an orderly PID 1 shutdown ends by remounting
# "/" read-only, and "/" is the host's root file system here.
start_supd_pid1() {
        local args
        [[ -z $SUPD_PID ]] || bail_out "start_supd_pid1: supd $SUPD_PID is still running"
        mapfile -d '' args < <(_supd_args)
        rm -f "$RUNTIME/control"
        SUPD_LOG_START=$(wc -l <"$SUPD_LOG")
        echo "=== supd (PID 1 of a pid namespace) started by the test at $(date -u +%H:%M:%S.%N) ===" >>"$SUPD_LOG"
        nsenter --net="/run/netns/$NETNS" unshare --pid --fork --mount-proc --uts "$SUPD" "${args[@]}" "$@" \
                </dev/null >>"$SUPD_LOG" 2>&1 &
        SUPD_WRAPPER=$!
        if ! wait_until 5 _wrapper_child; then
                diag "unshare did not start supd"
                kill -KILL "$SUPD_WRAPPER" 2>/dev/null
                wait "$SUPD_WRAPPER" 2>/dev/null
                SUPD_WRAPPER=
                return 1
        fi
        SUPD_PID=$(children_of "$SUPD_WRAPPER" | head -n 1)
        SUPD_IS_PID1=1
        _supd_started "supd (PID 1)"
}

_wrapper_child() {
        [[ -n $(children_of "$SUPD_WRAPPER") ]]
}

# supd's output since the last start_supd.
supd_log_since_start() {
        tail -n +"$((SUPD_LOG_START + 1))" "$SUPD_LOG"
}

# stop_supd [SIGNAL]: SIGTERM (a PID 1 supd: SIGKILL), up to 15 s, then SIGKILL. $SUPD_EXIT gets its
# exit status (128+N for a signal).
stop_supd() {
        local sig=${1:-TERM} pid=$SUPD_PID
        [[ -n $pid ]] || return 0
        [[ $SUPD_IS_PID1 == 1 ]] && sig=KILL
        kill -"$sig" "$pid" 2>/dev/null
        if ! wait_until 15 pid_gone "$pid"; then
                diag "supd $pid still running 15 s after SIG$sig: SIGKILL"
                kill -KILL "$pid" 2>/dev/null
                wait_until 5 pid_gone "$pid"
        fi
        if [[ $SUPD_IS_PID1 == 1 ]]; then
                wait "$SUPD_WRAPPER" 2>/dev/null
                SUPD_EXIT=$?
                SUPD_WRAPPER=
        else
                wait "$pid" 2>/dev/null
                SUPD_EXIT=$?
        fi
        SUPD_PID=
        SUPD_IS_PID1=0
        echo "=== supd $pid stopped (SIG$sig), status $SUPD_EXIT ===" >>"$SUPD_LOG"
}

# supd's open fds, one "FD -> TARGET" per line (to compare before and after runs of units).
supd_fds() {
        local fd
        for fd in /proc/"$SUPD_PID"/fd/*; do
                echo "${fd##*/} -> $(readlink "$fd" 2>/dev/null)"
        done | sort -n
}

_supd_fds_steady() {
        local a
        a=$(supd_fds)
        sleep 0.2
        [[ $(supd_fds) == "$a" ]]
}

# supd's fds once they stop changing (a bus connection of a supctl that just exited is closed).
supd_fds_settled() {
        wait_until 2 _supd_fds_steady
        supd_fds
}

_supd_fds_are() {
        [[ $(supd_fds) == "$1" ]]
}

# supd_fds_is BEFORE NAME: supd's fds are back to BEFORE (a closing bus connection gets 2 s to go).
supd_fds_is() {
        wait_until 2 _supd_fds_are "$1"
        is "$(supd_fds)" "$1" "$2"
}

# SIGKILL supd, the way a crash would end it; its units are left behind.
kill_supd() {
        stop_supd KILL
}

# ---- leaks ---------------------------------------------------------------------------------------------

_leftover_cgroups() {
        find /sys/fs/cgroup -type d -path "*sup-it-$$-*" 2>/dev/null
}

_leftover_mounts() {
        grep -F -- "$TMP" /proc/self/mountinfo
}

# Processes whose cgroup names the test's cgroup root, or whose command line names its temp dir.
# Zombies do not count: they are dead, and those of killed orphans are the host init's to reap.
_leftover_procs() {
        local p
        for p in $({
                grep -lF -- "/$CGROOT" /proc/[0-9]*/cgroup 2>/dev/null | sed 's|^/proc/\([0-9]*\)/cgroup$|\1|'
                pgrep -f -- "$TMP" 2>/dev/null
        } | sort -u); do
                [[ $p == "$$" || $p == "$BASHPID" ]] && continue
                pid_alive "$p" && echo "$p"
        done
}

_no_leftover_procs() {
        [[ -z $(_leftover_procs) ]]
}

_procs_in_netns() {
        [[ -n $NETNS_INO ]] || return 0
        stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null | awk -v ino="$NETNS_INO" '$1 == ino { split($2, a, "/"); print a[3] }'
}

# check_leaks: stops supd and removes the netns, then one TAP line per kind of leftover.
check_leaks() {
        local out
        _leaks_checked=1
        stop_supd
        out=$(_procs_in_netns | sort -u)
        is "$out" "" "leaks: no process left in the test's network namespace"
        ip netns del "$NETNS" 2>/dev/null
        out=$(ip netns list 2>/dev/null | grep -E "^$NETNS( |$)")
        is "$out" "" "leaks: network namespace $NETNS removed"

        out=$(_leftover_cgroups)
        is "$out" "" "leaks: no cgroup left under *sup-it-$$-*"
        out=$(_leftover_mounts)
        is "$out" "" "leaks: no mount of the temp dir left"
        # Processes killed a moment ago (e.g. by a supd cleaning up) may take a moment to go.
        wait_until 3 _no_leftover_procs
        out=$(_leftover_procs | tr '\n' ' ')
        if [[ -n $out ]]; then
                local p
                for p in $out; do
                        diag "left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
                done
        fi
        is "$out" "" "leaks: no process left in the test's cgroups or naming its temp dir"
        out=$(zombie_children_of $$ | tr '\n' ' ')
        is "$out" "" "leaks: no zombie child of the test"
}

# The EXIT trap: whatever the test left, removed (only what it made), quietly.
_cleanup() {
        local rc=$? p d
        trap - EXIT INT TERM
        if [[ -n $_watchdog ]]; then
                kill -TERM "$_watchdog" 2>/dev/null
                wait "$_watchdog" 2>/dev/null
        fi
        if [[ -n $SUPD_PID ]]; then
                stop_supd >/dev/null
        fi
        if [[ -n $TMP ]]; then
                # Processes of this test's cgroups (its supd's units), by pid.
                for p in $(_leftover_procs); do
                        echo "# cleanup: killing leftover process $p" >&2
                        kill -KILL "$p" 2>/dev/null
                done
                for d in $(_leftover_cgroups | sort -r); do
                        rmdir "$d" 2>/dev/null
                done
                while read -r d; do
                        [[ -n $d ]] && umount -l "$d" 2>/dev/null
                done < <(_leftover_mounts | awk '{ print $5 }' | sort -r)
        fi
        if [[ -n $NETNS ]]; then
                for ((p = 1; p <= _netns_count; p++)); do
                        ip netns del "sup-it-$$-$p" 2>/dev/null
                done
        fi
        if [[ -n $TMP && -d $TMP ]]; then
                rm -rf --one-file-system -- "$TMP"
        fi
        return "$rc"
}
