#!/bin/sh
# Root test of netdrv: bridge, veth endpoints, NAT and published ports, driven through
# netdrv-tool. Everything happens inside a network + mount namespace this script creates (it
# re-executes itself under `unshare`), with the "containers", an "outside" server and a "client"
# machine as further network namespaces bound to files on a private tmpfs. The host's own network
# namespace is never touched. TAP output. Usage: test-root.sh PATH/TO/netdrv-tool
set -u
TOOL=${1:?usage: test-root.sh NETDRV_TOOL}

if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 77; fi
for c in unshare nsenter ip nft busybox findmnt; do
	command -v "$c" >/dev/null 2>&1 || { echo "1..0 # SKIP $c missing"; exit 77; }
done
if [ -z "${NETDRV_IN_NS:-}" ]; then
	NETDRV_IN_NS=1 exec unshare --net --mount --propagation private -- sh "$0" "$@"
fi

n=0 failed=0
T=$(mktemp -d /tmp/netdrv-test.XXXXXX)
cleanup() {
	# Servers were started with `timeout`; anything left of ours goes now, by pid.
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for f in "$T"/ns-*; do [ -e "$f" ] && umount "$f" 2>/dev/null; done
	umount "$T" 2>/dev/null
	rm -rf "$T"
}
PIDS=""
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mount -t tmpfs tmpfs "$T"
ip link set lo up
# br_netfilter (when built in) passes bridged traffic through the ip hooks, which hides missing
# rules (hairpin) and exposes others (isolation): run without it first, with it later. The
# sysctl is per network namespace: this changes only the test's own.
BRNF=/proc/sys/net/bridge/bridge-nf-call-iptables
[ -w $BRNF ] && echo 0 >$BRNF

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check DESC CMD...: CMD succeeds
check() { d=$1; shift; if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d"; fi; }
# refute DESC CMD...: CMD fails
refute() { d=$1; shift; if "$@" >/dev/null 2>&1; then fail "$d"; else pass "$d"; fi; }
# expect DESC WANT CMD...: CMD's output is exactly WANT
expect() {
	d=$1 want=$2; shift 2
	got=$("$@" 2>&1)
	if [ "$got" = "$want" ]; then pass "$d"; else fail "$d (got '$got', want '$want')"; fi
}
mkns() { touch "$T/ns-$1" && unshare --net="$T/ns-$1" true; }
inns() { ns=$1; shift; nsenter --net="$T/ns-$ns" "$@"; }
veths() { ip -o link show type veth | wc -l; }
# a one-shot tcp server in NS on PORT writing what it receives to FILE
serve() {
	inns "$1" timeout 5 busybox nc -l -p "$2" >"$3" &
	PIDS="$PIDS $!"
	# until the listener is there (a fixed sleep was too short on a busy machine)
	local hex i
	hex=$(printf '%04X' "$2")
	for i in $(seq 50); do
		# busybox nc listens on a v6 socket (dual stack): look in both tables
		inns "$1" grep -qs ":$hex [0-9A-F]*:0000 0A " /proc/net/tcp /proc/net/tcp6 && return 0
		sleep 0.1
	done
}
# send TEXT to ADDR PORT over tcp (from the test's own namespace unless NS is given)
send() { printf '%s\n' "$3" | busybox nc -w 2 "$1" "$2"; }
send_from() { ns=$1; shift; printf '%s\n' "$3" | inns "$ns" busybox nc -w 2 "$1" "$2"; }

for ns in c1 c2 c3 c5 c6 out client; do mkns $ns; done

# --- bridges
check "bridge ctb0 created" "$TOOL" bridge-create ctb0 10.99.0.1/24
check "bridge_create is idempotent" "$TOOL" bridge-create ctb0 10.99.0.1/24
check "ctb0 is a bridge and up" sh -c "ip -d link show ctb0 | grep -q 'bridge ' && ip link show ctb0 | grep -q '<.*UP'"
check "ctb0 holds the gateway" sh -c "ip -o addr show ctb0 | grep -q 'inet 10.99.0.1/24 brd 10.99.0.255'"
expect "bridge_create on a non-bridge is EEXIST" "ERR EEXIST" "$TOOL" bridge-create lo 10.99.0.1/24
expect "bridge_create with a bad name is EINVAL" "ERR EINVAL" "$TOOL" bridge-create a/b 10.99.0.1/24
check "nat network ctb0" "$TOOL" nat-net-add 10.99.0.0/24 ctb0
expect "route_localnet set on the bridge" "1" cat /proc/sys/net/ipv4/conf/ctb0/route_localnet
expect "ip_forward enabled" "1" cat /proc/sys/net/ipv4/ip_forward

# --- endpoints
H1=$("$TOOL" connect ctb0 "$T/ns-c1" c1 10.99.0.2/24 10.99.0.1)
H2=$("$TOOL" connect ctb0 "$T/ns-c2" c2 10.99.0.3/24 10.99.0.1)
check "c1 connected ($H1)" sh -c "echo '$H1' | grep -Eq '^vc[0-9a-f]{8}$'"
check "c2 connected ($H2), another host name" test -n "$H2" -a "$H1" != "$H2"
check "host end attached to ctb0 and up" sh -c "ip -o link show $H1 | grep -q 'master ctb0' && ip -o link show $H1 | grep -q 'state UP'"
check "eth0 in c1 has the address" sh -c "nsenter --net=$T/ns-c1 ip -o addr show eth0 | grep -q 'inet 10.99.0.2/24'"
check "eth0 in c1 has the MAC derived from its address" sh -c "nsenter --net=$T/ns-c1 ip -o link show eth0 | grep -q 'link/ether 02:42:0a:63:00:02 '"
check "default route in c1 via the gateway" sh -c "nsenter --net=$T/ns-c1 ip route show default | grep -q 'via 10.99.0.1 dev eth0'"
refute "no eth0 appeared on the host side" ip link show eth0
check "c1 pings c2" inns c1 busybox ping -c1 -W2 10.99.0.3
check "c1 pings its gateway" inns c1 busybox ping -c1 -W2 10.99.0.1
serve c2 5000 "$T/tcp"
send_from c1 10.99.0.3 5000 hello-c2; wait
expect "c1 -> c2 over tcp (busybox nc)" "hello-c2" cat "$T/tcp"

before=$(veths)
expect "eth0 taken in the target netns is EEXIST" "ERR EEXIST" "$TOOL" connect ctb0 "$T/ns-c1" other 10.99.0.7/24 10.99.0.1
expect "... and leaves no veth behind" "$before" veths
expect "failure after creation (unreachable gateway) is ENETUNREACH" "ERR ENETUNREACH" "$TOOL" connect ctb0 "$T/ns-c5" r1 10.99.0.9/24 10.50.0.1
expect "... rolled back: no veth on the host" "$before" veths
refute "... rolled back: no eth0 in the netns" inns c5 ip link show eth0
expect "connect to a missing bridge is ENODEV" "ERR ENODEV" "$TOOL" connect nobr "$T/ns-c5" r2 10.99.0.9/24 10.99.0.1
expect "connect to a device that is no bridge is EOPNOTSUPP" "ERR EOPNOTSUPP" "$TOOL" connect lo "$T/ns-c5" r3 10.99.0.9/24 10.99.0.1
expect "... and leaves no veth behind" "$before" veths
H6=$("$TOOL" connect ctb0 "$T/ns-c6" c1 10.99.0.6/24 10.99.0.1)
check "same id again: the host name collision is retried ($H6)" test -n "$H6" -a "$H6" != "$H1"

# --- published ports
check "publish tcp 8080 -> c2:80" "$TOOL" port-add tcp 8080 10.99.0.3 80
check "publishing the same mapping again is fine" "$TOOL" port-add tcp 8080 10.99.0.3 80
expect "host port mapped to another target is EBUSY" "ERR EBUSY" "$TOOL" port-add tcp 8080 10.99.0.2 80
expect "port_in_use: published port is EBUSY" "ERR EBUSY" "$TOOL" port-in-use tcp 8080
check "port_in_use: a free port is 0" "$TOOL" port-in-use tcp 8081
timeout 5 busybox nc -l -p 9090 >/dev/null & PIDS="$PIDS $!"; sleep 0.3
expect "port_in_use: a host listener is EBUSY" "ERR EBUSY" "$TOOL" port-in-use tcp 9090
expect "removing an unpublished port is ENOENT" "ERR ENOENT" "$TOOL" port-remove tcp 8081
check "ports map holds the mapping" sh -c "nft list map ip ctrfs ports | grep -q 'tcp . 8080 : 10.99.0.3 . 80'"
serve c2 80 "$T/lo"
send 127.0.0.1 8080 via-loopback; wait
expect "host 127.0.0.1:8080 reaches c2:80" "via-loopback" cat "$T/lo"
serve c2 80 "$T/gw"
send 10.99.0.1 8080 via-bridge-address; wait
expect "host's own address:8080 reaches c2:80" "via-bridge-address" cat "$T/gw"

serve c2 80 "$T/hairpin"
send_from c1 10.99.0.1 8080 hairpin; wait
expect "a container reaches a published port via the host's address (hairpin)" "hairpin" cat "$T/hairpin"

if [ -w $BRNF ]; then
	echo 1 >$BRNF
	check "with br_netfilter: c1 still pings c2 (same bridge passes the isolation rule)" inns c1 busybox ping -c1 -W2 10.99.0.3
	serve c2 80 "$T/hairpin2"
	send_from c1 10.99.0.1 8080 hairpin2; wait
	expect "with br_netfilter: hairpin still works" "hairpin2" cat "$T/hairpin2"
	echo 0 >$BRNF
fi

# another machine: a client namespace routed through the host
check "client network" "$TOOL" bridge-create ctcl 198.51.100.1/24
HC=$("$TOOL" connect ctcl "$T/ns-client" client 198.51.100.2/24 198.51.100.1)
serve c2 80 "$T/remote"
send_from client 198.51.100.1 8080 from-another-host; wait
expect "another host reaches the published port (prerouting DNAT)" "from-another-host" cat "$T/remote"

if command -v python3 >/dev/null 2>&1; then
	check "publish udp 5353 -> c2:53" "$TOOL" port-add udp 5353 10.99.0.3 53
	inns c2 timeout 5 python3 -c 'import socket,sys
s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("", 53)); s.settimeout(4)
open(sys.argv[1], "wb").write(s.recvfrom(100)[0])' "$T/udp" & PIDS="$PIDS $!"; sleep 0.5
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"dgram", ("127.0.0.1", 5353))'
	wait
	expect "host 127.0.0.1:5353/udp reaches c2:53" "dgram" cat "$T/udp"
	check "udp port withdrawn" "$TOOL" port-remove udp 5353
