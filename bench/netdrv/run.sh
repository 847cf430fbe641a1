#!/bin/sh
# Run the netdrv benchmarks: endpoint connect (library vs `ip` commands) inside a private
# network + mount namespace, and the IPAM /16 round. Usage: bench/netdrv/run.sh BUILD_DIR [N]
set -eu
BUILD=${1:?usage: run.sh BUILD_DIR [N]}
N=${2:-100}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "connect benchmark needs root" >&2; exit 77; }
lib=$(unshare --net -- "$BUILD/bench/netdrv/bench-netdrv-connect" "$N")
ipc=$(unshare --net -- sh "$HERE/bench-ip.sh" "$N")
ipam=$("$BUILD/bench/netdrv/bench-netdrv-ipam" 20)
lib_mean=$(echo "$lib" | awk '/^mean_us/ {print $2}')
ip_mean=$(echo "$ipc" | awk '/^mean_us/ {print $2}')
echo "== veth_connect (library), N=$N"; echo "$lib"
echo "== ip commands, N=$N"; echo "$ipc"
echo "== ratio ip/library: $(awk "BEGIN {printf \"%.1f\", $ip_mean / $lib_mean}")x"
echo "== IPAM: alloc + release every address of a /16"; echo "$ipam"
