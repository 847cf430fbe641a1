#!/bin/bash
# e2e: the exact errno of every documented failure, and the sentence left in `error`.
set -eu
. "$(dirname "$0")/lib.sh"
setup

step "names"
assert_errno 22 mkdir "$C/.hidden"
assert_errno 22 mkdir "$C/-dash"
assert_errno 22 mkdir "$C/_under"
assert_errno 22 mkdir "$C/$(printf 'a%.0s' {1..65})"
assert_errno 22 mkdir "$C/a b"
assert_errno 22 mkdir "$C/a:b"
assert_errno 22 mkdir "$C/a*b"
assert_errno 22 mkdir "$C/é"
assert_errno 2 mkdir "$C/nosuch/b"
assert_eq "" "$(ls -A "$C")" "containers after rejected names"
name64=$(printf 'b%.0s' {1..64})
assert_errno 0 mkdir "$C/$name64"
echo "$(cat "$C/$name64/id") $name64" >>"$T/ids"
assert_errno 0 mkdir "$C/A9_.-z"
echo "$(cat "$C/A9_.-z/id") A9_.-z" >>"$T/ids"
assert_errno 0 mkdir "$C/7"
echo "$(cat "$C/7/id") 7" >>"$T/ids"
assert_errno 17 mkdir "$C/7"

step "mkdir elsewhere is EPERM; unknown files are EACCES; unlink is EPERM"
assert_errno 1 mkdir "$MNT/x"
assert_errno 1 mkdir "$C/7/sub"
assert_errno 13 create "$MNT/newfile"
assert_errno 13 create "$C/newfile"
assert_errno 13 create "$C/7/newfile"
assert_errno 1 unlink "$C/7/status"
assert_errno 1 unlink "$C/7/cmd"
assert_errno 1 unlink "$MNT/version"
assert_errno 2 read "$C/7/nosuchfile"
assert_errno 2 rmdir "$C/nosuch"
[ -e "$C/7/status" ] || fail "7/status is gone after a refused unlink"

ctr_new e
err() { cat "$C/e/error"; }

step "ctl syntax"
ctr_fail e 22 write ctl bogus
assert_file "$C/e/status" created
first_error=$LAST_ERROR
ctr_fail e 22 write ctl 'stop abc'
assert_ne "$first_error" "$LAST_ERROR" "error of 'stop abc' (must differ from that of 'bogus')"
ctr_fail e 22 write ctl 'stop -1'
ctr_fail e 22 write ctl 'stop 3601'
assert_errno 0 write "$C/e/ctl" 'stop 3600'
assert_errno 0 write "$C/e/ctl" 'stop 0'
ctr_fail e 22 write ctl 'stop 1 2'
ctr_fail e 22 write ctl 'kill NOSIG'
ctr_fail e 22 write ctl 'kill SIGNOSIG'
ctr_fail e 22 write ctl 'kill 999'
ctr_fail e 22 write ctl 'kill TERM KILL'
ctr_fail e 22 write ctl 'run now'
ctr_fail e 22 write ctl 'RUN'
ctr_fail e 22 writen ctl $'run\nstop\n'
ctr_fail e 22 writen ctl $'stop\nstop\n'
assert_file "$C/e/status" created
ctr_fail e 22 write ctl ''
ctr_fail e 22 write ctl 'restart abc'
ctr_fail e 22 write ctl 'restart 1 2'

step "O_TRUNC and truncate(0) are accepted and change nothing"
echo 'echo keep' >"$C/e/cmd"
assert_errno 0 truncate "$C/e/ctl"
assert_errno 0 truncate "$C/e/cmd"
: >"$C/e/cmd"
: >"$C/e/ctl"
assert_file "$C/e/cmd" 'echo keep'
assert_file "$C/e/status" created

step "kill on a container that does not run is EBUSY"
ctr_fail e 16 write ctl 'kill KILL'
ctr_fail e 16 write ctl kill

step "configuration values"
ctr_fail e 2 write image nosuch
ctr_fail e 22 write image a/b
ctr_fail e 22 write image .x
ctr_fail e 22 write image ''
assert_file "$C/e/image" busybox
echo 'echo keep' >"$C/e/cmd"
ctr_fail e 22 write cmd ''
ctr_fail e 22 write cmd '   '
ctr_fail e 22 write cmd "sh -c 'echo"
ctr_fail e 22 write cmd 'sh -c "echo'
assert_file "$C/e/cmd" 'echo keep'
ctr_fail e 22 write workdir tmp
ctr_fail e 22 write workdir ''
assert_file "$C/e/workdir" /
ctr_fail e 22 write env 'NOEQUALS'
ctr_fail e 22 write env '1A=b'
ctr_fail e 22 write env 'A-B=c'
ctr_fail e 22 write env '=v'
assert_file_empty "$C/e/env"
ctr_fail e 22 write hostname 'a b'
ctr_fail e 22 write hostname ''
ctr_fail e 27 writebig env 70000
assert_file_empty "$C/e/env"

step "while running: run, configuration writes, rmdir are EBUSY"
ctr_run e 'sleep 1000'
assert_file "$C/e/status" running
ctr_fail e 16 write ctl run
ctr_fail e 16 write ctl start
ctr_fail e 16 write cmd 'echo no'
ctr_fail e 16 write env 'A=b'
ctr_fail e 16 write workdir /tmp
ctr_fail e 16 write hostname other
ctr_fail e 16 write image busybox
assert_errno 16 rmdir "$C/e"
assert_file "$C/e/cmd" 'sleep 1000'
assert_file_empty "$C/e/env"
assert_file "$C/e/status" running
echo 'kill KILL' >"$C/e/ctl"
assert_eq 137 "$(ctr_wait e)" "exit code"

step "the error file holds the sentence of the last failure"
ctr_fail e 22 write ctl 'stop abc'
e1=$(err)
assert_match '^[^
]+$' "$e1" "error after 'stop abc' (one line)"
ctr_fail e 2 write image nosuch
e2=$(err)
assert_ne "$e1" "$e2" "error after image nosuch (must differ from that of 'stop abc')"

step "a cmd that is not in the image: run succeeds, wait gives 127, error and logs say why"
ctr_new nx
echo nosuch >"$C/nx/cmd"
echo run >"$C/nx/ctl"
assert_eq 127 "$(ctr_wait nx)" "cat wait of a container whose cmd does not exist"
assert_file "$C/nx/status" "exited 127"
assert_contains "$(cat "$C/nx/error")" nosuch "nx/error"
assert_contains "$(cat "$C/nx/logs-now")" nosuch "nx/logs-now"

ctr_rm_all
leak_check
pass
