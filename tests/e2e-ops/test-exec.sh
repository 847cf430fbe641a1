#!/bin/bash
# e2e: exec/ (a command inside a running container): what it joins (namespaces, cgroup, root,
# env, workdir, credentials), exit codes, stdin, a terminal, the errors, and tools/ctrfs-exec
# on a real terminal (tmux) and on pipes.
set -eu
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/ops-lib.sh"
CTRFS_EXEC=${CTRFS_EXEC:-$(dirname "$CTRFS")/tools/ctrfs-exec}
[ -x "$CTRFS_EXEC" ] || { echo "FAIL: CTRFS_EXEC=$CTRFS_EXEC is not executable" >&2; exit 1; }
setup
TMUX_SOCK=$T/tmux.sock
# the tmux server is ours: end it before lib.sh's cleanup looks for leaks
trap 'rc=$?; set +eE; trap - ERR; tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; (exit $rc); cleanup' EXIT

step "a running container with env, workdir and hostname"
ctr_new e
printf 'FOO=bar\nSPACED=a b\n' >"$C/e/env"
echo /work/dir >"$C/e/workdir"
echo exechost >"$C/e/hostname"
ctr_run e "sh -c 'echo made-by-init > /tmp/marker; exec sleep 1000'"
marker_ready() {
	local o
	o=$(ex e 'cat /tmp/marker' 2>/dev/null) && [ "$o" == made-by-init ]
}
wait_for 5 marker_ready

step "exec/new returns a number; the session has its files"
n=$(cat "$C/e/exec/new")
assert_match '^[0-9]+$' "$n" "exec/new"
n2=$(cat "$C/e/exec/new")
assert_match '^[0-9]+$' "$n2" "exec/new again"
assert_ne "$n" "$n2" "two sessions"
for f in cmd env tty stdin output status error; do
	[ -e "$C/e/exec/$n/$f" ] || fail "exec/$n/$f does not exist"
done
assert_contains " $(ls "$C/e/exec" | tr '\n' ' ')" " $n " "ls exec"

step "hostname, pid namespace, rootfs"
assert_eq exechost "$(ex e hostname)" "hostname in an exec"
# od -c shows the NUL separators as \0
out=$(ex e 'od -An -c /proc/1/cmdline')
assert_eq 's l e e p \0 1 0 0 0 \0' "$(tr -s ' \n' '  ' <<<"$out" | sed 's/^ //; s/ $//')" "cmdline of pid 1 seen by an exec"
pid1_ns=$(readlink "/proc/$(cat "$C/e/pid")/ns/pid")
assert_eq made-by-init "$(ex e 'cat /tmp/marker')" "a file the init made"
out=$(ex e "sh -c 'echo \$\$; ls -d /proc/[0-9]* | wc -l'")
mypid=${out%%$'\n'*}
assert_range 2 100 "$mypid" "pid of an exec'd shell inside"
assert_range 2 10 "${out##*$'\n'}" "processes seen inside (init, exec helper's child, ls...)"

step "env: the container's env, the defaults, plus exec/N/env"
n=$(cat "$C/e/exec/new")
printf 'EXTRA=1\nFOO=over\n' >"$C/e/exec/$n/env"
echo env >"$C/e/exec/$n/cmd"
out=$(timeout 20 cat "$C/e/exec/$n/output")
assert_eq 0 "$(cat "$C/e/exec/$n/status")" "status of env"
for kv in EXTRA=1 FOO=over 'SPACED=a b' HOSTNAME=exechost HOME=/root; do
	grep -qxF "$kv" <<<"$out" || fail "no [$kv] in the env of an exec: [$out]"
done
grep -q '^PATH=/' <<<"$out" || fail "no PATH in the env of an exec: [$out]"
assert_eq 1 "$(grep -c '^FOO=' <<<"$out")" "FOO lines"
out=$(ex e env)
grep -qxF FOO=bar <<<"$out" || fail "no FOO=bar in a plain exec's env: [$out]"
grep -q '^EXTRA=' <<<"$out" && fail "EXTRA leaked into another session"

