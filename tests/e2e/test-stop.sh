#!/bin/bash
# e2e: stop (TERM then KILL after SECS), kill with its signal syntaxes, restart, start alias.
set -eu
. "$(dirname "$0")/lib.sh"
setup

IGNORES_TERM='sh -c '\''trap "" TERM; while :; do sleep 0.1; done'\'
HANDLES_TERM='sh -c '\''trap "exit 7" TERM; while :; do sleep 0.1; done'\'
HANDLES_USR1='sh -c '\''trap "exit 10" USR1; while :; do sleep 0.1; done'\'

# a shell with a trap needs a moment to install it after exec
settle() {
	sleep 0.3
}

step "stop 1 on a container that ignores TERM: KILL after about 1 s"
ctr_new s1
ctr_run s1 "$IGNORES_TERM"
settle
timed sh -c "echo 'stop 1' > '$C/s1/ctl'"
assert_eq 0 "$RC" "status of echo 'stop 1' > ctl"
assert_range 900 4000 "$ELAPSED" "ms taken by stop 1 on a container ignoring TERM"
assert_file "$C/s1/status" "exited 137"
assert_file "$C/s1/exitcode" 137
assert_eq 137 "$(ctr_wait s1)" "cat wait after stop"
assert_file_empty "$C/s1/pid"

step "stop on a container that handles TERM returns as soon as it exits"
ctr_new s2
ctr_run s2 "$HANDLES_TERM"
settle
timed sh -c "echo stop > '$C/s2/ctl'"
assert_eq 0 "$RC" "status of echo stop > ctl"
assert_range 0 1500 "$ELAPSED" "ms taken by stop on a container handling TERM"
assert_file "$C/s2/status" "exited 7"
assert_eq 7 "$(ctr_wait s2)" "cat wait"

step "stop 0 kills at once"
ctr_run s1 "$IGNORES_TERM"
settle
timed sh -c "echo 'stop 0' > '$C/s1/ctl'"
assert_eq 0 "$RC" "status of echo 'stop 0' > ctl"
assert_range 0 800 "$ELAPSED" "ms taken by stop 0"
assert_file "$C/s1/status" "exited 137"

step "stop on a container that does not run: success, nothing changes"
echo stop >"$C/s2/ctl"
assert_file "$C/s2/status" "exited 7"
ctr_new s3
echo 'stop 5' >"$C/s3/ctl"
assert_file "$C/s3/status" created

step "kill TERM, kill SIGTERM, kill 15"
for sig in TERM SIGTERM 15; do
	ctr_run s2 "$HANDLES_TERM"
	settle
	echo "kill $sig" >"$C/s2/ctl"
	assert_eq 7 "$(ctr_wait s2 5)" "exit code after kill $sig"
	assert_file "$C/s2/status" "exited 7"
done

step "kill SIGUSR1, kill USR1, kill 10"
for sig in SIGUSR1 USR1 10; do
	ctr_run s2 "$HANDLES_USR1"
	settle
	echo "kill $sig" >"$C/s2/ctl"
	assert_eq 10 "$(ctr_wait s2 5)" "exit code after kill $sig"
done

step "kill 9, kill SIGKILL, kill (default KILL)"
for k in 'kill 9' 'kill SIGKILL' kill; do
	ctr_run s2 "$IGNORES_TERM"
	settle
	echo "$k" >"$C/s2/ctl"
	assert_eq 137 "$(ctr_wait s2 5)" "exit code after $k"
	assert_file "$C/s2/status" "exited 137"
done

step "restart: a running container runs again with a new pid"
ctr_new s4
ctr_run s4 "$HANDLES_TERM"
settle
pid1=$(cat "$C/s4/pid")
st1=$(proc_start "$pid1")
started1=$(cat "$C/s4/started")
sleep 0.05
timed sh -c "echo 'restart 5' > '$C/s4/ctl'"
assert_eq 0 "$RC" "status of echo 'restart 5' > ctl"
assert_range 0 2500 "$ELAPSED" "ms taken by restart of a container handling TERM"
assert_file "$C/s4/status" running
pid2=$(ctr_record s4)
assert_match '^[0-9]+$' "$pid2" "pid after restart"
assert_ne "$pid1" "$pid2" "pid after restart"
alive "$pid1" "$st1" && fail "the old init $pid1 still runs after restart"
[ -d "/proc/$pid2" ] || fail "the new init $pid2 is not alive"
assert_ne "$started1" "$(cat "$C/s4/started")" "started after restart"
assert_eq 7 "$(cat "$C/s4/exitcode")" "exitcode after restart (the stopped run)"

step "restart of a created container runs it"
ctr_new s6
printf '%s\n' "$HANDLES_TERM" >"$C/s6/cmd"
echo 'restart 1' >"$C/s6/ctl"
assert_file "$C/s6/status" running
ctr_record s6 >/dev/null
settle
echo 'kill TERM' >"$C/s6/ctl"
assert_eq 7 "$(ctr_wait s6)" "exit code of s6"

step "restart of an exited container runs it; start is an alias of run"
echo 'kill TERM' >"$C/s4/ctl"
assert_eq 7 "$(ctr_wait s4)" "exit code"
echo restart >"$C/s4/ctl"
assert_file "$C/s4/status" running
ctr_record s4 >/dev/null
echo 'stop 1' >"$C/s4/ctl"
assert_file "$C/s4/status" "exited 7"
echo start >"$C/s4/ctl"
assert_file "$C/s4/status" running
ctr_record s4 >/dev/null
echo 'stop 1' >"$C/s4/ctl"

step "stop kills the whole container, not only its init"
ctr_new s5
ctr_run s5 'sh -c "sleep 1000 & sleep 1000 & wait"'
settle
init=$(cat "$C/s5/pid")
kids=$(cat "/proc/$init/task/$init/children")
assert_match '^[0-9]+ [0-9]+ ?$' "$kids" "children of s5's init"
echo 'stop 1' >"$C/s5/ctl"
assert_file "$C/s5/status" "exited 137"
for k in $kids; do
	[ ! -d "/proc/$k" ] || fail "child $k of s5 survived the stop: $(cat "/proc/$k/stat")"
done

step "a second stop with a shorter SECS kills after its own SECS"
# From a shell, `>` truncates, and the kernel serializes that with the pending write: the
# second command is sent through python's os.open without O_TRUNC, as a program would.
ctr_new s7
ctr_run s7 "$IGNORES_TERM"
settle
start=$(now_ms)
sh -c "echo 'stop 5' > '$C/s7/ctl'; echo \$? > '$T/stop5.rc'" &
first=$!
sleep 0.3
timed python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"stop 1\n")' "$C/s7/ctl"
assert_eq 0 "$RC" "status of stop 1 while a stop 5 is pending"
assert_range 500 2500 "$ELAPSED" "ms taken by stop 1 issued while a stop 5 is pending"
wait "$first"
assert_eq 0 "$(cat "$T/stop5.rc")" "status of the pending stop 5"
assert_range 900 3000 $(($(now_ms) - start)) "ms until the pending stop 5 returned"
assert_file "$C/s7/status" "exited 137"

ctr_rm_all
leak_check
pass
