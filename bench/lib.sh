# bench/lib.sh: shared by bench/lifecycle.sh and bench/callgrind.sh (sourced, bash).
# shellcheck shell=bash
#
# A bench script calls `bench_enter_ns "$@"` first: as root, it makes the temp dir $T, then
# runs the script again inside `unshare --mount --net --propagation private` (the "inner"
# stage) and, once that returns, removes what is left: the daemon if the inner stage was
# killed, the cgroups made here, the temp dir. The inner stage sets `trap bench_cleanup EXIT`.
#
# Every cgroup made here is named $PREFIX-* beneath our own memory cgroup ($MEMCG); the
# daemon runs in $MEMCG/$PREFIX-daemon, so the cgroups it makes for its containers are beneath
# it too. Nothing is ever made at the root of a hierarchy.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
CTRFS=${CTRFS:-$ROOT/build/ctrfs}
CRUN=${CRUN:-crun}
PREFIX=ctrfs-bench
DPID=
CRUN_ROOT=

die() { echo "${0##*/}: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

# Our own cgroup in the v1 memory hierarchy (on this machine the only controller where our
# path is not "/"). Empty if there is none.
bench_my_memcg() {
	local line
	line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' /proc/self/cgroup || true)
	line=${line#*:*:}
	if [ -n "$line" ] && [ "$line" != / ] && [ -d "/sys/fs/cgroup/memory$line" ]; then
		echo "/sys/fs/cgroup/memory$line"
	fi
}

# Remove, deepest first, every cgroup this run made ($MEMCG/$PREFIX-*).
bench_remove_cgroups() {
	local d
	[ -n "${MEMCG:-}" ] || return 0
	for d in "$MEMCG"/"$PREFIX"-*; do
		[ -d "$d" ] || continue
		find "$d" -depth -type d -exec rmdir {} \; 2> /dev/null || true
		if [ -d "$d" ]; then echo "${0##*/}: warning: could not remove cgroup $d" >&2; fi
	done
	return 0
}

# Outer stage. Returns only in the inner stage, with T, MEMCG, M (mount point) set.
bench_enter_ns() {
	if [ "${CTRFS_BENCH_STAGE:-}" = inner ]; then
		T=$CTRFS_BENCH_T
		MEMCG=$CTRFS_BENCH_MEMCG
		M=$T/mnt
		ip link set lo up 2> /dev/null || true
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "run as root (namespaces, FUSE mount, cgroups)"
	command -v unshare > /dev/null || die "unshare is missing"
	T=$(mktemp -d /tmp/ctrfs-bench.XXXXXX)
	MEMCG=$(bench_my_memcg)
	find /sys/fs/cgroup -mindepth 1 -type d 2> /dev/null | sort > "$T/cgroups.before"
	trap bench_outer_cleanup EXIT
	trap 'exit 130' INT TERM
	local rc=0
	CTRFS_BENCH_STAGE=inner CTRFS_BENCH_T=$T CTRFS_BENCH_MEMCG=$MEMCG \
		unshare --mount --net --propagation private -- "$0" "$@" || rc=$?
	exit $rc
}

bench_outer_cleanup() {
	set +e
	local pid
	# The inner stage stops the daemon; this catches an inner stage killed by SIGKILL. The pid
	# is ours only if its command line names our state dir.
	if [ -s "$T/ctrfs.pid" ]; then
		pid=$(cat "$T/ctrfs.pid")
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "--state-dir $T/state"; then
			kill -TERM "$pid"; sleep 1
			kill -0 "$pid" 2> /dev/null && kill -KILL "$pid"
		fi
	fi
	bench_remove_cgroups
	find /sys/fs/cgroup -mindepth 1 -type d 2> /dev/null | sort > "$T/cgroups.after"
	if comm -13 "$T/cgroups.before" "$T/cgroups.after" | grep -v "/$PREFIX-" | grep -q .; then
		echo "${0##*/}: note: cgroups that appeared during the run, outside ours (not removed; other users' or a daemon bug):" >&2
		comm -13 "$T/cgroups.before" "$T/cgroups.after" | grep -v "/$PREFIX-" | sed 's/^/  /' >&2
	fi
	rm -rf --one-file-system "$T"
}

# bench_start_daemon TIMEOUT_S [WRAPPER...]: start the daemon (under WRAPPER, e.g. valgrind)
# on $M with state and data in $T, in its own cgroup; wait until $M is mounted.
bench_start_daemon() {
	local timeout=$1
	shift
	[ -x "$CTRFS" ] || die "no ctrfs daemon at $CTRFS (build: cd $ROOT && meson setup build; ninja -C build)"
	mkdir -p "$M" "$T/state" "$T/data"
	# The run-state dir on a tmpfs, as /run (ctrfs's default --state-dir) is on any systemd
	# host; this machine's /run is on the disk. The mount dies with the bench's namespace.
	mountpoint -q "$T/state" || mount -t tmpfs -o mode=0700 ctrfs-bench-state "$T/state"
	note "starting $* $CTRFS"
	if [ -n "$MEMCG" ]; then
		mkdir -p "$MEMCG/$PREFIX-daemon"
		sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"' sh "$MEMCG/$PREFIX-daemon" \
			"$@" "$CTRFS" -f ${CTRFS_ARGS:-} --state-dir "$T/state" --data-dir "$T/data" "$M" > "$T/ctrfs.log" 2>&1 &
	else
		"$@" "$CTRFS" -f ${CTRFS_ARGS:-} --state-dir "$T/state" --data-dir "$T/data" "$M" > "$T/ctrfs.log" 2>&1 &
	fi
	DPID=$!
	echo "$DPID" > "$T/ctrfs.pid"
	for _ in $(seq $((timeout * 10))); do
		mountpoint -q "$M" && return 0
		if ! kill -0 "$DPID" 2> /dev/null; then
			tail -n 30 "$T/ctrfs.log" >&2
			DPID=
			die "ctrfs exited before mounting $M (its log is above)"
		fi
		sleep 0.1
	done
	tail -n 30 "$T/ctrfs.log" >&2
	die "ctrfs did not mount $M in $timeout s"
}

# Remove every container, stop the daemon with SIGTERM (its pid), wait for it.
bench_stop_daemon() {
	local d
	[ -n "$DPID" ] || return 0
	if kill -0 "$DPID" 2> /dev/null; then
		if mountpoint -q "$M"; then
			for d in "$M"/containers/*/; do
				[ -d "$d" ] || continue
				echo 'stop 1' > "$d/ctl"
				rmdir "$d" || echo "${0##*/}: warning: rmdir $d failed" >&2
			done
		fi
		kill -TERM "$DPID"
		for _ in $(seq 100); do kill -0 "$DPID" 2> /dev/null || break; sleep 0.1; done
		if kill -0 "$DPID" 2> /dev/null; then
			echo "${0##*/}: warning: ctrfs did not exit 10 s after SIGTERM; SIGKILL" >&2
			kill -KILL "$DPID"
		fi
	fi
	DSTATUS=0
	wait "$DPID" 2> /dev/null || DSTATUS=$?
	[ "$DSTATUS" = 0 ] || echo "${0##*/}: note: ctrfs exited with status $DSTATUS after SIGTERM" >&2
	DPID=
	return 0
}

# Inner stage's EXIT trap.
bench_cleanup() {
	set +e
	local id p myns
	bench_stop_daemon
	mountpoint -q "$M" && umount -l "$M"
	if [ -n "$CRUN_ROOT" ]; then
		for id in $("$CRUN" --root "$CRUN_ROOT" list -q 2> /dev/null); do
			"$CRUN" --root "$CRUN_ROOT" delete -f "$id"
		done
	fi
	# Anything still alive in our private network namespace was started by this run (say, a
	# container monitor of the daemon): report it and end it, by its pid.
	myns=$(readlink /proc/$$/ns/net)
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		if [ "$p" = $$ ] || [ "$p" = "$BASHPID" ]; then continue; fi
		[ "$(readlink "/proc/$p/ns/net" 2> /dev/null)" = "$myns" ] || continue
		echo "${0##*/}: warning: left-over process $p: $(tr '\0' ' ' < "/proc/$p/cmdline" 2> /dev/null)" >&2
		kill -KILL "$p" 2> /dev/null
	done
	bench_remove_cgroups
}

# bench_check_lifecycle NAME: one lifecycle through the files with a shell, checked; on a
# failure, print the container's error file and the daemon's log and exit 1.
bench_check_lifecycle() {
	local d=$M/containers/$1 code st
	_fail() {
		echo "${0##*/}: ctrfs check failed: $*" >&2
		[ -r "$d/error" ] && sed 's/^/  error: /' "$d/error" >&2
		echo "  daemon log ($T/ctrfs.log):" >&2
		tail -n 20 "$T/ctrfs.log" | sed 's/^/  /' >&2
		exit 1
	}
	mkdir "$d" || _fail "mkdir $d"
	echo /bin/true > "$d/cmd" || _fail "echo /bin/true > cmd"
	echo run > "$d/ctl" || _fail "echo run > ctl"
	code=$(timeout --foreground 30 cat "$d/wait") || _fail "cat wait (exit status $?)"
	[ "$code" = 0 ] || _fail "wait gave '$code', expected 0"
	st=$(cat "$d/status") || _fail "cat status"
	[ "$st" = "exited 0" ] || _fail "status is '$st', expected 'exited 0'"
	rmdir "$d" || _fail "rmdir $d"
	[ ! -e "$d" ] || _fail "$d still exists after rmdir"
}

# Build bench/lifecycle.c into $T/lifecycle.
bench_build_helper() {
	cc -O2 -Wall -o "$T/lifecycle" "$BENCH_DIR/lifecycle.c" || die "cannot build bench/lifecycle.c"
}
