#!/bin/bash
# bench/lifecycle.sh: the whole lifecycle of a /bin/true container, ctrfs side by side with
# `crun run` of the same busybox rootfs, timed with hyperfine. See docs/bench.md.
#
#   sudo bench/lifecycle.sh [--runs N] [--warmup N] [--out DIR] [--crun-only]
#
# Environment: CTRFS (daemon binary, default build/ctrfs), CRUN (default crun), CTRFS_ARGS
# (daemon options; default `--default-network none`: crun's container here has a network
# namespace with loopback only, so ctrfs's gets the same; set CTRFS_ARGS= to time the bridge).
# Everything happens in a private mount + network namespace made here; every temp dir, mount,
# cgroup, crun container and process made here is removed at the end (also on Ctrl-C).
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
RUNS=30
WARMUP=3
export CTRFS_ARGS=${CTRFS_ARGS---default-network none}
OUT=$BENCH_DIR/results
CRUN_ONLY=0

usage() { sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit "${1:-2}"; }

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--crun-only) CRUN_ONLY=1; shift ;;
	-h|--help) usage 0 ;;
	*) usage ;;
	esac
done
case $RUNS$WARMUP in *[!0-9]*) die "--runs and --warmup take numbers" ;; esac
for c in "$CRUN" hyperfine jq mountpoint cc busybox timeout; do
	command -v "$c" > /dev/null || die "$c is missing"
done
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

bench_enter_ns "${args[@]}"
# From here on: the inner stage, in a private mount + network namespace ("A").
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
B=$T/bundle
CRUN_ROOT=$T/crunroot

# --- the busybox rootfs (Debian's busybox-static) and the crun bundle ----------------------
note "building the busybox rootfs in $B/rootfs"
BUSYBOX=$(command -v busybox)
file -L "$BUSYBOX" 2> /dev/null | grep -q 'statically linked' || die "$BUSYBOX is not static (apt install busybox-static)"
mkdir -p "$B/rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
chmod 1777 "$B/rootfs/tmp"
cp "$BUSYBOX" "$B/rootfs/bin/busybox"
for p in $("$BUSYBOX" --list-full); do
	[ -e "$B/rootfs/$p" ] || [ -L "$B/rootfs/$p" ] || ln -s /bin/busybox "$B/rootfs/$p"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$B/rootfs/etc/passwd"
echo 'root:x:0:' > "$B/rootfs/etc/group"
[ -x "$B/rootfs/bin/true" ] || die "the rootfs has no /bin/true"

(cd "$B" && "$CRUN" spec)
# args /bin/true, no terminal, namespaces pid network ipc uts mount; no linux.resources: its
# default device rule is the only resource and, on cgroup v1, crun would look for a devices
# hierarchy beneath the cgroup path (hidden here, see below) and fail.
jq '.process.args = ["/bin/true"] | .process.terminal = false | .root.path = "rootfs"
    | .linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}]
    | del(.linux.resources)' "$B/config.json" > "$B/config-nocg.json"
CRUN_MEM=0
if [ -n "$MEMCG" ]; then
	mkdir "$MEMCG/$PREFIX-crun"
	jq --arg p "${MEMCG#/sys/fs/cgroup/memory}/$PREFIX-crun/c" '.linux.cgroupsPath = $p' \
		"$B/config-nocg.json" > "$B/config-mem.json"
	CRUN_MEM=1
else
	note "no memory cgroup of our own: crun runs with --cgroup-manager=disabled only"
fi

# Commands run in namespace "B" (a child of A) before hyperfine, so that crun 1.8.1 accepts the
# cgroup layout: no cgroup2 at /sys/fs/cgroup/unified (crun refuses hybrid mode), and only the
# memory hierarchy visible (crun creates cgroupsPath in every v1 hierarchy it finds under
# /sys/fs/cgroup; ours is "/" in all but memory, so it would create cgroups at their root).
# shellcheck disable=SC2016 # expanded by the bash -c of in_b
CG_SETUP='set -e
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
if [ "$CRUN_MEM" = 1 ]; then
	mount -t tmpfs -o mode=755,size=64k ctrfs-bench-cgroup /sys/fs/cgroup
	mkdir /sys/fs/cgroup/memory
	mount -t cgroup -o memory,nosuid,nodev,noexec cgroup /sys/fs/cgroup/memory
