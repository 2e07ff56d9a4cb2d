#!/bin/bash
# SPDX-License-Identifier: MIT
# Nothing supd reads from its units directory can block it (DESIGN "State that must survive"; SPEC §2):
# a FIFO, a device node, a socket, a directory or a symlink loop where a *.unit, a drop-in *.conf or an
# EnvironmentFile= is expected is refused at once with an error naming the file and what it is, at
# boot, at reload and in `supctl verify`. The unit it belongs to is in load state error; supd goes on
# answering the bus and reaping. The image's /etc/passwd, read by the container's set-up, alike.
set -u
# Every supctl call is bounded: a supd blocked in open() fails the test instead of hanging it.
SUPCTL_TIMEOUT=${SUPCTL_TIMEOUT:-5}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
command -v mknod >/dev/null || skip_all "mknod not found (apt-get install coreutils)"

# supctl bounded by T seconds (fractions allowed); exit status 124 when it took longer.
quick() {
        local t=$1
        shift
        timeout --kill-after=1 "$t" "$SUPCTL" "$@"
}

# hostile KIND PATH: puts a KIND where a file is expected. For "loop", PATH and PATH's sibling NAME2
# point at each other (a.unit -> b.unit -> a.unit).
hostile() {
        local kind=$1 path=$2 other=${3:-}
        case $kind in
        fifo) mkfifo "$path" ;;
        dev) mknod "$path" c 1 3 ;; # /dev/null's numbers: opening it would not hurt, but it is no unit
        dir) mkdir "$path" ;;
        socket) "$PYTHON3" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$path" ;;
        loop)
                ln -s "$(basename "$other")" "$path"
                ln -s "$(basename "$path")" "$other"
                ;;
        esac
}

# What each kind is called in the error.
declare -A WHAT=([fifo]='not a regular file \(FIFO\)' [dev]='not a regular file \(character device\)'
        [dir]='not a regular file \(directory\)' [socket]='not a regular file \(socket\)' [loop]='symlink loop')
KINDS=(fifo dev dir socket loop)

good_unit() {
        unit "$1" <<EOF
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
[Service]
Restart=on-failure
RestartSec=50ms
EOF
}

# make_hostile PREFIX: for each kind, a unit file PREFIX-KIND.unit of that kind, and a good unit
# PREFIX-dKIND with a drop-in 10.conf of that kind; PREFIX-nfifo and PREFIX-nfile have a NAME.unit.d
# that is a FIFO and a regular file.
make_hostile() {
        local p=$1 k
        for k in "${KINDS[@]}"; do
                if [[ $k == loop ]]; then
                        hostile loop "$UNITS/$p-loop.unit" "$UNITS/$p-loop2.unit"
                else
                        hostile "$k" "$UNITS/$p-$k.unit"
                fi
                good_unit "$p-d$k"
                mkdir "$UNITS/$p-d$k.unit.d"
                hostile "$k" "$UNITS/$p-d$k.unit.d/10.conf" "$UNITS/$p-d$k.unit.d/20.conf"
        done
        good_unit "$p-nfifo"
        mkfifo "$UNITS/$p-nfifo.unit.d"
        good_unit "$p-nfile"
        echo "[Service]" >"$UNITS/$p-nfile.unit.d"
}

# check_hostile PREFIX WHEN: every unit make_hostile made is in load state error, with its message.
check_hostile() {
        local p=$1 when=$2 k
        for k in "${KINDS[@]}"; do
                is "$(uload "$p-$k")" error "$when: $p-$k.unit ($k): load state error"
                like "$(ufield "$p-$k" load_error)" "$p-$k\.unit: ${WHAT[$k]}" "$when: ... named: ${WHAT[$k]//\\/}"
                is "$(uload "$p-d$k")" error "$when: $p-d$k, whose drop-in is a $k: load state error"
                like "$(ufield "$p-d$k" load_error)" "$p-d$k\.unit\.d/10\.conf: ${WHAT[$k]}" "$when: ... naming the drop-in"
                isnt "$(ustate "$p-d$k")" running "$when: ... and it does not run"
        done
        is "$(uload "$p-loop2")" error "$when: the other end of the loop is in error too"
        like "$(ufield "$p-nfifo" load_error)" "$p-nfifo\.unit\.d: not a directory \(FIFO\)" \
                "$when: a NAME.unit.d that is a FIFO: the unit is in error, named"
        like "$(ufield "$p-nfile" load_error)" "$p-nfile\.unit\.d: not a directory \(regular file\)" \
                "$when: a NAME.unit.d that is a regular file: the unit is in error, named"
}

good_unit good
good_unit other
good_unit swap

# ---- boot: everything hostile is there before supd starts -------------------------------------------------------

make_hostile boot
t0=$(now_ms)
start_supd
quick 3 list >/dev/null
ok $? "boot: supd answers supctl list"
between "$(($(now_ms) - t0))" 0 5000 "boot: within 5 s"
wait_for running good 10
ok $? "boot: a good unit runs"
wait_for running other 10
ok $? "boot: another good unit runs"
wait_for running swap 10
ok $? "boot: a third good unit runs"
check_hostile boot boot
like "$(supd_log_since_start)" "boot-dfifo\.unit\.d/10\.conf: not a regular file \(FIFO\)" "boot: supd's log names the FIFO"

# ---- reload: the same files appear while supd runs ---------------------------------------------------------------

rm -rf "$UNITS"/boot-*
out=$(quick 2 reload 2>&1)
is $? 0 "reload without the hostile files: clean"
is "$out" "" "... and quiet"

