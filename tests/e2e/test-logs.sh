#!/bin/bash
# e2e: logs streams while the container runs and ends at its exit; logs-now, tail -n, tail -f,
# O_NONBLOCK and poll() on logs; stdout and stderr interleaved; the log is kept across runs.
set -eu
. "$(dirname "$0")/lib.sh"
setup

# prints line0 .. line9, one every 0.2 s
TICKER='sh -c '\''i=0; while [ $i -lt 10 ]; do echo line$i; i=$((i+1)); sleep 0.2; done'\'
ALL=$(for i in 0 1 2 3 4 5 6 7 8 9; do echo "line$i"; done)

# is_prefix_of_all TEXT: TEXT is line0 .. lineK for some K >= 0
is_prefix_of_all() {
	[ -n "$1" ] && [[ $ALL$'\n' == "$1"$'\n'* ]]
}

step "logs of a container that never ran: empty, at once"
ctr_new l0
timed timeout 3 cat "$C/l0/logs"
assert_eq 0 "$RC" "status of cat logs on a created container"
assert_range 0 1000 "$ELAPSED" "ms of cat logs on a created container"
assert_file_empty "$C/l0/logs"
assert_file_empty "$C/l0/logs-now"

step "cat logs streams while the container runs and ends at its exit"
ctr_new l1
printf '%s\n' "$TICKER" >"$C/l1/cmd"
echo run >"$C/l1/ctl"
ctr_record l1 >/dev/null
(
	cat "$C/l1/logs" | while IFS= read -r l; do echo "$(now_ms) $l"; done
	echo "$(now_ms) EOF"
) >"$T/l1.out" &
reader=$!
sleep 0.5
assert_file "$C/l1/status" running

step "logs-now returns at once while it runs, with what is there"
timed timeout 3 cat "$C/l1/logs-now"
assert_eq 0 "$RC" "status of cat logs-now while running"
assert_range 0 1000 "$ELAPSED" "ms taken by cat logs-now while running"
now=$(cat "$C/l1/logs-now")
is_prefix_of_all "$now" || fail "logs-now while running: [$now] is not a prefix of the output"

step "tail -n 1 logs returns at once while it runs"
timed timeout 3 tail -n 1 "$C/l1/logs"
assert_eq 0 "$RC" "status of tail -n 1 logs while running"
assert_range 0 1000 "$ELAPSED" "ms taken by tail -n 1 logs while running"
assert_match '^line[0-9]$' "$(timeout 3 tail -n 1 "$C/l1/logs")" "tail -n 1 logs"

step "logs-now is a snapshot taken at open"
timeout 10 "$PY" - "$C/l1" <<'EOF'
import os, sys, time
d = sys.argv[1]
s1 = os.stat(d + "/logs").st_size
fd = os.open(d + "/logs-now", os.O_RDONLY)
s2 = os.stat(d + "/logs").st_size
time.sleep(0.5)
s3 = os.stat(d + "/logs").st_size
data = b""
while True:
    b = os.read(fd, 65536)
    if not b:
        break
    data += b
os.close(fd)
if s3 <= s2:
    sys.exit("logs did not grow in 0.5 s (size %d then %d)" % (s2, s3))
if not s1 <= len(data) <= s2:
    sys.exit("logs-now read %d bytes; the log held %d..%d bytes at open" % (len(data), s1, s2))
EOF

code=$(ctr_wait l1)
t_exit=$(now_ms)
assert_eq 0 "$code" "exit code of l1"
wait_for 3 not_alive "$reader"
wait "$reader"
got=$(cut -d' ' -f2- "$T/l1.out")
assert_eq "$ALL"$'\nEOF' "$got" "lines read by cat logs"
t_first=$(sed -n 1p "$T/l1.out" | cut -d' ' -f1)
t_last=$(sed -n 10p "$T/l1.out" | cut -d' ' -f1)
t_eof=$(sed -n 11p "$T/l1.out" | cut -d' ' -f1)
[ "$t_first" -le $((t_exit - 1000)) ] ||
	fail "cat logs: the first line came $((t_exit - t_first)) ms before the exit, not streamed"
[ "$t_last" -ge $((t_first + 1000)) ] ||
	fail "cat logs: all lines came at once ($((t_last - t_first)) ms apart)"
assert_range -2000 1500 $((t_eof - t_exit)) "ms from the exit to the end-of-file of cat logs"
assert_eq 60 "$(stat -c %s "$C/l1/logs")" "size of logs"

step "after the exit, logs and tail -n return at once"
timed timeout 3 cat "$C/l1/logs"
assert_eq 0 "$RC" "status of cat logs after the exit"
assert_eq "$ALL" "$(timeout 3 cat "$C/l1/logs")" "cat logs after the exit"
assert_eq $'line8\nline9' "$(timeout 3 tail -n 2 "$C/l1/logs")" "tail -n 2 logs after the exit"

step "the log is kept across runs (appended)"
echo 'echo second' >"$C/l1/cmd"
echo run >"$C/l1/ctl"
assert_eq 0 "$(ctr_wait l1)" "exit code of the second run"
assert_eq "$ALL"$'\nsecond' "$(cat "$C/l1/logs-now")" "logs-now after the second run"

