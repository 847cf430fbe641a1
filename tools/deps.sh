#!/bin/sh
# Install what ctrfs needs to build, run and test (Debian 12). Quiet and idempotent: packages
# already installed are not fetched again.
set -eu
PKGS="gcc meson ninja-build pkg-config libfuse3-dev fuse3 libjson-c-dev libcap-dev
busybox-static python3 9base iproute2 util-linux clang libclang-rt-14-dev
libnl-3-dev libnl-route-3-dev libnftables-dev nftables libarchive-dev libssl-dev libseccomp-dev
mc tmux"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "Installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
