#!/bin/bash
# e2e: the life of a container: mkdir, configure, run, wait, state files, logs, rmdir.
set -eu
. "$(dirname "$0")/lib.sh"
setup

RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$'

# ns_of TIME: an RFC 3339 time in nanoseconds since the epoch
ns_of() {
	date -u -d "$1" +%s%N
}

step "top level"
assert_match '^ctrfs [^ ]+$' "$(cat "$MNT/version")" "version"
assert_eq "" "$(ls -A "$C")" "containers/ of a fresh daemon"

step "mkdir creates a container in state created"
ctr_new c1
assert_eq "c1" "$(ls "$C")" "ls containers"
[ -d "$C/c1" ] || fail "c1 is not a directory"
assert_file "$C/c1/status" created
assert_file "$C/c1/image" busybox
assert_file_empty "$C/c1/pid"
assert_file_empty "$C/c1/exitcode"
assert_file_empty "$C/c1/started"
assert_file_empty "$C/c1/finished"
assert_file_empty "$C/c1/error"
id=$(cat "$C/c1/id")
assert_match '^[0-9a-f]{64}$' "$id" "id"
assert_file "$C/c1/id" "$id"
for f in ctl image cmd env workdir hostname status pid exitcode started finished id error \
	logs logs-now wait; do
	[ -e "$C/c1/$f" ] || fail "c1/$f does not exist"
done

listing=" $(ls "$C/c1" | tr '\n' ' ')"
for f in ctl image cmd env workdir hostname status pid exitcode started finished id error \
	logs logs-now wait; do
	assert_contains "$listing" " $f " "ls of c1"
done

step "ctl lists its verbs"
verbs=$(cat "$C/c1/ctl")
for v in run start stop kill restart; do
	assert_match "(^|[^a-z])$v([^a-z]|$)" "$verbs" "reading ctl"
done

step "cmd is read back re-quoted"
echo 'sh -c "echo hello; exit 3"' >"$C/c1/cmd"
back=$(cat "$C/c1/cmd")
eval "set -- $back"
assert_eq 3 "$#" "word count of cmd read back [$back]"
assert_eq sh "$1" "word 1"
assert_eq -c "$2" "word 2"
assert_eq "echo hello; exit 3" "$3" "word 3"
echo "$back" >"$C/c1/cmd"
assert_file "$C/c1/cmd" "$back"

step "run, wait prints the exit code"
before_ns=$(date -u +%s%N)
echo run >"$C/c1/ctl"
assert_eq 3 "$(ctr_wait c1)" "cat wait"
after_ns=$(date -u +%s%N)
assert_file "$C/c1/status" "exited 3"
assert_file "$C/c1/exitcode" 3
assert_file_empty "$C/c1/pid"
assert_file "$C/c1/wait" 3
started=$(cat "$C/c1/started")
finished=$(cat "$C/c1/finished")
assert_match "$RFC3339" "$started" "started"
assert_match "$RFC3339" "$finished" "finished"
s=$(ns_of "$started")
f=$(ns_of "$finished")
[ "$f" -ge "$s" ] || fail "finished $finished is before started $started"
# 1 s of slack each side for the clock granularity of the two processes
[ "$s" -ge $((before_ns - 1000000000)) ] || fail "started $started is before the run"
[ "$f" -le $((after_ns + 1000000000)) ] || fail "finished $finished is after wait returned"
assert_file "$C/c1/id" "$id"
assert_file_empty "$C/c1/error"

step "logs hold the output"
assert_file "$C/c1/logs-now" hello
assert_file "$C/c1/logs" hello
assert_eq 6 "$(stat -c %s "$C/c1/logs")" "size of logs"

step "run again: the log is appended, the times move"
sleep 0.05
echo run >"$C/c1/ctl"
assert_eq 3 "$(ctr_wait c1)" "cat wait after the second run"
assert_file "$C/c1/logs-now" $'hello\nhello'
s2=$(ns_of "$(cat "$C/c1/started")")
[ "$s2" -gt "$f" ] || fail "second start $(cat "$C/c1/started") is not after the first finish $finished"

step "rmdir removes it"
rmdir "$C/c1"
assert_eq "" "$(ls -A "$C")" "ls containers after rmdir"
[ ! -e "$C/c1" ] || fail "c1 still exists"
assert_errno 2 read "$C/c1/status"

step "a new container of the same name starts afresh"
ctr_new c1
id2=$(cat "$C/c1/id")
assert_ne "$id" "$id2" "id of the second c1"
assert_file "$C/c1/status" created
assert_file "$C/c1/cmd" sh
assert_file_empty "$C/c1/exitcode"
assert_file_empty "$C/c1/logs-now"
assert_eq 0 "$(stat -c %s "$C/c1/logs")" "size of logs of the second c1"
rmdir "$C/c1"

step "a container with the default command (sh) runs and exits 0"
ctr_new c2
assert_file "$C/c2/cmd" sh
echo run >"$C/c2/ctl"
assert_eq 0 "$(ctr_wait c2)" "cat wait"
assert_file "$C/c2/status" "exited 0"
assert_file "$C/c2/exitcode" 0

step "mode of mkdir is kept, the files follow the directory's owner"
mkdir -m 0700 "$C/c3"
echo "$(cat "$C/c3/id") c3" >>"$T/ids"
assert_eq "700 0 0" "$(stat -c '%a %u %g' "$C/c3")" "mode and owner of c3"
assert_eq "0 0" "$(stat -c '%u %g' "$C/c3/cmd")" "owner of c3/cmd"
chmod 0750 "$C/c3"
assert_eq 750 "$(stat -c %a "$C/c3")" "mode of c3 after chmod"

step "a running container: status, pid"
ctr_new c4
ctr_run c4 'sleep 30'
assert_file "$C/c4/status" running
pid=$(cat "$C/c4/pid")
assert_match '^[0-9]+$' "$pid" "pid of a running container"
[ -d "/proc/$pid" ] || fail "pid $pid of c4 is not a live process"
assert_ne "$(readlink /proc/self/ns/pid)" "$(readlink "/proc/$pid/ns/pid")" "pid namespace of c4"
assert_file "$C/c4/cmd" 'sleep 30'
assert_match '^sleep' "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "cmdline of c4's init"
assert_match "$RFC3339" "$(cat "$C/c4/started")" "started while running"
echo 'kill KILL' >"$C/c4/ctl"
assert_eq 137 "$(ctr_wait c4)" "wait after kill KILL"

step "info: daemon and host facts, counts"
info=$(cat "$MNT/info")
assert_match '(^|'$'\n'')cgroup_mode (v1|hybrid|v2)'$'\n' "$info" "cgroup_mode in info"
assert_match $'\n''containers [0-9]+'$'\n' "$info" "containers in info"
assert_match $'\n''images [1-9][0-9]*'$'\n' "$info" "images in info (busybox at least)"
assert_eq "$(ls "$C" | wc -l)" "$(sed -n 's/^containers //p' <<<"$info")" "info counts the containers"

ctr_rm_all
leak_check
pass
