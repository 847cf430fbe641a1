# net-lib.sh: helpers shared by the tests in tests/e2e-net (networks, ports, NAT, IPAM).
# Sourced after tests/e2e/lib.sh (whose setup, assertions and leak_check they use) and
# tests/e2e-ops/ops-lib.sh (exec sessions: ex, ex_start, ex_finish).
#
# A test calls net_setup instead of setup: the same, plus an EXIT trap that first kills the
# background helpers it started (bg), deletes the veth pairs (link_ns) and the network
# namespaces (mkns) it made, then runs lib.sh's cleanup. Namespaces are named
# ctrfs-e2e-PID-NAME (PID: the test's shell), so two runs never collide. Before leak_check a
# test calls net_teardown (the same, with assertions) and net_assert_clean: no network left
# in networks/ nor in the data dir, no `ip ctrfs` table, no link but lo, none of our netns.
# shellcheck shell=bash

# shellcheck source=../e2e-ops/ops-lib.sh
. "$E2E_DIR/../e2e-ops/ops-lib.sh"

NW=
NS_MADE=
LINKS_MADE=
BG_PIDS=

net_setup() {
	command -v nft >/dev/null || { echo "SKIP: no nft"; exit 77; }
	command -v busybox >/dev/null || { echo "SKIP: no busybox"; exit 77; }
	command -v nsenter >/dev/null || { echo "SKIP: no nsenter"; exit 77; }
	setup
	NW=$MNT/networks
	trap _net_exit EXIT
}

_net_exit() {
	local rc=$?
	set +eE
	trap - ERR
	if [ $rc -ne 0 ]; then
		echo "--- network state at the failure:" >&2
		ip -o link >&2
		ip -o -4 addr >&2
		nft list ruleset >&2 2>&1
	fi
	net_cleanup
	(exit $rc)
	cleanup
}

# Kill our helpers (by pid), delete our veths and namespaces; never fails.
net_cleanup() {
	local p ns l
	for p in $BG_PIDS; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	BG_PIDS=
	for l in $LINKS_MADE; do
		ip link del "$l" 2>/dev/null
	done
	LINKS_MADE=
	for ns in $NS_MADE; do
		# only processes we started can be in a namespace we made
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || echo "cleanup: cannot delete netns $ns" >&2
	done
	NS_MADE=
}

# ---------------------------------------------------------------- namespaces and links

nsname() {
	echo "ctrfs-e2e-$SHELL_PID-$1"
}

# mkns NAME: a network namespace (lo up) standing for another machine
mkns() {
	local ns
	ns=$(nsname "$1")
	ip netns add "$ns"
	NS_MADE="$NS_MADE $ns"
	ip -n "$ns" link set lo up
}

# inns NAME CMD...: run CMD in that namespace
inns() {
	local ns
	ns=$(nsname "$1")
	shift
	ip netns exec "$ns" "$@"
}

# link_ns NAME HOSTIF HOSTADDR/P NSADDR/P: a veth pair, HOSTIF in the test namespace with
# HOSTADDR, eth0 in namespace NAME with NSADDR, both up
link_ns() {
	local ns
	ns=$(nsname "$1")
	ip link add "$2" type veth peer name eth0 netns "$ns"
	LINKS_MADE="$LINKS_MADE $2"
	ip addr add "$3" dev "$2"
	ip link set "$2" up
	ip -n "$ns" addr add "$4" dev eth0
	ip -n "$ns" link set eth0 up
}

# bg CMD...: start CMD in the background, killed (by pid) by the cleanup; BG_PID is its pid
bg() {
	"$@" &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}

# bg_inns NAME CMD...: bg, in one of our namespaces (ip netns exec execs CMD itself, so
# BG_PID is CMD's pid; `bg inns ...` would give the pid of a subshell)
bg_inns() {
	ip netns exec "$(nsname "$1")" "${@:2}" &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}

# ---------------------------------------------------------------- sockets

# _port_in FILE... PORT STATE: a socket on local port PORT in state STATE (hex, "" = any)
_sock_in() {
	local port=$1 state=$2
	shift 2
	awk -v p="$(printf ':%04X' "$port")" -v s="$state" \
		'NR > 1 && substr($2, length($2) - 4) == p && (s == "" || $4 == s) { f = 1 }
		 END { exit !f }' "$@" 2>/dev/null
}

# pid_listens PID PORT: a tcp socket listens on PORT in the network namespace of PID
pid_listens() {
	_sock_in "$2" 0A "/proc/$1/net/tcp" "/proc/$1/net/tcp6"
}

# pid_udp PID PORT: a udp socket is bound to PORT in the network namespace of PID
pid_udp() {
	_sock_in "$2" "" "/proc/$1/net/udp" "/proc/$1/net/udp6"
}

# ns_listens NAME PORT: the same in one of our namespaces
ns_listens() {
	inns "$1" cat /proc/net/tcp /proc/net/tcp6 >"$T/ns-sock" 2>/dev/null
	_sock_in "$2" 0A "$T/ns-sock"
}

# tcp_send ADDR PORT DATA: connect (from where it runs), send DATA and a newline, print what
# comes back
tcp_send() {
	printf '%s\n' "$3" | timeout 10 busybox nc -w 3 "$1" "$2"
}

