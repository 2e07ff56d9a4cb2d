#!/bin/bash
# SPDX-License-Identifier: MIT
# SPEC §1: supd instances side by side. A second supd that would share the first one's cgroup root (or
# a root above or below it, its state directory or its runtime directory) refuses to start, names the
# first (pid, runtime dir) and touches nothing of it: same main pids, its nftables table, bridge and veth
# intact. Two instances whose cgroup roots differ only in punctuation get tables and link marks of their
# own, run networked units side by side in one network namespace, and each stops (or is SIGKILLed and
# replaced) without disturbing the other.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
command -v nft >/dev/null || skip_all "nft not found (apt-get install nftables)"

in_ns() { nsenter --net="/run/netns/$NETNS" "$@"; }

# The tables of supd instances in the test's namespace, one per line.
sup_tables() {
        in_ns nft list tables inet 2>/dev/null | sed -n 's/^table inet \(sup_[^ ]*\)$/\1/p' | sort
}

# The alias (instance mark) of a link in the test's namespace.
link_alias() {
        in_ns ip -d -o link show dev "$1" 2>/dev/null | sed -n 's/.* alias \(.*\)$/\1/p' | sed 's/\\ *$//'
}

link_exists() {
        in_ns ip -o link show dev "$1" >/dev/null 2>&1
}

cat >"$UNITS/bria.bridge" <<EOF
[Bridge]
Address=10.124.1.1/24
EOF
unit ia <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Network]
Bridge=bria
EOF
unit ia-plain <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EOF

# ---- another instance: its own directories, in the same network namespace ----------------------------------

OTHER_PID=
OTHER_DIR=
OTHER_EXIT=

# other_dirs NAME: $TMP/NAME/{units,run,state}, and OTHER_DIR.
other_dirs() {
        OTHER_DIR=$TMP/$1
        mkdir -p "$OTHER_DIR/units" "$OTHER_DIR/run" "$OTHER_DIR/state"
}

# other_run ARGS...: a supd in the foreground (bounded), in the test's netns; its status in OTHER_EXIT,
# its output in $OTHER_DIR/supd.log.
other_run() {
        : >"$OTHER_DIR/supd.log"
        in_ns timeout --kill-after=5 20 "$SUPD" "$@" --log-level debug </dev/null >"$OTHER_DIR/supd.log" 2>&1
        OTHER_EXIT=$?
}

# shellcheck disable=SC2317 # called through wait_until
_other_ready() {
        grep -q "^supd: ready$" "$OTHER_DIR/supd.log"
}

# other_start CGROUP-ROOT: a second supd in the background on $OTHER_DIR, returns once it is ready.
other_start() {
        : >"$OTHER_DIR/supd.log"
        # nsenter itself, not a function: $! must be supd (nsenter execs it).
        nsenter --net="/run/netns/$NETNS" "$SUPD" --units "$OTHER_DIR/units" --runtime-dir "$OTHER_DIR/run" \
                --state-dir "$OTHER_DIR/state" --cgroup-root "$1" --log-level debug </dev/null \
                >>"$OTHER_DIR/supd.log" 2>&1 &
        OTHER_PID=$!
        wait_until 5 _other_ready || diag "the other supd is not ready after 5 s"
}

# other_stop [SIGNAL]: its exit status in OTHER_EXIT.
other_stop() {
        [[ -n $OTHER_PID ]] || return 0
        kill -"${1:-TERM}" "$OTHER_PID" 2>/dev/null
        if ! wait_until 15 pid_gone "$OTHER_PID"; then
                kill -KILL "$OTHER_PID" 2>/dev/null
        fi
        wait "$OTHER_PID" 2>/dev/null
        OTHER_EXIT=$?
        OTHER_PID=
}

ostate() { SUP_SOCKET=$OTHER_DIR/run/control ustate "$@"; }
omainpid() { SUP_SOCKET=$OTHER_DIR/run/control umainpid "$@"; }
# shellcheck disable=SC2317 # called through wait_until
_ostate_is() { [[ $(ostate "$2") == "$1" ]]; }
# owait_for STATE UNIT: wait_for for the other instance's unit.
owait_for() { wait_until 10 _ostate_is "$1" "$2"; }

# ---- the first instance ---------------------------------------------------------------------------------------

root_first=$CGROOT # the cgroup root of the instance first_intact() looks at

