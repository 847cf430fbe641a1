#!/bin/bash
# e2e: the events stream: one line per state change, from the time of open; a read at the end
# waits (Ctrl-C gives EINTR), O_NONBLOCK gives EAGAIN, poll() wakes on the next event.
set -eu
. "$(dirname "$0")/lib.sh"
setup

step "a follower sees a container's life in order (and the default network made at its start)"
cat "$MNT/events" >"$T/ev.txt" &
reader=$!
sleep 0.3
ctr_new ev
ctr_run ev 'sleep 0.3'
echo pause >"$C/ev/ctl"
echo resume >"$C/ev/ctl"
assert_eq 0 "$(ctr_wait ev)" "exit code"
rmdir "$C/ev"
wait_for 5 grep -q ' container ev remove$' "$T/ev.txt"
kill "$reader"
wait "$reader" 2>/dev/null || true
kinds=$(awk '{print $2, $3, $4}' "$T/ev.txt" | tr '\n' '|')
assert_eq "container ev create|network default create|container ev start|container ev pause|container ev resume|container ev exit|container ev remove|" \
	"$kinds" "events of ev"
assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z container ev exit 0$' \
	"$(grep ' exit ' "$T/ev.txt")" "the exit line"

step "O_NONBLOCK at the end is EAGAIN; poll wakes on the next event; SIGINT gives EINTR"
out=$(python3 - "$MNT/events" "$C" <<'PY'
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
    os.read(fd, 100)
    print("read")
except OSError as e:
    print("errno", e.errno)
p = select.poll()
p.register(fd, select.POLLIN)
print("before", len(p.poll(200)))
os.mkdir(sys.argv[2] + "/evp")
print("after", len(p.poll(3000)))
print(os.read(fd, 4096).decode().split()[1:])
os.rmdir(sys.argv[2] + "/evp")
PY
)
assert_eq $'errno 11\nbefore 0\nafter 1\n[\'container\', \'evp\', \'create\']' "$out" "nonblock and poll"
sigint_read "$MNT/events"

ctr_rm_all
leak_check
pass
