#!/bin/bash
# e2e: resource limits (memory, cpus, cpu-shares, cpuset, pids), OOM, live updates, stats.
# A limit whose controller is not delegated to us must be EOPNOTSUPP with a sentence naming
# the controller; where it is delegated, its effect is checked instead.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
setup

# the cgroup directory of a running container's init in the v1 memory hierarchy (or v2)
memcg_of() {
	local line
	line=$(grep -E '^[0-9]+:([^:]*,)?memory(,[^:]*)?:' "/proc/$1/cgroup" || true)
	if [ -n "$line" ]; then
		echo "/sys/fs/cgroup/memory${line#*:*:}"
	else
		line=$(grep '^0::' "/proc/$1/cgroup")
		echo "/sys/fs/cgroup${line#0::}"
	fi
}

step "memory: the default, then a value with a suffix, read back in bytes"
ctr_new m
assert_file "$C/m/memory" max
echo 16m >"$C/m/memory"
assert_file "$C/m/memory" 16777216
echo 1k >"$C/m/memory"
assert_file "$C/m/memory" 1024
echo 2g >"$C/m/memory"
assert_file "$C/m/memory" 2147483648

step "memory: bad values are EINVAL with a sentence, and change nothing"
for v in abc -5 0 12x 1.5m ''; do
	ctr_fail m 22 write memory "$v"
	assert_contains "$LAST_ERROR" memory "error after memory=[$v]"
	assert_file "$C/m/memory" 2147483648
done
echo max >"$C/m/memory"
assert_file "$C/m/memory" max

step "memory: a process allocating past 16m is OOM-killed"
echo 16m >"$C/m/memory"
assert_file "$C/m/oom" false
ctr_run m "sh -c 'x=aaaaaaaaaaaaaaaa; while true; do x=\$x\$x; done'"
assert_eq 137 "$(ctr_wait m)" "exit code of the allocating container"
assert_file "$C/m/status" "exited 137"
assert_file "$C/m/exitcode" 137
assert_file "$C/m/oom" true
assert_match '(OOM|[Oo]ut of memory)' "$(cat "$C/m/error")" "error after the OOM kill"
assert_file "$C/m/memory" 16777216

step "oom is false again after a run that was not killed"
echo max >"$C/m/memory"
ctr_run m true
assert_eq 0 "$(ctr_wait m)" "exit code of true"
assert_file "$C/m/oom" false

step "stats: the 6 keys, all 0 when not running"
stats=$(cat "$C/m/stats")
for k in memory_usage memory_peak memory_limit cpu_usage_ns pids oom_kills; do
	grep -qx "$k 0" <<<"$stats" || fail "stats of a stopped container: no [$k 0] in [$stats]"
done
assert_eq 6 "$(wc -l <"$C/m/stats")" "lines of stats"

step "an OOM kill of a child, the init lives on: oom_kills counts it while running"
ctr_new k
echo 16m >"$C/k/memory"
ctr_run k "sh -c 'sh -c \"x=aaaaaaaaaaaaaaaa; while true; do x=\\\$x\\\$x; done\"; echo child \$?; exec sleep 100'"
wait_for 10 grep -q 'child 137' "$C/k/logs-now"
assert_file "$C/k/status" running
assert_range 1 100 "$(stat_of k oom_kills)" "oom_kills of k"
assert_eq 16777216 "$(stat_of k memory_limit)" "memory_limit of k"
echo 'kill KILL' >"$C/k/ctl"
assert_eq 137 "$(ctr_wait k)" "k killed"

step "stats while running: usage > 0, grows when the container allocates; cpu under load"
ctr_new s
ctr_run s "sh -c 'while [ ! -e /tmp/go ]; do sleep 0.1; done; dd if=/dev/zero of=/dev/shm/fill bs=1M count=8 2>/dev/null; echo grown; i=0; while [ \$i -lt 300000 ]; do i=\$((i+1)); done; echo spun; exec sleep 100'"
pid=$(cat "$C/s/pid")
stats=$(cat "$C/s/stats")
for k in memory_usage memory_peak memory_limit cpu_usage_ns pids oom_kills; do
	grep -qEx "$k [0-9]+" <<<"$stats" || fail "stats of a running container: no [$k N] in [$stats]"
