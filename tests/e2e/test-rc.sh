#!/bin/bash
# e2e: a Plan 9 rc script (9base) creates, runs and reads a container's logs.
set -eu
. "$(dirname "$0")/lib.sh"

RC_BIN=/usr/lib/plan9/bin/rc
if [ ! -x "$RC_BIN" ]; then
	echo "SKIP: $RC_BIN is absent (install Debian's 9base)"
	exit 77
fi
setup

step "client.rc"
out=$(timeout 30 "$RC_BIN" "$E2E_DIR/client.rc" "$MNT") || fail "client.rc failed ($?): $out"
assert_eq $'hello from rc\nrcbox-done\nrc: ok' "$out" "output of client.rc"
assert_eq "" "$(ls -A "$C")" "containers after client.rc"

ctr_rm_all
leak_check
pass
