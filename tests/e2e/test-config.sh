#!/bin/bash
# e2e: configuration files (env, workdir, hostname, image) as seen inside the container.
set -eu
. "$(dirname "$0")/lib.sh"
setup

step "defaults"
ctr_new c1
id=$(cat "$C/c1/id")
assert_file "$C/c1/image" busybox
assert_file_empty "$C/c1/env"
assert_file "$C/c1/workdir" /
assert_file "$C/c1/hostname" "${id:0:12}"

step "the default environment: PATH HOME HOSTNAME TERM and nothing else"
out=$(ctr_out c1 env)
out=$(sort <<<"$out")
names=$(sed 's/=.*//' <<<"$out" | tr '\n' ' ')
assert_eq "HOME HOSTNAME PATH TERM " "$names" "variables of the default environment"
assert_contains "$out" "HOSTNAME=${id:0:12}" "env"
assert_match '(^|
)PATH=[^
]*/bin' "$out" "PATH"

step "env: KEY=VALUE lines are seen by env inside"
ctr_new c2
printf 'FOO=bar\nBAZ=qux quux\n_X1=a=b\nEMPTY=\n' >"$C/c2/env"
assert_eq $'FOO=bar\nBAZ=qux quux\n_X1=a=b\nEMPTY=' "$(cat "$C/c2/env")" "env read back"
out=$(ctr_out c2 env)
for line in FOO=bar 'BAZ=qux quux' _X1=a=b EMPTY=; do
	assert_eq 1 "$(grep -cxF -- "$line" <<<"$out")" "lines [$line] in env output [$out]"
done
for v in PATH HOME HOSTNAME TERM; do
	assert_eq 1 "$(grep -c "^$v=" <<<"$out")" "count of $v in env output [$out]"
done

step "env: a variable overrides the default of the same name"
printf 'TERM=dumb\nHOME=/tmp\n' >"$C/c2/env"
out=$(ctr_out c2 env)
assert_eq "TERM=dumb" "$(grep '^TERM=' <<<"$out")" "TERM (one line)"
assert_eq "HOME=/tmp" "$(grep '^HOME=' <<<"$out")" "HOME (one line)"

step "env: a bad line changes nothing"
assert_errno 22 writen "$C/c2/env" $'A=1\n1B=2\n'
assert_eq $'TERM=dumb\nHOME=/tmp' "$(cat "$C/c2/env")" "env after a rejected write"

step "env: an empty write clears it"
echo >"$C/c2/env"
assert_file_empty "$C/c2/env"

step "env: : > env (open with O_TRUNC, no write) changes nothing"
echo 'K=v' >"$C/c2/env"
: >"$C/c2/env"
assert_file "$C/c2/env" K=v
truncate -s 0 "$C/c2/env"
assert_file "$C/c2/env" K=v

step "workdir: pwd inside; made if missing"
ctr_new c3
assert_eq / "$(ctr_out c3 pwd)" "pwd with the default workdir"
echo /tmp/a/b >"$C/c3/workdir"
assert_file "$C/c3/workdir" /tmp/a/b
assert_eq /tmp/a/b "$(ctr_out c3 pwd)" "pwd with workdir /tmp/a/b"
echo /etc >"$C/c3/workdir"
assert_eq /etc "$(ctr_out c3 pwd)" "pwd with workdir /etc"

step "hostname: inside the container"
ctr_new c4
id4=$(cat "$C/c4/id")
assert_eq "${id4:0:12}" "$(ctr_out c4 hostname)" "default hostname"
echo web-1 >"$C/c4/hostname"
assert_file "$C/c4/hostname" web-1
out=$(ctr_out c4 'sh -c "hostname; echo \$HOSTNAME"')
assert_eq $'web-1\nweb-1' "$out" "hostname and HOSTNAME with hostname web-1"
assert_ne "$(hostname)" web-1 "the host's hostname"
for bad in -web web- 'a b' a.b a_b "$(printf 'x%.0s' {1..64})"; do
	assert_errno 22 write "$C/c4/hostname" "$bad"
done
assert_file "$C/c4/hostname" web-1

assert_errno 0 write "$C/c4/hostname" "$(printf 'h%.0s' {1..63})"
assert_file "$C/c4/hostname" "$(printf 'h%.0s' {1..63})"
echo web-1 >"$C/c4/hostname"

step "cmd: quotes and escapes, no expansion; read back re-quoted to the same words"
ctr_new c5
cmd='echo "x\$HOME" '\''y$HOME $(id)'\'' z\ w "q\"q" "b\\s" `t`'
printf '%s\n' "$cmd" >"$C/c5/cmd"
back=$(cat "$C/c5/cmd")
eval "set -- $back"
assert_eq 7 "$#" "word count of [$back]"
assert_eq 'echo|x$HOME|y$HOME $(id)|z w|q"q|b\s|`t`' "$(IFS='|'; echo "$*")" "words of [$back]"
assert_eq 'x$HOME y$HOME $(id) z w q"q b\s `t`' "$(ctr_out c5 "$cmd")" "output of [$cmd]"
printf '%s\n' "$back" >"$C/c5/cmd"
assert_file "$C/c5/cmd" "$back"

step "image"
assert_file "$C/c4/image" busybox
echo busybox >"$C/c4/image"
assert_file "$C/c4/image" busybox

step "configuration is kept across a daemon restart"
restart_daemon
assert_file "$C/c4/hostname" web-1
assert_file "$C/c3/workdir" /etc
assert_file "$C/c2/env" K=v
assert_file "$C/c1/hostname" "${id:0:12}"
assert_file "$C/c1/id" "$id"
assert_eq $'web-1\nweb-1' "$(ctr_out c4 'sh -c "hostname; echo \$HOSTNAME"')" "hostname after the restart"

ctr_rm_all
leak_check
pass