make_hostile rl
# A running unit gets a drop-in that is a FIFO: an error of its new files; the running instance stays.
good_pid=$(umainpid good)
mkdir "$UNITS/good.unit.d"
mkfifo "$UNITS/good.unit.d/10.conf"
# A running unit whose file becomes a FIFO: in error, not removed; the running instance stays.
swap_pid=$(umainpid swap)
rm "$UNITS/swap.unit"
mkfifo "$UNITS/swap.unit"
t0=$(now_ms)
out=$(quick 1 reload 2>&1)
rc=$?
is $rc 1 "reload: returns within 1 s, exit 1 (not 124: timed out)"
diag "reload took $(($(now_ms) - t0)) ms"
like "$out" "rl-dfifo\.unit\.d/10\.conf: not a regular file \(FIFO\)" "reload: names the FIFO drop-in"
like "$out" "rl-fifo\.unit: not a regular file \(FIFO\)" "reload: names the FIFO unit file"
like "$out" "rl-dev\.unit: not a regular file \(character device\)" "reload: names the device node"
like "$out" "rl-dir\.unit: not a regular file \(directory\)" "reload: names the directory"
like "$out" "rl-loop\.unit: symlink loop" "reload: names the symlink loop"
like "$out" "good\.unit\.d/10\.conf: not a regular file \(FIFO\)" "reload: names a running unit's FIFO drop-in"
quick 2 list >/dev/null
ok $? "reload: supd still answers"
check_hostile rl reload
is "$(umainpid good)" "$good_pid" "reload: the running unit with a bad new drop-in keeps its instance"
like "$out" "swap\.unit: not a regular file \(FIFO\)" "reload: names a running unit's file become a FIFO"
is "$(umainpid swap)" "$swap_pid" "reload: that unit is not stopped as if removed: it keeps its instance"

# Still reaping: the main process of a running unit killed, the unit restarted (Restart=on-failure).
other_pid=$(umainpid other)
quick 2 kill -s KILL other
ok $? "kill other's main process"
# shellcheck disable=SC2317 # called through wait_until
_restarted() {
        local p
        p=$(umainpid other)
        [[ -n $p && $p != "$other_pid" && $(ustate other) == running ]]
}
wait_until 5 _restarted
ok $? "other was restarted (Restart=on-failure) with a new main process"
wait_until 2 pid_gone "$other_pid"
ok $? "its old main process is gone"
is "$(zombie_children_of "$SUPD_PID" | tr '\n' ' ')" "" "no zombie child of supd"

# ---- EnvironmentFile= that is a FIFO -----------------------------------------------------------------------------

mkfifo "$TMP/fifo.env"
for opt in "" "-"; do
        name=envfifo$([[ -n $opt ]] && echo opt)
        unit "$name" <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$ROOTFS
EnvironmentFile=$opt$TMP/fifo.env
[Service]
Restart=no
EOF
done
sc reload >/dev/null 2>&1
for name in envfifo envfifoopt; do
        quick 1 start "$name" >/dev/null 2>&1
        rc=$?
        ok $((rc == 0 || rc == 124)) "$name: start fails within 1 s (exit $rc)"
        wait_for failed "$name" 3
        is "$(uresult "$name")" setup "$name: result setup"
        like "$(ufield "$name" setup_error)" "EnvironmentFile=$TMP/fifo\.env: not a regular file \(FIFO\)" \
                "$name: the setup error names the file and what it is"
done
# The image's /etc/passwd as a FIFO: the container's set-up refuses it rather than waiting forever.
fifo_root=$(private_rootfs fifo-passwd)
rm "$fifo_root/etc/passwd"
mkfifo "$fifo_root/etc/passwd"
unit fifopasswd <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload sleep inf
RootFS=$fifo_root
User=app
[Service]
Restart=no
EOF
sc reload >/dev/null 2>&1
quick 2 start fifopasswd >/dev/null 2>&1
isnt $? 124 "User= with /etc/passwd a FIFO in the image: the start ends within 2 s"
wait_for failed fifopasswd 3
is "$(uresult fifopasswd)" setup "... result setup"
like "$(ufield fifopasswd setup_error)" 'look up user "app" in /etc/passwd: not a regular file' "... naming the file"

quick 2 list >/dev/null
ok $? "supd still answers after these failures"

# ---- verify (offline) -------------------------------------------------------------------------------------------

make_hostile vf
out=$(quick 1 verify "$UNITS" 2>&1)
is $? 1 "verify DIR: ends within 1 s, exit 1"
for k in "${KINDS[@]}"; do
        like "$out" "vf-$k\.unit: ${WHAT[$k]}" "verify DIR: names vf-$k.unit"
        like "$out" "vf-d$k\.unit\.d/10\.conf: ${WHAT[$k]}" "verify DIR: names vf-d$k.unit.d/10.conf"
done
like "$out" "vf-nfifo\.unit\.d: not a directory \(FIFO\)" "verify DIR: names a NAME.unit.d that is a FIFO"
for f in vf-fifo.unit vf-dev.unit vf-dir.unit vf-loop.unit vf-dfifo.unit.d/10.conf vf-dfifo.unit vf-nfifo.unit; do
        out=$(quick 1 verify "$UNITS/$f" 2>&1)
        is $? 1 "verify $f: ends within 1 s, exit 1"
        like "$out" "(not a regular file|symlink loop|not a directory)" "verify $f: a named error"
done

# ---- the end ----------------------------------------------------------------------------------------------------

is "$(ustate good)" running "good still runs"
check_leaks
is "$SUPD_EXIT" 0 "supd stops on SIGTERM and exits 0"
done_testing
