#!/bin/bash
# Egress: a container reaches a server in a separate "outside" namespace, connected to the
# test namespace (the "host", which forwards) by a veth. The outside namespace has no route
# back to the containers' subnets, so any answer already proves the masquerade; the server
# also reports the peer address it saw: the test namespace's, never a container's.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

# a tcp server: for each connection, write the peer's address to FILE.N and answer
# "seen:ADDR"
TCP_PEER='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
n = 0
while True:
    c, peer = s.accept()
    n += 1
    with open("%s.%d" % (sys.argv[2], n), "w") as f:
        f.write(peer[0] + "\n")
    c.sendall(("seen:%s\n" % peer[0]).encode())
    c.close()
'

step "the outside machine, with no route to the containers"
mkns outside
link_ns outside vout0 203.0.113.1/24 203.0.113.2/24
assert_eq "203.0.113.0/24 dev eth0 proto kernel scope link src 203.0.113.2" \
	"$(inns outside ip -4 route show | sed 's/ *$//')" "routes of outside"
bg_inns outside "$PY" -S -c "$TCP_PEER" 8000 "$T/peer"
wait_for 5 ns_listens outside 8000

step "a container on the default network"
ctr_start c 'sleep 1000'
assert_file "$C/c/ip" 10.88.0.2
assert_file /proc/sys/net/ipv4/ip_forward 1
assert_contains "$(ex c 'ping -c1 -W2 203.0.113.2')" "1 packets received"
assert_eq "seen:203.0.113.1" "$(ex c "sh -c 'echo hi 2>/dev/null | nc -w 3 203.0.113.2 8000'")" "answer to c"
assert_file "$T/peer.1" 203.0.113.1

step "a container on another network is masqueraded too"
mkdir "$NW/other"
assert_file "$NW/other/subnet" 10.88.1.0/24
ctr_start d 'sleep 1000' other
assert_file "$C/d/ip" 10.88.1.2
assert_eq "seen:203.0.113.1" "$(ex d "sh -c 'echo hi 2>/dev/null | nc -w 3 203.0.113.2 8000'")" "answer to d"
assert_file "$T/peer.2" 203.0.113.1

ctr_rm_all
net_finish
pass
