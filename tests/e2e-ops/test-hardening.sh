#!/bin/bash
# e2e: what a container cannot do (docs/security.md): mount, modules, /proc/sys, masked
# paths, user namespaces, capabilities (Docker's default set), no_new_privs, seccomp,
# file descriptors, the ctrfs mount and host processes out of sight.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
setup

DOCKER_CAPS=00000000a80425fb

# status_field NAME KEY: a field of /proc/self/status of an exec in NAME
status_field() {
	ex "$1" 'cat /proc/self/status' | sed -n "s/^$2:[[:space:]]*//p"
}

step "a default container"
ctr_new h
ctr_run h 'sleep 1000'
assert_file "$C/h/seccomp" default
caps=$(cat "$C/h/caps")
assert_eq 14 "$(wc -l <<<"$caps")" "lines of the default caps"
for c in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP \
	NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
	grep -qx "CAP_$c" <<<"$caps" || fail "no CAP_$c in the default caps [$caps]"
done

step "mount fails"
out=$(ex h 'mount -t tmpfs x /mnt' 1 2>&1)
ex h "sh -c 'grep -c \" /mnt \" /proc/self/mountinfo'" 1 >/dev/null

step "loading a module fails"
ex h "sh -c 'echo junk > /tmp/x.ko'" >/dev/null
ex_start h 'insmod /tmp/x.ko'
ex_finish >/dev/null
assert_ne 0 "$EX_STATUS" "insmod in a container"
ex_start h 'modprobe nosuchmodule'
ex_finish >/dev/null
assert_ne 0 "$EX_STATUS" "modprobe in a container"

step "/proc/sys is read-only"
out=$(ex h "sh -c 'echo evil > /proc/sys/kernel/hostname'" 1 2>&1)
assert_contains "$out" "Read-only" "writing /proc/sys/kernel/hostname"
assert_ne evil "$(cat /proc/sys/kernel/hostname)" "host hostname"
assert_ne evil "$(ex h hostname)" "container hostname"

step "masked paths read nothing; /sys is read-only"
for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/sysrq-trigger; do
	assert_eq 0 "$(ex h "sh -c 'cat $p 2>/dev/null | wc -c'")" "bytes read from $p"
done
for p in /proc/scsi /proc/acpi /sys/firmware; do
	assert_eq "" "$(ex h "sh -c 'ls -A $p 2>/dev/null; true'")" "listing of $p"
done
out=$(ex h "sh -c 'touch /sys/x'" 1 2>&1)
assert_contains "$out" "Read-only" "touch /sys/x"
mi=$(ex h 'cat /proc/self/mountinfo')
sysline=$(awk '$5 == "/sys"' <<<"$mi")
assert_match '(^| )ro(,|$| )' "$(awk '{print $6}' <<<"$sysline")" "mount options of /sys"

step "unshare of a user namespace is refused by seccomp (EPERM)"
out=$(ex h 'unshare -U true' 1 2>&1)
assert_contains "$out" "Operation not permitted" "unshare -U"
out=$(ex h 'unshare -m true' 1 2>&1)
assert_contains "$out" "Operation not permitted" "unshare -m"

step "credentials: Docker's capabilities, no_new_privs, seccomp filter (init and exec)"
st=$(ex h 'cat /proc/1/status')
for k in CapPrm CapEff CapBnd; do
	assert_eq "$DOCKER_CAPS" "$(sed -n "s/^$k:[[:space:]]*//p" <<<"$st")" "$k of the init"
done
for k in CapInh CapAmb; do
	assert_eq 0000000000000000 "$(sed -n "s/^$k:[[:space:]]*//p" <<<"$st")" "$k of the init"
done
assert_eq 1 "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' <<<"$st")" "NoNewPrivs of the init"
assert_eq 2 "$(sed -n 's/^Seccomp:[[:space:]]*//p' <<<"$st")" "Seccomp of the init"
assert_eq "$DOCKER_CAPS" "$(status_field h CapEff)" "CapEff of an exec"
assert_eq "$DOCKER_CAPS" "$(status_field h CapBnd)" "CapBnd of an exec"
assert_eq 1 "$(status_field h NoNewPrivs)" "NoNewPrivs of an exec"
assert_eq 2 "$(status_field h Seccomp)" "Seccomp of an exec"
# from the host too
hpid=$(cat "$C/h/pid")
assert_eq "$DOCKER_CAPS" "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$hpid/status")" "CapEff of the init seen from the host"

step "file descriptors: only 0 1 2 in the init and in an exec"
assert_eq "0 1 2" "$(ex h 'ls /proc/1/fd' | xargs)" "fds of the init (sleep)"
# ls itself holds the directory it lists as 3
assert_eq "0 1 2 3" "$(ex h 'ls /proc/self/fd' | xargs)" "fds of ls in an exec"
ctr_new f
ctr_run f "sh -c 'ls /proc/self/fd; ls /proc/\$\$/fd; exit 0'"
assert_eq 0 "$(ctr_wait f)" "exit code of the fd listing"
assert_eq "0 1 2 3 0 1 2" "$(cat "$C/f/logs-now" | xargs)" "fds of ls and of the init shell"