start_supd
wait_for running ia 10
ok $? "ia: running on bridge bria"
wait_for running ia-plain 10
ok $? "ia-plain: running"
main_ia=$(umainpid ia)
main_plain=$(umainpid ia-plain)
table_a=$(sup_tables)
is "$(echo "$table_a" | wc -l)" 1 "one supd table in the namespace: $table_a"
alias_a=$(link_alias ve-ia)
like "$alias_a" "^$table_a unit ia$" "ve-ia carries the first instance's mark"
claims=$(grep -l -- "runtime_dir=$RUNTIME\$" /run/sup-instances/* 2>/dev/null | wc -l)
is "$claims" 3 "the first instance holds three claims (cgroup root, table, state dir) in /run/sup-instances"

# first_intact WHAT: the first instance and its units are as they were.
first_intact() {
        local what=$1
        ok "$(pid_alive "$SUPD_PID"; echo $?)" "$what: the first supd still runs"
        is "$(umainpid ia)" "$main_ia" "$what: ia keeps its main pid"
        is "$(umainpid ia-plain)" "$main_plain" "$what: ia-plain keeps its main pid"
        is "$(ustate ia)" running "$what: ia still running"
        ok "$(pid_alive "$main_ia" && pid_alive "$main_plain"; echo $?)" "$what: their processes are alive"
        ok "$(in_ns nft list table inet "$table_a" >/dev/null 2>&1; echo $?)" "$what: nft table $table_a intact"
        ok "$(link_exists ve-ia && link_exists bria; echo $?)" "$what: ve-ia and bria still exist"
        is "$(link_alias ve-ia)" "$alias_a" "$what: ve-ia keeps its mark"
        ok "$(CGROOT=$root_first unit_cgroup_dir ia >/dev/null; echo $?)" "$what: ia's cgroup still exists"
}

# ---- a second instance that would collide refuses, and touches nothing -----------------------------------------

other_dirs second
cp "$UNITS"/* "$OTHER_DIR/units/"
other_run --units "$OTHER_DIR/units" --runtime-dir "$OTHER_DIR/run" --state-dir "$OTHER_DIR/state" --cgroup-root "$CGROOT"
log=$(cat "$OTHER_DIR/supd.log")
isnt "$OTHER_EXIT" 0 "same cgroup root: the second supd exits non-zero"
isnt "$OTHER_EXIT" 124 "same cgroup root: ... at once (not by timeout)"
like "$log" "Another supd instance \(pid $SUPD_PID, runtime dir $RUNTIME\) owns cgroup root /.*$CGROOT; refusing to start" \
        "same cgroup root: it names the first's pid and runtime dir"
unlike "$log" "Cleaned up after a previous instance" "same cgroup root: it cleaned up nothing"
unlike "$log" "netplug: instance .* ready|Loaded [0-9]+ unit" "same cgroup root: it went no further"
first_intact "after a second supd on the same cgroup root"

other_run --units "$OTHER_DIR/units" --runtime-dir "$OTHER_DIR/run" --state-dir "$OTHER_DIR/state" \
        --cgroup-root "$CGROOT/nested"
isnt "$OTHER_EXIT" 0 "a cgroup root inside the first's: refused"
like "$(cat "$OTHER_DIR/supd.log")" "\(pid $SUPD_PID, runtime dir $RUNTIME\) owns cgroup root /.*$CGROOT, which overlaps our cgroup root /.*$CGROOT/nested; refusing" \
        "a cgroup root inside the first's: the message says so"

other_run --units "$OTHER_DIR/units" --runtime-dir "$OTHER_DIR/run" --state-dir "$STATE" --cgroup-root "$CGROOT-other"
isnt "$OTHER_EXIT" 0 "the first's state dir: refused"
like "$(cat "$OTHER_DIR/supd.log")" "\(pid $SUPD_PID, runtime dir $RUNTIME\) owns state directory $STATE; refusing" \
        "the first's state dir: the message names it"

other_run --units "$OTHER_DIR/units" --runtime-dir "$RUNTIME" --state-dir "$OTHER_DIR/state" --cgroup-root "$CGROOT-other"
isnt "$OTHER_EXIT" 0 "the first's runtime dir: refused"
like "$(cat "$OTHER_DIR/supd.log")" "\(pid $SUPD_PID, runtime dir $RUNTIME\) owns runtime dir $RUNTIME; refusing" \
        "the first's runtime dir: the message names the first's pid"
ok "$([[ -S $RUNTIME/control ]]; echo $?)" "the first's control socket is still there"

first_intact "after every refused supd"
is "$(sup_tables)" "$table_a" "no other table appeared"
stop_supd
is "$SUPD_EXIT" 0 "the first supd stops cleanly"

# ---- cgroup roots that differ only in punctuation: side by side -----------------------------------------------

root_a="$CGROOT-x.y"
root_b="$CGROOT-x_y"
other_dirs third
cat >"$OTHER_DIR/units/brib.bridge" <<EOF
[Bridge]
Address=10.124.2.1/24
EOF
cat >"$OTHER_DIR/units/ib.unit" <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Network]
Bridge=brib
EOF

root_first=$root_a
start_supd --cgroup-root "$root_a"
wait_for running ia 10
ok $? "x.y: ia running"
other_start "$root_b"
owait_for running ib
is "$(ostate ib)" running "x_y: ib running beside it"

tables=$(sup_tables)
is "$(echo "$tables" | wc -l)" 2 "two supd tables in the namespace: $(echo "$tables" | tr '\n' ' ')"
alias_a=$(link_alias ve-ia)
alias_b=$(link_alias ve-ib)
table_a=${alias_a% unit ia}
table_b=${alias_b% unit ib}
isnt "$table_a" "$table_b" "the two instances' marks differ ($table_a, $table_b)"
ok "$(echo "$tables" | grep -qxF "$table_a" && echo "$tables" | grep -qxF "$table_b"; echo $?)" \
        "each mark is its instance's table"
is "$(link_alias bria)" "$table_a bridge" "bria carries x.y's mark"
is "$(link_alias brib)" "$table_b bridge" "brib carries x_y's mark"
main_ia=$(umainpid ia)
main_plain=$(umainpid ia-plain)
main_ib=$(omainpid ib)

# A kill -9 of x_y and a new x_y on the same directories: it takes over its claims and adopts its own
# unit only.
other_stop KILL
ok "$(pid_alive "$main_ib"; echo $?)" "x_y SIGKILLed: ib's process outlives it"
other_start "$root_b"
olog=$(cat "$OTHER_DIR/supd.log")
like "$olog" "Taking over cgroup root /.*$root_b from supd pid [0-9]+ \(runtime dir $OTHER_DIR/run\), which is gone" \
        "a new x_y takes over the killed one's claims"
like "$olog" "ib: adopted, main pid $main_ib\." "... and adopts its own ib, as it runs"
owait_for running ib
is "$(ostate ib)" running "x_y: ib running"
is "$(omainpid ib)" "$main_ib" "x_y: ib is the same process"
first_intact "x.y, after x_y was killed and replaced"

# x_y stops: x.y keeps everything, forwarding included.
other_stop TERM
is "$OTHER_EXIT" 0 "x_y stops cleanly"
first_intact "x.y, after x_y stopped"
ok "$(! link_exists ve-ib && ! link_exists brib; echo $?)" "x_y's veth and bridge are gone"
is "$(sup_tables)" "$table_a" "only x.y's table is left"
is "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" 1 "forwarding stays on for x.y"

# And the other way round: x_y again, then x.y stops first.
other_start "$root_b"
owait_for running ib
is "$(ostate ib)" running "x_y: ib running again"
main_ib=$(omainpid ib)
stop_supd
is "$SUPD_EXIT" 0 "x.y stops cleanly"
is "$(omainpid ib)" "$main_ib" "x_y: ib keeps its main pid"
is "$(ostate ib)" running "x_y: ib still running"
ok "$(in_ns nft list table inet "$table_b" >/dev/null 2>&1; echo $?)" "x_y's table intact"
ok "$(link_exists ve-ib && link_exists brib; echo $?)" "x_y's veth and bridge intact"
is "$(link_alias ve-ib)" "$table_b unit ib" "ve-ib keeps x_y's mark"
ok "$(! link_exists ve-ia && ! link_exists bria; echo $?)" "x.y's veth and bridge are gone"
is "$(sup_tables)" "$table_b" "only x_y's table is left"
is "$(in_ns cat /proc/sys/net/ipv4/ip_forward)" 1 "forwarding stays on for x_y"
other_stop TERM
is "$OTHER_EXIT" 0 "x_y stops cleanly"
is "$(sup_tables)" "" "no supd table left"
is "$(grep -l -- "$TMP" /run/sup-instances/* 2>/dev/null)" "" "no claim of this test's instances is left"

check_leaks
done_testing
