#!/bin/bash
# e2e: permissions are real: a container belongs to whoever made it, with the mode given to
# mkdir; its files follow the directory's owner; chmod/chown persist (across a restart too).
set -eu
. "$(dirname "$0")/lib.sh"

NOBODY=65534
NOBODY_PY=/usr/bin/python3
[ -x "$NOBODY_PY" ] || NOBODY_PY=$PY
command -v setpriv >/dev/null || {
	echo "SKIP: no setpriv"
	exit 77
}
setup
chmod 0755 "$T"
cp "$E2E_DIR/fsop.py" "$T/fsop.py"

# as_nobody_errno OP PATH [DATA]: the errno of an operation done as uid/gid 65534
as_nobody_errno() {
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$NOBODY_PY" "$T/fsop.py" "$@"
}

# assert_nobody_errno ERRNO OP PATH [DATA]
assert_nobody_errno() {
	local want=$1 got
	shift
	got=$(as_nobody_errno "$@")
	[ "$got" == "$want" ] ||
		fail "as uid $NOBODY: $(printf '%q ' "$@"): expected errno $want ($(errname "$want")), got $got ($(errname "$got"))"
}

step "a container made by root with mode 0755: others may read, not write"
ctr_new pub
assert_eq "755 0 0" "$(stat -c '%a %u %g' "$C/pub")" "mode and owner of pub"
assert_nobody_errno 0 read "$C/pub/status"
assert_nobody_errno 0 read "$C/pub/cmd"
assert_nobody_errno 13 write "$C/pub/ctl" run
assert_nobody_errno 13 write "$C/pub/cmd" 'echo hacked'
assert_nobody_errno 13 write "$C/pub/env" 'A=b'
assert_file "$C/pub/cmd" sh
assert_file "$C/pub/status" created
got=$(as_nobody_errno rmdir "$C/pub")
[ "$got" == 13 ] || [ "$got" == 1 ] ||
	fail "rmdir of root's container as uid $NOBODY: errno $got ($(errname "$got")), expected EACCES or EPERM"
[ -d "$C/pub" ] || fail "pub is gone after a refused rmdir"

step "mode 0700: others cannot even read"
mkdir -m 0700 "$C/priv"
echo "$(cat "$C/priv/id") priv" >>"$T/ids"
assert_eq 700 "$(stat -c %a "$C/priv")" "mode of priv"
assert_nobody_errno 13 read "$C/priv/status"
assert_nobody_errno 13 read "$C/priv/logs-now"

step "chown: the files follow the directory's owner, who may then drive it"
ctr_new own
chown $NOBODY:$NOBODY "$C/own"
assert_eq "$NOBODY $NOBODY" "$(stat -c '%u %g' "$C/own")" "owner of own"
for f in cmd ctl status logs wait; do
	assert_eq "$NOBODY" "$(stat -c %u "$C/own/$f")" "owner of own/$f"
done
assert_nobody_errno 0 write "$C/own/cmd" 'echo mine'
assert_nobody_errno 0 write "$C/own/ctl" run
assert_eq 0 "$(ctr_wait own)" "exit code of own"
assert_file "$C/own/logs-now" mine
assert_nobody_errno 0 read "$C/own/logs"
assert_nobody_errno 13 write "$C/pub/ctl" run

step "chmod and chown persist across a daemon restart"
chmod 0750 "$C/own"
restart_daemon
assert_eq "750 $NOBODY $NOBODY" "$(stat -c '%a %u %g' "$C/own")" "own after the restart"
assert_eq 700 "$(stat -c %a "$C/priv")" "mode of priv after the restart"
assert_nobody_errno 13 read "$C/priv/status"
assert_nobody_errno 0 write "$C/own/ctl" run
assert_eq 0 "$(ctr_wait own)" "exit code of own"

ctr_rm_all
leak_check
pass
