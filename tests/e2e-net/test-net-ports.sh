#!/bin/bash
# Published ports: a tcp port (busybox httpd in the container) and a udp port (an echo
# server in the container's network namespace) are reached from 127.0.0.1 of the test
# namespace (the "host"), from its own address, and from a separate "client" namespace
# connected to it by a veth pair, acting as another machine. A host port already taken (a
# listening tcp socket or a bound udp socket of the host, or another container's published
# port) makes run fail with EBUSY and the container does not start; bad ports lines are
# EINVAL.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup

# http_get URL, http_get_from NS URL: fetch URL, print the body (busybox wget: its -T
# option crashes in Debian's 1.35, timeout(1) bounds it instead)
http_get() {
	timeout 5 busybox wget -q -O - "$1" || { echo "wget $1: status $?" >&2; return 1; }
}
http_get_from() {
	inns "$1" timeout 5 busybox wget -q -O - "$2"
}
ports_map() {
	nft list map ip ctrfs ports | tr -d '\n\t' | { grep -o 'elements = {[^}]*}' || true; } |
		sed 's/elements = {//; s/}//; s/  */ /g; s/ *$//; s/^ *//'
}

step "the client machine: a namespace behind a veth"
mkns client
link_ns client vcli0 192.168.77.1/24 192.168.77.2/24
inns client ip route add default via 192.168.77.1

step "a container publishing 8080->80/tcp and 5353->53/udp"
ctr_new web
printf '8080:80\n5353:53/udp\n' >"$C/web/ports"
assert_eq "$(printf '%s\n' 8080:80/tcp 5353:53/udp)" "$(cat "$C/web/ports")" "ports read back"
mkdir -p "$C/web/root/www"
echo hello-web >"$C/web/root/www/index.html"
ctr_run web 'httpd -f -p 80 -h /www'
assert_eq running "$(ctr_status web)" "status of web"
wip=$(ctr_ip web)
assert_eq 10.88.0.2 "$wip" "address of web"
wait_for 5 pid_listens "$(ctr_pid web)" 80
udp_echo_in "$(ctr_pid web)" 53
assert_eq "tcp . 8080 : 10.88.0.2 . 80, udp . 5353 : 10.88.0.2 . 53" "$(ports_map)" "ports map"

step "reached from the host's 127.0.0.1"
assert_eq hello-web "$(http_get http://127.0.0.1:8080/index.html)" "tcp from 127.0.0.1"
assert_eq "echo:from-lo" "$(udp_send 127.0.0.1 5353 from-lo)" "udp from 127.0.0.1"
step "... from the host's own address"
assert_eq hello-web "$(http_get http://192.168.77.1:8080/index.html)" "tcp to 192.168.77.1 from the host"
assert_eq "echo:from-self" "$(udp_send 192.168.77.1 5353 from-self)" "udp to 192.168.77.1 from the host"
step "... from the client machine"
assert_eq hello-web "$(http_get_from client http://192.168.77.1:8080/index.html)" "tcp from the client"
assert_eq "echo:from-client" "$(udp_send_from client 192.168.77.1 5353 from-client)" "udp from the client"
step "... and only the published ports: 8081 and 5354/udp lead nowhere"
if out=$(http_get_from client http://192.168.77.1:8081/index.html 2>&1); then
	fail "port 8081 answered: $out"
fi
assert_eq timeout "$(udp_send_from client 192.168.77.1 5354 x)" "udp 5354 from the client"

step "a host port taken by a tcp listener of the host: EBUSY, not started"
bg busybox nc -l -p 9090
wait_for 5 pid_listens "$BG_PID" 9090
used_before=$(ipam_used default)
links_before=$(links)
ctr_new busy1
echo 9090:80 >"$C/busy1/ports"
ctr_fail busy1 16 write ctl run
assert_eq "Host port 9090/tcp is in use" "$LAST_ERROR" "error of busy1"
assert_eq created "$(ctr_status busy1)" "status of busy1"
assert_file_empty "$C/busy1/pid"
assert_file_empty "$C/busy1/ip"
assert_eq "$used_before" "$(ipam_used default)" "ipam used after the refused run"
assert_eq "$links_before" "$(links)" "links after the refused run"
assert_eq "web" "$(cut -d' ' -f1 "$NW/default/endpoints")" "endpoints after the refused run"

step "a udp port bound on the host: EBUSY"
bg "$PY" -S -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 9091)); time.sleep(100)'
wait_for 5 pid_udp "$BG_PID" 9091
ctr_new busy2
echo 9091:53/udp >"$C/busy2/ports"
ctr_fail busy2 16 write ctl run
assert_eq "Host port 9091/udp is in use" "$LAST_ERROR" "error of busy2"
assert_eq created "$(ctr_status busy2)" "status of busy2"
# the same number in tcp is free
echo 9091:80/tcp >"$C/busy2/ports"
ctr_run busy2 'sleep 1000'
assert_eq running "$(ctr_status busy2)" "status of busy2 on 9091/tcp"
ctr_stop_rm() {
	echo 'kill KILL' >"$C/$1/ctl"
	ctr_wait "$1" >/dev/null
}
ctr_stop_rm busy2