# tcp_send_from NS ADDR PORT DATA: the same from one of our namespaces
tcp_send_from() {
	local ns=$1
	shift
	printf '%s\n' "$3" | inns "$ns" timeout 10 busybox nc -w 3 "$1" "$2"
}

# UDP: an echo server that answers "echo:DATA" to each datagram, and a client that sends
# one datagram and prints the answer ("timeout" after 3 s). python3 with the socket module:
# the busybox image has no udp server (its nc has no -u).
UDP_ECHO='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(b"echo:" + data, peer)
'
UDP_SEND='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
try:
    print(s.recvfrom(2048)[0].decode())
except socket.timeout:
    print("timeout")
'

# udp_echo_in PID PORT: start the echo server in the network namespace of PID (a
# container's init) and wait until it is bound; UDP_ECHO_PID is its pid (nsenter without -p
# execs the command itself)
udp_echo_in() {
	bg nsenter -t "$1" -n "$PY" -S -c "$UDP_ECHO" "$2"
	# shellcheck disable=SC2034 # used by the tests
	UDP_ECHO_PID=$BG_PID
	wait_for 5 pid_udp "$1" "$2"
}

# bg_kill PID: kill one of our background helpers now
bg_kill() {
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# udp_send ADDR PORT DATA (from the test namespace); udp_send_from NS ADDR PORT DATA
udp_send() {
	"$PY" -S -c "$UDP_SEND" "$@"
}

udp_send_from() {
	local ns=$1
	shift
	inns "$ns" "$PY" -S -c "$UDP_SEND" "$@"
}

# ---------------------------------------------------------------- containers and networks

# ctr_start NAME CMD [NETWORK] [PORTS]: make, configure and run a container; prints nothing
ctr_start() {
	ctr_new "$1"
	[ -z "${3:-}" ] || echo "$3" >"$C/$1/network"
	[ -z "${4:-}" ] || printf '%s\n' "$4" >"$C/$1/ports"
	ctr_run "$1" "$2"
	assert_eq running "$(ctr_status "$1")" "status of $1"
}

# ctr_ip NAME: its address (the ip file, newline stripped)
ctr_ip() {
	cat "$C/$1/ip"
}

# ctr_pid NAME
ctr_pid() {
	cat "$C/$1/pid"
}

# ipam_used NETWORK: N of the "used N of M" line of its ipam file
ipam_used() {
	awk '$1 == "used" { print $2 }' "$NW/$1/ipam"
}

# net_rm_all: rmdir every network
net_rm_all() {
	local d
	for d in "$NW"/*/; do
		[ -d "$d" ] || continue
		rmdir "$d"
		[ ! -e "$d" ] || fail "$d still exists after rmdir"
	done
}

# links: the names of the links of the test namespace, sorted, one per line
links() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
}

# net_teardown: kill our helpers, delete our veths and namespaces, asserting it worked
net_teardown() {
	local p ns l
	for p in $BG_PIDS; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=
	for l in $LINKS_MADE; do
		ip link del "$l"
	done
	LINKS_MADE=
	for ns in $NS_MADE; do
		p=$(ip netns pids "$ns")
		[ -z "$p" ] || fail "processes left in namespace $ns: $p"
		ip netns del "$ns"
	done
	NS_MADE=
}

# net_assert_clean: nothing of networking is left (after every container and network went)
net_assert_clean() {
	local left
	if mountpoint -q "$MNT"; then
		left=$(ls -A "$NW")
		assert_eq "" "$left" "networks left in $NW"
	fi
	if [ -d "$DATA_DIR/networks" ]; then
		left=$(ls -A "$DATA_DIR/networks")
		assert_eq "" "$left" "network state left in $DATA_DIR/networks"
	fi
	if nft list table ip ctrfs >/dev/null 2>&1; then
		fail "the nftables table ip ctrfs is still there: $(nft list table ip ctrfs)"
	fi
	assert_eq "lo" "$(links)" "links of the test namespace"
	assert_eq "" "$(ip -o -4 addr show | awk '$2 != "lo"')" "IPv4 addresses left"
	left=$(ip netns list 2>/dev/null | grep -F "ctrfs-e2e-$SHELL_PID-" || true)
	assert_eq "" "$left" "network namespaces of this test left"
}

# The end of a net test: remove the networks, undo what the test made, and check that
# nothing is left, while the daemon runs and after leak_check has stopped it.
net_finish() {
	net_rm_all
	net_teardown
	net_assert_clean
	leak_check
	net_assert_clean
}

# ctr_ifnames NAME: the interfaces a running container sees (its /proc/net/dev), sorted
ctr_ifnames() {
	ex "$1" 'cat /proc/net/dev' | awk -F: 'NR > 2 && NF > 1 { gsub(/ /, "", $1); print $1 }' | sort
}

# soft_fail MSG: record a failure and go on (so that the rest of the test still runs);
# soft_check (before pass) fails if any was recorded
SOFT_FAILS=
soft_fail() {
	echo "FAIL (deferred): $*" >&2
	SOFT_FAILS="$SOFT_FAILS
  $*"
}
soft_check() {
	[ -z "$SOFT_FAILS" ] || fail "deferred failures:$SOFT_FAILS"
}