fi

# --- egress: the outside server has no route back to 10.99.0.0/24, so an answer proves the
# masquerade (it saw the host's address)
check "outside network" "$TOOL" bridge-create ctout 192.0.2.1/24
HO=$("$TOOL" connect ctout "$T/ns-out" outside 192.0.2.2/24 0.0.0.0)
refute "outside has no route to the container subnet" sh -c "nsenter --net=$T/ns-out ip route get 10.99.0.2"
serve out 7000 "$T/egress"
send_from c1 192.0.2.2 7000 egress; wait
expect "c1 reaches the outside server (masquerade)" "egress" cat "$T/egress"

# --- isolation between networks, through the driver interface
check "driver create ctb1 10.98.0.0/24" "$TOOL" driver create ctb1 10.98.0.0/24
H3=$("$TOOL" driver connect ctb1 10.98.0.0/24 "$T/ns-c3" c3 10.98.0.2)
check "driver connect c3 ($H3)" sh -c "nsenter --net=$T/ns-c3 ip -o addr show eth0 | grep -q 'inet 10.98.0.2/24'"
check "c3 pings its gateway" inns c3 busybox ping -c1 -W2 10.98.0.1
refute "c3 cannot reach c1 on another network" inns c3 busybox ping -c1 -W1 10.99.0.2
"$TOOL" bridge-create ctbx 10.98.0.1/25 >/dev/null
expect "overlapping network is EEXIST" "ERR EEXIST" "$TOOL" nat-net-add 10.98.0.0/25 ctbx
"$TOOL" bridge-delete ctbx >/dev/null
check "table lists both subnets" sh -c "nft list set ip ctrfs subnets | grep -q '10.98.0.0/24' && nft list set ip ctrfs subnets | grep -q '10.99.0.0/24'"
check "pool skips routed subnets" sh -c "[ \"\$('$TOOL' pick 10.99.0.0/23:24 10.99.1.0/24)\" = 'ERR ENOSPC' ] && [ \"\$('$TOOL' pick 10.97.0.0/16:24)\" = '10.97.0.0/24' ] && [ \"\$('$TOOL' pick 10.98.0.0/23:24)\" = '10.98.1.0/24' ]"

