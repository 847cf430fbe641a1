# lib.sh: common helpers of the ctrfs end-to-end tests.
#
# A test is a bash script run by run-in-ns.sh (fresh private mount and network namespaces):
#
#	set -eu
#	. "$(dirname "$0")/lib.sh"
#	setup                  # temp dir, own cgroup, daemon mounted at $MNT
#	ctr_new web; ...       # drive it with plain file operations under $C
#	ctr_rm_all; leak_check
#	pass
#
# Variables: T (temp dir), MNT (the mount), C ($MNT/containers), STATE_DIR, DATA_DIR, DPID
# (daemon pid), PY (python3). leak_check checks what is left while the daemon runs, stops it
# with SIGTERM and checks again. The EXIT trap, which runs whether the test passed or
# failed, kills (through ctl) and removes every container left, stops the daemon by its pid,
# kills strays, unmounts and removes $T and the test's own cgroup. Assertions print the
# failing line and exit 1.
# shellcheck shell=bash

set -eEu

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CTRFS=${CTRFS:?CTRFS must name the ctrfs binary}
TEST_NAME=$(basename "$0" .sh)
SHELL_PID=$$
# the interpreter itself (not a pyenv shim), without site: each call starts in ~20 ms
PY=$(python3 -c 'import sys; print(sys.executable)')
T0_MS=$(($(date +%s%N) / 1000000))
DPID=
T=
MNT=
C=
STATE_DIR=
DATA_DIR=
CG_OWN=
CG_PARENT=
export SHELL_PID DPID T MNT STATE_DIR DATA_DIR

# ---------------------------------------------------------------- failures and assertions

# Print a message and the call stack (file:line and the source line), then exit 1.
fail() {
	local i src line
	echo "FAIL: $*" >&2
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		src=${BASH_SOURCE[i]}
		line=${BASH_LINENO[i - 1]}
		printf '  at %s:%s (%s): %s\n' "${src##*/}" "$line" "${FUNCNAME[i]}" \
			"$(sed -n "${line}{s/^[[:space:]]*//;p}" "$src" 2>/dev/null)" >&2
	done
	exit 1
}

on_err() {
	local rc=$1 cmd=$2 i src line
	# in a command substitution or a background subshell, let the parent report
	((BASH_SUBSHELL == 0)) || exit "$rc"
	echo "FAIL: command exited $rc: $cmd" >&2
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		src=${BASH_SOURCE[i]}
		line=${BASH_LINENO[i - 1]}
		printf '  at %s:%s (%s): %s\n' "${src##*/}" "$line" "${FUNCNAME[i]}" \
			"$(sed -n "${line}{s/^[[:space:]]*//;p}" "$src" 2>/dev/null)" >&2
	done
	exit "$rc"
}
trap 'on_err $? "$BASH_COMMAND"' ERR

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
	[ "$1" == "$2" ] ||
		fail "${3:-value}: expected [$(printf %q "$1")], got [$(printf %q "$2")]"
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-value}: expected anything but [$(printf %q "$1")]"
}

# assert_match ERE ACTUAL [WHAT]
assert_match() {
	[[ $2 =~ $1 ]] || fail "${3:-value}: [$(printf %q "$2")] does not match /$1/"
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
	[[ $1 == *"$2"* ]] || fail "${3:-value}: [$(printf %q "$1")] does not contain [$2]"
}

# assert_not_contains HAYSTACK NEEDLE [WHAT]
assert_not_contains() {
	[[ $1 != *"$2"* ]] || fail "${3:-value}: [$(printf %q "$1")] contains [$2]"
}

# assert_range LO HI N [WHAT]: LO <= N <= HI (integers)
assert_range() {
	[[ $3 =~ ^-?[0-9]+$ ]] || fail "${4:-value}: [$3] is not an integer"
	[ "$3" -ge "$1" ] && [ "$3" -le "$2" ] || fail "${4:-value}: $3 is not within [$1, $2]"
}

