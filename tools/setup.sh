#!/bin/sh
# One command from a clean clone to a running ctrfs at /mnt/ctr (as root, Debian 12):
# install dependencies, build, start the daemon (it builds the busybox image on first start).
set -eu
cd "$(dirname "$0")/.."
MNT=${1:-/mnt/ctr}
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 1; }
tools/deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
if grep -qs " $MNT fuse.ctrfs " /proc/self/mounts && [ -d "$MNT/containers" ]; then
	echo "ctrfs is already mounted at $MNT"
	exit 0
fi
build/ctrfs "$MNT"
echo "ctrfs $(cat "$MNT/version" | cut -d' ' -f2) mounted at $MNT; try:"
echo "  mkdir $MNT/containers/x && echo 'echo hello' > $MNT/containers/x/cmd && echo run > $MNT/containers/x/ctl && cat $MNT/containers/x/logs"
