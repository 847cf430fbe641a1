#!/bin/bash
# e2e: containers outlive the daemon. After a kill -9, a new daemon on the same dirs cleans
# the stale mount and adopts every container: status, pid, logs, wait, stop all work, and one
# that exited meanwhile shows its real code. SIGTERM unmounts and leaves containers running.
set -eu
. "$(dirname "$0")/lib.sh"
setup

TICKER='sh -c '\''while :; do echo tick; sleep 0.1; done'\'

step "three long-running containers (one printing), two short ones"
ctr_new a
ctr_new b
ctr_new tick
ctr_new early
ctr_new late
ctr_run a 'sleep 1000'
ctr_run b 'sh -c "sleep 1000; exit 1"'
ctr_run tick "$TICKER"
ctr_run early 'sh -c "sleep 1; exit 5"'
ctr_run late 'sh -c "sleep 4; exit 6"'
declare -A PID ST
for n in a b tick early late; do
	PID[$n]=$(cat "$C/$n/pid")
	ST[$n]=$(proc_start "${PID[$n]}")
	[ -n "${ST[$n]}" ] || fail "container $n: pid ${PID[$n]} is not alive"
done
id_a=$(cat "$C/a/id")

step "kill -9 the daemon: the mount goes stale, the containers keep running"
kill_daemon
errs=$(ls "$C" 2>&1) && fail "ls of the mount of a dead daemon succeeded: $errs"
assert_contains "$errs" "Transport endpoint is not connected" "ls of a stale mount"
sleep 2
for n in a b tick late; do
	alive "${PID[$n]}" "${ST[$n]}" || fail "container $n (pid ${PID[$n]}) died with the daemon"
done
alive "${PID[early]}" "${ST[early]}" && fail "early (pid ${PID[early]}) still runs after 2 s"

step "a new daemon cleans the stale mount and adopts every container"
start_daemon
n_mounts=$(awk -v m="$MNT" '$5 == m' /proc/self/mountinfo | wc -l)
assert_eq 1 "$n_mounts" "mounts at $MNT after the restart"
assert_eq "a b early late tick" "$(ls "$C" | tr '\n' ' ' | sed 's/ $//')" "ls containers"
for n in a b tick late; do
	assert_file "$C/$n/status" running
	assert_file "$C/$n/pid" "${PID[$n]}"
done
assert_file "$C/a/id" "$id_a"
assert_file "$C/a/cmd" 'sleep 1000'

step "early exited while no daemon ran: its real code"
assert_file "$C/early/status" "exited 5"
assert_file "$C/early/exitcode" 5
assert_eq 5 "$(ctr_wait early)" "cat wait of early"
assert_file_empty "$C/early/pid"
assert_match '^[0-9]{4}-' "$(cat "$C/early/finished")" "finished of early"

step "the log of tick still grows and streams"
s1=$(stat -c %s "$C/tick/logs")
sleep 0.5
s2=$(stat -c %s "$C/tick/logs")
[ "$s2" -gt "$s1" ] || fail "tick/logs does not grow after the restart ($s1 then $s2 bytes)"
n1=$(grep -c '^tick$' "$C/tick/logs-now")
sleep 0.5
n2=$(grep -c '^tick$' "$C/tick/logs-now")
[ "$n2" -gt "$n1" ] || fail "tick/logs-now does not grow after the restart ($n1 then $n2 ticks)"
assert_eq "" "$(grep -v '^tick$' "$C/tick/logs-now" || true)" "lines other than tick in tick/logs"
out=$(timeout 1 tail -f "$C/tick/logs" | tail -n 1) || true
assert_eq tick "$out" "the last line seen by tail -f on tick"

step "late exits after the restart: wait returns its code"
assert_eq 6 "$(ctr_wait late 10)" "cat wait of late"
assert_file "$C/late/status" "exited 6"

step "stop works on all three adopted containers"
for n in a b tick; do
	timeout 10 cat "$C/$n/wait" >"$T/wait.$n" &
done
for n in a b tick; do
	timed sh -c "echo 'stop 1' > '$C/$n/ctl'"
	assert_eq 0 "$RC" "status of stop 1 on $n"
	assert_range 0 4000 "$ELAPSED" "ms of stop 1 on $n"
	assert_file "$C/$n/status" "exited 137"
	alive "${PID[$n]}" "${ST[$n]}" && fail "$n (pid ${PID[$n]}) still runs after stop"
	assert_file "$C/$n/exitcode" 137
done
for n in a b tick; do
	wait_for 5 test -s "$T/wait.$n"
	assert_eq 137 "$(cat "$T/wait.$n")" "cat wait of $n started before stop"
done

step "SIGTERM: the daemon unmounts and containers keep running; a new one adopts them"
ctr_run a 'sleep 1000'
pa=$(cat "$C/a/pid")
sa=$(proc_start "$pa")
timeout 20 cat "$C/a/wait" >/dev/null 2>&1 &
timeout 20 cat "$C/a/logs" >/dev/null 2>&1 &
sleep 0.3
# with two reads blocked in it, the daemon must still exit and unmount within 10 s
stop_daemon
alive "$pa" "$sa" || fail "a died when the daemon stopped on SIGTERM"
start_daemon
assert_file "$C/a/status" running
assert_file "$C/a/pid" "$pa"
echo 'kill KILL' >"$C/a/ctl"
assert_eq 137 "$(ctr_wait a)" "cat wait of a after kill"

step "a daemon killed while a reader blocks on logs: the reader ends, the new daemon serves"
ctr_run tick "$TICKER"
timeout 20 cat "$C/tick/logs" >/dev/null 2>&1 &
reader=$!
sleep 0.3
kill_daemon
wait_for 5 sh -c "! kill -0 $reader 2>/dev/null"
start_daemon
assert_file "$C/tick/status" running
echo 'stop 1' >"$C/tick/ctl"
assert_file "$C/tick/status" "exited 137"

ctr_rm_all
leak_check
pass
