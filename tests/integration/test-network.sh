#!/bin/bash
# SPDX-License-Identifier: MIT
# [Network] through supd, all inside namespaces this test makes: two containers on a bridge reach each
# other and the bridge; a container reaches an "upstream" namespace behind supd's default route, which
# sees the masqueraded source; published ports (tcp and udp) answer a client upstream and one in supd's
# own namespace; auto addresses survive restarts and a supd restart; a conflicting static address and a
# taken host port fail with clear messages while other units run; start/stop cycles and a SIGKILLed
# supd leave no link, no rule and no fd behind.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

setup_env
command -v nft >/dev/null || skip_all "nft not found (apt-get install nftables)"

# The "upstream" world: a namespace of its own at 198.51.100.2, reached by supd's default route.
SUPNS=$NETNS
new_netns
UPNS=$NETNS
NETNS=$SUPNS
ip link add up0 netns "$SUPNS" type veth peer name down0 netns "$UPNS"
ip -n "$SUPNS" addr add 198.51.100.1/24 dev up0
ip -n "$UPNS" addr add 198.51.100.2/24 dev down0
ip -n "$SUPNS" link set up0 up
ip -n "$UPNS" link set down0 up
ip -n "$SUPNS" route add default via 198.51.100.2
in_sup() { nsenter --net="/run/netns/$SUPNS" "$@"; }
in_up() { nsenter --net="/run/netns/$UPNS" "$@"; }
in_unit() {
        local u=$1
        shift
        nsenter --net="/proc/$(umainpid "$u")/ns/net" "$@"
}
mtu_of() { sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

cat >"$UNITS/brit.bridge" <<EOF
[Bridge]
Address=10.123.0.1/24
EOF

# net_unit NAME [NETWORK-LINES] [EXEC]
net_unit() {
        unit "$1" <<EOF
[Container]
Exec=${3:-/bin/httpd -f -p 80 -h /www}
RootFS=$ROOTFS
Overlay=ephemeral
[Network]
Bridge=brit
$2
EOF
}
net_unit web $'PublishPort=8080:80/tcp'
net_unit echo $'PublishPort=5353:53/udp' '/bin/payload udp-echo 53'
net_unit fixed $'Address=10.123.0.50'
net_unit clash $'Address=10.123.0.50\n[Unit]\nAutoStart=no'
net_unit porthog $'PublishPort=9999:80/tcp\n[Unit]\nAutoStart=no'
net_unit cycle $'PublishPort=8088:80/tcp\n[Unit]\nAutoStart=no'

start_supd
wait_for running web 10
wait_for running fixed 10
wait_for running echo 10

fds_before=$(supd_fds_settled)

# ---- addresses: auto takes the lowest free one, static as written; status shows them
web_addr=$(ufield web address)
like "$web_addr" '^10\.123\.0\.[0-9]+/24$' "web: auto address $web_addr"
like "$(ufield fixed address)" '^10\.123\.0\.50/24$' "fixed: static address"
ok "$(in_sup ip -o link show ve-web >/dev/null 2>&1; echo $?)" "host side ve-web exists"
is "$(in_unit web ip -o link show eth0 | mtu_of)" "$(in_sup ip -o link show brit | mtu_of)" "eth0 has the bridge's MTU"

# ---- containers reach each other and the bridge
page=$(in_unit fixed timeout 5 busybox wget -q -O - "http://${web_addr%/*}/")
like "$page" "Hello from a sup container" "fixed fetches a page from web over the bridge"
ok "$(in_unit web timeout 5 busybox ping -c1 -W2 10.123.0.1 >/dev/null; echo $?)" "web pings the bridge"

# ---- NAT: upstream sees the masqueraded source
in_up timeout 10 "$PYTHON3" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.2", 9000)); s.listen(1); s.settimeout(8)
c, a = s.accept(); print(a[0]); c.close()' >"$TMP/peer" 2>&1 &
listener=$!
sleep 0.3
in_unit web sh -c 'echo hi | timeout 5 busybox nc 198.51.100.2 9000' >/dev/null 2>&1
wait "$listener"
is "$(cat "$TMP/peer")" "198.51.100.1" "upstream sees the masqueraded source address"

# ---- published ports: tcp from upstream and from supd's namespace (own address and 127.0.0.1), udp
like "$(in_up timeout 5 busybox wget -q -O - http://198.51.100.1:8080/)" "Hello" "tcp 8080 from upstream"
like "$(in_sup timeout 5 busybox wget -q -O - http://198.51.100.1:8080/)" "Hello" "tcp 8080 from supd's namespace"
like "$(in_sup timeout 5 busybox wget -q -O - http://127.0.0.1:8080/)" "Hello" "tcp 8080 on 127.0.0.1"
udp_echo() {
        "$@" timeout 5 "$PYTHON3" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"ping-udp", (sys.argv[1], 5353)); print(s.recv(100).decode())' "${UDP_TO:-198.51.100.1}"
}
is "$(udp_echo in_up)" "ping-udp" "udp 5353 from upstream"
is "$(udp_echo in_sup)" "ping-udp" "udp 5353 from supd's namespace"
like "$(sc status web)" "8080" "status shows the published port"

