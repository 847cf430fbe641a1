#!/bin/bash
# Containers on two different networks cannot reach each other (ping and nc fail, in both
# directions, and neither knows the other's name) while containers on one network can.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

step "two networks"
mkdir "$NW/blue" "$NW/green"
assert_file "$NW/blue/subnet" 10.88.0.0/24
assert_file "$NW/green/subnet" 10.88.1.0/24
assert_file "$NW/green/gateway" 10.88.1.1
assert_ne "$(cat "$NW/blue/bridge")" "$(cat "$NW/green/bridge")" "bridges"
assert_eq "$(printf '%s\n' blue green)" "$(ls "$NW")" "networks/"

ctr_start b1 'sleep 1000' blue
ctr_start b2 'sleep 1000' blue
ctr_start g1 'sleep 1000' green
assert_file "$C/b1/ip" 10.88.0.2
assert_file "$C/b2/ip" 10.88.0.3
assert_file "$C/g1/ip" 10.88.1.2
assert_file "$C/g1/network" green
assert_eq "$(printf '%s\n' 'b1 10.88.0.2' 'b2 10.88.0.3')" "$(cut -d' ' -f1,2 "$NW/blue/endpoints" | sort)" \
	"endpoints of blue"
assert_eq "g1 10.88.1.2" "$(cut -d' ' -f1,2 "$NW/green/endpoints")" "endpoints of green"
assert_eq 2 "$(ipam_used blue)" "used in blue"
assert_eq 1 "$(ipam_used green)" "used in green"

step "same network: ping and nc work"
assert_contains "$(ex b1 'ping -c1 -W2 10.88.0.3')" "1 packets received"
assert_contains "$(ex b2 'ping -c1 -W2 b1')" "1 packets received"
ex_start b2 "nc -l -p 7000"
srv=$EX
wait_for 5 pid_listens "$(ctr_pid b2)" 7000
ex b1 "sh -c 'echo same-net | nc -w 3 b2 7000'" >/dev/null
EX=$srv
assert_eq same-net "$(ex_finish)" "b2 got from b1"

step "names of the other network are unknown"
# names as whole words: a hostname (12 hex digits of the id) may hold "b1" by chance
names_in_hosts() { awk '{for (i = 2; i <= NF; i++) print $i}' <<<"$1"; }
assert_eq "" "$(names_in_hosts "$(ex b1 'cat /etc/hosts')" | { grep -x g1 || true; })" \
	"names of the other network in b1's /etc/hosts"
assert_eq "" "$(names_in_hosts "$(ex g1 'cat /etc/hosts')" | { grep -x -e b1 -e b2 || true; })" \
	"names of the default network in g1's /etc/hosts"
assert_contains "$(ex g1 'cat /etc/hosts')" $'10.88.1.2\t'
ex b1 'ping -c1 -W1 g1' 1 >/dev/null

step "different networks: ping fails both ways"
ex b1 'ping -c1 -W1 10.88.1.2' 1 >/dev/null
ex g1 'ping -c1 -W1 10.88.0.2' 1 >/dev/null
ex g1 'ping -c1 -W1 10.88.0.3' 1 >/dev/null
# each still reaches its own gateway
assert_contains "$(ex g1 'ping -c1 -W2 10.88.1.1')" "1 packets received"
assert_contains "$(ex b1 'ping -c1 -W2 10.88.0.1')" "1 packets received"

step "different networks: nc fails both ways, nothing arrives"
ex_start g1 "nc -l -p 7001"
wait_for 5 pid_listens "$(ctr_pid g1)" 7001
out=$(ex b1 "sh -c 'echo cross | nc -w 2 10.88.1.2 7001; echo rc=\$?'")
assert_eq "rc=1" "$(tail -n1 <<<"$out")" "nc from b1 to g1 (output [$out])"
# the listener is still waiting: no connection reached it
pid_listens "$(ctr_pid g1)" 7001 || fail "g1's listener went away: something connected"
ex_start b1 "nc -l -p 7002"
bsrv=$EX
wait_for 5 pid_listens "$(ctr_pid b1)" 7002
out=$(ex g1 "sh -c 'echo cross | nc -w 2 10.88.0.2 7002; echo rc=\$?'")
assert_eq "rc=1" "$(tail -n1 <<<"$out")" "nc from g1 to b1 (output [$out])"
pid_listens "$(ctr_pid b1)" 7002 || fail "b1's listener went away: something connected"

step "the same-network peer still gets through afterwards"
ex b2 "sh -c 'echo late | nc -w 3 10.88.0.2 7002'" >/dev/null
EX=$bsrv
assert_eq late "$(ex_finish)" "b1 got from b2 after the refused attempt"
ctr_rm_all
net_finish
pass