step "cwd is the workdir"
assert_eq /work/dir "$(ex e pwd)" "cwd of an exec"

step "cgroup, namespaces and credentials are the init's"
assert_eq "$(ex e 'cat /proc/1/cgroup')" "$(ex e 'cat /proc/self/cgroup')" "cgroup of an exec"
for ns in mnt uts ipc net pid cgroup; do
	assert_eq "$(ex e "readlink /proc/1/ns/$ns")" "$(ex e "readlink /proc/self/ns/$ns")" "$ns namespace of an exec"
done
assert_eq "$pid1_ns" "$(ex e 'readlink /proc/self/ns/pid')" "pid namespace seen from the host"
pat='^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'
assert_eq "$(ex e 'cat /proc/1/status' | grep -E "$pat")" "$(ex e 'cat /proc/self/status' | grep -E "$pat")" \
	"credentials of an exec"
# and seen from the host: the exec'd process is in the container's memory cgroup
ex_start e 'sleep 30'
cg_init=$(grep -E '^[0-9]+:([^:]*,)?memory' "/proc/$(cat "$C/e/pid")/cgroup")
find_sleep() {
	local p
	found=
	for p in $(pgrep -x sleep); do
		[ "$(readlink "/proc/$p/ns/pid")" == "$pid1_ns" ] || continue
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline")" == "sleep 30 " ] || continue
		found=$p
	done
	[ -n "$found" ]
}
find_sleep || { echo "note: sleep 30 not yet executed when the cmd write returned"; wait_for 5 find_sleep; }
assert_eq "$cg_init" "$(grep -E '^[0-9]+:([^:]*,)?memory' "/proc/$found/cgroup")" "host view of an exec's memory cgroup"
[ -n "$found" ] || fail "the exec'd sleep 30 was not found from the host"

