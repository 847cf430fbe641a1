#!/bin/sh
# The same endpoint work done the way bash engines do it (bocker and its kind): `ip` commands,
# the veth created on the host, moved into the namespace, renamed, configured with
# `nsenter ... ip`. Runs in the caller's network namespace (run.sh gives it a private one).
# Namespace creation is outside the timed part, as in bench-connect. Prints mean_us.
set -eu
N=${1:-100}
ip link add benchbr1 type bridge
ip addr add 10.76.0.1/16 dev benchbr1
ip link set benchbr1 up
PIDS=""
for i in $(seq 1 "$N"); do unshare --net sleep 600 & PIDS="$PIDS $!"; done
sleep 0.5
start=$(date +%s%N)
i=0
for p in $PIDS; do
	i=$((i + 1))
	a=$((i / 250))
	b=$((i % 250 + 2))
	ip link add "vb$i" type veth peer name "vp$i"
	ip link set "vb$i" master benchbr1
	ip link set "vb$i" up
	ip link set "vp$i" netns "$p"
	nsenter -t "$p" -n ip link set "vp$i" name eth0
	nsenter -t "$p" -n ip addr add "10.76.$a.$b/16" dev eth0
	nsenter -t "$p" -n ip link set eth0 up
	nsenter -t "$p" -n ip route add default via 10.76.0.1
done
end=$(date +%s%N)
for p in $PIDS; do kill "$p"; done
wait 2>/dev/null || true
ip link del benchbr1
echo "endpoints $N"
echo "mean_us $(( (end - start) / 1000 / N ))"