step "the ctrfs mount and host paths are not in the container's mountinfo"
assert_not_contains "$mi" "$MNT" "mountinfo inside"
assert_not_contains "$mi" "$T" "mountinfo inside"
assert_not_contains "$mi" fuse "mountinfo inside"
ex h "ls $MNT" 1 >/dev/null 2>&1
ex h "ls $T" 1 >/dev/null 2>&1

step "no host process is visible or reachable"
pids=$(ex h "sh -c 'cd /proc && echo [0-9]*'")
for p in $pids; do
	assert_range 1 200 "$p" "a pid seen inside"
done
assert_eq 1 "$(ex h 'cat /proc/1/comm' | grep -c '^sleep$')" "pid 1 inside is the init"
out=$(ex h "kill -0 $DPID" 1 2>&1)
assert_contains "$out" "No such process" "kill -0 of the daemon's host pid"
ex h 'kill -0 1' >/dev/null
ex h "test -e /proc/$DPID" 1 >/dev/null
# kill -0 1 reached the container's init, which still runs: the host's init is untouched
assert_file "$C/h/status" running

step "seccomp unconfined: Seccomp 0, no_new_privs stays"
ctr_new u
echo unconfined >"$C/u/seccomp"
assert_file "$C/u/seccomp" unconfined
ctr_fail u 22 write seccomp strict
assert_file "$C/u/seccomp" unconfined
ctr_run u 'sleep 1000'
assert_eq 0 "$(status_field u Seccomp)" "Seccomp of an unconfined exec"
assert_eq 0 "$(ex u "sh -c 'grep Seccomp: /proc/1/status | tr -dc 0-9'")" "Seccomp of an unconfined init"
assert_eq 1 "$(status_field u NoNewPrivs)" "NoNewPrivs of an unconfined exec"
# mount is still refused: no CAP_SYS_ADMIN
ex u 'mount -t tmpfs x /mnt' 1 >/dev/null 2>&1
echo 'kill KILL' >"$C/u/ctl"
ctr_wait u >/dev/null

step "CAP_SYS_ADMIN with the default filter: mount is still refused (seccomp)"
printf 'CAP_SYS_ADMIN\n' >"$C/u/caps"
echo default >"$C/u/seccomp"
ctr_run u 'sleep 1000'
assert_eq 0000000000200000 "$(status_field u CapEff)" "CapEff with CAP_SYS_ADMIN alone"
out=$(ex u 'mount -t tmpfs x /mnt' 1 2>&1)
assert_contains "$out" "permission denied" "mount with CAP_SYS_ADMIN under seccomp"
echo 'kill KILL' >"$C/u/ctl"
ctr_wait u >/dev/null
# the same with the filter off: the mount works (so the filter is what refused it above)
echo unconfined >"$C/u/seccomp"
ctr_run u 'sleep 1000'
ex u 'mount -t tmpfs x /mnt' >/dev/null
assert_eq 1 "$(ex u "sh -c 'grep -c \" /mnt \" /proc/self/mountinfo'")" "tmpfs on /mnt with CAP_SYS_ADMIN, unconfined"
echo 'kill KILL' >"$C/u/ctl"
ctr_wait u >/dev/null
echo default >"$C/u/seccomp"

step "caps: one capability, names in any form, unknown names"
echo CAP_CHOWN >"$C/u/caps"
assert_file "$C/u/caps" CAP_CHOWN
ctr_run u 'sleep 1000'
assert_eq 0000000000000001 "$(status_field u CapEff)" "CapEff with CAP_CHOWN"
assert_eq 0000000000000001 "$(status_field u CapBnd)" "CapBnd with CAP_CHOWN"
ctr_fail u 16 write caps CAP_KILL
assert_eq 0000000000000001 "$(status_field u CapEff)" "CapEff after a refused live write"
echo 'kill KILL' >"$C/u/ctl"
ctr_wait u >/dev/null
printf 'net_admin\nKILL\n' >"$C/u/caps"
assert_eq "CAP_KILL CAP_NET_ADMIN" "$(sort "$C/u/caps" | tr '\n' ' ' | sed 's/ $//')" "caps read back"
for v in CAP_NOSUCH:CAP_NOSUCH nosuch:nosuch $'CAP_CHOWN\nbogus:bogus'; do
	ctr_fail u 22 write caps "${v%:*}"
	assert_contains "$LAST_ERROR" "${v##*:}" "error of caps [${v%:*}]"
done
assert_eq "CAP_KILL CAP_NET_ADMIN" "$(sort "$C/u/caps" | tr '\n' ' ' | sed 's/ $//')" "caps after bad writes"

ctr_rm_all
leak_check
pass