# assert_file FILE EXPECTED: the file holds exactly EXPECTED and a newline
assert_file() {
	local got
	got=$(timeout 10 cat -- "$1" && echo x) || fail "cannot read $1 (or it blocked for 10 s)"
	got=${got%x}
	[ "$got" == "$2"$'\n' ] ||
		fail "$1: expected [$(printf %q "$2"$'\n')], got [$(printf %q "$got")]"
}

# assert_file_empty FILE: an empty value (nothing, or a lone newline)
assert_file_empty() {
	local got
	got=$(timeout 10 cat -- "$1" && echo x) || fail "cannot read $1 (or it blocked for 10 s)"
	got=${got%x}
	[ -z "$got" ] || [ "$got" == $'\n' ] || fail "$1: expected empty, got [$(printf %q "$got")]"
}

errname() {
	case $1 in
	0) echo OK ;; 1) echo EPERM ;; 2) echo ENOENT ;; 4) echo EINTR ;; 5) echo EIO ;;
	11) echo EAGAIN ;; 13) echo EACCES ;; 16) echo EBUSY ;; 17) echo EEXIST ;;
	20) echo ENOTDIR ;; 21) echo EISDIR ;; 22) echo EINVAL ;; 27) echo EFBIG ;;
	36) echo ENAMETOOLONG ;; 38) echo ENOSYS ;; 39) echo ENOTEMPTY ;; 95) echo EOPNOTSUPP ;;
	107) echo ENOTCONN ;; *) echo "?" ;;
	esac
}

# errno_of OP PATH [DATA]: the errno of one file operation, 0 on success (see fsop.py)
errno_of() {
	"$PY" -S "$E2E_DIR/fsop.py" "$@"
}

# assert_errno ERRNO OP PATH [DATA]
assert_errno() {
	local want=$1 got
	shift
	got=$(errno_of "$@")
	[ "$got" == "$want" ] ||
		fail "$(printf '%q ' "$@"): expected errno $want ($(errname "$want")), got $got ($(errname "$got"))"
}

# ctr_fail NAME ERRNO OP FILE [DATA]: the operation on containers/NAME/FILE fails with ERRNO
# and the container's error file then holds a sentence (kept in LAST_ERROR).
ctr_fail() {
	local name=$1 want=$2 op=$3 file=$4
	shift 4
	assert_errno "$want" "$op" "$C/$name/$file" "$@"
	LAST_ERROR=$(cat "$C/$name/error")
	[ -n "$LAST_ERROR" ] || fail "$name/error is empty after a failed $op of $file"
}

# ---------------------------------------------------------------- time and waiting

