#!/bin/bash
# Two containers on the default network exchange data (busybox nc) by address and by name;
# the ip, endpoints and ipam files; /etc/hosts; a container with network none has only lo;
# one with network host sees the test namespace's links.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

step "no network before the first container"
assert_eq "" "$(ls -A "$NW")" "networks/ at start"
assert_eq "lo" "$(links)" "links at start"

step "two containers join the default network"
ctr_new a
assert_file "$C/a/network" default
assert_file_empty "$C/a/ports"
assert_file_empty "$C/a/ip"
ctr_run a 'sleep 1000'
ctr_start b 'sleep 1000'
assert_eq default "$(ls -A "$NW")" "networks/ after the first run"
assert_file "$C/a/ip" 10.88.0.2
assert_file "$C/b/ip" 10.88.0.3
assert_file "$NW/default/subnet" 10.88.0.0/24
assert_file "$NW/default/gateway" 10.88.0.1
assert_file "$NW/default/driver" bridge
assert_file_empty "$NW/default/error"
br=$(cat "$NW/default/bridge")
assert_match '^ctr[0-9a-f]{10}$' "$br" "bridge name"
assert_eq bridge "$(ip -d -o link show "$br" | grep -o 'bridge ' | head -n1 | tr -d ' ')" "kind of $br"
assert_contains "$(ip -o -4 addr show dev "$br")" "inet 10.88.0.1/24 brd 10.88.0.255"

step "endpoints and veths"
mapfile -t eps <"$NW/default/endpoints"
assert_eq 2 "${#eps[@]}" "endpoint lines"
read -r n1 ip1 v1 <<<"${eps[0]}"
read -r n2 ip2 v2 <<<"${eps[1]}"
if [ "$n1" == b ]; then
	read -r n1 ip1 v1 n2 ip2 v2 <<<"$n2 $ip2 $v2 $n1 $ip1 $v1"
fi
assert_eq "a 10.88.0.2" "$n1 $ip1" "endpoint of a"
assert_eq "b 10.88.0.3" "$n2 $ip2" "endpoint of b"
assert_match '^vc[0-9a-f]{8}$' "$v1" "veth of a"
assert_match '^vc[0-9a-f]{8}$' "$v2" "veth of b"
assert_ne "$v1" "$v2" "veth names"
for v in "$v1" "$v2"; do
	assert_contains "$(ip -o link show "$v")" "master $br"
	assert_contains "$(ip -o link show "$v")" "state UP"
done
assert_eq "$(printf '%s\n' "$br" "$v1" "$v2" lo | sort)" "$(links)" "links of the test namespace"

step "ipam shows two addresses used"
assert_eq 'subnet 10.88.0.0/24
gateway 10.88.0.1
used 2 of 253
next 10.88.0.4
10.88.0.0       f000000000000000
10.88.0.64      0000000000000000
*
10.88.0.192     0000000000000001' "$(cat "$NW/default/ipam")" "ipam"

step "inside a: eth0, its route, /etc/hosts with b"
assert_contains "$(ex a 'ip -o -4 addr show dev eth0')" "inet 10.88.0.2/24 brd 10.88.0.255"
assert_eq "default via 10.88.0.1 dev eth0" "$(ex a 'ip route' | grep '^default' | sed 's/ *$//')" \
	"default route of a"
assert_eq "$(printf '%s\n' eth0 lo)" "$(ctr_ifnames a)" \
	"interfaces of a"
host_a=$(cat "$C/a/id")
host_a=${host_a:0:12}
assert_eq "$(printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.88.0.2\t%s a\n10.88.0.3\tb' "$host_a")" \
	"$(ex a 'cat /etc/hosts')" "/etc/hosts of a"
assert_contains "$(ex b 'cat /etc/hosts')" $'10.88.0.2\ta'
assert_eq "$host_a" "$(ex a 'hostname')" "hostname of a"

step "a and b exchange data by address"
ex_start a "sh -c 'echo from-a | nc -l -p 7000'"
srv=$EX
wait_for 5 pid_listens "$(ctr_pid a)" 7000
assert_eq from-a "$(ex b "sh -c 'echo from-b | nc -w 3 10.88.0.2 7000'")" "b got from a"
EX=$srv
assert_eq from-b "$(ex_finish)" "a got from b"

step "... and by name"
ex_start b "sh -c 'echo pong | nc -l -p 7001'"
srv=$EX
wait_for 5 pid_listens "$(ctr_pid b)" 7001
assert_eq pong "$(ex a "sh -c 'echo ping | nc -w 3 b 7001'")" "a got from b by name"
EX=$srv
assert_eq ping "$(ex_finish)" "b got from a by name"
assert_contains "$(ex b 'ping -c1 -W2 a')" "1 packets received"
assert_contains "$(ex a 'ping -c1 -W2 10.88.0.1')" "1 packets received"

step "network none: only lo, no address, no endpoint"
ctr_start lonely 'sleep 1000' none
assert_file "$C/lonely/network" none
assert_file_empty "$C/lonely/ip"
assert_eq lo "$(ctr_ifnames lonely)" \
	"interfaces of lonely"
assert_contains "$(ex lonely 'ip -o addr show dev lo')" "inet 127.0.0.1/8"
assert_eq 2 "$(wc -l <"$NW/default/endpoints")" "endpoints with lonely running"
assert_eq 2 "$(ipam_used default)" "ipam used with lonely running"
ex lonely 'ping -c1 -W1 10.88.0.2' 1 >/dev/null
assert_not_contains "$(ex lonely 'cat /etc/hosts')" "10.88.0."

step "network host: the test namespace's links"
ctr_start hosted 'sleep 1000' host
assert_file "$C/hosted/network" host
assert_file_empty "$C/hosted/ip"
assert_eq "$(links)" "$(ctr_ifnames hosted)" \
	"interfaces of hosted"
assert_contains "$(ex hosted 'ip -o -4 addr show')" "inet 10.88.0.1/24"
assert_eq 2 "$(ipam_used default)" "ipam used with hosted running"

step "stopping gives everything back"
ctr_rm_all
assert_eq 0 "$(ipam_used default)" "ipam used after the containers went"
assert_eq "" "$(cat "$NW/default/endpoints")" "endpoints after the containers went"
assert_eq "$(printf '%s\n' "$br" lo | sort)" "$(links)" "links after the containers went"
net_finish
pass