# --- teardown, then nothing may be left
check "port withdrawn" "$TOOL" port-remove tcp 8080
for h in $H1 $H2 $H6 $HC $HO; do check "disconnect $h" "$TOOL" disconnect "$h"; done
check "disconnect is idempotent" "$TOOL" disconnect "$H1"
expect "disconnect refuses a non-veth" "ERR EINVAL" "$TOOL" disconnect ctb0
check "driver disconnect c3" "$TOOL" driver disconnect ctb1 10.98.0.0/24 "$H3"
check "driver delete ctb1" "$TOOL" driver delete ctb1 10.98.0.0/24
check "table stays while a network is left" nft list table ip ctrfs
check "nat network ctb0 removed" "$TOOL" nat-net-remove 10.99.0.0/24 ctb0
refute "table gone with the last network" nft list table ip ctrfs
for b in ctb0 ctcl ctout; do check "bridge $b deleted" "$TOOL" bridge-delete "$b"; done
check "bridge_delete is idempotent" "$TOOL" bridge-delete ctb0
expect "bridge_delete refuses a non-bridge" "ERR EINVAL" "$TOOL" bridge-delete lo
expect "no link left but lo" "lo" sh -c "ip -o link show | awk -F': ' '{print \$2}'"
expect "no nftables table left" "" nft list tables
for ns in c1 c2 c3 c6 out client; do
	expect "netns $ns has only lo" "lo" sh -c "nsenter --net=$T/ns-$ns ip -o link show | awk -F': ' '{print \$2}'"
done
for f in "$T"/ns-*; do umount "$f"; done
expect "no netns left" "" sh -c "findmnt -rn -t nsfs -o TARGET | grep '^$T' || true"

echo "1..$n"
[ "$failed" = 0 ]
