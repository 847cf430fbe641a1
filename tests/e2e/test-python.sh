#!/bin/bash
# e2e: a python client using only os drives a whole lifecycle and checks errno values.
set -eu
. "$(dirname "$0")/lib.sh"
setup

step "client.py"
timeout 60 "$PY" "$E2E_DIR/client.py" "$MNT" || fail "client.py failed with status $? (see above)"

ctr_rm_all
leak_check
pass
