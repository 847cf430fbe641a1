#!/bin/bash
# 30 containers started concurrently from background shells (the default network does not
# exist yet: they race to create it) get 30 distinct addresses, one network, one bridge, 30
# endpoints with distinct veths; every /etc/hosts ends up listing all the others.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/net-lib.sh"

net_setup
N=30

step "$N containers, started at once"
for i in $(seq 1 $N); do
	ctr_new "k$i"
	printf 'sleep 1000\n' >"$C/k$i/cmd"
done
pids=()
for i in $(seq 1 $N); do
	(echo run >"$C/k$i/ctl") 2>"$T/run-err.$i" &
	pids+=($!)
done
failed=
for i in $(seq 1 $N); do
	wait "${pids[i - 1]}" || failed="$failed k$i($(cat "$T/run-err.$i"): $(cat "$C/k$i/error"))"
done
[ -z "$failed" ] || fail "runs failed:$failed"
for i in $(seq 1 $N); do
	assert_eq running "$(ctr_status "k$i")" "status of k$i"
	ctr_record "k$i" >/dev/null
done

step "one network, one bridge"
assert_eq default "$(ls "$NW")" "networks/"
br=$(cat "$NW/default/bridge")
assert_eq "$br" "$(ip -o link show type bridge | awk -F': ' '{ print $2 }')" "bridges"

step "30 distinct addresses"
for i in $(seq 1 $N); do
	cat "$C/k$i/ip"
done >"$T/ips"
assert_eq $N "$(sort -u "$T/ips" | wc -l)" "distinct addresses (got $(sort "$T/ips" | uniq -d | tr '\n' ' ') twice)"
assert_eq "$(seq 2 $((N + 1)) | sed 's/^/10.88.0./' | sort)" "$(sort "$T/ips")" "the addresses"
assert_eq $N "$(ipam_used default)" "ipam used"
assert_eq $N "$(wc -l <"$NW/default/endpoints")" "endpoints"
assert_eq "$(sort "$T/ips")" "$(cut -d' ' -f2 "$NW/default/endpoints" | sort)" "addresses of endpoints"
for i in $(seq 1 $N); do
	assert_eq "k$i $(cat "$C/k$i/ip")" "$(awk -v n="k$i" '$1 == n { print $1, $2 }' "$NW/default/endpoints")" \
		"endpoint of k$i"
done
assert_eq $N "$(cut -d' ' -f3 "$NW/default/endpoints" | sort -u | wc -l)" "distinct veths"
for v in $(cut -d' ' -f3 "$NW/default/endpoints"); do
	assert_contains "$(ip -o link show "$v")" "master $br"
done
assert_eq $((N + 2)) "$(links | wc -l)" "links (lo, the bridge, one veth each)"

step "each address answers, and /etc/hosts lists every peer"
for i in 1 15 $N; do
	assert_eq "$(cat "$C/k$i/ip")" "$(ex "k$i" 'ip -o -4 addr show dev eth0' | awk '{ split($4, a, "/"); print a[1] }')" \
		"eth0 of k$i"
done
assert_contains "$(ex k1 "ping -c1 -W2 k$N")" "1 packets received"
assert_contains "$(ex k$N 'ping -c1 -W2 k1')" "1 packets received"
for i in 1 $N; do
	ex "k$i" 'cat /etc/hosts' >"$T/hosts"
	assert_eq $((N + 2)) "$(grep -c . "$T/hosts")" "lines of /etc/hosts in k$i ($(tr "\n" " " <"$T/hosts"))"
	for j in $(seq 1 $N); do
		grep -q "^$(cat "$C/k$j/ip")	.*\bk$j\$" "$T/hosts" ||
			fail "/etc/hosts of k$i lacks k$j: $(cat "$T/hosts")"
	done
done

step "stopped at once: everything given back"
for i in $(seq 1 $N); do
	(echo 'stop 0' >"$C/k$i/ctl") &
	pids[i - 1]=$!
done
for i in $(seq 1 $N); do
	wait "${pids[i - 1]}" || fail "stop of k$i failed"
done
assert_eq 0 "$(ipam_used default)" "ipam used after the stops"
assert_eq "" "$(cat "$NW/default/endpoints")" "endpoints after the stops"
assert_eq "$(printf '%s\n' "$br" lo | sort)" "$(links)" "links after the stops"
ctr_rm_all
net_finish
pass