now_ms() {
	local t=$EPOCHREALTIME
	t=${t//[.,]/}
	echo $((10#$t / 1000))
}

# timed CMD...: run CMD, set RC (its status) and ELAPSED (milliseconds); never fails
timed() {
	local s
	s=$(now_ms)
	RC=0
	"$@" || RC=$?
	ELAPSED=$(($(now_ms) - s))
}

# wait_for SECS CMD...: retry CMD every 50 ms until it succeeds; fail after SECS seconds
wait_for() {
	local end
	end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out waiting for: $*"
		sleep 0.05
	done
}

# not_alive PID: that process (a child of ours) has exited
not_alive() {
	! kill -0 "$1" 2>/dev/null
}

step() {
	echo "== $* (at $(($(now_ms) - T0_MS)) ms)"
}

# sigint_read PATH: open and read PATH to its end in python; once it is blocked in read(2)
# on PATH, send it SIGINT (as Ctrl-C does). Prints two lines: the result, then the
# milliseconds from the SIGINT to its exit. The result is "EINTR in read" when the blocked
# read() returned EINTR (python then raises KeyboardInterrupt), "EINTR in open" if open()
# was the call interrupted, "EOF" when it reached the end, "killed" when it had not
# returned 3 s after the SIGINT (it is then killed).
sigint_read() {
	local out=$T/sigint.$BASHPID p i t0 fd nr args
	"$PY" -S -c '
import os, signal, sys
# a background job of a non-interactive shell starts with SIGINT ignored: take it back
signal.signal(signal.SIGINT, signal.default_int_handler)
stage = "start"
try:
    stage = "open"
    fd = os.open(sys.argv[1], os.O_RDONLY)
    stage = "read"
    while os.read(fd, 65536):
        pass
    stage = "eof"
except KeyboardInterrupt:
    print("EINTR in " + stage)
    sys.exit(0)
print("EOF")
' "$1" >"$out" &
	p=$!
	# wait (at most 5 s) until it sits in read(2) (syscall 0 on x86-64) on a fd of PATH
	for ((i = 0; i < 250; i++)); do
		read -r nr args </proc/$p/syscall 2>/dev/null || break
		if [ "$nr" == 0 ]; then
			fd=$((${args%% *}))
			[ "$(readlink "/proc/$p/fd/$fd")" == "$1" ] && break
		fi
		sleep 0.02
	done
	[ -r /proc/$p/syscall ] || sleep 1
	sleep 0.1
	t0=$(now_ms)
	kill -INT "$p"
	for ((i = 0; i < 300; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$p" 2>/dev/null; then
		kill -KILL "$p"
		wait "$p" 2>/dev/null || true
		echo killed
	else
		wait "$p" 2>/dev/null || true
		cat "$out"
	fi
	echo $(($(now_ms) - t0))
	rm -f "$out"
}

# ---------------------------------------------------------------- the daemon

# _start_daemon: start ctrfs in the foreground in the background; wait until it serves the
# mount. Returns 1 with a message in START_ERR instead of failing (usable from the trap).
_start_daemon() {
	local i
	mkdir -p "$MNT" "$STATE_DIR" "$DATA_DIR"
	echo "--- start $(date +%T.%N)" >>"$T/daemon.log"
	"$CTRFS" -f --state-dir "$STATE_DIR" --data-dir "$DATA_DIR" "$MNT" \
		</dev/null >>"$T/daemon.log" 2>&1 &
	DPID=$!
	export DPID
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$DPID" 2>/dev/null; then
			wait "$DPID" || START_ERR="daemon exited with status $? while starting"
			DPID=
			START_ERR=${START_ERR:-daemon exited while starting}
			return 1
		fi
		if mountpoint -q "$MNT" && [ -d "$C" ]; then
			return 0
		fi
		sleep 0.05
	done
	START_ERR="daemon did not serve $MNT within 5 s"
	return 1
}

start_daemon() {
	_start_daemon || fail "$START_ERR"
}

# kill_daemon: SIGKILL (leaves a stale mount behind, as a crash does)
kill_daemon() {
	[ -n "$DPID" ] || fail "no daemon to kill"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
}

# stop_daemon: SIGTERM, which must exit within 10 s and unmount
stop_daemon() {
	local i
	[ -n "$DPID" ] || fail "no daemon to stop"
	kill -TERM "$DPID"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$DPID" 2>/dev/null && fail "daemon $DPID still runs 10 s after SIGTERM"
	wait "$DPID" 2>/dev/null || true
	DPID=
	! mountpoint -q "$MNT" || fail "$MNT is still mounted after the daemon exited on SIGTERM"
}

restart_daemon() {
	stop_daemon
	start_daemon
}

# ---------------------------------------------------------------- containers

# proc_start PID: the start time of a process (field 22 of stat), empty if it is gone
proc_start() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo "${20}"
}

# alive PID STARTTIME: that process still exists (and is not a zombie)
alive() {
	local s
	[ "$(proc_start "$1")" == "$2" ] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s:0:1}" != Z ]
}

# ctr_new NAME: mkdir containers/NAME; remember its id for the leak check
ctr_new() {
	mkdir "$C/$1"
	local id
	id=$(cat "$C/$1/id")
	[ -n "$id" ] || fail "$1/id is empty"
	echo "$id $1" >>"$T/ids"
}

# ctr_record NAME: remember the init pid (and start time) of a running container; prints it
ctr_record() {
	local pid st
	pid=$(cat "$C/$1/pid")
	[ -n "$pid" ] || return 0
	st=$(proc_start "$pid")
	[ -n "$st" ] && echo "$pid $st $1" >>"$T/pids"
	echo "$pid"
}

# ctr_run NAME CMD: set its cmd and run it (the ctl write returns once it was executed)
ctr_run() {
	printf '%s\n' "$2" >"$C/$1/cmd"
	echo run >"$C/$1/ctl"
	ctr_record "$1" >/dev/null
}

# ctr_wait NAME [SECS]: print its exit code (cat wait), failing after SECS (20)
ctr_wait() {
	local out rc=0
	out=$(timeout "${2:-20}" cat "$C/$1/wait") || rc=$?
	[ $rc -eq 0 ] || fail "cat $1/wait failed with status $rc"
	echo "$out"
}

# ctr_out NAME CMD [CODE]: run CMD in NAME, check its exit code (0), print what this run logged
ctr_out() {
	local size
	size=$(stat -c %s "$C/$1/logs")
	ctr_run "$1" "$2"
	assert_eq "${3:-0}" "$(ctr_wait "$1")" "exit code of $1 running [$2]"
	cat "$C/$1/logs-now" | tail -c +$((size + 1))
}

# ctr_status NAME
ctr_status() {
	cat "$C/$1/status"
}

status_is() {
	[ "$(cat "$C/$1/status" 2>/dev/null)" == "$2" ]
}

# ctr_rm_all: kill every running container, wait for it, rmdir every container
ctr_rm_all() {
	local d n
	for d in "$C"/*/; do
		[ -d "$d" ] || continue
		n=$(basename "$d")
		if [ "$(cat "$d/status")" == running ]; then
			echo 'kill KILL' >"$d/ctl"
			ctr_wait "$n" >/dev/null
		fi
		rmdir "$d"
		[ ! -e "$d" ] || fail "$n still exists after rmdir"
	done
}

# ---------------------------------------------------------------- setup, leaks, cleanup

# setup: temp dir, an own cgroup (so that the leak check sees only ours), the daemon
setup() {
	T=$(mktemp -d /tmp/ctrfs-e2e.XXXXXX)
	MNT=$T/mnt
	C=$MNT/containers
	STATE_DIR=$T/state
	DATA_DIR=$T/data
	export T MNT STATE_DIR DATA_DIR
	trap cleanup EXIT
	trap 'echo "FAIL: killed by SIGTERM" >&2; exit 143' TERM
	trap 'echo "FAIL: interrupted" >&2; exit 130' INT
	: >"$T/ids"
	: >"$T/pids"
	local base
	base=$("$PY" -S "$E2E_DIR/leaks.py" cgroup)
	if [ -n "$base" ] && mkdir "$base/ctrfs-e2e-$$" 2>/dev/null; then
		if echo $$ >"$base/ctrfs-e2e-$$/cgroup.procs" 2>/dev/null; then
			CG_OWN=$base/ctrfs-e2e-$$
			CG_PARENT=$base
		else
			rmdir "$base/ctrfs-e2e-$$"
		fi
	fi
	"$PY" -S "$E2E_DIR/leaks.py" snapshot >"$T/cgroups.before"
	step "$TEST_NAME: temp dir $T, cgroup ${CG_OWN:-$base}"
	start_daemon
	[ -d "$C" ] || fail "$C is not a directory"
}

# leak_check: after every container was removed, nothing may be left behind: checked while
# the daemon runs, then after it stopped on SIGTERM (which must unmount)
leak_check() {
	local left
	left=$(ls -A "$C")
	[ -z "$left" ] || fail "containers left: $left"
	"$PY" -S "$E2E_DIR/leaks.py" check-running || fail "leaks found (see LEAK lines above)"
	# a network stays (like docker0), the endpoint (veth) of a removed container does not
	left=$(ip -o link show type veth 2>/dev/null | cut -d: -f2 | tr -d ' ' | tr '\n' ' ')
	[ -z "$left" ] || fail "veth links left in the test's network namespace: $left"
	stop_daemon
	"$PY" -S "$E2E_DIR/leaks.py" check-stopped ||
		fail "leaks found after the daemon stopped (see LEAK lines above)"
}

pass() {
	echo "PASS: $TEST_NAME"
	exit 0
}

cleanup() {
	local rc=$? problems=0 d n i j names
	set +eE
	trap - ERR
	cd /
	# background jobs of the test (readers such as cat logs), except the daemon
	for j in $(jobs -p); do
		[ "$j" == "$DPID" ] || kill -KILL "$j" 2>/dev/null
	done
	if [ $rc -ne 0 ] && [ -s "$T/daemon.log" ]; then
		echo "--- last lines of the daemon log ($T/daemon.log):" >&2
		tail -n 40 "$T/daemon.log" >&2
	fi
	if [ -n "$DPID" ] && ! kill -0 "$DPID" 2>/dev/null; then
		wait "$DPID" 2>/dev/null
		DPID=
	fi
	# a failed test may have killed the daemon with containers running: start one to stop
	# them the normal way (after a passed test, leak_check has already stopped it)
	if [ $rc -ne 0 ] && [ -z "$DPID" ] && [ -n "$T" ] && [ -d "$STATE_DIR" ]; then
		_start_daemon 2>/dev/null || echo "cleanup: $START_ERR" >&2
	fi
	if [ -n "$DPID" ] && names=$(timeout 5 ls -A "$C" 2>/dev/null); then
		for n in $names; do
			d=$C/$n
			if [ "$(timeout 5 cat "$d/status")" == running ]; then
				timeout 5 sh -c 'echo "kill KILL" > "$1/ctl"' sh "$d" ||
					echo "cleanup: kill KILL of $n failed" >&2
				timeout 10 cat "$d/wait" >/dev/null ||
					echo "cleanup: cat $n/wait failed" >&2
			fi
		done
		for n in $names; do
			if ! timeout 10 rmdir "$C/$n"; then
				echo "cleanup: rmdir $n failed" >&2
				problems=1
			fi
		done
	fi
	if [ -n "$DPID" ]; then
		kill -TERM "$DPID" 2>/dev/null
		for ((i = 0; i < 200; i++)); do
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$DPID" 2>/dev/null; then
			echo "cleanup: daemon $DPID ignored SIGTERM for 10 s, killing it" >&2
			kill -KILL "$DPID" 2>/dev/null
			problems=1
		elif timeout 5 mountpoint -q "$MNT"; then
			echo "cleanup: $MNT still mounted after the daemon exited on SIGTERM" >&2
			problems=1
		fi
		wait "$DPID" 2>/dev/null
		DPID=
	fi
	export DPID
	if [ -n "$T" ]; then
		"$PY" -S "$E2E_DIR/leaks.py" kill
		# unmount whatever is left below $T, deepest first
		awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo |
			sort -r | while read -r d; do umount -l "$d" 2>/dev/null; done
	fi
	if [ -n "$CG_OWN" ]; then
		echo $$ >"$CG_PARENT/cgroup.procs" 2>/dev/null
		for ((i = 0; i < 40; i++)); do
			find "$CG_OWN" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null
			rmdir "$CG_OWN" 2>/dev/null && break
			sleep 0.05
		done
		[ -d "$CG_OWN" ] && echo "cleanup: cannot remove cgroup $CG_OWN" >&2
	fi
	[ -n "$T" ] && rm -rf --one-file-system "$T"
	[ $rc -eq 0 ] && [ $problems -ne 0 ] && rc=1
	exit $rc
}
