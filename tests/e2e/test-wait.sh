#!/bin/bash
# e2e: cat wait blocks until the exit and prints the code; signals give 128+N; Ctrl-C
# returns; a wait on a container that never ran blocks until it has run.
set -eu
. "$(dirname "$0")/lib.sh"
setup

step "cat wait blocks until the exit and prints the code"
ctr_new w1
ctr_run w1 'sh -c "sleep 1; exit 42"'
timed ctr_wait w1
assert_eq 0 "$RC" "status of cat wait"
assert_range 700 5000 "$ELAPSED" "ms cat wait blocked on a container that sleeps 1 s"
assert_eq 42 "$(ctr_wait w1)" "cat wait"
assert_file "$C/w1/wait" 42
assert_file "$C/w1/status" "exited 42"
assert_file "$C/w1/exitcode" 42
timed ctr_wait w1
assert_range 0 1000 "$ELAPSED" "ms for cat wait on an exited container"

step "several waiters all get the code"
ctr_run w1 'sh -c "sleep 0.5; exit 9"'
pids=()
for i in 1 2 3; do
	timeout 10 cat "$C/w1/wait" >"$T/w1.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
for i in 1 2 3; do
	assert_eq 9 "$(cat "$T/w1.$i")" "waiter $i"
done

step "a container killed by SIGKILL gives 137"
ctr_new w2
ctr_run w2 'sleep 1000'
timeout 10 cat "$C/w2/wait" >"$T/w2.out" &
waiter=$!
sleep 0.3
kill -0 "$waiter" || fail "cat wait returned on a running container: $(cat "$T/w2.out")"
echo 'kill KILL' >"$C/w2/ctl"
wait_for 5 not_alive "$waiter"
wait "$waiter"
assert_eq 137 "$(cat "$T/w2.out")" "cat wait of a container killed by KILL"
assert_file "$C/w2/status" "exited 137"
assert_file "$C/w2/exitcode" 137

step "exit codes 0 and 255"
ctr_new w3
ctr_run w3 'sh -c "exit 255"'
assert_eq 255 "$(ctr_wait w3)" "cat wait of exit 255"
assert_file "$C/w3/status" "exited 255"
ctr_run w3 true
assert_eq 0 "$(ctr_wait w3)" "cat wait of true"
assert_file "$C/w3/status" "exited 0"

step "Ctrl-C on cat wait returns and the container still runs"
ctr_new w4
ctr_run w4 'sleep 1000'
timed timeout -s INT 1 cat "$C/w4/wait"
assert_eq 124 "$RC" "status of timeout -s INT 1 cat wait"
assert_range 900 3000 "$ELAPSED" "ms for cat wait to return on SIGINT"
out=$(sigint_read "$C/w4/wait")
assert_eq "EINTR in read" "${out%%$'\n'*}" "a python read of wait, blocked, on SIGINT"
assert_range 0 1000 "${out##*$'\n'}" "ms for the blocked read of wait to return EINTR"
assert_file "$C/w4/status" running
pid=$(cat "$C/w4/pid")
[ -d "/proc/$pid" ] || fail "w4's init $pid is gone after a Ctrl-C on cat wait"
echo 'kill KILL' >"$C/w4/ctl"
assert_eq 137 "$(ctr_wait w4)" "cat wait"

step "cat wait on a container that never ran blocks until it has run and exited"
ctr_new w5
timeout 20 cat "$C/w5/wait" >"$T/w5.out" &
waiter=$!
sleep 0.5
kill -0 "$waiter" || fail "cat wait returned on a created container: [$(cat "$T/w5.out")]"
echo 'sh -c "sleep 0.3; exit 4"' >"$C/w5/cmd"
echo run >"$C/w5/ctl"
wait_for 5 not_alive "$waiter"
wait "$waiter"
assert_eq 4 "$(cat "$T/w5.out")" "cat wait of a container started after the wait"

step "many blocked waiters do not wedge the filesystem"
ctr_new w6
ctr_run w6 'sleep 1000'
pids=()
for i in $(seq 1 30); do
	timeout 20 cat "$C/w6/wait" >"$T/w6.$i" &
	pids+=($!)
	timeout 20 cat "$C/w6/logs" >/dev/null &
	pids+=($!)
done
sleep 0.5
timed timeout 5 cat "$C/w6/status"
assert_eq 0 "$RC" "status of cat status with 60 blocked readers"
assert_range 0 1000 "$ELAPSED" "ms of cat status with 60 blocked readers"
timed ls "$C"
assert_range 0 1000 "$ELAPSED" "ms of ls with 60 blocked readers"
echo 'kill KILL' >"$C/w6/ctl"
for p in "${pids[@]}"; do
	wait "$p"
done
for i in $(seq 1 30); do
	assert_eq 137 "$(cat "$T/w6.$i")" "waiter $i of w6"
done

ctr_rm_all
leak_check
pass