# ---- conflicts: a static address taken, a host port in use; others keep running
sc start clash 2>"$TMP/err"
isnt "$?" 0 "clash: start fails"
like "$(cat "$TMP/err"; ufield clash setup_error)" "10\.123\.0\.50.*fixed" "clash: the message names the address and the unit"
in_sup timeout 20 "$PYTHON3" -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 9999)); s.listen(1); time.sleep(15)' &
hog=$!
sleep 0.3
sc start porthog 2>"$TMP/err2"
isnt "$?" 0 "porthog: start fails"
like "$(cat "$TMP/err2"; ufield porthog setup_error)" "9999/tcp" "porthog: the message names the host port"
kill "$hog" 2>/dev/null
wait "$hog" 2>/dev/null
is "$(ustate web)" running "web still running after the failures"

# ---- auto addresses are stable across a restart and a supd restart
sc restart web
is "$(ufield web address)" "$web_addr" "web keeps its address across a restart"
kill_supd
start_supd
wait_for running web 10
is "$(ufield web address)" "$web_addr" "web keeps its address across a supd SIGKILL and restart"
like "$(in_unit fixed timeout 5 busybox wget -q -O - "http://${web_addr%/*}/")" "Hello" "the network works again after the restart"
like "$(supd_log_since_start)" "web: adopted, main pid" "the new supd adopted web's run (veth, address, port) instead of restarting it"

# ---- 500 start/stop cycles of a networked unit: no link, rule or fd left
fds_before=$(supd_fds_settled)
rules_before=$(in_sup nft -a list ruleset | grep -c 'handle')
failures=0
for _ in $(seq 500); do
        { sc start cycle && sc stop cycle; } || failures=$((failures + 1))
done
is "$failures" 0 "cycle: 500 networked start/stop cycles"
ok "$(! in_sup ip -o link show ve-cycle >/dev/null 2>&1; echo $?)" "cycle: no veth left"
is "$(in_sup nft -a list ruleset | grep -c 'handle')" "$rules_before" "cycle: the ruleset is back to its size"
ok "$(! in_sup nft list ruleset | grep -q 8088; echo $?)" "cycle: no rule for its port left"
supd_fds_is "$fds_before" "supd holds the same fds as before the cycles"

# ---- stopping supd removes the table, the bridge and every veth
stop_supd
is "$(in_sup nft list tables | grep -c sup)" 0 "no nft table of supd left"
is "$(in_sup ip -o link | grep -c -e brit -e 've-')" 0 "no bridge or veth left"
is "$(ip -n "$SUPNS" -o link | wc -l)" 2 "only the test's own links remain (lo, up0)"

check_leaks
done_testing
