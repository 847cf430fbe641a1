#!/bin/bash
# The daemon is SIGKILLed with containers on two networks, and again in the middle of
# concurrent runs; after each restart no address is lost or doubled (ipam used = the running
# containers with an endpoint, endpoints and veths agree, a new container gets a fresh
# address), published ports still work (also while the daemon is down); a container that
# exited meanwhile gives its address and ports back. When every container and network is
# removed, no link, no nftables table, no network state is left.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

http_get() {
	timeout 5 busybox wget -q -O - "$1"
}

# check_consistent NETWORK: the running containers with an address on NETWORK are exactly
# its endpoints, with distinct addresses, and ipam counts them; each veth exists
check_consistent() {
	local net=$1 n want=() got
	for d in "$C"/*/; do
		n=$(basename "$d")
		[ "$(cat "$d/status")" == running ] || continue
		[ "$(cat "$d/network")" == "$net" ] || continue
		want+=("$n $(cat "$d/ip")")
	done
	got=$(cut -d' ' -f1,2 "$NW/$net/endpoints" | sort)
	assert_eq "$(printf '%s\n' "${want[@]}" | sort)" "$got" "endpoints of $net"
	assert_eq "${#want[@]}" "$(ipam_used "$net")" "ipam used of $net"
	assert_eq "${#want[@]}" "$(cut -d' ' -f2 "$NW/$net/endpoints" | sort -u | wc -l)" \
		"distinct addresses on $net"
	for v in $(cut -d' ' -f3 "$NW/$net/endpoints"); do
		assert_contains "$(ip -o link show "$v")" "master $(cat "$NW/$net/bridge")"
	done
}

step "containers on two networks, one publishing 8080"
ctr_new web
echo 8080:80 >"$C/web/ports"
mkdir -p "$C/web/root/www"
echo hello-web >"$C/web/root/www/index.html"
ctr_run web 'httpd -f -p 80 -h /www'
ctr_start b 'sleep 1000'
ctr_start c 'sleep 1000'
ctr_start e 'sleep 1000'
mkdir "$NW/n2"
ctr_start d 'sleep 1000' n2
assert_eq "10.88.0.2 10.88.0.3 10.88.0.4 10.88.0.5 10.88.1.2" \
	"$(for n in web b c e d; do cat "$C/$n/ip"; done | tr '\n' ' ' | sed 's/ $//')" "addresses"
wait_for 5 pid_listens "$(ctr_pid web)" 80
assert_eq hello-web "$(http_get http://127.0.0.1:8080/index.html)" "published port"
e_pid=$(ctr_pid e)
br=$(cat "$NW/default/bridge")
br2=$(cat "$NW/n2/bridge")

step "kill -9 the daemon; the port still works; e exits meanwhile"
kill_daemon
assert_eq hello-web "$(http_get http://127.0.0.1:8080/index.html)" "published port, daemon down"
kill -KILL "$e_pid"
wait_for 5 not_alive "$e_pid"

step "restart: addresses reconciled"
start_daemon
assert_eq "$(printf '%s\n' default n2)" "$(ls "$NW")" "networks after the restart"
assert_eq "$br" "$(cat "$NW/default/bridge")" "bridge of default after the restart"
assert_file "$NW/default/subnet" 10.88.0.0/24
assert_file "$NW/n2/subnet" 10.88.1.0/24
assert_match '^exited ' "$(ctr_status e)" "status of e"
assert_file_empty "$C/e/ip"
for n in web b c d; do
	assert_eq running "$(ctr_status "$n")" "status of $n"
done
assert_file "$C/web/ip" 10.88.0.2
assert_file "$C/d/ip" 10.88.1.2
check_consistent default
check_consistent n2
assert_eq 3 "$(ipam_used default)" "used in default (web, b, c)"
assert_eq hello-web "$(http_get http://127.0.0.1:8080/index.html)" "published port after the restart"
assert_contains "$(ex b 'ping -c1 -W2 web')" "1 packets received"
# a new container: a fresh address, not one in use, not e's just released one
ctr_start f 'sleep 1000'
assert_file "$C/f/ip" 10.88.0.6
check_consistent default
# the published port is still taken, by web
ctr_new g
echo 8080:80 >"$C/g/ports"
ctr_fail g 16 write ctl run
echo >"$C/g/ports"

step "kill -9 in the middle of 12 concurrent runs"
for i in $(seq 1 12); do
	ctr_new "m$i"
	printf 'sleep 1000\n' >"$C/m$i/cmd"
	[ $((i % 3)) -ne 0 ] || echo n2 >"$C/m$i/network"
done
pids=()
for i in $(seq 1 12); do
	(echo run >"$C/m$i/ctl") 2>/dev/null &
	pids+=($!)
done
sleep 0.15
kill_daemon
for p in "${pids[@]}"; do
	wait "$p" || true
done
start_daemon
for i in $(seq 1 12); do
	ctr_record "m$i" >/dev/null
done
started=0
for i in $(seq 1 12); do
	s=$(ctr_status "m$i")
	case $s in
	running) started=$((started + 1)) ;;
	created | exited*) assert_file_empty "$C/m$i/ip" ;;
	*) fail "status of m$i after the crash: $s" ;;
	esac
done
echo "$started of 12 were running after the crash"
check_consistent default
check_consistent n2
assert_eq "$(( $(wc -l <"$NW/default/endpoints") + $(wc -l <"$NW/n2/endpoints") + 3 ))" \
	"$(links | wc -l)" "links (lo, two bridges, one veth per endpoint)"
step "... the others start now, with fresh addresses"
for i in $(seq 1 12); do
	[ "$(ctr_status "m$i")" == running ] || ctr_run "m$i" 'sleep 1000'
	assert_eq running "$(ctr_status "m$i")" "status of m$i"
done
check_consistent default
check_consistent n2
assert_eq 12 "$(ipam_used default)" "used in default (web b c f + 8)"
assert_eq 5 "$(ipam_used n2)" "used in n2 (d + 4)"

step "restart once more, two containers killed meanwhile"
p1=$(ctr_pid m1)
p2=$(ctr_pid m3)
kill_daemon
kill -KILL "$p1" "$p2"
wait_for 5 not_alive "$p1"
wait_for 5 not_alive "$p2"
start_daemon
assert_match '^exited ' "$(ctr_status m1)" "status of m1"
assert_match '^exited ' "$(ctr_status m3)" "status of m3"
assert_eq 11 "$(ipam_used default)" "used in default after m1 went"
assert_eq 4 "$(ipam_used n2)" "used in n2 after m3 went"
check_consistent default
check_consistent n2
ctr_rm_all
assert_eq 0 "$(ipam_used default)" "used in default at the end"
assert_eq 0 "$(ipam_used n2)" "used in n2 at the end"
assert_eq "$(printf '%s\n' "$br" "$br2" lo | sort)" "$(links)" "links with no container"
assert_eq "" "$(nft list map ip ctrfs ports | grep -o 'elements' || true)" "ports left"
if out=$(http_get http://127.0.0.1:8080/index.html 2>&1); then
	fail "port 8080 still answers: $out"
fi
net_rm_all
net_teardown
net_assert_clean
assert_eq "" "$(find "$STATE_DIR" "$DATA_DIR" -name 'endpoint*' -o -name 'ipam*' -o -name 'network.json' | head)" \
	"endpoint or network state left"
leak_check
net_assert_clean
pass