fi'
export CRUN_MEM
in_b() { unshare --mount --propagation private -- bash -c "$CG_SETUP"'
"$@"' bash "$@"; }

CRUN_MEM_CMD="$CRUN --root $CRUN_ROOT run -b $B -f $B/config-mem.json $PREFIX-crun"
CRUN_NOCG_CMD="$CRUN --root $CRUN_ROOT --cgroup-manager=disabled run -b $B -f $B/config-nocg.json $PREFIX-crun-nocg"

note "checking crun"
# shellcheck disable=SC2086 # the commands are split on blanks on purpose
{
	[ $CRUN_MEM = 0 ] || in_b $CRUN_MEM_CMD || die "crun run (memory cgroup) failed"
	in_b $CRUN_NOCG_CMD || die "crun run (--cgroup-manager=disabled) failed"
} || die "crun run (--cgroup-manager=disabled) failed"

# --- the ctrfs daemon -------------------------------------------------------------------------
bench_build_helper
if [ $CRUN_ONLY = 0 ]; then
	bench_start_daemon 30
	note "checking one ctrfs lifecycle (shell), then 3 with bench/lifecycle.c"
	bench_check_lifecycle "$PREFIX-check"
	timeout --foreground 30 "$T/lifecycle" "$M" "$PREFIX-check" 3 || die "bench/lifecycle.c failed (log: see above)"
fi

# --- hyperfine ---------------------------------------------------------------------------------
# Both sides run through hyperfine's shell (sh -c), whose own spawn time hyperfine measures and
# subtracts; so "ctrfs (sh)" counts the fork+exec of mkdir, cat and rmdir, as a user's shell does.
args=(--warmup "$WARMUP" --runs "$RUNS" --style basic
	--export-json "$OUT/lifecycle.json" --export-markdown "$OUT/lifecycle.md")
if [ $CRUN_ONLY = 0 ]; then
	D=$M/containers/$PREFIX-sh
	args+=(-n "ctrfs (sh: mkdir, echo, cat, rmdir)"
		"mkdir $D && echo /bin/true > $D/cmd && echo run > $D/ctl && cat $D/wait > /dev/null && rmdir $D")
	args+=(-n "ctrfs (C: same syscalls, no spawn)" "$T/lifecycle $M $PREFIX-c")
fi
[ $CRUN_MEM = 1 ] && args+=(-n "crun run (memory cgroup)" "$CRUN_MEM_CMD")
args+=(-n "crun run (--cgroup-manager=disabled)" "$CRUN_NOCG_CMD")
# The floor of the shell version: the same mkdir, cat and rmdir processes on a plain directory.
mkdir "$T/floor"
args+=(-n "floor: sh spawning mkdir, cat, rmdir (no ctrfs)"
	"mkdir $T/floor/x && cat /dev/null > /dev/null && rmdir $T/floor/x")
note "hyperfine: $WARMUP warm-up runs, $RUNS runs per command"
in_b timeout --foreground -k 10 1800 hyperfine "${args[@]}"

# --- where the daemon's time goes ---------------------------------------------------------------
if [ $CRUN_ONLY = 0 ]; then
	note "ctrfs per step, mean of $RUNS lifecycles (bench/lifecycle.c, LIFECYCLE_STEPS=1)"
	LIFECYCLE_STEPS=1 timeout --foreground 600 "$T/lifecycle" "$M" "$PREFIX-steps" "$RUNS" 2> "$OUT/lifecycle-steps.txt" ||
		{ cat "$OUT/lifecycle-steps.txt" >&2; die "bench/lifecycle.c failed"; }
	cat "$OUT/lifecycle-steps.txt"
fi

# --- the ratios --------------------------------------------------------------------------------
{
	echo "# ctrfs/crun lifecycle of /bin/true, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# $(uname -sr), $(nproc) CPUs, $("$CRUN" --version | head -1), $(hyperfine --version)"
	[ $CRUN_ONLY = 0 ] && echo "# ctrfs: $CTRFS ($(head -1 "$M/version" 2> /dev/null || true))"
	jq -r '.results[] | "\(.command)\tmean \(.mean*1000*100|round/100) ms\tstddev \(.stddev*1000*100|round/100) ms\tmedian \(.median*1000*100|round/100) ms"' "$OUT/lifecycle.json"
	# ratio of means; its stddev from the relative stddevs (independent samples)
	jq -r '.results as $r | [$r[] | select(.command | startswith("ctrfs") or startswith("floor"))] as $c
	  | [$r[] | select(.command | startswith("crun"))] as $k
	  | $c[] as $a | $k[] as $b
	  | ($a.mean / $b.mean) as $q
	  | ($q * ((($a.stddev/$a.mean)*($a.stddev/$a.mean) + ($b.stddev/$b.mean)*($b.stddev/$b.mean)) | sqrt)) as $s
	  | "ratio \($a.command) / \($b.command) = \($q*1000|round/1000) ± \($s*1000|round/1000) (medians: \($a.median/$b.median*1000|round/1000))"' "$OUT/lifecycle.json"
} | tee "$OUT/lifecycle-ratio.txt"
