#!/bin/bash
# SPDX-License-Identifier: MIT
# EnvironmentFile= (SPEC §3): host files of VAR=value lines read at each start, in order, over
# Environment=; a '-' makes one optional; a missing file fails the start naming it.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env

cat >"$TMP/first.env" <<'ENV'
# a comment
A=from-first
export B="quoted value"
ENV
echo 'B=from-second' >"$TMP/second.env"

unit envf <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
Environment=A=from-unit C=from-unit
EnvironmentFile=$TMP/first.env
EnvironmentFile=-$TMP/missing.env
EnvironmentFile=$TMP/second.env
[Service]
Restart=no
EOF

unit envbad <<EOF
[Unit]
AutoStart=no
[Container]
Exec=/bin/payload report
RootFS=$ROOTFS
EnvironmentFile=$TMP/does-not-exist.env
[Service]
Restart=no
EOF

start_supd

sc start --wait envf
ok $? "envf: starts and exits 0"
wait_log envf "stdout env_PATH=" 1 5
is "$(log_value envf env_A)" from-first "a file's variable wins over Environment="
is "$(log_value envf env_B)" from-second "a later file wins over an earlier one"
is "$(log_value envf env_C)" from-unit "Environment= stays for what no file sets"

# Read at each start: a change shows on the next one, without a reload.
echo 'A=changed' >"$TMP/first.env"
sc start --wait envf
wait_log envf "stdout env_A=changed" 1 5
ok $? "the files are read again at each start"

sc start envbad >/dev/null 2>&1
wait_for failed envbad 5
is "$(uresult envbad)" setup "a missing file (without '-') fails the start: result setup"
like "$(ufield envbad setup_error)" "EnvironmentFile=$TMP/does-not-exist.env" "... naming the file"

check_leaks
done_testing