step "tail -f logs follows new lines"
ctr_new l2
printf '%s\n' "$TICKER" >"$C/l2/cmd"
echo run >"$C/l2/ctl"
ctr_record l2 >/dev/null
sleep 0.3
(
	timeout 5 tail -f "$C/l2/logs" | while IFS= read -r l; do echo "$(now_ms) $l"; done
) >"$T/l2.out" &
tailer=$!
assert_eq 0 "$(ctr_wait l2)" "exit code of l2"
t_exit=$(now_ms)
wait_for 8 not_alive "$tailer"
wait "$tailer" || true
assert_eq "$ALL" "$(cut -d' ' -f2- "$T/l2.out")" "lines seen by tail -f"
t5=$(grep ' line5$' "$T/l2.out" | cut -d' ' -f1)
[ "$t5" -le "$t_exit" ] || fail "tail -f: line5 came $((t5 - t_exit)) ms after the exit"

step "O_NONBLOCK read at the end gives EAGAIN; poll() reports new data and the exit"
ctr_new l3
printf '%s\n' "$TICKER" >"$C/l3/cmd"
echo run >"$C/l3/ctl"
ctr_record l3 >/dev/null
sleep 0.3
out=$(timeout 20 "$PY" - "$C/l3/logs" <<'EOF'
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
data = b""
while True:
    try:
        b = os.read(fd, 65536)
    except OSError as e:
        if e.errno != 11:
            sys.exit("read at the end: errno %d, expected EAGAIN (11)" % e.errno)
        break
    if not b:
        sys.exit("read at the end returned end-of-file while the container runs")
    data += b
p = select.poll()
p.register(fd, select.POLLIN)
ev = p.poll(1500)
if not ev or not ev[0][1] & select.POLLIN:
    sys.exit("poll() did not report the next line within 1.5 s: %r" % ev)
eof = False
while not eof:
    ev = p.poll(5000)
    if not ev:
        sys.exit("poll() reported nothing for 5 s before the end-of-file")
    try:
        b = os.read(fd, 65536)
    except OSError as e:
        sys.exit("poll() reported %r but read failed with errno %d" % (ev, e.errno))
    if not b:
        eof = True
    data += b
sys.stdout.write(data.decode())
EOF
)
assert_eq "$ALL" "$out" "lines read with O_NONBLOCK and poll()"
assert_file "$C/l3/status" "exited 0"

step "tail -f on an exited container follows the next run (the log is appended)"
ctr_new l9
ctr_run l9 'echo first'
assert_eq 0 "$(ctr_wait l9)" "exit code of l9"
timeout 4 tail -f "$C/l9/logs" >"$T/l9.out" &
tailer=$!
sleep 1
ctr_run l9 'echo second'
assert_eq 0 "$(ctr_wait l9)" "exit code of the second run of l9"
wait_for 3 grep -q second "$T/l9.out"
assert_eq $'first\nsecond' "$(cat "$T/l9.out")" "lines seen by tail -f across two runs"
kill "$tailer" 2>/dev/null || true

step "stdout and stderr are interleaved as written"
ctr_new l4
ctr_run l4 'sh -c "echo out1; echo err1 >&2; echo out2; echo err2 >&2"'
assert_eq 0 "$(ctr_wait l4)" "exit code of l4"
assert_eq $'out1\nerr1\nout2\nerr2' "$(timeout 10 cat "$C/l4/logs")" "logs of l4"

step "output without a final newline, binary bytes and 1 MB are kept exactly"
ctr_new l6
ctr_run l6 "printf 'abc'"
assert_eq 0 "$(ctr_wait l6)" "exit code of printf abc"
assert_eq 616263 "$(od -An -tx1 "$C/l6/logs" | tr -d ' \n')" "bytes of logs"
ctr_new l7
ctr_run l7 "printf '\\000\\001\\377\\n'"
assert_eq 0 "$(ctr_wait l7)" "exit code of printf of binary bytes"
assert_eq 0001ff0a "$(od -An -tx1 "$C/l7/logs" | tr -d ' \n')" "bytes of logs"
ctr_new l8
ctr_run l8 'sh -c "yes abcdefghi | head -n 100000"'
assert_eq 0 "$(ctr_wait l8)" "exit code of 1 MB of output"
assert_eq 1000000 "$(stat -c %s "$C/l8/logs")" "size of 1 MB of logs"
want=$(yes abcdefghi | head -n 100000 | md5sum)
assert_eq "$want" "$(timeout 10 cat "$C/l8/logs" | md5sum)" "md5 of cat logs"
assert_eq "$want" "$(md5sum <"$C/l8/logs-now")" "md5 of cat logs-now"
assert_eq "abcdefghi" "$(tail -n 1 "$C/l8/logs")" "tail -n 1 of 1 MB of logs"

step "Ctrl-C on a blocked cat logs returns, the container still runs"
ctr_new l5
ctr_run l5 'sh -c "echo start; exec sleep 30"'
wait_for 3 test -s "$C/l5/logs-now"
timed timeout -s INT 1 cat "$C/l5/logs"
assert_eq 124 "$RC" "status of timeout -s INT 1 cat logs"
assert_range 900 3000 "$ELAPSED" "ms for cat logs to return on SIGINT"
assert_file "$C/l5/status" running
out=$(sigint_read "$C/l5/logs")
assert_eq "EINTR in read" "${out%%$'\n'*}" "a python read of logs blocked at the end, on SIGINT"
assert_range 0 1000 "${out##*$'\n'}" "ms for the blocked read of logs to return EINTR"
assert_file "$C/l5/status" running
echo 'kill KILL' >"$C/l5/ctl"
assert_eq 137 "$(ctr_wait l5)" "exit code of l5"

ctr_rm_all
leak_check
pass