done
u0=$(stat_of s memory_usage)
assert_range 1 1000000000 "$u0" "memory_usage of a running container"
assert_eq 0 "$(stat_of s memory_limit)" "memory_limit without a limit"
assert_range 1 100 "$(stat_of s pids)" "pids of a running container"
c0=$(stat_of s cpu_usage_ns)
# the script goes on once /tmp/go exists in the container
ex s 'touch /tmp/go' >/dev/null
wait_for 20 grep -q spun "$C/s/logs-now"
u1=$(stat_of s memory_usage)
c1=$(stat_of s cpu_usage_ns)
# 8 MiB in the container's /dev/shm (a tmpfs: charged to its memory cgroup)
[ "$u1" -ge $((u0 + 4 * 1024 * 1024)) ] || fail "memory_usage went from $u0 to $u1 only after 8 MiB written to /dev/shm"
assert_range $((u1)) 100000000000 "$(stat_of s memory_peak)" "memory_peak >= memory_usage"
[ "$c1" -ge $((c0 + 50000000)) ] || fail "cpu_usage_ns went from $c0 to $c1 only after a busy loop"

step "memory: live update while running, kernel value in the cgroup"
cg=$(memcg_of "$pid")
[ -d "$cg" ] || fail "no memory cgroup directory $cg for $pid"
assert_ne "$(memcg_of $$)" "$cg" "the container's memory cgroup"
echo 64m >"$C/s/memory"
assert_file "$C/s/memory" 67108864
if [ -e "$cg/memory.limit_in_bytes" ]; then
	assert_file "$cg/memory.limit_in_bytes" 67108864
else
	assert_file "$cg/memory.max" 67108864
fi
assert_eq 67108864 "$(stat_of s memory_limit)" "memory_limit after the live update"
ctr_fail s 22 write memory 12x
assert_file "$C/s/memory" 67108864

step "memory: a live limit below the usage (no swap to push to) is EBUSY, the limit stays"
if [ "$(wc -l </proc/swaps)" -le 1 ]; then
	ctr_fail s 16 write memory 1m
	assert_file "$C/s/memory" 67108864
	assert_file "$C/s/status" running
fi
echo max >"$C/s/memory"
assert_file "$C/s/memory" max
echo 'kill KILL' >"$C/s/ctl"
assert_eq 137 "$(ctr_wait s)" "s killed"
[ ! -d "$cg" ] || wait_for 5 test ! -d "$cg"
assert_file "$C/s/memory" max

# --------------------------------------------------------------------------------- cpu etc.
# unavailable ctl: EOPNOTSUPP with a sentence naming the controller, before run and live,
# and run refuses a configured one
unavailable() {
	local file=$1 ctrl=$2 value=$3
	ctr_fail u 95 write "$file" "$value"
	assert_contains "$LAST_ERROR" "$ctrl" "error of $file without the $ctrl controller"
}

step "cpus, cpu-shares, cpuset, pids: defaults; bad values EINVAL where the controller is"
ctr_new u
assert_file "$C/u/cpus" max
assert_file "$C/u/cpu-shares" 1024
assert_file "$C/u/cpuset" all
assert_file "$C/u/pids" max
# writing the default needs no controller
echo max >"$C/u/cpus"
echo default >"$C/u/cpu-shares"
echo all >"$C/u/cpuset"
echo max >"$C/u/pids"
ncpu=$(nproc --all)
if cg_available cpu; then
	for v in abc -1 0 1.2345 $((ncpu + 1)); do ctr_fail u 22 write cpus "$v"; done
	for v in abc 1 262145 0x10; do ctr_fail u 22 write cpu-shares "$v"; done
fi
if cg_available cpuset; then
	for v in abc 0- "$ncpu" 1-0 -1; do ctr_fail u 22 write cpuset "$v"; done