step "rmdir of a running session is EBUSY; cmd twice is EBUSY"
assert_errno 16 rmdir "$EX"
assert_errno 16 write "$EX/cmd" true
kill -KILL "$found"
assert_eq 137 "$(timeout 10 cat "$EX/status")" "status of a killed exec"
s=${EX##*/}
rmdir "$EX"
[ ! -e "$EX" ] || fail "$EX still exists after rmdir"
assert_not_contains " $(ls "$C/e/exec" | tr '\n' ' ')" " $s " "ls exec after rmdir"

step "exit codes: 4, 127 for a missing binary (with a sentence), 126 not executable"
ex e "sh -c 'exit 4'" 4 >/dev/null
ex e /nosuch/binary 127 >/dev/null
assert_contains "$(cat "$EX/error")" /nosuch/binary "error of a missing binary"
ex e nosuchcmd 127 >/dev/null
assert_contains "$(cat "$EX/error")" nosuchcmd "error of a missing command"
ex e /etc/passwd 126 >/dev/null
assert_ne "" "$(cat "$EX/error")" "error of a file that is not executable"
assert_file_empty "$C/e/exec/$n/error"

step "stdin: opened before cmd, written, closed"
n=$(cat "$C/e/exec/new")
exec 3>"$C/e/exec/$n/stdin"
echo 'tr a-z A-Z' >"$C/e/exec/$n/cmd"
echo 'hello stdin' >&3
printf 'second line' >&3
exec 3>&-
assert_eq $'HELLO STDIN\nSECOND LINE' "$(timeout 20 cat "$C/e/exec/$n/output")" "output of tr"
assert_eq 0 "$(timeout 20 cat "$C/e/exec/$n/status")" "status of tr"
# without stdin opened, the command reads /dev/null (returns at once)
assert_eq 0 "$(ex e 'wc -c')" "wc -c of an exec's stdin without stdin"

step "a terminal through exec/N/tty"
n=$(cat "$C/e/exec/new")
echo '33 101' >"$C/e/exec/$n/tty"
echo "sh -c 'tty; stty size'" >"$C/e/exec/$n/cmd"
out=$(timeout 20 cat "$C/e/exec/$n/output" | tr -d '\r')
assert_eq 0 "$(timeout 20 cat "$C/e/exec/$n/status")" "status of tty; stty size"
assert_eq $'/dev/pts/0\n33 101' "$out" "tty and size"

step "exec/new of a container that does not run is EBUSY"
ctr_new idle
assert_errno 16 read "$C/idle/exec/new"
ctr_run idle true
ctr_wait idle >/dev/null
assert_errno 16 read "$C/idle/exec/new"

step "a finished session of an exited container can still be read and removed"
ctr_new short
ctr_run short 'sleep 1000'
ex_start short "sh -c 'echo bye; exit 6'"
assert_eq 6 "$(timeout 20 cat "$EX/status")" "status"
echo 'kill KILL' >"$C/short/ctl"
ctr_wait short >/dev/null
assert_errno 16 read "$C/short/exec/new"
rmdir "$C/short"

step "an image without /bin/sh: exec still works (execve directly)"
ctr_new nosh
ctr_run nosh '/bin/busybox sleep 1000'
ex nosh '/bin/busybox rm /bin/sh' >/dev/null
ex nosh '/bin/busybox ls /bin/sh' 1 >/dev/null
assert_eq ok "$(ex nosh '/bin/busybox echo ok')" "echo in a container without sh"
ex nosh 'sh -c true' 127 >/dev/null
assert_contains "$(cat "$EX/error")" sh "error of sh in a container without sh"

step "ctrfs-exec without a terminal: pipes and the exit code"
rc=0
out=$(echo hi | "$CTRFS_EXEC" -m "$MNT" e sh -c 'read x; echo $x; exit 3') || rc=$?
assert_eq hi "$out" "output of ctrfs-exec on a pipe"
assert_eq 3 "$rc" "exit code of ctrfs-exec"
rc=0
out=$("$CTRFS_EXEC" -m "$MNT" e hostname </dev/null) || rc=$?
assert_eq "0 exechost" "$rc $out" "ctrfs-exec hostname"
rc=0
"$CTRFS_EXEC" -m "$MNT" idle true </dev/null 2>"$T/err" || rc=$?
assert_ne 0 "$rc" "ctrfs-exec into a stopped container"
assert_ne "" "$(cat "$T/err")" "message of ctrfs-exec into a stopped container"

step "ctrfs-exec on a real terminal (tmux): pts, size, resize, exit code"
if command -v tmux >/dev/null; then
	pane() { tmux -S "$TMUX_SOCK" capture-pane -p -t x | tr -d '\r'; }
	pane_has() { pane | grep -qE "$1"; }
	tmux -S "$TMUX_SOCK" -f /dev/null new-session -d -s x -x 90 -y 30 \
		"$CTRFS_EXEC -m $MNT e; echo \$? > $T/rc; sleep 60"
	size=$(tmux -S "$TMUX_SOCK" display -p -t x '#{pane_height} #{pane_width}')
	wait_for 10 pane_has '#'
	tmux -S "$TMUX_SOCK" send-keys -t x 'tty; stty size; echo T''TY-DONE' Enter
	wait_for 10 pane_has '^TTY-DONE'
	pane | grep -qx '/dev/pts/[0-9]*' || fail "no tty line in the pane: $(pane)"
	pane | grep -qx "$size" || fail "no [$size] in the pane: $(pane)"
	tmux -S "$TMUX_SOCK" resize-window -t x -x 120 -y 40
	size2=$(tmux -S "$TMUX_SOCK" display -p -t x '#{pane_height} #{pane_width}')
	assert_ne "$size" "$size2" "pane size after resize-window"
	tmux -S "$TMUX_SOCK" send-keys -t x 'clear; stty size; echo S''IZE-DONE' Enter
	wait_for 10 pane_has '^SIZE-DONE'
	pane | grep -qx "$size2" || fail "no [$size2] in the pane after the resize: $(pane)"
	tmux -S "$TMUX_SOCK" send-keys -t x 'exit 5' Enter
	wait_for 10 test -s "$T/rc"
	assert_file "$T/rc" 5
	tmux -S "$TMUX_SOCK" kill-server
else
	echo "note: no tmux, the terminal part is skipped"
fi

ctr_rm_all
leak_check
pass
