#!/bin/bash
# bench/exec.sh: the round trip of `true` inside a running container, ctrfs through its files
# (exec/new, write cmd, read status) side by side with `crun exec` into a crun container of the
# same busybox rootfs, timed with hyperfine. See docs/bench.md.
#
#   sudo bench/exec.sh [--runs N] [--warmup N] [--out DIR]
#
# Environment: CTRFS (daemon binary, default build/ctrfs), CRUN (default crun).
# Everything happens in a private mount + network namespace made here; every temp dir, mount,
# cgroup, crun container and process made here is removed at the end (also on Ctrl-C).
set -euo pipefail

# shellcheck source=lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
RUNS=100
WARMUP=5
OUT=$BENCH_DIR/results

usage() { sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit "${1:-2}"; }

args=("$@")
while [ $# -gt 0 ]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
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
B=$T/bundle
CRUN_ROOT=$T/crunroot
CRUN_NAMES=()

# crun containers are deleted from namespace B (where crun accepts the cgroup layout), then
# the rest as lifecycle.sh does
exec_cleanup() {
	set +e
	local id
	for id in "${CRUN_NAMES[@]}"; do
		in_b "$CRUN" --root "$CRUN_ROOT" delete -f "$id" 2> /dev/null
		in_b "$CRUN" --root "$CRUN_ROOT" --cgroup-manager=disabled delete -f "$id" 2> /dev/null
	done
	bench_cleanup
}
trap exec_cleanup EXIT
trap 'exit 130' INT TERM

# --- the busybox rootfs (Debian's busybox-static) and the crun bundle (as lifecycle.sh) -------
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

(cd "$B" && "$CRUN" spec)
# a long-running init (sleep), no terminal, the namespaces of lifecycle.sh plus cgroup, no
# linux.resources (see lifecycle.sh)
jq '.process.args = ["/bin/sleep", "1000000"] | .process.terminal = false | .root.path = "rootfs"
    | .linux.namespaces = [{"type":"pid"},{"type":"network"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]
    | del(.linux.resources)' "$B/config.json" > "$B/config-nocg.json"
CRUN_MEM=0
CRUN_CG=
if [ -n "$MEMCG" ]; then
	mkdir "$MEMCG/$PREFIX-crun"
	CRUN_CG=${MEMCG#/sys/fs/cgroup/memory}/$PREFIX-crun/c
	jq --arg p "$CRUN_CG" '.linux.cgroupsPath = $p' \
		"$B/config-nocg.json" > "$B/config-mem.json"
	CRUN_MEM=1
else
	note "no memory cgroup of our own: crun runs with --cgroup-manager=disabled only"
fi

# namespace B: what crun 1.8.1 needs to accept this hybrid cgroup layout (see lifecycle.sh)
# shellcheck disable=SC2016 # expanded by the bash -c of in_b
CG_SETUP='set -e
if mountpoint -q /sys/fs/cgroup/unified; then umount /sys/fs/cgroup/unified; fi
if [ "$CRUN_MEM" = 1 ]; then
	mount -t tmpfs -o mode=755,size=256k ctrfs-bench-cgroup /sys/fs/cgroup
	mkdir /sys/fs/cgroup/memory
	mount -t cgroup -o memory,nosuid,nodev,noexec cgroup /sys/fs/cgroup/memory
	# crun exec reads freezer.state to refuse a paused container; the freezer hierarchy is not
	# ours (its root), so B gets a stand-in on its tmpfs saying THAWED
	mkdir -p "/sys/fs/cgroup/freezer$CRUN_CG"
	echo THAWED > "/sys/fs/cgroup/freezer$CRUN_CG/freezer.state"
fi'
export CRUN_MEM CRUN_CG
in_b() { unshare --mount --propagation private -- bash -c "$CG_SETUP"'
"$@"' bash "$@"; }

note "starting the crun containers (crun run --detach, sleep)"
CRUN_NOCG="$CRUN --root $CRUN_ROOT --cgroup-manager=disabled"
CRUN_NAMES+=("$PREFIX-exec-nocg")
# shellcheck disable=SC2086 # the commands are split on blanks on purpose
in_b $CRUN_NOCG run -d -b "$B" -f "$B/config-nocg.json" "$PREFIX-exec-nocg" < /dev/null ||
	die "crun run -d (--cgroup-manager=disabled) failed"
# shellcheck disable=SC2086
in_b $CRUN_NOCG exec "$PREFIX-exec-nocg" /bin/true || die "crun exec (--cgroup-manager=disabled) failed"
if [ $CRUN_MEM = 1 ]; then
	CRUN_NAMES+=("$PREFIX-exec-mem")
	in_b "$CRUN" --root "$CRUN_ROOT" run -d -b "$B" -f "$B/config-mem.json" "$PREFIX-exec-mem" < /dev/null ||
		die "crun run -d (memory cgroup) failed"
	in_b "$CRUN" --root "$CRUN_ROOT" exec "$PREFIX-exec-mem" /bin/true || die "crun exec (memory cgroup) failed"
fi

# --- the ctrfs daemon and its container ---------------------------------------------------
cc -O2 -Wall -o "$T/exec" "$BENCH_DIR/exec.c" || die "cannot build bench/exec.c"
bench_start_daemon 30
D=$M/containers/$PREFIX-exec
mkdir "$D"
echo 'sleep 1000000' > "$D/cmd"
echo run > "$D/ctl"
[ "$(cat "$D/status")" = running ] || die "the ctrfs container does not run: $(cat "$D/error")"
note "checking one ctrfs exec (shell), then 3 with bench/exec.c"
n=$(cat "$D/exec/new")
echo true > "$D/exec/$n/cmd"
[ "$(timeout 30 cat "$D/exec/$n/status")" = 0 ] || die "exec of true gave $(cat "$D/exec/$n/status"): $(cat "$D/exec/$n/error")"
rmdir "$D/exec/$n"
timeout --foreground 30 "$T/exec" "$M" "$PREFIX-exec" 3 || die "bench/exec.c failed"

# --- hyperfine ---------------------------------------------------------------------------------
# Every command runs through hyperfine's shell (sh -c), whose spawn time hyperfine subtracts;
# the "ctrfs (sh)" line counts the fork+exec of cat (twice) and rmdir, as a user's shell does.
args=(--warmup "$WARMUP" --runs "$RUNS" --style basic
	--export-json "$OUT/exec.json" --export-markdown "$OUT/exec.md")
args+=(-n "ctrfs (sh: cat exec/new, echo cmd, cat status, rmdir)"
	"n=\$(cat $D/exec/new) && echo true > $D/exec/\$n/cmd && cat $D/exec/\$n/status > /dev/null && rmdir $D/exec/\$n")
args+=(-n "ctrfs (C: same syscalls, no spawn)" "$T/exec $M $PREFIX-exec")
[ $CRUN_MEM = 1 ] && args+=(-n "crun exec (memory cgroup)" "$CRUN --root $CRUN_ROOT exec $PREFIX-exec-mem /bin/true")
args+=(-n "crun exec (--cgroup-manager=disabled)" "$CRUN_NOCG exec $PREFIX-exec-nocg /bin/true")
mkdir "$T/floor"
args+=(-n "floor: sh spawning cat, cat, rmdir (no ctrfs)"
	"n=\$(cat /dev/null) && echo true > $T/floor/x && cat $T/floor/x > /dev/null && mkdir $T/floor/d && rmdir $T/floor/d")
note "hyperfine: $WARMUP warm-up runs, $RUNS runs per command"
in_b timeout --foreground -k 10 1800 hyperfine "${args[@]}"

note "ctrfs per step, mean of $((RUNS * 10)) round trips (bench/exec.c, EXEC_STEPS=1)"
EXEC_STEPS=1 timeout --foreground 600 "$T/exec" "$M" "$PREFIX-exec" $((RUNS * 10)) 2> "$OUT/exec-steps.txt" ||
	{ cat "$OUT/exec-steps.txt" >&2; die "bench/exec.c failed"; }
cat "$OUT/exec-steps.txt"

# --- the ratios --------------------------------------------------------------------------------
{
	echo "# ctrfs exec / crun exec of /bin/true in a running container, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "# $(uname -sr), $(nproc) CPUs, $("$CRUN" --version | head -1), $(hyperfine --version)"
	echo "# ctrfs: $CTRFS ($(head -1 "$M/version" 2> /dev/null || true))"
	jq -r '.results[] | "\(.command)\tmean \(.mean*1000*1000|round/1000) ms\tstddev \(.stddev*1000*1000|round/1000) ms\tmedian \(.median*1000*1000|round/1000) ms"' "$OUT/exec.json"
	jq -r '.results as $r | [$r[] | select(.command | startswith("ctrfs") or startswith("floor"))] as $c
	  | [$r[] | select(.command | startswith("crun"))] as $k
	  | $c[] as $a | $k[] as $b
	  | ($a.mean / $b.mean) as $q
	  | ($q * ((($a.stddev/$a.mean)*($a.stddev/$a.mean) + ($b.stddev/$b.mean)*($b.stddev/$b.mean)) | sqrt)) as $s
	  | "ratio \($a.command) / \($b.command) = \($q*1000|round/1000) ± \($s*1000|round/1000) (medians: \($a.median/$b.median*1000|round/1000))"' "$OUT/exec.json"
} | tee "$OUT/exec-ratio.txt"