fi
if cg_available pids; then
	for v in abc -1 0 1.5; do ctr_fail u 22 write pids "$v"; done
fi

if cg_available cpu; then
	step "cpus (cpu controller available): a busy loop gets about its quota"
	echo 0.5 >"$C/u/cpus"
	assert_match '^0\.50*$' "$(cat "$C/u/cpus")" "cpus read back"
	echo 512 >"$C/u/cpu-shares"
	assert_file "$C/u/cpu-shares" 512
	ctr_run u "sh -c 'while :; do :; done'"
	c0=$(stat_of u cpu_usage_ns)
	t0=$(now_ms)
	sleep 2
	c1=$(stat_of u cpu_usage_ns)
	t1=$(now_ms)
	share=$(((c1 - c0) / 10000 / (t1 - t0)))	# percent of one CPU
	assert_range 30 70 "$share" "percent of a CPU used under cpus=0.5"
	echo 1 >"$C/u/cpus"
	assert_match '^1(\.0*)?$' "$(cat "$C/u/cpus")" "cpus after a live update"
	echo 'kill KILL' >"$C/u/ctl"
	ctr_wait u >/dev/null
	echo max >"$C/u/cpus"
	echo default >"$C/u/cpu-shares"
	assert_file "$C/u/cpu-shares" 1024
else
	step "cpus, cpu-shares: no cpu controller here: EOPNOTSUPP"
	unavailable cpus cpu 0.5
	unavailable cpu-shares cpu 512
	assert_file "$C/u/cpus" max
	assert_file "$C/u/cpu-shares" 1024
fi

if cg_available cpuset; then
	step "cpuset (available): the container is pinned"
	echo 0 >"$C/u/cpuset"
	assert_file "$C/u/cpuset" 0
	out=$(ctr_out u 'grep Cpus_allowed_list /proc/self/status')
	assert_match $'^Cpus_allowed_list:\t0$' "$out" "Cpus_allowed_list inside"
	echo all >"$C/u/cpuset"
	assert_file "$C/u/cpuset" all
else
	step "cpuset: no cpuset controller here: EOPNOTSUPP"
	unavailable cpuset cpuset 0
	assert_file "$C/u/cpuset" all
fi

if cg_available pids; then
	step "pids (available): a fork loop stops at the limit, the host is unaffected"
	echo 20 >"$C/u/pids"
	assert_file "$C/u/pids" 20
	ctr_run u "sh -c 'i=0; while [ \$i -lt 60 ]; do sleep 30 & i=\$((i+1)); done 2>/dev/null; echo procs \$(ls -d /proc/[0-9]* | wc -l); exec sleep 100'"
	wait_for 10 grep -q '^procs ' "$C/u/logs-now"
	n=$(sed -n 's/^procs //p' "$C/u/logs-now")
	# sh, up to 19 sleeps (ls and wc may not even get a slot), never 61
	assert_range 5 20 "$n" "processes in a container limited to 20"
	assert_range 1 21 "$(stat_of u pids)" "stats pids"
	sh -c 'true' || fail "the host cannot fork"
	echo 'kill KILL' >"$C/u/ctl"
	ctr_wait u >/dev/null
	echo max >"$C/u/pids"
else
	step "pids: no pids controller here: EOPNOTSUPP"
	unavailable pids pids 20
	assert_file "$C/u/pids" max
fi

step "live writes of an unavailable controller are EOPNOTSUPP too; memory still works"
ctr_run u 'sleep 100'
for f in cpus:cpu:1 cpu-shares:cpu:512 cpuset:cpuset:0 pids:pids:50; do
	IFS=: read -r file ctrl v <<<"$f"
	cg_available "$ctrl" || unavailable "$file" "$ctrl" "$v"
done
echo 32m >"$C/u/memory"
assert_file "$C/u/memory" 33554432
echo 'kill KILL' >"$C/u/ctl"
ctr_wait u >/dev/null

ctr_rm_all
leak_check
pass
