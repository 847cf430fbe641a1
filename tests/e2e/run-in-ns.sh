#!/bin/bash
# Run one e2e test script inside fresh private mount and network namespaces, so that
# nothing it mounts or configures touches the host. Exit code 77 means "skipped".
#
# usage: run-in-ns.sh TEST.sh   (CTRFS names the daemon binary)
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 TEST.sh" >&2
	exit 2
fi
test_script=$1

skip() {
	echo "SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/fuse ] || skip "no /dev/fuse"
grep -qw fuse /proc/filesystems || skip "no fuse in /proc/filesystems"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || skip "no overlayfs"
command -v unshare >/dev/null || skip "no unshare"
command -v mountpoint >/dev/null || skip "no mountpoint"
command -v python3 >/dev/null || skip "no python3"
command -v ip >/dev/null || skip "no ip (iproute2)"

if [ -z "${CTRFS:-}" ]; then
	CTRFS=$(cd "$(dirname "$0")/../.." && pwd)/build/ctrfs
	export CTRFS
fi
if [ ! -x "$CTRFS" ]; then
	echo "FAIL: daemon binary CTRFS=$CTRFS is not executable" >&2
	exit 1
fi

# Probe first, so that a machine where unshare is refused is a skip, not a failure.
unshare --mount --net --propagation private -- true 2>/dev/null ||
	skip "unshare --mount --net refused"

exec unshare --mount --net --propagation private -- \
	bash -c 'ip link set lo up || exit 77; exec bash "$0"' "$test_script"