step "a port another container publishes: EBUSY (tcp and udp)"
ctr_new dup1
echo 8080:81 >"$C/dup1/ports"
ctr_fail dup1 16 write ctl run
assert_eq "Host port 8080/tcp is in use" "$LAST_ERROR" "error of dup1"
assert_eq created "$(ctr_status dup1)" "status of dup1"
echo 5353:53/udp >"$C/dup1/ports"
ctr_fail dup1 16 write ctl run
assert_eq created "$(ctr_status dup1)" "status of dup1"
# one free and one taken: nothing of it is published
printf '7070:80\n8080:80\n' >"$C/dup1/ports"
ctr_fail dup1 16 write ctl run
assert_eq "tcp . 8080 : 10.88.0.2 . 80, udp . 5353 : 10.88.0.2 . 53" "$(ports_map)" \
	"ports map after the refused runs"
assert_eq 1 "$(ipam_used default)" "ipam used after the refused runs"
assert_eq hello-web "$(http_get http://127.0.0.1:8080/index.html)" "web still served"

step "bad ports lines: EINVAL, the value unchanged"
printf '7070:80/tcp\n' >"$C/dup1/ports"
accepted=
for bad in 0:80 65536:80 80:0 80:65536 80 80: :80 a:b 80:80/sctp 80:80/TCP 80:80/ 80:80/tcp/udp \
	-1:80 80:80:80 '80:80 80:81' '80:80/udp 80:81/udp' +80:80/tcp 80:+80 ' 80:80x'; do
	got=$(errno_of write "$C/dup1/ports" "$bad")
	if [ "$got" != 22 ]; then
		accepted="$accepted [$bad]: errno $got, read back [$(cat "$C/dup1/ports" | tr '\n' ' ')];"
		printf '7070:80/tcp\n' >"$C/dup1/ports"
		continue
	fi
	assert_match '^(Bad port "[^"]*": HOSTPORT:PORT\[/tcp\|/udp\], ports 1-65535|Host port 80/(tcp|udp) is published twice)$' \
		"$(cat "$C/dup1/error")" "error after writing [$bad]"
	assert_eq "7070:80/tcp" "$(cat "$C/dup1/ports")" "ports after writing [$bad]"
done
[ -z "$accepted" ] || soft_fail "bad ports lines not refused with EINVAL:$accepted"
# the same host port in tcp and udp is fine; an empty write clears the list
echo '80:80/tcp 80:80/udp' >"$C/dup1/ports"
assert_eq "$(printf '%s\n' 80:80/tcp 80:80/udp)" "$(cat "$C/dup1/ports")" "ports tcp and udp"
: >"$C/dup1/ports"
echo >"$C/dup1/ports"
assert_file_empty "$C/dup1/ports"
step "ports of a running container: EBUSY"
ctr_fail web 16 write ports 9999:80

step "stopping the container withdraws its ports; another may take them"
bg_kill "$UDP_ECHO_PID"
ctr_stop_rm web
assert_eq "" "$(ports_map)" "ports map after web stopped"
if out=$(http_get http://127.0.0.1:8080/index.html 2>&1); then
	fail "port 8080 still answers after web stopped: $out"
fi
echo 8080:80 >"$C/dup1/ports"
ctr_run dup1 'httpd -f -p 80 -h /'
wait_for 5 pid_listens "$(ctr_pid dup1)" 80
assert_eq "tcp . 8080 : $(ctr_ip dup1) . 80" "$(ports_map)" "ports map with dup1"
assert_ne 10.88.0.2 "$(ctr_ip dup1)" "dup1's address (next-fit)"

ctr_rm_all
net_finish
soft_check
pass
