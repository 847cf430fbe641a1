#!/bin/bash
# e2e: pause and resume (cgroup freezer, or SIGSTOP/SIGCONT where ctrfs has none), stop and
# kill while paused, the errors.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
setup
# lib.sh's cleanup kills only running containers: resume a paused one first (after a failure)
resume_paused() {
	local d
	[ -n "$DPID" ] || return 0
	for d in "$C"/*/; do
		[ "$(timeout 5 cat "$d/status" 2>/dev/null)" == paused ] || continue
		timeout 5 sh -c 'echo resume > "$1/ctl"' sh "$d" || echo "cleanup: resume of $d failed" >&2
	done
}
trap 'rc=$?; set +eE; trap - ERR; resume_paused; (exit $rc); cleanup' EXIT

lines() { wc -l <"$C/$1/logs-now"; }
lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }

# every process of the container (host pids), from the init's pid namespace
ctr_procs() {
	local ns p
	ns=$(readlink "/proc/$1/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" == "$ns" ] && echo "${p#/proc/}"
	done
	return 0
}

# proc_state PID: the state letter of a process (R S D T t Z...)
proc_state() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	s=${s##*) }
	echo "${s:0:1}"
}

if cg_available freezer; then how="cgroup freezer"; else how="SIGSTOP/SIGCONT"; fi
step "a container printing a line every 0.1 s (pause by $how)"
ctr_new p
ctr_run p "sh -c 'i=0; while true; do i=\$((i+1)); echo line \$i; sleep 0.1; done'"
pid=$(cat "$C/p/pid")
wait_for 5 lines_ge p 3

step "pause: status paused, no new line for 0.5 s, every process stopped"
echo pause >"$C/p/ctl"
assert_file "$C/p/status" paused
assert_file "$C/p/pid" "$pid"
sleep 0.1 # a line being written while the pause landed
n0=$(lines p)
sleep 0.6
assert_eq "$n0" "$(lines p)" "lines of the log while paused"
for q in $(ctr_procs "$pid"); do
	st=$(proc_state "$q")
	[ -z "$st" ] || [[ $st == [TtD] ]] || fail "process $q of the paused container is in state $st"
done

step "pause again is EBUSY; a config write while paused is EBUSY"
ctr_fail p 16 write ctl pause
assert_contains "$LAST_ERROR" paused "error of a second pause"
assert_file "$C/p/status" paused
ctr_fail p 16 write cmd true

step "resume: status running, lines go on"
echo resume >"$C/p/ctl"
assert_file "$C/p/status" running
wait_for 5 lines_ge p $((n0 + 3))
for q in $(ctr_procs "$pid"); do
	st=$(proc_state "$q")
	[[ $st != [Tt] ]] || fail "process $q of the resumed container is still stopped ($st)"
done
ctr_fail p 16 write ctl resume
assert_file "$C/p/status" running

step "pause and resume again, then exec works after resume"
echo pause >"$C/p/ctl"
assert_file "$C/p/status" paused
echo resume >"$C/p/ctl"
assert_eq "line" "$(ex p "sh -c 'echo line'")" "exec after resume"

step "stop while paused: it exits as a running one would"
# the same command, not paused, for the reference exit code (sh as pid 1 ignores SIGTERM, so
# stop ends with SIGKILL)
ctr_new ref
ctr_run ref "sh -c 'i=0; while true; do i=\$((i+1)); echo line \$i; sleep 0.1; done'"
echo 'stop 1' >"$C/ref/ctl"
want=$(ctr_wait ref)
assert_match '^(137|143)$' "$want" "exit code of stop 1 of a running container"
echo pause >"$C/p/ctl"
assert_file "$C/p/status" paused
n=$(cat "$C/p/exec/new" 2>/dev/null) && echo "note: exec/new of a paused container gave a session ($n)"
timed sh -c "echo 'stop 1' >'$C/p/ctl'"
assert_eq 0 "$RC" "stop 1 of a paused container"
assert_file "$C/p/status" "exited $want"
assert_eq "$want" "$(ctr_wait p)" "wait after stop while paused"
assert_range 0 5000 "$ELAPSED" "ms for stop 1 of a paused container"
assert_file_empty "$C/p/pid"
for q in $(ctr_procs "$pid"); do fail "process $q of the stopped container is left"; done

step "a paused container with a SIGTERM handler: stop thaws it, the handler runs (143)"
ctr_new t
ctr_run t "sh -c 'trap \"exit 143\" TERM; while true; do sleep 0.1; done'"
echo pause >"$C/t/ctl"
timed sh -c "echo 'stop 5' >'$C/t/ctl'"
assert_file "$C/t/status" "exited 143"
assert_range 0 3000 "$ELAPSED" "ms for stop 5 of a paused container with a TERM handler"

step "kill while paused"
ctr_new k
ctr_run k 'sleep 1000'
echo pause >"$C/k/ctl"
echo 'kill KILL' >"$C/k/ctl"
assert_eq 137 "$(ctr_wait k)" "kill KILL of a paused container"
assert_file "$C/k/status" "exited 137"

step "pause and resume of a container that does not run are EBUSY"
ctr_fail k 16 write ctl pause
ctr_fail k 16 write ctl resume
ctr_new c
ctr_fail c 16 write ctl pause
ctr_fail c 16 write ctl resume
assert_file "$C/c/status" created

step "restart of a paused container runs it again"
ctr_run k 'sleep 1000'
echo pause >"$C/k/ctl"
echo 'restart 1' >"$C/k/ctl"
assert_file "$C/k/status" running
echo 'kill KILL' >"$C/k/ctl"
ctr_wait k >/dev/null

ctr_rm_all
leak_check
pass
