#!/bin/bash
# e2e: 20 shells create, run, wait for and remove 20 containers at the same time.
set -eu
. "$(dirname "$0")/lib.sh"
setup

N=20

# one client: create c$i, run `echo $i`, wait for it; write its exit code to $T/code.$i
client() {
	local i=$1 d=$C/c$1
	mkdir "$d" || exit 1
	echo "$(cat "$d/id") c$i" >>"$T/ids"
	echo "sh -c \"echo $i\"" >"$d/cmd" || exit 2
	echo run >"$d/ctl" || exit 3
	timeout 30 cat "$d/wait" >"$T/code.$i" || exit 4
}

step "$N containers created and run concurrently"
pids=()
start=$(now_ms)
for ((i = 1; i <= N; i++)); do
	client "$i" >"$T/client.$i" 2>&1 &
	pids+=($!)
done
for ((i = 1; i <= N; i++)); do
	rc=0
	wait "${pids[i - 1]}" || rc=$?
	[ $rc -eq 0 ] || fail "client $i failed at step $rc: $(cat "$T/client.$i")"
done
echo "   took $(($(now_ms) - start)) ms"
assert_eq "$N" "$(ls "$C" | wc -l)" "number of containers"
for ((i = 1; i <= N; i++)); do
	assert_eq 0 "$(cat "$T/code.$i")" "exit code of c$i"
	assert_file "$C/c$i/status" "exited 0"
	assert_file "$C/c$i/logs-now" "$i"
done
ids=$(for ((i = 1; i <= N; i++)); do cat "$C/c$i/id"; done | sort -u | wc -l)
assert_eq "$N" "$ids" "distinct ids"

step "run written by 3 shells at once: exactly one succeeds, the others get EBUSY"
ctr_new once
echo 'sleep 1000' >"$C/once/cmd"
pids=()
for i in 1 2 3; do
	errno_of write "$C/once/ctl" run >"$T/once.$i" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
assert_eq "0 16 16" "$(cat "$T"/once.* | sort -n | tr '\n' ' ' | sed 's/ $//')" "errnos of 3 concurrent runs"
assert_file "$C/once/status" running
ctr_record once >/dev/null
echo 'kill KILL' >"$C/once/ctl"
assert_eq 137 "$(ctr_wait once)" "exit code of once"
rmdir "$C/once"

step "$N containers removed concurrently"
pids=()
for ((i = 1; i <= N; i++)); do
	rmdir "$C/c$i" 2>"$T/rmdir.$i" &
	pids+=($!)
done
for ((i = 1; i <= N; i++)); do
	wait "${pids[i - 1]}" || fail "rmdir c$i failed: $(cat "$T/rmdir.$i")"
done
assert_eq "" "$(ls -A "$C")" "containers after the removals"

step "$N long-running containers started concurrently, then stopped concurrently"
for ((i = 1; i <= N; i++)); do
	ctr_new "r$i"
	echo 'sleep 1000' >"$C/r$i/cmd"
done
pids=()
for ((i = 1; i <= N; i++)); do
	sh -c 'echo run > "$1/ctl"' sh "$C/r$i" &
	pids+=($!)
done
for ((i = 1; i <= N; i++)); do
	wait "${pids[i - 1]}" || fail "run of r$i failed"
done
for ((i = 1; i <= N; i++)); do
	assert_file "$C/r$i/status" running
	ctr_record "r$i" >/dev/null
done
pids=()
start=$(now_ms)
for ((i = 1; i <= N; i++)); do
	sh -c 'echo "stop 1" > "$1/ctl"' sh "$C/r$i" &
	pids+=($!)
done
for ((i = 1; i <= N; i++)); do
	wait "${pids[i - 1]}" || fail "stop of r$i failed"
done
# sleep ignores TERM as pid 1: each stop takes 1 s; in parallel they must not queue up
assert_range 900 5000 $(($(now_ms) - start)) "ms for $N concurrent 'stop 1'"
for ((i = 1; i <= N; i++)); do
	assert_file "$C/r$i/status" "exited 137"
done

ctr_rm_all
leak_check
pass
